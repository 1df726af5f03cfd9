//! `gomux cache verify`: is a module cache still what Go downloaded?
//!
//! Go records each module zip's `h1:` hash in `cache/download/<module>/@v/<version>.ziphash`
//! when it downloads it (after checking go.sum), then extracts the zip to
//! `<module>@<version>/` and never looks at either again. Anything that edits, adds or removes
//! a file afterwards (a careless editor, a build script, a poisoned CI cache) goes unnoticed by
//! Go. This module re-hashes both the zip and the extracted folder and compares them with the
//! recorded hash; with the zip at hand it can also name the files that differ.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use gomux_home::fsx;
use serde::Serialize;

use crate::dirhash::{self, FileHashes};

/// Go's extracted toolchain module copies every `_go.mod` to a `go.mod` beside it.
const TOOLCHAIN_MODULE: &str = "golang.org/toolchain";

/// The state of a module's zip.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ZipState {
    /// The zip hashes to the recorded hash, or there is no recorded hash to compare with.
    Ok,
    /// No zip in `cache/download`.
    Missing,
    /// The zip's `h1:` hash differs from the recorded one.
    Mismatch,
    /// The zip could not be read as a zip ([`ModuleCheck::error`] says why).
    Unreadable,
}

/// The state of a module's extracted folder.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DirState {
    /// The folder hashes to the recorded hash (else a good zip's), or there is nothing to
    /// compare with.
    Ok,
    /// Not extracted (Go extracts on first build).
    Missing,
    /// The folder's `h1:` hash differs from the recorded one (else from a good zip's).
    Mismatch,
    /// Extraction was interrupted; Go extracts it again on next use.
    Partial,
    /// The folder could not be walked or a file in it read ([`ModuleCheck::error`] says why).
    Unreadable,
}

/// One module version found in the cache.
#[derive(Clone, Debug, Serialize)]
pub struct ModuleCheck {
    /// The module path, unescaped (`github.com/BurntSushi/toml`, not `!burnt!sushi`).
    pub module: String,
    /// The version, unescaped (`v1.2.3`).
    pub version: String,
    /// The hash recorded in `.ziphash`, when present and well formed.
    pub recorded: Option<String>,
    /// What is wrong with the `.ziphash` file itself (`missing`, `malformed`), if anything.
    pub ziphash: Option<&'static str>,
    /// What was found of the zip.
    pub zip: ZipState,
    /// The zip's `h1:` hash as computed now; `None` when there is no readable zip.
    pub zip_hash: Option<String>,
    /// What was found of the extracted folder.
    pub dir: DirState,
    /// The folder's `h1:` hash as computed now; `None` when it is missing, partial or unreadable.
    pub dir_hash: Option<String>,
    /// Files whose content differs from the zip.
    pub changed: Vec<String>,
    /// Files in the folder that the zip does not have.
    pub added: Vec<String>,
    /// Files in the zip missing from the folder.
    pub removed: Vec<String>,
    /// An error reading the zip or the folder.
    pub error: Option<String>,
    /// The paths `--fix` removed.
    pub fixed: Vec<PathBuf>,
    /// Why `--fix` could not remove everything, if it could not.
    pub fix_error: Option<String>,
    #[serde(skip)]
    paths: Paths,
}

#[derive(Clone, Debug, Default)]
struct Paths {
    zip: PathBuf,
    ziphash: PathBuf,
    dir: PathBuf,
    /// The module cache itself: where a module folder is moved out of Go's sight before it is
    /// deleted (Go never looks at a name starting with a dot there).
    modcache: PathBuf,
}

impl ModuleCheck {
    /// True when something is wrong: the zip or the folder does not match, or the recorded
    /// hash is unusable.
    pub fn is_bad(&self) -> bool {
        matches!(self.zip, ZipState::Mismatch | ZipState::Unreadable)
            || matches!(self.dir, DirState::Mismatch | DirState::Unreadable)
            || self.ziphash == Some("malformed")
    }

    /// True when nothing can be compared: an extracted folder with neither a zip nor a hash.
    pub fn is_unverifiable(&self) -> bool {
        !self.is_bad()
            && self.recorded.is_none()
            && self.zip_hash.is_none()
            && self.dir == DirState::Ok
    }

    /// The zip and `.ziphash` must go too (not just the folder) when the zip itself is bad.
    fn download_is_bad(&self) -> bool {
        matches!(self.zip, ZipState::Mismatch | ZipState::Unreadable)
            || self.ziphash == Some("malformed")
    }
}

/// The result for one module cache.
#[derive(Debug, Serialize)]
pub struct Report {
    /// The module cache (GOMODCACHE) that was checked.
    pub modcache: PathBuf,
    /// Module versions looked at.
    pub checked: usize,
    /// Module versions with a problem.
    pub problems: Vec<ModuleCheck>,
    /// Extracted folders that nothing recorded a hash for.
    pub unverifiable: Vec<ModuleCheck>,
}

/// Escapes a module path or version as the module cache does: `A` becomes `!a`.
#[cfg(test)]
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_ascii_uppercase() {
            out.push('!');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// Reverses the module cache's escaping (`!a` for `A`); `None` for text the module cache cannot
/// contain (an uppercase letter, or `!` not followed by a lowercase letter).
pub fn unescape(s: &str) -> Option<String> {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            '!' => match chars.next() {
                Some(l) if l.is_ascii_lowercase() => out.push(l.to_ascii_uppercase()),
                _ => return None,
            },
            c if c.is_ascii_uppercase() => return None,
            c => out.push(c),
        }
    }
    Some(out)
}

/// Every module version in a module cache: from the download cache
/// (`cache/download/<module>/@v/<version>.{zip,ziphash}`) and from the extracted folders
/// (`<module>@<version>/`), as `(escaped module, escaped version)` pairs.
fn find_modules(modcache: &Path) -> Vec<(String, String)> {
    let mut found = std::collections::BTreeSet::new();
    // Downloads: `cache/download/<module>/@v/<version>.{zip,ziphash}`. When that is a link to
    // the module store, the store is checked on its own (`crate::store`): here only the
    // modules this cache extracted count (each still compared with its zip in the store).
    let download = modcache.join("cache").join("download");
    let linked = std::fs::symlink_metadata(&download).is_ok_and(|m| m.file_type().is_symlink());
    if !linked {
        walk_dirs(&download, "sumdb", |path, rel, name| {
            if name != "@v" {
                return true;
            }
            for v in std::fs::read_dir(path).into_iter().flatten().flatten() {
                let file = v.file_name().to_string_lossy().into_owned();
                if let Some(ver) = file
                    .strip_suffix(".ziphash")
                    .or_else(|| file.strip_suffix(".zip"))
                {
                    found.insert((rel.to_string(), ver.to_string()));
                }
            }
            false
        });
    }
    // Extracted folders: the first folder name with an `@` on each path.
    walk_dirs(modcache, "cache", |_, rel, name| {
        match name.split_once('@') {
            Some((last, ver)) => {
                if !ver.contains(".tmp-") {
                    found.insert((join_rel(rel, last), ver.to_string()));
                }
                false
            }
            None => true,
        }
    });
    found.into_iter().collect()
}

/// Walks the folders below `root`, skipping the top-level folder `skip`, and calls
/// `visit(path, rel, name)` for each, where `rel` is its parent's path relative to `root`
/// (`/`-separated). It descends into a folder when `visit` returns true.
fn walk_dirs(root: &Path, skip: &str, mut visit: impl FnMut(&Path, &str, &str) -> bool) {
    let mut stack = vec![(root.to_path_buf(), String::new())];
    while let Some((dir, rel)) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in rd.filter_map(|e| e.ok()) {
            if !e.file_type().is_ok_and(|t| t.is_dir()) {
                continue;
            }
            let name = e.file_name().to_string_lossy().into_owned();
            if rel.is_empty() && name == skip || name.starts_with(fsx::TRASH_PREFIX) {
                continue;
            }
            let path = e.path();
            if visit(&path, &rel, &name) {
                stack.push((path, join_rel(&rel, &name)));
            }
        }
    }
}

fn join_rel(rel: &str, name: &str) -> String {
    if rel.is_empty() {
        name.to_string()
    } else {
        format!("{rel}/{name}")
    }
}

/// A well-formed `h1:` hash: `h1:` and the base64 of 32 bytes.
fn is_h1(s: &str) -> bool {
    s.strip_prefix("h1:").is_some_and(|b| {
        b.len() == 44
            && b.ends_with('=')
            && b[..43]
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'+' || c == b'/')
    })
}

fn check_one(modcache: &Path, esc_module: &str, esc_version: &str) -> Option<ModuleCheck> {
    let module = unescape(esc_module)?;
    let version = unescape(esc_version)?;
    let at_v = modcache
        .join("cache")
        .join("download")
        .join(esc_module)
        .join("@v");
    let paths = Paths {
        zip: at_v.join(format!("{esc_version}.zip")),
        ziphash: at_v.join(format!("{esc_version}.ziphash")),
        dir: modcache.join(format!("{esc_module}@{esc_version}")),
        modcache: modcache.to_path_buf(),
    };
    let mut c = ModuleCheck {
        module: module.clone(),
        version: version.clone(),
        recorded: None,
        ziphash: None,
        zip: ZipState::Missing,
        zip_hash: None,
        dir: DirState::Missing,
        dir_hash: None,
        changed: Vec::new(),
        added: Vec::new(),
        removed: Vec::new(),
        error: None,
        fixed: Vec::new(),
        fix_error: None,
        paths,
    };
    match std::fs::read_to_string(&c.paths.ziphash) {
        Ok(text) if is_h1(text.trim()) => c.recorded = Some(text.trim().to_string()),
        Ok(_) => c.ziphash = Some("malformed"),
        Err(_) => c.ziphash = Some("missing"),
    }

    // The zip.
    let mut zip_files: Option<FileHashes> = None;
    if c.paths.zip.is_file() {
        match dirhash::zip_files(&c.paths.zip) {
            Ok(files) => {
                let h = dirhash::hash1(&files);
                c.zip = match &c.recorded {
                    Some(r) if *r != h => ZipState::Mismatch,
                    _ => ZipState::Ok,
                };
                if c.zip == ZipState::Ok {
                    zip_files = Some(files);
                }
                c.zip_hash = Some(h);
            }
            Err(e) => {
                c.zip = ZipState::Unreadable;
                c.error = Some(format!("cannot read the zip: {e}"));
            }
        }
    }

    // The extracted folder.
    let partial = modcache.join(format!("{esc_module}@{esc_version}.partial"));
    if partial.exists() {
        c.dir = DirState::Partial;
    } else if c.paths.dir.is_dir() {
        let prefix = format!("{module}@{version}");
        match dirhash::dir_files(&c.paths.dir, &prefix) {
            Ok(mut files) => {
                if module == TOOLCHAIN_MODULE {
                    drop_go_mod_copies(&mut files);
                }
                let h = dirhash::hash1(&files);
                // The reference: the recorded hash, else a good zip's.
                let reference = c
                    .recorded
                    .clone()
                    .or_else(|| zip_files.as_ref().map(dirhash::hash1));
                c.dir = match reference {
                    Some(r) if r != h => DirState::Mismatch,
                    _ => DirState::Ok,
                };
                if c.dir == DirState::Mismatch
                    && let Some(z) = &zip_files
                {
                    diff(z, &files, &mut c);
                }
                c.dir_hash = Some(h);
            }
            Err(e) => {
                c.dir = DirState::Unreadable;
                c.error = Some(format!("cannot read `{}`: {e}", c.paths.dir.display()));
            }
        }
    }
    Some(c)
}

/// In the extracted toolchain module, Go copies each `_go.mod` to `go.mod`; such copies are
/// not part of the module's hash. A `go.mod` that differs from its `_go.mod` stays (and shows).
fn drop_go_mod_copies(files: &mut FileHashes) {
    let copies: Vec<String> = files
        .iter()
        .filter(|(name, hash)| {
            name.strip_suffix("/go.mod")
                .is_some_and(|dir| files.get(&format!("{dir}/_go.mod")) == Some(*hash))
        })
        .map(|(name, _)| name.clone())
        .collect();
    for name in copies {
        files.remove(&name);
    }
}

fn diff(zip: &FileHashes, dir: &FileHashes, c: &mut ModuleCheck) {
    let prefix = format!("{}@{}/", c.module, c.version);
    let strip = |n: &str| n.strip_prefix(&prefix).unwrap_or(n).to_string();
    for (name, hash) in zip {
        match dir.get(name) {
            Some(h) if h != hash => c.changed.push(strip(name)),
            None => c.removed.push(strip(name)),
            _ => {}
        }
    }
    for name in dir.keys() {
        if !zip.contains_key(name) {
            c.added.push(strip(name));
        }
    }
}

/// Checks every module in `modcache`; with `fix`, removes what is bad so Go downloads it again.
pub fn verify(modcache: &Path, fix: bool) -> Report {
    // Module folders an earlier `--fix` moved out of sight but could not finish deleting.
    fsx::remove_trash(modcache);
    let mut report = Report {
        modcache: modcache.to_path_buf(),
        checked: 0,
        problems: Vec::new(),
        unverifiable: Vec::new(),
    };
    let mut by_module: BTreeMap<(String, String), ModuleCheck> = BTreeMap::new();
    for (m, v) in find_modules(modcache) {
        if let Some(c) = check_one(modcache, &m, &v) {
            report.checked += 1;
            by_module.insert((c.module.clone(), c.version.clone()), c);
        }
    }
    for (_, mut c) in by_module {
        if c.is_bad() {
            if fix {
                repair(&mut c);
            }
            report.problems.push(c);
        } else if c.is_unverifiable() {
            report.unverifiable.push(c);
        }
    }
    report
}

fn repair(c: &mut ModuleCheck) {
    let mut targets = vec![c.paths.dir.clone()];
    if c.download_is_bad() {
        targets.push(c.paths.zip.clone());
        targets.push(c.paths.ziphash.clone());
    }
    for t in targets {
        let Ok(meta) = std::fs::symlink_metadata(&t) else {
            continue;
        };
        // A module folder disappears in one rename, so Go never finds half of it; the zip and
        // its hash are single files.
        let removed = if meta.is_dir() {
            fsx::remove_out_of_sight(&t, &c.paths.modcache).map(drop)
        } else {
            std::fs::remove_file(&t).map_err(|e| fsx::FsError::new("remove", &t, e))
        };
        match removed {
            Ok(()) => c.fixed.push(t),
            Err(e) => c.fix_error = Some(e.to_string()),
        }
    }
}

impl ModuleCheck {
    /// True when `--fix` removed everything it had to.
    pub fn is_fixed(&self) -> bool {
        !self.fixed.is_empty() && self.fix_error.is_none()
    }

    /// One line per finding, for the text report.
    pub fn describe(&self) -> Vec<String> {
        let mut out = Vec::new();
        match self.zip {
            ZipState::Mismatch => out.push(format!(
                "the zip hashes to `{}` but `{}` was recorded",
                self.zip_hash.as_deref().unwrap_or("?"),
                self.recorded.as_deref().unwrap_or("?")
            )),
            ZipState::Unreadable => out.push("the zip cannot be read".to_string()),
            _ => {}
        }
        if self.ziphash == Some("malformed") {
            out.push(format!(
                "`{}` does not hold an `h1:` hash",
                self.paths.ziphash.display()
            ));
        }
        if self.dir == DirState::Mismatch {
            if self.changed.is_empty() && self.added.is_empty() && self.removed.is_empty() {
                out.push(format!(
                    "the extracted folder hashes to `{}`, not to the recorded hash",
                    self.dir_hash.as_deref().unwrap_or("?")
                ));
            }
            out.extend(self.changed.iter().map(|f| format!("changed: {f}")));
            out.extend(self.added.iter().map(|f| format!("added:   {f}")));
            out.extend(self.removed.iter().map(|f| format!("removed: {f}")));
        }
        if let Some(e) = &self.error {
            out.push(e.clone());
        }
        if let Some(e) = &self.fix_error {
            out.push(e.clone());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn write_module(mc: &Path, module: &str, version: &str, files: &[(&str, &str)]) {
        let (em, ev) = (escape(module), escape(version));
        let at_v = mc.join("cache/download").join(&em).join("@v");
        std::fs::create_dir_all(&at_v).unwrap();
        let zip_path = at_v.join(format!("{ev}.zip"));
        let mut w = zip::ZipWriter::new(std::fs::File::create(&zip_path).unwrap());
        let dir = mc.join(format!("{em}@{ev}"));
        for (name, body) in files {
            w.start_file(
                format!("{module}@{version}/{name}"),
                zip::write::SimpleFileOptions::default(),
            )
            .unwrap();
            w.write_all(body.as_bytes()).unwrap();
            let p = dir.join(name);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, body).unwrap();
        }
        w.finish().unwrap();
        let h = dirhash::hash1(&dirhash::zip_files(&zip_path).unwrap());
        std::fs::write(at_v.join(format!("{ev}.ziphash")), h).unwrap();
        std::fs::write(at_v.join(format!("{ev}.mod")), format!("module {module}\n")).unwrap();
    }

    #[test]
    fn escaping() {
        assert_eq!(
            escape("github.com/BurntSushi/toml"),
            "github.com/!burnt!sushi/toml"
        );
        assert_eq!(
            unescape("github.com/!burnt!sushi/toml").as_deref(),
            Some("github.com/BurntSushi/toml")
        );
        assert_eq!(unescape("a!"), None);
        assert_eq!(unescape("a!1"), None);
        assert_eq!(unescape("Upper"), None);
        assert!(is_h1("h1:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="));
        assert!(!is_h1("h1:nope"));
    }

    #[test]
    fn a_clean_cache_verifies_clean_and_tampering_is_found_and_fixed() {
        let tmp = tempfile::tempdir().unwrap();
        let mc = tmp.path();
        write_module(
            mc,
            "example.com/Good",
            "v1.0.0",
            &[
                ("go.mod", "module example.com/Good\n"),
                ("g.go", "package g\n"),
            ],
        );
        write_module(
            mc,
            "example.com/edit",
            "v1.2.0",
            &[("go.mod", "module x\n"), ("e.go", "package e\n")],
        );
        write_module(mc, "example.com/add", "v0.1.0", &[("a.go", "package a\n")]);
        write_module(
            mc,
            "example.com/rm",
            "v0.1.0",
            &[("a.go", "package a\n"), ("sub/b.go", "package b\n")],
        );
        write_module(
            mc,
            "example.com/badzip",
            "v2.0.0+incompatible",
            &[("z.go", "package z\n")],
        );
        std::fs::create_dir_all(mc.join("cache/download/sumdb/sum.golang.org/lookup")).unwrap();
        let r = verify(mc, false);
        assert_eq!(r.checked, 5);
        assert!(r.problems.is_empty(), "{:?}", r.problems);

        std::fs::write(
            mc.join("example.com/edit@v1.2.0/e.go"),
            "package e // evil\n",
        )
        .unwrap();
        std::fs::write(mc.join("example.com/add@v0.1.0/extra.go"), "package a\n").unwrap();
        std::fs::remove_file(mc.join("example.com/rm@v0.1.0/sub/b.go")).unwrap();
        std::fs::write(
            mc.join("cache/download/example.com/badzip/@v/v2.0.0+incompatible.zip"),
            "junk",
        )
        .unwrap();
        // An extracted folder nobody recorded a hash for, and an interrupted extraction.
        std::fs::create_dir_all(mc.join("example.com/orphan@v1.0.0")).unwrap();
        std::fs::write(mc.join("example.com/orphan@v1.0.0/o.go"), "package o\n").unwrap();
        std::fs::write(mc.join("example.com/!good@v1.0.0.partial"), "").unwrap();
        std::fs::write(mc.join("example.com/!good@v1.0.0/g.go"), "half").unwrap();

        let r = verify(mc, false);
        let names: Vec<&str> = r.problems.iter().map(|p| p.module.as_str()).collect();
        assert_eq!(
            names,
            [
                "example.com/add",
                "example.com/badzip",
                "example.com/edit",
                "example.com/rm"
            ]
        );
        let by = |m: &str| r.problems.iter().find(|p| p.module == m).unwrap();
        assert_eq!(by("example.com/edit").changed, ["e.go"]);
        assert_eq!(by("example.com/add").added, ["extra.go"]);
        assert_eq!(by("example.com/rm").removed, ["sub/b.go"]);
        assert_eq!(by("example.com/badzip").zip, ZipState::Unreadable);
        assert_eq!(by("example.com/badzip").dir, DirState::Ok);
        assert_eq!(r.unverifiable.len(), 1);
        assert_eq!(r.unverifiable[0].module, "example.com/orphan");

        let r = verify(mc, true);
        assert_eq!(r.problems.len(), 4);
        assert!(r.problems.iter().all(|p| p.is_fixed()), "{:?}", r.problems);
        assert!(!mc.join("example.com/edit@v1.2.0").exists());
        assert!(
            mc.join("cache/download/example.com/edit/@v/v1.2.0.zip")
                .exists()
        );
        assert!(
            !mc.join("cache/download/example.com/badzip/@v/v2.0.0+incompatible.zip")
                .exists()
        );
        assert!(
            !mc.join("cache/download/example.com/badzip/@v/v2.0.0+incompatible.ziphash")
                .exists()
        );
        assert!(mc.join("example.com/!good@v1.0.0").exists());
        let r = verify(mc, false);
        assert!(r.problems.is_empty(), "{:?}", r.problems);
    }

    #[test]
    fn the_toolchain_modules_go_mod_copies_are_not_tampering() {
        let tmp = tempfile::tempdir().unwrap();
        let mc = tmp.path();
        let v = "v0.0.1-go1.22.0.linux-amd64";
        write_module(
            mc,
            TOOLCHAIN_MODULE,
            v,
            &[("src/_go.mod", "module std\n"), ("bin/go", "ELF")],
        );
        let dir = mc.join(format!("{TOOLCHAIN_MODULE}@{v}"));
        std::fs::write(dir.join("src/go.mod"), "module std\n").unwrap();
        assert!(verify(mc, false).problems.is_empty());
        std::fs::write(dir.join("src/go.mod"), "module evil\n").unwrap();
        let r = verify(mc, false);
        assert_eq!(r.problems.len(), 1);
        assert_eq!(r.problems[0].added, ["src/go.mod"]);
    }
}

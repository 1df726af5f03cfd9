//! Verifying the machine-wide module store (`<root>/store/download`), which every project's
//! `mod/cache/download` links to.
//!
//! Go checks a module zip against `go.sum` once, when it downloads it, and records its `h1:`
//! hash in `<version>.ziphash`; a later project that needs the same version finds the zip and
//! the `.ziphash` in the store and extracts the zip without hashing it again. A zip changed in
//! the store would therefore reach every project that extracts it afterwards. [`verify`]
//! recomputes every zip's `h1:` hash and compares it with its `.ziphash`, and checks that each
//! zip has its `.mod` beside it; with `fix`, it removes the bad zip and its hash, so the next
//! `go` call downloads them again and checks them against that project's `go.sum`.

use std::path::{Path, PathBuf};

use gomux_home::fsx;
use serde::Serialize;

use crate::dirhash;
use crate::verify::unescape;

/// What is wrong with one module version in the store.
#[derive(Clone, Debug, Serialize)]
pub struct StoreProblem {
    /// The module path, unescaped.
    pub module: String,
    /// The version, unescaped.
    pub version: String,
    /// The zip in the store.
    pub zip: PathBuf,
    /// What is wrong: `mismatch`, `unreadable`, `malformed-ziphash` or `missing-mod`.
    pub problem: &'static str,
    /// The hash recorded in `.ziphash`, when there is a well-formed one.
    pub recorded: Option<String>,
    /// The zip's `h1:` hash as computed now.
    pub actual: Option<String>,
    /// Why the zip could not be read, if it could not.
    pub error: Option<String>,
    /// The files `--fix` removed.
    pub fixed: Vec<PathBuf>,
    /// Why `--fix` could not remove everything, if it could not.
    pub fix_error: Option<String>,
}

impl StoreProblem {
    /// One line saying what is wrong.
    pub fn describe(&self) -> String {
        match self.problem {
            "mismatch" => format!(
                "the zip hashes to `{}` but `{}` was recorded when Go downloaded it",
                self.actual.as_deref().unwrap_or("?"),
                self.recorded.as_deref().unwrap_or("?")
            ),
            "unreadable" => format!(
                "the zip cannot be read: {}",
                self.error.as_deref().unwrap_or("?")
            ),
            "malformed-ziphash" => "its `.ziphash` does not hold an `h1:` hash".into(),
            _ => "its `.mod` file is missing beside the zip".into(),
        }
    }

    /// True when `--fix` removed everything it had to.
    pub fn is_fixed(&self) -> bool {
        !self.fixed.is_empty() && self.fix_error.is_none()
    }
}

/// The result of checking the store.
#[derive(Debug, Serialize)]
pub struct StoreReport {
    /// The store's download folder that was checked.
    pub store: PathBuf,
    /// Module zips looked at.
    pub checked: usize,
    /// Module versions with a problem.
    pub problems: Vec<StoreProblem>,
    /// Zips with no `.ziphash` yet (a download interrupted before Go recorded the hash; Go
    /// hashes the zip again and checks it against `go.sum` on next use).
    pub unrecorded: Vec<PathBuf>,
}

/// Checks every zip in the store at `download` (`<root>/store/download`); with `fix`, removes
/// each bad zip and its `.ziphash`.
pub fn verify(download: &Path, fix: bool) -> StoreReport {
    let mut report = StoreReport {
        store: download.to_path_buf(),
        checked: 0,
        problems: Vec::new(),
        unrecorded: Vec::new(),
    };
    let mut stack = vec![(download.to_path_buf(), String::new())];
    let mut at_vs = Vec::new();
    while let Some((dir, rel)) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in rd.flatten() {
            if !e.file_type().is_ok_and(|t| t.is_dir()) {
                continue;
            }
            let name = e.file_name().to_string_lossy().into_owned();
            if (rel.is_empty() && name == "sumdb") || name.starts_with(fsx::TRASH_PREFIX) {
                continue;
            }
            if name == "@v" {
                at_vs.push((e.path(), rel.clone()));
            } else {
                let r = if rel.is_empty() {
                    name
                } else {
                    format!("{rel}/{name}")
                };
                stack.push((e.path(), r));
            }
        }
    }
    at_vs.sort();
    for (at_v, esc_module) in at_vs {
        let Ok(rd) = std::fs::read_dir(&at_v) else {
            continue;
        };
        let mut versions: Vec<String> = rd
            .flatten()
            .filter_map(|e| {
                let n = e.file_name().to_string_lossy().into_owned();
                n.strip_suffix(".zip").map(str::to_string)
            })
            .collect();
        versions.sort();
        for esc_version in versions {
            report.checked += 1;
            if let Some(mut p) = check_one(&at_v, &esc_module, &esc_version, &mut report) {
                if fix {
                    repair(&at_v, &esc_version, &mut p);
                }
                report.problems.push(p);
            }
        }
    }
    report
}

fn check_one(
    at_v: &Path,
    esc_module: &str,
    esc_version: &str,
    report: &mut StoreReport,
) -> Option<StoreProblem> {
    let zip = at_v.join(format!("{esc_version}.zip"));
    let mut p = StoreProblem {
        module: unescape(esc_module).unwrap_or_else(|| esc_module.to_string()),
        version: unescape(esc_version).unwrap_or_else(|| esc_version.to_string()),
        zip: zip.clone(),
        problem: "",
        recorded: None,
        actual: None,
        error: None,
        fixed: Vec::new(),
        fix_error: None,
    };
    match std::fs::read_to_string(at_v.join(format!("{esc_version}.ziphash"))) {
        Ok(text) => {
            let text = text.trim();
            if !text.starts_with("h1:") || text.len() != 47 {
                p.problem = "malformed-ziphash";
                return Some(p);
            }
            p.recorded = Some(text.to_string());
        }
        Err(_) => report.unrecorded.push(zip.clone()),
    }
    match dirhash::zip_files(&zip) {
        Ok(files) => p.actual = Some(dirhash::hash1(&files)),
        Err(e) => {
            p.problem = "unreadable";
            p.error = Some(e.to_string());
            return Some(p);
        }
    }
    if p.recorded.is_some() && p.recorded != p.actual {
        p.problem = "mismatch";
        return Some(p);
    }
    if !at_v.join(format!("{esc_version}.mod")).is_file() {
        p.problem = "missing-mod";
        return Some(p);
    }
    None
}

/// Removes the zip and its hash (single files; Go never trusts a zip without its `.ziphash`:
/// it downloads both again and checks them against `go.sum`).
fn repair(at_v: &Path, esc_version: &str, p: &mut StoreProblem) {
    for suffix in ["ziphash", "zip"] {
        let f = at_v.join(format!("{esc_version}.{suffix}"));
        match std::fs::remove_file(&f) {
            Ok(()) => p.fixed.push(f),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => p.fix_error = Some(fsx::FsError::new("remove", &f, e).to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn put(download: &Path, module: &str, version: &str, body: &str) -> PathBuf {
        let at_v = download.join(module).join("@v");
        std::fs::create_dir_all(&at_v).unwrap();
        let zip = at_v.join(format!("{version}.zip"));
        let mut w = zip::ZipWriter::new(std::fs::File::create(&zip).unwrap());
        w.start_file(
            format!("{module}@{version}/a.go"),
            zip::write::SimpleFileOptions::default(),
        )
        .unwrap();
        w.write_all(body.as_bytes()).unwrap();
        w.finish().unwrap();
        let h = dirhash::hash1(&dirhash::zip_files(&zip).unwrap());
        std::fs::write(at_v.join(format!("{version}.ziphash")), h).unwrap();
        std::fs::write(at_v.join(format!("{version}.mod")), "module m\n").unwrap();
        zip
    }

    #[test]
    fn a_changed_zip_in_the_store_is_found_and_fixed() {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path().join("download");
        put(&d, "example.com/a", "v1.0.0", "package a");
        let bad = put(&d, "example.com/b", "v1.0.0", "package b");
        std::fs::create_dir_all(d.join("sumdb/sum.golang.org/lookup")).unwrap();
        let r = verify(&d, false);
        assert_eq!((r.checked, r.problems.len()), (2, 0), "{r:?}");

        // Same names, other bytes: the recorded hash no longer matches.
        let old = std::fs::read_to_string(bad.with_extension("ziphash")).unwrap();
        put(&d, "example.com/b", "v1.0.0", "package b // changed");
        std::fs::write(bad.with_extension("ziphash"), &old).unwrap();
        std::fs::remove_file(d.join("example.com/a/@v/v1.0.0.mod")).unwrap();
        let r = verify(&d, false);
        let what: Vec<(&str, &str)> = r
            .problems
            .iter()
            .map(|p| (p.module.as_str(), p.problem))
            .collect();
        assert_eq!(
            what,
            [
                ("example.com/a", "missing-mod"),
                ("example.com/b", "mismatch")
            ]
        );
        assert_eq!(r.problems[1].zip, bad);
        assert!(r.problems[1].describe().contains(old.trim()));

        let r = verify(&d, true);
        assert!(r.problems.iter().all(StoreProblem::is_fixed), "{r:?}");
        assert!(!bad.exists());
        assert!(!bad.with_extension("ziphash").exists());
        assert_eq!(verify(&d, false).problems.len(), 0);
    }
}

//! Real Go SDKs for the end-to-end suite: the folder that `cargo xtask fixtures` builds.
//!
//! The folder holds official-layout archives (`go1.22.12.linux-amd64.tar.gz`, ...), a release
//! index `index.json` in the go.dev/dl format and a `.complete` marker written last, so it can be
//! served as it is by [`crate::mirror::Mirror::serve`] or used as a `file://` mirror.
//!
//! Building the SDKs takes a download and a minute, so the suite does not do it: it finds the
//! folder through `GOMUX_FIXTURES`. Without it a real-Go test says it skipped and passes; with
//! `GOMUX_REQUIRE_FIXTURES=1` (CI) a missing or incomplete folder is a failure, so CI can never
//! pass by silently skipping the tests that matter most.

use std::cmp::Ordering;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// The folder built by `cargo xtask fixtures` (its last line of output).
pub const FIXTURES_VAR: &str = "GOMUX_FIXTURES";
/// `1` turns a missing or incomplete fixtures folder into a test failure instead of a skip.
pub const REQUIRE_VAR: &str = "GOMUX_REQUIRE_FIXTURES";
/// Written last by `cargo xtask fixtures`: a folder without it is incomplete.
pub const MARKER: &str = ".complete";
/// The release index inside the folder.
pub const INDEX: &str = "index.json";

/// One SDK archive of the fixtures folder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FixtureToolchain {
    /// The toolchain name, as in the archive's `go/VERSION`: `go1.22.12`.
    pub name: String,
    pub archive_path: PathBuf,
    /// `go1.22.12.linux-amd64.tar.gz`.
    pub file_name: String,
    /// Lowercase hex, as the index lists it.
    pub sha256: String,
    pub size: u64,
}

/// A complete fixtures folder.
#[derive(Clone, Debug)]
pub struct Fixtures {
    dir: PathBuf,
    toolchains: Vec<FixtureToolchain>,
}

/// What [`Fixtures::locate`] decided, kept apart from the environment so it can be tested.
#[derive(Debug)]
enum Located {
    Found(Fixtures),
    Skip(String),
    Fail(String),
}

impl Fixtures {
    /// The fixtures named by `GOMUX_FIXTURES`, or `None` after printing why `test` is skipped.
    ///
    /// Panics when `GOMUX_REQUIRE_FIXTURES=1` and the folder is missing or incomplete.
    pub fn locate(test: &str) -> Option<Fixtures> {
        let dir = std::env::var_os(FIXTURES_VAR)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from);
        let required = std::env::var_os(REQUIRE_VAR).is_some_and(|v| v == "1" || v == "true");
        match decide(test, dir, required) {
            Located::Found(fixtures) => Some(fixtures),
            Located::Skip(message) => {
                eprintln!("{message}");
                None
            }
            Located::Fail(message) => panic!("{message}"),
        }
    }

    /// Opens a fixtures folder: the marker must be there, the index must parse and every archive
    /// it lists must exist with the listed size.
    pub fn open(dir: &Path) -> Result<Fixtures, String> {
        if !dir.is_dir() {
            return Err(format!("`{}` is not a folder", dir.display()));
        }
        if !dir.join(MARKER).is_file() {
            return Err(format!(
                "`{}` is incomplete (no `{MARKER}`: the build did not finish)",
                dir.display()
            ));
        }
        let index = dir.join(INDEX);
        let text = std::fs::read_to_string(&index)
            .map_err(|e| format!("cannot read `{}`: {e}", index.display()))?;
        let toolchains =
            parse_index(dir, &text).map_err(|e| format!("`{}`: {e}", index.display()))?;
        if toolchains.is_empty() {
            return Err(format!("`{}` lists no archive", index.display()));
        }
        for t in &toolchains {
            let size = std::fs::metadata(&t.archive_path)
                .map_err(|e| format!("`{}` is missing: {e}", t.archive_path.display()))?
                .len();
            if size != t.size {
                return Err(format!(
                    "`{}` has {size} bytes, the index says {}",
                    t.archive_path.display(),
                    t.size
                ));
            }
        }
        Ok(Fixtures {
            dir: dir.to_path_buf(),
            toolchains,
        })
    }

    /// The folder: serve it with [`crate::mirror::Mirror::serve`], or use [`Fixtures::file_url`].
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The folder as a `file://` mirror base (the index is `<base>/index.json`).
    pub fn file_url(&self) -> String {
        let path = self.dir.to_string_lossy().replace('\\', "/");
        if path.starts_with('/') {
            format!("file://{path}")
        } else {
            format!("file:///{path}")
        }
    }

    /// Every toolchain, oldest first.
    pub fn toolchains(&self) -> Vec<FixtureToolchain> {
        self.toolchains.clone()
    }

    /// One toolchain by name, or a panic listing the ones there are.
    pub fn toolchain(&self, name: &str) -> &FixtureToolchain {
        self.toolchains
            .iter()
            .find(|t| t.name == name)
            .unwrap_or_else(|| {
                let have: Vec<&str> = self.toolchains.iter().map(|t| t.name.as_str()).collect();
                panic!(
                    "no fixture toolchain `{name}` in `{}` (it has {have:?})",
                    self.dir.display()
                )
            })
    }

    /// A GOROOT of toolchain `name` to link and build with but never change: unpacked once
    /// into `<fixtures>/unpacked/<name>/go` and reused by every test and every later run, which
    /// saves an unpack (tens of seconds) per test. Concurrent callers race safely: each
    /// unpacks into its own temp folder and the first rename wins.
    pub fn shared_sdk(&self, name: &str) -> PathBuf {
        let parent = self.dir.join("unpacked");
        let done = parent.join(name);
        let goroot = done.join("go");
        if goroot.join("VERSION").is_file() {
            return goroot;
        }
        std::fs::create_dir_all(&parent)
            .unwrap_or_else(|e| panic!("cannot create `{}`: {e}", parent.display()));
        let staging = tempfile::Builder::new()
            .prefix(".unpack-")
            .tempdir_in(&parent)
            .unwrap_or_else(|e| panic!("cannot create a folder in `{}`: {e}", parent.display()));
        self.unpack(name, staging.path());
        // Another test may have finished first: then its copy is used and ours is dropped.
        let _ = std::fs::rename(staging.path().join(name), &done);
        assert!(
            goroot.join("VERSION").is_file(),
            "`{}` is missing after unpacking",
            goroot.display()
        );
        goroot
    }

    /// Extracts toolchain `name` into `dest_parent/<name>/` and returns the GOROOT
    /// (`dest_parent/<name>/go`). The archive's sha256 is checked on the way.
    pub fn unpack(&self, name: &str, dest_parent: &Path) -> PathBuf {
        let toolchain = self.toolchain(name);
        let dest = dest_parent.join(name);
        std::fs::create_dir_all(&dest)
            .unwrap_or_else(|e| panic!("cannot create `{}`: {e}", dest.display()));
        let file = File::open(&toolchain.archive_path)
            .unwrap_or_else(|e| panic!("cannot open `{}`: {e}", toolchain.archive_path.display()));
        let mut reader = HashingReader {
            inner: BufReader::with_capacity(1 << 20, file),
            hasher: Sha256::new(),
        };
        {
            let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(&mut reader));
            let entries = archive.entries().unwrap_or_else(|e| {
                panic!("cannot read `{}`: {e}", toolchain.archive_path.display())
            });
            for entry in entries {
                let mut entry = entry.unwrap_or_else(|e| {
                    panic!("cannot read `{}`: {e}", toolchain.archive_path.display())
                });
                extract(&mut entry, &dest).unwrap_or_else(|e| {
                    panic!(
                        "cannot unpack `{}` into `{}`: {e}",
                        toolchain.archive_path.display(),
                        dest.display()
                    )
                });
            }
        }
        std::io::copy(&mut reader, &mut std::io::sink())
            .unwrap_or_else(|e| panic!("cannot read `{}`: {e}", toolchain.archive_path.display()));
        let sha256 = gomux_home::text::hex(&reader.hasher.finalize());
        assert_eq!(
            sha256,
            toolchain.sha256,
            "`{}` does not match its index entry: rebuild with `cargo xtask fixtures`",
            toolchain.archive_path.display()
        );
        let goroot = dest.join("go");
        let version = std::fs::read_to_string(goroot.join("VERSION")).unwrap_or_default();
        assert_eq!(
            version.lines().next(),
            Some(name),
            "`{}` unpacked without a `go/VERSION` naming `{name}`",
            toolchain.archive_path.display()
        );
        goroot
    }
}

/// Writes one archive entry under `dest`: only files and folders with plain relative paths
/// under `go/`. Leaner than `tar::Archive::unpack` (no mtimes, no per-entry path
/// canonicalisation), which matters for the 13,000 files of an SDK.
fn extract(entry: &mut tar::Entry<impl Read>, dest: &Path) -> Result<(), String> {
    let path = entry.path().map_err(|e| e.to_string())?.into_owned();
    let kind = entry.header().entry_type();
    let plain = path
        .components()
        .all(|c| matches!(c, std::path::Component::Normal(_)));
    if !plain || !path.starts_with("go") || !(kind.is_file() || kind.is_dir()) {
        return Err(format!("unexpected entry `{}` ({kind:?})", path.display()));
    }
    let target = dest.join(&path);
    if kind.is_dir() {
        return std::fs::create_dir_all(&target)
            .map_err(|e| format!("cannot create `{}`: {e}", target.display()));
    }
    if let Some(parent) = target.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| format!("cannot create `{}`: {e}", parent.display()))?;
    }
    let mut options = File::options();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        let mode = entry.header().mode().map_err(|e| e.to_string())?;
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, mode & 0o777);
    }
    let mut file = options
        .open(&target)
        .map_err(|e| format!("cannot create `{}`: {e}", target.display()))?;
    std::io::copy(entry, &mut file)
        .map_err(|e| format!("cannot write `{}`: {e}", target.display()))?;
    Ok(())
}

fn decide(test: &str, dir: Option<PathBuf>, required: bool) -> Located {
    let problem = match &dir {
        None => format!("`{FIXTURES_VAR}` is not set"),
        Some(dir) => match Fixtures::open(dir) {
            Ok(fixtures) => return Located::Found(fixtures),
            Err(problem) => problem,
        },
    };
    if required {
        return Located::Fail(format!(
            "real-Go test {test} cannot run: {problem}\n\
             {REQUIRE_VAR}=1 makes missing fixtures a failure. Build them with \
             `cargo xtask fixtures` and set {FIXTURES_VAR} to the folder it prints (its last line):\n  \
             export {FIXTURES_VAR}=\"$(cargo xtask fixtures | tail -n 1)\""
        ));
    }
    match dir {
        None => Located::Skip(format!(
            "skipped: real-Go test {test}: set {FIXTURES_VAR} (cargo xtask fixtures prints the folder)"
        )),
        Some(_) => Located::Skip(format!(
            "skipped: real-Go test {test}: {problem}; rebuild with `cargo xtask fixtures`"
        )),
    }
}

/// Reads the go.dev/dl JSON index of a fixtures folder into its toolchains, oldest first.
fn parse_index(dir: &Path, text: &str) -> Result<Vec<FixtureToolchain>, String> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let releases = value.as_array().ok_or("not a JSON array of releases")?;
    let mut toolchains = Vec::new();
    for release in releases {
        let version = release["version"]
            .as_str()
            .ok_or("a release has no `version`")?;
        let files = release["files"]
            .as_array()
            .ok_or_else(|| format!("release `{version}` has no `files`"))?;
        for file in files.iter().filter(|f| f["kind"] == "archive") {
            let field = |key: &str| {
                file[key]
                    .as_str()
                    .ok_or_else(|| format!("a file of `{version}` has no `{key}`"))
            };
            let file_name = field("filename")?;
            let sha256 = field("sha256")?;
            let size = file["size"]
                .as_u64()
                .ok_or_else(|| format!("`{file_name}` has no `size`"))?;
            let plain = !file_name.is_empty()
                && !file_name.starts_with('.')
                && !file_name.contains(['/', '\\']);
            if !plain {
                return Err(format!("`{file_name}` is not a plain file name"));
            }
            let hex = sha256.len() == 64
                && sha256
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
            if !hex {
                return Err(format!("`{file_name}` has a malformed sha256 `{sha256}`"));
            }
            if field("version")? != version {
                return Err(format!("`{file_name}` is listed under another release"));
            }
            toolchains.push(FixtureToolchain {
                name: version.to_string(),
                archive_path: dir.join(file_name),
                file_name: file_name.to_string(),
                sha256: sha256.to_string(),
                size,
            });
        }
    }
    toolchains.sort_by(|a, b| compare_names(&a.name, &b.name));
    Ok(toolchains)
}

/// Go's release order for plain release names (`go1.9.2` < `go1.21rc1` < `go1.21.0`).
fn compare_names(a: &str, b: &str) -> Ordering {
    release_key(a).cmp(&release_key(b))
}

/// `(major, minor, patch, kind, pre)`; a missing patch is -1 (sorts first) except for a plain
/// pre-1.21 `go1.N`, which is `go1.N.0`.
fn release_key(name: &str) -> (u64, u64, i64, String, u64) {
    let v = name.strip_prefix("go").unwrap_or(name);
    let digits = |s: &str| -> (u64, usize) {
        let n = s.bytes().take_while(u8::is_ascii_digit).count();
        (s[..n].parse().unwrap_or(0), n)
    };
    let (major, n) = digits(v);
    let rest = v[n..].strip_prefix('.').unwrap_or(&v[n..]);
    let (minor, n) = digits(rest);
    let rest = &rest[n..];
    if let Some(patch) = rest.strip_prefix('.') {
        return (major, minor, digits(patch).0 as i64, String::new(), 0);
    }
    let kind: String = rest
        .chars()
        .take_while(|c| c.is_ascii_lowercase())
        .collect();
    let (pre, _) = digits(&rest[kind.len()..]);
    let patch = if kind.is_empty() && minor < 21 { 0 } else { -1 };
    (major, minor, patch, kind, pre)
}

struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn release(name: &str, file_name: &str, sha256: &str, size: u64) -> serde_json::Value {
        serde_json::json!({
            "version": name,
            "stable": true,
            "files": [
                {"filename": format!("{name}.src.tar.gz"), "os": "", "arch": "", "version": name,
                 "sha256": "0".repeat(64), "size": 1, "kind": "source"},
                {"filename": file_name, "os": "linux", "arch": "amd64", "version": name,
                 "sha256": sha256, "size": size, "kind": "archive"}
            ]
        })
    }

    fn index(releases: &[serde_json::Value]) -> String {
        serde_json::to_string_pretty(&releases).unwrap()
    }

    #[test]
    fn index_gives_archives_oldest_first() {
        let dir = Path::new("/fx");
        let a = "a".repeat(64);
        let text = index(&[
            release("go1.23.5", "go1.23.5.linux-amd64.tar.gz", &a, 30),
            release("go1.22.12", "go1.22.12.linux-amd64.tar.gz", &a, 20),
            release("go1.22rc1", "go1.22rc1.linux-amd64.tar.gz", &a, 15),
            release("go1.9.2", "go1.9.2.linux-amd64.tar.gz", &a, 10),
        ]);
        let toolchains = parse_index(dir, &text).unwrap();
        let names: Vec<&str> = toolchains.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["go1.9.2", "go1.22rc1", "go1.22.12", "go1.23.5"]);
        assert_eq!(
            toolchains[2],
            FixtureToolchain {
                name: "go1.22.12".into(),
                archive_path: dir.join("go1.22.12.linux-amd64.tar.gz"),
                file_name: "go1.22.12.linux-amd64.tar.gz".into(),
                sha256: a.clone(),
                size: 20,
            }
        );
    }

    #[test]
    fn release_order_follows_go() {
        let mut names = vec![
            "go1.21.0",
            "go1.20",
            "go1.21rc2",
            "go1.10",
            "go1.9.2",
            "go1.20.1",
            "go1.21.10",
            "go1.21.2",
        ];
        names.sort_by(|a, b| compare_names(a, b));
        assert_eq!(
            names,
            [
                "go1.9.2",
                "go1.10",
                "go1.20",
                "go1.20.1",
                "go1.21rc2",
                "go1.21.0",
                "go1.21.2",
                "go1.21.10"
            ]
        );
    }

    #[test]
    fn malformed_indexes_are_refused() {
        let good_sha = "b".repeat(64);
        for (text, needle) in [
            ("{}".to_string(), "array"),
            ("not json".to_string(), "not JSON"),
            (index(&[release("go1.22.1", "../go1.22.1.tar.gz", &good_sha, 1)]), "plain file name"),
            (index(&[release("go1.22.1", "go1.22.1.linux-amd64.tar.gz", "abc", 1)]), "malformed sha256"),
            (
                index(&[release("go1.22.1", "go1.22.1.linux-amd64.tar.gz", &"B".repeat(64), 1)]),
                "malformed sha256",
            ),
            (r#"[{"version": "go1.22.1"}]"#.to_string(), "no `files`"),
            (
                r#"[{"version": "go1.22.1", "files": [{"filename": "x.tar.gz", "kind": "archive"}]}]"#.to_string(),
                "no `sha256`",
            ),
        ] {
            let err = parse_index(Path::new("/fx"), &text).unwrap_err();
            assert!(err.contains(needle), "{err} (wanted {needle})");
        }
    }

    /// A fixtures folder with one small archive whose `go/VERSION` says `name`.
    fn folder(name: &str) -> (tempfile::TempDir, FixtureToolchain) {
        let tmp = tempfile::tempdir().unwrap();
        let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(
            Vec::new(),
            flate2::Compression::fast(),
        ));
        let version = format!("{name}\ntime 2025-01-10T16:44:59Z\n");
        for (path, data, mode) in [
            ("go/", &b""[..], 0o755),
            ("go/bin/", b"", 0o755),
            ("go/VERSION", version.as_bytes(), 0o644),
            ("go/bin/go", b"#!/bin/sh\n", 0o755),
        ] {
            let mut header = tar::Header::new_gnu();
            header.set_entry_type(if path.ends_with('/') {
                tar::EntryType::Directory
            } else {
                tar::EntryType::Regular
            });
            header.set_mode(mode);
            header.set_size(data.len() as u64);
            builder.append_data(&mut header, path, data).unwrap();
        }
        let bytes = builder.into_inner().unwrap().finish().unwrap();
        let file_name = format!("{name}.linux-amd64.tar.gz");
        std::fs::write(tmp.path().join(&file_name), &bytes).unwrap();
        let sha256 = gomux_home::text::hex(&Sha256::digest(&bytes));
        let text = index(&[release(name, &file_name, &sha256, bytes.len() as u64)]);
        std::fs::write(tmp.path().join(INDEX), text).unwrap();
        std::fs::write(tmp.path().join(MARKER), "key test\n").unwrap();
        let toolchain = FixtureToolchain {
            name: name.into(),
            archive_path: tmp.path().join(&file_name),
            file_name,
            sha256,
            size: bytes.len() as u64,
        };
        (tmp, toolchain)
    }

    #[test]
    fn a_complete_folder_opens_and_unpacks_to_a_goroot() {
        let (tmp, toolchain) = folder("go1.99.0");
        let fixtures = Fixtures::open(tmp.path()).unwrap();
        assert_eq!(fixtures.toolchains(), [toolchain]);
        assert_eq!(
            fixtures.file_url(),
            format!("file://{}", tmp.path().display())
        );
        let dest = tempfile::tempdir().unwrap();
        let goroot = fixtures.unpack("go1.99.0", dest.path());
        assert_eq!(goroot, dest.path().join("go1.99.0").join("go"));
        assert!(goroot.join("bin/go").is_file());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(goroot.join("bin/go"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o111, 0o111, "bin/go is not executable");
        }
    }

    #[test]
    #[should_panic(expected = "does not match its index entry")]
    fn unpack_checks_the_sha256() {
        let (tmp, _) = folder("go1.99.0");
        let index_path = tmp.path().join(INDEX);
        let text = std::fs::read_to_string(&index_path).unwrap();
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        let real = value[0]["files"][1]["sha256"].as_str().unwrap().to_string();
        std::fs::write(&index_path, text.replace(&real, &"c".repeat(64))).unwrap();
        let fixtures = Fixtures::open(tmp.path()).unwrap();
        fixtures.unpack("go1.99.0", tempfile::tempdir().unwrap().path());
    }

    #[test]
    fn unpack_refuses_links() {
        let mut builder = tar::Builder::new(Vec::new());
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(tar::EntryType::Symlink);
        header.set_size(0);
        builder
            .append_link(&mut header, "go/evil", "/etc/passwd")
            .unwrap();
        let bytes = builder.into_inner().unwrap();
        let dest = tempfile::tempdir().unwrap();
        let mut archive = tar::Archive::new(&bytes[..]);
        let mut entries = archive.entries().unwrap();
        let err = extract(&mut entries.next().unwrap().unwrap(), dest.path()).unwrap_err();
        assert!(err.contains("unexpected entry `go/evil`"), "{err}");
        assert!(!dest.path().join("go/evil").exists());
    }

    #[test]
    fn incomplete_folders_are_refused() {
        let (tmp, toolchain) = folder("go1.99.0");
        std::fs::write(&toolchain.archive_path, b"short").unwrap();
        let err = Fixtures::open(tmp.path()).unwrap_err();
        assert!(err.contains("the index says"), "{err}");
        std::fs::remove_file(&toolchain.archive_path).unwrap();
        let err = Fixtures::open(tmp.path()).unwrap_err();
        assert!(err.contains("is missing"), "{err}");
        std::fs::remove_file(tmp.path().join(MARKER)).unwrap();
        let err = Fixtures::open(tmp.path()).unwrap_err();
        assert!(err.contains("incomplete"), "{err}");
    }

    #[test]
    fn missing_fixtures_skip_or_fail_as_asked() {
        match decide("demo", None, false) {
            Located::Skip(message) => assert_eq!(
                message,
                "skipped: real-Go test demo: set GOMUX_FIXTURES (cargo xtask fixtures prints the folder)"
            ),
            other => panic!("{other:?}"),
        }
        match decide("demo", None, true) {
            Located::Fail(message) => {
                assert!(message.contains("`GOMUX_FIXTURES` is not set"), "{message}");
                assert!(message.contains("cargo xtask fixtures"), "{message}");
            }
            other => panic!("{other:?}"),
        }
        let empty = tempfile::tempdir().unwrap();
        match decide("demo", Some(empty.path().to_path_buf()), false) {
            Located::Skip(message) => assert!(message.contains("incomplete"), "{message}"),
            other => panic!("{other:?}"),
        }
        match decide("demo", Some(empty.path().to_path_buf()), true) {
            Located::Fail(message) => assert!(message.contains("incomplete"), "{message}"),
            other => panic!("{other:?}"),
        }
        let (tmp, _) = folder("go1.99.0");
        match decide("demo", Some(tmp.path().to_path_buf()), true) {
            Located::Found(fixtures) => assert_eq!(fixtures.dir(), tmp.path()),
            other => panic!("{other:?}"),
        }
    }
}

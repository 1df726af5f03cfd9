//! The release index in the go.dev/dl JSON format (`?mode=json&include=all`).
//!
//! The listing comes from a server gomux may not trust completely, so parsing is lenient
//! about shape and strict about content: a release whose version is not a valid Go version is
//! skipped (the official listing has a few irregular ones), and a file whose name could escape
//! a URL or a folder, or whose hash is not 64 hex digits, loses its hash or is skipped.

use std::cmp::Ordering;

use gomux_version::Request;
use serde::{Deserialize, Serialize};

use crate::platform::Platform;

/// One release: `go1.22.3` and its files.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Release {
    /// The toolchain name (`go1.22.3`).
    pub version: String,
    /// True for a stable release (never for a beta or rc).
    pub stable: bool,
    /// Its files whose names are safe (archives, installers, source), in the index's order.
    pub files: Vec<File>,
}

/// One downloadable file of a release.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct File {
    /// The file name on the download server (`go1.22.3.linux-amd64.tar.gz`); always a safe
    /// URL segment and path component starting with `go`.
    pub filename: String,
    /// Its GOOS as the index spells it (`linux`, `darwin`); empty when it gives none (the
    /// source archive).
    pub os: String,
    /// Its GOARCH as the index spells it (`amd64`, `armv6l`); empty when it gives none.
    pub arch: String,
    /// Lowercase hex SHA-256; `None` when the index has none (very old files) or a malformed
    /// one.
    pub sha256: Option<String>,
    /// A `sha256` value that is not 64 hex digits, as the index gave it (escaped and cut for
    /// messages), so that the file is reported as a malformed entry rather than an unlisted one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bad_sha256: Option<String>,
    /// Its length in bytes as the index claims it (0 when missing); shown, never checked.
    pub size: u64,
    /// `archive`, `installer` or `source`.
    pub kind: String,
}

/// A parsed release index, newest release first.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Index {
    /// Every valid release, newest first, each version once.
    pub releases: Vec<Release>,
}

#[derive(Deserialize)]
struct RawRelease {
    version: String,
    #[serde(default)]
    stable: bool,
    #[serde(default)]
    files: Vec<serde_json::Value>,
}

#[derive(Deserialize)]
struct RawFile {
    filename: String,
    #[serde(default)]
    os: String,
    #[serde(default)]
    arch: String,
    #[serde(default)]
    sha256: String,
    #[serde(default)]
    size: u64,
    #[serde(default)]
    kind: String,
}

/// True for a lowercase or uppercase 64-digit hex string.
pub fn is_sha256(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The sha256 a checksum file (`<file>.sha256`, as `sha256sum` writes it) fetched from `url`
/// names: its first word, lower-cased.
pub(crate) fn sha256_file_value(bytes: &[u8], url: &str) -> Result<String, crate::DistError> {
    let text = String::from_utf8_lossy(bytes);
    let first = text.split_whitespace().next().unwrap_or_default();
    if !is_sha256(first) {
        return Err(crate::DistError::BadChecksum {
            value: gomux_home::text::escape_max(first, 80),
            url: url.to_string(),
        });
    }
    Ok(first.to_ascii_lowercase())
}

/// True for a file name that is safe as one URL segment and one path component, and is
/// shaped like a Go release file.
fn is_safe_filename(name: &str) -> bool {
    gomux_version::is_safe_name(name) && name.starts_with("go")
}

impl Index {
    /// Parses the JSON listing. Only a body that is not a JSON array at all is an error;
    /// malformed or irregular entries are skipped.
    pub fn parse(json: &[u8]) -> Result<Index, String> {
        let items: Vec<serde_json::Value> = serde_json::from_slice(json)
            .map_err(|e| format!("expected a JSON array of releases: {e}"))?;
        let mut releases = Vec::new();
        for item in items {
            let Ok(raw) = serde_json::from_value::<RawRelease>(item) else {
                continue;
            };
            let Some(v) = gomux_version::from_toolchain(&raw.version) else {
                continue;
            };
            if !gomux_version::is_safe_name(&raw.version) || raw.version != format!("go{v}") {
                // Suffixed names (`go1.21.0-custom`) are fine on disk but are not releases.
                continue;
            }
            let prerelease = gomux_version::Version::parse(v).is_some_and(|p| p.is_prerelease());
            let files = raw
                .files
                .into_iter()
                .filter_map(|f| serde_json::from_value::<RawFile>(f).ok())
                .filter(|f| is_safe_filename(&f.filename))
                .map(|f| File {
                    sha256: is_sha256(&f.sha256).then(|| f.sha256.to_ascii_lowercase()),
                    bad_sha256: (!f.sha256.is_empty() && !is_sha256(&f.sha256))
                        .then(|| gomux_home::text::escape(&f.sha256)),
                    filename: f.filename,
                    os: f.os,
                    arch: f.arch,
                    size: f.size,
                    kind: f.kind,
                })
                .collect();
            releases.push(Release {
                stable: raw.stable && !prerelease,
                version: raw.version,
                files,
            });
        }
        // Newest first, whatever order the server used; stable sort keeps duplicates' order.
        releases.sort_by(|a, b| gomux_version::compare_names(&b.version, &a.version));
        releases.dedup_by(|a, b| a.version == b.version);
        Ok(Index { releases })
    }

    /// The release called `name` (`go1.22.3`).
    pub fn release(&self, name: &str) -> Option<&Release> {
        self.releases.iter().find(|r| r.version == name)
    }

    /// Releases that have an archive for `platform`, newest first; stable ones only unless
    /// `all`.
    pub fn available<'a>(
        &'a self,
        platform: &Platform,
        all: bool,
    ) -> impl Iterator<Item = (&'a Release, &'a File)> + 'a {
        let platform = platform.clone();
        self.releases
            .iter()
            .filter(move |r| all || r.stable)
            .filter_map(move |r| r.archive_for(&platform).map(|f| (r, f)))
    }

    /// The newest stable release with an archive for `platform`.
    pub fn latest(&self, platform: &Platform) -> Option<&Release> {
        self.available(platform, false).map(|(r, _)| r).next()
    }

    /// The release a request names: the exact one, or the newest stable member of a family
    /// that has an archive for `platform`.
    pub fn pick(&self, request: &Request, platform: &Platform) -> Option<&Release> {
        match request {
            Request::Exact(name) => self.release(name),
            Request::Family(_) => {
                let names = self
                    .available(platform, true)
                    .map(|(r, _)| r.version.as_str());
                let best = request.pick(names)?;
                self.release(best)
            }
        }
    }
}

impl Release {
    /// The binary archive of this release for `platform` (`kind == "archive"`).
    pub fn archive_for(&self, platform: &Platform) -> Option<&File> {
        let ext = format!(".{}", platform.archive_ext());
        self.files.iter().find(|f| {
            f.kind == "archive"
                && f.os == platform.os
                && f.arch == platform.arch
                && f.filename.ends_with(&ext)
        })
    }

    /// Orders releases newest first.
    pub fn newest_first(a: &Release, b: &Release) -> Ordering {
        gomux_version::compare_names(&b.version, &a.version)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"[
 {"version": "go1.23rc1", "stable": false, "files": [
   {"filename": "go1.23rc1.linux-amd64.tar.gz", "os": "linux", "arch": "amd64", "version": "go1.23rc1",
    "sha256": "1111111111111111111111111111111111111111111111111111111111111111", "size": 10, "kind": "archive"}]},
 {"version": "go1.22.3", "stable": true, "files": [
   {"filename": "go1.22.3.src.tar.gz", "os": "", "arch": "", "version": "go1.22.3",
    "sha256": "2222222222222222222222222222222222222222222222222222222222222222", "size": 10, "kind": "source"},
   {"filename": "go1.22.3.darwin-arm64.pkg", "os": "darwin", "arch": "arm64", "version": "go1.22.3",
    "sha256": "3333333333333333333333333333333333333333333333333333333333333333", "size": 10, "kind": "installer"},
   {"filename": "go1.22.3.linux-amd64.tar.gz", "os": "linux", "arch": "amd64", "version": "go1.22.3",
    "sha256": "ABCDEF1111111111111111111111111111111111111111111111111111111111", "size": 10, "kind": "archive"},
   {"filename": "go1.22.3.linux-armv6l.tar.gz", "os": "linux", "arch": "armv6l", "version": "go1.22.3",
    "sha256": "5555555555555555555555555555555555555555555555555555555555555555", "size": 10, "kind": "archive"},
   {"filename": "go1.22.3.windows-amd64.zip", "os": "windows", "arch": "amd64", "version": "go1.22.3",
    "sha256": "", "size": 10, "kind": "archive"}]},
 {"version": "go1.22.10", "stable": true, "files": [
   {"filename": "go1.22.10.linux-amd64.tar.gz", "os": "linux", "arch": "amd64", "version": "go1.22.10",
    "sha256": "not-a-hash", "size": 10, "kind": "archive"},
   {"filename": "../../etc/passwd", "os": "linux", "arch": "arm64", "kind": "archive"},
   {"os": "linux"}]},
 {"version": "go1.22.11", "stable": true, "files": [
   {"filename": "go1.22.11.linux-arm64.tar.gz", "os": "linux", "arch": "arm64", "kind": "archive"}]},
 {"version": "go1.9.2rc2", "stable": false, "files": []},
 {"version": "go1.21rc2", "stable": true, "files": []},
 {"version": "../go1.20", "stable": true, "files": []},
 {"version": "go1.20", "stable": true, "files": [
   {"filename": "go1.20.linux-amd64.tar.gz", "os": "linux", "arch": "amd64", "version": "go1.20",
    "sha256": "4444444444444444444444444444444444444444444444444444444444444444", "size": 10, "kind": "archive"}]},
 {"nonsense": true},
 "text"
]"#;

    fn linux() -> Platform {
        Platform::new("linux", "amd64")
    }

    #[test]
    fn parses_and_skips_irregular_entries() {
        let idx = Index::parse(SAMPLE.as_bytes()).unwrap();
        let names: Vec<&str> = idx.releases.iter().map(|r| r.version.as_str()).collect();
        assert_eq!(
            names,
            [
                "go1.23rc1",
                "go1.22.11",
                "go1.22.10",
                "go1.22.3",
                "go1.21rc2",
                "go1.20"
            ]
        );
        // `stable` is never true for a prerelease, whatever the server says.
        assert!(!idx.release("go1.21rc2").unwrap().stable);
        let r = idx.release("go1.22.3").unwrap();
        let f = r.archive_for(&linux()).unwrap();
        assert_eq!(f.filename, "go1.22.3.linux-amd64.tar.gz");
        assert_eq!(
            f.sha256.as_deref(),
            Some("abcdef1111111111111111111111111111111111111111111111111111111111")
        );
        assert_eq!(
            r.archive_for(&Platform::new("linux", "armv6l"))
                .unwrap()
                .filename,
            "go1.22.3.linux-armv6l.tar.gz"
        );
        let win = r.archive_for(&Platform::new("windows", "amd64")).unwrap();
        assert_eq!(win.sha256, None);
        assert!(r.archive_for(&Platform::new("darwin", "arm64")).is_none());
        // A bad hash is dropped, a path-like file name is skipped, a file without a name too.
        let r = idx.release("go1.22.10").unwrap();
        assert_eq!(r.files.len(), 1);
        assert_eq!(r.files[0].sha256, None);
        assert_eq!(r.files[0].bad_sha256.as_deref(), Some("not-a-hash"));
        assert_eq!(win.bad_sha256, None, "an empty sha256 is a missing one");
        assert!(Index::parse(b"{}").is_err());
        assert!(Index::parse(b"[]").unwrap().releases.is_empty());
    }

    #[test]
    fn resolves_requests_per_platform() {
        let idx = Index::parse(SAMPLE.as_bytes()).unwrap();
        let arm = Platform::new("linux", "arm64");
        assert_eq!(idx.latest(&linux()).unwrap().version, "go1.22.10");
        assert_eq!(idx.latest(&arm).unwrap().version, "go1.22.11");
        let req = |s| Request::parse(s).unwrap();
        assert_eq!(
            idx.pick(&req("1.22"), &linux()).unwrap().version,
            "go1.22.10"
        );
        assert_eq!(idx.pick(&req("1.22"), &arm).unwrap().version, "go1.22.11");
        assert_eq!(idx.pick(&req("1.20"), &linux()).unwrap().version, "go1.20");
        assert_eq!(
            idx.pick(&req("1.20.0"), &linux()).unwrap().version,
            "go1.20"
        );
        assert!(idx.pick(&req("1.23"), &linux()).is_none());
        assert_eq!(
            idx.pick(&req("1.23rc1"), &linux()).unwrap().version,
            "go1.23rc1"
        );
        assert!(idx.pick(&req("1.19"), &linux()).is_none());
        let all: Vec<&str> = idx
            .available(&linux(), true)
            .map(|(r, _)| r.version.as_str())
            .collect();
        assert_eq!(all, ["go1.23rc1", "go1.22.10", "go1.22.3", "go1.20"]);
        let stable: Vec<&str> = idx
            .available(&linux(), false)
            .map(|(r, _)| r.version.as_str())
            .collect();
        assert_eq!(stable, ["go1.22.10", "go1.22.3", "go1.20"]);
    }

    #[test]
    fn round_trips_through_the_cache_format() {
        let idx = Index::parse(SAMPLE.as_bytes()).unwrap();
        let text = serde_json::to_string(&idx).unwrap();
        let back: Index = serde_json::from_str(&text).unwrap();
        assert_eq!(back, idx);
    }
}

//! Go's own settings lookup: the process environment, then the user's `go env -w` file.
//!
//! Go reads a setting from the environment when it is non-empty, else from the file that
//! `go env -w` writes (`$GOENV`, else the user config dir's `go/env`). gomux reads the same
//! file the same way, so `go env -w GOTOOLCHAIN=...` or `GOWORK` steer gomux as they steer Go.
//!
//! Go reads that file whole (`os.ReadFile`) and ignores it when it cannot be read: a missing
//! file, one it may not read or a folder count as no settings. gomux does the same, and also
//! ignores what Go would hang on or read without end — a FIFO, a device, a file larger than
//! [`FILE_LIMIT`] — so that no file can stop every `go` call in gomux itself; the reason is
//! kept ([`GoEnvFile::problem`]) for `gomux doctor`.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use crate::fsx;

/// The most of a `go env -w` file gomux reads. `go env -w` writes one short `KEY=VALUE` line
/// per setting (a few hundred bytes); 1 MiB is thousands of times that, while a sparse or
/// endless file costs the proxy nothing.
pub const FILE_LIMIT: u64 = 1024 * 1024;

/// Where a Go setting's value came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// The process environment.
    Env,
    /// The user's `go env -w` file.
    File(PathBuf),
}

/// The location of the user's `go env -w` file, as Go computes it, or `None` when
/// `GOENV=off` or no home is known.
pub fn file_path(get: &dyn Fn(&str) -> Option<OsString>) -> Option<PathBuf> {
    file_path_from(get, None)
}

/// [`file_path`] for a Go release that takes a relative `$XDG_CONFIG_HOME` as it is, relative
/// to `relative_to` (the working directory Go started in): Go up to 1.23. From 1.24
/// (`os.UserConfigDir`'s `IsAbs` check) a relative one means no file, which `None` gives.
pub fn file_path_from(
    get: &dyn Fn(&str) -> Option<OsString>,
    relative_to: Option<&Path>,
) -> Option<PathBuf> {
    let non_empty = |k: &str| get(k).filter(|v| !v.is_empty());
    if let Some(goenv) = non_empty("GOENV") {
        if goenv == "off" {
            return None;
        }
        return Some(PathBuf::from(goenv));
    }
    if !cfg!(any(windows, target_os = "macos"))
        && let (Some(base), Some(x)) = (relative_to, non_empty("XDG_CONFIG_HOME"))
        && !Path::new(&x).is_absolute()
    {
        return Some(base.join(x).join("go").join("env"));
    }
    config_dir(&non_empty).map(|d| d.join("go").join("env"))
}

fn config_dir(get: &dyn Fn(&str) -> Option<OsString>) -> Option<PathBuf> {
    if cfg!(windows) {
        return get("APPDATA").map(PathBuf::from);
    }
    if cfg!(target_os = "macos") {
        return get("HOME").map(|h| PathBuf::from(h).join("Library/Application Support"));
    }
    // Go's `os.UserConfigDir`: a relative `$XDG_CONFIG_HOME` is an error, and then there is
    // no `go env -w` file at all (not a fall-back to `$HOME/.config`).
    if let Some(x) = get("XDG_CONFIG_HOME").map(PathBuf::from) {
        return x.is_absolute().then_some(x);
    }
    get("HOME").map(|h| PathBuf::from(h).join(".config"))
}

/// The parsed `go env -w` file: `KEY=VALUE` lines, the later line winning.
#[derive(Clone, Debug, Default)]
pub struct GoEnvFile {
    /// Where the file is ([`file_path`]); `None` when `GOENV=off` or no home is known.
    pub path: Option<PathBuf>,
    text: String,
    /// Why an existing file was ignored (not a regular file, too large), escaped for messages.
    problem: Option<String>,
}

impl GoEnvFile {
    /// Reads the file; a missing or unreadable file reads as empty (as in Go), and so does one
    /// that is not a regular file or is larger than [`FILE_LIMIT`] (see [`GoEnvFile::problem`]).
    ///
    /// One `open`, `fstat` and the reads, as `fs::read_to_string` did: the proxy pays nothing
    /// for the bound.
    pub fn load(get: &dyn Fn(&str) -> Option<OsString>) -> GoEnvFile {
        GoEnvFile::load_from(get, None)
    }

    /// [`GoEnvFile::load`], with a relative `$XDG_CONFIG_HOME` taken relative to `relative_to`
    /// ([`file_path_from`]).
    pub fn load_from(
        get: &dyn Fn(&str) -> Option<OsString>,
        relative_to: Option<&Path>,
    ) -> GoEnvFile {
        let path = file_path_from(get, relative_to);
        let (text, problem) = match path.as_deref().map(|p| fsx::read_bounded(p, FILE_LIMIT)) {
            None | Some(Ok(None)) => (String::new(), None),
            Some(Ok(Some(bytes))) => (
                // Go takes the bytes as they are; invalid UTF-8 is replaced rather than
                // dropping every setting, and a valid file is not copied again.
                String::from_utf8(bytes)
                    .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
                None,
            ),
            // A folder or a file Go may not read is silently no settings in Go too.
            Some(Err(fsx::ReadError::Io(_))) => (String::new(), None),
            Some(Err(fsx::ReadError::NotRegular(p))) if p.is_dir() => (String::new(), None),
            Some(Err(e)) => (String::new(), Some(e.to_string())),
        };
        GoEnvFile {
            path,
            text,
            problem,
        }
    }

    /// A file at an explicit path with the given text (tests).
    pub fn from_text(path: &Path, text: &str) -> GoEnvFile {
        GoEnvFile {
            path: Some(path.to_path_buf()),
            text: text.to_string(),
            problem: None,
        }
    }

    /// Why the file was ignored although it exists: a FIFO or device (Go would wait on it
    /// forever) or a file over [`FILE_LIMIT`]. The text names the file, escaped.
    pub fn problem(&self) -> Option<&str> {
        self.problem.as_deref()
    }

    /// The value of `key` in the file; lines without `=` or not starting with an uppercase
    /// letter are ignored (that makes `#` lines comments). The last line for a key wins. As
    /// in Go, lines end at `\n` only: a `\r` before it is part of the value, and an empty
    /// value (`GOTOOLCHAIN=`, as `go env -w GOTOOLCHAIN=` writes it) is a value.
    pub fn get(&self, key: &str) -> Option<&str> {
        let mut found = None;
        for line in self.text.split('\n') {
            if !line.starts_with(|c: char| c.is_ascii_uppercase()) {
                continue;
            }
            if let Some((k, v)) = line.split_once('=')
                && k == key
            {
                found = Some(v);
            }
        }
        found
    }
}

/// Looks up Go settings the way `cmd/go` does, reading the file at most once.
pub struct GoSettings<'a> {
    get: &'a dyn Fn(&str) -> Option<OsString>,
    file: std::cell::OnceCell<GoEnvFile>,
    relative_to: Option<PathBuf>,
}

impl<'a> GoSettings<'a> {
    /// Settings read through `get` (the environment lookup); the file is not read yet.
    pub fn new(get: &'a dyn Fn(&str) -> Option<OsString>) -> GoSettings<'a> {
        GoSettings {
            get,
            file: std::cell::OnceCell::new(),
            relative_to: None,
        }
    }

    /// Settings as a Go release up to 1.23 reads them: a relative `$XDG_CONFIG_HOME` is taken
    /// relative to `dir`, the folder Go started in ([`file_path_from`]).
    pub fn relative_config_from(mut self, dir: &Path) -> GoSettings<'a> {
        self.relative_to = Some(dir.to_path_buf());
        self
    }

    /// The value of a Go setting and where it came from: the environment when non-empty,
    /// else the `go env -w` file. An empty value in the file is returned as it is: for Go it
    /// is the setting's built-in default (for `GOTOOLCHAIN`, `local`), not "look further".
    pub fn get(&self, key: &str) -> Option<(String, Origin)> {
        if let Some(v) = (self.get)(key).filter(|v| !v.is_empty()) {
            return Some((v.to_string_lossy().into_owned(), Origin::Env));
        }
        let file = self
            .file
            .get_or_init(|| GoEnvFile::load_from(self.get, self.relative_to.as_deref()));
        let v = file.get(key)?;
        Some((
            v.to_string(),
            Origin::File(file.path.clone().unwrap_or_default()),
        ))
    }

    /// The raw environment lookup.
    pub fn env(&self, key: &str) -> Option<OsString> {
        (self.get)(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_rules() {
        let f = GoEnvFile::from_text(
            Path::new("/x/env"),
            "# comment\nGOTOOLCHAIN=go1.21.0+auto\nlower=1\nGOWORK\nGOTOOLCHAIN=local\nGOFLAGS=-mod=mod -x\n",
        );
        assert_eq!(f.get("GOTOOLCHAIN"), Some("local"));
        assert_eq!(f.get("GOFLAGS"), Some("-mod=mod -x"));
        assert_eq!(f.get("GOWORK"), None);
        assert_eq!(f.get("lower"), None);
        let f = GoEnvFile::from_text(
            Path::new("/x/env"),
            "GOTOOLCHAIN=go1.21.0\r\nGOWORK=off\r\nGOFLAGS=\n",
        );
        assert_eq!(
            f.get("GOTOOLCHAIN"),
            Some("go1.21.0\r"),
            "a CR is part of the value"
        );
        assert_eq!(f.get("GOWORK"), Some("off\r"));
        assert_eq!(f.get("GOFLAGS"), Some(""), "an empty value is a value");
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_or_huge_file_is_ignored_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("env");
        let get = |k: &str| (k == "GOENV").then(|| path.clone().into_os_string());
        let status = std::process::Command::new("mkfifo")
            .arg(&path)
            .status()
            .unwrap();
        assert!(status.success());
        let f = GoEnvFile::load(&get);
        assert_eq!(f.get("GOTOOLCHAIN"), None);
        assert!(
            f.problem().unwrap().contains("not a regular file"),
            "{:?}",
            f.problem()
        );
        std::fs::remove_file(&path).unwrap();
        let file = std::fs::File::create(&path).unwrap();
        file.set_len(FILE_LIMIT + 1).unwrap();
        let f = GoEnvFile::load(&get);
        assert!(
            f.problem().unwrap().contains("larger than"),
            "{:?}",
            f.problem()
        );
        std::fs::write(&path, "GOTOOLCHAIN=local\n").unwrap();
        let f = GoEnvFile::load(&get);
        assert_eq!((f.get("GOTOOLCHAIN"), f.problem()), (Some("local"), None));
        std::fs::remove_file(&path).unwrap();
        std::fs::create_dir(&path).unwrap();
        assert_eq!(
            GoEnvFile::load(&get).problem(),
            None,
            "a folder is no settings, as in Go"
        );
    }

    #[test]
    fn file_location() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| OsString::from(v))
            }
        };
        assert_eq!(file_path(&env(&[("GOENV", "off"), ("HOME", "/h")])), None);
        assert_eq!(
            file_path(&env(&[("GOENV", "/e/env"), ("HOME", "/h")])),
            Some(PathBuf::from("/e/env"))
        );
        if cfg!(target_os = "linux") {
            assert_eq!(
                file_path(&env(&[("HOME", "/h")])),
                Some(PathBuf::from("/h/.config/go/env"))
            );
            assert_eq!(
                file_path(&env(&[("HOME", "/h"), ("XDG_CONFIG_HOME", "/x")])),
                Some(PathBuf::from("/x/go/env"))
            );
            assert_eq!(
                file_path(&env(&[("HOME", "/h"), ("XDG_CONFIG_HOME", "rel")])),
                None,
                "a relative XDG_CONFIG_HOME means no env file, as in Go"
            );
        }
    }
}

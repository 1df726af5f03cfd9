//! Go's own settings lookup: the process environment, then the user's `go env -w` file.
//!
//! Go reads a setting from the environment when it is non-empty, else from the file that
//! `go env -w` writes (`$GOENV`, else the user config dir's `go/env`). gomux reads the same
//! file the same way, so `go env -w GOTOOLCHAIN=...` or `GOWORK` steer gomux as they steer Go.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

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
    let non_empty = |k: &str| get(k).filter(|v| !v.is_empty());
    if let Some(goenv) = non_empty("GOENV") {
        if goenv == "off" {
            return None;
        }
        return Some(PathBuf::from(goenv));
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
    if let Some(x) = get("XDG_CONFIG_HOME").map(PathBuf::from)
        && x.is_absolute()
    {
        return Some(x);
    }
    get("HOME").map(|h| PathBuf::from(h).join(".config"))
}

/// The parsed `go env -w` file: `KEY=VALUE` lines, the later line winning.
#[derive(Clone, Debug, Default)]
pub struct GoEnvFile {
    pub path: Option<PathBuf>,
    text: String,
}

impl GoEnvFile {
    /// Reads the file; a missing or unreadable file reads as empty (as in Go).
    pub fn load(get: &dyn Fn(&str) -> Option<OsString>) -> GoEnvFile {
        let path = file_path(get);
        let text = path
            .as_deref()
            .and_then(|p| std::fs::read_to_string(p).ok())
            .unwrap_or_default();
        GoEnvFile { path, text }
    }

    /// A file at an explicit path with the given text (tests).
    pub fn from_text(path: &Path, text: &str) -> GoEnvFile {
        GoEnvFile {
            path: Some(path.to_path_buf()),
            text: text.to_string(),
        }
    }

    /// The value of `key` in the file; lines without `=` or not starting with an uppercase
    /// letter are ignored (that makes `#` lines comments). The last line for a key wins.
    pub fn get(&self, key: &str) -> Option<&str> {
        let mut found = None;
        for line in self.text.lines() {
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
}

impl<'a> GoSettings<'a> {
    pub fn new(get: &'a dyn Fn(&str) -> Option<OsString>) -> GoSettings<'a> {
        GoSettings {
            get,
            file: std::cell::OnceCell::new(),
        }
    }

    /// The value of a Go setting and where it came from: the environment when non-empty,
    /// else the `go env -w` file.
    pub fn get(&self, key: &str) -> Option<(String, Origin)> {
        if let Some(v) = (self.get)(key).filter(|v| !v.is_empty()) {
            return Some((v.to_string_lossy().into_owned(), Origin::Env));
        }
        let file = self.file.get_or_init(|| GoEnvFile::load(self.get));
        let v = file.get(key).filter(|v| !v.is_empty())?;
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
                Some(PathBuf::from("/h/.config/go/env"))
            );
        }
    }
}

//! `settings.toml`: a small TOML subset, read and edited in place.
//!
//! Why hand-written: the proxy reads this file on every `go` call, and a TOML crate would pull
//! serde into it. The subset is what the settings need: `[table]` headers, `key = value` with
//! basic (`"..."`) or literal (`'...'`) strings, booleans and integers, and `#` comments.
//! Unknown keys and tables are kept and ignored, so a newer gomux can add settings without an
//! older one failing on them. Edits rewrite only the line of the key they change.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

/// A value in the settings file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    String(String),
    Bool(bool),
    Integer(i64),
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::String(s) => {
                f.write_str("\"")?;
                for c in s.chars() {
                    match c {
                        '"' => f.write_str("\\\"")?,
                        '\\' => f.write_str("\\\\")?,
                        '\n' => f.write_str("\\n")?,
                        '\t' => f.write_str("\\t")?,
                        '\r' => f.write_str("\\r")?,
                        c => write!(f, "{c}")?,
                    }
                }
                f.write_str("\"")
            }
            Value::Bool(b) => write!(f, "{b}"),
            Value::Integer(i) => write!(f, "{i}"),
        }
    }
}

/// An error reading the settings file, with its path and line.
#[derive(Debug)]
pub enum SettingsError {
    Io {
        path: PathBuf,
        source: io::Error,
    },
    Syntax {
        path: PathBuf,
        line: usize,
        message: String,
    },
    Type {
        path: PathBuf,
        key: String,
        expected: &'static str,
    },
}

impl fmt::Display for SettingsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SettingsError::Io { path, source } => {
                write!(f, "cannot read `{}`: {source}", path.display())
            }
            SettingsError::Syntax {
                path,
                line,
                message,
            } => write!(f, "{}:{line}: {message}", path.display()),
            SettingsError::Type {
                path,
                key,
                expected,
            } => write!(f, "{}: `{key}` must be {expected}", path.display()),
        }
    }
}

impl std::error::Error for SettingsError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SettingsError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// The parsed settings: every `table.key = value` entry, in file order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Settings {
    path: PathBuf,
    entries: Vec<(String, Value)>,
}

/// The settings gomux knows, as dotted keys.
pub mod keys {
    /// The default toolchain (`gomux default`).
    pub const DEFAULT_TOOLCHAIN: &str = "default_toolchain";
    /// Automatic install of a missing toolchain by the proxy (bool).
    pub const AUTO_INSTALL: &str = "auto_install";
    /// The cache policy (`project`, `shared`, `toolchain`, `job`, `off`).
    pub const CACHE_MODE: &str = "cache.mode";
    /// The cache root (an absolute folder).
    pub const CACHE_ROOT: &str = "cache.root";
    /// When true, gomux's GOCACHE/GOMODCACHE win over the user's environment.
    pub const CACHE_FORCE: &str = "cache.force";
    /// A mirror of the Go downloads.
    pub const DIST_SERVER: &str = "dist.server";
    /// The release index location.
    pub const DIST_INDEX: &str = "dist.index";
    /// Every key above, with a one-line description (for `gomux settings` and the docs).
    pub const ALL: &[(&str, &str)] = &[
        (DEFAULT_TOOLCHAIN, "the default toolchain (`gomux default`)"),
        (
            AUTO_INSTALL,
            "install a missing toolchain on first use (true/false)",
        ),
        (
            CACHE_MODE,
            "cache policy: project, shared, toolchain, job or off",
        ),
        (
            CACHE_ROOT,
            "absolute folder holding the GOCACHE/GOMODCACHE folders",
        ),
        (
            CACHE_FORCE,
            "gomux's caches win over GOCACHE/GOMODCACHE from the environment",
        ),
        (
            DIST_SERVER,
            "mirror of the Go downloads (https://, http:// on loopback, file://)",
        ),
        (
            DIST_INDEX,
            "release index URL, overriding the one derived from dist.server",
        ),
    ];
}

impl Settings {
    /// Reads `path`; a missing file gives empty settings.
    pub fn load(path: &Path) -> Result<Settings, SettingsError> {
        match std::fs::read_to_string(path) {
            Ok(text) => Settings::parse(path, &text),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Settings {
                path: path.to_path_buf(),
                entries: Vec::new(),
            }),
            Err(source) => Err(SettingsError::Io {
                path: path.to_path_buf(),
                source,
            }),
        }
    }

    /// Parses settings text; `path` is used in error messages.
    pub fn parse(path: &Path, text: &str) -> Result<Settings, SettingsError> {
        let mut entries = Vec::new();
        let mut table = String::new();
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        for (i, raw) in text.lines().enumerate() {
            let syntax = |message: String| SettingsError::Syntax {
                path: path.to_path_buf(),
                line: i + 1,
                message,
            };
            match parse_line(raw).map_err(syntax)? {
                Line::Blank => {}
                Line::Table(t) => table = t,
                Line::Entry(key, value) => {
                    let full = if table.is_empty() {
                        key
                    } else {
                        format!("{table}.{key}")
                    };
                    if entries.iter().any(|(k, _)| *k == full) {
                        return Err(syntax(format!("`{full}` is set twice")));
                    }
                    entries.push((full, value));
                }
            }
        }
        Ok(Settings {
            path: path.to_path_buf(),
            entries,
        })
    }

    /// The file these settings came from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The raw value of a dotted key.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.entries.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// Every entry, in file order.
    pub fn entries(&self) -> &[(String, Value)] {
        &self.entries
    }

    /// A string setting; a value of another type is an error naming the key.
    pub fn get_str(&self, key: &str) -> Result<Option<&str>, SettingsError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(self.type_error(key, "a string")),
        }
    }

    /// A boolean setting; a value of another type is an error naming the key.
    pub fn get_bool(&self, key: &str) -> Result<Option<bool>, SettingsError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(self.type_error(key, "`true` or `false`")),
        }
    }

    fn type_error(&self, key: &str, expected: &'static str) -> SettingsError {
        SettingsError::Type {
            path: self.path.clone(),
            key: key.to_string(),
            expected,
        }
    }

    /// The default toolchain, if one is set.
    pub fn default_toolchain(&self) -> Result<Option<&str>, SettingsError> {
        self.get_str(keys::DEFAULT_TOOLCHAIN)
    }

    /// Sets (or with `None`, removes) a dotted key in the file at `path`, keeping every other
    /// line, comment and unknown key as it was. Creates the file and its folder if needed.
    /// The write goes through a temporary file and a rename, so readers never see half a file.
    pub fn update(path: &Path, key: &str, value: Option<&Value>) -> Result<(), SettingsError> {
        let io_err = |source| SettingsError::Io {
            path: path.to_path_buf(),
            source,
        };
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(io_err(e)),
        };
        // Validate the existing file first: never rewrite a file we cannot read.
        Settings::parse(path, &text)?;
        let new_text = edit_text(&text, key, value);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io_err)?;
        }
        let tmp = path.with_extension(format!("toml.tmp{}", std::process::id()));
        std::fs::write(&tmp, new_text).map_err(io_err)?;
        std::fs::rename(&tmp, path).map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            io_err(e)
        })
    }
}

enum Line {
    Blank,
    Table(String),
    Entry(String, Value),
}

fn is_bare_key(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

fn parse_line(raw: &str) -> Result<Line, String> {
    let line = raw.trim();
    if line.is_empty() || line.starts_with('#') {
        return Ok(Line::Blank);
    }
    if let Some(rest) = line.strip_prefix('[') {
        let end = rest
            .find(']')
            .ok_or_else(|| "a table header needs a closing `]`".to_string())?;
        let name = rest[..end].trim();
        let after = rest[end + 1..].trim();
        if !(after.is_empty() || after.starts_with('#')) {
            return Err(format!("unexpected text after `[{name}]`"));
        }
        if !name.split('.').all(|p| is_bare_key(p.trim())) {
            return Err(format!("`{name}` is not a valid table name"));
        }
        return Ok(Line::Table(name.to_string()));
    }
    let (key, value) = line
        .split_once('=')
        .ok_or_else(|| format!("expected `key = value`, found `{line}`"))?;
    let key = key.trim();
    if !key.split('.').all(|p| is_bare_key(p.trim())) {
        return Err(format!("`{key}` is not a valid key"));
    }
    let key: String = key.split('.').map(str::trim).collect::<Vec<_>>().join(".");
    let (value, rest) = parse_value(value.trim())?;
    let rest = rest.trim();
    if !(rest.is_empty() || rest.starts_with('#')) {
        return Err(format!(
            "unexpected text after the value of `{key}`: `{rest}`"
        ));
    }
    Ok(Line::Entry(key, value))
}

fn parse_value(s: &str) -> Result<(Value, &str), String> {
    if let Some(rest) = s.strip_prefix('"') {
        let mut out = String::new();
        let mut chars = rest.char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '"' => return Ok((Value::String(out), &rest[i + 1..])),
                '\\' => match chars.next().map(|(_, c)| c) {
                    Some('"') => out.push('"'),
                    Some('\\') => out.push('\\'),
                    Some('n') => out.push('\n'),
                    Some('t') => out.push('\t'),
                    Some('r') => out.push('\r'),
                    Some(other) => return Err(format!("unknown escape `\\{other}` in a string")),
                    None => break,
                },
                c => out.push(c),
            }
        }
        return Err("a string needs a closing `\"`".to_string());
    }
    if let Some(rest) = s.strip_prefix('\'') {
        let end = rest
            .find('\'')
            .ok_or_else(|| "a string needs a closing `'`".to_string())?;
        return Ok((Value::String(rest[..end].to_string()), &rest[end + 1..]));
    }
    let end = s
        .find(|c: char| c.is_whitespace() || c == '#')
        .unwrap_or(s.len());
    let (word, rest) = s.split_at(end);
    match word {
        "true" => Ok((Value::Bool(true), rest)),
        "false" => Ok((Value::Bool(false), rest)),
        _ => word
            .replace('_', "")
            .parse::<i64>()
            .map(|i| (Value::Integer(i), rest))
            .map_err(|_| {
                format!("`{word}` is not a value: use a quoted string, `true`, `false` or a number")
            }),
    }
}

/// Rewrites `text` so that dotted `key` has `value` (or is removed), touching only that line.
fn edit_text(text: &str, key: &str, value: Option<&Value>) -> String {
    let (table, leaf) = match key.rsplit_once('.') {
        Some((t, l)) => (t, l),
        None => ("", key),
    };
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let mut current = String::new();
    let mut table_header_at: Option<usize> = if table.is_empty() { Some(0) } else { None };
    let mut table_end = if table.is_empty() {
        lines
            .iter()
            .position(|l| l.trim_start().starts_with('['))
            .unwrap_or(lines.len())
    } else {
        lines.len()
    };
    let mut found: Option<usize> = None;
    for (i, raw) in lines.iter().enumerate() {
        match parse_line(raw) {
            Ok(Line::Table(t)) => {
                if current == table && table_header_at.is_some() && !table.is_empty() {
                    table_end = i;
                }
                current = t;
                if current == table && !table.is_empty() {
                    table_header_at = Some(i + 1);
                    table_end = lines.len();
                }
            }
            Ok(Line::Entry(k, _)) => {
                let full = if current.is_empty() {
                    k.clone()
                } else {
                    format!("{current}.{k}")
                };
                if full == key {
                    found = Some(i);
                }
            }
            _ => {}
        }
    }
    let new_line = value.map(|v| format!("{leaf} = {v}"));
    match (found, new_line) {
        (Some(i), Some(l)) => lines[i] = l,
        (Some(i), None) => {
            lines.remove(i);
        }
        (None, None) => {}
        (None, Some(l)) => match table_header_at {
            Some(_) => {
                // Insert after the last non-blank line of the table.
                let mut at = table_end;
                while at > 0 && at > table_header_at.unwrap_or(0) && lines[at - 1].trim().is_empty()
                {
                    at -= 1;
                }
                lines.insert(at, l);
            }
            None => {
                if lines.last().is_some_and(|l| !l.trim().is_empty()) {
                    lines.push(String::new());
                }
                lines.push(format!("[{table}]"));
                lines.push(l);
            }
        },
    }
    let mut out = lines.join("\n");
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Settings, SettingsError> {
        Settings::parse(Path::new("settings.toml"), text)
    }

    #[test]
    fn parses_the_subset() {
        let s = parse(
            "\u{feff}# gomux settings\r\ndefault_toolchain = \"go1.22.3\" # pinned\r\nauto_install = false\n\n[cache]\nmode = 'project'\nroot = \"D:\\\\caches\"\n[future.table]\nwhatever = 12\n",
        )
        .unwrap();
        assert_eq!(s.default_toolchain().unwrap(), Some("go1.22.3"));
        assert_eq!(s.get_bool(keys::AUTO_INSTALL).unwrap(), Some(false));
        assert_eq!(s.get_str(keys::CACHE_MODE).unwrap(), Some("project"));
        assert_eq!(s.get_str(keys::CACHE_ROOT).unwrap(), Some("D:\\caches"));
        assert_eq!(s.get("future.table.whatever"), Some(&Value::Integer(12)));
    }

    #[test]
    fn errors_name_the_line() {
        let e = parse("a = 1\nb = nope\n").unwrap_err().to_string();
        assert!(e.starts_with("settings.toml:2: "), "{e}");
        let e = parse("[cache\n").unwrap_err().to_string();
        assert!(e.contains(":1:"), "{e}");
        let e = parse("a = \"x\nb=1").unwrap_err().to_string();
        assert!(e.contains(":1:"), "{e}");
        let e = parse("a = 1\na = 2\n").unwrap_err().to_string();
        assert!(e.contains("set twice"), "{e}");
        let e = parse("auto_install = \"yes\"\n")
            .unwrap()
            .get_bool(keys::AUTO_INSTALL)
            .unwrap_err()
            .to_string();
        assert!(e.contains("auto_install"), "{e}");
    }

    #[test]
    fn edits_keep_other_lines() {
        let original = "# mine\ndefault_toolchain = \"go1.21.0\"\n\n[cache]\nmode = \"shared\" # keep\n\n[other]\nx = 1\n";
        let t = edit_text(
            original,
            "default_toolchain",
            Some(&Value::String("go1.22.3".into())),
        );
        assert_eq!(t, original.replace("go1.21.0", "go1.22.3"));
        let t = edit_text(original, "cache.root", Some(&Value::String("/data".into())));
        let s = parse(&t).unwrap();
        assert_eq!(s.get_str("cache.root").unwrap(), Some("/data"));
        assert_eq!(s.get_str("cache.mode").unwrap(), Some("shared"));
        assert!(
            t.contains("mode = \"shared\" # keep\nroot = \"/data\"\n\n[other]"),
            "{t}"
        );
        let t = edit_text(
            original,
            "dist.server",
            Some(&Value::String("file:///m".into())),
        );
        assert!(t.ends_with("[dist]\nserver = \"file:///m\"\n"), "{t}");
        let t = edit_text(
            "",
            "default_toolchain",
            Some(&Value::String("go1.22.0".into())),
        );
        assert_eq!(t, "default_toolchain = \"go1.22.0\"\n");
        let t = edit_text(
            "[cache]\nmode = \"off\"\n",
            "auto_install",
            Some(&Value::Bool(false)),
        );
        let s = parse(&t).unwrap();
        assert_eq!(s.get_bool("auto_install").unwrap(), Some(false));
        assert_eq!(s.get_str("cache.mode").unwrap(), Some("off"));
        let t = edit_text(original, "cache.mode", None);
        assert!(!t.contains("mode ="), "{t}");
    }

    #[test]
    fn update_round_trips_through_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("settings.toml");
        Settings::update(
            &path,
            "default_toolchain",
            Some(&Value::String("go1.22.3".into())),
        )
        .unwrap();
        Settings::update(&path, "cache.mode", Some(&Value::String("job".into()))).unwrap();
        let s = Settings::load(&path).unwrap();
        assert_eq!(s.default_toolchain().unwrap(), Some("go1.22.3"));
        assert_eq!(s.get_str("cache.mode").unwrap(), Some("job"));
        std::fs::write(&path, "broken = \n").unwrap();
        assert!(Settings::update(&path, "x", Some(&Value::Bool(true))).is_err());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "broken = \n");
    }
}

//! `settings.toml`: read by a small hand-written TOML reader, edited in place.
//!
//! Why hand-written: the proxy reads this file on every `go` call, and a TOML crate would pull
//! serde into it. The design decision to know: the reader knows all of TOML's syntax well
//! enough to *skip* it (arrays, inline tables, multi-line strings, floats, dates, arrays of
//! tables, quoted keys), and keeps strings, booleans and integers. It is strict only on the
//! keys gomux knows ([`crate::config::known_keys`]): such a key set twice, or set to an array, a table or a
//! date, is an error naming `file:line` when it is read. Anything else it does not know is
//! ignored, so a file written by a newer gomux or by hand never breaks a `go` call. A property
//! test checks the reader against a real TOML parser. The file is read only when it is a
//! regular file of at most [`MAX_SIZE`] bytes (a FIFO never blocks the proxy), and an edit
//! ([`Settings::update`]) replaces only the value it changes, through [`fsx::write_atomic`],
//! while its caller holds an [`fsx::UpdateLock`].

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use crate::fsx::{self, FsError, ReadError, UpdateLock};
use crate::text;
use reader::Reader;

mod reader;
#[cfg(test)]
mod tests;

/// The largest settings file gomux reads.
pub const MAX_SIZE: u64 = 1024 * 1024;

/// A value in the settings file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    /// A string, with its escapes already decoded (shown re-escaped, in quotes).
    String(String),
    /// `true` or `false`.
    Bool(bool),
    /// A 64-bit integer.
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
                        c if (c as u32) < 0x20 || c == '\u{7f}' => {
                            write!(f, "\\u{:04X}", c as u32)?
                        }
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

/// An error reading or writing the settings file, with its path (and line).
#[derive(Debug)]
pub enum SettingsError {
    /// The file could not be read: not a regular file, too large, or an I/O error.
    Read(ReadError),
    /// The file (or its update lock) could not be written.
    Write(FsError),
    /// The file is not the TOML subset gomux reads.
    Syntax {
        /// The settings file (raw; escaped when shown).
        path: PathBuf,
        /// The 1-based line of the problem.
        line: usize,
        /// What is wrong there, as a phrase.
        message: String,
    },
    /// A key gomux knows has a value of another type.
    Type {
        /// The settings file (raw; escaped when shown).
        path: PathBuf,
        /// The 1-based line the key is set on.
        line: usize,
        /// The dotted key.
        key: String,
        /// The type the key takes, with its article (`a string`).
        expected: &'static str,
        /// The type found, with its article (`an integer`, `an array`).
        found: &'static str,
    },
}

impl SettingsError {
    /// What to do about it, when there is something to say (a full disk, a FIFO).
    pub fn hint(&self) -> Option<String> {
        match self {
            SettingsError::Write(e) => e.hint(),
            SettingsError::Read(ReadError::Io(e)) => e.hint(),
            SettingsError::Read(ReadError::NotRegular(p) | ReadError::TooLarge { path: p, .. }) => {
                Some(format!(
                    "replace `{}` with a regular text file of settings, or remove it to use the defaults",
                    text::escape_path(p)
                ))
            }
            SettingsError::Syntax { path, .. } | SettingsError::Type { path, .. } => Some(format!(
                "fix or remove that line in `{}`",
                text::escape_path(path)
            )),
        }
    }
}

impl fmt::Display for SettingsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SettingsError::Read(ReadError::Io(e)) => e.fmt(f),
            SettingsError::Read(e) => write!(f, "cannot read the settings: {e}"),
            SettingsError::Write(e) => e.fmt(f),
            SettingsError::Syntax {
                path,
                line,
                message,
            } => write!(f, "{}:{line}: {message}", text::escape_path(path)),
            SettingsError::Type {
                path,
                line,
                key,
                expected,
                found,
            } => write!(
                f,
                "{}:{line}: `{key}` must be {expected}, not {found}",
                text::escape_path(path)
            ),
        }
    }
}

impl std::error::Error for SettingsError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SettingsError::Read(e) => Some(e),
            SettingsError::Write(e) => Some(e),
            _ => None,
        }
    }
}

impl gomux_version::Hints for SettingsError {
    fn hints(&self) -> Vec<String> {
        self.hint().into_iter().collect()
    }
}

/// The settings gomux knows, as dotted keys; the settings registry ([`crate::config::ALL`])
/// gives each its variable, type, default and doc line.
pub mod keys {
    /// The default toolchain (`gomux default`).
    pub const DEFAULT_TOOLCHAIN: &str = "default_toolchain";
    /// Automatic install of a missing toolchain by the proxy (bool).
    pub const AUTO_INSTALL: &str = "auto_install";
    /// Run an installed newer patch for a module line's missing release (bool).
    pub const PREFER_INSTALLED: &str = "prefer_installed";
    /// The cache policy (`project`, `shared`, `toolchain`, `job`, `off`).
    pub const CACHE_MODE: &str = "cache.mode";
    /// The cache root (an absolute folder).
    pub const CACHE_ROOT: &str = "cache.root";
    /// When true, gomux's GOCACHE/GOMODCACHE win over the user's environment.
    pub const CACHE_FORCE: &str = "cache.force";
    /// When true (the default), project module caches share one download store (bool).
    pub const CACHE_MODULE_STORE: &str = "cache.module_store";
    /// The base build cache per toolchain (`auto`, `off`).
    pub const CACHE_BASE: &str = "cache.base";
    /// A remote build cache (Bazel HTTP remote-cache protocol) behind `gomux cacheprog`.
    pub const CACHE_REMOTE: &str = "cache.remote";
    /// Whether `gomux cacheprog` writes to the remote cache (`read`, `read-write`).
    pub const CACHE_REMOTE_MODE: &str = "cache.remote_mode";
    /// A mirror of the Go downloads.
    pub const DIST_SERVER: &str = "dist.server";
    /// The release index location.
    pub const DIST_INDEX: &str = "dist.index";
    /// Where `gomux self update` looks for new releases.
    pub const SELF_UPDATE_URL: &str = "self.update_url";
    /// Where toolchains come from (`downloads`, `goproxy`).
    pub const DIST_SOURCE: &str = "dist.source";
    /// Toolchain modules without a proof from the checksum database (bool).
    pub const DIST_ALLOW_UNVERIFIED: &str = "dist.allow_unverified";
}

/// What a key is set to, as far as gomux reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Setting {
    /// A string, boolean or integer.
    Value(Value),
    /// A TOML value gomux does not read (`an array`, `a table`, `a float`, `a date-time`).
    Other(&'static str),
}

/// One key of the file: a `key = value` line, a key inside an inline table, or a known key
/// that the file makes a table (`[cache.mode]`, `cache.mode.x = 1`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    parts: Vec<String>,
    setting: Setting,
    line: usize,
    /// The bytes of the value, for an edit that replaces it.
    value_span: Option<Range<usize>>,
    /// The whole `key = value` statement with its line break, for an edit that removes it
    /// (none for keys inside inline tables).
    statement: Option<Range<usize>>,
    /// The `[table]` section the statement is in (0: before any header).
    section: usize,
    /// Under an array of tables (`[[x]]`) or inside an array: never one of gomux's settings.
    in_array: bool,
}

impl Entry {
    /// The dotted key (quoted parts shown as they were read).
    pub fn key(&self) -> String {
        self.parts.join(".")
    }
    /// What the key is set to.
    pub fn setting(&self) -> &Setting {
        &self.setting
    }
    /// The line the key is set on.
    pub fn line(&self) -> usize {
        self.line
    }
    fn is(&self, key: &str) -> bool {
        !self.in_array && key.split('.').eq(self.parts.iter().map(String::as_str))
    }
}

/// A `[table]` or `[[array]]` header (section 0 is the part before the first header).
#[derive(Clone, Debug, PartialEq, Eq)]
struct Section {
    parts: Vec<String>,
    /// `[[x]]`: an array of tables.
    array: bool,
    /// Under an array of tables declared before (`[[dist]]`, then `[dist.x]`).
    nested: bool,
    /// Where the header line ends (after its line break).
    header_end: usize,
    /// Where the header line starts.
    header_start: usize,
}

/// The parsed settings: every key, in file order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Settings {
    path: PathBuf,
    entries: Vec<Entry>,
    sections: Vec<Section>,
}

impl Settings {
    /// Reads `path`; a missing file gives empty settings. Only a regular file of at most
    /// [`MAX_SIZE`] bytes is read: a FIFO or a device is an error, never a wait.
    pub fn load(path: &Path) -> Result<Settings, SettingsError> {
        match fsx::read_bounded(path, MAX_SIZE).map_err(SettingsError::Read)? {
            Some(bytes) => Settings::parse(path, &utf8(path, bytes)?),
            None => Ok(Settings {
                path: path.to_path_buf(),
                ..Settings::default()
            }),
        }
    }

    /// Parses settings text; `path` is used in error messages.
    pub fn parse(path: &Path, text: &str) -> Result<Settings, SettingsError> {
        let mut r = Reader::new(text);
        r.document()
            .map_err(|(pos, message)| SettingsError::Syntax {
                path: path.to_path_buf(),
                line: line_of(text, pos),
                message,
            })?;
        let mut s = Settings {
            path: path.to_path_buf(),
            entries: r.entries,
            sections: r.sections,
        };
        s.check_known(text)?;
        Ok(s)
    }

    /// A known key set twice is an error; a known key that the file makes a table (a
    /// `[cache.mode]` header, a `cache.mode.x = 1` line) is recorded as such, so reading it
    /// is a type error rather than a silent default.
    fn check_known(&mut self, text: &str) -> Result<(), SettingsError> {
        let mut implied = Vec::new();
        for key in crate::config::known_keys() {
            let known: Vec<&str> = key.split('.').collect();
            let mut first: Option<usize> = None;
            for e in self.entries.iter().filter(|e| !e.in_array) {
                if e.is(key) {
                    if let Some(line) = first {
                        return Err(SettingsError::Syntax {
                            path: self.path.clone(),
                            line: e.line,
                            message: format!("`{key}` is set twice (first on line {line})"),
                        });
                    }
                    first = Some(e.line);
                }
            }
            if first.is_some() {
                continue;
            }
            let longer = |parts: &[String]| {
                parts.len() > known.len() && known.iter().zip(parts).all(|(k, p)| k == p)
            };
            let line = self
                .entries
                .iter()
                .filter(|e| !e.in_array && longer(&e.parts))
                .map(|e| e.line)
                .chain(
                    self.sections
                        .iter()
                        .skip(1)
                        .filter(|s| !s.nested)
                        .filter_map(|s| {
                            let exact = s.parts.len() == known.len()
                                && known.iter().zip(&s.parts).all(|(k, p)| k == p);
                            (exact || longer(&s.parts)).then(|| line_of(text, s.header_start))
                        }),
                )
                .min();
            if let Some(line) = line {
                implied.push(Entry {
                    parts: known.iter().map(|p| p.to_string()).collect(),
                    setting: Setting::Other("a table"),
                    line,
                    value_span: None,
                    statement: None,
                    section: 0,
                    in_array: false,
                });
            }
        }
        self.entries.extend(implied);
        Ok(())
    }

    /// The file these settings came from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The line a key is set on, when the file sets it.
    pub fn line(&self, key: &str) -> Option<usize> {
        self.entry(key).map(|e| e.line)
    }

    fn entry(&self, key: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.is(key))
    }

    /// The value of a dotted key, when it is a string, a boolean or an integer.
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self.entry(key).map(|e| &e.setting) {
            Some(Setting::Value(v)) => Some(v),
            _ => None,
        }
    }

    /// Every key the file sets, in file order (keys in inline tables included).
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// A string setting; a value of another type is an error naming the key and its line.
    pub fn get_str(&self, key: &str) -> Result<Option<&str>, SettingsError> {
        match self.entry(key) {
            None => Ok(None),
            Some(Entry {
                setting: Setting::Value(Value::String(s)),
                ..
            }) => Ok(Some(s)),
            Some(e) => Err(self.type_error(e, "a string")),
        }
    }

    /// A boolean setting; a value of another type is an error naming the key and its line.
    pub fn get_bool(&self, key: &str) -> Result<Option<bool>, SettingsError> {
        match self.entry(key) {
            None => Ok(None),
            Some(Entry {
                setting: Setting::Value(Value::Bool(b)),
                ..
            }) => Ok(Some(*b)),
            Some(e) => Err(self.type_error(e, "`true` or `false`")),
        }
    }

    fn type_error(&self, e: &Entry, expected: &'static str) -> SettingsError {
        SettingsError::Type {
            path: self.path.clone(),
            line: e.line,
            key: e.key(),
            expected,
            found: match &e.setting {
                Setting::Value(Value::String(_)) => "a string",
                Setting::Value(Value::Bool(_)) => "a boolean",
                Setting::Value(Value::Integer(_)) => "an integer",
                Setting::Other(what) => what,
            },
        }
    }

    /// The default toolchain, if one is set.
    pub fn default_toolchain(&self) -> Result<Option<&str>, SettingsError> {
        self.get_str(keys::DEFAULT_TOOLCHAIN)
    }

    /// Sets (or with `None`, removes) a dotted key in the file at `path`, keeping every other
    /// byte of it (comments, unknown keys, the way the key is written); a `[table]` header
    /// that the removal leaves with nothing in it goes too. Creates the file and
    /// its folder if needed. The caller holds the file's update lock (`_held`; see
    /// [`crate::Home::update_setting`]), so two edits never lose each other's change, and the
    /// write goes through [`fsx::write_atomic`]: a kill or a full disk leaves the old file
    /// whole and nothing beside it.
    pub fn update(
        path: &Path,
        key: &str,
        value: Option<&Value>,
        _held: &UpdateLock,
    ) -> Result<(), SettingsError> {
        let (text, existed) =
            match fsx::read_bounded(path, MAX_SIZE).map_err(SettingsError::Read)? {
                Some(bytes) => (utf8(path, bytes)?, true),
                None => (String::new(), false),
            };
        // Never rewrite a file that cannot be read.
        let settings = Settings::parse(path, &text)?;
        let new_text =
            settings
                .edit(&text, key, value)
                .map_err(|message| SettingsError::Syntax {
                    path: path.to_path_buf(),
                    line: message.0,
                    message: message.1,
                })?;
        if new_text == text && existed {
            return Ok(());
        }
        if let Some(dir) = path.parent()
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir)
                .map_err(|e| SettingsError::Write(FsError::new("create", dir, e)))?;
        }
        fsx::write_atomic(path, new_text.as_bytes()).map_err(SettingsError::Write)
    }

    /// `text` (which these settings were parsed from) with `key` set to `value` or removed,
    /// every other byte kept. An error is `(line, message)`.
    fn edit(
        &self,
        text: &str,
        key: &str,
        value: Option<&Value>,
    ) -> Result<String, (usize, String)> {
        let nl = if text.contains("\r\n") { "\r\n" } else { "\n" };
        let parts: Vec<&str> = key.split('.').collect();
        if let Some(e) = self.entry(key) {
            return match (value, &e.value_span, &e.statement) {
                (Some(v), Some(span), _) => Ok(splice(text, span.clone(), &v.to_string())),
                (None, _, Some(stmt)) => Ok(match self.emptied_table(text, e, stmt) {
                    Some(table) => remove_table(text, table),
                    None => splice(text, stmt.clone(), ""),
                }),
                (Some(_), None, _) => Err((
                    e.line,
                    format!("`{key}` is a table here; gomux cannot set it: fix it by hand"),
                )),
                (None, _, None) => Err((
                    e.line,
                    format!(
                        "`{key}` is set inside an inline table here; gomux cannot remove it: remove it by hand"
                    ),
                )),
            };
        }
        let Some(v) = value else {
            return Ok(text.to_string());
        };
        let (table, leaf) = parts.split_at(parts.len() - 1);
        let statement_end = |section: usize| {
            self.entries
                .iter()
                .filter(|e| e.section == section)
                .filter_map(|e| e.statement.as_ref().map(|s| s.end))
                .max()
        };
        if table.is_empty() {
            let at = statement_end(0)
                .or_else(|| self.sections.get(1).map(|s| s.header_start))
                .unwrap_or(text.len());
            return Ok(insert_line(text, at, &format!("{} = {v}", leaf[0]), nl));
        }
        let same = |p: &[String]| {
            p.len() == table.len() && table.iter().zip(p).all(|(a, b)| *a == b.as_str())
        };
        let under = |p: &[String]| {
            p.len() > table.len() && table.iter().zip(p).all(|(a, b)| *a == b.as_str())
        };
        let above = |p: &[String]| {
            p.len() <= table.len() && p.iter().zip(table).all(|(a, b)| a.as_str() == *b)
        };
        // A part of the table's path that is a value, an inline table or an array of tables
        // cannot take a key.
        if let Some(line) = self
            .sections
            .iter()
            .find(|s| (s.array || s.nested) && above(&s.parts))
            .map(|s| line_of(text, s.header_start))
        {
            return Err((
                line,
                format!("this array of tables holds `{key}`'s table: set `{key}` by hand"),
            ));
        }
        if let Some(e) = self
            .entries
            .iter()
            .find(|e| !e.in_array && above(&e.parts) && e.value_span.is_some())
        {
            return Err((
                e.line,
                format!(
                    "`{}` is set here in a way gomux cannot add `{key}` to: set `{key}` by hand",
                    e.key()
                ),
            ));
        }
        if let Some((i, s)) = self
            .sections
            .iter()
            .enumerate()
            .skip(1)
            .find(|(_, s)| !s.array && !s.nested && same(&s.parts))
        {
            let at = statement_end(i).unwrap_or(s.header_end);
            return Ok(insert_line(text, at, &format!("{} = {v}", leaf[0]), nl));
        }
        // The table made by dotted keys before any header (`cache.root = "..."`): add another.
        if let Some(at) = self
            .entries
            .iter()
            .filter(|e| e.section == 0 && !e.in_array && under(&e.parts))
            .filter_map(|e| e.statement.as_ref().map(|s| s.end))
            .max()
        {
            return Ok(insert_line(text, at, &format!("{key} = {v}"), nl));
        }
        let mut out = text.to_string();
        if !out.is_empty() && !out.ends_with('\n') {
            out.push_str(nl);
        }
        if !out.trim().is_empty() && !out.ends_with(&format!("{nl}{nl}")) {
            out.push_str(nl);
        }
        out.push_str(&format!("[{}]{nl}{} = {v}{nl}", table.join("."), leaf[0]));
        Ok(out)
    }
}

impl Settings {
    /// The bytes of the `[table]` that removing `e` (its statement `stmt`) leaves empty: a
    /// header gomux can take away with the key (`gomux config unset cache.mode` after `set`
    /// added `[cache]`). None when anything else is in it: another key, a comment, a comment
    /// on the header line, or an array of tables.
    fn emptied_table(&self, text: &str, e: &Entry, stmt: &Range<usize>) -> Option<Range<usize>> {
        if e.section == 0 {
            return None;
        }
        let sec = self.sections.get(e.section)?;
        if sec.array || sec.nested || text[sec.header_start..sec.header_end].contains('#') {
            return None;
        }
        if self
            .entries
            .iter()
            .filter(|x| x.section == e.section)
            .count()
            != 1
        {
            return None;
        }
        let end = self
            .sections
            .get(e.section + 1)
            .map_or(text.len(), |s| s.header_start);
        let blank = |r: Range<usize>| text.get(r).is_some_and(|t| t.trim().is_empty());
        (blank(sec.header_end..stmt.start) && blank(stmt.end..end)).then_some(sec.header_start..end)
    }
}

/// `text` without the table at `table`; at the end of the file, the blank line that set it
/// apart goes too.
fn remove_table(text: &str, table: Range<usize>) -> String {
    let mut before = &text[..table.start];
    if table.end == text.len() {
        for blank in ["\r\n\r\n", "\n\n"] {
            if before.ends_with(blank) {
                before = &before[..before.len() - blank.len() / 2];
                break;
            }
        }
    }
    format!("{before}{}", &text[table.end..])
}

fn utf8(path: &Path, bytes: Vec<u8>) -> Result<String, SettingsError> {
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        SettingsError::Syntax {
            path: path.to_path_buf(),
            line: 1 + e.as_bytes()[..at].iter().filter(|&&b| b == b'\n').count(),
            message: "the file is not UTF-8 text".to_string(),
        }
    })
}

fn splice(text: &str, span: Range<usize>, with: &str) -> String {
    format!("{}{with}{}", &text[..span.start], &text[span.end..])
}

/// `text` with `line` inserted at byte `at` (the start of a line, or the end of the text).
fn insert_line(text: &str, at: usize, line: &str, nl: &str) -> String {
    let (before, after) = text.split_at(at);
    let sep = if before.is_empty() || before.ends_with('\n') {
        ""
    } else {
        nl
    };
    format!("{before}{sep}{line}{nl}{after}")
}

/// The 1-based line holding byte `pos`.
fn line_of(text: &str, pos: usize) -> usize {
    let pos = pos.min(text.len());
    1 + text.as_bytes()[..pos]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
}

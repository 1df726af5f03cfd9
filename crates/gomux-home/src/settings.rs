//! `settings.toml`: read by a small hand-written TOML reader, edited in place.
//!
//! Why hand-written: the proxy reads this file on every `go` call, and a TOML crate would pull
//! serde into it. The design decision to know: the reader knows all of TOML's syntax well
//! enough to *skip* it (arrays, inline tables, multi-line strings, floats, dates, arrays of
//! tables, quoted keys), and keeps strings, booleans and integers. It is strict only on the
//! keys gomux knows ([`keys::ALL`]): such a key set twice, or set to an array, a table or a
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

/// The largest settings file gomux reads.
pub const MAX_SIZE: u64 = 1024 * 1024;

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
    Syntax {
        path: PathBuf,
        line: usize,
        message: String,
    },
    /// A key gomux knows has a value of another type.
    Type {
        path: PathBuf,
        line: usize,
        key: String,
        expected: &'static str,
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

/// What a key is set to, as far as gomux reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Setting {
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
        for (key, _) in keys::ALL {
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
    /// byte of it (comments, unknown keys, the way the key is written). Creates the file and
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
                (None, _, Some(stmt)) => Ok(splice(text, stmt.clone(), "")),
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

/// A syntax error: the byte it is at, and what is wrong.
type Fail = (usize, String);

/// How deep arrays and inline tables may nest (a hostile `[[[[…` cannot overflow the stack).
const MAX_DEPTH: usize = 64;

/// What a value is, as the reader sees it.
enum Parsed {
    Value(Value),
    Array,
    /// An inline table: its keys (relative), what each is, and where.
    Table(Vec<(Vec<String>, Parsed, Range<usize>)>),
    Other(&'static str),
}

/// A one-pass reader of TOML text that keeps strings, booleans and integers and skips the
/// rest of the syntax.
struct Reader<'a> {
    text: &'a str,
    b: &'a [u8],
    pos: usize,
    entries: Vec<Entry>,
    sections: Vec<Section>,
    /// The last position a line was counted for, and its line.
    counted: (usize, usize),
}

impl<'a> Reader<'a> {
    fn new(text: &'a str) -> Reader<'a> {
        let start = if text.starts_with('\u{feff}') { 3 } else { 0 };
        Reader {
            text,
            b: text.as_bytes(),
            pos: start,
            entries: Vec::new(),
            sections: vec![Section {
                parts: Vec::new(),
                array: false,
                nested: false,
                header_end: start,
                header_start: start,
            }],
            counted: (0, 1),
        }
    }

    /// The line of byte `pos`, counted on from the last call (entries come in file order).
    fn line(&mut self, pos: usize) -> usize {
        let (from, line) = if pos >= self.counted.0 {
            self.counted
        } else {
            (0, 1)
        };
        let n = line + self.b[from..pos].iter().filter(|&&b| b == b'\n').count();
        self.counted = (pos, n);
        n
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    fn rest(&self) -> &'a str {
        &self.text[self.pos..]
    }

    fn fail<T>(&self, message: impl Into<String>) -> Result<T, Fail> {
        Err((self.pos, message.into()))
    }

    fn skip_spaces(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
    }

    fn skip_comment(&mut self) {
        if self.peek() == Some(b'#') {
            while !matches!(self.peek(), None | Some(b'\n')) {
                self.pos += 1;
            }
            // A comment ends before a CRLF's `\r` too.
            if self.pos > 0 && self.b[self.pos - 1] == b'\r' && self.peek() == Some(b'\n') {
                self.pos -= 1;
            }
        }
    }

    /// Consumes a line break (`\n` or `\r\n`); false when there is none here.
    fn newline(&mut self) -> bool {
        if self.rest().starts_with("\r\n") {
            self.pos += 2;
            true
        } else if self.peek() == Some(b'\n') {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// Spaces, line breaks and comments (between the lines of a file, inside an array).
    fn skip_blank(&mut self) {
        loop {
            self.skip_spaces();
            self.skip_comment();
            if !self.newline() {
                return;
            }
        }
    }

    /// The end of a statement's line: spaces, a comment, then a line break or the end.
    fn end_of_line(&mut self, after: &str) -> Result<(), Fail> {
        self.skip_spaces();
        self.skip_comment();
        if self.pos == self.b.len() || self.newline() {
            return Ok(());
        }
        let shown: String = self.rest().chars().take_while(|&c| c != '\n').collect();
        self.fail(format!(
            "unexpected text after {after}: `{}`",
            text::escape(shown.trim_end())
        ))
    }

    fn document(&mut self) -> Result<(), Fail> {
        loop {
            self.skip_blank();
            if self.pos == self.b.len() {
                return Ok(());
            }
            let start = self.pos;
            if self.peek() == Some(b'[') {
                let array = self.rest().starts_with("[[");
                self.pos += if array { 2 } else { 1 };
                self.skip_spaces();
                let parts = self.key()?;
                let close = if array { "]]" } else { "]" };
                if !self.rest().starts_with(close) {
                    return self.fail(format!("a table header needs a closing `{close}`"));
                }
                self.pos += close.len();
                self.end_of_line("a table header")?;
                // A table under an array of tables (`[[dist]]`, then `[dist.x]`) is in it.
                let nested = self.under_array(&parts);
                self.sections.push(Section {
                    parts,
                    array,
                    nested,
                    header_end: self.pos,
                    header_start: start,
                });
                continue;
            }
            let parts = self.key()?;
            if self.peek() != Some(b'=') {
                let key = parts.join(".");
                return self.fail(format!(
                    "expected `=` after `{}`: settings are `key = value` lines",
                    text::escape(&key)
                ));
            }
            self.pos += 1;
            self.skip_spaces();
            let value_start = self.pos;
            let value = self.value(0)?;
            let value_span = value_start..self.pos;
            self.end_of_line("a value")?;
            let section = self.sections.len() - 1;
            let s = &self.sections[section];
            let mut full = s.parts.clone();
            full.extend(parts);
            let in_array = s.array || s.nested || self.under_array(&full);
            // The statement starts at the start of its line.
            let line_start = self.text[..start].rfind('\n').map_or(0, |i| i + 1);
            let statement = Some(line_start..self.pos);
            self.record(full, value, value_span, statement, section, in_array);
        }
    }

    /// True when `parts` starts with the path of an array of tables seen so far.
    fn under_array(&self, parts: &[String]) -> bool {
        self.sections.iter().any(|s| {
            s.array
                && s.parts.len() <= parts.len()
                && s.parts.iter().zip(parts).all(|(a, b)| a == b)
        })
    }

    fn record(
        &mut self,
        parts: Vec<String>,
        value: Parsed,
        span: Range<usize>,
        statement: Option<Range<usize>>,
        section: usize,
        in_array: bool,
    ) {
        let line = self.line(span.start);
        let (setting, inner) = match value {
            Parsed::Value(v) => (Setting::Value(v), Vec::new()),
            Parsed::Array => (Setting::Other("an array"), Vec::new()),
            Parsed::Other(what) => (Setting::Other(what), Vec::new()),
            Parsed::Table(inner) => (Setting::Other("a table"), inner),
        };
        self.entries.push(Entry {
            parts: parts.clone(),
            setting,
            line,
            value_span: Some(span),
            statement,
            section,
            in_array,
        });
        for (rel, value, span) in inner {
            let mut full = parts.clone();
            full.extend(rel);
            self.record(full, value, span, None, section, in_array);
        }
    }

    /// A dotted key: bare, `"basic"` or `'literal'` parts joined by dots.
    fn key(&mut self) -> Result<Vec<String>, Fail> {
        let mut parts = Vec::new();
        loop {
            self.skip_spaces();
            let part = match self.peek() {
                Some(b'"') => {
                    self.pos += 1;
                    self.basic_string()?
                }
                Some(b'\'') => {
                    self.pos += 1;
                    self.literal_string()?
                }
                _ => {
                    let start = self.pos;
                    while matches!(self.peek(), Some(c) if c.is_ascii_alphanumeric() || c == b'_' || c == b'-')
                    {
                        self.pos += 1;
                    }
                    if start == self.pos {
                        let shown: String =
                            self.rest().chars().take_while(|&c| c != '\n').collect();
                        return self.fail(format!(
                            "expected a key, found `{}`",
                            text::escape(shown.trim_end())
                        ));
                    }
                    self.text[start..self.pos].to_string()
                }
            };
            parts.push(part);
            self.skip_spaces();
            if self.peek() == Some(b'.') {
                self.pos += 1;
            } else {
                return Ok(parts);
            }
        }
    }

    fn value(&mut self, depth: usize) -> Result<Parsed, Fail> {
        if depth > MAX_DEPTH {
            return self.fail("arrays and tables are nested too deeply");
        }
        let r = self.rest();
        if r.starts_with("\"\"\"") {
            self.pos += 3;
            return Ok(Parsed::Value(Value::String(self.multiline(b'"')?)));
        }
        if r.starts_with("'''") {
            self.pos += 3;
            return Ok(Parsed::Value(Value::String(self.multiline(b'\'')?)));
        }
        match self.peek() {
            Some(b'"') => {
                self.pos += 1;
                Ok(Parsed::Value(Value::String(self.basic_string()?)))
            }
            Some(b'\'') => {
                self.pos += 1;
                Ok(Parsed::Value(Value::String(self.literal_string()?)))
            }
            Some(b'[') => {
                self.pos += 1;
                loop {
                    self.skip_blank();
                    if self.peek() == Some(b']') {
                        self.pos += 1;
                        return Ok(Parsed::Array);
                    }
                    self.value(depth + 1)?;
                    self.skip_blank();
                    match self.peek() {
                        Some(b',') => self.pos += 1,
                        Some(b']') => {
                            self.pos += 1;
                            return Ok(Parsed::Array);
                        }
                        _ => {
                            return self
                                .fail("an array needs `,` between values and a closing `]`");
                        }
                    }
                }
            }
            Some(b'{') => {
                self.pos += 1;
                let mut keys = Vec::new();
                loop {
                    // Line breaks and a trailing comma are allowed here since TOML 1.1.
                    self.skip_blank();
                    if self.peek() == Some(b'}') {
                        self.pos += 1;
                        return Ok(Parsed::Table(keys));
                    }
                    let key = self.key()?;
                    if self.peek() != Some(b'=') {
                        return self.fail("expected `=` in an inline table");
                    }
                    self.pos += 1;
                    self.skip_spaces();
                    let start = self.pos;
                    let v = self.value(depth + 1)?;
                    keys.push((key, v, start..self.pos));
                    self.skip_blank();
                    match self.peek() {
                        Some(b',') => self.pos += 1,
                        Some(b'}') => {
                            self.pos += 1;
                            return Ok(Parsed::Table(keys));
                        }
                        _ => {
                            return self
                                .fail("an inline table needs `,` between keys and a closing `}`");
                        }
                    }
                }
            }
            _ => self.scalar(),
        }
    }

    /// `true`, `false`, an integer, or a float or date-time (skipped).
    fn scalar(&mut self) -> Result<Parsed, Fail> {
        let start = self.pos;
        let word_end = |s: &str| {
            s.find(|c: char| c.is_whitespace() || matches!(c, ',' | ']' | '}' | '#'))
                .unwrap_or(s.len())
        };
        let mut end = start + word_end(self.rest());
        // A date and a time may be separated by one space: `1979-05-27 07:32:00Z`.
        let word = &self.text[start..end];
        let after = &self.text[end..];
        if is_date(word)
            && after.starts_with(' ')
            && after[1..].starts_with(|c: char| c.is_ascii_digit())
            && after[1..].get(2..3) == Some(":")
        {
            end += 1 + word_end(&after[1..]);
        }
        let word = &self.text[start..end];
        if word.is_empty() {
            return self
                .fail("a value is missing: use a quoted string, `true`, `false` or a number");
        }
        self.pos = end;
        Ok(match word {
            "true" => Parsed::Value(Value::Bool(true)),
            "false" => Parsed::Value(Value::Bool(false)),
            _ => match integer(word) {
                Some(i) => Parsed::Value(Value::Integer(i)),
                None if word.contains(':') || is_date(word.get(..10).unwrap_or(word)) => {
                    Parsed::Other("a date-time")
                }
                None if word.starts_with(|c: char| c.is_ascii_digit() || c == '+' || c == '-')
                    || matches!(word, "inf" | "nan") =>
                {
                    Parsed::Other("a number gomux does not read")
                }
                None => {
                    self.pos = start;
                    return self.fail(format!(
                        "`{}` is not a value: use a quoted string, `true`, `false` or a number",
                        text::escape(word)
                    ));
                }
            },
        })
    }

    /// A `"..."` string after its opening quote.
    fn basic_string(&mut self) -> Result<String, Fail> {
        let mut out = String::new();
        loop {
            let Some(c) = self.rest().chars().next() else {
                return self.fail("a string needs a closing `\"`");
            };
            match c {
                '"' => {
                    self.pos += 1;
                    return Ok(out);
                }
                '\n' | '\r' => return self.fail("a string needs a closing `\"` on its line"),
                '\\' => {
                    self.pos += 1;
                    out.push(self.escape()?);
                }
                c => {
                    self.pos += c.len_utf8();
                    out.push(c);
                }
            }
        }
    }

    /// The character of an escape, after its backslash.
    fn escape(&mut self) -> Result<char, Fail> {
        let Some(c) = self.rest().chars().next() else {
            return self.fail("a string needs a closing `\"`");
        };
        self.pos += c.len_utf8();
        let hex = |r: &mut Reader<'_>, n: usize| -> Result<char, Fail> {
            let digits = r.text.get(r.pos..r.pos + n).unwrap_or("");
            let code = (digits.len() == n && digits.bytes().all(|b| b.is_ascii_hexdigit()))
                .then(|| u32::from_str_radix(digits, 16).ok())
                .flatten()
                .and_then(char::from_u32);
            match code {
                Some(c) => {
                    r.pos += n;
                    Ok(c)
                }
                None => r.fail(format!(
                    "`\\{c}` needs {n} hex digits of a Unicode scalar value"
                )),
            }
        };
        Ok(match c {
            'b' => '\u{8}',
            't' => '\t',
            'n' => '\n',
            'f' => '\u{c}',
            'r' => '\r',
            'e' => '\u{1b}',
            '"' => '"',
            '\\' => '\\',
            'u' => hex(self, 4)?,
            'U' => hex(self, 8)?,
            'x' => hex(self, 2)?,
            other => {
                self.pos -= other.len_utf8();
                return self.fail(format!(
                    "unknown escape `\\{}` in a string",
                    text::escape(&other.to_string())
                ));
            }
        })
    }

    /// A `'...'` string after its opening quote.
    fn literal_string(&mut self) -> Result<String, Fail> {
        match self.rest().find(['\'', '\n']) {
            Some(i) if self.b[self.pos + i] == b'\'' => {
                let s = self.text[self.pos..self.pos + i].to_string();
                self.pos += i + 1;
                Ok(s)
            }
            _ => self.fail("a string needs a closing `'` on its line"),
        }
    }

    /// A `"""` or `'''` string after its opening quotes.
    fn multiline(&mut self, quote: u8) -> Result<String, Fail> {
        // A line break right after the opening quotes is not part of the string.
        self.newline();
        let mut out = String::new();
        loop {
            let Some(c) = self.rest().chars().next() else {
                let q = quote as char;
                return self.fail(format!("a string needs closing `{q}{q}{q}`"));
            };
            if c as u32 == u32::from(quote) && self.b[self.pos..].starts_with(&[quote; 3]) {
                // Up to two more quotes belong to the string: `"""a""""` is `a"`.
                let run = self.b[self.pos..]
                    .iter()
                    .take_while(|&&b| b == quote)
                    .count();
                if run > 5 {
                    return self.fail("too many quotes at the end of a string");
                }
                for _ in 3..run {
                    out.push(quote as char);
                }
                self.pos += run;
                return Ok(out);
            }
            if c == '\\' && quote == b'"' {
                self.pos += 1;
                // A backslash at the end of a line trims the line break and the blanks after it.
                let blanks = self
                    .rest()
                    .bytes()
                    .take_while(|&b| b == b' ' || b == b'\t')
                    .count();
                let after = &self.rest()[blanks..];
                if after.starts_with('\n') || after.starts_with("\r\n") {
                    while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
                        self.pos += 1;
                    }
                    continue;
                }
                out.push(self.escape()?);
                continue;
            }
            self.pos += c.len_utf8();
            out.push(c);
        }
    }
}

/// `YYYY-MM-DD`.
fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

/// A TOML integer: decimal with an optional sign, or `0x`, `0o`, `0b`; `_` between digits.
fn integer(word: &str) -> Option<i64> {
    let (radix, digits, sign) = if let Some(d) = word.strip_prefix("0x") {
        (16, d, "")
    } else if let Some(d) = word.strip_prefix("0o") {
        (8, d, "")
    } else if let Some(d) = word.strip_prefix("0b") {
        (2, d, "")
    } else if let Some(d) = word.strip_prefix('-') {
        (10, d, "-")
    } else {
        (10, word.strip_prefix('+').unwrap_or(word), "")
    };
    let ok = !digits.is_empty()
        && !digits.starts_with('_')
        && !digits.ends_with('_')
        && !digits.contains("__")
        && digits.chars().all(|c| c == '_' || c.is_digit(radix));
    if !ok || (radix == 10 && digits.len() > 1 && digits.starts_with('0')) {
        return None;
    }
    let clean: String = std::iter::once(sign)
        .chain(std::iter::once(digits))
        .collect::<String>()
        .replace('_', "");
    i64::from_str_radix(&clean, radix).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Settings, SettingsError> {
        Settings::parse(Path::new("settings.toml"), text)
    }

    fn edit(text: &str, key: &str, value: Option<&Value>) -> String {
        parse(text).unwrap().edit(text, key, value).unwrap()
    }

    fn string(s: &str) -> Value {
        Value::String(s.to_string())
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
    fn what_gomux_does_not_know_is_skipped() {
        let s = parse(concat!(
            "mirrors = [\"a\", 'b', [1, 2.5], { x = 1 }]\n",
            "more = [\n  \"c\", # a comment\n  \"d\",\n]\n",
            "point = { x = 1, y = { z = \"deep\" } }\n",
            "notes = \"\"\"\ndefault_toolchain = \"go1.0.0\"\n[cache]\n\"\"\"\n",
            "raw = '''\nauto_install = true\n'''\n",
            "when = 1979-05-27 07:32:00Z\n",
            "day = 1979-05-27\n",
            "pi = 3.14\n",
            "big = 1e6\n",
            "neg = -inf\n",
            "\"quoted key\" = 1\n",
            "[[plugins]]\n",
            "name = \"x\"\n",
            "default_toolchain = \"not this one\"\n",
            "[future]\n",
            "list = []\n",
            "[dist]\n",
            "server = \"file:///m\"\n",
        ))
        .unwrap();
        assert_eq!(s.default_toolchain().unwrap(), None);
        assert_eq!(s.get_bool(keys::AUTO_INSTALL).unwrap(), None);
        assert_eq!(s.get_str(keys::DIST_SERVER).unwrap(), Some("file:///m"));
        assert_eq!(s.get("point.y.z"), Some(&string("deep")));
        // Inline tables and quoted keys are read like any other key.
        let s =
            parse("cache = { mode = \"shared\" }\n'default_toolchain' = \"go1.22.1\"\n").unwrap();
        assert_eq!(s.get_str(keys::CACHE_MODE).unwrap(), Some("shared"));
        assert_eq!(s.default_toolchain().unwrap(), Some("go1.22.1"));
        // A quoted key with a dot in it is one key, not a table.
        let s = parse("\"cache.mode\" = \"job\"\n").unwrap();
        assert_eq!(s.get_str(keys::CACHE_MODE).unwrap(), None);
    }

    #[test]
    fn errors_name_the_line() {
        let e = parse("a = 1\nb = nope\n").unwrap_err().to_string();
        assert!(e.starts_with("settings.toml:2: "), "{e}");
        let e = parse("[cache\n").unwrap_err().to_string();
        assert!(e.contains(":1:"), "{e}");
        let e = parse("a = \"x\nb=1").unwrap_err().to_string();
        assert!(e.contains(":1:"), "{e}");
        let e = parse("x = [\n1,\n2\n3]\n").unwrap_err().to_string();
        assert!(e.contains(":4:"), "{e}");
        let e = parse("auto_install = 1\nauto_install = 2\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains(":2:") && e.contains("set twice"), "{e}");
        let e = parse("\n\nauto_install = \"yes\"\n")
            .unwrap()
            .get_bool(keys::AUTO_INSTALL)
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "settings.toml:3: `auto_install` must be `true` or `false`, not a string"
        );
        // A known key set to what gomux does not read is an error when it is read.
        for (text, line, found) in [
            ("default_toolchain = [\"go1.22\"]\n", 1, "an array"),
            ("x = 1\ndefault_toolchain = { v = 1 }\n", 2, "a table"),
            ("[cache]\nmode = 1979-05-27\n", 2, "a date-time"),
            ("[cache.mode]\nx = 1\n", 1, "a table"),
            ("cache.mode.x = 1\n", 1, "a table"),
        ] {
            let s = parse(text).unwrap();
            let key = if text.contains("mode") {
                keys::CACHE_MODE
            } else {
                keys::DEFAULT_TOOLCHAIN
            };
            let e = s.get_str(key).unwrap_err().to_string();
            assert!(
                e.starts_with(&format!(
                    "settings.toml:{line}: `{key}` must be a string, not {found}"
                )),
                "{text:?}: {e}"
            );
        }
        // Nesting is bounded, not a stack overflow.
        let deep = format!("x = {}\n", "[".repeat(100_000));
        assert!(
            parse(&deep)
                .unwrap_err()
                .to_string()
                .contains("nested too deeply")
        );
        // Untrusted text in a message is escaped.
        let e = parse("a = \x1b[2K\n").unwrap_err().to_string();
        assert!(e.contains("\\x1b[2K") && !e.contains('\x1b'), "{e}");
    }

    #[test]
    fn edits_keep_other_lines() {
        let original = "# mine\ndefault_toolchain = \"go1.21.0\"\n\n[cache]\nmode = \"shared\" # keep\n\n[other]\nx = 1\n";
        let t = edit(original, "default_toolchain", Some(&string("go1.22.3")));
        assert_eq!(t, original.replace("go1.21.0", "go1.22.3"));
        let t = edit(original, "cache.root", Some(&string("/data")));
        let s = parse(&t).unwrap();
        assert_eq!(s.get_str("cache.root").unwrap(), Some("/data"));
        assert_eq!(s.get_str("cache.mode").unwrap(), Some("shared"));
        assert!(
            t.contains("mode = \"shared\" # keep\nroot = \"/data\"\n\n[other]"),
            "{t}"
        );
        let t = edit(original, "dist.server", Some(&string("file:///m")));
        assert!(t.ends_with("\n\n[dist]\nserver = \"file:///m\"\n"), "{t}");
        let t = edit("", "default_toolchain", Some(&string("go1.22.0")));
        assert_eq!(t, "default_toolchain = \"go1.22.0\"\n");
        let t = edit(
            "[cache]\nmode = \"off\"\n",
            "auto_install",
            Some(&Value::Bool(false)),
        );
        assert_eq!(t, "auto_install = false\n[cache]\nmode = \"off\"\n");
        let t = edit(original, "cache.mode", None);
        assert!(!t.contains("mode ="), "{t}");
        assert!(t.contains("[cache]\n\n[other]"), "{t}");
        // Unknown forms stay byte for byte, and a multi-line value is never taken for keys.
        let other = "mirrors = [\n  \"a\",\n]\nnote = \"\"\"\ndefault_toolchain = 1\n\"\"\"\n[cache]\nx = { a = 1 }\n";
        let t = edit(other, "default_toolchain", Some(&string("go1.23.0")));
        assert_eq!(
            t,
            other.replace(
                "\"\"\"\n[cache]",
                "\"\"\"\ndefault_toolchain = \"go1.23.0\"\n[cache]"
            )
        );
        // A value written another way is replaced in place, in the way it was written.
        let t = edit(
            "cache = { mode = \"off\" } # c\n",
            "cache.mode",
            Some(&string("job")),
        );
        assert_eq!(t, "cache = { mode = \"job\" } # c\n");
        let t = edit("cache.root = '/x'\n", "cache.mode", Some(&string("job")));
        assert_eq!(t, "cache.root = '/x'\ncache.mode = \"job\"\n");
        let t = edit(
            "default_toolchain = [1]\r\n",
            "default_toolchain",
            Some(&string("go1.2")),
        );
        assert_eq!(t, "default_toolchain = \"go1.2\"\r\n");
        // What cannot be edited safely is refused, naming the line.
        let s = parse("cache = { root = \"/x\" }\n").unwrap();
        assert!(s.edit("", "cache.mode", Some(&string("job"))).is_err());
        // Control characters are written as escapes and read back the same.
        let t = edit("", "default_toolchain", Some(&string("a\u{1}b\"\\")));
        assert_eq!(
            parse(&t).unwrap().default_toolchain().unwrap(),
            Some("a\u{1}b\"\\")
        );
    }

    fn locked(dir: &Path) -> UpdateLock {
        UpdateLock::acquire(&dir.join(".update-settings.lock")).unwrap()
    }

    #[test]
    fn update_round_trips_through_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let lock = locked(dir.path());
        let path = dir.path().join("sub").join("settings.toml");
        Settings::update(&path, "default_toolchain", Some(&string("go1.22.3")), &lock).unwrap();
        Settings::update(&path, "cache.mode", Some(&string("job")), &lock).unwrap();
        let s = Settings::load(&path).unwrap();
        assert_eq!(s.default_toolchain().unwrap(), Some("go1.22.3"));
        assert_eq!(s.get_str("cache.mode").unwrap(), Some("job"));
        std::fs::write(&path, "broken = \n").unwrap();
        assert!(Settings::update(&path, "x", Some(&Value::Bool(true)), &lock).is_err());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "broken = \n");
        let left: Vec<_> = std::fs::read_dir(path.parent().unwrap()).unwrap().collect();
        assert_eq!(left.len(), 1, "no temporary file beside settings.toml");
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_is_an_error_not_a_wait() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("settings.toml");
        let made = std::process::Command::new("mkfifo")
            .arg(&path)
            .status()
            .unwrap();
        assert!(made.success());
        let e = Settings::load(&path).unwrap_err();
        assert!(e.to_string().contains("is not a regular file"), "{e}");
        assert!(e.hint().unwrap().contains("regular text file"));
        std::fs::remove_file(&path).unwrap();
        std::fs::File::create(&path)
            .unwrap()
            .set_len(MAX_SIZE + 1)
            .unwrap();
        assert!(
            Settings::load(&path)
                .unwrap_err()
                .to_string()
                .contains("larger than")
        );
    }

    mod against_toml {
        use super::*;
        use proptest::prelude::*;

        /// The key paths the generator sets: gomux's keys, their tables, and unknown ones.
        fn key_path() -> impl Strategy<Value = Vec<String>> {
            prop_oneof![
                Just(vec!["default_toolchain"]),
                Just(vec!["auto_install"]),
                Just(vec!["cache", "mode"]),
                Just(vec!["cache", "root"]),
                Just(vec!["cache", "force"]),
                Just(vec!["dist", "server"]),
                Just(vec!["dist", "index"]),
                Just(vec!["cache"]),
                Just(vec!["dist"]),
                Just(vec!["mirrors"]),
                Just(vec!["cache", "mode", "x"]),
                Just(vec!["future", "thing"]),
                Just(vec!["cache.mode"]),
            ]
            .prop_map(|v| v.into_iter().map(str::to_string).collect())
        }

        /// A key part written bare, `"basic"` or `'literal'`.
        fn write_part(part: &str, style: u8) -> String {
            let bare = part
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
            match style % 3 {
                0 if bare => part.to_string(),
                1 | 0 => format!("\"{part}\""),
                _ => format!("'{part}'"),
            }
        }

        fn text_value() -> impl Strategy<Value = String> {
            "[a-z0-9./:_ \\\\\"'#=\\[\\]{}\u{e9}\u{1}\t-]{0,12}"
        }

        /// A value in one of the forms TOML has.
        fn value() -> impl Strategy<Value = String> {
            let leaf = prop_oneof![
                text_value().prop_map(|s| Value::String(s).to_string()),
                "[a-z0-9./: \"#=\\[\\]]{0,10}".prop_map(|s| format!("'{s}'")),
                "[a-z0-9./: '\"#=\\[\\]\n]{0,12}".prop_map(|s| format!("'''{s}'''")),
                "[a-z0-9./: '#=\\[\\]\n]{0,12}".prop_map(|s| format!("\"\"\"\n{s}\"\"\"")),
                any::<bool>().prop_map(|b| b.to_string()),
                any::<i64>().prop_map(|i| i.to_string()),
                (0i64..1_000_000).prop_map(|i| format!("0x{i:x}")),
                Just("1_000".to_string()),
                Just("3.25".to_string()),
                Just("-inf".to_string()),
                Just("1979-05-27".to_string()),
                Just("1979-05-27 07:32:00Z".to_string()),
                Just("07:32:00".to_string()),
                Just("\"\\u00e9\\t\\\\\"".to_string()),
                Just("\"a\\\"b\"".to_string()),
            ];
            leaf.prop_recursive(2, 8, 3, |inner| {
                prop_oneof![
                    prop::collection::vec(inner.clone(), 0..3)
                        .prop_map(|v| format!("[{}]", v.join(", "))),
                    prop::collection::vec(inner.clone(), 1..3)
                        .prop_map(|v| format!("[\n  {},\n]", v.join(",\n  # c\n  "))),
                    prop::collection::vec((key_path(), inner), 0..3).prop_map(|v| {
                        let kv: Vec<String> = v
                            .into_iter()
                            .map(|(k, v)| format!("{} = {v}", k.join(".")))
                            .collect();
                        format!("{{ {} }}", kv.join(", "))
                    }),
                ]
            })
        }

        #[derive(Debug, Clone)]
        enum Line {
            Blank,
            Comment,
            Header(Vec<String>, bool),
            Entry(Vec<String>, u8, String, bool),
        }

        fn line() -> impl Strategy<Value = Line> {
            prop_oneof![
                1 => Just(Line::Blank),
                1 => Just(Line::Comment),
                2 => (key_path(), any::<bool>()).prop_map(|(k, arr)| Line::Header(k, arr)),
                6 => (key_path(), any::<u8>(), value(), any::<bool>())
                    .prop_map(|(k, s, v, c)| Line::Entry(k, s, v, c)),
            ]
        }

        fn render(lines: &[Line], crlf: bool) -> String {
            let nl = if crlf { "\r\n" } else { "\n" };
            let mut out = String::new();
            for l in lines {
                match l {
                    Line::Blank => {}
                    Line::Comment => out.push_str("# a comment = \"x\" [cache]"),
                    Line::Header(k, arr) => {
                        let name: Vec<String> = k.iter().map(|p| write_part(p, 0)).collect();
                        let name = name.join(".");
                        out.push_str(&if *arr {
                            format!("[[{name}]]")
                        } else {
                            format!("[ {name} ]")
                        });
                    }
                    Line::Entry(k, style, v, comment) => {
                        let key: Vec<String> = k
                            .iter()
                            .enumerate()
                            .map(|(i, p)| write_part(p, style.wrapping_add(i as u8)))
                            .collect();
                        out.push_str(&format!("{} = {v}", key.join(" . ")));
                        if *comment {
                            out.push_str(" # note");
                        }
                    }
                }
                out.push_str(nl);
            }
            out
        }

        /// What a real TOML parser finds at a dotted path: a value gomux reads, something
        /// else, or nothing.
        fn lookup(doc: &toml::Table, key: &str) -> Option<Result<Value, ()>> {
            let parts: Vec<&str> = key.split('.').collect();
            let mut table = doc;
            for (i, part) in parts.iter().enumerate() {
                let v = table.get(*part)?;
                if i + 1 == parts.len() {
                    return Some(match v {
                        toml::Value::String(s) => Ok(Value::String(s.clone())),
                        toml::Value::Boolean(b) => Ok(Value::Bool(*b)),
                        toml::Value::Integer(n) => Ok(Value::Integer(*n)),
                        _ => Err(()),
                    });
                }
                table = v.as_table()?;
            }
            None
        }

        fn check(text: &str) -> Result<(), TestCaseError> {
            let theirs = text.parse::<toml::Table>();
            let ours = parse(text);
            if let Ok(doc) = &theirs {
                // What TOML accepts, gomux reads too: a valid file never breaks a `go` call.
                let ours = ours.as_ref().map_err(|e| {
                    TestCaseError::fail(format!("gomux rejects valid TOML: {e}\n{text}"))
                })?;
                for (key, _) in keys::ALL {
                    let mine = match ours.entry(key).map(|e| &e.setting) {
                        None => None,
                        Some(Setting::Value(v)) => Some(Ok(v.clone())),
                        Some(Setting::Other(_)) => Some(Err(())),
                    };
                    prop_assert_eq!(mine, lookup(doc, key), "`{}` in\n{}", key, text);
                }
            }
            Ok(())
        }

        proptest! {
            #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]
            #[test]
            fn gomux_reads_what_toml_reads(lines in prop::collection::vec(line(), 0..8), crlf in any::<bool>()) {
                check(&render(&lines, crlf))?;
            }

            #[test]
            fn edits_are_read_back_by_toml(lines in prop::collection::vec(line(), 0..6), k in 0..keys::ALL.len(), v in text_value()) {
                let text = render(&lines, false);
                let (key, _) = keys::ALL[k];
                if text.parse::<toml::Table>().is_ok()
                    && let Ok(s) = parse(&text)
                    && let Ok(new) = s.edit(&text, key, Some(&Value::String(v.clone())))
                {
                    let doc = new
                        .parse::<toml::Table>()
                        .map_err(|e| TestCaseError::fail(format!("{e}\n{new}")))?;
                    prop_assert_eq!(lookup(&doc, key), Some(Ok(Value::String(v))), "{}", new);
                    check(&new)?;
                }
            }
        }
    }
}

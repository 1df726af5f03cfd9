//! The one-pass TOML reader behind [`Settings::parse`](super::Settings::parse): it keeps strings,
//! booleans and integers with their lines and byte spans, and skips the rest of TOML's syntax.

use std::ops::Range;

use super::{Entry, Section, Setting, Value};
use crate::text;

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
pub(super) struct Reader<'a> {
    text: &'a str,
    b: &'a [u8],
    pos: usize,
    pub(super) entries: Vec<Entry>,
    pub(super) sections: Vec<Section>,
    /// The last position a line was counted for, and its line.
    counted: (usize, usize),
}

impl<'a> Reader<'a> {
    pub(super) fn new(text: &'a str) -> Reader<'a> {
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

    pub(super) fn document(&mut self) -> Result<(), Fail> {
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

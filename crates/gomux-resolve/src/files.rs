//! Reading the small files that choose a toolchain: `.go-version`, `.tool-versions`, and the
//! `go`/`toolchain` lines of go.mod and go.work.
//!
//! Module files are not parsed in full: like the Go command's startup selection, only the first
//! line starting with the key followed by a space or tab counts, cut at `//` and trimmed.

use std::path::Path;

use gomux_version::Request;

use gomux_home::text;

use crate::{ResolveError, linestart};

/// A value read from a file, with its 1-based line number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lined<T> {
    /// What the line says (a parsed version, or a module file's text as written).
    pub value: T,
    /// The 1-based line number it was read from.
    pub line: usize,
}

/// The `go` and `toolchain` lines of a go.mod or go.work (quick scan).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ModuleLines {
    /// The first `go` line's value, unvalidated (it may be `"1.25.0"` or `(`); `None` when
    /// there is none.
    pub go: Option<Lined<String>>,
    /// The first `toolchain` line's value, unvalidated (`go1.25.1`, `default`, ...); `None`
    /// when there is none.
    pub toolchain: Option<Lined<String>>,
}

/// Scans module file text for the first `go` and `toolchain` lines, as Go's `GoModLookup`.
pub fn scan_module_text(text: &str) -> ModuleLines {
    scan_module_bytes(text.as_bytes())
}

/// [`scan_module_text`] on raw bytes: a found value is decoded as UTF-8, invalid sequences
/// replaced, exactly as if the whole file had been decoded first (the value is cut at ASCII
/// bytes, which never belong to a multi-byte sequence).
///
/// This runs on every `go` call in a module, and a go.mod with thousands of `require` lines
/// is common, so it is one pass over the bytes that looks at a line only when its first
/// non-blank byte can start a key.
pub fn scan_module_bytes(bytes: &[u8]) -> ModuleLines {
    let mut found = ModuleLines::default();
    let mut line_no = 0;
    scan_lines(
        bytes,
        linestart::worth_wide(bytes.len()),
        &mut found,
        &mut line_no,
    );
    found
}

/// Scans `bytes` as whole lines (split at `\n`; the last piece is a line too), numbering them
/// on from `line_no`; true once both keys are found.
///
/// Only lines whose first byte after ASCII blanks can start a key (`g`, `t`) or a Unicode
/// space (a byte from 0x80) are looked at, and they are found without visiting every line:
/// [`each_start`] flags such a byte when the byte before it is a blank or a newline, sixteen
/// bytes at a time, and a flagged byte counts only when nothing but blanks lies between it and
/// the start of its line. The `require` lines of a 50,000-line go.mod cost a few instructions
/// per sixteen bytes.
fn scan_lines(bytes: &[u8], wide: bool, found: &mut ModuleLines, line_no: &mut usize) -> bool {
    let base = *line_no;
    // Newlines are counted only when a key is found (from where the last count stopped), and
    // for the whole slice at the end, by the search itself.
    let mut counted = (0, 0);
    let mut first_key = |p: usize| -> bool {
        let rest = &bytes[p..];
        // Most flagged bytes start a module path (`github.com/...`): cheap checks first.
        let keyed = |key: &[u8]| {
            rest.strip_prefix(key)
                .is_some_and(|r| matches!(r.first(), Some(b' ' | b'\t')))
        };
        if !(rest[0] >= 0x80 || keyed(b"go") || keyed(b"toolchain")) {
            return false;
        }
        let mut k = p;
        while k > 0 && linestart::is_blank(bytes[k - 1]) {
            k -= 1;
        }
        if k > 0 && bytes[k - 1] != b'\n' {
            return false; // inside a line
        }
        let end = rest
            .iter()
            .position(|&b| b == b'\n')
            .map_or(bytes.len(), |e| p + e);
        counted.1 += count_newlines(&bytes[counted.0..k]);
        counted.0 = k;
        scan_line(&bytes[k..end], base + counted.1 + 1, found)
    };
    let (done, newlines) = linestart::each_start(bytes, wide, &mut first_key);
    *line_no = base + newlines + 1;
    done
}

/// The number of `\n` bytes in `bytes` (outside the hot loop: only where a key is found).
///
/// A plain loop, which the compiler vectorizes: the `memchr` crate's functions pick their
/// instructions at run time on first use, and that CPU feature check (CPUID, a VM exit on a
/// virtual machine) cost the proxy 9 µs of every call.
fn count_newlines(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| b == b'\n').count()
}

/// One line that may hold a key (it begins with one, or with a Unicode space); true once both
/// keys are found.
fn scan_line(line: &[u8], line_no: usize, found: &mut ModuleLines) -> bool {
    {
        let line = trim_space(line);
        if found.go.is_none() {
            found.go = key_value(line, b"go").map(|value| Lined {
                value,
                line: line_no,
            });
        }
        if found.toolchain.is_none() {
            found.toolchain = key_value(line, b"toolchain").map(|value| Lined {
                value,
                line: line_no,
            });
        }
        found.go.is_some() && found.toolchain.is_some()
    }
}

/// The length of the space character at the start of `s` (Go's `unicode.IsSpace`: ASCII
/// `\t \n \v \f \r` and space, U+0085, U+00A0, and the Unicode `White_Space` characters
/// U+1680, U+2000–U+200A, U+2028, U+2029, U+202F, U+205F, U+3000), or 0.
fn leading_space(s: &[u8]) -> usize {
    match s {
        [b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | b' ', ..] => 1,
        [0xc2, 0x85 | 0xa0, ..] => 2,
        [0xe1, 0x9a, 0x80, ..] => 3,
        [0xe2, 0x80, 0x80..=0x8a | 0xa8 | 0xa9 | 0xaf, ..] => 3,
        [0xe2, 0x81, 0x9f, ..] => 3,
        [0xe3, 0x80, 0x80, ..] => 3,
        _ => 0,
    }
}

/// The length of the space character at the end of `s`, or 0 (see [`leading_space`]).
fn trailing_space(s: &[u8]) -> usize {
    for n in [1, 2, 3] {
        if s.len() >= n && leading_space(&s[s.len() - n..]) == n {
            return n;
        }
    }
    0
}

/// Go's `bytes.TrimSpace`: every Unicode space off both ends.
fn trim_space(mut s: &[u8]) -> &[u8] {
    loop {
        let n = leading_space(s);
        if n == 0 {
            break;
        }
        s = &s[n..];
    }
    loop {
        let n = trailing_space(s);
        if n == 0 {
            break;
        }
        s = &s[..s.len() - n];
    }
    s
}

/// The value of a trimmed line `KEY VALUE // comment`, when the line has that key.
fn key_value(line: &[u8], key: &[u8]) -> Option<String> {
    let rest = line.strip_prefix(key)?;
    if !matches!(rest.first(), Some(b' ' | b'\t')) {
        return None;
    }
    let rest = match rest.windows(2).position(|w| w == b"//") {
        Some(j) => &rest[..j],
        None => rest,
    };
    Some(String::from_utf8_lossy(trim_space(rest)).into_owned())
}

/// How much of a module file is read at a time. A go.mod of 50,000 `require` lines is 2.5 MB:
/// read whole into a fresh buffer, its page faults alone cost the proxy milliseconds, while one
/// reused buffer costs a copy of each chunk and nothing more.
const MODULE_CHUNK: usize = 64 * 1024;

/// Reads a go.mod or go.work and scans it, in chunks of [`MODULE_CHUNK`] bytes into one
/// buffer, and no further than the scan needs (both keys found ends it).
///
/// `records`: the home whose `tmp/` records the scans of large files (Linux): a file of
/// [`RECORD_FROM`] bytes or more is then scanned once per change, and every other call reads
/// the record, proven current by the file's `stat` (see [`crate::record`]).
pub fn scan_module_file(
    path: &Path,
    records: Option<&gomux_home::Home>,
) -> Result<ModuleLines, ResolveError> {
    let read_error = |e: std::io::Error| ResolveError::Read {
        path: path.to_path_buf(),
        message: gomux_home::fsx::describe(&e),
    };
    let mut opts = std::fs::OpenOptions::new();
    opts.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        // O_NONBLOCK: a FIFO put there after the walk saw a file never blocks the proxy.
        opts.custom_flags(0o4000);
    }
    let file = opts.open(path).map_err(read_error)?;
    #[cfg(target_os = "linux")]
    if let Some(home) = records {
        return recorded::scan(file, path, home).map_err(read_error);
    }
    let _ = records;
    scan_module_reader(file, MODULE_CHUNK).map_err(read_error)
}

/// From this size on, a module file's scan is recorded (see [`scan_module_file`]): below it,
/// reading the file costs less than reading a record.
pub const RECORD_FROM: u64 = 64 * 1024;

/// The recorded scans of large module files (Linux).
#[cfg(target_os = "linux")]
mod recorded {
    use std::fs::File;
    use std::path::Path;

    use rustix::fs::FileType;

    use super::*;
    use crate::record::{self, Found, Key, Pending, Source};

    /// A scan record's first line: what it is, and its format's version.
    pub(super) const HEADER: &str = "gomux module scan 1";

    /// `tmp/.modscan-<hash of the file's path>`: where the scan of the file at `path` is
    /// recorded (the key tells apart two paths with one hash).
    pub(crate) fn record_path(tmp: &Path, path: &Path) -> std::path::PathBuf {
        let hash = gomux_home::cache::fnv1a64(path.as_os_str().as_encoded_bytes());
        tmp.join(format!("{}{hash:016x}", gomux_home::MODULE_SCAN_PREFIX))
    }

    pub(super) fn scan(
        mut file: File,
        path: &Path,
        home: &gomux_home::Home,
    ) -> std::io::Result<ModuleLines> {
        use std::io::{Read as _, Seek as _};
        // Most module files are small: read whole by the first reads, they never pay a
        // `stat` (the same syscalls as without records).
        let mut first = [0u8; FIRST_READ];
        let mut filled = 0;
        loop {
            match file.read(&mut first[filled..]) {
                Ok(0) => return Ok(scan_module_bytes(&first[..filled])),
                Ok(n) => filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
            if filled == first.len() {
                break;
            }
        }
        // Larger: scanned from the start again, after the record's making began.
        let st = rustix::fs::fstat(&file)?;
        if !FileType::from_raw_mode(st.st_mode).is_file() {
            // Put there after the walk saw a file (a FIFO): read on, as it comes.
            return scan_module_reader((&first[..]).chain(file), MODULE_CHUNK);
        }
        file.rewind()?;
        if u64::try_from(st.st_size).unwrap_or(0) < RECORD_FROM {
            return scan_module_reader(file, MODULE_CHUNK);
        }
        let key = Key::of(&st);
        let tmp = home.tmp_dir();
        let at = record_path(&tmp, path);
        let replace = match record::read(&at, HEADER, Source::File, &key) {
            Found::Current(body) => match decode(&body) {
                Some(lines) => return Ok(lines),
                None => false,
            },
            Found::Stale | Found::Absent => true,
            Found::Foreign => false,
        };
        // The making's start comes before the reading (see `record::trusted`).
        let pending = replace.then(|| Pending::start(&tmp, key.dev)).flatten();
        let lines = scan_module_reader(&file, MODULE_CHUNK)?;
        if let Some(pending) = pending {
            pending.finish(&file, Source::File, HEADER, &encode(&lines), &at);
        }
        Ok(lines)
    }

    /// A record's body: a `go` line and a `toolchain` line, each `-` for none or the line
    /// number and the value's bytes in hex (a value may hold any byte but a newline).
    pub(super) fn encode(lines: &ModuleLines) -> String {
        let mut body = String::new();
        for (key, found) in [("go", &lines.go), ("toolchain", &lines.toolchain)] {
            body.push_str(key);
            match found {
                None => body.push_str(" -"),
                Some(l) => {
                    body.push_str(&format!(" {} ", l.line));
                    for b in l.value.bytes() {
                        body.push_str(&format!("{b:02x}"));
                    }
                }
            }
            body.push('\n');
        }
        body
    }

    /// [`encode`] read back; `None` for anything else.
    pub(super) fn decode(body: &str) -> Option<ModuleLines> {
        let mut lines = body.split_terminator('\n');
        let mut field = |key: &str| -> Option<Option<Lined<String>>> {
            let rest = lines.next()?.strip_prefix(key)?.strip_prefix(' ')?;
            if rest == "-" {
                return Some(None);
            }
            let (line, hex) = rest.split_once(' ')?;
            if !line.bytes().all(|b| b.is_ascii_digit()) || hex.len() % 2 != 0 {
                return None;
            }
            let line: usize = line.parse().ok().filter(|&n| n > 0)?;
            let bytes: Option<Vec<u8>> = (0..hex.len())
                .step_by(2)
                .map(|i| {
                    let pair = hex.get(i..i + 2)?;
                    pair.bytes()
                        .all(|b| b.is_ascii_hexdigit())
                        .then(|| u8::from_str_radix(pair, 16).ok())
                        .flatten()
                })
                .collect();
            let value = String::from_utf8(bytes?).ok()?;
            (!value.contains('\n')).then_some(Some(Lined { value, line }))
        };
        let go = field("go")?;
        let toolchain = field("toolchain")?;
        lines
            .next()
            .is_none()
            .then_some(ModuleLines { go, toolchain })
    }
}

/// [`scan_module_bytes`] over a reader, `chunk` bytes at a time: the same answer as on the
/// whole text. Only the last, unfinished line of a chunk is kept for the next one (a line
/// longer than the buffer grows it).
fn scan_module_reader(mut r: impl std::io::Read, chunk: usize) -> std::io::Result<ModuleLines> {
    let mut found = ModuleLines::default();
    let mut line_no = 0;
    // A small first buffer: most module files fit in it, and zeroing (and touching) 64 KiB
    // for a 50-byte go.mod cost more than the scan. It grows to `chunk` when reads fill it.
    let mut buf = vec![0u8; chunk.clamp(1, FIRST_READ)];
    let mut filled = 0;
    // How much was read: a large file is scanned with the wide search (see `linestart`).
    let mut total = 0;
    let mut wide = false;
    loop {
        if filled == buf.len() {
            buf.resize(buf.len() * 2, 0);
        }
        let space = buf.len() - filled;
        let n = match r.read(&mut buf[filled..]) {
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if n == 0 {
            scan_lines(&buf[..filled], wide, &mut found, &mut line_no);
            return Ok(found);
        }
        let new = filled;
        filled += n;
        total += n;
        wide = linestart::worth_wide(total);
        // The last newline of the buffer (it can only be in what was just read, or the
        // carried-over part had been scanned already).
        // A line is short: searching back from the end finds it within a few bytes.
        let Some(last) = buf[new..filled]
            .iter()
            .rposition(|&b| b == b'\n')
            .map(|i| new + i)
        else {
            continue;
        };
        if scan_lines(&buf[..last], wide, &mut found, &mut line_no) {
            return Ok(found);
        }
        buf.copy_within(last + 1..filled, 0);
        filled -= last + 1;
        if n == space && buf.len() < chunk {
            buf.resize((buf.len() * 16).min(chunk), 0);
        }
    }
}

/// The first read of a module file (see [`scan_module_reader`]).
const FIRST_READ: usize = 4096;

/// Strips a `#` comment and surrounding whitespace (including `\r`) from a pin-file line.
fn clean_line(line: &str) -> &str {
    let line = match line.find('#') {
        Some(i) => &line[..i],
        None => line,
    };
    line.trim()
}

fn bad_line(path: &Path, line: usize, message: String) -> ResolveError {
    ResolveError::PinFile {
        path: path.to_path_buf(),
        line,
        message,
    }
}

fn parse_version(path: &Path, line: usize, word: &str) -> Result<Request, ResolveError> {
    Request::parse(word).map_err(|e| bad_line(path, line, crate::request_error_text(&e)))
}

/// Parses `.go-version`: one version (`1.22.3`, `go1.22.3`, `go 1.22.3`, `1.22`), `#` comments,
/// blank lines, CRLF and a UTF-8 BOM tolerated.
pub fn parse_go_version(path: &Path, text: &str) -> Result<Lined<Request>, ResolveError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut found: Option<Lined<Request>> = None;
    for (i, raw) in text.lines().enumerate() {
        let line = clean_line(raw);
        if line.is_empty() {
            continue;
        }
        if found.is_some() {
            return Err(bad_line(
                path,
                i + 1,
                format!(
                    "unexpected `{}`: a `.go-version` file holds one version",
                    text::escape(line)
                ),
            ));
        }
        let word = match line.strip_prefix("go") {
            Some(rest) if rest.starts_with([' ', '\t']) => rest.trim(),
            _ => line,
        };
        found = Some(Lined {
            value: parse_version(path, i + 1, word)?,
            line: i + 1,
        });
    }
    found.ok_or_else(|| bad_line(path, 1, "the file names no Go version".to_string()))
}

/// Parses `.tool-versions`: the `golang` (or `go`) line, if any. Other tools' lines are ignored.
pub fn parse_tool_versions(
    path: &Path,
    text: &str,
) -> Result<Option<Lined<Request>>, ResolveError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    for (i, raw) in text.lines().enumerate() {
        let line = clean_line(raw);
        let mut words = line.split_whitespace();
        let Some(tool) = words.next() else {
            continue;
        };
        if tool != "golang" && tool != "go" {
            continue;
        }
        let Some(version) = words.next() else {
            return Err(bad_line(
                path,
                i + 1,
                format!("`{tool}` needs a version, such as `{tool} 1.22.3`"),
            ));
        };
        return Ok(Some(Lined {
            value: parse_version(path, i + 1, version)?,
            line: i + 1,
        }));
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lined(value: &str, line: usize) -> Option<Lined<String>> {
        Some(Lined {
            value: value.to_string(),
            line,
        })
    }

    /// The scan as first written, on text decoded in full: the specification the byte scanner
    /// must match.
    fn reference(bytes: &[u8]) -> ModuleLines {
        let text = String::from_utf8_lossy(bytes);
        let lookup = |key: &str| {
            for (i, line) in text.split('\n').enumerate() {
                let line = line.trim_matches([' ', '\t', '\r']);
                let Some(rest) = line.strip_prefix(key) else {
                    continue;
                };
                if !rest.starts_with([' ', '\t']) {
                    continue;
                }
                let rest = match rest.find("//") {
                    Some(j) => &rest[..j],
                    None => rest,
                };
                return Some(Lined {
                    value: rest.trim_matches([' ', '\t', '\r']).to_string(),
                    line: i + 1,
                });
            }
            None
        };
        ModuleLines {
            go: lookup("go"),
            toolchain: lookup("toolchain"),
        }
    }

    #[test]
    fn the_byte_scanner_matches_the_reference() {
        const PIECES: &[&[u8]] = &[
            b"go",
            b"toolchain",
            b"tool",
            b"godebug",
            b" ",
            b"\t",
            b"\r",
            b"\n",
            b"\n",
            b"//",
            b"/",
            b"1.22.3",
            b"go1.25.1",
            b"x",
            b"\xff",
            b"\xc3",
            b"\xc3\xa9",
            b"\xe2\x82",
            b"require (",
            b"\texample.com/m v1.0.0",
            b"\"",
        ];
        let mut next = crate::linestart::xorshift(0x9e37_79b9_7f4a_7c15);
        for _ in 0..20_000 {
            let len = (next() % 24) as usize;
            let mut text = Vec::new();
            for _ in 0..len {
                text.extend_from_slice(PIECES[(next() % PIECES.len() as u64) as usize]);
            }
            assert_eq!(
                scan_module_bytes(&text),
                reference(&text),
                "{:?}",
                String::from_utf8_lossy(&text)
            );
        }
    }

    /// A reader that hands out at most `step` bytes per read, as a pipe or a slow disk may.
    struct Dribble<'a> {
        rest: &'a [u8],
        step: usize,
    }

    impl std::io::Read for Dribble<'_> {
        fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
            let n = self.rest.len().min(self.step).min(out.len());
            out[..n].copy_from_slice(&self.rest[..n]);
            self.rest = &self.rest[n..];
            Ok(n)
        }
    }

    /// Chunked reads give the whole-text answer whatever the chunk and read sizes, lines
    /// longer than the buffer and a last line without a newline included.
    #[test]
    fn the_chunked_scan_matches_the_whole_text() {
        let long = format!("// {}\n", "x".repeat(40));
        let cases: Vec<Vec<u8>> = vec![
            b"".to_vec(),
            b"\n".to_vec(),
            b"go 1.22".to_vec(),
            b"module m\n\ngo 1.22\n".to_vec(),
            b"module m\ngo 1.22\ntoolchain go1.23.1\n".to_vec(),
            format!(
                "module m\n{}go 1.21 // c\n{}\ttoolchain  go1.22.3\r\n",
                long, long
            )
            .into_bytes(),
            format!("{}\n\n{}toolchain go1.25.0", long.repeat(3), "\n".repeat(9)).into_bytes(),
            b"go 1.2\xc3\n\xc3\xa9\ntoolchain \xe2\x82x\n".to_vec(),
        ];
        for text in &cases {
            let want = scan_module_bytes(text);
            for chunk in [1, 2, 3, 5, 8, 13, 64, 4096] {
                for step in [1, 2, 7, 100_000] {
                    let got = scan_module_reader(Dribble { rest: text, step }, chunk).unwrap();
                    assert_eq!(
                        got,
                        want,
                        "chunk {chunk}, step {step}: {:?}",
                        String::from_utf8_lossy(text)
                    );
                }
            }
        }
    }

    /// The scan stops reading once both keys are found (the reader would go on for 1,000
    /// reads).
    #[test]
    fn the_chunked_scan_stops_when_both_keys_are_found() {
        struct Endless(usize);
        impl std::io::Read for Endless {
            fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
                self.0 += 1;
                if self.0 > 1000 {
                    return Ok(0);
                }
                let text = if self.0 == 1 {
                    &b"go 1.22\ntoolchain go1.23.0\n"[..]
                } else {
                    &b"require x v1.0.0\n"[..]
                };
                let n = text.len().min(out.len());
                out[..n].copy_from_slice(&text[..n]);
                Ok(n)
            }
        }
        let mut reader = Endless(0);
        let got = scan_module_reader(&mut reader, 64).unwrap();
        assert_eq!(reader.0, 1, "reads");
        assert_eq!(got.go, lined("1.22", 1));
        assert_eq!(got.toolchain, lined("go1.23.0", 2));
    }

    /// Long texts: many blocks of sixteen bytes, keys after the first one, module paths
    /// that begin like a key.
    #[test]
    fn long_texts_match_the_reference() {
        let mut next = crate::linestart::xorshift(0x9e37_79b9_7f4a_7c15);
        const LINES: &[&str] = &[
            "\tgithub.com/google/go-cmp v0.6.0",
            "\tgolang.org/x/mod v0.20.0 // indirect",
            "\texample.com/toolkit v1.0.0",
            "  go 1.22.3 // late",
            "\ttoolchain go1.23.1",
            "module example.com/m",
            "// toolchain go1.1",
            "\u{a0}go 1.21",
            "\t go\t1.30 \r",
            "",
            "require (",
            ")",
        ];
        for _ in 0..3000 {
            let n = (next() % 60) as usize;
            let text: Vec<u8> = (0..n)
                .map(|_| LINES[(next() % LINES.len() as u64) as usize])
                .collect::<Vec<_>>()
                .join("\n")
                .into_bytes();
            let got = scan_module_bytes(&text);
            let want = reference(&text);
            // The reference trims ASCII blanks only: compare where no Unicode space is involved.
            if !text.windows(2).any(|w| w == b"\xc2\xa0") {
                assert_eq!(got, want, "{:?}", String::from_utf8_lossy(&text));
            }
            let mut reader = &text[..];
            assert_eq!(scan_module_reader(&mut reader, 64).unwrap(), got);
        }
    }

    #[test]
    fn quick_scan_matches_go() {
        let m = scan_module_text(
            "module x\n\n// go 1.30.0\ngodebug default=go1.30\n\tgo\t1.25.0 // comment\r\ngo 1.99\ntoolchain go1.25.1 // pinned\ntool example.com/x\n",
        );
        assert_eq!(m.go, lined("1.25.0", 5));
        assert_eq!(m.toolchain, lined("go1.25.1", 7));
        let m =
            scan_module_text("require (\n\tgo.opentelemetry.io/otel v1\n)\ntool x\ntoolchain\n");
        assert_eq!(m, ModuleLines::default());
        let m = scan_module_text("go \"1.25.0\"\n");
        assert_eq!(m.go, lined("\"1.25.0\"", 1));
        let m = scan_module_text("go (\n1.22\n)\n");
        assert_eq!(m.go, lined("(", 1));
    }

    #[test]
    fn go_version_files() {
        let p = Path::new("/p/.go-version");
        let ok = |t: &str| parse_go_version(p, t).unwrap().value;
        let exact = |s: &str| Request::Exact(s.to_string());
        assert_eq!(ok("1.22.3\n"), exact("go1.22.3"));
        assert_eq!(ok("\u{feff}go1.22.3\r\n"), exact("go1.22.3"));
        assert_eq!(
            ok("# pinned by the team\n\n  go 1.22.3  # lts\r\n"),
            exact("go1.22.3")
        );
        assert_eq!(ok("1.22"), Request::Family("1.22".into()));
        let l = parse_go_version(p, "# c\n\n1.21.0\n").unwrap();
        assert_eq!(l.line, 3);
        for (text, line) in [
            ("1.22.3\n1.21.0\n", 2),
            ("\n\nbanana\n", 3),
            ("../../x\n", 1),
            ("", 1),
        ] {
            let e = parse_go_version(p, text).unwrap_err();
            match &e {
                ResolveError::PinFile { line: l, .. } => assert_eq!(*l, line, "{e}"),
                other => panic!("{other:?}"),
            }
            assert!(
                e.to_string()
                    .starts_with(&format!("/p/.go-version:{line}: ")),
                "{e}"
            );
        }
    }

    #[test]
    fn tool_versions_files() {
        let p = Path::new("/p/.tool-versions");
        let r =
            parse_tool_versions(p, "nodejs 20.1.0\r\n# x\ngolang 1.22.3 1.21.0 # two\n").unwrap();
        assert_eq!(
            r,
            Some(Lined {
                value: Request::Exact("go1.22.3".into()),
                line: 3
            })
        );
        assert_eq!(
            parse_tool_versions(p, "nodejs 20\npython 3.11\n").unwrap(),
            None
        );
        assert_eq!(
            parse_tool_versions(p, "go 1.23").unwrap().map(|l| l.value),
            Some(Request::Family("1.23".into()))
        );
        let e = parse_tool_versions(p, "nodejs 20\ngolang\n").unwrap_err();
        assert!(e.to_string().starts_with("/p/.tool-versions:2: "), "{e}");
        let e = parse_tool_versions(p, "golang ref:abc\n").unwrap_err();
        assert!(e.to_string().starts_with("/p/.tool-versions:1: "), "{e}");
    }
}

/// The recorded scans of large module files (Linux): read instead of the file once recorded,
/// never trusted when the file changed, never made for small files, and a record gomux did not
/// write whole is neither trusted nor replaced.
#[cfg(test)]
#[cfg(target_os = "linux")]
mod record_tests {
    use std::time::{Duration, Instant};

    use super::recorded::{HEADER, decode, encode, record_path};
    use super::*;

    fn lined(value: &str, line: usize) -> Option<Lined<String>> {
        Some(Lined {
            value: value.to_string(),
            line,
        })
    }

    fn big_gomod(toolchain: &str) -> String {
        let mut text = String::from("module example.com/big\n\ngo 1.22.1\n\nrequire (\n");
        for i in 0..2500 {
            text.push_str(&format!("\tgolang.org/x/dependency{i:05} v1.{i}.0\n"));
        }
        text.push_str(&format!(")\n\ntoolchain {toolchain}\n"));
        assert!(text.len() as u64 >= RECORD_FROM);
        text
    }

    /// The home whose `tmp/` is `tmp`.
    fn home_of(tmp: &Path) -> gomux_home::Home {
        gomux_home::Home::new(tmp.parent().unwrap())
    }

    fn scans(path: &Path, tmp: &Path) -> ModuleLines {
        let got = scan_module_file(path, Some(&home_of(tmp))).unwrap();
        assert_eq!(
            got,
            scan_module_file(path, None).unwrap(),
            "as the file says"
        );
        got
    }

    /// A folder with `tmp/` and a large `go.mod`: (the folder, `tmp/`, the go.mod).
    fn fixture() -> (tempfile::TempDir, std::path::PathBuf, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let tmp = dir.path().join("tmp");
        gomux_home::fsx::create_owned_dir(&tmp, gomux_home::fsx::FOLDER_MARKER).unwrap();
        let gomod = dir.path().join("go.mod");
        std::fs::write(&gomod, big_gomod("go1.23.4")).unwrap();
        (dir, tmp, gomod)
    }

    #[test]
    fn a_large_module_file_is_scanned_once_per_change() {
        let (dir, tmp, gomod) = fixture();
        let small = dir.path().join("small.mod");
        std::fs::write(&small, "module small\n\ngo 1.21.0\n").unwrap();
        let record = record_path(&tmp, &gomod);
        // Recorded once the file's last change is older than the margin.
        let start = Instant::now();
        while !record.exists() {
            assert_eq!(scans(&gomod, &tmp).toolchain, lined("go1.23.4", 2508));
            scans(&small, &tmp);
            assert!(start.elapsed() < Duration::from_secs(15), "never recorded");
            std::thread::sleep(Duration::from_millis(50));
        }
        assert!(
            start.elapsed() >= Duration::from_secs(1),
            "recorded within the margin"
        );
        let names: Vec<_> = std::fs::read_dir(&tmp).unwrap().flatten().collect();
        assert_eq!(
            names.len(),
            2,
            "the marker and the record, nothing for the small file: {names:?}"
        );
        // The same key with another body: what the call returns is the record.
        let text = std::fs::read_to_string(&record).unwrap();
        let key_line = text.lines().nth(1).unwrap();
        let forged = ModuleLines {
            go: lined("9.9", 1),
            toolchain: None,
        };
        std::fs::write(
            &record,
            format!("{HEADER}\n{key_line}\n{}end\n", encode(&forged)),
        )
        .unwrap();
        assert_eq!(
            scan_module_file(&gomod, Some(&home_of(&tmp))).unwrap(),
            forged
        );
        // Changes right away, with no pause: rewritten with the same size, then grown.
        std::fs::write(&gomod, big_gomod("go1.23.5")).unwrap();
        assert_eq!(scans(&gomod, &tmp).toolchain, lined("go1.23.5", 2508));
        let mut grown = big_gomod("go1.23.5");
        grown.push_str("toolchain go1.24.0\n");
        std::fs::write(&gomod, &grown).unwrap();
        assert_eq!(scans(&gomod, &tmp).toolchain, lined("go1.23.5", 2508));
        std::fs::write(&gomod, grown.replace("go 1.22.1", "go 1.22.2")).unwrap();
        assert_eq!(scans(&gomod, &tmp).go, lined("1.22.2", 3));
        // A file swapped in at the path (another inode) is not taken for the recorded one.
        let other = dir.path().join("other.mod");
        std::fs::write(&other, big_gomod("go1.25.0")).unwrap();
        std::fs::rename(&other, &gomod).unwrap();
        assert_eq!(scans(&gomod, &tmp).toolchain, lined("go1.25.0", 2508));
    }

    /// Every size around the first read and the record threshold scans as without records,
    /// with the keys at the start or at the very end.
    #[test]
    fn files_of_every_size_scan_as_without_records() {
        let (dir, tmp, _) = fixture();
        let path = dir.path().join("sized.mod");
        let threshold = RECORD_FROM as usize;
        for size in [
            0,
            1,
            40,
            4095,
            4096,
            4097,
            8192,
            threshold - 1,
            threshold,
            threshold + 1,
        ] {
            for at_end in [false, true] {
                let keys = "go 1.22.1\ntoolchain go1.23.4\n";
                let mut text = String::new();
                if !at_end {
                    text.push_str(keys);
                }
                while text.len() + keys.len() + 30 < size {
                    text.push_str("require example.com/x v1.0.0\n");
                }
                if at_end {
                    text.push_str(keys);
                }
                while text.len() < size {
                    text.push(' ');
                }
                std::fs::write(&path, &text).unwrap();
                let want = scan_module_bytes(text.as_bytes());
                assert_eq!(scans(&path, &tmp), want, "{size} bytes");
            }
        }
    }

    #[test]
    fn a_damaged_or_foreign_scan_record_is_never_trusted_nor_replaced() {
        let (_dir, tmp, gomod) = fixture();
        let record = record_path(&tmp, &gomod);
        for text in ["", "gomux module scan 1\n", "not a record\nend\n"] {
            std::fs::write(&record, text).unwrap();
            for _ in 0..2 {
                scans(&gomod, &tmp);
            }
            assert_eq!(std::fs::read_to_string(&record).unwrap(), text);
        }
    }

    #[test]
    fn a_scan_record_body_reads_back_exactly_and_nothing_else_does() {
        for lines in [
            ModuleLines::default(),
            ModuleLines {
                go: lined("1.22.1", 3),
                toolchain: lined("go1.23 \r\u{0}é\u{fffd}", 70_000),
            },
            ModuleLines {
                go: None,
                toolchain: lined("", 1),
            },
        ] {
            assert_eq!(decode(&encode(&lines)), Some(lines));
        }
        for bad in [
            "",
            "go -\n",
            "toolchain -\ngo -\n",
            "go -\ntoolchain -\nextra\n",
            "go 0 31\ntoolchain -\n",
            "go +3 31\ntoolchain -\n",
            "go 3 3\ntoolchain -\n",
            "go 3 +1\ntoolchain -\n",
            "go 3 zz\ntoolchain -\n",
            "go 3 0a\ntoolchain -\n",
            "go 3 ff\ntoolchain -\n",
            "go 3\ntoolchain -\n",
            "go  -\ntoolchain -\n",
        ] {
            assert_eq!(decode(bad), None, "{bad:?}");
        }
    }
}

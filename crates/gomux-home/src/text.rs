//! Text that gomux did not write — from a repository, an archive, a server or the environment —
//! made safe to print.
//!
//! The design decision to know: every message that quotes such text goes through [`escape`]
//! (or [`escape_bytes`]), and every URL goes through [`redact_url`] or [`redact_urls`] before
//! it is printed, logged or stored. A `.go-version` holding `ESC [2K` cannot rewrite the user's
//! terminal, a 100 MB pin file cannot flood it, and `https://alice:pw@mirror/` never reaches a
//! CI log with its password.
//!
//! It also holds gomux's one hex encoder ([`hex`]), for digests.

use std::fmt::Write as _;

/// How many characters of an untrusted value a message shows before cutting it with `…`.
pub const MAX_SHOWN: usize = 120;

/// `s` with control characters (C0, DEL, C1), line and bidirectional-override characters shown
/// as escapes (`\x1b`, `\n`, `\u{202e}`) and cut after [`MAX_SHOWN`] characters with `…`.
pub fn escape(s: &str) -> String {
    escape_max(s, MAX_SHOWN)
}

/// Like [`escape`] with an explicit length limit in characters.
pub fn escape_max(s: &str, max: usize) -> String {
    let mut out = String::with_capacity(s.len().min(max + 8));
    for (shown, c) in s.chars().enumerate() {
        if shown == max {
            out.push('…');
            break;
        }
        push_char(&mut out, c);
    }
    out
}

/// Like [`escape`] for bytes that may not be UTF-8: invalid bytes are shown as `\xNN`.
pub fn escape_bytes(bytes: &[u8]) -> String {
    let mut out = String::new();
    let mut shown = 0;
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            if shown == MAX_SHOWN {
                out.push('…');
                return out;
            }
            push_char(&mut out, c);
            shown += 1;
        }
        for b in chunk.invalid() {
            if shown == MAX_SHOWN {
                out.push('…');
                return out;
            }
            let _ = write!(out, "\\x{b:02x}");
            shown += 1;
        }
    }
    out
}

/// Like [`escape`] for a path (a non-UTF-8 name is shown with `\xNN` escapes on Unix).
pub fn escape_path(p: &std::path::Path) -> String {
    escape_bytes(p.as_os_str().as_encoded_bytes())
}

fn push_char(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c if (c as u32) < 0x20 || c == '\u{7f}' => {
            let _ = write!(out, "\\x{:02x}", c as u32);
        }
        c if needs_unicode_escape(c) => {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
        c => out.push(c),
    }
}

/// C1 controls, line/paragraph separators and the bidirectional controls that reorder how a
/// terminal shows the rest of the line.
fn needs_unicode_escape(c: char) -> bool {
    matches!(c as u32, 0x80..=0x9f | 0x2028 | 0x2029 | 0x200e | 0x200f | 0x202a..=0x202e | 0x2066..=0x2069)
}

/// True when `s` holds nothing [`escape`] would change, at any length.
pub fn is_plain(s: &str) -> bool {
    s.chars()
        .all(|c| !((c as u32) < 0x20 || c == '\u{7f}' || needs_unicode_escape(c)))
}

/// A URL with its user info (`user:password@`) replaced by `***@`; anything that is not a URL
/// with user info is returned unchanged.
pub fn redact_url(url: &str) -> String {
    redact_urls(url)
}

/// `text` with the user info of every `scheme://user:password@host` in it replaced by `***@`:
/// for messages that embed a URL, such as an HTTP client's error.
pub fn redact_urls(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        let (head, tail) = rest.split_at(at + 3);
        out.push_str(head);
        // The authority ends at the first `/`, `?`, `#`, white space or quote.
        let end = tail
            .find(|c: char| {
                matches!(c, '/' | '?' | '#' | '"' | '\'' | '`' | '<' | '>') || c.is_whitespace()
            })
            .unwrap_or(tail.len());
        let authority = &tail[..end];
        match authority.rfind('@') {
            Some(i) => {
                out.push_str("***@");
                out.push_str(&authority[i + 1..]);
            }
            None => out.push_str(authority),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

/// The longest line [`report_lines`] lets through.
pub const MAX_LINE: usize = 2000;

/// A message, cause or hint of an error report (the CLI's `error:`, the proxy's `gomux:`) as it
/// may reach the terminal: each line with URL user info redacted, control characters escaped
/// and cut after [`MAX_LINE`] characters. Values are escaped where a message is made; this last
/// pass (escaping leaves escapes as they are) means no control character and no password gets
/// through whichever code built the message. A message may span lines on purpose (a checksum
/// mismatch's expected and actual values); a value in it cannot add lines, since it was escaped,
/// newlines included, where the message was made.
pub fn report_lines(s: &str) -> String {
    s.split('\n')
        .map(|l| escape_max(&redact_urls(l), MAX_LINE))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Lowercase hexadecimal of `bytes` (a digest: `sha256` values in indexes and reports).
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_shown_as_escapes() {
        assert_eq!(escape("go1.22\x1b[2K\r\n"), "go1.22\\x1b[2K\\r\\n");
        assert_eq!(escape("a\u{7f}b\u{9b}c"), "a\\x7fb\\u{9b}c");
        assert_eq!(escape("x\u{202e}y"), "x\\u{202e}y");
        assert_eq!(escape("ünïcode ok"), "ünïcode ok");
        assert!(is_plain("go1.22.3 ünï"));
        assert!(!is_plain("a\tb"));
    }

    #[test]
    fn long_text_is_cut_with_an_ellipsis() {
        let long = "7".repeat(10_000);
        let shown = escape(&long);
        assert_eq!(shown.chars().count(), MAX_SHOWN + 1);
        assert!(shown.ends_with('…'));
        assert_eq!(escape_max("abcdef", 3), "abc…");
        assert_eq!(escape_max("abc", 3), "abc");
    }

    #[test]
    fn invalid_utf8_is_shown_as_hex() {
        assert_eq!(escape_bytes(b"go\xff1\x1b"), "go\\xff1\\x1b");
        assert_eq!(
            escape_bytes(&[0xffu8; 500]).matches("\\xff").count(),
            MAX_SHOWN
        );
    }

    #[test]
    fn hex_is_lowercase_two_digits_a_byte() {
        assert_eq!(hex(&[]), "");
        assert_eq!(hex(&[0x00, 0x0f, 0xa5, 0xff]), "000fa5ff");
    }

    #[test]
    fn user_info_is_redacted_everywhere() {
        assert_eq!(
            redact_url("https://alice:pw@host.example/dl/"),
            "https://***@host.example/dl/"
        );
        assert_eq!(redact_url("https://host/dl/"), "https://host/dl/");
        assert_eq!(redact_url("file:///srv/go"), "file:///srv/go");
        assert_eq!(
            redact_urls(
                "error sending request for url (https://a:b@h:8080/x?y=1): reset; retry http://c@d"
            ),
            "error sending request for url (https://***@h:8080/x?y=1): reset; retry http://***@d"
        );
        // An `@` after the authority (a path, a query) is not user info.
        assert_eq!(redact_url("https://h/a@b"), "https://h/a@b");
        assert_eq!(redact_url("https://u:p@ss@h/"), "https://***@h/");
    }

    #[test]
    fn report_lines_are_escaped_redacted_and_cut_one_by_one() {
        assert_eq!(
            report_lines("mismatch for `a\x1b`\n  from `https://u:pw@h/x`"),
            "mismatch for `a\\x1b`\n  from `https://***@h/x`"
        );
        let long = report_lines(&format!("{}\nend", "7".repeat(5000)));
        assert_eq!(
            long.lines().next().map(|l| l.chars().count()),
            Some(MAX_LINE + 1)
        );
        assert!(long.ends_with("…\nend"));
    }
}

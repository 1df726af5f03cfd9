//! Paths as users write them: the one place that turns Windows' verbatim paths (`\\?\C:\go`,
//! `\\?\UNC\server\share\go`) back into the form people and programs read (`C:\go`,
//! `\\server\share\go`).
//!
//! `std::fs::canonicalize` on Windows always answers with a verbatim path. Such a path is
//! correct, but it leaks into `gomux show`, `which`, `env`, JSON and messages, and some
//! programs (cmd.exe as a working folder, older Go tools) do not accept it. gomux therefore
//! canonicalizes through [`canonicalize`], which gives the plain form whenever the plain form
//! names the same file, and prints paths through [`display`]. On Unix both are no-ops.

use std::borrow::Cow;
use std::path::{Path, PathBuf};

/// `std::fs::canonicalize`, with a Windows verbatim prefix removed when the plain path means the
/// same ([`display`]).
pub fn canonicalize(p: &Path) -> std::io::Result<PathBuf> {
    std::fs::canonicalize(p).map(|c| match display(&c) {
        Cow::Borrowed(_) => c,
        Cow::Owned(plain) => plain,
    })
}

/// `p` as a user would write it: `\\?\C:\go` → `C:\go`, `\\?\UNC\srv\share` → `\\srv\share`.
/// A verbatim path that only works verbatim (longer than `MAX_PATH`, a reserved device name such
/// as `NUL`, a name ending in `.` or a space, a `/` inside a name) is kept as it is. Any other
/// path, and every path on Unix, comes back unchanged.
pub fn display(p: &Path) -> Cow<'_, Path> {
    // Unix paths have no verbatim form: nothing to look at on the proxy's path there.
    if cfg!(not(windows)) {
        return Cow::Borrowed(p);
    }
    match p.to_str().and_then(plain_form) {
        Some(plain) => Cow::Owned(PathBuf::from(plain)),
        None => Cow::Borrowed(p),
    }
}

/// The plain spelling of verbatim path text, when there is one that means the same. Works on
/// text, so it is tested on every platform.
pub fn plain_form(s: &str) -> Option<String> {
    /// `MAX_PATH` less the terminating NUL.
    const MAX_PLAIN: usize = 259;
    let (prefix, rest) = if let Some(rest) = s.strip_prefix(r"\\?\UNC\") {
        (r"\\", rest)
    } else if let Some(rest) = s.strip_prefix(r"\\?\") {
        let b = rest.as_bytes();
        let drive = b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':';
        if !drive || (b.len() > 2 && b[2] != b'\\') {
            return None;
        }
        ("", rest)
    } else {
        return None;
    };
    let mut names: Vec<&str> = rest.split('\\').collect();
    if prefix.is_empty() {
        // The drive (`C:`) was checked above.
        names.remove(0);
    }
    // Only the last name may be empty (`C:\`, `C:\go\`); a UNC path needs server and share.
    let last = names.len().saturating_sub(1);
    let ok = names.iter().enumerate().all(|(i, name)| {
        if name.is_empty() {
            i == last && (prefix.is_empty() || i >= 2)
        } else {
            plain_name(name)
        }
    });
    let plain = format!("{prefix}{rest}");
    (ok && plain.len() <= MAX_PLAIN).then_some(plain)
}

/// A file name that means the same inside and outside a verbatim path.
fn plain_name(name: &str) -> bool {
    const RESERVED: &[&str] = &[
        "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8",
        "COM9", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9", "CONIN$",
        "CONOUT$",
    ];
    if name == "." || name == ".." || name.ends_with('.') || name.ends_with(' ') {
        return false;
    }
    if name
        .chars()
        .any(|c| (c as u32) < 0x20 || matches!(c, '/' | '<' | '>' | ':' | '"' | '|' | '?' | '*'))
    {
        return false;
    }
    let stem = name.split('.').next().unwrap_or(name).trim_end();
    !RESERVED.iter().any(|r| r.eq_ignore_ascii_case(stem))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drive_paths_lose_the_verbatim_prefix() {
        assert_eq!(plain_form(r"\\?\C:\go").as_deref(), Some(r"C:\go"));
        assert_eq!(
            plain_form(r"\\?\D:\gomux\toolchains\go1.22.3").as_deref(),
            Some(r"D:\gomux\toolchains\go1.22.3")
        );
        assert_eq!(plain_form(r"\\?\C:\").as_deref(), Some(r"C:\"));
        assert_eq!(plain_form(r"\\?\C:").as_deref(), Some(r"C:"));
    }

    #[test]
    fn unc_paths_get_their_two_backslashes_back() {
        assert_eq!(
            plain_form(r"\\?\UNC\build\sdks\go1.22").as_deref(),
            Some(r"\\build\sdks\go1.22")
        );
    }

    #[test]
    fn paths_that_only_work_verbatim_stay_verbatim() {
        for p in [
            r"\\?\C:\dir\NUL",
            r"\\?\C:\dir\con.txt",
            r"\\?\C:\dir\trailing.",
            r"\\?\C:\dir\trailing ",
            r"\\?\C:\a/b",
            r"\\?\C:\a\..\b",
            r"\\?\C:\a\\b",
            r"\\?\Volume{0b1e}\go",
            r"\\?\GLOBALROOT\Device\x",
        ] {
            assert_eq!(plain_form(p), None, "{p}");
        }
        let long = format!(r"\\?\C:\{}", "a".repeat(300));
        assert_eq!(plain_form(&long), None);
    }

    #[test]
    fn plain_and_unix_paths_are_unchanged() {
        for p in [r"C:\go", r"\\server\share", "/usr/local/go", "relative"] {
            assert_eq!(plain_form(p), None);
            assert_eq!(display(Path::new(p)), Path::new(p));
        }
    }

    #[test]
    fn display_strips_only_on_windows() {
        let shown = display(Path::new(r"\\?\C:\go"));
        let want = if cfg!(windows) {
            r"C:\go"
        } else {
            r"\\?\C:\go"
        };
        assert_eq!(shown, Path::new(want));
    }

    #[cfg(windows)]
    #[test]
    fn canonicalize_gives_the_plain_form() {
        let dir = std::env::temp_dir();
        let c = canonicalize(&dir).unwrap();
        assert!(!c.to_string_lossy().starts_with(r"\\?\"), "{}", c.display());
    }
}

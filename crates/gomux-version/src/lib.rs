//! Go's version grammar and total order, toolchain names, and requests.
//!
//! Everything here follows the Go command's own `internal/gover` rules, so gomux never
//! disagrees with `go` about which version is newer. The one design decision to know:
//! fields are kept as *decimal strings* (never parsed into integers), so `1.99999999999999999`
//! is a valid version and the comparison is exactly Go's "shorter number is smaller" rule.
//! An invalid string is not an error here: like Go, it compares equal to every other invalid
//! string and below every valid one. Callers that turn a version into a path or a URL must use
//! [`Request::parse`] or [`is_safe_name`], which reject anything that is not a plain name.
//!
//! This crate does no I/O and has no dependencies: it runs on the proxy's hot path. As the
//! lowest crate with an error, it also holds [`Hints`], the trait through which every gomux
//! error says what to do about it.

#![warn(missing_docs)]

mod hints;
pub mod platform;

pub use hints::Hints;

use std::cmp::Ordering;
use std::fmt;

/// A parsed Go version (no `go` prefix), borrowing from the input.
///
/// All fields are empty for an invalid version.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Version<'a> {
    /// The major number as written (`1`); never parsed, so any length is kept.
    pub major: &'a str,
    /// The minor number; `0` for a bare `1`, empty only for an invalid version.
    pub minor: &'a str,
    /// The patch number; `0` when implied before Go 1.21 (`1.20`), empty for a prerelease or a
    /// 1.21+ language version (`1.21`).
    pub patch: &'a str,
    /// The prerelease kind (`rc`, `beta`, lowercase letters); empty for a release.
    pub kind: &'a str,
    /// The prerelease number (`1` in `rc1`); empty when the kind stands alone or there is none.
    pub pre: &'a str,
}

impl<'a> Version<'a> {
    /// Parses a Go version such as `1.21.0`, `1.21rc1`, `1.20` or `1`.
    ///
    /// Returns `None` when the string is not a valid Go version.
    pub fn parse(x: &'a str) -> Option<Version<'a>> {
        let (major, rest) = cut_int(x)?;
        let mut v = Version {
            major,
            ..Version::default()
        };
        if rest.is_empty() {
            // "1" means 1.0.0.
            v.minor = "0";
            v.patch = "0";
            return Some(v);
        }
        let rest = rest.strip_prefix('.')?;
        let (minor, rest) = cut_int(rest)?;
        v.minor = minor;
        if rest.is_empty() {
            // Before Go 1.21 a missing patch means ".0"; from 1.21 on, "1.N" is a
            // language version that sorts before every release of the family.
            if cmp_int(minor, "21") == Ordering::Less {
                v.patch = "0";
            }
            return Some(v);
        }
        if let Some(rest) = rest.strip_prefix('.') {
            let (patch, rest) = cut_int(rest)?;
            if !rest.is_empty() {
                // Prereleases of patch releases (1.21.3rc1) do not exist.
                return None;
            }
            v.patch = patch;
            return Some(v);
        }
        let kind_len = rest.bytes().take_while(|b| !b.is_ascii_digit()).count();
        let kind = &rest[..kind_len];
        if kind.is_empty() || !kind.bytes().all(|b| b.is_ascii_lowercase()) {
            return None;
        }
        v.kind = kind;
        let rest = &rest[kind_len..];
        if rest.is_empty() {
            return Some(v);
        }
        let (pre, rest) = cut_int(rest)?;
        if !rest.is_empty() {
            return None;
        }
        v.pre = pre;
        Some(v)
    }

    /// The language version (`1.21` for `1.21.3` or `1.21rc1`), as Go's `Lang`.
    pub fn lang(&self) -> LangVersion<'a> {
        if self.minor.is_empty() || (self.major == "1" && self.minor == "0") {
            LangVersion {
                major: self.major,
                minor: "",
            }
        } else {
            LangVersion {
                major: self.major,
                minor: self.minor,
            }
        }
    }

    /// True for a language version (`1.21`, `1.22`): no patch, no prerelease.
    pub fn is_lang(&self) -> bool {
        self.patch.is_empty() && self.kind.is_empty() && self.pre.is_empty()
    }

    /// True for alpha, beta, rc and other prerelease kinds.
    pub fn is_prerelease(&self) -> bool {
        !self.kind.is_empty()
    }
}

/// The language part of a version: `1.21`, or just `1` for Go 1.0.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LangVersion<'a> {
    /// The major number (`1`).
    pub major: &'a str,
    /// The minor number; empty for Go 1.0, whose language version is just `1`.
    pub minor: &'a str,
}

impl LangVersion<'_> {
    /// True when this is the language version written `text` (its [`fmt::Display`] form),
    /// compared without building that string.
    pub fn is(&self, text: &str) -> bool {
        match text.strip_prefix(self.major) {
            Some(rest) if self.minor.is_empty() => rest.is_empty(),
            Some(rest) => rest.strip_prefix('.') == Some(self.minor),
            None => false,
        }
    }
}

impl fmt::Display for LangVersion<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.minor.is_empty() {
            f.write_str(self.major)
        } else {
            write!(f, "{}.{}", self.major, self.minor)
        }
    }
}

/// Cuts a decimal number with no leading zero (unless it is exactly "0") off the front of `x`.
fn cut_int(x: &str) -> Option<(&str, &str)> {
    let n = x.bytes().take_while(u8::is_ascii_digit).count();
    if n == 0 || (x.as_bytes()[0] == b'0' && n != 1) {
        return None;
    }
    Some((&x[..n], &x[n..]))
}

/// Compares two decimal strings: the shorter is smaller, equal lengths compare bytewise.
/// The empty string is smaller than every number.
pub fn cmp_int(x: &str, y: &str) -> Ordering {
    x.len().cmp(&y.len()).then_with(|| x.cmp(y))
}

/// Compares two Go versions exactly as Go's `gover.Compare`.
///
/// Invalid versions compare equal to each other and less than every valid version.
pub fn compare(x: &str, y: &str) -> Ordering {
    let vx = Version::parse(x).unwrap_or_default();
    let vy = Version::parse(y).unwrap_or_default();
    vx.cmp_go(&vy)
}

impl Version<'_> {
    /// [`compare`] on versions parsed already (an invalid version is the default, all empty).
    pub fn cmp_go(&self, other: &Version<'_>) -> Ordering {
        let (vx, vy) = (self, other);
        cmp_int(vx.major, vy.major)
            .then_with(|| cmp_int(vx.minor, vy.minor))
            .then_with(|| cmp_int(vx.patch, vy.patch))
            .then_with(|| vx.kind.cmp(vy.kind))
            .then_with(|| cmp_int(vx.pre, vy.pre))
    }
}

/// Returns the larger of two versions; ties go to `x`, as Go's `gover.Max`.
pub fn max<'a>(x: &'a str, y: &'a str) -> &'a str {
    if compare(x, y) == Ordering::Less {
        y
    } else {
        x
    }
}

/// True when `x` is a valid Go version.
pub fn is_valid(x: &str) -> bool {
    Version::parse(x).is_some()
}

/// True when `x` is a language version (`1.21`, not `1.21.0`, `1.21rc1` or `1.20`).
pub fn is_lang(x: &str) -> bool {
    Version::parse(x).is_some_and(|v| v.is_lang())
}

/// Go's `gover.Lang`: `1.21.3` -> `1.21`, `1` -> `1`; invalid -> empty.
pub fn lang(x: &str) -> String {
    Version::parse(x)
        .map(|v| v.lang().to_string())
        .unwrap_or_default()
}

/// The Go version inside a toolchain name, as Go's `gover.FromToolchain`.
///
/// `go1.22.3` -> `1.22.3`; `go1.22.3-bigcorp` and `go1.21.0 X:boringcrypto` keep only the
/// version; names with `/` or `\`, without the `go` prefix, or with an invalid version give `None`.
pub fn from_toolchain(name: &str) -> Option<&str> {
    if name.contains(['/', '\\']) {
        return None;
    }
    let v = name.strip_prefix("go")?;
    let v = match v.find([' ', '\t', '-']) {
        Some(i) => &v[..i],
        None => v,
    };
    is_valid(v).then_some(v)
}

/// The toolchain Go switches to for a go.mod/go.work `go` line value (startup selection).
///
/// `1.22` -> `go1.22.0` (a language version from 1.21 on names its `.0` release),
/// `1.22.3` -> `go1.22.3`, `1.21rc1` -> `go1.21rc1`, `1.15` -> `go1.15`.
pub fn go_line_toolchain(v: &str) -> String {
    let mut name = format!("go{v}");
    if is_lang(v) && compare(v, "1.21") != Ordering::Less {
        name.push_str(".0");
    }
    name
}

/// The real release name for a Go version: `1.22` -> `go1.22.0`, `1.20.0` -> `go1.20`
/// (there is no release called `go1.20.0`), `1.22.3` -> `go1.22.3`.
pub fn release_name(v: &str) -> Option<String> {
    let p = Version::parse(v)?;
    if p.patch == "0"
        && p.kind.is_empty()
        && p.major == "1"
        && cmp_int(p.minor, "21") == Ordering::Less
    {
        if p.minor == "0" {
            return Some("go1".to_string());
        }
        return Some(format!("go{}.{}", p.major, p.minor));
    }
    Some(go_line_toolchain(v))
}

/// True when `name` can safely become one path component or URL segment: non-empty, only
/// ASCII letters, digits, `.`, `_`, `+` and `-`, not starting with `-` or `.`, and no `..`.
pub fn is_safe_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 128
        && !name.starts_with(['-', '.'])
        && !name.contains("..")
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'+' | b'-'))
}

/// What a user asked for in a pin file, `+VERSION`, `GOMUX_TOOLCHAIN` or a command.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Request {
    /// One exact toolchain, by its name: `go1.22.3`, `go1.21rc2`, `go1.20`, `go1.22.3-bigcorp`.
    Exact(String),
    /// The newest release of a family: `1.22` means the newest 1.22.x.
    Family(String),
}

/// Why a request was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestError {
    /// The string that was refused, exactly as given.
    pub input: String,
    /// Why it was refused, as a phrase that follows "invalid Go version `…`: ".
    pub reason: &'static str,
}

impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid Go version `{}`: {}", self.input, self.reason)
    }
}

impl std::error::Error for RequestError {}

/// No hint of its own: what to suggest depends on where the version came from, which the
/// caller knows.
impl Hints for RequestError {}

impl Request {
    /// Parses `1.22.3`, `go1.22.3`, `1.22`, `go1.22`, `1.21rc2`, `go1.22.3-bigcorp`.
    ///
    /// `1.22` and `go1.22` are families (the newest 1.22.x). `1.20.0` is the release
    /// `go1.20`. Anything that could escape a path or a URL is refused.
    pub fn parse(input: &str) -> Result<Request, RequestError> {
        let err = |reason| RequestError {
            input: input.to_string(),
            reason,
        };
        if input.is_empty() {
            return Err(err("it is empty"));
        }
        if input.starts_with('-') {
            return Err(err("it starts with `-`"));
        }
        if input.contains(['/', '\\']) || input.contains("..") {
            return Err(err("a version cannot contain `/`, `\\` or `..`"));
        }
        if input.contains(char::is_whitespace) {
            return Err(err("a version cannot contain spaces"));
        }
        let bare = input.strip_prefix("go").unwrap_or(input);
        let (version, suffix) = match bare.find('-') {
            Some(i) => (&bare[..i], Some(&bare[i + 1..])),
            None => (bare, None),
        };
        let parsed = Version::parse(version)
            .ok_or_else(|| err("expected a Go version such as `1.22.3`, `1.22` or `go1.21rc2`"))?;
        if !version.contains('.') {
            return Err(err(
                "expected at least a major and a minor version, such as `1.22`",
            ));
        }
        if let Some(suffix) = suffix {
            if suffix.is_empty() || !is_safe_name(input) {
                return Err(err(
                    "a custom suffix may only use letters, digits, `.`, `_` and `-`",
                ));
            }
            return Ok(Request::Exact(format!("go{bare}")));
        }
        if !is_safe_name(input) {
            return Err(err("it contains characters a version cannot have"));
        }
        let has_patch = version.matches('.').count() >= 2;
        if !has_patch && !parsed.is_prerelease() {
            return Ok(Request::Family(parsed.lang().to_string()));
        }
        // `1.20.0` is the release `go1.20`.
        Ok(Request::Exact(
            release_name(version).unwrap_or_else(|| format!("go{version}")),
        ))
    }

    /// True when `name` (a toolchain name) satisfies this request.
    pub fn matches(&self, name: &str) -> bool {
        match self {
            Request::Exact(exact) => exact == name,
            Request::Family(family) => family_member(family, name),
        }
    }

    /// Picks the best of `names` for this request: the exact name, or the family's newest
    /// stable release.
    pub fn pick<'n, I>(&self, names: I) -> Option<&'n str>
    where
        I: IntoIterator<Item = &'n str>,
    {
        let family = match self {
            Request::Exact(exact) => return names.into_iter().find(|n| n == exact),
            Request::Family(family) => family.as_str(),
        };
        // One pass, each name parsed once (this runs on every `go` call with a partial pin,
        // over every installed toolchain); ties keep the first, as a sort would.
        let mut best: Option<(&'n str, Version<'n>)> = None;
        for name in names {
            // A member's language version is the front of its version text (`1.22` of
            // `1.22.3`): names of other families are turned away before any parsing.
            let Some(text) = name.strip_prefix("go").filter(|t| t.starts_with(family)) else {
                continue;
            };
            let Some(v) = Version::parse(text) else {
                continue;
            };
            if v.is_prerelease() || v.is_lang() || !v.lang().is(family) {
                continue;
            }
            if best.is_none_or(|(_, b)| b.cmp_go(&v) == Ordering::Less) {
                best = Some((name, v));
            }
        }
        best.map(|(name, _)| name)
    }
}

impl fmt::Display for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Request::Exact(name) => f.write_str(name),
            Request::Family(family) => write!(f, "{family} (newest {family}.x)"),
        }
    }
}

/// True when `name` is a plain release name (`go` + valid version, no suffix) of `family`
/// that is not a prerelease.
pub fn family_member(family: &str, name: &str) -> bool {
    let Some(v) = name.strip_prefix("go") else {
        return false;
    };
    match Version::parse(v) {
        Some(p) => !p.is_prerelease() && !p.is_lang() && p.lang().is(family),
        None => false,
    }
}

/// Compares two toolchain names by their embedded Go versions (`go1.21.0` and
/// `go1.21.0-custom` compare equal); names that are not toolchains sort first.
pub fn compare_names(a: &str, b: &str) -> Ordering {
    compare(
        from_toolchain(a).unwrap_or_default(),
        from_toolchain(b).unwrap_or_default(),
    )
}

#[cfg(test)]
mod tests;

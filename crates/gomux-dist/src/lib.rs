//! Getting Go SDKs onto disk: the release index, mirrors, verified streaming downloads, safe
//! extraction and atomic, locked installs.
//!
//! The one design decision to know: a toolchain folder exists only when it is complete and
//! verified. An install unpacks into `tmp/<name>.staging` (same filesystem as `toolchains/`),
//! hashing the archive in the same streaming pass; the sha256 is compared and the unpacked
//! `VERSION` checked before one `rename` makes `toolchains/<name>` appear. Everything that can
//! go wrong before that rename leaves nothing behind but a staging folder, which the next
//! install (holding the per-toolchain lock) removes.
//!
//! Entry points: [`Dist`] (index, resolve, install, install from an archive) and
//! [`uninstall`]. The CLI builds a [`Dist`] from [`Source::configured`] and
//! [`Options::from_env`], and shows what an install does through its own [`Progress`] (this
//! crate draws nothing); the proxy never links this crate.

#![warn(missing_docs)]

mod download;
mod error;
mod extract;
mod fetch;
pub mod goproxy;
mod index;
mod install;
pub mod lock;
mod pipeline;
mod platform;
mod progress;
mod source;
pub mod sumdb;
mod uninstall;

use std::ffi::OsString;
use std::time::Duration;

use gomux_home::env::{GOMUX_HTTP_TIMEOUT, GOMUX_LOCK_TIMEOUT};
use gomux_version::Request;

pub use download::{Download, Verified, sha256_hex};
pub use error::{DistError, remove_command};
pub use extract::Limits;
pub use fetch::client_builder;
pub use index::{File, Index, Release, is_sha256};
pub use install::{Dist, Installed, Removed, Verify};
pub use lock::Operation;
pub use platform::{Platform, parse_archive_filename};
pub use progress::{Progress, Silent};
pub use source::{OFFICIAL_DOWNLOADS, OFFICIAL_INDEX, Source, is_loopback};
pub use uninstall::uninstall;

/// Tunables of the pipeline. [`Options::default`] has the production values.
#[derive(Clone, Debug)]
pub struct Options {
    /// How long a network read may make no progress (and the connect timeout).
    pub http_timeout: Duration,
    /// How long to wait for another gomux installing the same toolchain.
    pub lock_timeout: Duration,
    /// Caps on what an archive may unpack to.
    pub limits: Limits,
    /// Tries per download (transient failures only are tried again).
    pub attempts: u32,
    /// Pause before the second try; doubled before each further one.
    pub backoff: Duration,
    /// How long a cached release index is used without asking the server.
    pub index_max_age: Duration,
    /// The largest archive gomux downloads.
    pub max_download: u64,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            http_timeout: Duration::from_secs(30),
            lock_timeout: Duration::from_secs(600),
            limits: Limits::default(),
            attempts: 3,
            backoff: Duration::from_millis(500),
            index_max_age: Duration::from_secs(600),
            max_download: 1 << 30,
        }
    }
}

impl Options {
    /// The defaults, with `GOMUX_HTTP_TIMEOUT` and `GOMUX_LOCK_TIMEOUT` (seconds) applied.
    pub fn from_env(get: impl Fn(&str) -> Option<OsString>) -> Result<Options, DistError> {
        let mut o = Options::default();
        if let Some(d) = seconds(&get, GOMUX_HTTP_TIMEOUT)? {
            o.http_timeout = d;
        }
        if let Some(d) = seconds(&get, GOMUX_LOCK_TIMEOUT)? {
            o.lock_timeout = d;
        }
        Ok(o)
    }
}

/// A number of seconds from variable `name`: a whole or decimal number greater than 0. A huge
/// value (`18446744073709551615`) means "wait very long" and is capped at [`lock::MAX_WAIT`].
fn seconds(
    get: &impl Fn(&str) -> Option<OsString>,
    name: &str,
) -> Result<Option<Duration>, DistError> {
    let Some(raw) = get(name).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let text = raw.to_string_lossy();
    let trimmed = text.trim();
    // Digits only (or digits and one dot): `1e3`, `inf`, `-1` and `0x10` are not accepted.
    let shape_ok = !trimmed.is_empty()
        && trimmed.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && trimmed.bytes().filter(|&b| b == b'.').count() <= 1
        && trimmed.bytes().any(|b| b.is_ascii_digit());
    let secs = if shape_ok {
        trimmed.parse::<f64>().ok()
    } else {
        None
    };
    match secs {
        Some(s) if s > 0.0 => {
            let max = lock::MAX_WAIT.as_secs_f64();
            Ok(Some(if s >= max {
                lock::MAX_WAIT
            } else {
                Duration::from_secs_f64(s)
            }))
        }
        _ => Err(DistError::BadVariable {
            name: name.to_string(),
            value: gomux_home::text::escape(&text),
            expected: "a number of seconds greater than 0, such as `600` or `0.5`".to_string(),
        }),
    }
}

/// What `gomux install` was asked for: `latest`, or a version request (`1.22.3`, `1.22`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Spec {
    /// The newest stable release.
    Latest,
    /// An exact toolchain or the newest release of a family.
    Version(Request),
}

impl Spec {
    /// Parses `latest`, `1.22.3`, `go1.22.3`, `1.22`, `1.23rc1`.
    pub fn parse(input: &str) -> Result<Spec, gomux_version::RequestError> {
        if input == "latest" {
            return Ok(Spec::Latest);
        }
        Request::parse(input).map(Spec::Version)
    }
}

impl std::fmt::Display for Spec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Spec::Latest => f.write_str("latest"),
            Spec::Version(r) => write!(f, "{r}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_from_env() {
        let env = |k: &str| match k {
            "GOMUX_HTTP_TIMEOUT" => Some(OsString::from("0.5")),
            "GOMUX_LOCK_TIMEOUT" => Some(OsString::from("7")),
            _ => None,
        };
        let o = Options::from_env(env).unwrap();
        assert_eq!(o.http_timeout, Duration::from_millis(500));
        assert_eq!(o.lock_timeout, Duration::from_secs(7));
        let bad = |k: &str| (k == "GOMUX_LOCK_TIMEOUT").then(|| OsString::from("soon"));
        let e = Options::from_env(bad).unwrap_err().to_string();
        assert!(e.contains("GOMUX_LOCK_TIMEOUT"), "{e}");
        let o = Options::from_env(|_| None).unwrap();
        assert_eq!(o.http_timeout, Duration::from_secs(30));
        // Huge values mean "wait very long"; they are not "not greater than 0".
        for huge in [
            "18446744073709551615",
            "99999999999999999999999999",
            "1000000000",
        ] {
            let env = |k: &str| (k == "GOMUX_LOCK_TIMEOUT").then(|| OsString::from(huge));
            let o = Options::from_env(env).unwrap();
            assert_eq!(o.lock_timeout, lock::MAX_WAIT, "{huge}");
        }
        for bad in [
            "0", "-1", "1e3", "inf", "NaN", "1.2.3", ".", "10s", "\x1b[2K",
        ] {
            let env = |k: &str| (k == "GOMUX_LOCK_TIMEOUT").then(|| OsString::from(bad));
            let e = Options::from_env(env).unwrap_err().to_string();
            assert!(e.contains("`GOMUX_LOCK_TIMEOUT`"), "{bad}: {e}");
            assert!(e.contains("such as `600`"), "{bad}: {e}");
            assert!(!e.contains('\x1b'), "{bad}: {e}");
        }
    }

    #[test]
    fn specs() {
        assert_eq!(Spec::parse("latest").unwrap(), Spec::Latest);
        assert_eq!(
            Spec::parse("1.22").unwrap(),
            Spec::Version(Request::Family("1.22".into()))
        );
        assert_eq!(
            Spec::parse("go1.22.3").unwrap(),
            Spec::Version(Request::Exact("go1.22.3".into()))
        );
        assert!(Spec::parse("../1.22").is_err());
    }
}

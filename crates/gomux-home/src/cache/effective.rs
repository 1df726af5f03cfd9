//! What a `go` call ends up with: the GOCACHE and GOMODCACHE after gomux, the environment,
//! the `go env -w` file and Go's own defaults have each had their say (for reports, never
//! the proxy's hot path).

use std::ffi::OsString;
use std::fmt;
use std::path::PathBuf;

use super::CachePlan;
use crate::goenv::GoEnvFile;

/// Where the value a `go` call ends up with came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// Injected by gomux (possibly over a `go env -w` value: see [`Effective::overrides`]).
    Gomux,
    /// The process environment.
    Env,
    /// The user's `go env -w` file (the path).
    GoEnvFile(PathBuf),
    /// Go's built-in default.
    GoDefault,
}

/// The GOCACHE or GOMODCACHE a `go` call ends up with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Effective {
    /// The Go variable: `"GOCACHE"` or `"GOMODCACHE"`.
    pub key: &'static str,
    /// The value; `None` when Go's default cannot be worked out (no home folder).
    pub value: Option<PathBuf>,
    /// Which of gomux, the environment, `go env -w` or Go's default gave the value.
    pub origin: Origin,
    /// A `go env -w` value that the injected one overrides: the file and the value.
    pub overrides: Option<(PathBuf, String)>,
}

impl fmt::Display for Effective {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.origin {
            Origin::Gomux => f.write_str("set by gomux")?,
            Origin::Env => f.write_str("from the environment")?,
            Origin::GoEnvFile(p) => write!(f, "from `go env -w` (`{}`)", p.display())?,
            Origin::GoDefault => f.write_str("Go's default")?,
        }
        if let Some((file, value)) = &self.overrides {
            write!(
                f,
                "; overrides `{}={value}` from `go env -w` (`{}`)",
                self.key,
                file.display()
            )?;
        }
        Ok(())
    }
}

/// The GOCACHE and GOMODCACHE a `go` call gets with this plan, where each comes from, and which
/// `go env -w` values the injected ones override. Reads the `go env -w` file (not for the
/// proxy's hot path).
pub fn effective(plan: &CachePlan, get: &dyn Fn(&str) -> Option<OsString>) -> [Effective; 2] {
    effective_with(plan, get, &GoEnvFile::load(get))
}

/// Like [`effective`], with the `go env -w` file already read.
pub fn effective_with(
    plan: &CachePlan,
    get: &dyn Fn(&str) -> Option<OsString>,
    file: &GoEnvFile,
) -> [Effective; 2] {
    let from_file = |key: &str| -> Option<(PathBuf, String)> {
        let v = file.get(key).filter(|v| !v.is_empty())?;
        Some((file.path.clone()?, v.to_string()))
    };
    let one = |key: &'static str, ours: &Option<PathBuf>| -> Effective {
        if let Some(p) = ours {
            return Effective {
                key,
                value: Some(p.clone()),
                origin: Origin::Gomux,
                overrides: from_file(key),
            };
        }
        if let Some(v) = get(key).filter(|v| !v.is_empty()) {
            return Effective {
                key,
                value: Some(PathBuf::from(v)),
                origin: Origin::Env,
                overrides: None,
            };
        }
        if let Some((f, v)) = from_file(key) {
            return Effective {
                key,
                value: Some(PathBuf::from(v)),
                origin: Origin::GoEnvFile(f),
                overrides: None,
            };
        }
        let value = if key == "GOCACHE" {
            go_default_gocache(get)
        } else {
            go_default_gomodcache(get, file)
        };
        Effective {
            key,
            value,
            origin: Origin::GoDefault,
            overrides: None,
        }
    };
    [
        one("GOCACHE", &plan.gocache),
        one("GOMODCACHE", &plan.gomodcache),
    ]
}

fn go_default_gocache(get: &dyn Fn(&str) -> Option<OsString>) -> Option<PathBuf> {
    let val = |k: &str| get(k).filter(|v| !v.is_empty()).map(PathBuf::from);
    let dir = if cfg!(windows) {
        val("LocalAppData")?
    } else if cfg!(target_os = "macos") {
        val("HOME")?.join("Library/Caches")
    } else {
        match val("XDG_CACHE_HOME") {
            Some(x) if x.is_absolute() => x,
            _ => val("HOME")?.join(".cache"),
        }
    };
    Some(dir.join("go-build"))
}

fn go_default_gomodcache(
    get: &dyn Fn(&str) -> Option<OsString>,
    file: &GoEnvFile,
) -> Option<PathBuf> {
    let gopath: OsString = match get("GOPATH").filter(|v| !v.is_empty()) {
        Some(v) => v,
        None => match file.get("GOPATH").filter(|v| !v.is_empty()) {
            Some(v) => OsString::from(v),
            None => {
                let home = get(if cfg!(windows) { "USERPROFILE" } else { "HOME" })
                    .filter(|v| !v.is_empty())?;
                PathBuf::from(home).join("go").into_os_string()
            }
        },
    };
    let first = std::env::split_paths(&gopath).next()?;
    Some(first.join("pkg").join("mod"))
}

//! From a [`Selection`] to a process: the default toolchain from the settings, the installed
//! toolchain that satisfies a request, and the environment the SDK gets.
//!
//! The proxy, `gomux run`, `gomux show` and `gomux env` all go through these functions, so the
//! environment a user inspects is the one `go` really gets.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use gomux_home::cache::CachePlan;
use gomux_home::settings::keys;
use gomux_home::{Settings, env as vars};
use gomux_version::Request;

use crate::{ResolveError, Selection};

/// The default toolchain set with `gomux default`, and the settings file it came from.
pub fn default_toolchain(settings: &Settings) -> Result<Option<(Request, PathBuf)>, ResolveError> {
    let Some(value) = settings.default_toolchain().map_err(ResolveError::from)? else {
        return Ok(None);
    };
    let request = Request::parse(value).map_err(|error| ResolveError::BadRequest {
        origin: format!(
            "`{}` key `{}`",
            gomux_home::text::escape_path(settings.path()),
            keys::DEFAULT_TOOLCHAIN
        ),
        error,
    })?;
    Ok(Some((request, settings.path().to_path_buf())))
}

/// The environment changes for the SDK's process: `(name, Some(value))` sets, `None` removes.
///
/// - an inherited GOROOT that is not this SDK's root is removed (a stale GOROOT makes the real
///   go use another SDK's tools);
/// - GOTOOLCHAIN is set to `local` for an explicit pin and `path` otherwise, unless the user set
///   it in the environment;
/// - the recursion counter goes up by one;
/// - GOCACHE/GOMODCACHE come from the cache plan, and GOCACHEPROG when it names
///   `gomux cacheprog` (a remote cache is configured);
/// - none of these is injected for a variable the call writes, removes or asks for as the
///   user's own setting ([`Selection::user_settings`]): `go env -w GOTOOLCHAIN=auto` through
///   gomux warns exactly when Go alone would.
pub fn child_env(
    selection: &Selection,
    root: &Path,
    depth: u32,
    cache: &CachePlan,
    env: &dyn Fn(&str) -> Option<OsString>,
) -> Vec<(&'static str, Option<OsString>)> {
    let mut changes = Vec::with_capacity(7);
    let ours = |name: &str| !selection.user_settings.iter().any(|n| n == name);
    if env("GOROOT").is_some_and(|g| Path::new(&g) != root) {
        changes.push(("GOROOT", None));
    }
    if selection.user_gotoolchain.is_none() && ours("GOTOOLCHAIN") {
        changes.push((
            "GOTOOLCHAIN",
            Some(selection.child_gotoolchain().to_os_string()),
        ));
    }
    changes.push((
        vars::GOMUX_RECURSION_DEPTH,
        Some(OsString::from((depth + 1).to_string())),
    ));
    changes.push((vars::GOMUX_AUTO_INSTALLED, None));
    if let Some(dir) = cache.gocache.as_ref().filter(|_| ours("GOCACHE")) {
        changes.push(("GOCACHE", Some(dir.clone().into_os_string())));
    }
    if let Some(dir) = cache.gomodcache.as_ref().filter(|_| ours("GOMODCACHE")) {
        changes.push(("GOMODCACHE", Some(dir.clone().into_os_string())));
    }
    if let Some(prog) = cache.gocacheprog.as_ref().filter(|_| ours("GOCACHEPROG")) {
        changes.push(("GOCACHEPROG", Some(prog.clone())));
    }
    changes
}

//! The cache policy: which GOCACHE and GOMODCACHE a `go` call gets.
//!
//! (Being written: see the cache issue. The proxy calls [`plan`] on every call.)

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use crate::{Home, Settings};

/// The GOCACHE/GOMODCACHE a child process gets. `None` leaves the variable alone.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CachePlan {
    pub gocache: Option<PathBuf>,
    pub gomodcache: Option<PathBuf>,
}

/// Why no plan could be made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CacheError(pub String);

impl std::fmt::Display for CacheError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CacheError {}

/// Computes the plan for a call in `project_root` (None outside any project) running `toolchain`.
pub fn plan(
    _home: &Home,
    _settings: &Settings,
    _get: &dyn Fn(&str) -> Option<OsString>,
    _project_root: Option<&Path>,
    _toolchain: &str,
) -> Result<CachePlan, CacheError> {
    Ok(CachePlan::default())
}

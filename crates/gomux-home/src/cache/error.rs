//! Why no cache plan could be made, or its folders not created, and what to do about it.

use std::fmt;
use std::io;
use std::path::PathBuf;

use gomux_version::Hints;

use super::{MARKER_FILE, Source};
use crate::fsx::{self, FsError};
use crate::settings::SettingsError;

/// Why no plan could be made (or its folders not created).
#[derive(Debug)]
pub enum CacheError {
    /// The mode is not one of the known policies.
    UnknownMode {
        /// The mode as it was written.
        value: String,
        /// Which setting or variable gave it.
        from: Source,
    },
    /// `cache.base` is neither `auto` nor `off`.
    UnknownBase {
        /// The value as it was written.
        value: String,
        /// Which setting or variable gave it.
        from: Source,
    },
    /// The cache root is a relative path.
    RelativeRoot {
        /// The relative root as it was given.
        path: PathBuf,
        /// Which setting or variable gave it.
        from: Source,
    },
    /// Policy `job` with no job id in the environment.
    NoJobId {
        /// Which setting or variable chose mode `job`.
        from: Source,
    },
    /// A cache setting has the wrong type.
    Settings(SettingsError),
    /// A cache folder could not be created.
    Create {
        /// The folder that could not be created.
        path: PathBuf,
        /// The error from creating it.
        source: io::Error,
    },
    /// A marker file (`gomux-cache.txt`, or a group folder's `.gomux-folder`) could not be
    /// written.
    Marker(FsError),
    /// The cache folder already holds something that gomux did not put there (no marker):
    /// gomux will not mix its caches into it.
    Foreign {
        /// The existing folder without a marker.
        folder: PathBuf,
        /// Which setting or variable chose the cache root (the hint names it).
        root_from: Source,
    },
}

impl fmt::Display for CacheError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CacheError::UnknownMode { value, from } => write!(
                f,
                "unknown cache mode `{value}` (from {from}); use one of `project`, `shared`, `toolchain`, `job`, `off`"
            ),
            CacheError::UnknownBase { value, from } => write!(
                f,
                "unknown base layer setting `{value}` (from {from}); use `auto` or `off`"
            ),
            CacheError::RelativeRoot { path, from } => write!(
                f,
                "the cache root must be an absolute path, not `{}` (from {from}); use a folder such as `/mnt/data/go-caches`",
                path.display()
            ),
            CacheError::NoJobId { from } => write!(
                f,
                "cache mode `job` (from {from}) needs a CI job id, but none of `GOMUX_JOB_ID`, `CI_JOB_ID`, `GITHUB_RUN_ID`, `BUILDKITE_JOB_ID`, `BUILD_TAG` is set; set `GOMUX_JOB_ID` or choose another cache mode"
            ),
            CacheError::Settings(e) => write!(f, "{e}"),
            CacheError::Create { path, source } => write!(
                f,
                "cannot create the cache folder `{}`: {}",
                crate::text::escape_path(path),
                fsx::describe(source)
            ),
            CacheError::Marker(e) => write!(
                f,
                "cannot write the cache marker file `{}`: {}",
                crate::text::escape_path(&e.path),
                fsx::describe(&e.source)
            ),
            CacheError::Foreign { folder, .. } => write!(
                f,
                "`{}` already exists and holds files gomux did not put there (it has no `{MARKER_FILE}`): gomux will not put a cache inside it",
                crate::text::escape_path(folder)
            ),
        }
    }
}

impl Hints for CacheError {
    fn hints(&self) -> Vec<String> {
        let elsewhere =
            "or set `GOMUX_CACHE_DIR` (or `cache.root` in settings.toml) to another folder";
        match self {
            CacheError::NoJobId { .. } => vec![
                "in CI, the job id comes from `CI_JOB_ID` (GitLab), `GITHUB_RUN_ID` (GitHub), `BUILDKITE_JOB_ID` or `BUILD_TAG` (Jenkins)".into(),
            ],
            CacheError::RelativeRoot { .. } => {
                vec!["the cache root may be on any drive, but it must be absolute".into()]
            }
            CacheError::Create { path, source } => {
                let mut h: Vec<String> = fsx::io_hint(source, path).into_iter().collect();
                if h.is_empty() {
                    h.push("check that the cache root is writable".into());
                }
                h.push(elsewhere.into());
                h
            }
            CacheError::Marker(e) => {
                let mut h: Vec<String> = e.hint().into_iter().collect();
                h.push(elsewhere.into());
                h
            }
            CacheError::Foreign { root_from, .. } => vec![
                format!(
                    "choose another cache root (now from {root_from}): set `GOMUX_CACHE_DIR` or `cache.root` in settings.toml to a new or empty folder, such as `~/.cache/gomux`"
                ),
                "or set `GOMUX_CACHE_MODE=off` to let Go use its own caches".into(),
            ],
            CacheError::Settings(e) => e.hints(),
            CacheError::UnknownMode { .. } | CacheError::UnknownBase { .. } => Vec::new(),
        }
    }
}

impl std::error::Error for CacheError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            CacheError::Settings(e) => Some(e),
            CacheError::Create { source, .. } => Some(source),
            CacheError::Marker(e) => Some(e),
            _ => None,
        }
    }
}

impl From<SettingsError> for CacheError {
    fn from(e: SettingsError) -> CacheError {
        CacheError::Settings(e)
    }
}

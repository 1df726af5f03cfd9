//! The cache policy: which GOCACHE and GOMODCACHE a `go` call gets, and the layout of the cache
//! root that holds them.
//!
//! The design decision to know: [`plan`] runs inside the proxy on every `go` call, so it spawns
//! nothing and walks nothing. It costs a few variable lookups, one `canonicalize` of the project
//! root, one `stat` of the folder's marker file and, with the module store, one `stat` of the
//! project's `mod/cache/download` (plus, at most once an hour, a timestamp update on the marker,
//! which is how `gomux cache list` knows the last use). Everything slow —
//! sizes, cleaning, verifying — lives in the CLI. [`compute`] is the same decision without any
//! write, for `gomux cache dir` and `gomux show`.
//!
//! Layout under the cache root ([`CacheRoot`]):
//!
//! ```text
//! projects/<basename>-<hash>/{build,mod,gomux-cache.txt}   policy `project`
//! shared/{build,mod,gomux-cache.txt}                       policy `shared` (and `toolchain`'s mod)
//! toolchains/<name>/{build,gomux-cache.txt}                policy `toolchain`
//! jobs/<id>/{build,mod,gomux-cache.txt}                    policy `job`
//! store/{download,gomux-cache.txt}                          the module store (`project`'s
//!                                                           `mod/cache/download` links here)
//! base/<toolchain>/{build,gomux-cache.txt}                 the base layer ([`base`])
//! ```
//!
//! The second decision: a cache root may be `/`, a home folder or a folder full of the user's
//! own data, so gomux proves every folder it deletes is its own. A cache folder is one whose
//! `gomux-cache.txt` starts with [`CACHE_MARKER`]'s line; the group folders (`projects/`,
//! `toolchains/`, `jobs/`) carry [`crate::fsx::FOLDER_MARKER`] when gomux made them. [`CachePlan::prepare`]
//! never adopts a folder that already holds something and has no marker (an installed SDK
//! under `toolchains/`, the user's `~/shared`): the call fails and names the folder instead.

pub mod base;
mod effective;
mod error;
mod job;
mod layout;
mod marker;
mod policy;
mod store;
#[cfg(test)]
mod tests;

pub use base::{BaseState, BaseUse};
pub use effective::{Effective, Origin, effective, effective_with};
pub use error::CacheError;
pub use job::job_id;
pub use layout::{
    CacheRoot, Kind, build_dir, canonical_project, fnv1a64, mod_dir, project_folder_name,
    safe_folder_name,
};
pub use marker::{CACHE_MARKER, MARKER_FILE, TOUCH_EVERY, marker_file, read_marker};
pub use policy::{CachePlan, Decision, Mode, Scope, Source, cache_mode, cache_root, compute, plan};
pub use store::{STORE_DIR, StoreLink, create_store, download_dir, link_state, sdk_tree};

//! The slow side of gomux's caches: listing the cache folders and their sizes, cleaning them,
//! and verifying module caches against the hashes Go recorded (with the module `h1:` dirhash).
//!
//! The proxy only computes a cache plan ([`gomux_home::cache`]) and never links this crate;
//! everything that walks folders lives here, and the CLI renders what it returns. The design
//! decision to know: a cache root may be `/` or a home folder, so only folders carrying
//! gomux's `gomux-cache.txt` ([`gomux_home::cache::CACHE_MARKER`]) are ever listed or removed,
//! and removal goes through [`gomux_home::fsx::remove_owned`]: the folder is renamed out of
//! Go's sight first, so an interrupted clean never leaves half a module that Go trusts, and
//! [`finish_trash`] completes what it left.

#![warn(missing_docs)]

pub mod base;
pub mod clean;
pub mod dirhash;
mod folders;
pub mod prune;
pub mod store;
pub mod verify;

pub use clean::{CleanError, Note, Outcome, Selection, clean};
pub use folders::{Folder, finish_trash, folders, is_inside, looks_like_go_cache, size, unmarked};

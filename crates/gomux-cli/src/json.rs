//! Every `--json` output, as types: one struct per object, in one place, so a field cannot
//! change shape from one command to the next and docs/json.md can list them all.
//!
//! The design decision to know: each command prints exactly one object through [`print`],
//! which puts [`SCHEMA_VERSION`] first. A field is never removed or retyped without raising
//! it; a new field may appear in the same version (scripts ignore keys they do not know).
//! Field names are snake_case; a missing value is `null`, never an absent key; paths are
//! strings (a path that is not valid Unicode is shown with U+FFFD in place of the bad bytes).
//! `tests/e2e/json_docs.rs` runs every example of docs/json.md against the real command.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

/// The version of every `--json` shape. Raised when a field is removed or changes type.
pub const SCHEMA_VERSION: u32 = 1;

/// The object printed: `schema_version`, then the command's own fields.
#[derive(Serialize)]
struct Versioned<'a, T: Serialize> {
    schema_version: u32,
    #[serde(flatten)]
    body: &'a T,
}

/// Prints `body` as one pretty-printed JSON object with `schema_version` first.
pub fn print<T: Serialize>(body: &T) -> anyhow::Result<()> {
    let out = Versioned {
        schema_version: SCHEMA_VERSION,
        body,
    };
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(())
}

/// A path as JSON shows it.
pub fn path(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

/// A path that may be missing.
pub fn opt_path(p: Option<&Path>) -> Option<String> {
    p.map(path)
}

// ---------------------------------------------------------------------------------------------
// gomux list

/// `gomux list --json`.
#[derive(Serialize)]
pub struct List {
    pub toolchains: Vec<Toolchain>,
}

/// One installed or linked toolchain.
#[derive(Serialize)]
pub struct Toolchain {
    /// The name under `toolchains/` (`go1.22.3`, or a linked name).
    pub name: String,
    /// `toolchains/<name>`.
    pub path: String,
    /// `installed` or `linked`.
    pub kind: &'static str,
    /// For a linked toolchain, the folder the link points to.
    pub target: Option<String>,
    /// Whether it has a `bin/go`.
    pub usable: bool,
    /// Whether it is the default toolchain.
    pub default: bool,
    /// Whether a `go` call in this folder runs it.
    pub active: bool,
}

/// `gomux list --remote --json`.
#[derive(Serialize)]
pub struct Releases {
    /// The platform the archives are for (`linux-amd64`).
    pub platform: String,
    /// Newest first.
    pub releases: Vec<Release>,
}

/// One release with an archive for this platform.
#[derive(Serialize)]
pub struct Release {
    pub name: String,
    pub stable: bool,
    pub installed: bool,
    pub filename: String,
    pub sha256: Option<String>,
    pub size: u64,
}

// ---------------------------------------------------------------------------------------------
// gomux show

/// `gomux show --json`.
#[derive(Serialize)]
pub struct Show {
    /// The toolchain a `go` call runs (may be a newer installed patch than the request).
    pub toolchain: String,
    /// Whether it is installed (or linked) and usable.
    pub installed: bool,
    /// Its GOROOT, when installed.
    pub goroot: Option<String>,
    /// What was asked for, and by what.
    pub request: ShowRequest,
    /// The project folder (go.work, else go.mod, else pin file).
    pub project_root: Option<String>,
    /// The release a module line asks for, when a newer installed patch runs instead.
    pub instead_of: Option<InsteadOf>,
    /// The `GOTOOLCHAIN` the SDK runs with.
    pub gotoolchain: String,
    /// The default toolchain, whenever one is set.
    pub default: Option<ShowDefault>,
    /// The caches the call gets (`gomux cache dir --json`'s object), unless they could not be
    /// worked out.
    pub cache: Option<CacheDir>,
    /// Why the caches could not be worked out.
    pub cache_error: Option<String>,
}

/// The request that decided.
#[derive(Serialize)]
pub struct ShowRequest {
    /// `go1.22.3` (exact) or `1.22` (a family: the newest installed match, else the newest
    /// release).
    pub value: String,
    /// `exact` or `family`.
    pub kind: &'static str,
    /// `proxy-name`, `arg`, `env`, `gotoolchain`, `pin-file`, `go-work`, `go-mod` or `default`.
    pub source: &'static str,
    /// The file that decided, when one did.
    pub file: Option<String>,
    /// Its 1-based line.
    pub line: Option<usize>,
    /// The same in words, as `gomux show` prints it.
    pub description: String,
}

/// A newer installed patch running instead of what a module line asks for.
#[derive(Serialize)]
pub struct InsteadOf {
    pub toolchain: String,
    pub reason: String,
}

/// The default toolchain and what set it.
#[derive(Serialize)]
pub struct ShowDefault {
    /// `go1.22.3` or `1.22`.
    pub toolchain: String,
    /// `settings`, `gotoolchain` or `pin-file`.
    pub source: &'static str,
    /// The file it was set in (none for `GOTOOLCHAIN` in the environment).
    pub file: Option<String>,
    /// The 1-based line, for a pin file.
    pub line: Option<usize>,
    pub description: String,
}

// ---------------------------------------------------------------------------------------------
// gomux cache

/// `gomux cache dir --json` (and `cache` in `gomux show --json`).
#[derive(Serialize)]
pub struct CacheDir {
    pub gocache: CacheVar,
    pub gomodcache: CacheVar,
    /// The cache policy: `project`, `shared`, `toolchain`, `job` or `off`.
    pub mode: &'static str,
    pub mode_from: String,
    pub root: String,
    pub root_from: String,
    pub project: Option<String>,
    pub toolchain: Option<String>,
    pub reason: String,
    /// The GOCACHEPROG the proxy sets (`gomux cacheprog`), when a remote cache is configured
    /// and the toolchain is Go 1.24 or newer.
    pub gocacheprog: Option<String>,
    pub module_store: Option<String>,
    pub module_store_note: Option<String>,
    pub base: Option<CacheBase>,
}

/// The value Go uses for GOCACHE or GOMODCACHE, and who decided it.
#[derive(Serialize)]
pub struct CacheVar {
    /// None when Go's default cannot be worked out (no home folder).
    pub value: Option<String>,
    /// `gomux`, `env`, `go-env-file` or `go-default`.
    pub origin: &'static str,
    /// `injected`, `forced`, `user` or `untouched`.
    pub decision: &'static str,
    /// A `go env -w` value that gomux's value overrides.
    pub overrides: Option<Overridden>,
    pub note: String,
}

/// A `go env -w` value and its file.
#[derive(Serialize)]
pub struct Overridden {
    pub file: String,
    pub value: String,
}

/// The toolchain's base layer.
#[derive(Serialize)]
pub struct CacheBase {
    pub path: String,
    /// `off`, `none`, `building`, `ready` or `seeded`.
    pub state: Option<&'static str>,
    pub from: String,
}

/// `gomux cache list --json`.
#[derive(Serialize)]
pub struct CacheList {
    pub root: String,
    pub folders: Vec<CacheFolder>,
    /// Bytes on disk, files shared between folders counted once.
    pub total: u64,
}

/// One cache folder.
#[derive(Serialize)]
pub struct CacheFolder {
    /// `project`, `shared`, `toolchain`, `job`, `store` or `base`.
    pub kind: &'static str,
    /// The path under the cache root (`projects/app-1a2b3c4d5e6f`).
    pub folder: String,
    pub path: String,
    pub project: Option<String>,
    /// `shared + own`.
    pub size: u64,
    /// Bytes shared with another folder (a base layer's files).
    pub shared: u64,
    /// Bytes only this folder holds.
    pub own: u64,
    /// RFC 3339.
    pub last_use: Option<String>,
    pub last_use_unix: Option<u64>,
}

/// `gomux cache clean --json`.
#[derive(Serialize)]
pub struct CacheClean {
    pub dry_run: bool,
    pub removed: Vec<Removed>,
    pub failed: Vec<FailedRemoval>,
    /// Bytes freed (would be freed, with `--dry-run`).
    pub freed: u64,
    pub notes: Vec<String>,
}

/// A folder removed (or that would be).
#[derive(Serialize)]
pub struct Removed {
    pub folder: String,
    pub path: String,
    pub project: Option<String>,
    pub size: u64,
}

/// A folder that could not be removed completely.
#[derive(Serialize)]
pub struct FailedRemoval {
    pub folder: String,
    pub path: String,
    pub size: u64,
    pub freed: u64,
    pub error: String,
}

/// `gomux cache verify --json`.
#[derive(Serialize)]
pub struct CacheVerify {
    /// No problem left (with `--fix`: none that could not be fixed).
    pub ok: bool,
    pub fix: bool,
    pub modcaches: Vec<gomux_cache::verify::Report>,
    pub store: Option<gomux_cache::store::StoreReport>,
}

/// `gomux cache base --json`.
#[derive(Serialize)]
pub struct CacheBaseBuilt {
    pub toolchain: String,
    /// The base layer's build cache.
    pub build: String,
    pub seconds: f64,
    #[serde(flatten)]
    pub built: gomux_cache::base::Built,
}

// ---------------------------------------------------------------------------------------------
// gomux env, doctor, config

/// `gomux env --json`.
#[derive(Serialize)]
pub struct Env {
    pub toolchain: Option<String>,
    pub goroot: Option<String>,
    pub reason: Option<String>,
    /// The variables set, by name.
    pub set: BTreeMap<String, String>,
    /// The variables removed.
    pub unset: Vec<String>,
    /// Why only PATH could be computed.
    pub error: Option<String>,
}

/// `gomux doctor --json`.
#[derive(Serialize)]
pub struct Doctor {
    pub errors: usize,
    pub warnings: usize,
    pub ok: usize,
    pub checks: Vec<Check>,
}

/// One check's finding.
#[derive(Serialize)]
pub struct Check {
    pub id: String,
    pub title: String,
    /// `ok`, `warning` or `error`.
    pub status: &'static str,
    pub evidence: String,
    pub fix: Option<String>,
}

/// `gomux config list --json`.
#[derive(Serialize)]
pub struct Config {
    /// The settings file (it may not exist yet).
    pub file: String,
    pub settings: Vec<ConfigSetting>,
}

/// One setting of the registry.
#[derive(Serialize)]
pub struct ConfigSetting {
    /// The `settings.toml` key; none for a setting only a variable sets.
    pub key: Option<String>,
    /// The environment variable; none for a setting only the file sets.
    pub variable: Option<String>,
    /// The effective value; none when unset and the default is not one plain value.
    pub value: Option<String>,
    /// `variable`, `settings` or `default`.
    pub origin: &'static str,
    /// For `settings`: the 1-based line in the settings file.
    pub line: Option<usize>,
    /// The default, as docs/settings.md words it (Markdown).
    pub default: String,
}

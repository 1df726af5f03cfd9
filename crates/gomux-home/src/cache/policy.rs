//! The hot-path decision: the cache mode and root from the environment and the settings, and
//! the GOCACHE/GOMODCACHE each `go` call gets.

use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use super::base::{BaseUse, base_enabled};
use super::{
    CacheError, CacheRoot, Kind, build_dir, canonical_project, job_id, mod_dir, safe_folder_name,
};
use crate::{Home, Settings, config};

/// A cache policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// GOCACHE and GOMODCACHE per project (the default).
    Project,
    /// One GOCACHE and one GOMODCACHE under the cache root for everything.
    Shared,
    /// GOCACHE per toolchain, GOMODCACHE shared.
    Toolchain,
    /// GOCACHE and GOMODCACHE per CI job.
    Job,
    /// Inject nothing.
    Off,
}

impl Mode {
    /// Every mode, in documentation order.
    pub const ALL: [Mode; 5] = [
        Mode::Project,
        Mode::Shared,
        Mode::Toolchain,
        Mode::Job,
        Mode::Off,
    ];

    /// Parses a mode name (`project`, `shared`, `toolchain`, `job`, `off`).
    pub fn parse(s: &str) -> Option<Mode> {
        Mode::ALL.into_iter().find(|m| m.as_str() == s)
    }

    /// The mode's name, as [`Mode::parse`] reads it and as `cache.mode` and `GOMUX_CACHE_MODE`
    /// spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Project => "project",
            Mode::Shared => "shared",
            Mode::Toolchain => "toolchain",
            Mode::Job => "job",
            Mode::Off => "off",
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a cache setting (the mode or the root) came from: the settings registry's one
/// provenance type.
pub use crate::config::Origin as Source;

/// Which cache folder a call gets, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Policy `project` inside a project: the canonical project root.
    Project {
        /// The canonical project root ([`canonical_project`]).
        root: PathBuf,
    },
    /// Policy `project` outside any project: nothing is injected.
    NoProject,
    /// Policy `shared`.
    Shared,
    /// Policy `toolchain`: the toolchain name (already made safe as a folder name).
    Toolchain {
        /// The toolchain name as a safe folder name ([`safe_folder_name`]).
        name: String,
    },
    /// Policy `job`: the job id as a folder name, and the variable it came from.
    Job {
        /// The job id as a safe folder name ([`safe_folder_name`]).
        id: String,
        /// The variable the id came from (`GOMUX_JOB_ID`, `CI_JOB_ID`, …).
        from: &'static str,
    },
    /// Policy `project`, but the project root is inside a Go SDK's own tree (`GOROOT/src`,
    /// module `std` or `cmd`): the toolchain-level caches, as with policy `toolchain`, and no
    /// project folder.
    Sdk {
        /// The toolchain name as a safe folder name ([`safe_folder_name`]).
        name: String,
        /// The SDK tree (the folder holding `VERSION`, `pkg/tool` and `src`).
        goroot: PathBuf,
        /// The canonical project root inside it (`GOROOT/src`, `GOROOT/src/cmd`).
        project: PathBuf,
    },
    /// Policy `off`.
    Off,
}

/// What gomux does with one variable (GOCACHE or GOMODCACHE).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// gomux sets it to its folder.
    Injected,
    /// gomux sets it over the user's own value from the environment (`cache.force = true`).
    Forced {
        /// The user's value that gomux overrides.
        user: OsString,
    },
    /// The user's own value from the environment is kept.
    User {
        /// The user's value, passed through unchanged.
        value: OsString,
    },
    /// gomux leaves it alone (policy `off`, or outside a project).
    Untouched,
}

/// The GOCACHE/GOMODCACHE a child process gets, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CachePlan {
    /// The value to set for GOCACHE; `None` leaves the variable as it is.
    pub gocache: Option<PathBuf>,
    /// The value to set for GOMODCACHE; `None` leaves the variable as it is.
    pub gomodcache: Option<PathBuf>,
    /// What gomux does with GOCACHE, and why.
    pub gocache_decision: Decision,
    /// What gomux does with GOMODCACHE, and why.
    pub gomodcache_decision: Decision,
    /// The cache policy in force.
    pub mode: Mode,
    /// Which setting or variable chose the mode ([`Source::Default`] when none did).
    pub mode_from: Source,
    /// The cache root (absolute).
    pub root: PathBuf,
    /// Which setting or variable chose the cache root ([`Source::Default`] when none did).
    pub root_from: Source,
    /// Which cache folder the call gets, and why.
    pub scope: Scope,
    /// The module store's download folder (`<root>/store/download`) that the project's
    /// `mod/cache/download` links to; `None` when the store is not used (another policy, the
    /// user's own GOMODCACHE, `cache.module_store = false`, Windows).
    pub module_store: Option<PathBuf>,
    /// The toolchain's base layer that seeds this plan's build cache: only for a per-project or
    /// per-job GOCACHE that gomux sets ([`super::base`]).
    pub base: Option<BaseUse>,
    /// The `GOCACHEPROG` to set (`<GOMUX_HOME>/bin/gomux cacheprog`, quoted as Go splits it):
    /// only when a remote cache is configured, gomux sets GOCACHE (the helper's local layer),
    /// the toolchain is Go 1.24 or later and the environment has no GOCACHEPROG of its own.
    pub gocacheprog: Option<OsString>,
}

/// The cache root the settings and environment choose, and where it came from.
pub fn cache_root(
    home: &Home,
    settings: &Settings,
    get: &dyn Fn(&str) -> Option<OsString>,
) -> Result<(PathBuf, Source), CacheError> {
    let Some((raw, from)) = config::CACHE_ROOT.lookup(get, || Ok::<_, CacheError>(settings))?
    else {
        return Ok((home.default_cache_root(), Source::Default));
    };
    let path = raw.into_path();
    if !path.is_absolute() {
        return Err(CacheError::RelativeRoot { path, from });
    }
    Ok((path, from))
}

/// The cache mode the settings and environment choose, and where it came from.
pub fn cache_mode(
    settings: &Settings,
    get: &dyn Fn(&str) -> Option<OsString>,
) -> Result<(Mode, Source), CacheError> {
    let Some((raw, from)) = config::CACHE_MODE.lookup(get, || Ok::<_, CacheError>(settings))?
    else {
        return Ok((Mode::Project, Source::Default));
    };
    let value = raw.into_string();
    match Mode::parse(value.trim()) {
        Some(m) => Ok((m, from)),
        None => Err(CacheError::UnknownMode { value, from }),
    }
}

/// Computes the plan for a call in `project_root` (None outside any project) running
/// `toolchain`, and creates its cache folders on first use (refreshing the last-use time at
/// most once an hour). This is what the proxy calls.
pub fn plan(
    home: &Home,
    settings: &Settings,
    get: &dyn Fn(&str) -> Option<OsString>,
    project_root: Option<&Path>,
    toolchain: &str,
) -> Result<CachePlan, CacheError> {
    let p = compute(home, settings, get, project_root, toolchain)?;
    let created = p.prepare_created(SystemTime::now())?;
    p.use_base(home, created);
    Ok(p)
}

/// Computes the plan without writing anything (for `gomux cache dir` and `gomux show`).
pub fn compute(
    home: &Home,
    settings: &Settings,
    get: &dyn Fn(&str) -> Option<OsString>,
    project_root: Option<&Path>,
    toolchain: &str,
) -> Result<CachePlan, CacheError> {
    let (mode, mode_from) = cache_mode(settings, get)?;
    let (root, root_from) = cache_root(home, settings, get)?;
    let layout = CacheRoot::new(&root);
    let (scope, build, modc) = match mode {
        Mode::Off => (Scope::Off, None, None),
        Mode::Project => match project_root {
            None => (Scope::NoProject, None, None),
            Some(p) => {
                let canonical = canonical_project(p);
                if let Some(goroot) = super::sdk_tree(home, toolchain, &canonical) {
                    let name = safe_folder_name(toolchain).unwrap_or_else(|| "unknown".into());
                    let folder = layout.toolchain_folder(&name);
                    (
                        Scope::Sdk {
                            name,
                            goroot,
                            project: canonical,
                        },
                        Some(build_dir(&folder)),
                        Some(mod_dir(&layout.shared_folder())),
                    )
                } else {
                    let folder = layout.project_folder(&canonical);
                    (
                        Scope::Project { root: canonical },
                        Some(build_dir(&folder)),
                        Some(mod_dir(&folder)),
                    )
                }
            }
        },
        Mode::Shared => {
            let folder = layout.shared_folder();
            (
                Scope::Shared,
                Some(build_dir(&folder)),
                Some(mod_dir(&folder)),
            )
        }
        Mode::Toolchain => {
            let name = safe_folder_name(toolchain).unwrap_or_else(|| "unknown".into());
            let folder = layout.toolchain_folder(&name);
            (
                Scope::Toolchain { name },
                Some(build_dir(&folder)),
                Some(mod_dir(&layout.shared_folder())),
            )
        }
        Mode::Job => {
            let Some((id, from)) = job_id(get) else {
                return Err(CacheError::NoJobId { from: mode_from });
            };
            let folder = layout.job_folder(&id);
            (
                Scope::Job { id, from },
                Some(build_dir(&folder)),
                Some(mod_dir(&folder)),
            )
        }
    };
    let (force, _) = config::CACHE_FORCE.flag(get, || Ok::<_, CacheError>(settings))?;
    let (gocache, gocache_decision) = decide(get, "GOCACHE", build, force);
    let (gomodcache, gomodcache_decision) = decide(get, "GOMODCACHE", modc, force);
    let module_store = if cfg!(unix)
        && matches!(scope, Scope::Project { .. })
        && gomodcache.is_some()
        && config::CACHE_MODULE_STORE
            .flag(get, || Ok::<_, CacheError>(settings))?
            .0
    {
        Some(layout.store_download())
    } else {
        None
    };
    let base = match (&scope, &gocache) {
        (Scope::Project { .. } | Scope::Job { .. }, Some(_)) => {
            let (enabled, from) = base_enabled(settings, get)?;
            let name = safe_folder_name(toolchain).unwrap_or_else(|| "unknown".into());
            Some(BaseUse {
                folder: layout.base_folder(&name),
                toolchain: name,
                enabled,
                from,
            })
        }
        _ => None,
    };
    let gocacheprog = match gocache {
        Some(_) => cacheprog(home, settings, get, toolchain)?,
        None => None,
    };
    Ok(CachePlan {
        gocache,
        gomodcache,
        gocache_decision,
        gomodcache_decision,
        mode,
        mode_from,
        root,
        root_from,
        scope,
        module_store,
        base,
        gocacheprog,
    })
}

/// The first release where `GOCACHEPROG` is on without an experiment flag.
const CACHEPROG_SINCE: &str = "1.24";

/// `GOCACHEPROG` for a call whose GOCACHE gomux sets: a variable lookup or two and string
/// work, no I/O (the settings are already read).
fn cacheprog(
    home: &Home,
    settings: &Settings,
    get: &dyn Fn(&str) -> Option<OsString>,
    toolchain: &str,
) -> Result<Option<OsString>, CacheError> {
    if get("GOCACHEPROG").is_some_and(|v| !v.is_empty()) {
        return Ok(None);
    }
    let new_enough = gomux_version::from_toolchain(toolchain)
        .is_some_and(|v| gomux_version::compare(v, CACHEPROG_SINCE) != std::cmp::Ordering::Less);
    if !new_enough
        || config::CACHE_REMOTE
            .lookup(get, || Ok::<_, CacheError>(settings))?
            .is_none()
    {
        return Ok(None);
    }
    Ok(go_quoted(&home.gomux_exe()).map(|exe| OsString::from(format!("{exe} cacheprog"))))
}

/// `path` as one field of Go's `quoted.Split` (spaces separate fields; a field may be wrapped
/// in `'` or `"`, with no escapes): `None` when it cannot be written so (or is not UTF-8).
fn go_quoted(path: &Path) -> Option<String> {
    let s = path.to_str()?;
    let plain =
        !s.is_empty() && !s.contains([' ', '\t', '\n', '\r']) && !s.starts_with(['"', '\'']);
    if plain {
        Some(s.to_string())
    } else if !s.contains('"') {
        Some(format!("\"{s}\""))
    } else if !s.contains('\'') {
        Some(format!("'{s}'"))
    } else {
        None
    }
}

fn decide(
    get: &dyn Fn(&str) -> Option<OsString>,
    key: &str,
    ours: Option<PathBuf>,
    force: bool,
) -> (Option<PathBuf>, Decision) {
    let Some(ours) = ours else {
        return (None, Decision::Untouched);
    };
    match get(key).filter(|v| !v.is_empty()) {
        None => (Some(ours), Decision::Injected),
        Some(user) if force => (Some(ours), Decision::Forced { user }),
        Some(value) => (None, Decision::User { value }),
    }
}

impl CachePlan {
    /// The cache folders this plan uses, with their kind; a folder appears only when at least
    /// one variable is set to a path inside it.
    pub fn folders(&self) -> Vec<(PathBuf, Kind)> {
        let layout = CacheRoot::new(&self.root);
        let mut out = Vec::new();
        let (build_folder, mod_folder, kind) = match &self.scope {
            Scope::Project { root } => {
                let f = layout.project_folder(root);
                (f.clone(), f, Kind::Project)
            }
            Scope::Shared => (layout.shared_folder(), layout.shared_folder(), Kind::Shared),
            Scope::Toolchain { name } | Scope::Sdk { name, .. } => (
                layout.toolchain_folder(name),
                layout.shared_folder(),
                Kind::Toolchain,
            ),
            Scope::Job { id, .. } => {
                let f = layout.job_folder(id);
                (f.clone(), f, Kind::Job)
            }
            Scope::NoProject | Scope::Off => return out,
        };
        if self.gocache.is_some() {
            out.push((build_folder.clone(), kind));
        }
        if self.gomodcache.is_some() && !(self.gocache.is_some() && mod_folder == build_folder) {
            let k = if mod_folder == build_folder {
                kind
            } else {
                Kind::Shared
            };
            out.push((mod_folder, k));
        }
        out
    }
    /// One line saying which caches this call gets and why.
    pub fn reason(&self) -> String {
        let mode = format!("cache mode `{}` from {}", self.mode, self.mode_from);
        match &self.scope {
            Scope::Project { root } => {
                format!("per-project caches for `{}` ({mode})", root.display())
            }
            Scope::NoProject => format!(
                "outside any project nothing is injected and Go's own settings apply ({mode})"
            ),
            Scope::Shared => format!("one shared cache for every project ({mode})"),
            Scope::Toolchain { name } => {
                format!("build cache per toolchain (`{name}`), module cache shared ({mode})")
            }
            Scope::Job { id, from } => {
                format!("per-job caches for job `{id}` from `{from}` ({mode})")
            }
            Scope::Sdk { name, goroot, .. } => format!(
                "inside the Go SDK `{}`, which is never a project: build cache per toolchain (`{name}`), module cache shared, no project cache ({mode})",
                goroot.display()
            ),
            Scope::Off => format!("gomux injects nothing ({mode})"),
        }
    }
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Decision::Injected => f.write_str("set by gomux"),
            Decision::Forced { user } => write!(
                f,
                "set by gomux over `{}` from the environment (`cache.force = true`)",
                user.to_string_lossy()
            ),
            Decision::User { .. } => f.write_str(
                "your own value from the environment wins (set `cache.force = true` to override it)",
            ),
            Decision::Untouched => f.write_str("not set by gomux"),
        }
    }
}

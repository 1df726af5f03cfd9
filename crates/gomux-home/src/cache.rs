//! The cache policy: which GOCACHE and GOMODCACHE a `go` call gets, and the layout of the cache
//! root that holds them.
//!
//! The design decision to know: [`plan`] runs inside the proxy on every `go` call, so it spawns
//! nothing and walks nothing. It costs a few variable lookups, one `canonicalize` of the project
//! root and one `stat` of the folder's marker file (plus, at most once an hour, a timestamp
//! update on that file, which is how `gomux cache list` knows the last use). Everything slow —
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
//! ```
//!
//! The second decision: a cache root may be `/`, a home folder or a folder full of the user's
//! own data, so gomux proves every folder it deletes is its own. A cache folder is one whose
//! `gomux-cache.txt` starts with [`CACHE_MARKER`]'s line; the group folders (`projects/`,
//! `toolchains/`, `jobs/`) carry [`fsx::FOLDER_MARKER`] when gomux made them. [`CachePlan::prepare`]
//! never adopts a folder that already holds something and has no marker (an installed SDK
//! under `toolchains/`, the user's `~/shared`): the call fails and names the folder instead.

use std::ffi::OsString;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use gomux_version::Hints;

use crate::fsx::{self, FsError};
use crate::goenv::GoEnvFile;
use crate::settings::{SettingsError, keys};
use crate::{Home, Settings, env};

/// The marker file in every cache folder: what the folder is for (and, for a project, which
/// project). Its modification time is the folder's last use.
pub const MARKER_FILE: &str = "gomux-cache.txt";

/// The proof that gomux made a cache folder: `gomux-cache.txt` whose first line is this one.
/// `gomux cache clean`, `gomux cache list` and `gomux setup --uninstall --remove-caches` touch
/// only folders that carry it.
pub const CACHE_MARKER: fsx::Marker = fsx::Marker {
    file: MARKER_FILE,
    first_line: "# gomux cache folder",
};

/// The mode of the folders gomux creates under the cache root: never writable by others,
/// whatever the umask (which can only make it stricter).
const DIR_MODE: u32 = 0o755;

/// The last-use time is refreshed when it is older than this, so the hot path writes at most
/// once an hour per folder.
pub const TOUCH_EVERY: Duration = Duration::from_secs(3600);

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

/// Where a cache setting (the mode or the root) came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// Built in.
    Default,
    /// The settings file (the path) under the given key.
    Setting { file: PathBuf, key: &'static str },
    /// An environment variable.
    Variable(&'static str),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Default => f.write_str("the default"),
            Source::Setting { file, key } => {
                write!(f, "setting `{key}` in `{}`", file.display())
            }
            Source::Variable(v) => write!(f, "variable `{v}`"),
        }
    }
}

/// Which cache folder a call gets, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Policy `project` inside a project: the canonical project root.
    Project { root: PathBuf },
    /// Policy `project` outside any project: nothing is injected.
    NoProject,
    /// Policy `shared`.
    Shared,
    /// Policy `toolchain`: the toolchain name (already made safe as a folder name).
    Toolchain { name: String },
    /// Policy `job`: the job id as a folder name, and the variable it came from.
    Job { id: String, from: &'static str },
    /// Policy `off`.
    Off,
}

/// What gomux does with one variable (GOCACHE or GOMODCACHE).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// gomux sets it to its folder.
    Injected,
    /// gomux sets it over the user's own value from the environment (`cache.force = true`).
    Forced { user: OsString },
    /// The user's own value from the environment is kept.
    User { value: OsString },
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
    pub gocache_decision: Decision,
    pub gomodcache_decision: Decision,
    pub mode: Mode,
    pub mode_from: Source,
    /// The cache root (absolute).
    pub root: PathBuf,
    pub root_from: Source,
    pub scope: Scope,
}

/// Why no plan could be made (or its folders not created).
#[derive(Debug)]
pub enum CacheError {
    /// The mode is not one of the known policies.
    UnknownMode { value: String, from: Source },
    /// The cache root is a relative path.
    RelativeRoot { path: PathBuf, from: Source },
    /// Policy `job` with no job id in the environment.
    NoJobId { from: Source },
    /// A cache setting has the wrong type.
    Settings(SettingsError),
    /// A cache folder could not be created.
    Create { path: PathBuf, source: io::Error },
    /// A marker file (`gomux-cache.txt`, or a group folder's `.gomux-folder`) could not be
    /// written.
    Marker(FsError),
    /// The cache folder already holds something that gomux did not put there (no marker):
    /// gomux will not mix its caches into it.
    Foreign { folder: PathBuf, root_from: Source },
}

impl fmt::Display for CacheError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CacheError::UnknownMode { value, from } => write!(
                f,
                "unknown cache mode `{value}` (from {from}); use one of `project`, `shared`, `toolchain`, `job`, `off`"
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
            CacheError::UnknownMode { .. } => Vec::new(),
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

/// The kind of a cache folder, as written in its marker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Project,
    Shared,
    Toolchain,
    Job,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Project => "project",
            Kind::Shared => "shared",
            Kind::Toolchain => "toolchain",
            Kind::Job => "job",
        }
    }
}

/// The layout of a cache root: every path under it comes from here.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CacheRoot {
    root: PathBuf,
}

impl CacheRoot {
    pub fn new(root: impl Into<PathBuf>) -> CacheRoot {
        CacheRoot { root: root.into() }
    }
    pub fn path(&self) -> &Path {
        &self.root
    }
    /// `projects/`.
    pub fn projects_dir(&self) -> PathBuf {
        self.root.join("projects")
    }
    /// `projects/<basename>-<hash>` for a canonical project root.
    pub fn project_folder(&self, canonical_project: &Path) -> PathBuf {
        self.projects_dir()
            .join(project_folder_name(canonical_project))
    }
    /// `shared/`.
    pub fn shared_folder(&self) -> PathBuf {
        self.root.join("shared")
    }
    /// `toolchains/`.
    pub fn toolchains_dir(&self) -> PathBuf {
        self.root.join("toolchains")
    }
    /// `toolchains/<name>`; `name` must be a safe folder name ([`safe_folder_name`]).
    pub fn toolchain_folder(&self, name: &str) -> PathBuf {
        self.toolchains_dir().join(name)
    }
    /// `jobs/`.
    pub fn jobs_dir(&self) -> PathBuf {
        self.root.join("jobs")
    }
    /// `jobs/<id>`; `id` must be a safe folder name ([`safe_folder_name`]).
    pub fn job_folder(&self, id: &str) -> PathBuf {
        self.jobs_dir().join(id)
    }
    /// The four folders that hold cache folders (what `gomux cache clean --all` may remove).
    pub fn group_dirs(&self) -> [(Kind, PathBuf); 4] {
        [
            (Kind::Project, self.projects_dir()),
            (Kind::Shared, self.shared_folder()),
            (Kind::Toolchain, self.toolchains_dir()),
            (Kind::Job, self.jobs_dir()),
        ]
    }
}

/// The GOCACHE inside a cache folder.
pub fn build_dir(folder: &Path) -> PathBuf {
    folder.join("build")
}

/// The GOMODCACHE inside a cache folder.
pub fn mod_dir(folder: &Path) -> PathBuf {
    folder.join("mod")
}

/// The marker file of a cache folder.
pub fn marker_file(folder: &Path) -> PathBuf {
    folder.join(MARKER_FILE)
}

/// FNV-1a, 64 bits: a small stable hash for folder names (not for security).
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// `<basename>-<12 hex digits of the FNV-1a hash of the path>`: readable and stable.
pub fn project_folder_name(canonical_project: &Path) -> String {
    let hash = fnv1a64(canonical_project.as_os_str().as_encoded_bytes());
    let base = canonical_project
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut base = sanitize(base.chars().take(40), char::is_alphanumeric);
    if base.is_empty() {
        base.push_str("root");
    }
    format!("{base}-{:012x}", hash >> 16)
}

/// Keeps the characters `keep` accepts and `.`, `_`, `-`; turns everything else, and a leading
/// `.`, into `_`.
fn sanitize(chars: impl Iterator<Item = char>, keep: impl Fn(char) -> bool) -> String {
    let mut out: String = chars
        .map(|c| {
            if keep(c) || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if out.starts_with('.') {
        out.replace_range(0..1, "_");
    }
    out
}

/// Makes any text (a job id, a toolchain name) a safe folder name: ASCII letters, digits, `.`,
/// `_` and `-` are kept, everything else becomes `_`, a leading `.` becomes `_`, and a name
/// longer than 64 characters is cut and given a hash of the whole. `None` for empty text.
pub fn safe_folder_name(text: &str) -> Option<String> {
    if text.is_empty() {
        return None;
    }
    let mut name = sanitize(text.chars(), |c| c.is_ascii_alphanumeric());
    if name.len() > 64 {
        name.truncate(47);
        name.push_str(&format!("-{:016x}", fnv1a64(text.as_bytes())));
    }
    Some(name)
}

/// The CI job id for policy `job`, as a folder name, and the variable it came from.
///
/// `GOMUX_JOB_ID` comes first (so a matrix job can name itself), then GitLab `CI_JOB_ID`,
/// GitHub `GITHUB_RUN_ID` + `-` + `GITHUB_RUN_ATTEMPT`, Buildkite `BUILDKITE_JOB_ID`, Jenkins
/// `BUILD_TAG`.
pub fn job_id(get: &dyn Fn(&str) -> Option<OsString>) -> Option<(String, &'static str)> {
    let val = |k: &str| {
        get(k)
            .filter(|v| !v.is_empty())
            .map(|v| v.to_string_lossy().into_owned())
    };
    for var in [
        env::GOMUX_JOB_ID,
        "CI_JOB_ID",
        "GITHUB_RUN_ID",
        "BUILDKITE_JOB_ID",
        "BUILD_TAG",
    ] {
        let Some(mut id) = val(var) else { continue };
        if var == "GITHUB_RUN_ID" {
            id = format!(
                "{id}-{}",
                val("GITHUB_RUN_ATTEMPT").unwrap_or_else(|| "1".into())
            );
        }
        if let Some(name) = safe_folder_name(&id) {
            return Some((name, var));
        }
    }
    None
}

/// The cache root the settings and environment choose, and where it came from.
pub fn cache_root(
    home: &Home,
    settings: &Settings,
    get: &dyn Fn(&str) -> Option<OsString>,
) -> Result<(PathBuf, Source), CacheError> {
    let (path, from) = if let Some(v) = get(env::GOMUX_CACHE_DIR).filter(|v| !v.is_empty()) {
        (PathBuf::from(v), Source::Variable(env::GOMUX_CACHE_DIR))
    } else if let Some(s) = settings
        .get_str(keys::CACHE_ROOT)?
        .filter(|s| !s.is_empty())
    {
        (
            PathBuf::from(s),
            Source::Setting {
                file: settings.path().to_path_buf(),
                key: keys::CACHE_ROOT,
            },
        )
    } else {
        return Ok((home.default_cache_root(), Source::Default));
    };
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
    let (value, from) = if let Some(v) = get(env::GOMUX_CACHE_MODE).filter(|v| !v.is_empty()) {
        (
            v.to_string_lossy().into_owned(),
            Source::Variable(env::GOMUX_CACHE_MODE),
        )
    } else if let Some(s) = settings
        .get_str(keys::CACHE_MODE)?
        .filter(|s| !s.is_empty())
    {
        (
            s.to_string(),
            Source::Setting {
                file: settings.path().to_path_buf(),
                key: keys::CACHE_MODE,
            },
        )
    } else {
        return Ok((Mode::Project, Source::Default));
    };
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
    p.prepare(SystemTime::now())?;
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
                let folder = layout.project_folder(&canonical);
                (
                    Scope::Project { root: canonical },
                    Some(build_dir(&folder)),
                    Some(mod_dir(&folder)),
                )
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
    let force = settings.get_bool(keys::CACHE_FORCE)?.unwrap_or(false);
    let (gocache, gocache_decision) = decide(get, "GOCACHE", build, force);
    let (gomodcache, gomodcache_decision) = decide(get, "GOMODCACHE", modc, force);
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
    })
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

/// The canonical form of a project root, used for its folder name. Falls back to the path as
/// given when it cannot be resolved. On Windows the `\\?\` prefix is dropped so the recorded
/// path reads like the one the user typed.
pub fn canonical_project(p: &Path) -> PathBuf {
    let c = std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    strip_verbatim(c)
}

fn strip_verbatim(p: PathBuf) -> PathBuf {
    if cfg!(windows)
        && let Some(s) = p.to_str()
        && let Some(rest) = s.strip_prefix(r"\\?\")
        && !rest.starts_with("UNC\\")
    {
        return PathBuf::from(rest);
    }
    p
}

/// Creates `dir` and its missing parents with mode 0755 (less what the umask takes away), so a
/// cache folder is never writable by others, even under `umask 000`. An existing folder is fine.
fn make_dir(dir: &Path) -> Result<(), CacheError> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut b, DIR_MODE);
    #[cfg(not(unix))]
    let _ = DIR_MODE;
    b.create(dir).map_err(|source| CacheError::Create {
        path: dir.to_path_buf(),
        source,
    })
}

/// True when `folder` holds nothing, or only the temporary file of a marker being written.
fn empty_but_for_marker_temps(folder: &Path) -> Result<bool, CacheError> {
    let temp = format!(".{MARKER_FILE}.gomux-tmp-");
    let rd = std::fs::read_dir(folder).map_err(|source| CacheError::Create {
        path: folder.to_path_buf(),
        source,
    })?;
    for e in rd.flatten() {
        let name = e.file_name();
        if !name.to_string_lossy().starts_with(&temp) {
            return Ok(false);
        }
    }
    Ok(true)
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
            Scope::Toolchain { name } => (
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

    /// Creates the plan's folders and markers on first use; afterwards, refreshes the marker's
    /// time when it is older than [`TOUCH_EVERY`]. One `stat` per folder when nothing is due.
    pub fn prepare(&self, now: SystemTime) -> Result<(), CacheError> {
        for (folder, kind) in self.folders() {
            let marker = marker_file(&folder);
            match std::fs::metadata(&marker) {
                Ok(meta) => {
                    let stale = meta
                        .modified()
                        .ok()
                        .and_then(|m| now.duration_since(m).ok())
                        .is_some_and(|age| age >= TOUCH_EVERY);
                    if stale {
                        // Best effort: a read-only cache still works, it just looks unused.
                        let _ = std::fs::OpenOptions::new()
                            .append(true)
                            .open(&marker)
                            .and_then(|f| f.set_modified(now));
                    }
                }
                Err(_) => self.create_folder(&folder, kind)?,
            }
        }
        Ok(())
    }

    /// The slow path of [`CachePlan::prepare`], taken once per folder: creates the group
    /// folder (marked), the cache folder and its marker, then `build/` and `mod/`. The marker
    /// comes before anything else in the folder, so a kill never leaves an unmarked folder with
    /// content. A folder that already holds something without a marker is never adopted.
    fn create_folder(&self, folder: &Path, kind: Kind) -> Result<(), CacheError> {
        if kind != Kind::Shared
            && let Some(group) = folder.parent()
        {
            make_dir(group)?;
            fsx::create_owned_dir(group, fsx::FOLDER_MARKER).map_err(CacheError::Marker)?;
        }
        match std::fs::symlink_metadata(folder) {
            Ok(_) if folder.is_dir() => {}
            Ok(_) => {
                return Err(CacheError::Create {
                    path: folder.to_path_buf(),
                    source: io::Error::new(
                        io::ErrorKind::AlreadyExists,
                        "it exists and is not a folder",
                    ),
                });
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => make_dir(folder)?,
            Err(source) => {
                return Err(CacheError::Create {
                    path: folder.to_path_buf(),
                    source,
                });
            }
        }
        if !CACHE_MARKER.is_on(folder) {
            // Another gomux may be making the same folder right now: its marker's temporary
            // file does not count, and its finished marker is looked for once more.
            if !empty_but_for_marker_temps(folder)? && !CACHE_MARKER.is_on(folder) {
                return Err(CacheError::Foreign {
                    folder: folder.to_path_buf(),
                    root_from: self.root_from.clone(),
                });
            }
            CACHE_MARKER
                .write(folder, &self.marker_text(kind))
                .map_err(CacheError::Marker)?;
        }
        for dir in [&self.gocache, &self.gomodcache].into_iter().flatten() {
            if dir.parent() == Some(folder) {
                make_dir(dir)?;
            }
        }
        Ok(())
    }

    /// What the marker records after its first line: the kind, and the project, job or
    /// toolchain the folder is for.
    fn marker_text(&self, kind: Kind) -> String {
        let mut text = format!("kind={}\n", kind.as_str());
        match (&self.scope, kind) {
            (Scope::Project { root }, Kind::Project) => {
                text.push_str("project=");
                text.push_str(&root.to_string_lossy());
                text.push('\n');
            }
            (Scope::Job { id, from }, Kind::Job) => {
                text.push_str(&format!("job={id}\nfrom={from}\n"));
            }
            (Scope::Toolchain { name }, Kind::Toolchain) => {
                text.push_str(&format!("toolchain={name}\n"));
            }
            _ => {}
        }
        text
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
    pub key: &'static str,
    /// The value; `None` when Go's default cannot be worked out (no home folder).
    pub value: Option<PathBuf>,
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

/// Reads a cache folder's marker: `(kind, project path)` as recorded, if the marker exists.
pub fn read_marker(folder: &Path) -> Option<(String, Option<String>)> {
    let bytes = fsx::read_bounded(&marker_file(folder), 64 * 1024).ok()??;
    let text = String::from_utf8_lossy(&bytes);
    let field = |k: &str| {
        text.lines()
            .filter_map(|l| l.split_once('='))
            .find(|(key, _)| *key == k)
            .map(|(_, v)| v.to_string())
    };
    Some((field("kind").unwrap_or_default(), field("project")))
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fixture {
        _dir: tempfile::TempDir,
        home: Home,
        project: PathBuf,
        outside: PathBuf,
    }

    fn fixture() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let base = std::fs::canonicalize(dir.path()).unwrap();
        let project = base.join("work").join("my app");
        std::fs::create_dir_all(project.join("sub")).unwrap();
        let outside = base.join("elsewhere");
        std::fs::create_dir_all(&outside).unwrap();
        Fixture {
            home: Home::new(base.join("gomux")),
            project,
            outside,
            _dir: dir,
        }
    }

    fn vars(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<OsString> + use<> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k: &str| {
            pairs
                .iter()
                .find(|(n, _)| n == k)
                .map(|(_, v)| OsString::from(v))
        }
    }

    fn settings(text: &str) -> Settings {
        Settings::parse(Path::new("/h/settings.toml"), text).unwrap()
    }

    fn run(
        f: &Fixture,
        s: &str,
        env: &[(&str, &str)],
        project: Option<&Path>,
    ) -> Result<CachePlan, CacheError> {
        compute(&f.home, &settings(s), &vars(env), project, "go1.22.3")
    }

    #[test]
    fn project_mode_is_the_default_and_keyed_by_the_project() {
        let f = fixture();
        let p = run(&f, "", &[], Some(&f.project)).unwrap();
        assert_eq!(p.mode, Mode::Project);
        assert_eq!(p.mode_from, Source::Default);
        assert_eq!(p.root, f.home.default_cache_root());
        let folder = p.gocache.as_ref().unwrap().parent().unwrap().to_path_buf();
        assert_eq!(
            folder.parent().unwrap(),
            f.home.default_cache_root().join("projects")
        );
        let name = folder.file_name().unwrap().to_str().unwrap();
        assert!(name.starts_with("my_app-"), "{name}");
        assert_eq!(name.len(), "my_app-".len() + 12);
        assert_eq!(p.gocache, Some(folder.join("build")));
        assert_eq!(p.gomodcache, Some(folder.join("mod")));
        assert_eq!(p.gocache_decision, Decision::Injected);
        assert_eq!(
            p.scope,
            Scope::Project {
                root: f.project.clone()
            }
        );
        // Stable: the same project gives the same folder; another project another one.
        let again = run(&f, "", &[], Some(&f.project)).unwrap();
        assert_eq!(again, p);
        let other = run(&f, "", &[], Some(&f.project.join("sub"))).unwrap();
        assert_ne!(other.gocache, p.gocache);
        assert!(p.reason().contains("per-project"), "{}", p.reason());
    }

    #[test]
    fn project_mode_outside_a_project_injects_nothing() {
        let f = fixture();
        let p = run(&f, "", &[], None).unwrap();
        assert_eq!(p.scope, Scope::NoProject);
        assert_eq!((p.gocache, p.gomodcache), (None, None));
        assert_eq!(p.gocache_decision, Decision::Untouched);
    }

    #[cfg(unix)]
    #[test]
    fn a_symlinked_project_path_gets_the_same_folder() {
        let f = fixture();
        let link = f.outside.join("link");
        std::os::unix::fs::symlink(&f.project, &link).unwrap();
        let a = run(&f, "", &[], Some(&f.project)).unwrap();
        let b = run(&f, "", &[], Some(&link)).unwrap();
        assert_eq!(a.gocache, b.gocache);
    }

    #[test]
    fn shared_toolchain_and_off_modes() {
        let f = fixture();
        let root = f.outside.join("caches");
        let root_s = root.to_str().unwrap();
        let p = run(
            &f,
            "[cache]\nmode = \"shared\"\n",
            &[("GOMUX_CACHE_DIR", root_s)],
            Some(&f.project),
        )
        .unwrap();
        assert_eq!(p.gocache, Some(root.join("shared/build")));
        assert_eq!(p.gomodcache, Some(root.join("shared/mod")));
        assert_eq!(p.root_from, Source::Variable("GOMUX_CACHE_DIR"));
        assert!(matches!(
            p.mode_from,
            Source::Setting {
                key: "cache.mode",
                ..
            }
        ));
        // Outside a project too.
        let q = run(
            &f,
            "[cache]\nmode = \"shared\"\n",
            &[("GOMUX_CACHE_DIR", root_s)],
            None,
        )
        .unwrap();
        assert_eq!(q.gocache, p.gocache);

        let t = run(&f, "", &[("GOMUX_CACHE_MODE", "toolchain")], None).unwrap();
        let root = f.home.default_cache_root();
        assert_eq!(t.gocache, Some(root.join("toolchains/go1.22.3/build")));
        assert_eq!(t.gomodcache, Some(root.join("shared/mod")));
        assert_eq!(t.mode_from, Source::Variable("GOMUX_CACHE_MODE"));
        assert_eq!(
            t.folders(),
            vec![
                (root.join("toolchains/go1.22.3"), Kind::Toolchain),
                (root.join("shared"), Kind::Shared)
            ]
        );

        // The variable beats the setting.
        let o = run(
            &f,
            "[cache]\nmode = \"shared\"\n",
            &[("GOMUX_CACHE_MODE", "off")],
            Some(&f.project),
        )
        .unwrap();
        assert_eq!(o.scope, Scope::Off);
        assert_eq!((&o.gocache, &o.gomodcache), (&None, &None));
        assert!(o.folders().is_empty());
    }

    #[test]
    fn the_root_comes_from_the_setting_and_must_be_absolute() {
        let f = fixture();
        let root = f.outside.join("data");
        let s = format!("[cache]\nroot = '{}'\n", root.display());
        let p = run(&f, &s, &[], Some(&f.project)).unwrap();
        assert!(
            p.gocache
                .as_ref()
                .unwrap()
                .starts_with(root.join("projects"))
        );
        let e = run(
            &f,
            "[cache]\nroot = \"rel/caches\"\n",
            &[],
            Some(&f.project),
        )
        .unwrap_err();
        assert!(matches!(e, CacheError::RelativeRoot { .. }), "{e}");
        assert!(e.to_string().contains("`rel/caches`"), "{e}");
        assert!(e.to_string().contains("cache.root"), "{e}");
        let e = run(&f, "", &[("GOMUX_CACHE_DIR", "caches")], None).unwrap_err();
        assert!(e.to_string().contains("GOMUX_CACHE_DIR"), "{e}");
        let e = run(&f, "", &[("GOMUX_CACHE_MODE", "perproject")], None).unwrap_err();
        assert!(e.to_string().contains("`perproject`"), "{e}");
        let e = run(&f, "[cache]\nforce = \"yes\"\n", &[], None).unwrap_err();
        assert!(e.to_string().contains("cache.force"), "{e}");
    }

    #[test]
    fn the_users_environment_wins_unless_forced() {
        let f = fixture();
        let env = [("GOCACHE", "/mine/build")];
        let p = run(&f, "", &env, Some(&f.project)).unwrap();
        assert_eq!(p.gocache, None);
        assert_eq!(
            p.gocache_decision,
            Decision::User {
                value: "/mine/build".into()
            }
        );
        assert_eq!(p.gomodcache_decision, Decision::Injected);
        assert!(p.gomodcache.is_some());
        // An empty variable counts as unset.
        let p = run(&f, "", &[("GOCACHE", "")], Some(&f.project)).unwrap();
        assert_eq!(p.gocache_decision, Decision::Injected);
        // Forced.
        let p = run(&f, "[cache]\nforce = true\n", &env, Some(&f.project)).unwrap();
        assert!(p.gocache.is_some());
        assert_eq!(
            p.gocache_decision,
            Decision::Forced {
                user: "/mine/build".into()
            }
        );
        assert!(p.gocache_decision.to_string().contains("/mine/build"));
    }

    #[test]
    fn job_mode_needs_an_id() {
        let f = fixture();
        let e = run(&f, "", &[("GOMUX_CACHE_MODE", "job")], Some(&f.project)).unwrap_err();
        assert!(matches!(e, CacheError::NoJobId { .. }), "{e}");
        assert!(e.to_string().contains("GOMUX_JOB_ID"), "{e}");
        let root = f.home.default_cache_root();
        type Case<'a> = (&'a [(&'a str, &'a str)], &'a str, &'a str);
        let cases: &[Case] = &[
            (&[("CI_JOB_ID", "4711")], "4711", "CI_JOB_ID"),
            (
                &[("GITHUB_RUN_ID", "99"), ("GITHUB_RUN_ATTEMPT", "2")],
                "99-2",
                "GITHUB_RUN_ID",
            ),
            (&[("GITHUB_RUN_ID", "99")], "99-1", "GITHUB_RUN_ID"),
            (
                &[("BUILD_TAG", "jenkins-team/app-12")],
                "jenkins-team_app-12",
                "BUILD_TAG",
            ),
            (
                &[("BUILDKITE_JOB_ID", "0190-ab")],
                "0190-ab",
                "BUILDKITE_JOB_ID",
            ),
            (
                &[("GOMUX_JOB_ID", "../x"), ("CI_JOB_ID", "1")],
                "_._x",
                "GOMUX_JOB_ID",
            ),
        ];
        for (env, id, from) in cases {
            let mut env = env.to_vec();
            env.push(("GOMUX_CACHE_MODE", "job"));
            let p = run(&f, "", &env, None).unwrap();
            assert_eq!(
                p.scope,
                Scope::Job {
                    id: id.to_string(),
                    from
                },
                "{env:?}"
            );
            assert_eq!(p.gocache, Some(root.join("jobs").join(id).join("build")));
            assert_eq!(p.gomodcache, Some(root.join("jobs").join(id).join("mod")));
        }
    }

    #[test]
    fn safe_names() {
        assert_eq!(safe_folder_name(""), None);
        assert_eq!(safe_folder_name("a b/c\\d"), Some("a_b_c_d".into()));
        assert_eq!(safe_folder_name(".."), Some("_.".into()));
        let long = "x".repeat(200);
        let n = safe_folder_name(&long).unwrap();
        assert_eq!(n.len(), 64);
        assert_ne!(safe_folder_name(&"x".repeat(201)), Some(n));
        assert_eq!(fnv1a64(b""), 0xcbf29ce484222325);
        assert_eq!(fnv1a64(b"a"), 0xaf63dc4c8601ec8c);
        assert_eq!(
            project_folder_name(Path::new("/")),
            format!("root-{:012x}", fnv1a64(b"/") >> 16)
        );
        assert!(project_folder_name(Path::new("/w/.hidden")).starts_with("_hidden-"));
    }

    #[test]
    fn prepare_creates_the_folders_once_and_records_the_project() {
        let f = fixture();
        let p = run(&f, "", &[], Some(&f.project)).unwrap();
        let folder = p.gocache.as_ref().unwrap().parent().unwrap().to_path_buf();
        assert!(!folder.exists(), "compute must not write");
        let t0 = SystemTime::now();
        p.prepare(t0).unwrap();
        assert!(p.gocache.as_ref().unwrap().is_dir());
        assert!(p.gomodcache.as_ref().unwrap().is_dir());
        let (kind, project) = read_marker(&folder).unwrap();
        assert_eq!(kind, "project");
        assert_eq!(project.as_deref(), f.project.to_str());
        let m0 = std::fs::metadata(marker_file(&folder))
            .unwrap()
            .modified()
            .unwrap();
        // Within the hour: untouched. Later: the last use moves forward.
        p.prepare(m0 + Duration::from_secs(60)).unwrap();
        assert_eq!(
            std::fs::metadata(marker_file(&folder))
                .unwrap()
                .modified()
                .unwrap(),
            m0
        );
        let later = m0 + TOUCH_EVERY + Duration::from_secs(5);
        p.prepare(later).unwrap();
        assert_eq!(
            std::fs::metadata(marker_file(&folder))
                .unwrap()
                .modified()
                .unwrap(),
            later
        );
        // plan() = compute() + prepare().
        let q = plan(
            &f.home,
            &settings(""),
            &vars(&[("GOMUX_CACHE_MODE", "shared")]),
            None,
            "go1.22.3",
        )
        .unwrap();
        assert!(q.gomodcache.unwrap().is_dir());
        assert_eq!(
            read_marker(&f.home.default_cache_root().join("shared"))
                .unwrap()
                .0,
            "shared"
        );
    }

    #[cfg(unix)]
    #[test]
    fn prepare_reports_an_unwritable_root() {
        let f = fixture();
        let file = f.outside.join("a-file");
        std::fs::write(&file, "").unwrap();
        let root = file.join("caches");
        let p = run(
            &f,
            "",
            &[("GOMUX_CACHE_DIR", root.to_str().unwrap())],
            Some(&f.project),
        )
        .unwrap();
        let e = p.prepare(SystemTime::now()).unwrap_err();
        assert!(matches!(e, CacheError::Create { .. }), "{e}");
        assert!(
            e.hints().iter().any(|h| h.contains("GOMUX_CACHE_DIR")),
            "{:?}",
            e.hints()
        );
    }

    #[test]
    fn prepare_never_adopts_a_folder_holding_foreign_files() {
        let f = fixture();
        // The cache root is a folder with an installed SDK where a toolchain cache would go.
        let root = f.outside.join("gomux-home");
        let sdk = root.join("toolchains").join("go1.22.3");
        std::fs::create_dir_all(sdk.join("bin")).unwrap();
        std::fs::write(sdk.join("VERSION"), "go1.22.3\n").unwrap();
        let env = [
            ("GOMUX_CACHE_DIR", root.to_str().unwrap()),
            ("GOMUX_CACHE_MODE", "toolchain"),
        ];
        let p = run(&f, "", &env, Some(&f.project)).unwrap();
        let e = p.prepare(SystemTime::now()).unwrap_err();
        assert!(matches!(e, CacheError::Foreign { .. }), "{e}");
        assert!(e.to_string().contains(&*sdk.to_string_lossy()), "{e}");
        assert!(
            e.hints()[0].contains("another cache root"),
            "{:?}",
            e.hints()
        );
        let names: Vec<_> = std::fs::read_dir(&sdk)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 2, "nothing was added to the SDK: {names:?}");
        assert!(
            !fsx::FOLDER_MARKER.is_on(&root.join("toolchains")),
            "a group folder that already held something stays unmarked"
        );
        // An empty folder is adopted (and marked); a marked one is used as it is.
        let empty = root.join("toolchains").join("go1.21.0");
        std::fs::create_dir(&empty).unwrap();
        let mut q = p.clone();
        q.scope = Scope::Toolchain {
            name: "go1.21.0".into(),
        };
        q.gocache = Some(build_dir(&empty));
        q.prepare(SystemTime::now()).unwrap();
        assert!(CACHE_MARKER.is_on(&empty));
        assert!(build_dir(&empty).is_dir());
    }

    #[cfg(unix)]
    #[test]
    fn new_cache_folders_are_marked_and_never_world_writable() {
        use std::os::unix::fs::PermissionsExt as _;
        let f = fixture();
        let p = run(&f, "", &[], Some(&f.project)).unwrap();
        p.prepare(SystemTime::now()).unwrap();
        let folder = p.gocache.as_ref().unwrap().parent().unwrap().to_path_buf();
        assert!(CACHE_MARKER.is_on(&folder));
        assert!(fsx::FOLDER_MARKER.is_on(folder.parent().unwrap()));
        for d in [
            folder.parent().unwrap(),
            &folder,
            p.gocache.as_ref().unwrap(),
            p.gomodcache.as_ref().unwrap(),
        ] {
            let mode = std::fs::metadata(d).unwrap().permissions().mode();
            assert_eq!(mode & 0o022, 0, "{} is {mode:o}", d.display());
        }
    }

    #[test]
    fn effective_values_say_what_they_override() {
        let f = fixture();
        let file = Path::new("/h/.config/go/env");
        let goenv = GoEnvFile::from_text(file, "GOCACHE=/from/file\nGOMODCACHE=/mod/file\n");
        let none = GoEnvFile::default();
        let p = run(&f, "", &[], Some(&f.project)).unwrap();
        let get = vars(&[("HOME", "/h")]);
        let [c, m] = effective_with(&p, &get, &goenv);
        assert_eq!(c.origin, Origin::Gomux);
        assert_eq!(c.value, p.gocache);
        assert_eq!(c.overrides, Some((file.to_path_buf(), "/from/file".into())));
        assert!(
            c.to_string().contains("overrides `GOCACHE=/from/file`"),
            "{c}"
        );
        assert_eq!(m.overrides, Some((file.to_path_buf(), "/mod/file".into())));
        // Outside a project the file applies; the environment beats it.
        let p = run(&f, "", &[], None).unwrap();
        let get = vars(&[("HOME", "/h"), ("GOMODCACHE", "/env/mod")]);
        let [c, m] = effective_with(&p, &get, &goenv);
        assert_eq!(c.origin, Origin::GoEnvFile(file.to_path_buf()));
        assert_eq!(c.value, Some(PathBuf::from("/from/file")));
        assert_eq!(m.origin, Origin::Env);
        assert_eq!(m.value, Some(PathBuf::from("/env/mod")));
        // Go's defaults.
        if cfg!(target_os = "linux") {
            let get = vars(&[("HOME", "/h")]);
            let [c, m] = effective_with(&p, &get, &none);
            assert_eq!(c.origin, Origin::GoDefault);
            assert_eq!(c.value, Some(PathBuf::from("/h/.cache/go-build")));
            assert_eq!(m.value, Some(PathBuf::from("/h/go/pkg/mod")));
            let get = vars(&[("HOME", "/h"), ("GOPATH", "/g1:/g2")]);
            let [_, m] = effective_with(&p, &get, &none);
            assert_eq!(m.value, Some(PathBuf::from("/g1/pkg/mod")));
        }
    }
}

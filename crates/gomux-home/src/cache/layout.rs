//! The layout of a cache root: every path under it, and the names of its folders.

use std::path::{Path, PathBuf};

/// The kind of a cache folder, as written in its marker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A per-project folder under `projects/`.
    Project,
    /// The one `shared/` folder.
    Shared,
    /// A per-toolchain folder under `toolchains/`.
    Toolchain,
    /// A per-CI-job folder under `jobs/`.
    Job,
    /// The one `store/` folder: the module downloads every project shares.
    Store,
    /// A toolchain's base layer under `base/` ([`super::base`]).
    Base,
}

impl Kind {
    /// The kind's name as written in the marker: `project`, `shared`, `toolchain` or `job`.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Project => "project",
            Kind::Shared => "shared",
            Kind::Toolchain => "toolchain",
            Kind::Job => "job",
            Kind::Store => "store",
            Kind::Base => "base",
        }
    }
}

/// The layout of a cache root: every path under it comes from here.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CacheRoot {
    root: PathBuf,
}

impl CacheRoot {
    /// The layout under `root`, which should be absolute; nothing is read or created.
    pub fn new(root: impl Into<PathBuf>) -> CacheRoot {
        CacheRoot { root: root.into() }
    }
    /// The cache root itself, as given to [`CacheRoot::new`].
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
    /// The folders that hold cache folders, and the two single ones (`shared/`, `store/`): what
    /// `gomux cache clean --all` may remove.
    pub fn group_dirs(&self) -> [(Kind, PathBuf); 6] {
        [
            (Kind::Project, self.projects_dir()),
            (Kind::Shared, self.shared_folder()),
            (Kind::Toolchain, self.toolchains_dir()),
            (Kind::Job, self.jobs_dir()),
            (Kind::Store, self.store_folder()),
            (Kind::Base, self.bases_dir()),
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

/// The canonical form of a project root, used for its folder name. Falls back to the path as
/// given when it cannot be resolved. On Windows the `\\?\` prefix is dropped so the recorded
/// path reads like the one the user typed.
pub fn canonical_project(p: &Path) -> PathBuf {
    let c = crate::path::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
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

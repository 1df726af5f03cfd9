//! `gomux cache clean`: which folders go, and removing them without harming anything else.
//!
//! The guarantees, in the order [`clean`] keeps them:
//! - what an interrupted clean moved out of sight is finished first, and its bytes counted;
//! - a folder under the cache root goes only when its `gomux-cache.txt` proves gomux made it
//!   (checked when the plan is made and again at removal, by [`fsx::remove_owned`]), and only
//!   when it is really inside the root once links are resolved;
//! - a folder outside the root goes only when named with `--force` and it looks like a Go
//!   cache, never when it holds the cache root;
//! - every folder is renamed out of Go's sight before it is deleted, so a failure half-way
//!   leaves a trash folder that the next clean or list finishes, and the bytes already freed are
//!   counted.

use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use gomux_home::cache::{self as policy, CacheRoot, Effective, Origin};
use gomux_home::{fsx, text};

use crate::folders::{self, Folder};

/// What to clean, every argument already resolved by the caller.
#[derive(Debug, Default)]
pub struct Selection {
    /// The caches of this project.
    pub project: Option<Project>,
    /// Every cache folder under the cache root.
    pub all: bool,
    /// The caches of the CI job with this id (made a safe folder name here; an id from
    /// [`policy::job_id`] already is one).
    pub job: Option<String>,
    /// The build cache of the toolchain with this exact name (`go1.22.3`).
    pub toolchain: Option<String>,
    /// The machine-wide module store (`store/`): never removed by `project`, only by this,
    /// `all` or an age.
    pub store: bool,
    /// Base layers: `Some(None)` every base, `Some(Some(name))` the base of one toolchain.
    pub base: Option<Option<String>>,
    /// Go caches outside the cache root to remove too, as absolute paths.
    pub force: Vec<PathBuf>,
    /// Only folders not used for this long; with nothing else selected, every folder.
    pub older_than: Option<Duration>,
    /// Say what would be removed, remove nothing.
    pub dry_run: bool,
}

/// A project whose caches are to go.
#[derive(Debug)]
pub struct Project {
    /// The project's root folder.
    pub root: PathBuf,
    /// The GOCACHE and GOMODCACHE a `go` call in it gets, when known: the user's own folders
    /// outside the cache root are named in a note and left alone.
    pub caches: Vec<Effective>,
}

/// A folder that `clean` will remove.
#[derive(Clone, Debug)]
pub struct Target {
    /// The folder's full path.
    pub path: PathBuf,
    /// The path relative to the cache root (`projects/app-1a2b3c4d5e6f`), or the whole path
    /// for a `--force` folder.
    pub label: String,
    /// The project recorded in its marker.
    pub project: Option<String>,
    /// When a `go` call last used it ([`Folder::last_use`](crate::Folder::last_use)); `None`
    /// when unknown (a `--force` folder, one that does not exist, an unreadable time).
    pub last_use: Option<SystemTime>,
    /// Named with `--force`: may be outside the cache root.
    pub forced: bool,
}

impl Target {
    fn from_folder(f: &Folder) -> Target {
        Target {
            path: f.path.clone(),
            label: f.name.clone(),
            project: f.project.clone(),
            last_use: f.last_use,
            forced: false,
        }
    }
}

/// A folder of the plan, with its size when the plan was made and what became of it.
#[derive(Debug)]
pub struct Planned {
    /// The folder.
    pub target: Target,
    /// Its size in bytes when the plan was made (what a dry run reports as freed).
    pub size: u64,
    /// Whether it was removed, left alone or failed half-way.
    pub result: Removal,
}

/// What became of a planned folder.
#[derive(Debug)]
pub enum Removal {
    /// A dry run: nothing was touched.
    WouldRemove,
    /// Removed completely.
    Removed {
        /// The bytes freed.
        freed: u64,
    },
    /// Its marker went away after the plan was made: someone else's now, left alone (a
    /// [`Note::MarkerGone`] says so).
    MarkerGone,
    /// Moved out of sight but not (completely) deleted; `freed` bytes are gone already and the
    /// rest waits in the trash for the next clean or list.
    Failed {
        /// The bytes already freed.
        freed: u64,
        /// What failed; after the rename its path is the trash folder, not the original.
        error: fsx::FsError,
    },
}

/// What `clean` did.
#[derive(Debug)]
pub struct Outcome {
    /// The clean was a dry run: nothing was removed, sizes are what would be freed.
    pub dry_run: bool,
    /// The bytes freed by finishing an interrupted clean first.
    pub trash_freed: u64,
    /// The folders that were to go, in order.
    pub planned: Vec<Planned>,
    /// What was left alone or found missing, in the order it was met.
    pub notes: Vec<Note>,
}

impl Outcome {
    /// Every byte freed (or, in a dry run, that would be): the trash and each folder.
    pub fn freed(&self) -> u64 {
        let folders: u64 = self
            .planned
            .iter()
            .map(|p| match &p.result {
                Removal::WouldRemove => p.size,
                Removal::Removed { freed } | Removal::Failed { freed, .. } => *freed,
                Removal::MarkerGone => 0,
            })
            .sum();
        self.trash_freed + folders
    }

    /// The folders that could not be removed completely.
    pub fn failed(&self) -> impl Iterator<Item = &Planned> {
        self.planned
            .iter()
            .filter(|p| matches!(p.result, Removal::Failed { .. }))
    }

    /// The folders removed (or, in a dry run, that would be) and their bytes.
    pub fn removed(&self) -> impl Iterator<Item = (&Target, u64)> {
        self.planned.iter().filter_map(|p| match p.result {
            Removal::WouldRemove => Some((&p.target, p.size)),
            Removal::Removed { freed } => Some((&p.target, freed)),
            _ => None,
        })
    }
}

/// Something `clean` left alone or found missing, for the user to know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Note {
    /// A cache of the project outside the cache root (the user's own GOCACHE or GOMODCACHE).
    Elsewhere {
        /// `GOCACHE` or `GOMODCACHE`.
        key: &'static str,
        /// The folder, left untouched.
        path: PathBuf,
        /// Where the value comes from (`from the environment`).
        from: String,
    },
    /// A folder in the group folders without a cache marker: gomux did not make it.
    Unmarked(PathBuf),
    /// More such folders than are named one by one.
    MoreUnmarked(usize),
    /// A `--force` path that does not exist.
    NothingAt(PathBuf),
    /// A selected cache folder that does not exist.
    NothingToClean(PathBuf),
    /// A selected folder without a cache marker: not removed.
    NotOwned(PathBuf),
    /// A planned folder whose marker disappeared before its removal.
    MarkerGone(PathBuf),
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Note::Elsewhere { key, path, from } => write!(
                f,
                "this project's {key} `{}` ({from}) is outside the gomux cache root and was not touched; add `--force {}` to remove it",
                path.display(),
                path.display()
            ),
            Note::Unmarked(p) => write!(
                f,
                "left `{}` alone: it has no `{}` marker, so gomux did not make it",
                text::escape_path(p),
                policy::MARKER_FILE
            ),
            Note::MoreUnmarked(n) => write!(
                f,
                "left {n} more folders without a `{}` marker alone",
                policy::MARKER_FILE
            ),
            Note::NothingAt(p) => write!(f, "nothing at `{}`", p.display()),
            Note::NothingToClean(p) => write!(f, "nothing to clean at `{}`", p.display()),
            Note::NotOwned(p) => fsx::RemoveError::NotOwned {
                path: p.clone(),
                marker: policy::CACHE_MARKER,
            }
            .fmt(f),
            Note::MarkerGone(p) => write!(
                f,
                "left `{}` alone: its `{}` marker is gone",
                p.display(),
                policy::MARKER_FILE
            ),
        }
    }
}

/// Why nothing was removed.
#[derive(Debug, thiserror::Error)]
pub enum CleanError {
    /// A `--force` path that holds the whole cache root.
    #[error("refusing to remove `{}`: it holds the whole gomux cache root", text::escape_path(.path))]
    HoldsRoot {
        /// The path as named.
        path: PathBuf,
    },
    /// A `--force` path that is neither a build cache nor a module cache.
    #[error("refusing to remove `{}`: it does not look like a Go build or module cache", text::escape_path(.path))]
    NotAGoCache {
        /// The path as named.
        path: PathBuf,
    },
    /// A selected folder that resolves to a place outside the cache root.
    #[error("refusing to remove `{}`: it is outside the gomux cache root `{}`", text::escape_path(.path), text::escape_path(.root))]
    OutsideRoot {
        /// The selected folder.
        path: PathBuf,
        /// The cache root it should have been inside.
        root: PathBuf,
    },
    /// No folder was selected.
    #[error("say what to clean")]
    NothingSelected,
}

impl gomux_version::Hints for CleanError {
    fn hints(&self) -> Vec<String> {
        match self {
            CleanError::HoldsRoot { .. } => {
                vec!["use `gomux cache clean --all` to empty the cache root".into()]
            }
            CleanError::NotAGoCache { .. } => vec![
                "`--force` removes only a GOCACHE (with Go's `README`) or a GOMODCACHE (with `cache/download`)".into(),
            ],
            CleanError::OutsideRoot { path, .. } => vec![format!(
                "name it with `--force {}` if you mean it",
                text::escape_path(path)
            )],
            CleanError::NothingSelected => vec![
                "`--project` (this project), `--all`, `--job ID`, `--toolchain VERSION`, `--store` (the module store), `--older-than 7d`".into(),
                "add `--dry-run` to see what would be removed".into(),
            ],
        }
    }
}

/// Notes for the folders in the group folders that gomux did not make (at most ten by name).
pub fn left_alone(foreign: &[PathBuf]) -> Vec<Note> {
    let mut notes: Vec<Note> = foreign
        .iter()
        .take(10)
        .cloned()
        .map(Note::Unmarked)
        .collect();
    if foreign.len() > 10 {
        notes.push(Note::MoreUnmarked(foreign.len() - 10));
    }
    notes
}

/// Removes the selected cache folders under `root` (or, with `dry_run`, says what would go).
/// An error means nothing was removed (though an interrupted clean's trash may be finished).
pub fn clean(root: &CacheRoot, sel: &Selection) -> Result<Outcome, CleanError> {
    // What an interrupted clean moved out of sight is finished first (and counted).
    let trash_freed = if sel.dry_run {
        0
    } else {
        folders::finish_trash(root)
    };
    let mut notes = Vec::new();
    let targets = targets(root, sel, &mut notes)?;
    let plan = check(root, sel, targets, &mut notes)?;
    let planned = plan
        .into_iter()
        .map(|(target, size)| {
            let result = if sel.dry_run {
                Removal::WouldRemove
            } else {
                remove(&target, size, &mut notes)
            };
            Planned {
                target,
                size,
                result,
            }
        })
        .collect();
    Ok(Outcome {
        dry_run: sel.dry_run,
        trash_freed,
        planned,
        notes,
    })
}

/// The folders the selection names, before any check.
fn targets(
    root: &CacheRoot,
    sel: &Selection,
    notes: &mut Vec<Note>,
) -> Result<Vec<Target>, CleanError> {
    let all_folders = folders::folders(root);
    let find = |path: &Path, label: String| -> Target {
        all_folders
            .iter()
            .find(|f| f.path == path)
            .map(Target::from_folder)
            .unwrap_or(Target {
                path: path.to_path_buf(),
                label,
                project: None,
                last_use: None,
                forced: false,
            })
    };
    let mut targets = Vec::new();
    if let Some(project) = &sel.project {
        let canonical = policy::canonical_project(&project.root);
        let folder = root.project_folder(&canonical);
        let label = folder
            .strip_prefix(root.path())
            .map(|p| p.to_string_lossy().replace('\\', "/"))
            .unwrap_or_default();
        targets.push(find(&folder, label));
        // The caches this project really uses may live elsewhere (the user's own GOCACHE).
        for e in &project.caches {
            let (Some(v), Origin::Env | Origin::GoEnvFile(_)) = (&e.value, &e.origin) else {
                continue;
            };
            if !folders::is_inside(v, root.path()) && !sel.force.contains(v) {
                notes.push(Note::Elsewhere {
                    key: e.key,
                    path: v.clone(),
                    from: e.to_string(),
                });
            }
        }
    }
    if sel.all {
        targets.extend(all_folders.iter().map(Target::from_folder));
        notes.extend(left_alone(&folders::unmarked(root)));
    }
    if let Some(id) = &sel.job {
        let id = policy::safe_folder_name(id).unwrap_or_default();
        targets.push(find(&root.job_folder(&id), format!("jobs/{id}")));
    }
    if let Some(name) = &sel.toolchain {
        targets.push(find(
            &root.toolchain_folder(name),
            format!("toolchains/{name}"),
        ));
    }
    if sel.store {
        targets.push(find(&root.store_folder(), policy::STORE_DIR.to_string()));
    }
    match &sel.base {
        Some(Some(name)) => targets.push(find(&root.base_folder(name), format!("base/{name}"))),
        Some(None) => targets.extend(
            all_folders
                .iter()
                .filter(|f| f.kind == policy::Kind::Base)
                .map(Target::from_folder),
        ),
        None => {}
    }
    for p in &sel.force {
        if std::fs::symlink_metadata(p).is_err() {
            notes.push(Note::NothingAt(p.clone()));
            continue;
        }
        let canon_root = std::fs::canonicalize(root.path()).unwrap_or_else(|_| root.path().into());
        let canon = std::fs::canonicalize(p).unwrap_or_else(|_| p.clone());
        if canon == canon_root || canon_root.starts_with(&canon) {
            return Err(CleanError::HoldsRoot { path: p.clone() });
        }
        if !policy::CACHE_MARKER.is_on(p) && folders::looks_like_go_cache(p).is_none() {
            return Err(CleanError::NotAGoCache { path: p.clone() });
        }
        targets.push(Target {
            label: p.display().to_string(),
            path: p.clone(),
            project: None,
            last_use: None,
            forced: true,
        });
    }
    let selected = sel.project.is_some()
        || sel.all
        || sel.job.is_some()
        || sel.toolchain.is_some()
        || sel.store
        || sel.base.is_some()
        || !sel.force.is_empty();
    if !selected {
        if sel.older_than.is_none() {
            return Err(CleanError::NothingSelected);
        }
        targets.extend(all_folders.iter().map(Target::from_folder));
        notes.extend(left_alone(&folders::unmarked(root)));
    }
    Ok(targets)
}

/// The targets that may go, each once, with their sizes: present, old enough, inside the
/// cache root and marked as gomux's (unless forced).
fn check(
    root: &CacheRoot,
    sel: &Selection,
    targets: Vec<Target>,
    notes: &mut Vec<Note>,
) -> Result<Vec<(Target, u64)>, CleanError> {
    let now = SystemTime::now();
    let mut seen = BTreeSet::new();
    let mut plan = Vec::new();
    for t in targets {
        if !seen.insert(t.path.clone()) {
            continue;
        }
        if std::fs::symlink_metadata(&t.path).is_err() {
            notes.push(Note::NothingToClean(t.path.clone()));
            continue;
        }
        if let (Some(age), false) = (sel.older_than, t.forced) {
            let recent = t
                .last_use
                .and_then(|u| now.duration_since(u).ok())
                .is_none_or(|d| d < age);
            if recent {
                continue;
            }
        }
        if !t.forced && !folders::is_inside(&t.path, root.path()) {
            return Err(CleanError::OutsideRoot {
                path: t.path,
                root: root.path().to_path_buf(),
            });
        }
        if !t.forced && !policy::CACHE_MARKER.is_on(&t.path) {
            notes.push(Note::NotOwned(t.path.clone()));
            continue;
        }
        let size = folders::size(&t.path);
        plan.push((t, size));
    }
    Ok(plan)
}

/// Removes one planned folder: renamed out of sight, then deleted.
fn remove(t: &Target, size: u64, notes: &mut Vec<Note>) -> Removal {
    let result = if t.forced {
        let parent = t.path.parent().unwrap_or(Path::new("/"));
        fsx::remove_out_of_sight(&t.path, parent).map_err(fsx::RemoveError::Io)
    } else {
        fsx::remove_owned(&t.path, policy::CACHE_MARKER)
    };
    match result {
        Ok(freed) => Removal::Removed { freed },
        Err(fsx::RemoveError::NotOwned { .. }) => {
            notes.push(Note::MarkerGone(t.path.clone()));
            Removal::MarkerGone
        }
        Err(fsx::RemoveError::Io(error)) => {
            // After the rename, what is left sits out of sight in the trash.
            let left = if error.path == t.path {
                size
            } else {
                folders::size(&error.path)
            };
            Removal::Failed {
                freed: size.saturating_sub(left),
                error,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gomux_version::Hints as _;

    /// A cache folder gomux made: its marker and `size` bytes of build cache.
    fn made(dir: &Path, size: usize) -> PathBuf {
        std::fs::create_dir_all(dir.join("build")).unwrap();
        policy::CACHE_MARKER.write(dir, "").unwrap();
        std::fs::write(dir.join("build/a"), vec![b'x'; size]).unwrap();
        dir.to_path_buf()
    }

    fn marker_len() -> u64 {
        policy::CACHE_MARKER.first_line.len() as u64 + 1
    }

    #[test]
    fn nothing_selected_is_an_error_and_removes_nothing() {
        let tmp = tempfile::tempdir().unwrap();
        let root = CacheRoot::new(tmp.path());
        let job = made(&root.job_folder("7"), 10);
        let e = clean(&root, &Selection::default()).unwrap_err();
        assert!(matches!(e, CleanError::NothingSelected), "{e}");
        assert_eq!(e.hints().len(), 2);
        assert!(job.is_dir());
    }

    #[test]
    fn only_marked_folders_go_and_the_bytes_are_counted() {
        let tmp = tempfile::tempdir().unwrap();
        let root = CacheRoot::new(tmp.path());
        let job = made(&root.job_folder("7"), 10);
        let tc = made(&root.toolchain_folder("go1.22.3"), 20);
        let theirs = root.jobs_dir().join("mine");
        std::fs::create_dir_all(&theirs).unwrap();

        let dry = Selection {
            all: true,
            dry_run: true,
            ..Selection::default()
        };
        let out = clean(&root, &dry).unwrap();
        assert_eq!(out.freed(), 30 + 2 * marker_len());
        assert!(
            out.planned
                .iter()
                .all(|p| matches!(p.result, Removal::WouldRemove))
        );
        assert_eq!(out.notes, [Note::Unmarked(theirs.clone())]);
        assert!(job.is_dir() && tc.is_dir());

        let sel = Selection {
            job: Some("7".into()),
            toolchain: Some("go1.22.3".into()),
            ..Selection::default()
        };
        let out = clean(&root, &sel).unwrap();
        let labels: Vec<&str> = out.removed().map(|(t, _)| t.label.as_str()).collect();
        assert_eq!(labels, ["jobs/7", "toolchains/go1.22.3"]);
        assert_eq!(out.freed(), 30 + 2 * marker_len());
        assert_eq!(out.failed().count(), 0);
        assert!(!job.exists() && !tc.exists() && theirs.is_dir());

        // Gone now; a folder without a marker is named, never removed.
        let sel = Selection {
            job: Some("7".into()),
            ..Selection::default()
        };
        let out = clean(&root, &sel).unwrap();
        assert_eq!(out.notes, [Note::NothingToClean(root.job_folder("7"))]);
        let sel = Selection {
            job: Some("mine".into()),
            ..Selection::default()
        };
        let out = clean(&root, &sel).unwrap();
        assert!(out.planned.is_empty());
        assert_eq!(out.notes, [Note::NotOwned(theirs.clone())]);
        assert!(theirs.is_dir());
    }

    #[test]
    fn forced_folders_must_be_go_caches_and_never_hold_the_root() {
        let tmp = tempfile::tempdir().unwrap();
        let root = CacheRoot::new(tmp.path().join("caches/root"));
        std::fs::create_dir_all(root.path()).unwrap();
        let plain = tmp.path().join("photos");
        std::fs::create_dir_all(&plain).unwrap();
        let sel = |p: &Path| Selection {
            force: vec![p.to_path_buf()],
            ..Selection::default()
        };
        let e = clean(&root, &sel(&plain)).unwrap_err();
        assert!(matches!(e, CleanError::NotAGoCache { .. }), "{e}");
        let e = clean(&root, &sel(&tmp.path().join("caches"))).unwrap_err();
        assert!(matches!(e, CleanError::HoldsRoot { .. }), "{e}");
        assert!(plain.is_dir() && root.path().is_dir());

        let modcache = tmp.path().join("gomod");
        std::fs::create_dir_all(modcache.join("cache/download")).unwrap();
        std::fs::write(modcache.join("cache/download/x"), "12345").unwrap();
        let out = clean(&root, &sel(&modcache)).unwrap();
        assert_eq!(out.freed(), 5);
        assert!(!modcache.exists());
        let out = clean(&root, &sel(&modcache)).unwrap();
        assert_eq!(out.notes, [Note::NothingAt(modcache)]);
    }

    /// Only Linux tells a dead process from a live one (elsewhere trash is kept).
    #[cfg(target_os = "linux")]
    #[test]
    fn an_interrupted_clean_is_finished_and_counted_first() {
        let tmp = tempfile::tempdir().unwrap();
        let root = CacheRoot::new(tmp.path());
        std::fs::create_dir_all(root.jobs_dir()).unwrap();
        // A trash folder of a process that is gone (pid 0 is never a gomux process).
        let trash = root.jobs_dir().join(format!("{}0-1", fsx::TRASH_PREFIX));
        std::fs::create_dir_all(&trash).unwrap();
        std::fs::write(trash.join("left"), "1234567").unwrap();
        let sel = Selection {
            older_than: Some(Duration::from_secs(3600)),
            ..Selection::default()
        };
        let out = clean(&root, &sel).unwrap();
        assert_eq!(out.trash_freed, 7);
        assert_eq!(out.freed(), 7);
        assert!(!trash.exists());
    }
}

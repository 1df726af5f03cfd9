//! The cache folders' marker files: written when gomux makes a folder, refreshed at most once
//! an hour as the folder's last use, and the proof checked before anything is deleted.

use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use super::{CacheError, CachePlan, Kind, Scope};
use crate::fsx;

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

/// The marker file of a cache folder.
pub fn marker_file(folder: &Path) -> PathBuf {
    folder.join(MARKER_FILE)
}

/// Creates `dir` and its missing parents with mode 0755 (less what the umask takes away), so a
/// cache folder is never writable by others, even under `umask 000`. An existing folder is fine.
pub(super) fn make_dir(dir: &Path) -> Result<(), CacheError> {
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
pub(super) fn empty_but_for_marker_temps(folder: &Path) -> Result<bool, CacheError> {
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
    /// Creates the plan's folders and markers on first use; afterwards, refreshes the marker's
    /// time when it is older than [`TOUCH_EVERY`]. One `stat` per folder when nothing is due,
    /// and one more for the module store's link when the plan uses the store.
    pub fn prepare(&self, now: SystemTime) -> Result<(), CacheError> {
        self.prepare_created(now).map(drop)
    }

    /// [`CachePlan::prepare`], saying whether a folder was created by this call (the base
    /// layer starts a background build only then).
    pub fn prepare_created(&self, now: SystemTime) -> Result<bool, CacheError> {
        let mut created = false;
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
                        if let Some(store) = &self.module_store {
                            super::store::touch_store(store, now);
                        }
                    }
                }
                Err(_) => {
                    self.create_folder(&folder, kind)?;
                    created = true;
                }
            }
        }
        if let (Some(store), Some(modcache)) = (&self.module_store, &self.gomodcache) {
            super::store::ensure_link(modcache, store);
        }
        Ok(created)
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
            (Scope::Toolchain { name } | Scope::Sdk { name, .. }, Kind::Toolchain) => {
                text.push_str(&format!("toolchain={name}\n"));
            }
            _ => {}
        }
        text
    }
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

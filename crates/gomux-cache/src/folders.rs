//! The cache folders under a cache root, their sizes, and finishing what an interrupted clean
//! left in the trash.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use gomux_home::cache::{self, CacheRoot, Kind};
use gomux_home::fsx;

/// One cache folder under the root.
#[derive(Clone, Debug)]
pub struct Folder {
    /// Which group it is in (`projects/`, `shared/`, `toolchains/`, `jobs/`, `store/`).
    pub kind: Kind,
    /// The folder's full path under the cache root.
    pub path: PathBuf,
    /// The path relative to the cache root, `/`-separated (`projects/app-1a2b3c4d5e6f`).
    pub name: String,
    /// The project recorded in the marker, for project folders.
    pub project: Option<String>,
    /// When a `go` call last used it: the marker file's modification time (updated at most
    /// hourly, [`cache::TOUCH_EVERY`]), else the folder's; `None` when neither can be read.
    pub last_use: Option<SystemTime>,
}

/// Every cache folder under the root, by kind then name: only folders whose
/// `gomux-cache.txt` proves gomux made them. Reads markers, no sizes.
pub fn folders(root: &CacheRoot) -> Vec<Folder> {
    scan(root).0
}

/// The folders in the cache root's group folders that carry no cache marker: gomux did not
/// make them and leaves them alone (a cache root at `$HOME` has the user's own `projects/`).
pub fn unmarked(root: &CacheRoot) -> Vec<PathBuf> {
    scan(root).1
}

fn scan(root: &CacheRoot) -> (Vec<Folder>, Vec<PathBuf>) {
    let mut out = Vec::new();
    let mut foreign = Vec::new();
    for (kind, dir) in root.group_dirs() {
        let group = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if matches!(kind, Kind::Shared | Kind::Store) {
            if cache::CACHE_MARKER.is_on(&dir) {
                out.push(folder(kind, dir, group));
            } else if dir.is_dir() {
                foreign.push(dir);
            }
            continue;
        }
        let Ok(rd) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut items: Vec<Folder> = Vec::new();
        for e in rd.flatten() {
            let name = e.file_name();
            if !e.file_type().is_ok_and(|t| t.is_dir())
                || name.to_string_lossy().starts_with(fsx::TRASH_PREFIX)
            {
                continue;
            }
            if cache::CACHE_MARKER.is_on(&e.path()) {
                let label = format!("{group}/{}", name.to_string_lossy());
                items.push(folder(kind, e.path(), label));
            } else {
                foreign.push(e.path());
            }
        }
        items.sort_by(|a, b| a.name.cmp(&b.name));
        out.extend(items);
    }
    foreign.sort();
    (out, foreign)
}

/// Finishes deleting what an interrupted clean (or `verify --fix`) moved out of sight: the
/// `.gomux-trash-*` folders of dead gomux processes in the cache root, its group folders and
/// the module caches. Returns the bytes freed.
pub fn finish_trash(root: &CacheRoot) -> u64 {
    let mut freed = fsx::remove_trash(root.path());
    for (kind, dir) in root.group_dirs() {
        if !matches!(kind, Kind::Shared | Kind::Store) {
            freed += fsx::remove_trash(&dir);
        }
    }
    for f in folders(root) {
        freed += fsx::remove_trash(&cache::mod_dir(&f.path));
    }
    freed
}

fn folder(kind: Kind, path: PathBuf, name: String) -> Folder {
    let project = cache::read_marker(&path).and_then(|(_, p)| p);
    let mut last_use = std::fs::metadata(cache::marker_file(&path))
        .or_else(|_| std::fs::metadata(&path))
        .and_then(|m| m.modified())
        .ok();
    if kind == Kind::Base {
        last_use = last_use.max(crate::base::newest_output(&path));
    }
    Folder {
        kind,
        path,
        name,
        project,
        last_use,
    }
}

/// Total size in bytes of the files under `path` (symbolic links are not followed).
pub fn size(path: &Path) -> u64 {
    fsx::tree_size(path)
}

/// True when `path` is `root` or inside it, after resolving links in both.
pub fn is_inside(path: &Path, root: &Path) -> bool {
    let canon = |p: &Path| gomux_home::path::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    canon(path).starts_with(canon(root))
}

/// What a folder outside the cache root looks like when it is a Go cache: `Some("GOCACHE")` for
/// a build cache (its `README` says so), `Some("GOMODCACHE")` for a module cache
/// (`cache/download` inside), else `None`.
pub fn looks_like_go_cache(path: &Path) -> Option<&'static str> {
    let readme = std::fs::read_to_string(path.join("README")).unwrap_or_default();
    if readme.starts_with("This directory holds cached build artifacts from the Go build system") {
        return Some("GOCACHE");
    }
    if path.join("cache").join("download").is_dir() {
        return Some("GOMODCACHE");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn remove_tree_handles_read_only_module_folders() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        let m = tmp.path().join("mod/example.com/m@v1.0.0/sub");
        std::fs::create_dir_all(&m).unwrap();
        std::fs::write(m.join("a.go"), "package a").unwrap();
        let outside = tmp.path().join("outside.txt");
        std::fs::write(&outside, "keep").unwrap();
        std::os::unix::fs::symlink(&outside, m.join("link")).unwrap();
        for d in [&m, m.parent().unwrap()] {
            std::fs::set_permissions(m.join("a.go"), std::fs::Permissions::from_mode(0o444))
                .unwrap();
            std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o555)).unwrap();
        }
        assert_eq!(size(&tmp.path().join("mod")), 9);
        fsx::remove_tree(&tmp.path().join("mod")).unwrap();
        assert!(!tmp.path().join("mod").exists());
        assert_eq!(std::fs::read_to_string(&outside).unwrap(), "keep");
    }
}

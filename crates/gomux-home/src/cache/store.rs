//! The machine-wide module store, and the rule that a Go SDK's own tree is never a project.
//!
//! **The store.** With policy `project` every project keeps its own GOMODCACHE, but the
//! downloads in it (`cache/download`: zips, `.mod`, `.info`, `.ziphash`, the checksum
//! database's cache and Go's own `.lock` files) are the same bytes for every project. gomux
//! makes `<project>/mod/cache/download` a symbolic link to one store, `<root>/store/download`,
//! so a module version is fetched once per machine; Go still extracts each module into the
//! project's own GOMODCACHE and checks it against the project's `go.sum` through the
//! `.ziphash`. The link is made when the folder does not exist yet (a new project folder, or
//! after `go clean -modcache` removed the link); a real `cache/download` that Go already filled
//! is never replaced. On the proxy's hot path this costs one `stat` of
//! `mod/cache/download`; everything else happens only when that `stat` fails. The store is
//! a convenience: when it cannot be made (a foreign `<root>/store`, a read-only root), no link
//! is made and Go keeps its own `cache/download`, as before.
//!
//! **A GOROOT is never a project.** An editor jumping into the standard library runs `go`
//! in `GOROOT/src` (module `std`) or `GOROOT/src/cmd` (module `cmd`); such a call gets the
//! toolchain-level caches ([`Scope::Sdk`]) and no project folder is made for it. The check
//! ([`sdk_tree`]) only runs when the project root's path has a `src` component.

#[cfg(unix)]
use std::io;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use super::{CACHE_MARKER, CacheError, CacheRoot, Scope};
use crate::Home;

/// The store's folder under the cache root (it carries a `gomux-cache.txt` of kind `store`).
pub const STORE_DIR: &str = "store";

impl CacheRoot {
    /// `store/`: the machine-wide module store (its marker says kind `store`).
    pub fn store_folder(&self) -> PathBuf {
        self.path().join(STORE_DIR)
    }
    /// `store/download`: what every project's `mod/cache/download` links to.
    pub fn store_download(&self) -> PathBuf {
        self.store_folder().join("download")
    }
}

/// `<modcache>/cache/download`: Go's download cache inside a module cache.
pub fn download_dir(modcache: &Path) -> PathBuf {
    modcache.join("cache").join("download")
}

/// What a module cache's `cache/download` is, seen from the store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoreLink {
    /// A link to the store, which exists.
    Linked,
    /// A link to the store, which is gone (the next `go` call makes it again).
    Dangling,
    /// Nothing yet (the next `go` call links it).
    Missing,
    /// A real folder: Go's own downloads, not shared.
    OwnFolder,
    /// A link somewhere else (not made by gomux): left alone.
    Elsewhere(PathBuf),
}

/// What `modcache`'s `cache/download` is with respect to the store at `store_download`
/// (for reports, not the hot path).
pub fn link_state(modcache: &Path, store_download: &Path) -> StoreLink {
    let link = download_dir(modcache);
    match std::fs::symlink_metadata(&link) {
        Err(_) => StoreLink::Missing,
        Ok(m) if m.file_type().is_symlink() => match std::fs::read_link(&link) {
            Ok(to) if to == store_download => {
                if store_download.is_dir() {
                    StoreLink::Linked
                } else {
                    StoreLink::Dangling
                }
            }
            Ok(to) => StoreLink::Elsewhere(to),
            Err(_) => StoreLink::Elsewhere(PathBuf::new()),
        },
        Ok(_) => StoreLink::OwnFolder,
    }
}

/// Makes the store (`<root>/store` with its marker, and `store/download`) if it is not there.
/// A `store/` folder that holds something without gomux's marker is never adopted.
pub fn create_store(store_download: &Path) -> Result<(), CacheError> {
    let Some(folder) = store_download.parent() else {
        return Ok(());
    };
    if !CACHE_MARKER.is_on(folder) {
        super::marker::make_dir(folder)?;
        if !CACHE_MARKER.is_on(folder) {
            if !super::marker::empty_but_for_marker_temps(folder)? && !CACHE_MARKER.is_on(folder) {
                return Err(CacheError::Foreign {
                    folder: folder.to_path_buf(),
                    root_from: super::Source::Default,
                });
            }
            CACHE_MARKER
                .write(folder, "kind=store\n")
                .map_err(CacheError::Marker)?;
        }
    }
    super::marker::make_dir(store_download)
}

/// Links `modcache`'s `cache/download` to the store when it does not exist yet (best effort:
/// when anything fails, Go makes its own folder as it always did). One `stat` when the link
/// (or Go's own folder) is already there.
#[cfg(unix)]
pub(super) fn ensure_link(modcache: &Path, store_download: &Path) {
    let link = download_dir(modcache);
    if std::fs::metadata(&link).is_ok() {
        return;
    }
    match std::fs::symlink_metadata(&link) {
        // Our link, but the store was removed (`gomux cache clean --store`): make it again.
        Ok(m)
            if m.file_type().is_symlink()
                && std::fs::read_link(&link).is_ok_and(|to| to == store_download) =>
        {
            let _ = create_store(store_download);
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            if create_store(store_download).is_err() {
                return;
            }
            if let Some(parent) = link.parent()
                && super::marker::make_dir(parent).is_ok()
            {
                // Another `go` call may have made it first: either way the link is there.
                let _ = std::os::unix::fs::symlink(store_download, &link);
            }
        }
        _ => {}
    }
}

/// Without symbolic links for everyone (Windows), the store is off: Go keeps its own folder.
#[cfg(not(unix))]
pub(super) fn ensure_link(_modcache: &Path, _store_download: &Path) {}

/// Refreshes the store's last-use time (called when a project folder's own time is refreshed,
/// at most once an hour). Best effort.
pub(super) fn touch_store(store_download: &Path, now: SystemTime) {
    if let Some(folder) = store_download.parent() {
        let _ = std::fs::OpenOptions::new()
            .append(true)
            .open(super::marker_file(folder))
            .and_then(|f| f.set_modified(now));
    }
}

/// The Go SDK tree a canonical project root lies in, if any: the toolchain being run
/// (`toolchain` under the gomux home), or any folder `G` with `G/VERSION` and `G/pkg/tool`
/// whose `G/src` holds the project (module `std` at `G/src`, `cmd` at `G/src/cmd`). Only
/// looks at the disk when the path has a `src` component.
pub fn sdk_tree(home: &Home, toolchain: &str, project: &Path) -> Option<PathBuf> {
    if !project.components().any(|c| c.as_os_str() == "src") {
        return None;
    }
    if !toolchain.is_empty() && gomux_version::is_safe_name(toolchain) {
        let dir = home.toolchain_dir(toolchain);
        if let Ok(goroot) = crate::path::canonicalize(&dir)
            && project.starts_with(&goroot)
        {
            return Some(goroot);
        }
    }
    project
        .ancestors()
        .filter(|a| a.file_name().is_some_and(|n| n == "src"))
        .filter_map(Path::parent)
        .find(|g| g.join("VERSION").is_file() && g.join("pkg").join("tool").is_dir())
        .map(Path::to_path_buf)
}

impl Scope {
    /// The SDK tree a call runs in, when the project root is inside one ([`Scope::Sdk`]).
    pub fn sdk_root(&self) -> Option<&Path> {
        match self {
            Scope::Sdk { goroot, .. } => Some(goroot),
            _ => None,
        }
    }
}

#[cfg(test)]
#[cfg(unix)]
mod tests {
    use std::ffi::OsString;
    use std::path::Path;
    use std::time::SystemTime;

    use super::*;
    use crate::Settings;
    use crate::cache::{CachePlan, compute, read_marker};

    fn plan_for(home: &Home, project: &Path, env: &[(&str, &str)], tc: &str) -> CachePlan {
        let s = Settings::parse(Path::new("/h/settings.toml"), "").unwrap();
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let get = move |k: &str| {
            env.iter()
                .find(|(n, _)| n == k)
                .map(|(_, v)| OsString::from(v))
        };
        compute(home, &s, &get, Some(project), tc).unwrap()
    }

    fn setup() -> (tempfile::TempDir, Home, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let base = std::fs::canonicalize(dir.path()).unwrap();
        let project = base.join("work").join("app");
        std::fs::create_dir_all(&project).unwrap();
        (dir, Home::new(base.join("gomux")), project)
    }

    #[test]
    fn a_new_project_module_cache_links_its_downloads_to_the_store() {
        let (_d, home, project) = setup();
        let p = plan_for(&home, &project, &[], "go1.22.3");
        let store = p.module_store.clone().unwrap();
        assert_eq!(
            store,
            home.default_cache_root().join("store").join("download")
        );
        p.prepare(SystemTime::now()).unwrap();
        let modcache = p.gomodcache.clone().unwrap();
        let link = download_dir(&modcache);
        assert_eq!(std::fs::read_link(&link).unwrap(), store);
        assert!(store.is_dir());
        assert_eq!(read_marker(store.parent().unwrap()).unwrap().0, "store");
        assert_eq!(link_state(&modcache, &store), StoreLink::Linked);

        // `go clean -modcache` removes the link (and the project's module cache): the next
        // call links it again, the store and what is in it are untouched.
        std::fs::write(store.join("kept"), "zip").unwrap();
        std::fs::remove_file(&link).unwrap();
        p.prepare(SystemTime::now()).unwrap();
        assert_eq!(std::fs::read_link(&link).unwrap(), store);
        assert!(store.join("kept").is_file());

        // The store removed (`gomux cache clean --store`): the dangling link is healed.
        std::fs::remove_dir_all(store.parent().unwrap()).unwrap();
        assert_eq!(link_state(&modcache, &store), StoreLink::Dangling);
        p.prepare(SystemTime::now()).unwrap();
        assert!(store.is_dir());
        assert_eq!(link_state(&modcache, &store), StoreLink::Linked);
    }

    #[test]
    fn a_download_folder_go_already_filled_is_never_replaced() {
        let (_d, home, project) = setup();
        let p = plan_for(
            &home,
            &project,
            &[("GOMUX_CACHE_MODULE_STORE", "0")],
            "go1.22.3",
        );
        assert_eq!(p.module_store, None);
        p.prepare(SystemTime::now()).unwrap();
        let modcache = p.gomodcache.clone().unwrap();
        let own = download_dir(&modcache);
        std::fs::create_dir_all(own.join("example.com")).unwrap();
        // The store turned on later: Go's own folder stays as it is.
        let p = plan_for(&home, &project, &[], "go1.22.3");
        p.prepare(SystemTime::now()).unwrap();
        let store = p.module_store.clone().unwrap();
        assert_eq!(link_state(&modcache, &store), StoreLink::OwnFolder);
        assert!(own.join("example.com").is_dir());
        assert!(!store.exists());
    }

    #[test]
    fn a_foreign_store_folder_is_never_adopted() {
        let (_d, home, project) = setup();
        let p = plan_for(&home, &project, &[], "go1.22.3");
        let store = p.module_store.clone().unwrap();
        std::fs::create_dir_all(store.parent().unwrap()).unwrap();
        std::fs::write(store.parent().unwrap().join("mine.txt"), "user data").unwrap();
        p.prepare(SystemTime::now()).unwrap();
        let modcache = p.gomodcache.clone().unwrap();
        assert_eq!(link_state(&modcache, &store), StoreLink::Missing);
        assert!(!store.exists());
    }

    #[test]
    fn other_policies_do_not_use_the_store() {
        let (_d, home, project) = setup();
        for mode in ["shared", "toolchain", "off"] {
            let p = plan_for(&home, &project, &[("GOMUX_CACHE_MODE", mode)], "go1.22.3");
            assert_eq!(p.module_store, None, "{mode}");
        }
        let p = plan_for(&home, &project, &[("GOMODCACHE", "/mine")], "go1.22.3");
        assert_eq!(p.module_store, None);
    }

    #[test]
    fn a_project_inside_a_go_sdk_gets_the_toolchain_caches() {
        let (_d, home, project) = setup();
        let sdk = project.parent().unwrap().join("sdk");
        std::fs::create_dir_all(sdk.join("pkg").join("tool")).unwrap();
        std::fs::create_dir_all(sdk.join("src").join("cmd")).unwrap();
        std::fs::write(sdk.join("VERSION"), "go1.23.5\n").unwrap();
        let root = home.default_cache_root();
        for dir in [sdk.join("src"), sdk.join("src").join("cmd")] {
            let p = plan_for(&home, &dir, &[], "go1.23.5");
            assert_eq!(p.scope.sdk_root(), Some(sdk.as_path()));
            assert_eq!(
                p.gocache.as_deref(),
                Some(root.join("toolchains/go1.23.5/build").as_path())
            );
            assert_eq!(
                p.gomodcache.as_deref(),
                Some(root.join("shared/mod").as_path())
            );
            assert_eq!(p.module_store, None);
            assert!(p.reason().contains("never a project"), "{}", p.reason());
            p.prepare(SystemTime::now()).unwrap();
            assert!(!root.join("projects").exists());
        }
        // A `src` folder that is not in an SDK is an ordinary project.
        let plain = project.join("src");
        std::fs::create_dir_all(&plain).unwrap();
        let p = plan_for(&home, &plain, &[], "go1.23.5");
        assert!(matches!(p.scope, Scope::Project { .. }), "{:?}", p.scope);
        // The toolchain being run, installed under the gomux home, even without `VERSION`.
        let tc = home.toolchain_dir("go1.22.3");
        std::fs::create_dir_all(tc.join("src").join("net")).unwrap();
        let p = plan_for(&home, &tc.join("src").join("net"), &[], "go1.22.3");
        assert_eq!(p.scope.sdk_root(), Some(tc.as_path()));
    }
}

//! `gomux prune`: when an installed toolchain was last used, told from what is on disk anyway.
//!
//! The proxy writes nothing on its hot path to record a use, so the measure is the newest of
//! the traces a use leaves, each cheap and each only ever making a toolchain look *more*
//! recently used (a wrong trace keeps a toolchain, it never removes one):
//! - its install: the `.gomux-toolchain` marker's modification time;
//! - its `bin/go` (and `bin/gofmt`) access time, which every `go` call's exec refreshes where the
//!   file system keeps access times (Linux's default `relatime` does, to the day; `noatime`
//!   mounts and some network drives do not, and then this says only when it was installed);
//! - its base layer (`base/<name>`): the newest output Go refreshed, hourly, in any project
//!   that uses it through its link ([`crate::base::newest_output`]);
//! - its own cache folder under policy `toolchain` (`toolchains/<name>`): its marker, which
//!   the proxy refreshes at most hourly.
//!
//! The cache folders' own last use comes from their markers ([`crate::Folder::last_use`]);
//! removing them is `gomux cache clean --older-than`'s job ([`crate::clean`]).

use std::path::Path;
use std::time::SystemTime;

use gomux_home::cache::{self, CacheRoot, Kind};
use gomux_home::fsx::TOOLCHAIN_MARKER;

use crate::Folder;

/// Which trace gave a toolchain's last use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trace {
    /// Its install (the marker's time).
    Installed,
    /// The access time of its `bin/go` or `bin/gofmt`.
    Program,
    /// Its base layer's newest use.
    Base,
    /// Its own cache folder (cache policy `toolchain`).
    Cache,
}

impl Trace {
    /// How the CLI says where the time comes from.
    pub fn describe(self) -> &'static str {
        match self {
            Trace::Installed => "its install",
            Trace::Program => "its `bin/go`",
            Trace::Base => "its base layer",
            Trace::Cache => "its cache folder",
        }
    }
}

/// A toolchain's last use and the trace that told it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LastUse {
    /// When.
    pub time: SystemTime,
    /// What said so.
    pub trace: Trace,
}

/// The last use of the toolchain installed at `dir` under the name `name`, from its traces
/// (see the module docs); `folders` are the cache root's folders ([`crate::folders`]).
/// `None` when not one trace can be read.
pub fn toolchain_last_use(
    dir: &Path,
    name: &str,
    root: &CacheRoot,
    folders: &[Folder],
) -> Option<LastUse> {
    let mut best: Option<LastUse> = None;
    let mut offer = |time: Option<SystemTime>, trace: Trace| {
        if let Some(time) = time
            && best.is_none_or(|b| time > b.time)
        {
            best = Some(LastUse { time, trace });
        }
    };
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    let accessed = |p: &Path| std::fs::metadata(p).and_then(|m| m.accessed()).ok();
    offer(modified(&TOOLCHAIN_MARKER.path(dir)), Trace::Installed);
    for tool in ["go", "gofmt"] {
        offer(
            accessed(&dir.join("bin").join(gomux_home::exe(tool))),
            Trace::Program,
        );
    }
    if let Some(safe) = cache::safe_folder_name(name) {
        let base = root.base_folder(&safe);
        let own = root.toolchain_folder(&safe);
        for f in folders {
            match f.kind {
                Kind::Base if f.path == base => offer(f.last_use, Trace::Base),
                Kind::Toolchain if f.path == own => offer(f.last_use, Trace::Cache),
                _ => {}
            }
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use std::fs;
    use std::time::Duration;

    use super::*;

    fn set_times(p: &Path, accessed: SystemTime, modified: SystemTime) {
        let f = fs::File::options().write(true).open(p).unwrap();
        f.set_times(
            fs::FileTimes::new()
                .set_accessed(accessed)
                .set_modified(modified),
        )
        .unwrap();
    }

    #[test]
    fn the_newest_trace_wins() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("go1.22.3");
        fs::create_dir_all(dir.join("bin")).unwrap();
        TOOLCHAIN_MARKER.write(&dir, "").unwrap();
        let go = dir.join("bin").join(gomux_home::exe("go"));
        fs::write(&go, "").unwrap();
        let now = SystemTime::now();
        let days = |n: u64| now - Duration::from_secs(n * 86_400);
        set_times(&TOOLCHAIN_MARKER.path(&dir), days(200), days(200));
        set_times(&go, days(300), days(300));
        let root = CacheRoot::new(tmp.path().join("cache"));
        let last = toolchain_last_use(&dir, "go1.22.3", &root, &[]).unwrap();
        assert_eq!((last.time, last.trace), (days(200), Trace::Installed));

        // Its program was run since.
        set_times(&go, days(10), days(300));
        let last = toolchain_last_use(&dir, "go1.22.3", &root, &[]).unwrap();
        assert_eq!((last.time, last.trace), (days(10), Trace::Program));

        // A base layer used more recently than that, and another toolchain's, which does not
        // count.
        let folder = |kind, path, last| Folder {
            kind,
            path,
            name: String::new(),
            project: None,
            last_use: Some(last),
        };
        let folders = [
            folder(Kind::Base, root.base_folder("go1.22.3"), days(2)),
            folder(Kind::Base, root.base_folder("go1.23.1"), days(1)),
            folder(Kind::Toolchain, root.toolchain_folder("go1.23.1"), now),
        ];
        let last = toolchain_last_use(&dir, "go1.22.3", &root, &folders).unwrap();
        assert_eq!((last.time, last.trace), (days(2), Trace::Base));
    }
}

//! The slow side of the cache policy: what a directory gets, listing, sizes, cleaning, verifying.
//!
//! The proxy only computes a plan ([`gomux_home::cache`]); everything that walks folders lives
//! here. A cache root may be `/` or a home folder, so only folders carrying gomux's
//! `gomux-cache.txt` ([`cache::CACHE_MARKER`]) are ever listed or removed, and removal goes
//! through [`fsx::remove_owned`]: the folder is renamed out of Go's sight first, so an
//! interrupted clean never leaves half a module that Go trusts. [`finish_trash`] completes what
//! an interrupted clean left.

pub mod dirhash;
pub mod verify;

use std::ffi::OsString;
use std::path::{Component, Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use gomux_home::cache::{self, CachePlan, CacheRoot, Effective, Kind};
use gomux_home::fsx;

use crate::Context;

/// What a directory gets: the plan, the project and toolchain it was made for, and the values
/// a `go` call there ends up with.
pub struct Here {
    pub plan: CachePlan,
    pub project_root: Option<PathBuf>,
    pub toolchain: Option<String>,
    pub effective: [Effective; 2],
}

fn env_var(k: &str) -> Option<OsString> {
    std::env::var_os(k)
}

/// The project root and toolchain a `go` call in `dir` would get, as the proxy resolves them.
/// A directory that selects no toolchain still has its project root.
pub fn project_and_toolchain(
    ctx: &Context,
    dir: &Path,
) -> anyhow::Result<(Option<PathBuf>, Option<String>)> {
    let placed = ctx.place(dir, &[])?;
    let toolchain = placed.located.and_then(|l| l.name);
    Ok((placed.project_root, toolchain))
}

/// The cache plan for `dir`, without creating anything.
pub fn here(ctx: &Context, dir: &Path) -> anyhow::Result<Here> {
    here_for(ctx, dir, &[])
}

/// The cache plan of a `go` call with `args` in `dir` (`-C sub` counts as for the proxy),
/// without creating anything.
pub fn here_for(ctx: &Context, dir: &Path, args: &[OsString]) -> anyhow::Result<Here> {
    let placed = ctx.place(dir, args)?;
    Ok(Here::new(
        placed.plan,
        placed.project_root,
        placed.located.and_then(|l| l.name),
    ))
}

impl Here {
    /// What a plan means for a `go` call: the values its caches end up with.
    pub fn new(plan: CachePlan, project_root: Option<PathBuf>, toolchain: Option<String>) -> Here {
        let effective = cache::effective(&plan, &env_var);
        Here {
            plan,
            project_root,
            toolchain,
            effective,
        }
    }
}

/// The cache root the settings and environment choose.
pub fn root(ctx: &Context) -> anyhow::Result<CacheRoot> {
    let settings = ctx.settings()?;
    let (root, _) = cache::cache_root(&ctx.home, &settings, &env_var)?;
    Ok(CacheRoot::new(root))
}

/// One cache folder under the root.
#[derive(Clone, Debug)]
pub struct Folder {
    pub kind: Kind,
    pub path: PathBuf,
    /// The path relative to the cache root, `/`-separated (`projects/app-1a2b3c4d5e6f`).
    pub name: String,
    /// The project recorded in the marker, for project folders.
    pub project: Option<String>,
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
        if kind == Kind::Shared {
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
        if kind != Kind::Shared {
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
    let last_use = std::fs::metadata(cache::marker_file(&path))
        .or_else(|_| std::fs::metadata(&path))
        .and_then(|m| m.modified())
        .ok();
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
    let canon = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
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

/// Parses a duration such as `7d`, `12h`, `30m`, `90s`, `2w` or `1d12h`.
pub fn parse_duration(text: &str) -> anyhow::Result<Duration> {
    let bad = || {
        crate::with_hint(
            format!("invalid duration `{text}`"),
            &["use a number and a unit: `7d`, `12h`, `30m`, `90s`, `2w` (or `1d12h`)"],
        )
    };
    let mut total: u64 = 0;
    let mut digits = String::new();
    for c in text.trim().chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let unit: u64 = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            'w' => 7 * 86_400,
            _ => return Err(bad()),
        };
        let n: u64 = digits.parse().map_err(|_| bad())?;
        total = n
            .checked_mul(unit)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(bad)?;
        digits.clear();
    }
    if !digits.is_empty() || total == 0 && text.trim().is_empty() {
        return Err(bad());
    }
    Ok(Duration::from_secs(total))
}

/// `1.5 GiB`, `12.0 MiB`, `512 B`.
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["KiB", "MiB", "GiB", "TiB", "PiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut v = bytes as f64 / 1024.0;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    format!("{v:.1} {}", UNITS[unit])
}

/// `3 h ago`, `2 d ago`, `just now`.
pub fn human_age(t: SystemTime, now: SystemTime) -> String {
    let secs = now.duration_since(t).map(|d| d.as_secs()).unwrap_or(0);
    match secs {
        0..60 => "just now".into(),
        60..3600 => format!("{} min ago", secs / 60),
        3600..86_400 => format!("{} h ago", secs / 3600),
        _ => format!("{} d ago", secs / 86_400),
    }
}

/// RFC 3339 in UTC (`2026-11-28T13:24:58Z`).
pub fn rfc3339(t: SystemTime) -> String {
    let secs = t
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Civil date from days since 1970-01-01 (proleptic Gregorian calendar).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Reads a path argument relative to the working directory, without `.` components (so `.`
/// in `/` is `/`, not `/.`).
pub fn absolute(ctx: &Context, p: &Path) -> PathBuf {
    let joined = if p.is_absolute() {
        p.to_path_buf()
    } else {
        ctx.cwd.join(p)
    };
    let tidy: PathBuf = joined
        .components()
        .filter(|c| !matches!(c, Component::CurDir))
        .collect();
    if tidy.as_os_str().is_empty() {
        joined
    } else {
        tidy
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A temporary folder removed on drop (the CLI has no tempfile dev-dependency).
    pub struct TempDir(PathBuf);

    impl TempDir {
        pub fn new(tag: &str) -> TempDir {
            use std::sync::atomic::{AtomicU32, Ordering};
            static N: AtomicU32 = AtomicU32::new(0);
            let p = std::env::temp_dir().join(format!(
                "gomux-test-{tag}-{}-{}",
                std::process::id(),
                N.fetch_add(1, Ordering::Relaxed)
            ));
            let _ = fsx::remove_tree(&p);
            std::fs::create_dir_all(&p).unwrap();
            TempDir(p)
        }
        pub fn path(&self) -> &Path {
            &self.0
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = fsx::remove_tree(&self.0);
        }
    }

    #[test]
    fn durations() {
        assert_eq!(
            parse_duration("7d").unwrap(),
            Duration::from_secs(7 * 86_400)
        );
        assert_eq!(
            parse_duration("12h").unwrap(),
            Duration::from_secs(12 * 3600)
        );
        assert_eq!(
            parse_duration("1d12h").unwrap(),
            Duration::from_secs(36 * 3600)
        );
        assert_eq!(
            parse_duration("2w").unwrap(),
            Duration::from_secs(14 * 86_400)
        );
        assert_eq!(parse_duration("0s").unwrap(), Duration::ZERO);
        for bad in ["", "7", "d", "7x", "-1d", "1.5h", "99999999999999999999d"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn formats() {
        assert_eq!(human_size(0), "0 B");
        assert_eq!(human_size(1536), "1.5 KiB");
        assert_eq!(human_size(3 * 1024 * 1024 * 1024), "3.0 GiB");
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        assert_eq!(
            rfc3339(UNIX_EPOCH + Duration::from_secs(1_795_872_298)),
            "2026-11-28T13:24:58Z"
        );
        assert_eq!(
            rfc3339(UNIX_EPOCH + Duration::from_secs(951_782_400)),
            "2000-02-29T00:00:00Z"
        );
    }

    #[cfg(unix)]
    #[test]
    fn remove_tree_handles_read_only_module_folders() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = TempDir::new("rm");
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

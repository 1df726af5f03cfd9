//! The CLI's side of the cache policy: what a directory gets (resolving its project and
//! toolchain as the proxy does), and the words and numbers the `cache` commands print.
//!
//! The proxy only computes a plan ([`gomux_home::cache`]); everything that walks folders
//! (listing, sizes, cleaning, verifying) lives in the `gomux-cache` crate. The few of its
//! functions that other commands call are re-exported here.

use std::ffi::OsString;
use std::path::{Component, Path, PathBuf};
use std::time::{Duration, SystemTime};

use gomux_home::cache::{self, CachePlan, CacheRoot, Effective};

use crate::Context;

pub use gomux_cache::{finish_trash, folders, unmarked};

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

/// Starts the base layer of a toolchain just installed building in the background (detached,
/// nice 19), unless `cache.base = "off"`, the toolchain ships its standard library compiled
/// (before Go 1.20) or the base exists. Best effort: an install never fails for it.
pub fn start_base(ctx: &Context, settings: &gomux_home::Settings, toolchain: &str) {
    let Ok((true, _)) = cache::base::base_enabled(settings, &env_var) else {
        return;
    };
    let Ok((root, _)) = cache::cache_root(&ctx.home, settings, &env_var) else {
        return;
    };
    let Some(name) = cache::safe_folder_name(toolchain) else {
        return;
    };
    let root = CacheRoot::new(root);
    if !cache::base::wants_base(&name) || cache::base::is_ready(&root.base_folder(&name)) {
        return;
    }
    let exe = std::env::current_exe().unwrap_or_else(|_| ctx.home.gomux_exe());
    if cache::base::spawn_build(&ctx.home, &exe, &name).is_ok() {
        eprintln!(
            "note: building the standard library of {name} in the background for every project's first build (`gomux cache base` shows it; `cache.base = \"off\"` turns it off)"
        );
    }
}

/// Lowers this process (and what it starts) to the lowest priority, nice 19. The proxy's
/// background builds start at nice 19 already; this is for a build started some other way.
pub fn lower_priority() {
    #[cfg(unix)]
    {
        unsafe extern "C" {
            fn setpriority(which: i32, who: u32, prio: i32) -> i32;
        }
        // SAFETY: a plain system call on this process; no memory is shared with it.
        unsafe {
            setpriority(0, 0, 19);
        }
    }
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
mod tests {
    use super::*;

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
    }
}

//! The base layer: one build cache per toolchain holding its compiled standard library, from
//! which every project's own GOCACHE is seeded without copying bytes.
//!
//! Go 1.20+ ships no compiled standard library, so the first build in an empty GOCACHE compiles
//! it (tens of CPU-seconds). The base (`<root>/base/<toolchain>/build`) is filled once per
//! toolchain by `gomux cache base` (the `gomux-cache` crate builds it); this module is the part
//! the proxy runs.
//!
//! The design decision to know: seeding is zero-copy and isolated. Go's cache holds two kinds of
//! files in `xx/` folders: `<hex>-d` outputs, named by the hash of their content and never
//! rewritten with other bytes, and `<hex>-a` index entries, rewritten in place when an action is
//! put again. Seeding hard-links every `-d` file and copies every (tiny) `-a` file, each through
//! a temporary name and a no-clobber link, so what Go already has wins and Go never sees half a
//! file. A project's writes then never reach the base or another project: Go writes a `-d` file
//! in place only when its bytes do not hash to its name, and rewrites `-a` files, which are the
//! project's own copies; on the shared inodes only the times change. `docs/caches.md` gives the
//! argument in full, checked against Go's `cache.go`.
//!
//! The hot path pays one `stat` per call once a folder is seeded (`build/gomux-seeded-<name>`);
//! a folder not yet seeded also checks the base's marker. A base is built only when asked, or in
//! the background (nice 19, its own session) when the proxy creates a new project folder for a
//! toolchain with no base: the caller never waits for it.

use std::ffi::OsString;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::{CACHE_MARKER, CacheError, CachePlan, CacheRoot, Source};
use crate::{Home, Settings, config};

/// The file in a project's `build/` folder recording that it was seeded from a toolchain's base
/// (`gomux-seeded-go1.23.5`).
pub const SEEDED_PREFIX: &str = "gomux-seeded-";

/// The base a plan's build cache is seeded from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BaseUse {
    /// The base folder, `<root>/base/<toolchain>` (its GOCACHE is `build/` inside).
    pub folder: PathBuf,
    /// The toolchain, as a safe folder name.
    pub toolchain: String,
    /// False when `cache.base = "off"`: no seeding, no background builds.
    pub enabled: bool,
    /// Which setting or variable decided `enabled`.
    pub from: Source,
}

/// What a plan's base is doing, for `gomux show` and `gomux cache dir`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BaseState {
    /// `cache.base = "off"`.
    Off,
    /// No base for this toolchain yet, and none being built.
    None,
    /// A `gomux cache base` holds the toolchain's base lock.
    Building,
    /// The base exists; the project folder is seeded from it on its next `go` call.
    Ready,
    /// The project's build cache was seeded from the base.
    Seeded,
}

impl BaseState {
    /// `off`, `none`, `building`, `ready` or `seeded`.
    pub fn as_str(self) -> &'static str {
        match self {
            BaseState::Off => "off",
            BaseState::None => "none",
            BaseState::Building => "building",
            BaseState::Ready => "ready",
            BaseState::Seeded => "seeded",
        }
    }
}

/// Whether base builds and seeding are on (`cache.base`, `GOMUX_CACHE_BASE`: `auto` or `off`).
pub fn base_enabled(
    settings: &Settings,
    get: &dyn Fn(&str) -> Option<OsString>,
) -> Result<(bool, Source), CacheError> {
    let Some((raw, from)) = config::CACHE_BASE.lookup(get, || Ok::<_, CacheError>(settings))?
    else {
        return Ok((true, Source::Default));
    };
    let value = raw.into_string();
    match value.trim() {
        "auto" => Ok((true, from)),
        "off" => Ok((false, from)),
        _ => Err(CacheError::UnknownBase { value, from }),
    }
}

impl CacheRoot {
    /// `base/`.
    pub fn bases_dir(&self) -> PathBuf {
        self.path().join("base")
    }
    /// `base/<name>`; `name` must be a safe folder name.
    pub fn base_folder(&self, name: &str) -> PathBuf {
        self.bases_dir().join(name)
    }
    /// `base/<name>.lock`: held while the base is built.
    pub fn base_lock(&self, name: &str) -> PathBuf {
        self.bases_dir().join(format!("{name}.lock"))
    }
}

/// The file that records a build folder was seeded from `toolchain`'s base.
pub fn seeded_file(project_build: &Path, toolchain: &str) -> PathBuf {
    project_build.join(format!("{SEEDED_PREFIX}{toolchain}"))
}

/// True when the base folder is complete: it is renamed into place whole, marker included.
pub fn is_ready(base_folder: &Path) -> bool {
    CACHE_MARKER.is_on(base_folder)
}

/// True for toolchains that ship no compiled standard library (Go 1.20 and later), and for
/// names that are not Go versions (a linked toolchain): those get a base built automatically.
pub fn wants_base(toolchain: &str) -> bool {
    let Some(rest) = toolchain.strip_prefix("go1.") else {
        return true;
    };
    let minor: String = rest.chars().take_while(char::is_ascii_digit).collect();
    minor.parse::<u32>().map_or(true, |m| m >= 20)
}

/// What seeding did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Seeded {
    /// `-d` files hard-linked from the base.
    pub linked: u64,
    /// Files copied (`-a` entries, and `-d` files where a link failed, e.g. across drives).
    pub copied: u64,
    /// Files the project already had (Go's own wins).
    pub skipped: u64,
    /// Files that could be neither linked nor copied (the project builds them itself).
    pub failed: u64,
}

/// Seeds `project_build` from `base_build`: every `xx/<hex>-d` hard-linked (copied when a link
/// is impossible), every `xx/<hex>-a` copied; an entry the project already has is kept.
/// Nothing else of the base is seeded (its `README`, `trim.txt`, the seeded markers).
pub fn seed(base_build: &Path, project_build: &Path) -> Seeded {
    let mut out = Seeded::default();
    let Ok(rd) = fs::read_dir(base_build) else {
        return out;
    };
    let pid = std::process::id();
    for sub in rd.flatten() {
        let name = sub.file_name();
        let Some(n) = name.to_str() else { continue };
        if n.len() != 2 || !n.bytes().all(|b| b.is_ascii_hexdigit()) {
            continue;
        }
        let Ok(files) = fs::read_dir(sub.path()) else {
            continue;
        };
        let dest_dir = project_build.join(n);
        let mut made = false;
        for f in files.flatten() {
            let fname = f.file_name();
            let Some(fname) = fname.to_str() else {
                continue;
            };
            let output = fname.ends_with("-d");
            if !output && !fname.ends_with("-a") {
                continue;
            }
            if !made {
                let mut b = fs::DirBuilder::new();
                b.recursive(true);
                #[cfg(unix)]
                std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o755);
                if b.create(&dest_dir).is_err() {
                    out.failed += 1;
                    continue;
                }
                made = true;
            }
            let dest = dest_dir.join(fname);
            let src = f.path();
            let linked = if output {
                match fs::hard_link(&src, &dest) {
                    Ok(()) => Some(true),
                    Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                        out.skipped += 1;
                        continue;
                    }
                    Err(_) => None,
                }
            } else {
                None
            };
            match linked {
                Some(_) => out.linked += 1,
                None => match copy_no_clobber(&src, &dest_dir, fname, pid) {
                    Ok(true) => out.copied += 1,
                    Ok(false) => out.skipped += 1,
                    Err(_) => out.failed += 1,
                },
            }
        }
    }
    out
}

/// Copies `src` to `dir/name` unless it exists: through a temporary file and a hard link that
/// fails when the name is taken, so Go never sees a half-written entry and its own wins.
/// `Ok(false)` when the entry was there already.
fn copy_no_clobber(src: &Path, dir: &Path, name: &str, pid: u32) -> io::Result<bool> {
    let temp = dir.join(format!(".gomux-seed-{pid}-{name}"));
    fs::copy(src, &temp)?;
    let r = fs::hard_link(&temp, dir.join(name));
    let _ = fs::remove_file(&temp);
    match r {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(e),
    }
}

impl CachePlan {
    /// The base layer's part of a `go` call, after [`CachePlan::prepare`]: seeds the build
    /// folder from the toolchain's base the first time both exist, or, when this call just
    /// created the folder and there is no base, starts one building in the background. Best
    /// effort: a failure costs speed, never the call. One `stat` once the folder is seeded.
    pub fn use_base(&self, home: &Home, created: bool) {
        let (Some(base), Some(build)) = (&self.base, &self.gocache) else {
            return;
        };
        if !base.enabled {
            return;
        }
        let marker = seeded_file(build, &base.toolchain);
        if fs::symlink_metadata(&marker).is_ok() {
            return;
        }
        if is_ready(&base.folder) {
            let s = seed(&base.folder.join("build"), build);
            let text = format!(
                "# seeded by gomux from `{}`\nlinked={}\ncopied={}\nskipped={}\nfailed={}\n",
                base.folder.display(),
                s.linked,
                s.copied,
                s.skipped,
                s.failed
            );
            let _ = crate::fsx::write_atomic(&marker, text.as_bytes());
        } else if created
            && wants_base(&base.toolchain)
            && !lock_is_held(&CacheRoot::new(&self.root).base_lock(&base.toolchain))
        {
            let _ = spawn_build(home, &home.gomux_exe(), &base.toolchain);
        }
    }

    /// What the base is doing for this plan (reads a marker and tries the base's lock; not for
    /// the hot path). `None` when the plan has no base (a shared cache, the user's own GOCACHE).
    pub fn base_state(&self) -> Option<BaseState> {
        let base = self.base.as_ref()?;
        if !base.enabled {
            return Some(BaseState::Off);
        }
        if let Some(build) = &self.gocache
            && fs::symlink_metadata(seeded_file(build, &base.toolchain)).is_ok()
        {
            return Some(BaseState::Seeded);
        }
        if is_ready(&base.folder) {
            return Some(BaseState::Ready);
        }
        let root = CacheRoot::new(&self.root);
        if lock_is_held(&root.base_lock(&base.toolchain)) {
            Some(BaseState::Building)
        } else {
            Some(BaseState::None)
        }
    }
}

/// True when another process holds the lock file at `path`.
pub fn lock_is_held(path: &Path) -> bool {
    let Ok(f) = fs::File::open(path) else {
        return false;
    };
    match f.try_lock() {
        Ok(()) => false,
        Err(fs::TryLockError::WouldBlock) => true,
        Err(fs::TryLockError::Error(_)) => false,
    }
}

/// Starts `gomux cache base --background <toolchain>` detached: its own session, nice 19, stdin
/// from nothing, output to `<home>/logs/base-<toolchain>.log`, no other file descriptor of the
/// caller kept open (a caller reading `go`'s output through a pipe must not wait for it). It
/// inherits the environment, so it builds with the caller's GOFLAGS, GOOS, GOARCH and cgo
/// settings. Returns without waiting.
pub fn spawn_build(home: &Home, exe: &Path, toolchain: &str) -> io::Result<()> {
    if !exe.is_file() {
        return Err(io::Error::new(io::ErrorKind::NotFound, "no gomux binary"));
    }
    let log = home.log_file(&format!("base-{toolchain}.log"));
    if let Some(dir) = log.parent() {
        fs::create_dir_all(dir)?;
    }
    let out = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log)?;
    let err = out.try_clone()?;
    let mut cmd = std::process::Command::new(exe);
    cmd.args(["cache", "base", "--background", toolchain])
        .stdin(std::process::Stdio::null())
        .stdout(out)
        .stderr(err)
        .env_remove(crate::env::GOMUX_RECURSION_DEPTH);
    #[cfg(unix)]
    detach(&mut cmd);
    cmd.spawn().map(drop)
}

#[cfg(unix)]
fn detach(cmd: &mut std::process::Command) {
    use std::os::unix::process::CommandExt as _;
    unsafe extern "C" {
        fn setsid() -> i32;
        fn setpriority(which: i32, who: u32, prio: i32) -> i32;
        fn close(fd: i32) -> i32;
    }
    const PRIO_PROCESS: i32 = 0;
    // SAFETY: between fork and exec the closure only makes async-signal-safe system calls
    // (setsid, setpriority, close) and touches no memory of the parent.
    unsafe {
        cmd.pre_exec(|| {
            setsid();
            setpriority(PRIO_PROCESS, 0, 19);
            // Inherited descriptors without close-on-exec (a caller's pipe) would keep the
            // caller waiting for end-of-file until the base is built.
            for fd in 3..256 {
                close(fd);
            }
            Ok(())
        });
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn vars(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<OsString> {
        move |k| {
            pairs
                .iter()
                .find(|(key, _)| *key == k)
                .map(|(_, v)| OsString::from(v))
        }
    }

    #[test]
    fn the_setting_is_auto_by_default_and_off_or_an_error_otherwise() {
        let s = Settings::default();
        assert_eq!(
            base_enabled(&s, &vars(&[])).unwrap(),
            (true, Source::Default)
        );
        let off = vars(&[("GOMUX_CACHE_BASE", "off")]);
        assert!(!base_enabled(&s, &off).unwrap().0);
        let auto = vars(&[("GOMUX_CACHE_BASE", "auto")]);
        assert!(base_enabled(&s, &auto).unwrap().0);
        let bad = vars(&[("GOMUX_CACHE_BASE", "yes")]);
        assert!(matches!(
            base_enabled(&s, &bad),
            Err(CacheError::UnknownBase { .. })
        ));
    }

    #[test]
    fn only_toolchains_without_a_compiled_std_want_a_base() {
        for t in ["go1.20", "go1.23.5", "go1.24rc1", "tip", "mygo"] {
            assert!(wants_base(t), "{t}");
        }
        for t in ["go1.19.13", "go1.4", "go1.9"] {
            assert!(!wants_base(t), "{t}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn seed_links_outputs_copies_entries_and_keeps_what_the_project_has() {
        use std::os::unix::fs::MetadataExt as _;
        let tmp = tempfile::tempdir().unwrap();
        let base = tmp.path().join("base");
        let proj = tmp.path().join("proj");
        fs::create_dir_all(base.join("ab")).unwrap();
        fs::create_dir_all(base.join("cd")).unwrap();
        fs::create_dir_all(proj.join("cd")).unwrap();
        fs::write(base.join("ab/ab1-d"), "out").unwrap();
        fs::write(base.join("ab/ab2-a"), "entry").unwrap();
        fs::write(base.join("cd/cd1-a"), "base entry").unwrap();
        fs::write(base.join("cd/notes.txt"), "not an entry").unwrap();
        fs::write(base.join("README"), "readme").unwrap();
        fs::write(base.join("trim.txt"), "1").unwrap();
        fs::create_dir_all(base.join("zz")).unwrap();
        fs::write(base.join("zz/zz-d"), "not a cache folder").unwrap();
        fs::write(proj.join("cd/cd1-a"), "the project's own").unwrap();

        let s = seed(&base, &proj);
        assert_eq!(
            s,
            Seeded {
                linked: 1,
                copied: 1,
                skipped: 1,
                failed: 0
            }
        );
        let ino = |p: &Path| fs::metadata(p).unwrap().ino();
        assert_eq!(ino(&proj.join("ab/ab1-d")), ino(&base.join("ab/ab1-d")));
        assert_ne!(ino(&proj.join("ab/ab2-a")), ino(&base.join("ab/ab2-a")));
        assert_eq!(fs::read_to_string(proj.join("ab/ab2-a")).unwrap(), "entry");
        assert_eq!(
            fs::read_to_string(proj.join("cd/cd1-a")).unwrap(),
            "the project's own"
        );
        for p in ["README", "trim.txt", "zz", "cd/notes.txt"] {
            assert!(!proj.join(p).exists(), "{p}");
        }
        // No temporary files are left, and a second run finds everything there.
        assert_eq!(fs::read_dir(proj.join("ab")).unwrap().count(), 2);
        assert_eq!(seed(&base, &proj).skipped, 3);
        // The project rewriting its entry leaves the base's.
        fs::write(proj.join("ab/ab2-a"), "rewritten").unwrap();
        assert_eq!(fs::read_to_string(base.join("ab/ab2-a")).unwrap(), "entry");
    }
}

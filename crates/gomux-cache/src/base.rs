//! Building a toolchain's base layer (`<root>/base/<toolchain>/build`), and measuring what the
//! cache folders share with it.
//!
//! A base is built in a staging folder named like trash (`base/.gomux-trash-<pid>-base-<name>`,
//! so what a killed build leaves is finished by the next `gomux cache clean` or `list`), with
//! its marker written last, then renamed into place whole: the proxy never seeds from half a
//! base. One build per toolchain at a time (`base/<name>.lock`).
//!
//! What goes in: `go build std` (every standard-library package), then `go vet` and
//! `go test -run '^$'` of a probe package that imports every public standard-library package,
//! which leaves the analysis facts `go vet` and `go test`'s vet step need for the standard
//! library. The environment is the caller's (GOFLAGS, GOOS, GOARCH, CGO_ENABLED: Go's action ids
//! depend on them), with `GOTOOLCHAIN=local`, no `GOROOT` and no workspace.

use std::collections::HashMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant, SystemTime};

use gomux_home::cache::{self as policy, CacheRoot};
use gomux_home::fsx;

/// Why a base could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BaseError {
    /// A folder or file of the base could not be made.
    #[error("{0}")]
    Fs(#[from] fsx::FsError),
    /// The toolchain's `go` could not be started.
    #[error("cannot run `{}`: {source}", exe.display())]
    Spawn {
        /// The `go` binary.
        exe: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// `go build std` failed.
    #[error("`go build std` with `{}` failed ({status})", exe.display())]
    Failed {
        /// The `go` binary.
        exe: PathBuf,
        /// Its exit status.
        status: String,
    },
}

/// One command of the build, and how it went.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Step {
    /// The `go` arguments.
    pub args: String,
    /// It exited with status 0.
    pub ok: bool,
    /// Wall-clock seconds.
    pub seconds: f64,
}

/// What [`build`] did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Built {
    /// The base folder.
    pub folder: PathBuf,
    /// `built`, `exists` (nothing to do) or `busy` (another build holds the lock and the
    /// caller did not want to wait).
    pub state: &'static str,
    /// The commands run.
    pub steps: Vec<Step>,
    /// Files in the base's `build/`.
    pub files: u64,
    /// Their bytes.
    pub bytes: u64,
}

/// How to build.
pub struct Options<'a> {
    /// The toolchain's safe folder name (`go1.23.5`).
    pub toolchain: &'a str,
    /// Its GOROOT.
    pub goroot: &'a Path,
    /// Build again even when the base exists (the old one is replaced whole).
    pub rebuild: bool,
    /// Wait for another build of the same base instead of returning `busy`.
    pub wait: bool,
}

/// Builds the base of `opts.toolchain` under `root`, saying what it does through `progress`.
pub fn build(
    root: &CacheRoot,
    opts: &Options<'_>,
    progress: &mut dyn FnMut(&str),
) -> Result<Built, BaseError> {
    let dir = root.bases_dir();
    if let Some(parent) = dir.parent() {
        make_dir(parent)?;
    }
    fsx::create_owned_dir(&dir, fsx::FOLDER_MARKER)?;
    let folder = root.base_folder(opts.toolchain);
    let lock_path = root.base_lock(opts.toolchain);
    let lock = fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&lock_path)
        .map_err(|e| fsx::FsError::new("open the lock file", &lock_path, e))?;
    let empty = |state| Built {
        folder: folder.clone(),
        state,
        steps: Vec::new(),
        files: 0,
        bytes: 0,
    };
    match lock.try_lock() {
        Ok(()) => {}
        Err(fs::TryLockError::WouldBlock) if !opts.wait => return Ok(empty("busy")),
        Err(fs::TryLockError::WouldBlock) => {
            progress(&format!(
                "waiting for another gomux building this base (lock `{}`)",
                lock_path.display()
            ));
            lock.lock()
                .map_err(|e| fsx::FsError::new("lock", &lock_path, e))?;
        }
        Err(fs::TryLockError::Error(e)) => {
            return Err(fsx::FsError::new("lock", &lock_path, e).into());
        }
    }
    if policy::base::is_ready(&folder) && !opts.rebuild {
        let (files, bytes) = count(&folder.join("build"));
        return Ok(Built {
            files,
            bytes,
            ..empty("exists")
        });
    }
    let staging = dir.join(format!(
        "{}{}-base-{}",
        fsx::TRASH_PREFIX,
        std::process::id(),
        opts.toolchain
    ));
    if staging.exists() {
        fsx::remove_tree(&staging).map_err(|e| fsx::FsError::new("remove", &staging, e))?;
    }
    let build_dir = policy::build_dir(&staging);
    let probe = staging.join("probe");
    for d in [&build_dir, &probe] {
        make_dir(d)?;
    }
    let exe = opts.goroot.join("bin").join(gomux_home::exe("go"));
    let go = |args: &[&str], cwd: &Path, module: bool| {
        let mut c = Command::new(&exe);
        c.args(args)
            .current_dir(cwd)
            .env("GOCACHE", &build_dir)
            .env("GOTOOLCHAIN", "local")
            .env("GOWORK", "off")
            .env("GOMODCACHE", staging.join("mod"))
            .env("GOPROXY", "off")
            .env_remove("GOROOT")
            .env_remove(gomux_home::env::GOMUX_RECURSION_DEPTH);
        if module {
            c.env_remove("GO111MODULE");
        } else {
            c.env("GO111MODULE", "off");
        }
        c
    };
    let mut steps = Vec::new();
    progress(&format!(
        "building the standard library of {} into `{}` (go build std)",
        opts.toolchain,
        folder.display()
    ));
    let t = Instant::now();
    let status = go(&["build", "std"], &staging, false)
        .stdout(std::io::stderr())
        .status()
        .map_err(|source| BaseError::Spawn {
            exe: exe.clone(),
            source,
        })?;
    steps.push(Step {
        args: "build std".into(),
        ok: status.success(),
        seconds: t.elapsed().as_secs_f64(),
    });
    if !status.success() {
        let _ = fsx::remove_tree(&staging);
        return Err(BaseError::Failed {
            exe,
            status: status.to_string(),
        });
    }
    // The probe: vet facts for `go vet` and `go test`. Best effort: a failure only leaves
    // those to each project.
    let list = go(&["list", "std"], &staging, false).output();
    let packages: Vec<String> = list
        .ok()
        .filter(|o| o.status.success())
        .map(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .map(str::trim)
                .filter(|p| probe_import(p))
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    if !packages.is_empty() {
        let mut src = String::from(
            "// Package probe imports the standard library.\npackage probe\n\nimport (\n",
        );
        for p in &packages {
            src.push_str(&format!("\t_ \"{p}\"\n"));
        }
        src.push_str(")\n");
        let files = [
            ("go.mod", "module gomuxprobe\n\ngo 1.18\n".to_string()),
            ("probe.go", src),
            (
                "probe_test.go",
                "package probe\n\nimport \"testing\"\n\nfunc TestProbe(t *testing.T) {}\n".into(),
            ),
        ];
        for (name, text) in files {
            let p = probe.join(name);
            fs::write(&p, text).map_err(|e| fsx::FsError::new("write", &p, e))?;
        }
        for (label, args) in [
            ("vet", &["vet", "."][..]),
            ("test", &["test", "-count=1", "-run", "^$", "."][..]),
        ] {
            progress(&format!(
                "building what `go {label}` needs for the standard library"
            ));
            let t = Instant::now();
            let ok = go(args, &probe, true)
                .stdout(std::process::Stdio::null())
                .status()
                .is_ok_and(|s| s.success());
            steps.push(Step {
                args: args.join(" "),
                ok,
                seconds: t.elapsed().as_secs_f64(),
            });
        }
    }
    for d in [probe, staging.join("mod")] {
        if d.exists() {
            let _ = fsx::remove_tree(&d);
        }
    }
    let env = |k: &str| {
        std::env::var_os(k)
            .map(|v| v.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    let text = format!(
        "kind=base\ntoolchain={}\ngoroot={}\nGOFLAGS={}\nGOOS={}\nGOARCH={}\nCGO_ENABLED={}\n",
        opts.toolchain,
        opts.goroot.display(),
        env("GOFLAGS"),
        env("GOOS"),
        env("GOARCH"),
        env("CGO_ENABLED")
    );
    policy::CACHE_MARKER.write(&staging, &text)?;
    if policy::base::is_ready(&folder) {
        // A rebuild: the old base goes out of sight first (projects seeded from it keep their
        // links). A folder there without the marker is not gomux's: the rename below fails.
        fsx::remove_out_of_sight(&folder, &dir)?;
    }
    fs::rename(&staging, &folder).map_err(|e| fsx::FsError::new("rename", &staging, e))?;
    let (files, bytes) = count(&folder.join("build"));
    progress(&format!(
        "base of {} ready: {files} files, {} bytes",
        opts.toolchain, bytes
    ));
    Ok(Built {
        files,
        bytes,
        steps,
        ..empty("built")
    })
}

/// Creates `dir` and its parents with mode 0755 (less the umask): a base is read by every
/// project, so it is never writable by others, even under `umask 000`.
fn make_dir(dir: &Path) -> Result<(), fsx::FsError> {
    let mut b = fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o755);
    b.create(dir)
        .map_err(|e| fsx::FsError::new("create", dir, e))
}

/// Public standard-library packages: no `internal`, no `vendor/`, no `cmd/`.
fn probe_import(p: &str) -> bool {
    !p.is_empty()
        && !p.starts_with("cmd/")
        && !p.starts_with("vendor/")
        && !p.split('/').any(|c| c == "internal")
        && !p.contains(' ')
        && !p.contains('"')
}

/// Files and bytes under `dir`.
fn count(dir: &Path) -> (u64, u64) {
    let mut files = 0;
    let mut bytes = 0;
    walk(dir, &mut |_, m| {
        files += 1;
        bytes += m.len();
    });
    (files, bytes)
}

fn walk(dir: &Path, f: &mut dyn FnMut(&Path, &fs::Metadata)) {
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = fs::read_dir(&d) else { continue };
        for e in rd.flatten() {
            let Ok(t) = e.file_type() else { continue };
            if t.is_dir() {
                stack.push(e.path());
            } else if t.is_file()
                && let Ok(m) = e.metadata()
            {
                f(&e.path(), &m);
            }
        }
    }
}

/// The newest time a `-d` output of a base was used: Go refreshes it (at most hourly) in every
/// project whose hard link it uses, so this is the base's real last use.
pub fn newest_output(base_folder: &Path) -> Option<SystemTime> {
    let mut newest: Option<SystemTime> = None;
    walk(&policy::build_dir(base_folder), &mut |p, m| {
        if p.to_string_lossy().ends_with("-d")
            && let Ok(t) = m.modified()
        {
            newest = newest.max(Some(t));
        }
    });
    newest
}

/// A folder's bytes split into what it shares with another cache folder (a hard link of the
/// same file, such as a project's seeded standard library) and what is its own.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Usage {
    /// Bytes of files whose inode also appears in another folder (each file counted once).
    pub shared: u64,
    /// Bytes of files found in this folder only (each file counted once).
    pub own: u64,
}

/// The [`Usage`] of each folder, in order, and the disk bytes of them all (each file once).
pub fn usage(folders: &[PathBuf]) -> (Vec<Usage>, u64) {
    // (dev, inode) -> (size, the folders it appears in)
    let mut seen: HashMap<(u64, u64), (u64, Vec<usize>)> = HashMap::new();
    let mut plain: Vec<u64> = vec![0; folders.len()];
    for (i, f) in folders.iter().enumerate() {
        walk(f, &mut |_, m| match inode(m) {
            Some(key) => {
                let e = seen.entry(key).or_insert((m.len(), Vec::new()));
                if !e.1.contains(&i) {
                    e.1.push(i);
                }
            }
            None => plain[i] += m.len(),
        });
    }
    let mut out: Vec<Usage> = plain
        .into_iter()
        .map(|own| Usage { shared: 0, own })
        .collect();
    let mut total: u64 = out.iter().map(|u| u.own).sum();
    for (size, at) in seen.values() {
        total += size;
        for &i in at {
            if at.len() > 1 {
                out[i].shared += size;
            } else {
                out[i].own += size;
            }
        }
    }
    (out, total)
}

#[cfg(unix)]
fn inode(m: &fs::Metadata) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt as _;
    Some((m.dev(), m.ino()))
}

#[cfg(not(unix))]
fn inode(_: &fs::Metadata) -> Option<(u64, u64)> {
    None
}

/// A base no project used for this long is removed by [`trim`]: Go's own rule for the entries
/// of its build cache (`trimLimit` in `cmd/go/internal/cache`), applied to a whole base, whose
/// outputs Go refreshes through every project's links.
pub const TRIM_AFTER: Duration = Duration::from_secs(5 * 24 * 60 * 60);

/// [`trim`] runs at most this often per cache root (Go trims its cache at most once a day).
pub const TRIM_EVERY: Duration = Duration::from_secs(24 * 60 * 60);

/// Removes the bases no project used for [`TRIM_AFTER`], at most once per [`TRIM_EVERY`] (the
/// time of `base/trim.txt`). Returns `None` when it was not due. Every removal goes through
/// `clean`: marker-checked, out of sight first.
pub fn trim(
    root: &CacheRoot,
    now: SystemTime,
) -> Result<Option<crate::clean::Outcome>, crate::clean::CleanError> {
    let stamp = root.bases_dir().join("trim.txt");
    let due = fs::metadata(&stamp)
        .and_then(|m| m.modified())
        .map_or(true, |t| age(t, now) >= TRIM_EVERY);
    if !due || !root.bases_dir().is_dir() {
        return Ok(None);
    }
    let sel = crate::clean::Selection {
        base: Some(None),
        older_than: Some(TRIM_AFTER),
        ..Default::default()
    };
    let outcome = crate::clean::clean(root, &sel)?;
    // Best effort: a stamp that cannot be written only means the next build checks again.
    let _ = fsx::write_atomic(
        &stamp,
        b"# gomux: bases unused for 5 days are removed at most once a day\n",
    );
    Ok(Some(outcome))
}

/// How long ago `t` was, for age rules.
pub fn age(t: SystemTime, now: SystemTime) -> Duration {
    now.duration_since(t).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_probe_imports_public_packages_only() {
        for p in ["fmt", "net/http", "encoding/json", "unsafe"] {
            assert!(probe_import(p), "{p}");
        }
        for p in [
            "internal/abi",
            "net/http/internal",
            "vendor/golang.org/x/net/idna",
            "cmd/go",
            "",
        ] {
            assert!(!probe_import(p), "{p}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn usage_counts_a_linked_file_once_and_as_shared() {
        let tmp = tempfile::tempdir().unwrap();
        let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
        fs::create_dir_all(a.join("00")).unwrap();
        fs::create_dir_all(b.join("00")).unwrap();
        fs::write(a.join("00/x-d"), vec![0u8; 100]).unwrap();
        fs::hard_link(a.join("00/x-d"), b.join("00/x-d")).unwrap();
        fs::hard_link(a.join("00/x-d"), b.join("00/y-d")).unwrap();
        fs::write(b.join("00/z-a"), vec![0u8; 7]).unwrap();
        let (u, total) = usage(&[a, b]);
        assert_eq!(
            u[0],
            Usage {
                shared: 100,
                own: 0
            }
        );
        assert_eq!(
            u[1],
            Usage {
                shared: 100,
                own: 7
            }
        );
        assert_eq!(total, 107);
    }

    #[test]
    fn newest_output_looks_at_outputs_only() {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path().join("build/00");
        fs::create_dir_all(&d).unwrap();
        let old = SystemTime::now() - Duration::from_secs(10 * 86_400);
        let newer = SystemTime::now() - Duration::from_secs(86_400);
        for (name, t) in [("a-d", old), ("b-d", newer), ("c-a", SystemTime::now())] {
            let f = fs::File::create(d.join(name)).unwrap();
            f.set_modified(t).unwrap();
        }
        assert_eq!(newest_output(tmp.path()), Some(newer));
    }
}

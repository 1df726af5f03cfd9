//! The benchmark's sandbox: a temp folder with its own HOME, GOMUX_HOME and TMPDIR, gomux set
//! up in it (`gomux setup --no-modify-path`), fake and real SDKs linked, and project trees.
//!
//! Nothing of the developer's environment reaches a measured command: every command gets the
//! sandbox's variables only (plus `RUST_BACKTRACE=1`, which is common on developer machines and
//! would expose any error value built on the proxy's success path).

use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context as _, Result, bail};

use super::build::exe;
use super::measure::RUNNER_SOURCE;

/// The folders below a project root where "deep" runs start.
pub const DEEP: &str = "a/b/c/d/e/f/g/h/i/j";

pub struct Sandbox {
    pub root: PathBuf,
    /// Where big trees go (a real SDK, installs): a tmpfs folder when there is one (see
    /// [`Sandbox::create`]), else `root/scratch`.
    pub scratch: PathBuf,
    pub home: PathBuf,
    pub gomux_home: PathBuf,
    pub tmp: PathBuf,
    pub work: PathBuf,
    keep: bool,
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if self.keep {
            eprintln!(
                "kept the sandbox: {} (and {})",
                self.root.display(),
                self.scratch.display()
            );
        } else {
            let _ = fs::remove_dir_all(&self.scratch);
            let _ = fs::remove_dir_all(&self.root);
        }
    }
}

impl Sandbox {
    /// Creates the folders, puts `gomux` and the proxy side by side in `dist/` and runs
    /// `gomux setup --no-modify-path` from there.
    ///
    /// With `tmpfs`, the scratch folder goes to `/dev/shm` when that works: creating the 14,000
    /// files of an SDK costs seconds on a slow virtual disk, the same for every contender, and
    /// would drown the differences between install pipelines.
    pub fn create(gomux: &Path, shim: &Path, keep: bool, tmpfs: bool) -> Result<Sandbox> {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let name = format!("gomux-bench-{}-{nanos:08x}", std::process::id());
        let base = std::env::temp_dir().join(&name);
        fs::create_dir_all(&base).with_context(|| format!("cannot create `{}`", base.display()))?;
        let root = base
            .canonicalize()
            .with_context(|| format!("cannot resolve `{}`", base.display()))?;
        let shm = Path::new("/dev/shm").join(&name);
        let scratch = if tmpfs && fs::create_dir(&shm).is_ok() {
            shm
        } else {
            root.join("scratch")
        };
        let sb = Sandbox {
            scratch,
            home: root.join("home"),
            gomux_home: root.join("gomux-home"),
            tmp: root.join("tmp"),
            work: root.join("work"),
            root,
            keep,
        };
        for d in [
            &sb.home,
            &sb.tmp,
            &sb.work,
            &sb.scratch,
            &sb.root.join("dist"),
        ] {
            fs::create_dir_all(d).with_context(|| format!("cannot create `{}`", d.display()))?;
        }
        let dist = sb.root.join("dist");
        for (from, name) in [(gomux, "gomux"), (shim, "gomux-shim")] {
            let to = dist.join(exe(name));
            fs::copy(from, &to).with_context(|| {
                format!("cannot copy `{}` to `{}`", from.display(), to.display())
            })?;
        }
        sb.setup(&sb.gomux_home)?;
        Ok(sb)
    }

    /// `gomux setup --no-modify-path` for a gomux home.
    pub fn setup(&self, gomux_home: &Path) -> Result<()> {
        let dist_gomux = self.root.join("dist").join(exe("gomux"));
        run_ok(
            Command::new(&dist_gomux)
                .args(["setup", "--no-modify-path"])
                .env_clear()
                .envs(self.env_for(gomux_home))
                .current_dir(&self.work),
        )?;
        Ok(())
    }

    /// The whole environment of a measured command.
    pub fn env(&self) -> Vec<(OsString, OsString)> {
        self.env_for(&self.gomux_home)
    }

    /// True when the scratch folder is on tmpfs.
    pub fn scratch_on_tmpfs(&self) -> bool {
        self.scratch.starts_with("/dev/shm")
    }

    pub fn env_for(&self, gomux_home: &Path) -> Vec<(OsString, OsString)> {
        let path = std::env::join_paths([
            gomux_home.join("bin"),
            PathBuf::from("/usr/local/bin"),
            PathBuf::from("/usr/bin"),
            PathBuf::from("/bin"),
        ])
        .unwrap_or_default();
        let pairs: [(&str, OsString); 7] = [
            ("PATH", path),
            ("HOME", self.home.clone().into()),
            ("GOMUX_HOME", gomux_home.into()),
            ("TMPDIR", self.tmp.clone().into()),
            ("LANG", "C".into()),
            ("NO_COLOR", "1".into()),
            ("RUST_BACKTRACE", "1".into()),
        ];
        pairs.into_iter().map(|(k, v)| (k.into(), v)).collect()
    }

    /// The installed `gomux` (`GOMUX_HOME/bin/gomux`).
    pub fn gomux_bin(&self) -> PathBuf {
        self.gomux_home.join("bin").join(exe("gomux"))
    }

    /// The installed proxy `go`.
    pub fn go_proxy(&self) -> PathBuf {
        self.gomux_home.join("bin").join(exe("go"))
    }

    /// Runs `gomux ARGS` in `cwd`; returns stdout, or an error with what it printed.
    pub fn gomux<I, S>(&self, args: I, cwd: &Path) -> Result<String>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        run_ok(
            Command::new(self.gomux_bin())
                .args(args)
                .env_clear()
                .envs(self.env())
                .current_dir(cwd),
        )
    }

    /// A project: `work/<name>` with `files` in it and the deep folders below it.
    pub fn project(&self, name: &str, files: &[(&str, &str)]) -> Result<PathBuf> {
        let dir = self.work.join(name);
        fs::create_dir_all(dir.join(DEEP))
            .with_context(|| format!("cannot create `{}`", dir.display()))?;
        for (file, text) in files {
            let p = dir.join(file);
            fs::write(&p, text).with_context(|| format!("cannot write `{}`", p.display()))?;
        }
        Ok(dir)
    }

    /// A fake SDK `sdk/<name>` whose `bin/go` and `bin/gofmt` are `program`, linked as `name`.
    pub fn link_fake(&self, name: &str, program: &Path) -> Result<PathBuf> {
        let root = self.root.join("sdk").join(name);
        let bin = root.join("bin");
        fs::create_dir_all(&bin).with_context(|| format!("cannot create `{}`", bin.display()))?;
        fs::write(
            root.join("VERSION"),
            format!("{name}\ntime 2030-01-01T00:00:00Z\n"),
        )?;
        for tool in ["go", "gofmt"] {
            fs::copy(program, bin.join(exe(tool)))
                .with_context(|| format!("cannot copy `{}`", program.display()))?;
        }
        self.gomux(
            [OsString::from("link"), name.into(), root.clone().into()],
            &self.work,
        )?;
        Ok(root)
    }

    /// Builds the trivial `go`: a static program that exits at once. A C `_start` with gcc
    /// where that works (the floor: one syscall), else a minimal static Rust program.
    pub fn trivial_program(&self) -> Result<(PathBuf, &'static str)> {
        let dir = self.root.join("build");
        fs::create_dir_all(&dir)?;
        let out = dir.join("trivial");
        let c = dir.join("trivial.c");
        fs::write(&c, TRIVIAL_C)?;
        let gcc = Command::new("gcc")
            .args(["-O2", "-nostdlib", "-static", "-o"])
            .arg(&out)
            .arg(&c)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        if gcc.is_ok_and(|s| s.success()) && runs_ok(&out) {
            return Ok((
                out,
                "a static C `_start` that exits at once (`gcc -O2 -nostdlib -static`)",
            ));
        }
        rustc_static(&dir, "trivial", TRIVIAL_RS)?;
        if !runs_ok(&out) {
            bail!("the trivial program `{}` does not run", out.display());
        }
        Ok((out, "a static `no_main` Rust program that returns 0"))
    }

    /// Builds the runner that reports a child's peak RSS (see `measure`).
    pub fn runner(&self) -> Result<PathBuf> {
        let dir = self.root.join("build");
        fs::create_dir_all(&dir)?;
        rustc_static(&dir, "runner", RUNNER_SOURCE)
    }
}

const TRIVIAL_C: &str = r#"
#if defined(__x86_64__)
void _start(void) { __asm__ volatile("mov $60, %eax\n\txor %edi, %edi\n\tsyscall"); }
#elif defined(__aarch64__)
void _start(void) { __asm__ volatile("mov x8, #93\n\tmov x0, #0\n\tsvc #0"); }
#else
#error "no trivial _start for this architecture"
#endif
"#;

const TRIVIAL_RS: &str = r#"
#![no_main]
#[unsafe(no_mangle)]
extern "C" fn main() -> i32 {
    0
}
"#;

/// Compiles a one-file Rust program statically (where the platform allows) into `dir/name`.
fn rustc_static(dir: &Path, name: &str, source: &str) -> Result<PathBuf> {
    let src = dir.join(format!("{name}.rs"));
    fs::write(&src, source)?;
    let out = dir.join(exe(name));
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let mut cmd = Command::new(rustc);
    cmd.args(["--edition", "2024", "-O", "-C", "panic=abort", "-o"])
        .arg(&out)
        .arg(&src);
    if cfg!(target_os = "linux") {
        cmd.args(["-C", "target-feature=+crt-static"]);
    }
    run_ok(&mut cmd)?;
    Ok(out)
}

fn runs_ok(program: &Path) -> bool {
    Command::new(program)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Runs a command; returns its stdout, or an error with everything it printed.
pub fn run_ok(cmd: &mut Command) -> Result<String> {
    let shown = format!("{:?}", cmd.get_program());
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("cannot run {shown}"))?;
    if !out.status.success() {
        bail!(
            "{shown} {:?} failed ({}): {}{}",
            cmd.get_args().collect::<Vec<_>>(),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim(),
            String::from_utf8_lossy(&out.stdout).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// A go.mod with `n` require lines, as large projects have.
pub fn long_gomod(module: &str, go: &str, n: usize) -> String {
    let mut s = format!("module {module}\n\ngo {go}\n\nrequire (\n");
    for i in 0..n {
        s.push_str(&format!("\texample.com/dependency/number{i:04} v1.{i}.0\n"));
    }
    s.push_str(")\n");
    s
}

/// `n` toolchains in the home `gomux_home` (which `gomux setup` made): links to the fake SDK
/// `sdk`, named `go1.98.0` and `go1.97.0` (as in the main home) and then older releases, as
/// `gomux link` makes them.
pub fn many_toolchains(gomux_home: &Path, sdk: &Path, n: usize) -> Result<()> {
    let dir = gomux_home.join("toolchains");
    fs::create_dir_all(&dir).with_context(|| format!("cannot create `{}`", dir.display()))?;
    let mut names = vec!["go1.98.0".to_string(), "go1.97.0".to_string()];
    let mut minor = 96;
    while names.len() < n {
        for patch in 0..10 {
            if names.len() < n {
                names.push(format!("go1.{minor}.{patch}"));
            }
        }
        minor -= 1;
    }
    for name in names {
        let link = dir.join(&name);
        #[cfg(unix)]
        std::os::unix::fs::symlink(sdk, &link)
            .with_context(|| format!("cannot link `{}`", link.display()))?;
        #[cfg(windows)]
        std::os::windows::fs::symlink_dir(sdk, &link)
            .with_context(|| format!("cannot link `{}`", link.display()))?;
    }
    Ok(())
}

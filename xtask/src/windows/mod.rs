//! `cargo xtask windows`: gomux built for `x86_64-pc-windows-gnu` and tested under Wine.
//!
//! Everything it needs it installs itself, so `.ci/run` needs nothing more than a call:
//! - mingw-w64 and Wine from the machine's apt (`apt-get install`, as root); a machine that
//!   cannot install them fails here, loudly, instead of skipping the Windows suite;
//! - Rust's standard library source of exactly the installed rustc release (stable rustc ships
//!   no Windows std here, so std is rebuilt with `-Zbuild-std`), from Debian's `rust-src`
//!   through the fixtures' private apt configuration, kept in the fixture cache folder under
//!   `windows/rust-src-<rustc version>/`;
//! - a fresh Wine prefix per run under `target/windows/`, removed afterwards.
//!
//! Then it builds `gomux.exe` and the proxy, runs the unit tests of the crates that decide
//! what runs (version, resolve, home, dist) under Wine, and the Windows end-to-end suite
//! ([`e2e`]): real `.exe` proxies and fake SDKs (small C programs built with mingw), a `D:`
//! drive mapped to a temporary folder, the registry PATH read back with `reg query`.

use std::ffi::OsString;
use std::fs;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail, ensure};

mod e2e;

const TARGET: &str = "x86_64-pc-windows-gnu";
const MINGW_GCC: &str = "x86_64-w64-mingw32-gcc";
/// Where Debian's `wine64` package puts the loader (on PATH only with the `wine` package).
const WINE64: &str = "/usr/lib/wine/wine64";
const WINESERVER: &str = "/usr/lib/wine/wineserver";
/// Debian packages: mingw-w64 (its win32-threads gcc is enough: Rust brings its own threads)
/// and the 64-bit Wine.
const APT_PACKAGES: &[&str] = &["gcc-mingw-w64-x86-64-win32", "wine64"];
/// The C programs of the suite, built with mingw into `target/windows/helpers/`.
const FAKEGO_C: &str = include_str!("fakego.c");
const RUNNER_C: &str = include_str!("runner.c");
const BCRYPT_C: &str = include_str!("bcryptprimitives.c");
const BCRYPT_DEF: &str = include_str!("bcryptprimitives.def");

const USAGE: &str = "usage: cargo xtask windows [--no-unit] [--keep]

Builds gomux.exe and the proxy for x86_64-pc-windows-gnu and runs the Windows tests under Wine:
the unit tests of gomux-version, gomux-resolve, gomux-home and gomux-dist, then the Windows
end-to-end suite. Installs mingw-w64 and Wine with apt when they are missing (as root), and
fetches Debian's rust-src of the installed rustc into the fixture cache folder.
  --no-unit   run only the end-to-end suite
  --keep      keep the Wine prefix and the D: folder (target/windows/run) for a look afterwards
";

pub fn run(args: Vec<OsString>) -> Result<()> {
    let (mut unit, mut keep) = (true, false);
    for a in &args {
        match a.to_str() {
            Some("--no-unit") => unit = false,
            Some("--keep") => keep = true,
            Some("-h" | "--help") => {
                print!("{USAGE}");
                return Ok(());
            }
            _ => bail!("unknown argument `{}`\n{USAGE}", a.to_string_lossy()),
        }
    }
    let started = Instant::now();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .context("the xtask crate has no parent folder")?
        .to_path_buf();
    // Cargo's own target folder (CARGO_TARGET_DIR when set), as the builds below use it.
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|t| if t.is_absolute() { t } else { root.join(t) })
        .unwrap_or_else(|| root.join("target"));
    let work = target.join("windows");
    install_packages()?;
    let library = rust_src()?;
    let helpers = build_helpers(&work.join("helpers"))?;
    let env = build_env(&library);
    step("building gomux.exe and the proxy");
    let t = Instant::now();
    // The proxy first: `gomux.exe` embeds it, and its build script cannot rebuild std itself.
    cargo(&root, &env, &["build", "-p", "gomux-shim"])?;
    let bin = target.join(TARGET).join("debug");
    let mut cli_env = env.clone();
    cli_env.push((
        "GOMUX_EMBED_PROXY".into(),
        bin.join("gomux-shim.exe").into_os_string(),
    ));
    cargo(&root, &cli_env, &["build", "-p", "gomux-cli"])?;
    progress(&format!("built ({:.0} s)", t.elapsed().as_secs_f64()));
    let prefix = Prefix::create(&work.join("run"), &helpers)?;
    let result = (|| {
        if unit {
            // The unit tests (`--lib`): the crates' integration tests drive Unix tools (shell
            // scripts as fake SDKs, `file:///` mirrors) and stay Unix-only for now.
            step("unit tests under Wine (gomux-version, gomux-resolve, gomux-home, gomux-dist)");
            let t = Instant::now();
            let mut env = env.clone();
            env.extend(prefix.env());
            cargo(
                &root,
                &env,
                &[
                    "test",
                    "--no-fail-fast",
                    "--lib",
                    "-p",
                    "gomux-version",
                    "-p",
                    "gomux-resolve",
                    "-p",
                    "gomux-home",
                    "-p",
                    "gomux-dist",
                ],
            )?;
            progress(&format!(
                "unit tests passed ({:.0} s)",
                t.elapsed().as_secs_f64()
            ));
        }
        step("the Windows end-to-end suite under Wine");
        e2e::run(&prefix, &bin, &helpers)
    })();
    prefix.shut_down();
    if !keep {
        let _ = fs::remove_dir_all(&prefix.dir);
    }
    result?;
    progress(&format!(
        "all Windows tests passed ({:.0} s in all)",
        started.elapsed().as_secs_f64()
    ));
    Ok(())
}

fn step(what: &str) {
    eprintln!("== windows: {what}");
}

fn progress(message: &str) {
    eprintln!("windows: {message}");
}

/// mingw-w64 and Wine, from the machine's apt when they are missing.
fn install_packages() -> Result<()> {
    let have = |p: &str| Path::new(p).is_file();
    let gcc = Command::new(MINGW_GCC)
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if gcc && have(WINE64) && have(WINESERVER) {
        return Ok(());
    }
    step(&format!("installing {}", APT_PACKAGES.join(" ")));
    let t = Instant::now();
    let apt = |args: &[&str]| -> Result<()> {
        let status = Command::new("apt-get")
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .stdin(Stdio::null())
            .status()
            .context("cannot run `apt-get`: the Windows suite needs Debian's mingw-w64 and Wine")?;
        ensure!(
            status.success(),
            "`apt-get {}` failed ({status}); the Windows suite needs {} (install them as root)",
            args.join(" "),
            APT_PACKAGES.join(" ")
        );
        Ok(())
    };
    apt(&["update", "-qq"])?;
    let mut install = vec!["install", "-y", "-qq", "--no-install-recommends"];
    install.extend(APT_PACKAGES);
    apt(&install)?;
    ensure!(
        have(WINE64),
        "`{WINE64}` is still missing after installing `wine64`"
    );
    progress(&format!("installed ({:.0} s)", t.elapsed().as_secs_f64()));
    Ok(())
}

/// `rustc -V`'s release number: `1.95.0`.
fn rustc_release() -> Result<String> {
    let out = Command::new(std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into()))
        .arg("-V")
        .output()
        .context("cannot run `rustc -V`")?;
    let text = String::from_utf8_lossy(&out.stdout);
    let version = text
        .split_whitespace()
        .nth(1)
        .filter(|v| v.split('.').all(|n| n.bytes().all(|b| b.is_ascii_digit())))
        .with_context(|| {
            format!(
                "`rustc -V` printed `{}`, not `rustc X.Y.Z ...`",
                text.trim()
            )
        })?;
    Ok(version.to_string())
}

/// The standard library's source for the installed rustc, cached by its release:
/// `<fixture cache>/windows/rust-src-<release>/library`.
fn rust_src() -> Result<PathBuf> {
    let release = rustc_release()?;
    let dir = crate::fixtures::cache_root()?
        .join("windows")
        .join(format!("rust-src-{release}"));
    let library = dir.join("library");
    if library.join("std").join("Cargo.toml").is_file() {
        return Ok(library);
    }
    step(&format!(
        "fetching Debian's rust-src {release} (std's source for -Zbuild-std)"
    ));
    let t = Instant::now();
    let staging = dir.with_extension("staging");
    let _ = fs::remove_dir_all(&staging);
    fs::create_dir_all(&staging)
        .with_context(|| format!("cannot create `{}`", staging.display()))?;
    let deb = crate::fixtures::debian_package("rust-src", &format!("{release}+"), &staging)
        .with_context(|| {
            format!(
                "rustc {release} needs Debian's rust-src of the same release, which the archive no \
                 longer has; install a rustc whose rust-src Debian carries"
            )
        })?;
    let unpacked = staging.join("x");
    let status = Command::new("dpkg-deb")
        .arg("-x")
        .arg(&deb)
        .arg(&unpacked)
        .status()
        .context("cannot run `dpkg-deb`")?;
    ensure!(status.success(), "`dpkg-deb -x {}` failed", deb.display());
    let src = unpacked.join(format!("usr/src/rustc-{release}/library"));
    ensure!(
        src.join("std").join("Cargo.toml").is_file(),
        "`{}` holds no `usr/src/rustc-{release}/library/std`",
        deb.display()
    );
    fs::create_dir_all(&dir)?;
    let _ = fs::remove_dir_all(&library);
    fs::rename(&src, &library)
        .with_context(|| format!("cannot move std's source to `{}`", library.display()))?;
    let _ = fs::remove_dir_all(&staging);
    progress(&format!(
        "rust-src {release} in `{}` ({:.0} s)",
        library.display(),
        t.elapsed().as_secs_f64()
    ));
    Ok(library)
}

/// The environment of every cargo call for the Windows target: stable cargo allowed to rebuild
/// std (`RUSTC_BOOTSTRAP`) from `library`, mingw as linker and C compiler, Wine as the runner.
fn build_env(library: &Path) -> Vec<(String, OsString)> {
    let mut env: Vec<(String, OsString)> = vec![
        ("RUSTC_BOOTSTRAP".into(), "1".into()),
        ("__CARGO_TESTS_ONLY_SRC_ROOT".into(), library.into()),
        (
            "CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER".into(),
            MINGW_GCC.into(),
        ),
        (
            "CARGO_TARGET_X86_64_PC_WINDOWS_GNU_AR".into(),
            "x86_64-w64-mingw32-ar".into(),
        ),
        (
            "CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER".into(),
            WINE64.into(),
        ),
        ("CC_x86_64_pc_windows_gnu".into(), MINGW_GCC.into()),
        (
            "AR_x86_64_pc_windows_gnu".into(),
            "x86_64-w64-mingw32-ar".into(),
        ),
    ];
    env.push(("CARGO_TERM_COLOR".into(), "never".into()));
    env
}

fn cargo(root: &Path, env: &[(String, OsString)], args: &[&str]) -> Result<()> {
    let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cmd.current_dir(root)
        .args(&args[..1])
        .args(["-Zbuild-std=std,panic_abort", "--target", TARGET])
        .args(&args[1..]);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let status = cmd
        .status()
        .with_context(|| format!("cannot run `cargo {}`", args[0]))?;
    ensure!(
        status.success(),
        "`cargo {} --target {TARGET}` failed ({status})",
        args.join(" ")
    );
    Ok(())
}

/// The suite's Windows programs, built with mingw.
pub(crate) struct Helpers {
    /// A fake SDK's `go.exe` ([`FAKEGO_C`]).
    pub fakego: PathBuf,
    /// The parent that reports a child's exact exit code ([`RUNNER_C`]).
    pub runner: PathBuf,
    /// `ProcessPrng` for Wine 8, which has no `bcryptprimitives.dll`.
    pub bcrypt: PathBuf,
}

fn build_helpers(dir: &Path) -> Result<Helpers> {
    fs::create_dir_all(dir).with_context(|| format!("cannot create `{}`", dir.display()))?;
    let gcc = |out: &str, sources: &[(&str, &str)], extra: &[&str]| -> Result<PathBuf> {
        let mut cmd = Command::new(MINGW_GCC);
        cmd.arg("-O2").arg("-o").arg(dir.join(out));
        for (name, text) in sources {
            let file = dir.join(name);
            fs::write(&file, text)?;
            cmd.arg(file);
        }
        cmd.args(extra);
        let out_text = cmd
            .output()
            .with_context(|| format!("cannot run `{MINGW_GCC}`"))?;
        ensure!(
            out_text.status.success(),
            "`{MINGW_GCC}` failed to build `{out}`:\n{}",
            String::from_utf8_lossy(&out_text.stderr)
        );
        Ok(dir.join(out))
    };
    Ok(Helpers {
        fakego: gcc("fakego.exe", &[("fakego.c", FAKEGO_C)], &[])?,
        runner: gcc("runner.exe", &[("runner.c", RUNNER_C)], &[])?,
        bcrypt: gcc(
            "bcryptprimitives.dll",
            &[
                ("bcryptprimitives.c", BCRYPT_C),
                ("bcryptprimitives.def", BCRYPT_DEF),
            ],
            &["-shared", "-ladvapi32"],
        )?,
    })
}

/// A Wine prefix of this run, with drive `D:` mapped to a folder of its own.
pub(crate) struct Prefix {
    pub dir: PathBuf,
}

impl Prefix {
    fn create(dir: &Path, helpers: &Helpers) -> Result<Prefix> {
        step("a fresh Wine prefix");
        let t = Instant::now();
        let _ = fs::remove_dir_all(dir);
        fs::create_dir_all(dir.join("d"))?;
        let prefix = Prefix {
            dir: dir.to_path_buf(),
        };
        let out = prefix.wine(&["wineboot", "--init"], None, Duration::from_secs(180))?;
        ensure!(
            out.ok,
            "`wineboot --init` failed in `{}`:\n{}",
            prefix.root().display(),
            out.stderr
        );
        let system32 = prefix.root().join("drive_c/windows/system32");
        let dll = system32.join("bcryptprimitives.dll");
        if !dll.exists() {
            fs::copy(&helpers.bcrypt, &dll)
                .with_context(|| format!("cannot copy the DLL to `{}`", dll.display()))?;
        }
        let drive = prefix.root().join("dosdevices").join("d:");
        let _ = fs::remove_file(&drive);
        std::os::unix::fs::symlink(prefix.drive_d(), &drive)
            .with_context(|| format!("cannot map drive D: at `{}`", drive.display()))?;
        progress(&format!(
            "prefix ready ({:.0} s)",
            t.elapsed().as_secs_f64()
        ));
        Ok(prefix)
    }

    /// `WINEPREFIX`.
    pub fn root(&self) -> PathBuf {
        self.dir.join("prefix")
    }

    /// The Unix folder that is drive `D:`.
    pub fn drive_d(&self) -> PathBuf {
        self.dir.join("d")
    }

    pub fn env(&self) -> Vec<(String, OsString)> {
        vec![
            ("WINEPREFIX".into(), self.root().into()),
            ("WINEDEBUG".into(), "-all".into()),
            // No Mono or Gecko installer dialogs.
            ("WINEDLLOVERRIDES".into(), "mscoree,mshtml=".into()),
        ]
    }

    /// Runs a Windows program under Wine in `cwd` (a Unix folder), at most `limit` long: on
    /// time-out the Wine session is ended and the result says so. The environment is the
    /// sandbox's: no GO*/GOMUX* variables from outside, a HOME of the suite's own.
    pub fn wine(&self, args: &[&str], cwd: Option<&Path>, limit: Duration) -> Result<Output> {
        self.wine_env(args, cwd, &[], limit)
    }

    pub fn wine_env(
        &self,
        args: &[&str],
        cwd: Option<&Path>,
        vars: &[(&str, &str)],
        limit: Duration,
    ) -> Result<Output> {
        let mut cmd = Command::new(WINE64);
        cmd.args(args).env_clear();
        for key in ["PATH", "LANG", "TERM"] {
            if let Some(v) = std::env::var_os(key) {
                cmd.env(key, v);
            }
        }
        cmd.env("HOME", &self.dir);
        for (k, v) in self.env() {
            cmd.env(k, v);
        }
        for (k, v) in vars {
            cmd.env(k, v);
        }
        cmd.current_dir(cwd.unwrap_or(&self.dir))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd
            .spawn()
            .with_context(|| format!("cannot run `{WINE64}`"))?;
        let mut stdout = child.stdout.take().context("no stdout pipe")?;
        let mut stderr = child.stderr.take().context("no stderr pipe")?;
        let out_reader = std::thread::spawn(move || {
            let mut s = Vec::new();
            let _ = stdout.read_to_end(&mut s);
            s
        });
        let err_reader = std::thread::spawn(move || {
            let mut s = Vec::new();
            let _ = stderr.read_to_end(&mut s);
            s
        });
        let deadline = Instant::now() + limit;
        let status = loop {
            if let Some(status) = child.try_wait()? {
                break Some(status);
            }
            if Instant::now() >= deadline {
                let _ = child.kill();
                let _ = child.wait();
                // Wine's processes outlive the loader: end the session, so the pipes close.
                self.shut_down();
                break None;
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let stdout = String::from_utf8_lossy(&out_reader.join().unwrap_or_default()).into_owned();
        let stderr = String::from_utf8_lossy(&err_reader.join().unwrap_or_default()).into_owned();
        Ok(Output {
            ok: status.is_some_and(|s| s.success()),
            status: status.map(|s| s.to_string()),
            timed_out: status.is_none(),
            stdout,
            stderr,
        })
    }

    /// Ends every process of the prefix and waits for the server to go (bounded).
    pub fn shut_down(&self) {
        let mut cmd = Command::new(WINESERVER);
        cmd.arg("-k").env("WINEPREFIX", self.root());
        if let Ok(mut child) = cmd.spawn() {
            let deadline = Instant::now() + Duration::from_secs(30);
            while Instant::now() < deadline {
                if !matches!(child.try_wait(), Ok(None)) {
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// What a Wine run printed.
pub(crate) struct Output {
    /// Wine's own exit status was 0 (lossy beyond that: exact codes go through the runner).
    pub ok: bool,
    /// Wine's own exit status as printed, for reports (`None` when it timed out).
    pub status: Option<String>,
    pub timed_out: bool,
    pub stdout: String,
    pub stderr: String,
}

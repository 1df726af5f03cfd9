//! The end-to-end test harness: real gomux binaries in a sandbox.
//!
//! A [`Sandbox`] is a temp folder with its own HOME, GOMUX_HOME, TMPDIR and work area, and a
//! scrubbed environment (nothing of the developer's GOROOT, GOPATH, GOFLAGS, GOTOOLCHAIN or
//! GOMUX_* leaks in). Commands run the built `gomux` and the proxies that `gomux setup` put in
//! the sandbox's `GOMUX_HOME/bin`. Fake SDKs are folders whose `bin/go` is the compiled
//! `gomux-fake-go` program, which prints what it was run with.
//!
//! The binaries are built once per test run (`cargo build` of the three bin targets, into the
//! same target folder), so a plain `cargo test` never tests stale binaries.

// Test code: a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used)]

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

/// The folder holding the built binaries (`target/<profile>`), derived from the test binary's
/// own location (`target/<profile>/deps/<test>`).
pub fn bin_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("GOMUX_TEST_BIN_DIR") {
        return PathBuf::from(dir);
    }
    let exe = std::env::current_exe().expect("the test binary's path");
    let deps = exe.parent().expect("deps folder");
    deps.parent().expect("profile folder").to_path_buf()
}

/// Builds `gomux`, `gomux-shim` and `gomux-fake-go` once per process, so tests never run stale
/// binaries. Set `GOMUX_TEST_BIN_DIR` to use prebuilt ones instead.
pub fn ensure_built() -> &'static Path {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(|| {
        let dir = bin_dir();
        if std::env::var_os("GOMUX_TEST_BIN_DIR").is_none() {
            let profile = dir.file_name().and_then(OsStr::to_str).unwrap_or("debug");
            let target = dir.parent().expect("target folder");
            let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
            let mut cmd = Command::new(cargo);
            cmd.args([
                "build",
                "--quiet",
                "-p",
                "gomux-cli",
                "-p",
                "gomux-shim",
                "-p",
                "gomux-tests",
                "--bins",
            ])
            .arg("--target-dir")
            .arg(target)
            .current_dir(env!("CARGO_MANIFEST_DIR"));
            if profile == "release" {
                cmd.arg("--release");
            }
            let status = cmd
                .status()
                .expect("running cargo build for the e2e binaries");
            assert!(status.success(), "building the gomux binaries failed");
        }
        for b in ["gomux", "gomux-shim", "gomux-fake-go"] {
            let p = dir.join(exe(b));
            assert!(p.is_file(), "missing binary `{}`", p.display());
        }
        dir
    })
}

/// `name` or `name.exe`.
pub fn exe(name: &str) -> String {
    format!("{name}{}", std::env::consts::EXE_SUFFIX)
}

/// A sandboxed gomux installation.
pub struct Sandbox {
    _dir: tempfile::TempDir,
    /// The sandbox folder (canonical).
    pub root: PathBuf,
    /// HOME.
    pub home: PathBuf,
    /// GOMUX_HOME.
    pub gomux_home: PathBuf,
    /// A folder for projects.
    pub work: PathBuf,
    /// TMPDIR.
    pub tmp: PathBuf,
    env: Vec<(OsString, Option<OsString>)>,
}

impl Default for Sandbox {
    fn default() -> Self {
        Sandbox::new()
    }
}

impl Sandbox {
    /// A sandbox with gomux set up (`gomux setup`): the proxies are in `GOMUX_HOME/bin`.
    pub fn new() -> Sandbox {
        let sb = Sandbox::bare();
        sb.gomux(["setup", "--no-modify-path"]).ok();
        sb
    }

    /// A sandbox with nothing set up.
    pub fn bare() -> Sandbox {
        ensure_built();
        let dir = tempfile::Builder::new()
            .prefix("gomux-e2e-")
            .tempdir()
            .expect("temp dir");
        let root = dir.path().canonicalize().expect("canonical temp dir");
        let home = root.join("home");
        let gomux_home = root.join("gomux-home");
        let work = root.join("work");
        let tmp = root.join("tmp");
        for d in [&home, &work, &tmp] {
            std::fs::create_dir_all(d).expect("sandbox dirs");
        }
        Sandbox {
            _dir: dir,
            root,
            home,
            gomux_home,
            work,
            tmp,
            env: Vec::new(),
        }
    }

    /// Sets a variable for every command this sandbox runs (`None` removes one of the defaults).
    pub fn set_env(&mut self, key: impl Into<OsString>, value: Option<&str>) -> &mut Sandbox {
        let key = key.into();
        self.env.retain(|(k, _)| *k != key);
        self.env.push((key, value.map(OsString::from)));
        self
    }

    /// The proxies folder.
    pub fn bin(&self) -> PathBuf {
        self.gomux_home.join("bin")
    }

    /// The PATH commands get: the proxies first, then the system folders.
    pub fn path_var(&self) -> OsString {
        std::env::join_paths([
            self.bin(),
            PathBuf::from("/usr/local/bin"),
            PathBuf::from("/usr/bin"),
            PathBuf::from("/bin"),
        ])
        .expect("PATH")
    }

    /// A command with the sandbox's scrubbed environment, run in `work/`.
    pub fn cmd(&self, program: impl AsRef<OsStr>) -> Command {
        let mut c = Command::new(program);
        c.env_clear()
            .env("PATH", self.path_var())
            .env("HOME", &self.home)
            .env("GOMUX_HOME", &self.gomux_home)
            .env("TMPDIR", &self.tmp)
            .env("LANG", "C")
            .env("NO_COLOR", "1")
            // The base layer's background builds are off unless a test turns them on
            // (`tests/e2e/cache_base.rs`), so other tests see no extra processes or folders.
            .env("GOMUX_CACHE_BASE", "off")
            .current_dir(&self.work);
        for (k, v) in &self.env {
            match v {
                Some(v) => c.env(k, v),
                None => c.env_remove(k),
            };
        }
        c
    }

    /// `gomux ARGS`.
    pub fn gomux<I, S>(&self, args: I) -> Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut c = self.cmd(ensure_built().join(exe("gomux")));
        c.args(args);
        c
    }

    /// A proxy from `GOMUX_HOME/bin` (`go`, `gofmt`, `go1.22.3`) with ARGS.
    pub fn proxy<I, S>(&self, name: &str, args: I) -> Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut c = self.cmd(self.bin().join(exe(name)));
        c.args(args);
        c
    }

    /// The `go` proxy with ARGS.
    pub fn go<I, S>(&self, args: I) -> Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.proxy("go", args)
    }

    /// Writes a file (creating folders) relative to `work/` and returns its path.
    pub fn write(&self, rel: &str, text: &str) -> PathBuf {
        let p = self.work.join(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(&p, text).expect("write");
        p
    }

    /// Creates a folder relative to `work/` and returns its path.
    pub fn dir(&self, rel: &str) -> PathBuf {
        let p = self.work.join(rel);
        std::fs::create_dir_all(&p).expect("mkdir");
        p
    }

    /// Points real Go at a `file://` module proxy, with no checksum database, no cgo and no
    /// telemetry: real-Go tests then need no network.
    pub fn offline_go(&mut self, modproxy: &Path) -> &mut Sandbox {
        let proxy = format!("file://{}", modproxy.display());
        self.set_env("GOPROXY", Some(&proxy))
            .set_env("GOSUMDB", Some("off"))
            .set_env("GOFLAGS", Some("-mod=mod"))
            .set_env("CGO_ENABLED", Some("0"))
            .set_env("GOTELEMETRY", Some("off"))
    }

    /// Creates a fake SDK (GOROOT) for `name` (`go1.22.3`) under `sdks/` and returns its root.
    pub fn fake_sdk(&self, name: &str) -> PathBuf {
        let root = self.root.join("sdks").join(name);
        make_fake_sdk(&root, name);
        root
    }

    /// Creates a fake SDK and links it with `gomux link`.
    pub fn link_fake(&self, name: &str) -> PathBuf {
        let root = self.fake_sdk(name);
        self.gomux(["link".as_ref(), name.as_ref(), root.as_os_str()])
            .ok();
        root
    }
}

/// Writes a `file://` module proxy tree at `dir` that serves `module@version` with `files`
/// (paths inside the module, and their text). Capital letters in the module path are escaped
/// (`!x`) as the module proxy protocol wants.
pub fn write_module_proxy(dir: &Path, module: &str, version: &str, files: &[(&str, &str)]) {
    use std::io::Write as _;
    let escaped: String = module
        .chars()
        .flat_map(|c| {
            if c.is_ascii_uppercase() {
                vec!['!', c.to_ascii_lowercase()]
            } else {
                vec![c]
            }
        })
        .collect();
    let at_v = dir.join(escaped).join("@v");
    std::fs::create_dir_all(&at_v).expect("module proxy dir");
    std::fs::write(at_v.join("list"), format!("{version}\n")).expect("list");
    std::fs::write(
        at_v.join(format!("{version}.info")),
        format!(r#"{{"Version":"{version}","Time":"2026-01-01T00:00:00Z"}}"#),
    )
    .expect("info");
    let gomod = files
        .iter()
        .find(|(p, _)| *p == "go.mod")
        .map(|(_, t)| t.to_string())
        .unwrap_or_else(|| format!("module {module}\n"));
    std::fs::write(at_v.join(format!("{version}.mod")), &gomod).expect("mod");
    let zip_file = std::fs::File::create(at_v.join(format!("{version}.zip"))).expect("zip");
    let mut w = zip::ZipWriter::new(zip_file);
    for (name, body) in files {
        w.start_file(
            format!("{module}@{version}/{name}"),
            zip::write::SimpleFileOptions::default(),
        )
        .expect("zip entry");
        w.write_all(body.as_bytes()).expect("zip write");
    }
    w.finish().expect("zip finish");
}

/// Writes a fake GOROOT at `root` whose `VERSION` says `name`.
pub fn make_fake_sdk(root: &Path, name: &str) {
    let bin = root.join("bin");
    std::fs::create_dir_all(&bin).expect("fake sdk bin");
    std::fs::create_dir_all(root.join("pkg").join("tool")).expect("fake sdk pkg/tool");
    std::fs::write(
        root.join("VERSION"),
        format!("{name}\ntime 2026-01-01T00:00:00Z\n"),
    )
    .expect("VERSION");
    let fake = ensure_built().join(exe("gomux-fake-go"));
    for tool in ["go", "gofmt"] {
        copy_executable(&fake, &bin.join(exe(tool)));
    }
}

/// Copies a program that a test runs right afterwards, so that running it never fails with
/// `Text file busy` (ETXTBSY).
///
/// Why: the kernel refuses to exec a file that any process holds open for writing. A copy made
/// in this process holds a write descriptor for a moment, and the test threads fork all the
/// time; a child forked in that moment inherits the descriptor (close-on-exec closes it only
/// when the child calls exec, which on a loaded machine can be milliseconds later). If the
/// test then runs the copy before that child's exec, the exec fails. So on Unix the bytes are
/// written by a `cp` child process, whose descriptors no other test thread can inherit, into a
/// temporary name that is renamed into place once `cp` has exited: when the file appears under
/// its name, no process has it open for writing.
pub fn copy_executable(from: &Path, to: &Path) {
    #[cfg(unix)]
    {
        let tmp = to.with_extension("gomux-test-tmp");
        let status = Command::new("cp")
            .arg(from)
            .arg(&tmp)
            .status()
            .expect("running cp for a fake SDK");
        assert!(status.success(), "cp {} {}", from.display(), tmp.display());
        std::fs::rename(&tmp, to).expect("moving the fake go into place");
    }
    #[cfg(not(unix))]
    std::fs::copy(from, to).expect("copy fake go");
}

/// Writes `bytes` as an executable program at `path` that a test runs right afterwards, with
/// the same guarantee as [`copy_executable`]: the bytes go to a scratch file first, and the
/// program itself is written by a child process.
pub fn write_executable(path: &Path, bytes: &[u8]) {
    let scratch = path.with_extension("gomux-test-src");
    std::fs::write(&scratch, bytes).expect("writing a test program");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&scratch, std::fs::Permissions::from_mode(0o755))
            .expect("making a test program executable");
    }
    copy_executable(&scratch, path);
    let _ = std::fs::remove_file(&scratch);
}

/// The result of a command, with helpers for the fake SDK's `key=value` report.
pub struct Out {
    pub status: std::process::ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl Out {
    /// The first value of `key` in the fake SDK's report.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.stdout
            .lines()
            .find_map(|l| l.strip_prefix(key).and_then(|r| r.strip_prefix('=')))
    }

    /// The value of `key`, or a panic that shows the whole output.
    pub fn val(&self, key: &str) -> &str {
        self.get(key)
            .unwrap_or_else(|| panic!("no `{key}=` in the output:\n{self}"))
    }

    /// Every `arg=` line: the arguments the fake SDK received.
    pub fn args(&self) -> Vec<&str> {
        self.stdout
            .lines()
            .filter_map(|l| l.strip_prefix("arg="))
            .collect()
    }

    /// stdout parsed as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{self}"))
    }

    pub fn code(&self) -> Option<i32> {
        self.status.code()
    }
}

impl std::fmt::Display for Out {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "status: {}\n--- stdout\n{}--- stderr\n{}",
            self.status, self.stdout, self.stderr
        )
    }
}

/// Running a command and checking how it ended.
pub trait Run {
    /// Runs and returns the output, whatever the status.
    fn run(&mut self) -> Out;
    /// Runs and asserts success.
    fn ok(&mut self) -> Out;
    /// Runs and asserts failure.
    fn fails(&mut self) -> Out;
}

impl Run for Command {
    fn run(&mut self) -> Out {
        let o: Output = self
            .output()
            .unwrap_or_else(|e| panic!("cannot run {:?}: {e}", self.get_program()));
        Out {
            status: o.status,
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
    fn ok(&mut self) -> Out {
        let o = self.run();
        assert!(
            o.status.success(),
            "{:?} {:?} failed:\n{o}",
            self.get_program(),
            self.get_args().collect::<Vec<_>>()
        );
        o
    }
    fn fails(&mut self) -> Out {
        let o = self.run();
        assert!(
            !o.status.success(),
            "{:?} {:?} should have failed:\n{o}",
            self.get_program(),
            self.get_args().collect::<Vec<_>>()
        );
        o
    }
}
/// True when the tests run as root: then [`as_nobody`] can run a command as a normal user, for
/// the permission cases (root reads every folder whatever its mode).
#[cfg(unix)]
pub fn is_root() -> bool {
    use std::os::unix::fs::MetadataExt as _;
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// A small tmpfs mounted at a folder (a disk that can be filled), unmounted when dropped.
/// Mounting needs root; where it cannot be done, [`Tmpfs::mount`] says why the test is skipped.
#[cfg(unix)]
pub struct Tmpfs {
    dir: PathBuf,
}

#[cfg(unix)]
impl Tmpfs {
    /// Mounts a tmpfs of `size` (`256k`) at `dir`, or prints why `test` is skipped.
    pub fn mount(dir: &Path, size: &str, test: &str) -> Option<Tmpfs> {
        if !is_root() {
            eprintln!("skipped {test}: a full-disk test needs root to mount a small tmpfs");
            return None;
        }
        std::fs::create_dir_all(dir).expect("creating the tmpfs mount point");
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            eprintln!("skipped {test}: `mount -t tmpfs` failed here");
            return None;
        }
        Some(Tmpfs {
            dir: dir.to_path_buf(),
        })
    }

    /// Fills the disk to the last byte; returns the filler file.
    pub fn fill(&self) -> PathBuf {
        use std::io::Write as _;
        let filler = self.dir.join("filler");
        let mut f = std::fs::File::create(&filler).expect("creating the filler");
        let chunk = [0u8; 4096];
        while f.write_all(&chunk).is_ok() {}
        // The last partial page too.
        while f.write_all(&[0]).is_ok() {}
        filler
    }
}

#[cfg(unix)]
impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.dir).status();
    }
}

/// `cmd` (its program, arguments, working directory and explicitly set environment; a sandbox
/// command starts from a cleared environment) run as the user `nobody` (uid and gid 65534, no
/// supplementary groups) through `setpriv`. Only for tests that run as root ([`is_root`]); the
/// folders the command needs must be reachable by that user ([`Sandbox::open_to_others`]).
#[cfg(unix)]
pub fn as_nobody(cmd: &Command) -> Command {
    let mut c = Command::new("setpriv");
    c.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        .arg(cmd.get_program())
        .args(cmd.get_args())
        .env_clear();
    for (k, v) in cmd.get_envs() {
        if let Some(v) = v {
            c.env(k, v);
        }
    }
    if let Some(dir) = cmd.get_current_dir() {
        c.current_dir(dir);
    }
    c
}

#[cfg(unix)]
impl Sandbox {
    /// Lets other users (`nobody`) reach everything in the sandbox: every folder gets
    /// `rwxr-xr-x` and every file its owner's read (and execute) bits for all. The test then
    /// closes exactly the folder it is about.
    pub fn open_to_others(&self) {
        use std::os::unix::fs::PermissionsExt as _;
        fn walk(p: &Path) {
            let Ok(m) = std::fs::symlink_metadata(p) else {
                return;
            };
            if m.file_type().is_symlink() {
                return;
            }
            let mode = m.permissions().mode();
            let open = if m.is_dir() {
                0o755
            } else {
                (mode & 0o700) | ((mode & 0o500) >> 3) | ((mode & 0o500) >> 6)
            };
            std::fs::set_permissions(p, std::fs::Permissions::from_mode(open))
                .expect("chmod in the sandbox");
            if m.is_dir() {
                for e in std::fs::read_dir(p).expect("read sandbox dir").flatten() {
                    walk(&e.path());
                }
            }
        }
        walk(&self.root);
        // TMPDIR must stay writable for anyone, as /tmp is.
        std::fs::set_permissions(&self.tmp, std::fs::Permissions::from_mode(0o1777))
            .expect("chmod TMPDIR");
    }
}

pub mod fixtures;
pub mod mirror;
pub mod nginx;

//! The `go` and `gofmt` proxy.
//!
//! Installed under the names `go`, `gofmt` and `go1.X.Y` (hard links or copies, never symlinks,
//! so argv[0] survives). On every call: argv[0] -> tool; resolve the toolchain for this
//! directory; exec the SDK's binary with the original arguments (minus `+VERSION`).
//!
//! This is the hot path of every `go` call, so it links only std and the workspace's small
//! crates (checked by a test), reads only a few small files, takes no locks, never touches the
//! network, and never builds an error value on the success path. A missing toolchain is handed
//! to the `gomux` CLI (`gomux install --for-proxy`), which installs it and runs the proxy again.
//!
//! Start-up is most of a proxy's cost, so on Unix the binary has no Rust `main`: the C runtime
//! calls [`main`] directly (`#![no_main]`, std still usable), which skips std's runtime set-up
//! (a stack guard read from `/proc/self/maps`, signal handlers, SIGPIPE) that a process which
//! execs within a millisecond never needs. The exec is a plain `execve` with the original
//! argument strings and the inherited environment plus a handful of changes, instead of
//! `Command`, which would copy the whole environment into a map first. `cargo xtask bench`
//! measures all of it (`docs/benchmarks.md`).

#![cfg_attr(unix, no_main)]

use std::ffi::{OsStr, OsString};
use std::fmt;
use std::path::Path;

#[cfg(windows)]
mod windows;

use gomux_home::{Home, Settings, env as vars, text};
use gomux_resolve::locate::{self, Site};
use gomux_resolve::{Selection, Tool, launch};
use gomux_version::{Hints, Request};

/// A failure, printed as `gomux: <message>` and `hint: <hint>` lines. Built only when
/// something went wrong: a library error brings its own hints ([`Hints`]), the proxy adds its
/// own with [`Failure::hint`].
struct Failure {
    message: String,
    hints: Vec<String>,
}

impl Failure {
    fn new(message: impl Into<String>) -> Failure {
        Failure {
            message: message.into(),
            hints: Vec::new(),
        }
    }
    fn hint(mut self, hint: impl Into<String>) -> Failure {
        self.hints.push(hint.into());
        self
    }
}

impl<E: Hints + fmt::Display> From<E> for Failure {
    fn from(e: E) -> Failure {
        Failure {
            message: e.to_string(),
            hints: e.hints(),
        }
    }
}

/// The C runtime's entry point: `argv` holds `argc` NUL-terminated strings.
#[cfg(unix)]
#[unsafe(no_mangle)]
extern "C" fn main(argc: std::ffi::c_int, argv: *const *const std::ffi::c_char) -> std::ffi::c_int {
    // SAFETY: the C runtime passes `argc` valid, NUL-terminated argument strings.
    let args = unsafe { sys::args(argc, argv) };
    match run(args) {
        Ok(never) => match never {},
        Err(f) => {
            report(&f);
            1
        }
    }
}

/// Exits with the SDK's exit code, all 32 bits of it (`ExitCode` holds only a byte).
#[cfg(windows)]
fn main() {
    let code = match run(std::env::args_os().collect()) {
        Ok(code) => code,
        Err(f) => {
            report(&f);
            1
        }
    };
    std::process::exit(code as i32)
}

/// Prints a failure the way the CLI prints its errors, with `gomux:` first so nobody mistakes
/// it for Go's; every line through the same last pass ([`text::report_lines`]).
fn report(f: &Failure) {
    eprintln!("gomux: {}", text::report_lines(&f.message));
    for h in &f.hints {
        eprintln!("hint: {}", text::report_lines(h));
    }
}

/// The environment, read in one pass at start.
///
/// Every lookup of `std::env::var_os` scans the whole environment again, and the proxy looks
/// up a few dozen variables: with 5,000 variables that was a measurable part of its cost. So
/// one pass keeps every variable the proxy can ask for (every `GO*`, which covers all of
/// gomux's and Go's own, and the few others below); a lookup of any other name still works,
/// through `var_os`.
struct Environment {
    #[cfg(unix)]
    kept: Vec<(&'static [u8], &'static [u8])>,
}

/// The variables outside `GO*` that selection and the cache plan read.
#[cfg(unix)]
const KEPT: &[&[u8]] = &[
    b"PWD",
    b"HOME",
    b"TMPDIR",
    b"XDG_CONFIG_HOME",
    b"XDG_CACHE_HOME",
    b"CI_JOB_ID",
    b"GITHUB_RUN_ID",
    b"BUILDKITE_JOB_ID",
    b"BUILD_TAG",
];

impl Environment {
    #[cfg(unix)]
    fn capture() -> Environment {
        let mut kept = Vec::with_capacity(16);
        sys::each_env(|key, value| {
            if Environment::is_kept(key) {
                kept.push((key, value));
            }
        });
        Environment { kept }
    }

    #[cfg(not(unix))]
    fn capture() -> Environment {
        Environment {}
    }

    #[cfg(unix)]
    fn is_kept(key: &[u8]) -> bool {
        key.starts_with(b"GO") || KEPT.contains(&key)
    }

    fn get(&self, key: &str) -> Option<OsString> {
        #[cfg(unix)]
        if Environment::is_kept(key.as_bytes()) {
            use std::os::unix::ffi::OsStringExt as _;
            // The first entry wins, as in `getenv`.
            return self
                .kept
                .iter()
                .find(|(k, _)| *k == key.as_bytes())
                .map(|(_, v)| OsString::from_vec(v.to_vec()));
        }
        std::env::var_os(key)
    }
}

/// `go`, `gofmt` or a versioned name (`go1.22.3`) from argv[0].
fn classify(argv0: &OsStr) -> Result<(Tool, Option<&str>), Failure> {
    locate::proxy_name(argv0).ok_or_else(|| {
        let name = Path::new(argv0).file_name().unwrap_or(argv0);
        Failure::new(format!(
            "this proxy runs as `go`, `gofmt` or `go1.X.Y`, not as `{}`",
            text::escape_path(Path::new(name))
        ))
        .hint("`gomux setup` installs the proxies under the right names")
    })
}

/// What a successful `run` returns: nothing on Unix (the process became the SDK), the SDK's
/// exit code elsewhere.
#[cfg(unix)]
type Done = std::convert::Infallible;
#[cfg(windows)]
type Done = u32;

fn run(args: Vec<OsString>) -> Result<Done, Failure> {
    let environment = Environment::capture();
    let env = |key: &str| environment.get(key);
    let env = &env;
    let argv0 = args
        .first()
        .cloned()
        .unwrap_or_else(|| OsString::from("go"));
    let (tool, proxy_toolchain) = classify(&argv0)?;

    let depth = locate::recursion_depth(env);
    if depth >= locate::MAX_DEPTH {
        return Err(Failure::new(format!(
            "the `{}` proxy started itself {depth} times in a row: a toolchain leads back to a gomux proxy",
            tool.name()
        ))
        .hint("a linked toolchain's `bin/go` may be a gomux proxy: check `gomux list` and `gomux doctor`"));
    }

    let home = Home::from_lookup(env)?;
    let cwd = locate::working_dir(env).map_err(|e| {
        Failure::new(format!(
            "cannot read the current directory: {}",
            gomux_home::fsx::describe(&e)
        ))
    })?;
    let settings = home.settings()?;
    let rest = &args[1..];
    let site = Site {
        home: &home,
        settings: &settings,
        cwd: &cwd,
        args: rest,
        tool,
        proxy_toolchain,
        env,
    };
    let located = locate::locate(&site)?;
    let debug = env(vars::GOMUX_DEBUG).is_some_and(|v| !v.is_empty() && v != "0");
    let (Some(name), Some(root)) = (&located.name, &located.root) else {
        return missing(&home, &located.selection, &args, &settings, env, debug);
    };

    let exe = root.join("bin").join(gomux_home::exe(tool.name()));
    let plan = gomux_home::cache::plan(
        &home,
        &settings,
        &env,
        located.selection.project_root.as_deref(),
        name,
    )?;
    let changes = launch::child_env(&located.selection, root, depth, &plan, env);
    if debug {
        trace(name, &located.selection, &changes, env, &exe);
    }
    exec(&exe, &argv0, located.child_args(rest), &changes)
}

/// The `GOMUX_DEBUG=1` line: which toolchain, what selected it, the caches the SDK gets (set
/// by gomux, else inherited, else Go's own default) and what runs. One line on stderr, every
/// part escaped.
fn trace(
    toolchain: &str,
    selection: &Selection,
    changes: &[(&str, Option<OsString>)],
    env: &dyn Fn(&str) -> Option<OsString>,
    exe: &Path,
) {
    let mut line = format!(
        "gomux: {} selected by {}",
        text::escape(toolchain),
        reason(selection)
    );
    for var in ["GOCACHE", "GOMODCACHE"] {
        let value = match changes.iter().find(|(k, _)| *k == var) {
            Some((_, Some(v))) => Some(v.clone()),
            Some((_, None)) => None,
            None => env(var).filter(|v| !v.is_empty()),
        };
        match value {
            Some(v) => line.push_str(&format!(" {var}={}", text::escape_path(Path::new(&v)))),
            None => line.push_str(&format!(" {var}=(Go's default)")),
        }
    }
    line.push_str(&format!(" exec {}", text::escape_path(exe)));
    eprintln!("{line}");
}

fn reason(selection: &Selection) -> String {
    selection.source.to_string()
}

/// The toolchain is not there: hand over to `gomux install --for-proxy`, or explain.
fn missing(
    home: &Home,
    selection: &Selection,
    args: &[OsString],
    settings: &Settings,
    env: &dyn Fn(&str) -> Option<OsString>,
    debug: bool,
) -> Result<Done, Failure> {
    let wanted = match &selection.request {
        Request::Exact(name) => name.clone(),
        Request::Family(family) => family.clone(),
    };
    let why = reason(selection);
    let install_cmd = locate::install_command(&selection.request);
    let not_installed = || {
        Failure::new(format!(
            "{} is not installed (selected by {why})",
            selection.request
        ))
    };
    if env(vars::GOMUX_AUTO_INSTALLED).is_some_and(|v| v == OsStr::new(&wanted)) {
        return Err(not_installed()
            .hint(format!(
                "gomux installed {wanted} but the proxy still cannot find it under `{}`",
                text::escape_path(&home.toolchains_dir())
            ))
            .hint("run `gomux doctor`"));
    }
    if selection.path_only {
        return Err(not_installed()
            .hint("GOTOOLCHAIN is a `path` form, which forbids downloads")
            .hint(format!("run `{install_cmd}`")));
    }
    let (auto, _) = gomux_home::config::AUTO_INSTALL.flag(env, || {
        Ok::<_, gomux_home::settings::SettingsError>(settings)
    })?;
    if !auto {
        return Err(not_installed()
            .hint(format!("run `{install_cmd}`"))
            .hint("automatic installs are off (GOMUX_AUTO_INSTALL=0 or `auto_install = false` in settings.toml)"));
    }
    let me = std::env::current_exe().map_err(|e| {
        Failure::new(format!(
            "cannot locate the proxy executable: {}",
            gomux_home::fsx::describe(&e)
        ))
    })?;
    let gomux = me
        .parent()
        .map(|d| d.join(gomux_home::exe("gomux")))
        .filter(|p| p.is_file())
        .ok_or_else(|| {
            not_installed()
                .hint(format!(
                    "the `gomux` binary is not beside the proxy `{}`",
                    text::escape_path(&me)
                ))
                .hint(format!(
                    "run `{install_cmd}`, or `gomux setup` to repair the proxies"
                ))
        })?;
    let mut install_args: Vec<OsString> = ["install", "--for-proxy"]
        .into_iter()
        .map(OsString::from)
        .collect();
    install_args.extend([
        OsString::from(&wanted),
        "--reason".into(),
        why.clone().into(),
        "--".into(),
        me.into_os_string(),
    ]);
    install_args.extend(args.iter().cloned());
    if debug {
        eprintln!(
            "gomux: {} selected by {why}, not installed: exec {} install --for-proxy",
            text::escape(&wanted),
            text::escape_path(&gomux)
        );
    }
    exec(&gomux, OsStr::new("gomux"), &install_args, &[])
}

/// Replaces the process with `exe`, run as `argv0` with `args` and the environment changed by
/// `changes` (`Some` sets a variable, `None` removes it).
#[cfg(unix)]
fn exec(
    exe: &Path,
    argv0: &OsStr,
    args: &[OsString],
    changes: &[(&str, Option<OsString>)],
) -> Result<Done, Failure> {
    let err = sys::exec(exe, argv0, args, changes);
    Err(Failure::new(format!(
        "cannot run `{}`: {}",
        text::escape_path(exe),
        gomux_home::fsx::describe(&err)
    )))
}

#[cfg(windows)]
fn exec(
    exe: &Path,
    argv0: &OsStr,
    args: &[OsString],
    changes: &[(&str, Option<OsString>)],
) -> Result<Done, Failure> {
    let _ = argv0;
    windows::run(exe, args, changes).map_err(|e| {
        Failure::new(format!(
            "cannot run `{}`: {}",
            text::escape_path(exe),
            gomux_home::fsx::describe(&e)
        ))
    })
}

/// The few libc calls the proxy makes itself.
#[cfg(unix)]
mod sys {
    use std::ffi::{CStr, CString, OsStr, OsString, c_char, c_int};
    use std::io;
    use std::os::unix::ffi::{OsStrExt, OsStringExt};
    use std::path::Path;

    unsafe extern "C" {
        static environ: *const *const c_char;
        fn execve(
            path: *const c_char,
            argv: *const *const c_char,
            envp: *const *const c_char,
        ) -> c_int;
        fn signal(signum: c_int, handler: usize) -> usize;
    }

    const SIGPIPE: c_int = 13;
    const SIG_DFL: usize = 0;

    /// Calls `f(key, value)` for every `KEY=VALUE` entry of the environment, in order.
    ///
    /// The slices borrow libc's environment strings, which live as long as the process: the
    /// proxy never changes its environment (it passes changes to `execve` instead).
    pub fn each_env(mut f: impl FnMut(&'static [u8], &'static [u8])) {
        // SAFETY: `environ` is the NUL-terminated array of NUL-terminated strings that libc
        // keeps; nothing changes it while the proxy runs (one thread, no `setenv`).
        unsafe {
            let mut p = environ;
            while !p.is_null() && !(*p).is_null() {
                let entry: &'static [u8] = CStr::from_ptr(*p).to_bytes();
                // A key may begin with `=` (as on Windows); the first `=` after it ends it.
                if let Some(i) = entry.iter().skip(1).position(|&b| b == b'=') {
                    f(&entry[..i + 1], &entry[i + 2..]);
                }
                p = p.add(1);
            }
        }
    }

    /// The arguments as `OsString`s.
    ///
    /// # Safety
    /// `argv` must hold `argc` valid, NUL-terminated strings (what the C runtime passes to
    /// `main`).
    pub unsafe fn args(argc: c_int, argv: *const *const c_char) -> Vec<OsString> {
        let n = usize::try_from(argc).unwrap_or(0);
        let mut out = Vec::with_capacity(n);
        for i in 0..n {
            // SAFETY: the caller guarantees `argc` valid entries.
            let p = unsafe { *argv.add(i) };
            if p.is_null() {
                break;
            }
            // SAFETY: a non-null entry of argv is a NUL-terminated string.
            out.push(OsString::from_vec(
                unsafe { CStr::from_ptr(p) }.to_bytes().to_vec(),
            ));
        }
        out
    }

    /// A string for C; the strings here came from argv, the environment or paths built from
    /// them, which cannot hold a NUL byte (a NUL is replaced by the error `execve` would give).
    fn c_string(s: &OsStr) -> Result<CString, io::Error> {
        CString::new(s.as_bytes()).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))
    }

    /// `execve(exe, [argv0, args...], environ with changes)`; returns only on failure.
    ///
    /// Like `std::process::Command::exec`, SIGPIPE is reset to its default first, so the SDK
    /// never inherits an ignored SIGPIPE. Unchanged variables are passed as they are, without
    /// copying; a changed one is dropped wherever it appears and, when set, added at the end.
    pub fn exec(
        exe: &Path,
        argv0: &OsStr,
        args: &[OsString],
        changes: &[(&str, Option<OsString>)],
    ) -> io::Error {
        let path = match c_string(exe.as_os_str()) {
            Ok(p) => p,
            Err(e) => return e,
        };
        let mut owned: Vec<CString> = Vec::with_capacity(args.len() + 1 + changes.len());
        for a in std::iter::once(argv0).chain(args.iter().map(OsString::as_os_str)) {
            match c_string(a) {
                Ok(c) => owned.push(c),
                Err(e) => return e,
            }
        }
        let mut argv: Vec<*const c_char> = owned.iter().map(|c| c.as_ptr()).collect();
        argv.push(std::ptr::null());

        let mut set: Vec<CString> = Vec::with_capacity(changes.len());
        for (key, value) in changes {
            if let Some(v) = value {
                let mut kv = Vec::with_capacity(key.len() + 1 + v.len());
                kv.extend_from_slice(key.as_bytes());
                kv.push(b'=');
                kv.extend_from_slice(v.as_bytes());
                match CString::new(kv) {
                    Ok(c) => set.push(c),
                    Err(_) => return io::Error::from(io::ErrorKind::InvalidInput),
                }
            }
        }
        let mut envp: Vec<*const c_char> = Vec::with_capacity(64 + set.len());
        // SAFETY: `environ` is the NUL-terminated array of "KEY=VALUE" strings that libc keeps;
        // nothing changes the environment while this runs (the proxy has one thread).
        unsafe {
            let mut p = environ;
            while !p.is_null() && !(*p).is_null() {
                let entry = CStr::from_ptr(*p).to_bytes();
                let key = match entry.iter().skip(1).position(|&b| b == b'=') {
                    Some(i) => &entry[..i + 1],
                    None => entry,
                };
                if !changes.iter().any(|(k, _)| k.as_bytes() == key) {
                    envp.push(*p);
                }
                p = p.add(1);
            }
        }
        envp.extend(set.iter().map(|c| c.as_ptr()));
        envp.push(std::ptr::null());

        // SAFETY: every pointer refers to a NUL-terminated string owned by `path`, `owned`,
        // `set` or libc's environment, all alive across the call; both arrays end with null.
        unsafe {
            signal(SIGPIPE, SIG_DFL);
            execve(path.as_ptr(), argv.as_ptr(), envp.as_ptr());
        }
        io::Error::last_os_error()
    }
}

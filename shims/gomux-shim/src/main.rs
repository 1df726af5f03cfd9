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

use std::cell::OnceCell;
use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use gomux_home::settings::keys;
use gomux_home::{Home, Settings, env as vars};
use gomux_resolve::{Input, ResolveError, Selection, Tool, launch};
use gomux_version::Request;

/// More nested proxy calls than this means a loop (a toolchain that leads back to a proxy).
const MAX_DEPTH: u32 = 10;

/// A failure, printed as `gomux: <message>` and `hint: <hint>` lines.
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

impl From<ResolveError> for Failure {
    fn from(e: ResolveError) -> Failure {
        Failure {
            message: e.to_string(),
            hints: e.hints(),
        }
    }
}

fn main() -> ExitCode {
    let args: Vec<OsString> = std::env::args_os().collect();
    match run(args) {
        Ok(code) => code,
        Err(f) => {
            eprintln!("gomux: {}", f.message);
            for h in &f.hints {
                eprintln!("hint: {h}");
            }
            ExitCode::from(1)
        }
    }
}

fn env(key: &str) -> Option<OsString> {
    std::env::var_os(key)
}

/// `go`, `gofmt` or a versioned name (`go1.22.3`) from argv[0].
fn classify(argv0: &OsStr) -> Result<(Tool, Option<String>), Failure> {
    let name = Path::new(argv0)
        .file_name()
        .and_then(OsStr::to_str)
        .unwrap_or("");
    let name = name.strip_suffix(".exe").unwrap_or(name);
    match name {
        "go" => Ok((Tool::Go, None)),
        "gofmt" => Ok((Tool::Gofmt, None)),
        n if n.starts_with("go1") && gomux_version::from_toolchain(n).is_some() => {
            Ok((Tool::Go, Some(n.to_string())))
        }
        n => Err(Failure::new(format!(
            "this proxy runs as `go`, `gofmt` or `go1.X.Y`, not as `{n}`"
        ))
        .hint("`gomux setup` installs the proxies under the right names")),
    }
}

/// The working directory as Go sees it: `$PWD` when it names the same folder (keeping the
/// user's symlinked path), else the physical path.
fn working_dir() -> Result<PathBuf, Failure> {
    let physical = std::env::current_dir()
        .map_err(|e| Failure::new(format!("cannot read the current directory: {e}")))?;
    if let Some(pwd) = env("PWD").map(PathBuf::from)
        && pwd.is_absolute()
        && pwd != physical
        && same_file(&pwd, Path::new("."))
    {
        return Ok(pwd);
    }
    Ok(physical)
}

#[cfg(unix)]
fn same_file(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(x), Ok(y)) => x.dev() == y.dev() && x.ino() == y.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn same_file(_: &Path, _: &Path) -> bool {
    false
}

fn run(args: Vec<OsString>) -> Result<ExitCode, Failure> {
    let argv0 = args
        .first()
        .cloned()
        .unwrap_or_else(|| OsString::from("go"));
    let (tool, proxy_toolchain) = classify(&argv0)?;

    let depth: u32 = env(vars::GOMUX_RECURSION_DEPTH)
        .and_then(|d| d.to_str().and_then(|d| d.parse().ok()))
        .unwrap_or(0);
    if depth >= MAX_DEPTH {
        return Err(Failure::new(format!(
            "the `{}` proxy started itself {depth} times in a row: a toolchain leads back to a gomux proxy",
            tool.name()
        ))
        .hint("a linked toolchain's `bin/go` may be a gomux proxy: check `gomux list` and `gomux doctor`"));
    }

    let home = Home::from_lookup(env).map_err(|e| Failure::new(e.to_string()))?;
    let cwd = working_dir()?;
    let settings: OnceCell<Result<Settings, String>> = OnceCell::new();
    let load_settings = || {
        settings
            .get_or_init(|| home.settings().map_err(|e| e.to_string()))
            .as_ref()
            .map_err(|e| Failure::new(e.clone()))
    };
    let names: OnceCell<Vec<String>> = OnceCell::new();
    let installed_names = || names.get_or_init(|| home.toolchain_names());

    let default = || {
        let s = load_settings().map_err(|f| ResolveError::Settings(f.message))?;
        launch::default_toolchain(s)
    };
    let installed = |r: &Request| {
        r.pick(installed_names().iter().map(String::as_str))
            .map(str::to_string)
    };
    let rest = &args[1..];
    let selection = gomux_resolve::resolve(&Input {
        cwd: &cwd,
        args: rest,
        tool,
        proxy_toolchain: proxy_toolchain.as_deref(),
        env: &env,
        default: &default,
        installed: &installed,
    })?;

    let name = match &selection.request {
        Request::Exact(name) => Some(name.clone()),
        family => installed(family),
    };
    let root = name.as_deref().and_then(|n| home.toolchain_root(n));
    let (Some(name), Some(root)) = (name, root) else {
        return missing(&home, &selection, &args, load_settings);
    };

    let exe = root.join("bin").join(gomux_home::exe(tool.name()));
    let mut cmd = Command::new(&exe);
    let child_args = if selection.strip_first_arg {
        &rest[1.min(rest.len())..]
    } else {
        rest
    };
    cmd.args(child_args);

    let plan = gomux_home::cache::plan(
        &home,
        load_settings()?,
        &env,
        selection.project_root.as_deref(),
        &name,
    )
    .map_err(|e| Failure::new(e.to_string()))?;
    for (key, value) in launch::child_env(&selection, &root, depth, &plan, &env) {
        match value {
            Some(v) => cmd.env(key, v),
            None => cmd.env_remove(key),
        };
    }
    exec(cmd, &argv0, &exe)
}

fn reason(selection: &Selection) -> String {
    selection.source.to_string()
}

/// The toolchain is not there: hand over to `gomux install --for-proxy`, or explain.
fn missing<'s>(
    home: &Home,
    selection: &Selection,
    args: &[OsString],
    load_settings: impl Fn() -> Result<&'s Settings, Failure>,
) -> Result<ExitCode, Failure> {
    let wanted = match &selection.request {
        Request::Exact(name) => name.clone(),
        Request::Family(family) => family.clone(),
    };
    let why = reason(selection);
    let install_cmd = format!(
        "gomux install {}",
        wanted.strip_prefix("go").unwrap_or(&wanted)
    );
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
                home.toolchains_dir().display()
            ))
            .hint("run `gomux doctor`"));
    }
    if selection.path_only {
        return Err(not_installed()
            .hint("GOTOOLCHAIN is a `path` form, which forbids downloads")
            .hint(format!("run `{install_cmd}`")));
    }
    let auto = match env(vars::GOMUX_AUTO_INSTALL).filter(|v| !v.is_empty()) {
        Some(v) => !matches!(v.to_str(), Some("0" | "false" | "no" | "off")),
        None => load_settings()?
            .get_bool(keys::AUTO_INSTALL)
            .map_err(|e| Failure::new(e.to_string()))?
            .unwrap_or(true),
    };
    if !auto {
        return Err(not_installed()
            .hint(format!("run `{install_cmd}`"))
            .hint("automatic installs are off (GOMUX_AUTO_INSTALL=0 or `auto_install = false` in settings.toml)"));
    }
    let me = std::env::current_exe()
        .map_err(|e| Failure::new(format!("cannot locate the proxy executable: {e}")))?;
    let gomux = me
        .parent()
        .map(|d| d.join(gomux_home::exe("gomux")))
        .filter(|p| p.is_file())
        .ok_or_else(|| {
            not_installed()
                .hint(format!(
                    "the `gomux` binary is not beside the proxy `{}`",
                    me.display()
                ))
                .hint(format!(
                    "run `{install_cmd}`, or `gomux setup` to repair the proxies"
                ))
        })?;
    let mut cmd = Command::new(&gomux);
    cmd.args(["install", "--for-proxy"])
        .arg(&wanted)
        .arg("--reason")
        .arg(&why)
        .arg("--")
        .arg(&me)
        .args(args);
    exec(cmd, OsStr::new("gomux"), &gomux)
}

#[cfg(unix)]
fn exec(mut cmd: Command, argv0: &OsStr, exe: &Path) -> Result<ExitCode, Failure> {
    use std::os::unix::process::CommandExt;
    cmd.arg0(argv0);
    let err = cmd.exec();
    Err(Failure::new(format!(
        "cannot run `{}`: {err}",
        exe.display()
    )))
}

#[cfg(not(unix))]
fn exec(mut cmd: Command, _argv0: &OsStr, exe: &Path) -> Result<ExitCode, Failure> {
    let status = cmd
        .status()
        .map_err(|e| Failure::new(format!("cannot run `{}`: {e}", exe.display())))?;
    Ok(ExitCode::from(
        status.code().unwrap_or(1).clamp(0, 255) as u8
    ))
}

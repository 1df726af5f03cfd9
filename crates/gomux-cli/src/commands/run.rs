//! `gomux run VERSION -- CMD ARGS...`: run a command with a toolchain first on PATH and the
//! environment the proxy would give; `gomux run --each 1.22,1.23,stable -- CMD ARGS...` runs it
//! once per toolchain and sums up.
//!
//! A toolchain that is missing is installed first, exactly as the proxy would do it: the same
//! `auto_install` setting decides, through the same install pipeline as `gomux install`
//! ([`crate::dist`]). `stable` (or `latest`) is the newest stable release in the index.
//! Status lines go to stderr; the child's output is its own. With `--each --json` the summary
//! is the only thing on stdout, so the child's stdout is sent to stderr.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::{Command, ExitCode, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use gomux_dist::{Dist, Spec};
use gomux_home::{Settings, text};
use gomux_resolve::Tool;
use gomux_version::Request;
use serde::Serialize;

use crate::context::Context;
use crate::context::install_command;
use crate::dist::{dist, sync_proxies};
use crate::render::with_hint;
use crate::request::parse_request;

#[derive(clap::Args)]
pub struct Args {
    /// The toolchain: `1.22.3`, `go1.22.3`, `1.22`, `stable` or a linked name
    #[arg(
        value_name = "VERSION",
        required_unless_present = "each",
        conflicts_with = "each"
    )]
    toolchain: Option<String>,
    /// Run the command once per toolchain, in order: `1.22,1.23,stable`
    #[arg(long, value_name = "VERSIONS", value_delimiter = ',', num_args = 1)]
    each: Vec<String>,
    /// With `--each`: stop at the first toolchain whose run fails
    #[arg(long, requires = "each")]
    fail_fast: bool,
    /// With `--each`: print the summary as JSON on stdout (the command's stdout goes to stderr)
    #[arg(long, requires = "each")]
    json: bool,
    /// The command and its arguments
    #[arg(last = true, required = true, value_name = "CMD")]
    command: Vec<OsString>,
}

pub fn run(ctx: &Context, args: Args) -> anyhow::Result<ExitCode> {
    let settings = ctx.settings()?;
    let mut installer = Installer::new(ctx, &settings);
    let Some(input) = args.toolchain.as_deref() else {
        return each(ctx, &settings, &mut installer, &args);
    };
    let (name, root) = installer.ready(input)?;
    let mut cmd = child(ctx, &settings, &name, &root, &args.command)?;
    let status = cmd.status().map_err(|e| spawn_error(&args.command, &e))?;
    Ok(exit_code(status))
}

/// Gets toolchains ready: installed ones as they are, missing ones installed when
/// `auto_install` allows, the way the proxy's slow path does.
struct Installer<'a> {
    ctx: &'a Context,
    settings: &'a Settings,
    /// Built on the first install (or `stable`), so a run of installed toolchains needs no
    /// network settings at all.
    dist: Option<Dist>,
}

impl<'a> Installer<'a> {
    fn new(ctx: &'a Context, settings: &'a Settings) -> Installer<'a> {
        Installer {
            ctx,
            settings,
            dist: None,
        }
    }

    fn dist(&mut self) -> anyhow::Result<&Dist> {
        if self.dist.is_none() {
            self.dist = Some(dist(self.ctx, self.settings, "")?);
        }
        self.dist
            .as_ref()
            .ok_or_else(|| anyhow::anyhow!("the install pipeline is not available"))
    }

    /// The exact toolchain `input` means here and its GOROOT, installing it when missing.
    fn ready(&mut self, input: &str) -> anyhow::Result<(String, PathBuf)> {
        let ctx = self.ctx;
        let (request, name) = if input == "stable" || input == "latest" {
            let name = self.dist()?.resolve(&Spec::Latest)?;
            (Request::Exact(name.clone()), Some(name))
        } else {
            let request = parse_request(ctx, input)?;
            let name = ctx.installed(&request);
            (request, name)
        };
        if let Some(name) = &name
            && let Some(root) = ctx.home.toolchain_root(name)
        {
            return Ok((name.clone(), root));
        }
        let env = |k: &str| std::env::var_os(k);
        let (auto, _) = gomux_home::config::AUTO_INSTALL.flag(&env, || {
            Ok::<_, gomux_home::settings::SettingsError>(self.settings)
        })?;
        if !auto {
            return Err(with_hint(
                format!("{request} is not installed"),
                &[
                    &format!("run `{}`", install_command(&request)),
                    "automatic installs are off (GOMUX_AUTO_INSTALL=0 or `auto_install = false` in settings.toml)",
                ],
            ));
        }
        let name = match name {
            Some(name) => name,
            None => self.dist()?.resolve(&Spec::Version(request.clone()))?,
        };
        eprintln!(
            "installing {name} (for `gomux run {}`)",
            text::escape(input)
        );
        let done = self.dist()?.install(&name)?;
        if done.fresh {
            eprintln!("installed {} in `{}`", done.name, done.dir.display());
            crate::cache::start_base(ctx, self.settings, &done.name);
            // Before the command runs: it may call the new toolchain's versioned proxy.
            sync_proxies(ctx, "");
        }
        let root = ctx.home.toolchain_root(&done.name).ok_or_else(|| {
            with_hint(
                format!(
                    "{} was installed but has no `bin/go` under `{}`",
                    done.name,
                    done.dir.display()
                ),
                &["run `gomux doctor`"],
            )
        })?;
        Ok((done.name, root))
    }
}

/// The child process: `command` with toolchain `name` (GOROOT `root`) first on PATH and the
/// environment and caches the proxy gives a `go +name` call in the working directory.
fn child(
    ctx: &Context,
    settings: &Settings,
    name: &str,
    root: &std::path::Path,
    command: &[OsString],
) -> anyhow::Result<Command> {
    // Resolve as `go +NAME` would, so the project and its caches are found too.
    let plus = OsString::from(format!("+{name}"));
    let mut r = ctx.resolve(&[plus], Tool::Go)?;
    r.selection.request = Request::Exact(name.to_string());
    let env = |k: &str| std::env::var_os(k);
    let plan = gomux_home::cache::plan(
        &ctx.home,
        settings,
        &env,
        r.selection.project_root.as_deref(),
        name,
    )?;
    let (program, rest) = command
        .split_first()
        .ok_or_else(|| anyhow::anyhow!("no command given"))?;
    let mut cmd = Command::new(program);
    cmd.args(rest);
    let depth = gomux_resolve::locate::recursion_depth(&env);
    for (key, value) in gomux_resolve::launch::child_env(&r.selection, root, depth, &plan, &env) {
        match value {
            Some(v) => cmd.env(key, v),
            None => cmd.env_remove(key),
        };
    }
    let mut path = vec![root.join("bin")];
    path.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    cmd.env("PATH", std::env::join_paths(path)?);
    Ok(cmd)
}

fn spawn_error(command: &[OsString], e: &std::io::Error) -> anyhow::Error {
    let program = command
        .first()
        .map(|p| p.to_string_lossy())
        .unwrap_or_default();
    with_hint(
        format!("cannot run `{}`: {e}", text::escape(&program)),
        &["check that the command exists and is on PATH"],
    )
}

/// The summary of `gomux run --each --json`.
#[derive(Serialize)]
struct EachReport {
    /// The command, as given after `--` (lossy for non-UTF-8 arguments).
    command: Vec<String>,
    /// True when every toolchain's run exited 0.
    ok: bool,
    results: Vec<EachResult>,
}

/// One toolchain's run.
#[derive(Serialize)]
struct EachResult {
    /// The toolchain as asked for (`1.22`, `stable`).
    request: String,
    /// The exact toolchain that ran (`go1.22.12`), when one was ready.
    toolchain: Option<String>,
    status: Status,
    /// The command's exit code, when it exited.
    exit_code: Option<i32>,
    /// The signal that killed the command, when one did.
    signal: Option<i32>,
    /// How long the run took (installing not included), in milliseconds.
    duration_ms: u64,
    /// Why the command did not run (a toolchain that cannot be installed).
    error: Option<String>,
}

#[derive(Serialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
enum Status {
    /// The command exited 0.
    Ok,
    /// The command exited non-zero or was killed.
    Failed,
    /// The toolchain could not be made ready, or the command could not be started.
    Error,
    /// Not run: an earlier toolchain failed under `--fail-fast`.
    Skipped,
}

impl Status {
    fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Failed => "failed",
            Status::Error => "error",
            Status::Skipped => "skipped",
        }
    }
}

fn each(
    ctx: &Context,
    settings: &Settings,
    installer: &mut Installer<'_>,
    args: &Args,
) -> anyhow::Result<ExitCode> {
    let shown: Vec<String> = args
        .command
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let words: Vec<String> = shown.iter().map(|a| shell_word(a)).collect();
    let line = text::escape_max(&words.join(" "), 200);
    let mut results: Vec<EachResult> = Vec::new();
    let mut stop = false;
    for input in &args.each {
        let input = input.trim();
        let mut result = EachResult {
            request: input.to_string(),
            toolchain: None,
            status: Status::Skipped,
            exit_code: None,
            signal: None,
            duration_ms: 0,
            error: None,
        };
        if stop {
            results.push(result);
            continue;
        }
        match installer.ready(input) {
            Err(e) => {
                eprintln!("==> {}: cannot run: {e:#}", text::escape(input));
                for h in crate::render::hints(&e) {
                    eprintln!("hint: {h}");
                }
                result.status = Status::Error;
                result.error = Some(format!("{e:#}"));
            }
            Ok((name, root)) => {
                eprintln!("==> {name} ({}): {line}", text::escape(input));
                result.toolchain = Some(name.clone());
                let started = Instant::now();
                let status = child(ctx, settings, &name, &root, &args.command).and_then(|mut c| {
                    if args.json {
                        c.stdout(Stdio::from(std::io::stderr()));
                    }
                    c.status().map_err(|e| spawn_error(&args.command, &e))
                });
                result.duration_ms = millis(started.elapsed());
                match status {
                    Ok(status) => {
                        result.exit_code = status.code();
                        result.signal = signal(status);
                        result.status = if status.success() {
                            Status::Ok
                        } else {
                            Status::Failed
                        };
                    }
                    Err(e) => {
                        eprintln!("error: {e:#}");
                        result.status = Status::Error;
                        result.error = Some(format!("{e:#}"));
                    }
                }
            }
        }
        stop = args.fail_fast && result.status != Status::Ok;
        results.push(result);
    }
    let ok = results.iter().all(|r| r.status == Status::Ok);
    summary(&results);
    if args.json {
        crate::json::print(&EachReport {
            command: shown,
            ok,
            results,
        })?;
    }
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// The summary table on stderr: toolchain, result, exit code, duration.
fn summary(results: &[EachResult]) {
    let rows: Vec<[String; 4]> = results
        .iter()
        .map(|r| {
            let toolchain = match &r.toolchain {
                Some(name) if *name != r.request => format!("{name} ({})", r.request),
                Some(name) => name.clone(),
                None => r.request.clone(),
            };
            let exit = match (r.exit_code, r.signal) {
                (Some(c), _) => c.to_string(),
                (None, Some(s)) => format!("signal {s}"),
                (None, None) => "-".to_string(),
            };
            let time = if matches!(r.status, Status::Ok | Status::Failed) {
                format!("{:.1}s", r.duration_ms as f64 / 1000.0)
            } else {
                "-".to_string()
            };
            [
                text::escape_max(&toolchain, 60),
                r.status.as_str().to_string(),
                exit,
                time,
            ]
        })
        .collect();
    let header = [
        "toolchain".to_string(),
        "result".to_string(),
        "exit".to_string(),
        "time".to_string(),
    ];
    let mut width = [0usize; 4];
    for row in std::iter::once(&header).chain(&rows) {
        for (w, cell) in width.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    eprintln!();
    for row in std::iter::once(&header).chain(&rows) {
        let line = format!(
            "{:<w0$}  {:<w1$}  {:<w2$}  {}",
            row[0],
            row[1],
            row[2],
            row[3],
            w0 = width[0],
            w1 = width[1],
            w2 = width[2]
        );
        eprintln!("{}", line.trim_end());
    }
    let failed = results.iter().filter(|r| r.status != Status::Ok).count();
    if failed == 0 {
        eprintln!("all {} passed", results.len());
    } else {
        eprintln!("{failed} of {} did not pass", results.len());
    }
}

/// An argument as a POSIX shell would need it written, quoted only when it must be.
fn shell_word(arg: &str) -> String {
    let plain = !arg.is_empty()
        && arg
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c));
    if plain {
        arg.to_string()
    } else {
        crate::shell::quote::sh_quote(arg)
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

fn signal(status: ExitStatus) -> Option<i32> {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        status.signal()
    }
    #[cfg(not(unix))]
    {
        let _ = status;
        None
    }
}

/// The child's exit code, or 128+signal when it was killed by a signal.
pub fn exit_code(status: ExitStatus) -> ExitCode {
    if let Some(code) = status.code() {
        return crate::pass_on_exit_code(code);
    }
    if let Some(sig) = signal(status) {
        return ExitCode::from((128 + sig).clamp(0, 255) as u8);
    }
    ExitCode::FAILURE
}

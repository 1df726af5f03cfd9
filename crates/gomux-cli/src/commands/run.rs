//! `gomux run VERSION -- CMD ARGS...`: run a command with a toolchain first on PATH and the
//! environment the proxy would give.

use std::ffi::OsString;
use std::process::{Command, ExitCode};

use gomux_resolve::Tool;

use crate::context::Context;
use crate::context::install_command;
use crate::render::with_hint;
use crate::request::parse_request;

#[derive(clap::Args)]
pub struct Args {
    /// The toolchain: `1.22.3`, `go1.22.3`, `1.22` or a linked name
    #[arg(value_name = "VERSION")]
    toolchain: String,
    /// The command and its arguments
    #[arg(last = true, required = true, value_name = "CMD")]
    command: Vec<OsString>,
}

pub fn run(ctx: &Context, args: Args) -> anyhow::Result<ExitCode> {
    let request = parse_request(ctx, &args.toolchain)?;
    // Resolve as `go +VERSION` would, so the project and its caches are found too.
    let plus = OsString::from(format!("+{}", request_arg(&request)));
    let mut r = ctx.resolve(&[plus], Tool::Go)?;
    r.selection.request = request.clone();
    let name = ctx.installed(&request);
    let (Some(name), Some(root)) = (
        name.clone(),
        name.as_deref().and_then(|n| ctx.home.toolchain_root(n)),
    ) else {
        return Err(with_hint(
            format!("{request} is not installed"),
            &[&format!("run `{}`", install_command(&request))],
        ));
    };
    let settings = ctx.settings()?;
    let env = |k: &str| std::env::var_os(k);
    let plan = gomux_home::cache::plan(
        &ctx.home,
        &settings,
        &env,
        r.selection.project_root.as_deref(),
        &name,
    )?;
    let (program, rest) = args
        .command
        .split_first()
        .ok_or_else(|| anyhow::anyhow!("no command given"))?;
    let mut cmd = Command::new(program);
    cmd.args(rest);
    let depth = gomux_resolve::locate::recursion_depth(&env);
    for (key, value) in gomux_resolve::launch::child_env(&r.selection, &root, depth, &plan, &env) {
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
    let status = cmd.status().map_err(|e| {
        with_hint(
            format!("cannot run `{}`: {e}", program.to_string_lossy()),
            &["check that the command exists and is on PATH"],
        )
    })?;
    Ok(exit_code(status))
}

fn request_arg(request: &gomux_version::Request) -> String {
    match request {
        gomux_version::Request::Exact(n) => n.clone(),
        gomux_version::Request::Family(f) => f.clone(),
    }
}

/// The child's exit code, or 128+signal when it was killed by a signal.
pub fn exit_code(status: std::process::ExitStatus) -> ExitCode {
    if let Some(code) = status.code() {
        return crate::pass_on_exit_code(code);
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(sig) = status.signal() {
            return ExitCode::from((128 + sig).clamp(0, 255) as u8);
        }
    }
    ExitCode::FAILURE
}

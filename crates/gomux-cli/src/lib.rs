//! The `gomux` command-line interface as a library: parse the command line, call the crates,
//! render. The binary's `main.rs` only calls [`main`].
//!
//! Every subcommand lives in `commands/<name>.rs` with its own clap `Args` and a
//! `run(&Context, Args) -> anyhow::Result<ExitCode>`; commands never import each other: what
//! two of them share lives in the module that owns the concept (`shell` for quoting and the
//! profile block, `doctor` for the checks, `dist` for the configured install pipeline).
//! Errors are printed by `render::report` as `error: ...`, the cause chain, then `hint: ...`
//! lines.

mod cache;
mod commands;
mod context;
mod dist;
mod doctor;
mod progress;
mod proxies;
mod render;
mod request;
mod shell;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use context::Context;
// Transitional: `cache/`, `commands/cache.rs`, `commands/show.rs`, `context.rs` and
// `proxies.rs` still name these through the crate root while they are being moved this round;
// every other module imports them from `context` and `render`, which own them.
#[allow(unused_imports)]
use render::with_hint;

/// A Go toolchain multiplexer: the right Go SDK in every directory.
#[derive(Parser)]
#[command(name = "gomux", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Register a Go SDK that is already on disk (any folder, any drive).
    Link(commands::link::Args),
    /// List installed and linked toolchains (`--remote` for releases).
    #[command(visible_alias = "ls")]
    List(commands::list::Args),
    /// Show or set the default toolchain.
    Default(commands::default::Args),
    /// Pin this folder to a toolchain (writes `.go-version`).
    Pin(commands::pin::Args),
    /// Print the path of a tool (or the GOROOT) that `go` would run here.
    Which(commands::which::Args),
    /// Show the toolchain this folder selects, and why.
    Show(commands::show::Args),
    /// Run a command with a toolchain first on PATH.
    Run(commands::run::Args),
    /// Install Go toolchains.
    Install(commands::install::Args),
    /// Remove installed toolchains (or unregister linked ones).
    #[command(visible_alias = "rm")]
    Uninstall(commands::uninstall::Args),
    /// Inspect, clean and verify the GOCACHE/GOMODCACHE folders.
    Cache(commands::cache::Args),
    /// Print the environment a `go` call here gets (for shells, IDEs, Dockerfiles).
    Env(commands::env::Args),
    /// Check the installation and environment for problems.
    Doctor(commands::doctor::Args),
    /// Create the gomux home and the proxies.
    Setup(commands::setup::Args),
    /// Print shell completions.
    Completions(commands::completions::Args),
}

/// Runs `gomux` with the process's arguments and returns its exit status.
/// Windows: the exit code of the child whose code `gomux` passes on (`gomux run`, the proxy's
/// run after an automatic install), all 32 bits of it. `ExitCode` holds a byte, so `main.rs`
/// exits with this instead when it is set: 256 must not become 0, nor 0xC000013A 58.
static PASSED_ON: std::sync::OnceLock<u32> = std::sync::OnceLock::new();

/// Records `code` as the process's exit code on Windows ([`passed_on_exit_code`]) and returns
/// the byte-sized `ExitCode` other platforms use.
pub fn pass_on_exit_code(code: i32) -> ExitCode {
    #[cfg(windows)]
    let _ = PASSED_ON.set(code as u32);
    ExitCode::from(code.clamp(0, 255) as u8)
}

/// The child's exit code `main` must exit with (Windows only; `None` elsewhere).
pub fn passed_on_exit_code() -> Option<u32> {
    PASSED_ON.get().copied()
}

pub fn main() -> ExitCode {
    // Before anything is printed (clap's own `--help` included): a closed stdout is a quiet
    // exit 0, never a panic or an abort. See `render::exit_quietly_on_closed_stdout`.
    render::exit_quietly_on_closed_stdout();
    let cli = Cli::parse();
    let result = Context::from_env().and_then(|ctx| match cli.command {
        Command::Link(a) => commands::link::run(&ctx, a),
        Command::List(a) => commands::list::run(&ctx, a),
        Command::Default(a) => commands::default::run(&ctx, a),
        Command::Pin(a) => commands::pin::run(&ctx, a),
        Command::Which(a) => commands::which::run(&ctx, a),
        Command::Show(a) => commands::show::run(&ctx, a),
        Command::Run(a) => commands::run::run(&ctx, a),
        Command::Install(a) => commands::install::run(&ctx, a),
        Command::Uninstall(a) => commands::uninstall::run(&ctx, a),
        Command::Cache(a) => commands::cache::run(&ctx, a),
        Command::Env(a) => commands::env::run(&ctx, a),
        Command::Doctor(a) => commands::doctor::run(&ctx, a),
        Command::Setup(a) => commands::setup::run(&ctx, a),
        Command::Completions(a) => {
            commands::completions::run(&ctx, a, <Cli as clap::CommandFactory>::command())
        }
    });
    match result {
        Ok(code) => code,
        Err(err) if render::is_closed_stdout_error(&err) => ExitCode::SUCCESS,
        Err(err) => {
            render::report(&err);
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_command_line_is_consistent() {
        <super::Cli as clap::CommandFactory>::command().debug_assert();
    }
}

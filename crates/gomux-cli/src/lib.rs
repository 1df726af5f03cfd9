//! The `gomux` command-line interface as a library: parse the command line, call the crates,
//! render. The binary's `main.rs` only calls [`main`].
//!
//! Every subcommand lives in `commands/<name>.rs` with its own clap `Args` and a
//! `run(&Context, Args) -> anyhow::Result<ExitCode>`; commands never import each other: what
//! two of them share lives in the module that owns the concept (`shell` for quoting and the
//! profile block, `doctor` for the checks, `dist` for the configured install pipeline).
//! Errors are printed by `render::report` as `error: ...`, the cause chain, then `hint: ...`
//! lines; data goes to stdout and everything else to stderr (see `render`).

mod cache;
mod commands;
mod context;
mod dist;
mod doctor;
mod json;
mod log;
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

/// The top of `gomux -h`: what gomux is, in one line.
const ABOUT: &str = "gomux: the right Go toolchain in every folder";

/// The top of `gomux --help`: what gomux is and how it works; then, after the commands, the
/// three commands a new user runs first.
const LONG_ABOUT: &str = "gomux: the right Go toolchain in every folder.

A `go` proxy on PATH picks, on every call, the SDK the project asks for (`.go-version`, go.work, \
go.mod, else the default toolchain), installs it when it is missing, and gives each project its \
own build and module caches. This command sets the proxy up and manages the toolchains.";

const AFTER_HELP: &str = "\
Get started:
  gomux setup             create the gomux home and put the `go` proxy on PATH
  gomux install 1.23      install a toolchain (or let the first `go` call do it)
  gomux default 1.23      use it wherever no project pins another

Then `gomux pin 1.22` in a project, and `gomux show` says which toolchain a folder gets, and why.
Docs: docs/cli.md (flags, colour, exit codes), docs/version-selection.md.";

/// The `gomux` command line. Subcommands are listed in `--help` in the order they are declared:
/// the first-day commands first, then the everyday ones, then the tools.
#[derive(Parser)]
#[command(
    name = "gomux",
    version,
    about = ABOUT,
    long_about = LONG_ABOUT,
    after_help = AFTER_HELP,
    propagate_version = true
)]
struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Command,
}

/// Flags every command takes (before or after the command's name).
#[derive(clap::Args)]
struct Global {
    /// More output on stderr: `-v` shows gomux's decisions (settings read, mirror and index
    /// used), `-vv` also the HTTP client's; `GOMUX_LOG` overrides
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    /// No status lines ("installed", "linked", ...); errors, warnings and data are still printed
    #[arg(short, long, global = true)]
    quiet: bool,
    /// No progress bars (there are none unless stderr is a terminal); as `GOMUX_NO_PROGRESS=1`
    #[arg(long, global = true)]
    no_progress: bool,
}

#[derive(Subcommand)]
enum Command {
    /// Create the gomux home and the proxies.
    Setup(commands::setup::Args),
    /// Install Go toolchains.
    Install(commands::install::Args),
    /// Install the newest patch of each installed minor release (`--dry-run` to see).
    Update(commands::update::Args),
    /// Show or set the default toolchain.
    Default(commands::default::Args),
    /// Pin this folder to a toolchain (writes `.go-version`).
    Pin(commands::pin::Args),
    /// Remove this folder's pin (the `.go-version` that `gomux pin` wrote).
    Unpin(commands::unpin::Args),
    /// Show the toolchain this folder selects, and why.
    Show(commands::show::Args),
    /// List installed and linked toolchains (`--remote` for releases).
    #[command(visible_alias = "ls")]
    List(commands::list::Args),
    /// Run a command with a toolchain first on PATH.
    Run(commands::run::Args),
    /// Print the path of a tool (or the GOROOT) that `go` would run here.
    Which(commands::which::Args),
    /// Print the environment a `go` call here gets (for shells, IDEs, Dockerfiles).
    Env(commands::env::Args),
    /// Register a Go SDK that is already on disk (any folder, any drive).
    #[command(
        override_usage = "gomux link [OPTIONS] [NAME] <PATH>",
        long_about = "Register a Go SDK that is already on disk (any folder, any drive).\n\n\
            `gomux link PATH` registers the SDK under its own name, from its VERSION file \
            (`gomux link /usr/local/go` registers `go1.22.3`); `gomux link NAME PATH` under \
            another name (`gomux link go1.22-corp D:\\go-corp`). The SDK stays where it is: \
            `gomux uninstall NAME` only removes the link."
    )]
    Link(commands::link::Args),
    /// Remove installed toolchains (or unregister linked ones).
    #[command(visible_alias = "rm")]
    Uninstall(commands::uninstall::Args),
    /// Remove toolchains and caches unused for a while (`--unused-for 90d`).
    Prune(commands::prune::Args),
    /// Re-check installed toolchains against the hash that proved them.
    Verify(commands::verify::Args),
    /// Inspect, clean and verify the GOCACHE/GOMODCACHE folders.
    Cache(commands::cache::Args),
    /// Show and change the settings (`list`, `get KEY`, `set KEY VALUE`, `unset KEY`).
    Config(commands::config::Args),
    /// The GOCACHEPROG helper the proxy runs Go with when a remote cache is configured.
    #[command(hide = true)]
    Cacheprog(commands::cacheprog::Args),
    /// Check the installation and environment for problems.
    Doctor(commands::doctor::Args),
    /// Update or uninstall gomux itself (`self update`, `self uninstall`).
    #[command(name = "self")]
    Self_(commands::self_cmd::Args),
    /// Print shell completions.
    Completions(commands::completions::Args),
    /// Used by the completion scripts: the toolchain names to complete, one a line.
    #[command(name = "__complete-toolchains", hide = true)]
    CompleteToolchains(commands::completions::ToolchainsArgs),
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
    render::configure(cli.global.quiet, cli.global.no_progress);
    log::init(cli.global.verbose);
    let result = Context::from_env().and_then(|ctx| match cli.command {
        Command::Link(a) => commands::link::run(&ctx, a),
        Command::List(a) => commands::list::run(&ctx, a),
        Command::Default(a) => commands::default::run(&ctx, a),
        Command::Pin(a) => commands::pin::run(&ctx, a),
        Command::Unpin(a) => commands::unpin::run(&ctx, a),
        Command::Which(a) => commands::which::run(&ctx, a),
        Command::Show(a) => commands::show::run(&ctx, a),
        Command::Run(a) => commands::run::run(&ctx, a),
        Command::Install(a) => commands::install::run(&ctx, a),
        Command::Update(a) => commands::update::run(&ctx, a),
        Command::Prune(a) => commands::prune::run(&ctx, a),
        Command::Uninstall(a) => commands::uninstall::run(&ctx, a),
        Command::Verify(a) => commands::verify::run(&ctx, a),
        Command::Cache(a) => commands::cache::run(&ctx, a),
        Command::Cacheprog(a) => commands::cacheprog::run(&ctx, a),
        Command::Env(a) => commands::env::run(&ctx, a),
        Command::Config(a) => commands::config::run(&ctx, a),
        Command::Doctor(a) => commands::doctor::run(&ctx, a),
        Command::Setup(a) => commands::setup::run(&ctx, a),
        Command::Self_(a) => commands::self_cmd::run(&ctx, a),
        Command::Completions(a) => {
            commands::completions::run(&ctx, a, <Cli as clap::CommandFactory>::command())
        }
        Command::CompleteToolchains(a) => commands::completions::run_toolchains(&ctx, a),
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

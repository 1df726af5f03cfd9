//! `cargo xtask <task> [args]`: developer tasks that need more than a shell line.
//!
//! A small dispatcher on the first argument, on purpose without an argument-parsing crate:
//! each task parses its own arguments, so adding one is a module, one row in [`TASKS`] and
//! one arm in [`run`]. Progress goes to stderr; a task's result (a path, a report) to stdout.

use std::ffi::OsString;
use std::process::ExitCode;

mod bench;
mod docs;
mod fidelity;
mod fixtures;
mod install;
mod test;
mod windows;

/// Every task, with the one-line help shown by `cargo xtask help`.
const TASKS: &[(&str, &str)] = &[
    (
        "sumdb",
        "build the loopback checksum database of the goproxy tests (x/mod's reference server)",
    ),
    (
        "install",
        "build gomux (release) and set it up for this user (`gomux setup`)",
    ),
    (
        "test",
        "the whole suite as CI runs it: fixtures, fmt, clippy, every test with real Go required",
    ),
    (
        "fixtures",
        "build real Go SDK archives and a release index (a `file://` mirror) for the real-Go tests",
    ),
    (
        "fidelity",
        "compare gomux's toolchain choice with real Go releases on generated cases",
    ),
    (
        "docs",
        "generate docs/environment.md and docs/settings.md from the registries (`--check` to verify)",
    ),
    (
        "windows",
        "build gomux for x86_64-pc-windows-gnu and run its unit and end-to-end tests under Wine",
    ),
    (
        "bench",
        "measure the proxy's overhead and the install pipeline; writes docs/benchmarks.md",
    ),
];

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1);
    let task = args.next();
    let rest: Vec<OsString> = args.collect();
    match run(task, rest) {
        Ok(()) => ExitCode::SUCCESS,
        // Already reported, above the last lines that must stay last.
        Err(err) if err.is::<fidelity::Disagreements>() => ExitCode::FAILURE,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(task: Option<OsString>, args: Vec<OsString>) -> anyhow::Result<()> {
    let Some(task) = task else {
        eprint!("{}", usage());
        anyhow::bail!("no task given: run `cargo xtask <task>`");
    };
    match task.to_str() {
        Some("fixtures") => fixtures::run(args),
        Some("sumdb") => fixtures::sumdb::run(args),
        Some("install") => install::run(args),
        Some("test") => test::run(args),
        Some("docs") => docs::run(args),
        Some("fidelity") => fidelity::run(args),
        Some("bench") => bench::run(args),
        Some("windows") => windows::run(args),
        Some("help" | "-h" | "--help") => {
            print!("{}", usage());
            Ok(())
        }
        _ => {
            eprint!("{}", usage());
            anyhow::bail!("unknown task `{}`", task.to_string_lossy())
        }
    }
}

fn usage() -> String {
    let mut text = String::from("usage: cargo xtask <task> [args]\n\ntasks:\n");
    for (name, help) in TASKS {
        text.push_str(&format!("  {name:<10} {help}\n"));
    }
    text.push_str("\n`cargo xtask <task> --help` describes a task's arguments\n");
    text
}

//! `gomux completions SHELL`: print a completion script.

use std::process::ExitCode;

use clap_complete::Shell;

use crate::context::Context;

#[derive(clap::Args)]
pub struct Args {
    /// bash, zsh, fish, powershell or elvish
    shell: Shell,
}

pub fn run(_ctx: &Context, args: Args, mut cmd: clap::Command) -> anyhow::Result<ExitCode> {
    // The generator panics on a failed write with a message of its own; into memory it cannot
    // fail, and `print!` then goes the way every command's output goes (a closed stdout is a
    // quiet exit, see `render`).
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "gomux", &mut script);
    print!("{}", String::from_utf8_lossy(&script));
    Ok(ExitCode::SUCCESS)
}

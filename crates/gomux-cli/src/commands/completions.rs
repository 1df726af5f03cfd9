//! `gomux completions SHELL`: print a completion script.

use std::process::ExitCode;

use clap_complete::Shell;

use crate::Context;

#[derive(clap::Args)]
pub struct Args {
    /// bash, zsh, fish, powershell or elvish
    shell: Shell,
}

pub fn run(_ctx: &Context, args: Args, mut cmd: clap::Command) -> anyhow::Result<ExitCode> {
    clap_complete::generate(args.shell, &mut cmd, "gomux", &mut std::io::stdout());
    Ok(ExitCode::SUCCESS)
}

use std::process::ExitCode;

use crate::Context;

#[derive(clap::Args)]
pub struct Args {}

pub fn run(_ctx: &Context, _args: Args, _cmd: clap::Command) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`gomux completions` is not implemented yet")
}

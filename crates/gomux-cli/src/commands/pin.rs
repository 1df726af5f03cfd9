//! `gomux pin VERSION`: write `.go-version` in the current folder.

use std::process::ExitCode;

use anyhow::Context as _;
use gomux_version::Request;

use crate::Context;
use crate::context::install_command;

#[derive(clap::Args)]
pub struct Args {
    /// The version to pin: `1.22.3`, `go1.22.3` or `1.22` (newest 1.22.x)
    #[arg(value_name = "VERSION")]
    toolchain: String,
}

pub fn run(ctx: &Context, args: Args) -> anyhow::Result<ExitCode> {
    let request = super::default::parse_request(ctx, &args.toolchain)?;
    let text = match &request {
        Request::Exact(name) => match gomux_version::from_toolchain(name) {
            Some(v) if name == &format!("go{v}") => v.to_string(),
            _ => name.clone(),
        },
        Request::Family(f) => f.clone(),
    };
    let path = ctx.cwd.join(".go-version");
    std::fs::write(&path, format!("{text}\n"))
        .with_context(|| format!("cannot write `{}`", path.display()))?;
    println!(
        "pinned {} to {text} (wrote `{}`)",
        ctx.cwd.display(),
        path.display()
    );
    if ctx.installed(&request).is_none() {
        eprintln!(
            "note: {request} is not installed yet; it is installed on first use, or now with `{}`",
            install_command(&request)
        );
    }
    Ok(ExitCode::SUCCESS)
}

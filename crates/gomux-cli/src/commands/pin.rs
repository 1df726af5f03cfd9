//! `gomux pin VERSION`: write `.go-version` in the current folder.
//!
//! The pin file is replaced atomically ([`gomux_home::fsx::write_atomic`]): every `go` call in
//! the repository reads it, so a kill or a full disk must leave the old pin whole, never an
//! empty file.

use std::process::ExitCode;

use gomux_home::fsx;
use gomux_version::Request;

use crate::context::Context;
use crate::context::install_command;
use crate::request::parse_request;

#[derive(clap::Args)]
pub struct Args {
    /// The version to pin: `1.22.3`, `go1.22.3` or `1.22` (newest 1.22.x)
    #[arg(value_name = "VERSION")]
    toolchain: String,
}

pub fn run(ctx: &Context, args: Args) -> anyhow::Result<ExitCode> {
    let request = parse_request(ctx, &args.toolchain)?;
    let text = match &request {
        Request::Exact(name) => match gomux_version::from_toolchain(name) {
            Some(v) if name == &format!("go{v}") => v.to_string(),
            _ => name.clone(),
        },
        Request::Family(f) => f.clone(),
    };
    let path = ctx.cwd.join(".go-version");
    fsx::write_atomic(&path, format!("{text}\n").as_bytes())?;
    crate::render::status!(
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

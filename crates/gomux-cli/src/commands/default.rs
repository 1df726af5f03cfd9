//! `gomux default [VERSION]`: show or set the default toolchain.

use std::process::ExitCode;

use gomux_home::settings::{Value, keys};
use gomux_resolve::launch;
use gomux_version::Request;

use crate::context::Context;
use crate::context::install_command;
use crate::render::with_hint;
use crate::request::parse_request;

#[derive(clap::Args)]
pub struct Args {
    /// The new default: `1.22.3`, `go1.22.3`, `1.22` (newest 1.22.x) or a linked name
    #[arg(value_name = "VERSION")]
    toolchain: Option<String>,
}

pub fn run(ctx: &Context, args: Args) -> anyhow::Result<ExitCode> {
    let Some(version) = args.toolchain else {
        let settings = ctx.settings()?;
        match launch::default_toolchain(&settings)? {
            Some((request, _)) => {
                let installed = ctx.installed(&request);
                match installed {
                    Some(name) if Request::Exact(name.clone()) != request => {
                        println!("{request} (currently {name})")
                    }
                    Some(_) => println!("{request}"),
                    None => println!("{request} (not installed)"),
                }
            }
            None => {
                return Err(with_hint(
                    "no default toolchain is set",
                    &["set one with `gomux default 1.23`"],
                ));
            }
        }
        return Ok(ExitCode::SUCCESS);
    };
    let request = parse_request(ctx, &version)?;
    let stored = match &request {
        Request::Exact(name) => name.clone(),
        Request::Family(f) => f.clone(),
    };
    ctx.home.update_setting(
        keys::DEFAULT_TOOLCHAIN,
        Some(&Value::String(stored.clone())),
    )?;
    crate::render::status!("default toolchain set to {stored}");
    if ctx.installed(&request).is_none() {
        eprintln!(
            "note: {request} is not installed yet; it is installed on first use, or now with `{}`",
            install_command(&request)
        );
    }
    Ok(ExitCode::SUCCESS)
}

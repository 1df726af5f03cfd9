//! `gomux uninstall VERSION...`: remove installed toolchains; for a linked toolchain, remove
//! only the link (the SDK it points to is never touched).

use std::process::ExitCode;

use gomux_dist::{Options, Removed};
use gomux_resolve::launch;
use gomux_version::Request;

use crate::context::Context;
use crate::dist::sync_proxies;
use crate::render::with_hint;

#[derive(clap::Args)]
pub struct Args {
    /// Toolchains to remove: `1.22.3`, `go1.22.3`, or a linked toolchain's name
    #[arg(value_name = "VERSION", required = true)]
    names: Vec<String>,
    /// Remove the default toolchain too
    #[arg(long)]
    force: bool,
}

/// The toolchain name an argument means: an entry of `toolchains/` as written, else an exact
/// version (`1.22.3` -> `go1.22.3`).
fn name_for(ctx: &Context, input: &str) -> anyhow::Result<String> {
    if gomux_version::is_safe_name(input)
        && std::fs::symlink_metadata(ctx.home.toolchain_dir(input)).is_ok()
    {
        return Ok(input.to_string());
    }
    match Request::parse(input) {
        Ok(Request::Exact(name)) => Ok(name),
        Ok(family @ Request::Family(_)) => {
            let matching: Vec<String> = ctx
                .home
                .toolchain_names()
                .into_iter()
                .filter(|n| family.matches(n))
                .collect();
            let hint = if matching.is_empty() {
                "`gomux list` shows what is installed".to_string()
            } else {
                format!("installed: {}", matching.join(", "))
            };
            Err(with_hint(
                format!("`{input}` names a family of releases; name the exact toolchain to remove"),
                &[hint.as_str()],
            ))
        }
        Err(e) => Err(crate::render::add_hints(
            e,
            &["`gomux list` shows the toolchain names"],
        )),
    }
}

pub fn run(ctx: &Context, args: Args) -> anyhow::Result<ExitCode> {
    let settings = ctx.settings()?;
    let options = Options::from_env(|k: &str| std::env::var_os(k))?;
    let default = launch::default_toolchain(&settings)?
        .and_then(|(request, _)| ctx.installed(&request).map(|n| (request, n)));
    let mut names = Vec::new();
    for input in &args.names {
        let name = name_for(ctx, input)?;
        if let Some((request, default_name)) = &default
            && *default_name == name
            && !args.force
        {
            return Err(with_hint(
                format!("{name} is the default toolchain (`{request}`)"),
                &[
                    "set another default first with `gomux default VERSION`",
                    "or remove it anyway with `gomux uninstall --force`",
                ],
            ));
        }
        names.push(name);
    }
    let mut changed = false;
    for name in names {
        let removed = gomux_dist::uninstall(&ctx.home, &name, &options, &|m| {
            crate::render::status!("{m}")
        });
        match removed {
            Ok(Removed::Deleted(dir)) => {
                crate::render::status!("removed {name} from `{}`", dir.display());
                changed = true;
            }
            Ok(Removed::Unlinked(_)) => {
                crate::render::status!("unlinked {name} (the SDK it pointed to is untouched)");
                changed = true;
            }
            Err(e) => {
                if changed {
                    sync_proxies(ctx, "");
                }
                return Err(e.into());
            }
        }
    }
    if changed {
        sync_proxies(ctx, "");
    }
    Ok(ExitCode::SUCCESS)
}

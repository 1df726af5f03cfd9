//! `gomux list [--json]`: installed and linked toolchains, with the default and the active one
//! marked. `--remote` lists releases from the index.

use std::process::ExitCode;

use gomux_resolve::{Tool, launch};

use crate::context::Context;
use crate::json;

#[derive(clap::Args)]
pub struct Args {
    /// Print one JSON object (docs/json.md)
    #[arg(long)]
    json: bool,
    /// List the releases available for download instead
    #[arg(long)]
    remote: bool,
    /// With `--remote`: include unstable and archived releases
    #[arg(long, requires = "remote")]
    all: bool,
}

pub fn run(ctx: &Context, args: Args) -> anyhow::Result<ExitCode> {
    if args.remote {
        return super::list_remote::list_remote(ctx, args.all, args.json);
    }
    let settings = ctx.settings()?;
    let default = launch::default_toolchain(&settings)?.and_then(|(req, _)| ctx.installed(&req));
    // The active toolchain here; a resolution error just means none is active.
    let active = ctx.resolve(&[], Tool::Go).ok().and_then(|r| r.name);
    let mut rows = Vec::new();
    // An unreadable `toolchains/` is said so, never listed as "no toolchains installed".
    for name in ctx.home.try_toolchain_names()? {
        let dir = ctx.home.toolchain_dir(&name);
        let linked = ctx.home.is_linked(&name);
        let target = linked.then(|| ctx.home.link_target(&name).unwrap_or_default());
        let usable = ctx.home.toolchain_root(&name).is_some();
        rows.push((name, dir, linked, target, usable));
    }
    if args.json {
        let toolchains = rows
            .iter()
            .map(|(name, dir, linked, target, usable)| json::Toolchain {
                name: name.clone(),
                path: json::path(dir),
                kind: if *linked { "linked" } else { "installed" },
                target: json::opt_path(target.as_deref()),
                usable: *usable,
                default: default.as_deref() == Some(name.as_str()),
                active: active.as_deref() == Some(name.as_str()),
            })
            .collect();
        json::print(&json::List { toolchains })?;
        return Ok(ExitCode::SUCCESS);
    }
    if rows.is_empty() {
        eprintln!(
            "no toolchains installed or linked; try `gomux install 1.23` or `gomux link PATH`"
        );
        return Ok(ExitCode::SUCCESS);
    }
    for (name, _, _, target, usable) in rows {
        let mut marks = Vec::new();
        if default.as_deref() == Some(name.as_str()) {
            marks.push("default".to_string());
        }
        if active.as_deref() == Some(name.as_str()) {
            marks.push("active".to_string());
        }
        if let Some(t) = target {
            marks.push(format!("linked: {}", t.display()));
        }
        if !usable {
            marks.push("broken: no bin/go".to_string());
        }
        if marks.is_empty() {
            println!("{name}");
        } else {
            println!("{name} ({})", marks.join(", "));
        }
    }
    Ok(ExitCode::SUCCESS)
}

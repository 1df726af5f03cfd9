//! `gomux show [--json]`: the toolchain this folder selects, why, and what `go` will get.

use std::process::ExitCode;

use gomux_resolve::{DefaultSource, Tool};
use serde_json::json;

use crate::Context;

#[derive(clap::Args)]
pub struct Args {
    /// Print one JSON object
    #[arg(long)]
    json: bool,
    /// The arguments of a `go` call to explain (`gomux show -- -C sub build`): a `+VERSION`
    /// first and `-C dir` count as they do for the proxy
    #[arg(last = true, value_name = "GO ARGS")]
    go_args: Vec<std::ffi::OsString>,
}

pub fn run(ctx: &Context, args: Args) -> anyhow::Result<ExitCode> {
    let r = ctx.resolve(&args.go_args, Tool::Go)?;
    let sel = &r.selection;
    let settings = ctx.settings()?;
    let env = |k: &str| std::env::var_os(k);
    let toolchain = r.name.clone().unwrap_or_else(|| sel.request.to_string());
    let cache = gomux_home::cache::compute(
        &ctx.home,
        &settings,
        &env,
        sel.project_root.as_deref(),
        &toolchain,
    );
    let here = crate::cache::here(ctx, &ctx.cwd);
    let goroot = r
        .root
        .as_ref()
        .map(|p| std::fs::canonicalize(p).unwrap_or_else(|_| p.clone()));
    let (file, line) = match sel.source.file_line() {
        Some((f, l)) => (Some(f.display().to_string()), Some(l)),
        None => (None, None),
    };
    let default = sel.default.as_ref().map(|(req, from)| {
        json!({
            "toolchain": req.to_string(),
            "from": match from {
                DefaultSource::Settings(_) => "settings",
                DefaultSource::GoToolchain(_) => "gotoolchain",
                DefaultSource::PinAbove { .. } => "pin-file",
            },
            "reason": sel_default_reason(from),
        })
    });
    if args.json {
        let cache_json = match (&cache, &here) {
            (Ok(plan), Ok(here)) => json!({
                "mode": plan.mode.as_str(),
                "gocache": plan.gocache.as_ref().map(|p| p.display().to_string()),
                "gomodcache": plan.gomodcache.as_ref().map(|p| p.display().to_string()),
                "reason": plan.reason(),
                "effective": crate::commands::cache::plan_json(here),
            }),
            (Err(e), _) => json!({ "error": e.to_string() }),
            (_, Err(e)) => json!({ "error": e.to_string() }),
        };
        let out = json!({
            "toolchain": toolchain,
            "request": sel.request.to_string(),
            "source": sel.source.kind(),
            "reason": sel.source.to_string(),
            "file": file,
            "line": line,
            "project_root": sel.project_root.as_ref().map(|p| p.display().to_string()),
            "installed": r.root.is_some(),
            "goroot": goroot.as_ref().map(|p| p.display().to_string()),
            "gotoolchain": sel.child_gotoolchain().to_string_lossy(),
            "default": default,
            "cache": cache_json,
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(ExitCode::SUCCESS);
    }
    let state = match &goroot {
        Some(p) => format!("installed at {}", p.display()),
        None => "not installed".to_string(),
    };
    println!("toolchain:    {toolchain} ({state})");
    println!("selected by:  {}", sel.source);
    if let Some(m) = &sel.module {
        let describe = |l: &Option<gomux_resolve::files::Lined<String>>, key: &str| match l {
            Some(l) => format!("{key} {} (line {})", l.value, l.line),
            None => format!("no {key} line"),
        };
        println!(
            "module file:  {}: {}, {}",
            m.path.display(),
            describe(&m.lines.go, "go"),
            describe(&m.lines.toolchain, "toolchain")
        );
    }
    if let Some((req, from)) = &sel.default {
        println!("default:      {req} ({})", sel_default_reason(from));
    }
    if let Some(root) = &sel.project_root {
        println!("project:      {}", root.display());
    }
    println!(
        "GOTOOLCHAIN:  {}",
        sel.child_gotoolchain().to_string_lossy()
    );
    // The caches as `gomux cache dir` shows them: the value Go will use, where it comes from,
    // and any `go env -w` value it overrides.
    match &here {
        Ok(here) => {
            for line in crate::commands::cache::plan_lines(here) {
                println!("{line}");
            }
        }
        Err(e) => println!("caches:       error: {e}"),
    }
    Ok(ExitCode::SUCCESS)
}

fn sel_default_reason(from: &DefaultSource) -> String {
    match from {
        DefaultSource::Settings(p) => format!("set in {}", p.display()),
        DefaultSource::GoToolchain(gomux_resolve::goenv::Origin::Env) => {
            "set by GOTOOLCHAIN in the environment".to_string()
        }
        DefaultSource::GoToolchain(gomux_resolve::goenv::Origin::File(p)) => {
            format!("set by GOTOOLCHAIN in {}", p.display())
        }
        DefaultSource::PinAbove { path, line } => {
            format!("set by {}:{line}, above the project", path.display())
        }
    }
}

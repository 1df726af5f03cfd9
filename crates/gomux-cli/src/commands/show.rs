//! `gomux show [--json]`: the toolchain this folder selects, why, and what `go` will get.
//!
//! Much of what it prints came from files a repository controls (paths, `go` lines) or from
//! the environment (GOTOOLCHAIN): the text form shows every such value escaped and shortened
//! (`gomux_home::text`), so it can neither rewrite the terminal nor flood it. `--json` keeps
//! the exact values, which JSON escapes itself.

use std::process::ExitCode;

use gomux_home::text;
use gomux_resolve::DefaultSource;
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
    // One resolution for the toolchain and the caches, with the call's own `-C` and `+VERSION`.
    let (r, cache) = ctx.resolve_with_caches(&ctx.cwd, &args.go_args)?;
    let sel = &r.selection;
    let toolchain = r.name.clone().unwrap_or_else(|| sel.request.to_string());
    let here = cache.as_ref().map(|plan| {
        crate::cache::Here::new(plan.clone(), sel.project_root.clone(), r.name.clone())
    });
    let goroot = r
        .root
        .as_ref()
        .map(|p| gomux_home::path::canonicalize(p).unwrap_or_else(|_| p.clone()));
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
            "instead_of": r.instead_of.as_ref().map(|wanted| json!({
                "toolchain": wanted,
                "reason": instead_of_reason(wanted, &toolchain),
            })),
            "goroot": goroot.as_ref().map(|p| p.display().to_string()),
            "gotoolchain": sel.child_gotoolchain().to_string_lossy(),
            "default": default,
            "cache": cache_json,
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(ExitCode::SUCCESS);
    }
    let state = match &goroot {
        Some(p) => format!("installed at {}", text::escape_path(p)),
        None => "not installed".to_string(),
    };
    println!("toolchain:    {} ({state})", text::escape(&toolchain));
    if let Some(wanted) = &r.instead_of {
        println!(
            "instead of:   {}",
            text::escape_max(&instead_of_reason(wanted, &toolchain), MAX_LINE)
        );
    }
    println!("selected by:  {}", sel.source);
    if let Some(m) = &sel.module {
        let describe = |l: &Option<gomux_resolve::files::Lined<String>>, key: &str| match l {
            Some(l) => format!("{key} {} (line {})", text::escape(&l.value), l.line),
            None => format!("no {key} line"),
        };
        println!(
            "module file:  {}: {}, {}",
            text::escape_path(&m.path),
            describe(&m.lines.go, "go"),
            describe(&m.lines.toolchain, "toolchain")
        );
    }
    if let Some((req, from)) = &sel.default {
        println!(
            "default:      {} ({})",
            text::escape(&req.to_string()),
            sel_default_reason(from)
        );
    }
    if let Some(root) = &sel.project_root {
        println!("project:      {}", text::escape_path(root));
    }
    println!(
        "GOTOOLCHAIN:  {}",
        text::escape_bytes(sel.child_gotoolchain().as_encoded_bytes())
    );
    // The caches as `gomux cache dir` shows them: the value Go will use, where it comes from,
    // and any `go env -w` value it overrides. Those lines quote paths and variables too: each
    // is escaped as a whole (a line without control characters is printed as it is).
    match &here {
        Ok(here) => {
            for line in crate::commands::cache::plan_lines(here) {
                println!("{}", text::escape_max(&line, MAX_LINE));
            }
        }
        Err(e) => println!(
            "caches:       error: {}",
            text::escape_max(&e.to_string(), MAX_LINE)
        ),
    }
    Ok(ExitCode::SUCCESS)
}

/// Why a newer installed patch runs instead of the release a module line names.
fn instead_of_reason(wanted: &str, running: &str) -> String {
    format!(
        "{wanted}, which the module file asks for, is not installed: {running}, a newer patch of the same minor release, runs instead of a download (`prefer_installed = false` or GOMUX_PREFER_INSTALLED=0 downloads exactly {wanted})"
    )
}

/// The longest line of another module's text (the cache lines) shown.
const MAX_LINE: usize = 2000;

fn sel_default_reason(from: &DefaultSource) -> String {
    match from {
        DefaultSource::Settings(p) => format!("set in {}", text::escape_path(p)),
        DefaultSource::GoToolchain(gomux_resolve::goenv::Origin::Env) => {
            "set by GOTOOLCHAIN in the environment".to_string()
        }
        DefaultSource::GoToolchain(gomux_resolve::goenv::Origin::File(p)) => {
            format!("set by GOTOOLCHAIN in {}", text::escape_path(p))
        }
        DefaultSource::PinAbove { path, line } => {
            format!(
                "set by {}:{line}, above the project",
                text::escape_path(path)
            )
        }
    }
}

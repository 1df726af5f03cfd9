//! `gomux show [--json]`: the toolchain this folder selects, why, and what `go` will get.
//!
//! Much of what it prints came from files a repository controls (paths, `go` lines) or from
//! the environment (GOTOOLCHAIN): the text form shows every such value escaped and shortened
//! (`gomux_home::text`), so it can neither rewrite the terminal nor flood it. `--json` keeps
//! the exact values, which JSON escapes itself.

use std::process::ExitCode;

use gomux_home::text;
use gomux_resolve::DefaultSource;
use gomux_resolve::{Source, Tool, launch};
use gomux_version::Request;

use crate::Context;
use crate::json;

#[derive(clap::Args)]
pub struct Args {
    /// Print one JSON object (docs/json.md)
    #[arg(long)]
    json: bool,
    /// Print one line for a shell prompt: the toolchain (`go1.22.3`), with ` (missing)` when
    /// it is not installed; nothing when no toolchain is selected
    #[arg(long, conflicts_with = "json")]
    short: bool,
    /// The arguments of a `go` call to explain (`gomux show -- -C sub build`): a `+VERSION`
    /// first and `-C dir` count as they do for the proxy
    #[arg(last = true, value_name = "GO ARGS")]
    go_args: Vec<std::ffi::OsString>,
}

pub fn run(ctx: &Context, args: Args) -> anyhow::Result<ExitCode> {
    if args.short {
        return short(ctx, &args.go_args);
    }
    // One resolution for the toolchain and the caches, with the call's own `-C` and `+VERSION`.
    let (r, cache) = ctx.resolve_with_caches(&ctx.cwd, &args.go_args)?;
    let sel = &r.selection;
    let toolchain = r.name.clone().unwrap_or_else(|| sel.request.to_string());
    // JSON gives the request as a value, without the words (`1.22`, not `1.22 (newest ...)`).
    let json_toolchain = r
        .name
        .clone()
        .unwrap_or_else(|| request_value(&sel.request));
    let here = cache.as_ref().map(|plan| {
        crate::cache::Here::new(plan.clone(), sel.project_root.clone(), r.name.clone())
    });
    let goroot = r
        .root
        .as_ref()
        .map(|p| gomux_home::path::canonicalize(p).unwrap_or_else(|_| p.clone()));
    if args.json {
        let (cache, cache_error) = match &here {
            Ok(here) => (Some(crate::commands::cache::plan_json(here)), None),
            Err(e) => (None, Some(e.to_string())),
        };
        let (file, line) = file_line(&sel.source);
        let default = match (&sel.source, &sel.default) {
            (Source::Default(from), _) => Some((sel.request.clone(), from.clone())),
            (_, Some(d)) => Some(d.clone()),
            // The default is set but played no part here: it is still the default.
            (_, None) => launch::default_toolchain(&ctx.settings()?)
                .ok()
                .flatten()
                .map(|(req, file)| (req, DefaultSource::Settings(file))),
        };
        let out = json::Show {
            toolchain: json_toolchain,
            installed: r.root.is_some(),
            goroot: json::opt_path(goroot.as_deref()),
            request: json::ShowRequest {
                value: request_value(&sel.request),
                kind: request_kind(&sel.request),
                source: sel.source.kind(),
                file,
                line,
                description: sel.source.to_string(),
            },
            project_root: json::opt_path(sel.project_root.as_deref()),
            instead_of: r.instead_of.as_ref().map(|wanted| json::InsteadOf {
                toolchain: wanted.clone(),
                reason: instead_of_reason(wanted, &toolchain),
            }),
            gotoolchain: sel.child_gotoolchain().to_string_lossy().into_owned(),
            default: default.map(|(req, from)| default_json(&req, &from)),
            cache,
            cache_error,
        };
        json::print(&out)?;
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

/// `gomux show --short`: one line for a shell prompt. It resolves as the proxy does and no
/// more (no cache plan, no network, no install): the toolchain, ` (missing)` when it is not
/// installed, and nothing at all (exit 0) where no toolchain is selected, so a prompt outside
/// any project with no default stays clean. Any other problem (a broken go.mod) is an error
/// on stderr with exit 1, and nothing on stdout.
fn short(ctx: &Context, go_args: &[std::ffi::OsString]) -> anyhow::Result<ExitCode> {
    let r = match ctx.resolve(go_args, Tool::Go) {
        Ok(r) => r,
        Err(e) if no_toolchain(&e) => return Ok(ExitCode::SUCCESS),
        Err(e) => return Err(e),
    };
    let name = r
        .name
        .unwrap_or_else(|| request_value(&r.selection.request));
    let name = text::escape_max(&name, 200);
    if r.root.is_some() {
        println!("{name}");
    } else {
        println!("{name} (missing)");
    }
    Ok(ExitCode::SUCCESS)
}

/// True when the error is only "no toolchain is selected here".
fn no_toolchain(e: &anyhow::Error) -> bool {
    matches!(
        e.downcast_ref::<gomux_resolve::locate::LocateError>(),
        Some(gomux_resolve::locate::LocateError::Resolve(
            gomux_resolve::ResolveError::NoToolchain { .. }
        ))
    )
}

/// The request as a value: `go1.22.3`, or a family as `1.22`.
fn request_value(r: &Request) -> String {
    match r {
        Request::Exact(name) => name.clone(),
        Request::Family(f) => f.clone(),
    }
}

fn request_kind(r: &Request) -> &'static str {
    match r {
        Request::Exact(_) => "exact",
        Request::Family(_) => "family",
    }
}

fn file_line(source: &Source) -> (Option<String>, Option<usize>) {
    match source.file_line() {
        Some((f, l)) => (Some(json::path(f)), Some(l)),
        None => (None, None),
    }
}

fn default_json(req: &Request, from: &DefaultSource) -> json::ShowDefault {
    let (source, file, line) = match from {
        DefaultSource::Settings(p) => ("settings", Some(json::path(p)), None),
        DefaultSource::GoToolchain(gomux_resolve::goenv::Origin::Env) => {
            ("gotoolchain", None, None)
        }
        DefaultSource::GoToolchain(gomux_resolve::goenv::Origin::File(p)) => {
            ("gotoolchain", Some(json::path(p)), None)
        }
        DefaultSource::PinAbove { path, line } => ("pin-file", Some(json::path(path)), Some(*line)),
    };
    json::ShowDefault {
        toolchain: request_value(req),
        source,
        file,
        line,
        description: sel_default_reason(from),
    }
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

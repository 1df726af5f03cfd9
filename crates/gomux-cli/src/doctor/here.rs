//! This directory: the toolchain `go` runs here and why, a go.work that the default
//! toolchain's Go does not read, and the caches it gets.

use std::path::{Path, PathBuf};

use gomux_home::goenv::GoSettings;
use gomux_home::{cache, fsx, text};
use gomux_resolve::locate::Located;
use gomux_resolve::rules::{Rule, Rules};
use gomux_resolve::{Source, Tool};

use super::{Env, Finding, tick};
use crate::context::{Context, install_command};

pub(super) fn here_checks(ctx: &Context, env: Env<'_>, out: &mut Vec<Finding>) {
    let id = "here";
    let title = format!("this directory ({})", ctx.cwd.display());
    let mut workspace = None;
    let r = match ctx.resolve(&[], Tool::Go) {
        Ok(r) => {
            workspace = workspace_root_check(ctx, env, &r);
            let sel = &r.selection;
            let name = r.name.clone().unwrap_or_else(|| sel.request.to_string());
            match &r.root {
                Some(root) => {
                    let root =
                        gomux_home::path::canonicalize(root).unwrap_or_else(|_| root.clone());
                    Finding::ok(
                        id,
                        title,
                        format!(
                            "`go` runs {name} from {}, selected by {}",
                            tick(&root),
                            sel.source
                        ),
                    )
                }
                None => Finding::warning(
                    id,
                    title,
                    format!(
                        "{} is selected by {} but not installed: the first `go` call here installs it",
                        sel.request, sel.source
                    ),
                    format!("run `{}`", install_command(&sel.request)),
                ),
            }
        }
        Err(e) => {
            let hints = crate::render::hints(&e);
            Finding::error(
                id,
                title,
                format!("`go` fails here: {e}"),
                hints
                    .first()
                    .cloned()
                    .unwrap_or_else(|| "see `gomux show`".to_string()),
            )
        }
    };
    out.push(r);
    out.extend(workspace);
    let id = "here.caches";
    let title = "caches here";
    out.push(match crate::cache::here(ctx, &ctx.cwd) {
        Ok(h) => {
            let show = |e: &cache::Effective| match &e.value {
                Some(v) => format!("{}={} ({e})", e.key, tick(v)),
                None => format!("{} unknown ({e})", e.key),
            };
            Finding::ok(
                id,
                title,
                format!("{}; {}", show(&h.effective[0]), show(&h.effective[1])),
            )
        }
        Err(e) => Finding::error(
            id,
            title,
            e.to_string(),
            "see `gomux cache dir` and the cache settings (`GOMUX_CACHE_MODE`, `cache.mode`)",
        ),
    });
}

/// A go.work with no go.mod above it, in a folder that nothing pins: under `GO111MODULE=auto`
/// (from the environment or `go env -w`) a go.work alone turns modules on only from the release
/// where [`Rule::AutoEnabledByGoWork`] holds, so before it `go` (and gopls, which runs it)
/// ignores the go.work, and gomux, following Go, runs the default toolchain there. The check is
/// the one place the CLI says so; the rule itself is the resolver's table, and the settings are
/// read as the resolver reads them ([`GoSettings`]).
fn workspace_root_check(ctx: &Context, env: Env<'_>, r: &Located) -> Option<Finding> {
    if !matches!(r.selection.source, Source::Default(_)) {
        return None;
    }
    // Unset, GO111MODULE is `on`: then the go.work is read in every release.
    let settings = GoSettings::new(env);
    let auto = settings
        .get("GO111MODULE")
        .is_some_and(|(v, _)| v == "auto");
    if !auto || settings.get("GOWORK").is_some_and(|(v, _)| v == "off") {
        return None;
    }
    let gowork = go_work_without_go_mod(&ctx.cwd)?;
    let name = r
        .name
        .clone()
        .unwrap_or_else(|| r.selection.request.to_string());
    if Rules::for_toolchain(&name).holds(Rule::AutoEnabledByGoWork) {
        return None;
    }
    let root = gowork.parent().unwrap_or(Path::new("."));
    let version = go_line(&gowork).unwrap_or_else(|| "VERSION".to_string());
    Some(Finding::warning(
        "here.gowork",
        "go.work without go.mod",
        format!(
            "{} is not read here: under `GO111MODULE=auto` the default toolchain {} (before Go \
             1.27) turns modules on from a go.mod only, so `go` and gopls here get {}, not the \
             toolchain the workspace asks for",
            tick(&gowork),
            text::escape(&name),
            text::escape(&name),
        ),
        format!(
            "pin the workspace: run `gomux pin {version}` in {} (it writes `.go-version` there)",
            tick(root)
        ),
    ))
}

/// The nearest go.work at or above `dir` when no go.mod is at or above it.
fn go_work_without_go_mod(dir: &Path) -> Option<PathBuf> {
    let mut gowork = None;
    for d in dir.ancestors() {
        if d.join("go.mod").is_file() {
            return None;
        }
        if gowork.is_none() && d.join("go.work").is_file() {
            gowork = Some(d.join("go.work"));
        }
    }
    gowork
}

/// The version of a go.work's `go` line, when it reads as one.
fn go_line(gowork: &Path) -> Option<String> {
    let bytes = fsx::read_bounded(gowork, 1 << 20).ok()??;
    let text = String::from_utf8_lossy(&bytes);
    let v = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("go ").map(str::trim))?
        .to_string();
    gomux_version::Request::parse(&v).is_ok().then_some(v)
}

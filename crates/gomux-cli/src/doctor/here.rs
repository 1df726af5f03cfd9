//! This directory: the toolchain `go` runs here and why, and the caches it gets.

use gomux_home::cache;
use gomux_resolve::Tool;

use super::{Finding, tick};
use crate::context::{Context, install_command};

pub(super) fn here_checks(ctx: &Context, out: &mut Vec<Finding>) {
    let id = "here";
    let title = format!("this directory ({})", ctx.cwd.display());
    let r = match ctx.resolve(&[], Tool::Go) {
        Ok(r) => {
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

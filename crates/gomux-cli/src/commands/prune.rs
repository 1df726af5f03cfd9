//! `gomux prune --unused-for 90d [--dry-run]`: remove the installed toolchains and the cache
//! folders nobody has used for that long.
//!
//! Nothing new deletes here: a toolchain goes through `gomux uninstall`'s path (its marker
//! checked under its lock, renamed out of sight), the caches through `gomux cache clean
//! --older-than` ([`gomux_cache::clean`]). What "used" means is [`gomux_cache::prune`]'s: the
//! newest trace a use leaves on disk, since the proxy records nothing. Never removed: a linked
//! toolchain, one without gomux's marker, the default toolchain, and the toolchain the current
//! folder selects (its pin, go.mod, `GOMUX_TOOLCHAIN`...).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, SystemTime};

use gomux_cache::clean::Removal;
use gomux_dist::{Options, Removed};
use gomux_home::fsx::TOOLCHAIN_MARKER;
use gomux_resolve::launch;

use crate::cache;
use crate::context::Context;
use crate::dist::sync_proxies;
use crate::render::with_hint;

#[derive(clap::Args)]
pub struct Args {
    /// Remove what was not used for this long: `90d`, `12w` (units: s m h d w; at least `1d`)
    #[arg(long, value_name = "AGE", required = true)]
    unused_for: String,
    /// Say what would be removed, and remove nothing
    #[arg(long)]
    dry_run: bool,
}

/// A toolchain's use is told to the day at best (access times under `relatime`).
const FINEST: Duration = Duration::from_secs(86_400);

/// An installed toolchain that is to go.
struct Unused {
    name: String,
    dir: PathBuf,
    last: Option<gomux_cache::prune::LastUse>,
}

pub fn run(ctx: &Context, args: Args) -> anyhow::Result<ExitCode> {
    let age = cache::parse_duration(&args.unused_for)?;
    if age < FINEST {
        return Err(with_hint(
            format!(
                "`--unused-for {}` is shorter than a day",
                gomux_home::text::escape(&args.unused_for)
            ),
            &[
                "a toolchain's last use is known to the day at best: use `1d` or more",
                "to clean caches by the hour, use `gomux cache clean --older-than 12h`",
            ],
        ));
    }
    let settings = ctx.settings()?;
    let root = cache::root(ctx)?;
    let now = SystemTime::now();

    // What must stay, decided before anything is removed: a folder whose selection cannot be
    // told stops the prune.
    let default = launch::default_toolchain(&settings)?.and_then(|(r, _)| ctx.installed(&r));
    let here = ctx
        .place(&ctx.cwd, &[])
        .map_err(|e| {
            crate::render::add_hints(
                PruneBlocked(format!("{e:#}")),
                &["nothing was removed; fix the folder's toolchain files, or run `gomux prune` elsewhere"],
            )
        })?
        .located
        .and_then(|l| l.name);

    let folders = cache::folders(&root);
    let mut unused = Vec::new();
    let mut kept = Vec::new();
    for name in ctx.home.try_toolchain_names()? {
        let dir = ctx.home.toolchain_dir(&name);
        if ctx.home.is_linked(&name) || !TOOLCHAIN_MARKER.is_on(&dir) {
            continue;
        }
        let last = gomux_cache::prune::toolchain_last_use(&dir, &name, &root, &folders);
        let old = last
            .and_then(|l| now.duration_since(l.time).ok())
            .is_some_and(|d| d >= age);
        if !old {
            continue;
        }
        if default.as_deref() == Some(name.as_str()) {
            kept.push(format!("{name} (the default toolchain)"));
        } else if here.as_deref() == Some(name.as_str()) {
            kept.push(format!(
                "{name} (selected in `{}`)",
                gomux_home::text::escape_path(&ctx.cwd)
            ));
        } else {
            unused.push(Unused { name, dir, last });
        }
    }

    let mut code = ExitCode::SUCCESS;
    let mut freed: u64 = 0;
    let options = Options::from_env(|k: &str| std::env::var_os(k))?;
    let mut changed = false;
    for u in &unused {
        let when = match u.last {
            Some(l) => format!(
                "last used {} by {}",
                cache::human_age(l.time, now),
                l.trace.describe()
            ),
            None => "never used".to_string(),
        };
        let size = gomux_cache::size(&u.dir);
        if args.dry_run {
            println!(
                "would remove toolchain {} ({}, {when})",
                u.name,
                cache::human_size(size)
            );
            freed += size;
            continue;
        }
        match gomux_dist::uninstall(&ctx.home, &u.name, &options, &|m| {
            crate::render::status!("{m}")
        }) {
            Ok(Removed::Deleted(dir)) => {
                crate::render::status!(
                    "removed toolchain {} from `{}` ({}, {when})",
                    u.name,
                    dir.display(),
                    cache::human_size(size)
                );
                freed += size;
                changed = true;
            }
            Ok(Removed::Unlinked(_)) => {}
            Err(e) => {
                crate::render::report(&anyhow::Error::from(e));
                code = ExitCode::FAILURE;
            }
        }
    }
    if changed {
        sync_proxies(ctx, "");
    }
    for k in &kept {
        crate::render::status!(
            "note: kept {k}, though unused for longer than {}",
            args.unused_for
        );
    }

    let selection = gomux_cache::Selection {
        older_than: Some(age),
        dry_run: args.dry_run,
        ..Default::default()
    };
    let outcome = gomux_cache::clean(&root, &selection)?;
    for p in &outcome.planned {
        let what = format!("cache {} ({})", p.target.label, cache::human_size(p.size));
        match &p.result {
            Removal::WouldRemove => println!("would remove {what}"),
            Removal::Removed { .. } => crate::render::status!("removed {what}"),
            Removal::Failed { freed, error } => {
                crate::render::error(&format!(
                    "could not finish removing {} ({} of {} freed): {error}",
                    p.target.label,
                    cache::human_size(*freed),
                    cache::human_size(p.size)
                ));
                crate::render::hint(
                    "what is left is out of Go's sight; the next `gomux cache clean` or `gomux cache list` finishes it",
                );
                code = ExitCode::FAILURE;
            }
            _ => {}
        }
    }
    for n in &outcome.notes {
        crate::render::status!("note: {n}");
    }
    freed += outcome.freed();
    let nothing = unused.is_empty() && outcome.planned.is_empty() && outcome.trash_freed == 0;
    if nothing {
        crate::render::status!(
            "nothing unused for {} (`gomux list` and `gomux cache list` show what there is)",
            args.unused_for
        );
    } else if args.dry_run {
        crate::render::status!("would free {}", cache::human_size(freed));
    } else {
        crate::render::status!("freed {}", cache::human_size(freed));
    }
    Ok(code)
}

/// The current folder's toolchain cannot be told, so what it keeps cannot be either.
#[derive(Debug)]
struct PruneBlocked(String);

impl std::fmt::Display for PruneBlocked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "cannot tell which toolchain this folder selects, so none is pruned: {}",
            self.0
        )
    }
}

impl std::error::Error for PruneBlocked {}

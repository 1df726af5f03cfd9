//! `gomux update [--dry-run]`: bring each installed minor release (1.22, 1.23, ...) to its
//! newest patch in the release index.
//!
//! Releases move, pins do not: a family request (`gomux default 1.22`, a `.go-version` of
//! `1.22`) always runs the newest installed patch, so it follows an update by itself, while an
//! exact one (`1.22.3`) stays what it says, and update says so instead of rewriting it. Old
//! patches are kept (`gomux prune` or `gomux uninstall` removes them); linked toolchains and
//! prereleases are never touched.

use std::collections::BTreeMap;
use std::process::ExitCode;

use gomux_resolve::launch;
use gomux_version::Request;

use crate::context::Context;
use crate::dist::{dist, sync_proxies};

#[derive(clap::Args)]
pub struct Args {
    /// Say what would be installed, and install nothing
    #[arg(long)]
    dry_run: bool,
}

/// One minor release that has a newer patch in the index.
struct Step {
    family: String,
    installed: String,
    newest: String,
}

pub fn run(ctx: &Context, args: Args) -> anyhow::Result<ExitCode> {
    let settings = ctx.settings()?;
    let names = ctx.home.try_toolchain_names()?;
    // The newest installed (not linked) stable patch of each minor release.
    let mut families: BTreeMap<String, String> = BTreeMap::new();
    for name in names.iter().filter(|n| !ctx.home.is_linked(n)) {
        let Some(v) = gomux_version::from_toolchain(name) else {
            continue;
        };
        let family = gomux_version::lang(v);
        if !gomux_version::family_member(&family, name) {
            continue;
        }
        let entry = families.entry(family).or_insert_with(|| name.clone());
        if gomux_version::compare_names(name, entry) == std::cmp::Ordering::Greater {
            *entry = name.clone();
        }
    }
    if families.is_empty() {
        crate::render::status!(
            "no installed releases to update (linked toolchains are never updated)"
        );
        return Ok(ExitCode::SUCCESS);
    }
    let dist = dist(ctx, &settings, "")?;
    let index = dist.refresh_index()?;
    let mut steps = Vec::new();
    let mut families_by_version: Vec<(&String, &String)> = families.iter().collect();
    families_by_version.sort_by(|a, b| gomux_version::compare(a.0, b.0));
    for (family, installed) in families_by_version {
        let request = Request::Family(family.clone());
        match index.pick(&request, dist.platform()) {
            Some(r) if gomux_version::compare_names(&r.version, installed).is_gt() => {
                steps.push(Step {
                    family: family.clone(),
                    installed: installed.clone(),
                    newest: r.version.clone(),
                });
            }
            Some(_) => crate::render::status!("{family}: {installed} is the newest"),
            None => crate::render::status!(
                "{family}: no {family}.x release for {} in the index; {installed} is left as it is",
                dist.platform()
            ),
        }
    }
    if steps.is_empty() {
        crate::render::status!("everything is up to date");
        return Ok(ExitCode::SUCCESS);
    }
    if args.dry_run {
        for s in &steps {
            println!(
                "would install {} ({}: newest installed {})",
                s.newest, s.family, s.installed
            );
        }
        return Ok(ExitCode::SUCCESS);
    }
    let mut done_any = false;
    let mut result = Ok(());
    for s in &steps {
        crate::render::status!(
            "installing {} ({}: newest installed {})",
            s.newest,
            s.family,
            s.installed
        );
        match dist.install(&s.newest) {
            Ok(done) => {
                if done.fresh {
                    crate::render::status!("installed {} in `{}`", done.name, done.dir.display());
                    crate::cache::start_base(ctx, &settings, &done.name);
                    done_any = true;
                }
            }
            Err(e) => {
                result = Err(e);
                break;
            }
        }
    }
    if done_any {
        sync_proxies(ctx, "");
    }
    result?;
    // An exact default stays exact; a family default follows on its own.
    if let Ok(Some((Request::Exact(name), _))) = launch::default_toolchain(&settings)
        && let Some(s) = steps
            .iter()
            .find(|s| gomux_version::family_member(&s.family, &name))
    {
        crate::render::status!(
            "note: the default toolchain stays {name}, an exact release; `gomux default {}` follows the newest {}.x",
            s.family,
            s.family
        );
    }
    let old: Vec<&str> = steps.iter().map(|s| s.installed.as_str()).collect();
    crate::render::status!(
        "the older patches are still installed ({}); `gomux prune --unused-for 30d` or `gomux uninstall` removes them",
        old.join(", ")
    );
    Ok(ExitCode::SUCCESS)
}

//! The folders gomux and Go write to (`bin/`, `toolchains/`, `tmp/`, the cache root, Go's
//! temporary folder): do they exist, take new files, allow running programs (`noexec`), have
//! room, and can an install be moved into place in one rename.

use std::path::PathBuf;

use gomux_home::cache;

use super::fs::{self as dfs, MountTable};
use super::{Env, Finding, tick};
use crate::context::Context;

/// Below this much free space, a toolchain install (about 250 MB unpacked) or a cache that
/// grows is at risk.
const LOW_SPACE: u64 = 1 << 30;

/// A folder the filesystem checks look at.
struct Place<'a> {
    id: &'a str,
    title: &'a str,
    path: PathBuf,
    /// What breaks when it is on a `noexec` mount.
    exec_needed: Option<&'a str>,
    /// Whether it must exist already (else its nearest existing parent is judged).
    must_exist: bool,
    writable: bool,
    space: bool,
    /// What to do when it is unusable.
    move_it: String,
}

pub(super) fn filesystem_checks(ctx: &Context, env: Env<'_>, out: &mut Vec<Finding>) {
    let mounts = MountTable::load(env);
    let home = &ctx.home;
    let cache_root = ctx
        .settings()
        .ok()
        .and_then(|s| cache::cache_root(home, &s, env).ok())
        .map(|(p, _)| p)
        .unwrap_or_else(|| home.default_cache_root());
    let gotmp = env("GOTMPDIR")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    let places = [
        Place {
            id: "fs.home",
            title: "GOMUX_HOME `bin/`",
            path: home.bin_dir(),
            exec_needed: Some("the proxies in `bin/` cannot run"),
            must_exist: true,
            writable: true,
            space: false,
            move_it: "set `GOMUX_HOME` to a writable folder on a filesystem mounted without `noexec`, then run `gomux setup`".into(),
        },
        Place {
            id: "fs.toolchains",
            title: "toolchains folder",
            path: home.toolchains_dir(),
            exec_needed: Some("installed SDKs cannot run"),
            must_exist: true,
            writable: true,
            space: true,
            move_it: "set `GOMUX_HOME` to a folder on a filesystem mounted without `noexec` (any drive works), then run `gomux setup`".into(),
        },
        Place {
            id: "fs.cache",
            title: "cache root",
            path: cache_root,
            exec_needed: Some("Go 1.24+ runs `go run` and `go tool` binaries from the build cache"),
            must_exist: false,
            writable: true,
            space: true,
            move_it: "set `GOMUX_CACHE_DIR` (or `cache.root` in settings.toml) to a folder on a filesystem mounted without `noexec`".into(),
        },
        Place {
            id: "fs.gotmp",
            title: "Go's temporary folder",
            path: gotmp,
            exec_needed: Some("`go test` and `go run` execute the binaries they build there"),
            must_exist: false,
            writable: false,
            space: false,
            move_it: "set `GOTMPDIR` to a folder on a filesystem mounted without `noexec`".into(),
        },
    ];
    for place in &places {
        out.push(place_check(place, &mounts));
        if place.id == "fs.toolchains" {
            out.push(tmp_check(ctx));
        }
    }
}

fn place_check(p: &Place<'_>, mounts: &Result<MountTable, String>) -> Finding {
    let exists = p.path.is_dir();
    if p.must_exist && !exists {
        return Finding::error(
            p.id,
            p.title,
            format!("{} does not exist", tick(&p.path)),
            "run `gomux setup`",
        );
    }
    let Some(judged) = dfs::existing_ancestor(&p.path) else {
        return Finding::error(
            p.id,
            p.title,
            format!("no part of {} exists", tick(&p.path)),
            p.move_it.clone(),
        );
    };
    let mut facts = vec![if exists {
        tick(&p.path)
    } else {
        format!("{} (not created yet)", tick(&p.path))
    }];
    if p.writable
        && let Err(e) = dfs::probe_writable(&judged)
    {
        return Finding::error(
            p.id,
            p.title,
            format!("cannot create files in {}: {e}", tick(&judged)),
            format!("make it writable for this user, or {}", p.move_it),
        );
    }
    match mounts {
        Ok(table) => match table.find(&p.path) {
            Some(m) => {
                let on = format!(
                    "on {} ({}, {})",
                    tick(&m.point),
                    m.fstype,
                    m.options.join(",")
                );
                if m.noexec()
                    && let Some(why) = p.exec_needed
                {
                    return Finding::error(
                        p.id,
                        p.title,
                        format!(
                            "{} is {on}, mounted `noexec`: {why} (mount table {})",
                            tick(&p.path),
                            tick(&table.origin)
                        ),
                        p.move_it.clone(),
                    );
                }
                facts.push(on);
            }
            None => facts.push(format!("in no mount of {}", tick(&table.origin))),
        },
        Err(why) => facts.push(format!("mount options not checked ({why})")),
    }
    if p.space {
        match dfs::free_bytes(&judged) {
            Some(free) if free < LOW_SPACE => {
                return Finding::warning(
                    p.id,
                    p.title,
                    format!(
                        "only {} free on the filesystem of {}",
                        crate::cache::human_size(free),
                        tick(&p.path)
                    ),
                    format!(
                        "free some space (`gomux cache clean`, `gomux uninstall`), or {}",
                        p.move_it
                    ),
                );
            }
            Some(free) => facts.push(format!("{} free", crate::cache::human_size(free))),
            None => {}
        }
    }
    if p.writable {
        facts.push("writable".into());
    }
    Finding::ok(p.id, p.title, facts.join(", "))
}

fn tmp_check(ctx: &Context) -> Finding {
    let id = "fs.tmp";
    let title = "staging folder `tmp/`";
    let tmp = ctx.home.tmp_dir();
    let toolchains = ctx.home.toolchains_dir();
    if !tmp.is_dir() {
        return Finding::error(
            id,
            title,
            format!("{} does not exist", tick(&tmp)),
            "run `gomux setup`",
        );
    }
    match (dfs::device(&tmp), dfs::device(&toolchains)) {
        (Some(a), Some(b)) if a != b => Finding::error(
            id,
            title,
            format!(
                "{} and {} are on different filesystems: an install cannot be moved into place in one step",
                tick(&tmp),
                tick(&toolchains)
            ),
            format!(
                "make {} a folder (not a mount or a link to another drive) beside {}",
                tick(&tmp),
                tick(&toolchains)
            ),
        ),
        (Some(_), Some(_)) => Finding::ok(
            id,
            title,
            format!(
                "{} is on the same filesystem as {}",
                tick(&tmp),
                tick(&toolchains)
            ),
        ),
        _ => Finding::ok(
            id,
            title,
            format!(
                "{} exists (filesystems not compared on this system)",
                tick(&tmp)
            ),
        ),
    }
}

/// The home's layout version (`.gomux-layout`): reported only when this gomux does not know it
/// (a newer gomux's home, or a damaged marker). `None` when all is well or there is none.
pub(super) fn layout_check(ctx: &Context) -> Option<Finding> {
    let id = "fs.layout";
    let title = "GOMUX_HOME layout version";
    let file = ctx.home.layout_file();
    match ctx.home.layout_version()? {
        Ok(v) if v <= gomux_home::LAYOUT_VERSION => None,
        Ok(v) => Some(Finding::warning(
            id,
            title,
            format!(
                "{} says layout {v}; this gomux knows layout {} and older",
                super::tick(&file),
                gomux_home::LAYOUT_VERSION
            ),
            "a newer gomux set this home up: run that gomux, or update this one",
        )),
        Err(text) => Some(Finding::warning(
            id,
            title,
            format!("{} holds `{text}`, not a layout number", super::tick(&file)),
            "run `gomux setup` to write it again",
        )),
    }
}

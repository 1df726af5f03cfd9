//! Every installed or linked toolchain: its `go` and `gofmt` exist, run, are not proxies, and
//! agree with its `VERSION` file and its name.

use std::path::Path;

use gomux_home::{exe, read_version_file};

use super::{Finding, Ran, run_tool, tick};
use crate::context::Context;

pub(super) fn toolchain_checks(ctx: &Context, out: &mut Vec<Finding>) {
    let names = ctx.home.toolchain_names();
    if names.is_empty() {
        out.push(Finding::warning(
            "toolchains",
            "toolchains",
            format!(
                "nothing is installed or linked in {}",
                tick(&ctx.home.toolchains_dir())
            ),
            "run `gomux install 1.23` (or `gomux link PATH` for an SDK already on disk)",
        ));
        return;
    }
    for name in names {
        out.push(toolchain_check(ctx, &name));
    }
}

fn toolchain_check(ctx: &Context, name: &str) -> Finding {
    let id = format!("toolchain.{name}");
    let dir = ctx.home.toolchain_dir(name);
    let linked = ctx.home.is_linked(name);
    let title = format!("toolchain {name}{}", if linked { " (linked)" } else { "" });
    let relink = format!(
        "`gomux uninstall {name}` removes the link; `gomux link --force {name} PATH` points it at the right SDK"
    );
    let reinstall = if linked {
        relink.clone()
    } else {
        format!(
            "reinstall it: `gomux uninstall {name}`, then `gomux install {}`",
            name.strip_prefix("go").unwrap_or(name)
        )
    };
    let target = if linked {
        ctx.home.link_target(name)
    } else {
        None
    };
    // A symbolic link is followed by the file system; a link file names its folder.
    let folder = if dir.is_dir() {
        Some(dir.clone())
    } else {
        target.clone().filter(|t| t.is_dir())
    };
    if linked && folder.is_none() {
        let t = target.unwrap_or_default();
        let drive = missing_drive(&t)
            .map(|d| {
                format!(": drive `{d}` is not there (an unplugged disk or an unmapped share?)")
            })
            .unwrap_or_default();
        return Finding::error(
            id,
            title,
            format!(
                "{} links to {}, which does not exist{drive}",
                tick(&dir),
                tick(&t)
            ),
            relink,
        );
    }
    let root = folder.unwrap_or_else(|| dir.clone());
    let root = gomux_home::path::canonicalize(&root).unwrap_or(root);
    let go = root.join("bin").join(exe("go"));
    let gofmt = root.join("bin").join(exe("gofmt"));
    for tool in [&go, &gofmt] {
        if !tool.is_file() {
            return Finding::error(
                id,
                title,
                format!("{} does not exist", tick(tool)),
                reinstall,
            );
        }
    }
    let printed = match run_tool(&go, &["version"]) {
        Ran::Output(s) => s,
        Ran::Proxy => {
            return Finding::error(
                id,
                title,
                format!(
                    "{} is a gomux proxy, not an SDK: every `go` call through it would loop",
                    tick(&go)
                ),
                relink,
            );
        }
        Ran::Failed(why) => {
            return Finding::error(
                id,
                title,
                format!("`{} version` failed: {why}", go.display()),
                reinstall,
            );
        }
    };
    match run_tool(&gofmt, &[]) {
        Ran::Output(_) => {}
        Ran::Proxy => {
            return Finding::error(
                id,
                title,
                format!("{} is a gomux proxy, not the SDK's `gofmt`", tick(&gofmt)),
                relink,
            );
        }
        Ran::Failed(why) => {
            return Finding::error(
                id,
                title,
                format!("`{}` on empty input failed: {why}", gofmt.display()),
                reinstall,
            );
        }
    }
    let reported = printed
        .split_whitespace()
        .nth(2)
        .unwrap_or_default()
        .to_string();
    let version = match read_version_file(&root) {
        Ok(v) => v,
        Err(e) => {
            return Finding::error(
                id,
                title,
                format!("cannot read {}: {e}", tick(&root.join("VERSION"))),
                reinstall,
            );
        }
    };
    let version_word = version.split_whitespace().next().unwrap_or_default();
    if !printed.split_whitespace().any(|w| w == version_word) {
        return Finding::error(
            id,
            title,
            format!(
                "`go version` prints `{}` but {} says `{version}`",
                printed.trim(),
                tick(&root.join("VERSION"))
            ),
            reinstall,
        );
    }
    let is_version_name = gomux_version::from_toolchain(name).is_some();
    if is_version_name && reported != name {
        return Finding::error(
            id,
            title,
            format!(
                "registered as {name}, but the SDK at {} is {reported}{}",
                tick(&root),
                if linked { " (upgraded in place?)" } else { "" }
            ),
            if linked {
                format!(
                    "`gomux uninstall {name}`, then `gomux link {}` registers it under its own name",
                    root.display()
                )
            } else {
                reinstall
            },
        );
    }
    let where_ = match &target {
        Some(t) => format!(", linked to {}", tick(t)),
        None => String::new(),
    };
    let agree = if is_version_name {
        "as its `VERSION` file and its name say"
    } else {
        "as its `VERSION` file says"
    };
    // A toolchain module records what proved it: its files must still hash to that.
    let proven = if linked {
        String::new()
    } else {
        match crate::commands::verify::check(&root) {
            Ok(crate::commands::verify::Outcome::Intact(r)) => {
                format!("; its files match the hash that proved it ({})", r.zip_h1)
            }
            Ok(crate::commands::verify::Outcome::NoRecord) => String::new(),
            Err(e) => return Finding::error(id, title, e.to_string(), reinstall),
        }
    };
    Finding::ok(
        id,
        title,
        format!("`go version` prints {reported}, {agree}; `gofmt` runs{where_}{proven}"),
    )
}

/// The drive (`Q:`, `\\server\share`) of a Windows path when its root is not there; `None` for
/// a path without one (every Unix path) or when the root exists.
fn missing_drive(p: &Path) -> Option<String> {
    match p.components().next()? {
        std::path::Component::Prefix(prefix) => {
            let mut root = std::path::PathBuf::from(prefix.as_os_str());
            root.push(std::path::MAIN_SEPARATOR_STR);
            (!root.exists()).then(|| prefix.as_os_str().to_string_lossy().into_owned())
        }
        _ => None,
    }
}

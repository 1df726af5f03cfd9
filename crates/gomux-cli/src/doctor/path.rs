//! PATH and the proxies: is `bin/` on PATH and first, does the first `go` (and `gofmt`) on
//! PATH belong to gomux, which other `go` binaries are there, and are the proxies in `bin/`
//! the current ones.

use std::path::{Path, PathBuf};

use gomux_home::exe;

use super::{Env, Finding, Ran, run_tool, tick};
use crate::context::Context;
use crate::proxies;
use crate::shell::profile;

fn is_executable(p: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    }
    #[cfg(not(unix))]
    {
        p.is_file()
    }
}

/// How to get the proxies onto PATH, depending on whether a profile already has the block.
fn path_fix(ctx: &Context, env: Env<'_>) -> String {
    let with_block: Vec<String> = profile::profiles(env)
        .into_iter()
        .filter(|p| profile::has_block(&p.path))
        .map(|p| tick(&p.path))
        .collect();
    if with_block.is_empty() {
        format!(
            "run `gomux setup --modify-path`, or put `{}` first on PATH in your shell profile",
            ctx.home.bin_dir().display()
        )
    } else {
        format!(
            "open a new shell: the gomux block in {} puts it first (or run `eval \"$(gomux env)\"`)",
            with_block.join(", ")
        )
    }
}

/// What a binary on PATH is, as far as the proxies are concerned.
fn describe_other(file: &Path) -> &'static str {
    let root = file.parent().and_then(Path::parent);
    if root.is_some_and(|r| r.join("VERSION").is_file() && r.join("src").is_dir())
        || root.is_some_and(|r| r.join("VERSION").is_file() && r.join("pkg").is_dir())
    {
        return "a Go SDK's own `bin/`, as IDEs and installers add it";
    }
    match run_tool(file, &["version"]) {
        Ran::Proxy => "a gomux proxy of another gomux home",
        _ => "another Go",
    }
}

pub(super) fn path_checks(ctx: &Context, env: Env<'_>, out: &mut Vec<Finding>) {
    let bin = ctx.home.bin_dir();
    let path_var = env("PATH").unwrap_or_default();
    let entries: Vec<PathBuf> = std::env::split_paths(&path_var).collect();
    let n = entries.len();
    let is_bin = |d: &Path| d == bin || (d.is_absolute() && proxies::same_file(d, &bin));
    let bin_pos = entries.iter().position(|d| is_bin(d));
    let title = "proxies folder on PATH";
    out.push(if !bin.join(exe("go")).is_file() {
        Finding::error(
            "path.proxies",
            title,
            format!("{} holds no `go` proxy: gomux is not set up", tick(&bin)),
            "run `gomux setup`",
        )
    } else {
        match bin_pos {
            Some(i) => Finding::ok(
                "path.proxies",
                title,
                format!("{} is PATH entry {} of {n}", tick(&bin), i + 1),
            ),
            None => Finding::error(
                "path.proxies",
                title,
                format!("{} is not on PATH ({n} entries)", tick(&bin)),
                path_fix(ctx, env),
            ),
        }
    });

    for tool in ["go", "gofmt"] {
        let ours = bin.join(exe(tool));
        let found: Vec<(usize, PathBuf)> = entries
            .iter()
            .enumerate()
            .filter(|(_, d)| !d.as_os_str().is_empty())
            .map(|(i, d)| (i, d.join(exe(tool))))
            .filter(|(_, f)| is_executable(f))
            .collect();
        let id = format!("path.{tool}");
        let title = format!("first `{tool}` on PATH");
        out.push(match found.first() {
            None => Finding::error(
                id,
                title,
                format!("no `{tool}` on PATH ({n} entries)"),
                path_fix(ctx, env),
            ),
            Some((i, f)) if proxies::same_file(f, &ours) => Finding::ok(
                id,
                title,
                format!("{} is gomux's proxy (PATH entry {})", tick(f), i + 1),
            ),
            Some((i, f)) => {
                let dir = f.parent().unwrap_or(f);
                let ours_at = match bin_pos {
                    Some(j) => format!("before gomux's proxy (entry {})", j + 1),
                    None => "and gomux's proxies are not on PATH".to_string(),
                };
                Finding::error(
                    id,
                    title,
                    format!(
                        "{} (PATH entry {}, {}) runs {ours_at}",
                        tick(f),
                        i + 1,
                        describe_other(f)
                    ),
                    if bin_pos.is_some() {
                        format!(
                            "remove {} from PATH or move it after {} (look for the line that adds it in your shell profile or IDE settings)",
                            tick(dir),
                            tick(&bin)
                        )
                    } else {
                        path_fix(ctx, env)
                    },
                )
            }
        });
        if tool != "go" {
            continue;
        }
        let others: Vec<&(usize, PathBuf)> = found
            .iter()
            .filter(|(_, f)| !proxies::same_file(f, &ours))
            .collect();
        let title = "other `go` binaries on PATH";
        out.push(if others.is_empty() {
            Finding::ok("path.other-go", title, "no other `go` on PATH")
        } else {
            let shadowing = others
                .iter()
                .any(|(i, _)| bin_pos.is_none_or(|b| *i < b));
            let list: Vec<String> = others
                .iter()
                .map(|(i, f)| {
                    let side = match bin_pos {
                        Some(b) if *i < b => "before the proxies",
                        Some(_) => "after the proxies",
                        None => "no proxies on PATH",
                    };
                    format!("{} (entry {}, {side})", tick(f), i + 1)
                })
                .collect();
            let evidence = format!("in PATH order: {}", list.join(", "));
            if shadowing {
                Finding::warning(
                    "path.other-go",
                    title,
                    evidence,
                    format!(
                        "keep {} ahead of them; uninstall any Go you no longer need (`gomux link` can register one you keep)",
                        tick(&bin)
                    ),
                )
            } else {
                Finding::ok("path.other-go", title, format!("{evidence}: never reached by `go`"))
            }
        });
    }
}

pub(super) fn proxies_check(ctx: &Context) -> Finding {
    let id = "proxies";
    let title = "proxies in `bin/`";
    let bin = ctx.home.bin_dir();
    let master = bin.join(exe(proxies::MASTER));
    let setup = "run `gomux setup` to reinstall the proxies";
    if !master.is_file() {
        return Finding::error(
            id,
            title,
            format!("{} is missing", tick(&master)),
            "run `gomux setup`",
        );
    }
    let is_proxy = |p: &Path| proxies::same_file(p, &master) || same_bytes(p, &master);
    for tool in ["go", "gofmt"] {
        let p = bin.join(exe(tool));
        if !is_proxy(&p) {
            return Finding::error(
                id,
                title,
                format!(
                    "{} is {} the proxy {}",
                    tick(&p),
                    if p.exists() { "not" } else { "missing, not" },
                    tick(&master)
                ),
                setup,
            );
        }
    }
    let names = ctx.home.toolchain_names();
    let versioned: Vec<&String> = names.iter().filter(|n| proxies::is_versioned(n)).collect();
    let missing: Vec<&str> = versioned
        .iter()
        .filter(|n| !is_proxy(&bin.join(exe(n))))
        .map(|n| n.as_str())
        .collect();
    if !missing.is_empty() {
        return Finding::warning(
            id,
            title,
            format!(
                "no versioned proxy for {} (the SDK finds toolchains on PATH by these names)",
                missing.join(", ")
            ),
            setup,
        );
    }
    let gomux = bin.join(exe("gomux"));
    if !gomux.is_file() {
        return Finding::warning(
            id,
            title,
            format!(
                "{} is missing: the proxy cannot install a missing toolchain",
                tick(&gomux)
            ),
            "run `gomux setup`",
        );
    }
    if !proxies::has_content(&master, proxies::EMBEDDED) {
        return Finding::warning(
            id,
            title,
            format!(
                "{} is not the proxy this `gomux` carries: it is from another build",
                tick(&master)
            ),
            "run `gomux setup` with this `gomux` to update them",
        );
    }
    Finding::ok(
        id,
        title,
        format!(
            "`go`, `gofmt` and {} versioned proxies are {}; `gomux` is beside them",
            versioned.len(),
            tick(&master)
        ),
    )
}

fn same_bytes(a: &Path, b: &Path) -> bool {
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(x), Ok(y)) if x.is_file() && x.len() == y.len() => {
            matches!((std::fs::read(a), std::fs::read(b)), (Ok(x), Ok(y)) if x == y)
        }
        _ => false,
    }
}

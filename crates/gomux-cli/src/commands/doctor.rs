//! `gomux doctor [--json]`: find what in this environment makes `go` run the wrong SDK, or not
//! run at all, and say what to do about it.
//!
//! Most "wrong Go version" reports are environment bugs, not resolution bugs: another `go`
//! first on PATH, a stale GOROOT, a forgotten `go env -w`, an SDK upgraded in place under a
//! link's old name. Each check looks at one of these and reports one [`Finding`]. Checks never
//! change anything except one short-lived probe file per folder whose writability they test,
//! and they run SDK binaries only as `go version` and `gofmt` on empty input, with a
//! recursion depth that makes a gomux proxy refuse at once (which is how one is recognised).

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};

use gomux_home::goenv::{self, GoEnvFile};
use gomux_home::{cache, env as vars, exe, read_version_file};
use gomux_resolve::{Tool, launch};

use crate::context::Context;
use crate::context::install_command;
use crate::doctor::fs::{self as dfs, MountTable};
use crate::doctor::{self, Finding};
use crate::proxies;
use crate::shell::profile;

#[derive(clap::Args)]
pub struct Args {
    /// Print one JSON object: `{errors, warnings, ok, checks: [{id, title, status, evidence, fix}]}`
    #[arg(long)]
    json: bool,
}

/// Below this much free space, a toolchain install (about 250 MB unpacked) or a cache that
/// grows is at risk.
const LOW_SPACE: u64 = 1 << 30;

type Env<'a> = &'a dyn Fn(&str) -> Option<OsString>;

pub fn run(ctx: &Context, args: Args) -> anyhow::Result<ExitCode> {
    let env = |k: &str| std::env::var_os(k);
    let findings = checks(ctx, &env);
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&doctor::render_json(&findings))?
        );
    } else {
        // Findings quote paths and values from files and the environment: every line is
        // escaped (a line without control characters prints as it is).
        for line in doctor::render_text(&findings).lines() {
            println!("{}", gomux_home::text::escape_max(line, 2000));
        }
    }
    let (errors, _, _) = doctor::counts(&findings);
    Ok(if errors > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// Every check, in the order a user would fix things: PATH, the proxies, the environment, the
/// folders, the toolchains, the settings, then this directory.
pub fn checks(ctx: &Context, env: Env<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    path_checks(ctx, env, &mut out);
    out.push(proxies_check(ctx));
    out.push(goroot_check(ctx, env));
    out.push(gotooldir_check(env));
    out.push(gotoolchain_check(env));
    out.extend(frozen_env_check(ctx, env));
    out.push(goenv_file_check(ctx, env));
    filesystem_checks(ctx, env, &mut out);
    toolchain_checks(ctx, &mut out);
    settings_checks(ctx, &mut out);
    here_checks(ctx, &mut out);
    out
}

fn tick(p: &Path) -> String {
    format!("`{}`", gomux_home::text::escape_path(p))
}

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

fn path_checks(ctx: &Context, env: Env<'_>, out: &mut Vec<Finding>) {
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

fn proxies_check(ctx: &Context) -> Finding {
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
    if let Ok(me) = std::env::current_exe()
        && let Some(beside) = me.parent().map(|d| d.join(exe(proxies::MASTER)))
        && beside.is_file()
        && !proxies::same_file(&beside, &master)
        && !same_bytes(&beside, &master)
    {
        return Finding::warning(
            id,
            title,
            format!(
                "the proxies differ from {} beside this `gomux`: they are from another build",
                tick(&beside)
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

fn goroot_check(ctx: &Context, env: Env<'_>) -> Finding {
    let id = "env.goroot";
    let title = "GOROOT";
    let Some(goroot) = env("GOROOT").filter(|v| !v.is_empty()) else {
        return Finding::ok(id, title, "not set: each SDK finds its own root");
    };
    let goroot = PathBuf::from(goroot);
    let fix = "remove `GOROOT` from your environment (the `export GOROOT=` line in your shell profile, or the IDE's setting): gomux picks the SDK per directory";
    let here = ctx
        .resolve(&[], Tool::Go)
        .ok()
        .and_then(|r| r.root)
        .map(|r| std::fs::canonicalize(&r).unwrap_or(r));
    let same = here
        .as_ref()
        .is_some_and(|h| std::fs::canonicalize(&goroot).is_ok_and(|g| g == *h));
    if same {
        return Finding::warning(
            id,
            title,
            format!(
                "GOROOT={} is exported; it is this directory's SDK, but not other projects'",
                tick(&goroot)
            ),
            fix,
        );
    }
    let here = match &here {
        Some(h) => format!("the SDK gomux runs here is {}", tick(h)),
        None => "gomux selects no installed SDK here".to_string(),
    };
    Finding::error(
        id,
        title,
        format!(
            "GOROOT={} is exported and {here}: tools that read GOROOT use the wrong SDK (the proxy drops it for `go`)",
            tick(&goroot)
        ),
        fix,
    )
}

fn gotooldir_check(env: Env<'_>) -> Finding {
    let id = "env.gotooldir";
    let title = "GOTOOLDIR";
    match env("GOTOOLDIR").filter(|v| !v.is_empty()) {
        None => Finding::ok(id, title, "not set"),
        Some(v) => Finding::warning(
            id,
            title,
            format!(
                "GOTOOLDIR=`{}` is exported: Go ignores it, and tools that read it run one SDK's tools for every version",
                v.to_string_lossy()
            ),
            "remove `GOTOOLDIR` from your environment",
        ),
    }
}

/// The kinds of GOTOOLCHAIN value, as they matter to gomux.
enum GoToolchain<'a> {
    Auto,
    Local,
    Path,
    MinAuto(&'a str),
    MinPath(&'a str),
    Exact(&'a str),
    Invalid,
}

fn classify(v: &str) -> GoToolchain<'_> {
    match v {
        "auto" => GoToolchain::Auto,
        "local" => GoToolchain::Local,
        "path" => GoToolchain::Path,
        _ => match v.split_once('+') {
            Some((min, "auto")) if !min.is_empty() => GoToolchain::MinAuto(min),
            Some((min, "path")) if !min.is_empty() => GoToolchain::MinPath(min),
            Some(_) => GoToolchain::Invalid,
            None => GoToolchain::Exact(v),
        },
    }
}

fn gotoolchain_check(env: Env<'_>) -> Finding {
    let id = "env.gotoolchain";
    let title = "GOTOOLCHAIN";
    let unset =
        "unset GOTOOLCHAIN: gomux sets it on every call (`local` for a pin, `path` otherwise)";
    if let Some(v) = env("GOTOOLCHAIN").filter(|v| !v.is_empty()) {
        let v = v.to_string_lossy();
        let set = format!("GOTOOLCHAIN=`{v}` is exported");
        return match classify(&v) {
            GoToolchain::Exact(name) => Finding::warning(
                id,
                title,
                format!(
                    "{set}: every directory runs {name}; `.go-version`, go.mod and go.work are ignored"
                ),
                format!(
                    "{unset}; to choose a toolchain on purpose use `gomux pin` or `GOMUX_TOOLCHAIN`"
                ),
            ),
            GoToolchain::Local => Finding::warning(
                id,
                title,
                format!(
                    "{set}: go.mod and go.work are ignored and the default toolchain runs instead"
                ),
                unset,
            ),
            GoToolchain::Auto => Finding::warning(
                id,
                title,
                format!(
                    "{set}: it reaches the SDK, which may download toolchains into the module cache behind gomux's back"
                ),
                unset,
            ),
            GoToolchain::MinAuto(min) => Finding::warning(
                id,
                title,
                format!(
                    "{set}: {min} replaces the default, and the SDK may download toolchains behind gomux's back"
                ),
                format!("{unset}; set the default with `gomux default`"),
            ),
            GoToolchain::Path => Finding::ok(
                id,
                title,
                format!(
                    "{set}: nothing is downloaded, not even by gomux (missing toolchains are an error)"
                ),
            ),
            GoToolchain::MinPath(min) => Finding::ok(
                id,
                title,
                format!("{set}: {min} is the default and nothing is downloaded, not even by gomux"),
            ),
            GoToolchain::Invalid => Finding::error(
                id,
                title,
                format!("{set}, which is not a valid value: every `go` call fails"),
                "unset GOTOOLCHAIN, or use `auto`, `local`, `path`, `go1.X.Y`, `go1.X.Y+auto` or `go1.X.Y+path`",
            ),
        };
    }
    let file = GoEnvFile::load(env);
    let (Some(path), Some(v)) = (
        file.path.clone(),
        file.get("GOTOOLCHAIN").filter(|v| !v.is_empty()),
    ) else {
        return Finding::ok(
            id,
            title,
            "not set in the environment or by `go env -w`: gomux sets it on every call",
        );
    };
    let set = format!("{} sets GOTOOLCHAIN=`{v}` (`go env -w`)", tick(&path));
    let fix = format!(
        "delete the `GOTOOLCHAIN=` line from {} (or run `go env -w GOTOOLCHAIN=auto`)",
        tick(&path)
    );
    match classify(v) {
        GoToolchain::Exact(name) => Finding::error(
            id,
            title,
            format!(
                "{set}: every directory runs {name}; `.go-version`, go.mod and go.work are ignored"
            ),
            fix,
        ),
        GoToolchain::Local => Finding::error(
            id,
            title,
            format!("{set}: go.mod and go.work are ignored and the default toolchain runs instead"),
            fix,
        ),
        GoToolchain::Auto => Finding::ok(
            id,
            title,
            format!("{set}; the GOTOOLCHAIN gomux passes to the SDK overrides it"),
        ),
        GoToolchain::MinAuto(min) => Finding::warning(
            id,
            title,
            format!("{set}: {min} replaces the default set by `gomux default`"),
            fix,
        ),
        GoToolchain::Path | GoToolchain::MinPath(_) => Finding::warning(
            id,
            title,
            format!("{set}: gomux never installs a missing toolchain"),
            fix,
        ),
        GoToolchain::Invalid => Finding::error(
            id,
            title,
            format!("{set}, which is not a valid value: every `go` call fails"),
            fix,
        ),
    }
}

/// GOCACHE or GOMODCACHE exported with one of gomux's own cache folders: the mark of
/// `eval "$(gomux env)"` run in an interactive shell or profile, which freezes one project's
/// caches (and its GOTOOLCHAIN) into every directory the shell visits.
fn frozen_env_check(ctx: &Context, env: Env<'_>) -> Option<Finding> {
    let settings = ctx.settings().ok()?;
    if settings
        .get_bool(gomux_home::settings::keys::CACHE_FORCE)
        .ok()
        .flatten()
        == Some(true)
    {
        // gomux's folders win over the environment anyway.
        return None;
    }
    let (root, _) = cache::cache_root(&ctx.home, &settings, env).ok()?;
    let root = std::fs::canonicalize(&root).unwrap_or(root);
    let frozen: Vec<String> = ["GOCACHE", "GOMODCACHE"]
        .into_iter()
        .filter_map(|k| {
            let v = PathBuf::from(env(k).filter(|v| !v.is_empty())?);
            let v = std::fs::canonicalize(&v).unwrap_or(v);
            (v.starts_with(&root) && v != root)
                .then(|| format!("{k}=`{}`", gomux_home::text::escape_path(&v)))
        })
        .collect();
    if frozen.is_empty() {
        return None;
    }
    Some(Finding::warning(
        "env.frozen",
        "variables from `gomux env`",
        format!(
            "{} {} exported in this shell: gomux's cache {} for one project, so every project built from this shell shares {}, as after `eval \"$(gomux env)\"`",
            frozen.join(" and "),
            if frozen.len() == 1 { "is" } else { "are" },
            if frozen.len() == 1 {
                "folder"
            } else {
                "folders"
            },
            if frozen.len() == 1 { "it" } else { "them" },
        ),
        "unset GOCACHE GOMODCACHE GOTOOLCHAIN in this shell, and remove any `eval \"$(gomux env ...)\"` from your profile: the proxies set them for each `go` call (keep `gomux env` for CI jobs and IDE settings)",
    ))
}

fn goenv_file_check(ctx: &Context, env: Env<'_>) -> Finding {
    let id = "env.goenv-file";
    let title = "`go env -w` settings";
    let Some(path) = goenv::file_path(env) else {
        return Finding::ok(id, title, "GOENV=off: Go reads no settings file");
    };
    let file = GoEnvFile::load(env);
    let mode = ctx
        .settings()
        .ok()
        .and_then(|s| cache::cache_mode(&s, env).ok())
        .map(|(m, _)| m);
    let mut status = doctor::Status::Ok;
    let mut notes = Vec::new();
    let mut fixes = Vec::new();
    for key in ["GOROOT", "GOCACHE", "GOMODCACHE", "GOPATH", "GOBIN"] {
        let Some(v) = file.get(key).filter(|v| !v.is_empty()) else {
            continue;
        };
        let (s, note) = match key {
            "GOROOT" => (
                doctor::Status::Error,
                "every SDK would take its library and tools from there",
            ),
            "GOCACHE" | "GOMODCACHE" => match mode {
                Some(cache::Mode::Off) | None => (doctor::Status::Ok, "used as is"),
                Some(_) => (
                    doctor::Status::Warning,
                    "gomux's own caches replace it wherever it injects them",
                ),
            },
            "GOPATH" => (
                doctor::Status::Ok,
                "where `go install` puts binaries when GOBIN is unset",
            ),
            _ => (doctor::Status::Ok, "where `go install` puts binaries"),
        };
        if s > doctor::Status::Ok {
            fixes.push(key);
        }
        status = status.max(s);
        notes.push(format!("{key}=`{}` ({note})", gomux_home::text::escape(v)));
    }
    if notes.is_empty() {
        let what = if path.is_file() {
            "sets none of"
        } else {
            "does not exist, so nothing sets"
        };
        return Finding::ok(
            id,
            title,
            format!(
                "{} {what} GOROOT, GOCACHE, GOMODCACHE, GOPATH, GOBIN",
                tick(&path)
            ),
        );
    }
    let evidence = format!("{} sets {}", tick(&path), notes.join(", "));
    let lines: Vec<String> = fixes.iter().map(|k| format!("`{k}=`")).collect();
    let mut fix = format!(
        "delete the {} line{} from {}",
        lines.join(" and "),
        if lines.len() > 1 { "s" } else { "" },
        tick(&path)
    );
    if fixes
        .iter()
        .any(|k| k.starts_with("GOCACHE") || k.starts_with("GOMODCACHE"))
    {
        fix.push_str("; to keep caches on another drive set `GOMUX_CACHE_DIR` or `cache.root`");
    }
    match status {
        doctor::Status::Ok => Finding::ok(id, title, evidence),
        doctor::Status::Warning => Finding::warning(id, title, evidence, fix),
        doctor::Status::Error => Finding::error(id, title, evidence, fix),
    }
}

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

fn filesystem_checks(ctx: &Context, env: Env<'_>, out: &mut Vec<Finding>) {
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

/// The outcome of running an SDK binary.
enum Ran {
    Output(String),
    Proxy,
    Failed(String),
}

/// Runs an SDK binary as gomux does when it vets one: no inherited GOROOT, no toolchain
/// switching, and a recursion depth at which a gomux proxy refuses to run.
fn run_tool(exe: &Path, args: &[&str]) -> Ran {
    let out = Command::new(exe)
        .args(args)
        .env_remove("GOROOT")
        .env("GOTOOLCHAIN", "local")
        .env(vars::GOMUX_RECURSION_DEPTH, "1000")
        .stdin(Stdio::null())
        .output();
    match out {
        Err(e) => Ran::Failed(e.to_string()),
        Ok(o) => {
            let stderr = String::from_utf8_lossy(&o.stderr);
            if stderr.starts_with("gomux:") {
                Ran::Proxy
            } else if !o.status.success() {
                let first = stderr.lines().next().unwrap_or("").trim().to_string();
                Ran::Failed(format!("{}: {first}", o.status))
            } else {
                Ran::Output(String::from_utf8_lossy(&o.stdout).into_owned())
            }
        }
    }
}

fn toolchain_checks(ctx: &Context, out: &mut Vec<Finding>) {
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
        std::fs::read_link(&dir).ok()
    } else {
        None
    };
    if linked && !dir.exists() {
        let t = target.unwrap_or_default();
        return Finding::error(
            id,
            title,
            format!("{} links to {}, which does not exist", tick(&dir), tick(&t)),
            relink,
        );
    }
    let root = std::fs::canonicalize(&dir).unwrap_or_else(|_| dir.clone());
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
    Finding::ok(
        id,
        title,
        format!("`go version` prints {reported}, {agree}; `gofmt` runs{where_}"),
    )
}

fn settings_checks(ctx: &Context, out: &mut Vec<Finding>) {
    let file = ctx.home.settings_file();
    let settings = match ctx.settings() {
        Ok(s) => s,
        Err(e) => {
            out.push(Finding::error(
                "settings",
                "settings file",
                e.to_string(),
                format!("fix or remove the line in {}", tick(&file)),
            ));
            return;
        }
    };
    out.push(Finding::ok(
        "settings",
        "settings file",
        if file.is_file() {
            match settings.entries().len() {
                1 => format!("{} parses (1 setting)", tick(&file)),
                n => format!("{} parses ({n} settings)", tick(&file)),
            }
        } else {
            format!("{} does not exist: the defaults apply", tick(&file))
        },
    ));
    let id = "default";
    let title = "default toolchain";
    out.push(match launch::default_toolchain(&settings) {
        Err(e) => Finding::error(
            id,
            title,
            e.to_string(),
            "set it again with `gomux default VERSION`",
        ),
        Ok(None) => Finding::warning(
            id,
            title,
            "no default toolchain: outside a project that pins one, `go` fails",
            "set one with `gomux default 1.23` (any version you use)",
        ),
        Ok(Some((request, _))) => match ctx.installed(&request) {
            Some(name) => Finding::ok(id, title, format!("`{request}`, installed as {name}")),
            None => Finding::warning(
                id,
                title,
                format!("`{request}` is not installed: the first `go` call outside a project installs it"),
                format!("run `{}`", install_command(&request)),
            ),
        },
    });
}

fn here_checks(ctx: &Context, out: &mut Vec<Finding>) {
    let id = "here";
    let title = format!("this directory ({})", ctx.cwd.display());
    let r = match ctx.resolve(&[], Tool::Go) {
        Ok(r) => {
            let sel = &r.selection;
            let name = r.name.clone().unwrap_or_else(|| sel.request.to_string());
            match &r.root {
                Some(root) => {
                    let root = std::fs::canonicalize(root).unwrap_or_else(|_| root.clone());
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
            let hints: Vec<String> = e
                .chain()
                .filter_map(|c| c.downcast_ref::<crate::render::WithHints>())
                .flat_map(|h| h.hints.clone())
                .collect();
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

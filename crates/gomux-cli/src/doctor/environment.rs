//! The environment a `go` call inherits: an exported GOROOT, GOTOOLDIR or GOTOOLCHAIN,
//! variables frozen by an `eval "$(gomux env)"`, and the `go env -w` settings file.

use std::path::PathBuf;

use gomux_home::cache;
use gomux_home::goenv::{self, GoEnvFile};
use gomux_resolve::Tool;

use super::{Env, Finding, Status, tick};
use crate::context::Context;

pub(super) fn goroot_check(ctx: &Context, env: Env<'_>) -> Finding {
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
        .map(|r| gomux_home::path::canonicalize(&r).unwrap_or(r));
    let same = here
        .as_ref()
        .is_some_and(|h| gomux_home::path::canonicalize(&goroot).is_ok_and(|g| g == *h));
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

/// Windows: a GOROOT in the registry reaches every new process, whatever a shell profile says:
/// the seed's `[Environment]::SetEnvironmentVariable('GOROOT', ..., 'Machine')` pattern.
#[cfg(windows)]
pub(super) fn registry_goroot_check() -> Finding {
    use crate::shell::windows_path::{system_value, user_value};
    let id = "env.goroot-registry";
    let title = "GOROOT in the registry";
    if let Some(v) = system_value("GOROOT").filter(|v| !v.is_empty()) {
        return Finding::error(
            id,
            title,
            format!(
                "GOROOT={} is set for the whole machine (`HKLM\\SYSTEM\\CurrentControlSet\\Control\\Session Manager\\Environment`): every new process gets it, and tools that read GOROOT use that SDK",
                tick(std::path::Path::new(&v))
            ),
            "in an elevated PowerShell: `[Environment]::SetEnvironmentVariable('GOROOT', $null, 'Machine')`, then open a new terminal",
        );
    }
    if let Some(v) = user_value("GOROOT").filter(|v| !v.is_empty()) {
        return Finding::error(
            id,
            title,
            format!(
                "GOROOT={} is set for your user (`HKCU\\Environment`): every new process gets it, and tools that read GOROOT use that SDK",
                tick(std::path::Path::new(&v))
            ),
            "`[Environment]::SetEnvironmentVariable('GOROOT', $null, 'User')`, then open a new terminal",
        );
    }
    Finding::ok(id, title, "not set for the machine or your user")
}

pub(super) fn gotooldir_check(env: Env<'_>) -> Finding {
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

pub(super) fn gotoolchain_check(env: Env<'_>) -> Finding {
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
pub(super) fn frozen_env_check(ctx: &Context, env: Env<'_>) -> Option<Finding> {
    let settings = ctx.settings().ok()?;
    let force = gomux_home::config::CACHE_FORCE.flag(env, || {
        Ok::<_, gomux_home::settings::SettingsError>(&settings)
    });
    if force.is_ok_and(|(on, _)| on) {
        // gomux's folders win over the environment anyway.
        return None;
    }
    let (root, _) = cache::cache_root(&ctx.home, &settings, env).ok()?;
    let root = gomux_home::path::canonicalize(&root).unwrap_or(root);
    let frozen: Vec<String> = ["GOCACHE", "GOMODCACHE"]
        .into_iter()
        .filter_map(|k| {
            let v = PathBuf::from(env(k).filter(|v| !v.is_empty())?);
            let v = gomux_home::path::canonicalize(&v).unwrap_or(v);
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

pub(super) fn goenv_file_check(ctx: &Context, env: Env<'_>) -> Finding {
    let id = "env.goenv-file";
    let title = "`go env -w` settings";
    let Some(path) = goenv::file_path(env) else {
        return Finding::ok(id, title, "GOENV=off: Go reads no settings file");
    };
    let file = GoEnvFile::load(env);
    if let Some(problem) = file.problem() {
        // gomux (and so the proxy) ignores it; the real go would hang on a FIFO or read it.
        return Finding::warning(
            id,
            title,
            problem.to_string(),
            format!(
                "make {} a small regular file (or remove it): gomux ignores it, and the Go command may hang reading it",
                tick(&path)
            ),
        );
    }
    let mode = ctx
        .settings()
        .ok()
        .and_then(|s| cache::cache_mode(&s, env).ok())
        .map(|(m, _)| m);
    let mut status = Status::Ok;
    let mut notes = Vec::new();
    let mut fixes = Vec::new();
    for key in ["GOROOT", "GOCACHE", "GOMODCACHE", "GOPATH", "GOBIN"] {
        let Some(v) = file.get(key).filter(|v| !v.is_empty()) else {
            continue;
        };
        let (s, note) = match key {
            "GOROOT" => (
                Status::Error,
                "every SDK would take its library and tools from there",
            ),
            "GOCACHE" | "GOMODCACHE" => match mode {
                Some(cache::Mode::Off) | None => (Status::Ok, "used as is"),
                Some(_) => (
                    Status::Warning,
                    "gomux's own caches replace it wherever it injects them",
                ),
            },
            "GOPATH" => (
                Status::Ok,
                "where `go install` puts binaries when GOBIN is unset",
            ),
            _ => (Status::Ok, "where `go install` puts binaries"),
        };
        if s > Status::Ok {
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
        Status::Ok => Finding::ok(id, title, evidence),
        Status::Warning => Finding::warning(id, title, evidence, fix),
        Status::Error => Finding::error(id, title, evidence, fix),
    }
}

//! `gomux link [NAME] PATH`: register a GOROOT that is already on disk.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use anyhow::Context as _;
use gomux_home::{env as vars, read_version_file, sdk_tool, text};

use crate::context::Context;
use crate::proxies;
use crate::render::with_hint;

#[derive(clap::Args)]
pub struct Args {
    /// The SDK folder alone; or, when PATH follows, the name to register it under (default:
    /// the toolchain's own name from its VERSION file)
    #[arg(value_name = "NAME|PATH")]
    first: String,
    /// The SDK folder (a GOROOT: it holds `bin/go` and `VERSION`), after a NAME
    #[arg(value_name = "PATH")]
    second: Option<PathBuf>,
    /// Replace an existing link of the same name
    #[arg(long)]
    force: bool,
}

pub fn run(ctx: &Context, args: Args) -> anyhow::Result<ExitCode> {
    let (name, path) = match args.second {
        Some(p) => (Some(args.first), p),
        None => (None, PathBuf::from(args.first)),
    };
    let path = if path.is_absolute() {
        path
    } else {
        ctx.cwd.join(path)
    };
    let root = gomux_home::path::canonicalize(&path).map_err(|e| {
        with_hint(
            format!("cannot use `{}` as a Go SDK: {e}", text::escape_path(&path)),
            &["give the folder that holds `bin/go`, such as `/usr/local/go` or `D:\\go-1.22.0`"],
        )
    })?;
    let go = sdk_tool(&root, "go");
    if !go.is_file() {
        return Err(with_hint(
            format!(
                "`{}` is not a Go SDK: `{}` does not exist",
                text::escape_path(&root),
                text::escape_path(&go)
            ),
            &[
                "give the GOROOT folder (the one with `bin/` and `VERSION` in it), not `bin/` itself",
            ],
        ));
    }
    let printed = check_runs(&go)?;
    let version = read_version_file(&root).map_err(|e| {
        with_hint(
            format!("`{}` has no readable `VERSION` file: {e}", text::escape_path(&root)),
            &["a Go SDK built from a release has `VERSION`; a source checkout of Go's tip cannot be linked"],
        )
    })?;
    let wanted = version.split_whitespace().next().unwrap_or_default();
    if !printed.split_whitespace().any(|w| w == wanted) {
        crate::render::warning(&format!(
            "`{} version` printed `{}`, but its VERSION file says `{}`",
            text::escape_path(&go),
            text::escape(printed.trim()),
            text::escape(&version)
        ));
    }
    let name = match name {
        Some(n) => n,
        None => version
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_string(),
    };
    if !gomux_version::is_safe_name(&name) {
        return Err(with_hint(
            format!("`{}` cannot be a toolchain name", text::escape(&name)),
            &["use letters, digits, `.`, `_` and `-`, such as `go1.22.3` or `corp-go1.22`"],
        ));
    }
    let dir = ctx.home.toolchain_dir(&name);
    if std::fs::symlink_metadata(&dir).is_ok() {
        if !ctx.home.is_linked(&name) {
            return Err(with_hint(
                format!(
                    "`{name}` is already installed at `{}`",
                    text::escape_path(&dir)
                ),
                &["choose another name, or remove it first with `gomux uninstall`"],
            ));
        }
        if !args.force {
            let target = ctx.home.link_target(&name).unwrap_or_default();
            return Err(with_hint(
                format!(
                    "`{name}` is already linked to `{}`",
                    text::escape_path(&target)
                ),
                &["pass `--force` to point it at the new folder"],
            ));
        }
        std::fs::remove_file(&dir)
            .with_context(|| format!("cannot replace `{}`", text::escape_path(&dir)))?;
    }
    gomux_home::fsx::create_owned_dir(&ctx.home.toolchains_dir(), gomux_home::fsx::FOLDER_MARKER)?;
    make_link(ctx, &name, &root, &dir)?;
    proxies::sync(&ctx.home)?;
    crate::render::status!("linked {name} -> {}", text::escape_path(&root));
    if name != version {
        eprintln!(
            "note: the SDK calls itself `{}`; `go version` there prints that name",
            text::escape(&version)
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs `bin/go version` to prove the SDK works and is not a gomux proxy; returns what it printed.
fn check_runs(go: &Path) -> anyhow::Result<String> {
    let out = Command::new(go)
        .arg("version")
        .env_remove("GOROOT")
        .env("GOTOOLCHAIN", "local")
        // A gomux proxy refuses to run at this depth, which is how a proxy is recognised.
        .env(vars::GOMUX_RECURSION_DEPTH, "1000")
        .output()
        .with_context(|| format!("cannot run `{} version`", text::escape_path(go)))?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    if stderr.starts_with("gomux:") {
        return Err(with_hint(
            format!("`{}` is a gomux proxy, not a Go SDK", text::escape_path(go)),
            &["link the real SDK folder; `gomux which --goroot` prints the one in use"],
        ));
    }
    if !out.status.success() {
        return Err(with_hint(
            format!(
                "`{} version` failed: {}",
                text::escape_path(go),
                text::escape(stderr.trim())
            ),
            &["check that the SDK is complete and built for this machine"],
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[cfg(unix)]
fn make_link(_ctx: &Context, _name: &str, target: &Path, link: &Path) -> anyhow::Result<()> {
    std::os::unix::fs::symlink(target, link)
        .with_context(|| format!("cannot create the link `{}`", text::escape_path(link)))
}

/// On Windows a link file, never a symbolic link: making one needs Developer Mode or an
/// elevated shell, and under Wine it silently makes nothing. The proxy follows the file the
/// same way ([`gomux_home::Home::write_link_file`]).
#[cfg(windows)]
fn make_link(ctx: &Context, name: &str, target: &Path, link: &Path) -> anyhow::Result<()> {
    ctx.home.write_link_file(name, target).map_err(|e| {
        with_hint(
            format!("cannot create the link `{}`: {e}", text::escape_path(link)),
            &["check that `toolchains/` in GOMUX_HOME is writable"],
        )
    })
}

//! `gomux install [SPEC...]`, `gomux install --archive FILE`, and the proxy's hidden
//! `gomux install --for-proxy NAME --reason TEXT -- PROXY ARGV...`.
//!
//! The proxy stays free of network code: when its toolchain is missing it execs this command,
//! which installs (one line on stderr, a progress bar on a terminal) and then execs the proxy
//! again with the original argv and `GOMUX_AUTO_INSTALLED` set, so a toolchain that is still
//! missing afterwards is an error instead of a loop.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;

use gomux_dist::{Dist, DistError, Installed, Spec, Verify};
use gomux_home::{Settings, env as vars};
use gomux_resolve::Tool;
use gomux_version::Request;

use crate::context::Context;
use crate::dist::{dist, sync_proxies};
use crate::render::with_hint;

#[derive(clap::Args)]
pub struct Args {
    /// What to install: `1.22.3`, `go1.22.3`, `1.22` (the newest 1.22.x), `latest`; none: what
    /// this folder needs. With `--archive`: the toolchain name, when the file name does not say
    #[arg(value_name = "VERSION")]
    specs: Vec<String>,
    /// Install a local SDK archive (`go1.22.3.linux-amd64.tar.gz`, or a Windows `.zip`)
    #[arg(long, value_name = "FILE", conflicts_with = "for_proxy")]
    archive: Option<PathBuf>,
    /// With `--archive`: the archive's expected sha256 (else the release index's is used)
    #[arg(long, value_name = "HEX", requires = "archive")]
    sha256: Option<String>,
    /// With `--archive`: install it even though no sha256 can verify it. With
    /// `dist.source = "goproxy"`: install a toolchain the checksum database cannot prove
    /// (`GOSUMDB=off`, or no database reachable; never one whose proof failed)
    #[arg(long, conflicts_with = "sha256")]
    allow_unverified: bool,
    /// After installing (or when already installed), re-check each toolchain's files against
    /// the hash that proved it
    #[arg(long, conflicts_with_all = ["archive", "for_proxy"])]
    verify: bool,
    /// Used by the proxy: install this toolchain, then run the command after `--`
    #[arg(long, hide = true, value_name = "TOOLCHAIN", conflicts_with = "specs")]
    for_proxy: Option<String>,
    /// Used by the proxy: what asked for the toolchain (a file and line, or a variable)
    #[arg(long, hide = true, requires = "for_proxy")]
    reason: Option<String>,
    /// Used by the proxy: the proxy's path, then the original argv
    #[arg(last = true, hide = true)]
    exec: Vec<OsString>,
}

pub fn run(ctx: &Context, args: Args) -> anyhow::Result<ExitCode> {
    if let Some(wanted) = &args.for_proxy {
        // The proxy's user ran `go`: a failure reads like the proxy's own (`gomux: ...`).
        let done = ctx.settings().and_then(|settings| {
            for_proxy(ctx, &settings, wanted, args.reason.as_deref(), &args.exec)
        });
        return Ok(done.unwrap_or_else(|e| {
            crate::render::report_as("gomux", &e);
            ExitCode::FAILURE
        }));
    }
    let settings = ctx.settings()?;
    if !args.exec.is_empty() {
        return Err(with_hint(
            "`gomux install` takes no command after `--`",
            &["to run a command with a toolchain, use `gomux run VERSION -- COMMAND`"],
        ));
    }
    let mut dist = dist(ctx, &settings, "")?;
    if args.allow_unverified {
        dist.source_mut().allow_unverified(true);
    }
    if let Some(archive) = &args.archive {
        return install_archive(ctx, &dist, archive, &args);
    }
    let mut wanted: Vec<(Spec, Option<String>)> = Vec::new();
    if args.specs.is_empty() {
        let resolved = ctx.resolve(&[], Tool::Go)?;
        let why = resolved.selection.source.to_string();
        if let (Some(name), Some(_)) = (&resolved.name, &resolved.root) {
            crate::render::status!(
                "{name} is already installed (selected by {})",
                gomux_home::text::escape_max(&why, 1024)
            );
            return Ok(ExitCode::SUCCESS);
        }
        wanted.push((Spec::Version(resolved.selection.request), Some(why)));
    } else {
        for s in &args.specs {
            let spec = Spec::parse(s).map_err(|e| {
                crate::render::add_hints(
                    e,
                    &["use a version such as `1.22.3`, `go1.22.3`, `1.22` or `latest`"],
                )
            })?;
            wanted.push((spec, None));
        }
    }
    let mut changed = false;
    for (spec, why) in wanted {
        let name = dist.resolve(&spec)?;
        if let Some(why) = &why {
            crate::render::status!(
                "installing {name} (required by {})",
                gomux_home::text::escape_max(why, 1024)
            );
        }
        let done = dist.install(&name)?;
        changed |= done.fresh;
        report(&done);
        if args.verify {
            crate::commands::verify::check_one(&done.name, &done.dir)?;
        }
        if done.fresh {
            crate::cache::start_base(ctx, &settings, &done.name);
        }
    }
    if changed {
        sync_proxies(ctx, "");
    }
    Ok(ExitCode::SUCCESS)
}

fn report(done: &Installed) {
    if done.fresh {
        crate::render::status!("installed {} in `{}`", done.name, done.dir.display());
    } else {
        crate::render::status!(
            "{} is already installed in `{}`",
            done.name,
            done.dir.display()
        );
    }
}

fn install_archive(
    ctx: &Context,
    dist: &Dist,
    archive: &std::path::Path,
    args: &Args,
) -> anyhow::Result<ExitCode> {
    if args.specs.len() > 1 {
        return Err(with_hint(
            "`--archive` installs one toolchain",
            &["give at most one name: `gomux install --archive FILE go1.22.3`"],
        ));
    }
    let name = match args.specs.first() {
        None => None,
        Some(s) => match Spec::parse(s) {
            Ok(Spec::Version(Request::Exact(name))) => Some(name),
            _ => {
                return Err(with_hint(
                    format!("`{s}` is not an exact toolchain name"),
                    &["name the toolchain the archive holds, such as `go1.22.3`"],
                ));
            }
        },
    };
    let archive = if archive.is_absolute() {
        archive.to_path_buf()
    } else {
        ctx.cwd.join(archive)
    };
    let verify = match (&args.sha256, args.allow_unverified) {
        (Some(hex), _) => Verify::Sha256(hex.clone()),
        (None, true) => Verify::Unverified,
        (None, false) => Verify::Index,
    };
    let done = dist
        .install_archive(&archive, name.as_deref(), &verify)
        .map_err(|e| match e {
            DistError::Unverified { .. } => crate::render::add_hints(
                e,
                &["or, if you trust the file, install it anyway with `--allow-unverified`"],
            ),
            e => e.into(),
        })?;
    report(&done);
    if done.fresh {
        sync_proxies(ctx, "");
    }
    Ok(ExitCode::SUCCESS)
}

/// The proxy's slow path: install `wanted` (a toolchain name or a family such as `1.22`),
/// then exec the proxy again with the original argv.
fn for_proxy(
    ctx: &Context,
    settings: &Settings,
    wanted: &str,
    reason: Option<&str>,
    exec: &[OsString],
) -> anyhow::Result<ExitCode> {
    let dist = dist(ctx, settings, "gomux: ")?;
    let spec = Spec::parse(wanted)?;
    // A family that is satisfied already (another gomux just installed one) needs no index.
    let installed = match &spec {
        Spec::Version(r @ Request::Family(_)) => ctx.installed(r),
        _ => None,
    };
    let name = match installed {
        Some(name) => name,
        None => dist.resolve(&spec)?,
    };
    if ctx.home.toolchain_root(&name).is_none() {
        match reason {
            Some(why) => eprintln!(
                "gomux: installing {name} (required by {})",
                gomux_home::text::escape_max(why, 1024)
            ),
            None => eprintln!("gomux: installing {name}"),
        }
    }
    let done = dist.install(&name)?;
    if done.fresh {
        crate::cache::start_base(ctx, settings, &done.name);
        sync_proxies(ctx, "gomux: ");
    }
    let Some((program, argv)) = exec.split_first() else {
        return Ok(ExitCode::SUCCESS);
    };
    run_again(program, argv, wanted)
}

#[cfg(unix)]
fn run_again(program: &OsString, argv: &[OsString], wanted: &str) -> anyhow::Result<ExitCode> {
    use std::os::unix::process::CommandExt;
    let mut cmd = std::process::Command::new(program);
    if let Some((argv0, rest)) = argv.split_first() {
        cmd.arg0(argv0).args(rest);
    }
    cmd.env(vars::GOMUX_AUTO_INSTALLED, wanted);
    let err = cmd.exec();
    Err(anyhow::anyhow!(
        "cannot run `{}`: {err}",
        PathBuf::from(program).display()
    ))
}

#[cfg(not(unix))]
fn run_again(program: &OsString, argv: &[OsString], wanted: &str) -> anyhow::Result<ExitCode> {
    let mut cmd = std::process::Command::new(program);
    if let Some((_, rest)) = argv.split_first() {
        cmd.args(rest);
    }
    cmd.env(vars::GOMUX_AUTO_INSTALLED, wanted);
    let status = cmd
        .status()
        .map_err(|e| anyhow::anyhow!("cannot run `{}`: {e}", PathBuf::from(program).display()))?;
    Ok(crate::pass_on_exit_code(status.code().unwrap_or(1)))
}

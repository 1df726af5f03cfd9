//! `gomux self update` and `gomux self uninstall`: gomux managing its own installation.
//!
//! An update is one file: the `gomux` binary of a release, which carries its proxy. It is
//! fetched through the install pipeline's fetcher (TLS verified, `file://` works), checked
//! against the sha256 published beside it (`<file>.sha256`, the output of `sha256sum`), written
//! to a new file in `bin/` and tried (`--version`) before anything is replaced. Then one rename
//! puts it in place of `bin/gomux`, and the new `gomux` runs its own `setup`, which renames its
//! proxy over the master copy and re-links `go`, `gofmt` and `go1.X.Y`. Nothing is ever
//! truncated or written in place: a `go` call running from the old proxy keeps its inode, and a
//! refused download (wrong checksum, not a program for this machine) leaves `bin/` as it was.

use std::path::Path;
use std::process::{Command, ExitCode};

use anyhow::Context as _;
use gomux_dist::{Download, Options, Platform};
use gomux_home::config::{self, Origin};
use gomux_home::{exe, text};

use crate::context::Context;
use crate::proxies;
use crate::render::with_hint;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: SelfCommand,
}

#[derive(clap::Subcommand)]
enum SelfCommand {
    /// Replace `gomux` and its proxies in `GOMUX_HOME/bin` with a newer release, verified by
    /// sha256.
    Update(UpdateArgs),
    /// Undo `gomux setup`: remove the profile blocks, the proxies and `gomux` from `bin/`
    /// (toolchains, caches and settings are kept).
    Uninstall(UninstallArgs),
}

#[derive(clap::Args)]
struct UpdateArgs {
    /// The new `gomux` binary: a file, or an `https://` (`http://` on loopback, `file://`) URL.
    /// Its sha256 is read from `<FILE>.sha256` beside it unless `--sha256` gives it. Default:
    /// `gomux-<os>-<arch>` in the release folder (`self.update_url`, `GOMUX_SELF_UPDATE_URL`)
    #[arg(long, value_name = "FILE|URL")]
    from: Option<String>,
    /// The expected sha256 of the new binary (64 hex digits)
    #[arg(long, value_name = "HEX")]
    sha256: Option<String>,
    /// Only say whether an update is there; change nothing
    #[arg(long, visible_alias = "dry-run")]
    check: bool,
}

#[derive(clap::Args)]
struct UninstallArgs {
    /// Do not touch shell profiles
    #[arg(long)]
    no_modify_path: bool,
    /// Also remove the toolchains gomux installed (linked SDKs are only unlinked)
    #[arg(long)]
    remove_toolchains: bool,
    /// Also remove gomux's GOCACHE/GOMODCACHE folders and its cached index
    #[arg(long)]
    remove_caches: bool,
}

/// The largest `gomux` binary an update downloads.
const MAX_BINARY: u64 = 512 * 1024 * 1024;

pub fn run(ctx: &Context, args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        SelfCommand::Update(a) => update(ctx, a),
        SelfCommand::Uninstall(a) => super::setup::uninstall(
            ctx,
            &super::setup::UninstallOptions {
                keep_profiles: a.no_modify_path,
                remove_toolchains: a.remove_toolchains,
                remove_caches: a.remove_caches,
            },
        ),
    }
}

/// The release file for this machine in a release folder: `gomux-linux-amd64`.
fn release_file_name() -> anyhow::Result<String> {
    let platform = Platform::host().ok_or_else(|| {
        anyhow::anyhow!(
            "gomux has no release name for this platform ({}-{})",
            std::env::consts::OS,
            std::env::consts::ARCH
        )
    })?;
    Ok(exe(&format!("gomux-{platform}")))
}

fn update(ctx: &Context, args: UpdateArgs) -> anyhow::Result<ExitCode> {
    let home = &ctx.home;
    let installed = home.gomux_exe();
    if !installed.is_file() {
        return Err(with_hint(
            format!(
                "gomux is not set up in `{}`: there is no `{}` to update",
                text::escape_path(home.root()),
                text::escape_path(&installed)
            ),
            &["run `gomux setup` first"],
        ));
    }
    let env = |k: &str| std::env::var_os(k);
    let settings = ctx.settings()?;
    let options = Options::from_env(env)?;
    let (allow_http, _) =
        config::DIST_ALLOW_HTTP.flag(&env, || Ok::<_, anyhow::Error>(&settings))?;
    let download = Download::new(&options, allow_http);

    let url = match &args.from {
        Some(from) => download.url(from, "`--from`", &ctx.cwd)?,
        None => {
            let Some((raw, origin)) =
                config::SELF_UPDATE_URL.lookup(&env, || Ok::<_, anyhow::Error>(&settings))?
            else {
                return Err(with_hint(
                    "no release location is set for `gomux self update`",
                    &[
                        "set `self.update_url` in settings.toml (or `GOMUX_SELF_UPDATE_URL`) to the folder your releases are published in, or pass `--from FILE|URL`",
                    ],
                ));
            };
            let origin = match origin {
                Origin::Variable(v) => format!("`{v}`"),
                Origin::Setting { key, .. } => format!("`{key}`"),
                other => other.to_string(),
            };
            let value = raw.as_os_str().to_str().ok_or_else(|| {
                anyhow::anyhow!("the release location in {origin} is not valid UTF-8")
            })?;
            let mut base = download.url(value, &origin, &ctx.cwd)?;
            if !base.ends_with('/') {
                base.push('/');
            }
            base.push_str(&release_file_name()?);
            base
        }
    };
    let shown = text::redact_urls(&url);
    let expected = match &args.sha256 {
        Some(hex) if gomux_dist::is_sha256(hex.trim()) => hex.trim().to_ascii_lowercase(),
        Some(hex) => {
            return Err(anyhow::anyhow!(
                "`--sha256 {}` is not a sha256 (64 hex digits)",
                text::escape_max(hex, 80)
            ));
        }
        None => download.published_sha256(&url)?,
    };
    let current = std::fs::read(&installed)
        .with_context(|| format!("cannot read `{}`", installed.display()))?;
    let up_to_date = gomux_dist::sha256_hex(&current) == expected;
    if args.check {
        if up_to_date {
            println!("gomux is up to date (`{shown}` is the installed binary)");
        } else {
            println!("an update is available: `{shown}` (sha256 {expected})");
            println!("run `gomux self update` to install it");
        }
        return Ok(ExitCode::SUCCESS);
    }
    if up_to_date {
        // The binary is current; setup still brings the proxies in step with it.
        refresh_proxies(ctx, &installed)?;
        crate::render::status!("gomux is up to date");
        return Ok(ExitCode::SUCCESS);
    }
    let new = download.fetch_verified(&url, &expected, MAX_BINARY)?;
    let candidate = installed.with_file_name(format!(".gomux-update-{}", std::process::id()));
    proxies::write_executable(&candidate, &new.bytes)?;
    if let Err(e) = try_run(&candidate) {
        let _ = std::fs::remove_file(&candidate);
        return Err(with_hint(
            format!("`{}` does not run on this machine: {e}", new.shown),
            &["nothing was changed; check that the release is the one for this platform"],
        ));
    }
    std::fs::rename(&candidate, &installed).map_err(|e| {
        let _ = std::fs::remove_file(&candidate);
        with_hint(
            format!("cannot replace `{}`: {e}", installed.display()),
            &["nothing was changed; on Windows a running program cannot be replaced: close it and run the command again"],
        )
    })?;
    refresh_proxies(ctx, &installed)?;
    crate::render::status!(
        "updated `{}` from `{}` (sha256 {})",
        installed.display(),
        new.shown,
        new.sha256
    );
    if let Ok(me) = std::env::current_exe()
        && !proxies::same_file(&me, &installed)
    {
        crate::render::status!(
            "note: the `gomux` you ran (`{}`) is not the one in `bin/` and was left as it is",
            text::escape_path(&me)
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs `gomux --version` from `path`: a release that cannot start here is refused.
fn try_run(path: &Path) -> anyhow::Result<()> {
    let out = Command::new(path)
        .arg("--version")
        .output()
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    if !out.status.success() || !out.stdout.starts_with(b"gomux ") {
        anyhow::bail!(
            "`--version` did not print the version of gomux ({})",
            out.status
        );
    }
    Ok(())
}

/// The installed `gomux` writes out the proxy it carries (`gomux setup`, leaving the shell
/// profiles alone).
fn refresh_proxies(ctx: &Context, gomux: &Path) -> anyhow::Result<()> {
    let out = Command::new(gomux)
        .args(["setup", "--no-modify-path"])
        .env(gomux_home::env::GOMUX_HOME, ctx.home.root())
        .output()
        .with_context(|| format!("cannot run `{}`", gomux.display()))?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        return Err(with_hint(
            format!(
                "`{} setup` failed: {}",
                gomux.display(),
                text::escape(stderr.trim())
            ),
            &["`gomux` is updated but its proxies may not be: run `gomux setup` again"],
        ));
    }
    Ok(())
}

//! The install pipeline as the CLI configures it: from the environment and the settings,
//! with its notices and progress drawn on stderr ([`crate::progress`]), and the proxies kept
//! in step after it changed `toolchains/`.

use gomux_dist::{Dist, DistError, Options, Platform, Source};
use gomux_home::Settings;

use crate::context::Context;
use crate::{progress, proxies};

/// The install pipeline configured from the environment and the settings. `prefix` starts
/// every progress message (`gomux: ` when working for the proxy).
pub fn dist(ctx: &Context, settings: &Settings, prefix: &'static str) -> anyhow::Result<Dist> {
    let env = |k: &str| std::env::var_os(k);
    let source = Source::configured(env, settings)?;
    tracing::info!(
        "downloads from `{}` ({}), release index `{}`",
        source.downloads_url(),
        source.mirror().unwrap_or("the official host"),
        source.index_url()
    );
    if let Some(fallback) = source.fallback_index_url() {
        tracing::debug!("if the mirror does not answer the index query: `{fallback}`");
    }
    let options = Options::from_env(env)?;
    let platform = Platform::host().ok_or_else(|| DistError::UnknownPlatform {
        os: std::env::consts::OS.to_string(),
        arch: std::env::consts::ARCH.to_string(),
    })?;
    Ok(Dist::new(ctx.home.clone(), source, platform, options)
        .with_progress(progress::Stderr::new(prefix)))
}

/// Keeps the versioned proxies current; a failure there does not undo the install.
pub fn sync_proxies(ctx: &Context, prefix: &str) {
    if let Err(e) = proxies::sync(&ctx.home) {
        if prefix.is_empty() {
            crate::render::warning(&format!("the versioned proxies were not updated: {e:#}"));
            crate::render::hint("run `gomux setup` to repair them");
        } else {
            eprintln!("{prefix}warning: the versioned proxies were not updated: {e:#}");
            eprintln!("{prefix}hint: run `gomux setup` to repair them");
        }
    }
}

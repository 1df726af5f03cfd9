//! `gomux list --remote [--all] [--json]`: the releases published for this platform, from the
//! release index (the cached copy while it is fresh).

use std::process::ExitCode;

use gomux_dist::DistError;

use crate::context::Context;
use crate::dist::dist;
use crate::json;

pub fn list_remote(ctx: &Context, all: bool, json: bool) -> anyhow::Result<ExitCode> {
    let settings = ctx.settings()?;
    let dist = dist(ctx, &settings, "")?;
    let index = dist.index().map_err(|e| match e {
        DistError::NotFound { url, .. } => DistError::NoIndex {
            request: "gomux list --remote".to_string(),
            url,
        },
        e => e,
    })?;
    let platform = dist.platform();
    let rows: Vec<_> = index
        .available(platform, all)
        .map(|(release, file)| {
            let installed = ctx.home.toolchain_root(&release.version).is_some();
            (release, file, installed)
        })
        .collect();
    if json {
        let releases = rows
            .iter()
            .map(|(release, file, installed)| json::Release {
                name: release.version.clone(),
                stable: release.stable,
                installed: *installed,
                filename: file.filename.clone(),
                sha256: file.sha256.clone(),
                size: file.size,
            })
            .collect();
        json::print(&json::Releases {
            platform: platform.to_string(),
            releases,
        })?;
        return Ok(ExitCode::SUCCESS);
    }
    if rows.is_empty() {
        eprintln!(
            "no {}releases for {platform} in the release index at `{}`",
            if all { "" } else { "stable " },
            gomux_home::text::redact_url(dist.source().index_url().as_str())
        );
        return Ok(ExitCode::SUCCESS);
    }
    for (release, _, installed) in rows {
        let mut line = release.version.clone();
        if !release.stable {
            line.push_str("  (unstable)");
        }
        if installed {
            line.push_str("  (installed)");
        }
        println!("{line}");
    }
    Ok(ExitCode::SUCCESS)
}

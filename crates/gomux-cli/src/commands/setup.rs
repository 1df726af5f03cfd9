//! `gomux setup`: create the gomux home, install the `gomux` binary and the proxies into its
//! `bin/`, and say how to put that folder on PATH.

use std::process::ExitCode;

use anyhow::Context as _;
use gomux_home::exe;

use crate::{Context, proxies, with_hint};

#[derive(clap::Args)]
pub struct Args {
    /// Do not touch shell profiles (the default for now: the PATH line is printed)
    #[arg(long)]
    no_modify_path: bool,
}

pub fn run(ctx: &Context, _args: Args) -> anyhow::Result<ExitCode> {
    let home = &ctx.home;
    for dir in [
        home.bin_dir(),
        home.toolchains_dir(),
        home.tmp_dir(),
        home.downloads_dir(),
    ] {
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create `{}`", dir.display()))?;
    }
    let me = std::env::current_exe().context("cannot locate the running `gomux`")?;
    let gomux = home.bin_dir().join(exe("gomux"));
    if !proxies::same_file(&me, &gomux) {
        let tmp = gomux.with_extension(format!("tmp{}", std::process::id()));
        std::fs::copy(&me, &tmp)
            .with_context(|| format!("cannot copy `{}` to `{}`", me.display(), tmp.display()))?;
        std::fs::rename(&tmp, &gomux)
            .with_context(|| format!("cannot replace `{}`", gomux.display()))?;
    }
    let shim = proxies::find_shim(home).map_err(|e| {
        with_hint(
            format!("cannot find the proxy binary: {e}"),
            &["build it with `cargo build --release -p gomux-shim`, or use `cargo xtask install`"],
        )
    })?;
    proxies::install(home, &shim)?;
    let bin = home.bin_dir();
    println!("gomux is set up in {}", home.root().display());
    println!("add the proxies to PATH, first, in your shell profile:");
    println!();
    println!("    export PATH=\"{}:$PATH\"", bin.display());
    Ok(ExitCode::SUCCESS)
}

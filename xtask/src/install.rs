//! `cargo xtask install`: build gomux in release mode — the proxy as the fast static build the
//! benchmarks measure — and set it up for this user, so that `go` runs through its proxies
//! (`gomux setup`). Extra arguments go to `gomux setup` (default: `--no-modify-path`).

use std::ffi::OsString;
use std::process::Command;

use anyhow::{Context as _, bail};

use crate::bench::build::{Workspace, build_fast_shim};

pub fn run(args: Vec<OsString>) -> anyhow::Result<()> {
    let ws = Workspace::locate()?;
    eprintln!("== building gomux (release)");
    let gomux = ws.build_cli()?;
    eprintln!("== building the proxy (release, static)");
    let shim = build_fast_shim(&ws)?;
    let mut setup = Command::new(&gomux);
    setup.arg("setup").arg("--proxy-binary").arg(&shim);
    if args.is_empty() {
        setup.arg("--no-modify-path");
    }
    setup.args(&args);
    let status = setup
        .status()
        .with_context(|| format!("running `{} setup`", gomux.display()))?;
    if !status.success() {
        bail!("`gomux setup` failed");
    }
    Ok(())
}

//! `cargo xtask install`: build gomux in release mode and set it up for this user, so that `go`
//! runs through its proxies (`gomux setup`). The `gomux` binary carries the fast static proxy
//! (its build script builds it, `shims/gomux-shim/recipe.rs`), so nothing else is needed.
//! Extra arguments go to `gomux setup` (default: `--no-modify-path`).

use std::ffi::OsString;
use std::process::Command;

use anyhow::{Context as _, bail};

use crate::bench::build::Workspace;

pub fn run(args: Vec<OsString>) -> anyhow::Result<()> {
    let ws = Workspace::locate()?;
    eprintln!("== building gomux (release, with the static proxy inside)");
    let gomux = ws.build_cli()?;
    let mut setup = Command::new(&gomux);
    setup.arg("setup");
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

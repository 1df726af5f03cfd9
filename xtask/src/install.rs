//! `cargo xtask install`: build gomux in release mode and set it up for this user, so that `go`
//! runs through its proxies (`gomux setup`).

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::Command;

use anyhow::{Context as _, bail};

pub fn run(args: Vec<OsString>) -> anyhow::Result<()> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .context("workspace root")?
        .to_path_buf();
    eprintln!("== building gomux (release)");
    let status = Command::new(&cargo)
        .args(["build", "--release", "-p", "gomux-cli", "-p", "gomux-shim"])
        .current_dir(&root)
        .status()
        .context("running `cargo build`")?;
    if !status.success() {
        bail!("the release build failed");
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let gomux = target
        .join("release")
        .join(format!("gomux{}", std::env::consts::EXE_SUFFIX));
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

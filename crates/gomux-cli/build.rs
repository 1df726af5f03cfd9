//! Builds the proxy the fast way (`shims/gomux-shim/recipe.rs`) and hands it to the crate to
//! embed, so one `gomux` binary carries the proxy that `gomux setup` writes out, whatever the
//! command that built it (`cargo build`, `cargo build --release`, `cargo xtask install`).
//!
//! The proxy is always a release build in its own target folder (`<target>/fast-shim`, shared
//! with `cargo xtask bench`), so the debug build of the CLI embeds the same proxy as the
//! release build, and a second run is cargo's incremental no-op. This script reruns only when
//! the proxy's sources change (the recipe's list), never for the CLI's own sources.

use std::path::{Path, PathBuf};

include!("../../shims/gomux-shim/recipe.rs");

fn main() {
    if let Err(e) = run() {
        // A build script reports through its exit status; cargo shows this text.
        eprintln!("error: cannot build the proxy for `gomux` to embed: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let manifest = PathBuf::from(var("CARGO_MANIFEST_DIR")?);
    let workspace = manifest
        .parent()
        .and_then(Path::parent)
        .ok_or("the gomux-cli crate is not inside the workspace")?
        .to_path_buf();
    let out = PathBuf::from(var("OUT_DIR")?);
    let target = var("TARGET")?;
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());

    println!("cargo:rerun-if-changed=build.rs");
    for src in recipe::SOURCES {
        println!("cargo:rerun-if-changed={}", workspace.join(src).display());
    }
    println!("cargo:rerun-if-env-changed=RUSTFLAGS");
    println!("cargo:rerun-if-env-changed={PREBUILT}");

    // A cross build that needs flags of its own (the Windows build rebuilds std) builds the
    // proxy first, with those flags, and names it here.
    if let Some(prebuilt) = std::env::var_os(PREBUILT).filter(|v| !v.is_empty()) {
        let prebuilt = PathBuf::from(prebuilt);
        println!("cargo:rerun-if-changed={}", prebuilt.display());
        return embed(&prebuilt, &out);
    }

    let target_dir = cargo_target_dir(&out, &target)
        .unwrap_or_else(|| out.clone())
        .join(recipe::TARGET_SUBDIR);
    let best = recipe::Kind::best(&target);
    let built = build(&cargo, &workspace, &target_dir, &target, best).or_else(|e| {
        if best == recipe::Kind::Std {
            return Err(e);
        }
        // The static glibc build still works: a slower proxy, not a broken `gomux`. The
        // test suite checks that the proxy `gomux setup` installs has no C library, so CI
        // never lands this fallback unnoticed.
        println!(
            "cargo:warning=the proxy without a C library did not build, so `gomux` embeds the static glibc proxy (about 0.25 ms slower per call): {}",
            e.lines().next().unwrap_or_default()
        );
        build(&cargo, &workspace, &target_dir, &target, recipe::Kind::Std)
    })?;
    embed(&built, &out)
}

fn build(
    cargo: &std::ffi::OsStr,
    workspace: &Path,
    target_dir: &Path,
    target: &str,
    kind: recipe::Kind,
) -> Result<PathBuf, String> {
    let mut cmd = recipe::command(cargo, workspace, target_dir, target, kind);
    let status = cmd.status().map_err(|e| format!("running {cmd:?}: {e}"))?;
    if !status.success() {
        return Err(format!("{cmd:?} failed ({status})"));
    }
    Ok(recipe::binary(target_dir, target, kind))
}

/// The variable naming an already built proxy to embed instead of building one.
const PREBUILT: &str = "GOMUX_EMBED_PROXY";

/// Copies the proxy `built` into `out` and tells the crate where it is.
fn embed(built: &Path, out: &Path) -> Result<(), String> {
    let embedded = out.join("gomux-shim");
    std::fs::copy(built, &embedded).map_err(|e| {
        format!(
            "copying `{}` to `{}`: {e}",
            built.display(),
            embedded.display()
        )
    })?;
    println!(
        "cargo:rustc-env=GOMUX_EMBEDDED_PROXY={}",
        embedded.display()
    );
    Ok(())
}

fn var(name: &str) -> Result<String, String> {
    std::env::var_os(name)
        .and_then(|v| v.into_string().ok())
        .ok_or_else(|| format!("cargo did not set `{name}` (or it is not UTF-8)"))
}

/// The cargo target folder of the build that runs this script, from its `OUT_DIR`
/// (`<target>[/<triple>]/<profile>/build/<pkg>-<hash>/out`).
fn cargo_target_dir(out: &Path, triple: &str) -> Option<PathBuf> {
    let build = out
        .ancestors()
        .find(|a| a.file_name().is_some_and(|n| n == "build"))?;
    let profile = build.parent()?;
    let mut dir = profile.parent()?;
    if dir.file_name().is_some_and(|n| n == triple) {
        dir = dir.parent()?;
    }
    Some(dir.to_path_buf())
}

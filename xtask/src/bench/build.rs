//! Release builds for the benchmark: the `gomux` CLI as usual, and the proxy the fast way.
//!
//! How the fast proxy is built (flags, target, its own target folder) is the one recipe in
//! `shims/gomux-shim/recipe.rs`, shared with the CLI's build script, which embeds the same
//! build in `gomux`. The CLI, which does DNS and TLS, stays a normal dynamic build.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, Result, bail};

include!("../../../shims/gomux-shim/recipe.rs");

/// Which build of the proxy to measure.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ShimBuild {
    /// The proxy `gomux` embeds: no C library on Linux x86_64, in its own target folder.
    Fast,
    /// The static glibc build (on Linux), in its own target folder: the fallback, and what
    /// the no-C-library build is measured against.
    Glibc,
    /// The plain `cargo build --release` binary.
    Default,
    /// A binary built earlier (to compare before and after a change).
    File(PathBuf),
}

impl ShimBuild {
    pub fn describe(&self) -> String {
        match self {
            ShimBuild::Fast => match host_triple() {
                Ok(t) => recipe::Kind::best(&t).describe(&t),
                Err(_) => "release build (its own target folder)".into(),
            },
            ShimBuild::Glibc => match host_triple() {
                Ok(t) => recipe::Kind::Std.describe(&t),
                Err(_) => "release build (its own target folder)".into(),
            },
            ShimBuild::Default => {
                "default release build (`cargo build --release -p gomux-shim`)".into()
            }
            ShimBuild::File(p) => format!("`{}`", p.display()),
        }
    }
}

/// The workspace root and its cargo target folder.
pub struct Workspace {
    pub root: PathBuf,
    pub target: PathBuf,
    cargo: OsString,
}

impl Workspace {
    pub fn locate() -> Result<Workspace> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .context("the xtask crate has no parent folder")?
            .to_path_buf();
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let out = Command::new(&cargo)
            .args(["metadata", "--format-version", "1", "--no-deps"])
            .current_dir(&root)
            .output()
            .context("running `cargo metadata`")?;
        if !out.status.success() {
            bail!(
                "`cargo metadata` failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        let meta: serde_json::Value =
            serde_json::from_slice(&out.stdout).context("reading `cargo metadata` output")?;
        let target = meta["target_directory"]
            .as_str()
            .map(PathBuf::from)
            .context("`cargo metadata` printed no `target_directory`")?;
        Ok(Workspace {
            root,
            target,
            cargo,
        })
    }

    fn cargo(&self) -> Command {
        let mut cmd = Command::new(&self.cargo);
        cmd.current_dir(&self.root);
        cmd
    }

    /// `cargo build --release -p gomux-cli`; returns the `gomux` binary.
    pub fn build_cli(&self) -> Result<PathBuf> {
        run(self
            .cargo()
            .args(["build", "--release", "-p", "gomux-cli", "-p", "gomux-shim"]))?;
        Ok(self.target.join("release").join(exe("gomux")))
    }

    /// The proxy: the fast build, or the one `build_cli` made.
    pub fn build_shim(&self, how: &ShimBuild) -> Result<PathBuf> {
        match how {
            ShimBuild::Default => Ok(self.target.join("release").join(exe("gomux-shim"))),
            ShimBuild::Fast => build_fast_shim(self, None),
            ShimBuild::Glibc => build_fast_shim(self, Some(recipe::Kind::Std)),
            ShimBuild::File(p) => Ok(p.clone()),
        }
    }
}

/// Builds the proxy the fast way (`recipe`) into `<target>/fast-shim` and returns the binary:
/// the same build the `gomux` binary embeds.
/// `kind` defaults to the best build for the host.
pub fn build_fast_shim(ws: &Workspace, kind: Option<recipe::Kind>) -> Result<PathBuf> {
    let host = host_triple()?;
    let kind = kind.unwrap_or_else(|| recipe::Kind::best(&host));
    let dir = ws.target.join(recipe::TARGET_SUBDIR);
    run(&mut recipe::command(&ws.cargo, &ws.root, &dir, &host, kind))?;
    Ok(recipe::binary(&dir, &host, kind))
}

/// The host's target triple, from `rustc -vV`.
pub fn host_triple() -> Result<String> {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let out = Command::new(rustc)
        .arg("-vV")
        .output()
        .context("running `rustc -vV`")?;
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: "))
        .map(str::to_string)
        .context("`rustc -vV` printed no `host:` line")
}

fn run(cmd: &mut Command) -> Result<()> {
    let shown = format!("{cmd:?}");
    let status = cmd.status().with_context(|| format!("running {shown}"))?;
    if !status.success() {
        bail!("{shown} failed ({status})");
    }
    Ok(())
}

pub fn exe(name: &str) -> String {
    format!("{name}{}", std::env::consts::EXE_SUFFIX)
}

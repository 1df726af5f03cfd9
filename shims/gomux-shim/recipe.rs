// The one recipe for the fast build of the proxy, `include!`d by the `gomux` CLI's build script
// (`crates/gomux-cli/build.rs`, which embeds the result) and by `cargo xtask` (`bench`,
// `install`). Change how the proxy is built here and nowhere else. Plain std, no crate: a build
// script has nothing else.
//
// The proxy's start-up is most of its cost, and most of that is the dynamic loader (loading
// libc and libgcc_s, applying relocations). On Linux it is therefore linked statically
// (`-C target-feature=+crt-static`). A Cargo profile cannot set a target feature for one
// package, so the proxy gets its own cargo invocation with its own RUSTFLAGS, an explicit
// `--target` (so build scripts and proc macros of the host are left alone) and its own target
// folder (so the flags never invalidate the normal build, and a cargo run inside a build script
// never waits for the lock of the build that runs it). Elsewhere it is the plain release build.

#[allow(dead_code)]
pub mod recipe {
    use std::ffi::{OsStr, OsString};
    use std::path::{Path, PathBuf};
    use std::process::Command;

    /// The proxy's package.
    pub const PACKAGE: &str = "gomux-shim";

    /// The folder of the fast build, inside the workspace's cargo target folder.
    pub const TARGET_SUBDIR: &str = "fast-shim";

    /// What the proxy is built from, relative to the workspace root: a change to any of these
    /// rebuilds it (the CLI's build script reruns on them). Every workspace crate the proxy
    /// links must be listed; `tests/e2e/deps.rs` checks that against `cargo metadata`.
    pub const SOURCES: &[&str] = &[
        "shims/gomux-shim",
        "crates/gomux-version",
        "crates/gomux-resolve",
        "crates/gomux-home",
        "Cargo.toml",
        "Cargo.lock",
    ];

    /// The RUSTFLAGS the fast build adds for `target` (a target triple).
    pub fn fast_flags(target: &str) -> &'static str {
        if target.contains("-linux-") {
            "-C target-feature=+crt-static"
        } else {
            ""
        }
    }

    /// `cargo build --release -p gomux-shim --target TARGET --target-dir TARGET_DIR` with the
    /// fast flags added to the caller's `RUSTFLAGS`. `target_dir` is the fast build's own
    /// folder (`<cargo target folder>/fast-shim`).
    pub fn command(cargo: &OsStr, workspace: &Path, target_dir: &Path, target: &str) -> Command {
        let mut flags = std::env::var_os("RUSTFLAGS").unwrap_or_default();
        let fast = fast_flags(target);
        if !fast.is_empty() {
            if !flags.is_empty() {
                flags.push(" ");
            }
            flags.push(fast);
        }
        let flags: OsString = flags;
        let mut cmd = Command::new(cargo);
        cmd.current_dir(workspace)
            .args(["build", "--release", "--offline", "-p", PACKAGE])
            .args(["--target", target])
            .arg("--target-dir")
            .arg(target_dir)
            .env("RUSTFLAGS", flags)
            // What an outer cargo hands a build script must not leak into this build: its
            // flags (they would replace RUSTFLAGS), clippy's wrapper, its target folder.
            .env_remove("CARGO_ENCODED_RUSTFLAGS")
            .env_remove("RUSTC_WORKSPACE_WRAPPER")
            .env_remove("CLIPPY_ARGS")
            .env_remove("CARGO_TARGET_DIR")
            .env_remove("CARGO_BUILD_TARGET");
        cmd
    }

    /// The binary [`command`] builds.
    pub fn binary(target_dir: &Path, target: &str) -> PathBuf {
        let name = if target.contains("-windows-") {
            "gomux-shim.exe"
        } else {
            "gomux-shim"
        };
        target_dir.join(target).join("release").join(name)
    }
}

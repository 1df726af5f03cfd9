// The one recipe for the fast build of the proxy, `include!`d by the `gomux` CLI's build script
// (`crates/gomux-cli/build.rs`, which embeds the result) and by `cargo xtask` (`bench`,
// `install`). Change how the proxy is built here and nowhere else. Plain std, no crate: a build
// script has nothing else.
//
// The proxy's start-up is most of its cost, and most of that is the dynamic loader (loading
// libc and libgcc_s, applying relocations) and then glibc's own start-up. So on Linux x86_64
// the proxy is built without a C library: `shims/no-libc` builds the same sources with eyra
// (origin's start-up, rustix's system calls) in place of glibc, linked statically and not
// position-independent (no self-relocation; the stack, heap and mappings stay randomised).
// That package is a workspace of its own with its own lock (see its Cargo.toml), and needs
// RUSTC_BOOTSTRAP=1 for origin's nightly features. On other Linux targets, or when that build
// fails (no network for its crates, say), the proxy is the static glibc build
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
        "shims/no-libc/Cargo.toml",
        "shims/no-libc/Cargo.lock",
        "shims/no-libc/build.rs",
        "Cargo.toml",
        "Cargo.lock",
    ];

    /// The package that builds the proxy without a C library (its own workspace).
    pub const NO_LIBC_DIR: &str = "shims/no-libc";

    /// How the proxy is built.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum Kind {
        /// Without a C library (eyra), static, not position-independent: Linux x86_64 only.
        NoLibc,
        /// The std build, static on Linux (glibc's static start-up included).
        Std,
    }

    impl Kind {
        /// The fastest build there is for `target`.
        pub fn best(target: &str) -> Kind {
            if target == "x86_64-unknown-linux-gnu" {
                Kind::NoLibc
            } else {
                Kind::Std
            }
        }

        /// A few words for build logs and the benchmark's page.
        pub fn describe(self, target: &str) -> String {
            match self {
                Kind::NoLibc => "static, no C library (eyra), its own target folder".into(),
                Kind::Std if fast_flags(target).is_empty() => {
                    "release build, its own target folder".into()
                }
                Kind::Std => format!(
                    "static glibc build (`{}`), its own target folder",
                    fast_flags(target)
                ),
            }
        }
    }

    /// The RUSTFLAGS the fast build adds for `target` (a target triple).
    pub fn fast_flags(target: &str) -> &'static str {
        if target.contains("-linux-") {
            "-C target-feature=+crt-static"
        } else {
            ""
        }
    }

    /// `cargo build --release -p gomux-shim --target TARGET --target-dir TARGET_DIR` (for
    /// [`Kind::Std`]; [`Kind::NoLibc`] builds `shims/no-libc`, locked, in `TARGET_DIR/no-libc`)
    /// with the kind's flags added to the caller's `RUSTFLAGS`. `target_dir` is the fast
    /// build's own folder (`<cargo target folder>/fast-shim`).
    pub fn command(
        cargo: &OsStr,
        workspace: &Path,
        target_dir: &Path,
        target: &str,
        kind: Kind,
    ) -> Command {
        let mut flags = std::env::var_os("RUSTFLAGS").unwrap_or_default();
        let fast = match kind {
            Kind::NoLibc => "-C target-feature=+crt-static -C relocation-model=static",
            Kind::Std => fast_flags(target),
        };
        if !fast.is_empty() {
            if !flags.is_empty() {
                flags.push(" ");
            }
            flags.push(fast);
        }
        let flags: OsString = flags;
        let mut cmd = Command::new(cargo);
        cmd.current_dir(workspace);
        match kind {
            Kind::Std => {
                cmd.args(["build", "--release", "--offline", "-p", PACKAGE]);
            }
            Kind::NoLibc => {
                // Its crates are not in the main lock, so a fresh machine fetches them here
                // (`--locked`: exactly the versions committed), unless cargo is offline.
                cmd.args(["build", "--release", "--locked"])
                    .arg("--manifest-path")
                    .arg(workspace.join(NO_LIBC_DIR).join("Cargo.toml"))
                    .env("RUSTC_BOOTSTRAP", "1");
            }
        }
        cmd.args(["--target", target])
            .arg("--target-dir")
            .arg(kind_dir(target_dir, kind))
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

    fn kind_dir(target_dir: &Path, kind: Kind) -> PathBuf {
        match kind {
            Kind::Std => target_dir.to_path_buf(),
            Kind::NoLibc => target_dir.join("no-libc"),
        }
    }

    /// The binary [`command`] builds.
    pub fn binary(target_dir: &Path, target: &str, kind: Kind) -> PathBuf {
        let name = if target.contains("-windows-") {
            "gomux-shim.exe"
        } else {
            "gomux-shim"
        };
        kind_dir(target_dir, kind)
            .join(target)
            .join("release")
            .join(name)
    }
}

//! The proxy stays small: every `go` call starts it, and its start-up cost grows with what it
//! links (a dynamic loader applying relocations, an async runtime, a TLS stack). These checks
//! keep the heavy crates out of its dependency tree and its release binary under a limit.
//!
//! The size limit is generous on purpose (the measured size is in `docs/benchmarks.md`), so the
//! check never fails on a compiler upgrade, only when something big was pulled in.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Crates the proxy must never link: runtimes, HTTP and TLS stacks, argument parsers, logging
/// set-up and general-purpose serialisation, and the workspace's own slow-path crates (installs
/// and the cache folders' walks, which the proxy leaves to the `gomux` CLI). And `memchr`,
/// which picks its instructions by a CPU feature check on first use: CPUID is a VM exit on a
/// virtual machine, and that check cost the proxy 9 µs of every call.
const FORBIDDEN: &[&str] = &[
    "memchr",
    "gomux-dist",
    "gomux-cache",
    "tokio",
    "reqwest",
    "hyper",
    "clap",
    "tracing-subscriber",
    "serde_json",
    "serde",
];

/// The default release build of the proxy is about 0.5 MiB; four times that means a big
/// dependency came in.
const SIZE_LIMIT: u64 = 2 * 1024 * 1024;

fn cargo() -> Command {
    let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cmd.current_dir(workspace_root());
    cmd
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate sits in the workspace")
        .to_path_buf()
}

/// `cargo tree -p gomux-shim -e normal`, one `name version [(path)]` per line.
fn proxy_tree() -> String {
    let out = cargo()
        .args([
            "tree",
            "-p",
            "gomux-shim",
            "-e",
            "normal",
            "--prefix",
            "none",
            "--format",
            "{p}",
        ])
        .output()
        .expect("running `cargo tree`");
    assert!(
        out.status.success(),
        "`cargo tree -p gomux-shim` failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn the_proxy_links_none_of_the_heavy_crates() {
    let text = proxy_tree();
    let crates: Vec<&str> = text
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert!(
        crates.contains(&"gomux-shim") && crates.contains(&"gomux-resolve"),
        "`cargo tree` did not list the proxy's own crates:\n{text}"
    );
    let heavy: Vec<&&str> = FORBIDDEN.iter().filter(|c| crates.contains(c)).collect();
    assert!(
        heavy.is_empty(),
        "the proxy now depends on {heavy:?}; keep it to std and the workspace's small crates \
         (see docs/benchmarks.md):\n{text}"
    );
}

/// What the proxy without a C library (`shims/no-libc`) may link: the workspace's crates, eyra
/// and what eyra's crates bring (and the platform crates a lock lists for other targets).
const NO_LIBC_ALLOWED: &[&str] = &[
    "gomux-shim-nolibc",
    "gomux-home",
    "gomux-resolve",
    "gomux-version",
    "libc",
    "eyra",
    "c-gull",
    "c-scape",
    "origin",
    "rustix",
    "rustix-dlmalloc",
    "rustix-futex-sync",
    "rustix-openpty",
    "linux-raw-sys",
    "errno",
    "bitflags",
    "cfg-if",
    "libm",
    "memoffset",
    "num-complex",
    "num-traits",
    "autocfg",
    "posix-regex",
    "printf-compat",
    "itertools",
    "either",
    "rand",
    "rand_core",
    "rand_pcg",
    "getrandom",
    "realpath-ext",
    "lock_api",
    "scopeguard",
    "smallvec",
    "tz-rs",
    "unwinding",
    "gimli",
    "r-efi",
    "wasip2",
    "wit-bindgen",
    "windows-link",
    "windows-sys",
    "windows-targets",
    "windows_aarch64_gnullvm",
    "windows_aarch64_msvc",
    "windows_i686_gnu",
    "windows_i686_gnullvm",
    "windows_i686_msvc",
    "windows_x86_64_gnu",
    "windows_x86_64_gnullvm",
    "windows_x86_64_msvc",
];

/// The no-C-library proxy's lock names only what [`NO_LIBC_ALLOWED`] lists: a crate added
/// there is a decision, made here, not a side effect.
#[test]
fn the_no_libc_proxy_links_only_the_workspace_and_eyra() {
    let lock = std::fs::read_to_string(workspace_root().join("shims/no-libc/Cargo.lock"))
        .expect("shims/no-libc/Cargo.lock is committed");
    let names: Vec<&str> = lock
        .lines()
        .filter_map(|l| l.strip_prefix("name = \""))
        .filter_map(|l| l.strip_suffix('"'))
        .collect();
    assert!(
        names.contains(&"eyra") && names.contains(&"gomux-resolve"),
        "{lock}"
    );
    let unknown: Vec<&&str> = names
        .iter()
        .filter(|n| !NO_LIBC_ALLOWED.contains(n))
        .collect();
    assert!(
        unknown.is_empty(),
        "shims/no-libc/Cargo.lock now has {unknown:?}: list them in NO_LIBC_ALLOWED if they \
         belong there, after checking what they cost the proxy (cargo xtask bench)"
    );
    let heavy: Vec<&&str> = FORBIDDEN.iter().filter(|c| names.contains(c)).collect();
    assert!(heavy.is_empty(), "{heavy:?}");
}

#[test]
fn the_release_proxy_stays_small() {
    // The same target folder as the rest of the suite (`target/<profile>/deps/<test>`), so the
    // release build is incremental across runs.
    let target = gomux_tests::bin_dir()
        .parent()
        .expect("target folder")
        .to_path_buf();
    let status = cargo()
        .args(["build", "--quiet", "--release", "-p", "gomux-shim"])
        .arg("--target-dir")
        .arg(&target)
        .status()
        .expect("running `cargo build --release -p gomux-shim`");
    assert!(status.success(), "the release build of the proxy failed");
    let bin = target.join("release").join(gomux_tests::exe("gomux-shim"));
    let size = std::fs::metadata(&bin)
        .unwrap_or_else(|e| panic!("cannot read `{}`: {e}", bin.display()))
        .len();
    assert!(
        size < SIZE_LIMIT,
        "the release proxy `{}` is {size} bytes, over the {SIZE_LIMIT}-byte limit: something big \
         was linked in (see docs/benchmarks.md)",
        bin.display()
    );
}

include!("../../shims/gomux-shim/recipe.rs");

/// The `gomux` build script rebuilds the embedded proxy when one of the recipe's sources
/// changes; a workspace crate the proxy links but the list misses would leave a stale proxy
/// inside `gomux`.
#[test]
fn the_recipe_lists_every_workspace_crate_the_proxy_links() {
    let text = proxy_tree();
    let root = workspace_root();
    let mut checked = 0;
    for line in text.lines() {
        // `name v0.1.0 (/path/to/crate)` for path dependencies.
        let line = line.trim_end_matches(" (*)");
        let Some(path) = line
            .split_once(" (")
            .and_then(|(_, rest)| rest.strip_suffix(')'))
        else {
            continue;
        };
        let Ok(rel) = Path::new(path).strip_prefix(&root) else {
            continue;
        };
        assert!(
            recipe::SOURCES.iter().any(|s| Path::new(s) == rel),
            "the proxy links `{}`, which `shims/gomux-shim/recipe.rs` does not list in SOURCES",
            rel.display()
        );
        checked += 1;
    }
    assert!(checked >= 3, "no workspace crates found in:\n{text}");
}

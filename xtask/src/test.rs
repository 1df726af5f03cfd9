//! `cargo xtask test`: the whole test suite as CI runs it.
//!
//! Builds the real-Go fixtures (reused when present), then runs `cargo fmt --check`, clippy
//! with warnings as errors, and every test with `GOMUX_FIXTURES` set and
//! `GOMUX_REQUIRE_FIXTURES=1`, so a real-Go test can never be skipped silently; then the
//! fidelity sample and the Windows suite under Wine ([`crate::windows`]).

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::Command;

use anyhow::{Context as _, bail};

pub fn run(args: Vec<OsString>) -> anyhow::Result<()> {
    let mut quick = false;
    let mut fixtures: Option<PathBuf> = std::env::var_os("GOMUX_FIXTURES").map(PathBuf::from);
    let mut it = args.into_iter();
    while let Some(a) = it.next() {
        match a.to_str() {
            Some("--quick") => quick = true,
            Some("--fixtures") => {
                fixtures = Some(PathBuf::from(
                    it.next().context("`--fixtures` needs a folder")?,
                ))
            }
            Some("-h" | "--help") => {
                println!(
                    "usage: cargo xtask test [--quick] [--fixtures DIR]\n\n\
                     Builds the real-Go fixtures (unless --fixtures DIR or GOMUX_FIXTURES names them),\n\
                     checks formatting and clippy, runs every test with the real-Go suite required,\n\
                     then the Windows suite under Wine (`cargo xtask windows`).\n\
                     --quick skips fmt and clippy."
                );
                return Ok(());
            }
            _ => bail!("unknown argument `{}`", a.to_string_lossy()),
        }
    }
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let fixtures = match fixtures {
        Some(f) => f,
        None => {
            eprintln!("== building the real-Go fixtures");
            let out = Command::new(&cargo)
                .args(["xtask", "fixtures"])
                .stderr(std::process::Stdio::inherit())
                .output()
                .context("running `cargo xtask fixtures`")?;
            if !out.status.success() {
                bail!("`cargo xtask fixtures` failed; the real-Go suite needs it");
            }
            let stdout = String::from_utf8_lossy(&out.stdout);
            let last = stdout
                .lines()
                .last()
                .context("`cargo xtask fixtures` printed no folder")?;
            PathBuf::from(last.trim())
        }
    };
    if !quick {
        step(
            &cargo,
            &["fmt", "--all", "--", "--check"],
            "formatting (run `cargo fmt --all`)",
        )?;
        step(
            &cargo,
            &[
                "clippy",
                "--workspace",
                "--all-targets",
                "--",
                "-D",
                "warnings",
            ],
            "clippy",
        )?;
    }
    // The loopback checksum database of the goproxy tests (x/mod's reference code).
    eprintln!("== building the checksum database server");
    let sumdb = crate::fixtures::sumdb::build(&fixtures)?;
    eprintln!("== tests (fixtures: {})", fixtures.display());
    let status = Command::new(&cargo)
        .args(["test", "--workspace", "--no-fail-fast"])
        .env("GOMUX_FIXTURES", &fixtures)
        .env("GOMUX_SUMDB_SERVER", &sumdb)
        .env("GOMUX_REQUIRE_FIXTURES", "1")
        .status()
        .context("running `cargo test`")?;
    if !status.success() {
        bail!("tests failed");
    }
    // Agreement with Go, proven on real releases: a seeded sample on the oldest and newest
    // release of the fixtures (the full run is `cargo xtask fidelity --full`).
    eprintln!("== fidelity against real Go (oldest and newest fixture release)");
    crate::fidelity::ci(&fixtures)?;
    // Windows: gomux.exe and the proxy built for x86_64-pc-windows-gnu, tested under Wine.
    eprintln!("== Windows under Wine (`cargo xtask windows`)");
    crate::windows::run(Vec::new())
}

fn step(cargo: &OsString, args: &[&str], what: &str) -> anyhow::Result<()> {
    eprintln!("== {}", args.join(" "));
    let status = Command::new(cargo)
        .args(args)
        .status()
        .with_context(|| format!("running `cargo {}`", args.join(" ")))?;
    if !status.success() {
        bail!("{what} failed");
    }
    Ok(())
}

//! A fake Go SDK binary for the end-to-end tests: installed as `bin/go` and `bin/gofmt` of a
//! fake GOROOT, it reports what it was run with, so a test proves which SDK the proxy chose and
//! what environment it passed.
//!
//! Output (stdout), one `key=value` per line: `tool`, `version` (first line of `../VERSION`),
//! `goroot` (its own root), `pid`, `cwd`, `arg` (one line per argument), and the variables
//! GOROOT, GOTOOLCHAIN, GOCACHE, GOMODCACHE, GOCACHEPROG, GOMUX_RECURSION_DEPTH (`<unset>` when missing).
//! `argx` (each argument's raw bytes in hex), and
//! `go version` prints `go version <VERSION> <os>/<arch>` like the real one.
//! `FAKE_GO_EXIT=N` makes it exit with N.

// Test code: a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

fn main() {
    let exe = std::env::current_exe().unwrap_or_default();
    let root: PathBuf = exe
        .parent()
        .and_then(|b| b.parent())
        .map(PathBuf::from)
        .unwrap_or_default();
    let version = std::fs::read_to_string(root.join("VERSION"))
        .ok()
        .and_then(|t| t.lines().next().map(str::to_string))
        .unwrap_or_else(|| "unknown".to_string());
    let args: Vec<String> = std::env::args_os()
        .skip(1)
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let tool = exe
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if let Some(ms) = std::env::var_os("FAKE_GO_SLEEP_MS").and_then(|v| v.to_str()?.parse().ok()) {
        std::thread::sleep(std::time::Duration::from_millis(ms));
    }
    let words: Vec<&str> = args.iter().map(String::as_str).collect();
    if tool == "go" && words == ["list", "std"] {
        println!("fmt\nnet/http\ninternal/abi");
        return;
    }
    if tool == "go" && words == ["build", "std"] {
        // What a real `go build std` leaves, in miniature: an output named by its hash and
        // the index entry that points at it.
        let cache = PathBuf::from(std::env::var_os("GOCACHE").unwrap());
        std::fs::create_dir_all(cache.join("ab")).unwrap();
        std::fs::write(cache.join("ab/ab01-d"), "compiled fmt\n").unwrap();
        std::fs::write(cache.join("ab/ab02-a"), "v1 ab02 ab01\n").unwrap();
        std::fs::write(cache.join("README"), "base readme\n").unwrap();
        println!("fake build std into {}", cache.display());
        return;
    }
    if tool == "go" && args.first().map(String::as_str) == Some("version") && args.len() == 1 {
        println!(
            "go version {version} {}/{}",
            std::env::consts::OS,
            std::env::consts::ARCH
        );
    } else {
        println!("tool={tool}");
        println!("version={version}");
        println!("goroot={}", root.display());
        println!("pid={}", std::process::id());
        println!(
            "cwd={}",
            std::env::current_dir().unwrap_or_default().display()
        );
        println!(
            "argv0={}",
            std::env::args_os()
                .next()
                .unwrap_or_default()
                .to_string_lossy()
        );
        for a in &args {
            println!("arg={a}");
        }
        for a in std::env::args_os().skip(1) {
            println!("argx={}", gomux_home::text::hex(a.as_encoded_bytes()));
        }
        for k in [
            "GOROOT",
            "GOTOOLCHAIN",
            "GOCACHE",
            "GOMODCACHE",
            "GOCACHEPROG",
            "GOMUX_RECURSION_DEPTH",
            "GOTOOLCHAIN_INTERNAL_SWITCH_VERSION",
        ] {
            match std::env::var_os(k) {
                Some(v) => println!("{k}={}", v.to_string_lossy()),
                None => println!("{k}=<unset>"),
            }
        }
    }
    let code: i32 = std::env::var_os("FAKE_GO_EXIT")
        .and_then(|c| c.to_str().and_then(|c| c.parse().ok()))
        .unwrap_or(0);
    std::process::exit(code);
}

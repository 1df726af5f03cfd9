//! Snapshots of what users read: every command's `--help` and the main error messages, so a
//! change of wording shows up in review as a diff of `tests/e2e/snapshots/`.
//!
//! The command tree is walked from the real binary's own `--help` (the `Commands:` section of
//! each level), so a new command gets its snapshot without a change here. Paths of the sandbox
//! are replaced by `[SANDBOX]`, the host's archive name by `[go1.22.5 ARCHIVE]`. To accept new or changed snapshots (docs/cli.md):
//! `INSTA_UPDATE=always cargo test -p gomux-tests --test e2e snapshots`, then review
//! `git diff tests/e2e/snapshots/`.

use gomux_tests::mirror::host_archive_name;
use gomux_tests::{Out, Run, Sandbox};

/// The subcommands a `--help` lists (its `Commands:` section), `help` left out.
fn subcommands(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|l| l.trim_end() != "Commands:")
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .map(str::to_string)
        .collect()
}

/// Every command path (`[]`, `["cache"]`, `["cache", "clean"]`, ...) and its `--help`.
fn walk(sb: &Sandbox, path: Vec<String>, out: &mut Vec<(Vec<String>, String)>) {
    let mut args = path.clone();
    args.push("--help".to_string());
    let help = sb.gomux(&args).ok();
    assert!(help.stderr.is_empty(), "help goes to stdout: {help}");
    for sub in subcommands(&help.stdout) {
        let mut p = path.clone();
        p.push(sub);
        walk(sb, p, out);
    }
    out.push((path, help.stdout));
}

#[test]
fn every_help_text() {
    let sb = Sandbox::bare();
    let mut all = Vec::new();
    walk(&sb, Vec::new(), &mut all);
    let names: Vec<String> = all.iter().map(|(p, _)| p.join(" ")).collect();
    for first in [
        "setup", "install", "default", "pin", "show", "link", "doctor",
    ] {
        assert!(names.iter().any(|n| n == first), "{first} in {names:?}");
    }
    for (path, help) in all {
        let name = if path.is_empty() {
            "help".to_string()
        } else {
            format!("help-{}", path.join("-"))
        };
        insta::assert_snapshot!(name, help);
    }
}

/// The exit code and both streams, sandbox paths and this platform's archive name replaced.
fn shown(sb: &Sandbox, out: &Out) -> String {
    let root = sb.root.display().to_string();
    let archive = host_archive_name("go1.22.5");
    let clean = |s: &str| {
        s.replace(&root, "[SANDBOX]")
            .replace(&archive, "[go1.22.5 ARCHIVE]")
    };
    format!(
        "exit code: {:?}\n--- stdout\n{}--- stderr\n{}",
        out.code(),
        clean(&out.stdout),
        clean(&out.stderr)
    )
}

#[test]
fn main_error_messages() {
    let mut sb = Sandbox::new();
    let cases: Vec<(&str, Out)> = vec![
        ("error-usage", sb.gomux(["frobnicate"]).fails()),
        ("error-no-default", sb.gomux(["show"]).fails()),
        (
            "error-unknown-toolchain",
            sb.gomux(["uninstall", "1.99.1"]).fails(),
        ),
        (
            "error-bad-version",
            sb.gomux(["default", "1.22 beta"]).fails(),
        ),
        (
            "error-link-missing-folder",
            sb.gomux(["link", "sdks/nowhere"]).fails(),
        ),
        ("error-bad-pin-file", {
            let dir = sb.dir("badpin");
            sb.write("badpin/.go-version", "go one point twenty two\n");
            sb.gomux(["show"]).current_dir(&dir).fails()
        }),
        ("error-link-target-gone", {
            let root = sb.fake_sdk("go1.22.3");
            sb.gomux(["link".as_ref(), root.as_os_str()]).ok();
            sb.gomux(["default", "1.22.3"]).ok();
            std::fs::remove_dir_all(&root).unwrap();
            sb.gomux(["which", "go"]).fails()
        }),
    ];
    for (name, out) in &cases {
        insta::assert_snapshot!(*name, shown(&sb, out));
    }
    // No mirror answers (an air-gapped machine with a mirror that is not there).
    let mirror = format!("file://{}/no-mirror", sb.root.display());
    sb.set_env("GOMUX_DIST_SERVER", Some(&mirror));
    let out = sb.gomux(["install", "1.22.5"]).fails();
    insta::assert_snapshot!("error-offline-install", shown(&sb, &out));
}

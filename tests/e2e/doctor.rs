//! `gomux doctor`: a clean sandbox passes, and each planted problem is found, with its
//! evidence, and a non-zero exit code when it is an error.

use std::path::Path;

use gomux_tests::{Out, Run, Sandbox};
use serde_json::Value;

/// A set-up sandbox with one linked SDK that is also the default.
fn healthy() -> Sandbox {
    let sb = Sandbox::new();
    sb.link_fake("go1.22.3");
    sb.gomux(["default", "1.22.3"]).ok();
    sb
}

/// Runs `gomux doctor --json`; returns the output and the parsed report.
fn doctor(sb: &Sandbox) -> (Out, Value) {
    let out = sb.gomux(["doctor", "--json"]).run();
    let json = out.json();
    (out, json)
}

/// The finding with this id, or a panic that shows the whole report.
fn finding<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["checks"]
        .as_array()
        .and_then(|c| c.iter().find(|f| f["id"] == id))
        .unwrap_or_else(|| panic!("no finding `{id}` in {report:#}"))
}

/// Asserts that finding `id` has `status` and that its evidence mentions every `words`.
fn expect(report: &Value, id: &str, status: &str, words: &[&str]) {
    let f = finding(report, id);
    assert_eq!(f["status"], status, "{id}: {f:#}");
    let evidence = f["evidence"].as_str().unwrap_or_default();
    for w in words {
        assert!(evidence.contains(w), "{id}: `{w}` not in `{evidence}`");
    }
    if status == "ok" {
        assert!(f["fix"].is_null(), "{f:#}");
    } else {
        assert!(
            f["fix"].as_str().is_some_and(|s| !s.is_empty()),
            "{id} has no fix: {f:#}"
        );
    }
}

fn path_with(sb: &Sandbox, first: &Path) -> String {
    let mut dirs = vec![first.to_path_buf()];
    dirs.extend(std::env::split_paths(&sb.path_var()));
    std::env::join_paths(dirs)
        .unwrap()
        .to_string_lossy()
        .into_owned()
}

#[test]
fn a_clean_sandbox_passes() {
    let sb = healthy();
    sb.write("app/go.mod", "module app\n\ngo 1.22.3\n");
    let (out, report) = doctor(&sb);
    assert_eq!(out.code(), Some(0), "{out}");
    assert_eq!(report["errors"], 0, "{report:#}");
    for f in report["checks"].as_array().unwrap() {
        let id = f["id"].as_str().unwrap();
        // Free space depends on the machine running the tests.
        if !id.starts_with("fs.") {
            assert_eq!(f["status"], "ok", "{f:#}");
        }
    }
    let bin = sb.bin().display().to_string();
    expect(&report, "path.proxies", "ok", &[&bin, "entry 1 of 4"]);
    expect(&report, "path.go", "ok", &["is gomux's proxy"]);
    expect(&report, "path.gofmt", "ok", &["is gomux's proxy"]);
    expect(&report, "proxies", "ok", &["1 versioned proxies"]);
    expect(
        &report,
        "toolchain.go1.22.3",
        "ok",
        &["prints go1.22.3", "linked to"],
    );
    expect(&report, "default", "ok", &["installed as go1.22.3"]);
    expect(&report, "fs.tmp", "ok", &["same filesystem"]);
    // What this directory resolves to, and why.
    let out = sb.gomux(["doctor"]).current_dir(sb.dir("app")).ok();
    assert!(
        out.stdout.contains("ok       this directory (")
            && out.stdout.contains("`go` runs go1.22.3 from"),
        "{out}"
    );
    assert!(out.stdout.contains("\n0 errors, "), "{out}");
}

#[test]
fn another_go_earlier_on_path() {
    let mut sb = healthy();
    let other = sb.fake_sdk("go1.20.1");
    let other_bin = other.join("bin");
    sb.set_env("PATH", Some(&path_with(&sb, &other_bin)));
    let (out, report) = doctor(&sb);
    assert_eq!(out.code(), Some(1), "{out}");
    let other_go = other_bin.join("go").display().to_string();
    expect(
        &report,
        "path.go",
        "error",
        &[
            &other_go,
            "PATH entry 1",
            "a Go SDK's own `bin/`",
            "(entry 2)",
        ],
    );
    expect(&report, "path.gofmt", "error", &["PATH entry 1"]);
    expect(
        &report,
        "path.other-go",
        "warning",
        &[&format!("`{other_go}` (entry 1, before the proxies)")],
    );
    // The text output shows the same finding with its fix.
    let out = sb.gomux(["doctor"]).fails();
    assert!(
        out.stdout.contains(&format!(
            "error    first `go` on PATH\n         `{other_go}` (PATH entry 1,"
        )),
        "{out}"
    );
    assert!(
        out.stdout.contains(&format!(
            "fix: remove `{}` from PATH or move it after `{}`",
            other_bin.display(),
            sb.bin().display()
        )),
        "{out}"
    );
    // After the proxies, another Go is listed but harmless.
    let mut dirs: Vec<_> = std::env::split_paths(&sb.path_var()).collect();
    dirs.push(other_bin.clone());
    sb.set_env(
        "PATH",
        Some(&std::env::join_paths(dirs).unwrap().to_string_lossy()),
    );
    let (out, report) = doctor(&sb);
    assert_eq!(out.code(), Some(0), "{out}");
    expect(&report, "path.go", "ok", &[]);
    expect(
        &report,
        "path.other-go",
        "ok",
        &[&format!("`{other_go}` (entry 5, after the proxies)")],
    );
}

#[test]
fn proxies_missing_from_path() {
    let mut sb = healthy();
    sb.set_env("PATH", Some("/usr/bin:/bin"));
    let (out, report) = doctor(&sb);
    assert_eq!(out.code(), Some(1), "{out}");
    expect(&report, "path.proxies", "error", &["is not on PATH"]);
    let fix = finding(&report, "path.proxies")["fix"].as_str().unwrap();
    assert!(fix.contains("gomux setup --modify-path"), "{fix}");
}

#[test]
fn goroot_exported() {
    let mut sb = healthy();
    sb.set_env("GOROOT", Some("/usr/local/go"));
    let (out, report) = doctor(&sb);
    assert_eq!(out.code(), Some(1), "{out}");
    expect(
        &report,
        "env.goroot",
        "error",
        &[
            "GOROOT=`/usr/local/go` is exported",
            "the SDK gomux runs here is",
        ],
    );
    // GOTOOLDIR is only a warning.
    sb.set_env("GOROOT", None);
    sb.set_env("GOTOOLDIR", Some("/usr/local/go/pkg/tool/linux_amd64"));
    let (out, report) = doctor(&sb);
    assert_eq!(out.code(), Some(0), "{out}");
    expect(&report, "env.gotooldir", "warning", &["Go ignores it"]);
}

#[test]
fn a_go_env_w_gotoolchain() {
    let sb = healthy();
    let file = sb.home.join(".config/go/env");
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(&file, "GOTOOLCHAIN=go1.21.5\nGOROOT=/opt/go\n").unwrap();
    let (out, report) = doctor(&sb);
    assert_eq!(out.code(), Some(1), "{out}");
    let shown = file.display().to_string();
    expect(
        &report,
        "env.gotoolchain",
        "error",
        &[
            &shown,
            "GOTOOLCHAIN=`go1.21.5`",
            "every directory runs go1.21.5",
        ],
    );
    expect(&report, "env.goenv-file", "error", &["GOROOT=`/opt/go`"]);
    let fix = finding(&report, "env.gotoolchain")["fix"].as_str().unwrap();
    assert!(fix.contains("delete the `GOTOOLCHAIN=` line"), "{fix}");
    // `auto` in the file is harmless: gomux's own GOTOOLCHAIN overrides it.
    std::fs::write(&file, "GOTOOLCHAIN=auto\n").unwrap();
    let (out, report) = doctor(&sb);
    assert_eq!(out.code(), Some(0), "{out}");
    expect(&report, "env.gotoolchain", "ok", &["overrides it"]);
    // In the environment, `auto` reaches the SDK.
    let mut sb = sb;
    sb.set_env("GOTOOLCHAIN", Some("auto"));
    let (_, report) = doctor(&sb);
    expect(
        &report,
        "env.gotoolchain",
        "warning",
        &["behind gomux's back"],
    );
}

#[test]
fn a_noexec_cache_root() {
    let mut sb = healthy();
    let cache = sb.root.join("cache-volume");
    std::fs::create_dir_all(&cache).unwrap();
    let table = sb.root.join("mountinfo");
    std::fs::write(
        &table,
        format!(
            "22 1 8:1 / / rw,relatime - ext4 /dev/sda1 rw\n\
             23 22 8:2 / {} rw,nosuid,nodev,noexec,relatime shared:5 - xfs /dev/sdb1 rw\n",
            cache.display()
        ),
    )
    .unwrap();
    sb.set_env("GOMUX_MOUNTINFO", Some(table.to_str().unwrap()));
    sb.set_env("GOMUX_CACHE_DIR", Some(cache.to_str().unwrap()));
    let (out, report) = doctor(&sb);
    assert_eq!(out.code(), Some(1), "{out}");
    expect(
        &report,
        "fs.cache",
        "error",
        &[&cache.display().to_string(), "mounted `noexec`", "xfs"],
    );
    let fix = finding(&report, "fs.cache")["fix"].as_str().unwrap();
    assert!(fix.contains("GOMUX_CACHE_DIR"), "{fix}");
    expect(
        &report,
        "fs.toolchains",
        "ok",
        &["on `/` (ext4, rw,relatime)"],
    );
    // A temp folder on a noexec mount is found the same way.
    sb.set_env("GOMUX_CACHE_DIR", None);
    sb.set_env("TMPDIR", Some(cache.to_str().unwrap()));
    let (out, report) = doctor(&sb);
    assert_eq!(out.code(), Some(1), "{out}");
    expect(&report, "fs.gotmp", "error", &["`go test` and `go run`"]);
    expect(&report, "fs.cache", "ok", &[]);
}

#[test]
fn a_linked_sdk_that_is_not_what_its_name_says() {
    let sb = healthy();
    // An SDK upgraded in place: linked as go1.22.4, it is go1.22.3 now.
    let sdk = sb.fake_sdk("go1.22.3-upgraded");
    std::fs::write(sdk.join("VERSION"), "go1.22.3\ntime 2026-01-01T00:00:00Z\n").unwrap();
    sb.gomux(["link".as_ref(), "go1.22.4".as_ref(), sdk.as_os_str()])
        .ok();
    let (out, report) = doctor(&sb);
    assert_eq!(out.code(), Some(1), "{out}");
    expect(
        &report,
        "toolchain.go1.22.4",
        "error",
        &["registered as go1.22.4", "is go1.22.3", "upgraded in place"],
    );
    expect(&report, "toolchain.go1.22.3", "ok", &[]);
}

#[cfg(unix)]
#[test]
fn a_linked_sdk_whose_go_version_disagrees_with_its_version_file() {
    let sb = healthy();
    let sdk = sb.link_fake("go1.23.0");
    // The SDK's `go` was replaced by another release's; its VERSION file was not.
    let go = sdk.join("bin/go");
    gomux_tests::write_executable(&go, b"#!/bin/sh\necho 'go version go1.23.1 linux/amd64'\n");
    let (out, report) = doctor(&sb);
    assert_eq!(out.code(), Some(1), "{out}");
    expect(
        &report,
        "toolchain.go1.23.0",
        "error",
        &["prints `go version go1.23.1", "VERSION` says `go1.23.0`"],
    );
}

#[test]
fn a_dangling_link() {
    let sb = healthy();
    let sdk = sb.link_fake("go1.21.5");
    std::fs::remove_dir_all(&sdk).unwrap();
    let (out, report) = doctor(&sb);
    assert_eq!(out.code(), Some(1), "{out}");
    expect(
        &report,
        "toolchain.go1.21.5",
        "error",
        &[&format!(
            "links to `{}`, which does not exist",
            sdk.display()
        )],
    );
    let fix = finding(&report, "toolchain.go1.21.5")["fix"]
        .as_str()
        .unwrap();
    assert!(fix.contains("gomux uninstall go1.21.5"), "{fix}");
}

#[test]
fn a_proxy_linked_as_an_sdk() {
    let sb = healthy();
    // `gomux link` refuses a proxy; this is what it would look like if one got there anyway.
    let fake = sb.gomux_home.join("toolchains/go1.30.0/bin");
    std::fs::create_dir_all(&fake).unwrap();
    for tool in ["go", "gofmt"] {
        gomux_tests::copy_executable(&sb.bin().join("go"), &fake.join(tool));
    }
    std::fs::write(
        sb.gomux_home.join("toolchains/go1.30.0/VERSION"),
        "go1.30.0\n",
    )
    .unwrap();
    let (out, report) = doctor(&sb);
    assert_eq!(out.code(), Some(1), "{out}");
    expect(
        &report,
        "toolchain.go1.30.0",
        "error",
        &["is a gomux proxy"],
    );
    // The versioned proxy for it is missing too (it was never installed by gomux).
    expect(
        &report,
        "proxies",
        "warning",
        &["no versioned proxy for go1.30.0"],
    );
}

#[test]
fn no_default_and_no_setup() {
    let sb = Sandbox::bare();
    let (out, report) = doctor(&sb);
    assert_eq!(out.code(), Some(1), "{out}");
    expect(&report, "path.proxies", "error", &["gomux is not set up"]);
    expect(&report, "proxies", "error", &["is missing"]);
    expect(&report, "fs.toolchains", "error", &["does not exist"]);
    expect(&report, "default", "warning", &["no default toolchain"]);
    expect(&report, "here", "error", &["no default is set"]);
}

#[test]
fn a_broken_settings_file() {
    let sb = healthy();
    std::fs::write(
        sb.gomux_home.join("settings.toml"),
        "default_toolchain = \n",
    )
    .unwrap();
    let (out, report) = doctor(&sb);
    assert_eq!(out.code(), Some(1), "{out}");
    expect(&report, "settings", "error", &["settings.toml"]);
}

/// A go env file gomux cannot read as settings (a FIFO would hang Go; a huge file is not
/// settings) is reported, not silently skipped.
#[cfg(unix)]
#[test]
fn a_go_env_file_gomux_ignores_is_reported() {
    let sb = healthy();
    let file = sb.home.join(".config/go/env");
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    let made = std::process::Command::new("mkfifo")
        .arg(&file)
        .status()
        .unwrap();
    assert!(made.success());
    let (out, report) = doctor(&sb);
    assert_eq!(out.code(), Some(0), "a warning, not an error: {out}");
    expect(
        &report,
        "env.goenv-file",
        "warning",
        &["not a regular file"],
    );
    let fix = finding(&report, "env.goenv-file")["fix"].as_str().unwrap();
    assert!(fix.contains("small regular file"), "{fix}");
}

/// A home set up by a newer gomux (a higher layout version) is reported; the current one is not.
#[test]
fn a_newer_layout_version_is_reported() {
    let sb = healthy();
    let (_, report) = doctor(&sb);
    let checks = report["checks"].as_array().unwrap();
    assert!(!checks.iter().any(|f| f["id"] == "fs.layout"), "{report:#}");
    std::fs::write(sb.gomux_home.join(".gomux-layout"), "99\n").unwrap();
    let (out, report) = doctor(&sb);
    assert_eq!(out.code(), Some(0), "a warning, not an error: {out}");
    expect(&report, "fs.layout", "warning", &["says layout 99"]);
}

/// The ids of the findings of a report.
fn ids(report: &Value) -> Vec<String> {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// A go.work workspace root with no go.mod, under `GO111MODULE=auto` and a default older than
/// 1.27: `go` (and gopls) there do not read the go.work, so the default runs; doctor says so and
/// what to pin. A pin file at the root, a go.mod, `GO111MODULE` unset or `on`, or a 1.27
/// default make the warning go away.
#[test]
fn a_go_work_root_without_go_mod_under_an_old_default() {
    let mut sb = healthy();
    let ws = sb.dir("ws");
    sb.write("ws/go.work", "go 1.23.5\n\nuse ./a\n");
    sb.write("ws/a/go.mod", "module example.com/a\n\ngo 1.23.5\n");
    // Unset, GO111MODULE is `on`: the go.work selects, nothing to say.
    let (_, report) = doctor_in(&sb, &ws);
    assert!(
        !ids(&report).contains(&"here.gowork".to_string()),
        "{report:#}"
    );
    sb.set_env("GO111MODULE", Some("auto"));
    let (_, report) = doctor_in(&sb, &ws);
    expect(
        &report,
        "here.gowork",
        "warning",
        &["go.work", "is not read here", "go1.22.3", "gopls"],
    );
    let fix = finding(&report, "here.gowork")["fix"].as_str().unwrap();
    assert!(fix.contains("`gomux pin 1.23.5`"), "{fix}");
    assert!(fix.contains(&ws.display().to_string()), "{fix}");
    // In the module below, its go.mod decides: nothing to say.
    let (_, report) = doctor_in(&sb, &ws.join("a"));
    assert!(
        !ids(&report).contains(&"here.gowork".to_string()),
        "{report:#}"
    );
    // What the fix says works: the pin file at the root selects, and the warning is gone.
    sb.gomux(["pin", "1.22.3"]).current_dir(&ws).ok();
    let (_, report) = doctor_in(&sb, &ws);
    assert!(
        !ids(&report).contains(&"here.gowork".to_string()),
        "{report:#}"
    );
    std::fs::remove_file(ws.join(".go-version")).unwrap();
    // GO111MODULE=on reads the go.work in every release.
    sb.set_env("GO111MODULE", Some("on"));
    let (_, report) = doctor_in(&sb, &ws);
    assert!(
        !ids(&report).contains(&"here.gowork".to_string()),
        "{report:#}"
    );
    sb.set_env("GO111MODULE", Some("auto"));
    // From Go 1.27 a go.work alone turns modules on: the go.work selects, no warning.
    sb.link_fake("go1.27.4");
    sb.gomux(["default", "1.27.4"]).ok();
    let (_, report) = doctor_in(&sb, &ws);
    assert!(
        !ids(&report).contains(&"here.gowork".to_string()),
        "{report:#}"
    );
}

/// Runs `gomux doctor --json` in `dir`.
fn doctor_in(sb: &Sandbox, dir: &Path) -> (Out, Value) {
    let out = sb.gomux(["doctor", "--json"]).current_dir(dir).run();
    let json = out.json();
    (out, json)
}

//! The commands users look for: `unpin`, `run` installing what is missing, `run --each`,
//! `update`, `prune --unused-for` and toolchain names in the completions.

use gomux_tests::mirror::host_archive_name;
use gomux_tests::{Run, Sandbox};

use crate::install::with_mirror;

fn archive(name: &str) -> String {
    format!("/{}", host_archive_name(name))
}

fn installed(sb: &Sandbox, name: &str) -> bool {
    sb.gomux_home.join("toolchains").join(name).is_dir()
}

// ---- unpin ----

#[test]
fn unpin_removes_the_pin_that_pin_wrote() {
    let sb = Sandbox::new();
    sb.link_fake("go1.22.3");
    let app = sb.dir("app");
    sb.gomux(["pin", "1.22.3"]).current_dir(&app).ok();
    assert!(app.join(".go-version").is_file());
    let out = sb.gomux(["unpin"]).current_dir(&app).ok();
    assert!(!app.join(".go-version").exists(), "{out}");
    assert!(out.stderr.contains("unpinned"), "{out}");
    assert!(out.stderr.contains(".go-version"), "names the file: {out}");
    // Again: nothing to do is not an error.
    let out = sb.gomux(["unpin"]).current_dir(&app).ok();
    assert!(out.stderr.contains("is not pinned"), "{out}");
}

#[test]
fn unpin_leaves_a_parent_pin_alone_unless_named() {
    let sb = Sandbox::new();
    sb.write("repo/.go-version", "1.22.3\n");
    let sub = sb.dir("repo/sub");
    let out = sb.gomux(["unpin"]).current_dir(&sub).ok();
    assert!(sb.work.join("repo/.go-version").is_file(), "{out}");
    assert!(out.stderr.contains("parent folder"), "{out}");
    assert!(out.stderr.contains("gomux unpin --path"), "{out}");
    let out = sb.gomux(["unpin", "--path", ".."]).current_dir(&sub).ok();
    assert!(!sb.work.join("repo/.go-version").exists(), "{out}");
}

#[test]
fn unpin_refuses_a_file_pin_did_not_write() {
    let sb = Sandbox::new();
    let notes = "my notes\nsecond line\nthird\n";
    let dir = sb.dir("odd");
    sb.write("odd/.go-version", notes);
    let out = sb.gomux(["unpin"]).current_dir(&dir).fails();
    assert!(out.stderr.contains("nothing was removed"), "{out}");
    assert_eq!(
        std::fs::read_to_string(dir.join(".go-version")).unwrap(),
        notes
    );
    // A folder named `.go-version` is never removed either.
    let other = sb.dir("other");
    sb.dir("other/.go-version");
    sb.gomux(["unpin"]).current_dir(&other).fails();
    assert!(other.join(".go-version").is_dir());
}

// ---- run installs ----

#[test]
fn run_installs_a_missing_toolchain_then_runs() {
    let (sb, _dir, mirror) = with_mirror(&["go1.22.3", "go1.99.1"]);
    // The new toolchain's versioned proxy is there before the command runs.
    let out = sb.gomux(["run", "1.99", "--", "go1.99.1", "version"]).ok();
    assert!(out.stdout.starts_with("go version go1.99.1 "), "{out}");
    assert!(out.stderr.contains("installing go1.99.1"), "{out}");
    assert!(installed(&sb, "go1.99.1"));
    assert_eq!(mirror.requests(&archive("go1.99.1")), 1);
    // Installed now: nothing is downloaded again.
    sb.gomux(["run", "1.99", "--", "go", "version"]).ok();
    assert_eq!(mirror.requests(&archive("go1.99.1")), 1);
}

#[test]
fn run_honours_auto_install_off() {
    let (mut sb, _dir, mirror) = with_mirror(&["go1.99.1"]);
    sb.set_env("GOMUX_AUTO_INSTALL", Some("0"));
    let out = sb.gomux(["run", "1.99.1", "--", "go", "version"]).fails();
    assert!(out.stderr.contains("go1.99.1 is not installed"), "{out}");
    assert!(out.stderr.contains("gomux install 1.99.1"), "{out}");
    assert!(out.stderr.contains("automatic installs are off"), "{out}");
    assert!(!installed(&sb, "go1.99.1"));
    assert_eq!(mirror.requests(&archive("go1.99.1")), 0);
}

// ---- run --each ----

/// A command that prints the `go` it finds and fails under go1.23.x.
const FAILS_ON_123: &str = r#"go version; case "$(go version)" in *go1.23*) exit 3;; esac"#;

#[test]
fn run_each_runs_once_per_toolchain_and_sums_up() {
    let (sb, _dir, _mirror) = with_mirror(&["go1.22.3", "go1.23.4", "go1.24.1"]);
    sb.gomux(["install", "1.22.3"]).ok();
    let out = sb
        .gomux([
            "run",
            "--each",
            "1.22,1.23,stable",
            "--",
            "sh",
            "-c",
            FAILS_ON_123,
        ])
        .run();
    assert_eq!(out.code(), Some(1), "{out}");
    // The child's output streams through, one run per toolchain, in order.
    let versions: Vec<&str> = out
        .stdout
        .lines()
        .filter_map(|l| l.strip_prefix("go version "))
        .collect();
    assert_eq!(versions.len(), 3, "{out}");
    assert!(versions[0].starts_with("go1.22.3 "), "{out}");
    assert!(versions[1].starts_with("go1.23.4 "), "{out}");
    assert!(versions[2].starts_with("go1.24.1 "), "{out}");
    // A header per toolchain and a summary table, on stderr.
    assert!(out.stderr.contains("==> go1.22.3 (1.22)"), "{out}");
    assert!(out.stderr.contains("==> go1.24.1 (stable)"), "{out}");
    let row = |name: &str| {
        out.stderr
            .lines()
            .find(|l| l.starts_with(name))
            .unwrap_or_else(|| panic!("no summary row for {name}:\n{out}"))
            .to_string()
    };
    assert!(row("go1.22.3 (1.22)").contains(" ok "), "{out}");
    assert!(row("go1.23.4 (1.23)").contains(" failed "), "{out}");
    assert!(row("go1.23.4 (1.23)").contains(" 3 "), "{out}");
    assert!(row("go1.24.1 (stable)").contains(" ok "), "{out}");
    // What was missing was installed.
    assert!(installed(&sb, "go1.23.4") && installed(&sb, "go1.24.1"));

    // All passing: exit 0.
    let out = sb
        .gomux(["run", "--each", "1.22,stable", "--", "go", "version"])
        .ok();
    assert!(out.stderr.contains("all 2 passed"), "{out}");

    // Each run gets the project's caches and the toolchain, as the proxy gives them.
    sb.write("proj/go.mod", "module p\n\ngo 1.22\n");
    let out = sb
        .gomux(["run", "--each", "1.23", "--", "go", "build"])
        .current_dir(sb.work.join("proj"))
        .ok();
    assert!(
        out.val("GOCACHE").contains("/cache/projects/proj-"),
        "{out}"
    );
    assert!(out.val("goroot").ends_with("/toolchains/go1.23.4"), "{out}");
}

#[test]
fn run_each_json_and_fail_fast() {
    let (sb, _dir, _mirror) = with_mirror(&["go1.22.3", "go1.23.4"]);
    let out = sb
        .gomux([
            "run",
            "--each",
            "1.23,1.98,1.22",
            "--json",
            "--",
            "sh",
            "-c",
            FAILS_ON_123,
        ])
        .run();
    assert_eq!(out.code(), Some(1), "{out}");
    // stdout is the summary alone: the child's stdout went to stderr.
    let v = out.json();
    assert_eq!(v["schema_version"], 1, "{out}");
    assert_eq!(v["ok"], false);
    assert_eq!(v["command"][0], "sh");
    let r = v["results"].as_array().unwrap();
    assert_eq!(r.len(), 3);
    assert_eq!(r[0]["request"], "1.23");
    assert_eq!(r[0]["toolchain"], "go1.23.4");
    assert_eq!(r[0]["status"], "failed");
    assert_eq!(r[0]["exit_code"], 3);
    assert_eq!(r[1]["status"], "error", "1.98 is in no index: {out}");
    assert!(r[1]["error"].as_str().unwrap().contains("1.98"), "{out}");
    assert_eq!(r[2]["status"], "ok");
    assert!(r[2]["duration_ms"].is_u64());
    assert!(out.stderr.contains("go version go1.22.3"), "{out}");

    let out = sb
        .gomux([
            "run",
            "--each",
            "1.23,1.22",
            "--fail-fast",
            "--json",
            "--",
            "sh",
            "-c",
            FAILS_ON_123,
        ])
        .run();
    assert_eq!(out.code(), Some(1), "{out}");
    let v = out.json();
    assert_eq!(v["results"][0]["status"], "failed");
    assert_eq!(v["results"][1]["status"], "skipped");
    assert!(!out.stderr.contains("go version go1.22.3"), "{out}");
}

// ---- update ----

#[test]
fn update_installs_the_newest_patch_of_each_installed_minor() {
    let (sb, mut dir, mirror) = with_mirror(&["go1.22.3", "go1.23.4", "go1.24.1"]);
    sb.gomux(["install", "1.22.3", "1.23.4"]).ok();
    sb.gomux(["default", "1.22.3"]).ok();
    let linked = sb.link_fake("go1.21.1");
    let fake =
        std::fs::read(gomux_tests::ensure_built().join(gomux_tests::exe("gomux-fake-go"))).unwrap();
    for v in ["go1.22.9", "go1.23rc9", "go1.21.13"] {
        dir.add(v, &gomux_tests::mirror::fake_sdk_tar_gz(v, &fake));
    }
    dir.write_index();

    let out = sb.gomux(["update", "--dry-run"]).ok();
    assert!(
        out.stdout
            .contains("would install go1.22.9 (1.22: newest installed go1.22.3)"),
        "{out}"
    );
    assert!(
        !out.stdout.contains("1.23"),
        "a prerelease is no update: {out}"
    );
    assert!(!out.stdout.contains("1.24"), "1.24 is not installed: {out}");
    assert!(
        !out.stdout.contains("1.21"),
        "a linked toolchain is never updated: {out}"
    );
    assert!(!installed(&sb, "go1.22.9"));
    assert_eq!(mirror.requests(&archive("go1.22.9")), 0);

    let out = sb.gomux(["update"]).ok();
    assert!(installed(&sb, "go1.22.9"), "{out}");
    assert!(installed(&sb, "go1.22.3"), "the old patch stays: {out}");
    assert!(out.stderr.contains("gomux prune"), "{out}");
    // The exact default stays as it is, and update says how to follow the newest patch.
    assert!(
        out.stderr.contains("default toolchain stays go1.22.3"),
        "{out}"
    );
    assert!(out.stderr.contains("gomux default 1.22"), "{out}");
    let settings = std::fs::read_to_string(sb.gomux_home.join("settings.toml")).unwrap();
    assert!(settings.contains("1.22.3"), "{settings}");
    assert!(sb.gomux_home.join("toolchains/go1.21.1").is_symlink());
    assert!(linked.join("bin").is_dir());
    assert!(!installed(&sb, "go1.21.13"));
    // The versioned proxy of the new patch exists.
    let out = sb.proxy("go1.22.9", ["version"]).ok();
    assert!(out.stdout.starts_with("go version go1.22.9 "), "{out}");

    let out = sb.gomux(["update"]).ok();
    assert!(out.stderr.contains("everything is up to date"), "{out}");
}

// ---- completions ----

/// What bash completes for `words` (the last one being completed) with gomux's script loaded.
fn bash_complete(sb: &Sandbox, words: &[&str]) -> Vec<String> {
    let script = sb.gomux(["completions", "bash"]).ok().stdout;
    let path = sb.root.join("gomux.bash");
    std::fs::write(&path, script).unwrap();
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let cword = words.len() - 1;
    let prog = format!(
        r#"source '{}'
COMP_WORDS=({})
COMP_CWORD={cword}
COMP_LINE="${{COMP_WORDS[*]}}"
COMP_POINT=${{#COMP_LINE}}
_gomux_toolchains gomux "${{COMP_WORDS[COMP_CWORD]}}" "${{COMP_WORDS[COMP_CWORD-1]}}"
printf '%s\n' "${{COMPREPLY[@]}}""#,
        path.display(),
        quoted.join(" ")
    );
    let out = sb.cmd("bash").args(["--norc", "-c", &prog]).ok();
    out.stdout
        .lines()
        .map(str::to_string)
        .filter(|l| !l.is_empty())
        .collect()
}

#[test]
fn bash_completes_installed_toolchain_names() {
    let (sb, _dir, _mirror) = with_mirror(&["go1.22.3"]);
    sb.gomux(["install", "1.22.3"]).ok();
    sb.link_fake("go1.23.4");
    sb.link_fake("corp-go");

    let mut got = bash_complete(&sb, &["gomux", "default", "1.2"]);
    got.sort();
    assert_eq!(got, ["1.22", "1.22.3", "1.23", "1.23.4"]);
    let got = bash_complete(&sb, &["gomux", "pin", "go1.23"]);
    assert_eq!(got, ["go1.23.4"]);
    let got = bash_complete(&sb, &["gomux", "uninstall", "go1.22.3", "co"]);
    assert_eq!(got, ["corp-go"]);
    let got = bash_complete(&sb, &["gomux", "run", "--each", "1.22,s"]);
    assert_eq!(got, ["1.22,stable"]);
    // After `--` comes the command, and options stay the generated script's.
    let got = bash_complete(&sb, &["gomux", "run", "1.22", "--", "1.2"]);
    assert!(!got.iter().any(|w| w.starts_with("1.22")), "{got:?}");
    let got = bash_complete(&sb, &["gomux", "default", "--h"]);
    assert_eq!(got, ["--help"]);
    // Commands still complete.
    let got = bash_complete(&sb, &["gomux", "unp"]);
    assert_eq!(got, ["unpin"]);
}

// ---- prune ----

/// Sets a file's access and modification times to `days` days ago.
fn age_file(path: &std::path::Path, days: u64) {
    let t = std::time::SystemTime::now() - std::time::Duration::from_secs(days * 86_400);
    let f = std::fs::File::options().write(true).open(path).unwrap();
    f.set_times(std::fs::FileTimes::new().set_accessed(t).set_modified(t))
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}

/// Makes an installed toolchain look untouched for `days` days: its marker and its programs.
fn age_toolchain(sb: &Sandbox, name: &str, days: u64) {
    let dir = sb.gomux_home.join("toolchains").join(name);
    age_file(&dir.join(".gomux-toolchain"), days);
    for tool in ["go", "gofmt"] {
        age_file(&dir.join("bin").join(gomux_tests::exe(tool)), days);
    }
}

/// The cache folders under `group` (`projects`, `toolchains`) of the sandbox's cache root.
fn cache_folders(sb: &Sandbox, group: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(sb.gomux_home.join("cache").join(group))
        .map(|rd| {
            rd.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| !n.starts_with('.'))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

#[test]
fn prune_removes_only_what_nobody_used() {
    let (sb, _dir, _mirror) = with_mirror(&["go1.21.1", "go1.22.3", "go1.23.4", "go1.24.1"]);
    sb.gomux(["install", "1.21.1", "1.22.3", "1.23.4", "1.24.1"])
        .ok();
    let linked = sb.link_fake("go1.20.1");
    sb.gomux(["default", "1.23.4"]).ok();
    let app = sb.dir("app");
    sb.gomux(["pin", "1.24.1"]).current_dir(&app).ok();
    let old_project = sb.dir("old");
    sb.write("old/.go-version", "1.24.1\n");
    sb.write("new/.go-version", "1.24.1\n");
    sb.go(["env"]).current_dir(&old_project).ok();
    sb.go(["env"]).current_dir(sb.work.join("new")).ok();
    assert_eq!(cache_folders(&sb, "projects").len(), 2);
    // A toolchain folder gomux did not install (no marker), untouched for 100 days too.
    let foreign = sb.gomux_home.join("toolchains/go1.19.1");
    gomux_tests::make_fake_sdk(&foreign, "go1.19.1");
    for tool in ["go", "gofmt"] {
        age_file(&foreign.join("bin").join(gomux_tests::exe(tool)), 100);
    }
    for name in ["go1.21.1", "go1.22.3", "go1.23.4", "go1.24.1"] {
        age_toolchain(&sb, name, 100);
    }
    // The old project's caches were last used 100 days ago.
    let projects = sb.gomux_home.join("cache/projects");
    for f in cache_folders(&sb, "projects") {
        if f.starts_with("old-") {
            age_file(&projects.join(&f).join("gomux-cache.txt"), 100);
        }
    }
    // go1.22.3 was used yesterday under cache policy `toolchain`: its cache folder says so.
    sb.proxy("go1.22.3", ["env"])
        .env("GOMUX_CACHE_MODE", "toolchain")
        .ok();
    age_file(&sb.gomux_home.join("toolchains/go1.22.3/bin/go"), 100);
    age_file(
        &sb.gomux_home
            .join("cache/toolchains/go1.22.3/gomux-cache.txt"),
        1,
    );

    let out = sb
        .gomux(["prune", "--unused-for", "90d", "--dry-run"])
        .current_dir(&app)
        .ok();
    let would: Vec<&str> = out
        .stdout
        .lines()
        .filter(|l| l.starts_with("would remove"))
        .collect();
    assert_eq!(would.len(), 2, "{out}");
    assert!(
        would[0].starts_with("would remove toolchain go1.21.1 "),
        "{out}"
    );
    assert!(would[0].contains("last used 100 d ago by its "), "{out}");
    assert!(
        would[1].starts_with("would remove cache projects/old-"),
        "{out}"
    );
    assert!(
        out.stderr.contains("kept go1.23.4 (the default toolchain)"),
        "{out}"
    );
    assert!(out.stderr.contains("kept go1.24.1 (selected in"), "{out}");
    assert!(installed(&sb, "go1.21.1"), "a dry run removes nothing");
    assert_eq!(cache_folders(&sb, "projects").len(), 2);

    let out = sb
        .gomux(["prune", "--unused-for", "90d"])
        .current_dir(&app)
        .ok();
    assert!(!installed(&sb, "go1.21.1"), "{out}");
    assert!(
        !sb.bin().join("go1.21.1").exists(),
        "its proxy goes too: {out}"
    );
    for name in ["go1.22.3", "go1.23.4", "go1.24.1"] {
        assert!(installed(&sb, name), "{name}: {out}");
    }
    assert!(
        sb.gomux_home.join("toolchains/go1.20.1").is_symlink(),
        "{out}"
    );
    assert!(linked.join("bin").is_dir());
    assert!(
        foreign.join("bin").is_dir(),
        "no marker, no deletion: {out}"
    );
    let left = cache_folders(&sb, "projects");
    assert_eq!(left.len(), 1, "{left:?} {out}");
    assert!(left[0].starts_with("new-"), "{left:?}");
    assert_eq!(cache_folders(&sb, "toolchains"), ["go1.22.3"]);
    assert!(out.stderr.contains("removed toolchain go1.21.1"), "{out}");
    assert!(out.stderr.contains("freed "), "{out}");

    // The age grammar is `cache clean --older-than`'s, and too fine an age is refused.
    let out = sb.gomux(["prune", "--unused-for", "12h"]).fails();
    assert!(out.stderr.contains("shorter than a day"), "{out}");
    let out = sb.gomux(["prune", "--unused-for", "90 days"]).fails();
    assert!(out.stderr.contains("invalid duration"), "{out}");
}

// ---- run --each with real Go ----

#[test]
fn real_go_run_each_tests_a_module_with_every_toolchain() {
    let Some(fx) = gomux_tests::fixtures::Fixtures::locate(
        "real_go_run_each_tests_a_module_with_every_toolchain",
    ) else {
        return;
    };
    let tcs = fx.toolchains();
    assert!(tcs.len() >= 2, "the fixtures need two SDKs");
    let (first, second) = (&tcs[0].name, &tcs[1].name);
    let scratch = tempfile::tempdir().unwrap();
    let modproxy = scratch.path().join("modproxy");
    std::fs::create_dir_all(&modproxy).unwrap();
    let mut sb = Sandbox::new();
    sb.offline_go(&modproxy);
    for name in [first, second] {
        let root = fx.shared_sdk(name);
        sb.gomux(["link".as_ref(), name.as_ref(), root.as_os_str()])
            .ok();
    }
    let minor = |name: &str| {
        let v = name.strip_prefix("go").unwrap();
        v.rsplit_once('.').unwrap().0.to_string()
    };
    sb.write("m/go.mod", "module example.com/m\n\ngo 1.21\n");
    sb.write(
        "m/m_test.go",
        &format!(
            "package m\n\nimport (\n\t\"runtime\"\n\t\"testing\"\n)\n\nfunc TestVersion(t *testing.T) {{\n\tt.Log(\"testing with\", runtime.Version())\n\tif runtime.Version() == \"{second}\" {{\n\t\tt.Fatal(\"fails with\", runtime.Version())\n\t}}\n}}\n"
        ),
    );
    let each = format!("{},{}", minor(first), minor(second));
    let out = sb
        .gomux([
            "run", "--each", &each, "--json", "--", "go", "test", "-v", "./...",
        ])
        .current_dir(sb.work.join("m"))
        .run();
    assert_eq!(out.code(), Some(1), "{out}");
    // Each run is the real go of that toolchain.
    assert!(
        out.stderr.contains(&format!("testing with {first}")),
        "{out}"
    );
    assert!(
        out.stderr.contains(&format!("fails with {second}")),
        "{out}"
    );
    let v = out.json();
    assert_eq!(v["results"][0]["toolchain"].as_str(), Some(first.as_str()));
    assert_eq!(v["results"][0]["status"], "ok", "{out}");
    assert_eq!(v["results"][1]["toolchain"].as_str(), Some(second.as_str()));
    assert_eq!(v["results"][1]["status"], "failed", "{out}");
    assert_eq!(v["results"][1]["exit_code"], 1, "{out}");
}

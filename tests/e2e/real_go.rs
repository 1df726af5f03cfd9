//! Real Go through the proxies: two real SDKs (from `cargo xtask fixtures`), real builds, tests,
//! gofmt, module downloads into the injected GOMODCACHE, a stale GOROOT, and the real go's own
//! error for a pin that is too old. Skipped (loudly) without fixtures; `GOMUX_REQUIRE_FIXTURES=1`
//! turns a missing fixture folder into a failure, as CI does.

use std::path::{Path, PathBuf};

use gomux_tests::fixtures::Fixtures;
use gomux_tests::mirror::Mirror;
use gomux_tests::{Run, Sandbox};

/// A sandbox set up for real Go: no network but a `file://` module proxy, no cgo, no telemetry.
fn real_sandbox(modproxy: &Path) -> Sandbox {
    let mut sb = Sandbox::new();
    sb.offline_go(modproxy);
    sb
}

/// Writes a module proxy tree serving `example.com/greet@v1.0.0`.
pub(crate) fn write_module_proxy(dir: &Path) {
    gomux_tests::write_module_proxy(
        dir,
        "example.com/greet",
        "v1.0.0",
        &[
            ("go.mod", "module example.com/greet\n\ngo 1.21\n"),
            (
                "greet.go",
                "package greet\n\n// Hello greets.\nfunc Hello() string { return \"hello from greet\" }\n",
            ),
        ],
    );
}

/// A small module with a test, at `dir`.
fn write_project(sb: &Sandbox, dir: &str, gomod_go: &str) -> PathBuf {
    sb.write(
        &format!("{dir}/go.mod"),
        &format!("module example.com/{dir}\n\ngo {gomod_go}\n"),
    );
    sb.write(
        &format!("{dir}/main.go"),
        "package main\n\nimport (\n\t\"fmt\"\n\t\"runtime\"\n)\n\nfunc main() { fmt.Println(\"built with\", runtime.Version()) }\n",
    );
    sb.write(
        &format!("{dir}/main_test.go"),
        "package main\n\nimport \"testing\"\n\nfunc TestTruth(t *testing.T) {\n\tif 1+1 != 2 {\n\t\tt.Fatal(\"math\")\n\t}\n}\n",
    );
    sb.work.join(dir)
}

/// A real-Go sandbox (offline, a `file://` module proxy) with the oldest fixture release linked
/// and set as the default; the scratch folder holds the module proxy.
fn oldest_as_default(fx: &Fixtures) -> (Sandbox, tempfile::TempDir) {
    let tc = &fx.toolchains()[0];
    let scratch = tempfile::tempdir().unwrap();
    let modproxy = scratch.path().join("modproxy");
    write_module_proxy(&modproxy);
    let sb = real_sandbox(&modproxy);
    let root = fx.shared_sdk(&tc.name);
    sb.gomux(["link".as_ref(), tc.name.as_ref(), root.as_os_str()])
        .ok();
    sb.gomux(["default", bare(&tc.name)]).ok();
    (sb, scratch)
}

/// `go version` output -> the toolchain name (`go version go1.22.5 linux/amd64` -> `go1.22.5`).
fn version_of(stdout: &str) -> &str {
    stdout.split_whitespace().nth(2).unwrap_or_default()
}

/// `go1.22.5` -> `1.22.5`.
fn bare(name: &str) -> &str {
    name.strip_prefix("go").unwrap_or(name)
}

#[test]
fn real_go_projects_build_with_their_own_sdk() {
    let Some(fx) = Fixtures::locate("real_go_projects_build_with_their_own_sdk") else {
        return;
    };
    let tcs = fx.toolchains();
    assert!(
        tcs.len() >= 2,
        "the fixtures need two SDKs, found {}",
        tcs.len()
    );
    let (old, new) = (&tcs[0], &tcs[tcs.len() - 1]);
    let scratch = tempfile::tempdir().unwrap();
    let modproxy = scratch.path().join("modproxy");
    write_module_proxy(&modproxy);
    let sb = real_sandbox(&modproxy);

    // Two SDKs linked from anywhere on disk.
    let old_root = fx.shared_sdk(&old.name);
    let new_root = fx.shared_sdk(&new.name);
    sb.gomux(["link".as_ref(), old.name.as_ref(), old_root.as_os_str()])
        .ok();
    sb.gomux(["link".as_ref(), new.name.as_ref(), new_root.as_os_str()])
        .ok();
    sb.gomux(["default", bare(&old.name)]).ok();

    // Project A: pinned by .go-version to the older SDK. Project B: go.mod asks for the newer.
    let a = write_project(&sb, "a", "1.21");
    sb.write("a/.go-version", &format!("{}\n", bare(&old.name)));
    let b = write_project(&sb, "b", bare(&new.name));
    for (dir, name, root) in [(&a, &old.name, &old_root), (&b, &new.name, &new_root)] {
        let out = sb.go(["version"]).current_dir(dir).ok();
        assert_eq!(version_of(&out.stdout), name, "{out}");
        let out = sb.go(["env", "GOROOT"]).current_dir(dir).ok();
        assert_eq!(
            Path::new(out.stdout.trim()),
            root.canonicalize().unwrap(),
            "{out}"
        );
        sb.go(["build", "-o", "app", "."]).current_dir(dir).ok();
        let out = sb.cmd(dir.join("app")).ok();
        assert_eq!(out.stdout.trim(), format!("built with {name}"));
        let out = sb.go(["version", "-m", "app"]).current_dir(dir).ok();
        assert!(out.stdout.starts_with(&format!("app: {name}\n")), "{out}");
        let out = sb.go(["test", "./..."]).current_dir(dir).ok();
        assert!(out.stdout.starts_with("ok "), "{out}");
        let out = sb.proxy("gofmt", ["-l", "."]).current_dir(dir).ok();
        assert_eq!(out.stdout, "", "gofmt -l lists nothing for formatted code");
    }
    sb.write("b/ugly.go", "package main\nfunc  ugly( ) {}\n");
    let out = sb.proxy("gofmt", ["-l", "."]).current_dir(&b).ok();
    assert_eq!(out.stdout.trim(), "ugly.go");
    std::fs::remove_file(b.join("ugly.go")).unwrap();

    // The caches were per project: A's build cache is not B's.
    let ja = sb.gomux(["show", "--json"]).current_dir(&a).ok().json();
    let jb = sb.gomux(["show", "--json"]).current_dir(&b).ok().json();
    let (ca, cb) = (
        ja["cache"]["gocache"]["value"].as_str().unwrap(),
        jb["cache"]["gocache"]["value"].as_str().unwrap(),
    );
    assert_ne!(ca, cb);
    assert!(
        Path::new(ca).join("README").is_file(),
        "A's build cache was filled: {ca}"
    );
    assert!(
        Path::new(cb).join("README").is_file(),
        "B's build cache was filled: {cb}"
    );

    // A stale GOROOT pointing at the other SDK does not break the build.
    let out = sb
        .go(["build", "-o", "app2", "."])
        .current_dir(&b)
        .env("GOROOT", &old_root)
        .ok();
    assert_eq!(out.stderr, "");
    let out = sb.cmd(b.join("app2")).ok();
    assert_eq!(out.stdout.trim(), format!("built with {}", new.name));

    // `go run` of a program that runs `go version` sees the same toolchain.
    sb.write(
        "b/cmd/nested/main.go",
        "package main\n\nimport (\n\t\"fmt\"\n\t\"os/exec\"\n)\n\nfunc main() {\n\tout, err := exec.Command(\"go\", \"version\").Output()\n\tif err != nil {\n\t\tpanic(err)\n\t}\n\tfmt.Print(string(out))\n}\n",
    );
    let out = sb.go(["run", "./cmd/nested"]).current_dir(&b).ok();
    assert_eq!(version_of(&out.stdout), new.name, "{out}");
}

#[test]
fn real_go_downloads_modules_into_the_injected_cache() {
    let Some(fx) = Fixtures::locate("real_go_downloads_modules_into_the_injected_cache") else {
        return;
    };
    let tcs = fx.toolchains();
    let new = &tcs[tcs.len() - 1];
    let scratch = tempfile::tempdir().unwrap();
    let modproxy = scratch.path().join("modproxy");
    write_module_proxy(&modproxy);
    let sb = real_sandbox(&modproxy);
    let root = fx.shared_sdk(&new.name);
    sb.gomux(["link".as_ref(), new.name.as_ref(), root.as_os_str()])
        .ok();
    sb.gomux(["default", bare(&new.name)]).ok();

    let c = sb.work.join("c");
    sb.write(
        "c/go.mod",
        "module example.com/c\n\ngo 1.21\n\nrequire example.com/greet v1.0.0\n",
    );
    sb.write(
        "c/main.go",
        "package main\n\nimport (\n\t\"fmt\"\n\n\t\"example.com/greet\"\n)\n\nfunc main() { fmt.Println(greet.Hello()) }\n",
    );
    let out = sb.go(["run", "."]).current_dir(&c).ok();
    assert_eq!(out.stdout.trim(), "hello from greet", "{out}");
    let j = sb.gomux(["show", "--json"]).current_dir(&c).ok().json();
    let modcache = PathBuf::from(j["cache"]["gomodcache"]["value"].as_str().unwrap());
    assert!(modcache.starts_with(&sb.gomux_home), "{modcache:?}");
    assert!(
        modcache.join("example.com/greet@v1.0.0/greet.go").is_file(),
        "the module landed in the injected GOMODCACHE"
    );
    assert!(
        !sb.home.join("go/pkg/mod").exists(),
        "nothing went to Go's default module cache"
    );
    let out = sb.go(["env", "GOMODCACHE"]).current_dir(&c).ok();
    assert_eq!(Path::new(out.stdout.trim()), modcache);
}

#[test]
fn real_go_reports_a_pin_older_than_go_mod() {
    let Some(fx) = Fixtures::locate("real_go_reports_a_pin_older_than_go_mod") else {
        return;
    };
    let tcs = fx.toolchains();
    let (old, new) = (&tcs[0], &tcs[tcs.len() - 1]);
    let scratch = tempfile::tempdir().unwrap();
    let modproxy = scratch.path().join("modproxy");
    write_module_proxy(&modproxy);
    let sb = real_sandbox(&modproxy);
    for tc in [old, new] {
        let root = fx.shared_sdk(&tc.name);
        sb.gomux(["link".as_ref(), tc.name.as_ref(), root.as_os_str()])
            .ok();
    }
    let d = write_project(&sb, "d", bare(&new.name));
    sb.write("d/.go-version", &format!("{}\n", bare(&old.name)));
    let out = sb.go(["build", "."]).current_dir(&d).fails();
    let want = format!(
        "go: go.mod requires go >= {} (running go {}; GOTOOLCHAIN=local)",
        bare(&new.name),
        bare(&old.name)
    );
    assert!(out.stderr.contains(&want), "want {want:?}:\n{out}");
    // Nothing was downloaded behind gomux's back.
    let j = sb.gomux(["show", "--json"]).current_dir(&d).ok().json();
    let modcache = PathBuf::from(j["cache"]["gomodcache"]["value"].as_str().unwrap());
    assert!(
        !modcache.join("golang.org/toolchain").exists()
            && !modcache.join("cache/download/golang.org").exists()
    );
    // With GOTOOLCHAIN=auto set by the user, the real go switches by itself: it finds gomux's
    // versioned proxy on PATH, which runs exactly the toolchain it asked for.
    let out = sb
        .go(["version"])
        .current_dir(&d)
        .env("GOTOOLCHAIN", "auto")
        .ok();
    assert_eq!(version_of(&out.stdout), new.name, "{out}");
    let out = sb
        .go(["build", "."])
        .current_dir(&d)
        .env("GOTOOLCHAIN", "path")
        .ok();
    assert_eq!(out.stderr, "", "{out}");
    assert!(
        !modcache.join("golang.org/toolchain").exists(),
        "the switch did not download a toolchain"
    );
}

#[test]
fn real_go_installs_from_a_local_mirror() {
    let Some(fx) = Fixtures::locate("real_go_installs_from_a_local_mirror") else {
        return;
    };
    let tcs = fx.toolchains();
    let old = &tcs[0];
    let mirror = Mirror::serve(fx.dir());
    let scratch = tempfile::tempdir().unwrap();
    let modproxy = scratch.path().join("modproxy");
    write_module_proxy(&modproxy);
    let mut sb = real_sandbox(&modproxy);
    sb.set_env("GOMUX_DIST_SERVER", Some(&mirror.url()));
    // The first `go` call in a project that needs a missing SDK installs it, once.
    let e = write_project(&sb, "e", "1.21");
    sb.write("e/.go-version", &format!("{}\n", bare(&old.name)));
    let out = sb.go(["version"]).current_dir(&e).ok();
    assert_eq!(version_of(&out.stdout), old.name, "{out}");
    assert!(
        out.stderr.contains(&old.name),
        "one line names the version: {out}"
    );
    assert_eq!(mirror.requests(&format!("/{}", old.file_name)), 1);
    sb.go(["build", "."]).current_dir(&e).ok();
    let out = sb.go(["env", "GOROOT"]).current_dir(&e).ok();
    assert_eq!(
        Path::new(out.stdout.trim()),
        sb.gomux_home.join("toolchains").join(&old.name)
    );
    assert_eq!(
        mirror.requests(&format!("/{}", old.file_name)),
        1,
        "installed once"
    );
}

/// `gomux show -- -C sub build` tells the caches that the real `go -C sub` gets: the call's own
/// `-C` decides the project, for the toolchain and for the caches alike.
#[test]
fn show_with_dash_c_reports_the_caches_real_go_gets() {
    let Some(fx) = Fixtures::locate("show_with_dash_c_reports_the_caches_real_go_gets") else {
        return;
    };
    let (sb, _scratch) = oldest_as_default(&fx);
    let sub = write_project(&sb, "sub", "1.21");

    // From the folder above the project, which belongs to no project.
    let real = sb
        .go(["-C", "sub", "env", "GOCACHE"])
        .current_dir(&sb.work)
        .ok();
    let real = real.stdout.trim();
    assert!(
        Path::new(real).starts_with(&sb.gomux_home),
        "the project's own cache under the gomux home: {real}"
    );
    let shown = sb
        .gomux(["show", "--json", "--", "-C", "sub", "build"])
        .current_dir(&sb.work)
        .ok()
        .json();
    assert_eq!(
        shown["cache"]["gocache"]["value"].as_str(),
        Some(real),
        "{shown}"
    );
    assert_eq!(shown["cache"]["gocache"]["origin"], "gomux", "{shown}");
    assert_eq!(
        shown["project_root"].as_str().map(Path::new),
        Some(sub.canonicalize().unwrap().as_path()),
        "{shown}"
    );
    // The same call without `-C` is outside any project: no cache of a project's.
    let plain = sb
        .gomux(["show", "--json"])
        .current_dir(&sb.work)
        .ok()
        .json();
    assert_ne!(
        plain["cache"]["gocache"]["value"].as_str(),
        Some(real),
        "{plain}"
    );
}

/// `go env -w GOTOOLCHAIN=auto` and `go env -w GOCACHE=...` through the proxy are as quiet as
/// without gomux: the values gomux injects are not the user's "conflicting OS environment
/// variables", while a value the user really set still draws Go's warning.
#[test]
fn go_env_w_through_the_proxy_warns_only_when_go_would() {
    let Some(fx) = Fixtures::locate("go_env_w_through_the_proxy_warns_only_when_go_would") else {
        return;
    };
    let (sb, _scratch) = oldest_as_default(&fx);
    let project = write_project(&sb, "app", "1.21");
    let env_file = sb.home.join(".config/go/env");

    for args in [
        &["env", "-w", "GOTOOLCHAIN=auto"][..],
        &["env", "-w", "GOCACHE=/tmp/own-cache"],
        &["env", "-u", "GOCACHE"],
    ] {
        let out = sb.go(args).current_dir(&project).ok();
        assert!(
            !out.stderr.contains("does not override"),
            "{args:?} warned: {}",
            out.stderr
        );
    }
    let written = std::fs::read_to_string(&env_file).unwrap();
    assert!(written.contains("GOTOOLCHAIN=auto"), "{written}");
    // `go env GOTOOLCHAIN` answers the user's own setting, not the value gomux runs with.
    let out = sb.go(["env", "GOTOOLCHAIN"]).current_dir(&project).ok();
    assert_eq!(out.stdout.trim(), "auto");
    // Every other call keeps the injected caches.
    let out = sb.go(["env", "GOCACHE"]).current_dir(&project).ok();
    assert!(
        Path::new(out.stdout.trim()).starts_with(&sb.gomux_home),
        "{}",
        out.stdout
    );
    // The user's own variable still conflicts, as in Go.
    let out = sb
        .go(["env", "-w", "GOTOOLCHAIN=local"])
        .env("GOTOOLCHAIN", "auto")
        .current_dir(&project)
        .ok();
    assert!(out.stderr.contains("does not override"), "{}", out.stderr);
}

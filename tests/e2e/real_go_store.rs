//! Real Go with the module store: two projects fetch a module once from a loopback GOPROXY
//! the test serves (request counts), the store survives `go clean -modcache`, a changed zip
//! in the store is caught by `gomux cache verify` and by `go mod verify`, and `go list std`
//! inside a GOROOT creates no project folder. Skipped (loudly) without fixtures;
//! `GOMUX_REQUIRE_FIXTURES=1` makes that a failure.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use gomux_tests::fixtures::Fixtures;
use gomux_tests::mirror::Mirror;
use gomux_tests::{Run, Sandbox};

const ZIP: &str = "/example.com/greet/@v/v1.0.0.zip";

/// A sandbox running the newest fixture SDK, with Go pointed at `proxy` and nothing else.
fn sandbox(fx: &Fixtures, proxy: &str) -> Sandbox {
    let mut sb = Sandbox::new();
    sb.set_env("GOPROXY", Some(proxy))
        .set_env("GOSUMDB", Some("off"))
        .set_env("GONOSUMDB", Some("*"))
        .set_env("GOFLAGS", Some("-mod=mod"))
        .set_env("CGO_ENABLED", Some("0"))
        .set_env("GOTELEMETRY", Some("off"));
    let tcs = fx.toolchains();
    let new = &tcs[tcs.len() - 1];
    let root = fx.shared_sdk(&new.name);
    sb.gomux(["link".as_ref(), new.name.as_ref(), root.as_os_str()])
        .ok();
    sb.gomux(["default", new.name.trim_start_matches("go")])
        .ok();
    sb
}

fn project(sb: &Sandbox, name: &str) -> PathBuf {
    sb.write(
        &format!("{name}/go.mod"),
        &format!("module example.com/{name}\n\ngo 1.21\n\nrequire example.com/greet v1.0.0\n"),
    );
    sb.write(
        &format!("{name}/main.go"),
        "package main\n\nimport (\n\t\"fmt\"\n\n\t\"example.com/greet\"\n)\n\nfunc main() { fmt.Println(greet.Hello()) }\n",
    );
    sb.work.join(name)
}

fn gomodcache(sb: &Sandbox, dir: &Path) -> PathBuf {
    let out = sb.go(["env", "GOMODCACHE"]).current_dir(dir).ok();
    PathBuf::from(out.stdout.trim())
}

/// The store sandbox with its loopback GOPROXY serving the greet module (the scratch folder
/// holds the module tree).
fn served(fx: &Fixtures) -> (Sandbox, Mirror, tempfile::TempDir) {
    let scratch = tempfile::tempdir().unwrap();
    crate::real_go::write_module_proxy(scratch.path());
    let mirror = Mirror::serve(scratch.path());
    let sb = sandbox(fx, mirror.url().trim_end_matches('/'));
    (sb, mirror, scratch)
}

#[test]
fn real_go_two_projects_fetch_a_module_once_through_the_store() {
    let Some(fx) = Fixtures::locate("real_go_two_projects_fetch_a_module_once_through_the_store")
    else {
        return;
    };
    let (sb, mirror, _scratch) = served(&fx);
    let (a, b) = (project(&sb, "a"), project(&sb, "b"));
    for dir in [&a, &b] {
        let out = sb.go(["run", "."]).current_dir(dir).ok();
        assert_eq!(out.stdout.trim(), "hello from greet", "{out}");
    }
    assert_eq!(mirror.requests(ZIP), 1, "the zip is fetched once for both");
    let (ma, mb) = (gomodcache(&sb, &a), gomodcache(&sb, &b));
    assert_ne!(ma, mb, "each project keeps its own GOMODCACHE");
    for m in [&ma, &mb] {
        assert!(
            m.join("example.com/greet@v1.0.0/greet.go").is_file(),
            "{m:?}"
        );
    }
    let store = sb.gomux_home.join("cache/store/download");
    let zip = store.join("example.com/greet/@v/v1.0.0.zip");
    assert!(zip.is_file());

    // `go clean -modcache` in one project removes its module cache and the link, not the store.
    sb.go(["clean", "-modcache"]).current_dir(&a).ok();
    assert!(!ma.exists(), "{ma:?}");
    assert!(zip.is_file(), "the store survives");
    assert!(mb.join("example.com/greet@v1.0.0/greet.go").is_file());
    let out = sb.go(["run", "."]).current_dir(&a).ok();
    assert_eq!(out.stdout.trim(), "hello from greet", "{out}");
    assert_eq!(mirror.requests(ZIP), 1, "extracted again from the store");
    assert!(ma.join("example.com/greet@v1.0.0/greet.go").is_file());
    sb.gomux(["cache", "verify"]).current_dir(&a).ok();
}

#[test]
fn real_go_mod_verify_and_gomux_catch_a_changed_zip_in_the_store() {
    let Some(fx) =
        Fixtures::locate("real_go_mod_verify_and_gomux_catch_a_changed_zip_in_the_store")
    else {
        return;
    };
    let (sb, mirror, _scratch) = served(&fx);
    let a = project(&sb, "a");
    sb.go(["build", "./..."]).current_dir(&a).ok();
    let zip = sb
        .gomux_home
        .join("cache/store/download/example.com/greet/@v/v1.0.0.zip");
    sb.go(["mod", "verify"]).current_dir(&a).ok();

    // Same file names, other bytes: the `.ziphash` still says what Go downloaded.
    let mut w = zip::ZipWriter::new(std::fs::File::create(&zip).unwrap());
    for (name, body) in [
        ("go.mod", "module example.com/greet\n\ngo 1.21\n"),
        (
            "greet.go",
            "package greet\n\nfunc Hello() string { return \"pwned\" }\n",
        ),
    ] {
        w.start_file(
            format!("example.com/greet@v1.0.0/{name}"),
            zip::write::SimpleFileOptions::default(),
        )
        .unwrap();
        w.write_all(body.as_bytes()).unwrap();
    }
    w.finish().unwrap();

    let out = sb.gomux(["cache", "verify"]).current_dir(&a).fails();
    assert!(out.stdout.contains("example.com/greet v1.0.0"), "{out}");
    assert!(out.stdout.contains(&zip.display().to_string()), "{out}");
    assert!(out.stderr.contains("--fix"), "{out}");
    let out = sb.go(["mod", "verify"]).current_dir(&a).fails();
    assert!(
        out.stdout.contains("example.com/greet") || out.stderr.contains("example.com/greet"),
        "{out}"
    );

    // `--fix` removes the bad zip; Go downloads it again, checked against go.sum.
    sb.gomux(["cache", "verify", "--fix"]).current_dir(&a).ok();
    sb.go(["clean", "-modcache"]).current_dir(&a).ok();
    let out = sb.go(["run", "."]).current_dir(&a).ok();
    assert_eq!(out.stdout.trim(), "hello from greet", "{out}");
    assert_eq!(mirror.requests(ZIP), 2);
    sb.go(["mod", "verify"]).current_dir(&a).ok();
}

#[test]
fn real_go_list_std_inside_a_goroot_creates_no_project_cache() {
    let Some(fx) = Fixtures::locate("real_go_list_std_inside_a_goroot_creates_no_project_cache")
    else {
        return;
    };
    let mut sb = sandbox(&fx, "off");
    // The standard library is vendored: no flag that would make Go look for modules.
    sb.set_env("GOFLAGS", None);
    let tcs = fx.toolchains();
    let new = &tcs[tcs.len() - 1];
    sb.set_env("GOMUX_TOOLCHAIN", Some(new.name.as_str()));
    let goroot = fx.shared_sdk(&new.name);
    let dir = goroot.join("src/net/http");
    let out = sb.go(["list", "std"]).current_dir(&dir).ok();
    assert!(out.stdout.lines().any(|l| l == "net/http"), "{out}");
    let root = sb.gomux_home.join("cache");
    assert!(
        !root.join("projects").exists(),
        "no project folder for GOROOT/src"
    );
    let cache = sb.go(["env", "GOCACHE"]).current_dir(&dir).ok();
    assert_eq!(
        PathBuf::from(cache.stdout.trim()),
        root.join("toolchains").join(&new.name).join("build")
    );
    let show = sb.gomux(["show"]).current_dir(&dir).ok();
    assert!(show.stdout.contains("never a project"), "{show}");
}

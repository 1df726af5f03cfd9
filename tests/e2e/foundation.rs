//! The foundation: version selection through the real proxies, exec, the child environment,
//! and the core commands. Fake SDKs report what they were run with.

use std::time::{Duration, Instant};

use gomux_tests::{Run, Sandbox};

/// A sandbox with two linked fake SDKs and go1.21.5 as the default.
fn two_sdks() -> Sandbox {
    let sb = Sandbox::new();
    sb.link_fake("go1.21.5");
    sb.link_fake("go1.22.3");
    sb.gomux(["default", "1.21.5"]).ok();
    sb
}

#[test]
fn projects_choose_their_sdk_through_the_proxy() {
    let sb = two_sdks();
    sb.write("a/.go-version", "# team pin\r\n1.22.3\r\n");
    sb.write("a/go.mod", "module a\n\ngo 1.21\n");
    sb.write("b/go.mod", "module b\n\ngo 1.22.3\n");
    let deep = sb.dir("a/1/2/3/4/5/6/7/8/9/10");
    let out = sb.go(["build", "./..."]).current_dir(&deep).ok();
    assert_eq!(out.val("version"), "go1.22.3", "pinned by .go-version");
    assert_eq!(
        out.val("GOTOOLCHAIN"),
        "local",
        "an explicit pin runs with GOTOOLCHAIN=local"
    );
    assert_eq!(out.args(), ["build", "./..."]);
    assert_eq!(out.val("cwd"), deep.display().to_string());
    let out = sb.go(["build"]).current_dir(sb.dir("b/cmd")).ok();
    assert_eq!(out.val("version"), "go1.22.3", "chosen by go.mod's go line");
    assert_eq!(
        out.val("GOTOOLCHAIN"),
        "path",
        "a go.mod choice runs with GOTOOLCHAIN=path"
    );
    let out = sb.go(["build"]).current_dir(sb.dir("elsewhere")).ok();
    assert_eq!(
        out.val("version"),
        "go1.21.5",
        "the default outside any project"
    );
    assert_eq!(out.val("GOTOOLCHAIN"), "path");
    // A go line the default satisfies keeps the default.
    sb.write("c/go.mod", "module c\ngo 1.20\n");
    let out = sb.go(["build"]).current_dir(sb.dir("c")).ok();
    assert_eq!(out.val("version"), "go1.21.5");
}

#[test]
fn plus_version_wins_and_is_removed_from_argv() {
    let mut sb = two_sdks();
    sb.write("p/.go-version", "1.21.5\n");
    sb.set_env("GOMUX_TOOLCHAIN", Some("1.21.5"));
    let out = sb
        .go(["+1.22.3", "build", "-x"])
        .current_dir(sb.dir("p"))
        .ok();
    assert_eq!(out.val("version"), "go1.22.3");
    assert_eq!(out.args(), ["build", "-x"]);
    assert_eq!(out.val("GOTOOLCHAIN"), "local");
    let out = sb.go(["+1.22", "version", "-m"]).ok();
    assert_eq!(
        out.val("version"),
        "go1.22.3",
        "a family picks the newest installed"
    );
    let out = sb.go(["+1.22.3/../../x", "build"]).fails();
    assert!(
        out.stderr
            .starts_with("gomux: invalid Go version `1.22.3/../../x`"),
        "{out}"
    );
}

#[test]
fn gomux_toolchain_and_gotoolchain() {
    let mut sb = two_sdks();
    sb.write("m/go.mod", "module m\ngo 1.22.3\n");
    let m = sb.dir("m");
    sb.set_env("GOMUX_TOOLCHAIN", Some("go1.21.5"));
    sb.set_env("GOTOOLCHAIN", Some("go1.22.3"));
    let out = sb.go(["build"]).current_dir(&m).ok();
    assert_eq!(
        out.val("version"),
        "go1.21.5",
        "GOMUX_TOOLCHAIN beats GOTOOLCHAIN"
    );
    assert_eq!(
        out.val("GOTOOLCHAIN"),
        "go1.22.3",
        "the user's GOTOOLCHAIN passes through"
    );
    sb.set_env("GOMUX_TOOLCHAIN", None);
    sb.set_env("GOTOOLCHAIN", Some("go1.21.5"));
    let out = sb.go(["build"]).current_dir(&m).ok();
    assert_eq!(
        out.val("version"),
        "go1.21.5",
        "an exact GOTOOLCHAIN ignores go.mod"
    );
    // From the `go env -w` file.
    sb.set_env("GOTOOLCHAIN", None);
    std::fs::create_dir_all(sb.home.join(".config/go")).unwrap();
    std::fs::write(sb.home.join(".config/go/env"), "GOTOOLCHAIN=go1.21.5\n").unwrap();
    let out = sb.go(["build"]).current_dir(&m).ok();
    assert_eq!(out.val("version"), "go1.21.5");
    assert_eq!(out.val("GOTOOLCHAIN"), "local");
    std::fs::write(
        sb.home.join(".config/go/env"),
        "GOTOOLCHAIN=go1.21.0+auto\n",
    )
    .unwrap();
    let out = sb.go(["build"]).current_dir(&m).ok();
    assert_eq!(
        out.val("version"),
        "go1.22.3",
        "+auto only sets the default"
    );
    // Invalid values: Go's own text, behind `gomux:`, and the escape hatch still works.
    sb.set_env("GOTOOLCHAIN", Some("go1.26.0+foo"));
    let out = sb.go(["build"]).current_dir(&m).fails();
    assert_eq!(out.code(), Some(1));
    assert!(
        out.stderr.starts_with(
            "gomux: invalid GOTOOLCHAIN \"go1.26.0+foo\": only version suffixes are +auto and +path\nhint: GOTOOLCHAIN is set in the environment"
        ),
        "{out}"
    );
    let out = sb.go(["env", "GOTOOLCHAIN"]).current_dir(&m).ok();
    assert_eq!(out.val("version"), "go1.21.5");
}

#[test]
fn gofmt_and_versioned_proxies() {
    let sb = two_sdks();
    sb.write("b/go.mod", "module b\ngo 1.22.3\n");
    let out = sb.proxy("gofmt", ["-l", "."]).current_dir(sb.dir("b")).ok();
    assert_eq!(out.val("tool"), "gofmt");
    assert_eq!(out.val("version"), "go1.22.3");
    assert_eq!(out.args(), ["-l", "."]);
    assert!(sb.bin().join("go1.21.5").is_file() && sb.bin().join("go1.22.3").is_file());
    let out = sb
        .proxy("go1.21.5", ["build"])
        .current_dir(sb.dir("b"))
        .ok();
    assert_eq!(
        out.val("version"),
        "go1.21.5",
        "a versioned proxy means exactly that toolchain"
    );
    assert_eq!(
        out.val("argv0"),
        sb.bin().join("go1.21.5").display().to_string()
    );
    assert_eq!(out.val("GOTOOLCHAIN"), "local");
    // A real go switching toolchains execs the versioned proxy with argv[0] `go` and
    // GOTOOLCHAIN_INTERNAL_SWITCH_VERSION naming what it wants; that variable passes through.
    let out = sb
        .go(["build"])
        .current_dir(sb.dir("b"))
        .env("GOTOOLCHAIN_INTERNAL_SWITCH_VERSION", "go1.21.5")
        .ok();
    assert_eq!(out.val("version"), "go1.21.5");
    assert_eq!(out.val("GOTOOLCHAIN_INTERNAL_SWITCH_VERSION"), "go1.21.5");
    let out = sb.proxy("gomux-shim", ["version"]).fails();
    assert!(
        out.stderr
            .starts_with("gomux: this proxy runs as `go`, `gofmt` or `go1.X.Y`"),
        "{out}"
    );
}

#[test]
fn exec_keeps_the_pid_and_the_exit_code() {
    let mut sb = two_sdks();
    sb.set_env("FAKE_GO_EXIT", Some("7"));
    let child = sb
        .go(["build"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(7));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(&format!("pid={pid}\n")),
        "the proxy must exec, not spawn: {stdout}"
    );
}

#[cfg(unix)]
#[test]
fn non_utf8_arguments_pass_through() {
    use std::os::unix::ffi::OsStrExt;
    let sb = two_sdks();
    let raw = std::ffi::OsStr::from_bytes(b"caf\xe9.go");
    let out = sb.go([std::ffi::OsStr::new("vet"), raw]).ok();
    let argx: Vec<&str> = out
        .stdout
        .lines()
        .filter_map(|l| l.strip_prefix("argx="))
        .collect();
    assert_eq!(argx, ["766574", "636166e92e676f"]);
}

#[test]
fn a_stale_goroot_does_not_reach_the_sdk() {
    let mut sb = two_sdks();
    let other = sb.root.join("sdks/go1.22.3");
    sb.set_env("GOROOT", Some(other.to_str().unwrap()));
    let out = sb.go(["build"]).ok();
    assert_eq!(out.val("version"), "go1.21.5");
    assert_eq!(out.val("GOROOT"), "<unset>");
}

#[test]
fn a_proxy_that_finds_itself_fails_fast() {
    let sb = two_sdks();
    // A toolchain whose `bin/go` is a gomux proxy (as if the proxies folder had been linked).
    let fake = sb.gomux_home.join("toolchains/go1.30.0/bin");
    std::fs::create_dir_all(&fake).unwrap();
    gomux_tests::copy_executable(&sb.bin().join("go"), &fake.join("go"));
    std::fs::write(
        sb.gomux_home.join("toolchains/go1.30.0/VERSION"),
        "go1.30.0\n",
    )
    .unwrap();
    let start = Instant::now();
    let out = sb.go(["version"]).env("GOMUX_TOOLCHAIN", "1.30.0").fails();
    assert!(
        start.elapsed() < Duration::from_secs(1),
        "took {:?}",
        start.elapsed()
    );
    assert!(out.stderr.contains("started itself 10 times"), "{out}");
    // And `gomux link` refuses the proxies folder.
    let out = sb
        .gomux(["link".as_ref(), "loop".as_ref(), sb.gomux_home.as_os_str()])
        .fails();
    assert!(
        out.stderr.contains("is a gomux proxy, not a Go SDK"),
        "{out}"
    );
}

#[test]
fn a_missing_toolchain_says_what_to_do() {
    let mut sb = two_sdks();
    sb.set_env("GOMUX_AUTO_INSTALL", Some("0"));
    let gomod = sb.write("n/go.mod", "module n\n\ngo 1.25.0\n");
    let out = sb.go(["build"]).current_dir(sb.dir("n/x")).fails();
    assert_eq!(
        out.stderr,
        format!(
            "gomux: go1.25.0 is not installed (selected by {}:3)\nhint: run `gomux install 1.25.0`\nhint: automatic installs are off (GOMUX_AUTO_INSTALL=0 or `auto_install = false` in settings.toml)\n",
            gomod.display()
        )
    );
}

#[test]
fn show_json_follows_go_startup_selection() {
    let sb = two_sdks(); // default go1.21.5
    let cases: &[(&str, &str, &str, &str)] = &[
        // (go.mod, toolchain, source, gotoolchain)
        ("go 1.22\n", "go1.22.0", "go-mod", "path"),
        ("go 1.21\n", "go1.21.5", "default", "path"),
        (
            "go 1.21\ntoolchain go1.22.3\n",
            "go1.22.3",
            "go-mod",
            "path",
        ),
        (
            "go 1.21\ntoolchain go1.21.1\n",
            "go1.21.5",
            "default",
            "path",
        ),
        (
            "go 1.23.1\ntoolchain go1.22.3\n",
            "go1.23.1",
            "go-mod",
            "path",
        ),
        (
            "go 1.30\ntoolchain default\n",
            "go1.21.5",
            "default",
            "path",
        ),
        ("go 1.19\n", "go1.21.5", "default", "path"),
    ];
    for (i, (gomod, toolchain, source, gt)) in cases.iter().enumerate() {
        let dir = format!("m{i}");
        sb.write(&format!("{dir}/go.mod"), &format!("module m\n{gomod}"));
        let j = sb
            .gomux(["show", "--json"])
            .current_dir(sb.dir(&dir))
            .ok()
            .json();
        // `request` is Go's own answer (`toolchain` may be a newer installed patch).
        assert_eq!(j["request"]["value"], *toolchain, "{gomod:?}: {j}");
        assert_eq!(j["request"]["source"], *source, "{gomod:?}: {j}");
        assert_eq!(j["gotoolchain"], *gt, "{gomod:?}: {j}");
        assert_eq!(j["project_root"], sb.work.join(&dir).display().to_string());
    }
    // File and line, installed and goroot.
    sb.write("f/go.mod", "module f\n\n\ngo 1.22.3\n");
    let j = sb
        .gomux(["show", "--json"])
        .current_dir(sb.dir("f/sub"))
        .ok()
        .json();
    assert_eq!(
        j["request"]["file"],
        sb.work.join("f/go.mod").display().to_string()
    );
    assert_eq!(j["request"]["line"], 4);
    assert_eq!(j["installed"], true);
    assert_eq!(
        j["goroot"],
        sb.root.join("sdks/go1.22.3").display().to_string()
    );
    // go.work wins over go.mod.
    sb.write("w/go.work", "go 1.22.3\nuse ./m\n");
    sb.write("w/m/go.mod", "module m\ngo 1.23.0\n");
    let j = sb
        .gomux(["show", "--json"])
        .current_dir(sb.dir("w/m"))
        .ok()
        .json();
    assert_eq!(
        (j["toolchain"].as_str(), j["request"]["source"].as_str()),
        (Some("go1.22.3"), Some("go-work"))
    );
    assert_eq!(j["project_root"], sb.work.join("w").display().to_string());
    // GOWORK forms.
    let show = |dir: &str, env: &[(&str, &str)], args: &[&str]| {
        let mut c = sb.gomux(["show", "--json"]);
        c.current_dir(sb.dir(dir)).args(args);
        for (k, v) in env {
            c.env(k, v);
        }
        let j = c.ok().json();
        (
            j["request"]["value"].as_str().unwrap().to_string(),
            j["request"]["source"].as_str().unwrap().to_string(),
        )
    };
    let pair = |t: &str, s: &str| (t.to_string(), s.to_string());
    assert_eq!(
        show("w/m", &[("GOWORK", "off")], &[]),
        pair("go1.23.0", "go-mod")
    );
    let abs = sb.write("elsewhere/x.work", "go 1.22.9\n");
    let abs = abs.to_str().unwrap();
    assert_eq!(
        show("w/m", &[("GOWORK", abs)], &[]),
        pair("go1.22.9", "go-work")
    );
    let out = sb
        .gomux(["show", "--json"])
        .current_dir(sb.dir("w/m"))
        .env("GOWORK", "x.work")
        .fails();
    assert!(
        out.stderr
            .starts_with("error: invalid GOWORK: not an absolute path"),
        "{out}"
    );
    // -C, before and after the subcommand, and +VERSION, as the proxy reads them.
    assert_eq!(
        show("m1", &[], &["--", "-C", "../w/m", "build"]),
        pair("go1.22.3", "go-work")
    );
    assert_eq!(
        show("m1", &[], &["--", "build", "-C=../f"]),
        pair("go1.22.3", "go-mod")
    );
    assert_eq!(
        show("m1", &[], &["--", "+1.21.5", "build"]),
        pair("go1.21.5", "arg")
    );
    // GOTOOLCHAIN forms.
    assert_eq!(
        show("m0", &[("GOTOOLCHAIN", "go1.21.9")], &[]),
        pair("go1.21.9", "gotoolchain")
    );
    assert_eq!(
        show("m0", &[("GOTOOLCHAIN", "go1.22.7+auto")], &[]),
        pair("go1.22.7", "default")
    );
    assert_eq!(
        show("m0", &[("GOTOOLCHAIN", "go1.21.0+path")], &[]),
        pair("go1.22.0", "go-mod")
    );
    assert_eq!(
        show("m0", &[("GOTOOLCHAIN", "local")], &[]),
        pair("go1.21.5", "default")
    );
    assert_eq!(
        show("m0", &[("GOTOOLCHAIN", "auto")], &[]),
        pair("go1.22.0", "go-mod")
    );
    for (value, message) in [
        ("asdf", r#"invalid GOTOOLCHAIN "asdf""#),
        (
            "auto+auto",
            r#"invalid GOTOOLCHAIN "auto+auto": invalid minimum toolchain "auto""#,
        ),
        (
            "go1.26.0+foo",
            r#"invalid GOTOOLCHAIN "go1.26.0+foo": only version suffixes are +auto and +path"#,
        ),
    ] {
        let out = sb
            .gomux(["show", "--json"])
            .current_dir(sb.dir("m0"))
            .env("GOTOOLCHAIN", value)
            .fails();
        assert!(
            out.stderr.starts_with(&format!("error: {message}\n")),
            "{out}"
        );
    }
    // An invalid toolchain line: Go's error text.
    sb.write("bad/go.mod", "module bad\ngo 1.21\ntoolchain banana\n");
    let out = sb
        .gomux(["show", "--json"])
        .current_dir(sb.dir("bad"))
        .fails();
    assert!(
        out.stderr
            .starts_with("error: invalid toolchain \"banana\" in go.mod"),
        "{out}"
    );
    let out = sb.go(["build"]).current_dir(sb.dir("bad")).fails();
    assert!(
        out.stderr
            .starts_with("gomux: invalid toolchain \"banana\" in go.mod"),
        "{out}"
    );
}

#[test]
fn gowork_and_chdir_through_the_proxy() {
    let mut sb = two_sdks();
    sb.write("w/go.work", "go 1.22.3\nuse ./m\n");
    sb.write("w/m/go.mod", "module m\ngo 1.21\n");
    let m = sb.dir("w/m");
    assert_eq!(
        sb.go(["build"]).current_dir(&m).ok().val("version"),
        "go1.22.3"
    );
    sb.set_env("GOWORK", Some("off"));
    assert_eq!(
        sb.go(["build"]).current_dir(&m).ok().val("version"),
        "go1.21.5"
    );
    sb.set_env("GOWORK", Some("rel/go.work"));
    let out = sb.go(["build"]).current_dir(&m).fails();
    assert!(
        out.stderr
            .starts_with("gomux: invalid GOWORK: not an absolute path"),
        "{out}"
    );
    sb.set_env("GOWORK", None);
    // -C is honoured before and after the subcommand, and passed on to the real go.
    sb.write("b/go.mod", "module b\ngo 1.22.3\n");
    let elsewhere = sb.dir("elsewhere");
    for args in [
        vec!["-C", "../b", "build"],
        vec!["-C=../b", "build"],
        vec!["--C", "../b", "build"],
        vec!["build", "--C=../b"],
    ] {
        let out = sb.go(&args).current_dir(&elsewhere).ok();
        assert_eq!(out.val("version"), "go1.22.3", "{args:?}");
        assert_eq!(out.args(), args);
    }
    // Modules off: go.mod is not read.
    sb.set_env("GO111MODULE", Some("off"));
    let out = sb.go(["build"]).current_dir(sb.dir("b")).ok();
    assert_eq!(out.val("version"), "go1.21.5");
}

#[test]
fn core_commands() {
    let sb = two_sdks();
    // list marks the default and the active toolchain.
    sb.write("p/go.mod", "module p\ngo 1.22.3\n");
    let p = sb.dir("p");
    let out = sb.gomux(["list"]).current_dir(&p).ok();
    assert!(out.stdout.contains("go1.21.5 (default, linked: "), "{out}");
    assert!(out.stdout.contains("go1.22.3 (active, linked: "), "{out}");
    let j = sb.gomux(["list", "--json"]).current_dir(&p).ok().json();
    assert_eq!(j["schema_version"], 1, "{j}");
    assert_eq!(j["toolchains"].as_array().unwrap().len(), 2);
    assert_eq!(j["toolchains"][1]["kind"], "linked");
    // which and which --goroot print the real SDK.
    let out = sb.gomux(["which", "--goroot"]).current_dir(&p).ok();
    assert_eq!(
        out.stdout.trim(),
        sb.root.join("sdks/go1.22.3").display().to_string()
    );
    let out = sb.gomux(["which", "gofmt"]).current_dir(&p).ok();
    assert_eq!(
        out.stdout.trim(),
        sb.root
            .join("sdks/go1.22.3/bin/gofmt")
            .display()
            .to_string(),
        "which TOOL is in the same real SDK as which --goroot"
    );
    // `ls` and `rm` are `list` and `uninstall`.
    let ls = sb.gomux(["ls"]).current_dir(&p).ok();
    assert_eq!(
        ls.stdout,
        sb.gomux(["list"]).current_dir(&p).ok().stdout,
        "{ls}"
    );
    let help = sb.gomux(["--help"]).ok().stdout;
    assert!(
        help.contains("[alias: ls]") && help.contains("[alias: rm]"),
        "{help}"
    );
    // pin writes .go-version; default prints and sets.
    sb.gomux(["pin", "1.21.5"]).current_dir(&p).ok();
    assert_eq!(
        std::fs::read_to_string(p.join(".go-version")).unwrap(),
        "1.21.5\n"
    );
    assert_eq!(
        sb.go(["build"]).current_dir(&p).ok().val("version"),
        "go1.21.5"
    );
    let out = sb.gomux(["default"]).ok();
    assert_eq!(out.stdout.trim(), "go1.21.5");
    let out = sb.gomux(["default", "1.22"]).ok();
    assert!(
        out.stderr.contains("default toolchain set to 1.22"),
        "{out}"
    );
    assert_eq!(sb.go(["build"]).ok().val("version"), "go1.22.3");
    let out = sb.gomux(["default", "../x"]).fails();
    assert!(
        out.stderr.starts_with("error: invalid Go version `../x`"),
        "{out}"
    );
    // run puts the toolchain first on PATH with the proxy's environment.
    let out = sb.gomux(["run", "1.21.5", "--", "go", "version"]).ok();
    assert!(out.stdout.starts_with("go version go1.21.5 "), "{out}");
    // completions.
    let out = sb.gomux(["completions", "bash"]).ok();
    assert!(out.stdout.contains("gomux"), "{out}");
}

#[test]
fn link_validates_the_sdk() {
    let sb = Sandbox::new();
    let empty = sb.dir("not-an-sdk");
    let out = sb
        .gomux(["link".as_ref(), "x".as_ref(), empty.as_os_str()])
        .fails();
    assert!(out.stderr.contains("is not a Go SDK"), "{out}");
    let root = sb.fake_sdk("go1.22.3");
    // No NAME: the SDK's own name.
    let out = sb.gomux(["link".as_ref(), root.as_os_str()]).ok();
    assert!(out.stderr.starts_with("linked go1.22.3 -> "), "{out}");
    let out = sb.gomux(["link".as_ref(), root.as_os_str()]).fails();
    assert!(out.stderr.contains("already linked"), "{out}");
    sb.gomux(["link".as_ref(), root.as_os_str(), "--force".as_ref()])
        .ok();
    let out = sb
        .gomux(["link".as_ref(), "../evil".as_ref(), root.as_os_str()])
        .fails();
    assert!(out.stderr.contains("cannot be a toolchain name"), "{out}");
    // A custom name works through `+NAME`-less selection via GOMUX_TOOLCHAIN-like exact names.
    sb.gomux(["link".as_ref(), "go1.22.3-corp".as_ref(), root.as_os_str()])
        .ok();
    let out = sb.go(["+go1.22.3-corp", "build"]).ok();
    assert_eq!(out.val("version"), "go1.22.3");
}

/// The toolchain `go build` runs in `dir`.
fn version_in(sb: &Sandbox, dir: &std::path::Path) -> String {
    sb.go(["build"])
        .current_dir(dir)
        .ok()
        .val("version")
        .to_string()
}

/// A partial pin runs the newest installed match on every call, also once the proxy answers
/// from its index of `toolchains/` (Linux): a toolchain linked or removed is seen by the very
/// next call, with no pause in between.
#[test]
fn a_partial_pin_sees_every_change_to_the_installed_toolchains_at_once() {
    let sb = two_sdks();
    sb.write("p/.go-version", "1.22\n");
    let p = sb.dir("p");
    let version = || version_in(&sb, &p);
    let index = sb.gomux_home.join("tmp/.toolchains-index");
    let indexed = || {
        // Calls until one records the index (a folder changed in the current clock tick is
        // listed, not recorded); every answer is right meanwhile.
        let start = Instant::now();
        while cfg!(target_os = "linux") && !index.is_file() {
            assert_eq!(version(), "go1.22.3");
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "no index recorded"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    };
    indexed();
    assert_eq!(version(), "go1.22.3");
    sb.link_fake("go1.22.9");
    assert_eq!(version(), "go1.22.9", "linked just now");
    sb.link_fake("go1.23.0");
    assert_eq!(version(), "go1.22.9", "another family");
    sb.gomux(["uninstall", "go1.22.9"]).ok();
    assert_eq!(version(), "go1.22.3", "removed just now");
    indexed();
    sb.link_fake("go1.22.1");
    assert_eq!(version(), "go1.22.3", "an older one linked");
    sb.gomux(["uninstall", "go1.22.3"]).ok();
    assert_eq!(version(), "go1.22.1", "the newest removed");
}

/// A large go.mod is scanned once per change (Linux: the scan is recorded in `tmp/`), and an
/// edit is seen by the very next call, with no pause in between.
#[test]
fn a_large_go_mod_is_read_again_by_the_next_call_after_any_edit() {
    let sb = two_sdks();
    let gomod = |go: &str, toolchain: &str| {
        let mut text = format!("module big\n\ngo {go}\n\nrequire (\n");
        for i in 0..3000 {
            text.push_str(&format!("\tgolang.org/x/dependency{i:05} v1.{i}.0\n"));
        }
        text.push_str(")\n");
        text.push_str(toolchain);
        text
    };
    sb.write("big/go.mod", &gomod("1.22.3", ""));
    let big = sb.dir("big/cmd");
    let version = || version_in(&sb, &big);
    let tmp = sb.gomux_home.join("tmp");
    let recorded = || {
        std::fs::read_dir(&tmp)
            .unwrap()
            .flatten()
            .any(|e| e.file_name().to_string_lossy().starts_with(".modscan-"))
    };
    let start = Instant::now();
    while cfg!(target_os = "linux") && !recorded() {
        assert_eq!(version(), "go1.22.3");
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "no scan recorded"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(version(), "go1.22.3");
    sb.write("big/go.mod", &gomod("1.21.5", ""));
    assert_eq!(version(), "go1.21.5", "the go line, edited just now");
    sb.write("big/go.mod", &gomod("1.21.5", "toolchain go1.22.3\n"));
    assert_eq!(
        version(),
        "go1.22.3",
        "a toolchain line at the end, added just now"
    );
}

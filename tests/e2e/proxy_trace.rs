//! `GOMUX_DEBUG=1`: the proxy's one line on stderr (which toolchain, what selected it, the
//! caches the SDK gets, the binary it runs), nothing without it; and the proxy's one pass over
//! the environment, which must find what it needs among thousands of variables.

use gomux_tests::{Run, Sandbox};

/// The lines the proxy printed that are its own (`gomux: ...`).
fn gomux_lines(stderr: &str) -> Vec<&str> {
    stderr.lines().filter(|l| l.starts_with("gomux:")).collect()
}

#[test]
fn the_trace_names_the_toolchain_its_reason_the_caches_and_the_binary() {
    let mut sb = Sandbox::new();
    sb.link_fake("go1.22.3");
    sb.link_fake("go1.21.5");
    sb.gomux(["default", "1.21.5"]).ok();
    let pin = sb.write("p/.go-version", "1.22.3\n");
    sb.write("p/go.mod", "module example.com/p\n\ngo 1.21\n");
    let sub = sb.dir("p/a/b");

    // Off by default, and with `0`: the SDK's output only.
    let quiet = sb.go(["build"]).current_dir(&sub).ok();
    assert_eq!(quiet.stderr, "", "{quiet}");
    sb.set_env("GOMUX_DEBUG", Some("0"));
    let quiet = sb.go(["build"]).current_dir(&sub).ok();
    assert_eq!(quiet.stderr, "", "{quiet}");

    sb.set_env("GOMUX_DEBUG", Some("1"));
    let out = sb.go(["build"]).current_dir(&sub).ok();
    let lines = gomux_lines(&out.stderr);
    assert_eq!(lines.len(), 1, "one line:\n{out}");
    let line = lines[0];
    assert_eq!(out.val("version"), "go1.22.3");
    assert!(
        line.starts_with(&format!("gomux: go1.22.3 selected by {}:1 ", pin.display())),
        "{line}"
    );
    // The caches the line names are the ones the SDK got.
    for var in ["GOCACHE", "GOMODCACHE"] {
        let got = out.val(var);
        assert!(got.starts_with('/'), "{var}={got}");
        assert!(line.contains(&format!(" {var}={got} ")), "{var}: {line}");
    }
    let exe = sb.gomux_home.join("toolchains/go1.22.3/bin/go");
    assert!(
        line.ends_with(&format!(" exec {}", exe.display())),
        "{line}"
    );

    // A variable as the reason, and a cache inherited from the caller's environment.
    sb.set_env("GOMUX_TOOLCHAIN", Some("1.21.5"));
    sb.set_env("GOMUX_CACHE_MODE", Some("off"));
    sb.set_env("GOMODCACHE", Some("/somewhere/mod"));
    let out = sb.go(["build"]).current_dir(&sub).ok();
    assert_eq!(out.val("version"), "go1.21.5");
    let lines = gomux_lines(&out.stderr);
    assert_eq!(lines.len(), 1, "{out}");
    assert!(
        lines[0].starts_with("gomux: go1.21.5 selected by GOMUX_TOOLCHAIN "),
        "{}",
        lines[0]
    );
    assert!(
        lines[0].contains(" GOMODCACHE=/somewhere/mod "),
        "{}",
        lines[0]
    );
    assert!(
        lines[0].contains(" GOCACHE=(Go's default) "),
        "{}",
        lines[0]
    );
}

#[cfg(unix)]
#[test]
fn the_trace_escapes_what_a_repository_controls() {
    let mut sb = Sandbox::new();
    sb.link_fake("go1.22.3");
    let dir = "evil\u{1b}[31m\u{7}dir";
    sb.write(&format!("{dir}/.go-version"), "1.22.3\n");
    sb.set_env("GOMUX_DEBUG", Some("1"));
    let out = sb.go(["build"]).current_dir(sb.dir(dir)).ok();
    let lines = gomux_lines(&out.stderr);
    assert_eq!(lines.len(), 1, "{out}");
    assert!(
        !lines[0].chars().any(|c| c.is_control()),
        "raw control characters: {:?}",
        lines[0]
    );
    assert!(lines[0].contains("evil"), "{}", lines[0]);
}

#[test]
fn the_trace_of_a_missing_toolchain_names_the_install() {
    let mut sb = Sandbox::new();
    sb.write("p/.go-version", "1.22.9\n");
    sb.set_env("GOMUX_DEBUG", Some("1"));
    // No mirror answers: the install fails, after the proxy said what it runs.
    sb.set_env("GOMUX_DIST_SERVER", Some("http://127.0.0.1:9/none"));
    let out = sb.go(["build"]).current_dir(sb.dir("p")).fails();
    let line = gomux_lines(&out.stderr)
        .into_iter()
        .find(|l| l.contains("not installed: exec"))
        .unwrap_or_else(|| panic!("no trace line:\n{out}"));
    assert!(
        line.starts_with("gomux: go1.22.9 selected by ") && line.ends_with(" install --for-proxy"),
        "{line}"
    );
}

/// The proxy reads the environment once and keeps what it may need: among 5,000 other
/// variables (before and after), each of those still decides as it does alone.
#[test]
fn thousands_of_variables_change_nothing() {
    let mut sb = Sandbox::new();
    sb.link_fake("go1.22.3");
    sb.link_fake("go1.21.5");
    sb.gomux(["default", "1.21.5"]).ok();
    sb.write("p/.go-version", "1.22.3\n");
    let p = sb.dir("p");
    for i in 0..2500 {
        sb.set_env(format!("AAA_FILLER_{i:04}"), Some("x"));
    }
    let mut cmd = sb.go(["build"]);
    for i in 0..2500 {
        cmd.env(format!("ZZZ_FILLER_{i:04}"), "/a/value/of/some/length");
    }
    let out = cmd.current_dir(&p).ok();
    assert_eq!(out.val("version"), "go1.22.3", "{out}");
    assert_eq!(out.val("GOTOOLCHAIN"), "local", "{out}");
    // A variable among them still decides.
    let out = sb
        .go(["build"])
        .env("GOMUX_TOOLCHAIN", "1.21.5")
        .current_dir(&p)
        .ok();
    assert_eq!(out.val("version"), "go1.21.5", "{out}");
    let recursion = out.val("GOMUX_RECURSION_DEPTH");
    assert_eq!(recursion, "1", "{out}");
}

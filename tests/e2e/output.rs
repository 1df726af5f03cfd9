//! The CLI's output conventions: data on stdout and everything else on stderr, `-q`, `-v` and
//! `GOMUX_LOG`, colour (`NO_COLOR`, `CLICOLOR_FORCE`), `--no-progress`, and the exit codes
//! docs/cli.md promises.

use gomux_tests::{Run, Sandbox};

use crate::install::{StaticServer, with_mirror};

/// The status lines of the main commands are on stderr, their data on stdout; `-q` silences
/// the status lines and nothing else.
#[test]
fn status_lines_go_to_stderr_and_data_to_stdout() {
    let (sb, _dir, _mirror) = with_mirror(&["go1.22.3"]);
    let out = sb.gomux(["install", "1.22.3"]).ok();
    assert_eq!(out.stdout, "", "{out}");
    assert!(out.stderr.contains("installed go1.22.3 in `"), "{out}");
    let out = sb.gomux(["default", "1.22.3"]).ok();
    assert_eq!(out.stdout, "", "{out}");
    assert!(out.stderr.contains("default toolchain set to"), "{out}");
    let p = sb.dir("proj");
    let out = sb.gomux(["pin", "1.22.3"]).current_dir(&p).ok();
    assert_eq!(out.stdout, "", "{out}");
    assert!(out.stderr.contains("pinned "), "{out}");
    let sdk = sb.fake_sdk("go1.21.5");
    let out = sb.gomux(["link".as_ref(), sdk.as_os_str()]).ok();
    assert_eq!(out.stdout, "", "{out}");
    assert!(out.stderr.starts_with("linked go1.21.5 -> "), "{out}");

    // Data: stdout only, nothing on stderr.
    for args in [
        &["list"][..],
        &["default"],
        &["which", "go"],
        &["which", "--goroot"],
        &["show"],
        &["show", "--json"],
        &["env"],
        &["list", "--json"],
        &["completions", "bash"],
    ] {
        let out = sb.gomux(args).current_dir(&p).ok();
        assert!(!out.stdout.is_empty(), "{args:?}: {out}");
        assert_eq!(out.stderr, "", "{args:?}: {out}");
    }
    let out = sb.gomux(["which", "go"]).current_dir(&p).ok();
    assert_eq!(out.stdout.lines().count(), 1, "{out}");

    // -q: no status lines, before or after the command's name; data still printed.
    for args in [
        &["-q", "install", "1.22.3"][..],
        &["default", "1.22.3", "--quiet"],
        &["-q", "pin", "1.22.3"],
        &["-q", "link", "--force", "go1.21.5"],
    ] {
        let mut args = args.to_vec();
        let path;
        if args.last() == Some(&"go1.21.5") {
            path = sdk.display().to_string();
            *args.last_mut().unwrap() = &path;
        }
        let out = sb.gomux(&args).current_dir(&p).ok();
        assert_eq!(
            (out.stdout.as_str(), out.stderr.as_str()),
            ("", ""),
            "{args:?}: {out}"
        );
    }
    let out = sb.gomux(["-q", "list"]).ok();
    assert!(out.stdout.contains("go1.22.3"), "{out}");
    // -q never hides an error.
    let out = sb.gomux(["-q", "uninstall", "1.99.1"]).fails();
    assert!(out.stderr.starts_with("error: "), "{out}");
    let out = sb.gomux(["-q", "uninstall", "go1.21.5"]).ok();
    assert_eq!(
        (out.stdout.as_str(), out.stderr.as_str()),
        ("", ""),
        "{out}"
    );
}

/// `-v` shows the settings file read and the release index used; `GOMUX_LOG` chooses the
/// targets; a bad `GOMUX_LOG` is a warning, not a failure; without either there are no log lines.
#[test]
fn verbose_says_which_settings_file_and_index_were_used() {
    let (mut sb, _dir, mirror) = with_mirror(&["go1.22.3"]);
    let out = sb.gomux(["list"]).ok();
    assert!(
        !out.stderr.contains("debug:"),
        "no log lines without -v: {out}"
    );
    let out = sb.gomux(["-v", "list", "--remote"]).ok();
    let settings = sb.gomux_home.join("settings.toml");
    assert!(
        out.stderr
            .contains(&format!("settings from `{}`", settings.display())),
        "{out}"
    );
    assert!(
        out.stderr.contains(&format!(
            "release index read from `{}/?mode=json&include=all`",
            mirror.url()
        )),
        "{out}"
    );
    assert!(out.stdout.contains("1.22.3"), "data stays on stdout: {out}");
    assert!(!out.stdout.contains("debug:"), "{out}");
    // A second call within the index's lifetime says it used the cache.
    let out = sb.gomux(["--verbose", "list", "--remote"]).ok();
    assert!(out.stderr.contains("from the cache `"), "{out}");

    sb.set_env("GOMUX_LOG", Some("gomux_dist=debug"));
    let out = sb.gomux(["list", "--remote"]).ok();
    assert!(out.stderr.contains("debug: gomux_dist"), "{out}");
    assert!(!out.stderr.contains("gomux_cli"), "{out}");
    sb.set_env("GOMUX_LOG", Some("gomux=loud"));
    let out = sb.gomux(["list"]).ok();
    assert!(
        out.stderr
            .starts_with("warning: `GOMUX_LOG` ignored: `loud` is not a level"),
        "{out}"
    );
}

/// A static file server as the mirror: `-v` says the index query was not answered and that
/// `index.json` beside the archives was read instead.
#[test]
fn verbose_names_the_index_json_fallback_of_a_static_server() {
    let (mut sb, dir, _mirror) = with_mirror(&["go1.22.3"]);
    let server = StaticServer::start(dir.root());
    let base = format!("http://127.0.0.1:{}/", server.port);
    sb.set_env("GOMUX_DIST_SERVER", Some(&base));
    let out = sb.gomux(["-v", "install", "1.22.3"]).ok();
    assert!(
        out.stderr.contains(&format!(
            "`{base}?mode=json&include=all` did not answer with an index"
        )),
        "{out}"
    );
    assert!(
        out.stderr
            .contains(&format!("reading `{base}index.json` instead")),
        "{out}"
    );
    assert!(
        out.stderr
            .contains(&format!("release index read from `{base}index.json`")),
        "{out}"
    );
}

/// Colour on stderr: off when piped (the default), on with `CLICOLOR_FORCE=1`, and `NO_COLOR`
/// wins over everything. Data is never coloured.
#[test]
fn colour_follows_no_color_and_clicolor_force() {
    let mut sb = Sandbox::new();
    sb.set_env("NO_COLOR", None);
    let out = sb.gomux(["default", "1.22 beta"]).fails();
    assert!(out.stderr.starts_with("error: "), "piped: plain\n{out}");
    assert!(!out.stderr.contains('\x1b'), "{out}");
    sb.set_env("CLICOLOR_FORCE", Some("1"));
    let out = sb.gomux(["default", "1.22 beta"]).fails();
    assert!(
        out.stderr.starts_with("\x1b["),
        "forced: coloured\n{:?}",
        out.stderr
    );
    assert!(out.stderr.contains("error:\x1b[0m "), "{:?}", out.stderr);
    assert!(out.stderr.contains("hint:\x1b[0m "), "{:?}", out.stderr);
    let out = sb.gomux(["list"]).ok();
    assert!(!out.stdout.contains('\x1b'), "{out}");
    sb.set_env("NO_COLOR", Some("1"));
    let out = sb.gomux(["default", "1.22 beta"]).fails();
    assert!(!out.stderr.contains('\x1b'), "NO_COLOR wins\n{out}");
}

/// `--no-progress` and `GOMUX_NO_PROGRESS=1` are taken by every command; an install with them
/// prints its status lines and no bar (there is none off a terminal either).
#[test]
fn no_progress_is_a_global_flag_and_a_variable() {
    let (mut sb, _dir, _mirror) = with_mirror(&["go1.22.3", "go1.23.0"]);
    let out = sb.gomux(["install", "--no-progress", "1.22.3"]).ok();
    assert!(out.stderr.contains("installed go1.22.3"), "{out}");
    assert!(!out.stderr.contains('\r'), "{out}");
    sb.set_env("GOMUX_NO_PROGRESS", Some("1"));
    let out = sb.gomux(["--no-progress", "install", "1.23.0"]).ok();
    assert!(out.stderr.contains("installed go1.23.0"), "{out}");
}

/// Exit codes: 0 done, 1 an error, 2 a usage error, and `gomux run` passes the command's own.
#[test]
fn exit_codes_are_the_documented_ones() {
    let sb = Sandbox::new();
    assert_eq!(sb.gomux(["list"]).ok().code(), Some(0));
    assert_eq!(sb.gomux(["show"]).fails().code(), Some(1));
    let out = sb.gomux(["frobnicate"]).fails();
    assert_eq!(out.code(), Some(2), "{out}");
    assert_eq!(sb.gomux(["list", "--no-such-flag"]).fails().code(), Some(2));
    sb.link_fake("go1.22.3");
    #[cfg(unix)]
    {
        let out = sb
            .gomux(["run", "1.22.3", "--", "sh", "-c", "exit 7"])
            .fails();
        assert_eq!(out.code(), Some(7), "{out}");
    }
}

/// On a terminal (a pty made by `script`) an install draws a bar; `--no-progress` and
/// `GOMUX_NO_PROGRESS=1` draw none, and the status lines are the same.
#[cfg(target_os = "linux")]
#[test]
fn no_progress_turns_the_bar_off_on_a_terminal() {
    if std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_err()
    {
        panic!("`script` (util-linux) makes the pty for this test; install util-linux");
    }
    let (mut sb, _dir, _mirror) = with_mirror(&["go1.22.3", "go1.23.0", "go1.21.5"]);
    let gomux = gomux_tests::ensure_built().join("gomux");
    let on_a_terminal = |sb: &Sandbox, args: &str| {
        let line = format!("'{}' {args}", gomux.display());
        sb.cmd("script").args(["-qec", &line, "/dev/null"]).ok()
    };
    let out = on_a_terminal(&sb, "install 1.22.3");
    assert!(out.stdout.contains("installed go1.22.3"), "{out}");
    assert!(
        out.stdout.contains("\x1b[2K"),
        "a bar is drawn and cleared: {out:?}",
        out = out.stdout
    );
    let out = on_a_terminal(&sb, "install --no-progress 1.23.0");
    assert!(out.stdout.contains("installed go1.23.0"), "{out}");
    assert!(!out.stdout.contains("\x1b["), "no bar: {:?}", out.stdout);
    sb.set_env("GOMUX_NO_PROGRESS", Some("1"));
    let out = on_a_terminal(&sb, "install 1.21.5");
    assert!(out.stdout.contains("installed go1.21.5"), "{out}");
    assert!(!out.stdout.contains("\x1b["), "no bar: {:?}", out.stdout);
}

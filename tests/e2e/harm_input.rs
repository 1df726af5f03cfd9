//! Text a repository or the environment controls, read by the proxy and quoted by the CLI, and
//! the CLI's stdout (issue 10, items 7, 10, 13, 14): pin files and the go env file are read
//! only when they are small regular files, untrusted text is printed escaped, a closed stdout
//! is a quiet exit, and an unreadable `toolchains/` is reported as such.
//!
//! Every command that could hang on the old code runs with a bounded wait ([`bounded`]): it is
//! killed when the bound passes and the test fails, so a regression never hangs the suite.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use gomux_tests::{Out, Run, Sandbox};

/// Far more than any of these commands needs (milliseconds); only a hang reaches it.
const BOUND: Duration = Duration::from_secs(30);

/// Runs `cmd` with stdout and stderr into files (a command that prints 100 MB must not fill
/// the test's memory or block on a pipe); kills it and fails the test if it is still running
/// after [`BOUND`]. Returns the output, each stream cut at 1 MiB, and the full stdout size.
fn bounded(cmd: &mut Command, what: &str) -> (Out, u64) {
    let dir = tempfile::tempdir().expect("temp dir");
    let (out_path, err_path) = (dir.path().join("stdout"), dir.path().join("stderr"));
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out_path).expect("stdout file"))
        .stderr(std::fs::File::create(&err_path).expect("stderr file"))
        .spawn()
        .unwrap_or_else(|e| panic!("{what}: cannot start: {e}"));
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if start.elapsed() > BOUND {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what}: still running after {BOUND:?} (a hang): killed");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let read = |p: &Path| {
        use std::io::Read as _;
        let mut bytes = Vec::new();
        std::fs::File::open(p)
            .expect("output file")
            .take(1 << 20)
            .read_to_end(&mut bytes)
            .expect("read output");
        bytes
    };
    let size = std::fs::metadata(&out_path).map(|m| m.len()).unwrap_or(0);
    let (stdout, stderr) = (read(&out_path), read(&err_path));
    for (name, bytes) in [("stdout", &stdout), ("stderr", &stderr)] {
        assert!(
            !bytes.contains(&0x1b),
            "{what}: a raw ESC byte in {name}: {:?}",
            String::from_utf8_lossy(bytes)
        );
    }
    let out = Out {
        status,
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    };
    (out, size)
}

/// A sandbox with a linked fake go1.22.3 as the default.
fn sandbox() -> Sandbox {
    let sb = Sandbox::new();
    sb.link_fake("go1.22.3");
    sb.gomux(["default", "1.22.3"]).ok();
    sb
}

fn mkfifo(path: &Path) {
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    let status = Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("run mkfifo");
    assert!(status.success(), "mkfifo {}", path.display());
}

/// A file of `len` bytes that takes no disk space (all zeros).
fn sparse(path: &Path, len: u64) {
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::File::create(path)
        .expect("create")
        .set_len(len)
        .expect("set_len");
}

#[test]
fn escape_sequences_in_pin_files_are_printed_escaped() {
    let sb = sandbox();
    let cases = [
        ("esc-gv", ".go-version", "1.22\x1b[2K\x1b[1Aevil\n"),
        (
            "esc-tv",
            ".tool-versions",
            "nodejs 20\ngolang 1.22\x1b]0;owned\x07\n",
        ),
        ("esc-line", ".go-version", "1.22.3\n\x1b[31mred\n"),
    ];
    for (dir, file, text) in cases {
        sb.write(&format!("{dir}/{file}"), text);
        let cwd = sb.dir(dir);
        let (out, _) = bounded(sb.go(["version"]).current_dir(&cwd), "go version");
        assert!(!out.status.success(), "{out}");
        assert!(out.stderr.starts_with("gomux: "), "{out}");
        assert!(out.stderr.contains(file), "names the file: {out}");
        assert!(out.stderr.contains("\\x1b"), "shown as an escape: {out}");
        let (out, _) = bounded(sb.gomux(["show"]).current_dir(&cwd), "gomux show");
        assert!(!out.status.success(), "{out}");
        assert!(out.stderr.contains("\\x1b"), "{out}");
        assert!(!out.stderr.contains('\x07'), "{out}");
    }
    // A go.mod line is quoted by `show` (the value stays on one line, escaped).
    sb.write("esc-mod/go.mod", "module m\ngo 1.21\x1b[2K\n");
    let cwd = sb.dir("esc-mod");
    let (out, _) = bounded(sb.gomux(["show"]).current_dir(&cwd), "gomux show");
    assert!(out.stdout.contains("go 1.21\\x1b[2K (line 2)"), "{out}");
}

#[test]
fn a_sparse_1gb_go_version_fails_fast_with_a_short_message() {
    let sb = sandbox();
    let pin = sb.work.join("huge/.go-version");
    sparse(&pin, 1 << 30);
    let cwd = sb.dir("huge");
    let (out, _) = bounded(sb.go(["version"]).current_dir(&cwd), "go version");
    assert!(!out.status.success(), "{out}");
    assert!(
        out.stderr
            .contains(&format!("`{}` is larger than 64 KiB", pin.display())),
        "{out}"
    );
    assert!(
        out.stderr.len() < 1000,
        "{} bytes of stderr",
        out.stderr.len()
    );
}

#[test]
fn gomux_show_of_a_100mb_pin_file_prints_little() {
    let sb = sandbox();
    for file in [".go-version", ".tool-versions"] {
        let dir = format!("big{file}");
        sparse(&sb.work.join(&dir).join(file), 100 << 20);
        let cwd = sb.dir(&dir);
        for args in [&["show"][..], &["show", "--json"], &["which"]] {
            let (out, size) = bounded(sb.gomux(args).current_dir(&cwd), "gomux show");
            assert!(!out.status.success(), "{args:?}: {out}");
            assert!(out.stderr.contains("larger than 64 KiB"), "{args:?}: {out}");
            assert!(
                size + (out.stderr.len() as u64) < 2000,
                "{args:?}: {size} bytes of stdout, {} of stderr",
                out.stderr.len()
            );
        }
    }
    // A long line under the bound is cut when it is quoted.
    sb.write("long/.go-version", &format!("1.22{}\n", "x".repeat(60_000)));
    let (out, _) = bounded(sb.gomux(["show"]).current_dir(sb.dir("long")), "gomux show");
    assert!(out.stderr.contains('…') && out.stderr.len() < 1000, "{out}");
}

#[test]
fn a_fifo_pin_file_is_an_error_not_a_hang() {
    let sb = sandbox();
    let fifo = sb.work.join("fifo/.go-version");
    mkfifo(&fifo);
    let (out, _) = bounded(
        sb.go(["version"]).current_dir(sb.dir("fifo")),
        "go version (FIFO .go-version)",
    );
    assert!(!out.status.success(), "{out}");
    assert!(
        out.stderr
            .contains(&format!("`{}` is not a regular file", fifo.display())),
        "{out}"
    );
    let (out, _) = bounded(
        sb.gomux(["show"]).current_dir(sb.dir("fifo")),
        "gomux show (FIFO .go-version)",
    );
    assert!(out.stderr.contains("is not a regular file"), "{out}");
}

#[test]
fn a_fifo_or_huge_go_env_file_never_hangs_go() {
    let mut sb = sandbox();
    // Go's env file as a FIFO: ignored (Go ignores an env file it cannot read), the call runs.
    let config = sb.root.join("config");
    mkfifo(&config.join("go/env"));
    sb.set_env(
        "XDG_CONFIG_HOME",
        Some(config.to_str().expect("utf-8 path")),
    );
    let plain = sb.dir("plain");
    let (out, _) = bounded(
        sb.go(["build"]).current_dir(&plain),
        "go build (FIFO go env file)",
    );
    assert!(out.status.success(), "{out}");
    assert_eq!(out.val("version"), "go1.22.3", "{out}");
    let (out, _) = bounded(
        sb.gomux(["show"]).current_dir(&plain),
        "gomux show (FIFO go env file)",
    );
    assert!(out.status.success(), "{out}");
    // A huge (sparse) env file is ignored as well, without reading it.
    std::fs::remove_file(config.join("go/env")).expect("rm fifo");
    sparse(&config.join("go/env"), 1 << 30);
    let (out, _) = bounded(
        sb.go(["build"]).current_dir(&plain),
        "go build (1 GB go env file)",
    );
    assert_eq!(out.val("version"), "go1.22.3", "{out}");
}

#[test]
fn untrusted_values_from_the_environment_are_escaped() {
    let mut sb = sandbox();
    sb.set_env("GOTOOLCHAIN", Some("go1.22\x1b[2K+auto"));
    let cwd = sb.dir("env");
    let (out, _) = bounded(sb.go(["version"]).current_dir(&cwd), "go version");
    assert!(!out.status.success(), "{out}");
    assert!(out.stderr.contains("invalid GOTOOLCHAIN"), "{out}");
    sb.set_env("GOTOOLCHAIN", None)
        .set_env("GOMUX_TOOLCHAIN", Some("1.22\x1b[2K"));
    let (out, _) = bounded(sb.go(["version"]).current_dir(&cwd), "go version");
    assert!(out.stderr.contains("GOMUX_TOOLCHAIN"), "{out}");
    let (out, _) = bounded(sb.gomux(["which"]).current_dir(&cwd), "gomux which");
    assert!(out.stderr.contains("\\x1b"), "{out}");
    // A GOTOOLCHAIN the SDK gets as it is is shown escaped by `show`.
    sb.set_env("GOMUX_TOOLCHAIN", None)
        .set_env("GOTOOLCHAIN", Some("path\x1b[2K"));
    let (out, _) = bounded(sb.gomux(["show"]).current_dir(&cwd), "gomux show");
    assert!(!out.status.success(), "{out}");
}

#[test]
fn link_escapes_what_the_sdk_and_its_path_hold() {
    let sb = sandbox();
    let odd = sb.root.join("sdks").join("odd\x1b[2Kdir");
    gomux_tests::make_fake_sdk(&odd, "go1.21.5");
    std::fs::write(odd.join("VERSION"), "go1.21.5\x1b]0;t\x07\n").expect("VERSION");
    let (out, _) = bounded(
        &mut sb.gomux(["link".as_ref(), odd.as_os_str()]),
        "gomux link",
    );
    assert!(!out.status.success(), "{out}");
    assert!(
        out.stderr.contains("`go1.21.5\\x1b]0;t\\x07` cannot be"),
        "{out}"
    );
    let (out, _) = bounded(
        &mut sb.gomux(["link".as_ref(), "go1.21.5-corp".as_ref(), odd.as_os_str()]),
        "gomux link NAME",
    );
    assert!(out.status.success(), "{out}");
    assert!(out.stderr.contains("odd\\x1b[2Kdir"), "{out}");
    // Into a pipe `which --goroot` prints the exact path: it is data for `$(...)`.
    sb.write("p/.go-version", "go1.21.5-corp\n");
    let out = sb
        .gomux(["which", "--goroot"])
        .current_dir(sb.dir("p"))
        .ok();
    assert_eq!(out.stdout.trim_end(), odd.display().to_string());
}

/// `gomux ARGS` with stdout a pipe whose reader is already closed.
fn into_closed_pipe(sb: &Sandbox, args: &[&str], cwd: &Path) -> std::process::ExitStatus {
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    let err_file = tempfile::NamedTempFile::new().expect("stderr file");
    let mut child = sb
        .gomux(args)
        .current_dir(cwd)
        .stdin(Stdio::null())
        .stdout(writer)
        .stderr(err_file.reopen().expect("reopen"))
        .spawn()
        .expect("spawn gomux");
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        if start.elapsed() > BOUND {
            let _ = child.kill();
            let _ = child.wait();
            panic!("gomux {args:?} into a closed pipe: still running after {BOUND:?}: killed");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let stderr = std::fs::read_to_string(err_file.path()).unwrap_or_default();
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt as _;
        assert_eq!(status.signal(), None, "gomux {args:?} was killed: {stderr}");
    }
    for bad in ["Broken pipe", "panicked", "failed printing"] {
        assert!(!stderr.contains(bad), "gomux {args:?}: {stderr}");
    }
    status
}

#[test]
fn output_into_a_closed_pipe_exits_quietly() {
    let sb = sandbox();
    let cwd = sb.dir("proj");
    sb.write("proj/go.mod", "module p\ngo 1.22.3\n");
    for args in [
        &["show"][..],
        &["show", "--json"],
        &["env"],
        &["doctor"],
        &["completions", "bash"],
        &["cache", "list", "--json"],
        &["cache", "list"],
        &["list"],
        &["list", "--json"],
        &["which"],
        &["--help"],
    ] {
        let status = into_closed_pipe(&sb, args, &cwd);
        assert_eq!(status.code(), Some(0), "gomux {args:?}");
    }
}

/// As `nobody`, a `toolchains/` gomux may not read is reported as such, by the proxy and by the
/// CLI, never as a toolchain that is not installed (and no install starts).
#[cfg(unix)]
#[test]
fn an_unreadable_toolchains_folder_is_not_a_missing_toolchain() {
    use std::os::unix::fs::PermissionsExt as _;
    if !gomux_tests::is_root() {
        eprintln!(
            "skipped: the permission case needs root to run gomux as `nobody` (root itself reads any folder)"
        );
        return;
    }
    let mut sb = sandbox();
    // `nobody` may not create project caches in the root-owned home; they are not the point.
    sb.set_env("GOMUX_CACHE_MODE", Some("off"));
    sb.write("p/.go-version", "1.22.3\n");
    sb.write("f/.go-version", "1.22\n");
    sb.open_to_others();
    let toolchains = sb.gomux_home.join("toolchains");
    let run = |cmd: &mut Command, cwd: &str, what: &str| {
        bounded(
            &mut gomux_tests::as_nobody(cmd.current_dir(sb.work.join(cwd))),
            what,
        )
        .0
    };
    // Readable: nobody runs the SDK (the helper itself works).
    let out = run(&mut sb.go(["build"]), "p", "go build as nobody");
    assert_eq!(out.get("version"), Some("go1.22.3"), "{out}");

    std::fs::set_permissions(&toolchains, std::fs::Permissions::from_mode(0o700))
        .expect("chmod toolchains");
    let want = format!("cannot read `{}`", toolchains.display());
    for (cmd, cwd, what) in [
        (sb.go(["version"]), "p", "go version (exact pin)"),
        (sb.go(["version"]), "f", "go version (family default)"),
        (sb.gomux(["show"]), "p", "gomux show"),
        (sb.gomux(["which"]), "f", "gomux which"),
        (sb.gomux(["list"]), "p", "gomux list"),
    ] {
        let mut cmd = cmd;
        let out = run(&mut cmd, cwd, what);
        assert!(!out.status.success(), "{what}: {out}");
        assert!(out.stderr.contains(&want), "{what}: {out}");
        assert!(
            out.stderr.contains("check that you may read and enter"),
            "{what}: {out}"
        );
        assert!(!out.stderr.contains("not installed"), "{what}: {out}");
    }
    // Searchable but not listable: an exact pin still runs; a family cannot be resolved.
    std::fs::set_permissions(&toolchains, std::fs::Permissions::from_mode(0o711))
        .expect("chmod toolchains");
    let out = run(&mut sb.go(["build"]), "p", "go build (exact, --x)");
    assert_eq!(out.get("version"), Some("go1.22.3"), "{out}");
    let out = run(&mut sb.go(["build"]), "f", "go build (family, --x)");
    assert!(out.stderr.contains(&want), "{out}");
}

//! Issue 10, downloads and installs: what an archive or a mirror controls stays bounded and
//! escaped, a password in a mirror URL is sent but never printed or stored, messages say what
//! actually failed, and an installed toolchain has the modes of an official one whatever the
//! umask or the archive says.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use gomux_tests::mirror::{
    Entry, Fault, INDEX_PATH, Mirror, MirrorDir, dead_url, fake_sdk_entries, fake_sdk_tar_gz,
    host_archive_name, long_name_bomb_tar_gz, script_go, tar_gz,
};
use gomux_tests::{Out, Run, Sandbox, ensure_built, exe};

fn fake_go() -> Vec<u8> {
    std::fs::read(ensure_built().join(exe("gomux-fake-go"))).expect("the fake go binary")
}

fn archive(name: &str) -> String {
    format!("/{}", host_archive_name(name))
}

/// A project folder whose go.mod asks for `toolchain` (so the proxy auto-installs it).
fn project(sb: &Sandbox, toolchain: &str) -> PathBuf {
    let v = toolchain.trim_start_matches("go");
    sb.write("proj/go.mod", &format!("module p\n\ngo {v}\n"));
    sb.dir("proj")
}

/// Every file under `root` (folders walked, links not followed).
fn all_files(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(rd) = std::fs::read_dir(root) else {
        return out;
    };
    for e in rd.flatten() {
        let Ok(t) = e.file_type() else { continue };
        if t.is_dir() {
            out.extend(all_files(&e.path()));
        } else if t.is_file() {
            out.push(e.path());
        }
    }
    out
}

fn assert_no_toolchain(sb: &Sandbox, name: &str) {
    let dir = sb.gomux_home.join("toolchains").join(name);
    assert!(
        std::fs::symlink_metadata(&dir).is_err(),
        "`{}`",
        dir.display()
    );
}

// ---- item 6: extension records bounded before they are read ----

/// Runs `cmd` under `/usr/bin/time -v` and returns its output and its maximum resident set
/// size in kB (`None` when `/usr/bin/time` is missing; the run is then plain).
fn run_measured(mut cmd: Command) -> (Out, Option<u64>) {
    let time = Path::new("/usr/bin/time");
    if !time.exists() {
        eprintln!("skipped the memory measurement: /usr/bin/time is not installed");
        return (cmd.run(), None);
    }
    let mut timed = Command::new(time);
    timed.arg("-v").arg(cmd.get_program()).args(cmd.get_args());
    timed.env_clear();
    for (k, v) in cmd.get_envs() {
        if let Some(v) = v {
            timed.env(k, v);
        }
    }
    if let Some(dir) = cmd.get_current_dir() {
        timed.current_dir(dir);
    }
    let out = timed.run();
    let rss = out
        .stderr
        .lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("Maximum resident set size (kbytes): ")
        })
        .and_then(|v| v.trim().parse().ok());
    (out, rss)
}

/// The part of stderr that is gomux's, without `/usr/bin/time`'s report.
fn gomux_stderr(out: &Out) -> &str {
    match out.stderr.find("\tCommand being timed:") {
        Some(i) => &out.stderr[..i],
        None => &out.stderr,
    }
}

/// A GNU long-name record of 256 MB of real name (a few hundred kB of gzip).
const BOMB_NAME: u64 = 256 << 20;

/// At most the first 2000 characters of `s`, for a failure message (before the fix, gomux
/// printed the whole 256 MB name).
fn head(s: &str) -> String {
    s.chars().take(2000).collect()
}

fn check_bomb_refused(out: &Out, rss: Option<u64>) {
    let stderr = gomux_stderr(out);
    assert!(!out.status.success(), "{}", head(stderr));
    assert!(
        stderr.contains("GNU long-name record of"),
        "{}",
        head(stderr)
    );
    assert!(
        stderr.contains("more than the 65536 gomux reads"),
        "{}",
        head(stderr)
    );
    assert!(
        stderr.len() < 4096,
        "a short message, not the name: {} bytes",
        stderr.len()
    );
    if let Some(kb) = rss {
        eprintln!("maximum resident set size: {kb} kB");
        assert!(kb < 200 * 1024, "gomux used {kb} kB of memory");
    }
}

#[test]
fn harm_dist_a_huge_long_name_record_is_refused_with_bounded_memory() {
    let sb = Sandbox::new();
    let bytes = long_name_bomb_tar_gz("go1.22.3", BOMB_NAME);
    assert!(bytes.len() < 4 << 20, "{} bytes", bytes.len());
    let file = sb.root.join(host_archive_name("go1.22.3"));
    std::fs::write(&file, &bytes).unwrap();
    let mut cmd = sb.gomux(["install", "--allow-unverified", "--archive"]);
    cmd.arg(&file);
    let (out, rss) = run_measured(cmd);
    check_bomb_refused(&out, rss);
    assert_no_toolchain(&sb, "go1.22.3");

    // A declared size of several GB with little behind it is refused from its header.
    let mut entries = fake_sdk_entries("go1.22.3", &script_go("go1.22.3"));
    entries.push(Entry::Raw {
        kind: b'x',
        name: "PaxHeaders/big".into(),
        size: 6 << 30,
        data: vec![b'7'; 1 << 20],
    });
    entries.push(Entry::file("go/x", "x"));
    std::fs::write(&file, tar_gz(&entries)).unwrap();
    let out = sb
        .gomux(["install", "--allow-unverified", "--archive"])
        .arg(&file)
        .fails();
    assert!(
        out.stderr.contains("is a PAX header of 6442450944 bytes"),
        "{out}"
    );
}

#[test]
fn harm_dist_the_proxy_refuses_a_long_name_bomb_from_a_mirror() {
    let mut sb = Sandbox::new();
    let mut dir = MirrorDir::new(sb.root.join("mirror"));
    dir.add("go1.22.3", &long_name_bomb_tar_gz("go1.22.3", BOMB_NAME));
    dir.write_index();
    let mirror = Mirror::serve(dir.root());
    sb.set_env("GOMUX_DIST_SERVER", Some(&mirror.url()));
    let proj = project(&sb, "go1.22.3");
    let mut cmd = sb.go(["version"]);
    cmd.current_dir(&proj);
    let (out, rss) = run_measured(cmd);
    check_bomb_refused(&out, rss);
    assert_eq!(mirror.requests(&archive("go1.22.3")), 1, "not retried");
    assert_no_toolchain(&sb, "go1.22.3");
}

// ---- item 7: archive entry names escaped ----

#[test]
fn harm_dist_archive_entry_names_reach_the_terminal_escaped() {
    let sb = Sandbox::new();
    let mut entries = fake_sdk_entries("go1.22.3", &script_go("go1.22.3"));
    entries.insert(2, Entry::file("go/\x1b[2K\x1b[1Aok\x07", "x"));
    let file = sb.root.join(host_archive_name("go1.22.3"));
    std::fs::write(&file, tar_gz(&entries)).unwrap();
    let out = sb
        .gomux(["install", "--allow-unverified", "--archive"])
        .arg(&file)
        .fails();
    assert!(out.stderr.contains("go/\\x1b[2K\\x1b[1Aok\\x07"), "{out}");
    assert!(
        !out.stderr.contains('\x1b') && !out.stderr.contains('\x07'),
        "raw control characters: {:?}",
        out.stderr
    );
    // The same through a long-name record (no 100-byte header limit on the name).
    let mut entries = fake_sdk_entries("go1.22.3", &script_go("go1.22.3"));
    entries.insert(2, Entry::long_name(b"go/\x1b]0;owned\x07\r\n"));
    entries.insert(3, Entry::file("go/x", "x"));
    std::fs::write(&file, tar_gz(&entries)).unwrap();
    let out = sb
        .gomux(["install", "--allow-unverified", "--archive"])
        .arg(&file)
        .fails();
    assert!(out.stderr.contains("\\x1b]0;owned\\x07\\r\\n"), "{out}");
    assert!(!out.stderr.contains('\x1b'), "{:?}", out.stderr);
}

// ---- item 8: credentials in a mirror URL ----

fn assert_no_secret(what: &str, out: &Out) {
    assert!(
        !out.stdout.contains("s3cret") && !out.stderr.contains("s3cret"),
        "{what} printed the password:\n{out}"
    );
}

/// A loopback mirror in the sandbox serving fake go1.22.3 and go1.22.4.
fn two_release_mirror(sb: &Sandbox) -> Mirror {
    let mut dir = MirrorDir::new(sb.root.join("mirror"));
    let go = fake_go();
    dir.add("go1.22.3", &fake_sdk_tar_gz("go1.22.3", &go));
    dir.add("go1.22.4", &fake_sdk_tar_gz("go1.22.4", &go));
    dir.write_index();
    Mirror::serve(dir.root())
}

#[test]
fn harm_dist_a_mirror_password_is_sent_but_never_printed_or_stored() {
    let mut sb = Sandbox::new();
    let mirror = two_release_mirror(&sb);
    let server = mirror.url_with_user("alice", "s3cret");
    sb.set_env("GOMUX_DIST_SERVER", Some(&server));
    sb.set_env("GOMUX_HTTP_TIMEOUT", Some("2"));

    // The index fails: `list --remote` and `install` name the mirror without the password.
    mirror.set_fault(INDEX_PATH, Fault::ServerError { times: 100 });
    let out = sb.gomux(["list", "--remote"]).fails();
    assert_no_secret("list --remote", &out);
    assert!(out.stderr.contains("http://***@127.0.0.1"), "{out}");
    assert_eq!(out.stderr.matches("trying again").count(), 2, "{out}");
    let out = sb.gomux(["install", "1.22"]).fails();
    assert_no_secret("install", &out);
    mirror.clear_faults();
    let out = sb.gomux(["list", "--remote"]).ok();
    assert_no_secret("list --remote", &out);

    // A failing download (three tries), through `install` and through the proxy.
    let file = archive("go1.22.3");
    mirror.set_fault(&file, Fault::ServerError { times: 100 });
    let out = sb.gomux(["install", "1.22.3"]).fails();
    assert_no_secret("install", &out);
    assert!(out.stderr.contains("***@127.0.0.1"), "{out}");
    let proj = project(&sb, "go1.22.3");
    let out = sb.go(["version"]).current_dir(&proj).fails();
    assert_no_secret("the proxy's auto-install", &out);
    assert!(out.stderr.contains("gomux: "), "{out}");
    // A redirect whose target is down.
    mirror.set_fault(
        &file,
        Fault::Redirect {
            to: format!("{}/x.tar.gz", dead_url()),
        },
    );
    let out = sb.gomux(["install", "1.22.3"]).fails();
    assert_no_secret("install after a redirect", &out);

    // A retried download that succeeds; the credentials were sent as basic auth.
    mirror.set_fault(&file, Fault::ServerError { times: 2 });
    let out = sb.go(["version"]).current_dir(&proj).ok();
    assert_no_secret("the proxy's auto-install", &out);
    assert_eq!(out.stderr.matches("trying again").count(), 2, "{out}");
    assert_eq!(
        mirror.authorization(&file).as_deref(),
        Some("Basic YWxpY2U6czNjcmV0"),
        "alice:s3cret"
    );
    let out = sb.gomux(["install", "1.22.4"]).ok();
    assert_no_secret("install", &out);

    for args in [
        vec!["doctor"],
        vec!["show"],
        vec!["env"],
        vec!["list"],
        vec!["list", "--remote", "--json"],
    ] {
        let out = sb.gomux(&args).current_dir(&proj).run();
        assert_no_secret(&args.join(" "), &out);
    }
    // A refused source shows the value without its password.
    let out = sb
        .gomux(["install", "1.22.5"])
        .env("GOMUX_DIST_SERVER", "ftp://alice:s3cret@mirror.example/go")
        .fails();
    assert_no_secret("a refused source", &out);
    assert!(out.stderr.contains("ftp://***@mirror.example/go"), "{out}");

    // Nothing under GOMUX_HOME holds it (the release index cache included).
    assert!(sb.gomux_home.join("downloads/index.json").is_file());
    for f in all_files(&sb.gomux_home) {
        let bytes = std::fs::read(&f).unwrap_or_default();
        assert!(
            !bytes.windows(6).any(|w| w == b"s3cret"),
            "`{}` stores the password",
            f.display()
        );
    }
}

// ---- item 13: messages say what actually failed ----

/// A sandbox whose mirror has go1.22.3, and go1.22.4 listed with a malformed sha256.
fn messages_sandbox() -> (Sandbox, MirrorDir, Mirror) {
    let mut sb = Sandbox::new();
    let mut dir = MirrorDir::new(sb.root.join("mirror"));
    let go = fake_go();
    dir.add("go1.22.3", &fake_sdk_tar_gz("go1.22.3", &go));
    let bad = fake_sdk_tar_gz("go1.22.4", &go);
    dir.add_file(
        "go1.22.4",
        &host_archive_name("go1.22.4"),
        &bad,
        "12ab\x1b[2Kxyz",
    );
    dir.write_index();
    let mirror = Mirror::serve(dir.root());
    sb.set_env("GOMUX_DIST_SERVER", Some(&mirror.url()));
    sb.set_env("GOMUX_HTTP_TIMEOUT", Some("2"));
    (sb, dir, mirror)
}

#[test]
fn harm_dist_a_failing_redirect_target_is_named_not_the_mirror() {
    let (sb, _dir, mirror) = messages_sandbox();
    let file = archive("go1.22.3");
    let down = dead_url();
    let target = format!("{down}/cdn{file}");
    mirror.set_fault(&file, Fault::Redirect { to: target.clone() });
    let out = sb.gomux(["install", "1.22.3"]).fails();
    assert!(
        out.stderr.contains(&format!("redirected to `{target}`")),
        "{out}"
    );
    let mirror_host = mirror.url().trim_start_matches("http://").to_string();
    assert!(
        !out.stderr
            .contains(&format!("cannot reach `{mirror_host}`")),
        "the mirror answered: {out}"
    );
    assert!(
        out.stderr
            .contains(&format!("`{}` cannot be reached", &down[7..])),
        "{out}"
    );
}

#[test]
fn harm_dist_a_malformed_index_sha256_is_a_malformed_entry() {
    let (sb, _dir, mirror) = messages_sandbox();
    let bad_name = host_archive_name("go1.22.4");
    let out = sb.gomux(["install", "1.22.4"]).fails();
    assert!(out.stderr.contains("malformed entry"), "{out}");
    assert!(out.stderr.contains(&bad_name), "{out}");
    assert!(out.stderr.contains("12ab\\x1b[2Kxyz"), "{out}");
    assert!(!out.stderr.contains("does not list it"), "{out}");
    assert!(!out.stderr.contains('\x1b'), "{:?}", out.stderr);
    assert_eq!(mirror.requests(&archive("go1.22.4")), 0);
}

#[test]
fn harm_dist_a_lock_waiter_names_what_the_holder_does() {
    let (sb, _dir, _mirror) = messages_sandbox();
    sb.gomux(["install", "1.22.3"]).ok();
    sb.gomux(["uninstall", "1.22.3"]).ok();
    let lock = sb.gomux_home.join("tmp/go1.22.3.lock");
    // This test process stands in for the uninstall that still holds it (the note the
    // uninstall wrote stays in the lock file).
    let held = File::options().read(true).write(true).open(&lock).unwrap();
    held.lock().unwrap();
    let out = sb
        .gomux(["install", "1.22.3"])
        .env("GOMUX_LOCK_TIMEOUT", "0.5")
        .fails();
    assert!(
        out.stderr.contains("that is uninstalling go1.22.3"),
        "{out}"
    );
    assert!(!out.stderr.contains("that is installing"), "{out}");
    assert!(out.stderr.contains(&lock.display().to_string()), "{out}");
    assert!(out.stderr.contains("GOMUX_LOCK_TIMEOUT"), "{out}");
    assert!(out.stderr.contains("now 0.5s"), "{out}");
    assert!(out.stderr.contains("gave up after 0.5s"), "{out}");
    held.unlock().unwrap();
    drop(held);
    let note = std::fs::read_to_string(&lock).unwrap();
    assert!(note.starts_with("uninstall pid="), "{note:?}");
}

#[test]
fn harm_dist_a_huge_lock_timeout_means_wait_long() {
    let (sb, _dir, _mirror) = messages_sandbox();
    let lock = sb.gomux_home.join("tmp/go1.22.3.lock");
    let out = sb
        .gomux(["install", "1.22.3"])
        .env("GOMUX_LOCK_TIMEOUT", "18446744073709551615")
        .env("GOMUX_HTTP_TIMEOUT", "18446744073709551615")
        .ok();
    assert!(out.stderr.contains("installed go1.22.3"), "{out}");
    let note = std::fs::read_to_string(&lock).unwrap();
    assert!(note.starts_with("install pid="), "{note:?}");
    for bad in ["soon", "-5", "0"] {
        let out = sb
            .gomux(["install", "1.22.4"])
            .env("GOMUX_LOCK_TIMEOUT", bad)
            .fails();
        assert!(out.stderr.contains("`GOMUX_LOCK_TIMEOUT`"), "{bad}: {out}");
        assert!(out.stderr.contains("such as `600`"), "{bad}: {out}");
    }
}

// ---- item 14: modes ----

fn world_writable(root: &Path) -> Vec<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let mut out = Vec::new();
    let mut todo = vec![root.to_path_buf()];
    while let Some(p) = todo.pop() {
        let Ok(m) = std::fs::symlink_metadata(&p) else {
            continue;
        };
        if m.permissions().mode() & 0o002 != 0 && !m.file_type().is_symlink() {
            out.push(p.clone());
        }
        if m.is_dir()
            && let Ok(rd) = std::fs::read_dir(&p)
        {
            todo.extend(rd.flatten().map(|e| e.path()));
        }
    }
    out
}

/// `cmd` run by `sh` with `umask 000` first.
fn with_umask_000(cmd: &Command) -> Command {
    let mut sh = Command::new("/bin/sh");
    sh.arg("-c")
        .arg("umask 000; exec \"$@\"")
        .arg("sh")
        .arg(cmd.get_program())
        .args(cmd.get_args());
    sh.env_clear();
    for (k, v) in cmd.get_envs() {
        if let Some(v) = v {
            sh.env(k, v);
        }
    }
    if let Some(dir) = cmd.get_current_dir() {
        sh.current_dir(dir);
    }
    sh.stdin(Stdio::null());
    sh
}

#[test]
fn harm_dist_installs_are_not_world_writable_under_umask_000() {
    let mut sb = Sandbox::new();
    let mirror = two_release_mirror(&sb);
    sb.set_env("GOMUX_DIST_SERVER", Some(&mirror.url()));
    with_umask_000(&sb.gomux(["install", "1.22.3"])).ok();
    let proj = project(&sb, "go1.22.4");
    let mut go_cmd = sb.go(["version"]);
    go_cmd.current_dir(&proj);
    let out = with_umask_000(&go_cmd).ok();
    assert!(out.stdout.starts_with("go version go1.22.4"), "{out}");
    let toolchains = sb.gomux_home.join("toolchains");
    assert!(toolchains.join("go1.22.3/bin/go").is_file());
    let open = world_writable(&toolchains);
    assert!(open.is_empty(), "world-writable: {open:?}");
    for dir in ["tmp", "downloads"] {
        let open = world_writable(&sb.gomux_home.join(dir));
        assert!(open.is_empty(), "world-writable: {open:?}");
    }
    assert!(sb.gomux_home.join("downloads/index.json").is_file());
}

#[test]
fn harm_dist_an_archive_whose_go_is_not_executable_still_gives_a_working_toolchain() {
    let mut sb = Sandbox::new();
    let mut dir = MirrorDir::new(sb.root.join("mirror"));
    let go = fake_go();
    // Repacked without mode bits: every file 0644.
    let entries: Vec<Entry> = fake_sdk_entries("go1.22.3", &go)
        .into_iter()
        .map(|e| match e {
            Entry::File { path, data, .. } => Entry::File {
                path,
                data,
                mode: 0o644,
            },
            other => other,
        })
        .collect();
    let bytes = tar_gz(&entries);
    dir.add("go1.22.3", &bytes);
    dir.write_index();
    let mirror = Mirror::serve(dir.root());
    sb.set_env("GOMUX_DIST_SERVER", Some(&mirror.url()));
    let proj = project(&sb, "go1.22.3");
    let out = sb.go(["version"]).current_dir(&proj).ok();
    assert!(out.stdout.starts_with("go version go1.22.3"), "{out}");
    let out = sb.go(["build"]).current_dir(&proj).ok();
    assert!(out.stdout.contains("version=go1.22.3"), "{out}");
}

//! The user's files and what the user evals (issue 10): profiles, pin files and settings
//! survive races, kills and full disks; `gomux env` is safe to eval whatever the paths hold;
//! settings gomux does not know never break a `go` call.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use gomux_tests::{Out, Run, Sandbox, Tmpfs, exe, is_root};

const START: &str = "# >>> gomux >>>";
const END: &str = "# <<< gomux <<<";

/// A profile with 200 lines of the user's own.
fn users_profile() -> String {
    (0..200)
        .map(|i| format!("export USER_LINE_{i}='kept {i}' # the user's own line\n"))
        .collect()
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// The names in `dir` that a write of gomux left behind.
fn temp_files(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".gomux-tmp-") || n.contains(".tmp"))
        .collect()
}

/// Waits for `child` at most `limit` (a guard against a hang, never a timing assertion):
/// on time-out the child is killed and the test fails.
fn wait_bounded(mut child: Child, limit: Duration, what: &str) -> Out {
    let start = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what} did not finish within {limit:?}: it hangs");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let o = child.wait_with_output().unwrap();
    Out {
        status: o.status,
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

fn spawn(mut cmd: Command) -> Child {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

#[cfg(unix)]
fn killed(status: &ExitStatus) -> bool {
    use std::os::unix::process::ExitStatusExt as _;
    status.signal().is_some()
}

#[cfg(unix)]
/// Checks that a profile holds the user's text whole, with zero or one gomux block after it.
fn assert_whole(text: &str, original: &str, context: &str) {
    assert!(
        text.starts_with(original),
        "{context}: the user's lines are damaged:\n{text}"
    );
    let rest = &text[original.len()..];
    assert!(
        rest.is_empty()
            || (rest.starts_with(&format!("\n{START}\n"))
                && rest.ends_with(&format!("{END}\n"))
                && rest.matches(START).count() == 1),
        "{context}: not the user's lines and at most one block:\n{text}"
    );
}

#[cfg(unix)]
#[test]
fn concurrent_setups_never_lose_the_users_profile_lines() {
    let sb = Sandbox::bare();
    let rc = sb.home.join(".bashrc");
    let original = users_profile();
    std::fs::write(&rc, &original).unwrap();
    sb.gomux(["setup", "--no-modify-path"]).ok();
    for round in 0..15 {
        let mut children = Vec::new();
        for i in 0..5 {
            // Four setups and one uninstall, all started together.
            let args: &[&str] = if i == 2 {
                &["setup", "--uninstall"]
            } else {
                &["setup", "--modify-path"]
            };
            children.push(spawn(sb.gomux(args)));
        }
        for c in children {
            let out = wait_bounded(c, Duration::from_secs(120), "a concurrent setup");
            assert!(
                !killed(&out.status) && !out.stderr.contains("panicked"),
                "round {round}: {out}"
            );
        }
        assert_whole(&read(&rc), &original, &format!("round {round}"));
        assert_eq!(temp_files(&sb.home), Vec::<String>::new(), "round {round}");
    }
    // Once they are done, one more setup and uninstall each do their whole job.
    sb.gomux(["setup", "--modify-path"]).ok();
    assert_eq!(read(&rc).matches(START).count(), 1);
    sb.gomux(["setup", "--uninstall"]).ok();
    assert_eq!(read(&rc), original);
}

/// A set-up sandbox whose `.bashrc` holds only the user's lines, with every folder of gomux's
/// made, so the profile write is the first file a later setup writes.
fn set_up_without_block() -> (Sandbox, PathBuf, String) {
    let sb = Sandbox::bare();
    let rc = sb.home.join(".bashrc");
    let original = users_profile();
    std::fs::write(&rc, &original).unwrap();
    sb.gomux(["setup", "--modify-path"]).ok();
    sb.gomux(["setup", "--uninstall"]).ok();
    sb.gomux(["setup", "--no-modify-path"]).ok();
    assert_eq!(read(&rc), original);
    (sb, rc, original)
}

#[cfg(unix)]
#[test]
fn a_kill_while_setup_writes_a_profile_leaves_it_whole() {
    for point in ["atomic-write:after-write", "atomic-write:before-rename"] {
        let (sb, rc, original) = set_up_without_block();
        let out = sb
            .gomux(["setup", "--modify-path"])
            .env("GOMUX_TEST_CRASH_AT", point)
            .run();
        assert!(
            killed(&out.status),
            "{point}: setup was not stopped:\n{out}"
        );
        assert_eq!(read(&rc), original, "{point}: the profile changed");
        // The next setup finishes the job and sweeps the temporary file of the killed one.
        sb.gomux(["setup", "--modify-path"]).ok();
        assert_whole(&read(&rc), &original, point);
        assert_eq!(read(&rc).matches(START).count(), 1);
        assert_eq!(temp_files(&sb.home), Vec::<String>::new(), "{point}");

        let with_block = read(&rc);
        let out = sb
            .gomux(["setup", "--uninstall"])
            .env("GOMUX_TEST_CRASH_AT", point)
            .run();
        assert!(
            killed(&out.status),
            "{point}: uninstall was not stopped:\n{out}"
        );
        assert_eq!(
            read(&rc),
            with_block,
            "{point}: uninstall's kill changed it"
        );
        sb.gomux(["setup", "--uninstall"]).ok();
        assert_eq!(read(&rc), original, "{point}");
        assert_eq!(temp_files(&sb.home), Vec::<String>::new(), "{point}");
    }
}

#[cfg(unix)]
#[test]
fn a_kill_while_pinning_leaves_the_old_pin() {
    let sb = Sandbox::new();
    sb.link_fake("go1.21.5");
    sb.link_fake("go1.22.3");
    let app = sb.dir("app");
    let pin = app.join(".go-version");
    std::fs::write(&pin, "1.21.5\n").unwrap();
    for point in ["atomic-write:after-write", "atomic-write:before-rename"] {
        let out = sb
            .gomux(["pin", "1.22.3"])
            .current_dir(&app)
            .env("GOMUX_TEST_CRASH_AT", point)
            .run();
        assert!(killed(&out.status), "{point}: pin was not stopped:\n{out}");
        assert_eq!(read(&pin), "1.21.5\n", "{point}");
        // Every `go` call still reads the old pin.
        let go = sb.go(["build"]).current_dir(&app).ok();
        assert_eq!(go.val("version"), "go1.21.5");
    }
    sb.gomux(["pin", "1.22.3"]).current_dir(&app).ok();
    assert_eq!(read(&pin), "1.22.3\n");
    assert_eq!(temp_files(&app), Vec::<String>::new());
}

#[cfg(unix)]
#[test]
fn a_full_disk_never_truncates_a_profile() {
    let sb = Sandbox::bare();
    let Some(disk) = Tmpfs::mount(&sb.home, "256k", "a_full_disk_never_truncates_a_profile") else {
        return;
    };
    let rc = sb.home.join(".bashrc");
    // Just under three pages: the block needs a fourth, so a profile rewritten in place
    // would be cut mid-line.
    let mut original = users_profile();
    let pad = 3 * 4096 - 20 - original.len() - 3;
    original.push_str(&format!("# {}\n", "x".repeat(pad)));
    std::fs::write(&rc, &original).unwrap();
    sb.gomux(["setup", "--no-modify-path"]).ok();

    let filler = disk.fill();
    let out = sb.gomux(["setup", "--modify-path"]).fails();
    assert_eq!(read(&rc), original, "{out}");
    assert!(
        out.stderr
            .contains(&format!("error: cannot write `{}`", rc.display())),
        "{out}"
    );
    assert!(
        out.stderr.contains(&format!(
            "hint: the disk holding `{}` is full",
            sb.home.display()
        )),
        "{out}"
    );
    assert_eq!(temp_files(&sb.home), Vec::<String>::new());
    // Once there is room, setup works on the same profile.
    std::fs::remove_file(&filler).unwrap();
    sb.gomux(["setup", "--modify-path"]).ok();
    let with_block = read(&rc);
    assert_whole(&with_block, &original, "after setup");
    assert_eq!(with_block.matches(START).count(), 1);

    let filler = disk.fill();
    let out = sb.gomux(["setup", "--uninstall"]).fails();
    assert_eq!(read(&rc), with_block, "{out}");
    assert!(out.stderr.contains("is full"), "{out}");
    assert_eq!(temp_files(&sb.home), Vec::<String>::new());
    std::fs::remove_file(&filler).unwrap();
    sb.gomux(["setup", "--uninstall"]).ok();
    assert_eq!(read(&rc), original);
}

#[cfg(unix)]
#[test]
fn a_profile_keeps_its_link_mode_and_owner() {
    use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};
    let sb = Sandbox::bare();
    let target = sb.home.join("dotfiles").join("bashrc");
    std::fs::create_dir_all(target.parent().unwrap()).unwrap();
    let original = users_profile();
    std::fs::write(&target, &original).unwrap();
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o640)).unwrap();
    let root = is_root();
    if root {
        // Root (sudo) edits a profile that belongs to another user.
        std::os::unix::fs::chown(&target, Some(65534), Some(65534)).unwrap();
    } else {
        eprintln!("owner not checked: that needs root");
    }
    let rc = sb.home.join(".bashrc");
    std::os::unix::fs::symlink("dotfiles/bashrc", &rc).unwrap();
    let check = |when: &str| {
        let link = std::fs::symlink_metadata(&rc).unwrap();
        assert!(link.file_type().is_symlink(), "{when}: no longer a link");
        let m = std::fs::metadata(&target).unwrap();
        assert_eq!(m.permissions().mode() & 0o777, 0o640, "{when}: mode");
        if root {
            assert_eq!((m.uid(), m.gid()), (65534, 65534), "{when}: owner");
        }
        assert_eq!(temp_files(target.parent().unwrap()), Vec::<String>::new());
    };
    sb.gomux(["setup", "--modify-path"]).ok();
    check("after setup");
    assert_whole(&read(&target), &original, "setup");
    assert_eq!(read(&target).matches(START).count(), 1);
    sb.gomux(["setup", "--uninstall"]).ok();
    check("after uninstall");
    assert_eq!(read(&target), original);
}

#[test]
fn setup_suggests_path_not_a_frozen_env() {
    let sb = Sandbox::bare();
    std::fs::write(sb.home.join(".bashrc"), "alias ll='ls -l'\n").unwrap();
    let out = sb.gomux(["setup", "--modify-path"]).ok();
    assert!(!out.stderr.contains("gomux env"), "{out}");
    assert!(
        out.stderr.contains(&format!(
            "    export GOMUX_HOME='{}'\n    export PATH=\"{}:$PATH\"\n",
            sb.gomux_home.display(),
            sb.bin().display()
        )),
        "{out}"
    );
    assert!(out.stderr.contains("`gomux doctor`"), "{out}");
    let out = sb
        .gomux(["setup", "--modify-path"])
        .env("SHELL", "/usr/bin/fish")
        .ok();
    assert!(
        out.stderr.contains(&format!(
            "    set -gx PATH '{}' $PATH\n",
            sb.bin().display()
        )),
        "{out}"
    );
}

#[test]
fn doctor_warns_about_caches_frozen_by_gomux_env() {
    let sb = Sandbox::new();
    sb.link_fake("go1.22.3");
    sb.write("app/go.mod", "module app\n\ngo 1.22.3\n");
    let app = sb.dir("app");
    let env = sb.gomux(["env", "--json"]).current_dir(&app).ok().json();
    let frozen = |sb: &Sandbox, with: bool| {
        let mut cmd = sb.gomux(["doctor", "--json"]);
        cmd.current_dir(sb.dir("elsewhere"));
        if with {
            for k in ["GOCACHE", "GOMODCACHE", "GOTOOLCHAIN"] {
                cmd.env(k, env["set"][k].as_str().unwrap());
            }
        }
        let report = cmd.run().json();
        report["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == "env.frozen")
            .cloned()
    };
    assert_eq!(frozen(&sb, false), None);
    let f = frozen(&sb, true).expect("a finding about the frozen caches");
    assert_eq!(f["status"], "warning", "{f:#}");
    let evidence = f["evidence"].as_str().unwrap();
    assert!(
        evidence.contains("GOCACHE=`") && evidence.contains("GOMODCACHE=`"),
        "{f:#}"
    );
    assert!(
        f["fix"].as_str().unwrap().contains("unset GOCACHE"),
        "{f:#}"
    );
}

/// Folder names that are shell syntax.
const HOSTILE_NAMES: &[&str] = &[
    "a\n touch PWNED #",
    "$(touch PWNED)",
    "`touch PWNED`",
    "x'; touch PWNED; echo '",
    "q\"uo\\te\" $HOME",
];

/// Every file named `PWNED` under `root`.
fn pwned(root: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if e.file_name() == "PWNED" {
                found.push(p.clone());
            }
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                stack.push(p);
            }
        }
    }
    found
}

/// The variables after `eval "$(gomux env --shell sh)"` in `shell`, run in `dir`.
fn eval_in(sb: &Sandbox, shell: &str, dir: &Path) -> Vec<String> {
    let gomux = gomux_tests::ensure_built().join(exe("gomux"));
    let script = r#"cd -- "$D" && eval "$("$G" env --shell sh)" && printf '%s\0' "$GOMUX_HOME" "$PATH" "$GOCACHE" "$GOMODCACHE" "$GOTOOLCHAIN""#;
    let out = sb
        .cmd(shell)
        .args(["-c", script])
        .env("D", dir)
        .env("G", &gomux)
        .current_dir(dir)
        .ok();
    out.stdout.split('\0').map(str::to_string).collect()
}

#[cfg(unix)]
#[test]
fn eval_of_env_never_runs_a_folder_name() {
    let sb = Sandbox::new();
    sb.link_fake("go1.22.3");
    let shells: Vec<&str> = ["/bin/sh", "/bin/bash", "/bin/zsh"]
        .into_iter()
        .filter(|s| Path::new(s).exists())
        .collect();
    for name in HOSTILE_NAMES {
        let dir = sb.work.join(name);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("go.mod"), "module app\n\ngo 1.22.3\n").unwrap();
        let json = sb.gomux(["env", "--json"]).current_dir(&dir).ok().json();
        let sh = sb.gomux(["env", "--shell", "sh"]).current_dir(&dir).ok();
        assert_eq!(
            sh.stdout.lines().next().unwrap().matches('#').count(),
            1 + name.matches('#').count(),
            "{sh}"
        );
        for shell in &shells {
            let vars = eval_in(&sb, shell, &dir);
            for (i, key) in ["GOMUX_HOME", "PATH", "GOCACHE", "GOMODCACHE", "GOTOOLCHAIN"]
                .iter()
                .enumerate()
            {
                assert_eq!(
                    json["set"][key].as_str(),
                    Some(vars[i].as_str()),
                    "{shell} in {name:?}: {key}"
                );
            }
            assert_eq!(
                pwned(&sb.root),
                Vec::<PathBuf>::new(),
                "{shell} in {name:?}:\n{sh}"
            );
        }
    }
    // The values themselves may be hostile too: a GOMUX_HOME named like shell syntax.
    let home = sb
        .root
        .join("h\n touch PWNED #$(touch PWNED)`touch PWNED`'\"");
    let plain = sb.dir("plain");
    for shell in &shells {
        let gomux = gomux_tests::ensure_built().join(exe("gomux"));
        let out = sb
            .cmd(shell)
            .args([
                "-c",
                r#"eval "$("$G" env --shell sh 2>/dev/null)" && printf '%s\0' "$GOMUX_HOME" "$PATH""#,
            ])
            .env("G", &gomux)
            .env("GOMUX_HOME", &home)
            .current_dir(&plain)
            .ok();
        let vars: Vec<&str> = out.stdout.split('\0').collect();
        assert_eq!(vars[0], home.to_str().unwrap(), "{shell}");
        assert!(
            vars[1].starts_with(&format!("{}:", home.join("bin").display())),
            "{shell}: {out}"
        );
        assert_eq!(pwned(&sb.root), Vec::<PathBuf>::new(), "{shell}");
    }
}

#[test]
fn settings_a_newer_gomux_wrote_never_break_go() {
    let sb = Sandbox::new();
    sb.link_fake("go1.22.3");
    let settings = sb.gomux_home.join("settings.toml");
    std::fs::write(
        &settings,
        concat!(
            "default_toolchain = \"go1.22.3\"\n",
            "mirrors = [\"a\"]\n",
            "point = { x = 1, y = \"z\" }\n",
            "notes = \"\"\"\nauto_install = \"not read\"\n[cache]\n\"\"\"\n",
            "[future]\n",
            "when = 2026-12-01T08:00:00Z\n",
            "list = [\n  1,\n  2.5,\n]\n",
        ),
    )
    .unwrap();
    let go = sb.go(["build"]).current_dir(sb.dir("elsewhere")).ok();
    assert_eq!(go.val("version"), "go1.22.3");
    // `gomux default` keeps all of it and changes only its own line.
    let before = read(&settings);
    sb.gomux(["default", "1.22"]).ok();
    assert_eq!(
        read(&settings),
        before.replace("\"go1.22.3\"", "\"1.22\""),
        "only the value changed"
    );
    // A known key with a wrong type is still an error naming the file and line.
    std::fs::write(&settings, "# mine\ndefault_toolchain = [\"go1.22.3\"]\n").unwrap();
    let out = sb.go(["version"]).current_dir(sb.dir("elsewhere")).fails();
    assert!(
        out.stderr.contains(&format!(
            "{}:2: `default_toolchain` must be a string, not an array",
            settings.display()
        )),
        "{out}"
    );
}

#[cfg(unix)]
#[test]
fn a_fifo_named_settings_toml_is_an_error_not_a_hang() {
    let sb = Sandbox::new();
    sb.link_fake("go1.22.3");
    let settings = sb.gomux_home.join("settings.toml");
    let made = Command::new("mkfifo").arg(&settings).status().unwrap();
    assert!(made.success());
    let mut go = sb.go(["version"]);
    go.current_dir(sb.dir("elsewhere"));
    let out = wait_bounded(spawn(go), Duration::from_secs(60), "`go version`");
    assert!(!out.status.success(), "{out}");
    assert!(
        out.stderr
            .contains(&format!("`{}` is not a regular file", settings.display())),
        "{out}"
    );
    let out = wait_bounded(
        spawn(sb.gomux(["default"])),
        Duration::from_secs(60),
        "`gomux default`",
    );
    assert!(out.stderr.contains("is not a regular file"), "{out}");
}

#[cfg(unix)]
#[test]
fn a_kill_while_default_writes_leaves_the_old_settings() {
    let sb = Sandbox::new();
    sb.link_fake("go1.21.5");
    sb.link_fake("go1.22.3");
    sb.gomux(["default", "1.21.5"]).ok();
    let settings = sb.gomux_home.join("settings.toml");
    let before = read(&settings);
    for point in ["atomic-write:after-write", "atomic-write:before-rename"] {
        let out = sb
            .gomux(["default", "1.22.3"])
            .env("GOMUX_TEST_CRASH_AT", point)
            .run();
        assert!(
            killed(&out.status),
            "{point}: default was not stopped:\n{out}"
        );
        assert_eq!(read(&settings), before, "{point}");
        let go = sb.go(["build"]).current_dir(sb.dir("elsewhere")).ok();
        assert_eq!(go.val("version"), "go1.21.5", "{point}");
    }
    sb.gomux(["default", "1.22.3"]).ok();
    assert!(read(&settings).contains("1.22.3\""), "{}", read(&settings));
    assert_eq!(temp_files(&sb.gomux_home), Vec::<String>::new());
}

#[cfg(unix)]
#[test]
fn default_on_a_full_disk_says_it_cannot_write() {
    let sb = Sandbox::bare();
    let Some(disk) = Tmpfs::mount(
        &sb.gomux_home,
        "256k",
        "default_on_a_full_disk_says_it_cannot_write",
    ) else {
        return;
    };
    sb.gomux(["default", "1.21.5"]).ok();
    let settings = sb.gomux_home.join("settings.toml");
    let before = read(&settings);
    let filler = disk.fill();
    let out = sb.gomux(["default", "1.22.3"]).fails();
    assert!(
        out.stderr
            .contains(&format!("error: cannot write `{}`", settings.display())),
        "{out}"
    );
    assert!(!out.stderr.contains("cannot read"), "{out}");
    assert!(
        out.stderr.contains(&format!(
            "hint: the disk holding `{}` is full",
            sb.gomux_home.display()
        )),
        "{out}"
    );
    assert_eq!(read(&settings), before);
    assert_eq!(temp_files(&sb.gomux_home), Vec::<String>::new());
    std::fs::remove_file(&filler).unwrap();
    sb.gomux(["default", "1.22.3"]).ok();
    assert!(read(&settings).contains("1.22.3\""), "{}", read(&settings));
}

//! `gomux setup` (the profile block, idempotence, `--uninstall`) and `gomux env`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use gomux_tests::{Run, Sandbox, exe};

/// One entry of a folder tree, as compared before and after.
#[derive(Debug, PartialEq, Eq)]
enum Entry {
    Dir,
    File(Vec<u8>, Option<SystemTime>),
    Link(PathBuf),
}

/// Every file, folder and link under `root`, with file bytes and modification times.
fn snapshot(root: &Path) -> BTreeMap<PathBuf, Entry> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Entry>) {
        let Ok(rd) = std::fs::read_dir(dir) else {
            return;
        };
        for e in rd.flatten() {
            let p = e.path();
            let rel = p.strip_prefix(root).unwrap().to_path_buf();
            let meta = std::fs::symlink_metadata(&p).unwrap();
            if meta.file_type().is_symlink() {
                out.insert(rel, Entry::Link(std::fs::read_link(&p).unwrap()));
            } else if meta.is_dir() {
                out.insert(rel, Entry::Dir);
                walk(root, &p, out);
            } else {
                out.insert(
                    rel,
                    Entry::File(std::fs::read(&p).unwrap(), meta.modified().ok()),
                );
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

/// Writes a file under the sandbox HOME.
/// The snapshot without modification times: what "byte for byte" compares.
fn bytes_only(snap: BTreeMap<PathBuf, Entry>) -> BTreeMap<PathBuf, Entry> {
    snap.into_iter()
        .map(|(k, v)| match v {
            Entry::File(b, _) => (k, Entry::File(b, None)),
            other => (k, other),
        })
        .collect()
}

/// The paths whose entries differ between two snapshots.
fn changed(a: &BTreeMap<PathBuf, Entry>, b: &BTreeMap<PathBuf, Entry>) -> Vec<PathBuf> {
    let mut keys: Vec<&PathBuf> = a.keys().chain(b.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|k| a.get(*k) != b.get(*k))
        .cloned()
        .collect()
}

fn home_file(sb: &Sandbox, rel: &str, text: &str) -> PathBuf {
    let p = sb.home.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, text).unwrap();
    p
}

/// A HOME with bash, zsh and fish profiles that already hold the user's own lines (one
/// without a final newline, one with CRLF line ends).
fn with_profiles(sb: &Sandbox) -> Vec<PathBuf> {
    vec![
        home_file(sb, ".bashrc", "# my bashrc\nalias ll='ls -l'\n"),
        home_file(sb, ".bash_profile", "source ~/.bashrc\r\n"),
        home_file(sb, ".zshrc", "setopt autocd"),
        home_file(sb, ".config/fish/config.fish", "set -gx EDITOR vi\n\n"),
    ]
}

fn text(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap()
}

#[test]
fn setup_twice_changes_nothing() {
    let sb = Sandbox::bare();
    let profiles = with_profiles(&sb);
    let originals: Vec<String> = profiles.iter().map(|p| text(p)).collect();
    let out = sb.gomux(["setup", "--modify-path"]).ok();
    for (p, original) in profiles.iter().zip(&originals) {
        let now = text(p);
        assert!(
            now.starts_with(original.as_str()),
            "{}:\n{now}",
            p.display()
        );
        assert_eq!(now.matches("# >>> gomux >>>").count(), 1, "{now}");
        assert!(
            now.contains(&sb.bin().display().to_string()),
            "{}:\n{now}",
            p.display()
        );
        assert!(
            out.stderr
                .contains(&format!("{}: gomux block added", p.display())),
            "{out}"
        );
    }
    assert!(
        text(&profiles[1]).ends_with("# <<< gomux <<<\r\n"),
        "a CRLF profile gets CRLF lines"
    );
    assert!(
        !sb.home.join(".profile").exists(),
        "~/.profile is only created when no other profile is there"
    );
    for tool in ["go", "gofmt", "gomux-shim", "gomux"] {
        assert!(sb.bin().join(exe(tool)).is_file(), "{tool}");
    }
    let before = (snapshot(&sb.home), snapshot(&sb.gomux_home));
    let out = sb.gomux(["setup", "--modify-path"]).ok();
    for p in &profiles {
        assert!(
            out.stderr
                .contains(&format!("{}: gomux block already there", p.display())),
            "{out}"
        );
    }
    let after = (snapshot(&sb.home), snapshot(&sb.gomux_home));
    assert_eq!(changed(&before.0, &after.0), Vec::<PathBuf>::new(), "{out}");
    assert_eq!(changed(&before.1, &after.1), Vec::<PathBuf>::new(), "{out}");
}

#[test]
fn uninstall_removes_exactly_what_setup_added() {
    let sb = Sandbox::bare();
    with_profiles(&sb);
    let home_before = bytes_only(snapshot(&sb.home));
    sb.gomux(["setup", "--modify-path"]).ok();
    // Use it: a linked toolchain, a default, and a project whose `go` call makes caches.
    let sdk = sb.link_fake("go1.22.3");
    sb.gomux(["default", "1.22.3"]).ok();
    sb.write("app/go.mod", "module app\n\ngo 1.22.3\n");
    sb.go(["build"]).current_dir(sb.dir("app")).ok();
    let cache = sb.gomux_home.join("cache");
    assert!(cache.join("projects").is_dir());

    let out = sb.gomux(["setup", "--uninstall"]).ok();
    let home_after = bytes_only(snapshot(&sb.home));
    assert_eq!(
        changed(&home_before, &home_after),
        Vec::<PathBuf>::new(),
        "{out}"
    );
    assert!(!sb.bin().exists(), "{out}");
    assert!(sb.gomux_home.join("toolchains/go1.22.3").is_symlink());
    assert!(sb.gomux_home.join("settings.toml").is_file());
    assert!(cache.join("projects").is_dir());
    assert!(out.stderr.contains("kept toolchains in"), "{out}");
    assert!(out.stderr.contains("kept caches in"), "{out}");

    let out = sb
        .gomux([
            "setup",
            "--uninstall",
            "--remove-toolchains",
            "--remove-caches",
        ])
        .ok();
    assert!(!sb.gomux_home.join("toolchains").exists(), "{out}");
    assert!(!cache.exists(), "{out}");
    assert!(!sb.gomux_home.join("tmp").exists(), "{out}");
    assert!(
        sdk.join("bin/go").is_file(),
        "a linked SDK is only unlinked, never deleted"
    );
    let left: Vec<_> = snapshot(&sb.gomux_home).into_keys().collect();
    assert_eq!(left, [PathBuf::from("settings.toml")]);
    assert!(bytes_only(snapshot(&sb.home)) == home_before);
}

#[test]
fn lines_added_after_the_block_survive_uninstall() {
    let sb = Sandbox::bare();
    let rc = home_file(&sb, ".bashrc", "alias ll='ls -l'");
    sb.gomux(["setup", "--modify-path"]).ok();
    let mut t = text(&rc);
    t.push_str("export EDITOR=vi\n");
    std::fs::write(&rc, t).unwrap();
    sb.gomux(["setup", "--uninstall"]).ok();
    assert_eq!(text(&rc), "alias ll='ls -l'export EDITOR=vi\n");
}

#[test]
fn profiles_setup_created_are_deleted_again() {
    // No profile at all: `~/.profile` is created.
    let sb = Sandbox::bare();
    let before = bytes_only(snapshot(&sb.home));
    sb.gomux(["setup", "--modify-path"]).ok();
    let profile = sb.home.join(".profile");
    assert!(text(&profile).contains("which setup created"));
    sb.gomux(["setup", "--uninstall"]).ok();
    assert!(bytes_only(snapshot(&sb.home)) == before);

    // The user's shell: its profile is created even when missing (zsh under ZDOTDIR, and
    // PowerShell's folder too).
    let mut sb = Sandbox::bare();
    let zdot = sb.home.join("zdot");
    std::fs::create_dir_all(&zdot).unwrap();
    std::fs::create_dir_all(sb.home.join(".config")).unwrap();
    let before = bytes_only(snapshot(&sb.home));
    sb.set_env("SHELL", Some("/usr/bin/zsh"));
    sb.set_env("ZDOTDIR", Some(zdot.to_str().unwrap()));
    sb.gomux(["setup", "--modify-path"]).ok();
    assert!(zdot.join(".zshrc").is_file());
    assert!(!sb.home.join(".profile").exists());
    sb.set_env("SHELL", Some("/usr/bin/pwsh"));
    let out = sb.gomux(["setup", "--modify-path"]).ok();
    let ps = sb
        .home
        .join(".config/powershell/Microsoft.PowerShell_profile.ps1");
    assert!(text(&ps).contains("this file and its folder"), "{out}");
    assert!(text(&ps).contains("$env:PATH = '"), "{out}");
    sb.gomux(["setup", "--uninstall"]).ok();
    assert!(bytes_only(snapshot(&sb.home)) == before);
}

#[test]
fn without_modify_path_no_profile_is_touched() {
    let sb = Sandbox::bare();
    let rc = home_file(&sb, ".bashrc", "alias ll='ls -l'\n");
    // Not a terminal (as here): the default is not to modify.
    for args in [&["setup"][..], &["setup", "--no-modify-path"]] {
        let out = sb.gomux(args).ok();
        assert_eq!(text(&rc), "alias ll='ls -l'\n");
        assert!(
            out.stderr
                .contains(&format!("export PATH=\"{}:$PATH\"", sb.bin().display())),
            "{out}"
        );
        assert!(
            out.stderr
                .contains(&format!("export GOMUX_HOME='{}'", sb.gomux_home.display())),
            "a GOMUX_HOME away from the default must be exported too:\n{out}"
        );
    }
    // `--uninstall --no-modify-path` leaves profiles alone as well.
    sb.gomux(["setup", "--modify-path"]).ok();
    let with_block = text(&rc);
    sb.gomux(["setup", "--uninstall", "--no-modify-path"]).ok();
    assert_eq!(text(&rc), with_block);
    assert!(!sb.bin().exists());
}

#[cfg(unix)]
#[test]
fn the_block_puts_the_proxies_first_in_sh() {
    let sb = Sandbox::bare();
    sb.gomux(["setup", "--modify-path"]).ok();
    let other = sb.fake_sdk("go1.20.1").join("bin");
    let path = format!("{}:/usr/bin:/bin", other.display());
    let out = sb
        .cmd("/bin/sh")
        .args([
            "-c",
            ". \"$HOME/.profile\"; . \"$HOME/.profile\"; command -v go; command -v gofmt; echo \"$GOMUX_HOME\"; echo \"$PATH\"",
        ])
        .env("PATH", &path)
        .ok();
    let bin = sb.bin().display().to_string();
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(
        lines,
        [
            format!("{bin}/go").as_str(),
            format!("{bin}/gofmt").as_str(),
            sb.gomux_home.display().to_string().as_str(),
            format!("{bin}:{path}").as_str(),
        ],
        "{out}"
    );
}

/// Two linked SDKs, go1.21.5 the default, and a project that needs go1.22.3.
fn project() -> (Sandbox, PathBuf) {
    let sb = Sandbox::new();
    sb.link_fake("go1.21.5");
    sb.link_fake("go1.22.3");
    sb.gomux(["default", "1.21.5"]).ok();
    sb.write("app/go.mod", "module app\n\ngo 1.22.3\n");
    let app = sb.dir("app/cmd");
    (sb, app)
}

#[test]
fn env_is_what_the_proxy_gives() {
    let (mut sb, app) = project();
    let stale = sb.root.join("sdks/go1.21.5");
    sb.set_env("GOROOT", Some(stale.to_str().unwrap()));
    for dir in [app.clone(), sb.dir("elsewhere")] {
        let env = sb.gomux(["env", "--json"]).current_dir(&dir).ok().json();
        let go = sb.go(["build"]).current_dir(&dir).ok();
        assert_eq!(env["toolchain"], go.val("version"));
        for key in ["GOTOOLCHAIN", "GOCACHE", "GOMODCACHE"] {
            let printed = env["set"][key].as_str().unwrap_or("<unset>");
            assert_eq!(printed, go.val(key), "{key} in {}: {env:#}", dir.display());
        }
        assert_eq!(go.val("GOROOT"), "<unset>");
        assert_eq!(env["unset"], serde_json::json!(["GOROOT"]));
        let path = env["set"]["PATH"].as_str().unwrap();
        assert!(
            path.starts_with(&format!("{}:", sb.bin().display())),
            "{path}"
        );
        assert_eq!(path.matches(&sb.bin().display().to_string()).count(), 1);
        assert!(env["set"].get("GOMUX_RECURSION_DEPTH").is_none());
        assert!(env["set"].get("GOMUX_AUTO_INSTALLED").is_none());
        assert_eq!(
            env["set"]["GOMUX_HOME"],
            sb.gomux_home.display().to_string()
        );
    }
    // The user's own GOCACHE reaches the SDK, and `env` says so.
    sb.set_env("GOCACHE", Some("/my/cache"));
    let env = sb.gomux(["env", "--json"]).current_dir(&app).ok().json();
    assert_eq!(env["set"]["GOCACHE"], "/my/cache");
    assert_eq!(
        sb.go(["build"]).current_dir(&app).ok().val("GOCACHE"),
        "/my/cache"
    );
}

#[test]
fn env_for_each_shell() {
    let (sb, app) = project();
    let out = sb.gomux(["env", "--shell", "sh"]).current_dir(&app).ok();
    let first = out.stdout.lines().next().unwrap();
    assert!(
        first.starts_with("# gomux env: go1.22.3, selected by ") && first.ends_with("go.mod:3"),
        "{out}"
    );
    assert!(
        out.stdout.contains("\nexport GOTOOLCHAIN='path'\n"),
        "{out}"
    );
    let out = sb.gomux(["env", "--shell", "fish"]).current_dir(&app).ok();
    assert!(
        out.stdout.contains(&format!(
            "\nset -gx PATH '{}' '/usr/local/bin' '/usr/bin' '/bin'\n",
            sb.bin().display()
        )),
        "{out}"
    );
    let out = sb.gomux(["env", "--shell", "pwsh"]).current_dir(&app).ok();
    assert!(
        out.stdout.contains("\n$env:GOTOOLCHAIN = 'path'\n"),
        "{out}"
    );
    let out = sb.gomux(["env", "--shell", "cmd"]).current_dir(&app).ok();
    assert!(out.stdout.starts_with("REM gomux env: go1.22.3"), "{out}");
    assert!(out.stdout.contains("\nset \"GOTOOLCHAIN=path\"\n"), "{out}");
    // No toolchain selected: PATH is still printed, with a warning.
    let bare = Sandbox::new();
    let out = bare.gomux(["env", "--shell", "sh"]).ok();
    assert!(out.stdout.contains("\nexport PATH='"), "{out}");
    assert!(!out.stdout.contains("GOTOOLCHAIN"), "{out}");
    assert!(
        out.stderr
            .starts_with("warning: no Go toolchain is selected"),
        "{out}"
    );
}

#[cfg(unix)]
#[test]
fn eval_of_env_runs_go_as_the_proxy_would() {
    let (sb, app) = project();
    let gomux = gomux_tests::ensure_built().join(exe("gomux"));
    let script = format!(
        "eval \"$('{}' env --shell sh)\" && command -v go && go build ./...",
        gomux.display()
    );
    let out = sb
        .cmd("/bin/sh")
        .args(["-c", &script])
        .env("PATH", "/usr/bin:/bin")
        .current_dir(&app)
        .ok();
    assert_eq!(
        out.stdout.lines().next(),
        Some(format!("{}/go", sb.bin().display()).as_str()),
        "{out}"
    );
    let direct = sb.go(["build", "./..."]).current_dir(&app).ok();
    for key in ["version", "GOTOOLCHAIN", "GOCACHE", "GOMODCACHE", "GOROOT"] {
        assert_eq!(out.val(key), direct.val(key), "{key}");
    }
}

//! Installing through the real binaries: `gomux install`/`uninstall`/`list --remote` and the
//! proxy's auto-install, against a local mirror on loopback with injected faults. Every failure
//! must leave no toolchain and nothing in `tmp/` but lock files.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use gomux_tests::mirror::{
    Entry, Fault, INDEX_PATH, Mirror, MirrorDir, dead_url, fake_sdk_entries, fake_sdk_tar_gz,
    host_archive_name, script_go, sha256_hex, tar_gz,
};
use gomux_tests::{Run, Sandbox, ensure_built, exe};

fn fake_go() -> Vec<u8> {
    std::fs::read(ensure_built().join(exe("gomux-fake-go"))).expect("the fake go binary")
}

/// A sandbox whose mirror serves fake SDKs (runnable: `bin/go` is the fake go) for `versions`.
pub(crate) fn with_mirror(versions: &[&str]) -> (Sandbox, MirrorDir, Mirror) {
    let mut sb = Sandbox::new();
    let mut dir = MirrorDir::new(sb.root.join("mirror"));
    let go = fake_go();
    for v in versions {
        dir.add(v, &fake_sdk_tar_gz(v, &go));
    }
    dir.write_index();
    let mirror = Mirror::serve(dir.root());
    sb.set_env("GOMUX_DIST_SERVER", Some(&mirror.url()));
    (sb, dir, mirror)
}

fn archive(name: &str) -> String {
    format!("/{}", host_archive_name(name))
}

/// No toolchain `name`, and nothing but lock files in `tmp/`.
fn assert_nothing_left(sb: &Sandbox, name: &str) {
    let dir = sb.gomux_home.join("toolchains").join(name);
    assert!(
        std::fs::symlink_metadata(&dir).is_err(),
        "`{}` must not exist",
        dir.display()
    );
    assert_tmp_clean(sb);
}

/// Nothing but lock files in `tmp/` (and the proxy's records, which are no leftovers: see
/// `gomux_resolve::record`).
fn assert_tmp_clean(sb: &Sandbox) {
    let tmp = sb.gomux_home.join("tmp");
    let left: Vec<String> = std::fs::read_dir(&tmp)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| {
                    !n.ends_with(".lock")
                        && n != ".gomux-folder"
                        && n != ".toolchains-index"
                        && !n.starts_with(".modscan-")
                })
                .collect()
        })
        .unwrap_or_default();
    assert!(left.is_empty(), "left behind in tmp/: {left:?}");
}

#[test]
fn install_reinstall_uninstall() {
    let (sb, _dir, mirror) = with_mirror(&["go1.22.3"]);
    let out = sb.gomux(["install", "1.22.3"]).ok();
    assert!(out.stderr.contains("installed go1.22.3"), "{out}");
    assert_eq!(mirror.requests(&archive("go1.22.3")), 1);
    // The versioned proxy appears and runs the new SDK.
    let out = sb.proxy("go1.22.3", ["version"]).ok();
    assert!(out.stdout.starts_with("go version go1.22.3 "), "{out}");
    let out = sb.gomux(["list"]).ok();
    assert!(out.stdout.contains("go1.22.3"), "{out}");

    let out = sb.gomux(["install", "go1.22.3"]).ok();
    assert!(out.stderr.contains("already installed"), "{out}");
    assert_eq!(
        mirror.requests(&archive("go1.22.3")),
        1,
        "a reinstall downloads nothing"
    );

    let out = sb.gomux(["uninstall", "1.22.3"]).ok();
    assert!(out.stderr.contains("removed go1.22.3"), "{out}");
    assert_nothing_left(&sb, "go1.22.3");
    assert!(
        !sb.bin().join("go1.22.3").exists(),
        "its versioned proxy is gone"
    );
    let out = sb.gomux(["uninstall", "1.22.3"]).fails();
    assert!(out.stderr.contains("go1.22.3 is not installed"), "{out}");
}

#[test]
fn partial_versions_latest_and_the_remote_list() {
    let (sb, _dir, mirror) =
        with_mirror(&["go1.22.1", "go1.22.3", "go1.23.0", "go1.24rc1", "go1.21.13"]);
    let out = sb.gomux(["install", "1.22"]).ok();
    assert!(out.stderr.contains("installed go1.22.3"), "{out}");
    let out = sb.gomux(["install", "latest"]).ok();
    assert!(out.stderr.contains("installed go1.23.0"), "{out}");
    assert_eq!(mirror.requests(&archive("go1.22.1")), 0);

    let out = sb.gomux(["list", "--remote"]).ok();
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(
        lines,
        [
            "go1.23.0  (installed)",
            "go1.22.3  (installed)",
            "go1.22.1",
            "go1.21.13"
        ],
        "{out}"
    );
    let out = sb.gomux(["list", "--remote", "--all"]).ok();
    assert!(out.stdout.starts_with("go1.24rc1  (unstable)\n"), "{out}");
    let out = sb.gomux(["list", "--remote", "--all", "--json"]).ok();
    let list = out.json();
    let list = &list["releases"];
    let first = &list[0];
    assert_eq!(first["name"], "go1.24rc1");
    assert_eq!(first["stable"], false);
    assert_eq!(first["installed"], false);
    assert_eq!(first["filename"], host_archive_name("go1.24rc1"));
    assert_eq!(list.as_array().map(Vec::len), Some(5));
    // The index was fetched once; the listings used the cache.
    assert_eq!(mirror.requests(INDEX_PATH), 1);

    let out = sb.gomux(["install", "1.19"]).fails();
    assert!(out.stderr.contains("no release matches `1.19"), "{out}");
    let out = sb.gomux(["install", "1.99.0"]).fails();
    assert!(
        out.stderr
            .contains("`go1.99.0` is not in the release index"),
        "{out}"
    );
    assert!(
        out.stderr.contains("hint: `gomux list --remote --all`"),
        "{out}"
    );
}

#[test]
fn install_without_arguments_installs_what_the_project_needs() {
    let (sb, _dir, _mirror) = with_mirror(&["go1.22.3"]);
    let gomod = sb.write("proj/go.mod", "module p\n\ngo 1.22.3\n");
    let out = sb.gomux(["install"]).current_dir(sb.dir("proj")).ok();
    assert!(
        out.stderr.contains(&format!(
            "installing go1.22.3 (required by {}:3)",
            gomod.display()
        )),
        "{out}"
    );
    let out = sb.gomux(["install"]).current_dir(sb.dir("proj")).ok();
    assert!(
        out.stderr.contains("go1.22.3 is already installed"),
        "{out}"
    );
}

#[test]
fn failed_downloads_leave_nothing_behind() {
    let (mut sb, _dir, mirror) = with_mirror(&["go1.22.3"]);
    sb.set_env("GOMUX_HTTP_TIMEOUT", Some("1"));
    let file = archive("go1.22.3");
    let url = mirror.url_for(&file);
    let cases = [
        (Fault::WrongBytes, "checksum mismatch", 1),
        (
            Fault::Truncate { after: 1000 },
            "broke off after 1000 bytes",
            3,
        ),
        (Fault::NotFound, "(HTTP 404)", 1),
        (Fault::Stall, "sent nothing for 1s", 3),
        (Fault::Reset { after: 100 }, &url, 3),
        (Fault::ServerError { times: 10 }, "HTTP 500", 3),
    ];
    let mut asked = 0;
    for (fault, says, tries) in cases {
        mirror.clear_faults();
        mirror.set_fault(&file, fault.clone());
        let out = sb.gomux(["install", "1.22.3"]).fails();
        assert!(out.stderr.contains(says), "{fault:?}: {out}");
        assert!(
            out.stderr.contains(&url),
            "{fault:?} must name the URL: {out}"
        );
        asked += tries;
        assert_eq!(mirror.requests(&file), asked, "{fault:?}: tries");
        assert_nothing_left(&sb, "go1.22.3");
    }
    // The checksum message shows both hashes.
    mirror.clear_faults();
    mirror.set_fault(&file, Fault::WrongBytes);
    let out = sb.gomux(["install", "1.22.3"]).fails();
    let real = sha256_hex(&std::fs::read(sb.root.join("mirror").join(&file[1..])).unwrap());
    assert!(out.stderr.contains(&format!("expected {real}")), "{out}");
    assert!(out.stderr.contains("actual   "), "{out}");
    assert!(out.stderr.contains("nothing was installed"), "{out}");

    // Two 500s, then the file: retried, installed.
    mirror.clear_faults();
    mirror.set_fault(&file, Fault::ServerError { times: 2 });
    let before = mirror.requests(&file);
    let out = sb.gomux(["install", "1.22.3"]).ok();
    assert!(out.stderr.contains("installed go1.22.3"), "{out}");
    assert_eq!(mirror.requests(&file), before + 3);
    assert_eq!(out.stderr.matches("trying again").count(), 2, "{out}");
}

#[test]
fn a_mirror_that_is_down_never_falls_back_to_a_public_host() {
    let mut sb = Sandbox::new();
    // Any request to a public host would go through this proxy and be counted.
    let spy = Mirror::serve(sb.root.join("spy"));
    for var in ["HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy"] {
        sb.set_env(var, Some(&spy.url()));
    }
    sb.set_env("NO_PROXY", Some("127.0.0.1,localhost"));
    let down = dead_url();
    sb.set_env("GOMUX_DIST_SERVER", Some(&down));
    let out = sb.gomux(["install", "1.22.3"]).fails();
    let host = down.trim_start_matches("http://");
    assert!(
        out.stderr.contains(&format!("cannot reach `{host}`")),
        "{out}"
    );
    assert_eq!(spy.total_requests(), 0, "nothing went to a public host");
    assert_nothing_left(&sb, "go1.22.3");
    let out = sb.gomux(["install", "1.22"]).fails();
    assert!(out.stderr.contains(host), "{out}");
    assert_eq!(spy.total_requests(), 0);

    // The spy does see traffic when no mirror is configured (the check above can fail).
    sb.set_env("GOMUX_DIST_SERVER", None);
    sb.set_env("GOMUX_HTTP_TIMEOUT", Some("2"));
    sb.gomux(["install", "1.22.3"]).fails();
    assert!(spy.total_requests() > 0);
}

#[test]
fn a_failed_auto_install_reads_like_the_proxy() {
    // The proxy hands a missing toolchain to `gomux install --for-proxy`; its failure is the
    // proxy's, so it starts with `gomux:` like every other proxy message, never `error:`.
    let mut sb = Sandbox::new();
    let down = dead_url();
    sb.set_env("GOMUX_DIST_SERVER", Some(&down));
    sb.write("proj/go.mod", "module p\n\ngo 1.22.3\n");
    let proj = sb.dir("proj");
    let out = sb.go(["version"]).current_dir(&proj).fails();
    let host = down.trim_start_matches("http://");
    assert!(
        out.stderr
            .lines()
            .any(|l| l.starts_with("gomux: cannot reach `") && l.contains(host)),
        "{out}"
    );
    assert!(out.stderr.contains("\nhint: "), "{out}");
    assert!(
        !out.stderr.lines().any(|l| l.starts_with("error:")),
        "{out}"
    );
    assert_nothing_left(&sb, "go1.22.3");
}

#[test]
fn file_mirrors_and_mirrors_without_an_index() {
    let mut sb = Sandbox::new();
    let mut dir = MirrorDir::new(sb.root.join("mirror"));
    dir.add("go1.22.3", &fake_sdk_tar_gz("go1.22.3", &fake_go()));
    dir.write_index();
    sb.set_env(
        "GOMUX_DIST_SERVER",
        Some(&format!("file://{}", dir.root().display())),
    );
    sb.gomux(["install", "latest"]).ok();
    let out = sb.proxy("go1.22.3", ["version"]).ok();
    assert!(out.stdout.starts_with("go version go1.22.3"), "{out}");

    // Over HTTP, without index.json: `.sha256` files verify exact versions.
    std::fs::remove_file(dir.root().join("index.json")).unwrap();
    dir.add(
        "go1.22.4",
        &fake_sdk_tar_gz("go1.22.4", &script_go("go1.22.4")),
    );
    dir.write_sha256_file(&host_archive_name("go1.22.4"));
    let mirror = Mirror::serve(dir.root());
    sb.set_env("GOMUX_DIST_SERVER", Some(&mirror.url()));
    sb.gomux(["install", "1.22.4"]).ok();
    assert_eq!(
        mirror.requests(&format!("{}.sha256", archive("go1.22.4"))),
        1
    );
    let out = sb.gomux(["install", "1.22"]).fails();
    assert!(out.stderr.contains("needs a release index"), "{out}");

    // Plain http to a host that is not loopback is refused before any request.
    sb.set_env("GOMUX_DIST_SERVER", Some("http://mirror.invalid/go"));
    let out = sb.gomux(["install", "1.22.5"]).fails();
    assert!(out.stderr.contains("GOMUX_DIST_ALLOW_HTTP"), "{out}");
}

fn hostile(name: &str, extra: Entry) -> Vec<u8> {
    let mut entries = fake_sdk_entries(name, &script_go(name));
    entries.insert(2, extra);
    tar_gz(&entries)
}

fn files_named(root: &Path, name: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(root) {
        for e in rd.flatten() {
            if e.file_name() == name {
                out.push(e.path());
            }
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                out.extend(files_named(&e.path(), name));
            }
        }
    }
    out
}

#[test]
fn hostile_archives_are_refused() {
    let cases = [
        ("dotdot", Entry::file("go/../../../evil", "x"), "`..`"),
        (
            "absolute",
            Entry::file("/tmp/gomux-e2e-evil/evil", "x"),
            "absolute",
        ),
        (
            "symlink",
            Entry::Symlink {
                path: "go/evil".into(),
                target: "/etc".into(),
            },
            "symbolic link",
        ),
        (
            "hardlink",
            Entry::HardLink {
                path: "go/evil".into(),
                target: "/etc/passwd".into(),
            },
            "hard link",
        ),
        (
            "device",
            Entry::CharDevice {
                path: "go/evil".into(),
            },
            "device node",
        ),
        (
            "duplicate",
            Entry::file("go/VERSION", "go1.22.3\n"),
            "twice",
        ),
        ("outside go/", Entry::file("evil", "x"), "outside `go/`"),
        (
            "bomb",
            Entry::Declared {
                path: "go/evil".into(),
                size: 64 << 30,
                data: vec![0; 1 << 16],
            },
            "declares 68719476736 bytes",
        ),
    ];
    let mut sb = Sandbox::new();
    for (what, entry, says) in cases {
        let mut dir = MirrorDir::new(sb.root.join(format!("mirror-{}", what.replace(' ', "-"))));
        dir.add("go1.22.3", &hostile("go1.22.3", entry));
        dir.write_index();
        sb.set_env(
            "GOMUX_DIST_SERVER",
            Some(&format!("file://{}", dir.root().display())),
        );
        let out = sb.gomux(["install", "1.22.3"]).fails();
        assert!(out.stderr.contains("is refused"), "{what}: {out}");
        assert!(out.stderr.contains(says), "{what}: {out}");
        assert_nothing_left(&sb, "go1.22.3");
        assert!(
            files_named(&sb.root, "evil").is_empty(),
            "{what}: something was written"
        );
        assert!(!Path::new("/tmp/gomux-e2e-evil").exists(), "{what}");
    }
}

#[test]
fn sixteen_proxies_at_once_download_once() {
    let (sb, _dir, mirror) = with_mirror(&["go1.22.3"]);
    let file = archive("go1.22.3");
    // Slow enough that the proxies really overlap.
    mirror.set_fault(
        &file,
        Fault::Slow {
            chunk: 64 * 1024,
            delay: Duration::from_millis(10),
        },
    );
    let gomod = sb.write("proj/go.mod", "module p\n\ngo 1.22.3\n");
    let proj = sb.dir("proj");
    let children: Vec<_> = (0..16)
        .map(|i| {
            sb.go(["build", &format!("./job{i}")])
                .current_dir(&proj)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("start a proxy")
        })
        .collect();
    for (i, child) in children.into_iter().enumerate() {
        let out = child.wait_with_output().expect("wait for a proxy");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success(),
            "proxy {i} failed:\n{stdout}\n{stderr}"
        );
        assert!(
            stdout.contains("version=go1.22.3"),
            "proxy {i}:\n{stdout}\n{stderr}"
        );
        assert!(
            stdout.contains(&format!("arg=./job{i}")),
            "proxy {i} ran with its own argv:\n{stdout}"
        );
        assert!(
            stderr.contains(&format!(
                "gomux: installing go1.22.3 (required by {}:3)",
                gomod.display()
            )),
            "proxy {i}:\n{stderr}"
        );
    }
    assert_eq!(mirror.requests(&file), 1, "exactly one download");
    assert_tmp_clean(&sb);
    // Later calls take the fast path: no install line.
    let out = sb.go(["build"]).current_dir(&proj).ok();
    assert!(!out.stderr.contains("installing"), "{out}");
}

#[test]
fn an_install_killed_midway_is_cleaned_up_by_the_next() {
    let (sb, _dir, mirror) = with_mirror(&["go1.22.3"]);
    let file = archive("go1.22.3");
    mirror.set_fault(
        &file,
        Fault::Slow {
            chunk: 4096,
            delay: Duration::from_millis(20),
        },
    );
    let mut child = sb
        .gomux(["install", "1.22.3"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start gomux install");
    let staging = sb.gomux_home.join("tmp").join("go1.22.3.staging");
    let started = Instant::now();
    while !staging.join("VERSION").exists() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the install never started unpacking"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "the install ended early"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    child.kill().expect("SIGKILL the install");
    child.wait().unwrap();
    assert!(
        staging.exists(),
        "the killed install left its staging folder"
    );
    assert!(!sb.gomux_home.join("toolchains/go1.22.3").exists());

    mirror.clear_faults();
    let out = sb.gomux(["install", "1.22.3"]).ok();
    assert!(out.stderr.contains("installed go1.22.3"), "{out}");
    assert_eq!(mirror.requests(&file), 2);
    assert!(!staging.exists());
    let out = sb.proxy("go1.22.3", ["version"]).ok();
    assert!(out.stdout.starts_with("go version go1.22.3"), "{out}");
}

#[test]
fn local_archives_need_a_hash() {
    let (sb, dir, mirror) = with_mirror(&["go1.22.3"]);
    let name = host_archive_name("go1.22.3");
    let local = dir.root().join(&name);
    let real = sha256_hex(&std::fs::read(&local).unwrap());

    let out = sb
        .gomux(["install", "--archive"])
        .arg(&local)
        .args(["--sha256", &"0".repeat(64)])
        .fails();
    assert!(out.stderr.contains("checksum mismatch"), "{out}");
    assert_nothing_left(&sb, "go1.22.3");

    sb.gomux(["install", "--archive"])
        .arg(&local)
        .args(["--sha256", &real])
        .ok();
    assert_eq!(
        mirror.requests(&archive("go1.22.3")),
        0,
        "nothing was downloaded"
    );
    sb.gomux(["uninstall", "go1.22.3"]).ok();

    // No hash: the release index's entry for the file verifies it.
    let out = sb.gomux(["install", "--archive"]).arg(&local).ok();
    assert!(out.stderr.contains("installed go1.22.3"), "{out}");
    sb.gomux(["uninstall", "go1.22.3"]).ok();

    // No hash and in no index: refused, unless explicitly allowed.
    let custom = sb.root.join("my-sdk.tar.gz");
    std::fs::copy(&local, &custom).unwrap();
    let out = sb
        .gomux(["install", "--archive"])
        .arg(&custom)
        .arg("go1.22.3")
        .fails();
    assert!(out.stderr.contains("no sha256 is known"), "{out}");
    assert!(out.stderr.contains("--allow-unverified"), "{out}");
    assert_nothing_left(&sb, "go1.22.3");
    sb.gomux(["install", "--allow-unverified", "--archive"])
        .arg(&custom)
        .arg("go1.22.3")
        .ok();
    let out = sb.proxy("go1.22.3", ["version"]).ok();
    assert!(out.stdout.starts_with("go version go1.22.3"), "{out}");
}

#[test]
fn uninstall_guards_the_default_and_links() {
    let (sb, _dir, _mirror) = with_mirror(&["go1.22.3"]);
    sb.gomux(["install", "1.22.3"]).ok();
    sb.gomux(["default", "1.22.3"]).ok();
    let out = sb.gomux(["uninstall", "1.22.3"]).fails();
    assert!(out.stderr.contains("is the default toolchain"), "{out}");
    assert!(out.stderr.contains("--force"), "{out}");
    assert!(sb.gomux_home.join("toolchains/go1.22.3/bin/go").is_file());
    sb.gomux(["uninstall", "--force", "1.22.3"]).ok();
    assert_nothing_left(&sb, "go1.22.3");

    let sdk = sb.link_fake("go1.21.5");
    let out = sb.gomux(["uninstall", "go1.21.5"]).ok();
    assert!(out.stderr.contains("unlinked go1.21.5"), "{out}");
    assert!(
        sdk.join("bin").join(exe("go")).is_file(),
        "the linked SDK is untouched"
    );
    let out = sb.gomux(["uninstall", "1.22"]).fails();
    assert!(out.stderr.contains("exact toolchain"), "{out}");
}

/// A static file server (Python's `http.server`, on loopback), killed when dropped.
pub(crate) struct StaticServer {
    child: std::process::Child,
    pub(crate) port: u16,
}

impl StaticServer {
    /// Serves `dir`; `None` (with the reason printed) when python3 cannot be started.
    pub(crate) fn start(dir: &Path) -> StaticServer {
        use std::io::BufRead as _;
        let mut child = std::process::Command::new("python3")
            .args([
                "-u",
                "-m",
                "http.server",
                "0",
                "--bind",
                "127.0.0.1",
                "--directory",
            ])
            .arg(dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 runs the static file server (CI installs it)");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout).lines() {
                let Ok(line) = line else { return };
                // "Serving HTTP on 127.0.0.1 port 40123 (http://127.0.0.1:40123/) ..."
                if let Some(port) = line
                    .split_once(" port ")
                    .and_then(|(_, rest)| rest.split_whitespace().next())
                    .and_then(|p| p.parse::<u16>().ok())
                {
                    let _ = tx.send(port);
                }
            }
        });
        let port = rx
            .recv_timeout(Duration::from_secs(20))
            .expect("the static file server says its port");
        StaticServer { child, port }
    }
}

impl Drop for StaticServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A mirror that is a plain static file server answers the index query with a folder listing:
/// gomux falls back to the `index.json` beside the archives, with no `GOMUX_DIST_INDEX`.
#[test]
fn a_static_file_server_is_a_mirror_without_dist_index() {
    let (mut sb, dir, _mirror) = with_mirror(&["go1.22.3"]);
    let server = StaticServer::start(dir.root());
    sb.set_env(
        "GOMUX_DIST_SERVER",
        Some(&format!("http://127.0.0.1:{}/", server.port)),
    );
    let out = sb.gomux(["install", "1.22.3"]).ok();
    assert!(
        sb.gomux_home.join("toolchains/go1.22.3/bin").is_dir(),
        "{out}"
    );
    let out = sb.gomux(["list", "--remote"]).ok();
    assert!(out.stdout.contains("1.22.3"), "{out}");
}

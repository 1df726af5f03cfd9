//! The install pipeline against a local mirror (loopback HTTP and `file://`), with injected
//! faults and hostile archives. Every failing install must leave no toolchain and nothing in
//! `tmp/` but lock files.

// Test code: a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use gomux_dist::{
    Dist, DistError, Installed, Limits, Options, Platform, Removed, Source, Spec, Verify, uninstall,
};
use gomux_home::Home;
use gomux_tests::mirror::{
    Entry, Fault, INDEX_PATH, Mirror, MirrorDir, dead_url, fake_sdk_entries, fake_sdk_tar_gz,
    host_archive_name, script_go, sha256_hex, tar_gz,
};

struct Setup {
    _dir: tempfile::TempDir,
    root: PathBuf,
    home: Home,
    mirror: MirrorDir,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    let home = Home::new(root.join("gomux-home"));
    let mirror = MirrorDir::new(root.join("mirror"));
    Setup {
        _dir: dir,
        root,
        home,
        mirror,
    }
}

fn options() -> Options {
    Options {
        http_timeout: Duration::from_secs(5),
        lock_timeout: Duration::from_secs(60),
        backoff: Duration::from_millis(10),
        ..Options::default()
    }
}

fn host() -> Platform {
    Platform::host().expect("a platform with Go releases")
}

fn dist_for(home: &Home, server: &str, options: Options) -> Dist {
    let source = Source::new(Some((server, "test")), None, false).unwrap();
    Dist::new(home.clone(), source, host(), options)
}

fn archive_path(name: &str) -> String {
    format!("/{}", host_archive_name(name))
}

/// Nothing but lock files in `tmp/`, and no toolchain called `name`.
fn assert_clean(home: &Home, name: &str) {
    assert!(
        std::fs::symlink_metadata(home.toolchain_dir(name)).is_err(),
        "{name} must not be installed"
    );
    if let Ok(rd) = std::fs::read_dir(home.tmp_dir()) {
        let left: Vec<String> = rd
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| !n.ends_with(".lock") && n != gomux_home::fsx::FOLDER_MARKER.file)
            .collect();
        assert!(left.is_empty(), "left behind in tmp/: {left:?}");
    }
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

#[test]
fn installs_reinstalls_and_uninstalls() {
    let mut s = setup();
    s.mirror.add_fake("go1.22.3");
    s.mirror.write_index();
    let m = Mirror::serve(s.mirror.root());
    let dist = dist_for(&s.home, &m.url(), options());

    let got = dist.install("go1.22.3").unwrap();
    assert_eq!(
        got,
        Installed {
            name: "go1.22.3".into(),
            dir: s.home.toolchain_dir("go1.22.3"),
            fresh: true
        }
    );
    let root = s.home.toolchain_root("go1.22.3").expect("installed");
    assert_eq!(gomux_home::read_version_file(&root).unwrap(), "go1.22.3");
    #[cfg(unix)]
    {
        assert_eq!(mode(&root.join("bin/go")) & 0o111, 0o111);
        assert_eq!(mode(&root.join("src/go.mod")) & 0o111, 0);
        assert_eq!(mode(&root.join("src/go.mod")) & 0o7000, 0);
    }
    assert_eq!(m.requests(&archive_path("go1.22.3")), 1);
    assert_clean_tmp(&s.home);

    let again = dist.install("go1.22.3").unwrap();
    assert!(!again.fresh);
    assert_eq!(
        m.requests(&archive_path("go1.22.3")),
        1,
        "a reinstall is a no-op"
    );

    let removed = uninstall(&s.home, "go1.22.3", &options(), &|_| {}).unwrap();
    assert_eq!(removed, Removed::Deleted(s.home.toolchain_dir("go1.22.3")));
    assert_clean(&s.home, "go1.22.3");
    let e = uninstall(&s.home, "go1.22.3", &options(), &|_| {}).unwrap_err();
    assert!(matches!(e, DistError::NotInstalled { .. }), "{e}");
}

fn assert_clean_tmp(home: &Home) {
    let left: Vec<String> = std::fs::read_dir(home.tmp_dir())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !n.ends_with(".lock") && n != gomux_home::fsx::FOLDER_MARKER.file)
        .collect();
    assert!(left.is_empty(), "left behind in tmp/: {left:?}");
}

#[test]
fn partial_and_latest_resolve_against_the_index() {
    let mut s = setup();
    for v in ["go1.22.1", "go1.22.3", "go1.23.0", "go1.24rc1", "go1.21.13"] {
        s.mirror.add_fake(v);
    }
    s.mirror.write_index();
    let m = Mirror::serve(s.mirror.root());
    let dist = dist_for(&s.home, &m.url(), options());
    let resolve = |spec: &str| dist.resolve(&Spec::parse(spec).unwrap());
    assert_eq!(resolve("1.22").unwrap(), "go1.22.3");
    assert_eq!(resolve("go1.21").unwrap(), "go1.21.13");
    assert_eq!(resolve("latest").unwrap(), "go1.23.0");
    assert_eq!(resolve("1.24rc1").unwrap(), "go1.24rc1");
    let e = resolve("1.24").unwrap_err();
    assert!(matches!(e, DistError::NoMatch { .. }), "{e}");
    // Exact versions need no index to resolve.
    assert_eq!(resolve("1.25.0").unwrap(), "go1.25.0");
    // The index was fetched once and then served from the cache.
    assert_eq!(m.requests(INDEX_PATH), 1);

    let e = dist.install("go1.99.0").unwrap_err();
    assert!(matches!(e, DistError::UnknownVersion { .. }), "{e}");
    assert!(e.to_string().contains("go1.99.0"), "{e}");
    // A name missing from a fresh cached index makes gomux ask the server again.
    assert_eq!(m.requests(INDEX_PATH), 2);
    assert_clean(&s.home, "go1.99.0");

    let name = resolve("1.22").unwrap();
    dist.install(&name).unwrap();
    assert!(s.home.toolchain_root("go1.22.3").is_some());
}

#[test]
fn cached_index_belongs_to_its_url() {
    let mut s = setup();
    s.mirror.add_fake("go1.22.3");
    s.mirror.write_index();
    let a = Mirror::serve(s.mirror.root());
    let b = Mirror::serve(s.mirror.root());
    dist_for(&s.home, &a.url(), options()).index().unwrap();
    dist_for(&s.home, &a.url(), options()).index().unwrap();
    assert_eq!(a.requests(INDEX_PATH), 1);
    dist_for(&s.home, &b.url(), options()).index().unwrap();
    assert_eq!(
        b.requests(INDEX_PATH),
        1,
        "another mirror's cache is not used"
    );
    let expired = Options {
        index_max_age: Duration::ZERO,
        ..options()
    };
    dist_for(&s.home, &b.url(), expired).index().unwrap();
    assert_eq!(b.requests(INDEX_PATH), 2);
}

#[test]
fn checksum_mismatch_installs_nothing() {
    let mut s = setup();
    let file = s.mirror.add_fake("go1.22.3");
    s.mirror.write_index();
    let m = Mirror::serve(s.mirror.root());
    m.set_fault(&file, Fault::WrongBytes);
    let dist = dist_for(&s.home, &m.url(), options());
    let e = dist.install("go1.22.3").unwrap_err();
    let DistError::ChecksumMismatch {
        file: f,
        url,
        expected,
        actual,
    } = &e
    else {
        panic!("expected a checksum mismatch, got {e}");
    };
    assert_eq!(f, &file);
    assert_eq!(url, &m.url_for(&file));
    let real = sha256_hex(&std::fs::read(s.mirror.root().join(&file)).unwrap());
    assert_eq!(expected, &real);
    assert_ne!(actual, &real);
    let msg = e.to_string();
    assert!(
        msg.contains(&real) && msg.contains(actual.as_str()),
        "{msg}"
    );
    assert_eq!(m.requests(&file), 1, "a checksum mismatch is not retried");
    assert_clean(&s.home, "go1.22.3");
}

#[test]
fn wrong_hash_in_the_index_installs_nothing() {
    let mut s = setup();
    let bytes = fake_sdk_tar_gz("go1.22.3", &script_go("go1.22.3"));
    let file = host_archive_name("go1.22.3");
    s.mirror
        .add_file("go1.22.3", &file, &bytes, &"0".repeat(64));
    s.mirror.write_index();
    let dist = dist_for(
        &s.home,
        &format!("file://{}", s.mirror.root().display()),
        options(),
    );
    let e = dist.install("go1.22.3").unwrap_err();
    assert!(matches!(e, DistError::ChecksumMismatch { .. }), "{e}");
    assert_clean(&s.home, "go1.22.3");
}

#[test]
fn truncated_body_is_retried_then_fails() {
    let mut s = setup();
    let file = s.mirror.add_fake("go1.22.3");
    s.mirror.write_index();
    let m = Mirror::serve(s.mirror.root());
    m.set_fault(&file, Fault::Truncate { after: 100 });
    let dist = dist_for(&s.home, &m.url(), options());
    let e = dist.install("go1.22.3").unwrap_err();
    assert!(matches!(e, DistError::Interrupted { .. }), "{e}");
    assert!(e.to_string().contains(&m.url_for(&file)), "{e}");
    assert_eq!(m.requests(&file), 3, "tried three times");
    assert_clean(&s.home, "go1.22.3");
}

#[test]
fn connection_reset_is_retried_then_fails() {
    let mut s = setup();
    let file = s.mirror.add_fake("go1.22.3");
    s.mirror.write_index();
    let m = Mirror::serve(s.mirror.root());
    m.set_fault(&file, Fault::Reset { after: 50 });
    let dist = dist_for(&s.home, &m.url(), options());
    let e = dist.install("go1.22.3").unwrap_err();
    assert!(e.is_transient(), "{e:?}");
    assert_eq!(m.requests(&file), 3);
    assert_clean(&s.home, "go1.22.3");
}

#[test]
fn not_found_names_version_and_platform() {
    let mut s = setup();
    let file = s.mirror.add_fake("go1.22.3");
    s.mirror.write_index();
    let m = Mirror::serve(s.mirror.root());
    m.set_fault(&file, Fault::NotFound);
    let dist = dist_for(&s.home, &m.url(), options());
    let e = dist.install("go1.22.3").unwrap_err();
    assert!(matches!(e, DistError::NotFound { .. }), "{e}");
    let msg = e.to_string();
    assert!(msg.contains("404") && msg.contains("go1.22.3"), "{msg}");
    assert!(msg.contains(&host().to_string()), "{msg}");
    assert_eq!(m.requests(&file), 1, "a 404 is not retried");
    assert_clean(&s.home, "go1.22.3");
}

#[test]
fn server_errors_are_retried_until_success() {
    let mut s = setup();
    let file = s.mirror.add_fake("go1.22.3");
    s.mirror.write_index();
    let m = Mirror::serve(s.mirror.root());
    m.set_fault(&file, Fault::ServerError { times: 2 });
    let said = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&said);
    let dist = dist_for(&s.home, &m.url(), options())
        .with_notify(move |msg| sink.lock().unwrap().push(msg.to_string()));
    assert!(dist.install("go1.22.3").unwrap().fresh);
    assert_eq!(m.requests(&file), 3);
    let said = said.lock().unwrap();
    assert_eq!(said.len(), 2, "{said:?}");
    assert!(said[0].contains("500"), "{said:?}");
    assert_clean_tmp(&s.home);
}

#[test]
fn too_many_server_errors_fail() {
    let mut s = setup();
    let file = s.mirror.add_fake("go1.22.3");
    s.mirror.write_index();
    let m = Mirror::serve(s.mirror.root());
    m.set_fault(&file, Fault::ServerError { times: 5 });
    let dist = dist_for(&s.home, &m.url(), options());
    let e = dist.install("go1.22.3").unwrap_err();
    assert!(matches!(e, DistError::Status { status: 500, .. }), "{e}");
    assert_eq!(m.requests(&file), 3);
    assert_clean(&s.home, "go1.22.3");
}

#[test]
fn stalled_server_times_out() {
    let mut s = setup();
    let file = s.mirror.add_fake("go1.22.3");
    s.mirror.write_index();
    let m = Mirror::serve(s.mirror.root());
    m.set_fault(&file, Fault::Stall);
    let opts = Options {
        http_timeout: Duration::from_millis(500),
        attempts: 2,
        ..options()
    };
    let dist = dist_for(&s.home, &m.url(), opts);
    let e = dist.install("go1.22.3").unwrap_err();
    assert!(matches!(e, DistError::Timeout { .. }), "{e}");
    let host = m.url().trim_start_matches("http://").to_string();
    assert!(e.to_string().contains(&host), "{e}");
    assert!(
        e.hints().iter().any(|h| h.contains("GOMUX_HTTP_TIMEOUT")),
        "{:?}",
        e.hints()
    );
    assert_eq!(m.requests(&file), 2);
    assert_clean(&s.home, "go1.22.3");
}

#[test]
fn slow_but_moving_download_succeeds() {
    let mut s = setup();
    let file = s.mirror.add_fake("go1.22.3");
    s.mirror.write_index();
    let m = Mirror::serve(s.mirror.root());
    m.set_fault(
        &file,
        Fault::Slow {
            chunk: 64,
            delay: Duration::from_millis(2),
        },
    );
    let opts = Options {
        http_timeout: Duration::from_millis(500),
        ..options()
    };
    dist_for(&s.home, &m.url(), opts)
        .install("go1.22.3")
        .unwrap();
    assert_eq!(m.requests(&file), 1);
}

#[test]
fn mirror_down_names_the_host_and_installs_nothing() {
    let s = setup();
    let url = dead_url();
    let dist = dist_for(&s.home, &url, options());
    let e = dist.install("go1.22.3").unwrap_err();
    assert!(matches!(e, DistError::Network { .. }), "{e}");
    assert!(
        e.to_string().contains(url.trim_start_matches("http://")),
        "{e}"
    );
    assert_clean(&s.home, "go1.22.3");
}

#[test]
fn file_mirror_with_index() {
    let mut s = setup();
    s.mirror.add_fake("go1.22.3");
    s.mirror.write_index();
    let dist = dist_for(
        &s.home,
        &format!("file://{}", s.mirror.root().display()),
        options(),
    );
    assert_eq!(dist.resolve(&Spec::Latest).unwrap(), "go1.22.3");
    assert!(dist.install("go1.22.3").unwrap().fresh);
    assert!(s.home.toolchain_root("go1.22.3").is_some());
}

#[test]
fn mirror_without_index_uses_sha256_files() {
    let mut s = setup();
    let file = s.mirror.add_fake("go1.22.3");
    s.mirror.write_sha256_file(&file);
    s.mirror.add_fake("go1.22.4");
    // No index.json at all.
    let m = Mirror::serve(s.mirror.root());
    let dist = dist_for(&s.home, &m.url(), options());
    assert!(dist.install("go1.22.3").unwrap().fresh);
    assert_eq!(
        m.requests(&format!("{}.sha256", archive_path("go1.22.3"))),
        1
    );

    let e = dist.install("go1.22.4").unwrap_err();
    assert!(matches!(e, DistError::Unverified { .. }), "{e}");
    assert_clean(&s.home, "go1.22.4");
    assert_eq!(
        m.requests(&archive_path("go1.22.4")),
        0,
        "nothing unverifiable is downloaded"
    );

    let e = dist.resolve(&Spec::parse("1.22").unwrap()).unwrap_err();
    assert!(matches!(e, DistError::NoIndex { .. }), "{e}");
}

/// Installs `entries` (as a tar.gz listed with its true hash) and returns the error.
fn install_hostile(entries: &[Entry]) -> (DistError, Setup) {
    let mut s = setup();
    let bytes = tar_gz(entries);
    s.mirror.add("go1.22.3", &bytes);
    s.mirror.write_index();
    let dist = dist_for(
        &s.home,
        &format!("file://{}", s.mirror.root().display()),
        options(),
    );
    let e = dist.install("go1.22.3").unwrap_err();
    assert_clean(&s.home, "go1.22.3");
    (e, s)
}

fn files_named(root: &Path, name: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(rd) = std::fs::read_dir(root) else {
        return out;
    };
    for e in rd.flatten() {
        let p = e.path();
        if e.file_name() == name {
            out.push(p.clone());
        }
        if e.file_type().map(|t| t.is_dir()).unwrap_or(false) {
            out.extend(files_named(&p, name));
        }
    }
    out
}

#[test]
fn hostile_archives_are_refused() {
    let sdk = || fake_sdk_entries("go1.22.3", &script_go("go1.22.3"));
    let with = |extra: Entry| {
        let mut e = sdk();
        e.insert(2, extra);
        e
    };
    let cases: Vec<(&str, Vec<Entry>, &str)> = vec![
        ("dotdot", with(Entry::file("go/../../evil", "x")), "`..`"),
        ("leading dotdot", with(Entry::file("../evil", "x")), "`..`"),
        ("absolute", with(Entry::file("/tmp/evil", "x")), "absolute"),
        (
            "symlink",
            with(Entry::Symlink {
                path: "go/bin/evil".into(),
                target: "/etc/passwd".into(),
            }),
            "symbolic link",
        ),
        (
            "hardlink",
            with(Entry::HardLink {
                path: "go/evil".into(),
                target: "go/VERSION".into(),
            }),
            "hard link",
        ),
        (
            "device",
            with(Entry::CharDevice {
                path: "go/evil".into(),
            }),
            "device",
        ),
        (
            "duplicate",
            with(Entry::file("go/VERSION", "go1.22.3\n")),
            "twice",
        ),
        (
            "outside go/",
            with(Entry::file("evil/x", "x")),
            "outside `go/`",
        ),
        (
            "bomb",
            with(Entry::Declared {
                path: "go/evil".into(),
                size: 3 << 30,
                data: vec![0; 4096],
            }),
            "declares 3221225472 bytes",
        ),
    ];
    for (what, entries, reason) in cases {
        let (e, s) = install_hostile(&entries);
        assert!(
            matches!(e, DistError::Hostile { .. }),
            "{what}: expected a refusal, got {e}"
        );
        assert!(e.to_string().contains(reason), "{what}: {e}");
        assert!(
            files_named(&s.root, "evil").is_empty(),
            "{what}: something was written: {:?}",
            files_named(&s.root, "evil")
        );
    }
}

#[test]
fn archive_must_hold_the_expected_toolchain() {
    let (e, _s) = install_hostile(&fake_sdk_entries("go1.22.4", b"#!/bin/sh\n"));
    assert!(matches!(e, DistError::WrongVersion { .. }), "{e}");
    assert!(e.to_string().contains("go1.22.4"), "{e}");
    let (e, _s) = install_hostile(&[Entry::dir("go/"), Entry::file("go/VERSION", "go1.22.3\n")]);
    assert!(matches!(e, DistError::Corrupt { .. }), "{e}");
    let (e, _s) = install_hostile(&[Entry::file("go/bin/go", "x")]);
    assert!(matches!(e, DistError::WrongVersion { .. }), "{e}");
}

#[test]
fn limits_cap_size_and_entries() {
    let mut s = setup();
    let mut entries = fake_sdk_entries("go1.22.3", &script_go("go1.22.3"));
    for i in 0..10 {
        entries.push(Entry::file(&format!("go/src/f{i}.go"), vec![b'x'; 200]));
    }
    let bytes = tar_gz(&entries);
    s.mirror.add("go1.22.3", &bytes);
    s.mirror.write_index();
    let server = format!("file://{}", s.mirror.root().display());
    let tight = |limits: Limits| {
        dist_for(
            &s.home,
            &server,
            Options {
                limits,
                ..options()
            },
        )
    };
    let e = tight(Limits {
        max_total: 1000,
        ..Limits::default()
    })
    .install("go1.22.3")
    .unwrap_err();
    assert!(e.to_string().contains("past 1000 unpacked bytes"), "{e}");
    let e = tight(Limits {
        max_entries: 12,
        ..Limits::default()
    })
    .install("go1.22.3")
    .unwrap_err();
    assert!(e.to_string().contains("past 12 entries"), "{e}");
    let e = tight(Limits {
        max_file: 100,
        ..Limits::default()
    })
    .install("go1.22.3")
    .unwrap_err();
    assert!(e.to_string().contains("one file"), "{e}");
    assert_clean(&s.home, "go1.22.3");
    tight(Limits::default()).install("go1.22.3").unwrap();
}

fn zip_of(build: impl FnOnce(&mut zip::ZipWriter<std::io::Cursor<Vec<u8>>>)) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    build(&mut w);
    w.finish().unwrap().into_inner()
}

fn zip_sdk(w: &mut zip::ZipWriter<std::io::Cursor<Vec<u8>>>, name: &str) {
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    w.add_directory("go/", opts).unwrap();
    w.start_file("go/VERSION", opts).unwrap();
    w.write_all(format!("{name}\ntime 2024-05-01T00:00:00Z\n").as_bytes())
        .unwrap();
    w.add_directory("go/bin/", opts).unwrap();
    w.start_file("go/bin/go", opts.unix_permissions(0o755))
        .unwrap();
    w.write_all(&script_go(name)).unwrap();
}

fn windows_dist(s: &mut Setup, bytes: &[u8]) -> Dist {
    let file = "go1.22.3.windows-amd64.zip";
    let windows = Platform::new("windows", "amd64");
    let mut f = gomux_tests::mirror::IndexFile {
        filename: file.into(),
        os: "windows".into(),
        arch: "amd64".into(),
        sha256: sha256_hex(bytes),
        size: bytes.len() as u64,
        kind: "archive".into(),
    };
    std::fs::write(s.mirror.root().join(file), bytes).unwrap();
    f.size = bytes.len() as u64;
    s.mirror.add_index_entry("go1.22.3", f);
    s.mirror.write_index();
    let source = Source::new(
        Some((&format!("file://{}", s.mirror.root().display()), "test")),
        None,
        false,
    )
    .unwrap();
    Dist::new(s.home.clone(), source, windows, options())
}

#[test]
fn zip_archives_go_through_the_same_policy() {
    let mut s = setup();
    let good = zip_of(|w| zip_sdk(w, "go1.22.3"));
    let dist = windows_dist(&mut s, &good);
    let got = dist.install("go1.22.3").unwrap();
    assert!(got.fresh);
    #[cfg(unix)]
    {
        assert_eq!(mode(&got.dir.join("bin/go")) & 0o111, 0o111);
        assert_eq!(mode(&got.dir.join("VERSION")) & 0o111, 0);
    }
    assert_clean_tmp(&s.home);

    let opts = zip::write::SimpleFileOptions::default();
    type Build = Box<dyn FnOnce(&mut zip::ZipWriter<std::io::Cursor<Vec<u8>>>)>;
    let cases: Vec<(&str, Build, &str)> = vec![
        (
            "dotdot",
            Box::new(move |w| {
                zip_sdk(w, "go1.22.3");
                w.start_file("go/../../evil", opts).unwrap();
                w.write_all(b"x").unwrap();
            }),
            "`..`",
        ),
        (
            "absolute",
            Box::new(move |w| {
                zip_sdk(w, "go1.22.3");
                w.start_file("/tmp/evil", opts).unwrap();
                w.write_all(b"x").unwrap();
            }),
            "absolute",
        ),
        (
            "symlink",
            Box::new(move |w| {
                zip_sdk(w, "go1.22.3");
                w.add_symlink("go/bin/evil", "/etc/passwd", opts).unwrap();
            }),
            "symbolic link",
        ),
        (
            "outside",
            Box::new(move |w| {
                zip_sdk(w, "go1.22.3");
                w.start_file("evil", opts).unwrap();
                w.write_all(b"x").unwrap();
            }),
            "outside `go/`",
        ),
    ];
    for (what, build, reason) in cases {
        let mut s = setup();
        let bytes = zip_of(build);
        let dist = windows_dist(&mut s, &bytes);
        let e = dist.install("go1.22.3").unwrap_err();
        assert!(
            matches!(e, DistError::Hostile { .. }) && e.to_string().contains(reason),
            "{what}: {e}"
        );
        assert_clean(&s.home, "go1.22.3");
        assert!(files_named(&s.root, "evil").is_empty(), "{what}");
    }
}

#[test]
fn local_archives_are_verified() {
    let mut s = setup();
    let bytes = fake_sdk_tar_gz("go1.22.3", &script_go("go1.22.3"));
    let name = host_archive_name("go1.22.3");
    let local = s.root.join(&name);
    std::fs::write(&local, &bytes).unwrap();
    let real = sha256_hex(&bytes);
    // Listed in the mirror's index, for the no-hash case.
    s.mirror.add("go1.22.3", &bytes);
    s.mirror.write_index();
    let m = Mirror::serve(s.mirror.root());
    let dist = dist_for(&s.home, &m.url(), options());

    let e = dist
        .install_archive(&local, None, &Verify::Sha256("ab".repeat(32)))
        .unwrap_err();
    assert!(matches!(e, DistError::ChecksumMismatch { .. }), "{e}");
    assert!(e.to_string().contains(&local.display().to_string()), "{e}");
    assert_clean(&s.home, "go1.22.3");
    let e = dist
        .install_archive(&local, None, &Verify::Sha256("xyz".into()))
        .unwrap_err();
    assert!(matches!(e, DistError::BadChecksum { .. }), "{e}");

    let got = dist
        .install_archive(&local, None, &Verify::Sha256(real.to_uppercase()))
        .unwrap();
    assert!(got.fresh);
    assert_eq!(
        m.requests(&archive_path("go1.22.3")),
        0,
        "nothing downloaded"
    );
    uninstall(&s.home, "go1.22.3", &options(), &|_| {}).unwrap();

    // No hash: the index's entry for the file name verifies it.
    assert!(
        dist.install_archive(&local, None, &Verify::Index)
            .unwrap()
            .fresh
    );
    uninstall(&s.home, "go1.22.3", &options(), &|_| {}).unwrap();

    // No hash and not in any index: refused unless explicitly unverified.
    let other = s.root.join("custom-sdk.tar.gz");
    std::fs::write(&other, fake_sdk_tar_gz("go1.22.3", &script_go("go1.22.3"))).unwrap();
    let e = dist
        .install_archive(&other, None, &Verify::Index)
        .unwrap_err();
    assert!(matches!(e, DistError::UnnamedArchive { .. }), "{e}");
    let e = dist
        .install_archive(&other, Some("go1.22.3"), &Verify::Index)
        .unwrap_err();
    assert!(matches!(e, DistError::Unverified { .. }), "{e}");
    assert_clean(&s.home, "go1.22.3");
    assert!(
        dist.install_archive(&other, Some("go1.22.3"), &Verify::Unverified)
            .unwrap()
            .fresh
    );

    let foreign = s.root.join("go1.22.3.plan9-386.tar.gz");
    std::fs::write(&foreign, b"whatever").unwrap();
    let e = dist
        .install_archive(&foreign, None, &Verify::Unverified)
        .unwrap_err();
    assert!(matches!(e, DistError::WrongPlatform { .. }), "{e}");
}

#[test]
fn concurrent_installs_download_once() {
    let mut s = setup();
    let file = s.mirror.add_fake("go1.22.3");
    s.mirror.write_index();
    let m = Mirror::serve(s.mirror.root());
    m.set_fault(
        &file,
        Fault::Slow {
            chunk: 256,
            delay: Duration::from_millis(1),
        },
    );
    let url = m.url();
    let results: Vec<Installed> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let home = s.home.clone();
                let url = url.clone();
                scope.spawn(move || dist_for(&home, &url, options()).install("go1.22.3"))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap().unwrap())
            .collect()
    });
    assert_eq!(results.iter().filter(|r| r.fresh).count(), 1);
    assert_eq!(m.requests(&file), 1, "exactly one download");
    assert!(s.home.toolchain_root("go1.22.3").is_some());
    assert_clean_tmp(&s.home);
}

#[test]
fn a_waiter_says_so_and_proceeds_when_the_lock_is_free() {
    let mut s = setup();
    s.mirror.add_fake("go1.22.3");
    s.mirror.write_index();
    let server = format!("file://{}", s.mirror.root().display());
    let lock_path = s.home.lock_file("go1.22.3");
    let held = gomux_dist::lock::try_acquire(&lock_path, gomux_dist::Operation::Install)
        .unwrap()
        .unwrap();
    let (tx, rx) = mpsc::channel::<String>();
    let tx = Mutex::new(tx);
    let dist = dist_for(&s.home, &server, options()).with_notify(move |m| {
        let _ = tx.lock().unwrap().send(m.to_string());
    });
    std::thread::scope(|scope| {
        let h = scope.spawn(|| dist.install("go1.22.3"));
        let msg = rx.recv_timeout(Duration::from_secs(30)).unwrap();
        assert!(msg.contains("waiting for another gomux"), "{msg}");
        assert!(msg.contains(&lock_path.display().to_string()), "{msg}");
        assert!(msg.contains("GOMUX_LOCK_TIMEOUT"), "{msg}");
        drop(held);
        assert!(h.join().unwrap().unwrap().fresh);
    });

    let held = gomux_dist::lock::try_acquire(
        &s.home.lock_file("go1.22.4"),
        gomux_dist::Operation::Install,
    )
    .unwrap();
    let quick = Options {
        lock_timeout: Duration::from_millis(200),
        ..options()
    };
    let e = dist_for(&s.home, &server, quick)
        .install("go1.22.4")
        .unwrap_err();
    assert!(matches!(e, DistError::LockTimeout { .. }), "{e}");
    assert!(e.hints().iter().any(|h| h.contains("GOMUX_LOCK_TIMEOUT")));
    drop(held);
}

#[test]
fn leftovers_of_crashed_installs_are_cleaned() {
    let mut s = setup();
    s.mirror.add_fake("go1.22.3");
    s.mirror.write_index();
    let tmp = s.home.tmp_dir();
    std::fs::create_dir_all(tmp.join("go1.22.3.staging/bin")).unwrap();
    std::fs::write(tmp.join("go1.22.3.staging/bin/go"), "half").unwrap();
    std::fs::write(tmp.join("go1.21.0.download"), "partial").unwrap();
    std::fs::create_dir_all(tmp.join("go1.20.staging")).unwrap();
    // go1.20 is being installed by someone else right now: its staging stays.
    let busy =
        gomux_dist::lock::try_acquire(&s.home.lock_file("go1.20"), gomux_dist::Operation::Install)
            .unwrap()
            .unwrap();
    let server = format!("file://{}", s.mirror.root().display());
    dist_for(&s.home, &server, options())
        .install("go1.22.3")
        .unwrap();
    assert!(!tmp.join("go1.22.3.staging").exists());
    assert!(!tmp.join("go1.21.0.download").exists());
    assert!(tmp.join("go1.20.staging").exists());
    drop(busy);
}

#[cfg(unix)]
#[test]
fn uninstall_of_a_link_keeps_the_sdk() {
    let s = setup();
    let sdk = s.root.join("elsewhere/sdk");
    std::fs::create_dir_all(sdk.join("bin")).unwrap();
    std::fs::write(sdk.join("bin/go"), "x").unwrap();
    std::fs::write(sdk.join("VERSION"), "go1.21.0\n").unwrap();
    std::fs::create_dir_all(s.home.toolchains_dir()).unwrap();
    std::os::unix::fs::symlink(&sdk, s.home.toolchain_dir("go1.21.0")).unwrap();
    let r = uninstall(&s.home, "go1.21.0", &options(), &|_| {}).unwrap();
    assert_eq!(r, Removed::Unlinked(s.home.toolchain_dir("go1.21.0")));
    assert!(sdk.join("bin/go").is_file(), "the linked SDK is untouched");
    assert!(std::fs::symlink_metadata(s.home.toolchain_dir("go1.21.0")).is_err());
}

/// What `gomux link` makes on Windows: a link file, removed by uninstall, the SDK untouched.
#[test]
fn uninstall_of_a_link_file_keeps_the_sdk() {
    let s = setup();
    let sdk = s.root.join("elsewhere/sdk");
    std::fs::create_dir_all(sdk.join("bin")).unwrap();
    std::fs::write(gomux_home::sdk_tool(&sdk, "go"), "x").unwrap();
    std::fs::write(sdk.join("VERSION"), "go1.21.0\n").unwrap();
    std::fs::create_dir_all(s.home.toolchains_dir()).unwrap();
    s.home.write_link_file("go1.21.0", &sdk).unwrap();
    assert_eq!(s.home.toolchain_root("go1.21.0"), Some(sdk.clone()));
    let r = uninstall(&s.home, "go1.21.0", &options(), &|_| {}).unwrap();
    assert_eq!(r, Removed::Unlinked(s.home.toolchain_dir("go1.21.0")));
    assert!(
        gomux_home::sdk_tool(&sdk, "go").is_file(),
        "the linked SDK is untouched"
    );
    assert!(std::fs::symlink_metadata(s.home.toolchain_dir("go1.21.0")).is_err());
}

#[test]
fn an_occupied_toolchain_folder_is_not_overwritten() {
    let mut s = setup();
    s.mirror.add_fake("go1.22.3");
    s.mirror.write_index();
    let dir = s.home.toolchain_dir("go1.22.3");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("notes.txt"), "mine").unwrap();
    let server = format!("file://{}", s.mirror.root().display());
    let e = dist_for(&s.home, &server, options())
        .install("go1.22.3")
        .unwrap_err();
    assert!(matches!(e, DistError::Occupied { .. }), "{e}");
    assert!(dir.join("notes.txt").is_file());
}

#[test]
fn io_errors_name_the_folder_and_what_to_do() {
    let full = DistError::Io {
        op: "write",
        path: PathBuf::from("/data/gomux/tmp/go1.22.3.staging/bin/go"),
        source: std::io::Error::from(std::io::ErrorKind::StorageFull),
    };
    assert!(full.to_string().contains("disk is full"), "{full}");
    assert!(
        full.to_string()
            .contains("/data/gomux/tmp/go1.22.3.staging/bin/go")
    );
    assert!(
        full.hints()[0].contains("free some space"),
        "{:?}",
        full.hints()
    );
    let denied = DistError::Io {
        op: "create the folder",
        path: PathBuf::from("/opt/gomux/tmp"),
        source: std::io::Error::from(std::io::ErrorKind::PermissionDenied),
    };
    assert!(denied.to_string().contains("permission denied"), "{denied}");
    assert!(
        denied.hints()[0].contains("`/opt/gomux`"),
        "{:?}",
        denied.hints()
    );
}

#[cfg(unix)]
#[test]
fn unwritable_home_is_reported_with_its_folder() {
    use std::os::unix::fs::PermissionsExt;
    let mut s = setup();
    s.mirror.add_fake("go1.22.3");
    s.mirror.write_index();
    let home_root = s.home.root().to_path_buf();
    std::fs::create_dir_all(&home_root).unwrap();
    std::fs::set_permissions(&home_root, std::fs::Permissions::from_mode(0o555)).unwrap();
    if std::fs::create_dir(home_root.join("probe")).is_ok() {
        // Running as root: permissions do not apply, nothing to test here.
        std::fs::set_permissions(&home_root, std::fs::Permissions::from_mode(0o755)).unwrap();
        return;
    }
    let server = format!("file://{}", s.mirror.root().display());
    let e = dist_for(&s.home, &server, options())
        .install("go1.22.3")
        .unwrap_err();
    std::fs::set_permissions(&home_root, std::fs::Permissions::from_mode(0o755)).unwrap();
    assert!(e.to_string().contains("permission denied"), "{e}");
    assert!(
        e.hints()[0].contains(&home_root.display().to_string()),
        "{:?}",
        e.hints()
    );
}

#[test]
fn redirects_stay_on_allowed_schemes() {
    let mut s = setup();
    let file = s.mirror.add_fake("go1.22.3");
    s.mirror.write_index();
    let m = Mirror::serve(s.mirror.root());
    // A redirect to another loopback path is followed.
    std::fs::copy(
        s.mirror.root().join(&file),
        s.mirror.root().join("elsewhere.tar.gz"),
    )
    .unwrap();
    m.set_fault(
        &file,
        Fault::Redirect {
            to: m.url_for("elsewhere.tar.gz"),
        },
    );
    dist_for(&s.home, &m.url(), options())
        .install("go1.22.3")
        .unwrap();
    assert_eq!(m.requests("/elsewhere.tar.gz"), 1);
    uninstall(&s.home, "go1.22.3", &options(), &|_| {}).unwrap();
    // A redirect to plain http on another host is refused, and not retried.
    m.set_fault(
        &file,
        Fault::Redirect {
            to: "http://mirror.invalid/go1.22.3.tar.gz".into(),
        },
    );
    let e = dist_for(&s.home, &m.url(), options())
        .install("go1.22.3")
        .unwrap_err();
    assert!(e.to_string().contains("refusing a redirect"), "{e}");
    assert_eq!(m.requests(&file), 2);
    assert_clean(&s.home, "go1.22.3");
}

// ---- issue 10: bounded extension records, escaped names, redacted URLs, honest messages ----

#[test]
fn extension_records_are_refused_from_their_header_before_they_are_read() {
    let sdk = || fake_sdk_entries("go1.22.3", &script_go("go1.22.3"));
    let huge = 6u64 << 30;
    for (kind, what) in [
        (b'L', "GNU long-name record"),
        (b'K', "GNU long-link record"),
        (b'x', "PAX header"),
        (b'g', "PAX global header"),
    ] {
        let mut entries = sdk();
        // A header declaring 6 GiB with 1 MiB behind it: a reader that allocates first and
        // checks later reads to the end; gomux stops at the header.
        entries.insert(
            2,
            Entry::Raw {
                kind,
                name: "././@LongLink".into(),
                size: huge,
                data: vec![b'a'; 1 << 20],
            },
        );
        entries.insert(3, Entry::file("go/x", "x"));
        let (e, _s) = install_hostile(&entries);
        assert!(matches!(e, DistError::Hostile { .. }), "{what}: {e}");
        let msg = e.to_string();
        assert!(
            msg.contains(&format!("is a {what} of {huge} bytes")),
            "{msg}"
        );
        assert!(
            msg.len() < 1000,
            "{what}: a short message: {} bytes",
            msg.len()
        );
    }
    // One MiB of real name: refused as well, and the message shows none of it.
    let mut entries = sdk();
    entries.insert(2, Entry::long_name(&vec![b'a'; 1 << 20]));
    entries.insert(3, Entry::file("go/x", "x"));
    let (e, _s) = install_hostile(&entries);
    let msg = e.to_string();
    assert!(msg.contains("more than the 65536 gomux reads"), "{msg}");
    assert!(msg.len() < 1000, "{} bytes", msg.len());
}

#[test]
fn long_names_and_pax_paths_still_name_entries() {
    let mut s = setup();
    let deep = format!("go/src/{}file.go", "directory/".repeat(20));
    assert!(deep.len() > 100);
    let mut entries = fake_sdk_entries("go1.22.3", &script_go("go1.22.3"));
    entries.push(Entry::long_name(deep.as_bytes()));
    entries.push(Entry::file("go/truncated-name-in-header", "long"));
    let pax_path = format!("go/misc/{}pax.txt", "p/".repeat(60));
    entries.push(Entry::pax(&[
        ("path", &pax_path),
        ("mtime", "1700000000.5"),
    ]));
    entries.push(Entry::file("go/other-truncated-name", "pax"));
    // A global header changes nothing gomux reads.
    entries.push(Entry::Raw {
        kind: b'g',
        name: "pax_global_header".into(),
        size: 0,
        data: Vec::new(),
    });
    s.mirror.add("go1.22.3", &tar_gz(&entries));
    s.mirror.write_index();
    let dist = dist_for(
        &s.home,
        &format!("file://{}", s.mirror.root().display()),
        options(),
    );
    let root = dist.install("go1.22.3").unwrap().dir;
    assert_eq!(
        std::fs::read_to_string(root.join(&deep["go/".len()..])).unwrap(),
        "long"
    );
    assert_eq!(
        std::fs::read_to_string(root.join(&pax_path["go/".len()..])).unwrap(),
        "pax"
    );
    assert!(!root.join("truncated-name-in-header").exists());

    let sdk = || fake_sdk_entries("go1.22.3", &script_go("go1.22.3"));
    // Two long names for one entry, a PAX size that disagrees with the header, and a record
    // at the end that describes nothing.
    let mut two = sdk();
    two.insert(2, Entry::long_name(b"go/a"));
    two.insert(3, Entry::long_name(b"go/b"));
    two.insert(4, Entry::file("go/c", "c"));
    let (e, _s) = install_hostile(&two);
    assert!(e.to_string().contains("second GNU long-name record"), "{e}");
    let mut sized = sdk();
    sized.insert(2, Entry::pax(&[("size", "1")]));
    sized.insert(3, Entry::file("go/c", "ccc"));
    let (e, _s) = install_hostile(&sized);
    assert!(e.to_string().contains("disagrees with its header"), "{e}");
    let mut sparse = sdk();
    sparse.insert(
        2,
        Entry::pax(&[("GNU.sparse.major", "1"), ("GNU.sparse.minor", "0")]),
    );
    sparse.insert(3, Entry::file("go/c", "c"));
    let (e, _s) = install_hostile(&sparse);
    assert!(e.to_string().contains("is a sparse file"), "{e}");
    let mut dangling = sdk();
    dangling.push(Entry::long_name(b"go/nothing"));
    let (e, _s) = install_hostile(&dangling);
    assert!(matches!(e, DistError::Corrupt { .. }), "{e}");
    assert!(e.to_string().contains("describes no entry"), "{e}");
}

#[test]
fn entry_names_are_escaped_in_messages() {
    let sdk = || fake_sdk_entries("go1.22.3", &script_go("go1.22.3"));
    for name in [
        b"go/\x1b[2K\rinnocent".to_vec(),
        b"go/\x1b]0;title\x07".to_vec(),
        b"go/\xff\xfe".to_vec(),
    ] {
        let mut entries = sdk();
        entries.insert(2, Entry::long_name(&name));
        entries.insert(3, Entry::file("go/x", "x"));
        let (e, _s) = install_hostile(&entries);
        let msg = e.to_string();
        assert!(matches!(e, DistError::Hostile { .. }), "{msg}");
        assert!(!msg.chars().any(|c| c.is_control() && c != '\n'), "{msg:?}");
        assert!(msg.contains("\\x1b") || msg.contains("\\xff"), "{msg}");
    }
}

#[cfg(unix)]
#[test]
fn programs_are_executable_and_modes_are_normalised() {
    let mut s = setup();
    let mut entries = vec![
        Entry::dir("go/"),
        Entry::file("go/VERSION", "go1.22.3\ntime 2024-05-01T00:00:00Z\n"),
        Entry::Dir {
            path: "go/bin/".into(),
        },
    ];
    // An archive repacked without its mode bits: `bin/go` and the tools are 0644.
    entries.push(Entry::file("go/bin/go", script_go("go1.22.3")));
    entries.push(Entry::file(
        "go/pkg/tool/linux_amd64/compile",
        "#!/bin/sh\n",
    ));
    entries.push(Entry::File {
        path: "go/src/world.go".into(),
        data: b"package w\n".to_vec(),
        mode: 0o666,
    });
    entries.push(Entry::File {
        path: "go/src/setuid".into(),
        data: b"x".to_vec(),
        mode: 0o4777,
    });
    s.mirror.add("go1.22.3", &tar_gz(&entries));
    s.mirror.write_index();
    let dist = dist_for(
        &s.home,
        &format!("file://{}", s.mirror.root().display()),
        options(),
    );
    let root = dist.install("go1.22.3").unwrap().dir;
    assert_eq!(mode(&root.join("bin/go")), 0o755);
    assert_eq!(mode(&root.join("pkg/tool/linux_amd64/compile")), 0o755);
    assert_eq!(mode(&root.join("src/world.go")), 0o644);
    assert_eq!(mode(&root.join("src/setuid")), 0o755);
    for dir in ["", "bin", "pkg", "pkg/tool", "pkg/tool/linux_amd64", "src"] {
        assert_eq!(mode(&root.join(dir)), 0o755, "`{dir}`");
    }
    let out = std::process::Command::new(root.join("bin/go"))
        .arg("version")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("go1.22.3"));
}

#[test]
fn a_malformed_sha256_in_the_index_is_a_malformed_entry() {
    let mut s = setup();
    let bytes = fake_sdk_tar_gz("go1.22.3", &script_go("go1.22.3"));
    let file = host_archive_name("go1.22.3");
    s.mirror
        .add_file("go1.22.3", &file, &bytes, "zz12\u{1b}[2Knot-hex");
    s.mirror.write_index();
    let m = Mirror::serve(s.mirror.root());
    let dist = dist_for(&s.home, &m.url(), options());
    let e = dist.install("go1.22.3").unwrap_err();
    assert!(matches!(e, DistError::BadIndexEntry { .. }), "{e}");
    let msg = e.to_string();
    assert!(msg.contains("malformed entry"), "{msg}");
    assert!(msg.contains(&file), "{msg}");
    assert!(msg.contains("zz12\\x1b[2Knot-hex"), "{msg}");
    assert!(!msg.contains("does not list it"), "{msg}");
    assert_eq!(
        m.requests(&archive_path("go1.22.3")),
        0,
        "nothing downloaded"
    );
    // A local archive checked against the same index says the same.
    let local = s.root.join(&file);
    std::fs::write(&local, &bytes).unwrap();
    let e = dist
        .install_archive(&local, None, &Verify::Index)
        .unwrap_err();
    assert!(matches!(e, DistError::BadIndexEntry { .. }), "{e}");
    assert_clean(&s.home, "go1.22.3");
}

#[test]
fn a_failing_redirect_target_is_named_as_such() {
    let mut s = setup();
    let file = s.mirror.add_fake("go1.22.3");
    s.mirror.write_index();
    let m = Mirror::serve(s.mirror.root());
    let down = dead_url();
    let target = format!("{down}/cdn/{file}");
    m.set_fault(&file, Fault::Redirect { to: target.clone() });
    let e = dist_for(&s.home, &m.url(), options())
        .install("go1.22.3")
        .unwrap_err();
    assert!(matches!(e, DistError::RedirectFailed { .. }), "{e}");
    let msg = e.to_string();
    assert!(msg.contains(&format!("redirected to `{target}`")), "{msg}");
    let host = down.trim_start_matches("http://");
    assert!(
        msg.contains(&format!("`{host}` cannot be reached")),
        "{msg}"
    );
    assert!(
        !msg.contains(&format!("cannot reach `{}`", &m.url()[7..])),
        "{msg}"
    );
    // The target answering 404 says so too.
    std::fs::create_dir_all(s.mirror.root().join("gone")).unwrap();
    m.set_fault(
        &file,
        Fault::Redirect {
            to: m.url_for("gone/missing.tar.gz"),
        },
    );
    let e = dist_for(&s.home, &m.url(), options())
        .install("go1.22.3")
        .unwrap_err();
    assert!(
        e.to_string().contains(&format!(
            "(redirected to `{}`)",
            m.url_for("gone/missing.tar.gz")
        )),
        "{e}"
    );
    assert_clean(&s.home, "go1.22.3");
}

#[test]
fn mirror_passwords_are_used_but_never_shown_or_stored() {
    let mut s = setup();
    let file = s.mirror.add_fake("go1.22.3");
    s.mirror.write_index();
    let m = Mirror::serve(s.mirror.root());
    let server = m.url_with_user("alice", "s3cret");
    let said = Arc::new(Mutex::new(Vec::<String>::new()));
    let log = Arc::clone(&said);
    m.set_fault(&file, Fault::ServerError { times: 10 });
    let dist = dist_for(&s.home, &server, options())
        .with_notify(move |msg| log.lock().unwrap().push(msg.to_string()));
    let e = dist.install("go1.22.3").unwrap_err();
    let said = said.lock().unwrap().clone();
    assert_eq!(said.len(), 2, "two retries: {said:?}");
    for text in said.iter().chain([&e.to_string()]).chain(e.hints().iter()) {
        assert!(!text.contains("s3cret"), "{text}");
    }
    assert!(e.to_string().contains("***@127.0.0.1"), "{e}");
    // The credentials were sent, as HTTP basic auth ("alice:s3cret").
    assert_eq!(
        m.authorization(&file).as_deref(),
        Some("Basic YWxpY2U6czNjcmV0")
    );
    m.clear_faults();
    dist.install("go1.22.3").unwrap();
    let cache = std::fs::read_to_string(s.home.index_cache_file()).unwrap();
    assert!(!cache.contains("s3cret"), "{cache}");
    // The stored copy still serves the next lookup with the same URL.
    dist_for(&s.home, &server, options()).index().unwrap();
    assert_eq!(m.requests(INDEX_PATH), 1);
}

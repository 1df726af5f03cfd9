//! `dist.source = "goproxy"`: toolchain modules from a GOPROXY (`file://` and loopback HTTP),
//! proven by a loopback checksum database built from Go's own reference code
//! (`golang.org/x/mod/sumdb`, see `xtask/src/fixtures/sumdb.rs`), and the same servers
//! checked against the real `go`.

use std::io::{BufRead, BufReader, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use gomux_tests::fixtures::Fixtures;
use gomux_tests::mirror::Mirror;
use gomux_tests::mirror::host_platform;
use gomux_tests::{Run, Sandbox, make_fake_sdk};

const SERVER_VAR: &str = "GOMUX_SUMDB_SERVER";
const MODULE: &str = "golang.org/toolchain";

/// The checksum database server, stopped when dropped.
struct SumDb {
    child: Child,
    addr: String,
    vkey: String,
    other_key: String,
    mode: PathBuf,
}

impl SumDb {
    /// Starts the server over the modules of `proxy`; `None` (after saying why) when the
    /// binary is not built and the fixtures are not required.
    fn start(test: &str, proxy: &Path, mode: &Path, seed: u32) -> Option<SumDb> {
        let bin = match std::env::var_os(SERVER_VAR).filter(|v| !v.is_empty()) {
            Some(b) => PathBuf::from(b),
            None => {
                let required = std::env::var_os("GOMUX_REQUIRE_FIXTURES")
                    .is_some_and(|v| v == "1" || v == "true");
                assert!(
                    !required,
                    "{test}: `{SERVER_VAR}` is not set; build the server with `cargo xtask sumdb` (cargo xtask test does)"
                );
                eprintln!(
                    "{test}: skipped: `{SERVER_VAR}` is not set (`cargo xtask sumdb` builds it)"
                );
                return None;
            }
        };
        std::fs::write(mode, "").unwrap();
        let mut child = Command::new(&bin)
            .arg("-proxy")
            .arg(proxy)
            .arg("-mode")
            .arg(mode)
            .arg("-seed")
            .arg(seed.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start `{}`: {e}", bin.display()));
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut field = |key: &str| -> String {
            let line = lines.next().expect("a line from the server").unwrap();
            line.strip_prefix(&format!("{key} "))
                .unwrap_or_else(|| panic!("expected `{key} ...`, got `{line}`"))
                .to_string()
        };
        let addr = field("addr");
        let vkey = field("vkey");
        let other_key = field("otherkey");
        Some(SumDb {
            child,
            addr,
            vkey,
            other_key,
            mode: mode.to_path_buf(),
        })
    }

    /// GOSUMDB for this database.
    fn gosumdb(&self) -> String {
        format!("{} http://{}", self.vkey, self.addr)
    }

    fn set_mode(&self, mode: &str) {
        std::fs::write(&self.mode, mode).unwrap();
    }
}

impl Drop for SumDb {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn module_version(name: &str) -> String {
    let (os, arch) = host_platform();
    let arch = if arch == "armv6l" { "arm" } else { arch };
    format!("v0.0.1-{name}.{os}-{arch}")
}

/// Writes toolchain `name` from the GOROOT `sdk` into the GOPROXY folder `proxy` as Go
/// publishes it: every entry under `golang.org/toolchain@<version>/`, without `api/`, `doc/`,
/// `misc/` and `test/`, every `go.mod` as `_go.mod`, and a `lib/` (official zips have one; real
/// go1.27 refuses a tree without it). `change` may alter one file's bytes (a tampered copy).
fn write_toolchain(proxy: &Path, name: &str, sdk: &Path, change: Option<&str>) {
    let version = module_version(name);
    let at_v = proxy.join(MODULE).join("@v");
    std::fs::create_dir_all(&at_v).unwrap();
    let prefix = format!("{MODULE}@{version}");
    let zip_path = at_v.join(format!("{version}.zip"));
    let mut w = zip::ZipWriter::new(std::fs::File::create(&zip_path).unwrap());
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Stored)
        .large_file(false);
    let mut stack = vec![(sdk.to_path_buf(), String::new())];
    let mut has_lib = false;
    let mut names = Vec::new();
    while let Some((dir, rel)) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let entry = entry.unwrap();
            let file_name = entry.file_name().to_string_lossy().into_owned();
            let child_rel = if rel.is_empty() {
                file_name.clone()
            } else {
                format!("{rel}/{file_name}")
            };
            if rel.is_empty() && ["api", "doc", "misc", "test"].contains(&file_name.as_str()) {
                continue;
            }
            if child_rel == "lib" {
                has_lib = true;
            }
            let meta = std::fs::metadata(entry.path()).unwrap();
            if meta.is_dir() {
                stack.push((entry.path(), child_rel));
            } else {
                names.push((entry.path(), child_rel));
            }
        }
    }
    names.sort_by(|a, b| a.1.cmp(&b.1));
    for (path, rel) in names {
        let rel = match rel.strip_suffix("go.mod") {
            Some(dir) if dir.is_empty() || dir.ends_with('/') => format!("{dir}_go.mod"),
            _ => rel,
        };
        let mut bytes = std::fs::read(&path).unwrap();
        if change == Some(rel.as_str()) {
            bytes.extend_from_slice(b"\n// changed\n");
        }
        w.start_file(format!("{prefix}/{rel}"), opts).unwrap();
        w.write_all(&bytes).unwrap();
    }
    if !has_lib {
        w.start_file(format!("{prefix}/lib/README"), opts).unwrap();
        w.write_all(b"lib\n").unwrap();
    }
    w.finish().unwrap();
    std::fs::write(
        at_v.join(format!("{version}.mod")),
        format!("module {MODULE}\n"),
    )
    .unwrap();
    std::fs::write(
        at_v.join(format!("{version}.info")),
        format!(r#"{{"Version":"{version}","Time":"2026-01-01T00:00:00Z"}}"#),
    )
    .unwrap();
    let list = at_v.join("list");
    let mut text = std::fs::read_to_string(&list).unwrap_or_default();
    text.push_str(&format!("{version}\n"));
    std::fs::write(list, text).unwrap();
}

/// A fake toolchain (a tiny `go` program that prints its version) with `src/go.mod` and a
/// nested `_go.mod`, as a toolchain module.
fn write_fake_toolchain(sb: &Sandbox, proxy: &Path, name: &str, change: Option<&str>) {
    let sdk = sb.root.join("fake-sdks").join(name);
    if !sdk.join("VERSION").is_file() {
        make_fake_sdk(&sdk, name);
        std::fs::create_dir_all(sdk.join("src/cmd")).unwrap();
        std::fs::write(sdk.join("src/go.mod"), "module std\n").unwrap();
        std::fs::write(sdk.join("src/cmd/go.mod"), "module cmd\n").unwrap();
        std::fs::write(sdk.join("src/fmt.go"), "package fmt\n").unwrap();
    }
    write_toolchain(proxy, name, &sdk, change);
}

fn goproxy_sandbox(goproxy: &str, gosumdb: &str) -> Sandbox {
    let mut sb = Sandbox::new();
    sb.set_env("GOMUX_DIST_SOURCE", Some("goproxy"))
        .set_env("GOPROXY", Some(goproxy))
        .set_env("GOSUMDB", Some(gosumdb));
    sb
}

fn file_url(p: &Path) -> String {
    format!("file://{}", p.display())
}

/// Nothing of `name` is left: no toolchain folder, no staging, no download.
fn assert_not_installed(sb: &Sandbox, name: &str) {
    assert!(
        !sb.gomux_home.join("toolchains").join(name).exists(),
        "{name} must not be installed"
    );
    if let Ok(entries) = std::fs::read_dir(sb.gomux_home.join("tmp")) {
        for e in entries.flatten() {
            let n = e.file_name().to_string_lossy().into_owned();
            assert!(
                !n.starts_with(name) || n.ends_with(".lock"),
                "left in tmp/: {n}"
            );
        }
    }
}

/// Every tampered variant is refused with a message naming what failed, and nothing is
/// installed; a toolchain without any proof only with `--allow-unverified`. Fake toolchains
/// keep this fast; the database is x/mod's reference server.
#[test]
fn goproxy_refuses_every_tampered_variant() {
    let root = tempfile::tempdir().unwrap();
    let good = root.path().join("good");
    let bad = root.path().join("bad");
    let empty = root.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let scratch = Sandbox::bare();
    for name in ["go1.30.1", "go1.30.2", "go1.30.3", "go1.30.4"] {
        write_fake_toolchain(&scratch, &good, name, None);
    }
    // The same toolchain with one file changed, on another proxy.
    write_fake_toolchain(&scratch, &bad, "go1.30.1", Some("src/fmt.go"));
    let Some(db) = SumDb::start(
        "goproxy_refuses_every_tampered_variant",
        &good,
        &root.path().join("mode"),
        // 600 records first: the proofs cross two full tiles, a partial one, and level 1.
        600,
    ) else {
        return;
    };

    // A 404 from the first proxy falls through (`,`) to the good `file://` one.
    let none = Mirror::serve(&empty);
    let list = format!("{},{}", none.url(), file_url(&good));
    let sb = goproxy_sandbox(&list, &db.gosumdb());

    // The tampered zip: the database proves the good one's hash.
    let tampered = goproxy_sandbox(&file_url(&bad), &db.gosumdb());
    let out = tampered.gomux(["install", "1.30.1"]).fails();
    assert!(
        out.stderr.contains("does not match the checksum database"),
        "{out}"
    );
    assert!(out.stderr.contains("v0.0.1-go1.30.1"), "{out}");
    assert_not_installed(&tampered, "go1.30.1");

    // The good one installs, proven, and records the proof. The first proxy gets the
    // `.netrc` login for its host (GOAUTH's default), never printed.
    std::fs::write(
        sb.home.join(".netrc"),
        "machine 127.0.0.1 login alice password s3cret\n",
    )
    .unwrap();
    let out = sb.gomux(["install", "1.30.1", "--verify"]).ok();
    let info = format!("/{MODULE}/@v/{}.info", module_version("go1.30.1"));
    assert_eq!(
        none.authorization(&info).as_deref(),
        Some("Basic YWxpY2U6czNjcmV0"),
        "the .netrc login is sent to its host"
    );
    assert!(
        !out.stderr.contains("s3cret") && !out.stdout.contains("s3cret"),
        "{out}"
    );
    assert!(out.stderr.contains("installed go1.30.1"), "{out}");
    assert!(out.stdout.contains("intact"), "{out}");
    let dir = sb.gomux_home.join("toolchains/go1.30.1");
    let proof = std::fs::read_to_string(dir.join(".gomux-proof")).unwrap();
    assert!(
        proof.contains("proof=sumdb gomux.test record 600 tree 601 "),
        "{proof}"
    );
    // Go's fix-ups: `_go.mod` copied to `go.mod`, the tools executable.
    assert_eq!(
        std::fs::read_to_string(dir.join("src/go.mod")).unwrap(),
        "module std\n"
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("src/cmd/go.mod")).unwrap(),
        "module cmd\n"
    );
    sb.gomux(["run", "1.30.1", "--", "go", "version"]).ok();
    assert!(sb.gomux_home.join("sumdb/gomux.test.latest").is_file());

    // A forged tree head: the signature no longer covers its text.
    db.set_mode("forged");
    let out = sb.gomux(["install", "1.30.2"]).fails();
    assert!(out.stderr.contains("signature does not verify"), "{out}");
    assert!(out.stderr.contains("gomux.test"), "{out}");
    // A failed proof is never waved through, not even with --allow-unverified.
    let out = sb
        .gomux(["install", "--allow-unverified", "1.30.2"])
        .fails();
    assert!(out.stderr.contains("signature does not verify"), "{out}");
    assert_not_installed(&sb, "go1.30.2");

    // A short tile (the tree now has two records, so a tile is read).
    db.set_mode("shorttile");
    let out = sb.gomux(["install", "1.30.2"]).fails();
    assert!(out.stderr.contains("bytes instead of"), "{out}");
    assert_not_installed(&sb, "go1.30.2");

    // A log forked before the record gomux already saw: not consistent with it.
    db.set_mode("inconsistent");
    let out = sb.gomux(["install", "1.30.2"]).fails();
    assert!(out.stderr.contains("consistency proof failed"), "{out}");
    assert_not_installed(&sb, "go1.30.2");

    // The record of another version.
    db.set_mode("unrelated");
    let out = sb.gomux(["install", "1.30.3"]).fails();
    assert!(out.stderr.contains("record is not the one for"), "{out}");
    assert_not_installed(&sb, "go1.30.3");

    // An empty answer.
    db.set_mode("empty");
    let out = sb.gomux(["install", "1.30.3"]).fails();
    assert!(out.stderr.contains("answered with nothing"), "{out}");
    assert_not_installed(&sb, "go1.30.3");
    db.set_mode("");

    // Another key of the same name.
    let other = goproxy_sandbox(
        &file_url(&good),
        &format!("{} http://{}", db.other_key, db.addr),
    );
    let out = other.gomux(["install", "1.30.3"]).fails();
    assert!(
        out.stderr.contains("not signed by the configured key"),
        "{out}"
    );
    assert_not_installed(&other, "go1.30.3");

    // Back to normal: the same home installs the next one (its tree extends the kept one).
    sb.gomux(["install", "1.30.2"]).ok();
    // The proxy's automatic install takes the same path.
    let out = sb.go(["version"]).env("GOMUX_TOOLCHAIN", "go1.30.3").ok();
    assert!(
        format!("{}{}", out.stdout, out.stderr).contains("go1.30.3"),
        "{out}"
    );
    let proof =
        std::fs::read_to_string(sb.gomux_home.join("toolchains/go1.30.3/.gomux-proof")).unwrap();
    assert!(proof.contains("proof=sumdb gomux.test record "), "{proof}");

    // GOSUMDB=off: no proof, so refused unless allowed; then recorded as unverified.
    let off = goproxy_sandbox(&file_url(&good), "off");
    let out = off.gomux(["install", "1.30.4"]).fails();
    assert!(
        out.stderr.contains("no proof from the checksum database"),
        "{out}"
    );
    assert!(out.stderr.contains("turned off"), "{out}");
    assert!(out.stderr.contains("--allow-unverified"), "{out}");
    assert_not_installed(&off, "go1.30.4");
    let out = off.gomux(["install", "--allow-unverified", "1.30.4"]).ok();
    assert!(out.stderr.contains("without a proof"), "{out}");
    let proof =
        std::fs::read_to_string(off.gomux_home.join("toolchains/go1.30.4/.gomux-proof")).unwrap();
    assert!(proof.contains("proof=unverified: "), "{proof}");

    // `gomux list --remote` reads the proxy's `@v/list`.
    let out = sb.gomux(["list", "--remote"]).ok();
    for name in ["go1.30.1", "go1.30.4"] {
        assert!(out.stdout.contains(name), "{out}");
    }

    // Re-verification: a file changed after the install is found.
    sb.gomux(["verify", "go1.30.1"]).ok();
    std::fs::write(dir.join("src/fmt.go"), "package fmt // changed\n").unwrap();
    let out = sb.gomux(["verify", "go1.30.1"]).fails();
    assert!(
        out.stderr
            .contains("no longer matches the hash that proved it"),
        "{out}"
    );
    let out = sb.gomux(["doctor"]).run();
    assert!(
        format!("{}{}", out.stdout, out.stderr)
            .contains("no longer matches the hash that proved it"),
        "{out}"
    );
}

/// The done-when case on a real SDK: `gomux install 1.23.5` from a loopback HTTP GOPROXY,
/// proven by the reference checksum database, runs; and the real go1.22.12 switches to the
/// same toolchain through the same GOPROXY (`file://`) and GOSUMDB, and refuses the tampered
/// copy as gomux does.
#[test]
fn goproxy_real_toolchain_agrees_with_real_go() {
    let Some(fx) = Fixtures::locate("goproxy_real_toolchain_agrees_with_real_go") else {
        return;
    };
    let root = tempfile::tempdir().unwrap();
    let proxy = root.path().join("proxy");
    let bad = root.path().join("bad");
    let sdk = fx.shared_sdk("go1.23.5");
    write_toolchain(&proxy, "go1.23.5", &sdk, None);
    write_toolchain(&bad, "go1.23.5", &sdk, Some("src/fmt/print.go"));
    let Some(db) = SumDb::start(
        "goproxy_real_toolchain_agrees_with_real_go",
        &proxy,
        &root.path().join("mode"),
        0,
    ) else {
        return;
    };
    let http = Mirror::serve(&proxy);
    let sb = goproxy_sandbox(&http.url(), &db.gosumdb());
    let out = sb.gomux(["install", "1.23.5"]).ok();
    assert!(out.stderr.contains("installed go1.23.5"), "{out}");
    let out = sb.gomux(["run", "1.23.5", "--", "go", "version"]).ok();
    assert!(out.stdout.contains("go version go1.23.5"), "{out}");
    sb.gomux(["verify"]).ok();

    // The real go, with the same database, through the `file://` tree.
    let real = fx.shared_sdk("go1.22.12");
    let newest = fx.shared_sdk("go1.27.4");
    let real_go = |real: &Path, goproxy: &Path, home: &Path| {
        std::fs::create_dir_all(home).unwrap();
        let mut c = Command::new(real.join("bin/go"));
        c.env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("HOME", home)
            .env("GOPATH", home.join("gopath"))
            .env("GOMODCACHE", home.join("modcache"))
            .env("GOCACHE", home.join("gocache"))
            .env("GOFLAGS", "-modcacherw")
            .env("GOTELEMETRY", "off")
            .env("GOPROXY", file_url(goproxy))
            .env("GOSUMDB", db.gosumdb())
            .env("GOTOOLCHAIN", "go1.23.5")
            .current_dir(home)
            .args(["version"]);
        c
    };
    let out = real_go(&real, &proxy, &root.path().join("real-home")).ok();
    assert!(out.stdout.contains("go version go1.23.5"), "{out}");
    // The newest release too (it needs the `lib/` that official zips hold).
    let out = real_go(&newest, &proxy, &root.path().join("real-home-newest")).ok();
    assert!(out.stdout.contains("go version go1.23.5"), "{out}");
    let out = real_go(&real, &bad, &root.path().join("real-home-bad")).fails();
    assert!(
        out.stderr.contains("verifying") || out.stderr.contains("SECURITY ERROR"),
        "{out}"
    );
    let tampered = goproxy_sandbox(&file_url(&bad), &db.gosumdb());
    let out = tampered.gomux(["install", "1.23.5"]).fails();
    assert!(
        out.stderr.contains("does not match the checksum database"),
        "{out}"
    );
    assert_not_installed(&tampered, "go1.23.5");

    // A forged tree head, an empty answer, another version's record: the real go refuses
    // each on a fresh module cache, and so does gomux on a fresh home.
    for (mode, gomux_says) in [
        ("forged", "signature does not verify"),
        ("empty", "answered with nothing"),
        ("unrelated", "record is not the one for"),
    ] {
        // `unrelated` needs another version in the database's folder.
        if mode == "unrelated" {
            write_fake_toolchain(&sb, &proxy, "go1.30.9", None);
        }
        db.set_mode(mode);
        let home = root.path().join(format!("real-home-{mode}"));
        // go1.22 accepts an answer that lacks this version's line (no line, no mismatch):
        // the newest release is the one held to that.
        let sdk = if mode == "unrelated" { &newest } else { &real };
        let out = real_go(sdk, &proxy, &home).run();
        assert!(
            out.code() != Some(0) && !out.stdout.contains("go1.23.5"),
            "{mode}: real go accepted it: {out}"
        );
        let fresh = goproxy_sandbox(&file_url(&proxy), &db.gosumdb());
        let out = fresh.gomux(["install", "1.23.5"]).fails();
        assert!(out.stderr.contains(gomux_says), "{mode}: {out}");
        assert_not_installed(&fresh, "go1.23.5");
    }
    db.set_mode("");
    // Another key of the same name.
    let mut c = real_go(&real, &proxy, &root.path().join("real-home-key"));
    c.env("GOSUMDB", format!("{} http://{}", db.other_key, db.addr));
    let out = c.fails();
    assert!(!out.stdout.contains("go1.23.5"), "{out}");
}

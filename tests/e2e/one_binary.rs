//! One self-contained `gomux`: the binary alone, copied to an empty folder, sets up working
//! `go` proxies, and they are the fast (static, on Linux) build of the proxy it carries;
//! `gomux self update` replaces it and its proxies from a verified release, atomically.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use gomux_tests::mirror::{Mirror, host_platform, sha256_hex};
use gomux_tests::{Run, Sandbox, copy_executable, ensure_built, exe};

/// The ELF program header types of `bytes` (64-bit little-endian only), or `None` when it is
/// not such an ELF file.
#[cfg(target_os = "linux")]
fn elf_program_header_types(bytes: &[u8]) -> Option<Vec<u32>> {
    let u16_at = |o: usize| Some(u16::from_le_bytes(bytes.get(o..o + 2)?.try_into().ok()?));
    let u32_at = |o: usize| Some(u32::from_le_bytes(bytes.get(o..o + 4)?.try_into().ok()?));
    let u64_at = |o: usize| Some(u64::from_le_bytes(bytes.get(o..o + 8)?.try_into().ok()?));
    // Magic, ELFCLASS64, ELFDATA2LSB.
    if bytes.get(..6)? != b"\x7fELF\x02\x01" {
        return None;
    }
    let phoff = usize::try_from(u64_at(0x20)?).ok()?;
    let phentsize = usize::from(u16_at(0x36)?);
    let phnum = usize::from(u16_at(0x38)?);
    (0..phnum).map(|i| u32_at(phoff + i * phentsize)).collect()
}

#[cfg(target_os = "linux")]
const PT_INTERP: u32 = 3;

#[test]
fn gomux_alone_in_an_empty_folder_sets_up_static_proxies_that_work() {
    let sb = Sandbox::bare();
    // Only `gomux`: no `gomux-shim` (or anything else) beside it.
    let alone = sb.root.join("alone");
    std::fs::create_dir(&alone).unwrap();
    let gomux = alone.join(exe("gomux"));
    copy_executable(&ensure_built().join(exe("gomux")), &gomux);
    assert_eq!(std::fs::read_dir(&alone).unwrap().count(), 1);

    let out = sb.cmd(&gomux).args(["setup", "--no-modify-path"]).ok();
    assert!(out.stderr.contains("gomux is set up"), "{out}");
    for tool in ["go", "gofmt", "gomux-shim", "gomux"] {
        assert!(sb.bin().join(exe(tool)).is_file(), "{tool}\n{out}");
    }
    assert_eq!(
        std::fs::read(sb.bin().join(exe("gomux"))).unwrap(),
        std::fs::read(&gomux).unwrap(),
        "setup copies the running gomux into bin/"
    );

    // The proxies work: a linked SDK is found and run through `go`.
    let sdk = sb.fake_sdk("go1.22.3");
    sb.cmd(sb.bin().join(exe("gomux")))
        .args(["link", "go1.22.3"])
        .arg(&sdk)
        .ok();
    sb.cmd(sb.bin().join(exe("gomux")))
        .args(["default", "1.22.3"])
        .ok();
    let out = sb.go(["version"]).ok();
    assert!(out.stdout.starts_with("go version go1.22.3 "), "{out}");
    let out = sb.go(["build"]).ok();
    assert_eq!(out.val("version"), "go1.22.3", "{out}");
    assert_eq!(out.val("goroot"), sdk.display().to_string(), "{out}");

    // They are the fast build: statically linked (a static PIE relocates itself, so it may
    // have a dynamic section, but it names no program interpreter to load).
    #[cfg(target_os = "linux")]
    {
        let bytes = std::fs::read(sb.bin().join("go")).unwrap();
        let types = elf_program_header_types(&bytes).expect("the proxy is a 64-bit ELF file");
        assert!(!types.is_empty());
        assert!(
            !types.contains(&PT_INTERP),
            "the proxy names a dynamic loader (PT_INTERP): it is not the static build"
        );
        // And `gomux` itself is the ordinary dynamic build: the check above can tell them apart.
        let cli = elf_program_header_types(&std::fs::read(&gomux).unwrap()).unwrap();
        assert!(
            cli.contains(&PT_INTERP),
            "gomux itself is a dynamic program"
        );
    }
    // On Linux x86_64 they carry no C library (glibc's static start-up is a quarter of a
    // millisecond per call): no glibc string at all, where `gomux`, linked to glibc, names its
    // symbol versions (`GLIBC_2.x`), so the search can tell them apart. The CLI's build script
    // falls back to the static glibc proxy when that build fails; this is what catches it.
    #[cfg(all(target_os = "linux", target_arch = "x86_64"))]
    {
        let has = |bytes: &[u8]| bytes.windows(6).any(|w| w == b"GLIBC_");
        let proxy = std::fs::read(sb.bin().join("go")).unwrap();
        assert!(
            !has(&proxy),
            "the proxy `gomux setup` installed carries glibc: the build without a C library \
             fell back (see the warning of gomux-cli's build script)"
        );
        assert!(
            has(&std::fs::read(&gomux).unwrap()),
            "gomux names glibc's symbol versions"
        );
    }

    // A second setup from the installed copy changes nothing.
    let master = std::fs::read(sb.bin().join(exe("gomux-shim"))).unwrap();
    sb.cmd(sb.bin().join(exe("gomux")))
        .args(["setup", "--no-modify-path"])
        .ok();
    assert_eq!(
        std::fs::read(sb.bin().join(exe("gomux-shim"))).unwrap(),
        master
    );
}

#[test]
fn setup_proxy_binary_that_is_missing_is_a_clear_error() {
    let sb = Sandbox::bare();
    let missing = sb.root.join("no-such-proxy");
    let out = sb
        .gomux(["setup", "--no-modify-path", "--proxy-binary"])
        .arg(&missing)
        .fails();
    assert!(
        out.stderr.contains("does not exist") && out.stderr.contains("hint:"),
        "{out}"
    );
    assert!(!sb.bin().join(exe("go")).exists(), "{out}");
}

// ---- gomux self update / self uninstall ----

/// `gomux-<os>-<arch>`: the release file name `gomux self update` asks a release folder for.
fn release_name() -> String {
    let (os, arch) = host_platform();
    exe(&format!("gomux-{os}-{arch}"))
}

/// A different `gomux` release: the built `gomux` with one letter of a message inside the
/// proxy it carries changed, so the new release carries a different proxy. Returns the new
/// `gomux` and the proxy it carries.
fn release_with_another_proxy(sb: &Sandbox) -> (Vec<u8>, Vec<u8>) {
    let gomux = std::fs::read(ensure_built().join(exe("gomux"))).unwrap();
    let proxy = std::fs::read(sb.bin().join(exe("gomux-shim"))).unwrap();
    let at = gomux
        .windows(proxy.len())
        .position(|w| w == proxy.as_slice())
        .expect("the proxy gomux setup wrote is inside the gomux binary");
    let message = b"this proxy runs as";
    let inside = proxy
        .windows(message.len())
        .position(|w| w == message)
        .expect("the proxy's message is in its binary");
    let mut new = gomux;
    new[at + inside] = b'T';
    let new_proxy = new[at..at + proxy.len()].to_vec();
    (new, new_proxy)
}

/// A release folder at `dir`: `gomux-<os>-<arch>` and its `.sha256` (as `sha256sum` prints it).
fn publish(dir: &Path, gomux: &[u8], sha256: &str) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let file = dir.join(release_name());
    std::fs::write(&file, gomux).unwrap();
    std::fs::write(
        dir.join(format!("{}.sha256", release_name())),
        format!("{sha256}  {}\n", release_name()),
    )
    .unwrap();
    file
}

/// Every file in `bin/` with its bytes and inode: what "left as it was" compares.
fn bin_state(sb: &Sandbox) -> BTreeMap<String, (Vec<u8>, u64)> {
    use std::os::unix::fs::MetadataExt as _;
    std::fs::read_dir(sb.bin())
        .unwrap()
        .flatten()
        .map(|e| {
            let meta = std::fs::symlink_metadata(e.path()).unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                (std::fs::read(e.path()).unwrap(), meta.ino()),
            )
        })
        .collect()
}

#[cfg(unix)]
#[test]
fn self_update_replaces_gomux_and_the_proxies_without_touching_running_ones() {
    use std::io::Read as _;
    use std::os::unix::fs::MetadataExt as _;
    let mut sb = Sandbox::new();
    sb.link_fake("go1.22.3");
    sb.gomux(["default", "1.22.3"]).ok();
    let old_proxy = std::fs::read(sb.bin().join("gomux-shim")).unwrap();
    // A `go` call running from the old proxy holds its file; an update must not change it.
    let mut running = std::fs::File::open(sb.bin().join("go")).unwrap();
    let old_ino = running.metadata().unwrap().ino();

    let (new, new_proxy) = release_with_another_proxy(&sb);
    assert_ne!(new_proxy, old_proxy);
    let releases = sb.root.join("releases");
    publish(&releases, &new, &sha256_hex(&new));
    let server = Mirror::serve(&releases);
    sb.set_env("GOMUX_SELF_UPDATE_URL", Some(&server.url()));

    let before = bin_state(&sb);
    let out = sb.gomux(["self", "update", "--check"]).ok();
    assert!(out.stdout.contains("an update is available"), "{out}");
    let out = sb.gomux(["self", "update", "--dry-run"]).ok();
    assert!(out.stdout.contains("an update is available"), "{out}");
    assert_eq!(bin_state(&sb), before, "--check changes nothing");

    let out = sb.gomux(["self", "update"]).ok();
    assert!(out.stderr.contains("updated"), "{out}");
    assert_eq!(std::fs::read(sb.bin().join("gomux")).unwrap(), new);
    let master = sb.bin().join("gomux-shim");
    assert_eq!(std::fs::read(&master).unwrap(), new_proxy, "{out}");
    for proxy in ["go", "gofmt", "go1.22.3"] {
        let p = sb.bin().join(proxy);
        assert!(gomux_home::fsx::same_file(&p, &master), "{proxy}: {out}");
    }
    let new_ino = std::fs::metadata(sb.bin().join("go")).unwrap().ino();
    assert_ne!(
        new_ino, old_ino,
        "the proxy is a new file, renamed into place"
    );
    let mut bytes = Vec::new();
    running.read_to_end(&mut bytes).unwrap();
    assert_eq!(bytes, old_proxy, "the running proxy's file is untouched");
    // No temporary file is left in bin/.
    let names: Vec<String> = bin_state(&sb).into_keys().collect();
    assert!(
        names
            .iter()
            .all(|n| !n.starts_with('.') || n == ".gomux-folder"),
        "{names:?}"
    );

    // The new proxies work, and they are the new release's (its changed message).
    let out = sb.go(["build"]).ok();
    assert_eq!(out.val("version"), "go1.22.3");
    let out = sb.proxy("gomux-shim", ["version"]).fails();
    assert!(out.stderr.contains("This proxy runs as"), "{out}");

    let out = sb.gomux(["self", "update", "--check"]).ok();
    assert!(out.stdout.contains("up to date"), "{out}");
    let out = sb.gomux(["self", "update"]).ok();
    assert!(out.stderr.contains("up to date"), "{out}");
}

#[cfg(unix)]
#[test]
fn self_update_refuses_what_it_cannot_verify_and_changes_nothing() {
    let sb = Sandbox::new();
    sb.link_fake("go1.22.3");
    let (new, _) = release_with_another_proxy(&sb);
    let before = bin_state(&sb);

    // No release location.
    let out = sb.gomux(["self", "update"]).fails();
    assert!(
        out.stderr.contains("no release location") && out.stderr.contains("self.update_url"),
        "{out}"
    );

    // A checksum that does not match the file (`file://` and a plain path).
    let bad = sb.root.join("bad");
    let file = publish(&bad, &new, &sha256_hex(b"something else"));
    let url = format!("file://{}", file.display());
    for from in [url.as_str(), file.to_str().unwrap()] {
        let out = sb.gomux(["self", "update", "--from", from]).fails();
        assert!(out.stderr.contains("checksum mismatch"), "{out}");
        assert_eq!(bin_state(&sb), before, "{out}");
    }
    let out = sb
        .gomux([
            "self",
            "update",
            "--from",
            file.to_str().unwrap(),
            "--sha256",
        ])
        .arg(sha256_hex(b"other"))
        .fails();
    assert!(out.stderr.contains("checksum mismatch"), "{out}");

    // No `.sha256` beside it.
    std::fs::remove_file(bad.join(format!("{}.sha256", release_name()))).unwrap();
    let out = sb
        .gomux(["self", "update", "--from", file.to_str().unwrap()])
        .fails();
    assert!(
        out.stderr.contains("no sha256 is known") && out.stderr.contains("--sha256"),
        "{out}"
    );

    // A verified file that is not a gomux for this machine.
    let junk = b"#!/bin/sh\nexit 3\n";
    let file = publish(&sb.root.join("junk"), junk, &sha256_hex(junk));
    let out = sb
        .gomux(["self", "update", "--from", file.to_str().unwrap()])
        .fails();
    assert!(out.stderr.contains("does not run on this machine"), "{out}");
    assert_eq!(bin_state(&sb), before, "{out}");

    // Not set up yet.
    let bare = Sandbox::bare();
    let out = bare
        .gomux(["self", "update", "--from", file.to_str().unwrap()])
        .fails();
    assert!(out.stderr.contains("run `gomux setup` first"), "{out}");
}

#[test]
fn self_uninstall_is_setup_uninstall() {
    let sb = Sandbox::new();
    assert!(sb.bin().join(exe("go")).is_file());
    let out = sb.gomux(["self", "uninstall", "--no-modify-path"]).ok();
    assert!(out.stderr.contains("gomux is uninstalled"), "{out}");
    for tool in ["go", "gofmt", "gomux-shim", "gomux"] {
        assert!(!sb.bin().join(exe(tool)).exists(), "{tool}: {out}");
    }
}

//! One self-contained `gomux`: the binary alone, copied to an empty folder, sets up working
//! `go` proxies, and they are the fast (static, on Linux) build of the proxy it carries.

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
    assert!(out.stdout.contains("gomux is set up"), "{out}");
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

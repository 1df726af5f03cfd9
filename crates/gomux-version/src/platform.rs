//! Go's names for the machine: GOOS and GOARCH from Rust's target names, and the architecture
//! as the official downloads name it. The one table of these names; the release index, the
//! fixtures and the test mirror all ask it.

/// Go's GOOS for a Rust target OS (`std::env::consts::OS`): `macos` is `darwin`; `None` for
/// an OS Go has no port for.
pub fn goos(rust_os: &str) -> Option<&'static str> {
    Some(match rust_os {
        "macos" => "darwin",
        "linux" => "linux",
        "windows" => "windows",
        "freebsd" => "freebsd",
        "netbsd" => "netbsd",
        "openbsd" => "openbsd",
        "dragonfly" => "dragonfly",
        "illumos" => "illumos",
        "solaris" => "solaris",
        "aix" => "aix",
        _ => return None,
    })
}

/// Go's GOARCH for a Rust target architecture (`std::env::consts::ARCH`) of the given byte
/// order: `x86_64` is `amd64`, `aarch64` is `arm64`; `None` for one Go has no port for.
pub fn goarch(rust_arch: &str, little_endian: bool) -> Option<&'static str> {
    Some(match rust_arch {
        "x86_64" => "amd64",
        "x86" => "386",
        "aarch64" => "arm64",
        "arm" => "arm",
        "riscv64" => "riscv64",
        "s390x" => "s390x",
        "loongarch64" => "loong64",
        "powerpc64" if little_endian => "ppc64le",
        "powerpc64" => "ppc64",
        "mips" if little_endian => "mipsle",
        "mips" => "mips",
        "mips64" if little_endian => "mips64le",
        "mips64" => "mips64",
        _ => return None,
    })
}

/// The machine gomux runs on as `(GOOS, GOARCH)`; `None` where Go has no port.
pub fn host() -> Option<(&'static str, &'static str)> {
    Some((
        goos(std::env::consts::OS)?,
        goarch(std::env::consts::ARCH, cfg!(target_endian = "little"))?,
    ))
}

/// The architecture as the official downloads and release index name it: 32-bit ARM on Linux
/// is published as `armv6l` (built with GOARM=6, it runs on v7 too); every other is GOARCH.
pub fn download_arch(goos: &str, goarch: &'static str) -> &'static str {
    if goos == "linux" && goarch == "arm" {
        "armv6l"
    } else {
        goarch
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_go() {
        assert_eq!(goos("macos"), Some("darwin"));
        assert_eq!(goos("redox"), None);
        assert_eq!(goarch("x86_64", true), Some("amd64"));
        assert_eq!(goarch("powerpc64", true), Some("ppc64le"));
        assert_eq!(goarch("powerpc64", false), Some("ppc64"));
        assert_eq!(goarch("sparc", false), None);
        assert_eq!(download_arch("linux", "arm"), "armv6l");
        assert_eq!(download_arch("freebsd", "arm"), "arm");
        assert_eq!(download_arch("linux", "amd64"), "amd64");
    }
}

//! The machine's platform as the release index names it (`linux`/`amd64`, `linux`/`armv6l`).

use std::fmt;

/// An operating system and architecture, spelled as in the release index's `os` and `arch`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Platform {
    /// Go's GOOS (`linux`, `darwin`, `windows`).
    pub os: String,
    /// Go's GOARCH, with 32-bit ARM Linux as `armv6l` (`amd64`, `arm64`, `armv6l`).
    pub arch: String,
}

impl Platform {
    /// A platform from Go's names, taken as they are (no check that Go publishes it).
    pub fn new(os: &str, arch: &str) -> Platform {
        Platform {
            os: os.to_string(),
            arch: arch.to_string(),
        }
    }

    /// The machine gomux runs on; `None` for a platform Go publishes no archives for.
    pub fn host() -> Option<Platform> {
        Platform::from_rust(
            std::env::consts::OS,
            std::env::consts::ARCH,
            cfg!(target_endian = "little"),
        )
    }

    /// Maps Rust's names (`std::env::consts`) to the index's: `macos` -> `darwin`,
    /// `x86_64` -> `amd64`, `aarch64` -> `arm64`, 32-bit ARM on Linux -> `armv6l`.
    pub fn from_rust(os: &str, arch: &str, little_endian: bool) -> Option<Platform> {
        use gomux_version::platform;
        let goos = platform::goos(os)?;
        let goarch = platform::goarch(arch, little_endian)?;
        Some(Platform::new(goos, platform::download_arch(goos, goarch)))
    }

    /// `tar.gz` everywhere but Windows, which gets `zip`.
    pub fn archive_ext(&self) -> &'static str {
        if self.os == "windows" {
            "zip"
        } else {
            "tar.gz"
        }
    }

    /// The archive file name of a toolchain: `go1.22.3` -> `go1.22.3.linux-amd64.tar.gz`.
    pub fn archive_filename(&self, toolchain: &str) -> String {
        format!(
            "{toolchain}.{}-{}.{}",
            self.os,
            self.arch,
            self.archive_ext()
        )
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.os, self.arch)
    }
}

/// What an archive's file name says: `go1.22.3.linux-amd64.tar.gz` -> (`go1.22.3`,
/// linux-amd64). `None` for any other shape.
pub fn parse_archive_filename(filename: &str) -> Option<(String, Platform)> {
    let stem = filename
        .strip_suffix(".tar.gz")
        .or_else(|| filename.strip_suffix(".zip"))?;
    let (name, platform) = stem.rsplit_once('.')?;
    let (os, arch) = platform.split_once('-')?;
    if os.is_empty() || arch.is_empty() || !gomux_version::is_safe_name(name) {
        return None;
    }
    gomux_version::from_toolchain(name)?;
    Some((name.to_string(), Platform::new(os, arch)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_rust_names_to_go_names() {
        let p = |os, arch, le| Platform::from_rust(os, arch, le).map(|p| p.to_string());
        assert_eq!(p("linux", "x86_64", true).as_deref(), Some("linux-amd64"));
        assert_eq!(p("macos", "aarch64", true).as_deref(), Some("darwin-arm64"));
        assert_eq!(p("linux", "arm", true).as_deref(), Some("linux-armv6l"));
        assert_eq!(p("freebsd", "arm", true).as_deref(), Some("freebsd-arm"));
        assert_eq!(p("windows", "x86", true).as_deref(), Some("windows-386"));
        assert_eq!(
            p("linux", "powerpc64", true).as_deref(),
            Some("linux-ppc64le")
        );
        assert_eq!(
            p("linux", "powerpc64", false).as_deref(),
            Some("linux-ppc64")
        );
        assert_eq!(
            p("linux", "loongarch64", true).as_deref(),
            Some("linux-loong64")
        );
        assert_eq!(p("linux", "mips", true).as_deref(), Some("linux-mipsle"));
        assert_eq!(p("android", "aarch64", true), None);
        assert_eq!(p("linux", "sparc64", false), None);
    }

    #[test]
    fn archive_names_round_trip() {
        let linux = Platform::new("linux", "armv6l");
        assert_eq!(
            linux.archive_filename("go1.22.3"),
            "go1.22.3.linux-armv6l.tar.gz"
        );
        let win = Platform::new("windows", "amd64");
        assert_eq!(
            win.archive_filename("go1.21rc2"),
            "go1.21rc2.windows-amd64.zip"
        );
        assert_eq!(
            parse_archive_filename("go1.22.3.linux-armv6l.tar.gz"),
            Some(("go1.22.3".to_string(), linux))
        );
        assert_eq!(
            parse_archive_filename("go1.21rc2.windows-amd64.zip"),
            Some(("go1.21rc2".to_string(), win))
        );
        assert_eq!(
            parse_archive_filename("go1.20.darwin-arm64.tar.gz").map(|p| p.0),
            Some("go1.20".to_string())
        );
        assert_eq!(parse_archive_filename("go1.22.3.src.tar.gz"), None);
        assert_eq!(parse_archive_filename("sdk.tar.gz"), None);
        assert_eq!(parse_archive_filename("go1.22.3.linux-amd64.pkg"), None);
    }
}

//! The installed toolchains' names, for a partial pin (`1.22`) or a go line compared with a
//! family default: listed once per call, in the folder's own order, into one string.
//!
//! On Linux the folder is read with `getdents64` into one buffer (rustix's `RawDir`): std's
//! `read_dir` allocates a name (twice, through the C library's `readdir`) for every entry,
//! which with 500 toolchains was most of what a partial pin cost. Elsewhere it is
//! [`Home::try_toolchain_names_unsorted`].

use gomux_home::{Home, ToolchainsUnreadable};

/// Names of `toolchains/` that pass [`gomux_version::is_safe_name`], in one string.
#[derive(Debug, Default)]
pub struct Names {
    /// The names, each followed by `\n` (a safe name has none).
    text: String,
}

impl Names {
    fn push(&mut self, name: &str) {
        self.text.push_str(name);
        self.text.push('\n');
    }

    /// The names, in the folder's order.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.text.split_terminator('\n')
    }
}

/// Lists `toolchains/` (a missing folder lists nothing).
pub fn toolchain_names(home: &Home) -> Result<Names, ToolchainsUnreadable> {
    imp::list(home)
}

#[cfg(target_os = "linux")]
mod imp {
    use std::mem::MaybeUninit;

    use rustix::fs::{Mode, OFlags, RawDir};

    use super::*;

    /// Room for about a thousand entries per `getdents64`.
    const BUFFER: usize = 32 * 1024;

    pub(super) fn list(home: &Home) -> Result<Names, ToolchainsUnreadable> {
        let dir = home.toolchains_dir();
        let unreadable = |e: rustix::io::Errno, dir: std::path::PathBuf| ToolchainsUnreadable {
            dir,
            source: e.into(),
        };
        let fd = match rustix::fs::open(
            &dir,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        ) {
            Ok(fd) => fd,
            Err(rustix::io::Errno::NOENT | rustix::io::Errno::NOTDIR) => {
                return Ok(Names::default());
            }
            Err(e) => return Err(unreadable(e, dir)),
        };
        let mut buf = vec![MaybeUninit::<u8>::uninit(); BUFFER];
        let mut entries = RawDir::new(&fd, &mut buf);
        let mut names = Names::default();
        while let Some(entry) = entries.next() {
            let entry = entry.map_err(|e| unreadable(e, dir.clone()))?;
            if let Ok(name) = entry.file_name().to_str()
                && gomux_version::is_safe_name(name)
            {
                names.push(name);
            }
        }
        Ok(names)
    }
}

#[cfg(not(target_os = "linux"))]
mod imp {
    use super::*;

    pub(super) fn list(home: &Home) -> Result<Names, ToolchainsUnreadable> {
        let mut names = Names::default();
        for name in home.try_toolchain_names_unsorted()? {
            names.push(&name);
        }
        Ok(names)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The same names as the std listing, whatever the folder holds: unsafe names, `.` and
    /// `..`, files, more entries than one buffer takes.
    #[test]
    fn the_listing_matches_the_std_listing() {
        let tmp = tempfile::tempdir().unwrap();
        let home = Home::new(tmp.path().join("home"));
        assert_eq!(
            toolchain_names(&home).unwrap().iter().count(),
            0,
            "no folder"
        );
        let dir = home.toolchains_dir();
        std::fs::create_dir_all(&dir).unwrap();
        assert_eq!(toolchain_names(&home).unwrap().iter().count(), 0, "empty");
        for i in 0..1500 {
            std::fs::create_dir(dir.join(format!("go1.{}.{}", i / 10, i % 10))).unwrap();
        }
        for odd in [".hidden", "-x", "a..b", "with space", "go1.22.3.partial-x"] {
            std::fs::create_dir(dir.join(odd)).unwrap();
        }
        std::fs::write(dir.join("go1.999.0"), "a file").unwrap();
        let mut got: Vec<&str> = Vec::new();
        let names = toolchain_names(&home).unwrap();
        got.extend(names.iter());
        let mut want = home.try_toolchain_names_unsorted().unwrap();
        got.sort_unstable();
        want.sort_unstable();
        assert_eq!(got, want);
        assert!(got.len() > 1500);
    }

    #[cfg(unix)]
    #[test]
    fn a_file_in_place_of_the_folder_lists_nothing_and_an_unreadable_one_is_an_error() {
        use std::os::unix::fs::PermissionsExt as _;
        let tmp = tempfile::tempdir().unwrap();
        let home = Home::new(tmp.path());
        std::fs::write(home.toolchains_dir(), "not a folder").unwrap();
        assert_eq!(toolchain_names(&home).unwrap().iter().count(), 0);
        std::fs::remove_file(home.toolchains_dir()).unwrap();
        std::fs::create_dir(home.toolchains_dir()).unwrap();
        std::fs::set_permissions(
            home.toolchains_dir(),
            std::fs::Permissions::from_mode(0o000),
        )
        .unwrap();
        let denied = std::fs::read_dir(home.toolchains_dir()).is_err(); // root reads anyway
        let got = toolchain_names(&home);
        assert_eq!(got.is_err(), denied, "{got:?}");
        std::fs::set_permissions(
            home.toolchains_dir(),
            std::fs::Permissions::from_mode(0o755),
        )
        .unwrap();
    }
}

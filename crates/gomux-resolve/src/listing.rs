//! The installed toolchains' names, for a partial pin (`1.22`) or a go line compared with a
//! family default: listed once per call, in the folder's own order, into one string.
//!
//! On Linux the names come from `tmp/.toolchains-index` when it is proven current: the index
//! records the folder's device, inode and modification and change times, and the proxy checks
//! them with one `stat` of the folder. Otherwise the folder is read with `getdents64` into one
//! buffer (rustix's `RawDir`), and the index is recorded when the folder's last change is
//! provably older than the listing ([`imp::trusted`]). A listing of 503 entries costs the
//! kernel 0.17 ms on ext4 here; the index costs a stat and a small read whatever the count.
//! Elsewhere it is [`Home::try_toolchain_names_unsorted`], every call.

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
    use std::os::fd::OwnedFd;
    use std::path::Path;

    use rustix::fs::{FileType, Mode, OFlags, RawDir};
    use rustix::io::Errno;

    use super::*;
    use crate::record::{self, Found, Key, Pending};

    /// Room for about a thousand entries per `getdents64`.
    const BUFFER: usize = 32 * 1024;
    /// The index's first line: what it is, and its format's version.
    pub(super) const HEADER: &str = "gomux toolchains index 1";

    /// Where a call's names came from.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub(super) enum Source {
        /// No `toolchains/` folder.
        Nothing,
        /// The index, proven current.
        Index,
        /// The folder itself.
        Folder,
    }

    pub(super) fn list(home: &Home) -> Result<Names, ToolchainsUnreadable> {
        list_from(home).map(|(names, _)| names)
    }

    /// The names, from the index when it is current, otherwise from the folder (then
    /// recording the index when the rules allow, see [`crate::record`]). One `stat` and one
    /// small read when the index is current, against a `getdents64` whose cost grows with
    /// every entry (0.17 ms for 503 entries on ext4 here).
    pub(super) fn list_from(home: &Home) -> Result<(Names, Source), ToolchainsUnreadable> {
        let dir = home.toolchains_dir();
        let unreadable = |e: Errno, dir: &Path| ToolchainsUnreadable {
            dir: dir.to_path_buf(),
            source: e.into(),
        };
        let key = match rustix::fs::stat(&dir) {
            Ok(st) if FileType::from_raw_mode(st.st_mode).is_dir() => Key::of(&st),
            Ok(_) | Err(Errno::NOENT | Errno::NOTDIR) => {
                return Ok((Names::default(), Source::Nothing));
            }
            Err(e) => return Err(unreadable(e, &dir)),
        };
        let index = home.toolchains_index();
        let replace = match record::read(&index, HEADER, record::Source::Folder, &key) {
            Found::Current(text) => match checked(text) {
                Some(names) => return Ok((names, Source::Index)),
                None => false,
            },
            Found::Stale | Found::Absent => true,
            Found::Foreign => false,
        };
        // The making's start comes before the listing (see `record::trusted`).
        let pending = replace
            .then(|| Pending::start(&home.tmp_dir(), key.dev))
            .flatten();
        let fd = match rustix::fs::open(
            &dir,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        ) {
            Ok(fd) => fd,
            Err(Errno::NOENT | Errno::NOTDIR) => return Ok((Names::default(), Source::Nothing)),
            Err(e) => return Err(unreadable(e, &dir)),
        };
        let names = read_folder(&fd).map_err(|e| unreadable(e, &dir))?;
        if let Some(pending) = pending {
            pending.finish(&fd, record::Source::Folder, HEADER, &names.text, &index);
        }
        Ok((names, Source::Folder))
    }

    /// An index's names, when every line is a safe name.
    fn checked(text: String) -> Option<Names> {
        text.split_terminator('\n')
            .all(gomux_version::is_safe_name)
            .then_some(Names { text })
    }

    /// Every safe name in the open folder, in its order.
    fn read_folder(fd: &OwnedFd) -> Result<Names, Errno> {
        let mut buf = vec![MaybeUninit::<u8>::uninit(); BUFFER];
        let mut entries = RawDir::new(fd, &mut buf);
        let mut names = Names::default();
        while let Some(entry) = entries.next() {
            if let Ok(name) = entry?.file_name().to_str()
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

/// The index (Linux): recorded only when provably current, read instead of the folder, never
/// trusted when the folder changed or the file is not one gomux wrote whole.
#[cfg(test)]
#[cfg(target_os = "linux")]
mod index_tests {
    use std::time::{Duration, Instant};

    use super::imp::{self, Source};
    use super::*;

    fn home_with(names: &[&str]) -> (tempfile::TempDir, Home) {
        let tmp = tempfile::tempdir().unwrap();
        let home = Home::new(tmp.path().join("home"));
        std::fs::create_dir_all(home.toolchains_dir()).unwrap();
        gomux_home::fsx::create_owned_dir(&home.tmp_dir(), gomux_home::fsx::FOLDER_MARKER).unwrap();
        for name in names {
            std::fs::create_dir(home.toolchain_dir(name)).unwrap();
        }
        (tmp, home)
    }

    fn sorted(names: &Names) -> Vec<String> {
        let mut v: Vec<String> = names.iter().map(str::to_string).collect();
        v.sort_unstable();
        v
    }

    /// What std lists, sorted.
    fn truth(home: &Home) -> Vec<String> {
        let mut v = home.try_toolchain_names_unsorted().unwrap();
        v.sort_unstable();
        v
    }

    /// Lists until a call is answered from the index (a folder changed in the current clock
    /// tick is listed but not recorded), checking every answer against std's listing.
    fn until_indexed(home: &Home) {
        let start = Instant::now();
        loop {
            let (names, source) = imp::list_from(home).unwrap();
            assert_eq!(sorted(&names), truth(home));
            if source == Source::Index {
                return;
            }
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "the index was never recorded"
            );
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    #[test]
    fn the_index_is_read_instead_of_the_folder_once_recorded() {
        let (_tmp, home) = home_with(&["go1.22.1", "go1.22.2", "go1.21.0"]);
        until_indexed(&home);
        let text = std::fs::read_to_string(home.toolchains_index()).unwrap();
        assert!(text.starts_with(imp::HEADER) && text.ends_with("\nend\n"));
        // The same key with other names: what the call returns is the index, not the folder.
        let key_line = text.lines().nth(1).unwrap();
        std::fs::write(
            home.toolchains_index(),
            format!("gomux toolchains index 1\n{key_line}\ngo1.99.9\nend\n"),
        )
        .unwrap();
        let (names, source) = imp::list_from(&home).unwrap();
        assert_eq!(source, Source::Index);
        assert_eq!(sorted(&names), ["go1.99.9"]);
    }

    /// Changes made right after the index was recorded (in the same clock tick, with no
    /// pause) are seen on the very next call: made, removed, renamed, a link, a file.
    #[test]
    fn every_change_to_the_folder_is_seen_by_the_next_call() {
        let (_tmp, home) = home_with(&["go1.22.1"]);
        let dir = home.toolchains_dir();
        let mut next = crate::linestart::xorshift(0x9e37_79b9_7f4a_7c15);
        for round in 0..300 {
            if round % 60 == 0 {
                until_indexed(&home);
            }
            let n = next() % 40;
            let name = format!("go1.{}.{}", 20 + n / 10, n % 10);
            let path = dir.join(&name);
            match (std::fs::symlink_metadata(&path).is_ok(), next() % 4) {
                (true, 0) => std::fs::rename(&path, dir.join(format!("go1.30rc{round}"))).unwrap(),
                (true, _) => {
                    if path.is_dir() && !path.is_symlink() {
                        std::fs::remove_dir(&path).unwrap()
                    } else {
                        std::fs::remove_file(&path).unwrap()
                    }
                }
                (false, 0) => std::os::unix::fs::symlink("/nowhere", &path).unwrap(),
                (false, 1) => std::fs::write(&path, "a file").unwrap(),
                (false, _) => std::fs::create_dir(&path).unwrap(),
            }
            let (names, _) = imp::list_from(&home).unwrap();
            assert_eq!(sorted(&names), truth(&home), "round {round}: {name}");
        }
    }

    #[test]
    fn a_folder_swapped_in_at_the_same_path_is_not_taken_for_the_indexed_one() {
        let (tmp, home) = home_with(&[]);
        // Two folders made long before the listing; `toolchains` is a link to the first.
        let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
        std::fs::create_dir(&a).unwrap();
        std::fs::create_dir(a.join("go1.22.1")).unwrap();
        std::fs::create_dir(&b).unwrap();
        std::fs::create_dir(b.join("go1.23.0")).unwrap();
        std::thread::sleep(Duration::from_millis(30));
        std::fs::remove_dir(home.toolchains_dir()).unwrap();
        std::os::unix::fs::symlink(&a, home.toolchains_dir()).unwrap();
        until_indexed(&home);
        std::fs::remove_file(home.toolchains_dir()).unwrap();
        std::os::unix::fs::symlink(&b, home.toolchains_dir()).unwrap();
        let (names, source) = imp::list_from(&home).unwrap();
        assert_eq!(
            (sorted(&names), source),
            (vec!["go1.23.0".to_string()], Source::Folder)
        );
    }

    #[test]
    fn a_stale_index_is_replaced_by_a_current_one() {
        let (_tmp, home) = home_with(&["go1.22.1"]);
        until_indexed(&home);
        std::fs::create_dir(home.toolchain_dir("go1.22.5")).unwrap();
        until_indexed(&home);
        let text = std::fs::read_to_string(home.toolchains_index()).unwrap();
        assert!(text.contains("\ngo1.22.5\n"), "{text}");
    }

    /// A file gomux did not write whole is neither trusted nor replaced (nor deleted).
    #[test]
    fn a_damaged_or_foreign_index_is_never_trusted_nor_replaced() {
        let (_tmp, home) = home_with(&["go1.22.1", "go1.22.2"]);
        until_indexed(&home);
        let good = std::fs::read_to_string(home.toolchains_index()).unwrap();
        let key_line = good.lines().nth(1).unwrap().to_string();
        let with = |body: &str| format!("gomux toolchains index 1\n{key_line}\n{body}");
        let cases: Vec<(&str, String)> = vec![
            ("empty", String::new()),
            ("header only", "gomux toolchains index 1\n".into()),
            ("no end line", with("go1.99.9\n")),
            ("more after the end", with("go1.99.9\nend\nx\n")),
            ("an unsafe name", with("../go1.99.9\nend\n")),
            ("an empty name", with("go1.99.9\n\nend\n")),
            ("another version", good.replace("index 1\n", "index 2\n")),
            ("a key with a plus", good.replacen(' ', " +", 1)),
            (
                "a key word too many",
                good.replacen('\n', " 7\n", 2).replacen(" 7\n", "\n", 1),
            ),
            ("a key word missing", {
                let mut k: Vec<&str> = key_line.split(' ').collect();
                k.pop();
                format!("gomux toolchains index 1\n{}\ngo1.99.9\nend\n", k.join(" "))
            }),
            ("too large", with(&"go1.99.9\n".repeat(200_000))),
        ];
        let mut cases: Vec<(&str, Vec<u8>)> = cases
            .into_iter()
            .map(|(w, t)| (w, t.into_bytes()))
            .collect();
        let mut bad = with("go1.99.9\nend\n").into_bytes();
        let at = bad.len() - 6;
        bad[at] = 0xff;
        cases.push(("not UTF-8", bad));
        for (what, text) in &cases {
            std::fs::write(home.toolchains_index(), text).unwrap();
            for _ in 0..2 {
                let (names, source) = imp::list_from(&home).unwrap();
                assert_eq!(
                    (sorted(&names), source),
                    (truth(&home), Source::Folder),
                    "{what}"
                );
            }
            assert_eq!(
                &std::fs::read(home.toolchains_index()).unwrap(),
                text,
                "{what}: left as it was"
            );
        }
        // A link to a good index, a folder and a FIFO in its place.
        std::fs::write(home.tmp_dir().join("elsewhere"), &good).unwrap();
        std::fs::remove_file(home.toolchains_index()).unwrap();
        std::os::unix::fs::symlink("elsewhere", home.toolchains_index()).unwrap();
        let (_, source) = imp::list_from(&home).unwrap();
        assert_eq!(source, Source::Folder, "a link");
        assert!(home.toolchains_index().is_symlink());
        std::fs::remove_file(home.toolchains_index()).unwrap();
        std::fs::create_dir(home.toolchains_index()).unwrap();
        let (_, source) = imp::list_from(&home).unwrap();
        assert_eq!(source, Source::Folder, "a folder");
        assert!(home.toolchains_index().is_dir());
        std::fs::remove_dir(home.toolchains_index()).unwrap();
        let fifo = std::process::Command::new("mkfifo")
            .arg(home.toolchains_index())
            .status();
        if fifo.is_ok_and(|s| s.success()) {
            let (names, source) = imp::list_from(&home).unwrap();
            assert_eq!(
                (sorted(&names), source),
                (truth(&home), Source::Folder),
                "a FIFO"
            );
        }
    }

    /// `tmp/` without gomux's marker is the user's folder (`GOMUX_HOME=$HOME`): nothing is
    /// recorded in it.
    #[test]
    fn an_unmarked_tmp_gets_no_index() {
        let (_tmp, home) = home_with(&["go1.22.1"]);
        std::fs::remove_file(gomux_home::fsx::FOLDER_MARKER.path(&home.tmp_dir())).unwrap();
        std::thread::sleep(Duration::from_millis(30));
        for _ in 0..3 {
            let (names, source) = imp::list_from(&home).unwrap();
            assert_eq!((sorted(&names), source), (truth(&home), Source::Folder));
        }
        assert_eq!(std::fs::read_dir(home.tmp_dir()).unwrap().count(), 0);
    }

    #[test]
    fn without_tmp_nothing_is_recorded_and_nothing_is_made() {
        let (_tmp, home) = home_with(&["go1.22.1"]);
        std::fs::remove_dir_all(home.tmp_dir()).unwrap();
        std::thread::sleep(Duration::from_millis(30));
        for _ in 0..3 {
            let (names, source) = imp::list_from(&home).unwrap();
            assert_eq!((sorted(&names), source), (truth(&home), Source::Folder));
        }
        assert!(!home.tmp_dir().exists());
    }
}

//! Records in `tmp/` that stand in for work whose cost grows with what it reads (the listing of
//! `toolchains/`, the scan of a large go.mod), each proven current on every use by one `stat`
//! of what it was made from (Linux).
//!
//! A record holds the source's device, inode, size and modification and change times as they
//! were when it was made, and the time the making began. It is used only when the source's
//! `stat` gives the same key, and only when the source's last change came before the making
//! began ([`trusted`]): a change after that always gets a change time of at least that time, so
//! it can never leave the key as it was. Nobody can set a change time back.
//!
//! A record is written into an unnamed file (`O_TMPFILE`) made just before the source is read,
//! whose own time is the making's start on the same clock and at the same granularity as the
//! source's times, and it is named only once whole: a crash leaves nothing behind, and no reader
//! ever sees half a record. Failing to record only means the work is done again next time.

use std::os::fd::{AsFd, AsRawFd as _, OwnedFd};
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::Path;

use rustix::fs::{AtFlags, CWD, Mode, OFlags, Stat};
use rustix::io::Errno;

/// A record's last line: a file that ends otherwise was not written whole.
const END: &str = "end\n";
/// More than gomux writes for any record (a thousand toolchains take 12 KiB).
const LIMIT: usize = 1 << 20;

/// A file time: seconds and nanoseconds, compared in that order.
pub(crate) type Time = (i128, i128);

/// What a record is checked against: the source's device, inode and size, and its
/// modification and change times. Making, removing or renaming a folder's entry, and writing
/// or truncating a file, set both times to the current time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Key {
    pub(crate) dev: i128,
    ino: i128,
    size: i128,
    mtime: Time,
    ctime: Time,
}

impl Key {
    pub(crate) fn of(st: &Stat) -> Key {
        // The field types differ between architectures; every one fits an i128.
        Key {
            dev: i128::from(st.st_dev),
            ino: i128::from(st.st_ino),
            size: i128::from(st.st_size),
            mtime: (i128::from(st.st_mtime), i128::from(st.st_mtime_nsec)),
            ctime: (i128::from(st.st_ctime), i128::from(st.st_ctime_nsec)),
        }
    }

    fn line(&self, made: Time) -> String {
        format!(
            "{} {} {} {} {} {} {} {} {}",
            self.dev,
            self.ino,
            self.size,
            self.mtime.0,
            self.mtime.1,
            self.ctime.0,
            self.ctime.1,
            made.0,
            made.1
        )
    }

    fn parse(line: &str) -> Option<(Key, Time)> {
        let mut words = line.split(' ').map(|w| {
            // Digits only (with a sign for the times): no `+`, no spaces, no empty words.
            let digits = w.strip_prefix('-').unwrap_or(w);
            (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
                .then(|| w.parse::<i128>().ok())
                .flatten()
        });
        let mut next = || words.next().flatten();
        let key = Key {
            dev: next()?,
            ino: next()?,
            size: next()?,
            mtime: (next()?, next()?),
            ctime: (next()?, next()?),
        };
        let made = (next()?, next()?);
        words.next().is_none().then_some((key, made))
    }
}

/// What kind of source a record stands for, which decides how old its last change must be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Source {
    /// A folder: an entry is made, removed or renamed in one step, under the folder's lock,
    /// which a listing waits for; a change time before the making's start is enough.
    Folder,
    /// A file: a `write` sets the times when it begins, before its bytes are in, so a write
    /// still running when the making began could leave a change time before it and half its
    /// bytes seen. The last change must be [`FILE_MARGIN`] older than that.
    File,
}

/// How much older than a record's making a file's last change must be ([`Source::File`]): far
/// longer than any one `write` of a module file takes.
pub(crate) const FILE_MARGIN: Time = (2, 0);

/// Whether a record of a source with `key`, made from `made` on, can be trusted (see the
/// module's comment). A change time equal to `made` may hide a change in the same clock tick
/// (file times come from a clock that advances in ticks of a few milliseconds, or a second on
/// some filesystems): such a source is read for this call and not recorded, and a later call
/// records it.
pub(crate) fn trusted(source: Source, ctime: Time, made: Time) -> bool {
    match source {
        Source::Folder => ctime < made,
        Source::File => (ctime.0 + FILE_MARGIN.0, ctime.1 + FILE_MARGIN.1) < made,
    }
}

/// What a record's path holds.
pub(crate) enum Found {
    /// A record of the source as it is now: what it holds between its key line and its end.
    Current(String),
    /// gomux's record of an earlier state (or of another source): to be replaced.
    Stale,
    /// No file.
    Absent,
    /// Something gomux did not write whole (or at all): left alone, and not replaced.
    Foreign,
}

/// Reads the record at `path`, of the kind its first line `header` names, for a source of
/// `source` kind whose `stat` gives `now`.
pub(crate) fn read(path: &Path, header: &str, source: Source, now: &Key) -> Found {
    let opened = std::fs::OpenOptions::new()
        .read(true)
        // A link put there is not gomux's record; a FIFO never blocks the proxy.
        .custom_flags(flag(OFlags::NOFOLLOW) | flag(OFlags::NONBLOCK))
        .open(path);
    let bytes = match gomux_home::fsx::read_bounded_opened(opened, path, LIMIT as u64) {
        Ok(Some(bytes)) => bytes,
        Ok(None) => return Found::Absent,
        Err(_) => return Found::Foreign,
    };
    let Ok(mut text) = String::from_utf8(bytes) else {
        return Found::Foreign;
    };
    let Some((stored, made, body)) = split(&text, header) else {
        return Found::Foreign;
    };
    if stored != *now || !trusted(source, stored.ctime, made) {
        return Found::Stale;
    }
    text.truncate(body.end);
    text.drain(..body.start);
    Found::Current(text)
}

/// The key, the making's start and where the body is, when `text` is a record of kind
/// `header` written whole: the header, the key line, the body (empty, or lines), the end line,
/// nothing after it.
fn split(text: &str, header: &str) -> Option<(Key, Time, std::ops::Range<usize>)> {
    let rest = text.strip_prefix(header)?.strip_prefix('\n')?;
    let (line, body) = rest.split_once('\n')?;
    let body = body.strip_suffix(END)?;
    if !(body.is_empty() || body.ends_with('\n')) {
        return None;
    }
    let (key, made) = Key::parse(line)?;
    let start = header.len() + 1 + line.len() + 1;
    Some((key, made, start..start + body.len()))
}

/// The whole text of a record (`body`: empty, or lines each ending in `\n`).
pub(crate) fn text(header: &str, key: &Key, made: Time, body: &str) -> String {
    format!("{header}\n{}\n{body}{END}", key.line(made))
}

/// A record being made: the unnamed file in `tmp/`, and its time.
pub(crate) struct Pending {
    file: OwnedFd,
    made: Time,
}

impl Pending {
    /// Begins a record, just before the source is read. `None` when `tmp` is missing, not
    /// the folder gomux made (no `.gomux-folder` marker: with `GOMUX_HOME=$HOME` it is the
    /// user's own `~/tmp`, where nothing of gomux's stays), not writable, on another
    /// filesystem than the source (`dev`; its clock and granularity may differ), or cannot
    /// make unnamed files: the source is then read on every call.
    pub(crate) fn start(tmp: &Path, dev: i128) -> Option<Pending> {
        if !gomux_home::fsx::FOLDER_MARKER.is_on(tmp) {
            return None;
        }
        let file = rustix::fs::open(
            tmp,
            OFlags::WRONLY | OFlags::TMPFILE | OFlags::CLOEXEC,
            Mode::from_raw_mode(0o644),
        )
        .ok()?;
        let st = rustix::fs::fstat(&file).ok()?;
        let made = (i128::from(st.st_mtime), i128::from(st.st_mtime_nsec));
        (i128::from(st.st_dev) == dev).then_some(Pending { file, made })
    }

    /// Names the record `path`, holding `body`, once the source (open as `from`) has been
    /// read, when the rules allow. Replaces only gomux's own stale record (the caller read it
    /// as [`Found::Stale`] or [`Found::Absent`]).
    pub(crate) fn finish(
        self,
        from: impl AsFd,
        source: Source,
        header: &str,
        body: &str,
        path: &Path,
    ) {
        // The source's times now: a source swapped in at the same path since has another
        // inode, so the record never matches it.
        let Ok(st) = rustix::fs::fstat(from) else {
            return;
        };
        let key = Key::of(&st);
        if !trusted(source, key.ctime, self.made) {
            return;
        }
        let text = text(header, &key, self.made, body);
        let mut bytes = text.as_bytes();
        while !bytes.is_empty() {
            match rustix::io::write(&self.file, bytes) {
                Ok(0) => return,
                Ok(n) => bytes = &bytes[n..],
                Err(Errno::INTR) => {}
                Err(_) => return,
            }
        }
        // Out with the stale record, in with this one. A reader between the two reads the
        // source itself; a writer that comes second finds the name taken and stops.
        match rustix::fs::unlink(path) {
            Ok(()) | Err(Errno::NOENT) => {}
            Err(_) => return,
        }
        let by_proc = format!("/proc/self/fd/{}", self.file.as_raw_fd());
        if rustix::fs::linkat(CWD, by_proc.as_str(), CWD, path, AtFlags::SYMLINK_FOLLOW).is_err() {
            // Without /proc: allowed to a process with CAP_DAC_READ_SEARCH.
            let _ = rustix::fs::linkat(self.file.as_fd(), "", CWD, path, AtFlags::EMPTY_PATH);
        }
    }
}

/// An open(2) flag as std's `OpenOptionsExt::custom_flags` takes it.
fn flag(f: OFlags) -> i32 {
    f.bits() as i32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_in_the_makings_clock_tick_is_not_trusted() {
        let folder = |c, m| trusted(Source::Folder, c, m);
        assert!(folder((5, 10), (5, 11)));
        assert!(folder((4, 999_999_999), (5, 0)));
        assert!(!folder((5, 11), (5, 11)), "the same tick");
        assert!(!folder((6, 0), (5, 11)), "later");
        let file = |c, m| trusted(Source::File, c, m);
        assert!(file((3, 10), (5, 11)));
        assert!(!file((3, 11), (5, 11)), "exactly the margin");
        assert!(!file((4, 0), (5, 11)), "within the margin");
    }

    #[test]
    fn a_record_is_read_back_whole_and_nothing_else_is() {
        let key = Key {
            dev: 1,
            ino: 2,
            size: 3,
            mtime: (4, 5),
            ctime: (-6, 7),
        };
        let made = (8, 9);
        let whole = text("h 1", &key, made, "a\nb\n");
        assert_eq!(whole, "h 1\n1 2 3 4 5 -6 7 8 9\na\nb\nend\n");
        let (k, m, body) = split(&whole, "h 1").unwrap();
        assert_eq!((k, m, &whole[body]), (key, made, "a\nb\n"));
        let empty = text("h 1", &key, made, "");
        assert_eq!(&empty[split(&empty, "h 1").unwrap().2], "");
        for bad in [
            whole.replace("h 1", "h 2"),
            whole.replace("end\n", ""),
            whole.replace("b\nend", "bend"),
            format!("{whole}x"),
            whole.replace(" 2 ", " +2 "),
            whole.replace(" 2 ", "  2 "),
            whole.replace(" 9\n", " 9 10\n"),
            whole.replace(" 8 9\n", " 8\n"),
            whole.replace(" 3 ", " 3x "),
        ] {
            assert!(split(&bad, "h 1").is_none(), "{bad:?}");
        }
    }
}

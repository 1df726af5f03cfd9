//! The per-toolchain install lock: an OS file lock (std `File::lock`) on `tmp/<name>.lock`.
//!
//! Why an OS lock and not a marker file: the kernel releases it when its holder dies, even by
//! SIGKILL, so a crashed install never leaves a lock behind that needs a timeout to break.
//! The lock file itself is never deleted (deleting it would let two processes lock two
//! different files of the same name).
//!
//! The holder writes what it is doing into the lock file (`uninstall pid=42`), so that a
//! waiter can say whom it waits for; the lock, not the text, is what excludes.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read as _, Seek as _, Write as _};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use gomux_home::text;

use crate::error::DistError;

/// What the holder of a toolchain's lock does with it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    /// Installing the toolchain, or clearing its leftovers in `tmp/`.
    Install,
    /// `gomux uninstall` removing it.
    Uninstall,
}

impl Operation {
    fn word(self) -> &'static str {
        match self {
            Operation::Install => "install",
            Operation::Uninstall => "uninstall",
        }
    }

    fn doing(self) -> &'static str {
        match self {
            Operation::Install => "installing",
            Operation::Uninstall => "uninstalling",
        }
    }
}

/// The longest wait gomux accepts (about 31 years): a larger `GOMUX_LOCK_TIMEOUT` means
/// "wait this long", not an error.
pub const MAX_WAIT: Duration = Duration::from_secs(1_000_000_000);

/// Held while installing or removing one toolchain; released on drop.
#[derive(Debug)]
pub struct InstallLock {
    _file: File,
    path: PathBuf,
}

impl InstallLock {
    /// The lock file held, `tmp/<name>.lock` under the gomux home.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

fn open(path: &Path) -> Result<File, DistError> {
    if let Some(dir) = path.parent() {
        gomux_home::fsx::create_owned_dir(dir, gomux_home::fsx::FOLDER_MARKER)
            .map_err(|e| DistError::io(e.op, e.path, e.source))?;
    }
    let mut opts = OpenOptions::new();
    opts.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o644);
    opts.open(path)
        .map_err(|e| DistError::io("open the lock file", path, e))
}

/// Takes the lock at `path` without waiting, recording `op`; `None` when someone else holds
/// it.
pub fn try_acquire(path: &Path, op: Operation) -> Result<Option<InstallLock>, DistError> {
    let mut file = open(path)?;
    match file.try_lock() {
        Ok(()) => {
            // Best effort: a waiter that cannot read this says less, nothing breaks.
            let note = format!("{} pid={}\n", op.word(), std::process::id());
            let _ = file
                .set_len(0)
                .and_then(|()| file.rewind())
                .and_then(|()| file.write_all(note.as_bytes()));
            Ok(Some(InstallLock {
                _file: file,
                path: path.to_path_buf(),
            }))
        }
        Err(TryLockError::WouldBlock) => Ok(None),
        Err(TryLockError::Error(e)) => Err(DistError::io("lock", path, e)),
    }
}

/// Who holds the lock at `path`, as a waiter names it: `another gomux (pid 42) that is
/// uninstalling go1.22.3`, from what the holder wrote into the lock file.
fn holder(path: &Path, name: &str) -> String {
    let mut note = Vec::new();
    if let Ok(f) = File::open(path) {
        let _ = f.take(256).read_to_end(&mut note);
    }
    let note = String::from_utf8_lossy(&note);
    let mut words = note.split_whitespace();
    let op = match words.next() {
        Some("install") => Some(Operation::Install),
        Some("uninstall") => Some(Operation::Uninstall),
        _ => None,
    };
    let pid = words
        .find_map(|w| w.strip_prefix("pid="))
        .and_then(|p| p.parse::<u32>().ok());
    let who = match pid {
        Some(pid) => format!("another gomux (pid {pid})"),
        None => "another gomux".to_string(),
    };
    let name = text::escape(name);
    match op {
        Some(op) => format!("{who} that is {} {name}", op.doing()),
        None => format!("{who} that holds the lock of {name}"),
    }
}

/// `d` for messages: `0.5s`, `600s`, or `a very long time` past a year.
fn shown_secs(d: Duration) -> String {
    if d >= Duration::from_secs(365 * 24 * 3600) {
        "a very long time".to_string()
    } else if d.subsec_millis() > 0 && d < Duration::from_secs(60) {
        format!("{:.1}s", d.as_secs_f64())
    } else {
        format!("{}s", d.as_secs())
    }
}

/// Takes the lock for toolchain `name` at `path` to do `op`, waiting up to `timeout` for
/// another gomux. `on_wait` is called once, when the lock turns out to be busy.
pub fn acquire(
    path: &Path,
    name: &str,
    op: Operation,
    timeout: Duration,
    on_wait: &dyn Fn(&str),
) -> Result<InstallLock, DistError> {
    if let Some(lock) = try_acquire(path, op)? {
        return Ok(lock);
    }
    let timeout = timeout.min(MAX_WAIT);
    on_wait(&format!(
        "waiting for {} (lock `{}`; `GOMUX_LOCK_TIMEOUT` sets how long to wait, now {})",
        holder(path, name),
        path.display(),
        shown_secs(timeout)
    ));
    let start = Instant::now();
    let mut pause = Duration::from_millis(20);
    loop {
        if start.elapsed() >= timeout {
            return Err(DistError::LockTimeout {
                name: name.to_string(),
                path: path.to_path_buf(),
                waited: shown_secs(timeout),
                holder: holder(path, name),
            });
        }
        std::thread::sleep(pause.min(timeout.saturating_sub(start.elapsed())));
        pause = (pause * 2).min(Duration::from_millis(200));
        if let Some(lock) = try_acquire(path, op)? {
            return Ok(lock);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    #[test]
    fn second_holder_waits_then_times_out() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tmp").join("go1.22.3.lock");
        let held = acquire(
            &path,
            "go1.22.3",
            Operation::Uninstall,
            Duration::from_secs(1),
            &|_| {},
        )
        .unwrap();
        assert!(try_acquire(&path, Operation::Install).unwrap().is_none());
        let said = RefCell::new(Vec::new());
        let e = acquire(
            &path,
            "go1.22.3",
            Operation::Install,
            Duration::from_millis(100),
            &|m| said.borrow_mut().push(m.to_string()),
        )
        .unwrap_err();
        assert!(matches!(e, DistError::LockTimeout { .. }), "{e}");
        // The waiter names what the holder does, not what the waiter wants to do.
        assert!(
            e.to_string().contains("that is uninstalling go1.22.3"),
            "{e}"
        );
        let said = said.into_inner();
        assert_eq!(said.len(), 1);
        assert!(said[0].contains("go1.22.3.lock"), "{}", said[0]);
        assert!(said[0].contains("GOMUX_LOCK_TIMEOUT"), "{}", said[0]);
        let pid = format!("(pid {})", std::process::id());
        assert!(said[0].contains(&pid), "{}", said[0]);
        assert!(
            said[0].contains("that is uninstalling go1.22.3"),
            "{}",
            said[0]
        );
        drop(held);
        assert!(try_acquire(&path, Operation::Install).unwrap().is_some());
        assert_eq!(shown_secs(MAX_WAIT), "a very long time");
        assert_eq!(shown_secs(Duration::from_millis(100)), "0.1s");
        assert_eq!(shown_secs(Duration::from_secs(600)), "600s");
    }
}

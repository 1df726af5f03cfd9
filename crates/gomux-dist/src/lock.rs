//! The per-toolchain install lock: an OS file lock (std `File::lock`) on `tmp/<name>.lock`.
//!
//! Why an OS lock and not a marker file: the kernel releases it when its holder dies, even by
//! SIGKILL, so a crashed install never leaves a lock behind that needs a timeout to break.
//! The lock file itself is never deleted (deleting it would let two processes lock two
//! different files of the same name).

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::error::DistError;

/// Held while installing or removing one toolchain; released on drop.
#[derive(Debug)]
pub struct InstallLock {
    _file: File,
    path: PathBuf,
}

impl InstallLock {
    pub fn path(&self) -> &Path {
        &self.path
    }
}

fn open(path: &Path) -> Result<File, DistError> {
    if let Some(dir) = path.parent() {
        gomux_home::fsx::create_owned_dir(dir, gomux_home::fsx::FOLDER_MARKER)
            .map_err(|e| DistError::io(e.op, e.path, e.source))?;
    }
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .map_err(|e| DistError::io("open the lock file", path, e))
}

/// Takes the lock at `path` without waiting; `None` when someone else holds it.
pub fn try_acquire(path: &Path) -> Result<Option<InstallLock>, DistError> {
    let file = open(path)?;
    match file.try_lock() {
        Ok(()) => Ok(Some(InstallLock {
            _file: file,
            path: path.to_path_buf(),
        })),
        Err(TryLockError::WouldBlock) => Ok(None),
        Err(TryLockError::Error(e)) => Err(DistError::io("lock", path, e)),
    }
}

/// Takes the lock for toolchain `name` at `path`, waiting up to `timeout` for another gomux.
/// `on_wait` is called once, when the lock turns out to be busy.
pub fn acquire(
    path: &Path,
    name: &str,
    timeout: Duration,
    on_wait: &dyn Fn(&str),
) -> Result<InstallLock, DistError> {
    if let Some(lock) = try_acquire(path)? {
        return Ok(lock);
    }
    on_wait(&format!(
        "waiting for another gomux that is installing {name} (lock `{}`; `GOMUX_LOCK_TIMEOUT` sets how long to wait, now {}s)",
        path.display(),
        timeout.as_secs()
    ));
    let start = Instant::now();
    let mut pause = Duration::from_millis(20);
    loop {
        if start.elapsed() >= timeout {
            return Err(DistError::LockTimeout {
                name: name.to_string(),
                path: path.to_path_buf(),
                secs: timeout.as_secs(),
            });
        }
        std::thread::sleep(pause.min(timeout.saturating_sub(start.elapsed())));
        pause = (pause * 2).min(Duration::from_millis(200));
        if let Some(lock) = try_acquire(path)? {
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
        let held = acquire(&path, "go1.22.3", Duration::from_secs(1), &|_| {}).unwrap();
        assert!(try_acquire(&path).unwrap().is_none());
        let said = RefCell::new(Vec::new());
        let e = acquire(&path, "go1.22.3", Duration::from_millis(100), &|m| {
            said.borrow_mut().push(m.to_string())
        })
        .unwrap_err();
        assert!(matches!(e, DistError::LockTimeout { .. }), "{e}");
        let said = said.into_inner();
        assert_eq!(said.len(), 1);
        assert!(said[0].contains("go1.22.3.lock"), "{}", said[0]);
        assert!(said[0].contains("GOMUX_LOCK_TIMEOUT"), "{}", said[0]);
        drop(held);
        assert!(try_acquire(&path).unwrap().is_some());
    }
}

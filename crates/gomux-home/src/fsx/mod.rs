//! The one way gomux writes a file that matters, reads a file it does not control, and deletes a
//! folder.
//!
//! The design decisions to know:
//! - [`write_atomic`] never truncates the file it replaces: the new bytes go to a temporary file
//!   beside it, are flushed to disk, and are renamed over the old file, keeping its mode (and
//!   owner, when root edits a user's file). A profile that is a symbolic link is written at its
//!   target, so it stays a link. A kill or a full disk leaves the old file whole. A
//!   read-modify-write also holds an [`UpdateLock`], so two gomux processes never lose each
//!   other's edits.
//! - [`read_bounded`] reads only regular files, at most a given size: a FIFO named
//!   `settings.toml` or a sparse 1 GB `.go-version` is an error, not a hang.
//! - gomux deletes a folder only when it proves the folder is its own ([`Marker`]: a file gomux
//!   wrote when it made the folder). [`remove_owned`] checks the marker, renames the folder out
//!   of sight, and only then deletes it, so no reader ever sees half of it.
//! - [`checkpoint`] lets the crash tests stop gomux at a named point, the way a kill would.

use std::ffi::OsString;
use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use gomux_version::Hints;

use crate::text;

/// The variable the crash tests set to a checkpoint name. Test-only; not in the registry.
pub const CRASH_AT_VAR: &str = "GOMUX_TEST_CRASH_AT";

/// Stops the process at once, as `kill -9` would (no destructors, no clean-up), when
/// `GOMUX_TEST_CRASH_AT` names this checkpoint. Costs one variable lookup otherwise; never
/// called on the proxy's hot path.
pub fn checkpoint(name: &str) {
    if std::env::var_os(CRASH_AT_VAR).is_some_and(|v| v == name) {
        std::process::abort();
    }
}

/// A file operation that failed, with the path it was about.
#[derive(Debug)]
pub struct FsError {
    /// What was being done: `write`, `read`, `remove`, ...
    pub op: &'static str,
    /// The file or folder it was done to (raw; escape it before printing).
    pub path: PathBuf,
    /// The OS error.
    pub source: io::Error,
}

impl FsError {
    /// The error of doing `op` (a verb phrase such as `"write"`) to `path`.
    pub fn new(op: &'static str, path: impl Into<PathBuf>, source: io::Error) -> FsError {
        FsError {
            op,
            path: path.into(),
            source,
        }
    }

    /// What to do about it, for the errors that have an answer (a full disk, a permission).
    pub fn hint(&self) -> Option<String> {
        op_hint(self.op, &self.source, &self.path)
    }
}

impl fmt::Display for FsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cannot {} `{}`: {}",
            self.op,
            text::escape_path(&self.path),
            describe(&self.source)
        )
    }
}

impl std::error::Error for FsError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

impl Hints for FsError {
    fn hints(&self) -> Vec<String> {
        self.hint().into_iter().collect()
    }
}

/// The hint for an I/O error that has one: a full disk or a permission problem, naming the
/// folder concerned.
pub fn io_hint(e: &io::Error, path: &Path) -> Option<String> {
    let folder = path.parent().unwrap_or(path);
    match e.kind() {
        io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded => Some(format!(
            "the disk holding `{}` is full: free some space there and run the command again; nothing was changed",
            text::escape_path(folder)
        )),
        io::ErrorKind::PermissionDenied | io::ErrorKind::ReadOnlyFilesystem => Some(format!(
            "check that you may write to `{}` (its owner and mode, or a read-only mount)",
            text::escape_path(folder)
        )),
        _ => None,
    }
}

/// Like [`io_hint`], for a failure of `op`: a read that is refused asks for read access to the
/// file itself, not for write access to its folder.
pub fn op_hint(op: &str, e: &io::Error, path: &Path) -> Option<String> {
    if op.starts_with("read") && e.kind() == io::ErrorKind::PermissionDenied {
        return Some(format!(
            "check that you may read `{}` and enter the folders above it",
            text::escape_path(path)
        ));
    }
    io_hint(e, path)
}

/// An I/O error as a person reads it: the OS message without Rust's `(os error N)` noise.
pub fn describe(e: &io::Error) -> String {
    let s = e.to_string();
    match s.rfind(" (os error ") {
        Some(i) if s.ends_with(')') => s[..i].to_string(),
        _ => text::escape(&s),
    }
}

/// The path to write when replacing `path`: `path` itself, or the file a chain of symbolic
/// links ends at (a dotfiles repository's profile stays a link).
pub fn write_target(path: &Path) -> io::Result<PathBuf> {
    let mut p = path.to_path_buf();
    for _ in 0..40 {
        match fs::symlink_metadata(&p) {
            Ok(m) if m.file_type().is_symlink() => {
                let link = fs::read_link(&p)?;
                p = match p.parent() {
                    Some(dir) if link.is_relative() => dir.join(link),
                    _ => link,
                };
            }
            Ok(_) => return Ok(p),
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(p),
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::other("too many levels of symbolic links"))
}

static TEMP_COUNTER: AtomicU32 = AtomicU32::new(0);

/// The temporary name a write to `target` uses: `.<name>.gomux-tmp-<pid>-<n>`, in the same
/// folder (so the rename is atomic).
fn temp_path(target: &Path) -> PathBuf {
    let name = target.file_name().unwrap_or_default();
    let mut tmp = OsString::from(".");
    tmp.push(name);
    tmp.push(format!(
        "{}{}-{}",
        TEMP_TAG,
        std::process::id(),
        TEMP_COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    target.with_file_name(tmp)
}

const TEMP_TAG: &str = ".gomux-tmp-";

/// Replaces `path` with `bytes` atomically: a temporary file beside it, fsync, the old file's
/// mode (and owner) kept, rename over, fsync of the folder. A symbolic link is written at its
/// target. On any error the old file is untouched and the temporary file is removed; a
/// temporary file left by a killed gomux is removed by the next write to the same file.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), FsError> {
    write_atomic_as(path, bytes, 0o644)
}

/// [`write_atomic`] for a program: a new file is created executable (0755), an existing one
/// keeps its own mode and owner.
pub fn write_atomic_executable(path: &Path, bytes: &[u8]) -> Result<(), FsError> {
    write_atomic_as(path, bytes, 0o755)
}

fn write_atomic_as(path: &Path, bytes: &[u8], new_mode: u32) -> Result<(), FsError> {
    let target = write_target(path).map_err(|e| FsError::new("write", path, e))?;
    let old = match fs::metadata(&target) {
        Ok(m) if m.is_file() => Some(m),
        Ok(_) => {
            return Err(FsError::new(
                "write",
                &target,
                io::Error::other("it is not a regular file"),
            ));
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(FsError::new("write", &target, e)),
    };
    remove_stale_temps(&target);
    let tmp = temp_path(&target);
    let result = write_temp(&tmp, bytes, old.as_ref(), new_mode).and_then(|()| {
        checkpoint("atomic-write:before-rename");
        fs::rename(&tmp, &target)
    });
    if let Err(e) = result {
        let _ = fs::remove_file(&tmp);
        return Err(FsError::new("write", &target, e));
    }
    sync_dir(&target);
    Ok(())
}

fn write_temp(
    tmp: &Path,
    bytes: &[u8],
    old: Option<&fs::Metadata>,
    new_mode: u32,
) -> io::Result<()> {
    let mut opts = OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        // Private until the old file's mode is applied; a new file gets 0644 less the umask,
        // so even `umask 000` leaves it writable by its owner alone.
        opts.mode(if old.is_some() { 0o600 } else { new_mode });
    }
    #[cfg(not(unix))]
    let _ = new_mode;
    let mut f = opts.open(tmp)?;
    f.write_all(bytes)?;
    checkpoint("atomic-write:after-write");
    if let Some(m) = old {
        keep_owner_and_mode(&f, m)?;
    }
    f.sync_all()
}

#[cfg(unix)]
fn keep_owner_and_mode(f: &File, old: &fs::Metadata) -> io::Result<()> {
    use std::os::unix::fs::MetadataExt as _;
    let now = f.metadata()?;
    if now.uid() != old.uid() || now.gid() != old.gid() {
        // Only root can give a file away; anyone else keeps the file as their own.
        let _ = std::os::unix::fs::fchown(f, Some(old.uid()), Some(old.gid()));
    }
    f.set_permissions(old.permissions())
}

#[cfg(not(unix))]
fn keep_owner_and_mode(f: &File, old: &fs::Metadata) -> io::Result<()> {
    f.set_permissions(old.permissions())
}

/// Removes `.<name>.gomux-tmp-<pid>-<n>` files beside `target` whose process is gone.
fn remove_stale_temps(target: &Path) {
    let (Some(dir), Some(name)) = (target.parent(), target.file_name()) else {
        return;
    };
    let mut prefix = OsString::from(".");
    prefix.push(name);
    prefix.push(TEMP_TAG);
    let prefix = prefix.as_encoded_bytes();
    let Ok(rd) = fs::read_dir(if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    }) else {
        return;
    };
    for e in rd.flatten() {
        let file = e.file_name();
        let Some(rest) = file.as_encoded_bytes().strip_prefix(prefix) else {
            continue;
        };
        let pid = std::str::from_utf8(rest)
            .ok()
            .and_then(|r| r.split('-').next())
            .and_then(|p| p.parse::<u32>().ok());
        if pid.is_some_and(|p| p != std::process::id() && !process_alive(p)) {
            let _ = fs::remove_file(e.path());
        }
    }
}

/// Whether a process with this id still runs. Where that cannot be told, it is assumed to.
pub fn process_alive(pid: u32) -> bool {
    if cfg!(target_os = "linux") {
        Path::new("/proc").join(pid.to_string()).exists()
    } else {
        true
    }
}

fn sync_dir(file: &Path) {
    #[cfg(unix)]
    if let Some(dir) = file.parent() {
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
    }
    #[cfg(not(unix))]
    let _ = file;
}

/// An exclusive lock held while a file is read, changed and written back. The lock file lives
/// beside gomux's own state (under `GOMUX_HOME/tmp`), never beside the user's file.
#[derive(Debug)]
pub struct UpdateLock {
    _file: File,
}

impl UpdateLock {
    /// Takes the lock at `lock_path`, creating the file (and its folder) when missing, and
    /// waits for another holder to finish.
    pub fn acquire(lock_path: &Path) -> Result<UpdateLock, FsError> {
        if let Some(dir) = lock_path.parent() {
            // The lock folder is gomux's `tmp/`: marked when gomux makes it, so an uninstall
            // may remove it again.
            create_owned_dir(dir, FOLDER_MARKER)?;
        }
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(lock_path)
            .map_err(|e| FsError::new("open the lock file", lock_path, e))?;
        file.lock()
            .map_err(|e| FsError::new("lock", lock_path, e))?;
        Ok(UpdateLock { _file: file })
    }
}

/// Why a bounded read gave nothing.
#[derive(Debug)]
pub enum ReadError {
    /// The path exists but is not a regular file (a FIFO, a device, a folder).
    NotRegular(PathBuf),
    /// The file is larger than gomux reads for its purpose.
    TooLarge {
        /// The file.
        path: PathBuf,
        /// The most bytes the caller would read.
        limit: u64,
    },
    /// The file could not be opened, inspected or read.
    Io(FsError),
}

impl ReadError {
    /// The file the read was about, whichever the reason.
    pub fn path(&self) -> &Path {
        match self {
            ReadError::NotRegular(p) | ReadError::TooLarge { path: p, .. } => p,
            ReadError::Io(e) => &e.path,
        }
    }
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadError::NotRegular(p) => write!(
                f,
                "`{}` is not a regular file; gomux reads only regular files there",
                text::escape_path(p)
            ),
            ReadError::TooLarge { path, limit } => write!(
                f,
                "`{}` is larger than {} KiB, too large to be what gomux expects there",
                text::escape_path(path),
                limit / 1024
            ),
            ReadError::Io(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for ReadError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ReadError::Io(e) => Some(e),
            _ => None,
        }
    }
}

/// A file that is not what gomux expects has no general answer: the reader of that file knows
/// what to suggest (settings, a profile, a pin file).
impl Hints for ReadError {
    fn hints(&self) -> Vec<String> {
        match self {
            ReadError::Io(e) => e.hints(),
            ReadError::NotRegular(_) | ReadError::TooLarge { .. } => Vec::new(),
        }
    }
}

/// The contents of `path` when it is a regular file of at most `limit` bytes; `Ok(None)` when
/// it does not exist. A FIFO, a device or a folder is [`ReadError::NotRegular`] (it is never
/// opened for reading, so it cannot block); a larger file is [`ReadError::TooLarge`].
pub fn read_bounded(path: &Path, limit: u64) -> Result<Option<Vec<u8>>, ReadError> {
    let mut opts = OpenOptions::new();
    opts.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        // O_NONBLOCK: opening a FIFO with no writer would otherwise wait forever.
        opts.custom_flags(0o4000);
    }
    read_bounded_opened(opts.open(path), path, limit)
}

/// [`read_bounded`] on a file opened already (relative to a folder handle, say), `path` being
/// what messages show: the same answers, from the open's result on.
pub fn read_bounded_opened(
    opened: io::Result<File>,
    path: &Path,
    limit: u64,
) -> Result<Option<Vec<u8>>, ReadError> {
    let mut file = match opened {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) if e.kind() == io::ErrorKind::NotADirectory => return Ok(None),
        Err(e) => return Err(ReadError::Io(FsError::new("read", path, e))),
    };
    let meta = file
        .metadata()
        .map_err(|e| ReadError::Io(FsError::new("read", path, e)))?;
    if !meta.is_file() {
        return Err(ReadError::NotRegular(path.to_path_buf()));
    }
    if meta.len() > limit {
        return Err(ReadError::TooLarge {
            path: path.to_path_buf(),
            limit,
        });
    }
    let mut buf = Vec::with_capacity(meta.len() as usize);
    // The size may have changed since the stat: never read more than the limit.
    (&mut file)
        .take(limit + 1)
        .read_to_end(&mut buf)
        .map_err(|e| ReadError::Io(FsError::new("read", path, e)))?;
    if buf.len() as u64 > limit {
        return Err(ReadError::TooLarge {
            path: path.to_path_buf(),
            limit,
        });
    }
    Ok(Some(buf))
}

/// The proof that gomux made a folder: a file inside it whose first line gomux wrote.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Marker {
    /// The marker's file name inside the folder.
    pub file: &'static str,
    /// The exact first line gomux writes into it.
    pub first_line: &'static str,
}

/// A folder of gomux's own layout under GOMUX_HOME (`bin/`, `toolchains/`, `tmp/`,
/// `downloads/`) or a cache root's group folder, marked when gomux created it.
pub const FOLDER_MARKER: Marker = Marker {
    file: ".gomux-folder",
    first_line: "# made by gomux: it may delete what it made in this folder",
};

/// A toolchain that `gomux install` unpacked (linked SDKs are symbolic links and have none).
pub const TOOLCHAIN_MARKER: Marker = Marker {
    file: ".gomux-toolchain",
    first_line: "# installed by gomux: `gomux uninstall` may delete this folder",
};

impl Marker {
    /// The marker file's path inside `dir`.
    pub fn path(&self, dir: &Path) -> PathBuf {
        dir.join(self.file)
    }

    /// True when `dir` (not a symbolic link) holds this marker as a regular file whose first
    /// line is the one gomux writes.
    pub fn is_on(&self, dir: &Path) -> bool {
        let Ok(m) = fs::symlink_metadata(dir) else {
            return false;
        };
        if !m.is_dir() {
            return false;
        }
        match read_bounded(&self.path(dir), 64 * 1024) {
            Ok(Some(bytes)) => bytes
                .split(|&b| b == b'\n')
                .next()
                .is_some_and(|l| l.strip_suffix(b"\r").unwrap_or(l) == self.first_line.as_bytes()),
            _ => false,
        }
    }

    /// Writes the marker into `dir` (the first line, then `extra`), atomically.
    pub fn write(&self, dir: &Path, extra: &str) -> Result<(), FsError> {
        let mut text = String::with_capacity(self.first_line.len() + extra.len() + 2);
        text.push_str(self.first_line);
        text.push('\n');
        text.push_str(extra);
        write_atomic(&self.path(dir), text.as_bytes())
    }
}

/// Creates `dir` (and its parents) and marks it as gomux's when gomux made it or it was empty.
/// A folder that already held something unmarked is used as it is, but stays unmarked, so
/// gomux never deletes it or its foreign contents.
pub fn create_owned_dir(dir: &Path, marker: Marker) -> Result<(), FsError> {
    match fs::symlink_metadata(dir) {
        Ok(m) if m.is_dir() => {
            if marker.is_on(dir) {
                return Ok(());
            }
            let empty = fs::read_dir(dir)
                .map_err(|e| FsError::new("read", dir, e))?
                .next()
                .is_none();
            if empty {
                marker.write(dir, "")?;
            }
            Ok(())
        }
        Ok(m) if m.file_type().is_symlink() && dir.is_dir() => Ok(()),
        Ok(_) => Err(FsError::new(
            "create",
            dir,
            io::Error::new(
                io::ErrorKind::AlreadyExists,
                "it exists and is not a folder",
            ),
        )),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            fs::create_dir_all(dir).map_err(|e| FsError::new("create", dir, e))?;
            not_writable_by_others(dir).map_err(|e| FsError::new("create", dir, e))?;
            marker.write(dir, "")
        }
        Err(e) => Err(FsError::new("create", dir, e)),
    }
}

/// Takes group and world write access away from a folder gomux just made, whatever the umask
/// (`umask 000` must not leave toolchains or caches writable by every user); a stricter umask
/// is kept.
pub fn not_writable_by_others(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = fs::metadata(dir)?.permissions().mode();
        if mode & 0o022 != 0 {
            fs::set_permissions(dir, fs::Permissions::from_mode(mode & !0o022 & 0o7777))?;
        }
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Why [`remove_owned`] left a folder alone or failed.
#[derive(Debug)]
pub enum RemoveError {
    /// The folder has no marker proving gomux made it; nothing was deleted.
    NotOwned {
        /// The folder that was left alone.
        path: PathBuf,
        /// The marker it was expected to carry.
        marker: Marker,
    },
    /// The rename into the trash or the removal failed.
    Io(FsError),
}

impl fmt::Display for RemoveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RemoveError::NotOwned { path, marker } => write!(
                f,
                "left `{}` alone: it has no `{}` marker, so gomux cannot prove it made it",
                text::escape_path(path),
                marker.file
            ),
            RemoveError::Io(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for RemoveError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            RemoveError::Io(e) => Some(e),
            RemoveError::NotOwned { .. } => None,
        }
    }
}

impl Hints for RemoveError {
    fn hints(&self) -> Vec<String> {
        match self {
            RemoveError::Io(e) => e.hints(),
            RemoveError::NotOwned { .. } => Vec::new(),
        }
    }
}

/// The prefix of a folder that [`remove_owned`] moved out of sight and is deleting.
pub const TRASH_PREFIX: &str = ".gomux-trash-";

/// Deletes `dir` when it carries `marker`: first renamed to `.gomux-trash-…` beside itself
/// (readers see it whole or not at all), then removed, read-only folders included (Go's module
/// cache is read-only on disk). Returns the bytes freed. A folder without the marker is
/// [`RemoveError::NotOwned`] and untouched. Trash left by a killed gomux is finished by
/// [`remove_trash`].
pub fn remove_owned(dir: &Path, marker: Marker) -> Result<u64, RemoveError> {
    if !marker.is_on(dir) {
        return Err(RemoveError::NotOwned {
            path: dir.to_path_buf(),
            marker,
        });
    }
    let parent = dir.parent().unwrap_or(Path::new("."));
    remove_out_of_sight(dir, parent).map_err(RemoveError::Io)
}

/// Deletes `path` by first renaming it to `.gomux-trash-<pid>-<n>-<name>` in `trash_dir` (on
/// the same filesystem: a folder beside it, or the root of the module cache it belongs to, where
/// Go never looks), then removing it. Returns the bytes freed. No ownership check: callers prove
/// it first ([`remove_owned`]) or were told by the user which Go cache to delete. When the
/// removal fails after the rename, the error's path is the trash (what is left of it can be
/// measured with [`tree_size`]) and [`remove_trash`] finishes it later.
pub fn remove_out_of_sight(path: &Path, trash_dir: &Path) -> Result<u64, FsError> {
    let trash = trash_path(path, trash_dir);
    fs::rename(path, &trash).map_err(|e| FsError::new("remove", path, e))?;
    checkpoint("remove-owned:after-rename");
    let freed = tree_size(&trash);
    remove_tree(&trash).map_err(|e| FsError::new("remove", &trash, e))?;
    Ok(freed)
}

fn trash_path(path: &Path, trash_dir: &Path) -> PathBuf {
    let name = path.file_name().unwrap_or_default();
    let mut t = OsString::from(TRASH_PREFIX);
    t.push(format!(
        "{}-{}-",
        std::process::id(),
        TEMP_COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    t.push(name);
    trash_dir.join(t)
}

/// Finishes deleting the `.gomux-trash-<pid>-…` folders in `parent` whose gomux is gone.
/// Returns the bytes freed.
pub fn remove_trash(parent: &Path) -> u64 {
    let Ok(rd) = fs::read_dir(parent) else {
        return 0;
    };
    let mut freed = 0;
    for e in rd.flatten() {
        let name = e.file_name();
        let Some(rest) = name.to_str().and_then(|n| n.strip_prefix(TRASH_PREFIX)) else {
            continue;
        };
        let pid = rest.split('-').next().and_then(|p| p.parse::<u32>().ok());
        if pid.is_some_and(|p| p != std::process::id() && !process_alive(p)) {
            let path = e.path();
            let size = tree_size(&path);
            if remove_tree(&path).is_ok() {
                freed += size;
            }
        }
    }
    freed
}

/// The bytes of the regular files under `path` (links not followed; a hard-linked file is
/// counted each time it appears).
pub fn tree_size(path: &Path) -> u64 {
    let Ok(meta) = fs::symlink_metadata(path) else {
        return 0;
    };
    if !meta.is_dir() {
        return if meta.is_file() { meta.len() } else { 0 };
    }
    let mut total = 0;
    let mut stack = vec![path.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            match e.file_type() {
                Ok(t) if t.is_dir() => stack.push(e.path()),
                Ok(t) if t.is_file() => total += e.metadata().map(|m| m.len()).unwrap_or(0),
                _ => {}
            }
        }
    }
    total
}

/// True when both paths name the same file: the same device and inode on Unix, the same
/// canonical path elsewhere. False when either cannot be read.
pub fn same_file(a: &Path, b: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt as _;
        match (fs::metadata(a), fs::metadata(b)) {
            (Ok(x), Ok(y)) => x.dev() == y.dev() && x.ino() == y.ino(),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        match (fs::canonicalize(a), fs::canonicalize(b)) {
            (Ok(x), Ok(y)) => x == y,
            _ => false,
        }
    }
}

/// Removes `path` completely, making read-only folders writable first. Symbolic links are
/// removed, never followed. Callers prove ownership first ([`remove_owned`]).
pub fn remove_tree(path: &Path) -> io::Result<()> {
    let meta = fs::symlink_metadata(path)?;
    let ft = meta.file_type();
    if ft.is_symlink() {
        return fs::remove_file(path).or_else(|_| fs::remove_dir(path));
    }
    if !ft.is_dir() {
        make_writable(path, &meta)?;
        return fs::remove_file(path);
    }
    make_writable(path, &meta)?;
    for entry in fs::read_dir(path)? {
        remove_tree(&entry?.path())?;
    }
    fs::remove_dir(path)
}

#[cfg(unix)]
fn make_writable(path: &Path, meta: &fs::Metadata) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    // Only folders need it on Unix: removing a file needs write access to its folder.
    if meta.is_dir() {
        let mode = meta.permissions().mode();
        if mode & 0o700 != 0o700 {
            fs::set_permissions(path, fs::Permissions::from_mode(mode | 0o700))?;
        }
    }
    Ok(())
}

#[cfg(not(unix))]
fn make_writable(path: &Path, meta: &fs::Metadata) -> io::Result<()> {
    let mut perms = meta.permissions();
    if perms.readonly() {
        #[allow(clippy::permissions_set_readonly_false)]
        perms.set_readonly(false);
        fs::set_permissions(path, perms)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests;

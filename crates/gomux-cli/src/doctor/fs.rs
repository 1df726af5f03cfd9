//! Filesystem facts for `gomux doctor`: which mount holds a path and with which options, free
//! space, whether a folder takes new files.
//!
//! The mount table is read from `/proc/self/mountinfo` (falling back to `/proc/mounts`), or
//! from the file named by `GOMUX_MOUNTINFO`, which is how tests simulate a `noexec` mount
//! without the privileges to make one. Both formats are accepted from either source. Free
//! space comes from `statvfs(3)` through a two-line declaration rather than a crate: the CLI
//! needs one number from it, on the platforms where its layout is known.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use gomux_home::env as vars;

/// One mounted filesystem.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mount {
    pub point: PathBuf,
    pub fstype: String,
    pub source: String,
    /// The per-mount options (`rw`, `noexec`, ...), where `noexec` lives.
    pub options: Vec<String>,
}

impl Mount {
    pub fn noexec(&self) -> bool {
        self.options.iter().any(|o| o == "noexec")
    }
}

/// The mount table and the file it was read from.
#[derive(Clone, Debug)]
pub struct MountTable {
    pub mounts: Vec<Mount>,
    pub origin: PathBuf,
}

impl MountTable {
    /// Reads `GOMUX_MOUNTINFO`, else `/proc/self/mountinfo`, else `/proc/mounts`. `Err` says
    /// why no table is available (every platform without `/proc`).
    pub fn load(env: &dyn Fn(&str) -> Option<OsString>) -> Result<MountTable, String> {
        let candidates: Vec<PathBuf> = match env(vars::GOMUX_MOUNTINFO).filter(|v| !v.is_empty()) {
            Some(p) => vec![PathBuf::from(p)],
            None => vec![
                PathBuf::from("/proc/self/mountinfo"),
                PathBuf::from("/proc/mounts"),
            ],
        };
        let mut last = String::new();
        for origin in candidates {
            match std::fs::read_to_string(&origin) {
                Ok(text) => {
                    let mounts = parse(&text);
                    if mounts.is_empty() {
                        last = format!("`{}` lists no mounts", origin.display());
                        continue;
                    }
                    return Ok(MountTable { mounts, origin });
                }
                Err(e) => last = format!("cannot read `{}`: {e}", origin.display()),
            }
        }
        Err(last)
    }

    /// The mount holding `path` (made absolute and free of links as far as it exists): the
    /// longest mount point above it, the later one when two are mounted on the same point.
    pub fn find(&self, path: &Path) -> Option<&Mount> {
        let path = resolve_existing(path);
        let mut best: Option<&Mount> = None;
        for m in &self.mounts {
            if path.starts_with(&m.point)
                && best.is_none_or(|b| m.point.components().count() >= b.point.components().count())
            {
                best = Some(m);
            }
        }
        best
    }
}

/// Parses either mount table format, line by line: `/proc/self/mountinfo`
/// (`id parent maj:min root point options [optional...] - fstype source superoptions`; the
/// filesystem's own options are not needed) or
/// `/proc/mounts` (`source point fstype options dump pass`). Bad lines are skipped.
pub fn parse(text: &str) -> Vec<Mount> {
    let mut out = Vec::new();
    for line in text.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        if let Some(dash) = fields.iter().position(|f| *f == "-")
            && dash >= 6
            && fields.len() >= dash + 3
        {
            let options: Vec<String> = fields[5].split(',').map(str::to_string).collect();
            out.push(Mount {
                point: PathBuf::from(unescape(fields[4])),
                fstype: fields[dash + 1].to_string(),
                source: unescape(fields[dash + 2]),
                options,
            });
        } else if fields.len() >= 4 && fields[1].starts_with('/') {
            out.push(Mount {
                point: PathBuf::from(unescape(fields[1])),
                fstype: fields[2].to_string(),
                source: unescape(fields[0]),
                options: fields[3].split(',').map(str::to_string).collect(),
            });
        }
    }
    out
}

/// Undoes the kernel's octal escapes (`\040` is a space).
fn unescape(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\'
            && i + 3 < b.len()
            && b[i + 1..i + 4].iter().all(|c| (b'0'..=b'7').contains(c))
        {
            let v = (b[i + 1] - b'0') as u32 * 64
                + (b[i + 2] - b'0') as u32 * 8
                + (b[i + 3] - b'0') as u32;
            out.push(v as u8);
            i += 4;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `path` with its existing part canonicalized and the rest appended as given, so a folder
/// that does not exist yet is judged by the filesystem it would be created on.
pub fn resolve_existing(path: &Path) -> PathBuf {
    let mut existing = path.to_path_buf();
    let mut rest: Vec<OsString> = Vec::new();
    loop {
        if let Ok(c) = gomux_home::path::canonicalize(&existing) {
            let mut p = c;
            for r in rest.iter().rev() {
                p.push(r);
            }
            return p;
        }
        match (existing.file_name(), existing.parent()) {
            (Some(name), Some(parent)) => {
                rest.push(name.to_os_string());
                existing = parent.to_path_buf();
            }
            _ => return path.to_path_buf(),
        }
    }
}

/// The nearest folder at or above `path` that exists.
pub fn existing_ancestor(path: &Path) -> Option<PathBuf> {
    path.ancestors()
        .find(|p| !p.as_os_str().is_empty() && p.is_dir())
        .map(Path::to_path_buf)
}

/// Tries to create and remove a file in `dir`; `Err` carries the reason.
pub fn probe_writable(dir: &Path) -> Result<(), String> {
    let probe = dir.join(format!(".gomux-doctor-{}", std::process::id()));
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
    {
        Ok(_) => {
            let _ = std::fs::remove_file(&probe);
            Ok(())
        }
        Err(e) => Err(e.to_string()),
    }
}

/// The device a path lives on (`st_dev`).
#[cfg(unix)]
pub fn device(path: &Path) -> Option<u64> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).ok().map(|m| m.dev())
}

#[cfg(not(unix))]
pub fn device(_path: &Path) -> Option<u64> {
    None
}

/// Bytes available to an unprivileged user on the filesystem holding `path`.
#[cfg(all(target_os = "linux", target_pointer_width = "64"))]
pub fn free_bytes(path: &Path) -> Option<u64> {
    use std::os::unix::ffi::OsStrExt;
    // glibc and musl agree on the first five fields on 64-bit Linux; the tail is padding big
    // enough for either library's remaining fields.
    #[repr(C)]
    struct StatVfs {
        f_bsize: u64,
        f_frsize: u64,
        f_blocks: u64,
        f_bfree: u64,
        f_bavail: u64,
        rest: [u64; 16],
    }
    unsafe extern "C" {
        fn statvfs(path: *const std::ffi::c_char, buf: *mut StatVfs) -> std::ffi::c_int;
    }
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).ok()?;
    let mut buf = std::mem::MaybeUninit::<StatVfs>::zeroed();
    // SAFETY: `c` is a NUL-terminated path and `buf` is writable memory larger than the C
    // library's `struct statvfs`; the result is read only when the call succeeded.
    let rc = unsafe { statvfs(c.as_ptr(), buf.as_mut_ptr()) };
    if rc != 0 {
        return None;
    }
    // SAFETY: statvfs returned 0, so it filled the struct (and it was zeroed before).
    let s = unsafe { buf.assume_init() };
    let _ = (s.f_blocks, s.f_bfree, s.rest);
    let unit = if s.f_frsize != 0 {
        s.f_frsize
    } else {
        s.f_bsize
    };
    Some(s.f_bavail.saturating_mul(unit))
}

#[cfg(not(all(target_os = "linux", target_pointer_width = "64")))]
pub fn free_bytes(_path: &Path) -> Option<u64> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const MOUNTINFO: &str = "\
27 1 254:0 / / rw,relatime - ext4 /dev/vda rw,discard
28 27 0:25 / /mnt/data rw,nosuid,noexec,relatime shared:1 - xfs /dev/vdb rw
29 28 0:26 / /mnt/data/with\\040space ro,relatime - tmpfs tmpfs ro,size=4k
30 27 0:27 / /mnt/data rw,relatime - ext4 /dev/vdc rw
";

    #[test]
    fn mountinfo_lines() {
        let m = parse(MOUNTINFO);
        assert_eq!(m.len(), 4);
        assert_eq!(m[1].point, Path::new("/mnt/data"));
        assert_eq!(m[1].fstype, "xfs");
        assert_eq!(m[1].source, "/dev/vdb");
        assert!(m[1].noexec() && !m[0].noexec());
        assert_eq!(m[2].point, Path::new("/mnt/data/with space"));
        assert_eq!(m[2].options[0], "ro");
    }

    #[test]
    fn proc_mounts_lines() {
        let m = parse("/dev/vda / ext4 rw,relatime 0 0\ntmpfs /tmp tmpfs rw,nosuid,noexec 0 0\n");
        assert_eq!(m.len(), 2);
        assert_eq!(m[1].point, Path::new("/tmp"));
        assert!(m[1].noexec());
    }

    #[test]
    fn the_longest_and_latest_mount_point_wins() {
        let t = MountTable {
            mounts: parse(MOUNTINFO),
            origin: PathBuf::new(),
        };
        let find = |p: &str| t.find(Path::new(p)).map(|m| m.source.clone());
        // `/mnt/data` is mounted twice: the later mount hides the earlier one.
        assert_eq!(find("/mnt/data/x").as_deref(), Some("/dev/vdc"));
        assert_eq!(
            find("/nonexistent-gomux-test/x").as_deref(),
            Some("/dev/vda")
        );
        assert_eq!(find("/mnt/datafile").as_deref(), Some("/dev/vda"));
        let table = MountTable {
            mounts: parse(&MOUNTINFO.lines().take(3).collect::<Vec<_>>().join("\n")),
            origin: PathBuf::new(),
        };
        let m = table.find(Path::new("/mnt/data/gomux/cache"));
        assert!(m.is_some_and(Mount::noexec));
    }

    #[test]
    fn octal_escapes() {
        assert_eq!(unescape("a\\040b\\134c"), "a b\\c");
        assert_eq!(unescape("trailing\\04"), "trailing\\04");
    }

    #[cfg(all(target_os = "linux", target_pointer_width = "64"))]
    #[test]
    fn free_space_is_read() {
        assert!(free_bytes(Path::new("/")).is_some());
        assert_eq!(free_bytes(Path::new("/nonexistent-gomux-test")), None);
    }
}

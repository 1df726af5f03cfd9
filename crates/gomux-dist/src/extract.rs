//! Unpacking an SDK archive under a policy, never trusting the archive.
//!
//! Both formats (tar and zip) feed the same [`Sink`], which decides everything: only regular
//! files and directories; only names made of normal components under `go/` (the prefix is
//! stripped); modes reduced to 0644 or 0755; each entry at most once; entry count, file size
//! and total size capped, checked against the sizes an entry declares *before* any byte of it
//! is written. The destination is a fresh staging folder in which gomux never creates a link,
//! so no later entry can be redirected outside it.

use std::collections::HashSet;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use gomux_home::text;

use crate::error::DistError;

/// Caps on what one archive may unpack to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Bytes of all files together.
    pub max_total: u64,
    /// Bytes of one file.
    pub max_file: u64,
    /// Entries (files and directories).
    pub max_entries: u64,
}

impl Default for Limits {
    /// A Go SDK unpacks to about 250 MB in about 15,000 entries; the caps leave room for
    /// growth and for custom builds, and stop anything an order of magnitude beyond.
    fn default() -> Limits {
        Limits {
            max_total: 2 << 30,
            max_file: 1 << 30,
            max_entries: 200_000,
        }
    }
}

const BUF: usize = 256 * 1024;

/// Writes checked entries under `root`.
pub(crate) struct Sink<'a> {
    root: &'a Path,
    /// The folder every entry is under: `go` in an SDK archive,
    /// `golang.org/toolchain@<version>` in a toolchain module.
    prefix: &'a str,
    label: &'a str,
    limits: Limits,
    seen: HashSet<String>,
    made: HashSet<PathBuf>,
    total: u64,
    entries: u64,
    buf: Vec<u8>,
}

impl<'a> Sink<'a> {
    pub fn new(root: &'a Path, label: &'a str, limits: Limits) -> Sink<'a> {
        Sink {
            root,
            prefix: "go",
            label,
            limits,
            seen: HashSet::new(),
            made: HashSet::new(),
            total: 0,
            entries: 0,
            buf: vec![0; BUF],
        }
    }

    pub fn hostile(&self, entry: &[u8], reason: impl Into<String>) -> DistError {
        DistError::Hostile {
            archive: self.label.to_string(),
            entry: text::escape_bytes(entry),
            reason: reason.into(),
        }
    }

    fn corrupt(&self, detail: impl Into<String>) -> DistError {
        DistError::Corrupt {
            archive: self.label.to_string(),
            detail: detail.into(),
        }
    }

    /// The path of an entry relative to `go/` (`""` for `go/` itself), or why it is refused.
    fn relative(&self, raw: &[u8], is_dir: bool) -> Result<String, DistError> {
        let name = std::str::from_utf8(raw)
            .map_err(|_| self.hostile(raw, "has a name that is not UTF-8"))?;
        if name.starts_with('/') {
            return Err(self.hostile(raw, "is an absolute path"));
        }
        if name.contains('\\') || name.contains(':') {
            return Err(self.hostile(raw, "has `\\` or `:` in its name"));
        }
        if name.bytes().any(|b| b < 0x20 || b == 0x7f) {
            return Err(self.hostile(raw, "has control characters in its name"));
        }
        let trimmed = if is_dir {
            name.strip_suffix('/').unwrap_or(name)
        } else {
            name
        };
        let mut parts = Vec::new();
        for comp in trimmed.split('/') {
            match comp {
                "" => return Err(self.hostile(raw, "has an empty path component")),
                "." | ".." => {
                    return Err(self.hostile(raw, format!("has a `{comp}` path component")));
                }
                c => parts.push(c),
            }
        }
        let prefix: Vec<&str> = self.prefix.split('/').collect();
        if !parts.starts_with(&prefix) {
            return Err(self.hostile(raw, format!("is outside `{}/`", self.prefix)));
        }
        Ok(parts[prefix.len()..].join("/"))
    }

    fn count(&mut self, raw: &[u8], rel: &str) -> Result<(), DistError> {
        self.entries += 1;
        if self.entries > self.limits.max_entries {
            return Err(self.hostile(
                raw,
                format!("takes the archive past {} entries", self.limits.max_entries),
            ));
        }
        if !self.seen.insert(rel.to_string()) {
            return Err(self.hostile(raw, "appears twice (duplicate entry)"));
        }
        Ok(())
    }

    /// Creates `dir` and the folders above it up to `root`, each with mode 0755 whatever the
    /// umask (`umask 000` must not make a toolchain world-writable).
    fn make_dir(&mut self, dir: &Path) -> Result<(), DistError> {
        if self.made.contains(dir) || dir == self.root {
            return Ok(());
        }
        if let Some(parent) = dir.parent() {
            self.make_dir(parent)?;
        }
        match create_dir_0755(dir) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && dir.is_dir() => {}
            Err(e) => return Err(DistError::io("create the folder", dir, e)),
        }
        self.made.insert(dir.to_path_buf());
        Ok(())
    }

    /// A directory entry.
    pub fn dir(&mut self, raw: &[u8]) -> Result<(), DistError> {
        let rel = self.relative(raw, true)?;
        self.count(raw, &rel)?;
        let path = self.root.join(&rel);
        if path.is_file() {
            return Err(self.hostile(raw, "collides with a file of the same name"));
        }
        self.make_dir(&path)
    }

    /// A regular file entry declaring `size` bytes, read from `data`.
    pub fn file(
        &mut self,
        raw: &[u8],
        mode: u32,
        size: u64,
        mtime: Option<u64>,
        data: &mut dyn Read,
    ) -> Result<(), DistError> {
        let rel = self.relative(raw, false)?;
        if rel.is_empty() {
            return Err(self.hostile(raw, "is a file where the `go/` folder should be"));
        }
        self.count(raw, &rel)?;
        if size > self.limits.max_file {
            return Err(self.hostile(
                raw,
                format!(
                    "declares {size} bytes, more than the {} allowed for one file",
                    self.limits.max_file
                ),
            ));
        }
        if self.total.saturating_add(size) > self.limits.max_total {
            return Err(self.hostile(
                raw,
                format!(
                    "takes the archive past {} unpacked bytes (a decompression bomb?)",
                    self.limits.max_total
                ),
            ));
        }
        self.total += size;
        let path = self.root.join(&rel);
        if let Some(parent) = path.parent() {
            self.make_dir(parent)?;
        }
        let mode = if mode & 0o111 != 0 || is_tool(&rel) {
            0o755
        } else {
            0o644
        };
        let mut opts = OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, mode);
        // Windows has no mode bits: the executables are the `.exe` files.
        #[cfg(not(unix))]
        let _ = mode;
        let mut file = match opts.open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                return Err(self.hostile(raw, "collides with another entry"));
            }
            Err(e) => return Err(DistError::io("create", &path, e)),
        };
        // The umask may have taken bits away; the tree is the same whatever it is.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            file.set_permissions(fs::Permissions::from_mode(mode))
                .map_err(|e| DistError::io("set the mode of", &path, e))?;
        }
        let mut left = size;
        while left > 0 {
            let want = self
                .buf
                .len()
                .min(usize::try_from(left).unwrap_or(usize::MAX));
            let n = match data.read(&mut self.buf[..want]) {
                Ok(0) => {
                    return Err(self.corrupt(format!(
                        "`{}` ends after {} of {size} bytes",
                        text::escape_bytes(raw),
                        size - left
                    )));
                }
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(self.corrupt(text::escape(&e.to_string()))),
            };
            file.write_all(&self.buf[..n])
                .map_err(|e| DistError::io("write", &path, e))?;
            left -= n as u64;
        }
        // An entry may not hold more than it declared.
        let mut probe = [0u8; 1];
        match data.read(&mut probe) {
            Ok(0) => {}
            Ok(_) => return Err(self.hostile(raw, "holds more bytes than it declares")),
            Err(e) => return Err(self.corrupt(text::escape(&e.to_string()))),
        }
        if let Some(t) = mtime {
            let _ = file.set_modified(SystemTime::UNIX_EPOCH + Duration::from_secs(t));
        }
        Ok(())
    }
}

/// The largest extension record (GNU long name or long link, PAX header) gomux reads. A path
/// is at most 4096 bytes on Linux and the PAX records of a Go SDK hold a few names and times;
/// a record declaring more is refused from its header, before one byte of it is read.
pub(crate) const MAX_EXTENSION: u64 = 64 * 1024;

/// The extension records that describe the next entry.
#[derive(Default)]
struct Pending {
    long_name: Option<Vec<u8>>,
    long_link: Option<Vec<u8>>,
    pax: Option<Vec<u8>>,
}

impl Pending {
    fn is_empty(&self) -> bool {
        self.long_name.is_none() && self.long_link.is_none() && self.pax.is_none()
    }
}

/// The value of `key` in PAX records, if any.
fn pax_value<'p>(pax: &'p [u8], key: &str) -> Option<&'p [u8]> {
    tar::PaxExtensions::new(pax)
        .filter_map(Result::ok)
        .filter(|e| e.key_bytes() == key.as_bytes())
        .map(|e| e.value_bytes())
        .last()
}

/// Unpacks a tar stream under `root` (the contents of `go/` land in `root`).
///
/// Why raw entries: the `tar` crate reads a GNU long-name, long-link or PAX record whole into
/// memory before handing out the entry it describes, whatever size its header declares (a
/// 9 MB gzip of a long-name record of 9 GB of zeros exhausts memory). gomux walks the raw
/// headers itself, refuses a record larger than [`MAX_EXTENSION`] from its header, reads the
/// rest through a bounded reader, and applies it to the next entry the way the crate would
/// (long name, then PAX `path`, then the header's own name).
pub(crate) fn unpack_tar(
    reader: impl Read,
    root: &Path,
    label: &str,
    limits: Limits,
) -> Result<(), DistError> {
    let mut sink = Sink::new(root, label, limits);
    let mut archive = tar::Archive::new(reader);
    let entries = archive
        .entries()
        .map_err(|e| {
            sink.corrupt(format!(
                "not a tar archive: {}",
                text::escape(&e.to_string())
            ))
        })?
        .raw(true);
    let mut pending = Pending::default();
    // Extension records count too, so that a stream of them cannot run for ever.
    let mut headers: u64 = 0;
    let max_headers = limits.max_entries.saturating_mul(4);
    for entry in entries {
        let mut entry = entry.map_err(|e| sink.corrupt(text::escape(&e.to_string())))?;
        headers += 1;
        if headers > max_headers {
            return Err(sink.corrupt(format!("more than {max_headers} tar headers")));
        }
        let kind = entry.header().entry_type();
        let record = match kind {
            tar::EntryType::GNULongName => Some("GNU long-name record"),
            tar::EntryType::GNULongLink => Some("GNU long-link record"),
            tar::EntryType::XHeader => Some("PAX header"),
            tar::EntryType::XGlobalHeader => Some("PAX global header"),
            _ => None,
        };
        if let Some(what) = record {
            let own = entry.header().path_bytes().into_owned();
            let size = entry.size();
            if size > MAX_EXTENSION {
                return Err(sink.hostile(
                    &own,
                    format!(
                        "is a {what} of {size} bytes, more than the {MAX_EXTENSION} gomux reads"
                    ),
                ));
            }
            let mut data = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
            (&mut entry)
                .take(MAX_EXTENSION)
                .read_to_end(&mut data)
                .map_err(|e| sink.corrupt(text::escape(&e.to_string())))?;
            if data.len() as u64 != size {
                return Err(sink.corrupt(format!(
                    "the {what} `{}` ends after {} of {size} bytes",
                    text::escape_bytes(&own),
                    data.len()
                )));
            }
            let slot = match kind {
                tar::EntryType::GNULongName => &mut pending.long_name,
                tar::EntryType::GNULongLink => &mut pending.long_link,
                tar::EntryType::XHeader => &mut pending.pax,
                // Metadata for the whole archive; it changes no entry gomux reads.
                _ => continue,
            };
            if slot.is_some() {
                return Err(sink.hostile(&own, format!("is a second {what} for the same entry")));
            }
            *slot = Some(data);
            continue;
        }
        let ext = std::mem::take(&mut pending);
        let header_name = entry.header().path_bytes().into_owned();
        let raw = if let Some(mut long) = ext.long_name {
            while long.last() == Some(&0) {
                long.pop();
            }
            long
        } else if let Some(path) = ext.pax.as_deref().and_then(|p| pax_value(p, "path")) {
            path.to_vec()
        } else {
            header_name
        };
        // A PAX sparse file stores a map before its data; gomux would unpack the map as data.
        if ext.pax.as_deref().is_some_and(|p| {
            tar::PaxExtensions::new(p)
                .filter_map(Result::ok)
                .any(|e| e.key_bytes().starts_with(b"GNU.sparse."))
        }) {
            return Err(sink.hostile(&raw, "is a sparse file"));
        }
        let size = entry.size();
        // The header's size places the next header; a PAX size that says otherwise would
        // make this reader and others see different archives.
        if let Some(pax_size) = ext.pax.as_deref().and_then(|p| pax_value(p, "size"))
            && std::str::from_utf8(pax_size)
                .ok()
                .and_then(|s| s.parse::<u64>().ok())
                != Some(size)
        {
            return Err(sink.hostile(
                &raw,
                format!(
                    "has a PAX size (`{}`) that disagrees with its header ({size} bytes)",
                    text::escape_bytes(pax_size)
                ),
            ));
        }
        match kind {
            tar::EntryType::Regular | tar::EntryType::Continuous => {
                let mode = entry.header().mode().unwrap_or(0o644);
                let mtime = entry.header().mtime().ok();
                sink.file(&raw, mode, size, mtime, &mut entry)?;
            }
            tar::EntryType::Directory => sink.dir(&raw)?,
            tar::EntryType::Symlink => return Err(sink.hostile(&raw, "is a symbolic link")),
            tar::EntryType::Link => return Err(sink.hostile(&raw, "is a hard link")),
            tar::EntryType::Char | tar::EntryType::Block => {
                return Err(sink.hostile(&raw, "is a device node"));
            }
            tar::EntryType::Fifo => return Err(sink.hostile(&raw, "is a named pipe")),
            other => {
                return Err(sink.hostile(
                    &raw,
                    format!(
                        "has an unsupported type (`{}`)",
                        text::escape_bytes(&[other.as_byte()])
                    ),
                ));
            }
        }
    }
    if !pending.is_empty() {
        return Err(sink.corrupt("it ends with an extension record that describes no entry"));
    }
    Ok(())
}

/// True for the programs of an SDK: `bin/<name>` and `pkg/tool/<os_arch>/<name>`. They are
/// executable in every official archive; one repacked by a tool that lost the mode bits would
/// otherwise install a toolchain on which every `go` call fails, so gomux gives them 0755.
pub(crate) fn is_tool(rel: &str) -> bool {
    let parts: Vec<&str> = rel.split('/').collect();
    // A toolchain module keeps no modes at all: Go makes these executable after unpacking it,
    // and so does gomux (`lib/wasm/go_js_wasm_exec` and its kind too).
    let exec_helper = parts.first() == Some(&"lib")
        && parts
            .last()
            .is_some_and(|n| n.starts_with("go_") && n.ends_with("_exec"));
    exec_helper || matches!(parts.as_slice(), ["bin", _] | ["pkg", "tool", _, _])
}

/// Creates one folder with mode 0755, whatever the umask. It is created with 0755 (so even
/// `umask 000` never leaves it world-writable for a moment), then set to 0755 (so a stricter
/// umask does not change what an installed toolchain looks like).
pub(crate) fn create_dir_0755(dir: &Path) -> io::Result<()> {
    #[cfg_attr(not(unix), allow(unused_mut))]
    let mut b = fs::DirBuilder::new();
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o755);
    b.create(dir)?;
    set_mode(dir, 0o755)
}

/// Sets the permission bits of `path` (a no-op where there are none).
pub(crate) fn set_mode(path: &Path, mode: u32) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        fs::set_permissions(path, fs::Permissions::from_mode(mode))
    }
    #[cfg(not(unix))]
    {
        let _ = (path, mode);
        Ok(())
    }
}

const S_IFMT: u32 = 0o170_000;
const S_IFREG: u32 = 0o100_000;
const S_IFDIR: u32 = 0o040_000;
const S_IFLNK: u32 = 0o120_000;

/// Unpacks a zip archive (Windows SDKs) under `root`, through the same policy.
pub(crate) fn unpack_zip(
    file: File,
    root: &Path,
    label: &str,
    limits: Limits,
) -> Result<(), DistError> {
    let mut sink = Sink::new(root, label, limits);
    let reader = io::BufReader::with_capacity(BUF, file);
    unpack_zip_from(reader, &mut sink)
}

/// Unpacks a toolchain module zip under `root`: every entry under `prefix`
/// (`golang.org/toolchain@v0.0.1-go1.23.5.linux-amd64`), through the same policy.
pub(crate) fn unpack_module_zip(
    file: File,
    root: &Path,
    prefix: &str,
    label: &str,
    limits: Limits,
) -> Result<(), DistError> {
    let mut sink = Sink::new(root, label, limits);
    sink.prefix = prefix;
    let reader = io::BufReader::with_capacity(BUF, file);
    unpack_zip_from(reader, &mut sink)
}

fn unpack_zip_from<R: Read + Seek>(reader: R, sink: &mut Sink<'_>) -> Result<(), DistError> {
    let mut zip = zip::ZipArchive::new(reader).map_err(|e| {
        sink.corrupt(format!(
            "not a zip archive: {}",
            text::escape(&e.to_string())
        ))
    })?;
    if zip.len() as u64 > sink.limits.max_entries {
        return Err(sink.corrupt(format!(
            "{} entries, more than the {} allowed",
            zip.len(),
            sink.limits.max_entries
        )));
    }
    for i in 0..zip.len() {
        let mut f = zip
            .by_index(i)
            .map_err(|e| sink.corrupt(text::escape(&e.to_string())))?;
        let raw = f.name_raw().to_vec();
        let unix = f.unix_mode();
        let kind = unix.map(|m| m & S_IFMT).unwrap_or(0);
        match kind {
            S_IFLNK => return Err(sink.hostile(&raw, "is a symbolic link")),
            0 | S_IFREG | S_IFDIR => {}
            _ => return Err(sink.hostile(&raw, "is not a regular file or a folder")),
        }
        if f.is_dir() || kind == S_IFDIR {
            if f.size() != 0 {
                return Err(sink.hostile(&raw, "is a folder with contents"));
            }
            sink.dir(&raw)?;
        } else {
            let size = f.size();
            sink.file(&raw, unix.unwrap_or(0o644), size, None, &mut f)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sink_relative(name: &str, is_dir: bool) -> Result<String, String> {
        let root = Path::new("/nonexistent");
        let s = Sink::new(root, "t.tar.gz", Limits::default());
        s.relative(name.as_bytes(), is_dir)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn names_are_checked() {
        assert_eq!(sink_relative("go/", true).unwrap(), "");
        assert_eq!(sink_relative("go", true).unwrap(), "");
        assert_eq!(sink_relative("go/bin/go", false).unwrap(), "bin/go");
        assert_eq!(sink_relative("go/src/", true).unwrap(), "src");
        for (bad, why) in [
            ("/etc/passwd", "absolute"),
            ("../x", "`..`"),
            ("go/../x", "`..`"),
            ("go/./x", "`.`"),
            ("go//x", "empty"),
            ("go/bin/", "empty"),
            ("src/x", "outside `go/`"),
            ("gopher/x", "outside `go/`"),
            ("go\\..\\x", "`\\`"),
            ("C:/go/x", "`:`"),
            ("go/a\nb", "control"),
        ] {
            let e = sink_relative(bad, false).unwrap_err();
            assert!(e.contains(why), "{bad}: {e}");
        }
    }
}

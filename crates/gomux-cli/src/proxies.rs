//! The proxies in `GOMUX_HOME/bin`: `go`, `gofmt`, and one `go1.X.Y` per toolchain.
//!
//! Every proxy is a hard link to one master copy, `bin/gomux-shim` (a copy where hard links
//! fail), never a symlink: the proxy learns what it stands for from argv[0]. The versioned
//! proxies let the real go find gomux's toolchains on PATH when it switches toolchains itself
//! (GOTOOLCHAIN=path), so it never downloads one behind gomux's back.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use gomux_home::Home;
/// The commands that compare a `PATH` entry or a binary with the proxies use it from here.
pub use gomux_home::fsx::same_file;

/// The name of the master copy of the proxy in `bin/`.
pub const MASTER: &str = gomux_home::PROXY_MASTER;

/// The proxy binary built with this `gomux` (see `build.rs`).
pub static EMBEDDED: &[u8] = include_bytes!(env!("GOMUX_EMBEDDED_PROXY"));

/// Where the master copy is installed from.
pub enum Source<'a> {
    /// The proxy inside this `gomux`.
    Embedded,
    /// A proxy binary on disk (`gomux setup --proxy-binary FILE`).
    File(&'a Path),
}

/// True when `name` is a versioned proxy name (`go1.22.3`, `go1.21rc2`, `go1.22.3-bigcorp`).
pub fn is_versioned(name: &str) -> bool {
    gomux_resolve::locate::is_versioned_proxy_name(name)
}

/// Installs the master copy from `source` (unless it already has those bytes, so a second
/// setup changes nothing, not even the proxies' inodes) and (re)creates every proxy.
pub fn install(home: &Home, source: Source<'_>) -> anyhow::Result<()> {
    let bin = home.bin_dir();
    gomux_home::fsx::create_owned_dir(&bin, gomux_home::fsx::FOLDER_MARKER)?;
    let master = home.proxy_master();
    match source {
        Source::Embedded => {
            if !has_content(&master, EMBEDDED) {
                write_executable(&master, EMBEDDED)?;
            }
        }
        Source::File(shim) => {
            if !same_file(shim, &master) && !same_content(shim, &master) {
                let bytes = std::fs::read(shim)
                    .with_context(|| format!("cannot read `{}`", shim.display()))?;
                write_executable(&master, &bytes)?;
            }
        }
    }
    for tool in ["go", "gofmt"] {
        link_to_master(&master, &home.proxy(tool))?;
    }
    sync(home)
}

/// True when both files have the same bytes (a proxy that is a copy, not a hard link).
pub fn same_content(a: &Path, b: &Path) -> bool {
    match std::fs::metadata(a) {
        Ok(m) if m.is_file() => std::fs::read(a).is_ok_and(|bytes| has_content(b, &bytes)),
        _ => false,
    }
}

/// True when `path` is a regular file holding exactly `bytes`.
pub fn has_content(path: &Path, bytes: &[u8]) -> bool {
    match std::fs::metadata(path) {
        Ok(m) if m.is_file() && m.len() == bytes.len() as u64 => {
            std::fs::read(path).is_ok_and(|b| b == bytes)
        }
        _ => false,
    }
}

/// Replaces `path` with an executable holding `bytes`: a new file beside it, synced, renamed
/// over the old one (whose inode the programs running from it keep).
pub fn write_executable(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    gomux_home::fsx::write_atomic_executable(path, bytes)?;
    Ok(())
}

/// Makes the versioned proxies match the toolchains: one `go1.X.Y` per installed or linked
/// toolchain with a versioned name, and none for toolchains that are gone.
pub fn sync(home: &Home) -> anyhow::Result<()> {
    let bin = home.bin_dir();
    let master = home.proxy_master();
    if !master.is_file() {
        // No proxies yet (`gomux setup` has not run): nothing to keep current.
        return Ok(());
    }
    let names = home.toolchain_names();
    for name in names.iter().filter(|n| is_versioned(n)) {
        link_to_master(&master, &home.proxy(name))?;
    }
    if let Ok(rd) = std::fs::read_dir(&bin) {
        for entry in rd.flatten() {
            let file = entry.file_name();
            let Some(file) = file.to_str() else { continue };
            let name = file.strip_suffix(".exe").unwrap_or(file);
            if is_versioned(name)
                && !names.iter().any(|n| n == name)
                && same_file(&entry.path(), &master)
            {
                std::fs::remove_file(entry.path())
                    .with_context(|| format!("cannot remove `{}`", entry.path().display()))?;
            }
        }
    }
    Ok(())
}

/// Makes `path` a hard link to `master` (a copy where links fail), unless it already is one.
fn link_to_master(master: &Path, path: &Path) -> anyhow::Result<()> {
    if same_file(master, path) {
        return Ok(());
    }
    let tmp = temp_sibling(path);
    let _ = std::fs::remove_file(&tmp);
    if std::fs::hard_link(master, &tmp).is_err() {
        std::fs::copy(master, &tmp).with_context(|| {
            format!("cannot copy `{}` to `{}`", master.display(), tmp.display())
        })?;
    }
    std::fs::rename(&tmp, path)
        .with_context(|| format!("cannot create the proxy `{}`", path.display()))
}

fn temp_sibling(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".tmp{}", std::process::id()));
    path.with_file_name(name)
}

//! The proxies in `GOMUX_HOME/bin`: `go`, `gofmt`, and one `go1.X.Y` per toolchain.
//!
//! Every proxy is a hard link to one master copy, `bin/gomux-shim` (a copy where hard links
//! fail), never a symlink: the proxy learns what it stands for from argv[0]. The versioned
//! proxies let the real go find gomux's toolchains on PATH when it switches toolchains itself
//! (GOTOOLCHAIN=path), so it never downloads one behind gomux's back.

use std::io;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
/// The commands that compare a `PATH` entry or a binary with the proxies use it from here.
pub use gomux_home::fsx::same_file;
use gomux_home::{Home, exe};

/// The name of the master copy of the proxy in `bin/`.
pub const MASTER: &str = gomux_home::PROXY_MASTER;

/// True when `name` is a versioned proxy name (`go1.22.3`, `go1.21rc2`, `go1.22.3-bigcorp`).
pub fn is_versioned(name: &str) -> bool {
    gomux_resolve::locate::is_versioned_proxy_name(name)
}

/// Installs `shim` as the master copy and (re)creates every proxy.
pub fn install(home: &Home, shim: &Path) -> anyhow::Result<()> {
    let bin = home.bin_dir();
    gomux_home::fsx::create_owned_dir(&bin, gomux_home::fsx::FOLDER_MARKER)?;
    let master = home.proxy_master();
    if !same_file(shim, &master) {
        replace_with_copy(shim, &master)?;
    }
    for tool in ["go", "gofmt"] {
        link_to_master(&master, &home.proxy(tool))?;
    }
    sync(home)
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

fn replace_with_copy(src: &Path, dest: &Path) -> anyhow::Result<()> {
    let tmp = temp_sibling(dest);
    std::fs::copy(src, &tmp)
        .with_context(|| format!("cannot copy `{}` to `{}`", src.display(), tmp.display()))?;
    std::fs::rename(&tmp, dest).with_context(|| format!("cannot replace `{}`", dest.display()))
}

fn temp_sibling(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".tmp{}", std::process::id()));
    path.with_file_name(name)
}

/// Where the proxy binary to install comes from: `gomux-shim` beside the running `gomux`,
/// or the master copy already in `bin/`.
pub fn find_shim(home: &Home) -> io::Result<PathBuf> {
    let me = std::env::current_exe()?;
    let mut candidates = Vec::new();
    if let Some(dir) = me.parent() {
        candidates.push(dir.join(exe(MASTER)));
    }
    candidates.push(home.proxy_master());
    candidates.into_iter().find(|p| p.is_file()).ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::NotFound,
            format!("`{}` is not beside `{}`", exe(MASTER), me.display()),
        )
    })
}

//! The gomux home: its on-disk layout, the settings file, the settings and environment-variable
//! registries ([`config`], [`env`](mod@env)).
//!
//! [`Home`] is the only place that knows a path under `GOMUX_HOME`; everything else asks it.
//! The design decision to know: this crate sits on the proxy's hot path, so it has no
//! dependencies beyond std and `gomux-version`. The settings file is a small TOML subset read by
//! a hand-written parser ([`settings`]) instead of a TOML crate, which keeps serde out of the proxy.

#![warn(missing_docs)]

pub mod cache;
pub mod config;
pub mod env;
pub mod fsx;
pub mod goenv;
pub mod path;
pub mod settings;
pub mod text;
pub mod time;

use std::ffi::{OsStr, OsString};
use std::fmt;
use std::path::{Path, PathBuf};

use gomux_version::Hints;

pub use settings::Settings;

/// The file in the home folder that records its layout version ([`Home::layout_file`]).
pub const LAYOUT_FILE: &str = ".gomux-layout";

/// The name, in `tmp/`, of the cached listing of `toolchains/` (see [`Home::toolchains_index`]).
pub const TOOLCHAINS_INDEX: &str = ".toolchains-index";

/// The start of the names, in `tmp/`, of the recorded scans of large module files (see
/// `gomux_resolve::files::scan_module_file`).
pub const MODULE_SCAN_PREFIX: &str = ".modscan-";

/// The version of the layout this gomux writes: `bin/`, `toolchains/`, `tmp/`, `downloads/`,
/// `cache/` and `settings.toml` as [`Home`] describes them.
pub const LAYOUT_VERSION: u32 = 1;

/// The first line of a link file in `toolchains/` ([`Home::write_link_file`]).
pub const LINK_FILE_HEADER: &str = "gomux-link 1";

/// The name of the proxies' master copy in `bin/` ([`Home::proxy_master`]).
pub const PROXY_MASTER: &str = "gomux-shim";

/// The gomux home folder and every path inside it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Home {
    root: PathBuf,
}

/// Why the home folder could not be found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HomeError {
    /// `GOMUX_HOME` was set to a relative path.
    RelativeHome(PathBuf),
    /// Neither `GOMUX_HOME` nor `HOME` is set.
    NoHome,
}

impl fmt::Display for HomeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HomeError::RelativeHome(p) => write!(
                f,
                "GOMUX_HOME must be an absolute path, not `{}`; set it to a folder such as `/mnt/data/gomux`",
                text::escape_path(p)
            ),
            HomeError::NoHome => f.write_str(
                "cannot find the gomux home: neither `GOMUX_HOME` nor `HOME` is set; set `GOMUX_HOME` to an absolute folder",
            ),
        }
    }
}

impl std::error::Error for HomeError {}

/// The message says what to set.
impl Hints for HomeError {}

impl Home {
    /// A home at an explicit folder.
    pub fn new(root: impl Into<PathBuf>) -> Home {
        Home { root: root.into() }
    }

    /// The home from `GOMUX_HOME`, else `$HOME/.gomux` (`%USERPROFILE%\.gomux` on Windows).
    pub fn from_env() -> Result<Home, HomeError> {
        Home::from_lookup(|k| std::env::var_os(k))
    }

    /// Like [`Home::from_env`], reading variables through `get` (for tests and the proxy).
    pub fn from_lookup(get: impl Fn(&str) -> Option<OsString>) -> Result<Home, HomeError> {
        if let Some(h) = get(env::GOMUX_HOME).filter(|h| !h.is_empty()) {
            let p = PathBuf::from(h);
            if !p.is_absolute() {
                return Err(HomeError::RelativeHome(p));
            }
            return Ok(Home::new(p));
        }
        let user_home = get("HOME")
            .filter(|h| !h.is_empty())
            .or_else(|| get("USERPROFILE").filter(|h| !h.is_empty()))
            .ok_or(HomeError::NoHome)?;
        Ok(Home::new(PathBuf::from(user_home).join(".gomux")))
    }

    /// The home folder itself (`GOMUX_HOME`, or `~/.gomux`); always absolute.
    pub fn root(&self) -> &Path {
        &self.root
    }
    /// `bin/`: the proxies (`go`, `gofmt`, `go1.X.Y`) and the `gomux` binary.
    pub fn bin_dir(&self) -> PathBuf {
        self.root.join("bin")
    }
    /// `bin/<tool>` (`go`, `gofmt`, `go1.22.3`, with `.exe` on Windows): a proxy.
    pub fn proxy(&self, tool: &str) -> PathBuf {
        self.bin_dir().join(exe(tool))
    }
    /// `bin/gomux-shim`: the master copy every proxy is a hard link to (or a copy of).
    pub fn proxy_master(&self) -> PathBuf {
        self.proxy(PROXY_MASTER)
    }
    /// `bin/gomux`: the CLI that `gomux setup` installs beside the proxies.
    pub fn gomux_exe(&self) -> PathBuf {
        self.proxy("gomux")
    }
    /// `toolchains/`: one complete GOROOT (or a link to one) per name.
    pub fn toolchains_dir(&self) -> PathBuf {
        self.root.join("toolchains")
    }
    /// `toolchains/<name>`. The name must have passed [`gomux_version::is_safe_name`].
    pub fn toolchain_dir(&self, name: &str) -> PathBuf {
        self.toolchains_dir().join(name)
    }
    /// `tmp/`: staging for installs and lock files; on the same filesystem as `toolchains/`.
    pub fn tmp_dir(&self) -> PathBuf {
        self.root.join("tmp")
    }
    /// `tmp/.toolchains-index`: the names in `toolchains/` as last listed, with the folder's
    /// identity and change time, so a partial pin (`1.22`) need not list the folder on every
    /// call. Written and trusted only by the rules in `gomux_resolve::listing`. The leading dot
    /// keeps it apart from every toolchain's files in `tmp/`.
    pub fn toolchains_index(&self) -> PathBuf {
        self.tmp_dir().join(TOOLCHAINS_INDEX)
    }
    /// `tmp/<name><suffix>`: what an install or uninstall of `name` keeps in `tmp/` (the
    /// suffixes are `.lock`, `.staging`, `.download` and `.trash`).
    pub fn tmp_entry(&self, name: &str, suffix: &str) -> PathBuf {
        self.tmp_dir().join(format!("{name}{suffix}"))
    }
    /// `tmp/<name>.lock`: the per-toolchain install lock.
    pub fn lock_file(&self, name: &str) -> PathBuf {
        self.tmp_entry(name, ".lock")
    }
    /// `tmp/.update-<what>.lock`: held while gomux reads, changes and writes back a file it
    /// edits (`settings`, `profiles`), so two gomux processes never lose each other's edit.
    /// The leading dot keeps it apart from every toolchain's lock (no toolchain name starts
    /// with one).
    pub fn update_lock_file(&self, what: &str) -> PathBuf {
        self.tmp_dir().join(format!(".update-{what}.lock"))
    }
    /// Takes the update lock of `what` (see [`Home::update_lock_file`]); `tmp/` is created
    /// as gomux's own (marked) folder when it is missing.
    pub fn lock_update(&self, what: &str) -> Result<fsx::UpdateLock, fsx::FsError> {
        fsx::UpdateLock::acquire(&self.update_lock_file(what))
    }
    /// `downloads/`: kept archives and the cached release index.
    pub fn downloads_dir(&self) -> PathBuf {
        self.root.join("downloads")
    }
    /// `downloads/index.json`: the cached release index.
    pub fn index_cache_file(&self) -> PathBuf {
        self.downloads_dir().join("index.json")
    }
    /// `sumdb/`: the last tree head gomux saw from each checksum database (`<name>.latest`).
    pub fn sumdb_dir(&self) -> PathBuf {
        self.root.join("sumdb")
    }
    /// `cache/`: the default cache root for GOCACHE/GOMODCACHE.
    pub fn default_cache_root(&self) -> PathBuf {
        self.root.join("cache")
    }
    /// `logs/<name>`: the output of gomux's background work (base layer builds).
    pub fn log_file(&self, name: &str) -> PathBuf {
        self.root.join("logs").join(name)
    }
    /// `settings.toml`.
    pub fn settings_file(&self) -> PathBuf {
        self.root.join("settings.toml")
    }
    /// The folders `gomux setup` makes (each marked as gomux's own).
    pub fn layout_dirs(&self) -> [PathBuf; 4] {
        [
            self.bin_dir(),
            self.toolchains_dir(),
            self.tmp_dir(),
            self.downloads_dir(),
        ]
    }
    /// `.gomux-layout`: the layout version of this home ([`LAYOUT_VERSION`]), for a future
    /// gomux that lays the home out differently to know what it finds. Nothing on the proxy's
    /// path reads it.
    pub fn layout_file(&self) -> PathBuf {
        self.root.join(LAYOUT_FILE)
    }

    /// The layout version recorded in `.gomux-layout`: `None` when there is none (a home made
    /// before the marker, or not set up), `Some(Err(text))` when it does not hold a number.
    pub fn layout_version(&self) -> Option<Result<u32, String>> {
        let bytes = fsx::read_bounded(&self.layout_file(), 64).ok()??;
        let text = String::from_utf8_lossy(&bytes);
        Some(text.trim().parse().map_err(|_| text::escape(text.trim())))
    }

    /// Records [`LAYOUT_VERSION`] in `.gomux-layout` (through [`fsx::write_atomic`]) unless it
    /// is there already; a newer version is left as it is. `gomux setup` and installs call it.
    pub fn mark_layout(&self) -> Result<(), fsx::FsError> {
        match self.layout_version() {
            Some(Ok(v)) if v >= LAYOUT_VERSION => Ok(()),
            _ => fsx::write_atomic(
                &self.layout_file(),
                format!("{LAYOUT_VERSION}\n").as_bytes(),
            ),
        }
    }

    /// Removes the home folder when nothing is left in it but, at most, its layout marker
    /// (what `gomux setup --uninstall` leaves); a home with anything else in it stays.
    pub fn remove_if_unused(&self) {
        if self.layout_dirs().iter().all(|d| !d.exists()) {
            let _ = std::fs::remove_file(self.layout_file());
        }
        let _ = std::fs::remove_dir(&self.root);
    }

    /// Reads the settings file; a missing file gives the defaults.
    pub fn settings(&self) -> Result<Settings, settings::SettingsError> {
        Settings::load(&self.settings_file())
    }

    /// Sets (or with `None`, removes) one setting in `settings.toml`, under its update lock.
    pub fn update_setting(
        &self,
        key: &str,
        value: Option<&settings::Value>,
    ) -> Result<(), settings::SettingsError> {
        let lock = self
            .lock_update("settings")
            .map_err(settings::SettingsError::Write)?;
        Settings::update(&self.settings_file(), key, value, &lock)
    }

    /// The GOROOT of an installed or linked toolchain, when its `bin/go` exists. A folder that
    /// cannot be read counts as no toolchain here; [`Home::find_toolchain`] tells them apart.
    pub fn toolchain_root(&self, name: &str) -> Option<PathBuf> {
        self.find_toolchain(name).ok().flatten()
    }

    /// The GOROOT of an installed or linked toolchain when its `bin/go` exists, `Ok(None)` when
    /// it does not, and an error when a folder on the way cannot be read (a `toolchains/` gomux
    /// may not enter is not "not installed"). One `stat` when all is well, as before.
    pub fn find_toolchain(&self, name: &str) -> Result<Option<PathBuf>, ToolchainsUnreadable> {
        if !gomux_version::is_safe_name(name) {
            return Ok(None);
        }
        let dir = self.toolchain_dir(name);
        let go = sdk_tool(&dir, "go");
        match std::fs::metadata(&go) {
            Ok(m) => Ok(m.is_file().then_some(dir)),
            Err(e) if is_absent(&e) => Ok(self
                .pointer_target(name)
                .filter(|target| sdk_tool(target, "go").is_file())),
            Err(e) => {
                // The failure path only: find the folder that could not be entered.
                let blocked = [dir.clone(), dir.join("bin"), go]
                    .into_iter()
                    .find_map(|p| match std::fs::metadata(&p) {
                        Err(e) if !is_absent(&e) => p.parent().map(Path::to_path_buf),
                        _ => None,
                    })
                    .unwrap_or_else(|| self.toolchains_dir());
                Err(ToolchainsUnreadable {
                    dir: blocked,
                    source: e,
                })
            }
        }
    }

    /// True when `toolchains/<name>` is a link made by `gomux link` rather than an install: a
    /// symbolic link (or a junction), or a link file ([`Home::write_link_file`]).
    pub fn is_linked(&self, name: &str) -> bool {
        match std::fs::symlink_metadata(self.toolchain_dir(name)) {
            Ok(m) if m.file_type().is_symlink() => true,
            Ok(m) if m.is_file() => self.pointer_target(name).is_some(),
            _ => false,
        }
    }

    /// Where the link `toolchains/<name>` points (as written, not checked), or `None` when
    /// it is not a link.
    pub fn link_target(&self, name: &str) -> Option<PathBuf> {
        let dir = self.toolchain_dir(name);
        match std::fs::symlink_metadata(&dir) {
            Ok(m) if m.file_type().is_symlink() => std::fs::read_link(&dir)
                .ok()
                .map(|t| path::display(&t).into_owned()),
            Ok(m) if m.is_file() => self.pointer_target(name),
            _ => None,
        }
    }

    /// Makes `toolchains/<name>` a link file pointing at `target` (an absolute GOROOT): what
    /// `gomux link` writes where a symbolic link cannot be made (Windows without Developer
    /// Mode or elevation, and Wine, where creating one silently does nothing). The proxy
    /// follows it like a link. Written through [`fsx::write_atomic`].
    pub fn write_link_file(&self, name: &str, target: &Path) -> Result<(), fsx::FsError> {
        let dir = self.toolchain_dir(name);
        let Some(text) = target.to_str().filter(|t| !t.contains(['\n', '\r'])) else {
            return Err(fsx::FsError::new(
                "write",
                &dir,
                std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    "the SDK's path is not valid Unicode text",
                ),
            ));
        };
        fsx::write_atomic(&dir, format!("{LINK_FILE_HEADER}\n{text}\n").as_bytes())
    }

    /// The target of a link file `toolchains/<name>`: its first line is [`LINK_FILE_HEADER`],
    /// its second an absolute path. Anything else (a stray file, a truncated one) is no link.
    fn pointer_target(&self, name: &str) -> Option<PathBuf> {
        let bytes = fsx::read_bounded(&self.toolchain_dir(name), 8192).ok()??;
        let text = std::str::from_utf8(&bytes).ok()?;
        let mut lines = text.lines();
        if lines.next()? != LINK_FILE_HEADER {
            return None;
        }
        let target = PathBuf::from(lines.next()?);
        target.is_absolute().then_some(target)
    }

    /// Names of every entry in `toolchains/` that is a usable name, sorted oldest first by
    /// Go version (names that are not versions first, by name).
    ///
    /// A `toolchains/` that cannot be read lists nothing here; [`Home::try_toolchain_names`]
    /// says so instead.
    pub fn toolchain_names(&self) -> Vec<String> {
        self.try_toolchain_names().unwrap_or_default()
    }

    /// Like [`Home::toolchain_names`], with an error when `toolchains/` exists but cannot be
    /// read (a missing folder lists nothing).
    pub fn try_toolchain_names(&self) -> Result<Vec<String>, ToolchainsUnreadable> {
        let mut names = self.try_toolchain_names_unsorted()?;
        names.sort_by(|a, b| gomux_version::compare_names(a, b).then_with(|| a.cmp(b)));
        Ok(names)
    }

    /// [`Home::try_toolchain_names`] in the folder's own order: what the proxy lists for a
    /// partial pin, which picks the newest member in one pass and needs no sort.
    pub fn try_toolchain_names_unsorted(&self) -> Result<Vec<String>, ToolchainsUnreadable> {
        let dir = self.toolchains_dir();
        let rd = match std::fs::read_dir(&dir) {
            Ok(rd) => rd,
            Err(e) if is_absent(&e) => return Ok(Vec::new()),
            Err(e) => return Err(ToolchainsUnreadable { dir, source: e }),
        };
        let names: Vec<String> = rd
            .filter_map(|e| e.ok())
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|n| gomux_version::is_safe_name(n))
            .collect();
        Ok(names)
    }
}

fn is_absent(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
    )
}

/// `toolchains/` (or a toolchain's folder in it) exists but gomux may not read or enter it, so
/// whether a toolchain is installed cannot be told.
#[derive(Debug)]
pub struct ToolchainsUnreadable {
    /// The folder that could not be read or entered.
    pub dir: PathBuf,
    /// The error from reading or entering it.
    pub source: std::io::Error,
}

impl ToolchainsUnreadable {
    /// What to do about it.
    pub fn hint(&self) -> String {
        if self.source.kind() == std::io::ErrorKind::PermissionDenied {
            format!(
                "check that you may read and enter `{}` (its owner and mode): gomux looks for installed toolchains there",
                text::escape_path(&self.dir)
            )
        } else {
            format!(
                "check `{}`: gomux looks for installed toolchains there",
                text::escape_path(&self.dir)
            )
        }
    }
}

impl fmt::Display for ToolchainsUnreadable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cannot read `{}`, so gomux cannot tell which toolchains are installed: {}",
            text::escape_path(&self.dir),
            fsx::describe(&self.source)
        )
    }
}

impl std::error::Error for ToolchainsUnreadable {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

/// `<root>/bin/<tool>`: a tool of an SDK (`go`, `gofmt`, with `.exe` on Windows).
pub fn sdk_tool(root: &Path, tool: &str) -> PathBuf {
    root.join("bin").join(exe(tool))
}

impl Hints for ToolchainsUnreadable {
    fn hints(&self) -> Vec<String> {
        vec![self.hint()]
    }
}

/// The platform's executable name for a tool (`go` or `go.exe`).
pub fn exe(tool: &str) -> String {
    if cfg!(windows) {
        format!("{tool}.exe")
    } else {
        tool.to_string()
    }
}

/// True when `value` is the empty string (an empty variable counts as unset, as in Go).
pub fn is_empty(value: &OsStr) -> bool {
    value.is_empty()
}

/// Reads the first line of `<root>/VERSION`: the toolchain's own name (`go1.22.3`).
pub fn read_version_file(root: &Path) -> std::io::Result<String> {
    let text = std::fs::read_to_string(root.join("VERSION"))?;
    Ok(text.lines().next().unwrap_or("").trim().to_string())
}

#[cfg(test)]
mod tests;

//! The gomux home: its on-disk layout, the settings file and the environment-variable registry.
//!
//! [`Home`] is the only place that knows a path under `GOMUX_HOME`; everything else asks it.
//! The design decision to know: this crate sits on the proxy's hot path, so it has no
//! dependencies beyond std and `gomux-version`. The settings file is a small TOML subset read by
//! a hand-written parser ([`settings`]) instead of a TOML crate, which keeps serde out of the proxy.

pub mod cache;
pub mod env;
pub mod fsx;
pub mod goenv;
pub mod settings;
pub mod text;

use std::ffi::{OsStr, OsString};
use std::fmt;
use std::path::{Path, PathBuf};

pub use settings::Settings;

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
                p.display()
            ),
            HomeError::NoHome => f.write_str(
                "cannot find the gomux home: neither `GOMUX_HOME` nor `HOME` is set; set `GOMUX_HOME` to an absolute folder",
            ),
        }
    }
}

impl std::error::Error for HomeError {}

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

    pub fn root(&self) -> &Path {
        &self.root
    }
    /// `bin/`: the proxies (`go`, `gofmt`, `go1.X.Y`) and the `gomux` binary.
    pub fn bin_dir(&self) -> PathBuf {
        self.root.join("bin")
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
    /// `tmp/<name>.lock`: the per-toolchain install lock.
    pub fn lock_file(&self, name: &str) -> PathBuf {
        self.tmp_dir().join(format!("{name}.lock"))
    }
    /// `tmp/.update-<what>.lock`: held while gomux reads, changes and writes back a file it
    /// edits (`settings`, `profiles`), so two gomux processes never lose each other's edit.
    /// The leading dot keeps it apart from every toolchain's lock (no toolchain name starts
    /// with one).
    pub fn update_lock_file(&self, what: &str) -> PathBuf {
        self.tmp_dir().join(format!(".update-{what}.lock"))
    }
    /// Takes the update lock of `what` (see [`Home::update_lock_file`]), creating `tmp/`
    /// as gomux's own (marked) folder when it is missing.
    pub fn lock_update(&self, what: &str) -> Result<fsx::UpdateLock, fsx::FsError> {
        let tmp = self.tmp_dir();
        if std::fs::symlink_metadata(&tmp).is_err()
            && let Err(e) = fsx::create_owned_dir(&tmp, fsx::FOLDER_MARKER)
            // The marker is a courtesy to a later uninstall; a folder that exists will do.
            && !tmp.is_dir()
        {
            return Err(e);
        }
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
    /// `cache/`: the default cache root for GOCACHE/GOMODCACHE.
    pub fn default_cache_root(&self) -> PathBuf {
        self.root.join("cache")
    }
    /// `settings.toml`.
    pub fn settings_file(&self) -> PathBuf {
        self.root.join("settings.toml")
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

    /// The GOROOT of an installed or linked toolchain, when its `bin/go` exists.
    pub fn toolchain_root(&self, name: &str) -> Option<PathBuf> {
        if !gomux_version::is_safe_name(name) {
            return None;
        }
        let dir = self.toolchain_dir(name);
        dir.join("bin").join(exe("go")).is_file().then_some(dir)
    }

    /// True when `toolchains/<name>` is a link made by `gomux link` rather than an install.
    pub fn is_linked(&self, name: &str) -> bool {
        std::fs::symlink_metadata(self.toolchain_dir(name))
            .map(|m| m.file_type().is_symlink())
            .unwrap_or(false)
    }

    /// Names of every entry in `toolchains/` that is a usable name, sorted oldest first by
    /// Go version (names that are not versions first, by name).
    pub fn toolchain_names(&self) -> Vec<String> {
        let Ok(rd) = std::fs::read_dir(self.toolchains_dir()) else {
            return Vec::new();
        };
        let mut names: Vec<String> = rd
            .filter_map(|e| e.ok())
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|n| gomux_version::is_safe_name(n))
            .collect();
        names.sort_by(|a, b| gomux_version::compare_names(a, b).then_with(|| a.cmp(b)));
        names
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

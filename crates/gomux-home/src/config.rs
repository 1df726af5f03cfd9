//! Every gomux setting, declared once: its environment variable, its `settings.toml` key, its
//! type, its default and its doc line ([`ALL`]); and the one resolver that reads a setting and
//! says where the value came from ([`Origin`]).
//!
//! The precedence is the same for every setting and written only here: a non-empty variable,
//! then the settings key, then the built-in default. An empty variable or an empty string in
//! the file counts as unset. `docs/settings.md` is generated from [`ALL`] (`cargo xtask docs`).
//!
//! The design decision to know: the registry is `const` data and a lookup is the variable
//! lookup and the settings search it replaces, no more. The settings are handed over lazily
//! (a closure), so a call that the environment decides never reads `settings.toml`, as before.

use std::ffi::{OsStr, OsString};
use std::fmt;
use std::path::PathBuf;

use crate::settings::{SettingsError, keys};
use crate::{Settings, env, text};

/// What kind of value a setting takes (for the docs and for the reader of the key).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `true`/`false` in the file; a variable set to `0`, `false`, `no` or `off` is false and
    /// any other value true.
    Bool,
    /// A variable only, on when it is `1` or `true`.
    OptIn,
    /// A toolchain request (`1.22.3`, `go1.22.3`, `1.22`).
    Toolchain,
    /// One of the cache policies.
    CacheMode,
    /// An absolute folder, on any drive.
    Folder,
    /// A URL (`https://`, `http://` on loopback, `file://`).
    Url,
    /// Seconds, decimals allowed.
    Seconds,
    /// Free text.
    Text,
}

impl Kind {
    /// How the docs describe the kind.
    pub const fn describe(self) -> &'static str {
        match self {
            Kind::Bool => "`true`/`false` (variable: `0`, `false`, `no`, `off` mean false)",
            Kind::OptIn => "`1` or `true` turns it on",
            Kind::Toolchain => "a toolchain (`1.22.3`, `go1.22.3`, `1.22`, a linked name)",
            Kind::CacheMode => "`project`, `shared`, `toolchain`, `job` or `off`",
            Kind::Folder => "an absolute folder",
            Kind::Url => "a URL (`https://`, `http://` on loopback, `file://`)",
            Kind::Seconds => "seconds (`600`, `0.5`)",
            Kind::Text => "text",
        }
    }
}

/// One setting: where it is read from, what it takes, what it defaults to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Def {
    /// The environment variable, when the setting has one.
    pub var: Option<&'static str>,
    /// The dotted `settings.toml` key, when the setting has one.
    pub key: Option<&'static str>,
    /// What kind of value it takes, which decides how the key is read.
    pub kind: Kind,
    /// The built-in default, as the docs show it (Markdown).
    pub default: &'static str,
    /// One line saying what the setting does (Markdown).
    pub doc: &'static str,
}

/// Install a missing toolchain on first use.
pub const AUTO_INSTALL: Def = Def {
    var: Some(env::GOMUX_AUTO_INSTALL),
    key: Some(keys::AUTO_INSTALL),
    kind: Kind::Bool,
    default: "`true`",
    doc: "Install a missing toolchain on first use; when off, the proxy prints the command to run.",
};

/// A newer installed patch for a module line's missing release.
pub const PREFER_INSTALLED: Def = Def {
    var: Some(env::GOMUX_PREFER_INSTALLED),
    key: Some(keys::PREFER_INSTALLED),
    kind: Kind::Bool,
    default: "`true`",
    doc: "When a go.mod/go.work line asks for a release that is not installed (`go 1.23` means go1.23.0 or newer) and a newer patch of the same minor release is, run that one instead of downloading; `false` downloads exactly what Go would.",
};

/// The default toolchain (`gomux default`).
pub const DEFAULT_TOOLCHAIN: Def = Def {
    var: None,
    key: Some(keys::DEFAULT_TOOLCHAIN),
    kind: Kind::Toolchain,
    default: "none",
    doc: "The toolchain used where no project file, `GOTOOLCHAIN` or `GOMUX_TOOLCHAIN` chooses one (`gomux default`).",
};

/// The cache policy.
pub const CACHE_MODE: Def = Def {
    var: Some(env::GOMUX_CACHE_MODE),
    key: Some(keys::CACHE_MODE),
    kind: Kind::CacheMode,
    default: "`project`",
    doc: "Which GOCACHE/GOMODCACHE a `go` call gets: per project, shared, per toolchain, per CI job, or Go's own ([caches](caches.md)).",
};

/// The cache root.
pub const CACHE_ROOT: Def = Def {
    var: Some(env::GOMUX_CACHE_DIR),
    key: Some(keys::CACHE_ROOT),
    kind: Kind::Folder,
    default: "`$GOMUX_HOME/cache`",
    doc: "The folder holding gomux's GOCACHE/GOMODCACHE folders; it may be on any drive.",
};

/// gomux's caches over the user's GOCACHE/GOMODCACHE.
pub const CACHE_FORCE: Def = Def {
    var: None,
    key: Some(keys::CACHE_FORCE),
    kind: Kind::Bool,
    default: "`false`",
    doc: "gomux's caches win over GOCACHE/GOMODCACHE set in the environment.",
};

/// The machine-wide module download store under the cache root.
pub const CACHE_MODULE_STORE: Def = Def {
    var: Some(env::GOMUX_CACHE_MODULE_STORE),
    key: Some(keys::CACHE_MODULE_STORE),
    kind: Kind::Bool,
    default: "`true`",
    doc: "With cache policy `project`, every project's module cache shares one download store (`<root>/store/download`): a module version is fetched once per machine.",
};

/// The base build cache per toolchain.
pub const CACHE_BASE: Def = Def {
    var: Some(env::GOMUX_CACHE_BASE),
    key: Some(keys::CACHE_BASE),
    kind: Kind::Text,
    default: "`auto`",
    doc: "`auto` builds each toolchain's standard library once, in the background, into a base build cache that seeds every project's own; `off` turns the builds and the seeding off ([caches](caches.md#the-base-layer)).",
};

/// A remote build cache behind `gomux cacheprog`.
pub const CACHE_REMOTE: Def = Def {
    var: Some(env::GOMUX_CACHE_REMOTE),
    key: Some(keys::CACHE_REMOTE),
    kind: Kind::Url,
    default: "none",
    doc: "A remote build cache speaking the Bazel HTTP remote-cache protocol (`/ac/`, `/cas/`): with Go 1.24 or later, Go's build cache is served by `gomux cacheprog` from the local cache, then the remote ([caches](caches.md#a-remote-build-cache)).",
};

/// Whether `gomux cacheprog` writes to the remote cache.
pub const CACHE_REMOTE_MODE: Def = Def {
    var: Some(env::GOMUX_CACHE_REMOTE_MODE),
    key: Some(keys::CACHE_REMOTE_MODE),
    kind: Kind::Text,
    default: "`read`",
    doc: "`read` only fetches from the remote cache; `read-write` also uploads what Go builds (for trusted jobs, such as the main branch's).",
};

/// The job id for cache policy `job`.
pub const JOB_ID: Def = Def {
    var: Some(env::GOMUX_JOB_ID),
    key: None,
    kind: Kind::Text,
    default: "the CI system's own (`CI_JOB_ID`, `GITHUB_RUN_ID`, `BUILDKITE_JOB_ID`, `BUILD_TAG`)",
    doc: "The job id for cache policy `job`.",
};

/// A mirror of the Go downloads.
pub const DIST_SERVER: Def = Def {
    var: Some(env::GOMUX_DIST_SERVER),
    key: Some(keys::DIST_SERVER),
    kind: Kind::Url,
    default: "the official downloads (`https://dl.google.com/go/`)",
    doc: "A mirror of the Go downloads: archives at `BASE/<file>`, the index at `BASE/?mode=json&include=all` (`BASE/index.json` for `file://`) ([mirrors](mirrors.md)).",
};

/// The release index location.
pub const DIST_INDEX: Def = Def {
    var: Some(env::GOMUX_DIST_INDEX),
    key: Some(keys::DIST_INDEX),
    kind: Kind::Url,
    default: "derived from the download server",
    doc: "The release index location alone, overriding the one derived from the download server.",
};

/// Where toolchains come from.
pub const DIST_SOURCE: Def = Def {
    var: Some(env::GOMUX_DIST_SOURCE),
    key: Some(keys::DIST_SOURCE),
    kind: Kind::Text,
    default: "`downloads`",
    doc: "Where toolchains come from: `downloads` (the official downloads or `dist.server`), or `goproxy`: the module `golang.org/toolchain` through the `GOPROXY` list Go would use, proven by the checksum database (`GOSUMDB`) ([mirrors](mirrors.md#a-companys-module-proxy)).",
};

/// Installs of toolchain modules without a proof from the checksum database.
pub const DIST_ALLOW_UNVERIFIED: Def = Def {
    var: Some(env::GOMUX_DIST_ALLOW_UNVERIFIED),
    key: Some(keys::DIST_ALLOW_UNVERIFIED),
    kind: Kind::Bool,
    default: "`false`",
    doc: "With `dist.source = \"goproxy\"`: install a toolchain the checksum database cannot prove (`GOSUMDB=off`, no database reachable). Each such install is recorded as unverified.",
};

/// Plain `http://` mirrors off loopback.
pub const DIST_ALLOW_HTTP: Def = Def {
    var: Some(env::GOMUX_DIST_ALLOW_HTTP),
    key: None,
    kind: Kind::OptIn,
    default: "off",
    doc: "Allows a plain `http://` mirror that is not on loopback.",
};

/// How long to wait for another gomux installing the same toolchain.
pub const LOCK_TIMEOUT: Def = Def {
    var: Some(env::GOMUX_LOCK_TIMEOUT),
    key: None,
    kind: Kind::Seconds,
    default: "`600`",
    doc: "How long to wait for another gomux that is installing or uninstalling the same toolchain (huge values mean wait very long).",
};

/// How long a network read may make no progress.
pub const HTTP_TIMEOUT: Def = Def {
    var: Some(env::GOMUX_HTTP_TIMEOUT),
    key: None,
    kind: Kind::Seconds,
    default: "`30`",
    doc: "How long a network read may make no progress before it is abandoned.",
};

/// Where `gomux self update` looks for new releases.
pub const SELF_UPDATE_URL: Def = Def {
    var: Some(env::GOMUX_SELF_UPDATE_URL),
    key: Some(keys::SELF_UPDATE_URL),
    kind: Kind::Url,
    default: "none (`gomux self update --from FILE|URL` names one)",
    doc: "Where `gomux self update` looks for new releases: a folder URL holding `gomux-<os>-<arch>` and `gomux-<os>-<arch>.sha256` ([install](install.md#updating-gomux)).",
};

/// Every setting, in documentation order.
pub const ALL: &[Def] = &[
    DEFAULT_TOOLCHAIN,
    AUTO_INSTALL,
    PREFER_INSTALLED,
    CACHE_MODE,
    CACHE_ROOT,
    CACHE_FORCE,
    CACHE_MODULE_STORE,
    CACHE_BASE,
    CACHE_REMOTE,
    CACHE_REMOTE_MODE,
    JOB_ID,
    DIST_SERVER,
    DIST_INDEX,
    DIST_SOURCE,
    DIST_ALLOW_UNVERIFIED,
    DIST_ALLOW_HTTP,
    LOCK_TIMEOUT,
    HTTP_TIMEOUT,
    SELF_UPDATE_URL,
];

/// Every `settings.toml` key gomux knows, in documentation order.
pub fn known_keys() -> impl Iterator<Item = &'static str> {
    ALL.iter().filter_map(|d| d.key)
}

/// Where a setting's value came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// Built in.
    Default,
    /// A `settings.toml` key: the file, the key and the line it is set on.
    Setting {
        /// The settings file the key was read from.
        file: PathBuf,
        /// The dotted key (`cache.mode`).
        key: &'static str,
        /// The 1-based line of the key; `0` when it could not be found.
        line: usize,
    },
    /// An environment variable.
    Variable(&'static str),
    /// The user's `go env -w` file.
    GoEnvFile(PathBuf),
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Default => f.write_str("the default"),
            Origin::Setting { file, key, line } => {
                write!(f, "setting `{key}` in `{}:{line}`", text::escape_path(file))
            }
            Origin::Variable(v) => write!(f, "variable `{v}`"),
            Origin::GoEnvFile(p) => write!(f, "`go env -w` (`{}`)", text::escape_path(p)),
        }
    }
}

/// A setting's value as it was found: the variable's bytes, or the file's string or boolean.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Raw<'s> {
    /// A non-empty environment variable's bytes, not yet decoded.
    Var(OsString),
    /// A non-empty string from `settings.toml`, borrowed from the parsed file.
    Str(&'s str),
    /// A boolean from `settings.toml`.
    Bool(bool),
}

impl Raw<'_> {
    /// The value as OS text (a path, say).
    pub fn as_os_str(&self) -> &OsStr {
        match self {
            Raw::Var(v) => v,
            Raw::Str(s) => OsStr::new(s),
            Raw::Bool(true) => OsStr::new("true"),
            Raw::Bool(false) => OsStr::new("false"),
        }
    }

    /// The value as a path (a variable's bytes are moved, not copied).
    pub fn into_path(self) -> PathBuf {
        match self {
            Raw::Var(v) => PathBuf::from(v),
            other => PathBuf::from(other.as_os_str()),
        }
    }

    /// The value as text (a variable that is not UTF-8 is read lossily).
    pub fn into_string(self) -> String {
        match self {
            Raw::Var(v) => v.to_string_lossy().into_owned(),
            Raw::Str(s) => s.to_string(),
            Raw::Bool(b) => b.to_string(),
        }
    }
}

impl Def {
    /// The setting's name for messages: its key, else its variable.
    pub fn name(&self) -> &'static str {
        self.key.or(self.var).unwrap_or("")
    }

    /// The value and where it came from: the variable when set and non-empty, else the key in
    /// the settings (read only then, through `settings`), else `None` (the built-in default).
    /// A key set to a value of the wrong type is an error naming its line; an empty string
    /// counts as unset.
    pub fn lookup<'s, E: From<SettingsError>>(
        &self,
        get: &dyn Fn(&str) -> Option<OsString>,
        settings: impl FnOnce() -> Result<&'s Settings, E>,
    ) -> Result<Option<(Raw<'s>, Origin)>, E> {
        if let Some(var) = self.var
            && let Some(v) = get(var).filter(|v| !v.is_empty())
        {
            return Ok(Some((Raw::Var(v), Origin::Variable(var))));
        }
        let Some(key) = self.key else {
            return Ok(None);
        };
        let settings = settings()?;
        let raw = match self.kind {
            Kind::Bool | Kind::OptIn => settings.get_bool(key)?.map(Raw::Bool),
            _ => settings
                .get_str(key)?
                .filter(|s| !s.is_empty())
                .map(Raw::Str),
        };
        Ok(raw.map(|raw| {
            let origin = Origin::Setting {
                file: settings.path().to_path_buf(),
                key,
                line: settings.line(key).unwrap_or(0),
            };
            (raw, origin)
        }))
    }

    /// A [`Kind::Bool`] or [`Kind::OptIn`] setting's value, the default when unset.
    pub fn flag<'s, E: From<SettingsError>>(
        &self,
        get: &dyn Fn(&str) -> Option<OsString>,
        settings: impl FnOnce() -> Result<&'s Settings, E>,
    ) -> Result<(bool, Origin), E> {
        Ok(match self.lookup(get, settings)? {
            None => (self.default == "`true`", Origin::Default),
            Some((Raw::Bool(b), origin)) => (b, origin),
            Some((raw, origin)) => {
                let v = raw.as_os_str().to_str();
                let on = match self.kind {
                    Kind::OptIn => matches!(v, Some("1" | "true")),
                    _ => !matches!(v, Some("0" | "false" | "no" | "off")),
                };
                (on, origin)
            }
        })
    }
}

/// The setting read from `key`, if gomux knows one.
pub fn find_key(key: &str) -> Option<&'static Def> {
    ALL.iter().find(|d| d.key == Some(key))
}

/// The setting read from the variable `name`, if gomux knows one.
pub fn find_var(name: &str) -> Option<&'static Def> {
    ALL.iter().find(|d| d.var == Some(name))
}

#[cfg(test)]
mod tests;

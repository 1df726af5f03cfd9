//! Why a toolchain was chosen: the [`Source`] of a selection and of the default it was
//! compared with, shown by `gomux show` and in every message.

use super::*;

/// Where the choice came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// The proxy's own name, such as `go1.22.3` (or the version a real go switching
    /// toolchains asked that proxy for).
    ProxyName,
    /// A `+VERSION` first argument.
    Arg,
    /// `GOMUX_TOOLCHAIN`.
    Env,
    /// An exact `GOTOOLCHAIN` (`go1.22.3`), from the environment or the `go env -w` file.
    GoToolchain(Origin),
    /// A pin file inside the project.
    PinFile {
        /// The nearest `.go-version`, or `.tool-versions` with a `golang`/`go` line.
        path: PathBuf,
        /// The 1-based line holding the version.
        line: usize,
    },
    /// A go.work `go`/`toolchain` line.
    GoWork {
        /// The go.work: found walking up, or the file `GOWORK` names.
        path: PathBuf,
        /// The 1-based line of the `go` or `toolchain` line that decided.
        line: usize,
    },
    /// A go.mod `go`/`toolchain` line.
    GoMod {
        /// The nearest go.mod walking up (one directly in `$TMPDIR` is ignored).
        path: PathBuf,
        /// The 1-based line of the `go` or `toolchain` line that decided.
        line: usize,
    },
    /// The default toolchain.
    Default(DefaultSource),
}

/// What set the default toolchain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DefaultSource {
    /// `gomux default` (the settings file).
    Settings(PathBuf),
    /// `GOTOOLCHAIN=<name>+auto` or `+path`.
    GoToolchain(Origin),
    /// A pin file above the project root.
    PinAbove {
        /// The `.go-version` or `.tool-versions` found outside (above) the go.work/go.mod folder.
        path: PathBuf,
        /// The 1-based line holding the version.
        line: usize,
    },
}

impl Source {
    /// The short name used in `gomux show --json`.
    pub fn kind(&self) -> &'static str {
        match self {
            Source::ProxyName => "proxy-name",
            Source::Arg => "arg",
            Source::Env => "env",
            Source::GoToolchain(_) => "gotoolchain",
            Source::PinFile { .. } => "pin-file",
            Source::GoWork { .. } => "go-work",
            Source::GoMod { .. } => "go-mod",
            Source::Default(_) => "default",
        }
    }

    /// The file and line that decided, if a file did.
    pub fn file_line(&self) -> Option<(&Path, usize)> {
        match self {
            Source::PinFile { path, line }
            | Source::GoWork { path, line }
            | Source::GoMod { path, line }
            | Source::Default(DefaultSource::PinAbove { path, line }) => Some((path, *line)),
            _ => None,
        }
    }

    /// True for an explicit pin (the SDK then runs with `GOTOOLCHAIN=local`).
    pub fn is_explicit(&self) -> bool {
        matches!(
            self,
            Source::ProxyName
                | Source::Arg
                | Source::Env
                | Source::GoToolchain(_)
                | Source::PinFile { .. }
        )
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::ProxyName => f.write_str("the proxy's name"),
            Source::Arg => f.write_str("the `+VERSION` argument"),
            Source::Env => f.write_str("GOMUX_TOOLCHAIN"),
            Source::GoToolchain(Origin::Env) => f.write_str("GOTOOLCHAIN in the environment"),
            Source::GoToolchain(Origin::File(p)) => {
                write!(f, "GOTOOLCHAIN in `{}` (go env -w)", text::escape_path(p))
            }
            Source::PinFile { path, line }
            | Source::GoWork { path, line }
            | Source::GoMod { path, line } => {
                write!(f, "{}:{line}", text::escape_path(path))
            }
            Source::Default(d) => match d {
                DefaultSource::Settings(p) => {
                    write!(f, "the default toolchain ({})", text::escape_path(p))
                }
                DefaultSource::GoToolchain(Origin::Env) => {
                    f.write_str("the default set by GOTOOLCHAIN in the environment")
                }
                DefaultSource::GoToolchain(Origin::File(p)) => write!(
                    f,
                    "the default set by GOTOOLCHAIN in `{}`",
                    text::escape_path(p)
                ),
                DefaultSource::PinAbove { path, line } => {
                    write!(f, "the default set by {}:{line}", text::escape_path(path))
                }
            },
        }
    }
}

//! Why no toolchain could be chosen, with Go's own texts where Go has one, and what to do.

use super::*;

/// Why no toolchain could be chosen.
#[derive(Clone, Debug)]
pub enum ResolveError {
    /// A version given in an argument or variable is not valid.
    BadRequest {
        /// Where the text came from, ready to show (already escaped): an argument, a
        /// variable or a settings key.
        origin: String,
        /// The parse error; its `input` is the raw text ([`request_error_text`] escapes it).
        error: RequestError,
    },
    /// `GOTOOLCHAIN` is invalid; `message` is the Go command's own text.
    InvalidGoToolchain {
        /// Go's message, the value quoted (escaped) as Go's `%q` does.
        message: String,
        /// Whether the value came from the environment or from the `go env -w` file.
        origin: Origin,
    },
    /// `GOWORK` is a relative path.
    RelativeGoWork {
        /// The `GOWORK` value as set, raw (escaped only when shown in a hint).
        value: String,
        /// Whether it was set in the environment or in the `go env -w` file.
        origin: Origin,
    },
    /// `GOWORK` names a folder: Go stops when it reads it as the go.work.
    GoWorkIsFolder {
        /// The folder `GOWORK` names.
        path: PathBuf,
        /// Whether it was set in the environment or in the `go env -w` file.
        origin: Origin,
    },
    /// A go.mod/go.work `toolchain` line is invalid; `message` is Go's text.
    InvalidToolchainLine {
        /// Go's message, with the value quoted (escaped) and the path shortened as Go does.
        message: String,
        /// The go.mod or go.work holding the line.
        path: PathBuf,
        /// The 1-based line number of the `toolchain` line.
        line: usize,
    },
    /// A toolchain name cannot name a folder (spaces, `/`, ...).
    UnusableName {
        /// The rejected name, raw (escaped when shown).
        name: String,
        /// Where it came from, ready to show (already escaped): `GOTOOLCHAIN`, the proxy's
        /// name, or a module file's `path:line`.
        origin: String,
    },
    /// A bad line in a pin file.
    PinFile {
        /// The `.go-version` or `.tool-versions` file.
        path: PathBuf,
        /// The 1-based line at fault (1 for a file naming no version).
        line: usize,
        /// What is wrong with it, ready to show (file text in it already escaped).
        message: String,
    },
    /// `-C dir` names a folder Go cannot change to (Go stops with `go: chdir DIR: ...`).
    Chdir {
        /// The folder as written after `-C`.
        dir: PathBuf,
        /// The I/O error, described for people.
        message: String,
    },
    /// A file could not be read.
    Read {
        /// The file that could not be read (a go.mod or go.work).
        path: PathBuf,
        /// The I/O error, described for people.
        message: String,
    },
    /// A pin file that gomux will not read: not a regular file, too large, or unreadable.
    /// `message` names the file (escaped); `hint` says what to do.
    BadPinFile {
        /// The pin file gomux would not read.
        path: PathBuf,
        /// What is wrong, the path in it escaped: the whole text shown for this error.
        message: String,
        /// What to do about it (check its permissions, replace it, or remove it).
        hint: String,
    },
    /// Nothing selects a toolchain here and no default is set. The project the call belongs
    /// to is still known (its caches do not depend on a toolchain).
    NoToolchain {
        /// The directory named in the message: where files were looked for (after `-C`), or
        /// the working directory itself when a module file was read.
        cwd: PathBuf,
        /// The folder of the go.work or go.mod the call belongs to, if any.
        project_root: Option<PathBuf>,
    },
    /// The settings could not be read (shared: the proxy keeps the settings it read once).
    Settings(std::sync::Arc<gomux_home::settings::SettingsError>),
}

impl From<gomux_home::settings::SettingsError> for ResolveError {
    fn from(e: gomux_home::settings::SettingsError) -> ResolveError {
        ResolveError::Settings(std::sync::Arc::new(e))
    }
}

/// A [`RequestError`] with the rejected text escaped and shortened: the text came from a file,
/// a variable or an argument, and must not reach the terminal raw.
pub fn request_error_text(e: &RequestError) -> String {
    format!(
        "invalid Go version `{}`: {}",
        text::escape(&e.input),
        e.reason
    )
}

/// A value quoted the way Go's `%q` shows it (Go's own messages quote GOTOOLCHAIN and toolchain
/// values so), cut after [`text::MAX_SHOWN`] characters: Rust's `{:?}` escapes control,
/// format and bidirectional characters just as `%q` does.
pub(crate) fn quote(s: &str) -> String {
    match s.char_indices().nth(text::MAX_SHOWN) {
        Some((cut, _)) => format!("{:?}…", &s[..cut]),
        None => format!("{s:?}"),
    }
}

/// The longest message of another crate (the settings reader) shown as it is; the text is
/// escaped again, which leaves escapes alone, so no control character gets through whatever
/// that crate quoted.
pub(crate) const MAX_FOREIGN_MESSAGE: usize = 2000;

impl fmt::Display for ResolveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Every value below that came from outside is escaped, here or where the error is made
        // (origins, pin-file messages, Go's quoted values).
        match self {
            ResolveError::BadRequest { origin, error } => {
                write!(f, "{} (from {origin})", request_error_text(error))
            }
            ResolveError::InvalidGoToolchain { message, .. } => f.write_str(message),
            ResolveError::RelativeGoWork { .. } => {
                f.write_str("invalid GOWORK: not an absolute path")
            }
            ResolveError::InvalidToolchainLine { message, .. } => f.write_str(message),
            ResolveError::GoWorkIsFolder { path, .. } => write!(
                f,
                "read {}: is a directory (GOWORK names a folder, not a go.work file)",
                text::escape_path(path)
            ),
            ResolveError::UnusableName { name, origin } => write!(
                f,
                "toolchain `{}` (from {origin}) cannot be used: a toolchain name may only use letters, digits, `.`, `_`, `+` and `-`",
                text::escape(name)
            ),
            ResolveError::PinFile {
                path,
                line,
                message,
            } => write!(f, "{}:{line}: {message}", text::escape_path(path)),
            ResolveError::Read { path, message } => {
                write!(f, "cannot read `{}`: {message}", text::escape_path(path))
            }
            ResolveError::Chdir { dir, message } => {
                write!(f, "chdir {}: {message}", text::escape_path(dir))
            }
            ResolveError::BadPinFile { message, .. } => f.write_str(message),
            ResolveError::NoToolchain { cwd, .. } => write!(
                f,
                "no Go toolchain is selected for `{}` and no default is set",
                text::escape_path(cwd)
            ),
            ResolveError::Settings(e) => {
                f.write_str(&text::escape_max(&e.to_string(), MAX_FOREIGN_MESSAGE))
            }
        }
    }
}

impl std::error::Error for ResolveError {}

impl Hints for ResolveError {
    fn hints(&self) -> Vec<String> {
        match self {
            ResolveError::InvalidGoToolchain { origin, .. } => vec![match origin {
                Origin::Env => "GOTOOLCHAIN is set in the environment: fix or unset it".to_string(),
                Origin::File(p) => format!(
                    "GOTOOLCHAIN is set in `{}`: run `go env -w GOTOOLCHAIN=auto` or edit that file",
                    text::escape_path(p)
                ),
            }],
            ResolveError::RelativeGoWork { value, origin } => vec![format!(
                "GOWORK=`{}` is set {}: use an absolute path, `off`, or unset it",
                text::escape(value),
                match origin {
                    Origin::Env => "in the environment".to_string(),
                    Origin::File(p) => format!("in `{}`", text::escape_path(p)),
                }
            )],
            ResolveError::GoWorkIsFolder { path, origin } => vec![format!(
                "GOWORK is set {}: name the go.work file itself (`{}`), `off`, or unset it",
                match origin {
                    Origin::Env => "in the environment".to_string(),
                    Origin::File(p) => format!("in `{}`", text::escape_path(p)),
                },
                text::escape_path(&path.join("go.work"))
            )],
            ResolveError::InvalidToolchainLine { path, line, .. } => vec![format!(
                "fix line {line} of `{}`: use `toolchain go1.X.Y` or `toolchain default`",
                text::escape_path(path)
            )],
            ResolveError::BadPinFile { hint, .. } => vec![hint.clone()],
            ResolveError::PinFile { .. } => vec![
                "a pin file holds one version such as `1.22.3`, `go1.22.3` or `1.22`".to_string(),
            ],
            ResolveError::NoToolchain { .. } => vec![
                "set a default with `gomux default 1.23`, or pin this project with `gomux pin 1.23`"
                    .to_string(),
            ],
            ResolveError::Settings(e) => e.hints(),
            ResolveError::Chdir { dir, .. } => vec![format!(
                "`-C {}` must name an existing folder (relative to the current one)",
                text::escape_path(dir)
            )],
            ResolveError::BadRequest { .. }
            | ResolveError::UnusableName { .. }
            | ResolveError::Read { .. } => Vec::new(),
        }
    }
}

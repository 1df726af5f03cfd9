//! Why no toolchain could be chosen, with Go's own texts where Go has one, and what to do.

use super::*;

/// Why no toolchain could be chosen.
#[derive(Clone, Debug)]
pub enum ResolveError {
    /// A version given in an argument or variable is not valid.
    BadRequest { origin: String, error: RequestError },
    /// `GOTOOLCHAIN` is invalid; `message` is the Go command's own text.
    InvalidGoToolchain { message: String, origin: Origin },
    /// `GOWORK` is a relative path.
    RelativeGoWork { value: String, origin: Origin },
    /// A go.mod/go.work `toolchain` line is invalid; `message` is Go's text.
    InvalidToolchainLine {
        message: String,
        path: PathBuf,
        line: usize,
    },
    /// A toolchain name cannot name a folder (spaces, `/`, ...).
    UnusableName { name: String, origin: String },
    /// A bad line in a pin file.
    PinFile {
        path: PathBuf,
        line: usize,
        message: String,
    },
    /// A file could not be read.
    Read { path: PathBuf, message: String },
    /// A pin file that gomux will not read: not a regular file, too large, or unreadable.
    /// `message` names the file (escaped); `hint` says what to do.
    BadPinFile {
        path: PathBuf,
        message: String,
        hint: String,
    },
    /// Nothing selects a toolchain here and no default is set. The project the call belongs
    /// to is still known (its caches do not depend on a toolchain).
    NoToolchain {
        cwd: PathBuf,
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
            ResolveError::BadRequest { .. }
            | ResolveError::UnusableName { .. }
            | ResolveError::Read { .. } => Vec::new(),
        }
    }
}

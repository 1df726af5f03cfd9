//! Errors of the download and install pipeline. Every variant names the URL, file or folder
//! it is about; [`DistError::hints`] says what to do about it.

use std::io;
use std::path::{Path, PathBuf};

/// Something that went wrong while finding, fetching, checking or placing a toolchain.
#[derive(Debug, thiserror::Error)]
pub enum DistError {
    #[error("`{input}` is not a toolchain name gomux can install")]
    InvalidName { input: String },

    #[error("invalid download source `{value}` (from {origin}): {reason}")]
    BadSource {
        value: String,
        origin: String,
        reason: String,
    },

    #[error("`{name}` is set to `{value}`: expected {expected}")]
    BadVariable {
        name: String,
        value: String,
        expected: String,
    },

    #[error("cannot reach `{host}` for `{url}`: {detail}")]
    Network {
        host: String,
        url: String,
        detail: String,
    },

    #[error("`{host}` sent nothing for {secs}s while gomux was fetching `{url}`")]
    Timeout {
        host: String,
        url: String,
        secs: u64,
    },

    #[error("the download of `{url}` broke off after {got} bytes{}: {detail}", expected.map(|e| format!(" of {e}")).unwrap_or_default())]
    Interrupted {
        host: String,
        url: String,
        got: u64,
        expected: Option<u64>,
        detail: String,
    },

    #[error("`{url}` answered HTTP {status}{}", after_redirect(redirected))]
    Status {
        url: String,
        status: u16,
        /// The redirect target that answered, when the server redirected.
        redirected: Option<String>,
    },

    #[error("`{url}` does not exist (HTTP 404){}{}", after_redirect(redirected), what.as_ref().map(|w| format!(": {w}")).unwrap_or_default())]
    NotFound {
        url: String,
        what: Option<String>,
        /// The redirect target that answered, when the server redirected.
        redirected: Option<String>,
    },

    #[error("`{url}` redirected to `{target}`, and `{host}` cannot be reached: {detail}")]
    RedirectFailed {
        url: String,
        target: String,
        host: String,
        detail: String,
    },

    #[error("`{url}` is larger than the {limit} bytes gomux accepts for it")]
    TooLarge { url: String, limit: u64 },

    #[error("`{name}` is not in the release index at `{index}`")]
    UnknownVersion { name: String, index: String },

    #[error("{name} has no archive for {platform} in the release index at `{index}`")]
    NoArchive {
        name: String,
        platform: String,
        index: String,
    },

    #[error("no release matches `{request}` for {platform} in the release index at `{index}`")]
    NoMatch {
        request: String,
        platform: String,
        index: String,
    },

    #[error("the release index at `{url}` is not valid: {detail}")]
    BadIndex { url: String, detail: String },

    #[error(
        "the release index at `{index}` has a malformed entry for `{file}`: its sha256 `{value}` is not 64 hexadecimal digits"
    )]
    BadIndexEntry {
        index: String,
        file: String,
        value: String,
    },

    #[error("`{request}` needs a release index, and `{url}` has none")]
    NoIndex { request: String, url: String },

    #[error(
        "checksum mismatch for `{file}`\n  expected {expected}\n  actual   {actual}\n  from `{url}`"
    )]
    ChecksumMismatch {
        file: String,
        url: String,
        expected: String,
        actual: String,
    },

    #[error("no sha256 is known for `{url}`: {why}")]
    Unverified { url: String, why: String },

    #[error("`{value}` from `{url}` is not a sha256 (64 hexadecimal digits)")]
    BadChecksum { value: String, url: String },

    #[error("the archive `{archive}` is refused: entry `{entry}` {reason}")]
    Hostile {
        archive: String,
        entry: String,
        reason: String,
    },

    #[error("the archive `{archive}` is damaged: {detail}")]
    Corrupt { archive: String, detail: String },

    #[error("the archive `{archive}` holds {found}, not {expected}")]
    WrongVersion {
        archive: String,
        expected: String,
        found: String,
    },

    #[error("the archive `{archive}` is for {found}, and this machine is {host}")]
    WrongPlatform {
        archive: String,
        found: String,
        host: String,
    },

    #[error("cannot tell which toolchain `{archive}` holds from its file name")]
    UnnamedArchive { archive: String },

    #[error("{}", io_message(op, path, source))]
    Io {
        op: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    #[error("gave up after {waited} waiting for {holder} (lock `{}`)", path.display())]
    LockTimeout {
        name: String,
        path: PathBuf,
        /// How long it waited: `0.5s`, `600s`, `a very long time`.
        waited: String,
        /// Who holds the lock and what it does: `another gomux (pid 42) that is uninstalling
        /// go1.22.3`.
        holder: String,
    },

    #[error("{name} is not installed")]
    NotInstalled { name: String },

    #[error("`{}` exists but is not a usable toolchain", path.display())]
    Occupied { name: String, path: PathBuf },

    /// A toolchain folder without the marker `gomux install` writes: installed by a gomux
    /// older than the marker, or not by gomux at all. It is left alone.
    #[error(
        "left {name} alone: `{}` has no `.gomux-toolchain` marker, so gomux cannot prove it installed it (an older gomux did, or someone else)",
        gomux_home::text::escape_path(path)
    )]
    NotOwned { name: String, path: PathBuf },

    #[error("this machine's platform ({os}/{arch}) has no Go release archives")]
    UnknownPlatform { os: String, arch: String },
}

fn after_redirect(redirected: &Option<String>) -> String {
    redirected
        .as_ref()
        .map(|t| format!(" (redirected to `{t}`)"))
        .unwrap_or_default()
}

fn io_message(op: &str, path: &Path, source: &io::Error) -> String {
    let path = path.display();
    match source.kind() {
        io::ErrorKind::StorageFull => format!("the disk is full: cannot {op} `{path}`"),
        io::ErrorKind::PermissionDenied => format!("permission denied: cannot {op} `{path}`"),
        io::ErrorKind::ReadOnlyFilesystem => {
            format!("the filesystem is read-only: cannot {op} `{path}`")
        }
        _ => format!("cannot {op} `{path}`: {source}"),
    }
}

/// The shell command that deletes a folder gomux would not delete itself.
pub fn remove_command(path: &Path) -> String {
    let text = gomux_home::text::escape_path(path);
    if cfg!(windows) {
        format!("Remove-Item -Recurse -Force '{}'", text.replace('\'', "''"))
    } else {
        format!("rm -rf '{}'", text.replace('\'', r"'\''"))
    }
}

impl DistError {
    pub(crate) fn io(op: &'static str, path: impl Into<PathBuf>, source: io::Error) -> DistError {
        DistError::Io {
            op,
            path: path.into(),
            source,
        }
    }

    /// True for failures worth another try: the network, timeouts, a cut-off body, and the
    /// HTTP statuses that mean "later" (408, 429, 5xx).
    pub fn is_transient(&self) -> bool {
        match self {
            DistError::Network { .. } | DistError::Timeout { .. } => true,
            DistError::RedirectFailed { .. } => true,
            DistError::Interrupted { .. } => true,
            DistError::Status { status, .. } => {
                matches!(status, 408 | 429) || (500..600).contains(status)
            }
            _ => false,
        }
    }

    /// What the user can do about it, one line each (also what [`gomux_version::Hints`] gives,
    /// the way the CLI asks for it).
    pub fn hints(&self) -> Vec<String> {
        match self {
            DistError::InvalidName { .. } => {
                vec!["use a version such as `1.22.3`, `go1.22.3`, `1.22` or `latest`".into()]
            }
            DistError::BadSource { .. } => vec![
                "a mirror is `https://...`, `file:///folder`, or `http://` on loopback (set `GOMUX_DIST_ALLOW_HTTP=1` for another plain-HTTP host)".into(),
            ],
            DistError::Network { host, .. } => vec![
                format!("check the network, the proxy settings (`HTTPS_PROXY`, `NO_PROXY`) and that `{host}` is up"),
                "without a network, install from a file: `gomux install --archive FILE --sha256 HEX`".into(),
            ],
            DistError::RedirectFailed { host, .. } => vec![
                format!("the mirror itself answered; check that `{host}`, where it sends downloads, is up and reachable from here (`HTTPS_PROXY`, `NO_PROXY`)"),
            ],
            DistError::BadIndexEntry { file, .. } => vec![
                format!("the mirror's release index is damaged: ask its operator to fix the `sha256` of `{file}`; nothing was downloaded"),
                "or install a file you trust: `gomux install --archive FILE --sha256 HEX`".into(),
            ],
            DistError::Timeout { .. } => vec![
                "set `GOMUX_HTTP_TIMEOUT` (seconds) to wait longer on a slow network".into(),
            ],
            DistError::Interrupted { .. } => {
                vec!["the connection dropped several times; try again later".into()]
            }
            DistError::Status { status, .. } => match status {
                401 | 403 | 407 => vec![
                    "the server refused access: check the credentials in the mirror URL or the proxy settings".into(),
                ],
                408 | 429 | 500..=599 => vec!["the server failed; try again later".into()],
                _ => Vec::new(),
            },
            DistError::NotFound { .. } | DistError::UnknownVersion { .. } => vec![
                "`gomux list --remote --all` lists the versions that exist".into(),
            ],
            DistError::NoArchive { .. } | DistError::NoMatch { .. } => vec![
                "`gomux list --remote --all` lists the versions published for this platform".into(),
            ],
            DistError::NoIndex { .. } => vec![
                "ask for an exact version such as `1.22.3`: a mirror without an index works with `.sha256` files beside its archives".into(),
            ],
            DistError::BadIndex { .. } => vec![
                "check `GOMUX_DIST_INDEX` / `GOMUX_DIST_SERVER` (or `dist.index` / `dist.server` in settings.toml)".into(),
            ],
            DistError::ChecksumMismatch { .. } => vec![
                "the server may be serving a damaged or modified file; nothing was installed".into(),
            ],
            DistError::Unverified { .. } => vec![
                "give the expected hash with `--sha256 HEX`, or put a `.sha256` file beside the archive on the mirror".into(),
            ],
            DistError::Hostile { .. } | DistError::Corrupt { .. } => {
                vec!["nothing was installed; get the archive from a trusted source".into()]
            }
            DistError::WrongVersion { .. } | DistError::WrongPlatform { .. } => {
                vec!["nothing was installed; check the archive you were given".into()]
            }
            DistError::UnnamedArchive { .. } => vec![
                "name the toolchain: `gomux install --archive FILE go1.22.3`".into(),
            ],
            DistError::Io { path, source, .. } => {
                let dir = path.parent().unwrap_or(path).display();
                match source.kind() {
                    io::ErrorKind::StorageFull => vec![format!(
                        "free some space on the disk holding `{dir}`, or set `GOMUX_HOME` to a folder on a larger disk"
                    )],
                    io::ErrorKind::PermissionDenied | io::ErrorKind::ReadOnlyFilesystem => {
                        vec![format!(
                            "make `{dir}` writable for this user, or set `GOMUX_HOME` to a folder you own"
                        )]
                    }
                    _ => Vec::new(),
                }
            }
            DistError::LockTimeout { path, .. } => vec![
                "set `GOMUX_LOCK_TIMEOUT` (seconds) to wait longer".into(),
                format!(
                    "if no other gomux is running, the lock is held by a process that is stuck; `{}` is safe to delete then",
                    path.display()
                ),
            ],
            DistError::NotInstalled { .. } => {
                vec!["`gomux list` shows what is installed".into()]
            }
            DistError::NotOwned { path, .. } => vec![format!(
                "if it is yours to delete, remove it yourself: `{}`",
                remove_command(path)
            )],
            DistError::Occupied { path, .. } => vec![format!(
                "remove `{}` (or `gomux uninstall` it) and install again",
                path.display()
            )],
            DistError::UnknownPlatform { .. } => vec![
                "register an SDK you built yourself with `gomux link NAME PATH`".into(),
            ],
            DistError::TooLarge { .. }
            | DistError::BadChecksum { .. }
            | DistError::BadVariable { .. } => Vec::new(),
        }
    }
}

impl gomux_version::Hints for DistError {
    fn hints(&self) -> Vec<String> {
        DistError::hints(self)
    }
}

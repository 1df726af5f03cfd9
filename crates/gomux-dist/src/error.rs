//! Errors of the download and install pipeline. Every variant names the URL, file or folder
//! it is about; [`DistError::hints`] says what to do about it.

use std::io;
use std::path::{Path, PathBuf};

/// Something that went wrong while finding, fetching, checking or placing a toolchain.
///
/// URLs in the fields are shown without their user info (`https://***@host/`); text that
/// came from a server or an archive is escaped before it lands here.
#[derive(Debug, thiserror::Error)]
pub enum DistError {
    /// A toolchain name (or a file name to download) that is not a safe Go toolchain name.
    #[error("`{input}` is not a toolchain name gomux can install")]
    InvalidName {
        /// What was asked for, as the caller gave it.
        input: String,
    },

    /// A mirror, index URL or redirect gomux refuses: bad URL, wrong scheme, not UTF-8.
    #[error("invalid download source `{value}` (from {origin}): {reason}")]
    BadSource {
        /// The refused URL, redacted and escaped (the settings key when settings.toml failed).
        value: String,
        /// Where it was set: the variable, `` `dist.server` ``, the settings file, or `a
        /// redirect` / `a download URL` / `a file URL`.
        origin: String,
        /// Why it is refused, as a phrase.
        reason: String,
    },

    /// An environment variable gomux reads (`GOMUX_HTTP_TIMEOUT`, `GOMUX_LOCK_TIMEOUT`) has a
    /// value it cannot use.
    #[error("`{name}` is set to `{value}`: expected {expected}")]
    BadVariable {
        /// The variable, such as `GOMUX_LOCK_TIMEOUT`.
        name: String,
        /// Its value, escaped.
        value: String,
        /// What a usable value looks like, as the phrase after "expected".
        expected: String,
    },

    /// No answer at all: DNS, connection, TLS or proxy failure, or the HTTP client could not
    /// be set up. Transient.
    #[error("cannot reach `{host}` for `{url}`: {detail}")]
    Network {
        /// `host[:port]` of the URL, for the hint.
        host: String,
        /// The URL requested.
        url: String,
        /// The most specific cause in the error chain, redacted, escaped, at most 400 chars.
        detail: String,
    },

    /// The server sent nothing for the idle timeout
    /// ([`Options::http_timeout`](crate::Options::http_timeout)), before its answer or in the
    /// middle of the body. Transient.
    #[error("`{host}` sent nothing for {secs}s while gomux was fetching `{url}`")]
    Timeout {
        /// `host[:port]` of the URL.
        host: String,
        /// The URL requested.
        url: String,
        /// The idle timeout, in whole seconds (at least 1).
        secs: u64,
    },

    /// A body broke off, or ended at another length than the server announced. Transient.
    #[error("the download of `{url}` broke off after {got} bytes{}: {detail}", expected.map(|e| format!(" of {e}")).unwrap_or_default())]
    Interrupted {
        /// `host[:port]` of the URL.
        host: String,
        /// The URL downloaded.
        url: String,
        /// Bytes received before it stopped.
        got: u64,
        /// The length the server announced; `None` when it announced none.
        expected: Option<u64>,
        /// Why it stopped, redacted and escaped.
        detail: String,
    },

    /// An HTTP status other than 200, 404 and 410; transient for 408, 429 and 5xx.
    #[error("`{url}` answered HTTP {status}{}", after_redirect(redirected))]
    Status {
        /// The URL requested (not the redirect target).
        url: String,
        /// The HTTP status code.
        status: u16,
        /// The redirect target that answered, when the server redirected.
        redirected: Option<String>,
    },

    /// HTTP 404 or 410, or a `file://` URL naming no file.
    #[error("`{url}` does not exist (HTTP 404){}{}", after_redirect(redirected), what.as_ref().map(|w| format!(": {w}")).unwrap_or_default())]
    NotFound {
        /// The URL requested (not the redirect target).
        url: String,
        /// What the absence means, when the caller knows: `go1.22.3 or the platform
        /// linux-amd64 is not published there`.
        what: Option<String>,
        /// The redirect target that answered, when the server redirected.
        redirected: Option<String>,
    },

    /// The mirror answered with a redirect, and the target failed (network or timeout).
    /// Transient.
    #[error("`{url}` redirected to `{target}`, and `{host}` cannot be reached: {detail}")]
    RedirectFailed {
        /// The URL requested from the mirror.
        url: String,
        /// The last redirect target, which failed.
        target: String,
        /// `host[:port]` of the target.
        host: String,
        /// Why the target failed, redacted and escaped.
        detail: String,
    },

    /// A download outgrew its cap: [`Options::max_download`](crate::Options::max_download)
    /// for an archive, 64 MiB for the index, 4 KiB for a `.sha256` file.
    #[error("`{url}` is larger than the {limit} bytes gomux accepts for it")]
    TooLarge {
        /// The URL, or the path of a local archive.
        url: String,
        /// The cap that was passed, in bytes.
        limit: u64,
    },

    /// The release index lists no release of that name.
    #[error("`{name}` is not in the release index at `{index}`")]
    UnknownVersion {
        /// The toolchain asked for (`go1.22.3`).
        name: String,
        /// The index URL.
        index: String,
    },

    /// The release exists but has no binary archive for this platform.
    #[error("{name} has no archive for {platform} in the release index at `{index}`")]
    NoArchive {
        /// The toolchain asked for (`go1.22.3`).
        name: String,
        /// The platform looked for, as `os-arch` (`linux-amd64`).
        platform: String,
        /// The index URL.
        index: String,
    },

    /// No release with an archive for this platform satisfies `latest` or a family (`1.22`).
    #[error("no release matches `{request}` for {platform} in the release index at `{index}`")]
    NoMatch {
        /// The request, as [`Spec`](crate::Spec) displays it (`latest`, `1.22`).
        request: String,
        /// The platform looked for, as `os-arch`.
        platform: String,
        /// The index URL.
        index: String,
    },

    /// The index body is not a JSON array of releases (irregular entries are only skipped).
    #[error("the release index at `{url}` is not valid: {detail}")]
    BadIndex {
        /// The index URL.
        url: String,
        /// The JSON parser's complaint, escaped, at most 400 chars.
        detail: String,
    },

    /// The index gives the archive to install a `sha256` that is not 64 hex digits; nothing
    /// was downloaded.
    #[error(
        "the release index at `{index}` has a malformed entry for `{file}`: its sha256 `{value}` is not 64 hexadecimal digits"
    )]
    BadIndexEntry {
        /// The index URL.
        index: String,
        /// The archive's file name (`go1.22.3.linux-amd64.tar.gz`).
        file: String,
        /// The malformed value as the index gave it, escaped and cut.
        value: String,
    },

    /// `latest` or a family was asked of a source whose index URL answers 404 (a mirror
    /// with `.sha256` files only).
    #[error("`{request}` needs a release index, and `{url}` has none")]
    NoIndex {
        /// The request, as [`Spec`](crate::Spec) displays it.
        request: String,
        /// The index URL that does not exist.
        url: String,
    },

    /// The archive does not hash to the expected sha256; nothing was installed.
    #[error(
        "checksum mismatch for `{file}`\n  expected {expected}\n  actual   {actual}\n  from `{url}`"
    )]
    ChecksumMismatch {
        /// The archive's file name.
        file: String,
        /// Where it came from: its URL, or the path of a local archive.
        url: String,
        /// The sha256 it should have, lowercase hex.
        expected: String,
        /// The sha256 of the bytes received, lowercase hex.
        actual: String,
    },

    /// Nothing to check the archive against: the index lists no hash and there is no
    /// `.sha256` file; for a local archive, the index is missing, unavailable or lists none.
    #[error("no sha256 is known for `{url}`: {why}")]
    Unverified {
        /// The archive's URL, or the path of a local archive.
        url: String,
        /// Why no hash is known, as a sentence.
        why: String,
    },

    /// No proof from the checksum database for a toolchain module, and unverified installs
    /// are not allowed: nothing was downloaded or installed.
    #[error("no proof from the checksum database for `{module}`: {why}")]
    NoProof {
        /// `golang.org/toolchain@v0.0.1-go1.23.5.linux-amd64`.
        module: String,
        /// Which proof is missing or failed, and why (names the database and URL).
        why: String,
    },

    /// The toolchain module does not hash to what the checksum database proved for it.
    #[error(
        "`{file}` does not match the checksum database\n  expected {expected}\n  actual   {actual}\n  from `{url}`"
    )]
    ModuleMismatch {
        /// The module file (`v0.0.1-go1.23.5.linux-amd64.zip`).
        file: String,
        /// Where it came from.
        url: String,
        /// The `h1:` hash the database proved.
        expected: String,
        /// The `h1:` hash of what was received.
        actual: String,
    },

    /// No GOPROXY entry gomux can fetch a toolchain module from.
    #[error("no toolchain source in GOPROXY (`{value}`, from {origin}): {why}")]
    NoProxy {
        /// The GOPROXY list, redacted and escaped.
        value: String,
        /// Where it was set (`the environment`, the go env file, or Go's default).
        origin: String,
        /// Why no entry is usable.
        why: String,
    },

    /// An installed toolchain no longer matches the hash that proved it.
    #[error("`{dir}` no longer matches the hash that proved it ({expected}): {detail}")]
    Tampered {
        /// The toolchain folder.
        dir: PathBuf,
        /// The recorded `h1:` hash.
        expected: String,
        /// What differs.
        detail: String,
    },

    /// A `.sha256` file or a `--sha256` value that is not 64 hex digits.
    #[error("`{value}` from `{url}` is not a sha256 (64 hexadecimal digits)")]
    BadChecksum {
        /// The value: the first word of the `.sha256` file (escaped, cut), or the trimmed
        /// `--sha256` argument as given.
        value: String,
        /// The `.sha256` file's URL, or the path of the local archive.
        url: String,
    },

    /// An archive entry that breaks the extraction policy (a link, a device, an absolute or
    /// `..` path, a duplicate, a cap passed); extraction stopped, nothing was installed.
    #[error("the archive `{archive}` is refused: entry `{entry}` {reason}")]
    Hostile {
        /// The archive's URL or path.
        archive: String,
        /// The entry's name in the archive, escaped.
        entry: String,
        /// What is wrong with it, as a phrase after the entry (`is a symbolic link`).
        reason: String,
    },

    /// The archive is not readable gzip, tar or zip, or it lacks an executable `go/bin/go`.
    #[error("the archive `{archive}` is damaged: {detail}")]
    Corrupt {
        /// The archive's URL or path.
        archive: String,
        /// What is damaged or missing.
        detail: String,
    },

    /// The unpacked `go/VERSION` is missing or names another toolchain than the one asked for.
    #[error("the archive `{archive}` holds {found}, not {expected}")]
    WrongVersion {
        /// The archive's URL or path.
        archive: String,
        /// The toolchain being installed (`go1.22.3`).
        expected: String,
        /// What `VERSION` says (escaped, in backticks), or that there is no `go/VERSION`.
        found: String,
    },

    /// A local archive whose file name names another platform than the one installed for.
    #[error("the archive `{archive}` is for {found}, and this machine is {host}")]
    WrongPlatform {
        /// The archive's absolute path.
        archive: String,
        /// The platform in its file name, as `os-arch`.
        found: String,
        /// The platform the [`Dist`](crate::Dist) installs for, as `os-arch`.
        host: String,
    },

    /// A local archive whose file name does not say which toolchain it holds, and no name
    /// was given.
    #[error("cannot tell which toolchain `{archive}` holds from its file name")]
    UnnamedArchive {
        /// The archive's absolute path.
        archive: String,
    },

    /// A filesystem operation failed; disk full, permission denied and read-only filesystems
    /// get their own message and hint.
    #[error("{}", io_message(op, path, source))]
    Io {
        /// What gomux tried, as the verb phrase after "cannot" (`create the folder`, `move
        /// into place`).
        op: &'static str,
        /// The file or folder it was tried on.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: io::Error,
    },

    /// Another gomux held the toolchain's lock longer than
    /// [`Options::lock_timeout`](crate::Options::lock_timeout).
    #[error("gave up after {waited} waiting for {holder} (lock `{}`)", path.display())]
    LockTimeout {
        /// The toolchain whose lock it is (`go1.22.3`).
        name: String,
        /// The lock file, `tmp/<name>.lock` under the gomux home.
        path: PathBuf,
        /// How long it waited: `0.5s`, `600s`, `a very long time`.
        waited: String,
        /// Who holds the lock and what it does: `another gomux (pid 42) that is uninstalling
        /// go1.22.3`.
        holder: String,
    },

    /// [`uninstall`](crate::uninstall()) of a toolchain that is not there (or went away while
    /// it waited for the lock).
    #[error("{name} is not installed")]
    NotInstalled {
        /// The toolchain asked for.
        name: String,
    },

    /// Something that is not a complete toolchain sits where the install would put one.
    #[error("`{}` exists but is not a usable toolchain", path.display())]
    Occupied {
        /// The toolchain being installed.
        name: String,
        /// The entry in the way, `toolchains/<name>` under the gomux home.
        path: PathBuf,
    },

    /// A toolchain folder without the marker `gomux install` writes: installed by a gomux
    /// older than the marker, or not by gomux at all. It is left alone.
    #[error(
        "left {name} alone: `{}` has no `.gomux-toolchain` marker, so gomux cannot prove it installed it (an older gomux did, or someone else)",
        gomux_home::text::escape_path(path)
    )]
    NotOwned {
        /// The toolchain asked to be uninstalled.
        name: String,
        /// Its folder, untouched.
        path: PathBuf,
    },

    /// This machine's OS or architecture has no Go release archives
    /// ([`Platform::host`](crate::Platform::host) is `None`).
    #[error("this machine's platform ({os}/{arch}) has no Go release archives")]
    UnknownPlatform {
        /// The OS as Rust names it (`std::env::consts::OS`).
        os: String,
        /// The architecture as Rust names it (`std::env::consts::ARCH`).
        arch: String,
    },
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
            DistError::NoProof { .. } => vec![
                "nothing was downloaded or installed; check `GOSUMDB` and that the checksum database (or a proxy serving it) answers".into(),
                "to install a toolchain without a proof anyway, pass `--allow-unverified` (or set `dist.allow_unverified = true`)".into(),
            ],
            DistError::ModuleMismatch { .. } => vec![
                "the proxy may be serving a damaged or modified toolchain; nothing was installed".into(),
            ],
            DistError::NoProxy { .. } => vec![
                "set `GOPROXY` (environment or `go env -w GOPROXY=...`) to your module proxy: `https://...`, `file:///folder`".into(),
            ],
            DistError::Tampered { dir, .. } => vec![
                format!("reinstall it: `gomux uninstall` it, then `gomux install` (its folder is `{}`)", dir.display()),
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

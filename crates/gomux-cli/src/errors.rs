//! Library errors as the CLI reports them: the message, then the crate's hints as `hint:`
//! lines (see `render`). Each adapter lives here once, used by every command that meets that
//! error; none of them decides wording of its own.

use gomux_dist::DistError;
use gomux_home::fsx::FsError;

use crate::render::with_hint;

/// A library error with its hints, for rendering. The library already redacts and escapes
/// what it quotes; this is the last net before the terminal: no URL password and no control
/// character (other than the message's own line breaks) gets through.
pub fn dist_error(e: DistError) -> anyhow::Error {
    let hints: Vec<String> = e.hints().iter().map(|h| safe(h)).collect();
    let hints: Vec<&str> = hints.iter().map(String::as_str).collect();
    with_hint(safe(&e.to_string()), &hints)
}

/// `message` with URL user info redacted and control characters escaped, line by line.
pub fn safe(message: &str) -> String {
    message
        .split('\n')
        .map(|line| gomux_home::text::escape_max(&gomux_home::text::redact_urls(line), 4096))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A file error as the CLI reports it: the message, then the hint for a full disk or a
/// permission problem.
pub fn fs_error(e: FsError) -> anyhow::Error {
    match e.hint() {
        Some(hint) => with_hint(e.to_string(), &[&hint]),
        None => anyhow::Error::new(e),
    }
}

//! Rendering errors and hints the gomux way: `error: ...`, the causes, then `hint: ...`; and
//! the one place that decides what a closed stdout means.

use std::fmt;

use gomux_home::text;

/// An error with hints: the message, then one `hint:` line per hint.
#[derive(Debug)]
pub struct WithHints {
    pub message: String,
    pub hints: Vec<String>,
}

impl fmt::Display for WithHints {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for WithHints {}

/// Builds an error whose report ends with `hint:` lines.
pub fn with_hint(message: impl Into<String>, hints: &[&str]) -> anyhow::Error {
    anyhow::Error::new(WithHints {
        message: message.into(),
        hints: hints.iter().map(|h| h.to_string()).collect(),
    })
}

/// The longest line [`report`] prints. Untrusted values are escaped and cut where a message is
/// made; this last pass escapes every line once more (escaping leaves escapes as they are), so
/// no control character from a file, a variable or a server reaches the terminal, whichever
/// code built the message.
const MAX_LINE: usize = 2000;

/// `s` with each line escaped and cut (a message may span lines on purpose, such as a
/// checksum mismatch's expected and actual values; a value in it cannot add control
/// characters, since it was escaped, newlines included, where the message was made).
pub fn escape_lines(s: &str) -> String {
    s.split('\n')
        .map(|l| text::escape_max(l, MAX_LINE))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Prints an error: `error: <message>`, each cause as `  caused by: ...`, then the hints.
pub fn report(err: &anyhow::Error) {
    let line = escape_lines;
    eprintln!("error: {}", line(&err.to_string()));
    let mut hints = Vec::new();
    for cause in err.chain() {
        if let Some(h) = cause.downcast_ref::<WithHints>() {
            hints.extend(h.hints.iter().cloned());
        }
    }
    for cause in err.chain().skip(1) {
        eprintln!("  caused by: {}", line(&cause.to_string()));
    }
    for hint in hints {
        eprintln!("hint: {}", line(&hint));
    }
}

/// A closed stdout (`gomux cache list --json | head -1`) is normal for a command-line tool:
/// gomux then stops at once, prints nothing more and exits with status 0, so a
/// `set -o pipefail` script does not fail on it.
///
/// The choice: commands print with `print!`/`println!`, which panic when the write fails. The
/// panic hook installed here recognises exactly that panic with the broken-pipe error and
/// exits 0; any other panic goes on to the default hook (and aborts in release builds, which
/// have `panic = "abort"`: the hook runs before the abort, so this works in every profile). A
/// command that writes with `writeln!(stdout, ..)?` instead returns the `io::Error`, which
/// [`is_closed_stdout_error`] recognises in `main`. Not chosen: restoring SIGPIPE's default
/// (gomux would then die of a signal, status 141, which fails `pipefail` scripts too), or a
/// fallible writer in every command (every command would change, and one forgotten `println!`
/// would bring the abort back).
pub fn exit_quietly_on_closed_stdout() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied());
        if message.is_some_and(is_closed_stdout_panic) {
            // The only exit outside `main`'s return: the process must end before the panic
            // unwinds or aborts, and there is nothing left to clean up or report.
            std::process::exit(0);
        }
        default(info);
    }));
}

/// The errors a write to a pipe without a reader gives: EPIPE on Unix; ERROR_BROKEN_PIPE and
/// ERROR_NO_DATA on Windows.
#[cfg(unix)]
const BROKEN_PIPE_CODES: &[i32] = &[32];
#[cfg(windows)]
const BROKEN_PIPE_CODES: &[i32] = &[109, 232];
#[cfg(not(any(unix, windows)))]
const BROKEN_PIPE_CODES: &[i32] = &[];

/// True for std's `failed printing to stdout: <broken pipe>` panic message (and no other: a
/// full disk under `gomux show > file` is still an error).
fn is_closed_stdout_panic(message: &str) -> bool {
    let Some(err) = message.strip_prefix("failed printing to stdout: ") else {
        return false;
    };
    BROKEN_PIPE_CODES
        .iter()
        .any(|&code| err == std::io::Error::from_raw_os_error(code).to_string())
}

/// True when a command failed with nothing but a broken-pipe `io::Error` of its own: a
/// `writeln!(stdout, ..)?` whose reader went away. Errors about a file, a server or a child
/// process carry their own context, so they never match.
pub fn is_closed_stdout_error(err: &anyhow::Error) -> bool {
    err.downcast_ref::<std::io::Error>()
        .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_broken_pipe_on_stdout_is_quiet() {
        let epipe = std::io::Error::from(std::io::ErrorKind::BrokenPipe);
        assert!(is_closed_stdout_error(&anyhow::Error::new(epipe)));
        let full = std::io::Error::from(std::io::ErrorKind::StorageFull);
        assert!(!is_closed_stdout_error(&anyhow::Error::new(full)));
        assert_eq!(
            escape_lines("mismatch for `a\x1b`\n  expected 1\n  actual   2"),
            "mismatch for `a\\x1b`\n  expected 1\n  actual   2"
        );
        #[cfg(unix)]
        {
            let msg = format!(
                "failed printing to stdout: {}",
                std::io::Error::from_raw_os_error(32)
            );
            assert!(is_closed_stdout_panic(&msg));
            assert!(!is_closed_stdout_panic(&msg.replace("stdout", "stderr")));
            let enospc = format!(
                "failed printing to stdout: {}",
                std::io::Error::from_raw_os_error(28)
            );
            assert!(!is_closed_stdout_panic(&enospc));
        }
    }
}

//! Rendering errors and hints the gomux way: `error: ...`, the causes, then `hint: ...`; the
//! status lines of the commands ([`status!`], silenced by `-q`); and the one place that decides
//! what a closed stdout means.
//!
//! Streams: data (list rows, `show`, `which`, `env`, JSON, completions) goes to stdout with
//! `println!`; everything for the person at the terminal (status, warnings, errors, hints,
//! progress, log lines) goes to stderr through this module, so `$(gomux which go)` and
//! `gomux list --json | jq` see data alone. The `error:`, `warning:` and `hint:` prefixes are
//! coloured through `anstream`, which decides as clap does: `NO_COLOR` (set and not empty) turns
//! colour off, else `CLICOLOR_FORCE` turns it on, else `CLICOLOR=0` turns it off, else colour
//! only when stderr is a terminal.
//!
//! Hints come from the errors themselves: every library error implements
//! [`gomux_version::Hints`], and [`report`] walks the cause chain asking each cause for its
//! hints. [`with_hint`] is only for what the CLI alone knows (a command's own message, or a
//! flag to suggest).

use std::error::Error;
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};

use anstyle::{AnsiColor, Style};

use gomux_home::text;
use gomux_version::Hints;

/// `-q`: status lines are not printed (errors, warnings and data always are).
static QUIET: AtomicBool = AtomicBool::new(false);
/// `--no-progress` or `GOMUX_NO_PROGRESS=1`: no progress bars.
static NO_PROGRESS: AtomicBool = AtomicBool::new(false);

/// Sets the output switches from the global flags and the environment, once, in `main`.
pub fn configure(quiet: bool, no_progress: bool) {
    let from_env = std::env::var_os(gomux_home::env::GOMUX_NO_PROGRESS)
        .is_some_and(|v| v == "1" || v == "true");
    QUIET.store(quiet, Ordering::Relaxed);
    NO_PROGRESS.store(no_progress || from_env, Ordering::Relaxed);
}

/// Whether progress bars may be drawn (on a terminal only, decided by the caller).
pub fn progress_allowed() -> bool {
    !NO_PROGRESS.load(Ordering::Relaxed)
}

/// Prints a status line ("installed ...", "linked ...") on stderr unless `-q` was given. The
/// text is the command's own: values from outside are escaped by the caller, as everywhere.
macro_rules! status {
    ($($arg:tt)*) => {
        $crate::render::status_line(::std::format_args!($($arg)*))
    };
}
pub(crate) use status;

/// What [`status!`] calls.
pub fn status_line(args: fmt::Arguments<'_>) {
    if !QUIET.load(Ordering::Relaxed) {
        eprintln!("{args}");
    }
}

const ERROR: Style = AnsiColor::Red.on_default().bold();
const WARNING: Style = AnsiColor::Yellow.on_default().bold();
const HINT: Style = AnsiColor::Cyan.on_default().bold();
const DIM: Style = Style::new().dimmed();

/// Prints `<word>: <message>` on stderr with the word in `style` when colour is on.
fn prefixed(style: Style, word: &str, message: &str) {
    anstream::eprintln!("{style}{word}:{style:#} {message}");
}

/// Prints `error: <message>` on stderr, for a command that goes on after an error.
pub fn error(message: &str) {
    prefixed(ERROR, "error", message);
}

/// Prints `warning: <message>` on stderr (also under `-q`).
pub fn warning(message: &str) {
    prefixed(WARNING, "warning", message);
}

/// Prints `hint: <message>` on stderr (also under `-q`).
pub fn hint(message: &str) {
    prefixed(HINT, "hint", message);
}

/// Prints one log line of [`crate::log`]: `debug: gomux_dist::install: <message>`.
pub fn log_line(level: &str, target: &str, message: &str) {
    anstream::eprintln!("{DIM}{level}: {target}:{DIM:#} {message}");
}

/// An error with hints that only the CLI knows: a command's own message (`with_hint`), or a
/// library error that a command has more to say about (`add_hints`: `--allow-unverified` is a
/// flag of `gomux install --archive`, not something the install pipeline knows).
#[derive(Debug)]
pub struct WithHints {
    error: Box<dyn Error + Send + Sync>,
    hints: Vec<String>,
}

impl fmt::Display for WithHints {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.error.fmt(f)
    }
}

/// No source: the wrapped error is shown as this one, and a library error's message already
/// says what its sources say (see [`Hints`]).
impl Error for WithHints {}

/// Builds an error of the CLI's own whose report ends with `hint:` lines.
pub fn with_hint(message: impl Into<String>, hints: &[&str]) -> anyhow::Error {
    anyhow::Error::new(WithHints {
        error: message.into().into(),
        hints: hints.iter().map(|h| h.to_string()).collect(),
    })
}

/// A library error with the CLI's own hints after its own.
pub fn add_hints(error: impl Error + Send + Sync + 'static, hints: &[&str]) -> anyhow::Error {
    anyhow::Error::new(WithHints {
        error: Box::new(error),
        hints: hints.iter().map(|h| h.to_string()).collect(),
    })
}

/// The hints of one error of a chain, and whether the walk stops there: a library error's
/// message already says what its sources say. The one place that knows the library's error
/// types: `dyn Error` cannot be asked for another trait, so each is tried in turn.
fn hints_of(e: &(dyn Error + 'static)) -> Option<(Vec<String>, bool)> {
    macro_rules! library {
        ($($t:ty),* $(,)?) => {
            $(if let Some(e) = e.downcast_ref::<$t>() {
                return Some((e.hints(), true));
            })*
        };
    }
    library!(
        gomux_resolve::ResolveError,
        gomux_resolve::locate::LocateError,
        gomux_dist::DistError,
        gomux_cache::CleanError,
        gomux_home::cache::CacheError,
        gomux_home::settings::SettingsError,
        gomux_home::HomeError,
        gomux_home::ToolchainsUnreadable,
        gomux_home::fsx::FsError,
        gomux_home::fsx::ReadError,
        gomux_home::fsx::RemoveError,
        gomux_version::RequestError,
    );
    let w = e.downcast_ref::<WithHints>()?;
    let inner: &(dyn Error + 'static) = &*w.error;
    let (mut hints, last) = hints_of(inner).unwrap_or_default();
    hints.extend(w.hints.iter().cloned());
    Some((hints, last))
}

/// The causes a report shows (the error itself first, down to the first library error) and
/// the hints they give, in order.
fn walk(err: &anyhow::Error) -> (Vec<&(dyn Error + 'static)>, Vec<String>) {
    let mut shown = Vec::new();
    let mut hints = Vec::new();
    for cause in err.chain() {
        shown.push(cause);
        if let Some((h, last)) = hints_of(cause) {
            hints.extend(h);
            if last {
                break;
            }
        }
    }
    (shown, hints)
}

/// The hints an error's report ends with (for `gomux doctor`, which shows the first one).
pub fn hints(err: &anyhow::Error) -> Vec<String> {
    walk(err).1
}

/// Prints an error: `error: <message>`, each cause as `  caused by: ...`, then the hints.
pub fn report(err: &anyhow::Error) {
    report_as("error", err);
}

/// Like [`report`] with another first word: `gomux` when the CLI works for the proxy, so
/// nobody mistakes the message for Go's (the proxy's own errors read the same way).
pub fn report_as(prefix: &str, err: &anyhow::Error) {
    let line = text::report_lines;
    let (shown, hints) = walk(err);
    let mut causes = shown.into_iter().map(|c| line(&c.to_string()));
    prefixed(ERROR, prefix, &causes.next().unwrap_or_default());
    for cause in causes {
        eprintln!("  caused by: {cause}");
    }
    for h in hints {
        hint(&line(&h));
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
            #[allow(clippy::exit)]
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

    fn shown(err: &anyhow::Error) -> (Vec<String>, Vec<String>) {
        let (causes, hints) = walk(err);
        (causes.iter().map(|c| c.to_string()).collect(), hints)
    }

    #[test]
    fn hints_come_from_the_errors_and_causes_stop_at_a_library_error() {
        let full = std::io::Error::from(std::io::ErrorKind::StorageFull);
        let fs = gomux_home::fsx::FsError::new("write", "/data/gomux/settings.toml", full);
        let (message, hint) = (fs.to_string(), fs.hints());
        assert_eq!(hint.len(), 1);
        // The library error's own message already says what its io::Error says.
        let err = anyhow::Error::new(fs);
        assert_eq!(shown(&err), (vec![message.clone()], hint.clone()));
        // A command's context comes first, as a message with the library error as its cause.
        let err = err.context("cannot set the default toolchain");
        assert_eq!(
            shown(&err),
            (
                vec!["cannot set the default toolchain".into(), message],
                hint
            )
        );
        // A hint only the CLI knows comes after the library's own.
        let bad = gomux_version::Request::parse("a b").unwrap_err();
        let err = add_hints(bad, &["`gomux list` shows the names"]);
        assert_eq!(
            shown(&err).1,
            vec!["`gomux list` shows the names".to_string()]
        );
        let err = with_hint("no default toolchain is set", &["set one"]);
        assert_eq!(
            shown(&err),
            (
                vec!["no default toolchain is set".into()],
                vec!["set one".into()]
            )
        );
    }

    #[test]
    fn only_a_broken_pipe_on_stdout_is_quiet() {
        let epipe = std::io::Error::from(std::io::ErrorKind::BrokenPipe);
        assert!(is_closed_stdout_error(&anyhow::Error::new(epipe)));
        let full = std::io::Error::from(std::io::ErrorKind::StorageFull);
        assert!(!is_closed_stdout_error(&anyhow::Error::new(full)));
        assert_eq!(
            text::report_lines("mismatch for `a\x1b`\n  expected 1\n  actual   2"),
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

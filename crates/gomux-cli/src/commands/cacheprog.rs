//! `gomux cacheprog`: the GOCACHEPROG helper the proxy names for Go 1.24 and later when a
//! remote cache is configured. Go starts it and talks to it over stdin/stdout; this command
//! only gathers its configuration (the call's GOCACHE, the remote settings) and hands over to
//! `gomux-cacheprog`.
//!
//! A `GOCACHEPROG` the user wrote with `go env -w` wins: the proxy does not read that file on
//! its hot path, so the helper does, and runs the user's program in its place (same stdin and
//! stdout, so Go talks to it directly).
//!
//! A remote that cannot be used (a bad URL, plain `http://` off loopback, a malformed header)
//! is a warning and the local cache alone is served: the remote never breaks a build.

use std::ffi::OsString;
use std::io::{self, BufReader};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use gomux_cacheprog::local::Local;
use gomux_cacheprog::remote::{Mode, Remote};
use gomux_cacheprog::{Config, serve};
use gomux_home::{config, env as vars, text};

use crate::context::Context;
use crate::render::with_hint;

/// How long the remote may take to connect or to send the next bytes, by default.
const DEFAULT_TIMEOUT: f64 = 5.0;

#[derive(clap::Args)]
pub struct Args {
    /// Print a summary of local and remote hits, misses and errors on stderr at `close`
    /// (as `GOMUX_CACHE_REMOTE_SUMMARY=1`)
    #[arg(long)]
    summary: bool,
}

fn warn(message: &str) {
    eprintln!("gomux cacheprog: warning: {message}");
}

pub fn run(ctx: &Context, args: Args) -> anyhow::Result<ExitCode> {
    let env = |k: &str| std::env::var_os(k);
    if let Some(prog) = users_own_prog(&env) {
        return run_users_prog(&prog);
    }
    let Some(dir) = env("GOCACHE")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .filter(|d| d.is_absolute())
    else {
        return Err(with_hint(
            "`gomux cacheprog` needs `GOCACHE` set to an absolute folder: it serves Go's build cache from there",
            &[
                "the gomux proxy runs Go with `GOCACHEPROG` and `GOCACHE` set when `cache.remote` is configured; run `go` through it",
            ],
        ));
    };
    let summary = args.summary
        || crate::log::verbosity() > 0
        || env(vars::GOMUX_CACHE_REMOTE_SUMMARY)
            .is_some_and(|v| v.to_str().is_some_and(|v| matches!(v, "1" | "true")));
    let remote = remote(ctx, &env);
    let config = Config {
        local: Local::new(dir),
        remote,
        summary,
    };
    let stdin = io::stdin();
    serve(BufReader::new(stdin.lock()), io::stdout(), config)
        .map_err(|e| anyhow::anyhow!("gomux cacheprog: {}", text::escape(&e.to_string())))?;
    Ok(ExitCode::SUCCESS)
}

/// The configured remote, or `None` (with a warning when it is configured but unusable).
fn remote(ctx: &Context, env: &dyn Fn(&str) -> Option<OsString>) -> Option<Remote> {
    let settings = match ctx.settings() {
        Ok(s) => s,
        Err(e) => {
            warn(&format!("{e:#}; serving the local cache alone"));
            return None;
        }
    };
    let lookup = |def: &config::Def| match def.lookup(env, || Ok::<_, anyhow::Error>(&settings)) {
        Ok(v) => v.map(|(raw, origin)| (raw.into_string(), origin)),
        Err(e) => {
            warn(&format!("{e:#}"));
            None
        }
    };
    let (url, _) = lookup(&config::CACHE_REMOTE)?;
    let mode = match lookup(&config::CACHE_REMOTE_MODE) {
        None => Mode::Read,
        Some((value, origin)) => Mode::parse(&value).unwrap_or_else(|| {
            warn(&format!(
                "`{}` from {origin} is not `read` or `read-write`; the remote cache is only read",
                text::escape(&value)
            ));
            Mode::Read
        }),
    };
    let header = env(vars::GOMUX_CACHE_REMOTE_HEADER).filter(|h| !h.is_empty());
    let header = match header.as_ref().map(|h| h.to_str()) {
        None => None,
        Some(Some(h)) => Some((h, vars::GOMUX_CACHE_REMOTE_HEADER)),
        Some(None) => {
            warn(&format!(
                "`{}` is not UTF-8; the remote cache is not used",
                vars::GOMUX_CACHE_REMOTE_HEADER
            ));
            return None;
        }
    };
    let timeout = env(vars::GOMUX_CACHE_REMOTE_TIMEOUT)
        .and_then(|t| t.to_str().and_then(|t| t.trim().parse::<f64>().ok()))
        .filter(|t| t.is_finite() && *t > 0.0)
        .unwrap_or(DEFAULT_TIMEOUT)
        .min(3600.0);
    match Remote::new(&url, mode, header, Duration::from_secs_f64(timeout)) {
        Ok(r) => Some(r),
        Err(e) => {
            warn(&format!("{e}; serving the local cache alone"));
            None
        }
    }
}

/// The `GOCACHEPROG` from the user's `go env -w` file, unless it names this helper.
fn users_own_prog(env: &dyn Fn(&str) -> Option<OsString>) -> Option<Vec<String>> {
    let file = gomux_home::goenv::GoEnvFile::load(env);
    let fields = go_split(file.get("GOCACHEPROG")?)?;
    let first = PathBuf::from(fields.first()?);
    let me = std::env::current_exe().ok();
    let is_me = me.is_some_and(|me| gomux_home::fsx::same_file(&me, &first))
        || first.file_stem().is_some_and(|s| s == "gomux")
            && fields.get(1).is_some_and(|a| a == "cacheprog");
    (!is_me).then_some(fields)
}

/// Go's `quoted.Split`: fields separated by spaces, tabs and line ends; a field may be wrapped
/// in `'` or `"` (no escapes). `None` for an unterminated quote or no field.
fn go_split(s: &str) -> Option<Vec<String>> {
    let mut out = Vec::new();
    let mut rest = s;
    let space = |c: char| matches!(c, ' ' | '\t' | '\n' | '\r');
    loop {
        rest = rest.trim_start_matches(space);
        let Some(c) = rest.chars().next() else { break };
        if c == '"' || c == '\'' {
            let end = rest[1..].find(c)?;
            out.push(rest[1..1 + end].to_string());
            rest = &rest[2 + end..];
        } else {
            let end = rest.find(space).unwrap_or(rest.len());
            out.push(rest[..end].to_string());
            rest = &rest[end..];
        }
    }
    (!out.is_empty()).then_some(out)
}

fn run_users_prog(fields: &[String]) -> anyhow::Result<ExitCode> {
    let mut cmd = std::process::Command::new(&fields[0]);
    cmd.args(&fields[1..]);
    let failed = |e: io::Error| {
        with_hint(
            format!(
                "cannot run `{}`, the `GOCACHEPROG` from your `go env -w` file: {}",
                text::escape(&fields[0]),
                gomux_home::fsx::describe(&e)
            ),
            &[
                "fix it with `go env -w GOCACHEPROG=...`, or remove it with `go env -u GOCACHEPROG` to use gomux's remote cache",
            ],
        )
    };
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt as _;
        Err(failed(cmd.exec()))
    }
    #[cfg(not(unix))]
    {
        let status = cmd.status().map_err(failed)?;
        Ok(ExitCode::from(
            u8::try_from(status.code().unwrap_or(1)).unwrap_or(1),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::go_split;

    #[test]
    fn splits_as_go_does() {
        let v = |s: &str| go_split(s).map(|f| f.join("|"));
        assert_eq!(v("/bin/prog -x"), Some("/bin/prog|-x".into()));
        assert_eq!(
            v("  \"/my home/prog\" 'a b'\t c "),
            Some("/my home/prog|a b|c".into())
        );
        assert_eq!(v("\"unterminated"), None);
        assert_eq!(v("   "), None);
    }
}

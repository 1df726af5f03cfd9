//! `gomux env [--shell SHELL] [--json]`: the environment a `go` call in this directory gets.
//!
//! The values come from the same functions the proxy runs ([`Context::resolve`],
//! [`gomux_home::cache::compute`], [`launch::child_env`]), so what is printed is what `go`
//! really gets. It is a snapshot of this directory: right for a CI job, a container or an
//! IDE's per-project settings. An interactive shell needs only PATH (the block `gomux setup`
//! writes), because the proxy recomputes the rest in every directory.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use gomux_home::env as vars;
use gomux_resolve::{Tool, launch};

use crate::context::Context;
use crate::proxies;
use crate::shell::quote::{cmd_set, fish_quote, pwsh_quote, sh_quote};
use crate::shell::user_shell;

#[derive(clap::Args)]
pub struct Args {
    /// The syntax to print (default: from `$SHELL`; `pwsh` on Windows)
    #[arg(long, value_enum)]
    shell: Option<Shell>,
    /// Print one JSON object instead (docs/json.md)
    #[arg(long, conflicts_with = "shell")]
    json: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Shell {
    Sh,
    Bash,
    Zsh,
    Fish,
    Pwsh,
    Cmd,
}

impl Shell {
    /// The shell `$SHELL` names, else `sh` (`pwsh` on Windows).
    fn detect() -> Shell {
        match user_shell(&|k: &str| std::env::var_os(k)).as_str() {
            "bash" => Shell::Bash,
            "zsh" => Shell::Zsh,
            "fish" => Shell::Fish,
            "pwsh" | "powershell" => Shell::Pwsh,
            _ if cfg!(windows) => Shell::Pwsh,
            _ => Shell::Sh,
        }
    }
}

/// What a `go` call here gets: the variables set (in order) and removed.
pub struct Environment {
    pub set: Vec<(&'static str, OsString)>,
    pub unset: Vec<&'static str>,
    /// The toolchain, its GOROOT when installed, and why it was chosen.
    pub toolchain: Option<String>,
    pub goroot: Option<PathBuf>,
    pub reason: Option<String>,
    /// Why only PATH could be computed.
    pub error: Option<String>,
}

/// PATH with the proxies folder first and no other copy of it.
pub fn proxied_path(bin: &Path, current: Option<&OsStr>) -> OsString {
    let mut dirs = vec![bin.to_path_buf()];
    if let Some(current) = current {
        dirs.extend(
            std::env::split_paths(current)
                .filter(|d| !(d == bin || (d.is_absolute() && proxies::same_file(d, bin)))),
        );
    }
    std::env::join_paths(&dirs).unwrap_or_else(|_| {
        // An entry holds the separator itself: keep the user's PATH as it is, after the proxies.
        let mut p = bin.as_os_str().to_os_string();
        if let Some(current) = current {
            p.push(if cfg!(windows) { ";" } else { ":" });
            p.push(current);
        }
        p
    })
}

/// Computes the environment of a `go` call in the context's directory.
pub fn compute(ctx: &Context) -> Environment {
    let env = |k: &str| std::env::var_os(k);
    let mut out = Environment {
        set: Vec::new(),
        unset: Vec::new(),
        toolchain: None,
        goroot: None,
        reason: None,
        error: None,
    };
    if let Some(h) = env(vars::GOMUX_HOME).filter(|h| !h.is_empty()) {
        out.set.push((vars::GOMUX_HOME, h));
    }
    out.set.push((
        "PATH",
        proxied_path(&ctx.home.bin_dir(), env("PATH").as_deref()),
    ));
    let resolved = match ctx.resolve(&[], Tool::Go) {
        Ok(r) => r,
        Err(e) => {
            out.error = Some(e.to_string());
            return out;
        }
    };
    let sel = &resolved.selection;
    let name = resolved
        .name
        .clone()
        .unwrap_or_else(|| sel.request.to_string());
    out.reason = Some(sel.source.to_string());
    out.goroot = resolved
        .root
        .as_ref()
        .map(|p| gomux_home::path::canonicalize(p).unwrap_or_else(|_| p.clone()));
    let settings = match ctx.settings() {
        Ok(s) => s,
        Err(e) => {
            out.error = Some(e.to_string());
            return out;
        }
    };
    let plan = match gomux_home::cache::compute(
        &ctx.home,
        &settings,
        &env,
        sel.project_root.as_deref(),
        &name,
    ) {
        Ok(p) => p,
        Err(e) => {
            out.toolchain = Some(name);
            out.error = Some(e.to_string());
            return out;
        }
    };
    // The proxy passes the not-yet-canonical `toolchains/<name>` as the root; so do we, so a
    // GOROOT is judged exactly as the proxy judges it.
    let root = resolved
        .root
        .clone()
        .unwrap_or_else(|| ctx.home.toolchain_dir(&name));
    let changes = launch::child_env(sel, &root, 0, &plan, &env);
    for key in ["GOTOOLCHAIN", "GOCACHE", "GOMODCACHE"] {
        match changes.iter().find(|(k, _)| *k == key) {
            Some((_, Some(v))) => out.set.push((key, v.clone())),
            Some((_, None)) => out.unset.push(key),
            // Not changed by gomux: the SDK inherits the user's own value, if any.
            None => {
                if let Some(v) = env(key).filter(|v| !v.is_empty()) {
                    out.set.push((key, v));
                }
            }
        }
    }
    for (key, value) in &changes {
        let internal = *key == vars::GOMUX_RECURSION_DEPTH || *key == vars::GOMUX_AUTO_INSTALLED;
        if value.is_none() && !internal && !out.unset.contains(key) {
            out.unset.push(key);
        }
    }
    out.toolchain = Some(name);
    out
}

pub fn run(ctx: &Context, args: Args) -> anyhow::Result<ExitCode> {
    let e = compute(ctx);
    if let Some(err) = &e.error {
        crate::render::warning(&format!(
            "{err}; only the variables that do not depend on the toolchain are printed"
        ));
    } else if e.goroot.is_none()
        && let Some(name) = &e.toolchain
    {
        eprintln!("note: {name} is not installed yet; the first `go` call installs it");
    }
    if args.json {
        let set = e
            .set
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string_lossy().into_owned()))
            .collect();
        crate::json::print(&crate::json::Env {
            toolchain: e.toolchain.clone(),
            goroot: crate::json::opt_path(e.goroot.as_deref()),
            reason: e.reason.clone(),
            set,
            unset: e.unset.iter().map(|k| k.to_string()).collect(),
            error: e.error.clone(),
        })?;
        return Ok(ExitCode::SUCCESS);
    }
    let shell = args.shell.unwrap_or_else(Shell::detect);
    // The reason names a file in the repository, whose path may hold anything (a line break
    // then a command): the comment is escaped so it stays one line.
    let comment = match (&e.toolchain, &e.reason) {
        (Some(t), Some(r)) => format!("gomux env: {t}, selected by {r}"),
        _ => "gomux env".to_string(),
    };
    print!("{}", render(shell, &comment, &e.set, &e.unset));
    Ok(ExitCode::SUCCESS)
}

/// The lines that set and unset the variables in `shell`'s syntax. Everything printed is safe
/// to eval whatever the paths hold: the comment is escaped onto one line (no line break or
/// control character can end it), and each value is quoted for its shell.
pub fn render(
    shell: Shell,
    comment: &str,
    set: &[(&'static str, OsString)],
    unset: &[&'static str],
) -> String {
    let mut s = String::new();
    let prefix = if shell == Shell::Cmd { "REM " } else { "# " };
    s.push_str(prefix);
    s.push_str(&one_line(comment));
    s.push('\n');
    for (k, v) in set {
        let v = v.to_string_lossy();
        let line = match shell {
            Shell::Sh | Shell::Bash | Shell::Zsh => format!("export {k}={}", sh_quote(&v)),
            Shell::Fish if *k == "PATH" => {
                let parts: Vec<String> = std::env::split_paths(OsStr::new(v.as_ref()))
                    .map(|p| fish_quote(&p.to_string_lossy()))
                    .collect();
                format!("set -gx PATH {}", parts.join(" "))
            }
            Shell::Fish => format!("set -gx {k} {}", fish_quote(&v)),
            Shell::Pwsh => format!("$env:{k} = {}", pwsh_quote(&v)),
            Shell::Cmd => match cmd_set(k, &v) {
                Some(line) => line,
                // cmd.exe has no quoting for these: never print a line that would run the rest.
                None => format!(
                    "REM {k} is not set: its value holds a line break or a `\"` that cmd cannot quote"
                ),
            },
        };
        s.push_str(&line);
        s.push('\n');
    }
    for k in unset {
        let line = match shell {
            Shell::Sh | Shell::Bash | Shell::Zsh => format!("unset {k}"),
            Shell::Fish => format!("set -e {k}"),
            Shell::Pwsh => format!("Remove-Item Env:{k} -ErrorAction SilentlyContinue"),
            Shell::Cmd => format!("set {k}="),
        };
        s.push_str(&line);
        s.push('\n');
    }
    s
}

/// `text` escaped onto one line (no line break, no control character), cut when very long.
fn one_line(text: &str) -> String {
    gomux_home::text::escape_max(text, 4096)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_comment_stays_one_line() {
        let set = [("GOCACHE", OsString::from("/c"))];
        for sh in [Shell::Sh, Shell::Fish, Shell::Pwsh, Shell::Cmd] {
            let out = render(
                sh,
                "gomux env: go1.22.3, selected by /w/a\n touch PWNED #/go.mod:3",
                &set,
                &[],
            );
            let first = out.lines().next().unwrap();
            assert!(
                first.ends_with("selected by /w/a\\n touch PWNED #/go.mod:3"),
                "{sh:?}: {out}"
            );
            for line in out.lines().skip(1) {
                assert!(!line.starts_with(" touch"), "{sh:?}: {out}");
            }
        }
        // cmd.exe cannot quote a line break: the variable is left out, said in a remark.
        let set = [("GOCACHE", OsString::from("/c/a\n touch PWNED #"))];
        let out = render(Shell::Cmd, "c", &set, &[]);
        assert_eq!(
            out,
            "REM c\nREM GOCACHE is not set: its value holds a line break or a `\"` that cmd cannot quote\n"
        );
    }

    #[cfg(unix)]
    #[test]
    fn path_puts_the_proxies_first_once() {
        let p = proxied_path(
            Path::new("/h/.gomux/bin"),
            Some(OsStr::new("/usr/bin:/h/.gomux/bin:/bin:/h/.gomux/bin/")),
        );
        assert_eq!(p, OsStr::new("/h/.gomux/bin:/usr/bin:/bin"));
        assert_eq!(proxied_path(Path::new("/b"), None), OsStr::new("/b"));
    }

    #[test]
    fn every_shell_renders() {
        let set = [("GOCACHE", OsString::from("/c/it's"))];
        let r = |sh| render(sh, "c", &set, &["GOROOT"]);
        assert_eq!(
            r(Shell::Sh),
            "# c\nexport GOCACHE='/c/it'\\''s'\nunset GOROOT\n"
        );
        assert_eq!(
            r(Shell::Fish),
            "# c\nset -gx GOCACHE '/c/it\\'s'\nset -e GOROOT\n"
        );
        assert_eq!(
            r(Shell::Pwsh),
            "# c\n$env:GOCACHE = '/c/it''s'\nRemove-Item Env:GOROOT -ErrorAction SilentlyContinue\n"
        );
        assert_eq!(
            r(Shell::Cmd),
            "REM c\nset \"GOCACHE=/c/it's\"\nset GOROOT=\n"
        );
    }
}

//! `gomux doctor`'s checks, one module per family in the order a user would fix things:
//! [`path`] (PATH and the proxies), [`environment`] (variables and `go env -w`), [`folders`]
//! (filesystems), [`toolchains`], [`settings`] and [`here`] (this directory). This module
//! holds what they share: the finding type and its rendering, and how an SDK binary is run;
//! [`fs`] reads the filesystem facts (mount table, free space, devices).
//!
//! Every check produces exactly one [`Finding`]: a status, one line of evidence (what was
//! seen, with paths) and, unless all is well, one line saying what to do. Keeping it to one
//! line each makes the text output scannable and the JSON output stable for scripts.

mod environment;
mod folders;
pub mod fs;
mod here;
mod path;
mod settings;
mod toolchains;

use std::ffi::OsString;
use std::path::Path;
use std::process::{Command, Stdio};

use gomux_home::env as vars;

use crate::context::Context;

type Env<'a> = &'a dyn Fn(&str) -> Option<OsString>;

/// Every check, in the order a user would fix things: PATH, the proxies, the environment, the
/// folders, the toolchains, the settings, then this directory.
pub fn checks(ctx: &Context, env: Env<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    path::path_checks(ctx, env, &mut out);
    out.push(path::proxies_check(ctx));
    out.push(environment::goroot_check(ctx, env));
    #[cfg(windows)]
    out.push(environment::registry_goroot_check());
    out.push(environment::gotooldir_check(env));
    out.push(environment::gotoolchain_check(env));
    out.extend(environment::frozen_env_check(ctx, env));
    out.push(environment::goenv_file_check(ctx, env));
    folders::filesystem_checks(ctx, env, &mut out);
    out.extend(folders::layout_check(ctx));
    toolchains::toolchain_checks(ctx, &mut out);
    settings::settings_checks(ctx, &mut out);
    here::here_checks(ctx, env, &mut out);
    out
}

fn tick(p: &Path) -> String {
    format!("`{}`", gomux_home::text::escape_path(p))
}

/// The outcome of running an SDK binary.
enum Ran {
    Output(String),
    Proxy,
    Failed(String),
}

/// Runs an SDK binary as gomux does when it vets one: no inherited GOROOT, no toolchain
/// switching, and a recursion depth at which a gomux proxy refuses to run.
fn run_tool(exe: &Path, args: &[&str]) -> Ran {
    let out = Command::new(exe)
        .args(args)
        .env_remove("GOROOT")
        .env("GOTOOLCHAIN", "local")
        .env(vars::GOMUX_RECURSION_DEPTH, "1000")
        .stdin(Stdio::null())
        .output();
    match out {
        Err(e) => Ran::Failed(e.to_string()),
        Ok(o) => {
            let stderr = String::from_utf8_lossy(&o.stderr);
            if stderr.starts_with("gomux:") {
                Ran::Proxy
            } else if !o.status.success() {
                let first = stderr.lines().next().unwrap_or("").trim().to_string();
                Ran::Failed(format!("{}: {first}", o.status))
            } else {
                Ran::Output(String::from_utf8_lossy(&o.stdout).into_owned())
            }
        }
    }
}

/// How bad a finding is. Errors make `gomux doctor` exit non-zero.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    Ok,
    Warning,
    Error,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Warning => "warning",
            Status::Error => "error",
        }
    }
}

/// The result of one check.
#[derive(Clone, Debug)]
pub struct Finding {
    /// A stable identifier (`path.go`, `toolchain.go1.22.3`).
    pub id: String,
    /// What was checked, in a few words.
    pub title: String,
    pub status: Status,
    /// One line: what was seen.
    pub evidence: String,
    /// One line: what to do (none when the status is ok).
    pub fix: Option<String>,
}

impl Finding {
    pub fn ok(
        id: impl Into<String>,
        title: impl Into<String>,
        evidence: impl Into<String>,
    ) -> Self {
        Finding {
            id: id.into(),
            title: title.into(),
            status: Status::Ok,
            evidence: evidence.into(),
            fix: None,
        }
    }

    pub fn warning(
        id: impl Into<String>,
        title: impl Into<String>,
        evidence: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        Finding::ok(id, title, evidence).flagged(Status::Warning, fix)
    }

    pub fn error(
        id: impl Into<String>,
        title: impl Into<String>,
        evidence: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        Finding::ok(id, title, evidence).flagged(Status::Error, fix)
    }

    fn flagged(self, status: Status, fix: impl Into<String>) -> Self {
        Finding {
            status,
            fix: Some(fix.into()),
            ..self
        }
    }
}

/// Counts of findings by status: (errors, warnings, ok).
pub fn counts(findings: &[Finding]) -> (usize, usize, usize) {
    let n = |s| findings.iter().filter(|f| f.status == s).count();
    (n(Status::Error), n(Status::Warning), n(Status::Ok))
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// The text report: one block per finding, then a summary line.
pub fn render_text(findings: &[Finding]) -> String {
    let mut s = String::new();
    for f in findings {
        s.push_str(&format!("{:<9}{}\n", f.status.as_str(), f.title));
        s.push_str(&format!("         {}\n", f.evidence));
        if let Some(fix) = &f.fix {
            s.push_str(&format!("         fix: {fix}\n"));
        }
    }
    let (e, w, o) = counts(findings);
    s.push_str(&format!(
        "\n{}, {}, {} ok\n",
        plural(e, "error"),
        plural(w, "warning"),
        o
    ));
    s
}

/// The JSON report (`gomux doctor --json`).
pub fn render_json(findings: &[Finding]) -> crate::json::Doctor {
    let (errors, warnings, ok) = counts(findings);
    let checks = findings
        .iter()
        .map(|f| crate::json::Check {
            id: f.id.clone(),
            title: f.title.clone(),
            status: f.status.as_str(),
            evidence: f.evidence.clone(),
            fix: f.fix.clone(),
        })
        .collect();
    crate::json::Doctor {
        errors,
        warnings,
        ok,
        checks,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_and_json() {
        let f = [
            Finding::ok("a", "first", "all good"),
            Finding::error("b", "second", "broken `x`", "run `y`"),
        ];
        assert_eq!(
            render_text(&f),
            "ok       first\n         all good\nerror    second\n         broken `x`\n         fix: run `y`\n\n1 error, 0 warnings, 1 ok\n"
        );
        let j = serde_json::to_value(render_json(&f)).unwrap();
        assert_eq!(j["errors"], 1);
        assert_eq!(j["checks"][1]["fix"], "run `y`");
        assert!(j["checks"][0]["fix"].is_null());
    }
}

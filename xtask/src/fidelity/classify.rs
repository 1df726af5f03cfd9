//! What a run chose, in classes both sides map to: `runs <name>`, `error <class>`, `other`.

use std::fmt;

/// The outcome of one side.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Outcome {
    /// It runs (or would run) this toolchain.
    Runs(String),
    /// It refuses, for this reason (`invalid-gotoolchain`, `invalid-toolchain-line`,
    /// `relative-gowork`, `chdir`, `switch-mismatch`, `unusable-name`, `other: ...`).
    Error(String),
    /// Something the classifier does not know (the first line of output is kept).
    Other(String),
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Runs(n) => write!(f, "runs {n}"),
            Outcome::Error(c) => write!(f, "error {c}"),
            Outcome::Other(s) => write!(f, "other ({s})"),
        }
    }
}

/// How a case came out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Agree,
    /// A difference gomux makes on purpose (docs/fidelity.md lists them).
    Deliberate,
    Disagree,
}

/// Compares the two outcomes. Both refusing is agreement when they refuse for the same class.
pub fn verdict(go: &Outcome, gomux: &Outcome) -> Verdict {
    if go == gomux {
        return Verdict::Agree;
    }
    // Names gomux refuses before they become paths (spaces, `:`, `/` ...).
    if let (Outcome::Runs(name), Outcome::Error(class)) = (go, gomux)
        && class == "unusable-name"
        && !gomux_version::is_safe_name(name)
    {
        return Verdict::Deliberate;
    }
    Verdict::Disagree
}

/// Texts that show the real go ran itself: refused the `GOPATH` right after selection,
/// printed its usage (bare `go`) or its help.
const SELF_MARKS: &[&str] = &[
    "GOPATH entry cannot start with shell metacharacter",
    "Go is a tool for managing Go source code.",
    "unknown help topic",
    "unknown command\nRun 'go help",
];

/// Classifies a real `go` run. `local` is the release's own name.
pub fn classify_go(code: Option<i32>, stdout: &str, stderr: &str, local: &str) -> Outcome {
    for line in stdout.lines() {
        if let Some(rest) = line.strip_prefix("FAKE ") {
            let name = rest.split(" SWITCH=").next().unwrap_or(rest);
            return Outcome::Runs(name.to_string());
        }
    }
    for line in stderr.lines() {
        if let Some(name) = switch_target(line) {
            return Outcome::Runs(name.to_string());
        }
    }
    if stderr.contains("invalid GOTOOLCHAIN") {
        return Outcome::Error("invalid-gotoolchain".into());
    }
    if stderr.contains("go: invalid toolchain \"") {
        return Outcome::Error("invalid-toolchain-line".into());
    }
    if stderr.contains("invalid GOWORK: not an absolute path") {
        return Outcome::Error("relative-gowork".into());
    }
    if stderr.starts_with("go: read ") && stderr.contains(": is a directory") {
        return Outcome::Error("gowork-is-a-directory".into());
    }
    if stderr.starts_with("go: chdir ") {
        return Outcome::Error("chdir".into());
    }
    if stderr.contains(" invoked to provide ") {
        return Outcome::Error("switch-mismatch".into());
    }
    let both = format!("{stdout}\n{stderr}");
    if SELF_MARKS.iter().any(|m| both.contains(m)) {
        return Outcome::Runs(local.to_string());
    }
    // `go help TOPIC` prints the topic and succeeds.
    if code == Some(0) && !stdout.trim().is_empty() && stderr.trim().is_empty() {
        return Outcome::Runs(local.to_string());
    }
    Outcome::Other(first_line(stderr, stdout))
}

/// The toolchain a line of Go's stderr says it tried to run: a failed download, a miss on
/// PATH, a language version that is no release.
fn switch_target(line: &str) -> Option<&str> {
    if let Some(rest) = line.strip_prefix("go: download ")
        && let Some((name, tail)) = rest.split_once(" for ")
        && tail.ends_with("toolchain not available")
    {
        return Some(name);
    }
    // Any other download failure: `go: download NAME: reason` (NAME may hold a space).
    if let Some(rest) = line.strip_prefix("go: download ")
        && !rest.contains(" for ")
        && let Some((name, _)) = rest.split_once(": ")
    {
        return Some(name);
    }
    if let Some(rest) = line.strip_prefix("go: downloading ")
        && let Some((name, _)) = rest.strip_suffix(')').and_then(|r| r.rsplit_once(" ("))
    {
        return Some(name);
    }
    if let Some(rest) = line.strip_prefix("go: cannot find \"") {
        return rest.strip_suffix("\" in PATH");
    }
    line.strip_prefix("go: invalid toolchain: ")
        .and_then(|rest| rest.split_once(" is a language version"))
        .map(|(name, _)| name)
}

/// Classifies `gomux show --json`: the JSON's `request.value` on success, the error's class on
/// failure.
pub fn classify_gomux(code: Option<i32>, stdout: &str, stderr: &str) -> Outcome {
    if code == Some(0) {
        return match serde_json::from_str::<serde_json::Value>(stdout) {
            Ok(v) => match v["request"]["value"].as_str() {
                Some(r) => Outcome::Runs(r.to_string()),
                None => Outcome::Other("no `request.value` in the JSON".into()),
            },
            Err(_) => Outcome::Other(first_line(stdout, stderr)),
        };
    }
    let msg = stderr
        .lines()
        .find_map(|l| l.strip_prefix("error: "))
        .unwrap_or_else(|| stderr.lines().next().unwrap_or_default());
    let class = if msg.contains("invalid GOTOOLCHAIN") {
        "invalid-gotoolchain".to_string()
    } else if msg.contains("invalid GOWORK") {
        "relative-gowork".to_string()
    } else if msg.starts_with("invalid toolchain") {
        "invalid-toolchain-line".to_string()
    } else if msg.contains("cannot be used: a toolchain name may only use") {
        "unusable-name".to_string()
    } else if msg.contains("GOWORK names a folder") {
        "gowork-is-a-directory".to_string()
    } else if msg.contains("invoked to provide") {
        "switch-mismatch".to_string()
    } else if msg.contains("-C") || msg.contains("chdir") {
        "chdir".to_string()
    } else {
        format!("other: {}", cut(msg))
    };
    Outcome::Error(class)
}

fn first_line(a: &str, b: &str) -> String {
    let line = a
        .lines()
        .chain(b.lines())
        .find(|l| !l.trim().is_empty())
        .unwrap_or("no output");
    cut(line)
}

fn cut(s: &str) -> String {
    let s: String = s.chars().take(120).collect();
    s.escape_debug().to_string()
}

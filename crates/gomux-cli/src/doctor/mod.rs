//! The pieces of `gomux doctor` that are not checks: the finding type and its rendering, and
//! the filesystem facts (mount table, free space, devices) the checks read.
//!
//! Every check produces exactly one [`Finding`]: a status, one line of evidence (what was
//! seen, with paths) and, unless all is well, one line saying what to do. Keeping it to one
//! line each makes the text output scannable and the JSON output stable for scripts.

pub mod fs;

use serde_json::{Value, json};

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

/// The JSON report.
pub fn render_json(findings: &[Finding]) -> Value {
    let (e, w, o) = counts(findings);
    let checks: Vec<Value> = findings
        .iter()
        .map(|f| {
            json!({
                "id": f.id,
                "title": f.title,
                "status": f.status.as_str(),
                "evidence": f.evidence,
                "fix": f.fix,
            })
        })
        .collect();
    json!({ "errors": e, "warnings": w, "ok": o, "checks": checks })
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
        let j = render_json(&f);
        assert_eq!(j["errors"], 1);
        assert_eq!(j["checks"][1]["fix"], "run `y`");
        assert!(j["checks"][0]["fix"].is_null());
    }
}

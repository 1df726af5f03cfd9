//! `gomux doctor [--json]`: find what in this environment makes `go` run the wrong SDK, or not
//! run at all, and say what to do about it.
//!
//! Most "wrong Go version" reports are environment bugs, not resolution bugs: another `go`
//! first on PATH, a stale GOROOT, a forgotten `go env -w`, an SDK upgraded in place under a
//! link's old name. Each check looks at one of these and reports one [`Finding`](crate::doctor::Finding). Checks never
//! change anything except one short-lived probe file per folder whose writability they test,
//! and they run SDK binaries only as `go version` and `gofmt` on empty input, with a
//! recursion depth that makes a gomux proxy refuse at once (which is how one is recognised).

use std::process::ExitCode;

use crate::context::Context;
use crate::doctor;

#[derive(clap::Args)]
pub struct Args {
    /// Print one JSON object: `{schema_version, errors, warnings, ok, checks: [{id, title, status, evidence, fix}]}` (docs/json.md)
    #[arg(long)]
    json: bool,
}

pub fn run(ctx: &Context, args: Args) -> anyhow::Result<ExitCode> {
    let env = |k: &str| std::env::var_os(k);
    let findings = doctor::checks(ctx, &env);
    if args.json {
        crate::json::print(&doctor::render_json(&findings))?;
    } else {
        // Findings quote paths and values from files and the environment: every line is
        // escaped (a line without control characters prints as it is).
        for line in doctor::render_text(&findings).lines() {
            println!("{}", gomux_home::text::escape_max(line, 2000));
        }
    }
    let (errors, _, _) = doctor::counts(&findings);
    Ok(if errors > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

//! `gomux which [TOOL] [--goroot]`: the binary (or GOROOT) `go` would run here, in the real
//! SDK folder (links resolved) both ways.
//!
//! The path is data (`$(gomux which)`): into a pipe or a file it is printed exactly. On a
//! terminal it is escaped like every other untrusted text, since a linked SDK's folder name can
//! hold anything.

use std::io::IsTerminal as _;
use std::path::Path;
use std::process::ExitCode;

use gomux_home::text;
use gomux_resolve::Tool;

use crate::context::Context;
use crate::context::install_command;
use crate::render::with_hint;

#[derive(clap::Args)]
pub struct Args {
    /// `go` or `gofmt`
    #[arg(default_value = "go")]
    tool: String,
    /// Print the SDK folder (GOROOT) instead of the tool's path
    #[arg(long)]
    goroot: bool,
}

pub fn run(ctx: &Context, args: Args) -> anyhow::Result<ExitCode> {
    let tool = match args.tool.as_str() {
        "go" => Tool::Go,
        "gofmt" => Tool::Gofmt,
        other => {
            return Err(with_hint(
                format!("unknown tool `{}`", text::escape(other)),
                &["gomux runs `go` and `gofmt`"],
            ));
        }
    };
    let r = ctx.resolve(&[], tool)?;
    let Some(root) = r.root else {
        return Err(with_hint(
            format!(
                "{} is not installed (selected by {})",
                r.selection.request, r.selection.source
            ),
            &[&format!("run `{}`", install_command(&r.selection.request))],
        ));
    };
    // Both forms print the real SDK, links resolved, as `gomux show` does: the same folder
    // whichever one a tool asks for.
    let root = gomux_home::path::canonicalize(&root).unwrap_or(root);
    if args.goroot {
        print_path(&root);
    } else {
        print_path(&gomux_home::sdk_tool(&root, tool.name()));
    }
    Ok(ExitCode::SUCCESS)
}

fn print_path(p: &Path) {
    if std::io::stdout().is_terminal() {
        println!("{}", text::escape_path(p));
    } else {
        println!("{}", p.display());
    }
}

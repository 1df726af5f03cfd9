//! `gomux which [TOOL] [--goroot]`: the binary (or GOROOT) `go` would run here.

use std::process::ExitCode;

use gomux_resolve::Tool;

use crate::context::install_command;
use crate::{Context, with_hint};

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
                format!("unknown tool `{other}`"),
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
    if args.goroot {
        println!("{}", std::fs::canonicalize(&root).unwrap_or(root).display());
    } else {
        let exe = root.join("bin").join(gomux_home::exe(tool.name()));
        println!("{}", exe.display());
    }
    Ok(ExitCode::SUCCESS)
}

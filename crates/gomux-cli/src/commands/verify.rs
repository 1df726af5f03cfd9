//! `gomux verify [VERSION...]`: re-checks installed toolchains against the hash that proved
//! them when they were installed (the `.gomux-proof` record a toolchain module leaves), so a
//! tree changed on disk since is found before it is trusted again.

use std::path::Path;
use std::process::ExitCode;

use gomux_dist::goproxy::{self, Recorded};
use gomux_home::text;

use crate::context::Context;
use crate::render::with_hint;

#[derive(clap::Args)]
pub struct Args {
    /// The toolchains to check (`go1.23.5`, `1.23.5`); none: every installed one
    #[arg(value_name = "VERSION")]
    names: Vec<String>,
}

/// What one check found.
pub enum Outcome {
    /// The files hash to the recorded hash.
    Intact(Recorded),
    /// The toolchain has no record (installed from an archive or a mirror, or linked).
    NoRecord,
}

/// Checks one installed toolchain folder.
pub fn check(dir: &Path) -> Result<Outcome, gomux_dist::DistError> {
    let Some(recorded) = Recorded::read(dir)? else {
        return Ok(Outcome::NoRecord);
    };
    match goproxy::tree_h1(dir, &recorded.module) {
        Ok(h) if h == recorded.tree_h1 => Ok(Outcome::Intact(recorded)),
        Ok(h) => Err(gomux_dist::DistError::Tampered {
            dir: dir.to_path_buf(),
            expected: recorded.tree_h1,
            detail: format!("its files hash to {h}"),
        }),
        Err(detail) => Err(gomux_dist::DistError::Tampered {
            dir: dir.to_path_buf(),
            expected: recorded.tree_h1,
            detail: text::escape_max(&detail, 300),
        }),
    }
}

/// Checks one toolchain and prints the result; an error when it was changed.
pub fn check_one(name: &str, dir: &Path) -> anyhow::Result<()> {
    match check(dir)? {
        Outcome::Intact(r) => println!(
            "{name}: intact ({}; {})",
            r.zip_h1,
            text::escape_max(&r.proof, 300)
        ),
        Outcome::NoRecord => {
            println!("{name}: no proof recorded (not installed from a module proxy)")
        }
    }
    Ok(())
}

pub fn run(ctx: &Context, args: Args) -> anyhow::Result<ExitCode> {
    let names: Vec<String> = if args.names.is_empty() {
        ctx.home.toolchain_names()
    } else {
        let mut out = Vec::new();
        for n in &args.names {
            let name = if n.starts_with("go") {
                n.clone()
            } else {
                format!("go{n}")
            };
            if !gomux_version::is_safe_name(&name) {
                return Err(with_hint(
                    format!("`{}` is not a toolchain name", text::escape_max(n, 80)),
                    &["name an installed toolchain, such as `go1.23.5` (`gomux list`)"],
                ));
            }
            out.push(name);
        }
        out
    };
    let mut failed = false;
    for name in &names {
        let Some(dir) = ctx.home.toolchain_root(name) else {
            return Err(with_hint(
                format!("{name} is not installed"),
                &["`gomux list` shows the installed toolchains"],
            ));
        };
        if ctx.home.is_linked(name) {
            println!("{name}: linked, not checked");
            continue;
        }
        if let Err(e) = check_one(name, &dir) {
            crate::render::report_as("gomux", &e);
            failed = true;
        }
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

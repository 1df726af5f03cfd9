//! `gomux unpin [--path DIR]`: remove the `.go-version` that `gomux pin` wrote in a folder.
//!
//! Like removing a directory override elsewhere, it acts on one folder only (the current one,
//! or `--path`): a pin in a parent folder belongs to that folder and is named, never removed.
//! Only a file `gomux pin` could have written goes: a regular `.go-version` of a few bytes that
//! holds one version (or one linked toolchain's name). `.tool-versions` is shared with other
//! tools and is never touched. Nothing to remove is not an error (the folder is already
//! unpinned); the note says which pin, if any, still applies from above.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use gomux_home::{fsx, text};

use crate::context::Context;
use crate::render::with_hint;

/// The pin file `gomux pin` writes.
const PIN_FILE: &str = ".go-version";

/// Larger than any pin `gomux pin` writes; a bigger file is not one of ours.
const PIN_LIMIT: u64 = 4096;

#[derive(clap::Args)]
pub struct Args {
    /// The folder to unpin (default: the current folder)
    #[arg(long, value_name = "DIR")]
    path: Option<PathBuf>,
}

pub fn run(ctx: &Context, args: Args) -> anyhow::Result<ExitCode> {
    let dir = match args.path {
        Some(p) if p.is_absolute() => p,
        Some(p) => ctx.cwd.join(p),
        None => ctx.cwd.clone(),
    };
    let file = dir.join(PIN_FILE);
    let meta = match std::fs::symlink_metadata(&file) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            nothing_here(&dir);
            return Ok(ExitCode::SUCCESS);
        }
        Err(e) => {
            return Err(with_hint(
                format!(
                    "cannot read `{}`: {}",
                    text::escape_path(&file),
                    fsx::describe(&e)
                ),
                &["nothing was removed"],
            ));
        }
    };
    if !meta.is_file() {
        return Err(with_hint(
            format!(
                "`{}` is not a regular file, so `gomux pin` did not write it",
                text::escape_path(&file)
            ),
            &["nothing was removed; remove it yourself if it should go"],
        ));
    }
    check_pin(&file)?;
    std::fs::remove_file(&file).map_err(|e| {
        let hint = fsx::io_hint(&e, &dir).unwrap_or_else(|| "nothing was removed".to_string());
        with_hint(
            format!(
                "cannot remove `{}`: {}",
                text::escape_path(&file),
                fsx::describe(&e)
            ),
            &[hint.as_str()],
        )
    })?;
    crate::render::status!(
        "unpinned `{}` (removed `{}`)",
        dir.display(),
        file.display()
    );
    if let Some(above) = nearest_pin(dir.parent()) {
        crate::render::status!(
            "note: `{}` still pins this folder from above",
            text::escape_path(&above)
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Refuses a `.go-version` that `gomux pin` could not have written: too large, or not one
/// version or one toolchain name.
fn check_pin(file: &Path) -> anyhow::Result<()> {
    let refuse = |why: &str| {
        with_hint(
            format!(
                "`{}` {why}, so `gomux pin` did not write it",
                text::escape_path(file)
            ),
            &["nothing was removed; remove it yourself if it should go"],
        )
    };
    let bytes = match fsx::read_bounded(file, PIN_LIMIT) {
        Ok(Some(b)) => b,
        Ok(None) => return Ok(()),
        Err(fsx::ReadError::TooLarge { .. }) => return Err(refuse("is too large for a pin")),
        Err(e) => return Err(e.into()),
    };
    let Ok(content) = std::str::from_utf8(&bytes) else {
        return Err(refuse("is not text"));
    };
    let one_name = {
        let mut words = content.split_whitespace();
        matches!((words.next(), words.next()), (Some(w), None) if gomux_version::is_safe_name(w))
    };
    if one_name || gomux_resolve::files::parse_go_version(file, content).is_ok() {
        Ok(())
    } else {
        Err(refuse("does not hold one Go version"))
    }
}

/// Nothing to remove in `dir`: says so, and names the pin that applies from above, if any.
fn nothing_here(dir: &Path) {
    match nearest_pin(dir.parent()) {
        Some(above) => {
            let folder = above.parent().unwrap_or(Path::new("/"));
            crate::render::status!(
                "`{}` has no `{PIN_FILE}` of its own; it is pinned by `{}` in a parent folder, which is left alone",
                text::escape_path(dir),
                text::escape_path(&above)
            );
            crate::render::hint(&format!(
                "to remove that pin, run `gomux unpin --path {}`",
                text::escape_path(folder)
            ));
        }
        None => crate::render::status!(
            "`{}` is not pinned: there is no `{PIN_FILE}` here or above",
            text::escape_path(dir)
        ),
    }
}

/// The nearest `.go-version` in `start` or above.
fn nearest_pin(start: Option<&Path>) -> Option<PathBuf> {
    start?
        .ancestors()
        .map(|d| d.join(PIN_FILE))
        .find(|p| std::fs::symlink_metadata(p).is_ok())
}

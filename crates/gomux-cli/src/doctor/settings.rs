//! The settings file parses, and the default toolchain it names is valid and installed.

use gomux_resolve::launch;

use super::{Finding, tick};
use crate::context::{Context, install_command};

pub(super) fn settings_checks(ctx: &Context, out: &mut Vec<Finding>) {
    let file = ctx.home.settings_file();
    let settings = match ctx.settings() {
        Ok(s) => s,
        Err(e) => {
            out.push(Finding::error(
                "settings",
                "settings file",
                e.to_string(),
                format!("fix or remove the line in {}", tick(&file)),
            ));
            return;
        }
    };
    out.push(Finding::ok(
        "settings",
        "settings file",
        if file.is_file() {
            match settings.entries().len() {
                1 => format!("{} parses (1 setting)", tick(&file)),
                n => format!("{} parses ({n} settings)", tick(&file)),
            }
        } else {
            format!("{} does not exist: the defaults apply", tick(&file))
        },
    ));
    let id = "default";
    let title = "default toolchain";
    out.push(match launch::default_toolchain(&settings) {
        Err(e) => Finding::error(
            id,
            title,
            e.to_string(),
            "set it again with `gomux default VERSION`",
        ),
        Ok(None) => Finding::warning(
            id,
            title,
            "no default toolchain: outside a project that pins one, `go` fails",
            "set one with `gomux default 1.23` (any version you use)",
        ),
        Ok(Some((request, _))) => match ctx.installed(&request) {
            Some(name) => Finding::ok(id, title, format!("`{request}`, installed as {name}")),
            None => Finding::warning(
                id,
                title,
                format!("`{request}` is not installed: the first `go` call outside a project installs it"),
                format!("run `{}`", install_command(&request)),
            ),
        },
    });
}

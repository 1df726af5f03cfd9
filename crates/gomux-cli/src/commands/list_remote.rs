//! `gomux list --remote` (being written with the install work).

use std::process::ExitCode;

use crate::Context;

pub fn list_remote(_ctx: &Context, _all: bool, _json: bool) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`gomux list --remote` is not implemented yet")
}

//! The toolchain argument of `gomux default`, `pin` and `run`: a version request, or the
//! name of a linked toolchain.

use gomux_version::Request;

use crate::context::Context;

/// A version request, or the name of a linked toolchain (`system`, `corp-go`).
pub fn parse_request(ctx: &Context, input: &str) -> anyhow::Result<Request> {
    if gomux_version::is_safe_name(input) && ctx.home.toolchain_root(input).is_some() {
        return Ok(Request::Exact(input.to_string()));
    }
    Request::parse(input).map_err(|e| {
        crate::render::add_hints(
            e,
            &["use a version such as `1.22.3`, `go1.22.3` or `1.22`, or a name from `gomux list`"],
        )
    })
}

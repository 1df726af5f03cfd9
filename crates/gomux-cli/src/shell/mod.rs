//! Shells: quoting a value for each syntax ([`quote`]), and the marked block `gomux setup`
//! keeps in the shell profiles ([`profile`]). `gomux setup`, `gomux env` and `gomux doctor`
//! all go through here, so a line gomux prints for a shell and the block it writes quote the
//! same way.

pub mod profile;
pub mod quote;
pub mod windows_path;

use std::ffi::OsString;
use std::path::Path;

/// The user's shell as `$SHELL` names it (`bash`, `fish`, `pwsh`; a `.exe` left off); empty
/// when unset.
pub fn user_shell(env: &dyn Fn(&str) -> Option<OsString>) -> String {
    let shell = env("SHELL").unwrap_or_default();
    let name = Path::new(&shell)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    name.trim_end_matches(".exe").to_string()
}

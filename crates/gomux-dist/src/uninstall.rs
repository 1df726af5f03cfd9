//! `gomux uninstall`: a linked toolchain loses its link; an installed one is deleted only when
//! it carries the marker the install wrote, out of sight first (one rename under its lock).

use std::fs;

use gomux_home::Home;
use gomux_home::fsx::TOOLCHAIN_MARKER;

use crate::error::DistError;
use crate::install::{TRASH, remove_tree};
use crate::lock::{self, Operation};
use crate::{Options, Removed};

/// Removes toolchain `name`: a linked one loses only its link; an installed one is moved
/// out of `toolchains/` in one rename (under its lock) and then deleted, but only when it
/// carries the marker `gomux install` wrote ([`DistError::NotOwned`] otherwise, untouched).
pub fn uninstall(
    home: &Home,
    name: &str,
    options: &Options,
    notify: &dyn Fn(&str),
) -> Result<Removed, DistError> {
    if !gomux_version::is_safe_name(name) {
        return Err(DistError::InvalidName {
            input: name.to_string(),
        });
    }
    let dir = home.toolchain_dir(name);
    if home.is_linked(name) {
        fs::remove_file(&dir)
            .or_else(|_| fs::remove_dir(&dir))
            .map_err(|e| DistError::io("remove the link", &dir, e))?;
        return Ok(Removed::Unlinked(dir));
    }
    if fs::symlink_metadata(&dir).is_err() {
        return Err(DistError::NotInstalled {
            name: name.to_string(),
        });
    }
    if !TOOLCHAIN_MARKER.is_on(&dir) {
        return Err(DistError::NotOwned {
            name: name.to_string(),
            path: dir,
        });
    }
    let _lock = lock::acquire(
        &home.lock_file(name),
        name,
        Operation::Uninstall,
        options.lock_timeout,
        notify,
    )?;
    if !TOOLCHAIN_MARKER.is_on(&dir) {
        return Err(DistError::NotInstalled {
            name: name.to_string(),
        });
    }
    let trash = home.tmp_entry(name, TRASH);
    remove_tree(&trash)?;
    fs::rename(&dir, &trash).map_err(|e| DistError::io("move out of the way", &dir, e))?;
    if let Err(e) = remove_tree(&trash) {
        notify(&format!(
            "{e}; the next install will try again to remove it"
        ));
    }
    Ok(Removed::Deleted(dir))
}

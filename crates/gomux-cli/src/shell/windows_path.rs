//! The user PATH on Windows: `HKCU\Environment`, where `gomux setup` puts `GOMUX_HOME\bin`
//! first and `gomux setup --uninstall` takes it out again.
//!
//! Windows shells do not read a profile for PATH: every new process gets the user PATH from the
//! registry value `HKCU\Environment\Path` (appended to the machine's). The value is edited the
//! way a careful installer edits it: its type is kept (`REG_EXPAND_SZ` stays expandable, so
//! `%USERPROFILE%\...` entries keep working), every other entry is kept as written and in
//! order, the edit is one `RegSetValueExW` (atomic) made under gomux's `user-path` update lock,
//! and nothing is written when the entry is already first (idempotent). Then
//! `WM_SETTINGCHANGE` is broadcast so Explorer and new terminals see the change without a
//! sign-out. A custom `GOMUX_HOME` is recorded beside it the same way.
//!
//! Raw `advapi32`/`user32` calls: six functions do not need a crate. The text edits are plain
//! functions, tested on every platform.

#![cfg_attr(not(windows), allow(dead_code))]

use std::path::Path;

use crate::shell::quote::{cmd_set, pwsh_quote};

#[cfg(windows)]
pub use registry::{Change, add, remove, system_value, user_value};

/// One PATH entry as Windows compares them: case-insensitive, a trailing `\` ignored.
fn same_entry(a: &str, b: &str) -> bool {
    let norm = |s: &str| s.trim().trim_end_matches(['\\', '/']).to_lowercase();
    norm(a) == norm(b)
}

/// `path` with `bin` first and nowhere else; every other entry as it was (empty ones too), in
/// order, so that [`without`] gives the old value back.
pub fn with_first(path: &str, bin: &str) -> String {
    if path.is_empty() {
        return bin.to_string();
    }
    let rest = path
        .split(';')
        .filter(|e| e.trim().is_empty() || !same_entry(e, bin));
    std::iter::once(bin)
        .chain(rest)
        .collect::<Vec<_>>()
        .join(";")
}

/// `path` without `bin`; every other entry as it was (empty ones too), in order.
pub fn without(path: &str, bin: &str) -> String {
    path.split(';')
        .filter(|e| e.trim().is_empty() || !same_entry(e, bin))
        .collect::<Vec<_>>()
        .join(";")
}

/// The lines that put the proxies first in this PowerShell or `cmd.exe` session.
pub fn session_lines(bin: &Path, custom_home: Option<&Path>) -> Vec<String> {
    let bin = bin.to_string_lossy();
    let mut lines = vec!["PowerShell:".to_string()];
    if let Some(h) = custom_home {
        lines.push(format!(
            "    $env:GOMUX_HOME = {}",
            pwsh_quote(&h.to_string_lossy())
        ));
    }
    lines.push(format!(
        "    $env:Path = {} + ';' + $env:Path",
        pwsh_quote(&bin)
    ));
    lines.push("cmd.exe:".to_string());
    if let Some(h) = custom_home
        && let Some(set) = cmd_set("GOMUX_HOME", &h.to_string_lossy())
    {
        lines.push(format!("    {set}"));
    }
    if let Some(set) = cmd_set("PATH", &format!("{bin};%PATH%")) {
        lines.push(format!("    {set}"));
    }
    lines
}

#[cfg(windows)]
mod registry {
    use std::ffi::c_void;
    use std::path::Path;

    use anyhow::bail;
    use gomux_home::Home;

    use super::{same_entry, with_first, without};
    use crate::render::with_hint;

    type Hkey = *mut c_void;

    /// `HKEY_CURRENT_USER`: `(HKEY)(LONG)0x80000001`, sign-extended.
    const HKEY_CURRENT_USER: Hkey = -2_147_483_647_isize as Hkey;
    /// `HKEY_LOCAL_MACHINE`: `(HKEY)(LONG)0x80000002`, sign-extended.
    const HKEY_LOCAL_MACHINE: Hkey = -2_147_483_646_isize as Hkey;
    const KEY_READ: u32 = 0x20019;
    /// The machine-wide environment, as `[Environment]::SetEnvironmentVariable(.., 'Machine')`
    /// writes it.
    const SYSTEM_ENVIRONMENT: &str =
        r"SYSTEM\CurrentControlSet\Control\Session Manager\Environment";
    const KEY_READ_WRITE: u32 = 0x2001F;
    const REG_SZ: u32 = 1;
    const REG_EXPAND_SZ: u32 = 2;
    const ERROR_SUCCESS: i32 = 0;
    const ERROR_FILE_NOT_FOUND: i32 = 2;
    const HWND_BROADCAST: isize = 0xFFFF;
    const WM_SETTINGCHANGE: u32 = 0x001A;
    const SMTO_ABORTIFHUNG: u32 = 0x0002;

    #[link(name = "advapi32")]
    unsafe extern "system" {
        fn RegCreateKeyExW(
            key: Hkey,
            sub_key: *const u16,
            reserved: u32,
            class: *const u16,
            options: u32,
            sam: u32,
            security: *const c_void,
            result: *mut Hkey,
            disposition: *mut u32,
        ) -> i32;
        fn RegQueryValueExW(
            key: Hkey,
            name: *const u16,
            reserved: *const u32,
            kind: *mut u32,
            data: *mut u8,
            len: *mut u32,
        ) -> i32;
        fn RegSetValueExW(
            key: Hkey,
            name: *const u16,
            reserved: u32,
            kind: u32,
            data: *const u8,
            len: u32,
        ) -> i32;
        fn RegDeleteValueW(key: Hkey, name: *const u16) -> i32;
        fn RegOpenKeyExW(
            key: Hkey,
            sub_key: *const u16,
            options: u32,
            sam: u32,
            result: *mut Hkey,
        ) -> i32;
        fn RegCloseKey(key: Hkey) -> i32;
    }

    #[link(name = "user32")]
    unsafe extern "system" {
        fn SendMessageTimeoutW(
            window: isize,
            msg: u32,
            wparam: usize,
            lparam: isize,
            flags: u32,
            timeout_ms: u32,
            result: *mut usize,
        ) -> isize;
    }

    fn wide(s: &str) -> Vec<u16> {
        s.encode_utf16().chain([0]).collect()
    }

    /// `HKCU\Environment`, open for reading and writing (created when missing).
    struct EnvKey(Hkey);

    impl EnvKey {
        fn open() -> anyhow::Result<EnvKey> {
            let mut key: Hkey = std::ptr::null_mut();
            let sub = wide("Environment");
            // SAFETY: valid, NUL-terminated strings and out-pointers.
            let rc = unsafe {
                RegCreateKeyExW(
                    HKEY_CURRENT_USER,
                    sub.as_ptr(),
                    0,
                    std::ptr::null(),
                    0,
                    KEY_READ_WRITE,
                    std::ptr::null(),
                    &mut key,
                    std::ptr::null_mut(),
                )
            };
            if rc != ERROR_SUCCESS {
                bail!(registry_error("open", "HKCU\\Environment", rc));
            }
            Ok(EnvKey(key))
        }

        /// A key opened for reading only, `None` when it is not there or may not be read.
        fn open_read(root: Hkey, sub_key: &str) -> Option<EnvKey> {
            let mut key: Hkey = std::ptr::null_mut();
            let sub = wide(sub_key);
            // SAFETY: a valid, NUL-terminated string and out-pointer.
            let rc = unsafe { RegOpenKeyExW(root, sub.as_ptr(), 0, KEY_READ, &mut key) };
            (rc == ERROR_SUCCESS).then_some(EnvKey(key))
        }

        /// A string value and its type; `None` when it is not there.
        fn get(&self, name: &str) -> anyhow::Result<Option<(String, u32)>> {
            let name_w = wide(name);
            let (mut kind, mut len) = (0u32, 0u32);
            // SAFETY: a size query (no buffer), then a read into a buffer of that size.
            let rc = unsafe {
                RegQueryValueExW(
                    self.0,
                    name_w.as_ptr(),
                    std::ptr::null(),
                    &mut kind,
                    std::ptr::null_mut(),
                    &mut len,
                )
            };
            if rc == ERROR_FILE_NOT_FOUND {
                return Ok(None);
            }
            if rc != ERROR_SUCCESS {
                bail!(registry_error(
                    "read",
                    &format!("HKCU\\Environment\\{name}"),
                    rc
                ));
            }
            let mut buf = vec![0u16; (len as usize).div_ceil(2) + 1];
            let mut len = (buf.len() * 2) as u32;
            let rc = unsafe {
                RegQueryValueExW(
                    self.0,
                    name_w.as_ptr(),
                    std::ptr::null(),
                    &mut kind,
                    buf.as_mut_ptr().cast(),
                    &mut len,
                )
            };
            if rc != ERROR_SUCCESS {
                bail!(registry_error(
                    "read",
                    &format!("HKCU\\Environment\\{name}"),
                    rc
                ));
            }
            if kind != REG_SZ && kind != REG_EXPAND_SZ {
                bail!(with_hint(
                    format!(
                        "`HKCU\\Environment\\{name}` is not a text value (registry type {kind})"
                    ),
                    &["fix it in the Environment Variables dialog, then run `gomux setup` again"],
                ));
            }
            buf.truncate(len as usize / 2);
            while buf.last() == Some(&0) {
                buf.pop();
            }
            Ok(Some((String::from_utf16_lossy(&buf), kind)))
        }

        fn set(&self, name: &str, value: &str, kind: u32) -> anyhow::Result<()> {
            let name_w = wide(name);
            let data = wide(value);
            // SAFETY: `data` is a NUL-terminated UTF-16 string of the length given, in bytes.
            let rc = unsafe {
                RegSetValueExW(
                    self.0,
                    name_w.as_ptr(),
                    0,
                    kind,
                    data.as_ptr().cast(),
                    (data.len() * 2) as u32,
                )
            };
            if rc != ERROR_SUCCESS {
                bail!(registry_error(
                    "write",
                    &format!("HKCU\\Environment\\{name}"),
                    rc
                ));
            }
            Ok(())
        }

        fn delete(&self, name: &str) -> anyhow::Result<()> {
            let name_w = wide(name);
            // SAFETY: a valid key and NUL-terminated name.
            let rc = unsafe { RegDeleteValueW(self.0, name_w.as_ptr()) };
            if rc != ERROR_SUCCESS && rc != ERROR_FILE_NOT_FOUND {
                bail!(registry_error(
                    "delete",
                    &format!("HKCU\\Environment\\{name}"),
                    rc
                ));
            }
            Ok(())
        }
    }

    impl Drop for EnvKey {
        fn drop(&mut self) {
            // SAFETY: the key was opened by `open` and is closed once.
            unsafe {
                RegCloseKey(self.0);
            }
        }
    }

    fn registry_error(op: &str, what: &str, rc: i32) -> anyhow::Error {
        with_hint(
            format!(
                "cannot {op} `{what}`: {}",
                std::io::Error::from_raw_os_error(rc)
            ),
            &["`gomux setup --no-modify-path` prints the lines to add by hand instead"],
        )
    }

    /// Tells Explorer and every top-level window that the environment changed, so shells started
    /// from now on see the new PATH. Bounded: a window that does not answer is skipped after 5 s.
    fn broadcast() {
        let what = wide("Environment");
        let mut result = 0usize;
        // SAFETY: `what` outlives the call; the call returns within the timeout.
        unsafe {
            SendMessageTimeoutW(
                HWND_BROADCAST,
                WM_SETTINGCHANGE,
                0,
                what.as_ptr() as isize,
                SMTO_ABORTIFHUNG,
                5000,
                &mut result,
            );
        }
    }

    /// What an edit of the user PATH did.
    pub enum Change {
        Changed,
        Unchanged,
    }

    /// A variable of the machine-wide environment (`HKLM\...\Session Manager\Environment`).
    pub fn system_value(name: &str) -> Option<String> {
        let key = EnvKey::open_read(HKEY_LOCAL_MACHINE, SYSTEM_ENVIRONMENT)?;
        key.get(name).ok().flatten().map(|(v, _)| v)
    }

    /// A variable of the user's environment (`HKCU\Environment`).
    pub fn user_value(name: &str) -> Option<String> {
        let key = EnvKey::open_read(HKEY_CURRENT_USER, "Environment")?;
        key.get(name).ok().flatten().map(|(v, _)| v)
    }

    /// Puts `bin` first on the user PATH in `HKCU\Environment` and records `home` as the user's
    /// `GOMUX_HOME` when it is not the default.
    pub fn add(home: &Home, bin: &Path, custom_home: Option<&Path>) -> anyhow::Result<Change> {
        let _lock = home.lock_update("user-path")?;
        let key = EnvKey::open()?;
        let bin = bin.to_string_lossy();
        let mut changed = false;
        let (old, kind) = key.get("Path")?.unwrap_or((String::new(), REG_EXPAND_SZ));
        let new = with_first(&old, &bin);
        if new != old {
            key.set("Path", &new, kind)?;
            changed = true;
        }
        if let Some(h) = custom_home {
            let h = h.to_string_lossy();
            if key.get("GOMUX_HOME")?.is_none_or(|(v, _)| v != h) {
                key.set("GOMUX_HOME", &h, REG_SZ)?;
                changed = true;
            }
        }
        Ok(announce(changed))
    }

    /// Tells running programs that the environment changed, when it did.
    fn announce(changed: bool) -> Change {
        if changed {
            broadcast();
            Change::Changed
        } else {
            Change::Unchanged
        }
    }

    /// Takes `bin` out of the user PATH (deleting the value when nothing else was in it) and the
    /// user's `GOMUX_HOME` when it names `home`.
    pub fn remove(home: &Home, bin: &Path) -> anyhow::Result<Change> {
        let _lock = home.lock_update("user-path")?;
        let key = EnvKey::open()?;
        let bin = bin.to_string_lossy();
        let mut changed = false;
        if let Some((old, kind)) = key.get("Path")? {
            let new = without(&old, &bin);
            if new != old {
                if new.is_empty() {
                    key.delete("Path")?;
                } else {
                    key.set("Path", &new, kind)?;
                }
                changed = true;
            }
        }
        if let Some((v, _)) = key.get("GOMUX_HOME")?
            && same_entry(&v, &home.root().to_string_lossy())
        {
            key.delete("GOMUX_HOME")?;
            changed = true;
        }
        Ok(announce(changed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bin_goes_first_once_and_the_rest_stays_in_order() {
        let bin = r"D:\gomux\bin";
        assert_eq!(with_first("", bin), bin);
        assert_eq!(
            with_first(r"%USERPROFILE%\go\bin;C:\tools", bin),
            r"D:\gomux\bin;%USERPROFILE%\go\bin;C:\tools"
        );
        // Already there, elsewhere and spelled differently: moved first, not doubled.
        assert_eq!(
            with_first(r"C:\tools;d:\GOMUX\bin\;C:\x", bin),
            r"D:\gomux\bin;C:\tools;C:\x"
        );
        let once = with_first(r"C:\tools", bin);
        assert_eq!(with_first(&once, bin), once);
    }

    #[test]
    fn removing_bin_restores_what_was_there() {
        let bin = r"D:\gomux\bin";
        for before in ["", r"C:\tools", r"%USERPROFILE%\go\bin;C:\tools;;C:\x"] {
            assert_eq!(without(&with_first(before, bin), bin), before, "{before}");
        }
        assert_eq!(without(r"C:\tools", bin), r"C:\tools");
    }

    #[test]
    fn session_lines_are_powershell_and_cmd() {
        let lines = session_lines(Path::new(r"D:\gomux\bin"), Some(Path::new(r"D:\gomux")));
        assert!(
            lines.contains(&r"    $env:GOMUX_HOME = 'D:\gomux'".to_string()),
            "{lines:?}"
        );
        assert!(lines.contains(&r"    $env:Path = 'D:\gomux\bin' + ';' + $env:Path".to_string()));
        assert!(lines.contains(&r#"    set "PATH=D:\gomux\bin;%PATH%""#.to_string()));
        assert!(!lines.iter().any(|l| l.contains("export")));
    }
}

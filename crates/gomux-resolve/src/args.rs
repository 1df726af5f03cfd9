//! What the arguments of a `go` call say about selection: `-C dir` in its four spellings,
//! the `go env` calls that run the local toolchain, and `pkg@version` calls.

use super::*;

/// The directory of a `-C dir` flag: first (`go -C dir build`) or right after the subcommand
/// (`go build -C dir`, `go mod tidy -C dir`), as `-C dir`, `-C=dir`, `--C dir` or `--C=dir`.
pub fn chdir_flag(args: &[OsString]) -> Option<&OsStr> {
    let at = |i: usize| -> Option<&OsStr> {
        let a = args.get(i)?.to_str()?;
        for flag in ["-C", "--C"] {
            if a == flag {
                return args.get(i + 1).map(OsString::as_os_str);
            }
            if let Some(v) = a.strip_prefix(flag).and_then(|r| r.strip_prefix('=')) {
                return Some(OsStr::new(v));
            }
        }
        None
    };
    if let Some(d) = at(0) {
        return Some(d);
    }
    let first = args.first()?.to_str()?;
    if first.starts_with('-') {
        return None;
    }
    let sub = if matches!(first, "mod" | "work") && args.len() > 2 {
        2
    } else {
        1
    };
    at(sub).or_else(|| if sub == 2 { at(1) } else { None })
}

/// The `go env` forms that Go runs in the invoked toolchain without switching.
pub(crate) fn runs_locally(args: &[OsString]) -> bool {
    let a: Vec<&str> = args.iter().filter_map(|a| a.to_str()).collect();
    a.len() == args.len()
        && (a == ["env", "GOTOOLCHAIN"]
            || a == ["env", "GOMOD"]
            || a == ["env", "GOWORK"]
            || (a.len() == 3 && a[0] == "env" && a[1] == "-w" && a[2].starts_with("GOTOOLCHAIN=")))
}

/// `go install pkg@version` and `go run pkg@version` run outside any module.
pub(crate) fn ignores_module_files(args: &[OsString]) -> bool {
    let Some(cmd) = args.first().and_then(|a| a.to_str()) else {
        return false;
    };
    if cmd != "install" && cmd != "run" {
        return false;
    }
    args[1..].iter().filter_map(|a| a.to_str()).any(|a| {
        !a.starts_with('-')
            && a.contains('@')
            && !a.starts_with('.')
            && !a.starts_with('/')
            && !a.starts_with("go@")
            && !a.starts_with("toolchain@")
    })
}

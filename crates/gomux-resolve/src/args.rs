//! What the arguments of a `go` call say about selection, read as `cmd/go` reads them before it
//! selects a toolchain: `-C dir` (`main.go`, handleChdirFlag and lookupCmd), the `go env` calls
//! that run the local toolchain, and `pkg@version` calls (`toolchain/select.go`,
//! goInstallVersion). Release differences come from [`Rules`].

use super::*;
use crate::rules::{Rule, Rules};

/// Go's runnable top-level commands (`base.Go.Commands` without the help topics, which
/// lookupCmd never returns). `telemetry` exists from 1.23 ([`Rule::TelemetryCommand`]).
const COMMANDS: &[&str] = &[
    "bug",
    "build",
    "clean",
    "doc",
    "env",
    "fix",
    "fmt",
    "generate",
    "get",
    "install",
    "list",
    "run",
    "telemetry",
    "test",
    "tool",
    "version",
    "vet",
];
/// `go mod`'s subcommands.
const MOD_COMMANDS: &[&str] = &[
    "download", "edit", "graph", "init", "tidy", "vendor", "verify", "why",
];
/// `go work`'s subcommands (`vendor` from 1.22: [`Rule::WorkVendorCommand`]).
const WORK_COMMANDS: &[&str] = &["edit", "init", "sync", "use", "vendor"];

/// A `-C dir` flag where Go honours it: right after the command words (none, `build`, or
/// `mod tidy`), as `-C dir`, `-C=dir`, `--C dir` or `--C=dir`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Chdir<'a> {
    /// The folder to change to, as written.
    pub dir: &'a OsStr,
    /// The index of the flag in the arguments.
    pub at: usize,
    /// How many arguments the flag takes up (2 for `-C dir`, 1 for `-C=dir`).
    pub len: usize,
}

/// How many leading arguments are command words, as Go's lookupCmd counts them: 0 for an
/// unknown first word (`go bogus -C d`, `go help -C d`), 1 for `build`, 2 for `mod tidy`.
fn command_words(args: &[OsString], rules: Rules) -> usize {
    let word = |i: usize| args.get(i).and_then(|a| a.to_str());
    let Some(first) = word(0) else {
        return 0;
    };
    let subs: &[&str] = match first {
        "mod" => MOD_COMMANDS,
        "work" => WORK_COMMANDS,
        "telemetry" if !rules.holds(Rule::TelemetryCommand) => return 0,
        c if COMMANDS.contains(&c) => return 1,
        _ => return 0,
    };
    match word(1) {
        Some("vendor") if first == "work" && !rules.holds(Rule::WorkVendorCommand) => 1,
        Some(sub) if subs.contains(&sub) => 2,
        _ => 1,
    }
}

/// The `-C dir` flag Go applies before selecting a toolchain, under the given rules.
pub fn chdir_flag_for(args: &[OsString], rules: Rules) -> Option<Chdir<'_>> {
    let at = command_words(args, rules);
    let a = args.get(at)?.to_str()?;
    if a == "-C" || a == "--C" {
        return args.get(at + 1).map(|d| Chdir {
            dir: d.as_os_str(),
            at,
            len: 2,
        });
    }
    let value = a.strip_prefix("-C=").or_else(|| a.strip_prefix("--C="))?;
    Some(Chdir {
        dir: OsStr::new(value),
        at,
        len: 1,
    })
}

/// The directory of a `-C dir` flag that Go applies (newest rules; see [`chdir_flag_for`]).
pub fn chdir_flag(args: &[OsString]) -> Option<&OsStr> {
    chdir_flag_for(args, Rules::NEWEST).map(|c| c.dir)
}

/// The arguments as Go's selection sees them: without the `-C dir` it already applied.
pub(crate) fn without_chdir<'a>(args: &'a [OsString], chdir: Option<Chdir<'_>>) -> Vec<&'a OsStr> {
    let mut out = Vec::with_capacity(args.len());
    for (i, a) in args.iter().enumerate() {
        if chdir.is_some_and(|c| i >= c.at && i < c.at + c.len) {
            continue;
        }
        out.push(a.as_os_str());
    }
    out
}

/// The `go env` forms that Go runs in the invoked toolchain without switching (exactly these
/// argument lists, after `-C` is removed).
pub(crate) fn runs_locally(args: &[&OsStr], rules: Rules) -> bool {
    let a = |i: usize| args.get(i).and_then(|a| a.to_str());
    if a(0) != Some("env") {
        return false;
    }
    match args.len() {
        2 => {
            a(1) == Some("GOTOOLCHAIN")
                || (rules.holds(Rule::EnvGoModGoWorkRunLocally)
                    && matches!(a(1), Some("GOMOD" | "GOWORK")))
        }
        3 => a(1) == Some("-w") && a(2).is_some_and(|v| v.starts_with("GOTOOLCHAIN=")),
        _ => false,
    }
}

/// What a flag of `go run` (whose flag set Go consults for `go install` too, up to 1.26) is.
#[derive(PartialEq)]
enum FlagKind {
    Bool,
    Value,
    Unknown,
}

fn run_flag(name: &[u8], rules: Rules) -> FlagKind {
    const BOOL: &[&[u8]] = &[
        b"a",
        b"n",
        b"x",
        b"v",
        b"asan",
        b"buildvcs",
        b"linkshared",
        b"msan",
        b"race",
        b"trimpath",
        b"work",
        b"modcacherw",
        b"cover",
    ];
    const VALUE: &[&[u8]] = &[
        b"C",
        b"p",
        b"asmflags",
        b"compiler",
        b"buildmode",
        b"gcflags",
        b"gccgoflags",
        b"mod",
        b"modfile",
        b"overlay",
        b"installsuffix",
        b"ldflags",
        b"pgo",
        b"pkgdir",
        b"tags",
        b"toolexec",
        b"debug-actiongraph",
        b"debug-trace",
        b"debug-runtime-trace",
        b"covermode",
        b"coverpkg",
        b"exec",
    ];
    if BOOL.contains(&name) || (name == b"json" && rules.holds(Rule::BuildJsonFlag)) {
        FlagKind::Bool
    } else if VALUE.contains(&name) {
        FlagKind::Value
    } else {
        FlagKind::Unknown
    }
}

/// `strconv.ParseBool`.
fn parses_as_bool(v: &[u8]) -> bool {
    matches!(
        v,
        b"1" | b"t"
            | b"T"
            | b"TRUE"
            | b"true"
            | b"True"
            | b"0"
            | b"f"
            | b"F"
            | b"FALSE"
            | b"false"
            | b"False"
    )
}

fn cut(s: &[u8], sep: u8) -> (&[u8], Option<&[u8]>) {
    match s.iter().position(|&b| b == sep) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    }
}

/// `go install pkg@version` and `go run pkg@version`: the first argument that is not a flag
/// (values of the flags that take one skipped) names a module path and a version, neither
/// empty, and is not a local or absolute path nor `go@…`/`toolchain@…`. Go's best-effort
/// reading of the command line is followed exactly, unknown flags included.
pub(crate) fn is_pkg_at_version(args: &[&OsStr], rules: Rules) -> bool {
    if args.len() < 2 {
        return false;
    }
    let is_run = match args[0].to_str() {
        Some("install") => false,
        Some("run") => true,
        _ => return false,
    };
    let mut rest: &[&OsStr] = &args[1..];
    let mut pkg: Option<&[u8]> = None;
    while let Some((first, tail)) = rest.split_first() {
        let a = first.as_encoded_bytes();
        rest = tail;
        if a == b"--" {
            pkg = rest.first().map(|p| p.as_encoded_bytes());
            if pkg.is_none() {
                return false;
            }
            break;
        }
        let Some(flag) = a.strip_prefix(b"-") else {
            pkg = Some(a);
            break;
        };
        let flag = flag.strip_prefix(b"-").unwrap_or(flag);
        let (name, value) = cut(flag, b'=');
        if name == b"modcacherw" {
            if !value.is_none_or(parses_as_bool) {
                return false;
            }
            continue;
        }
        if value.is_some() {
            continue;
        }
        match run_flag(name, rules) {
            FlagKind::Bool => {}
            FlagKind::Value => match rest.split_first() {
                Some((_, tail)) => rest = tail,
                None => return false,
            },
            FlagKind::Unknown if is_run => return false,
            FlagKind::Unknown => {
                // Go assumes the pkg@version is the last argument, unless a `-modcacherw`
                // comes first.
                while let Some((x, tail)) = rest.split_first() {
                    let x = x.as_encoded_bytes();
                    let (n, _) = cut(x, b'=');
                    if n == b"-modcacherw" || n == b"--modcacherw" {
                        break;
                    }
                    if tail.is_empty() && !x.starts_with(b"-") {
                        pkg = Some(x);
                    }
                    rest = tail;
                }
            }
        }
    }
    let Some(pkg) = pkg else {
        return false;
    };
    let local = pkg == b"."
        || pkg == b".."
        || pkg.starts_with(b"./")
        || pkg.starts_with(b"../")
        || (cfg!(windows) && (pkg.starts_with(b".\\") || pkg.starts_with(b"..\\")));
    if local || Path::new(OsStr::new(&*String::from_utf8_lossy(pkg))).is_absolute() {
        return false;
    }
    let (path, version) = cut(pkg, b'@');
    let Some(version) = version else {
        return false;
    };
    !path.is_empty() && !version.is_empty() && path != b"go" && path != b"toolchain"
}

/// The variables a `go env` call writes (`-w NAME=VALUE`), removes (`-u NAME`) or reads as
/// the user's setting (`go env GOTOOLCHAIN`, whose answer is the user's own, not gomux's).
pub(crate) fn env_settings(args: &[&OsStr]) -> Vec<String> {
    let mut out = Vec::new();
    if args.first().and_then(|a| a.to_str()) != Some("env") {
        return out;
    }
    if args.len() == 2 && args[1] == "GOTOOLCHAIN" {
        out.push("GOTOOLCHAIN".to_string());
        return out;
    }
    let (mut write, mut unset) = (false, false);
    let mut operands = args[1..].iter().filter_map(|a| a.to_str()).peekable();
    while let Some(a) = operands.peek() {
        let Some(flag) = a.strip_prefix('-') else {
            break;
        };
        match flag.strip_prefix('-').unwrap_or(flag) {
            "w" => write = true,
            "u" => unset = true,
            "" => {
                operands.next();
                break;
            }
            _ => {}
        }
        operands.next();
    }
    for a in operands {
        let name = if write {
            a.split_once('=').map(|(k, _)| k)
        } else {
            Some(a)
        };
        if let Some(name) = name
            && (write || unset)
        {
            out.push(name.to_string());
        }
    }
    out
}

//! Which Go toolchain a directory wants, and why.
//!
//! The precedence (first match wins): the proxy's own name (`go1.22.3`), a `+VERSION` first
//! argument, `GOMUX_TOOLCHAIN`, an exact `GOTOOLCHAIN`, then files found walking up from the
//! working directory (after `-C`): a pin file (`.go-version`, `.tool-versions`) inside the
//! project pins exactly; otherwise go.work (winning over go.mod) or go.mod decide with the Go
//! command's own startup algorithm, using the default toolchain as Go's "local" one; then the
//! default. A pin file above the project root, or `GOTOOLCHAIN=<name>+auto`, only sets the default.
//!
//! The design decision to know: module files are handled *exactly* as `cmd/go` handles them at
//! startup (`toolchain.Select`), so gomux and Go never disagree about what a go.mod needs; see
//! `docs/version-selection.md`. This crate reads only small files and never touches the network.

#![warn(missing_docs)]

mod args;
mod error;
pub mod files;
pub mod launch;
mod linestart;
pub mod listing;
pub mod locate;
#[cfg(target_os = "linux")]
mod record;
pub mod rules;
mod source;
mod walk;

use args::*;
pub use args::{Chdir, chdir_flag, chdir_flag_for};
use error::*;
pub use error::{ResolveError, request_error_text};
pub use gomux_home::goenv;
use rules::{Rule, Rules};
pub use source::{DefaultSource, Source};
pub use walk::PIN_FILE_LIMIT;
use walk::*;

use std::cmp::Ordering;
use std::ffi::{OsStr, OsString};
use std::fmt;
use std::path::{Path, PathBuf};

use gomux_home::env as gomux_env;
use gomux_home::fsx::{self, ReadError};
use gomux_home::text;
use gomux_version::{Hints, Request, RequestError};

use files::{Lined, ModuleLines};
use goenv::{GoSettings, Origin};

/// Which tool the proxy stands in for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tool {
    /// `go`: the only tool whose `-C dir`, `go env` escape hatches and `pkg@version` calls
    /// steer selection.
    Go,
    /// `gofmt`: files are looked for from the working directory as it is; of its arguments
    /// only a `+VERSION` first one counts.
    Gofmt,
}

impl Tool {
    /// The program's name in an SDK's `bin/`, without `.exe`: `go` or `gofmt`.
    pub fn name(self) -> &'static str {
        match self {
            Tool::Go => "go",
            Tool::Gofmt => "gofmt",
        }
    }
}

/// Everything a resolution reads, passed in so that tests and `gomux show` can drive it.
pub struct Input<'a> {
    /// The working directory (absolute).
    pub cwd: &'a Path,
    /// The arguments after `argv[0]`.
    pub args: &'a [OsString],
    /// The tool being called (only `go` reads `-C` and the `go env` forms from `args`).
    pub tool: Tool,
    /// Set when the proxy was called by a versioned name such as `go1.22.3`.
    pub proxy_toolchain: Option<&'a str>,
    /// Environment lookup.
    pub env: &'a dyn Fn(&str) -> Option<OsString>,
    /// The default toolchain and the file that set it (the settings file), read only when needed.
    pub default: &'a dyn Fn() -> Result<Option<(Request, PathBuf)>, ResolveError>,
    /// The best installed toolchain for a request (for comparing a family default with a go line).
    pub installed: &'a dyn Fn(&Request) -> Option<String>,
    /// The home whose `tmp/` records the scans of large module files, or `None` to scan
    /// every time ([`files::scan_module_file`]).
    pub records: Option<&'a gomux_home::Home>,
}

/// The module file that governs the directory, as read for selection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModuleFile {
    /// The go.work or go.mod that was read: found walking up, or the file `GOWORK` names.
    pub path: PathBuf,
    /// True for a go.work (which wins over a go.mod), false for a go.mod.
    pub is_work: bool,
    /// Its first `go` and `toolchain` lines, as written.
    pub lines: ModuleLines,
}

/// The answer: what to run, why, and for which project.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Selection {
    /// The toolchain to run: an exact name, or a family (`1.22`) that the newest installed
    /// match satisfies.
    pub request: Request,
    /// What decided `request` (shown by `gomux show` and in messages).
    pub source: Source,
    /// The folder of the governing go.work, else go.mod, else pin file.
    pub project_root: Option<PathBuf>,
    /// The module file read for selection, when one was.
    pub module: Option<ModuleFile>,
    /// The default that module selection compared against, when it mattered.
    pub default: Option<(Request, DefaultSource)>,
    /// True when `argv[1]` was `+VERSION` and must be removed before exec.
    pub strip_first_arg: bool,
    /// True when `GOTOOLCHAIN` is a `path` form: never download.
    pub path_only: bool,
    /// The `GOTOOLCHAIN` the user set in the environment, passed through unchanged.
    pub user_gotoolchain: Option<OsString>,
    /// Variables this call writes or reads as the user's own setting (`go env -w NAME=…`,
    /// `go env -u NAME`, `go env GOTOOLCHAIN`): gomux does not inject its value for them, so
    /// that Go warns, writes and prints exactly as it would without gomux.
    pub user_settings: Vec<String>,
}

impl Selection {
    /// The `GOTOOLCHAIN` the SDK gets: the user's own when set in the environment, else `local`
    /// for an explicit pin and `path` for a choice made by module files or the default.
    pub fn child_gotoolchain(&self) -> &OsStr {
        match &self.user_gotoolchain {
            Some(v) => v,
            None if self.source.is_explicit() => OsStr::new("local"),
            None => OsStr::new("path"),
        }
    }
}

/// Resolves the toolchain for one call.
pub fn resolve(input: &Input<'_>) -> Result<Selection, ResolveError> {
    let mut s = resolve_inner(input)?;
    // Only a `go env` call names settings; every other call skips the second look at `-C`.
    if input.tool == Tool::Go && input.args.iter().any(|a| a == "env") {
        let args = if s.strip_first_arg {
            &input.args[1..]
        } else {
            input.args
        };
        let chdir = chdir_flag_for(args, Rules::NEWEST);
        s.user_settings = env_settings(&without_chdir(args, chdir));
    }
    Ok(s)
}

fn resolve_inner(input: &Input<'_>) -> Result<Selection, ResolveError> {
    let user_gotoolchain = (input.env)("GOTOOLCHAIN").filter(|v| !v.is_empty());
    let sel = |request, source, strip_first_arg| Selection {
        request,
        source,
        project_root: None,
        module: None,
        default: None,
        strip_first_arg,
        path_only: false,
        user_gotoolchain: user_gotoolchain.clone(),
        user_settings: Vec::new(),
    };

    // 0-2. The proxy's own name, `+VERSION`, GOMUX_TOOLCHAIN: explicit choices that need no
    // files (the walk below still finds the project root, for the caches).
    let plus = input
        .args
        .first()
        .and_then(|a| a.to_str())
        .and_then(|a| a.strip_prefix('+'));
    // When a real go switches toolchains it looks `go1.X.Y` up on PATH — finding gomux's
    // versioned proxy — and execs it with its own argv[0] (`go`) and
    // GOTOOLCHAIN_INTERNAL_SWITCH_VERSION naming the version it wants. That variable is the
    // reliable sign of which versioned proxy ran; the real SDK checks and clears it.
    let switch = (input.tool == Tool::Go)
        .then(|| (input.env)("GOTOOLCHAIN_INTERNAL_SWITCH_VERSION"))
        .flatten()
        .and_then(|v| v.into_string().ok())
        .filter(|v| v.starts_with("go1") && gomux_version::from_toolchain(v).is_some());
    let explicit = if let Some(name) = input.proxy_toolchain.or(switch.as_deref()) {
        check_name(name, "the proxy's name")?;
        Some((Request::Exact(name.to_string()), Source::ProxyName))
    } else if let Some(v) = plus {
        let request = Request::parse(v).map_err(|error| ResolveError::BadRequest {
            origin: format!("the argument `+{}`", text::escape(v)),
            error,
        })?;
        Some((request, Source::Arg))
    } else if let Some(v) = (input.env)(gomux_env::GOMUX_TOOLCHAIN).filter(|v| !v.is_empty()) {
        let v = v.to_string_lossy();
        let request = Request::parse(&v).map_err(|error| ResolveError::BadRequest {
            origin: "GOMUX_TOOLCHAIN".to_string(),
            error,
        })?;
        Some((request, Source::Env))
    } else {
        None
    };
    let strip = plus.is_some() && input.proxy_toolchain.is_none();
    let args: &[OsString] = if strip { &input.args[1..] } else { input.args };

    // The local release, whose start-up rules apply: the default toolchain's. Only its minor
    // line matters, so a family default (`1.22`) needs no look at what is installed.
    let rules_of = |d: Option<&Request>| match d {
        Some(Request::Exact(name)) => Rules::for_toolchain(name),
        Some(Request::Family(lang)) => Rules::for_version(lang),
        None => Rules::NEWEST,
    };
    let settings_rules = match (input.default)() {
        Ok(Some((r, _))) => rules_of(Some(&r)),
        _ => Rules::NEWEST,
    };
    let settings = if settings_rules.holds(Rule::RelativeConfigDirIgnored) {
        GoSettings::new(input.env)
    } else {
        GoSettings::new(input.env).relative_config_from(input.cwd)
    };

    // Where the files are looked for: the working directory after `-C` (which Go applies, and
    // removes from the arguments, before anything else).
    let chdir = match input.tool {
        Tool::Go => chdir_flag_for(args, settings_rules),
        Tool::Gofmt => None,
    };
    let go_args = match input.tool {
        Tool::Go => without_chdir(args, chdir),
        Tool::Gofmt => Vec::new(),
    };
    let start = match chdir {
        Some(c) => change_dir(input.cwd, c.dir, input.env),
        None => Ok(input.cwd.to_path_buf()),
    };

    let modules = modules_mode(&settings);
    let gowork = gowork_mode(&settings);
    let found = start
        .clone()
        .and_then(|start| walk(&start, &gowork, modules != ModulesMode::Off, input.env));
    if let Some((request, source)) = explicit {
        // A bad file must not stand in the way of an explicit choice.
        let mut s = sel(request, source, strip);
        s.project_root = found.ok().and_then(|f| f.project_root());
        return Ok(s);
    }
    let start = start?;
    let found = found?;
    let modules_enabled = match modules {
        ModulesMode::On => true,
        ModulesMode::Off => false,
        ModulesMode::Auto if found.gomod.is_some() => true,
        ModulesMode::Auto if settings_rules.holds(Rule::AutoEnabledByGoWork) => match &gowork {
            GoWork::Search => found.gowork.is_some(),
            GoWork::File(_) => true,
            GoWork::Off => false,
            GoWork::Relative { .. } => {
                gowork.check()?;
                false
            }
        },
        ModulesMode::Auto => false,
    };
    let module_root: Option<PathBuf> = found
        .gowork
        .as_ref()
        .filter(|_| modules_enabled)
        .or(found.gomod.as_ref())
        .and_then(|p| p.parent().map(Path::to_path_buf));
    // The project the caches belong to: the module's, or its workspace's under `GOWORK=off`.
    let cache_root = found
        .workspace_of(found.gomod.as_deref())
        .or_else(|| module_root.clone());

    // A pin file inside the project (or with no project at all) pins exactly; one above the
    // project only sets the default.
    let found_root = found.project_root();
    let mut pin_inside = None;
    let mut pin_above = None;
    if let Some((pin_path, pin)) = found.pin {
        let pin_dir = pin_path.parent().map(Path::to_path_buf).unwrap_or_default();
        let inside = match &module_root {
            Some(root) => pin_dir.starts_with(root),
            None => true,
        };
        let source = (pin_path, pin.line);
        if inside {
            pin_inside = Some((pin.value, source, pin_dir));
        } else {
            pin_above = Some((pin.value, source));
        }
    }
    let rules = match &pin_above {
        Some((r, _)) => rules_of(Some(r)),
        None => settings_rules,
    };

    // 3. GOTOOLCHAIN (skipped, as in Go, when modules are disabled and for the escape hatches).
    // `go env GOTOOLCHAIN`, `go env -w GOTOOLCHAIN=...`, `go env GOMOD` and `go env GOWORK`
    // (from 1.23) run the default toolchain without any switching, so that a bad setting can
    // always be fixed; `pkg@version` calls ignore the module files up to 1.24.
    let is_go = input.tool == Tool::Go;
    let runs_locally = is_go && runs_locally(&go_args, rules);
    let pkg_at_version = is_go
        && rules.holds(Rule::PkgAtVersionIgnoresModuleFiles)
        && is_pkg_at_version(&go_args, rules);
    let mut use_module_files = modules_enabled && !runs_locally && !pkg_at_version;
    let mut default_override: Option<(Request, DefaultSource)> = None;
    let mut path_only = false;
    let gotoolchain = if modules_enabled && !runs_locally {
        settings.get("GOTOOLCHAIN")
    } else {
        None
    };
    let mut gotoolchain_origin = None;
    if let Some((value, origin)) = gotoolchain {
        match parse_gotoolchain(&value, &origin)? {
            GoToolchain::Exact(name) => {
                check_go1(&name, &origin)?;
                check_name(&name, "GOTOOLCHAIN")?;
                let mut s = sel(Request::Exact(name), Source::GoToolchain(origin), false);
                s.project_root = found_root;
                return Ok(s);
            }
            GoToolchain::Local => use_module_files = false,
            GoToolchain::Switch { min, path } => {
                path_only = path;
                if let Some(min) = min {
                    check_name(&min, "GOTOOLCHAIN")?;
                    default_override = Some((
                        Request::Exact(min),
                        DefaultSource::GoToolchain(origin.clone()),
                    ));
                }
                gotoolchain_origin = Some(origin);
            }
        }
    }

    let module = if use_module_files {
        gowork.check()?;
        if let (GoWork::File(p), Some((_, origin))) = (&gowork, settings.get("GOWORK"))
            && found.gowork.as_ref() == Some(p)
            && p.is_dir()
        {
            return Err(ResolveError::GoWorkIsFolder {
                path: p.clone(),
                origin,
            });
        }
        match found.gowork.as_ref().or(found.gomod.as_ref()) {
            Some(path) => Some(ModuleFile {
                path: path.clone(),
                is_work: found.gowork.is_some(),
                lines: files::scan_module_file(path, input.records)?,
            }),
            None => None,
        }
    } else {
        None
    };

    let finish = |request, source, default| {
        let mut s = sel(request, source, false);
        s.path_only = path_only;
        s.module = module.clone();
        s.default = default;
        s
    };

    // 4a. A pin file inside the project pins exactly.
    if let Some((value, (path, line), pin_dir)) = pin_inside {
        let mut s = finish(value, Source::PinFile { path, line }, None);
        s.project_root = Some(cache_root.unwrap_or(pin_dir));
        return Ok(s);
    }
    let pin_above =
        pin_above.map(|(value, (path, line))| (value, DefaultSource::PinAbove { path, line }));

    // The default: GOTOOLCHAIN's minimum, else a pin file above the project, else settings.
    let default = match default_override.or(pin_above) {
        Some(d) => Some(d),
        None => (input.default)()?.map(|(r, p)| (r, DefaultSource::Settings(p))),
    };

    // 4b. Module files: Go's startup selection with the default as "local".
    if let Some(m) = &module {
        let mut s = select_with_module(m, default, rules, &start, input).map_err(|e| match e {
            ResolveError::NoToolchain { cwd, .. } => ResolveError::NoToolchain {
                cwd,
                project_root: cache_root.clone(),
            },
            e => e,
        })?;
        if let (Request::Exact(name), Some(origin)) = (&s.request, &gotoolchain_origin)
            && matches!(s.source, Source::Default(DefaultSource::GoToolchain(_)))
        {
            check_go1(name, origin)?;
        }
        s.path_only = path_only;
        s.user_gotoolchain = user_gotoolchain.clone();
        s.project_root = cache_root;
        return Ok(s);
    }

    // 5. The default.
    match default {
        Some((request, from)) => {
            if let (Request::Exact(name), DefaultSource::GoToolchain(origin)) = (&request, &from) {
                check_go1(name, origin)?;
            }
            let mut s = finish(request, Source::Default(from), None);
            s.project_root = cache_root;
            Ok(s)
        }
        None => Err(ResolveError::NoToolchain {
            cwd: start,
            project_root: cache_root,
        }),
    }
}

/// The folder Go works in after `-C dir`: the physical path, unless `$PWD` still names the
/// same folder (`-C .`), which Go's `os.Getwd` then keeps, links and all.
fn change_dir(
    cwd: &Path,
    dir: &OsStr,
    env: &dyn Fn(&str) -> Option<OsString>,
) -> Result<PathBuf, ResolveError> {
    let joined = cwd.join(dir);
    let physical = gomux_home::path::canonicalize(&joined)
        .and_then(|p| {
            if p.is_dir() {
                Ok(p)
            } else {
                Err(std::io::Error::from(std::io::ErrorKind::NotADirectory))
            }
        })
        .map_err(|e| ResolveError::Chdir {
            dir: PathBuf::from(dir),
            message: fsx::describe(&e),
        })?;
    if let Some(pwd) = env("PWD").map(PathBuf::from)
        && pwd.is_absolute()
        && fsx::same_file(&pwd, &physical)
    {
        return Ok(pwd);
    }
    Ok(physical)
}

/// Go's last check before it runs another toolchain: the name must start with `go1` or hold
/// `-go1` (so `go2`, from a `go 2` line or `GOTOOLCHAIN=go2.0.0`, is refused).
fn check_go1(name: &str, origin: &Origin) -> Result<(), ResolveError> {
    if name.starts_with("go1") || name.contains("-go1") {
        Ok(())
    } else {
        Err(ResolveError::InvalidGoToolchain {
            message: format!("invalid GOTOOLCHAIN {}", quote(name)),
            origin: origin.clone(),
        })
    }
}

/// Go's startup algorithm (`toolchain.Select`) for one module file.
fn select_with_module(
    m: &ModuleFile,
    default: Option<(Request, DefaultSource)>,
    rules: Rules,
    cwd: &Path,
    input: &Input<'_>,
) -> Result<Selection, ResolveError> {
    let file_source = |line: usize| {
        if m.is_work {
            Source::GoWork {
                path: m.path.clone(),
                line,
            }
        } else {
            Source::GoMod {
                path: m.path.clone(),
                line,
            }
        }
    };
    let base = |request, source, default: Option<(Request, DefaultSource)>| Selection {
        request,
        source,
        project_root: None,
        module: Some(m.clone()),
        default,
        strip_first_arg: false,
        path_only: false,
        user_gotoolchain: None,
        user_settings: Vec::new(),
    };
    // The default's version: an exact name's version, or the installed best of a family.
    let default_version: String = match &default {
        Some((Request::Exact(name), _)) => gomux_version::from_toolchain(name)
            .unwrap_or("")
            .to_string(),
        Some((family @ Request::Family(lang), _)) => match (input.installed)(family) {
            Some(name) => gomux_version::from_toolchain(&name)
                .unwrap_or("")
                .to_string(),
            None => lang.clone(),
        },
        None => String::new(),
    };

    let tc = m.lines.toolchain.as_ref();
    if let Some(t) = tc
        && t.value == "default"
    {
        // `toolchain default`: never upgrade past the default.
        return match default {
            Some((request, from)) => Ok(base(
                request.clone(),
                Source::Default(from.clone()),
                Some((request, from)),
            )),
            None => Err(ResolveError::NoToolchain {
                cwd: input.cwd.to_path_buf(),
                project_root: None,
            }),
        };
    }

    let mut chosen: Option<(Request, Source)> = None;
    let mut chosen_version = default_version;
    if let Some(t) = tc {
        let tv = gomux_version::from_toolchain(&t.value);
        let prefixed = t.value.starts_with("go") || t.value.contains("-go");
        let Some(tv) = tv.filter(|_| prefixed) else {
            return Err(ResolveError::InvalidToolchainLine {
                message: format!(
                    "invalid toolchain {} in {}",
                    quote(&t.value),
                    text::escape(&short_path(&m.path, cwd))
                ),
                path: m.path.clone(),
                line: t.line,
            });
        };
        let wins = match gomux_version::compare(tv, &chosen_version) {
            Ordering::Greater => true,
            Ordering::Equal => rules.holds(Rule::ToolchainLineEqualWins),
            Ordering::Less => false,
        };
        if wins {
            check_line_name(&t.value, m, t.line)?;
            check_name(
                &t.value,
                &format!("{}:{}", text::escape_path(&m.path), t.line),
            )?;
            chosen = Some((Request::Exact(t.value.clone()), file_source(t.line)));
            chosen_version = tv.to_string();
        }
    }
    if let Some(g) = &m.lines.go
        && gomux_version::compare(&g.value, &chosen_version) == Ordering::Greater
    {
        let name = gomux_version::go_line_toolchain(&g.value);
        check_line_name(&name, m, g.line)?;
        check_name(&name, &format!("{}:{}", text::escape_path(&m.path), g.line))?;
        chosen = Some((Request::Exact(name), file_source(g.line)));
    }
    match (chosen, default) {
        (Some((request, source)), default) => Ok(base(request, source, default)),
        (None, Some((request, from))) => Ok(base(
            request.clone(),
            Source::Default(from.clone()),
            Some((request, from)),
        )),
        (None, None) => Err(ResolveError::NoToolchain {
            cwd: input.cwd.to_path_buf(),
            project_root: None,
        }),
    }
}

/// [`check_go1`] for a name a module file's line chose.
fn check_line_name(name: &str, m: &ModuleFile, line: usize) -> Result<(), ResolveError> {
    if name.starts_with("go1") || name.contains("-go1") {
        return Ok(());
    }
    Err(ResolveError::InvalidToolchainLine {
        message: format!("invalid GOTOOLCHAIN {}", quote(name)),
        path: m.path.clone(),
        line,
    })
}

/// Go shortens paths in messages relative to the working directory when that is shorter.
fn short_path(path: &Path, cwd: &Path) -> String {
    if let Ok(rel) = path.strip_prefix(cwd) {
        return rel.display().to_string();
    }
    let mut up = String::new();
    for anc in cwd.ancestors().skip(1) {
        up.push_str("../");
        if let Ok(rel) = path.strip_prefix(anc) {
            let s = format!("{up}{}", rel.display());
            if s.len() < path.as_os_str().len() {
                return s;
            }
            break;
        }
    }
    path.display().to_string()
}

fn check_name(name: &str, origin: &str) -> Result<(), ResolveError> {
    if gomux_version::is_safe_name(name) {
        Ok(())
    } else {
        Err(ResolveError::UnusableName {
            name: name.to_string(),
            origin: origin.to_string(),
        })
    }
}

/// A parsed GOTOOLCHAIN value.
#[derive(Debug, PartialEq, Eq)]
enum GoToolchain {
    /// `local`: the default, without reading module files.
    Local,
    /// An exact toolchain that ignores module files.
    Exact(String),
    /// `auto`, `path`, `<name>+auto`, `<name>+path`: module files may upgrade past `min`.
    Switch { min: Option<String>, path: bool },
}

fn parse_gotoolchain(value: &str, origin: &Origin) -> Result<GoToolchain, ResolveError> {
    let invalid = |message: String| ResolveError::InvalidGoToolchain {
        message,
        origin: origin.clone(),
    };
    let full = match value {
        // An empty value (`GOTOOLCHAIN=` in the go env file) is Go's built-in default: no
        // switching at all.
        "" => "local".to_string(),
        "auto" | "path" => format!("local+{value}"),
        _ => value.to_string(),
    };
    let (min, suffix) = match full.split_once('+') {
        Some((m, s)) => (m, Some(s)),
        None => (full.as_str(), None),
    };
    let min = if min == "local" {
        None
    } else {
        if gomux_version::from_toolchain(min).is_none() {
            return Err(invalid(match suffix {
                Some(_) => format!(
                    "invalid GOTOOLCHAIN {}: invalid minimum toolchain {}",
                    quote(value),
                    quote(min)
                ),
                None => format!("invalid GOTOOLCHAIN {}", quote(value)),
            }));
        }
        Some(min.to_string())
    };
    let mode = match suffix {
        None => None,
        Some(s @ ("auto" | "path")) => Some(s),
        Some(_) => {
            return Err(invalid(format!(
                "invalid GOTOOLCHAIN {}: only version suffixes are +auto and +path",
                quote(value)
            )));
        }
    };
    Ok(match (min, mode) {
        (None, None) => GoToolchain::Local,
        (Some(name), None) => GoToolchain::Exact(name),
        (min, Some(mode)) => GoToolchain::Switch {
            min,
            path: mode == "path",
        },
    })
}

#[cfg(test)]
mod tests;

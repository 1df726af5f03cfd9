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

pub mod files;
pub mod launch;
pub mod locate;
pub use gomux_home::goenv;

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
    Go,
    Gofmt,
}

impl Tool {
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
    /// The arguments after argv[0].
    pub args: &'a [OsString],
    pub tool: Tool,
    /// Set when the proxy was called by a versioned name such as `go1.22.3`.
    pub proxy_toolchain: Option<&'a str>,
    /// Environment lookup.
    pub env: &'a dyn Fn(&str) -> Option<OsString>,
    /// The default toolchain and the file that set it (the settings file), read only when needed.
    pub default: &'a dyn Fn() -> Result<Option<(Request, PathBuf)>, ResolveError>,
    /// The best installed toolchain for a request (for comparing a family default with a go line).
    pub installed: &'a dyn Fn(&Request) -> Option<String>,
}

/// Where the choice came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// The proxy's own name, such as `go1.22.3` (or the version a real go switching
    /// toolchains asked that proxy for).
    ProxyName,
    /// A `+VERSION` first argument.
    Arg,
    /// `GOMUX_TOOLCHAIN`.
    Env,
    /// An exact `GOTOOLCHAIN` (`go1.22.3`), from the environment or the `go env -w` file.
    GoToolchain(Origin),
    /// A pin file inside the project.
    PinFile { path: PathBuf, line: usize },
    /// A go.work `go`/`toolchain` line.
    GoWork { path: PathBuf, line: usize },
    /// A go.mod `go`/`toolchain` line.
    GoMod { path: PathBuf, line: usize },
    /// The default toolchain.
    Default(DefaultSource),
}

/// What set the default toolchain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DefaultSource {
    /// `gomux default` (the settings file).
    Settings(PathBuf),
    /// `GOTOOLCHAIN=<name>+auto` or `+path`.
    GoToolchain(Origin),
    /// A pin file above the project root.
    PinAbove { path: PathBuf, line: usize },
}

impl Source {
    /// The short name used in `gomux show --json`.
    pub fn kind(&self) -> &'static str {
        match self {
            Source::ProxyName => "proxy-name",
            Source::Arg => "arg",
            Source::Env => "env",
            Source::GoToolchain(_) => "gotoolchain",
            Source::PinFile { .. } => "pin-file",
            Source::GoWork { .. } => "go-work",
            Source::GoMod { .. } => "go-mod",
            Source::Default(_) => "default",
        }
    }

    /// The file and line that decided, if a file did.
    pub fn file_line(&self) -> Option<(&Path, usize)> {
        match self {
            Source::PinFile { path, line }
            | Source::GoWork { path, line }
            | Source::GoMod { path, line }
            | Source::Default(DefaultSource::PinAbove { path, line }) => Some((path, *line)),
            _ => None,
        }
    }

    /// True for an explicit pin (the SDK then runs with `GOTOOLCHAIN=local`).
    pub fn is_explicit(&self) -> bool {
        matches!(
            self,
            Source::ProxyName
                | Source::Arg
                | Source::Env
                | Source::GoToolchain(_)
                | Source::PinFile { .. }
        )
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::ProxyName => f.write_str("the proxy's name"),
            Source::Arg => f.write_str("the `+VERSION` argument"),
            Source::Env => f.write_str("GOMUX_TOOLCHAIN"),
            Source::GoToolchain(Origin::Env) => f.write_str("GOTOOLCHAIN in the environment"),
            Source::GoToolchain(Origin::File(p)) => {
                write!(f, "GOTOOLCHAIN in `{}` (go env -w)", text::escape_path(p))
            }
            Source::PinFile { path, line }
            | Source::GoWork { path, line }
            | Source::GoMod { path, line } => {
                write!(f, "{}:{line}", text::escape_path(path))
            }
            Source::Default(d) => match d {
                DefaultSource::Settings(p) => {
                    write!(f, "the default toolchain ({})", text::escape_path(p))
                }
                DefaultSource::GoToolchain(Origin::Env) => {
                    f.write_str("the default set by GOTOOLCHAIN in the environment")
                }
                DefaultSource::GoToolchain(Origin::File(p)) => write!(
                    f,
                    "the default set by GOTOOLCHAIN in `{}`",
                    text::escape_path(p)
                ),
                DefaultSource::PinAbove { path, line } => {
                    write!(f, "the default set by {}:{line}", text::escape_path(path))
                }
            },
        }
    }
}

/// The module file that governs the directory, as read for selection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModuleFile {
    pub path: PathBuf,
    pub is_work: bool,
    pub lines: ModuleLines,
}

/// The answer: what to run, why, and for which project.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Selection {
    pub request: Request,
    pub source: Source,
    /// The folder of the governing go.work, else go.mod, else pin file.
    pub project_root: Option<PathBuf>,
    /// The module file read for selection, when one was.
    pub module: Option<ModuleFile>,
    /// The default that module selection compared against, when it mattered.
    pub default: Option<(Request, DefaultSource)>,
    /// True when argv[1] was `+VERSION` and must be removed before exec.
    pub strip_first_arg: bool,
    /// True when `GOTOOLCHAIN` is a `path` form: never download.
    pub path_only: bool,
    /// The `GOTOOLCHAIN` the user set in the environment, passed through unchanged.
    pub user_gotoolchain: Option<OsString>,
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

/// Why no toolchain could be chosen.
#[derive(Clone, Debug)]
pub enum ResolveError {
    /// A version given in an argument or variable is not valid.
    BadRequest { origin: String, error: RequestError },
    /// `GOTOOLCHAIN` is invalid; `message` is the Go command's own text.
    InvalidGoToolchain { message: String, origin: Origin },
    /// `GOWORK` is a relative path.
    RelativeGoWork { value: String, origin: Origin },
    /// A go.mod/go.work `toolchain` line is invalid; `message` is Go's text.
    InvalidToolchainLine {
        message: String,
        path: PathBuf,
        line: usize,
    },
    /// A toolchain name cannot name a folder (spaces, `/`, ...).
    UnusableName { name: String, origin: String },
    /// A bad line in a pin file.
    PinFile {
        path: PathBuf,
        line: usize,
        message: String,
    },
    /// A file could not be read.
    Read { path: PathBuf, message: String },
    /// A pin file that gomux will not read: not a regular file, too large, or unreadable.
    /// `message` names the file (escaped); `hint` says what to do.
    BadPinFile {
        path: PathBuf,
        message: String,
        hint: String,
    },
    /// Nothing selects a toolchain here and no default is set. The project the call belongs
    /// to is still known (its caches do not depend on a toolchain).
    NoToolchain {
        cwd: PathBuf,
        project_root: Option<PathBuf>,
    },
    /// The settings could not be read (shared: the proxy keeps the settings it read once).
    Settings(std::sync::Arc<gomux_home::settings::SettingsError>),
}

impl From<gomux_home::settings::SettingsError> for ResolveError {
    fn from(e: gomux_home::settings::SettingsError) -> ResolveError {
        ResolveError::Settings(std::sync::Arc::new(e))
    }
}

/// A [`RequestError`] with the rejected text escaped and shortened: the text came from a file,
/// a variable or an argument, and must not reach the terminal raw.
pub fn request_error_text(e: &RequestError) -> String {
    format!(
        "invalid Go version `{}`: {}",
        text::escape(&e.input),
        e.reason
    )
}

/// A value quoted the way Go's `%q` shows it (Go's own messages quote GOTOOLCHAIN and toolchain
/// values so), cut after [`text::MAX_SHOWN`] characters: Rust's `{:?}` escapes control,
/// format and bidirectional characters just as `%q` does.
fn quote(s: &str) -> String {
    match s.char_indices().nth(text::MAX_SHOWN) {
        Some((cut, _)) => format!("{:?}…", &s[..cut]),
        None => format!("{s:?}"),
    }
}

/// The longest message of another crate (the settings reader) shown as it is; the text is
/// escaped again, which leaves escapes alone, so no control character gets through whatever
/// that crate quoted.
const MAX_FOREIGN_MESSAGE: usize = 2000;

impl fmt::Display for ResolveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Every value below that came from outside is escaped, here or where the error is made
        // (origins, pin-file messages, Go's quoted values).
        match self {
            ResolveError::BadRequest { origin, error } => {
                write!(f, "{} (from {origin})", request_error_text(error))
            }
            ResolveError::InvalidGoToolchain { message, .. } => f.write_str(message),
            ResolveError::RelativeGoWork { .. } => {
                f.write_str("invalid GOWORK: not an absolute path")
            }
            ResolveError::InvalidToolchainLine { message, .. } => f.write_str(message),
            ResolveError::UnusableName { name, origin } => write!(
                f,
                "toolchain `{}` (from {origin}) cannot be used: a toolchain name may only use letters, digits, `.`, `_`, `+` and `-`",
                text::escape(name)
            ),
            ResolveError::PinFile {
                path,
                line,
                message,
            } => write!(f, "{}:{line}: {message}", text::escape_path(path)),
            ResolveError::Read { path, message } => {
                write!(f, "cannot read `{}`: {message}", text::escape_path(path))
            }
            ResolveError::BadPinFile { message, .. } => f.write_str(message),
            ResolveError::NoToolchain { cwd, .. } => write!(
                f,
                "no Go toolchain is selected for `{}` and no default is set",
                text::escape_path(cwd)
            ),
            ResolveError::Settings(e) => {
                f.write_str(&text::escape_max(&e.to_string(), MAX_FOREIGN_MESSAGE))
            }
        }
    }
}

impl std::error::Error for ResolveError {}

impl Hints for ResolveError {
    fn hints(&self) -> Vec<String> {
        match self {
            ResolveError::InvalidGoToolchain { origin, .. } => vec![match origin {
                Origin::Env => "GOTOOLCHAIN is set in the environment: fix or unset it".to_string(),
                Origin::File(p) => format!(
                    "GOTOOLCHAIN is set in `{}`: run `go env -w GOTOOLCHAIN=auto` or edit that file",
                    text::escape_path(p)
                ),
            }],
            ResolveError::RelativeGoWork { value, origin } => vec![format!(
                "GOWORK=`{}` is set {}: use an absolute path, `off`, or unset it",
                text::escape(value),
                match origin {
                    Origin::Env => "in the environment".to_string(),
                    Origin::File(p) => format!("in `{}`", text::escape_path(p)),
                }
            )],
            ResolveError::InvalidToolchainLine { path, line, .. } => vec![format!(
                "fix line {line} of `{}`: use `toolchain go1.X.Y` or `toolchain default`",
                text::escape_path(path)
            )],
            ResolveError::BadPinFile { hint, .. } => vec![hint.clone()],
            ResolveError::PinFile { .. } => vec![
                "a pin file holds one version such as `1.22.3`, `go1.22.3` or `1.22`".to_string(),
            ],
            ResolveError::NoToolchain { .. } => vec![
                "set a default with `gomux default 1.23`, or pin this project with `gomux pin 1.23`"
                    .to_string(),
            ],
            ResolveError::Settings(e) => e.hints(),
            ResolveError::BadRequest { .. }
            | ResolveError::UnusableName { .. }
            | ResolveError::Read { .. } => Vec::new(),
        }
    }
}

/// Resolves the toolchain for one call.
pub fn resolve(input: &Input<'_>) -> Result<Selection, ResolveError> {
    let settings = GoSettings::new(input.env);
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

    // Where the files are looked for: the working directory after `-C`.
    let start = match (input.tool, chdir_flag(args)) {
        (Tool::Go, Some(dir)) => {
            let joined = input.cwd.join(dir);
            std::fs::canonicalize(&joined).unwrap_or(joined)
        }
        _ => input.cwd.to_path_buf(),
    };

    let modules = modules_mode(&settings);
    let found = gowork_mode(&settings)
        .and_then(|gowork| walk(&start, &gowork, modules != ModulesMode::Off, input.env));
    if let Some((request, source)) = explicit {
        // A bad file must not stand in the way of an explicit choice.
        let mut s = sel(request, source, strip);
        s.project_root = found.ok().and_then(|f| f.project_root());
        return Ok(s);
    }
    let found = found?;
    let modules_enabled = match modules {
        ModulesMode::On => true,
        ModulesMode::Off => false,
        ModulesMode::Auto => found.gomod.is_some(),
    };

    // 3. GOTOOLCHAIN (skipped, as in Go, when modules are disabled and for the escape hatches).
    // `go env GOTOOLCHAIN`, `go env -w GOTOOLCHAIN=...`, `go env GOMOD` and `go env GOWORK` run
    // the default toolchain without any switching, so that a bad setting can always be fixed.
    let runs_locally = input.tool == Tool::Go && runs_locally(args);
    let mut use_module_files =
        modules_enabled && !runs_locally && !(input.tool == Tool::Go && ignores_module_files(args));
    let mut default_override: Option<(Request, DefaultSource)> = None;
    let mut path_only = false;
    let gotoolchain = if modules_enabled && !runs_locally {
        settings.get("GOTOOLCHAIN")
    } else {
        None
    };
    if let Some((value, origin)) = gotoolchain {
        match parse_gotoolchain(&value, &origin)? {
            GoToolchain::Exact(name) => {
                check_name(&name, "GOTOOLCHAIN")?;
                let mut s = sel(Request::Exact(name), Source::GoToolchain(origin), false);
                s.project_root = found.project_root();
                return Ok(s);
            }
            GoToolchain::Local => use_module_files = false,
            GoToolchain::Switch { min, path } => {
                path_only = path;
                if let Some(min) = min {
                    check_name(&min, "GOTOOLCHAIN")?;
                    default_override =
                        Some((Request::Exact(min), DefaultSource::GoToolchain(origin)));
                }
            }
        }
    }

    let module = if use_module_files {
        match found.gowork.as_ref().or(found.gomod.as_ref()) {
            Some(path) => Some(ModuleFile {
                path: path.clone(),
                is_work: found.gowork.is_some(),
                lines: files::scan_module_file(path)?,
            }),
            None => None,
        }
    } else {
        None
    };
    let module_root: Option<PathBuf> = found
        .gowork
        .as_ref()
        .filter(|_| modules_enabled)
        .or(found.gomod.as_ref())
        .and_then(|p| p.parent().map(Path::to_path_buf));

    let finish = |request, source, default| {
        let mut s = sel(request, source, false);
        s.path_only = path_only;
        s.module = module.clone();
        s.default = default;
        s
    };

    // 4a. A pin file inside the project (or with no project at all) pins exactly.
    let mut pin_above = None;
    if let Some((pin_path, pin)) = found.pin {
        let pin_dir = pin_path.parent().map(Path::to_path_buf).unwrap_or_default();
        let inside = match &module_root {
            Some(root) => pin_dir.starts_with(root),
            None => true,
        };
        if inside {
            let mut s = finish(
                pin.value,
                Source::PinFile {
                    path: pin_path,
                    line: pin.line,
                },
                None,
            );
            s.project_root = Some(module_root.unwrap_or(pin_dir));
            return Ok(s);
        }
        pin_above = Some((
            pin.value,
            DefaultSource::PinAbove {
                path: pin_path,
                line: pin.line,
            },
        ));
    }

    // The default: GOTOOLCHAIN's minimum, else a pin file above the project, else settings.
    let default = match default_override.or(pin_above) {
        Some(d) => Some(d),
        None => (input.default)()?.map(|(r, p)| (r, DefaultSource::Settings(p))),
    };

    // 4b. Module files: Go's startup selection with the default as "local".
    if let Some(m) = &module {
        let mut s = select_with_module(m, default, input).map_err(|e| match e {
            ResolveError::NoToolchain { cwd, .. } => ResolveError::NoToolchain {
                cwd,
                project_root: module_root.clone(),
            },
            e => e,
        })?;
        s.path_only = path_only;
        s.user_gotoolchain = user_gotoolchain.clone();
        s.project_root = module_root;
        return Ok(s);
    }

    // 5. The default.
    match default {
        Some((request, from)) => {
            let mut s = finish(request, Source::Default(from), None);
            s.project_root = module_root;
            Ok(s)
        }
        None => Err(ResolveError::NoToolchain {
            cwd: start,
            project_root: module_root,
        }),
    }
}

/// Go's startup algorithm (`toolchain.Select`) for one module file.
fn select_with_module(
    m: &ModuleFile,
    default: Option<(Request, DefaultSource)>,
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
                    text::escape(&short_path(&m.path, input.cwd))
                ),
                path: m.path.clone(),
                line: t.line,
            });
        };
        if gomux_version::compare(tv, &chosen_version) == Ordering::Greater {
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
    if let Some(name) = &min
        && !(name.starts_with("go1") || name.contains("-go1"))
    {
        return Err(invalid(format!("invalid GOTOOLCHAIN {}", quote(name))));
    }
    Ok(match (min, mode) {
        (None, None) => GoToolchain::Local,
        (Some(name), None) => GoToolchain::Exact(name),
        (min, Some(mode)) => GoToolchain::Switch {
            min,
            path: mode == "path",
        },
    })
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ModulesMode {
    On,
    Off,
    Auto,
}

fn modules_mode(settings: &GoSettings<'_>) -> ModulesMode {
    match settings
        .get("GO111MODULE")
        .as_ref()
        .map(|(v, _)| v.as_str())
    {
        None | Some("on") => ModulesMode::On,
        Some("auto") => ModulesMode::Auto,
        Some(_) => ModulesMode::Off,
    }
}

enum GoWork {
    Search,
    Off,
    File(PathBuf),
}

fn gowork_mode(settings: &GoSettings<'_>) -> Result<GoWork, ResolveError> {
    match settings.get("GOWORK") {
        None => Ok(GoWork::Search),
        Some((v, _)) if v == "auto" => Ok(GoWork::Search),
        Some((v, _)) if v == "off" => Ok(GoWork::Off),
        Some((v, origin)) => {
            let p = PathBuf::from(&v);
            if p.is_absolute() {
                Ok(GoWork::File(p))
            } else {
                Err(ResolveError::RelativeGoWork { value: v, origin })
            }
        }
    }
}

#[derive(Default)]
struct Found {
    pin: Option<(PathBuf, Lined<Request>)>,
    gowork: Option<PathBuf>,
    gomod: Option<PathBuf>,
}

impl Found {
    /// The folder of the go.work, else the go.mod, else the pin file.
    fn project_root(&self) -> Option<PathBuf> {
        self.gowork
            .as_ref()
            .or(self.gomod.as_ref())
            .or(self.pin.as_ref().map(|(p, _)| p))
            .and_then(|p| p.parent().map(Path::to_path_buf))
    }
}

fn is_file(p: &Path) -> bool {
    std::fs::metadata(p).is_ok_and(|m| m.is_file())
}

/// One walk up from `start`, looking for the nearest pin file, go.work and go.mod.
///
/// This runs on every `go` call: one `stat` per candidate file and level, and the candidate
/// paths are built in one reused buffer.
fn walk(
    start: &Path,
    gowork: &GoWork,
    look_for_modules: bool,
    env: &dyn Fn(&str) -> Option<OsString>,
) -> Result<Found, ResolveError> {
    let mut found = Found::default();
    let tmpdir = env("TMPDIR")
        .filter(|t| !t.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/tmp"));
    if let GoWork::File(p) = gowork
        && look_for_modules
        && is_file(p)
    {
        found.gowork = Some(p.clone());
    }
    let search_work = look_for_modules && matches!(gowork, GoWork::Search);
    let mut buf = PathBuf::with_capacity(start.as_os_str().len() + 16);
    for dir in start.ancestors() {
        if found.pin.is_none() {
            if let Some(text) = read_pin(at(&mut buf, dir, ".go-version"))? {
                found.pin = Some((buf.clone(), files::parse_go_version(&buf, &text)?));
            } else if let Some(text) = read_pin(at(&mut buf, dir, ".tool-versions"))?
                && let Some(l) = files::parse_tool_versions(&buf, &text)?
            {
                found.pin = Some((buf.clone(), l));
            }
        }
        if search_work && found.gowork.is_none() && is_file(at(&mut buf, dir, "go.work")) {
            found.gowork = Some(buf.clone());
        }
        if look_for_modules
            && found.gomod.is_none()
            && is_file(at(&mut buf, dir, "go.mod"))
            && dir != tmpdir
        {
            found.gomod = Some(buf.clone());
        }
        let modules_done = !look_for_modules
            || (found.gomod.is_some() && (!search_work || found.gowork.is_some()));
        if found.pin.is_some() && modules_done {
            break;
        }
    }
    Ok(found)
}

/// Puts `dir/name` into `buf` (reused across the walk instead of a new path per candidate).
fn at<'b>(buf: &'b mut PathBuf, dir: &Path, name: &str) -> &'b Path {
    buf.clear();
    buf.push(dir);
    buf.push(name);
    buf
}

/// The most a pin file may hold. A `.go-version` is one line and a `.tool-versions` one line
/// per tool, so 64 KiB is hundreds of times any real one, yet still nothing to read, parse or
/// quote: a repository cannot make the proxy read, keep or print more than that.
pub const PIN_FILE_LIMIT: u64 = 64 * 1024;

/// Reads a pin file, `None` when there is none. The file is opened without a `stat` first
/// (`open`, `fstat`, `read`: the same number of calls as the `stat` and plain reads this
/// replaced), only a regular file is read (a FIFO never blocks the proxy), and at most
/// [`PIN_FILE_LIMIT`] bytes.
fn read_pin(path: &Path) -> Result<Option<String>, ResolveError> {
    let bad = |message: String, hint: String| ResolveError::BadPinFile {
        path: path.to_path_buf(),
        message,
        hint,
    };
    let shown = || text::escape_path(path);
    match fsx::read_bounded(path, PIN_FILE_LIMIT) {
        // A valid UTF-8 file (every real one) is not copied again.
        Ok(Some(bytes)) => {
            Ok(Some(String::from_utf8(bytes).unwrap_or_else(|e| {
                String::from_utf8_lossy(e.as_bytes()).into_owned()
            })))
        }
        Ok(None) => Ok(None),
        // A folder that may not be searched hides nothing gomux could use: as when no file is
        // there (only a file that exists but cannot be read is an error).
        Err(ReadError::Io(e))
            if e.source.kind() == std::io::ErrorKind::PermissionDenied
                && std::fs::metadata(path).is_err() =>
        {
            Ok(None)
        }
        Err(ReadError::Io(e)) => Err(bad(
            format!("cannot read `{}`: {}", shown(), fsx::describe(&e.source)),
            match e.source.kind() {
                std::io::ErrorKind::PermissionDenied => format!(
                    "check that you may read `{}` (its owner and mode), or remove it",
                    shown()
                ),
                _ => format!("check `{}`, or remove it", shown()),
            },
        )),
        Err(e) => Err(bad(
            e.to_string(),
            format!(
                "a pin file is a small text file naming one Go version, such as `1.22.3`: replace `{}` with one, or remove it",
                shown()
            ),
        )),
    }
}

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
fn runs_locally(args: &[OsString]) -> bool {
    let a: Vec<&str> = args.iter().filter_map(|a| a.to_str()).collect();
    a.len() == args.len()
        && (a == ["env", "GOTOOLCHAIN"]
            || a == ["env", "GOMOD"]
            || a == ["env", "GOWORK"]
            || (a.len() == 3 && a[0] == "env" && a[1] == "-w" && a[2].starts_with("GOTOOLCHAIN=")))
}

/// `go install pkg@version` and `go run pkg@version` run outside any module.
fn ignores_module_files(args: &[OsString]) -> bool {
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

#[cfg(test)]
mod tests;

//! One answer to "what does a `go` call here get": the selection and its reason, the exact
//! toolchain that satisfies it on this machine, its GOROOT, the project the call belongs to, and
//! its caches.
//!
//! The design decision to know: the proxy and every `gomux` command go through [`locate`], so
//! `gomux show` cannot tell a different story from the one `go` lives — the same working
//! directory rule, the same `-C`, the same installed-toolchain pick, the same project root, the
//! same cache plan. Nothing here writes but the listing's index in `tmp/` ([`crate::listing`]);
//! the proxy prepares the cache folders itself.

use std::cell::OnceCell;
use std::ffi::{OsStr, OsString};
use std::fmt;
use std::path::{Path, PathBuf};

use crate::listing::Names;
use gomux_home::cache::{self, CacheError, CachePlan};
use gomux_home::{Home, Settings, ToolchainsUnreadable, env as vars, fsx};
use gomux_version::{Hints, Request};

use crate::{Input, ResolveError, Selection, Tool, launch};

/// More nested proxy calls than this means a loop (a toolchain that leads back to a proxy).
pub const MAX_DEPTH: u32 = 10;

/// Everything a [`locate`] reads: the home and its settings, where the call runs and with what.
pub struct Site<'a> {
    /// The gomux home: where installed toolchains are looked up and the caches live.
    pub home: &'a Home,
    /// The gomux settings (the default toolchain, the cache settings).
    pub settings: &'a Settings,
    /// The working directory as Go sees it ([`working_dir`]).
    pub cwd: &'a Path,
    /// The arguments after `argv[0]` (`-C dir` and `+VERSION` included, as the user typed them).
    pub args: &'a [OsString],
    /// The tool being called (only `go` reads `-C` and the `go env` forms from `args`).
    pub tool: Tool,
    /// Set when the proxy runs under a versioned name such as `go1.22.3`.
    pub proxy_toolchain: Option<&'a str>,
    /// Environment lookup (`None` for an unset variable).
    pub env: &'a dyn Fn(&str) -> Option<OsString>,
}

/// A call's toolchain on this machine.
#[derive(Clone, Debug)]
pub struct Located {
    /// What was selected and why, as [`crate::resolve`] answered.
    pub selection: Selection,
    /// The exact toolchain name: the one selected, or the newest installed match of a family
    /// (`None` when nothing installed matches the family).
    pub name: Option<String>,
    /// Its GOROOT, when it is installed or linked.
    pub root: Option<PathBuf>,
    /// The release a go.mod/go.work line asked for, when a newer installed patch of the same
    /// minor release runs instead of downloading it ([`gomux_home::config::PREFER_INSTALLED`]).
    pub instead_of: Option<String>,
}

/// Why [`locate`] has no toolchain to give.
#[derive(Debug)]
pub enum LocateError {
    /// Selection failed: a bad file, setting or argument, or nothing selects a toolchain and
    /// no default is set.
    Resolve(ResolveError),
    /// `toolchains/` cannot be read: whether the toolchain is installed cannot be told.
    Toolchains(ToolchainsUnreadable),
}

impl fmt::Display for LocateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LocateError::Resolve(e) => e.fmt(f),
            LocateError::Toolchains(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for LocateError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            LocateError::Resolve(e) => e.source(),
            LocateError::Toolchains(e) => std::error::Error::source(e),
        }
    }
}

impl From<ResolveError> for LocateError {
    fn from(e: ResolveError) -> LocateError {
        LocateError::Resolve(e)
    }
}

impl From<ToolchainsUnreadable> for LocateError {
    fn from(e: ToolchainsUnreadable) -> LocateError {
        LocateError::Toolchains(e)
    }
}

impl Hints for LocateError {
    fn hints(&self) -> Vec<String> {
        match self {
            LocateError::Resolve(e) => e.hints(),
            LocateError::Toolchains(e) => e.hints(),
        }
    }
}

impl LocateError {
    /// The project a call belongs to when only the toolchain is missing (nothing selected and
    /// no default): its caches are still its caches.
    pub fn project_root(&self) -> Option<&Path> {
        match self {
            LocateError::Resolve(ResolveError::NoToolchain { project_root, .. }) => {
                project_root.as_deref()
            }
            _ => None,
        }
    }
}

/// The toolchain a call at `site` gets: the selection, the exact installed name and its GOROOT.
/// `toolchains/` is listed only for a family request (`1.22`) or a go line compared with a
/// family default; a toolchain that can be found runs even when `toolchains/` cannot be listed,
/// and only a lookup that fails for that reason is reported as [`LocateError::Toolchains`].
pub fn locate(site: &Site<'_>) -> Result<Located, LocateError> {
    let names: OnceCell<Result<Names, ToolchainsUnreadable>> = OnceCell::new();
    let listed = || names.get_or_init(|| crate::listing::toolchain_names(site.home));
    let installed = |r: &Request| {
        let names = listed().as_ref().ok()?;
        r.pick(names.iter()).map(str::to_string)
    };
    let default = || launch::default_toolchain(site.settings);
    let selection = crate::resolve(&Input {
        cwd: site.cwd,
        args: site.args,
        tool: site.tool,
        proxy_toolchain: site.proxy_toolchain,
        env: site.env,
        default: &default,
        installed: &installed,
        records: Some(site.home),
    })?;
    let name = match &selection.request {
        Request::Exact(name) => Some(name.clone()),
        family => installed(family),
    };
    let mut name = name;
    let mut root = match name.as_deref() {
        Some(n) => site.home.find_toolchain(n)?,
        None => None,
    };
    let mut instead_of = None;
    if root.is_none()
        && let Some(wanted) = name.as_deref()
        && let Some(newer) = installed_patch(site, &selection, wanted, &installed)?
        && let Some(newer_root) = site.home.find_toolchain(&newer)?
    {
        instead_of = Some(wanted.to_string());
        name = Some(newer);
        root = Some(newer_root);
    }
    if root.is_none()
        && let Some(Err(_)) = names.get()
        && let Some(Err(e)) = names.into_inner()
    {
        return Err(e.into());
    }
    Ok(Located {
        selection,
        name,
        root,
        instead_of,
    })
}

/// For a release a module line asked for (`go 1.23` means go1.23.0 or newer) that is not
/// installed: the newest installed patch of the same minor release that is at least as new,
/// unless `prefer_installed` is off. Go's own auto mode would download exactly `wanted`.
fn installed_patch(
    site: &Site<'_>,
    selection: &Selection,
    wanted: &str,
    installed: &dyn Fn(&Request) -> Option<String>,
) -> Result<Option<String>, LocateError> {
    use crate::Source;
    if !matches!(
        selection.source,
        Source::GoMod { .. } | Source::GoWork { .. }
    ) {
        return Ok(None);
    }
    let Some(version) = gomux_version::from_toolchain(wanted) else {
        return Ok(None);
    };
    if format!("go{version}") != wanted
        || gomux_version::Version::parse(version).is_none_or(|v| v.is_prerelease())
    {
        return Ok(None);
    }
    let (on, _) = gomux_home::config::PREFER_INSTALLED
        .flag(site.env, || Ok::<_, ResolveError>(site.settings))?;
    if !on {
        return Ok(None);
    }
    let family = Request::Family(gomux_version::lang(version).to_string());
    Ok(installed(&family).filter(|newer| {
        gomux_version::from_toolchain(newer)
            .is_some_and(|v| gomux_version::compare(v, version) == std::cmp::Ordering::Greater)
    }))
}

impl Located {
    /// The caches this call gets, computed without writing anything.
    pub fn caches(&self, site: &Site<'_>) -> Result<CachePlan, CacheError> {
        caches_for(
            site,
            self.selection.project_root.as_deref(),
            self.name.as_deref(),
        )
    }

    /// The SDK program to run (`<GOROOT>/bin/go` or `gofmt`), when installed.
    pub fn program(&self, tool: Tool) -> Option<PathBuf> {
        self.root
            .as_ref()
            .map(|r| r.join("bin").join(gomux_home::exe(tool.name())))
    }

    /// The arguments the SDK gets: the call's, without a `+VERSION` first argument.
    pub fn child_args<'a>(&self, args: &'a [OsString]) -> &'a [OsString] {
        if self.selection.strip_first_arg {
            &args[1.min(args.len())..]
        } else {
            args
        }
    }
}

/// The caches of a call at `site` for a project root and toolchain, without writing anything.
pub fn caches_for(
    site: &Site<'_>,
    project_root: Option<&Path>,
    toolchain: Option<&str>,
) -> Result<CachePlan, CacheError> {
    cache::compute(
        site.home,
        site.settings,
        site.env,
        project_root,
        toolchain.unwrap_or(""),
    )
}

/// The working directory as Go sees it: `$PWD` when it names the same folder (keeping the
/// user's symlinked path), else the physical path.
pub fn working_dir(env: &dyn Fn(&str) -> Option<OsString>) -> std::io::Result<PathBuf> {
    let physical = std::env::current_dir()?;
    if let Some(pwd) = env("PWD").map(PathBuf::from)
        && pwd.is_absolute()
        && pwd != physical
        && fsx::same_file(&pwd, Path::new("."))
    {
        return Ok(pwd);
    }
    Ok(physical)
}

/// How many proxies are already running above this one (`GOMUX_RECURSION_DEPTH`).
pub fn recursion_depth(env: &dyn Fn(&str) -> Option<OsString>) -> u32 {
    env(vars::GOMUX_RECURSION_DEPTH)
        .and_then(|d| d.to_str().and_then(|d| d.parse().ok()))
        .unwrap_or(0)
}

/// The tool a proxy stands in for, from its program name (`go`, `gofmt`, `go.exe`), and the
/// toolchain of a versioned proxy (`go1.22.3`). `None` for any other name.
pub fn proxy_name(argv0: &OsStr) -> Option<(Tool, Option<&str>)> {
    let name = Path::new(argv0).file_name().and_then(OsStr::to_str)?;
    let name = name.strip_suffix(".exe").unwrap_or(name);
    match name {
        "go" => Some((Tool::Go, None)),
        "gofmt" => Some((Tool::Gofmt, None)),
        n if is_versioned_proxy_name(n) => Some((Tool::Go, Some(n))),
        _ => None,
    }
}

/// True for the name of a versioned proxy: a Go release name such as `go1.22.3`.
pub fn is_versioned_proxy_name(name: &str) -> bool {
    name.starts_with("go1") && gomux_version::from_toolchain(name).is_some()
}

/// The command that installs a request, for hints (`gomux install 1.22.3`).
pub fn install_command(request: &Request) -> String {
    match request {
        Request::Exact(name) => {
            format!("gomux install {}", name.strip_prefix("go").unwrap_or(name))
        }
        Request::Family(f) => format!("gomux install {f}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxy_names() {
        assert_eq!(proxy_name(OsStr::new("/x/go")), Some((Tool::Go, None)));
        assert_eq!(
            proxy_name(OsStr::new("gofmt.exe")),
            Some((Tool::Gofmt, None))
        );
        assert_eq!(
            proxy_name(OsStr::new("go1.22.3")),
            Some((Tool::Go, Some("go1.22.3")))
        );
        assert_eq!(proxy_name(OsStr::new("gomux")), None);
        assert_eq!(proxy_name(OsStr::new("go1.x")), None);
    }

    #[test]
    fn install_commands() {
        assert_eq!(
            install_command(&Request::Exact("go1.22.3".into())),
            "gomux install 1.22.3"
        );
        assert_eq!(
            install_command(&Request::Family("1.22".into())),
            "gomux install 1.22"
        );
    }

    #[test]
    fn recursion_depth_reads_the_counter() {
        assert_eq!(recursion_depth(&|_| None), 0);
        assert_eq!(recursion_depth(&|_| Some("3".into())), 3);
        assert_eq!(recursion_depth(&|_| Some("x".into())), 0);
    }

    #[test]
    fn a_project_without_a_toolchain_still_has_its_caches() {
        let dir = tempfile::tempdir().unwrap();
        let base = std::fs::canonicalize(dir.path()).unwrap();
        let project = base.join("app");
        std::fs::create_dir_all(project.join("sub")).unwrap();
        std::fs::write(project.join("go.mod"), "module app\n").unwrap();
        let home = Home::new(base.join("gomux"));
        let settings = Settings::default();
        let env = |_: &str| None;
        let cwd = project.join("sub");
        let site = Site {
            home: &home,
            settings: &settings,
            cwd: &cwd,
            args: &[],
            tool: Tool::Go,
            proxy_toolchain: None,
            env: &env,
        };
        let e = locate(&site).unwrap_err();
        assert_eq!(e.project_root(), Some(project.as_path()));
        let plan = caches_for(&site, e.project_root(), None).unwrap();
        assert!(
            plan.gocache
                .is_some_and(|p| p.starts_with(base.join("gomux")))
        );
    }
}

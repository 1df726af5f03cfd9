//! What every command needs: the home, the settings, the working directory, and the same
//! toolchain resolution the proxy does.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use gomux_home::cache::{CacheError, CachePlan};
use gomux_home::{Home, Settings};
use gomux_resolve::locate::{self, LocateError, Located, Site};
use gomux_resolve::{ResolveError, Tool};
use gomux_version::Request;

pub use gomux_resolve::locate::install_command;

pub struct Context {
    pub home: Home,
    pub cwd: PathBuf,
}

/// Where a call belongs and which caches it gets, also when it selects no toolchain.
pub struct Placed {
    /// The toolchain, when one is selected.
    pub located: Option<Located>,
    /// The project the call belongs to (known without a toolchain).
    pub project_root: Option<PathBuf>,
    pub plan: CachePlan,
}

impl Context {
    pub fn from_env() -> anyhow::Result<Context> {
        let home = Home::from_env()?;
        let env = |k: &str| std::env::var_os(k);
        let cwd = locate::working_dir(&env).context("cannot read the current directory")?;
        tracing::debug!("gomux home `{}`", home.root().display());
        Ok(Context { home, cwd })
    }

    /// The settings file, parsed (a missing file gives the defaults).
    pub fn settings(&self) -> anyhow::Result<Settings> {
        let path = self.home.settings_file();
        tracing::debug!(
            "settings from `{}`{}",
            path.display(),
            if path.exists() {
                ""
            } else {
                " (absent: the defaults)"
            }
        );
        Ok(self.home.settings()?)
    }

    /// The installed toolchain that best satisfies `request`.
    pub fn installed(&self, request: &Request) -> Option<String> {
        let names = self.home.toolchain_names();
        request
            .pick(names.iter().map(String::as_str))
            .map(str::to_string)
    }

    /// The toolchain a `go` (or `gofmt`) call with `args` in the working directory gets, exactly
    /// as the proxy decides it.
    pub fn resolve(&self, args: &[OsString], tool: Tool) -> anyhow::Result<Located> {
        let settings = self.settings()?;
        let env = env_var;
        let located = locate::locate(&site(self, &settings, &self.cwd, args, tool, &env))?;
        tracing::debug!(
            "`{}` selects {} ({})",
            self.cwd.display(),
            located.name.as_deref().unwrap_or("no installed toolchain"),
            located.selection.source
        );
        Ok(located)
    }

    /// The toolchain of a `go` call with `args` in `dir` and the caches it gets; the caches are
    /// a result of their own, so a bad cache setting does not hide the toolchain.
    pub fn resolve_with_caches(
        &self,
        dir: &Path,
        args: &[OsString],
    ) -> anyhow::Result<(Located, Result<CachePlan, CacheError>)> {
        let settings = self.settings()?;
        let env = env_var;
        let site = site(self, &settings, dir, args, Tool::Go, &env);
        let located = locate::locate(&site)?;
        let plan = located.caches(&site);
        Ok((located, plan))
    }

    /// Where a `go` call with `args` in `dir` belongs and which caches it gets, as the proxy
    /// decides them, also when no toolchain is selected there.
    pub fn place(&self, dir: &Path, args: &[OsString]) -> anyhow::Result<Placed> {
        let settings = self.settings()?;
        let env = env_var;
        let site = site(self, &settings, dir, args, Tool::Go, &env);
        let (located, project_root) = match locate::locate(&site) {
            Ok(l) => {
                let root = l.selection.project_root.clone();
                (Some(l), root)
            }
            Err(e @ LocateError::Resolve(ResolveError::NoToolchain { .. })) => {
                (None, e.project_root().map(Path::to_path_buf))
            }
            Err(e) => return Err(e.into()),
        };
        let name = located.as_ref().and_then(|l| l.name.as_deref());
        let plan = locate::caches_for(&site, project_root.as_deref(), name)?;
        Ok(Placed {
            located,
            project_root,
            plan,
        })
    }
}

fn env_var(k: &str) -> Option<OsString> {
    std::env::var_os(k)
}

fn site<'a>(
    ctx: &'a Context,
    settings: &'a Settings,
    dir: &'a Path,
    args: &'a [OsString],
    tool: Tool,
    env: &'a dyn Fn(&str) -> Option<OsString>,
) -> Site<'a> {
    Site {
        home: &ctx.home,
        settings,
        cwd: dir,
        args,
        tool,
        proxy_toolchain: None,
        env,
    }
}

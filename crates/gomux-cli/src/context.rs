//! What every command needs: the home, the settings, the working directory, and the same
//! toolchain resolution the proxy does.

use std::ffi::OsString;
use std::path::PathBuf;

use anyhow::Context as _;
use gomux_home::{Home, Settings};
use gomux_resolve::{Input, Selection, Tool, launch};
use gomux_version::Request;

pub struct Context {
    pub home: Home,
    pub cwd: PathBuf,
}

/// A selection plus what it means on this machine.
pub struct Resolved {
    pub selection: Selection,
    /// The exact toolchain name (a family resolved against what is installed).
    pub name: Option<String>,
    /// The GOROOT, when installed.
    pub root: Option<PathBuf>,
}

impl Context {
    pub fn from_env() -> anyhow::Result<Context> {
        let home = Home::from_env()?;
        let cwd = std::env::current_dir().context("cannot read the current directory")?;
        // Keep the user's (possibly symlinked) path when $PWD names the same folder, as Go does.
        let cwd = match std::env::var_os("PWD").map(PathBuf::from) {
            Some(pwd)
                if pwd.is_absolute()
                    && std::fs::canonicalize(&pwd).ok() == std::fs::canonicalize(&cwd).ok() =>
            {
                pwd
            }
            _ => cwd,
        };
        Ok(Context { home, cwd })
    }

    /// The settings file, parsed (a missing file gives the defaults).
    pub fn settings(&self) -> anyhow::Result<Settings> {
        Ok(self.home.settings()?)
    }

    /// The installed toolchain that best satisfies `request`.
    pub fn installed(&self, request: &Request) -> Option<String> {
        let names = self.home.toolchain_names();
        request
            .pick(names.iter().map(String::as_str))
            .map(str::to_string)
    }

    /// Resolves the toolchain for a `go` (or `gofmt`) call with `args` in the working directory,
    /// exactly as the proxy does.
    pub fn resolve(&self, args: &[OsString], tool: Tool) -> anyhow::Result<Resolved> {
        let settings = self.settings()?;
        let env = |k: &str| std::env::var_os(k);
        let default = || launch::default_toolchain(&settings);
        let installed = |r: &Request| self.installed(r);
        // An unreadable `toolchains/` is reported as such, never as "not installed".
        let installed_or_unreadable = || self.home.try_toolchain_names();
        let selection = gomux_resolve::resolve(&Input {
            cwd: &self.cwd,
            args,
            tool,
            proxy_toolchain: None,
            env: &env,
            default: &default,
            installed: &installed,
        })?;
        let name = match &selection.request {
            Request::Exact(n) => Some(n.clone()),
            family => {
                installed_or_unreadable()?;
                self.installed(family)
            }
        };
        let root = match name.as_deref() {
            Some(n) => self.home.find_toolchain(n)?,
            None => None,
        };
        Ok(Resolved {
            selection,
            name,
            root,
        })
    }
}

/// The command that installs a request, for hints.
pub fn install_command(request: &Request) -> String {
    match request {
        Request::Exact(name) => {
            format!("gomux install {}", name.strip_prefix("go").unwrap_or(name))
        }
        Request::Family(f) => format!("gomux install {f}"),
    }
}

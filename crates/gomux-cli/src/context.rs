//! What every command needs: the home, the settings, the working directory.

use std::path::PathBuf;

use anyhow::Context as _;
use gomux_home::{Home, Settings};

pub struct Context {
    pub home: Home,
    pub cwd: PathBuf,
}

impl Context {
    pub fn from_env() -> anyhow::Result<Context> {
        let home = Home::from_env()?;
        let cwd = std::env::current_dir().context("cannot read the current directory")?;
        Ok(Context { home, cwd })
    }

    /// The settings file, parsed (a missing file gives the defaults).
    pub fn settings(&self) -> anyhow::Result<Settings> {
        Ok(self.home.settings()?)
    }
}

//! Which of the Go command's start-up rules hold: a function of the local release.
//!
//! Go's own toolchain selection (`cmd/go/internal/toolchain/select.go` and the few functions it
//! calls) changed between releases, and the release whose rules apply is the one playing Go's
//! "local" toolchain: for gomux, the default toolchain. [`TABLE`] is the one place that says
//! which rule arrived (or left) in which release, and where in Go's sources it comes from; the
//! rest of the crate asks [`Rules::holds`].

/// One start-up rule whose presence depends on the release.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rule {
    /// A `toolchain` line naming the default's own version switches to it (`>=`, 1.21 only;
    /// from 1.22 only a newer one does, `>`).
    ToolchainLineEqualWins,
    /// `go env GOMOD` and `go env GOWORK` run in the invoked toolchain without switching.
    EnvGoModGoWorkRunLocally,
    /// `go install pkg@version` / `go run pkg@version` ignore go.work and go.mod (up to 1.24;
    /// from 1.25 the module files are read first, and only a network query of the module may
    /// switch further).
    PkgAtVersionIgnoresModuleFiles,
    /// `GO111MODULE=auto` turns modules on when only a go.work is found.
    AutoEnabledByGoWork,
    /// `go telemetry` is a command (so `go telemetry -C dir` changes directory).
    TelemetryCommand,
    /// `go work vendor` is a command.
    WorkVendorCommand,
    /// `-json` is a boolean flag of `go run` and `go install`.
    BuildJsonFlag,
    /// A relative `$XDG_CONFIG_HOME` means there is no go env file (before, it was used
    /// relative to the folder Go started in).
    RelativeConfigDirIgnored,
}

/// A rule holds from `since` (a Go minor number: 21 for Go 1.21) up to, not including, `until`.
struct Entry {
    rule: Rule,
    since: u32,
    until: u32,
}

const OPEN: u32 = u32::MAX;

/// Which rule holds in which releases, with the Go source each comes from (paths under
/// `src/cmd/go/`; read at 1.21.13, 1.22.12, 1.23.5, 1.24.4, 1.25.12, 1.26.10 and 1.27.3).
const TABLE: &[Entry] = &[
    // internal/toolchain/select.go, Select: `gover.Compare(toolVers, minVers) >= 0` in 1.21,
    // `> 0` from 1.22 ("If it is equal, then min satisfies it anyway").
    Entry {
        rule: Rule::ToolchainLineEqualWins,
        since: 0,
        until: 22,
    },
    // internal/toolchain/select.go, Select: the special case for `go env GOMOD` and
    // `go env GOWORK` (Go issue 61455), added in 1.23.
    Entry {
        rule: Rule::EnvGoModGoWorkRunLocally,
        since: 23,
        until: OPEN,
    },
    // internal/toolchain/select.go, Select: `... && !goInstallVersion()` skips modGoToolchain
    // up to 1.24; 1.25 reads the module files and calls maybeSwitchForGoInstallVersion after.
    Entry {
        rule: Rule::PkgAtVersionIgnoresModuleFiles,
        since: 0,
        until: 25,
    },
    // internal/modload/init.go, WillBeEnabled: `FindGoMod(...) != "" || ld.FindGoWork(...) != ""`
    // from 1.27 (only FindGoMod before).
    Entry {
        rule: Rule::AutoEnabledByGoWork,
        since: 27,
        until: OPEN,
    },
    // main.go, base.Go.Commands: telemetrycmd.CmdTelemetry from 1.23.
    Entry {
        rule: Rule::TelemetryCommand,
        since: 23,
        until: OPEN,
    },
    // internal/workcmd/work.go, CmdWork.Commands: cmdVendor from 1.22.
    Entry {
        rule: Rule::WorkVendorCommand,
        since: 22,
        until: OPEN,
    },
    // internal/work/build.go, AddBuildFlags: `cmd.Flag.BoolVar(&cfg.BuildJSON, "json", ...)`
    // from 1.24.
    Entry {
        rule: Rule::BuildJsonFlag,
        since: 24,
        until: OPEN,
    },
    // os/file.go, UserConfigDir: `else if !filepathlite.IsAbs(dir) { return "", errors.New("path
    // in $XDG_CONFIG_HOME is relative") }` from 1.24 (cmd/go reads its env file through it).
    Entry {
        rule: Rule::RelativeConfigDirIgnored,
        since: 24,
        until: OPEN,
    },
];

/// The rules of one local release.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rules {
    minor: u32,
}

impl Rules {
    /// The newest rules gomux knows: used when the local release is unknown (no default) or
    /// newer than every release the table was read from.
    pub const NEWEST: Rules = Rules { minor: OPEN - 1 };

    /// The rules of the release a Go version (`1.23.5`, `1.27rc1`) belongs to. Releases before
    /// 1.21 had no toolchain selection at all; gomux applies 1.21's rules to them, and the
    /// newest rules to a version it cannot read.
    pub fn for_version(version: &str) -> Rules {
        let minor = version
            .strip_prefix("1.")
            .map(|rest| {
                let end = rest
                    .find(|c: char| !c.is_ascii_digit())
                    .unwrap_or(rest.len());
                &rest[..end]
            })
            .and_then(|m| m.parse::<u32>().ok());
        match minor {
            Some(m) => Rules { minor: m.max(21) },
            None => Rules::NEWEST,
        }
    }

    /// The rules of the release a toolchain name (`go1.23.5`, `go1.22.0-custom`) belongs to.
    pub fn for_toolchain(name: &str) -> Rules {
        match gomux_version::from_toolchain(name) {
            Some(v) => Rules::for_version(v),
            None => Rules::NEWEST,
        }
    }

    /// Whether `rule` holds in this release.
    pub fn holds(self, rule: Rule) -> bool {
        TABLE
            .iter()
            .find(|e| e.rule == rule)
            .is_some_and(|e| e.since <= self.minor && self.minor < e.until)
    }
}

impl Default for Rules {
    fn default() -> Rules {
        Rules::NEWEST
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn releases_pick_their_rules() {
        let r = |v: &str| Rules::for_version(v);
        assert!(r("1.21.13").holds(Rule::ToolchainLineEqualWins));
        assert!(!r("1.22.0").holds(Rule::ToolchainLineEqualWins));
        assert!(!r("1.22.12").holds(Rule::EnvGoModGoWorkRunLocally));
        assert!(r("1.23rc1").holds(Rule::EnvGoModGoWorkRunLocally));
        assert!(r("1.24.4").holds(Rule::PkgAtVersionIgnoresModuleFiles));
        assert!(!r("1.25.0").holds(Rule::PkgAtVersionIgnoresModuleFiles));
        assert!(!r("1.26.10").holds(Rule::AutoEnabledByGoWork));
        assert!(r("1.27.3").holds(Rule::AutoEnabledByGoWork));
        assert!(r("1.40.0").holds(Rule::AutoEnabledByGoWork));
        assert!(
            r("1.20").holds(Rule::ToolchainLineEqualWins),
            "pre-1.21 = 1.21"
        );
        assert_eq!(r("bogus"), Rules::NEWEST);
        assert_eq!(Rules::for_toolchain("go1.22.0-custom"), r("1.22"));
        for e in TABLE {
            assert!(e.since < e.until);
            assert_eq!(TABLE.iter().filter(|o| o.rule == e.rule).count(), 1);
        }
    }
}

//! Every `GOMUX_*` environment variable, declared once with its doc line.
//!
//! Code reads variables through these constants; `docs/environment.md` is generated from
//! [`VARS`] (`cargo xtask docs`), so the list and the docs cannot drift apart.

/// A documented environment variable.
#[derive(Clone, Copy, Debug)]
pub struct EnvVar {
    /// The variable's name (`GOMUX_HOME`).
    pub name: &'static str,
    /// Its doc comment as one Markdown string, as `docs/environment.md` shows it.
    pub doc: &'static str,
}

macro_rules! vars {
    ($($(#[doc = $doc:literal])+ $ident:ident;)+) => {
        $(
            $(#[doc = $doc])+
            pub const $ident: &str = stringify!($ident);
        )+
        /// Every variable, in declaration order.
        pub const VARS: &[EnvVar] = &[$(EnvVar { name: stringify!($ident), doc: concat!($($doc),+) }),+];
    };
}

vars! {
    /// The gomux home folder (toolchains, proxies, settings, default cache root). Any absolute path, on any drive. Default: `~/.gomux`.
    GOMUX_HOME;
    /// Selects the toolchain for every `go` call, above GOTOOLCHAIN and the project's files (`1.22.3`, `go1.22.3`, `1.22`).
    GOMUX_TOOLCHAIN;
    /// `0` turns automatic installs of a missing toolchain off (the proxy then prints the command to run). Default: on.
    GOMUX_AUTO_INSTALL;
    /// `0` makes a go.mod/go.work line that names a missing release download exactly that one, as Go does, even when a newer patch of the same minor release is installed. Default: on (the installed patch runs).
    GOMUX_PREFER_INSTALLED;
    /// The cache policy: `project` (default), `shared`, `toolchain`, `job` or `off`.
    GOMUX_CACHE_MODE;
    /// The cache root for GOCACHE/GOMODCACHE: any absolute folder. Default: `$GOMUX_HOME/cache`.
    GOMUX_CACHE_DIR;
    /// `0` turns the machine-wide module download store off: each project's module cache then keeps its own `cache/download`. Default: on.
    GOMUX_CACHE_MODULE_STORE;
    /// `off` turns the base build cache per toolchain off: no background builds, no seeding of project caches from it. Default: `auto`.
    GOMUX_CACHE_BASE;
    /// A remote build cache speaking the Bazel HTTP remote-cache protocol (`https://cache.example/go`, `http://` on loopback): with Go 1.24 or later, the proxy runs Go with `GOCACHEPROG` set to `gomux cacheprog`, which answers from the local build cache and then from the remote.
    GOMUX_CACHE_REMOTE;
    /// `read` (default) or `read-write`: whether `gomux cacheprog` uploads what Go builds to the remote cache.
    GOMUX_CACHE_REMOTE_MODE;
    /// One HTTP header sent with every remote-cache request, as `Name: value` (`Authorization: Bearer …`). Never printed.
    GOMUX_CACHE_REMOTE_HEADER;
    /// `1` makes `gomux cacheprog` print a summary of its local and remote hits, misses and errors on stderr when Go closes it.
    GOMUX_CACHE_REMOTE_SUMMARY;
    /// Seconds `gomux cacheprog` waits for the remote cache to connect or to answer a request before it counts a miss. Default: 5.
    GOMUX_CACHE_REMOTE_TIMEOUT;
    /// The job id for the `job` cache policy; it comes before the CI system's own (`CI_JOB_ID`, `GITHUB_RUN_ID`, `BUILDKITE_JOB_ID`, `BUILD_TAG`).
    GOMUX_JOB_ID;
    /// A mirror of the Go downloads: archives at `BASE/<file>`, the index at `BASE/?mode=json&include=all` (`BASE/index.json` for `file://`).
    GOMUX_DIST_SERVER;
    /// The release index location alone, overriding the one derived from the download server.
    GOMUX_DIST_INDEX;
    /// Where toolchains come from: `downloads` (default) or `goproxy` (the module `golang.org/toolchain` through `GOPROXY`, proven by `GOSUMDB`).
    GOMUX_DIST_SOURCE;
    /// With `GOMUX_DIST_SOURCE=goproxy`: `1` installs a toolchain the checksum database cannot prove (recorded as unverified).
    GOMUX_DIST_ALLOW_UNVERIFIED;
    /// `1` allows a plain `http://` mirror that is not on loopback.
    GOMUX_DIST_ALLOW_HTTP;
    /// Seconds to wait for another gomux that is installing or uninstalling the same toolchain (`600`, `0.5`; huge values mean wait very long). Default: 600.
    GOMUX_LOCK_TIMEOUT;
    /// Seconds before a network read with no progress is abandoned. Default: 30.
    GOMUX_HTTP_TIMEOUT;
    /// Where `gomux self update` looks for new releases: a folder URL holding `gomux-<os>-<arch>` and its `.sha256` (`https://`, `http://` on loopback, `file://`).
    GOMUX_SELF_UPDATE_URL;
    /// Set by the proxy in the environment of the SDK it runs, to stop a proxy that finds itself from looping. Internal.
    GOMUX_RECURSION_DEPTH;
    /// Set by `gomux install --for-proxy` when it runs the proxy again after installing, so a toolchain still missing afterwards is an error, not a loop. Internal.
    GOMUX_AUTO_INSTALLED;
    /// `1` makes the proxy print one line on stderr before it runs the SDK: the toolchain, what selected it (a file and line, or a variable), the GOCACHE and GOMODCACHE the SDK gets, and the binary it runs. Costs nothing when unset.
    GOMUX_DEBUG;
    /// A mount table for `gomux doctor` to read instead of `/proc/self/mountinfo` (either that format or `/proc/mounts`'s). For tests and diagnostics.
    GOMUX_MOUNTINFO;
    /// The `gomux` command's log lines on stderr, as filters: a level (`info`, `debug`, `trace`), `target=level` pairs, or both (`gomux_dist=debug,warn`). Overrides `-v`. The proxy never reads it.
    GOMUX_LOG;
    /// `1` turns the download progress bars of `gomux` off (they are only drawn when stderr is a terminal anyway); as `--no-progress`.
    GOMUX_NO_PROGRESS;
}

/// Looks a variable up by name.
pub fn find(name: &str) -> Option<&'static EnvVar> {
    VARS.iter().find(|v| v.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_is_complete_and_documented() {
        assert_eq!(find(GOMUX_HOME).map(|v| v.name), Some("GOMUX_HOME"));
        for v in VARS {
            assert!(v.name.starts_with("GOMUX_"), "{}", v.name);
            assert!(!v.doc.trim().is_empty(), "{} has no doc", v.name);
        }
    }
}

//! Toolchains from the user's module proxy: the module `golang.org/toolchain`, version
//! `v0.0.1-go1.X.Y.GOOS-GOARCH`, fetched through the GOPROXY list Go would use and proven by
//! the checksum database before anything is unpacked.
//!
//! The design decision to know: the proof comes first. gomux asks the checksum database for
//! the module's record and proves it ([`crate::sumdb`]) before it downloads the zip, so a
//! toolchain without a proof costs no download and is refused (unless the user allowed
//! unverified installs); the zip's `h1:` hash must then equal the proven one before one file
//! is written. `GOINSECURE`, `GONOSUMDB` and `GOPRIVATE` change none of this.

use std::ffi::OsString;
use std::fs;
use std::path::Path;

use gomux_home::goenv::{GoSettings, Origin as GoOrigin};
use gomux_home::text;
use reqwest::Url;

use crate::error::DistError;
use crate::fetch::shown;
use crate::platform::Platform;
use crate::sumdb::{Proof, SumDb};

/// The toolchain module's path.
pub const MODULE: &str = "golang.org/toolchain";
/// Go's GOPROXY when nothing sets it.
pub const DEFAULT_GOPROXY: &str = "https://proxy.golang.org,direct";
/// The file in an installed toolchain recording what proved it.
pub const PROOF_FILE: &str = ".gomux-proof";

/// One entry of the GOPROXY list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// A proxy URL (ends with `/`).
    Url(Url),
    /// `direct`: the module's own repository; the toolchain module has none, so it is skipped.
    Direct,
    /// `off`: no further source.
    Off,
}

/// One entry and what its separator says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// Where.
    pub target: Target,
    /// `|` after it: any error falls through to the next entry (`,`: only 404 and 410).
    pub on_any_error: bool,
}

/// The GOPROXY list and where it was set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProxyList {
    /// The entries, up to and including the first `direct` or `off`.
    pub entries: Vec<Entry>,
    /// The value, redacted and escaped, for messages.
    pub value: String,
    /// Where it was set.
    pub origin: String,
}

impl ProxyList {
    /// Parses a GOPROXY value as Go does: entries separated by `,` or `|`, `https://` added
    /// to an entry without a scheme, nothing after `direct` or `off`.
    pub fn parse(value: &str, origin: &str, allow_http: bool) -> Result<ProxyList, DistError> {
        let shown_value = text::escape_max(&text::redact_urls(value), 400);
        let bad = |why: String| DistError::NoProxy {
            value: shown_value.clone(),
            origin: origin.to_string(),
            why,
        };
        let mut entries = Vec::new();
        let mut rest = value;
        while !rest.is_empty() {
            let (item, on_any_error) = match rest.find([',', '|']) {
                Some(i) => {
                    let sep = rest.as_bytes()[i];
                    let item = &rest[..i];
                    rest = &rest[i + 1..];
                    (item, sep == b'|')
                }
                None => {
                    let item = rest;
                    rest = "";
                    (item, false)
                }
            };
            let item = item.trim();
            if item.is_empty() {
                continue;
            }
            let target = match item {
                "off" => Target::Off,
                "direct" => Target::Direct,
                url => {
                    let full = if url.contains("://") {
                        url.to_string()
                    } else {
                        format!("https://{url}")
                    };
                    let mut u = Url::parse(&full).map_err(|e| {
                        bad(format!(
                            "`{}` is not a URL ({e})",
                            text::escape_max(&text::redact_urls(url), 200)
                        ))
                    })?;
                    if !crate::source::scheme_allowed(&u, allow_http)
                        || (u.scheme() == "file" && u.to_file_path().is_err())
                    {
                        return Err(bad(format!(
                            "`{}` is not `https://`, `file:///folder` or loopback `http://` (set `GOMUX_DIST_ALLOW_HTTP=1` for another plain-HTTP host)",
                            shown(&u)
                        )));
                    }
                    if !u.path().ends_with('/') {
                        let p = format!("{}/", u.path());
                        u.set_path(&p);
                    }
                    Target::Url(u)
                }
            };
            let stop = matches!(target, Target::Off | Target::Direct);
            entries.push(Entry {
                target,
                on_any_error,
            });
            if stop {
                break;
            }
        }
        Ok(ProxyList {
            entries,
            value: shown_value,
            origin: origin.to_string(),
        })
    }

    /// The proxy URLs, in order, before `direct` or `off`.
    pub fn urls(&self) -> Vec<Url> {
        self.entries
            .iter()
            .filter_map(|e| match &e.target {
                Target::Url(u) => Some(u.clone()),
                _ => None,
            })
            .collect()
    }

    /// Runs `f` on each proxy in turn with Go's fall-through rules; returns the first success
    /// and the proxy that gave it.
    pub(crate) fn first<T>(
        &self,
        mut f: impl FnMut(&Url) -> Result<T, DistError>,
    ) -> Result<(T, Url), DistError> {
        let mut last: Option<DistError> = None;
        for entry in &self.entries {
            match &entry.target {
                Target::Off => {
                    return Err(last.unwrap_or_else(|| DistError::NoProxy {
                        value: self.value.clone(),
                        origin: self.origin.clone(),
                        why: "the list reaches `off` before any proxy".to_string(),
                    }));
                }
                Target::Direct => break,
                Target::Url(base) => match f(base) {
                    Ok(v) => return Ok((v, base.clone())),
                    Err(e @ DistError::NotFound { .. }) => last = Some(e),
                    Err(e) if entry.on_any_error => last = Some(e),
                    Err(e) => return Err(e),
                },
            }
        }
        Err(last.unwrap_or_else(|| DistError::NoProxy {
            value: self.value.clone(),
            origin: self.origin.clone(),
            why: "it names no proxy (`direct` does not serve `golang.org/toolchain`)".to_string(),
        }))
    }
}

/// The configured goproxy source: the list, the database, and whether an install without a
/// proof is allowed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GoProxy {
    /// The GOPROXY list.
    pub proxies: ProxyList,
    /// GOSUMDB.
    pub sumdb: SumDb,
    /// Where GOSUMDB was set (for messages).
    pub sumdb_origin: String,
    /// `--allow-unverified` or `dist.allow_unverified`.
    pub allow_unverified: bool,
}

fn origin_text(o: Option<GoOrigin>, name: &str) -> String {
    match o {
        Some(GoOrigin::Env) => format!("`{name}` in the environment"),
        Some(GoOrigin::File(p)) => format!("`{name}` in `{}`", p.display()),
        None => format!("Go's default `{name}`"),
    }
}

impl GoProxy {
    /// GOPROXY and GOSUMDB as Go reads them: the environment, then the `go env -w` file, then
    /// Go's defaults.
    pub fn from_go_env(
        get: &dyn Fn(&str) -> Option<OsString>,
        allow_http: bool,
        allow_unverified: bool,
    ) -> Result<GoProxy, DistError> {
        let go = GoSettings::new(get);
        let (proxy, proxy_origin) = match go.get("GOPROXY") {
            Some((v, o)) if !v.is_empty() => (v, Some(o)),
            _ => (DEFAULT_GOPROXY.to_string(), None),
        };
        let proxies = ProxyList::parse(&proxy, &origin_text(proxy_origin, "GOPROXY"), allow_http)?;
        let (sum, sum_origin) = match go.get("GOSUMDB") {
            Some((v, o)) if !v.is_empty() => (v, Some(o)),
            _ => (String::new(), None),
        };
        let sumdb_origin = origin_text(sum_origin, "GOSUMDB");
        let mut sumdb = SumDb::parse(&sum, allow_http).map_err(|why| DistError::BadSource {
            value: text::escape_max(&text::redact_urls(&sum), 200),
            origin: sumdb_origin.clone(),
            reason: why,
        })?;
        let mut proxies = proxies;
        // GOAUTH: `netrc` (Go's default) and `off`; a password in a URL is used as it is.
        let goauth = go.get("GOAUTH").map(|(v, _)| v).unwrap_or_default();
        if goauth.trim().is_empty() || goauth.trim() == "netrc" {
            let netrc = netrc_file(get)
                .and_then(|p| gomux_home::fsx::read_bounded(&p, 1 << 20).ok().flatten());
            if let Some(bytes) = netrc {
                let machines = parse_netrc(&String::from_utf8_lossy(&bytes));
                for entry in &mut proxies.entries {
                    if let Target::Url(u) = &mut entry.target {
                        add_credentials(u, &machines);
                    }
                }
                if let SumDb::On(db) = &mut sumdb {
                    add_credentials(&mut db.url, &machines);
                }
            }
        }
        Ok(GoProxy {
            proxies,
            sumdb,
            sumdb_origin,
            allow_unverified,
        })
    }
}

/// `$NETRC`, else `~/.netrc`.
fn netrc_file(get: &dyn Fn(&str) -> Option<OsString>) -> Option<std::path::PathBuf> {
    if let Some(p) = get("NETRC").filter(|v| !v.is_empty()) {
        return Some(p.into());
    }
    get("HOME")
        .filter(|v| !v.is_empty())
        .map(|h| std::path::PathBuf::from(h).join(".netrc"))
}

/// `(machine, login, password)` from a `.netrc` text (`default` as the machine `""`).
fn parse_netrc(text: &str) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    let mut words = text.split_whitespace();
    let mut current: Option<(String, String, String)> = None;
    while let Some(w) = words.next() {
        match w {
            "machine" | "default" => {
                if let Some(c) = current.take() {
                    out.push(c);
                }
                let host = if w == "machine" {
                    words.next().unwrap_or_default().to_string()
                } else {
                    String::new()
                };
                current = Some((host, String::new(), String::new()));
            }
            "login" => {
                if let (Some(c), Some(v)) = (&mut current, words.next()) {
                    c.1 = v.to_string();
                }
            }
            "password" => {
                if let (Some(c), Some(v)) = (&mut current, words.next()) {
                    c.2 = v.to_string();
                }
            }
            // A macro runs to the next empty line; gomux reads no macros.
            "macdef" => break,
            _ => {}
        }
    }
    if let Some(c) = current {
        out.push(c);
    }
    out
}

/// Puts the `.netrc` login of `url`'s host into it, unless the URL carries its own.
fn add_credentials(url: &mut Url, machines: &[(String, String, String)]) {
    if !url.username().is_empty() || !matches!(url.scheme(), "https" | "http") {
        return;
    }
    let host = url.host_str().unwrap_or_default().to_string();
    let found = machines
        .iter()
        .find(|(m, _, _)| *m == host)
        .or_else(|| machines.iter().find(|(m, _, _)| m.is_empty()));
    if let Some((_, login, password)) = found
        && !login.is_empty()
    {
        let _ = url.set_username(login);
        let _ = url.set_password(Some(password));
    }
}

/// The module version of toolchain `name` for `platform` (`v0.0.1-go1.23.5.linux-amd64`);
/// 32-bit ARM is `linux-arm` here.
pub fn module_version(name: &str, platform: &Platform) -> String {
    let arch = if platform.arch == "armv6l" {
        "arm"
    } else {
        platform.arch.as_str()
    };
    format!("v0.0.1-{name}.{}-{arch}", platform.os)
}

/// The toolchain names `@v/list` offers for `platform`.
pub fn names_for(list: &str, platform: &Platform) -> Vec<String> {
    let suffix = module_version("", platform);
    let suffix = suffix.trim_start_matches("v0.0.1-");
    let mut names: Vec<String> = list
        .lines()
        .filter_map(|l| {
            l.trim()
                .strip_prefix("v0.0.1-")?
                .strip_suffix(suffix)
                .map(str::to_string)
        })
        .filter(|n| gomux_version::is_safe_name(n) && gomux_version::from_toolchain(n).is_some())
        .collect();
    names.sort();
    names.dedup();
    names
}

/// What `.gomux-proof` records.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recorded {
    /// `golang.org/toolchain@v0.0.1-...`.
    pub module: String,
    /// The proven zip hash (or the zip's own hash when installed unverified).
    pub zip_h1: String,
    /// The hash of the unpacked files (the zip hash less its folder entries, if any).
    pub tree_h1: String,
    /// `sumdb <name> record <id> tree <size> <hash> via <url>`, or `unverified: <why>`.
    pub proof: String,
}

impl Recorded {
    pub(crate) fn render(&self) -> String {
        format!(
            "# written by gomux: what proved this toolchain\nmodule={}\nh1={}\ntree_h1={}\nproof={}\n",
            self.module, self.zip_h1, self.tree_h1, self.proof
        )
    }

    /// Reads the record of an installed toolchain; `None` when it has none.
    pub fn read(dir: &Path) -> Result<Option<Recorded>, DistError> {
        let path = dir.join(PROOF_FILE);
        let bytes = match gomux_home::fsx::read_bounded(&path, 64 * 1024) {
            Ok(Some(b)) => b,
            Ok(None) => return Ok(None),
            Err(e) => {
                return Err(DistError::Corrupt {
                    archive: path.display().to_string(),
                    detail: text::escape_max(&e.to_string(), 300),
                });
            }
        };
        let text = String::from_utf8_lossy(&bytes);
        let field = |k: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(k)?.strip_prefix('='))
                .map(str::to_string)
        };
        match (
            field("module"),
            field("h1"),
            field("tree_h1"),
            field("proof"),
        ) {
            (Some(module), Some(zip_h1), Some(tree_h1), Some(proof)) => Ok(Some(Recorded {
                module,
                zip_h1,
                tree_h1,
                proof,
            })),
            _ => Err(DistError::Corrupt {
                archive: path.display().to_string(),
                detail: "the proof record is incomplete".to_string(),
            }),
        }
    }
}

impl Recorded {
    pub(crate) fn new(
        module: String,
        zip_h1: String,
        tree_h1: String,
        proof: Option<&Proof>,
        why: Option<&str>,
    ) -> Recorded {
        let proof = match (proof, why) {
            (Some(p), _) => format!(
                "sumdb {} record {} tree {} {} via {}",
                p.db, p.record, p.tree_size, p.tree_hash, p.via
            ),
            (None, why) => format!(
                "unverified: {}",
                text::escape_max(why.unwrap_or("allowed by the user"), 300)
            ),
        };
        Recorded {
            module,
            zip_h1,
            tree_h1,
            proof,
        }
    }
}

/// Makes the unpacked tree what Go makes of a toolchain module: every `_go.mod` copied to a
/// `go.mod` beside it, `src/go.mod` last (its presence says the tree is complete). The execute
/// bits were set by the unpacker (`bin/`, `pkg/tool/`, `lib/**/go_*_exec`).
pub(crate) fn fix_tree(root: &Path) -> Result<(), DistError> {
    let src_under = root.join("src").join("_go.mod");
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries = fs::read_dir(&dir).map_err(|e| DistError::io("read", &dir, e))?;
        for entry in entries {
            let entry = entry.map_err(|e| DistError::io("read", &dir, e))?;
            let path = entry.path();
            let kind = entry
                .file_type()
                .map_err(|e| DistError::io("read", &path, e))?;
            if kind.is_dir() {
                stack.push(path);
            } else if entry.file_name() == "_go.mod" && path != src_under {
                copy_go_mod(&path)?;
            }
        }
    }
    if src_under.is_file() {
        copy_go_mod(&src_under)?;
    }
    Ok(())
}

fn copy_go_mod(under: &Path) -> Result<(), DistError> {
    let dest = under.with_file_name("go.mod");
    if fs::symlink_metadata(&dest).is_ok() {
        // A tree holding both names is not one Go packed.
        return Err(DistError::Hostile {
            archive: under.display().to_string(),
            entry: "go.mod".to_string(),
            reason: "sits beside `_go.mod` in a toolchain module".to_string(),
        });
    }
    fs::copy(under, &dest).map_err(|e| DistError::io("write", &dest, e))?;
    crate::extract::set_mode(&dest, 0o644)
        .map_err(|e| DistError::io("set the mode of", &dest, e))?;
    Ok(())
}

/// The hash of an installed toolchain's files as the zip named them: gomux's own files left
/// out, and each `go.mod` Go made from a `_go.mod` left out after checking it is a copy.
pub fn tree_h1(dir: &Path, module: &str) -> Result<String, String> {
    let mut files = gomux_cache::dirhash::dir_files(dir, module).map_err(|e| e.to_string())?;
    let own = [
        format!("{module}/{PROOF_FILE}"),
        format!("{module}/{}", gomux_home::fsx::TOOLCHAIN_MARKER.file),
    ];
    for name in &own {
        files.remove(name);
    }
    let made: Vec<String> = files
        .keys()
        .filter(|n| n.ends_with("/go.mod"))
        .cloned()
        .collect();
    for name in made {
        let under = format!("{}_go.mod", name.trim_end_matches("go.mod"));
        match files.get(&under) {
            Some(h) if *h == files[&name] => {
                files.remove(&name);
            }
            Some(_) => return Err(format!("`{name}` differs from the `_go.mod` beside it")),
            None => return Err(format!("`{name}` is not in the toolchain module")),
        }
    }
    Ok(gomux_cache::dirhash::hash1(&files))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn urls(list: &ProxyList) -> Vec<String> {
        list.entries
            .iter()
            .map(|e| match &e.target {
                Target::Url(u) => format!("{}{}", u, if e.on_any_error { "|" } else { "," }),
                Target::Direct => "direct".into(),
                Target::Off => "off".into(),
            })
            .collect()
    }

    #[test]
    fn goproxy_lists_as_go_reads_them() {
        // A `file://` URL names an absolute folder of this platform.
        let share = if cfg!(windows) {
            "file:///C:/srv/m"
        } else {
            "file:///srv/m"
        };
        let l = ProxyList::parse(
            &format!("https://a.example/p|corp.example, {share} ,direct,https://never.example"),
            "t",
            false,
        )
        .unwrap();
        assert_eq!(
            urls(&l),
            [
                "https://a.example/p/|".to_string(),
                "https://corp.example/,".to_string(),
                format!("{share}/,"),
                "direct".to_string()
            ]
        );
        let l = ProxyList::parse("off", "t", false).unwrap();
        assert_eq!(urls(&l), ["off"]);
        assert!(ProxyList::parse("http://corp.example", "t", false).is_err());
        assert!(ProxyList::parse("http://127.0.0.1:8/", "t", false).is_ok());
        let e = ProxyList::parse("ftp://alice:s3cret@x.example", "t", false)
            .unwrap_err()
            .to_string();
        assert!(!e.contains("s3cret"), "{e}");
    }

    #[test]
    fn fall_through_follows_the_separators() {
        let not_found = |u: &Url| DistError::NotFound {
            url: u.to_string(),
            what: None,
            redirected: None,
        };
        let status = |u: &Url| DistError::Status {
            url: u.to_string(),
            status: 500,
            redirected: None,
        };
        let l = ProxyList::parse("https://a.example,https://b.example", "t", false).unwrap();
        let (v, from) = l
            .first(|u| {
                if u.host_str() == Some("a.example") {
                    Err(not_found(u))
                } else {
                    Ok(1)
                }
            })
            .unwrap();
        assert_eq!((v, from.as_str()), (1, "https://b.example/"));
        // `,` stops at any other error; `|` goes on.
        let e = l.first(|u| {
            if u.host_str() == Some("a.example") {
                Err(status(u))
            } else {
                Ok(1)
            }
        });
        assert!(matches!(e, Err(DistError::Status { .. })));
        let l = ProxyList::parse("https://a.example|https://b.example", "t", false).unwrap();
        assert!(
            l.first(|u| if u.host_str() == Some("a.example") {
                Err(status(u))
            } else {
                Ok(1)
            })
            .is_ok()
        );
        // `off` stops, `direct` is skipped for this module.
        let l = ProxyList::parse("https://a.example,off,https://b.example", "t", false).unwrap();
        assert!(matches!(
            l.first(|u| -> Result<(), _> { Err(not_found(u)) }),
            Err(DistError::NotFound { .. })
        ));
        let l = ProxyList::parse("direct", "t", false).unwrap();
        let e = l.first(|_| Ok(())).unwrap_err().to_string();
        assert!(e.contains("direct"), "{e}");
    }

    #[test]
    fn netrc_credentials_go_to_their_host_only() {
        let m = parse_netrc(
            "machine corp.example login alice password s3cret\nmachine other.example\n login bob password pw\n",
        );
        let mut u = Url::parse("https://corp.example/proxy/").unwrap();
        add_credentials(&mut u, &m);
        assert_eq!((u.username(), u.password()), ("alice", Some("s3cret")));
        assert_eq!(shown(&u), "https://***@corp.example/proxy/");
        let mut u = Url::parse("https://third.example/").unwrap();
        add_credentials(&mut u, &m);
        assert_eq!(u.username(), "");
        let mut u = Url::parse("https://carol:own@corp.example/").unwrap();
        add_credentials(&mut u, &m);
        assert_eq!(u.username(), "carol", "a URL's own login wins");
        let d = parse_netrc("default login dan password x");
        let mut u = Url::parse("https://any.example/").unwrap();
        add_credentials(&mut u, &d);
        assert_eq!(u.username(), "dan");
    }

    #[test]
    fn versions_and_lists() {
        let p = Platform::new("linux", "amd64");
        assert_eq!(
            module_version("go1.23.5", &p),
            "v0.0.1-go1.23.5.linux-amd64"
        );
        assert_eq!(
            module_version("go1.23.5", &Platform::new("linux", "armv6l")),
            "v0.0.1-go1.23.5.linux-arm"
        );
        let list = "v0.0.1-go1.23.5.linux-amd64\nv0.0.1-go1.23.5.darwin-arm64\nv0.0.1-go1.22.12.linux-amd64\nv0.0.1-go1.21rc2.linux-amd64\nv0.0.1-../x.linux-amd64\n";
        assert_eq!(names_for(list, &p), ["go1.21rc2", "go1.22.12", "go1.23.5"]);
    }
}

//! Where releases come from: the official index and download host, or a mirror.
//!
//! The one rule to know: a configured mirror replaces the official hosts entirely. Every URL
//! gomux fetches is derived from the mirror (or the explicit index URL), so a mirror that is
//! down is an error, never a reason to reach a public host.

use std::ffi::OsString;
use std::net::IpAddr;

use gomux_home::Settings;
use gomux_home::config::{self, Origin};
use gomux_home::settings::SettingsError;
use reqwest::Url;

use crate::error::DistError;
use crate::goproxy::GoProxy;

/// The official release index.
pub const OFFICIAL_INDEX: &str = "https://go.dev/dl/?mode=json&include=all";
/// The official download host (what `go.dev/dl/<file>` redirects to).
pub const OFFICIAL_DOWNLOADS: &str = "https://dl.google.com/go/";

/// The index URL and the download base in use, and where they were configured.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Source {
    index: Url,
    /// `index.json` beside a mirror's files: tried when the mirror does not answer the JSON
    /// query with an index (a static file server answers it with a folder listing). Only for a
    /// mirror base whose index was not configured on its own.
    fallback_index: Option<Url>,
    downloads: Url,
    /// `Some("GOMUX_DIST_SERVER")` (or the setting) when a mirror is configured.
    mirror: Option<String>,
    allow_http: bool,
    /// `dist.source = "goproxy"`: toolchain modules from the GOPROXY list instead.
    goproxy: Option<GoProxy>,
}

impl Source {
    /// The official hosts.
    pub fn official() -> Source {
        Source {
            index: parse_known(OFFICIAL_INDEX),
            fallback_index: None,
            downloads: parse_known(OFFICIAL_DOWNLOADS),
            mirror: None,
            allow_http: false,
            goproxy: None,
        }
    }

    /// The source from the environment (`GOMUX_DIST_SERVER`, `GOMUX_DIST_INDEX`,
    /// `GOMUX_DIST_ALLOW_HTTP`), then the settings (`dist.server`, `dist.index`), then the
    /// official hosts.
    pub fn configured(
        get: impl Fn(&str) -> Option<OsString>,
        settings: &Settings,
    ) -> Result<Source, DistError> {
        // The registry's precedence (variable, then settings.toml, then the default), read once
        // for each setting; messages name where a value came from as they always have.
        let found = |def: &config::Def| -> Result<Option<(String, String)>, DistError> {
            let hit = def
                .lookup(&get, || Ok::<_, SettingsError>(settings))
                .map_err(|e| DistError::BadSource {
                    value: def.key.unwrap_or_default().to_string(),
                    origin: settings.path().display().to_string(),
                    reason: e.to_string(),
                })?;
            let Some((raw, origin)) = hit else {
                return Ok(None);
            };
            let origin = match origin {
                Origin::Variable(v) => v.to_string(),
                Origin::Setting { key, .. } => format!("`{key}`"),
                other => other.to_string(),
            };
            match raw.as_os_str().to_str() {
                Some(v) => Ok(Some((v.to_string(), origin))),
                None => Err(DistError::BadSource {
                    value: gomux_home::text::escape(&gomux_home::text::redact_urls(
                        &raw.as_os_str().to_string_lossy(),
                    )),
                    origin,
                    reason: "it is not valid UTF-8".to_string(),
                }),
            }
        };
        let flag = |def: &config::Def| {
            def.flag(&get, || Ok::<_, SettingsError>(settings))
                .map(|(on, _)| on)
                .map_err(|e| DistError::BadSource {
                    value: String::new(),
                    origin: settings.path().display().to_string(),
                    reason: e.to_string(),
                })
        };
        let allow_http = flag(&config::DIST_ALLOW_HTTP)?;
        let server = found(&config::DIST_SERVER)?;
        let index = found(&config::DIST_INDEX)?;
        let mut source = Source::new(
            server.as_ref().map(|(v, o)| (v.as_str(), o.as_str())),
            index.as_ref().map(|(v, o)| (v.as_str(), o.as_str())),
            allow_http,
        )?;
        match found(&config::DIST_SOURCE)? {
            None => {}
            Some((v, _)) if v == "downloads" => {}
            Some((v, _)) if v == "goproxy" => {
                let allow_unverified = flag(&config::DIST_ALLOW_UNVERIFIED)?;
                source =
                    source.with_goproxy(GoProxy::from_go_env(&get, allow_http, allow_unverified)?);
            }
            Some((v, origin)) => {
                return Err(bad(
                    &v,
                    &origin,
                    "the toolchain source is `downloads` (the default) or `goproxy`",
                ));
            }
        }
        Ok(source)
    }

    /// This source, taking toolchains from a module proxy as `goproxy` says. The release
    /// index becomes the proxy's `@v/list` (the first proxy's URL keys the cached copy).
    pub fn with_goproxy(mut self, goproxy: GoProxy) -> Source {
        if let Some(first) = goproxy.proxies.urls().first()
            && let Ok(list) = first.join(&format!("{}/@v/list", crate::goproxy::MODULE))
        {
            self.index = list;
            self.fallback_index = None;
        }
        self.goproxy = Some(goproxy);
        self
    }

    /// The module proxy configuration, when toolchains come from one.
    pub fn goproxy(&self) -> Option<&GoProxy> {
        self.goproxy.as_ref()
    }

    /// Allows (or not) installing a toolchain module without a proof (`--allow-unverified`).
    pub fn allow_unverified(&mut self, allow: bool) {
        if let Some(g) = &mut self.goproxy {
            g.allow_unverified |= allow;
        }
    }

    /// A source from a mirror base and/or an index URL, each with the name of where it was
    /// configured (for messages).
    pub fn new(
        server: Option<(&str, &str)>,
        index: Option<(&str, &str)>,
        allow_http: bool,
    ) -> Result<Source, DistError> {
        let mut source = Source::official();
        source.allow_http = allow_http;
        if let Some((value, origin)) = server {
            let mut base = check_url(value, origin, allow_http)?;
            if base.query().is_some() || base.fragment().is_some() {
                return Err(bad(value, origin, "a mirror base cannot have `?` or `#`"));
            }
            if !base.path().ends_with('/') {
                let path = format!("{}/", base.path());
                base.set_path(&path);
            }
            source.index = if base.scheme() == "file" {
                base.join("index.json")
                    .map_err(|e| bad(value, origin, &e.to_string()))?
            } else {
                let mut u = base.clone();
                u.set_query(Some("mode=json&include=all"));
                source.fallback_index = base.join("index.json").ok();
                u
            };
            source.downloads = base;
            source.mirror = Some(origin.to_string());
        }
        if let Some((value, origin)) = index {
            source.index = check_url(value, origin, allow_http)?;
            source.fallback_index = None;
        }
        Ok(source)
    }

    /// The URL of the release index.
    pub fn index_url(&self) -> &Url {
        &self.index
    }

    /// `index.json` beside a mirror's files, tried when [`Source::index_url`] does not answer
    /// with an index (`None` for the official hosts, a `file://` mirror or a configured index).
    pub fn fallback_index_url(&self) -> Option<&Url> {
        self.fallback_index.as_ref()
    }

    /// The folder URL archives are fetched from (ends with `/`).
    pub fn downloads_url(&self) -> &Url {
        &self.downloads
    }

    /// Where the mirror was configured, when one is.
    pub fn mirror(&self) -> Option<&str> {
        self.mirror.as_deref()
    }

    /// True when plain `http://` to hosts other than loopback is allowed.
    pub fn allows_http(&self) -> bool {
        self.allow_http
    }

    /// The URL of one archive (or `.sha256`) file. `filename` must be a safe name.
    pub fn file_url(&self, filename: &str) -> Result<Url, DistError> {
        if !gomux_version::is_safe_name(filename) {
            return Err(DistError::InvalidName {
                input: filename.to_string(),
            });
        }
        self.downloads
            .join(filename)
            .map_err(|e| bad(self.downloads.as_str(), "the download base", &e.to_string()))
    }
}

fn parse_known(s: &str) -> Url {
    // The official URLs are constants that parse; a failure here is a typo in this file.
    Url::parse(s).unwrap_or_else(|e| panic!("built-in URL `{s}` does not parse: {e}"))
}

/// A refused source; the value is shown without its user info and escaped.
fn bad(value: &str, origin: &str, reason: &str) -> DistError {
    DistError::BadSource {
        value: gomux_home::text::escape(&gomux_home::text::redact_urls(value)),
        origin: origin.to_string(),
        reason: reason.to_string(),
    }
}

/// True for `localhost` and loopback addresses (127.0.0.0/8, `::1`).
pub fn is_loopback(url: &Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// The local path a `file://` URL names, `None` when it names no absolute one. Use this, not
/// `Url::to_file_path`, which on Windows trips a debug assertion for `file://relative` (a
/// host without a share) instead of failing.
pub fn file_path(url: &Url) -> Option<std::path::PathBuf> {
    if cfg!(windows) {
        let host = url.host_str().is_some_and(|h| !h.is_empty());
        let first = url
            .path_segments()
            .and_then(|mut segs| segs.find(|s| !s.is_empty()).map(str::to_string));
        let drive = |s: &str| {
            let b = s.as_bytes();
            (b.len() == 2 && b[0].is_ascii_alphabetic() && b[1] == b':')
                || (b.len() == 4
                    && b[0].is_ascii_alphabetic()
                    && s[1..].eq_ignore_ascii_case("%3A"))
        };
        // `file://server/share/...` (UNC) needs a share; `file:///C:/...` a drive.
        let named = match &first {
            Some(first) if host => !first.is_empty(),
            Some(first) => drive(first),
            None => false,
        };
        if !named {
            return None;
        }
    }
    url.to_file_path().ok()
}

/// True when gomux may fetch `url`: `https://`, `file://`, and `http://` on loopback (or
/// anywhere with `allow_http`).
pub fn scheme_allowed(url: &Url, allow_http: bool) -> bool {
    match url.scheme() {
        "https" | "file" => true,
        "http" => allow_http || is_loopback(url),
        _ => false,
    }
}

pub(crate) fn check_url(value: &str, origin: &str, allow_http: bool) -> Result<Url, DistError> {
    let url = Url::parse(value).map_err(|e| bad(value, origin, &format!("not a URL ({e})")))?;
    // A password in a mirror URL is sent (as HTTP basic auth) but never printed or stored.
    match url.scheme() {
        "https" | "http" if url.host().is_none() => Err(bad(value, origin, "the URL has no host")),
        "file" if file_path(&url).is_none() => Err(bad(
            value,
            origin,
            "a `file://` URL must name an absolute folder",
        )),
        "http" if !scheme_allowed(&url, allow_http) => Err(bad(
            value,
            origin,
            "plain `http://` is only used on loopback; use `https://`, or set `GOMUX_DIST_ALLOW_HTTP=1`",
        )),
        "https" | "http" | "file" => Ok(url),
        other => Err(bad(
            value,
            origin,
            &format!(
                "`{other}://` is not supported; use `https://`, `file://` or loopback `http://`"
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gomux_home::env::{GOMUX_DIST_ALLOW_HTTP, GOMUX_DIST_SERVER};

    fn src(server: Option<&str>, index: Option<&str>, allow: bool) -> Result<Source, DistError> {
        Source::new(
            server.map(|s| (s, "test")),
            index.map(|s| (s, "test")),
            allow,
        )
    }

    #[test]
    fn official_by_default() {
        let s = src(None, None, false).unwrap();
        assert_eq!(s.index_url().as_str(), OFFICIAL_INDEX);
        assert_eq!(
            s.file_url("go1.22.3.linux-amd64.tar.gz").unwrap().as_str(),
            "https://dl.google.com/go/go1.22.3.linux-amd64.tar.gz"
        );
        assert_eq!(s.mirror(), None);
        assert_eq!(s.fallback_index_url(), None);
    }

    /// A `file://` URL of an absolute folder on this platform: `file:///srv/m`, or
    /// `file:///C:/srv/m` on Windows.
    fn file_url(unix_path: &str) -> String {
        if cfg!(windows) {
            format!("file:///C:{unix_path}")
        } else {
            format!("file://{unix_path}")
        }
    }

    #[test]
    fn mirror_urls() {
        let s = src(Some("https://mirror.example/go"), None, false).unwrap();
        assert_eq!(
            s.index_url().as_str(),
            "https://mirror.example/go/?mode=json&include=all"
        );
        assert_eq!(
            s.fallback_index_url().map(Url::as_str),
            Some("https://mirror.example/go/index.json"),
            "a static file server's index.json is the fall-back"
        );
        let own = src(
            Some("https://mirror.example/go"),
            Some("https://idx.example/all.json"),
            false,
        )
        .unwrap();
        assert_eq!(
            own.fallback_index_url(),
            None,
            "a configured index has none"
        );
        let file = src(Some(&file_url("/srv/m")), None, false).unwrap();
        assert_eq!(
            file.fallback_index_url(),
            None,
            "file:// reads index.json already"
        );
        assert_eq!(
            s.file_url("go1.22.3.linux-amd64.tar.gz").unwrap().as_str(),
            "https://mirror.example/go/go1.22.3.linux-amd64.tar.gz"
        );
        let s = src(Some("https://mirror.example/go/"), None, false).unwrap();
        assert_eq!(
            s.file_url("x.tar.gz").unwrap().as_str(),
            "https://mirror.example/go/x.tar.gz"
        );
        let mirror = file_url("/srv/go-mirror");
        let s = src(Some(&mirror), None, false).unwrap();
        assert_eq!(s.index_url().as_str(), format!("{mirror}/index.json"));
        assert_eq!(
            s.file_url("a.zip").unwrap().as_str(),
            format!("{mirror}/a.zip")
        );
        let s = src(
            Some("http://127.0.0.1:8080"),
            Some("https://idx.example/i.json"),
            false,
        )
        .unwrap();
        assert_eq!(s.index_url().as_str(), "https://idx.example/i.json");
        assert_eq!(
            s.file_url("a.zip").unwrap().as_str(),
            "http://127.0.0.1:8080/a.zip"
        );
        assert!(s.file_url("../a.zip").is_err());
        assert!(s.file_url("a/b.zip").is_err());
    }

    #[test]
    fn refuses_unsafe_sources() {
        for bad_url in [
            "http://mirror.example/go",
            "ftp://mirror.example/go",
            "mirror.example/go",
            "https://mirror.example/go?x=1",
            "file://relative",
        ] {
            let e = src(Some(bad_url), None, false).unwrap_err();
            assert!(matches!(e, DistError::BadSource { .. }), "{bad_url}: {e}");
        }
        assert!(src(None, Some("http://10.0.0.1/index.json"), false).is_err());
        assert!(src(Some("http://mirror.example/go"), None, true).is_ok());
        assert!(src(Some("http://localhost:9/"), None, false).is_ok());
        assert!(src(Some("http://[::1]:9/"), None, false).is_ok());
        assert!(src(Some("http://127.0.0.2:9/"), None, false).is_ok());
    }

    #[test]
    fn refused_sources_never_show_a_password() {
        for value in [
            "ftp://alice:s3cret@mirror.example/go",
            "http://alice:s3cret@mirror.example/go",
            "https://alice:s3cret@mirror.example/go?x=1",
        ] {
            let e = src(Some(value), None, false).unwrap_err().to_string();
            assert!(!e.contains("s3cret"), "{e}");
            assert!(e.contains("***@mirror.example"), "{e}");
        }
    }

    #[test]
    fn environment_wins_over_settings() {
        let settings = Settings::parse(
            std::path::Path::new("settings.toml"),
            "[dist]\nserver = \"https://from-settings.example/\"\nindex = \"https://from-settings.example/i\"\n",
        )
        .unwrap();
        let none = |_: &str| None;
        let s = Source::configured(none, &settings).unwrap();
        assert_eq!(s.index_url().as_str(), "https://from-settings.example/i");
        assert_eq!(s.mirror(), Some("`dist.server`"));
        let m = file_url("/m");
        let env = |k: &str| (k == GOMUX_DIST_SERVER).then(|| OsString::from(&m));
        let s = Source::configured(env, &settings).unwrap();
        assert_eq!(s.downloads_url().as_str(), format!("{m}/"));
        assert_eq!(s.index_url().as_str(), "https://from-settings.example/i");
        assert_eq!(s.mirror(), Some(GOMUX_DIST_SERVER));
        let empty = Settings::default();
        let env = |k: &str| {
            (k == GOMUX_DIST_SERVER || k == GOMUX_DIST_ALLOW_HTTP).then(|| {
                OsString::from(if k == GOMUX_DIST_SERVER {
                    "http://mirror.corp/go"
                } else {
                    "1"
                })
            })
        };
        assert!(Source::configured(env, &empty).is_ok());
    }
}

//! Opening URLs: `https://` and `http://` through reqwest (rustls, the OS trust store plus
//! `SSL_CERT_FILE`, `HTTPS_PROXY`/`NO_PROXY`), and `file://` from disk.
//!
//! Why the timeout is an idle timeout: the blocking client applies it to the wait for the
//! response head and to every single body read, so a slow but moving download of a large
//! archive never times out, while a server that stops sending does.

use std::fs::File;
use std::io::{self, Read};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use gomux_home::text;
use reqwest::Url;
use reqwest::blocking::Client;

use crate::error::DistError;
use crate::source::scheme_allowed;

/// The one HTTP client setup gomux uses (rustls with the OS trust store and `SSL_CERT_FILE`,
/// proxies from the environment, gomux's user agent), for the caller to add its timeouts and
/// redirect policy to. Every gomux HTTP client starts here, so TLS is configured once.
pub fn client_builder() -> reqwest::blocking::ClientBuilder {
    Client::builder().user_agent(concat!("gomux/", env!("CARGO_PKG_VERSION")))
}

/// An open response body.
pub(crate) struct Body {
    pub reader: Box<dyn Read + Send>,
    /// The length the server announced (or the file's size).
    pub len: Option<u64>,
    pub is_file: bool,
}

/// Fetches URLs; the HTTP client is built on first use (building it reads the trust store).
pub(crate) struct Fetcher {
    client: OnceLock<Result<Client, String>>,
    timeout: Duration,
    allow_http: bool,
    /// The last redirect target of the request in flight, so that a failure there is named
    /// as the target failing (reqwest reports such an error under the first URL). Used for
    /// messages only: two requests at once through one fetcher could only mislabel an error.
    redirected_to: Arc<Mutex<Option<Url>>>,
}

impl Fetcher {
    pub fn new(timeout: Duration, allow_http: bool) -> Fetcher {
        Fetcher {
            client: OnceLock::new(),
            timeout,
            allow_http,
            redirected_to: Arc::new(Mutex::new(None)),
        }
    }

    fn client(&self, url: &Url) -> Result<&Client, DistError> {
        let built = self.client.get_or_init(|| {
            let allow_http = self.allow_http;
            let redirected_to = Arc::clone(&self.redirected_to);
            let policy = reqwest::redirect::Policy::custom(move |attempt| {
                if let Ok(mut last) = redirected_to.lock() {
                    *last = Some(attempt.url().clone());
                }
                if attempt.previous().len() >= 10 {
                    attempt.error("more than 10 redirects")
                } else if !scheme_allowed(attempt.url(), allow_http) {
                    let to = shown(attempt.url());
                    attempt.error(format!(
                        "refusing a redirect to `{to}` (only https://, or http:// on loopback)"
                    ))
                } else {
                    attempt.follow()
                }
            });
            client_builder()
                .timeout(self.timeout)
                .connect_timeout(self.timeout)
                .redirect(policy)
                .build()
                .map_err(|e| innermost(&e))
        });
        built.as_ref().map_err(|detail| DistError::Network {
            host: host_of(url),
            url: shown(url),
            detail: format!("cannot set up the HTTP client: {detail}"),
        })
    }

    fn secs(&self) -> u64 {
        self.timeout.as_secs().max(1)
    }

    /// Opens `url` for reading: one attempt, errors classified (404, other statuses,
    /// network, timeout).
    pub fn open(&self, url: &Url) -> Result<Body, DistError> {
        if url.scheme() == "file" {
            let path = crate::source::file_path(url).ok_or_else(|| DistError::BadSource {
                value: shown(url),
                origin: "a file URL".to_string(),
                reason: "it does not name an absolute path".to_string(),
            })?;
            let file = File::open(&path).map_err(|e| {
                if e.kind() == io::ErrorKind::NotFound {
                    DistError::NotFound {
                        url: shown(url),
                        what: None,
                        redirected: None,
                    }
                } else {
                    DistError::io("read", &path, e)
                }
            })?;
            let len = file.metadata().ok().map(|m| m.len());
            return Ok(Body {
                reader: Box::new(file),
                len,
                is_file: true,
            });
        }
        if !scheme_allowed(url, self.allow_http) {
            return Err(DistError::BadSource {
                value: shown(url),
                origin: "a download URL".to_string(),
                reason: "only https://, file://, or http:// on loopback are used".to_string(),
            });
        }
        let client = self.client(url)?;
        self.set_redirected(None);
        let response = client
            .get(url.clone())
            .send()
            .map_err(|e| self.request_error(url, &e))?;
        let status = response.status().as_u16();
        // A mirror may send its downloads elsewhere; a failure there is named as such.
        let redirected = (!same_resource(response.url(), url)).then(|| shown(response.url()));
        match status {
            200 => {}
            404 | 410 => {
                return Err(DistError::NotFound {
                    url: shown(url),
                    what: None,
                    redirected,
                });
            }
            _ => {
                return Err(DistError::Status {
                    url: shown(url),
                    status,
                    redirected,
                });
            }
        }
        let len = response.content_length();
        Ok(Body {
            reader: Box::new(response),
            len,
            is_file: false,
        })
    }

    /// Reads a small document (an index, a `.sha256` file) whole, refusing more than
    /// `limit` bytes.
    pub fn read_small(&self, url: &Url, limit: u64) -> Result<Vec<u8>, DistError> {
        let body = self.open(url)?;
        let mut out = Vec::new();
        let mut reader = body.reader.take(limit + 1);
        if let Err(e) = reader.read_to_end(&mut out) {
            return Err(self.body_error(url, body.is_file, e, out.len() as u64, body.len));
        }
        if out.len() as u64 > limit {
            return Err(DistError::TooLarge {
                url: shown(url),
                limit,
            });
        }
        Ok(out)
    }

    fn set_redirected(&self, to: Option<Url>) {
        if let Ok(mut last) = self.redirected_to.lock() {
            *last = to;
        }
    }

    fn redirected(&self) -> Option<Url> {
        self.redirected_to.lock().ok().and_then(|l| l.clone())
    }

    fn request_error(&self, url: &Url, e: &reqwest::Error) -> DistError {
        if e.is_redirect() {
            return DistError::BadSource {
                value: shown(url),
                origin: "a redirect".to_string(),
                reason: innermost(e),
            };
        }
        if let Some(target) = self.redirected().filter(|t| !same_resource(t, url)) {
            return DistError::RedirectFailed {
                url: shown(url),
                target: shown(&target),
                host: host_of(&target),
                detail: if e.is_timeout() {
                    format!("it sent nothing for {}s", self.secs())
                } else {
                    innermost(e)
                },
            };
        }
        if e.is_timeout() {
            DistError::Timeout {
                host: host_of(url),
                url: shown(url),
                secs: self.secs(),
            }
        } else {
            DistError::Network {
                host: host_of(url),
                url: shown(url),
                detail: innermost(e),
            }
        }
    }

    /// Classifies an error that happened while reading a body after `got` bytes.
    pub fn body_error(
        &self,
        url: &Url,
        is_file: bool,
        e: io::Error,
        got: u64,
        expected: Option<u64>,
    ) -> DistError {
        if is_file {
            let path = crate::source::file_path(url).unwrap_or_else(|| url.path().into());
            return DistError::io("read", path, e);
        }
        let timed_out = e.kind() == io::ErrorKind::TimedOut
            || e.get_ref()
                .and_then(|r| r.downcast_ref::<reqwest::Error>())
                .is_some_and(|r| r.is_timeout());
        if timed_out {
            return DistError::Timeout {
                host: host_of(url),
                url: shown(url),
                secs: self.secs(),
            };
        }
        DistError::Interrupted {
            host: host_of(url),
            url: shown(url),
            got,
            expected,
            detail: innermost(&e),
        }
    }
}

/// `host[:port]` of a URL, for messages.
pub(crate) fn host_of(url: &Url) -> String {
    match (url.host_str(), url.port()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_string(),
        (None, _) => shown(url),
    }
}

/// A URL as gomux prints, logs or stores it: without its user info (`https://***@host/`).
/// The URL itself, credentials included, is what requests are sent to.
pub(crate) fn shown(url: &Url) -> String {
    text::redact_url(url.as_str())
}

/// True when `a` and `b` name the same resource once user info is set aside (reqwest takes
/// the credentials out of a URL before it sends the request).
fn same_resource(a: &Url, b: &Url) -> bool {
    let bare = |u: &Url| {
        let mut u = u.clone();
        let _ = u.set_username("");
        let _ = u.set_password(None);
        u
    };
    bare(a) == bare(b)
}

/// The most specific message in an error's chain ("Connection refused (os error 111)"
/// rather than "error sending request").
fn innermost(e: &(dyn std::error::Error + 'static)) -> String {
    let mut last: &dyn std::error::Error = e;
    while let Some(next) = last.source() {
        last = next;
    }
    let inner = last.to_string();
    let outer = e.to_string();
    // Error texts quote URLs and what a server sent: shown redacted and escaped.
    let chosen = if inner == outer || outer.contains(&inner) {
        outer
    } else {
        inner
    };
    text::escape_max(&text::redact_urls(&chosen), 400)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn innermost_message_wins() {
        let e = io::Error::other(io::Error::new(io::ErrorKind::ConnectionReset, "reset"));
        assert_eq!(innermost(&e), "reset");
        assert_eq!(
            host_of(&Url::parse("http://127.0.0.1:8080/x").unwrap()),
            "127.0.0.1:8080"
        );
        assert_eq!(
            host_of(&Url::parse("https://go.dev/dl/").unwrap()),
            "go.dev"
        );
    }
}

//! Opening URLs: `https://` and `http://` through reqwest (rustls, the OS trust store plus
//! `SSL_CERT_FILE`, `HTTPS_PROXY`/`NO_PROXY`), and `file://` from disk.
//!
//! Why the timeout is an idle timeout: the blocking client applies it to the wait for the
//! response head and to every single body read, so a slow but moving download of a large
//! archive never times out, while a server that stops sending does.

use std::fs::File;
use std::io::{self, Read};
use std::sync::OnceLock;
use std::time::Duration;

use reqwest::Url;
use reqwest::blocking::Client;

use crate::error::DistError;
use crate::source::scheme_allowed;

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
}

impl Fetcher {
    pub fn new(timeout: Duration, allow_http: bool) -> Fetcher {
        Fetcher {
            client: OnceLock::new(),
            timeout,
            allow_http,
        }
    }

    fn client(&self, url: &Url) -> Result<&Client, DistError> {
        let built = self.client.get_or_init(|| {
            let allow_http = self.allow_http;
            let policy = reqwest::redirect::Policy::custom(move |attempt| {
                if attempt.previous().len() >= 10 {
                    attempt.error("more than 10 redirects")
                } else if !scheme_allowed(attempt.url(), allow_http) {
                    let to = attempt.url().to_string();
                    attempt.error(format!(
                        "refusing a redirect to `{to}` (only https://, or http:// on loopback)"
                    ))
                } else {
                    attempt.follow()
                }
            });
            Client::builder()
                .user_agent(concat!("gomux/", env!("CARGO_PKG_VERSION")))
                .timeout(self.timeout)
                .connect_timeout(self.timeout)
                .redirect(policy)
                .build()
                .map_err(|e| innermost(&e))
        });
        built.as_ref().map_err(|detail| DistError::Network {
            host: host_of(url),
            url: url.to_string(),
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
            let path = url.to_file_path().map_err(|()| DistError::BadSource {
                value: url.to_string(),
                origin: "a file URL".to_string(),
                reason: "it does not name an absolute path".to_string(),
            })?;
            let file = File::open(&path).map_err(|e| {
                if e.kind() == io::ErrorKind::NotFound {
                    DistError::NotFound {
                        url: url.to_string(),
                        what: None,
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
                value: url.to_string(),
                origin: "a download URL".to_string(),
                reason: "only https://, file://, or http:// on loopback are used".to_string(),
            });
        }
        let client = self.client(url)?;
        let response = client
            .get(url.clone())
            .send()
            .map_err(|e| self.request_error(url, &e))?;
        let status = response.status().as_u16();
        match status {
            200 => {}
            404 | 410 => {
                return Err(DistError::NotFound {
                    url: url.to_string(),
                    what: None,
                });
            }
            _ => {
                return Err(DistError::Status {
                    url: url.to_string(),
                    status,
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
                url: url.to_string(),
                limit,
            });
        }
        Ok(out)
    }

    fn request_error(&self, url: &Url, e: &reqwest::Error) -> DistError {
        if e.is_redirect() {
            DistError::BadSource {
                value: url.to_string(),
                origin: "a redirect".to_string(),
                reason: innermost(e),
            }
        } else if e.is_timeout() {
            DistError::Timeout {
                host: host_of(url),
                url: url.to_string(),
                secs: self.secs(),
            }
        } else {
            DistError::Network {
                host: host_of(url),
                url: url.to_string(),
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
            let path = url.to_file_path().unwrap_or_else(|()| url.path().into());
            return DistError::io("read", path, e);
        }
        let timed_out = e.kind() == io::ErrorKind::TimedOut
            || e.get_ref()
                .and_then(|r| r.downcast_ref::<reqwest::Error>())
                .is_some_and(|r| r.is_timeout());
        if timed_out {
            return DistError::Timeout {
                host: host_of(url),
                url: url.to_string(),
                secs: self.secs(),
            };
        }
        DistError::Interrupted {
            host: host_of(url),
            url: url.to_string(),
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
        (None, _) => url.to_string(),
    }
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
    if inner == outer || outer.contains(&inner) {
        outer
    } else {
        inner
    }
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

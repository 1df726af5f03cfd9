//! One file fetched whole and checked against a sha256: what `gomux self update` downloads
//! (the `gomux` binary of a release). It goes through the same fetcher as toolchains: TLS
//! verified, `http://` only on loopback (or with `GOMUX_DIST_ALLOW_HTTP`), `file://` and plain
//! paths read from disk. Nothing is written here: the caller gets the verified bytes and puts
//! them in place itself.

use std::io::Read as _;
use std::path::Path;

use gomux_home::text;
use reqwest::Url;
use sha2::{Digest as _, Sha256};

use crate::error::DistError;
use crate::fetch::{Fetcher, shown};
use crate::{Options, source};

/// A file fetched and verified.
#[derive(Debug)]
pub struct Verified {
    /// The file's bytes.
    pub bytes: Vec<u8>,
    /// Their sha256, lowercase hex (the one that was expected).
    pub sha256: String,
    /// Where they came from, as shown in messages (user info redacted).
    pub shown: String,
}

/// Fetches single files and their published checksums.
pub struct Download {
    fetcher: Fetcher,
    allow_http: bool,
}

impl Download {
    /// A fetcher with the timeouts of `options`; `allow_http` allows plain `http://` beyond
    /// loopback (`GOMUX_DIST_ALLOW_HTTP`).
    pub fn new(options: &Options, allow_http: bool) -> Download {
        Download {
            fetcher: Fetcher::new(options.http_timeout, allow_http),
            allow_http,
        }
    }

    /// The URL `location` names: an `https://`, `http://` (loopback) or `file://` URL, or a
    /// path on disk (relative to `cwd`). `origin` says where the value came from (messages).
    pub fn url(&self, location: &str, origin: &str, cwd: &Path) -> Result<String, DistError> {
        Ok(self.parse(location, origin, cwd)?.to_string())
    }

    fn parse(&self, location: &str, origin: &str, cwd: &Path) -> Result<Url, DistError> {
        if location.contains("://") {
            return source::check_url(location, origin, self.allow_http);
        }
        let path = cwd.join(location);
        Url::from_file_path(&path).map_err(|()| DistError::BadSource {
            value: text::escape_path(&path),
            origin: origin.to_string(),
            reason: "it is neither a URL nor an absolute path".to_string(),
        })
    }

    /// The sha256 published for `url` in `<url>.sha256` (its first word: the output of
    /// `sha256sum FILE` works as it is).
    pub fn published_sha256(&self, url: &str) -> Result<String, DistError> {
        let file = self.parse(url, "the download", Path::new("/"))?;
        let sums = Url::parse(&format!("{file}.sha256")).map_err(|e| DistError::BadSource {
            value: shown(&file),
            origin: "the download".to_string(),
            reason: e.to_string(),
        })?;
        let bytes = match self.fetcher.read_small(&sums, 4096) {
            Ok(b) => b,
            Err(DistError::NotFound { .. }) => {
                return Err(DistError::Unverified {
                    url: shown(&file),
                    why: format!("there is no `{}` beside it", shown(&sums)),
                });
            }
            Err(e) => return Err(e),
        };
        crate::index::sha256_file_value(&bytes, &shown(&sums))
    }

    /// Fetches `url` whole (at most `limit` bytes) and checks that its sha256 is `expected`.
    pub fn fetch_verified(
        &self,
        url: &str,
        expected: &str,
        limit: u64,
    ) -> Result<Verified, DistError> {
        let file = self.parse(url, "the download", Path::new("/"))?;
        let body = self.fetcher.open(&file)?;
        let (len, is_file) = (body.len, body.is_file);
        let mut bytes = Vec::new();
        let mut reader = body.reader.take(limit + 1);
        if let Err(e) = reader.read_to_end(&mut bytes) {
            return Err(self
                .fetcher
                .body_error(&file, is_file, e, bytes.len() as u64, len));
        }
        if bytes.len() as u64 > limit {
            return Err(DistError::TooLarge {
                url: shown(&file),
                limit,
            });
        }
        let name = file
            .path_segments()
            .and_then(|mut s| s.next_back())
            .unwrap_or_default()
            .to_string();
        let actual = text::hex(&Sha256::digest(&bytes));
        let expected = expected.trim().to_ascii_lowercase();
        if actual != expected {
            return Err(DistError::ChecksumMismatch {
                file: text::escape(&name),
                url: shown(&file),
                expected,
                actual,
            });
        }
        Ok(Verified {
            bytes,
            sha256: actual,
            shown: shown(&file),
        })
    }
}

/// The sha256 of `bytes`, lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    text::hex(&Sha256::digest(bytes))
}

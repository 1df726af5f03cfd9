//! The remote layer: a Bazel HTTP remote cache (`GET`/`PUT <base>/ac/<sha256>` and
//! `<base>/cas/<sha256>`), as bazel-remote and nginx's WebDAV module serve it.
//!
//! The mapping of Go's cache to it (also in docs/caches.md):
//!
//! - **ac key** = SHA-256 of [`AC_NAMESPACE`] followed by Go's 32-byte action ID, so Go's keys
//!   never meet another client's on a shared server, and a change of format gets new keys.
//! - **ac value** = a Bazel `ActionResult` message with one output file `out` whose digest is
//!   Go's output ID and the output's size (what Go's index entry records).
//! - **cas key** = the output's SHA-256, which is Go's output ID.
//!
//! The design decision to know: the remote can never break a build. Every failure — no
//! answer within the timeout, a reset, a 5xx — is a miss for `get` and a dropped upload for
//! `put`, counted in [`Stats`]; after [`TRIP_AFTER`] failures in a row the remote is left alone
//! for the rest of the process, so a server that is down costs a few refused connections,
//! not a timeout per object. What the remote sends is checked: a body whose SHA-256 is not its
//! cas key, or whose size is not the one the ac entry names, is refused and never stored.

use std::io::Read as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use gomux_home::text::{self, hex};
use reqwest::Url;
use reqwest::blocking::Client;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use sha2::{Digest as _, Sha256};

/// Prefixed to Go's action ID before hashing it into an ac key.
pub const AC_NAMESPACE: &[u8] = b"gomux-go-build-cache-v1\0";

/// Failures in a row after which the remote is not asked again by this process.
pub const TRIP_AFTER: u64 = 3;

/// The largest ac entry read (ours are about 90 bytes).
const AC_LIMIT: u64 = 64 * 1024;

/// Whether the remote gets uploads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Read,
    ReadWrite,
}

impl Mode {
    pub fn parse(s: &str) -> Option<Mode> {
        match s.trim() {
            "read" => Some(Mode::Read),
            "read-write" => Some(Mode::ReadWrite),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Read => "read",
            Mode::ReadWrite => "read-write",
        }
    }
}

/// What the remote did, for the summary at `close`.
#[derive(Debug, Default)]
pub struct Stats {
    pub hits: AtomicU64,
    pub hit_bytes: AtomicU64,
    pub misses: AtomicU64,
    pub errors: AtomicU64,
    pub refused: AtomicU64,
    pub skipped: AtomicU64,
    pub uploads: AtomicU64,
    pub upload_bytes: AtomicU64,
    pub upload_failures: AtomicU64,
    in_a_row: AtomicU64,
    first_error: Mutex<Option<String>>,
}

impl Stats {
    pub fn first_error(&self) -> Option<String> {
        self.first_error.lock().ok().and_then(|e| e.clone())
    }
}

/// A Bazel HTTP remote cache.
pub struct Remote {
    base: Url,
    client: Client,
    pub mode: Mode,
    tripped: AtomicBool,
    pub stats: Stats,
}

/// A remote that could not be set up; the helper then serves the local cache alone.
#[derive(Debug, thiserror::Error)]
pub enum RemoteError {
    #[error("`{value}` is not a URL: {reason}")]
    BadUrl { value: String, reason: String },
    #[error("the remote cache `{url}` uses plain http:// off loopback")]
    PlainHttp { url: String },
    #[error("`{var}` is not one `Name: value` header")]
    BadHeader { var: &'static str },
    #[error("cannot set up the HTTP client: {detail}")]
    Client { detail: String },
}

/// What a `get` from the remote found.
#[derive(Debug, PartialEq, Eq)]
pub enum Fetched {
    /// The output ID and the verified bytes.
    Hit {
        output_id: [u8; 32],
        body: Vec<u8>,
    },
    Miss,
}

impl Remote {
    /// A client for `url` (`https://`, or `http://` on loopback), sending `header` (`Name:
    /// value`, from `header_var`) with every request and waiting at most `timeout` for a
    /// connection and for each read.
    pub fn new(
        url: &str,
        mode: Mode,
        header: Option<(&str, &'static str)>,
        timeout: Duration,
    ) -> Result<Remote, RemoteError> {
        let mut base = Url::parse(url.trim()).map_err(|e| RemoteError::BadUrl {
            value: text::escape(&text::redact_url(url)),
            reason: e.to_string(),
        })?;
        match base.scheme() {
            "https" => {}
            "http" if gomux_dist::is_loopback(&base) => {}
            "http" => {
                return Err(RemoteError::PlainHttp { url: shown(&base) });
            }
            other => {
                return Err(RemoteError::BadUrl {
                    value: shown(&base),
                    reason: format!("`{}` is not http:// or https://", text::escape(other)),
                });
            }
        }
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        let mut headers = HeaderMap::new();
        if let Some((line, var)) = header {
            // The header is the credentials: user info in the URL would replace it.
            let _ = base.set_username("");
            let _ = base.set_password(None);
            let (name, value) = line.split_once(':').ok_or(RemoteError::BadHeader { var })?;
            let name = HeaderName::from_bytes(name.trim().as_bytes())
                .map_err(|_| RemoteError::BadHeader { var })?;
            let mut value =
                HeaderValue::from_str(value.trim()).map_err(|_| RemoteError::BadHeader { var })?;
            value.set_sensitive(true);
            headers.insert(name, value);
        }
        let client = gomux_dist::client_builder()
            .default_headers(headers)
            .connect_timeout(timeout)
            .timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| RemoteError::Client {
                detail: text::escape(&e.to_string()),
            })?;
        Ok(Remote {
            base,
            client,
            mode,
            tripped: AtomicBool::new(false),
            stats: Stats::default(),
        })
    }

    /// The base URL as it may be shown (no password).
    pub fn shown(&self) -> String {
        shown(&self.base)
    }

    fn url(&self, kind: &str, key: &str) -> Option<Url> {
        self.base.join(&format!("{kind}/{key}")).ok()
    }

    fn usable(&self) -> bool {
        if self.tripped.load(Ordering::Relaxed) {
            self.stats.skipped.fetch_add(1, Ordering::Relaxed);
            return false;
        }
        true
    }

    fn ok(&self) {
        self.stats.in_a_row.store(0, Ordering::Relaxed);
    }

    fn failed(&self, what: String) {
        self.stats.errors.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut first) = self.stats.first_error.lock()
            && first.is_none()
        {
            *first = Some(what);
        }
        if self.stats.in_a_row.fetch_add(1, Ordering::Relaxed) + 1 >= TRIP_AFTER {
            self.tripped.store(true, Ordering::Relaxed);
        }
    }

    /// Reads a body of at most `limit` bytes; `Ok(None)` for 404.
    fn get_body(&self, url: Url, limit: u64) -> Result<Option<Vec<u8>>, String> {
        let what = shown(&url);
        let response = self
            .client
            .get(url)
            .send()
            .map_err(|e| format!("GET `{what}`: {}", describe(&e)))?;
        match response.status().as_u16() {
            200 => {}
            404 => return Ok(None),
            s => return Err(format!("GET `{what}`: status {s}")),
        }
        let mut body = Vec::new();
        response
            .take(limit + 1)
            .read_to_end(&mut body)
            .map_err(|e| format!("GET `{what}`: {}", describe_chain(&e)))?;
        if body.len() as u64 > limit {
            return Err(format!("GET `{what}`: more than {limit} bytes"));
        }
        Ok(Some(body))
    }

    /// Looks Go's `action_id` up: the ac entry, then the output from the cas, checked.
    pub fn get(&self, action_id: &[u8; 32]) -> Fetched {
        if !self.usable() {
            return Fetched::Miss;
        }
        let Some(url) = self.url("ac", &ac_key(action_id)) else {
            return Fetched::Miss;
        };
        let entry = match self.get_body(url, AC_LIMIT) {
            Ok(Some(entry)) => entry,
            Ok(None) => {
                self.ok();
                self.stats.misses.fetch_add(1, Ordering::Relaxed);
                return Fetched::Miss;
            }
            Err(e) => {
                self.failed(e);
                return Fetched::Miss;
            }
        };
        let Some((output_id, size)) = decode_action_result(&entry) else {
            self.ok();
            self.refuse();
            return Fetched::Miss;
        };
        if size == 0 {
            self.hit(0);
            return Fetched::Hit {
                output_id,
                body: Vec::new(),
            };
        }
        let Some(url) = self.url("cas", &hex(&output_id)) else {
            return Fetched::Miss;
        };
        match self.get_body(url, size) {
            Ok(Some(body)) => {
                self.ok();
                let sum: [u8; 32] = Sha256::digest(&body).into();
                if sum != output_id || body.len() as u64 != size {
                    self.refuse();
                    return Fetched::Miss;
                }
                self.hit(size);
                Fetched::Hit { output_id, body }
            }
            Ok(None) => {
                self.ok();
                self.stats.misses.fetch_add(1, Ordering::Relaxed);
                Fetched::Miss
            }
            Err(e) => {
                self.failed(e);
                Fetched::Miss
            }
        }
    }

    fn hit(&self, bytes: u64) {
        self.stats.hits.fetch_add(1, Ordering::Relaxed);
        self.stats.hit_bytes.fetch_add(bytes, Ordering::Relaxed);
    }

    fn refuse(&self) {
        self.stats.refused.fetch_add(1, Ordering::Relaxed);
    }

    /// Uploads an output and its ac entry (cas first, so an entry never names a missing
    /// output); a failure is counted and dropped.
    pub fn put(&self, action_id: &[u8; 32], output_id: &[u8; 32], body: &[u8]) {
        if self.mode != Mode::ReadWrite || !self.usable() {
            return;
        }
        let size = body.len() as u64;
        if size > 0 && !self.put_one("cas", &hex(output_id), body.to_vec()) {
            self.stats.upload_failures.fetch_add(1, Ordering::Relaxed);
            return;
        }
        let entry = encode_action_result(output_id, size);
        if self.put_one("ac", &ac_key(action_id), entry) {
            self.stats.uploads.fetch_add(1, Ordering::Relaxed);
            self.stats.upload_bytes.fetch_add(size, Ordering::Relaxed);
        } else {
            self.stats.upload_failures.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn put_one(&self, kind: &str, key: &str, body: Vec<u8>) -> bool {
        let Some(url) = self.url(kind, key) else {
            return false;
        };
        let what = shown(&url);
        match self.client.put(url).body(body).send() {
            Ok(r) if r.status().is_success() => {
                self.ok();
                true
            }
            Ok(r) => {
                self.failed(format!("PUT `{what}`: status {}", r.status().as_u16()));
                false
            }
            Err(e) => {
                self.failed(format!("PUT `{what}`: {}", describe(&e)));
                false
            }
        }
    }
}

fn shown(url: &Url) -> String {
    text::escape(&text::redact_url(url.as_str()))
}

fn describe(e: &reqwest::Error) -> String {
    describe_chain(e)
}

/// The innermost cause of `e`, or "no answer in time" when any cause is a timeout (a body
/// read that stalls comes back as an I/O error wrapping the client's timeout).
fn describe_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut detail = e.to_string();
    let mut cause = Some(e);
    while let Some(c) = cause {
        let timed_out = c
            .downcast_ref::<reqwest::Error>()
            .is_some_and(reqwest::Error::is_timeout)
            || c.downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::TimedOut);
        if timed_out {
            return "no answer in time".to_string();
        }
        detail = c.to_string();
        cause = c.source();
    }
    text::escape(&text::redact_urls(&detail))
}

/// The ac key of Go's action ID.
pub fn ac_key(action_id: &[u8; 32]) -> String {
    let mut h = Sha256::new();
    h.update(AC_NAMESPACE);
    h.update(action_id);
    hex(&h.finalize())
}

/// `ActionResult { output_files: [OutputFile { path: "out", digest: Digest { hash, size_bytes } }] }`
/// in protocol-buffer encoding (fields: ActionResult.output_files = 2, OutputFile.path = 1,
/// OutputFile.digest = 2, Digest.hash = 1, Digest.size_bytes = 2).
pub fn encode_action_result(output_id: &[u8; 32], size: u64) -> Vec<u8> {
    let mut digest = Vec::with_capacity(80);
    field_bytes(&mut digest, 1, hex(output_id).as_bytes());
    if size > 0 {
        digest.push(2 << 3); // varint
        varint(&mut digest, size);
    }
    let mut file = Vec::with_capacity(90);
    field_bytes(&mut file, 1, b"out");
    field_bytes(&mut file, 2, &digest);
    let mut out = Vec::with_capacity(100);
    field_bytes(&mut out, 2, &file);
    out
}

/// The output ID and size in an ac entry: the first output file's digest. `None` for
/// anything that is not such a message.
pub fn decode_action_result(bytes: &[u8]) -> Option<([u8; 32], u64)> {
    let file = fields(bytes)?
        .into_iter()
        .find_map(|(n, v)| (n == 2).then_some(v).and_then(Value::bytes))?;
    let digest = fields(file)?
        .into_iter()
        .find_map(|(n, v)| (n == 2).then_some(v).and_then(Value::bytes))?;
    let mut hash = None;
    let mut size = 0;
    for (n, v) in fields(digest)? {
        match (n, v) {
            (1, Value::Bytes(b)) => {
                hash = std::str::from_utf8(b).ok().and_then(crate::local::unhex32)
            }
            (2, Value::Varint(s)) => size = s,
            _ => {}
        }
    }
    Some((hash?, size))
}

enum Value<'a> {
    Varint(u64),
    Bytes(&'a [u8]),
    Other,
}

impl<'a> Value<'a> {
    fn bytes(self) -> Option<&'a [u8]> {
        match self {
            Value::Bytes(b) => Some(b),
            _ => None,
        }
    }
}

fn field_bytes(out: &mut Vec<u8>, field: u64, bytes: &[u8]) {
    varint(out, field << 3 | 2);
    varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

fn varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn read_varint(bytes: &[u8], at: &mut usize) -> Option<u64> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let b = *bytes.get(*at)?;
        *at += 1;
        v |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Some(v);
        }
    }
    None
}

/// The top-level fields of one message (wire types 0, 1, 2 and 5).
fn fields(bytes: &[u8]) -> Option<Vec<(u64, Value<'_>)>> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let tag = read_varint(bytes, &mut at)?;
        let value = match tag & 7 {
            0 => Value::Varint(read_varint(bytes, &mut at)?),
            1 => {
                at = at.checked_add(8).filter(|&e| e <= bytes.len())?;
                Value::Other
            }
            2 => {
                let len = usize::try_from(read_varint(bytes, &mut at)?).ok()?;
                let end = at.checked_add(len).filter(|&e| e <= bytes.len())?;
                let v = &bytes[at..end];
                at = end;
                Value::Bytes(v)
            }
            5 => {
                at = at.checked_add(4).filter(|&e| e <= bytes.len())?;
                Value::Other
            }
            _ => return None,
        };
        out.push((tag >> 3, value));
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn action_results_round_trip_and_junk_is_refused() {
        let out = [0x5au8; 32];
        for size in [0, 1, 127, 128, 300_000_000] {
            let e = encode_action_result(&out, size);
            assert_eq!(decode_action_result(&e), Some((out, size)));
        }
        assert_eq!(decode_action_result(b""), None);
        assert_eq!(decode_action_result(b"v1 not a protobuf\n"), None);
        let mut cut = encode_action_result(&out, 5);
        cut.truncate(cut.len() - 3);
        assert_eq!(decode_action_result(&cut), None);
    }

    #[test]
    fn a_known_encoding() {
        // Digest{hash: 64 x '0', size_bytes: 3} inside OutputFile{path: "out"}.
        let e = encode_action_result(&[0; 32], 3);
        let mut want = vec![
            0x12, 0x4b, 0x0a, 0x03, b'o', b'u', b't', 0x12, 0x44, 0x0a, 0x40,
        ];
        want.extend_from_slice(&[b'0'; 64]);
        want.extend_from_slice(&[0x10, 0x03]);
        assert_eq!(e, want);
    }

    #[test]
    fn ac_keys_are_namespaced() {
        let a = [1u8; 32];
        assert_ne!(ac_key(&a), hex(&a));
        assert_eq!(ac_key(&a).len(), 64);
        assert_ne!(ac_key(&a), ac_key(&[2u8; 32]));
    }

    #[test]
    fn plain_http_only_on_loopback() {
        let t = Duration::from_secs(1);
        assert!(Remote::new("http://127.0.0.1:1/c", Mode::Read, None, t).is_ok());
        assert!(matches!(
            Remote::new("http://cache.example/", Mode::Read, None, t),
            Err(RemoteError::PlainHttp { .. })
        ));
        assert!(matches!(
            Remote::new("ftp://cache.example/", Mode::Read, None, t),
            Err(RemoteError::BadUrl { .. })
        ));
        assert!(matches!(
            Remote::new("https://c.example/", Mode::Read, Some(("no colon", "V")), t),
            Err(RemoteError::BadHeader { .. })
        ));
        let r = Remote::new("https://u:secret@c.example/base", Mode::Read, None, t).unwrap();
        assert!(!r.shown().contains("secret"), "{}", r.shown());
        assert_eq!(r.url("ac", "k").unwrap().path(), "/base/ac/k");
    }
}

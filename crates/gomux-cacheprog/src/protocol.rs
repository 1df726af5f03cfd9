//! Go's GOCACHEPROG wire format (`cmd/go/internal/cacheprog`): JSON objects, one a line, in
//! both directions. A `put` with a body is followed by a line holding the body as a JSON
//! string of standard base64. Go writes an empty line after every request object.

use std::io::{self, BufRead};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The most a request line may hold (the JSON object, not the body): IDs are 32 bytes.
const MAX_LINE: u64 = 64 * 1024;

/// The commands gomux answers (`KnownCommands`).
pub const KNOWN: [&str; 3] = ["get", "put", "close"];

/// One request from Go.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Request {
    /// Echoed in the response.
    #[serde(rename = "ID")]
    pub id: i64,
    /// `get`, `put` or `close`.
    pub command: String,
    /// The cache key of a `get` or `put`.
    #[serde(rename = "ActionID", default, deserialize_with = "b64_opt")]
    pub action_id: Option<Vec<u8>>,
    /// The SHA-256 of a `put`'s body.
    #[serde(rename = "OutputID", default, deserialize_with = "b64_opt")]
    pub output_id: Option<Vec<u8>>,
    /// The size of a `put`'s body (the next line) when non-zero.
    #[serde(default)]
    pub body_size: i64,
    /// A `put`'s body, read from the line after the object.
    #[serde(skip)]
    pub body: Vec<u8>,
}

/// One response to Go.
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Response {
    #[serde(rename = "ID")]
    pub id: i64,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub err: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub known_commands: Vec<&'static str>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub miss: bool,
    #[serde(
        rename = "OutputID",
        skip_serializing_if = "Option::is_none",
        serialize_with = "b64_ser"
    )]
    pub output_id: Option<Vec<u8>>,
    #[serde(skip_serializing_if = "is_zero")]
    pub size: i64,
    /// When a hit was stored, RFC 3339 with nanoseconds (Go's `time.Time` in JSON).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time: Option<String>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub disk_path: String,
}

fn is_zero(n: &i64) -> bool {
    *n == 0
}

fn b64_opt<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<u8>>, D::Error> {
    let s: Option<String> = Option::deserialize(d)?;
    s.map(|s| STANDARD.decode(s).map_err(serde::de::Error::custom))
        .transpose()
}

fn b64_ser<S: Serializer>(v: &Option<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(bytes) => s.serialize_str(&STANDARD.encode(bytes)),
        None => s.serialize_none(),
    }
}

/// `t` as Go's JSON for `time.Time` (RFC 3339, UTC, nanoseconds).
pub fn go_time(t: std::time::SystemTime) -> String {
    let whole = gomux_home::time::rfc3339(t);
    let nanos = t
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    match whole.strip_suffix('Z') {
        Some(s) => format!("{s}.{nanos:09}Z"),
        None => whole,
    }
}

/// Reads the next request (and its body), skipping blank lines; `None` at the end of input.
pub fn read_request<R: BufRead>(input: &mut R) -> io::Result<Option<Request>> {
    let Some(line) = next_line(input, MAX_LINE)? else {
        return Ok(None);
    };
    let mut req: Request = serde_json::from_slice(&line)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, format!("bad request: {e}")))?;
    if req.body_size < 0 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "bad request: negative BodySize",
        ));
    }
    if req.body_size > 0 {
        let size = u64::try_from(req.body_size).unwrap_or(u64::MAX);
        // Base64 is 4 bytes for every 3, plus the quotes.
        let limit = size.saturating_add(2) / 3 * 4 + 16;
        let Some(line) = next_line(input, limit)? else {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the input ended before a put's body",
            ));
        };
        let text = line
            .strip_prefix(b"\"")
            .and_then(|l| l.strip_suffix(b"\""))
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "a body is not a string"))?;
        req.body = STANDARD
            .decode(text)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, format!("bad body: {e}")))?;
        if req.body.len() as u64 != size {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "a body holds {} bytes, not the {size} announced",
                    req.body.len()
                ),
            ));
        }
    }
    Ok(Some(req))
}

/// The next non-blank line without its line end, at most `limit` bytes.
fn next_line<R: BufRead>(input: &mut R, limit: u64) -> io::Result<Option<Vec<u8>>> {
    loop {
        let mut line = Vec::new();
        let n = io::Read::take(input.by_ref(), limit + 2).read_until(b'\n', &mut line)?;
        if n == 0 {
            return Ok(None);
        }
        if line.last() != Some(&b'\n') && line.len() as u64 > limit {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("a line is longer than {limit} bytes"),
            ));
        }
        while matches!(line.last(), Some(b'\n' | b'\r')) {
            line.pop();
        }
        if !line.iter().all(u8::is_ascii_whitespace) {
            return Ok(Some(line));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_go_requests_with_and_without_bodies() {
        let aid = STANDARD.encode([1u8; 32]);
        let oid = STANDARD.encode([2u8; 32]);
        let input = format!(
            "{{\"ID\":1,\"Command\":\"get\",\"ActionID\":\"{aid}\"}}\n\n\
             {{\"ID\":2,\"Command\":\"put\",\"ActionID\":\"{aid}\",\"OutputID\":\"{oid}\",\"BodySize\":5}}\n\n\"{}\"\n\
             {{\"ID\":3,\"Command\":\"put\",\"ActionID\":\"{aid}\",\"OutputID\":\"{oid}\"}}\n\n\
             {{\"ID\":4,\"Command\":\"close\"}}\n\n",
            STANDARD.encode(b"hello")
        );
        let mut r = io::Cursor::new(input.into_bytes());
        let a = read_request(&mut r).unwrap().unwrap();
        assert_eq!((a.id, a.command.as_str()), (1, "get"));
        assert_eq!(a.action_id, Some(vec![1; 32]));
        let b = read_request(&mut r).unwrap().unwrap();
        assert_eq!((b.id, b.body.as_slice()), (2, &b"hello"[..]));
        assert_eq!(b.output_id, Some(vec![2; 32]));
        let c = read_request(&mut r).unwrap().unwrap();
        assert_eq!((c.id, c.body.len()), (3, 0));
        let d = read_request(&mut r).unwrap().unwrap();
        assert_eq!(d.command, "close");
        assert!(read_request(&mut r).unwrap().is_none());
    }

    #[test]
    fn refuses_a_body_of_the_wrong_size() {
        let input = format!(
            "{{\"ID\":2,\"Command\":\"put\",\"BodySize\":9}}\n\"{}\"\n",
            STANDARD.encode(b"hello")
        );
        let mut r = io::Cursor::new(input.into_bytes());
        assert!(read_request(&mut r).is_err());
    }

    #[test]
    fn times_are_gos_rfc3339_with_nanoseconds() {
        let t = std::time::UNIX_EPOCH + std::time::Duration::from_nanos(1_700_000_000_123_456_789);
        assert_eq!(go_time(t), "2023-11-14T22:13:20.123456789Z");
    }

    #[test]
    fn writes_responses_as_go_reads_them() {
        let r = Response {
            id: 7,
            output_id: Some(vec![0xff; 2]),
            size: 3,
            disk_path: "/c/ab/x-d".into(),
            ..Response::default()
        };
        assert_eq!(
            serde_json::to_string(&r).unwrap(),
            r#"{"ID":7,"OutputID":"//8=","Size":3,"DiskPath":"/c/ab/x-d"}"#
        );
        let miss = Response {
            id: 8,
            miss: true,
            ..Response::default()
        };
        assert_eq!(
            serde_json::to_string(&miss).unwrap(),
            r#"{"ID":8,"Miss":true}"#
        );
    }
}

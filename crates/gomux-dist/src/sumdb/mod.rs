//! Proof from the checksum database that a `golang.org/toolchain` module is the one the
//! database recorded: the signed tree head, the record's inclusion, the tree's consistency
//! with the last one gomux saw, and only the exact record line for the module and version.
//!
//! The design decision to know: nothing a server sends is taken on its word. The tree head
//! counts only with a valid signature by the configured key ([`note`]); the record counts only
//! when gomux's own recomputation of the root from it and the tiles gives that signed root
//! ([`tlog`]); and the last tree head seen per database is kept in the gomux home (as the
//! signed note itself, rewritten atomically) so a database that forks its log for one client
//! is caught the next time. `GONOSUMDB`/`GOPRIVATE` never apply to the toolchain module.

pub mod note;
pub mod tlog;

use std::path::{Path, PathBuf};

use gomux_home::{fsx, text};
use reqwest::Url;

use crate::error::DistError;
use crate::fetch::shown;
use note::Verifier;
use tlog::{Hash, TileSource, Tiles};

/// The public key of `sum.golang.org` (Go's built-in default).
pub const SUM_GOLANG_ORG_KEY: &str =
    "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8";

const TREE_PREFIX: &str = "go.sum database tree\n";
const LOOKUP_LIMIT: u64 = 1 << 20;
const TILE_LIMIT: u64 = 256 * 32;

/// Standard base64 (the encoder is the module hash's own).
pub(crate) mod b64 {
    pub use gomux_cache::dirhash::base64 as encode;

    /// Decodes standard base64 with padding; `None` for anything else.
    pub fn decode(s: &str) -> Option<Vec<u8>> {
        let b = s.as_bytes();
        if !b.len().is_multiple_of(4) {
            return None;
        }
        let val = |c: u8| -> Option<u32> {
            Some(match c {
                b'A'..=b'Z' => c - b'A',
                b'a'..=b'z' => c - b'a' + 26,
                b'0'..=b'9' => c - b'0' + 52,
                b'+' => 62,
                b'/' => 63,
                _ => return None,
            } as u32)
        };
        let mut out = Vec::with_capacity(b.len() / 4 * 3);
        for (i, chunk) in b.chunks(4).enumerate() {
            let last = i == b.len() / 4 - 1;
            let pad = chunk.iter().rev().take_while(|&&c| c == b'=').count();
            if pad > 2 || (pad > 0 && !last) {
                return None;
            }
            let mut n = 0u32;
            for &c in &chunk[..4 - pad] {
                n = (n << 6) | val(c)?;
            }
            n <<= 6 * pad as u32;
            let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
            out.extend_from_slice(&bytes[..3 - pad]);
        }
        // Canonical form only: re-encoding gives the same text.
        (encode(&out) == s).then_some(out)
    }
}

/// A checksum database as GOSUMDB names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Database {
    /// Its verifier key.
    pub key: Verifier,
    /// Its URL, ending with `/`.
    pub url: Url,
}

/// What GOSUMDB says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SumDb {
    /// `GOSUMDB=off`: no database, so no proof.
    Off,
    /// A database to prove toolchains with.
    On(Database),
}

impl SumDb {
    /// Parses a GOSUMDB value (`sum.golang.org`, `<name>+<hash>+<key> [URL]`, `off`); empty
    /// is Go's default.
    pub fn parse(value: &str, allow_http: bool) -> Result<SumDb, String> {
        let value = value.trim();
        if value == "off" {
            return Ok(SumDb::Off);
        }
        let fields: Vec<&str> = value.split_whitespace().collect();
        let (key, url) = match fields.as_slice() {
            [] => (SUM_GOLANG_ORG_KEY.to_string(), None),
            [name] | [name, _] if !name.contains('+') => {
                let key = match *name {
                    "sum.golang.org" | "sum.golang.google.cn" => SUM_GOLANG_ORG_KEY,
                    other => {
                        return Err(format!(
                            "`{}` is no database gomux knows the key of; give it as `<name>+<hash>+<key> [URL]`",
                            text::escape_max(other, 80)
                        ));
                    }
                };
                let url = fields.get(1).map(|u| u.to_string()).or_else(|| {
                    (*name == "sum.golang.google.cn").then(|| format!("https://{name}"))
                });
                (key.to_string(), url)
            }
            [key] => (key.to_string(), None),
            [key, url] => (key.to_string(), Some(url.to_string())),
            _ => return Err("expected `<key> [URL]`".to_string()),
        };
        let key = Verifier::parse(&key)?;
        let url = url.unwrap_or_else(|| format!("https://{}", key.name));
        let mut url = Url::parse(&url).map_err(|e| {
            format!(
                "`{}` is not a URL ({e})",
                text::escape_max(&text::redact_urls(&url), 200)
            )
        })?;
        match url.scheme() {
            "https" => {}
            "http" if allow_http || crate::source::is_loopback(&url) => {}
            _ => {
                return Err(format!(
                    "the database URL `{}` must be `https://` (or `http://` on loopback)",
                    shown(&url)
                ));
            }
        }
        if !url.path().ends_with('/') {
            let path = format!("{}/", url.path());
            url.set_path(&path);
        }
        Ok(SumDb::On(Database { key, url }))
    }
}

/// What proved a module: kept beside the installed toolchain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Proof {
    /// The database's name.
    pub db: String,
    /// The module zip's `h1:` hash from the proven record.
    pub zip_h1: String,
    /// The module's `go.mod` `h1:` hash from the proven record.
    pub mod_h1: String,
    /// The record's id in the log.
    pub record: u64,
    /// The signed tree the record was proven in: size and base64 root.
    pub tree_size: u64,
    /// The tree's root hash, base64.
    pub tree_hash: String,
    /// The database URL the answers came from (redacted).
    pub via: String,
}

/// Fetches a small document; `NotFound` for 404/410 and a missing file.
pub(crate) type Get<'a> = dyn Fn(&Url, u64) -> Result<Vec<u8>, DistError> + 'a;

struct UrlTiles<'a> {
    base: &'a Url,
    get: &'a Get<'a>,
}

impl TileSource for UrlTiles<'_> {
    fn read_tile(&self, path: &str) -> Result<Vec<u8>, String> {
        let url = self.base.join(path).map_err(|e| e.to_string())?;
        (self.get)(&url, TILE_LIMIT).map_err(|e| e.to_string())
    }
}

/// A signed tree head.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Tree {
    size: u64,
    hash: Hash,
    /// The whole signed note, as stored.
    note: Vec<u8>,
}

fn parse_tree(key: &Verifier, note: &[u8]) -> Result<Tree, String> {
    let text = key.open(note).map_err(|e| e.to_string())?;
    let body = text
        .strip_prefix(TREE_PREFIX)
        .ok_or("the signed note is not a tree head")?;
    let mut lines = body.split('\n');
    let (Some(n), Some(h)) = (lines.next(), lines.next()) else {
        return Err("the tree head is malformed".to_string());
    };
    let size: u64 = n
        .parse()
        .ok()
        .filter(|v: &u64| v.to_string() == n)
        .ok_or("the tree head's size is malformed")?;
    let raw = b64::decode(h)
        .filter(|r| r.len() == 32)
        .ok_or("the tree head's hash is malformed")?;
    let mut hash = [0u8; 32];
    hash.copy_from_slice(&raw);
    Ok(Tree {
        size,
        hash,
        note: note.to_vec(),
    })
}

/// Where the database's answers come from, as Go's design for proxying a checksum database
/// says: the first proxy of the GOPROXY list that answers `<proxy>/sumdb/<name>/supported`
/// serves it (`<proxy>/sumdb/<name>/`); a 404 or 410 (or any error after `|`) tries the next;
/// the database's own URL once the list is used up or reaches `direct` or `off`. Any other
/// failure means the database is unavailable (the error).
pub(crate) fn choose_base(
    db: &Database,
    proxies: &crate::goproxy::ProxyList,
    get: &Get<'_>,
) -> Result<Url, DistError> {
    use crate::goproxy::Target;
    for entry in &proxies.entries {
        let Target::Url(proxy) = &entry.target else {
            break;
        };
        let Ok(base) = proxy.join(&format!("sumdb/{}/", db.key.name)) else {
            continue;
        };
        let Ok(supported) = base.join("supported") else {
            continue;
        };
        match get(&supported, 4096) {
            Ok(_) => return Ok(base),
            Err(DistError::NotFound { .. }) => {}
            Err(_) if entry.on_any_error => {}
            Err(e) => return Err(e),
        }
    }
    Ok(db.url.clone())
}

/// The file in `state_dir` keeping the last tree head seen from database `name`.
fn state_file(state_dir: &Path, name: &str) -> PathBuf {
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    state_dir.join(format!("{safe}.latest"))
}

/// Proves the record of `module@version` and returns its hashes. `state_dir` keeps the last
/// tree head seen per database.
pub(crate) fn prove(
    db: &Database,
    base: &Url,
    module: &str,
    version: &str,
    state_dir: &Path,
    get: &Get<'_>,
) -> Result<Proof, Refused> {
    let name = &db.key.name;
    let at = |what: &str| format!("{what} (database `{name}` at `{}`)", shown(base));
    let url = base
        .join(&format!("lookup/{module}@{version}"))
        .map_err(|e| Refused::failed(e.to_string()))?;
    let body = get(&url, LOOKUP_LIMIT).map_err(|e| Refused {
        unreachable: !matches!(e, DistError::NotFound { .. }),
        why: at(&format!("the lookup failed: {e}")),
    })?;
    prove_answer(db, base, module, version, state_dir, get, &body)
        .map_err(|e| Refused::failed(at(&e)))
}

/// Why there is no proof.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    /// Which proof is missing or failed, naming the database.
    pub why: String,
    /// True when the database could not be asked at all (network, server error); only then
    /// may an install go on unverified when the user allowed it. A failed proof never may.
    pub unreachable: bool,
}

impl Refused {
    fn failed(why: String) -> Refused {
        Refused {
            why,
            unreachable: false,
        }
    }
}

fn prove_answer(
    db: &Database,
    base: &Url,
    module: &str,
    version: &str,
    state_dir: &Path,
    get: &Get<'_>,
    body: &[u8],
) -> Result<Proof, String> {
    let name = &db.key.name;
    let at = |what: &str| what.to_string();
    if body.is_empty() {
        return Err(at("the lookup answered with nothing"));
    }
    // `<id>\n<record lines>\n\n<signed tree note>`
    let text = std::str::from_utf8(body).map_err(|_| at("the lookup answer is not UTF-8"))?;
    let (id_line, rest) = text
        .split_once('\n')
        .ok_or_else(|| at("the lookup answer is malformed"))?;
    let id: u64 = id_line
        .parse()
        .ok()
        .filter(|v: &u64| v.to_string() == id_line)
        .ok_or_else(|| at("the lookup answer has no record id"))?;
    let split = rest
        .find("\n\n")
        .ok_or_else(|| at("the lookup answer has no signed tree"))?;
    let (record, note) = (&rest[..split + 1], &rest[split + 2..]);
    let tree = parse_tree(&db.key, note.as_bytes())
        .map_err(|e| at(&format!("the signed tree head is refused: {e}")))?;
    let (zip_h1, mod_h1) = exact_record(record, module, version).map_err(|e| at(&e))?;
    let source = UrlTiles { base, get };
    let tiles = Tiles::new(&source, tree.size);
    tiles
        .prove_record(id, &tlog::record_hash(record.as_bytes()), &tree.hash)
        .map_err(|e| at(&e.to_string()))?;
    check_consistent(db, base, &tree, state_dir, get).map_err(|e| at(&e))?;
    Ok(Proof {
        db: name.clone(),
        zip_h1,
        mod_h1,
        record: id,
        tree_size: tree.size,
        tree_hash: b64::encode(&tree.hash),
        via: shown(base),
    })
}

/// The record must be exactly the two lines of this module and version.
fn exact_record(record: &str, module: &str, version: &str) -> Result<(String, String), String> {
    let mut lines = record.lines();
    let want_zip = format!("{module} {version} ");
    let want_mod = format!("{module} {version}/go.mod ");
    let zip = lines.next().and_then(|l| l.strip_prefix(&want_zip));
    let gomod = lines.next().and_then(|l| l.strip_prefix(&want_mod));
    match (zip, gomod, lines.next()) {
        (Some(z), Some(m), None) if is_h1(z) && is_h1(m) => Ok((z.to_string(), m.to_string())),
        _ => Err(format!(
            "the record is not the one for `{module}@{version}` (it reads `{}`)",
            text::escape_max(record.trim_end(), 200)
        )),
    }
}

/// `h1:` and 44 characters of base64 (a SHA-256).
pub(crate) fn is_h1(s: &str) -> bool {
    s.strip_prefix("h1:")
        .and_then(b64::decode)
        .is_some_and(|d| d.len() == 32)
}

fn check_consistent(
    db: &Database,
    base: &Url,
    tree: &Tree,
    state_dir: &Path,
    get: &Get<'_>,
) -> Result<(), String> {
    let file = state_file(state_dir, &db.key.name);
    // Read, prove against, and replace the kept head as one step: two installs at once must
    // not put an older head back over a newer one.
    let _lock = fsx::UpdateLock::acquire(&file.with_extension("lock"))
        .map_err(|e| format!("cannot lock the kept tree head: {e}"))?;
    let old = match fsx::read_bounded(&file, 64 * 1024) {
        Ok(Some(bytes)) => Some(parse_tree(&db.key, &bytes).map_err(|e| {
            format!(
                "the last tree head gomux kept in `{}` is refused ({e}); remove that file only if you trust the database again",
                file.display()
            )
        })?),
        _ => None,
    };
    let source = UrlTiles { base, get };
    let newest = match &old {
        Some(old) if old.size <= tree.size => {
            Tiles::new(&source, tree.size)
                .prove_tree(old.size, &old.hash, &tree.hash)
                .map_err(|e| format!("{e} (size {} then {})", old.size, tree.size))?;
            tree
        }
        Some(old) => {
            Tiles::new(&source, old.size)
                .prove_tree(tree.size, &tree.hash, &old.hash)
                .map_err(|e| format!("{e} (size {} then {})", old.size, tree.size))?;
            old
        }
        None => tree,
    };
    if old.as_ref() != Some(newest) {
        fsx::create_owned_dir(state_dir, fsx::FOLDER_MARKER)
            .map_err(|e| format!("cannot keep the tree head: {e}"))?;
        fsx::write_atomic(&file, &newest.note)
            .map_err(|e| format!("cannot keep the tree head in `{}`: {e}", file.display()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_decodes_only_canonical_text() {
        for s in ["", "Zg==", "Zm8=", "Zm9v", "Zm9vYmFy", "+/+/"] {
            assert_eq!(b64::encode(&b64::decode(s).unwrap()), s);
        }
        for bad in ["Zg=", "Zh==", "Z===", "Zg==Zg==", "Zm9v\n", "****"] {
            assert_eq!(b64::decode(bad), None, "{bad}");
        }
    }

    #[test]
    fn gosumdb_values() {
        let SumDb::On(d) = SumDb::parse("", false).unwrap() else {
            panic!()
        };
        assert_eq!(d.url.as_str(), "https://sum.golang.org/");
        assert_eq!(SumDb::parse("off", false).unwrap(), SumDb::Off);
        let SumDb::On(d) = SumDb::parse("sum.golang.google.cn", false).unwrap() else {
            panic!()
        };
        assert_eq!(d.url.as_str(), "https://sum.golang.google.cn/");
        assert_eq!(d.key.name, "sum.golang.org");
        let SumDb::On(d) = SumDb::parse(
            &format!("{SUM_GOLANG_ORG_KEY} http://127.0.0.1:9/db"),
            false,
        )
        .unwrap() else {
            panic!()
        };
        assert_eq!(d.url.as_str(), "http://127.0.0.1:9/db/");
        assert!(SumDb::parse(&format!("{SUM_GOLANG_ORG_KEY} http://db.example/"), false).is_err());
        assert!(SumDb::parse("db.example", false).is_err());
        assert!(SumDb::parse("a b c", false).is_err());
    }

    #[test]
    fn a_proxy_that_serves_the_database_is_used() {
        let SumDb::On(db) = SumDb::parse("", false).unwrap() else {
            panic!()
        };
        let list = |v: &str| crate::goproxy::ProxyList::parse(v, "test", false).unwrap();
        let get = |u: &Url, _: u64| match u.as_str() {
            "https://b.example/p/sumdb/sum.golang.org/supported" => Ok(Vec::new()),
            "https://down.example/sumdb/sum.golang.org/supported" => Err(DistError::Status {
                url: u.to_string(),
                status: 503,
                redirected: None,
            }),
            _ => Err(DistError::NotFound {
                url: u.to_string(),
                what: None,
                redirected: None,
            }),
        };
        let base = |v: &str| choose_base(&db, &list(v), &get).map(|u| u.to_string());
        assert_eq!(
            base("https://a.example,https://b.example/p").unwrap(),
            "https://b.example/p/sumdb/sum.golang.org/"
        );
        assert_eq!(
            base("https://a.example").unwrap(),
            "https://sum.golang.org/"
        );
        assert_eq!(
            base("https://a.example,direct,https://b.example/p").unwrap(),
            "https://sum.golang.org/",
            "nothing after `direct` is asked"
        );
        // Another failure: unavailable after `,`, the next proxy after `|`.
        assert!(base("https://down.example,https://b.example/p").is_err());
        assert_eq!(
            base("https://down.example|https://b.example/p").unwrap(),
            "https://b.example/p/sumdb/sum.golang.org/"
        );
    }

    #[test]
    fn only_the_exact_record_is_accepted() {
        let h = "h1:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";
        let m = "golang.org/toolchain";
        let v = "v0.0.1-go1.23.5.linux-amd64";
        let good = format!("{m} {v} {h}\n{m} {v}/go.mod {h}\n");
        assert_eq!(
            exact_record(&good, m, v).unwrap(),
            (h.to_string(), h.to_string())
        );
        for bad in [
            format!(
                "{m} v0.0.1-go1.23.4.linux-amd64 {h}\n{m} v0.0.1-go1.23.4.linux-amd64/go.mod {h}\n"
            ),
            format!("{m} {v} {h}\n"),
            format!("{m} {v}/go.mod {h}\n{m} {v} {h}\n"),
            format!("{m} {v} {h}\n{m} {v}/go.mod {h}\nextra\n"),
            format!("{m} {v} h1:short\n{m} {v}/go.mod {h}\n"),
            String::new(),
        ] {
            assert!(exact_record(&bad, m, v).is_err(), "{bad}");
        }
    }
}

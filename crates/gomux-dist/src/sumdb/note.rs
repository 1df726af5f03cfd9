//! Signed notes: the checksum database's tree heads are text signed with an Ed25519 key, and
//! a note counts only when a signature by the configured key verifies over its exact text.
//!
//! A verifier key is `<name>+<hash>+<base64 key>`: the key is one algorithm byte (1, Ed25519)
//! and the 32-byte public key; the hash is the first four bytes of
//! `sha256(<name> "\n" <key>)` as eight hex digits, and each signature line starts with it, so
//! a signature by another key of the same name is told apart from a forged one.

use sha2::{Digest, Sha256};

use super::b64;

const ED25519: u8 = 1;
/// A signature line starts with an em dash and a space.
const SIG_PREFIX: &str = "\u{2014} ";

/// A parsed verifier key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verifier {
    /// The database's name (`sum.golang.org`).
    pub name: String,
    hash: u32,
    public: [u8; 32],
}

/// Why a note is not accepted.
#[derive(Debug, PartialEq, Eq)]
pub enum NoteError {
    /// Not a note at all (no signature block, control characters, bad lines).
    Malformed(&'static str),
    /// Signed, but by no key gomux was given (another key of the same name, or another name).
    UnknownKey,
    /// A line claims the configured key, and its signature does not verify: forged or damaged.
    BadSignature,
}

impl std::fmt::Display for NoteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NoteError::Malformed(why) => write!(f, "the signed note is malformed ({why})"),
            NoteError::UnknownKey => {
                f.write_str("the note is not signed by the configured key (another key signed it)")
            }
            NoteError::BadSignature => f.write_str(
                "the note's signature does not verify with the configured key (forged or damaged)",
            ),
        }
    }
}

impl Verifier {
    /// Parses `<name>+<hash>+<base64 key>`; the text says why a key is refused.
    pub fn parse(vkey: &str) -> Result<Verifier, String> {
        let mut parts = vkey.splitn(3, '+');
        let (Some(name), Some(hash_hex), Some(key64)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err("a key has the form `<name>+<hash>+<key>`".to_string());
        };
        if !valid_name(name) {
            return Err("the key's name is not a valid database name".to_string());
        }
        if hash_hex.len() != 8 || !hash_hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err("the key's hash is not eight hex digits".to_string());
        }
        let hash = u32::from_str_radix(hash_hex, 16).map_err(|e| e.to_string())?;
        let key = b64::decode(key64).ok_or("the key is not valid base64")?;
        if key.len() != 33 || key[0] != ED25519 {
            return Err("the key is not an Ed25519 key".to_string());
        }
        if key_hash(name, &key) != hash {
            return Err("the key's hash does not match its name and key".to_string());
        }
        let mut public = [0u8; 32];
        public.copy_from_slice(&key[1..]);
        Ok(Verifier {
            name: name.to_string(),
            hash,
            public,
        })
    }

    /// Opens `msg`: returns its text when a signature line by this key verifies over it.
    pub fn open<'m>(&self, msg: &'m [u8]) -> Result<&'m str, NoteError> {
        let msg = std::str::from_utf8(msg).map_err(|_| NoteError::Malformed("not UTF-8"))?;
        if msg.chars().any(|c| c < ' ' && c != '\n') {
            return Err(NoteError::Malformed("control characters"));
        }
        let split = msg
            .rfind("\n\n")
            .ok_or(NoteError::Malformed("no signature block"))?;
        let (text, sigs) = (&msg[..split + 1], &msg[split + 2..]);
        if sigs.is_empty() || !sigs.ends_with('\n') {
            return Err(NoteError::Malformed("no signature lines"));
        }
        let mut verified = false;
        for (n, line) in sigs.lines().enumerate() {
            if n >= 100 {
                return Err(NoteError::Malformed("too many signatures"));
            }
            let rest = line
                .strip_prefix(SIG_PREFIX)
                .ok_or(NoteError::Malformed("a signature line without its dash"))?;
            let (name, sig64) = rest
                .split_once(' ')
                .ok_or(NoteError::Malformed("a signature line without a signature"))?;
            let sig =
                b64::decode(sig64).ok_or(NoteError::Malformed("a signature is not base64"))?;
            if !valid_name(name) || sig.len() < 5 {
                return Err(NoteError::Malformed("a bad signature line"));
            }
            let hash = u32::from_be_bytes([sig[0], sig[1], sig[2], sig[3]]);
            if name != self.name || hash != self.hash {
                continue;
            }
            let key =
                ring::signature::UnparsedPublicKey::new(&ring::signature::ED25519, &self.public);
            if key.verify(text.as_bytes(), &sig[4..]).is_err() {
                return Err(NoteError::BadSignature);
            }
            verified = true;
        }
        if verified {
            Ok(text)
        } else {
            Err(NoteError::UnknownKey)
        }
    }
}

fn key_hash(name: &str, key: &[u8]) -> u32 {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update(b"\n");
    h.update(key);
    let d = h.finalize();
    u32::from_be_bytes([d[0], d[1], d[2], d[3]])
}

/// A database name: non-empty, printable, no `+` and no space.
fn valid_name(name: &str) -> bool {
    !name.is_empty() && name.chars().all(|c| c > ' ' && c != '+' && c != '\u{7f}')
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A verifier key and a signed note made with ring from a fixed seed.
    fn signed(name: &str, text: &str) -> (String, Vec<u8>) {
        let pair = ring::signature::Ed25519KeyPair::from_seed_unchecked(&[9u8; 32]).unwrap();
        use ring::signature::KeyPair as _;
        let key = [&[ED25519][..], pair.public_key().as_ref()].concat();
        let hash = key_hash(name, &key);
        let vkey = format!("{name}+{hash:08x}+{}", b64::encode(&key));
        let sig = pair.sign(text.as_bytes());
        let line = b64::encode(&[&hash.to_be_bytes()[..], sig.as_ref()].concat());
        (
            vkey,
            format!("{text}\n\u{2014} {name} {line}\n").into_bytes(),
        )
    }

    #[test]
    fn opens_a_note_signed_by_the_key() {
        let (vkey, msg) = signed("test.example", "go.sum database tree\n3\nabc\n");
        let v = Verifier::parse(&vkey).unwrap();
        assert_eq!(v.open(&msg).unwrap(), "go.sum database tree\n3\nabc\n");
        // One changed byte of the text: the signature no longer verifies.
        let mut tampered = msg.clone();
        tampered[21] = b'4';
        assert_eq!(v.open(&tampered), Err(NoteError::BadSignature));
        // The same name with another key: not this key's note.
        let other = Verifier::parse(super::super::SUM_GOLANG_ORG_KEY).unwrap();
        assert_eq!(other.open(&msg), Err(NoteError::UnknownKey));
    }

    #[test]
    fn parses_the_public_database_key() {
        let v = Verifier::parse(super::super::SUM_GOLANG_ORG_KEY).unwrap();
        assert_eq!(v.name, "sum.golang.org");
        assert_eq!(v.hash, 0x033de0ae);
        for bad in [
            "sum.golang.org",
            "sum.golang.org+033de0af+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8",
            "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn9",
            "sum.golang.org+zz3de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8",
            "+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8",
        ] {
            assert!(Verifier::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn refuses_malformed_and_unsigned_notes() {
        let v = Verifier::parse(super::super::SUM_GOLANG_ORG_KEY).unwrap();
        assert!(matches!(v.open(b"text\n"), Err(NoteError::Malformed(_))));
        assert!(matches!(v.open(b""), Err(NoteError::Malformed(_))));
        assert!(matches!(
            v.open("text\n\n\u{2014} other.example AAAAAAAA\n".as_bytes()),
            Err(NoteError::UnknownKey)
        ));
        // The right name and key hash with a signature that does not verify.
        let forged = format!(
            "go.sum database tree\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n\u{2014} sum.golang.org {}\n",
            b64::encode(&[&[0x03, 0x3d, 0xe0, 0xae][..], &[7u8; 64][..]].concat())
        );
        assert_eq!(v.open(forged.as_bytes()), Err(NoteError::BadSignature));
        assert!(matches!(
            v.open(b"a\x1b[2J\n\n\xe2\x80\x94 x y\n"),
            Err(NoteError::Malformed(_))
        ));
    }
}

//! The Go module `h1:` hash, for a module zip and for an extracted module folder.
//!
//! The hash is what Go records in `<GOMODCACHE>/cache/download/<module>/@v/<version>.ziphash`
//! and in go.sum: sort the file names (`<module>@<version>/<path>`, `/`-separated); for each,
//! one line of the lowercase hex SHA-256 of the file, two spaces, the name and a newline; take
//! the SHA-256 of those lines, encode it in standard base64 and prefix `h1:`. Keeping the
//! per-file hashes lets `gomux cache verify` say which files were changed, added or removed.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use sha2::{Digest, Sha256};

/// Per-file SHA-256 (lowercase hex) by full name, sorted by name as Go sorts strings (bytes).
pub type FileHashes = BTreeMap<String, String>;

/// The `h1:` hash of a set of file hashes.
pub fn hash1(files: &FileHashes) -> String {
    let mut summary = Sha256::new();
    for (name, hex) in files {
        summary.update(hex.as_bytes());
        summary.update(b"  ");
        summary.update(name.as_bytes());
        summary.update(b"\n");
    }
    format!("h1:{}", base64(&summary.finalize()))
}

/// The lowercase hex SHA-256 of everything `r` yields.
pub fn sha256_hex(mut r: impl Read) -> io::Result<String> {
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match r.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        h.update(&buf[..n]);
    }
    Ok(gomux_home::text::hex(&h.finalize()))
}

/// Standard base64 with `=` padding.
pub fn base64(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// An error hashing a zip: the zip could not be read (corrupt, truncated, not a zip). The text
/// says why, without the zip's path (the caller names the module).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ZipError(pub String);

/// Per-file hashes of every entry of a module zip, by entry name (as Go's `HashZip`).
pub fn zip_files(path: &Path) -> Result<FileHashes, ZipError> {
    let file = File::open(path).map_err(|e| ZipError(e.to_string()))?;
    let mut zip =
        zip::ZipArchive::new(io::BufReader::new(file)).map_err(|e| ZipError(e.to_string()))?;
    let mut out = FileHashes::new();
    for i in 0..zip.len() {
        let entry = zip.by_index(i).map_err(|e| ZipError(e.to_string()))?;
        let name = entry.name().to_string();
        if name.contains('\n') {
            return Err(ZipError(format!(
                "entry name `{}` contains a newline",
                name.escape_debug()
            )));
        }
        let hash = sha256_hex(entry).map_err(|e| ZipError(format!("`{name}`: {e}")))?;
        out.insert(name, hash);
    }
    Ok(out)
}

/// Per-file hashes of every file under `dir`, named `<prefix>/<relative path>` with `/`
/// separators (as Go's `HashDir`). Symbolic links are hashed as the file they point to.
pub fn dir_files(dir: &Path, prefix: &str) -> io::Result<FileHashes> {
    let mut out = FileHashes::new();
    let mut stack = vec![(dir.to_path_buf(), prefix.to_string())];
    while let Some((d, name)) = stack.pop() {
        for entry in std::fs::read_dir(&d)? {
            let entry = entry?;
            let child = format!("{name}/{}", entry.file_name().to_string_lossy());
            let path = entry.path();
            if entry.file_type()?.is_dir() {
                stack.push((path, child));
            } else {
                out.insert(child, sha256_hex(File::open(&path)?)?);
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn base64_matches_the_standard_vectors() {
        for (input, want) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(input.as_bytes()), want, "{input}");
        }
        assert_eq!(base64(&[0xfb, 0xff, 0xbf]), "+/+/");
    }

    /// A fixed input worked by hand: one file `hello` in `example.com/m@v1.0.0`.
    ///   sha256("hello") = 2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824
    ///   summary line = that hex, two spaces, `example.com/m@v1.0.0/hello.txt`, newline
    ///   h1 = base64(sha256(summary line))
    #[test]
    fn hash1_of_a_fixed_input() {
        let mut files = FileHashes::new();
        files.insert(
            "example.com/m@v1.0.0/hello.txt".into(),
            sha256_hex(&b"hello"[..]).unwrap(),
        );
        assert_eq!(
            files["example.com/m@v1.0.0/hello.txt"],
            "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
        );
        let line = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824  example.com/m@v1.0.0/hello.txt\n";
        let want = format!("h1:{}", base64(&Sha256::digest(line.as_bytes())));
        assert_eq!(hash1(&files), want);
        assert_eq!(
            hash1(&files),
            "h1:Pg1UUBnPllYNLtmFnSpDqGFZORmzHOFvpNEb3uHScUs="
        );
        // The empty set hashes the empty summary.
        assert_eq!(
            hash1(&FileHashes::new()),
            "h1:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
        );
    }

    #[test]
    fn a_zip_and_its_extracted_folder_agree() {
        let tmp = tempfile::tempdir().unwrap();
        let zip_path = tmp.path().join("m.zip");
        let files = [
            ("example.com/m@v1.0.0/go.mod", "module example.com/m\n"),
            ("example.com/m@v1.0.0/m.go", "package m\n"),
            ("example.com/m@v1.0.0/sub/a.txt", "a"),
        ];
        let mut w = zip::ZipWriter::new(File::create(&zip_path).unwrap());
        for (name, body) in files {
            w.start_file(name, zip::write::SimpleFileOptions::default())
                .unwrap();
            w.write_all(body.as_bytes()).unwrap();
        }
        w.finish().unwrap();
        let dir = tmp.path().join("example.com/m@v1.0.0");
        for (name, body) in files {
            let p = tmp.path().join(name);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, body).unwrap();
        }
        let z = zip_files(&zip_path).unwrap();
        let d = dir_files(&dir, "example.com/m@v1.0.0").unwrap();
        assert_eq!(z, d);
        assert_eq!(z.len(), 3);
        assert_eq!(hash1(&z), hash1(&d));
        std::fs::write(dir.join("m.go"), "package m // changed\n").unwrap();
        let d2 = dir_files(&dir, "example.com/m@v1.0.0").unwrap();
        assert_ne!(hash1(&z), hash1(&d2));
        std::fs::write(&zip_path, b"PK not really").unwrap();
        assert!(zip_files(&zip_path).is_err());
    }
}

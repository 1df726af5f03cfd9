//! The streaming pass: one read of the download feeds the sha256 and the gunzip, and the
//! unpacker consumes the decompressed bytes as they come.
//!
//! Why two threads: hashing and gunzip run on a thread of their own while the calling thread
//! parses the tar stream and writes files, so decompression and disk writes overlap the way
//! `curl | tar xz` overlaps them across processes. The reader thread always reads the body to
//! its end, even when the unpacker stopped early, so that the caller can tell a damaged or
//! substituted file (checksum mismatch) from an honest but hostile archive.

use std::io::{self, BufReader, Read, Write};
use std::path::Path;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use gomux_home::text::hex;
use sha2::{Digest, Sha256};

use crate::error::DistError;
use crate::progress::Progress;

const READ_BUF: usize = 256 * 1024;
const CHUNK: usize = 256 * 1024;

/// What the reader thread saw: the hash and length of the whole body.
#[derive(Debug)]
pub(crate) struct Streamed {
    pub sha256: String,
    pub bytes: u64,
}

/// Why reading the body failed, after how many bytes.
#[derive(Debug)]
pub(crate) struct BodyFailure {
    pub error: io::Error,
    pub got: u64,
    pub too_large: bool,
}

/// Hashes everything read through it and remembers the first read error.
struct HashingReader<'p, R> {
    inner: R,
    hasher: Sha256,
    got: u64,
    limit: u64,
    progress: &'p dyn Progress,
    failed: Option<BodyFailure>,
}

impl<'p, R> HashingReader<'p, R> {
    /// Hashes and counts what it reads from `inner` (telling `progress`), failing past `limit`
    /// bytes.
    fn new(inner: R, limit: u64, progress: &'p dyn Progress) -> HashingReader<'p, R> {
        HashingReader {
            inner,
            hasher: Sha256::new(),
            got: 0,
            limit,
            progress,
            failed: None,
        }
    }
}

impl<R: Read> Read for HashingReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.failed.is_some() {
            return Err(io::Error::other("the download failed"));
        }
        loop {
            match self.inner.read(buf) {
                Ok(n) => {
                    self.got += n as u64;
                    if self.got > self.limit {
                        self.failed = Some(BodyFailure {
                            error: io::Error::other("too large"),
                            got: self.got,
                            too_large: true,
                        });
                        return Err(io::Error::other("the download is too large"));
                    }
                    self.hasher.update(&buf[..n]);
                    self.progress.advance(n as u64);
                    return Ok(n);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.failed = Some(BodyFailure {
                        error: e,
                        got: self.got,
                        too_large: false,
                    });
                    return Err(io::Error::other("the download failed"));
                }
            }
        }
    }
}

/// The decompressed stream, as chunks from the reader thread.
struct ChunkReader {
    rx: Receiver<io::Result<Vec<u8>>>,
    cur: Vec<u8>,
    pos: usize,
}

impl Read for ChunkReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.pos >= self.cur.len() {
            match self.rx.recv() {
                Ok(Ok(chunk)) => {
                    self.cur = chunk;
                    self.pos = 0;
                }
                Ok(Err(e)) => return Err(e),
                Err(_) => return Ok(0),
            }
        }
        let n = buf.len().min(self.cur.len() - self.pos);
        buf[..n].copy_from_slice(&self.cur[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

fn reader_thread(
    body: Box<dyn Read + Send + '_>,
    limit: u64,
    progress: &dyn Progress,
    tx: SyncSender<io::Result<Vec<u8>>>,
) -> Result<Streamed, BodyFailure> {
    let mut hr = HashingReader::new(body, limit, progress);
    let gzip_error = {
        let mut gz = flate2::bufread::GzDecoder::new(BufReader::with_capacity(READ_BUF, &mut hr));
        loop {
            let mut chunk = vec![0u8; CHUNK];
            match gz.read(&mut chunk) {
                Ok(0) => break None,
                Ok(n) => {
                    chunk.truncate(n);
                    if tx.send(Ok(chunk)).is_err() {
                        // The unpacker stopped; keep hashing below.
                        break None;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => break Some(e),
            }
        }
    };
    if let Some(failure) = hr.failed.take() {
        let _ = tx.send(Err(io::Error::other("the download failed")));
        return Err(failure);
    }
    if let Some(e) = gzip_error {
        let _ = tx.send(Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("bad gzip data: {e}"),
        )));
    }
    drop(tx);
    // Whatever follows the gzip stream (or what the unpacker did not need) is hashed too.
    if io::copy(&mut hr, &mut io::sink()).is_err()
        && let Some(failure) = hr.failed.take()
    {
        return Err(failure);
    }
    Ok(Streamed {
        sha256: hex(&hr.hasher.finalize()),
        bytes: hr.got,
    })
}

/// Streams a gzip body: the reader thread hashes and gunzips it, `consume` reads the
/// decompressed bytes. Returns what `consume` returned and what the reader thread saw.
pub(crate) fn gunzip_and_hash<F>(
    body: Box<dyn Read + Send + '_>,
    limit: u64,
    progress: &dyn Progress,
    consume: F,
) -> (Result<(), DistError>, Result<Streamed, BodyFailure>)
where
    F: FnOnce(&mut dyn Read) -> Result<(), DistError>,
{
    let (tx, rx) = sync_channel(16);
    std::thread::scope(|scope| {
        let reader = scope.spawn(move || reader_thread(body, limit, progress, tx));
        let mut chunks = ChunkReader {
            rx,
            cur: Vec::new(),
            pos: 0,
        };
        let consumed = consume(&mut chunks);
        // Dropping the receiver tells the reader thread to stop decompressing.
        drop(chunks);
        let streamed = reader.join().unwrap_or_else(|_| {
            Err(BodyFailure {
                error: io::Error::other("the download thread stopped unexpectedly"),
                got: 0,
                too_large: false,
            })
        });
        (consumed, streamed)
    })
}

/// Copies a body into `dest` while hashing it (for zip archives, which cannot be streamed).
pub(crate) fn hash_to_file(
    body: Box<dyn Read + Send + '_>,
    dest: &Path,
    limit: u64,
    progress: &dyn Progress,
) -> Result<Result<Streamed, BodyFailure>, DistError> {
    // Private: nobody may change the file between its hash check and its unpacking.
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let mut out = opts
        .open(dest)
        .map_err(|e| DistError::io("create", dest, e))?;
    let mut hr = HashingReader::new(body, limit, progress);
    let mut buf = vec![0u8; READ_BUF];
    loop {
        let n = match hr.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(_) => {
                let failure = hr.failed.take().unwrap_or(BodyFailure {
                    error: io::Error::other("the download failed"),
                    got: hr.got,
                    too_large: false,
                });
                return Ok(Err(failure));
            }
        };
        out.write_all(&buf[..n])
            .map_err(|e| DistError::io("write", dest, e))?;
    }
    out.flush().map_err(|e| DistError::io("write", dest, e))?;
    Ok(Ok(Streamed {
        sha256: hex(&hr.hasher.finalize()),
        bytes: hr.got,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::progress::Silent;

    fn gz(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn sha(data: &[u8]) -> String {
        hex(&Sha256::digest(data))
    }

    #[test]
    fn hashes_the_whole_body_even_when_the_consumer_stops() {
        let plain: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
        let mut body = gz(&plain);
        body.extend_from_slice(b"trailing bytes after the gzip stream");
        let expected = sha(&body);
        let (consumed, streamed) = gunzip_and_hash(
            Box::new(io::Cursor::new(body.clone())),
            u64::MAX,
            &Silent,
            |r| {
                let mut first = vec![0u8; 10];
                r.read_exact(&mut first).unwrap();
                assert_eq!(first, plain[..10]);
                Ok(())
            },
        );
        assert!(consumed.is_ok());
        let s = streamed.unwrap();
        assert_eq!(s.sha256, expected);
        assert_eq!(s.bytes, body.len() as u64);

        let (consumed, streamed) = gunzip_and_hash(
            Box::new(io::Cursor::new(body.clone())),
            u64::MAX,
            &Silent,
            |r| {
                let mut all = Vec::new();
                r.read_to_end(&mut all).unwrap();
                assert_eq!(all, plain);
                Ok(())
            },
        );
        assert!(consumed.is_ok());
        assert_eq!(streamed.unwrap().sha256, expected);
    }

    #[test]
    fn reports_bad_gzip_and_limits() {
        let body = b"this is not gzip at all".to_vec();
        let (consumed, streamed) = gunzip_and_hash(
            Box::new(io::Cursor::new(body.clone())),
            u64::MAX,
            &Silent,
            |r| {
                let mut all = Vec::new();
                let e = r.read_to_end(&mut all).unwrap_err();
                assert!(e.to_string().contains("gzip"), "{e}");
                Ok(())
            },
        );
        assert!(consumed.is_ok());
        assert_eq!(streamed.unwrap().sha256, sha(&body));

        let big = gz(&vec![7u8; 1_000_000]);
        let (_, streamed) = gunzip_and_hash(Box::new(io::Cursor::new(big)), 100, &Silent, |r| {
            let mut all = Vec::new();
            assert!(r.read_to_end(&mut all).is_err());
            Ok(())
        });
        assert!(streamed.unwrap_err().too_large);
    }

    /// Counts what the pipeline reports, from whichever thread it reports.
    #[derive(Default)]
    struct Counted(std::sync::atomic::AtomicU64);

    impl Progress for Counted {
        fn advance(&self, bytes: u64) {
            self.0
                .fetch_add(bytes, std::sync::atomic::Ordering::Relaxed);
        }
    }

    #[test]
    fn every_byte_read_is_reported_to_the_progress() {
        let body = gz(&vec![3u8; 700_000]);
        let counted = Counted::default();
        let (consumed, streamed) = gunzip_and_hash(
            Box::new(io::Cursor::new(body.clone())),
            1 << 30,
            &counted,
            |r| {
                io::copy(r, &mut io::sink())
                    .map(|_| ())
                    .map_err(|e| DistError::io("read", "test", e))
            },
        );
        assert!(consumed.is_ok());
        assert_eq!(streamed.unwrap().bytes, body.len() as u64);
        assert_eq!(
            counted.0.load(std::sync::atomic::Ordering::Relaxed),
            body.len() as u64
        );
    }
}

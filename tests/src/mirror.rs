//! A local download mirror for tests: a small HTTP/1.1 server on 127.0.0.1 that serves a folder,
//! counts requests per path and injects faults per path, plus builders for the archives and the
//! release index it serves.
//!
//! Why std only: the server must behave badly on purpose (cut a body short, stall, reset the
//! connection), which is easier with a raw `TcpStream` than with any server library. Every
//! response says `Connection: close`, so one request is one connection and the per-path counts
//! are exact. Stalled and slow responses stop when the [`Mirror`] is dropped.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

/// The request target of the release index, as the official server and mirrors answer it.
pub const INDEX_PATH: &str = "/?mode=json&include=all";

/// A fault injected on one path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Answer `404 Not Found`, even when the file exists.
    NotFound,
    /// Answer `500 Internal Server Error` to the next `times` requests, then serve normally.
    ServerError { times: usize },
    /// Announce the full `Content-Length`, send only the first `after` bytes, then close.
    Truncate { after: usize },
    /// Serve a body of the right length with some bytes changed.
    WrongBytes,
    /// Send the headers, then never the body (until the mirror stops).
    Stall,
    /// Send the body `chunk` bytes at a time with `delay` between chunks.
    Slow { chunk: usize, delay: Duration },
    /// Send the headers and the first `after` bytes, then reset the connection (TCP RST).
    Reset { after: usize },
    /// Answer `302 Found` with this `Location`.
    Redirect { to: String },
}

struct State {
    root: PathBuf,
    faults: Mutex<HashMap<String, Fault>>,
    counts: Mutex<HashMap<String, usize>>,
    /// The `Authorization` header of the last request per path.
    auth: Mutex<HashMap<String, String>>,
    stop: AtomicBool,
}

/// A running mirror; stops when dropped.
pub struct Mirror {
    addr: SocketAddr,
    state: Arc<State>,
    accept: Option<JoinHandle<()>>,
}

impl Mirror {
    /// Serves `root` at `http://127.0.0.1:<port>/`: `GET /<file>` answers the file, and
    /// [`INDEX_PATH`] (any `/?mode=json...`) answers `root/index.json`.
    pub fn serve(root: impl Into<PathBuf>) -> Mirror {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let addr = listener.local_addr().expect("local address");
        let state = Arc::new(State {
            root: root.into(),
            faults: Mutex::new(HashMap::new()),
            counts: Mutex::new(HashMap::new()),
            auth: Mutex::new(HashMap::new()),
            stop: AtomicBool::new(false),
        });
        let accept_state = Arc::clone(&state);
        let accept = std::thread::spawn(move || {
            for conn in listener.incoming() {
                if accept_state.stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let st = Arc::clone(&accept_state);
                std::thread::spawn(move || {
                    let _ = handle(&st, conn);
                });
            }
        });
        Mirror {
            addr,
            state,
            accept: Some(accept),
        }
    }

    /// The base URL, without a trailing slash: `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The URL of one file: `http://127.0.0.1:<port>/<name>`.
    pub fn url_for(&self, name: &str) -> String {
        format!("http://{}/{}", self.addr, name.trim_start_matches('/'))
    }

    /// Injects `fault` on `path` (a request target such as `/go1.22.3.linux-amd64.tar.gz`
    /// or [`INDEX_PATH`]), replacing any earlier fault there.
    pub fn set_fault(&self, path: &str, fault: Fault) {
        lock(&self.state.faults).insert(normalise(path), fault);
    }

    /// Removes every fault.
    pub fn clear_faults(&self) {
        lock(&self.state.faults).clear();
    }

    /// How many requests reached `path` (a request target, query included).
    pub fn requests(&self, path: &str) -> usize {
        lock(&self.state.counts)
            .get(&normalise(path))
            .copied()
            .unwrap_or(0)
    }

    /// The `Authorization` header the last request to `path` carried, if any.
    pub fn authorization(&self, path: &str) -> Option<String> {
        lock(&self.state.auth).get(&normalise(path)).cloned()
    }

    /// The base URL with user info: `http://user:password@127.0.0.1:<port>`.
    pub fn url_with_user(&self, user: &str, password: &str) -> String {
        format!("http://{user}:{password}@{}", self.addr)
    }

    /// How many requests reached the mirror in all.
    pub fn total_requests(&self) -> usize {
        lock(&self.state.counts).values().sum()
    }
}

impl Drop for Mirror {
    fn drop(&mut self) {
        self.state.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop up so that it sees the flag.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(h) = self.accept.take() {
            let _ = h.join();
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn normalise(path: &str) -> String {
    if path.starts_with('/') {
        path.to_string()
    } else {
        format!("/{path}")
    }
}

/// Reads one line (up to `\n`) byte by byte, so that nothing after it is consumed.
fn read_line(conn: &mut TcpStream) -> std::io::Result<String> {
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    while line.len() < 16 * 1024 {
        if conn.read(&mut byte)? == 0 {
            break;
        }
        line.push(byte[0]);
        if byte[0] == b'\n' {
            break;
        }
    }
    Ok(String::from_utf8_lossy(&line).trim_end().to_string())
}

fn handle(state: &State, mut conn: TcpStream) -> std::io::Result<()> {
    conn.set_read_timeout(Some(Duration::from_secs(10)))?;
    let request_line = read_line(&mut conn)?;
    let mut parts = request_line.split_whitespace();
    let method = parts.next().unwrap_or("").to_string();
    let target = parts.next().unwrap_or("").to_string();
    if target.is_empty() {
        return Ok(());
    }
    *lock(&state.counts).entry(target.clone()).or_insert(0) += 1;
    let fault = {
        let mut faults = lock(&state.faults);
        match faults.get_mut(&target) {
            Some(Fault::ServerError { times }) if *times > 0 => {
                *times -= 1;
                Some(Fault::ServerError { times: 1 })
            }
            Some(Fault::ServerError { .. }) => None,
            other => other.cloned(),
        }
    };
    if let Some(Fault::Reset { after }) = fault {
        // The rest of the request stays unread: closing the socket then makes the kernel
        // answer with a reset instead of an orderly close.
        let body = file_for(state, &target).unwrap_or_default();
        write_head(&mut conn, "200 OK", body.len())?;
        conn.write_all(&body[..after.min(body.len())])?;
        conn.flush()?;
        std::thread::sleep(Duration::from_millis(100));
        return Ok(());
    }
    // Read the rest of the request head.
    loop {
        let line = read_line(&mut conn)?;
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("authorization")
        {
            lock(&state.auth).insert(target.clone(), value.trim().to_string());
        }
    }
    let head_only = method == "HEAD";
    match fault {
        Some(Fault::NotFound) => return respond(&mut conn, "404 Not Found", b"not found\n"),
        Some(Fault::Redirect { to }) => {
            let head = format!(
                "HTTP/1.1 302 Found\r\nLocation: {to}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
            conn.write_all(head.as_bytes())?;
            return conn.flush();
        }
        Some(Fault::ServerError { .. }) => {
            return respond(
                &mut conn,
                "500 Internal Server Error",
                b"injected failure\n",
            );
        }
        _ => {}
    }
    let Some(mut body) = file_for(state, &target) else {
        return respond(&mut conn, "404 Not Found", b"not found\n");
    };
    write_head(&mut conn, "200 OK", body.len())?;
    if head_only {
        return Ok(());
    }
    match fault {
        Some(Fault::Truncate { after }) => {
            conn.write_all(&body[..after.min(body.len())])?;
            conn.flush()?;
            conn.shutdown(Shutdown::Both)?;
        }
        Some(Fault::WrongBytes) => {
            if !body.is_empty() {
                let mid = body.len() / 2;
                body[mid] ^= 0x5a;
                let last = body.len() - 1;
                body[last] ^= 0xa5;
            }
            conn.write_all(&body)?;
        }
        Some(Fault::Stall) => {
            conn.flush()?;
            wait_for_stop(state, Duration::from_secs(120));
        }
        Some(Fault::Slow { chunk, delay }) => {
            for piece in body.chunks(chunk.max(1)) {
                if state.stop.load(Ordering::SeqCst) {
                    return Ok(());
                }
                conn.write_all(piece)?;
                conn.flush()?;
                std::thread::sleep(delay);
            }
        }
        _ => conn.write_all(&body)?,
    }
    conn.flush()
}

fn wait_for_stop(state: &State, max: Duration) {
    let start = Instant::now();
    while !state.stop.load(Ordering::SeqCst) && start.elapsed() < max {
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn file_for(state: &State, target: &str) -> Option<Vec<u8>> {
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p, q),
        None => (target, ""),
    };
    let rel = if path == "/" && query.contains("mode=json") {
        "index.json"
    } else {
        path.trim_start_matches('/')
    };
    if rel.is_empty() || rel.split('/').any(|c| c == ".." || c.is_empty()) {
        return None;
    }
    std::fs::read(state.root.join(rel)).ok()
}

fn write_head(conn: &mut TcpStream, status: &str, len: usize) -> std::io::Result<()> {
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Length: {len}\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n\r\n"
    );
    conn.write_all(head.as_bytes())
}

fn respond(conn: &mut TcpStream, status: &str, body: &[u8]) -> std::io::Result<()> {
    write_head(conn, status, body.len())?;
    conn.write_all(body)?;
    conn.flush()
}

/// A loopback URL on which nothing listens (a mirror that is down).
pub fn dead_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    let addr = listener.local_addr().expect("local address");
    drop(listener);
    format!("http://{addr}")
}

/// Lowercase hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    gomux_home::text::hex(&Sha256::digest(bytes))
}

/// The host as the release index names it: `("linux", "amd64")`, `("darwin", "arm64")`,
/// `("linux", "armv6l")`.
pub fn host_platform() -> (&'static str, &'static str) {
    let (os, arch) = gomux_version::platform::host().expect("a platform Go has a port for");
    (os, gomux_version::platform::download_arch(os, arch))
}

/// The archive file name of a toolchain for the host: `go1.22.3.linux-amd64.tar.gz`
/// (`.zip` on Windows).
pub fn host_archive_name(toolchain: &str) -> String {
    let (os, arch) = host_platform();
    let ext = if os == "windows" { "zip" } else { "tar.gz" };
    format!("{toolchain}.{os}-{arch}.{ext}")
}

/// One entry of a test archive. Paths are written into the header as given, with no checks,
/// so hostile archives (`../x`, `/etc/x`, links, devices, duplicates) can be built.
#[derive(Clone, Debug)]
pub enum Entry {
    File {
        path: String,
        data: Vec<u8>,
        mode: u32,
    },
    Dir {
        path: String,
    },
    Symlink {
        path: String,
        target: String,
    },
    HardLink {
        path: String,
        target: String,
    },
    CharDevice {
        path: String,
    },
    /// A regular-file header that declares `size` bytes, followed by only `data`: a
    /// decompression bomb's header without its payload.
    Declared {
        path: String,
        size: u64,
        data: Vec<u8>,
    },
    /// A header of any type byte (`b'L'` GNU long name, `b'K'` long link, `b'x'` PAX,
    /// `b'g'` PAX global) named `name` that declares `size` bytes, followed by `data` (padded
    /// to a whole block when it holds all `size` bytes).
    Raw {
        kind: u8,
        name: String,
        size: u64,
        data: Vec<u8>,
    },
}

impl Entry {
    pub fn file(path: &str, data: impl Into<Vec<u8>>) -> Entry {
        Entry::File {
            path: path.to_string(),
            data: data.into(),
            mode: 0o644,
        }
    }
    pub fn exe(path: &str, data: impl Into<Vec<u8>>) -> Entry {
        Entry::File {
            path: path.to_string(),
            data: data.into(),
            mode: 0o755,
        }
    }
    pub fn dir(path: &str) -> Entry {
        Entry::Dir {
            path: path.to_string(),
        }
    }
    /// A GNU long-name record naming the next entry `name`.
    pub fn long_name(name: &[u8]) -> Entry {
        let mut data = name.to_vec();
        data.push(0);
        Entry::Raw {
            kind: b'L',
            name: "././@LongLink".to_string(),
            size: data.len() as u64,
            data,
        }
    }
    /// A PAX header with `records` for the next entry.
    pub fn pax(records: &[(&str, &str)]) -> Entry {
        let mut data = Vec::new();
        for (k, v) in records {
            // `<len> <key>=<value>\n`, where len counts itself.
            let body = format!(" {k}={v}\n");
            let mut len = body.len() + 1;
            while format!("{len}").len() + body.len() != len {
                len += 1;
            }
            data.extend_from_slice(format!("{len}{body}").as_bytes());
        }
        Entry::Raw {
            kind: b'x',
            name: "PaxHeaders/x".to_string(),
            size: data.len() as u64,
            data,
        }
    }
}

fn raw_header(path: &str, kind: tar::EntryType, size: u64, mode: u32) -> tar::Header {
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(kind);
    h.set_size(size);
    h.set_mode(mode);
    h.set_mtime(1_700_000_000);
    let name = &mut h.as_old_mut().name;
    let bytes = path.as_bytes();
    assert!(bytes.len() < name.len(), "test path too long: {path}");
    name[..bytes.len()].copy_from_slice(bytes);
    h.set_cksum();
    h
}

/// A tar stream (not compressed) of `entries`, in order.
pub fn tar(entries: &[Entry]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for e in entries {
        match e {
            Entry::File { path, data, mode } => {
                let h = raw_header(path, tar::EntryType::Regular, data.len() as u64, *mode);
                b.append(&h, data.as_slice()).expect("append file");
            }
            Entry::Dir { path } => {
                let h = raw_header(path, tar::EntryType::Directory, 0, 0o755);
                b.append(&h, std::io::empty()).expect("append dir");
            }
            Entry::Symlink { path, target } | Entry::HardLink { path, target } => {
                let kind = if matches!(e, Entry::Symlink { .. }) {
                    tar::EntryType::Symlink
                } else {
                    tar::EntryType::Link
                };
                let mut h = raw_header(path, kind, 0, 0o777);
                h.set_link_name(target).expect("link name");
                h.set_cksum();
                b.append(&h, std::io::empty()).expect("append link");
            }
            Entry::CharDevice { path } => {
                let mut h = raw_header(path, tar::EntryType::Char, 0, 0o644);
                h.set_device_major(1).expect("major");
                h.set_device_minor(3).expect("minor");
                h.set_cksum();
                b.append(&h, std::io::empty()).expect("append device");
            }
            Entry::Declared { path, size, data } => {
                let h = raw_header(path, tar::EntryType::Regular, *size, 0o644);
                let out = b.get_mut();
                out.extend_from_slice(h.as_bytes());
                out.extend_from_slice(data);
            }
            Entry::Raw {
                kind,
                name,
                size,
                data,
            } => {
                let h = raw_header(name, tar::EntryType::new(*kind), *size, 0o644);
                let out = b.get_mut();
                out.extend_from_slice(h.as_bytes());
                out.extend_from_slice(data);
                if data.len() as u64 == *size {
                    out.resize(out.len().div_ceil(512) * 512, 0);
                }
            }
        }
    }
    b.into_inner().expect("finish tar")
}

/// Gzip-compresses `data` (fast level, as the tests need speed more than size).
pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(data).expect("gzip");
    enc.finish().expect("gzip finish")
}

/// A `.tar.gz` of `entries`.
pub fn tar_gz(entries: &[Entry]) -> Vec<u8> {
    gzip(&tar(entries))
}

/// A `.tar.gz` of a fake SDK for `toolchain` with a GNU long-name record of `name_len` real
/// bytes (`go/aaaa...`) naming one more file, built in a streaming pass: a few hundred MB of
/// name compress to well under a MB, so a small archive makes a careless reader allocate the
/// whole name (and print it in an error).
pub fn long_name_bomb_tar_gz(toolchain: &str, name_len: u64) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let head = tar(&fake_sdk_entries(toolchain, &script_go(toolchain)));
    // Without the two zero blocks that end an archive.
    enc.write_all(&head[..head.len() - 1024]).expect("gzip");
    let h = raw_header(
        "././@LongLink",
        tar::EntryType::GNULongName,
        name_len,
        0o644,
    );
    enc.write_all(h.as_bytes()).expect("gzip");
    enc.write_all(b"go/").expect("gzip");
    let chunk = vec![b'a'; 1 << 20];
    let mut left = name_len - 3;
    while left > 0 {
        let n = left.min(chunk.len() as u64) as usize;
        enc.write_all(&chunk[..n]).expect("gzip");
        left -= n as u64;
    }
    let pad = (512 - (name_len % 512) as usize) % 512;
    enc.write_all(&vec![0u8; pad]).expect("gzip");
    let file = raw_header("go/placeholder", tar::EntryType::Regular, 1, 0o644);
    enc.write_all(file.as_bytes()).expect("gzip");
    let mut block = vec![0u8; 512];
    block[0] = b'x';
    enc.write_all(&block).expect("gzip");
    enc.write_all(&[0u8; 1024]).expect("gzip");
    enc.finish().expect("gzip finish")
}

/// A minimal SDK archive: `go/VERSION` naming `toolchain` (with a `time` line, as 1.21+
/// releases have), `go/bin/go` holding `go_binary` (mode 0755) and a few source files.
pub fn fake_sdk_tar_gz(toolchain: &str, go_binary: &[u8]) -> Vec<u8> {
    tar_gz(&fake_sdk_entries(toolchain, go_binary))
}

/// The entries of [`fake_sdk_tar_gz`], to add to or change.
pub fn fake_sdk_entries(toolchain: &str, go_binary: &[u8]) -> Vec<Entry> {
    vec![
        Entry::dir("go/"),
        Entry::file(
            "go/VERSION",
            format!("{toolchain}\ntime 2024-05-01T00:00:00Z\n"),
        ),
        Entry::dir("go/bin/"),
        Entry::exe("go/bin/go", go_binary.to_vec()),
        Entry::exe("go/bin/gofmt", go_binary.to_vec()),
        Entry::dir("go/src/"),
        Entry::file("go/src/go.mod", "module std\n"),
        Entry::file("go/go.env", "GOPROXY=off\n"),
    ]
}

/// A shell script standing in for `bin/go` where no compiled fake is needed.
pub fn script_go(toolchain: &str) -> Vec<u8> {
    format!("#!/bin/sh\necho \"go version {toolchain} fake\"\n").into_bytes()
}

/// One file of a release in the index.
#[derive(Clone, Debug)]
pub struct IndexFile {
    pub filename: String,
    pub os: String,
    pub arch: String,
    pub sha256: String,
    pub size: u64,
    pub kind: String,
}

/// A mirror folder under construction: archives are written into `root`, and
/// [`MirrorDir::write_index`] writes `root/index.json` in the go.dev/dl format.
pub struct MirrorDir {
    root: PathBuf,
    releases: Vec<(String, bool, Vec<IndexFile>)>,
}

impl MirrorDir {
    pub fn new(root: impl Into<PathBuf>) -> MirrorDir {
        let root = root.into();
        std::fs::create_dir_all(&root).expect("create the mirror folder");
        MirrorDir {
            root,
            releases: Vec::new(),
        }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Writes `bytes` as the host archive of `toolchain` and lists it in the index with its
    /// true sha256. Returns the archive's file name.
    pub fn add(&mut self, toolchain: &str, bytes: &[u8]) -> String {
        let name = host_archive_name(toolchain);
        let sha = sha256_hex(bytes);
        self.add_file(toolchain, &name, bytes, &sha);
        name
    }

    /// A fake SDK for `toolchain` (see [`fake_sdk_tar_gz`]) added with [`MirrorDir::add`].
    pub fn add_fake(&mut self, toolchain: &str) -> String {
        let bytes = fake_sdk_tar_gz(toolchain, &script_go(toolchain));
        self.add(toolchain, &bytes)
    }

    /// Writes `bytes` as `filename` and lists it for the host under `toolchain` with `sha256`
    /// (which may be wrong or empty on purpose).
    pub fn add_file(&mut self, toolchain: &str, filename: &str, bytes: &[u8], sha256: &str) {
        std::fs::write(self.root.join(filename), bytes).expect("write an archive");
        let (os, arch) = host_platform();
        let file = IndexFile {
            filename: filename.to_string(),
            os: os.to_string(),
            arch: arch.to_string(),
            sha256: sha256.to_string(),
            size: bytes.len() as u64,
            kind: "archive".to_string(),
        };
        self.add_index_entry(toolchain, file);
    }

    /// Lists `file` under `toolchain` without writing any archive.
    pub fn add_index_entry(&mut self, toolchain: &str, file: IndexFile) {
        let stable = !toolchain.contains("rc") && !toolchain.contains("beta");
        match self.releases.iter_mut().find(|(v, _, _)| v == toolchain) {
            Some((_, _, files)) => files.push(file),
            None => self
                .releases
                .push((toolchain.to_string(), stable, vec![file])),
        }
    }

    /// Writes `<filename>.sha256` beside an archive (for mirrors without an index).
    pub fn write_sha256_file(&self, filename: &str) {
        let bytes = std::fs::read(self.root.join(filename)).expect("read the archive");
        std::fs::write(
            self.root.join(format!("{filename}.sha256")),
            format!("{}  {filename}\n", sha256_hex(&bytes)),
        )
        .expect("write the .sha256 file");
    }

    /// The index JSON (newest release first, as the official server sorts it).
    pub fn index_json(&self) -> String {
        let mut releases = self.releases.clone();
        releases.sort_by_key(|r| std::cmp::Reverse(version_key(&r.0)));
        let list: Vec<serde_json::Value> = releases
            .iter()
            .map(|(version, stable, files)| {
                serde_json::json!({
                    "version": version,
                    "stable": stable,
                    "files": files.iter().map(|f| serde_json::json!({
                        "filename": f.filename,
                        "os": f.os,
                        "arch": f.arch,
                        "version": version,
                        "sha256": f.sha256,
                        "size": f.size,
                        "kind": f.kind,
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
        serde_json::to_string_pretty(&list).expect("index json")
    }

    /// Writes `root/index.json`.
    pub fn write_index(&self) {
        std::fs::write(self.root.join("index.json"), self.index_json()).expect("write index.json");
    }
}

/// A rough sort key for test versions (`go1.22.3`, `go1.23rc1`): numbers compare as numbers,
/// a prerelease sorts before its release. Enough to order test indexes.
fn version_key(name: &str) -> (Vec<u64>, u8, u64) {
    let v = name.trim_start_matches("go");
    let (nums, pre) = match v.find(|c: char| c.is_ascii_alphabetic()) {
        Some(i) => (&v[..i], Some(&v[i..])),
        None => (v, None),
    };
    let nums: Vec<u64> = nums.split('.').filter_map(|n| n.parse().ok()).collect();
    match pre {
        None => (nums, 2, 0),
        Some(p) => {
            let n = p
                .trim_start_matches(|c: char| c.is_ascii_alphabetic())
                .parse()
                .unwrap_or(0);
            (nums, if p.starts_with("rc") { 1 } else { 0 }, n)
        }
    }
}

//! `gomux cacheprog`: a GOCACHEPROG helper (Go 1.24+) that serves Go's build cache from the
//! local GOCACHE folder the cache policy chose, then from a Bazel HTTP remote cache.
//!
//! Go starts the helper once per `go` command and sends it `get`, `put` and `close` requests
//! over stdin ([`protocol`]). A `get` is answered from the local layer ([`local`], Go's own
//! layout, so `gomux cache list`/`clean` and `go` without the helper see the same entries),
//! else from the remote ([`remote`]), whose answer is checked and then stored locally; a `put`
//! is written locally and, in `read-write` mode, uploaded.
//!
//! The design decision to know: requests are answered by a few worker threads, out of order
//! as the protocol allows, so one slow remote fetch does not hold up the build's other
//! lookups; the main thread only reads requests. At `close` the workers finish (pending
//! uploads included, each bounded by the timeout) before the reply, then the local layer is
//! trimmed as Go trims its own cache (Go skips that when a helper serves it) and the summary
//! is printed when asked.

pub mod local;
pub mod protocol;
pub mod remote;

use std::io::{self, BufRead, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;

use local::Local;
use protocol::{KNOWN, Request, Response};
use remote::{Fetched, Remote};
use sha2::{Digest as _, Sha256};

/// How many requests are served at once.
const WORKERS: usize = 8;

/// What the helper serves from.
pub struct Config {
    /// The local layer (the call's GOCACHE).
    pub local: Local,
    /// The remote layer, when one is configured and usable.
    pub remote: Option<Remote>,
    /// Print the summary on stderr at `close`.
    pub summary: bool,
}

/// Local counters, for the summary.
#[derive(Debug, Default)]
pub struct Counts {
    pub gets: AtomicU64,
    pub local_hits: AtomicU64,
    pub misses: AtomicU64,
    pub puts: AtomicU64,
    pub local_errors: AtomicU64,
}

struct Shared {
    config: Config,
    counts: Counts,
}

/// Serves requests from `input` until `close` or the end of input; returns the summary text.
pub fn serve<R: BufRead, W: Write + Send + 'static>(
    mut input: R,
    output: W,
    config: Config,
) -> io::Result<String> {
    let out = Arc::new(Mutex::new(output));
    send(
        &out,
        &Response {
            known_commands: KNOWN.to_vec(),
            ..Response::default()
        },
    )?;
    let shared = Arc::new(Shared {
        config,
        counts: Counts::default(),
    });
    let (tx, rx) = mpsc::channel::<Request>();
    let rx = Arc::new(Mutex::new(rx));
    let workers: Vec<_> = (0..WORKERS)
        .map(|_| {
            let rx = Arc::clone(&rx);
            let out = Arc::clone(&out);
            let shared = Arc::clone(&shared);
            thread::spawn(move || {
                loop {
                    let next = rx.lock().ok().and_then(|r| r.recv().ok());
                    let Some(req) = next else { break };
                    // A closed stdout means Go is gone: nothing more to say.
                    let _ = serve_one(&shared, &out, req);
                }
            })
        })
        .collect();
    let mut close_id = None;
    let mut failure = None;
    loop {
        match protocol::read_request(&mut input) {
            Ok(None) => break,
            Ok(Some(req)) if req.command == "close" => {
                close_id = Some(req.id);
                break;
            }
            Ok(Some(req)) if req.command == "get" || req.command == "put" => {
                if tx.send(req).is_err() {
                    break;
                }
            }
            Ok(Some(req)) => {
                let err = format!(
                    "gomux cacheprog: unknown command `{}`",
                    gomux_home::text::escape(&req.command)
                );
                send(
                    &out,
                    &Response {
                        id: req.id,
                        err,
                        ..Response::default()
                    },
                )?;
            }
            Err(e) => {
                failure = Some(e);
                break;
            }
        }
    }
    drop(tx);
    for w in workers {
        let _ = w.join();
    }
    if close_id.is_some() {
        shared.config.local.trim(std::time::SystemTime::now());
    }
    let summary = summary(&shared);
    if shared.config.summary {
        eprint!("{summary}");
    }
    if let Some(id) = close_id {
        send(
            &out,
            &Response {
                id,
                ..Response::default()
            },
        )?;
    }
    match failure {
        Some(e) => Err(e),
        None => Ok(summary),
    }
}

fn send<W: Write>(out: &Mutex<W>, response: &Response) -> io::Result<()> {
    let mut line = serde_json::to_vec(response).map_err(io::Error::other)?;
    line.push(b'\n');
    let mut w = out
        .lock()
        .map_err(|_| io::Error::other("the output lock is poisoned"))?;
    w.write_all(&line)?;
    w.flush()
}

/// Answers request `id` with an error, `gomux cacheprog: ` first.
fn refuse<W: Write>(out: &Mutex<W>, id: i64, why: &str) -> io::Result<()> {
    let response = Response {
        id,
        err: format!("gomux cacheprog: {why}"),
        ..Response::default()
    };
    send(out, &response)
}

fn id32(v: &Option<Vec<u8>>) -> Option<[u8; 32]> {
    v.as_deref().and_then(|b| b.try_into().ok())
}

fn serve_one<W: Write>(shared: &Shared, out: &Mutex<W>, req: Request) -> io::Result<()> {
    let Shared { config, counts } = shared;
    let Some(action) = id32(&req.action_id) else {
        return refuse(out, req.id, "a request without a 32-byte ActionID");
    };
    if req.command == "get" {
        counts.gets.fetch_add(1, Ordering::Relaxed);
        let response = get(config, counts, req.id, &action);
        return send(out, &response);
    }
    counts.puts.fetch_add(1, Ordering::Relaxed);
    let output: [u8; 32] = Sha256::digest(&req.body).into();
    if id32(&req.output_id) != Some(output) {
        return refuse(
            out,
            req.id,
            "a put whose OutputID is not its body's SHA-256",
        );
    }
    match config.local.put(&action, &output, &req.body) {
        Ok(path) => send(
            out,
            &Response {
                id: req.id,
                disk_path: path.to_string_lossy().into_owned(),
                ..Response::default()
            },
        )?,
        Err(e) => {
            counts.local_errors.fetch_add(1, Ordering::Relaxed);
            let err = format!(
                "gomux cacheprog: cannot write to `{}`: {}",
                gomux_home::text::escape_path(config.local.dir()),
                gomux_home::fsx::describe(&e)
            );
            return send(
                out,
                &Response {
                    id: req.id,
                    err,
                    ..Response::default()
                },
            );
        }
    }
    // After the reply: Go goes on building while the upload runs.
    if let Some(remote) = &config.remote {
        remote.put(&action, &output, &req.body);
    }
    Ok(())
}

fn get(config: &Config, counts: &Counts, id: i64, action: &[u8; 32]) -> Response {
    let hit =
        |output_id: [u8; 32], size: u64, path: std::path::PathBuf, time: Option<String>| Response {
            id,
            output_id: Some(output_id.to_vec()),
            size: i64::try_from(size).unwrap_or(i64::MAX),
            time,
            disk_path: path.to_string_lossy().into_owned(),
            ..Response::default()
        };
    if let Some(h) = config.local.get(action) {
        counts.local_hits.fetch_add(1, Ordering::Relaxed);
        // Go ignores cached test results older than `go clean -testcache`: it needs the time.
        return hit(h.output_id, h.size, h.path, Some(protocol::go_time(h.time)));
    }
    if let Some(remote) = &config.remote
        && let Fetched::Hit { output_id, body } = remote.get(action)
    {
        match config.local.put(action, &output_id, &body) {
            Ok(path) => return hit(output_id, body.len() as u64, path, None),
            Err(_) => {
                counts.local_errors.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
    counts.misses.fetch_add(1, Ordering::Relaxed);
    Response {
        id,
        miss: true,
        ..Response::default()
    }
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

fn summary(shared: &Shared) -> String {
    let c = &shared.counts;
    let n = |a: &AtomicU64| a.load(Ordering::Relaxed);
    let mut s = String::from("gomux cacheprog summary\n");
    let remote_hits = shared
        .config
        .remote
        .as_ref()
        .map_or(0, |r| n(&r.stats.hits));
    s.push_str(&format!(
        "  gets     {}: {} local hits, {} remote hits, {} misses\n",
        n(&c.gets),
        n(&c.local_hits),
        remote_hits,
        n(&c.misses)
    ));
    s.push_str(&format!("  puts     {}\n", n(&c.puts)));
    if n(&c.local_errors) > 0 {
        s.push_str(&format!(
            "  local    {} write errors in `{}`\n",
            n(&c.local_errors),
            gomux_home::text::escape_path(shared.config.local.dir())
        ));
    }
    match &shared.config.remote {
        None => s.push_str("  remote   none\n"),
        Some(r) => {
            let st = &r.stats;
            s.push_str(&format!(
                "  remote   `{}` ({})\n",
                r.shown(),
                r.mode.as_str()
            ));
            s.push_str(&format!(
                "           {} hits ({}), {} misses, {} errors, {} refused (content did not match its hash), {} not asked after errors\n",
                n(&st.hits),
                mib(n(&st.hit_bytes)),
                n(&st.misses),
                n(&st.errors),
                n(&st.refused),
                n(&st.skipped)
            ));
            if r.mode == remote::Mode::ReadWrite {
                s.push_str(&format!(
                    "           {} uploaded ({}), {} uploads dropped\n",
                    n(&st.uploads),
                    mib(n(&st.upload_bytes)),
                    n(&st.upload_failures)
                ));
            }
            if let Some(e) = st.first_error() {
                s.push_str(&format!("           first error: {e}\n"));
            }
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;

    #[derive(Clone, Default)]
    struct Sink(Arc<Mutex<Vec<u8>>>);
    impl Write for Sink {
        fn write(&mut self, b: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn lines(sink: &Sink) -> Vec<serde_json::Value> {
        let bytes = sink.0.lock().unwrap().clone();
        String::from_utf8(bytes)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    #[test]
    fn a_put_is_served_to_a_later_process_from_the_local_layer() {
        let dir = tempfile::tempdir().unwrap();
        let body = b"package object";
        let oid: [u8; 32] = Sha256::digest(body).into();
        let aid = STANDARD.encode([9u8; 32]);
        let put = format!(
            "{{\"ID\":1,\"Command\":\"put\",\"ActionID\":\"{aid}\",\"OutputID\":\"{}\",\"BodySize\":{}}}\n\n\"{}\"\n{{\"ID\":2,\"Command\":\"close\"}}\n\n",
            STANDARD.encode(oid),
            body.len(),
            STANDARD.encode(body)
        );
        let config = || Config {
            local: Local::new(dir.path().to_path_buf()),
            remote: None,
            summary: false,
        };
        let sink = Sink::default();
        serve(io::Cursor::new(put), sink.clone(), config()).unwrap();
        let out = lines(&sink);
        assert_eq!(
            out[0]["KnownCommands"],
            serde_json::json!(["get", "put", "close"])
        );
        let path = out.iter().find(|r| r["ID"] == 1).unwrap()["DiskPath"]
            .as_str()
            .unwrap()
            .to_string();
        assert_eq!(std::fs::read(&path).unwrap(), body);
        assert_eq!(out.last().unwrap()["ID"], 2);

        let get = format!(
            "{{\"ID\":1,\"Command\":\"get\",\"ActionID\":\"{aid}\"}}\n\n{{\"ID\":2,\"Command\":\"get\",\"ActionID\":\"{}\"}}\n\n{{\"ID\":3,\"Command\":\"close\"}}\n\n",
            STANDARD.encode([8u8; 32])
        );
        let sink = Sink::default();
        let summary = serve(io::Cursor::new(get), sink.clone(), config()).unwrap();
        let out = lines(&sink);
        let hit = out.iter().find(|r| r["ID"] == 1).unwrap();
        assert_eq!(hit["DiskPath"], path.as_str());
        assert_eq!(hit["OutputID"], STANDARD.encode(oid).as_str());
        assert_eq!(hit["Size"], body.len());
        // The time it was stored, which `go clean -testcache` is compared with.
        assert!(hit["Time"].as_str().unwrap().ends_with('Z'), "{hit}");
        assert_eq!(out.iter().find(|r| r["ID"] == 2).unwrap()["Miss"], true);
        assert!(
            summary.contains("2: 1 local hits, 0 remote hits, 1 misses"),
            "{summary}"
        );
    }

    #[test]
    fn a_put_whose_output_id_lies_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let aid = STANDARD.encode([9u8; 32]);
        let put = format!(
            "{{\"ID\":1,\"Command\":\"put\",\"ActionID\":\"{aid}\",\"OutputID\":\"{}\",\"BodySize\":3}}\n\n\"{}\"\n",
            STANDARD.encode([0u8; 32]),
            STANDARD.encode(b"abc")
        );
        let sink = Sink::default();
        let config = Config {
            local: Local::new(dir.path().to_path_buf()),
            remote: None,
            summary: false,
        };
        serve(io::Cursor::new(put), sink.clone(), config).unwrap();
        let out = lines(&sink);
        assert!(out[1]["Err"].as_str().unwrap().contains("SHA-256"));
    }
}

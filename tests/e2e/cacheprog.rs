//! `gomux cacheprog` with a real remote cache: Debian's nginx with WebDAV `PUT` on loopback
//! (`gomux_tests::nginx`), and the test mirror for faults (5xx, resets, stalls, changed bytes,
//! a server that is down). The protocol tests drive the helper over stdin as Go does; the
//! real-Go tests (fixture go1.27.4) run two CI jobs with policy `job` through the proxy.
//!
//! nginx is required where the fixtures are (`GOMUX_REQUIRE_FIXTURES=1`, as in CI, which
//! installs it); elsewhere a test without it says so and returns.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use gomux_tests::mirror::{Fault, Mirror, dead_url, sha256_hex};
use gomux_tests::nginx::Nginx;
use gomux_tests::{Out, Run as _, Sandbox};
use sha2::{Digest as _, Sha256};

use crate::cache::real_go;

/// A running nginx, or `None` (and a note) when it is not installed and not required.
fn nginx(test: &str, dir: &Path) -> Option<Nginx> {
    if Nginx::binary().is_none() {
        let required = std::env::var_os(gomux_tests::fixtures::REQUIRE_VAR)
            .is_some_and(|v| v == "1" || v == "true");
        assert!(
            !required,
            "{test}: `/usr/sbin/nginx` is missing (`apt-get install nginx-core`; `.ci/run` does it)"
        );
        eprintln!("{test}: skipped: nginx is not installed (`apt-get install nginx-core`)");
        return None;
    }
    Some(Nginx::start(dir).unwrap_or_else(|e| panic!("{test}: {e}")))
}

fn b64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut s = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                s.push(char::from(A[(n >> (18 - 6 * i) & 63) as usize]));
            } else {
                s.push('=');
            }
        }
    }
    s
}

fn action(n: u8) -> [u8; 32] {
    [n; 32]
}

fn put(id: u32, action: [u8; 32], body: &[u8]) -> String {
    let out: [u8; 32] = Sha256::digest(body).into();
    let mut s = format!(
        "{{\"ID\":{id},\"Command\":\"put\",\"ActionID\":\"{}\",\"OutputID\":\"{}\",\"BodySize\":{}}}\n\n",
        b64(&action),
        b64(&out),
        body.len()
    );
    if !body.is_empty() {
        s.push_str(&format!("\"{}\"\n", b64(body)));
    }
    s
}

fn get(id: u32, action: [u8; 32]) -> String {
    format!(
        "{{\"ID\":{id},\"Command\":\"get\",\"ActionID\":\"{}\"}}\n\n",
        b64(&action)
    )
}

/// Runs `gomux cacheprog` with `GOCACHE=gocache`, the remote `url` and `extra` variables,
/// feeds it `requests` then `close`, and returns its output (responses by ID) and stderr.
fn cacheprog(
    sb: &Sandbox,
    gocache: &Path,
    url: &str,
    extra: &[(&str, &str)],
    requests: &str,
) -> (Vec<serde_json::Value>, Out) {
    let mut cmd = sb.gomux(["cacheprog", "-v"]);
    cmd.env("GOCACHE", gocache)
        .env("GOMUX_CACHE_REMOTE", url)
        .env("GOMUX_CACHE_REMOTE_TIMEOUT", "2");
    for (k, v) in extra {
        cmd.env(k, v);
    }
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin
        .write_all(format!("{requests}{{\"ID\":999,\"Command\":\"close\"}}\n\n").as_bytes())
        .unwrap();
    drop(stdin);
    let o = child.wait_with_output().unwrap();
    let out = Out {
        status: o.status,
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    };
    assert!(out.status.success(), "gomux cacheprog failed:\n{out}");
    let responses: Vec<serde_json::Value> = out
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}\n{out}")))
        .collect();
    assert_eq!(
        responses[0]["KnownCommands"],
        serde_json::json!(["get", "put", "close"]),
        "{out}"
    );
    assert_eq!(
        responses.last().unwrap()["ID"],
        999,
        "close is answered last:\n{out}"
    );
    (responses, out)
}

fn response(responses: &[serde_json::Value], id: u32) -> &serde_json::Value {
    responses
        .iter()
        .find(|r| r["ID"] == id)
        .unwrap_or_else(|| panic!("no response {id} in {responses:?}"))
}

/// The number just before `label` in the summary (its first occurrence).
fn count(stderr: &str, label: &str) -> u64 {
    let at = stderr
        .find(&format!(" {label}"))
        .unwrap_or_else(|| panic!("no `{label}` in the summary:\n{stderr}"));
    let before = stderr[..at].trim_end();
    let digits: String = before
        .chars()
        .rev()
        .take_while(char::is_ascii_digit)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    digits
        .parse()
        .unwrap_or_else(|_| panic!("no number before `{label}`:\n{stderr}"))
}

/// The `<prefix>/<key>` files a server folder holds.
fn keys(data: &Path, prefix: &str) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(data.join(prefix))
        .map(|rd| {
            rd.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

fn copy_dir(from: &Path, to: &Path) {
    for sub in ["ac", "cas"] {
        std::fs::create_dir_all(to.join(sub)).unwrap();
        for k in keys(from, sub) {
            std::fs::copy(from.join(sub).join(&k), to.join(sub).join(&k)).unwrap();
        }
    }
}

#[test]
fn cacheprog_uploads_to_nginx_and_a_fresh_cache_is_served_from_it() {
    let sb = Sandbox::new();
    let Some(server) = nginx(
        "cacheprog_uploads_to_nginx_and_a_fresh_cache_is_served_from_it",
        &sb.root.join("nginx"),
    ) else {
        return;
    };
    let body = b"an object Go compiled";
    let rw = [("GOMUX_CACHE_REMOTE_MODE", "read-write")];
    let writer = sb.root.join("job-a");
    let (r, out) = cacheprog(
        &sb,
        &writer,
        &server.url(),
        &rw,
        &(put(1, action(1), body) + &put(2, action(2), b"")),
    );
    let path = PathBuf::from(response(&r, 1)["DiskPath"].as_str().unwrap());
    assert!(path.starts_with(&writer), "{out}");
    assert_eq!(std::fs::read(&path).unwrap(), body);
    assert_eq!(count(&out.stderr, "uploaded"), 2, "{out}");
    // The output under its SHA-256; an empty output has no cas object.
    assert_eq!(keys(&server.data(), "cas"), vec![sha256_hex(body)]);
    assert_eq!(keys(&server.data(), "ac").len(), 2);

    // Another job: nothing local, both entries come from nginx and land in its own cache.
    let reader = sb.root.join("job-b");
    let (r, out) = cacheprog(
        &sb,
        &reader,
        &server.url(),
        &[],
        &(get(1, action(1)) + &get(2, action(2)) + &get(3, action(3))),
    );
    let hit = response(&r, 1);
    assert_eq!(hit["Size"], body.len(), "{out}");
    assert_eq!(hit["OutputID"], b64(&Sha256::digest(body)));
    let path = PathBuf::from(hit["DiskPath"].as_str().unwrap());
    assert!(path.starts_with(&reader), "{out}");
    assert_eq!(std::fs::read(&path).unwrap(), body);
    assert!(response(&r, 2)["DiskPath"].is_string(), "{out}");
    assert_eq!(response(&r, 3)["Miss"], true, "{out}");
    assert_eq!(count(&out.stderr, "remote hits"), 2, "{out}");
    assert_eq!(count(&out.stderr, "errors,"), 0, "{out}");

    // Read mode (the default) uploads nothing.
    let before = keys(&server.data(), "ac");
    let (_, out) = cacheprog(
        &sb,
        &sb.root.join("job-c"),
        &server.url(),
        &[],
        &put(1, action(9), b"from an untrusted job"),
    );
    assert_eq!(keys(&server.data(), "ac"), before, "{out}");
    assert!(!out.stderr.contains("uploaded"), "{out}");
}

#[test]
fn cacheprog_remote_faults_are_misses_and_changed_objects_are_refused() {
    let sb = Sandbox::new();
    let Some(server) = nginx(
        "cacheprog_remote_faults_are_misses_and_changed_objects_are_refused",
        &sb.root.join("nginx"),
    ) else {
        return;
    };
    // Two entries on the server, made by the helper itself.
    let bodies: [&[u8]; 2] = [b"first output", b"second output"];
    let rw = [("GOMUX_CACHE_REMOTE_MODE", "read-write")];
    let mut ac = Vec::new();
    for (i, body) in bodies.iter().enumerate() {
        let before = keys(&server.data(), "ac");
        let n = u8::try_from(i + 1).unwrap();
        cacheprog(
            &sb,
            &sb.root.join("w"),
            &server.url(),
            &rw,
            &put(1, action(n), body),
        );
        let new: Vec<String> = keys(&server.data(), "ac")
            .into_iter()
            .filter(|k| !before.contains(k))
            .collect();
        assert_eq!(new.len(), 1);
        ac.push(new[0].clone());
    }
    let served = sb.root.join("served");
    copy_dir(&server.data(), &served);
    let mirror = Mirror::serve(&served);
    let url = format!("{}/", mirror.url());

    // Changed bytes in the second output: refused, not stored; the first is still served.
    let cas2 = format!("/cas/{}", sha256_hex(bodies[1]));
    mirror.set_fault(&cas2, Fault::WrongBytes);
    let local = sb.root.join("local-1");
    let (r, out) = cacheprog(
        &sb,
        &local,
        &url,
        &[],
        &(get(1, action(1)) + &get(2, action(2))),
    );
    assert!(response(&r, 1)["DiskPath"].is_string(), "{out}");
    assert_eq!(response(&r, 2)["Miss"], true, "{out}");
    assert_eq!(count(&out.stderr, "refused"), 1, "{out}");
    let out2: [u8; 32] = Sha256::digest(bodies[1]).into();
    let stored = local
        .join(format!("{:02x}", out2[0]))
        .join(format!("{}-d", sha256_hex(bodies[1])));
    assert!(!stored.exists(), "a refused object was stored:\n{out}");

    // A changed ac entry is refused too.
    std::fs::write(served.join("ac").join(&ac[0]), b"not an ActionResult").unwrap();
    let (r, out) = cacheprog(&sb, &sb.root.join("local-2"), &url, &[], &get(1, action(1)));
    assert_eq!(response(&r, 1)["Miss"], true, "{out}");
    assert_eq!(count(&out.stderr, "refused"), 1, "{out}");
    std::fs::copy(
        server.data().join("ac").join(&ac[0]),
        served.join("ac").join(&ac[0]),
    )
    .unwrap();
    mirror.clear_faults();

    // 5xx, a reset and a stall: misses, counted as errors.
    let cas1 = format!("/cas/{}", sha256_hex(bodies[0]));
    let ac2 = format!("/ac/{}", ac[1]);
    mirror.set_fault(&cas1, Fault::ServerError { times: 100 });
    mirror.set_fault(&ac2, Fault::Reset { after: 3 });
    let (r, out) = cacheprog(
        &sb,
        &sb.root.join("local-3"),
        &url,
        &[],
        &(get(1, action(1)) + &get(2, action(2))),
    );
    assert_eq!(response(&r, 1)["Miss"], true, "{out}");
    assert_eq!(response(&r, 2)["Miss"], true, "{out}");
    assert_eq!(count(&out.stderr, "errors,"), 2, "{out}");
    assert!(out.stderr.contains("status 500"), "{out}");
    mirror.clear_faults();
    mirror.set_fault(&ac2, Fault::Stall);
    let stall = [("GOMUX_CACHE_REMOTE_TIMEOUT", "0.5")];
    let (r, out) = cacheprog(
        &sb,
        &sb.root.join("local-4"),
        &url,
        &stall,
        &get(2, action(2)),
    );
    assert_eq!(response(&r, 2)["Miss"], true, "{out}");
    assert_eq!(count(&out.stderr, "errors,"), 1, "{out}");
    assert!(
        out.stderr.contains("timed out") || out.stderr.contains("no answer in time"),
        "{out}"
    );
    mirror.clear_faults();

    // A server that is down: after 3 failures in a row the remote is not asked again (the
    // lookups already under way still fail: the helper answers several at once).
    let n = 40u32;
    let requests: String = (1..=n)
        .map(|i| get(i, action(100 + u8::try_from(i).unwrap())))
        .collect();
    let (r, out) = cacheprog(
        &sb,
        &sb.root.join("local-5"),
        &format!("{}/", dead_url()),
        &[],
        &requests,
    );
    assert!((1..=n).all(|i| response(&r, i)["Miss"] == true), "{out}");
    let errors = count(&out.stderr, "errors,");
    let skipped = count(&out.stderr, "not asked after errors");
    assert!((3..=10).contains(&errors), "{out}");
    assert_eq!(errors + skipped, u64::from(n), "{out}");

    // An upload to it is dropped; Go still gets its local file.
    let rw = [("GOMUX_CACHE_REMOTE_MODE", "read-write")];
    let (r, out) = cacheprog(
        &sb,
        &sb.root.join("local-6"),
        &format!("{}/", dead_url()),
        &rw,
        &put(1, action(7), b"kept locally"),
    );
    let path = PathBuf::from(response(&r, 1)["DiskPath"].as_str().unwrap());
    assert_eq!(std::fs::read(path).unwrap(), b"kept locally");
    assert_eq!(count(&out.stderr, "uploads dropped"), 1, "{out}");
}

#[test]
fn cacheprog_sends_the_header_from_the_environment_and_never_prints_it() {
    let sb = Sandbox::new();
    let served = sb.root.join("served");
    std::fs::create_dir_all(&served).unwrap();
    let mirror = Mirror::serve(&served);
    let header = [(
        "GOMUX_CACHE_REMOTE_HEADER",
        "Authorization: Bearer s3cret-token",
    )];
    let url = mirror.url_with_user("ci", "hunter2") + "/";
    let (r, out) = cacheprog(
        &sb,
        &sb.root.join("local"),
        &url,
        &header,
        &get(1, action(1)),
    );
    assert_eq!(response(&r, 1)["Miss"], true, "{out}");
    assert_eq!(mirror.total_requests(), 1, "{out}");
    // The ac key is the documented one: SHA-256 of the namespace and the action ID.
    let mut key = b"gomux-go-build-cache-v1\0".to_vec();
    key.extend_from_slice(&action(1));
    let path = format!("/ac/{}", sha256_hex(&key));
    assert_eq!(mirror.requests(&path), 1, "{out}");
    // The header wins over the URL's user info (which is dropped); neither is ever printed.
    assert_eq!(
        mirror.authorization(&path).as_deref(),
        Some("Bearer s3cret-token")
    );
    assert!(!out.stderr.contains("s3cret"), "{out}");
    assert!(!out.stderr.contains("hunter2"), "{out}");
}

/// `net/http` and a module dependency.
const PROGRAM: &str = "package main\n\nimport (\n\t\"fmt\"\n\t\"net/http\"\n\n\tgreet \"example.com/Greet\"\n)\n\nfunc main() { fmt.Println(greet.Hello(), http.StatusOK) }\n";

/// Lines of `go build -x` that run the compiler.
fn compiles(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|l| l.contains("/compile ") || l.contains("/compile\" "))
        .collect()
}

/// A CI job's build: `-trimpath`, since each job's module cache has a path of its own, which
/// Go hashes into the action IDs of module packages without it (docs/ci.md says so). The
/// binary is removed first, as a fresh checkout has none.
fn job_build(sb: &Sandbox, dir: &Path, job: &str, remote: &str, mode: &str) -> Out {
    let _ = std::fs::remove_file(dir.join("app"));
    sb.go(["build", "-x", "-trimpath", "-o", "app", "."])
        .current_dir(dir)
        .env("GOMUX_CACHE_MODE", "job")
        .env("GOMUX_JOB_ID", job)
        .env("GOMUX_CACHE_REMOTE", remote)
        .env("GOMUX_CACHE_REMOTE_MODE", mode)
        .env("GOMUX_CACHE_REMOTE_SUMMARY", "1")
        .ok()
}

#[cfg(unix)]
#[test]
fn real_go_a_second_job_builds_from_the_nginx_remote_without_compiling() {
    let test = "real_go_a_second_job_builds_from_the_nginx_remote_without_compiling";
    let Some((sb, _scratch)) = real_go(test) else {
        return;
    };
    let Some(mut server) = nginx(test, &sb.root.join("nginx")) else {
        return;
    };
    sb.write(
        "app/go.mod",
        "module example.com/app\n\ngo 1.21\n\nrequire example.com/Greet v1.0.0\n",
    );
    sb.write("app/main.go", PROGRAM);
    let dir = sb.work.join("app");
    let url = server.url();

    // The first job (the main branch's) builds cold and uploads.
    let first = job_build(&sb, &dir, "1001", &url, "read-write");
    assert!(
        compiles(&first.stderr)
            .iter()
            .any(|l| l.contains("-p net/http ")),
        "the cold job compiled net/http:\n{}",
        first.stderr
    );
    assert!(count(&first.stderr, "uploaded") > 100, "{first}");
    assert_eq!(count(&first.stderr, "uploads dropped"), 0, "{first}");
    assert!(!keys(&server.data(), "cas").is_empty());

    // The second job (a merge request: read only) starts with empty caches of its own and
    // compiles nothing: every package, the module dependency's and the project's too, comes
    // from nginx.
    let second = job_build(&sb, &dir, "1002", &url, "read");
    assert_eq!(
        compiles(&second.stderr),
        Vec::<&str>::new(),
        "the second job compiled:\n{}",
        second.stderr
    );
    assert!(count(&second.stderr, "remote hits") > 100, "{second}");
    assert_eq!(count(&second.stderr, "errors,"), 0, "{second}");
    assert_eq!(count(&second.stderr, "refused"), 0, "{second}");
    let root = crate::cache::cache_root(&sb);
    assert!(root.join("jobs/1002/build").is_dir());
    let app = sb.cmd(dir.join("app")).ok();
    assert_eq!(app.stdout.trim(), "hello from greet 200");
    // Its own cache now holds what it fetched: the next build there is local.
    let again = job_build(&sb, &dir, "1002", &url, "read");
    assert_eq!(count(&again.stderr, "remote hits"), 0, "{again}");
    assert!(count(&again.stderr, "local hits") > 100, "{again}");

    // Every object on the server changed: a third job refuses them all, builds, and stores
    // none of the changed bytes.
    for k in keys(&server.data(), "cas") {
        let p = server.data().join("cas").join(&k);
        let mut bytes = std::fs::read(&p).unwrap();
        if let Some(b) = bytes.last_mut() {
            *b ^= 0xff;
        }
        std::fs::write(&p, bytes).unwrap();
    }
    sb.write("tiny/go.mod", "module example.com/tiny\n\ngo 1.21\n");
    sb.write("tiny/main.go", "package main\n\nfunc main() {}\n");
    let tiny = sb.work.join("tiny");
    let third = job_build(&sb, &tiny, "1003", &url, "read");
    assert!(count(&third.stderr, "refused") > 0, "{third}");
    assert_eq!(count(&third.stderr, "remote hits"), 0, "{third}");
    assert!(
        compiles(&third.stderr)
            .iter()
            .any(|l| l.contains("-p runtime ")),
        "{third}"
    );
    let build = root.join("jobs/1003/build");
    for k in keys(&server.data(), "cas") {
        let stored = build.join(&k[..2]).join(format!("{k}-d"));
        if let Ok(bytes) = std::fs::read(&stored) {
            assert_eq!(sha256_hex(&bytes), k, "a changed object was stored");
        }
    }

    // The server stopped: a job still builds; the remote only costs its misses.
    server.stop();
    let fourth = job_build(&sb, &tiny, "1004", &url, "read");
    assert!(count(&fourth.stderr, "errors,") >= 1, "{fourth}");
    assert_eq!(count(&fourth.stderr, "remote hits"), 0, "{fourth}");
}

#[cfg(unix)]
#[test]
fn cacheprog_is_named_for_go_1_24_only_and_never_over_the_users_own() {
    let sb = Sandbox::new();
    sb.link_fake("go1.23.5");
    sb.link_fake("go1.24.0");
    sb.write("p/go.mod", "module example.com/p\n\ngo 1.21\n");
    let dir = sb.work.join("p");
    let run = |tc: &str, extra: &[(&str, &str)]| {
        let mut c = sb.go(["env"]);
        c.current_dir(&dir)
            .env("GOMUX_TOOLCHAIN", tc)
            .env("GOMUX_CACHE_REMOTE", "http://127.0.0.1:9/");
        for (k, v) in extra {
            c.env(k, v);
        }
        c.ok()
    };
    let want = format!("{} cacheprog", sb.bin().join("gomux").display());
    assert_eq!(run("1.24.0", &[]).get("GOCACHEPROG"), Some(want.as_str()));
    assert_eq!(run("1.23.5", &[]).get("GOCACHEPROG"), Some("<unset>"));
    let own = run("1.24.0", &[("GOCACHEPROG", "/opt/my-prog")]);
    assert_eq!(own.get("GOCACHEPROG"), Some("/opt/my-prog"));
    // `gomux cache dir` says what the proxy sets.
    let j = sb
        .gomux(["cache", "dir", "--json"])
        .current_dir(&dir)
        .env("GOMUX_TOOLCHAIN", "1.24.0")
        .env("GOMUX_CACHE_REMOTE", "http://127.0.0.1:9/")
        .ok()
        .json();
    assert_eq!(j["gocacheprog"], want.as_str());
    let text = sb
        .gomux(["cache", "dir"])
        .current_dir(&dir)
        .env("GOMUX_TOOLCHAIN", "1.23.5")
        .env("GOMUX_CACHE_REMOTE", "http://127.0.0.1:9/")
        .ok();
    assert!(!text.stdout.contains("GOCACHEPROG"), "{text}");
}

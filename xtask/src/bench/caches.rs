//! `cargo xtask bench --caches`: the first build of a second project, with real Go (fixtures),
//! under three cache setups — one shared cache, per-project caches without a base layer
//! (`cache.base = off`), per-project caches seeded from the toolchain's base — as CPU time of
//! `go` and its children, disk use (own and shared bytes from `gomux cache list`) and module
//! fetches from a loopback GOPROXY the bench serves itself.
//!
//! Each setup gets its own gomux home, so they cannot help each other; the setups run in a
//! random order each round, as the rest of the bench does.

use std::io::{BufRead as _, BufReader, Write as _};
use std::net::TcpListener;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use anyhow::{Context as _, Result, bail};

use super::sandbox::{Sandbox, run_ok};

/// The issue's program, with one module dependency.
pub(super) const MAIN: &str = "package main\n\nimport (\n\t\"encoding/json\"\n\t\"fmt\"\n\t\"net/http\"\n\n\t\"example.com/greet\"\n)\n\nfunc main() {\n\tb, _ := json.Marshal(map[string]any{\"status\": http.StatusOK, \"greet\": greet.Hello()})\n\tfmt.Println(string(b))\n}\n";
const GREET_MOD: &str = "module example.com/greet\n\ngo 1.21\n";
const GREET_GO: &str =
    "package greet\n\n// Hello greets.\nfunc Hello() string { return \"hello\" }\n";

/// One setup's result.
pub struct Row {
    pub label: &'static str,
    pub cpu_s: f64,
    pub wall_s: f64,
    pub own: u64,
    pub shared: u64,
    pub fetches: usize,
    pub first_cpu_s: f64,
}

/// Runs the caches part; returns its Markdown.
pub fn run(
    gomux: &Path,
    shim: &Path,
    fixtures: &Path,
    keep: bool,
    rounds: usize,
) -> Result<String> {
    let goroot = fixtures.join("unpacked/go1.23.5/go");
    if !goroot.join("bin/go").is_file() {
        bail!(
            "no unpacked go1.23.5 in `{}`: run the real-Go tests once (they unpack it) or `cargo xtask fixtures`",
            fixtures.display()
        );
    }
    let server = ModServer::start()?;
    let setups: [(&'static str, &[(&str, &str)]); 3] = [
        ("(1) policy `shared`", &[("GOMUX_CACHE_MODE", "shared")]),
        (
            "(2) per project, no base (`cache.base = off`)",
            &[("GOMUX_CACHE_BASE", "off")],
        ),
        (
            "(3) per project, seeded from the base",
            &[("GOMUX_CACHE_BASE", "auto")],
        ),
    ];
    let mut rows: Vec<Vec<Row>> = (0..setups.len()).map(|_| Vec::new()).collect();
    for round in 0..rounds {
        let mut order: Vec<usize> = (0..setups.len()).collect();
        shuffle(&mut order, round as u64);
        for i in order {
            let (label, env) = setups[i];
            eprintln!("caches: {label} (round {})", round + 1);
            rows[i].push(one(gomux, shim, &goroot, &server, label, env, keep)?);
        }
    }
    Ok(render(&rows))
}

fn one(
    gomux: &Path,
    shim: &Path,
    goroot: &Path,
    server: &ModServer,
    label: &'static str,
    extra: &[(&str, &str)],
    keep: bool,
) -> Result<Row> {
    let sb = Sandbox::create(gomux, shim, keep, false)?;
    sb.gomux(
        [
            std::ffi::OsString::from("link"),
            "go1.23.5".into(),
            goroot.as_os_str().into(),
        ],
        &sb.work,
    )?;
    let mut env = sb.env();
    for (k, v) in [
        ("GOPROXY", server.url.as_str()),
        ("GOSUMDB", "off"),
        ("GOFLAGS", "-mod=mod"),
        ("GOTELEMETRY", "off"),
    ]
    .into_iter()
    .chain(extra.iter().copied())
    {
        env.push((k.into(), v.into()));
    }
    let run = |args: &[&str], cwd: &Path| -> Result<(f64, f64)> {
        let before = children_cpu();
        let t = Instant::now();
        run_ok(
            Command::new(sb.go_proxy())
                .args(args)
                .env_clear()
                .envs(env.iter().cloned())
                .current_dir(cwd),
        )?;
        Ok((children_cpu() - before, t.elapsed().as_secs_f64()))
    };
    if label.starts_with("(3)") {
        // The base is built before, as `gomux install` would have started it.
        run_ok(
            Command::new(sb.gomux_bin())
                .args(["cache", "base", "go1.23.5"])
                .env_clear()
                .envs(env.iter().cloned())
                .current_dir(&sb.work),
        )?;
    }
    let mut projects = Vec::new();
    for name in ["first", "second"] {
        let dir = sb.project(
            name,
            &[
                (
                    "go.mod",
                    &format!(
                        "module example.com/{name}\n\ngo 1.23.5\n\nrequire example.com/greet v1.0.0\n"
                    ),
                ),
                ("main.go", MAIN),
            ],
        )?;
        projects.push(dir);
    }
    let fetched_before = server.zips.load(Ordering::SeqCst);
    let (first_cpu_s, _) = run(&["build", "-o", "prog", "."], &projects[0])?;
    let fetched_first = server.zips.load(Ordering::SeqCst);
    let (cpu_s, wall_s) = run(&["build", "-o", "prog", "."], &projects[1])?;
    let fetches = server.zips.load(Ordering::SeqCst) - fetched_first;
    let _ = fetched_before;
    let list: serde_json::Value =
        serde_json::from_str(&sb.gomux(["cache", "list", "--json"], &sb.work)?)
            .context("`gomux cache list --json` printed no JSON")?;
    let second = std::fs::canonicalize(&projects[1]).unwrap_or_else(|_| projects[1].clone());
    let folder = list["folders"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|f| match f["kind"].as_str() {
            Some("shared") => true,
            Some("project") => f["project"].as_str() == Some(&second.to_string_lossy()),
            _ => false,
        })
        .cloned()
        .unwrap_or_default();
    Ok(Row {
        label,
        cpu_s,
        wall_s,
        own: folder["own"].as_u64().unwrap_or(0),
        shared: folder["shared"].as_u64().unwrap_or(0),
        fetches,
        first_cpu_s,
    })
}

/// User + system CPU seconds of the children this process has waited for (`/proc/self/stat`
/// fields 16 and 17, in clock ticks of 1/100 s).
pub(super) fn children_cpu() -> f64 {
    let text = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let rest = text.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    // After the command name: state is field 3, so cutime (16) is index 13, cstime (17) 14.
    let tick = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (tick(13) + tick(14)) / 100.0
}

pub(super) fn shuffle(v: &mut [usize], salt: u64) {
    let mut x = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(1)
        ^ salt.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    for i in (1..v.len()).rev() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        v.swap(i, (x % (i as u64 + 1)) as usize);
    }
}

fn mib(b: u64) -> String {
    format!("{:.1} MiB", b as f64 / (1024.0 * 1024.0))
}

fn render(rows: &[Vec<Row>]) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "### First build of a second project (`cargo xtask bench --caches`, {})\n\n",
        super::report::today()
    ));
    out.push_str(
        "go1.23.5; a `net/http` + `encoding/json` program with one module dependency served by a \
         loopback GOPROXY; each setup in its own gomux home, in random order. CPU = user + system \
         of `go` and its children.\n\n",
    );
    out.push_str("| setup | CPU, second project | wall | vs (2) | GOCACHE+GOMODCACHE own | shared | module zips fetched | CPU, first project |\n|---|---|---|---|---|---|---|---|\n");
    let med = |rs: &[Row], f: &dyn Fn(&Row) -> f64| {
        let mut v: Vec<f64> = rs.iter().map(f).collect();
        v.sort_by(f64::total_cmp);
        v.get(v.len() / 2).copied().unwrap_or(0.0)
    };
    let cold = rows.get(1).map(|r| med(r, &|x| x.cpu_s)).unwrap_or(0.0);
    for rs in rows {
        let Some(last) = rs.last() else { continue };
        let cpu = med(rs, &|x| x.cpu_s);
        out.push_str(&format!(
            "| {} | {:.2} s | {:.2} s | {} | {} | {} | {} | {:.1} s |\n",
            last.label,
            cpu,
            med(rs, &|x| x.wall_s),
            if cold > 0.0 {
                format!("{:.3}x", cpu / cold)
            } else {
                "—".into()
            },
            mib(last.own),
            mib(last.shared),
            last.fetches,
            med(rs, &|x| x.first_cpu_s),
        ));
    }
    out.push_str(
        "\nFor (3) the base was built first (`gomux cache base`, as `gomux install` starts it in the \
         background); policy `shared` counts the one shared folder. Done-when: (3) at most 1/5 of \
         (2).\n",
    );
    out
}

/// A loopback module proxy serving `example.com/greet@v1.0.0`, counting zip downloads.
pub(super) struct ModServer {
    pub(super) url: String,
    zips: Arc<AtomicUsize>,
}

impl ModServer {
    pub(super) fn start() -> Result<ModServer> {
        let listener = TcpListener::bind("127.0.0.1:0").context("cannot listen on loopback")?;
        let url = format!("http://{}", listener.local_addr()?);
        let zips = Arc::new(AtomicUsize::new(0));
        let counter = zips.clone();
        let zip = store_zip(&[
            ("example.com/greet@v1.0.0/go.mod", GREET_MOD),
            ("example.com/greet@v1.0.0/greet.go", GREET_GO),
        ]);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let mut reader = BufReader::new(match stream.try_clone() {
                    Ok(s) => s,
                    Err(_) => continue,
                });
                let mut line = String::new();
                if reader.read_line(&mut line).is_err() {
                    continue;
                }
                loop {
                    let mut h = String::new();
                    if reader.read_line(&mut h).map_or(true, |n| n == 0) || h.trim().is_empty() {
                        break;
                    }
                }
                let path = line.split_whitespace().nth(1).unwrap_or("");
                let body: Option<Vec<u8>> = match path {
                    "/example.com/greet/@v/list" => Some(b"v1.0.0\n".to_vec()),
                    "/example.com/greet/@v/v1.0.0.info" => {
                        Some(br#"{"Version":"v1.0.0","Time":"2024-01-01T00:00:00Z"}"#.to_vec())
                    }
                    "/example.com/greet/@v/v1.0.0.mod" => Some(GREET_MOD.as_bytes().to_vec()),
                    "/example.com/greet/@v/v1.0.0.zip" => {
                        counter.fetch_add(1, Ordering::SeqCst);
                        Some(zip.clone())
                    }
                    _ => None,
                };
                let mut s = stream;
                let _ = match body {
                    Some(b) => s
                        .write_all(
                            format!(
                                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                                b.len()
                            )
                            .as_bytes(),
                        )
                        .and_then(|()| s.write_all(&b)),
                    None => s.write_all(
                        b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                    ),
                };
            }
        });
        Ok(ModServer { url, zips })
    }
}

/// A zip archive of `files`, stored (no compression).
fn store_zip(files: &[(&str, &str)]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, text) in files {
        let data = text.as_bytes();
        let crc = crc32(data);
        let offset = out.len() as u32;
        let header = |sig: u32, central: bool| {
            let mut h = Vec::new();
            h.extend(sig.to_le_bytes());
            if central {
                h.extend(20u16.to_le_bytes());
            }
            h.extend(20u16.to_le_bytes()); // version needed
            h.extend(0u16.to_le_bytes()); // flags
            h.extend(0u16.to_le_bytes()); // stored
            h.extend(0u32.to_le_bytes()); // time, date
            h.extend(crc.to_le_bytes());
            h.extend((data.len() as u32).to_le_bytes());
            h.extend((data.len() as u32).to_le_bytes());
            h.extend((name.len() as u16).to_le_bytes());
            h.extend(0u16.to_le_bytes()); // extra
            if central {
                h.extend(0u16.to_le_bytes()); // comment
                h.extend(0u16.to_le_bytes()); // disk
                h.extend(0u16.to_le_bytes()); // internal attributes
                h.extend(0u32.to_le_bytes()); // external attributes
                h.extend(offset.to_le_bytes());
            }
            h.extend(name.as_bytes());
            h
        };
        out.extend(header(0x0403_4b50, false));
        out.extend(data);
        central.extend(header(0x0201_4b50, true));
    }
    let cd_offset = out.len() as u32;
    out.extend(&central);
    out.extend(0x0605_4b50u32.to_le_bytes());
    out.extend(0u32.to_le_bytes()); // disk numbers
    out.extend((files.len() as u16).to_le_bytes());
    out.extend((files.len() as u16).to_le_bytes());
    out.extend((central.len() as u32).to_le_bytes());
    out.extend(cd_offset.to_le_bytes());
    out.extend(0u16.to_le_bytes());
    out
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// Replaces the block of the bench part `flag` (`--caches`, `--remote-cache`) in `file`
/// (appending it when there is none).
pub fn write_block(file: &Path, flag: &str, block: &str) -> Result<()> {
    let begin = format!("<!-- generated by `cargo xtask bench {flag}`: begin -->");
    let end = format!("<!-- generated by `cargo xtask bench {flag}`: end -->");
    let old = std::fs::read_to_string(file)
        .with_context(|| format!("cannot read `{}`", file.display()))?;
    let generated = format!("{begin}\n{}\n{end}", block.trim_end());
    let new = match (old.find(&begin), old.find(&end)) {
        (Some(b), Some(e)) if b < e => format!("{}{generated}{}", &old[..b], &old[e + end.len()..]),
        _ => format!("{}\n\n{generated}\n", old.trim_end()),
    };
    std::fs::write(file, new).with_context(|| format!("cannot write `{}`", file.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_matches_the_standard_check_value() {
        assert_eq!(crc32(b"123456789"), 0xcbf4_3926);
    }

    #[test]
    fn shuffle_keeps_every_setup() {
        let mut v = vec![0, 1, 2];
        shuffle(&mut v, 3);
        v.sort();
        assert_eq!(v, [0, 1, 2]);
    }
}

//! `cargo xtask bench --remote-cache`: CI jobs with policy `job` and nginx (WebDAV) as the
//! remote build cache behind `gomux cacheprog`, real Go from the fixtures (go1.24 or later).
//!
//! Each round gets its own gomux home and its own nginx, so rounds cannot help each other.
//! Within a round the steps depend on each other and run in this order: a cold job without a
//! remote (the baseline), a cold job that uploads (`read-write`), the same job again (warm
//! local), and a new job that only reads (warm remote: its own caches start empty). CPU =
//! user + system of `go` and its children (the helper included); the base layer is off so the
//! cold jobs are cold.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context as _, Result, bail};

use super::caches::{MAIN, ModServer, children_cpu};
use super::sandbox::Sandbox;

/// The nginx the tests use (shared with the e2e suite).
#[allow(dead_code)]
#[path = "../../../tests/src/nginx.rs"]
mod nginx;

/// The steps of one round, in the order they run.
const STEPS: [&str; 4] = [
    "(0) cold job, no remote cache",
    "(1) cold job, uploading (`read-write`)",
    "(2) the same job again (warm local)",
    "(3) a new job, reading the remote (warm remote)",
];

struct Step {
    cpu_s: f64,
    wall_s: f64,
    remote_hits: u64,
}

/// Runs the remote-cache part; returns its Markdown.
pub fn run(
    gomux: &Path,
    shim: &Path,
    fixtures: &Path,
    keep: bool,
    rounds: usize,
) -> Result<String> {
    let (name, goroot) = newest_cacheprog_toolchain(fixtures)?;
    if nginx::Nginx::binary().is_none() {
        bail!(
            "`{}` is not installed: `apt-get install nginx-core`",
            nginx::NGINX
        );
    }
    let modserver = ModServer::start()?;
    let mut results: Vec<Vec<Step>> = (0..STEPS.len()).map(|_| Vec::new()).collect();
    for round in 0..rounds {
        eprintln!("remote cache: round {} of {rounds}", round + 1);
        for (i, step) in one_round(gomux, shim, &name, &goroot, &modserver, keep)?
            .into_iter()
            .enumerate()
        {
            results[i].push(step);
        }
    }
    Ok(render(&name, &results))
}

/// The newest unpacked fixture toolchain that runs GOCACHEPROG (Go 1.24+).
fn newest_cacheprog_toolchain(fixtures: &Path) -> Result<(String, PathBuf)> {
    let mut found: Vec<String> = std::fs::read_dir(fixtures.join("unpacked"))
        .with_context(|| format!("no `unpacked` folder in `{}`", fixtures.display()))?
        .flatten()
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| {
            gomux_version::from_toolchain(n)
                .is_some_and(|v| gomux_version::compare(v, "1.24") != std::cmp::Ordering::Less)
        })
        .collect();
    found.sort_by(|a, b| gomux_version::compare_names(a, b));
    let Some(name) = found.pop() else {
        bail!(
            "no unpacked Go 1.24 or later in `{}/unpacked`: run the real-Go tests once (they unpack it)",
            fixtures.display()
        );
    };
    let goroot = fixtures.join("unpacked").join(&name).join("go");
    Ok((name, goroot))
}

fn one_round(
    gomux: &Path,
    shim: &Path,
    name: &str,
    goroot: &Path,
    modserver: &ModServer,
    keep: bool,
) -> Result<Vec<Step>> {
    let sb = Sandbox::create(gomux, shim, keep, false)?;
    sb.gomux(
        [
            OsString::from("link"),
            name.into(),
            goroot.as_os_str().into(),
        ],
        &sb.work,
    )?;
    let server = nginx::Nginx::start(&sb.root.join("nginx")).map_err(anyhow::Error::msg)?;
    let version = name.trim_start_matches("go");
    let project = sb.project(
        "app",
        &[
            (
                "go.mod",
                &format!(
                    "module example.com/app\n\ngo {version}\n\nrequire example.com/greet v1.0.0\n"
                ),
            ),
            ("main.go", MAIN),
        ],
    )?;
    let mut env = sb.env();
    for (k, v) in [
        ("GOPROXY", modserver.url.as_str()),
        ("GOSUMDB", "off"),
        ("GOFLAGS", "-mod=mod"),
        ("GOTELEMETRY", "off"),
        ("CGO_ENABLED", "0"),
        ("GOMUX_CACHE_BASE", "off"),
        ("GOMUX_CACHE_MODE", "job"),
        ("GOMUX_CACHE_REMOTE_SUMMARY", "1"),
    ] {
        env.push((k.into(), v.into()));
    }
    let url = server.url();
    let build = |job: &str, remote: Option<&str>| -> Result<Step> {
        // A fresh checkout has no binary; `-trimpath` as docs/ci.md recommends (each job's
        // module cache has its own path, which Go otherwise hashes into module packages' keys).
        let _ = std::fs::remove_file(project.join("app"));
        let mut cmd = Command::new(sb.go_proxy());
        cmd.args(["build", "-trimpath", "-o", "app", "."])
            .env_clear()
            .envs(env.iter().cloned())
            .env("GOMUX_JOB_ID", job)
            .current_dir(&project)
            .stdin(Stdio::null());
        if let Some(mode) = remote {
            cmd.env("GOMUX_CACHE_REMOTE", &url)
                .env("GOMUX_CACHE_REMOTE_MODE", mode);
        }
        let before = children_cpu();
        let t = Instant::now();
        let out = cmd.output().context("cannot run the `go` proxy")?;
        let wall_s = t.elapsed().as_secs_f64();
        let stderr = String::from_utf8_lossy(&out.stderr);
        if !out.status.success() {
            bail!(
                "`go build` in job `{job}` failed ({}): {}",
                out.status,
                stderr.trim()
            );
        }
        Ok(Step {
            cpu_s: children_cpu() - before,
            wall_s,
            remote_hits: remote_hits(&stderr),
        })
    };
    Ok(vec![
        build("baseline", None)?,
        build("main-1", Some("read-write"))?,
        build("main-1", Some("read-write"))?,
        build("mr-2", Some("read"))?,
    ])
}

/// The remote hits in the helper's summary (`…, N remote hits, …`); 0 without one.
fn remote_hits(stderr: &str) -> u64 {
    stderr
        .lines()
        .find(|l| l.trim_start().starts_with("gets "))
        .and_then(|l| {
            let at = l.find(" remote hits")?;
            l[..at].rsplit(' ').next()?.parse().ok()
        })
        .unwrap_or(0)
}

fn render(name: &str, results: &[Vec<Step>]) -> String {
    let med = |v: &[Step], f: &dyn Fn(&Step) -> f64| {
        let mut x: Vec<f64> = v.iter().map(f).collect();
        x.sort_by(f64::total_cmp);
        x.get(x.len() / 2).copied().unwrap_or(0.0)
    };
    let rounds = results.first().map_or(0, Vec::len);
    let mut out = format!(
        "### CI jobs with a remote build cache (`cargo xtask bench --remote-cache`, {})\n\n",
        super::report::today()
    );
    out.push_str(&format!(
        "{name}; policy `job`; nginx (WebDAV) on loopback as the Bazel HTTP remote cache; the \
         `net/http` + `encoding/json` program with one module dependency from a loopback GOPROXY, \
         `go build -trimpath`, no binary left from the step before; base layer off; medians of {rounds} round(s), each in its own gomux home and nginx. CPU = \
         user + system of `go` and its children (`gomux cacheprog` included).\n\n"
    ));
    out.push_str("| step | CPU | wall | CPU vs (0) | remote hits |\n|---|---|---|---|---|\n");
    let cold = results.first().map_or(0.0, |r| med(r, &|s| s.cpu_s));
    for (label, steps) in STEPS.iter().zip(results) {
        let cpu = med(steps, &|s| s.cpu_s);
        out.push_str(&format!(
            "| {label} | {cpu:.2} s | {:.2} s | {} | {} |\n",
            med(steps, &|s| s.wall_s),
            if cold > 0.0 {
                format!("{:.3}x", cpu / cold)
            } else {
                "—".into()
            },
            med(steps, &|s| s.remote_hits as f64) as u64,
        ));
    }
    out.push_str(
        "\nDone-when: (3), a second job's first build, at most 1/5 of the CPU of a cold job.\n",
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_remote_hits_from_the_summary() {
        let s =
            "gomux cacheprog summary\n  gets     565: 0 local hits, 564 remote hits, 1 misses\n";
        assert_eq!(remote_hits(s), 564);
        assert_eq!(remote_hits("no summary"), 0);
    }
}

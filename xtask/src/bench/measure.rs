//! The timing loop: spawn and wait for a command many times, the variants interleaved round by
//! round, and the peak memory of a run through a small runner program.
//!
//! Why interleaved: on a shared 2-core machine the background load drifts over a minute; running
//! every variant once per round spreads that drift over all of them instead of penalising
//! whichever ran last. Why a random order each round (not a rotation): with a fixed rotation a
//! row always follows the same binary, and one that followed a warm twin came out ~0.09 ms
//! faster here (measured 2026-12-01). Why a runner for memory: a child's
//! `ru_maxrss` includes the memory of the process that forked it (the kernel records the old
//! image's peak at `execve`), so a run spawned by this large process would report this process's
//! size. The runner is a tiny static program that forks, execs and reports the child's peak.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};

/// One command to time.
pub struct Variant {
    pub label: String,
    pub program: PathBuf,
    pub args: Vec<OsString>,
    pub cwd: PathBuf,
    /// The whole environment (nothing is inherited).
    pub env: Vec<(OsString, OsString)>,
    /// Run before every sample, untimed (an install's clean-up).
    pub prepare: Option<Box<dyn Fn() -> Result<()>>>,
    /// The row this one is compared with (an index into the same list).
    pub baseline: Option<usize>,
}

impl Variant {
    pub fn new(label: impl Into<String>, program: impl Into<PathBuf>, cwd: &Path) -> Variant {
        Variant {
            label: label.into(),
            program: program.into(),
            args: Vec::new(),
            cwd: cwd.to_path_buf(),
            env: Vec::new(),
            prepare: None,
            baseline: None,
        }
    }

    pub fn args<I, S>(mut self, args: I) -> Variant
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    pub fn env(mut self, env: &[(OsString, OsString)]) -> Variant {
        self.env = env.to_vec();
        self
    }

    pub fn baseline(mut self, index: usize) -> Variant {
        self.baseline = Some(index);
        self
    }

    pub fn prepare(mut self, f: impl Fn() -> Result<()> + 'static) -> Variant {
        self.prepare = Some(Box::new(f));
        self
    }

    fn command(&self, program: &Path) -> Command {
        let mut cmd = Command::new(program);
        cmd.env_clear()
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .current_dir(&self.cwd)
            .stdin(Stdio::null());
        cmd
    }

    /// The command line, for messages.
    pub fn display(&self) -> String {
        let mut s = self.program.display().to_string();
        for a in &self.args {
            s.push(' ');
            s.push_str(&a.to_string_lossy());
        }
        s
    }

    /// Runs once with the output captured; an error carries what the command printed.
    pub fn check(&self) -> Result<String> {
        if let Some(p) = &self.prepare {
            p()?;
        }
        let out = self
            .command(&self.program)
            .args(&self.args)
            .output()
            .with_context(|| format!("cannot run `{}`", self.display()))?;
        if !out.status.success() {
            bail!(
                "`{}` failed in `{}` ({}): {}{}",
                self.display(),
                self.cwd.display(),
                out.status,
                String::from_utf8_lossy(&out.stderr).trim(),
                String::from_utf8_lossy(&out.stdout).trim()
            );
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// The system calls of one run, counted by `strace -f` (every process the run starts, the
    /// final program's `execve` and `exit` included: a direct exec of the trivial target is 2).
    /// One untimed run first, so the count is of the state the timed rounds measure (the
    /// proxy's records made, see `gomux_resolve::record`).
    pub fn count_syscalls(&self, strace: &Path, scratch: &Path) -> Result<usize> {
        self.time_once()?;
        if let Some(p) = &self.prepare {
            p()?;
        }
        let log = scratch.join("strace.log");
        let status = self
            .command(strace)
            .args(["-f", "-qq", "-o"])
            .arg(&log)
            .arg(&self.program)
            .args(&self.args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .with_context(|| format!("cannot run `{}`", strace.display()))?;
        if !status.success() {
            bail!("`strace {}` failed ({status})", self.display());
        }
        let text = std::fs::read_to_string(&log)
            .with_context(|| format!("cannot read `{}`", log.display()))?;
        let _ = std::fs::remove_file(&log);
        Ok(text
            .lines()
            .filter(|l| !l.contains("+++") && !l.contains("---") && !l.contains("resumed>"))
            .count())
    }

    /// One timed run: spawn, wait; output discarded.
    fn time_once(&self) -> Result<Duration> {
        if let Some(p) = &self.prepare {
            p()?;
        }
        let mut cmd = self.command(&self.program);
        cmd.args(&self.args)
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let start = Instant::now();
        let status = cmd
            .spawn()
            .with_context(|| format!("cannot run `{}`", self.display()))?
            .wait()?;
        let took = start.elapsed();
        if !status.success() {
            bail!(
                "`{}` failed during the benchmark ({status})",
                self.display()
            );
        }
        Ok(took)
    }

    /// One run through the runner: its time (runner start-up included) and the peak RSS in KiB.
    fn run_measured(&self, runner: &Path) -> Result<(Duration, u64)> {
        if let Some(p) = &self.prepare {
            p()?;
        }
        let mut cmd = self.command(runner);
        cmd.arg(&self.program)
            .args(&self.args)
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let start = Instant::now();
        let out = cmd
            .output()
            .with_context(|| format!("cannot run `{}`", runner.display()))?;
        let took = start.elapsed();
        let stderr = String::from_utf8_lossy(&out.stderr);
        let last = stderr.lines().last().unwrap_or("");
        let field = |name: &str| -> Option<i64> {
            last.split_whitespace()
                .find_map(|w| w.strip_prefix(name))
                .and_then(|v| v.parse().ok())
        };
        let (Some(rss), Some(status)) = (field("maxrss_kib="), field("status=")) else {
            bail!(
                "the runner printed no result for `{}`: {}",
                self.display(),
                stderr.trim()
            );
        };
        if status != 0 || !out.status.success() {
            bail!(
                "`{}` failed during the benchmark (wait status {status}): {}",
                self.display(),
                stderr.trim()
            );
        }
        Ok((took, u64::try_from(rss).unwrap_or(0)))
    }
}

/// What the loop collected for one variant.
#[derive(Default, Clone)]
pub struct Samples {
    pub times: Vec<Duration>,
    /// Peak RSS per run, KiB.
    pub rss: Vec<u64>,
}

/// Runs every variant `warmup + runs` times, one run per variant per round, in a new random
/// order each round. With a runner, every sample also measures the peak RSS.
pub fn interleaved(
    variants: &[Variant],
    warmup: usize,
    runs: usize,
    runner: Option<&Path>,
    progress: &dyn Fn(usize, usize),
) -> Result<Vec<Samples>> {
    let n = variants.len();
    let mut out = vec![Samples::default(); n];
    let mut rng = Rng::seeded();
    let mut order: Vec<usize> = (0..n).collect();
    for round in 0..warmup + runs {
        progress(round, warmup + runs);
        rng.shuffle(&mut order);
        for &i in &order {
            let v = &variants[i];
            let (took, rss) = match runner {
                Some(r) => {
                    let (t, rss) = v.run_measured(r)?;
                    (t, Some(rss))
                }
                None => (v.time_once()?, None),
            };
            if round >= warmup {
                out[i].times.push(took);
                out[i].rss.extend(rss);
            }
        }
    }
    Ok(out)
}

/// A small xorshift generator: the order of a round needs no cryptography, and the benchmark
/// needs no extra dependency for it.
pub struct Rng(u64);

impl Rng {
    /// Seeded from the clock and the process id (a different order every run).
    pub fn seeded() -> Rng {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        Rng((nanos ^ (u64::from(std::process::id()) << 32)) | 1)
    }

    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Fisher–Yates.
    pub fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = (self.next() % (i as u64 + 1)) as usize;
            v.swap(i, j);
        }
    }
}

/// Peak RSS only: `runs` runs of each variant through the runner (times discarded).
pub fn peak_rss(variants: &[Variant], runs: usize, runner: &Path) -> Result<Vec<Vec<u64>>> {
    let mut out = vec![Vec::new(); variants.len()];
    for _ in 0..runs {
        for (i, v) in variants.iter().enumerate() {
            out[i].push(v.run_measured(runner)?.1);
        }
    }
    Ok(out)
}

/// The median of a sample (the mean of the middle two for an even count).
pub fn median(xs: &[f64]) -> Option<f64> {
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(v[n / 2]),
        _ => Some((v[n / 2 - 1] + v[n / 2]) / 2.0),
    }
}

/// Durations as milliseconds.
pub fn millis(times: &[Duration]) -> Vec<f64> {
    times.iter().map(|t| t.as_secs_f64() * 1e3).collect()
}

/// The runner: forks, execs its arguments, waits, and prints `maxrss_kib=N status=N` on stderr.
pub const RUNNER_SOURCE: &str = r#"
#![no_main]
use std::ffi::{c_char, c_int, c_long};

#[repr(C)]
struct Rusage {
    utime: [c_long; 2],
    stime: [c_long; 2],
    maxrss: c_long,
    rest: [c_long; 13],
}

unsafe extern "C" {
    fn fork() -> c_int;
    fn execv(path: *const c_char, argv: *const *const c_char) -> c_int;
    fn wait4(pid: c_int, status: *mut c_int, options: c_int, ru: *mut Rusage) -> c_int;
    fn _exit(code: c_int) -> !;
}

#[unsafe(no_mangle)]
extern "C" fn main(argc: c_int, argv: *const *const c_char) -> c_int {
    if argc < 2 {
        return 2;
    }
    unsafe {
        let pid = fork();
        if pid == 0 {
            execv(*argv.add(1), argv.add(1));
            _exit(127);
        }
        let mut status: c_int = 0;
        let mut ru: Rusage = std::mem::zeroed();
        if pid < 0 || wait4(pid, &mut status, 0, &mut ru) != pid {
            return 2;
        }
        eprintln!("\nmaxrss_kib={} status={}", ru.maxrss, status);
    }
    0
}
"#;

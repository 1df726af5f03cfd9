//! `cargo xtask fidelity`: the differential test of gomux's toolchain choice against real Go.
//!
//! For each real Go release (a GOROOT), gomux gets that release as its default toolchain in a
//! sandbox, and every generated case ([`cases`]) runs twice in the same folder with the same
//! environment: the real `go` (made to stop right after its choice, see [`observe`]) and
//! `gomux show --json`. Both answers are mapped to the same classes ([`classify`]);
//! disagreements are shrunk to minimal cases ([`shrink`]) and written to a report. The last
//! lines of output are `agree N/M` per release.
//!
//! The design decision to know: the corpus is fixed (a function of the case index) and its
//! versions are relative to the release under test, so the same case number exercises the
//! same branch on every release, and `--seed` only chooses which cases run.

mod cases;
mod classify;
mod observe;
mod shrink;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use anyhow::{Context as _, Result, bail};

use cases::{Case, Rng, Versions};
use classify::{Outcome, Verdict, verdict};
use observe::Bench;

/// Cases per release when neither `--sample` nor `--full` is given (the CI sample).
pub const DEFAULT_SAMPLE: usize = 300;
/// The sampling seed when `--seed` is not given.
const DEFAULT_SEED: u64 = 1;
/// Worker threads (the machine has two cores, shared).
const WORKERS: usize = 2;
/// Candidates one shrink may try.
const SHRINK_BUDGET: usize = 400;

#[derive(Debug, Clone)]
pub struct Options {
    pub goroots: Vec<PathBuf>,
    pub fixtures: Option<PathBuf>,
    pub seed: u64,
    pub sample: Option<usize>,
    pub full: bool,
    pub keep: bool,
    pub build: bool,
    /// Run [`ci`] (the seeded sample on the oldest and newest fixture release).
    pub ci: bool,
    /// Where the report goes (default: `target/fidelity/report.md`).
    pub report: Option<PathBuf>,
}

const USAGE: &str = "usage: cargo xtask fidelity [--go GOROOT ...|--fixtures DIR] [--seed N] [--sample N] [--full] [--keep] [--no-build] [--report FILE] [--ci]

Runs generated cases through each real Go release and through `gomux show --json` (that
release as gomux's default) and compares the choices. Without --go, the releases are the
GOROOTs in DIR/unpacked/*/go (DIR: --fixtures, else GOMUX_FIXTURES). Default: a seeded
sample of 300 cases per release; --full runs the whole corpus. The last lines are
`agree N/M` per release; disagreements, shrunk, go to the report file (path printed).
--ci runs the default sample on the oldest and the newest fixture release only.
";

/// The options, or None for `--help` (the usage is printed).
fn parse(args: Vec<OsString>) -> Result<Option<Options>> {
    let mut o = Options {
        goroots: Vec::new(),
        fixtures: std::env::var_os("GOMUX_FIXTURES").map(PathBuf::from),
        seed: DEFAULT_SEED,
        sample: None,
        full: false,
        keep: false,
        build: true,
        ci: false,
        report: None,
    };
    let mut it = args.into_iter();
    while let Some(a) = it.next() {
        let mut value = |what: &str| -> Result<OsString> {
            it.next()
                .with_context(|| format!("`{what}` needs a value (see `--help`)"))
        };
        match a.to_str() {
            Some("--go") => o.goroots.push(value("--go")?.into()),
            Some("--fixtures") => o.fixtures = Some(value("--fixtures")?.into()),
            Some("--report") => o.report = Some(value("--report")?.into()),
            Some("--seed") => {
                o.seed = value("--seed")?
                    .to_string_lossy()
                    .parse()
                    .context("`--seed` takes a number")?
            }
            Some("--sample") => {
                o.sample = Some(
                    value("--sample")?
                        .to_string_lossy()
                        .parse()
                        .context("`--sample` takes a number")?,
                )
            }
            Some("--full") => o.full = true,
            Some("--keep") => o.keep = true,
            Some("--no-build") => o.build = false,
            Some("--ci") => o.ci = true,
            Some("-h" | "--help") => {
                print!("{USAGE}");
                return Ok(None);
            }
            _ => bail!("unknown argument `{}` (see `--help`)", a.to_string_lossy()),
        }
    }
    Ok(Some(o))
}

pub fn run(args: Vec<OsString>) -> Result<()> {
    let Some(o) = parse(args)? else {
        return Ok(());
    };
    if o.ci {
        let f = o
            .fixtures
            .as_ref()
            .context("`--ci` needs `--fixtures DIR` or GOMUX_FIXTURES")?;
        return ci(f);
    }
    let summary = run_with(&o)?;
    if summary.iter().any(|r| r.disagree > 0) {
        bail!("gomux disagrees with Go (see the report)");
    }
    Ok(())
}

/// The smoke test for `cargo xtask test`: the seeded sample on the oldest and the newest
/// release in `fixtures/unpacked`; fails on any disagreement that is not deliberate.
pub fn ci(fixtures: &Path) -> Result<()> {
    let mut roots = fixture_goroots(fixtures)?;
    if roots.len() > 2 {
        let last = roots.pop().context("no release")?;
        roots.truncate(1);
        roots.push(last);
    }
    let o = Options {
        goroots: roots,
        fixtures: None,
        seed: DEFAULT_SEED,
        sample: Some(DEFAULT_SAMPLE),
        full: false,
        keep: false,
        build: true,
        ci: false,
        report: None,
    };
    let summary = run_with(&o)?;
    let bad: Vec<String> = summary
        .iter()
        .filter(|r| r.disagree > 0)
        .map(|r| format!("{} ({} cases)", r.name, r.disagree))
        .collect();
    if !bad.is_empty() {
        bail!("gomux disagrees with Go on {}", bad.join(", "));
    }
    Ok(())
}

/// The GOROOTs below `fixtures/unpacked/*/go`, oldest release first.
fn fixture_goroots(fixtures: &Path) -> Result<Vec<PathBuf>> {
    let dir = fixtures.join("unpacked");
    let mut found: Vec<(u64, u64, PathBuf)> = Vec::new();
    for e in std::fs::read_dir(&dir).with_context(|| {
        format!(
            "cannot read `{}` (build the fixtures with `cargo xtask fixtures`)",
            dir.display()
        )
    })? {
        let root = e?.path().join("go");
        let Ok(version) = std::fs::read_to_string(root.join("VERSION")) else {
            continue;
        };
        let name = version.lines().next().unwrap_or_default();
        if let Some(v) = Versions::from_name(name) {
            found.push((v.minor, v.patch, root));
        }
    }
    found.sort();
    if found.is_empty() {
        bail!("no Go SDK in `{}`", dir.display());
    }
    Ok(found.into_iter().map(|(_, _, r)| r).collect())
}

/// One release's result.
pub struct ReleaseSummary {
    pub name: String,
    pub total: usize,
    pub agree: usize,
    pub deliberate: usize,
    pub disagree: usize,
}

/// One disagreement, shrunk.
struct Finding {
    release: String,
    original: usize,
    case: Case,
    go: Outcome,
    gomux: Outcome,
}

fn run_with(o: &Options) -> Result<Vec<ReleaseSummary>> {
    let goroots = if o.goroots.is_empty() {
        let f = o.fixtures.as_ref().context(
            "no release to test: give `--go GOROOT`, `--fixtures DIR` or set GOMUX_FIXTURES",
        )?;
        fixture_goroots(f)?
    } else {
        o.goroots.clone()
    };
    let gomux = gomux_binary(o.build)?;
    let target = gomux
        .parent()
        .and_then(Path::parent)
        .context("gomux has no target folder")?
        .to_path_buf();
    let base = target.join("fidelity");
    std::fs::create_dir_all(&base)?;
    let report_path = o.report.clone().unwrap_or_else(|| base.join("report.md"));

    let corpus = cases::corpus();
    let chosen = choose(corpus.len(), o);
    eprintln!(
        "fidelity: {} of {} cases per release ({}), gomux `{}`",
        chosen.len(),
        corpus.len(),
        if o.full {
            "full".to_string()
        } else {
            format!("seed {}", o.seed)
        },
        gomux.display()
    );

    let mut summaries = Vec::new();
    let mut findings: Vec<Finding> = Vec::new();
    for goroot in &goroots {
        let started = Instant::now();
        let bench = Bench::create(&base.join("sandbox"), goroot, &gomux, o.keep)?;
        let versions = Versions::from_name(&bench.name)
            .with_context(|| format!("cannot read a version from `{}`", bench.name))?;
        let resolved: Vec<Case> = chosen
            .iter()
            .map(|&i| versions.resolve(&corpus[i]))
            .collect();
        let results = parallel(&resolved, |c| bench.observe(c))?;
        let mut s = ReleaseSummary {
            name: bench.name.clone(),
            total: resolved.len(),
            agree: 0,
            deliberate: 0,
            disagree: 0,
        };
        let mut bad = Vec::new();
        for (case, (go, gm)) in resolved.iter().zip(results) {
            match verdict(&go, &gm) {
                Verdict::Agree => s.agree += 1,
                Verdict::Deliberate => s.deliberate += 1,
                Verdict::Disagree => {
                    s.disagree += 1;
                    bad.push((case.clone(), go, gm));
                }
            }
        }
        let observed = started.elapsed();
        eprintln!(
            "{}: {} cases in {:.1} s, {} disagree; shrinking",
            bench.name,
            s.total,
            observed.as_secs_f64(),
            s.disagree
        );
        let shrunk = parallel(&bad, |(case, go, gm)| {
            let small = shrink::shrink(
                case,
                SHRINK_BUDGET,
                |c| matches!(bench.observe(c), Ok((g, m)) if g == *go && m == *gm),
            );
            Ok(small)
        })?;
        for ((case, go, gm), small) in bad.into_iter().zip(shrunk) {
            findings.push(Finding {
                release: bench.name.clone(),
                original: case.id,
                case: small,
                go,
                gomux: gm,
            });
        }
        eprintln!(
            "{}: done in {:.1} s",
            bench.name,
            started.elapsed().as_secs_f64()
        );
        summaries.push(s);
    }

    let report = report(&summaries, &findings, o, chosen.len());
    std::fs::write(&report_path, &report)
        .with_context(|| format!("cannot write `{}`", report_path.display()))?;
    eprint!("{}", short_summary(&findings));
    eprintln!("report: {}", report_path.display());
    for s in &summaries {
        println!(
            "{}: agree {}/{} (deliberate {}, disagree {})",
            s.name, s.agree, s.total, s.deliberate, s.disagree
        );
    }
    Ok(summaries)
}

/// Which corpus indexes run: all with `--full`, else a seeded sample, in index order.
fn choose(total: usize, o: &Options) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..total).collect();
    if o.full {
        return idx;
    }
    let n = o.sample.unwrap_or(DEFAULT_SAMPLE).min(total);
    let mut rng = Rng::new(o.seed);
    for i in (1..idx.len()).rev() {
        let j = rng.below(i + 1);
        idx.swap(i, j);
    }
    idx.truncate(n);
    idx.sort_unstable();
    idx
}

/// `f` on every item with [`WORKERS`] threads; results in item order.
fn parallel<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> Result<R> + Sync) -> Result<Vec<R>> {
    let next = AtomicUsize::new(0);
    let slots: Mutex<Vec<Option<Result<R>>>> = Mutex::new((0..items.len()).map(|_| None).collect());
    std::thread::scope(|s| {
        for _ in 0..WORKERS {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= items.len() {
                        break;
                    }
                    let r = f(&items[i]);
                    if let Ok(mut g) = slots.lock() {
                        g[i] = Some(r);
                    }
                }
            });
        }
    });
    let slots = slots
        .into_inner()
        .map_err(|_| anyhow::anyhow!("a worker panicked"))?;
    slots
        .into_iter()
        .map(|r| r.unwrap_or_else(|| Err(anyhow::anyhow!("a case was not run"))))
        .collect()
}

/// The debug `gomux` next to this xtask binary, built first (a no-op when it is fresh).
fn gomux_binary(build: bool) -> Result<PathBuf> {
    let exe = std::env::current_exe().context("cannot locate the xtask binary")?;
    let dir = exe.parent().context("xtask has no folder")?;
    let gomux = dir.join(format!("gomux{}", std::env::consts::EXE_SUFFIX));
    if build || !gomux.is_file() {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .context("the xtask crate has no parent folder")?;
        let status = Command::new(cargo)
            .args(["build", "--quiet", "-p", "gomux-cli", "--bin", "gomux"])
            .current_dir(root)
            .status()
            .context("running cargo build")?;
        if !status.success() {
            bail!("building gomux failed");
        }
    }
    if !gomux.is_file() {
        bail!("`{}` does not exist after the build", gomux.display());
    }
    Ok(gomux)
}

/// The group a finding belongs to: the two answers' kinds and what is left in the shrunk case.
fn group_key(f: &Finding) -> String {
    let kind = |o: &Outcome| match o {
        Outcome::Runs(_) => "runs".to_string(),
        Outcome::Error(c) => format!("error {c}"),
        Outcome::Other(_) => "other".to_string(),
    };
    let mut parts = vec![format!("go {} / gomux {}", kind(&f.go), kind(&f.gomux))];
    let env: Vec<&str> = f.case.env.iter().map(|(k, _)| k.as_str()).collect();
    if !env.is_empty() {
        parts.push(format!("env {}", env.join(",")));
    }
    let files: Vec<&str> = f
        .case
        .files
        .iter()
        .map(|x| x.path.rsplit('/').next().unwrap_or(&x.path))
        .collect();
    if !files.is_empty() {
        parts.push(format!("files {}", files.join(",")));
    }
    if !f.case.links.is_empty() {
        parts.push("links".into());
    }
    if !f.case.fakes.is_empty() {
        parts.push("fakes".into());
    }
    let mut sub = "(no command)";
    let mut skip = false;
    for a in &f.case.args {
        if std::mem::take(&mut skip) {
            continue;
        }
        if a == "-C" || a == "--C" {
            skip = true;
        } else if !a.starts_with('-') {
            sub = a;
            break;
        }
    }
    parts.push(format!("go {sub}"));
    if f.case
        .args
        .iter()
        .any(|a| a.starts_with("-C") || a.starts_with("--C"))
    {
        parts.push("-C".into());
    }
    parts.join("; ")
}

/// Distinct shrunk cases per release, grouped.
fn grouped(findings: &[Finding]) -> BTreeMap<String, Vec<(&Finding, usize)>> {
    // (release, rendering) -> first finding and how many originals shrank to it.
    let mut distinct: BTreeMap<(String, String), (&Finding, usize)> = BTreeMap::new();
    for f in findings {
        let key = (
            f.release.clone(),
            format!("{}{}{}", cases::render(&f.case), f.go, f.gomux),
        );
        distinct.entry(key).or_insert((f, 0)).1 += 1;
    }
    let mut groups: BTreeMap<String, Vec<(&Finding, usize)>> = BTreeMap::new();
    for (_, (f, n)) in distinct {
        groups.entry(group_key(f)).or_default().push((f, n));
    }
    groups
}

fn report(
    summaries: &[ReleaseSummary],
    findings: &[Finding],
    o: &Options,
    chosen: usize,
) -> String {
    let mut s = String::from("# gomux fidelity report\n\n");
    let _ = writeln!(
        s,
        "{chosen} cases per release ({}). `{{root}}` is the case's own folder; every case also \
         has the base environment (GOPROXY=off, GOSUMDB=off, GOFLAGS=, GOPATH=~bad, an absolute \
         GOMODCACHE, HOME and TMPDIR in the case folder, PWD = the working folder).\n",
        if o.full {
            "full corpus".to_string()
        } else {
            format!("seed {}", o.seed)
        }
    );
    for r in summaries {
        let _ = writeln!(
            s,
            "- {}: agree {}/{}, deliberate {}, disagree {}",
            r.name, r.agree, r.total, r.deliberate, r.disagree
        );
    }
    let groups = grouped(findings);
    let _ = writeln!(s, "\n{} groups of distinct shrunk cases\n", groups.len());
    for (key, items) in &groups {
        let _ = writeln!(s, "## {key}\n");
        for (f, n) in items {
            let _ = writeln!(
                s,
                "### {} (case {}, {} case(s) shrank to this)\n```\n{}  Go:    {}\n  gomux: {}\n```\n",
                f.release,
                f.original,
                n,
                cases::render(&f.case),
                f.go,
                f.gomux
            );
        }
    }
    s
}

fn short_summary(findings: &[Finding]) -> String {
    let mut s = String::new();
    for (key, items) in grouped(findings) {
        let n: usize = items.iter().map(|(_, n)| n).sum();
        let _ = writeln!(s, "disagree: {key} ({} distinct, {n} cases)", items.len());
    }
    s
}

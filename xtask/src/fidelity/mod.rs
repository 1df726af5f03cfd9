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
    /// Run only these cases (corpus numbers; kept cases follow the corpus) and show what
    /// both sides printed.
    pub cases: Vec<usize>,
    /// Where the report goes (default: `target/fidelity/report.md`).
    pub report: Option<PathBuf>,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            goroots: Vec::new(),
            fixtures: None,
            seed: DEFAULT_SEED,
            sample: None,
            full: false,
            keep: false,
            build: true,
            ci: false,
            cases: Vec::new(),
            report: None,
        }
    }
}

const USAGE: &str = "usage: cargo xtask fidelity [--go GOROOT ...|--fixtures DIR] [--seed N] [--sample N] [--full] [--keep] [--no-build] [--report FILE] [--ci] [--dump] [--case N ...]

Runs generated cases through each real Go release and through `gomux show --json` (that
release as gomux's default) and compares the choices. Without --go, the releases are the
GOROOTs in DIR/unpacked/*/go (DIR: --fixtures, else GOMUX_FIXTURES). Default: a seeded
sample of 300 cases per release; --full runs the whole corpus (1,500); the minimal cases kept
in xtask/src/fidelity/regressions.json always run too. The last lines are
`agree N/M` per release; disagreements, shrunk, go to the report file (path printed).
--ci runs the default sample on the oldest and the newest fixture release only.
--case N runs case N only (kept cases are numbered after the corpus) and shows what both
sides printed. --dump prints the whole corpus (placeholder form, JSON, one case a line) and stops.
";

/// The options, or None for `--help` (the usage is printed).
fn parse(args: Vec<OsString>) -> Result<Option<Options>> {
    let mut o = Options {
        goroots: Vec::new(),
        fixtures: std::env::var_os("GOMUX_FIXTURES").map(PathBuf::from),
        ..Options::default()
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
            Some("--case") => o.cases.push(
                value("--case")?
                    .to_string_lossy()
                    .parse()
                    .context("`--case` takes a case number")?,
            ),
            Some("--keep") => o.keep = true,
            Some("--no-build") => o.build = false,
            Some("--ci") => o.ci = true,
            Some("--dump") => {
                let corpus = cases::corpus();
                let all: Vec<&Case> = corpus.iter().collect();
                print!("{}", cases::to_json(&all)?);
                return Ok(None);
            }
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
        // Said already, above the `agree N/M` lines, which stay the last ones.
        return Err(Disagreements.into());
    }
    Ok(())
}

/// The run found disagreements (reported already): `main` exits non-zero without adding a
/// line after the `agree N/M` lines.
#[derive(Debug)]
pub struct Disagreements;

impl std::fmt::Display for Disagreements {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("gomux disagrees with Go (see the report)")
    }
}

impl std::error::Error for Disagreements {}

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
        sample: Some(DEFAULT_SAMPLE),
        ..Options::default()
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
    // Every release the fixtures folder holds, oldest first, unpacked on first use.
    let listed = crate::fixtures::toolchains(fixtures, crate::fixtures::Platform::host()?)
        .with_context(|| {
            format!(
                "`{}` is no fixtures folder (build one with `cargo xtask fixtures`)",
                fixtures.display()
            )
        })?;
    if listed.is_empty() {
        bail!("no Go SDK in `{}`", fixtures.display());
    }
    listed
        .iter()
        .map(|l| crate::fixtures::goroot(fixtures, &l.name))
        .collect()
}

/// One release's result.
pub struct ReleaseSummary {
    pub name: String,
    pub total: usize,
    pub agree: usize,
    pub deliberate: usize,
    pub disagree: usize,
}

/// One distinct minimal case (placeholder form) and how every release answers it.
struct Finding {
    /// The first release it disagreed on, and the corpus case it was shrunk from.
    release: String,
    original: usize,
    /// How many disagreeing cases shrank to it (over all releases).
    count: usize,
    case: Case,
    /// Per release: name, the case resolved for it, Go's and gomux's answers, the verdict.
    answers: Vec<(String, Case, Outcome, Outcome, Verdict)>,
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
    let regressions = cases::regressions()?;
    let mut chosen: Vec<&Case> = choose(corpus.len(), o)
        .into_iter()
        .map(|i| &corpus[i])
        .collect();
    chosen.extend(regressions.iter());
    eprintln!(
        "fidelity: {} of {} generated cases and {} kept minimal cases per release ({}), gomux `{}`",
        chosen.len() - regressions.len(),
        corpus.len(),
        regressions.len(),
        if o.full {
            "full".to_string()
        } else {
            format!("seed {}", o.seed)
        },
        gomux.display()
    );

    // The sandboxes live in the temp folder, away from any go.mod or pin file of the
    // repository that a walk up from a case could reach.
    let sandboxes = std::env::temp_dir().join(format!("gomux-fidelity-{}", std::process::id()));
    let _cleanup = RemoveOnDrop(sandboxes.clone(), o.keep);
    let mut benches: Vec<(Bench, Versions)> = Vec::new();
    for goroot in &goroots {
        let bench = Bench::create(&sandboxes, goroot, &gomux, o.keep)?;
        let versions = Versions::from_name(&bench.name)
            .with_context(|| format!("cannot read a version from `{}`", bench.name))?;
        bench.calibrate(cases::COMMANDS)?;
        benches.push((bench, versions));
    }

    if !o.cases.is_empty() {
        return explain(&o.cases, &corpus, &regressions, &benches);
    }

    let mut summaries = Vec::new();
    // Distinct minimal cases (by their placeholder rendering), in the order found.
    let mut minimal: BTreeMap<String, (String, usize, usize, Case)> = BTreeMap::new();
    for (bench, versions) in &benches {
        let started = Instant::now();
        let results = parallel(&chosen, |c| bench.observe(&versions.resolve(c)))?;
        let mut s = ReleaseSummary {
            name: bench.name.clone(),
            total: chosen.len(),
            agree: 0,
            deliberate: 0,
            disagree: 0,
        };
        let mut bad = Vec::new();
        for (case, (go, gm)) in chosen.iter().zip(results) {
            match verdict(&go, &gm) {
                Verdict::Agree => s.agree += 1,
                Verdict::Deliberate => s.deliberate += 1,
                Verdict::Disagree => {
                    s.disagree += 1;
                    bad.push(((*case).clone(), go, gm));
                }
            }
        }
        eprintln!(
            "{}: {} cases in {:.1} s, {} disagree; shrinking",
            bench.name,
            s.total,
            started.elapsed().as_secs_f64(),
            s.disagree
        );
        let done = AtomicUsize::new(0);
        let shrunk = parallel(&bad, |(case, go, gm)| {
            let small = shrink::shrink(
                case,
                SHRINK_BUDGET,
                |c| matches!(bench.observe(&versions.resolve(c)), Ok((g, m)) if g == *go && m == *gm),
            );
            let n = done.fetch_add(1, Ordering::Relaxed) + 1;
            if n.is_multiple_of(50) {
                eprintln!("{}: shrunk {n}/{}", bench.name, bad.len());
            }
            Ok(small)
        })?;
        for ((case, _, _), small) in bad.iter().zip(shrunk) {
            let key = cases::render(&small);
            minimal
                .entry(key)
                .or_insert_with(|| (bench.name.clone(), case.id, 0, small))
                .2 += 1;
        }
        eprintln!(
            "{}: done in {:.1} s",
            bench.name,
            started.elapsed().as_secs_f64()
        );
        summaries.push(s);
    }

    // Every minimal case on every release: which releases it disagrees on is half its story.
    let minimal: Vec<(String, usize, usize, Case)> = minimal.into_values().collect();
    let mut findings = Vec::new();
    let answers = parallel(&minimal, |(_, _, _, case)| {
        benches
            .iter()
            .map(|(bench, versions)| {
                let resolved = versions.resolve(case);
                let (go, gm) = bench.observe(&resolved)?;
                let v = verdict(&go, &gm);
                Ok((bench.name.clone(), resolved, go, gm, v))
            })
            .collect::<Result<Vec<_>>>()
    })?;
    for ((release, original, count, case), answers) in minimal.into_iter().zip(answers) {
        findings.push(Finding {
            release,
            original,
            count,
            case,
            answers,
        });
    }

    let report = report(&summaries, &findings, o, chosen.len());
    std::fs::write(&report_path, &report)
        .with_context(|| format!("cannot write `{}`", report_path.display()))?;
    let json_path = report_path.with_extension("json");
    // One case per group, the smallest: enough to keep each cause tested.
    let kept: Vec<&Case> = grouped(&findings)
        .into_values()
        .filter_map(|items| {
            items
                .into_iter()
                .min_by_key(|f| cases::render(&f.case).len())
                .map(|f| &f.case)
        })
        .collect();
    std::fs::write(&json_path, cases::to_json(&kept)?)
        .with_context(|| format!("cannot write `{}`", json_path.display()))?;
    eprint!("{}", short_summary(&findings));
    eprintln!(
        "report: {} (the smallest case of each group, to keep in xtask/src/fidelity/regressions.json: {})",
        report_path.display(),
        json_path.display()
    );
    for s in &summaries {
        println!(
            "{}: agree {}/{} (deliberate {}, disagree {})",
            s.name, s.agree, s.total, s.deliberate, s.disagree
        );
    }
    Ok(summaries)
}

/// `--case`: the named cases on every release, with everything both sides printed.
fn explain(
    numbers: &[usize],
    corpus: &[Case],
    regressions: &[Case],
    benches: &[(Bench, Versions)],
) -> Result<Vec<ReleaseSummary>> {
    let mut summaries = Vec::new();
    for (bench, versions) in benches {
        let mut s = ReleaseSummary {
            name: bench.name.clone(),
            total: 0,
            agree: 0,
            deliberate: 0,
            disagree: 0,
        };
        for &n in numbers {
            let case = corpus
                .get(n)
                .or_else(|| regressions.get(n.wrapping_sub(corpus.len())))
                .with_context(|| {
                    format!(
                        "there is no case {n} (the corpus has {}, then {} kept cases)",
                        corpus.len(),
                        regressions.len()
                    )
                })?;
            let resolved = versions.resolve(case);
            let (go, gm, printed) = bench.explain(&resolved)?;
            let v = verdict(&go, &gm);
            s.total += 1;
            match v {
                Verdict::Agree => s.agree += 1,
                Verdict::Deliberate => s.deliberate += 1,
                Verdict::Disagree => s.disagree += 1,
            }
            println!(
                "case {n} on {}:\n{}{printed}  Go {go} | gomux {gm} -> {v:?}\n",
                bench.name,
                cases::render(&resolved)
            );
        }
        summaries.push(s);
    }
    for s in &summaries {
        println!(
            "{}: agree {}/{} (deliberate {}, disagree {})",
            s.name, s.agree, s.total, s.deliberate, s.disagree
        );
    }
    Ok(summaries)
}

/// Removes a folder when dropped, unless it is to be kept.
struct RemoveOnDrop(PathBuf, bool);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        if !self.1 {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
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

/// The debug `gomux` next to this xtask binary, built first (a no-op when it is fresh) or,
/// without `build`, only when it is missing.
fn gomux_binary(build: bool) -> Result<PathBuf> {
    let exe = std::env::current_exe().context("cannot locate the xtask binary")?;
    let mut dir = exe.parent().context("xtask has no folder")?;
    // A test binary lives one level down, in `target/debug/deps`.
    if dir.file_name().is_some_and(|n| n == "deps") {
        dir = dir.parent().context("deps has no folder")?;
    }
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

/// The group a finding belongs to: the two answers' kinds where it disagrees, the releases it
/// disagrees on, and what is left in the minimal case.
fn group_key(f: &Finding) -> String {
    let kind = |o: &Outcome| match o {
        Outcome::Runs(_) => "runs".to_string(),
        Outcome::Error(c) => format!("error {c}"),
        Outcome::Other(_) => "other".to_string(),
    };
    let bad: Vec<&(String, Case, Outcome, Outcome, Verdict)> = f
        .answers
        .iter()
        .filter(|a| a.4 == Verdict::Disagree)
        .collect();
    let mut parts = Vec::new();
    match bad.first() {
        Some((_, _, go, gm, _)) => parts.push(format!("go {} / gomux {}", kind(go), kind(gm))),
        None => parts.push("no longer disagrees".to_string()),
    }
    if !bad.is_empty() && bad.len() < f.answers.len() {
        let names: Vec<&str> = bad.iter().map(|a| a.0.as_str()).collect();
        parts.push(format!("only {}", names.join(",")));
    }
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

/// The findings by group.
fn grouped(findings: &[Finding]) -> BTreeMap<String, Vec<&Finding>> {
    let mut groups: BTreeMap<String, Vec<&Finding>> = BTreeMap::new();
    for f in findings {
        groups.entry(group_key(f)).or_default().push(f);
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
        "{chosen} cases per release ({}). Paths are below the case's own folder (`{{root}}`); \
         every case also has the base environment (GOPROXY=off, GOSUMDB=off, GOFLAGS=, \
         GOPATH=~bad, an absolute GOMODCACHE, HOME and TMPDIR in the case folder, PWD = the \
         working folder). Each minimal case is shown as written for the first release it \
         disagreed on, then answered by every release.\n",
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
    let _ = writeln!(
        s,
        "\n{} distinct minimal cases in {} groups\n",
        findings.len(),
        groups.len()
    );
    for (key, items) in &groups {
        let _ = writeln!(s, "## {key}\n");
        for f in items {
            let shown = f
                .answers
                .iter()
                .find(|a| a.0 == f.release)
                .map(|a| &a.1)
                .unwrap_or(&f.case);
            let _ = write!(
                s,
                "### from case {} on {} ({} case(s) shrank to this)\n```\n{}",
                f.original,
                f.release,
                f.count,
                cases::render(shown)
            );
            for (name, _, go, gm, v) in &f.answers {
                let mark = match v {
                    Verdict::Agree => "agree",
                    Verdict::Deliberate => "deliberate",
                    Verdict::Disagree => "DISAGREE",
                };
                let _ = writeln!(s, "  {name}: Go {go} | gomux {gm} -> {mark}");
            }
            let _ = writeln!(s, "```\n");
        }
    }
    s
}

/// Groups shown with their smallest case on stderr; the report has them all.
const SHOWN_GROUPS: usize = 60;

/// Each group, with its smallest case for the first [`SHOWN_GROUPS`].
fn short_summary(findings: &[Finding]) -> String {
    let mut s = String::new();
    let groups = grouped(findings);
    for (i, (key, items)) in groups.iter().enumerate() {
        let n: usize = items.iter().map(|f| f.count).sum();
        let _ = writeln!(s, "disagree: {key} ({} distinct, {n} cases)", items.len());
        if i < SHOWN_GROUPS
            && let Some(f) = items.iter().min_by_key(|f| cases::render(&f.case).len())
        {
            for (name, resolved, go, gm, v) in &f.answers {
                if *v == Verdict::Disagree {
                    let _ = write!(s, "{}", cases::render(resolved));
                    let _ = writeln!(s, "  {name}: Go {go} | gomux {gm}");
                    break;
                }
            }
        }
    }
    if groups.len() > SHOWN_GROUPS {
        let _ = writeln!(
            s,
            "({} more groups with their cases in the report)",
            groups.len() - SHOWN_GROUPS
        );
    }
    s
}

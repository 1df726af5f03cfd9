//! `cargo xtask bench`: what the proxy costs on every `go` call, and how the install pipeline
//! compares with `curl | tar xz`, measured side by side in one run.
//!
//! Everything runs in a sandbox (see [`sandbox`]) against release builds, the proxy built the way
//! it ships (see [`build`]). The cheap commands are timed in one interleaved loop with a warm-up
//! (see [`measure`]): the direct exec of a trivial `go` is the baseline the proxy rows are
//! compared with, so "overhead" is exactly what gomux adds to a call. Peak memory is measured in
//! a separate pass through a small runner. Installs are slow and disk-bound, so they get their
//! own loop with fewer runs, each starting from an empty folder and a synced disk.
//!
//! The tables are printed and written into the generated block of `docs/benchmarks.md`; the
//! prose around that block is kept.

pub(crate) mod build;
mod measure;
mod real;
mod report;
mod sandbox;

/// The test mirror: a loopback HTTP server that serves a folder (shared with the e2e suite).
#[allow(dead_code)]
#[path = "../../tests/src/mirror.rs"]
mod mirror;

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context as _, Result, bail};

use build::{ShimBuild, Workspace};
use install::install_table;
use measure::Variant;
use report::{Row, Table};
use sandbox::{DEEP, Sandbox};

const USAGE: &str = "\
usage: cargo xtask bench [--runs N] [--warmup N] [--install-runs N] [--quick] [--no-install]
                         [--install-on-disk] [--fixtures DIR] [--shim fast|glibc|default|FILE]
                         [--compare FILE]... [--no-write] [--keep] [--caches]
                         [--remote-cache]

Builds gomux and the proxy in release mode, then measures in a sandbox, interleaved: the proxy's
overhead over a direct exec (a trivial `go`, and a real SDK's `go version` / `go env GOROOT`),
`gomux show` and `gomux which`, peak RSS, and `gomux install` from a loopback mirror against
`curl -s URL | tar xz`. Prints the tables and writes them into docs/benchmarks.md.

  --runs N          timed rounds of the quick commands (default 300, after --warmup 20)
  --install-runs N  timed installs of each kind (default 4, after one warm-up)
  --quick           a smoke run: 30 rounds, 1 install of each kind; docs/benchmarks.md untouched
  --no-install      skip the install comparison
  --proxy-only      only the proxy's table (no real SDK, CLI or install rows)
  --install-on-disk install into the temp folder rather than /dev/shm (tmpfs)
  --fixtures DIR    the `cargo xtask fixtures` folder (default: GOMUX_FIXTURES, else the newest
                    folder in the fixtures cache); without fixtures the real-SDK rows say so
  --shim fast       the proxy as it ships: static, no C library on Linux x86_64 (default)
  --shim glibc      the static glibc proxy (the fallback build), to compare against
  --shim default    the proxy from a plain `cargo build --release` (for comparison)
  --shim FILE       this proxy binary (an older build, to compare before and after)
  --compare FILE    also time this proxy binary, in the same rounds (repeatable): rows for the
                    trivial target 10 levels deep, against the same baseline
  --no-write        print only; leave docs/benchmarks.md alone
  --caches          only the cache layers part: a second project's first build (real Go from the
                    fixtures) under policy `shared`, per-project without and with the base layer
  --remote-cache    only the remote build cache part: CI jobs with policy `job` and nginx as the
                    remote cache behind `gomux cacheprog` (real Go 1.24+ from the fixtures): a
                    cold job, the same job warm, a new job served from the remote
  --keep            keep the sandbox folder
";

/// Progress on stderr, with the seconds since the task started.
macro_rules! step {
    ($($arg:tt)*) => {
        eprintln!("== [{:5.1} s] {}", started_at().elapsed().as_secs_f64(), format!($($arg)*))
    };
}

// After `step!`, which it uses.
mod caches;
mod install;
mod remote_cache;

fn started_at() -> Instant {
    static START: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    *START.get_or_init(Instant::now)
}

/// The budgets the report checks.
const OVERHEAD_BUDGET_MS: f64 = 1.0;
const INSTALL_BUDGET_RATIO: f64 = 1.2;
/// The floor's targets (ms): 10 levels deep with a pin; 200 levels above 10; a 50,000-line
/// go.mod; a partial pin among 500 toolchains above 2.
const PIN_DEEP_TARGET_MS: f64 = 0.30;
const DEPTH_GROWTH_TARGET_MS: f64 = 1.5;
const HUGE_GOMOD_TARGET_MS: f64 = 1.0;
const TOOLCHAINS_GROWTH_TARGET_MS: f64 = 0.2;
/// go.mod size for the "long go.mod" rows.
const REQUIRE_LINES: usize = 2000;
/// go.mod size for the "huge go.mod" row (how the proxy's cost grows with the file).
const HUGE_REQUIRE_LINES: usize = 50_000;
/// Depth of the "very deep" row (how the cost grows with the walk).
const VERY_DEEP_LEVELS: usize = 200;
/// Installed toolchains of the "many toolchains" row (how a partial pin's pick grows).
const MANY_TOOLCHAINS: usize = 500;
/// Extra variables of the "large environment" rows.
const MANY_VARIABLES: usize = 5000;
/// Peak-RSS runs per command.
const RSS_RUNS: usize = 10;

struct Options {
    runs: usize,
    warmup: usize,
    install_runs: usize,
    install: bool,
    tmpfs: bool,
    fixtures: Option<PathBuf>,
    shim: ShimBuild,
    compare: Vec<PathBuf>,
    write: bool,
    keep: bool,
    quick: bool,
    caches: bool,
    proxy_only: bool,
    remote_cache: bool,
}

fn parse_args(args: Vec<OsString>) -> Result<Option<Options>> {
    let mut o = Options {
        runs: 300,
        warmup: 20,
        install_runs: 4,
        install: true,
        tmpfs: true,
        fixtures: None,
        shim: ShimBuild::Fast,
        compare: Vec::new(),
        write: true,
        keep: false,
        quick: false,
        caches: false,
        proxy_only: false,
        remote_cache: false,
    };
    let mut it = args.into_iter();
    let number = |v: Option<OsString>, flag: &str| -> Result<usize> {
        v.and_then(|v| v.to_str().and_then(|s| s.parse().ok()))
            .with_context(|| format!("`{flag}` needs a number: see `cargo xtask bench --help`"))
    };
    while let Some(a) = it.next() {
        match a.to_str().unwrap_or("") {
            "-h" | "--help" => return Ok(None),
            "--runs" => o.runs = number(it.next(), "--runs")?.max(1),
            "--warmup" => o.warmup = number(it.next(), "--warmup")?,
            "--install-runs" => o.install_runs = number(it.next(), "--install-runs")?.max(1),
            "--no-install" => o.install = false,
            "--proxy-only" => {
                o.proxy_only = true;
                o.install = false;
            }
            "--install-on-disk" => o.tmpfs = false,
            "--quick" => {
                o.quick = true;
                o.runs = 30;
                o.warmup = 3;
                o.install_runs = 1;
                o.write = false;
            }
            "--fixtures" => {
                o.fixtures = Some(PathBuf::from(
                    it.next().context("`--fixtures` needs a folder")?,
                ))
            }
            "--shim" => {
                o.shim = match it.next().as_ref().and_then(|v| v.to_str()) {
                    Some("fast") => ShimBuild::Fast,
                    Some("default") => ShimBuild::Default,
                    Some("glibc") => ShimBuild::Glibc,
                    Some(file) if !file.is_empty() => ShimBuild::File(PathBuf::from(file)),
                    _ => bail!("`--shim` takes `fast`, `glibc`, `default` or a file"),
                }
            }
            "--no-write" => o.write = false,
            "--caches" => o.caches = true,
            "--remote-cache" => o.remote_cache = true,
            "--keep" => o.keep = true,
            "--compare" => o.compare.push(PathBuf::from(
                it.next().context("`--compare` needs a proxy binary")?,
            )),
            _ => bail!(
                "unknown argument `{}`: see `cargo xtask bench --help`",
                a.to_string_lossy()
            ),
        }
    }
    Ok(Some(o))
}

pub fn run(args: Vec<OsString>) -> Result<()> {
    let command = std::iter::once("cargo xtask bench".to_string())
        .chain(args.iter().map(|a| a.to_string_lossy().into_owned()))
        .collect::<Vec<_>>()
        .join(" ");
    let Some(o) = parse_args(args)? else {
        print!("{USAGE}");
        return Ok(());
    };
    started_at();
    let ws = Workspace::locate()?;
    step!(
        "building gomux (release) and the proxy: {}",
        o.shim.describe()
    );
    let gomux = ws.build_cli()?;
    let shim = ws.build_shim(&o.shim)?;
    let shim_size = std::fs::metadata(&shim)
        .with_context(|| format!("cannot read `{}`", shim.display()))?
        .len();

    if o.remote_cache {
        let fixtures = real::locate(o.fixtures.as_deref()).map_err(anyhow::Error::msg)?;
        step!("remote cache: CI jobs with nginx behind `gomux cacheprog`");
        let rounds = if o.quick { 1 } else { o.install_runs.min(3) };
        let block = remote_cache::run(&gomux, &shim, &fixtures, o.keep, rounds)?;
        print!("{block}");
        if o.write {
            let file = ws.root.join("docs").join("benchmarks.md");
            caches::write_block(&file, "--remote-cache", &block)?;
            step!("wrote {}", file.display());
        }
        return Ok(());
    }
    if o.caches {
        let fixtures = real::locate(o.fixtures.as_deref()).map_err(anyhow::Error::msg)?;
        step!("caches: the first build of a second project, three setups");
        let rounds = if o.quick { 1 } else { o.install_runs.min(3) };
        let block = caches::run(&gomux, &shim, &fixtures, o.keep, rounds)?;
        print!("{block}");
        if o.write {
            let file = ws.root.join("docs").join("benchmarks.md");
            caches::write_block(&file, "--caches", &block)?;
            step!("wrote {}", file.display());
        }
        return Ok(());
    }
    let started = Instant::now();
    step!("preparing the sandbox");
    let load_before = load_average();
    let sb = Sandbox::create(&gomux, &shim, o.keep, o.tmpfs)?;
    let runner = sb.runner()?;
    let (trivial, trivial_how) = sb.trivial_program()?;

    // Two fake SDKs: the default is the older one, so a go.mod asking for the newer one really
    // decides. A pinned project (`.go-version` beside a short go.mod), a project with a long
    // go.mod, and a folder with neither.
    let fake = sb.link_fake("go1.98.0", &trivial)?;
    sb.link_fake("go1.97.0", &trivial)?;
    sb.gomux(["default", "1.97.0"], &sb.work)?;
    let pin = sb.project(
        "pin",
        &[
            (".go-version", "1.98.0\n"),
            ("go.mod", "module example.com/pin\n\ngo 1.22\n"),
        ],
    )?;
    let gomod_text = sandbox::long_gomod("example.com/big", "1.98.0", REQUIRE_LINES);
    let modp = sb.project("mod", &[("go.mod", &gomod_text)])?;
    let none = sb.project("none", &[])?;
    for (dir, wanted) in [(&pin, "pin-file"), (&modp, "go-mod"), (&none, "default")] {
        expect_selection(&sb, &dir.join(DEEP), wanted)?;
    }
    // How the cost grows: a walk 200 levels deep, a 50,000-line go.mod, a partial pin among
    // 2 and 500 toolchains (a second home with 498 more links to the same fake SDK), and an
    // environment of 5,000 more variables.
    let very_deep_rel: PathBuf = std::iter::repeat_n("d", VERY_DEEP_LEVELS).collect();
    let pin200 = sb.project(
        "pin200",
        &[
            (".go-version", "1.98.0\n"),
            ("go.mod", "module example.com/pin\n\ngo 1.22\n"),
        ],
    )?;
    let very_deep = pin200.join(&very_deep_rel);
    std::fs::create_dir_all(&very_deep)
        .with_context(|| format!("cannot create `{}`", very_deep.display()))?;
    expect_selection(&sb, &very_deep, "pin-file")?;
    let huge_text = sandbox::long_gomod("example.com/huge", "1.98.0", HUGE_REQUIRE_LINES);
    let huge = sb.project("huge", &[("go.mod", &huge_text)])?;
    expect_selection(&sb, &huge.join(DEEP), "go-mod")?;
    let family = sb.project(
        "family",
        &[
            (".go-version", "1.98\n"),
            ("go.mod", "module example.com/family\n\ngo 1.22\n"),
        ],
    )?;
    expect_selection(&sb, &family.join(DEEP), "pin-file")?;
    let many_home = sb.root.join("gomux-home-many");
    sb.setup(&many_home)?;
    let many_env = sb.env_for(&many_home);
    sandbox::many_toolchains(&many_home, &fake, MANY_TOOLCHAINS)?;
    let big_env: Vec<(OsString, OsString)> = env_with_many(&sb.env(), MANY_VARIABLES);
    // A home without `tmp/`, where the proxy can record nothing: every call scans the large
    // go.mod, as the first call after an edit does.
    let unrecorded_home = sb.root.join("gomux-home-unrecorded");
    sb.setup(&unrecorded_home)?;
    sandbox::many_toolchains(&unrecorded_home, &fake, 2)?;
    let tmp = unrecorded_home.join("tmp");
    std::fs::remove_dir_all(&tmp).with_context(|| format!("cannot remove `{}`", tmp.display()))?;
    let unrecorded_env = sb.env_for(&unrecorded_home);

    let env = sb.env();
    let go = sb.go_proxy();
    let deep = |p: &Path| p.join(DEEP);
    let proxy = |label: &str, cwd: PathBuf| {
        Variant::new(label, &go, &cwd)
            .args(["version"])
            .env(&env)
            .baseline(0)
    };
    let mut trivial_rows = vec![
        Variant::new(
            "direct: `<sdk>/bin/go version`",
            fake.join("bin").join("go"),
            &deep(&pin),
        )
        .args(["version"])
        .env(&env)
        .baseline(0),
        proxy("proxy, `.go-version`, at the project root", pin.clone()),
        proxy("proxy, `.go-version`, 10 levels deep", deep(&pin)),
        proxy(
            "proxy, go.mod (2,000 require lines), at the root",
            modp.clone(),
        ),
        proxy(
            "proxy, go.mod (2,000 require lines), 10 levels deep",
            deep(&modp),
        ),
        proxy("proxy, the default, no project files", none.clone()),
        proxy("proxy, the default, 10 levels deep", deep(&none)),
        proxy(
            &format!("proxy, `.go-version`, {VERY_DEEP_LEVELS} levels deep"),
            very_deep.clone(),
        ),
        proxy(
            "proxy, go.mod (50,000 require lines), 10 levels deep",
            deep(&huge),
        ),
        Variant::new(
            "proxy, go.mod (50,000 require lines), 10 levels deep, not recorded (no `tmp/`)",
            &go,
            &deep(&huge),
        )
        .args(["version"])
        .env(&unrecorded_env)
        .baseline(0),
        proxy(
            "proxy, partial pin `1.98`, 2 toolchains, 10 levels deep",
            deep(&family),
        ),
        Variant::new(
            format!("proxy, partial pin `1.98`, {MANY_TOOLCHAINS} toolchains, 10 levels deep"),
            &go,
            &deep(&family),
        )
        .args(["version"])
        .env(&many_env)
        .baseline(0),
    ];
    // The large environment has its own direct run: copying 5,000 variables into the child is
    // a cost of the exec, not of gomux.
    let big_direct = trivial_rows.len();
    trivial_rows.push(
        Variant::new(
            format!("direct, {MANY_VARIABLES} more variables"),
            fake.join("bin").join("go"),
            &deep(&pin),
        )
        .args(["version"])
        .env(&big_env)
        .baseline(big_direct),
    );
    trivial_rows.push(
        Variant::new(
            format!("proxy, `.go-version`, 10 levels deep, {MANY_VARIABLES} more variables"),
            &go,
            &deep(&pin),
        )
        .args(["version"])
        .env(&big_env)
        .baseline(big_direct),
    );
    // Other proxy binaries, timed in the same rounds: the proxy finds its home through
    // GOMUX_HOME, so a copy named `go` anywhere behaves as the installed one.
    for (i, file) in o.compare.iter().enumerate() {
        let dir = sb.root.join(format!("compare-{i}"));
        std::fs::create_dir_all(&dir)?;
        let copy = dir.join(build::exe("go"));
        std::fs::copy(file, &copy).with_context(|| format!("cannot copy `{}`", file.display()))?;
        let name = file.file_name().unwrap_or_default().to_string_lossy();
        for (what, project) in [
            (".go-version", &pin),
            ("go.mod", &modp),
            ("the default", &none),
        ] {
            trivial_rows.push(
                Variant::new(
                    format!("`{name}`, {what}, 10 levels deep"),
                    &copy,
                    &deep(project),
                )
                .args(["version"])
                .env(&env)
                .baseline(0),
            );
        }
    }
    // The proxy records the scan of a large go.mod only once the file's last change is older
    // than a margin (`gomux_resolve::record`): wait that long, so every round measures the
    // steady state, and the first call below makes the records.
    std::thread::sleep(std::time::Duration::from_millis(2200));
    for v in &trivial_rows {
        v.check()?;
    }

    // System calls per call, where strace is installed.
    let strace = which("strace");
    let mut syscalls: Vec<Option<usize>> = Vec::new();
    match &strace {
        Some(st) => {
            for v in &trivial_rows {
                syscalls.push(Some(v.count_syscalls(st, &sb.tmp)?));
            }
        }
        None => step!("strace is not installed: the syscall column is left out"),
    }

    // A real SDK from the fixtures, unpacked and linked.
    let fixtures = if o.proxy_only {
        Err("`--proxy-only`".to_string())
    } else {
        real::locate(o.fixtures.as_deref())
    };
    let archive = match &fixtures {
        Ok(dir) => Some(real::pick_archive(dir)?),
        Err(_) => None,
    };
    let mut real_rows = Vec::new();
    if let Some(a) = &archive {
        step!("unpacking {} for the real-SDK rows", a.filename);
        let goroot = real::unpack(a, &sb.scratch.join("sdk-real"))?;
        sb.gomux(
            [
                OsString::from("link"),
                a.toolchain.clone().into(),
                goroot.clone().into(),
            ],
            &sb.work,
        )?;
        let version = a.toolchain.trim_start_matches("go");
        let project = sb.project(
            "real",
            &[
                (".go-version", &format!("{version}\n")),
                ("go.mod", "module example.com/real\n\ngo 1.21\n"),
            ],
        )?;
        let cwd = deep(&project);
        let real_go = goroot.join("bin").join("go");
        // The direct runs get what the proxy gives the SDK: GOTOOLCHAIN and the caches.
        let shown = show(&sb, &cwd)?;
        let mut direct_env = env.clone();
        direct_env.push(("GOTOOLCHAIN".into(), "local".into()));
        for (var, key) in [("GOCACHE", "gocache"), ("GOMODCACHE", "gomodcache")] {
            if let Some(dir) = shown["cache"][key].as_str() {
                direct_env.push((var.into(), dir.into()));
            }
        }
        let direct = |args: &[&str]| {
            Variant::new(
                format!("direct: `<sdk>/bin/go {}`", args.join(" ")),
                &real_go,
                &cwd,
            )
            .args(args.iter().copied())
            .env(&direct_env)
        };
        let through = |args: &[&str], base: usize| {
            Variant::new(
                format!("proxy: `go {}`, 10 levels deep", args.join(" ")),
                &go,
                &cwd,
            )
            .args(args.iter().copied())
            .env(&env)
            .baseline(base)
        };
        real_rows = vec![
            direct(&["version"]).baseline(0),
            through(&["version"], 0),
            direct(&["env", "GOROOT"]).baseline(2),
            through(&["env", "GOROOT"], 2),
        ];
        for v in &real_rows {
            let out = v.check()?;
            let ok = if v.args.len() == 1 {
                out.contains(&a.toolchain)
            } else {
                Path::new(out.trim()).join("bin").join("go").is_file()
            };
            if !ok {
                bail!("`{}` printed `{}`", v.display(), out.trim());
            }
        }
    }

    let cli_rows = if o.proxy_only {
        Vec::new()
    } else {
        vec![
            Variant::new("`gomux show`, 10 levels deep", sb.gomux_bin(), &deep(&pin))
                .args(["show"])
                .env(&env),
            Variant::new("`gomux which`, 10 levels deep", sb.gomux_bin(), &deep(&pin))
                .args(["which"])
                .env(&env),
        ]
    };
    for v in &cli_rows {
        v.check()?;
    }

    // The quick commands, interleaved in one loop.
    let groups = [trivial_rows, real_rows, cli_rows];
    let sizes: Vec<usize> = groups.iter().map(Vec::len).collect();
    let mut all: Vec<Variant> = Vec::new();
    for (g, rows) in groups.into_iter().enumerate() {
        let offset: usize = sizes[..g].iter().sum();
        all.extend(rows.into_iter().map(|mut v| {
            v.baseline = v.baseline.map(|b| b + offset);
            v
        }));
    }
    step!(
        "timing {} commands: {} rounds after {} warm-up rounds",
        all.len(),
        o.runs,
        o.warmup
    );
    let loop_start = Instant::now();
    let samples = measure::interleaved(&all, o.warmup, o.runs, None, &|round, total| {
        if round > 0 && round % 50 == 0 {
            eprintln!("   round {round}/{total}");
        }
    })?;
    let loop_time = loop_start.elapsed();
    let rss_runs = if o.quick { 3 } else { RSS_RUNS };
    step!("peak RSS ({rss_runs} runs of each through the runner)");
    let rss = measure::peak_rss(&all, rss_runs, &runner)?;

    let rows: Vec<Row> = all
        .iter()
        .zip(samples)
        .zip(rss)
        .enumerate()
        .map(|(i, ((v, s), r))| Row {
            label: v.label.clone(),
            times: measure::millis(&s.times),
            rss: r.into_iter().map(|k| k as f64).collect(),
            baseline: None,
            syscalls: syscalls.get(i).copied().flatten(),
        })
        .collect();
    let mut tables = Vec::new();
    let mut rest = rows.into_iter();
    let mut offset = 0;
    for (g, size) in sizes.iter().enumerate() {
        let mut t_rows: Vec<Row> = rest.by_ref().take(*size).collect();
        for (i, row) in t_rows.iter_mut().enumerate() {
            row.baseline = all[offset + i].baseline.map(|b| b - offset);
        }
        offset += size;
        let table = match g {
            0 => Table {
                title: "The proxy's overhead, trivial target".into(),
                rows: t_rows,
                skipped: None,
                notes: vec![format!(
                    "The trivial `go` is {trivial_how}; \"10 levels deep\" runs in `{DEEP}` below \
                     the project root. Ratio and overhead are against the direct exec (the \
                     large-environment row against the direct exec with the same variables). \
                     Syscalls: `strace -f`, every call of the proxy and of the target (a direct \
                     exec is 2: `execve` and `exit`)."
                )],
            },
            1 => Table {
                title: match &archive {
                    Some(a) => format!("A real SDK ({}), direct vs through the proxy", a.toolchain),
                    None => "A real SDK, direct vs through the proxy".into(),
                },
                rows: t_rows,
                skipped: fixtures.as_ref().err().cloned(),
                notes: vec![
                    "The project pins the SDK with `.go-version`; the direct runs get the \
                     environment the proxy gives the SDK (`GOTOOLCHAIN=local`, GOCACHE and \
                     GOMODCACHE)."
                        .into(),
                ],
            },
            _ => Table {
                title: "The gomux CLI".into(),
                rows: t_rows,
                skipped: None,
                notes: vec!["In the pinned project, 10 levels deep.".into()],
            },
        };
        if !table.rows.is_empty() || table.skipped.is_some() {
            tables.push(table);
        }
    }

    if o.install {
        tables.push(install_table(
            &sb,
            &fixtures,
            archive.as_ref(),
            &o,
            &runner,
        )?);
    }

    let elapsed = started.elapsed();
    let load = format!("{load_before} before, {} after", load_average());
    let text = render(
        &tables,
        &RenderInfo {
            command: &command,
            shim: &o.shim,
            shim_size,
            runs: o.runs,
            warmup: o.warmup,
            elapsed_s: elapsed.as_secs_f64(),
            loop_s: loop_time.as_secs_f64(),
            load: &load,
        },
    );
    print!("{text}");
    if o.write {
        let doc = ws.root.join("docs").join("benchmarks.md");
        report::write_block(&doc, &text)?;
        step!("wrote {}", doc.display());
    }
    Ok(())
}

/// `base` plus `n` variables of a typical size.
fn env_with_many(base: &[(OsString, OsString)], n: usize) -> Vec<(OsString, OsString)> {
    let mut env = base.to_vec();
    env.extend((0..n).map(|i| {
        (
            OsString::from(format!("BENCH_VARIABLE_{i:05}")),
            OsString::from(format!("/some/value/of/typical/length/{i}")),
        )
    }));
    env
}

/// `name` on PATH, if it is there.
fn which(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// `gomux show --json` in `cwd`.
fn show(sb: &Sandbox, cwd: &Path) -> Result<serde_json::Value> {
    let out = sb.gomux(["show", "--json"], cwd)?;
    serde_json::from_str(&out).with_context(|| format!("`gomux show --json` printed `{out}`"))
}

/// Fails unless `gomux show` in `cwd` says the toolchain was selected the `kind` way
/// (`pin-file`, `go-mod`, `default`).
fn expect_selection(sb: &Sandbox, cwd: &Path, kind: &str) -> Result<()> {
    let shown = show(sb, cwd)?;
    if shown["request"]["source"].as_str() != Some(kind) {
        bail!(
            "in `{}`, `gomux show` says the toolchain was selected by {}; the benchmark expected \
             `{kind}`",
            cwd.display(),
            shown["request"]["description"]
        );
    }
    Ok(())
}

fn remove_all(p: &Path) -> Result<()> {
    match std::fs::remove_dir_all(p) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e).with_context(|| format!("cannot remove `{}`", p.display())),
    }
}

/// Flushes dirty pages, so that one run's writes are not paid for by the next one.
fn sync_disks() {
    let _ = std::process::Command::new("sync").status();
}

struct RenderInfo<'a> {
    command: &'a str,
    shim: &'a ShimBuild,
    shim_size: u64,
    runs: usize,
    warmup: usize,
    elapsed_s: f64,
    loop_s: f64,
    load: &'a str,
}

/// The 1-minute load average, which says how busy the machine was.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|t| t.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "unknown".into())
}

fn render(tables: &[Table], info: &RenderInfo<'_>) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let _ = writeln!(s, "### Results\n");
    let _ = writeln!(s, "- date: {}", report::today());
    let _ = writeln!(s, "- machine: {}", report::machine());
    let _ = writeln!(s, "- load average (1 min): {}", info.load);
    let _ = writeln!(s, "- command: `{}`", info.command);
    let _ = writeln!(
        s,
        "- proxy: {}, {:.0} KiB",
        info.shim.describe(),
        info.shim_size as f64 / 1024.0
    );
    let _ = writeln!(
        s,
        "- quick commands: {} interleaved rounds after {} warm-up rounds ({:.0} s); \
         whole run {:.0} s after the build",
        info.runs, info.warmup, info.loop_s, info.elapsed_s
    );
    s.push('\n');
    s.push_str(&verdicts(tables));
    s.push('\n');
    for t in tables {
        t.render(&mut s);
    }
    s
}

/// The floor's targets: how the proxy's overhead grows with depth, go.mod size and the number
/// of installed toolchains, each against its target.
fn growth_verdicts(t: &Table, s: &mut String) {
    let overhead = |label: &str| -> Option<f64> {
        let i = t.rows.iter().position(|r| r.label == label)?;
        t.overhead(i)
    };
    let pin10 = overhead("proxy, `.go-version`, 10 levels deep");
    let pin200 = overhead(&format!(
        "proxy, `.go-version`, {VERY_DEEP_LEVELS} levels deep"
    ));
    let huge = overhead("proxy, go.mod (50,000 require lines), 10 levels deep");
    let two = overhead("proxy, partial pin `1.98`, 2 toolchains, 10 levels deep");
    let many = overhead(&format!(
        "proxy, partial pin `1.98`, {MANY_TOOLCHAINS} toolchains, 10 levels deep"
    ));
    let check = |what: String, value: Option<f64>, target: f64| -> String {
        match value {
            Some(v) => {
                let verdict = if v <= target { "met" } else { "missed" };
                format!(
                    "- {what}: {} (target {}: {verdict})\n",
                    report::signed_ms(v),
                    report::signed_ms(target)
                )
            }
            None => format!("- {what}: not measured\n"),
        }
    };
    s.push_str(&check(
        "`.go-version`, 10 levels deep".into(),
        pin10,
        PIN_DEEP_TARGET_MS,
    ));
    s.push_str(&check(
        format!("{VERY_DEEP_LEVELS} levels deep, above 10 levels"),
        pin200.zip(pin10).map(|(a, b)| a - b),
        DEPTH_GROWTH_TARGET_MS,
    ));
    s.push_str(&check(
        "go.mod of 50,000 require lines".into(),
        huge,
        HUGE_GOMOD_TARGET_MS,
    ));
    s.push_str(&check(
        format!("partial pin, {MANY_TOOLCHAINS} toolchains above 2"),
        many.zip(two).map(|(a, b)| a - b),
        TOOLCHAINS_GROWTH_TARGET_MS,
    ));
}

/// The budget lines: the proxy's overhead 10 levels deep, and the install ratio.
fn verdicts(tables: &[Table]) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    if let Some(t) = tables.first() {
        let deep: Vec<(usize, f64)> = t
            .rows
            .iter()
            .enumerate()
            .filter(|(_, r)| {
                // The three selections of the budget (the growth rows have their own targets).
                r.label.starts_with("proxy,")
                    && r.label.ends_with("10 levels deep")
                    && !r.label.contains("50,000")
                    && !r.label.contains("partial pin")
            })
            .filter_map(|(i, _)| t.overhead(i).map(|o| (i, o)))
            .collect();
        if let Some(&(worst_i, worst)) = deep.iter().max_by(|a, b| a.1.total_cmp(&b.1)) {
            let verdict = if worst < OVERHEAD_BUDGET_MS {
                format!("within the {OVERHEAD_BUDGET_MS} ms budget")
            } else {
                format!(
                    "over the {OVERHEAD_BUDGET_MS} ms budget by {}",
                    report::ms(worst - OVERHEAD_BUDGET_MS)
                )
            };
            let _ = writeln!(
                s,
                "- **proxy overhead, 10 levels deep: at most {}** (worst: {}) — {verdict}",
                report::signed_ms(worst),
                t.rows[worst_i].label
            );
        }
        if let Some(r) = t.rows.get(2).and_then(|r| measure::median(&r.rss)) {
            let _ = writeln!(s, "- **proxy peak RSS: {}** (median)", report::kib(r));
        }
        growth_verdicts(t, &mut s);
    }
    if let Some(t) = tables.iter().find(|t| t.title.starts_with("Install")) {
        if let Some(ratio) = t.ratio(1) {
            let verdict = if ratio <= INSTALL_BUDGET_RATIO {
                format!("within the {INSTALL_BUDGET_RATIO}x budget")
            } else {
                format!(
                    "over the {INSTALL_BUDGET_RATIO}x budget by {:.2}x",
                    ratio - INSTALL_BUDGET_RATIO
                )
            };
            let _ = writeln!(
                s,
                "- **`gomux install` vs `curl | tar xz`: {ratio:.2}x** — {verdict}"
            );
        } else if let Some(why) = &t.skipped {
            let _ = writeln!(s, "- install comparison not measured: {why}");
        }
    }
    s
}

//! `gomux cache`: which GOCACHE/GOMODCACHE a directory gets, the cache folders, cleaning them
//! and verifying module caches.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::SystemTime;

use gomux_cache::clean::{Planned, Removal, Target};
use gomux_cache::{Folder, Outcome, Selection, verify};
use gomux_home::cache::{
    self as policy, BaseState, CachePlan, Decision, Effective, Kind, Origin, Source,
};
use gomux_version::Request;

use crate::Context;
use crate::cache;
use crate::json;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Sub,
}

#[derive(clap::Subcommand)]
enum Sub {
    /// Print the GOCACHE and GOMODCACHE a `go` call in this directory gets, and why.
    Dir(DirArgs),
    /// List the cache folders under the cache root: project, size, last use.
    List(ListArgs),
    /// Remove cache folders (module caches included, although Go makes them read-only).
    Clean(CleanArgs),
    /// Check a module cache against the hashes Go recorded when it downloaded each module.
    Verify(VerifyArgs),
    /// Build a toolchain's base layer: its standard library, compiled once for every project.
    Base(BaseArgs),
}

#[derive(clap::Args)]
struct BaseArgs {
    /// The toolchain (`1.23.5`, `go1.23.5`; default: the one selected here).
    #[arg(value_name = "TOOLCHAIN")]
    toolchain: Option<String>,
    /// Build it again even when it exists (the old base is replaced whole).
    #[arg(long)]
    rebuild: bool,
    /// Print one JSON object (docs/json.md).
    #[arg(long)]
    json: bool,
    /// Used by gomux itself: a background build (gives up when another build holds the lock
    /// or `cache.base = "off"`).
    #[arg(long, hide = true)]
    background: bool,
}

#[derive(clap::Args)]
struct DirArgs {
    /// Print one JSON object (docs/json.md).
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
struct ListArgs {
    /// Print one JSON object (docs/json.md).
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
struct CleanArgs {
    /// The caches of this project (or of the project containing DIR).
    #[arg(long, value_name = "DIR", num_args = 0..=1, default_missing_value = ".")]
    project: Option<PathBuf>,
    /// Every cache folder under the cache root.
    #[arg(long)]
    all: bool,
    /// The caches of a CI job (default: the job this runs in).
    #[arg(long, value_name = "ID", num_args = 0..=1, default_missing_value = "")]
    job: Option<String>,
    /// The build cache of a toolchain (`1.22.3`, `go1.22.3`).
    #[arg(long, value_name = "VERSION")]
    toolchain: Option<String>,
    /// The module store that every project's module downloads are shared through.
    #[arg(long)]
    store: bool,
    /// The base layer of a toolchain (`1.23.5`); alone, every base layer.
    #[arg(long, value_name = "VERSION", num_args = 0..=1, default_missing_value = "")]
    base: Option<String>,
    /// Only folders not used for this long (`7d`, `12h`, `30m`); alone, applies to every folder.
    #[arg(long, value_name = "DURATION")]
    older_than: Option<String>,
    /// Show what would be removed, remove nothing.
    #[arg(long)]
    dry_run: bool,
    /// Also remove this Go cache outside the gomux cache root (repeatable).
    #[arg(long, value_name = "PATH")]
    force: Vec<PathBuf>,
    /// Print one JSON object (docs/json.md).
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
struct VerifyArgs {
    /// Remove every module that does not match, so the next build downloads it again.
    #[arg(long)]
    fix: bool,
    /// Print one JSON object (docs/json.md).
    #[arg(long)]
    json: bool,
    /// The module cache to check (default: the GOMODCACHE a `go` call here gets).
    #[arg(long, value_name = "DIR", conflicts_with = "all")]
    modcache: Option<PathBuf>,
    /// Check every module cache under the gomux cache root.
    #[arg(long)]
    all: bool,
}

pub fn run(ctx: &Context, args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        Sub::Dir(a) => dir(ctx, a),
        Sub::List(a) => list(ctx, a),
        Sub::Clean(a) => clean(ctx, a),
        Sub::Verify(a) => verify_cmd(ctx, a),
        Sub::Base(a) => base_cmd(ctx, a),
    }
}

fn source_text(s: &Source) -> String {
    s.to_string()
}

/// The note printed under a variable's value.
pub fn note(e: &Effective, decision: &Decision) -> String {
    match (decision, &e.origin) {
        (Decision::User { .. }, Origin::Env) => decision.to_string(),
        (Decision::Forced { .. }, Origin::Gomux) => {
            let mut s = decision.to_string();
            if let Some((file, value)) = &e.overrides {
                s.push_str(&format!(
                    "; overrides `{}={value}` from `go env -w` (`{}`)",
                    e.key,
                    file.display()
                ));
            }
            s
        }
        _ => e.to_string(),
    }
}

fn origin_name(o: &Origin) -> &'static str {
    match o {
        Origin::Gomux => "gomux",
        Origin::Env => "env",
        Origin::GoEnvFile(_) => "go-env-file",
        Origin::GoDefault => "go-default",
    }
}

fn decision_name(d: &Decision) -> &'static str {
    match d {
        Decision::Injected => "injected",
        Decision::Forced { .. } => "forced",
        Decision::User { .. } => "user",
        Decision::Untouched => "untouched",
    }
}

/// The plan as JSON (also used by `gomux show --json`).
pub fn plan_json(here: &cache::Here) -> json::CacheDir {
    let p: &CachePlan = &here.plan;
    let var = |e: &Effective, d: &Decision| json::CacheVar {
        value: json::opt_path(e.value.as_deref()),
        origin: origin_name(&e.origin),
        decision: decision_name(d),
        overrides: e.overrides.as_ref().map(|(f, v)| json::Overridden {
            file: json::path(f),
            value: v.clone(),
        }),
        note: note(e, d),
    };
    json::CacheDir {
        gocache: var(&here.effective[0], &p.gocache_decision),
        gomodcache: var(&here.effective[1], &p.gomodcache_decision),
        mode: p.mode.as_str(),
        mode_from: source_text(&p.mode_from),
        root: json::path(&p.root),
        root_from: source_text(&p.root_from),
        project: json::opt_path(here.project_root.as_deref()),
        toolchain: here.toolchain.clone(),
        reason: p.reason(),
        gocacheprog: p
            .gocacheprog
            .as_ref()
            .map(|v| v.to_string_lossy().into_owned()),
        module_store: json::opt_path(p.module_store.as_deref()),
        module_store_note: store_line(p),
        base: p.base.as_ref().map(|b| json::CacheBase {
            path: json::path(&policy::build_dir(&b.folder)),
            state: p.base_state().map(|s| s.as_str()),
            from: source_text(&b.from),
        }),
    }
}

/// Where the project's module downloads come from, when the plan uses the module store.
fn store_line(p: &CachePlan) -> Option<String> {
    let (store, modcache) = (p.module_store.as_ref()?, p.gomodcache.as_ref()?);
    let link = policy::download_dir(modcache);
    Some(match policy::link_state(modcache, store) {
        policy::StoreLink::Linked => format!(
            "`{}` (shared by every project: `cache/download` links there)",
            store.display()
        ),
        policy::StoreLink::Missing | policy::StoreLink::Dangling => format!(
            "`{}` (the next `go` call links `cache/download` there)",
            store.display()
        ),
        policy::StoreLink::OwnFolder => format!(
            "not used: `{}` is a folder Go already filled (run `go clean -modcache` in the project to share the store from then on)",
            link.display()
        ),
        policy::StoreLink::Elsewhere(to) => format!(
            "not used: `{}` links to `{}`, which gomux did not make",
            link.display(),
            to.display()
        ),
    })
}

/// The plan as text lines (also used by `gomux show`).
pub fn plan_lines(here: &cache::Here) -> Vec<String> {
    let p = &here.plan;
    let mut out = Vec::new();
    for (e, d) in [
        (&here.effective[0], &p.gocache_decision),
        (&here.effective[1], &p.gomodcache_decision),
    ] {
        let value = e
            .value
            .as_ref()
            .map(|v| v.display().to_string())
            .unwrap_or_else(|| "(unknown: no home folder)".into());
        out.push(format!("{:<11} {value}", e.key));
        out.push(format!("{:<11} {}", "", note(e, d)));
    }
    if let Some(prog) = &p.gocacheprog {
        out.push(format!("{:<11} {}", "GOCACHEPROG", prog.to_string_lossy()));
        out.push(format!(
            "{:<11} set by gomux: Go asks `gomux cacheprog`, which serves GOCACHE, then the remote cache",
            ""
        ));
    }
    if let Some(project) = &here.project_root {
        out.push(format!("{:<11} {}", "project", project.display()));
    }
    out.push(format!("{:<11} {}", "why", p.reason()));
    if let Some(line) = store_line(p) {
        out.push(format!("{:<11} {line}", "mod store"));
    }
    if let (Some(b), Some(state)) = (&p.base, p.base_state()) {
        let what = match state {
            BaseState::Off => format!("off (from {})", b.from),
            BaseState::None => "none yet: the first build compiles the standard library (`gomux cache base` builds it once for every project)".into(),
            BaseState::Building => "building in the background".into(),
            BaseState::Ready => "ready: the next `go` call here seeds this project's build cache from it".into(),
            BaseState::Seeded => "seeded: this project's build cache shares its standard library".into(),
        };
        out.push(format!(
            "{:<11} {}",
            "base layer",
            policy::build_dir(&b.folder).display()
        ));
        out.push(format!("{:<11} {what}", ""));
    }
    out.push(format!(
        "{:<11} {} ({})",
        "cache root",
        p.root.display(),
        p.root_from
    ));
    out
}

fn dir(ctx: &Context, args: DirArgs) -> anyhow::Result<ExitCode> {
    let here = cache::here(ctx, &ctx.cwd)?;
    if args.json {
        json::print(&plan_json(&here))?;
    } else {
        for line in plan_lines(&here) {
            println!("{line}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn folder_json(f: &Folder, size: u64, usage: &gomux_cache::base::Usage) -> json::CacheFolder {
    json::CacheFolder {
        kind: f.kind.as_str(),
        folder: f.name.clone(),
        path: json::path(&f.path),
        project: f.project.clone(),
        size,
        shared: usage.shared,
        own: usage.own,
        last_use: f.last_use.map(gomux_home::time::rfc3339),
        last_use_unix: f
            .last_use
            .and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
            .map(|d| d.as_secs()),
    }
}

fn list(ctx: &Context, args: ListArgs) -> anyhow::Result<ExitCode> {
    let root = cache::root(ctx)?;
    cache::finish_trash(&root);
    let folders = cache::folders(&root);
    let paths: Vec<PathBuf> = folders.iter().map(|f| f.path.clone()).collect();
    let (usages, total) = gomux_cache::base::usage(&paths);
    let sizes: Vec<u64> = usages.iter().map(|u| u.shared + u.own).collect();
    if args.json {
        let folders = folders
            .iter()
            .zip(&sizes)
            .zip(&usages)
            .map(|((f, s), u)| folder_json(f, *s, u))
            .collect();
        json::print(&json::CacheList {
            root: json::path(root.path()),
            folders,
            total,
        })?;
        return Ok(ExitCode::SUCCESS);
    }
    if folders.is_empty() {
        println!("no cache folders under `{}`", root.path().display());
        return Ok(ExitCode::SUCCESS);
    }
    let now = SystemTime::now();
    let width = folders
        .iter()
        .map(|f| f.name.len())
        .max()
        .unwrap_or(6)
        .max(6);
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{:<width$}  {:>10}  {:>10}  {:<12}  PROJECT",
        "FOLDER", "OWN", "SHARED", "LAST USE"
    )?;
    for (f, u) in folders.iter().zip(&usages) {
        let used = f
            .last_use
            .map(|t| cache::human_age(t, now))
            .unwrap_or_else(|| "unknown".into());
        let project = match (f.kind, &f.project) {
            (_, Some(p)) => p.clone(),
            (Kind::Shared, None) => "(shared)".into(),
            (Kind::Store, None) => "(module store: downloads shared by every project)".into(),
            (Kind::Base, None) => "(base layer)".into(),
            _ => String::new(),
        };
        writeln!(
            out,
            "{:<width$}  {:>10}  {:>10}  {:<12}  {project}",
            f.name,
            cache::human_size(u.own),
            cache::human_size(u.shared),
            used
        )?;
    }
    writeln!(
        out,
        "total {} in {} folder{} under `{}`",
        cache::human_size(total),
        folders.len(),
        if folders.len() == 1 { "" } else { "s" },
        root.path().display()
    )?;
    Ok(ExitCode::SUCCESS)
}

fn clean(ctx: &Context, args: CleanArgs) -> anyhow::Result<ExitCode> {
    let root = cache::root(ctx)?;
    let sel = selection(ctx, &args)?;
    let outcome = gomux_cache::clean(&root, &sel)?;
    let code = if outcome.failed().next().is_none() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    };
    if args.json {
        json::print(&clean_json(&outcome))?;
    } else {
        clean_text(&outcome);
    }
    Ok(code)
}

/// The command line, resolved: the project a folder is in, the job from the environment, an
/// exact toolchain, absolute paths.
fn selection(ctx: &Context, args: &CleanArgs) -> anyhow::Result<Selection> {
    let older_than = args
        .older_than
        .as_deref()
        .map(cache::parse_duration)
        .transpose()?;
    let force: Vec<PathBuf> = args.force.iter().map(|f| cache::absolute(ctx, f)).collect();
    let project = match &args.project {
        Some(dir) => {
            let dir = cache::absolute(ctx, dir);
            let (project, _) = cache::project_and_toolchain(ctx, &dir)?;
            let Some(root) = project else {
                return Err(crate::with_hint(
                    format!(
                        "`{}` is not inside a project (no `go.work`, `go.mod` or pin file in it or above it)",
                        gomux_home::text::escape_path(&dir)
                    ),
                    &[
                        "run this in a project's folder, or name one: `gomux cache clean --project DIR`",
                        "`gomux cache list` shows every cache folder and its project; `gomux cache clean --all` removes them all",
                    ],
                ));
            };
            let caches = cache::here(ctx, &dir)
                .map(|here| here.effective.into())
                .unwrap_or_default();
            Some(gomux_cache::clean::Project { root, caches })
        }
        None => None,
    };
    let job = match args.job.as_deref() {
        Some("") => {
            let env = |k: &str| std::env::var_os(k);
            match policy::job_id(&env) {
                Some((id, _)) => Some(id),
                None => {
                    return Err(crate::with_hint(
                        "no CI job id in the environment for `--job`",
                        &["pass one: `gomux cache clean --job ID`, or set `GOMUX_JOB_ID`"],
                    ));
                }
            }
        }
        other => other.map(str::to_string),
    };
    let toolchain = match &args.toolchain {
        Some(v) => Some(exact_toolchain(v, "--toolchain")?),
        None => None,
    };
    let base = match args.base.as_deref() {
        None => None,
        Some("") => Some(None),
        Some(v) => Some(Some(exact_toolchain(v, "--base")?)),
    };
    Ok(Selection {
        project,
        all: args.all,
        job,
        toolchain,
        store: args.store,
        base,
        force,
        older_than,
        dry_run: args.dry_run,
    })
}

/// Why a folder could not be removed completely, with the file operation's hint.
fn failure_text(error: &gomux_home::fsx::FsError) -> String {
    let mut msg = error.to_string();
    if let Some(h) = error.hint() {
        msg.push_str(&format!("; {h}"));
    }
    msg
}

fn clean_json(outcome: &Outcome) -> json::CacheClean {
    let removed = outcome
        .removed()
        .map(|(t, size)| removed_json(t, size))
        .collect();
    let failed = outcome
        .failed()
        .filter_map(|p| match &p.result {
            Removal::Failed { freed, error } => Some(json::FailedRemoval {
                folder: p.target.label.clone(),
                path: json::path(&p.target.path),
                size: p.size,
                freed: *freed,
                error: failure_text(error),
            }),
            _ => None,
        })
        .collect();
    json::CacheClean {
        dry_run: outcome.dry_run,
        removed,
        failed,
        freed: outcome.freed(),
        notes: outcome.notes.iter().map(ToString::to_string).collect(),
    }
}

fn clean_text(outcome: &Outcome) {
    let verb = if outcome.dry_run {
        "would remove"
    } else {
        "removed"
    };
    let failed: Vec<&Planned> = outcome.failed().collect();
    for p in &outcome.planned {
        if matches!(p.result, Removal::Failed { .. }) {
            continue;
        }
        let project = p
            .target
            .project
            .as_deref()
            .map(|p| format!("  ({p})"))
            .unwrap_or_default();
        println!(
            "{verb} {} ({}){project}",
            p.target.label,
            cache::human_size(p.size)
        );
    }
    for n in &outcome.notes {
        eprintln!("note: {n}");
    }
    for p in &failed {
        let Removal::Failed { freed, error } = &p.result else {
            continue;
        };
        crate::render::error(&format!(
            "could not finish removing {} ({} of {} freed): {}",
            p.target.label,
            cache::human_size(*freed),
            cache::human_size(p.size),
            failure_text(error)
        ));
        crate::render::hint(
            "what is left is out of Go's sight; the next `gomux cache clean` or `gomux cache list` finishes it",
        );
    }
    let freed = outcome.freed();
    if outcome.planned.is_empty() && outcome.trash_freed == 0 {
        println!("nothing to clean");
    } else if outcome.dry_run {
        println!("would free {}", cache::human_size(freed));
    } else if failed.is_empty() {
        println!("freed {}", cache::human_size(freed));
    } else {
        println!(
            "freed {}; {} folder{} could not be removed completely",
            cache::human_size(freed),
            failed.len(),
            if failed.len() == 1 { "" } else { "s" }
        );
    }
}

fn removed_json(t: &Target, size: u64) -> json::Removed {
    json::Removed {
        folder: t.label.clone(),
        path: json::path(&t.path),
        project: t.project.clone(),
        size,
    }
}

/// Notes for the folders in the group folders that gomux did not make (at most ten by name).
pub(crate) fn left_alone(foreign: &[PathBuf], notes: &mut Vec<String>) {
    notes.extend(
        gomux_cache::clean::left_alone(foreign)
            .iter()
            .map(ToString::to_string),
    );
}

fn verify_cmd(ctx: &Context, args: VerifyArgs) -> anyhow::Result<ExitCode> {
    let modcaches: Vec<PathBuf> = if args.all {
        let root = cache::root(ctx)?;
        cache::folders(&root)
            .iter()
            .map(|f| policy::mod_dir(&f.path))
            .filter(|m| m.is_dir())
            .collect()
    } else {
        let m = match &args.modcache {
            Some(m) => cache::absolute(ctx, m),
            None => {
                let here = cache::here(ctx, &ctx.cwd)?;
                here.effective[1].value.clone().ok_or_else(|| {
                    crate::with_hint(
                        "cannot tell which module cache a `go` call here uses",
                        &["name it: `gomux cache verify --modcache DIR`"],
                    )
                })?
            }
        };
        if !m.is_dir() {
            return Err(crate::with_hint(
                format!("there is no module cache at `{}`", m.display()),
                &[
                    "it is created by the first build that downloads a module; or name one with `--modcache DIR`",
                ],
            ));
        }
        vec![m]
    };
    let reports: Vec<verify::Report> = modcaches
        .iter()
        .map(|m| verify::verify(m, args.fix))
        .collect();
    let store = store_to_verify(ctx, &args, &modcaches)
        .map(|download| gomux_cache::store::verify(&download, args.fix));
    let store_problems = store.as_ref().map_or(0, |s| s.problems.len());
    let store_unfixed = store
        .as_ref()
        .map_or(0, |s| s.problems.iter().filter(|p| !p.is_fixed()).count());
    let problems: usize = reports.iter().map(|r| r.problems.len()).sum();
    let unfixed: usize = reports
        .iter()
        .flat_map(|r| &r.problems)
        .filter(|p| !p.is_fixed())
        .count();
    let ok = if args.fix {
        unfixed == 0 && store_unfixed == 0
    } else {
        problems == 0 && store_problems == 0
    };
    if args.json {
        json::print(&json::CacheVerify {
            ok,
            fix: args.fix,
            modcaches: reports,
            store,
        })?;
        return Ok(if ok {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        });
    } else {
        for r in &reports {
            println!(
                "checked {} module{} in `{}`",
                r.checked,
                if r.checked == 1 { "" } else { "s" },
                r.modcache.display()
            );
            for p in &r.problems {
                println!(
                    "{} {}: does not match what Go downloaded",
                    p.module, p.version
                );
                for line in p.describe() {
                    println!("  {line}");
                }
                for f in &p.fixed {
                    println!("  removed `{}`", f.display());
                }
            }
            for u in &r.unverifiable {
                println!(
                    "note: {} {} has no recorded hash and no zip; it cannot be verified",
                    u.module, u.version
                );
            }
        }
        if let Some(s) = &store {
            store_text(s);
        }
        if problems == 0 && store_problems == 0 {
            println!("all modules match their recorded hashes");
        } else if problems == 0 {
            // Only the store is wrong: `store_text` said what and what to do.
        } else if args.fix && unfixed == 0 {
            println!(
                "removed {problems} module{}; the next build fetches {} again",
                if problems == 1 { "" } else { "s" },
                if problems == 1 { "it" } else { "them" }
            );
        } else {
            crate::render::error(&format!(
                "{problems} module{} in the module cache changed after download",
                if problems == 1 { "" } else { "s" }
            ));
            if !args.fix {
                crate::render::hint(
                    "`gomux cache verify --fix` removes them so the next build fetches them again",
                );
            }
        }
    }
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// The module store to check along with the module caches: with `--all`, the cache root's;
/// otherwise the one a checked module cache's `cache/download` links to (a gomux store: its
/// folder carries the cache marker).
fn store_to_verify(ctx: &Context, args: &VerifyArgs, modcaches: &[PathBuf]) -> Option<PathBuf> {
    if args.all {
        let download = cache::root(ctx).ok()?.store_download();
        return download.is_dir().then_some(download);
    }
    modcaches.iter().find_map(|m| {
        let link = policy::download_dir(m);
        let to = std::fs::read_link(&link).ok()?;
        let owned = to
            .parent()
            .is_some_and(|folder| policy::CACHE_MARKER.is_on(folder));
        (owned && to.is_dir()).then_some(to)
    })
}

/// The store's part of `gomux cache verify`'s text report.
fn store_text(s: &gomux_cache::store::StoreReport) {
    println!(
        "checked {} module download{} in the module store `{}`",
        s.checked,
        if s.checked == 1 { "" } else { "s" },
        s.store.display()
    );
    for p in &s.problems {
        println!(
            "{} {}: the module store's download does not match what Go recorded",
            p.module, p.version
        );
        println!("  {}", p.describe());
        println!("  zip: {}", p.zip.display());
        for f in &p.fixed {
            println!("  removed `{}`", f.display());
        }
        if let Some(e) = &p.fix_error {
            println!("  {e}");
        }
    }
    if s.problems.is_empty() {
        return;
    }
    let n = s.problems.len();
    let unfixed = s.problems.iter().filter(|p| !p.is_fixed()).count();
    if unfixed == 0 {
        println!(
            "removed {n} download{} from the module store; the next `go` call fetches {} again and checks {} against go.sum",
            if n == 1 { "" } else { "s" },
            if n == 1 { "it" } else { "them" },
            if n == 1 { "it" } else { "them" },
        );
        return;
    }
    crate::render::error(&format!(
        "{n} module download{} in the module store changed after Go downloaded {}: every project extracts from there",
        if n == 1 { "" } else { "s" },
        if n == 1 { "it" } else { "them" },
    ));
    crate::render::hint(
        "`gomux cache verify --fix` removes the bad zips so the next `go` call downloads them again, checked against go.sum",
    );
    crate::render::hint(
        "module folders already extracted from a bad zip: `gomux cache verify --all --fix` finds and removes them",
    );
}

/// An exact toolchain name from an argument (`1.22.3`, `go1.22.3`, a linked name).
fn exact_toolchain(v: &str, flag: &str) -> anyhow::Result<String> {
    match Request::parse(v) {
        Ok(Request::Exact(name)) => Ok(name),
        Ok(Request::Family(_)) => Err(crate::with_hint(
            format!("`{flag} {v}` names a family, not one toolchain"),
            &["give an exact version such as `1.22.3` or `go1.22.3`"],
        )),
        Err(e) => Err(e.into()),
    }
}

fn base_cmd(ctx: &Context, args: BaseArgs) -> anyhow::Result<ExitCode> {
    let settings = ctx.settings()?;
    let env = |k: &str| std::env::var_os(k);
    if args.background {
        cache::lower_priority();
        let (on, _) = policy::base::base_enabled(&settings, &env)?;
        if !on {
            return Ok(ExitCode::SUCCESS);
        }
    }
    let name = match &args.toolchain {
        Some(v) => exact_toolchain(v, "gomux cache base")?,
        None => cache::project_and_toolchain(ctx, &ctx.cwd)?
            .1
            .ok_or_else(|| {
                crate::with_hint(
                    "no toolchain is selected here",
                    &["name one: `gomux cache base 1.23.5`"],
                )
            })?,
    };
    let Some(goroot) = ctx.home.find_toolchain(&name)? else {
        return Err(crate::with_hint(
            format!("{name} is not installed"),
            &[&format!("run `gomux install {name}` first")],
        ));
    };
    let safe = policy::safe_folder_name(&name).unwrap_or_else(|| "unknown".into());
    let root = cache::root(ctx)?;
    let started = std::time::Instant::now();
    let opts = gomux_cache::base::Options {
        toolchain: &safe,
        goroot: &goroot,
        rebuild: args.rebuild,
        wait: !args.background,
    };
    let quiet = args.json;
    if args.background {
        // The background builder also keeps the bases trimmed, as Go trims its own cache.
        match gomux_cache::base::trim(&root, std::time::SystemTime::now()) {
            Ok(Some(outcome)) => {
                for (target, _) in outcome.removed() {
                    eprintln!("trimmed the unused base layer {}", target.label);
                }
            }
            Ok(None) => {}
            Err(e) => eprintln!("note: trimming old base layers failed: {e}"),
        }
    }
    let built = gomux_cache::base::build(&root, &opts, &mut |line| {
        if !quiet || args.background {
            eprintln!("{line}");
        }
    })?;
    if args.json {
        json::print(&json::CacheBaseBuilt {
            toolchain: name,
            build: json::path(&policy::build_dir(&built.folder)),
            seconds: started.elapsed().as_secs_f64(),
            built,
        })?;
        return Ok(ExitCode::SUCCESS);
    }
    match built.state {
        "exists" => println!(
            "the base layer of {name} exists: `{}` ({} files, {}); `--rebuild` builds it again",
            policy::build_dir(&built.folder).display(),
            built.files,
            cache::human_size(built.bytes)
        ),
        "busy" => println!("another gomux is building the base layer of {name}"),
        _ => {
            for s in built.steps.iter().filter(|s| !s.ok) {
                eprintln!(
                    "note: `go {}` failed; `go vet` and `go test` build that part in each project",
                    s.args
                );
            }
            println!(
                "built the base layer of {name} in {:.1} s: `{}` ({} files, {})",
                started.elapsed().as_secs_f64(),
                policy::build_dir(&built.folder).display(),
                built.files,
                cache::human_size(built.bytes)
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

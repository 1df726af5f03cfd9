//! `gomux setup`: create the gomux home, install the `gomux` binary and the proxies into its
//! `bin/`, and put that folder first on PATH through one marked block in the shell profiles.
//! `gomux self uninstall` (alias: `gomux setup --uninstall`) takes back exactly what it added.
//!
//! The profile block itself (which profiles, its text, adding and removing it under the
//! `profiles` update lock) is [`crate::shell::profile`]'s.

use std::ffi::OsString;
use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use gomux_home::cache::CACHE_MARKER;
use gomux_home::fsx;
use gomux_home::{Home, env as vars, text};

use crate::context::Context;
use crate::proxies;
use crate::render::with_hint;
use crate::shell::profile::{self, Added, Syntax, current_syntax, path_lines, profiles};

#[derive(clap::Args)]
pub struct Args {
    /// Add the gomux block to your shell profiles (the default when run from a terminal)
    #[arg(long, overrides_with = "no_modify_path")]
    modify_path: bool,
    /// Do not touch shell profiles; print the line to add instead
    #[arg(long, overrides_with = "modify_path")]
    no_modify_path: bool,
    /// Undo `gomux setup` (the same as `gomux self uninstall`): remove the profile blocks, the
    /// proxies and `gomux` from `bin/` (toolchains, caches and settings are kept)
    #[arg(long)]
    uninstall: bool,
    /// With `--uninstall`: also remove the toolchains gomux installed (linked SDKs are only
    /// unlinked)
    #[arg(long, requires = "uninstall")]
    remove_toolchains: bool,
    /// With `--uninstall`: also remove gomux's GOCACHE/GOMODCACHE folders and its cached index
    #[arg(long, requires = "uninstall")]
    remove_caches: bool,
    /// The proxy binary to install instead of the one this `gomux` carries (to try another
    /// build of the proxy)
    #[arg(long, value_name = "FILE", hide = true)]
    proxy_binary: Option<std::path::PathBuf>,
}

pub fn run(ctx: &Context, args: Args) -> anyhow::Result<ExitCode> {
    let env = |k: &str| std::env::var_os(k);
    if args.uninstall {
        let opts = UninstallOptions {
            keep_profiles: args.no_modify_path,
            remove_toolchains: args.remove_toolchains,
            remove_caches: args.remove_caches,
        };
        return uninstall(ctx, &opts);
    }
    let modify = if args.modify_path {
        true
    } else if args.no_modify_path {
        false
    } else {
        std::io::stdin().is_terminal() && std::io::stdout().is_terminal()
    };
    let home = &ctx.home;
    for dir in home.layout_dirs() {
        // Marked as gomux's when gomux makes them (or finds them empty), so an uninstall can
        // tell them from a user's own `~/tmp` when GOMUX_HOME is the home folder.
        fsx::create_owned_dir(&dir, fsx::FOLDER_MARKER)?;
    }
    home.mark_layout()?;
    let me = std::env::current_exe().context("cannot locate the running `gomux`")?;
    let gomux = home.gomux_exe();
    if !proxies::same_file(&me, &gomux) && !proxies::same_content(&me, &gomux) {
        let tmp = gomux.with_extension(format!("tmp{}", std::process::id()));
        std::fs::copy(&me, &tmp)
            .with_context(|| format!("cannot copy `{}` to `{}`", me.display(), tmp.display()))?;
        std::fs::rename(&tmp, &gomux)
            .with_context(|| format!("cannot replace `{}`", gomux.display()))?;
    }
    let source = match &args.proxy_binary {
        Some(p) if p.is_file() => proxies::Source::File(p),
        Some(p) => {
            return Err(with_hint(
                format!("the proxy binary `{}` does not exist", p.display()),
                &["leave out `--proxy-binary`: `gomux` carries its own proxy"],
            ));
        }
        None => proxies::Source::Embedded,
    };
    proxies::install(home, source)?;
    let bin = home.bin_dir();
    crate::render::status!("gomux is set up in {}", home.root().display());
    let custom_home = custom_home(home, &env);
    #[cfg(windows)]
    if !modify {
        crate::render::status!(
            "add the proxies to PATH, first (your user PATH, or in this session):"
        );
        for line in crate::shell::windows_path::session_lines(&bin, custom_home.as_deref()) {
            crate::render::status!("    {line}");
        }
        crate::render::status!("(or run `gomux setup --modify-path` to have the user PATH edited)");
        return Ok(ExitCode::SUCCESS);
    }
    if !modify {
        crate::render::status!("add the proxies to PATH, first, in your shell profile:");
        crate::render::status!("");
        for line in path_lines(Syntax::Posix, &bin, custom_home.as_deref()) {
            crate::render::status!("    {line}");
        }
        crate::render::status!("");
        crate::render::status!("(or run `gomux setup --modify-path` to have it done)");
        return Ok(ExitCode::SUCCESS);
    }
    let wanted: Vec<profile::Profile> = profiles(&env).into_iter().filter(|p| p.wanted).collect();
    if wanted.is_empty() {
        crate::render::status!("no shell profile found to add the proxies to; add this to yours:");
        for line in path_lines(Syntax::Posix, &bin, custom_home.as_deref()) {
            crate::render::status!("    {line}");
        }
    } else {
        profile::add_blocks(home, &wanted, &bin, custom_home.as_deref(), |p, outcome| {
            let what = match outcome {
                Added::Created => "created with the gomux block",
                Added::Appended => "gomux block added",
                Added::Updated => "gomux block updated",
                Added::Unchanged => "gomux block already there",
                Added::Skipped => "skipped: its folder's parent does not exist",
            };
            crate::render::status!("{}: {what}", text::escape_path(&p.path));
        })?;
    }
    #[cfg(windows)]
    {
        use crate::shell::windows_path::{self, Change};
        let what = match windows_path::add(home, &bin, custom_home.as_deref())? {
            Change::Changed => "added first",
            Change::Unchanged => "already first",
        };
        crate::render::status!("user PATH (HKCU\\Environment): `{}` {what}", bin.display());
    }
    // Only what makes the proxies reachable: they compute GOTOOLCHAIN and the caches per
    // call, so nothing of one project's environment belongs in the interactive shell.
    crate::render::status!("new shells find the proxies; to use them in this shell now, run:");
    crate::render::status!("");
    for line in path_lines(current_syntax(&env), &bin, custom_home.as_deref()) {
        crate::render::status!("    {line}");
    }
    crate::render::status!("");
    crate::render::status!("then check everything with `gomux doctor`");
    Ok(ExitCode::SUCCESS)
}

/// The GOMUX_HOME the block must export: the one in use when it is not the default location.
fn custom_home(home: &Home, env: &dyn Fn(&str) -> Option<OsString>) -> Option<PathBuf> {
    let default = Home::from_lookup(|k| if k == vars::GOMUX_HOME { None } else { env(k) }).ok();
    (default.as_ref() != Some(home)).then(|| home.root().to_path_buf())
}

/// What `gomux self uninstall` (and its alias `gomux setup --uninstall`) removes besides the
/// proxies and `gomux` in `bin/`.
pub struct UninstallOptions {
    /// Leave the shell profiles alone (`--no-modify-path`).
    pub keep_profiles: bool,
    /// Also remove the toolchains gomux installed (linked SDKs are only unlinked).
    pub remove_toolchains: bool,
    /// Also remove gomux's GOCACHE/GOMODCACHE folders and its cached index.
    pub remove_caches: bool,
}

/// Undoes `gomux setup`: the profile blocks, the proxies and `gomux` in `bin/`, and what
/// `opts` asks for; toolchains, caches and settings are kept otherwise.
pub fn uninstall(ctx: &Context, opts: &UninstallOptions) -> anyhow::Result<ExitCode> {
    let env = &|k: &str| std::env::var_os(k);
    let args = opts;
    let home = &ctx.home;
    if !args.keep_profiles {
        profile::remove_blocks(home, env, |path, what| {
            crate::render::status!("{}: {what}", text::escape_path(path));
        })?;
        #[cfg(windows)]
        if let crate::shell::windows_path::Change::Changed =
            crate::shell::windows_path::remove(home, &home.bin_dir())?
        {
            crate::render::status!(
                "user PATH (HKCU\\Environment): `{}` removed",
                home.bin_dir().display()
            );
        }
    }
    // The proxies: `go`, `gofmt` and the versioned ones are hard links to (or copies of) the
    // master; anything else in `bin/` is not gomux's and stays.
    let bin = home.bin_dir();
    let master = home.proxy_master();
    let mut removed = 0;
    if let Ok(rd) = std::fs::read_dir(&bin) {
        for entry in rd.flatten() {
            let file = entry.file_name();
            let Some(file) = file.to_str() else { continue };
            let name = file.strip_suffix(".exe").unwrap_or(file);
            let proxy = name == "go" || name == "gofmt" || proxies::is_versioned(name);
            let path = entry.path();
            if proxy
                && path != master
                && (proxies::same_file(&path, &master) || proxies::same_content(&path, &master))
            {
                remove(home, &path)?;
                removed += 1;
            }
        }
    }
    for file in [master, home.gomux_exe()] {
        if std::fs::symlink_metadata(&file).is_ok() {
            remove(home, &file)?;
            removed += 1;
        }
    }
    if removed > 0 {
        crate::render::status!("removed the proxies and `gomux` from `{}`", bin.display());
    }
    remove_if_only_marker(&bin);
    let mut failed = false;
    if args.remove_toolchains {
        failed |= remove_toolchains(ctx);
        clean_tmp(home);
    }
    if args.remove_caches {
        failed |= remove_caches(ctx)?;
        clean_downloads(home);
    }
    // The folders setup created, when nothing but their marker is left in them.
    for dir in [home.toolchains_dir(), home.tmp_dir(), home.downloads_dir()] {
        remove_if_only_marker(&dir);
    }
    home.remove_if_unused();
    let mut kept = Vec::new();
    if !args.remove_toolchains && !home.toolchain_names().is_empty() {
        kept.push(format!(
            "toolchains in `{}` (`--remove-toolchains` removes them)",
            home.toolchains_dir().display()
        ));
    }
    if !args.remove_caches
        && let Ok(root) = crate::cache::root(ctx)
        && !crate::cache::folders(&root).is_empty()
    {
        kept.push(format!(
            "caches in `{}` (`--remove-caches` removes them)",
            root.path().display()
        ));
    }
    if home.settings_file().exists() {
        kept.push(format!("settings in `{}`", home.settings_file().display()));
    }
    crate::render::status!("gomux is uninstalled");
    for k in kept {
        crate::render::status!("kept {k}");
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// Removes `dir` when gomux made it ([`fsx::FOLDER_MARKER`]) and its marker is all that is
/// left in it. A folder without the marker is the user's, or an older gomux's: it stays.
fn remove_if_only_marker(dir: &Path) {
    if !fsx::FOLDER_MARKER.is_on(dir) {
        return;
    }
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let only_marker = rd
        .flatten()
        .all(|e| e.file_name() == fsx::FOLDER_MARKER.file);
    if only_marker && std::fs::remove_file(fsx::FOLDER_MARKER.path(dir)).is_ok() {
        let _ = std::fs::remove_dir(dir);
    }
}

/// `--remove-toolchains`: deletes the toolchains `gomux install` marked, unlinks the SDKs
/// `gomux link` registered, and names every Go SDK it leaves alone with the command that
/// removes it. True when something failed.
fn remove_toolchains(ctx: &Context) -> bool {
    let home = &ctx.home;
    let options = match gomux_dist::Options::from_env(|k: &str| std::env::var_os(k)) {
        Ok(o) => o,
        Err(e) => {
            crate::render::error(&e.to_string());
            return true;
        }
    };
    let mut failed = false;
    let mut changed = false;
    for name in home.toolchain_names() {
        let dir = home.toolchain_dir(&name);
        // Only what gomux installed, Go SDKs and links to them are toolchains; anything else
        // in a shared `toolchains/` is not gomux's business.
        if home.toolchain_root(&name).is_none() && !fsx::TOOLCHAIN_MARKER.is_on(&dir) {
            if home.is_linked(&name) {
                eprintln!(
                    "note: left the link `{}` alone: it does not point at a Go SDK",
                    gomux_home::text::escape_path(&dir)
                );
            }
            continue;
        }
        match gomux_dist::uninstall(home, &name, &options, &|m| crate::render::status!("{m}")) {
            Ok(gomux_dist::Removed::Deleted(dir)) => {
                crate::render::status!("removed {name} from `{}`", dir.display());
                changed = true;
            }
            Ok(gomux_dist::Removed::Unlinked(_)) => {
                crate::render::status!("unlinked {name} (the SDK it pointed to is untouched)");
                changed = true;
            }
            Err(e @ gomux_dist::DistError::NotOwned { .. }) => {
                eprintln!("note: {e}");
                for h in e.hints() {
                    crate::render::hint(&h);
                }
            }
            Err(e) => {
                crate::render::error(&e.to_string());
                failed = true;
            }
        }
    }
    if changed {
        let _ = proxies::sync(home);
    }
    failed
}

/// Whether a `tmp/` entry name is one gomux gives its own files there: a toolchain's install
/// lock, staging folder, partial download or trash.
fn is_gomux_tmp_name(name: &str) -> bool {
    [".lock", ".staging", ".download", ".trash"]
        .iter()
        .filter_map(|s| name.strip_suffix(s))
        .any(|tc| gomux_version::is_safe_name(tc) && gomux_version::from_toolchain(tc).is_some())
}

/// Removes from `tmp/` only what gomux writes there; the user's own files stay.
fn clean_tmp(home: &Home) {
    let tmp = home.tmp_dir();
    fsx::remove_trash(&tmp);
    let marked = fsx::FOLDER_MARKER.is_on(&tmp);
    let Ok(rd) = std::fs::read_dir(&tmp) else {
        return;
    };
    for e in rd.flatten() {
        let Ok(name) = e.file_name().into_string() else {
            continue;
        };
        let Ok(meta) = std::fs::symlink_metadata(e.path()) else {
            continue;
        };
        // gomux's lock files are empty; in its own `tmp/` every empty `.lock` file is one.
        let lock = meta.is_file() && meta.len() == 0 && name.ends_with(".lock");
        // The proxy's records (the listing's index, module scans), by name and first line.
        let first_line = |start: &[u8]| {
            meta.is_file()
                && fsx::read_bounded(&e.path(), 1 << 20)
                    .ok()
                    .flatten()
                    .is_some_and(|b| b.starts_with(start))
        };
        let index = (name == gomux_home::TOOLCHAINS_INDEX
            && first_line(b"gomux toolchains index "))
            || (name.starts_with(gomux_home::MODULE_SCAN_PREFIX)
                && first_line(b"gomux module scan "));
        if is_gomux_tmp_name(&name) || (marked && lock) || index {
            let _ = fsx::remove_tree(&e.path());
        }
    }
}

/// Removes from `downloads/` only what gomux writes there: the cached release index (and a
/// temporary copy of it a kill left behind).
fn clean_downloads(home: &Home) {
    let downloads = home.downloads_dir();
    let Ok(rd) = std::fs::read_dir(&downloads) else {
        return;
    };
    for e in rd.flatten() {
        let Ok(name) = e.file_name().into_string() else {
            continue;
        };
        let temp = name
            .strip_prefix("index.json.tmp")
            .is_some_and(|pid| !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()))
            || name.starts_with(".index.json.gomux-tmp-");
        if (name == "index.json" || temp) && e.file_type().is_ok_and(|t| t.is_file()) {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

/// `--remove-caches`: deletes the cache folders that carry gomux's marker, then the group
/// folders gomux made once they are empty. True when a folder could not be removed.
fn remove_caches(ctx: &Context) -> anyhow::Result<bool> {
    let root = crate::cache::root(ctx)?;
    crate::cache::finish_trash(&root);
    let mut failed = false;
    for f in crate::cache::folders(&root) {
        match fsx::remove_owned(&f.path, CACHE_MARKER) {
            Ok(_) => crate::render::status!("removed `{}`", f.path.display()),
            Err(e @ fsx::RemoveError::NotOwned { .. }) => eprintln!("note: {e}"),
            Err(fsx::RemoveError::Io(e)) => {
                crate::render::error(&e.to_string());
                if let Some(h) = e.hint() {
                    crate::render::hint(&h);
                }
                failed = true;
            }
        }
    }
    let mut notes = Vec::new();
    super::cache::left_alone(&crate::cache::unmarked(&root), &mut notes);
    for n in notes {
        eprintln!("note: {n}");
    }
    for (_, dir) in root.group_dirs() {
        fsx::remove_trash(&dir);
        remove_if_only_marker(&dir);
    }
    if root.path() == ctx.home.default_cache_root() {
        // gomux's own default root, when nothing is left in it.
        let _ = std::fs::remove_dir(root.path());
    }
    Ok(failed)
}

fn remove(home: &Home, path: &Path) -> anyhow::Result<()> {
    let Err(e) = std::fs::remove_file(path) else {
        return Ok(());
    };
    // Windows cannot delete the program that is running (`gomux setup --uninstall` run from
    // `bin\gomux.exe`), but it can rename it: out of `bin\` into the home's `tmp\` (same
    // volume), for the user to delete.
    #[cfg(windows)]
    if std::env::current_exe().is_ok_and(|me| proxies::same_file(&me, path)) {
        let aside = home
            .tmp_dir()
            .join(format!("gomux-{}.exe.old", std::process::id()));
        if std::fs::rename(path, &aside).is_ok() {
            crate::render::status!(
                "note: `{}` is running, so it was moved to `{}`: delete that file afterwards",
                path.display(),
                aside.display()
            );
            return Ok(());
        }
    }
    let _ = home;
    Err(with_hint(
        format!("cannot remove `{}`: {e}", path.display()),
        &["on Windows a running program cannot be removed: close it and run the command again"],
    ))
}

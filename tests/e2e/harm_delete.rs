//! gomux deletes only what it proves is its own, and never leaves half of something Go trusts.
//!
//! Each test is one way a cache clean or an uninstall once harmed the user: a cache root or
//! GOMUX_HOME at `$HOME` (the user's own `projects/`, `shared/`, `tmp/`, `downloads/`,
//! `toolchains/`), a cache root at GOMUX_HOME (an installed SDK where a toolchain cache goes), a
//! clean that is killed or fails halfway through a module, a full disk, `umask 000`. Tests that
//! need root (a tmpfs, `chattr +i`) say why they are skipped elsewhere.

#![cfg(unix)]

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime};

use gomux_tests::mirror::{Mirror, MirrorDir, fake_sdk_tar_gz};
use gomux_tests::{Run, Sandbox, Tmpfs, ensure_built, exe, is_root, make_fake_sdk};

use crate::cache::{
    build_and_run, build_in, folder_of, greeting_project, make_read_only, make_writable, plan_of,
    put_module, real_go, sdks, snapshot,
};

const CRASH_AT: &str = "GOMUX_TEST_CRASH_AT";

/// User folders with files (one folder read-only, as a careless user may leave it), and their
/// snapshot.
fn user_tree(base: &Path, rels: &[&str]) -> BTreeMap<PathBuf, Vec<u8>> {
    for rel in rels {
        let p = base.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, format!("the user's own {rel}\n")).unwrap();
    }
    user_snapshot(base, rels)
}

/// Every file and folder under the top-level folders `rels` start with.
fn user_snapshot(base: &Path, rels: &[&str]) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    for rel in rels {
        let p = base.join(rel);
        assert!(p.is_file(), "`{}` is gone", p.display());
        out.insert(p.clone(), std::fs::read(&p).unwrap());
    }
    out
}

/// `.gomux-trash-*` entries directly in `dir`.
fn trash_in(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .filter(|e| e.file_name().to_string_lossy().starts_with(".gomux-trash-"))
                .map(|e| e.path())
                .collect()
        })
        .unwrap_or_default()
}

fn tree_size(dir: &Path) -> u64 {
    snapshot(dir).values().map(|b| b.len() as u64).sum()
}

/// `chattr +i` on a file, undone on drop: a file nobody, not even root, can delete, so a removal
/// fails in the middle. `None` (with the reason printed) where that cannot be done.
struct Immutable(PathBuf);

impl Immutable {
    fn set(path: &Path, test: &str) -> Option<Immutable> {
        let ok = is_root()
            && Command::new("chattr")
                .arg("+i")
                .arg(path)
                .status()
                .is_ok_and(|s| s.success());
        if !ok {
            eprintln!("skipped {test}: needs root and `chattr +i` on the temp folder's filesystem");
            return None;
        }
        Some(Immutable(path.to_path_buf()))
    }
}

impl Immutable {
    /// The file moved with the folder `from` that now is `to` (a rename out of sight).
    fn moved(&mut self, from: &Path, to: &Path) {
        if let Ok(rel) = self.0.strip_prefix(from) {
            self.0 = to.join(rel);
        }
    }
}

impl Drop for Immutable {
    fn drop(&mut self) {
        let _ = Command::new("chattr").arg("-i").arg(&self.0).status();
    }
}

// ---- Item 3: clean touches only folders gomux made ----

#[test]
fn clean_all_with_the_cache_root_at_home_removes_only_gomux_folders() {
    let mut sb = sdks();
    let home = sb.home.clone();
    let rels = [
        "projects/myapp/main.go",
        "projects/myapp/sub/notes.txt",
        "shared/build/report.txt",
        "toolchains/mytool/bin/run",
        "jobs/nightly/mod/list.txt",
    ];
    let before = user_tree(&home, &rels);
    make_read_only(&home.join("projects/myapp"));
    sb.set_env("GOMUX_CACHE_DIR", Some(home.to_str().unwrap()));
    sb.write("alpha/go.mod", "module alpha\ngo 1.22\n");
    let alpha = build_in(&sb, &sb.dir("alpha"));
    let ours = folder_of(&alpha);
    assert!(ours.starts_with(home.join("projects")), "{alpha}");
    sb.set_env("GOMUX_CACHE_MODE", Some("job"));
    sb.set_env("GOMUX_JOB_ID", Some("7"));
    let job = folder_of(&build_in(&sb, &sb.dir("alpha")));
    sb.set_env("GOMUX_CACHE_MODE", None);

    let list = sb.gomux(["cache", "list", "--json"]).ok().json();
    let listed: Vec<&str> = list["folders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["folder"].as_str().unwrap())
        .collect();
    // The project, the job and the module store the project's downloads go to.
    assert_eq!(
        listed.len(),
        3,
        "only gomux's own folders are listed: {list}"
    );
    assert!(listed.contains(&"store"), "{list}");

    let out = sb.gomux(["cache", "clean", "--all"]).ok();
    assert!(!ours.exists() && !job.exists(), "{out}");
    make_writable(&home.join("projects/myapp"));
    assert_eq!(user_snapshot(&home, &rels), before, "{out}");
    assert!(
        out.stderr.contains(&format!(
            "left `{}` alone: it has no `gomux-cache.txt` marker",
            home.join("projects/myapp").display()
        )),
        "{out}"
    );
}

#[test]
fn clean_older_than_never_removes_an_old_user_folder() {
    let mut sb = sdks();
    let home = sb.home.clone();
    let rels = ["projects/old-thesis/chapter1.tex"];
    let before = user_tree(&home, &rels);
    sb.set_env("GOMUX_CACHE_DIR", Some(home.to_str().unwrap()));
    sb.write("alpha/go.mod", "module alpha\ngo 1.22\n");
    let ours = folder_of(&build_in(&sb, &sb.dir("alpha")));
    let old = SystemTime::now() - Duration::from_secs(60 * 86_400);
    for p in [
        home.join("projects/old-thesis"),
        home.join("projects/old-thesis/chapter1.tex"),
    ] {
        std::fs::File::open(&p).unwrap().set_modified(old).unwrap();
    }
    std::fs::File::options()
        .append(true)
        .open(ours.join("gomux-cache.txt"))
        .unwrap()
        .set_modified(old)
        .unwrap();

    let out = sb.gomux(["cache", "clean", "--older-than", "14d"]).ok();
    assert!(!ours.exists(), "{out}");
    assert_eq!(user_snapshot(&home, &rels), before, "{out}");
}

#[test]
fn clean_all_with_the_cache_root_at_gomux_home_keeps_installed_toolchains() {
    let mut sb = sdks();
    let gh = sb.gomux_home.clone();
    // A toolchain installed before gomux marked its folders: a plain SDK folder.
    let sdk = gh.join("toolchains/go1.20.1");
    make_fake_sdk(&sdk, "go1.20.1");
    let before = snapshot(&sdk);
    sb.set_env("GOMUX_CACHE_DIR", Some(gh.to_str().unwrap()));
    sb.write("alpha/go.mod", "module alpha\ngo 1.22\n");
    let ours = folder_of(&build_in(&sb, &sb.dir("alpha")));

    let out = sb.gomux(["cache", "clean", "--all"]).ok();
    assert!(!ours.exists(), "{out}");
    assert_eq!(
        snapshot(&sdk),
        before,
        "the installed toolchain is untouched: {out}"
    );
    for linked in ["go1.21.5", "go1.22.3"] {
        assert!(gh.join("toolchains").join(linked).is_symlink(), "{out}");
    }
    let out = sb.gomux(["cache", "clean", "--toolchain", "1.20.1"]).ok();
    assert!(out.stderr.contains("left `"), "{out}");
    assert_eq!(snapshot(&sdk), before, "{out}");
}

#[test]
fn toolchain_mode_never_puts_a_build_cache_inside_an_sdk() {
    let mut sb = Sandbox::new();
    let gh = sb.gomux_home.clone();
    let sdk = gh.join("toolchains/go1.22.3");
    make_fake_sdk(&sdk, "go1.22.3");
    sb.gomux(["default", "1.22.3"]).ok();
    let before = snapshot(&sdk);
    sb.set_env("GOMUX_CACHE_DIR", Some(gh.to_str().unwrap()));
    sb.set_env("GOMUX_CACHE_MODE", Some("toolchain"));
    sb.write("alpha/go.mod", "module alpha\ngo 1.22\n");
    let out = sb.go(["build"]).current_dir(sb.dir("alpha")).fails();
    assert!(
        out.stderr
            .contains(&format!("`{}` already exists", sdk.display())),
        "{out}"
    );
    assert!(
        out.stderr.contains("hint: choose another cache root"),
        "{out}"
    );
    assert!(!out.stdout.contains("GOCACHE="), "the SDK never ran: {out}");
    assert_eq!(snapshot(&sdk), before, "nothing was added to the SDK");
}

// ---- Item 4: uninstall with GOMUX_HOME at $HOME ----

#[test]
fn uninstall_with_gomux_home_at_home_removes_only_gomux_things() {
    let mut sb = Sandbox::bare();
    let home = sb.home.clone();
    let rels = [
        "tmp/notes.txt",
        "tmp/build.lock",
        "downloads/film.iso",
        "toolchains/mytool/bin/run",
        "bin/myscript",
    ];
    let before = user_tree(&home, &rels);
    sb.set_env("GOMUX_HOME", Some(home.to_str().unwrap()));
    let mut dir = MirrorDir::new(sb.root.join("mirror"));
    let go = std::fs::read(ensure_built().join(exe("gomux-fake-go"))).unwrap();
    dir.add("go1.22.3", &fake_sdk_tar_gz("go1.22.3", &go));
    dir.write_index();
    let mirror = Mirror::serve(dir.root());
    sb.set_env("GOMUX_DIST_SERVER", Some(&mirror.url()));

    sb.gomux(["setup", "--no-modify-path"]).ok();
    sb.gomux(["install", "1.22.3"]).ok();
    let installed = home.join("toolchains/go1.22.3");
    let linked_sdk = sb.fake_sdk("go1.21.5");
    sb.gomux(["link".as_ref(), "go1.21.5".as_ref(), linked_sdk.as_os_str()])
        .ok();
    let sdk_before = snapshot(&linked_sdk);
    // Installed by a gomux older than the markers.
    let old = home.join("toolchains/go1.20.1");
    make_fake_sdk(&old, "go1.20.1");
    let old_before = snapshot(&old);
    sb.gomux(["default", "1.22.3"]).ok();
    sb.write("app/go.mod", "module app\ngo 1.22\n");
    let out = sb
        .cmd(home.join("bin/go"))
        .arg("build")
        .current_dir(sb.dir("app"))
        .ok();
    let cache = folder_of(&out);
    assert!(cache.starts_with(home.join("cache")), "{out}");

    let out = sb
        .gomux([
            "setup",
            "--uninstall",
            "--remove-toolchains",
            "--remove-caches",
        ])
        .ok();
    assert_eq!(user_snapshot(&home, &rels), before, "{out}");
    assert!(!installed.exists(), "the marked toolchain is gone: {out}");
    assert!(!home.join("toolchains/go1.21.5").exists(), "{out}");
    assert_eq!(
        snapshot(&linked_sdk),
        sdk_before,
        "a linked SDK is only unlinked"
    );
    assert_eq!(
        snapshot(&old),
        old_before,
        "an unmarked toolchain is left alone"
    );
    let rm = format!("rm -rf '{}'", old.display());
    assert!(out.stderr.contains(".gomux-toolchain"), "{out}");
    assert!(out.stderr.contains(&rm), "{out}");
    assert!(!home.join("cache").exists(), "{out}");
    assert!(!home.join("bin/go").exists() && !home.join("bin/gomux").exists());
    assert!(
        !home.join("tmp/go1.22.3.lock").exists(),
        "gomux's own lock file is gone: {out}"
    );
    for d in ["tmp", "downloads", "toolchains", "bin"] {
        assert!(
            !home.join(d).join(".gomux-folder").exists(),
            "`{d}/` was the user's: never marked"
        );
    }

    // `gomux uninstall` says the same, with the command that removes it.
    let out = sb.gomux(["uninstall", "go1.20.1"]).fails();
    assert!(out.stderr.contains("no `.gomux-toolchain` marker"), "{out}");
    assert!(
        out.stderr.contains(&format!(
            "hint: if it is yours to delete, remove it yourself: `{rm}`"
        )),
        "{out}"
    );
    assert_eq!(snapshot(&old), old_before);
}

#[test]
fn uninstall_removes_gomux_home_folders_it_made_and_no_more() {
    let sb = Sandbox::new();
    for d in ["bin", "tmp", "toolchains", "downloads"] {
        assert!(
            sb.gomux_home.join(d).join(".gomux-folder").is_file(),
            "setup marks `{d}/`"
        );
    }
    std::fs::write(sb.gomux_home.join("downloads/keep-me.txt"), "mine").unwrap();
    // A partial pin makes the proxy record its index of `toolchains/` in `tmp/` (Linux).
    sb.link_fake("go1.22.3");
    sb.write("p/.go-version", "1.22\n");
    let index = sb.gomux_home.join("tmp/.toolchains-index");
    let start = std::time::Instant::now();
    while cfg!(target_os = "linux") && !index.is_file() {
        sb.go(["version"]).current_dir(sb.dir("p")).ok();
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "no index recorded"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    // A large go.mod makes it record the file's scan there too.
    let requires: String = (0..3000)
        .map(|i| format!("require example.com/dependency{i:05} v1.0.0\n"))
        .collect();
    sb.write("big/go.mod", &format!("module big\ngo 1.22\n{requires}"));
    let scanned = || {
        std::fs::read_dir(sb.gomux_home.join("tmp"))
            .unwrap()
            .flatten()
            .any(|e| e.file_name().to_string_lossy().starts_with(".modscan-"))
    };
    while cfg!(target_os = "linux") && !scanned() {
        sb.go(["version"]).current_dir(sb.dir("big")).ok();
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "no scan recorded"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    sb.gomux([
        "setup",
        "--uninstall",
        "--remove-toolchains",
        "--remove-caches",
    ])
    .ok();
    for d in ["bin", "tmp", "toolchains"] {
        assert!(!sb.gomux_home.join(d).exists(), "`{d}/` is gone");
    }
    assert_eq!(
        std::fs::read_to_string(sb.gomux_home.join("downloads/keep-me.txt")).unwrap(),
        "mine"
    );
}

// ---- Item 5: an interrupted clean never leaves half a module ----

/// A project whose module cache holds a read-only module; returns (folder, module folder).
fn project_with_module(sb: &Sandbox, name: &str) -> (PathBuf, PathBuf) {
    sb.write(
        &format!("{name}/go.mod"),
        &format!("module {name}\ngo 1.22\n"),
    );
    let folder = folder_of(&build_in(sb, &sb.dir(name)));
    std::fs::write(folder.join("build/00-d"), vec![7u8; 64 * 1024]).unwrap();
    let module = put_module(
        &folder.join("mod"),
        "example.com/Lib",
        "v1.2.3",
        &[
            ("go.mod", "module example.com/Lib\n"),
            ("lib.go", "package lib\n"),
            ("sub/sub.go", "package sub\n"),
        ],
    );
    (folder, module)
}

#[test]
fn a_clean_killed_after_the_rename_leaves_no_half_module() {
    let sb = sdks();
    let (folder, module) = project_with_module(&sb, "alpha");
    let whole = snapshot(&module);
    let out = sb
        .gomux(["cache", "clean", "--project"])
        .env(CRASH_AT, "remove-owned:after-rename")
        .current_dir(sb.dir("alpha"))
        .fails();
    assert!(
        !folder.exists(),
        "the folder is out of Go's sight at once: {out}"
    );
    let trash = trash_in(folder.parent().unwrap());
    assert_eq!(trash.len(), 1, "{out}");
    let in_trash = trash[0].join("mod/example.com/!lib@v1.2.3");
    assert_eq!(
        snapshot(&in_trash).len(),
        whole.len(),
        "the module is whole in the trash"
    );

    // The next call gets a fresh, empty folder (Go downloads the module again).
    let again = folder_of(&build_in(&sb, &sb.dir("alpha")));
    assert_eq!(again, folder);
    assert!(!module.exists());
    // The next list finishes the trash and never shows it.
    let list = sb.gomux(["cache", "list", "--json"]).ok().json();
    let projects = list["folders"].as_array().unwrap().iter();
    assert_eq!(
        projects.filter(|f| f["kind"] == "project").count(),
        1,
        "{list}"
    );
    assert!(trash_in(folder.parent().unwrap()).is_empty());
}

#[test]
fn a_clean_that_fails_midway_reports_what_it_freed() {
    let test = "a_clean_that_fails_midway_reports_what_it_freed";
    let sb = sdks();
    let (folder, module) = project_with_module(&sb, "alpha");
    let size = tree_size(&folder);
    let Some(mut pin) = Immutable::set(&module.join("sub/sub.go"), test) else {
        return;
    };
    let out = sb
        .gomux(["cache", "clean", "--project", "--json"])
        .current_dir(sb.dir("alpha"))
        .fails();
    let j = out.json();
    assert!(!folder.exists(), "{out}");
    let trash = trash_in(folder.parent().unwrap());
    assert_eq!(trash.len(), 1, "{out}");
    pin.moved(&folder, &trash[0]);
    let left = tree_size(&trash[0]);
    let freed = j["freed"].as_u64().unwrap();
    assert_eq!(freed, size - left, "{out}");
    assert_eq!(j["failed"][0]["freed"].as_u64().unwrap(), freed, "{out}");
    assert!(
        j["failed"][0]["error"]
            .as_str()
            .unwrap()
            .contains("Operation not permitted"),
        "{out}"
    );

    drop(pin);
    sb.gomux(["cache", "list"]).ok();
    assert!(trash_in(folder.parent().unwrap()).is_empty());

    // The text report says what was freed and what failed, never `freed 0 B` after deleting.
    let (folder, module) = project_with_module(&sb, "beta");
    let size = tree_size(&folder);
    let Some(mut pin) = Immutable::set(&module.join("sub/sub.go"), test) else {
        return;
    };
    let out = sb
        .gomux(["cache", "clean", "--project"])
        .current_dir(sb.dir("beta"))
        .fails();
    pin.moved(&folder, &trash_in(folder.parent().unwrap())[0]);
    assert!(
        out.stderr
            .contains("error: could not finish removing projects/beta-"),
        "{out}"
    );
    assert!(out.stderr.contains(" freed): cannot remove `"), "{out}");
    assert!(
        out.stdout
            .contains("1 folder could not be removed completely"),
        "{out}"
    );
    let left = tree_size(&trash_in(folder.parent().unwrap())[0]);
    if left < size {
        assert!(!out.stdout.contains("freed 0 B"), "{out}");
    }
    drop(pin);
    sb.gomux(["cache", "list"]).ok();
    assert!(trash_in(folder.parent().unwrap()).is_empty());
}

#[test]
fn real_go_builds_after_a_clean_that_failed_midway_or_was_killed() {
    let test = "real_go_builds_after_a_clean_that_failed_midway_or_was_killed";
    let Some((sb, _scratch)) = real_go(test) else {
        return;
    };
    let a = greeting_project(&sb, "alpha");
    assert_eq!(build_and_run(&sb, &a), "hello from greet");
    let (a_build, a_mod) = plan_of(&sb, &a);
    let folder = a_build.parent().unwrap().to_path_buf();
    let module = a_mod.join("example.com/!greet@v1.0.0");
    assert!(module.join("greet.go").is_file());

    // A clean that fails in the middle of the module: Go must never see what is left.
    let Some(mut pin) = Immutable::set(&module.join("sub/sub.go"), test) else {
        return;
    };
    let out = sb
        .gomux(["cache", "clean", "--project"])
        .current_dir(&a)
        .fails();
    std::fs::remove_file(a.join("app")).unwrap();
    assert_eq!(build_and_run(&sb, &a), "hello from greet", "{out}");
    pin.moved(&folder, &trash_in(folder.parent().unwrap())[0]);
    drop(pin);
    sb.gomux(["cache", "list"]).ok();
    assert!(trash_in(folder.parent().unwrap()).is_empty());

    // A clean killed after the rename: the same.
    let out = sb
        .gomux(["cache", "clean", "--project"])
        .env(CRASH_AT, "remove-owned:after-rename")
        .current_dir(&a)
        .fails();
    assert!(!folder.exists(), "{out}");
    std::fs::remove_file(a.join("app")).unwrap();
    assert_eq!(build_and_run(&sb, &a), "hello from greet");
    sb.gomux(["cache", "clean", "--project"])
        .current_dir(&a)
        .ok();
    assert!(trash_in(folder.parent().unwrap()).is_empty());
}

#[test]
fn verify_fix_moves_a_bad_module_out_of_sight_before_deleting_it() {
    let sb = sdks();
    let (folder, module) = project_with_module(&sb, "alpha");
    make_writable(&module);
    std::fs::write(module.join("lib.go"), "package lib // edited\n").unwrap();
    let out = sb
        .gomux(["cache", "verify", "--fix"])
        .env(CRASH_AT, "remove-owned:after-rename")
        .current_dir(sb.dir("alpha"))
        .fails();
    assert!(
        !module.exists(),
        "the module is gone from Go's sight at once: {out}"
    );
    let trash = trash_in(&folder.join("mod"));
    assert_eq!(trash.len(), 1, "{out}");
    assert!(
        trash[0].join("sub/sub.go").is_file(),
        "and whole in the trash"
    );
    let out = sb
        .gomux(["cache", "verify"])
        .current_dir(sb.dir("alpha"))
        .run();
    assert!(!out.stdout.contains("gomux-trash"), "{out}");
    assert!(trash_in(&folder.join("mod")).is_empty(), "{out}");
}

// ---- Item 13: messages that say what happened ----

#[test]
fn a_full_disk_is_reported_as_the_cache_marker_file() {
    let test = "a_full_disk_is_reported_as_the_cache_marker_file";
    let mut sb = sdks();
    let small = sb.root.join("small");
    let Some(fs) = Tmpfs::mount(&small, "256k", test) else {
        return;
    };
    sb.set_env("GOMUX_CACHE_DIR", Some(small.to_str().unwrap()));
    sb.write("alpha/go.mod", "module alpha\ngo 1.22\n");
    sb.write("beta/go.mod", "module beta\ngo 1.22\n");
    build_in(&sb, &sb.dir("alpha"));
    fs.fill();
    let out = sb.go(["build"]).current_dir(sb.dir("beta")).fails();
    assert!(
        out.stderr.contains("cannot write the cache marker file `"),
        "{out}"
    );
    assert!(
        out.stderr.contains("/gomux-cache.txt`: No space left"),
        "{out}"
    );
    assert!(!out.stderr.contains("cache folder `"), "{out}");
    assert!(out.stderr.contains("hint: the disk holding `"), "{out}");
    assert!(out.stderr.contains("is full"), "{out}");
    // Once there is room again, the (empty) folder is adopted.
    std::fs::remove_file(small.join("filler")).unwrap();
    build_in(&sb, &sb.dir("beta"));
}

#[test]
fn clean_project_in_the_filesystem_root_names_it_plainly() {
    let sb = sdks();
    let out = sb
        .gomux(["cache", "clean", "--project"])
        .current_dir("/")
        .fails();
    assert!(out.stderr.contains("`/` is not inside a project"), "{out}");
    assert!(!out.stderr.contains("`/.`"), "{out}");
    assert!(out.stderr.contains("hint: "), "{out}");
}

// ---- Item 14: umask 000, and fake SDKs that are busy ----

#[test]
fn cache_folders_are_not_world_writable_under_umask_000() {
    let sb = sdks();
    sb.write("alpha/go.mod", "module alpha\ngo 1.22\n");
    let out = sb
        .cmd("/bin/sh")
        .arg("-c")
        .arg("umask 000 && exec \"$0\" build")
        .arg(sb.bin().join("go"))
        .current_dir(sb.dir("alpha"))
        .ok();
    let folder = folder_of(&out);
    for d in [
        folder.parent().unwrap().to_path_buf(),
        folder.clone(),
        folder.join("build"),
        folder.join("mod"),
    ] {
        let mode = std::fs::metadata(&d).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode & 0o022, 0, "`{}` is {mode:o}", d.display());
    }
}

#[test]
fn fake_sdks_run_right_after_they_are_written_while_other_threads_fork() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    ensure_built();
    let dir = tempfile::tempdir().unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let forkers: Vec<_> = (0..3)
        .map(|_| {
            let stop = stop.clone();
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let _ = Command::new("true").status();
                }
            })
        })
        .collect();
    let writers: Vec<_> = (0..2)
        .map(|w| {
            let base = dir.path().join(format!("w{w}"));
            std::thread::spawn(move || {
                for round in 0..40 {
                    let root = base.join(format!("go1.22.{round}"));
                    make_fake_sdk(&root, &format!("go1.22.{round}"));
                    let out = Command::new(root.join("bin/go")).arg("version").output();
                    match out {
                        Ok(o) => assert!(o.status.success(), "round {round}: {o:?}"),
                        Err(e) => return Err(format!("round {round}: {e}")),
                    }
                }
                Ok(())
            })
        })
        .collect();
    let results: Vec<_> = writers.into_iter().map(|w| w.join().unwrap()).collect();
    stop.store(true, Ordering::Relaxed);
    for f in forkers {
        f.join().unwrap();
    }
    for r in results {
        r.unwrap();
    }
}

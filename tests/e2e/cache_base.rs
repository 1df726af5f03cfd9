//! The base layer with fake SDKs: `gomux cache base`, seeding a project's build cache by hard
//! links (outputs) and copies (index entries), isolation, background builds started by the
//! proxy, races, `show`/`list`/`clean`, age trimming. Real Go: `cache_base_real.rs`.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use gomux_tests::{Out, Run, Sandbox};

use crate::cache::{cache_root, sdks};

/// Fake SDKs with the base layer on (the harness turns it off for every other test).
fn based() -> Sandbox {
    let mut sb = sdks();
    sb.set_env("GOMUX_CACHE_BASE", Some("auto"));
    sb
}

fn base_build(sb: &Sandbox) -> PathBuf {
    cache_root(sb).join("base/go1.22.3/build")
}

fn project(sb: &Sandbox, name: &str) -> PathBuf {
    sb.write(&format!("{name}/go.mod"), &format!("module {name}\n"));
    sb.work.join(name)
}

fn go_in(sb: &Sandbox, dir: &Path) -> Out {
    sb.go(["build", "."]).current_dir(dir).ok()
}

fn same_inode(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt as _;
    let (x, y) = (std::fs::metadata(a).unwrap(), std::fs::metadata(b).unwrap());
    x.dev() == y.dev() && x.ino() == y.ino()
}

/// Waits (bounded) for `cond`; false when it never held.
fn eventually(mut cond: impl FnMut() -> bool) -> bool {
    let t = Instant::now();
    while t.elapsed() < Duration::from_secs(30) {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

#[cfg(unix)]
#[test]
fn a_project_is_seeded_from_the_base_by_links_and_copies_and_stays_isolated() {
    let sb = based();
    let out = sb.gomux(["cache", "base", "1.22.3", "--json"]).ok();
    let j = out.json();
    assert_eq!(j["state"], "built", "{out}");
    let base = base_build(&sb);
    assert!(base.join("ab/ab01-d").is_file(), "{out}");
    let marker = std::fs::read_to_string(base.parent().unwrap().join("gomux-cache.txt")).unwrap();
    assert!(marker.contains("kind=base"), "{marker}");
    // Asked again: it exists, nothing is built.
    let again = sb.gomux(["cache", "base", "1.22.3", "--json"]).ok().json();
    assert_eq!(again["state"], "exists");

    let a = project(&sb, "alpha");
    let show = sb
        .gomux(["cache", "dir", "--json"])
        .current_dir(&a)
        .ok()
        .json();
    assert_eq!(show["base"]["state"], "ready", "{show}");
    let out = go_in(&sb, &a);
    let gocache = PathBuf::from(out.val("GOCACHE"));
    assert!(
        gocache.starts_with(cache_root(&sb).join("projects")),
        "{out}"
    );
    assert_ne!(gocache, base, "each project keeps its own GOCACHE path");
    // Outputs are the base's inodes; index entries are the project's own copies.
    assert!(same_inode(
        &gocache.join("ab/ab01-d"),
        &base.join("ab/ab01-d")
    ));
    assert!(!same_inode(
        &gocache.join("ab/ab02-a"),
        &base.join("ab/ab02-a")
    ));
    assert_eq!(
        std::fs::read(gocache.join("ab/ab02-a")).unwrap(),
        std::fs::read(base.join("ab/ab02-a")).unwrap()
    );
    assert!(
        !gocache.join("README").exists(),
        "only cache entries are seeded"
    );
    assert!(gocache.join("gomux-seeded-go1.22.3").is_file());
    let show = sb.gomux(["show", "--json"]).current_dir(&a).ok().json();
    assert!(show.to_string().contains("\"seeded\""), "{show}");
    let text = sb.gomux(["cache", "dir"]).current_dir(&a).ok();
    assert!(text.stdout.contains("base layer"), "{text}");
    assert!(text.stdout.contains("seeded"), "{text}");

    // Go rewrites an index entry in place (`go build -a`): only the project's copy changes.
    std::fs::write(gocache.join("ab/ab02-a"), "v1 ab02 ffff\n").unwrap();
    assert_eq!(
        std::fs::read_to_string(base.join("ab/ab02-a")).unwrap(),
        "v1 ab02 ab01\n"
    );
    // A second project gets its own copies too.
    let b = project(&sb, "beta");
    let b_cache = PathBuf::from(go_in(&sb, &b).val("GOCACHE"));
    assert_eq!(
        std::fs::read_to_string(b_cache.join("ab/ab02-a")).unwrap(),
        "v1 ab02 ab01\n"
    );

    // `list` counts the linked output once, as shared.
    let list = sb.gomux(["cache", "list", "--json"]).ok().json();
    let folders = list["folders"].as_array().unwrap();
    let base_row = folders.iter().find(|f| f["kind"] == "base").unwrap();
    let out_len = "compiled fmt\n".len() as u64;
    assert_eq!(base_row["shared"], out_len, "{list}");
    for f in folders.iter().filter(|f| f["kind"] == "project") {
        assert_eq!(f["shared"], out_len, "{list}");
    }
    let own: u64 = folders.iter().map(|f| f["own"].as_u64().unwrap()).sum();
    assert_eq!(
        list["total"].as_u64().unwrap(),
        own + out_len,
        "the linked output counts once: {list}"
    );
    let text = sb.gomux(["cache", "list"]).ok();
    assert!(text.stdout.contains("SHARED"), "{text}");

    // `clean --project` never removes the base; `clean --base` does.
    sb.gomux(["cache", "clean", "--project"])
        .current_dir(&a)
        .ok();
    assert!(!gocache.exists());
    assert!(base.join("ab/ab01-d").is_file());
    assert_eq!(
        std::fs::read_to_string(b_cache.join("ab/ab01-d")).unwrap(),
        "compiled fmt\n"
    );
    let out = sb.gomux(["cache", "clean", "--base", "1.22.3"]).ok();
    assert!(out.stdout.contains("removed base/go1.22.3"), "{out}");
    assert!(!base.exists());
    assert_eq!(
        std::fs::read_to_string(b_cache.join("ab/ab01-d")).unwrap(),
        "compiled fmt\n",
        "a project keeps its links when the base goes"
    );
}

#[cfg(unix)]
#[test]
fn a_new_project_starts_a_background_base_build_and_its_next_call_is_seeded() {
    let sb = based();
    let a = project(&sb, "alpha");
    let out = go_in(&sb, &a);
    let gocache = PathBuf::from(out.val("GOCACHE"));
    let base = base_build(&sb);
    assert!(
        eventually(|| base.parent().unwrap().join("gomux-cache.txt").is_file()),
        "the proxy started a base build in the background"
    );
    let log = sb.gomux_home.join("logs/base-go1.22.3.log");
    assert!(log.is_file(), "its output goes to the log");
    assert!(
        !gocache.join("ab/ab01-d").exists(),
        "not seeded before it was ready"
    );
    go_in(&sb, &a);
    assert!(same_inode(
        &gocache.join("ab/ab01-d"),
        &base.join("ab/ab01-d")
    ));
}

#[cfg(unix)]
#[test]
fn with_the_base_off_nothing_is_built_or_seeded() {
    let mut sb = based();
    sb.gomux(["cache", "base", "1.22.3"]).ok();
    sb.set_env("GOMUX_CACHE_BASE", Some("off"));
    let a = project(&sb, "alpha");
    let gocache = PathBuf::from(go_in(&sb, &a).val("GOCACHE"));
    assert!(!gocache.join("ab").exists(), "no seeding with the base off");
    let j = sb
        .gomux(["cache", "dir", "--json"])
        .current_dir(&a)
        .ok()
        .json();
    assert_eq!(j["base"]["state"], "off", "{j}");
    // A background build asked for anyway gives up at once.
    sb.gomux(["cache", "clean", "--base"]).ok();
    sb.gomux(["cache", "base", "--background", "1.22.3"]).ok();
    assert!(!base_build(&sb).exists());
    sb.set_env("GOMUX_CACHE_BASE", Some("sometimes"));
    let out = sb.go(["build", "."]).current_dir(&a).fails();
    assert!(out.stderr.contains("`auto` or `off`"), "{out}");
}

#[cfg(unix)]
#[test]
fn two_proxies_seeding_at_once_and_two_builds_at_once() {
    let mut sb = based();
    // Two builds at once: one builds, the other waits and finds it done.
    sb.set_env("FAKE_GO_SLEEP_MS", Some("400"));
    let spawn = |sb: &Sandbox| {
        sb.gomux(["cache", "base", "1.22.3", "--json"])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (p1, p2) = (spawn(&sb), spawn(&sb));
    let mut states: Vec<String> = [p1, p2]
        .into_iter()
        .map(|c| {
            let o = c.wait_with_output().unwrap();
            assert!(o.status.success());
            let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
            j["state"].as_str().unwrap().to_string()
        })
        .collect();
    states.sort();
    assert_eq!(states, ["built", "exists"]);
    sb.set_env("FAKE_GO_SLEEP_MS", None);

    let a = project(&sb, "alpha");
    let go = |sb: &Sandbox| {
        sb.go(["build", "."])
            .current_dir(&a)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let children: Vec<_> = (0..4).map(|_| go(&sb)).collect();
    for c in children {
        assert!(c.wait_with_output().unwrap().status.success());
    }
    let gocache = PathBuf::from(go_in(&sb, &a).val("GOCACHE"));
    let base = base_build(&sb);
    assert!(same_inode(
        &gocache.join("ab/ab01-d"),
        &base.join("ab/ab01-d")
    ));
    let names: Vec<String> = std::fs::read_dir(gocache.join("ab"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 2, "no temporary files left: {names:?}");
}

#[cfg(unix)]
#[test]
fn a_half_built_base_is_never_used_and_old_bases_are_trimmed() {
    let sb = based();
    // What a killed build leaves: the staging folder (named like trash) of a dead process.
    let staging = cache_root(&sb).join("base/.gomux-trash-999999999-base-go1.22.3/build/ab");
    std::fs::create_dir_all(&staging).unwrap();
    std::fs::write(staging.join("ab01-d"), "half").unwrap();
    // And a folder at the base's place without a marker.
    let fake = cache_root(&sb).join("base/go1.22.3/build/ab");
    std::fs::create_dir_all(&fake).unwrap();
    std::fs::write(fake.join("ab01-d"), "not gomux's").unwrap();
    let a = project(&sb, "alpha");
    let gocache = PathBuf::from(go_in(&sb, &a).val("GOCACHE"));
    assert!(
        !gocache.join("ab").exists(),
        "an unmarked base is never used"
    );
    sb.gomux(["cache", "list"]).ok();
    assert!(!staging.exists(), "list finishes what a killed build left");
    std::fs::remove_dir_all(cache_root(&sb).join("base/go1.22.3")).unwrap();

    sb.gomux(["cache", "base", "1.22.3"]).ok();
    let folder = base_build(&sb).parent().unwrap().to_path_buf();
    let old = SystemTime::now() - Duration::from_secs(9 * 86_400);
    for p in [
        folder.join("gomux-cache.txt"),
        folder.join("build/ab/ab01-d"),
        folder.join("build/ab/ab02-a"),
    ] {
        std::fs::File::options()
            .append(true)
            .open(&p)
            .unwrap()
            .set_modified(old)
            .unwrap();
    }
    // A project used its output recently (Go refreshes the shared file's time): kept.
    std::fs::File::options()
        .append(true)
        .open(folder.join("build/ab/ab01-d"))
        .unwrap()
        .set_modified(SystemTime::now())
        .unwrap();
    let out = sb.gomux(["cache", "clean", "--older-than", "5d"]).ok();
    assert!(folder.exists(), "{out}");
    std::fs::File::options()
        .append(true)
        .open(folder.join("build/ab/ab01-d"))
        .unwrap()
        .set_modified(old)
        .unwrap();
    let out = sb.gomux(["cache", "clean", "--older-than", "5d"]).ok();
    assert!(out.stdout.contains("removed base/go1.22.3"), "{out}");
    assert!(!folder.exists());
}

#[cfg(unix)]
#[test]
fn an_install_of_go_1_20_or_later_starts_its_base_in_the_background() {
    let (mut sb, _dir, _mirror) = crate::install::with_mirror(&["go1.22.3", "go1.19.13"]);
    sb.set_env("GOMUX_CACHE_BASE", Some("auto"));
    let out = sb.gomux(["install", "1.22.3"]).ok();
    assert!(out.stderr.contains("in the background"), "{out}");
    let folder = cache_root(&sb).join("base/go1.22.3");
    assert!(
        eventually(|| folder.join("gomux-cache.txt").is_file()),
        "{out}"
    );
    assert!(folder.join("build/ab/ab01-d").is_file());
    // Go 1.19 ships its standard library compiled: no base.
    let out = sb.gomux(["install", "1.19.13"]).ok();
    assert!(!out.stderr.contains("in the background"), "{out}");
    assert!(!cache_root(&sb).join("base/go1.19.13").exists());
}

#[cfg(unix)]
#[test]
fn a_base_is_never_writable_by_others_even_under_umask_000() {
    use std::os::unix::fs::PermissionsExt as _;
    let sb = based();
    let gomux = gomux_tests::ensure_built().join(gomux_tests::exe("gomux"));
    let script = format!("umask 000; exec '{}' cache base 1.22.3", gomux.display());
    sb.cmd("sh").args(["-c", &script]).ok();
    let base = base_build(&sb);
    for d in [
        base.parent().unwrap(),
        base.as_path(),
        base.parent().unwrap().parent().unwrap(),
    ] {
        let mode = std::fs::metadata(d).unwrap().permissions().mode();
        assert_eq!(mode & 0o022, 0, "`{}` is {mode:o}", d.display());
    }
}

/// Sets every file's time under `dir` to `t`.
fn age_tree(dir: &Path, t: SystemTime) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            age_tree(&p, t);
        } else {
            std::fs::File::options()
                .append(true)
                .open(&p)
                .unwrap()
                .set_modified(t)
                .unwrap();
        }
    }
}

#[cfg(unix)]
#[test]
fn background_builds_trim_bases_unused_for_five_days_once_a_day() {
    let sb = based();
    sb.gomux(["cache", "base", "1.21.5"]).ok();
    let old_base = cache_root(&sb).join("base/go1.21.5");
    age_tree(
        &old_base,
        SystemTime::now() - Duration::from_secs(6 * 86_400),
    );
    // What the proxy starts for a new project: the background builder of another toolchain.
    let out = sb.gomux(["cache", "base", "--background", "1.22.3"]).ok();
    assert!(
        !old_base.exists(),
        "a base unused for 6 days is trimmed: {out}"
    );
    assert!(
        base_build(&sb).is_dir(),
        "the base being built stays: {out}"
    );
    assert!(
        out.stderr
            .contains("trimmed the unused base layer base/go1.21.5"),
        "{out}"
    );
    // At most once a day: a base that ages now waits for tomorrow's check.
    sb.gomux(["cache", "base", "1.21.5"]).ok();
    age_tree(
        &old_base,
        SystemTime::now() - Duration::from_secs(6 * 86_400),
    );
    sb.gomux(["cache", "base", "--background", "1.22.3"]).ok();
    assert!(old_base.exists(), "trimmed at most once a day");
    // The stamp is not a cache folder: list and clean leave it alone quietly.
    let out = sb.gomux(["cache", "clean", "--all", "--dry-run"]).ok();
    assert!(
        !out.stdout.contains("trim.txt") && !out.stderr.contains("trim.txt"),
        "{out}"
    );
}

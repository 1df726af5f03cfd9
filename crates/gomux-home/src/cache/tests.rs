//! The cache policy's tests: plans, folders, markers and effective values.

use gomux_version::Hints as _;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use super::*;
use crate::goenv::GoEnvFile;
use crate::{Home, Settings, fsx};

struct Fixture {
    _dir: tempfile::TempDir,
    home: Home,
    project: PathBuf,
    outside: PathBuf,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let base = crate::path::canonicalize(dir.path()).unwrap();
    let project = base.join("work").join("my app");
    std::fs::create_dir_all(project.join("sub")).unwrap();
    let outside = base.join("elsewhere");
    std::fs::create_dir_all(&outside).unwrap();
    Fixture {
        home: Home::new(base.join("gomux")),
        project,
        outside,
        _dir: dir,
    }
}

fn vars(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<OsString> + use<> {
    let pairs: Vec<(String, String)> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |k: &str| {
        pairs
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| OsString::from(v))
    }
}

fn settings(text: &str) -> Settings {
    Settings::parse(Path::new("/h/settings.toml"), text).unwrap()
}

fn run(
    f: &Fixture,
    s: &str,
    env: &[(&str, &str)],
    project: Option<&Path>,
) -> Result<CachePlan, CacheError> {
    compute(&f.home, &settings(s), &vars(env), project, "go1.22.3")
}

#[test]
fn project_mode_is_the_default_and_keyed_by_the_project() {
    let f = fixture();
    let p = run(&f, "", &[], Some(&f.project)).unwrap();
    assert_eq!(p.mode, Mode::Project);
    assert_eq!(p.mode_from, Source::Default);
    assert_eq!(p.root, f.home.default_cache_root());
    let folder = p.gocache.as_ref().unwrap().parent().unwrap().to_path_buf();
    assert_eq!(
        folder.parent().unwrap(),
        f.home.default_cache_root().join("projects")
    );
    let name = folder.file_name().unwrap().to_str().unwrap();
    assert!(name.starts_with("my_app-"), "{name}");
    assert_eq!(name.len(), "my_app-".len() + 12);
    assert_eq!(p.gocache, Some(folder.join("build")));
    assert_eq!(p.gomodcache, Some(folder.join("mod")));
    assert_eq!(p.gocache_decision, Decision::Injected);
    assert_eq!(
        p.scope,
        Scope::Project {
            root: f.project.clone()
        }
    );
    // Stable: the same project gives the same folder; another project another one.
    let again = run(&f, "", &[], Some(&f.project)).unwrap();
    assert_eq!(again, p);
    let other = run(&f, "", &[], Some(&f.project.join("sub"))).unwrap();
    assert_ne!(other.gocache, p.gocache);
    assert!(p.reason().contains("per-project"), "{}", p.reason());
}

#[test]
fn project_mode_outside_a_project_injects_nothing() {
    let f = fixture();
    let p = run(&f, "", &[], None).unwrap();
    assert_eq!(p.scope, Scope::NoProject);
    assert_eq!((p.gocache, p.gomodcache), (None, None));
    assert_eq!(p.gocache_decision, Decision::Untouched);
}

#[cfg(unix)]
#[test]
fn a_symlinked_project_path_gets_the_same_folder() {
    let f = fixture();
    let link = f.outside.join("link");
    std::os::unix::fs::symlink(&f.project, &link).unwrap();
    let a = run(&f, "", &[], Some(&f.project)).unwrap();
    let b = run(&f, "", &[], Some(&link)).unwrap();
    assert_eq!(a.gocache, b.gocache);
}

#[test]
fn shared_toolchain_and_off_modes() {
    let f = fixture();
    let root = f.outside.join("caches");
    let root_s = root.to_str().unwrap();
    let p = run(
        &f,
        "[cache]\nmode = \"shared\"\n",
        &[("GOMUX_CACHE_DIR", root_s)],
        Some(&f.project),
    )
    .unwrap();
    assert_eq!(p.gocache, Some(root.join("shared/build")));
    assert_eq!(p.gomodcache, Some(root.join("shared/mod")));
    assert_eq!(p.root_from, Source::Variable("GOMUX_CACHE_DIR"));
    assert!(matches!(
        p.mode_from,
        Source::Setting {
            key: "cache.mode",
            ..
        }
    ));
    // Outside a project too.
    let q = run(
        &f,
        "[cache]\nmode = \"shared\"\n",
        &[("GOMUX_CACHE_DIR", root_s)],
        None,
    )
    .unwrap();
    assert_eq!(q.gocache, p.gocache);

    let t = run(&f, "", &[("GOMUX_CACHE_MODE", "toolchain")], None).unwrap();
    let root = f.home.default_cache_root();
    assert_eq!(t.gocache, Some(root.join("toolchains/go1.22.3/build")));
    assert_eq!(t.gomodcache, Some(root.join("shared/mod")));
    assert_eq!(t.mode_from, Source::Variable("GOMUX_CACHE_MODE"));
    assert_eq!(
        t.folders(),
        vec![
            (root.join("toolchains/go1.22.3"), Kind::Toolchain),
            (root.join("shared"), Kind::Shared)
        ]
    );

    // The variable beats the setting.
    let o = run(
        &f,
        "[cache]\nmode = \"shared\"\n",
        &[("GOMUX_CACHE_MODE", "off")],
        Some(&f.project),
    )
    .unwrap();
    assert_eq!(o.scope, Scope::Off);
    assert_eq!((&o.gocache, &o.gomodcache), (&None, &None));
    assert!(o.folders().is_empty());
}

#[test]
fn the_root_comes_from_the_setting_and_must_be_absolute() {
    let f = fixture();
    let root = f.outside.join("data");
    let s = format!("[cache]\nroot = '{}'\n", root.display());
    let p = run(&f, &s, &[], Some(&f.project)).unwrap();
    assert!(
        p.gocache
            .as_ref()
            .unwrap()
            .starts_with(root.join("projects"))
    );
    let e = run(
        &f,
        "[cache]\nroot = \"rel/caches\"\n",
        &[],
        Some(&f.project),
    )
    .unwrap_err();
    assert!(matches!(e, CacheError::RelativeRoot { .. }), "{e}");
    assert!(e.to_string().contains("`rel/caches`"), "{e}");
    assert!(e.to_string().contains("cache.root"), "{e}");
    let e = run(&f, "", &[("GOMUX_CACHE_DIR", "caches")], None).unwrap_err();
    assert!(e.to_string().contains("GOMUX_CACHE_DIR"), "{e}");
    let e = run(&f, "", &[("GOMUX_CACHE_MODE", "perproject")], None).unwrap_err();
    assert!(e.to_string().contains("`perproject`"), "{e}");
    let e = run(&f, "[cache]\nforce = \"yes\"\n", &[], None).unwrap_err();
    assert!(e.to_string().contains("cache.force"), "{e}");
}

#[test]
fn the_users_environment_wins_unless_forced() {
    let f = fixture();
    let env = [("GOCACHE", "/mine/build")];
    let p = run(&f, "", &env, Some(&f.project)).unwrap();
    assert_eq!(p.gocache, None);
    assert_eq!(
        p.gocache_decision,
        Decision::User {
            value: "/mine/build".into()
        }
    );
    assert_eq!(p.gomodcache_decision, Decision::Injected);
    assert!(p.gomodcache.is_some());
    // An empty variable counts as unset.
    let p = run(&f, "", &[("GOCACHE", "")], Some(&f.project)).unwrap();
    assert_eq!(p.gocache_decision, Decision::Injected);
    // Forced.
    let p = run(&f, "[cache]\nforce = true\n", &env, Some(&f.project)).unwrap();
    assert!(p.gocache.is_some());
    assert_eq!(
        p.gocache_decision,
        Decision::Forced {
            user: "/mine/build".into()
        }
    );
    assert!(p.gocache_decision.to_string().contains("/mine/build"));
}

#[test]
fn job_mode_needs_an_id() {
    let f = fixture();
    let e = run(&f, "", &[("GOMUX_CACHE_MODE", "job")], Some(&f.project)).unwrap_err();
    assert!(matches!(e, CacheError::NoJobId { .. }), "{e}");
    assert!(e.to_string().contains("GOMUX_JOB_ID"), "{e}");
    let root = f.home.default_cache_root();
    type Case<'a> = (&'a [(&'a str, &'a str)], &'a str, &'a str);
    let cases: &[Case] = &[
        (&[("CI_JOB_ID", "4711")], "4711", "CI_JOB_ID"),
        (
            &[("GITHUB_RUN_ID", "99"), ("GITHUB_RUN_ATTEMPT", "2")],
            "99-2",
            "GITHUB_RUN_ID",
        ),
        (&[("GITHUB_RUN_ID", "99")], "99-1", "GITHUB_RUN_ID"),
        (
            &[("BUILD_TAG", "jenkins-team/app-12")],
            "jenkins-team_app-12",
            "BUILD_TAG",
        ),
        (
            &[("BUILDKITE_JOB_ID", "0190-ab")],
            "0190-ab",
            "BUILDKITE_JOB_ID",
        ),
        (
            &[("GOMUX_JOB_ID", "../x"), ("CI_JOB_ID", "1")],
            "_._x",
            "GOMUX_JOB_ID",
        ),
    ];
    for (env, id, from) in cases {
        let mut env = env.to_vec();
        env.push(("GOMUX_CACHE_MODE", "job"));
        let p = run(&f, "", &env, None).unwrap();
        assert_eq!(
            p.scope,
            Scope::Job {
                id: id.to_string(),
                from
            },
            "{env:?}"
        );
        assert_eq!(p.gocache, Some(root.join("jobs").join(id).join("build")));
        assert_eq!(p.gomodcache, Some(root.join("jobs").join(id).join("mod")));
    }
}

#[test]
fn safe_names() {
    assert_eq!(safe_folder_name(""), None);
    assert_eq!(safe_folder_name("a b/c\\d"), Some("a_b_c_d".into()));
    assert_eq!(safe_folder_name(".."), Some("_.".into()));
    let long = "x".repeat(200);
    let n = safe_folder_name(&long).unwrap();
    assert_eq!(n.len(), 64);
    assert_ne!(safe_folder_name(&"x".repeat(201)), Some(n));
    assert_eq!(fnv1a64(b""), 0xcbf29ce484222325);
    assert_eq!(fnv1a64(b"a"), 0xaf63dc4c8601ec8c);
    assert_eq!(
        project_folder_name(Path::new("/")),
        format!("root-{:012x}", fnv1a64(b"/") >> 16)
    );
    assert!(project_folder_name(Path::new("/w/.hidden")).starts_with("_hidden-"));
}

#[test]
fn prepare_creates_the_folders_once_and_records_the_project() {
    let f = fixture();
    let p = run(&f, "", &[], Some(&f.project)).unwrap();
    let folder = p.gocache.as_ref().unwrap().parent().unwrap().to_path_buf();
    assert!(!folder.exists(), "compute must not write");
    let t0 = SystemTime::now();
    p.prepare(t0).unwrap();
    assert!(p.gocache.as_ref().unwrap().is_dir());
    assert!(p.gomodcache.as_ref().unwrap().is_dir());
    let (kind, project) = read_marker(&folder).unwrap();
    assert_eq!(kind, "project");
    assert_eq!(project.as_deref(), f.project.to_str());
    let m0 = std::fs::metadata(marker_file(&folder))
        .unwrap()
        .modified()
        .unwrap();
    // Within the hour: untouched. Later: the last use moves forward.
    p.prepare(m0 + Duration::from_secs(60)).unwrap();
    assert_eq!(
        std::fs::metadata(marker_file(&folder))
            .unwrap()
            .modified()
            .unwrap(),
        m0
    );
    let later = m0 + TOUCH_EVERY + Duration::from_secs(5);
    p.prepare(later).unwrap();
    assert_eq!(
        std::fs::metadata(marker_file(&folder))
            .unwrap()
            .modified()
            .unwrap(),
        later
    );
    // plan() = compute() + prepare().
    let q = plan(
        &f.home,
        &settings(""),
        &vars(&[("GOMUX_CACHE_MODE", "shared")]),
        None,
        "go1.22.3",
    )
    .unwrap();
    assert!(q.gomodcache.unwrap().is_dir());
    assert_eq!(
        read_marker(&f.home.default_cache_root().join("shared"))
            .unwrap()
            .0,
        "shared"
    );
}

#[cfg(unix)]
#[test]
fn prepare_reports_an_unwritable_root() {
    let f = fixture();
    let file = f.outside.join("a-file");
    std::fs::write(&file, "").unwrap();
    let root = file.join("caches");
    let p = run(
        &f,
        "",
        &[("GOMUX_CACHE_DIR", root.to_str().unwrap())],
        Some(&f.project),
    )
    .unwrap();
    let e = p.prepare(SystemTime::now()).unwrap_err();
    assert!(matches!(e, CacheError::Create { .. }), "{e}");
    assert!(
        e.hints().iter().any(|h| h.contains("GOMUX_CACHE_DIR")),
        "{:?}",
        e.hints()
    );
}

#[test]
fn prepare_never_adopts_a_folder_holding_foreign_files() {
    let f = fixture();
    // The cache root is a folder with an installed SDK where a toolchain cache would go.
    let root = f.outside.join("gomux-home");
    let sdk = root.join("toolchains").join("go1.22.3");
    std::fs::create_dir_all(sdk.join("bin")).unwrap();
    std::fs::write(sdk.join("VERSION"), "go1.22.3\n").unwrap();
    let env = [
        ("GOMUX_CACHE_DIR", root.to_str().unwrap()),
        ("GOMUX_CACHE_MODE", "toolchain"),
    ];
    let p = run(&f, "", &env, Some(&f.project)).unwrap();
    let e = p.prepare(SystemTime::now()).unwrap_err();
    assert!(matches!(e, CacheError::Foreign { .. }), "{e}");
    assert!(e.to_string().contains(&*sdk.to_string_lossy()), "{e}");
    assert!(
        e.hints()[0].contains("another cache root"),
        "{:?}",
        e.hints()
    );
    let names: Vec<_> = std::fs::read_dir(&sdk)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 2, "nothing was added to the SDK: {names:?}");
    assert!(
        !fsx::FOLDER_MARKER.is_on(&root.join("toolchains")),
        "a group folder that already held something stays unmarked"
    );
    // An empty folder is adopted (and marked); a marked one is used as it is.
    let empty = root.join("toolchains").join("go1.21.0");
    std::fs::create_dir(&empty).unwrap();
    let mut q = p.clone();
    q.scope = Scope::Toolchain {
        name: "go1.21.0".into(),
    };
    q.gocache = Some(build_dir(&empty));
    q.prepare(SystemTime::now()).unwrap();
    assert!(CACHE_MARKER.is_on(&empty));
    assert!(build_dir(&empty).is_dir());
}

#[cfg(unix)]
#[test]
fn new_cache_folders_are_marked_and_never_world_writable() {
    use std::os::unix::fs::PermissionsExt as _;
    let f = fixture();
    let p = run(&f, "", &[], Some(&f.project)).unwrap();
    p.prepare(SystemTime::now()).unwrap();
    let folder = p.gocache.as_ref().unwrap().parent().unwrap().to_path_buf();
    assert!(CACHE_MARKER.is_on(&folder));
    assert!(fsx::FOLDER_MARKER.is_on(folder.parent().unwrap()));
    for d in [
        folder.parent().unwrap(),
        &folder,
        p.gocache.as_ref().unwrap(),
        p.gomodcache.as_ref().unwrap(),
    ] {
        let mode = std::fs::metadata(d).unwrap().permissions().mode();
        assert_eq!(mode & 0o022, 0, "{} is {mode:o}", d.display());
    }
}

#[test]
fn effective_values_say_what_they_override() {
    let f = fixture();
    let file = Path::new("/h/.config/go/env");
    let goenv = GoEnvFile::from_text(file, "GOCACHE=/from/file\nGOMODCACHE=/mod/file\n");
    let none = GoEnvFile::default();
    let p = run(&f, "", &[], Some(&f.project)).unwrap();
    let get = vars(&[("HOME", "/h")]);
    let [c, m] = effective_with(&p, &get, &goenv);
    assert_eq!(c.origin, Origin::Gomux);
    assert_eq!(c.value, p.gocache);
    assert_eq!(c.overrides, Some((file.to_path_buf(), "/from/file".into())));
    assert!(
        c.to_string().contains("overrides `GOCACHE=/from/file`"),
        "{c}"
    );
    assert_eq!(m.overrides, Some((file.to_path_buf(), "/mod/file".into())));
    // Outside a project the file applies; the environment beats it.
    let p = run(&f, "", &[], None).unwrap();
    let get = vars(&[("HOME", "/h"), ("GOMODCACHE", "/env/mod")]);
    let [c, m] = effective_with(&p, &get, &goenv);
    assert_eq!(c.origin, Origin::GoEnvFile(file.to_path_buf()));
    assert_eq!(c.value, Some(PathBuf::from("/from/file")));
    assert_eq!(m.origin, Origin::Env);
    assert_eq!(m.value, Some(PathBuf::from("/env/mod")));
    // Go's defaults.
    if cfg!(target_os = "linux") {
        let get = vars(&[("HOME", "/h")]);
        let [c, m] = effective_with(&p, &get, &none);
        assert_eq!(c.origin, Origin::GoDefault);
        assert_eq!(c.value, Some(PathBuf::from("/h/.cache/go-build")));
        assert_eq!(m.value, Some(PathBuf::from("/h/go/pkg/mod")));
        let get = vars(&[("HOME", "/h"), ("GOPATH", "/g1:/g2")]);
        let [_, m] = effective_with(&p, &get, &none);
        assert_eq!(m.value, Some(PathBuf::from("/g1/pkg/mod")));
    }
}

#[test]
fn gocacheprog_only_with_a_remote_a_gomux_gocache_and_go_1_24() {
    let f = fixture();
    let remote = "[cache]\nremote = \"http://127.0.0.1:9/\"\n";
    let with = |s: &str, env: &[(&str, &str)], tc: &str| {
        compute(&f.home, &settings(s), &vars(env), Some(&f.project), tc)
            .unwrap()
            .gocacheprog
    };
    let expected = format!("{} cacheprog", f.home.gomux_exe().display());
    assert_eq!(with(remote, &[], "go1.24.0"), Some(expected.clone().into()));
    assert_eq!(
        with(remote, &[], "go1.24rc1"),
        Some(expected.clone().into())
    );
    assert_eq!(with(remote, &[], "go1.27.4"), Some(expected.clone().into()));
    // The variable configures it as well as the key.
    let env = [("GOMUX_CACHE_REMOTE", "http://127.0.0.1:9/")];
    assert_eq!(with("", &env, "go1.25.1"), Some(expected.into()));
    // Older toolchains, no remote, a name that is not a version: plain GOCACHE.
    assert_eq!(with(remote, &[], "go1.23.5"), None);
    assert_eq!(with(remote, &[], "mygo"), None);
    assert_eq!(with("", &[], "go1.27.4"), None);
    // The user's own GOCACHEPROG wins, and so does the user's own GOCACHE (no local layer).
    assert_eq!(
        with(remote, &[("GOCACHEPROG", "/opt/prog")], "go1.27.4"),
        None
    );
    assert_eq!(with(remote, &[("GOCACHE", "/tmp/c")], "go1.27.4"), None);
    // Policy `off` sets no GOCACHE, so no helper either.
    assert_eq!(
        with(&format!("{remote}mode = \"off\"\n"), &[], "go1.27.4"),
        None
    );
}

#[test]
fn gocacheprog_quotes_a_home_with_spaces_as_go_splits_it() {
    let dir = tempfile::tempdir().unwrap();
    let home = Home::new(dir.path().join("my home"));
    let get = vars(&[("GOMUX_CACHE_MODE", "shared")]);
    let s = settings("[cache]\nremote = \"http://127.0.0.1:9/\"\n");
    let p = compute(&home, &s, &get, None, "go1.24.0").unwrap();
    let want = format!("\"{}\" cacheprog", home.gomux_exe().display());
    assert_eq!(p.gocacheprog, Some(want.into()));
}

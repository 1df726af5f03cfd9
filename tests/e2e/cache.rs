//! Per-project caches: the GOCACHE/GOMODCACHE each policy gives a `go` call (seen by a fake
//! SDK), `gomux cache dir/list/clean/verify`, and with real Go (fixtures) two projects whose
//! caches stay apart and a tampered module that `verify` catches.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use gomux_tests::{Out, Run, Sandbox};
use sha2::{Digest, Sha256};

/// A sandbox with two linked fake SDKs, go1.22.3 the default.
pub(crate) fn sdks() -> Sandbox {
    let sb = Sandbox::new();
    sb.link_fake("go1.21.5");
    sb.link_fake("go1.22.3");
    sb.gomux(["default", "1.22.3"]).ok();
    sb
}

pub(crate) fn cache_root(sb: &Sandbox) -> PathBuf {
    sb.gomux_home.join("cache")
}

/// Appends lines to the sandbox's settings file.
fn settings(sb: &Sandbox, text: &str) {
    let path = sb.gomux_home.join("settings.toml");
    let mut old = std::fs::read_to_string(&path).unwrap_or_default();
    old.push('\n');
    old.push_str(text);
    std::fs::write(&path, old).unwrap();
}

pub(crate) fn build_in(sb: &Sandbox, dir: &Path) -> Out {
    sb.go(["build", "./..."]).current_dir(dir).ok()
}

/// The folder holding a fake SDK's GOCACHE (`<folder>/build`).
pub(crate) fn folder_of(out: &Out) -> PathBuf {
    let gocache = PathBuf::from(out.val("GOCACHE"));
    assert_eq!(gocache.file_name().unwrap(), "build", "{out}");
    let folder = gocache.parent().unwrap().to_path_buf();
    assert_eq!(
        PathBuf::from(out.val("GOMODCACHE")),
        folder.join("mod"),
        "{out}"
    );
    folder
}

/// Every file under `dir` with its content, for byte-for-byte comparisons.
pub(crate) fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            let p = e.path();
            let t = e.file_type().unwrap();
            if t.is_symlink() {
                // The module store's link (`mod/cache/download`): not followed, and no bytes
                // of its own (as `gomux cache list` counts it).
                out.insert(p.clone(), Vec::new());
            } else if t.is_dir() {
                out.insert(p.clone(), Vec::new());
                stack.push(p);
            } else {
                out.insert(p.clone(), std::fs::read(&p).unwrap());
            }
        }
    }
    out
}

#[test]
fn project_mode_gives_each_project_its_own_caches() {
    let sb = sdks();
    sb.write("alpha/go.mod", "module alpha\n\ngo 1.22\n");
    sb.write("beta/go.mod", "module beta\n\ngo 1.22\n");
    sb.write("pinned/.go-version", "1.21.5\n");
    let root = cache_root(&sb);

    let a = build_in(&sb, &sb.dir("alpha"));
    let a_deep = build_in(&sb, &sb.dir("alpha/cmd/tool/internal"));
    let b = build_in(&sb, &sb.dir("beta"));
    let p = build_in(&sb, &sb.dir("pinned/sub"));
    let fa = folder_of(&a);
    assert_eq!(fa.parent().unwrap(), root.join("projects"), "{a}");
    let name = fa.file_name().unwrap().to_str().unwrap();
    assert!(
        name.starts_with("alpha-") && name.len() == "alpha-".len() + 12,
        "{name}"
    );
    assert_eq!(
        folder_of(&a_deep),
        fa,
        "a subfolder gets its project's caches"
    );
    let fb = folder_of(&b);
    assert_ne!(fb, fa);
    assert!(
        folder_of(&p)
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("pinned-")
    );
    // Created on first use, with the project recorded.
    assert!(fa.join("build").is_dir() && fa.join("mod").is_dir());
    let marker = std::fs::read_to_string(fa.join("gomux-cache.txt")).unwrap();
    assert!(
        marker.contains(&format!("project={}", sb.work.join("alpha").display())),
        "{marker}"
    );

    // Outside any project Go's own defaults apply.
    let o = build_in(&sb, &sb.dir("loose"));
    assert_eq!(o.val("GOCACHE"), "<unset>");
    assert_eq!(o.val("GOMODCACHE"), "<unset>");

    // `gomux cache dir` tells the same story, from the same subfolder.
    let d = sb
        .gomux(["cache", "dir", "--json"])
        .current_dir(sb.dir("alpha/cmd/tool/internal"))
        .ok()
        .json();
    assert_eq!(d["gocache"]["value"], a.val("GOCACHE"));
    assert_eq!(d["gomodcache"]["value"], a.val("GOMODCACHE"));
    assert_eq!(d["gocache"]["origin"], "gomux");
    assert_eq!(d["mode"], "project");
    assert_eq!(d["project"], sb.work.join("alpha").display().to_string());
    let text = sb.gomux(["cache", "dir"]).current_dir(sb.dir("loose")).ok();
    assert!(text.stdout.contains("outside any project"), "{text}");
    assert!(text.stdout.contains("Go's default"), "{text}");

    // `gomux cache list` knows every folder and its project.
    let l = sb.gomux(["cache", "list", "--json"]).ok().json();
    let folders = l["folders"].as_array().unwrap();
    // Three project folders and the module store their downloads share.
    assert_eq!(folders.len(), 4, "{l}");
    assert!(folders.iter().any(|f| f["kind"] == "store"), "{l}");
    let alpha = folders
        .iter()
        .find(|f| f["path"] == fa.display().to_string())
        .unwrap();
    assert_eq!(
        alpha["project"],
        sb.work.join("alpha").display().to_string()
    );
    assert_eq!(alpha["kind"], "project");
    assert!(alpha["last_use"].as_str().unwrap().ends_with('Z'));
    let text = sb.gomux(["cache", "list"]).ok();
    assert!(
        text.stdout
            .contains(&sb.work.join("beta").display().to_string()),
        "{text}"
    );
    assert!(text.stdout.contains("4 folders"), "{text}");
}

#[test]
fn shared_toolchain_and_off_policies_with_the_root_on_another_drive() {
    let mut sb = sdks();
    sb.write("alpha/go.mod", "module alpha\ngo 1.22\n");
    let alpha = sb.dir("alpha");
    let drive = sb.root.join("data-drive").join("go caches");
    sb.set_env("GOMUX_CACHE_DIR", Some(drive.to_str().unwrap()));

    sb.set_env("GOMUX_CACHE_MODE", Some("shared"));
    for dir in [alpha.clone(), sb.dir("loose")] {
        let out = build_in(&sb, &dir);
        assert_eq!(
            out.val("GOCACHE"),
            drive.join("shared/build").display().to_string()
        );
        assert_eq!(
            out.val("GOMODCACHE"),
            drive.join("shared/mod").display().to_string()
        );
    }
    assert!(
        !cache_root(&sb).exists(),
        "nothing under GOMUX_HOME when the root moved"
    );

    sb.set_env("GOMUX_CACHE_MODE", Some("toolchain"));
    let new = build_in(&sb, &alpha);
    let old = sb.proxy("go1.21.5", ["build"]).current_dir(&alpha).ok();
    assert_eq!(
        new.val("GOCACHE"),
        drive
            .join("toolchains/go1.22.3/build")
            .display()
            .to_string()
    );
    assert_eq!(
        old.val("GOCACHE"),
        drive
            .join("toolchains/go1.21.5/build")
            .display()
            .to_string()
    );
    assert_eq!(new.val("GOMODCACHE"), old.val("GOMODCACHE"));
    assert_eq!(
        new.val("GOMODCACHE"),
        drive.join("shared/mod").display().to_string()
    );

    sb.set_env("GOMUX_CACHE_MODE", Some("off"));
    let out = build_in(&sb, &alpha);
    assert_eq!(out.val("GOCACHE"), "<unset>");
    assert_eq!(out.val("GOMODCACHE"), "<unset>");

    // The settings file works too; the variable wins over it.
    sb.set_env("GOMUX_CACHE_MODE", None);
    sb.set_env("GOMUX_CACHE_DIR", None);
    settings(
        &sb,
        &format!("[cache]\nmode = \"shared\"\nroot = '{}'\n", drive.display()),
    );
    let out = build_in(&sb, &alpha);
    assert_eq!(
        out.val("GOCACHE"),
        drive.join("shared/build").display().to_string()
    );
    sb.set_env("GOMUX_CACHE_MODE", Some("project"));
    let out = build_in(&sb, &alpha);
    assert!(
        out.val("GOCACHE")
            .starts_with(&drive.join("projects").display().to_string())
    );

    // A relative root is an error, before the SDK runs.
    sb.set_env("GOMUX_CACHE_DIR", Some("caches"));
    let out = sb.go(["build"]).current_dir(&alpha).fails();
    assert!(
        out.stderr
            .contains("must be an absolute path, not `caches`"),
        "{out}"
    );
    assert!(out.get("tool").is_none(), "the SDK must not run:\n{out}");
}

#[test]
fn the_users_own_caches_win_unless_forced_and_go_env_w_is_overridden() {
    let mut sb = sdks();
    sb.write("alpha/go.mod", "module alpha\ngo 1.22\n");
    let alpha = sb.dir("alpha");
    let mine = sb.root.join("my-gocache");
    sb.set_env("GOCACHE", Some(mine.to_str().unwrap()));
    let out = build_in(&sb, &alpha);
    assert_eq!(out.val("GOCACHE"), mine.display().to_string());
    assert!(
        out.val("GOMODCACHE")
            .starts_with(&cache_root(&sb).display().to_string())
    );
    let dir = sb.gomux(["cache", "dir"]).current_dir(&alpha).ok();
    assert!(
        dir.stdout
            .contains("your own value from the environment wins"),
        "{dir}"
    );
    let j = sb
        .gomux(["cache", "dir", "--json"])
        .current_dir(&alpha)
        .ok()
        .json();
    assert_eq!(j["gocache"]["origin"], "env");
    assert_eq!(j["gocache"]["decision"], "user");

    settings(&sb, "[cache]\nforce = true\n");
    let out = build_in(&sb, &alpha);
    assert_eq!(
        PathBuf::from(out.val("GOCACHE"))
            .parent()
            .unwrap()
            .parent()
            .unwrap(),
        cache_root(&sb).join("projects")
    );
    let j = sb
        .gomux(["cache", "dir", "--json"])
        .current_dir(&alpha)
        .ok()
        .json();
    assert_eq!(j["gocache"]["decision"], "forced");

    // `go env -w` values are overridden, and `gomux cache dir` says so.
    sb.set_env("GOCACHE", None);
    std::fs::write(
        sb.gomux_home.join("settings.toml"),
        "default_toolchain = \"go1.22.3\"\n",
    )
    .unwrap();
    std::fs::create_dir_all(sb.home.join(".config/go")).unwrap();
    std::fs::write(
        sb.home.join(".config/go/env"),
        "GOCACHE=/from/go-env-w\nGOMODCACHE=/mod/from/go-env-w\n",
    )
    .unwrap();
    let out = build_in(&sb, &alpha);
    assert!(
        out.val("GOCACHE")
            .starts_with(&cache_root(&sb).display().to_string()),
        "{out}"
    );
    let dir = sb.gomux(["cache", "dir"]).current_dir(&alpha).ok();
    assert!(
        dir.stdout
            .contains("overrides `GOCACHE=/from/go-env-w` from `go env -w`"),
        "{dir}"
    );
    assert!(
        dir.stdout
            .contains("overrides `GOMODCACHE=/mod/from/go-env-w`"),
        "{dir}"
    );
    // Outside a project the file applies, and `cache dir` shows where it came from.
    let j = sb
        .gomux(["cache", "dir", "--json"])
        .current_dir(sb.dir("loose"))
        .ok()
        .json();
    assert_eq!(j["gocache"]["value"], "/from/go-env-w");
    assert_eq!(j["gocache"]["origin"], "go-env-file");
}

#[test]
fn job_mode_keys_caches_by_the_ci_job_and_never_falls_back_silently() {
    let mut sb = sdks();
    sb.write("alpha/go.mod", "module alpha\ngo 1.22\n");
    let alpha = sb.dir("alpha");
    let jobs = cache_root(&sb).join("jobs");
    sb.set_env("GOMUX_CACHE_MODE", Some("job"));

    let out = sb.go(["build"]).current_dir(&alpha).fails();
    assert!(out.stderr.contains("needs a CI job id"), "{out}");
    assert!(out.stderr.contains("GOMUX_JOB_ID"), "{out}");
    assert!(out.get("tool").is_none(), "the SDK must not run:\n{out}");
    let out = sb.gomux(["cache", "dir"]).current_dir(&alpha).fails();
    assert!(out.stderr.contains("needs a CI job id"), "{out}");
    assert!(!cache_root(&sb).join("shared").exists());

    let cases: &[(&[(&str, &str)], &str)] = &[
        (&[("CI_JOB_ID", "4711")], "4711"),
        (
            &[("GITHUB_RUN_ID", "991"), ("GITHUB_RUN_ATTEMPT", "2")],
            "991-2",
        ),
        (&[("BUILDKITE_JOB_ID", "0190aa-bb")], "0190aa-bb"),
        (
            &[("BUILD_TAG", "jenkins-team/app-12")],
            "jenkins-team_app-12",
        ),
        (
            &[("GOMUX_JOB_ID", "matrix 3"), ("CI_JOB_ID", "1")],
            "matrix_3",
        ),
    ];
    for (vars, id) in cases {
        let mut sb2 = sdks();
        sb2.write("alpha/go.mod", "module alpha\ngo 1.22\n");
        sb2.set_env("GOMUX_CACHE_MODE", Some("job"));
        for (k, v) in *vars {
            sb2.set_env(*k, Some(v));
        }
        // Outside a project too: the job is the unit.
        for dir in [sb2.dir("alpha"), sb2.dir("loose")] {
            let out = build_in(&sb2, &dir);
            let folder = cache_root(&sb2).join("jobs").join(id);
            assert_eq!(
                out.val("GOCACHE"),
                folder.join("build").display().to_string(),
                "{vars:?}"
            );
            assert_eq!(
                out.val("GOMODCACHE"),
                folder.join("mod").display().to_string()
            );
        }
    }
    sb.set_env("CI_JOB_ID", Some("77"));
    build_in(&sb, &alpha);
    assert!(jobs.join("77/build").is_dir());
    // The job cleans up after itself.
    let out = sb.gomux(["cache", "clean", "--job"]).ok();
    assert!(out.stdout.contains("removed jobs/77"), "{out}");
    assert!(!jobs.join("77").exists());
}

/// Makes a folder tree read-only the way Go leaves a module cache (folders 0555, files 0444).
#[cfg(unix)]
pub(crate) fn make_read_only(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let mut stack = vec![dir.to_path_buf()];
    let mut dirs = Vec::new();
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            if e.file_type().unwrap().is_dir() {
                stack.push(e.path());
            } else {
                std::fs::set_permissions(e.path(), std::fs::Permissions::from_mode(0o444)).unwrap();
            }
        }
        dirs.push(d);
    }
    for d in dirs.iter().rev() {
        std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o555)).unwrap();
    }
}

#[cfg(unix)]
pub(crate) fn make_writable(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o755)).unwrap();
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            if e.file_type().unwrap().is_dir() {
                stack.push(e.path());
            } else {
                std::fs::set_permissions(e.path(), std::fs::Permissions::from_mode(0o644)).unwrap();
            }
        }
    }
}

/// The module cache's escaping: `A` becomes `!a`.
fn escape(s: &str) -> String {
    s.chars()
        .flat_map(|c| {
            if c.is_ascii_uppercase() {
                vec!['!', c.to_ascii_lowercase()]
            } else {
                vec![c]
            }
        })
        .collect()
}

/// Go's `h1:` hash, computed here independently of gomux.
pub(crate) fn h1(files: &[(String, Vec<u8>)]) -> String {
    let mut sorted: Vec<&(String, Vec<u8>)> = files.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    let lines: Vec<String> = sorted
        .iter()
        .map(|(name, body)| format!("{:x}  {name}\n", Sha256::digest(body)))
        .collect();
    let sum = Sha256::digest(lines.concat().as_bytes());
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut b64 = String::new();
    for c in sum.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..4 {
            b64.push(if i <= c.len() {
                A[((n >> (18 - 6 * i)) & 63) as usize] as char
            } else {
                '='
            });
        }
    }
    format!("h1:{b64}")
}

/// Writes a module into a module cache as Go does: the zip, its `.ziphash`, `.mod`, `.info`,
/// and the extracted read-only folder.
pub(crate) fn put_module(
    modcache: &Path,
    module: &str,
    version: &str,
    files: &[(&str, &str)],
) -> PathBuf {
    let at_v = modcache
        .join("cache/download")
        .join(escape(module))
        .join("@v");
    std::fs::create_dir_all(&at_v).unwrap();
    let named: Vec<(String, Vec<u8>)> = files
        .iter()
        .map(|(n, b)| (format!("{module}@{version}/{n}"), b.as_bytes().to_vec()))
        .collect();
    let mut w =
        zip::ZipWriter::new(std::fs::File::create(at_v.join(format!("{version}.zip"))).unwrap());
    for (name, body) in &named {
        w.start_file(name.as_str(), zip::write::SimpleFileOptions::default())
            .unwrap();
        w.write_all(body).unwrap();
    }
    w.finish().unwrap();
    std::fs::write(at_v.join(format!("{version}.ziphash")), h1(&named)).unwrap();
    std::fs::write(
        at_v.join(format!("{version}.mod")),
        format!("module {module}\n"),
    )
    .unwrap();
    std::fs::write(
        at_v.join(format!("{version}.info")),
        format!("{{\"Version\":\"{version}\"}}"),
    )
    .unwrap();
    let dir = modcache.join(format!("{}@{version}", escape(module)));
    for (n, b) in files {
        let p = dir.join(n);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, b).unwrap();
    }
    #[cfg(unix)]
    make_read_only(&dir);
    dir
}

#[cfg(unix)]
#[test]
fn clean_removes_one_projects_read_only_caches_and_nothing_else() {
    let sb = sdks();
    sb.write("alpha/go.mod", "module alpha\ngo 1.22\n");
    sb.write("beta/go.mod", "module beta\ngo 1.22\n");
    let fa = folder_of(&build_in(&sb, &sb.dir("alpha")));
    let fb = folder_of(&build_in(&sb, &sb.dir("beta")));
    for f in [&fa, &fb] {
        std::fs::write(f.join("build/00-d"), vec![7u8; 4096]).unwrap();
        put_module(
            &f.join("mod"),
            "example.com/Lib",
            "v1.2.3",
            &[
                ("go.mod", "module example.com/Lib\n"),
                ("lib.go", "package lib\n"),
            ],
        );
    }
    let before_b = snapshot(&fb);

    // Nothing selected: an error that says what to do.
    let out = sb.gomux(["cache", "clean"]).fails();
    assert!(out.stderr.contains("--project"), "{out}");

    let out = sb
        .gomux(["cache", "clean", "--project", "--dry-run"])
        .current_dir(sb.dir("alpha/sub"))
        .ok();
    assert!(out.stdout.contains("would remove projects/alpha-"), "{out}");
    assert!(out.stdout.contains("would free"), "{out}");
    assert!(fa.join("mod/example.com/!lib@v1.2.3/lib.go").is_file());

    let out = sb
        .gomux(["cache", "clean", "--project", "--json"])
        .current_dir(sb.dir("alpha/sub"))
        .ok()
        .json();
    assert!(
        !fa.exists(),
        "the project's caches, read-only module files included, are gone"
    );
    let freed = out["freed"].as_u64().unwrap();
    assert!(freed >= 4096, "{out}");
    assert_eq!(
        out["removed"][0]["project"],
        sb.work.join("alpha").display().to_string()
    );
    assert_eq!(
        snapshot(&fb),
        before_b,
        "the other project's caches are untouched"
    );

    // --project DIR from elsewhere, and the text report.
    let out = sb
        .gomux(["cache", "clean", "--project"])
        .arg(sb.work.join("beta"))
        .ok();
    assert!(out.stdout.contains("removed projects/beta-"), "{out}");
    assert!(out.stdout.contains("freed "), "{out}");
    assert!(!fb.exists());
    let out = sb
        .gomux(["cache", "clean", "--project"])
        .current_dir(sb.dir("loose"))
        .fails();
    assert!(out.stderr.contains("is not inside a project"), "{out}");
}

#[cfg(unix)]
#[test]
fn clean_by_toolchain_job_and_age_and_refusal_outside_the_root() {
    let mut sb = sdks();
    sb.write("alpha/go.mod", "module alpha\ngo 1.22\n");
    let alpha = sb.dir("alpha");
    sb.set_env("GOMUX_CACHE_MODE", Some("toolchain"));
    build_in(&sb, &alpha);
    sb.proxy("go1.21.5", ["build"]).current_dir(&alpha).ok();
    sb.set_env("GOMUX_CACHE_MODE", Some("job"));
    sb.set_env("CI_JOB_ID", Some("1"));
    build_in(&sb, &alpha);
    sb.set_env("CI_JOB_ID", Some("2"));
    build_in(&sb, &alpha);
    let root = cache_root(&sb);

    let out = sb.gomux(["cache", "clean", "--toolchain", "1.21.5"]).ok();
    assert!(out.stdout.contains("removed toolchains/go1.21.5"), "{out}");
    assert!(!root.join("toolchains/go1.21.5").exists());
    assert!(root.join("toolchains/go1.22.3").exists());
    let out = sb.gomux(["cache", "clean", "--toolchain", "1.22"]).fails();
    assert!(out.stderr.contains("names a family"), "{out}");

    sb.gomux(["cache", "clean", "--job", "1"]).ok();
    assert!(!root.join("jobs/1").exists() && root.join("jobs/2").exists());

    // Age: the last use is the marker's time.
    let old = SystemTime::now() - Duration::from_secs(10 * 86_400);
    std::fs::File::options()
        .append(true)
        .open(root.join("jobs/2/gomux-cache.txt"))
        .unwrap()
        .set_modified(old)
        .unwrap();
    let out = sb
        .gomux(["cache", "clean", "--older-than", "7d", "--dry-run"])
        .ok();
    assert!(out.stdout.contains("would remove jobs/2"), "{out}");
    assert!(!out.stdout.contains("toolchains/"), "{out}");
    sb.gomux(["cache", "clean", "--older-than", "7d"]).ok();
    assert!(!root.join("jobs/2").exists());
    assert!(root.join("toolchains/go1.22.3").exists() && root.join("shared").exists());
    let out = sb.gomux(["cache", "clean", "--older-than", "soon"]).fails();
    assert!(out.stderr.contains("invalid duration `soon`"), "{out}");

    // Outside the root: only a Go cache named with --force.
    let elsewhere = sb.root.join("my-gocache");
    std::fs::create_dir_all(&elsewhere).unwrap();
    std::fs::write(elsewhere.join("precious.txt"), "keep").unwrap();
    let out = sb
        .gomux(["cache", "clean", "--force"])
        .arg(&elsewhere)
        .fails();
    assert!(
        out.stderr
            .contains("does not look like a Go build or module cache"),
        "{out}"
    );
    assert!(elsewhere.join("precious.txt").exists());
    std::fs::write(
        elsewhere.join("README"),
        "This directory holds cached build artifacts from the Go build system.\n",
    )
    .unwrap();
    // A project whose GOCACHE comes from the environment: --project leaves it alone and says so.
    sb.set_env("GOMUX_CACHE_MODE", None);
    sb.set_env("GOCACHE", Some(elsewhere.to_str().unwrap()));
    build_in(&sb, &alpha);
    let out = sb
        .gomux(["cache", "clean", "--project"])
        .current_dir(&alpha)
        .ok();
    assert!(
        out.stderr
            .contains("outside the gomux cache root and was not touched"),
        "{out}"
    );
    assert!(elsewhere.join("README").exists());
    let out = sb
        .gomux(["cache", "clean", "--project", "--force"])
        .arg(&elsewhere)
        .current_dir(&alpha)
        .ok();
    assert!(
        out.stdout
            .contains(&format!("removed {}", elsewhere.display())),
        "{out}"
    );
    assert!(!elsewhere.exists());
    // The cache root itself is never a --force target.
    let out = sb
        .gomux(["cache", "clean", "--force"])
        .arg(&sb.gomux_home)
        .fails();
    assert!(
        out.stderr.contains("holds the whole gomux cache root"),
        "{out}"
    );

    let out = sb.gomux(["cache", "clean", "--all"]).ok();
    assert!(out.stdout.contains("freed"), "{out}");
    let l = sb.gomux(["cache", "list", "--json"]).ok().json();
    assert_eq!(l["folders"].as_array().unwrap().len(), 0, "{l}");
}

#[cfg(unix)]
#[test]
fn verify_finds_edited_added_and_removed_module_files_and_fix_repairs_them() {
    let sb = sdks();
    sb.write("alpha/go.mod", "module alpha\ngo 1.22\n");
    let alpha = sb.dir("alpha");
    let folder = folder_of(&build_in(&sb, &alpha));
    let mc = folder.join("mod");
    let files: &[(&str, &str)] = &[
        ("go.mod", "module example.com/Lib\n"),
        ("lib.go", "package lib\n"),
        ("sub/x.go", "package sub\n"),
    ];
    let edited = put_module(&mc, "example.com/Lib", "v1.2.3", files);
    let added = put_module(&mc, "example.com/added", "v0.1.0", files);
    let removed = put_module(&mc, "example.com/removed", "v2.0.0", files);
    put_module(&mc, "example.com/fine", "v1.0.0", files);

    let out = sb.gomux(["cache", "verify"]).current_dir(&alpha).ok();
    assert!(out.stdout.contains("checked 4 modules"), "{out}");
    assert!(out.stdout.contains("all modules match"), "{out}");

    make_writable(&edited);
    std::fs::write(edited.join("lib.go"), "package lib\n\nfunc Evil() {}\n").unwrap();
    make_writable(&added);
    std::fs::write(added.join("sub/injected.go"), "package sub\n").unwrap();
    make_writable(&removed);
    std::fs::remove_file(removed.join("sub/x.go")).unwrap();

    let out = sb.gomux(["cache", "verify"]).current_dir(&alpha).fails();
    assert_eq!(out.code(), Some(1));
    assert!(
        out.stdout
            .contains("example.com/Lib v1.2.3: does not match"),
        "{out}"
    );
    assert!(out.stdout.contains("changed: lib.go"), "{out}");
    assert!(out.stdout.contains("added:   sub/injected.go"), "{out}");
    assert!(out.stdout.contains("removed: sub/x.go"), "{out}");
    assert!(!out.stdout.contains("example.com/fine"), "{out}");
    assert!(
        out.stderr
            .contains("3 modules in the module cache changed after download"),
        "{out}"
    );

    let j = sb
        .gomux(["cache", "verify", "--json"])
        .current_dir(&alpha)
        .fails()
        .json();
    assert_eq!(j["ok"], false);
    let problems = j["modcaches"][0]["problems"].as_array().unwrap();
    assert_eq!(problems.len(), 3);
    assert_eq!(problems[0]["module"], "example.com/Lib");
    assert_eq!(problems[0]["changed"][0], "lib.go");
    assert_eq!(problems[0]["zip"], "ok");
    assert_eq!(problems[0]["dir"], "mismatch");

    // A zip replaced behind Go's back.
    let zip = mc.join("cache/download/example.com/fine/@v/v1.0.0.zip");
    std::fs::write(&zip, "not a zip").unwrap();
    let out = sb.gomux(["cache", "verify", "--modcache"]).arg(&mc).fails();
    assert!(out.stdout.contains("the zip cannot be read"), "{out}");

    let out = sb
        .gomux(["cache", "verify", "--fix"])
        .current_dir(&alpha)
        .ok();
    assert!(out.stdout.contains("removed 4 modules"), "{out}");
    assert!(!edited.exists() && !added.exists() && !removed.exists());
    assert!(
        !zip.exists(),
        "a bad zip goes too, so Go downloads it again"
    );
    assert!(
        mc.join("cache/download/example.com/!lib/@v/v1.2.3.zip")
            .exists(),
        "a good zip stays"
    );
    let out = sb.gomux(["cache", "verify", "--all"]).ok();
    assert!(out.stdout.contains("all modules match"), "{out}");
    let out = sb
        .gomux(["cache", "verify", "--modcache"])
        .arg(sb.root.join("nope"))
        .fails();
    assert!(out.stderr.contains("there is no module cache at"), "{out}");
}

// ---- Real Go (fixtures) ----

/// A sandbox with the newest fixture SDK linked as the default, a `file://` module proxy that
/// serves `example.com/Greet` (a capital letter, so the module cache escapes it), and no
/// network, cgo or telemetry. `None` when the fixtures are missing (the test is skipped).
#[cfg(unix)]
pub(crate) fn real_go(test: &str) -> Option<(Sandbox, tempfile::TempDir)> {
    use gomux_tests::fixtures::Fixtures;
    let fx = Fixtures::locate(test)?;
    let tcs = fx.toolchains();
    let newest = &tcs[tcs.len() - 1];
    let scratch = tempfile::tempdir().unwrap();
    let modproxy = scratch.path().join("modproxy");
    let gomod = "module example.com/Greet\n\ngo 1.21\n";
    gomux_tests::write_module_proxy(
        &modproxy,
        "example.com/Greet",
        "v1.0.0",
        &[
            ("go.mod", gomod),
            (
                "greet.go",
                "package greet\n\n// Hello greets.\nfunc Hello() string { return \"hello from greet\" }\n",
            ),
            (
                "sub/sub.go",
                "package sub\n\n// Unused is not imported.\nconst Unused = 1\n",
            ),
        ],
    );
    let mut sb = Sandbox::new();
    sb.offline_go(&modproxy);
    let root = fx.shared_sdk(&newest.name);
    sb.gomux(["link".as_ref(), newest.name.as_ref(), root.as_os_str()])
        .ok();
    sb.gomux(["default", newest.name.trim_start_matches("go")])
        .ok();
    Some((sb, scratch))
}

/// A program in `dir` that prints what `example.com/Greet` says.
#[cfg(unix)]
pub(crate) fn greeting_project(sb: &Sandbox, dir: &str) -> PathBuf {
    sb.write(
        &format!("{dir}/go.mod"),
        &format!("module example.com/{dir}\n\ngo 1.21\n\nrequire example.com/Greet v1.0.0\n"),
    );
    sb.write(
        &format!("{dir}/main.go"),
        "package main\n\nimport (\n\t\"fmt\"\n\n\tgreet \"example.com/Greet\"\n)\n\nfunc main() { fmt.Println(greet.Hello()) }\n",
    );
    sb.work.join(dir)
}

/// Builds and runs the project; returns what it printed.
#[cfg(unix)]
pub(crate) fn build_and_run(sb: &Sandbox, dir: &Path) -> String {
    sb.go(["build", "-o", "app", "."]).current_dir(dir).ok();
    sb.cmd(dir.join("app")).ok().stdout.trim().to_string()
}

#[cfg(unix)]
pub(crate) fn plan_of(sb: &Sandbox, dir: &Path) -> (PathBuf, PathBuf) {
    let j = sb
        .gomux(["cache", "dir", "--json"])
        .current_dir(dir)
        .ok()
        .json();
    (
        PathBuf::from(j["gocache"]["value"].as_str().unwrap()),
        PathBuf::from(j["gomodcache"]["value"].as_str().unwrap()),
    )
}

#[cfg(unix)]
#[test]
fn real_go_two_projects_keep_their_caches_apart_and_clean_removes_one() {
    let Some((sb, _scratch)) =
        real_go("real_go_two_projects_keep_their_caches_apart_and_clean_removes_one")
    else {
        return;
    };
    let a = greeting_project(&sb, "alpha");
    let b = greeting_project(&sb, "beta");
    assert_eq!(build_and_run(&sb, &a), "hello from greet");
    let (a_build, a_mod) = plan_of(&sb, &a);
    let (b_build, b_mod) = plan_of(&sb, &b);
    let a_folder = a_build.parent().unwrap().to_path_buf();
    let b_folder = b_build.parent().unwrap().to_path_buf();
    assert_ne!(a_folder, b_folder);
    assert!(
        a_build.join("README").is_file(),
        "real Go filled A's build cache"
    );
    assert!(
        a_mod.join("example.com/!greet@v1.0.0/greet.go").is_file(),
        "and A's module cache"
    );
    assert!(!b_folder.exists(), "a build in A creates nothing for B");

    let a_before = snapshot(&a_folder);
    assert_eq!(build_and_run(&sb, &b), "hello from greet");
    assert!(b_build.join("README").is_file());
    assert!(
        b_mod
            .join("cache/download/example.com/!greet/@v/v1.0.0.zip")
            .is_file()
    );
    assert_eq!(
        snapshot(&a_folder),
        a_before,
        "a build in B leaves A's caches byte for byte"
    );
    let b_before = snapshot(&b_folder);
    std::fs::write(a.join("extra.go"), "package main\n\nvar _ = 1\n").unwrap();
    assert_eq!(build_and_run(&sb, &a), "hello from greet");
    assert_eq!(
        snapshot(&b_folder),
        b_before,
        "a build in A leaves B's caches byte for byte"
    );
    assert!(
        !sb.home.join(".cache/go-build").exists(),
        "nothing in Go's default build cache"
    );
    assert!(
        !sb.home.join("go/pkg/mod").exists(),
        "nothing in Go's default module cache"
    );

    // Real Go left its module files read-only; clean removes them all, and only A's.
    let out = sb
        .gomux(["cache", "clean", "--project"])
        .current_dir(&a)
        .ok();
    assert!(out.stdout.contains("removed projects/alpha-"), "{out}");
    assert!(!a_folder.exists(), "{out}");
    assert_eq!(
        snapshot(&b_folder),
        b_before,
        "cleaning A leaves B's caches byte for byte"
    );
    assert_eq!(
        build_and_run(&sb, &a),
        "hello from greet",
        "A builds again from scratch"
    );
    assert!(a_mod.join("example.com/!greet@v1.0.0/greet.go").is_file());
}

#[cfg(unix)]
#[test]
fn real_go_verify_catches_a_tampered_module_and_fix_repairs_it() {
    let Some((sb, _scratch)) =
        real_go("real_go_verify_catches_a_tampered_module_and_fix_repairs_it")
    else {
        return;
    };
    let a = greeting_project(&sb, "alpha");
    assert_eq!(build_and_run(&sb, &a), "hello from greet");
    let (_, modcache) = plan_of(&sb, &a);
    let module = modcache.join("example.com/!greet@v1.0.0");
    let out = sb.gomux(["cache", "verify"]).current_dir(&a).ok();
    assert!(out.stdout.contains("checked 1 module"), "{out}");
    assert!(out.stdout.contains("all modules match"), "{out}");

    type Tamper = fn(&Path);
    // The last field: what the program prints built from the polluted cache (`None`: not
    // asserted — Go's module index in the build cache may keep an added file out of the build
    // until that cache is cleared, which makes the pollution a time bomb rather than harmless).
    let rounds: [(&str, Tamper, &str, Option<&str>); 3] = [
        (
            "edited",
            |m| {
                std::fs::write(
                    m.join("greet.go"),
                    "package greet\n\nfunc Hello() string { return \"tampered\" }\n",
                )
                .unwrap()
            },
            "changed: greet.go",
            Some("tampered"),
        ),
        (
            "added",
            |m| {
                std::fs::write(
                    m.join("zz_init.go"),
                    "package greet\n\nimport \"os\"\n\nfunc init() { os.Stdout.WriteString(\"injected\\n\") }\n",
                )
                .unwrap()
            },
            "added:   zz_init.go",
            None,
        ),
        (
            "removed",
            |m| std::fs::remove_file(m.join("sub/sub.go")).unwrap(),
            "removed: sub/sub.go",
            Some("hello from greet"),
        ),
    ];
    for (what, tamper, finding, polluted_output) in rounds {
        make_writable(&module);
        tamper(&module);
        // Go itself does not notice: the build succeeds from the polluted cache.
        let output = build_and_run(&sb, &a);
        if let Some(polluted) = polluted_output {
            assert_eq!(output, polluted, "{what}");
        }
        let out = sb.gomux(["cache", "verify"]).current_dir(&a).fails();
        assert!(
            out.stdout
                .contains("example.com/Greet v1.0.0: does not match"),
            "{what}: {out}"
        );
        assert!(out.stdout.contains(finding), "{what}: {out}");
        let out = sb.gomux(["cache", "verify", "--fix"]).current_dir(&a).ok();
        assert!(out.stdout.contains("removed 1 module"), "{what}: {out}");
        assert!(!module.exists(), "{what}");
        assert_eq!(
            build_and_run(&sb, &a),
            "hello from greet",
            "{what}: the rebuild is clean"
        );
        let out = sb.gomux(["cache", "verify"]).current_dir(&a).ok();
        assert!(out.stdout.contains("all modules match"), "{what}: {out}");
    }
}

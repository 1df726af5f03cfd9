//! The recipes in the docs run as written: every block of `docs/ci.md` (GitHub Actions, GitLab
//! CI, the Dockerfile) and the README's set-up command, extracted from the Markdown when the
//! test runs, so a doc edit that breaks a recipe fails here.
//!
//! What the test supplies is what the CI system would, and `docs/ci.md` lists it: GitHub's
//! expressions and `$GITHUB_PATH`, GitLab's `CI_PROJECT_DIR`/`CI_JOB_ID`, the `gomux` binary
//! where the recipe says the job puts it, and `GOMUX_DIST_SERVER` naming a mirror of the real
//! Go fixtures (loopback HTTP or `file://`). Docker cannot run here: the Dockerfile's
//! instructions (`ENV`, `COPY`, `WORKDIR`, `RUN`) are run as a shell script, with its absolute
//! paths moved into the sandbox and the base image's `apt-get` line left out; the `docker run`
//! block is not run. `uses:` and `cache:` entries are not run either: their paths are checked
//! to exist after the build, which is what saving them needs.

use std::path::{Path, PathBuf};

use gomux_tests::fixtures::Fixtures;
use gomux_tests::mirror::Mirror;
use gomux_tests::{Out, Run, Sandbox, copy_executable, ensure_built, exe};

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// The fenced blocks of a Markdown file: (info string, text).
fn fenced_blocks(md: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut open: Option<(String, String)> = None;
    for line in md.lines() {
        match &mut open {
            None => {
                if let Some(info) = line.strip_prefix("```") {
                    open = Some((info.trim().to_string(), String::new()));
                }
            }
            Some((_, text)) if line.trim_start() == "```" => {
                let _ = text;
                out.push(open.take().unwrap());
            }
            Some((_, text)) => {
                text.push_str(line);
                text.push('\n');
            }
        }
    }
    out
}

/// The fenced blocks of docs/ci.md's section `## {section}` (up to the next `## ` heading).
fn ci_blocks(section: &str) -> Vec<(String, String)> {
    let md = std::fs::read_to_string(workspace_root().join("docs/ci.md")).unwrap();
    let heading = format!("## {section}\n");
    let start = md
        .find(&heading)
        .unwrap_or_else(|| panic!("docs/ci.md has no section `## {section}`"));
    let body = &md[start + heading.len()..];
    let end = body.find("\n## ").map_or(body.len(), |i| i + 1);
    fenced_blocks(&body[..end])
}

/// The sections of docs/ci.md whose blocks the tests here run as written.
const RUN_AS_WRITTEN: &[&str] = &["GitHub Actions", "GitLab CI", "Docker builds"];

/// The sections whose blocks need a service these tests do not set up the way the recipe
/// names it (a remote build cache at a company URL): `cacheprog::` runs the same settings
/// against a real nginx.
const NOT_RUN: &[&str] = &["A remote build cache in CI"];

#[test]
fn every_block_of_docs_ci_md_is_in_a_known_section() {
    let md = std::fs::read_to_string(workspace_root().join("docs/ci.md")).unwrap();
    let mut section = String::new();
    let mut fenced = false;
    for line in md.lines() {
        if line.starts_with("```") {
            fenced = !fenced;
            if fenced {
                assert!(
                    RUN_AS_WRITTEN.contains(&section.as_str())
                        || NOT_RUN.contains(&section.as_str()),
                    "docs/ci.md: a block in section `{section}`, which no recipe test knows: \
                     run it in tests/e2e/recipes.rs"
                );
            }
        } else if !fenced && let Some(h) = line.strip_prefix("## ") {
            section = h.trim().to_string();
        }
    }
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

fn unquote(v: &str) -> String {
    let v = v.trim();
    if v.len() >= 2
        && ((v.starts_with('"') && v.ends_with('"')) || (v.starts_with('\'') && v.ends_with('\'')))
    {
        v[1..v.len() - 1].to_string()
    } else {
        v.to_string()
    }
}

/// A plain YAML scalar without its trailing ` # comment`.
fn strip_comment(v: &str) -> &str {
    match v.find(" #") {
        Some(i) if !v.trim_start().starts_with(['"', '\'']) => v[..i].trim_end(),
        _ => v,
    }
}

/// The `key: value` lines directly under the line `key:` at `at` (indent deeper than it).
fn mapping_under(lines: &[&str], at: usize) -> Vec<(String, String)> {
    let base = indent(lines[at]);
    let mut out = Vec::new();
    for l in &lines[at + 1..] {
        if l.trim().is_empty() || l.trim_start().starts_with('#') {
            continue;
        }
        if indent(l) <= base {
            break;
        }
        if let Some((k, v)) = l.trim().split_once(':') {
            out.push((k.trim().to_string(), unquote(strip_comment(v))));
        }
    }
    out
}

/// The `- item` lines directly under the line at `at`.
fn list_under(lines: &[&str], at: usize) -> Vec<String> {
    let base = indent(lines[at]);
    let mut out = Vec::new();
    for l in &lines[at + 1..] {
        if l.trim().is_empty() || l.trim_start().starts_with('#') {
            continue;
        }
        if indent(l) <= base {
            break;
        }
        if let Some(item) = l.trim().strip_prefix("- ") {
            out.push(unquote(strip_comment(item)));
        }
    }
    out
}

fn find_key(lines: &[&str], key: &str, indent_at: Option<usize>) -> Option<usize> {
    lines
        .iter()
        .position(|l| l.trim() == format!("{key}:") && indent_at.is_none_or(|i| indent(l) == i))
}

/// One GitHub Actions step: its `run` script, or the paths a `uses: actions/cache` saves.
#[derive(Debug, Default)]
struct Step {
    run: Option<String>,
    cache_paths: Vec<String>,
}

/// A GitHub Actions job (or fragment of one): its `env:` and `steps:`.
fn parse_github(yaml: &str) -> (Vec<(String, String)>, Vec<Step>) {
    let lines: Vec<&str> = yaml.lines().collect();
    let steps_at = lines
        .iter()
        .position(|l| l.trim() == "steps:")
        .expect("a `steps:` list");
    let level = indent(lines[steps_at]);
    let env = find_key(&lines, "env", Some(level))
        .map(|at| mapping_under(&lines, at))
        .unwrap_or_default();
    let mut steps: Vec<Step> = Vec::new();
    let mut i = steps_at + 1;
    let mut item_indent = None;
    while i < lines.len() {
        let l = lines[i];
        if l.trim().is_empty() || l.trim_start().starts_with('#') {
            i += 1;
            continue;
        }
        if indent(l) <= level {
            break;
        }
        let mut text = l.trim();
        let mut key_indent = indent(l);
        if let Some(rest) = text.strip_prefix("- ") {
            item_indent = Some(indent(l) + 2);
            key_indent += 2;
            steps.push(Step::default());
            text = rest;
        }
        assert!(item_indent.is_some(), "a step starts with `- `");
        let step = steps.last_mut().unwrap();
        let (key, value) = text.split_once(':').unwrap_or((text, ""));
        let value = value.trim();
        // A block scalar (`|`) takes the deeper lines after it.
        let mut block = String::new();
        if value == "|" {
            while i + 1 < lines.len()
                && (lines[i + 1].trim().is_empty() || indent(lines[i + 1]) > key_indent)
            {
                i += 1;
                let b = lines[i];
                block.push_str(b.get(key_indent + 2..).unwrap_or("").trim_end());
                block.push('\n');
            }
        }
        match key {
            "run" => {
                step.run = Some(if value == "|" {
                    block
                } else {
                    value.to_string()
                })
            }
            "path" => {
                step.cache_paths = if value == "|" {
                    block.lines().map(str::to_string).collect()
                } else {
                    vec![value.to_string()]
                }
            }
            _ => {}
        }
        i += 1;
    }
    (env, steps)
}

/// Replaces the GitHub expressions `${{ name }}` from `vars`; any other one is a test failure
/// (a new expression in the docs must be supplied here on purpose).
fn expressions(text: &str, vars: &[(String, String)]) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${{") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find("}}").expect("a closed `${{ }}`") + start;
        let name = rest[start + 3..end].trim();
        let value = vars.iter().find(|(k, _)| k == name).unwrap_or_else(|| {
            panic!("docs/ci.md uses `${{{{ {name} }}}}`, which the test does not supply")
        });
        out.push_str(&value.1);
        rest = &rest[end + 2..];
    }
    out.push_str(rest);
    out
}

/// PATH of a fresh runner: the system folders (there is no `go` in them here).
const SYSTEM_PATH: &str = "/usr/local/bin:/usr/bin:/bin";

/// Writes the module the recipes build: `./cmd/app`, a test, an empty `go.sum`.
fn write_project(dir: &Path, go: &str) {
    let files = [
        ("go.mod", format!("module example.com/app\n\ngo {go}\n")),
        ("go.sum", String::new()),
        (
            "cmd/app/main.go",
            "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"app\") }\n".into(),
        ),
        (
            "cmd/app/main_test.go",
            "package main\n\nimport \"testing\"\n\nfunc TestApp(t *testing.T) {}\n".into(),
        ),
    ];
    for (rel, text) in files {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
}

/// A sandbox for a recipe: real Go offline (a `file://` module proxy with nothing in it, no
/// checksum database), the mirror in `GOMUX_DIST_SERVER`, and nothing of the sandbox's own
/// GOMUX_HOME (the recipes set their own).
fn recipe_sandbox(mirror: &str) -> Sandbox {
    let mut sb = Sandbox::bare();
    let modproxy = sb.root.join("modproxy");
    std::fs::create_dir_all(&modproxy).unwrap();
    sb.offline_go(&modproxy);
    sb.set_env("GOMUX_DIST_SERVER", Some(mirror))
        .set_env("GOMUX_HOME", None)
        .set_env("PATH", Some(SYSTEM_PATH));
    sb
}

fn run_script(sb: &Sandbox, cwd: &Path, env: &[(String, String)], path: &str, script: &str) -> Out {
    let file = sb.tmp.join("step.sh");
    std::fs::write(&file, script).unwrap();
    let mut cmd = sb.cmd("bash");
    cmd.args(["--noprofile", "--norc", "-eo", "pipefail"])
        .arg(&file)
        .current_dir(cwd);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.env("PATH", path);
    cmd.run()
}

/// Runs the steps of a GitHub job the way a runner does: each `run:` in `bash -eo pipefail`
/// in the workspace, the job's `env:`, and the folders a step appends to `$GITHUB_PATH`
/// first on PATH for the steps after it.
fn run_github_job(sb: &Sandbox, ws: &Path, env: &[(String, String)], steps: &[Step]) -> Vec<Out> {
    let github_path = sb.root.join("github_path");
    std::fs::write(&github_path, "").unwrap();
    let mut env = env.to_vec();
    env.push(("GITHUB_PATH".into(), github_path.display().to_string()));
    env.push(("GITHUB_WORKSPACE".into(), ws.display().to_string()));
    env.push(("CI".into(), "true".into()));
    let mut outs = Vec::new();
    for step in steps {
        let Some(script) = &step.run else { continue };
        let added = std::fs::read_to_string(&github_path).unwrap();
        let mut path: Vec<&str> = added.lines().filter(|l| !l.is_empty()).collect();
        path.reverse();
        path.push(SYSTEM_PATH);
        let out = run_script(sb, ws, &env, &path.join(":"), script);
        assert!(out.status.success(), "the step\n{script}\nfailed:\n{out}");
        outs.push(out);
    }
    outs
}

fn github_vars(ws: &Path) -> Vec<(String, String)> {
    [
        ("github.workspace", ws.display().to_string()),
        ("github.run_id", "4242".into()),
        ("github.run_attempt", "1".into()),
        ("strategy.job-index", "0".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

fn gomux_binary() -> PathBuf {
    ensure_built().join(exe("gomux"))
}

/// `go env GOROOT` with the final PATH of a job: the toolchain gomux installed in its home.
fn assert_go_is_gomux(sb: &Sandbox, cwd: &Path, env: &[(String, String)], path: &str, home: &Path) {
    let out = run_script(sb, cwd, env, path, "command -v go\ngo env GOROOT\n");
    assert!(out.status.success(), "{out}");
    let mut lines = out.stdout.lines();
    let canonical = |p: &str| {
        Path::new(p)
            .canonicalize()
            .unwrap_or_else(|e| panic!("{p}: {e}\n{out}"))
    };
    assert_eq!(
        canonical(lines.next().unwrap_or("")),
        canonical(home.join("bin/go").to_str().unwrap()),
        "{out}"
    );
    assert!(
        canonical(lines.next().unwrap_or(""))
            .starts_with(canonical(home.join("toolchains").to_str().unwrap())),
        "{out}"
    );
}

/// The `yaml` blocks of a docs/ci.md section that hold `marker` (a job's steps or script).
fn yaml_blocks(section: &str, marker: &str) -> Vec<String> {
    ci_blocks(section)
        .into_iter()
        .filter(|(info, text)| info == "yaml" && text.contains(marker))
        .map(|(_, t)| t)
        .collect()
}

#[test]
fn the_github_actions_recipes_run_as_written() {
    let Some(fx) = Fixtures::locate("recipes::the_github_actions_recipes_run_as_written") else {
        return;
    };
    let yamls = yaml_blocks("GitHub Actions", "steps:");
    assert_eq!(
        yamls.len(),
        2,
        "docs/ci.md: the GitHub job and the self-hosted variant"
    );
    let server = Mirror::serve(fx.dir());
    let go = fx.toolchains()[0].name.trim_start_matches("go").to_string();

    for (run, fragment) in [(0, None), (1, Some(&yamls[1]))] {
        let sb = recipe_sandbox(&server.url());
        let ws = sb.root.join("runner/work/app");
        write_project(&ws, &go);
        let vars = github_vars(&ws);
        let (mut env, mut steps) = parse_github(&yamls[0]);
        if let Some(fragment) = fragment {
            // The self-hosted variant: its `env:` on top of the job's, its steps after the
            // job's build and test.
            let (more_env, more_steps) = parse_github(fragment);
            for (k, v) in more_env {
                env.retain(|(x, _)| *x != k);
                env.push((k, v));
            }
            steps.extend(more_steps);
        }
        for (_, v) in env.iter_mut() {
            *v = expressions(v, &vars);
        }
        for step in steps.iter_mut() {
            step.run = step.run.as_deref().map(|r| expressions(r, &vars));
        }
        let get = |k: &str| env.iter().find(|(x, _)| x == k).map(|(_, v)| v.clone());
        let home = PathBuf::from(get("GOMUX_HOME").expect("the job sets GOMUX_HOME"));
        // "fetch the gomux binary for this runner into ./gomux": the test's part.
        copy_executable(&gomux_binary(), &ws.join("gomux"));
        let outs = run_github_job(&sb, &ws, &env, &steps);
        assert!(!outs.is_empty());
        let path = format!("{}:{SYSTEM_PATH}", home.join("bin").display());
        assert_go_is_gomux(&sb, &ws, &env, &path, &home);
        if run == 0 {
            // What the cache steps save exists after the build.
            let mut vars = vars.clone();
            vars.extend(env.iter().map(|(k, v)| (format!("env.{k}"), v.clone())));
            let paths: Vec<String> = steps
                .iter()
                .flat_map(|s| s.cache_paths.iter())
                .map(|p| expressions(p, &vars))
                .collect();
            assert_eq!(paths.len(), 3, "{paths:?}");
            for p in &paths {
                assert!(
                    Path::new(p).is_dir(),
                    "the cache step saves `{p}`, which is not there"
                );
            }
            // The next run restores them on a fresh runner: only the saved folders are there.
            for entry in std::fs::read_dir(&home).unwrap().flatten() {
                if entry.file_name() != "toolchains" {
                    let _ = std::fs::remove_dir_all(entry.path());
                    let _ = std::fs::remove_file(entry.path());
                }
            }
            std::fs::remove_file(sb.root.join("github_path")).unwrap();
            copy_executable(&gomux_binary(), &ws.join("gomux"));
            let outs = run_github_job(&sb, &ws, &env, &steps);
            assert!(!outs.is_empty());
            assert_go_is_gomux(&sb, &ws, &env, &path, &home);
        } else {
            // `gomux cache clean --job` removed the job's caches.
            let caches = PathBuf::from(get("GOMUX_CACHE_DIR").unwrap());
            let leftovers: Vec<PathBuf> = walk_files(&caches);
            assert!(leftovers.is_empty(), "{leftovers:?}");
        }
    }
}

fn walk_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(rd) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk_files(&p));
        } else if !e.file_name().to_string_lossy().starts_with('.')
            && e.file_name() != "CACHEDIR.TAG"
            // The marker of a folder gomux made (kept so a later clean can prove it is gomux's).
            && e.file_name() != "gomux-cache.txt"
        {
            out.push(p);
        }
    }
    out
}

/// A GitLab pipeline file: its `variables:`, `default: before_script:`, and one job's `script:`
/// and `after_script:`.
struct GitLab {
    variables: Vec<(String, String)>,
    before: Vec<String>,
    script: Vec<String>,
    after: Vec<String>,
}

fn parse_gitlab(yaml: &str, job: &str) -> GitLab {
    let lines: Vec<&str> = yaml.lines().collect();
    let variables = find_key(&lines, "variables", Some(0))
        .map(|at| mapping_under(&lines, at))
        .unwrap_or_default();
    let before = find_key(&lines, "default", Some(0))
        .and_then(|d| {
            lines[d + 1..]
                .iter()
                .position(|l| l.trim() == "before_script:")
                .map(|p| d + 1 + p)
        })
        .map(|at| list_under(&lines, at))
        .unwrap_or_default();
    let job_at = find_key(&lines, job, Some(0)).expect("the job");
    let in_job = |key: &str| {
        lines[job_at + 1..]
            .iter()
            .take_while(|l| l.trim().is_empty() || indent(l) > 0)
            .position(|l| l.trim() == format!("{key}:"))
            .map(|p| list_under(&lines, job_at + 1 + p))
            .unwrap_or_default()
    };
    GitLab {
        variables,
        before,
        script: in_job("script"),
        after: in_job("after_script"),
    }
}

/// The shell lines that export GitLab `variables:` (GitLab expands `$VAR` in their values).
fn exports(vars: &[(String, String)]) -> String {
    vars.iter()
        .map(|(k, v)| format!("export {k}=\"{v}\"\n"))
        .collect()
}

#[test]
fn the_gitlab_recipes_run_as_written() {
    let Some(fx) = Fixtures::locate("recipes::the_gitlab_recipes_run_as_written") else {
        return;
    };
    let yamls = yaml_blocks("GitLab CI", "script:");
    assert_eq!(
        yamls.len(),
        2,
        "docs/ci.md: the GitLab pipeline and the job-mode variant"
    );
    let go = fx.toolchains()[0].name.trim_start_matches("go").to_string();

    for variant in [0, 1] {
        let sb = recipe_sandbox(&fx.file_url());
        let project = sb.root.join("builds/group/app");
        write_project(&project, &go);
        // The runner image has `gomux` on PATH.
        let image_bin = sb.root.join("image-bin");
        std::fs::create_dir_all(&image_bin).unwrap();
        copy_executable(&gomux_binary(), &image_bin.join(exe("gomux")));
        let main = parse_gitlab(&yamls[0], "build");
        let mut variables = main.variables.clone();
        let (script, after) = if variant == 0 {
            (main.script.clone(), main.after.clone())
        } else {
            let v = parse_gitlab(&yamls[1], "build");
            for (k, val) in v.variables {
                // An absolute folder on the runner's disk: inside the sandbox here.
                let val = val.replace(
                    "/srv/go-caches",
                    &sb.root.join("srv/go-caches").display().to_string(),
                );
                variables.retain(|(x, _)| *x != k);
                variables.push((k, val));
            }
            (v.script, v.after)
        };
        assert!(!main.before.is_empty() && !script.is_empty());
        let env = vec![
            ("CI".to_string(), "true".to_string()),
            ("CI_PROJECT_DIR".to_string(), project.display().to_string()),
            ("CI_JOB_ID".to_string(), "777".to_string()),
        ];
        let path = format!("{}:{SYSTEM_PATH}", image_bin.display());
        let prelude = exports(&variables);
        let job = format!(
            "{prelude}{}\n{}\n",
            main.before.join("\n"),
            script.join("\n")
        );
        let out = run_script(&sb, &project, &env, &path, &job);
        assert!(out.status.success(), "the job\n{job}\nfailed:\n{out}");
        if !after.is_empty() {
            // A new shell with the variables (GitLab runs `after_script` apart).
            let after = format!("{prelude}{}\n", after.join("\n"));
            let out = run_script(&sb, &project, &env, &path, &after);
            assert!(
                out.status.success(),
                "after_script\n{after}\nfailed:\n{out}"
            );
        }
        let home = project.join(".gomux");
        let final_path = format!("{}:{path}", home.join("bin").display());
        let mut env = env.clone();
        if variant == 0 {
            env.extend(variables.iter().map(|(k, v)| {
                (
                    k.clone(),
                    v.replace("$CI_PROJECT_DIR", &project.display().to_string()),
                )
            }));
            assert_go_is_gomux(&sb, &project, &env, &final_path, &home);
            // The paths the pipeline caches exist after the job.
            for rel in [
                ".go-caches/shared/mod",
                ".go-caches/shared/build",
                ".gomux/toolchains",
            ] {
                assert!(
                    yamls[0].contains(&format!("- {rel}")),
                    "docs/ci.md no longer caches `{rel}`: update this test"
                );
                assert!(
                    project.join(rel).is_dir(),
                    "`{rel}` is cached but not there"
                );
            }
            // A second pipeline with the caches restored checks the module cache.
            let out = run_script(&sb, &project, &env, &path, &job);
            assert!(
                out.status.success(),
                "the job with restored caches failed:\n{out}"
            );
        } else {
            let leftovers = walk_files(&sb.root.join("srv/go-caches"));
            assert!(
                leftovers.is_empty(),
                "`gomux cache clean --job` left {leftovers:?}"
            );
        }
    }
}

/// The Dockerfile as a shell script: `ENV` exports, `COPY` copies from the build context,
/// `WORKDIR` changes folder, `RUN` runs (its `--mount` flags dropped). Absolute paths are moved
/// under `root`; the base image's `apt-get` line is left out.
fn dockerfile_script(dockerfile: &str, root: &Path, context: &Path) -> String {
    let mut joined: Vec<String> = Vec::new();
    let mut cont = false;
    for line in dockerfile.lines() {
        if !cont && (line.trim().is_empty() || line.trim_start().starts_with('#')) {
            continue;
        }
        let (text, more) = match line.trim_end().strip_suffix('\\') {
            Some(t) => (t, true),
            None => (line.trim_end(), false),
        };
        if cont {
            let last = joined.last_mut().unwrap();
            last.push(' ');
            last.push_str(text.trim());
        } else {
            joined.push(text.trim().to_string());
        }
        cont = more;
    }
    let r = root.display().to_string();
    let moved = |s: &str| -> String {
        let mut s = s.to_string();
        for p in [
            "/opt/gomux",
            "/go-caches",
            "/src",
            "/out/",
            "/usr/local/bin",
        ] {
            s = s.replace(&format!(" {p}"), &format!(" {r}{p}"));
            s = s.replace(&format!("={p}"), &format!("={r}{p}"));
            s = s.replace(&format!(":{p}"), &format!(":{r}{p}"));
        }
        s
    };
    let mut script = format!(
        "set -e\nexport PATH=\"{r}/usr/local/bin:$PATH\"\nmkdir -p {r}/usr/local/bin {r}/out\n"
    );
    let ctx = context.display();
    for ins in joined {
        let ins = moved(&format!(" {ins}"));
        let ins = ins.trim();
        let (op, rest) = ins.split_once(' ').unwrap_or((ins, ""));
        match op {
            "FROM" => {}
            "ENV" => {
                // `K=V K2=V2`: the values have no spaces in this Dockerfile.
                for pair in rest.split_whitespace() {
                    let (k, v) = pair.split_once('=').expect("ENV K=V");
                    script.push_str(&format!("export {k}=\"{v}\"\n"));
                }
            }
            "WORKDIR" => script.push_str(&format!("mkdir -p {rest}\ncd {rest}\n")),
            "COPY" => {
                let parts: Vec<&str> = rest.split_whitespace().collect();
                let (dest, srcs) = parts.split_last().unwrap();
                for src in srcs {
                    if *src == "." {
                        script.push_str(&format!("cp -R {ctx}/. {dest}\n"));
                    } else {
                        // A glob may match nothing; a plain name must exist.
                        let glob = src.contains('*');
                        script.push_str(&format!(
                            "for f in {ctx}/{src}; do {}cp \"$f\" {dest}; done\n",
                            if glob {
                                "[ -e \"$f\" ] || continue; "
                            } else {
                                ""
                            }
                        ));
                    }
                }
            }
            "RUN" => {
                let mut cmd = rest.trim();
                while let Some(after) = cmd.strip_prefix("--mount=") {
                    let (mount, tail) = after.split_once(' ').unwrap();
                    if let Some(target) = mount.split(',').find_map(|f| f.strip_prefix("target=")) {
                        script.push_str(&format!("mkdir -p {target}\n"));
                    }
                    cmd = tail.trim();
                }
                if cmd.starts_with("apt-get") {
                    continue;
                }
                script.push_str(&format!("( {cmd} )\n"));
            }
            other => {
                panic!("the Dockerfile in docs/ci.md uses `{other}`, which the test does not run")
            }
        }
    }
    script
}

#[test]
fn the_dockerfile_recipe_runs_as_written() {
    let Some(fx) = Fixtures::locate("recipes::the_dockerfile_recipe_runs_as_written") else {
        return;
    };
    let blocks = ci_blocks("Docker builds");
    let dockerfiles: Vec<&String> = blocks
        .iter()
        .filter(|(info, _)| info == "dockerfile")
        .map(|(_, t)| t)
        .collect();
    assert_eq!(dockerfiles.len(), 1);
    // The `docker run` lines need Docker: not run (see the module doc).
    assert!(
        blocks
            .iter()
            .filter(|(info, _)| info == "sh")
            .all(|(_, t)| t.contains("docker ")),
        "docs/ci.md has a shell block that is not a Docker command: run it in this file"
    );
    let go = fx.toolchains()[0].name.trim_start_matches("go").to_string();
    let sb = recipe_sandbox(&fx.file_url());
    let context = sb.root.join("context");
    write_project(&context, &go);
    copy_executable(&gomux_binary(), &context.join("gomux"));
    let image = sb.root.join("image");
    std::fs::create_dir_all(&image).unwrap();
    let script = dockerfile_script(dockerfiles[0], &image, &context);
    let out = run_script(&sb, &sb.root, &[], SYSTEM_PATH, &script);
    assert!(
        out.status.success(),
        "the Dockerfile as a script\n{script}\nfailed:\n{out}"
    );
    let app = image.join("out/app");
    assert!(app.is_file(), "no `/out/app` built:\n{out}");
    let run = sb.cmd(&app).run();
    assert_eq!(run.stdout.trim(), "app", "{run}");
    assert!(
        image
            .join("opt/gomux/toolchains")
            .join(&fx.toolchains()[0].name)
            .is_dir()
    );
    assert!(image.join("go-caches/shared/build").is_dir(), "{out}");
}

/// The README's set-up command, in a fresh HOME: it builds gomux (release) and sets it up in
/// `~/.gomux`, and the `go` the same shell finds afterwards is the proxy.
#[test]
fn the_readme_set_up_command_runs_as_written() {
    let readme = std::fs::read_to_string(workspace_root().join("README.md")).unwrap();
    let section = readme
        .split("## Set up")
        .nth(1)
        .expect("a `## Set up` section in the README");
    let block = fenced_blocks(section)
        .into_iter()
        .find(|(info, _)| info == "sh")
        .expect("a shell block in the README's set-up section")
        .1;
    let mut sb = Sandbox::bare();
    // cargo and rustup keep their own homes; the shared target folder makes the build
    // incremental.
    let target = ensure_built().parent().unwrap().to_path_buf();
    for k in ["CARGO_HOME", "RUSTUP_HOME", "RUSTUP_TOOLCHAIN"] {
        if let Some(v) = std::env::var_os(k) {
            sb.set_env(k, Some(v.to_str().unwrap()));
        }
    }
    let real_home = std::env::var_os("HOME")
        .map(|h| h.to_string_lossy().into_owned())
        .unwrap_or_default();
    if std::env::var_os("CARGO_HOME").is_none() {
        sb.set_env("CARGO_HOME", Some(&format!("{real_home}/.cargo")));
    }
    if std::env::var_os("RUSTUP_HOME").is_none() {
        sb.set_env("RUSTUP_HOME", Some(&format!("{real_home}/.rustup")));
    }
    let cargo_bin = std::env::var_os("CARGO")
        .map(PathBuf::from)
        .and_then(|c| c.parent().map(Path::to_path_buf))
        .unwrap();
    sb.set_env("GOMUX_HOME", None)
        .set_env("CARGO_TARGET_DIR", Some(target.to_str().unwrap()))
        .set_env(
            "PATH",
            Some(&format!("{}:{SYSTEM_PATH}", cargo_bin.display())),
        );
    let script = format!("set -e\n{block}command -v go\ngomux --version\n");
    let out = sb
        .cmd("sh")
        .arg("-c")
        .arg(&script)
        .current_dir(workspace_root())
        .run();
    assert!(out.status.success(), "{script}\n{out}");
    let home = sb.home.join(".gomux");
    assert!(
        out.stdout
            .lines()
            .any(|l| l == home.join("bin/go").to_str().unwrap()),
        "{out}"
    );
    assert!(out.stdout.contains("gomux "), "{out}");
}

//! The base layer with real Go (fixtures; `GOMUX_REQUIRE_FIXTURES=1` makes them run): with a
//! base, a project's first `go build -x` of a `net/http` + `encoding/json` program compiles no
//! standard-library package, each project keeps its own GOCACHE, and `go build -a` in a project
//! leaves the base's bytes unchanged.

use std::path::PathBuf;

use gomux_tests::Run;

use crate::cache::{cache_root, real_go, snapshot};

/// The program: `net/http` and `encoding/json`.
const PROGRAM: &str = "package main\n\nimport (\n\t\"encoding/json\"\n\t\"fmt\"\n\t\"net/http\"\n)\n\nfunc main() {\n\tb, _ := json.Marshal(map[string]int{\"status\": http.StatusOK})\n\tfmt.Println(string(b))\n}\n";

/// The import paths `go build -x` compiled (`compile ... -p PATH`).
fn compiled(x_output: &str) -> Vec<String> {
    x_output
        .lines()
        .filter(|l| l.contains("/compile ") || l.contains("/compile\" "))
        .filter_map(|l| {
            let mut words = l.split_whitespace();
            words.find(|w| *w == "-p")?;
            words.next().map(str::to_string)
        })
        .collect()
}

#[cfg(unix)]
#[test]
fn real_go_a_seeded_project_compiles_no_std_package_and_never_writes_the_base() {
    let Some((mut sb, _scratch)) =
        real_go("real_go_a_seeded_project_compiles_no_std_package_and_never_writes_the_base")
    else {
        return;
    };
    sb.set_env("GOMUX_CACHE_BASE", Some("auto"));
    let out = sb.gomux(["cache", "base", "--json"]).ok();
    let j = out.json();
    assert_eq!(j["state"], "built", "{out}");
    let base = PathBuf::from(j["build"].as_str().unwrap());
    assert!(base.starts_with(cache_root(&sb).join("base")), "{out}");

    let mut caches = Vec::new();
    for name in ["alpha", "beta"] {
        sb.write(
            &format!("{name}/go.mod"),
            &format!("module example.com/{name}\n\ngo 1.21\n"),
        );
        sb.write(&format!("{name}/main.go"), PROGRAM);
        let dir = sb.work.join(name);
        let out = sb
            .go(["build", "-x", "-o", "prog", "."])
            .current_dir(&dir)
            .ok();
        let std: Vec<String> = compiled(&out.stderr)
            .into_iter()
            .filter(|p| p != "main" && !p.starts_with("example.com/"))
            .collect();
        assert!(
            std.is_empty(),
            "{name}'s first build compiled standard-library packages: {std:?}"
        );
        assert!(
            compiled(&out.stderr).iter().any(|p| p == "main"),
            "{name}'s own package is compiled: {out}"
        );
        let run = sb.cmd(dir.join("prog")).ok();
        assert_eq!(run.stdout.trim(), "{\"status\":200}");
        let j = sb
            .gomux(["cache", "dir", "--json"])
            .current_dir(&dir)
            .ok()
            .json();
        assert_eq!(j["base"]["state"], "seeded", "{j}");
        caches.push(PathBuf::from(j["gocache"]["value"].as_str().unwrap()));
    }
    assert_ne!(caches[0], caches[1], "each project keeps its own GOCACHE");
    assert!(caches.iter().all(|c| *c != base));

    // `go build -a` rebuilds everything and puts every action again: the base stays as it was.
    let before = snapshot(&base);
    sb.go(["build", "-a", "-o", "prog", "."])
        .current_dir(sb.work.join("alpha"))
        .ok();
    let after = snapshot(&base);
    assert_eq!(before.len(), after.len());
    assert!(
        before == after,
        "`go build -a` in a project changed the base"
    );
}

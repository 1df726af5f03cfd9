//! docs/json.md cannot drift from the real output: every ```json block there follows a marker
//! naming the command it came from (`<!-- gomux list --json -->`); the command is run in a
//! sandbox set up so that its output has the same shape, and the example must parse and have
//! exactly the keys (recursively) and value types of the real output, `schema_version`
//! included. Every `--json` command must have its example. Also here: what the versioned JSON
//! promises (one object, `schema_version` first) and the `show` fields that used to be wrong.

use std::any::Any;
use std::path::PathBuf;

use gomux_tests::{Run, Sandbox};
use serde_json::Value;

use crate::cache::{make_writable, put_module, sdks};

/// Every command with a `--json` output, as docs/json.md's markers spell them.
const COMMANDS: &[&str] = &[
    "list --json",
    "list --remote --json",
    "show --json",
    "env --json",
    "doctor --json",
    "cache dir --json",
    "cache list --json",
    "cache clean --project --dry-run --json",
    "cache verify --json",
    "cache base 1.22.3 --json",
    "config list --json",
    "run --each 1.21.5,1.22.3 --json -- go version",
];

/// The ```json examples of docs/json.md, each with the command of the marker above it.
fn examples() -> Vec<(String, String)> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/json.md");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut out = Vec::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let line = line.trim();
        let Some(cmd) = line
            .strip_prefix("<!-- gomux ")
            .and_then(|l| l.strip_suffix("-->"))
        else {
            continue;
        };
        let fence = lines.by_ref().find(|l| !l.trim().is_empty());
        assert_eq!(
            fence.map(str::trim),
            Some("```json"),
            "the marker `{line}` must be followed by a ```json block"
        );
        let body: Vec<&str> = lines.by_ref().take_while(|l| l.trim() != "```").collect();
        out.push((cmd.trim().to_string(), body.join("\n")));
    }
    out
}

/// A sandbox where `cmd` prints what its example shows, the folder to run it in, and what must
/// live as long as the run (a mirror).
fn set_up(cmd: &str) -> (Sandbox, PathBuf, Box<dyn Any>) {
    let sb = sdks();
    let project = sb.dir("app");
    sb.write("app/go.mod", "module example.com/app\n\ngo 1.22.3\n");
    let keep: Box<dyn Any> = Box::new(());
    match cmd {
        "list --remote --json" => {
            let (sb, dir, mirror) = crate::install::with_mirror(&["go1.23.0", "go1.24rc1"]);
            sb.gomux(["install", "1.23.0"]).ok();
            let work = sb.work.clone();
            return (sb, work, Box::new((dir, mirror)));
        }
        "cache list --json" | "cache clean --project --dry-run --json" => {
            sb.go(["build"]).current_dir(&project).ok();
        }
        "cache verify --json" => {
            sb.go(["build"]).current_dir(&project).ok();
            let dir = sb
                .gomux(["cache", "dir", "--json"])
                .current_dir(&project)
                .ok()
                .json();
            let mc = PathBuf::from(dir["gomodcache"]["value"].as_str().unwrap());
            let files: &[(&str, &str)] = &[("go.mod", "module example.com/lib\n")];
            let m = put_module(&mc, "example.com/lib", "v1.2.3", files);
            make_writable(&m);
            std::fs::write(m.join("evil.go"), "package lib\n").unwrap();
        }
        "show --json" => {
            sb.write("app/.go-version", "1.21.5\n");
        }
        "cache base 1.22.3 --json" => {
            let mut sb = sb;
            sb.set_env("GOMUX_CACHE_BASE", Some("auto"));
            return (sb, project, keep);
        }
        _ => {}
    }
    (sb, project, keep)
}

/// The shape of a value: its type, with integers and decimals apart.
fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_f64() => "decimal",
        Value::Number(_) => "integer",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Whether `doc` has exactly the keys and value types of `real`, recursively. An array of
/// the example must be empty when the real one is, and each of its elements must have the
/// shape of one of the real elements.
fn same_shape(doc: &Value, real: &Value, at: &str) -> Result<(), String> {
    match (doc, real) {
        (Value::Object(d), Value::Object(r)) => {
            let dk: Vec<&String> = d.keys().collect();
            let rk: Vec<&String> = r.keys().collect();
            if dk != rk {
                return Err(format!("{at}: keys {dk:?} in the docs, {rk:?} really"));
            }
            for (k, v) in d {
                same_shape(v, &r[k], &format!("{at}.{k}"))?;
            }
            Ok(())
        }
        (Value::Array(d), Value::Array(r)) => {
            if d.is_empty() != r.is_empty() {
                return Err(format!(
                    "{at}: {} elements in the docs, {} really",
                    d.len(),
                    r.len()
                ));
            }
            for (i, e) in d.iter().enumerate() {
                let at = format!("{at}[{i}]");
                let errors: Vec<String> = r
                    .iter()
                    .filter_map(|x| same_shape(e, x, &at).err())
                    .collect();
                if errors.len() == r.len() {
                    return Err(errors.join("\n"));
                }
            }
            Ok(())
        }
        _ if kind(doc) == kind(real) => Ok(()),
        _ => Err(format!(
            "{at}: {} in the docs, {} really ({real})",
            kind(doc),
            kind(real)
        )),
    }
}

/// The subcommands a `--help` lists (`help` left out).
fn subcommands(sb: &Sandbox, path: &[String]) -> Vec<String> {
    let out = sb.gomux(path.iter().chain([&"--help".to_string()])).ok();
    out.stdout
        .lines()
        .skip_while(|l| l.trim() != "Commands:")
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .map(str::to_string)
        .collect()
}

/// Every command whose `--help` offers `--json`, as `cache dir`, walking the whole tree.
fn json_commands(sb: &Sandbox) -> Vec<String> {
    let mut found = Vec::new();
    let mut todo: Vec<Vec<String>> = subcommands(sb, &[]).into_iter().map(|c| vec![c]).collect();
    while let Some(path) = todo.pop() {
        let subs = subcommands(sb, &path);
        if subs.is_empty() {
            let help = sb.gomux(path.iter().chain([&"--help".to_string()])).ok();
            if help.stdout.contains("--json") {
                found.push(path.join(" "));
            }
        }
        todo.extend(subs.into_iter().map(|c| {
            let mut p = path.clone();
            p.push(c);
            p
        }));
    }
    found
}

#[test]
fn every_json_example_in_the_docs_matches_the_real_output() {
    let examples = examples();
    let documented: Vec<&str> = examples.iter().map(|(c, _)| c.as_str()).collect();
    // No command has `--json` without its example here.
    let sb = Sandbox::bare();
    let commands = json_commands(&sb);
    assert!(commands.len() >= 10, "{commands:?}");
    for cmd in &commands {
        assert!(
            COMMANDS.iter().any(|c| c
                .strip_prefix(cmd.as_str())
                .is_some_and(|r| r.starts_with(' '))),
            "`gomux {cmd}` has `--json` but docs/json.md and this test have no example of it"
        );
    }
    for cmd in COMMANDS {
        assert!(
            documented.contains(cmd),
            "docs/json.md has no example for `gomux {cmd}`"
        );
    }
    let mut drifted = Vec::new();
    for (cmd, body) in &examples {
        assert!(
            COMMANDS.contains(&cmd.as_str()),
            "docs/json.md shows `gomux {cmd}`, which this test does not know how to set up"
        );
        let doc: Value = serde_json::from_str(body)
            .unwrap_or_else(|e| panic!("the example of `gomux {cmd}` is not JSON: {e}"));
        let (sb, dir, _keep) = set_up(cmd);
        let out = sb.gomux(cmd.split_whitespace()).current_dir(&dir).run();
        let real: Value = serde_json::from_str(&out.stdout)
            .unwrap_or_else(|e| panic!("`gomux {cmd}` printed no JSON ({e}):\n{out}"));
        assert!(
            out.stdout.starts_with("{\n  \"schema_version\": 1,"),
            "`gomux {cmd}`: one object, `schema_version` first:\n{out}"
        );
        if doc["schema_version"] != real["schema_version"] {
            drifted.push(format!(
                "docs/json.md's example of `gomux {cmd}` has schema_version {}, not {}",
                doc["schema_version"], real["schema_version"]
            ));
        }
        if let Err(e) = same_shape(&doc, &real, "") {
            drifted.push(format!(
                "docs/json.md's example of `gomux {cmd}` has drifted:\n{e}\nreal output:\n{real:#}"
            ));
        }
    }
    assert!(drifted.is_empty(), "{}", drifted.join("\n\n"));
}

#[test]
fn the_shape_check_sees_a_renamed_or_retyped_field() {
    let real: Value = serde_json::json!({"a": 1, "b": [{"c": "x"}], "d": null});
    assert!(same_shape(&real, &real, "").is_ok());
    let renamed = serde_json::json!({"a": 1, "b": [{"e": "x"}], "d": null});
    assert!(same_shape(&renamed, &real, "").is_err());
    let retyped = serde_json::json!({"a": "1", "b": [{"c": "x"}], "d": null});
    assert!(same_shape(&retyped, &real, "").is_err());
    let missing = serde_json::json!({"a": 1, "b": [{"c": "x"}]});
    assert!(same_shape(&missing, &real, "").is_err());
}

#[test]
fn show_json_is_typed_and_reports_the_default_everywhere() {
    let sb = sdks();
    // Outside any project the default decides: `default` says so (it was `null`).
    let out = sb.gomux(["show", "--json"]).current_dir(&sb.work).ok();
    assert!(
        out.stdout.starts_with("{\n  \"schema_version\": 1,"),
        "{out}"
    );
    let j = out.json();
    assert_eq!(j["request"]["source"], "default", "{j}");
    assert_eq!(j["default"]["toolchain"], "go1.22.3", "{j}");
    assert_eq!(j["default"]["source"], "settings", "{j}");
    // In a pinned project the default played no part, and is still reported.
    sb.write("pinned/.go-version", "1.21.5\n");
    let j = sb
        .gomux(["show", "--json"])
        .current_dir(sb.dir("pinned"))
        .ok()
        .json();
    assert_eq!(j["toolchain"], "go1.21.5", "{j}");
    assert_eq!(j["request"]["source"], "pin-file", "{j}");
    assert_eq!(j["request"]["line"], 1, "{j}");
    assert_eq!(j["default"]["toolchain"], "go1.22.3", "{j}");
    // A family is a value (`1.23`), its words only in `description`.
    sb.write("fam/.go-version", "1.23\n");
    let j = sb
        .gomux(["show", "--json"])
        .current_dir(sb.dir("fam"))
        .ok()
        .json();
    assert_eq!(j["request"]["value"], "1.23", "{j}");
    assert_eq!(j["request"]["kind"], "family", "{j}");
    assert_eq!(j["toolchain"], "1.23", "nothing installed matches: {j}");
    assert_eq!(j["installed"], false, "{j}");
    // `list` is an object now, not a bare array.
    let j = sb.gomux(["list", "--json"]).ok().json();
    assert_eq!(j["schema_version"], 1, "{j}");
    assert_eq!(j["toolchains"][1]["default"], true, "{j}");
}

#[test]
fn show_short_is_one_line_for_a_prompt() {
    let sb = sdks();
    // Outside a project, the default.
    let out = sb.gomux(["show", "--short"]).current_dir(&sb.work).ok();
    assert_eq!(out.stdout, "go1.22.3\n", "{out}");
    // A project's own, and `(missing)` for one not installed.
    sb.write("a/go.mod", "module a\ngo 1.21\n");
    sb.write("a/.go-version", "1.21.5\n");
    let out = sb.gomux(["show", "--short"]).current_dir(sb.dir("a")).ok();
    assert_eq!(out.stdout, "go1.21.5\n", "{out}");
    sb.write("b/.go-version", "1.24.1\n");
    let out = sb.gomux(["show", "--short"]).current_dir(sb.dir("b")).ok();
    assert_eq!(out.stdout, "go1.24.1 (missing)\n", "{out}");
    assert!(
        !sb.gomux_home.join("toolchains/go1.24.1").exists(),
        "nothing is installed"
    );
    // `-C` counts as for `go`.
    let out = sb
        .gomux(["show", "--short", "--", "-C", "a"])
        .current_dir(&sb.work)
        .ok();
    assert_eq!(out.stdout, "go1.21.5\n", "{out}");
    // Nothing selected: no output, success, so a prompt stays clean.
    let bare = Sandbox::new();
    let out = bare.gomux(["show", "--short"]).current_dir(&bare.work).ok();
    assert_eq!(out.stdout, "", "{out}");
    // A broken pin is an error, on stderr only.
    sb.write("c/.go-version", "not-a-version\n");
    let out = sb
        .gomux(["show", "--short"])
        .current_dir(sb.dir("c"))
        .fails();
    assert_eq!(out.stdout, "", "{out}");
    assert!(out.stderr.starts_with("error:"), "{out}");
}

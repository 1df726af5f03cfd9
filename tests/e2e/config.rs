//! `gomux config list|get|set|unset`: the settings registry from the command line. A value is
//! checked by the reader every `go` call uses before anything is written; the file is edited
//! in place (comments, unknown keys and order kept); the value shown is the one gomux uses.

use gomux_tests::{Run, Sandbox};

use crate::cache::sdks;

fn settings_file(sb: &Sandbox) -> std::path::PathBuf {
    sb.gomux_home.join("settings.toml")
}

#[test]
fn set_get_and_unset_edit_the_file_in_place_and_take_effect() {
    let sb = sdks();
    let file = settings_file(&sb);
    let before = "# my settings\ndefault_toolchain = \"go1.22.3\" # the team's\nunknown.key = [1, 2]\n\n[dist]\n# no mirror yet\n";
    std::fs::write(&file, before).unwrap();

    let out = sb.gomux(["config", "set", "cache.mode", "shared"]).ok();
    assert_eq!(out.stdout, "", "status goes to stderr: {out}");
    assert!(out.stderr.contains("set `cache.mode` to `shared`"), "{out}");
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        format!("{before}\n[cache]\nmode = \"shared\"\n")
    );
    sb.gomux(["config", "set", "dist.server", "https://mirror.example/go/"])
        .ok();
    sb.gomux(["config", "set", "auto_install", "false"]).ok();
    let text = std::fs::read_to_string(&file).unwrap();
    assert_eq!(
        text,
        "# my settings\ndefault_toolchain = \"go1.22.3\" # the team's\nunknown.key = [1, 2]\nauto_install = false\n\n[dist]\nserver = \"https://mirror.example/go/\"\n# no mirror yet\n\n[cache]\nmode = \"shared\"\n"
    );

    // What `get` prints is what gomux uses.
    let out = sb.gomux(["config", "get", "cache.mode"]).ok();
    assert_eq!(out.stdout, "shared\n", "{out}");
    sb.write("app/go.mod", "module app\n");
    let dir = sb
        .gomux(["cache", "dir", "--json"])
        .current_dir(sb.dir("app"))
        .ok()
        .json();
    assert_eq!(dir["mode"], "shared", "{dir}");
    let out = sb.gomux(["config", "get", "auto_install"]).ok();
    assert_eq!(out.stdout, "false\n", "{out}");

    // A variable wins over the file: `get` shows it, `set` says so.
    let out = sb
        .gomux(["config", "get", "cache.mode"])
        .env("GOMUX_CACHE_MODE", "off")
        .ok();
    assert_eq!(out.stdout, "off\n", "{out}");
    let out = sb
        .gomux(["config", "set", "cache.mode", "toolchain"])
        .env("GOMUX_CACHE_MODE", "off")
        .ok();
    assert!(
        out.stderr
            .contains("`GOMUX_CACHE_MODE` is set in the environment and wins"),
        "{out}"
    );

    // unset removes the key's line only; the default applies again.
    let out = sb.gomux(["config", "unset", "cache.mode"]).ok();
    assert!(out.stderr.contains("removed `cache.mode`"), "{out}");
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(!text.contains("mode ="), "{text}");
    assert!(
        text.starts_with("# my settings\ndefault_toolchain = \"go1.22.3\" # the team's\n"),
        "{text}"
    );
    assert!(text.contains("unknown.key = [1, 2]\n"), "{text}");
    let out = sb.gomux(["config", "get", "cache.mode"]).ok();
    assert_eq!(out.stdout, "project\n", "the default: {out}");
    let out = sb.gomux(["config", "unset", "cache.mode"]).ok();
    assert!(out.stderr.contains("was not set"), "{out}");
    // Unsetting what was set gives the user's file back, byte for byte.
    sb.gomux(["config", "unset", "dist.server"]).ok();
    sb.gomux(["config", "unset", "auto_install"]).ok();
    assert_eq!(std::fs::read_to_string(&file).unwrap(), before);
}

#[test]
fn bad_values_are_refused_with_the_allowed_ones_and_nothing_is_written() {
    let sb = sdks();
    let file = settings_file(&sb);
    let before = std::fs::read_to_string(&file).unwrap();
    for (key, value, says) in [
        (
            "cache.mode",
            "fast",
            "use one of `project`, `shared`, `toolchain`, `job`, `off`",
        ),
        ("cache.base", "sometimes", "use `auto` or `off`"),
        ("cache.root", "relative/dir", "use a folder such as"),
        (
            "auto_install",
            "yes",
            "`auto_install` takes `true` or `false`",
        ),
        (
            "dist.server",
            "ftp://mirror.example/",
            "`ftp://` is not supported",
        ),
        (
            "dist.index",
            "http://mirror.example/index.json",
            "only used on loopback",
        ),
        ("default_toolchain", "one.two", "hint:"),
    ] {
        let out = sb.gomux(["config", "set", key, value]).fails();
        assert!(out.stderr.starts_with("error: "), "{key}: {out}");
        assert!(
            out.stderr.contains(&format!("`{key}`")) || key == "default_toolchain",
            "{key}: {out}"
        );
        assert!(out.stderr.contains(says), "{key}: {out}");
        assert_eq!(
            std::fs::read_to_string(&file).unwrap(),
            before,
            "{key}: the file is untouched"
        );
    }
    // What the reader accepts is accepted (a loopback http mirror, an absolute root).
    sb.gomux([
        "config",
        "set",
        "dist.index",
        "http://127.0.0.1:9/index.json",
    ])
    .ok();
    let root = sb.root.join("caches");
    sb.gomux(["config", "set", "cache.root"]).arg(&root).ok();
    let out = sb.gomux(["config", "get", "cache.root"]).ok();
    assert_eq!(out.stdout.trim(), root.display().to_string(), "{out}");
}

#[test]
fn unknown_keys_get_the_nearest_known_one() {
    let sb = Sandbox::new();
    let out = sb.gomux(["config", "set", "cache.mdoe", "shared"]).fails();
    assert!(out.stderr.contains("unknown setting `cache.mdoe`"), "{out}");
    assert!(out.stderr.contains("did you mean `cache.mode`?"), "{out}");
    let out = sb.gomux(["config", "get", "mirror.server"]).fails();
    assert!(out.stderr.contains("`gomux config list`"), "{out}");
    // A variable is not a key: the key is named.
    let out = sb
        .gomux(["config", "set", "GOMUX_CACHE_MODE", "shared"])
        .fails();
    assert!(
        out.stderr.contains("`gomux config set cache.mode VALUE`"),
        "{out}"
    );
    let out = sb
        .gomux(["config", "set", "GOMUX_LOCK_TIMEOUT", "5"])
        .fails();
    assert!(out.stderr.contains("only in the environment"), "{out}");
    // ...but `get` reads it.
    let out = sb.gomux(["config", "get", "GOMUX_LOCK_TIMEOUT"]).ok();
    assert_eq!(out.stdout, "600\n", "{out}");
    // Unset with a default in words: nothing on stdout, exit 1.
    let out = sb.gomux(["config", "get", "dist.server"]).fails();
    assert_eq!(out.stdout, "", "{out}");
    assert!(out.stderr.contains("is not set"), "{out}");
    assert!(
        !settings_file(&sb).exists()
            || std::fs::read_to_string(settings_file(&sb))
                .unwrap()
                .is_empty()
    );
}

#[test]
fn list_shows_every_setting_and_where_it_came_from() {
    let sb = sdks();
    sb.gomux(["config", "set", "cache.mode", "shared"]).ok();
    let out = sb
        .gomux(["config", "list"])
        .env("GOMUX_CACHE_BASE", "off")
        .ok();
    let line = |name: &str| {
        out.stdout
            .lines()
            .find(|l| l.split_whitespace().next() == Some(name))
            .unwrap_or_else(|| panic!("no `{name}` line:\n{out}"))
            .to_string()
    };
    assert!(line("cache.mode").contains("shared  ["), "{out}");
    assert!(line("cache.mode").contains("settings.toml:"), "{out}");
    assert!(
        line("cache.base").contains("off  [GOMUX_CACHE_BASE]"),
        "{out}"
    );
    assert!(line("auto_install").ends_with("true"), "the default: {out}");
    assert!(line("GOMUX_LOCK_TIMEOUT").ends_with("600"), "{out}");
    assert!(
        line("dist.server").contains("(default: the official downloads"),
        "{out}"
    );

    let j = sb
        .gomux(["config", "list", "--json"])
        .env("GOMUX_CACHE_BASE", "off")
        .ok()
        .json();
    let find = |key: &str| {
        j["settings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["key"] == key)
            .cloned()
            .unwrap_or_else(|| panic!("no `{key}` in {j:#}"))
    };
    assert_eq!(find("cache.mode")["origin"], "settings");
    assert_eq!(find("cache.mode")["value"], "shared");
    assert!(find("cache.mode")["line"].is_u64());
    assert_eq!(find("cache.base")["origin"], "variable");
    assert_eq!(find("cache.base")["variable"], "GOMUX_CACHE_BASE");
    assert_eq!(find("auto_install")["origin"], "default");
    assert_eq!(find("dist.server")["value"], serde_json::Value::Null);
    // One entry per setting of the registry, the variable-only ones too.
    let n = j["settings"].as_array().unwrap().len();
    assert_eq!(n, out.stdout.lines().count(), "{j:#}");
}

#[test]
fn the_default_toolchain_is_set_as_gomux_default_sets_it() {
    let sb = sdks();
    sb.gomux(["config", "set", "default_toolchain", "1.21.5"])
        .ok();
    let out = sb.gomux(["default"]).ok();
    assert_eq!(out.stdout.trim(), "go1.21.5", "{out}");
    sb.gomux(["config", "set", "default_toolchain", "go1.22"])
        .ok();
    let out = sb.gomux(["config", "get", "default_toolchain"]).ok();
    assert_eq!(
        out.stdout, "1.22\n",
        "a family is stored as `gomux default` stores it: {out}"
    );
    let out = sb.gomux(["show", "--short"]).current_dir(&sb.work).ok();
    assert_eq!(out.stdout, "go1.22.3\n", "{out}");
}

//! Selection edges beyond Go's own rules: a module line whose release is missing while a newer
//! patch of the same minor release is installed.

use gomux_tests::{Run, Sandbox};

#[test]
fn a_go_line_runs_an_installed_newer_patch_instead_of_downloading() {
    let mut sb = Sandbox::new();
    sb.link_fake("go1.21.5");
    sb.link_fake("go1.22.3");
    sb.gomux(["default", "1.21.5"]).ok();
    // No mirror: a download would fail, so running at all proves nothing was fetched.
    sb.set_env("GOMUX_DIST_SERVER", Some("http://127.0.0.1:9/none"));
    for (dir, gomod) in [
        ("lang", "module a\ngo 1.22\n"),
        ("patch", "module b\ngo 1.22.1\n"),
        ("tc", "module c\ngo 1.21\ntoolchain go1.22.0\n"),
    ] {
        sb.write(&format!("{dir}/go.mod"), gomod);
        let out = sb.go(["build"]).current_dir(sb.dir(dir)).ok();
        assert_eq!(out.val("version"), "go1.22.3", "{dir}");
        assert_eq!(out.val("GOTOOLCHAIN"), "path");
        let shown = sb
            .gomux(["show", "--json"])
            .current_dir(sb.dir(dir))
            .ok()
            .json();
        assert_eq!(shown["toolchain"], "go1.22.3", "{shown}");
        let wanted = if dir == "patch" {
            "go1.22.1"
        } else {
            "go1.22.0"
        };
        assert_eq!(
            shown["request"]["value"], wanted,
            "Go's own answer stays visible"
        );
        assert_eq!(shown["instead_of"]["toolchain"], wanted, "{shown}");
        let text = sb.gomux(["show"]).current_dir(sb.dir(dir)).ok().stdout;
        assert!(text.contains("instead of:"), "{text}");
    }
    // Never an older patch, another minor release, or a prerelease.
    sb.write("newer/go.mod", "module d\ngo 1.22.4\n");
    let shown = sb
        .gomux(["show", "--json"])
        .current_dir(sb.dir("newer"))
        .ok()
        .json();
    assert_eq!(shown["toolchain"], "go1.22.4");
    assert_eq!(shown["instead_of"], serde_json::Value::Null);
    sb.write("minor/go.mod", "module e\ngo 1.23\n");
    let shown = sb
        .gomux(["show", "--json"])
        .current_dir(sb.dir("minor"))
        .ok()
        .json();
    assert_eq!(shown["toolchain"], "go1.23.0");
    // The setting restores Go's exact behaviour.
    sb.set_env("GOMUX_PREFER_INSTALLED", Some("0"));
    let shown = sb
        .gomux(["show", "--json"])
        .current_dir(sb.dir("lang"))
        .ok()
        .json();
    assert_eq!(shown["toolchain"], "go1.22.0");
    assert_eq!(shown["installed"], false);
    sb.set_env("GOMUX_PREFER_INSTALLED", None);
    std::fs::write(
        sb.gomux_home.join("settings.toml"),
        "default_toolchain = \"go1.21.5\"\nprefer_installed = false\n",
    )
    .unwrap();
    let shown = sb
        .gomux(["show", "--json"])
        .current_dir(sb.dir("lang"))
        .ok()
        .json();
    assert_eq!(shown["toolchain"], "go1.22.0", "{shown}");
}

use super::*;
use std::collections::HashMap;

/// A sandbox folder tree plus an environment, a default and an installed list.
struct T {
    dir: tempfile::TempDir,
    env: HashMap<String, String>,
    default: Option<String>,
    installed: Vec<String>,
}

impl T {
    fn new() -> T {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        let mut env = HashMap::new();
        env.insert("HOME".to_string(), root.join("home").display().to_string());
        // Go's config folder on Windows: the go env file is `%APPDATA%\go\env`, here the
        // same file as `$HOME/.config/go/env` elsewhere.
        env.insert(
            "APPDATA".to_string(),
            root.join("home").join(".config").display().to_string(),
        );
        env.insert("TMPDIR".to_string(), root.join("tmp").display().to_string());
        std::fs::create_dir_all(root.join("home")).unwrap();
        T {
            dir,
            env,
            default: Some("go1.23.4".to_string()),
            installed: vec![],
        }
    }
    fn root(&self) -> PathBuf {
        self.dir.path().canonicalize().unwrap()
    }
    fn file(&self, rel: &str, text: &str) -> &T {
        let p = self.root().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
        self
    }
    fn set(&mut self, k: &str, v: &str) -> &mut T {
        self.env.insert(k.to_string(), v.to_string());
        self
    }
    fn run_tool(&self, cwd: &str, args: &[&str], tool: Tool) -> Result<Selection, ResolveError> {
        let cwd = self.root().join(cwd);
        std::fs::create_dir_all(&cwd).unwrap();
        let args: Vec<OsString> = args.iter().map(OsString::from).collect();
        let env = |k: &str| self.env.get(k).map(OsString::from);
        let settings_path = self.root().join("gomux/settings.toml");
        let default = || {
            Ok(self
                .default
                .as_ref()
                .map(|d| (Request::parse(d).unwrap(), settings_path.clone())))
        };
        let installed = |r: &Request| {
            r.pick(self.installed.iter().map(String::as_str))
                .map(str::to_string)
        };
        resolve(&Input {
            cwd: &cwd,
            args: &args,
            tool,
            proxy_toolchain: None,
            env: &env,
            default: &default,
            installed: &installed,
            records: None,
        })
    }
    fn run(&self, cwd: &str, args: &[&str]) -> Result<Selection, ResolveError> {
        self.run_tool(cwd, args, Tool::Go)
    }
    /// The chosen toolchain name and the source kind.
    fn pick(&self, cwd: &str, args: &[&str]) -> (String, &'static str) {
        let s = self.run(cwd, args).unwrap_or_else(|e| panic!("{e}"));
        (s.request.to_string(), s.source.kind())
    }
    fn err(&self, cwd: &str, args: &[&str]) -> String {
        self.run(cwd, args).unwrap_err().to_string()
    }
}

fn p(name: &str, kind: &'static str) -> (String, &'static str) {
    (name.to_string(), kind)
}

#[test]
fn plus_arg_wins_and_is_stripped() {
    let mut t = T::new();
    t.file("p/.go-version", "1.21.0\n")
        .file("p/go.mod", "go 1.22\n");
    t.set("GOMUX_TOOLCHAIN", "1.20.3")
        .set("GOTOOLCHAIN", "go1.19.1");
    let s = t.run("p", &["+1.22.3", "build"]).unwrap();
    assert_eq!(s.request, Request::Exact("go1.22.3".into()));
    assert_eq!(s.source, Source::Arg);
    assert!(s.strip_first_arg);
    assert_eq!(
        s.project_root,
        Some(t.root().join("p")),
        "explicit choices still know the project"
    );
    assert_eq!(
        t.pick("p", &["+1.22", "build"]),
        p("1.22 (newest 1.22.x)", "arg")
    );
    // A broken pin file does not stand in the way of an explicit choice.
    let t2 = T::new();
    t2.file("bad/.go-version", "nonsense here\n");
    assert_eq!(t2.pick("bad", &["+1.21.1"]), p("go1.21.1", "arg"));
    assert!(t2.run("bad", &[]).is_err());
    let e = t.err("p", &["+../x", "build"]);
    assert!(
        e.contains("`../x`") && e.contains("the argument `+../x`"),
        "{e}"
    );
}

#[test]
fn gomux_toolchain_beats_gotoolchain_and_files() {
    let mut t = T::new();
    t.file("p/.go-version", "1.21.0\n");
    t.set("GOMUX_TOOLCHAIN", "go1.20.3")
        .set("GOTOOLCHAIN", "go1.19.1");
    assert_eq!(t.pick("p", &["build"]), p("go1.20.3", "env"));
    t.set("GOMUX_TOOLCHAIN", "");
    assert_eq!(t.pick("p", &["build"]), p("go1.19.1", "gotoolchain"));
    t.set("GOMUX_TOOLCHAIN", "1.22.3.4");
    assert!(t.err("p", &[]).contains("GOMUX_TOOLCHAIN"));
}

#[test]
fn exact_gotoolchain_ignores_module_files_and_pins() {
    let mut t = T::new();
    t.file("p/go.mod", "go 1.30.0\n")
        .file("p/.go-version", "1.21.0");
    t.set("GOTOOLCHAIN", "go1.26.0");
    let s = t.run("p/sub", &["version"]).unwrap();
    assert_eq!(s.request, Request::Exact("go1.26.0".into()));
    assert_eq!(s.source, Source::GoToolchain(Origin::Env));
    assert_eq!(
        s.child_gotoolchain(),
        "go1.26.0",
        "the user's value passes through"
    );
    t.set("GOTOOLCHAIN", "go1.800-bigcorp");
    assert_eq!(t.pick("p", &[]), p("go1.800-bigcorp", "gotoolchain"));
}

#[test]
fn gotoolchain_from_the_go_env_file() {
    let mut t = T::new();
    t.file("home/.config/go/env", "GOTOOLCHAIN=go1.21.5\n")
        .file("p/go.mod", "go 1.22\n");
    let s = t.run("p", &["build"]).unwrap();
    assert_eq!(s.request, Request::Exact("go1.21.5".into()));
    let file = t.root().join("home/.config/go/env");
    assert_eq!(s.source, Source::GoToolchain(Origin::File(file)));
    assert_eq!(s.child_gotoolchain(), "local");
    // An empty variable counts as unset: the file still applies.
    t.set("GOTOOLCHAIN", "");
    assert_eq!(t.pick("p", &[]), p("go1.21.5", "gotoolchain"));
    // The environment wins over the file.
    t.set("GOTOOLCHAIN", "auto");
    assert_eq!(t.pick("p", &[]), p("go1.23.4", "default"));
    // GOENV moves the file; GOENV=off disables it.
    t.set("GOTOOLCHAIN", "");
    t.file("elsewhere/env", "GOTOOLCHAIN=go1.20.1\n");
    let goenv = t.root().join("elsewhere/env").display().to_string();
    t.set("GOENV", &goenv);
    assert_eq!(t.pick("p", &[]), p("go1.20.1", "gotoolchain"));
    t.set("GOENV", "off");
    assert_eq!(t.pick("p", &[]), p("go1.23.4", "default"));
}

#[test]
fn gotoolchain_errors_use_go_texts() {
    let mut t = T::new();
    t.file("p/go.mod", "go 1.22\n");
    for (value, msg) in [
        ("asdf", r#"invalid GOTOOLCHAIN "asdf""#),
        ("1.26.0", r#"invalid GOTOOLCHAIN "1.26.0""#),
        (
            "go1.26.0+foo",
            r#"invalid GOTOOLCHAIN "go1.26.0+foo": only version suffixes are +auto and +path"#,
        ),
        (
            "auto+auto",
            r#"invalid GOTOOLCHAIN "auto+auto": invalid minimum toolchain "auto""#,
        ),
        ("go2.0.0", r#"invalid GOTOOLCHAIN "go2.0.0""#),
    ] {
        t.set("GOTOOLCHAIN", value);
        assert_eq!(t.err("p", &["build"]), msg);
        let e = t.run("p", &["build"]).unwrap_err();
        assert!(e.hints()[0].contains("environment"), "{:?}", e.hints());
    }
    // The escape hatches ignore a bad GOTOOLCHAIN.
    t.set("GOTOOLCHAIN", "asdf");
    assert_eq!(t.pick("p", &["env", "GOTOOLCHAIN"]).1, "default");
    assert_eq!(t.pick("p", &["env", "-w", "GOTOOLCHAIN=auto"]).1, "default");
    assert!(t.run("p", &["env", "GOTOOLCHAIN", "GOMOD"]).is_err());
    // They run the default, without reading go.mod either.
    t.set("GOTOOLCHAIN", "");
    t.file("new/go.mod", "go 1.30.0\n");
    assert_eq!(t.pick("new", &["env", "GOMOD"]), p("go1.23.4", "default"));
    assert_eq!(t.pick("new", &["env", "GOWORK"]), p("go1.23.4", "default"));
    assert_eq!(
        t.pick("new", &["env", "GOTOOLCHAIN"]),
        p("go1.23.4", "default")
    );
    assert_eq!(t.pick("new", &["env", "GOPATH"]), p("go1.30.0", "go-mod"));
}

#[test]
fn gotoolchain_plus_forms_set_the_default() {
    let mut t = T::new();
    t.file("new/go.mod", "go 1.22\n")
        .file("old/go.mod", "go 1.20\n");
    t.set("GOTOOLCHAIN", "go1.21.0+auto");
    assert_eq!(t.pick("new", &[]), p("go1.22.0", "go-mod"));
    let s = t.run("old", &[]).unwrap();
    assert_eq!(s.request, Request::Exact("go1.21.0".into()));
    assert_eq!(
        s.source,
        Source::Default(DefaultSource::GoToolchain(Origin::Env))
    );
    assert!(!s.path_only);
    // The minimum may be older than gomux's default.
    t.set("GOTOOLCHAIN", "go1.19.0+path");
    let s = t.run("old", &[]).unwrap();
    assert_eq!(s.request, Request::Exact("go1.20".into()));
    assert!(s.path_only);
    t.set("GOTOOLCHAIN", "local+auto");
    assert_eq!(t.pick("old", &[]), p("go1.23.4", "default"));
    t.set("GOTOOLCHAIN", "path");
    assert!(t.run("old", &[]).unwrap().path_only);
    // local: the default, without reading module files.
    t.set("GOTOOLCHAIN", "local");
    t.file("newest/go.mod", "go 1.30.0\n");
    assert_eq!(t.pick("newest", &[]), p("go1.23.4", "default"));
}

#[test]
fn pin_file_inside_the_project_pins_exactly() {
    let t = T::new();
    t.file("p/go.mod", "module x\ngo 1.25.0\n")
        .file("p/.go-version", "\u{feff}# team pin\r\ngo1.22.3\r\n");
    let s = t.run("p/a/b", &["build"]).unwrap();
    assert_eq!(s.request, Request::Exact("go1.22.3".into()));
    assert_eq!(
        s.source,
        Source::PinFile {
            path: t.root().join("p/.go-version"),
            line: 2
        }
    );
    assert_eq!(s.project_root, Some(t.root().join("p")));
    assert_eq!(s.child_gotoolchain(), "local");
    // Below the module root counts as inside too.
    t.file("q/go.mod", "go 1.25.0\n")
        .file("q/cmd/.tool-versions", "nodejs 20\ngolang 1.21.3\n");
    assert_eq!(t.pick("q/cmd/x", &[]), p("go1.21.3", "pin-file"));
    // A .tool-versions without Go is skipped.
    t.file("r/.go-version", "1.20.1\n")
        .file("r/s/.tool-versions", "python 3.11\n");
    assert_eq!(t.pick("r/s", &[]), p("go1.20.1", "pin-file"));
}

#[test]
fn pin_file_above_the_project_sets_the_default() {
    let mut t = T::new();
    t.default = None;
    t.file(".go-version", "1.21.5\n")
        .file("w/old/go.mod", "go 1.20\n")
        .file("w/new/go.mod", "go 1.22.1\n");
    let s = t.run("w/old", &[]).unwrap();
    assert_eq!(s.request, Request::Exact("go1.21.5".into()));
    assert!(
        matches!(s.source, Source::Default(DefaultSource::PinAbove { .. })),
        "{:?}",
        s.source
    );
    assert_eq!(s.project_root, Some(t.root().join("w/old")));
    assert_eq!(s.child_gotoolchain(), "path");
    assert_eq!(t.pick("w/new", &[]), p("go1.22.1", "go-mod"));
    // Outside any module the pin file pins.
    assert_eq!(t.pick("w", &[]), p("go1.21.5", "pin-file"));
}

#[test]
fn go_and_toolchain_lines_follow_go() {
    let mut t = T::new(); // default go1.23.4
    let cases: &[(&str, (&str, &str))] = &[
        ("go 1.22\n", ("go1.23.4", "default")),
        ("go 1.24\n", ("go1.24.0", "go-mod")),
        ("go 1.24.0\n", ("go1.24.0", "go-mod")),
        ("go 1.25rc1\n", ("go1.25rc1", "go-mod")),
        ("go 1.300\n", ("go1.300.0", "go-mod")),
        ("go 1.22\ntoolchain go1.24.1\n", ("go1.24.1", "go-mod")),
        // The toolchain line is a minimum: an older one is ignored.
        ("go 1.22\ntoolchain go1.23.0\n", ("go1.23.4", "default")),
        ("go 1.22\ntoolchain go1.23.4\n", ("go1.23.4", "default")),
        // A newer go line overrides the toolchain line.
        ("go 1.25.3\ntoolchain go1.25.1\n", ("go1.25.3", "go-mod")),
        ("go 1.30\ntoolchain default\n", ("go1.23.4", "default")),
        ("toolchain go1.25.0-custom\n", ("go1.25.0-custom", "go-mod")),
        ("go \"1.25.0\"\n", ("go1.23.4", "default")),
        ("go banana\n", ("go1.23.4", "default")),
        (
            "// go 1.30.0\ngodebug default=go1.30\n",
            ("go1.23.4", "default"),
        ),
        ("module m\n", ("go1.23.4", "default")),
    ];
    for (i, (gomod, want)) in cases.iter().enumerate() {
        let dir = format!("m{i}");
        t.file(&format!("{dir}/go.mod"), gomod);
        assert_eq!(
            t.pick(&dir, &["build"]),
            p(want.0, want.1),
            "go.mod {gomod:?}"
        );
    }
    // Pre-1.21 go lines name releases directly.
    t.default = Some("go1.14".into());
    t.file("old/go.mod", "go 1.15\n");
    assert_eq!(t.pick("old", &[]), p("go1.15", "go-mod"));
    // A language-version toolchain line stays as written (Go fails to download it).
    t.file("lang/go.mod", "toolchain go1.22\n");
    assert_eq!(t.pick("lang", &[]), p("go1.22", "go-mod"));
    // Line numbers and the file are reported.
    t.default = Some("go1.21.0".into());
    t.file("l/go.mod", "module x\n\ngo 1.22.1\n");
    let s = t.run("l/deep/er", &[]).unwrap();
    assert_eq!(
        s.source,
        Source::GoMod {
            path: t.root().join("l/go.mod"),
            line: 3
        }
    );
    assert_eq!(s.project_root, Some(t.root().join("l")));
}

#[test]
fn invalid_toolchain_lines_fail_like_go() {
    let t = T::new();
    for bad in ["banana", "1.25.0", "gccgo-go1.25.0"] {
        t.file("b/go.mod", &format!("go 1.21\ntoolchain {bad}\n"));
        assert_eq!(
            t.err("b", &[]),
            format!("invalid toolchain {bad:?} in go.mod")
        );
        assert_eq!(
            t.err("b/sub", &[]),
            format!("invalid toolchain {bad:?} in ../go.mod")
        );
    }
    let e = t.run("b", &[]).unwrap_err();
    assert!(
        matches!(e, ResolveError::InvalidToolchainLine { line: 2, .. }),
        "{e:?}"
    );
}

#[test]
fn no_default_and_no_files_is_an_error() {
    let mut t = T::new();
    t.default = None;
    let e = t.run("nowhere", &[]).unwrap_err();
    assert!(matches!(e, ResolveError::NoToolchain { .. }));
    assert!(e.hints()[0].contains("gomux default"));
    // With no default, the go line decides.
    t.file("m/go.mod", "go 1.21\n");
    assert_eq!(t.pick("m", &[]), p("go1.21.0", "go-mod"));
    t.file("n/go.mod", "module n\n");
    assert!(t.run("n", &[]).is_err());
}

#[test]
fn family_default_compares_by_installed_version() {
    let mut t = T::new();
    t.default = Some("1.22".into());
    t.installed = vec!["go1.22.1".into(), "go1.22.7".into()];
    t.file("a/go.mod", "go 1.22.5\n")
        .file("b/go.mod", "go 1.22.9\n");
    assert_eq!(t.pick("a", &[]), p("1.22 (newest 1.22.x)", "default"));
    assert_eq!(t.pick("b", &[]), p("go1.22.9", "go-mod"));
}

#[test]
fn go_work_wins_over_go_mod() {
    let mut t = T::new();
    t.file("ws/go.work", "go 1.24.0\n\nuse ./m\n")
        .file("ws/m/go.mod", "go 1.25.0\n");
    let s = t.run("ws/m/pkg", &["build"]).unwrap();
    assert_eq!(s.request, Request::Exact("go1.24.0".into()));
    assert_eq!(
        s.source,
        Source::GoWork {
            path: t.root().join("ws/go.work"),
            line: 1
        }
    );
    assert_eq!(s.project_root, Some(t.root().join("ws")));
    // A go.work without a go line still wins.
    t.file("ws2/go.work", "use ./m\n")
        .file("ws2/m/go.mod", "go 1.25.0\n");
    assert_eq!(t.pick("ws2/m", &[]), p("go1.23.4", "default"));
    // GOWORK=off: the go.mod decides.
    t.set("GOWORK", "off");
    assert_eq!(t.pick("ws/m", &[]), p("go1.25.0", "go-mod"));
    // GOWORK=absolute path.
    t.file("elsewhere/x.work", "go 1.24.2\n");
    let abs = t.root().join("elsewhere/x.work").display().to_string();
    t.set("GOWORK", &abs);
    assert_eq!(t.pick("ws/m", &[]), p("go1.24.2", "go-work"));
    // A missing GOWORK file is ignored for selection.
    let missing = t.root().join("nope.work").display().to_string();
    t.set("GOWORK", &missing);
    assert_eq!(t.pick("ws/m", &[]), p("go1.25.0", "go-mod"));
    t.set("GOWORK", "rel/go.work");
    assert_eq!(t.err("ws/m", &[]), "invalid GOWORK: not an absolute path");
    // GOWORK from the go env file counts too.
    t.set("GOWORK", "");
    t.file("home/.config/go/env", "GOWORK=off\n");
    assert_eq!(t.pick("ws/m", &[]), p("go1.25.0", "go-mod"));
}

#[test]
fn chdir_flag_in_all_spellings() {
    let t = T::new();
    t.file("a/go.mod", "go 1.24.1\n")
        .file("b/go.mod", "go 1.25.1\n");
    for args in [
        vec!["-C", "../b", "build"],
        vec!["-C=../b", "build"],
        vec!["--C", "../b", "build"],
        vec!["--C=../b", "build"],
        vec!["build", "-C", "../b", "./..."],
        vec!["build", "--C=../b"],
        vec!["mod", "tidy", "-C", "../b"],
        vec!["mod", "tidy", "-C=../b"],
    ] {
        assert_eq!(t.pick("a", &args), p("go1.25.1", "go-mod"), "{args:?}");
    }
    assert_eq!(
        t.pick("a", &["build", "./...", "-C", "../b"]),
        p("go1.24.1", "go-mod")
    );
    // gofmt has no -C.
    let s = t.run_tool("a", &["-C", "../b"], Tool::Gofmt).unwrap();
    assert_eq!(s.request, Request::Exact("go1.24.1".into()));
}

#[test]
fn modules_disabled() {
    let mut t = T::new();
    t.file("m/go.mod", "go 1.25.0\n");
    t.set("GO111MODULE", "off");
    assert_eq!(t.pick("m", &[]), p("go1.23.4", "default"));
    // Modules off skips GOTOOLCHAIN too, as in Go.
    t.set("GOTOOLCHAIN", "go1.22.0");
    assert_eq!(t.pick("m", &[]), p("go1.23.4", "default"));
    t.set("GO111MODULE", "auto");
    assert_eq!(t.pick("m", &[]), p("go1.22.0", "gotoolchain"));
    t.set("GOTOOLCHAIN", "");
    assert_eq!(t.pick("m", &[]), p("go1.25.0", "go-mod"));
    t.set("GOTOOLCHAIN", "go1.22.0");
    assert_eq!(t.pick("outside", &[]), p("go1.23.4", "default"));
}

#[test]
fn go_mod_in_tmpdir_is_ignored() {
    let t = T::new();
    t.file("tmp/go.mod", "go 1.25.0\n");
    assert_eq!(t.pick("tmp", &[]), p("go1.23.4", "default"));
    assert_eq!(t.pick("tmp/sub", &[]), p("go1.23.4", "default"));
}

#[test]
fn install_at_version_runs_outside_the_module() {
    let t = T::new();
    t.file("m/go.mod", "go 1.30.0\n");
    assert_eq!(
        t.pick("m", &["install", "example.com/foo@v1.0.0"]),
        p("go1.23.4", "default")
    );
    assert_eq!(
        t.pick("m", &["run", "example.com/foo@latest", "x"]),
        p("go1.23.4", "default")
    );
    assert_eq!(
        t.pick("m", &["install", "./cmd/x"]),
        p("go1.30.0", "go-mod")
    );
    assert_eq!(t.pick("m", &["install", "./x@v1"]), p("go1.30.0", "go-mod"));
}

#[test]
fn child_gotoolchain() {
    let mut t = T::new();
    t.file("m/go.mod", "go 1.25.0\n")
        .file("pinned/.go-version", "1.22.1\n");
    assert_eq!(t.run("m", &[]).unwrap().child_gotoolchain(), "path");
    assert_eq!(t.run("x", &[]).unwrap().child_gotoolchain(), "path");
    assert_eq!(t.run("pinned", &[]).unwrap().child_gotoolchain(), "local");
    assert_eq!(
        t.run("m", &["+1.22.1"]).unwrap().child_gotoolchain(),
        "local"
    );
    t.set("GOTOOLCHAIN", "auto");
    assert_eq!(t.run("pinned", &[]).unwrap().child_gotoolchain(), "auto");
}

#[test]
fn bad_pin_files_name_file_and_line() {
    let t = T::new();
    t.file("p/.go-version", "# c\n1.22.3; rm -rf /\n");
    let e = t.run("p", &[]).unwrap_err();
    let path = t.root().join("p/.go-version");
    assert!(
        e.to_string()
            .starts_with(&format!("{}:2: ", path.display())),
        "{e}"
    );
}

#[test]
fn chdir_parsing() {
    let os = |v: &[&str]| v.iter().map(OsString::from).collect::<Vec<_>>();
    assert_eq!(chdir_flag(&os(&["-C", "d"])), Some(OsStr::new("d")));
    assert_eq!(chdir_flag(&os(&["build", "-x", "-C", "d"])), None);
    assert_eq!(chdir_flag(&os(&["-x", "-C", "d"])), None);
    assert_eq!(chdir_flag(&os(&["-C"])), None);
    assert_eq!(
        chdir_flag(&os(&["work", "use", "--C=d"])),
        Some(OsStr::new("d"))
    );
    assert_eq!(chdir_flag(&os(&[])), None);
}

#[test]
fn a_real_go_switching_toolchains_gets_exactly_what_it_asked_for() {
    let mut t = T::new();
    t.file("p/.go-version", "1.22.1\n")
        .file("p/go.mod", "go 1.23.5\n");
    t.set("GOTOOLCHAIN_INTERNAL_SWITCH_VERSION", "go1.23.5");
    let s = t.run("p", &["build"]).unwrap();
    assert_eq!(s.request, Request::Exact("go1.23.5".into()));
    assert_eq!(s.source, Source::ProxyName);
    assert_eq!(s.project_root, Some(t.root().join("p")));
    // gofmt is never the target of a switch; junk values are ignored.
    assert_eq!(
        t.run_tool("p", &[], Tool::Gofmt).unwrap().source.kind(),
        "pin-file"
    );
    t.set("GOTOOLCHAIN_INTERNAL_SWITCH_VERSION", "junk");
    assert_eq!(t.pick("p", &[]), p("go1.22.1", "pin-file"));
}

#[test]
fn untrusted_text_in_errors_is_escaped_and_short() {
    let mut t = T::new();
    t.file("a/.go-version", "1.22\x1b[2Kx\n");
    t.file("b/.tool-versions", "golang 1.22\u{202e}3\n");
    t.file("c/.go-version", "1.22.3\n\x1b]0;title\x07\n");
    t.file("d/go.mod", "module d\ngo 1.21\ntoolchain go1.22\x1b[31m\n");
    for cwd in ["a", "b", "c", "d"] {
        let e = t.err(cwd, &[]);
        assert!(!e.contains(['\x1b', '\u{202e}', '\x07']), "{cwd}: {e:?}");
        assert!(e.contains("\\x1b") || e.contains("\\u{"), "{cwd}: {e}");
    }
    let long = format!("1.22{}", "9".repeat(100_000));
    t.file("e/.go-version", &long[..60_000]);
    let e = t.err("e", &[]);
    assert!(e.len() < 400, "{} bytes", e.len());
    t.set("GOTOOLCHAIN", "go1.22\x1b[2K+auto");
    let e = t.run("f", &[]).unwrap_err();
    assert!(!e.to_string().contains('\x1b'), "{e:?}");
    t.set("GOTOOLCHAIN", "auto")
        .set("GOMUX_TOOLCHAIN", "\x1b[2K1.22");
    assert!(!t.err("f", &[]).contains('\x1b'));
}

#[cfg(unix)]
#[test]
fn pin_files_that_are_not_small_regular_files_are_errors_not_hangs() {
    let t = T::new();
    let fifo = t.root().join("a/.go-version");
    std::fs::create_dir_all(fifo.parent().unwrap()).unwrap();
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let e = t.run("a", &[]).unwrap_err();
    assert!(matches!(e, ResolveError::BadPinFile { .. }), "{e:?}");
    assert!(e.to_string().contains("not a regular file"), "{e}");
    let big = t.root().join("b/.tool-versions");
    std::fs::create_dir_all(big.parent().unwrap()).unwrap();
    std::fs::File::create(&big)
        .unwrap()
        .set_len(1 << 30)
        .unwrap();
    let e = t.run("b", &[]).unwrap_err();
    assert!(e.to_string().contains("larger than 64 KiB"), "{e}");
    assert!(e.hints()[0].contains("remove it"), "{:?}", e.hints());
    // Exactly at the bound is still read.
    t.file(
        "c/.go-version",
        &format!("1.22.3\n{}", "#".repeat(64 * 1024 - 7)),
    );
    assert_eq!(t.pick("c", &[]), p("go1.22.3", "pin-file"));
}

/// The cases below are the issue's rules, each as small as the differential run shrank it.
mod release_rules {
    use super::*;

    fn with_default(d: &str) -> T {
        let mut t = T::new();
        t.default = Some(d.to_string());
        t
    }

    #[test]
    fn pkg_at_version_reads_module_files_from_1_25() {
        for (d, want) in [
            ("go1.24.4", p("go1.24.4", "default")),
            ("go1.25.12", p("go1.30.0", "go-mod")),
            ("go1.27.3", p("go1.30.0", "go-mod")),
        ] {
            let t = with_default(d);
            t.file("m/go.mod", "go 1.30\n");
            assert_eq!(
                t.pick("m", &["install", "example.com/x@v1.2.3"]),
                want,
                "{d}"
            );
        }
    }

    #[test]
    fn what_counts_as_pkg_at_version_follows_cmd_go() {
        let t = with_default("go1.24.4");
        t.file("m/go.mod", "go 1.30\n");
        let module = p("go1.30.0", "go-mod");
        let local = p("go1.24.4", "default");
        // An absolute path is `filepath.IsAbs`: `/abs` is not one on Windows.
        let abs = if cfg!(windows) {
            r"C:\abs\x@v1"
        } else {
            "/abs/x@v1"
        };
        for args in [
            &["run", ".", "user@example.com"][..],
            &["run", "-exec", "foo@bar", "."],
            &["install", "-tags", "a@b", "./x"],
            &["install", "./cmd", "m@v"],
            &["install", "m@"],
            &["install", "@v1.0.0"],
            &["install", "go@1.2.3"],
            &["install", "./x@v1"],
            &["install", abs],
            &["run", "-unknownflag", "m@v1"],
            &["install", "-tags"],
            &["build", "m@v1"],
        ] {
            assert_eq!(t.pick("m", args), module, "{args:?}");
        }
        for args in [
            &["install", ".hidden@v1.0.0"][..],
            &["install", "-x", "m@v1"],
            &["install", "-tags", "a", "m@v1"],
            &["install", "-tags=a", "m@v1"],
            &["install", "--", "m@v1"],
            &["install", "-unknownflag", "x", "m@v1"],
            &["run", "-modcacherw", "m@v1", "arg"],
            &["run", "-json", "m@v1"],
        ] {
            assert_eq!(t.pick("m", args), local, "{args:?}");
        }
        // `-json` is a boolean flag of `go run` only from 1.24.
        let t = with_default("go1.23.5");
        t.file("m/go.mod", "go 1.30\n");
        assert_eq!(t.pick("m", &["run", "-json", "m@v1"]), module);
        // A bad `-modcacherw=` value means "not pkg@version".
        assert_eq!(
            t.pick("m", &["install", "-modcacherw=maybe", "m@v1"]),
            module
        );
    }

    #[test]
    fn chdir_is_removed_before_the_pkg_at_version_check() {
        let t = with_default("go1.23.5");
        t.file("mod/go.mod", "go 1.30\n");
        assert_eq!(
            t.pick(".", &["-C", "mod", "install", "m@v1.2.3"]),
            p("go1.23.5", "default")
        );
        assert_eq!(
            t.pick(".", &["install", "-C", "mod", "m@v1.2.3"]),
            p("go1.23.5", "default")
        );
        assert_eq!(
            t.pick(".", &["-C", "mod", "build"]),
            p("go1.30.0", "go-mod")
        );
    }

    #[test]
    fn go_env_escape_hatches_in_every_chdir_spelling() {
        let mut t = with_default("go1.23.5");
        t.file("mod/go.mod", "go 1.30\n");
        t.set("GOTOOLCHAIN", "bogus");
        for args in [
            &["env", "-C", "mod", "GOTOOLCHAIN"][..],
            &["-C", "mod", "env", "GOMOD"],
            &["env", "-C=mod", "GOWORK"],
            &["--C=mod", "env", "-w", "GOTOOLCHAIN=auto"],
            &["env", "--C", "mod", "GOTOOLCHAIN"],
        ] {
            assert_eq!(t.pick(".", args), p("go1.23.5", "default"), "{args:?}");
        }
        assert!(
            t.err(".", &["-C", "mod", "env", "GOTOOLCHAIN", "GOMOD"])
                .contains("invalid GOTOOLCHAIN")
        );
        // GOMOD/GOWORK run locally only from 1.23.
        let mut t = with_default("go1.22.12");
        t.file("mod/go.mod", "go 1.30\n");
        assert_eq!(t.pick("mod", &["env", "GOMOD"]), p("go1.30.0", "go-mod"));
        assert_eq!(
            t.pick("mod", &["env", "GOTOOLCHAIN"]),
            p("go1.22.12", "default")
        );
        t.set("GOTOOLCHAIN", "bogus");
        assert!(
            t.err("mod", &["env", "GOWORK"])
                .contains("invalid GOTOOLCHAIN")
        );
    }

    #[test]
    fn the_go_env_file_is_read_as_go_reads_it() {
        let mut t = with_default("go1.23.5");
        t.file("m/go.mod", "go 1.30\n");
        t.set(
            "XDG_CONFIG_HOME",
            &t.root().join("cfg").display().to_string(),
        );
        t.set("APPDATA", &t.root().join("cfg").display().to_string());
        // `go env -w GOTOOLCHAIN=` writes an empty value: Go's default, no switching.
        t.file("cfg/go/env", "GOTOOLCHAIN=\n");
        assert_eq!(t.pick("m", &[]), p("go1.23.5", "default"));
        // A CR is part of the value.
        t.file("cfg/go/env", "GOTOOLCHAIN=go1.21.0\r\n");
        assert!(t.err("m", &[]).contains("invalid GOTOOLCHAIN"));
        t.file("cfg/go/env", "GOWORK=off\r\n");
        assert_eq!(t.err("m", &[]), "invalid GOWORK: not an absolute path");
        // Invalid UTF-8 elsewhere hides nothing.
        t.file("cfg/go/env", "GOFLAGS=\u{fffd}\nGOTOOLCHAIN=local\n");
        std::fs::write(
            t.root().join("cfg/go/env"),
            b"GOFLAGS=\xff\xfe\nGOTOOLCHAIN=local\n",
        )
        .unwrap();
        assert_eq!(t.pick("m", &[]), p("go1.23.5", "default"));
        // A relative XDG_CONFIG_HOME means there is no env file at all (on Unix: Windows
        // reads `%APPDATA%` only).
        #[cfg(unix)]
        {
            t.file("home/.config/go/env", "GOTOOLCHAIN=local\n");
            t.set("XDG_CONFIG_HOME", "relative");
            assert_eq!(t.pick("m", &[]), p("go1.30.0", "go-mod"));
        }
    }

    /// XDG_CONFIG_HOME is a Unix rule: Windows reads `%APPDATA%`.
    #[cfg(unix)]
    #[test]
    fn a_relative_xdg_config_home_depends_on_the_release() {
        for (d, want) in [("go1.23.5", "go1.23.5"), ("go1.24.4", "go1.30.0")] {
            let mut t = with_default(d);
            t.file("m/go.mod", "go 1.30\n");
            t.file("m/xdg/go/env", "GOTOOLCHAIN=local\n");
            t.set("XDG_CONFIG_HOME", "xdg");
            assert_eq!(
                t.pick("m", &[]).0,
                want,
                "{d}: relative to the folder Go started in, up to 1.23"
            );
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_go_mod_in_tmpdir_stops_the_search() {
        let mut t = with_default("go1.23.5");
        t.file("go.mod", "go 1.30\n");
        t.file("tmp/go.mod", "go 1.31\n");
        assert_eq!(t.pick("tmp/sub", &[]), p("go1.23.5", "default"));
        // A TMPDIR reached through a link is compared after resolving it.
        std::os::unix::fs::symlink(t.root().join("tmp"), t.root().join("tmplink")).unwrap();
        t.set("TMPDIR", &t.root().join("tmplink").display().to_string());
        assert_eq!(t.pick("tmp/sub", &[]), p("go1.23.5", "default"));
        t.set("TMPDIR", &t.root().join("elsewhere").display().to_string());
        assert_eq!(t.pick("tmp/sub", &[]), p("go1.31.0", "go-mod"));
    }

    #[test]
    fn a_relative_gowork_fails_only_when_module_files_are_read() {
        let mut t = with_default("go1.24.4");
        t.file("m/go.mod", "go 1.30\n");
        t.set("GOWORK", "rel/go.work");
        assert_eq!(t.err("m", &[]), "invalid GOWORK: not an absolute path");
        for (k, v) in [
            ("GOTOOLCHAIN", "local"),
            ("GOTOOLCHAIN", "go1.24.4"),
            ("GO111MODULE", "off"),
        ] {
            let mut t2 = with_default("go1.24.4");
            t2.file("m/go.mod", "go 1.30\n");
            t2.set("GOWORK", "rel/go.work").set(k, v);
            assert_eq!(t2.pick("m", &[]).0, "go1.24.4", "{k}={v}");
        }
        assert_eq!(t.pick("m", &["env", "GOTOOLCHAIN"]).0, "go1.24.4");
        assert_eq!(t.pick("m", &["install", "m@v1"]).0, "go1.24.4");
        let t = {
            let mut t = with_default("go1.25.12");
            t.file("m/go.mod", "go 1.30\n");
            t.set("GOWORK", "rel/go.work");
            t
        };
        assert!(
            t.run("m", &["install", "m@v1"]).is_err(),
            "1.25 reads module files"
        );
    }

    #[test]
    fn module_lines_are_trimmed_of_every_unicode_space() {
        let t = with_default("go1.23.5");
        for (i, sp) in ["\u{b}", "\u{c}", "\u{a0}", "\u{2003}", "\u{3000}", "\u{85}"]
            .iter()
            .enumerate()
        {
            let dir = format!("m{i}");
            t.file(
                &format!("{dir}/go.mod"),
                &format!("module x\n{sp}go 1.30{sp}\n"),
            );
            assert_eq!(t.pick(&dir, &[]), p("go1.30.0", "go-mod"), "{sp:?}");
        }
        // A zero-width space is not a space.
        t.file("z/go.mod", "module x\n\u{200b}go 1.30\n");
        assert_eq!(t.pick("z", &[]), p("go1.23.5", "default"));
    }

    /// The walk probes each level through a handle on its folder: 300 levels deep it still
    /// finds the nearest files of each kind, at different heights, by their full paths.
    #[test]
    fn a_very_deep_walk_finds_the_nearest_files() {
        let t = with_default("go1.23.5");
        let deep: String = std::iter::once("p/")
            .chain(std::iter::repeat_n("d/", 299))
            .collect();
        t.file("p/.go-version", "1.22.4\n");
        t.file(&format!("{}go.mod", &deep[..2 * 250]), "go 1.21.0\n");
        t.file(&format!("{}x", deep), "");
        let s = t.run(&deep, &[]).unwrap();
        assert_eq!(s.request, Request::Exact("go1.22.4".into()));
        // A pin above the module is the user's default there (`PinAbove`).
        assert_eq!(
            s.source.file_line().map(|(f, _)| f.to_path_buf()),
            Some(t.root().join("p/.go-version"))
        );
        assert_eq!(
            s.project_root,
            Some(t.root().join(&deep[..2 * 250 - 1])),
            "the go.mod 50 levels up is the project"
        );
        // A go.mod asking for more than the default decides.
        t.file(&format!("{}go.mod", &deep[..2 * 250]), "go 1.31\n");
        assert_eq!(t.pick(&deep, &[]), p("go1.31.0", "go-mod"));
    }

    #[cfg(unix)]
    #[test]
    fn chdir_dot_keeps_the_logical_pwd() {
        let mut t = with_default("go1.23.5");
        t.file("real/sub/x", "");
        t.file("go.mod", "go 1.30\n");
        t.file("link-parent/go.mod", "go 1.31\n");
        std::os::unix::fs::symlink(t.root().join("real/sub"), t.root().join("link-parent/sub"))
            .unwrap();
        let logical = t.root().join("link-parent/sub");
        t.set("PWD", &logical.display().to_string());
        let cwd = logical
            .strip_prefix(t.root())
            .unwrap()
            .to_str()
            .unwrap()
            .to_string();
        assert_eq!(t.pick(&cwd, &["-C", ".", "build"]), p("go1.31.0", "go-mod"));
        assert_eq!(
            t.pick(&cwd, &["-C", "..", "build"]).0,
            "go1.30.0",
            "physical parent"
        );
    }

    #[test]
    fn release_dependent_rules() {
        // GO111MODULE=auto with only a go.work turns modules on from 1.27.
        for (d, want) in [("go1.26.10", "go1.26.10"), ("go1.27.3", "go1.30.0")] {
            let mut t = with_default(d);
            t.file("w/go.work", "go 1.30\n");
            t.set("GO111MODULE", "auto");
            assert_eq!(t.pick("w", &[]).0, want, "{d}");
        }
        // A toolchain line equal to the local version switches in 1.21 only.
        for (d, want) in [
            ("go1.21.13-custom", "go1.21.13"),
            ("go1.22.12-custom", "go1.22.12-custom"),
        ] {
            let t = with_default(d);
            let v = d.trim_end_matches("-custom");
            t.file("m/go.mod", &format!("go 1.21\ntoolchain {v}\n"));
            assert_eq!(t.pick("m", &[]).0, want, "{d}");
        }
    }

    #[test]
    fn harmless_but_wrong_cases_match_go() {
        let t = with_default("go1.23.5");
        for (i, text) in ["go 2\n", "go 2.0\n", "go 1.21\ntoolchain go2.0.0\n"]
            .iter()
            .enumerate()
        {
            let dir = format!("m{i}");
            t.file(&format!("{dir}/go.mod"), text);
            let e = t.err(&dir, &[]);
            assert!(e.starts_with("invalid GOTOOLCHAIN \"go2"), "{text:?}: {e}");
        }
        let mut t = with_default("go1.23.5");
        t.file("m/go.mod", "go 1.30\n");
        std::fs::create_dir_all(t.root().join("wdir")).unwrap();
        t.set("GOWORK", &t.root().join("wdir").display().to_string());
        assert!(
            t.err("m", &[]).contains("GOWORK names a folder"),
            "a GOWORK folder is an error"
        );
        let t = with_default("go1.23.5");
        t.file("m/go.mod", "go 1.30\n");
        assert!(
            t.err("m", &["-C", "missing", "build"])
                .starts_with("chdir missing:")
        );
        std::fs::create_dir_all(t.root().join("m/d")).unwrap();
        t.file("m/d/go.mod", "go 1.31\n");
        assert_eq!(t.pick("m", &["bogus", "-C", "d"]).0, "go1.30.0");
        assert_eq!(t.pick("m", &["help", "-C", "d"]).0, "go1.30.0");
        assert_eq!(t.pick("m", &["mod", "bogus", "-C", "d"]).0, "go1.30.0");
        assert_eq!(t.pick("m", &["mod", "-C", "d", "tidy"]).0, "go1.31.0");
        assert_eq!(t.pick("m", &["mod", "tidy", "-C", "d"]).0, "go1.31.0");
        assert_eq!(t.pick("m", &["version", "-C", "d"]).0, "go1.31.0");
        // `go telemetry` is a command from 1.23 only.
        let t2 = with_default("go1.22.12");
        t2.file("m/go.mod", "go 1.30\n");
        t2.file("m/d/go.mod", "go 1.31\n");
        assert_eq!(t2.pick("m", &["telemetry", "-C", "d"]).0, "go1.30.0");
        assert_eq!(t.pick("m", &["telemetry", "-C", "d"]).0, "go1.31.0");
        // GOTOOLCHAIN=go2.0.0 is refused, as the name Go would run (go2.0.0+auto too: no go
        // line is newer than 2.0.0).
        let mut t = with_default("go1.23.5");
        t.file("m/go.mod", "go 1.30\n");
        t.set("GOTOOLCHAIN", "go2.0.0");
        assert_eq!(t.err("m", &[]), "invalid GOTOOLCHAIN \"go2.0.0\"");
        t.set("GOTOOLCHAIN", "go2.0.0+auto");
        assert_eq!(t.err("m", &[]), "invalid GOTOOLCHAIN \"go2.0.0\"");
    }
}

#[test]
fn go_env_writes_name_the_users_own_settings() {
    let t = T::new();
    t.file("m/go.mod", "go 1.23\n");
    let names = |args: &[&str]| t.run("m", args).unwrap().user_settings;
    assert_eq!(names(&["env", "-w", "GOTOOLCHAIN=auto"]), ["GOTOOLCHAIN"]);
    assert_eq!(
        names(&["env", "-w", "GOCACHE=/c", "GOFLAGS=-x"]),
        ["GOCACHE", "GOFLAGS"]
    );
    assert_eq!(
        names(&["-C", ".", "env", "-u", "GOMODCACHE"]),
        ["GOMODCACHE"]
    );
    assert_eq!(names(&["env", "GOTOOLCHAIN"]), ["GOTOOLCHAIN"]);
    assert!(names(&["env", "GOTOOLCHAIN", "GOMOD"]).is_empty());
    assert!(names(&["env", "GOCACHE"]).is_empty());
    assert!(names(&["build"]).is_empty());
}

#[test]
fn gowork_off_inside_a_workspace_keeps_the_workspace_as_the_project() {
    let mut t = T::new();
    t.file("ws/go.work", "go 1.23\nuse ./a\n");
    t.file("ws/a/go.mod", "module a\ngo 1.22\n");
    t.file("solo/go.mod", "module s\ngo 1.22\n");
    let root = t.root();
    assert_eq!(
        t.run("ws/a", &[]).unwrap().project_root,
        Some(root.join("ws"))
    );
    t.set("GOWORK", "off");
    let s = t.run("ws/a/sub", &["list"]).unwrap();
    assert_eq!(
        s.project_root,
        Some(root.join("ws")),
        "the workspace's caches"
    );
    assert_eq!(
        s.module.map(|m| m.path),
        Some(root.join("ws/a/go.mod")),
        "selection still reads only the module"
    );
    assert_eq!(
        t.run("solo", &[]).unwrap().project_root,
        Some(root.join("solo"))
    );
}

#[test]
fn chdir_to_a_file_is_an_error_like_go() {
    let t = T::new();
    t.file("m/go.mod", "go 1.30\n");
    t.file("m/afile", "");
    let e = t.err("m", &["-C", "afile", "build"]);
    assert!(e.starts_with("chdir afile:"), "{e}");
}

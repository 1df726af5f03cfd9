//! The generator, sampler, classifier and shrinker, without running any Go.

use super::cases::{self, Case, File, Versions};
use super::classify::{Outcome, Verdict, classify_go, classify_gomux, verdict};
use super::observe::Bench;
use super::shrink;
use super::{Options, choose, fixture_goroots, gomux_binary};

fn v(name: &str) -> Versions {
    Versions::from_name(name).unwrap()
}

fn options(seed: u64, sample: Option<usize>, full: bool) -> Options {
    Options {
        goroots: Vec::new(),
        fixtures: None,
        seed,
        sample,
        full,
        keep: false,
        build: false,
        ci: false,
        cases: Vec::new(),
        report: None,
    }
}

#[test]
fn the_corpus_is_the_same_on_every_run() {
    let a = cases::corpus();
    let b = cases::corpus();
    assert_eq!(a, b);
    assert_eq!(a.len(), cases::FULL);
    assert_eq!(cases::generate(17), a[17]);
    // Not all the same case.
    assert_ne!(a[0], a[1]);
}

#[test]
fn the_corpus_uses_every_form() {
    let corpus = cases::corpus();
    let texts: Vec<String> = corpus
        .iter()
        .map(|c| format!("{c:?}").replace("\\\"", "\""))
        .collect();
    let seen = |needle: &str| texts.iter().any(|t| t.contains(needle));
    for needle in [
        "toolchain default",
        "go {Nrc}",
        "go 2.0",
        "\\u{a0}",
        "\\u{2003}",
        "\\u{b}",
        "\\u{c}",
        "\\r\\n",
        "GOTOOLCHAIN=\\r",
        "\"GOENV\"",
        "\"XDG_CONFIG_HOME\", \"xdg\"",
        "\"GOWORK\", \"go.work\"",
        "\"GO111MODULE\", \"auto\"",
        "\"TMPDIR\", \"{root}/tl\"",
        "\"--C=",
        "\"-C=",
        "\"--C\"",
        "nowhere",
        ".hidden@v1.0.0",
        "\"bogus\"",
        "args: []",
        "go{L}-custom",
        "go1.30.0-custom",
        "fakes: [\"go",
        "links: [(\"l\"",
        "X{xff}=1",
        "local+path",
        "toolchain go{Big} custom",
    ] {
        assert!(seen(needle), "no generated case has `{needle}`");
    }
}

#[test]
fn versions_are_relative_to_the_release() {
    let r = v("go1.22.12");
    assert_eq!(
        r.fill("{L} {Lang} {Op} {Om} {Olang}", "/r"),
        "1.22.12 1.22 1.22.11 1.21.4 1.21"
    );
    assert_eq!(
        r.fill("{Np} {Nm} {Nlang} {Nrc}", "/r"),
        "1.22.13 1.23.0 1.23 1.23rc1"
    );
    assert_eq!(
        r.fill("{Big} {Biglang} {LN}", "/r"),
        "1.30.0 1.30 go1.22.12"
    );
    assert_eq!(r.fill("{root}/w {nope} {", "/r"), "/r/w {nope} {");
    // An x.y.0 release has no older patch: the older minor stands in.
    assert_eq!(v("go1.24.0").fill("{Op}", ""), "1.23.5");
    assert!(Versions::from_name("devel go1.25-abc").is_none());
    // `{root}` survives resolution; the runner fills it.
    let c = Case {
        env: vec![("GOWORK".into(), "{root}/go.work".into())],
        args: vec!["go{Nm}".into()],
        ..empty()
    };
    let r = r.resolve(&c);
    assert_eq!(r.env[0].1, "{root}/go.work");
    assert_eq!(r.args[0], "go1.23.0");
}

#[test]
fn an_invalid_byte_stays_invalid() {
    let text = v("go1.22.12").fill("X{xff}=1\n", "");
    assert_eq!(cases::to_bytes(&text), b"X\xff=1\n");
}

#[test]
fn the_sample_is_seeded_sorted_and_sized() {
    let a = choose(1500, &options(7, Some(300), false));
    assert_eq!(a, choose(1500, &options(7, Some(300), false)));
    assert_eq!(a.len(), 300);
    assert!(a.windows(2).all(|w| w[0] < w[1]));
    assert_ne!(a, choose(1500, &options(8, Some(300), false)));
    assert_eq!(choose(1500, &options(7, None, true)).len(), 1500);
    assert_eq!(choose(10, &options(7, Some(300), false)).len(), 10);
}

#[test]
fn go_outcomes() {
    let local = "go1.22.12";
    let go = |out: &str, err: &str| classify_go(Some(1), out, err, local);
    assert_eq!(
        go(
            "",
            "go: downloading go1.30.0 (linux/amd64)\ngo: download go1.30.0 for linux/amd64: toolchain not available\n"
        ),
        Outcome::Runs("go1.30.0".into())
    );
    assert_eq!(
        go(
            "",
            "go: download go1.30.0 custom: non-semver module version \"v0.0.1-go1.30.0 custom.linux-amd64\"\n"
        ),
        Outcome::Runs("go1.30.0 custom".into())
    );
    assert_eq!(
        go("", "go: cannot find \"go1.30.0-custom\" in PATH\n"),
        Outcome::Runs("go1.30.0-custom".into())
    );
    assert_eq!(
        go(
            "",
            "go: invalid toolchain: go1.23 is a language version but not a toolchain version (go1.23.x)\n"
        ),
        Outcome::Runs("go1.23".into())
    );
    assert_eq!(
        go("FAKE go1.23.0 SWITCH=go1.23.0\n", ""),
        Outcome::Runs("go1.23.0".into())
    );
    assert_eq!(
        go(
            "",
            "go: GOPATH entry cannot start with shell metacharacter '~': \"~bad\"\n"
        ),
        Outcome::Runs(local.into())
    );
    assert_eq!(
        go("", "Go is a tool for managing Go source code.\n\nUsage:\n"),
        Outcome::Runs(local.into())
    );
    assert_eq!(
        classify_go(Some(0), "usage: go build [-o output]\n", "", local),
        Outcome::Runs(local.into())
    );
    for (err, class) in [
        ("go: invalid GOTOOLCHAIN \"go2\"\n", "invalid-gotoolchain"),
        (
            "go: invalid GOTOOLCHAIN \"x+y\": only version suffixes are +auto and +path\n",
            "invalid-gotoolchain",
        ),
        (
            "go: invalid toolchain \"banana\" in go.mod\n",
            "invalid-toolchain-line",
        ),
        (
            "go: go: invalid GOWORK: not an absolute path\n",
            "relative-gowork",
        ),
        ("go: chdir nowhere: no such file or directory\n", "chdir"),
        (
            "go: toolchain go1.22.12 invoked to provide go1.30.0\n",
            "switch-mismatch",
        ),
        ("go: read /r/w: is a directory\n", "gowork-is-a-directory"),
    ] {
        assert_eq!(go("", err), Outcome::Error(class.into()), "{err}");
    }
    assert!(
        matches!(go("", "go: something new\n"), Outcome::Other(s) if s.contains("something new"))
    );
}

#[test]
fn gomux_outcomes() {
    assert_eq!(
        classify_gomux(
            Some(0),
            "{\"schema_version\": 1, \"request\": {\"value\": \"go1.30.0\", \"kind\": \"exact\"}, \"toolchain\": \"x\"}",
            ""
        ),
        Outcome::Runs("go1.30.0".into())
    );
    let err = |e: &str| classify_gomux(Some(1), "", e);
    assert_eq!(
        err("error: invalid GOTOOLCHAIN \"go2\"\nhint: GOTOOLCHAIN is set in the environment\n"),
        Outcome::Error("invalid-gotoolchain".into())
    );
    assert_eq!(
        err("error: invalid toolchain \"banana\" in go.mod\n"),
        Outcome::Error("invalid-toolchain-line".into())
    );
    assert_eq!(
        err("error: invalid GOWORK: not an absolute path\n"),
        Outcome::Error("relative-gowork".into())
    );
    assert_eq!(
        err(
            "error: toolchain `go1 x` (from GOTOOLCHAIN) cannot be used: a toolchain name may only use letters\n"
        ),
        Outcome::Error("unusable-name".into())
    );
    assert!(
        matches!(err("error: disk on fire\n"), Outcome::Error(c) if c == "other: disk on fire")
    );
    assert!(matches!(
        classify_gomux(Some(0), "not json", ""),
        Outcome::Other(_)
    ));
}

#[test]
fn verdicts() {
    let runs = |n: &str| Outcome::Runs(n.into());
    let err = |c: &str| Outcome::Error(c.into());
    assert_eq!(
        verdict(&runs("go1.30.0"), &runs("go1.30.0")),
        Verdict::Agree
    );
    assert_eq!(verdict(&err("chdir"), &err("chdir")), Verdict::Agree);
    assert_eq!(
        verdict(&runs("go1.30.0"), &runs("go1.22.12")),
        Verdict::Disagree
    );
    assert_eq!(
        verdict(&err("chdir"), &err("relative-gowork")),
        Verdict::Disagree
    );
    assert_eq!(
        verdict(&runs("go1.30.0 custom"), &err("unusable-name")),
        Verdict::Deliberate
    );
    assert_eq!(
        verdict(&runs("go1.30.0"), &err("unusable-name")),
        Verdict::Disagree
    );
    let other = Outcome::Other("x".into());
    assert_eq!(verdict(&other, &runs("go1.30.0")), Verdict::Disagree);
}

fn empty() -> Case {
    Case {
        id: 0,
        files: Vec::new(),
        links: Vec::new(),
        dirs: Vec::new(),
        env: Vec::new(),
        cwd: String::new(),
        args: Vec::new(),
        fakes: Vec::new(),
    }
}

#[test]
fn shrinking_keeps_only_what_the_disagreement_needs() {
    let big = Case {
        files: vec![
            File {
                path: "w/m/go.mod".into(),
                text: "module m\ngo 1.30\ntoolchain go1.2\n// x\n".into(),
            },
            File {
                path: "home/.config/go/env".into(),
                text: "GOFLAGS=x\n".into(),
            },
        ],
        links: vec![("tl".into(), "w/m".into())],
        dirs: vec!["w/m/a".into()],
        env: vec![
            ("GOWORK".into(), "off".into()),
            ("GOTOOLCHAIN".into(), "auto".into()),
        ],
        cwd: "w/m/a/b".into(),
        args: vec!["-C".into(), "d".into(), "build".into(), "./...".into()],
        fakes: vec!["go1.30.0".into()],
        ..empty()
    };
    // The "bug": GOTOOLCHAIN set, a `go 1.30` line, and `build`.
    let mut tries = 0;
    let small = shrink::shrink(&big, 1000, |c| {
        tries += 1;
        c.env.iter().any(|(k, _)| k == "GOTOOLCHAIN")
            && c.files.iter().any(|f| f.text.contains("go 1.30\n"))
            && c.args.iter().any(|a| a == "build")
    });
    assert_eq!(
        small,
        Case {
            files: vec![File {
                path: "w/m/go.mod".into(),
                text: "go 1.30\n".into()
            }],
            env: vec![("GOTOOLCHAIN".into(), "auto".into())],
            cwd: "w".into(),
            args: vec!["build".into()],
            ..empty()
        }
    );
    // A budget bounds the work.
    let mut n = 0;
    shrink::shrink(&big, 5, |_| {
        n += 1;
        false
    });
    assert_eq!(n, 5);
}

#[test]
fn a_link_the_working_folder_needs_stays() {
    let c = Case {
        links: vec![("l".into(), "w/m".into())],
        cwd: "l".into(),
        ..empty()
    };
    assert!(shrink::candidates(&c).iter().all(|x| x.links.len() == 1));
}

#[test]
fn kept_cases_round_trip_and_parse() {
    let c = Case {
        files: vec![File {
            path: "w/go.mod".into(),
            text: "go {Nm}\r\n".into(),
        }],
        env: vec![("GOTOOLCHAIN".into(), "path".into())],
        cwd: "w".into(),
        args: vec!["build".into()],
        ..empty()
    };
    let json = cases::to_json(&[&c, &c]).unwrap();
    let back = cases::parse_cases(&json, 100).unwrap();
    assert_eq!(back.len(), 2);
    assert_eq!(back[1].id, 101);
    assert_eq!(
        Case {
            id: 0,
            ..back[0].clone()
        },
        c
    );
    // The file in the repository parses, and keeps no case twice.
    let kept = cases::regressions().unwrap();
    for (i, a) in kept.iter().enumerate() {
        for b in &kept[i + 1..] {
            assert_ne!(Case { id: 0, ..a.clone() }, Case { id: 0, ..b.clone() });
        }
    }
    assert!(cases::parse_cases("[{\"bogus\": 1}]", 0).is_err());
}

#[test]
fn rendering_shows_invisible_characters() {
    let c = Case {
        files: vec![File {
            path: "w/go.mod".into(),
            text: "go 1.30\u{a0}\r\n\tgo 1".into(),
        }],
        args: vec![
            "env".into(),
            "-w".into(),
            "GOTOOLCHAIN=".into(),
            "a b".into(),
        ],
        ..empty()
    };
    let r = cases::render(&c);
    assert!(r.contains("| go 1.30\\u{a0}\\u{d}\n"), "{r}");
    assert!(r.contains("| \\tgo 1\n"), "{r}");
    assert!(r.contains("(no newline at the end)"), "{r}");
    assert!(r.contains("in   .: go env -w GOTOOLCHAIN= 'a b'"), "{r}");
}

/// Real Go's answers, as the harness observes and classifies them, on the oldest release of
/// `GOMUX_FIXTURES` (skipped without it, a failure with `GOMUX_REQUIRE_FIXTURES=1`).
#[test]
fn real_go_answers_are_observed_and_classified() {
    let Some(fixtures) = std::env::var_os("GOMUX_FIXTURES") else {
        assert!(
            std::env::var_os("GOMUX_REQUIRE_FIXTURES").is_none_or(|v| v != "1"),
            "GOMUX_REQUIRE_FIXTURES=1 but GOMUX_FIXTURES is not set"
        );
        eprintln!("skipped: GOMUX_FIXTURES is not set");
        return;
    };
    let roots = fixture_goroots(std::path::Path::new(&fixtures)).unwrap();
    let gomux = gomux_binary(false).unwrap();
    let base = tempfile::tempdir().unwrap();
    let bench = Bench::create(base.path(), &roots[0], &gomux, false).unwrap();
    bench.calibrate(cases::COMMANDS).unwrap();
    let versions = Versions::from_name(&bench.name).unwrap();
    let file = |path: &str, text: &str| File {
        path: path.into(),
        text: text.into(),
    };
    let case = |files: Vec<File>, env: &[(&str, &str)], args: &[&str]| Case {
        files,
        env: env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        cwd: "w".into(),
        args: args.iter().map(|a| a.to_string()).collect(),
        ..empty()
    };
    let runs = |n: &str| Outcome::Runs(n.into());
    let err = |c: &str| Outcome::Error(c.into());
    let local = bench.name.clone();
    let mut with_fake = case(vec![], &[("GOTOOLCHAIN", "go{Big}+path")], &["version"]);
    with_fake.fakes = vec!["go{Big}".into()];
    for (c, want) in [
        (
            case(vec![file("w/go.mod", "go {Big}\n")], &[], &["build"]),
            runs("go1.30.0"),
        ),
        (
            case(
                vec![file("w/go.mod", "go {Big}\n")],
                &[("GOTOOLCHAIN", "local")],
                &["build"],
            ),
            runs(&local),
        ),
        (
            case(vec![], &[("GOTOOLCHAIN", "go{Big}+path")], &["version"]),
            runs("go1.30.0"),
        ),
        (with_fake, runs("go1.30.0")),
        (
            case(vec![], &[("GOTOOLCHAIN", "banana")], &["version"]),
            err("invalid-gotoolchain"),
        ),
        (
            case(
                vec![file("w/go.mod", "toolchain banana\n")],
                &[],
                &["version"],
            ),
            err("invalid-toolchain-line"),
        ),
        (
            case(vec![], &[("GOWORK", "go.work")], &["build"]),
            err("relative-gowork"),
        ),
        (
            case(vec![], &[("GOWORK", "{root}/w")], &["build"]),
            err("gowork-is-a-directory"),
        ),
        (
            case(vec![], &[], &["-C", "nowhere", "version"]),
            err("chdir"),
        ),
        (case(vec![], &[], &[]), runs(&local)),
        (case(vec![], &[], &["help", "build"]), runs(&local)),
    ] {
        let (go, _) = bench.observe(&versions.resolve(&c)).unwrap();
        assert_eq!(go, want, "{}", cases::render(&c));
    }
}

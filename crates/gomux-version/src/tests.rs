use super::*;
use std::cmp::Ordering::{Equal, Greater, Less};

#[test]
fn parse_valid_and_invalid() {
    for ok in [
        "1",
        "1.2",
        "1.21",
        "1.21.0",
        "1.21rc1",
        "1.21rc",
        "1.20",
        "1.9beta2",
        "1.999testmod",
        "1.21pre3",
        "1.99999999999999999",
        "0",
        "1.0",
        "1.0.0",
        "2.0.0",
    ] {
        assert!(is_valid(ok), "{ok} should be valid");
    }
    for bad in [
        "",
        "x",
        "v1.21",
        "go1.21",
        "1.",
        "1.21.",
        "01.2",
        "1.021",
        "1.21.00",
        "1.21.0rc1",
        "1.21RC1",
        "1.21 ",
        " 1.21",
        "1.600+auto",
        "1.21.0-bigcorp",
        "1.21rc01",
        "1.21rc1x",
        "1..2",
        ".1",
        "1.2.3.4",
        "1.21-rc1",
        "-1.2",
    ] {
        assert!(!is_valid(bad), "{bad:?} should be invalid");
    }
}

#[test]
fn language_version_rule() {
    let v = Version::parse("1.20").unwrap();
    assert_eq!(v.patch, "0");
    let v = Version::parse("1.21").unwrap();
    assert_eq!(v.patch, "");
    let v = Version::parse("1").unwrap();
    assert_eq!((v.minor, v.patch), ("0", "0"));
}

fn assert_ordered(chain: &[&str]) {
    for (i, a) in chain.iter().enumerate() {
        for (j, b) in chain.iter().enumerate() {
            assert_eq!(compare(a, b), i.cmp(&j), "compare({a}, {b})");
        }
    }
}

#[test]
fn ordering_within_a_modern_family() {
    assert_ordered(&[
        "1.21",
        "1.21alpha1",
        "1.21beta1",
        "1.21rc",
        "1.21rc1",
        "1.21rc2",
        "1.21.0",
        "1.21.1",
        "1.21.10",
        "1.22",
    ]);
}

#[test]
fn ordering_within_an_old_family() {
    assert_ordered(&["1.20beta1", "1.20rc1", "1.20rc3", "1.20", "1.20.1"]);
    assert_eq!(compare("1.20", "1.20.0"), Equal);
}

#[test]
fn ordering_edges() {
    assert_eq!(compare("1.9", "1.10"), Less);
    assert_eq!(compare("1.99999999999999999", "1.100000000000000000"), Less);
    assert_eq!(
        compare("1.3", "1.3rc1"),
        Greater,
        "pre-1.21 1.3 == 1.3.0 > rc"
    );
    assert_eq!(compare("1", "1.0.0"), Equal);
    assert_eq!(compare("1.0", "1"), Equal);
    assert_eq!(compare("2", "1.999"), Greater);
    assert_eq!(compare("1.21.0", "1.21"), Greater);
    assert_eq!(compare("1.22", "1.21.99"), Greater);
}

#[test]
fn invalid_is_equal_to_invalid_and_below_valid() {
    assert_eq!(compare("x", "y"), Equal);
    assert_eq!(compare("", "banana"), Equal);
    assert_eq!(compare("x", "0"), Less);
    assert_eq!(compare("1.21", "junk"), Greater);
}

#[test]
fn max_ties_go_to_first() {
    assert_eq!(max("1.20", "1.20.0"), "1.20");
    assert_eq!(max("1.20.0", "1.20"), "1.20.0");
    assert_eq!(max("1.21", "1.21.0"), "1.21.0");
}

#[test]
fn lang_and_is_lang() {
    assert_eq!(lang("1.21.3"), "1.21");
    assert_eq!(lang("1.21rc1"), "1.21");
    assert_eq!(lang("1"), "1");
    assert_eq!(lang("1.0"), "1");
    assert_eq!(lang("1.0.1"), "1");
    assert_eq!(lang("2.0"), "2.0");
    assert_eq!(lang("bad"), "");
    assert!(is_lang("1.21"));
    assert!(is_lang("1.22"));
    assert!(!is_lang("1.20"));
    assert!(!is_lang("1"));
    assert!(!is_lang("1.21.0"));
    assert!(!is_lang("1.21rc1"));
}

#[test]
fn toolchain_names() {
    assert_eq!(from_toolchain("go1.22.3"), Some("1.22.3"));
    assert_eq!(from_toolchain("go1.22.3-bigcorp"), Some("1.22.3"));
    assert_eq!(from_toolchain("go1.21.0 X:boringcrypto"), Some("1.21.0"));
    assert_eq!(from_toolchain("go1.21.0\tX"), Some("1.21.0"));
    assert_eq!(from_toolchain("go1.21rc2"), Some("1.21rc2"));
    assert_eq!(from_toolchain("go1.2.3+bigcorp"), None);
    assert_eq!(from_toolchain("go1.999999-/run.sh"), None);
    assert_eq!(from_toolchain("go1.22\\x"), None);
    assert_eq!(from_toolchain("1.22.3"), None);
    assert_eq!(from_toolchain("gccgo-go1.25.0"), None);
    assert_eq!(from_toolchain("go"), None);
    assert_eq!(from_toolchain("devel go1.25-abcdef"), None);
    assert_eq!(compare_names("go1.21.0", "go1.21.0-custom"), Equal);
    assert_eq!(compare_names("go1.21.0", "go1.22.0"), Less);
}

#[test]
fn go_line_and_release_names() {
    assert_eq!(go_line_toolchain("1.22"), "go1.22.0");
    assert_eq!(go_line_toolchain("1.21"), "go1.21.0");
    assert_eq!(go_line_toolchain("1.22.3"), "go1.22.3");
    assert_eq!(go_line_toolchain("1.25rc1"), "go1.25rc1");
    assert_eq!(go_line_toolchain("1.15"), "go1.15");
    assert_eq!(go_line_toolchain("1.300"), "go1.300.0");
    assert_eq!(release_name("1.20.0").as_deref(), Some("go1.20"));
    assert_eq!(release_name("1.20").as_deref(), Some("go1.20"));
    assert_eq!(release_name("1.22").as_deref(), Some("go1.22.0"));
    assert_eq!(release_name("1.22.0").as_deref(), Some("go1.22.0"));
    assert_eq!(release_name("1.19.13").as_deref(), Some("go1.19.13"));
    assert_eq!(release_name("1.21rc2").as_deref(), Some("go1.21rc2"));
    assert_eq!(release_name("bad"), None);
}

#[test]
fn requests() {
    let exact = |s: &str| Request::Exact(s.to_string());
    let family = |s: &str| Request::Family(s.to_string());
    assert_eq!(Request::parse("1.22.3"), Ok(exact("go1.22.3")));
    assert_eq!(Request::parse("go1.22.3"), Ok(exact("go1.22.3")));
    assert_eq!(Request::parse("1.22"), Ok(family("1.22")));
    assert_eq!(Request::parse("go1.22"), Ok(family("1.22")));
    assert_eq!(Request::parse("1.20"), Ok(family("1.20")));
    assert_eq!(Request::parse("1.20.0"), Ok(exact("go1.20")));
    assert_eq!(Request::parse("1.21rc2"), Ok(exact("go1.21rc2")));
    assert_eq!(
        Request::parse("go1.22.3-bigcorp"),
        Ok(exact("go1.22.3-bigcorp"))
    );
    for bad in [
        "",
        "-1.22",
        "1.22/../x",
        "..",
        "1.22\\x",
        "1.22 3",
        "latest",
        "1",
        "go",
        "go1.22.3-",
        "go1.22.3-a/b",
        "1.22.3-x y",
        "v1.22",
        "1.22.3rc1",
        "go1.22.3-..",
    ] {
        assert!(Request::parse(bad).is_err(), "{bad:?} should be refused");
    }
}

#[test]
fn request_pick() {
    let names = [
        "go1.22.1",
        "go1.22.10",
        "go1.22.2",
        "go1.22rc1",
        "go1.22.11-bigcorp",
        "go1.23.0",
        "go1.20",
        "go1.20.3",
        "system",
    ];
    assert_eq!(
        Request::Family("1.22".into()).pick(names),
        Some("go1.22.10")
    );
    assert_eq!(Request::Family("1.20".into()).pick(names), Some("go1.20.3"));
    assert_eq!(Request::Family("1.21".into()).pick(names), None);
    assert_eq!(
        Request::Exact("go1.22.2".into()).pick(names),
        Some("go1.22.2")
    );
    assert_eq!(Request::Exact("system".into()).pick(names), Some("system"));
}

/// The one-pass pick gives what the definition says (every member, the greatest by
/// `compare_names`), whatever the folder's order.
#[test]
fn request_pick_is_order_free_and_matches_the_definition() {
    let mut names = vec![
        "go1.22.9",
        "go1.22.10",
        "go1.22",
        "go1.22rc2",
        "go1.22.3-custom",
        "go1.2.22",
        "go1.21.22",
        "go1.22.0",
        "go1",
        "go1.0.1",
        "system",
        "go1.220.1",
        "go1.9.1",
        "go1.22.1",
    ];
    let families = ["1.22", "1.2", "1", "1.21", "1.220", "1.9", "2", ""];
    for round in 0..names.len() {
        names.rotate_left(1);
        if round % 2 == 1 {
            names.reverse();
        }
        for family in families {
            let r = Request::Family(family.to_string());
            let want = names
                .iter()
                .copied()
                .filter(|n| r.matches(n))
                .max_by(|a, b| compare_names(a, b));
            assert_eq!(r.pick(names.iter().copied()), want, "{family} in {names:?}");
        }
    }
    for (text, version, is) in [
        ("1.22", "1.22.3", true),
        ("1.2", "1.22.3", false),
        ("1.22", "1.2.2", false),
        ("1", "1.0.1", true),
        ("1.0", "1.0.1", false),
        ("1", "1.1.0", false),
    ] {
        let v = Version::parse(version).unwrap();
        assert_eq!(v.lang().is(text), is, "{version} in {text}");
        assert_eq!(
            v.lang().to_string() == text,
            is,
            "{version} shown as {text}"
        );
    }
}

#[test]
fn safe_names() {
    assert!(is_safe_name("go1.22.3"));
    assert!(is_safe_name("go1.22.3-bigcorp"));
    for bad in [
        "",
        ".",
        "..",
        "a/b",
        "-x",
        ".hidden",
        "a..b",
        "a b",
        "a\\b",
        "go1.21.0 X:boringcrypto",
    ] {
        assert!(!is_safe_name(bad), "{bad:?}");
    }
}

mod prop {
    use super::*;
    use proptest::prelude::*;

    fn version_like() -> impl Strategy<Value = String> {
        prop_oneof![
            "[0-9.a-z]{0,12}",
            (0u32..3, 0u32..30, proptest::option::of(0u32..20)).prop_map(|(a, b, c)| match c {
                Some(c) => format!("{a}.{b}.{c}"),
                None => format!("{a}.{b}"),
            }),
            (0u32..30, "(alpha|beta|rc|)", proptest::option::of(0u32..5)).prop_map(
                |(b, k, p)| format!("1.{b}{k}{}", p.map(|p| p.to_string()).unwrap_or_default())
            ),
        ]
    }

    proptest! {
        #[test]
        fn parsing_never_panics(s in "\\PC{0,24}") {
            let _ = Version::parse(&s);
            let _ = from_toolchain(&s);
            let _ = Request::parse(&s);
            let _ = release_name(&s);
            let _ = lang(&s);
        }

        #[test]
        fn order_is_total_and_consistent(a in version_like(), b in version_like(), c in version_like()) {
            // antisymmetry
            prop_assert_eq!(compare(&a, &b), compare(&b, &a).reverse());
            // transitivity
            if compare(&a, &b) != Greater && compare(&b, &c) != Greater {
                prop_assert_ne!(compare(&a, &c), Greater);
            }
            // sorting agrees with pairwise comparison
            let mut v = [a.clone(), b.clone(), c.clone()];
            v.sort_by(|x, y| compare(x, y));
            for w in v.windows(2) {
                prop_assert_ne!(compare(&w[0], &w[1]), Greater);
            }
        }

        #[test]
        fn accepted_requests_are_safe(s in "\\PC{0,24}") {
            if let Ok(Request::Exact(name)) = Request::parse(&s) {
                prop_assert!(is_safe_name(&name), "{name}");
            }
        }
    }
}

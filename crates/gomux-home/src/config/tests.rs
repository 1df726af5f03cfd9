//! The registry's and the resolver's tests.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use super::*;
use crate::settings::SettingsError;

fn vars(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<OsString> {
    move |k: &str| {
        pairs
            .iter()
            .find(|(n, _)| *n == k)
            .map(|(_, v)| OsString::from(v))
    }
}

fn settings(text: &str) -> Settings {
    Settings::parse(Path::new("/h/settings.toml"), text).unwrap()
}

fn ok<'s>(s: &'s Settings) -> impl FnOnce() -> Result<&'s Settings, SettingsError> {
    move || Ok(s)
}

#[test]
fn the_registry_is_complete_and_consistent() {
    let keys = [
        keys::DEFAULT_TOOLCHAIN,
        keys::AUTO_INSTALL,
        keys::PREFER_INSTALLED,
        keys::CACHE_MODE,
        keys::CACHE_ROOT,
        keys::CACHE_FORCE,
        keys::CACHE_MODULE_STORE,
        keys::CACHE_BASE,
        keys::CACHE_REMOTE,
        keys::CACHE_REMOTE_MODE,
        keys::DIST_SERVER,
        keys::DIST_INDEX,
        keys::DIST_SOURCE,
        keys::DIST_ALLOW_UNVERIFIED,
        keys::SELF_UPDATE_URL,
    ];
    assert_eq!(known_keys().collect::<Vec<_>>(), keys);
    for (i, d) in ALL.iter().enumerate() {
        assert!(d.var.is_some() || d.key.is_some(), "{d:?}");
        assert!(
            !d.doc.trim().is_empty() && !d.default.trim().is_empty(),
            "{d:?}"
        );
        if let Some(var) = d.var {
            assert!(env::find(var).is_some(), "{var} is not in env::VARS");
            assert_eq!(find_var(var), Some(d));
        }
        if let Some(key) = d.key {
            assert_eq!(find_key(key), Some(d));
        }
        if matches!(d.kind, Kind::Bool | Kind::OptIn) {
            assert!(
                ["`true`", "`false`", "off"].contains(&d.default),
                "{}: a flag's default is `true` or `false`",
                d.name()
            );
        }
        assert!(!ALL[..i].contains(d), "{} twice", d.name());
    }
}

#[test]
fn the_variable_beats_the_file_which_beats_the_default() {
    let s = settings("\n[cache]\nmode = \"shared\"\nroot = \"\"\n");
    let none = vars(&[]);
    assert_eq!(
        CACHE_MODE.lookup(&none, ok(&s)).unwrap(),
        Some((
            Raw::Str("shared"),
            Origin::Setting {
                file: PathBuf::from("/h/settings.toml"),
                key: "cache.mode",
                line: 3
            }
        ))
    );
    // An empty string in the file and an empty variable count as unset.
    assert_eq!(CACHE_ROOT.lookup(&none, ok(&s)).unwrap(), None);
    let empty = vars(&[("GOMUX_CACHE_MODE", "")]);
    assert!(matches!(
        CACHE_MODE.lookup(&empty, ok(&s)).unwrap(),
        Some((_, Origin::Setting { .. }))
    ));
    let env = vars(&[("GOMUX_CACHE_MODE", "off")]);
    assert_eq!(
        CACHE_MODE.lookup(&env, ok(&s)).unwrap(),
        Some((Raw::Var("off".into()), Origin::Variable("GOMUX_CACHE_MODE")))
    );
    // The variable decides without reading the settings.
    let unread = || -> Result<&Settings, SettingsError> { panic!("settings read") };
    assert!(CACHE_MODE.lookup(&env, unread).unwrap().is_some());
    assert_eq!(
        Origin::Setting {
            file: "/h/settings.toml".into(),
            key: "cache.mode",
            line: 3
        }
        .to_string(),
        "setting `cache.mode` in `/h/settings.toml:3`"
    );
    assert_eq!(
        Origin::Variable("GOMUX_CACHE_DIR").to_string(),
        "variable `GOMUX_CACHE_DIR`"
    );
    assert_eq!(Origin::Default.to_string(), "the default");
}

#[test]
fn flags_read_variables_and_booleans() {
    let empty = settings("");
    for (value, on) in [
        ("0", false),
        ("false", false),
        ("no", false),
        ("off", false),
        ("1", true),
        ("yes", true),
        ("anything", true),
    ] {
        let get = move |k: &str| (k == "GOMUX_AUTO_INSTALL").then(|| OsString::from(value));
        assert_eq!(
            AUTO_INSTALL.flag(&get, ok(&empty)).unwrap(),
            (on, Origin::Variable("GOMUX_AUTO_INSTALL")),
            "{value}"
        );
    }
    let none = vars(&[]);
    assert_eq!(
        AUTO_INSTALL.flag(&none, ok(&empty)).unwrap(),
        (true, Origin::Default)
    );
    assert_eq!(
        CACHE_FORCE.flag(&none, ok(&empty)).unwrap(),
        (false, Origin::Default)
    );
    let off = settings("auto_install = false\n");
    assert!(!AUTO_INSTALL.flag(&none, ok(&off)).unwrap().0);
    let bad = settings("\nauto_install = \"no\"\n");
    let e = AUTO_INSTALL.flag(&none, ok(&bad)).unwrap_err().to_string();
    assert_eq!(
        e,
        "/h/settings.toml:2: `auto_install` must be `true` or `false`, not a string"
    );
    for (value, on) in [("1", true), ("true", true), ("yes", false), ("0", false)] {
        let get = move |k: &str| (k == "GOMUX_DIST_ALLOW_HTTP").then(|| OsString::from(value));
        assert_eq!(
            DIST_ALLOW_HTTP.flag(&get, ok(&empty)).unwrap().0,
            on,
            "{value}"
        );
    }
}

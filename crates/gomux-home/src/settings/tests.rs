//! The settings reader's and editor's tests, with a property test against a real TOML parser.

use super::*;

fn parse(text: &str) -> Result<Settings, SettingsError> {
    Settings::parse(Path::new("settings.toml"), text)
}

fn edit(text: &str, key: &str, value: Option<&Value>) -> String {
    parse(text).unwrap().edit(text, key, value).unwrap()
}

fn string(s: &str) -> Value {
    Value::String(s.to_string())
}

#[test]
fn parses_the_subset() {
    let s = parse(
        "\u{feff}# gomux settings\r\ndefault_toolchain = \"go1.22.3\" # pinned\r\nauto_install = false\n\n[cache]\nmode = 'project'\nroot = \"D:\\\\caches\"\n[future.table]\nwhatever = 12\n",
    )
    .unwrap();
    assert_eq!(s.default_toolchain().unwrap(), Some("go1.22.3"));
    assert_eq!(s.get_bool(keys::AUTO_INSTALL).unwrap(), Some(false));
    assert_eq!(s.get_str(keys::CACHE_MODE).unwrap(), Some("project"));
    assert_eq!(s.get_str(keys::CACHE_ROOT).unwrap(), Some("D:\\caches"));
    assert_eq!(s.get("future.table.whatever"), Some(&Value::Integer(12)));
}

#[test]
fn what_gomux_does_not_know_is_skipped() {
    let s = parse(concat!(
        "mirrors = [\"a\", 'b', [1, 2.5], { x = 1 }]\n",
        "more = [\n  \"c\", # a comment\n  \"d\",\n]\n",
        "point = { x = 1, y = { z = \"deep\" } }\n",
        "notes = \"\"\"\ndefault_toolchain = \"go1.0.0\"\n[cache]\n\"\"\"\n",
        "raw = '''\nauto_install = true\n'''\n",
        "when = 1979-05-27 07:32:00Z\n",
        "day = 1979-05-27\n",
        "pi = 3.14\n",
        "big = 1e6\n",
        "neg = -inf\n",
        "\"quoted key\" = 1\n",
        "[[plugins]]\n",
        "name = \"x\"\n",
        "default_toolchain = \"not this one\"\n",
        "[future]\n",
        "list = []\n",
        "[dist]\n",
        "server = \"file:///m\"\n",
    ))
    .unwrap();
    assert_eq!(s.default_toolchain().unwrap(), None);
    assert_eq!(s.get_bool(keys::AUTO_INSTALL).unwrap(), None);
    assert_eq!(s.get_str(keys::DIST_SERVER).unwrap(), Some("file:///m"));
    assert_eq!(s.get("point.y.z"), Some(&string("deep")));
    // Inline tables and quoted keys are read like any other key.
    let s = parse("cache = { mode = \"shared\" }\n'default_toolchain' = \"go1.22.1\"\n").unwrap();
    assert_eq!(s.get_str(keys::CACHE_MODE).unwrap(), Some("shared"));
    assert_eq!(s.default_toolchain().unwrap(), Some("go1.22.1"));
    // A quoted key with a dot in it is one key, not a table.
    let s = parse("\"cache.mode\" = \"job\"\n").unwrap();
    assert_eq!(s.get_str(keys::CACHE_MODE).unwrap(), None);
}

#[test]
fn errors_name_the_line() {
    let e = parse("a = 1\nb = nope\n").unwrap_err().to_string();
    assert!(e.starts_with("settings.toml:2: "), "{e}");
    let e = parse("[cache\n").unwrap_err().to_string();
    assert!(e.contains(":1:"), "{e}");
    let e = parse("a = \"x\nb=1").unwrap_err().to_string();
    assert!(e.contains(":1:"), "{e}");
    let e = parse("x = [\n1,\n2\n3]\n").unwrap_err().to_string();
    assert!(e.contains(":4:"), "{e}");
    let e = parse("auto_install = 1\nauto_install = 2\n")
        .unwrap_err()
        .to_string();
    assert!(e.contains(":2:") && e.contains("set twice"), "{e}");
    let e = parse("\n\nauto_install = \"yes\"\n")
        .unwrap()
        .get_bool(keys::AUTO_INSTALL)
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        "settings.toml:3: `auto_install` must be `true` or `false`, not a string"
    );
    // A known key set to what gomux does not read is an error when it is read.
    for (text, line, found) in [
        ("default_toolchain = [\"go1.22\"]\n", 1, "an array"),
        ("x = 1\ndefault_toolchain = { v = 1 }\n", 2, "a table"),
        ("[cache]\nmode = 1979-05-27\n", 2, "a date-time"),
        ("[cache.mode]\nx = 1\n", 1, "a table"),
        ("cache.mode.x = 1\n", 1, "a table"),
    ] {
        let s = parse(text).unwrap();
        let key = if text.contains("mode") {
            keys::CACHE_MODE
        } else {
            keys::DEFAULT_TOOLCHAIN
        };
        let e = s.get_str(key).unwrap_err().to_string();
        assert!(
            e.starts_with(&format!(
                "settings.toml:{line}: `{key}` must be a string, not {found}"
            )),
            "{text:?}: {e}"
        );
    }
    // Nesting is bounded, not a stack overflow.
    let deep = format!("x = {}\n", "[".repeat(100_000));
    assert!(
        parse(&deep)
            .unwrap_err()
            .to_string()
            .contains("nested too deeply")
    );
    // Untrusted text in a message is escaped.
    let e = parse("a = \x1b[2K\n").unwrap_err().to_string();
    assert!(e.contains("\\x1b[2K") && !e.contains('\x1b'), "{e}");
}

#[test]
fn edits_keep_other_lines() {
    let original = "# mine\ndefault_toolchain = \"go1.21.0\"\n\n[cache]\nmode = \"shared\" # keep\n\n[other]\nx = 1\n";
    let t = edit(original, "default_toolchain", Some(&string("go1.22.3")));
    assert_eq!(t, original.replace("go1.21.0", "go1.22.3"));
    let t = edit(original, "cache.root", Some(&string("/data")));
    let s = parse(&t).unwrap();
    assert_eq!(s.get_str("cache.root").unwrap(), Some("/data"));
    assert_eq!(s.get_str("cache.mode").unwrap(), Some("shared"));
    assert!(
        t.contains("mode = \"shared\" # keep\nroot = \"/data\"\n\n[other]"),
        "{t}"
    );
    let t = edit(original, "dist.server", Some(&string("file:///m")));
    assert!(t.ends_with("\n\n[dist]\nserver = \"file:///m\"\n"), "{t}");
    let t = edit("", "default_toolchain", Some(&string("go1.22.0")));
    assert_eq!(t, "default_toolchain = \"go1.22.0\"\n");
    let t = edit(
        "[cache]\nmode = \"off\"\n",
        "auto_install",
        Some(&Value::Bool(false)),
    );
    assert_eq!(t, "auto_install = false\n[cache]\nmode = \"off\"\n");
    let t = edit(original, "cache.mode", None);
    assert!(!t.contains("mode ="), "{t}");
    // The table left empty goes with its last key; one with anything else in it stays.
    assert_eq!(
        t,
        "# mine\ndefault_toolchain = \"go1.21.0\"\n\n[other]\nx = 1\n"
    );
    let added = edit(original, "dist.server", Some(&string("file:///m")));
    assert_eq!(
        edit(&added, "dist.server", None),
        original,
        "set then unset"
    );
    let crlf = "a = 1\r\n\r\n[cache]\r\nmode = \"off\"\r\n";
    assert_eq!(edit(crlf, "cache.mode", None), "a = 1\r\n");
    for kept in [
        "[cache]\n# why\nmode = \"off\"\n",
        "[cache] # mine\nmode = \"off\"\n",
        "[cache]\nmode = \"off\"\nroot = \"/r\"\n",
        "[cache]\nmode = \"off\"\nother = 1\n",
    ] {
        let t = edit(kept, "cache.mode", None);
        assert!(t.starts_with("[cache]"), "{kept:?} -> {t:?}");
        assert!(!t.contains("mode ="), "{t}");
    }
    // Unknown forms stay byte for byte, and a multi-line value is never taken for keys.
    let other = "mirrors = [\n  \"a\",\n]\nnote = \"\"\"\ndefault_toolchain = 1\n\"\"\"\n[cache]\nx = { a = 1 }\n";
    let t = edit(other, "default_toolchain", Some(&string("go1.23.0")));
    assert_eq!(
        t,
        other.replace(
            "\"\"\"\n[cache]",
            "\"\"\"\ndefault_toolchain = \"go1.23.0\"\n[cache]"
        )
    );
    // A value written another way is replaced in place, in the way it was written.
    let t = edit(
        "cache = { mode = \"off\" } # c\n",
        "cache.mode",
        Some(&string("job")),
    );
    assert_eq!(t, "cache = { mode = \"job\" } # c\n");
    let t = edit("cache.root = '/x'\n", "cache.mode", Some(&string("job")));
    assert_eq!(t, "cache.root = '/x'\ncache.mode = \"job\"\n");
    let t = edit(
        "default_toolchain = [1]\r\n",
        "default_toolchain",
        Some(&string("go1.2")),
    );
    assert_eq!(t, "default_toolchain = \"go1.2\"\r\n");
    // What cannot be edited safely is refused, naming the line.
    let s = parse("cache = { root = \"/x\" }\n").unwrap();
    assert!(s.edit("", "cache.mode", Some(&string("job"))).is_err());
    // Control characters are written as escapes and read back the same.
    let t = edit("", "default_toolchain", Some(&string("a\u{1}b\"\\")));
    assert_eq!(
        parse(&t).unwrap().default_toolchain().unwrap(),
        Some("a\u{1}b\"\\")
    );
}

fn locked(dir: &Path) -> UpdateLock {
    UpdateLock::acquire(&dir.join(".update-settings.lock")).unwrap()
}

#[test]
fn update_round_trips_through_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let lock = locked(dir.path());
    let path = dir.path().join("sub").join("settings.toml");
    Settings::update(&path, "default_toolchain", Some(&string("go1.22.3")), &lock).unwrap();
    Settings::update(&path, "cache.mode", Some(&string("job")), &lock).unwrap();
    let s = Settings::load(&path).unwrap();
    assert_eq!(s.default_toolchain().unwrap(), Some("go1.22.3"));
    assert_eq!(s.get_str("cache.mode").unwrap(), Some("job"));
    std::fs::write(&path, "broken = \n").unwrap();
    assert!(Settings::update(&path, "x", Some(&Value::Bool(true)), &lock).is_err());
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "broken = \n");
    let left: Vec<_> = std::fs::read_dir(path.parent().unwrap()).unwrap().collect();
    assert_eq!(left.len(), 1, "no temporary file beside settings.toml");
}

#[cfg(unix)]
#[test]
fn a_fifo_is_an_error_not_a_wait() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("settings.toml");
    let made = std::process::Command::new("mkfifo")
        .arg(&path)
        .status()
        .unwrap();
    assert!(made.success());
    let e = Settings::load(&path).unwrap_err();
    assert!(e.to_string().contains("is not a regular file"), "{e}");
    assert!(e.hint().unwrap().contains("regular text file"));
    std::fs::remove_file(&path).unwrap();
    std::fs::File::create(&path)
        .unwrap()
        .set_len(MAX_SIZE + 1)
        .unwrap();
    assert!(
        Settings::load(&path)
            .unwrap_err()
            .to_string()
            .contains("larger than")
    );
}

mod against_toml {
    use super::*;
    use proptest::prelude::*;

    /// The key paths the generator sets: gomux's keys, their tables, and unknown ones.
    fn key_path() -> impl Strategy<Value = Vec<String>> {
        prop_oneof![
            Just(vec!["default_toolchain"]),
            Just(vec!["auto_install"]),
            Just(vec!["cache", "mode"]),
            Just(vec!["cache", "root"]),
            Just(vec!["cache", "force"]),
            Just(vec!["dist", "server"]),
            Just(vec!["dist", "index"]),
            Just(vec!["cache"]),
            Just(vec!["dist"]),
            Just(vec!["mirrors"]),
            Just(vec!["cache", "mode", "x"]),
            Just(vec!["future", "thing"]),
            Just(vec!["cache.mode"]),
        ]
        .prop_map(|v| v.into_iter().map(str::to_string).collect())
    }

    /// A key part written bare, `"basic"` or `'literal'`.
    fn write_part(part: &str, style: u8) -> String {
        let bare = part
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        match style % 3 {
            0 if bare => part.to_string(),
            1 | 0 => format!("\"{part}\""),
            _ => format!("'{part}'"),
        }
    }

    fn text_value() -> impl Strategy<Value = String> {
        "[a-z0-9./:_ \\\\\"'#=\\[\\]{}\u{e9}\u{1}\t-]{0,12}"
    }

    /// A value in one of the forms TOML has.
    fn value() -> impl Strategy<Value = String> {
        let leaf = prop_oneof![
            text_value().prop_map(|s| Value::String(s).to_string()),
            "[a-z0-9./: \"#=\\[\\]]{0,10}".prop_map(|s| format!("'{s}'")),
            "[a-z0-9./: '\"#=\\[\\]\n]{0,12}".prop_map(|s| format!("'''{s}'''")),
            "[a-z0-9./: '#=\\[\\]\n]{0,12}".prop_map(|s| format!("\"\"\"\n{s}\"\"\"")),
            any::<bool>().prop_map(|b| b.to_string()),
            any::<i64>().prop_map(|i| i.to_string()),
            (0i64..1_000_000).prop_map(|i| format!("0x{i:x}")),
            Just("1_000".to_string()),
            Just("3.25".to_string()),
            Just("-inf".to_string()),
            Just("1979-05-27".to_string()),
            Just("1979-05-27 07:32:00Z".to_string()),
            Just("07:32:00".to_string()),
            Just("\"\\u00e9\\t\\\\\"".to_string()),
            Just("\"a\\\"b\"".to_string()),
        ];
        leaf.prop_recursive(2, 8, 3, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..3)
                    .prop_map(|v| format!("[{}]", v.join(", "))),
                prop::collection::vec(inner.clone(), 1..3)
                    .prop_map(|v| format!("[\n  {},\n]", v.join(",\n  # c\n  "))),
                prop::collection::vec((key_path(), inner), 0..3).prop_map(|v| {
                    let kv: Vec<String> = v
                        .into_iter()
                        .map(|(k, v)| format!("{} = {v}", k.join(".")))
                        .collect();
                    format!("{{ {} }}", kv.join(", "))
                }),
            ]
        })
    }

    #[derive(Debug, Clone)]
    enum Line {
        Blank,
        Comment,
        Header(Vec<String>, bool),
        Entry(Vec<String>, u8, String, bool),
    }

    fn line() -> impl Strategy<Value = Line> {
        prop_oneof![
            1 => Just(Line::Blank),
            1 => Just(Line::Comment),
            2 => (key_path(), any::<bool>()).prop_map(|(k, arr)| Line::Header(k, arr)),
            6 => (key_path(), any::<u8>(), value(), any::<bool>())
                .prop_map(|(k, s, v, c)| Line::Entry(k, s, v, c)),
        ]
    }

    fn render(lines: &[Line], crlf: bool) -> String {
        let nl = if crlf { "\r\n" } else { "\n" };
        let mut out = String::new();
        for l in lines {
            match l {
                Line::Blank => {}
                Line::Comment => out.push_str("# a comment = \"x\" [cache]"),
                Line::Header(k, arr) => {
                    let name: Vec<String> = k.iter().map(|p| write_part(p, 0)).collect();
                    let name = name.join(".");
                    out.push_str(&if *arr {
                        format!("[[{name}]]")
                    } else {
                        format!("[ {name} ]")
                    });
                }
                Line::Entry(k, style, v, comment) => {
                    let key: Vec<String> = k
                        .iter()
                        .enumerate()
                        .map(|(i, p)| write_part(p, style.wrapping_add(i as u8)))
                        .collect();
                    out.push_str(&format!("{} = {v}", key.join(" . ")));
                    if *comment {
                        out.push_str(" # note");
                    }
                }
            }
            out.push_str(nl);
        }
        out
    }

    /// What a real TOML parser finds at a dotted path: a value gomux reads, something
    /// else, or nothing.
    fn lookup(doc: &toml::Table, key: &str) -> Option<Result<Value, ()>> {
        let parts: Vec<&str> = key.split('.').collect();
        let mut table = doc;
        for (i, part) in parts.iter().enumerate() {
            let v = table.get(*part)?;
            if i + 1 == parts.len() {
                return Some(match v {
                    toml::Value::String(s) => Ok(Value::String(s.clone())),
                    toml::Value::Boolean(b) => Ok(Value::Bool(*b)),
                    toml::Value::Integer(n) => Ok(Value::Integer(*n)),
                    _ => Err(()),
                });
            }
            table = v.as_table()?;
        }
        None
    }

    fn check(text: &str) -> Result<(), TestCaseError> {
        let theirs = text.parse::<toml::Table>();
        let ours = parse(text);
        if let Ok(doc) = &theirs {
            // What TOML accepts, gomux reads too: a valid file never breaks a `go` call.
            let ours = ours.as_ref().map_err(|e| {
                TestCaseError::fail(format!("gomux rejects valid TOML: {e}\n{text}"))
            })?;
            for key in crate::config::known_keys() {
                let mine = match ours.entry(key).map(|e| &e.setting) {
                    None => None,
                    Some(Setting::Value(v)) => Some(Ok(v.clone())),
                    Some(Setting::Other(_)) => Some(Err(())),
                };
                prop_assert_eq!(mine, lookup(doc, key), "`{}` in\n{}", key, text);
            }
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]
        #[test]
        fn gomux_reads_what_toml_reads(lines in prop::collection::vec(line(), 0..8), crlf in any::<bool>()) {
            check(&render(&lines, crlf))?;
        }

        #[test]
        fn edits_are_read_back_by_toml(lines in prop::collection::vec(line(), 0..6), k in 0..crate::config::known_keys().count(), v in text_value()) {
            let text = render(&lines, false);
            let key = crate::config::known_keys().nth(k).unwrap();
            if text.parse::<toml::Table>().is_ok()
                && let Ok(s) = parse(&text)
                && let Ok(new) = s.edit(&text, key, Some(&Value::String(v.clone())))
            {
                let doc = new
                    .parse::<toml::Table>()
                    .map_err(|e| TestCaseError::fail(format!("{e}\n{new}")))?;
                prop_assert_eq!(lookup(&doc, key), Some(Ok(Value::String(v))), "{}", new);
                check(&new)?;
            }
        }
    }
}

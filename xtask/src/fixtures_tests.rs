use super::*;

fn args(list: &[&str]) -> Vec<OsString> {
    list.iter().map(OsString::from).collect()
}

const LINUX_AMD64: Platform = Platform {
    goos: "linux",
    goarch: "amd64",
};

#[test]
fn default_arguments_fetch_debian_122_and_123() {
    let options = parse_args(args(&[])).unwrap().unwrap();
    assert_eq!(options.debian, ["1.22", "1.23"]);
    assert!(options.goroots.is_empty() && options.out.is_none() && !options.refresh);
}

#[test]
fn arguments_take_separate_and_inline_values() {
    let options = parse_args(args(&[
        "--out=/tmp/x",
        "--goroot",
        "/a",
        "--goroot=/b",
        "--refresh",
    ]))
    .unwrap()
    .unwrap();
    assert_eq!(options.out, Some(PathBuf::from("/tmp/x")));
    assert_eq!(options.goroots, [PathBuf::from("/a"), PathBuf::from("/b")]);
    assert!(options.debian.is_empty());
    assert!(options.refresh);
    let options = parse_args(args(&["--debian", "1.21", "--debian=1.19"]))
        .unwrap()
        .unwrap();
    assert_eq!(options.debian, ["1.21", "1.19"]);
    assert_eq!(parse_args(args(&["--help"])).unwrap(), None);
}

#[test]
fn bad_arguments_are_refused() {
    for bad in [
        &["--debian", "1.22.3"][..],
        &["--debian", "../x"],
        &["--debian", "go1.22"],
        &["--out"],
        &["--frobnicate"],
        &["--refresh=yes"],
        &["--goroot", "/a", "--debian", "1.22"],
    ] {
        assert!(parse_args(args(bad)).is_err(), "{bad:?} was accepted");
    }
}

#[test]
fn modes_follow_the_official_archives() {
    for (rel, mode) in [
        ("bin/go", 0o755),
        ("bin/gofmt", 0o755),
        ("pkg/tool/linux_amd64/compile", 0o755),
        ("src/make.bash", 0o755),
        ("src/run.rc", 0o755),
        ("src/cmd/dist/x.sh", 0o755),
        ("misc/x.pl", 0o755),
        ("misc/wasm/go_js_wasm_exec", 0o755),
        ("lib/wasm/go_wasip1_wasm_exec", 0o755),
        ("src/fmt/print.go", 0o644),
        ("VERSION", 0o644),
        ("go.env", 0o644),
        ("pkg/include/textflag.h", 0o644),
        ("misc/wasm/wasm_exec.js", 0o644),
        ("src/go_exec", 0o644),
    ] {
        assert_eq!(file_mode(rel), mode, "{rel}");
    }
}

#[test]
fn vcs_files_and_helper_tools_are_left_out() {
    for rel in [
        ".git",
        ".gitignore",
        "pkg/obj",
        "pkg/tool/linux_amd64/dist",
        "src/.DS_Store",
    ] {
        assert!(excluded(rel), "{rel}");
    }
    for rel in [
        "src/.gitignore",
        "pkg/tool/linux_amd64/compile",
        "src/cmd/dist",
        "pkg/include",
    ] {
        assert!(!excluded(rel), "{rel}");
    }
}

#[test]
fn rfc3339_times() {
    assert_eq!(parse_rfc3339("2025-01-31T18:38:03Z"), Some(1_738_348_683));
    assert_eq!(parse_rfc3339("2000-02-29T00:00:00Z"), Some(951_782_400));
    assert_eq!(
        parse_rfc3339("2025-01-10T18:44:59.25+02:00"),
        Some(1_736_527_499)
    );
    assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0));
    for bad in [
        "",
        "2025-01-31",
        "2025-13-01T00:00:00Z",
        "2025-01-31T18:38:03",
        "1969-12-31T00:00:00Z",
    ] {
        assert_eq!(parse_rfc3339(bad), None, "{bad}");
    }
}

#[test]
fn apt_policy_output_gives_candidates() {
    let output = "\
golang-1.22-go:
  Installed: (none)
  Candidate: 1.22.12-3~bpo12+1
  Version table:
     1.22.12-3~bpo12+1 100
        100 http://deb.debian.org/debian bookworm-backports/main amd64 Packages
golang-1.23-src:
  Installed: (none)
  Candidate: (none)
  Version table:
";
    assert_eq!(
        parse_policy(output),
        [
            (
                "golang-1.22-go".to_string(),
                Some("1.22.12-3~bpo12+1".to_string())
            ),
            ("golang-1.23-src".to_string(), None)
        ]
    );
}

#[test]
fn df_output_gives_free_bytes() {
    let output = "Filesystem     1024-blocks  Used Available Capacity Mounted on\n\
                  tmpfs             24576000     0  24576000       0% /dev/shm\n";
    assert_eq!(parse_df(output), Some(24_576_000 * 1024));
    assert_eq!(parse_df("Filesystem 1024-blocks\n"), None);
    assert_eq!(parse_df(""), None);
}

#[test]
fn platform_names_follow_the_downloads_page() {
    assert_eq!(
        LINUX_AMD64.archive_name("go1.22.3"),
        "go1.22.3.linux-amd64.tar.gz"
    );
    let arm = Platform {
        goos: "linux",
        goarch: "arm",
    };
    assert_eq!(arm.archive_name("go1.22.3"), "go1.22.3.linux-armv6l.tar.gz");
    assert_eq!(arm.tool_dir(), "pkg/tool/linux_arm");
}

#[test]
fn index_is_newest_first_with_one_space_indent() {
    let packed = |name: &str, sha: &str, size| Packed {
        name: name.to_string(),
        file_name: LINUX_AMD64.archive_name(name),
        sha256: sha.to_string(),
        size,
    };
    let text = index_json(
        &[
            packed("go1.9.2", "aa", 1),
            packed("go1.23rc1", "bb", 2),
            packed("go1.10", "cc", 3),
        ],
        LINUX_AMD64,
    )
    .unwrap();
    let expected = r#"[
 {
  "version": "go1.23rc1",
  "stable": false,
  "files": [
   {
    "filename": "go1.23rc1.linux-amd64.tar.gz",
    "os": "linux",
    "arch": "amd64",
    "version": "go1.23rc1",
    "sha256": "bb",
    "size": 2,
    "kind": "archive"
   }
  ]
 },
 {
  "version": "go1.10",
  "stable": true,
  "files": [
   {
    "filename": "go1.10.linux-amd64.tar.gz",
    "os": "linux",
    "arch": "amd64",
    "version": "go1.10",
    "sha256": "cc",
    "size": 3,
    "kind": "archive"
   }
  ]
 },
 {
  "version": "go1.9.2",
  "stable": true,
  "files": [
   {
    "filename": "go1.9.2.linux-amd64.tar.gz",
    "os": "linux",
    "arch": "amd64",
    "version": "go1.9.2",
    "sha256": "aa",
    "size": 1,
    "kind": "archive"
   }
  ]
 }
]
"#;
    assert_eq!(text, expected);
}

#[cfg(unix)]
mod on_disk {
    use super::*;
    use std::os::unix::fs::{PermissionsExt, symlink};

    fn write(path: &Path, text: &str) {
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }

    /// A GOROOT whose `bin/go` is a shell script answering `version` and `env GOROOT` like go.
    fn fake_goroot(root: &Path, name: &str) {
        write(
            &root.join("VERSION"),
            &format!("{name}\ntime 2025-01-10T16:44:59Z\n"),
        );
        let go = format!(
            "#!/bin/sh\nset -e\nroot=$(cd \"$(dirname \"$0\")/..\" && pwd)\n\
             case \"$1\" in\n version) echo \"go version {name} linux/amd64\" ;;\n \
             env) echo \"$root\" ;;\n *) exit 2 ;;\nesac\n"
        );
        write(&root.join("bin/go"), &go);
        fs::set_permissions(root.join("bin/go"), fs::Permissions::from_mode(0o700)).unwrap();
        write(&root.join("bin/gofmt"), "");
        write(&root.join("pkg/tool/linux_amd64/compile"), "compile");
        write(&root.join("pkg/tool/linux_amd64/dist"), "dist");
        write(&root.join("src/make.bash"), "echo");
        write(&root.join("src/fmt/print.go"), "package fmt\n");
        write(&root.join(".git/HEAD"), "ref");
        let long = format!("src/{}/deep.go", "d".repeat(120));
        write(&root.join(long), "package d\n");
        symlink("fmt/print.go", root.join("src/alias.go")).unwrap();
    }

    /// `(path, type, mode, mtime)` of every entry, and the file contents by path.
    #[allow(clippy::type_complexity)]
    fn list(
        archive: &Path,
    ) -> (
        Vec<(String, tar::EntryType, u32, u64)>,
        Vec<(String, String)>,
    ) {
        let mut tar = tar::Archive::new(GzDecoder::new(File::open(archive).unwrap()));
        let mut entries = Vec::new();
        let mut contents = Vec::new();
        for entry in tar.entries().unwrap() {
            let mut entry = entry.unwrap();
            let path = entry.path().unwrap().to_string_lossy().into_owned();
            let header = entry.header();
            entries.push((
                path.clone(),
                header.entry_type(),
                header.mode().unwrap(),
                header.mtime().unwrap(),
            ));
            let mut text = String::new();
            if entry.read_to_string(&mut text).is_ok() && !text.is_empty() {
                contents.push((path, text));
            }
        }
        (entries, contents)
    }

    fn goroot_options(roots: &[&Path], out: Option<PathBuf>) -> Options {
        Options {
            out,
            goroots: roots.iter().map(|r| r.to_path_buf()).collect(),
            ..Options::default()
        }
    }

    #[test]
    fn goroots_become_a_mirror_folder_that_is_reused() {
        let tmp = tempfile::tempdir().unwrap();
        let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
        fake_goroot(&a, "go1.98.1");
        fake_goroot(&b, "go1.99.0");
        let cache = tmp.path().join("cache");
        let options = goroot_options(&[&a, &b], None);
        let dir = build(&options, &cache, LINUX_AMD64).unwrap();
        assert!(
            dir.starts_with(&cache)
                && dir
                    .file_name()
                    .unwrap()
                    .to_string_lossy()
                    .starts_with("goroot-")
        );

        let mut names: Vec<String> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(
            names,
            [
                MARKER,
                "go1.98.1.linux-amd64.tar.gz",
                "go1.99.0.linux-amd64.tar.gz",
                INDEX,
            ]
        );
        let leftovers: Vec<_> = fs::read_dir(&cache)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with(".tmp-"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");

        let index: serde_json::Value =
            serde_json::from_str(&fs::read_to_string(dir.join(INDEX)).unwrap()).unwrap();
        let releases = index.as_array().unwrap();
        assert_eq!(releases[0]["version"], "go1.99.0");
        assert_eq!(releases[1]["version"], "go1.98.1");
        for release in releases {
            let file = &release["files"][0];
            let bytes = fs::read(dir.join(file["filename"].as_str().unwrap())).unwrap();
            assert_eq!(file["size"], bytes.len() as u64);
            assert_eq!(file["sha256"], hex(&Sha256::digest(&bytes)));
        }

        let (entries, contents) = list(&dir.join("go1.99.0.linux-amd64.tar.gz"));
        let mtime = parse_rfc3339("2025-01-10T16:44:59Z").unwrap();
        let find = |p: &str| {
            entries
                .iter()
                .find(|e| e.0.trim_end_matches('/') == p)
                .cloned()
        };
        assert_eq!(entries[0].0.trim_end_matches('/'), "go");
        assert!(
            entries
                .iter()
                .all(|e| e.0.starts_with("go/") || e.0 == "go" || e.0 == "go/")
        );
        assert!(
            entries.iter().all(|e| e.1.is_file() || e.1.is_dir()),
            "{entries:?}"
        );
        assert!(entries.iter().all(|e| e.3 == mtime));
        for dir in [
            "go/bin",
            "go/pkg",
            "go/pkg/tool",
            "go/pkg/tool/linux_amd64",
            "go/src",
            "go/src/fmt",
        ] {
            let entry = find(dir).unwrap_or_else(|| panic!("no entry for {dir}"));
            assert!(entry.1.is_dir() && entry.2 == 0o755, "{entry:?}");
        }
        assert_eq!(find("go/bin/go").unwrap().2, 0o755);
        assert_eq!(find("go/bin/gofmt").unwrap().2, 0o755);
        assert_eq!(find("go/src/make.bash").unwrap().2, 0o755);
        assert_eq!(find("go/VERSION").unwrap().2, 0o644);
        assert_eq!(find("go/src/fmt/print.go").unwrap().2, 0o644);
        assert!(find("go/pkg/tool/linux_amd64/dist").is_none());
        assert!(find("go/.git").is_none() && find("go/.git/HEAD").is_none());
        assert!(find(&format!("go/src/{}/deep.go", "d".repeat(120))).is_some());
        let alias = contents.iter().find(|c| c.0 == "go/src/alias.go").unwrap();
        assert_eq!(alias.1, "package fmt\n");

        // Same sources: the folder is reused as it is.
        let before = fs::metadata(dir.join(INDEX)).unwrap().modified().unwrap();
        assert_eq!(build(&options, &cache, LINUX_AMD64).unwrap(), dir);
        assert_eq!(
            fs::metadata(dir.join(INDEX)).unwrap().modified().unwrap(),
            before
        );

        // A folder without its marker is incomplete and is built again.
        fs::remove_file(dir.join(MARKER)).unwrap();
        assert_eq!(build(&options, &cache, LINUX_AMD64).unwrap(), dir);
        assert!(dir.join(MARKER).is_file());
    }

    #[test]
    fn out_folder_is_used_and_never_replaces_foreign_content() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("sdk");
        fake_goroot(&root, "go1.99.0");
        let cache = tmp.path().join("cache");
        let out = tmp.path().join("mirror");
        let dir = build(
            &goroot_options(&[&root], Some(out.clone())),
            &cache,
            LINUX_AMD64,
        )
        .unwrap();
        assert_eq!(dir, out);
        assert!(out.join(MARKER).is_file() && out.join("go1.99.0.linux-amd64.tar.gz").is_file());

        let foreign = tmp.path().join("photos");
        write(&foreign.join("cat.jpg"), "meow");
        let err = build(
            &goroot_options(&[&root], Some(foreign.clone())),
            &cache,
            LINUX_AMD64,
        )
        .unwrap_err();
        assert!(
            format!("{err:#}").contains("is not a fixtures folder"),
            "{err:#}"
        );
        assert!(foreign.join("cat.jpg").is_file());
    }

    #[test]
    fn a_go_that_prints_another_version_fails_the_check() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("sdk");
        fake_goroot(&root, "go1.99.0");
        write(&root.join("VERSION"), "go1.99.1\n");
        let err = build(
            &goroot_options(&[&root], None),
            &tmp.path().join("cache"),
            LINUX_AMD64,
        )
        .unwrap_err();
        assert!(format!("{err:#}").contains("`go version`"), "{err:#}");
    }

    #[test]
    fn goroots_without_a_release_version_or_for_another_platform_are_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("sdk");
        fake_goroot(&root, "go1.99.0");
        write(&root.join("VERSION"), "devel go1.24-abcdef\n");
        let cache = tmp.path().join("cache");
        let err = build(&goroot_options(&[&root], None), &cache, LINUX_AMD64).unwrap_err();
        assert!(
            format!("{err:#}").contains("not a Go release name"),
            "{err:#}"
        );

        write(&root.join("VERSION"), "go1.99.0\n");
        let arm = Platform {
            goos: "linux",
            goarch: "arm64",
        };
        let err = build(&goroot_options(&[&root], None), &cache, arm).unwrap_err();
        assert!(
            format!("{err:#}").contains("pkg/tool/linux_arm64"),
            "{err:#}"
        );
    }

    /// Debian's layout: `usr/lib/go-1.NN/src` is a symlink into `usr/share/go-1.NN`.
    fn debian_stage(stage: &Path) -> PathBuf {
        let root = stage.join("usr/lib/go-1.99");
        fake_goroot(&root, "go1.99.0");
        fs::remove_dir_all(root.join("src")).unwrap();
        write(
            &stage.join("usr/share/go-1.99/src/fmt/print.go"),
            "package fmt\n",
        );
        write(
            &stage.join("usr/share/go-1.99/pkg/include/textflag.h"),
            "#define X\n",
        );
        symlink("../../share/go-1.99/src", root.join("src")).unwrap();
        symlink(
            "../../../share/go-1.99/pkg/include",
            root.join("pkg/include"),
        )
        .unwrap();
        root
    }

    #[test]
    fn debian_symlinks_inside_the_stage_are_flattened() {
        let tmp = tempfile::tempdir().unwrap();
        let stage = fs::canonicalize(tmp.path()).unwrap().join("stage");
        let root = debian_stage(&stage);
        let out = tmp.path().join("out");
        fs::create_dir_all(&out).unwrap();
        let source = SdkSource {
            name: "go1.99.0".into(),
            root,
            confine: Some(stage),
        };
        let packed = pack(&source, LINUX_AMD64, &out).unwrap();
        let (entries, contents) = list(&out.join(&packed.file_name));
        assert!(entries.iter().all(|e| e.1.is_file() || e.1.is_dir()));
        let src = entries
            .iter()
            .find(|e| e.0.trim_end_matches('/') == "go/src")
            .unwrap();
        assert!(src.1.is_dir());
        assert!(contents.contains(&("go/src/fmt/print.go".into(), "package fmt\n".into())));
        assert!(contents.contains(&("go/pkg/include/textflag.h".into(), "#define X\n".into())));
        verify(
            &out.join(&packed.file_name),
            &packed,
            tmp.path(),
            LINUX_AMD64,
        )
        .unwrap();
    }

    #[test]
    fn symlinks_leaving_the_stage_or_looping_are_errors() {
        let tmp = tempfile::tempdir().unwrap();
        let base = fs::canonicalize(tmp.path()).unwrap();
        let stage = base.join("stage");
        let root = debian_stage(&stage);
        write(&base.join("outside/secret.go"), "package secret\n");
        symlink(base.join("outside"), root.join("misc")).unwrap();
        let out = base.join("out");
        fs::create_dir_all(&out).unwrap();
        let source = SdkSource {
            name: "go1.99.0".into(),
            root: root.clone(),
            confine: Some(stage.clone()),
        };
        let err = pack(&source, LINUX_AMD64, &out).unwrap_err();
        assert!(format!("{err:#}").contains("points outside"), "{err:#}");

        fs::remove_file(root.join("misc")).unwrap();
        symlink("..", root.join("src/fmt/up")).unwrap();
        let err = pack(&source, LINUX_AMD64, &out).unwrap_err();
        assert!(format!("{err:#}").contains("loops back"), "{err:#}");

        fs::remove_file(root.join("src/fmt/up")).unwrap();
        symlink("nowhere", root.join("api")).unwrap();
        let err = pack(&source, LINUX_AMD64, &out).unwrap_err();
        assert!(format!("{err:#}").contains("is broken"), "{err:#}");
    }
}

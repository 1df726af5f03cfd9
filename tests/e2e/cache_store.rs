//! The module store (`<root>/store/download`, shared by every project's `mod/cache/download`)
//! and the rule that a Go SDK's own tree is never a project, seen through a fake SDK: links,
//! `gomux cache list/clean/verify`, `gomux show`.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use gomux_tests::{Run, Sandbox};

use crate::cache::{build_in, cache_root, folder_of, h1, sdks};

fn project(sb: &Sandbox, name: &str) -> PathBuf {
    sb.write(
        &format!("{name}/go.mod"),
        &format!("module example.com/{name}\n\ngo 1.22\n"),
    );
    sb.work.join(name)
}

fn store_download(sb: &Sandbox) -> PathBuf {
    cache_root(sb).join("store").join("download")
}

/// Puts `example.com/m@v1.0.0` into the store as Go leaves it: zip, `.ziphash`, `.mod`.
fn put_module(download: &Path, body: &str) -> PathBuf {
    let at_v = download.join("example.com/m/@v");
    std::fs::create_dir_all(&at_v).unwrap();
    let zip_path = at_v.join("v1.0.0.zip");
    let name = "example.com/m@v1.0.0/m.go".to_string();
    let mut w = zip::ZipWriter::new(std::fs::File::create(&zip_path).unwrap());
    w.start_file(name.as_str(), zip::write::SimpleFileOptions::default())
        .unwrap();
    w.write_all(body.as_bytes()).unwrap();
    w.finish().unwrap();
    std::fs::write(
        at_v.join("v1.0.0.ziphash"),
        h1(&[(name, body.as_bytes().to_vec())]),
    )
    .unwrap();
    std::fs::write(at_v.join("v1.0.0.mod"), "module example.com/m\n").unwrap();
    zip_path
}

#[test]
fn each_project_links_its_downloads_to_one_store() {
    let sb = sdks();
    let (a, b) = (project(&sb, "a"), project(&sb, "b"));
    let (fa, fb) = (folder_of(&build_in(&sb, &a)), folder_of(&build_in(&sb, &b)));
    assert_ne!(fa, fb, "each project keeps its own GOMODCACHE");
    let store = store_download(&sb);
    for f in [&fa, &fb] {
        let link = f.join("mod/cache/download");
        assert_eq!(std::fs::read_link(&link).unwrap(), store, "{link:?}");
    }
    let marker = std::fs::read_to_string(cache_root(&sb).join("store/gomux-cache.txt")).unwrap();
    assert!(
        marker.starts_with("# gomux cache folder\nkind=store\n"),
        "{marker}"
    );

    // `gomux cache list` shows the store and its bytes; a project's size leaves it out.
    put_module(&store, &"x".repeat(4000));
    let l = sb.gomux(["cache", "list", "--json"]).ok().json();
    let items = l["folders"].as_array().unwrap();
    let of = |kind: &str| {
        items
            .iter()
            .find(|f| f["kind"] == kind)
            .unwrap_or_else(|| panic!("no {kind} in {l}"))
    };
    assert_eq!(of("store")["folder"], "store", "{l}");
    assert!(of("store")["size"].as_u64().unwrap() > 100, "{l}");
    assert!(of("project")["size"].as_u64().unwrap() < 1000, "{l}");
    let text = sb.gomux(["cache", "list"]).ok();
    assert!(text.stdout.contains("(module store"), "{text}");
    let show = sb.gomux(["cache", "dir"]).current_dir(&a).ok();
    assert!(show.stdout.contains("mod store"), "{show}");
    assert!(show.stdout.contains("shared by every project"), "{show}");

    // `clean --project` removes the project's folder, never the store (nor what is in it).
    let out = sb
        .gomux(["cache", "clean", "--project"])
        .current_dir(&a)
        .ok();
    assert!(!out.stdout.contains("removed store"), "{out}");
    assert!(!fa.exists());
    assert!(store.join("example.com/m/@v/v1.0.0.zip").is_file());
    // The next call makes the project's folder and the link again.
    build_in(&sb, &a);
    assert_eq!(
        std::fs::read_link(fa.join("mod/cache/download")).unwrap(),
        store
    );

    // `clean --store` removes the store (marker-checked); the next call heals the link.
    let out = sb.gomux(["cache", "clean", "--store"]).ok();
    assert!(out.stdout.contains("removed store"), "{out}");
    assert!(!store.exists());
    assert!(fb.join("mod").is_dir(), "the projects stay");
    build_in(&sb, &b);
    assert!(store.is_dir());
    assert!(fb.join("mod/cache/download").is_dir());
}

#[test]
fn the_store_can_be_turned_off_and_a_filled_folder_is_never_replaced() {
    let mut sb = sdks();
    let a = project(&sb, "a");
    sb.set_env("GOMUX_CACHE_MODULE_STORE", Some("0"));
    let fa = folder_of(&build_in(&sb, &a));
    let own = fa.join("mod/cache/download");
    assert!(!own.exists(), "no link with the store off");
    assert!(!cache_root(&sb).join("store").exists());
    // Go fills its own folder; then the store is turned on again (settings.toml this time).
    std::fs::create_dir_all(own.join("example.com")).unwrap();
    sb.set_env("GOMUX_CACHE_MODULE_STORE", None);
    build_in(&sb, &a);
    assert!(own.join("example.com").is_dir());
    assert!(
        !std::fs::symlink_metadata(&own)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    let show = sb.gomux(["cache", "dir"]).current_dir(&a).ok();
    assert!(show.stdout.contains("go clean -modcache"), "{show}");

    let settings = sb.gomux_home.join("settings.toml");
    let mut text = std::fs::read_to_string(&settings).unwrap_or_default();
    text.push_str("\n[cache]\nmodule_store = false\n");
    std::fs::write(&settings, text).unwrap();
    let b = project(&sb, "b");
    let fb = folder_of(&build_in(&sb, &b));
    assert!(!fb.join("mod/cache/download").exists());
}

#[test]
fn verify_reports_a_changed_zip_in_the_store() {
    let sb = sdks();
    let a = project(&sb, "a");
    build_in(&sb, &a);
    let zip = put_module(&store_download(&sb), "package m\n");
    let out = sb.gomux(["cache", "verify"]).current_dir(&a).ok();
    assert!(
        out.stdout.contains("1 module download in the module store"),
        "{out}"
    );

    // Same file names, other bytes; the recorded hash stays.
    let hash = std::fs::read(zip.with_extension("ziphash")).unwrap();
    put_module(&store_download(&sb), "package m // changed\n");
    std::fs::write(zip.with_extension("ziphash"), hash).unwrap();
    let out = sb.gomux(["cache", "verify"]).current_dir(&a).fails();
    assert!(out.stdout.contains("example.com/m v1.0.0"), "{out}");
    assert!(out.stdout.contains(&zip.display().to_string()), "{out}");
    assert!(out.stderr.contains("gomux cache verify --fix"), "{out}");
    let j = sb
        .gomux(["cache", "verify", "--all", "--json"])
        .fails()
        .json();
    assert_eq!(j["store"]["problems"][0]["problem"], "mismatch", "{j}");

    let out = sb.gomux(["cache", "verify", "--fix"]).current_dir(&a).ok();
    assert!(out.stdout.contains("removed"), "{out}");
    assert!(!zip.exists());
    sb.gomux(["cache", "verify"]).current_dir(&a).ok();
}

#[test]
fn go_inside_a_go_sdk_tree_gets_the_toolchain_caches() {
    let sb = sdks();
    // An SDK tree somewhere on disk (a checkout, an unpacked archive), not the one being run.
    let goroot = sb.root.join("elsewhere").join("go");
    gomux_tests::make_fake_sdk(&goroot, "go1.22.3");
    std::fs::create_dir_all(goroot.join("src/net/http")).unwrap();
    std::fs::write(goroot.join("src/go.mod"), "module std\n\ngo 1.22\n").unwrap();
    std::fs::create_dir_all(goroot.join("src/cmd/go")).unwrap();
    std::fs::write(goroot.join("src/cmd/go.mod"), "module cmd\n\ngo 1.22\n").unwrap();
    let root = cache_root(&sb);
    for dir in [goroot.join("src/net/http"), goroot.join("src/cmd/go")] {
        let out = sb.go(["list", "."]).current_dir(&dir).ok();
        assert_eq!(
            PathBuf::from(out.val("GOCACHE")),
            root.join("toolchains/go1.22.3/build"),
            "{out}"
        );
        assert_eq!(
            PathBuf::from(out.val("GOMODCACHE")),
            root.join("shared/mod")
        );
    }
    assert!(
        !root.join("projects").exists(),
        "no project folder for an SDK"
    );
    let show = sb
        .gomux(["show"])
        .current_dir(goroot.join("src/net/http"))
        .ok();
    assert!(show.stdout.contains("never a project"), "{show}");
    assert!(
        show.stdout.contains(&goroot.display().to_string()),
        "{show}"
    );

    // A `src` folder of an ordinary project is still a project.
    let p = project(&sb, "src/app");
    build_in(&sb, &p);
    assert!(root.join("projects").is_dir());
}

//! The home layout's tests: the paths [`Home`] knows and the layout marker.

use super::*;

#[test]
fn every_path_comes_from_the_layout() {
    let h = Home::new("/g");
    assert_eq!(h.proxy("go"), Path::new("/g/bin").join(exe("go")));
    assert_eq!(
        h.proxy_master(),
        Path::new("/g/bin").join(exe("gomux-shim"))
    );
    assert_eq!(h.gomux_exe(), Path::new("/g/bin").join(exe("gomux")));
    assert_eq!(h.lock_file("go1.2"), Path::new("/g/tmp/go1.2.lock"));
    assert_eq!(
        h.tmp_entry("go1.2", ".staging"),
        Path::new("/g/tmp/go1.2.staging")
    );
    assert_eq!(h.layout_file(), Path::new("/g/.gomux-layout"));
    assert_eq!(
        sdk_tool(Path::new("/sdk"), "gofmt"),
        Path::new("/sdk/bin").join(exe("gofmt"))
    );
    for d in h.layout_dirs() {
        assert_eq!(d.parent(), Some(h.root()));
    }
}

#[test]
fn the_layout_marker_is_written_once_and_never_downgraded() {
    let dir = tempfile::tempdir().unwrap();
    let h = Home::new(dir.path().join("home"));
    assert_eq!(h.layout_version(), None);
    std::fs::create_dir(h.root()).unwrap();
    h.mark_layout().unwrap();
    assert_eq!(h.layout_version(), Some(Ok(LAYOUT_VERSION)));
    assert_eq!(std::fs::read_to_string(h.layout_file()).unwrap(), "1\n");
    let before = std::fs::metadata(h.layout_file())
        .unwrap()
        .modified()
        .unwrap();
    h.mark_layout().unwrap();
    let after = std::fs::metadata(h.layout_file())
        .unwrap()
        .modified()
        .unwrap();
    assert_eq!(before, after, "a current marker is not rewritten");
    std::fs::write(h.layout_file(), "7\n").unwrap();
    h.mark_layout().unwrap();
    assert_eq!(h.layout_version(), Some(Ok(7)), "a newer layout stays");
    std::fs::write(h.layout_file(), "x\x1b\n").unwrap();
    assert_eq!(h.layout_version(), Some(Err("x\\x1b".into())));
    // A home that still holds a folder keeps its marker; an empty one goes entirely.
    std::fs::create_dir(h.toolchains_dir()).unwrap();
    h.remove_if_unused();
    assert!(h.layout_file().is_file());
    std::fs::remove_dir(h.toolchains_dir()).unwrap();
    h.remove_if_unused();
    assert!(!h.root().exists());
}

#[test]
fn a_link_file_is_followed_like_a_link() {
    let dir = tempfile::tempdir().unwrap();
    let h = Home::new(dir.path().join("home"));
    let sdk = dir.path().join("sdk");
    std::fs::create_dir_all(sdk.join("bin")).unwrap();
    std::fs::write(sdk_tool(&sdk, "go"), "").unwrap();
    std::fs::create_dir_all(h.toolchains_dir()).unwrap();
    assert!(!h.is_linked("corp"));
    h.write_link_file("corp", &sdk).unwrap();
    assert!(h.is_linked("corp"));
    assert_eq!(h.link_target("corp"), Some(sdk.clone()));
    assert_eq!(h.toolchain_root("corp"), Some(sdk.clone()));
    assert_eq!(h.toolchain_names(), ["corp"]);
    // A link to an SDK that went away is a link, but no toolchain.
    std::fs::remove_file(sdk_tool(&sdk, "go")).unwrap();
    assert!(h.is_linked("corp"));
    assert_eq!(h.toolchain_root("corp"), None);
}

#[test]
fn a_stray_file_in_toolchains_is_no_link() {
    let dir = tempfile::tempdir().unwrap();
    let h = Home::new(dir.path().join("home"));
    std::fs::create_dir_all(h.toolchains_dir()).unwrap();
    std::fs::write(h.toolchain_dir("notes"), "/usr/local/go\n").unwrap();
    std::fs::write(
        h.toolchain_dir("rel"),
        format!("{LINK_FILE_HEADER}\nrelative/go\n"),
    )
    .unwrap();
    for name in ["notes", "rel"] {
        assert!(!h.is_linked(name), "{name}");
        assert_eq!(h.link_target(name), None);
        assert_eq!(h.toolchain_root(name), None);
    }
}

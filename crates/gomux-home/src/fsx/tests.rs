//! The tests of atomic writes, bounded reads and marked-folder removal.

use super::*;

#[test]
fn write_atomic_replaces_and_keeps_mode() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("profile");
    write_atomic(&p, b"one\n").unwrap();
    assert_eq!(fs::read(&p).unwrap(), b"one\n");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        fs::set_permissions(&p, fs::Permissions::from_mode(0o640)).unwrap();
    }
    write_atomic(&p, b"two\n").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        assert_eq!(
            fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o640
        );
    }
    assert_eq!(fs::read(&p).unwrap(), b"two\n");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let fresh = dir.path().join("fresh");
        write_atomic(&fresh, b"x").unwrap();
        let mode = fs::metadata(&fresh).unwrap().permissions().mode();
        assert_eq!(
            mode & 0o022,
            0,
            "a new file is never writable by others: {mode:o}"
        );
        fs::remove_file(&fresh).unwrap();
    }
    let names: Vec<_> = fs::read_dir(dir.path()).unwrap().flatten().collect();
    assert_eq!(names.len(), 1, "no temporary file is left behind");
}

#[cfg(unix)]
#[test]
fn write_atomic_follows_a_symbolic_link() {
    let dir = tempfile::tempdir().unwrap();
    let real = dir.path().join("dotfiles").join("bashrc");
    fs::create_dir_all(real.parent().unwrap()).unwrap();
    fs::write(&real, "x\n").unwrap();
    let link = dir.path().join(".bashrc");
    std::os::unix::fs::symlink("dotfiles/bashrc", &link).unwrap();
    write_atomic(&link, b"y\n").unwrap();
    assert!(
        fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(fs::read(&real).unwrap(), b"y\n");
}

#[test]
fn stale_temporary_files_of_dead_processes_are_removed() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("settings.toml");
    // A pid far above any Linux pid_max.
    let stale = dir.path().join(".settings.toml.gomux-tmp-4294967290-0");
    fs::write(&stale, "half").unwrap();
    write_atomic(&p, b"ok").unwrap();
    assert_eq!(stale.exists(), !cfg!(target_os = "linux"));
}

#[cfg(unix)]
#[test]
fn bounded_reads_refuse_fifos_and_large_files() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo");
    let status = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(status.success());
    assert!(matches!(
        read_bounded(&fifo, 10),
        Err(ReadError::NotRegular(_))
    ));
    let big = dir.path().join("big");
    let f = File::create(&big).unwrap();
    f.set_len(1 << 30).unwrap();
    assert!(matches!(
        read_bounded(&big, 4096),
        Err(ReadError::TooLarge { .. })
    ));
    assert!(
        read_bounded(&dir.path().join("missing"), 10)
            .unwrap()
            .is_none()
    );
    assert!(matches!(
        read_bounded(dir.path(), 10),
        Err(ReadError::NotRegular(_))
    ));
    fs::write(dir.path().join("small"), "1.22").unwrap();
    assert_eq!(
        read_bounded(&dir.path().join("small"), 10)
            .unwrap()
            .unwrap(),
        b"1.22"
    );
}

#[test]
fn only_marked_folders_are_removed() {
    let dir = tempfile::tempdir().unwrap();
    let foreign = dir.path().join("projects");
    fs::create_dir_all(foreign.join("myapp")).unwrap();
    fs::write(foreign.join("myapp").join("main.go"), "package main").unwrap();
    // Existing and not empty: used, but never marked.
    create_owned_dir(&foreign, FOLDER_MARKER).unwrap();
    assert!(!FOLDER_MARKER.is_on(&foreign));
    assert!(matches!(
        remove_owned(&foreign, FOLDER_MARKER),
        Err(RemoveError::NotOwned { .. })
    ));
    assert!(foreign.join("myapp").join("main.go").exists());
    // A look-alike marker with other text is no proof either.
    fs::write(FOLDER_MARKER.path(&foreign), "not gomux\n").unwrap();
    assert!(!FOLDER_MARKER.is_on(&foreign));

    let ours = dir.path().join("tmp");
    create_owned_dir(&ours, FOLDER_MARKER).unwrap();
    assert!(FOLDER_MARKER.is_on(&ours));
    fs::create_dir_all(ours.join("ro")).unwrap();
    fs::write(ours.join("ro").join("f"), "12345").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        fs::set_permissions(ours.join("ro"), fs::Permissions::from_mode(0o555)).unwrap();
    }
    let freed = remove_owned(&ours, FOLDER_MARKER).unwrap();
    assert!(freed >= 5);
    assert!(!ours.exists());
    let left: Vec<_> = fs::read_dir(dir.path()).unwrap().flatten().collect();
    assert_eq!(left.len(), 1, "only the foreign folder is left, no trash");
}

#[cfg(unix)]
#[test]
fn new_owned_folders_are_not_writable_by_others() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("tmp");
    fs::create_dir(&d).unwrap();
    fs::set_permissions(&d, fs::Permissions::from_mode(0o777)).unwrap();
    not_writable_by_others(&d).unwrap();
    assert_eq!(
        fs::metadata(&d).unwrap().permissions().mode() & 0o777,
        0o755
    );
    fs::set_permissions(&d, fs::Permissions::from_mode(0o700)).unwrap();
    not_writable_by_others(&d).unwrap();
    assert_eq!(
        fs::metadata(&d).unwrap().permissions().mode() & 0o777,
        0o700
    );
}

#[test]
fn trash_of_dead_processes_is_finished() {
    let dir = tempfile::tempdir().unwrap();
    let t = dir.path().join(format!("{TRASH_PREFIX}4294967290-0-proj"));
    fs::create_dir_all(t.join("a")).unwrap();
    fs::write(t.join("a").join("b"), "xyz").unwrap();
    let keep = dir.path().join("not-trash");
    fs::create_dir(&keep).unwrap();
    let freed = remove_trash(dir.path());
    if cfg!(target_os = "linux") {
        assert_eq!(freed, 3);
        assert!(!t.exists());
    }
    assert!(keep.exists());
}

#[test]
fn errors_name_the_path_and_hint_at_full_disks() {
    let e = FsError::new(
        "write",
        "/home/u/.bashrc",
        io::Error::from(io::ErrorKind::StorageFull),
    );
    assert!(e.to_string().starts_with("cannot write `/home/u/.bashrc`"));
    assert!(e.hint().unwrap().contains("`/home/u` is full"));
}

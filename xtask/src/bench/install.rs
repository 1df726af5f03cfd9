//! The install row of `cargo xtask bench`: `gomux install` from a loopback mirror against
//! `curl -s URL | tar xz` of the same archive, interleaved in random order.

use super::*;

/// `gomux install` from the loopback mirror against `curl -s URL | tar xz`, interleaved.
pub(super) fn install_table(
    sb: &Sandbox,
    fixtures: &std::result::Result<PathBuf, String>,
    archive: Option<&real::Archive>,
    o: &Options,
    runner: &Path,
) -> Result<Table> {
    let title = "Install: `gomux install` from a loopback mirror vs `curl -s URL | tar xz`";
    let (Ok(dir), Some(a)) = (fixtures, archive) else {
        return Ok(Table {
            title: title.into(),
            rows: Vec::new(),
            skipped: Some(fixtures.as_ref().err().cloned().unwrap_or_default()),
            notes: Vec::new(),
        });
    };
    let curl_ok = std::process::Command::new("curl")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !curl_ok {
        return Ok(Table {
            title: title.into(),
            rows: Vec::new(),
            skipped: Some("`curl` is not installed".into()),
            notes: Vec::new(),
        });
    }
    let server = mirror::Mirror::serve(dir);
    step!(
        "install comparison: serving `{}` on {}",
        dir.display(),
        server.url()
    );
    let url = server.url_for(&a.filename);

    // gomux installs into a home of its own (the main one has this version linked).
    let home = sb.scratch.join("install-home");
    sb.setup(&home)?;
    let mut env = sb.env_for(&home);
    env.push(("GOMUX_DIST_SERVER".into(), server.url().into()));
    let toolchain_dir = gomux_home::Home::new(&home).toolchain_dir(&a.toolchain);
    let downloads = gomux_home::Home::new(&home).downloads_dir();
    let version = a.toolchain.trim_start_matches("go").to_string();
    let gomux = gomux_home::Home::new(&home).gomux_exe();

    let empty = sb.scratch.join("untar");
    let empty_for_prepare = empty.clone();
    let curl = Variant::new(
        "`curl -s URL \\| tar xz` into an empty folder",
        "/bin/sh",
        &empty,
    )
    .args([
        OsString::from("-c"),
        "curl -s \"$0\" | tar xz".into(),
        url.clone().into(),
    ])
    .env(&env)
    .baseline(0)
    .prepare(move || {
        remove_all(&empty_for_prepare)?;
        std::fs::create_dir_all(&empty_for_prepare)?;
        sync_disks();
        Ok(())
    });
    let tc = toolchain_dir.clone();
    let install = Variant::new(
        format!("`gomux install {version}` from the loopback mirror"),
        &gomux,
        &sb.work,
    )
    .args(["install", version.as_str()])
    .env(&env)
    .baseline(0)
    .prepare(move || {
        remove_all(&tc)?;
        remove_all(&downloads)?;
        sync_disks();
        Ok(())
    });
    let variants = [curl, install];
    step!("installing once each (the warm-up)");
    for v in &variants {
        v.check()?;
    }
    if !empty.join("go").join("bin").join("go").is_file() {
        bail!("`curl -s {url} | tar xz` left no `go/bin/go`");
    }
    if !toolchain_dir.join("bin").join("go").is_file() {
        bail!(
            "`gomux install {version}` left no `{}`",
            toolchain_dir.display()
        );
    }
    step!(
        "timing the installs: {} runs of each after one warm-up ({} MB archive)",
        o.install_runs,
        a.size / 1_000_000
    );
    // The check runs above were the warm-up.
    let samples = measure::interleaved(&variants, 0, o.install_runs, Some(runner), &|_, _| {})?;
    let place = if sb.scratch_on_tmpfs() {
        "in tmpfs (`/dev/shm`; `--install-on-disk` measures on disk)"
    } else {
        "on disk"
    };
    let rows = variants
        .iter()
        .zip(samples)
        .map(|(v, s)| Row {
            label: v.label.clone(),
            times: measure::millis(&s.times),
            rss: s.rss.into_iter().map(|k| k as f64).collect(),
            baseline: v.baseline,
            syscalls: None,
        })
        .collect();
    Ok(Table {
        title: format!("{title} ({}, {} MB)", a.filename, a.size / 1_000_000),
        rows,
        skipped: None,
        notes: vec![format!(
            "Both install {place}. Each run starts from an empty folder (for gomux: no \
                 toolchain, no kept download) after `sync`; the mirror is the e2e suite's \
                 loopback server. `gomux install` also fetches the release index, checks the \
                 sha256 and installs atomically."
        )],
    })
}

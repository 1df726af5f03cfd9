//! Running one case twice: the real `go` of a release, and `gomux show --json` with that
//! release as gomux's default, in the same folder with the same environment.
//!
//! Real Go must not do anything beyond choosing: `GOPROXY=off` turns every download into
//! `go: download go1.30.0 for linux/amd64: toolchain not available` (which names the choice),
//! and `GOPATH=~bad` is refused by cmd/go right after the selection, before any sub-command
//! runs (`go: GOPATH entry cannot start with shell metacharacter '~'`), which shows that Go
//! decided to run itself. `GOMODCACHE` stays absolute so the download attempt gets as far as
//! naming its toolchain. Fake `go1.X.Y` programs on PATH print their own name.

use std::collections::HashMap;
use std::fs;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};

use super::cases::{Case, to_bytes};
use super::classify::{Outcome, classify_go, classify_gomux};

/// How long one `go` or `gomux` run may take before it is killed (it never should: nothing
/// in a case reaches the network).
const TIMEOUT: Duration = Duration::from_secs(30);

/// One release under test, with its own gomux home where it is the default toolchain.
pub struct Bench {
    pub goroot: PathBuf,
    /// The release's name from its VERSION file (`go1.22.12`).
    pub name: String,
    gomux: PathBuf,
    gomux_home: PathBuf,
    /// Where cases are written (one folder each, removed after unless kept).
    cases: PathBuf,
    root: PathBuf,
    keep: bool,
    counter: AtomicUsize,
    /// Answers by case (its JSON form): shrinking tries the same small cases again and again.
    seen: Mutex<HashMap<String, (Outcome, Outcome)>>,
}

impl Drop for Bench {
    fn drop(&mut self) {
        if self.keep {
            eprintln!("kept the sandbox of {}: {}", self.name, self.root.display());
        } else {
            let _ = fs::remove_dir_all(&self.root);
        }
    }
}

impl Bench {
    /// A sandbox under `base` where `gomux link GOROOT` and `gomux default NAME` have run.
    pub fn create(base: &Path, goroot: &Path, gomux: &Path, keep: bool) -> Result<Bench> {
        let version = fs::read_to_string(goroot.join("VERSION"))
            .with_context(|| format!("cannot read `{}/VERSION`", goroot.display()))?;
        let name = version
            .lines()
            .next()
            .unwrap_or_default()
            .trim()
            .to_string();
        if name.is_empty() {
            bail!("`{}/VERSION` names no toolchain", goroot.display());
        }
        let root = base.join(&name);
        let _ = fs::remove_dir_all(&root);
        let home = root.join("home");
        let cases = root.join("cases");
        for d in [&home, &cases] {
            fs::create_dir_all(d).with_context(|| format!("cannot create `{}`", d.display()))?;
        }
        let root = root.canonicalize()?;
        let bench = Bench {
            goroot: goroot.canonicalize()?,
            name,
            gomux: gomux.to_path_buf(),
            gomux_home: root.join("gomux-home"),
            cases: root.join("cases"),
            root,
            keep,
            counter: AtomicUsize::new(0),
            seen: Mutex::new(HashMap::new()),
        };
        let home = bench.root.join("home");
        for args in [
            vec![
                "link".to_string(),
                bench.goroot.to_string_lossy().into_owned(),
            ],
            vec!["default".to_string(), bench.name.clone()],
        ] {
            let out = Command::new(&bench.gomux)
                .args(&args)
                .env_clear()
                .env("HOME", &home)
                .env("GOMUX_HOME", &bench.gomux_home)
                .env("PATH", "/usr/bin:/bin")
                .env("NO_COLOR", "1")
                .current_dir(&home)
                .stdin(Stdio::null())
                .output()
                .context("running gomux")?;
            if !out.status.success() {
                bail!(
                    "`gomux {}` failed: {}",
                    args.join(" "),
                    String::from_utf8_lossy(&out.stderr).trim()
                );
            }
        }
        Ok(bench)
    }

    /// Checks that Go's choice can be seen on this release: with `GOTOOLCHAIN=local` every
    /// sub-command of the corpus must show that Go ran itself (the `GOPATH` refusal, the
    /// usage or the help), and `GOTOOLCHAIN=go1.30.0` (`+path`) must name go1.30.0 (for every
    /// sub-command but `env`, whose special cases never switch).
    pub fn calibrate(&self, commands: &[&[&str]]) -> Result<()> {
        let mut checks: Vec<(Case, Outcome)> = Vec::new();
        for args in commands {
            let case = Case {
                id: usize::MAX,
                files: Vec::new(),
                links: Vec::new(),
                dirs: Vec::new(),
                env: vec![("GOTOOLCHAIN".into(), "local".into())],
                cwd: "w".into(),
                args: args.iter().map(|a| a.to_string()).collect(),
                fakes: Vec::new(),
            };
            let mut switch = case.clone();
            switch.env = vec![("GOTOOLCHAIN".into(), "go1.30.0".into())];
            let mut path = case.clone();
            path.env = vec![("GOTOOLCHAIN".into(), "go1.30.0+path".into())];
            checks.push((case, Outcome::Runs(self.name.clone())));
            // `go env ...` may be one of the special cases that never switch.
            if args.first() != Some(&"env") {
                checks.push((switch, Outcome::Runs("go1.30.0".into())));
                checks.push((path, Outcome::Runs("go1.30.0".into())));
            }
        }
        for (case, want) in checks {
            let (go, _) = self.observe(&case)?;
            if go != want {
                bail!(
                    "cannot observe {}'s choice for `go {}` with GOTOOLCHAIN={}: expected `{want}`, \
                     got `{go}`\nhint: the harness stops Go right after its choice with \
                     GOPATH=~bad and GOPROXY=off; this release reacts differently (see \
                     docs/fidelity.md)",
                    self.name,
                    case.args.join(" "),
                    case.env[0].1,
                );
            }
        }
        Ok(())
    }

    /// Go's and gomux's answers for a resolved case (placeholders other than `{root}`
    /// already filled in).
    pub fn observe(&self, case: &Case) -> Result<(Outcome, Outcome)> {
        let key = serde_json::to_string(case)?;
        if let Some(hit) = self.seen.lock().ok().and_then(|m| m.get(&key).cloned()) {
            return Ok(hit);
        }
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let root = self.cases.join(format!("{}-{n}", case.id));
        let result = self.observe_in(case, &root).map(|(go, gm, _)| (go, gm));
        if !self.keep {
            let _ = fs::remove_dir_all(&root);
        }
        if let (Ok(r), Ok(mut m)) = (&result, self.seen.lock()) {
            m.insert(key, r.clone());
        }
        result
    }

    /// Like [`Bench::observe`], never cached, with what both sides printed (for `--case`).
    pub fn explain(&self, case: &Case) -> Result<(Outcome, Outcome, String)> {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let root = self.cases.join(format!("{}-{n}", case.id));
        let result = self.observe_in(case, &root);
        if !self.keep {
            let _ = fs::remove_dir_all(&root);
        }
        result
    }

    fn observe_in(&self, case: &Case, root: &Path) -> Result<(Outcome, Outcome, String)> {
        let root_s = root.to_string_lossy().into_owned();
        let fill = |s: &str| s.replace("{root}", &root_s);
        for d in ["home", "tmp", "bin", "modcache"] {
            fs::create_dir_all(root.join(d))?;
        }
        // Telemetry off, so Go's counters stay out of the way.
        let tel = root.join("home/.config/go/telemetry");
        fs::create_dir_all(&tel)?;
        fs::write(tel.join("mode"), "off")?;
        for (link, target) in &case.links {
            let target = root.join(target);
            fs::create_dir_all(&target)?;
            std::os::unix::fs::symlink(&target, root.join(link))?;
        }
        let cwd = root.join(&case.cwd);
        fs::create_dir_all(&cwd)?;
        for d in &case.dirs {
            fs::create_dir_all(root.join(d))?;
        }
        for f in &case.files {
            let p = root.join(&f.path);
            if let Some(parent) = p.parent() {
                fs::create_dir_all(parent)?;
            }
            fs::write(&p, to_bytes(&fill(&f.text)))?;
        }
        for fake in &case.fakes {
            let p = root.join("bin").join(fill(fake));
            fs::write(
                &p,
                "#!/bin/sh\necho \"FAKE ${0##*/} SWITCH=$GOTOOLCHAIN_INTERNAL_SWITCH_VERSION\"\n",
            )?;
            use std::os::unix::fs::PermissionsExt as _;
            fs::set_permissions(&p, fs::Permissions::from_mode(0o755))?;
        }
        let mut env: Vec<(String, String)> = vec![
            ("PATH".into(), format!("{root_s}/bin:/usr/bin:/bin")),
            ("HOME".into(), format!("{root_s}/home")),
            ("TMPDIR".into(), format!("{root_s}/tmp")),
            ("LANG".into(), "C".into()),
            ("GOPROXY".into(), "off".into()),
            ("GOSUMDB".into(), "off".into()),
            ("GOFLAGS".into(), String::new()),
            ("GOPATH".into(), "~bad".into()),
            ("GOMODCACHE".into(), format!("{root_s}/modcache")),
            ("PWD".into(), cwd.to_string_lossy().into_owned()),
        ];
        for (k, v) in &case.env {
            env.retain(|(x, _)| x != k);
            env.push((k.clone(), fill(v)));
        }
        let args: Vec<String> = case.args.iter().map(|a| fill(a)).collect();

        let mut go = Command::new(self.goroot.join("bin/go"));
        go.args(&args).env_clear().envs(env.iter().cloned());
        let (code, out, err) = run_bounded(&mut go, &cwd, root, "go")?;
        let go_outcome = classify_go(code, &out, &err, &self.name);
        let mut printed = format!(
            "go (exit {}):\n{}{}",
            code.map_or("signal".to_string(), |c| c.to_string()),
            indent(&out),
            indent(&err)
        );

        let mut gm = Command::new(&self.gomux);
        gm.args(["show", "--json", "--"])
            .args(&args)
            .env_clear()
            .envs(env.iter().cloned())
            .env("GOMUX_HOME", &self.gomux_home)
            .env("NO_COLOR", "1");
        let (code, out, err) = run_bounded(&mut gm, &cwd, root, "gomux")?;
        let gomux_outcome = classify_gomux(code, &out, &err);
        let request = serde_json::from_str::<serde_json::Value>(&out)
            .ok()
            .and_then(|v| {
                v["request"]["value"]
                    .as_str()
                    .map(|r| format!("request: {r}\n"))
            })
            .unwrap_or_default();
        printed.push_str(&format!(
            "gomux show --json (exit {}):\n{}{}",
            code.map_or("signal".to_string(), |c| c.to_string()),
            indent(&request),
            indent(&err)
        ));
        Ok((go_outcome, gomux_outcome, printed))
    }
}

/// Text indented for a report, control characters escaped, at most 40 lines.
fn indent(text: &str) -> String {
    text.lines()
        .take(40)
        .map(|l| format!("    {}\n", super::cases::show(l)))
        .collect()
}

/// Runs `cmd` in `cwd` with stdout and stderr in files next to the case (a full pipe can
/// never block it), killed after [`TIMEOUT`]. Returns the exit code (None: killed by a
/// signal), stdout and stderr.
fn run_bounded(
    cmd: &mut Command,
    cwd: &Path,
    root: &Path,
    tag: &str,
) -> Result<(Option<i32>, String, String)> {
    let out_p = root.with_extension(format!("{tag}.out"));
    let err_p = root.with_extension(format!("{tag}.err"));
    let mut child = cmd
        .current_dir(cwd)
        .stdin(Stdio::null())
        .stdout(fs::File::create(&out_p)?)
        .stderr(fs::File::create(&err_p)?)
        .spawn()
        .with_context(|| format!("cannot run {:?}", cmd.get_program()))?;
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait()? {
            break Some(s);
        }
        if start.elapsed() > TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    let read = |p: &Path| -> String {
        let mut s = Vec::new();
        if let Ok(f) = fs::File::open(p) {
            let _ = f.take(1 << 20).read_to_end(&mut s);
        }
        let _ = fs::remove_file(p);
        String::from_utf8_lossy(&s).into_owned()
    };
    let (out, err) = (read(&out_p), read(&err_p));
    match status {
        Some(s) => Ok((s.code(), out, err)),
        None => bail!("{tag} did not finish within {} s", TIMEOUT.as_secs()),
    }
}

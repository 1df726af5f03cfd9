//! The Windows end-to-end suite: the real `gomux.exe` and proxy under Wine, with `GOMUX_HOME`
//! on drive `D:` (a folder of the run mapped through the prefix's `dosdevices`), fake SDKs that
//! are real `.exe` programs, and exit codes read by a Windows parent ([`super::Helpers`]'s
//! runner), because Wine's own Unix exit status is lossy.
//!
//! The cases run in order on one home, as a user would: set up, link, use, uninstall. Every
//! Wine call is bounded ([`Prefix::wine`]); a failing case is reported with what the program
//! printed and the suite goes on, so one run shows every failure.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Result, bail};

use super::{Helpers, Output, Prefix, progress};

/// How long one Wine call may take. Generous: Wine starts slowly on a busy 2-core machine.
const LIMIT: Duration = Duration::from_secs(90);
const HOME: &str = r"D:\gomux";
/// What `gomux setup` finds on the user PATH before it: an expandable entry and a plain one.
const USER_PATH: &str = r"%USERPROFILE%\tools;C:\x";

struct Suite<'a> {
    prefix: &'a Prefix,
    d: PathBuf,
    failures: Vec<String>,
    passed: usize,
}

pub(super) fn run(prefix: &Prefix, bin: &Path, helpers: &Helpers) -> Result<()> {
    let d = prefix.drive_d();
    let copy = |from: &Path, to: &Path| -> Result<()> {
        if let Some(parent) = to.parent() {
            fs::create_dir_all(parent)?;
        }
        fs::copy(from, to)?;
        Ok(())
    };
    copy(&bin.join("gomux.exe"), &d.join("dist/gomux.exe"))?;
    copy(&bin.join("gomux-shim.exe"), &d.join("dist/gomux-shim.exe"))?;
    copy(&helpers.runner, &d.join("tools/runner.exe"))?;
    for (dir, version) in [
        ("sdks/go1.22.3", "go1.22.3"),
        ("sdk-copies/go1.23.5", "go1.23.5"),
    ] {
        let sdk = d.join(dir);
        for tool in ["go.exe", "gofmt.exe"] {
            copy(&helpers.fakego, &sdk.join("bin").join(tool))?;
        }
        fs::write(
            sdk.join("VERSION"),
            format!("{version}\ntime 2026-01-01T00:00:00Z\n"),
        )?;
    }
    fs::create_dir_all(d.join("p1"))?;
    fs::write(d.join("p1/.go-version"), "1.22.3\n")?;
    fs::create_dir_all(d.join("p2"))?;
    fs::write(d.join("p2/go.mod"), "module example.com/p2\n\ngo 1.23.5\n")?;

    let mut s = Suite {
        prefix,
        d,
        failures: Vec::new(),
        passed: 0,
    };
    s.case(
        "setup with GOMUX_HOME on drive D: edits the registry PATH",
        setup,
    );
    s.case("link without symlink rights writes a link file", link);
    s.case(
        "a .go-version project selects its toolchain through go.exe",
        go_version_project,
    );
    s.case(
        "a go.mod project selects its toolchain through go.exe",
        go_mod_project,
    );
    s.case(
        "cache.root = 'D:\\go-caches' holds the project's caches",
        cache_root_on_d,
    );
    s.case(
        "the child's exit code is passed on, all 32 bits",
        exit_codes,
    );
    s.case("Ctrl-C reaches the child and its exit code is kept", ctrl_c);
    s.case("killing the proxy kills the SDK it runs", kill_tree);
    s.case("gomux env --shell pwsh and --shell cmd", env_shells);
    s.case(
        "doctor: a machine-level GOROOT in the registry",
        doctor_machine_goroot,
    );
    s.case("doctor: another go.exe earlier on PATH", doctor_other_go);
    s.case(
        "doctor: a linked SDK on a drive that is not there",
        doctor_missing_drive,
    );
    s.case("setup --uninstall restores the registry PATH", uninstall);
    progress(&format!(
        "end-to-end: {} passed, {} failed",
        s.passed,
        s.failures.len()
    ));
    if !s.failures.is_empty() {
        bail!(
            "{} Windows end-to-end case(s) failed:\n{}",
            s.failures.len(),
            s.failures.join("\n")
        );
    }
    Ok(())
}

impl Suite<'_> {
    fn case(&mut self, name: &str, f: fn(&mut Suite) -> Result<()>) {
        match f(self) {
            Ok(()) => {
                self.passed += 1;
                eprintln!("windows e2e: ok    {name}");
            }
            Err(e) => {
                eprintln!("windows e2e: FAIL  {name}\n{e:#}");
                self.failures.push(format!("  {name}: {e:#}"));
            }
        }
    }

    /// `wine <args>` in `D:\<cwd>` with `GOMUX_HOME=D:\gomux`.
    fn wine(&self, cwd: &str, args: &[&str]) -> Result<Output> {
        let out = self.prefix.wine_env(
            args,
            Some(&self.d.join(cwd)),
            &[("GOMUX_HOME", HOME)],
            LIMIT,
        )?;
        if out.timed_out {
            bail!("`{}` did not finish within {LIMIT:?}", args.join(" "));
        }
        Ok(out)
    }

    /// Like [`Suite::wine`], and the program must succeed.
    fn ok(&self, cwd: &str, args: &[&str]) -> Result<Output> {
        let out = self.wine(cwd, args)?;
        if !out.ok {
            bail!(
                "`{}` failed\nstdout:\n{}\nstderr:\n{}",
                args.join(" "),
                out.stdout,
                out.stderr
            );
        }
        no_verbatim(&out)?;
        Ok(out)
    }

    /// The exact exit code of `args` run by the Windows runner (with its mode options first).
    fn exit_code(&self, cwd: &str, args: &[&str]) -> Result<(u32, Output)> {
        let mut all = vec![r"D:\tools\runner.exe"];
        all.extend(args);
        let out = self.wine(cwd, &all)?;
        let code = out
            .stdout
            .lines()
            .find_map(|l| l.strip_prefix("exit=0x"))
            .and_then(|hex| u32::from_str_radix(hex.trim(), 16).ok());
        match code {
            Some(code) => Ok((code, out)),
            None => bail!(
                "the runner reported no exit code for `{}` (Wine: {})\nstdout:\n{}\nstderr:\n{}",
                args.join(" "),
                out.status.as_deref().unwrap_or("no status"),
                out.stdout,
                out.stderr
            ),
        }
    }

    /// `reg query HKCU\Environment /v NAME`: `(type, value)`, `None` when it is not there.
    fn user_env(&self, name: &str) -> Result<Option<(String, String)>> {
        let out = self.wine("", &["reg", "query", r"HKCU\Environment", "/v", name])?;
        if !out.ok {
            return Ok(None);
        }
        let found = out.stdout.lines().find_map(|line| {
            let mut parts = line.trim_start().splitn(3, "    ");
            let (n, t, v) = (parts.next()?, parts.next()?, parts.next()?);
            n.eq_ignore_ascii_case(name)
                .then(|| (t.trim().to_string(), v.trim_end().to_string()))
        });
        Ok(found)
    }
}

fn no_verbatim(out: &Output) -> Result<()> {
    for text in [&out.stdout, &out.stderr] {
        if text.contains(r"\\?\") {
            bail!("a `\\\\?\\` path reached the user:\n{text}");
        }
    }
    Ok(())
}

fn expect(cond: bool, what: &str, out: &Output) -> Result<()> {
    if !cond {
        bail!("{what}\nstdout:\n{}\nstderr:\n{}", out.stdout, out.stderr);
    }
    Ok(())
}

fn setup(s: &mut Suite) -> Result<()> {
    let seed = s.wine(
        "",
        &[
            "reg",
            "add",
            r"HKCU\Environment",
            "/v",
            "Path",
            "/t",
            "REG_EXPAND_SZ",
            "/d",
            USER_PATH,
            "/f",
        ],
    )?;
    expect(seed.ok, "`reg add` of the user PATH failed", &seed)?;
    let out = s.ok("", &[r"D:\dist\gomux.exe", "setup", "--modify-path"])?;
    expect(
        !out.stderr.contains("export "),
        "setup printed POSIX `export` lines on Windows",
        &out,
    )?;
    expect(
        out.stderr
            .contains(r"user PATH (HKCU\Environment): `D:\gomux\bin` added first"),
        "setup did not say it edited the user PATH",
        &out,
    )?;
    for exe in ["go.exe", "gofmt.exe", "gomux.exe", "gomux-shim.exe"] {
        let f = s.d.join("gomux/bin").join(exe);
        if !f.is_file() {
            bail!("`{}` is not a file after setup", f.display());
        }
    }
    let want = (
        "REG_EXPAND_SZ".to_string(),
        format!(r"D:\gomux\bin;{USER_PATH}"),
    );
    let path = s.user_env("Path")?;
    if path.as_ref() != Some(&want) {
        bail!("the user PATH is {path:?}, expected {want:?}");
    }
    let home = s.user_env("GOMUX_HOME")?;
    if home.as_ref().map(|(_, v)| v.as_str()) != Some(HOME) {
        bail!("the user GOMUX_HOME is {home:?}, expected `{HOME}`");
    }
    // Idempotent: a second setup changes nothing.
    let again = s.ok("", &[r"D:\dist\gomux.exe", "setup", "--modify-path"])?;
    expect(
        again.stderr.contains("already first"),
        "a second setup did not find the PATH entry already first",
        &again,
    )?;
    let path = s.user_env("Path")?;
    if path.as_ref() != Some(&want) {
        bail!("after a second setup the user PATH is {path:?}, expected {want:?}");
    }
    // Without --modify-path: PowerShell and cmd lines, not `export`.
    let plain = s.ok(
        "",
        &[r"D:\gomux\bin\gomux.exe", "setup", "--no-modify-path"],
    )?;
    expect(
        plain
            .stderr
            .contains(r"$env:Path = 'D:\gomux\bin' + ';' + $env:Path")
            && plain.stderr.contains(r#"set "PATH=D:\gomux\bin;%PATH%""#)
            && !plain.stderr.contains("export "),
        "setup --no-modify-path did not print PowerShell and cmd lines",
        &plain,
    )?;
    Ok(())
}

fn link(s: &mut Suite) -> Result<()> {
    let out = s.ok(
        "",
        &[r"D:\gomux\bin\gomux.exe", "link", r"D:\sdks\go1.22.3"],
    )?;
    expect(
        out.stderr.contains(r"linked go1.22.3 -> D:\sdks\go1.22.3"),
        "link did not report the plain target path",
        &out,
    )?;
    let file = s.d.join("gomux/toolchains/go1.22.3");
    let text = fs::read_to_string(&file).unwrap_or_default();
    if !text.starts_with(gomux_home::LINK_FILE_HEADER) || !text.contains(r"D:\sdks\go1.22.3") {
        bail!("`{}` is not a link file: {text:?}", file.display());
    }
    let list = s.ok("", &[r"D:\gomux\bin\gomux.exe", "list"])?;
    expect(
        list.stdout.contains(r"go1.22.3") && list.stdout.contains(r"linked: D:\sdks\go1.22.3"),
        "list does not show the link",
        &list,
    )?;
    // The versioned proxy is a real .exe and follows the link too.
    let versioned = s.ok("", &[r"D:\gomux\bin\go1.22.3.exe", "version"])?;
    expect(
        versioned
            .stdout
            .starts_with("go version go1.22.3 windows/amd64"),
        "go1.22.3.exe did not run the linked SDK",
        &versioned,
    )?;
    Ok(())
}

fn go_version_project(s: &mut Suite) -> Result<()> {
    let out = s.ok("p1", &[r"D:\gomux\bin\go.exe", "version", "with space"])?;
    expect(
        out.stdout.starts_with("go version go1.22.3 windows/amd64")
            && out.stdout.contains("GOTOOLCHAIN=local")
            && out.stdout.contains("arg=with space"),
        "go.exe in a .go-version project did not run go1.22.3 with the arguments as given",
        &out,
    )?;
    let gofmt = s.ok("p1", &[r"D:\gomux\bin\gofmt.exe", "version"])?;
    expect(
        gofmt.stdout.starts_with("go version go1.22.3"),
        "gofmt.exe did not run the SDK's gofmt.exe",
        &gofmt,
    )?;
    let which = s.ok("p1", &[r"D:\gomux\bin\gomux.exe", "which", "go"])?;
    expect(
        which.stdout.contains(r"D:\sdks\go1.22.3\bin\go.exe"),
        "`gomux which go` does not name the linked SDK's go.exe",
        &which,
    )?;
    let show = s.ok("p1", &[r"D:\gomux\bin\gomux.exe", "show"])?;
    expect(
        show.stdout.contains(r"D:\p1\.go-version"),
        "`gomux show` does not name D:\\p1\\.go-version",
        &show,
    )?;
    Ok(())
}

fn go_mod_project(s: &mut Suite) -> Result<()> {
    // An install as gomux lays it out: a GOROOT under toolchains/.
    let from = s.d.join("sdk-copies/go1.23.5");
    let to = s.d.join("gomux/toolchains/go1.23.5");
    fs::create_dir_all(to.join("bin"))?;
    for f in ["bin/go.exe", "bin/gofmt.exe", "VERSION"] {
        fs::copy(from.join(f), to.join(f))?;
    }
    let out = s.ok("p2", &[r"D:\gomux\bin\go.exe", "version"])?;
    expect(
        out.stdout.starts_with("go version go1.23.5 windows/amd64"),
        "go.exe in a go.mod project (go 1.23.5) did not run go1.23.5",
        &out,
    )?;
    Ok(())
}

fn cache_root_on_d(s: &mut Suite) -> Result<()> {
    let settings = s.d.join("gomux/settings.toml");
    fs::write(&settings, "[cache]\nroot = 'D:\\go-caches'\n")?;
    let show = s.ok("p1", &[r"D:\gomux\bin\gomux.exe", "show"]);
    let env = s.ok("p1", &[r"D:\gomux\bin\gomux.exe", "env", "--shell", "pwsh"]);
    fs::remove_file(&settings)?;
    let (show, env) = (show?, env?);
    expect(
        show.stdout.contains(r"D:\go-caches\projects\p1-"),
        "`gomux show` does not put the project's caches under D:\\go-caches",
        &show,
    )?;
    expect(
        env.stdout
            .contains(r"$env:GOCACHE = 'D:\go-caches\projects\p1-"),
        "`gomux env` does not export a GOCACHE under D:\\go-caches",
        &env,
    )
}

fn exit_codes(s: &mut Suite) -> Result<()> {
    for (arg, want) in [
        ("3", 3u32),
        ("256", 256),
        ("0xC000013A", 0xC000_013A),
        ("0xFFFFFFFF", 0xFFFF_FFFF),
    ] {
        let (code, out) = s.exit_code("p1", &[r"D:\gomux\bin\go.exe", "exit", arg])?;
        expect(
            code == want,
            &format!(
                "`go.exe exit {arg}` through the proxy ended with 0x{code:08X}, not 0x{want:08X}"
            ),
            &out,
        )?;
    }
    // `gomux run` passes its command's code on the same way.
    for (arg, want) in [("256", 256u32), ("0xC000013A", 0xC000_013A)] {
        let (code, out) = s.exit_code(
            "p1",
            &[
                r"D:\gomux\bin\gomux.exe",
                "run",
                "1.22.3",
                "--",
                "go",
                "exit",
                arg,
            ],
        )?;
        expect(
            code == want,
            &format!(
                "`gomux run 1.22.3 -- go exit {arg}` ended with 0x{code:08X}, not 0x{want:08X}"
            ),
            &out,
        )?;
    }
    let (code, out) = s.exit_code("p1", &[r"D:\gomux\bin\go.exe", "crash"])?;
    expect(
        code == 0xC000_0005,
        &format!("a crashing SDK ended with 0x{code:08X} through the proxy, not 0xC0000005"),
        &out,
    )
}

fn ctrl_c(s: &mut Suite) -> Result<()> {
    // The child handles Ctrl-C and exits 7: the proxy must neither die of it nor lose the 7.
    let (code, out) = s.exit_code(
        "p1",
        &[
            "--ctrl-c",
            r"D:\ready-1",
            r"D:\gomux\bin\go.exe",
            "ctrl-c",
            r"D:\ready-1",
            "7",
        ],
    )?;
    expect(
        out.stdout.contains("runner: sent ctrl-c"),
        "no Ctrl-C was sent",
        &out,
    )?;
    expect(
        code == 7,
        &format!("after Ctrl-C the proxy ended with 0x{code:08X}, not the child's 7"),
        &out,
    )?;
    // A child with the system's default handling: Windows ends it with STATUS_CONTROL_C_EXIT
    // (0xC000013A); Wine 8 ends it with 0. Either way the proxy must give the caller exactly
    // what the SDK run directly gives.
    let (direct, out) = s.exit_code(
        "p1",
        &[
            "--ctrl-c",
            r"D:\ready-2",
            r"D:\sdks\go1.22.3\bin\go.exe",
            "wait",
            r"D:\ready-2",
        ],
    )?;
    expect(
        direct != 99,
        "the SDK run directly never got the Ctrl-C",
        &out,
    )?;
    let (code, out) = s.exit_code(
        "p1",
        &[
            "--ctrl-c",
            r"D:\ready-3",
            r"D:\gomux\bin\go.exe",
            "wait",
            r"D:\ready-3",
        ],
    )?;
    expect(
        code == direct,
        &format!(
            "a child stopped by Ctrl-C ended with 0x{code:08X} through the proxy, 0x{direct:08X} directly"
        ),
        &out,
    )
}

fn kill_tree(s: &mut Suite) -> Result<()> {
    let (_, out) = s.exit_code(
        "p1",
        &[
            "--kill",
            r"D:\pid-1",
            r"D:\gomux\bin\go.exe",
            "sleep",
            r"D:\pid-1",
        ],
    )?;
    expect(
        out.stdout.contains("grandchild=gone"),
        "the SDK outlived the proxy that was killed",
        &out,
    )?;
    // The control: a parent without a job object leaves its child running, so the check
    // above can tell the two apart. Wine has once ended the runner here before it printed
    // anything (a plain `cmd.exe` parent, no proxy involved): the control is retried, with a
    // fresh process id file each time, and only a control that answers counts.
    let mut last = None;
    for attempt in 2..5 {
        let pid = format!(r"D:\pid-{attempt}");
        match s.exit_code(
            "p1",
            &[
                "--kill",
                &pid,
                r"C:\windows\system32\cmd.exe",
                "/c",
                r"D:\sdks\go1.22.3\bin\go.exe",
                "sleep",
                &pid,
            ],
        ) {
            Ok((_, out)) => {
                return expect(
                    out.stdout.contains("grandchild=alive"),
                    "the control failed: a child of cmd.exe died with it, so the check proves nothing",
                    &out,
                );
            }
            Err(e) => {
                eprintln!(
                    "windows e2e: the control gave no answer (attempt {}): {e:#}",
                    attempt - 1
                );
                last = Some(e);
            }
        }
    }
    Err(last.expect("the loop ran"))
}

fn env_shells(s: &mut Suite) -> Result<()> {
    let pwsh = s.ok("p1", &[r"D:\gomux\bin\gomux.exe", "env", "--shell", "pwsh"])?;
    expect(
        pwsh.stdout.contains("$env:GOTOOLCHAIN = 'local'"),
        "`gomux env --shell pwsh` printed no PowerShell assignments",
        &pwsh,
    )?;
    let cmd = s.ok("p1", &[r"D:\gomux\bin\gomux.exe", "env", "--shell", "cmd"])?;
    expect(
        cmd.stdout.contains(r#"set "GOTOOLCHAIN=local""#),
        "`gomux env --shell cmd` printed no `set` lines",
        &cmd,
    )
}

const SYSTEM_ENV: &str = r"HKLM\SYSTEM\CurrentControlSet\Control\Session Manager\Environment";

fn doctor_machine_goroot(s: &mut Suite) -> Result<()> {
    let add = s.wine(
        "",
        &[
            "reg", "add", SYSTEM_ENV, "/v", "GOROOT", "/d", r"C:\Go", "/f",
        ],
    )?;
    expect(add.ok, "`reg add` of a machine GOROOT failed", &add)?;
    let out = s.wine("p1", &[r"D:\gomux\bin\gomux.exe", "doctor"]);
    let del = s.wine("", &["reg", "delete", SYSTEM_ENV, "/v", "GOROOT", "/f"])?;
    let out = out?;
    no_verbatim(&out)?;
    expect(
        out.stdout.contains("is set for the whole machine")
            && out
                .stdout
                .contains("SetEnvironmentVariable('GOROOT', $null, 'Machine')"),
        "doctor did not report the machine-level GOROOT",
        &out,
    )?;
    expect(del.ok, "`reg delete` of the machine GOROOT failed", &del)
}

fn doctor_other_go(s: &mut Suite) -> Result<()> {
    let other = s.d.join("othergo/bin");
    fs::create_dir_all(&other)?;
    fs::copy(s.d.join("sdks/go1.22.3/bin/go.exe"), other.join("go.exe"))?;
    let out = s.prefix.wine_env(
        &[r"D:\gomux\bin\gomux.exe", "doctor"],
        Some(&s.d.join("p1")),
        &[
            ("GOMUX_HOME", HOME),
            ("WINEPATH", r"D:\othergo\bin;D:\gomux\bin"),
        ],
        LIMIT,
    )?;
    no_verbatim(&out)?;
    expect(
        out.stdout.contains(r"D:\othergo\bin\go.exe"),
        "doctor did not name the go.exe that comes first on PATH",
        &out,
    )
}

fn doctor_missing_drive(s: &mut Suite) -> Result<()> {
    let link = s.d.join("gomux/toolchains/go1.21.0");
    fs::write(
        &link,
        format!("{}\nQ:\\sdks\\go1.21.0\n", gomux_home::LINK_FILE_HEADER),
    )?;
    let out = s.wine("p1", &[r"D:\gomux\bin\gomux.exe", "doctor"]);
    fs::remove_file(&link)?;
    let out = out?;
    no_verbatim(&out)?;
    expect(
        out.stdout.contains(r"Q:\sdks\go1.21.0") && out.stdout.contains("drive `Q:` is not there"),
        "doctor did not say the linked SDK's drive is missing",
        &out,
    )
}

fn uninstall(s: &mut Suite) -> Result<()> {
    let out = s.ok("", &[r"D:\gomux\bin\gomux.exe", "setup", "--uninstall"])?;
    expect(
        out.stderr
            .contains(r"user PATH (HKCU\Environment): `D:\gomux\bin` removed"),
        "uninstall did not say it restored the user PATH",
        &out,
    )?;
    let path = s.user_env("Path")?;
    let want = ("REG_EXPAND_SZ".to_string(), USER_PATH.to_string());
    if path.as_ref() != Some(&want) {
        bail!("after uninstall the user PATH is {path:?}, expected {want:?}");
    }
    if let Some(home) = s.user_env("GOMUX_HOME")? {
        bail!("after uninstall the user GOMUX_HOME is still {home:?}");
    }
    Ok(())
}

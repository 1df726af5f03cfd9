//! `cargo xtask fixtures`: real Go SDKs, packed as official-layout archives with a release
//! index beside them, so that the folder is a `file://` mirror the real-Go tests install from.
//!
//! The SDKs come from Debian (`golang-1.NN-go` + `golang-1.NN-src`, fetched with `apt-get
//! download` through a private apt configuration that never touches the machine's own) or from
//! GOROOT folders a developer already has (`--goroot`). Debian splits a GOROOT between
//! `/usr/lib/go-1.NN` and `/usr/share/go-1.NN` with symlinks; the packer follows those links, so
//! the archive holds a plain tree with no symlink in it.
//!
//! The output folder is keyed by what it was built from and reused while that does not change;
//! the completion marker is written last, and the folder is built under a temporary name and
//! renamed, so a folder with a marker is always whole. Every archive is read back and its
//! `bin/go` run from an unpacked copy before the folder is published.

use std::collections::HashSet;
use std::ffi::OsString;
use std::fs::{self, File};
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, bail, ensure};
use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use serde::Serialize;
use sha2::{Digest, Sha256};

/// Bump when the archive layout or the index changes, so that old cache folders are not reused.
const FORMAT: &str = "gomux-fixtures 1";
/// Written last into a finished folder; its first line is `key <key>`.
pub const MARKER: &str = ".complete";
/// The release index, in the go.dev/dl JSON format.
pub const INDEX: &str = "index.json";
/// The Go minor lines fetched from Debian when no source is given.
const DEFAULT_DEBIAN: &[&str] = &["1.22", "1.23"];
const DEBIAN_MIRROR: &str = "http://deb.debian.org/debian";
const DEBIAN_SUITES: &[&str] = &["bookworm", "bookworm-backports"];
const DEBIAN_KEYRING: &str = "/usr/share/keyrings/debian-archive-keyring.gpg";
/// How long the private apt lists are trusted before `apt-get update` runs again.
const APT_LISTS_MAX_AGE: Duration = Duration::from_secs(24 * 60 * 60);
/// gzip level: archives are rebuilt often and read locally, so speed beats size.
const GZIP_LEVEL: u32 = 1;

const USAGE: &str = "\
usage: cargo xtask fixtures [--out DIR] [--goroot DIR ...] [--debian 1.NN ...] [--refresh]

Builds official-layout Go SDK archives (go<VERSION>.<os>-<arch>.tar.gz) and a release index
(index.json, go.dev/dl JSON format), so that the folder is a file:// mirror. The folder is printed
as the last line of stdout.

  --out DIR       write the folder here instead of $XDG_CACHE_HOME/gomux/fixtures/<key>
                  (default: ~/.cache/gomux/fixtures/<key>)
  --goroot DIR    pack this existing GOROOT (repeatable) instead of Debian's SDKs
  --debian 1.NN   a Go minor line to fetch from Debian bookworm/bookworm-backports
                  (repeatable; default: 1.22 and 1.23)
  --refresh       run `apt-get update` for the private apt lists even if they are recent
";

/// What the command line asked for.
#[derive(Debug, Default, PartialEq)]
pub struct Options {
    pub out: Option<PathBuf>,
    pub goroots: Vec<PathBuf>,
    pub debian: Vec<String>,
    pub refresh: bool,
}

pub fn run(args: Vec<OsString>) -> Result<()> {
    let Some(options) = parse_args(args)? else {
        print!("{USAGE}");
        return Ok(());
    };
    let cache = cache_root()?;
    let dir = build(&options, &cache, Platform::host()?)?;
    println!("{}", dir.display());
    Ok(())
}

/// Parses the task's arguments; `None` means help was asked for.
fn parse_args(args: Vec<OsString>) -> Result<Option<Options>> {
    let mut options = Options::default();
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let text = arg.to_string_lossy().into_owned();
        let (flag, inline) = match text.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => (flag.to_string(), Some(value)),
            _ => (text.clone(), None),
        };
        let mut value = |name: &str| -> Result<OsString> {
            match inline {
                Some(v) => Ok(OsString::from(v)),
                None => args.next().with_context(|| {
                    format!("`{name}` needs a value: see `cargo xtask fixtures --help`")
                }),
            }
        };
        match flag.as_str() {
            "-h" | "--help" => return Ok(None),
            "--out" => options.out = Some(PathBuf::from(value("--out")?)),
            "--goroot" => options.goroots.push(PathBuf::from(value("--goroot")?)),
            "--debian" => {
                let minor = value("--debian")?.to_string_lossy().into_owned();
                ensure!(
                    minor.starts_with("1.") && gomux_version::lang(&minor) == minor,
                    "`--debian {minor}` is not a Go minor line: give one like `1.22`"
                );
                options.debian.push(minor);
            }
            "--refresh" if inline.is_none() => options.refresh = true,
            _ => bail!("unknown argument `{text}`: see `cargo xtask fixtures --help`"),
        }
    }
    ensure!(
        options.goroots.is_empty() || options.debian.is_empty(),
        "`--goroot` and `--debian` cannot be combined: build one folder from one kind of source"
    );
    if options.goroots.is_empty() && options.debian.is_empty() {
        options.debian = DEFAULT_DEBIAN.iter().map(|m| m.to_string()).collect();
    }
    Ok(Some(options))
}

/// `$XDG_CACHE_HOME/gomux/fixtures`, else `$HOME/.cache/gomux/fixtures`: outside the source tree,
/// so `cargo clean` and a fresh clone keep the (large) archives.
fn cache_root() -> Result<PathBuf> {
    if let Some(xdg) = std::env::var_os("XDG_CACHE_HOME").map(PathBuf::from)
        && xdg.is_absolute()
    {
        return Ok(xdg.join("gomux").join("fixtures"));
    }
    match std::env::var_os("HOME").map(PathBuf::from) {
        Some(home) if home.is_absolute() => Ok(home.join(".cache").join("gomux").join("fixtures")),
        _ => bail!(
            "no cache folder for the fixtures: set `XDG_CACHE_HOME` or `HOME` to an absolute path"
        ),
    }
}

/// The Go platform the archives are for: the host's, named as Go names it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Platform {
    pub goos: &'static str,
    pub goarch: &'static str,
}

impl Platform {
    pub fn host() -> Result<Platform> {
        let os = std::env::consts::OS;
        let arch = std::env::consts::ARCH;
        let goos = match os {
            "macos" => "darwin",
            "windows" => bail!(
                "fixtures for Windows are not supported: official Windows archives are `.zip` files"
            ),
            "linux" | "freebsd" | "netbsd" | "openbsd" | "dragonfly" | "illumos" | "solaris"
            | "aix" => os,
            _ => bail!("no Go name known for the host OS `{os}`"),
        };
        let little = cfg!(target_endian = "little");
        let goarch = match arch {
            "x86_64" => "amd64",
            "x86" => "386",
            "aarch64" => "arm64",
            "arm" => "arm",
            "riscv64" => "riscv64",
            "s390x" => "s390x",
            "loongarch64" => "loong64",
            "powerpc64" if little => "ppc64le",
            "powerpc64" => "ppc64",
            "mips64" if little => "mips64le",
            "mips64" => "mips64",
            "mips" if little => "mipsle",
            "mips" => "mips",
            _ => bail!("no Go name known for the host architecture `{arch}`"),
        };
        Ok(Platform { goos, goarch })
    }

    /// The architecture as the Go downloads page names it (`arm` is published as `armv6l`).
    pub fn dl_arch(&self) -> &'static str {
        if self.goarch == "arm" {
            "armv6l"
        } else {
            self.goarch
        }
    }

    /// Where a GOROOT keeps this platform's tools, relative to the GOROOT.
    fn tool_dir(&self) -> String {
        format!("pkg/tool/{}_{}", self.goos, self.goarch)
    }

    fn archive_name(&self, toolchain: &str) -> String {
        format!("{toolchain}.{}-{}.tar.gz", self.goos, self.dl_arch())
    }
}

/// One GOROOT to pack.
#[derive(Debug)]
struct SdkSource {
    /// The toolchain name: the first line of `VERSION`.
    name: String,
    root: PathBuf,
    /// Symlinks must resolve inside this folder (the Debian staging root); `None` follows any.
    confine: Option<PathBuf>,
}

/// One archive written into the output folder.
#[derive(Debug, Clone)]
pub struct Packed {
    pub name: String,
    pub file_name: String,
    pub sha256: String,
    pub size: u64,
}

/// Builds (or reuses) the fixture folder and returns its path.
pub fn build(options: &Options, cache: &Path, platform: Platform) -> Result<PathBuf> {
    let started = Instant::now();
    fs::create_dir_all(cache)
        .with_context(|| format!("cannot create the fixtures cache `{}`", cache.display()))?;
    let _lock = lock(cache)?;
    remove_stale_work(cache);

    let plan = if options.goroots.is_empty() {
        Plan::debian(cache, &options.debian, options.refresh)?
    } else {
        Plan::goroots(&options.goroots)?
    };
    let key = plan.key(platform);
    let dest = match &options.out {
        Some(out) => absolute(out)?,
        None => cache.join(&key),
    };
    if is_complete(&dest, &key) {
        progress(&format!(
            "reusing `{}` (built from the same sources)",
            dest.display()
        ));
        return Ok(dest);
    }

    let work = WorkDir(cache.join(format!(".tmp-{key}-{}", std::process::id())));
    let out = work.0.join("out");
    fs::create_dir_all(&out).with_context(|| format!("cannot create `{}`", out.display()))?;
    let stage = WorkDir(staging_dir(&work.0, &plan));
    let sources = plan.sources(&work.0, &stage.0, platform)?;

    let packed = std::thread::scope(|scope| {
        let handles: Vec<_> = sources
            .iter()
            .map(|source| scope.spawn(|| pack(source, platform, &out)))
            .collect();
        join_all(handles)
    })?;
    // The staging tree is no longer needed: remove it while the archives are checked, since
    // deleting tens of thousands of files waits on the disk more than on the CPU.
    std::thread::scope(|scope| {
        let remover = scope.spawn(|| {
            let _ = fs::remove_dir_all(&stage.0);
            Ok(())
        });
        let mut handles: Vec<_> = packed
            .iter()
            .map(|p| scope.spawn(|| verify(&out.join(&p.file_name), p, &work.0, platform)))
            .collect();
        handles.push(remover);
        join_all(handles).map(drop)
    })?;

    write_index(&out.join(INDEX), &packed, platform)?;
    let mut marker = format!("key {key}\n");
    marker.push_str(&plan.describe(platform));
    fs::write(out.join(MARKER), marker)
        .with_context(|| format!("cannot write `{}`", out.join(MARKER).display()))?;
    publish(&out, &dest)?;
    let cleanup = Instant::now();
    drop(work);
    progress(&format!(
        "removed the work files ({:.1} s)",
        cleanup.elapsed().as_secs_f64()
    ));
    progress(&format!(
        "{} archive(s) in `{}` ({:.1} s)",
        packed.len(),
        dest.display(),
        started.elapsed().as_secs_f64()
    ));
    Ok(dest)
}

/// Joins worker threads, returning their results or the first error.
fn join_all<T>(handles: Vec<std::thread::ScopedJoinHandle<'_, Result<T>>>) -> Result<Vec<T>> {
    handles
        .into_iter()
        .map(|h| {
            h.join()
                .unwrap_or_else(|_| Err(anyhow::anyhow!("a worker thread panicked")))
        })
        .collect()
}

fn progress(message: &str) {
    eprintln!("fixtures: {message}");
}

fn absolute(path: &Path) -> Result<PathBuf> {
    std::path::absolute(path).with_context(|| format!("cannot make `{}` absolute", path.display()))
}

/// A folder removed when the build ends, whether it succeeded or not.
struct WorkDir(PathBuf);

impl Drop for WorkDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Serialises builds that share a cache folder (two checkouts, a developer and a CI run).
fn lock(cache: &Path) -> Result<File> {
    let path = cache.join(".lock");
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("cannot open the lock file `{}`", path.display()))?;
    match file.try_lock() {
        Ok(()) => {}
        Err(fs::TryLockError::WouldBlock) => {
            progress(&format!(
                "waiting for another `cargo xtask fixtures` (lock `{}`)",
                path.display()
            ));
            file.lock()
                .with_context(|| format!("cannot lock `{}`", path.display()))?;
        }
        Err(fs::TryLockError::Error(err)) => {
            return Err(err).with_context(|| format!("cannot lock `{}`", path.display()));
        }
    }
    Ok(file)
}

/// Work folders of builds that were killed: safe to remove, since we hold the lock.
fn remove_stale_work(cache: &Path) {
    if let Ok(entries) = fs::read_dir(cache) {
        for entry in entries.flatten() {
            if entry.file_name().to_string_lossy().starts_with(".tmp-") {
                let _ = fs::remove_dir_all(entry.path());
            }
        }
    }
    // Staging folders in RAM belong to a process id; remove those whose process is gone.
    if let Ok(entries) = fs::read_dir(SHM) {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if let Some(pid) = name.strip_prefix(SHM_PREFIX)
                && !Path::new("/proc").join(pid).exists()
            {
                let _ = fs::remove_dir_all(entry.path());
            }
        }
    }
}

/// A RAM-backed folder (Linux); Debian's packages are unpacked there when it has room.
const SHM: &str = "/dev/shm";
const SHM_PREFIX: &str = "gomux-fixtures-";
/// Room the unpacked Debian packages of one Go minor line take, with a margin.
const STAGE_BYTES_PER_LINE: u64 = 512 << 20;

/// Where Debian's packages are unpacked. Tens of thousands of files are written, read once
/// and deleted: in RAM that takes seconds, on a disk mounted with `discard` it took minutes.
fn staging_dir(work: &Path, plan: &Plan) -> PathBuf {
    let on_disk = work.join("stage");
    let Plan::Debian { lines, .. } = plan else {
        return on_disk;
    };
    let need = STAGE_BYTES_PER_LINE * (lines.len() as u64 + 1);
    let shm = Path::new(SHM);
    if cfg!(target_os = "linux") && shm.is_dir() && free_bytes(shm).is_some_and(|f| f >= need) {
        shm.join(format!("{SHM_PREFIX}{}", std::process::id()))
    } else {
        on_disk
    }
}

/// Free bytes on the filesystem of `dir`, from `df -Pk` (`None` when it cannot tell).
fn free_bytes(dir: &Path) -> Option<u64> {
    let output = Command::new("df")
        .arg("-Pk")
        .arg(dir)
        .env("LC_ALL", "C")
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    parse_df(&String::from_utf8_lossy(&output.stdout))
}

/// The available bytes in `df -Pk` output (the fourth column of the second line).
fn parse_df(output: &str) -> Option<u64> {
    let line = output.lines().nth(1)?;
    let kib: u64 = line.split_whitespace().nth(3)?.parse().ok()?;
    Some(kib * 1024)
}

/// True when `dir` holds a finished build with this key.
fn is_complete(dir: &Path, key: &str) -> bool {
    let Ok(marker) = fs::read_to_string(dir.join(MARKER)) else {
        return false;
    };
    marker.lines().next() == Some(&format!("key {key}")) && dir.join(INDEX).is_file()
}

/// Moves the finished folder into place, replacing an older fixtures folder (never anything else).
fn publish(from: &Path, to: &Path) -> Result<()> {
    if to.exists() {
        let replaceable = to.join(MARKER).exists()
            || to.join(INDEX).exists()
            || fs::read_dir(to)
                .map(|mut d| d.next().is_none())
                .unwrap_or(false);
        ensure!(
            replaceable,
            "`{}` exists and is not a fixtures folder: remove it or choose another `--out`",
            to.display()
        );
        fs::remove_dir_all(to)
            .with_context(|| format!("cannot remove the old fixtures folder `{}`", to.display()))?;
    }
    if let Some(parent) = to.parent() {
        fs::create_dir_all(parent)
            .with_context(|| format!("cannot create `{}`", parent.display()))?;
    }
    if fs::rename(from, to).is_ok() {
        return Ok(());
    }
    // Another filesystem: the folder is flat (archives, index, marker), so copy it, marker last.
    let partial = to.with_extension("partial");
    let _ = fs::remove_dir_all(&partial);
    fs::create_dir_all(&partial)
        .with_context(|| format!("cannot create `{}`", partial.display()))?;
    let mut names: Vec<_> = fs::read_dir(from)?
        .map(|e| e.map(|e| e.file_name()))
        .collect::<io::Result<_>>()?;
    names.sort_by_key(|n| n == MARKER);
    for name in names {
        fs::copy(from.join(&name), partial.join(&name))
            .with_context(|| format!("cannot copy into `{}`", partial.display()))?;
    }
    fs::rename(&partial, to).with_context(|| {
        format!(
            "cannot rename `{}` to `{}`",
            partial.display(),
            to.display()
        )
    })
}

/// Where the SDKs come from, resolved far enough to compute the cache key.
enum Plan {
    /// `(minor line, [(package, version)])`, the `-go` package first.
    Debian {
        apt: Apt,
        lines: Vec<(String, Vec<(String, String)>)>,
    },
    /// Canonical GOROOT paths with their `VERSION` contents.
    Goroots(Vec<(PathBuf, String)>),
}

impl Plan {
    fn debian(cache: &Path, minors: &[String], refresh: bool) -> Result<Plan> {
        let apt = Apt::new(cache.join(".apt"));
        apt.prepare()?;
        apt.update(refresh)?;
        let mut names = Vec::new();
        for minor in minors {
            names.push(format!("golang-{minor}-go"));
            names.push(format!("golang-{minor}-src"));
        }
        let versions = apt.candidates(&names)?;
        let mut lines = Vec::new();
        for (i, minor) in minors.iter().enumerate() {
            lines.push((minor.clone(), versions[2 * i..2 * i + 2].to_vec()));
        }
        Ok(Plan::Debian { apt, lines })
    }

    fn goroots(roots: &[PathBuf]) -> Result<Plan> {
        let mut out: Vec<(PathBuf, String)> = Vec::new();
        for root in roots {
            let canonical = fs::canonicalize(root)
                .with_context(|| format!("`--goroot {}`: no such folder", root.display()))?;
            let version_file = canonical.join("VERSION");
            let version = fs::read_to_string(&version_file).with_context(|| {
                format!(
                    "`{}` has no readable `VERSION` file: only release GOROOTs can be packed",
                    canonical.display()
                )
            })?;
            ensure!(
                !out.iter().any(|(p, _)| *p == canonical),
                "`--goroot {}` is given twice",
                root.display()
            );
            out.push((canonical, version));
        }
        Ok(Plan::Goroots(out))
    }

    /// What the folder is built from, one item a line (also the marker's body).
    fn describe(&self, platform: Platform) -> String {
        let mut text = format!("{FORMAT}\nplatform {}/{}\n", platform.goos, platform.goarch);
        match self {
            Plan::Debian { lines, .. } => {
                for (_, packages) in lines {
                    for (name, version) in packages {
                        text.push_str(&format!("deb {name}={version}\n"));
                    }
                }
            }
            Plan::Goroots(roots) => {
                for (root, version) in roots {
                    let go = root.join("bin").join("go");
                    let stamp = fs::metadata(&go)
                        .map(|m| {
                            let mtime = m
                                .modified()
                                .ok()
                                .and_then(|t| t.duration_since(UNIX_EPOCH).ok());
                            format!("{} {}", m.len(), mtime.map_or(0, |d| d.as_secs()))
                        })
                        .unwrap_or_default();
                    text.push_str(&format!(
                        "goroot {} version {:?} go {stamp}\n",
                        root.display(),
                        version
                    ));
                }
            }
        }
        text
    }

    fn key(&self, platform: Platform) -> String {
        let kind = match self {
            Plan::Debian { .. } => "debian",
            Plan::Goroots(_) => "goroot",
        };
        let hash = hex(&Sha256::digest(self.describe(platform).as_bytes()));
        format!("{kind}-{}", &hash[..16])
    }

    /// Fetches what is needed and returns the GOROOTs to pack.
    fn sources(&self, work: &Path, stage: &Path, platform: Platform) -> Result<Vec<SdkSource>> {
        let mut sources = Vec::new();
        match self {
            Plan::Debian { apt, lines } => {
                let debs = work.join("debs");
                let wanted: Vec<_> = lines.iter().flat_map(|(_, p)| p.iter().cloned()).collect();
                let files = apt.download(&wanted, &debs)?;
                let started = Instant::now();
                fs::create_dir_all(stage)
                    .with_context(|| format!("cannot create `{}`", stage.display()))?;
                for file in &files {
                    run_tool(
                        Command::new("dpkg").arg("-x").arg(file).arg(stage),
                        "dpkg -x",
                    )?;
                }
                progress(&format!(
                    "unpacked {} package(s) ({:.1} s)",
                    files.len(),
                    started.elapsed().as_secs_f64()
                ));
                let _ = fs::remove_dir_all(&debs);
                let stage = fs::canonicalize(stage)?;
                for (minor, _) in lines {
                    let root = stage.join("usr").join("lib").join(format!("go-{minor}"));
                    let name = toolchain_name(&root)?;
                    let lang = gomux_version::from_toolchain(&name).map(gomux_version::lang);
                    ensure!(
                        lang.as_deref() == Some(minor.as_str()),
                        "the Debian package for Go {minor} holds `{name}`, not a go{minor}.x release"
                    );
                    sources.push(SdkSource {
                        name,
                        root,
                        confine: Some(stage.clone()),
                    });
                }
            }
            Plan::Goroots(roots) => {
                for (root, _) in roots {
                    let name = toolchain_name(root)?;
                    sources.push(SdkSource {
                        name,
                        root: root.clone(),
                        confine: None,
                    });
                }
            }
        }
        for source in &sources {
            let tools = source.root.join(platform.tool_dir());
            ensure!(
                tools.is_dir(),
                "`{}` has no `{}`: it is not a GOROOT for {}/{}",
                source.root.display(),
                platform.tool_dir(),
                platform.goos,
                platform.goarch
            );
            let twins = sources.iter().filter(|s| s.name == source.name).count();
            ensure!(
                twins == 1,
                "two SDKs are both called `{}`: give each toolchain once",
                source.name
            );
        }
        Ok(sources)
    }
}

/// The toolchain name of a GOROOT: the first line of its `VERSION`, which must be a release name.
fn toolchain_name(root: &Path) -> Result<String> {
    let file = root.join("VERSION");
    let text = fs::read_to_string(&file)
        .with_context(|| format!("cannot read `{}`: not a release GOROOT", file.display()))?;
    let name = text.lines().next().unwrap_or_default().trim().to_string();
    ensure!(
        gomux_version::from_toolchain(&name).is_some() && gomux_version::is_safe_name(&name),
        "`{}` names `{name}`, which is not a Go release name like `go1.22.3`",
        file.display()
    );
    Ok(name)
}

/// A private apt configuration: its own sources list, lists, status and cache under `dir`.
struct Apt {
    dir: PathBuf,
}

impl Apt {
    fn new(dir: PathBuf) -> Apt {
        Apt { dir }
    }

    fn sources_list(&self) -> String {
        DEBIAN_SUITES
            .iter()
            .map(|suite| {
                format!(
                    "deb [signed-by={DEBIAN_KEYRING} target=Packages] {DEBIAN_MIRROR} {suite} main\n"
                )
            })
            .collect()
    }

    fn prepare(&self) -> Result<()> {
        for sub in ["etc", "state/lists/partial", "cache/archives/partial"] {
            let dir = self.dir.join(sub);
            fs::create_dir_all(&dir)
                .with_context(|| format!("cannot create `{}`", dir.display()))?;
        }
        ensure!(
            Path::new(DEBIAN_KEYRING).is_file(),
            "`{DEBIAN_KEYRING}` is missing: install the `debian-archive-keyring` package, or pass \
             `--goroot DIR` to pack SDKs you already have"
        );
        fs::write(self.dir.join("etc/sources.list"), self.sources_list())?;
        let status = self.dir.join("state/status");
        if !status.exists() {
            fs::write(&status, "")?;
        }
        Ok(())
    }

    fn command(&self, program: &str) -> Command {
        let mut cmd = Command::new(program);
        let d = |sub: &str| self.dir.join(sub).display().to_string();
        for (key, value) in [
            ("Dir::Etc::SourceList", d("etc/sources.list")),
            ("Dir::Etc::SourceParts", "/dev/null".to_string()),
            ("Dir::Etc::Preferences", "/dev/null".to_string()),
            ("Dir::Etc::PreferencesParts", "/dev/null".to_string()),
            ("Dir::State", d("state")),
            ("Dir::State::Lists", d("state/lists")),
            ("Dir::State::status", d("state/status")),
            ("Dir::Cache", d("cache")),
            ("Debug::NoLocking", "1".to_string()),
            // The files land in our own folders, which apt's sandbox user may not reach.
            ("APT::Sandbox::User", "root".to_string()),
            ("Acquire::Languages", "none".to_string()),
        ] {
            cmd.arg("-o").arg(format!("{key}={value}"));
        }
        cmd.env("LC_ALL", "C").stdin(Stdio::null());
        cmd
    }

    /// Runs `apt-get update` unless the lists were fetched for the same sources recently.
    fn update(&self, force: bool) -> Result<()> {
        let stamp = self.dir.join("updated");
        let sources = self.sources_list();
        let fresh = fs::read_to_string(&stamp).is_ok_and(|s| s == sources)
            && fs::metadata(&stamp)
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| SystemTime::now().duration_since(t).ok())
                .is_some_and(|age| age < APT_LISTS_MAX_AGE);
        if fresh && !force {
            return Ok(());
        }
        let started = Instant::now();
        progress(&format!("apt-get update ({})", DEBIAN_SUITES.join(", ")));
        // The remembered candidates belong to the old lists.
        let _ = fs::remove_file(self.dir.join("candidates"));
        let mut cmd = self.command("apt-get");
        cmd.arg("update");
        match run_tool(&mut cmd, "apt-get update") {
            Ok(_) => {}
            Err(err) if stamp.exists() && !force => {
                progress(&format!(
                    "apt-get update failed, using the lists fetched before: {err:#}"
                ));
                return Ok(());
            }
            Err(err) => return Err(err),
        }
        fs::write(&stamp, sources)?;
        progress(&format!(
            "apt lists ready ({:.1} s)",
            started.elapsed().as_secs_f64()
        ));
        Ok(())
    }

    /// The version apt would fetch for each package, in order. Answers are remembered until
    /// the lists change, so a warm run does not pay for `apt-cache` reading all of Debian.
    fn candidates(&self, names: &[String]) -> Result<Vec<(String, String)>> {
        let memo_file = self.dir.join("candidates");
        let mut memo: Vec<(String, String)> = fs::read_to_string(&memo_file)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect();
        let missing: Vec<&String> = names
            .iter()
            .filter(|n| !memo.iter().any(|(m, _)| m == *n))
            .collect();
        if !missing.is_empty() {
            let mut cmd = self.command("apt-cache");
            cmd.arg("policy").args(&missing);
            let output = run_tool(&mut cmd, "apt-cache policy")?;
            for (name, version) in parse_policy(&output) {
                if let Some(version) = version
                    && missing.contains(&&name)
                {
                    memo.push((name, version));
                }
            }
            let text: String = memo.iter().map(|(n, v)| format!("{n}={v}\n")).collect();
            fs::write(&memo_file, text)
                .with_context(|| format!("cannot write `{}`", memo_file.display()))?;
        }
        names
            .iter()
            .map(|name| match memo.iter().find(|(n, _)| n == name) {
                Some((_, version)) => Ok((name.clone(), version.clone())),
                None => bail!(
                    "Debian package `{name}` is not in {} ({DEBIAN_MIRROR}): choose another \
                     `--debian` line",
                    DEBIAN_SUITES.join(" or ")
                ),
            })
            .collect()
    }

    /// `apt-get download` of exact versions into `dest`; returns the `.deb` files.
    fn download(&self, packages: &[(String, String)], dest: &Path) -> Result<Vec<PathBuf>> {
        let started = Instant::now();
        fs::create_dir_all(dest).with_context(|| format!("cannot create `{}`", dest.display()))?;
        let mut cmd = self.command("apt-get");
        cmd.arg("download").current_dir(dest);
        for (name, version) in packages {
            cmd.arg(format!("{name}={version}"));
        }
        run_tool(&mut cmd, "apt-get download")?;
        let mut files: Vec<PathBuf> = fs::read_dir(dest)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "deb"))
            .collect();
        files.sort();
        ensure!(
            files.len() == packages.len(),
            "`apt-get download` left {} file(s) in `{}`, expected {}",
            files.len(),
            dest.display(),
            packages.len()
        );
        // One minor line's `-go` package before its `-src`: both unpack into one tree anyway.
        let bytes: u64 = files
            .iter()
            .filter_map(|f| fs::metadata(f).ok())
            .map(|m| m.len())
            .sum();
        progress(&format!(
            "downloaded {} package(s), {} MB ({:.1} s)",
            files.len(),
            bytes / 1_000_000,
            started.elapsed().as_secs_f64()
        ));
        Ok(files)
    }
}

/// `apt-cache policy` output -> `(package, candidate)`; the candidate is `None` for `(none)`.
fn parse_policy(output: &str) -> Vec<(String, Option<String>)> {
    let mut found: Vec<(String, Option<String>)> = Vec::new();
    for line in output.lines() {
        if !line.starts_with(' ') && line.ends_with(':') {
            found.push((line.trim_end_matches(':').to_string(), None));
        } else if let Some(candidate) = line.trim().strip_prefix("Candidate:") {
            let candidate = candidate.trim();
            if let Some(last) = found.last_mut()
                && candidate != "(none)"
                && !candidate.is_empty()
            {
                last.1 = Some(candidate.to_string());
            }
        }
    }
    found
}

/// Runs a tool and returns its stdout; a failure carries the tail of its stderr.
fn run_tool(cmd: &mut Command, what: &str) -> Result<String> {
    let output = cmd.stdin(Stdio::null()).output().map_err(|err| {
        if err.kind() == io::ErrorKind::NotFound {
            anyhow::anyhow!(
                "`{what}` is not available: the Debian source needs apt and dpkg (a Debian or \
                 Ubuntu machine); pass `--goroot DIR` to pack SDKs you already have"
            )
        } else {
            anyhow::anyhow!("cannot run `{what}`: {err}")
        }
    })?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let tail: Vec<&str> = stderr.lines().rev().take(8).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        bail!("`{what}` failed ({}):\n{}", output.status, tail.join("\n"));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// The mode a file has in an official archive (cmd/distpack): executables and scripts 0755.
pub fn file_mode(rel: &str) -> u32 {
    let base = rel.rsplit('/').next().unwrap_or(rel);
    let script = [".bash", ".sh", ".pl", ".rc"]
        .iter()
        .any(|s| base.ends_with(s));
    if rel.starts_with("bin/") || rel.starts_with("pkg/tool/") || script || is_exec_wrapper(base) {
        0o755
    } else {
        0o644
    }
}

/// `go_<goos>_<goarch>_exec`, the wrappers `go test` runs for other platforms (wasm).
fn is_exec_wrapper(base: &str) -> bool {
    base.strip_prefix("go_")
        .and_then(|b| b.strip_suffix("_exec"))
        .and_then(|mid| mid.split_once('_'))
        .is_some_and(|(os, arch)| !os.is_empty() && !arch.is_empty())
}

/// Paths (relative to the GOROOT) that an official binary archive leaves out.
pub fn excluded(rel: &str) -> bool {
    const TOP: &[&str] = &[
        ".git",
        ".github",
        ".gitattributes",
        ".gitignore",
        "VERSION.cache",
    ];
    if TOP.contains(&rel) || rel == "pkg/obj" || rel.rsplit('/').next() == Some(".DS_Store") {
        return true;
    }
    // Helper tools that cmd/distpack drops from pkg/tool/<goos>_<goarch>.
    let parts: Vec<&str> = rel.split('/').collect();
    matches!(parts.as_slice(), ["pkg", "tool", _, tool] if ["api", "dist", "distpack", "metadata"].contains(tool))
}

/// The archives' mtime: the `time` line of `VERSION` (Go 1.21+), else the file's own mtime.
fn release_time(root: &Path) -> u64 {
    let file = root.join("VERSION");
    let from_line = fs::read_to_string(&file).ok().and_then(|text| {
        text.lines()
            .skip(1)
            .find_map(|l| l.strip_prefix("time "))
            .and_then(|t| parse_rfc3339(t.trim()))
    });
    from_line.unwrap_or_else(|| {
        fs::metadata(&file)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_secs())
    })
}

/// Seconds since the epoch for `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)`.
pub fn parse_rfc3339(text: &str) -> Option<u64> {
    let num = |s: &str| -> Option<i64> {
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse().ok())?
    };
    let (date, time) = text.split_once(['T', 't'])?;
    let mut d = date.splitn(3, '-');
    let (y, m, day) = (num(d.next()?)?, num(d.next()?)?, num(d.next()?)?);
    let (clock, offset) = if let Some(c) = time.strip_suffix(['Z', 'z']) {
        (c, 0)
    } else {
        let i = time.rfind(['+', '-'])?;
        let (oh, om) = time[i + 1..].split_once(':')?;
        let sign = if time.as_bytes()[i] == b'-' { -1 } else { 1 };
        (&time[..i], sign * (num(oh)? * 3600 + num(om)? * 60))
    };
    let clock = clock.split('.').next()?;
    let mut c = clock.splitn(3, ':');
    let (hh, mm, ss) = (num(c.next()?)?, num(c.next()?)?, num(c.next()?)?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&day) || hh > 23 || mm > 59 || ss > 60 {
        return None;
    }
    // Days from the civil date (proleptic Gregorian), after H. Hinnant's algorithm.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    u64::try_from(days * 86_400 + hh * 3600 + mm * 60 + ss - offset).ok()
}

/// A writer that hashes and counts what goes through it.
struct HashWriter<W> {
    inner: W,
    hasher: Sha256,
    size: u64,
}

impl<W: Write> Write for HashWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.size += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// A reader that hashes what goes through it.
struct HashReader<R> {
    inner: R,
    hasher: Sha256,
    size: u64,
}

impl<R: Read> Read for HashReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.size += n as u64;
        Ok(n)
    }
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

type ArchiveWriter = tar::Builder<GzEncoder<HashWriter<BufWriter<File>>>>;

/// Walks a GOROOT, following symlinks, and writes the archive entries under `go/`.
struct Packer<'a> {
    builder: ArchiveWriter,
    confine: Option<&'a Path>,
    mtime: u64,
    /// Canonical paths of the folders being walked, to refuse a symlink loop.
    ancestors: Vec<PathBuf>,
    files: u64,
}

/// Packs one GOROOT into `<out>/go<V>.<os>-<arch>.tar.gz`.
fn pack(source: &SdkSource, platform: Platform, out: &Path) -> Result<Packed> {
    let started = Instant::now();
    let file_name = platform.archive_name(&source.name);
    let path = out.join(&file_name);
    let file =
        File::create(&path).with_context(|| format!("cannot create `{}`", path.display()))?;
    let sink = HashWriter {
        inner: BufWriter::with_capacity(1 << 20, file),
        hasher: Sha256::new(),
        size: 0,
    };
    let builder = tar::Builder::new(GzEncoder::new(sink, Compression::new(GZIP_LEVEL)));
    let mut packer = Packer {
        builder,
        confine: source.confine.as_deref(),
        mtime: release_time(&source.root),
        ancestors: Vec::new(),
        files: 0,
    };
    packer.walk(&source.root, "").with_context(|| {
        format!(
            "cannot pack `{}` into `{}`",
            source.root.display(),
            path.display()
        )
    })?;
    let files = packer.files;
    let mut sink = packer
        .builder
        .into_inner()
        .and_then(|gz| gz.finish())
        .with_context(|| format!("cannot write `{}`", path.display()))?;
    sink.flush()
        .with_context(|| format!("cannot write `{}`", path.display()))?;
    let packed = Packed {
        name: source.name.clone(),
        file_name,
        sha256: hex(&sink.hasher.finalize()),
        size: sink.size,
    };
    progress(&format!(
        "packed {} ({} files, {} MB, {:.1} s)",
        packed.file_name,
        files,
        packed.size / 1_000_000,
        started.elapsed().as_secs_f64()
    ));
    Ok(packed)
}

impl Packer<'_> {
    fn header(&self, kind: tar::EntryType, mode: u32, size: u64) -> tar::Header {
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(kind);
        header.set_mode(mode);
        header.set_size(size);
        header.set_mtime(self.mtime);
        header.set_uid(0);
        header.set_gid(0);
        header
    }

    /// Adds the folder `dir` (whose archive path is `go/<rel>`) and everything under it.
    fn walk(&mut self, dir: &Path, rel: &str) -> Result<()> {
        let canonical =
            fs::canonicalize(dir).with_context(|| format!("cannot resolve `{}`", dir.display()))?;
        ensure!(
            !self.ancestors.contains(&canonical),
            "`{}` loops back to `{}` through a symlink",
            dir.display(),
            canonical.display()
        );
        self.ancestors.push(canonical);
        let name = if rel.is_empty() {
            "go/".to_string()
        } else {
            format!("go/{rel}/")
        };
        let mut header = self.header(tar::EntryType::Directory, 0o755, 0);
        self.builder.append_data(&mut header, &name, io::empty())?;

        let mut entries: Vec<(String, PathBuf)> = Vec::new();
        for entry in
            fs::read_dir(dir).with_context(|| format!("cannot list `{}`", dir.display()))?
        {
            let entry = entry.with_context(|| format!("cannot list `{}`", dir.display()))?;
            let file_name = entry.file_name();
            let Some(file_name) = file_name.to_str() else {
                bail!("`{}` has a name that is not UTF-8", entry.path().display());
            };
            entries.push((file_name.to_string(), entry.path()));
        }
        entries.sort();
        for (file_name, path) in entries {
            let child = if rel.is_empty() {
                file_name
            } else {
                format!("{rel}/{file_name}")
            };
            if excluded(&child) {
                continue;
            }
            let (path, meta) = self.resolve(&path)?;
            if meta.is_dir() {
                self.walk(&path, &child)?;
            } else if meta.is_file() {
                let file = File::open(&path)
                    .with_context(|| format!("cannot read `{}`", path.display()))?;
                let mut header =
                    self.header(tar::EntryType::Regular, file_mode(&child), meta.len());
                self.builder
                    .append_data(&mut header, format!("go/{child}"), file)
                    .with_context(|| format!("cannot add `{}`", path.display()))?;
                self.files += 1;
            } else {
                bail!(
                    "`{}` is neither a file nor a folder: it cannot go into an archive",
                    path.display()
                );
            }
        }
        self.ancestors.pop();
        Ok(())
    }

    /// Follows a symlink to what it points at; inside the confinement root when there is one.
    fn resolve(&self, path: &Path) -> Result<(PathBuf, fs::Metadata)> {
        let meta = fs::symlink_metadata(path)
            .with_context(|| format!("cannot stat `{}`", path.display()))?;
        if !meta.file_type().is_symlink() {
            return Ok((path.to_path_buf(), meta));
        }
        let target = fs::canonicalize(path).with_context(|| {
            format!(
                "symlink `{}` is broken (points at `{}`)",
                path.display(),
                fs::read_link(path).unwrap_or_default().display()
            )
        })?;
        if let Some(root) = self.confine {
            ensure!(
                target.starts_with(root),
                "symlink `{}` points outside `{}` (to `{}`): the SDK would not be whole",
                path.display(),
                root.display(),
                target.display()
            );
        }
        let meta =
            fs::metadata(&target).with_context(|| format!("cannot stat `{}`", target.display()))?;
        Ok((target, meta))
    }
}

/// Reads an archive back in full (shape, modes, sha256 and size), unpacks what the go command
/// needs into a scratch folder, and runs `go version` and `go env GOROOT` from there.
fn verify(archive: &Path, packed: &Packed, work: &Path, platform: Platform) -> Result<()> {
    let started = Instant::now();
    let scratch = WorkDir(work.join(format!("verify-{}", packed.name)));
    fs::create_dir_all(&scratch.0)?;
    let file =
        File::open(archive).with_context(|| format!("cannot open `{}`", archive.display()))?;
    let mut reader = HashReader {
        inner: BufReader::with_capacity(1 << 20, file),
        hasher: Sha256::new(),
        size: 0,
    };
    {
        let mut tar = tar::Archive::new(GzDecoder::new(&mut reader));
        let mut folders = HashSet::new();
        for entry in tar
            .entries()
            .with_context(|| format!("cannot read `{}`", archive.display()))?
        {
            let mut entry =
                entry.with_context(|| format!("cannot read `{}`", archive.display()))?;
            check_entry(&mut entry, &scratch.0, &mut folders)
                .with_context(|| format!("bad archive `{}`", archive.display()))?;
        }
    }
    io::copy(&mut reader, &mut io::sink())?;
    let sha256 = hex(&reader.hasher.finalize());
    ensure!(
        sha256 == packed.sha256 && reader.size == packed.size,
        "`{}` changed after it was written (sha256 {sha256}, {} bytes)",
        archive.display(),
        reader.size
    );
    let goroot = fs::canonicalize(scratch.0.join("go"))
        .with_context(|| format!("`{}` has no top-level `go/` folder", archive.display()))?;
    let first_line = toolchain_name(&goroot)?;
    ensure!(
        first_line == packed.name,
        "`{}` unpacks to `{first_line}`",
        archive.display()
    );

    let version = run_go(&goroot, &scratch.0, &["version"])?;
    let words: Vec<&str> = version.split_whitespace().collect();
    let platform_word = format!("{}/{}", platform.goos, platform.goarch);
    ensure!(
        words.len() >= 4
            && words[..3] == ["go", "version", packed.name.as_str()]
            && words.last() == Some(&platform_word.as_str()),
        "`go version` from `{}` printed `{}`, expected `go version {} {platform_word}`",
        archive.display(),
        version.trim(),
        packed.name
    );
    let reported = run_go(&goroot, &scratch.0, &["env", "GOROOT"])?;
    let reported = fs::canonicalize(reported.trim()).unwrap_or_default();
    ensure!(
        reported == goroot,
        "`go env GOROOT` from the unpacked `{}` printed `{}`, expected `{}`",
        archive.display(),
        reported.display(),
        goroot.display()
    );
    progress(&format!(
        "verified {} ({}, {:.1} s)",
        packed.file_name,
        version.trim(),
        started.elapsed().as_secs_f64()
    ));
    Ok(())
}

/// Checks one entry of an archive we just built, and writes it under `dest` if running the go
/// command needs it. Every entry must be a plain file or folder under `go/`, with the official
/// mode, and come after the entry of its folder. Only `VERSION`, `go.env`, `bin/` and
/// `pkg/tool/` reach the disk: enough for `go version` and `go env GOROOT`, and it spares
/// creating and deleting tens of thousands of files (slow on disks mounted with `discard`).
fn check_entry(
    entry: &mut tar::Entry<impl Read>,
    dest: &Path,
    folders: &mut HashSet<String>,
) -> Result<()> {
    let path = entry.path()?.into_owned();
    let kind = entry.header().entry_type();
    let plain = path
        .components()
        .all(|c| matches!(c, std::path::Component::Normal(_)));
    let name = path.to_str().map(|p| p.trim_end_matches('/').to_string());
    let rel = name.as_deref().and_then(|p| {
        if p == "go" {
            Some("")
        } else {
            p.strip_prefix("go/")
        }
    });
    let (Some(name), Some(rel)) = (name.as_deref(), rel) else {
        bail!("it holds `{}` outside `go/`", path.display());
    };
    ensure!(
        plain && (kind.is_file() || kind.is_dir()),
        "it holds `{}` ({kind:?}): only files and folders belong in an SDK archive",
        path.display()
    );
    let parent = name.rsplit_once('/').map(|(p, _)| p);
    ensure!(
        parent.is_none_or(|p| folders.contains(p)),
        "`{name}` comes without an entry for its folder"
    );
    let mode = entry.header().mode()? & 0o7777;
    let want = if kind.is_dir() { 0o755 } else { file_mode(rel) };
    ensure!(mode == want, "`{name}` has mode {mode:o}, not {want:o}");
    let on_disk = |rel: &str| {
        matches!(rel, "" | "VERSION" | "go.env" | "bin" | "pkg" | "pkg/tool")
            || rel.starts_with("bin/")
            || rel.starts_with("pkg/tool/")
    };
    if kind.is_dir() {
        ensure!(folders.insert(name.to_string()), "`{name}` comes twice");
        if on_disk(rel) {
            let target = dest.join(name);
            fs::create_dir(&target)
                .with_context(|| format!("cannot create `{}`", target.display()))?;
        }
        return Ok(());
    }
    if !on_disk(rel) {
        return Ok(());
    }
    let target = dest.join(name);
    let mut options = File::options();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, mode);
    let mut file = options
        .open(&target)
        .with_context(|| format!("cannot create `{}`", target.display()))?;
    io::copy(entry, &mut file).with_context(|| format!("cannot write `{}`", target.display()))?;
    Ok(())
}

/// Runs `<goroot>/bin/go` in a scrubbed environment, so that no GOTOOLCHAIN, go.mod or go/env
/// around us makes it switch toolchains or download anything.
fn run_go(goroot: &Path, cwd: &Path, args: &[&str]) -> Result<String> {
    let go = goroot.join("bin").join("go");
    let mut cmd = Command::new(&go);
    cmd.args(args)
        .current_dir(cwd)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("HOME", cwd.join("home"))
        .env("GOPATH", cwd.join("gopath"))
        .env("GOENV", "off")
        .env("GOTOOLCHAIN", "local")
        .env("GOFLAGS", "")
        .env("GOCACHE", cwd.join("gocache"));
    let what = format!("{} {}", go.display(), args.join(" "));
    run_tool(&mut cmd, &what)
}

#[derive(Serialize)]
struct IndexRelease<'a> {
    version: &'a str,
    stable: bool,
    files: Vec<IndexFile<'a>>,
}

#[derive(Serialize)]
struct IndexFile<'a> {
    filename: &'a str,
    os: &'a str,
    arch: &'a str,
    version: &'a str,
    sha256: &'a str,
    size: u64,
    kind: &'a str,
}

/// The release index in the go.dev/dl JSON format: newest first, indented with one space.
pub fn index_json(packed: &[Packed], platform: Platform) -> Result<String> {
    let mut sorted: Vec<&Packed> = packed.iter().collect();
    sorted.sort_by(|a, b| gomux_version::compare_names(&b.name, &a.name));
    let releases: Vec<IndexRelease> = sorted
        .iter()
        .map(|p| IndexRelease {
            version: &p.name,
            stable: !(p.name.contains("beta") || p.name.contains("rc")),
            files: vec![IndexFile {
                filename: &p.file_name,
                os: platform.goos,
                arch: platform.dl_arch(),
                version: &p.name,
                sha256: &p.sha256,
                size: p.size,
                kind: "archive",
            }],
        })
        .collect();
    let mut text = Vec::new();
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b" ");
    let mut serializer = serde_json::Serializer::with_formatter(&mut text, formatter);
    releases.serialize(&mut serializer)?;
    text.push(b'\n');
    Ok(String::from_utf8(text)?)
}

fn write_index(path: &Path, packed: &[Packed], platform: Platform) -> Result<()> {
    fs::write(path, index_json(packed, platform)?)
        .with_context(|| format!("cannot write `{}`", path.display()))
}

#[cfg(test)]
#[path = "fixtures_tests.rs"]
mod tests;

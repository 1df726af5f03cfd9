//! The generated cases: folder trees with go.mod / go.work files, an environment, a working
//! folder and a `go` command line.
//!
//! A case is written with placeholders (`{root}`, `{Nm}`, ...) so one corpus serves every
//! release: the versions in it are chosen relative to the release under test ([`Versions`]),
//! so "older", "equal", "newer patch" and "newer minor" mean the same branch of the selection
//! rules on go1.22.12 and on go1.27.3. The corpus is a pure function of its index: a small
//! seeded generator (splitmix64) per case, no hash-map order, no clock.

use std::fmt::Write as _;

/// One file of a case: a path below the case root (`/`-separated) and its text.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct File {
    pub path: String,
    pub text: String,
}

/// A generated case, before the placeholders are filled in.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    /// The index in the corpus (stable for a given generator); kept cases come after it.
    #[serde(skip)]
    pub id: usize,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<File>,
    /// Folder symlinks: (link path, target path), both below the case root.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<(String, String)>,
    /// Folders that exist (besides the working folder and the files' folders): a `-C` target.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dirs: Vec<String>,
    /// Variables set on top of the base environment (`{root}` is the case root).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub env: Vec<(String, String)>,
    /// The working folder below the case root ("" is the root); it may go through a link, and
    /// `PWD` then names the logical path as a shell would.
    #[serde(default)]
    pub cwd: String,
    /// The `go` arguments.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<String>,
    /// Fake toolchains (`go1.30.0`) put on PATH; each prints its own name when run.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fakes: Vec<String>,
}

/// The versions a case can name, relative to the release under test.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Versions {
    /// The release's toolchain name, as its VERSION file says (`go1.22.12`).
    pub local_name: String,
    pub minor: u64,
    pub patch: u64,
}

impl Versions {
    /// From a toolchain name `go1.M.P` (a suffix after a space or `-` is ignored).
    pub fn from_name(name: &str) -> Option<Versions> {
        let v = name.strip_prefix("go1.")?;
        let v = v.split([' ', '-']).next()?;
        let (m, p) = v.split_once('.').unwrap_or((v, "0"));
        Some(Versions {
            local_name: name.to_string(),
            minor: m.parse().ok()?,
            patch: p.parse().ok()?,
        })
    }

    /// The value of one version placeholder, or None for an unknown one.
    fn value(&self, key: &str) -> Option<String> {
        let (m, p) = (self.minor, self.patch);
        Some(match key {
            // Equal: the release itself and its language.
            "L" => format!("1.{m}.{p}"),
            "Lang" => format!("1.{m}"),
            // Older: a patch of the same minor, an older minor, its language.
            "Op" => {
                if p > 0 {
                    format!("1.{m}.{}", p - 1)
                } else {
                    format!("1.{}.5", m - 1)
                }
            }
            "Om" => format!("1.{}.4", m - 1),
            "Olang" => format!("1.{}", m - 1),
            // Newer: the next patch, the next minor (release, language, first rc).
            "Np" => format!("1.{m}.{}", p + 1),
            "Nm" => format!("1.{}.0", m + 1),
            "Nlang" => format!("1.{}", m + 1),
            "Nrc" => format!("1.{}rc1", m + 1),
            // Much newer.
            "Big" => "1.30.0".to_string(),
            "Biglang" => "1.30".to_string(),
            _ => return None,
        })
    }

    /// `text` with `{root}` and the version placeholders filled in; `{xff}` becomes U+FFFF's
    /// marker for an invalid byte (see [`to_bytes`]).
    pub fn fill(&self, text: &str, root: &str) -> String {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            match after.find('}') {
                Some(close) => {
                    let key = &after[..close];
                    match key {
                        "root" => out.push_str(root),
                        "LN" => out.push_str(&self.local_name),
                        "xff" => out.push(INVALID_BYTE),
                        _ => match self.value(key) {
                            Some(v) => out.push_str(&v),
                            None => {
                                out.push('{');
                                out.push_str(key);
                                out.push('}');
                            }
                        },
                    }
                    rest = &after[close + 1..];
                }
                None => {
                    out.push_str(&rest[open..]);
                    rest = "";
                }
            }
        }
        out.push_str(rest);
        out
    }

    /// The case with every placeholder filled in (`{root}` stays for the runner).
    pub fn resolve(&self, case: &Case) -> Case {
        let f = |s: &str| self.fill(s, "{root}");
        Case {
            id: case.id,
            files: case
                .files
                .iter()
                .map(|x| File {
                    path: x.path.clone(),
                    text: f(&x.text),
                })
                .collect(),
            links: case.links.clone(),
            dirs: case.dirs.clone(),
            env: case.env.iter().map(|(k, v)| (k.clone(), f(v))).collect(),
            cwd: case.cwd.clone(),
            args: case.args.iter().map(|a| f(a)).collect(),
            fakes: case.fakes.iter().map(|a| f(a)).collect(),
        }
    }
}

/// Stands for a byte that is not valid UTF-8 in a file's text (a private-use character).
pub const INVALID_BYTE: char = '\u{F8FF}';

/// A file's text as bytes: [`INVALID_BYTE`] becomes 0xFF.
pub fn to_bytes(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    for c in text.chars() {
        if c == INVALID_BYTE {
            out.push(0xFF);
        } else {
            let mut buf = [0u8; 4];
            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
        }
    }
    out
}

/// splitmix64: tiny, seedable, the same sequence everywhere.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number below `n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }

    /// True with probability `pct`/100.
    pub fn chance(&mut self, pct: u64) -> bool {
        self.next_u64() % 100 < pct
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// The size of the whole corpus (`--full`).
pub const FULL: usize = 1500;

/// The seed the corpus is generated from (not the sampling seed).
const CORPUS_SEED: u64 = 0x676f_6d75_7866_6964;

/// The whole corpus, in index order.
pub fn corpus() -> Vec<Case> {
    (0..FULL).map(generate).collect()
}

/// Minimal cases kept from earlier runs (each once a disagreement): they run with every
/// sample, after the generated ones.
const REGRESSIONS: &str = include_str!("regressions.json");

/// The kept minimal cases, numbered after the corpus.
pub fn regressions() -> anyhow::Result<Vec<Case>> {
    parse_cases(REGRESSIONS, FULL)
}

/// Cases from their JSON form (a list), numbered from `first`.
pub fn parse_cases(json: &str, first: usize) -> anyhow::Result<Vec<Case>> {
    let mut list: Vec<Case> =
        serde_json::from_str(json).map_err(|e| anyhow::anyhow!("kept cases: invalid JSON: {e}"))?;
    for (i, c) in list.iter_mut().enumerate() {
        c.id = first + i;
    }
    Ok(list)
}

/// Cases in the JSON form [`parse_cases`] reads, one per line.
pub fn to_json(cases: &[&Case]) -> anyhow::Result<String> {
    let mut s = String::from("[\n");
    for (i, c) in cases.iter().enumerate() {
        s.push_str("  ");
        s.push_str(&serde_json::to_string(c)?);
        s.push_str(if i + 1 < cases.len() { ",\n" } else { "\n" });
    }
    s.push_str("]\n");
    Ok(s)
}

/// `go` lines: every form the quick line scan and the version grammar distinguish.
const GO_LINES: &[&str] = &[
    "go {L}",
    "go {Lang}",
    "go {Op}",
    "go {Om}",
    "go {Olang}",
    "go {Np}",
    "go {Nm}",
    "go {Nlang}",
    "go {Nrc}",
    "go {Big}",
    "go {Biglang}",
    "go 1.20",
    "go 1.16",
    "go 2",
    "go 2.0",
    "go banana",
    "go 1.30.0-custom",
    "go \"{Big}\"",
    "go {Big} // comment",
    "go {Nm}// comment",
    "// go {Big}",
    "go\t{Big}",
    "\tgo {Nm}",
    "go   {Big}   ",
    "go1.30",
    "go 1.21rc",
    "go {Big}\u{a0}",
    "\u{2003}go {Big}",
    "\u{b}go {Nm}",
    "go {Big}\u{c}",
    "go\u{a0}{Big}",
    "go (\n\t{Big}\n)",
    "godebug default=go1.30",
];

/// `toolchain` lines.
const TOOLCHAIN_LINES: &[&str] = &[
    "toolchain go{L}",
    "toolchain go{L}-custom",
    "toolchain go{Op}",
    "toolchain go{Np}",
    "toolchain go{Nm}",
    "toolchain go{Nlang}",
    "toolchain go{Nrc}",
    "toolchain go{Big}",
    "toolchain go{Big}-custom",
    "toolchain default",
    "toolchain local",
    "toolchain {Big}",
    "toolchain gccgo-go{Big}",
    "toolchain banana",
    "toolchain go2.0.0",
    "toolchain go2",
    "toolchain go{Big}+auto",
    "toolchain go{Big} // pinned",
    // A name gomux refuses on purpose (a space): counted as deliberate.
    "toolchain go{Big} custom",
    "toolchain\tgo{Nm}",
    "\u{a0}toolchain go{Big}",
    "toolchain go{Big}\u{2003}",
    "toolchain (\n\tgo{Big}\n)",
    "tool example.com/tool",
];

/// Lines that are neither, some of them close look-alikes.
const OTHER_LINES: &[&str] = &[
    "require example.com/dep v1.0.0",
    "require (\n\tgo.opentelemetry.io/otel v1.0.0\n)",
    "// a comment",
    "",
    "godebug panicnil=1",
];

/// GOTOOLCHAIN values, in the environment or in the go env file.
const GOTOOLCHAINS: &[&str] = &[
    "local",
    "auto",
    "path",
    "go{Big}",
    "go{Np}",
    "go{Op}",
    "go{L}",
    "go{L}-custom",
    "go{Nm}",
    "go{Nlang}",
    "go{Op}+auto",
    "go{Nm}+auto",
    "go{Big}+auto",
    "go{L}+auto",
    "go{Op}+path",
    "go{Big}+path",
    "local+auto",
    "local+path",
    "auto+auto",
    "go{Big}+foo",
    "banana",
    "{Big}",
    "go2",
    "go1.30.0-custom",
    "go1.30.0-custom+path",
    "default",
    "",
];

/// Sub-commands (the `go` arguments after the optional `-C`).
pub const COMMANDS: &[&[&str]] = &[
    &["version"],
    &["version"],
    &["build"],
    &["build"],
    &["build", "./..."],
    &["env", "GOTOOLCHAIN"],
    &["env", "-w", "GOTOOLCHAIN=auto"],
    &["env", "-w", "GOTOOLCHAIN=local"],
    &["env", "GOMOD"],
    &["env", "GOWORK"],
    &["env", "GOTOOLCHAIN", "GOMOD"],
    &["env"],
    &["mod", "tidy"],
    &["install", "example.com/m@v1.2.3"],
    &["run", "example.com/m@v1.2.3"],
    &["install", "example.com/m@latest"],
    &["run", ".", "user@example.com"],
    &["run", "-exec", "foo@bar", "."],
    &["install", "-tags", "a@b", "./x"],
    &["install", "./cmd", "example.com/m@v1.2.3"],
    &["install", "example.com/m@"],
    &["install", "@v1.0.0"],
    &["install", ".hidden@v1.0.0"],
    &["install", "./x@v1.0.0"],
    &["install", "-modcacherw", "example.com/m@v1.0.0"],
    &["run", "-race", "example.com/m@v1.0.0"],
    &["get", "example.com/m@v1.0.0"],
    &["test"],
    &["bogus"],
    &["help"],
    &[],
];

/// Module files (path, kind) and the working folders a case may start in.
type Layout = (&'static [(&'static str, char)], &'static [&'static str]);

/// Where the files are: (files as (path, kind)), candidate working folders.
/// Kinds: `m` a go.mod, `w` a go.work.
const LAYOUTS: &[Layout] = &[
    (&[("w/m/go.mod", 'm')], &["w/m", "w/m/a", "w/m/a/b/c", "w"]),
    (&[("w/m/go.mod", 'm')], &["w/m", "w/m/a"]),
    (
        &[("w/go.work", 'w'), ("w/m/go.mod", 'm')],
        &["w/m", "w/m/a", "w", "w/m/a/b"],
    ),
    (&[("w/m/go.work", 'w')], &["w/m", "w/m/a"]),
    (
        &[("w/go.mod", 'm'), ("w/m/go.mod", 'm')],
        &["w/m/a", "w/m", "w"],
    ),
    (
        &[("w/m/go.work", 'w'), ("w/m/go.mod", 'm')],
        &["w/m", "w/m/a"],
    ),
    (&[], &["w/a", "w"]),
];

/// The case at `index` of the corpus.
pub fn generate(index: usize) -> Case {
    let mut rng = Rng::new(CORPUS_SEED ^ (index as u64).wrapping_mul(0x2545_F491_4F6C_DD1D));
    let mut case = Case {
        id: index,
        files: Vec::new(),
        links: Vec::new(),
        dirs: Vec::new(),
        env: Vec::new(),
        cwd: String::new(),
        args: Vec::new(),
        fakes: Vec::new(),
    };

    // The tree.
    let (files, cwds) = rng.pick(LAYOUTS);
    for (path, kind) in files.iter() {
        case.files.push(File {
            path: (*path).to_string(),
            text: module_file(&mut rng, *kind),
        });
    }
    let mut dir = rng.pick(cwds).to_string();

    // A symlinked working folder: `PWD` is the logical path.
    if rng.chance(6) {
        case.links.push(("l".to_string(), dir.clone()));
        dir = "l".to_string();
    }

    // The command line, possibly with `-C`.
    let mut args: Vec<String> = rng.pick(COMMANDS).iter().map(|s| s.to_string()).collect();
    let mut cwd = dir.clone();
    if rng.chance(18) {
        if dir != "l" {
            case.dirs.push(dir.clone());
        }
        let (from, target) = if rng.chance(15) {
            (dir.clone(), ".".to_string())
        } else if rng.chance(8) {
            (dir.clone(), "nowhere".to_string())
        } else {
            chdir_from(&dir)
        };
        cwd = from;
        let spelling = rng.below(4);
        let flag: Vec<String> = match spelling {
            0 => vec!["-C".into(), target],
            1 => vec![format!("-C={target}")],
            2 => vec!["--C".into(), target],
            _ => vec![format!("--C={target}")],
        };
        let at = if !args.is_empty() && rng.chance(30) {
            if args[0] == "mod" && args.len() > 1 {
                2
            } else {
                1
            }
        } else {
            0
        };
        for (i, a) in flag.into_iter().enumerate() {
            args.insert(at + i, a);
        }
    }
    case.cwd = cwd;
    case.args = args;

    // GOTOOLCHAIN in the environment.
    if rng.chance(45) {
        case.env
            .push(("GOTOOLCHAIN".into(), rng.pick(GOTOOLCHAINS).to_string()));
    }
    // The go env file.
    if rng.chance(30) {
        env_file(&mut rng, &mut case);
    }
    if rng.chance(12) {
        let gowork = *rng.pick(&[
            "off",
            "{root}/w/go.work",
            "{root}/w/m/go.work",
            "{root}/w/other.work",
            "go.work",
            "../go.work",
            "{root}/w",
            "auto",
            "",
        ]);
        case.env.push(("GOWORK".into(), gowork.to_string()));
    }
    if rng.chance(12) {
        let v = *rng.pick(&["on", "off", "auto", "", "bogus"]);
        case.env.push(("GO111MODULE".into(), v.to_string()));
    }
    if rng.chance(5) {
        if rng.chance(50) {
            case.env.push(("TMPDIR".into(), "{root}/w/m".into()));
        } else {
            case.links.push(("tl".into(), "w/m".into()));
            case.env.push(("TMPDIR".into(), "{root}/tl".into()));
        }
    }
    // Fake toolchains on PATH.
    if rng.chance(15) {
        let n = 1 + rng.below(2);
        for _ in 0..n {
            let f = rng
                .pick(&[
                    "go{Big}",
                    "go{Nm}",
                    "go{Np}",
                    "go{L}-custom",
                    "go{Op}",
                    "go{Nlang}",
                ])
                .to_string();
            if !case.fakes.contains(&f) {
                case.fakes.push(f);
            }
        }
    }
    case
}

/// A working folder outside `dir` and the `-C` value that leads back to it.
fn chdir_from(dir: &str) -> (String, String) {
    match dir.split_once('/') {
        Some((first, rest)) => (first.to_string(), rest.to_string()),
        None => (String::new(), dir.to_string()),
    }
}

/// A go.mod (`m`) or go.work (`w`) with random lines.
fn module_file(rng: &mut Rng, kind: char) -> String {
    let mut lines: Vec<String> = Vec::new();
    if kind == 'm' {
        lines.push("module example.com/m".into());
    }
    let gos = match rng.below(10) {
        0 => 0,
        1 => 2,
        _ => 1,
    };
    for _ in 0..gos {
        lines.push(rng.pick(GO_LINES).to_string());
    }
    let tcs = match rng.below(10) {
        0..=4 => 0,
        5 => 2,
        _ => 1,
    };
    for _ in 0..tcs {
        lines.push(rng.pick(TOOLCHAIN_LINES).to_string());
    }
    if rng.chance(30) {
        lines.push(rng.pick(OTHER_LINES).to_string());
    }
    if kind == 'w' && rng.chance(60) {
        lines.push("use ./m".into());
    }
    if rng.chance(20) && lines.len() > 1 {
        let i = rng.below(lines.len());
        let j = rng.below(lines.len());
        lines.swap(i, j);
    }
    let eol = if rng.chance(15) { "\r\n" } else { "\n" };
    let mut text = lines.join(eol);
    if !rng.chance(10) {
        text.push_str(eol);
    }
    text
}

/// A go env file with a GOTOOLCHAIN line (sometimes empty, sometimes ending in `\r`), at the
/// default place, at `$XDG_CONFIG_HOME`, relative `XDG_CONFIG_HOME`, or named by `GOENV`.
fn env_file(rng: &mut Rng, case: &mut Case) {
    let mut text = String::new();
    if rng.chance(15) {
        text.push_str("# written by hand\n");
    }
    if rng.chance(10) {
        text.push_str("GOFLAGS=-mod=mod\n");
    }
    if rng.chance(6) {
        text.push_str("X{xff}=1\n");
    }
    let value = if rng.chance(12) {
        String::new()
    } else {
        rng.pick(GOTOOLCHAINS).to_string()
    };
    let eol = if rng.chance(12) { "\r\n" } else { "\n" };
    let _ = write!(text, "GOTOOLCHAIN={value}{eol}");
    if rng.chance(10) {
        let _ = write!(text, "GOWORK=off{eol}");
    }
    if rng.chance(8) {
        let _ = write!(text, "GO111MODULE=off{eol}");
    }
    match rng.below(10) {
        0..=4 => case.files.push(File {
            path: "home/.config/go/env".into(),
            text,
        }),
        5 | 6 => {
            case.env
                .push(("XDG_CONFIG_HOME".into(), "{root}/xdg".into()));
            case.files.push(File {
                path: "xdg/go/env".into(),
                text,
            });
        }
        7 => {
            // Relative: Go then has no env file at all.
            case.env.push(("XDG_CONFIG_HOME".into(), "xdg".into()));
            let here = if case.cwd.is_empty() {
                "xdg/go/env".to_string()
            } else {
                format!("{}/xdg/go/env", case.cwd)
            };
            case.files.push(File {
                path: "home/.config/go/env".into(),
                text: text.clone(),
            });
            case.files.push(File { path: here, text });
        }
        8 => {
            case.env.push(("GOENV".into(), "{root}/goenv".into()));
            case.files.push(File {
                path: "goenv".into(),
                text,
            });
        }
        _ => {
            case.env.push(("GOENV".into(), "off".into()));
            case.files.push(File {
                path: "home/.config/go/env".into(),
                text,
            });
        }
    }
}

/// A readable rendering of a (resolved) case.
pub fn render(case: &Case) -> String {
    let mut s = String::new();
    for f in &case.files {
        let _ = writeln!(s, "  file {}:", f.path);
        for line in f.text.split_inclusive('\n') {
            let _ = writeln!(s, "    | {}", show(line));
        }
        if !f.text.ends_with('\n') {
            let _ = writeln!(s, "    (no newline at the end)");
        }
    }
    for (l, t) in &case.links {
        let _ = writeln!(s, "  link {l} -> {t}");
    }
    for d in &case.dirs {
        let _ = writeln!(s, "  dir  {d}/");
    }
    for (k, v) in &case.env {
        let _ = writeln!(s, "  env  {k}={}", show(v));
    }
    for f in &case.fakes {
        let _ = writeln!(s, "  fake {f} on PATH");
    }
    let cwd = if case.cwd.is_empty() { "." } else { &case.cwd };
    let args: Vec<String> = case.args.iter().map(|a| shell_word(a)).collect();
    let _ = writeln!(s, "  in   {cwd}: go {}", args.join(" "));
    s
}

/// A line shown with its invisible characters escaped (`\r`, `\t`, NBSP ...); the final `\n`
/// is dropped.
pub fn show(line: &str) -> String {
    let line = line.strip_suffix('\n').unwrap_or(line);
    let mut out = String::new();
    for c in line.chars() {
        match c {
            INVALID_BYTE => out.push_str("\\xff"),
            '\t' => out.push_str("\\t"),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() || (c.is_whitespace() && c != ' ') => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

fn shell_word(a: &str) -> String {
    if !a.is_empty()
        && a.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./=@+:,".contains(&b))
    {
        a.to_string()
    } else {
        format!("'{}'", show(a).replace('\'', "'\\''"))
    }
}

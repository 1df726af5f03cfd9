//! The file walk up from the working directory (pin files, go.work, go.mod, GOWORK) and the
//! environment forms that steer it (GO111MODULE, GOWORK, GOTOOLCHAIN).

use super::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ModulesMode {
    On,
    Off,
    Auto,
}

pub(crate) fn modules_mode(settings: &GoSettings<'_>) -> ModulesMode {
    match settings
        .get("GO111MODULE")
        .as_ref()
        .map(|(v, _)| v.as_str())
    {
        None | Some("on") => ModulesMode::On,
        Some("auto") => ModulesMode::Auto,
        Some(_) => ModulesMode::Off,
    }
}

pub(crate) enum GoWork {
    Search,
    Off,
    File(PathBuf),
    /// A relative `GOWORK`: an error, but only once Go reads module files (`FindGoWork`).
    Relative {
        value: String,
        origin: Origin,
    },
}

impl GoWork {
    /// The error Go stops with when it looks for the go.work under a relative `GOWORK`.
    pub(crate) fn check(&self) -> Result<(), ResolveError> {
        match self {
            GoWork::Relative { value, origin } => Err(ResolveError::RelativeGoWork {
                value: value.clone(),
                origin: origin.clone(),
            }),
            _ => Ok(()),
        }
    }
}

pub(crate) fn gowork_mode(settings: &GoSettings<'_>) -> GoWork {
    match settings.get("GOWORK") {
        None => GoWork::Search,
        Some((v, _)) if v.is_empty() || v == "auto" => GoWork::Search,
        Some((v, _)) if v == "off" => GoWork::Off,
        Some((v, origin)) => {
            let p = PathBuf::from(&v);
            if p.is_absolute() {
                GoWork::File(p)
            } else {
                GoWork::Relative { value: v, origin }
            }
        }
    }
}

#[derive(Default)]
pub(crate) struct Found {
    pub(crate) pin: Option<(PathBuf, Lined<Request>)>,
    pub(crate) gowork: Option<PathBuf>,
    pub(crate) gomod: Option<PathBuf>,
    /// Under `GOWORK=off`, the go.work the walk would have found: the workspace a module's
    /// calls still belong to for their caches (never for selection).
    pub(crate) workspace: Option<PathBuf>,
}

impl Found {
    /// The folder of the go.work, else the go.mod, else the pin file.
    pub(crate) fn project_root(&self) -> Option<PathBuf> {
        if let Some(ws) = self.workspace_of(self.gomod.as_deref()) {
            return Some(ws);
        }
        self.gowork
            .as_ref()
            .or(self.gomod.as_ref())
            .or(self.pin.as_ref().map(|(p, _)| p))
            .and_then(|p| p.parent().map(Path::to_path_buf))
    }

    /// The workspace folder a `GOWORK=off` call in the module of `gomod` belongs to: the
    /// folder of the go.work found above it (a tool such as an editor turning the workspace
    /// off for one of its modules keeps the workspace's caches).
    pub(crate) fn workspace_of(&self, gomod: Option<&Path>) -> Option<PathBuf> {
        let ws = self.workspace.as_deref()?.parent()?;
        let module = gomod?.parent()?;
        module.starts_with(ws).then(|| ws.to_path_buf())
    }
}

pub(crate) fn is_file(p: &Path) -> bool {
    std::fs::metadata(p).is_ok_and(|m| m.is_file())
}

/// One walk up from `start`, looking for the nearest pin file, go.work and go.mod.
///
/// This runs on every `go` call: one `stat` per candidate file and level, and the candidate
/// paths are built in one reused buffer.
pub(crate) fn walk(
    start: &Path,
    gowork: &GoWork,
    look_for_modules: bool,
    env: &dyn Fn(&str) -> Option<OsString>,
) -> Result<Found, ResolveError> {
    let mut found = Found::default();
    // A GOWORK file is used when it exists at all (Go's `os.Stat`): naming a folder is an
    // error when it is read, a missing file is ignored (`go work init` creates it).
    if let GoWork::File(p) = gowork
        && look_for_modules
        && std::fs::metadata(p).is_ok()
    {
        found.gowork = Some(p.clone());
    }
    let mut gomod_done = !look_for_modules;
    let search_work = look_for_modules && matches!(gowork, GoWork::Search);
    let find_workspace = look_for_modules && matches!(gowork, GoWork::Off);
    let mut buf = PathBuf::with_capacity(start.as_os_str().len() + 16);
    for dir in start.ancestors() {
        if found.pin.is_none() {
            if let Some(text) = read_pin(at(&mut buf, dir, ".go-version"))? {
                found.pin = Some((buf.clone(), files::parse_go_version(&buf, &text)?));
            } else if let Some(text) = read_pin(at(&mut buf, dir, ".tool-versions"))?
                && let Some(l) = files::parse_tool_versions(&buf, &text)?
            {
                found.pin = Some((buf.clone(), l));
            }
        }
        if search_work && found.gowork.is_none() && is_file(at(&mut buf, dir, "go.work")) {
            found.gowork = Some(buf.clone());
        }
        if find_workspace
            && found.gomod.is_some()
            && found.workspace.is_none()
            && is_file(at(&mut buf, dir, "go.work"))
        {
            found.workspace = Some(buf.clone());
        }
        if !gomod_done && is_file(at(&mut buf, dir, "go.mod")) {
            // The nearest go.mod decides; one in the temporary folder itself means no module
            // at all (Go's FindGoMod), not a reason to look further up.
            gomod_done = true;
            if !is_tmpdir(dir, env) {
                found.gomod = Some(buf.clone());
            }
        }
        let modules_done = gomod_done
            && (!search_work || found.gowork.is_some())
            && (!find_workspace || found.gomod.is_none() || found.workspace.is_some());
        if found.pin.is_some() && modules_done {
            break;
        }
    }
    Ok(found)
}

/// Whether `dir` is `os.TempDir()` (`$TMPDIR`, else `/tmp`), compared as Go's `search.InDir`
/// does: as written, then with links resolved.
fn is_tmpdir(dir: &Path, env: &dyn Fn(&str) -> Option<OsString>) -> bool {
    let tmp = env("TMPDIR")
        .filter(|t| !t.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/tmp"));
    let tmp: PathBuf = tmp.components().collect();
    dir == tmp || (tmp.is_absolute() && fsx::same_file(dir, &tmp))
}

/// Puts `dir/name` into `buf` (reused across the walk instead of a new path per candidate).
pub(crate) fn at<'b>(buf: &'b mut PathBuf, dir: &Path, name: &str) -> &'b Path {
    buf.clear();
    buf.push(dir);
    buf.push(name);
    buf
}

/// The most a pin file may hold. A `.go-version` is one line and a `.tool-versions` one line
/// per tool, so 64 KiB is hundreds of times any real one, yet still nothing to read, parse or
/// quote: a repository cannot make the proxy read, keep or print more than that.
pub const PIN_FILE_LIMIT: u64 = 64 * 1024;

/// Reads a pin file, `None` when there is none. The file is opened without a `stat` first
/// (`open`, `fstat`, `read`: the same number of calls as the `stat` and plain reads this
/// replaced), only a regular file is read (a FIFO never blocks the proxy), and at most
/// [`PIN_FILE_LIMIT`] bytes.
pub(crate) fn read_pin(path: &Path) -> Result<Option<String>, ResolveError> {
    let bad = |message: String, hint: String| ResolveError::BadPinFile {
        path: path.to_path_buf(),
        message,
        hint,
    };
    let shown = || text::escape_path(path);
    match fsx::read_bounded(path, PIN_FILE_LIMIT) {
        // A valid UTF-8 file (every real one) is not copied again.
        Ok(Some(bytes)) => {
            Ok(Some(String::from_utf8(bytes).unwrap_or_else(|e| {
                String::from_utf8_lossy(e.as_bytes()).into_owned()
            })))
        }
        Ok(None) => Ok(None),
        // A folder that may not be searched hides nothing gomux could use: as when no file is
        // there (only a file that exists but cannot be read is an error).
        Err(ReadError::Io(e))
            if e.source.kind() == std::io::ErrorKind::PermissionDenied
                && std::fs::metadata(path).is_err() =>
        {
            Ok(None)
        }
        Err(ReadError::Io(e)) => Err(bad(
            format!("cannot read `{}`: {}", shown(), fsx::describe(&e.source)),
            match e.source.kind() {
                std::io::ErrorKind::PermissionDenied => format!(
                    "check that you may read `{}` (its owner and mode), or remove it",
                    shown()
                ),
                _ => format!("check `{}`, or remove it", shown()),
            },
        )),
        Err(e) => Err(bad(
            e.to_string(),
            format!(
                "a pin file is a small text file naming one Go version, such as `1.22.3`: replace `{}` with one, or remove it",
                shown()
            ),
        )),
    }
}

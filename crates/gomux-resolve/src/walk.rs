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
/// This runs on every `go` call. Every level is probed relative to a handle on its folder
/// ([`Folders`]), so a probe costs one lookup whatever the depth (probing `dir/name` by its
/// full path walks it from `/` again: 200 levels deep that was +13 ms); a candidate's path is
/// built only when it is there.
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
    let mut buf = PathBuf::new();
    let folders = Folders::open(start);
    for (level, dir) in start.ancestors().enumerate() {
        let folder = folders.at(level, dir);
        if found.pin.is_none() {
            if let Some(text) = read_pin(&folder, GO_VERSION, &mut buf)? {
                found.pin = Some((buf.clone(), files::parse_go_version(&buf, &text)?));
            } else if let Some(text) = read_pin(&folder, TOOL_VERSIONS, &mut buf)?
                && let Some(l) = files::parse_tool_versions(&buf, &text)?
            {
                found.pin = Some((buf.clone(), l));
            }
        }
        if search_work && found.gowork.is_none() && folder.is_file(GO_WORK) {
            found.gowork = Some(dir.join(GO_WORK.0));
        }
        if find_workspace
            && found.gomod.is_some()
            && found.workspace.is_none()
            && folder.is_file(GO_WORK)
        {
            found.workspace = Some(dir.join(GO_WORK.0));
        }
        if !gomod_done && folder.is_file(GO_MOD) {
            // The nearest go.mod decides; one in the temporary folder itself means no module
            // at all (Go's FindGoMod), not a reason to look further up.
            gomod_done = true;
            if !is_tmpdir(dir, env) {
                found.gomod = Some(dir.join(GO_MOD.0));
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

/// A file name the walk probes, as text and as a C string (for `openat`/`fstatat`).
#[derive(Clone, Copy)]
#[cfg_attr(not(unix), allow(dead_code))]
pub(crate) struct Name(pub(crate) &'static str, pub(crate) &'static std::ffi::CStr);

const GO_VERSION: Name = Name(".go-version", c".go-version");
const TOOL_VERSIONS: Name = Name(".tool-versions", c".tool-versions");
const GO_WORK: Name = Name("go.work", c"go.work");
const GO_MOD: Name = Name("go.mod", c"go.mod");

/// Handles on every folder from `start` up, opened once from the top down, each relative to
/// the one above it (`openat(parent, name, O_PATH)`): one lookup per level, and the same
/// folders the paths name (a symlinked component is followed as in the path, unlike `..`).
/// A folder that cannot be opened (or a platform without `openat`) leaves that level and
/// those below it to their paths.
struct Folders {
    /// Bottom up, as `start.ancestors()`: `handles[0]` is `start`.
    #[cfg(unix)]
    handles: Vec<Option<std::os::fd::OwnedFd>>,
}

/// One level of the walk: its path, and its handle when there is one.
pub(crate) struct Folder<'a> {
    path: &'a Path,
    #[cfg(unix)]
    fd: Option<std::os::fd::BorrowedFd<'a>>,
}

impl Folders {
    #[cfg(unix)]
    fn open(start: &Path) -> Folders {
        use std::os::fd::{AsRawFd as _, FromRawFd as _, OwnedFd};
        use std::os::unix::ffi::OsStrExt as _;
        use std::path::Component;
        let mut top_down: Vec<Option<OwnedFd>> = Vec::new();
        if start.is_absolute() {
            let flags = libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC;
            let mut name = [0u8; 256];
            let mut parent: Option<libc::c_int> = None;
            for c in start.components() {
                let fd = match (c, parent) {
                    // SAFETY: a NUL-terminated literal.
                    (Component::RootDir, None) => unsafe { libc::open(c"/".as_ptr(), flags) },
                    (Component::Normal(n), Some(p))
                        if n.len() < name.len() && !n.as_bytes().contains(&0) =>
                    {
                        name[..n.len()].copy_from_slice(n.as_bytes());
                        name[n.len()] = 0;
                        // SAFETY: `name` is NUL-terminated and `p` is an open folder handle.
                        unsafe { libc::openat(p, name.as_ptr().cast(), flags) }
                    }
                    _ => -1,
                };
                if fd < 0 {
                    break;
                }
                // SAFETY: `fd` was just opened and is owned by nothing else.
                let owned = unsafe { OwnedFd::from_raw_fd(fd) };
                parent = Some(owned.as_raw_fd());
                top_down.push(Some(owned));
            }
            let levels = start.ancestors().count();
            if top_down.len() > levels {
                top_down.clear();
            }
            // Not all opened: the handles still line up from the top.
            top_down.resize_with(levels, || None);
        }
        top_down.reverse();
        Folders { handles: top_down }
    }

    #[cfg(not(unix))]
    fn open(_start: &Path) -> Folders {
        Folders {}
    }

    fn at<'a>(&'a self, level: usize, path: &'a Path) -> Folder<'a> {
        #[cfg(not(unix))]
        let _ = level;
        Folder {
            path,
            #[cfg(unix)]
            fd: {
                use std::os::fd::AsFd as _;
                self.handles
                    .get(level)
                    .and_then(Option::as_ref)
                    .map(|f| f.as_fd())
            },
        }
    }
}

impl Folder<'_> {
    /// True when `name` in this folder is a regular file (following a symbolic link).
    pub(crate) fn is_file(&self, name: Name) -> bool {
        #[cfg(unix)]
        if let Some(fd) = self.fd {
            use std::os::fd::AsRawFd as _;
            // SAFETY: all-zero is a valid `stat`; `fd` is open and `name` NUL-terminated.
            let mut st: libc::stat = unsafe { std::mem::zeroed() };
            let rc = unsafe { libc::fstatat(fd.as_raw_fd(), name.1.as_ptr(), &mut st, 0) };
            return rc == 0 && (st.st_mode & libc::S_IFMT) == libc::S_IFREG;
        }
        is_file(&self.path.join(name.0))
    }

    /// Opens `name` in this folder for reading, as [`fsx::read_bounded`] does (`O_NONBLOCK`,
    /// so a FIFO never blocks).
    fn open_file(&self, name: Name, path: &Path) -> std::io::Result<std::fs::File> {
        #[cfg(unix)]
        if let Some(fd) = self.fd {
            use std::os::fd::{AsRawFd as _, FromRawFd as _};
            let flags = libc::O_RDONLY | libc::O_NONBLOCK | libc::O_CLOEXEC;
            // SAFETY: `fd` is open and `name` NUL-terminated.
            let got = unsafe { libc::openat(fd.as_raw_fd(), name.1.as_ptr(), flags) };
            if got < 0 {
                return Err(std::io::Error::last_os_error());
            }
            // SAFETY: `got` was just opened and is owned by nothing else.
            return Ok(unsafe { std::fs::File::from_raw_fd(got) });
        }
        #[cfg(not(unix))]
        let _ = name;
        let mut opts = std::fs::OpenOptions::new();
        opts.read(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt as _;
            opts.custom_flags(libc::O_NONBLOCK);
        }
        opts.open(path)
    }
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

/// The most a pin file may hold. A `.go-version` is one line and a `.tool-versions` one line
/// per tool, so 64 KiB is hundreds of times any real one, yet still nothing to read, parse or
/// quote: a repository cannot make the proxy read, keep or print more than that.
pub const PIN_FILE_LIMIT: u64 = 64 * 1024;

/// Reads the pin file `name` of `folder`, `None` when there is none; `buf` holds its path
/// afterwards (built only when the file is there, or for a message). The file is opened
/// without a `stat` first (`open`, `fstat`, `read`), only a regular file is read (a FIFO never
/// blocks the proxy), and at most [`PIN_FILE_LIMIT`] bytes.
pub(crate) fn read_pin(
    folder: &Folder<'_>,
    name: Name,
    buf: &mut PathBuf,
) -> Result<Option<String>, ResolveError> {
    #[cfg(unix)]
    let opened = if folder.fd.is_some() {
        folder.open_file(name, folder.path)
    } else {
        set_path(buf, folder.path, name.0);
        folder.open_file(name, buf)
    };
    #[cfg(not(unix))]
    let opened = {
        set_path(buf, folder.path, name.0);
        folder.open_file(name, buf)
    };
    if let Err(e) = &opened
        && matches!(
            e.kind(),
            std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
        )
    {
        return Ok(None);
    }
    set_path(buf, folder.path, name.0);
    read_pin_opened(opened, buf)
}

/// Puts `dir/name` into `buf`.
fn set_path(buf: &mut PathBuf, dir: &Path, name: &str) {
    buf.clear();
    buf.push(dir);
    buf.push(name);
}

/// The rest of [`read_pin`], once the file at `path` was opened (or not).
fn read_pin_opened(
    opened: std::io::Result<std::fs::File>,
    path: &Path,
) -> Result<Option<String>, ResolveError> {
    let bad = |message: String, hint: String| ResolveError::BadPinFile {
        path: path.to_path_buf(),
        message,
        hint,
    };
    let shown = || text::escape_path(path);
    match fsx::read_bounded_opened(opened, path, PIN_FILE_LIMIT) {
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

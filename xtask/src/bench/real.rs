//! Real SDKs for the benchmark: the fixture folder that `cargo xtask fixtures` builds (a release
//! index and official-layout archives), found without rebuilding it, and one archive unpacked.

use std::fs::{self, File};
use std::io::BufReader;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, bail};
use flate2::read::GzDecoder;

use crate::fixtures::{INDEX, MARKER, Platform};

/// One host archive listed in the fixtures' index.
pub struct Archive {
    pub dir: PathBuf,
    pub toolchain: String,
    pub filename: String,
    pub size: u64,
}

/// Where the fixtures are: `--fixtures DIR`, else `GOMUX_FIXTURES`, else the newest complete
/// folder in the fixtures cache. `Err` says why there are none (a table note, not a failure).
pub fn locate(explicit: Option<&Path>) -> std::result::Result<PathBuf, String> {
    if let Some(dir) = explicit {
        return check(dir).map(|()| dir.to_path_buf());
    }
    if let Some(dir) = std::env::var_os("GOMUX_FIXTURES").filter(|v| !v.is_empty()) {
        let dir = PathBuf::from(dir);
        return check(&dir).map(|()| dir);
    }
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| {
            std::env::var_os("HOME")
                .map(PathBuf::from)
                .filter(|p| p.is_absolute())
                .map(|h| h.join(".cache"))
        })
        .map(|c| c.join("gomux").join("fixtures"));
    let none = "no fixtures: run `cargo xtask fixtures` (or set `GOMUX_FIXTURES`)".to_string();
    let Some(cache) = cache else { return Err(none) };
    let Ok(rd) = fs::read_dir(&cache) else {
        return Err(none);
    };
    rd.flatten()
        .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
        .map(|e| e.path())
        .filter(|p| p.join(MARKER).is_file())
        .max_by_key(|p| fs::metadata(p.join(MARKER)).and_then(|m| m.modified()).ok())
        .ok_or(none)
}

fn check(dir: &Path) -> std::result::Result<(), String> {
    if dir.join(INDEX).is_file() {
        Ok(())
    } else {
        Err(format!("no fixtures: `{}` has no `{INDEX}`", dir.display()))
    }
}

/// The smallest archive for this host listed in the folder's index.
pub fn pick_archive(dir: &Path) -> Result<Archive> {
    let platform = Platform::host()?;
    let index = dir.join(INDEX);
    let text =
        fs::read_to_string(&index).with_context(|| format!("cannot read `{}`", index.display()))?;
    let releases: serde_json::Value = serde_json::from_str(&text)
        .with_context(|| format!("`{}` is not JSON", index.display()))?;
    let mut best: Option<Archive> = None;
    for file in releases
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|r| r["files"].as_array().into_iter().flatten())
    {
        let field = |k: &str| file[k].as_str().unwrap_or_default();
        if field("os") != platform.goos
            || field("arch") != platform.dl_arch()
            || field("kind") != "archive"
            || !field("filename").ends_with(".tar.gz")
        {
            continue;
        }
        let size = file["size"].as_u64().unwrap_or(u64::MAX);
        if best.as_ref().is_none_or(|b| size < b.size) && dir.join(field("filename")).is_file() {
            best = Some(Archive {
                dir: dir.to_path_buf(),
                toolchain: field("version").to_string(),
                filename: field("filename").to_string(),
                size,
            });
        }
    }
    best.with_context(|| {
        format!(
            "`{}` lists no `.tar.gz` archive for {}/{}",
            index.display(),
            platform.goos,
            platform.dl_arch()
        )
    })
}

/// Unpacks the archive into `into` and returns the GOROOT (`into/go`).
pub fn unpack(archive: &Archive, into: &Path) -> Result<PathBuf> {
    let path = archive.dir.join(&archive.filename);
    let file = File::open(&path).with_context(|| format!("cannot open `{}`", path.display()))?;
    fs::create_dir_all(into)?;
    tar::Archive::new(GzDecoder::new(BufReader::with_capacity(1 << 20, file)))
        .unpack(into)
        .with_context(|| format!("cannot unpack `{}`", path.display()))?;
    let goroot = into.join("go");
    if !goroot.join("bin").join("go").is_file() {
        bail!("`{}` holds no `go/bin/go`", path.display());
    }
    Ok(goroot)
}

//! Installs and uninstalls: lock, re-check, clean up after crashes, fetch with retries,
//! verify, and one atomic rename.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use gomux_home::fsx::{self, FOLDER_MARKER, TOOLCHAIN_MARKER};
use gomux_home::{Home, text};
use gomux_version::Request;
use reqwest::Url;
use serde::{Deserialize, Serialize};

use crate::error::DistError;
use crate::extract::{unpack_tar, unpack_zip};
use crate::fetch::{Fetcher, shown};
use crate::goproxy::{self, GoProxy, MODULE, PROOF_FILE, Recorded};
use crate::index::{Index, is_sha256};
use crate::lock::{self, Operation};
use crate::pipeline::{BodyFailure, gunzip_and_hash, hash_to_file};
use crate::platform::{Platform, parse_archive_filename};
use crate::progress::{Notices, Progress, Silent};
use crate::source::Source;
use crate::sumdb::{self, Proof, SumDb};
use crate::{Options, Spec};

const STAGING: &str = ".staging";
const DOWNLOAD: &str = ".download";
pub(crate) const TRASH: &str = ".trash";
const INDEX_LIMIT: u64 = 64 << 20;

/// A toolchain that is in place.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Installed {
    /// The toolchain's name (`go1.22.3`).
    pub name: String,
    /// Its GOROOT, `toolchains/<name>` under the gomux home (the link itself, when linked).
    pub dir: PathBuf,
    /// False when it was already installed (by an earlier run or by another gomux meanwhile).
    pub fresh: bool,
}

/// What [`uninstall`](crate::uninstall()) removed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Removed {
    /// An installed toolchain, deleted.
    Deleted(PathBuf),
    /// A linked toolchain: only the link was removed, the SDK it points to is untouched.
    Unlinked(PathBuf),
}

/// How a local archive is verified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verify {
    /// Against this sha256 (hex).
    Sha256(String),
    /// Against the release index entry of the archive's file name.
    Index,
    /// Not at all (the user said so explicitly).
    Unverified,
}

/// Where one archive comes from and what it must hash to.
struct Plan {
    url: Url,
    filename: String,
    /// How the archive is named in messages (its URL or its path).
    label: String,
    sha256: Option<String>,
    zip: bool,
    /// A toolchain module from the GOPROXY list, with its proof.
    module: Option<ModulePlan>,
}

/// A toolchain module to fetch: its version, and what proved it (or why nothing did).
struct ModulePlan {
    version: String,
    proof: Option<Proof>,
    unverified: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct CachedIndex {
    /// The index URL without its user info: this file is readable by others, and the
    /// password in a mirror URL must never be stored.
    url: String,
    index: Index,
}

/// The install pipeline for one home, source and platform.
pub struct Dist {
    home: Home,
    source: Source,
    platform: Platform,
    options: Options,
    fetcher: Fetcher,
    progress: Box<dyn Progress>,
}

fn check_name(name: &str) -> Result<(), DistError> {
    if gomux_version::is_safe_name(name) && gomux_version::from_toolchain(name).is_some() {
        Ok(())
    } else {
        Err(DistError::InvalidName {
            input: name.to_string(),
        })
    }
}

impl Dist {
    /// A pipeline installing into `home` from `source` for `platform`; it reports nothing
    /// until [`Dist::with_progress`] or [`Dist::with_notify`]. Touches neither disk nor
    /// network.
    pub fn new(home: Home, source: Source, platform: Platform, options: Options) -> Dist {
        let fetcher = Fetcher::new(options.http_timeout, source.allows_http());
        Dist {
            home,
            source,
            platform,
            options,
            fetcher,
            progress: Box::new(Silent),
        }
    }

    /// Sets what is told of the installs' progress: downloads and notices.
    pub fn with_progress(mut self, progress: impl Progress + 'static) -> Dist {
        self.progress = Box::new(progress);
        self
    }

    /// Sets where the notices go (waiting for a lock, retrying a download), and nothing else.
    pub fn with_notify(self, notify: impl Fn(&str) + Send + Sync + 'static) -> Dist {
        self.with_progress(Notices(notify))
    }

    /// The gomux home it installs into.
    pub fn home(&self) -> &Home {
        &self.home
    }
    /// Where it gets the release index and the archives.
    pub fn source(&self) -> &Source {
        &self.source
    }
    /// Where it gets toolchains, to change before installing (`--allow-unverified`).
    pub fn source_mut(&mut self) -> &mut Source {
        &mut self.source
    }
    /// The platform whose archives it installs.
    pub fn platform(&self) -> &Platform {
        &self.platform
    }
    /// The tunables it was built with.
    pub fn options(&self) -> &Options {
        &self.options
    }

    // ---- the release index ----

    fn read_cache(&self, max_age: Option<std::time::Duration>) -> Option<Index> {
        let path = self.home.index_cache_file();
        if let Some(max_age) = max_age {
            let modified = fs::metadata(&path).and_then(|m| m.modified()).ok()?;
            let age = SystemTime::now().duration_since(modified).ok()?;
            if age > max_age {
                return None;
            }
        }
        let bytes = fsx::read_bounded(&path, 4 * INDEX_LIMIT).ok()??;
        let cached: CachedIndex = serde_json::from_slice(&bytes).ok()?;
        let hit = cached.url == shown(self.source.index_url());
        if hit {
            tracing::debug!(
                "release index of `{}` from the cache `{}`",
                cached.url,
                path.display()
            );
        }
        hit.then_some(cached.index)
    }

    fn write_cache(&self, index: &Index) {
        // The cache only saves a round trip; failing to write it is not worth an error.
        let path = self.home.index_cache_file();
        let cached = CachedIndex {
            url: shown(self.source.index_url()),
            index: index.clone(),
        };
        let Ok(text) = serde_json::to_vec(&cached) else {
            return;
        };
        if let Some(dir) = path.parent() {
            let _ = fsx::create_owned_dir(dir, FOLDER_MARKER);
        }
        // A new file gets 0666 less the umask; the cache decides which hashes are trusted,
        // so nobody else may write it.
        if fsx::write_atomic(&path, &text).is_ok() {
            let _ = crate::extract::set_mode(&path, 0o644);
        }
    }

    /// Downloads the release index (with retries) and caches it.
    pub fn refresh_index(&self) -> Result<Index, DistError> {
        if let Some(gp) = self.source.goproxy() {
            let index = self.goproxy_index(gp)?;
            self.write_cache(&index);
            return Ok(index);
        }
        let url = self.source.index_url();
        tracing::debug!("downloading the release index `{}`", shown(url));
        let index = match self.fetch_index(url) {
            // A static file server answers the JSON query with a folder listing (or not at
            // all): the mirror's own `index.json` beside its files is the index then.
            Err(e @ (DistError::BadIndex { .. } | DistError::NotFound { .. })) => {
                match self.source.fallback_index_url() {
                    Some(fallback) => {
                        tracing::info!(
                            "`{}` did not answer with an index ({e}); reading `{}` instead",
                            shown(url),
                            shown(fallback)
                        );
                        let index = self.fetch_index(fallback).map_err(|_| e)?;
                        tracing::info!("release index read from `{}`", shown(fallback));
                        index
                    }
                    None => return Err(e),
                }
            }
            other => {
                let index = other?;
                tracing::info!("release index read from `{}`", shown(url));
                index
            }
        };
        self.write_cache(&index);
        Ok(index)
    }

    /// The toolchains the proxies' `golang.org/toolchain/@v/list` offers for this platform,
    /// as a release index (no sha256: the checksum database proves each one at install).
    fn goproxy_index(&self, gp: &GoProxy) -> Result<Index, DistError> {
        let (list, from) = gp.proxies.first(|p| {
            let url = p
                .join(&format!("{MODULE}/@v/list"))
                .map_err(|e| DistError::BadSource {
                    value: shown(p),
                    origin: gp.proxies.origin.clone(),
                    reason: e.to_string(),
                })?;
            self.with_retries(|| self.fetcher.read_small(&url, INDEX_LIMIT))
        })?;
        let list = String::from_utf8_lossy(&list);
        let releases: Vec<serde_json::Value> = goproxy::names_for(&list, &self.platform)
            .into_iter()
            .map(|name| {
                let stable = !name.contains("rc") && !name.contains("beta");
                serde_json::json!({
                    "version": name,
                    "stable": stable,
                    "files": [{
                        "filename": self.platform.archive_filename(&name),
                        "os": self.platform.os,
                        "arch": self.platform.arch,
                        "kind": "archive",
                    }],
                })
            })
            .collect();
        let json = serde_json::to_vec(&releases).unwrap_or_default();
        Index::parse(&json).map_err(|detail| DistError::BadIndex {
            url: shown(&from),
            detail: text::escape_max(&detail, 400),
        })
    }

    fn fetch_index(&self, url: &Url) -> Result<Index, DistError> {
        let bytes = self.with_retries(|| self.fetcher.read_small(url, INDEX_LIMIT))?;
        Index::parse(&bytes).map_err(|detail| DistError::BadIndex {
            url: shown(url),
            detail: text::escape_max(&detail, 400),
        })
    }

    /// The release index: the cached copy while it is fresh, else a new download.
    pub fn index(&self) -> Result<Index, DistError> {
        if let Some(index) = self.read_cache(Some(self.options.index_max_age)) {
            return Ok(index);
        }
        self.refresh_index()
    }

    /// The index for looking up `name`: a fresh cache that lists it, else a new download.
    /// `Ok(None)` when the source has no index at all (a mirror with `.sha256` files only).
    fn index_for(&self, name: &str) -> Result<Option<Index>, DistError> {
        if let Some(index) = self.read_cache(Some(self.options.index_max_age))
            && index.release(name).is_some()
        {
            return Ok(Some(index));
        }
        match self.refresh_index() {
            Ok(index) => Ok(Some(index)),
            Err(DistError::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The toolchain name a spec means: an exact request as is; `latest` and families
    /// (`1.22`) through the index, for this platform.
    pub fn resolve(&self, spec: &Spec) -> Result<String, DistError> {
        if let Spec::Version(Request::Exact(name)) = spec {
            check_name(name)?;
            return Ok(name.clone());
        }
        let index = match self.index() {
            Ok(index) => index,
            Err(DistError::NotFound { url, .. }) => {
                return Err(DistError::NoIndex {
                    request: spec.to_string(),
                    url,
                });
            }
            Err(e) => return Err(e),
        };
        let found = match spec {
            Spec::Latest => index.latest(&self.platform),
            Spec::Version(request) => index.pick(request, &self.platform),
        };
        found
            .map(|r| r.version.clone())
            .ok_or_else(|| DistError::NoMatch {
                request: spec.to_string(),
                platform: self.platform.to_string(),
                index: shown(self.source.index_url()),
            })
    }

    // ---- installing ----

    /// Installs toolchain `name` (`go1.22.3`) from the source, unless it is already there.
    pub fn install(&self, name: &str) -> Result<Installed, DistError> {
        if let Some(gp) = self.source.goproxy() {
            return self.install_with(name, || self.plan_module(gp, name));
        }
        self.install_with(name, || self.plan_download(name))
    }

    /// Proves toolchain module `name` with the checksum database before anything is
    /// downloaded; without a proof, refused unless unverified installs are allowed (and even
    /// then only when there is no database to ask, never when a proof failed).
    fn plan_module(&self, gp: &GoProxy, name: &str) -> Result<Plan, DistError> {
        let version = goproxy::module_version(name, &self.platform);
        let module = format!("{MODULE}@{version}");
        let (proof, refused) = match &gp.sumdb {
            SumDb::Off => (
                None,
                sumdb::Refused {
                    why: format!(
                        "the checksum database is turned off ({} is `off`)",
                        gp.sumdb_origin
                    ),
                    unreachable: true,
                },
            ),
            SumDb::On(db) => {
                let get =
                    |u: &Url, limit: u64| self.with_retries(|| self.fetcher.read_small(u, limit));
                let proven = sumdb::choose_base(db, &gp.proxies, &get)
                    .map_err(|e| sumdb::Refused {
                        why: format!(
                            "the checksum database `{}` is unavailable through the proxy: {e}",
                            db.key.name
                        ),
                        unreachable: true,
                    })
                    .and_then(|base| {
                        sumdb::prove(db, &base, MODULE, &version, &self.home.sumdb_dir(), &get)
                    });
                match proven {
                    Ok(p) => (
                        Some(p),
                        sumdb::Refused {
                            why: String::new(),
                            unreachable: false,
                        },
                    ),
                    Err(r) => (None, r),
                }
            }
        };
        if proof.is_none() && !(gp.allow_unverified && refused.unreachable) {
            return Err(DistError::NoProof {
                module,
                why: refused.why,
            });
        }
        if proof.is_none() {
            self.progress.notice(&format!(
                "warning: installing `{module}` without a proof: {}",
                refused.why
            ));
        }
        let first = gp
            .proxies
            .urls()
            .into_iter()
            .next()
            .ok_or_else(|| DistError::NoProxy {
                value: gp.proxies.value.clone(),
                origin: gp.proxies.origin.clone(),
                why: "it names no proxy (`direct` does not serve `golang.org/toolchain`)"
                    .to_string(),
            })?;
        let filename = format!("{version}.zip");
        let url = first
            .join(&format!("{MODULE}/@v/{filename}"))
            .map_err(|e| DistError::BadSource {
                value: shown(&first),
                origin: gp.proxies.origin.clone(),
                reason: e.to_string(),
            })?;
        Ok(Plan {
            url,
            filename,
            label: module,
            sha256: None,
            zip: true,
            module: Some(ModulePlan {
                version,
                proof,
                unverified: (!refused.why.is_empty()).then_some(refused.why),
            }),
        })
    }

    /// One try at a toolchain module: `.info`, `.mod` (its hash proven), then the zip, whose
    /// `h1:` hash must be the proven one before it is unpacked into `staging`.
    fn fetch_module(
        &self,
        gp: &GoProxy,
        plan: &Plan,
        m: &ModulePlan,
        name: &str,
        staging: &Path,
    ) -> Result<(), DistError> {
        let at = |p: &Url, ext: &str| {
            p.join(&format!("{MODULE}/@v/{}.{ext}", m.version))
                .map_err(|e| DistError::BadSource {
                    value: shown(p),
                    origin: gp.proxies.origin.clone(),
                    reason: e.to_string(),
                })
        };
        let (info, info_from) = gp
            .proxies
            .first(|p| self.fetcher.read_small(&at(p, "info")?, 64 * 1024))?;
        let info_version = serde_json::from_slice::<serde_json::Value>(&info)
            .ok()
            .and_then(|v| {
                v.get("Version")
                    .and_then(|v| v.as_str())
                    .map(str::to_string)
            });
        if info_version.as_deref() != Some(m.version.as_str()) {
            return Err(DistError::Corrupt {
                archive: shown(&at(&info_from, "info")?),
                detail: format!("it does not name version `{}`", m.version),
            });
        }
        let (gomod, mod_from) = gp
            .proxies
            .first(|p| self.fetcher.read_small(&at(p, "mod")?, 64 * 1024))?;
        let mut files = gomux_cache::dirhash::FileHashes::new();
        files.insert(
            "go.mod".to_string(),
            gomux_cache::dirhash::sha256_hex(&gomod[..])
                .map_err(|e| DistError::io("read", "go.mod", e))?,
        );
        let mod_h1 = gomux_cache::dirhash::hash1(&files);
        if let Some(p) = &m.proof
            && p.mod_h1 != mod_h1
        {
            return Err(DistError::ModuleMismatch {
                file: format!("{}.mod", m.version),
                url: shown(&at(&mod_from, "mod")?),
                expected: p.mod_h1.clone(),
                actual: mod_h1,
            });
        }
        let download = self.tmp_path(name, DOWNLOAD);
        let progress = &*self.progress;
        let (_, zip_from) = gp.proxies.first(|p| {
            let url = at(p, "zip")?;
            let body = self.fetcher.open(&url)?;
            let (len, is_file) = (body.len, body.is_file);
            progress.start(&plan.filename, len);
            let streamed =
                hash_to_file(body.reader, &download, self.options.max_download, progress)?;
            progress.finish();
            let streamed = streamed.map_err(|f| {
                if f.too_large {
                    DistError::TooLarge {
                        url: shown(&url),
                        limit: self.options.max_download,
                    }
                } else {
                    self.fetcher.body_error(&url, is_file, f.error, f.got, len)
                }
            })?;
            if let Some(len) = len
                && streamed.bytes != len
            {
                return Err(DistError::Interrupted {
                    host: crate::fetch::host_of(&url),
                    url: shown(&url),
                    got: streamed.bytes,
                    expected: Some(len),
                    detail: "the body does not have the announced length".to_string(),
                });
            }
            Ok(())
        })?;
        let zip_url = shown(&at(&zip_from, "zip")?);
        let result = self.unpack_module(plan, m, &download, &zip_url, staging);
        let _ = fs::remove_file(&download);
        result
    }

    fn unpack_module(
        &self,
        plan: &Plan,
        m: &ModulePlan,
        download: &Path,
        zip_url: &str,
        staging: &Path,
    ) -> Result<(), DistError> {
        let prefix = format!("{MODULE}@{}", m.version);
        let files = gomux_cache::dirhash::zip_files(download).map_err(|e| DistError::Corrupt {
            archive: zip_url.to_string(),
            detail: text::escape_max(&e.to_string(), 400),
        })?;
        let zip_h1 = gomux_cache::dirhash::hash1(&files);
        if let Some(p) = &m.proof
            && p.zip_h1 != zip_h1
        {
            return Err(DistError::ModuleMismatch {
                file: plan.filename.clone(),
                url: zip_url.to_string(),
                expected: p.zip_h1.clone(),
                actual: zip_h1,
            });
        }
        let mut only_files = files;
        only_files.retain(|n, _| !n.ends_with('/'));
        let tree_h1 = gomux_cache::dirhash::hash1(&only_files);
        let file = fs::File::open(download).map_err(|e| DistError::io("read", download, e))?;
        crate::extract::unpack_module_zip(file, staging, &prefix, zip_url, self.options.limits)?;
        goproxy::fix_tree(staging)?;
        let record = Recorded::new(
            prefix,
            zip_h1,
            tree_h1,
            m.proof.as_ref(),
            m.unverified.as_deref(),
        );
        let path = staging.join(PROOF_FILE);
        fsx::write_atomic(&path, record.render().as_bytes()).map_err(fs_error)?;
        let _ = crate::extract::set_mode(&path, 0o644);
        Ok(())
    }

    /// Installs a local archive. The toolchain name comes from `name` or from the archive's
    /// file name (`go1.22.3.linux-amd64.tar.gz`); the unpacked `VERSION` must agree.
    pub fn install_archive(
        &self,
        archive: &Path,
        name: Option<&str>,
        verify: &Verify,
    ) -> Result<Installed, DistError> {
        let path = std::path::absolute(archive).map_err(|e| DistError::io("read", archive, e))?;
        let filename = path
            .file_name()
            .and_then(|f| f.to_str())
            .unwrap_or_default()
            .to_string();
        let parsed = parse_archive_filename(&filename);
        let name = match (name, &parsed) {
            (Some(n), _) => n.to_string(),
            (None, Some((n, _))) => n.clone(),
            (None, None) => {
                return Err(DistError::UnnamedArchive {
                    archive: path.display().to_string(),
                });
            }
        };
        check_name(&name)?;
        if let Some((_, platform)) = &parsed
            && *platform != self.platform
        {
            return Err(DistError::WrongPlatform {
                archive: path.display().to_string(),
                found: platform.to_string(),
                host: self.platform.to_string(),
            });
        }
        if !path.is_file() {
            return Err(DistError::io(
                "read",
                &path,
                io::Error::new(io::ErrorKind::NotFound, "no such file"),
            ));
        }
        let url = Url::from_file_path(&path).map_err(|()| DistError::UnnamedArchive {
            archive: path.display().to_string(),
        })?;
        let label = path.display().to_string();
        let plan = || -> Result<Plan, DistError> {
            let sha256 = match verify {
                Verify::Sha256(hex) => {
                    let hex = hex.trim();
                    if !is_sha256(hex) {
                        return Err(DistError::BadChecksum {
                            value: hex.to_string(),
                            url: label.clone(),
                        });
                    }
                    Some(hex.to_ascii_lowercase())
                }
                Verify::Unverified => None,
                Verify::Index => Some(self.index_sha256(&name, &filename, &label)?),
            };
            Ok(Plan {
                module: None,
                zip: filename.ends_with(".zip"),
                url: url.clone(),
                filename: filename.clone(),
                label: label.clone(),
                sha256,
            })
        };
        self.install_with(&name, plan)
    }

    /// The sha256 the index gives for `filename` of release `name`.
    fn index_sha256(&self, name: &str, filename: &str, label: &str) -> Result<String, DistError> {
        let unverified = |why: String| DistError::Unverified {
            url: label.to_string(),
            why,
        };
        let index = match self.index_for(name) {
            Ok(Some(index)) => index,
            Ok(None) => {
                return Err(unverified(format!(
                    "there is no release index at `{}`",
                    shown(self.source.index_url())
                )));
            }
            Err(e) => return Err(unverified(format!("the release index is unavailable: {e}"))),
        };
        let file = index
            .release(name)
            .and_then(|r| r.files.iter().find(|f| f.filename == filename));
        if let Some(bad) = file.and_then(|f| f.bad_sha256.clone()) {
            return Err(DistError::BadIndexEntry {
                index: shown(self.source.index_url()),
                file: filename.to_string(),
                value: bad,
            });
        }
        file.and_then(|f| f.sha256.clone()).ok_or_else(|| {
            unverified(format!(
                "the release index at `{}` lists no sha256 for `{filename}`",
                shown(self.source.index_url())
            ))
        })
    }

    /// Finds the archive of `name` for this platform and its expected sha256.
    fn plan_download(&self, name: &str) -> Result<Plan, DistError> {
        let index_url = shown(self.source.index_url());
        let (filename, indexed_sha) = match self.index_for(name)? {
            Some(index) => {
                let release = index
                    .release(name)
                    .ok_or_else(|| DistError::UnknownVersion {
                        name: name.to_string(),
                        index: index_url.clone(),
                    })?;
                let file =
                    release
                        .archive_for(&self.platform)
                        .ok_or_else(|| DistError::NoArchive {
                            name: name.to_string(),
                            platform: self.platform.to_string(),
                            index: index_url.clone(),
                        })?;
                if let Some(bad) = &file.bad_sha256 {
                    return Err(DistError::BadIndexEntry {
                        index: index_url,
                        file: file.filename.clone(),
                        value: bad.clone(),
                    });
                }
                (file.filename.clone(), file.sha256.clone())
            }
            None => (self.platform.archive_filename(name), None),
        };
        let url = self.source.file_url(&filename)?;
        let sha256 = match indexed_sha {
            Some(sha) => sha,
            None => self.sha256_file(&url, &filename)?,
        };
        Ok(Plan {
            module: None,
            zip: filename.ends_with(".zip"),
            label: shown(&url),
            url,
            filename,
            sha256: Some(sha256),
        })
    }

    /// Reads `<archive>.sha256` beside an archive.
    fn sha256_file(&self, archive: &Url, filename: &str) -> Result<String, DistError> {
        let url = self.source.file_url(&format!("{filename}.sha256"))?;
        let bytes = match self.with_retries(|| self.fetcher.read_small(&url, 4096)) {
            Ok(b) => b,
            Err(DistError::NotFound { .. }) => {
                return Err(DistError::Unverified {
                    url: shown(archive),
                    why: format!(
                        "the release index at `{}` does not list it and there is no `{}`",
                        shown(self.source.index_url()),
                        shown(&url)
                    ),
                });
            }
            Err(e) => return Err(e),
        };
        crate::index::sha256_file_value(&bytes, &shown(&url))
    }

    /// Runs `f`, again after a pause while it fails with a transient error.
    fn with_retries<T>(&self, mut f: impl FnMut() -> Result<T, DistError>) -> Result<T, DistError> {
        let attempts = self.options.attempts.max(1);
        let mut pause = self.options.backoff;
        let mut attempt = 1;
        loop {
            match f() {
                Ok(v) => return Ok(v),
                Err(e) if e.is_transient() && attempt < attempts => {
                    self.progress.notice(&format!(
                        "{e}; trying again in {:.1}s ({attempt}/{attempts})",
                        pause.as_secs_f64()
                    ));
                    std::thread::sleep(pause);
                    pause *= 2;
                    attempt += 1;
                }
                Err(e) => return Err(e),
            }
        }
    }

    fn tmp_path(&self, name: &str, suffix: &str) -> PathBuf {
        self.home.tmp_entry(name, suffix)
    }

    /// The common path of every install: fast check, lock, re-check, clean up, plan,
    /// fetch into staging (with retries), verify, rename.
    fn install_with(
        &self,
        name: &str,
        plan: impl FnOnce() -> Result<Plan, DistError>,
    ) -> Result<Installed, DistError> {
        check_name(name)?;
        if let Some(dir) = self.home.toolchain_root(name) {
            return Ok(Installed {
                name: name.to_string(),
                dir,
                fresh: false,
            });
        }
        let lock_path = self.home.lock_file(name);
        let _lock = lock::acquire(
            &lock_path,
            name,
            Operation::Install,
            self.options.lock_timeout,
            &|m: &str| self.progress.notice(m),
        )?;
        // Another gomux may have finished the job while this one waited.
        if let Some(dir) = self.home.toolchain_root(name) {
            return Ok(Installed {
                name: name.to_string(),
                dir,
                fresh: false,
            });
        }
        self.clean_leftovers(name);
        let target = self.home.toolchain_dir(name);
        if fs::symlink_metadata(&target).is_ok() {
            return Err(DistError::Occupied {
                name: name.to_string(),
                path: target,
            });
        }
        let plan = plan()?;
        let staging = self.tmp_path(name, STAGING);
        let result = self
            .with_retries(|| {
                remove_tree(&staging)?;
                owned_dir(&self.home.tmp_dir())?;
                // The staging folder becomes the toolchain's root: 0755 whatever the umask.
                crate::extract::create_dir_0755(&staging)
                    .map_err(|e| DistError::io("create the folder", &staging, e))?;
                self.fetch_into(name, &plan, &staging)
            })
            .and_then(|()| check_unpacked(&staging, name, &plan.label))
            .and_then(|()| {
                owned_dir(&self.home.toolchains_dir())?;
                let _ = self.home.mark_layout(); // best effort: read by no install
                // The proof `gomux uninstall` asks for before it deletes this folder.
                TOOLCHAIN_MARKER
                    .write(&staging, &format!("toolchain={name}\n"))
                    .map_err(fs_error)?;
                fs::rename(&staging, &target)
                    .map_err(|e| DistError::io("move into place", &target, e))
            });
        if let Err(e) = result {
            let _ = remove_tree(&staging);
            let _ = fs::remove_file(self.tmp_path(name, DOWNLOAD));
            return Err(e);
        }
        Ok(Installed {
            name: name.to_string(),
            dir: target,
            fresh: true,
        })
    }

    /// Removes what crashed installs left: this toolchain's staging, partial download and
    /// trash (its lock is held), and other toolchains' when their lock is free.
    fn clean_leftovers(&self, name: &str) {
        for suffix in [STAGING, DOWNLOAD, TRASH] {
            let _ = remove_tree(&self.tmp_path(name, suffix));
        }
        let Ok(entries) = fs::read_dir(self.home.tmp_dir()) else {
            return;
        };
        for entry in entries.flatten() {
            let Ok(file_name) = entry.file_name().into_string() else {
                continue;
            };
            let Some(other) = [STAGING, DOWNLOAD, TRASH]
                .iter()
                .find_map(|s| file_name.strip_suffix(s))
            else {
                continue;
            };
            if other == name || !gomux_version::is_safe_name(other) {
                continue;
            }
            if let Ok(Some(_held)) =
                lock::try_acquire(&self.home.lock_file(other), Operation::Install)
            {
                let _ = remove_tree(&entry.path());
            }
        }
    }

    fn failure(&self, plan: &Plan, is_file: bool, f: BodyFailure, len: Option<u64>) -> DistError {
        if f.too_large {
            return DistError::TooLarge {
                url: plan.label.clone(),
                limit: self.options.max_download,
            };
        }
        self.fetcher
            .body_error(&plan.url, is_file, f.error, f.got, len)
    }

    /// One try: download (or read) the archive into `staging`, checking its sha256.
    fn fetch_into(&self, name: &str, plan: &Plan, staging: &Path) -> Result<(), DistError> {
        if let (Some(m), Some(gp)) = (&plan.module, self.source.goproxy()) {
            return self.fetch_module(gp, plan, m, name, staging);
        }
        let body = self.fetcher.open(&plan.url).map_err(|e| match e {
            DistError::NotFound {
                url, redirected, ..
            } => DistError::NotFound {
                url,
                redirected,
                what: Some(format!(
                    "{name} or the platform {} is not published there",
                    self.platform
                )),
            },
            e => e,
        })?;
        let (len, is_file) = (body.len, body.is_file);
        let progress = &*self.progress;
        progress.start(&plan.filename, len);
        let limits = self.options.limits;
        let streamed = if plan.zip {
            let download = self.tmp_path(name, DOWNLOAD);
            let streamed =
                hash_to_file(body.reader, &download, self.options.max_download, progress)?;
            progress.finish();
            let streamed = streamed.map_err(|f| self.failure(plan, is_file, f, len))?;
            self.check_sha(plan, &streamed.sha256)?;
            let file =
                fs::File::open(&download).map_err(|e| DistError::io("read", &download, e))?;
            let unpacked = unpack_zip(file, staging, &plan.label, limits);
            let _ = fs::remove_file(&download);
            unpacked?;
            streamed
        } else {
            let (unpacked, streamed) =
                gunzip_and_hash(body.reader, self.options.max_download, progress, |r| {
                    unpack_tar(r, staging, &plan.label, limits)
                });
            progress.finish();
            // A broken download explains everything else; then a wrong hash does.
            let streamed = streamed.map_err(|f| self.failure(plan, is_file, f, len))?;
            self.check_sha(plan, &streamed.sha256)?;
            unpacked?;
            streamed
        };
        if let Some(len) = len
            && streamed.bytes != len
        {
            return Err(DistError::Interrupted {
                host: crate::fetch::host_of(&plan.url),
                url: plan.label.clone(),
                got: streamed.bytes,
                expected: Some(len),
                detail: "the body does not have the announced length".to_string(),
            });
        }
        Ok(())
    }

    fn check_sha(&self, plan: &Plan, actual: &str) -> Result<(), DistError> {
        match &plan.sha256 {
            Some(expected) if expected != actual => Err(DistError::ChecksumMismatch {
                file: plan.filename.clone(),
                url: plan.label.clone(),
                expected: expected.clone(),
                actual: actual.to_string(),
            }),
            _ => Ok(()),
        }
    }
}

/// Checks what was unpacked: `VERSION` names `name`, and `bin/go` is there.
fn check_unpacked(root: &Path, name: &str, label: &str) -> Result<(), DistError> {
    let wrong = |found: String| DistError::WrongVersion {
        archive: label.to_string(),
        expected: name.to_string(),
        found,
    };
    let version = match gomux_home::read_version_file(root) {
        Ok(v) => v,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(wrong("no `go/VERSION` file".to_string()));
        }
        Err(e) => return Err(DistError::io("read", root.join("VERSION"), e)),
    };
    if version != name {
        return Err(wrong(format!("`{}`", text::escape_max(&version, 80))));
    }
    let go = gomux_home::sdk_tool(root, "go");
    let meta = fs::metadata(&go).ok().filter(|m| m.is_file());
    let Some(meta) = meta else {
        return Err(DistError::Corrupt {
            archive: label.to_string(),
            detail: format!("it has no `go/bin/{}`", gomux_home::exe("go")),
        });
    };
    // Extraction gives `bin/*` mode 0755; a toolchain whose `go` cannot run is never placed.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        if meta.permissions().mode() & 0o111 == 0 {
            return Err(DistError::Corrupt {
                archive: label.to_string(),
                detail: "its `go/bin/go` is not executable".to_string(),
            });
        }
    }
    #[cfg(not(unix))]
    let _ = meta;
    Ok(())
}

/// Creates one of gomux's layout folders (`tmp/`, `toolchains/`), marked as gomux's.
fn owned_dir(dir: &Path) -> Result<(), DistError> {
    fsx::create_owned_dir(dir, FOLDER_MARKER).map_err(fs_error)
}

fn fs_error(e: fsx::FsError) -> DistError {
    DistError::io(e.op, e.path, e.source)
}

/// Removes a tree gomux itself made inside `tmp/` (staging, downloads, trash), read-only
/// folders included; no error when it does not exist.
pub(crate) fn remove_tree(path: &Path) -> Result<(), DistError> {
    match fsx::remove_tree(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(DistError::io("remove", path, e)),
    }
}

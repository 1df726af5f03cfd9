//! The local layer: Go's own build-cache layout in the GOCACHE folder the cache policy chose,
//! so `go` without the helper (an older toolchain, `GOCACHEPROG` unset), `gomux cache list`
//! and `gomux cache clean` see the same entries.
//!
//! ```text
//! <GOCACHE>/<xx>/<action hex>-a   "v1 <action hex> <output hex> <size:%20d> <unix nanos:%20d>\n"
//! <GOCACHE>/<xx>/<output hex>-d   the output's bytes (its SHA-256 is its name)
//! ```
//!
//! Why writes skip `fsx::write_atomic`'s fsync: this is a cache, as Go's own is (Go never
//! syncs it either). Each file is written under a temporary name and renamed into place, so a
//! reader never sees half an entry; an entry lost to a crash is a miss.

use std::fs::{self, File};
use std::io::{self, Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use gomux_home::text::hex;

/// `v1 ` + 64 + ` ` + 64 + ` ` + 20 + ` ` + 20 + `\n`, as Go's `entrySize`.
const ENTRY_SIZE: usize = 2 + 1 + 64 + 1 + 64 + 1 + 20 + 1 + 20 + 1;

/// Go refreshes a used entry's time at most once an hour (`mtimeInterval`).
const TOUCH_EVERY: Duration = Duration::from_secs(3600);

/// Go trims its cache at most once a day (`trimInterval`)...
const TRIM_EVERY: Duration = Duration::from_secs(24 * 3600);

/// ...removing entries unused for five days (`trimLimit`), plus the hour a use may go
/// unrecorded.
const TRIM_AGE: Duration = Duration::from_secs(5 * 24 * 3600 + 3600);

static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// An entry found in the local cache.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub output_id: [u8; 32],
    pub size: u64,
    pub path: PathBuf,
    /// When the entry was stored (Go compares it with `go clean -testcache`'s time).
    pub time: SystemTime,
}

/// A build cache folder in Go's layout.
#[derive(Debug, Clone)]
pub struct Local {
    dir: PathBuf,
}

impl Local {
    pub fn new(dir: PathBuf) -> Local {
        Local { dir }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn file(&self, id: &[u8; 32], suffix: &str) -> PathBuf {
        self.dir
            .join(format!("{:02x}", id[0]))
            .join(format!("{}-{suffix}", hex(id)))
    }

    /// The output file of `output_id` (Go's `OutputFile`).
    pub fn output_path(&self, output_id: &[u8; 32]) -> PathBuf {
        self.file(output_id, "d")
    }

    /// The entry for `action_id`, when both its index entry and an output of the recorded
    /// size are there (Go's `GetFile` checks the same).
    pub fn get(&self, action_id: &[u8; 32]) -> Option<Hit> {
        let entry = self.file(action_id, "a");
        let mut buf = [0u8; ENTRY_SIZE + 1];
        let n = read_up_to(&entry, &mut buf).ok()?;
        let (output_id, size, time) = parse_entry(&buf[..n], action_id)?;
        let path = self.output_path(&output_id);
        let meta = fs::metadata(&path).ok()?;
        if !meta.is_file() || meta.len() != size {
            return None;
        }
        touch(&entry);
        touch(&path);
        Some(Hit {
            output_id,
            size,
            path,
            time,
        })
    }

    /// Stores `body` as `output_id`'s output and records `action_id -> output_id`; returns the
    /// output's path. An output already there with the right size is kept, as Go keeps it.
    pub fn put(
        &self,
        action_id: &[u8; 32],
        output_id: &[u8; 32],
        body: &[u8],
    ) -> io::Result<PathBuf> {
        let path = self.output_path(output_id);
        let have = fs::metadata(&path).is_ok_and(|m| m.is_file() && m.len() == body.len() as u64);
        if !have {
            write_renamed(&path, body)?;
        }
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let entry = format!(
            "v1 {} {} {:20} {:20}\n",
            hex(action_id),
            hex(output_id),
            body.len(),
            nanos
        );
        write_renamed(&self.file(action_id, "a"), entry.as_bytes())?;
        Ok(path)
    }
}

impl Local {
    /// Go's own trim, which Go skips when a GOCACHEPROG serves its cache: at most once a day
    /// (the Unix time in `trim.txt`, Go's file), remove `-a` and `-d` files unused for five
    /// days. Returns how many files were removed.
    pub fn trim(&self, now: SystemTime) -> usize {
        let stamp = self.dir.join("trim.txt");
        let now_s = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let recent = fs::read_to_string(&stamp)
            .ok()
            .and_then(|t| t.trim().parse::<u64>().ok())
            .is_some_and(|last| {
                // A time far in the future (a broken clock) means trim now, as in Go.
                now_s.saturating_sub(last) < TRIM_EVERY.as_secs()
                    && last <= now_s + TOUCH_EVERY.as_secs()
            });
        if recent {
            return 0;
        }
        let Some(cutoff) = now.checked_sub(TRIM_AGE) else {
            return 0;
        };
        let mut removed = 0;
        for i in 0..=255u8 {
            let Ok(rd) = fs::read_dir(self.dir.join(format!("{i:02x}"))) else {
                continue;
            };
            for e in rd.flatten() {
                let name = e.file_name();
                let name = name.to_string_lossy();
                if !(name.ends_with("-a") || name.ends_with("-d")) {
                    continue;
                }
                let old = e
                    .metadata()
                    .and_then(|m| m.modified())
                    .is_ok_and(|m| m < cutoff);
                if old && fs::remove_file(e.path()).is_ok() {
                    removed += 1;
                }
            }
        }
        let _ = write_renamed(&stamp, now_s.to_string().as_bytes());
        removed
    }
}

fn read_up_to(path: &Path, buf: &mut [u8]) -> io::Result<usize> {
    let mut f = File::open(path)?;
    let mut n = 0;
    while n < buf.len() {
        match f.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// Parses Go's index entry for `action_id`; `None` for anything else (a short, long or
/// foreign entry is a miss, as in Go).
fn parse_entry(entry: &[u8], action_id: &[u8; 32]) -> Option<([u8; 32], u64, SystemTime)> {
    if entry.len() != ENTRY_SIZE || !entry.starts_with(b"v1 ") || entry[ENTRY_SIZE - 1] != b'\n' {
        return None;
    }
    let text = std::str::from_utf8(&entry[3..ENTRY_SIZE - 1]).ok()?;
    let mut fields = text.split(' ').filter(|f| !f.is_empty());
    let (a, o, size, nanos) = (
        fields.next()?,
        fields.next()?,
        fields.next()?,
        fields.next()?,
    );
    if a != hex(action_id) {
        return None;
    }
    let time = UNIX_EPOCH + Duration::from_nanos(nanos.parse().ok()?);
    Some((unhex32(o)?, size.parse().ok()?, time))
}

/// 64 hex digits as 32 bytes.
pub fn unhex32(s: &str) -> Option<[u8; 32]> {
    let b = s.as_bytes();
    if b.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, pair) in b.chunks(2).enumerate() {
        let hi = char::from(pair[0]).to_digit(16)?;
        let lo = char::from(pair[1]).to_digit(16)?;
        out[i] = u8::try_from(hi * 16 + lo).ok()?;
    }
    Some(out)
}

/// Refreshes a used file's time at most once an hour, as Go does, so age-based trimming
/// (`gomux cache clean --older-than`, Go's trim) keeps what builds use.
fn touch(path: &Path) {
    let Ok(meta) = fs::metadata(path) else {
        return;
    };
    let old = meta
        .modified()
        .ok()
        .and_then(|m| SystemTime::now().duration_since(m).ok())
        .is_none_or(|age| age > TOUCH_EVERY);
    if old && let Ok(f) = File::options().write(true).open(path) {
        let _ = f.set_modified(SystemTime::now());
    }
}

fn write_renamed(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let tmp = dir.join(format!(
        ".gomux-tmp-{}-{}",
        std::process::id(),
        TEMP_COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let result = write_new(dir, &tmp, bytes).and_then(|()| fs::rename(&tmp, path));
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

fn write_new(dir: &Path, tmp: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut f = match File::create_new(tmp) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            fs::create_dir_all(dir)?;
            File::create_new(tmp)?
        }
        other => other?,
    };
    f.write_all(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest as _, Sha256};

    #[test]
    fn put_then_get_in_gos_own_format() {
        let dir = tempfile::tempdir().unwrap();
        let local = Local::new(dir.path().to_path_buf());
        let action = [7u8; 32];
        let body = b"compiled package";
        let output: [u8; 32] = Sha256::digest(body).into();
        assert_eq!(local.get(&action), None);
        let path = local.put(&action, &output, body).unwrap();
        assert_eq!(
            path,
            dir.path()
                .join(format!("{:02x}/{}-d", output[0], hex(&output)))
        );
        assert_eq!(fs::read(&path).unwrap(), body);
        let entry = fs::read_to_string(dir.path().join(format!("07/{}-a", hex(&action)))).unwrap();
        assert_eq!(entry.len(), ENTRY_SIZE);
        assert!(entry.starts_with(&format!("v1 {} {} ", hex(&action), hex(&output))));
        let hit = local.get(&action).unwrap();
        assert_eq!(
            (hit.output_id, hit.size, hit.path),
            (output, 16, path.clone())
        );
        // An output of the wrong size is a miss, as in Go.
        fs::write(&path, b"short").unwrap();
        assert_eq!(local.get(&action), None);
        // No temporary file is left behind.
        let leftovers: Vec<_> = fs::read_dir(dir.path().join("07"))
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with(".gomux-tmp"))
            .collect();
        assert!(leftovers.is_empty());
    }

    #[test]
    fn trims_as_go_does_at_most_once_a_day() {
        let dir = tempfile::tempdir().unwrap();
        let local = Local::new(dir.path().to_path_buf());
        let body = b"old";
        let output: [u8; 32] = Sha256::digest(body).into();
        let old = local.put(&[1; 32], &output, body).unwrap();
        let young = local.put(&[2; 32], &[3; 32], b"").unwrap();
        let week_ago = SystemTime::now() - Duration::from_secs(7 * 24 * 3600);
        for p in [old.clone(), local.file(&[1; 32], "a")] {
            File::options()
                .write(true)
                .open(&p)
                .unwrap()
                .set_modified(week_ago)
                .unwrap();
        }
        let now = SystemTime::now();
        assert_eq!(local.trim(now), 2);
        assert!(!old.exists() && young.exists());
        assert!(local.get(&[1; 32]).is_none());
        // trim.txt holds the time, as Go's does: the next trim waits a day.
        let stamp = fs::read_to_string(dir.path().join("trim.txt")).unwrap();
        assert!(stamp.parse::<u64>().is_ok(), "{stamp}");
        File::options()
            .write(true)
            .open(&young)
            .unwrap()
            .set_modified(week_ago)
            .unwrap();
        assert_eq!(local.trim(now + Duration::from_secs(3600)), 0);
        assert_eq!(local.trim(now + Duration::from_secs(25 * 3600)), 1);
    }

    #[test]
    fn reads_an_entry_go_wrote() {
        // Go: fmt.Sprintf("v1 %x %x %20d %20d\n", id, out, size, time.Now().UnixNano())
        let dir = tempfile::tempdir().unwrap();
        let local = Local::new(dir.path().to_path_buf());
        let action = [0xabu8; 32];
        let output = [0x01u8; 32];
        let entry = format!(
            "v1 {} {} {:>20} {:>20}\n",
            hex(&action),
            hex(&output),
            3,
            1_700_000_000_000_000_000u64
        );
        fs::create_dir_all(dir.path().join("ab")).unwrap();
        fs::create_dir_all(dir.path().join("01")).unwrap();
        fs::write(dir.path().join(format!("ab/{}-a", hex(&action))), entry).unwrap();
        fs::write(local.output_path(&output), b"abc").unwrap();
        let hit = local.get(&action).unwrap();
        assert_eq!(hit.size, 3);
        assert_eq!(
            hit.time,
            UNIX_EPOCH + Duration::from_nanos(1_700_000_000_000_000_000)
        );
        assert_eq!(local.get(&[0xac; 32]), None);
    }
}

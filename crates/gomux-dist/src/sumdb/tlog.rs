//! The checksum database's transparent log: a Merkle tree over the records, its stored hashes
//! served as tiles, and the two proofs gomux needs from it.
//!
//! The design decision to know: gomux never takes a proof path from the server. It recomputes
//! the signed root hash itself, from the record it was given (its leaf) and the stored hashes
//! of the complete subtrees beside the path, read out of tiles. Only when that root equals the
//! signed one is the record in the tree; the consistency proof is the same computation for the
//! old and the new size over one shared set of hashes. Every full tile is also checked
//! against the hash its parent tile holds for it, and a tile of the wrong length is refused.
//!
//! The tree is the one of RFC 6962: a leaf is `sha256(0x00 || record)`, an interior node
//! `sha256(0x01 || left || right)`, and a tree of `n` leaves splits at the largest power of two
//! below `n`. A stored hash (level `L`, index `i`) is the root of the complete subtree of
//! leaves `[i << L, (i + 1) << L)`. Tiles have height 8: tile `(t, j)` holds the level `8t`
//! hashes `[256 j, 256 j + w)`, at `tile/8/<t>/<j as x001/x234/067>[.p/<w>]`.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use sha2::{Digest, Sha256};

/// A SHA-256 hash in the tree.
pub type Hash = [u8; 32];

const HEIGHT: u32 = 8;
const WIDTH: u64 = 1 << HEIGHT;

/// The leaf hash of a record's text.
pub fn record_hash(data: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(data);
    h.finalize().into()
}

/// The hash of an interior node.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// The path of tile `(level, index)` of width `width` (`tile/8/0/x001/234.p/5`).
pub fn tile_path(level: u32, index: u64, width: u64) -> String {
    let mut n = index;
    let mut path = format!("{:03}", n % 1000);
    while n >= 1000 {
        n /= 1000;
        path = format!("x{:03}/{path}", n % 1000);
    }
    let partial = if width == WIDTH {
        String::new()
    } else {
        format!(".p/{width}")
    };
    format!("tile/{HEIGHT}/{level}/{path}{partial}")
}

/// Why a proof failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProofError {
    /// Fetching a tile failed; the text says how.
    Fetch(String),
    /// A tile does not have the length its width needs.
    ShortTile {
        /// The tile's path.
        path: String,
        /// Bytes it had.
        got: usize,
        /// Bytes it should have had.
        want: usize,
    },
    /// A full tile's hash is not the one its parent tile holds.
    TileMismatch {
        /// The tile's path.
        path: String,
    },
    /// The record's leaf and the tiles do not hash to the signed root.
    NotIncluded,
    /// The signed tree does not extend the one gomux saw before (or the other way round).
    Inconsistent,
    /// A record id or size outside the tree.
    OutOfRange,
}

impl std::fmt::Display for ProofError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ProofError::Fetch(e) => write!(f, "a tile could not be read: {e}"),
            ProofError::ShortTile { path, got, want } => {
                write!(f, "tile `{path}` has {got} bytes instead of {want}")
            }
            ProofError::TileMismatch { path } => {
                write!(f, "tile `{path}` does not match the hash its parent tile holds")
            }
            ProofError::NotIncluded => f.write_str(
                "the inclusion proof failed: the record and the tiles do not hash to the signed tree",
            ),
            ProofError::Inconsistent => f.write_str(
                "the consistency proof failed: the signed tree does not extend the tree gomux saw before",
            ),
            ProofError::OutOfRange => f.write_str("the record is outside the signed tree"),
        }
    }
}

/// Reads the tile at a path (relative to the database), expecting `bytes` bytes.
pub trait TileSource {
    /// The tile's bytes, as the server sent them.
    fn read_tile(&self, path: &str) -> Result<Vec<u8>, String>;
}

/// Tiles read so far, by tile level and index.
type TileCache = HashMap<(u32, u64), Rc<Vec<Hash>>>;

/// The stored hashes of a tree of `n` records, read from tiles on demand.
pub struct Tiles<'s> {
    source: &'s dyn TileSource,
    n: u64,
    tiles: RefCell<TileCache>,
}

impl<'s> Tiles<'s> {
    /// The hashes of the tree of size `n`, from `source`.
    pub fn new(source: &'s dyn TileSource, n: u64) -> Tiles<'s> {
        Tiles {
            source,
            n,
            tiles: RefCell::new(HashMap::new()),
        }
    }

    fn tile(&self, level: u32, index: u64) -> Result<Rc<Vec<Hash>>, ProofError> {
        if let Some(t) = self.tiles.borrow().get(&(level, index)) {
            return Ok(Rc::clone(t));
        }
        let shift = HEIGHT * level;
        let total = if shift >= 64 { 0 } else { self.n >> shift };
        let start = index.checked_mul(WIDTH).ok_or(ProofError::OutOfRange)?;
        if start >= total {
            return Err(ProofError::OutOfRange);
        }
        let width = (total - start).min(WIDTH);
        let path = tile_path(level, index, width);
        let data = self.source.read_tile(&path).map_err(ProofError::Fetch)?;
        let want = width as usize * 32;
        if data.len() != want {
            return Err(ProofError::ShortTile {
                path,
                got: data.len(),
                want,
            });
        }
        let hashes: Vec<Hash> = data
            .chunks_exact(32)
            .map(|c| {
                let mut h = [0u8; 32];
                h.copy_from_slice(c);
                h
            })
            .collect();
        let hashes = Rc::new(hashes);
        self.tiles
            .borrow_mut()
            .insert((level, index), Rc::clone(&hashes));
        if width == WIDTH {
            // A full tile is the bottom of a stored hash one tile level up: they must agree.
            let parent = self.node(HEIGHT * (level + 1), index);
            match parent {
                Ok(p) if p == perfect_root(&hashes) => {}
                Ok(_) => {
                    self.tiles.borrow_mut().remove(&(level, index));
                    return Err(ProofError::TileMismatch { path });
                }
                Err(e) => {
                    self.tiles.borrow_mut().remove(&(level, index));
                    return Err(e);
                }
            }
        }
        Ok(hashes)
    }

    /// The stored hash at `level`, `index` (a complete subtree of this tree).
    fn node(&self, level: u32, index: u64) -> Result<Hash, ProofError> {
        let tile_level = level / HEIGHT;
        let rise = level % HEIGHT;
        let first = index.checked_shl(rise).ok_or(ProofError::OutOfRange)?;
        let tile = self.tile(tile_level, first / WIDTH)?;
        let off = (first % WIDTH) as usize;
        let count = 1usize << rise;
        let row = tile.get(off..off + count).ok_or(ProofError::OutOfRange)?;
        Ok(perfect_root(row))
    }

    /// The root of leaves `[lo, hi)`: complete aligned subtrees are read, except those holding
    /// `leaf` (whose hash is given) or straddling `split`.
    fn range(
        &self,
        lo: u64,
        hi: u64,
        leaf: Option<(u64, &Hash)>,
        split: Option<u64>,
    ) -> Result<Hash, ProofError> {
        let size = hi - lo;
        let holds_leaf = leaf.is_some_and(|(id, _)| lo <= id && id < hi);
        if size == 1
            && let Some((_, h)) = leaf.filter(|_| holds_leaf)
        {
            return Ok(*h);
        }
        let straddles = split.is_some_and(|s| lo < s && s < hi);
        if size.is_power_of_two() && lo.is_multiple_of(size) && !holds_leaf && !straddles {
            return self.node(size.trailing_zeros(), lo / size);
        }
        let k = 1u64 << (63 - (size - 1).leading_zeros());
        let left = self.range(lo, lo + k, leaf, split)?;
        let right = self.range(lo + k, hi, leaf, split)?;
        Ok(node_hash(&left, &right))
    }

    /// Proves that the record with leaf hash `leaf` is record `id` of the tree whose root is
    /// `root`.
    pub fn prove_record(&self, id: u64, leaf: &Hash, root: &Hash) -> Result<(), ProofError> {
        if id >= self.n {
            return Err(ProofError::OutOfRange);
        }
        let got = self.range(0, self.n, Some((id, leaf)), None)?;
        if got == *root {
            Ok(())
        } else {
            Err(ProofError::NotIncluded)
        }
    }

    /// Proves that the tree of `old_n` records with root `old` is a prefix of this tree
    /// (whose root is `root`).
    pub fn prove_tree(&self, old_n: u64, old: &Hash, root: &Hash) -> Result<(), ProofError> {
        if old_n > self.n {
            return Err(ProofError::OutOfRange);
        }
        if old_n == self.n {
            return if old == root {
                Ok(())
            } else {
                Err(ProofError::Inconsistent)
            };
        }
        if old_n == 0 {
            return Ok(());
        }
        let before = self.range(0, old_n, None, None)?;
        let now = self.range(0, self.n, None, Some(old_n))?;
        if before == *old && now == *root {
            Ok(())
        } else {
            Err(ProofError::Inconsistent)
        }
    }
}

/// The root of a complete subtree from its bottom row (a power of two of hashes).
fn perfect_root(row: &[Hash]) -> Hash {
    if row.len() == 1 {
        return row[0];
    }
    let (l, r) = row.split_at(row.len() / 2);
    node_hash(&perfect_root(l), &perfect_root(r))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A log held in memory, serving its tiles as a server would (computed from the leaves).
    struct Log {
        leaves: Vec<Hash>,
        bad: Option<(String, Vec<u8>)>,
    }

    fn level_row(leaves: &[Hash], level: u32) -> Vec<Hash> {
        let size = 1usize << level;
        leaves.chunks_exact(size).map(perfect_root).collect()
    }

    fn mth(leaves: &[Hash]) -> Hash {
        if leaves.len() == 1 {
            return leaves[0];
        }
        let k = 1usize << (63 - ((leaves.len() - 1) as u64).leading_zeros());
        node_hash(&mth(&leaves[..k]), &mth(&leaves[k..]))
    }

    impl TileSource for Log {
        fn read_tile(&self, path: &str) -> Result<Vec<u8>, String> {
            if let Some((p, data)) = &self.bad
                && p == path
            {
                return Ok(data.clone());
            }
            // tile/8/<level>/<index>[.p/<w>]
            let rest = path.strip_prefix("tile/8/").ok_or("bad path")?;
            let (level, rest) = rest.split_once('/').ok_or("bad path")?;
            let level: u32 = level.parse().map_err(|_| "bad level")?;
            let (idx, width) = match rest.split_once(".p/") {
                Some((i, w)) => (i, w.parse::<usize>().map_err(|_| "bad width")?),
                None => (rest, 256),
            };
            let index: u64 = idx
                .replace(['x', '/'], "")
                .parse()
                .map_err(|_| "bad index")?;
            let row = level_row(&self.leaves, 8 * level);
            let start = index as usize * 256;
            let cut = row.get(start..start + width).ok_or("no such tile")?;
            Ok(cut.concat())
        }
    }

    fn leaves(n: usize) -> Vec<Hash> {
        (0..n)
            .map(|i| record_hash(format!("record {i}\n").as_bytes()))
            .collect()
    }

    #[test]
    fn tile_paths_as_the_reference_writes_them() {
        assert_eq!(tile_path(0, 0, 256), "tile/8/0/000");
        assert_eq!(tile_path(0, 1, 3), "tile/8/0/001.p/3");
        assert_eq!(tile_path(1, 1234067, 256), "tile/8/1/x001/x234/067");
        assert_eq!(tile_path(2, 1000, 5), "tile/8/2/x001/000.p/5");
    }

    #[test]
    fn inclusion_and_consistency_over_many_sizes() {
        for n in [1usize, 2, 3, 7, 8, 255, 256, 257, 600, 66_000] {
            let all = leaves(n);
            let log = Log {
                leaves: all.clone(),
                bad: None,
            };
            let root = mth(&all);
            let tiles = Tiles::new(&log, n as u64);
            for id in [0, n / 2, n - 1] {
                tiles.prove_record(id as u64, &all[id], &root).unwrap();
                let wrong = record_hash(b"not in the log\n");
                assert_eq!(
                    tiles.prove_record(id as u64, &wrong, &root),
                    Err(ProofError::NotIncluded),
                    "n={n} id={id}"
                );
            }
            for old_n in [1usize, n / 3, n - 1, n] {
                if old_n == 0 {
                    continue;
                }
                let old = mth(&all[..old_n]);
                tiles.prove_tree(old_n as u64, &old, &root).unwrap();
                if old_n < n {
                    let forked = mth(&leaves(old_n + 1)[1..]);
                    assert_eq!(
                        tiles.prove_tree(old_n as u64, &forked, &root),
                        Err(ProofError::Inconsistent),
                        "n={n} old={old_n}"
                    );
                }
            }
        }
    }

    #[test]
    fn short_and_mismatched_tiles_are_refused() {
        let all = leaves(300);
        let root = mth(&all);
        let short = Log {
            leaves: all.clone(),
            bad: Some(("tile/8/0/001.p/44".into(), vec![0u8; 31 * 44])),
        };
        let e = Tiles::new(&short, 300)
            .prove_record(299, &all[299], &root)
            .unwrap_err();
        assert!(matches!(e, ProofError::ShortTile { .. }), "{e}");
        let mut full = Log {
            leaves: all.clone(),
            bad: None,
        }
        .read_tile("tile/8/0/000")
        .unwrap();
        full[40] ^= 1; // leaf 1's hash: the tile no longer matches its parent
        let changed = Log {
            leaves: all.clone(),
            bad: Some(("tile/8/0/000".into(), full)),
        };
        let e = Tiles::new(&changed, 300)
            .prove_record(200, &all[200], &root)
            .unwrap_err();
        assert!(matches!(e, ProofError::TileMismatch { .. }), "{e}");
    }
}

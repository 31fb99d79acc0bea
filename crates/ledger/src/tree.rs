//! The right edge of the tree as C2SP tiles: appending leaves, the root, the tiles to publish, and
//! a compact state to persist beside each checkpoint.

use crate::hash::{Hash, fold_right, leaf_hash, perfect_root};
use crate::tiles::{TileId, TileKind, WIDTH, push_entry};
use crate::{LedgerError, leaf};

/// A tile (or entry bundle) to write to the blob store. Full tiles are immutable; a partial tile
/// is written once for the size it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TileWrite {
    pub id: TileId,
    pub bytes: Vec<u8>,
}

/// Incremental builder: holds, for every tile level, the hashes of the tile not yet full, and the
/// entries of the bundle not yet full.
#[derive(Debug, Clone, Default)]
pub struct Builder {
    size: u64,
    /// levels[L] = hashes at tree level 8L in the current incomplete tile (< 256).
    levels: Vec<Vec<Hash>>,
    /// Entry bundle not yet full (encoded with its length prefixes) and its entry count.
    bundle: Vec<u8>,
    bundle_len: u64,
    /// Full tiles and bundles completed since the last [`Builder::take_writes`].
    completed: Vec<TileWrite>,
}

impl Builder {
    pub fn new() -> Self {
        Builder::default()
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    /// Appends one leaf (already encoded, see [`crate::leaf`]).
    pub fn push(&mut self, entry: &[u8]) -> Result<Hash, LedgerError> {
        if entry.len() > leaf::MAX_LEAF {
            return Err(LedgerError::LeafTooLarge(entry.len()));
        }
        let h = leaf_hash(entry);
        push_entry(&mut self.bundle, entry)?;
        self.bundle_len += 1;
        if self.bundle_len == WIDTH {
            self.completed.push(TileWrite {
                id: TileId {
                    kind: TileKind::Entries,
                    index: self.size / WIDTH,
                    width: WIDTH,
                },
                bytes: std::mem::take(&mut self.bundle),
            });
            self.bundle_len = 0;
        }
        self.push_hash(0, h);
        self.size += 1;
        Ok(h)
    }

    fn push_hash(&mut self, level: usize, h: Hash) {
        if self.levels.len() <= level {
            self.levels.resize(level + 1, Vec::new());
        }
        self.levels[level].push(h);
        if self.levels[level].len() as u64 == WIDTH {
            let hashes = std::mem::take(&mut self.levels[level]);
            let root = perfect_root(&hashes);
            // Index of this tile: the number of full tiles at this level before it.
            let leaves_per_tile = 1u64 << (8 * (level as u32 + 1));
            let index = self.size / leaves_per_tile;
            self.completed.push(TileWrite {
                id: TileId {
                    kind: TileKind::Hashes(level as u8),
                    index,
                    width: WIDTH,
                },
                bytes: hashes.concat(),
            });
            self.push_hash(level + 1, root);
        }
    }

    /// RFC 6962 root of the tree so far.
    pub fn root(&self) -> Hash {
        let mut parts = Vec::new();
        for level in self.levels.iter().rev() {
            let mut off = 0usize;
            for b in (0..8).rev() {
                let n = 1usize << b;
                if level.len() & n != 0 {
                    parts.push(perfect_root(&level[off..off + n]));
                    off += n;
                }
            }
        }
        fold_right(&parts)
    }

    /// The tiles to publish for the current size: every full tile and bundle completed since the
    /// last call, then the partial tiles (every level) and the partial bundle at this size.
    pub fn take_writes(&mut self) -> Vec<TileWrite> {
        let mut out = std::mem::take(&mut self.completed);
        for (l, hashes) in self.levels.iter().enumerate() {
            if hashes.is_empty() {
                continue;
            }
            let leaves_per_tile = 1u64 << (8 * (l as u32 + 1));
            out.push(TileWrite {
                id: TileId {
                    kind: TileKind::Hashes(l as u8),
                    index: self.size / leaves_per_tile,
                    width: hashes.len() as u64,
                },
                bytes: hashes.concat(),
            });
        }
        if self.bundle_len > 0 {
            out.push(TileWrite {
                id: TileId {
                    kind: TileKind::Entries,
                    index: self.size / WIDTH,
                    width: self.bundle_len,
                },
                bytes: self.bundle.clone(),
            });
        }
        out
    }

    /// The tile at `level` that is not yet full, as of now (what a partial tile read would give).
    pub fn partial(&self, level: u8) -> &[Hash] {
        self.levels
            .get(level as usize)
            .map(|v| v.as_slice())
            .unwrap_or(&[])
    }

    /// Compact state: `u64 BE size`, `u8 levels`, then per level `u8 count` and the hashes. The
    /// partial bundle is not part of it: it is the last `size % 256` leaves, which the caller
    /// re-reads from the events and hands to [`Builder::restore`].
    pub fn state(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(9 + self.levels.len() * (1 + 255 * 32));
        out.extend_from_slice(&self.size.to_be_bytes());
        out.push(self.levels.len() as u8);
        for l in &self.levels {
            out.push(l.len() as u8);
            for h in l {
                out.extend_from_slice(h);
            }
        }
        out
    }

    /// Rebuilds a builder from [`Builder::state`] and the leaves of the partial bundle.
    pub fn restore(state: &[u8], partial_entries: &[Vec<u8>]) -> Result<Builder, LedgerError> {
        let bad = LedgerError::BadState;
        if state.len() < 9 {
            return Err(bad("too short"));
        }
        let mut size_b = [0u8; 8];
        size_b.copy_from_slice(&state[..8]);
        let size = u64::from_be_bytes(size_b);
        let n = state[8] as usize;
        let mut rest = &state[9..];
        let mut levels = Vec::with_capacity(n);
        let mut total: u128 = 0;
        for l in 0..n {
            let (&count, r) = rest.split_first().ok_or(bad("truncated level"))?;
            let count = count as usize;
            if r.len() < count * 32 {
                return Err(bad("truncated hashes"));
            }
            let hashes = crate::tiles::split_hashes(&r[..count * 32])?;
            rest = &r[count * 32..];
            total += count as u128 * (1u128 << (8 * l));
            levels.push(hashes);
        }
        if !rest.is_empty() {
            return Err(bad("trailing bytes"));
        }
        if total != size as u128 {
            return Err(bad("levels do not add up to the size"));
        }
        let level0 = levels.first().map(|v| v.len()).unwrap_or(0);
        if partial_entries.len() != level0 {
            return Err(bad("partial bundle does not match the level-0 tile"));
        }
        let mut bundle = Vec::new();
        for (e, h) in partial_entries
            .iter()
            .zip(levels.first().into_iter().flatten())
        {
            if leaf_hash(e) != *h {
                return Err(bad("partial bundle entry does not match its hash"));
            }
            push_entry(&mut bundle, e)?;
        }
        Ok(Builder {
            size,
            levels,
            bundle,
            bundle_len: level0 as u64,
            completed: Vec::new(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::mth;

    fn leaves(n: u64) -> Vec<Vec<u8>> {
        (0..n).map(|i| format!("leaf {i}").into_bytes()).collect()
    }

    #[test]
    fn root_matches_reference_at_many_sizes() {
        let ls = leaves(70_000);
        let hashes: Vec<Hash> = ls.iter().map(|l| leaf_hash(l)).collect();
        let mut b = Builder::new();
        let checks = [
            1u64, 2, 3, 255, 256, 257, 511, 512, 513, 65535, 65536, 65537, 70_000,
        ];
        for (i, l) in ls.iter().enumerate() {
            b.push(l).unwrap();
            let n = i as u64 + 1;
            if checks.contains(&n) {
                assert_eq!(b.root(), mth(&hashes[..n as usize]), "size {n}");
            }
        }
    }

    #[test]
    fn writes_and_restore() {
        let ls = leaves(70_000);
        let mut b = Builder::new();
        let mut writes = Vec::new();
        for chunk in ls.chunks(999) {
            for l in chunk {
                b.push(l).unwrap();
            }
            writes.extend(b.take_writes());
        }
        let full0 = writes
            .iter()
            .filter(|w| w.id.kind == TileKind::Hashes(0) && w.id.is_full())
            .count();
        assert_eq!(full0, 70_000 / 256);
        let full1 = writes
            .iter()
            .filter(|w| w.id.kind == TileKind::Hashes(1) && w.id.is_full())
            .count();
        assert_eq!(full1, 1);
        let last_bundle = writes.last().unwrap();
        assert_eq!(last_bundle.id.kind, TileKind::Entries);
        assert_eq!(last_bundle.id.width, 70_000 % 256);
        let state = b.state();
        let tail: Vec<Vec<u8>> = ls[ls.len() - (70_000 % 256)..].to_vec();
        let mut r = Builder::restore(&state, &tail).unwrap();
        assert_eq!(r.root(), b.root());
        r.push(b"next").unwrap();
        b.push(b"next").unwrap();
        assert_eq!(r.root(), b.root());
        assert_eq!(r.take_writes(), b.take_writes());
        assert!(Builder::restore(&state, &tail[1..]).is_err());
        let mut bad = state.clone();
        bad[7] ^= 1;
        assert!(Builder::restore(&bad, &tail).is_err());
    }
}

//! C2SP tlog-tiles paths and entry bundles. Tile height is 8 (256 hashes per full tile); paths
//! carry no height element (unlike Go's sumdb `tile/8/…`).

use crate::{Hash, LedgerError};

pub const HEIGHT: u32 = 8;
pub const WIDTH: u64 = 256;

/// What a tile path names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TileKind {
    /// Hashes at tree level `8 * L`.
    Hashes(u8),
    /// An entry bundle (the leaves of level-0 tile N).
    Entries,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TileId {
    pub kind: TileKind,
    pub index: u64,
    /// 1..=256; 256 is a full tile.
    pub width: u64,
}

impl TileId {
    pub fn is_full(&self) -> bool {
        self.width == WIDTH
    }

    /// `tile/<L>/<N>[.p/<W>]` or `tile/entries/<N>[.p/<W>]`.
    pub fn path(&self) -> String {
        let mut s = String::from("tile/");
        match self.kind {
            TileKind::Hashes(l) => s.push_str(&l.to_string()),
            TileKind::Entries => s.push_str("entries"),
        }
        s.push('/');
        s.push_str(&index_path(self.index));
        if !self.is_full() {
            s.push_str(&format!(".p/{}", self.width));
        }
        s
    }

    /// Parses a path as [`TileId::path`] writes it (with or without the leading `tile/`).
    pub fn parse(path: &str) -> Result<TileId, LedgerError> {
        let bad = || LedgerError::BadPath(path.to_owned());
        let rest = path.strip_prefix("tile/").unwrap_or(path);
        let mut parts = rest.split('/');
        let kind = match parts.next().ok_or_else(bad)? {
            "entries" => TileKind::Entries,
            l => {
                if l.is_empty() || l.len() > 2 || !l.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(bad());
                }
                let level: u8 = l.parse().map_err(|_| bad())?;
                if level > 7 {
                    return Err(bad());
                }
                TileKind::Hashes(level)
            }
        };
        let segs: Vec<&str> = parts.collect();
        let (index_segs, width) = match segs.as_slice() {
            [head @ .., last, w] if last.ends_with(".p") => {
                if w.is_empty() || w.len() > 3 || w.starts_with('0') {
                    return Err(bad());
                }
                let width: u64 = w.parse().map_err(|_| bad())?;
                if !(1..WIDTH).contains(&width) {
                    return Err(bad());
                }
                let mut v: Vec<&str> = head.to_vec();
                v.push(&last[..last.len() - 2]);
                (v, width)
            }
            _ => (segs.clone(), WIDTH),
        };
        if index_segs.is_empty() {
            return Err(bad());
        }
        let mut index: u64 = 0;
        for (i, seg) in index_segs.iter().enumerate() {
            let digits = if i + 1 < index_segs.len() {
                seg.strip_prefix('x').ok_or_else(bad)?
            } else {
                seg
            };
            if digits.len() != 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad());
            }
            let d: u64 = digits.parse().map_err(|_| bad())?;
            index = index
                .checked_mul(1000)
                .and_then(|x| x.checked_add(d))
                .ok_or_else(bad)?;
        }
        let id = TileId { kind, index, width };
        // One spelling only: leading zero groups are not allowed.
        if id.path() != format!("tile/{rest}") {
            return Err(bad());
        }
        Ok(id)
    }
}

/// 1234067 → `x001/x234/067`.
pub fn index_path(mut n: u64) -> String {
    let mut groups = vec![format!("{:03}", n % 1000)];
    n /= 1000;
    while n > 0 {
        groups.push(format!("x{:03}", n % 1000));
        n /= 1000;
    }
    groups.reverse();
    groups.join("/")
}

/// Appends one entry to a bundle (big-endian u16 length, then the bytes).
pub fn push_entry(bundle: &mut Vec<u8>, entry: &[u8]) -> Result<(), LedgerError> {
    let len = u16::try_from(entry.len()).map_err(|_| LedgerError::LeafTooLarge(entry.len()))?;
    bundle.extend_from_slice(&len.to_be_bytes());
    bundle.extend_from_slice(entry);
    Ok(())
}

/// Splits a bundle into its entries.
pub fn split_bundle(bytes: &[u8]) -> Result<Vec<&[u8]>, LedgerError> {
    let mut out = Vec::with_capacity(256);
    let mut rest = bytes;
    while !rest.is_empty() {
        if rest.len() < 2 {
            return Err(LedgerError::MalformedLeaf(
                "bundle ends inside a length prefix",
            ));
        }
        let len = u16::from_be_bytes([rest[0], rest[1]]) as usize;
        if rest.len() < 2 + len {
            return Err(LedgerError::MalformedLeaf("bundle ends inside an entry"));
        }
        out.push(&rest[2..2 + len]);
        rest = &rest[2 + len..];
    }
    Ok(out)
}

/// Splits a hash tile into its hashes.
pub fn split_hashes(bytes: &[u8]) -> Result<Vec<Hash>, LedgerError> {
    if !bytes.len().is_multiple_of(32) {
        return Err(LedgerError::BadState("tile length is not a multiple of 32"));
    }
    Ok(bytes
        .chunks_exact(32)
        .map(|c| {
            let mut h = [0u8; 32];
            h.copy_from_slice(c);
            h
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        assert_eq!(index_path(1234067), "x001/x234/067");
        assert_eq!(index_path(5), "005");
        assert_eq!(index_path(1000), "x001/000");
        let id = TileId {
            kind: TileKind::Hashes(0),
            index: 1234067,
            width: 7,
        };
        assert_eq!(id.path(), "tile/0/x001/x234/067.p/7");
        assert_eq!(TileId::parse(&id.path()).unwrap(), id);
        let e = TileId {
            kind: TileKind::Entries,
            index: 3,
            width: 256,
        };
        assert_eq!(e.path(), "tile/entries/003");
        assert_eq!(TileId::parse("entries/003").unwrap(), e);
        for bad in [
            "tile/0/3",
            "tile/0/003.p/0",
            "tile/0/003.p/256",
            "tile/0/x000/003",
            "tile/9/000",
            "tile/0/003.p/07",
            "tile/0/abc",
            "tile/0/",
            "tile/8/0/000",
            "tile/entries/../../etc",
        ] {
            assert!(TileId::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn bundles() {
        let mut b = Vec::new();
        push_entry(&mut b, b"abc").unwrap();
        push_entry(&mut b, b"").unwrap();
        assert_eq!(split_bundle(&b).unwrap(), vec![&b"abc"[..], &b""[..]]);
        assert!(split_bundle(&b[..4]).is_err());
    }
}

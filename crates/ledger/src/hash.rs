//! RFC 6962 / RFC 9162 hashing (SHA-256, 0x00 leaf and 0x01 node prefixes).

use sha2::{Digest, Sha256};

pub type Hash = [u8; 32];

/// MTH({d}) = SHA-256(0x00 || d).
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(data);
    h.finalize().into()
}

/// SHA-256(0x01 || left || right).
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut buf = [0u8; 65];
    buf[0] = 1;
    buf[1..33].copy_from_slice(left);
    buf[33..].copy_from_slice(right);
    Sha256::digest(buf).into()
}

/// The root of the empty tree: SHA-256 of nothing.
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// Root of a perfect subtree whose level-0 hashes are `hashes` (length a power of two, ≥ 1).
pub fn perfect_root(hashes: &[Hash]) -> Hash {
    let mut cur: Vec<Hash> = hashes.to_vec();
    while cur.len() > 1 {
        cur = cur
            .chunks(2)
            .map(|p| node_hash(&p[0], &p[p.len() - 1]))
            .collect();
    }
    cur.first().copied().unwrap_or_else(empty_root)
}

/// MTH over a list of same-level hashes of any length (RFC 6962 §2.1 split at the largest power of
/// two smaller than n).
pub fn mth(hashes: &[Hash]) -> Hash {
    match hashes.len() {
        0 => empty_root(),
        1 => hashes[0],
        n => {
            let k = largest_pow2_below(n as u64) as usize;
            node_hash(&mth(&hashes[..k]), &mth(&hashes[k..]))
        }
    }
}

/// Largest power of two strictly smaller than n (n ≥ 2).
pub fn largest_pow2_below(n: u64) -> u64 {
    if n <= 1 {
        return 0;
    }
    1u64 << (63 - (n - 1).leading_zeros())
}

/// Folds the hashes of consecutive perfect subtrees (largest first, as the binary decomposition
/// of a range gives them) into the RFC 6962 hash of their concatenation.
pub fn fold_right(parts: &[Hash]) -> Hash {
    let mut it = parts.iter().rev();
    let Some(mut acc) = it.next().copied() else {
        return empty_root();
    };
    for p in it {
        acc = node_hash(p, &acc);
    }
    acc
}

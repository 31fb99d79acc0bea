//! Inclusion and consistency proofs (RFC 9162 §2.1.3–2.1.4).
//!
//! Making a proof is split in two so the caller can fetch hashes however it stores them: a *plan*
//! lists, for every proof element, the perfect subtrees ([`Node`]) whose hashes fold into it; the
//! caller looks those up (from tiles) and [`assemble`]s the proof.

use crate::LedgerError;
use crate::hash::{Hash, fold_right, largest_pow2_below, node_hash};

/// A perfect subtree: `2^level` leaves starting at leaf `index << level`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Node {
    pub level: u8,
    pub index: u64,
}

/// Perfect subtrees making up leaves `[lo, hi)`, largest first. `lo` must be aligned to the
/// largest power of two ≤ `hi - lo` (every range a proof asks for is).
pub fn range_nodes(mut lo: u64, hi: u64) -> Vec<Node> {
    let mut out = Vec::new();
    while lo < hi {
        let mut p = 1u64 << (63 - (hi - lo).leading_zeros());
        if lo != 0 {
            p = p.min(1u64 << lo.trailing_zeros());
        }
        out.push(Node {
            level: p.trailing_zeros() as u8,
            index: lo / p,
        });
        lo += p;
    }
    out
}

/// What to look up for an inclusion proof of leaf `index` in a tree of `size`.
pub fn inclusion_plan(index: u64, size: u64) -> Result<Vec<Vec<Node>>, LedgerError> {
    if index >= size {
        return Err(LedgerError::OutOfRange { index, size });
    }
    let mut out = Vec::new();
    fn path(m: u64, lo: u64, hi: u64, out: &mut Vec<Vec<Node>>) {
        let n = hi - lo;
        if n <= 1 {
            return;
        }
        let k = largest_pow2_below(n);
        if m - lo < k {
            path(m, lo, lo + k, out);
            out.push(range_nodes(lo + k, hi));
        } else {
            path(m, lo + k, hi, out);
            out.push(range_nodes(lo, lo + k));
        }
    }
    path(index, 0, size, &mut out);
    Ok(out)
}

/// What to look up for a consistency proof from `old` to `new` (0 < old ≤ new).
pub fn consistency_plan(old: u64, new: u64) -> Result<Vec<Vec<Node>>, LedgerError> {
    if old > new {
        return Err(LedgerError::OutOfRange {
            index: old,
            size: new,
        });
    }
    let mut out = Vec::new();
    if old == 0 || old == new {
        return Ok(out);
    }
    fn sub(m: u64, lo: u64, hi: u64, b: bool, out: &mut Vec<Vec<Node>>) {
        let n = hi - lo;
        if m == n {
            if !b {
                out.push(range_nodes(lo, hi));
            }
            return;
        }
        let k = largest_pow2_below(n);
        if m <= k {
            sub(m, lo, lo + k, b, out);
            out.push(range_nodes(lo + k, hi));
        } else {
            sub(m - k, lo + k, hi, false, out);
            out.push(range_nodes(lo, lo + k));
        }
    }
    sub(old, 0, new, true, &mut out);
    Ok(out)
}

/// Every node a plan needs, once.
pub fn plan_nodes(plan: &[Vec<Node>]) -> Vec<Node> {
    let mut v: Vec<Node> = plan.iter().flatten().copied().collect();
    v.sort();
    v.dedup();
    v
}

/// Folds the looked-up hashes into the proof.
pub fn assemble<E>(
    plan: &[Vec<Node>],
    mut lookup: impl FnMut(Node) -> Result<Hash, E>,
) -> Result<Vec<Hash>, E> {
    let mut proof = Vec::with_capacity(plan.len());
    for parts in plan {
        let hashes = parts
            .iter()
            .map(|n| lookup(*n))
            .collect::<Result<Vec<_>, E>>()?;
        proof.push(fold_right(&hashes));
    }
    Ok(proof)
}

/// RFC 9162 §2.1.3.2: does `proof` show `leaf` at `index` in the tree of `size` with `root`?
pub fn verify_inclusion(index: u64, size: u64, leaf: &Hash, proof: &[Hash], root: &Hash) -> bool {
    if index >= size {
        return false;
    }
    let (mut f, mut s) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if s == 0 {
            return false;
        }
        if f & 1 == 1 || f == s {
            r = node_hash(p, &r);
            if f & 1 == 0 {
                while f & 1 == 0 && f != 0 {
                    f >>= 1;
                    s >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        f >>= 1;
        s >>= 1;
    }
    s == 0 && r == *root
}

/// RFC 9162 §2.1.4.2: does `proof` show the tree (`old`, `old_root`) is a prefix of (`new`,
/// `new_root`)?
pub fn verify_consistency(
    old: u64,
    new: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> bool {
    if old > new {
        return false;
    }
    if old == new {
        return proof.is_empty() && old_root == new_root;
    }
    if old == 0 {
        return proof.is_empty();
    }
    let mut path: Vec<Hash> = Vec::with_capacity(proof.len() + 1);
    if old.is_power_of_two() {
        path.push(*old_root);
    }
    path.extend_from_slice(proof);
    let Some((first, rest)) = path.split_first() else {
        return false;
    };
    let (mut f, mut s) = (old - 1, new - 1);
    while f & 1 == 1 {
        f >>= 1;
        s >>= 1;
    }
    let (mut fr, mut sr) = (*first, *first);
    for c in rest {
        if s == 0 {
            return false;
        }
        if f & 1 == 1 || f == s {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            if f & 1 == 0 {
                while f & 1 == 0 && f != 0 {
                    f >>= 1;
                    s >>= 1;
                }
            }
        } else {
            sr = node_hash(&sr, c);
        }
        f >>= 1;
        s >>= 1;
    }
    s == 0 && fr == *old_root && sr == *new_root
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::{leaf_hash, mth, perfect_root};

    fn hashes(n: u64) -> Vec<Hash> {
        (0..n).map(|i| leaf_hash(&i.to_be_bytes())).collect()
    }

    fn lookup(all: &[Hash]) -> impl FnMut(Node) -> Result<Hash, ()> + '_ {
        |n| {
            let lo = (n.index << n.level) as usize;
            Ok(perfect_root(&all[lo..lo + (1usize << n.level)]))
        }
    }

    #[test]
    fn every_inclusion_and_consistency_proof_up_to_70() {
        let all = hashes(70);
        for size in 1..=70u64 {
            let root = mth(&all[..size as usize]);
            for i in 0..size {
                let plan = inclusion_plan(i, size).unwrap();
                let proof = assemble(&plan, lookup(&all)).unwrap();
                assert!(verify_inclusion(i, size, &all[i as usize], &proof, &root));
                assert!(!verify_inclusion(
                    i,
                    size,
                    &all[(i as usize + 1) % 70],
                    &proof,
                    &root
                ));
                if !proof.is_empty() {
                    let mut bad = proof.clone();
                    bad[0][0] ^= 1;
                    assert!(!verify_inclusion(i, size, &all[i as usize], &bad, &root));
                }
            }
            for old in 1..=size {
                let old_root = mth(&all[..old as usize]);
                let plan = consistency_plan(old, size).unwrap();
                let proof = assemble(&plan, lookup(&all)).unwrap();
                assert!(
                    verify_consistency(old, size, &old_root, &root, &proof),
                    "{old}->{size}"
                );
                if old < size {
                    assert!(!verify_consistency(old, size, &root, &root, &proof));
                }
            }
        }
        assert!(inclusion_plan(5, 5).is_err());
        assert!(consistency_plan(6, 5).is_err());
    }

    #[test]
    fn range_nodes_are_aligned_and_cover() {
        assert_eq!(
            range_nodes(8, 13),
            vec![
                Node { level: 2, index: 2 },
                Node {
                    level: 0,
                    index: 12
                }
            ]
        );
        assert_eq!(
            range_nodes(0, 6),
            vec![Node { level: 2, index: 0 }, Node { level: 1, index: 2 }]
        );
    }
}

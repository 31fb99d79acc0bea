//! Cross-checks roots and proofs against an independent implementation (`ct-merkle`).

use ct_merkle::mem_backed_tree::MemoryBackedTree;
use ct_merkle::{ConsistencyProof, InclusionProof, RootHash};
use glassroom_ledger::proof::{
    Node, assemble, consistency_plan, inclusion_plan, verify_consistency, verify_inclusion,
};
use glassroom_ledger::tree::Builder;
use glassroom_ledger::{Hash, hash, leaf_hash};
use sha2::Sha256;

fn entry(i: u64) -> Vec<u8> {
    format!("{{\"seq\":{i},\"kind\":\"meeting.requested\"}}").into_bytes()
}

#[test]
fn roots_and_proofs_agree_with_ct_merkle() {
    let n_max = 600u64;
    let mut ct: MemoryBackedTree<Sha256, Vec<u8>> = MemoryBackedTree::new();
    let mut ours = Builder::new();
    let mut leaves: Vec<Hash> = Vec::new();
    for i in 0..n_max {
        let e = entry(i);
        ct.push(e.clone());
        leaves.push(ours.push(&e).unwrap());
        assert_eq!(leaves[i as usize], leaf_hash(&e));
        let size = i + 1;
        let ct_root = ct.root();
        assert_eq!(ct_root.as_bytes()[..], ours.root()[..], "root at {size}");
        let lookup = |n: Node| -> Result<Hash, ()> {
            let lo = (n.index << n.level) as usize;
            Ok(hash::perfect_root(&leaves[lo..lo + (1usize << n.level)]))
        };
        // Inclusion, for a spread of indexes at every size.
        for idx in [0, size / 3, size / 2, size - 1] {
            let mine = assemble(&inclusion_plan(idx, size).unwrap(), lookup).unwrap();
            let theirs = ct.prove_inclusion(idx as usize);
            assert_eq!(
                theirs.as_bytes(),
                mine.concat().as_slice(),
                "inclusion {idx}/{size}"
            );
            let root = ours.root();
            assert!(verify_inclusion(
                idx,
                size,
                &leaves[idx as usize],
                &mine,
                &root
            ));
            let back = InclusionProof::<Sha256>::from_bytes(mine.concat());
            assert!(ct_root.verify_inclusion(&entry(idx), idx, &back).is_ok());
        }
        // Consistency from a spread of older sizes.
        for old in [1, size / 2, size - 1] {
            if old == 0 || old >= size {
                continue;
            }
            let mine = assemble(&consistency_plan(old, size).unwrap(), lookup).unwrap();
            let theirs = ct.prove_consistency((size - old) as usize);
            assert_eq!(
                theirs.as_bytes(),
                mine.concat().as_slice(),
                "consistency {old}->{size}"
            );
            let old_root = hash::mth(&leaves[..old as usize]);
            assert!(verify_consistency(
                old,
                size,
                &old_root,
                &ours.root(),
                &mine
            ));
            let back = ConsistencyProof::<Sha256>::try_from_bytes(mine.concat()).unwrap();
            let old_ct = RootHash::<Sha256>::new(old_root.into(), old);
            assert!(ct_root.verify_consistency(&old_ct, &back).is_ok());
        }
    }
}

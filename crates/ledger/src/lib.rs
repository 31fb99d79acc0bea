//! The ledger's pure core: how an event becomes a leaf, how leaves become an RFC 6962 / RFC 9162
//! Merkle tree laid out as C2SP tiles, how checkpoints are signed (C2SP signed notes, Ed25519) and
//! cosigned by witnesses, and how inclusion and consistency proofs are made and checked.
//!
//! Nothing here does I/O: the sequencer (in `glassroom-app`) feeds events in and writes out what the
//! [`tree::Builder`] hands back; the auditor (`glassroom verify`) reads tiles and bundles and calls
//! the checks here. Keeping it pure is what lets the same code run in the server, the verifier and
//! the tests, and be cross-checked against independent implementations (`ct-merkle`, Go's x/mod).

pub mod checkpoint;
pub mod hash;
pub mod leaf;
pub mod note;
pub mod proof;
pub mod receipt;
pub mod tiles;
pub mod tree;

pub use checkpoint::Checkpoint;
pub use hash::{Hash, leaf_hash, node_hash};

/// Everything that can be wrong with ledger data handed to this crate.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum LedgerError {
    #[error("leaf too large: {0} bytes (at most 65535)")]
    LeafTooLarge(usize),
    #[error("malformed leaf: {0}")]
    MalformedLeaf(&'static str),
    #[error("malformed tile path: {0}")]
    BadPath(String),
    #[error("malformed checkpoint: {0}")]
    BadCheckpoint(String),
    #[error("malformed note: {0}")]
    BadNote(String),
    #[error("malformed key: {0}")]
    BadKey(String),
    #[error("no valid signature by {0}")]
    NoSignature(String),
    #[error("malformed proof: {0}")]
    BadProof(String),
    #[error("index {index} is outside a tree of size {size}")]
    OutOfRange { index: u64, size: u64 },
    #[error("malformed tree state: {0}")]
    BadState(&'static str),
    #[error("no randomness from the operating system: {0}")]
    Random(String),
}

/// Keyed hash (HMAC-SHA-256) of a private value, as it may appear in a leaf: `hmac-sha256:<hex>`.
///
/// A representative's IIN or phone enters the ledger only like this. Whoever holds the key can
/// check that a given value is the one sealed; once the key is destroyed, the value cannot be
/// recovered from the leaf (an IIN is only 12 digits, so a plain hash could be brute-forced) while
/// every leaf, tile and proof still verifies.
pub fn keyed_hash(key: &[u8; 32], value: &str) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(value.as_bytes());
    format!("hmac-sha256:{}", hex::encode(mac.finalize().into_bytes()))
}

/// 32 random bytes from the operating system.
pub fn random_key() -> Result<[u8; 32], LedgerError> {
    let mut k = [0u8; 32];
    getrandom::fill(&mut k).map_err(|e| LedgerError::Random(e.to_string()))?;
    Ok(k)
}

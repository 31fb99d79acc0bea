//! Offline receipts in `c2sp.org/tlog-proof@v1` form: the entry's index, its inclusion proof and
//! the checkpoint (with any cosignatures) it is proved against, checkable with no server.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;

use crate::checkpoint::Checkpoint;
use crate::note::{Note, Verifier};
use crate::proof::verify_inclusion;
use crate::{Hash, LedgerError, leaf_hash};

pub const HEADER: &str = "c2sp.org/tlog-proof@v1";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    pub extra: Option<Vec<u8>>,
    pub index: u64,
    pub proof: Vec<Hash>,
    /// The signed checkpoint note, as published.
    pub checkpoint: String,
}

impl Receipt {
    pub fn text(&self) -> String {
        let mut s = format!("{HEADER}\n");
        if let Some(e) = &self.extra {
            s.push_str(&format!("extra {}\n", B64.encode(e)));
        }
        s.push_str(&format!("index {}\n", self.index));
        for h in &self.proof {
            s.push_str(&B64.encode(h));
            s.push('\n');
        }
        s.push('\n');
        s.push_str(&self.checkpoint);
        s
    }

    pub fn parse(text: &str) -> Result<Receipt, LedgerError> {
        let bad = |m: &str| LedgerError::BadProof(m.to_owned());
        let (head, checkpoint) = text
            .split_once("\n\n")
            .ok_or_else(|| bad("no blank line before the checkpoint"))?;
        let mut lines = head.split('\n');
        if lines.next() != Some(HEADER) {
            return Err(bad("first line must be c2sp.org/tlog-proof@v1"));
        }
        let mut next = lines.next().ok_or_else(|| bad("no index line"))?;
        let mut extra = None;
        if let Some(e) = next.strip_prefix("extra ") {
            extra = Some(B64.decode(e).map_err(|_| bad("extra is not base64"))?);
            next = lines.next().ok_or_else(|| bad("no index line"))?;
        }
        let index: u64 = next
            .strip_prefix("index ")
            .and_then(|i| i.parse().ok())
            .ok_or_else(|| bad("malformed index line"))?;
        let mut proof = Vec::new();
        for l in lines {
            let h: Hash = B64
                .decode(l)
                .ok()
                .and_then(|v| v.try_into().ok())
                .ok_or_else(|| bad("proof line is not a base64 32-byte hash"))?;
            proof.push(h);
        }
        if proof.len() > 64 {
            return Err(bad("proof too long"));
        }
        Ok(Receipt {
            extra,
            index,
            proof,
            checkpoint: checkpoint.to_owned(),
        })
    }

    /// Checks the receipt against the log's key and the entry it is meant to prove; returns the
    /// checkpoint it rests on.
    pub fn verify(&self, log: &Verifier, entry: &[u8]) -> Result<Checkpoint, LedgerError> {
        let note = Note::parse(&self.checkpoint)?;
        note.require(log)?;
        let cp = Checkpoint::parse_body(&note.body)?;
        if cp.origin != log.name {
            return Err(LedgerError::BadCheckpoint(format!(
                "origin {:?} is not the log's name {:?}",
                cp.origin, log.name
            )));
        }
        if !verify_inclusion(
            self.index,
            cp.size,
            &leaf_hash(entry),
            &self.proof,
            &cp.root,
        ) {
            return Err(LedgerError::BadProof(format!(
                "entry {} is not included in the checkpoint of size {}",
                self.index, cp.size
            )));
        }
        Ok(cp)
    }
}

//! Leaf encoding, version 1 (documented in docs/LEDGER.md):
//!
//! ```text
//! u8      version = 0x01
//! u64 BE  seq       the event's sequence number (leaf index + 1)
//! bytes   body      the event's canonical JSON, exactly as stored (UTF-8, no trailing newline)
//! ```
//!
//! At most 65,535 bytes in all, so that a C2SP entry bundle's u16 length prefix holds it.

use crate::LedgerError;

pub const VERSION: u8 = 1;
pub const MAX_LEAF: usize = u16::MAX as usize;
/// Bytes before the body.
pub const HEADER: usize = 9;

pub fn encode(seq: u64, body: &[u8]) -> Result<Vec<u8>, LedgerError> {
    let len = HEADER + body.len();
    if len > MAX_LEAF {
        return Err(LedgerError::LeafTooLarge(len));
    }
    let mut out = Vec::with_capacity(len);
    out.push(VERSION);
    out.extend_from_slice(&seq.to_be_bytes());
    out.extend_from_slice(body);
    Ok(out)
}

/// Writes the encoding into `out` (cleared first); the verifier's allocation-free path.
pub fn encode_into(seq: u64, body: &[u8], out: &mut Vec<u8>) {
    out.clear();
    out.push(VERSION);
    out.extend_from_slice(&seq.to_be_bytes());
    out.extend_from_slice(body);
}

/// A decoded leaf: the event's sequence number and its canonical body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leaf<'a> {
    pub seq: u64,
    pub body: &'a [u8],
}

pub fn decode(bytes: &[u8]) -> Result<Leaf<'_>, LedgerError> {
    if bytes.len() > MAX_LEAF {
        return Err(LedgerError::LeafTooLarge(bytes.len()));
    }
    let (&version, rest) = bytes
        .split_first()
        .ok_or(LedgerError::MalformedLeaf("empty"))?;
    if version != VERSION {
        return Err(LedgerError::MalformedLeaf("unknown version"));
    }
    if rest.len() < 8 {
        return Err(LedgerError::MalformedLeaf("truncated sequence number"));
    }
    let (seq, body) = rest.split_at(8);
    let mut s = [0u8; 8];
    s.copy_from_slice(seq);
    Ok(Leaf {
        seq: u64::from_be_bytes(s),
        body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_limits() {
        let l = encode(42, b"{\"v\":1}").unwrap();
        assert_eq!(l[0], 1);
        assert_eq!(&l[1..9], &42u64.to_be_bytes());
        let d = decode(&l).unwrap();
        assert_eq!(d.seq, 42);
        assert_eq!(d.body, b"{\"v\":1}");
        assert!(matches!(
            encode(1, &vec![b'x'; MAX_LEAF]),
            Err(LedgerError::LeafTooLarge(_))
        ));
        assert!(encode(1, &vec![b'x'; MAX_LEAF - HEADER]).is_ok());
        assert!(decode(&[2, 0, 0, 0, 0, 0, 0, 0, 1]).is_err());
        assert!(decode(&[1, 0]).is_err());
        assert!(decode(&[]).is_err());
    }
}

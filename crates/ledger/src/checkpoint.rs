//! `c2sp.org/tlog-checkpoint` bodies: origin, decimal size, base64 root, optional extension lines.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;

use crate::{Hash, LedgerError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub origin: String,
    pub size: u64,
    pub root: Hash,
    /// Extension lines, without their newlines.
    pub extensions: Vec<String>,
}

impl Checkpoint {
    pub fn new(origin: &str, size: u64, root: Hash) -> Checkpoint {
        Checkpoint {
            origin: origin.to_owned(),
            size,
            root,
            extensions: Vec::new(),
        }
    }

    /// The note body, every line newline-terminated.
    pub fn body(&self) -> String {
        let mut s = format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            B64.encode(self.root)
        );
        for e in &self.extensions {
            s.push_str(e);
            s.push('\n');
        }
        s
    }

    pub fn parse_body(body: &str) -> Result<Checkpoint, LedgerError> {
        let bad = |m: &str| LedgerError::BadCheckpoint(m.to_owned());
        let text = body
            .strip_suffix('\n')
            .ok_or_else(|| bad("body must end with a newline"))?;
        let mut lines = text.split('\n');
        let origin = lines
            .next()
            .filter(|l| !l.is_empty())
            .ok_or_else(|| bad("no origin line"))?;
        let size_s = lines.next().ok_or_else(|| bad("no size line"))?;
        if size_s.is_empty()
            || !size_s.bytes().all(|b| b.is_ascii_digit())
            || (size_s.len() > 1 && size_s.starts_with('0'))
        {
            return Err(bad("size is not a decimal number"));
        }
        let size: u64 = size_s.parse().map_err(|_| bad("size out of range"))?;
        let root_s = lines.next().ok_or_else(|| bad("no root hash line"))?;
        let root_v = B64
            .decode(root_s)
            .map_err(|_| bad("root hash is not base64"))?;
        let root: Hash = root_v
            .try_into()
            .map_err(|_| bad("root hash is not 32 bytes"))?;
        let extensions: Vec<String> = lines.map(str::to_owned).collect();
        if extensions.iter().any(|e| e.is_empty()) {
            return Err(bad("empty extension line"));
        }
        Ok(Checkpoint {
            origin: origin.to_owned(),
            size,
            root,
            extensions,
        })
    }

    pub fn root_b64(&self) -> String {
        B64.encode(self.root)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let c = Checkpoint::new("example.com/log", 20852163, [7u8; 32]);
        let b = c.body();
        assert_eq!(Checkpoint::parse_body(&b).unwrap(), c);
        assert!(Checkpoint::parse_body("o\n01\nAAAA\n").is_err());
        assert!(Checkpoint::parse_body("o\n1\nAAAA\n").is_err());
        assert!(Checkpoint::parse_body("o\n1\n").is_err());
    }
}

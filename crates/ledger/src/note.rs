//! C2SP signed notes (`c2sp.org/signed-note`) with Ed25519 keys, checkpoint signing, and
//! Ed25519 cosignatures (`c2sp.org/tlog-cosignature`, type 0x04).
//!
//! Key formats are Go's `golang.org/x/mod/sumdb/note`: verifier key
//! `<name>+<hex key id>+<base64(0x01 || public key)>`, private key
//! `PRIVATE+KEY+<name>+<hex key id>+<base64(0x01 || seed)>`.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use ed25519_dalek::{Signer as _, SigningKey, Verifier as _, VerifyingKey};
use sha2::{Digest, Sha256};

use crate::LedgerError;

pub const ALG_ED25519: u8 = 0x01;
pub const ALG_COSIGNATURE_V1: u8 = 0x04;
const DASH: &str = "\u{2014} ";

fn key_id(name: &str, alg: u8, public: &[u8; 32]) -> [u8; 4] {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update(b"\n");
    h.update([alg]);
    h.update(public);
    let d = h.finalize();
    [d[0], d[1], d[2], d[3]]
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && !name.contains('+')
        && !name.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// A signing key with its name (the log's origin, or a witness name).
#[derive(Clone)]
pub struct Signer {
    pub name: String,
    alg: u8,
    key: SigningKey,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Signer({}, key hidden)", self.name)
    }
}

impl Signer {
    /// A fresh Ed25519 note-signing key.
    pub fn generate(name: &str) -> Result<Signer, LedgerError> {
        Self::from_seed(name, ALG_ED25519, crate::random_key()?)
    }

    /// A fresh Ed25519 witness (cosignature/v1) key.
    pub fn generate_witness(name: &str) -> Result<Signer, LedgerError> {
        Self::from_seed(name, ALG_COSIGNATURE_V1, crate::random_key()?)
    }

    fn from_seed(name: &str, alg: u8, seed: [u8; 32]) -> Result<Signer, LedgerError> {
        if !valid_name(name) {
            return Err(LedgerError::BadKey(format!("invalid key name {name:?}")));
        }
        Ok(Signer {
            name: name.to_owned(),
            alg,
            key: SigningKey::from_bytes(&seed),
        })
    }

    pub fn key_id(&self) -> [u8; 4] {
        key_id(&self.name, self.alg, self.key.verifying_key().as_bytes())
    }

    /// `PRIVATE+KEY+<name>+<hex id>+<base64(alg || seed)>`.
    pub fn to_private(&self) -> String {
        let mut k = vec![self.alg];
        k.extend_from_slice(self.key.as_bytes());
        format!(
            "PRIVATE+KEY+{}+{}+{}",
            self.name,
            hex::encode(self.key_id()),
            B64.encode(k)
        )
    }

    pub fn from_private(text: &str) -> Result<Signer, LedgerError> {
        let bad = |m: &str| LedgerError::BadKey(m.to_owned());
        let rest = text
            .trim()
            .strip_prefix("PRIVATE+KEY+")
            .ok_or_else(|| bad("not a private key (PRIVATE+KEY+…)"))?;
        let mut parts = rest.splitn(3, '+');
        let (Some(name), Some(id), Some(key)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(bad("expected PRIVATE+KEY+<name>+<id>+<key>"));
        };
        let raw = B64.decode(key).map_err(|_| bad("key is not base64"))?;
        let (&alg, seed) = raw.split_first().ok_or_else(|| bad("empty key"))?;
        if alg != ALG_ED25519 && alg != ALG_COSIGNATURE_V1 {
            return Err(bad("unsupported key algorithm"));
        }
        let seed: [u8; 32] = seed.try_into().map_err(|_| bad("key is not 32 bytes"))?;
        let s = Self::from_seed(name, alg, seed)?;
        if hex::encode(s.key_id()) != id {
            return Err(bad("key id does not match the key"));
        }
        Ok(s)
    }

    /// The verifier key, `<name>+<hex id>+<base64(alg || public key)>`.
    pub fn vkey(&self) -> String {
        let mut k = vec![self.alg];
        k.extend_from_slice(self.key.verifying_key().as_bytes());
        format!(
            "{}+{}+{}",
            self.name,
            hex::encode(self.key_id()),
            B64.encode(k)
        )
    }

    pub fn verifier(&self) -> Verifier {
        Verifier {
            name: self.name.clone(),
            alg: self.alg,
            id: self.key_id(),
            key: self.key.verifying_key(),
        }
    }

    /// A signature line over `body` (a note-signing key).
    pub fn sign_line(&self, body: &str) -> String {
        let sig = self.key.sign(body.as_bytes());
        let mut raw = self.key_id().to_vec();
        raw.extend_from_slice(&sig.to_bytes());
        format!("{DASH}{} {}\n", self.name, B64.encode(raw))
    }

    /// A `cosignature/v1` line over a checkpoint `body` at POSIX time `timestamp`.
    pub fn cosign_line(&self, body: &str, timestamp: u64) -> String {
        let msg = format!("cosignature/v1\ntime {timestamp}\n{body}");
        let sig = self.key.sign(msg.as_bytes());
        let mut raw = self.key_id().to_vec();
        raw.extend_from_slice(&timestamp.to_be_bytes());
        raw.extend_from_slice(&sig.to_bytes());
        format!("{DASH}{} {}\n", self.name, B64.encode(raw))
    }
}

/// A public key that checks note signatures (alg 0x01) or cosignatures (alg 0x04).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verifier {
    pub name: String,
    pub alg: u8,
    pub id: [u8; 4],
    key: VerifyingKey,
}

impl Verifier {
    pub fn parse(vkey: &str) -> Result<Verifier, LedgerError> {
        let bad = |m: &str| LedgerError::BadKey(format!("{m}: {vkey:?}"));
        let mut parts = vkey.trim().splitn(3, '+');
        let (Some(name), Some(id), Some(key)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(bad("expected <name>+<hex key id>+<base64 key>"));
        };
        if !valid_name(name) {
            return Err(bad("invalid key name"));
        }
        let raw = B64.decode(key).map_err(|_| bad("key is not base64"))?;
        let (&alg, public) = raw.split_first().ok_or_else(|| bad("empty key"))?;
        if alg != ALG_ED25519 && alg != ALG_COSIGNATURE_V1 {
            return Err(bad("unsupported key algorithm"));
        }
        let public: [u8; 32] = public.try_into().map_err(|_| bad("key is not 32 bytes"))?;
        let key = VerifyingKey::from_bytes(&public).map_err(|_| bad("not an Ed25519 key"))?;
        let want = key_id(name, alg, &public);
        if hex::encode(want) != id.to_ascii_lowercase() || id.len() != 8 {
            return Err(bad("key id does not match the key"));
        }
        Ok(Verifier {
            name: name.to_owned(),
            alg,
            id: want,
            key,
        })
    }

    pub fn vkey(&self) -> String {
        let mut k = vec![self.alg];
        k.extend_from_slice(self.key.as_bytes());
        format!("{}+{}+{}", self.name, hex::encode(self.id), B64.encode(k))
    }

    /// Checks one signature line's payload against `body`. For a cosigner, returns its timestamp.
    fn check(&self, body: &str, sig: &[u8]) -> Option<u64> {
        match self.alg {
            ALG_ED25519 => {
                let s = ed25519_dalek::Signature::from_slice(sig).ok()?;
                self.key.verify(body.as_bytes(), &s).ok().map(|_| 0)
            }
            _ => {
                if sig.len() != 72 {
                    return None;
                }
                let mut t = [0u8; 8];
                t.copy_from_slice(&sig[..8]);
                let ts = u64::from_be_bytes(t);
                if ts > i64::MAX as u64 {
                    return None;
                }
                let s = ed25519_dalek::Signature::from_slice(&sig[8..]).ok()?;
                let msg = format!("cosignature/v1\ntime {ts}\n{body}");
                self.key.verify(msg.as_bytes(), &s).ok().map(|_| ts)
            }
        }
    }
}

/// One signature line of a note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigLine {
    pub name: String,
    pub id: [u8; 4],
    /// The signature bytes after the key id.
    pub sig: Vec<u8>,
}

impl SigLine {
    pub fn line(&self) -> String {
        let mut raw = self.id.to_vec();
        raw.extend_from_slice(&self.sig);
        format!("{DASH}{} {}\n", self.name, B64.encode(raw))
    }
}

/// A parsed signed note: body and signature lines (not yet checked).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub body: String,
    pub sigs: Vec<SigLine>,
}

impl Note {
    pub fn parse(text: &str) -> Result<Note, LedgerError> {
        let bad = |m: &str| LedgerError::BadNote(m.to_owned());
        let split = text
            .find("\n\n")
            .ok_or_else(|| bad("no blank line between body and signatures"))?;
        let body = &text[..split + 1];
        let sigs_text = &text[split + 2..];
        if !sigs_text.ends_with('\n') {
            return Err(bad("signature block must end with a newline"));
        }
        let mut sigs = Vec::new();
        for line in sigs_text[..sigs_text.len() - 1].split('\n') {
            let rest = line
                .strip_prefix(DASH)
                .ok_or_else(|| bad("signature line must start with an em dash and a space"))?;
            let (name, b64) = rest
                .split_once(' ')
                .ok_or_else(|| bad("signature line without a signature"))?;
            let raw = B64
                .decode(b64)
                .map_err(|_| bad("signature is not base64"))?;
            if raw.len() < 5 || !valid_name(name) {
                return Err(bad("malformed signature line"));
            }
            sigs.push(SigLine {
                name: name.to_owned(),
                id: [raw[0], raw[1], raw[2], raw[3]],
                sig: raw[4..].to_vec(),
            });
        }
        if sigs.is_empty() {
            return Err(bad("no signatures"));
        }
        if sigs.len() > 100 {
            return Err(bad("too many signatures"));
        }
        Ok(Note {
            body: body.to_owned(),
            sigs,
        })
    }

    /// Does a line by `v` hold a valid signature over the body? For a cosigner, its timestamp.
    pub fn verified_by(&self, v: &Verifier) -> Option<u64> {
        self.sigs
            .iter()
            .filter(|s| s.name == v.name && s.id == v.id)
            .find_map(|s| v.check(&self.body, &s.sig))
    }

    /// Fails unless `v` signed the body.
    pub fn require(&self, v: &Verifier) -> Result<(), LedgerError> {
        self.verified_by(v)
            .map(|_| ())
            .ok_or_else(|| LedgerError::NoSignature(v.name.clone()))
    }

    pub fn text(&self) -> String {
        let mut s = self.body.clone();
        s.push('\n');
        for l in &self.sigs {
            s.push_str(&l.line());
        }
        s
    }
}

/// Signs a body with every signer (a log being rotated signs with the old and the new key).
pub fn sign(body: &str, signers: &[Signer]) -> String {
    let mut s = String::with_capacity(body.len() + 120 * signers.len());
    s.push_str(body);
    s.push('\n');
    for k in signers {
        s.push_str(&k.sign_line(body));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_verify_and_formats() {
        let k = Signer::generate("example.com/log").unwrap();
        let body = "example.com/log\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n";
        let text = sign(body, std::slice::from_ref(&k));
        let note = Note::parse(&text).unwrap();
        let v = Verifier::parse(&k.vkey()).unwrap();
        assert!(note.require(&v).is_ok());
        assert_eq!(note.text(), text);
        let tampered = text.replace("\n1\n", "\n2\n");
        assert!(Note::parse(&tampered).unwrap().require(&v).is_err());
        let again = Signer::from_private(&k.to_private()).unwrap();
        assert_eq!(again.vkey(), k.vkey());
        let other = Signer::generate("example.com/log").unwrap();
        assert!(note.require(&other.verifier()).is_err());
        assert!(Verifier::parse("a+00000000+AQ==").is_err());

        let w = Signer::generate_witness("witness.example/w1").unwrap();
        let mut cosigned = note.clone();
        let line = w.cosign_line(&note.body, 1_679_315_147);
        let extra = Note::parse(&format!("{body}\n{line}")).unwrap();
        cosigned.sigs.extend(extra.sigs);
        let wv = Verifier::parse(&w.vkey()).unwrap();
        assert_eq!(wv.alg, ALG_COSIGNATURE_V1);
        assert_eq!(cosigned.verified_by(&wv), Some(1_679_315_147));
        assert!(cosigned.require(&v).is_ok());
    }

    /// Signature and key ids from Go's x/mod/sumdb/note test vectors.
    #[test]
    fn go_vectors() {
        let vkey = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
        let text = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n\n\u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
        let v = Verifier::parse(vkey).unwrap();
        let n = Note::parse(text).unwrap();
        assert!(n.require(&v).is_ok());
        let skey = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
        let s = Signer::from_private(skey).unwrap();
        assert_eq!(s.vkey(), vkey);
        assert_eq!(sign(&n.body, &[s]), text);
    }
}

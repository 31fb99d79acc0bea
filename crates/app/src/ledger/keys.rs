//! The log's keys on disk, under `<data>/ledger/` (directory 0700, files 0600):
//!
//! - `log.key`: the checkpoint signing key, `PRIVATE+KEY+<origin>+<id>+<base64>` (Go's
//!   `x/mod/sumdb/note` format), generated on first start;
//! - `log.next.key`: optional; while present, checkpoints are signed by both keys (rotation, see
//!   docs/LEDGER.md);
//! - `pseudonym.key`: 32 random bytes (hex) keying the hashes of private data in leaves.
//!   Destroying it makes those hashes unlinkable to the people; the log still verifies.

use std::io::Write;
use std::path::{Path, PathBuf};

use glassroom_ledger::note::Signer;

use crate::AppError;

pub struct Keys {
    pub signers: Vec<Signer>,
    pub pseudonym: [u8; 32],
}

fn err(path: &Path, what: impl std::fmt::Display) -> AppError {
    AppError::Unavailable(format!("{}: {what}", path.display()))
}

#[cfg(unix)]
fn check_private(path: &Path) -> Result<(), AppError> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path)
        .map_err(|e| err(path, e))?
        .permissions()
        .mode();
    if mode & 0o077 != 0 {
        return Err(err(
            path,
            format!(
                "key file is readable by others (mode {:o}); run `chmod 600 {}`",
                mode & 0o777,
                path.display()
            ),
        ));
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_: &Path) -> Result<(), AppError> {
    Ok(())
}

/// Writes a new owner-only file; fails if it exists.
fn create_private(path: &Path, contents: &str) -> Result<(), AppError> {
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    let mut f = o.open(path).map_err(|e| err(path, e))?;
    f.write_all(contents.as_bytes()).map_err(|e| err(path, e))?;
    f.sync_all().map_err(|e| err(path, e))?;
    Ok(())
}

pub fn key_dir(data: &Path) -> PathBuf {
    data.join("ledger")
}

/// Loads the keys, generating what is missing.
pub fn load_or_create(data: &Path, origin: &str) -> Result<Keys, AppError> {
    let dir = key_dir(data);
    std::fs::create_dir_all(&dir).map_err(|e| err(&dir, e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))
            .map_err(|e| err(&dir, e))?;
    }
    let log = dir.join("log.key");
    if !log.exists() {
        let s = Signer::generate(origin).map_err(|e| err(&log, e))?;
        create_private(&log, &format!("{}\n", s.to_private()))?;
        tracing::info!(vkey = %s.vkey(), "ledger: generated the log signing key");
    }
    let mut signers = vec![read_signer(&log)?];
    let next = dir.join("log.next.key");
    if next.exists() {
        signers.push(read_signer(&next)?);
    }
    let pk = dir.join("pseudonym.key");
    if !pk.exists() {
        let k = glassroom_ledger::random_key().map_err(|e| err(&pk, e))?;
        create_private(&pk, &format!("{}\n", hex::encode(k)))?;
    }
    check_private(&pk)?;
    let text = std::fs::read_to_string(&pk).map_err(|e| err(&pk, e))?;
    let raw = hex::decode(text.trim()).map_err(|_| err(&pk, "not 64 hex digits"))?;
    let pseudonym: [u8; 32] = raw.try_into().map_err(|_| err(&pk, "not 32 bytes"))?;
    Ok(Keys { signers, pseudonym })
}

fn read_signer(path: &Path) -> Result<Signer, AppError> {
    check_private(path)?;
    let text = std::fs::read_to_string(path).map_err(|e| err(path, e))?;
    Signer::from_private(&text).map_err(|e| err(path, e))
}

/// The public key of the log as stored under `data` (for `glassroom verify` on the same machine).
pub fn local_vkey(data: &Path) -> Result<String, AppError> {
    Ok(read_signer(&key_dir(data).join("log.key"))?.vkey())
}

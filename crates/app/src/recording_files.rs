//! Where sealed recordings live: a local directory (`<data>/recordings`, the default) or an
//! S3-compatible object store (`[recorder.blobs]`). The recorder always writes and seals a
//! segment on local disk first (fsync); with an object store it then uploads it, checks the
//! stored size, and only then records the segment and removes the local copy, so a segment the
//! ledger names is always where readers look.

use std::path::PathBuf;
use std::sync::Arc;

use bytes::Bytes;
use object_store::path::Path as BlobPath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};

#[derive(Clone)]
pub enum RecordingFiles {
    Dir(PathBuf),
    Blobs(Arc<dyn ObjectStore>),
}

/// A recording's relative path (as stored in its row and ledger event) is safe: relative, with
/// no `..`.
pub fn safe_path(rel: &str) -> bool {
    let p = std::path::Path::new(rel);
    !rel.is_empty()
        && !p.is_absolute()
        && p.components()
            .all(|c| matches!(c, std::path::Component::Normal(_)))
}

impl RecordingFiles {
    pub fn describe(&self) -> String {
        match self {
            RecordingFiles::Dir(d) => d.display().to_string(),
            RecordingFiles::Blobs(s) => s.to_string(),
        }
    }

    fn key(rel: &str) -> Result<BlobPath, String> {
        if !safe_path(rel) {
            return Err(format!("unsafe recording path {rel:?}"));
        }
        BlobPath::parse(rel).map_err(|e| format!("{rel}: {e}"))
    }

    /// The stored bytes of a recording.
    pub async fn read(&self, rel: &str) -> Result<Bytes, String> {
        match self {
            RecordingFiles::Dir(d) => {
                Self::key(rel)?;
                tokio::fs::read(d.join(rel))
                    .await
                    .map(Bytes::from)
                    .map_err(|e| format!("{rel}: {e}"))
            }
            RecordingFiles::Blobs(s) => {
                let r = s
                    .get(&Self::key(rel)?)
                    .await
                    .map_err(|e| format!("{rel}: {e}"))?;
                r.bytes().await.map_err(|e| format!("{rel}: {e}"))
            }
        }
    }

    /// The first `n` bytes (fewer for a shorter file).
    pub async fn read_prefix(&self, rel: &str, n: usize) -> Result<Bytes, String> {
        match self {
            RecordingFiles::Dir(d) => {
                use tokio::io::AsyncReadExt;
                Self::key(rel)?;
                let f = tokio::fs::File::open(d.join(rel))
                    .await
                    .map_err(|e| format!("{rel}: {e}"))?;
                let mut buf = Vec::with_capacity(n);
                f.take(n as u64)
                    .read_to_end(&mut buf)
                    .await
                    .map_err(|e| format!("{rel}: {e}"))?;
                Ok(Bytes::from(buf))
            }
            RecordingFiles::Blobs(s) => {
                let key = Self::key(rel)?;
                let size = s.head(&key).await.map_err(|e| format!("{rel}: {e}"))?.size;
                s.get_range(&key, 0..(n as u64).min(size))
                    .await
                    .map_err(|e| format!("{rel}: {e}"))
            }
        }
    }

    /// Removes a recording; false when it was not there.
    pub async fn delete(&self, rel: &str) -> Result<bool, String> {
        match self {
            RecordingFiles::Dir(d) => match tokio::fs::remove_file(d.join(rel)).await {
                Ok(()) => Ok(true),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
                Err(e) => Err(format!("{rel}: {e}")),
            },
            RecordingFiles::Blobs(s) => {
                let key = Self::key(rel)?;
                match s.head(&key).await {
                    Err(object_store::Error::NotFound { .. }) => return Ok(false),
                    Err(e) => return Err(format!("{rel}: {e}")),
                    Ok(_) => {}
                }
                s.delete(&key).await.map_err(|e| format!("{rel}: {e}"))?;
                Ok(true)
            }
        }
    }

    /// Uploads a sealed local file to the object store and checks the stored size (a no-op for
    /// a local directory, where the recorder wrote it already).
    pub async fn upload(&self, rel: &str, local: &std::path::Path) -> Result<(), String> {
        let RecordingFiles::Blobs(s) = self else {
            return Ok(());
        };
        let key = Self::key(rel)?;
        let bytes = tokio::fs::read(local)
            .await
            .map_err(|e| format!("{}: {e}", local.display()))?;
        let len = bytes.len() as u64;
        s.put(&key, PutPayload::from(bytes))
            .await
            .map_err(|e| format!("uploading {rel}: {e}"))?;
        let meta = s
            .head(&key)
            .await
            .map_err(|e| format!("checking {rel}: {e}"))?;
        if meta.size != len {
            return Err(format!(
                "{rel}: the store holds {} bytes, {len} were sent",
                meta.size
            ));
        }
        Ok(())
    }
}

//! `glassroom verify`: audits a published log end to end, from any [`Source`] (the local blob
//! directory or a remote server), and, when the store is at hand, every stored event against its
//! leaf. Nothing read is trusted because a reader returned it: every entry is re-hashed against its
//! tile, every tile against the tile above, the root against the signed checkpoint.

use std::sync::Arc;

use async_trait::async_trait;
use futures_util::stream::{self, StreamExt};

use glassroom_ledger::note::{Note, Verifier};
use glassroom_ledger::tiles::{TileId, TileKind, WIDTH, split_bundle};
use glassroom_ledger::{Checkpoint, Hash, hash, leaf, leaf_hash};
use glassroom_store::{EventRow, Store};

/// Where the published log is read from. Paths are C2SP paths relative to the log root:
/// `checkpoint`, `tile/0/000`, `tile/entries/000.p/7`…
#[async_trait]
pub trait Source: Send + Sync {
    async fn get(&self, path: &str) -> Result<Option<Vec<u8>>, String>;
}

/// A log published in a local directory (the default blob store).
pub struct DirSource(pub std::path::PathBuf);

#[async_trait]
impl Source for DirSource {
    async fn get(&self, path: &str) -> Result<Option<Vec<u8>>, String> {
        let p = self.0.join(path);
        match tokio::fs::read(&p).await {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(format!("{}: {e}", p.display())),
        }
    }
}

/// A log in any blob store (S3-compatible, local) as the server publishes it.
pub struct BlobSource(pub std::sync::Arc<dyn object_store::ObjectStore>);

#[async_trait]
impl Source for BlobSource {
    async fn get(&self, path: &str) -> Result<Option<Vec<u8>>, String> {
        use object_store::ObjectStoreExt;
        match self.0.get(&object_store::path::Path::from(path)).await {
            Ok(r) => r
                .bytes()
                .await
                .map(|b| Some(b.to_vec()))
                .map_err(|e| e.to_string()),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e.to_string()),
        }
    }
}

/// What must hold besides the log's own signature.
#[derive(Default, Clone)]
pub struct Policy {
    pub witnesses: Vec<Verifier>,
    /// How many of `witnesses` must have cosigned the checkpoint.
    pub required: usize,
    /// A checkpoint seen earlier: the log must still contain it.
    pub remembered: Option<Checkpoint>,
}

#[derive(Debug, Clone)]
pub struct Report {
    pub checkpoint: Checkpoint,
    pub note: String,
    pub entries: u64,
    pub events_checked: u64,
    /// Events committed after the checkpoint (not sealed yet).
    pub pending_events: u64,
    pub witnesses: Vec<String>,
}

/// The first thing found wrong.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct Failure {
    pub entry: Option<u64>,
    pub message: String,
}

fn fail(message: impl Into<String>) -> Failure {
    Failure {
        entry: None,
        message: message.into(),
    }
}

fn fail_at(entry: u64, message: impl Into<String>) -> Failure {
    Failure {
        entry: Some(entry),
        message: format!("entry {entry} (event {}): {}", entry + 1, message.into()),
    }
}

struct TileOutcome {
    /// Root of a full level-0 tile.
    root: Option<Hash>,
    /// Leaf hashes, kept for the tiles a root must be recomputed from.
    leaves: Option<Vec<Hash>>,
    events: u64,
}

#[derive(serde::Deserialize)]
struct BodyHead<'a> {
    #[serde(borrow)]
    at: &'a str,
    #[serde(borrow)]
    kind: std::borrow::Cow<'a, str>,
    #[serde(borrow)]
    subject: std::borrow::Cow<'a, str>,
    #[serde(borrow)]
    actor: Option<std::borrow::Cow<'a, str>>,
}

/// Does the stored row say what its sealed body says?
fn check_event(index: u64, entry: &[u8], ev: &EventRow) -> Result<(), Failure> {
    let mut want = Vec::with_capacity(entry.len());
    leaf::encode_into(ev.seq as u64, ev.body.as_bytes(), &mut want);
    if want != entry {
        return Err(fail_at(
            index,
            "the stored event's body differs from the sealed leaf (the database row was altered)",
        ));
    }
    let head: BodyHead<'_> = serde_json::from_str(&ev.body)
        .map_err(|e| fail_at(index, format!("the sealed body is not an event: {e}")))?;
    let at = head
        .at
        .parse::<jiff::Timestamp>()
        .map_err(|_| fail_at(index, "the sealed body has no valid time"))?;
    if crate::time::to_us(at) != ev.at_us
        || head.kind != ev.kind
        || head.subject != ev.subject
        || head.actor.as_deref() != ev.actor.as_deref()
    {
        return Err(fail_at(
            index,
            "the stored event's columns (time, kind, subject or actor) differ from its sealed body (the database row was altered)",
        ));
    }
    Ok(())
}

/// Checks one level-0 tile and its entry bundle (and the stored events, when given).
fn check_tile(
    t: u64,
    width: u64,
    tile: &[u8],
    bundle: &[u8],
    events: Option<&[EventRow]>,
    keep: bool,
) -> Result<TileOutcome, Failure> {
    let base = t * WIDTH;
    let id = TileId {
        kind: TileKind::Hashes(0),
        index: t,
        width,
    };
    if tile.len() as u64 != width * 32 {
        return Err(fail_at(
            base,
            format!(
                "{} is {} bytes, expected {}",
                id.path(),
                tile.len(),
                width * 32
            ),
        ));
    }
    let bid = TileId {
        kind: TileKind::Entries,
        ..id
    };
    let entries =
        split_bundle(bundle).map_err(|e| fail_at(base, format!("{}: {e}", bid.path())))?;
    if entries.len() as u64 != width {
        return Err(fail_at(
            base,
            format!(
                "{} holds {} entries, expected {width}",
                bid.path(),
                entries.len()
            ),
        ));
    }
    let mut hashes = Vec::with_capacity(width as usize);
    for (i, e) in entries.iter().enumerate() {
        let index = base + i as u64;
        let h = leaf_hash(e);
        if h[..] != tile[i * 32..i * 32 + 32] {
            return Err(fail_at(
                index,
                format!(
                    "the entry in {} does not hash to its hash in {}",
                    bid.path(),
                    id.path()
                ),
            ));
        }
        let l = leaf::decode(e).map_err(|err| fail_at(index, err.to_string()))?;
        if l.seq != index + 1 {
            return Err(fail_at(
                index,
                format!("the leaf names event {}, not {}", l.seq, index + 1),
            ));
        }
        hashes.push(h);
    }
    let mut checked = 0;
    if let Some(evs) = events {
        for (i, e) in entries.iter().enumerate() {
            let index = base + i as u64;
            let ev = evs
                .get(i)
                .filter(|ev| ev.seq as u64 == index + 1)
                .ok_or_else(|| {
                    fail_at(
                        index,
                        "the sealed event is missing from the database (deleted)",
                    )
                })?;
            check_event(index, e, ev)?;
            checked += 1;
        }
    }
    Ok(TileOutcome {
        root: (width == WIDTH).then(|| hash::perfect_root(&hashes)),
        leaves: keep.then_some(hashes),
        events: checked,
    })
}

/// Root of the tree of `n` leaves from the level hashes (`levels[L]` = every complete
/// level-8L subtree, L ≥ 1) and the leaf hashes of the last, incomplete level-0 tile.
fn root_from(levels: &[Vec<Hash>], tail0: &[Hash], n: u64) -> Hash {
    let mut parts = Vec::new();
    for l in (0..levels.len().max(1)).rev() {
        let count = n >> (8 * l as u32);
        let c = (count % WIDTH) as usize;
        if c == 0 {
            continue;
        }
        let slice: &[Hash] = if l == 0 {
            &tail0[..c.min(tail0.len())]
        } else {
            let all = &levels[l];
            let end = count as usize;
            &all[end - c..end]
        };
        let mut off = 0;
        for b in (0..8).rev() {
            let k = 1usize << b;
            if c & k != 0 {
                parts.push(hash::perfect_root(&slice[off..off + k]));
                off += k;
            }
        }
    }
    hash::fold_right(&parts)
}

async fn fetch(src: &dyn Source, path: &str) -> Result<Vec<u8>, Failure> {
    src.get(path)
        .await
        .map_err(|e| fail(format!("cannot read {path}: {e}")))?
        .ok_or_else(|| fail(format!("{path} is missing")))
}

/// Audits the whole log. `store`: also check every stored event against its leaf.
pub async fn audit(
    src: Arc<dyn Source>,
    log: &Verifier,
    policy: &Policy,
    store: Option<Arc<dyn Store>>,
) -> Result<Report, Failure> {
    let text = String::from_utf8(fetch(&*src, "checkpoint").await?)
        .map_err(|_| fail("the checkpoint is not UTF-8"))?;
    let note = Note::parse(&text).map_err(|e| fail(format!("checkpoint: {e}")))?;
    note.require(log).map_err(|_| {
        fail(format!(
            "checkpoint: no valid signature by the log key {}",
            log.vkey()
        ))
    })?;
    let cp = Checkpoint::parse_body(&note.body).map_err(|e| fail(format!("checkpoint: {e}")))?;
    if cp.origin != log.name {
        return Err(fail(format!(
            "checkpoint origin {:?} is not the key's name {:?}",
            cp.origin, log.name
        )));
    }
    let witnesses: Vec<String> = policy
        .witnesses
        .iter()
        .filter(|w| note.verified_by(w).is_some())
        .map(|w| w.name.clone())
        .collect();
    if witnesses.len() < policy.required {
        return Err(fail(format!(
            "checkpoint cosigned by {} of the required {} witnesses ({})",
            witnesses.len(),
            policy.required,
            if witnesses.is_empty() {
                "none".to_string()
            } else {
                witnesses.join(", ")
            }
        )));
    }
    let n = cp.size;
    if let Some(old) = &policy.remembered
        && old.size > n
    {
        return Err(fail(format!(
            "the log shrank: a checkpoint of size {} was seen before, this one has size {n}",
            old.size
        )));
    }
    let tiles0 = n.div_ceil(WIDTH);
    let keep_tile = policy.remembered.as_ref().map(|o| o.size / WIDTH);
    // Work in chunks of tiles: one database read per chunk (8,192 events), the chunk's tiles and
    // bundles fetched together, then checked on a blocking thread while the next chunks load.
    const CHUNK: u64 = 32;
    let results = stream::iter(0..tiles0.div_ceil(CHUNK))
        .map(|c| {
            let src = src.clone();
            let store = store.clone();
            async move {
                let first = c * CHUNK;
                let last = (first + CHUNK).min(tiles0);
                let fetches = (first..last).map(|t| {
                    let src = src.clone();
                    async move {
                        let width = (n - t * WIDTH).min(WIDTH);
                        let id = TileId {
                            kind: TileKind::Hashes(0),
                            index: t,
                            width,
                        };
                        let bid = TileId {
                            kind: TileKind::Entries,
                            ..id
                        };
                        let (tp, bp) = (id.path(), bid.path());
                        let (tile, bundle) =
                            tokio::try_join!(fetch(&*src, &tp), fetch(&*src, &bp))?;
                        Ok::<_, Failure>((t, width, tile, bundle))
                    }
                });
                let tiles = futures_util::future::try_join_all(fetches).await?;
                let events = match store {
                    Some(s) => {
                        let from = first * WIDTH;
                        let count = (n.min(last * WIDTH) - from) as i64;
                        let mut tx = s.read().await.map_err(|e| fail(format!("database: {e}")))?;
                        Some(
                            tx.events_for_audit(from as i64, count)
                                .await
                                .map_err(|e| fail(format!("database: {e}")))?,
                        )
                    }
                    None => None,
                };
                tokio::task::spawn_blocking(move || {
                    let mut out = Vec::with_capacity(tiles.len());
                    for (t, width, tile, bundle) in tiles {
                        let evs = events.as_deref().map(|all| {
                            let off = ((t - first) * WIDTH) as usize;
                            &all[off.min(all.len())..(off + width as usize).min(all.len())]
                        });
                        let keep = width < WIDTH || keep_tile == Some(t);
                        out.push(check_tile(t, width, &tile, &bundle, evs, keep)?);
                    }
                    Ok::<_, Failure>(out)
                })
                .await
                .map_err(|e| fail(format!("internal: {e}")))?
            }
        })
        .buffered(if store.is_some() { 2 } else { 3 })
        .map(|r| match r {
            Ok(v) => stream::iter(v.into_iter().map(Ok).collect::<Vec<_>>()),
            Err(e) => stream::iter(vec![Err(e)]),
        })
        .flatten();
    futures_util::pin_mut!(results);
    let mut level1 = Vec::with_capacity(tiles0 as usize);
    let mut tail0 = Vec::new();
    let mut kept = None;
    let mut events_checked = 0;
    let mut t = 0u64;
    while let Some(r) = results.next().await {
        let r = r?;
        events_checked += r.events;
        if let Some(root) = r.root {
            level1.push(root);
        }
        if keep_tile == Some(t) {
            kept = r.leaves.clone();
        }
        if let Some(l) = r.leaves
            && r.root.is_none()
        {
            tail0 = l;
        }
        t += 1;
    }
    // Levels above: each tile must hold the roots of the full tiles below it.
    let mut levels: Vec<Vec<Hash>> = vec![Vec::new(), level1];
    let mut l = 1usize;
    loop {
        let count = n >> (8 * l as u32);
        if count == 0 {
            break;
        }
        let tiles = count.div_ceil(WIDTH);
        for t in 0..tiles {
            let width = (count - t * WIDTH).min(WIDTH);
            let id = TileId {
                kind: TileKind::Hashes(l as u8),
                index: t,
                width,
            };
            let bytes = fetch(&*src, &id.path()).await?;
            if bytes.len() as u64 != width * 32 {
                return Err(fail(format!(
                    "{} is {} bytes, expected {}",
                    id.path(),
                    bytes.len(),
                    width * 32
                )));
            }
            for i in 0..width as usize {
                let k = (t * WIDTH) as usize + i;
                if bytes[i * 32..i * 32 + 32] != levels[l][k][..] {
                    let first = (k as u64) << (8 * l as u32);
                    return Err(fail_at(
                        first,
                        format!(
                            "{} does not hold the root of the tiles below it (hash {i})",
                            id.path()
                        ),
                    ));
                }
            }
        }
        let next: Vec<Hash> = levels[l]
            .chunks_exact(WIDTH as usize)
            .map(hash::perfect_root)
            .collect();
        levels.push(next);
        l += 1;
    }
    let root = if n == 0 {
        hash::empty_root()
    } else {
        root_from(&levels, &tail0, n)
    };
    if root != cp.root {
        return Err(fail(format!(
            "the root recomputed from the tiles ({}) is not the checkpoint's root ({})",
            Checkpoint::new("", 0, root).root_b64(),
            cp.root_b64()
        )));
    }
    if let Some(old) = &policy.remembered
        && old.size > 0
    {
        let tail = kept.unwrap_or_default();
        let old_root = root_from(&levels, &tail, old.size);
        if old_root != old.root {
            return Err(fail(format!(
                "the log is not consistent with the checkpoint of size {} seen before: its first {} entries have another root now (history was rewritten)",
                old.size, old.size
            )));
        }
    }
    let mut pending = 0;
    if let Some(s) = &store {
        let mut tx = s.read().await.map_err(|e| fail(format!("database: {e}")))?;
        let max = tx
            .max_event_seq()
            .await
            .map_err(|e| fail(format!("database: {e}")))? as u64;
        pending = max.saturating_sub(n);
    }
    Ok(Report {
        checkpoint: cp,
        note: text,
        entries: n,
        events_checked,
        pending_events: pending,
        witnesses,
    })
}

/// Every recording segment the ledger names (`recording.segment_sealed` / `_recovered`) is, byte
/// for byte, the file under `dir`: re-hashes each file against the hash in its sealed event (the
/// events themselves were checked against their leaves by [`audit`]). Returns how many files.
pub async fn audit_recordings(
    store: &dyn Store,
    files: &crate::recording_files::RecordingFiles,
) -> Result<u64, Failure> {
    use sha2::{Digest, Sha256};
    let mut tx = store
        .read()
        .await
        .map_err(|e| fail(format!("database: {e}")))?;
    let mut events = tx
        .events_of_kind("recording.segment_sealed")
        .await
        .map_err(|e| fail(format!("database: {e}")))?;
    events.extend(
        tx.events_of_kind("recording.segment_recovered")
            .await
            .map_err(|e| fail(format!("database: {e}")))?,
    );
    let deleted: std::collections::HashSet<String> = tx
        .events_of_kind("recording.deleted")
        .await
        .map_err(|e| fail(format!("database: {e}")))?
        .iter()
        .filter_map(|e| serde_json::from_str::<serde_json::Value>(&e.body).ok())
        .filter_map(|b| b["data"]["file"].as_str().map(str::to_owned))
        .collect();
    drop(tx);
    events.sort_by_key(|e| e.seq);
    let mut n = 0;
    for ev in events {
        let index = ev.seq as u64 - 1;
        let body: serde_json::Value = serde_json::from_str(&ev.body)
            .map_err(|e| fail_at(index, format!("not an event: {e}")))?;
        let (Some(file), Some(sha)) = (
            body["data"]["file"].as_str(),
            body["data"]["sha256"].as_str(),
        ) else {
            return Err(fail_at(index, "the segment event names no file or hash"));
        };
        if !crate::recording_files::safe_path(file) {
            return Err(fail_at(
                index,
                format!("the segment event names an unsafe path {file:?}"),
            ));
        }
        if deleted.contains(file) {
            continue; // removed by retention, and the ledger says so
        }
        let bytes = files
            .read(file)
            .await
            .map_err(|e| fail_at(index, format!("recording {e} (deleted?)")))?;
        let got = tokio::task::spawn_blocking(move || hex::encode(Sha256::digest(&bytes)))
            .await
            .map_err(|e| fail(format!("internal: {e}")))?;
        if got != sha {
            return Err(fail_at(
                index,
                format!(
                    "recording {file} does not match the hash sealed in the ledger (the file was altered)"
                ),
            ));
        }
        n += 1;
    }
    Ok(n)
}

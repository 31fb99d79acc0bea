//! The sequencer and the read side of the transparency log.
//!
//! Events are committed by the use cases (dense `seq`, commit order, see `Tx::append_event`); the
//! sequencer, a single task, reads the events past the tree's size, appends them as leaves
//! (`glassroom_ledger::leaf`), writes the new full tiles, entry bundles and the partial tiles of the
//! new size to the blob store (write-once), signs a checkpoint, and only then commits the
//! checkpoint and the tree state in one store transaction. A crash at any point leaves either the
//! old state (the tiles already written are rewritten identically next time: the tree is a pure
//! function of the immutable events) or the new one. Two checkpoints can never disagree: each one
//! extends the stored state it was built from, and the store refuses a second writer at the same
//! size.

pub mod audit;
pub mod keys;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use object_store::path::Path as BlobPath;
use object_store::{ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload};

use glassroom_ledger::note::{self, Note, Signer, Verifier};
use glassroom_ledger::proof::{self, Node};
use glassroom_ledger::receipt::Receipt;
use glassroom_ledger::tiles::{TileId, TileKind, WIDTH};
use glassroom_ledger::tree::Builder;
use glassroom_ledger::{Checkpoint, Hash, hash, leaf};
use glassroom_store::{CheckpointRow, Store};

use crate::{AppError, Clock};

/// Most events folded into one checkpoint (keeps each round short under a backlog).
const MAX_BATCH: i64 = 32_768;
/// Full tiles kept in memory for proofs.
const TILE_CACHE: usize = 4096;

/// How the log is set up.
#[derive(Clone)]
pub struct LedgerConfig {
    /// The checkpoint origin line (and the signing key's name).
    pub origin: String,
    /// How often the sequencer looks for new events (at most 250 ms by contract).
    pub poll: Duration,
    /// Witnesses whose cosignatures are accepted and published.
    pub witnesses: Vec<Verifier>,
}

impl Default for LedgerConfig {
    fn default() -> Self {
        LedgerConfig {
            origin: "glassroom.local/ledger".into(),
            poll: Duration::from_millis(50),
            witnesses: Vec::new(),
        }
    }
}

/// A checkpoint the sequencer signed and stored.
#[derive(Debug, Clone)]
pub struct Sealed {
    pub size: u64,
    pub root: Hash,
    /// The signed note, log signatures only.
    pub note: String,
    pub at_us: i64,
}

impl Sealed {
    fn from_row(r: CheckpointRow) -> Result<Sealed, AppError> {
        let root: Hash = r
            .root
            .try_into()
            .map_err(|_| AppError::Internal("stored checkpoint root is not 32 bytes".into()))?;
        Ok(Sealed {
            size: r.size as u64,
            root,
            note: r.note,
            at_us: r.at_us,
        })
    }
}

/// What the sequencer has done, for `/metrics`.
#[derive(Debug, Default)]
pub struct LedgerStats {
    pub integrated: std::sync::atomic::AtomicU64,
    pub checkpoints: std::sync::atomic::AtomicU64,
    pub failures: std::sync::atomic::AtomicU64,
}

pub struct Ledger {
    store: Arc<dyn Store>,
    blobs: Arc<dyn ObjectStore>,
    clock: Arc<dyn Clock>,
    signers: Vec<Signer>,
    pseudonym_key: [u8; 32],
    config: LedgerConfig,
    builder: tokio::sync::Mutex<Option<Builder>>,
    tiles: Mutex<HashMap<TileId, Arc<Vec<u8>>>>,
    pub stats: LedgerStats,
    wake: tokio::sync::Notify,
    sealed: tokio::sync::watch::Sender<u64>,
}

/// A proof as the API returns it.
#[derive(Debug, Clone)]
pub struct ProofOut {
    pub size: u64,
    pub root: Hash,
    pub hashes: Vec<Hash>,
}

impl Ledger {
    pub fn new(
        store: Arc<dyn Store>,
        blobs: Arc<dyn ObjectStore>,
        clock: Arc<dyn Clock>,
        keys: keys::Keys,
        config: LedgerConfig,
    ) -> Result<Arc<Ledger>, AppError> {
        if keys.signers.iter().any(|s| s.name != config.origin) {
            return Err(AppError::Internal(format!(
                "the log signing key is named {:?} but the configured origin is {:?}; a new origin is a new log (see docs/LEDGER.md, key rotation)",
                keys.signers
                    .first()
                    .map(|s| s.name.clone())
                    .unwrap_or_default(),
                config.origin
            )));
        }
        Ok(Arc::new(Ledger {
            store,
            blobs,
            clock,
            signers: keys.signers,
            pseudonym_key: keys.pseudonym,
            config,
            builder: tokio::sync::Mutex::new(None),
            tiles: Mutex::new(HashMap::new()),
            stats: LedgerStats::default(),
            wake: tokio::sync::Notify::new(),
            sealed: tokio::sync::watch::Sender::new(0),
        }))
    }

    pub fn origin(&self) -> &str {
        &self.config.origin
    }

    /// The verifier key(s) of the log, one per line (two while a key is being rotated).
    pub fn vkeys(&self) -> String {
        self.signers
            .iter()
            .map(|s| format!("{}\n", s.vkey()))
            .collect()
    }

    pub fn verifier(&self) -> Result<Verifier, AppError> {
        self.signers
            .first()
            .map(|s| s.verifier())
            .ok_or_else(|| AppError::Internal("no log signing key".into()))
    }

    /// `hmac-sha256:<hex>` of a private value (see `glassroom_ledger::keyed_hash`).
    pub fn pseudonym(&self, value: &str) -> String {
        glassroom_ledger::keyed_hash(&self.pseudonym_key, value)
    }

    /// The size this process last sealed (0 until the first checkpoint), to wait on.
    pub fn watch_sealed(&self) -> tokio::sync::watch::Receiver<u64> {
        self.sealed.subscribe()
    }

    /// Asks the sequencer to look now rather than at its next tick.
    pub fn poke(&self) {
        self.wake.notify_one();
    }

    /// Runs the sequencer until the returned handle is aborted.
    pub fn spawn(self: &Arc<Self>) -> tokio::task::JoinHandle<()> {
        let me = self.clone();
        tokio::spawn(async move {
            let mut backoff = me.config.poll;
            loop {
                match me.integrate().await {
                    Ok(n) => {
                        backoff = me.config.poll;
                        if n as i64 >= MAX_BATCH {
                            continue; // a backlog: go on at once
                        }
                    }
                    Err(e) => {
                        me.stats
                            .failures
                            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        tracing::error!(error = %e, "ledger: sealing failed; nothing was lost, retrying");
                        backoff = (backoff * 2).min(Duration::from_secs(5));
                    }
                }
                tokio::select! {
                    _ = me.wake.notified() => {}
                    _ = tokio::time::sleep(backoff) => {}
                }
            }
        })
    }

    /// Loads the stored tree state (and the partial bundle's leaves from the events), and makes
    /// sure the blob store holds what the latest checkpoint names.
    async fn load(&self) -> Result<Builder, AppError> {
        let mut tx = self.store.read().await?;
        let (size, state) = tx.ledger_state().await?;
        let w = size % WIDTH as i64;
        let tail = tx.events_after(size - w, w).await?;
        let latest = tx.latest_checkpoint().await?;
        drop(tx);
        let mut leaves = Vec::with_capacity(tail.len());
        for e in &tail {
            leaves.push(encode_leaf(e.seq, &e.body)?);
        }
        let b = Builder::restore(&state, &leaves)
            .map_err(|e| AppError::Internal(format!("stored ledger state: {e}")))?;
        if let Some(cp) = latest {
            let cp = Sealed::from_row(cp)?;
            if cp.size != b.size() || cp.root != b.root() {
                return Err(AppError::Internal(format!(
                    "stored ledger state (size {}) does not match the latest checkpoint (size {})",
                    b.size(),
                    cp.size
                )));
            }
            self.ensure_published(&cp, &b).await?;
        }
        Ok(b)
    }

    /// After a crash or with a fresh blob store: republish what is missing.
    async fn ensure_published(&self, cp: &Sealed, b: &Builder) -> Result<(), AppError> {
        let last0 = TileId {
            kind: TileKind::Hashes(0),
            index: (cp.size - 1) / WIDTH,
            width: match cp.size % WIDTH {
                0 => WIDTH,
                w => w,
            },
        };
        let bundle = TileId {
            kind: TileKind::Entries,
            ..last0
        };
        let have =
            self.blob_exists(&last0.path()).await? && self.blob_exists(&bundle.path()).await?;
        if !have {
            tracing::warn!(
                size = cp.size,
                "ledger: tiles missing from the blob store; republishing from the events"
            );
            self.republish(b.size()).await?;
        }
        self.put_checkpoint(cp).await
    }

    /// Rebuilds every tile from the events and writes what is missing.
    async fn republish(&self, size: u64) -> Result<(), AppError> {
        let mut b = Builder::new();
        let mut after = 0i64;
        while (after as u64) < size {
            let mut tx = self.store.read().await?;
            let limit = MAX_BATCH.min(size as i64 - after);
            let events = tx.events_after(after, limit).await?;
            drop(tx);
            if events.is_empty() {
                break;
            }
            for e in &events {
                b.push(&encode_leaf(e.seq, &e.body)?).map_err(internal)?;
                after = e.seq;
            }
            let writes = b.take_writes();
            // Full tiles, and the partial tiles of the final size; partial tiles of the sizes in
            // between belong to no checkpoint.
            let full_or_final: Vec<_> = writes
                .into_iter()
                .filter(|w| w.id.is_full() || after as u64 == size)
                .collect();
            self.put_tiles(full_or_final).await?;
        }
        Ok(())
    }

    async fn blob_exists(&self, path: &str) -> Result<bool, AppError> {
        match self.blobs.head(&BlobPath::from(path)).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(blob_err(e)),
        }
    }

    /// One round: everything committed since the last checkpoint goes into the tree and a new
    /// checkpoint. Returns how many events it sealed.
    pub async fn integrate(&self) -> Result<usize, AppError> {
        let mut guard = self.builder.lock().await;
        if guard.is_none() {
            *guard = Some(self.load().await?);
        }
        let Some(b) = guard.as_mut() else {
            return Ok(0);
        };
        let result = self.integrate_into(b).await;
        if result.is_err() {
            // The in-memory tree may have moved past what is stored: start again from the store.
            *guard = None;
        }
        result
    }

    async fn integrate_into(&self, b: &mut Builder) -> Result<usize, AppError> {
        let old = b.size();
        let mut tx = self.store.read().await?;
        let events = tx.events_after(old as i64, MAX_BATCH).await?;
        drop(tx);
        if events.is_empty() {
            return Ok(0);
        }
        for e in &events {
            if e.seq as u64 != b.size() + 1 {
                return Err(AppError::Internal(format!(
                    "event numbers are not dense: expected {} after {}, found {}",
                    b.size() + 1,
                    b.size(),
                    e.seq
                )));
            }
            b.push(&encode_leaf(e.seq, &e.body)?).map_err(internal)?;
        }
        self.put_tiles(b.take_writes()).await?;
        let cp = Checkpoint::new(&self.config.origin, b.size(), b.root());
        let note = note::sign(&cp.body(), &self.signers);
        let at_us = crate::time::to_us(self.clock.now());
        let row = CheckpointRow {
            size: b.size() as i64,
            root: cp.root.to_vec(),
            note: note.clone(),
            at_us,
        };
        let mut tx = self.store.write().await?;
        if !tx.advance_ledger(old as i64, &row, &b.state()).await? {
            return Err(AppError::Conflict);
        }
        tx.commit().await?;
        let sealed = Sealed {
            size: b.size(),
            root: cp.root,
            note,
            at_us,
        };
        self.put_checkpoint(&sealed).await?;
        self.sealed.send_replace(sealed.size);
        use std::sync::atomic::Ordering::Relaxed;
        self.stats
            .integrated
            .fetch_add(events.len() as u64, Relaxed);
        self.stats.checkpoints.fetch_add(1, Relaxed);
        Ok(events.len())
    }

    async fn put_tiles(
        &self,
        writes: Vec<glassroom_ledger::tree::TileWrite>,
    ) -> Result<(), AppError> {
        use futures_util::stream::{self, TryStreamExt};
        stream::iter(writes.into_iter().map(Ok::<_, AppError>))
            .try_for_each_concurrent(
                16,
                |w| async move { self.put_once(&w.id.path(), w.bytes).await },
            )
            .await
    }

    /// Write-once: a tile that is already there must be byte for byte what we would write.
    async fn put_once(&self, path: &str, bytes: Vec<u8>) -> Result<(), AppError> {
        let p = BlobPath::from(path);
        let opts = PutOptions {
            mode: PutMode::Create,
            ..Default::default()
        };
        match self
            .blobs
            .put_opts(&p, PutPayload::from(bytes.clone()), opts)
            .await
        {
            Ok(_) => Ok(()),
            Err(object_store::Error::AlreadyExists { .. }) => {
                let there = self
                    .blobs
                    .get(&p)
                    .await
                    .map_err(blob_err)?
                    .bytes()
                    .await
                    .map_err(blob_err)?;
                if there.as_ref() == bytes.as_slice() {
                    Ok(())
                } else {
                    Err(AppError::Internal(format!(
                        "the blob store already holds a different {path}: the published log has been altered"
                    )))
                }
            }
            Err(e) => Err(blob_err(e)),
        }
    }

    async fn put_checkpoint(&self, cp: &Sealed) -> Result<(), AppError> {
        let text = self.checkpoint_text(cp).await?;
        self.blobs
            .put(
                &BlobPath::from("checkpoint"),
                PutPayload::from(text.into_bytes()),
            )
            .await
            .map_err(blob_err)?;
        Ok(())
    }

    // ----- reading -----

    /// The latest stored checkpoint.
    pub async fn latest(&self) -> Result<Option<Sealed>, AppError> {
        let mut tx = self.store.read().await?;
        tx.latest_checkpoint()
            .await?
            .map(Sealed::from_row)
            .transpose()
    }

    /// The latest checkpoint, or 404 when nothing is sealed yet.
    pub async fn require_latest(&self) -> Result<Sealed, AppError> {
        self.latest().await?.ok_or(AppError::NotFound("checkpoint"))
    }

    /// The signed checkpoint with the witnesses' cosignatures appended.
    pub async fn checkpoint_text(&self, cp: &Sealed) -> Result<String, AppError> {
        let mut tx = self.store.read().await?;
        let cosigs = tx.cosignatures(cp.size as i64).await?;
        let mut text = cp.note.clone();
        for l in cosigs {
            text.push_str(&l);
        }
        Ok(text)
    }

    /// A tile or entry bundle as published.
    pub async fn tile(&self, path: &str) -> Result<Option<Bytes>, AppError> {
        match self.blobs.get(&BlobPath::from(path)).await {
            Ok(r) => Ok(Some(r.bytes().await.map_err(blob_err)?)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(blob_err(e)),
        }
    }

    /// The hashes of tile (`level`, `index`) as of tree size `size`.
    async fn tile_hashes(
        &self,
        level: u8,
        index: u64,
        size: u64,
    ) -> Result<Arc<Vec<u8>>, AppError> {
        let count = size >> (8 * level as u32);
        let width = (count - index * WIDTH).min(WIDTH);
        let id = TileId {
            kind: TileKind::Hashes(level),
            index,
            width,
        };
        if let Some(t) = self.tiles.lock().ok().and_then(|m| m.get(&id).cloned()) {
            return Ok(t);
        }
        let bytes = self.tile(&id.path()).await?.ok_or_else(|| {
            AppError::Internal(format!("tile {} is missing from the blob store", id.path()))
        })?;
        if bytes.len() as u64 != width * 32 {
            return Err(AppError::Internal(format!(
                "tile {} has the wrong length",
                id.path()
            )));
        }
        let t = Arc::new(bytes.to_vec());
        if id.is_full()
            && let Ok(mut m) = self.tiles.lock()
        {
            if m.len() >= TILE_CACHE {
                m.clear();
            }
            m.insert(id, t.clone());
        }
        Ok(t)
    }

    /// Hash of a perfect subtree, from the tiles published for `size`.
    async fn node(&self, n: Node, size: u64) -> Result<Hash, AppError> {
        let tl = n.level / 8;
        let r = n.level % 8;
        let first = n.index << r;
        let tile = self.tile_hashes(tl, first / WIDTH, size).await?;
        let off = (first % WIDTH) as usize;
        let count = 1usize << r;
        let hashes = glassroom_ledger::tiles::split_hashes(&tile[off * 32..(off + count) * 32])
            .map_err(internal)?;
        Ok(hash::perfect_root(&hashes))
    }

    async fn resolve(&self, plan: &[Vec<Node>], size: u64) -> Result<Vec<Hash>, AppError> {
        let mut found = HashMap::new();
        for n in proof::plan_nodes(plan) {
            found.insert(n, self.node(n, size).await?);
        }
        proof::assemble(plan, |n| {
            found
                .get(&n)
                .copied()
                .ok_or_else(|| AppError::Internal("proof node not resolved".into()))
        })
    }

    async fn root_at(&self, size: u64, latest: &Sealed) -> Result<Hash, AppError> {
        if size == latest.size {
            return Ok(latest.root);
        }
        let plan = vec![proof::range_nodes(0, size)];
        Ok(self
            .resolve(&plan, latest.size)
            .await?
            .first()
            .copied()
            .unwrap_or_else(hash::empty_root))
    }

    fn out_of_range(field: &str, what: String) -> AppError {
        AppError::invalid(field, "out_of_range", what)
    }

    /// Inclusion proof of leaf `index` in the tree of `size` (default: the latest checkpoint).
    pub async fn inclusion(&self, index: u64, size: Option<u64>) -> Result<ProofOut, AppError> {
        let latest = self.require_latest().await?;
        let size = size.unwrap_or(latest.size);
        if size > latest.size || size == 0 {
            return Err(Self::out_of_range(
                "size",
                format!(
                    "size must be between 1 and the latest checkpoint size {}",
                    latest.size
                ),
            ));
        }
        if index >= size {
            return Err(Self::out_of_range(
                "index",
                format!("index {index} is not in a tree of size {size} (not sealed yet?)"),
            ));
        }
        let plan = proof::inclusion_plan(index, size).map_err(internal)?;
        let hashes = self.resolve(&plan, latest.size).await?;
        let root = self.root_at(size, &latest).await?;
        Ok(ProofOut { size, root, hashes })
    }

    /// Consistency proof between two sizes (default `to`: the latest checkpoint).
    pub async fn consistency(&self, from: u64, to: Option<u64>) -> Result<ProofOut, AppError> {
        let latest = self.require_latest().await?;
        let to = to.unwrap_or(latest.size);
        if to > latest.size {
            return Err(Self::out_of_range(
                "to",
                format!(
                    "to must be at most the latest checkpoint size {}",
                    latest.size
                ),
            ));
        }
        if from == 0 || from > to {
            return Err(Self::out_of_range(
                "from",
                format!("from must be between 1 and {to}"),
            ));
        }
        let plan = proof::consistency_plan(from, to).map_err(internal)?;
        let hashes = self.resolve(&plan, latest.size).await?;
        let root = self.root_at(to, &latest).await?;
        Ok(ProofOut {
            size: to,
            root,
            hashes,
        })
    }

    /// An offline receipt (`c2sp.org/tlog-proof@v1`) for the event `seq`, against the latest
    /// checkpoint with its cosignatures; `extra` carries the event's leaf so the receipt stands
    /// alone.
    pub async fn receipt(&self, seq: u64) -> Result<String, AppError> {
        let latest = self.require_latest().await?;
        let text = self.checkpoint_text(&latest).await?;
        self.receipt_against(seq, &latest, &text).await
    }

    /// A receipt for `seq` against the checkpoint `latest` (whose published text is `text`).
    pub async fn receipt_against(
        &self,
        seq: u64,
        latest: &Sealed,
        text: &str,
    ) -> Result<String, AppError> {
        if seq == 0 || seq > latest.size {
            return Err(Self::out_of_range(
                "seq",
                format!(
                    "event {seq} is not sealed yet (the latest checkpoint covers events 1 to {})",
                    latest.size
                ),
            ));
        }
        let index = seq - 1;
        let plan = proof::inclusion_plan(index, latest.size).map_err(internal)?;
        let hashes = self.resolve(&plan, latest.size).await?;
        let mut tx = self.store.read().await?;
        let ev = tx.events_after(seq as i64 - 1, 1).await?;
        drop(tx);
        let ev = ev
            .into_iter()
            .next()
            .filter(|e| e.seq as u64 == seq)
            .ok_or(AppError::NotFound("event"))?;
        let entry = encode_leaf(ev.seq, &ev.body)?;
        Ok(Receipt {
            extra: Some(entry),
            index,
            proof: hashes,
            checkpoint: text.to_owned(),
        }
        .text())
    }

    /// Accepts a witness's cosignature(s) on a checkpoint this log signed: `text` is the
    /// checkpoint note carrying the witness's signature line(s). Returns the witnesses accepted.
    pub async fn add_cosignatures(&self, text: &str) -> Result<Vec<String>, AppError> {
        let bad = |m: String| AppError::invalid("body", "invalid_cosignature", m);
        let note = Note::parse(text).map_err(|e| bad(e.to_string()))?;
        let cp = Checkpoint::parse_body(&note.body).map_err(|e| bad(e.to_string()))?;
        if cp.origin != self.config.origin {
            return Err(bad(format!(
                "the checkpoint is for origin {:?}, not this log",
                cp.origin
            )));
        }
        let mut tx = self.store.read().await?;
        let stored = tx.checkpoint_at(cp.size as i64).await?;
        drop(tx);
        let stored = stored.ok_or_else(|| {
            bad(format!(
                "this log never signed a checkpoint of size {}",
                cp.size
            ))
        })?;
        let stored = Sealed::from_row(stored)?;
        let stored_note = Note::parse(&stored.note).map_err(internal)?;
        if stored_note.body != note.body {
            return Err(bad(
                "the checkpoint body differs from the one this log signed at that size".into(),
            ));
        }
        let mut accepted = Vec::new();
        let now = crate::time::to_us(self.clock.now());
        let mut tx = self.store.write().await?;
        for w in &self.config.witnesses {
            if note.verified_by(w).is_some()
                && let Some(line) = note.sigs.iter().find(|s| s.name == w.name && s.id == w.id)
            {
                tx.upsert_cosignature(cp.size as i64, &w.name, &line.line(), now)
                    .await?;
                accepted.push(w.name.clone());
            }
        }
        if accepted.is_empty() {
            return Err(bad(
                "no valid cosignature by a witness this log knows".into()
            ));
        }
        tx.commit().await?;
        if let Some(latest) = self.latest().await?
            && latest.size == stored.size
        {
            self.put_checkpoint(&latest).await?;
        }
        Ok(accepted)
    }
}

/// The leaf for an event (`glassroom_ledger::leaf`, version 1).
pub fn encode_leaf(seq: i64, body: &str) -> Result<Vec<u8>, AppError> {
    leaf::encode(seq as u64, body.as_bytes()).map_err(internal)
}

fn internal(e: impl std::fmt::Display) -> AppError {
    AppError::Internal(e.to_string())
}

/// Blob-store failures are the operator's to fix (full disk, permissions, S3 down): reported as
/// unavailable, with the store's own message.
fn blob_err(e: object_store::Error) -> AppError {
    AppError::Unavailable(format!("blob store: {e}"))
}

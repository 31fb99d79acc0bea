//! Evidence bundles: one tar archive with a meeting's sealed events and recording segments, an
//! offline receipt (`c2sp.org/tlog-proof@v1`, the leaf travelling in `extra`) for each event, the
//! signed checkpoint they are proved against, the log's verifier key and a manifest. `glassroom
//! verify --bundle FILE` checks it with nothing but the file (and, better, a pinned key).
//!
//! Layout: `manifest.json`, `checkpoint`, `vkey`, `meeting.json`, `proofs/<seq>.tlog-proof`,
//! `segments/<input>/<file>`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};

use glassroom_ledger::note::{Note, Verifier};
use glassroom_ledger::receipt::Receipt;
use glassroom_ledger::{Checkpoint, leaf};

use crate::auth::Actor;
use crate::time::to_us;
use crate::{App, AppError, events};

#[derive(Debug, Serialize, Deserialize)]
pub struct Manifest {
    pub version: u32,
    pub meeting: i64,
    pub origin: String,
    pub checkpoint_size: u64,
    pub exported_by: String,
    pub purpose: String,
    /// Event sequence numbers with a receipt under `proofs/`.
    pub events: Vec<u64>,
    pub segments: Vec<ManifestSegment>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct ManifestSegment {
    /// Path in the bundle.
    pub path: String,
    pub sha256: String,
    pub size: u64,
    /// The `recording.segment_sealed` event that names it.
    pub event: u64,
}

fn tar_add(b: &mut tar::Builder<Vec<u8>>, path: &str, bytes: &[u8]) -> Result<(), AppError> {
    let mut h = tar::Header::new_gnu();
    h.set_size(bytes.len() as u64);
    h.set_mode(0o644);
    h.set_mtime(0);
    h.set_cksum();
    b.append_data(&mut h, path, bytes)
        .map_err(|e| AppError::Internal(format!("building the bundle: {e}")))
}

impl App {
    /// Exports a meeting's evidence for a compliance officer or auditor after a stated purpose
    /// (the export is a ledger event, committed first).
    pub async fn export_evidence(
        &self,
        actor: &Actor,
        meeting: i64,
        purpose: &str,
    ) -> Result<Vec<u8>, AppError> {
        let ledger = self
            .ledger
            .clone()
            .ok_or_else(|| AppError::Unavailable("this server runs no transparency log".into()))?;
        // The same checks and interval as opening the recordings; it records the access.
        let opened = self.open_recordings(actor, meeting, purpose).await?;
        let files = self.recording_files();
        // (open_recordings checked the role and recorded the access.)
        let mut tx = self.store.read().await?;
        let mut seqs: Vec<u64> = tx
            .events_of(&format!("meeting:{meeting}"))
            .await?
            .iter()
            .map(|e| e.seq as u64)
            .collect();
        // Each segment's sealing event, found by hash among its input's events (read once per
        // input).
        let mut by_input: BTreeMap<i64, Vec<&crate::playback::SegmentView>> = BTreeMap::new();
        for s in &opened.segments {
            by_input.entry(s.input_id).or_default().push(s);
        }
        let mut segment_events = BTreeMap::new();
        for (input, segs) in by_input {
            let sealed_in: BTreeMap<String, u64> = tx
                .events_of(&format!("input:{input}"))
                .await?
                .into_iter()
                .filter(|e| e.kind.starts_with("recording.segment_"))
                .filter_map(|e| {
                    let body: serde_json::Value = serde_json::from_str(&e.body).ok()?;
                    Some((body["data"]["sha256"].as_str()?.to_owned(), e.seq as u64))
                })
                .collect();
            for s in segs {
                if let Some(seq) = sealed_in.get(&s.sha256) {
                    segment_events.insert(s.id, *seq);
                    seqs.push(*seq);
                }
            }
        }
        drop(tx);
        let view = self.get_meeting(Some(actor), meeting).await?;
        // Every event must be sealed: wait (briefly) for the sequencer to cover the newest.
        let newest = seqs.iter().copied().max().unwrap_or(0);
        let mut sealed = ledger.require_latest().await?;
        for _ in 0..100 {
            if sealed.size >= newest {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            sealed = ledger.require_latest().await?;
        }
        seqs.retain(|s| *s <= sealed.size);
        seqs.sort_unstable();
        seqs.dedup();
        let checkpoint = ledger.checkpoint_text(&sealed).await?;
        let mut b = tar::Builder::new(Vec::new());
        let mut manifest = Manifest {
            version: 1,
            meeting,
            origin: ledger.origin().to_owned(),
            checkpoint_size: sealed.size,
            exported_by: actor.login.clone(),
            purpose: purpose.trim().to_owned(),
            events: seqs.clone(),
            segments: Vec::new(),
        };
        for seq in &seqs {
            let r = ledger.receipt_against(*seq, &sealed, &checkpoint).await?;
            tar_add(&mut b, &format!("proofs/{seq}.tlog-proof"), r.as_bytes())?;
        }
        for row in &opened.segments {
            let Some(files) = &files else { break };
            let Some(event) = segment_events
                .get(&row.id)
                .copied()
                .filter(|e| *e <= sealed.size)
            else {
                continue;
            };
            let bytes = files
                .read(&row.path)
                .await
                .map_err(|e| AppError::Unavailable(format!("recording {e}")))?;
            let name = std::path::Path::new(&row.path)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let path = format!("segments/{}/{name}", row.input);
            tar_add(&mut b, &path, &bytes)?;
            manifest.segments.push(ManifestSegment {
                path,
                sha256: hex::encode(Sha256::digest(&bytes)),
                size: bytes.len() as u64,
                event,
            });
        }
        let meeting_json = json!({
            "id": view.id, "status": view.status, "subject": view.subject,
            "organisation": view.organisation.code, "room": view.room.as_ref().map(|r| r.code.clone()),
        });
        tar_add(&mut b, "meeting.json", meeting_json.to_string().as_bytes())?;
        tar_add(&mut b, "checkpoint", checkpoint.as_bytes())?;
        tar_add(&mut b, "vkey", ledger.vkeys().as_bytes())?;
        let m_json =
            serde_json::to_vec_pretty(&manifest).map_err(|e| AppError::Internal(e.to_string()))?;
        tar_add(&mut b, "manifest.json", &m_json)?;
        let out = b
            .into_inner()
            .map_err(|e| AppError::Internal(format!("building the bundle: {e}")))?;
        // The export itself is recorded too (after the bundle is built, it is not in it).
        let mut tx = self.store.write().await?;
        events::record(
            &mut *tx,
            self.clock.now(),
            "recording.exported",
            &format!("meeting:{meeting}"),
            Some(actor),
            json!({"access": opened.access, "events": seqs.len(), "segments": manifest.segments.len(), "sha256": hex::encode(Sha256::digest(&out)), "at": to_us(self.clock.now())}),
        )
        .await?;
        tx.commit().await?;
        Ok(out)
    }
}

/// What a bundle proved.
#[derive(Debug)]
pub struct BundleReport {
    pub meeting: i64,
    pub checkpoint: Checkpoint,
    pub events: usize,
    pub segments: usize,
    /// The key came from the bundle itself (nothing pinned).
    pub key_from_bundle: bool,
}

/// Checks a bundle offline. `pinned`: the log's verifier key as the auditor knows it.
pub fn verify_bundle(bytes: &[u8], pinned: Option<&str>) -> Result<BundleReport, String> {
    let mut files: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let mut ar = tar::Archive::new(bytes);
    for e in ar
        .entries()
        .map_err(|e| format!("not a bundle (tar): {e}"))?
    {
        let mut e = e.map_err(|e| format!("not a bundle (tar): {e}"))?;
        let path = e
            .path()
            .map_err(|e| format!("bad entry: {e}"))?
            .to_string_lossy()
            .into_owned();
        let mut v = Vec::new();
        std::io::Read::read_to_end(&mut e, &mut v).map_err(|e| format!("{path}: {e}"))?;
        files.insert(path, v);
    }
    let get = |p: &str| files.get(p).ok_or_else(|| format!("the bundle has no {p}"));
    let manifest: Manifest =
        serde_json::from_slice(get("manifest.json")?).map_err(|e| format!("manifest.json: {e}"))?;
    let bundled_key = String::from_utf8_lossy(get("vkey")?)
        .lines()
        .next()
        .unwrap_or("")
        .to_owned();
    let key = pinned.unwrap_or(&bundled_key);
    let log = Verifier::parse(key).map_err(|e| format!("log key: {e}"))?;
    let cp_text = String::from_utf8(get("checkpoint")?.clone())
        .map_err(|_| "checkpoint: not UTF-8".to_owned())?;
    let note = Note::parse(&cp_text).map_err(|e| format!("checkpoint: {e}"))?;
    note.require(&log)
        .map_err(|_| format!("checkpoint: no valid signature by {}", log.vkey()))?;
    let cp = Checkpoint::parse_body(&note.body).map_err(|e| format!("checkpoint: {e}"))?;
    if cp.origin != manifest.origin || cp.size != manifest.checkpoint_size {
        return Err("manifest.json disagrees with the checkpoint".into());
    }
    let mut bodies: BTreeMap<u64, serde_json::Value> = BTreeMap::new();
    for seq in &manifest.events {
        let name = format!("proofs/{seq}.tlog-proof");
        let text =
            String::from_utf8(get(&name)?.clone()).map_err(|_| format!("{name}: not UTF-8"))?;
        let r = Receipt::parse(&text).map_err(|e| format!("{name}: {e}"))?;
        if r.checkpoint != cp_text {
            return Err(format!("{name}: proved against another checkpoint"));
        }
        let entry = r
            .extra
            .clone()
            .ok_or_else(|| format!("{name}: carries no leaf"))?;
        r.verify(&log, &entry).map_err(|e| format!("{name}: {e}"))?;
        let l = leaf::decode(&entry).map_err(|e| format!("{name}: {e}"))?;
        if l.seq != *seq || r.index != seq - 1 {
            return Err(format!("{name}: the proof is for another event"));
        }
        let body: serde_json::Value =
            serde_json::from_slice(l.body).map_err(|e| format!("{name}: {e}"))?;
        bodies.insert(*seq, body);
    }
    for s in &manifest.segments {
        let bytes = get(&s.path)?;
        let sha = hex::encode(Sha256::digest(bytes));
        let sealed = bodies
            .get(&s.event)
            .and_then(|b| b["data"]["sha256"].as_str().map(str::to_owned))
            .ok_or_else(|| {
                format!(
                    "{}: its sealing event {} is not in the bundle",
                    s.path, s.event
                )
            })?;
        if sha != sealed {
            return Err(format!(
                "{}: does not match the hash sealed in event {} (the file was altered)",
                s.path, s.event
            ));
        }
    }
    Ok(BundleReport {
        meeting: manifest.meeting,
        checkpoint: cp,
        events: manifest.events.len(),
        segments: manifest.segments.len(),
        key_from_bundle: pinned.is_none(),
    })
}

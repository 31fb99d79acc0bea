//! Opening a meeting's recordings: only compliance officers and auditors of the meeting's
//! organisation, only after stating a purpose, and the opening is a ledger event committed
//! **before** any byte is served. Segments are then served under that grant, for a limited time.

use serde_json::json;

use glassroom_store::{AccessRow, SegmentRow};

use crate::auth::{Actor, Role};
use crate::context::OrgTree;
use crate::time::to_us;
use crate::{App, AppError, events};

/// A segment as the player sees it.
#[derive(Debug, Clone)]
pub struct SegmentView {
    pub id: i64,
    pub input: String,
    pub start_us: i64,
    pub end_us: i64,
    pub size: i64,
    pub sha256: String,
    pub damaged: bool,
    /// Relative to the recordings directory.
    pub path: String,
    pub input_id: i64,
}

/// What opening a meeting's recordings gives: the grant and the segments of the meeting interval.
#[derive(Debug, Clone)]
pub struct Opened {
    pub access: i64,
    pub meeting: i64,
    pub from_us: i64,
    pub to_us: i64,
    pub segments: Vec<SegmentView>,
}

impl App {
    /// States `purpose` and opens the recordings of `meeting` for `actor`.
    pub async fn open_recordings(
        &self,
        actor: &Actor,
        meeting: i64,
        purpose: &str,
    ) -> Result<Opened, AppError> {
        let now = self.clock.now();
        let purpose = purpose.trim();
        if purpose.chars().count() < self.config.min_justification_chars {
            return Err(AppError::invalid(
                "purpose",
                "too_short",
                format!(
                    "state the purpose in at least {} characters",
                    self.config.min_justification_chars
                ),
            ));
        }
        if purpose.chars().count() > 2000 {
            return Err(AppError::invalid(
                "purpose",
                "too_long",
                "at most 2000 characters",
            ));
        }
        let mut tx = self.store.write().await?;
        let tree = OrgTree::load(&mut *tx).await?;
        let m = tx
            .meeting(meeting)
            .await?
            .ok_or(AppError::NotFound("meeting"))?;
        if !(actor.has_role_for(Role::Compliance, m.org_id, &tree)
            || actor.has_role_for(Role::Auditor, m.org_id, &tree))
        {
            return Err(AppError::Forbidden);
        }
        let (Some(room), Some(from)) = (m.room_id, m.actual_start_us.or(m.start_us)) else {
            return Err(AppError::NotFound("recording"));
        };
        let to = match (m.actual_start_us, m.actual_end_us) {
            (Some(_), Some(end)) => end,
            (Some(_), None) => to_us(now),
            _ => m.end_us.unwrap_or(from),
        };
        let mut segments = Vec::new();
        for input in tx.inputs_of(room).await? {
            for s in tx.segments_of(input.id, from, to).await? {
                segments.push(view(&input.code, s));
            }
        }
        let access = tx
            .insert_access(&AccessRow {
                id: 0,
                account_id: actor.account_id,
                meeting_id: m.id,
                purpose: purpose.to_owned(),
                at_us: to_us(now),
            })
            .await?;
        events::record(
            &mut *tx,
            now,
            "recording.accessed",
            &format!("meeting:{}", m.id),
            Some(actor),
            json!({"access": access, "purpose": purpose, "segments": segments.iter().map(|s| s.id).collect::<Vec<_>>()}),
        )
        .await?;
        // Committed (and so on its way into the ledger) before anything is served.
        tx.commit().await?;
        Ok(Opened {
            access,
            meeting: m.id,
            from_us: from,
            to_us: to,
            segments,
        })
    }

    /// A segment under a grant: the grant must be the actor's, still valid, and the segment one of
    /// the meeting's. Returns the segment and its stored bytes.
    pub async fn recording_segment(
        &self,
        actor: &Actor,
        access: i64,
        segment: i64,
    ) -> Result<(SegmentView, bytes::Bytes), AppError> {
        let files = self
            .recording_files()
            .ok_or(AppError::NotFound("recording"))?;
        let mut tx = self.store.read().await?;
        let grant = tx
            .access(access)
            .await?
            .ok_or(AppError::NotFound("access"))?;
        if grant.account_id != actor.account_id {
            return Err(AppError::Forbidden);
        }
        let age_us = to_us(self.clock.now()) - grant.at_us;
        if age_us > self.config.access_hours * 3_600_000_000 {
            return Err(AppError::invalid(
                "access",
                "expired",
                "this access has expired; state the purpose again",
            ));
        }
        let m = tx
            .meeting(grant.meeting_id)
            .await?
            .ok_or(AppError::NotFound("meeting"))?;
        let s = tx
            .segment(segment)
            .await?
            .ok_or(AppError::NotFound("segment"))?;
        let input = tx
            .inputs()
            .await?
            .into_iter()
            .find(|i| i.id == s.input_id)
            .ok_or(AppError::NotFound("segment"))?;
        let from = m.actual_start_us.or(m.start_us).unwrap_or(i64::MAX);
        let to = m.actual_end_us.unwrap_or(i64::MAX);
        if Some(input.room_id) != m.room_id || s.end_us <= from || s.start_us >= to {
            return Err(AppError::NotFound("segment"));
        }
        // The stored path is relative and was written by the recorder; refuse anything else.
        if !crate::recording_files::safe_path(&s.path) {
            return Err(AppError::Internal(format!(
                "segment {} has an unsafe path",
                s.id
            )));
        }
        drop(tx);
        let bytes = files
            .read(&s.path)
            .await
            .map_err(|e| AppError::Unavailable(format!("recording {e}")))?;
        Ok((view(&input.code, s), bytes))
    }
}

fn view(input: &str, s: SegmentRow) -> SegmentView {
    SegmentView {
        id: s.id,
        input: input.to_owned(),
        start_us: s.start_us,
        end_us: s.end_us,
        size: s.size,
        sha256: s.sha256,
        damaged: s.damaged,
        path: s.path,
        input_id: s.input_id,
    }
}

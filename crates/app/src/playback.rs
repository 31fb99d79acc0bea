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
    /// Per input, the parts of the interval no sealed (undamaged) segment covers: the player's
    /// timeline shows them.
    pub gaps: Vec<GapView>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GapView {
    pub input: String,
    pub from_us: i64,
    pub to_us: i64,
}

/// The parts of `[from, to)` that `segments` (undamaged) leave uncovered.
fn gaps_of(input: &str, from: i64, to: i64, segments: &[SegmentRow]) -> Vec<GapView> {
    use glassroom_domain::Interval;
    let Ok(whole) = Interval::new(crate::time::from_us(from), crate::time::from_us(to)) else {
        return Vec::new();
    };
    let covered: Vec<Interval> = segments
        .iter()
        .filter(|s| !s.damaged)
        .filter_map(|s| {
            Interval::new(
                crate::time::from_us(s.start_us),
                crate::time::from_us(s.end_us),
            )
            .ok()
        })
        .collect();
    whole
        .subtract_all(&covered)
        .into_iter()
        .map(|g| GapView {
            input: input.to_owned(),
            from_us: to_us(g.start()),
            to_us: to_us(g.end()),
        })
        .collect()
}

/// The init section (`ftyp` + `moov`) length of a fragmented MP4: where the first `moof` starts.
fn init_len(head: &[u8]) -> Option<u64> {
    let mut i = 0usize;
    while i + 8 <= head.len() {
        let size = u32::from_be_bytes([head[i], head[i + 1], head[i + 2], head[i + 3]]) as usize;
        if &head[i + 4..i + 8] == b"moof" {
            return Some(i as u64);
        }
        if size < 8 {
            return None;
        }
        i += size;
    }
    None
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
        let mut gaps = Vec::new();
        for input in tx.inputs_of(room).await? {
            let rows = tx.segments_of(input.id, from, to).await?;
            gaps.extend(gaps_of(&input.code, from, to, &rows));
            for s in rows {
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
            gaps,
        })
    }

    /// An HLS playlist (RFC 8216, fMP4 segments addressed by byte range: each sealed file is its
    /// own init section and fragments) of one input's segments under a grant, for players such
    /// as VLC, ffplay or hls.js; a discontinuity marks every gap.
    pub async fn recording_playlist(
        &self,
        actor: &Actor,
        access: i64,
        input_code: &str,
    ) -> Result<String, AppError> {
        use std::fmt::Write;
        let files = self
            .recording_files()
            .ok_or(AppError::NotFound("recording"))?;
        let mut tx = self.store.read().await?;
        let (m, from, to) = self.grant(&mut *tx, actor, access).await?;
        let room = m.room_id.ok_or(AppError::NotFound("recording"))?;
        let input = tx
            .inputs_of(room)
            .await?
            .into_iter()
            .find(|i| i.code == input_code)
            .ok_or(AppError::NotFound("input"))?;
        let rows: Vec<SegmentRow> = tx
            .segments_of(input.id, from, to)
            .await?
            .into_iter()
            .filter(|s| !s.damaged && crate::recording_files::safe_path(&s.path))
            .collect();
        drop(tx);
        let longest = rows
            .iter()
            .map(|s| (s.end_us - s.start_us).max(0))
            .max()
            .unwrap_or(0);
        let mut out = String::from("#EXTM3U\n#EXT-X-VERSION:7\n");
        let _ = writeln!(
            out,
            "#EXT-X-TARGETDURATION:{}",
            (longest + 999_999) / 1_000_000
        );
        out.push_str(
            "#EXT-X-PLAYLIST-TYPE:VOD\n#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-INDEPENDENT-SEGMENTS\n",
        );
        let mut prev_end: Option<i64> = None;
        for s in &rows {
            let head = files
                .read_prefix(&s.path, 64 * 1024)
                .await
                .map_err(|e| AppError::Unavailable(format!("recording {e}")))?;
            let Some(init) = init_len(&head) else {
                continue; // no fragment: nothing to play
            };
            if prev_end.is_some_and(|e| s.start_us - e > 500_000) {
                out.push_str("#EXT-X-DISCONTINUITY\n");
            }
            prev_end = Some(s.end_us);
            let uri = format!("../../segments/{}.mp4", s.id);
            let _ = writeln!(
                out,
                "#EXT-X-PROGRAM-DATE-TIME:{}",
                crate::time::from_us(s.start_us)
            );
            let _ = writeln!(out, "#EXT-X-MAP:URI=\"{uri}\",BYTERANGE=\"{init}@0\"");
            let _ = writeln!(
                out,
                "#EXTINF:{:.3},",
                (s.end_us - s.start_us).max(0) as f64 / 1e6
            );
            let _ = writeln!(
                out,
                "#EXT-X-BYTERANGE:{}@{init}",
                (s.size as u64).saturating_sub(init)
            );
            let _ = writeln!(out, "{uri}");
        }
        out.push_str("#EXT-X-ENDLIST\n");
        Ok(out)
    }

    /// The meeting and interval a grant opens, if it is the actor's and still valid.
    async fn grant(
        &self,
        tx: &mut dyn glassroom_store::Tx,
        actor: &Actor,
        access: i64,
    ) -> Result<(glassroom_store::MeetingRow, i64, i64), AppError> {
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
        let from = m.actual_start_us.or(m.start_us).unwrap_or(i64::MAX);
        let to = m.actual_end_us.unwrap_or(i64::MAX);
        Ok((m, from, to))
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
        let (m, from, to) = self.grant(&mut *tx, actor, access).await?;
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

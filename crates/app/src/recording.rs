//! The input-status port: what the rules know about a room's cameras and microphones. The recorder
//! will implement it from live streams and sealed segments; until then [`AdminSetStatus`] answers
//! from the states an administrator sets (and their history).

use async_trait::async_trait;

use glassroom_domain::rules::{InputCoverage, InputFacts, InputState, RoomFacts};
use glassroom_domain::{InputId, Interval};
use glassroom_store::Tx;

use crate::AppError;
use crate::context::Directory;
use crate::time::{from_us, to_us};

#[async_trait]
pub trait RecordingPort: Send + Sync + 'static {
    /// The room's designation and each input's current state.
    async fn room_facts(
        &self,
        tx: &mut dyn Tx,
        dir: &Directory,
        room_id: i64,
    ) -> Result<RoomFacts, AppError>;
    /// Per input, the share of `interval` covered by recording, and the gaps.
    async fn coverage(
        &self,
        tx: &mut dyn Tx,
        room_id: i64,
        interval: Interval,
    ) -> Result<Vec<InputCoverage>, AppError>;
}

/// The share of `interval` that `recorded` covers, and the gaps.
fn coverage_of(input: i64, interval: Interval, recorded: &[Interval]) -> InputCoverage {
    let covered = interval.covered_by(recorded);
    InputCoverage {
        input: InputId(input),
        share: covered.as_secs_f64() / interval.duration().as_secs_f64(),
        gaps: interval.subtract_all(recorded),
    }
}

/// Input states as set by administrators (`PUT /api/v1/inputs/{id}/state`), with their history.
pub struct AdminSetStatus;

#[async_trait]
impl RecordingPort for AdminSetStatus {
    async fn room_facts(
        &self,
        tx: &mut dyn Tx,
        dir: &Directory,
        room_id: i64,
    ) -> Result<RoomFacts, AppError> {
        let room = dir.rooms.get(&room_id).ok_or(AppError::NotFound("room"))?;
        let inputs = tx
            .inputs_of(room_id)
            .await?
            .into_iter()
            .map(|i| InputFacts {
                id: InputId(i.id),
                video: i.video,
                audio: i.audio,
                state: InputState::parse(&i.state).unwrap_or(InputState::Offline),
            })
            .collect();
        Ok(RoomFacts {
            designated: room.designated,
            inputs,
        })
    }

    async fn coverage(
        &self,
        tx: &mut dyn Tx,
        room_id: i64,
        interval: Interval,
    ) -> Result<Vec<InputCoverage>, AppError> {
        let mut out = Vec::new();
        for input in tx.inputs_of(room_id).await? {
            let log = tx
                .input_state_log(input.id, to_us(interval.start()), to_us(interval.end()))
                .await?;
            // Turn the state history into the intervals during which the input was recording.
            let mut recording = Vec::new();
            let mut since: Option<i64> = None;
            for entry in &log {
                match (entry.state == "recording", since) {
                    (true, None) => since = Some(entry.at_us),
                    (false, Some(s)) => {
                        if let Ok(iv) = Interval::new(from_us(s), from_us(entry.at_us)) {
                            recording.push(iv);
                        }
                        since = None;
                    }
                    _ => {}
                }
            }
            if let Some(s) = since
                && let Ok(iv) = Interval::new(from_us(s), interval.end())
            {
                recording.push(iv);
            }
            out.push(coverage_of(input.id, interval, &recording));
        }
        Ok(out)
    }
}

/// The recorder's answer: input states as the recorder reports them, and coverage from the
/// **sealed segments** (damaged ones recovered after a crash do not count), plus the segment
/// being written right now when the input is recording (it is sealed within one segment length).
pub struct SealedSegments;

#[async_trait]
impl RecordingPort for SealedSegments {
    async fn room_facts(
        &self,
        tx: &mut dyn Tx,
        dir: &Directory,
        room_id: i64,
    ) -> Result<RoomFacts, AppError> {
        AdminSetStatus.room_facts(tx, dir, room_id).await
    }

    async fn coverage(
        &self,
        tx: &mut dyn Tx,
        room_id: i64,
        interval: Interval,
    ) -> Result<Vec<InputCoverage>, AppError> {
        let mut out = Vec::new();
        for input in tx.inputs_of(room_id).await? {
            let segments = tx
                .segments_of(input.id, to_us(interval.start()), to_us(interval.end()))
                .await?;
            let mut recorded: Vec<Interval> = segments
                .iter()
                .filter(|s| !s.damaged)
                .filter_map(|s| Interval::new(from_us(s.start_us), from_us(s.end_us)).ok())
                .collect();
            if input.state == "recording" {
                let last_end = tx
                    .last_segment(input.id)
                    .await?
                    .map(|s| s.end_us)
                    .unwrap_or(i64::MIN);
                let open_from = last_end.max(input.state_since_us);
                if let Ok(iv) = Interval::new(from_us(open_from), interval.end()) {
                    recorded.push(iv);
                }
            }
            out.push(coverage_of(input.id, interval, &recorded));
        }
        Ok(out)
    }
}

//! The recorder service: one capture task per camera input (`glassroom_recorder`), whose sealed
//! segments, gaps and state changes become stored rows and ledger events.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use serde_json::json;

use glassroom_recorder::capture::{self, InputConfig};
use glassroom_recorder::{Gap, InputState, Sealed, Sink};
pub use glassroom_recorder::{Health, HealthBoard, InputState as LiveState};
use glassroom_store::SegmentRow;

use crate::time::to_us;
use crate::{App, AppError, events};

#[derive(Debug, Clone)]
pub struct RecorderConfig {
    /// Where segments are written: `<dir>/<room>/<input>/…`.
    pub dir: PathBuf,
    pub segment: Duration,
    pub frame_timeout: Duration,
    /// When to write segments; `None` records every input always.
    pub schedule: Option<Schedule>,
}

impl RecorderConfig {
    pub fn new(dir: &Path) -> Self {
        RecorderConfig {
            dir: dir.to_owned(),
            segment: Duration::from_secs(10),
            frame_timeout: Duration::from_secs(5),
            schedule: Some(Schedule::default()),
        }
    }
}

/// When rooms record: designated rooms during their organisation's working time, and every room
/// for each meeting booked in it, from `lead_in` before its scheduled start to `lead_out` after
/// its scheduled end (and for as long as it is in progress, when it overruns).
#[derive(Debug, Clone)]
pub struct Schedule {
    pub working_time: bool,
    pub lead_in: Duration,
    pub lead_out: Duration,
    /// How often the schedule is looked at.
    pub tick: Duration,
}

impl Default for Schedule {
    fn default() -> Self {
        Schedule {
            working_time: true,
            lead_in: Duration::from_secs(15 * 60),
            lead_out: Duration::from_secs(15 * 60),
            tick: Duration::from_secs(1),
        }
    }
}

impl App {
    /// The rooms that should be recording now under `schedule`.
    pub async fn rooms_to_record(
        &self,
        schedule: &Schedule,
    ) -> Result<std::collections::HashSet<i64>, AppError> {
        let now = self.clock.now();
        let span = |d: Duration| jiff::SignedDuration::try_from(d).unwrap_or_default();
        let from = now - span(schedule.lead_out);
        let to = now + span(schedule.lead_in);
        let longest = jiff::SignedDuration::from_mins(self.config.max_meeting_minutes);
        let mut tx = self.store.read().await?;
        let mut rooms: std::collections::HashSet<i64> = tx
            .rooms_in_use(to_us(from), to_us(to), to_us(from - longest))
            .await?
            .into_iter()
            .collect();
        if schedule.working_time {
            let dir = self.directory(&mut *tx).await?;
            for room in dir.rooms.values().filter(|r| r.designated) {
                let calendar = dir.calendar(room.org_id)?;
                let today = calendar.time_zone().to_datetime(now).date();
                if calendar
                    .working_periods(today)
                    .iter()
                    .any(|p| p.start() <= now && now < p.end())
                {
                    rooms.insert(room.id);
                }
            }
        }
        Ok(rooms)
    }
}

/// The running capture tasks.
pub struct Recorder {
    stop: tokio::sync::watch::Sender<bool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    health: Arc<glassroom_recorder::HealthBoard>,
}

struct AppSink {
    app: App,
    base: PathBuf,
    names: HashMap<i64, (String, String)>,
}

fn ts(t: SystemTime) -> jiff::Timestamp {
    jiff::Timestamp::try_from(t).unwrap_or(jiff::Timestamp::UNIX_EPOCH)
}

impl AppSink {
    async fn store_sealed(&self, input: i64, s: &Sealed) -> Result<(), AppError> {
        let rel = s
            .path
            .strip_prefix(&self.base)
            .unwrap_or(&s.path)
            .to_string_lossy()
            .into_owned();
        let (room, code) = self.names.get(&input).cloned().unwrap_or_default();
        // With an object store, the segment is uploaded (and its size checked) before the
        // ledger names it.
        let blobs = match self.app.recording_files() {
            Some(f @ crate::recording_files::RecordingFiles::Blobs(_)) => Some(f),
            _ => None,
        };
        if let Some(f) = &blobs {
            f.upload(&rel, &s.path)
                .await
                .map_err(AppError::Unavailable)?;
        }
        let mut tx = self.app.store.write().await?;
        tx.insert_segment(&SegmentRow {
            id: 0,
            input_id: input,
            start_us: to_us(ts(s.start)),
            end_us: to_us(ts(s.end)),
            path: rel.clone(),
            size: s.size as i64,
            sha256: s.sha256.clone(),
            prev_sha256: s.prev_sha256.clone(),
            damaged: s.damaged,
            video_frames: s.video_frames as i64,
            audio_frames: s.audio_frames as i64,
            lost_packets: s.lost_packets as i64,
            deleted_us: None,
        })
        .await?;
        events::record(
            &mut *tx,
            self.app.clock.now(),
            if s.damaged { "recording.segment_recovered" } else { "recording.segment_sealed" },
            &format!("input:{input}"),
            None,
            json!({
                "room": room, "input": code, "file": rel,
                "start": ts(s.start).to_string(), "end": ts(s.end).to_string(),
                "size": s.size, "sha256": s.sha256, "prev_sha256": s.prev_sha256,
                "damaged": s.damaged, "video_frames": s.video_frames, "audio_frames": s.audio_frames,
                "lost_packets": s.lost_packets,
            }),
        )
        .await?;
        tx.commit().await?;
        if blobs.is_some()
            && let Err(e) = tokio::fs::remove_file(&s.path).await
        {
            tracing::warn!(file = %s.path.display(), error = %e, "recorder: the uploaded segment's local copy could not be removed");
        }
        Ok(())
    }
}

#[async_trait::async_trait]
impl Sink for AppSink {
    async fn sealed(&self, input: i64, segment: Sealed) {
        // The file is already fsynced; the row and the event must not be lost either.
        let mut wait = Duration::from_millis(100);
        while let Err(e) = self.store_sealed(input, &segment).await {
            tracing::error!(input, error = %e, file = %segment.path.display(), "recorder: storing a sealed segment failed; retrying");
            tokio::time::sleep(wait).await;
            wait = (wait * 2).min(Duration::from_secs(5));
        }
    }

    async fn gap(&self, input: i64, gap: Gap) {
        let (room, code) = self.names.get(&input).cloned().unwrap_or_default();
        let result = async {
            let mut tx = self.app.store.write().await?;
            events::record(
                &mut *tx,
                self.app.clock.now(),
                "recording.gap",
                &format!("input:{input}"),
                None,
                json!({"room": room, "input": code, "from": ts(gap.from).to_string(), "to": ts(gap.to).to_string(), "reason": gap.reason}),
            )
            .await?;
            tx.commit().await?;
            Ok::<_, AppError>(())
        }
        .await;
        if let Err(e) = result {
            tracing::error!(input, error = %e, "recorder: storing a gap failed");
        }
    }

    async fn state(&self, input: i64, state: InputState, detail: &str) {
        if let Err(e) = self
            .app
            .recorder_input_state(input, state.code(), detail)
            .await
        {
            tracing::error!(input, error = %e, "recorder: storing an input state failed");
        }
    }
}

impl Recorder {
    /// Starts capturing every input whose URL is `rtsp://…` (a camera) or `file://…` (a clip
    /// replayed in a loop).
    pub async fn start(app: &App, cfg: RecorderConfig) -> Result<Recorder, AppError> {
        let mut tx = app.store.read().await?;
        let rooms: HashMap<i64, String> = tx
            .rooms()
            .await?
            .into_iter()
            .map(|r| (r.id, r.code))
            .collect();
        let inputs: Vec<_> = tx
            .inputs()
            .await?
            .into_iter()
            .filter(|i| i.url.starts_with("rtsp://") || i.url.starts_with("file://"))
            .collect();
        let mut prev = HashMap::new();
        for i in &inputs {
            prev.insert(i.id, tx.last_segment(i.id).await?.map(|s| s.sha256));
        }
        drop(tx);
        let names = inputs
            .iter()
            .map(|i| {
                (
                    i.id,
                    (
                        rooms.get(&i.room_id).cloned().unwrap_or_default(),
                        i.code.clone(),
                    ),
                )
            })
            .collect();
        let sink: Arc<dyn Sink> = Arc::new(AppSink {
            app: app.clone(),
            base: cfg.dir.clone(),
            names,
        });
        let clock = app.clock.clone();
        let now: capture::Now = Arc::new(move || {
            let us = to_us(clock.now());
            if us >= 0 {
                SystemTime::UNIX_EPOCH + Duration::from_micros(us as u64)
            } else {
                SystemTime::UNIX_EPOCH
            }
        });
        let (stop, rx) = tokio::sync::watch::channel(false);
        let health = Arc::new(glassroom_recorder::HealthBoard::default());
        let mut tasks = Vec::new();
        // One switch per room, turned by the schedule.
        let mut switches: HashMap<i64, tokio::sync::watch::Sender<bool>> = HashMap::new();
        if let Some(schedule) = &cfg.schedule {
            let now_on = app.rooms_to_record(schedule).await?;
            for i in &inputs {
                switches
                    .entry(i.room_id)
                    .or_insert_with(|| tokio::sync::watch::channel(now_on.contains(&i.room_id)).0);
            }
            let switches = switches.clone();
            let (app, schedule, mut stopped) = (app.clone(), schedule.clone(), rx.clone());
            tasks.push(tokio::spawn(async move {
                loop {
                    tokio::select! {
                        _ = stopped.changed() => break,
                        _ = tokio::time::sleep(schedule.tick) => {}
                    }
                    match app.rooms_to_record(&schedule).await {
                        Ok(on) => {
                            for (room, switch) in &switches {
                                let want = on.contains(room);
                                switch.send_if_modified(|v| std::mem::replace(v, want) != want);
                            }
                        }
                        Err(e) => {
                            // Unknown: keep recording what records (never stop on an error).
                            tracing::warn!(error = %e, "recorder: reading the recording schedule failed")
                        }
                    }
                }
            }));
        }
        // With an object store the local directory is only a spool: a sealed file still there was
        // not recorded before a crash (or the upload never succeeded). Upload and record it now.
        if matches!(
            app.recording_files(),
            Some(crate::recording_files::RecordingFiles::Blobs(_))
        ) {
            for i in &inputs {
                let room = rooms.get(&i.room_id).cloned().unwrap_or_default();
                let dir = cfg.dir.join(&room).join(&i.code);
                let (app, sink, base, id) = (app.clone(), sink.clone(), cfg.dir.clone(), i.id);
                tasks.push(tokio::spawn(async move {
                    if let Err(e) = resume_spool(&app, &*sink, &base, &dir, id).await {
                        tracing::error!(input = id, error = %e, "recorder: resuming the spool failed");
                    }
                }));
            }
        }
        for i in inputs {
            let room = rooms
                .get(&i.room_id)
                .cloned()
                .unwrap_or_else(|| i.room_id.to_string());
            let mut c = InputConfig::new(i.id, &i.url, cfg.dir.join(&room).join(&i.code), &i.code);
            c.segment = cfg.segment;
            c.frame_timeout = cfg.frame_timeout;
            c.prev_sha256 = prev.get(&i.id).cloned().flatten();
            c.health = Some(health.clone());
            c.want = switches.get(&i.room_id).map(|s| s.subscribe());
            c.video = i.video;
            c.audio = i.audio;
            tasks.push(tokio::spawn(capture::run(
                c,
                sink.clone(),
                now.clone(),
                rx.clone(),
            )));
        }
        Ok(Recorder {
            stop,
            tasks,
            health,
        })
    }

    /// Live health of every input being recorded.
    pub fn health(&self) -> Arc<glassroom_recorder::HealthBoard> {
        self.health.clone()
    }

    /// Seals what is open and stops.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        for t in self.tasks {
            let _ = t.await;
        }
    }
}

/// Uploads and records the sealed files left in an input's local spool (see [`Recorder::start`]).
async fn resume_spool(
    app: &App,
    sink: &dyn Sink,
    base: &Path,
    dir: &Path,
    input: i64,
) -> Result<(), AppError> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(());
    };
    let files: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "mp4"))
        .collect();
    for path in files {
        let rel = path
            .strip_prefix(base)
            .unwrap_or(&path)
            .to_string_lossy()
            .into_owned();
        let known = {
            let mut tx = app.store.read().await?;
            tx.segment_by_path(&rel).await?.is_some()
        };
        if known {
            // Recorded (hence uploaded) before the crash; only the local copy was left.
            let _ = tokio::fs::remove_file(&path).await;
            continue;
        }
        let p = path.clone();
        let sealed =
            tokio::task::spawn_blocking(move || glassroom_recorder::segmenter::describe_sealed(&p))
                .await
                .map_err(|e| AppError::Internal(e.to_string()))?
                .map_err(|e| AppError::Unavailable(e.to_string()))?;
        tracing::warn!(input, file = %rel, "recorder: a sealed segment left in the spool is uploaded and recorded now");
        sink.sealed(input, sealed).await;
    }
    Ok(())
}

/// An input's health as the compliance dashboard shows it.
#[derive(Debug, Clone)]
pub struct InputHealth {
    pub input: i64,
    pub room: String,
    pub code: String,
    pub url_scheme: String,
    /// `recording`, `ready`, `reconnecting`, `offline` (as stored).
    pub state: String,
    pub state_since_us: i64,
    pub last_frame_us: Option<i64>,
    pub bitrate: Option<u64>,
    pub frames: Option<u64>,
    pub lost_packets: Option<u64>,
    pub reconnects: Option<u64>,
}

impl App {
    /// Every input of the rooms in the actor's compliance, auditor or admin subtree, with live
    /// figures when this server records it.
    pub async fn input_health(&self, actor: &crate::Actor) -> Result<Vec<InputHealth>, AppError> {
        use crate::Role;
        let mut tx = self.store.read().await?;
        let tree = crate::context::OrgTree::load(&mut *tx).await?;
        let rooms = tx.rooms().await?;
        let inputs = tx.inputs().await?;
        drop(tx);
        let visible: HashMap<i64, String> = rooms
            .into_iter()
            .filter(|r| {
                [Role::Compliance, Role::Auditor, Role::Admin]
                    .into_iter()
                    .any(|role| actor.has_role_for(role, r.org_id, &tree))
            })
            .map(|r| (r.id, r.code))
            .collect();
        if visible.is_empty() {
            return Err(AppError::Forbidden);
        }
        let live: HashMap<i64, glassroom_recorder::Health> = self
            .recorder_health
            .as_ref()
            .map(|b| b.snapshot().into_iter().collect())
            .unwrap_or_default();
        let us = |t: SystemTime| {
            t.duration_since(SystemTime::UNIX_EPOCH)
                .map(|d| d.as_micros() as i64)
                .ok()
        };
        Ok(inputs
            .into_iter()
            .filter_map(|i| {
                let room = visible.get(&i.room_id)?.clone();
                let h = live.get(&i.id);
                Some(InputHealth {
                    input: i.id,
                    room,
                    code: i.code,
                    url_scheme: i.url.split(':').next().unwrap_or("").to_owned(),
                    state: i.state,
                    state_since_us: i.state_since_us,
                    last_frame_us: h.and_then(|h| h.last_frame).and_then(us),
                    bitrate: h.map(|h| h.bitrate),
                    frames: h.map(|h| h.frames),
                    lost_packets: h.map(|h| h.lost_packets),
                    reconnects: h.map(|h| h.reconnects),
                })
            })
            .collect())
    }
}

/// How long recordings are kept: a default, and per organisation (by code).
#[derive(Debug, Clone)]
pub struct Retention {
    pub default_days: i64,
    pub by_organisation: HashMap<String, i64>,
}

impl Default for Retention {
    fn default() -> Self {
        Retention {
            default_days: 365,
            by_organisation: HashMap::new(),
        }
    }
}

/// What a retention sweep did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Swept {
    pub deleted: u64,
    /// Past retention but kept: evidence of an open violation case (legal hold).
    pub held: u64,
}

impl App {
    /// Deletes recordings past their organisation's retention, except those on legal hold (a
    /// segment of a meeting's room during a meeting with an open violation case). Each deletion
    /// is a `recording.deleted` event, committed before the file is removed.
    pub async fn sweep_retention(&self, r: &Retention) -> Result<Swept, AppError> {
        let Some(files) = self.recording_files() else {
            return Ok(Swept::default());
        };
        let now = self.clock.now();
        let now_us = to_us(now);
        let day_us = 86_400_000_000i64;
        let min_days = r
            .by_organisation
            .values()
            .copied()
            .chain([r.default_days])
            .min()
            .unwrap_or(r.default_days);
        let mut tx = self.store.read().await?;
        let aged = tx.aged_segments(now_us - min_days * day_us, 10_000).await?;
        let orgs: HashMap<i64, String> = tx
            .organisations()
            .await?
            .into_iter()
            .map(|o| (o.id, o.code))
            .collect();
        let holds: Vec<(i64, i64, i64)> = tx
            .meetings_with_open_violations()
            .await?
            .into_iter()
            .filter_map(|m| {
                let room = m.room_id?;
                let from = m.actual_start_us.or(m.start_us)?;
                let to = m.actual_end_us.or(m.end_us).unwrap_or(i64::MAX);
                Some((room, from, to))
            })
            .collect();
        drop(tx);
        let mut out = Swept::default();
        for s in aged {
            let days = orgs
                .get(&s.org_id)
                .and_then(|code| r.by_organisation.get(code))
                .copied()
                .unwrap_or(r.default_days);
            if s.end_us >= now_us - days * day_us {
                continue;
            }
            if holds
                .iter()
                .any(|(room, from, to)| *room == s.room_id && s.start_us < *to && s.end_us > *from)
            {
                out.held += 1;
                continue;
            }
            let mut tx = self.store.write().await?;
            tx.mark_segment_deleted(s.id, now_us).await?;
            events::record(
                &mut *tx,
                now,
                "recording.deleted",
                &format!("input:{}", s.input_id),
                None,
                json!({"file": s.path, "sha256": s.sha256, "reason": "retention", "retention_days": days}),
            )
            .await?;
            tx.commit().await?;
            if let Err(e) = files.delete(&s.path).await {
                tracing::error!(file = %s.path, error = %e, "retention: the file could not be removed")
            }
            out.deleted += 1;
        }
        Ok(out)
    }

    /// Sweeps every hour until aborted.
    pub fn spawn_retention(&self, r: Retention) -> tokio::task::JoinHandle<()> {
        let app = self.clone();
        tokio::spawn(async move {
            loop {
                match app.sweep_retention(&r).await {
                    Ok(s) if s.deleted > 0 || s.held > 0 => {
                        tracing::info!(deleted = s.deleted, held = s.held, "retention sweep")
                    }
                    Ok(_) => {}
                    Err(e) => tracing::error!(error = %e, "retention sweep failed"),
                }
                tokio::time::sleep(Duration::from_secs(3600)).await;
            }
        })
    }
}

/// Records a clip into a room's inputs as if their cameras had sent it while a [`ManualClock`]
/// moves through the past: the demo's finished meetings get their recordings through the real
/// segmenter, sealing, rows and ledger events, without waiting for real time to pass.
pub struct PastRecording {
    clock: crate::ManualClock,
    sink: Arc<AppSink>,
    inputs: Vec<PastInput>,
    base: jiff::Timestamp,
}

struct PastInput {
    id: i64,
    seg: glassroom_recorder::segmenter::Segmenter,
    frames: std::iter::Peekable<
        Box<dyn Iterator<Item = (f64, glassroom_recorder::replay::Frame)> + Send + Sync>,
    >,
    streams: glassroom_recorder::segmenter::Streams,
    /// An outage being replayed: frames before this instant are lost.
    down_until: Option<jiff::Timestamp>,
}

fn system_time(t: jiff::Timestamp) -> SystemTime {
    let us = to_us(t);
    if us >= 0 {
        SystemTime::UNIX_EPOCH + Duration::from_micros(us as u64)
    } else {
        SystemTime::UNIX_EPOCH
    }
}

impl PastRecording {
    /// Every input of `room` replays `clip` from `at` on (each input takes the tracks it carries);
    /// the inputs report `recording`.
    pub async fn begin(
        app: &App,
        clock: crate::ManualClock,
        dir: &Path,
        clip: &Path,
        room: i64,
        segment: Duration,
        at: jiff::Timestamp,
    ) -> Result<PastRecording, AppError> {
        use glassroom_recorder::replay::Clip;
        let mut tx = app.store.read().await?;
        let room_code = tx
            .room(room)
            .await?
            .map(|r| r.code)
            .ok_or(AppError::NotFound("room"))?;
        let rows = tx.inputs_of(room).await?;
        let mut inputs = Vec::new();
        let mut names = HashMap::new();
        for i in rows {
            let prev = tx.last_segment(i.id).await?.map(|s| s.sha256);
            let clip = Clip::open(clip, i.video, i.audio)
                .map_err(|e| AppError::Unavailable(e.to_string()))?;
            let clip = Arc::new(clip);
            let streams = clip.streams();
            let frames: Box<dyn Iterator<Item = _> + Send + Sync> = Box::new(clip.frames());
            inputs.push(PastInput {
                id: i.id,
                seg: glassroom_recorder::segmenter::Segmenter::new(
                    &dir.join(&room_code).join(&i.code),
                    &i.code,
                    segment,
                    prev,
                ),
                frames: frames.peekable(),
                streams,
                down_until: None,
            });
            names.insert(i.id, (room_code.clone(), i.code.clone()));
        }
        drop(tx);
        let sink = Arc::new(AppSink {
            app: app.clone(),
            base: dir.to_owned(),
            names,
        });
        clock.set(at);
        let mut rec = PastRecording {
            clock,
            sink,
            inputs,
            base: at,
        };
        for i in &mut rec.inputs {
            if let Some(s) = i
                .seg
                .set_streams(i.streams.clone())
                .map_err(|e| AppError::Unavailable(e.to_string()))?
            {
                rec.sink.sealed(i.id, s).await;
            }
            rec.sink.state(i.id, InputState::Recording, "").await;
        }
        Ok(rec)
    }

    fn wall(&self, at: f64) -> jiff::Timestamp {
        self.base + jiff::SignedDuration::from_secs_f64(at)
    }

    /// Records up to `to` (the clock ends there).
    pub async fn run_until(&mut self, to: jiff::Timestamp) -> Result<(), AppError> {
        use glassroom_recorder::replay::Frame;
        for n in 0..self.inputs.len() {
            while let Some(at) = self.inputs[n].frames.peek().map(|f| f.0) {
                let wall = self.wall(at);
                if wall >= to {
                    break;
                }
                let Some((_, frame)) = self.inputs[n].frames.next() else {
                    break;
                };
                let input = &mut self.inputs[n];
                if let Some(until) = input.down_until {
                    if wall < until {
                        continue;
                    }
                    input.down_until = None;
                }
                let w = system_time(wall);
                let sealed = match frame {
                    Frame::Video {
                        ts,
                        key,
                        data,
                        loss,
                        ..
                    } => input.seg.video(ts, key, data, loss, w),
                    Frame::Audio { ts, data, .. } => input.seg.audio(ts, data, w),
                }
                .map_err(|e| AppError::Unavailable(e.to_string()))?;
                if let Some(s) = sealed {
                    let id = input.id;
                    self.clock
                        .set(ts(s.end).max(crate::Clock::now(&self.clock)));
                    self.sink.sealed(id, s).await;
                }
            }
        }
        self.clock.set(to);
        Ok(())
    }

    /// Input `input` loses its camera from `from` to `to`: what it recorded is sealed, the outage
    /// is a gap, and it records again from the first keyframe after `to`.
    pub async fn outage(
        &mut self,
        input: i64,
        from: jiff::Timestamp,
        to: jiff::Timestamp,
        reason: &str,
    ) -> Result<(), AppError> {
        self.run_until(from).await?;
        let Some(n) = self.inputs.iter().position(|i| i.id == input) else {
            return Err(AppError::NotFound("input"));
        };
        if let Some(s) = self.inputs[n]
            .seg
            .close()
            .map_err(|e| AppError::Unavailable(e.to_string()))?
        {
            self.sink.sealed(input, s).await;
        }
        self.sink
            .state(input, InputState::Reconnecting, reason)
            .await;
        self.inputs[n].down_until = Some(to);
        self.run_until(to).await?;
        self.sink
            .gap(
                input,
                Gap {
                    from: system_time(from),
                    to: system_time(to),
                    reason: reason.to_owned(),
                },
            )
            .await;
        self.sink.state(input, InputState::Recording, "").await;
        Ok(())
    }

    /// Records up to `at`, seals what is open, and the inputs report `ready`.
    pub async fn end(mut self, at: jiff::Timestamp) -> Result<(), AppError> {
        self.run_until(at).await?;
        for i in &mut self.inputs {
            if let Some(s) = i
                .seg
                .close()
                .map_err(|e| AppError::Unavailable(e.to_string()))?
            {
                self.sink.sealed(i.id, s).await;
            }
            self.sink.state(i.id, InputState::Ready, "").await;
        }
        Ok(())
    }
}

//! One camera input: connect with retina over RTSP/TCP, read frames under a watchdog (a camera
//! can stall silently; each read has its own timeout), feed the segmenter, reconnect with backoff,
//! and report every interruption as a gap.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use futures_util::StreamExt;
use retina::client::{PlayOptions, Session, SessionOptions, SetupOptions, Transport};
use retina::codec::{CodecItem, ParametersRef};

use crate::fmp4::Codec;
use crate::replay::Frame;
use crate::segmenter::{Segmenter, Streams};
use crate::{Gap, InputState, RecordError, Sink};

/// Wall clock, supplied by the caller (the application's clock).
pub type Now = Arc<dyn Fn() -> SystemTime + Send + Sync>;

#[derive(Debug, Clone)]
pub struct InputConfig {
    pub id: i64,
    /// `rtsp://…`
    pub url: String,
    /// Where this input's segments go.
    pub dir: PathBuf,
    /// File name prefix.
    pub name: String,
    /// Target segment length (cut at the first keyframe after it).
    pub segment: Duration,
    /// Watchdog: longest wait for the next frame.
    pub frame_timeout: Duration,
    pub connect_timeout: Duration,
    /// Longest pause between reconnection attempts.
    pub max_backoff: Duration,
    /// The hash of this input's last sealed segment (the chain continues from it).
    pub prev_sha256: Option<String>,
    /// Where live health (last frame, bitrate, losses, state) is kept.
    pub health: Option<Arc<crate::HealthBoard>>,
    /// Whether segments should be written now (the recording schedule: working time, meetings
    /// with their lead-in and lead-out). `None` records always. While it is false the camera
    /// stays connected and watched (its health is still known) and its state is `ready`.
    pub want: Option<tokio::sync::watch::Receiver<bool>>,
    /// Which of the input's tracks are recorded (a microphone input: audio only).
    pub video: bool,
    pub audio: bool,
}

impl InputConfig {
    pub fn new(id: i64, url: &str, dir: PathBuf, name: &str) -> Self {
        InputConfig {
            id,
            url: url.to_owned(),
            dir,
            name: name.to_owned(),
            segment: Duration::from_secs(10),
            frame_timeout: Duration::from_secs(5),
            connect_timeout: Duration::from_secs(5),
            max_backoff: Duration::from_secs(1),
            prev_sha256: None,
            health: None,
            want: None,
            video: true,
            audio: true,
        }
    }
}

struct Live {
    demuxed: retina::client::Demuxed,
    video: Option<usize>,
    audio: Option<usize>,
}

/// Where frames come from: a camera over RTSP, or a clip replayed in a loop.
enum Source {
    Rtsp(Live),
    Replay(crate::replay::Replay),
}

impl Source {
    async fn open(cfg: &InputConfig) -> Result<Source, RecordError> {
        if cfg.url.starts_with("file:") {
            let path = crate::replay::clip_path(&cfg.url)?;
            let (video, audio) = (cfg.video, cfg.audio);
            let clip =
                tokio::task::spawn_blocking(move || crate::replay::Clip::open(&path, video, audio))
                    .await
                    .map_err(|e| RecordError::Camera(e.to_string()))??;
            return Ok(Source::Replay(crate::replay::Replay::new(Arc::new(clip))));
        }
        Ok(Source::Rtsp(connect(&cfg.url, cfg.video, cfg.audio).await?))
    }

    fn has_video(&self) -> bool {
        match self {
            Source::Rtsp(l) => l.video.is_some(),
            Source::Replay(r) => r.clip().has_video(),
        }
    }

    fn streams(&self) -> Result<Option<Streams>, RecordError> {
        match self {
            Source::Rtsp(l) => streams_of(l),
            Source::Replay(r) => Ok(Some(r.clip().streams())),
        }
    }

    /// The next frame; `None` when the stream ended.
    async fn next(&mut self) -> Option<Result<Frame, String>> {
        match self {
            Source::Replay(r) => r.next().await.map(Ok),
            Source::Rtsp(live) => loop {
                let item = match live.demuxed.next().await? {
                    Ok(item) => item,
                    Err(e) => return Some(Err(format!("camera error: {e}"))),
                };
                match item {
                    CodecItem::VideoFrame(f) if Some(f.stream_id()) == live.video => {
                        let h265 = live.demuxed.streams()[f.stream_id()].encoding_name() == "h265";
                        let key = f.is_random_access_point() || (h265 && hevc_irap(f.data()));
                        return Some(Ok(Frame::Video {
                            ts: f.timestamp().elapsed(),
                            key,
                            loss: f.loss(),
                            new_params: f.has_new_parameters(),
                            data: Bytes::from(f.into_data()),
                        }));
                    }
                    CodecItem::AudioFrame(f) if Some(f.stream_id()) == live.audio => {
                        return Some(Ok(Frame::Audio {
                            ts: f.timestamp().elapsed(),
                            loss: f.loss(),
                            data: Bytes::copy_from_slice(f.data()),
                        }));
                    }
                    _ => {}
                }
            },
        }
    }
}

async fn connect(url: &str, want_video: bool, want_audio: bool) -> Result<Live, RecordError> {
    let cam = |e: retina::Error| RecordError::Camera(e.to_string());
    let url = url::Url::parse(url).map_err(|e| RecordError::Camera(format!("{url}: {e}")))?;
    let mut session = Session::describe(
        url,
        SessionOptions::default().user_agent("glassroom-recorder".into()),
    )
    .await
    .map_err(cam)?;
    let streams = session.streams();
    let video = streams
        .iter()
        .position(|s| s.media() == "video" && matches!(s.encoding_name(), "h264" | "h265"))
        .filter(|_| want_video);
    let audio = streams
        .iter()
        .position(|s| {
            s.media() == "audio" && matches!(s.encoding_name(), "mpeg4-generic" | "pcma" | "pcmu")
        })
        .filter(|_| want_audio);
    if video.is_none() && audio.is_none() {
        return Err(RecordError::Camera(
            "the input offers neither H.264/H.265 video nor AAC/G.711 audio".into(),
        ));
    }
    let tcp = || SetupOptions::default().transport(Transport::Tcp(Default::default()));
    if let Some(v) = video {
        session.setup(v, tcp()).await.map_err(cam)?;
    }
    if let Some(a) = audio {
        session.setup(a, tcp()).await.map_err(cam)?;
    }
    let playing = session.play(PlayOptions::default()).await.map_err(cam)?;
    let demuxed = playing.demuxed().map_err(cam)?;
    Ok(Live {
        demuxed,
        video,
        audio,
    })
}

/// Does an HEVC access unit (4-byte length-prefixed NAL units) hold an IRAP picture (NAL types
/// 16–23: BLA, IDR, CRA)? retina under-reports H.265 random access points on some encoders'
/// output, so the recorder looks for itself.
fn hevc_irap(mut data: &[u8]) -> bool {
    while data.len() >= 5 {
        let len = u32::from_be_bytes([data[0], data[1], data[2], data[3]]) as usize;
        let nal_type = (data[4] >> 1) & 0x3f;
        if (16..=23).contains(&nal_type) {
            return true;
        }
        if len == 0 || data.len() < 4 + len {
            return false;
        }
        data = &data[4 + len..];
    }
    false
}

/// The child box `fourcc` of a sample entry built by retina (header 8 bytes + 78 bytes of
/// VisualSampleEntry fields, then boxes).
fn child_box(entry: &[u8], fourcc: &[u8; 4]) -> Option<Vec<u8>> {
    let mut i = 86;
    while i + 8 <= entry.len() {
        let size =
            u32::from_be_bytes([entry[i], entry[i + 1], entry[i + 2], entry[i + 3]]) as usize;
        if size < 8 || i + size > entry.len() {
            return None;
        }
        if &entry[i + 4..i + 8] == fourcc {
            return Some(entry[i + 8..i + size].to_vec());
        }
        i += size;
    }
    None
}

fn streams_of(live: &Live) -> Result<Option<Streams>, RecordError> {
    let s = live.demuxed.streams();
    let video = match live.video {
        Some(vi) => match video_codec(&s[vi])? {
            Some(c) => Some((c, s[vi].clock_rate_hz())),
            None => return Ok(None),
        },
        None => None,
    };
    let audio = match live.audio {
        Some(a) => {
            let st = &s[a];
            let rate = st.clock_rate_hz();
            let channels = st.channels().map(|c| c.get()).unwrap_or(1);
            match (st.encoding_name(), st.parameters()) {
                ("mpeg4-generic", Some(ParametersRef::Audio(p))) => Some((
                    Codec::Aac {
                        asc: p.extra_data().to_vec(),
                        sample_rate: rate,
                        channels,
                    },
                    rate,
                )),
                ("mpeg4-generic", _) if video.is_none() => return Ok(None),
                ("pcma", _) => Some((
                    Codec::G711 {
                        alaw: true,
                        sample_rate: rate,
                        channels,
                    },
                    rate,
                )),
                ("pcmu", _) => Some((
                    Codec::G711 {
                        alaw: false,
                        sample_rate: rate,
                        channels,
                    },
                    rate,
                )),
                _ => None,
            }
        }
        None => None,
    };
    Ok(Some(Streams {
        video_rate: video.as_ref().map(|v| v.1).unwrap_or(90_000),
        video: video.map(|v| v.0),
        audio,
    }))
}

fn video_codec(st: &retina::client::Stream) -> Result<Option<Codec>, RecordError> {
    let Some(ParametersRef::Video(v)) = st.parameters() else {
        return Ok(None);
    };
    let entry = v
        .mp4_sample_entry()
        .build()
        .map_err(|e| RecordError::Mux(format!("video parameters: {e}")))?;
    let (w, h) = v.pixel_dimensions();
    let (width, height) = (w.min(u16::MAX as u32) as u16, h.min(u16::MAX as u32) as u16);
    Ok(Some(if st.encoding_name() == "h265" {
        Codec::H265 {
            hvcc: child_box(&entry, b"hvcC").ok_or_else(|| RecordError::Mux("no hvcC".into()))?,
            width,
            height,
        }
    } else {
        Codec::H264 {
            avcc: child_box(&entry, b"avcC").ok_or_else(|| RecordError::Mux("no avcC".into()))?,
            width,
            height,
        }
    }))
}

/// New stream parameters for the segmenter (sealing the open segment first); whether they are
/// known now.
async fn apply_params(source: &Source, seg: &mut Segmenter, sink: &dyn Sink, id: i64) -> bool {
    match source.streams() {
        Ok(Some(s)) => {
            match seg.set_streams(s) {
                Ok(Some(sealed)) => sink.sealed(id, sealed).await,
                Ok(None) => {}
                Err(e) => tracing::error!(input = id, error = %e, "recorder: sealing failed"),
            }
            true
        }
        Ok(None) => false,
        Err(e) => {
            tracing::warn!(input = id, error = %e, "recorder: unusable stream parameters");
            false
        }
    }
}

/// Reports a state change (and nothing when the state is unchanged).
async fn set_state(
    cfg: &InputConfig,
    sink: &dyn Sink,
    state: &mut Option<InputState>,
    s: InputState,
    detail: &str,
) {
    if *state == Some(s) {
        return;
    }
    if let Some(b) = &cfg.health {
        b.update(cfg.id, |h| {
            if s == InputState::Recording && h.state.is_some() {
                h.reconnects += 1;
            }
            h.state = Some(s);
        });
    }
    *state = Some(s);
    sink.state(cfg.id, s, detail).await;
}

impl InputConfig {
    /// Should segments be written now?
    fn wanted(&self) -> bool {
        self.want.as_ref().is_none_or(|w| *w.borrow())
    }
}

/// Records one input until `stop` turns true: segments, gaps and state changes go to `sink`.
pub async fn run(
    cfg: InputConfig,
    sink: Arc<dyn Sink>,
    now: Now,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    // What a crash left open is sealed as damaged, never dropped.
    match crate::segmenter::recover(&cfg.dir) {
        Ok(found) => {
            for s in found {
                sink.sealed(cfg.id, s).await;
            }
        }
        Err(e) => {
            tracing::error!(input = cfg.id, error = %e, "recorder: recovering open segments failed")
        }
    }
    let mut seg = Segmenter::new(&cfg.dir, &cfg.name, cfg.segment, cfg.prev_sha256.clone());
    let mut gap_from: Option<SystemTime> = None;
    let mut reason = String::new();
    let mut backoff = Duration::from_millis(100);
    let mut state: Option<InputState> = None;
    while !*stop.borrow() {
        let attempt = tokio::time::timeout(cfg.connect_timeout, Source::open(&cfg)).await;
        match attempt {
            Ok(Ok(mut live)) => {
                backoff = Duration::from_millis(100);
                let mut params_known = false;
                loop {
                    let next = tokio::select! {
                        _ = stop.changed() => { reason = "recorder stopped".into(); break; }
                        r = tokio::time::timeout(cfg.frame_timeout, live.next()) => r,
                    };
                    let item = match next {
                        Err(_) => {
                            reason = format!(
                                "no frame for {} s (camera stalled)",
                                cfg.frame_timeout.as_secs()
                            );
                            break;
                        }
                        Ok(None) => {
                            reason = "the camera ended the stream".into();
                            break;
                        }
                        Ok(Some(Err(e))) => {
                            reason = e;
                            break;
                        }
                        Ok(Some(Ok(item))) => item,
                    };
                    let wall = now();
                    if !cfg.wanted() {
                        // Outside the schedule: nothing is written; an outage that was open while
                        // recording was wanted ends here.
                        if let Some(from) = gap_from.take() {
                            let gap = Gap {
                                from,
                                to: wall,
                                reason: reason.clone(),
                            };
                            sink.gap(cfg.id, gap).await;
                        }
                        match seg.close() {
                            Ok(Some(sealed)) => sink.sealed(cfg.id, sealed).await,
                            Ok(None) => {}
                            Err(e) => {
                                tracing::error!(input = cfg.id, error = %e, "recorder: sealing failed")
                            }
                        }
                        if let Frame::Video {
                            new_params: true, ..
                        } = &item
                        {
                            params_known = false;
                        }
                        if let Some(b) = &cfg.health {
                            let (bytes, loss) = match &item {
                                Frame::Video { data, loss, .. }
                                | Frame::Audio { data, loss, .. } => (data.len(), *loss),
                            };
                            b.frame(cfg.id, bytes, loss, wall);
                        }
                        set_state(
                            &cfg,
                            &*sink,
                            &mut state,
                            InputState::Ready,
                            "outside the recording schedule",
                        )
                        .await;
                        continue;
                    }
                    let result = match item {
                        Frame::Video {
                            ts,
                            key,
                            data,
                            loss,
                            new_params,
                        } => {
                            if !params_known || new_params {
                                params_known = apply_params(&live, &mut seg, &*sink, cfg.id).await;
                            }
                            if let Some(b) = &cfg.health {
                                b.frame(cfg.id, data.len(), loss, wall);
                            }
                            seg.video(ts, key, data, loss, wall)
                        }
                        Frame::Audio { ts, data, loss } => {
                            // Audio drives the segments only on an audio-only input.
                            if !live.has_video() && !params_known {
                                params_known = apply_params(&live, &mut seg, &*sink, cfg.id).await;
                            }
                            if let Some(b) = &cfg.health {
                                b.frame(cfg.id, data.len(), loss, wall);
                            }
                            seg.audio(ts, data, wall)
                        }
                    };
                    // Recording from the first segment opened on: the outage (if any) is a gap.
                    if seg.is_open() && state != Some(InputState::Recording) {
                        if let Some(from) = gap_from.take() {
                            let gap = Gap {
                                from,
                                to: wall,
                                reason: reason.clone(),
                            };
                            sink.gap(cfg.id, gap).await;
                        }
                        set_state(&cfg, &*sink, &mut state, InputState::Recording, "").await;
                    }
                    match result {
                        Ok(Some(sealed)) => sink.sealed(cfg.id, sealed).await,
                        Ok(None) => {}
                        Err(e) => {
                            reason = format!("storage: {e}");
                            tracing::error!(input = cfg.id, error = %e, "recorder: writing failed");
                            break;
                        }
                    }
                }
            }
            Ok(Err(e)) => reason = e.to_string(),
            Err(_) => {
                reason = format!(
                    "no answer from the camera in {} s",
                    cfg.connect_timeout.as_secs()
                )
            }
        }
        // The session is over: seal what was recorded; from now on it is a gap.
        match seg.close() {
            Ok(Some(sealed)) => sink.sealed(cfg.id, sealed).await,
            Ok(None) => {}
            Err(e) => tracing::error!(input = cfg.id, error = %e, "recorder: sealing failed"),
        }
        if gap_from.is_none() && cfg.wanted() {
            gap_from = Some(now());
        }
        if *stop.borrow() {
            break;
        }
        set_state(&cfg, &*sink, &mut state, InputState::Reconnecting, &reason).await;
        match (cfg.wanted(), gap_from) {
            // The schedule began during the outage: the gap starts now.
            (true, None) => gap_from = Some(now()),
            // The schedule ended during the outage: the gap ends now.
            (false, Some(from)) => {
                let gap = Gap {
                    from,
                    to: now(),
                    reason: reason.clone(),
                };
                sink.gap(cfg.id, gap).await;
                gap_from = None;
            }
            _ => {}
        }
        tokio::select! {
            _ = stop.changed() => {}
            _ = tokio::time::sleep(backoff) => {}
        }
        backoff = (backoff * 2).min(cfg.max_backoff);
    }
    if let Some(from) = gap_from.take() {
        sink.gap(
            cfg.id,
            Gap {
                from,
                to: now(),
                reason: "recorder stopped".into(),
            },
        )
        .await;
    }
    set_state(
        &cfg,
        &*sink,
        &mut state,
        InputState::Offline,
        "recorder stopped",
    )
    .await;
}

//! The recorder: captures RTSP cameras in-process with `retina` (no transcoding), cuts the streams
//! at video keyframes into standalone fragmented-MP4 segments, and seals each one (SHA-256 of the
//! exact stored bytes, fsynced) before reporting it, so the ledger can name the file byte for byte.
//!
//! Time: the wall clock of a segment is the instant its first frame arrived; its length is media
//! time (RTP timestamps). Every interruption — the camera unreachable, silent past the watchdog, the
//! stream ended — becomes an explicit [`Gap`] with its wall-clock interval.

pub mod capture;
pub mod fmp4;
pub mod replay;
pub mod segmenter;

use std::path::PathBuf;
use std::time::SystemTime;

/// A segment closed, fsynced and hashed: the file at `path` is exactly these bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sealed {
    pub path: PathBuf,
    /// Wall-clock instant of the first frame.
    pub start: SystemTime,
    /// `start` + media duration.
    pub end: SystemTime,
    pub size: u64,
    /// SHA-256 of the file, hex.
    pub sha256: String,
    /// The previous segment's hash on this input (chain), if any.
    pub prev_sha256: Option<String>,
    pub video_frames: u64,
    pub audio_frames: u64,
    /// RTP packets the camera sent that never arrived.
    pub lost_packets: u64,
    /// Recovered after a crash, possibly truncated.
    pub damaged: bool,
}

/// An interval with no recording.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gap {
    pub from: SystemTime,
    pub to: SystemTime,
    pub reason: String,
}

/// What an input is doing now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputState {
    Recording,
    /// Connected and watched, not writing (outside the recording schedule).
    Ready,
    Reconnecting,
    Offline,
}

impl InputState {
    pub fn code(self) -> &'static str {
        match self {
            InputState::Recording => "recording",
            InputState::Ready => "ready",
            InputState::Reconnecting => "reconnecting",
            InputState::Offline => "offline",
        }
    }
}

/// Where the recorder reports: segments, gaps, state changes. Implemented by the application
/// (ledger events, input states) and by tests.
#[async_trait::async_trait]
pub trait Sink: Send + Sync + 'static {
    async fn sealed(&self, input: i64, segment: Sealed);
    async fn gap(&self, input: i64, gap: Gap);
    async fn state(&self, input: i64, state: InputState, detail: &str);
}

#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error("camera: {0}")]
    Camera(String),
    #[error("storage: {0}")]
    Storage(#[from] std::io::Error),
    #[error("mux: {0}")]
    Mux(String),
}

/// Live health of one input, as the capture task sees it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Health {
    pub state: Option<InputState>,
    /// Wall-clock time of the last frame received.
    pub last_frame: Option<SystemTime>,
    pub frames: u64,
    pub bytes: u64,
    pub lost_packets: u64,
    /// Sessions started after the first.
    pub reconnects: u64,
    /// Bits per second over the last measurement window (about 5 s).
    pub bitrate: u64,
    window_start: Option<SystemTime>,
    window_bytes: u64,
}

/// Every input's health, shared by the capture tasks and whoever reports it (API, metrics).
#[derive(Debug, Default)]
pub struct HealthBoard(std::sync::Mutex<std::collections::BTreeMap<i64, Health>>);

impl HealthBoard {
    pub fn update(&self, input: i64, f: impl FnOnce(&mut Health)) {
        if let Ok(mut m) = self.0.lock() {
            f(m.entry(input).or_default());
        }
    }

    /// A frame of `bytes` arrived at `at`.
    pub fn frame(&self, input: i64, bytes: usize, loss: u16, at: SystemTime) {
        self.update(input, |h| {
            h.last_frame = Some(at);
            h.frames += 1;
            h.bytes += bytes as u64;
            h.lost_packets += loss as u64;
            let start = *h.window_start.get_or_insert(at);
            h.window_bytes += bytes as u64;
            if let Ok(d) = at.duration_since(start)
                && d.as_secs_f64() >= 5.0
            {
                h.bitrate = (h.window_bytes as f64 * 8.0 / d.as_secs_f64()) as u64;
                h.window_start = Some(at);
                h.window_bytes = 0;
            }
        });
    }

    pub fn snapshot(&self) -> Vec<(i64, Health)> {
        self.0
            .lock()
            .map(|m| m.iter().map(|(k, v)| (*k, v.clone())).collect())
            .unwrap_or_default()
    }
}

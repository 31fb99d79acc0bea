//! Cuts a stream of frames into standalone fragmented-MP4 segments at video keyframes, writing
//! each fragment to disk as it completes (memory stays at one fragment per stream), hashing the
//! exact bytes written, and sealing a segment (fsync, rename, fsync the directory) when it closes.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use sha2::{Digest, Sha256};

use crate::fmp4::{self, Codec, Sample, Track};
use crate::{RecordError, Sealed};

pub const VIDEO_TRACK: u32 = 1;
pub const AUDIO_TRACK: u32 = 2;
/// A fragment is written at every keyframe and at least this often.
const FRAGMENT_MAX: Duration = Duration::from_secs(1);

/// The streams of one input, as the camera describes them.
#[derive(Debug, Clone)]
pub struct Streams {
    /// None for an audio-only input (a microphone).
    pub video: Option<Codec>,
    /// RTP clock of the video (90 kHz).
    pub video_rate: u32,
    pub audio: Option<(Codec, u32)>,
}

struct Pending {
    dts: i64,
    key: bool,
    data: Bytes,
}

struct Open {
    file: std::fs::File,
    partial: PathBuf,
    path: PathBuf,
    hasher: Sha256,
    size: u64,
    start: SystemTime,
    /// Media timestamps (elapsed since the stream started, in each track's clock) at the
    /// segment's first frame.
    video_base: i64,
    audio_base: i64,
    sequence: u32,
    frag: Vec<Sample>,
    frag_start: i64,
    video_frames: u64,
    audio_frames: u64,
    last_video_dts: i64,
    last_audio_dts: i64,
    lost: u64,
}

/// One input's segmenter.
pub struct Segmenter {
    dir: PathBuf,
    name: String,
    target: Duration,
    streams: Option<Streams>,
    tracks: Vec<Track>,
    cur: Option<Open>,
    video: Option<Pending>,
    audio: Option<Pending>,
    video_duration: u32,
    audio_duration: u32,
    prev_sha256: Option<String>,
}

fn io(e: std::io::Error) -> RecordError {
    RecordError::Storage(e)
}

impl Segmenter {
    /// Segments go to `dir` as `<name>-<start µs>.mp4` (`.partial` while open).
    pub fn new(dir: &Path, name: &str, target: Duration, prev_sha256: Option<String>) -> Self {
        Segmenter {
            dir: dir.to_owned(),
            name: name.to_owned(),
            target,
            streams: None,
            tracks: Vec::new(),
            cur: None,
            video: None,
            audio: None,
            video_duration: 3600,
            audio_duration: 1024,
            prev_sha256,
        }
    }

    pub fn prev_sha256(&self) -> Option<&str> {
        self.prev_sha256.as_deref()
    }

    pub fn is_open(&self) -> bool {
        self.cur.is_some()
    }

    /// New stream parameters: the open segment (if any) is sealed first.
    pub fn set_streams(&mut self, streams: Streams) -> Result<Option<Sealed>, RecordError> {
        let sealed = self.close()?;
        let mut tracks = Vec::new();
        if let Some(v) = &streams.video {
            tracks.push(Track {
                id: VIDEO_TRACK,
                codec: v.clone(),
                timescale: streams.video_rate,
            });
        }
        if let Some((codec, rate)) = &streams.audio {
            tracks.push(Track {
                id: AUDIO_TRACK,
                codec: codec.clone(),
                timescale: *rate,
            });
        }
        self.tracks = tracks;
        self.streams = Some(streams);
        Ok(sealed)
    }

    fn open(&mut self, base: i64, wall: SystemTime) -> Result<(), RecordError> {
        let streams = self
            .streams
            .as_ref()
            .ok_or_else(|| RecordError::Mux("no stream parameters".into()))?;
        let micros = wall
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_micros())
            .unwrap_or(0);
        std::fs::create_dir_all(&self.dir).map_err(io)?;
        // A name never taken before: the wall clock may stand still or step back (NTP, a test
        // clock), and a sealed file must never be replaced.
        let mut n = 0u32;
        let (path, partial, mut file) = loop {
            let path = if n == 0 {
                self.dir.join(format!("{}-{micros}.mp4", self.name))
            } else {
                self.dir.join(format!("{}-{micros}-{n}.mp4", self.name))
            };
            let partial = path.with_extension("mp4.partial");
            if !path.exists() {
                match std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .open(&partial)
                {
                    Ok(f) => break (path, partial, f),
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                    Err(e) => return Err(io(e)),
                }
            }
            n += 1;
            if n > 10_000 {
                return Err(RecordError::Mux(format!(
                    "no free segment name in {}",
                    self.dir.display()
                )));
            }
        };
        let init = fmp4::init_segment(&self.tracks).map_err(|e| RecordError::Mux(e.to_string()))?;
        file.write_all(&init).map_err(io)?;
        let mut hasher = Sha256::new();
        hasher.update(&init);
        let audio_base = match (&streams.video, &streams.audio) {
            // Audio-only: `base` is already in the audio clock.
            (None, _) => base,
            (Some(_), Some((_, rate))) => {
                (base as i128 * *rate as i128 / streams.video_rate as i128) as i64
            }
            (Some(_), None) => 0,
        };
        self.cur = Some(Open {
            file,
            partial,
            path,
            hasher,
            size: init.len() as u64,
            start: wall,
            video_base: base,
            audio_base,
            sequence: 0,
            frag: Vec::new(),
            frag_start: 0,
            video_frames: 0,
            audio_frames: 0,
            last_video_dts: 0,
            last_audio_dts: 0,
            lost: 0,
        });
        Ok(())
    }

    /// A video frame: `ts` is media time since the stream started (video clock).
    pub fn video(
        &mut self,
        ts: i64,
        key: bool,
        data: Bytes,
        loss: u16,
        wall: SystemTime,
    ) -> Result<Option<Sealed>, RecordError> {
        if self.streams.is_none() {
            return Ok(None);
        }
        let rate = self
            .streams
            .as_ref()
            .map(|s| s.video_rate)
            .unwrap_or(90_000) as i64;
        let mut sealed = None;
        if self.cur.is_none() {
            if !key {
                return Ok(None); // wait for a keyframe: a segment must open on its own
            }
            self.open(ts, wall)?;
        }
        // The previous frame's duration is known now.
        if let Some(p) = self.video.take() {
            let dur = (ts - p.dts).clamp(1, u32::MAX as i64) as u32;
            self.video_duration = dur;
            self.push_sample(VIDEO_TRACK, p, dur);
        }
        if let Some(c) = &mut self.cur {
            c.lost += loss as u64;
        }
        let elapsed = self.cur.as_ref().map(|c| ts - c.video_base).unwrap_or(0);
        if key && elapsed >= (self.target.as_secs_f64() * rate as f64) as i64 {
            sealed = self.close()?;
            self.open(ts, wall)?;
        } else if key || self.frag_age(ts) >= (FRAGMENT_MAX.as_secs_f64() * rate as f64) as i64 {
            self.flush()?;
        }
        self.video = Some(Pending { dts: ts, key, data });
        Ok(sealed)
    }

    /// An audio frame: `ts` is media time since the stream started (audio clock). On an
    /// audio-only input, audio opens, fragments and cuts segments (every frame is a sync point).
    pub fn audio(
        &mut self,
        ts: i64,
        data: Bytes,
        wall: SystemTime,
    ) -> Result<Option<Sealed>, RecordError> {
        let audio_only = self
            .streams
            .as_ref()
            .is_some_and(|s| s.video.is_none() && s.audio.is_some());
        let mut sealed = None;
        if self.cur.is_none() {
            if !audio_only {
                return Ok(None);
            }
            self.open(ts, wall)?;
        }
        if let Some(p) = self.audio.take() {
            let dur = (ts - p.dts).clamp(1, u32::MAX as i64) as u32;
            self.audio_duration = dur;
            self.push_sample(AUDIO_TRACK, p, dur);
        }
        if audio_only {
            let rate = self
                .streams
                .as_ref()
                .and_then(|s| s.audio.as_ref())
                .map(|a| a.1)
                .unwrap_or(8000) as f64;
            let (elapsed, frag_age) = match &self.cur {
                Some(c) => (ts - c.audio_base, ts - c.audio_base - c.frag_start),
                None => (0, 0),
            };
            if elapsed as f64 >= self.target.as_secs_f64() * rate {
                sealed = self.close()?;
                self.open(ts, wall)?;
            } else if frag_age as f64 >= FRAGMENT_MAX.as_secs_f64() * rate {
                self.flush()?;
                if let Some(c) = &mut self.cur {
                    c.frag_start = ts - c.audio_base;
                }
            }
        }
        self.audio = Some(Pending {
            dts: ts,
            key: true,
            data,
        });
        Ok(sealed)
    }

    fn frag_age(&self, ts: i64) -> i64 {
        match &self.cur {
            Some(c) if !c.frag.is_empty() => ts - c.video_base - c.frag_start,
            _ => 0,
        }
    }

    fn push_sample(&mut self, track: u32, p: Pending, duration: u32) {
        let Some(c) = &mut self.cur else { return };
        let base = if track == VIDEO_TRACK {
            c.video_base
        } else {
            c.audio_base
        };
        let dts = p.dts - base;
        if dts < 0 {
            return; // audio from before the segment's first keyframe
        }
        if track == VIDEO_TRACK {
            if c.frag.iter().all(|s| s.track != VIDEO_TRACK) {
                c.frag_start = dts;
            }
            c.video_frames += 1;
            c.last_video_dts = dts + duration as i64;
        } else {
            c.audio_frames += 1;
            c.last_audio_dts = dts + duration as i64;
        }
        c.frag.push(Sample {
            track,
            dts: dts as u64,
            duration,
            cts_offset: 0,
            is_sync: p.key,
            data: p.data,
        });
    }

    /// Writes the pending fragment.
    fn flush(&mut self) -> Result<(), RecordError> {
        let Some(c) = &mut self.cur else {
            return Ok(());
        };
        if c.frag.is_empty() {
            return Ok(());
        }
        c.sequence += 1;
        let bytes = fmp4::fragment(c.sequence, &self.tracks, &c.frag)
            .map_err(|e| RecordError::Mux(e.to_string()))?;
        c.file.write_all(&bytes).map_err(io)?;
        c.hasher.update(&bytes);
        c.size += bytes.len() as u64;
        c.frag.clear();
        Ok(())
    }

    /// Seals the open segment: the last frames (with their estimated durations), fsync, rename
    /// to its final name, fsync the directory.
    pub fn close(&mut self) -> Result<Option<Sealed>, RecordError> {
        if self.cur.is_none() {
            self.video = None;
            self.audio = None;
            return Ok(None);
        }
        if let Some(p) = self.video.take() {
            let d = self.video_duration;
            self.push_sample(VIDEO_TRACK, p, d);
        }
        if let Some(p) = self.audio.take() {
            let d = self.audio_duration;
            self.push_sample(AUDIO_TRACK, p, d);
        }
        self.flush()?;
        let Some(c) = self.cur.take() else {
            return Ok(None);
        };
        c.file.sync_all().map_err(io)?;
        drop(c.file);
        // Link, not rename: linking never replaces an existing file.
        std::fs::hard_link(&c.partial, &c.path).map_err(io)?;
        std::fs::remove_file(&c.partial).map_err(io)?;
        if let Ok(d) = std::fs::File::open(&self.dir) {
            let _ = d.sync_all();
        }
        // Media duration: of the video, or of the audio on an audio-only input.
        let media = match self.streams.as_ref() {
            Some(Streams {
                video: None,
                audio: Some((_, rate)),
                ..
            }) => Duration::from_secs_f64(c.last_audio_dts.max(0) as f64 / *rate as f64),
            s => Duration::from_secs_f64(
                c.last_video_dts.max(0) as f64 / s.map(|s| s.video_rate).unwrap_or(90_000) as f64,
            ),
        };
        let sha = hex::encode(c.hasher.finalize());
        let sealed = Sealed {
            path: c.path,
            start: c.start,
            end: c.start + media,
            size: c.size,
            sha256: sha.clone(),
            prev_sha256: self.prev_sha256.replace(sha),
            video_frames: c.video_frames,
            audio_frames: c.audio_frames,
            lost_packets: c.lost,
            damaged: false,
        };
        Ok(Some(sealed))
    }
}

/// A sealed file found on disk with no report of it (a crash came between sealing and
/// reporting): its start from its name, its end from its modification time, its hash re-read.
pub fn describe_sealed(path: &Path) -> Result<Sealed, RecordError> {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    let damaged = name.ends_with(".damaged.mp4");
    let stem = name
        .strip_suffix(".damaged.mp4")
        .or_else(|| name.strip_suffix(".mp4"))
        .unwrap_or(name);
    let bytes = std::fs::read(path).map_err(io)?;
    let start = start_of(stem);
    let modified = std::fs::metadata(path)
        .and_then(|m| m.modified())
        .unwrap_or(start);
    Ok(Sealed {
        path: path.to_owned(),
        start,
        end: modified.max(start),
        size: bytes.len() as u64,
        sha256: hex::encode(Sha256::digest(&bytes)),
        prev_sha256: None,
        video_frames: 0,
        audio_frames: 0,
        lost_packets: 0,
        damaged,
    })
}

/// `<name>-<micros>` or `<name>-<micros>-<n>` → the instant.
fn start_of(stem: &str) -> SystemTime {
    stem.rsplit('-')
        .take(2)
        .find(|m| m.len() >= 13)
        .and_then(|m| m.parse::<u64>().ok())
        .map(|m| SystemTime::UNIX_EPOCH + Duration::from_micros(m))
        .unwrap_or(SystemTime::UNIX_EPOCH)
}

/// Seals what a crash left open: every `.partial` file under `dir` is hashed, fsynced, renamed
/// to `<name>.damaged.mp4` and reported (it holds whole fragments up to the crash, perhaps a cut
/// last one), never silently dropped.
pub fn recover(dir: &Path) -> Result<Vec<Sealed>, RecordError> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(out);
    };
    for e in entries.flatten() {
        let p = e.path();
        let Some(name) = p.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        let Some(stem) = name.strip_suffix(".mp4.partial") else {
            continue;
        };
        if dir.join(format!("{stem}.mp4")).exists() {
            // The crash came between linking the sealed name and unlinking this one: the same
            // file is already sealed under its name.
            std::fs::remove_file(&p).map_err(io)?;
            continue;
        }
        let bytes = std::fs::read(&p).map_err(io)?;
        let f = std::fs::OpenOptions::new()
            .write(true)
            .open(&p)
            .map_err(io)?;
        f.sync_all().map_err(io)?;
        let target = dir.join(format!("{stem}.damaged.mp4"));
        std::fs::rename(&p, &target).map_err(io)?;
        let start = start_of(stem);
        let modified = e.metadata().and_then(|m| m.modified()).unwrap_or(start);
        out.push(Sealed {
            path: target,
            start,
            end: modified.max(start),
            size: bytes.len() as u64,
            sha256: hex::encode(Sha256::digest(&bytes)),
            prev_sha256: None,
            video_frames: 0,
            audio_frames: 0,
            lost_packets: 0,
            damaged: true,
        });
    }
    if !out.is_empty()
        && let Ok(d) = std::fs::File::open(dir)
    {
        let _ = d.sync_all();
    }
    Ok(out)
}

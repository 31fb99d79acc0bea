//! A replay input: an MP4 clip (`file:///…/clip.mp4`, H.264 and/or AAC) played in a loop as if a
//! camera sent it, frame by frame in real time, with media timestamps that keep growing across
//! the loop. It feeds the same segmenter and sink as a camera, so a demo (or a room without a
//! camera yet) shows the whole pipeline on a machine with no camera.
//!
//! The clip is read with the `mp4` crate (a standard, non-fragmented file, as `ffmpeg -movflags
//! +faststart` writes it) once, into memory; it is meant to be short.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;

use crate::RecordError;
use crate::fmp4::Codec;
use crate::segmenter::Streams;

/// A frame from any source (a camera or a replay): media time in its track's clock.
#[derive(Debug, Clone)]
pub enum Frame {
    Video {
        ts: i64,
        key: bool,
        data: Bytes,
        loss: u16,
        new_params: bool,
    },
    Audio {
        ts: i64,
        data: Bytes,
        loss: u16,
    },
}

#[derive(Debug)]
struct ClipSample {
    video: bool,
    /// In the track's timescale, from the clip's start.
    ts: i64,
    /// Seconds from the clip's start (orders the two tracks).
    at: f64,
    key: bool,
    data: Bytes,
}

/// A clip held in memory, ready to loop.
#[derive(Debug)]
pub struct Clip {
    streams: Streams,
    audio_rate: u32,
    samples: Vec<ClipSample>,
    /// One lap, in seconds.
    lap: f64,
}

fn bad(path: &Path, what: impl std::fmt::Display) -> RecordError {
    RecordError::Camera(format!("replay clip {}: {what}", path.display()))
}

/// AVCDecoderConfigurationRecord from one SPS and one PPS.
fn avcc(sps: &[u8], pps: &[u8]) -> Option<Vec<u8>> {
    if sps.len() < 4 || sps.len() > u16::MAX as usize || pps.len() > u16::MAX as usize {
        return None;
    }
    let mut out = vec![1, sps[1], sps[2], sps[3], 0xff, 0xe1];
    out.extend_from_slice(&(sps.len() as u16).to_be_bytes());
    out.extend_from_slice(sps);
    out.push(1);
    out.extend_from_slice(&(pps.len() as u16).to_be_bytes());
    out.extend_from_slice(pps);
    Some(out)
}

impl Clip {
    /// Reads the clip; `video`/`audio` say which of its tracks the input carries.
    pub fn open(path: &Path, video: bool, audio: bool) -> Result<Clip, RecordError> {
        let file = std::fs::File::open(path).map_err(|e| bad(path, e))?;
        let size = file.metadata().map_err(|e| bad(path, e))?.len();
        let mut mp4 = mp4::Mp4Reader::read_header(std::io::BufReader::new(file), size)
            .map_err(|e| bad(path, e))?;
        let mut tracks: Vec<(u32, mp4::MediaType, u32)> = mp4
            .tracks()
            .values()
            .filter_map(|t| Some((t.track_id(), t.media_type().ok()?, t.timescale())))
            .collect();
        tracks.sort_by_key(|t| t.0);
        let mut streams = Streams {
            video: None,
            video_rate: 90_000,
            audio: None,
        };
        let mut audio_rate = 0;
        let mut samples = Vec::new();
        let mut lap: f64 = 0.0;
        for (id, kind, scale) in tracks {
            let is_video = match kind {
                mp4::MediaType::H264 if video && streams.video.is_none() => true,
                mp4::MediaType::AAC if audio && streams.audio.is_none() => false,
                _ => continue,
            };
            let track = mp4.tracks().get(&id).ok_or_else(|| bad(path, "track"))?;
            if is_video {
                let sps = track.sequence_parameter_set().map_err(|e| bad(path, e))?;
                let pps = track.picture_parameter_set().map_err(|e| bad(path, e))?;
                streams.video = Some(Codec::H264 {
                    avcc: avcc(sps, pps).ok_or_else(|| bad(path, "unusable SPS/PPS"))?,
                    width: track.width(),
                    height: track.height(),
                });
                streams.video_rate = scale;
            } else {
                let profile = track.audio_profile().map_err(|e| bad(path, e))? as u8;
                let freq = track.sample_freq_index().map_err(|e| bad(path, e))?;
                let chan = track.channel_config().map_err(|e| bad(path, e))?;
                let rate = freq.freq();
                // AudioSpecificConfig: object type (5 bits), frequency index (4), channels (4).
                let (f, c) = (freq as u8, chan as u8);
                let asc = vec![(profile << 3) | (f >> 1), ((f & 1) << 7) | (c << 3)];
                streams.audio = Some((
                    Codec::Aac {
                        asc,
                        sample_rate: rate,
                        channels: c as u16,
                    },
                    rate,
                ));
                audio_rate = scale;
            }
            let count = mp4.sample_count(id).map_err(|e| bad(path, e))?;
            let mut end = 0i64;
            for n in 1..=count {
                let Some(s) = mp4.read_sample(id, n).map_err(|e| bad(path, e))? else {
                    continue;
                };
                let ts = s.start_time as i64;
                end = end.max(ts + s.duration as i64);
                samples.push(ClipSample {
                    video: is_video,
                    ts,
                    at: ts as f64 / scale.max(1) as f64,
                    key: s.is_sync,
                    data: s.bytes,
                });
            }
            // The video sets the lap (audio beyond it is cut, so the picture has no seam).
            let length = end as f64 / scale.max(1) as f64;
            lap = if is_video {
                length
            } else if streams.video.is_some() {
                lap
            } else {
                length
            };
        }
        if streams.video.is_some() {
            samples.retain(|s| s.video || s.at < lap);
        }
        if streams.video.is_none() && streams.audio.is_none() {
            return Err(bad(path, "no H.264 video or AAC audio track"));
        }
        if samples.is_empty() || lap <= 0.0 {
            return Err(bad(path, "no samples"));
        }
        samples.sort_by(|a, b| a.at.total_cmp(&b.at).then(b.video.cmp(&a.video)));
        Ok(Clip {
            streams,
            audio_rate,
            samples,
            lap,
        })
    }

    pub fn streams(&self) -> Streams {
        self.streams.clone()
    }

    pub fn has_video(&self) -> bool {
        self.streams.video.is_some()
    }

    /// Length of one lap.
    pub fn lap(&self) -> Duration {
        Duration::from_secs_f64(self.lap)
    }

    /// The frames of the endless replay from its start: (seconds from the start, frame).
    pub fn frames(self: &Arc<Self>) -> impl Iterator<Item = (f64, Frame)> + use<> {
        let clip = self.clone();
        let (vrate, arate) = (self.streams.video_rate as f64, self.audio_rate as f64);
        (0u64..).flat_map(move |lap| {
            let clip = clip.clone();
            let offset = lap as f64 * clip.lap;
            (0..clip.samples.len()).map(move |i| {
                let s = &clip.samples[i];
                let frame = if s.video {
                    Frame::Video {
                        ts: s.ts + (offset * vrate).round() as i64,
                        key: s.key,
                        data: s.data.clone(),
                        loss: 0,
                        new_params: false,
                    }
                } else {
                    Frame::Audio {
                        ts: s.ts + (offset * arate).round() as i64,
                        data: s.data.clone(),
                        loss: 0,
                    }
                };
                (offset + s.at, frame)
            })
        })
    }
}

/// A clip replayed in real time.
pub struct Replay {
    clip: Arc<Clip>,
    frames: Box<dyn Iterator<Item = (f64, Frame)> + Send + Sync>,
    started: tokio::time::Instant,
}

impl Replay {
    pub fn new(clip: Arc<Clip>) -> Replay {
        Replay {
            frames: Box::new(clip.frames()),
            clip,
            started: tokio::time::Instant::now(),
        }
    }

    pub fn clip(&self) -> &Arc<Clip> {
        &self.clip
    }

    /// The next frame, when it is due.
    pub async fn next(&mut self) -> Option<Frame> {
        let (at, frame) = self.frames.next()?;
        tokio::time::sleep_until(self.started + Duration::from_secs_f64(at)).await;
        Some(frame)
    }
}

/// The clip a `file://` URL names.
pub fn clip_path(url: &str) -> Result<std::path::PathBuf, RecordError> {
    url::Url::parse(url)
        .ok()
        .filter(|u| u.scheme() == "file")
        .and_then(|u| u.to_file_path().ok())
        .ok_or_else(|| RecordError::Camera(format!("{url}: not a file:// URL of a clip")))
}

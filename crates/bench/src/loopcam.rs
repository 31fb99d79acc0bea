//! A pre-encoded looping RTSP camera for the recorder benchmark (issue #4).
//!
//! The Python/GStreamer rig encodes live for every client, so at 64 clients of 2 Mbit/s the test
//! camera itself drops RTP packets and the recorder's figure is not honest. This source encodes
//! one clip once (ffmpeg, at bench start), packetises it once into RTP packets, and serves it to
//! any number of clients over RTSP interleaved TCP on 127.0.0.1, each client paced in real time
//! by its own loop; per client the only work is patching sequence number, timestamp and SSRC into
//! a copied 16-byte header and one `write` per batch of due packets.
//!
//! The clip is read as an Annex-B `.h264` (with access unit delimiters, so access units need no
//! slice-header parsing) and an ADTS `.aac`, both written by ffmpeg and parsed here, rather than
//! demuxed from an MP4 with the `mp4` crate: no new dependency, and the elementary streams are
//! exactly what goes on the wire.
//!
//! The server runs in a child process of the bench (`recorder --serve-loop --clip-dir DIR`), so
//! the bench process's own CPU and memory (from `/proc/self`) are the recorder's alone. The child
//! prints `READY <port>`, serves until it reads `STOP` (or EOF) on stdin, then ends every session
//! (FIN, then it drains what the client still sends, at most 30 s), prints one `STATS …` line for
//! every session that played (also those the clients closed earlier) and exits.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::Arc;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Frame rate of the clip (`testsrc2 … rate=25`).
pub const FPS: u64 = 25;
/// Clip length: 16 s is 400 video frames and exactly 750 AAC frames of 1024 samples at 48 kHz,
/// so both tracks loop without a gap or an overlap.
pub const CLIP_SECONDS: u64 = 16;
const VIDEO_CLOCK: u64 = 90_000;
const VIDEO_PT: u8 = 96;
const AUDIO_PT: u8 = 97;
/// Largest RTP payload: a NAL unit larger than this goes out as FU-A fragments.
const MAX_PAYLOAD: usize = 1400;
/// At most this many packets per `write` (a client far behind catches up in steps).
const MAX_BATCH: usize = 512;
/// Packets due within this much of now go out in the same batch.
const SLACK: Duration = Duration::from_millis(2);
/// Longest wait for a client's FIN after ours, at STOP (a loaded client may take a while to read
/// what is queued and seal; the socket must not be closed under it).
const DRAIN: Duration = Duration::from_secs(30);
/// A client's unparsed input beyond this ends the session (not an RTSP client).
const MAX_INPUT: usize = 1 << 20;

const VIDEO_FILE: &str = "clip.h264";
const AUDIO_FILE: &str = "clip.aac";

// ---------------------------------------------------------------------------------------------
// The clip.

/// Encodes the clip into `dir` with ffmpeg (~2 Mbit/s H.264 640x360@25, keyframe every 2 s, no
/// B-frames; AAC-LC 48 kHz mono). Bounded: killed after 120 s.
pub fn make_clip(dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)?;
    let secs = CLIP_SECONDS.to_string();
    let mut child = Command::new("ffmpeg")
        .args(["-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i"])
        .arg(format!("testsrc2=size=640x360:rate={FPS}:duration={secs}"))
        .args(["-f", "lavfi", "-i"])
        .arg(format!(
            "sine=frequency=440:sample_rate=48000:duration={secs}"
        ))
        .args([
            "-map",
            "0:v",
            "-c:v",
            "libx264",
            "-preset",
            "veryfast",
            "-b:v",
            "2M",
            "-maxrate",
            "2M",
            "-bufsize",
            "1M",
            "-g",
            "50",
            "-keyint_min",
            "50",
            "-sc_threshold",
            "0",
            "-bf",
            "0",
            "-pix_fmt",
            "yuv420p",
            "-profile:v",
            "main",
            "-bsf:v",
            "h264_metadata=aud=insert",
            "-f",
            "h264",
        ])
        .arg(dir.join(VIDEO_FILE))
        .args([
            "-map", "1:a", "-c:a", "aac", "-b:a", "64k", "-ac", "1", "-f", "adts",
        ])
        .arg(dir.join(AUDIO_FILE))
        .stdin(Stdio::null())
        .spawn()
        .context("cannot run ffmpeg (install it: apt-get install -y ffmpeg)")?;
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if let Some(status) = child.try_wait()? {
            ensure!(
                status.success(),
                "ffmpeg failed to encode the clip: {status}"
            );
            return Ok(());
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            bail!("ffmpeg took over 120 s to encode the clip");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// One RTP packet of the clip, without its RTP header.
struct Packet {
    /// Send time from the start of the loop, µs.
    at_us: u64,
    /// 0 video, 1 audio.
    track: usize,
    /// Timestamp from the start of the loop, in the track's clock.
    ts: u32,
    /// Index among the loop's packets of this track (sequence number offset).
    seq: u32,
    marker: bool,
    /// The last packet of a video access unit, or an audio packet: one frame complete.
    frame_end: bool,
    payload: Box<[u8]>,
}

/// The clip, packetised once.
pub struct Clip {
    sps: Vec<u8>,
    pps: Vec<u8>,
    /// AudioSpecificConfig.
    asc: [u8; 2],
    audio_rate: u32,
    channels: u8,
    packets: Vec<Packet>,
    period_us: u64,
    /// Per track: timestamp and sequence number advance of one loop.
    period_ticks: [u64; 2],
    packets_per_loop: [u64; 2],
    pub video_frames: u64,
    pub audio_frames: u64,
    pub bytes: u64,
}

/// NAL units of an Annex-B stream (start codes removed, trailing zero bytes trimmed).
fn annex_b(data: &[u8]) -> Vec<&[u8]> {
    let mut starts = Vec::new();
    let mut i = 0;
    while i + 3 <= data.len() {
        if data[i] == 0 && data[i + 1] == 0 && data[i + 2] == 1 {
            starts.push(i + 3);
            i += 3;
        } else {
            i += 1;
        }
    }
    let mut nals = Vec::with_capacity(starts.len());
    for (k, &s) in starts.iter().enumerate() {
        let end = starts.get(k + 1).map(|&n| n - 3).unwrap_or(data.len());
        let mut nal = &data[s..end.max(s)];
        while let [rest @ .., 0] = nal {
            nal = rest;
        }
        if !nal.is_empty() {
            nals.push(nal);
        }
    }
    nals
}

/// An ADTS stream, parsed.
struct Adts<'a> {
    /// AudioSpecificConfig.
    asc: [u8; 2],
    rate: u32,
    channels: u8,
    /// Raw AAC frames.
    frames: Vec<&'a [u8]>,
}

fn adts(data: &[u8]) -> anyhow::Result<Adts<'_>> {
    const RATES: [u32; 13] = [
        96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350,
    ];
    let mut frames = Vec::new();
    let mut asc = None;
    let mut i = 0;
    while i + 7 <= data.len() {
        let h = &data[i..];
        ensure!(
            h[0] == 0xff && h[1] & 0xf0 == 0xf0,
            "ADTS: lost sync at byte {i}"
        );
        let header = if h[1] & 1 == 1 { 7 } else { 9 };
        let object = (h[2] >> 6) + 1;
        let sf = (h[2] >> 2) & 0xf;
        let channels = ((h[2] & 1) << 2) | (h[3] >> 6);
        let len = (((h[3] & 3) as usize) << 11) | ((h[4] as usize) << 3) | ((h[5] as usize) >> 5);
        ensure!(h[6] & 3 == 0, "ADTS: one raw data block per frame expected");
        ensure!(
            len > header && i + len <= data.len(),
            "ADTS: bad frame length at {i}"
        );
        let rate = *RATES
            .get(sf as usize)
            .ok_or_else(|| anyhow::anyhow!("ADTS: bad sampling frequency index {sf}"))?;
        let cfg = ((object as u16) << 11) | ((sf as u16) << 7) | ((channels as u16) << 3);
        asc.get_or_insert((cfg.to_be_bytes(), rate, channels));
        frames.push(&h[header..len]);
        i += len;
    }
    let (asc, rate, channels) = asc.ok_or_else(|| anyhow::anyhow!("ADTS: no frame"))?;
    Ok(Adts {
        asc,
        rate,
        channels,
        frames,
    })
}

impl Clip {
    /// Reads the clip [`make_clip`] wrote into `dir` and packetises it.
    pub fn load(dir: &Path) -> anyhow::Result<Clip> {
        let video = std::fs::read(dir.join(VIDEO_FILE))?;
        let audio = std::fs::read(dir.join(AUDIO_FILE))?;
        Self::packetise(&video, &audio)
    }

    fn packetise(video: &[u8], audio: &[u8]) -> anyhow::Result<Clip> {
        // Access units, split at the delimiters (NAL type 9); parameter sets kept aside and
        // sent again before every IDR picture.
        let mut sps = None;
        let mut pps = None;
        let mut units: Vec<Vec<&[u8]>> = Vec::new();
        for nal in annex_b(video) {
            match nal[0] & 0x1f {
                9 => units.push(Vec::new()),
                7 => {
                    sps.get_or_insert_with(|| nal.to_vec());
                }
                8 => {
                    pps.get_or_insert_with(|| nal.to_vec());
                }
                _ => match units.last_mut() {
                    Some(u) => u.push(nal),
                    None => bail!("the H.264 clip has no access unit delimiters"),
                },
            }
        }
        units.retain(|u| !u.is_empty());
        let (Some(sps), Some(pps)) = (sps, pps) else {
            bail!("the H.264 clip has no SPS/PPS");
        };
        ensure!(sps.len() >= 4, "SPS too short");
        ensure!(
            units
                .first()
                .is_some_and(|u| u.iter().any(|n| n[0] & 0x1f == 5)),
            "the H.264 clip does not start with an IDR picture"
        );
        let video_frames = units.len() as u64;
        let period_us = video_frames * 1_000_000 / FPS;
        let tick = VIDEO_CLOCK / FPS;

        let mut packets = Vec::new();
        let mut seq = 0u32;
        let mut bytes = 0u64;
        for (j, unit) in units.iter().enumerate() {
            let idr = unit.iter().any(|n| n[0] & 0x1f == 5);
            let mut nals: Vec<&[u8]> = Vec::new();
            if idr {
                nals.push(&sps);
                nals.push(&pps);
            }
            nals.extend(unit.iter().copied());
            let mut payloads: Vec<Box<[u8]>> = Vec::new();
            for nal in nals {
                if nal.len() <= MAX_PAYLOAD {
                    payloads.push(nal.into());
                    continue;
                }
                // FU-A (RFC 6184 5.8).
                let indicator = (nal[0] & 0xe0) | 28;
                let kind = nal[0] & 0x1f;
                let body = &nal[1..];
                let chunks = body.chunks(MAX_PAYLOAD - 2).count();
                for (c, chunk) in body.chunks(MAX_PAYLOAD - 2).enumerate() {
                    let mut header = kind;
                    if c == 0 {
                        header |= 0x80;
                    }
                    if c + 1 == chunks {
                        header |= 0x40;
                    }
                    let mut p = Vec::with_capacity(chunk.len() + 2);
                    p.extend_from_slice(&[indicator, header]);
                    p.extend_from_slice(chunk);
                    payloads.push(p.into());
                }
            }
            let n = payloads.len();
            for (k, payload) in payloads.into_iter().enumerate() {
                bytes += payload.len() as u64;
                packets.push(Packet {
                    at_us: j as u64 * 1_000_000 / FPS,
                    track: 0,
                    ts: (j as u64 * tick) as u32,
                    seq,
                    marker: k + 1 == n,
                    frame_end: k + 1 == n,
                    payload,
                });
                seq += 1;
            }
        }
        let video_packets = seq as u64;

        // AAC (RFC 3640 AAC-hbr): one access unit per packet behind a 16-bit AU-header
        // (13 bits size, 3 bits index). Only the frames that fit in the video's length loop.
        let Adts {
            asc,
            rate: audio_rate,
            channels,
            frames,
        } = adts(audio)?;
        let audio_period = period_us * audio_rate as u64 / 1_000_000;
        let keep = (audio_period / 1024) as usize;
        let mut audio_frames = 0;
        for (m, frame) in frames.iter().take(keep).enumerate() {
            ensure!(
                frame.len() < 1 << 13,
                "AAC frame too large for a 13-bit AU size"
            );
            let size = (frame.len() as u16) << 3;
            let mut p = Vec::with_capacity(frame.len() + 4);
            p.extend_from_slice(&16u16.to_be_bytes());
            p.extend_from_slice(&size.to_be_bytes());
            p.extend_from_slice(frame);
            bytes += p.len() as u64;
            let ts = m as u64 * 1024;
            packets.push(Packet {
                at_us: ts * 1_000_000 / audio_rate as u64,
                track: 1,
                ts: ts as u32,
                seq: m as u32,
                marker: true,
                frame_end: true,
                payload: p.into(),
            });
            audio_frames += 1;
        }
        packets.sort_by_key(|p| (p.at_us, p.track));
        Ok(Clip {
            sps,
            pps,
            asc,
            audio_rate,
            channels,
            packets,
            period_us,
            period_ticks: [video_frames * tick, audio_period],
            packets_per_loop: [video_packets, audio_frames],
            video_frames,
            audio_frames,
            bytes,
        })
    }

    /// The clip's bit rate on the wire (RTP payloads), bit/s.
    pub fn bitrate(&self) -> f64 {
        self.bytes as f64 * 8.0 / (self.period_us as f64 / 1e6)
    }

    fn sdp(&self) -> String {
        let profile = format!("{:02x}{:02x}{:02x}", self.sps[1], self.sps[2], self.sps[3]);
        format!(
            "v=0\r\n\
             o=- 1 1 IN IP4 127.0.0.1\r\n\
             s=glassroom loop camera\r\n\
             c=IN IP4 127.0.0.1\r\n\
             t=0 0\r\n\
             m=video 0 RTP/AVP {VIDEO_PT}\r\n\
             a=rtpmap:{VIDEO_PT} H264/90000\r\n\
             a=fmtp:{VIDEO_PT} packetization-mode=1;profile-level-id={profile};sprop-parameter-sets={},{}\r\n\
             a=control:trackID=0\r\n\
             m=audio 0 RTP/AVP {AUDIO_PT}\r\n\
             a=rtpmap:{AUDIO_PT} mpeg4-generic/{}/{}\r\n\
             a=fmtp:{AUDIO_PT} streamtype=5;profile-level-id=1;mode=AAC-hbr;sizelength=13;indexlength=3;indexdeltalength=3;config={:02x}{:02x}\r\n\
             a=control:trackID=1\r\n",
            base64(&self.sps),
            base64(&self.pps),
            self.audio_rate,
            self.channels,
            self.asc[0],
            self.asc[1],
        )
    }
}

fn base64(data: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for c in data.chunks(3) {
        let b = [
            c[0],
            c.get(1).copied().unwrap_or(0),
            c.get(2).copied().unwrap_or(0),
        ];
        let n = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
        for k in 0..4 {
            if k <= c.len() {
                out.push(A[(n >> (18 - 6 * k) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// The server (child process).

/// What the sessions that played did (all of them, also those the client closed before STOP).
#[derive(Debug, Default, Clone, Copy)]
pub struct Stats {
    pub sessions: u64,
    /// Sessions the client closed before STOP (a recorder's watchdog gave up on them).
    pub closed_early: u64,
    /// Σ seconds from PLAY to the end of the session.
    pub play_s: f64,
    pub video_frames: u64,
    pub audio_frames: u64,
    pub packets: u64,
    /// Largest delay of a packet behind its schedule, any session, ms.
    pub max_lag_ms: f64,
    /// Delay of the next packet behind its schedule when the session ended, worst session, ms.
    pub final_lag_ms: f64,
}

impl Stats {
    fn add(&mut self, o: &Stats) {
        self.sessions += o.sessions;
        self.closed_early += o.closed_early;
        self.play_s += o.play_s;
        self.video_frames += o.video_frames;
        self.audio_frames += o.audio_frames;
        self.packets += o.packets;
        self.max_lag_ms = self.max_lag_ms.max(o.max_lag_ms);
        self.final_lag_ms = self.final_lag_ms.max(o.final_lag_ms);
    }

    fn line(&self) -> String {
        format!(
            "STATS sessions={} closed_early={} play_s={:.3} video_frames={} audio_frames={} packets={} max_lag_ms={:.1} final_lag_ms={:.1}",
            self.sessions,
            self.closed_early,
            self.play_s,
            self.video_frames,
            self.audio_frames,
            self.packets,
            self.max_lag_ms,
            self.final_lag_ms
        )
    }

    fn parse(line: &str) -> Option<Stats> {
        let mut s = Stats::default();
        for kv in line.strip_prefix("STATS ")?.split_whitespace() {
            let (k, v) = kv.split_once('=')?;
            match k {
                "sessions" => s.sessions = v.parse().ok()?,
                "closed_early" => s.closed_early = v.parse().ok()?,
                "play_s" => s.play_s = v.parse().ok()?,
                "video_frames" => s.video_frames = v.parse().ok()?,
                "audio_frames" => s.audio_frames = v.parse().ok()?,
                "packets" => s.packets = v.parse().ok()?,
                "max_lag_ms" => s.max_lag_ms = v.parse().ok()?,
                "final_lag_ms" => s.final_lag_ms = v.parse().ok()?,
                _ => {}
            }
        }
        Some(s)
    }
}

/// `--serve-loop --clip-dir DIR [--port P] [--max-seconds S]`: the child process's main.
pub async fn serve_main(clip_dir: PathBuf, port: u16, max_seconds: u64) -> anyhow::Result<()> {
    let clip = Arc::new(Clip::load(&clip_dir)?);
    let listener = TcpListener::bind(("127.0.0.1", port)).await?;
    let port = listener.local_addr()?.port();
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "READY {port}")?;
        out.flush()?;
    }
    // STOP (or EOF: the bench is gone) on stdin ends the server.
    let (stop_tx, stop) = tokio::sync::watch::channel(false);
    std::thread::spawn(move || {
        let mut line = String::new();
        let mut stdin = std::io::stdin().lock();
        loop {
            line.clear();
            match stdin.read_line(&mut line) {
                Ok(0) | Err(_) => break,
                Ok(_) if line.trim() == "STOP" => break,
                Ok(_) => {}
            }
        }
        let _ = stop_tx.send(true);
    });
    let deadline = tokio::time::Instant::now() + Duration::from_secs(max_seconds);
    let mut sessions = tokio::task::JoinSet::new();
    let mut next_id = 0u64;
    let mut total = Stats::default();
    let mut stop_rx = stop.clone();
    loop {
        tokio::select! {
            _ = stop_rx.changed() => break,
            _ = tokio::time::sleep_until(deadline) => break,
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let _ = stream.set_nodelay(true);
                next_id += 1;
                sessions.spawn(session(stream, clip.clone(), next_id, stop.clone()));
            }
        }
        while let Some(done) = sessions.try_join_next() {
            if let Ok(Some(s)) = done {
                total.add(&s);
            }
        }
    }
    drop(listener);
    let _ = tokio::time::timeout(DRAIN + Duration::from_secs(2), async {
        while let Some(done) = sessions.join_next().await {
            if let Ok(Some(s)) = done {
                total.add(&s);
            }
        }
    })
    .await;
    sessions.abort_all();
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", total.line())?;
    out.flush()?;
    Ok(())
}

/// A parsed RTSP request.
struct Request {
    method: String,
    url: String,
    headers: Vec<(String, String)>,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

enum Input {
    /// An interleaved frame from the client (RTCP receiver reports): ignored.
    Data,
    Request(Request),
}

/// The next complete message at the front of `buf`, removed from it.
fn take_message(buf: &mut Vec<u8>) -> Result<Option<Input>, String> {
    if buf.is_empty() {
        return Ok(None);
    }
    if buf[0] == b'$' {
        if buf.len() < 4 {
            return Ok(None);
        }
        let n = 4 + u16::from_be_bytes([buf[2], buf[3]]) as usize;
        if buf.len() < n {
            return Ok(None);
        }
        buf.drain(..n);
        return Ok(Some(Input::Data));
    }
    let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
        return Ok(None);
    };
    let head = std::str::from_utf8(&buf[..end]).map_err(|_| "request is not UTF-8")?;
    let mut lines = head.split("\r\n");
    let first = lines.next().unwrap_or("");
    let mut parts = first.split_whitespace();
    let (Some(method), Some(url)) = (parts.next(), parts.next()) else {
        return Err(format!("bad request line {first:?}"));
    };
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let req = Request {
        method: method.to_owned(),
        url: url.to_owned(),
        headers,
    };
    let body = req
        .header("Content-Length")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(0);
    if buf.len() < end + 4 + body {
        return Ok(None);
    }
    buf.drain(..end + 4 + body);
    Ok(Some(Input::Request(req)))
}

/// A cheap 64-bit mix (splitmix64), for per-session SSRCs, sequence numbers and timestamps.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

struct Playing {
    start: Instant,
    /// Loops completed.
    lap: u64,
    /// Next packet.
    next: usize,
}

struct Session {
    clip: Arc<Clip>,
    id: String,
    base: String,
    /// Per track: the interleaved RTP channel, once SET UP.
    channel: [Option<u8>; 2],
    ssrc: [u32; 2],
    seq0: [u16; 2],
    ts0: [u32; 2],
    playing: Option<Playing>,
    stats: Stats,
}

impl Session {
    fn due(&self, p: &Playing) -> Instant {
        let at = p.lap * self.clip.period_us + self.clip.packets[p.next].at_us;
        p.start + Duration::from_micros(at)
    }

    /// Answers one request; whether the session goes on.
    fn answer(&mut self, req: &Request, out: &mut Vec<u8>) -> bool {
        let cseq = req.header("CSeq").unwrap_or("0").to_owned();
        let mut go_on = true;
        let (status, headers, body): (&str, Vec<String>, String) = match req.method.as_str() {
            "OPTIONS" => (
                "200 OK",
                vec![
                    "Public: OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN, GET_PARAMETER, SET_PARAMETER"
                        .into(),
                ],
                String::new(),
            ),
            "DESCRIBE" => {
                self.base = format!("{}/", req.url.trim_end_matches('/'));
                (
                    "200 OK",
                    vec![
                        format!("Content-Base: {}", self.base),
                        "Content-Type: application/sdp".into(),
                    ],
                    self.clip.sdp(),
                )
            }
            "SETUP" => {
                let track = usize::from(req.url.trim_end_matches('/').ends_with("trackID=1"));
                let transport = req.header("Transport").unwrap_or("");
                if !transport.contains("TCP") {
                    ("461 Unsupported Transport", vec![], String::new())
                } else {
                    let ch = transport
                        .split(';')
                        .find_map(|p| p.trim().strip_prefix("interleaved="))
                        .and_then(|v| v.split('-').next())
                        .and_then(|v| v.parse::<u8>().ok())
                        .unwrap_or(track as u8 * 2);
                    self.channel[track] = Some(ch);
                    (
                        "200 OK",
                        vec![
                            format!("Session: {};timeout=60", self.id),
                            format!(
                                "Transport: RTP/AVP/TCP;unicast;interleaved={}-{};ssrc={:08X}",
                                ch,
                                ch.wrapping_add(1),
                                self.ssrc[track]
                            ),
                        ],
                        String::new(),
                    )
                }
            }
            "PLAY" if self.channel.iter().all(Option::is_none) => {
                ("455 Method Not Valid in This State", vec![], String::new())
            }
            "PLAY" => {
                let info: Vec<String> = (0..2)
                    .filter(|&t| self.channel[t].is_some())
                    .map(|t| {
                        format!(
                            "url={}trackID={t};seq={};rtptime={}",
                            self.base, self.seq0[t], self.ts0[t]
                        )
                    })
                    .collect();
                if self.playing.is_none() {
                    self.playing = Some(Playing {
                        start: Instant::now(),
                        lap: 0,
                        next: 0,
                    });
                }
                (
                    "200 OK",
                    vec![
                        format!("Session: {};timeout=60", self.id),
                        "Range: npt=0.000-".into(),
                        format!("RTP-Info: {}", info.join(",")),
                    ],
                    String::new(),
                )
            }
            "GET_PARAMETER" | "SET_PARAMETER" => (
                "200 OK",
                vec![format!("Session: {};timeout=60", self.id)],
                String::new(),
            ),
            "TEARDOWN" => {
                go_on = false;
                (
                    "200 OK",
                    vec![format!("Session: {}", self.id)],
                    String::new(),
                )
            }
            _ => ("501 Not Implemented", vec![], String::new()),
        };
        out.extend_from_slice(format!("RTSP/1.0 {status}\r\nCSeq: {cseq}\r\n").as_bytes());
        for h in headers {
            out.extend_from_slice(h.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        if !body.is_empty() {
            out.extend_from_slice(format!("Content-Length: {}\r\n", body.len()).as_bytes());
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(body.as_bytes());
        go_on
    }

    /// Appends every packet due by `now` (at most [`MAX_BATCH`]) to `out`; the frames they
    /// complete (video, audio).
    fn batch(&mut self, now: Instant, out: &mut Vec<u8>) -> (u64, u64) {
        let Some(mut p) = self.playing.take() else {
            return (0, 0);
        };
        let clip = self.clip.clone();
        let mut frames = (0, 0);
        for _ in 0..MAX_BATCH {
            let due = self.due(&p);
            if due > now + SLACK {
                break;
            }
            let lag = now.saturating_duration_since(due).as_secs_f64() * 1e3;
            self.stats.max_lag_ms = self.stats.max_lag_ms.max(lag);
            let pkt = &clip.packets[p.next];
            if let Some(ch) = self.channel[pkt.track] {
                let t = pkt.track;
                let seq = (self.seq0[t] as u64 + p.lap * clip.packets_per_loop[t] + pkt.seq as u64)
                    as u16;
                let ts = (self.ts0[t] as u64 + p.lap * clip.period_ticks[t] + pkt.ts as u64) as u32;
                let pt = if t == 0 { VIDEO_PT } else { AUDIO_PT };
                let len = (12 + pkt.payload.len()) as u16;
                out.extend_from_slice(&[b'$', ch]);
                out.extend_from_slice(&len.to_be_bytes());
                out.extend_from_slice(&[0x80, pt | if pkt.marker { 0x80 } else { 0 }]);
                out.extend_from_slice(&seq.to_be_bytes());
                out.extend_from_slice(&ts.to_be_bytes());
                out.extend_from_slice(&self.ssrc[t].to_be_bytes());
                out.extend_from_slice(&pkt.payload);
                self.stats.packets += 1;
                if pkt.frame_end {
                    if t == 0 {
                        frames.0 += 1;
                    } else {
                        frames.1 += 1;
                    }
                }
            }
            p.next += 1;
            if p.next == clip.packets.len() {
                p.next = 0;
                p.lap += 1;
            }
        }
        self.playing = Some(p);
        frames
    }
}

/// One client, until it leaves or STOP; what it was sent, if it played.
async fn session(
    mut stream: TcpStream,
    clip: Arc<Clip>,
    n: u64,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> Option<Stats> {
    let r = mix(n);
    let mut s = Session {
        clip,
        id: format!("{:016X}", mix(r)),
        base: "rtsp://127.0.0.1/loop/".into(),
        channel: [None, None],
        ssrc: [r as u32, (r >> 32) as u32],
        // Away from 0 and 1 (which some clients ignore in RTP-Info).
        seq0: [
            (mix(r ^ 1) % 60_000 + 1000) as u16,
            (mix(r ^ 2) % 60_000 + 1000) as u16,
        ],
        ts0: [mix(r ^ 3) as u32, mix(r ^ 4) as u32],
        playing: None,
        stats: Stats::default(),
    };
    let mut input = Vec::with_capacity(4096);
    let mut out = Vec::with_capacity(64 * 1024);
    let mut chunk = [0u8; 4096];
    // Whether STOP ended it (else the client left, or broke the protocol).
    let stopped = loop {
        // Requests (and RTCP, ignored) that are complete.
        out.clear();
        let mut go_on = true;
        loop {
            match take_message(&mut input) {
                Ok(Some(Input::Data)) => {}
                Ok(Some(Input::Request(req))) => {
                    if !s.answer(&req, &mut out) {
                        go_on = false;
                        break;
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    eprintln!("loop camera: session {n}: {e}");
                    go_on = false;
                    break;
                }
            }
        }
        if !out.is_empty() && stream.write_all(&out).await.is_err() {
            break false;
        }
        if !go_on || input.len() > MAX_INPUT {
            break false;
        }
        let due = s.playing.as_ref().map(|p| s.due(p));
        tokio::select! {
            read = stream.read(&mut chunk) => match read {
                Ok(0) | Err(_) => break false,
                Ok(k) => input.extend_from_slice(&chunk[..k]),
            },
            _ = tokio::time::sleep_until(due.unwrap_or_else(Instant::now).into()), if due.is_some() => {
                out.clear();
                let frames = s.batch(Instant::now(), &mut out);
                if stream.write_all(&out).await.is_err() {
                    break false;
                }
                s.stats.video_frames += frames.0;
                s.stats.audio_frames += frames.1;
            }
            _ = stop.changed() => break true,
        }
    };
    let now = Instant::now();
    if let Some(p) = &s.playing {
        s.stats.sessions = 1;
        s.stats.closed_early = u64::from(!stopped);
        s.stats.play_s = now.duration_since(p.start).as_secs_f64();
        s.stats.final_lag_ms = now.saturating_duration_since(s.due(p)).as_secs_f64() * 1e3;
    }
    if stopped {
        // FIN, then drain until the client closes (bounded): it reads all that was sent.
        let _ = stream.shutdown().await;
        let _ = tokio::time::timeout(DRAIN, async {
            while let Ok(k) = stream.read(&mut chunk).await {
                if k == 0 {
                    break;
                }
            }
        })
        .await;
    }
    s.playing.is_some().then_some(s.stats)
}

// ---------------------------------------------------------------------------------------------
// The bench's handle on the child.

/// The looping camera, a child process of the bench. Dropping it kills the child (by its PID,
/// through its `Child` handle) and waits for it.
pub struct LoopCamera {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: mpsc::Receiver<String>,
    port: u16,
    reaped: bool,
}

impl LoopCamera {
    /// Starts `current_exe --serve-loop --clip-dir DIR` and waits (≤ 30 s) for its port.
    pub fn start(clip_dir: &Path) -> anyhow::Result<LoopCamera> {
        let mut child = Command::new(std::env::current_exe()?)
            .arg("--serve-loop")
            .arg("--clip-dir")
            .arg(clip_dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()?;
        let stdin = child.stdin.take();
        let (tx, lines) = mpsc::channel();
        if let Some(pipe) = child.stdout.take() {
            std::thread::spawn(move || {
                for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                    if tx.send(line).is_err() {
                        break;
                    }
                }
            });
        }
        let mut cam = LoopCamera {
            child,
            stdin,
            lines,
            port: 0,
            reaped: false,
        };
        let line = cam.wait_line("READY ", Duration::from_secs(30))?;
        cam.port = line.trim().parse().context("READY without a port")?;
        Ok(cam)
    }

    pub fn url(&self) -> String {
        format!("rtsp://127.0.0.1:{}/loop", self.port)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    fn wait_line(&mut self, prefix: &str, within: Duration) -> anyhow::Result<String> {
        let deadline = Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    if let Some(rest) = line.strip_prefix(prefix) {
                        return Ok(rest.to_owned());
                    }
                }
                Err(RecvTimeoutError::Timeout) => bail!("loop camera: no `{prefix}` in {within:?}"),
                Err(RecvTimeoutError::Disconnected) => bail!("loop camera exited"),
            }
        }
    }

    /// Ends every session (each client reads what was sent, then EOF) and the process; what the
    /// sessions that played got.
    pub fn stop(mut self) -> anyhow::Result<Stats> {
        if let Some(mut stdin) = self.stdin.take() {
            let _ = stdin.write_all(b"STOP\n");
            let _ = stdin.flush();
        }
        let line = self.wait_line("STATS ", DRAIN + Duration::from_secs(10));
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                self.reaped = true;
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let line = line?;
        Stats::parse(&format!("STATS {line}"))
            .ok_or_else(|| anyhow::anyhow!("loop camera: bad STATS line {line:?}"))
    }
}

impl Drop for LoopCamera {
    fn drop(&mut self) {
        if !self.reaped {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_pads() {
        assert_eq!(base64(b"M"), "TQ==");
        assert_eq!(base64(b"Ma"), "TWE=");
        assert_eq!(base64(b"Man"), "TWFu");
        assert_eq!(base64(&[0x67, 0x4d, 0x40, 0x1e]), "Z01AHg==");
    }

    #[test]
    fn annex_b_splits() {
        let d = [
            0, 0, 0, 1, 9, 0xf0, 0, 0, 1, 0x67, 1, 2, 0, 0, 0, 1, 0x65, 7,
        ];
        let n = annex_b(&d);
        assert_eq!(n, vec![&[9u8, 0xf0][..], &[0x67, 1, 2], &[0x65, 7]]);
    }
}

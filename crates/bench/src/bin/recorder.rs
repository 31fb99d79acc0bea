//! Benchmark for issue #4: CPU and memory per recorded stream, the recorder beside `ffmpeg -c copy`
//! recording the same streams into fragmented-MP4 segments, in one run; and how many streams the
//! recorder takes without losing a frame.
//!
//! `cargo run --release -p glassroom-bench --bin recorder -- --streams 16 --seconds 20`
//!
//! Sources (`--source`):
//! * `loop` (default): a pre-encoded clip (~2 Mbit/s H.264 640x360@25 + AAC 48 kHz, encoded once
//!   with ffmpeg at start) looped in real time to every client by an RTSP server in a child
//!   process of this binary (`--serve-loop`, see `loopcam.rs`), so this process's CPU and memory
//!   are the recorder's alone. Needs ffmpeg.
//! * `rig`: the recorder tests' Python/GStreamer camera (`/big` mount), which encodes live per
//!   client (`--shared`: one pipeline for all); it drops packets itself at many clients. Needs
//!   `sh crates/recorder/tests/rig/install.sh`.
//!
//! `--no-ffmpeg` measures the recorder alone. `--out DIR` puts the segments (and the clip) under
//! DIR instead of the system's temporary directory (`/dev/shm`: without the disk).

#[path = "../../../recorder/tests/rig/mod.rs"]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod rig;

#[path = "../args.rs"]
mod args;
use args::arg;

#[path = "../loopcam.rs"]
mod loopcam;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use glassroom_recorder::capture::{self, InputConfig};
use glassroom_recorder::{Gap, InputState, Sealed, Sink};

/// (user + system CPU seconds, resident KiB) of a process, from /proc.
fn usage(pid: &str) -> (f64, u64) {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // Fields after the command: state is [0]; utime is field 14 overall → [11], stime [12].
    let cpu = (ticks(11) + ticks(12)) / 100.0;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let rss = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    (cpu, rss)
}

/// CPU seconds of a process (0 without one).
fn cpu_of(pid: Option<u32>) -> f64 {
    pid.map(|p| usage(&p.to_string()).0).unwrap_or(0.0)
}

#[derive(Default)]
struct Count {
    sealed: u64,
    frames: u64,
    audio_frames: u64,
    lost: u64,
    gaps: u64,
    /// Sessions that ended (the camera closed them): state Reconnecting.
    ended: u64,
}

struct Counter(Arc<Mutex<Count>>);

#[async_trait::async_trait]
impl Sink for Counter {
    async fn sealed(&self, _: i64, s: Sealed) {
        if let Ok(mut c) = self.0.lock() {
            c.sealed += 1;
            c.frames += s.video_frames;
            c.audio_frames += s.audio_frames;
            c.lost += s.lost_packets;
        }
        let _ = std::fs::remove_file(&s.path);
    }
    async fn gap(&self, _: i64, _: Gap) {
        if let Ok(mut c) = self.0.lock() {
            c.gaps += 1;
        }
    }
    async fn state(&self, _: i64, s: InputState, _: &str) {
        if s == InputState::Reconnecting
            && let Ok(mut c) = self.0.lock()
        {
            c.ended += 1;
        }
    }
}

#[allow(clippy::disallowed_methods)] // a benchmark reads the wall clock
fn wall() -> SystemTime {
    SystemTime::now()
}

fn flag(name: &str) -> bool {
    std::env::args().any(|a| a == name)
}

/// Removes a directory (and what is in it) when dropped.
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

enum Source {
    Loop(loopcam::LoopCamera),
    Rig(rig::Camera),
}

impl Source {
    fn url(&self) -> String {
        match self {
            Source::Loop(c) => c.url(),
            Source::Rig(c) => c.url(&arg("--mount", "big".to_string())),
        }
    }

    fn pid(&self) -> u32 {
        match self {
            Source::Loop(c) => c.pid(),
            Source::Rig(c) => c.pid(),
        }
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    if flag("--serve-loop") {
        let dir: String = arg("--clip-dir", String::new());
        anyhow::ensure!(!dir.is_empty(), "--serve-loop needs --clip-dir DIR");
        return loopcam::serve_main(dir.into(), arg("--port", 0), arg("--max-seconds", 3600)).await;
    }
    let streams: usize = arg("--streams", 16);
    let seconds: u64 = arg("--seconds", 20);
    let source: String = arg("--source", "loop".to_string());
    let with_ffmpeg = !flag("--no-ffmpeg");
    // Where the segments (both sides) and the clip go: `--out DIR` (e.g. /dev/shm to take the
    // disk out of the figure), the system's temporary directory by default.
    let out: PathBuf = arg("--out", std::env::temp_dir());
    let dir = TempDir(out.join(format!("glassroom_bench_rec_{}", std::process::id())));
    let _ = std::fs::remove_dir_all(&dir.0);
    std::fs::create_dir_all(&dir.0)?;

    let clip_dir = dir.0.join("clip");
    match source.as_str() {
        "loop" => {
            loopcam::make_clip(&clip_dir)?;
            let clip = loopcam::Clip::load(&clip_dir)?;
            println!(
                "loop camera: {} s clip (H.264 640x360@{} + AAC, {} video / {} audio frames), {:.2} Mbit/s of RTP payload, looped per client",
                loopcam::CLIP_SECONDS,
                loopcam::FPS,
                clip.video_frames,
                clip.audio_frames,
                clip.bitrate() / 1e6
            );
        }
        "rig" => {}
        other => anyhow::bail!("--source {other}: expected loop or rig"),
    }
    // A fresh camera for each side, so the loop camera's report covers the recorder's sessions
    // only.
    let start = || -> anyhow::Result<Source> {
        if source == "loop" {
            return Ok(Source::Loop(loopcam::LoopCamera::start(&clip_dir)?));
        }
        // One encoder per client by default (the rig's shared mode disturbs clients that are
        // already attached when another joins); `--shared` for many streams.
        let cam = if flag("--shared") {
            rig::Camera::start_shared()
        } else {
            rig::Camera::start()
        };
        Ok(Source::Rig(cam.ok_or_else(|| {
            anyhow::anyhow!("the camera rig is not installed")
        })?))
    };
    println!(
        "{streams} streams ({}), {seconds} s measured after 3 s of warm-up, each side; segments under {}",
        match (source.as_str(), flag("--shared")) {
            ("loop", _) => "pre-encoded loop camera in its own process",
            (_, true) => "rig, one shared camera pipeline",
            (_, false) => "rig, one camera pipeline per stream",
        },
        out.display()
    );

    // ffmpeg -c copy: one process per stream, 10 s fragmented-MP4 segments.
    let mut ff_per = 0.0;
    if with_ffmpeg {
        let cam = start()?;
        let (url, cam_pid) = (cam.url(), Some(cam.pid()));
        let mut children = Vec::new();
        for i in 0..streams {
            let out = dir.0.join(format!("ff{i}"));
            std::fs::create_dir_all(&out)?;
            let child = std::process::Command::new("ffmpeg")
                .args([
                    "-nostdin",
                    "-loglevel",
                    "error",
                    "-rtsp_transport",
                    "tcp",
                    "-i",
                    &url,
                    "-c",
                    "copy",
                    "-f",
                    "segment",
                    "-segment_time",
                    "10",
                    "-segment_format",
                    "mp4",
                    "-segment_format_options",
                    "movflags=+frag_keyframe+empty_moov+default_base_moof",
                ])
                .arg(out.join("seg%05d.mp4"))
                .stdout(std::process::Stdio::null())
                .spawn();
            match child {
                Ok(c) => children.push(c),
                Err(e) => {
                    for c in &mut children {
                        let _ = c.kill();
                        let _ = c.wait();
                    }
                    return Err(e.into());
                }
            }
        }
        tokio::time::sleep(Duration::from_secs(3)).await; // connect, then measure a steady state
        let before: Vec<(f64, u64)> = children
            .iter()
            .map(|c| usage(&c.id().to_string()))
            .collect();
        let cam0 = cpu_of(cam_pid);
        let t0 = Instant::now();
        tokio::time::sleep(Duration::from_secs(seconds)).await;
        let after: Vec<(f64, u64)> = children
            .iter()
            .map(|c| usage(&c.id().to_string()))
            .collect();
        let cam1 = cpu_of(cam_pid);
        let wall_s = t0.elapsed().as_secs_f64();
        let running = children
            .iter_mut()
            .map(|c| c.try_wait())
            .filter(|r| matches!(r, Ok(None)))
            .count();
        for c in &mut children {
            let _ = c.kill();
            let _ = c.wait();
        }
        let ff_cpu: f64 = after
            .iter()
            .zip(&before)
            .map(|(a, b)| a.0 - b.0)
            .sum::<f64>()
            / wall_s;
        let ff_rss: u64 = after.iter().map(|a| a.1).sum();
        ff_per = ff_cpu / streams as f64;
        println!(
            "ffmpeg -c copy     CPU {:>6.2} % of a core per stream   RSS {:>6.1} MB per stream   ({running}/{streams} still running at the end; camera {:.1} % of a core)",
            100.0 * ff_per,
            ff_rss as f64 / 1024.0 / streams as f64,
            100.0 * (cam1 - cam0) / wall_s,
        );
        for i in 0..streams {
            let _ = std::fs::remove_dir_all(dir.0.join(format!("ff{i}")));
        }
        drop(cam);
    }

    // The recorder, in this process.
    let cam = start()?;
    let (url, cam_pid) = (cam.url(), Some(cam.pid()));
    let count = Arc::new(Mutex::new(Count::default()));
    let (stop, rx) = tokio::sync::watch::channel(false);
    let now: capture::Now = Arc::new(wall);
    let (_, rss0) = usage("self");
    let started = Instant::now();
    let mut tasks = Vec::new();
    for i in 0..streams {
        let mut cfg = InputConfig::new(i as i64, &url, dir.0.join(format!("gr{i}")), "seg");
        cfg.segment = Duration::from_secs(10);
        tasks.push(tokio::spawn(capture::run(
            cfg,
            Arc::new(Counter(count.clone())),
            now.clone(),
            rx.clone(),
        )));
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    let (cpu0, _) = usage("self");
    let cam0 = cpu_of(cam_pid);
    let t0 = Instant::now();
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    let (cpu1, rss1) = usage("self");
    let cam1 = cpu_of(cam_pid);
    let wall_s = t0.elapsed().as_secs_f64();
    // The loop camera ends every session first (FIN after the last packet), so the recorder
    // reads everything that was sent before it seals: then sent == recorded unless a frame was
    // lost. Up to 30 s (plus 50 ms per stream) for every input to see the end and seal.
    let span_s = started.elapsed().as_secs_f64();
    let sent = match cam {
        Source::Loop(c) => {
            // Blocking (it waits for the child's report): off the runtime's two workers.
            let stats = tokio::task::spawn_blocking(move || c.stop()).await??;
            let deadline = Instant::now()
                + Duration::from_secs(30)
                + Duration::from_millis(50) * streams as u32;
            while Instant::now() < deadline
                && count.lock().map(|c| c.ended).unwrap_or(0) < streams as u64
            {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Some(stats)
        }
        Source::Rig(c) => {
            drop(c);
            None
        }
    };
    let _ = stop.send(true);
    for t in tasks {
        let _ = t.await;
    }
    let gr_cpu = (cpu1 - cpu0) / wall_s;
    let gr_per = gr_cpu / streams as f64;
    let c = count
        .lock()
        .map(|c| (c.sealed, c.frames, c.audio_frames, c.lost, c.gaps, c.ended))
        .unwrap_or_default();
    let gr_rss = rss1.saturating_sub(rss0) as f64 / 1024.0 / streams as f64;
    println!(
        "glassroom recorder CPU {:>6.2} % of a core per stream   RSS {:>6.1} MB per stream (process growth)   (all streams {:.1} % of a core; camera {:.1} % of a core)",
        100.0 * gr_per,
        gr_rss,
        100.0 * gr_cpu,
        100.0 * (cam1 - cam0) / wall_s,
    );
    if with_ffmpeg {
        println!(
            "recorder / ffmpeg CPU per stream: {:.3} (target ≤ 0.2)",
            gr_per / ff_per
        );
    }
    println!(
        "recorder: {} segments sealed, {} video + {} audio frames, {} RTP packets lost, {} gaps, {}/{streams} inputs saw the camera end the stream",
        c.0, c.1, c.2, c.3, c.4, c.5
    );
    if let Some(s) = sent {
        // Real time from starting the recorder to ending the camera, at 25 fps, every stream.
        let expected = (span_s * loopcam::FPS as f64 * streams as f64).round() as u64;
        println!(
            "loop camera: {} sessions ({} closed early by the recorder), {span_s:.1} s of real time per stream: {expected} video frames expected (25 fps), {} sent, {} recorded ({} missing); {} audio frames sent, {} recorded; lag behind real time: max {:.0} ms, at the end {:.0} ms",
            s.sessions,
            s.closed_early,
            s.video_frames,
            c.1,
            s.video_frames as i64 - c.1 as i64,
            s.audio_frames,
            c.2,
            s.max_lag_ms,
            s.final_lag_ms,
        );
        println!(
            "| {streams} | {:.2} % | {:.1} % | {:.1} % | {:.1} MB | {expected} / {} / {} | {} | {} | {:.0} / {:.0} ms |",
            100.0 * gr_per,
            100.0 * gr_cpu,
            100.0 * (cam1 - cam0) / wall_s,
            gr_rss,
            s.video_frames,
            c.1,
            c.3,
            s.closed_early,
            s.max_lag_ms,
            s.final_lag_ms,
        );
    }
    Ok(())
}

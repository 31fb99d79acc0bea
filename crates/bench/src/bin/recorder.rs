//! Benchmark for issue #4: CPU and memory per recorded stream, the recorder beside `ffmpeg -c copy`
//! recording the same streams into fragmented-MP4 segments, in one run; and how many streams the
//! recorder takes without losing a frame.
//!
//! `cargo run --release -p glassroom-bench --bin recorder -- --streams 16 --seconds 20`
//! (needs the camera rig: `sh crates/recorder/tests/rig/install.sh`, and ffmpeg)

#[path = "../../../recorder/tests/rig/mod.rs"]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod rig;

#[path = "../args.rs"]
mod args;
use args::arg;

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

#[derive(Default)]
struct Count {
    sealed: u64,
    frames: u64,
    lost: u64,
    gaps: u64,
}

struct Counter(Arc<Mutex<Count>>);

#[async_trait::async_trait]
impl Sink for Counter {
    async fn sealed(&self, _: i64, s: Sealed) {
        if let Ok(mut c) = self.0.lock() {
            c.sealed += 1;
            c.frames += s.video_frames;
            c.lost += s.lost_packets;
        }
        let _ = std::fs::remove_file(&s.path);
    }
    async fn gap(&self, _: i64, _: Gap) {
        if let Ok(mut c) = self.0.lock() {
            c.gaps += 1;
        }
    }
    async fn state(&self, _: i64, _: InputState, _: &str) {}
}

#[allow(clippy::disallowed_methods)] // a benchmark reads the wall clock
fn wall() -> SystemTime {
    SystemTime::now()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let streams: usize = arg("--streams", 16);
    let seconds: u64 = arg("--seconds", 20);
    let mount: String = arg("--mount", "big".to_string());
    // One encoder per client by default (the rig's shared mode disturbs clients that are already
    // attached when another joins); `--shared` for many streams.
    let shared = std::env::args().any(|a| a == "--shared");
    let cam = if shared {
        rig::Camera::start_shared()
    } else {
        rig::Camera::start()
    }
    .ok_or_else(|| anyhow::anyhow!("the camera rig is not installed"))?;
    let url = cam.url(&mount);
    let dir = std::env::temp_dir().join(format!("glassroom_bench_rec_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    println!(
        "{streams} streams of {url} ({} camera pipeline), {seconds} s each side",
        if shared {
            "one shared"
        } else {
            "one per stream"
        }
    );

    // ffmpeg -c copy: one process per stream, 10 s fragmented-MP4 segments.
    let with_ffmpeg = !std::env::args().any(|a| a == "--no-ffmpeg");
    let mut children = Vec::new();
    for i in (0..streams).filter(|_| with_ffmpeg) {
        let out = dir.join(format!("ff{i}"));
        std::fs::create_dir_all(&out)?;
        children.push(
            std::process::Command::new("ffmpeg")
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
                .spawn()?,
        );
    }
    tokio::time::sleep(Duration::from_secs(3)).await; // connect, then measure a steady state
    let before: Vec<(f64, u64)> = children
        .iter()
        .map(|c| usage(&c.id().to_string()))
        .collect();
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    let after: Vec<(f64, u64)> = children
        .iter()
        .map(|c| usage(&c.id().to_string()))
        .collect();
    for c in &mut children {
        let _ = c.kill();
        let _ = c.wait();
    }
    let ff_cpu: f64 = after
        .iter()
        .zip(&before)
        .map(|(a, b)| a.0 - b.0)
        .sum::<f64>()
        / seconds as f64;
    let ff_rss: u64 = after.iter().map(|a| a.1).sum();
    let ff_per = ff_cpu / streams as f64;
    let ff_rss = if with_ffmpeg { ff_rss } else { 0 };
    println!(
        "ffmpeg -c copy     CPU {:>6.2} % of a core per stream   RSS {:>6.1} MB per stream",
        100.0 * ff_per,
        ff_rss as f64 / 1024.0 / streams as f64
    );

    // The recorder, in this process.
    let count = Arc::new(Mutex::new(Count::default()));
    let (stop, rx) = tokio::sync::watch::channel(false);
    let now: capture::Now = Arc::new(wall);
    let (_, rss0) = usage("self");
    let mut tasks = Vec::new();
    for i in 0..streams {
        let mut cfg = InputConfig::new(i as i64, &url, dir.join(format!("gr{i}")), "seg");
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
    let t0 = Instant::now();
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    let (cpu1, rss1) = usage("self");
    let wall_s = t0.elapsed().as_secs_f64();
    let _ = stop.send(true);
    for t in tasks {
        let _ = t.await;
    }
    let gr_per = (cpu1 - cpu0) / wall_s / streams as f64;
    let c = count
        .lock()
        .map(|c| (c.sealed, c.frames, c.lost, c.gaps))
        .unwrap_or_default();
    println!(
        "glassroom recorder CPU {:>6.2} % of a core per stream   RSS {:>6.1} MB per stream (process growth)",
        100.0 * gr_per,
        rss1.saturating_sub(rss0) as f64 / 1024.0 / streams as f64
    );
    println!(
        "recorder / ffmpeg CPU per stream: {:.3} (target ≤ 0.2)",
        gr_per / ff_per
    );
    println!(
        "recorder: {} segments sealed, {} frames ({:.1} fps per stream), {} RTP packets lost, {} gaps",
        c.0,
        c.1,
        c.1 as f64 / (seconds + 3) as f64 / streams as f64,
        c.2,
        c.3
    );
    let _ = std::fs::remove_dir_all(&dir);
    drop(cam);
    Ok(())
}

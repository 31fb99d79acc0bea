#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may fail loudly
//! The recorder against real cameras: GStreamer's RTSP server on loopback (tests/rig), checked by
//! ffprobe and by re-hashing every sealed file.

#[path = "rig/mod.rs"]
mod rig;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use glassroom_recorder::capture::{self, InputConfig};
use glassroom_recorder::{Gap, InputState, Sealed, Sink};
use sha2::{Digest, Sha256};

#[derive(Default)]
struct Seen {
    sealed: Vec<Sealed>,
    gaps: Vec<Gap>,
    states: Vec<(Instant, InputState)>,
}

#[derive(Default, Clone)]
struct TestSink(Arc<Mutex<Seen>>);

#[async_trait::async_trait]
impl Sink for TestSink {
    async fn sealed(&self, _input: i64, segment: Sealed) {
        self.0.lock().unwrap().sealed.push(segment);
    }
    async fn gap(&self, _input: i64, gap: Gap) {
        self.0.lock().unwrap().gaps.push(gap);
    }
    async fn state(&self, _input: i64, state: InputState, _detail: &str) {
        self.0.lock().unwrap().states.push((Instant::now(), state));
    }
}

#[allow(clippy::disallowed_methods)] // tests read the wall clock
fn now() -> capture::Now {
    Arc::new(SystemTime::now)
}

struct Running {
    stop: tokio::sync::watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
    sink: TestSink,
    dir: std::path::PathBuf,
}

fn record(url: &str, name: &str, segment: Duration) -> Running {
    let dir = std::env::temp_dir().join(format!("glassroom_rec_{name}_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    record_in(dir, url, name, segment)
}

/// Records into `dir` as it is (what a previous run left there included).
fn record_in(dir: std::path::PathBuf, url: &str, name: &str, segment: Duration) -> Running {
    let mut cfg = InputConfig::new(1, url, dir.clone(), name);
    cfg.segment = segment;
    let sink = TestSink::default();
    let (stop, rx) = tokio::sync::watch::channel(false);
    let task = tokio::spawn(capture::run(cfg, Arc::new(sink.clone()), now(), rx));
    Running {
        stop,
        task,
        sink,
        dir,
    }
}

impl Running {
    async fn finish(self) -> (Seen, std::path::PathBuf) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
        let seen = std::mem::take(&mut *self.sink.0.lock().unwrap());
        (seen, self.dir)
    }
}

/// ffprobe's view of a file: (codec names, video frames counted).
fn probe(path: &std::path::Path) -> (Vec<String>, u64) {
    let out = std::process::Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-count_frames",
            "-show_streams",
            "-of",
            "json",
        ])
        .arg(path)
        .output()
        .expect("ffprobe");
    assert!(
        out.status.success(),
        "{} does not open: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let streams = v["streams"].as_array().cloned().unwrap_or_default();
    let codecs = streams
        .iter()
        .map(|s| s["codec_name"].as_str().unwrap_or("").to_owned())
        .collect();
    let frames = streams
        .iter()
        .find(|s| s["codec_type"] == "video")
        .and_then(|s| s["nb_read_frames"].as_str())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    (codecs, frames)
}

/// Every sealed file is byte for byte what was reported, plays, and chains to the previous one.
fn check_sealed(seen: &Seen, codecs: &[&str]) {
    let mut prev: Option<String> = None;
    for s in &seen.sealed {
        let bytes = std::fs::read(&s.path).expect("sealed file");
        assert_eq!(bytes.len() as u64, s.size);
        assert_eq!(
            hex::encode(Sha256::digest(&bytes)),
            s.sha256,
            "{}",
            s.path.display()
        );
        let (found, frames) = probe(&s.path);
        assert_eq!(found, codecs, "{}", s.path.display());
        assert_eq!(
            frames,
            s.video_frames,
            "{}: ffprobe counts {frames} video frames",
            s.path.display()
        );
        assert!(s.end > s.start);
        if prev.is_some() {
            assert_eq!(
                s.prev_sha256,
                prev,
                "the hash chain is broken at {}",
                s.path.display()
            );
        }
        prev = Some(s.sha256.clone());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_camera_is_recorded_into_playable_sealed_segments_h264_h265_g711() {
    let Some(cam) = rig::Camera::start() else {
        return;
    };
    for (mount, codecs) in [
        ("h264", ["h264", "aac"]),
        ("h265", ["hevc", "aac"]),
        ("g711", ["h264", "pcm_alaw"]),
    ] {
        let r = record(&cam.url(mount), mount, Duration::from_secs(2));
        tokio::time::sleep(Duration::from_millis(7_500)).await;
        let (seen, dir) = r.finish().await;
        assert!(
            seen.sealed.len() >= 3,
            "{mount}: {} segments",
            seen.sealed.len()
        );
        check_sealed(&seen, &codecs);
        let frames: u64 = seen.sealed.iter().map(|s| s.video_frames).sum();
        assert!(frames >= 150, "{mount}: {frames} frames in 7.5 s at 25/s");
        assert!(
            seen.sealed.iter().all(|s| s.audio_frames > 0),
            "{mount}: no audio"
        );
        assert_eq!(seen.sealed.iter().map(|s| s.lost_packets).sum::<u64>(), 0);
        assert_eq!(
            seen.states.first().map(|s| s.1),
            Some(InputState::Recording)
        );
        let _ = std::fs::remove_dir_all(dir);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_camera_is_a_gap_and_a_restarted_one_is_back_within_two_seconds() {
    let Some(mut cam) = rig::Camera::start() else {
        return;
    };
    let port = cam.port();
    let r = record(&cam.url("h264"), "restart", Duration::from_secs(2));
    tokio::time::sleep(Duration::from_secs(3)).await;
    cam.kill();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let restarted = Instant::now();
    let cam2 = rig::Camera::start_on(port).expect("camera restarts on its port");
    let ready = Instant::now();
    tokio::time::sleep(Duration::from_secs(4)).await;
    let states = r.sink.0.lock().unwrap().states.clone();
    let back = states
        .iter()
        .find(|(t, s)| *t > restarted && *s == InputState::Recording)
        .map(|(t, _)| *t);
    let back = back.expect("recording resumed after the camera came back");
    assert!(
        back.duration_since(ready) <= Duration::from_secs(2),
        "reconnected {:?} after the camera was ready",
        back.duration_since(ready)
    );
    let (seen, dir) = r.finish().await;
    assert!(seen.states.iter().any(|s| s.1 == InputState::Reconnecting));
    let gap = seen.gaps.first().expect("the outage is a gap");
    let len = gap.to.duration_since(gap.from).unwrap_or_default();
    assert!(
        len >= Duration::from_secs(1) && len <= Duration::from_secs(6),
        "gap of {len:?}: {gap:?}"
    );
    check_sealed(&seen, &["h264", "aac"]);
    drop(cam2);
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frozen_camera_trips_the_watchdog_within_five_seconds() {
    let Some(cam) = rig::Camera::start() else {
        return;
    };
    let r = record(&cam.url("video"), "frozen", Duration::from_secs(2));
    tokio::time::sleep(Duration::from_secs(3)).await;
    cam.freeze();
    let frozen = Instant::now();
    tokio::time::sleep(Duration::from_millis(6_500)).await;
    let states = r.sink.0.lock().unwrap().states.clone();
    let noticed = states
        .iter()
        .find(|(t, s)| *t > frozen && *s == InputState::Reconnecting)
        .map(|(t, _)| *t);
    let noticed = noticed.expect("the watchdog fired");
    assert!(
        noticed.duration_since(frozen) <= Duration::from_millis(5_600),
        "watchdog after {:?}",
        noticed.duration_since(frozen)
    );
    cam.thaw();
    let (seen, dir) = r.finish().await;
    assert!(
        !seen.sealed.is_empty(),
        "what was recorded before the freeze is sealed"
    );
    check_sealed(&seen, &["h264"]);
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixteen_cameras_are_recorded_at_once_without_loss() {
    let Some(cam) = rig::Camera::start() else {
        return;
    };
    let runs: Vec<Running> = (0..16)
        .map(|i| {
            record(
                &cam.url("video"),
                &format!("par{i}"),
                Duration::from_secs(2),
            )
        })
        .collect();
    tokio::time::sleep(Duration::from_secs(6)).await;
    for r in runs {
        let (seen, dir) = r.finish().await;
        assert!(seen.sealed.len() >= 2, "{} segments", seen.sealed.len());
        assert_eq!(seen.sealed.iter().map(|s| s.lost_packets).sum::<u64>(), 0);
        check_sealed(&seen, &["h264"]);
        let _ = std::fs::remove_dir_all(dir);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_leaves_no_unsealed_file_unaccounted_for() {
    let Some(cam) = rig::Camera::start() else {
        return;
    };
    let r = record(&cam.url("h264"), "crash", Duration::from_secs(30));
    tokio::time::sleep(Duration::from_secs(3)).await;
    // The process dies mid-segment: nothing is closed, sealed or reported.
    r.task.abort();
    let _ = r.task.await;
    let dir = r.dir.clone();
    let partial: Vec<_> = std::fs::read_dir(&dir)
        .expect("dir")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().ends_with(".mp4.partial"))
        .collect();
    assert_eq!(partial.len(), 1, "one open segment left behind");
    // On restart it is sealed as damaged and reported, with the hash of its exact bytes.
    let r2 = record_in(
        dir.clone(),
        &cam.url("h264"),
        "crash",
        Duration::from_secs(2),
    );
    tokio::time::sleep(Duration::from_secs(3)).await;
    let (seen, dir) = r2.finish().await;
    let recovered: Vec<_> = seen.sealed.iter().filter(|s| s.damaged).collect();
    assert_eq!(recovered.len(), 1);
    let s = recovered[0];
    assert!(s.path.to_string_lossy().ends_with(".damaged.mp4"));
    let bytes = std::fs::read(&s.path).expect("recovered file");
    assert_eq!(hex::encode(Sha256::digest(&bytes)), s.sha256);
    assert!(
        bytes.len() > 10_000,
        "the recovered file keeps what was written ({} bytes)",
        bytes.len()
    );
    assert!(!partial[0].exists());
    assert!(
        seen.sealed.iter().any(|s| !s.damaged),
        "recording went on after the recovery"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_microphone_on_its_own_is_recorded_too() {
    let Some(cam) = rig::Camera::start() else {
        return;
    };
    let r = record(&cam.url("audio"), "mic", Duration::from_secs(2));
    tokio::time::sleep(Duration::from_millis(7_500)).await;
    let (seen, dir) = r.finish().await;
    assert!(seen.sealed.len() >= 3, "{} segments", seen.sealed.len());
    let last = seen.sealed.len() - 1;
    for (i, s) in seen.sealed.iter().enumerate() {
        let bytes = std::fs::read(&s.path).expect("sealed file");
        assert_eq!(hex::encode(Sha256::digest(&bytes)), s.sha256);
        let (codecs, _) = probe(&s.path);
        assert_eq!(codecs, ["aac"], "{}", s.path.display());
        assert!(s.audio_frames > 0 && s.video_frames == 0);
        let len = s.end.duration_since(s.start).unwrap_or_default();
        // Cut every ~2 s; the last one is cut short by the stop.
        assert!(
            (i == last || len >= Duration::from_millis(1_500)) && len <= Duration::from_secs(3),
            "{len:?}"
        );
    }
    assert_eq!(
        seen.states.first().map(|s| s.1),
        Some(InputState::Recording)
    );
    let _ = std::fs::remove_dir_all(dir);
}

fn ffprobe_or_skip() -> bool {
    let ok = std::process::Command::new("ffprobe")
        .arg("-version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok && std::env::var_os("GLASSROOM_REQUIRE_FFMPEG").is_some() {
        panic!("ffprobe is required (GLASSROOM_REQUIRE_FFMPEG) but not installed");
    }
    ok
}

fn demo_clip() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/demo/room-camera.mp4")
}

/// The replay input: the shipped clip, played in real time as if a camera sent it, goes through
/// the same capture loop, segmenter and sealing; a microphone input takes only its sound.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replayed_clip_is_recorded_like_a_camera() {
    if !ffprobe_or_skip() {
        return;
    }
    let url = url::Url::from_file_path(demo_clip().canonicalize().expect("clip"))
        .expect("url")
        .to_string();
    let r = record(&url, "replay", Duration::from_secs(2));
    let dir = std::env::temp_dir().join(format!("glassroom_rec_replay_mic_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut cfg = InputConfig::new(2, &url, dir.clone(), "mic");
    cfg.segment = Duration::from_secs(2);
    cfg.video = false;
    let mic_sink = TestSink::default();
    let (mic_stop, rx) = tokio::sync::watch::channel(false);
    let mic = tokio::spawn(capture::run(cfg, Arc::new(mic_sink.clone()), now(), rx));
    tokio::time::sleep(Duration::from_millis(4_500)).await;
    let _ = mic_stop.send(true);
    let _ = mic.await;
    let (seen, cam_dir) = r.finish().await;
    // Cut at the clip's keyframes (every 2 s at 10 fps): two whole segments and the rest.
    assert!(seen.sealed.len() >= 2, "{:?}", seen.sealed);
    assert!(
        seen.gaps.iter().all(|g| g.reason == "recorder stopped"),
        "{:?}",
        seen.gaps
    );
    check_sealed(&seen, &["h264", "aac"]);
    assert_eq!(seen.sealed[0].video_frames, 20);
    let mic_seen = std::mem::take(&mut *mic_sink.0.lock().unwrap());
    assert!(mic_seen.sealed.len() >= 2, "{:?}", mic_seen.sealed);
    check_sealed(&mic_seen, &["aac"]);
    assert!(
        mic_seen
            .sealed
            .iter()
            .all(|s| s.video_frames == 0 && s.audio_frames > 0)
    );
    let _ = std::fs::remove_dir_all(cam_dir);
    let _ = std::fs::remove_dir_all(dir);
}

/// The clip loops without a seam: media time keeps growing by one frame across the loop point,
/// and keyframes keep their spacing.
#[test]
fn a_replay_loops_with_continuous_timestamps() {
    use glassroom_recorder::replay::{Clip, Frame};
    let clip = Arc::new(Clip::open(&demo_clip(), true, true).expect("clip"));
    let lap = clip.lap().as_secs_f64();
    assert!((19.9..=20.1).contains(&lap), "{lap}");
    let rate = clip.streams().video_rate as i64;
    let mut last: Option<i64> = None;
    let mut keys = Vec::new();
    let mut audio_last: Option<i64> = None;
    for (at, frame) in clip.frames().take_while(|(at, _)| *at < 2.5 * lap) {
        match frame {
            Frame::Video { ts, key, .. } => {
                if let Some(l) = last {
                    assert_eq!(ts - l, rate / 10, "video step at {at:.2} s");
                }
                last = Some(ts);
                if key {
                    keys.push(ts);
                }
            }
            Frame::Audio { ts, .. } => {
                if let Some(l) = audio_last {
                    assert!(ts > l, "audio goes back at {at:.2} s");
                }
                audio_last = Some(ts);
            }
        }
    }
    assert!(keys.windows(2).all(|w| w[1] - w[0] == 2 * rate), "{keys:?}");
    assert!(keys.len() >= 24, "{}", keys.len());
}

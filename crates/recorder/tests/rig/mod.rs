//! Real RTSP cameras on loopback for the recorder's integration tests.
//!
//! Each [`Camera`] is one `/usr/bin/python3 tests/rig/rtsp_camera.py` process:
//! GStreamer's RTSP server on `127.0.0.1:PORT` with the mounts
//!
//! | mount    | video                        | audio                 |
//! |----------|------------------------------|-----------------------|
//! | `/h264`  | H.264 320x240@25, GOP 1 s    | AAC 16 kHz mono       |
//! | `/h265`  | H.265 320x240@25, GOP 1 s    | AAC 16 kHz mono       |
//! | `/g711`  | H.264 320x240@25, GOP 1 s    | G.711 A-law 8 kHz     |
//! | `/video` | H.264 320x240@25, GOP 1 s    | none                  |
//! | `/big`   | H.264 640x360@25, ~2 Mbit/s  | none                  |
//!
//! Every client gets its own pipeline (timestamps start at zero per session).
//! The whole server is one process, so [`Camera::freeze`] stalls every mount
//! and [`Camera::kill`] drops every connection at once.
//!
//! Install the server with `crates/recorder/tests/rig/install.sh` (Debian 12).
//! When it is missing, [`Camera::start`] prints why and returns `None`, so a
//! test can `let Some(cam) = Camera::start() else { return };` — unless
//! `GLASSROOM_REQUIRE_RTSP=1` (CI), which turns that into a panic.
//!
//! Include it with `#[path = "rig/mod.rs"] mod rig;`.

#![allow(dead_code)] // each test binary uses its own part of the rig
#![allow(clippy::panic)] // a broken rig fails the test loudly

use std::collections::VecDeque;
use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// The interpreter that has python3-gi (the `python3` on PATH may not).
pub const PYTHON: &str = "/usr/bin/python3";
/// The server script.
// Relative to any crate under crates/ (the recorder's tests and the CLI's both use the rig).
pub const SCRIPT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../recorder/tests/rig/rtsp_camera.py"
);
/// The installer to point people at when the server is missing.
pub const INSTALL: &str = "crates/recorder/tests/rig/install.sh";
/// Every mount the camera serves.
pub const MOUNTS: [&str; 6] = ["h264", "h265", "g711", "video", "big", "audio"];

/// How long the server may take to print READY.
const READY_TIMEOUT: Duration = Duration::from_secs(20);
/// How long [`Camera::start_on`] keeps retrying while the port is still taken.
const BIND_RETRY_FOR: Duration = Duration::from_secs(10);
const BIND_RETRY_EVERY: Duration = Duration::from_millis(200);
/// Exit codes of rtsp_camera.py.
const EXIT_MISSING: i32 = 10; // not 2: python exits 2 when it cannot open the script
const EXIT_BIND: i32 = 11;
/// Lines of the server's stderr kept for error messages.
const STDERR_LINES: usize = 40;

/// One fake camera process. Dropping it kills the process (and waits for it).
pub struct Camera {
    child: Child,
    pid: u32,
    port: u16,
    shared: bool,
    /// Set once the process has been waited for: its PID may be reused, so it
    /// must not be signalled again.
    reaped: bool,
    /// Held open: the server exits when it reads EOF here, so it dies with the
    /// test process even when `Drop` never runs (abort, SIGKILL of the test).
    stdin: Option<ChildStdin>,
    stderr: Arc<Mutex<VecDeque<String>>>,
}

enum Spawn {
    Up(Camera),
    /// GStreamer, its RTSP server or a plugin is not installed.
    Missing(String),
    /// The port is (still) taken.
    PortBusy(String),
}

impl Camera {
    /// A camera on a free loopback port (the kernel picks it: the server binds
    /// port 0 and reports what it got, so there is no pick-then-bind race).
    ///
    /// `None` (after an `eprintln!`) when GStreamer's RTSP server is not
    /// installed, unless `GLASSROOM_REQUIRE_RTSP=1`, then it panics. Panics when
    /// the server is installed but does not come up within 20 s.
    pub fn start() -> Option<Camera> {
        Self::launch(0, false)
    }

    /// Like [`Camera::start`], but each mount runs one pipeline shared by all
    /// its clients (late joiners see timestamps that do not start at zero).
    pub fn start_shared() -> Option<Camera> {
        Self::launch(0, true)
    }

    /// A camera on `port`, typically the port of one that was just killed (a
    /// camera coming back). Retries for up to 10 s while the port is taken.
    pub fn start_on(port: u16) -> Option<Camera> {
        Self::launch(port, false)
    }

    /// `rtsp://127.0.0.1:PORT/mount`; `mount` with or without the leading `/`.
    pub fn url(&self, mount: &str) -> String {
        format!(
            "rtsp://127.0.0.1:{}/{}",
            self.port,
            mount.trim_start_matches('/')
        )
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// Whether the mounts share one pipeline each (see [`Camera::start_shared`]).
    pub fn shared(&self) -> bool {
        self.shared
    }

    /// The camera dies: SIGKILL, then wait for it. Connections drop without an
    /// RTSP TEARDOWN or RTCP BYE. Idempotent.
    pub fn kill(&mut self) {
        if self.reaped {
            return;
        }
        if !signal("KILL", self.pid) {
            // `kill` missing from PATH: std sends the same SIGKILL.
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
        self.reaped = true;
        self.stdin = None;
    }

    /// The camera shuts down cleanly: SIGTERM, then wait (up to 5 s, then
    /// SIGKILL). Returns the exit status when it exited by itself.
    pub fn terminate(&mut self) -> Option<ExitStatus> {
        if self.reaped {
            return None;
        }
        self.signal_or_panic("CONT");
        self.signal_or_panic("TERM");
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                self.reaped = true;
                self.stdin = None;
                return Some(status);
            }
            thread::sleep(Duration::from_millis(20));
        }
        self.kill();
        None
    }

    /// The camera hangs: SIGSTOP. Connections stay open but nothing is sent
    /// (every mount of this camera stalls).
    ///
    /// On [`Camera::thaw`] the live sources catch up: the frames of the frozen
    /// time are encoded and sent in a burst with contiguous timestamps.
    pub fn freeze(&self) {
        self.signal_or_panic("STOP");
    }

    /// The camera resumes: SIGCONT.
    pub fn thaw(&self) {
        self.signal_or_panic("CONT");
    }

    /// Whether the process is still alive (a frozen camera is alive).
    pub fn is_running(&mut self) -> bool {
        if self.reaped {
            return false;
        }
        match self.child.try_wait() {
            Ok(None) => true,
            _ => {
                self.reaped = true;
                false
            }
        }
    }

    /// The last lines the server wrote to stderr (GStreamer warnings, errors).
    pub fn stderr_tail(&self) -> String {
        tail(&self.stderr)
    }

    fn signal_or_panic(&self, sig: &str) {
        if self.reaped {
            panic!(
                "rtsp camera {} (port {}) is already dead: cannot send SIG{sig}",
                self.pid, self.port
            );
        }
        if !signal(sig, self.pid) {
            panic!(
                "`kill -{sig} {}` failed (is procps' kill on PATH?)",
                self.pid
            );
        }
    }

    fn launch(port: u16, shared: bool) -> Option<Camera> {
        let deadline = Instant::now() + BIND_RETRY_FOR;
        loop {
            match Self::spawn(port, shared) {
                Spawn::Up(cam) => return Some(cam),
                Spawn::Missing(why) => return missing(&why),
                Spawn::PortBusy(why) => {
                    if port == 0 || Instant::now() >= deadline {
                        panic!(
                            "rtsp camera: 127.0.0.1:{port} stayed taken for {BIND_RETRY_FOR:?}: {why}"
                        );
                    }
                    thread::sleep(BIND_RETRY_EVERY);
                }
            }
        }
    }

    fn spawn(port: u16, shared: bool) -> Spawn {
        let mut cmd = Command::new(PYTHON);
        cmd.arg(SCRIPT)
            .arg("--port")
            .arg(port.to_string())
            .arg("--watch-stdin");
        if shared {
            cmd.arg("--shared");
        }
        // A pyenv/venv in the test's environment must not leak into the system python.
        cmd.env_remove("PYTHONHOME").env_remove("PYTHONPATH");
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = match cmd.spawn() {
            Ok(child) => child,
            Err(e) => return Spawn::Missing(format!("cannot run {PYTHON}: {e}")),
        };
        let pid = child.id();

        // Both pipes are drained for the life of the process, so the server
        // never blocks on a full pipe; the threads end when it exits.
        let stderr = Arc::new(Mutex::new(VecDeque::new()));
        let stderr_reader = child.stderr.take().map(|pipe| {
            let lines = Arc::clone(&stderr);
            thread::spawn(move || {
                for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                    if let Ok(mut lines) = lines.lock() {
                        if lines.len() == STDERR_LINES {
                            lines.pop_front();
                        }
                        lines.push_back(line);
                    }
                }
            })
        });
        let (tx, rx) = mpsc::channel();
        if let Some(pipe) = child.stdout.take() {
            thread::spawn(move || {
                for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                    let _ = tx.send(line); // ignored once READY was seen
                }
            });
        }

        let mut cam = Camera {
            child,
            pid,
            port,
            shared,
            reaped: false,
            stdin: None,
            stderr,
        };
        cam.stdin = cam.child.stdin.take();

        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) => {
                    let Some(url) = line.strip_prefix("READY ") else {
                        continue;
                    };
                    let bound = url
                        .rsplit(':')
                        .next()
                        .and_then(|p| p.trim().parse::<u16>().ok());
                    match bound {
                        Some(bound) if port == 0 || bound == port => {
                            cam.port = bound;
                            return Spawn::Up(cam);
                        }
                        _ => {
                            cam.kill();
                            panic!("rtsp camera: unexpected `{line}` (asked for port {port})");
                        }
                    }
                }
                Err(RecvTimeoutError::Timeout) => {
                    cam.kill();
                    join(stderr_reader);
                    panic!(
                        "rtsp camera: no READY within {READY_TIMEOUT:?}\n--- stderr ---\n{}",
                        cam.stderr_tail()
                    );
                }
                Err(RecvTimeoutError::Disconnected) => {
                    // stdout closed: the server exited before it was ready.
                    let status = cam.child.wait();
                    cam.reaped = true;
                    join(stderr_reader);
                    let err = cam.stderr_tail();
                    return match status.as_ref().ok().and_then(|s| s.code()) {
                        Some(EXIT_MISSING) => Spawn::Missing(err),
                        Some(EXIT_BIND) => Spawn::PortBusy(err),
                        _ => panic!("rtsp camera exited early ({status:?})\n--- stderr ---\n{err}"),
                    };
                }
            }
        }
    }
}

impl Drop for Camera {
    fn drop(&mut self) {
        if self.reaped {
            return;
        }
        // A stopped process dies of SIGKILL too, but continue it first so
        // nothing is left stopped should the kill fail.
        signal("CONT", self.pid);
        self.kill();
    }
}

/// `kill -SIG PID`; whether it worked.
fn signal(sig: &str, pid: u32) -> bool {
    Command::new("kill")
        .arg(format!("-{sig}"))
        .arg(pid.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn missing(why: &str) -> Option<Camera> {
    let msg = format!(
        "GStreamer's RTSP server is not available ({}); run {INSTALL}",
        why.trim()
    );
    if std::env::var("GLASSROOM_REQUIRE_RTSP").is_ok_and(|v| v == "1") {
        panic!("GLASSROOM_REQUIRE_RTSP=1: {msg}");
    }
    eprintln!("skipping: {msg}");
    None
}

fn join(reader: Option<JoinHandle<()>>) {
    if let Some(reader) = reader {
        let _ = reader.join();
    }
}

fn tail(lines: &Mutex<VecDeque<String>>) -> String {
    match lines.lock() {
        Ok(lines) => lines
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join("\n"),
        Err(_) => String::new(),
    }
}

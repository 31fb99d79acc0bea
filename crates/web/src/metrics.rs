//! Prometheus metrics in the text exposition format.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::AppState;

const BUCKETS_MS: [f64; 8] = [1.0, 2.0, 5.0, 10.0, 25.0, 50.0, 100.0, 500.0];

#[derive(Default)]
pub struct Metrics {
    by_class: [AtomicU64; 5],
    latency_buckets: [AtomicU64; 8],
    latency_count: AtomicU64,
    latency_sum_us: AtomicU64,
}

pub async fn track(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let res = next.run(req).await;
    let m = &state.metrics;
    let class = (res.status().as_u16() / 100).clamp(1, 5) as usize - 1;
    m.by_class[class].fetch_add(1, Ordering::Relaxed);
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    for (i, b) in BUCKETS_MS.iter().enumerate() {
        if ms <= *b {
            m.latency_buckets[i].fetch_add(1, Ordering::Relaxed);
        }
    }
    m.latency_count.fetch_add(1, Ordering::Relaxed);
    m.latency_sum_us
        .fetch_add((ms * 1000.0) as u64, Ordering::Relaxed);
    res
}

pub async fn render(State(state): State<AppState>) -> Response {
    let m = &state.metrics;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# HELP glassroom_http_requests_total HTTP requests by status class.\n# TYPE glassroom_http_requests_total counter"
    );
    for (i, c) in m.by_class.iter().enumerate() {
        let _ = writeln!(
            out,
            "glassroom_http_requests_total{{class=\"{}xx\"}} {}",
            i + 1,
            c.load(Ordering::Relaxed)
        );
    }
    let _ = writeln!(
        out,
        "# HELP glassroom_http_request_duration_seconds Time to answer an HTTP request.\n# TYPE glassroom_http_request_duration_seconds histogram"
    );
    for (i, b) in BUCKETS_MS.iter().enumerate() {
        let _ = writeln!(
            out,
            "glassroom_http_request_duration_seconds_bucket{{le=\"{}\"}} {}",
            b / 1000.0,
            m.latency_buckets[i].load(Ordering::Relaxed)
        );
    }
    let count = m.latency_count.load(Ordering::Relaxed);
    let _ = writeln!(
        out,
        "glassroom_http_request_duration_seconds_bucket{{le=\"+Inf\"}} {count}"
    );
    let _ = writeln!(
        out,
        "glassroom_http_request_duration_seconds_sum {}",
        m.latency_sum_us.load(Ordering::Relaxed) as f64 / 1e6
    );
    let _ = writeln!(out, "glassroom_http_request_duration_seconds_count {count}");
    let _ = writeln!(
        out,
        "# HELP glassroom_storage_up Whether the store answers.\n# TYPE glassroom_storage_up gauge"
    );
    let up = state.app.store.ping().await.is_ok();
    let _ = writeln!(
        out,
        "glassroom_storage_up{{backend=\"{}\"}} {}",
        state.app.store.backend(),
        u8::from(up)
    );
    if let Some(board) = &state.app.recorder_health {
        let snap = board.snapshot();
        let _ = writeln!(
            out,
            "# HELP glassroom_recorder_input_recording Whether the input is recording (1) or not (0).\n# TYPE glassroom_recorder_input_recording gauge"
        );
        for (id, h) in &snap {
            let up = u8::from(h.state == Some(glassroom_app::recorder::LiveState::Recording));
            let _ = writeln!(
                out,
                "glassroom_recorder_input_recording{{input=\"{id}\"}} {up}"
            );
        }
        let _ = writeln!(
            out,
            "# HELP glassroom_recorder_bitrate_bits Bits per second received over the last ~5 s.\n# TYPE glassroom_recorder_bitrate_bits gauge"
        );
        for (id, h) in &snap {
            let _ = writeln!(
                out,
                "glassroom_recorder_bitrate_bits{{input=\"{id}\"}} {}",
                h.bitrate
            );
        }
        let _ = writeln!(
            out,
            "# HELP glassroom_recorder_frames_total Video frames received.\n# TYPE glassroom_recorder_frames_total counter"
        );
        for (id, h) in &snap {
            let _ = writeln!(
                out,
                "glassroom_recorder_frames_total{{input=\"{id}\"}} {}",
                h.frames
            );
        }
        let _ = writeln!(
            out,
            "# HELP glassroom_recorder_lost_packets_total RTP packets the camera sent that never arrived.\n# TYPE glassroom_recorder_lost_packets_total counter"
        );
        for (id, h) in &snap {
            let _ = writeln!(
                out,
                "glassroom_recorder_lost_packets_total{{input=\"{id}\"}} {}",
                h.lost_packets
            );
        }
        let _ = writeln!(
            out,
            "# HELP glassroom_recorder_reconnects_total Sessions re-established after an interruption.\n# TYPE glassroom_recorder_reconnects_total counter"
        );
        for (id, h) in &snap {
            let _ = writeln!(
                out,
                "glassroom_recorder_reconnects_total{{input=\"{id}\"}} {}",
                h.reconnects
            );
        }
    }
    if let Some(l) = &state.app.ledger {
        let st = &l.stats;
        let sealed = *l.watch_sealed().borrow();
        let _ = writeln!(
            out,
            "# HELP glassroom_ledger_size Events covered by the latest checkpoint this server signed.\n# TYPE glassroom_ledger_size gauge\nglassroom_ledger_size {sealed}"
        );
        let _ = writeln!(
            out,
            "# HELP glassroom_ledger_events_sealed_total Events this server sealed into the log.\n# TYPE glassroom_ledger_events_sealed_total counter\nglassroom_ledger_events_sealed_total {}",
            st.integrated.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            out,
            "# HELP glassroom_ledger_checkpoints_total Checkpoints this server signed and stored.\n# TYPE glassroom_ledger_checkpoints_total counter\nglassroom_ledger_checkpoints_total {}",
            st.checkpoints.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            out,
            "# HELP glassroom_ledger_failures_total Sealing rounds that failed and were retried (full disk, blob store down).\n# TYPE glassroom_ledger_failures_total counter\nglassroom_ledger_failures_total {}",
            st.failures.load(Ordering::Relaxed)
        );
    }
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        out,
    )
        .into_response()
}

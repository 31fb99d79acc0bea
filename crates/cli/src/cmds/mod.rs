pub mod account;
pub mod demo;
pub mod export;
pub mod import;
pub mod serve;
pub mod verify;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use serde::Deserialize;

use glassroom_app::{App, SystemClock};
use glassroom_store::Store;

/// Where the data lives: `--data` (SQLite file and, later, blobs) and an optional `DATABASE_URL`.
#[derive(clap::Args, Clone)]
pub struct DataArgs {
    /// Data directory (SQLite database, recordings, log tiles).
    #[arg(long, env = "GLASSROOM_DATA", default_value = "glassroom-data")]
    pub data: PathBuf,
    /// PostgreSQL URL for scale-out; without it, SQLite under --data.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
}

/// The optional `--config FILE` (TOML): the same settings as the flags.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    pub listen: Option<SocketAddr>,
    pub data: Option<PathBuf>,
    pub database_url: Option<String>,
    #[serde(default)]
    pub ledger: LedgerFile,
    #[serde(default)]
    pub recorder: RecorderFile,
    #[serde(default)]
    pub open_data: OpenDataFile,
}

/// `[open_data]` in the config file.
#[derive(Deserialize, Default, Clone)]
#[serde(deny_unknown_fields)]
pub struct OpenDataFile {
    /// Write and seal the daily dump of the register under `<data>/open-data` (default true).
    pub daily_dump: Option<bool>,
    /// Local time (Asia/Almaty) after which each day's dump is made, `HH:MM` (default 00:30).
    pub dump_at: Option<String>,
}

/// Starts the daily open-data dump when the config asks for it (the default).
pub fn start_daily_dump(
    app: &mut App,
    data: &Path,
    file: &OpenDataFile,
) -> anyhow::Result<Option<tokio::task::JoinHandle<()>>> {
    let dir = data.join("open-data");
    app.config.open_data_dir = Some(dir.clone());
    if file.daily_dump == Some(false) {
        return Ok(None);
    }
    let at = match &file.dump_at {
        Some(t) => t
            .parse::<jiff::civil::Time>()
            .ok()
            .filter(|_| t.len() == 5)
            .with_context(|| format!("open_data.dump_at: {t:?} is not a local time HH:MM"))?,
        None => jiff::civil::time(0, 30, 0, 0),
    };
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    Ok(Some(glassroom_web::opendata::spawn_daily(
        app.clone(),
        dir,
        at,
        std::time::Duration::from_secs(60),
    )))
}

/// `[recorder]` in the config file.
#[derive(Deserialize, Default, Clone)]
#[serde(deny_unknown_fields)]
pub struct RecorderFile {
    /// Capture the rooms' `rtsp://` and `file://` inputs (off by default: until it is on, input
    /// states are what administrators set; see docs/RECORDER.md).
    #[serde(default)]
    pub enabled: bool,
    /// Write segments always, not only on the schedule (working time of designated rooms, and
    /// meetings with their lead-in and lead-out).
    #[serde(default)]
    pub always: bool,
    /// Designated rooms record through their organisation's working time (default true).
    pub working_time: Option<bool>,
    /// Minutes recorded before a meeting's scheduled start (0–120, default 15).
    pub lead_in_minutes: Option<u64>,
    /// Minutes recorded after a meeting's scheduled end (0–120, default 15).
    pub lead_out_minutes: Option<u64>,
    /// Keep the recordings in an S3-compatible store instead of `<data>/recordings` (segments
    /// are sealed on local disk, uploaded, checked, then recorded; credentials from `AWS_*`).
    pub blobs: Option<BlobFile>,
    /// Target segment length in seconds (2–60, default 10).
    pub segment_seconds: Option<u64>,
    /// Days recordings are kept (default 365); evidence of an open violation case is kept anyway.
    pub retention_days: Option<i64>,
    /// Per organisation (by code), overriding `retention_days`.
    #[serde(default)]
    pub retention_by_organisation: std::collections::HashMap<String, i64>,
}

/// The retention policy the config asks for.
pub fn retention(file: &RecorderFile) -> anyhow::Result<glassroom_app::recorder::Retention> {
    let mut r = glassroom_app::recorder::Retention::default();
    if let Some(d) = file.retention_days {
        anyhow::ensure!(d >= 1, "recorder.retention_days must be at least 1");
        r.default_days = d;
    }
    for (org, d) in &file.retention_by_organisation {
        anyhow::ensure!(
            *d >= 1,
            "recorder.retention_by_organisation.{org} must be at least 1"
        );
        r.by_organisation.insert(org.clone(), *d);
    }
    Ok(r)
}

/// Starts the recorder when the config asks for it; the rules then read coverage from its sealed
/// segments.
pub async fn start_recorder(
    app: &mut App,
    data: &Path,
    file: &RecorderFile,
) -> anyhow::Result<Option<glassroom_app::recorder::Recorder>> {
    if !file.enabled {
        return Ok(None);
    }
    let mut cfg = glassroom_app::recorder::RecorderConfig::new(&data.join("recordings"));
    if let Some(s) = file.segment_seconds {
        anyhow::ensure!(
            (2..=60).contains(&s),
            "recorder.segment_seconds must be between 2 and 60"
        );
        cfg.segment = std::time::Duration::from_secs(s);
    }
    if file.always {
        cfg.schedule = None;
    } else {
        let mut schedule = glassroom_app::recorder::Schedule::default();
        if let Some(w) = file.working_time {
            schedule.working_time = w;
        }
        for (name, value, slot) in [
            (
                "lead_in_minutes",
                file.lead_in_minutes,
                &mut schedule.lead_in,
            ),
            (
                "lead_out_minutes",
                file.lead_out_minutes,
                &mut schedule.lead_out,
            ),
        ] {
            if let Some(m) = value {
                anyhow::ensure!(m <= 120, "recorder.{name} must be between 0 and 120");
                *slot = std::time::Duration::from_secs(m * 60);
            }
        }
        cfg.schedule = Some(schedule);
    }
    app.recording = Arc::new(glassroom_app::recording::SealedSegments);
    let r = glassroom_app::recorder::Recorder::start(app, cfg)
        .await
        .map_err(|e| anyhow::anyhow!("starting the recorder: {e}"))?;
    app.recorder_health = Some(r.health());
    Ok(Some(r))
}

/// `[ledger]` in the config file.
#[derive(Deserialize, Default, Clone)]
#[serde(deny_unknown_fields)]
pub struct LedgerFile {
    /// Checkpoint origin line (default `glassroom.local/ledger`); also the signing key's name.
    pub origin: Option<String>,
    /// Verifier keys of the witnesses whose cosignatures are accepted.
    #[serde(default)]
    pub witnesses: Vec<String>,
    /// How often the sequencer looks for new events, in milliseconds (10–250, default 50).
    pub poll_ms: Option<u64>,
    /// Where tiles, bundles and the checkpoint are published (default: `<data>/log/`).
    pub blobs: Option<BlobFile>,
}

/// `[ledger.blobs]`: an S3-compatible store. Credentials come from the usual `AWS_*` environment
/// variables (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`).
#[derive(Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct BlobFile {
    /// `s3://bucket` or `s3://bucket/prefix`.
    pub url: String,
    /// For S3-compatible stores (SeaweedFS, MinIO): e.g. `http://127.0.0.1:8333`.
    pub endpoint: Option<String>,
    pub region: Option<String>,
    /// Allow plain HTTP to the endpoint (loopback or a trusted network only).
    #[serde(default)]
    pub allow_http: bool,
}

/// The blob store the log is published to.
pub fn open_blobs(
    data: &Path,
    file: &LedgerFile,
) -> anyhow::Result<Arc<dyn object_store::ObjectStore>> {
    match &file.blobs {
        None => {
            let dir = data.join("log");
            std::fs::create_dir_all(&dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            let blobs = object_store::local::LocalFileSystem::new_with_prefix(&dir)
                .with_context(|| format!("cannot open the log directory {}", dir.display()))?;
            Ok(Arc::new(blobs))
        }
        Some(b) => open_s3(b, "ledger.blobs"),
    }
}

/// An S3-compatible store as `[… .blobs]` describes it (`what` names the section in errors).
pub fn open_s3(b: &BlobFile, what: &str) -> anyhow::Result<Arc<dyn object_store::ObjectStore>> {
    {
        {
            let rest = b
                .url
                .strip_prefix("s3://")
                .with_context(|| format!("{what}.url {:?} must start with s3://", b.url))?;
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            anyhow::ensure!(!bucket.is_empty(), "{what}.url names no bucket");
            let mut s3 = object_store::aws::AmazonS3Builder::from_env()
                .with_bucket_name(bucket)
                .with_allow_http(b.allow_http);
            if let Some(e) = &b.endpoint {
                s3 = s3.with_endpoint(e);
            }
            if let Some(r) = &b.region {
                s3 = s3.with_region(r);
            }
            let s3 = s3
                .build()
                .with_context(|| format!("{what}: cannot configure the S3 store"))?;
            let prefix = prefix.trim_matches('/');
            if prefix.is_empty() {
                Ok(Arc::new(s3))
            } else {
                Ok(Arc::new(object_store::prefix::PrefixStore::new(s3, prefix)))
            }
        }
    }
}

/// Opens the log's keys and blob store under `data` and starts the sequencer.
pub fn start_ledger(app: App, data: &Path, file: &LedgerFile) -> anyhow::Result<App> {
    let mut config = glassroom_app::ledger::LedgerConfig::default();
    if let Some(o) = &file.origin {
        config.origin = o.clone();
    }
    if let Some(ms) = file.poll_ms {
        anyhow::ensure!(
            (10..=250).contains(&ms),
            "ledger.poll_ms must be between 10 and 250"
        );
        config.poll = std::time::Duration::from_millis(ms);
    }
    for w in &file.witnesses {
        let v = glassroom_ledger::note::Verifier::parse(w)
            .map_err(|e| anyhow::anyhow!("ledger.witnesses: {e}"))?;
        anyhow::ensure!(
            v.alg == glassroom_ledger::note::ALG_COSIGNATURE_V1,
            "ledger.witnesses: {} is not a cosignature/v1 (type 0x04) key",
            v.name
        );
        config.witnesses.push(v);
    }
    let keys = glassroom_app::ledger::keys::load_or_create(data, &config.origin)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let blobs = open_blobs(data, file)?;
    let ledger = glassroom_app::ledger::Ledger::new(
        app.store.clone(),
        blobs,
        app.clock.clone(),
        keys,
        config,
    )
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    ledger.spawn();
    Ok(app.with_ledger(ledger))
}

impl ConfigFile {
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read config {}", path.display()))?;
        toml::from_str(&text).with_context(|| format!("invalid config {}", path.display()))
    }
}

pub async fn open_store(data: &DataArgs) -> anyhow::Result<Arc<dyn Store>> {
    glassroom_app::time::check_zone_database().map_err(|e| anyhow::anyhow!("{e}"))?;
    let path = data.data.join("glassroom.db");
    let store = glassroom_store::open(data.database_url.as_deref(), &path)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(store)
}

pub fn app(store: Arc<dyn Store>) -> App {
    App::new(store, Arc::new(SystemClock))
}

/// Serves the API until Ctrl-C or SIGTERM.
pub async fn serve(
    app: App,
    listen: SocketAddr,
    recorder: Option<glassroom_app::recorder::Recorder>,
    on_ready: impl FnOnce(SocketAddr),
) -> anyhow::Result<()> {
    let store = app.store.clone();
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    let addr = listener.local_addr()?;
    on_ready(addr);
    axum::serve(
        listener,
        glassroom_web::router(app).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown())
    .await
    .context("server failed")?;
    // Seal what the cameras were recording, then close the store.
    if let Some(r) = recorder {
        r.stop().await;
    }
    store.close().await;
    Ok(())
}

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down");
}

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;

use super::{ConfigFile, DataArgs};

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    data: DataArgs,
    /// Address to listen on.
    #[arg(long, env = "GLASSROOM_LISTEN")]
    listen: Option<SocketAddr>,
    /// TOML file with `listen`, `data`, `database_url` (flags and environment win).
    #[arg(long)]
    config: Option<PathBuf>,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let file = match &args.config {
        Some(p) => ConfigFile::load(p)?,
        None => ConfigFile::default(),
    };
    let mut data = args.data.clone();
    if data.database_url.is_none() {
        data.database_url = file.database_url;
    }
    if let (Some(d), false) = (
        file.data,
        std::env::args().any(|a| a == "--data" || a.starts_with("--data="))
            || std::env::var_os("GLASSROOM_DATA").is_some(),
    ) {
        data.data = d;
    }
    let listen = args
        .listen
        .or(file.listen)
        .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8080)));
    let store = super::open_store(&data).await?;
    let mut app = super::start_ledger(super::app(store), &data.data, &file.ledger)?;
    app.ensure_shipped_data()
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))
        .context("loading the shipped calendars")?;
    app.config.recordings_dir = Some(data.data.join("recordings"));
    if let Some(b) = &file.recorder.blobs {
        app.recording_blobs = Some(super::open_s3(b, "recorder.blobs")?);
    }
    let policy = super::retention(&file.recorder)?;
    let recorder = super::start_recorder(&mut app, &data.data, &file.recorder).await?;
    let retention = app.spawn_retention(policy);
    let dumps = super::start_daily_dump(&mut app, &data.data, &file.open_data)?;
    let served = super::serve(app, listen, recorder, |addr| {
        tracing::info!(%addr, backend = if data.database_url.is_some() { "postgres" } else { "sqlite" }, "serving");
        println!("Glassroom is serving on http://{addr}/ (API: http://{addr}/api/v1/openapi.json)");
    })
    .await;
    retention.abort();
    if let Some(d) = dumps {
        d.abort();
    }
    served
}

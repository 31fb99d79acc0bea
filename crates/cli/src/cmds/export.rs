use std::path::PathBuf;

use anyhow::Context;

use super::DataArgs;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    what: What,
}

#[derive(clap::Subcommand)]
enum What {
    /// The whole public register as open data (meetings.csv, participants.csv) in a folder named
    /// for the day, sealed in the ledger (an `opendata.dump` event with each file's SHA-256).
    /// `serve` makes one every day by itself (`[open_data]`); this makes one now.
    Register {
        /// Where to write the dump's folder (default `<data>/open-data`, where `serve` publishes
        /// the dumps from).
        #[arg(long)]
        out: Option<PathBuf>,
        #[command(flatten)]
        data: DataArgs,
    },
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    match args.what {
        What::Register { out, data } => register(out, data).await,
    }
}

async fn register(out: Option<PathBuf>, data: DataArgs) -> anyhow::Result<()> {
    let out = out.unwrap_or_else(|| data.data.join("open-data"));
    std::fs::create_dir_all(&out).with_context(|| format!("cannot create {}", out.display()))?;
    let store = super::open_store(&data).await?;
    let app = super::app(store.clone());
    let result = glassroom_web::opendata::dump(&app, &out).await;
    store.close().await;
    let d = result.map_err(|e| anyhow::anyhow!("{e}"))?;
    println!(
        "{}: {} meetings, sealed in the ledger as event {}",
        d.dir.display(),
        d.meetings,
        d.seq
    );
    for (file, sha, bytes) in &d.files {
        println!("  {file}  {bytes} bytes  sha256 {sha}");
    }
    Ok(())
}

use std::path::PathBuf;

use anyhow::Context;
use sha2::Digest;

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
    /// Run it daily (cron, a systemd timer) to publish the daily dump.
    Register {
        /// Where to write the dump's folder.
        #[arg(long, default_value = "dumps")]
        out: PathBuf,
        #[command(flatten)]
        data: DataArgs,
    },
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    match args.what {
        What::Register { out, data } => register(out, data).await,
    }
}

async fn register(out: PathBuf, data: DataArgs) -> anyhow::Result<()> {
    let store = super::open_store(&data).await?;
    let app = super::app(store.clone());
    let result = dump(&app, &out).await;
    store.close().await;
    result
}

async fn dump(app: &glassroom_app::App, out: &std::path::Path) -> anyhow::Result<()> {
    let now = app.clock.now();
    let day = glassroom_app::time::zone(glassroom_app::time::ORG_ZONE)
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .to_datetime(now)
        .date();
    let name = format!("glassroom-register-{day}");
    let dir = out.join(&name);
    // Written under a temporary name and renamed whole, so a dump is never seen half-written.
    let partial = out.join(format!(".{name}.partial"));
    let _ = std::fs::remove_dir_all(&partial);
    std::fs::create_dir_all(&partial)
        .with_context(|| format!("cannot create {}", partial.display()))?;
    let mut files = Vec::new();
    let mut meetings = 0;
    for (file, participants) in [("meetings.csv", false), ("participants.csv", true)] {
        let path = partial.join(file);
        let mut f = std::io::BufWriter::new(
            std::fs::File::create(&path)
                .with_context(|| format!("cannot write {}", path.display()))?,
        );
        let n = glassroom_web::csv::write_all(app, participants, &mut f)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        if !participants {
            meetings = n;
        }
        let f = f.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?;
        f.sync_all()?;
        let bytes = std::fs::read(&path)?;
        files.push((
            file.to_owned(),
            hex::encode(sha2::Sha256::digest(&bytes)),
            bytes.len() as u64,
        ));
    }
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::rename(&partial, &dir)
        .with_context(|| format!("cannot move the dump to {}", dir.display()))?;
    let seq = app
        .seal_dump(&name, &files)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    println!(
        "{}: {meetings} meetings, sealed in the ledger as event {seq}",
        dir.display()
    );
    for (file, sha, bytes) in &files {
        println!("  {file}  {bytes} bytes  sha256 {sha}");
    }
    Ok(())
}

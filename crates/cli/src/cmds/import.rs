use std::path::PathBuf;

use anyhow::Context;

use glassroom_app::AppError;

use super::DataArgs;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    what: What,
}

#[derive(clap::Subcommand)]
enum What {
    /// Organisations, people and roles, businesses, rooms, conflicts, awards, calendars (TOML or JSON; docs/DIRECTORY.md).
    Directory {
        file: PathBuf,
        #[command(flatten)]
        data: DataArgs,
    },
    /// OCDS tender data: a release package or record package (JSON), or line-delimited releases
    /// (.jsonl, .ndjson); streamed, idempotent, refused whole if malformed (docs/TENDERS.md).
    Tenders {
        file: PathBuf,
        /// Read the file as line-delimited JSON whatever its extension.
        #[arg(long)]
        lines: bool,
        #[command(flatten)]
        data: DataArgs,
    },
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    match args.what {
        What::Tenders { file, lines, data } => tenders(file, lines, data).await,
        What::Directory { file, data } => {
            let format = match file.extension().and_then(|e| e.to_str()) {
                Some("json") => "json",
                _ => "toml",
            };
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let store = super::open_store(&data).await?;
            let app = super::app(store.clone());
            app.ensure_shipped_data()
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let result = match glassroom_app::directory::parse_directory(&text, format) {
                Ok(parsed) => app.apply_directory(None, parsed).await,
                Err(e) => Err(e),
            };
            store.close().await;
            match result {
                Ok(r) if r.changed() == 0 => {
                    println!(
                        "{}: nothing to change ({} entries already up to date)",
                        file.display(),
                        r.unchanged
                    );
                    Ok(())
                }
                Ok(r) => {
                    println!(
                        "{}: {} created, {} updated, {} removed, {} unchanged",
                        file.display(),
                        r.created,
                        r.updated,
                        r.removed,
                        r.unchanged
                    );
                    Ok(())
                }
                Err(AppError::Invalid(errors)) => {
                    eprintln!(
                        "{}: refused, nothing was stored ({} problem(s)):",
                        file.display(),
                        errors.len()
                    );
                    for e in &errors {
                        eprintln!(
                            "  {}: {} ({})",
                            if e.field.is_empty() { "file" } else { &e.field },
                            e.detail,
                            e.code
                        );
                    }
                    anyhow::bail!("the directory file has {} problem(s)", errors.len())
                }
                Err(e) => Err(anyhow::anyhow!("{e}")),
            }
        }
    }
}

/// `glassroom import tenders FILE`: a progress bar (bytes, releases/s, ETA) while it streams.
async fn tenders(file: PathBuf, lines: bool, data: DataArgs) -> anyhow::Result<()> {
    use glassroom_app::tenders::{Counting, Layout};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};

    let layout = match file.extension().and_then(|e| e.to_str()) {
        _ if lines => Layout::Lines,
        Some("jsonl" | "ndjson" | "jl") => Layout::Lines,
        _ => Layout::Package,
    };
    let f =
        std::fs::File::open(&file).with_context(|| format!("cannot read {}", file.display()))?;
    let total = f.metadata().map(|m| m.len()).unwrap_or(0);
    let input = Counting::new(f);
    let bytes = input.read.clone();
    let releases = Arc::new(AtomicU64::new(0));
    let store = super::open_store(&data).await?;
    let app = super::app(store.clone());
    app.ensure_shipped_data()
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let bar = indicatif::ProgressBar::new(total);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{bar:30} {bytes}/{total_bytes} ({bytes_per_sec}) {msg}, ETA {eta}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let started = std::time::Instant::now();
    let ticker = {
        let (bar, bytes, releases) = (bar.clone(), bytes.clone(), releases.clone());
        tokio::spawn(async move {
            loop {
                let n = releases.load(Ordering::Relaxed);
                let rate = n as f64 / started.elapsed().as_secs_f64().max(0.001);
                bar.set_position(bytes.load(Ordering::Relaxed));
                bar.set_message(format!("{n} releases, {rate:.0}/s"));
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            }
        })
    };
    let source = file
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default()
        .to_owned();
    let result = app
        .import_tenders(input, layout, &source, releases.clone())
        .await;
    ticker.abort();
    bar.finish_and_clear();
    store.close().await;
    match result {
        Ok(r) => {
            println!(
                "{}: {} releases read ({} new) in {:.1} s; {} ocids compiled; {} awards and contracts of our organisations created or changed, {} unchanged; {} records with another buyer",
                file.display(),
                r.releases,
                r.new_releases,
                started.elapsed().as_secs_f64(),
                r.ocids,
                r.awards_changed,
                r.awards_unchanged,
                r.foreign_buyers
            );
            Ok(())
        }
        Err(AppError::Invalid(errors)) => {
            eprintln!("{}: refused, nothing was stored:", file.display());
            for e in &errors {
                eprintln!("  {}: {}", e.field, e.detail);
            }
            anyhow::bail!("the tender file is malformed")
        }
        Err(e) => Err(anyhow::anyhow!("{e}")),
    }
}

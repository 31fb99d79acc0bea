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
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    match args.what {
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

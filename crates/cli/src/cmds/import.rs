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
        /// `ocds` (default); `portal`: contract pages as Kazakhstan's procurement portal's API
        /// returns them (`{total, limit, next_page, items}`), one page or one page per line; `csv`:
        /// the form for quasi-public buyers (docs/TENDERS.md).
        #[arg(long, default_value = "ocds")]
        format: String,
        #[command(flatten)]
        data: DataArgs,
    },
    /// A register of unreliable suppliers (реестр недобросовестных участников госзакупок): the
    /// procurement portal's pages (`/v3/rnu`, from FILE or pulled with --url) or the CSV form for
    /// other registers (docs/TENDERS.md). A complete import delists whom it no longer names.
    Unreliable {
        /// A file of portal pages (one page, or one per line), or the CSV form with --format csv.
        #[arg(required_unless_present = "url", conflicts_with = "url")]
        file: Option<PathBuf>,
        /// `portal` (default) or `csv`.
        #[arg(long, default_value = "portal")]
        format: String,
        /// Pull the register from the portal's API at this base address instead, e.g.
        /// https://ows.goszakup.gov.kz (following `next_page`, retrying, resuming).
        #[arg(long)]
        url: Option<String>,
        /// The API token (with --url).
        #[arg(long, env = "GLASSROOM_PORTAL_TOKEN", hide_env_values = true)]
        token: Option<String>,
        /// Attempts per page before giving up (the pull resumes there next time).
        #[arg(long, default_value_t = 4)]
        attempts: u32,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Pull a customer's contracts from the procurement portal's API (`/v3/contract/customer/{BIN}`),
    /// following `next_page`, retrying failed pages, resuming where an interrupted pull stopped.
    Portal {
        /// The portal's base address, e.g. https://ows.goszakup.gov.kz
        #[arg(long)]
        url: String,
        /// The customer's BIN (one of our organisations).
        #[arg(long)]
        customer: String,
        /// The API token.
        #[arg(long, env = "GLASSROOM_PORTAL_TOKEN", hide_env_values = true)]
        token: String,
        /// Attempts per page before giving up (the pull resumes there next time).
        #[arg(long, default_value_t = 4)]
        attempts: u32,
        #[command(flatten)]
        data: DataArgs,
    },
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    match args.what {
        What::Tenders {
            file, format, data, ..
        } if format == "portal" => portal_file(file, data).await,
        What::Tenders {
            file, format, data, ..
        } if format == "csv" => contracts_csv(file, data).await,
        What::Tenders {
            file, lines, data, ..
        } => tenders(file, lines, data).await,
        What::Portal {
            url,
            customer,
            token,
            attempts,
            data,
        } => portal(url, customer, token, attempts, data).await,
        What::Unreliable {
            url: Some(url),
            token,
            attempts,
            data,
            ..
        } => {
            let token = token
                .context("the portal's API needs a token: --token or GLASSROOM_PORTAL_TOKEN")?;
            unreliable_pull(url, token, attempts, data).await
        }
        What::Unreliable {
            file: Some(file),
            format,
            data,
            ..
        } => unreliable_file(file, &format, data).await,
        What::Unreliable { .. } => anyhow::bail!("give a FILE or --url"),
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

fn refused(source: &str, errors: &[glassroom_app::FieldError]) -> anyhow::Error {
    eprintln!("{source}: refused, nothing was stored:");
    for e in errors {
        eprintln!("  {}: {}", e.field, e.detail);
    }
    anyhow::anyhow!("the tender data is malformed")
}

/// The pages of a file of portal pages: one page, or one page per line, each with where it is
/// (`line N: `, or nothing for a single page); refused with the JSON path of the first bad one.
fn portal_pages<P>(
    file: &std::path::Path,
    parse: fn(&str) -> Result<P, glassroom_app::tenders::ReadError>,
) -> anyhow::Result<Vec<(String, P)>> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let trimmed = text.trim();
    let chunks: Vec<(String, &str)> = if trimmed.lines().count() > 1
        && trimmed
            .lines()
            .all(|l| l.trim().is_empty() || l.trim_start().starts_with('{'))
        && parse(trimmed).is_err()
    {
        trimmed
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(i, l)| (format!("line {}: ", i + 1), l))
            .collect()
    } else {
        vec![(String::new(), trimmed)]
    };
    let mut pages = Vec::new();
    for (at, chunk) in chunks {
        match parse(chunk) {
            Ok(p) => pages.push((at, p)),
            Err(e) => {
                let errors = [glassroom_app::FieldError::new(
                    format!("{at}{}", e.at),
                    "invalid",
                    e.reason,
                )];
                return Err(refused(&file.display().to_string(), &errors));
            }
        }
    }
    Ok(pages)
}

/// `glassroom import tenders FILE --format portal`: one page, or one page per line.
async fn portal_file(file: PathBuf, data: DataArgs) -> anyhow::Result<()> {
    let pages: Vec<_> = portal_pages(&file, glassroom_app::tenders::parse_portal_page)?
        .into_iter()
        .map(|(_, p)| p)
        .collect();
    let store = super::open_store(&data).await?;
    let app = super::app(store.clone());
    let source = file.display().to_string();
    let mut total = glassroom_app::tenders::TenderReport::default();
    let mut result = Ok(());
    for page in &pages {
        match app.import_portal_page(page, &source, None).await {
            Ok(r) => {
                total.releases += r.releases;
                total.awards_changed += r.awards_changed;
                total.awards_unchanged += r.awards_unchanged;
                total.foreign_buyers += r.foreign_buyers;
            }
            Err(AppError::Invalid(errors)) => {
                result = Err(refused(&source, &errors));
                break;
            }
            Err(e) => {
                result = Err(anyhow::anyhow!("{e}"));
                break;
            }
        }
    }
    store.close().await;
    result?;
    println!(
        "{source}: {} contracts read; {} of our organisations' contracts created or changed, {} unchanged; {} with another customer",
        total.releases, total.awards_changed, total.awards_unchanged, total.foreign_buyers
    );
    Ok(())
}

/// Runs a pull from the portal at `url` over the store, closing the store whatever happens.
async fn pulling(
    url: &str,
    data: &DataArgs,
    pull: impl AsyncFnOnce(&glassroom_app::App, &reqwest::Url) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let base = reqwest::Url::parse(url).with_context(|| format!("not an address: {url}"))?;
    let store = super::open_store(data).await?;
    let app = super::app(store.clone());
    let result = pull(&app, &base).await;
    store.close().await;
    result
}

/// `glassroom import portal`: page after page, each stored with where to go on.
async fn portal(
    url: String,
    customer: String,
    token: String,
    attempts: u32,
    data: DataArgs,
) -> anyhow::Result<()> {
    pulling(&url, &data, async |app, base| {
        pull(app, base, &customer, &token, attempts.max(1)).await
    })
    .await
}

async fn pull(
    app: &glassroom_app::App,
    base: &reqwest::Url,
    customer: &str,
    token: &str,
    attempts: u32,
) -> anyhow::Result<()> {
    let first = base.join(&format!("/v3/contract/customer/{customer}"))?;
    let mut next = match app
        .portal_cursor(customer)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?
    {
        Some(Some(resume)) => {
            println!("resuming the pull of {customer} at {resume}");
            base.join(&resume)?
        }
        _ => first,
    };
    let client = portal_client()?;
    let (mut pages, mut contracts, mut changed) = (0u64, 0u64, 0u64);
    loop {
        let page = fetch_page(
            &client,
            &next,
            token,
            attempts,
            pages,
            glassroom_app::tenders::parse_portal_page,
        )
        .await?;
        let following = match page.next_page.as_deref().filter(|p| !p.is_empty()) {
            Some(p) => Some(base.join(p)?),
            None => None,
        };
        let cursor = following.as_ref().map(|u| u.to_string());
        let r = app
            .import_portal_page(&page, next.as_str(), Some((customer, cursor.as_deref())))
            .await
            .map_err(|e| match e {
                AppError::Invalid(errors) => refused(next.as_str(), &errors),
                e => anyhow::anyhow!("{e}"),
            })?;
        pages += 1;
        contracts += r.releases;
        changed += r.awards_changed;
        match following {
            Some(u) => next = u,
            None => break,
        }
    }
    println!(
        "{customer}: {pages} page(s), {contracts} contracts read; {changed} of our organisations' contracts created or changed"
    );
    Ok(())
}

fn portal_client() -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(60))
        .build()?)
}

/// One page of the portal's API with the bearer token, retried on a 5xx, a 429 or no answer
/// (0.2 s, 0.4 s, 0.8 s … between attempts), and parsed (refused with its JSON path);
/// `stored` says how many pages this pull stored, for the message when it gives up.
async fn fetch_page<P>(
    client: &reqwest::Client,
    url: &reqwest::Url,
    token: &str,
    attempts: u32,
    stored: u64,
    parse: fn(&str) -> Result<P, glassroom_app::tenders::ReadError>,
) -> anyhow::Result<P> {
    let mut last_error = String::new();
    for attempt in 0..attempts {
        if attempt > 0 {
            tokio::time::sleep(std::time::Duration::from_millis(
                200 << (attempt - 1).min(6),
            ))
            .await;
        }
        match client.get(url.clone()).bearer_auth(token).send().await {
            Ok(r) if r.status().is_success() => {
                let text = r.text().await?;
                return parse(&text).map_err(|e| {
                    anyhow::anyhow!(
                        "{url}: {}: {}; nothing from this page was stored",
                        e.at,
                        e.reason
                    )
                });
            }
            Ok(r) if r.status().is_server_error() || r.status().as_u16() == 429 => {
                last_error = format!("{url} answered {}", r.status());
            }
            Ok(r) => anyhow::bail!("{url} answered {}: not retried", r.status()),
            Err(e) => last_error = format!("{url}: {e}"),
        }
    }
    anyhow::bail!(
        "{last_error} ({attempts} attempts); {stored} page(s) stored this time, the next pull resumes at this page"
    )
}

fn unreliable_summary(source: &str, r: &glassroom_app::unreliable::UnreliableReport) {
    println!(
        "{source}: {} entries read; {} listed or changed, {} unchanged, {} delisted; {} individuals (IIN) skipped{}",
        r.read,
        r.listed,
        r.unchanged,
        r.delisted,
        r.individuals,
        if r.complete {
            ""
        } else {
            "; not the whole register (its last page has a next_page), so no one was delisted"
        }
    );
}

/// `glassroom import unreliable FILE`: portal pages or the CSV form, in one transaction.
async fn unreliable_file(file: PathBuf, format: &str, data: DataArgs) -> anyhow::Result<()> {
    let source = file.display().to_string();
    let pages = match format {
        "portal" => Some(portal_pages(
            &file,
            glassroom_app::unreliable::parse_rnu_page,
        )?),
        "csv" => None,
        other => anyhow::bail!("unknown --format {other:?}: portal or csv"),
    };
    let text = match pages {
        Some(_) => String::new(),
        None => std::fs::read_to_string(&file)
            .with_context(|| format!("cannot read {}", file.display()))?,
    };
    let store = super::open_store(&data).await?;
    let app = super::app(store.clone());
    let result = match &pages {
        Some(pages) => app.import_unreliable_pages(pages, &source).await,
        None => app.import_unreliable_csv(&text, &source).await,
    };
    store.close().await;
    match result {
        Ok(r) => {
            unreliable_summary(&source, &r);
            Ok(())
        }
        Err(AppError::Invalid(errors)) => Err(refused(&source, &errors)),
        Err(e) => Err(anyhow::anyhow!("{e}")),
    }
}

/// `glassroom import unreliable --url`: the portal's register page after page (`/v3/rnu`), each
/// stored with where the pull goes on; the last page completes it.
async fn unreliable_pull(
    url: String,
    token: String,
    attempts: u32,
    data: DataArgs,
) -> anyhow::Result<()> {
    pulling(&url, &data, async |app, base| {
        pull_unreliable(app, base, &token, attempts.max(1)).await
    })
    .await
}

async fn pull_unreliable(
    app: &glassroom_app::App,
    base: &reqwest::Url,
    token: &str,
    attempts: u32,
) -> anyhow::Result<()> {
    let (run, resume) = app
        .unreliable_pull()
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut next = match resume {
        Some(r) => {
            println!("resuming the pull of the register at {r}");
            base.join(&r)?
        }
        None => base.join("/v3/rnu")?,
    };
    let client = portal_client()?;
    let mut total = glassroom_app::unreliable::UnreliableReport::default();
    let mut pages = 0u64;
    loop {
        let page = fetch_page(
            &client,
            &next,
            token,
            attempts,
            pages,
            glassroom_app::unreliable::parse_rnu_page,
        )
        .await?;
        let following = match page.next_page.as_deref().filter(|p| !p.trim().is_empty()) {
            Some(p) => Some(base.join(p)?),
            None => None,
        };
        let cursor = following.as_ref().map(|u| u.to_string());
        let step = glassroom_app::unreliable::PullStep {
            run: &run,
            next: cursor.as_deref(),
        };
        let r = app
            .import_unreliable_pulled(page, next.as_str(), step)
            .await
            .map_err(|e| match e {
                AppError::Invalid(errors) => refused(next.as_str(), &errors),
                e => anyhow::anyhow!("{e}"),
            })?;
        pages += 1;
        total.read += r.read;
        total.listed += r.listed;
        total.unchanged += r.unchanged;
        total.delisted += r.delisted;
        total.individuals += r.individuals;
        total.complete = r.complete;
        match following {
            Some(u) => next = u,
            None => break,
        }
    }
    unreliable_summary(&format!("{base} ({pages} page(s))"), &total);
    Ok(())
}

/// `glassroom import tenders FILE --format csv`: the quasi-public buyers' form.
async fn contracts_csv(file: PathBuf, data: DataArgs) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(&file)
        .with_context(|| format!("cannot read {}", file.display()))?;
    let store = super::open_store(&data).await?;
    let app = super::app(store.clone());
    let source = file.display().to_string();
    let result = app.import_contracts_csv(&text, &source).await;
    store.close().await;
    match result {
        Ok(r) => {
            println!(
                "{source}: {} rows read; {} of our organisations' contracts and awards created or changed, {} unchanged; {} with another buyer",
                r.releases, r.awards_changed, r.awards_unchanged, r.foreign_buyers
            );
            Ok(())
        }
        Err(AppError::Invalid(errors)) => Err(refused(&source, &errors)),
        Err(e) => Err(anyhow::anyhow!("{e}")),
    }
}

//! `glassroom verify`: audits the transparency log end to end, from the local data directory or a
//! server's base URL, and remembers the checkpoint it verified so the next run also proves the log
//! only grew.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, bail};
use async_trait::async_trait;

use glassroom_app::ledger::audit::{self, DirSource, Policy, Source};
use glassroom_app::recording_files::RecordingFiles;
use glassroom_ledger::Checkpoint;
use glassroom_ledger::note::{Note, Verifier};

use super::DataArgs;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    data: DataArgs,
    /// Audit a server instead: its base URL (e.g. https://glassroom.example.kz).
    #[arg(long, conflicts_with = "log_dir")]
    url: Option<String>,
    /// Audit only a published log directory (tiles, bundles, checkpoint), without the database.
    #[arg(long)]
    log_dir: Option<PathBuf>,
    /// Check an evidence bundle (from `POST /api/v1/meetings/{id}/evidence`) offline.
    #[arg(long, conflicts_with_all = ["url", "log_dir"])]
    bundle: Option<PathBuf>,
    /// The server's config file: a local audit then reads the log where `[ledger.blobs]` says.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Skip comparing the stored events with their leaves (local audits only).
    #[arg(long)]
    no_events: bool,
    /// The log's verifier key, pinned (default: the local key, or what the server or the
    /// remembered state says).
    #[arg(long)]
    vkey: Option<String>,
    /// Where the last verified checkpoint is remembered (default: under the data directory for a
    /// local audit, ~/.local/state/glassroom/ for a remote one).
    #[arg(long)]
    state: Option<PathBuf>,
    /// A witness's verifier key (cosignature/v1); repeat for several.
    #[arg(long = "witness")]
    witnesses: Vec<String>,
    /// How many of the --witness keys must have cosigned (default: all given).
    #[arg(long)]
    witnesses_required: Option<usize>,
}

struct HttpSource {
    base: String,
    client: reqwest::Client,
}

#[async_trait]
impl Source for HttpSource {
    async fn get(&self, path: &str) -> Result<Option<Vec<u8>>, String> {
        let url = format!("{}/log/{path}", self.base);
        let mut last = String::new();
        for attempt in 0..3 {
            if attempt > 0 {
                tokio::time::sleep(std::time::Duration::from_millis(200 * attempt)).await;
            }
            match self.client.get(&url).send().await {
                Ok(r) if r.status() == reqwest::StatusCode::NOT_FOUND => return Ok(None),
                Ok(r) if r.status().is_success() => match r.bytes().await {
                    Ok(b) => return Ok(Some(b.to_vec())),
                    Err(e) => last = e.to_string(),
                },
                Ok(r) if r.status().is_server_error() => last = format!("HTTP {}", r.status()),
                Ok(r) => return Err(format!("{url}: HTTP {}", r.status())),
                Err(e) => last = e.to_string(),
            }
        }
        Err(format!("{url}: {last}"))
    }
}

/// What is remembered between runs: the log's key and the last checkpoint verified.
fn read_state(path: &std::path::Path) -> anyhow::Result<Option<(String, Checkpoint)>> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    let (vkey, note) = text
        .split_once('\n')
        .with_context(|| format!("{} is not a verify state file", path.display()))?;
    let v = Verifier::parse(vkey).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let n = Note::parse(note).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    n.require(&v).map_err(|_| {
        anyhow::anyhow!(
            "{}: the remembered checkpoint is not signed by the remembered key",
            path.display()
        )
    })?;
    let cp =
        Checkpoint::parse_body(&n.body).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    Ok(Some((vkey.to_owned(), cp)))
}

fn write_state(path: &std::path::Path, vkey: &str, note: &str) -> anyhow::Result<()> {
    if let Some(d) = path.parent() {
        std::fs::create_dir_all(d).with_context(|| format!("cannot create {}", d.display()))?;
    }
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, format!("{vkey}\n{note}"))
        .with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let started = Instant::now();
    if let Some(path) = &args.bundle {
        let bytes =
            std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        let r = glassroom_app::evidence::verify_bundle(&bytes, args.vkey.as_deref())
            .map_err(|e| anyhow::anyhow!("verification FAILED: {}: {e}", path.display()))?;
        println!(
            "bundle: meeting {} — {} events proved included in {} size {} (root {}), {} recording segments match their sealed hashes",
            r.meeting,
            r.events,
            r.checkpoint.origin,
            r.checkpoint.size,
            r.checkpoint.root_b64(),
            r.segments
        );
        if r.key_from_bundle {
            println!(
                "note: the log key was taken from the bundle itself; pin it with --vkey to rule out a forged bundle"
            );
        }
        println!("OK in {:.2} s", started.elapsed().as_secs_f64());
        return Ok(());
    }
    let mut recording_files: Option<RecordingFiles> = None;
    let (src, store, default_state, local_vkey): (Arc<dyn Source>, _, PathBuf, Option<String>) =
        if let Some(url) = &args.url {
            let base = url.trim_end_matches('/').to_owned();
            let client = reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(30))
                .build()?;
            let home = std::env::var_os("HOME")
                .map(PathBuf::from)
                .unwrap_or_default();
            let name: String = base
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                .collect();
            let state = home
                .join(".local/state/glassroom")
                .join(format!("{name}.checkpoint"));
            (Arc::new(HttpSource { base, client }), None, state, None)
        } else if let Some(dir) = &args.log_dir {
            (
                Arc::new(DirSource(dir.clone())),
                None,
                dir.join("verified.checkpoint"),
                None,
            )
        } else {
            let store = if args.no_events {
                None
            } else {
                Some(super::open_store(&args.data).await?)
            };
            let vkey = glassroom_app::ledger::keys::local_vkey(&args.data.data)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let (ledger_file, recorder_file) = match &args.config {
                Some(p) => {
                    let f = super::ConfigFile::load(p)?;
                    (f.ledger, f.recorder)
                }
                None => (super::LedgerFile::default(), super::RecorderFile::default()),
            };
            recording_files = Some(match &recorder_file.blobs {
                Some(b) => RecordingFiles::Blobs(super::open_s3(b, "recorder.blobs")?),
                None => RecordingFiles::Dir(args.data.data.join("recordings")),
            });
            let src: Arc<dyn Source> = match &ledger_file.blobs {
                Some(_) => Arc::new(audit::BlobSource(super::open_blobs(
                    &args.data.data,
                    &ledger_file,
                )?)),
                None => Arc::new(DirSource(args.data.data.join("log"))),
            };
            (
                src,
                store,
                glassroom_app::ledger::keys::key_dir(&args.data.data).join("verified.checkpoint"),
                Some(vkey),
            )
        };
    let state_path = args.state.clone().unwrap_or(default_state);
    let remembered = read_state(&state_path)?;
    // The key: pinned on the command line, else remembered, else the local key, else the server's.
    let vkey = match (&args.vkey, &remembered, &local_vkey) {
        (Some(k), _, _) => k.clone(),
        (None, Some((k, _)), _) => k.clone(),
        (None, None, Some(k)) => k.clone(),
        (None, None, None) => {
            let url = args.url.as_deref().unwrap_or_default();
            let body = reqwest::get(format!("{}/log/vkey", url.trim_end_matches('/')))
                .await
                .context("cannot fetch the log's verifier key")?
                .error_for_status()
                .context("cannot fetch the log's verifier key")?
                .text()
                .await?;
            let k = body.lines().next().unwrap_or_default().to_owned();
            eprintln!(
                "note: trusting the log key the server gave on first use: {k} (pin it with --vkey)"
            );
            k
        }
    };
    if let (Some((k, _)), Some(pinned)) = (&remembered, &args.vkey)
        && k != pinned
    {
        bail!(
            "the remembered log key {k} differs from --vkey {pinned}; remove {} to start over",
            state_path.display()
        );
    }
    let log = Verifier::parse(&vkey).map_err(|e| anyhow::anyhow!("log key: {e}"))?;
    let mut policy = Policy {
        remembered: remembered.map(|(_, cp)| cp),
        ..Default::default()
    };
    for w in &args.witnesses {
        policy
            .witnesses
            .push(Verifier::parse(w).map_err(|e| anyhow::anyhow!("--witness: {e}"))?);
    }
    policy.required = args.witnesses_required.unwrap_or(policy.witnesses.len());
    if policy.required > policy.witnesses.len() {
        bail!(
            "--witnesses-required {} but only {} --witness keys given",
            policy.required,
            policy.witnesses.len()
        );
    }
    let report = match audit::audit(src, &log, &policy, store.clone()).await {
        Ok(r) => r,
        Err(f) => {
            if let Some(s) = store {
                s.close().await;
            }
            bail!("verification FAILED: {f}");
        }
    };
    // Locally: every recording file the ledger names is byte for byte the sealed one.
    let mut recordings = None;
    if let Some(s) = &store {
        let files = recording_files
            .clone()
            .unwrap_or_else(|| RecordingFiles::Dir(args.data.data.join("recordings")));
        match audit::audit_recordings(&**s, &files).await {
            Ok(n) => recordings = Some(n),
            Err(f) => {
                s.close().await;
                bail!("verification FAILED: {f}");
            }
        }
    }
    if let Some(s) = store {
        s.close().await;
    }
    let cp = &report.checkpoint;
    println!(
        "checkpoint: {} size {} root {} (signature by {} valid)",
        cp.origin,
        cp.size,
        cp.root_b64(),
        log.name
    );
    if !report.witnesses.is_empty() || policy.required > 0 {
        println!(
            "witnesses: {} of {} required cosigned ({})",
            report.witnesses.len(),
            policy.required,
            report.witnesses.join(", ")
        );
    }
    println!(
        "entries: {} re-hashed against their tiles; every tile checked against the tree; root recomputed",
        report.entries
    );
    if store_checked(&args) {
        println!(
            "events: {} stored events match their leaves; {} committed since the checkpoint (not sealed yet)",
            report.events_checked, report.pending_events
        );
    }
    if let Some(n) = recordings {
        println!("recordings: {n} sealed files match the hashes in the ledger");
    }
    match &policy.remembered {
        Some(old) => println!(
            "consistency: the log still holds the checkpoint of size {} verified before",
            old.size
        ),
        None => println!("consistency: first audit, nothing remembered yet"),
    }
    let note = Note::parse(&report.note).map_err(|e| anyhow::anyhow!("{e}"))?;
    let mine = Note {
        body: note.body.clone(),
        sigs: note
            .sigs
            .iter()
            .filter(|s| s.name == log.name && s.id == log.id)
            .cloned()
            .collect(),
    };
    write_state(&state_path, &vkey, &mine.text())?;
    println!(
        "OK in {:.2} s (remembered in {})",
        started.elapsed().as_secs_f64(),
        state_path.display()
    );
    Ok(())
}

fn store_checked(args: &Args) -> bool {
    args.url.is_none() && args.log_dir.is_none() && !args.no_events
}

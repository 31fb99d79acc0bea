//! Benchmarks for issue #3 (the transparency log), each beside its baseline in the same run:
//!
//! * `append`: sustained durable appends — events committed to the store, integrated into the
//!   tree, tiles and bundles written, checkpoint signed and stored — with the commit → covered by
//!   a signed checkpoint latency; beside it, the same writers committing the same events with no
//!   log running (what the log costs).
//! * `verify`: `glassroom verify` auditing a 1,000,000-event log, beside Go's reference
//!   implementation (x/mod sumdb/note + tlog, `crates/ledger/go/verifier`) auditing the same log.
//!
//! `cargo run --release -p glassroom-bench --bin ledger -- append --backend sqlite --seconds 10`
//! `cargo run --release -p glassroom-bench --bin ledger -- verify --events 1000000 --go /tmp/gv --glassroom target/release/glassroom`

#[path = "../args.rs"]
mod args;
use args::arg;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;

use glassroom_app::SystemClock;
use glassroom_app::ledger::{Ledger, LedgerConfig, keys};
use glassroom_store::{NewEvent, Store};
use glassroom_testkit::{Backend, fresh_store};

fn event(i: u64) -> NewEvent {
    let body = format!(
        "{{\"actor\":\"account:nurservice\",\"at\":\"2026-11-27T10:00:00Z\",\"data\":{{\"business_bin\":\"070840003411\",\"host\":17,\"kind\":\"consultation\",\"organisation\":4,\"representatives\":1,\"subject\":\"Согласование документации №{i}\",\"wished_from\":\"2027-01-15T04:00:00Z\",\"wished_to\":\"2027-01-15T12:00:00Z\"}},\"kind\":\"meeting.requested\",\"subject\":\"meeting:{i}\",\"v\":1}}"
    );
    NewEvent {
        // 2026-11-27T10:00:00Z, as the body says.
        at_us: 1_795_773_600_000_000,
        kind: "meeting.requested".into(),
        subject: format!("meeting:{i}"),
        actor: Some("account:nurservice".into()),
        body,
    }
}

fn ledger_for(store: Arc<dyn Store>, dir: &Path) -> anyhow::Result<Arc<Ledger>> {
    std::fs::create_dir_all(dir.join("log"))?;
    let config = LedgerConfig {
        origin: "bench.glassroom.kz/ledger".into(),
        ..Default::default()
    };
    let k = keys::load_or_create(dir, &config.origin).map_err(|e| anyhow::anyhow!("{e}"))?;
    let blobs = object_store::local::LocalFileSystem::new_with_prefix(dir.join("log"))?;
    Ledger::new(store, Arc::new(blobs), Arc::new(SystemClock), k, config)
        .map_err(|e| anyhow::anyhow!("{e}"))
}

fn pct(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// Writers commit `batch` events per transaction for `seconds`; returns (events, commit instants
/// with the highest sequence number visible after each commit).
/// `rate` > 0 paces the writers to that many events per second in all.
async fn write_load(
    store: Arc<dyn Store>,
    writers: usize,
    batch: usize,
    seconds: f64,
    rate: f64,
) -> anyhow::Result<(u64, Vec<(Instant, u64)>)> {
    let start = Instant::now();
    let deadline = start + Duration::from_secs_f64(seconds);
    let mut tasks = Vec::new();
    for w in 0..writers {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let mut commits = Vec::new();
            let mut n = 0u64;
            let mut i = w as u64 * 1_000_000_000;
            while Instant::now() < deadline {
                if rate > 0.0 {
                    let due = start + Duration::from_secs_f64(n as f64 * writers as f64 / rate);
                    tokio::time::sleep_until(due.into()).await;
                }
                let mut tx = store.write().await?;
                for _ in 0..batch {
                    tx.append_event(&event(i)).await?;
                    i += 1;
                }
                tx.commit().await?;
                let done = Instant::now();
                let mut r = store.read().await?;
                let seq = r.max_event_seq().await? as u64;
                drop(r);
                commits.push((done, seq));
                n += batch as u64;
            }
            Ok::<_, glassroom_store::StoreError>((n, commits))
        }));
    }
    let mut total = 0;
    let mut all = Vec::new();
    for t in tasks {
        let (n, c) = t.await??;
        total += n;
        all.extend(c);
    }
    Ok((total, all))
}

async fn append(backend: Backend) -> anyhow::Result<()> {
    let seconds: f64 = arg("--seconds", 10.0);
    let batch: usize = arg("--batch", 256);
    let writers: usize = arg("--writers", 2);
    let rate: f64 = arg("--rate", 0.0);
    println!(
        "backend {backend:?}: {writers} writers, {batch} events per transaction, {seconds} s, {}",
        if rate > 0.0 {
            format!("offered load {rate} events/s")
        } else {
            "as fast as they go".into()
        }
    );

    // Baseline: the same writers, no log.
    let (store, cleanup) = fresh_store(backend).await;
    let t0 = Instant::now();
    let (n, _) = write_load(store.clone(), writers, batch, seconds, rate).await?;
    let base_rate = n as f64 / t0.elapsed().as_secs_f64();
    store.close().await;
    cleanup.run().await;
    println!("baseline  store only (commit, no log):             {base_rate:>10.0} events/s");

    // With the log: committed, integrated, tiles written, checkpoint signed and stored.
    let (store, cleanup) = fresh_store(backend).await;
    let dir = std::env::temp_dir().join(format!("glassroom_bench_ledger_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let ledger = ledger_for(store.clone(), &dir)?;
    let mut watch = ledger.watch_sealed();
    let recorder = tokio::spawn(async move {
        let mut seen = vec![(Instant::now(), 0u64)];
        while watch.changed().await.is_ok() {
            let size = *watch.borrow_and_update();
            seen.push((Instant::now(), size));
        }
        seen
    });
    let seq_task = ledger.spawn();
    let t0 = Instant::now();
    let (n, commits) = write_load(store.clone(), writers, batch, seconds, rate).await?;
    let target = commits.iter().map(|c| c.1).max().unwrap_or(0);
    let mut w = ledger.watch_sealed();
    while *w.borrow_and_update() < target {
        w.changed().await?;
    }
    let wall = t0.elapsed();
    seq_task.abort();
    let _ = seq_task.await;
    drop(w);
    drop(ledger);
    let seen = recorder.await.unwrap_or_default();
    let rate = n as f64 / wall.as_secs_f64();
    let mut lat: Vec<Duration> = commits
        .iter()
        .filter_map(|(at, seq)| {
            seen.iter()
                .find(|(_, s)| s >= seq)
                .map(|(t, _)| t.saturating_duration_since(*at))
        })
        .collect();
    lat.sort();
    let checkpoints = seen.len() - 1;
    println!(
        "with log  committed + sealed + tiles + checkpoint:  {rate:>10.0} events/s ({n} events, {checkpoints} checkpoints, {:.1} s until all sealed)",
        wall.as_secs_f64()
    );
    println!(
        "          vs Tessera POSIX on NVMe (published ~10,000/s): x{:.1}",
        rate / 10_000.0
    );
    println!(
        "          log overhead vs store only: {:.0}% of baseline throughput",
        100.0 * rate / base_rate
    );
    println!(
        "commit -> covered by a signed checkpoint: p50 {:?}  p90 {:?}  p99 {:?}  max {:?}  ({} commits)",
        pct(&lat, 0.5),
        pct(&lat, 0.9),
        pct(&lat, 0.99),
        lat.last().copied().unwrap_or_default(),
        lat.len()
    );
    store.close().await;
    cleanup.run().await;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

fn median_run(
    label: &str,
    runs: usize,
    mut cmd: impl FnMut() -> std::process::Command,
) -> anyhow::Result<f64> {
    let mut times = Vec::new();
    for _ in 0..runs {
        let mut c = cmd();
        let t = Instant::now();
        let out = c.output().with_context(|| format!("running {label}"))?;
        let s = t.elapsed().as_secs_f64();
        anyhow::ensure!(
            out.status.success(),
            "{label} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        times.push(s);
    }
    times.sort_by(f64::total_cmp);
    let m = times[times.len() / 2];
    println!(
        "{label:<58} median {m:.3} s  (runs: {})",
        times
            .iter()
            .map(|t| format!("{t:.3}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok(m)
}

async fn verify() -> anyhow::Result<()> {
    let events: u64 = arg("--events", 1_000_000);
    let go: PathBuf = arg("--go", PathBuf::from("/tmp/glassroom-go-verifier"));
    let glassroom: PathBuf = arg("--glassroom", PathBuf::from("target/release/glassroom"));
    let runs: usize = arg("--runs", 5);
    let dir = std::env::temp_dir().join(format!("glassroom_bench_verify_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let store = glassroom_store::open(None, &dir.join("glassroom.db")).await?;
    let t = Instant::now();
    let mut i = 0;
    while i < events {
        let mut tx = store.write().await?;
        for _ in 0..10_000.min(events - i) {
            tx.append_event(&event(i)).await?;
            i += 1;
        }
        tx.commit().await?;
    }
    println!(
        "{events} events committed in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let ledger = ledger_for(store.clone(), &dir)?;
    let t = Instant::now();
    while ledger
        .integrate()
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?
        > 0
    {}
    println!(
        "sealed (tree, tiles, bundles, checkpoint) in {:.1} s: {:.0} events/s",
        t.elapsed().as_secs_f64(),
        events as f64 / t.elapsed().as_secs_f64()
    );
    let vkey = ledger.vkeys();
    let vkey = vkey.trim().to_owned();
    store.close().await;
    let vk_file = dir.join("vkey");
    std::fs::write(&vk_file, &vkey)?;
    let log = dir.join("log");
    let state = dir.join("state");
    let go_t = median_run(
        "Go reference verifier (x/mod sumdb tlog), directory",
        runs,
        || {
            let mut c = std::process::Command::new(&go);
            c.arg("-base").arg(&log).arg("-vkey-file").arg(&vk_file);
            c
        },
    )?;
    let ours = median_run("glassroom verify --log-dir (same audit)", runs, || {
        let _ = std::fs::remove_file(&state);
        let mut c = std::process::Command::new(&glassroom);
        c.arg("verify")
            .arg("--log-dir")
            .arg(&log)
            .arg("--vkey")
            .arg(&vkey)
            .arg("--state")
            .arg(&state);
        c
    })?;
    let full = median_run(
        "glassroom verify --data (also every stored event vs leaf)",
        runs,
        || {
            let _ = std::fs::remove_file(&state);
            let mut c = std::process::Command::new(&glassroom);
            c.arg("verify")
                .arg("--data")
                .arg(&dir)
                .arg("--state")
                .arg(&state)
                .env_remove("DATABASE_URL");
            c
        },
    )?;
    println!(
        "glassroom verify vs Go on the same log: x{:.2} faster (Go {go_t:.3} s / ours {ours:.3} s); with the database check x{:.2}",
        go_t / ours,
        go_t / full
    );
    if std::env::var_os("KEEP").is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mode = std::env::args().nth(1).unwrap_or_default();
    let backend = if std::env::args().any(|a| a == "postgres") {
        Backend::Postgres
    } else {
        Backend::Sqlite
    };
    match mode.as_str() {
        "append" => append(backend).await,
        "verify" => verify().await,
        _ => anyhow::bail!(
            "usage: ledger append [--backend sqlite|postgres] [--seconds S] [--batch N] [--writers W] | ledger verify [--events N] [--go PATH] [--glassroom PATH]"
        ),
    }
}

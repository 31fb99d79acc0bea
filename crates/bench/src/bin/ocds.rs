//! Benchmark for issue #6: importing OCDS tender data, beside only parsing the same file with
//! serde_json, in the same run, with each phase's peak memory.
//!
//! The file is a release package built from the real Armenian sample (`data/ocds/real/
//! release-package-am-armeps.json`), its 100 releases repeated with fresh ocids and ids up to the
//! size asked. Each phase runs in a child process of its own so that its peak resident memory
//! (`VmHWM`) is its own:
//!
//! * `parse-ignored`: `serde_json` reads the whole file without building anything (`IgnoredAny`);
//! * `parse-value`: `serde_json` reads it into a `serde_json::Value` (only for files up to 256 MB:
//!   the whole document is then in memory, several times its size);
//! * `read`: our streaming reader alone (every release checked and its winner parts parsed), into
//!   a sink that drops it;
//! * `import`: `App::import_tenders` into a fresh SQLite store (stream, store every release,
//!   compile every ocid, derive awards, commit).
//!
//! `cargo run --release -p glassroom-bench --bin ocds -- --mb 100`
//! `cargo run --release -p glassroom-bench --bin ocds -- --mb 1000`

#[path = "../args.rs"]
mod args;
use args::arg;

use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Instant;

use anyhow::Context;
use serde_json::Value;

use glassroom_app::tenders::Layout;
use glassroom_app::{App, SystemClock};
use glassroom_testkit::{Backend, fresh_store};

fn peak_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.split_whitespace().next()?.parse().ok())
        })
        .unwrap_or(0)
}

/// Writes a release package of about `mb` megabytes; returns its size in bytes.
fn generate(path: &Path, mb: u64) -> anyhow::Result<u64> {
    let sample = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../data/ocds/real/release-package-am-armeps.json");
    let text = std::fs::read_to_string(&sample).context("the Armenian sample")?;
    let package: Value = serde_json::from_str(&text)?;
    let releases: Vec<Value> = package["releases"].as_array().cloned().unwrap_or_default();
    anyhow::ensure!(!releases.is_empty(), "no releases in the sample");
    let mut out = BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    out.write_all(br#"{"uri":"https://glassroom.example/bench","version":"1.1","publishedDate":"2026-11-27T00:00:00Z","releases":["#)?;
    let target = mb * 1_000_000;
    let mut written = 0u64;
    let mut n = 0u64;
    while written < target {
        let mut r = releases[(n as usize) % releases.len()].clone();
        let ocid = format!("ocds-bench-{n}");
        if let Some(obj) = r.as_object_mut() {
            obj.insert("ocid".into(), Value::String(ocid.clone()));
            obj.insert("id".into(), Value::String(format!("{ocid}-1")));
        }
        let bytes = serde_json::to_vec(&r)?;
        if n > 0 {
            out.write_all(b",")?;
        }
        out.write_all(&bytes)?;
        written += bytes.len() as u64 + 1;
        n += 1;
    }
    out.write_all(b"]}")?;
    out.flush()?;
    Ok(std::fs::metadata(path)?.len())
}

/// Runs one phase in this process and prints `seconds peak_kb releases`.
async fn phase(which: &str, file: &Path) -> anyhow::Result<()> {
    let started = Instant::now();
    let mut releases = 0u64;
    match which {
        "parse-ignored" => {
            let f = BufReader::with_capacity(1 << 20, std::fs::File::open(file)?);
            let mut de = serde_json::Deserializer::from_reader(f);
            serde::de::Deserialize::deserialize(&mut de)
                .map(|_: serde::de::IgnoredAny| ())
                .context("parse")?;
        }
        "read" => {
            let f = std::fs::File::open(file)?;
            let mut sink = |r: glassroom_app::tenders::ReadRelease| {
                std::hint::black_box(r);
                Ok(())
            };
            releases = glassroom_app::tenders::read_package(f, &mut sink)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
        }
        "parse-value" => {
            let f = BufReader::with_capacity(1 << 20, std::fs::File::open(file)?);
            let v: Value = serde_json::from_reader(f)?;
            releases = v["releases"].as_array().map(|a| a.len()).unwrap_or(0) as u64;
        }
        "import" => {
            let (store, cleanup) = fresh_store(Backend::Sqlite).await;
            let app = App::new(store.clone(), Arc::new(SystemClock));
            app.ensure_shipped_data()
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let f = std::fs::File::open(file)?;
            let r = app
                .import_tenders(f, Layout::Package, "bench", Arc::new(AtomicU64::new(0)))
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            releases = r.new_releases;
            store.close().await;
            drop(cleanup);
        }
        other => anyhow::bail!("unknown phase {other}"),
    }
    println!(
        "{} {} {releases}",
        started.elapsed().as_secs_f64(),
        peak_kb()
    );
    Ok(())
}

fn run_child(which: &str, file: &Path) -> anyhow::Result<(f64, u64, u64)> {
    let out = std::process::Command::new(std::env::current_exe()?)
        .args(["--phase", which, "--file"])
        .arg(file)
        .output()?;
    anyhow::ensure!(
        out.status.success(),
        "{which}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let mut it = text.split_whitespace();
    let secs: f64 = it.next().context("seconds")?.parse()?;
    let kb: u64 = it.next().context("peak")?.parse()?;
    let n: u64 = it.next().context("releases")?.parse()?;
    Ok((secs, kb, n))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let which: String = arg("--phase", String::new());
    if !which.is_empty() {
        let file: PathBuf = arg("--file", PathBuf::new());
        return phase(&which, &file).await;
    }
    let mb: u64 = arg("--mb", 100);
    let file =
        std::env::temp_dir().join(format!("glassroom-ocds-bench-{}.json", std::process::id()));
    let size = generate(&file, mb)?;
    println!("file: {} ({:.1} MB)", file.display(), size as f64 / 1e6);
    let mut phases = vec!["parse-ignored"];
    if mb <= 256 {
        phases.push("parse-value");
    }
    phases.push("read");
    phases.push("import");
    let mut rows = Vec::new();
    for p in phases {
        let (secs, kb, n) = run_child(p, &file)?;
        let mbps = size as f64 / 1e6 / secs;
        println!(
            "  {p:<14} {secs:>8.2} s  {mbps:>8.1} MB/s  peak {:>8.1} MB  releases {n}",
            kb as f64 / 1024.0
        );
        rows.push((p, mbps, kb));
    }
    let _ = std::fs::remove_file(&file);
    let rate = |name: &str| rows.iter().find(|r| r.0 == name).map(|r| r.1);
    if let (Some(import), Some(parse)) = (rate("import"), rate("parse-ignored")) {
        println!("import / parse (IgnoredAny): ×{:.2}", import / parse);
    }
    if let (Some(import), Some(parse)) = (rate("import"), rate("parse-value")) {
        println!("import / parse (Value):      ×{:.2}", import / parse);
    }
    if let Some(import) = rate("import") {
        println!(
            "target ≥ 50 MB/s: {}",
            if import >= 50.0 { "met" } else { "NOT met" }
        );
    }
    Ok(())
}

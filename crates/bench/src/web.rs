//! Issue #5: the public register page (`GET /`, HTML, Russian) served by the real router over the
//! seeded store, beside the JSON endpoint for the same page (`GET /api/v1/meetings`, same filters,
//! same page size).
//!
//! * **server time**: 500 sequential requests per URL over one keep-alive loopback connection,
//!   timed inside the server process by a layer wrapped around the real router (from the request
//!   reaching the router to the response with its full body), and as the client sees it;
//! * **throughput**: `wrk -t2 -c32 -d<S>s` against each URL on loopback (the `--web` seconds),
//!   requests/s as wrk reports them.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;

use glassroom_app::App;

/// Server-side request times, recorded only while `on` is set.
#[derive(Default)]
struct Timings {
    on: AtomicBool,
    times: Mutex<Vec<Duration>>,
}

async fn time_it(State(t): State<Arc<Timings>>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let res = next.run(req).await;
    if t.on.load(Ordering::Relaxed)
        && let Ok(mut v) = t.times.lock()
    {
        v.push(started.elapsed());
    }
    res
}

struct Target {
    name: &'static str,
    path: String,
    html: bool,
    /// Every request a new address (an ignored `_=` parameter), so the anonymous page cache never
    /// answers: the page is rendered from the store each time.
    unique: bool,
}

struct Measured {
    name: &'static str,
    server: Vec<Duration>,
    client: Vec<Duration>,
    bytes: usize,
    rps: Option<f64>,
    wrk_latency: String,
    wrk_errors: String,
}

fn ms(sorted: &[Duration], p: f64) -> f64 {
    crate::pct(sorted, p).as_secs_f64() * 1e3
}

/// Serves the real router over `app` on 127.0.0.1:0, measures the register page and its JSON
/// twin, and prints the table. `seconds`: how long wrk runs against each URL.
pub async fn bench(app: &App, org_code: &str, seconds: u64, requests: usize) -> anyhow::Result<()> {
    let timings = Arc::new(Timings::default());
    let router = glassroom_web::router(app.clone()).layer(axum::middleware::from_fn_with_state(
        timings.clone(),
        time_it,
    ));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async {
            let _ = stopped.await;
        })
        .await
    });
    let base = format!("http://{addr}");
    println!("\nweb: the real router on {base}");

    // The same page both ways: 25 rows (the HTML page's size), newest first; filtered by an
    // organisation subtree and one month (the HTML form's day dates are Asia/Almaty days, `to`
    // inclusive; the API takes instants).
    let targets = [
        Target {
            name: "HTML  GET / (ru), first page",
            path: "/".into(),
            html: true,
            unique: false,
        },
        Target {
            name: "JSON  GET /api/v1/meetings?limit=25",
            path: "/api/v1/meetings?limit=25".into(),
            html: false,
            unique: false,
        },
        Target {
            name: "HTML  GET /?organisation&from&to (1 month)",
            path: format!("/?organisation={org_code}&from=2025-06-01&to=2025-06-30"),
            html: true,
            unique: false,
        },
        Target {
            name: "JSON  /api/v1/meetings?organisation&from&to",
            path: format!(
                "/api/v1/meetings?organisation={org_code}&from=2025-06-01T00:00:00%2B05:00&to=2025-07-01T00:00:00%2B05:00&limit=25"
            ),
            html: false,
            unique: false,
        },
        // The HTML pages rendered every time (the cache bypassed by a new address each request).
        Target {
            name: "HTML  GET / (ru), rendered every time",
            path: "/".into(),
            html: true,
            unique: true,
        },
        Target {
            name: "HTML  ?organisation&from&to, rendered every time",
            path: format!("/?organisation={org_code}&from=2025-06-01&to=2025-06-30"),
            html: true,
            unique: true,
        },
        // Baselines: the HTTP stack with no store (a static asset), and one store round trip.
        Target {
            name: "baseline: GET /static/app.css (no store)",
            path: "/static/app.css".into(),
            html: false,
            unique: false,
        },
        Target {
            name: "baseline: GET /healthz (SELECT 1)",
            path: "/healthz".into(),
            html: false,
            unique: false,
        },
    ];

    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(1)
        .timeout(Duration::from_secs(10))
        .build()?;
    let mut results = Vec::new();
    for t in &targets {
        let url = format!("{base}{}", t.path);
        let sep = if url.contains('?') { '&' } else { '?' };
        let n = std::sync::atomic::AtomicU64::new(0);
        let get = || {
            let mut r = if t.unique {
                let i = n.fetch_add(1, Ordering::Relaxed);
                client.get(format!("{url}{sep}_={i}"))
            } else {
                client.get(&url)
            };
            if t.html {
                r = r.header("Accept-Language", "ru");
            }
            r
        };
        // Check the answer, then warm up.
        let first = get().send().await?;
        let status = first.status();
        let body = first.text().await?;
        anyhow::ensure!(status.is_success(), "{url}: {status}: {body:.300}");
        let rows = if t.html {
            body.matches("href=\"/meetings/").count()
        } else {
            body.matches("\"status_label\":").count()
        };
        println!(
            "  {url}: {status}, {} bytes, {rows} meetings listed",
            body.len()
        );
        for _ in 0..50 {
            get().send().await?.bytes().await?;
        }
        timings.times.lock().map(|mut v| v.clear()).ok();
        timings.on.store(true, Ordering::Relaxed);
        let mut client_lat = Vec::with_capacity(requests);
        let deadline = Instant::now() + Duration::from_secs(120);
        for _ in 0..requests {
            let s = Instant::now();
            let r = get().send().await?;
            anyhow::ensure!(r.status().is_success(), "{url}: {}", r.status());
            std::hint::black_box(r.bytes().await?);
            client_lat.push(s.elapsed());
            if Instant::now() > deadline {
                break;
            }
        }
        timings.on.store(false, Ordering::Relaxed);
        let mut server_lat = timings
            .times
            .lock()
            .map(|mut v| std::mem::take(&mut *v))
            .unwrap_or_default();
        server_lat.sort_unstable();
        client_lat.sort_unstable();
        let (rps, wrk_latency, wrk_errors) = if seconds > 0 {
            wrk(&url, t.html, t.unique, seconds).await?
        } else {
            (None, String::new(), String::new())
        };
        results.push(Measured {
            name: t.name,
            server: server_lat,
            client: client_lat,
            bytes: body.len(),
            rps,
            wrk_latency,
            wrk_errors,
        });
    }
    let _ = stop.send(());
    match tokio::time::timeout(Duration::from_secs(10), server).await {
        Ok(r) => r??,
        Err(_) => println!("  (server did not stop within 10 s)"),
    }

    println!(
        "\n{:<46} {:>7} {:>9} {:>9} {:>9} {:>9} {:>9}  wrk latency avg/stdev/max, errors",
        "request", "bytes", "srv p50", "srv p99", "cli p50", "cli p99", "req/s"
    );
    for m in &results {
        println!(
            "{:<46} {:>7} {:>6.2} ms {:>6.2} ms {:>6.2} ms {:>6.2} ms {:>9}  {} {}",
            m.name,
            m.bytes,
            ms(&m.server, 0.5),
            ms(&m.server, 0.99),
            ms(&m.client, 0.5),
            ms(&m.client, 0.99),
            m.rps.map(|r| format!("{r:.0}")).unwrap_or("-".into()),
            m.wrk_latency,
            m.wrk_errors,
        );
    }
    println!("\nsummary (HTML page vs the JSON endpoint for the same page, same run):");
    for (h, j) in [(0, 1), (2, 3), (4, 1), (5, 3)] {
        let (h, j) = (&results[h], &results[j]);
        let ratio = |a: f64, b: f64| if b > 0.0 { a / b } else { f64::NAN };
        println!(
            "  {}\n    HTML p50 {:.2} ms p99 {:.2} ms | JSON p50 {:.2} ms p99 {:.2} ms | server p99 HTML/JSON ×{:.2}",
            h.name,
            ms(&h.server, 0.5),
            ms(&h.server, 0.99),
            ms(&j.server, 0.5),
            ms(&j.server, 0.99),
            ratio(ms(&h.server, 0.99), ms(&j.server, 0.99)),
        );
        if let (Some(hr), Some(jr)) = (h.rps, j.rps) {
            println!(
                "    HTML {hr:.0} req/s | JSON {jr:.0} req/s | HTML/JSON ×{:.2}",
                ratio(hr, jr)
            );
        }
        let p99 = ms(&h.server, 0.99);
        println!(
            "    target server time ≤ 50 ms: {} ({p99:.2} ms p99); ≥ 3,000 req/s: {}",
            if p99 <= 50.0 { "met" } else { "NOT met" },
            match h.rps {
                Some(r) if r >= 3000.0 => format!("met ({r:.0}/s)"),
                Some(r) => format!("NOT met ({r:.0}/s)"),
                None => "not measured".into(),
            }
        );
    }
    Ok(())
}

/// Runs `wrk -t2 -c32 -d<seconds>s` against `url`; returns requests/s, the latency line and the
/// error lines. The child is killed by its PID if it runs past `seconds` + 30 s.
async fn wrk(
    url: &str,
    html: bool,
    unique: bool,
    seconds: u64,
) -> anyhow::Result<(Option<f64>, String, String)> {
    let mut cmd = std::process::Command::new("wrk");
    cmd.args(["-t2", "-c32", &format!("-d{seconds}s")]);
    if html {
        cmd.args(["-H", "Accept-Language: ru"]);
    }
    // A new address for every request: each wrk thread numbers its own.
    let script = std::env::temp_dir().join(format!("glassroom-bench-{}.lua", std::process::id()));
    if unique {
        let path = url.splitn(4, '/').nth(3).unwrap_or_default();
        let sep = if path.contains('?') { '&' } else { '?' };
        std::fs::write(
            &script,
            format!(
                "local counter = 0\nfunction setup(thread) thread:set(\"id\", counter); counter = counter + 1 end\nfunction init(args) n = 0 end\nfunction request() n = n + 1; return wrk.format(nil, \"/{path}{sep}_=\" .. id .. \"-\" .. n) end\n"
            ),
        )?;
        cmd.arg("-s").arg(&script);
    }
    cmd.arg(url)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = cmd
        .spawn()
        .context("running wrk (apt-get install -y wrk)")?;
    let deadline = Instant::now() + Duration::from_secs(seconds + 30);
    loop {
        if child.try_wait()?.is_some() {
            break;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            anyhow::bail!("wrk did not finish in {} s; killed", seconds + 30);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let out = child.wait_with_output()?;
    if unique {
        let _ = std::fs::remove_file(&script);
    }
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    println!("  wrk {url}:\n{}", indent(&text));
    let rps = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("Requests/sec:"))
        .and_then(|v| v.trim().parse::<f64>().ok());
    let latency = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("Latency"))
        .map(|v| v.split_whitespace().take(3).collect::<Vec<_>>().join("/"))
        .unwrap_or_default();
    let errors = text
        .lines()
        .filter(|l| l.contains("Non-2xx") || l.contains("Socket errors"))
        .map(str::trim)
        .collect::<Vec<_>>()
        .join("; ");
    Ok((rps, latency, errors))
}

fn indent(s: &str) -> String {
    s.lines()
        .map(|l| format!("    {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

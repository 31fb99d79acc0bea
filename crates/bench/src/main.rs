//! Benchmarks for issue #2, each beside its baseline in the same run:
//!
//! * `schedule`: the `schedule` decision end to end (load context, run every rule, write meeting +
//!   commission + event, commit) over a history of N meetings and 10,000 rooms and people, against
//!   the bare SQL insert of the same rows (meeting + event, one commit each).
//! * `register`: the public register page with filters (organisation subtree, date range, business
//!   BIN) at N meetings, against a bare primary-key lookup.
//!
//! And for issue #5, with `--web SECONDS` (`web.rs`): the public register page served by the real
//! router over the same store, beside the JSON endpoint for the same page, timed and under `wrk`.
//! `--ops 0` skips the schedule benches.
//!
//! `cargo run --release -p glassroom-bench -- --backend sqlite --meetings 1000000`
//! `cargo run --release -p glassroom-bench -- --backend sqlite --meetings 1000000 --ops 0 --web 10`

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use jiff::{SignedDuration, Timestamp};
use rand::{Rng, SeedableRng};

use glassroom_app::meetings::{RegisterQuery, RequestMeeting, ScheduleMeeting};
use glassroom_app::{App, ManualClock};
use glassroom_testkit::{Backend, almaty, fresh_store};

mod web;

const ROOMS: usize = 10_000;
const PEOPLE: usize = 10_000;
const BUSINESSES: usize = 5_000;

struct Args {
    backend: Backend,
    meetings: usize,
    ops: usize,
    /// Seconds of `wrk` per URL for the web bench; 0: no web bench.
    web: Option<u64>,
}

fn args() -> anyhow::Result<Args> {
    let mut a = Args {
        backend: Backend::Sqlite,
        meetings: 1_000_000,
        ops: 5_000,
        web: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(k) = it.next() {
        let v = it.next().context("missing value")?;
        match k.as_str() {
            "--backend" => {
                a.backend = if v == "postgres" {
                    Backend::Postgres
                } else {
                    Backend::Sqlite
                }
            }
            "--meetings" => a.meetings = v.parse()?,
            "--ops" => a.ops = v.parse()?,
            "--web" => a.web = Some(v.parse()?),
            other => anyhow::bail!("unknown argument {other}"),
        }
    }
    Ok(a)
}

fn bin_for(i: usize) -> String {
    // 11 digits from i; pick the next i with a valid check digit.
    let mut n = 10_000_000_000u64 + i as u64 * 7;
    loop {
        if let Some(b) = glassroom_domain::Bin::complete(&format!("{n:011}")) {
            return b.as_str().to_owned();
        }
        n += 1;
    }
}

fn first_fallback() -> Timestamp {
    almaty("2026-04-01T10:00")
}

fn pct(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx]
}

fn report(name: &str, mut lat: Vec<Duration>, wall: Duration) {
    lat.sort_unstable();
    let ops = lat.len() as f64 / wall.as_secs_f64();
    println!(
        "{name:<44} n={:<6} p50={:>8.3} ms  p99={:>8.3} ms  max={:>8.3} ms  {:>9.0} ops/s",
        lat.len(),
        pct(&lat, 0.5).as_secs_f64() * 1e3,
        pct(&lat, 0.99).as_secs_f64() * 1e3,
        pct(&lat, 1.0).as_secs_f64() * 1e3,
        ops
    );
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let a = args()?;
    let (store, cleanup) = fresh_store(a.backend).await;
    let clock = ManualClock::new(almaty("2026-03-02T08:00"));
    let app = App::new(store.clone(), Arc::new(clock.clone()));
    app.ensure_shipped_data()
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    app.apply_directory(
        None,
        glassroom_app::directory::parse_directory(glassroom_app::demo::DEMO_DIRECTORY, "toml")
            .map_err(|e| anyhow::anyhow!("{e}"))?,
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let t = Instant::now();
    let dir = generate_directory(&app).await?;
    println!(
        "directory: {ROOMS} rooms, {PEOPLE} people, {BUSINESSES} businesses in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    generate_history(&app, &dir, a.meetings).await?;
    // As after any bulk load: refresh the planner's statistics.
    store.analyze().await?;
    println!(
        "history: {} meetings (with commissions and events) in {:.1} s",
        a.meetings,
        t.elapsed().as_secs_f64()
    );

    println!("\nbackend: {:?}", a.backend);
    if a.ops > 0 {
        bare_insert_baseline(&app, &dir, a.ops).await?;
        schedule_bench(&app, &clock, &dir, a.ops).await?;
    }
    register_bench(&app, &dir, 2_000).await?;
    if let Some(seconds) = a.web {
        web::bench(&app, &dir.org_code, seconds, 500).await?;
    }
    store.close().await;
    cleanup.run().await;
    Ok(())
}

struct Dir {
    org: i64,
    org_code: String,
    host: i64,
    rooms: Vec<i64>,
    commission: Vec<i64>,
    bins: Vec<String>,
    business_ids: Vec<i64>,
    account: i64,
}

async fn generate_directory(app: &App) -> anyhow::Result<Dir> {
    let mut tx = app.store.write().await?;
    let tree = tx.organisations().await?;
    let org = tree
        .iter()
        .find(|o| o.code == "entrepreneurship")
        .context("org")?
        .clone();
    let root = tree
        .iter()
        .find(|o| o.parent_id.is_none())
        .context("root")?
        .id;
    let mut rooms = Vec::with_capacity(ROOMS);
    for i in 0..ROOMS {
        let id = tx
            .insert_room(&glassroom_store::RoomRow {
                id: 0,
                code: format!("bench-room-{i}"),
                org_id: org.id,
                name: format!("Переговорная {i}"),
                building: "Бенчмарк".into(),
                floor: 1,
                designated: true,
            })
            .await?;
        for (code, video) in [("cam", true), ("mic", false)] {
            let input = tx
                .insert_input(&glassroom_store::InputRow {
                    id: 0,
                    room_id: id,
                    code: code.into(),
                    video,
                    audio: true,
                    url: format!("rtsp://127.0.0.1/{i}/{code}"),
                    state: "ready".into(),
                    state_since_us: 0,
                })
                .await?;
            tx.log_input_state(input, 0, "ready").await?;
        }
        rooms.push(id);
    }
    let mut commission = Vec::with_capacity(PEOPLE);
    for i in 0..PEOPLE {
        let id = tx
            .insert_person(&glassroom_store::PersonRow {
                id: 0,
                code: format!("bench-person-{i}"),
                full_name: format!("Сотрудник {i}"),
                position_ru: "Специалист".into(),
                position_kk: "Маман".into(),
                position_en: "Specialist".into(),
                org_id: root,
                public_servant: true,
                iin: None,
                phone: None,
            })
            .await?;
        tx.insert_role(&glassroom_store::RoleRow {
            person_id: id,
            org_id: root,
            role: "commission".into(),
        })
        .await?;
        tx.insert_role(&glassroom_store::RoleRow {
            person_id: id,
            org_id: org.id,
            role: "official".into(),
        })
        .await?;
        commission.push(id);
    }
    let mut bins = Vec::new();
    let mut business_ids = Vec::new();
    for i in 0..BUSINESSES {
        let bin = bin_for(i);
        let id = tx
            .insert_business(&glassroom_store::BusinessRow {
                id: 0,
                bin: bin.clone(),
                name: format!("ТОО «Бенч {i}»"),
                address: None,
            })
            .await?;
        bins.push(bin);
        business_ids.push(id);
    }
    let host = tx
        .people()
        .await?
        .into_iter()
        .find(|p| p.code == "akhmetov")
        .context("host")?
        .id;
    let account = tx
        .account_by_login("akhmetov")
        .await?
        .context("account")?
        .id;
    tx.commit().await?;
    Ok(Dir {
        org: org.id,
        org_code: org.code,
        host,
        rooms,
        commission,
        bins,
        business_ids,
        account,
    })
}

/// N past meetings over two years, spread over rooms, people, businesses and organisations.
async fn generate_history(app: &App, dir: &Dir, n: usize) -> anyhow::Result<()> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(42);
    let start0 = almaty("2024-01-01T09:00").as_microsecond();
    let span_us: i64 = 2 * 365 * 24 * 3600 * 1_000_000;
    let orgs: Vec<i64> = {
        let mut tx = app.store.read().await?;
        tx.organisations()
            .await?
            .into_iter()
            .map(|o| o.id)
            .collect()
    };
    let chunk = 2_000;
    let mut done = 0;
    while done < n {
        let mut tx = app.store.write().await?;
        for _ in 0..chunk.min(n - done) {
            let start = start0 + rng.random_range(0..span_us) / 1_000_000 * 1_000_000;
            let room = dir.rooms[rng.random_range(0..dir.rooms.len())];
            let business = dir.business_ids[rng.random_range(0..dir.business_ids.len())];
            let m = glassroom_store::MeetingRow {
                id: 0,
                org_id: orgs[rng.random_range(0..orgs.len())],
                host_id: dir.host,
                business_id: business,
                subject: "Историческая встреча".into(),
                kind: "consultation".into(),
                wished_from_us: start,
                wished_to_us: start + 3_600_000_000,
                status: "published".into(),
                listed: true,
                room_id: Some(room),
                start_us: Some(start),
                end_us: Some(start + 3_600_000_000),
                actual_start_us: Some(start),
                actual_end_us: Some(start + 3_600_000_000),
                host_checked_in_us: None,
                business_checked_in_us: None,
                reason: None,
                protocol_summary: Some("Итоги".into()),
                protocol_outcome: Some("Консультация оказана".into()),
                business_confirmed_us: None,
                requested_by: dir.account,
                created_us: start,
                updated_us: start,
            };
            let id = tx.insert_meeting(&m).await?;
            let a = dir.commission[rng.random_range(0..dir.commission.len())];
            let b = dir.commission[rng.random_range(0..dir.commission.len())];
            let members = if a == b { vec![a] } else { vec![a, b] };
            tx.set_commission(id, &members, false).await?;
            tx.append_event(&glassroom_store::NewEvent {
                at_us: start,
                kind: "meeting.published".into(),
                subject: format!("meeting:{id}"),
                actor: None,
                body: format!("{{\"id\":{id}}}"),
            })
            .await?;
        }
        tx.commit().await?;
        done += chunk;
    }
    Ok(())
}

/// Baseline: the bare SQL insert of the rows a schedule writes (meeting + event), one commit each.
async fn bare_insert_baseline(app: &App, dir: &Dir, ops: usize) -> anyhow::Result<()> {
    let mut lat = Vec::with_capacity(ops);
    let wall = Instant::now();
    for i in 0..ops {
        let t = Instant::now();
        let mut tx = app.store.write().await?;
        let start = almaty("2027-01-04T09:00").as_microsecond() + i as i64 * 60_000_000;
        let m = glassroom_store::MeetingRow {
            id: 0,
            org_id: dir.org,
            host_id: dir.host,
            business_id: dir.business_ids[i % dir.business_ids.len()],
            subject: "baseline".into(),
            kind: "consultation".into(),
            wished_from_us: start,
            wished_to_us: start,
            status: "scheduled".into(),
            listed: false,
            room_id: None,
            start_us: None,
            end_us: None,
            actual_start_us: None,
            actual_end_us: None,
            host_checked_in_us: None,
            business_checked_in_us: None,
            reason: None,
            protocol_summary: None,
            protocol_outcome: None,
            business_confirmed_us: None,
            requested_by: dir.account,
            created_us: start,
            updated_us: start,
        };
        let id = tx.insert_meeting(&m).await?;
        tx.append_event(&glassroom_store::NewEvent {
            at_us: start,
            kind: "baseline".into(),
            subject: format!("meeting:{id}"),
            actor: None,
            body: "{}".into(),
        })
        .await?;
        tx.commit().await?;
        lat.push(t.elapsed());
    }
    report(
        "baseline: bare insert meeting+event, commit",
        lat,
        wall.elapsed(),
    );
    Ok(())
}

async fn schedule_bench(
    app: &App,
    clock: &ManualClock,
    dir: &Dir,
    ops: usize,
) -> anyhow::Result<()> {
    let official = app
        .actor_by_login("akhmetov")
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    clock.set(almaty("2026-03-02T08:00"));
    // Requests first (not timed).
    let mut ids = Vec::with_capacity(ops);
    let group = dir.commission.len() / 3;
    for i in 0..ops {
        let req = RequestMeeting {
            organisation: dir.org,
            host: dir.commission[3 * (i % group)],
            business_bin: dir.bins[i % dir.bins.len()].clone(),
            representatives: vec![],
            subject: "Бенчмарк".into(),
            kind: "consultation".into(),
            wished_from: almaty("2026-03-03T09:00"),
            wished_to: almaty("2026-05-30T18:00"),
        };
        ids.push(
            app.request_meeting(&official, req)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?
                .id,
        );
    }
    // A realistic density: 20 meetings at a time (each with its own room, host and commission),
    // five slots a working day (09:00, 10:00, 11:00, 15:00, 16:00), working days from 1 April.
    let calendar = {
        let mut tx = app.store.read().await?;
        glassroom_app::context::working_calendar(&mut *tx, dir.org)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?
    };
    let tz = calendar.time_zone().clone();
    let mut days = Vec::new();
    let mut d = jiff::civil::date(2026, 4, 1);
    while days.len() < ops / 100 + 1 {
        if calendar.is_working_day(d) {
            days.push(d);
        }
        d = d.tomorrow()?;
    }
    let group = dir.commission.len() / 3;
    let jobs: Vec<(i64, ScheduleMeeting)> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| {
            let hour = [9, 10, 11, 15, 16][(i % 100) / 20];
            let start = tz
                .to_timestamp(days[i / 100].at(hour, 0, 0, 0))
                .unwrap_or(first_fallback());
            let p = 3 * (i % group);
            let members = vec![dir.commission[p + 1], dir.commission[p + 2]];
            (
                *id,
                ScheduleMeeting {
                    room: dir.rooms[i % dir.rooms.len()],
                    start,
                    end: start + SignedDuration::from_mins(45),
                    commission: members,
                    overrides: vec![],
                },
            )
        })
        .collect();
    let mut jobs = jobs.into_iter();
    for clients in [1usize, 4, 16] {
        let share: Vec<(i64, ScheduleMeeting)> = jobs.by_ref().take(ops / 3).collect();
        let n = share.len();
        let queue = Arc::new(std::sync::Mutex::new(share.into_iter()));
        let refused = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let wall = Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..clients {
            let (app, official, queue, refused) = (
                app.clone(),
                official.clone(),
                queue.clone(),
                refused.clone(),
            );
            tasks.push(tokio::spawn(async move {
                let mut lat = Vec::new();
                loop {
                    let next = queue.lock().ok().and_then(|mut q| q.next());
                    let Some((id, req)) = next else { break };
                    let t = Instant::now();
                    match app.decide_schedule(&official, id, req).await {
                        Ok(_) => {}
                        Err(glassroom_app::AppError::Refused { .. }) => {
                            refused.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        }
                        Err(e) => return Err(anyhow::anyhow!("schedule failed: {e}")),
                    }
                    lat.push(t.elapsed());
                }
                Ok(lat)
            }));
        }
        let mut lat = Vec::with_capacity(n);
        for t in tasks {
            lat.extend(t.await??);
        }
        report(
            &format!("schedule decision end to end, {clients:>2} client(s)"),
            lat,
            wall.elapsed(),
        );
        println!(
            "  ({} of {n} refused by the rules)",
            refused.load(std::sync::atomic::Ordering::Relaxed)
        );
    }
    Ok(())
}

async fn register_bench(app: &App, dir: &Dir, ops: usize) -> anyhow::Result<()> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let mut baseline = Vec::with_capacity(ops);
    let wall = Instant::now();
    for _ in 0..ops {
        let t = Instant::now();
        let mut tx = app.store.read().await?;
        let _ = tx.meeting(rng.random_range(1..1000)).await?;
        drop(tx);
        baseline.push(t.elapsed());
    }
    report(
        "baseline: one meeting by primary key",
        baseline,
        wall.elapsed(),
    );
    type MakeQuery = fn(&Dir, &mut rand::rngs::StdRng) -> RegisterQuery;
    let queries: [(&str, MakeQuery); 4] = [
        ("register: first page, no filter", |_, _| {
            RegisterQuery::default()
        }),
        ("register: organisation subtree", |d, _| RegisterQuery {
            organisation: Some(d.org_code.clone()),
            ..Default::default()
        }),
        ("register: organisation + one month", |d, r| {
            let from = almaty("2024-01-01T00:00")
                + SignedDuration::from_hours(24 * r.random_range(0..700));
            RegisterQuery {
                organisation: Some(d.org_code.clone()),
                from: Some(from),
                to: Some(from + SignedDuration::from_hours(24 * 30)),
                ..Default::default()
            }
        }),
        ("register: business BIN", |d, r| RegisterQuery {
            business_bin: Some(d.bins[r.random_range(0..d.bins.len())].clone()),
            ..Default::default()
        }),
    ];
    for (name, make) in queries {
        let mut lat = Vec::with_capacity(ops);
        let wall = Instant::now();
        for _ in 0..ops {
            let q = make(dir, &mut rng);
            let t = Instant::now();
            let page = app.register(q).await.map_err(|e| anyhow::anyhow!("{e}"))?;
            lat.push(t.elapsed());
            std::hint::black_box(page);
        }
        report(name, lat, wall.elapsed());
    }
    Ok(())
}

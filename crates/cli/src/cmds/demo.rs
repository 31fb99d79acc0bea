use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;

#[derive(clap::Args)]
pub struct Args {
    /// Data directory for the demo (created if missing; seeded once).
    #[arg(long, default_value = "glassroom-demo")]
    data: PathBuf,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Run as if it were this moment (RFC 3339 with an offset, e.g. 2026-12-02T09:50:00+05:00),
    /// with the clock going on from there: to show a working day at any hour. Default: now.
    #[arg(long)]
    at: Option<jiff::Timestamp>,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    // The demo is always the embedded setup: SQLite and local disk under --data.
    let data = super::DataArgs {
        data: args.data.clone(),
        database_url: None,
    };
    let store = super::open_store(&data).await?;
    let ledger = super::LedgerFile {
        origin: Some("demo.glassroom.kz/ledger".into()),
        ..Default::default()
    };
    let app = match args.at {
        Some(at) => glassroom_app::App::new(
            store.clone(),
            std::sync::Arc::new(glassroom_app::OffsetClock::starting_at(at)),
        ),
        None => super::app(store.clone()),
    };
    let mut app = super::start_ledger(app, &args.data, &ledger)?;
    let media = glassroom_app::demo::DemoMedia::under(&args.data)
        .with_context(|| format!("writing the demo clip under {}", args.data.display()))?;
    let created = glassroom_app::demo::seed(store, app.clock.now(), &media)
        .await
        .map_err(|e| anyhow::anyhow!("seeding the demo: {e}"))?;
    // The rooms' inputs replay the shipped clip through the real recorder, for every meeting
    // from its lead-in to its lead-out (not through all working time, to spare the disk).
    app.config.recordings_dir = Some(media.recordings.clone());
    let recorder = super::start_recorder(
        &mut app,
        &args.data,
        &super::RecorderFile {
            enabled: true,
            working_time: Some(false),
            ..Default::default()
        },
    )
    .await?;
    // The demo publishes its dump at once (any time after midnight), and daily after that.
    let dumps = super::start_daily_dump(
        &mut app,
        &args.data,
        &super::OpenDataFile {
            daily_dump: Some(true),
            dump_at: Some("00:00".into()),
        },
    )?;
    let dir = args.data.display().to_string();
    // Name the binary as it was started (`target/release/glassroom` under cargo), so the printed
    // commands work as they are.
    let exe = std::env::args()
        .next()
        .unwrap_or_else(|| "glassroom".into());
    let served = super::serve(app, args.listen, recorder, move |addr| {
        println!("Glassroom demo akimat — http://{addr}/");
        println!("  public register: http://{addr}/api/v1/meetings");
        println!("  API description: http://{addr}/api/v1/openapi.json");
        println!("  transparency log: http://{addr}/log/checkpoint (check it: `{exe} verify --url http://{addr}`)");
        if created > 0 {
            println!("  seeded {created} meetings in every state under {dir}");
        } else {
            println!("  using the demo already under {dir}");
        }
        println!();
        println!(
            "Demo accounts — sign in at http://{addr}/login with password {} (or get an API token with `{exe} account token LOGIN --data {dir}`):",
            glassroom_app::demo::DEMO_PASSWORD
        );
        for (login, what) in glassroom_app::demo::DEMO_ACCOUNTS {
            println!("  {login:<12} {what}");
        }
        println!();
        println!("Example: curl -H \"Authorization: Bearer $({exe} account token kassymov --data {dir})\" http://{addr}/api/v1/me/meetings");
    })
    .await;
    if let Some(d) = dumps {
        d.abort();
    }
    served
}

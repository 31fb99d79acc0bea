//! `glassroom`: one binary, one module per subcommand.

mod cmds;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "glassroom",
    version,
    about = "Glassroom: recorded, provable meetings between akimat officials and business"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve a complete demo akimat on an embedded SQLite and local disk.
    Demo(cmds::demo::Args),
    /// Serve in production (SQLite under --data by default; PostgreSQL with DATABASE_URL).
    Serve(cmds::serve::Args),
    /// Import data: `glassroom import directory FILE`.
    Import(cmds::import::Args),
    /// Open data: `glassroom export register` (the daily dump, sealed in the ledger).
    Export(cmds::export::Args),
    /// Account tools: `glassroom account token LOGIN`.
    Account(cmds::account::Args),
    /// Audit the transparency log end to end (local data, or --url of a server).
    Verify(cmds::verify::Args),
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("GLASSROOM_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Demo(a) => cmds::demo::run(a).await,
            Command::Serve(a) => cmds::serve::run(a).await,
            Command::Import(a) => cmds::import::run(a).await,
            Command::Export(a) => cmds::export::run(a).await,
            Command::Account(a) => cmds::account::run(a).await,
            Command::Verify(a) => cmds::verify::run(a).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

//! The embedded back end: one SQLite file in WAL mode under the data directory. One writer
//! connection (`BEGIN IMMEDIATE`) serialises writes; readers use their own connections.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Sqlite, Transaction};

use crate::{Result, Store, StoreError, Tx};

pub struct SqliteStore {
    writer: SqlitePool,
    reader: SqlitePool,
    checkpointer: SqlitePool,
    commits: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

/// A writer connection is only handed out outside any transaction. A write that failed on a full
/// disk can leave the driver believing a transaction is still open (SQLite already rolled it
/// back, so the queued ROLLBACK fails): such a connection is closed and replaced, and the next
/// write starts clean.
async fn healthy(conn: &mut sqlx::SqliteConnection) -> std::result::Result<bool, sqlx::Error> {
    use sqlx::Connection;
    if !conn.is_in_transaction() {
        return Ok(true);
    }
    // A rollback may still be queued behind us: let the connection's worker catch up, then look
    // again.
    if sqlx::query("SELECT 1").execute(&mut *conn).await.is_err() {
        return Ok(false);
    }
    Ok(!conn.is_in_transaction())
}

pub struct SqliteTx {
    tx: Transaction<'static, Sqlite>,
    /// Events of this transaction, inserted at commit.
    events: Vec<crate::NewEvent>,
    /// The store's count of committed writes, bumped when this one commits (None: a read).
    commits: Option<std::sync::Arc<std::sync::atomic::AtomicU64>>,
}

impl SqliteTx {
    async fn lock(&mut self, _key: i64) -> Result<()> {
        // `BEGIN IMMEDIATE` on the single writer connection already serialises writers.
        Ok(())
    }

    async fn push_event(&mut self, e: &crate::NewEvent) -> Result<()> {
        self.events.push(e.clone());
        Ok(())
    }

    /// One writer at a time: AUTOINCREMENT numbers are dense and in commit order. Events are
    /// inserted at commit, many rows per statement (one statement per event costs more than the
    /// event itself).
    async fn flush_events(&mut self) -> Result<()> {
        let mut events = std::mem::take(&mut self.events);
        while !events.is_empty() {
            // 500 rows × 5 values stays under SQLite's limit on bound parameters.
            let chunk: Vec<crate::NewEvent> = events.drain(..events.len().min(500)).collect();
            let mut q = sqlx::QueryBuilder::<Sqlite>::new(
                "INSERT INTO events (at_us, kind, subject, actor, body) ",
            );
            q.push_values(chunk, |mut b, e| {
                b.push_bind(e.at_us)
                    .push_bind(e.kind)
                    .push_bind(e.subject)
                    .push_bind(e.actor)
                    .push_bind(e.body);
            });
            q.build().execute(&mut *self.tx).await?;
        }
        Ok(())
    }
}

crate::common::impl_tx!(SqliteTx, Sqlite, "+");

impl SqliteStore {
    pub async fn open(path: &Path) -> Result<Self> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| {
                StoreError::Unavailable(format!("cannot create {}: {e}", dir.display()))
            })?;
        }
        let url = format!("sqlite://{}", path.display());
        let options = SqliteConnectOptions::from_str(&url)
            .map_err(|e| StoreError::Unavailable(e.to_string()))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // FULL: a committed (acknowledged) transaction survives power loss, not only a crash.
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            // Keep the hot indexes in memory at a million meetings: 64 MiB page cache per
            // connection, and reads through a 256 MiB memory map.
            .pragma("cache_size", "-65536")
            .pragma("mmap_size", "268435456")
            .pragma("temp_store", "memory");
        // A local file: no connection can go stale, so no ping before each transaction.
        // The writer never checkpoints on commit (that would put a checkpoint's random writes
        // into some unlucky request's latency); a background task checkpoints instead.
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .test_before_acquire(false)
            .before_acquire(|conn, _| Box::pin(async move { healthy(conn).await }))
            .connect_with(options.clone().pragma("wal_autocheckpoint", "0"))
            .await?;
        sqlx::migrate!("migrations/sqlite").run(&writer).await?;
        let reader = SqlitePoolOptions::new()
            .max_connections(4)
            .test_before_acquire(false)
            .connect_with(options.clone().read_only(true))
            .await?;
        let checkpointer = SqlitePoolOptions::new()
            .max_connections(1)
            .test_before_acquire(false)
            .connect_with(options)
            .await?;
        tokio::spawn(checkpoint_loop(checkpointer.clone()));
        Ok(SqliteStore {
            writer,
            reader,
            checkpointer,
            commits: Default::default(),
        })
    }
}

/// Copies committed pages from the WAL into the database file twice a second, without blocking
/// writers or readers (PASSIVE); once a WAL grown past 64 MiB is fully copied, it is truncated so
/// it cannot grow without bound.
async fn checkpoint_loop(pool: SqlitePool) {
    let mut tick = tokio::time::interval(Duration::from_millis(500));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if pool.is_closed() {
            return;
        }
        let row: std::result::Result<(i64, i64, i64), sqlx::Error> =
            sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)")
                .fetch_one(&pool)
                .await;
        match row {
            // Truncate only once every frame is already in the database file, so the truncation
            // itself is instant and never holds up a writer.
            Ok((0, wal_pages, done)) if wal_pages > 16_384 && done == wal_pages => {
                let _ = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                    .execute(&pool)
                    .await;
            }
            Ok(_) => {}
            Err(e) if pool.is_closed() => {
                tracing::debug!(error = %e, "checkpointer stopped");
                return;
            }
            Err(e) => tracing::warn!(error = %e, "WAL checkpoint failed"),
        }
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn write(&self) -> Result<Box<dyn Tx>> {
        Ok(Box::new(SqliteTx {
            tx: self.writer.begin_with("BEGIN IMMEDIATE").await?,
            events: Vec::new(),
            commits: Some(self.commits.clone()),
        }))
    }
    async fn read(&self) -> Result<Box<dyn Tx>> {
        Ok(Box::new(SqliteTx {
            tx: self.reader.begin().await?,
            events: Vec::new(),
            commits: None,
        }))
    }
    fn commits(&self) -> u64 {
        self.commits.load(std::sync::atomic::Ordering::Acquire)
    }
    fn backend(&self) -> &'static str {
        "sqlite"
    }
    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.reader).await?;
        Ok(())
    }
    async fn analyze(&self) -> Result<()> {
        sqlx::query("ANALYZE").execute(&self.writer).await?;
        Ok(())
    }
    async fn close(&self) {
        self.reader.close().await;
        self.checkpointer.close().await;
        // A last full checkpoint so the database file stands on its own.
        let _ = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&self.writer)
            .await;
        self.writer.close().await;
    }
}

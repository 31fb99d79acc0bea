//! The scale-out back end: PostgreSQL. Booking decisions take a transaction-scoped advisory lock so
//! two schedules can never both see a room free.

use std::time::Duration;

use async_trait::async_trait;
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::{Postgres, Transaction};

use crate::{Result, Store, Tx};

pub struct PgStore {
    pool: PgPool,
    commits: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

pub struct PgTx {
    tx: Transaction<'static, Postgres>,
    /// Events of this transaction, inserted at commit (see [`PgTx::flush_events`]).
    events: Vec<crate::NewEvent>,
    /// The store's count of committed writes, bumped when this one commits (None: a read).
    commits: Option<std::sync::Arc<std::sync::atomic::AtomicU64>>,
}

/// Advisory lock key that orders event numbering (1 is the bookings lock).
const EVENTS_LOCK: i64 = 2;

impl PgTx {
    async fn lock(&mut self, key: i64) -> Result<()> {
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(key)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }
}

impl PgTx {
    async fn push_event(&mut self, e: &crate::NewEvent) -> Result<()> {
        self.events.push(e.clone());
        Ok(())
    }

    /// The ledger needs event numbers that are dense and in commit order; a PostgreSQL sequence
    /// gives neither (numbers are taken before commit, and lost on rollback). So events are
    /// numbered last, just before commit, under a transaction-scoped advisory lock held until the
    /// commit is visible: the next writer numbers after it. Taking that lock last, after every
    /// row lock the transaction holds, keeps it out of any deadlock cycle.
    async fn flush_events(&mut self) -> Result<()> {
        if self.events.is_empty() {
            return Ok(());
        }
        self.lock(EVENTS_LOCK).await?;
        let events = std::mem::take(&mut self.events);
        let mut at = Vec::with_capacity(events.len());
        let mut kind = Vec::with_capacity(events.len());
        let mut subject = Vec::with_capacity(events.len());
        let mut actor = Vec::with_capacity(events.len());
        let mut body = Vec::with_capacity(events.len());
        for e in events {
            at.push(e.at_us);
            kind.push(e.kind);
            subject.push(e.subject);
            actor.push(e.actor);
            body.push(e.body);
        }
        sqlx::query(
            "INSERT INTO events (seq, at_us, kind, subject, actor, body) \
             SELECT mx.m + t.o, t.at_us, t.kind, t.subject, t.actor, t.body \
             FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[]) \
                  WITH ORDINALITY AS t(at_us, kind, subject, actor, body, o), \
                  (SELECT COALESCE(MAX(seq), 0) AS m FROM events) mx \
             ORDER BY t.o",
        )
        .bind(at)
        .bind(kind)
        .bind(subject)
        .bind(actor)
        .bind(body)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }
}

crate::common::impl_tx!(PgTx, Postgres, "");

impl PgStore {
    pub async fn connect(url: &str) -> Result<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await?;
        sqlx::migrate!("migrations/postgres").run(&pool).await?;
        Ok(PgStore {
            pool,
            commits: Default::default(),
        })
    }
}

#[async_trait]
impl Store for PgStore {
    async fn write(&self) -> Result<Box<dyn Tx>> {
        Ok(Box::new(PgTx {
            tx: self.pool.begin().await?,
            events: Vec::new(),
            commits: Some(self.commits.clone()),
        }))
    }
    async fn read(&self) -> Result<Box<dyn Tx>> {
        Ok(Box::new(PgTx {
            tx: self.pool.begin_with("BEGIN TRANSACTION READ ONLY").await?,
            events: Vec::new(),
            commits: None,
        }))
    }
    fn commits(&self) -> u64 {
        self.commits.load(std::sync::atomic::Ordering::Acquire)
    }
    fn backend(&self) -> &'static str {
        "postgres"
    }
    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }
    async fn analyze(&self) -> Result<()> {
        sqlx::query("ANALYZE").execute(&self.pool).await?;
        Ok(())
    }
    async fn close(&self) {
        self.pool.close().await;
    }
}

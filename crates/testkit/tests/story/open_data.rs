//! The register as open data: iCalendar feeds read by an independent parser (the `ical` crate).

use reqwest::StatusCode;

use glassroom_testkit::almaty;

use super::{each_backend, request};

fn parse(text: &str) -> Vec<ical::parser::ical::component::IcalCalendar> {
    ical::IcalParser::new(std::io::BufReader::new(text.as_bytes()))
        .collect::<Result<Vec<_>, _>>()
        .expect("a valid iCalendar stream")
}

fn prop(e: &ical::parser::ical::component::IcalEvent, name: &str) -> String {
    e.properties
        .iter()
        .find(|p| p.name == name)
        .and_then(|p| p.value.clone())
        .unwrap_or_default()
}

#[tokio::test]
async fn meetings_appear_in_icalendar_feeds_per_room_official_and_organisation() {
    each_backend(|app| async move {
        let id = app.scheduled_meeting().await; // 2026-03-20 10:00–11:00 Almaty, akimat-101, akhmetov
        let requested = request(
            &app,
            "saryarka",
            "050140001129",
            "construction",
            "seitkali",
            "2026-03-20",
        )
        .await;
        for (path, present) in [
            ("/api/v1/calendars/rooms/akimat-101.ics", true),
            ("/api/v1/calendars/officials/akhmetov.ics", true),
            ("/api/v1/calendars/organisations/astana-akimat.ics", true),
            ("/api/v1/calendars/organisations/entrepreneurship.ics", true),
            ("/api/v1/calendars/organisations/construction.ics", false),
            ("/api/v1/calendars/officials/seitkali.ics", false),
        ] {
            let (status, body) = app.get_raw(path).await;
            assert_eq!(status, StatusCode::OK, "{path}");
            let text = String::from_utf8(body).expect("utf-8");
            assert!(text.contains("\r\n"), "CRLF line ends");
            let cals = parse(&text);
            assert_eq!(cals.len(), 1, "{path}");
            let events = &cals[0].events;
            assert!(
                !events
                    .iter()
                    .any(|e| prop(e, "UID") == format!("meeting-{requested}@glassroom")),
                "a request is not public: {path}"
            );
            let found = events
                .iter()
                .find(|e| prop(e, "UID") == format!("meeting-{id}@glassroom"));
            assert_eq!(found.is_some(), present, "{path}: {text}");
            if let Some(e) = found {
                assert_eq!(prop(e, "DTSTART"), "20260320T050000Z");
                assert_eq!(prop(e, "DTEND"), "20260320T060000Z");
                assert!(
                    prop(e, "SUMMARY").starts_with("Согласование документации"),
                    "{text}"
                );
                assert_eq!(prop(e, "LOCATION"), "Переговорная 101");
                assert!(prop(e, "URL").ends_with(&format!("/meetings/{id}")));
                assert_eq!(prop(e, "STATUS"), "CONFIRMED");
            }
        }
        let r = app
            .get("/api/v1/calendars/rooms/no-such-room.ics", None)
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        assert_eq!(
            r.body["type"].as_str().map(|t| t.ends_with("not-found")),
            Some(true),
            "{}",
            r.body
        );
        app
    })
    .await;
}

/// Parses CSV with Python's `csv` module (an independent reader): a list of rows as dicts.
fn python_csv(text: &str) -> Vec<serde_json::Map<String, serde_json::Value>> {
    use std::io::Write;
    let mut child = std::process::Command::new("python3")
        .args([
            "-c",
            "import csv, io, json, sys; print(json.dumps(list(csv.DictReader(io.TextIOWrapper(sys.stdin.buffer, encoding='utf-8', newline='')))))",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python3");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(text.as_bytes())
        .expect("write");
    let out = child.wait_with_output().expect("python3 output");
    assert!(out.status.success(), "python's csv refused the file");
    serde_json::from_slice(&out.stdout).expect("json")
}

#[tokio::test]
async fn the_register_is_open_data_as_csv_read_by_an_independent_parser() {
    each_backend(|app| async move {
        let id = app.scheduled_meeting().await;
        let requested = request(
            &app,
            "saryarka",
            "050140001129",
            "construction",
            "seitkali",
            "2026-03-20",
        )
        .await;
        let (status, body) = app.get_raw("/api/v1/open-data/meetings.csv").await;
        assert_eq!(status, StatusCode::OK);
        let rows = python_csv(&String::from_utf8(body).expect("utf-8"));
        assert_eq!(rows.len(), 1, "only the listed meeting: {rows:?}");
        let m = &rows[0];
        assert_eq!(m["id"], id.to_string());
        assert_eq!(m["status"], "scheduled");
        assert_eq!(m["business_bin"], "070840003411");
        assert_eq!(m["start_almaty"], "2026-03-20 10:00");
        assert_eq!(m["start_utc"], "2026-03-20T05:00:00Z");
        assert_eq!(m["room"], "Переговорная 101");
        let requested = requested.to_string();
        assert!(
            !rows
                .iter()
                .any(|r| r["id"].as_str() == Some(requested.as_str()))
        );
        let (_, body) = app.get_raw("/api/v1/open-data/participants.csv").await;
        let rows = python_csv(&String::from_utf8(body).expect("utf-8"));
        let roles: Vec<&str> = rows.iter().filter_map(|r| r["role"].as_str()).collect();
        assert_eq!(
            roles,
            ["host", "business", "commission", "commission"],
            "{rows:?}"
        );
        assert!(
            rows.iter()
                .any(|r| r["name"].as_str().is_some_and(|n| n.starts_with("Омарова")))
        );
        // Filters as the register's; a bad one is a problem, not a broken file.
        let (_, body) = app
            .get_raw("/api/v1/open-data/meetings.csv?organisation=construction")
            .await;
        assert!(python_csv(&String::from_utf8(body).expect("utf-8")).is_empty());
        let r = app
            .get("/api/v1/open-data/meetings.csv?from=yesterday", None)
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        // HTTP caching: validators, 304 for a client that has this version, 200 after a change.
        let url = format!("{}/api/v1/open-data/meetings.csv", app.base);
        let r = app.client.get(&url).send().await.expect("csv");
        let etag = r.headers()["etag"].to_str().expect("etag").to_owned();
        let modified = r.headers()["last-modified"]
            .to_str()
            .expect("lm")
            .to_owned();
        assert!(etag.starts_with("W/\""), "{etag}");
        assert!(modified.ends_with(" GMT"), "{modified}");
        let r = app
            .client
            .get(&url)
            .header("if-none-match", &etag)
            .send()
            .await
            .expect("csv");
        assert_eq!(r.status(), StatusCode::NOT_MODIFIED);
        assert_eq!(r.headers()["etag"].to_str().expect("etag"), etag);
        let r = app
            .client
            .get(&url)
            .header("if-modified-since", &modified)
            .send()
            .await
            .expect("csv");
        assert_eq!(r.status(), StatusCode::NOT_MODIFIED);
        let ics = format!("{}/api/v1/calendars/rooms/akimat-101.ics", app.base);
        let r = app
            .client
            .get(&ics)
            .header("if-none-match", &etag)
            .send()
            .await
            .expect("ics");
        assert_eq!(r.status(), StatusCode::NOT_MODIFIED);
        let official = app.token("seitkali").await;
        let r = app
            .post(
                &format!("/api/v1/meetings/{requested}/reject"),
                Some(&official),
                &serde_json::json!({"reason": "Вопрос не в компетенции управления"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let r = app
            .client
            .get(&url)
            .header("if-none-match", &etag)
            .send()
            .await
            .expect("csv");
        assert_eq!(r.status(), StatusCode::OK, "a change makes a new version");
        assert_ne!(r.headers()["etag"].to_str().expect("etag"), etag);
        app
    })
    .await;
}

/// No private person's IIN, phone or address (nor a business's address) appears in anything the
/// public can fetch: the register and a meeting as pages, JSON, CSV and iCalendar, the log.
#[tokio::test]
async fn no_private_data_in_any_public_output() {
    each_backend(|app| async move {
        // The request helper adds a representative with an IIN and a phone.
        let id = app.scheduled_meeting().await;
        let requested = request(
            &app,
            "nurservice",
            "070840003411",
            "entrepreneurship",
            "akhmetov",
            "2026-03-20",
        )
        .await;
        let official = app.token("akhmetov").await;
        let body = super::schedule_body(
            &app,
            "akimat-101",
            "2026-03-20T15:00:00+05:00",
            "2026-03-20T16:00:00+05:00",
            &["omarova", "bekov"],
        )
        .await;
        let r = app
            .post(
                &format!("/api/v1/meetings/{requested}/schedule"),
                Some(&official),
                &body,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let private = [
            "000740001307",
            "+7 701 000 00 00",
            "Иванов Иван",
            "пр. Абая, 12",
            "ул. Кенесары, 40",
        ];
        let paths = [
            "/".to_owned(),
            format!("/meetings/{id}"),
            format!("/meetings/{requested}"),
            "/api/v1/meetings".to_owned(),
            format!("/api/v1/meetings/{requested}"),
            format!("/api/v1/meetings/{requested}/events"),
            "/api/v1/businesses/070840003411".to_owned(),
            "/businesses/070840003411".to_owned(),
            "/api/v1/open-data/meetings.csv".to_owned(),
            "/api/v1/open-data/participants.csv".to_owned(),
            "/api/v1/calendars/organisations/astana-akimat.ics".to_owned(),
            "/api/v1/calendars/rooms/akimat-101.ics".to_owned(),
            "/api/v1/log/checkpoint".to_owned(),
            "/log".to_owned(),
        ];
        let mut checked = 0;
        for path in &paths {
            let (status, body) = app.get_raw(path).await;
            assert_eq!(status, StatusCode::OK, "{path}");
            let text = String::from_utf8_lossy(&body);
            // Each output does show the meeting (or the business), so the check below means something.
            assert!(
                text.contains("070840003411") || path.contains("log"),
                "{path} shows the meeting"
            );
            for p in private {
                assert!(!text.contains(p), "{path} shows private data {p:?}");
            }
            checked += 1;
        }
        assert_eq!(checked, paths.len());
        // The same representative is visible to the staff who need it (the test can fail).
        let r = app
            .get(&format!("/api/v1/meetings/{requested}"), Some(&official))
            .await;
        assert!(r.body.to_string().contains("Иванов Иван"), "{}", r.body);
        app
    })
    .await;
}

/// The JSON register answers conditional requests like the other open-data outputs, and text
/// answers are compressed (gzip or Brotli, as the client asks) into exactly the same bytes once
/// decoded; binary answers are not.
#[tokio::test]
async fn the_json_register_has_validators_and_text_is_compressed() {
    use std::io::Read;
    each_backend(|app| async move {
        app.scheduled_meeting().await;
        let url = format!("{}/api/v1/meetings?limit=5", app.base);
        let r = app.client.get(&url).send().await.expect("register");
        assert_eq!(r.status(), StatusCode::OK);
        let etag = r.headers()["etag"].to_str().expect("etag").to_owned();
        let modified = r.headers()["last-modified"]
            .to_str()
            .expect("lm")
            .to_owned();
        assert_eq!(r.headers()["cache-control"], "public, max-age=60");
        // Each item links to its meeting and to its business's standing.
        let page: serde_json::Value = r.json().await.expect("json");
        for link in ["href", "business_href"] {
            let href = page["items"][0][link].as_str().expect("link");
            assert_eq!(app.get(href, None).await.status, StatusCode::OK, "{href}");
        }
        for (name, value) in [
            ("if-none-match", etag.as_str()),
            ("if-modified-since", modified.as_str()),
        ] {
            let r = app
                .client
                .get(&url)
                .header(name, value)
                .send()
                .await
                .expect("register");
            assert_eq!(r.status(), StatusCode::NOT_MODIFIED, "{name}");
            assert!(r.bytes().await.expect("body").is_empty());
        }
        // A bad filter is still a problem, whatever the client holds.
        let r = app
            .client
            .get(format!("{}/api/v1/meetings?from=yesterday", app.base))
            .header("if-none-match", &etag)
            .send()
            .await
            .expect("register");
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        // A change makes a new version.
        request(
            &app,
            "saryarka",
            "050140001129",
            "construction",
            "seitkali",
            "2026-03-20",
        )
        .await;
        let r = app
            .client
            .get(&url)
            .header("if-none-match", &etag)
            .send()
            .await
            .expect("register");
        assert_eq!(
            r.status(),
            StatusCode::OK,
            "a new meeting makes a new version"
        );
        assert_ne!(r.headers()["etag"].to_str().expect("etag"), etag);

        for path in [
            "/",
            "/api/v1/meetings",
            "/api/v1/open-data/participants.csv",
            "/api/v1/calendars/organisations/astana-akimat.ics",
            "/api/v1/openapi.json",
        ] {
            let (status, plain) = app.get_raw(path).await;
            assert_eq!(status, StatusCode::OK, "{path}");
            for coding in ["gzip", "br"] {
                let r = app
                    .client
                    .get(format!("{}{path}", app.base))
                    .header("accept-encoding", coding)
                    .send()
                    .await
                    .expect("get");
                assert_eq!(r.headers()["content-encoding"], coding, "{path}");
                assert!(
                    r.headers().get_all("vary").iter().any(|v| v
                        .to_str()
                        .is_ok_and(|v| v.to_ascii_lowercase().contains("accept-encoding"))),
                    "{path}: Vary names Accept-Encoding"
                );
                let packed = r.bytes().await.expect("body");
                let mut unpacked = Vec::new();
                if coding == "gzip" {
                    flate2::read::GzDecoder::new(&packed[..])
                        .read_to_end(&mut unpacked)
                        .expect("gunzip");
                } else {
                    brotli_decompressor::Decompressor::new(&packed[..], 4096)
                        .read_to_end(&mut unpacked)
                        .expect("unbrotli");
                }
                assert_eq!(unpacked, plain, "{path} {coding}: the same bytes");
                if path == "/api/v1/openapi.json" {
                    assert!(
                        packed.len() * 3 < plain.len(),
                        "{path} {coding}: {} of {} bytes",
                        packed.len(),
                        plain.len()
                    );
                }
            }
        }
        // Log tiles are binary: served as stored.
        let size = app.sealed().await;
        assert!(size < 256, "one partial tile");
        for tile in [
            format!("/log/tile/0/000.p/{size}"),
            format!("/log/tile/entries/000.p/{size}"),
        ] {
            let r = app
                .client
                .get(format!("{}{tile}", app.base))
                .header("accept-encoding", "gzip, br")
                .send()
                .await
                .expect("tile");
            assert_eq!(r.status(), StatusCode::OK, "{tile}");
            assert!(
                r.headers().get("content-encoding").is_none(),
                "{tile} is served as stored"
            );
        }
        app
    })
    .await;
}

/// The server's daily dump: made once the day's dump time has passed (by the clock the test
/// controls), once a day, each file sealed in the ledger; listed and served byte for byte with
/// its hash as ETag; shown on the open-data page; nothing outside the dumps can be fetched.
#[tokio::test]
async fn the_server_dumps_the_register_daily_and_publishes_each_dump_sealed() {
    use sha2::Digest;
    each_backend(|app| async move {
        app.scheduled_meeting().await;
        let dir = app.app.config.open_data_dir.clone().expect("open-data dir");
        std::fs::create_dir_all(&dir).expect("dir");
        let list = || async { app.get("/api/v1/open-data/dumps", None).await.body };
        assert_eq!(list().await, serde_json::json!({"dumps": []}));
        let (_, page) = app.get_raw("/open-data").await;
        assert!(String::from_utf8_lossy(&page).contains("Выгрузок пока нет"));

        // Due after 10:00; the clock says 09:00 (Monday 16 March).
        let daily = glassroom_web::opendata::spawn_daily(
            app.app.clone(),
            dir.clone(),
            jiff::civil::time(10, 0, 0, 0),
            std::time::Duration::from_millis(20),
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        assert_eq!(
            list().await["dumps"],
            serde_json::json!([]),
            "not before its time"
        );
        app.clock.set(almaty("2026-03-16T10:05"));
        let wait = |n: usize| {
            let list = &list;
            async move {
                let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
                loop {
                    let l = list().await;
                    if l["dumps"].as_array().is_some_and(|d| d.len() == n) {
                        return l;
                    }
                    assert!(
                        std::time::Instant::now() < deadline,
                        "{n} dumps expected: {l}"
                    );
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                }
            }
        };
        let l = wait(1).await;
        let d = &l["dumps"][0];
        assert_eq!(d["name"], "glassroom-register-2026-03-16");
        assert_eq!(d["date"], "2026-03-16");
        let seq = d["seq"].as_i64().expect("seq");
        app.sealed().await;
        let r = app.get(d["receipt"].as_str().expect("receipt"), None).await;
        assert_eq!(r.status, StatusCode::OK, "the seal has a receipt");
        let body = {
            let mut tx = app.app.store.read().await.expect("read");
            tx.events_of("opendata:glassroom-register-2026-03-16")
                .await
                .expect("events")
        };
        assert_eq!(body.len(), 1);
        assert_eq!(body[0].seq, seq);
        for f in d["files"].as_array().expect("files") {
            let url = f["url"].as_str().expect("url");
            let r = app
                .client
                .get(format!("{}{url}", app.base))
                .send()
                .await
                .expect("file");
            assert_eq!(r.status(), StatusCode::OK, "{url}");
            let etag = r.headers()["etag"].to_str().expect("etag").to_owned();
            let bytes = r.bytes().await.expect("bytes");
            let sha = hex::encode(sha2::Sha256::digest(&bytes));
            assert_eq!(f["sha256"], sha.as_str(), "{url}: the bytes sealed");
            assert_eq!(f["bytes"], bytes.len());
            assert!(body[0].body.contains(&sha), "sealed in the event");
            assert_eq!(etag, format!("\"{sha}\""));
            let r = app
                .client
                .get(format!("{}{url}", app.base))
                .header("if-none-match", &etag)
                .send()
                .await
                .expect("file");
            assert_eq!(r.status(), StatusCode::NOT_MODIFIED);
        }
        let meetings = String::from_utf8(
            app.get_raw("/api/v1/open-data/dumps/glassroom-register-2026-03-16/meetings.csv")
                .await
                .1,
        )
        .expect("utf-8");
        assert_eq!(
            meetings.lines().count(),
            2,
            "the header and the scheduled meeting: {meetings}"
        );
        let (_, page) = app.get_raw("/open-data").await;
        let page = String::from_utf8(page).expect("html");
        assert!(
            page.contains(d["files"][0]["sha256"].as_str().expect("sha")),
            "{page}"
        );
        assert!(page.contains("16.03.2026"), "{page}");

        // Once a day: later checks that day make no second dump; the next day makes its own.
        app.clock.set(almaty("2026-03-16T18:00"));
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        assert_eq!(wait(1).await["dumps"][0]["seq"], seq);
        app.clock.set(almaty("2026-03-17T10:01"));
        let l = wait(2).await;
        assert_eq!(
            l["dumps"][0]["name"], "glassroom-register-2026-03-17",
            "newest first"
        );
        daily.abort();

        // Nothing but a sealed dump's files can be fetched.
        std::fs::write(
            dir.join("glassroom-register-2026-03-16").join("notes.txt"),
            "x",
        )
        .expect("write");
        for bad in [
            "/api/v1/open-data/dumps/glassroom-register-2026-03-16/notes.txt",
            "/api/v1/open-data/dumps/glassroom-register-2026-03-18/meetings.csv",
            "/api/v1/open-data/dumps/..%2F..%2Fglassroom.db/meetings.csv",
            "/api/v1/open-data/dumps/glassroom-register-2026-03-16/..%2F..%2Fglassroom.db",
        ] {
            let r = app.get(bad, None).await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "{bad}");
            assert_eq!(r.content_type, "application/problem+json", "{bad}");
        }
        app
    })
    .await;
}

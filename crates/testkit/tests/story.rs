//! The stories a user would check, over HTTP against the real server, on every back end.

#[path = "story/ledger.rs"]
mod ledger;
#[path = "story/open_data.rs"]
mod open_data;
#[path = "story/pages.rs"]
mod pages;
#[path = "story/tenders.rs"]
mod tenders;

use glassroom_testkit::{Backend, TestApp, almaty, backends};
use reqwest::StatusCode;
use serde_json::{Value, json};

const MONDAY_MORNING: &str = "2026-03-16T09:00";

fn rules_of(body: &Value) -> Vec<String> {
    body["violations"]
        .as_array()
        .map(|v| {
            v.iter()
                .map(|x| x["rule"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

fn severity_of(body: &Value, rule: &str) -> String {
    body["violations"]
        .as_array()
        .and_then(|v| v.iter().find(|x| x["rule"] == rule))
        .map(|x| x["severity"].as_str().unwrap_or_default().to_owned())
        .unwrap_or_default()
}

async fn each_backend<F, Fut>(f: F)
where
    F: Fn(TestApp) -> Fut,
    Fut: std::future::Future<Output = TestApp>,
{
    for backend in backends().await {
        eprintln!("--- backend {backend:?}");
        let app = TestApp::spawn(backend, almaty(MONDAY_MORNING)).await;
        let app = f(app).await;
        app.stop().await;
    }
}

/// A request for `business_login`'s business with `host` of `org`, made by the business itself.
async fn request(
    app: &TestApp,
    business_login: &str,
    bin: &str,
    org: &str,
    host: &str,
    day: &str,
) -> i64 {
    let token = app.token(business_login).await;
    let body = json!({
        "organisation": app.id("org", org).await,
        "host": app.id("person", host).await,
        "business_bin": bin,
        "representatives": [{"full_name": "Иванов Иван Иванович", "role": "директор", "iin": "000740001307", "phone": "+7 701 000 00 00"}],
        "subject": "Согласование документации",
        "kind": "consultation",
        "wished_from": format!("{day}T09:00:00+05:00"),
        "wished_to": format!("{day}T17:00:00+05:00"),
    });
    let r = app.post("/api/v1/meetings", Some(&token), &body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.body["status"], "requested");
    r.body["id"].as_i64().expect("id")
}

async fn schedule_body(
    app: &TestApp,
    room: &str,
    start: &str,
    end: &str,
    commission: &[&str],
) -> Value {
    let mut members = Vec::new();
    for c in commission {
        members.push(app.id("person", c).await);
    }
    json!({"room": app.id("room", room).await, "start": start, "end": end, "commission": members})
}

async fn set_room(app: &TestApp, admin: &str, room: &str, state: &str) {
    let rooms = app.get("/api/v1/directory/rooms", Some(admin)).await;
    let room = rooms
        .body
        .as_array()
        .expect("rooms")
        .iter()
        .find(|r| r["code"] == room)
        .expect("room")
        .clone();
    for input in room["inputs"].as_array().expect("inputs") {
        let r = app
            .put(
                &format!("/api/v1/inputs/{}/state", input["id"]),
                Some(admin),
                &json!({"state": state}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }
}

#[tokio::test]
async fn a_meeting_goes_through_its_whole_lifecycle() {
    each_backend(|app| async move {
        let id = request(&app, "nurservice", "070840003411", "entrepreneurship", "akhmetov", "2026-03-20").await;
        let official = app.token("akhmetov").await;
        let body = schedule_body(&app, "akimat-101", "2026-03-20T10:00:00+05:00", "2026-03-20T11:00:00+05:00", &["omarova", "bekov"]).await;
        let r = app.post(&format!("/api/v1/meetings/{id}/schedule"), Some(&official), &body).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.body["status"], "scheduled");
        assert_eq!(r.body["start"], "2026-03-20T10:00:00+05:00");

        // Listed publicly from `scheduled` on, without private data.
        let public = app.get(&format!("/api/v1/meetings/{id}"), None).await;
        assert_eq!(public.status, StatusCode::OK);
        assert!(public.body.get("representatives").is_none(), "{}", public.body);
        assert!(!public.body.to_string().contains("000740001307"));
        assert!(!public.body.to_string().contains("+7 701"));

        // Start is refused until the quorum is here and every input records.
        app.clock.set(almaty("2026-03-20T09:55"));
        let r = app.post(&format!("/api/v1/meetings/{id}/start"), Some(&official), &json!({})).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(rules_of(&r.body), ["quorum_not_present", "recording_not_active"]);

        for who in ["omarova", "bekov", "akhmetov", "nurservice"] {
            let t = app.token(who).await;
            let r = app.post(&format!("/api/v1/meetings/{id}/check-in"), Some(&t), &json!({})).await;
            assert_eq!(r.status, StatusCode::OK, "{who}: {}", r.body);
        }
        let admin = app.token("admin").await;
        set_room(&app, &admin, "akimat-101", "recording").await;
        app.clock.set(almaty("2026-03-20T10:00"));
        let r = app.call(reqwest::Method::POST, &format!("/api/v1/meetings/{id}/start"), Some(&official), None).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.body["status"], "in_progress");

        app.clock.set(almaty("2026-03-20T10:50"));
        let r = app.post(&format!("/api/v1/meetings/{id}/end"), Some(&official), &json!({})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.body["status"], "completed");
        assert!(r.body.get("findings").is_none(), "a clean meeting opens no case: {}", r.body);

        // Publishing needs the protocol, signed by those present.
        let r = app.post(&format!("/api/v1/meetings/{id}/publish"), Some(&official), &json!({})).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(r.body["errors"][0]["code"], "protocol_missing");
        let r = app.put(&format!("/api/v1/meetings/{id}/protocol"), Some(&official), &json!({"summary": "Разъяснены требования", "outcome": "Документы приняты"})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let r = app.post(&format!("/api/v1/meetings/{id}/publish"), Some(&official), &json!({})).await;
        assert_eq!(r.body["errors"][0]["code"], "protocol_not_signed", "{}", r.body);
        for who in ["omarova", "bekov"] {
            let t = app.token(who).await;
            let r = app.post(&format!("/api/v1/meetings/{id}/protocol/sign"), Some(&t), &json!({})).await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        }
        let r = app.post(&format!("/api/v1/meetings/{id}/publish"), Some(&official), &json!({})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.body["status"], "published");
        let business = app.token("nurservice").await;
        let r = app.post(&format!("/api/v1/meetings/{id}/confirm"), Some(&business), &json!({})).await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(r.body["business_confirmed"].is_string());

        // The public register shows it with outcome; filters work.
        let reg = app.get("/api/v1/meetings?organisation=astana-akimat&business_bin=070840003411&from=2026-03-20T00:00:00%2B05:00&to=2026-03-21T00:00:00%2B05:00", None).await;
        assert_eq!(reg.status, StatusCode::OK, "{}", reg.body);
        let items = reg.body["items"].as_array().expect("items");
        assert_eq!(items.len(), 1);
        assert_eq!(items[0]["id"], id);
        assert_eq!(items[0]["status"], "published");
        assert_eq!(items[0]["outcome"], "Документы приняты");
        assert_eq!(items[0]["business_name"], "ТОО «Нур-Сервис Астана»");
        let none = app.get("/api/v1/meetings?business_bin=101240005675", None).await;
        assert_eq!(none.body["items"].as_array().map(Vec::len), Some(0));

        // Every step is an event.
        let events = app.get(&format!("/api/v1/meetings/{id}/events"), None).await;
        let kinds: Vec<&str> = events.body.as_array().expect("events").iter().map(|e| e["kind"].as_str().unwrap_or_default()).collect();
        for k in ["meeting.requested", "meeting.scheduled", "meeting.checked_in", "meeting.started", "meeting.ended", "meeting.protocol_written", "meeting.protocol_signed", "meeting.published", "meeting.confirmed_by_business"] {
            assert!(kinds.contains(&k), "missing {k} in {kinds:?}");
        }
        assert!(!events.body.to_string().contains("000740001307"), "no private IIN in events");
        app
    })
    .await;
}

#[tokio::test]
async fn tender_winner_after_hours_is_refused_absolutely_and_a_non_winner_can_be_overridden() {
    each_backend(|app| async move {
        let compliance = app.token("kassymov").await;
        let official = app.token("seitkali").await;
        // ТОО «Сарыарка Курылыс» holds an active contract with the Department of Construction.
        let winner = request(&app, "saryarka", "050140001129", "construction", "seitkali", "2026-03-20").await;
        for (start, end) in [("2026-03-20T19:00:00+05:00", "2026-03-20T20:00:00+05:00"), ("2026-03-23T10:00:00+05:00", "2026-03-23T11:00:00+05:00")] {
            let body = schedule_body(&app, "akimat-101", start, end, &["omarova", "bekov"]).await;
            let r = app.post(&format!("/api/v1/meetings/{winner}/schedule"), Some(&official), &body).await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
            assert_eq!(r.content_type, "application/problem+json");
            assert_eq!(rules_of(&r.body), ["outside_working_hours", "tender_winner_outside_working_hours"]);
            assert_eq!(severity_of(&r.body, "tender_winner_outside_working_hours"), "absolute");
            let msg = r.body["violations"][1]["message"].as_str().unwrap_or_default();
            assert!(
                msg.contains(" 19:00–20:00") || msg.contains("23.03.2026 10:00–11:00"),
                "times in Almaty, Kazakh date form: {msg}"
            );
            assert!(msg.contains("KZ-GZ-2026-0412"), "Russian message names the contract: {msg}");
            // Even a compliance officer overriding both cannot get it through.
            let mut body = body.clone();
            body["overrides"] = json!([
                {"rule": "outside_working_hours", "justification": "Предприниматель может прийти только вечером."},
                {"rule": "tender_winner_outside_working_hours", "justification": "Предприниматель может прийти только вечером."}
            ]);
            let r = app.post(&format!("/api/v1/meetings/{winner}/schedule"), Some(&compliance), &body).await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
            assert_eq!(rules_of(&r.body), ["tender_winner_outside_working_hours"]);
        }

        // The same 19:00 slot for a non-winner: blocking, and a compliance override lets it through.
        let other = request(&app, "nurservice", "070840003411", "construction", "seitkali", "2026-03-20").await;
        let body = schedule_body(&app, "akimat-101", "2026-03-20T19:00:00+05:00", "2026-03-20T20:00:00+05:00", &["omarova", "bekov"]).await;
        let r = app.post(&format!("/api/v1/meetings/{other}/schedule"), Some(&official), &body).await;
        assert_eq!(rules_of(&r.body), ["outside_working_hours"]);
        assert_eq!(severity_of(&r.body, "outside_working_hours"), "blocking");
        // An official cannot override, and a compliance officer needs a real justification.
        let mut with_override = body.clone();
        with_override["overrides"] = json!([{"rule": "outside_working_hours", "justification": "Предприниматель работает вахтой и приезжает вечером; запись и комиссия обеспечены."}]);
        let r = app.post(&format!("/api/v1/meetings/{other}/schedule"), Some(&official), &with_override).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(r.body["errors"][0]["code"], "override_requires_compliance");
        let mut short = body.clone();
        short["overrides"] = json!([{"rule": "outside_working_hours", "justification": "надо"}]);
        let r = app.post(&format!("/api/v1/meetings/{other}/schedule"), Some(&compliance), &short).await;
        assert_eq!(r.body["errors"][0]["code"], "justification_too_short");
        let r = app.post(&format!("/api/v1/meetings/{other}/schedule"), Some(&compliance), &with_override).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.body["status"], "scheduled");
        assert_eq!(r.body["overrides"][0]["rule"], "outside_working_hours");
        assert_eq!(r.body["overrides"][0]["by"], "kassymov");
        let events = app.get(&format!("/api/v1/meetings/{other}/events"), None).await;
        let overridden = events.body.as_array().expect("events").iter().find(|e| e["kind"] == "meeting.rule_overridden").expect("override event").clone();
        assert_eq!(overridden["body"]["data"]["rule"], "outside_working_hours");
        assert!(overridden["body"]["data"]["justification"].as_str().unwrap_or_default().contains("вахтой"));
        assert_eq!(overridden["actor"], "account:kassymov");
        app
    })
    .await;
}

#[tokio::test]
async fn a_refusal_lists_every_failing_rule() {
    each_backend(|app| async move {
        // ТОО «Astana Digital Solutions»: Нурпеисова declared a conflict of interest with it.
        let id = request(
            &app,
            "ads",
            "150640010236",
            "entrepreneurship",
            "akhmetov",
            "2026-03-20",
        )
        .await;
        let official = app.token("akhmetov").await;
        let body = schedule_body(
            &app,
            "akimat-512",
            "2026-03-20T12:30:00+05:00",
            "2026-03-20T13:30:00+05:00",
            &["akhmetov", "nurpeisova"],
        )
        .await;
        let r = app
            .post(
                &format!("/api/v1/meetings/{id}/schedule"),
                Some(&official),
                &body,
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert_eq!(
            r.body["errors"][0]["code"], "not_commission_member",
            "the host holds no commission role: {}",
            r.body
        );

        let body = schedule_body(
            &app,
            "akimat-512",
            "2026-03-20T12:30:00+05:00",
            "2026-03-20T13:30:00+05:00",
            &["nurpeisova"],
        )
        .await;
        let r = app
            .post(
                &format!("/api/v1/meetings/{id}/schedule"),
                Some(&official),
                &body,
            )
            .await;
        assert_eq!(
            rules_of(&r.body),
            [
                "room_not_designated",
                "room_not_equipped",
                "commission_quorum",
                "commission_conflict",
                "outside_working_hours"
            ]
        );

        // Overlaps: book the room, then try the same room and people again.
        let ok = schedule_body(
            &app,
            "akimat-101",
            "2026-03-20T10:00:00+05:00",
            "2026-03-20T11:00:00+05:00",
            &["omarova", "bekov"],
        )
        .await;
        let r = app
            .post(
                &format!("/api/v1/meetings/{id}/schedule"),
                Some(&official),
                &ok,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let second = request(
            &app,
            "nurservice",
            "070840003411",
            "entrepreneurship",
            "akhmetov",
            "2026-03-20",
        )
        .await;
        let clash = schedule_body(
            &app,
            "akimat-101",
            "2026-03-20T10:30:00+05:00",
            "2026-03-20T11:30:00+05:00",
            &["omarova", "bekov"],
        )
        .await;
        let r = app
            .post(
                &format!("/api/v1/meetings/{second}/schedule"),
                Some(&official),
                &clash,
            )
            .await;
        assert_eq!(rules_of(&r.body), ["room_busy", "participant_busy"]);
        // Touching, not overlapping, is fine.
        let after = schedule_body(
            &app,
            "akimat-101",
            "2026-03-20T11:00:00+05:00",
            "2026-03-20T12:00:00+05:00",
            &["omarova", "bekov"],
        )
        .await;
        let r = app
            .post(
                &format!("/api/v1/meetings/{second}/schedule"),
                Some(&official),
                &after,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        // Kazakh and English messages.
        let r = app
            .post(
                &format!("/api/v1/meetings/{second}/schedule?lang=kk"),
                Some(&official),
                &clash,
            )
            .await;
        assert!(
            r.body["violations"][0]["message"]
                .as_str()
                .unwrap_or_default()
                .contains("Бөлме"),
            "{}",
            r.body
        );
        assert_eq!(r.body["title"], "Әрекетке ережелер тыйым салады");
        let r = app
            .call(
                reqwest::Method::POST,
                &format!("/api/v1/meetings/{second}/schedule"),
                Some(&official),
                Some(&clash.to_string()),
            )
            .await;
        assert!(
            r.body["violations"][0]["message"]
                .as_str()
                .unwrap_or_default()
                .starts_with("Помещение занято")
        );
        app
    })
    .await;
}

#[tokio::test]
async fn bad_input_is_a_clear_4xx_and_nothing_is_stored() {
    each_backend(|app| async move {
        let business = app.token("nurservice").await;
        let org = app.id("org", "entrepreneurship").await;
        let host = app.id("person", "akhmetov").await;
        let valid = json!({"organisation": org, "host": host, "business_bin": "070840003411", "subject": "Тема", "kind": "consultation", "wished_from": "2026-03-20T09:00:00+05:00", "wished_to": "2026-03-20T17:00:00+05:00"});
        let cases: Vec<(&str, String, &str, &str)> = vec![
            ("malformed JSON", "{\"organisation\": ".into(), "organisation", "invalid_json"),
            ("unknown field", { let mut v = valid.clone(); v["colour"] = json!("red"); v.to_string() }, "colour", "unknown_field"),
            ("missing field", { let mut v = valid.clone(); v.as_object_mut().expect("object").remove("subject"); v.to_string() }, "subject", "missing_field"),
            ("wrong type", { let mut v = valid.clone(); v["organisation"] = json!("two"); v.to_string() }, "organisation", "invalid_type"),
            ("invalid BIN", { let mut v = valid.clone(); v["business_bin"] = json!("070840003412"); v.to_string() }, "business_bin", "invalid_bin"),
            ("time without offset", { let mut v = valid.clone(); v["wished_from"] = json!("2026-03-20T09:00:00"); v.to_string() }, "wished_from", "missing_offset"),
            ("end before start", { let mut v = valid.clone(); v["wished_to"] = json!("2026-03-20T08:00:00+05:00"); v.to_string() }, "wished_to", "end_before_start"),
            ("unknown organisation", { let mut v = valid.clone(); v["organisation"] = json!(99999); v.to_string() }, "organisation", "unknown_organisation"),
            ("unknown kind", { let mut v = valid.clone(); v["kind"] = json!("bribe"); v.to_string() }, "kind", "invalid_kind"),
            ("invalid IIN", { let mut v = valid.clone(); v["representatives"] = json!([{"full_name": "А", "iin": "123"}]); v.to_string() }, "representatives[0].iin", "invalid_iin"),
        ];
        for (name, body, field, code) in cases {
            let r = app.call(reqwest::Method::POST, "/api/v1/meetings", Some(&business), Some(&body)).await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{name}: {}", r.body);
            assert_eq!(r.content_type, "application/problem+json", "{name}");
            let errors = r.body["errors"].as_array().expect("errors");
            assert!(errors.iter().any(|e| e["field"] == field && e["code"] == code), "{name}: {}", r.body);
            assert!(errors.iter().all(|e| !e["message"].as_str().unwrap_or_default().is_empty()), "{name}: localised message");
        }
        let mine = app.get("/api/v1/me/meetings", Some(&business)).await;
        assert_eq!(mine.body.as_array().map(Vec::len), Some(0), "nothing stored: {}", mine.body);

        // Scheduling: unknown room, end before start, every problem at once.
        let id = request(&app, "nurservice", "070840003411", "entrepreneurship", "akhmetov", "2026-03-20").await;
        let official = app.token("akhmetov").await;
        let r = app.post(&format!("/api/v1/meetings/{id}/schedule"), Some(&official), &json!({"room": 4242, "start": "2026-03-20T11:00:00+05:00", "end": "2026-03-20T10:00:00+05:00", "commission": [987654]})).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        let fields: Vec<&str> = r.body["errors"].as_array().expect("errors").iter().map(|e| e["field"].as_str().unwrap_or_default()).collect();
        assert_eq!(fields, ["end", "room", "commission[0]"], "{}", r.body);
        let still = app.get(&format!("/api/v1/meetings/{id}"), Some(&official)).await;
        assert_eq!(still.body["status"], "requested");
        // Bad query parameters and unknown routes.
        let r = app.get("/api/v1/meetings?limit=abc", None).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        let r = app.get("/api/v1/meetings?business_bin=123", None).await;
        assert_eq!(r.body["errors"][0]["code"], "invalid_bin");
        let r = app.get("/api/v1/meetings?from=2026-03-20", None).await;
        assert_eq!(r.body["errors"][0]["field"], "from");
        let r = app.get("/api/v1/meetings/abc", None).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(r.content_type, "application/problem+json");
        assert_eq!(r.body["errors"][0]["field"], "id");
        let crowd: Vec<i64> = (0..5000).collect();
        let r = app
            .post(
                &format!("/api/v1/meetings/{id}/schedule"),
                Some(&official),
                &json!({"room": app.id("room", "akimat-101").await, "start": "2026-03-20T10:00:00+05:00", "end": "2026-03-20T11:00:00+05:00", "commission": crowd}),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(r.body["errors"][0]["field"], "commission");
        assert_eq!(r.body["errors"][0]["code"], "too_long");
        let r = app.get("/api/v1/nothing-here", None).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        assert_eq!(r.content_type, "application/problem+json");
        let r = app.post(&format!("/api/v1/meetings/{id}/end"), Some(&official), &json!({})).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "ending a requested meeting: {}", r.body);
        app
    })
    .await;
}

#[tokio::test]
async fn every_endpoint_checks_the_role() {
    each_backend(|app| async move {
        let id = request(&app, "nurservice", "070840003411", "entrepreneurship", "akhmetov", "2026-03-20").await;
        let body = schedule_body(&app, "akimat-101", "2026-03-20T10:00:00+05:00", "2026-03-20T11:00:00+05:00", &["omarova", "bekov"]).await;
        // No token, a bad token, the business, a commission member, an official of another department.
        let r = app.post(&format!("/api/v1/meetings/{id}/schedule"), None, &body).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        let r = app.post(&format!("/api/v1/meetings/{id}/schedule"), Some("gr_not_a_token"), &body).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        for who in ["nurservice", "omarova", "seitkali", "tulegenova"] {
            let t = app.token(who).await;
            let r = app.post(&format!("/api/v1/meetings/{id}/schedule"), Some(&t), &body).await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{who}");
        }
        // A requested meeting is not public; its business and the organisation's staff see it.
        assert_eq!(app.get(&format!("/api/v1/meetings/{id}"), None).await.status, StatusCode::NOT_FOUND);
        let other_business = app.token("qwt").await;
        assert_eq!(app.get(&format!("/api/v1/meetings/{id}"), Some(&other_business)).await.status, StatusCode::NOT_FOUND);
        for who in ["nurservice", "akhmetov", "kassymov", "tulegenova"] {
            let t = app.token(who).await;
            let r = app.get(&format!("/api/v1/meetings/{id}"), Some(&t)).await;
            assert_eq!(r.status, StatusCode::OK, "{who}");
            assert_eq!(r.body["representatives"][0]["iin"], "000740001307", "{who} sees the private details");
        }
        // A business cannot request for another business.
        let t = app.token("qwt").await;
        let r = app.post("/api/v1/meetings", Some(&t), &json!({"organisation": app.id("org", "entrepreneurship").await, "host": app.id("person", "akhmetov").await, "business_bin": "070840003411", "subject": "x", "kind": "other", "wished_from": "2026-03-20T09:00:00+05:00", "wished_to": "2026-03-20T10:00:00+05:00"})).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        // Directory administration is for administrators.
        let official = app.token("akhmetov").await;
        assert_eq!(app.put("/api/v1/inputs/1/state", Some(&official), &json!({"state": "recording"})).await.status, StatusCode::FORBIDDEN);
        assert_eq!(app.post("/api/v1/directory", Some(&official), &json!({})).await.status, StatusCode::FORBIDDEN);
        assert_eq!(app.get("/api/v1/directory/rooms", Some(&app.token("qwt").await)).await.status, StatusCode::FORBIDDEN);
        assert_eq!(app.get("/api/v1/violations", Some(&official)).await.status, StatusCode::FORBIDDEN);
        assert_eq!(app.get("/api/v1/violations", Some(&app.token("tulegenova").await)).await.status, StatusCode::OK);
        // Public reads.
        assert_eq!(app.get("/api/v1/organisations", None).await.status, StatusCode::OK);
        // The thirteen rules of the order and the unreliable-supplier warning.
        assert_eq!(app.get("/api/v1/rules", None).await.body.as_array().map(Vec::len), Some(14));
        let openapi = app.get("/api/v1/openapi.json", None).await;
        // Every operation documents every response (OpenAPI requires a description).
        for (path, ops) in openapi.body["paths"].as_object().expect("paths") {
            for (method, op) in ops.as_object().expect("operations") {
                for (status, response) in op["responses"].as_object().expect("responses") {
                    assert!(
                        response["description"].as_str().is_some_and(|d| !d.is_empty()),
                        "{method} {path} {status} has no description"
                    );
                }
            }
        }
        assert!(openapi.body["paths"]["/api/v1/meetings/{id}/schedule"]["post"].is_object());
        assert!(openapi.body["paths"]["/api/v1/open-data/{file}"]["get"].is_object());
        assert!(openapi.body["paths"]["/api/v1/calendars/{kind}/{file}"]["get"].is_object());
        assert_eq!(app.get("/healthz", None).await.status, StatusCode::OK);
        let metrics = app.client.get(format!("{}/metrics", app.base)).send().await.expect("metrics").text().await.expect("text");
        assert!(metrics.contains("glassroom_http_requests_total{class=\"4xx\"}"));
        app
    })
    .await;
}

#[tokio::test]
async fn a_recording_gap_and_an_overrun_open_violation_cases() {
    each_backend(|app| async move {
        let id = request(
            &app,
            "nurservice",
            "070840003411",
            "entrepreneurship",
            "akhmetov",
            "2026-03-20",
        )
        .await;
        let official = app.token("akhmetov").await;
        let admin = app.token("admin").await;
        let body = schedule_body(
            &app,
            "akimat-101",
            "2026-03-20T17:00:00+05:00",
            "2026-03-20T17:45:00+05:00",
            &["omarova", "bekov"],
        )
        .await;
        assert_eq!(
            app.post(
                &format!("/api/v1/meetings/{id}/schedule"),
                Some(&official),
                &body
            )
            .await
            .status,
            StatusCode::OK
        );
        app.clock.set(almaty("2026-03-20T16:50"));
        set_room(&app, &admin, "akimat-101", "recording").await;
        for who in ["omarova", "bekov"] {
            let t = app.token(who).await;
            app.post(
                &format!("/api/v1/meetings/{id}/check-in"),
                Some(&t),
                &json!({}),
            )
            .await;
        }
        app.clock.set(almaty("2026-03-20T17:00"));
        assert_eq!(
            app.post(
                &format!("/api/v1/meetings/{id}/start"),
                Some(&official),
                &json!({})
            )
            .await
            .status,
            StatusCode::OK
        );
        app.clock.set(almaty("2026-03-20T17:20"));
        set_room(&app, &admin, "akimat-101", "reconnecting").await;
        app.clock.set(almaty("2026-03-20T17:22"));
        set_room(&app, &admin, "akimat-101", "recording").await;
        app.clock.set(almaty("2026-03-20T18:10"));
        let r = app
            .post(
                &format!("/api/v1/meetings/{id}/end"),
                Some(&official),
                &json!({}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let found: Vec<&str> = r.body["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .map(|f| f["rule"].as_str().unwrap_or_default())
            .collect();
        assert_eq!(found, ["recording_gap", "overran_working_hours"]);
        let cases = app
            .get("/api/v1/violations", Some(&app.token("kassymov").await))
            .await;
        let rules: Vec<&str> = cases
            .body
            .as_array()
            .expect("cases")
            .iter()
            .map(|c| c["rule"].as_str().unwrap_or_default())
            .collect();
        assert!(
            rules.contains(&"recording_gap") && rules.contains(&"overran_working_hours"),
            "{rules:?}"
        );
        assert!(
            cases.body.to_string().contains("20.03.2026 18:00–18:10"),
            "{}",
            cases.body
        );
        app
    })
    .await;
}

#[tokio::test]
async fn events_cannot_be_rewritten_or_deleted() {
    each_backend(|app| async move {
        request(
            &app,
            "nurservice",
            "070840003411",
            "entrepreneurship",
            "akhmetov",
            "2026-03-20",
        )
        .await;
        let update = app
            .raw_exec("UPDATE events SET body = '{}' WHERE seq = 1")
            .await;
        assert!(
            update.is_err_and(|e| e.contains("immutable")),
            "update must fail"
        );
        let delete = app.raw_exec("DELETE FROM events").await;
        assert!(
            delete.is_err_and(|e| e.contains("immutable")),
            "delete must fail"
        );
        if app.backend == Backend::Postgres {
            assert!(app.raw_exec("TRUNCATE events").await.is_err());
        }
        app
    })
    .await;
}

#[tokio::test]
async fn directory_import_over_the_api_is_idempotent_and_refuses_a_bad_file_whole() {
    each_backend(|app| async move {
        let admin = app.token("admin").await;
        let demo = toml_json(glassroom_app::demo::DEMO_DIRECTORY);
        let r = app.post("/api/v1/directory", Some(&admin), &demo).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!((r.body["created"].as_u64(), r.body["updated"].as_u64(), r.body["removed"].as_u64()), (Some(0), Some(0), Some(0)), "re-import is a no-op: {}", r.body);
        let bad = json!({
            "businesses": [{"bin": "123456789012", "name": "ТОО «Новая»"}, {"bin": "180940013455", "name": "ТОО «Хорошая»", "login": "good"}],
            "rooms": [{"code": "r1", "organisation": "nowhere", "name": "X", "building": "Y", "floor": 3, "designated": true}]
        });
        let r = app.post("/api/v1/directory", Some(&admin), &bad).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        let fields: Vec<&str> = r.body["errors"].as_array().expect("errors").iter().map(|e| e["field"].as_str().unwrap_or_default()).collect();
        assert_eq!(fields, ["businesses[0].bin", "rooms[0].organisation", "rooms[0].floor"]);
        assert_eq!(app.get("/api/v1/businesses/180940013455", None).await.status, StatusCode::NOT_FOUND, "nothing from the bad file is stored");

        // A district with 70 subordinate organisations: the register still pages it.
        let mut orgs = vec![json!({"code": "district", "kind": "department", "parent": "astana-akimat", "name": {"ru": "Район", "kk": "Аудан", "en": "District"}})];
        for i in 0..70 {
            orgs.push(json!({"code": format!("gkp-{i}"), "kind": "gkp", "parent": "district", "name": {"ru": format!("ГКП {i}"), "kk": format!("МКК {i}"), "en": format!("Utility {i}")}}));
        }
        let r = app.post("/api/v1/directory", Some(&admin), &json!({"organisations": orgs})).await;
        assert_eq!(r.body["created"], 71, "{}", r.body);
        let page = app.get("/api/v1/meetings?organisation=district", None).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        assert_eq!(page.body["items"].as_array().map(Vec::len), Some(0));
        app
    })
    .await;
}

/// The directory document is the same in TOML and JSON.
fn toml_json(text: &str) -> Value {
    let parsed: toml::Table = toml::from_str(text).expect("toml");
    serde_json::to_value(parsed).expect("to json")
}

#[tokio::test]
async fn concurrent_bookings_of_one_room_let_exactly_one_through() {
    each_backend(|app| async move {
        let official = app.token("akhmetov").await;
        let mut ids = Vec::new();
        for _ in 0..8 {
            ids.push(
                request(
                    &app,
                    "nurservice",
                    "070840003411",
                    "entrepreneurship",
                    "akhmetov",
                    "2026-03-20",
                )
                .await,
            );
        }
        let body = schedule_body(
            &app,
            "akimat-101",
            "2026-03-20T10:00:00+05:00",
            "2026-03-20T11:00:00+05:00",
            &["omarova", "bekov"],
        )
        .await;
        let calls = ids.iter().map(|id| {
            let (client, url, token, body) = (
                app.client.clone(),
                format!("{}/api/v1/meetings/{id}/schedule", app.base),
                official.clone(),
                body.to_string(),
            );
            async move {
                let r = client
                    .post(url)
                    .bearer_auth(token)
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await
                    .expect("send");
                let status = r.status();
                (status, r.json::<Value>().await.unwrap_or(Value::Null))
            }
        });
        let results = futures_join_all(calls).await;
        let ok = results.iter().filter(|(s, _)| *s == StatusCode::OK).count();
        assert_eq!(ok, 1, "exactly one booking wins: {results:?}");
        for (status, body) in results.iter().filter(|(s, _)| *s != StatusCode::OK) {
            assert_eq!(*status, StatusCode::UNPROCESSABLE_ENTITY);
            assert_eq!(rules_of(body), ["room_busy", "participant_busy"]);
        }
        app
    })
    .await;
}

async fn futures_join_all<F: std::future::Future + Send + 'static>(
    fs: impl Iterator<Item = F>,
) -> Vec<F::Output>
where
    F::Output: Send + 'static,
{
    let handles: Vec<_> = fs.map(tokio::spawn).collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.expect("task"));
    }
    out
}

/// Overlap detection in the store (room and people, windowed by the longest meeting) agrees with
/// a brute-force check on random bookings, on each back end.
#[tokio::test]
async fn overlap_detection_matches_brute_force() {
    use glassroom_store::{BookingWindow, MeetingRow};
    for backend in backends().await {
        let app = TestApp::spawn(backend, almaty(MONDAY_MORNING)).await;
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move |n: u64| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) % n
        };
        let (org, host0) = (
            app.id("org", "entrepreneurship").await,
            app.id("person", "akhmetov").await,
        );
        let account = app
            .app
            .actor_by_login("akhmetov")
            .await
            .expect("actor")
            .account_id;
        let business = {
            let mut tx = app.app.store.read().await.expect("read");
            tx.business_by_bin("070840003411")
                .await
                .expect("q")
                .expect("business")
                .id
        };
        let rooms = [
            app.id("room", "akimat-101").await,
            app.id("room", "akimat-102").await,
            app.id("room", "akimat-512").await,
        ];
        let mut people = vec![host0];
        for code in [
            "seitkali",
            "zhaksylykov",
            "omarova",
            "bekov",
            "nurpeisova",
            "kassymov",
        ] {
            people.push(app.id("person", code).await);
        }
        let day0 = almaty("2026-03-20T00:00").as_microsecond();
        let minute = 60_000_000i64;
        let mut booked: Vec<(i64, i64, i64, i64, Vec<i64>, bool)> = Vec::new(); // id, room, start, end, people, active
        let mut tx = app.app.store.write().await.expect("write");
        for _ in 0..120 {
            let start = day0 + next(24 * 60 * 2) as i64 * minute;
            let end = start + (15 + next(465)) as i64 * minute;
            let room = rooms[next(3) as usize];
            let host = people[next(people.len() as u64) as usize];
            let mut commission: Vec<i64> = (0..2)
                .map(|_| people[next(people.len() as u64) as usize])
                .filter(|p| *p != host)
                .collect();
            commission.sort_unstable();
            commission.dedup();
            let status = ["scheduled", "in_progress", "cancelled", "completed"][next(4) as usize];
            let m = MeetingRow {
                id: 0,
                org_id: org,
                host_id: host,
                business_id: business,
                subject: "x".into(),
                kind: "other".into(),
                wished_from_us: start,
                wished_to_us: end,
                status: status.into(),
                listed: true,
                room_id: Some(room),
                start_us: Some(start),
                end_us: Some(end),
                actual_start_us: None,
                actual_end_us: None,
                host_checked_in_us: None,
                business_checked_in_us: None,
                reason: None,
                protocol_summary: None,
                protocol_outcome: None,
                business_confirmed_us: None,
                requested_by: account,
                created_us: start,
                updated_us: start,
            };
            let id = tx.insert_meeting(&m).await.expect("insert");
            tx.set_commission(id, &commission, false)
                .await
                .expect("commission");
            let mut who = commission.clone();
            who.push(host);
            booked.push((
                id,
                room,
                start,
                end,
                who,
                matches!(status, "scheduled" | "in_progress"),
            ));
        }
        let longest = 480 * minute;
        for _ in 0..150 {
            let start = day0 + next(24 * 60 * 2) as i64 * minute;
            let end = start + (5 + next(300)) as i64 * minute;
            let room = rooms[next(3) as usize];
            let except = if next(4) == 0 {
                booked[next(booked.len() as u64) as usize].0
            } else {
                0
            };
            let asked: Vec<i64> = (0..3)
                .map(|_| people[next(people.len() as u64) as usize])
                .collect();
            let window = BookingWindow {
                start_us: start,
                end_us: end,
                longest_us: longest,
                except,
            };
            let got = tx.bookings(room, &asked, &window).await.expect("bookings");
            let overlapping = |b: &&(i64, i64, i64, i64, Vec<i64>, bool)| {
                b.5 && b.0 != except && b.2 < end && start < b.3
            };
            let mut want_room: Vec<i64> = booked
                .iter()
                .filter(overlapping)
                .filter(|b| b.1 == room)
                .map(|b| b.0)
                .collect();
            want_room.sort_unstable();
            let mut want_people: Vec<i64> = asked
                .iter()
                .copied()
                .filter(|p| booked.iter().filter(overlapping).any(|b| b.4.contains(p)))
                .collect();
            want_people.sort_unstable();
            want_people.dedup();
            assert_eq!(got.room, want_room, "{backend:?} room overlaps");
            assert_eq!(got.people, want_people, "{backend:?} people overlaps");
        }
        drop(tx);
        app.stop().await;
    }
}

#[tokio::test]
async fn reject_cancel_and_no_show_end_a_meeting_with_their_reasons() {
    each_backend(|app| async move {
        let official = app.token("akhmetov").await;
        let business = app.token("nurservice").await;
        // Reject: a reason is required; a rejected request never becomes public.
        let rejected = request(
            &app,
            "nurservice",
            "070840003411",
            "entrepreneurship",
            "akhmetov",
            "2026-03-20",
        )
        .await;
        let r = app
            .post(
                &format!("/api/v1/meetings/{rejected}/reject"),
                Some(&official),
                &json!({"reason": "  "}),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(r.body["errors"][0]["code"], "required");
        let r = app
            .post(
                &format!("/api/v1/meetings/{rejected}/reject"),
                Some(&business),
                &json!({"reason": "не мне решать"}),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::FORBIDDEN,
            "the business cannot reject"
        );
        let r = app
            .post(
                &format!("/api/v1/meetings/{rejected}/reject"),
                Some(&official),
                &json!({"reason": "Вопрос вне компетенции управления"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.body["status"], "rejected");
        assert_eq!(
            app.get(&format!("/api/v1/meetings/{rejected}"), None)
                .await
                .status,
            StatusCode::NOT_FOUND
        );

        // Cancel by the business itself: listed (it was scheduled), with the reason shown.
        let cancelled = request(
            &app,
            "nurservice",
            "070840003411",
            "entrepreneurship",
            "akhmetov",
            "2026-03-20",
        )
        .await;
        let body = schedule_body(
            &app,
            "akimat-101",
            "2026-03-20T10:00:00+05:00",
            "2026-03-20T11:00:00+05:00",
            &["omarova", "bekov"],
        )
        .await;
        assert_eq!(
            app.post(
                &format!("/api/v1/meetings/{cancelled}/schedule"),
                Some(&official),
                &body
            )
            .await
            .status,
            StatusCode::OK
        );
        let r = app
            .post(
                &format!("/api/v1/meetings/{cancelled}/cancel"),
                Some(&business),
                &json!({"reason": "Директор в командировке"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let public = app
            .get(&format!("/api/v1/meetings/{cancelled}"), None)
            .await;
        assert_eq!(public.body["status"], "cancelled");
        assert_eq!(public.body["reason"], "Директор в командировке");
        // Its slot is free again.
        let again = request(
            &app,
            "nurservice",
            "070840003411",
            "entrepreneurship",
            "akhmetov",
            "2026-03-20",
        )
        .await;
        let r = app
            .post(
                &format!("/api/v1/meetings/{again}/schedule"),
                Some(&official),
                &body,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);

        // No-show: only after the planned start.
        let r = app
            .post(
                &format!("/api/v1/meetings/{again}/no-show"),
                Some(&official),
                &json!({}),
            )
            .await;
        assert_eq!(r.body["errors"][0]["code"], "too_early", "{}", r.body);
        app.clock.set(almaty("2026-03-20T10:20"));
        let r = app
            .post(
                &format!("/api/v1/meetings/{again}/no-show"),
                Some(&official),
                &json!({}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.body["status"], "no_show");
        let r = app
            .post(
                &format!("/api/v1/meetings/{again}/cancel"),
                Some(&official),
                &json!({"reason": "поздно"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CONFLICT, "a no-show is final");
        let kinds: Vec<String> = app
            .get(&format!("/api/v1/meetings/{again}/events"), None)
            .await
            .body
            .as_array()
            .expect("events")
            .iter()
            .map(|e| e["kind"].as_str().unwrap_or_default().to_owned())
            .collect();
        assert!(kinds.contains(&"meeting.no_show".to_owned()), "{kinds:?}");
        app
    })
    .await;
}

#[tokio::test]
async fn coverage_comes_from_sealed_segments_and_the_segment_being_written() {
    use glassroom_app::recording::{RecordingPort, SealedSegments};
    use glassroom_app::store::SegmentRow;
    use glassroom_app::time::to_us;
    each_backend(|app| async move {
        let room = app.id("room", "akimat-101").await;
        let interval =
            glassroom_domain::Interval::new(almaty("2026-03-20T10:00"), almaty("2026-03-20T11:00"))
                .expect("interval");
        let mut tx = app.app.store.write().await.expect("write");
        let inputs = tx.inputs_of(room).await.expect("inputs");
        let (cam, mic) = (inputs[0].clone(), inputs[1].clone());
        let seg = |input: i64, from: &str, to: &str, damaged: bool, n: i64| SegmentRow {
            id: 0,
            input_id: input,
            start_us: to_us(almaty(from)),
            end_us: to_us(almaty(to)),
            path: format!("seg-{input}-{n}.mp4"),
            size: 1,
            sha256: "00".into(),
            prev_sha256: None,
            damaged,
            video_frames: 1,
            audio_frames: 0,
            lost_packets: 0,
            deleted_us: None,
        };
        tx.insert_segment(&seg(
            cam.id,
            "2026-03-20T09:59:50",
            "2026-03-20T10:30",
            false,
            1,
        ))
        .await
        .expect("segment");
        tx.insert_segment(&seg(
            cam.id,
            "2026-03-20T10:30",
            "2026-03-20T10:59",
            false,
            2,
        ))
        .await
        .expect("segment");
        // Recovered after a crash: it does not count.
        tx.insert_segment(&seg(
            mic.id,
            "2026-03-20T10:00",
            "2026-03-20T11:00",
            true,
            3,
        ))
        .await
        .expect("segment");
        tx.commit().await.expect("commit");

        let mut tx = app.app.store.read().await.expect("read");
        let cov = SealedSegments
            .coverage(&mut *tx, room, interval)
            .await
            .expect("coverage");
        drop(tx);
        let cam_cov = cov.iter().find(|c| c.input.0 == cam.id).expect("cam");
        assert!(
            (cam_cov.share - 59.0 / 60.0).abs() < 1e-9,
            "{}",
            cam_cov.share
        );
        assert_eq!(
            cam_cov.gaps,
            vec![
                glassroom_domain::Interval::new(
                    almaty("2026-03-20T10:59"),
                    almaty("2026-03-20T11:00")
                )
                .expect("gap")
            ]
        );
        let mic_cov = cov.iter().find(|c| c.input.0 == mic.id).expect("mic");
        assert_eq!(mic_cov.share, 0.0);

        // The camera is recording right now (its open segment began at 10:59): covered to the end.
        app.raw_exec(&format!(
            "UPDATE room_inputs SET state = 'recording', state_since_us = {} WHERE id = {}",
            to_us(almaty("2026-03-20T10:59")),
            cam.id
        ))
        .await
        .expect("update");
        let mut tx = app.app.store.read().await.expect("read");
        let cov = SealedSegments
            .coverage(&mut *tx, room, interval)
            .await
            .expect("coverage");
        let cam_cov = cov.iter().find(|c| c.input.0 == cam.id).expect("cam");
        assert!((cam_cov.share - 1.0).abs() < 1e-9, "{}", cam_cov.share);
        assert!(cam_cov.gaps.is_empty());
        drop(tx);
        app
    })
    .await;
}

#[tokio::test]
async fn recordings_open_only_to_compliance_and_auditors_after_a_stated_purpose_sealed_first() {
    use sha2::Digest;
    each_backend(|app| async move {
        let id = app.scheduled_meeting().await;
        let official = app.token("akhmetov").await;
        // Two sealed segments of the room's camera inside the meeting, one outside.
        let cam = app.camera_of("akimat-101").await;
        let first: Vec<u8> = (0..1000u32).map(|i| (i + 7) as u8).collect();
        let second: Vec<u8> = (0..1000u32).map(|i| (i * 2 + 7) as u8).collect();
        app.seal_segment(
            cam,
            "2026-03-20T10:00",
            "2026-03-20T10:30",
            "akimat-101/cam-1/seg-1.mp4",
            &first,
        )
        .await;
        app.seal_segment(
            cam,
            "2026-03-20T10:30",
            "2026-03-20T11:00",
            "akimat-101/cam-1/seg-2.mp4",
            &second,
        )
        .await;
        app.seal_segment(
            cam,
            "2026-03-20T12:00",
            "2026-03-20T12:10",
            "akimat-101/cam-1/seg-3.mp4",
            b"later",
        )
        .await;

        let path = format!("/api/v1/meetings/{id}/recordings");
        let purpose = json!({"purpose": "Проверка жалобы № 17 о нарушении порядка встречи"});
        // An official of the organisation may not; nobody without a purpose may.
        let r = app.post(&path, Some(&official), &purpose).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let compliance = app.token("kassymov").await;
        let r = app
            .call(
                reqwest::Method::POST,
                &path,
                Some(&compliance),
                Some(&json!({"purpose": "проверка"}).to_string()),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(r.body["errors"][0]["field"], "purpose");
        assert_eq!(r.body["errors"][0]["code"], "too_short");
        let events_before = app
            .get(&format!("/api/v1/meetings/{id}/events"), Some(&compliance))
            .await
            .body
            .as_array()
            .expect("events")
            .len();

        let r = app.post(&path, Some(&compliance), &purpose).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let segments = r.body["segments"].as_array().expect("segments").clone();
        assert_eq!(segments.len(), 2, "only the meeting's segments: {}", r.body);
        // The access is an event, stored before a byte was served.
        let events = app
            .get(&format!("/api/v1/meetings/{id}/events"), Some(&compliance))
            .await
            .body;
        let events = events.as_array().expect("events");
        assert_eq!(events.len(), events_before + 1);
        let last = events.last().expect("event");
        assert_eq!(last["kind"], "recording.accessed");
        assert_eq!(last["actor"], "account:kassymov");
        assert_eq!(
            last["body"]["data"]["purpose"],
            "Проверка жалобы № 17 о нарушении порядка встречи"
        );

        let url = segments[0]["url"].as_str().expect("url").to_owned();
        let res = app
            .client
            .get(format!("{}{url}", app.base))
            .bearer_auth(&compliance)
            .send()
            .await
            .expect("get");
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.headers()["content-type"], "video/mp4");
        let bytes = res.bytes().await.expect("bytes");
        assert_eq!(bytes.as_ref(), &first[..]);
        assert_eq!(
            hex::encode(sha2::Sha256::digest(&bytes)),
            segments[0]["sha256"].as_str().expect("sha")
        );
        let res = app
            .client
            .get(format!("{}{url}", app.base))
            .bearer_auth(&compliance)
            .header("range", "bytes=100-199")
            .send()
            .await
            .expect("get");
        assert_eq!(res.status(), StatusCode::PARTIAL_CONTENT);
        assert_eq!(res.headers()["content-range"], "bytes 100-199/1000");
        assert_eq!(res.bytes().await.expect("bytes").as_ref(), &first[100..200]);
        let res = app
            .client
            .get(format!("{}{url}", app.base))
            .bearer_auth(&compliance)
            .header("range", "bytes=5000-")
            .send()
            .await
            .expect("get");
        assert_eq!(res.status(), StatusCode::RANGE_NOT_SATISFIABLE);
        // Someone else's grant is not yours.
        let auditor = app.token("tulegenova").await;
        let r = app.get(&url, Some(&auditor)).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let r = app.get(&url, None).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);

        // An evidence bundle: the meeting's events and segments with offline receipts; it verifies
        // with nothing but the file and the log's key, and one changed byte is caught.
        let vkey = String::from_utf8(app.get_raw("/log/vkey").await.1).expect("utf8");
        let res = app
            .client
            .post(format!("{}/api/v1/meetings/{id}/evidence", app.base))
            .bearer_auth(&compliance)
            .json(&purpose)
            .send()
            .await
            .expect("post");
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.headers()["content-type"], "application/x-tar");
        let bundle = res.bytes().await.expect("bundle").to_vec();
        let report = glassroom_app::evidence::verify_bundle(&bundle, Some(vkey.trim()))
            .expect("the bundle verifies offline");
        assert_eq!(report.meeting, id);
        assert_eq!(report.segments, 2);
        assert!(
            report.events >= 5,
            "the meeting's events and the segments' sealing events: {}",
            report.events
        );
        let at = bundle
            .windows(1000)
            .position(|w| w == &first[..])
            .expect("the first segment is in the tar");
        let mut forged = bundle.clone();
        forged[at + 500] ^= 1;
        let err = glassroom_app::evidence::verify_bundle(&forged, Some(vkey.trim()))
            .expect_err("a changed byte is caught");
        assert!(err.contains("does not match the hash sealed"), "{err}");
        let other =
            glassroom_ledger::note::Signer::generate("test.glassroom.kz/ledger").expect("key");
        let err = glassroom_app::evidence::verify_bundle(&bundle, Some(&other.vkey()))
            .expect_err("another key");
        assert!(err.contains("no valid signature"), "{err}");
        let r = app
            .post(
                &format!("/api/v1/meetings/{id}/evidence"),
                Some(&official),
                &purpose,
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);

        // A grant expires.
        app.clock.advance(jiff::SignedDuration::from_hours(9));
        let r = app.get(&url, Some(&compliance)).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(r.body["errors"][0]["code"], "expired");
        app
    })
    .await;
}

#[tokio::test]
async fn retention_deletes_old_recordings_as_events_but_keeps_evidence_of_open_cases() {
    use glassroom_app::recorder::{Retention, Swept};
    each_backend(|app| async move {
        let id = app.scheduled_meeting().await;
        let org = app.id("org", "entrepreneurship").await;
        app.raw_exec(&format!("INSERT INTO violations (org_id, meeting_id, rule, details, status, opened_us) VALUES ({org}, {id}, 'recording_gap', '{{}}', 'open', 0)")).await.expect("violation");
        let cam = app.camera_of("akimat-101").await;
        let base = app.ledger_data.join("recordings");
        for (name, from, to) in [("held", "2026-03-20T10:10", "2026-03-20T10:20"), ("old", "2026-03-21T10:00", "2026-03-21T10:10"), ("recent", "2027-05-30T10:00", "2027-05-30T10:10")] {
            app.seal_segment(cam, from, to, &format!("akimat-101/cam-1/{name}.mp4"), &name.as_bytes().repeat(100)).await;
        }
        app.clock.set(almaty("2027-06-01T12:00"));

        // A longer retention for the room's organisation keeps everything.
        let long = Retention { default_days: 365, by_organisation: [("astana-akimat".to_owned(), 3650)].into() };
        assert_eq!(app.app.sweep_retention(&long).await.expect("sweep"), Swept { deleted: 0, held: 0 });
        // A year: the old one goes, the one of the open case is held, the recent one stays.
        let year = Retention::default();
        assert_eq!(app.app.sweep_retention(&year).await.expect("sweep"), Swept { deleted: 1, held: 1 });
        assert!(!base.join("akimat-101/cam-1/old.mp4").exists());
        assert!(base.join("akimat-101/cam-1/held.mp4").exists() && base.join("akimat-101/cam-1/recent.mp4").exists());
        let mut tx = app.app.store.read().await.expect("read");
        let deleted = tx.events_of_kind("recording.deleted").await.expect("events");
        assert_eq!(deleted.len(), 1);
        assert!(deleted[0].body.contains("akimat-101/cam-1/old.mp4") && deleted[0].body.contains("\"reason\":\"retention\""), "{}", deleted[0].body);
        drop(tx);
        // Sweeping again changes nothing; the audit accepts the deletion the ledger records.
        assert_eq!(app.app.sweep_retention(&year).await.expect("sweep"), Swept { deleted: 0, held: 1 });
        let n = glassroom_app::ledger::audit::audit_recordings(&*app.app.store, &glassroom_app::recording_files::RecordingFiles::Dir(base.clone())).await.expect("audit");
        assert_eq!(n, 2);
        app
    })
    .await;
}

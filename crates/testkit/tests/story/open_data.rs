//! The register as open data: iCalendar feeds read by an independent parser (the `ical` crate).

use reqwest::StatusCode;

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

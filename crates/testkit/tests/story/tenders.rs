//! Tender data in: an OCDS package with KZ-BIN suppliers makes its supplier a tender winner of
//! the buying organisation, and scheduling a meeting with it outside working hours is then refused
//! with `tender_winner_outside_working_hours`; a malformed package stores nothing.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use glassroom_app::tenders::Layout;
use reqwest::StatusCode;

use super::{each_backend, request, schedule_body};

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../data/ocds/kz-sample-release-package.json"
);

fn codes(body: &serde_json::Value) -> Vec<String> {
    body["violations"]
        .as_array()
        .map(|v| {
            v.iter()
                .filter_map(|f| f["rule"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn an_imported_ocds_award_makes_its_supplier_a_tender_winner() {
    each_backend(|app| async move {
        // Astana Digital Solutions asks the water utility for a meeting; at 19:00 only working
        // hours stand in the way (a compliance officer could override that).
        let id = request(
            &app,
            "ads",
            "150640010236",
            "astana-su-arnasy",
            "zhaksylykov",
            "2026-03-20",
        )
        .await;
        let official = app.token("zhaksylykov").await;
        let late = schedule_body(
            &app,
            "su-arnasy-1",
            "2026-03-20T19:00:00+05:00",
            "2026-03-20T19:30:00+05:00",
            &["omarova", "bekov"],
        )
        .await;
        let path = format!("/api/v1/meetings/{id}/schedule");
        let r = app.post(&path, Some(&official), &late).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert_eq!(codes(&r.body), ["outside_working_hours"], "{}", r.body);

        // A malformed package is refused with where it is wrong, and stores nothing.
        let bad = br#"{"releases": [{"ocid": "ocds-kz0001-X", "id": "1", "date": "2026-01-01T00:00:00Z"}, {"ocid": "ocds-kz0001-X", "id": "2", "date": "yesterday"}]}"#;
        let e = app
            .app
            .import_tenders(&bad[..], Layout::Package, "bad.json", Arc::new(AtomicU64::new(0)))
            .await
            .expect_err("refused");
        let glassroom_app::AppError::Invalid(fields) = e else {
            panic!("{e:?}")
        };
        assert_eq!(fields[0].field, "releases[1]");
        assert!(fields[0].detail.contains("yesterday"), "{:?}", fields);
        let mut tx = app.app.store.read().await.expect("read");
        assert_eq!(tx.ocds_counts().await.expect("counts"), (0, 0));
        drop(tx);

        // The water utility's award and contract to it, from an OCDS release package.
        let file = std::fs::File::open(FIXTURE).expect("fixture");
        let report = app
            .app
            .import_tenders(file, Layout::Package, "kz-sample", Arc::new(AtomicU64::new(0)))
            .await
            .expect("imports");
        assert_eq!((report.releases, report.new_releases, report.ocids), (2, 2, 1));
        assert_eq!(report.awards_changed, 3, "{report:?}");
        let record = app
            .app
            .ocds_record("ocds-kz0001-ASA-2026-031")
            .await
            .expect("read")
            .expect("record");
        assert_eq!(record["tag"], serde_json::json!(["compiled"]));
        assert_eq!(record["tender"]["status"], "complete", "the later release wins");
        assert_eq!(record["tender"]["title"], "Автоматизация учёта водопотребления", "kept from the first");
        assert_eq!(record["awards"].as_array().map(Vec::len), Some(2));
        // Importing it again changes nothing.
        let file = std::fs::File::open(FIXTURE).expect("fixture");
        let again = app
            .app
            .import_tenders(file, Layout::Package, "kz-sample", Arc::new(AtomicU64::new(0)))
            .await
            .expect("imports");
        assert_eq!((again.new_releases, again.awards_changed), (0, 0));

        // Now the same slot is refused absolutely, naming the contract.
        let r = app.post(&path, Some(&official), &late).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        let found = codes(&r.body);
        assert!(
            found.contains(&"tender_winner_outside_working_hours".to_owned()),
            "{}",
            r.body
        );
        assert!(r.body.to_string().contains("ocds-kz0001-ASA-2026-031"), "{}", r.body);
        // Within working hours it is scheduled.
        let ok = schedule_body(
            &app,
            "su-arnasy-1",
            "2026-03-20T11:00:00+05:00",
            "2026-03-20T11:30:00+05:00",
            &["omarova", "bekov"],
        )
        .await;
        let r = app.post(&path, Some(&official), &ok).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        // The meeting record links the business's procurement with the organisation, by ocid,
        // in the API and on the public page.
        assert_eq!(r.body["ocids"], serde_json::json!(["ocds-kz0001-ASA-2026-031"]), "{}", r.body);
        let (_, page) = app.get_raw(&format!("/meetings/{id}")).await;
        let page = String::from_utf8(page).expect("html");
        assert!(page.contains("<code>ocds-kz0001-ASA-2026-031</code>"), "{page}");
        // The supplier known only by an additional KZ-BIN identifier became a business.
        let r = app.get("/api/v1/businesses/160840012340", None).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.body["name"], "ТОО «Болашак Инжиниринг»");
        app
    })
    .await;
}

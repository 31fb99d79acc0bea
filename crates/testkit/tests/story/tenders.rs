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

        let r = app.get("/api/v1/businesses/150640010236", None).await;
        assert_eq!(r.body["tender_winner_of"], serde_json::json!([]), "{}", r.body);

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

        // The business's page names the organisation it is now a tender winner of, and the
        // contract that makes it so (before the import it named none).
        let r = app.get("/api/v1/businesses/150640010236", None).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let winner_of: Vec<&str> = r.body["tender_winner_of"]
            .as_array()
            .expect("list")
            .iter()
            .filter_map(|w| w["organisation"]["code"].as_str())
            .collect();
        assert!(winner_of.contains(&"astana-su-arnasy"), "{}", r.body);
        assert!(
            r.body["tender_winner_of"][0]["reference"]
                .as_str()
                .is_some_and(|x| x.starts_with("ocds-kz0001-ASA-2026-031/")),
            "{}",
            r.body
        );
        assert!(r.body.get("address").is_none(), "no address for the public");
        let (status, page) = app.get_raw("/businesses/150640010236").await;
        assert_eq!(status, StatusCode::OK);
        let page = String::from_utf8(page).expect("html");
        assert!(page.contains("Встреча с ним вне рабочего времени в этих организациях запрещена"), "{page}");
        assert!(page.contains("<code>ocds-kz0001-ASA-2026-031/contract/"), "{page}");

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

fn rnu_page(
    next: Option<&str>,
    items: &[(&str, &str, &str)],
) -> glassroom_app::unreliable::RnuPage {
    let items: Vec<serde_json::Value> = items
        .iter()
        .map(|(bin, name, day)| serde_json::json!({"pid": 1, "supplier_biin": bin, "supplier_innunp": null, "supplier_name_ru": name, "index_date": format!("{day} 10:00:00"), "system_id": 3}))
        .collect();
    let text =
        serde_json::json!({"total": items.len(), "limit": 50, "next_page": next, "items": items})
            .to_string();
    glassroom_app::unreliable::parse_rnu_page(&text).expect("page")
}

/// The procurement portal's register of unreliable suppliers: a listed business is shown on its
/// page and warned about (not refused) when a meeting with it is scheduled; a complete import that
/// no longer names it delists it; individuals are skipped; a malformed page stores nothing.
#[tokio::test]
async fn the_register_of_unreliable_suppliers_warns_and_shows_on_the_business_page() {
    each_backend(|app| async move {
        let r = app.get("/api/v1/businesses/150640010236", None).await;
        assert_eq!(r.body["unreliable"], serde_json::json!([]), "{}", r.body);
        let (_, page) = app.get_raw("/businesses/150640010236").await;
        assert!(
            String::from_utf8_lossy(&page)
                .contains("Не значится в реестрах недобросовестных поставщиков")
        );
        // A directory tender award shows as well: Сарыарка holds a contract of the Department of
        // Construction, so it is a tender winner of it and of the akimat above it.
        let r = app.get("/api/v1/businesses/050140001129", None).await;
        let mut codes: Vec<&str> = r.body["tender_winner_of"]
            .as_array()
            .expect("list")
            .iter()
            .filter_map(|w| w["organisation"]["code"].as_str())
            .collect();
        codes.sort_unstable();
        assert_eq!(codes, ["astana-akimat", "construction"], "{}", r.body);
        assert_eq!(r.body["awards"][0]["reference"], "KZ-GZ-2026-0412");

        let person = "850512300003"; // an individual entrepreneur's IIN: skipped
        let pages = [(
            String::new(),
            rnu_page(
                None,
                &[
                    (
                        "150640010236",
                        "ТОО «Astana Digital Solutions»",
                        "2025-11-04",
                    ),
                    ("110840009877", "ТОО «Дала Снаб»", "2025-06-02"),
                    (person, "ИП Частное лицо", "2025-07-01"),
                ],
            ),
        )];
        let report = app
            .app
            .import_unreliable_pages(&pages, "rnu.json")
            .await
            .expect("imports");
        assert_eq!(
            (
                report.read,
                report.listed,
                report.individuals,
                report.delisted
            ),
            (3, 2, 1, 0),
            "{report:?}"
        );
        assert!(report.complete);
        let again = app
            .app
            .import_unreliable_pages(&pages, "rnu.json")
            .await
            .expect("imports");
        assert_eq!(
            (again.listed, again.unchanged),
            (0, 2),
            "importing it again changes nothing"
        );
        assert!(
            app.app
                .unreliable_of(person)
                .await
                .expect("read")
                .is_empty(),
            "no individual is stored"
        );

        // The business's page and JSON show the listing.
        let r = app.get("/api/v1/businesses/150640010236", None).await;
        assert_eq!(
            r.body["unreliable"][0]["registry"], "goszakup",
            "{}",
            r.body
        );
        assert_eq!(r.body["unreliable"][0]["since"], "2025-11-04");
        assert_eq!(r.body["unreliable"][0]["listed_now"], true);
        let (_, page) = app.get_raw("/businesses/150640010236").await;
        let page = String::from_utf8(page).expect("html");
        assert!(
            page.contains("В реестре «портал госзакупок» с 04.11.2025"),
            "{page}"
        );
        let (_, page) = app.get_raw("/businesses/150640010236?lang=en").await;
        assert!(String::from_utf8_lossy(&page).contains("the procurement portal"));

        // Scheduling a meeting with it is warned about, not refused.
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
            "akimat-101",
            "2026-03-20T11:00:00+05:00",
            "2026-03-20T11:30:00+05:00",
            &["omarova", "bekov"],
        )
        .await;
        let r = app
            .post(
                &format!("/api/v1/meetings/{id}/schedule"),
                Some(&official),
                &body,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let warning = r.body["findings"]
            .as_array()
            .and_then(|f| f.iter().find(|x| x["rule"] == "unreliable_supplier"))
            .cloned()
            .expect("warned");
        assert_eq!(warning["severity"], "warning", "{}", r.body);
        assert!(
            warning["message"]
                .as_str()
                .is_some_and(|m| m.contains("04.11.2025")),
            "{warning}"
        );
        // An organisation may make it blocking: then only a compliance officer's override lets
        // the meeting be scheduled.
        let policy = r#"
[[organisations]]
code = "entrepreneurship"
kind = "department"
parent = "astana-akimat"
name = { ru = "Управление предпринимательства и промышленности города Астаны", kk = "Астана қаласының Кәсіпкерлік және өнеркәсіп басқармасы", en = "Astana Department of Entrepreneurship and Industry" }

[[organisations.policy]]
effective_from = "2026-01-01"
severity = { unreliable_supplier = "blocking" }
"#;
        let parsed = glassroom_app::directory::parse_directory(policy, "toml").expect("policy");
        app.app.apply_directory(None, parsed).await.expect("applies");
        let id2 = request(&app, "ads", "150640010236", "entrepreneurship", "akhmetov", "2026-03-20").await;
        let body = schedule_body(&app, "akimat-102", "2026-03-20T14:30:00+05:00", "2026-03-20T15:00:00+05:00", &["omarova", "bekov"]).await;
        let r = app.post(&format!("/api/v1/meetings/{id2}/schedule"), Some(&official), &body).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert_eq!(super::severity_of(&r.body, "unreliable_supplier"), "blocking", "{}", r.body);
        let compliance = app.token("kassymov").await;
        let mut body = body;
        body["overrides"] = serde_json::json!([{"rule": "unreliable_supplier", "justification": "Встреча по исполнению действующего договора, согласовано"}]);
        let r = app.post(&format!("/api/v1/meetings/{id2}/schedule"), Some(&compliance), &body).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        // The rule is listed with the others.
        let rules = app.get("/api/v1/rules", None).await;
        assert!(
            rules
                .body
                .as_array()
                .expect("rules")
                .iter()
                .any(|x| x["code"] == "unreliable_supplier" && x["default_severity"] == "warning"),
            "{}",
            rules.body
        );

        // A file that is only part of the register (its last page has a next page) delists no one.
        let part = [(
            String::new(),
            rnu_page(
                Some("/v3/rnu?page=2"),
                &[("110840009877", "ТОО «Дала Снаб»", "2025-06-02")],
            ),
        )];
        let r = app
            .app
            .import_unreliable_pages(&part, "part.json")
            .await
            .expect("imports");
        assert_eq!((r.delisted, r.complete), (0, false));
        // The whole register without it: delisted today, and no longer warned about.
        let whole = [(
            String::new(),
            rnu_page(None, &[("110840009877", "ТОО «Дала Снаб»", "2025-06-02")]),
        )];
        let r = app
            .app
            .import_unreliable_pages(&whole, "rnu-2.json")
            .await
            .expect("imports");
        assert_eq!(r.delisted, 1, "{r:?}");
        let r = app.get("/api/v1/businesses/150640010236", None).await;
        assert_eq!(
            r.body["unreliable"][0]["delisted"], "2026-03-16",
            "{}",
            r.body
        );
        assert_eq!(r.body["unreliable"][0]["listed_now"], false);
        let org = app.id("org", "entrepreneurship").await;
        let business = app
            .app
            .business_by_bin(None, "150640010236")
            .await
            .expect("business")
            .id;
        let (_, listing) = app.app.tender_status(org, business).await.expect("status");
        assert!(listing.is_none(), "no longer listed");

        // A malformed page is refused with its path, and nothing from it is stored.
        let bad = [(
            "line 2: ".to_owned(),
            rnu_page(
                None,
                &[
                    (
                        "150640010236",
                        "ТОО «Astana Digital Solutions»",
                        "2026-01-10",
                    ),
                    ("123456789012", "x", "2026-01-10"),
                ],
            ),
        )];
        let e = app
            .app
            .import_unreliable_pages(&bad, "bad.json")
            .await
            .expect_err("refused");
        let glassroom_app::AppError::Invalid(fields) = e else {
            panic!("{e:?}")
        };
        assert_eq!(
            fields[0].field, "line 2: items[1].supplier_biin",
            "{fields:?}"
        );
        let rows = app.app.unreliable_of("150640010236").await.expect("read");
        assert_eq!(
            rows[0].delisted.as_deref(),
            Some("2026-03-16"),
            "the bad file changed nothing"
        );

        // Each listing and delisting is an event of the log.
        let mut tx = app.app.store.read().await.expect("read");
        let events = tx.events_after(0, 10_000).await.expect("events");
        let kinds = |k: &str| events.iter().filter(|e| e.kind == k).count();
        assert_eq!(
            (kinds("unreliable.listed"), kinds("unreliable.delisted")),
            (2, 1)
        );
        drop(tx);
        app
    })
    .await;
}

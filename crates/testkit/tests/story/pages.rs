//! The web application's public pages over HTTP: server-rendered HTML in Russian, Kazakh and
//! English, the register's filters and paging, a meeting's page, the log and the rules, the
//! language switch that is remembered, and errors as pages.

use glassroom_testkit::TestApp;
use reqwest::StatusCode;

use super::{each_backend, request};

async fn page(app: &TestApp, path: &str, cookie: Option<&str>) -> (StatusCode, String, String) {
    let mut req = app
        .client
        .get(format!("{}{path}", app.base))
        .header("accept", "text/html");
    if let Some(c) = cookie {
        req = req.header("cookie", c);
    }
    let r = req.send().await.expect("page");
    let status = r.status();
    let ct = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (status, ct, r.text().await.expect("body"))
}

fn h1(html: &str) -> &str {
    html.split("<h1>")
        .nth(1)
        .and_then(|s| s.split("</h1>").next())
        .unwrap_or_default()
}

#[tokio::test]
async fn public_pages_render_in_three_languages_with_filters_paging_and_proof_links() {
    each_backend(|app| async move {
        let id = app.scheduled_meeting().await; // 2026-03-20 10:00–11:00, akimat-101
        // The register, in Russian by default, with the meeting in the organisation's local time.
        let (st, ct, html) = page(&app, "/", None).await;
        assert_eq!(st, StatusCode::OK);
        assert_eq!(ct, "text/html; charset=utf-8");
        assert!(
            html.starts_with("<!doctype html>\n<html lang=\"ru\">"),
            "{html}"
        );
        assert_eq!(h1(&html), "Реестр встреч");
        assert!(html.contains("20.03.2026 10:00–11:00"), "{html}");
        assert!(html.contains(&format!("href=\"/meetings/{id}\"")));
        assert!(html.contains("<label for=\"f-bin\">БИН предпринимателя</label>"));
        // Kazakh and English, by query, by Accept-Language, and remembered by the switch.
        let (_, _, kk) = page(&app, "/?lang=kk", None).await;
        assert_eq!(h1(&kk), "Кездесулер тізілімі");
        assert!(kk.contains("<html lang=\"kk\">"));
        let r = app
            .client
            .get(format!("{}/", app.base))
            .header("accept-language", "en-GB,en;q=0.9")
            .send()
            .await
            .expect("en");
        let en = r.text().await.expect("body");
        assert_eq!(h1(&en), "Meeting register");
        assert!(en.contains("20 Mar 2026, 10:00–11:00"), "{en}");
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        let r = client
            .get(format!("{}/lang/kk?back=%2Frules%3Flang%3Dru", app.base))
            .send()
            .await
            .expect("switch");
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(r.headers()["location"], "/rules");
        let cookie = r.headers()["set-cookie"]
            .to_str()
            .expect("cookie")
            .to_owned();
        assert!(
            cookie.starts_with("lang=kk;") && cookie.contains("Max-Age=31536000"),
            "{cookie}"
        );
        let (_, _, rules) = page(&app, "/rules", Some("lang=kk")).await;
        assert_eq!(h1(&rules), "Ережелер");
        assert!(rules.contains("tender_winner_outside_working_hours"));
        // Never an open redirect.
        let r = client
            .get(format!(
                "{}/lang/en?back=https%3A%2F%2Fevil.example",
                app.base
            ))
            .send()
            .await
            .expect("switch");
        assert_eq!(r.headers()["location"], "/");
        // Filters: by organisation and date range (local dates, inclusive), by status, by BIN.
        for (query, found) in [
            (
                "?organisation=entrepreneurship&from=2026-03-20&to=2026-03-20",
                true,
            ),
            ("?organisation=construction", false),
            ("?from=2026-03-21", false),
            ("?status=scheduled&business_bin=070840003411", true),
            ("?status=published", false),
        ] {
            let (st, _, html) = page(&app, &format!("/{query}"), None).await;
            assert_eq!(st, StatusCode::OK, "{query}");
            assert_eq!(html.contains(&format!("/meetings/{id}")), found, "{query}");
            if !found {
                assert!(html.contains("Встреч по этим условиям нет."), "{query}");
            }
        }
        // A bad filter: the page says what is wrong, in the page's language.
        let (st, _, html) = page(&app, "/?from=20.03.2026&lang=en", None).await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(html.contains("role=\"alert\""), "{html}");
        assert!(html.contains("From:"), "{html}");
        // The meeting's page: who, when, where, the commission, and each event's receipt.
        let (st, _, html) = page(&app, &format!("/meetings/{id}"), None).await;
        assert_eq!(st, StatusCode::OK);
        assert_eq!(h1(&html), format!("Встреча № {id}"));
        assert!(html.contains("Переговорная 101"));
        assert!(html.contains("Омарова"));
        assert!(html.contains("/api/v1/log/receipt/"), "{html}");
        assert!(html.contains("</time> Назначена <span"), "{html}");
        // No private data of representatives on a public page.
        assert!(!html.contains("000740001307") && !html.contains("+7 701"));
        // The log's page shows the signed checkpoint once sealed.
        app.sealed().await;
        let (st, _, html) = page(&app, "/log?lang=en", None).await;
        assert_eq!(st, StatusCode::OK);
        assert!(html.contains("test.glassroom.kz/ledger"), "{html}");
        assert!(html.contains("Root hash"));
        // Unknown pages and meetings: a page for a browser, problem+json for the API.
        let (st, ct, html) = page(&app, "/meetings/999999", None).await;
        assert_eq!(st, StatusCode::NOT_FOUND);
        assert!(
            ct.starts_with("text/html") && html.contains("Такой страницы нет."),
            "{html}"
        );
        let (st, _, html) = page(&app, "/nowhere", None).await;
        assert_eq!(st, StatusCode::NOT_FOUND);
        assert!(html.contains("<h1>Ошибка</h1>"));
        let r = app
            .client
            .get(format!("{}/api/v1/nowhere", app.base))
            .send()
            .await
            .expect("api");
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        assert_eq!(r.headers()["content-type"], "application/problem+json");
        // The stylesheet.
        let (st, ct, _) = page(&app, "/static/app.css", None).await;
        assert_eq!(st, StatusCode::OK);
        assert!(ct.starts_with("text/css"));
        app
    })
    .await;
}

fn cookie_of(r: &reqwest::Response, name: &str) -> Option<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(str::to_owned)
}

fn hidden(html: &str, name: &str) -> String {
    html.split(&format!("name=\"{name}\" value=\""))
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn signing_in_with_a_password_a_session_csrf_and_a_limit_on_guessing() {
    each_backend(|app| async move {
        app.app
            .set_password("kassymov", "correct horse battery")
            .await
            .expect("password");
        // Too short a password is refused.
        assert!(app.app.set_password("akhmetov", "short").await.is_err());
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        let base = app.base.clone();
        // The form sets a CSRF cookie and carries the same token.
        let r = client
            .get(format!("{base}/login"))
            .send()
            .await
            .expect("form");
        assert_eq!(r.status(), StatusCode::OK);
        let csrf_cookie = cookie_of(&r, "gr_csrf").expect("csrf cookie");
        assert!(csrf_cookie.contains("HttpOnly") && csrf_cookie.contains("SameSite=Strict"));
        let csrf = csrf_cookie
            .split(';')
            .next()
            .and_then(|c| c.strip_prefix("gr_csrf="))
            .expect("value")
            .to_owned();
        let html = r.text().await.expect("html");
        assert_eq!(hidden(&html, "csrf"), csrf);
        assert!(html.contains("<label for=\"l-password\">Пароль</label>"));
        let post = |login: &str, password: &str, token: &str| {
            client
                .post(format!("{base}/login"))
                .header("cookie", format!("gr_csrf={csrf}"))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(
                    serde_urlencoded::to_string([
                        ("login", login),
                        ("password", password),
                        ("csrf", token),
                        ("next", "/me"),
                    ])
                    .expect("form"),
                )
                .send()
        };
        // Without the form's token: refused.
        let r = post("kassymov", "correct horse battery", "forged")
            .await
            .expect("post");
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        // A wrong password: the form again, with the reason, and no session.
        let r = post("kassymov", "wrong password!", &csrf)
            .await
            .expect("post");
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        assert!(cookie_of(&r, "gr_session").is_none());
        assert!(
            r.text()
                .await
                .expect("html")
                .contains("Неверный логин или пароль.")
        );
        // An unknown login answers the same.
        let r = post("nobody", "whatever at all", &csrf)
            .await
            .expect("post");
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        // The right password: a session cookie (HttpOnly, SameSite=Lax) and the way to /me.
        let r = post("kassymov", "correct horse battery", &csrf)
            .await
            .expect("post");
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(r.headers()["location"], "/me");
        let session = cookie_of(&r, "gr_session").expect("session cookie");
        assert!(
            session.contains("HttpOnly")
                && session.contains("SameSite=Lax")
                && session.contains("Path=/"),
            "{session}"
        );
        let sid = session.split(';').next().expect("pair").to_owned();
        let me = client
            .get(format!("{base}/me"))
            .header("cookie", &sid)
            .send()
            .await
            .expect("me");
        assert_eq!(me.status(), StatusCode::OK);
        let html = me.text().await.expect("html");
        assert!(html.contains("<h1>Мой кабинет</h1>"), "{html}");
        assert!(
            html.contains("комплаенс-офицер: Акимат города Астаны"),
            "{html}"
        );
        assert!(html.contains("<a href=\"/me\">kassymov</a>"));
        let session_csrf = hidden(&html, "csrf");
        assert_eq!(session_csrf.len(), 32);
        // Only the hash of the session token is stored.
        let token = sid.strip_prefix("gr_session=").expect("token");
        let mut tx = app.app.store.read().await.expect("read");
        assert!(tx.session(token).await.expect("lookup").is_none());
        assert!(
            tx.session(&glassroom_app::auth::hash_token(token))
                .await
                .expect("lookup")
                .is_some()
        );
        drop(tx);
        // Signing out needs the session's CSRF token.
        let out = |token: &str| {
            client
                .post(format!("{base}/logout"))
                .header("cookie", &sid)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(format!("csrf={token}"))
                .send()
        };
        assert_eq!(
            out("nope").await.expect("out").status(),
            StatusCode::FORBIDDEN
        );
        let r = out(&session_csrf).await.expect("out");
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert!(cookie_of(&r, "gr_session").is_some_and(|c| c.contains("Max-Age=0")));
        let me = client
            .get(format!("{base}/me"))
            .header("cookie", &sid)
            .send()
            .await
            .expect("me");
        assert_eq!(me.status(), StatusCode::SEE_OTHER);
        assert_eq!(me.headers()["location"], "/login?next=/me");
        // Guessing: after five failures the account is locked for a while, the right password
        // included.
        for _ in 0..5 {
            let r = post("kassymov", "still wrong!!", &csrf)
                .await
                .expect("post");
            assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        }
        let r = post("kassymov", "correct horse battery", &csrf)
            .await
            .expect("post");
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
        assert!(r.text().await.expect("html").contains("подождите 15 минут"));
        // Fifteen minutes later (the test clock), it opens again.
        app.clock.advance(jiff::SignedDuration::from_mins(16));
        let r = post("kassymov", "correct horse battery", &csrf)
            .await
            .expect("post");
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        app
    })
    .await;
}

/// Signs `login` in through the form; returns the session cookie pair and the session's CSRF.
async fn sign_in(app: &TestApp, login: &str) -> (String, String) {
    app.app
        .set_password(login, "correct horse battery")
        .await
        .expect("password");
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let r = client
        .get(format!("{}/login", app.base))
        .send()
        .await
        .expect("form");
    let csrf = hidden(&r.text().await.expect("html"), "csrf");
    let r = client
        .post(format!("{}/login", app.base))
        .header("cookie", format!("gr_csrf={csrf}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "login={login}&password=correct+horse+battery&csrf={csrf}&next=%2Fme"
        ))
        .send()
        .await
        .expect("sign in");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let sid = cookie_of(&r, "gr_session")
        .expect("session")
        .split(';')
        .next()
        .expect("pair")
        .to_owned();
    let me = client
        .get(format!("{}/me", app.base))
        .header("cookie", &sid)
        .send()
        .await
        .expect("me");
    let csrf = hidden(&me.text().await.expect("html"), "csrf");
    (sid, csrf)
}

#[tokio::test]
async fn a_business_requests_a_meeting_through_the_form() {
    each_backend(|app| async move {
        let (sid, csrf) = sign_in(&app, "nurservice").await;
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        let base = app.base.clone();
        let r = client
            .get(format!("{base}/requests/new"))
            .header("cookie", &sid)
            .send()
            .await
            .expect("form");
        assert_eq!(r.status(), StatusCode::OK);
        let html = r.text().await.expect("html");
        // The business's own BIN, fixed; officials listed by organisation.
        assert!(html.contains("value=\"070840003411\" readonly"), "{html}");
        assert!(html.contains("Ахметов Нурлан Серикович"));
        let host = format!(
            "{}:{}",
            app.id("org", "entrepreneurship").await,
            app.id("person", "akhmetov").await
        );
        let send = |fields: Vec<(&str, String)>| {
            client
                .post(format!("{base}/requests/new"))
                .header("cookie", &sid)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(serde_urlencoded::to_string(&fields).expect("form"))
                .send()
        };
        let good = |csrf: &str, subject: &str| {
            vec![
                ("csrf", csrf.to_owned()),
                ("host", host.clone()),
                ("business_bin", "070840003411".to_owned()),
                ("subject", subject.to_owned()),
                ("kind", "consultation".to_owned()),
                ("wished_from", "2026-03-20T09:00".to_owned()),
                ("wished_to", "2026-03-20T17:00".to_owned()),
                ("rep_name", "Иванов Иван Иванович".to_owned()),
                ("rep_role", "директор".to_owned()),
            ]
        };
        // Without the session's CSRF token: refused, nothing stored.
        let r = send(good("forged", "Аренда помещения"))
            .await
            .expect("post");
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        // An empty subject and a window the wrong way round: the form again, with the reasons.
        let mut bad = good(&csrf, "");
        bad[6].1 = "2026-03-19T17:00".to_owned();
        let r = send(bad).await.expect("post");
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = r.text().await.expect("html");
        assert!(html.contains("Исправьте, пожалуйста:"), "{html}");
        assert!(
            html.contains("Окончание должно быть позже начала."),
            "{html}"
        );
        assert!(
            html.contains("Иванов Иван Иванович"),
            "the form keeps what was typed"
        );
        let mut tx = app.app.store.read().await.expect("read");
        assert_eq!(tx.count_meetings().await.expect("count"), 0);
        drop(tx);
        // A good request: the meeting's page, with the request acknowledged.
        let r = send(good(&csrf, "Аренда помещения под производство"))
            .await
            .expect("post");
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let location = r.headers()["location"]
            .to_str()
            .expect("location")
            .to_owned();
        assert!(location.ends_with("?created=1"), "{location}");
        let r = client
            .get(format!("{base}{location}"))
            .header("cookie", &sid)
            .send()
            .await
            .expect("meeting");
        assert_eq!(r.status(), StatusCode::OK);
        let html = r.text().await.expect("html");
        assert!(html.contains("Запрос отправлен."), "{html}");
        assert!(html.contains("status-requested"));
        assert!(html.contains("Аренда помещения под производство"));
        // A request is not public yet.
        let r = client
            .get(format!("{base}{location}"))
            .send()
            .await
            .expect("public");
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        app
    })
    .await;
}

#[tokio::test]
async fn an_official_sees_every_rule_verdict_before_scheduling() {
    each_backend(|app| async move {
        // A tender winner of the Department of Construction asks to meet its head.
        let id = request(
            &app,
            "saryarka",
            "050140001129",
            "construction",
            "seitkali",
            "2026-03-20",
        )
        .await;
        let (sid, csrf) = sign_in(&app, "seitkali").await;
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        let base = app.base.clone();
        let r = client
            .get(format!("{base}/inbox"))
            .header("cookie", &sid)
            .send()
            .await
            .expect("inbox");
        let html = r.text().await.expect("html");
        assert!(html.contains(&format!("/meetings/{id}/schedule")), "{html}");
        let r = client
            .get(format!("{base}/meetings/{id}/schedule"))
            .header("cookie", &sid)
            .send()
            .await
            .expect("form");
        assert_eq!(r.status(), StatusCode::OK);
        let html = r.text().await.expect("html");
        assert!(
            html.contains("Переговорная 101") && html.contains("Омарова"),
            "{html}"
        );
        // The business's tender-winner status, with the contract that makes it so.
        assert!(
            html.contains("Победитель тендера.") && html.contains("KZ-GZ-2026-0412"),
            "{html}"
        );
        let room = app.id("room", "akimat-101").await.to_string();
        let members = [
            app.id("person", "omarova").await.to_string(),
            app.id("person", "bekov").await.to_string(),
        ];
        let send = |action: &str, start: &str, end: &str| {
            let mut form = vec![
                ("csrf", csrf.clone()),
                ("room", room.clone()),
                ("start", start.to_owned()),
                ("end", end.to_owned()),
                ("action", action.to_owned()),
            ];
            for m in &members {
                form.push(("commission", m.clone()));
            }
            client
                .post(format!("{base}/meetings/{id}/schedule"))
                .header("cookie", &sid)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(serde_urlencoded::to_string(&form).expect("form"))
                .send()
        };
        // 19:00 with a tender winner: the check lists the refusal, and nothing is written.
        let r = send("check", "2026-03-20T19:00", "2026-03-20T20:00")
            .await
            .expect("check");
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = r.text().await.expect("html");
        assert!(html.contains("Так назначить нельзя:"), "{html}");
        assert!(
            html.contains("<code>tender_winner_outside_working_hours</code>"),
            "{html}"
        );
        assert!(html.contains("Встреча с победителем тендера"), "{html}");
        // What was chosen stays chosen.
        assert!(html.contains("value=\"2026-03-20T19:00\""));
        let status = |app: &TestApp| {
            let store = app.app.store.clone();
            async move {
                let mut tx = store.read().await.expect("read");
                tx.meeting(id)
                    .await
                    .expect("meeting")
                    .expect("exists")
                    .status
            }
        };
        assert_eq!(status(&app).await, "requested");
        // Submitting it anyway is refused the same way.
        let r = send("schedule", "2026-03-20T19:00", "2026-03-20T20:00")
            .await
            .expect("schedule");
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(status(&app).await, "requested");
        // A slot in working time passes the check, then is scheduled.
        let r = send("check", "2026-03-20T10:00", "2026-03-20T11:00")
            .await
            .expect("check");
        assert_eq!(r.status(), StatusCode::OK);
        assert!(r.text().await.expect("html").contains("Правила соблюдены"));
        assert_eq!(status(&app).await, "requested");
        let r = send("schedule", "2026-03-20T10:00", "2026-03-20T11:00")
            .await
            .expect("schedule");
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(r.headers()["location"], format!("/meetings/{id}"));
        assert_eq!(status(&app).await, "scheduled");
        // Rejecting another request from the same form needs a reason.
        let other = request(
            &app,
            "saryarka",
            "050140001129",
            "construction",
            "seitkali",
            "2026-03-23",
        )
        .await;
        let act = |sid: &str, csrf: &str, meeting: i64, fields: &[(&str, &str)]| {
            let mut form = vec![("csrf", csrf.to_owned())];
            form.extend(fields.iter().map(|(k, v)| (*k, (*v).to_owned())));
            client
                .post(format!("{base}/meetings/{meeting}/act"))
                .header("cookie", sid.to_owned())
                .header("content-type", "application/x-www-form-urlencoded")
                .body(serde_urlencoded::to_string(&form).expect("form"))
                .send()
        };
        let r = act(&sid, &csrf, other, &[("action", "reject"), ("reason", "")])
            .await
            .expect("reject");
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let r = act(
            &sid,
            &csrf,
            other,
            &[
                ("action", "reject"),
                ("reason", "Вопрос решается без встречи, письменно"),
            ],
        )
        .await
        .expect("reject");
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let mut tx = app.app.store.read().await.expect("read");
        assert_eq!(
            tx.meeting(other).await.expect("m").expect("exists").status,
            "rejected"
        );
        drop(tx);
        // Half an hour before the meeting a commission member checks in from its page.
        app.clock.set(glassroom_testkit::almaty("2026-03-20T09:30"));
        let (msid, mcsrf) = sign_in(&app, "omarova").await;
        let page = client
            .get(format!("{base}/meetings/{id}"))
            .header("cookie", &msid)
            .send()
            .await
            .expect("page")
            .text()
            .await
            .expect("html");
        assert!(
            page.contains("value=\"check_in\">Отметиться о прибытии</button>"),
            "{page}"
        );
        let r = act(&msid, &mcsrf, id, &[("action", "check_in")])
            .await
            .expect("check in");
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let page = client
            .get(format!(
                "{base}{}",
                r.headers()["location"].to_str().expect("location")
            ))
            .header("cookie", &msid)
            .send()
            .await
            .expect("page")
            .text()
            .await
            .expect("html");
        assert!(page.contains("Вы отмечены."), "{page}");
        assert!(!page.contains("value=\"check_in\""), "no second check-in");
        // A business cannot reach the scheduling form.
        let (bsid, _) = sign_in(&app, "nurservice").await;
        let r = client
            .get(format!("{base}/meetings/{id}/schedule"))
            .header("cookie", &bsid)
            .send()
            .await
            .expect("form");
        assert!(
            r.status() == StatusCode::FORBIDDEN || r.status() == StatusCode::NOT_FOUND,
            "{}",
            r.status()
        );
        app
    })
    .await;
}

/// Who is who in the demo directory, one login per role SPEC names (`public` has none).
const ROLES: [(&str, Option<&str>); 7] = [
    ("public", None),
    ("business", Some("saryarka")),
    ("official", Some("seitkali")),
    ("commission", Some("omarova")),
    ("compliance", Some("kassymov")),
    ("auditor", Some("tulegenova")),
    ("admin", Some("admin")),
];

/// A form's address, its fields, and the answer each role gets.
type FormWalk = (String, Vec<(&'static str, &'static str)>, [May; 7]);

/// The answer every role must get: 200, 303 to the sign-in page, or 403.
#[derive(Debug, Clone, Copy, PartialEq)]
enum May {
    Yes,
    SignIn,
    No,
}

#[tokio::test]
async fn every_page_answers_only_the_roles_spec_gives_it() {
    each_backend(|app| async move {
        let published = app.scheduled_meeting().await;
        let requested = request(
            &app,
            "saryarka",
            "050140001129",
            "construction",
            "seitkali",
            "2026-03-20",
        )
        .await;
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        let mut sessions = Vec::new();
        for (role, login) in ROLES {
            let s = match login {
                Some(l) => Some(sign_in(&app, l).await),
                None => None,
            };
            sessions.push((role, s));
        }
        use May::*;
        // Every page, and which roles may open it (in the order of ROLES).
        let schedule = format!("/meetings/{requested}/schedule");
        let meeting = format!("/meetings/{published}");
        let pages: Vec<(&str, [May; 7])> = vec![
            ("/", [Yes; 7]),
            ("/rules", [Yes; 7]),
            ("/log", [Yes; 7]),
            ("/open-data", [Yes; 7]),
            ("/businesses/050140001129", [Yes; 7]),
            (&meeting, [Yes; 7]),
            ("/me", [SignIn, Yes, Yes, Yes, Yes, Yes, Yes]),
            ("/requests/new", [SignIn, Yes, Yes, No, No, No, No]),
            ("/inbox", [SignIn, No, Yes, No, Yes, No, No]),
            (&schedule, [SignIn, No, Yes, No, Yes, No, No]),
            ("/calendar", [SignIn, No, Yes, No, No, No, No]),
            ("/assigned", [SignIn, No, No, Yes, No, No, No]),
            ("/dashboard", [SignIn, No, No, No, Yes, No, No]),
            ("/search", [SignIn, No, No, No, Yes, Yes, No]),
            ("/admin", [SignIn, No, No, No, No, No, Yes]),
        ];
        let mut walked = 0;
        for (path, allowed) in &pages {
            for (i, (role, session)) in sessions.iter().enumerate() {
                let mut req = client.get(format!("{}{path}", app.base));
                if let Some((sid, _)) = session {
                    req = req.header("cookie", sid);
                }
                let r = req.send().await.expect("page");
                let status = r.status();
                let location = r
                    .headers()
                    .get("location")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned();
                let html = r.text().await.expect("html");
                match allowed[i] {
                    Yes => assert_eq!(status, StatusCode::OK, "{role} {path}: {html}"),
                    SignIn => {
                        assert_eq!(status, StatusCode::SEE_OTHER, "{role} {path}");
                        assert!(location.starts_with("/login?next="), "{role} {path}");
                    }
                    No => {
                        assert_eq!(status, StatusCode::FORBIDDEN, "{role} {path}");
                        assert!(html.contains("<html lang=\"ru\">"), "{role} {path}");
                    }
                }
                // The navigation offers a role exactly the pages it may open.
                if session.is_some() && status == StatusCode::OK {
                    for (p, a) in &pages {
                        if matches!(
                            *p,
                            "/requests/new"
                                | "/inbox"
                                | "/calendar"
                                | "/assigned"
                                | "/dashboard"
                                | "/search"
                                | "/admin"
                        ) {
                            assert_eq!(
                                html.contains(&format!("<a href=\"{p}\"")),
                                a[i] == Yes,
                                "{role} on {path}: link to {p}"
                            );
                        }
                    }
                }
                walked += 1;
            }
        }
        assert_eq!(walked, pages.len() * ROLES.len());
        // Forms: a role a form is not for is refused with 403 even with a valid CSRF token, and
        // nothing is written.
        let before = app.sealed().await;
        let forms: Vec<FormWalk> = vec![
            (
                "/requests/new".into(),
                vec![("subject", "x")],
                [SignIn, Yes, Yes, No, No, No, No],
            ),
            (
                schedule.clone(),
                vec![("action", "check")],
                [SignIn, No, Yes, No, Yes, No, No],
            ),
            (
                format!("/meetings/{published}/recordings"),
                vec![("purpose", "short")],
                [SignIn, No, No, No, Yes, Yes, No],
            ),
            (
                "/admin/password".into(),
                vec![("login", "bekov"), ("password", "short")],
                [SignIn, No, No, No, No, No, Yes],
            ),
            (
                "/admin/directory".into(),
                vec![("directory", "{")],
                [SignIn, No, No, No, No, No, Yes],
            ),
        ];
        for (path, fields, allowed) in &forms {
            for (i, (role, session)) in sessions.iter().enumerate() {
                let mut body: Vec<(&str, &str)> = fields.clone();
                let mut req = client
                    .post(format!("{}{path}", app.base))
                    .header("content-type", "application/x-www-form-urlencoded");
                if let Some((sid, csrf)) = session {
                    body.push(("csrf", csrf));
                    req = req.header("cookie", sid);
                }
                let r = req
                    .body(serde_urlencoded::to_string(&body).expect("form"))
                    .send()
                    .await
                    .expect("post");
                match allowed[i] {
                    No => assert_eq!(r.status(), StatusCode::FORBIDDEN, "{role} POST {path}"),
                    SignIn => assert_eq!(r.status(), StatusCode::SEE_OTHER, "{role} POST {path}"),
                    // Allowed, but the form is incomplete: the page says what is wrong.
                    Yes => assert_eq!(
                        r.status(),
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "{role} POST {path}"
                    ),
                }
            }
        }
        assert_eq!(app.sealed().await, before, "a refused form wrote nothing");
        app
    })
    .await;
}

#[tokio::test]
async fn each_role_has_its_own_pages_with_what_it_needs() {
    each_backend(|app| async move {
        let id = app.scheduled_meeting().await; // 2026-03-20 10:00–11:00, akimat-101
        app.clock.set(glassroom_testkit::almaty("2026-03-20T09:30"));
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        let get = |sid: String, path: String| {
            let client = client.clone();
            let base = app.base.clone();
            async move {
                let r = client
                    .get(format!("{base}{path}"))
                    .header("cookie", sid)
                    .send()
                    .await
                    .expect("page");
                (r.status(), r.text().await.expect("html"))
            }
        };
        // The commission member's assignments.
        let (sid, _) = sign_in(&app, "omarova").await;
        let (st, html) = get(sid, "/assigned".into()).await;
        assert_eq!(st, StatusCode::OK);
        assert_eq!(h1(&html), "Мои комиссии");
        assert!(html.contains(&format!("/meetings/{id}")), "{html}");
        // The official's calendar, the week of the meeting, with its day named.
        let (sid, _) = sign_in(&app, "akhmetov").await;
        let (st, html) = get(sid.clone(), "/calendar".into()).await;
        assert_eq!(st, StatusCode::OK);
        assert!(html.contains("Пятница, 20.03.2026"), "{html}");
        assert!(html.contains(&format!("/meetings/{id}")), "{html}");
        let (_, html) = get(sid.clone(), "/calendar?week=2026-03-30".into()).await;
        assert!(!html.contains(&format!("/meetings/{id}")));
        assert_eq!(html.matches("Встреч нет.").count(), 7, "{html}");
        let (st, _) = get(sid, "/calendar?week=30.03.2026".into()).await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
        // The compliance dashboard: today's meeting, the room's inputs, no violations yet.
        let (sid, _) = sign_in(&app, "kassymov").await;
        let (st, html) = get(sid.clone(), "/dashboard?lang=en".into()).await;
        assert_eq!(st, StatusCode::OK);
        assert_eq!(h1(&html), "Compliance dashboard");
        assert!(html.contains(&format!("/meetings/{id}")), "{html}");
        assert!(html.contains("<td>akimat-101</td><td>cam-1</td>"), "{html}");
        assert!(html.contains("No violations."), "{html}");
        // Overrides on the scheduling form: 18:30 for a business that won no tender is blocked by
        // working hours only, which the compliance officer may override with a justification.
        let late = request(
            &app,
            "nurservice",
            "070840003411",
            "entrepreneurship",
            "akhmetov",
            "2026-03-20",
        )
        .await;
        let (sid, csrf) = sign_in(&app, "kassymov").await;
        let room = app.id("room", "akimat-101").await.to_string();
        let members = [
            app.id("person", "omarova").await.to_string(),
            app.id("person", "bekov").await.to_string(),
        ];
        let schedule = |extra: Vec<(&'static str, String)>| {
            let mut form = vec![
                ("csrf", csrf.clone()),
                ("room", room.clone()),
                ("start", "2026-03-20T18:30".to_owned()),
                ("end", "2026-03-20T19:00".to_owned()),
                ("commission", members[0].clone()),
                ("commission", members[1].clone()),
            ];
            form.extend(extra);
            client
                .post(format!("{}/meetings/{late}/schedule", app.base))
                .header("cookie", &sid)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(serde_urlencoded::to_string(&form).expect("form"))
                .send()
        };
        let r = schedule(vec![("action", "check".into())])
            .await
            .expect("check");
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = r.text().await.expect("html");
        assert!(
            html.contains("name=\"override\" value=\"outside_working_hours\""),
            "{html}"
        );
        // A justification too short is refused on the form; nothing is scheduled.
        let r = schedule(vec![
            ("action", "schedule".into()),
            ("override", "outside_working_hours".into()),
            ("justification-outside_working_hours", "urgent".into()),
        ])
        .await
        .expect("schedule");
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let r = schedule(vec![
            ("action", "schedule".into()),
            ("override", "outside_working_hours".into()),
            (
                "justification-outside_working_hours",
                "Лицензия истекает завтра; заявитель не может прийти днём".into(),
            ),
        ])
        .await
        .expect("schedule");
        assert_eq!(
            r.status(),
            StatusCode::SEE_OTHER,
            "{}",
            r.text().await.unwrap_or_default()
        );
        let (_, html) = get(sid.clone(), "/dashboard".into()).await;
        assert!(html.contains("Лицензия истекает завтра"), "{html}");
        assert!(
            html.contains("<code>outside_working_hours</code>"),
            "{html}"
        );
        // The tender winner's absolute rule offers no override.
        let winner = request(
            &app,
            "saryarka",
            "050140001129",
            "construction",
            "seitkali",
            "2026-03-20",
        )
        .await;
        let r = client
            .post(format!("{}/meetings/{winner}/schedule", app.base))
            .header("cookie", &sid)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(
                serde_urlencoded::to_string([
                    ("csrf", csrf.as_str()),
                    ("room", room.as_str()),
                    ("start", "2026-03-20T19:00"),
                    ("end", "2026-03-20T19:30"),
                    ("commission", members[0].as_str()),
                    ("commission", members[1].as_str()),
                    ("action", "check"),
                ])
                .expect("form"),
            )
            .send()
            .await
            .expect("check");
        let html = r.text().await.expect("html");
        assert!(
            html.contains("tender_winner_outside_working_hours"),
            "{html}"
        );
        assert!(
            !html.contains("value=\"tender_winner_outside_working_hours\""),
            "no override for an absolute rule: {html}"
        );
        // The search across organisations finds requests too, and says what is wrong with a bad
        // filter.
        let req = winner;
        let (sid, _) = sign_in(&app, "tulegenova").await;
        let (st, html) = get(sid.clone(), "/search?status=requested".into()).await;
        assert_eq!(st, StatusCode::OK);
        assert!(html.contains(&format!("/meetings/{req}")), "{html}");
        assert!(!html.contains(&format!("/meetings/{id}\"")), "{html}");
        let (_, html) = get(sid.clone(), "/search?organisation=entrepreneurship".into()).await;
        assert!(html.contains(&format!("/meetings/{id}")), "{html}");
        assert!(!html.contains(&format!("/meetings/{req}\"")), "{html}");
        let (st, html) = get(sid, "/search?business_bin=123&from=x".into()).await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(html.contains("role=\"alert\""), "{html}");
        // The administrator: directory, calendars, accounts; sets a password (logged), and a
        // broken directory file is refused with nothing changed.
        let (sid, csrf) = sign_in(&app, "admin").await;
        let (st, html) = get(sid.clone(), "/admin".into()).await;
        assert_eq!(st, StatusCode::OK);
        for text in [
            "Учётные записи",
            "Рабочие календари",
            "Переговорная 101",
            "Омарова",
        ] {
            assert!(html.contains(text), "{text}: {html}");
        }
        assert!(html.contains("Выходной"), "weekends shown: {html}");
        let post = |path: &str, form: Vec<(&str, &str)>| {
            client
                .post(format!("{}{path}", app.base))
                .header("cookie", &sid)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(serde_urlencoded::to_string(&form).expect("form"))
                .send()
        };
        let before = app.sealed().await;
        let r = post(
            "/admin/password",
            vec![("csrf", &csrf), ("login", "bekov"), ("password", "short")],
        )
        .await
        .expect("post");
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let r = post(
            "/admin/password",
            vec![
                ("csrf", &csrf),
                ("login", "nobody"),
                ("password", "long enough pw"),
            ],
        )
        .await
        .expect("post");
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text().await.expect("html").contains("Нет учётной записи"));
        let r = post(
            "/admin/directory",
            vec![("csrf", &csrf), ("directory", "{\"organisations\": 5}")],
        )
        .await
        .expect("post");
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(app.sealed().await, before, "nothing written");
        let r = post(
            "/admin/password",
            vec![
                ("csrf", &csrf),
                ("login", "bekov"),
                ("password", "a new long password"),
            ],
        )
        .await
        .expect("post");
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(r.headers()["location"], "/admin?done=password");
        assert!(app.sealed().await > before, "the change is in the log");
        assert!(
            app.app
                .sign_in("bekov", "a new long password", "127.0.0.1")
                .await
                .is_ok()
        );
        app
    })
    .await;
}

/// A business's own page shows its standing: whom it is a tender winner of, and why, with a link
/// to its public page.
#[tokio::test]
async fn a_business_sees_its_tender_standing_on_its_own_page() {
    each_backend(|app| async move {
        for (login, bin, expected) in [
            (
                "saryarka",
                "050140001129",
                "Встреча с ним вне рабочего времени в этих организациях запрещена",
            ),
            (
                "nurservice",
                "070840003411",
                "Сегодня не является победителем тендера",
            ),
        ] {
            let (sid, _) = sign_in(&app, login).await;
            let html = app
                .client
                .get(format!("{}/me", app.base))
                .header("cookie", &sid)
                .send()
                .await
                .expect("me")
                .text()
                .await
                .expect("html");
            assert!(html.contains(expected), "{login}: {html}");
            assert!(
                html.contains(&format!("<a href=\"/businesses/{bin}\">")),
                "{login}"
            );
            if login == "saryarka" {
                assert!(
                    html.contains("договор KZ-GZ-2026-0412 от 10.02.2026"),
                    "{html}"
                );
            }
        }
        app
    })
    .await;
}

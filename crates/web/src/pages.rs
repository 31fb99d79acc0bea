//! The web application's public pages, server-rendered (askama) from the fluent catalogues, in
//! Russian (default), Kazakh or English: the meeting register with filters and paging, a meeting's
//! page with its ledger entries, the transparency log's checkpoint, and the rules in plain words.
//! They work without JavaScript.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use serde::Deserialize;

use glassroom_app::AppError;
use glassroom_app::meetings::RegisterQuery;
use glassroom_app::sessions::Session;
use glassroom_domain::RuleCode;
use glassroom_i18n::{Lang, message};

use crate::AppState;
use crate::extract::ReqLang;

/// What every page needs: the language, the section (for `aria-current`), the way back after
/// switching language.
pub struct Ui {
    pub lang: &'static str,
    tongue: Lang,
    pub section: &'static str,
    /// The current path and query, percent-encoded for `?back=`.
    pub back: String,
    pub langs: [(&'static str, &'static str); 3],
    /// Who is signed in (their login), and the session's CSRF token for the sign-out form.
    pub user: Option<String>,
    pub csrf: String,
    /// The signed-in person's own pages, as their roles give them: (href, label, section).
    pub links: Vec<(&'static str, String, &'static str)>,
}

/// Who may open a page or send a form; checked on the server for every request.
pub type Allowed = fn(&glassroom_app::Actor) -> bool;

use glassroom_app::Role;

/// A business, or an official on a business's behalf.
pub fn may_request(a: &glassroom_app::Actor) -> bool {
    a.business_id.is_some() || a.has_role(Role::Official)
}
/// Officials and compliance officers decide requests.
pub fn may_schedule(a: &glassroom_app::Actor) -> bool {
    a.has_role(Role::Official) || a.has_role(Role::Compliance)
}
pub fn may_host(a: &glassroom_app::Actor) -> bool {
    a.has_role(Role::Official)
}
pub fn may_sit(a: &glassroom_app::Actor) -> bool {
    a.has_role(Role::Commission)
}
pub fn may_oversee(a: &glassroom_app::Actor) -> bool {
    a.has_role(Role::Compliance)
}
/// Auditors read everything; compliance officers their subtree.
pub fn may_search(a: &glassroom_app::Actor) -> bool {
    a.has_role(Role::Auditor) || a.has_role(Role::Compliance)
}
pub fn may_administer(a: &glassroom_app::Actor) -> bool {
    a.has_role(Role::Admin)
}
fn anyone(_: &glassroom_app::Actor) -> bool {
    true
}

/// The signed-in navigation: (href, message key, section, who sees it).
const WORK: [(&str, &str, &str, Allowed); 8] = [
    ("/me", "nav-me", "me", anyone),
    ("/requests/new", "nav-request", "request", may_request),
    ("/inbox", "nav-inbox", "inbox", may_schedule),
    ("/calendar", "nav-calendar", "calendar", may_host),
    ("/assigned", "nav-assigned", "assigned", may_sit),
    ("/dashboard", "nav-dashboard", "dashboard", may_oversee),
    ("/search", "nav-search", "search", may_search),
    ("/admin", "nav-admin", "admin", may_administer),
];

/// Who is asking: the signed-in session (from the `gr_session` cookie), if any, and the client's
/// address.
pub struct Visitor {
    pub token: Option<String>,
    pub session: Option<Session>,
    pub client: Option<String>,
}

pub const SESSION_COOKIE: &str = "gr_session";
const LOGIN_CSRF_COOKIE: &str = "gr_csrf";

/// The session token a browser's cookie carries.
pub fn session_token(headers: &HeaderMap) -> Option<String> {
    cookie(headers, SESSION_COOKIE)
}

fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| {
            c.trim()
                .strip_prefix(name)
                .and_then(|r| r.strip_prefix('='))
                .map(str::to_owned)
        })
        .filter(|v| !v.is_empty())
}

impl axum::extract::FromRequestParts<AppState> for Visitor {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        s: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = cookie(&parts.headers, SESSION_COOKIE);
        let session = match &token {
            Some(t) => s.app.session(t).await.ok(),
            None => None,
        };
        let client = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0.ip().to_string());
        Ok(Visitor {
            token,
            session,
            client,
        })
    }
}

impl Ui {
    pub(crate) fn new(lang: Lang, section: &'static str, uri: &Uri) -> Ui {
        let here = uri
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/")
            .to_owned();
        Ui {
            lang: lang.code(),
            tongue: lang,
            section,
            back: serde_urlencoded::to_string([("", here)])
                .map(|s| s.trim_start_matches('=').to_owned())
                .unwrap_or_default(),
            langs: [("ru", "Русский"), ("kk", "Қазақша"), ("en", "English")],
            user: None,
            csrf: String::new(),
            links: Vec::new(),
        }
    }

    pub(crate) fn with(mut self, v: &Visitor) -> Ui {
        if let Some(s) = &v.session {
            self.user = Some(s.actor.login.clone());
            self.csrf = s.csrf.clone();
            self.links = WORK
                .iter()
                .filter(|w| (w.3)(&s.actor))
                .map(|w| (w.0, message(self.tongue, w.1, &[]), w.2))
                .collect();
        }
        self
    }

    pub fn tongue(&self) -> Lang {
        self.tongue
    }

    pub fn t(&self, key: &str) -> String {
        message(self.tongue, key, &[])
    }

    pub(crate) fn ta(&self, key: &str, args: &[(&str, String)]) -> String {
        message(self.tongue, key, args)
    }

    /// A local date and time in the organisation's zone, as each language writes it.
    pub(crate) fn when(&self, t: Timestamp) -> String {
        let d = zone().to_datetime(t);
        match self.tongue {
            Lang::En => {
                const MONTHS: [&str; 12] = [
                    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
                    "Dec",
                ];
                let m = MONTHS[(d.month() as usize).clamp(1, 12) - 1];
                format!(
                    "{} {m} {}, {:02}:{:02}",
                    d.day(),
                    d.year(),
                    d.hour(),
                    d.minute()
                )
            }
            _ => format!(
                "{:02}.{:02}.{} {:02}:{:02}",
                d.day(),
                d.month(),
                d.year(),
                d.hour(),
                d.minute()
            ),
        }
    }

    /// A day (`YYYY-MM-DD`) as each language writes it: 20.03.2026 in Russian and Kazakh, as it
    /// is in English; anything else as it is.
    pub(crate) fn date_text(&self, d: &str) -> String {
        match (d.parse::<jiff::civil::Date>(), self.tongue) {
            (Ok(d), Lang::Ru | Lang::Kk) => {
                format!("{:02}.{:02}.{}", d.day(), d.month(), d.year())
            }
            _ => d.to_owned(),
        }
    }

    pub(crate) fn span(&self, a: Option<Timestamp>, b: Option<Timestamp>) -> String {
        match (a, b) {
            (Some(a), Some(b)) => {
                let (da, db) = (zone().to_datetime(a), zone().to_datetime(b));
                if da.date() == db.date() {
                    format!("{}–{:02}:{:02}", self.when(a), db.hour(), db.minute())
                } else {
                    format!("{} – {}", self.when(a), self.when(b))
                }
            }
            (Some(a), None) => format!("{} –", self.when(a)),
            _ => "—".into(),
        }
    }

    pub(crate) fn org_name(&self, o: &glassroom_app::views::OrgRef) -> String {
        match self.tongue {
            Lang::Ru => o.name_ru.clone(),
            Lang::Kk => o.name_kk.clone(),
            Lang::En => o.name_en.clone(),
        }
    }
}

pub(crate) fn zone() -> jiff::tz::TimeZone {
    glassroom_app::time::zone(glassroom_app::time::ORG_ZONE).unwrap_or(jiff::tz::TimeZone::UTC)
}

fn html_response(status: StatusCode, body: String) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}

pub(crate) fn html<T: Template>(status: StatusCode, page: &T) -> Response {
    match page.render() {
        Ok(body) => html_response(status, body),
        Err(e) => {
            tracing::error!(error = %e, "rendering a page failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
pub(crate) struct ErrorPage {
    pub(crate) ui: Ui,
    pub(crate) message: String,
}

/// A use case's error as a page.
pub(crate) fn error_page(ui: Ui, e: &AppError) -> Response {
    let (status, key) = match e {
        AppError::NotFound(_) => (StatusCode::NOT_FOUND, "error-not-found"),
        AppError::Forbidden => (StatusCode::FORBIDDEN, "problem-forbidden"),
        AppError::Invalid(_) => (StatusCode::UNPROCESSABLE_ENTITY, "problem-invalid"),
        AppError::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "problem-unavailable"),
        _ => (StatusCode::INTERNAL_SERVER_ERROR, "problem-internal"),
    };
    if status == StatusCode::INTERNAL_SERVER_ERROR {
        tracing::error!(error = %e, "page failed");
    }
    let message = ui.t(key);
    html(status, &ErrorPage { ui, message })
}

/// An unknown address: a page for a browser, problem+json for the API and other clients.
pub async fn not_found(ReqLang(lang): ReqLang, uri: Uri, headers: HeaderMap) -> Response {
    let wants_html = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"));
    if wants_html && !uri.path().starts_with("/api/") {
        error_page(Ui::new(lang, "", &uri), &AppError::NotFound("page"))
    } else {
        crate::handlers::not_found(ReqLang(lang)).await
    }
}

// ----- the register -----

#[derive(Deserialize, Default)]
pub struct RegisterForm {
    #[serde(default)]
    organisation: String,
    #[serde(default)]
    business_bin: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    cursor: String,
}

pub struct Filter {
    pub organisation: String,
    pub business_bin: String,
    pub from: String,
    pub to: String,
    pub status: String,
    pub paged: bool,
}

pub struct Row {
    pub id: i64,
    pub when: String,
    pub organisation: String,
    pub host: String,
    pub business: String,
    pub bin: String,
    pub subject: String,
    pub room: String,
    pub status: String,
    pub status_label: String,
}

impl Row {
    /// A register line as the pages show it.
    pub(crate) fn of(ui: &Ui, r: glassroom_app::views::RegisterItem) -> Row {
        Row {
            id: r.id,
            when: ui.span(r.start, r.end),
            organisation: ui.org_name(&r.organisation),
            host: r.host_name,
            business: r.business_name,
            bin: r.business_bin,
            subject: r.subject,
            room: r.room_name.unwrap_or_default(),
            status_label: ui.t(&format!("status-{}", r.status)),
            status: r.status,
        }
    }
}

#[derive(Template)]
#[template(path = "register.html")]
struct RegisterPage {
    ui: Ui,
    filter: Filter,
    errors: Vec<String>,
    organisations: Vec<(String, String)>,
    statuses: Vec<(String, String)>,
    rows: Vec<Row>,
    next_url: Option<String>,
    first_url: String,
}

const LISTED: [&str; 6] = [
    "scheduled",
    "in_progress",
    "completed",
    "published",
    "no_show",
    "cancelled",
];

/// A local date (`YYYY-MM-DD`) as the instant its day starts in the organisation's zone; `next`
/// gives the start of the following day (an inclusive "to" date).
pub(crate) fn day_start(v: &str, next: bool) -> Option<Timestamp> {
    let d: jiff::civil::Date = v.trim().parse().ok()?;
    let d = if next { d.tomorrow().ok()? } else { d };
    zone()
        .to_timestamp(d.to_datetime(jiff::civil::Time::midnight()))
        .ok()
}

/// The public register: `/`.
pub async fn register(
    State(s): State<AppState>,
    ReqLang(lang): ReqLang,
    visitor: Visitor,
    uri: Uri,
    Query(f): Query<RegisterForm>,
) -> Response {
    // Anonymous visitors share pages: served from the micro-cache while no write has committed
    // since (and for at most a second), rendered otherwise.
    let anonymous = visitor.token.is_none();
    let key = format!("{}|{uri}", lang.code());
    let commits = s.app.store.commits();
    if anonymous && let Some((status, body)) = s.pages.get(&key, commits) {
        return html_response(status, body);
    }
    let ui = Ui::new(lang, "register", &uri).with(&visitor);
    let mut errors = Vec::new();
    let mut date = |field: &str, v: &str, next: bool| {
        if v.trim().is_empty() {
            return None;
        }
        let t = day_start(v, next);
        if t.is_none() {
            errors.push(format!(
                "{}: {}",
                ui.t(&format!("filter-{field}")),
                ui.ta("field-invalid_date", &[("field", field.into())])
            ));
        }
        t
    };
    let from = date("from", &f.from, false);
    let to = date("to", &f.to, true);
    let some = |v: &str| (!v.trim().is_empty()).then(|| v.trim().to_owned());
    let query = RegisterQuery {
        organisation: some(&f.organisation),
        business_bin: some(&f.business_bin),
        from,
        to,
        status: some(&f.status),
        cursor: some(&f.cursor),
        limit: Some(25),
    };
    let (rows, next, orgs) = if errors.is_empty() {
        match s.app.register(query).await {
            Ok(page) => (page.items, page.next, Some(page.organisations)),
            Err(AppError::Invalid(fields)) => {
                for e in &fields {
                    errors.push(crate::problem::field_problem(lang, e).message);
                }
                (Vec::new(), None, None)
            }
            Err(e) => return error_page(ui, &e),
        }
    } else {
        (Vec::new(), None, None)
    };
    // The filter's choices come with the page; only a refused filter reads them on their own.
    let orgs = match orgs {
        Some(o) => o,
        None => match s.app.organisations().await {
            Ok(o) => o,
            Err(e) => return error_page(ui, &e),
        },
    };
    let organisations = orgs
        .iter()
        .map(|o| (o.code.clone(), ui.org_name(o)))
        .collect();
    let statuses = LISTED
        .iter()
        .map(|c| ((*c).to_owned(), ui.t(&format!("status-{c}"))))
        .collect();
    let link = |cursor: Option<&str>| {
        let mut q: Vec<(&str, &str)> = Vec::new();
        for (k, v) in [
            ("organisation", &f.organisation),
            ("business_bin", &f.business_bin),
            ("from", &f.from),
            ("to", &f.to),
            ("status", &f.status),
        ] {
            if !v.trim().is_empty() {
                q.push((k, v.trim()));
            }
        }
        if let Some(c) = cursor {
            q.push(("cursor", c));
        }
        match serde_urlencoded::to_string(&q) {
            Ok(s) if !s.is_empty() => format!("/?{s}"),
            _ => "/".to_owned(),
        }
    };
    let rows = rows.into_iter().map(|r| Row::of(&ui, r)).collect();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = RegisterPage {
        filter: Filter {
            organisation: f.organisation.trim().to_owned(),
            business_bin: f.business_bin.trim().to_owned(),
            from: f.from.trim().to_owned(),
            to: f.to.trim().to_owned(),
            status: f.status.trim().to_owned(),
            paged: !f.cursor.is_empty(),
        },
        next_url: next.as_deref().map(|c| link(Some(c))),
        first_url: link(None),
        errors,
        organisations,
        statuses,
        rows,
        ui,
    };
    match page.render() {
        Ok(body) => {
            if anonymous {
                s.pages.put(key, commits, status, body.clone());
            }
            html_response(status, body)
        }
        Err(_) => html(status, &page),
    }
}

// ----- a meeting -----

pub struct MeetingFacts {
    pub subject: String,
    pub status: String,
    pub status_label: String,
    pub organisation: String,
    pub host: String,
    pub business: String,
    pub bin: String,
    pub kind: String,
    pub when: String,
    pub actual: Option<String>,
    pub room: Option<String>,
    pub commission: Vec<(String, String)>,
    pub protocol: Option<String>,
    pub outcome: Option<String>,
    /// OCDS ocids of the business's procurement with the organisation.
    pub ocids: Vec<String>,
}

pub struct EventLine {
    pub seq: i64,
    pub seq_label: String,
    pub at: String,
    pub label: String,
}

#[derive(Template)]
#[template(path = "meeting.html")]
struct MeetingPage {
    ui: Ui,
    id: i64,
    done: Option<String>,
    can_check_in: bool,
    can_sign: bool,
    can_start: bool,
    can_end: bool,
    can_protocol: bool,
    can_publish: bool,
    can_confirm: bool,
    can_open: bool,
    open_error: Option<String>,
    created: bool,
    heading: String,
    m: MeetingFacts,
    events: Vec<EventLine>,
}

/// A meeting's public page: `/meetings/{id}`.
pub async fn meeting(
    State(s): State<AppState>,
    ReqLang(lang): ReqLang,
    visitor: Visitor,
    uri: Uri,
    Path(id): Path<String>,
) -> Response {
    let created = uri
        .query()
        .is_some_and(|q| q.split('&').any(|kv| kv == "created=1"));
    let done_action = uri.query().and_then(|q| {
        q.split('&')
            .find_map(|kv| kv.strip_prefix("done="))
            .filter(|a| ACTIONS.contains(a))
            .map(str::to_owned)
    });
    let ui = Ui::new(lang, "register", &uri).with(&visitor);
    let Ok(id) = id.parse::<i64>() else {
        return error_page(ui, &AppError::NotFound("meeting"));
    };
    // Signed in, a person sees the meetings their role gives them (requests included).
    let viewer = visitor.session.as_ref().map(|s| &s.actor);
    let v = match s.app.get_meeting(viewer, id).await {
        Ok(v) => v,
        Err(e) => return error_page(ui, &e),
    };
    let events = match s.app.meeting_events(viewer, id).await {
        Ok(list) => list,
        Err(e) => return error_page(ui, &e),
    };
    let position = |p: &glassroom_app::views::PersonRef| match lang {
        Lang::Ru => p.position_ru.clone(),
        Lang::Kk => p.position_kk.clone(),
        Lang::En => p.position_en.clone(),
    };
    let m = MeetingFacts {
        status_label: ui.t(&format!("status-{}", v.status)),
        status: v.status.clone(),
        subject: v.subject.clone(),
        organisation: ui.org_name(&v.organisation),
        host: format!("{}, {}", v.host.full_name, position(&v.host)),
        business: v.business.name.clone(),
        bin: v.business.bin.clone(),
        kind: ui.t(&format!("kind-{}", v.kind)),
        when: ui.span(v.start, v.end),
        actual: v.actual_start.map(|a| ui.span(Some(a), v.actual_end)),
        room: v.room.as_ref().map(|r| {
            format!(
                "{} ({})",
                r.name,
                ui.ta(
                    "meeting-floor",
                    &[
                        ("building", r.building.clone()),
                        ("floor", r.floor.to_string())
                    ]
                )
            )
        }),
        commission: v
            .commission
            .iter()
            .map(|c| {
                (
                    format!("{}, {}", c.person.full_name, position(&c.person)),
                    match c.checked_in {
                        Some(t) => ui.ta("meeting-checked-in", &[("time", ui.when(t))]),
                        None => ui.t("meeting-absent"),
                    },
                )
            })
            .collect(),
        protocol: v.protocol_summary.clone(),
        outcome: v.protocol_outcome.clone(),
        ocids: v.ocids.clone(),
    };
    let events = events
        .into_iter()
        .map(|e| {
            let key = format!("event-{}", e.kind.replace('.', "-"));
            let label = if glassroom_i18n::has(lang, &key) {
                ui.t(&key)
            } else {
                ui.t("event-other")
            };
            EventLine {
                seq: e.seq,
                seq_label: ui.ta("meeting-event-seq", &[("seq", e.seq.to_string())]),
                at: ui.when(glassroom_app::time::from_us(e.at_us)),
                label,
            }
        })
        .collect();
    let heading = ui.ta("meeting-heading", &[("id", id.to_string())]);
    // Host, or an official or compliance officer of the organisation (the use cases check again).
    let manages = match viewer {
        Some(a) if a.person_id == Some(v.host.id) => true,
        Some(a) => s.app.manages(a, v.organisation.id).await.unwrap_or(false),
        None => false,
    };
    let confirmer = viewer.is_some_and(|a| a.business_id == Some(v.business.id));
    html(
        StatusCode::OK,
        &MeetingPage {
            done: done_action.map(|a| ui.t(&format!("act-done-{a}"))),
            can_check_in: viewer.is_some_and(|a| {
                v.status == "scheduled"
                    && (a.person_id == Some(v.host.id)
                        || a.business_id == Some(v.business.id)
                        || v.commission
                            .iter()
                            .any(|c| Some(c.person.id) == a.person_id && c.checked_in.is_none()))
            }),
            can_sign: viewer.is_some_and(|a| {
                v.status == "completed"
                    && v.protocol_summary.is_some()
                    && v.commission.iter().any(|c| {
                        Some(c.person.id) == a.person_id
                            && c.checked_in.is_some()
                            && c.signed.is_none()
                    })
            }),
            can_start: manages && v.status == "scheduled",
            can_end: manages && v.status == "in_progress",
            can_protocol: manages && v.status == "completed",
            can_publish: manages && v.status == "completed" && v.protocol_summary.is_some(),
            can_confirm: confirmer
                && matches!(v.status.as_str(), "completed" | "published")
                && v.business_confirmed.is_none(),
            id,
            can_open: viewer.is_some_and(|a| {
                a.has_role(glassroom_app::Role::Compliance)
                    || a.has_role(glassroom_app::Role::Auditor)
            }) && v.actual_start.is_some(),
            open_error: None,
            ui,
            created,
            heading,
            m,
            events,
        },
    )
}

// ----- the log -----

pub struct CheckpointView {
    pub origin: String,
    pub size: u64,
    pub root: String,
    pub note: String,
}

#[derive(Template)]
#[template(path = "log.html")]
struct LogPage {
    ui: Ui,
    intro: String,
    checkpoint: Option<CheckpointView>,
}

/// The transparency log's latest checkpoint: `/log`.
pub async fn log(
    State(s): State<AppState>,
    ReqLang(lang): ReqLang,
    visitor: Visitor,
    uri: Uri,
) -> Response {
    let ui = Ui::new(lang, "log", &uri).with(&visitor);
    let checkpoint = match &s.app.ledger {
        Some(l) => match l.latest().await {
            Ok(Some(cp)) => match l.checkpoint_text(&cp).await {
                Ok(note) => Some(CheckpointView {
                    origin: l.origin().to_owned(),
                    size: cp.size,
                    root: cp.root.iter().map(|b| format!("{b:02x}")).collect(),
                    note,
                }),
                Err(e) => return error_page(ui, &e),
            },
            Ok(None) => None,
            Err(e) => return error_page(ui, &e),
        },
        None => None,
    };
    let intro = ui.ta(
        "log-intro",
        &[("command", "glassroom verify --url <this address>".into())],
    );
    html(
        StatusCode::OK,
        &LogPage {
            ui,
            intro,
            checkpoint,
        },
    )
}

// ----- the rules -----

#[derive(Template)]
#[template(path = "rules.html")]
struct RulesPage {
    ui: Ui,
    rules: Vec<(String, String, String)>,
}

/// The rules in plain words: `/rules`.
pub async fn rules(ReqLang(lang): ReqLang, visitor: Visitor, uri: Uri) -> Response {
    let ui = Ui::new(lang, "rules", &uri).with(&visitor);
    let rules = RuleCode::ALL
        .iter()
        .map(|r| {
            (
                r.code().to_owned(),
                ui.t(&format!("severity-{}", r.default_severity().code())),
                crate::handlers::rule_text(lang, *r),
            )
        })
        .collect();
    html(StatusCode::OK, &RulesPage { ui, rules })
}

// ----- language -----

#[derive(Deserialize)]
pub struct Back {
    back: Option<String>,
}

/// Remembers the language (a cookie, a year) and returns to the page: `/lang/{code}?back=…`.
pub async fn set_lang(Path(code): Path<String>, Query(b): Query<Back>) -> Response {
    let back = b
        .back
        .filter(|p| p.starts_with('/') && !p.starts_with("//") && !p.contains('\\'))
        .unwrap_or_else(|| "/".into());
    // The query's own `lang=` would override the cookie: drop it.
    let back = match back.split_once('?') {
        Some((path, q)) => {
            let kept: Vec<&str> = q.split('&').filter(|kv| !kv.starts_with("lang=")).collect();
            if kept.is_empty() {
                path.to_owned()
            } else {
                format!("{path}?{}", kept.join("&"))
            }
        }
        None => back,
    };
    let mut r = (StatusCode::SEE_OTHER, [(header::LOCATION, back)]).into_response();
    if let Some(lang) = Lang::parse(&code)
        && let Ok(v) = header::HeaderValue::from_str(&format!(
            "lang={}; Path=/; Max-Age=31536000; SameSite=Lax",
            lang.code()
        ))
    {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    r
}

/// The stylesheet.
pub async fn css() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../static/app.css"),
    )
        .into_response()
}

// ----- signing in -----

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    ui: Ui,
    csrf: String,
    next: String,
    login: String,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct NextParam {
    #[serde(default)]
    next: String,
}

/// A local path to go to after signing in (never another site).
fn local(next: &str) -> String {
    if next.starts_with('/') && !next.starts_with("//") && !next.contains('\\') {
        next.to_owned()
    } else {
        "/me".to_owned()
    }
}

fn random_token() -> String {
    use rand::RngCore;
    use std::fmt::Write;
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    let mut out = String::new();
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// `Secure` when the request reached us over HTTPS (a TLS-terminating proxy says so).
fn secure(headers: &HeaderMap) -> &'static str {
    let https = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("https"));
    if https { "; Secure" } else { "" }
}

fn set_cookie(r: &mut Response, value: String) {
    if let Ok(v) = header::HeaderValue::from_str(&value) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
}

/// The sign-in form: `GET /login`.
pub async fn login_form(
    ReqLang(lang): ReqLang,
    visitor: Visitor,
    uri: Uri,
    headers: HeaderMap,
    Query(q): Query<NextParam>,
) -> Response {
    if visitor.session.is_some() {
        return (StatusCode::SEE_OTHER, [(header::LOCATION, local(&q.next))]).into_response();
    }
    let ui = Ui::new(lang, "login", &uri);
    let csrf = cookie(&headers, LOGIN_CSRF_COOKIE).unwrap_or_else(random_token);
    let page = LoginPage {
        ui,
        csrf: csrf.clone(),
        next: local(&q.next),
        login: String::new(),
        error: None,
    };
    let mut r = html(StatusCode::OK, &page);
    set_cookie(
        &mut r,
        format!(
            "{LOGIN_CSRF_COOKIE}={csrf}; Path=/login; HttpOnly; SameSite=Strict{}",
            secure(&headers)
        ),
    );
    r
}

#[derive(Deserialize, Default)]
pub struct LoginBody {
    #[serde(default)]
    login: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    next: String,
}

/// Signing in: `POST /login`.
pub async fn login(
    State(s): State<AppState>,
    ReqLang(lang): ReqLang,
    visitor: Visitor,
    uri: Uri,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let ui = Ui::new(lang, "login", &uri);
    let b: LoginBody = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let expected = cookie(&headers, LOGIN_CSRF_COOKIE);
    let again = |ui: Ui, status: StatusCode, key: &str, login: &str| {
        let csrf = expected.clone().unwrap_or_else(random_token);
        let error = Some(ui.t(key));
        let page = LoginPage {
            ui,
            csrf: csrf.clone(),
            next: local(&b.next),
            login: login.to_owned(),
            error,
        };
        let mut r = html(status, &page);
        set_cookie(
            &mut r,
            format!(
                "{LOGIN_CSRF_COOKIE}={csrf}; Path=/login; HttpOnly; SameSite=Strict{}",
                secure(&headers)
            ),
        );
        r
    };
    if expected.as_deref() != Some(b.csrf.as_str()) || b.csrf.is_empty() {
        return again(ui, StatusCode::FORBIDDEN, "field-csrf", &b.login);
    }
    let client = visitor.client.unwrap_or_else(|| "unknown".into());
    match s.app.sign_in(&b.login, &b.password, &client).await {
        Ok((token, _)) => {
            let mut r =
                (StatusCode::SEE_OTHER, [(header::LOCATION, local(&b.next))]).into_response();
            set_cookie(
                &mut r,
                format!(
                    "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{}",
                    glassroom_app::sessions::SESSION_HOURS * 3600,
                    secure(&headers)
                ),
            );
            set_cookie(
                &mut r,
                format!("{LOGIN_CSRF_COOKIE}=; Path=/login; Max-Age=0"),
            );
            r
        }
        Err(AppError::Invalid(e)) if e.iter().any(|f| f.code == "too_many_attempts") => again(
            ui,
            StatusCode::TOO_MANY_REQUESTS,
            "field-too_many_attempts",
            &b.login,
        ),
        Err(AppError::Invalid(_)) => again(
            ui,
            StatusCode::UNAUTHORIZED,
            "field-wrong_credentials",
            &b.login,
        ),
        Err(e) => error_page(ui, &e),
    }
}

#[derive(Deserialize, Default)]
pub struct CsrfBody {
    #[serde(default)]
    csrf: String,
}

/// Signing out: `POST /logout` (with the session's CSRF token).
pub async fn logout(
    State(s): State<AppState>,
    ReqLang(lang): ReqLang,
    visitor: Visitor,
    uri: Uri,
    body: axum::body::Bytes,
) -> Response {
    let b: CsrfBody = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let (Some(token), Some(session)) = (&visitor.token, &visitor.session) else {
        return (StatusCode::SEE_OTHER, [(header::LOCATION, "/")]).into_response();
    };
    if b.csrf != session.csrf {
        let ui = Ui::new(lang, "", &uri).with(&visitor);
        let message = ui.t("field-csrf");
        return html(StatusCode::FORBIDDEN, &ErrorPage { ui, message });
    }
    if let Err(e) = s.app.sign_out(token).await {
        return error_page(Ui::new(lang, "", &uri), &e);
    }
    let mut r = (StatusCode::SEE_OTHER, [(header::LOCATION, "/")]).into_response();
    set_cookie(&mut r, format!("{SESSION_COOKIE}=; Path=/; Max-Age=0"));
    r
}

#[derive(Template)]
#[template(path = "me.html")]
struct MePage {
    ui: Ui,
    can_request: bool,
    can_schedule: bool,
    who: String,
    roles: Vec<String>,
    rows: Vec<Row>,
    /// A business's standing: whom it is a tender winner of, its listings.
    business: Option<crate::business::StandingSummary>,
}

/// The signed-in person's page: `GET /me`.
pub async fn me(
    State(s): State<AppState>,
    ReqLang(lang): ReqLang,
    visitor: Visitor,
    uri: Uri,
) -> Response {
    let Some(session) = &visitor.session else {
        return (
            StatusCode::SEE_OTHER,
            [(header::LOCATION, "/login?next=/me")],
        )
            .into_response();
    };
    let ui = Ui::new(lang, "me", &uri).with(&visitor);
    let actor = &session.actor;
    let orgs = match s.app.organisations().await {
        Ok(o) => o,
        Err(e) => return error_page(ui, &e),
    };
    let org = |id: i64| {
        orgs.iter()
            .find(|o| o.id == id)
            .map(|o| ui.org_name(o))
            .unwrap_or_default()
    };
    let mut roles: Vec<String> = actor
        .roles
        .iter()
        .map(|(r, at)| ui.ta(&format!("role-{}", r.code()), &[("org", org(*at))]))
        .collect();
    let mut business = None;
    if actor.business_id.is_some() {
        let own = match s.app.profile(actor).await {
            Ok(p) => p.business,
            Err(e) => return error_page(ui, &e),
        };
        if let Some(b) = own {
            roles.push(ui.ta(
                "role-business",
                &[("org", format!("{} ({})", b.name, b.bin))],
            ));
            business = match s.app.business_standing(Some(actor), &b.bin).await {
                Ok(st) => Some(crate::business::summary(&ui, &st)),
                Err(e) => return error_page(ui, &e),
            };
        }
    }
    let items = match s.app.my_meetings(actor, None).await {
        Ok(i) => i,
        Err(e) => return error_page(ui, &e),
    };
    let rows = items.into_iter().map(|r| Row::of(&ui, r)).collect();
    let who = actor.login.clone();
    html(
        StatusCode::OK,
        &MePage {
            can_request: actor.business_id.is_some()
                || actor.has_role(glassroom_app::Role::Official),
            can_schedule: actor.has_role(glassroom_app::Role::Official)
                || actor.has_role(glassroom_app::Role::Compliance),
            ui,
            who,
            roles,
            rows,
            business,
        },
    )
}

// ----- requesting a meeting -----

#[derive(Deserialize, Default)]
pub struct RequestForm {
    /// `<organisation id>:<person id>`
    #[serde(default)]
    host: String,
    #[serde(default)]
    business_bin: String,
    #[serde(default)]
    subject: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    wished_from: String,
    #[serde(default)]
    wished_to: String,
    #[serde(default)]
    rep_name: String,
    #[serde(default)]
    rep_role: String,
}

#[derive(Template)]
#[template(path = "request.html")]
struct RequestPage {
    ui: Ui,
    form: RequestForm,
    bin_fixed: bool,
    hosts: Vec<(String, String)>,
    kinds: Vec<(String, String)>,
    errors: Vec<String>,
}

/// A `datetime-local` value (`YYYY-MM-DDTHH:MM`) in the organisation's zone.
pub(crate) fn local_instant(v: &str) -> Option<Timestamp> {
    let dt: jiff::civil::DateTime = v.trim().parse().ok()?;
    zone().to_timestamp(dt).ok()
}

async fn request_page(
    s: &AppState,
    ui: Ui,
    session: &Session,
    mut form: RequestForm,
    errors: Vec<String>,
    status: StatusCode,
) -> Response {
    let hosts = match s.app.hosts().await {
        Ok(h) => h,
        Err(e) => return error_page(ui, &e),
    };
    let profile = match s.app.profile(&session.actor).await {
        Ok(p) => p,
        Err(e) => return error_page(ui, &e),
    };
    let bin_fixed = if let Some(b) = &profile.business {
        form.business_bin = b.bin.clone();
        true
    } else {
        false
    };
    let position = |p: &glassroom_app::views::PersonRef| match ui.tongue {
        Lang::Ru => p.position_ru.clone(),
        Lang::Kk => p.position_kk.clone(),
        Lang::En => p.position_en.clone(),
    };
    let hosts = hosts
        .iter()
        .map(|h| {
            (
                format!("{}:{}", h.organisation.id, h.person.id),
                format!(
                    "{} — {}, {}",
                    ui.org_name(&h.organisation),
                    h.person.full_name,
                    position(&h.person)
                ),
            )
        })
        .collect();
    let kinds = ["consultation", "document_signing", "other"]
        .iter()
        .map(|k| ((*k).to_owned(), ui.t(&format!("kind-{k}"))))
        .collect();
    if form.kind.is_empty() {
        form.kind = "consultation".into();
    }
    html(
        status,
        &RequestPage {
            ui,
            form,
            bin_fixed,
            hosts,
            kinds,
            errors,
        },
    )
}

/// The request form: `GET /requests/new` (a business, or an official on a business's behalf).
pub async fn request_form(
    State(s): State<AppState>,
    ReqLang(lang): ReqLang,
    visitor: Visitor,
    uri: Uri,
) -> Response {
    let (ui, session) = match guard(
        lang,
        &visitor,
        &uri,
        "request",
        "/requests/new",
        may_request,
    ) {
        Ok(g) => g,
        Err(r) => return *r,
    };
    request_page(
        &s,
        ui,
        session,
        RequestForm::default(),
        Vec::new(),
        StatusCode::OK,
    )
    .await
}

/// Sending a request: `POST /requests/new`.
pub async fn request_submit(
    State(s): State<AppState>,
    ReqLang(lang): ReqLang,
    visitor: Visitor,
    uri: Uri,
    body: axum::body::Bytes,
) -> Response {
    let (ui, session, _) = match posted(
        lang,
        &visitor,
        &uri,
        "request",
        "/requests/new",
        may_request,
        &body,
    ) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    let f: RequestForm = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let mut errors = Vec::new();
    let (org, host) = f
        .host
        .split_once(':')
        .and_then(|(o, p)| Some((o.parse::<i64>().ok()?, p.parse::<i64>().ok()?)))
        .unwrap_or((0, 0));
    if host == 0 {
        errors.push(ui.ta("field-required", &[("field", ui.t("request-host"))]));
    }
    let from = local_instant(&f.wished_from);
    let to = local_instant(&f.wished_to);
    for (v, label) in [(&from, "filter-from"), (&to, "filter-to")] {
        if v.is_none() {
            errors.push(format!(
                "{}: {}",
                ui.t(label),
                ui.t("field-invalid_timestamp")
            ));
        }
    }
    if let (true, Some(from), Some(to)) = (errors.is_empty(), from, to) {
        let representatives = if f.rep_name.trim().is_empty() {
            Vec::new()
        } else {
            vec![glassroom_app::meetings::RepresentativeInput {
                full_name: f.rep_name.trim().to_owned(),
                role: Some(f.rep_role.trim().to_owned()).filter(|r| !r.is_empty()),
                iin: None,
                phone: None,
            }]
        };
        let req = glassroom_app::meetings::RequestMeeting {
            organisation: org,
            host,
            business_bin: f.business_bin.trim().to_owned(),
            representatives,
            subject: f.subject.trim().to_owned(),
            kind: f.kind.clone(),
            wished_from: from,
            wished_to: to,
        };
        match s.app.request_meeting(&session.actor, req).await {
            Ok(m) => {
                return (
                    StatusCode::SEE_OTHER,
                    [(header::LOCATION, format!("/meetings/{}?created=1", m.id))],
                )
                    .into_response();
            }
            Err(AppError::Invalid(fields)) => {
                for e in &fields {
                    errors.push(crate::problem::field_problem(lang, e).message);
                }
            }
            Err(e) => return error_page(ui, &e),
        }
    }
    request_page(&s, ui, session, f, errors, StatusCode::UNPROCESSABLE_ENTITY).await
}

/// A signed-in person's POST form, its session and CSRF token checked.
pub(crate) struct Posted {
    pairs: Vec<(String, String)>,
}

impl Posted {
    pub(crate) fn get(&self, k: &str) -> String {
        self.pairs
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }
    pub(crate) fn all(&self, k: &str) -> Vec<String> {
        self.pairs
            .iter()
            .filter(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .collect()
    }
}

/// The page's `Ui`, the session and the form — or the answer instead: to the sign-in page
/// (then back to `next`) without a session, a 403 page without the session's CSRF token.
#[allow(clippy::too_many_arguments)]
pub(crate) fn posted<'v>(
    lang: Lang,
    visitor: &'v Visitor,
    uri: &Uri,
    section: &'static str,
    next: &str,
    allowed: Allowed,
    body: &[u8],
) -> Result<(Ui, &'v Session, Posted), Box<Response>> {
    let (ui, session) = guard(lang, visitor, uri, section, next, allowed)?;
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body).unwrap_or_default();
    let form = Posted { pairs };
    if form.get("csrf") != session.csrf {
        let message = ui.t("field-csrf");
        return Err(Box::new(html(
            StatusCode::FORBIDDEN,
            &ErrorPage { ui, message },
        )));
    }
    Ok((ui, session, form))
}

// ----- the official's inbox and scheduling -----

#[derive(Template)]
#[template(path = "inbox.html")]
struct InboxPage {
    ui: Ui,
    rows: Vec<Row>,
}

/// The page's `Ui` and the session — or the answer instead: to the sign-in page (then back to
/// `next`) without a session, a 403 page for a role the page is not for.
pub(crate) fn guard<'v>(
    lang: Lang,
    visitor: &'v Visitor,
    uri: &Uri,
    section: &'static str,
    next: &str,
    allowed: Allowed,
) -> Result<(Ui, &'v Session), Box<Response>> {
    let Some(session) = &visitor.session else {
        return Err(Box::new(to_login(next)));
    };
    let ui = Ui::new(lang, section, uri).with(visitor);
    if !allowed(&session.actor) {
        return Err(Box::new(error_page(ui, &AppError::Forbidden)));
    }
    Ok((ui, session))
}

pub(crate) fn to_login(next: &str) -> Response {
    let q = serde_urlencoded::to_string([("next", next)]).unwrap_or_default();
    (
        StatusCode::SEE_OTHER,
        [(header::LOCATION, format!("/login?{q}"))],
    )
        .into_response()
}

/// Requests awaiting a decision: `GET /inbox` (officials and compliance officers).
pub async fn inbox(
    State(s): State<AppState>,
    ReqLang(lang): ReqLang,
    visitor: Visitor,
    uri: Uri,
) -> Response {
    let (ui, session) = match guard(lang, &visitor, &uri, "inbox", "/inbox", may_schedule) {
        Ok(g) => g,
        Err(r) => return *r,
    };
    let items = match s.app.my_meetings(&session.actor, None).await {
        Ok(i) => i,
        Err(e) => return error_page(ui, &e),
    };
    let rows = items
        .into_iter()
        .filter(|r| r.status == "requested")
        .map(|r| Row::of(&ui, r))
        .collect();
    html(StatusCode::OK, &InboxPage { ui, rows })
}

#[derive(Default)]
pub struct ScheduleForm {
    room: String,
    start: String,
    end: String,
    commission: Vec<String>,
    /// Rules a compliance officer overrides, with the written justification of each.
    overrides: Vec<(String, String)>,
}

impl ScheduleForm {
    fn justification(&self, rule: &str) -> String {
        self.overrides
            .iter()
            .find(|(r, _)| r == rule)
            .map(|(_, j)| j.clone())
            .unwrap_or_default()
    }
    fn overrides(&self, rule: &str) -> bool {
        self.overrides.iter().any(|(r, _)| r == rule)
    }
}

pub struct Verdict {
    refused: bool,
    /// (severity code, severity label, message, rule code)
    findings: Vec<(String, String, String, String)>,
}

#[derive(Template)]
#[template(path = "schedule.html")]
struct SchedulePage {
    ui: Ui,
    id: i64,
    subject: String,
    business: String,
    bin: String,
    wished: String,
    /// The award or contract that makes the business a tender winner of this organisation.
    tender: Option<String>,
    /// Its listing in a register of unreliable suppliers.
    unreliable: Option<String>,
    form: ScheduleForm,
    rooms: Vec<(String, String)>,
    commission: Vec<(String, String, bool)>,
    verdict: Option<Verdict>,
    errors: Vec<String>,
    /// A compliance officer may override blocking rules with a written justification.
    may_override: bool,
}

fn verdict(ui: &Ui, refused: bool, findings: &[glassroom_app::RuleFinding]) -> Verdict {
    Verdict {
        refused,
        findings: findings
            .iter()
            .map(|f| {
                let v = crate::problem::violation(ui.tongue, f);
                (
                    v.severity.clone(),
                    ui.t(&format!("severity-{}", v.severity)),
                    v.message,
                    v.rule,
                )
            })
            .collect(),
    }
}

/// What the scheduling page shows besides the form.
struct Outcome {
    verdict: Option<Verdict>,
    errors: Vec<String>,
    status: StatusCode,
}

async fn schedule_page(
    s: &AppState,
    ui: Ui,
    session: &Session,
    id: i64,
    form: ScheduleForm,
    out: Outcome,
) -> Response {
    let actor = &session.actor;
    let m = match s.app.get_meeting(Some(actor), id).await {
        Ok(m) => m,
        Err(e) => return error_page(ui, &e),
    };
    let rooms = match s.app.rooms(actor).await {
        Ok(r) => r,
        Err(e) => return error_page(ui, &e),
    };
    let people = match s.app.people(actor).await {
        Ok(p) => p,
        Err(e) => return error_page(ui, &e),
    };
    let rooms = rooms
        .into_iter()
        .map(|r| {
            (
                r.room.id.to_string(),
                format!(
                    "{} ({})",
                    r.room.name,
                    ui.ta(
                        "meeting-floor",
                        &[
                            ("building", r.room.building.clone()),
                            ("floor", r.room.floor.to_string())
                        ]
                    )
                ),
            )
        })
        .collect();
    let commission = people
        .into_iter()
        .filter(|(_, roles)| {
            roles
                .iter()
                .any(|(r, _)| *r == glassroom_app::Role::Commission)
        })
        .map(|(p, _)| {
            let id = p.id.to_string();
            let checked = form.commission.contains(&id);
            let position = match ui.tongue {
                Lang::Ru => p.position_ru.clone(),
                Lang::Kk => p.position_kk.clone(),
                Lang::En => p.position_en.clone(),
            };
            (id, format!("{}, {}", p.full_name, position), checked)
        })
        .collect();
    let (award, listing) = match s.app.tender_status(m.organisation.id, m.business.id).await {
        Ok(standing) => standing,
        Err(e) => return error_page(ui, &e),
    };
    html(
        out.status,
        &SchedulePage {
            id,
            subject: m.subject.clone(),
            business: format!("{} ({})", m.business.name, m.business.bin),
            bin: m.business.bin.clone(),
            wished: ui.span(Some(m.wished_from), Some(m.wished_to)),
            tender: award.map(|a| {
                ui.ta(
                    "schedule-tender-winner",
                    &[
                        ("reference", a.reference.clone()),
                        ("date", a.date.to_string()),
                    ],
                )
            }),
            unreliable: listing.map(|l| crate::business::listing_text(&ui, &l)),
            form,
            rooms,
            commission,
            verdict: out.verdict,
            errors: out.errors,
            may_override: may_oversee(actor),
            ui,
        },
    )
}

/// The scheduling form: `GET /meetings/{id}/schedule`.
pub async fn schedule_form(
    State(s): State<AppState>,
    ReqLang(lang): ReqLang,
    visitor: Visitor,
    uri: Uri,
    Path(id): Path<String>,
) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return error_page(Ui::new(lang, "", &uri), &AppError::NotFound("meeting"));
    };
    let next = format!("/meetings/{id}/schedule");
    let (ui, session) = match guard(lang, &visitor, &uri, "inbox", &next, may_schedule) {
        Ok(g) => g,
        Err(r) => return *r,
    };
    let out = Outcome {
        verdict: None,
        errors: Vec::new(),
        status: StatusCode::OK,
    };
    schedule_page(&s, ui, session, id, ScheduleForm::default(), out).await
}

/// Checking (`action=check`: every rule's verdict, nothing written) or scheduling
/// (`action=schedule`): `POST /meetings/{id}/schedule`.
pub async fn schedule_submit(
    State(s): State<AppState>,
    ReqLang(lang): ReqLang,
    visitor: Visitor,
    uri: Uri,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return error_page(Ui::new(lang, "", &uri), &AppError::NotFound("meeting"));
    };
    let next = format!("/meetings/{id}/schedule");
    let (ui, session, posted) =
        match posted(lang, &visitor, &uri, "inbox", &next, may_schedule, &body) {
            Ok(p) => p,
            Err(r) => return *r,
        };
    let get = |k: &str| posted.get(k);
    let form = ScheduleForm {
        room: get("room"),
        start: get("start"),
        end: get("end"),
        commission: posted.all("commission"),
        overrides: posted
            .all("override")
            .into_iter()
            .map(|r| {
                let j = posted.get(&format!("justification-{r}"));
                (r, j)
            })
            .collect(),
    };
    let mut errors = Vec::new();
    let start = local_instant(&form.start);
    let end = local_instant(&form.end);
    for (v, label) in [(&start, "schedule-start"), (&end, "schedule-end")] {
        if v.is_none() {
            errors.push(format!(
                "{}: {}",
                ui.t(label),
                ui.t("field-invalid_timestamp")
            ));
        }
    }
    let refused = StatusCode::UNPROCESSABLE_ENTITY;
    let (Some(start), Some(end), true) = (start, end, errors.is_empty()) else {
        let out = Outcome {
            verdict: None,
            errors,
            status: refused,
        };
        return schedule_page(&s, ui, session, id, form, out).await;
    };
    let req = glassroom_app::meetings::ScheduleMeeting {
        room: form.room.parse::<i64>().unwrap_or(0),
        start,
        end,
        commission: form
            .commission
            .iter()
            .filter_map(|c| c.parse().ok())
            .collect(),
        overrides: form
            .overrides
            .iter()
            .map(
                |(rule, justification)| glassroom_app::meetings::OverrideInput {
                    rule: rule.clone(),
                    justification: justification.clone(),
                },
            )
            .collect(),
    };
    let result = if get("action") == "schedule" {
        s.app
            .schedule_meeting(&session.actor, id, req)
            .await
            .map(|(_, warnings)| (true, warnings))
    } else {
        s.app
            .check_schedule(&session.actor, id, req)
            .await
            .map(|w| (false, w))
    };
    let out = match result {
        Ok((true, _)) => {
            return (
                StatusCode::SEE_OTHER,
                [(header::LOCATION, format!("/meetings/{id}"))],
            )
                .into_response();
        }
        Ok((false, warnings)) => Outcome {
            verdict: Some(verdict(&ui, false, &warnings)),
            errors,
            status: StatusCode::OK,
        },
        Err(AppError::Refused { findings, .. }) => Outcome {
            verdict: Some(verdict(&ui, true, &findings)),
            errors,
            status: refused,
        },
        Err(AppError::Invalid(fields)) => {
            for e in &fields {
                errors.push(crate::problem::field_problem(lang, e).message);
            }
            Outcome {
                verdict: None,
                errors,
                status: refused,
            }
        }
        Err(e) => return error_page(ui, &e),
    };
    schedule_page(&s, ui, session, id, form, out).await
}

// ----- playing the recordings -----

pub struct Span {
    class: &'static str,
    left: String,
    width: String,
    url: Option<String>,
    label: String,
}

pub struct InputPlayer {
    code: String,
    first: Option<String>,
    spans: Vec<Span>,
    gaps: Vec<String>,
    /// (url, time range, sha-256)
    segments: Vec<(String, String, String)>,
    playlist: Option<String>,
}

#[derive(Template)]
#[template(path = "recordings.html")]
struct RecordingsPage {
    ui: Ui,
    meeting: i64,
    back: String,
    interval: String,
    inputs: Vec<InputPlayer>,
}

/// Stating a purpose opens the recordings (a ledger event first), then the player:
/// `POST /meetings/{id}/recordings`.
pub async fn open_recordings(
    State(s): State<AppState>,
    ReqLang(lang): ReqLang,
    visitor: Visitor,
    uri: Uri,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return error_page(Ui::new(lang, "", &uri), &AppError::NotFound("meeting"));
    };
    let next = format!("/meetings/{id}");
    let (ui, session, posted) =
        match posted(lang, &visitor, &uri, "register", &next, may_search, &body) {
            Ok(p) => p,
            Err(r) => return *r,
        };
    let get = |k: &str| posted.get(k);
    let o = match s
        .app
        .open_recordings(&session.actor, id, &get("purpose"))
        .await
    {
        Ok(o) => o,
        Err(AppError::Invalid(fields)) => {
            let message = fields
                .iter()
                .map(|e| crate::problem::field_problem(lang, e).message)
                .collect::<Vec<_>>()
                .join(" ");
            return html(StatusCode::UNPROCESSABLE_ENTITY, &ErrorPage { ui, message });
        }
        Err(e) => return error_page(ui, &e),
    };
    let (from, to) = (o.from_us, o.to_us.max(o.from_us + 1));
    let pct = |us: i64| {
        let v = ((us.clamp(from, to) - from) as f64 / (to - from) as f64) * 100.0;
        format!("{v:.3}")
    };
    let clock = |us: i64| {
        let d = zone().to_datetime(glassroom_app::time::from_us(us));
        format!("{:02}:{:02}:{:02}", d.hour(), d.minute(), d.second())
    };
    let mut codes: Vec<String> = o.segments.iter().map(|v| v.input.clone()).collect();
    codes.extend(o.gaps.iter().map(|g| g.input.clone()));
    codes.sort();
    codes.dedup();
    let inputs = codes
        .into_iter()
        .map(|code| {
            let segs: Vec<_> = o.segments.iter().filter(|v| v.input == code).collect();
            let url = |sid: i64| format!("/api/v1/recordings/{}/segments/{sid}", o.access);
            let mut spans: Vec<Span> = segs
                .iter()
                .map(|v| Span {
                    class: if v.damaged { "damaged" } else { "seg" },
                    left: pct(v.start_us),
                    width: pct(v.end_us.min(to))
                        .parse::<f64>()
                        .unwrap_or(0.0)
                        .max(0.0)
                        .to_string(),
                    url: Some(url(v.id)),
                    label: format!("{}–{}", clock(v.start_us), clock(v.end_us)),
                })
                .collect();
            for sp in &mut spans {
                let l: f64 = sp.left.parse().unwrap_or(0.0);
                let r: f64 = sp.width.parse().unwrap_or(0.0);
                sp.width = format!("{:.3}", (r - l).max(0.1));
            }
            let gaps: Vec<_> = o.gaps.iter().filter(|g| g.input == code).collect();
            for g in &gaps {
                let l: f64 = pct(g.from_us).parse().unwrap_or(0.0);
                let r: f64 = pct(g.to_us).parse().unwrap_or(0.0);
                spans.push(Span {
                    class: "gap",
                    left: format!("{l:.3}"),
                    width: format!("{:.3}", (r - l).max(0.3)),
                    url: None,
                    label: format!("{}–{}", clock(g.from_us), clock(g.to_us)),
                });
            }
            InputPlayer {
                first: segs.first().map(|v| url(v.id)),
                gaps: gaps
                    .iter()
                    .map(|g| format!("{}–{}", clock(g.from_us), clock(g.to_us)))
                    .collect(),
                segments: segs
                    .iter()
                    .map(|v| {
                        (
                            url(v.id),
                            format!("{}–{}", clock(v.start_us), clock(v.end_us)),
                            v.sha256.chars().take(16).collect(),
                        )
                    })
                    .collect(),
                playlist: (!segs.is_empty()).then(|| {
                    format!(
                        "/api/v1/recordings/{}/inputs/{code}/playlist.m3u8",
                        o.access
                    )
                }),
                spans,
                code,
            }
        })
        .collect();
    let back = ui.ta("meeting-heading", &[("id", id.to_string())]);
    let interval = ui.span(
        Some(glassroom_app::time::from_us(o.from_us)),
        Some(glassroom_app::time::from_us(o.to_us)),
    );
    html(
        StatusCode::OK,
        &RecordingsPage {
            ui,
            meeting: id,
            back,
            interval,
            inputs,
        },
    )
}

/// The player's script.
fn script(body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}

pub async fn schedule_js() -> Response {
    script(include_str!("../static/schedule.js"))
}

pub async fn player_js() -> Response {
    script(include_str!("../static/player.js"))
}

/// A participant's action on a meeting's page (`check_in`, `sign`) or an official's refusal
/// (`reject`, with a reason): `POST /meetings/{id}/act`.
pub async fn act(
    State(s): State<AppState>,
    ReqLang(lang): ReqLang,
    visitor: Visitor,
    uri: Uri,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return error_page(Ui::new(lang, "", &uri), &AppError::NotFound("meeting"));
    };
    let next = format!("/meetings/{id}");
    let (ui, session, posted) = match posted(lang, &visitor, &uri, "register", &next, anyone, &body)
    {
        Ok(p) => p,
        Err(r) => return *r,
    };
    let actor = &session.actor;
    let action = posted.get("action");
    let result = match action.as_str() {
        "check_in" => s.app.check_in(actor, id).await.map(|_| ()),
        "sign" => s.app.sign_protocol(actor, id).await.map(|_| ()),
        "start" => s.app.start_meeting(actor, id, Vec::new()).await.map(|_| ()),
        "end" => s.app.end_meeting(actor, id).await.map(|_| ()),
        "protocol" => s
            .app
            .write_protocol(actor, id, &posted.get("summary"), &posted.get("outcome"))
            .await
            .map(|_| ()),
        "publish" => s.app.publish_meeting(actor, id).await.map(|_| ()),
        "confirm" => s.app.confirm_meeting(actor, id).await.map(|_| ()),
        "reject" => s
            .app
            .reject_meeting(actor, id, &posted.get("reason"))
            .await
            .map(|_| ()),
        _ => Err(AppError::NotFound("action")),
    };
    match result {
        Ok(()) => (
            StatusCode::SEE_OTHER,
            [(header::LOCATION, format!("/meetings/{id}?done={action}"))],
        )
            .into_response(),
        Err(AppError::Invalid(fields)) => {
            let message = fields
                .iter()
                .map(|e| crate::problem::field_problem(lang, e).message)
                .collect::<Vec<_>>()
                .join(" ");
            html(StatusCode::UNPROCESSABLE_ENTITY, &ErrorPage { ui, message })
        }
        Err(AppError::InvalidTransition { .. }) => {
            let message = ui.t("problem-invalid_transition");
            html(StatusCode::CONFLICT, &ErrorPage { ui, message })
        }
        Err(AppError::Refused { findings, .. }) => {
            let v = verdict(&ui, true, &findings);
            let message = std::iter::once(ui.t("act-refused"))
                .chain(
                    v.findings
                        .iter()
                        .map(|f| format!("{} — {} ({})", f.1, f.2, f.3)),
                )
                .collect::<Vec<_>>()
                .join(" · ");
            html(StatusCode::UNPROCESSABLE_ENTITY, &ErrorPage { ui, message })
        }
        Err(e) => error_page(ui, &e),
    }
}

/// The actions a meeting's page offers, and the message shown after each.
const ACTIONS: [&str; 8] = [
    "check_in", "sign", "reject", "start", "end", "protocol", "publish", "confirm",
];

#[cfg(test)]
mod tests {
    use glassroom_i18n::{Lang, keys_of};

    /// Every literal key the pages use (`t("…")`, `ta("…")` in the templates and this module).
    fn literal_keys() -> Vec<String> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut sources = vec![
            include_str!("pages.rs").to_owned(),
            include_str!("desk.rs").to_owned(),
            include_str!("business.rs").to_owned(),
            include_str!("opendata.rs").to_owned(),
        ];
        for entry in std::fs::read_dir(dir.join("templates"))
            .into_iter()
            .flatten()
            .flatten()
        {
            sources.push(std::fs::read_to_string(entry.path()).unwrap_or_default());
        }
        let mut keys = Vec::new();
        for src in &sources {
            for marker in [".t(\"", ".ta(\""] {
                for part in src.split(marker).skip(1) {
                    let key: String = part.chars().take_while(|c| *c != '"').collect();
                    if !key.is_empty() && !key.contains(['{', ' ']) {
                        keys.push(key);
                    }
                }
            }
        }
        keys.sort();
        keys.dedup();
        keys
    }

    #[test]
    fn every_key_the_pages_use_exists_in_every_language() {
        let mut keys = literal_keys();
        assert!(keys.len() > 80, "found only {} keys", keys.len());
        // Keys made at run time from codes.
        for s in [
            "requested",
            "scheduled",
            "in_progress",
            "completed",
            "published",
            "rejected",
            "cancelled",
            "no_show",
        ] {
            keys.push(format!("status-{s}"));
        }
        for k in ["consultation", "document_signing", "other"] {
            keys.push(format!("kind-{k}"));
        }
        for k in ["award", "contract"] {
            keys.push(format!("business-kind-{k}"));
        }
        for r in glassroom_app::Role::ALL {
            keys.push(format!("role-{}", r.code()));
        }
        for r in glassroom_domain::RuleCode::ALL {
            keys.push(format!("severity-{}", r.default_severity().code()));
            keys.push(format!("rule-{}", r.code()));
        }
        for a in super::ACTIONS {
            keys.push(format!("act-done-{a}"));
        }
        for f in ["from", "to"] {
            keys.push(format!("filter-{f}"));
        }
        for d in 1..=7 {
            keys.push(format!("day-{d}"));
        }
        for m in 1..=12 {
            keys.push(format!("month-{m}"));
        }
        for i in ["recording", "ready", "reconnecting", "offline"] {
            keys.push(format!("input-{i}"));
        }
        keys.push("violation-open".into());
        let missing: Vec<String> = Lang::ALL
            .iter()
            .flat_map(|l| {
                let defined = keys_of(*l);
                keys.iter()
                    .filter(|k| !defined.contains(k))
                    .map(|k| format!("{}: {k}", l.code()))
                    .collect::<Vec<_>>()
            })
            .collect();
        assert!(
            missing.is_empty(),
            "missing from the catalogues: {missing:?}"
        );
    }
}

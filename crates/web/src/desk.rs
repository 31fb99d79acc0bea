//! The signed-in roles' own pages: a commission member's assigned meetings, an official's
//! calendar, the compliance dashboard, the auditor's search across organisations, and the
//! administrator's directory, calendars and accounts. Every handler checks the role first.

use askama::Template;
use axum::extract::State;
use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use jiff::ToSpan;
use jiff::civil::Date;

use glassroom_app::AppError;
use glassroom_app::desk::{Search, at};
use glassroom_i18n::Lang;

use crate::AppState;
use crate::extract::ReqLang;
use crate::pages::{
    ErrorPage, Row, Ui, Visitor, day_start, error_page, guard, html, may_administer, may_host,
    may_oversee, may_search, may_sit, posted, zone,
};

fn query_value(uri: &Uri, key: &str) -> String {
    uri.query()
        .and_then(|q| {
            serde_urlencoded::from_str::<Vec<(String, String)>>(q)
                .ok()?
                .into_iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v)
        })
        .unwrap_or_default()
}

macro_rules! guarded {
    ($lang:expr, $visitor:expr, $uri:expr, $section:expr, $next:expr, $allowed:expr) => {
        match guard($lang, &$visitor, &$uri, $section, $next, $allowed) {
            Ok(g) => g,
            Err(r) => return *r,
        }
    };
}

// ----- a commission member's meetings -----

#[derive(Template)]
#[template(path = "assigned.html")]
struct AssignedPage {
    ui: Ui,
    open: Vec<Row>,
    closed: Vec<Row>,
}

/// The meetings a commission member sits on: `GET /assigned`.
pub async fn assigned(
    State(s): State<AppState>,
    ReqLang(lang): ReqLang,
    visitor: Visitor,
    uri: Uri,
) -> Response {
    let (ui, session) = guarded!(lang, visitor, uri, "assigned", "/assigned", may_sit);
    let items = match s.app.assigned(&session.actor).await {
        Ok(i) => i,
        Err(e) => return error_page(ui, &e),
    };
    let (open, closed): (Vec<_>, Vec<_>) = items
        .into_iter()
        .partition(|r| matches!(r.status.as_str(), "scheduled" | "in_progress" | "completed"));
    let mut open: Vec<Row> = open.into_iter().map(|r| Row::of(&ui, r)).collect();
    // What comes next first.
    open.reverse();
    let closed = closed.into_iter().map(|r| Row::of(&ui, r)).collect();
    html(StatusCode::OK, &AssignedPage { ui, open, closed })
}

// ----- an official's calendar -----

pub struct Day {
    label: String,
    off: bool,
    rows: Vec<Row>,
}

#[derive(Template)]
#[template(path = "calendar.html")]
struct CalendarPage {
    ui: Ui,
    range: String,
    prev: String,
    next: String,
    days: Vec<Day>,
}

fn day_label(ui: &Ui, d: Date) -> String {
    let wd = d.weekday().to_monday_one_offset();
    let name = ui.t(&format!("day-{wd}"));
    match ui.tongue() {
        Lang::En => format!(
            "{name}, {} {}",
            d.day(),
            ui.t(&format!("month-{}", d.month()))
        ),
        _ => format!("{name}, {:02}.{:02}.{}", d.day(), d.month(), d.year()),
    }
}

/// The meetings an official hosts, a week at a time: `GET /calendar?week=YYYY-MM-DD`.
pub async fn calendar(
    State(s): State<AppState>,
    ReqLang(lang): ReqLang,
    visitor: Visitor,
    uri: Uri,
) -> Response {
    let (ui, session) = guarded!(lang, visitor, uri, "calendar", "/calendar", may_host);
    let today = zone().to_datetime(s.app.clock.now()).date();
    let asked = query_value(&uri, "week");
    let day: Date = if asked.is_empty() {
        today
    } else {
        match asked.parse() {
            Ok(d) => d,
            Err(_) => {
                let message = format!("{}: {}", ui.t("calendar-week"), ui.t("field-invalid_date"));
                return html(StatusCode::UNPROCESSABLE_ENTITY, &ErrorPage { ui, message });
            }
        }
    };
    let monday = day
        .checked_sub((day.weekday().to_monday_zero_offset() as i64).days())
        .unwrap_or(day);
    let sunday = monday.checked_add(6.days()).unwrap_or(monday);
    let (Some(from), Some(to)) = (
        day_start(&monday.to_string(), false),
        day_start(&sunday.to_string(), true),
    ) else {
        return error_page(ui, &AppError::NotFound("page"));
    };
    let items = match s.app.calendar_of(&session.actor, from, to).await {
        Ok(i) => i,
        Err(e) => return error_page(ui, &e),
    };
    let mut days = Vec::new();
    for i in 0..7 {
        let Ok(d) = monday.checked_add(i.days()) else {
            break;
        };
        let rows = items
            .iter()
            .filter(|r| r.start.is_some_and(|t| zone().to_datetime(t).date() == d))
            .cloned()
            .map(|r| Row::of(&ui, r))
            .collect();
        days.push(Day {
            label: day_label(&ui, d),
            off: i >= 5,
            rows,
        });
    }
    let week = |d: Date| format!("/calendar?week={d}");
    html(
        StatusCode::OK,
        &CalendarPage {
            range: format!("{} — {}", day_label(&ui, monday), day_label(&ui, sunday)),
            prev: week(monday.checked_sub(7.days()).unwrap_or(monday)),
            next: week(monday.checked_add(7.days()).unwrap_or(monday)),
            days,
            ui,
        },
    )
}

// ----- the compliance dashboard -----

pub struct InputLine {
    room: String,
    code: String,
    state: String,
    state_label: String,
    since: String,
    last_frame: String,
}

pub struct OverrideLine {
    meeting: i64,
    subject: String,
    rule: String,
    rule_label: String,
    justification: String,
    who: String,
    at: String,
}

pub struct ViolationLine {
    meeting: Option<i64>,
    rule: String,
    rule_label: String,
    status: String,
    opened: String,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    ui: Ui,
    today: Vec<Row>,
    waiting: usize,
    not_recording: usize,
    open_violations: usize,
    inputs: Vec<InputLine>,
    overrides: Vec<OverrideLine>,
    violations: Vec<ViolationLine>,
}

/// The catalogue's label for a code (`{prefix}-{code}`), or the code itself where it has none.
fn label(ui: &Ui, prefix: &str, code: &str) -> String {
    let key = format!("{prefix}-{code}");
    if glassroom_i18n::has(ui.tongue(), &key) {
        ui.t(&key)
    } else {
        code.to_owned()
    }
}

fn rule_label(ui: &Ui, code: &str) -> String {
    label(ui, "rule", code)
}

/// A compliance officer's day: meetings today, rooms and camera health, overrides, violations:
/// `GET /dashboard`.
pub async fn dashboard(
    State(s): State<AppState>,
    ReqLang(lang): ReqLang,
    visitor: Visitor,
    uri: Uri,
) -> Response {
    let (ui, session) = guarded!(lang, visitor, uri, "dashboard", "/dashboard", may_oversee);
    let d = match s.app.dashboard(&session.actor).await {
        Ok(d) => d,
        Err(e) => return error_page(ui, &e),
    };
    let inputs: Vec<InputLine> = d
        .inputs
        .into_iter()
        .map(|h| InputLine {
            state_label: label(&ui, "input", &h.state),
            room: h.room,
            code: h.code,
            state: h.state,
            since: ui.when(at(h.state_since_us)),
            last_frame: h
                .last_frame_us
                .map(|t| ui.when(at(t)))
                .unwrap_or_else(|| "—".into()),
        })
        .collect();
    let overrides = d
        .overrides
        .into_iter()
        .map(|o| OverrideLine {
            meeting: o.meeting_id,
            subject: o.subject,
            rule_label: rule_label(&ui, &o.rule),
            rule: o.rule,
            justification: o.justification,
            who: o.login,
            at: ui.when(at(o.at_us)),
        })
        .collect();
    let open_violations = d.violations.iter().filter(|v| v.status == "open").count();
    let violations: Vec<ViolationLine> = d
        .violations
        .into_iter()
        .map(|v| ViolationLine {
            meeting: v.meeting_id,
            rule_label: rule_label(&ui, &v.rule),
            rule: v.rule,
            status: label(&ui, "violation", &v.status),
            opened: ui.when(at(v.opened_us)),
        })
        .collect();
    html(
        StatusCode::OK,
        &DashboardPage {
            today: d.today.into_iter().map(|r| Row::of(&ui, r)).collect(),
            waiting: d.waiting,
            not_recording: inputs
                .iter()
                .filter(|i| matches!(i.state.as_str(), "offline" | "reconnecting"))
                .count(),
            open_violations,
            inputs,
            overrides,
            violations,
            ui,
        },
    )
}

// ----- the auditor's search -----

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage {
    ui: Ui,
    organisation: String,
    business_bin: String,
    from: String,
    to: String,
    status: String,
    organisations: Vec<(String, String)>,
    statuses: Vec<(String, String)>,
    errors: Vec<String>,
    searched: bool,
    rows: Vec<Row>,
}

const STATUSES: [&str; 8] = [
    "requested",
    "scheduled",
    "in_progress",
    "completed",
    "published",
    "rejected",
    "cancelled",
    "no_show",
];

/// Every meeting in the auditor's (or compliance officer's) reach, requests and refusals
/// included: `GET /search`.
pub async fn search(
    State(s): State<AppState>,
    ReqLang(lang): ReqLang,
    visitor: Visitor,
    uri: Uri,
) -> Response {
    let (ui, session) = guarded!(lang, visitor, uri, "search", "/search", may_search);
    let get = |k: &str| query_value(&uri, k).trim().to_owned();
    let (organisation, business_bin, from, to, status) = (
        get("organisation"),
        get("business_bin"),
        get("from"),
        get("to"),
        get("status"),
    );
    let searched = uri.query().is_some_and(|q| !q.is_empty());
    let orgs = match s.app.organisations().await {
        Ok(o) => o,
        Err(e) => return error_page(ui, &e),
    };
    let mut errors = Vec::new();
    let mut q = Search {
        business_bin: Some(business_bin.clone()).filter(|b| !b.is_empty()),
        status: Some(status.clone()).filter(|b| !b.is_empty()),
        ..Default::default()
    };
    if !organisation.is_empty() {
        match orgs.iter().find(|o| o.code == organisation) {
            Some(o) => q.organisation = Some(o.id),
            None => errors.push(format!(
                "{}: {}",
                ui.t("filter-organisation"),
                ui.t("field-unknown_organisation")
            )),
        }
    }
    for (v, key, next, slot) in [
        (&from, "filter-from", false, &mut q.from),
        (&to, "filter-to", true, &mut q.to),
    ] {
        if !v.is_empty() {
            match day_start(v, next) {
                Some(t) => *slot = Some(t),
                None => errors.push(format!("{}: {}", ui.t(key), ui.t("field-invalid_date"))),
            }
        }
    }
    let mut rows = Vec::new();
    if searched && errors.is_empty() {
        match s.app.search(&session.actor, &q).await {
            Ok(items) => rows = items.into_iter().map(|r| Row::of(&ui, r)).collect(),
            Err(AppError::Invalid(fields)) => {
                for e in &fields {
                    errors.push(crate::problem::field_problem(lang, e).message);
                }
            }
            Err(e) => return error_page(ui, &e),
        }
    }
    let organisations = orgs
        .iter()
        .map(|o| (o.code.clone(), ui.org_name(o)))
        .collect();
    let statuses = STATUSES
        .iter()
        .map(|s| ((*s).to_owned(), ui.t(&format!("status-{s}"))))
        .collect();
    let status_code = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    html(
        status_code,
        &SearchPage {
            organisation,
            business_bin,
            from,
            to,
            status,
            organisations,
            statuses,
            errors,
            searched,
            rows,
            ui,
        },
    )
}

// ----- administration -----

pub struct AccountLine {
    login: String,
    who: String,
    roles: String,
    password: String,
}

pub struct PersonLine {
    name: String,
    position: String,
    organisation: String,
    roles: String,
}

pub struct RoomLine {
    name: String,
    organisation: String,
    place: String,
    designated: String,
    inputs: String,
}

pub struct CalendarLine {
    organisation: String,
    /// (day label, working periods or "day off")
    days: Vec<(String, String, bool)>,
}

#[derive(Template)]
#[template(path = "admin.html")]
struct AdminPage {
    ui: Ui,
    done: Option<String>,
    errors: Vec<String>,
    accounts: Vec<AccountLine>,
    organisations: Vec<(String, String, String)>,
    people: Vec<PersonLine>,
    rooms: Vec<RoomLine>,
    calendars: Vec<CalendarLine>,
}

/// An input's address without any user or password in it.
fn without_credentials(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            format!("{}{}", &url[..scheme + 3], &url[at + 1..])
        }
        _ => url.to_owned(),
    }
}

async fn admin_page(
    s: &AppState,
    ui: Ui,
    actor: &glassroom_app::Actor,
    done: Option<String>,
    errors: Vec<String>,
    status: StatusCode,
) -> Response {
    let v = match s.app.admin_view(actor).await {
        Ok(v) => v,
        Err(e) => return error_page(ui, &e),
    };
    let org = |id: i64| {
        v.organisations
            .iter()
            .find(|o| o.id == id)
            .map(|o| ui.org_name(o))
            .unwrap_or_default()
    };
    let role_list = |roles: &mut dyn Iterator<Item = (String, i64)>| {
        roles
            .map(|(r, o)| ui.ta(&format!("role-{r}"), &[("org", org(o))]))
            .collect::<Vec<_>>()
            .join("; ")
    };
    let people_by_id: std::collections::HashMap<i64, &glassroom_app::store::PersonRow> =
        v.people.iter().map(|(p, _)| (p.id, p)).collect();
    let accounts = v
        .accounts
        .iter()
        .map(|(a, roles, has_password)| AccountLine {
            login: a.login.clone(),
            who: match (a.person_id, a.business_id) {
                (Some(p), _) => people_by_id
                    .get(&p)
                    .map(|p| p.full_name.clone())
                    .unwrap_or_default(),
                (None, Some(_)) => ui.t("admin-business-account"),
                _ => String::new(),
            },
            roles: role_list(&mut roles.iter().map(|r| (r.role.clone(), r.org_id))),
            password: ui.t(if a.disabled {
                "admin-disabled"
            } else if *has_password {
                "admin-password-set"
            } else {
                "admin-password-none"
            }),
        })
        .collect();
    let organisations = v
        .organisations
        .iter()
        .map(|o| {
            (
                o.code.clone(),
                ui.org_name(o),
                o.parent_id.map(org).unwrap_or_default(),
            )
        })
        .collect();
    let people = v
        .people
        .iter()
        .map(|(p, roles)| PersonLine {
            name: p.full_name.clone(),
            position: match ui.tongue() {
                Lang::Ru => p.position_ru.clone(),
                Lang::Kk => p.position_kk.clone(),
                Lang::En => p.position_en.clone(),
            },
            organisation: org(p.org_id),
            roles: role_list(&mut roles.iter().map(|(r, o)| (r.code().to_owned(), *o))),
        })
        .collect();
    let rooms = v
        .rooms
        .iter()
        .map(|r| RoomLine {
            name: r.room.name.clone(),
            organisation: org(r.room.org_id),
            place: ui.ta(
                "meeting-floor",
                &[
                    ("building", r.room.building.clone()),
                    ("floor", r.room.floor.to_string()),
                ],
            ),
            designated: ui.t(if r.room.designated {
                "admin-yes"
            } else {
                "admin-no"
            }),
            inputs: r
                .inputs
                .iter()
                .map(|i| format!("{} ({})", i.code, without_credentials(&i.url)))
                .collect::<Vec<_>>()
                .join(", "),
        })
        .collect();
    let calendars = v
        .calendars
        .iter()
        .map(|c| CalendarLine {
            organisation: ui.org_name(&c.organisation),
            days: c
                .days
                .iter()
                .map(|(d, periods)| {
                    let text = if periods.is_empty() {
                        ui.t("calendar-day-off")
                    } else {
                        periods
                            .iter()
                            .map(|p| {
                                let (a, b) =
                                    (zone().to_datetime(p.start()), zone().to_datetime(p.end()));
                                format!(
                                    "{:02}:{:02}–{:02}:{:02}",
                                    a.hour(),
                                    a.minute(),
                                    b.hour(),
                                    b.minute()
                                )
                            })
                            .collect::<Vec<_>>()
                            .join(", ")
                    };
                    (day_label(&ui, *d), text, periods.is_empty())
                })
                .collect(),
        })
        .collect();
    html(
        status,
        &AdminPage {
            done,
            errors,
            accounts,
            organisations,
            people,
            rooms,
            calendars,
            ui,
        },
    )
}

/// The directory, calendars and accounts: `GET /admin`.
pub async fn admin(
    State(s): State<AppState>,
    ReqLang(lang): ReqLang,
    visitor: Visitor,
    uri: Uri,
) -> Response {
    let (ui, session) = guarded!(lang, visitor, uri, "admin", "/admin", may_administer);
    let done = match query_value(&uri, "done").as_str() {
        "password" => Some(ui.t("admin-done-password")),
        "directory" => Some(ui.t("admin-done-directory")),
        _ => None,
    };
    admin_page(&s, ui, &session.actor, done, Vec::new(), StatusCode::OK).await
}

/// An administrator sets an account's password (`POST /admin/password`) or imports a directory
/// file (`POST /admin/directory`, JSON as `glassroom import directory` takes it).
pub async fn admin_post(
    State(s): State<AppState>,
    ReqLang(lang): ReqLang,
    visitor: Visitor,
    uri: Uri,
    body: axum::body::Bytes,
) -> Response {
    let (ui, session, form) = match posted(
        lang,
        &visitor,
        &uri,
        "admin",
        "/admin",
        may_administer,
        &body,
    ) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    let actor = &session.actor;
    let (result, done) = if uri.path().ends_with("/password") {
        (
            s.app
                .reset_password(actor, form.get("login").trim(), &form.get("password"))
                .await
                .map(|_| ()),
            "password",
        )
    } else {
        let text = form.get("directory");
        // JSON as the API takes it, or TOML as the shipped directory is written.
        let format = if text.trim_start().starts_with('{') {
            "json"
        } else {
            "toml"
        };
        let file = glassroom_app::directory::parse_directory(&text, format);
        let r = match file {
            Ok(f) => s.app.apply_directory(Some(actor), f).await.map(|_| ()),
            Err(e) => Err(e),
        };
        (r, "directory")
    };
    match result {
        Ok(()) => (
            StatusCode::SEE_OTHER,
            [(header::LOCATION, format!("/admin?done={done}"))],
        )
            .into_response(),
        Err(AppError::Invalid(fields)) => {
            let errors = fields
                .iter()
                .map(|e| crate::problem::field_problem(lang, e).message)
                .collect();
            admin_page(
                &s,
                ui,
                actor,
                None,
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(AppError::NotFound(_)) => {
            let errors = vec![ui.t("admin-no-account")];
            admin_page(
                &s,
                ui,
                actor,
                None,
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => error_page(ui, &e),
    }
}

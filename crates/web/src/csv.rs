//! The register as CSV open data (RFC 4180, UTF-8): one row per meeting the public register lists
//! (`GET /api/v1/open-data/meetings.csv`) and one file of their participants
//! (`GET /api/v1/open-data/participants.csv`: host, business, commission members — officials and
//! legal entities only, never a private person's data). Streamed a page at a time, newest first,
//! with the register's filters (`organisation`, `business_bin`, `from`, `to`, `status`).

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use glassroom_app::meetings::RegisterQuery;
use glassroom_app::views::RegisterItem;

use crate::AppState;
use crate::extract::{QueryParams, ReqLang};
use crate::handlers::{ApiResult, OrProblem};

/// Meetings per page read from the register.
const PAGE: i64 = 200;

/// One field, quoted when it must be.
fn field(out: &mut String, v: &str) {
    if v.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&v.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(v);
    }
}

fn row(out: &mut String, fields: &[&str]) {
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        field(out, f);
    }
    out.push_str("\r\n");
}

fn local(t: Option<jiff::Timestamp>) -> String {
    t.and_then(|t| {
        glassroom_app::time::zone(glassroom_app::time::ORG_ZONE)
            .ok()
            .map(|z| z.to_datetime(t).strftime("%Y-%m-%d %H:%M").to_string())
    })
    .unwrap_or_default()
}

const MEETINGS: [&str; 16] = [
    "id",
    "status",
    "organisation_code",
    "organisation",
    "host",
    "host_position",
    "business_bin",
    "business",
    "subject",
    "kind",
    "start_utc",
    "end_utc",
    "start_almaty",
    "end_almaty",
    "room",
    "outcome",
];

const PARTICIPANTS: [&str; 7] = [
    "meeting_id",
    "role",
    "name",
    "position_or_bin",
    "organisation_code",
    "checked_in",
    "signed",
];

fn meetings_rows(out: &mut String, items: &[RegisterItem]) {
    for m in items {
        let ts = |t: Option<jiff::Timestamp>| t.map(|t| t.to_string()).unwrap_or_default();
        row(
            out,
            &[
                &m.id.to_string(),
                &m.status,
                &m.organisation.code,
                &m.organisation.name_ru,
                &m.host_name,
                &m.host_position_ru,
                &m.business_bin,
                &m.business_name,
                &m.subject,
                &m.kind,
                &ts(m.start),
                &ts(m.end),
                &local(m.start),
                &local(m.end),
                m.room_name.as_deref().unwrap_or_default(),
                m.outcome.as_deref().unwrap_or_default(),
            ],
        );
    }
}

async fn participants_rows(
    app: &glassroom_app::App,
    out: &mut String,
    items: &[RegisterItem],
) -> Result<(), glassroom_app::AppError> {
    let ids: Vec<i64> = items.iter().map(|m| m.id).collect();
    let commission = app.commissions_of(&ids).await?;
    for m in items {
        let id = m.id.to_string();
        row(
            out,
            &[
                &id,
                "host",
                &m.host_name,
                &m.host_position_ru,
                &m.organisation.code,
                "",
                "",
            ],
        );
        row(
            out,
            &[
                &id,
                "business",
                &m.business_name,
                &m.business_bin,
                "",
                "",
                "",
            ],
        );
        for (_, name, position, checked_in, signed) in commission.iter().filter(|c| c.0 == m.id) {
            let yes = |b: bool| if b { "yes" } else { "no" };
            row(
                out,
                &[
                    &id,
                    "commission",
                    name,
                    position,
                    &m.organisation.code,
                    yes(*checked_in),
                    yes(*signed),
                ],
            );
        }
    }
    Ok(())
}

struct Paging {
    s: AppState,
    query: RegisterQuery,
    participants: bool,
    first: bool,
    done: bool,
}

/// `GET /api/v1/open-data/{meetings|participants}.csv`
#[utoipa::path(get, path = "/api/v1/open-data/{file}", tag = "public", params(("file" = String, Path, description = "meetings.csv or participants.csv"), ("organisation" = Option<String>, Query), ("business_bin" = Option<String>, Query), ("from" = Option<String>, Query, description = "RFC 3339"), ("to" = Option<String>, Query, description = "RFC 3339"), ("status" = Option<String>, Query)), responses((status = 200, description = "CSV (RFC 4180, UTF-8) of the listed meetings or their participants, newest first; ETag and Last-Modified", content_type = "text/csv"), (status = 304, description = "Not modified since the client's copy"), (status = 422, description = "A bad filter (problem+json)", body = crate::problem::Problem)))]
pub async fn open_data(
    State(s): State<AppState>,
    ReqLang(lang): ReqLang,
    Path(file): Path<String>,
    headers: axum::http::HeaderMap,
    QueryParams(q): QueryParams<crate::dto::RegisterParams>,
) -> ApiResult<Response> {
    let participants = match file.as_str() {
        "meetings.csv" => false,
        "participants.csv" => true,
        _ => return Err(glassroom_app::AppError::NotFound("file")).or_problem(lang),
    };
    let query = RegisterQuery {
        cursor: None,
        limit: Some(PAGE),
        ..crate::handlers::register_query(&q).or_problem(lang)?
    };
    let validators = s.versions.validators(&s.app).await.or_problem(lang)?;
    // The first page is read before answering, so a bad filter is a problem, not a broken file.
    let first = s.app.register(query.clone()).await.or_problem(lang)?;
    if let Some(r) = validators.not_modified(&headers) {
        return Ok(r);
    }
    let mut head = String::new();
    row(
        &mut head,
        if participants {
            &PARTICIPANTS
        } else {
            &MEETINGS
        },
    );
    if participants {
        participants_rows(&s.app, &mut head, &first.items)
            .await
            .or_problem(lang)?;
    } else {
        meetings_rows(&mut head, &first.items);
    }
    let state = Paging {
        s: s.clone(),
        query: RegisterQuery {
            cursor: first.next.clone(),
            ..query
        },
        participants,
        first: true,
        done: first.next.is_none(),
    };
    let stream = futures_util::stream::unfold((state, Some(head)), |(mut st, head)| async move {
        if let Some(h) = head {
            return Some((Ok::<_, std::io::Error>(h), (st, None)));
        }
        if st.done {
            return None;
        }
        st.first = false;
        let page = match st.s.app.register(st.query.clone()).await {
            Ok(p) => p,
            Err(e) => {
                return Some((
                    Err(std::io::Error::other(e.to_string())),
                    (Paging { done: true, ..st }, None),
                ));
            }
        };
        let mut out = String::new();
        if st.participants {
            if let Err(e) = participants_rows(&st.s.app, &mut out, &page.items).await {
                return Some((
                    Err(std::io::Error::other(e.to_string())),
                    (Paging { done: true, ..st }, None),
                ));
            }
        } else {
            meetings_rows(&mut out, &page.items);
        }
        st.done = page.next.is_none();
        st.query.cursor = page.next;
        Some((Ok(out), (st, None)))
    });
    let name = if participants {
        "participants"
    } else {
        "meetings"
    };
    let mut r = (
        StatusCode::OK,
        [
            (
                header::CONTENT_TYPE,
                "text/csv; charset=utf-8; header=present".to_owned(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"glassroom-{name}.csv\""),
            ),
        ],
        // Fused: a body wrapper (compression) may poll again after the end, which `unfold`
        // does not allow.
        Body::from_stream(futures_util::StreamExt::fuse(stream)),
    )
        .into_response();
    validators.apply(r.headers_mut());
    Ok(r)
}

/// Writes the whole register (every listed meeting, newest first) as `meetings.csv` or
/// `participants.csv` to `out`, a page at a time: the daily open-data dump.
pub async fn write_all(
    app: &glassroom_app::App,
    participants: bool,
    out: &mut (dyn std::io::Write + Send),
) -> Result<u64, glassroom_app::AppError> {
    let io = |e: std::io::Error| glassroom_app::AppError::Internal(e.to_string());
    let mut text = String::new();
    row(
        &mut text,
        if participants {
            &PARTICIPANTS
        } else {
            &MEETINGS
        },
    );
    out.write_all(text.as_bytes()).map_err(io)?;
    let mut query = RegisterQuery {
        limit: Some(PAGE),
        ..Default::default()
    };
    let mut meetings = 0u64;
    loop {
        let page = app.register(query.clone()).await?;
        let mut text = String::new();
        if participants {
            participants_rows(app, &mut text, &page.items).await?;
        } else {
            meetings_rows(&mut text, &page.items);
        }
        out.write_all(text.as_bytes()).map_err(io)?;
        meetings += page.items.len() as u64;
        match page.next {
            Some(c) => query.cursor = Some(c),
            None => return Ok(meetings),
        }
    }
}

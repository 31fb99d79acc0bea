//! Public iCalendar feeds (RFC 5545) of the meetings the register lists: per room, per official
//! (as host) and per organisation (with its subtree), so meetings appear in ordinary calendar
//! programs. `GET /api/v1/calendars/{rooms|officials|organisations}/{code}.ics`.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;

use glassroom_app::desk::Feed;

use crate::AppState;
use crate::extract::ReqLang;
use crate::handlers::{ApiResult, OrProblem};

/// A text value escaped as RFC 5545 §3.3.11 asks.
fn text(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// A content line folded at 75 octets (RFC 5545 §3.1), never inside a UTF-8 character, with
/// CRLF.
fn line(out: &mut String, content: &str) {
    let mut width = 0;
    for c in content.chars() {
        let n = c.len_utf8();
        if width + n > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += n;
    }
    out.push_str("\r\n");
}

fn utc(t: Timestamp) -> String {
    t.strftime("%Y%m%dT%H%M%SZ").to_string()
}

/// The calendar as text.
pub fn calendar(
    name: &str,
    base: &str,
    now: Timestamp,
    meetings: &[glassroom_app::views::RegisterItem],
) -> String {
    let mut out = String::new();
    line(&mut out, "BEGIN:VCALENDAR");
    line(&mut out, "VERSION:2.0");
    line(&mut out, "PRODID:-//Glassroom//Meeting register//RU");
    line(&mut out, "CALSCALE:GREGORIAN");
    line(&mut out, "METHOD:PUBLISH");
    line(
        &mut out,
        &format!("X-WR-CALNAME:{}", text(&format!("Glassroom: {name}"))),
    );
    line(&mut out, "X-WR-TIMEZONE:Asia/Almaty");
    for m in meetings {
        let (Some(start), Some(end)) = (m.start, m.end) else {
            continue;
        };
        line(&mut out, "BEGIN:VEVENT");
        line(&mut out, &format!("UID:meeting-{}@glassroom", m.id));
        line(&mut out, &format!("DTSTAMP:{}", utc(now)));
        line(&mut out, &format!("DTSTART:{}", utc(start)));
        line(&mut out, &format!("DTEND:{}", utc(end)));
        line(
            &mut out,
            &format!(
                "SUMMARY:{}",
                text(&format!("{} — {}", m.subject, m.business_name))
            ),
        );
        if let Some(room) = &m.room_name {
            line(&mut out, &format!("LOCATION:{}", text(room)));
        }
        line(
            &mut out,
            &format!(
                "DESCRIPTION:{}",
                text(&format!(
                    "{}\n{}, {}\n{} (БИН {})\n{base}/meetings/{}",
                    m.organisation.name_ru,
                    m.host_name,
                    m.host_position_ru,
                    m.business_name,
                    m.business_bin,
                    m.id
                ))
            ),
        );
        line(&mut out, &format!("URL:{base}/meetings/{}", m.id));
        line(
            &mut out,
            match m.status.as_str() {
                "cancelled" | "no_show" => "STATUS:CANCELLED",
                _ => "STATUS:CONFIRMED",
            },
        );
        line(&mut out, "TRANSP:OPAQUE");
        line(&mut out, "END:VEVENT");
    }
    line(&mut out, "END:VCALENDAR");
    out
}

/// The address this server is reached at, for links (Host header, http unless a proxy says https).
fn base(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .filter(|h| {
            h.chars()
                .all(|c| c.is_ascii_alphanumeric() || ".:-[]".contains(c))
        })
        .unwrap_or("localhost");
    let scheme = match headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
    {
        Some("https") => "https",
        _ => "http",
    };
    format!("{scheme}://{host}")
}

/// `GET /api/v1/calendars/{kind}/{code}.ics`
#[utoipa::path(get, path = "/api/v1/calendars/{kind}/{file}", tag = "public", params(("kind" = String, Path, description = "rooms, officials or organisations"), ("file" = String, Path, description = "the room's, official's or organisation's code, with .ics")), responses((status = 200, description = "iCalendar (RFC 5545) of the listed meetings, 90 days back to 400 ahead; ETag and Last-Modified", content_type = "text/calendar"), (status = 304, description = "Not modified since the client's copy"), (status = 404, description = "No such room, official or organisation (problem+json)", body = crate::problem::Problem)))]
pub async fn feed(
    State(s): State<AppState>,
    ReqLang(lang): ReqLang,
    headers: HeaderMap,
    Path((kind, file)): Path<(String, String)>,
) -> ApiResult<Response> {
    let feed = match kind.as_str() {
        "rooms" => Feed::Room,
        "officials" => Feed::Official,
        "organisations" => Feed::Organisation,
        _ => {
            return Err(glassroom_app::AppError::NotFound("calendar")).or_problem(lang);
        }
    };
    let code = file.strip_suffix(".ics").unwrap_or(&file);
    let validators = s.versions.validators(&s.app).await.or_problem(lang)?;
    let c = s.app.calendar_feed(feed, code).await.or_problem(lang)?;
    if let Some(r) = validators.not_modified(&headers) {
        return Ok(r);
    }
    let body = calendar(&c.name, &base(&headers), s.app.clock.now(), &c.meetings);
    let mut r = (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/calendar; charset=utf-8")],
        body,
    )
        .into_response();
    validators.apply(r.headers_mut());
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_fold_at_75_octets_between_characters() {
        let mut out = String::new();
        let long = format!("SUMMARY:{}", "Согласование ".repeat(10));
        line(&mut out, &long);
        for l in out.split("\r\n").filter(|l| !l.is_empty()) {
            assert!(l.len() <= 75, "{} octets: {l}", l.len());
        }
        let unfolded = out.replace("\r\n ", "");
        assert_eq!(unfolded.strip_suffix("\r\n"), Some(long.as_str()));
        assert_eq!(text("a,b;c\\d\ne"), "a\\,b\\;c\\\\d\\ne");
    }
}

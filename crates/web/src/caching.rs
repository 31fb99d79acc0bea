//! HTTP caching for the open-data outputs (RFC 9110/9111): a weak ETag and Last-Modified from the
//! newest ledger event (every change to a public record is one), conditional requests answered
//! with 304 Not Modified, and a short public max-age.

use std::sync::Mutex;
use std::time::Instant;

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;

use glassroom_app::{App, AppError};

/// How long a client or proxy may reuse an answer without asking again.
const MAX_AGE: &str = "public, max-age=60";

/// An HTTP-date (IMF-fixdate).
pub fn http_date(t: Timestamp) -> String {
    t.strftime("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

fn parse_http_date(v: &str) -> Option<Timestamp> {
    jiff::fmt::strtime::parse("%a, %d %b %Y %H:%M:%S GMT", v.trim())
        .ok()?
        .to_datetime()
        .ok()
        .and_then(|dt| jiff::tz::TimeZone::UTC.to_timestamp(dt).ok())
}

/// The validators of a version: (ETag, Last-Modified).
pub struct Validators {
    pub etag: String,
    pub last_modified: Option<Timestamp>,
}

impl Validators {
    pub fn new(seq: i64, at: Option<Timestamp>) -> Self {
        Validators {
            etag: format!("W/\"v{seq}\""),
            // HTTP dates have whole seconds.
            last_modified: at.and_then(|t| Timestamp::from_second(t.as_second()).ok()),
        }
    }

    /// 304 when the request's validators say the client has this version already.
    pub fn not_modified(&self, headers: &HeaderMap) -> Option<Response> {
        let fresh = match headers
            .get(header::IF_NONE_MATCH)
            .and_then(|v| v.to_str().ok())
        {
            // If-None-Match wins over If-Modified-Since (RFC 9110 §13.2.2); weak comparison.
            Some(tags) => tags.split(',').map(str::trim).any(|t| {
                t == "*" || t.trim_start_matches("W/") == self.etag.trim_start_matches("W/")
            }),
            None => match (
                headers
                    .get(header::IF_MODIFIED_SINCE)
                    .and_then(|v| v.to_str().ok())
                    .and_then(parse_http_date),
                self.last_modified,
            ) {
                (Some(since), Some(modified)) => modified <= since,
                _ => false,
            },
        };
        fresh.then(|| {
            let mut r = StatusCode::NOT_MODIFIED.into_response();
            self.apply(r.headers_mut());
            r
        })
    }

    pub fn apply(&self, headers: &mut HeaderMap) {
        if let Ok(v) = HeaderValue::from_str(&self.etag) {
            headers.insert(header::ETAG, v);
        }
        if let Some(t) = self.last_modified
            && let Ok(v) = HeaderValue::from_str(&http_date(t))
        {
            headers.insert(header::LAST_MODIFIED, v);
        }
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(MAX_AGE));
        headers.insert(header::VARY, HeaderValue::from_static("Accept-Language"));
    }
}

/// The public version (newest ledger event) as last read, so the validators cost no store read
/// on the hot paths: re-read once this process has committed a write since, and at least every
/// [`crate::cache::FRESH`] (a change made by another process shows no later than that).
#[derive(Default)]
pub struct VersionCache {
    last: Mutex<Option<Seen>>,
}

#[derive(Clone, Copy)]
struct Seen {
    commits: u64,
    read: Instant,
    seq: i64,
    at: Option<Timestamp>,
}

impl VersionCache {
    pub async fn validators(&self, app: &App) -> Result<Validators, AppError> {
        let commits = app.store.commits();
        let cached = self.last.lock().ok().and_then(|l| *l);
        if let Some(v) = cached
            && v.commits == commits
            && v.read.elapsed() < crate::cache::FRESH
        {
            return Ok(Validators::new(v.seq, v.at));
        }
        let (seq, at) = app.public_version().await?;
        if let Ok(mut l) = self.last.lock() {
            *l = Some(Seen {
                commits,
                read: Instant::now(),
                seq,
                at,
            });
        }
        Ok(Validators::new(seq, at))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validators_answer_conditional_requests() {
        let at: Timestamp = "2026-11-27T10:00:00.5Z".parse().expect("ts");
        let v = Validators::new(42, Some(at));
        assert_eq!(
            http_date(v.last_modified.expect("lm")),
            "Fri, 27 Nov 2026 10:00:00 GMT"
        );
        let mut h = HeaderMap::new();
        assert!(v.not_modified(&h).is_none());
        h.insert(
            header::IF_NONE_MATCH,
            HeaderValue::from_static("\"v41\", W/\"v42\""),
        );
        assert_eq!(
            v.not_modified(&h).map(|r| r.status()),
            Some(StatusCode::NOT_MODIFIED)
        );
        h.insert(header::IF_NONE_MATCH, HeaderValue::from_static("W/\"v41\""));
        assert!(v.not_modified(&h).is_none());
        let mut h = HeaderMap::new();
        h.insert(
            header::IF_MODIFIED_SINCE,
            HeaderValue::from_static("Fri, 27 Nov 2026 10:00:00 GMT"),
        );
        assert!(v.not_modified(&h).is_some());
        h.insert(
            header::IF_MODIFIED_SINCE,
            HeaderValue::from_static("Fri, 27 Nov 2026 09:59:59 GMT"),
        );
        assert!(v.not_modified(&h).is_none());
    }
}

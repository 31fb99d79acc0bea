//! Playing a meeting's recordings: state a purpose (a ledger event, committed first), then fetch
//! segments under that grant, with HTTP range requests so a browser's player can seek.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use glassroom_app::AppError;

use crate::AppState;
use crate::extract::{Auth, IdPath, JsonBody, ReqLang};
use crate::handlers::{ApiResult, OrProblem};
use crate::problem::Problem;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenBody {
    /// Why the recordings are opened (at least 20 characters); sealed in the ledger.
    pub purpose: String,
}

#[derive(Serialize, ToSchema)]
pub struct SegmentDto {
    pub id: i64,
    pub input: String,
    pub start: String,
    pub end: String,
    pub size: i64,
    /// SHA-256 of the file, as sealed in the ledger.
    pub sha256: String,
    /// Recovered after a crash, possibly truncated.
    pub damaged: bool,
    /// Fragmented MP4; supports range requests.
    pub url: String,
}

/// A part of the meeting interval with no recording on one input.
#[derive(Serialize, ToSchema)]
pub struct GapDto {
    pub input: String,
    pub from: String,
    pub to: String,
}

#[derive(Serialize, ToSchema)]
pub struct OpenedDto {
    pub access: i64,
    pub meeting: i64,
    pub from: String,
    pub to: String,
    pub segments: Vec<SegmentDto>,
    /// Per input, what no sealed segment covers (the timeline's gaps).
    pub gaps: Vec<GapDto>,
    /// Per input, an HLS playlist of its segments (VLC, ffplay, hls.js).
    pub playlists: std::collections::BTreeMap<String, String>,
}

fn at(us: i64) -> String {
    glassroom_app::time::from_us(us).to_string()
}

/// Opens a meeting's recordings for a compliance officer or auditor, after a stated purpose.
#[utoipa::path(post, path = "/api/v1/meetings/{id}/recordings", tag = "meetings", params(("id" = i64, Path)), request_body = OpenBody, security(("bearer" = [])), responses((status = 201, description = "Opened; the access is in the ledger", body = OpenedDto), (status = 422, description = "No purpose, or too short (problem+json)", body = Problem), (status = 403, description = "Only compliance officers and auditors of the meeting's organisation (problem+json)", body = Problem), (status = 404, description = "No such meeting, or nothing to record yet (problem+json)", body = Problem)))]
pub async fn open(
    State(s): State<AppState>,
    ReqLang(lang): ReqLang,
    Auth(actor): Auth,
    IdPath(id): IdPath,
    JsonBody(b): JsonBody<OpenBody>,
) -> ApiResult<(StatusCode, Json<OpenedDto>)> {
    let o = s
        .app
        .open_recordings(&actor, id, &b.purpose)
        .await
        .or_problem(lang)?;
    let playlists = o
        .segments
        .iter()
        .map(|v| {
            (
                v.input.clone(),
                format!(
                    "/api/v1/recordings/{}/inputs/{}/playlist.m3u8",
                    o.access, v.input
                ),
            )
        })
        .collect();
    Ok((
        StatusCode::CREATED,
        Json(OpenedDto {
            access: o.access,
            meeting: o.meeting,
            from: at(o.from_us),
            to: at(o.to_us),
            playlists,
            gaps: o
                .gaps
                .into_iter()
                .map(|g| GapDto {
                    input: g.input,
                    from: at(g.from_us),
                    to: at(g.to_us),
                })
                .collect(),
            segments: o
                .segments
                .into_iter()
                .map(|v| SegmentDto {
                    url: format!("/api/v1/recordings/{}/segments/{}", o.access, v.id),
                    id: v.id,
                    input: v.input,
                    start: at(v.start_us),
                    end: at(v.end_us),
                    size: v.size,
                    sha256: v.sha256,
                    damaged: v.damaged,
                })
                .collect(),
        }),
    ))
}

/// An input's HLS playlist under an access grant.
#[utoipa::path(get, path = "/api/v1/recordings/{access}/inputs/{input}/playlist.m3u8", tag = "meetings", params(("access" = i64, Path), ("input" = String, Path, description = "Input code, e.g. cam-1")), security(("bearer" = [])), responses((status = 200, description = "HLS media playlist (application/vnd.apple.mpegurl); a discontinuity marks each gap"), (status = 403, description = "Not your access (problem+json)", body = Problem), (status = 404, description = "Not found (problem+json)", body = Problem)))]
pub async fn playlist(
    State(s): State<AppState>,
    ReqLang(lang): ReqLang,
    Auth(actor): Auth,
    Path((access, input)): Path<(String, String)>,
) -> ApiResult<Response> {
    let access = access.parse::<i64>().map_err(|_| {
        AppError::invalid(
            "access",
            "invalid_type",
            format!("{access} is not a numeric id"),
        )
    });
    let access = access.or_problem(lang)?;
    let text = s
        .app
        .recording_playlist(&actor, access, &input)
        .await
        .or_problem(lang)?;
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "application/vnd.apple.mpegurl"),
            (header::CACHE_CONTROL, "private, no-store"),
        ],
        text,
    )
        .into_response())
}

/// `bytes=a-b`, `bytes=a-`, `bytes=-n` (one range) → the inclusive range within `len`.
fn range(h: &str, len: u64) -> Option<(u64, u64)> {
    let spec = h.trim().strip_prefix("bytes=")?;
    if spec.contains(',') || len == 0 {
        return None;
    }
    let (a, b) = spec.split_once('-')?;
    let (start, end) = match (a.trim(), b.trim()) {
        ("", n) => {
            let n: u64 = n.parse().ok()?;
            (len.saturating_sub(n), len - 1)
        }
        (a, "") => (a.parse().ok()?, len - 1),
        (a, b) => (a.parse().ok()?, b.parse::<u64>().ok()?.min(len - 1)),
    };
    (start <= end && start < len).then_some((start, end))
}

/// A segment's bytes under an access grant (range requests supported).
#[utoipa::path(get, path = "/api/v1/recordings/{access}/segments/{segment}", tag = "meetings", params(("access" = i64, Path), ("segment" = i64, Path)), security(("bearer" = [])), responses((status = 200, description = "The sealed file (video/mp4)"), (status = 206, description = "Part of it"), (status = 416, description = "Range not satisfiable"), (status = 403, description = "Not your access (problem+json)", body = Problem), (status = 404, description = "Not found (problem+json)", body = Problem)))]
pub async fn segment(
    State(s): State<AppState>,
    ReqLang(lang): ReqLang,
    Auth(actor): Auth,
    Path((access, segment)): Path<(String, String)>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let num = |field: &'static str, v: &str| {
        v.parse::<i64>().map_err(|_| {
            AppError::invalid(field, "invalid_type", format!("{v} is not a numeric id"))
        })
    };
    let access = num("access", &access).or_problem(lang)?;
    // `/segments/{id}` or `/segments/{id}.mp4` (as playlists name them).
    let segment =
        num("segment", segment.strip_suffix(".mp4").unwrap_or(&segment)).or_problem(lang)?;
    let (view, bytes) = s
        .app
        .recording_segment(&actor, access, segment)
        .await
        .or_problem(lang)?;
    let len = bytes.len() as u64;
    let etag = format!("\"{}\"", view.sha256);
    let common = [
        (header::CONTENT_TYPE, "video/mp4".to_owned()),
        (header::ACCEPT_RANGES, "bytes".to_owned()),
        (header::ETAG, etag),
        (header::CACHE_CONTROL, "private, no-store".to_owned()),
    ];
    match headers.get(header::RANGE).and_then(|v| v.to_str().ok()) {
        None => Ok((StatusCode::OK, common, bytes).into_response()),
        Some(h) => match range(h, len) {
            Some((a, b)) => {
                let part = bytes.slice(a as usize..=b as usize);
                let mut r = (StatusCode::PARTIAL_CONTENT, common, part).into_response();
                if let Ok(v) = header::HeaderValue::from_str(&format!("bytes {a}-{b}/{len}")) {
                    r.headers_mut().insert(header::CONTENT_RANGE, v);
                }
                Ok(r)
            }
            None => {
                let mut r = StatusCode::RANGE_NOT_SATISFIABLE.into_response();
                if let Ok(v) = header::HeaderValue::from_str(&format!("bytes */{len}")) {
                    r.headers_mut().insert(header::CONTENT_RANGE, v);
                }
                Ok(r)
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::range;

    #[test]
    fn ranges() {
        assert_eq!(range("bytes=0-9", 100), Some((0, 9)));
        assert_eq!(range("bytes=90-", 100), Some((90, 99)));
        assert_eq!(range("bytes=-10", 100), Some((90, 99)));
        assert_eq!(range("bytes=50-500", 100), Some((50, 99)));
        assert_eq!(range("bytes=100-", 100), None);
        assert_eq!(range("bytes=9-0", 100), None);
        assert_eq!(range("bytes=0-1,5-6", 100), None);
        assert_eq!(range("items=0-1", 100), None);
    }
}

#[derive(Serialize, ToSchema)]
pub struct InputHealthDto {
    pub input: i64,
    pub room: String,
    pub code: String,
    /// `recording`, `ready`, `reconnecting` or `offline`.
    pub state: String,
    pub state_since: String,
    /// Live figures, present when this server records the input.
    pub last_frame: Option<String>,
    /// Bits per second over the last ~5 s.
    pub bitrate: Option<u64>,
    pub frames: Option<u64>,
    pub lost_packets: Option<u64>,
    pub reconnects: Option<u64>,
}

/// Camera and microphone health for the compliance dashboard.
#[utoipa::path(get, path = "/api/v1/inputs/health", tag = "directory", security(("bearer" = [])), responses((status = 200, description = "Every input the caller oversees", body = [InputHealthDto]), (status = 403, description = "Compliance officers, auditors and administrators only (problem+json)", body = Problem)))]
pub async fn health(
    State(s): State<AppState>,
    ReqLang(lang): ReqLang,
    Auth(actor): Auth,
) -> ApiResult<Json<Vec<InputHealthDto>>> {
    let list = s.app.input_health(&actor).await.or_problem(lang)?;
    Ok(Json(
        list.into_iter()
            .map(|h| InputHealthDto {
                input: h.input,
                room: h.room,
                code: h.code,
                state: h.state,
                state_since: at(h.state_since_us),
                last_frame: h.last_frame_us.map(at),
                bitrate: h.bitrate,
                frames: h.frames,
                lost_packets: h.lost_packets,
                reconnects: h.reconnects,
            })
            .collect(),
    ))
}

/// An evidence bundle (tar): the meeting's sealed events with offline receipts, its recording
/// segments, the checkpoint and the log key; `glassroom verify --bundle FILE` checks it offline.
/// Exporting states a purpose and is itself recorded in the ledger.
#[utoipa::path(post, path = "/api/v1/meetings/{id}/evidence", tag = "meetings", params(("id" = i64, Path)), request_body = OpenBody, security(("bearer" = [])), responses((status = 200, description = "The bundle", content_type = "application/x-tar"), (status = 422, description = "No purpose, or too short (problem+json)", body = Problem), (status = 403, description = "Only compliance officers and auditors of the meeting's organisation (problem+json)", body = Problem)))]
pub async fn evidence(
    State(s): State<AppState>,
    ReqLang(lang): ReqLang,
    Auth(actor): Auth,
    IdPath(id): IdPath,
    JsonBody(b): JsonBody<OpenBody>,
) -> ApiResult<Response> {
    let bytes = s
        .app
        .export_evidence(&actor, id, &b.purpose)
        .await
        .or_problem(lang)?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/x-tar".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"meeting-{id}-evidence.tar\""),
            ),
            (header::CACHE_CONTROL, "private, no-store".to_owned()),
        ],
        bytes,
    )
        .into_response())
}

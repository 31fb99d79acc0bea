//! The transparency log over HTTP: C2SP endpoints under `/log/` (checkpoint, tiles, entry bundles,
//! verifier key) and proofs, receipts and cosignatures under `/api/v1/log/`.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use glassroom_app::AppError;
use glassroom_app::ledger::Ledger;
use glassroom_ledger::tiles::TileId;

use crate::AppState;
use crate::extract::{QueryParams, ReqLang};
use crate::handlers::{ApiResult, OrProblem};
use crate::problem::Problem;

fn ledger(s: &AppState) -> Result<Arc<Ledger>, AppError> {
    s.app
        .ledger
        .clone()
        .ok_or_else(|| AppError::Unavailable("this server runs no transparency log".into()))
}

/// The ledger, its latest checkpoint and the checkpoint's note with cosignatures.
async fn latest(
    s: &AppState,
) -> Result<(Arc<Ledger>, glassroom_app::ledger::Sealed, String), AppError> {
    let l = ledger(s)?;
    let cp = l.require_latest().await?;
    let note = l.checkpoint_text(&cp).await?;
    Ok((l, cp, note))
}

fn text(body: String, cache: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::CACHE_CONTROL, cache),
        ],
        body,
    )
        .into_response()
}

/// The latest checkpoint, a C2SP signed note, with any witness cosignatures.
pub async fn checkpoint(State(s): State<AppState>, ReqLang(lang): ReqLang) -> ApiResult<Response> {
    let (_, _, note) = latest(&s).await.or_problem(lang)?;
    Ok(text(note, "no-cache"))
}

/// The log's verifier key(s): `<name>+<hex key id>+<base64 key>`.
pub async fn vkey(State(s): State<AppState>, ReqLang(lang): ReqLang) -> ApiResult<Response> {
    let l = ledger(&s).or_problem(lang)?;
    Ok(text(l.vkeys(), "public, max-age=300"))
}

/// A tile or entry bundle; immutable once written, whether full or partial.
pub async fn tile(
    State(s): State<AppState>,
    ReqLang(lang): ReqLang,
    Path(path): Path<String>,
) -> ApiResult<Response> {
    let l = ledger(&s).or_problem(lang)?;
    let id = TileId::parse(&path)
        .map_err(|_| AppError::NotFound("tile"))
        .or_problem(lang)?;
    let bytes = l
        .tile(&id.path())
        .await
        .or_problem(lang)?
        .ok_or(AppError::NotFound("tile"))
        .or_problem(lang)?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/octet-stream"),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
        ],
        bytes,
    )
        .into_response())
}

#[derive(Serialize, ToSchema)]
pub struct CheckpointDto {
    pub origin: String,
    /// Number of events sealed.
    pub size: u64,
    /// RFC 6962 root hash, base64.
    pub root: String,
    /// When the sequencer signed it.
    pub sealed_at: String,
    /// The signed note, as served at `/log/checkpoint`.
    pub note: String,
}

#[utoipa::path(get, path = "/api/v1/log/checkpoint", tag = "ledger", responses((status = 200, description = "The latest checkpoint", body = CheckpointDto), (status = 404, description = "Nothing sealed yet (problem+json)", body = Problem)))]
pub async fn checkpoint_json(
    State(s): State<AppState>,
    ReqLang(lang): ReqLang,
) -> ApiResult<Json<CheckpointDto>> {
    let (l, cp, note) = latest(&s).await.or_problem(lang)?;
    Ok(Json(CheckpointDto {
        origin: l.origin().to_owned(),
        size: cp.size,
        root: B64.encode(cp.root),
        sealed_at: glassroom_app::time::from_us(cp.at_us).to_string(),
        note,
    }))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct InclusionParams {
    /// Leaf index (event `seq` − 1).
    pub index: Option<u64>,
    /// Or the event's sequence number.
    pub seq: Option<u64>,
    /// Tree size (default: the latest checkpoint).
    pub size: Option<u64>,
}

#[derive(Serialize, ToSchema)]
pub struct InclusionDto {
    pub index: u64,
    pub size: u64,
    /// Root of the tree of `size`, base64.
    pub root: String,
    /// The audit path, leaf upwards (RFC 9162 §2.1.3), base64.
    pub hashes: Vec<String>,
    /// The checkpoint to check it against.
    pub checkpoint: String,
}

#[utoipa::path(get, path = "/api/v1/log/proof/inclusion", tag = "ledger", params(InclusionParams), responses((status = 200, description = "Inclusion proof", body = InclusionDto), (status = 422, description = "Index or size out of range (problem+json)", body = Problem)))]
pub async fn inclusion(
    State(s): State<AppState>,
    ReqLang(lang): ReqLang,
    QueryParams(p): QueryParams<InclusionParams>,
) -> ApiResult<Json<InclusionDto>> {
    let l = ledger(&s).or_problem(lang)?;
    let index = match (p.index, p.seq) {
        (Some(i), None) => i,
        (None, Some(s)) if s > 0 => s - 1,
        _ => {
            return Err(AppError::invalid(
                "index",
                "required",
                "give exactly one of index or seq (≥ 1)",
            ))
            .or_problem(lang);
        }
    };
    let out = l.inclusion(index, p.size).await.or_problem(lang)?;
    Ok(Json(InclusionDto {
        index,
        size: out.size,
        root: B64.encode(out.root),
        hashes: out.hashes.iter().map(|h| B64.encode(h)).collect(),
        checkpoint: "/log/checkpoint".into(),
    }))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ConsistencyParams {
    /// The older tree size.
    pub from: u64,
    /// The newer tree size (default: the latest checkpoint).
    pub to: Option<u64>,
}

#[derive(Serialize, ToSchema)]
pub struct ConsistencyDto {
    pub from: u64,
    pub to: u64,
    /// Root of the tree of `to`, base64.
    pub root: String,
    /// RFC 9162 §2.1.4 consistency proof, base64.
    pub hashes: Vec<String>,
}

#[utoipa::path(get, path = "/api/v1/log/proof/consistency", tag = "ledger", params(ConsistencyParams), responses((status = 200, description = "Consistency proof", body = ConsistencyDto), (status = 422, description = "Sizes out of range (problem+json)", body = Problem)))]
pub async fn consistency(
    State(s): State<AppState>,
    ReqLang(lang): ReqLang,
    QueryParams(p): QueryParams<ConsistencyParams>,
) -> ApiResult<Json<ConsistencyDto>> {
    let l = ledger(&s).or_problem(lang)?;
    let out = l.consistency(p.from, p.to).await.or_problem(lang)?;
    Ok(Json(ConsistencyDto {
        from: p.from,
        to: out.size,
        root: B64.encode(out.root),
        hashes: out.hashes.iter().map(|h| B64.encode(h)).collect(),
    }))
}

/// An offline receipt (`c2sp.org/tlog-proof@v1`) for one event; `extra` is the event's leaf.
#[utoipa::path(get, path = "/api/v1/log/receipt/{seq}", tag = "ledger", params(("seq" = u64, Path)), responses((status = 200, description = "tlog-proof@v1 text", content_type = "text/plain"), (status = 422, description = "Not sealed yet (problem+json)", body = Problem)))]
pub async fn receipt(
    State(s): State<AppState>,
    ReqLang(lang): ReqLang,
    Path(seq): Path<String>,
) -> ApiResult<Response> {
    let l = ledger(&s).or_problem(lang)?;
    let seq: u64 = seq
        .parse()
        .map_err(|_| {
            AppError::invalid(
                "seq",
                "invalid_type",
                format!("{seq} is not an event number"),
            )
        })
        .or_problem(lang)?;
    let r = l.receipt(seq).await.or_problem(lang)?;
    let mut resp = text(r, "no-cache");
    resp.headers_mut().insert(
        header::CONTENT_DISPOSITION,
        header::HeaderValue::from_str(&format!("attachment; filename=\"event-{seq}.tlog-proof\""))
            .unwrap_or(header::HeaderValue::from_static("attachment")),
    );
    Ok(resp)
}

#[derive(Serialize, ToSchema)]
pub struct CosignedDto {
    /// The witnesses whose cosignatures were accepted.
    pub accepted: Vec<String>,
}

/// A witness submits its cosignature: the body is the checkpoint note carrying its signature line
/// (`c2sp.org/tlog-cosignature`). Witnesses authenticate by signature; no sign-in.
#[utoipa::path(post, path = "/api/v1/log/cosignatures", tag = "ledger", request_body(content = String, content_type = "text/plain"), responses((status = 201, description = "Accepted", body = CosignedDto), (status = 422, description = "Not a valid cosignature by a known witness on a checkpoint of this log (problem+json)", body = Problem)))]
pub async fn cosign(
    State(s): State<AppState>,
    ReqLang(lang): ReqLang,
    body: String,
) -> ApiResult<(StatusCode, Json<CosignedDto>)> {
    let l = ledger(&s).or_problem(lang)?;
    if body.len() > 64 * 1024 {
        return Err(AppError::invalid(
            "body",
            "too_long",
            "a cosigned checkpoint is a few hundred bytes",
        ))
        .or_problem(lang);
    }
    let accepted = l.add_cosignatures(&body).await.or_problem(lang)?;
    Ok((StatusCode::CREATED, Json(CosignedDto { accepted })))
}

//! Extractors: the language, the bearer token's actor, and JSON bodies and queries whose errors
//! become problem+json naming the field.

use axum::body::Bytes;
use axum::extract::{FromRef, FromRequest, FromRequestParts, Request};
use axum::http::header;
use axum::http::request::Parts;
use jiff::Timestamp;
use serde::de::DeserializeOwned;

use glassroom_app::{Actor, AppError, FieldError};
use glassroom_i18n::Lang;

use crate::AppState;
use crate::problem::ApiError;

/// The language of the answer: `?lang=`, then the `lang` cookie, then `Accept-Language`, then Russian.
#[derive(Debug, Clone, Copy)]
pub struct ReqLang(pub Lang);

pub fn lang_of(parts: &Parts) -> Lang {
    let from_query = parts.uri.query().and_then(|q| {
        q.split('&')
            .find_map(|kv| kv.strip_prefix("lang="))
            .and_then(Lang::parse)
    });
    let from_cookie = || {
        parts
            .headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .find_map(|c| c.trim().strip_prefix("lang=").and_then(Lang::parse))
    };
    let from_header = || {
        parts
            .headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .and_then(Lang::from_accept_language)
    };
    from_query
        .or_else(from_cookie)
        .or_else(from_header)
        .unwrap_or_default()
}

impl<S: Send + Sync> FromRequestParts<S> for ReqLang {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ReqLang(lang_of(parts)))
    }
}

async fn actor_from(parts: &Parts, state: &AppState) -> Result<Option<Actor>, ApiError> {
    let lang = lang_of(parts);
    let Some(value) = parts.headers.get(header::AUTHORIZATION) else {
        // A browser's session counts for reading (a `<video>` fetching a recording segment); never
        // for a change through the JSON API, which has no CSRF token.
        if matches!(
            parts.method,
            axum::http::Method::GET | axum::http::Method::HEAD
        ) && let Some(token) = crate::pages::session_token(&parts.headers)
        {
            return Ok(state.app.session(&token).await.ok().map(|s| s.actor));
        }
        return Ok(None);
    };
    let token = value
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or(ApiError(AppError::Unauthenticated, lang))?;
    state
        .app
        .authenticate(token)
        .await
        .map(Some)
        .map_err(|e| ApiError(e, lang))
}

/// A signed-in caller (401 otherwise).
pub struct Auth(pub Actor);

impl<S> FromRequestParts<S> for Auth
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = AppState::from_ref(state);
        match actor_from(parts, &state).await? {
            Some(a) => Ok(Auth(a)),
            None => Err(ApiError(AppError::Unauthenticated, lang_of(parts))),
        }
    }
}

/// A caller who may or may not be signed in; a bad token is still a 401.
pub struct MaybeAuth(pub Option<Actor>);

impl<S> FromRequestParts<S> for MaybeAuth
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = AppState::from_ref(state);
        Ok(MaybeAuth(actor_from(parts, &state).await?))
    }
}

fn json_error(e: serde_path_to_error::Error<serde_json::Error>) -> FieldError {
    let path = e.path().to_string();
    let field = if path == "." { String::new() } else { path };
    let inner = e.into_inner();
    let text = inner.to_string();
    let code = if inner.is_syntax() || inner.is_eof() {
        "invalid_json"
    } else if text.starts_with("unknown field") {
        "unknown_field"
    } else if text.starts_with("missing field") {
        "missing_field"
    } else if text.starts_with("invalid type")
        || text.starts_with("invalid value")
        || text.starts_with("invalid length")
    {
        "invalid_type"
    } else {
        "invalid_json"
    };
    // A missing field is reported at its parent's path; name the field itself.
    let field = if code == "missing_field" {
        let name = text.split('`').nth(1).unwrap_or_default();
        if field.is_empty() {
            name.to_owned()
        } else {
            format!("{field}.{name}")
        }
    } else if code == "unknown_field" && field.is_empty() {
        text.split('`').nth(1).unwrap_or_default().to_owned()
    } else {
        field
    };
    FieldError::new(field, code, text)
}

pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| AppError::Invalid(vec![json_error(e)]))
}

/// A JSON body; an empty body reads as `T::default()` when `T` allows it (see [`OptionalJson`]).
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;
    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let (parts, body) = req.into_parts();
        let lang = lang_of(&parts);
        let bytes = Bytes::from_request(Request::from_parts(parts, body), state)
            .await
            .map_err(|_| {
                ApiError(
                    AppError::invalid(
                        "",
                        "invalid_json",
                        "the body could not be read (at most 2 MiB)",
                    ),
                    lang,
                )
            })?;
        parse_json(&bytes)
            .map(JsonBody)
            .map_err(|e| ApiError(e, lang))
    }
}

/// A JSON body that may be absent.
pub struct OptionalJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Default> FromRequest<S> for OptionalJson<T> {
    type Rejection = ApiError;
    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let (parts, body) = req.into_parts();
        let lang = lang_of(&parts);
        let bytes = Bytes::from_request(Request::from_parts(parts, body), state)
            .await
            .map_err(|_| {
                ApiError(
                    AppError::invalid("", "invalid_json", "the body could not be read"),
                    lang,
                )
            })?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(OptionalJson(T::default()));
        }
        parse_json(&bytes)
            .map(OptionalJson)
            .map_err(|e| ApiError(e, lang))
    }
}

/// Query parameters; unknown or malformed ones are a 422 naming the parameter.
pub struct QueryParams<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for QueryParams<T> {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let lang = lang_of(parts);
        let q = parts.uri.query().unwrap_or("");
        serde_urlencoded::from_str(q).map(QueryParams).map_err(|e| {
            let text = e.to_string();
            let field = text.split('`').nth(1).unwrap_or_default().to_owned();
            ApiError(AppError::invalid(field, "invalid_type", text), lang)
        })
    }
}

/// An instant from the wire: RFC 3339 with an explicit offset. A local time without an offset is
/// refused (it would be ambiguous across zones).
pub fn instant(field: &str, s: &str) -> Result<Timestamp, FieldError> {
    match s.parse::<Timestamp>() {
        Ok(t) => Ok(t),
        Err(_) if s.parse::<jiff::civil::DateTime>().is_ok() => Err(FieldError::new(
            field,
            "missing_offset",
            format!("{s} has no UTC offset; write e.g. {s}+05:00"),
        )),
        Err(e) => Err(FieldError::new(
            field,
            "invalid_timestamp",
            format!("{s}: {e}"),
        )),
    }
}

/// Parses several instants, collecting every error.
pub fn instants<const N: usize>(fields: [(&str, &str); N]) -> Result<[Timestamp; N], AppError> {
    let mut errors = Vec::new();
    let mut out = [Timestamp::UNIX_EPOCH; N];
    for (i, (field, value)) in fields.iter().enumerate() {
        match instant(field, value) {
            Ok(t) => out[i] = t,
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(AppError::Invalid(errors))
    }
}

/// A numeric id from the path; anything else is a 422 naming `id` (not axum's plain-text 400).
pub struct IdPath(pub i64);

impl<S: Send + Sync> FromRequestParts<S> for IdPath {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let lang = lang_of(parts);
        let bad = |detail: String| ApiError(AppError::invalid("id", "invalid_type", detail), lang);
        let axum::extract::Path(raw) =
            axum::extract::Path::<String>::from_request_parts(parts, state)
                .await
                .map_err(|e| bad(e.to_string()))?;
        raw.parse::<i64>()
            .map(IdPath)
            .map_err(|_| bad(format!("{raw} is not a numeric id")))
    }
}

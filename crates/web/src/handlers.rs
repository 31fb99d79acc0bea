//! Handlers: extract, call one use case, render.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use utoipa::OpenApi;

use glassroom_app::meetings::{
    OverrideInput, RegisterQuery, RepresentativeInput, RequestMeeting, ScheduleMeeting,
};
use glassroom_app::{AppError, RuleFinding};
use glassroom_domain::RuleCode;
use glassroom_i18n::{Lang, message};

use crate::AppState;
use crate::dto::*;
use crate::extract::{
    Auth, IdPath, JsonBody, MaybeAuth, OptionalJson, QueryParams, ReqLang, instants,
};
use crate::problem::{ApiError, Problem, problem_response, violation};

pub(crate) type ApiResult<T> = Result<T, ApiError>;

pub(crate) trait OrProblem<T> {
    fn or_problem(self, lang: Lang) -> ApiResult<T>;
}

impl<T> OrProblem<T> for Result<T, AppError> {
    fn or_problem(self, lang: Lang) -> ApiResult<T> {
        self.map_err(|e| ApiError(e, lang))
    }
}

fn meeting_json(
    view: glassroom_app::views::MeetingView,
    findings: &[RuleFinding],
    lang: Lang,
) -> Json<MeetingDto> {
    let mut dto = MeetingDto::new(view, lang);
    dto.findings = findings.iter().map(|f| violation(lang, f)).collect();
    Json(dto)
}

fn overrides(o: Vec<OverrideBody>) -> Vec<OverrideInput> {
    o.into_iter()
        .map(|o| OverrideInput {
            rule: o.rule,
            justification: o.justification,
        })
        .collect()
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Glassroom API", description = "Meetings between akimat officials and business, booked, held under a commission, recorded and provable. Errors are application/problem+json (RFC 9457); refused transitions list every failing rule in `violations`."),
    paths(healthz, register, request_meeting, get_meeting, meeting_events, schedule, reject, cancel, check_in, start, end, no_show, write_protocol, sign_protocol, publish, confirm, me, my_meetings, organisations, crate::business::business, rules, import_directory, people, rooms, set_input_state, violations, crate::log::checkpoint_json, crate::log::inclusion, crate::log::consistency, crate::log::receipt, crate::log::cosign, crate::recordings::open, crate::recordings::segment, crate::recordings::playlist, crate::recordings::health, crate::recordings::evidence, crate::ical::feed, crate::csv::open_data, crate::opendata::list, crate::opendata::file),
    modifiers(&BearerAuth),
    tags((name = "public", description = "No sign-in needed"), (name = "meetings", description = "The meeting lifecycle"), (name = "directory", description = "Organisations, people, rooms"), (name = "ledger", description = "The transparency log: checkpoints, proofs, receipts, cosignatures (C2SP tiles and checkpoint under /log/)"))
)]
pub struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("glassroom token")
                    .build(),
            ),
        );
    }
}

pub async fn openapi() -> Response {
    match ApiDoc::openapi().to_pretty_json() {
        Ok(json) => (
            [(axum::http::header::CONTENT_TYPE, "application/json")],
            json,
        )
            .into_response(),
        Err(e) => ApiError(AppError::Internal(e.to_string()), Lang::En).into_response(),
    }
}

/// Where to go from the root (the web pages come with the web application).
pub async fn index() -> Json<serde_json::Value> {
    Json(serde_json::json!({
        "name": "Glassroom",
        "links": {
            "register": "/api/v1/meetings",
            "organisations": "/api/v1/organisations",
            "rules": "/api/v1/rules",
            "openapi": "/api/v1/openapi.json",
            "health": "/healthz",
            "metrics": "/metrics"
        }
    }))
}

pub async fn not_found(ReqLang(lang): ReqLang) -> Response {
    problem_response(
        StatusCode::NOT_FOUND,
        "not_found",
        lang,
        None,
        vec![],
        vec![],
    )
}

pub async fn method_not_allowed(ReqLang(lang): ReqLang) -> Response {
    problem_response(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        lang,
        None,
        vec![],
        vec![],
    )
}

/// 200 when the server can serve (its store answers).
#[utoipa::path(get, path = "/healthz", tag = "public", responses((status = 200, description = "OK", body = Health), (status = 503, description = "Storage unavailable (problem+json)", body = Problem)))]
pub async fn healthz(State(s): State<AppState>, ReqLang(lang): ReqLang) -> ApiResult<Json<Health>> {
    s.app
        .store
        .ping()
        .await
        .map_err(AppError::from)
        .or_problem(lang)?;
    Ok(Json(Health {
        status: "ok".into(),
        backend: s.app.store.backend().into(),
    }))
}

/// The register's query from its URL parameters (instants in RFC 3339).
pub(crate) fn register_query(p: &RegisterParams) -> Result<RegisterQuery, AppError> {
    let mut errors = Vec::new();
    let mut parse = |field: &str, v: &Option<String>| match v {
        Some(v) => match crate::extract::instant(field, v) {
            Ok(t) => Some(t),
            Err(e) => {
                errors.push(e);
                None
            }
        },
        None => None,
    };
    let from = parse("from", &p.from);
    let to = parse("to", &p.to);
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    Ok(RegisterQuery {
        organisation: p.organisation.clone(),
        business_bin: p.business_bin.clone(),
        from,
        to,
        status: p.status.clone(),
        cursor: p.cursor.clone(),
        limit: p.limit,
    })
}

/// The public register: meetings from `scheduled` on, newest first.
#[utoipa::path(get, path = "/api/v1/meetings", tag = "public", params(RegisterParams), responses((status = 200, description = "OK; a weak ETag and Last-Modified (the newest ledger event), public max-age 60", body = RegisterPageDto), (status = 304, description = "Not modified since the client's copy (If-None-Match, If-Modified-Since)"), (status = 422, description = "Invalid input, or refused by the rules (problem+json with `errors` or `violations`)", body = Problem)))]
pub async fn register(
    State(s): State<AppState>,
    ReqLang(lang): ReqLang,
    headers: axum::http::HeaderMap,
    QueryParams(p): QueryParams<RegisterParams>,
) -> ApiResult<Response> {
    let query = register_query(&p).or_problem(lang)?;
    let validators = s.versions.validators(&s.app).await.or_problem(lang)?;
    if let Some(r) = validators.not_modified(&headers) {
        return Ok(r);
    }
    let page = s.app.register(query).await.or_problem(lang)?;
    let next = page.next.map(|cursor| {
        let mut q: Vec<(String, String)> = Vec::new();
        for (k, v) in [
            ("organisation", &p.organisation),
            ("business_bin", &p.business_bin),
            ("from", &p.from),
            ("to", &p.to),
            ("status", &p.status),
            ("lang", &p.lang),
        ] {
            if let Some(v) = v {
                q.push((k.into(), v.clone()));
            }
        }
        if let Some(l) = p.limit {
            q.push(("limit".into(), l.to_string()));
        }
        q.push(("cursor".into(), cursor));
        format!(
            "/api/v1/meetings?{}",
            serde_urlencoded::to_string(&q).unwrap_or_default()
        )
    });
    let mut r = Json(RegisterPageDto {
        items: page
            .items
            .into_iter()
            .map(|i| RegisterItemDto::new(i, lang))
            .collect(),
        next,
    })
    .into_response();
    validators.apply(r.headers_mut());
    Ok(r)
}

/// Request a meeting (the business itself, or an official on its behalf).
#[utoipa::path(post, path = "/api/v1/meetings", tag = "meetings", request_body = RequestBody, security(("bearer" = [])), responses((status = 201, description = "Created", body = MeetingDto), (status = 422, description = "Invalid input, or refused by the rules (problem+json with `errors` or `violations`)", body = Problem), (status = 401, description = "Sign-in required (problem+json)", body = Problem), (status = 403, description = "Not allowed for this role (problem+json)", body = Problem)))]
pub async fn request_meeting(
    State(s): State<AppState>,
    ReqLang(lang): ReqLang,
    Auth(actor): Auth,
    JsonBody(b): JsonBody<RequestBody>,
) -> ApiResult<(StatusCode, Json<MeetingDto>)> {
    let [wished_from, wished_to] =
        instants([("wished_from", &b.wished_from), ("wished_to", &b.wished_to)])
            .or_problem(lang)?;
    let req = RequestMeeting {
        organisation: b.organisation,
        host: b.host,
        business_bin: b.business_bin,
        representatives: b
            .representatives
            .into_iter()
            .map(|r| RepresentativeInput {
                full_name: r.full_name,
                role: r.role,
                iin: r.iin,
                phone: r.phone,
            })
            .collect(),
        subject: b.subject,
        kind: b.kind,
        wished_from,
        wished_to,
    };
    let view = s.app.request_meeting(&actor, req).await.or_problem(lang)?;
    Ok((StatusCode::CREATED, meeting_json(view, &[], lang)))
}

/// One meeting: public when listed; private details for participants and staff.
#[utoipa::path(get, path = "/api/v1/meetings/{id}", tag = "public", params(("id" = i64, Path)), responses((status = 200, description = "OK", body = MeetingDto), (status = 404, description = "Not found (problem+json)", body = Problem)))]
pub async fn get_meeting(
    State(s): State<AppState>,
    ReqLang(lang): ReqLang,
    MaybeAuth(actor): MaybeAuth,
    IdPath(id): IdPath,
) -> ApiResult<Json<MeetingDto>> {
    let view = s
        .app
        .get_meeting(actor.as_ref(), id)
        .await
        .or_problem(lang)?;
    Ok(meeting_json(view, &[], lang))
}

/// The meeting's events, in their canonical (sealed) form.
#[utoipa::path(get, path = "/api/v1/meetings/{id}/events", tag = "public", params(("id" = i64, Path)), responses((status = 200, description = "OK", body = Vec<EventDto>), (status = 404, description = "Not found (problem+json)", body = Problem)))]
pub async fn meeting_events(
    State(s): State<AppState>,
    ReqLang(lang): ReqLang,
    MaybeAuth(actor): MaybeAuth,
    IdPath(id): IdPath,
) -> ApiResult<Json<Vec<EventDto>>> {
    let events = s
        .app
        .meeting_events(actor.as_ref(), id)
        .await
        .or_problem(lang)?;
    Ok(Json(
        events
            .into_iter()
            .map(|e| EventDto {
                seq: e.seq,
                kind: e.kind,
                at: opened(e.at_us),
                actor: e.actor,
                body: serde_json::from_str(&e.body).unwrap_or(serde_json::Value::Null),
                ledger: LedgerLinks::for_seq(e.seq),
            })
            .collect(),
    ))
}

/// Schedule (or reschedule): room, time, commission. Every rule runs; a refusal lists every failing rule.
#[utoipa::path(post, path = "/api/v1/meetings/{id}/schedule", tag = "meetings", params(("id" = i64, Path)), request_body = ScheduleBody, security(("bearer" = [])), responses((status = 200, description = "OK", body = MeetingDto), (status = 422, description = "Invalid input, or refused by the rules (see `violations`)", body = Problem), (status = 409, description = "Not possible in the meeting's current state (problem+json)", body = Problem)))]
pub async fn schedule(
    State(s): State<AppState>,
    ReqLang(lang): ReqLang,
    Auth(actor): Auth,
    IdPath(id): IdPath,
    JsonBody(b): JsonBody<ScheduleBody>,
) -> ApiResult<Json<MeetingDto>> {
    let [start, end] = instants([("start", &b.start), ("end", &b.end)]).or_problem(lang)?;
    let req = ScheduleMeeting {
        room: b.room,
        start,
        end,
        commission: b.commission,
        overrides: overrides(b.overrides),
    };
    let (view, warnings) = s
        .app
        .schedule_meeting(&actor, id, req)
        .await
        .or_problem(lang)?;
    Ok(meeting_json(view, &warnings, lang))
}

/// Reject a request, with a reason.
#[utoipa::path(post, path = "/api/v1/meetings/{id}/reject", tag = "meetings", params(("id" = i64, Path)), request_body = ReasonBody, security(("bearer" = [])), responses((status = 200, description = "OK", body = MeetingDto), (status = 409, description = "Not possible in the meeting's current state (problem+json)", body = Problem)))]
pub async fn reject(
    State(s): State<AppState>,
    ReqLang(lang): ReqLang,
    Auth(actor): Auth,
    IdPath(id): IdPath,
    JsonBody(b): JsonBody<ReasonBody>,
) -> ApiResult<Json<MeetingDto>> {
    let view = s
        .app
        .reject_meeting(&actor, id, &b.reason)
        .await
        .or_problem(lang)?;
    Ok(meeting_json(view, &[], lang))
}

/// Cancel a requested or scheduled meeting, with a reason.
#[utoipa::path(post, path = "/api/v1/meetings/{id}/cancel", tag = "meetings", params(("id" = i64, Path)), request_body = ReasonBody, security(("bearer" = [])), responses((status = 200, description = "OK", body = MeetingDto), (status = 409, description = "Not possible in the meeting's current state (problem+json)", body = Problem)))]
pub async fn cancel(
    State(s): State<AppState>,
    ReqLang(lang): ReqLang,
    Auth(actor): Auth,
    IdPath(id): IdPath,
    JsonBody(b): JsonBody<ReasonBody>,
) -> ApiResult<Json<MeetingDto>> {
    let view = s
        .app
        .cancel_meeting(&actor, id, &b.reason)
        .await
        .or_problem(lang)?;
    Ok(meeting_json(view, &[], lang))
}

/// Check in the signed-in participant (commission member, host or business).
#[utoipa::path(post, path = "/api/v1/meetings/{id}/check-in", tag = "meetings", params(("id" = i64, Path)), security(("bearer" = [])), responses((status = 200, description = "OK", body = MeetingDto), (status = 403, description = "Not allowed for this role (problem+json)", body = Problem)))]
pub async fn check_in(
    State(s): State<AppState>,
    ReqLang(lang): ReqLang,
    Auth(actor): Auth,
    IdPath(id): IdPath,
) -> ApiResult<Json<MeetingDto>> {
    let view = s.app.check_in(&actor, id).await.or_problem(lang)?;
    Ok(meeting_json(view, &[], lang))
}

/// Start: needs the commission quorum checked in and every input recording.
#[utoipa::path(post, path = "/api/v1/meetings/{id}/start", tag = "meetings", params(("id" = i64, Path)), request_body(content = StartBody, description = "optional"), security(("bearer" = [])), responses((status = 200, description = "OK", body = MeetingDto), (status = 422, description = "Invalid input, or refused by the rules (problem+json with `errors` or `violations`)", body = Problem)))]
pub async fn start(
    State(s): State<AppState>,
    ReqLang(lang): ReqLang,
    Auth(actor): Auth,
    IdPath(id): IdPath,
    OptionalJson(b): OptionalJson<StartBody>,
) -> ApiResult<Json<MeetingDto>> {
    let (view, warnings) = s
        .app
        .start_meeting(&actor, id, overrides(b.overrides))
        .await
        .or_problem(lang)?;
    Ok(meeting_json(view, &warnings, lang))
}

/// End: closes the recorded interval; violations found after the fact open cases (listed in `findings`).
#[utoipa::path(post, path = "/api/v1/meetings/{id}/end", tag = "meetings", params(("id" = i64, Path)), security(("bearer" = [])), responses((status = 200, description = "OK", body = MeetingDto), (status = 409, description = "Not possible in the meeting's current state (problem+json)", body = Problem)))]
pub async fn end(
    State(s): State<AppState>,
    ReqLang(lang): ReqLang,
    Auth(actor): Auth,
    IdPath(id): IdPath,
) -> ApiResult<Json<MeetingDto>> {
    let (view, findings) = s.app.end_meeting(&actor, id).await.or_problem(lang)?;
    Ok(meeting_json(view, &findings, lang))
}

/// Record that the business did not come.
#[utoipa::path(post, path = "/api/v1/meetings/{id}/no-show", tag = "meetings", params(("id" = i64, Path)), security(("bearer" = [])), responses((status = 200, description = "OK", body = MeetingDto), (status = 409, description = "Not possible in the meeting's current state (problem+json)", body = Problem)))]
pub async fn no_show(
    State(s): State<AppState>,
    ReqLang(lang): ReqLang,
    Auth(actor): Auth,
    IdPath(id): IdPath,
) -> ApiResult<Json<MeetingDto>> {
    let view = s.app.no_show(&actor, id).await.or_problem(lang)?;
    Ok(meeting_json(view, &[], lang))
}

/// Write the protocol (summary and outcome) of a completed meeting.
#[utoipa::path(put, path = "/api/v1/meetings/{id}/protocol", tag = "meetings", params(("id" = i64, Path)), request_body = ProtocolBody, security(("bearer" = [])), responses((status = 200, description = "OK", body = MeetingDto), (status = 422, description = "Invalid input, or refused by the rules (problem+json with `errors` or `violations`)", body = Problem)))]
pub async fn write_protocol(
    State(s): State<AppState>,
    ReqLang(lang): ReqLang,
    Auth(actor): Auth,
    IdPath(id): IdPath,
    JsonBody(b): JsonBody<ProtocolBody>,
) -> ApiResult<Json<MeetingDto>> {
    let view = s
        .app
        .write_protocol(&actor, id, &b.summary, &b.outcome)
        .await
        .or_problem(lang)?;
    Ok(meeting_json(view, &[], lang))
}

/// A present commission member signs the protocol.
#[utoipa::path(post, path = "/api/v1/meetings/{id}/protocol/sign", tag = "meetings", params(("id" = i64, Path)), security(("bearer" = [])), responses((status = 200, description = "OK", body = MeetingDto), (status = 422, description = "Invalid input, or refused by the rules (problem+json with `errors` or `violations`)", body = Problem)))]
pub async fn sign_protocol(
    State(s): State<AppState>,
    ReqLang(lang): ReqLang,
    Auth(actor): Auth,
    IdPath(id): IdPath,
) -> ApiResult<Json<MeetingDto>> {
    let view = s.app.sign_protocol(&actor, id).await.or_problem(lang)?;
    Ok(meeting_json(view, &[], lang))
}

/// Publish the complete record in the public register.
#[utoipa::path(post, path = "/api/v1/meetings/{id}/publish", tag = "meetings", params(("id" = i64, Path)), security(("bearer" = [])), responses((status = 200, description = "OK", body = MeetingDto), (status = 422, description = "Invalid input, or refused by the rules (problem+json with `errors` or `violations`)", body = Problem)))]
pub async fn publish(
    State(s): State<AppState>,
    ReqLang(lang): ReqLang,
    Auth(actor): Auth,
    IdPath(id): IdPath,
) -> ApiResult<Json<MeetingDto>> {
    let view = s.app.publish_meeting(&actor, id).await.or_problem(lang)?;
    Ok(meeting_json(view, &[], lang))
}

/// The business confirms the record of its meeting.
#[utoipa::path(post, path = "/api/v1/meetings/{id}/confirm", tag = "meetings", params(("id" = i64, Path)), security(("bearer" = [])), responses((status = 200, description = "OK", body = MeetingDto), (status = 403, description = "Not allowed for this role (problem+json)", body = Problem)))]
pub async fn confirm(
    State(s): State<AppState>,
    ReqLang(lang): ReqLang,
    Auth(actor): Auth,
    IdPath(id): IdPath,
) -> ApiResult<Json<MeetingDto>> {
    let view = s.app.confirm_meeting(&actor, id).await.or_problem(lang)?;
    Ok(meeting_json(view, &[], lang))
}

/// Who the token belongs to, and their roles.
#[utoipa::path(get, path = "/api/v1/me", tag = "directory", security(("bearer" = [])), responses((status = 200, description = "OK", body = ProfileDto), (status = 401, description = "Sign-in required (problem+json)", body = Problem)))]
pub async fn me(
    State(s): State<AppState>,
    ReqLang(lang): ReqLang,
    Auth(actor): Auth,
) -> ApiResult<Json<ProfileDto>> {
    let p = s.app.profile(&actor).await.or_problem(lang)?;
    Ok(Json(ProfileDto {
        login: p.login,
        person: p
            .person
            .map(|x| PersonDto::new(&glassroom_app::meetings::person_ref(&x), lang)),
        business: p.business.map(|b| BusinessDto {
            bin: b.bin,
            name: b.name,
            address: b.address,
        }),
        roles: p
            .roles
            .into_iter()
            .map(|(r, o)| ProfileRoleDto {
                role: r.code().into(),
                organisation: OrgDto::new(&o, lang),
            })
            .collect(),
    }))
}

/// The meetings the signed-in person or business works on.
#[utoipa::path(get, path = "/api/v1/me/meetings", tag = "meetings", security(("bearer" = [])), responses((status = 200, description = "OK", body = Vec<RegisterItemDto>)))]
pub async fn my_meetings(
    State(s): State<AppState>,
    ReqLang(lang): ReqLang,
    Auth(actor): Auth,
) -> ApiResult<Json<Vec<RegisterItemDto>>> {
    let items = s.app.my_meetings(&actor, None).await.or_problem(lang)?;
    Ok(Json(
        items
            .into_iter()
            .map(|i| RegisterItemDto::new(i, lang))
            .collect(),
    ))
}

/// The organisation tree (akimat, departments, subordinate enterprises).
#[utoipa::path(get, path = "/api/v1/organisations", tag = "public", responses((status = 200, description = "OK", body = Vec<OrgDto>)))]
pub async fn organisations(
    State(s): State<AppState>,
    ReqLang(lang): ReqLang,
) -> ApiResult<Json<Vec<OrgDto>>> {
    let orgs = s.app.organisations().await.or_problem(lang)?;
    Ok(Json(orgs.iter().map(|o| OrgDto::new(o, lang)).collect()))
}

/// A rule's message with its details elided: what the rule says, in plain words.
pub(crate) fn rule_text(lang: Lang, r: RuleCode) -> String {
    message(
        lang,
        &format!("rule-{}", r.code()),
        &[
            ("inputs", "none".into()),
            ("times", "…".into()),
            ("people", "…".into()),
            ("meetings", "…".into()),
            ("required", "2".into()),
            ("actual", "…".into()),
            ("contract", "…".into()),
            ("coverage", "…".into()),
            ("registry", "…".into()),
            ("since", "…".into()),
        ],
    )
}

/// The rules of the order, with their default severities.
#[utoipa::path(get, path = "/api/v1/rules", tag = "public", responses((status = 200, description = "OK", body = Vec<RuleDto>)))]
pub async fn rules(ReqLang(lang): ReqLang) -> Json<Vec<RuleDto>> {
    Json(
        RuleCode::ALL
            .iter()
            .map(|r| RuleDto {
                code: r.code().into(),
                default_severity: r.default_severity().code().into(),
                message: rule_text(lang, *r),
            })
            .collect(),
    )
}

/// Merge a directory document (same format as `glassroom import directory`, as JSON). Administrators.
#[utoipa::path(post, path = "/api/v1/directory", tag = "directory", request_body(content = serde_json::Value, description = "directory document (docs/DIRECTORY.md)"), security(("bearer" = [])), responses((status = 200, description = "OK", body = ImportReportDto), (status = 422, description = "Invalid input, or refused by the rules (problem+json with `errors` or `violations`)", body = Problem), (status = 403, description = "Not allowed for this role (problem+json)", body = Problem)))]
pub async fn import_directory(
    State(s): State<AppState>,
    ReqLang(lang): ReqLang,
    Auth(actor): Auth,
    body: axum::body::Bytes,
) -> ApiResult<Json<ImportReportDto>> {
    let text = std::str::from_utf8(&body)
        .map_err(|_| AppError::invalid("", "invalid_json", "the body is not UTF-8"))
        .or_problem(lang)?;
    let file = glassroom_app::directory::parse_directory(text, "json").or_problem(lang)?;
    let r = s
        .app
        .apply_directory(Some(&actor), file)
        .await
        .or_problem(lang)?;
    Ok(Json(ImportReportDto {
        created: r.created,
        updated: r.updated,
        unchanged: r.unchanged,
        removed: r.removed,
    }))
}

/// People of the directory (no private data). Staff only.
#[utoipa::path(get, path = "/api/v1/directory/people", tag = "directory", security(("bearer" = [])), responses((status = 200, description = "OK", body = Vec<DirectoryPersonDto>), (status = 403, description = "Not allowed for this role (problem+json)", body = Problem)))]
pub async fn people(
    State(s): State<AppState>,
    ReqLang(lang): ReqLang,
    Auth(actor): Auth,
) -> ApiResult<Json<Vec<DirectoryPersonDto>>> {
    let people = s.app.people(&actor).await.or_problem(lang)?;
    Ok(Json(
        people
            .into_iter()
            .map(|(p, roles)| DirectoryPersonDto {
                id: p.id,
                code: p.code.clone(),
                position: match lang {
                    Lang::Ru => p.position_ru.clone(),
                    Lang::Kk => p.position_kk.clone(),
                    Lang::En => p.position_en.clone(),
                },
                full_name: p.full_name,
                organisation_id: p.org_id,
                roles: roles
                    .into_iter()
                    .map(|(r, o)| RoleDto {
                        role: r.code().into(),
                        organisation_id: o,
                    })
                    .collect(),
            })
            .collect(),
    ))
}

/// Rooms and the state of their inputs. Staff only.
#[utoipa::path(get, path = "/api/v1/directory/rooms", tag = "directory", security(("bearer" = [])), responses((status = 200, description = "OK", body = Vec<RoomWithInputsDto>), (status = 403, description = "Not allowed for this role (problem+json)", body = Problem)))]
pub async fn rooms(
    State(s): State<AppState>,
    ReqLang(lang): ReqLang,
    Auth(actor): Auth,
) -> ApiResult<Json<Vec<RoomWithInputsDto>>> {
    let rooms = s.app.rooms(&actor).await.or_problem(lang)?;
    Ok(Json(
        rooms
            .into_iter()
            .map(|r| RoomWithInputsDto {
                id: r.room.id,
                code: r.room.code,
                organisation_id: r.room.org_id,
                name: r.room.name,
                building: r.room.building,
                floor: r.room.floor,
                designated: r.room.designated,
                inputs: r.inputs.into_iter().map(input_dto).collect(),
            })
            .collect(),
    ))
}

/// Set an input's state (administrators; the recorder will report states itself).
#[utoipa::path(put, path = "/api/v1/inputs/{id}/state", tag = "directory", params(("id" = i64, Path)), request_body = InputStateBody, security(("bearer" = [])), responses((status = 200, description = "OK", body = InputDto), (status = 403, description = "Not allowed for this role (problem+json)", body = Problem), (status = 422, description = "Invalid input, or refused by the rules (problem+json with `errors` or `violations`)", body = Problem)))]
pub async fn set_input_state(
    State(s): State<AppState>,
    ReqLang(lang): ReqLang,
    Auth(actor): Auth,
    IdPath(id): IdPath,
    JsonBody(b): JsonBody<InputStateBody>,
) -> ApiResult<Json<InputDto>> {
    let i = s
        .app
        .set_input_state(&actor, id, &b.state)
        .await
        .or_problem(lang)?;
    Ok(Json(input_dto(i)))
}

/// Violation cases in the caller's compliance or auditor subtree.
#[utoipa::path(get, path = "/api/v1/violations", tag = "meetings", security(("bearer" = [])), responses((status = 200, description = "OK", body = Vec<ViolationDto>), (status = 403, description = "Not allowed for this role (problem+json)", body = Problem)))]
pub async fn violations(
    State(s): State<AppState>,
    ReqLang(lang): ReqLang,
    Auth(actor): Auth,
) -> ApiResult<Json<Vec<ViolationDto>>> {
    let rows = s.app.violations(&actor).await.or_problem(lang)?;
    Ok(Json(
        rows.into_iter()
            .map(|v| {
                let mut args: Vec<(&str, String)> =
                    serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(&v.details)
                        .unwrap_or_default()
                        .into_iter()
                        .filter_map(|(k, val)| {
                            let key: &'static str = [
                                "times", "coverage", "contract", "people", "inputs", "required",
                                "actual", "meetings",
                            ]
                            .into_iter()
                            .find(|x| *x == k)?;
                            Some((key, val.as_str().unwrap_or_default().to_owned()))
                        })
                        .collect();
                if !args.iter().any(|(k, _)| *k == "inputs") {
                    args.push(("inputs", "none".into()));
                }
                ViolationDto {
                    id: v.id,
                    organisation_id: v.org_id,
                    meeting_id: v.meeting_id,
                    message: message(lang, &format!("rule-{}", v.rule), &args),
                    rule: v.rule,
                    status: v.status,
                    opened: opened(v.opened_us),
                }
            })
            .collect(),
    ))
}

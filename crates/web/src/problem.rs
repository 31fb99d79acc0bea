//! RFC 9457 problem details, localised, with `errors` (fields) and `violations` (rules).

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use glassroom_app::AppError;
use glassroom_i18n::{Lang, message};

#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldProblem>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub violations: Vec<RuleViolation>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FieldProblem {
    /// The offending field (`start`, `commission[1]`, `people[3].roles[0].organisation`).
    pub field: String,
    /// Stable code, e.g. `invalid_bin`.
    pub code: String,
    /// Localised message.
    pub message: String,
    /// Technical detail (English).
    pub detail: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RuleViolation {
    /// Rule code from SPEC, e.g. `tender_winner_outside_working_hours`.
    pub rule: String,
    /// `absolute`, `blocking`, `warning` or `violation`.
    pub severity: String,
    /// Localised message.
    pub message: String,
}

pub fn violation(lang: Lang, f: &glassroom_app::RuleFinding) -> RuleViolation {
    let mut args = f.args.clone();
    if !args.iter().any(|(k, _)| *k == "inputs") {
        args.push(("inputs", "none".into()));
    }
    RuleViolation {
        rule: f.rule.into(),
        severity: f.severity.into(),
        message: message(lang, &format!("rule-{}", f.rule), &args),
    }
}

pub fn field_problem(lang: Lang, e: &glassroom_app::FieldError) -> FieldProblem {
    let key = format!("field-{}", e.code);
    let msg = message(lang, &key, &[("field", e.field.clone())]);
    FieldProblem {
        field: e.field.clone(),
        code: e.code.into(),
        message: if msg == key { e.detail.clone() } else { msg },
        detail: e.detail.clone(),
    }
}

/// An application error on its way out, with the language to say it in.
#[derive(Debug)]
pub struct ApiError(pub AppError, pub Lang);

pub fn problem_response(
    status: StatusCode,
    code: &str,
    lang: Lang,
    detail: Option<String>,
    errors: Vec<FieldProblem>,
    violations: Vec<RuleViolation>,
) -> Response {
    let body = Problem {
        kind: format!("https://glassroom.kz/problems/{}", code.replace('_', "-")),
        title: message(lang, &format!("problem-{code}"), &[]),
        status: status.as_u16(),
        detail,
        errors,
        violations,
    };
    let json = serde_json::to_vec(&body).unwrap_or_default();
    (
        status,
        [
            (header::CONTENT_TYPE, "application/problem+json"),
            (header::CONTENT_LANGUAGE, lang.code()),
        ],
        json,
    )
        .into_response()
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let ApiError(err, lang) = self;
        match err {
            AppError::Unauthenticated => {
                let mut r = problem_response(
                    StatusCode::UNAUTHORIZED,
                    "unauthenticated",
                    lang,
                    None,
                    vec![],
                    vec![],
                );
                r.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    header::HeaderValue::from_static("Bearer"),
                );
                r
            }
            AppError::Forbidden => problem_response(
                StatusCode::FORBIDDEN,
                "forbidden",
                lang,
                None,
                vec![],
                vec![],
            ),
            AppError::NotFound(what) => problem_response(
                StatusCode::NOT_FOUND,
                "not_found",
                lang,
                Some(format!("{what} not found")),
                vec![],
                vec![],
            ),
            AppError::Invalid(errors) => {
                let detail = errors
                    .iter()
                    .map(|e| format!("{}: {}", e.field, e.detail))
                    .collect::<Vec<_>>()
                    .join("; ");
                let fields = errors.iter().map(|e| field_problem(lang, e)).collect();
                problem_response(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid",
                    lang,
                    Some(detail),
                    fields,
                    vec![],
                )
            }
            AppError::InvalidTransition { from, transition } => problem_response(
                StatusCode::CONFLICT,
                "invalid_transition",
                lang,
                Some(format!("a meeting that is {from} cannot {transition}")),
                vec![],
                vec![],
            ),
            AppError::Refused {
                transition,
                findings,
            } => {
                let violations = findings.iter().map(|f| violation(lang, f)).collect();
                problem_response(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "refused",
                    lang,
                    Some(format!("{transition} refused")),
                    vec![],
                    violations,
                )
            }
            AppError::Conflict => {
                problem_response(StatusCode::CONFLICT, "conflict", lang, None, vec![], vec![])
            }
            AppError::Unavailable(m) => {
                tracing::warn!(error = %m, "storage unavailable");
                problem_response(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    lang,
                    None,
                    vec![],
                    vec![],
                )
            }
            AppError::Internal(m) => {
                tracing::error!(error = %m, "internal error");
                problem_response(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    lang,
                    None,
                    vec![],
                    vec![],
                )
            }
        }
    }
}

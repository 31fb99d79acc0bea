//! One error type for every use case; the web layer maps it to problem+json, the CLI to a message.

use glassroom_store::StoreError;

/// A field-level problem in the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// JSON-pointer-like path of the field (`/start`, `people[3].roles[0].organisation`).
    pub field: String,
    /// Stable machine code (`invalid_bin`, `unknown_room`, `end_before_start`…).
    pub code: &'static str,
    /// English detail for logs and the CLI; the web layer localises by `code`.
    pub detail: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, code: &'static str, detail: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            code,
            detail: detail.into(),
        }
    }
}

/// A rule finding as the outside sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleFinding {
    pub rule: &'static str,
    pub severity: &'static str,
    /// Message arguments (already formatted in the organisation's zone).
    pub args: Vec<(&'static str, String)>,
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not signed in")]
    Unauthenticated,
    #[error("not allowed")]
    Forbidden,
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("invalid input: {}", .0.iter().map(|e| format!("{}: {}", e.field, e.detail)).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<FieldError>),
    #[error("a meeting that is {from} cannot be {transition}")]
    InvalidTransition {
        from: &'static str,
        transition: &'static str,
    },
    #[error("refused by the rules: {}", .findings.iter().map(|f| f.rule).collect::<Vec<_>>().join(", "))]
    Refused {
        transition: &'static str,
        findings: Vec<RuleFinding>,
    },
    #[error("the change conflicts with a concurrent one; retry")]
    Conflict,
    #[error("storage is unavailable: {0}")]
    Unavailable(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    pub fn invalid(
        field: impl Into<String>,
        code: &'static str,
        detail: impl Into<String>,
    ) -> Self {
        AppError::Invalid(vec![FieldError::new(field, code, detail)])
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict => AppError::Conflict,
            StoreError::Unavailable(m) => AppError::Unavailable(m),
            StoreError::Duplicate(m) => AppError::invalid("", "duplicate", m),
            StoreError::Other(m) => AppError::Internal(m),
        }
    }
}

//! Errors as the API shows them: problem objects with a stable code, a message in Chinese
//! (or English when `Accept-Language` asks for it), and every invalid field.
//!
//! Status codes live here and only here.

use domain::DomainError;
use poem::http::StatusCode;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object};
use std::fmt;

tokio::task_local! {
    /// The language of the request being served.
    static LANG: Lang;
}

/// The language messages are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// Simplified Chinese, the default.
    Zh,
    /// English, when the client prefers it.
    En,
}

impl Lang {
    /// The client's first preference in `Accept-Language`, Chinese unless it is English.
    #[must_use]
    pub fn from_accept_language(header: Option<&str>) -> Self {
        let first = header.and_then(|h| h.split(',').next()).map(|t| t.trim().to_ascii_lowercase());
        match first {
            Some(tag) if tag.starts_with("en") => Self::En,
            _ => Self::Zh,
        }
    }

    /// Runs `fut` with this language as the current one.
    pub async fn scope<F: std::future::Future>(self, fut: F) -> F::Output {
        LANG.scope(self, fut).await
    }

    fn current() -> Self {
        LANG.try_with(|l| *l).unwrap_or(Self::Zh)
    }
}

/// One invalid field.
#[derive(Debug, Clone, Object)]
pub struct FieldProblem {
    /// The field, as sent.
    pub field: String,
    /// A stable machine code, e.g. `invalid_check_character`.
    pub code: String,
    /// What is wrong, for people.
    pub message: String,
}

/// The body of every error response.
#[derive(Debug, Clone, Object)]
pub struct Problem {
    /// The HTTP status.
    pub status: u16,
    /// A stable machine code, e.g. `validation_failed`, `not_found`, `contract_overlap`.
    pub code: String,
    /// What happened, for people (Chinese, or English on request).
    pub message: String,
    /// Every invalid field, for validation errors.
    #[oai(skip_serializing_if_is_none)]
    pub errors: Option<Vec<FieldProblem>>,
    /// For `invalid_transition`: the record's current state.
    #[oai(skip_serializing_if_is_none)]
    pub current_state: Option<String>,
    /// For `stale_version`: the record's current version.
    #[oai(skip_serializing_if_is_none)]
    pub current_version: Option<i32>,
}

/// Every error response the API gives.
#[derive(Debug, ApiResponse)]
#[oai(bad_request_handler = "from_request_error")]
pub enum ApiError {
    /// The request is malformed: bad JSON, wrong types, bad parameters.
    #[oai(status = 400)]
    BadRequest(Json<Problem>),
    /// No valid session, or wrong username or password.
    #[oai(status = 401)]
    Unauthorized(Json<Problem>),
    /// Signed in, but not allowed to do this here.
    #[oai(status = 403)]
    Forbidden(Json<Problem>),
    /// No such thing, or not yours to see.
    #[oai(status = 404)]
    NotFound(Json<Problem>),
    /// No such method on this path.
    #[oai(status = 405)]
    MethodNotAllowed(Json<Problem>),
    /// The request's body did not arrive within the read timeout.
    #[oai(status = 408)]
    RequestTimeout(Json<Problem>),
    /// Conflicts with existing data or the record's state.
    #[oai(status = 409)]
    Conflict(Json<Problem>),
    /// The body is larger than 1 MiB.
    #[oai(status = 413)]
    PayloadTooLarge(Json<Problem>),
    /// The body is not JSON (send `Content-Type: application/json`).
    #[oai(status = 415)]
    UnsupportedMediaType(Json<Problem>),
    /// Well-formed but invalid: every invalid field is listed.
    #[oai(status = 422)]
    Unprocessable(Json<Problem>),
    /// Too many failed logins: the account is locked for a while.
    #[oai(status = 423)]
    Locked(Json<Problem>),
    /// An unexpected failure (logged in full; the body says nothing more).
    #[oai(status = 500)]
    Internal(Json<Problem>),
    /// The database cannot be reached right now; try again shortly.
    #[oai(status = 503)]
    Unavailable(Json<Problem>),
}

/// Result of an endpoint.
pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    /// An error with a status, a code and the code's message in the request's language.
    #[must_use]
    pub fn new(status: StatusCode, code: &str) -> Self {
        Self::with_fields(status, code, None)
    }

    fn with_fields(status: StatusCode, code: &str, errors: Option<Vec<FieldProblem>>) -> Self {
        let problem = Json(Problem {
            status: status.as_u16(),
            code: code.to_owned(),
            message: message(code),
            errors,
            current_state: None,
            current_version: None,
        });
        match status {
            StatusCode::BAD_REQUEST => Self::BadRequest(problem),
            StatusCode::UNAUTHORIZED => Self::Unauthorized(problem),
            StatusCode::FORBIDDEN => Self::Forbidden(problem),
            StatusCode::NOT_FOUND => Self::NotFound(problem),
            StatusCode::METHOD_NOT_ALLOWED => Self::MethodNotAllowed(problem),
            StatusCode::REQUEST_TIMEOUT => Self::RequestTimeout(problem),
            StatusCode::CONFLICT => Self::Conflict(problem),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => Self::UnsupportedMediaType(problem),
            StatusCode::PAYLOAD_TOO_LARGE => Self::PayloadTooLarge(problem),
            StatusCode::UNPROCESSABLE_ENTITY => Self::Unprocessable(problem),
            StatusCode::LOCKED => Self::Locked(problem),
            StatusCode::SERVICE_UNAVAILABLE => Self::Unavailable(problem),
            s if s.is_client_error() => {
                // Keep the status and the body in agreement for any other client error.
                Self::BadRequest(Json(Problem { status: 400, ..problem.0 }))
            }
            _ => Self::Internal(problem),
        }
    }

    /// A validation error listing fields.
    #[must_use]
    pub fn validation(fields: Vec<domain::FieldError>) -> Self {
        let errors = fields
            .into_iter()
            .map(|f| FieldProblem { message: message(f.code.as_str()), field: f.field, code: f.code.to_string() })
            .collect();
        Self::with_fields(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed", Some(errors))
    }

    /// The problem inside.
    #[must_use]
    pub fn problem(&self) -> &Problem {
        match self {
            Self::BadRequest(p)
            | Self::Unauthorized(p)
            | Self::Forbidden(p)
            | Self::NotFound(p)
            | Self::MethodNotAllowed(p)
            | Self::RequestTimeout(p)
            | Self::Conflict(p)
            | Self::UnsupportedMediaType(p)
            | Self::PayloadTooLarge(p)
            | Self::Unprocessable(p)
            | Self::Locked(p)
            | Self::Internal(p)
            | Self::Unavailable(p) => &p.0,
        }
    }

    /// Turns any poem error (a request that did not parse, a missing token, an unknown
    /// route) into a problem. Errors that already carry a problem keep it.
    #[must_use]
    pub fn from_request_error(err: poem::Error) -> Self {
        if let Some(carried) = err.downcast_ref::<CarriedProblem>() {
            return Self::with_fields(carried.status, &carried.code, None);
        }
        let status = err.status();
        let code = match status {
            StatusCode::UNAUTHORIZED => "missing_token",
            StatusCode::NOT_FOUND => "route_not_found",
            StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
            StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
            StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
            s if s.is_server_error() => {
                tracing::error!(error = %err, "request failed");
                "internal_error"
            }
            _ => "bad_request",
        };
        let mut e = Self::new(status, code);
        // Parse errors say which parameter or field was wrong; keep that for the client.
        if status == StatusCode::BAD_REQUEST {
            let detail = err.to_string();
            if let Self::BadRequest(Json(p)) = &mut e {
                p.message = format!("{}: {detail}", p.message);
            }
        }
        e
    }
}

/// The handler poem-openapi calls for requests that do not parse.
fn from_request_error(err: poem::Error) -> ApiError {
    ApiError::from_request_error(err)
}

/// A problem carried through poem's error type (from the authentication checker).
#[derive(Debug)]
pub struct CarriedProblem {
    status: StatusCode,
    code: String,
}

impl fmt::Display for CarriedProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.status, self.code)
    }
}

impl std::error::Error for CarriedProblem {}

impl poem::error::ResponseError for CarriedProblem {
    fn status(&self) -> StatusCode {
        self.status
    }
}

impl From<ApiError> for CarriedProblem {
    fn from(e: ApiError) -> Self {
        let p = e.problem();
        Self {
            status: StatusCode::from_u16(p.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            code: p.code.clone(),
        }
    }
}

impl From<DomainError> for ApiError {
    fn from(err: DomainError) -> Self {
        match err {
            DomainError::Validation(fields) => Self::validation(fields),
            DomainError::NotFound { entity } => {
                let mut e = Self::new(StatusCode::NOT_FOUND, "not_found");
                if let Self::NotFound(Json(p)) = &mut e {
                    p.message = format!("{} ({entity})", p.message);
                }
                e
            }
            DomainError::Conflict { code } => Self::new(StatusCode::CONFLICT, code.as_str()),
            DomainError::InvalidTransition { from, .. } => {
                let mut e = Self::new(StatusCode::CONFLICT, "invalid_transition");
                if let Self::Conflict(Json(p)) = &mut e {
                    p.message = format!("{}: {from}", p.message);
                    p.current_state = Some(from.to_owned());
                }
                e
            }
            DomainError::StaleVersion { current } => {
                let mut e = Self::new(StatusCode::CONFLICT, "stale_version");
                if let Self::Conflict(Json(p)) = &mut e {
                    p.current_version = Some(current);
                }
                e
            }
            DomainError::AlreadyEnded { .. } => Self::new(StatusCode::CONFLICT, "already_ended"),
        }
    }
}

impl From<infra::Error> for ApiError {
    fn from(err: infra::Error) -> Self {
        match err {
            infra::Error::Domain(e) => e.into(),
            infra::Error::Unauthenticated(code) => Self::new(StatusCode::UNAUTHORIZED, code.as_str()),
            infra::Error::Locked(until) => {
                let mut e = Self::new(StatusCode::LOCKED, "account_locked");
                if let Self::Locked(Json(p)) = &mut e {
                    p.message = format!("{} ({})", p.message, until.to_rfc3339());
                }
                e
            }
            infra::Error::Forbidden => Self::new(StatusCode::FORBIDDEN, "forbidden"),
            infra::Error::Unavailable(source) => {
                tracing::error!(error = &source as &dyn std::error::Error, "database unavailable");
                Self::new(StatusCode::SERVICE_UNAVAILABLE, "database_unavailable")
            }
            infra::Error::Database(source) => {
                tracing::error!(error = &source as &dyn std::error::Error, "database error");
                Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal_error")
            }
            infra::Error::Unexpected(detail) => {
                tracing::error!(%detail, "unexpected error");
                Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal_error")
            }
        }
    }
}

/// The human message for a stable code, in the request's language.
#[must_use]
pub fn message(code: &str) -> String {
    let english = Lang::current() == Lang::En;
    match domain::Code::parse(code) {
        Some(code) => code.message(english).to_owned(),
        None => {
            tracing::error!(code, "a code without a message reached a user");
            (if english { "The request cannot be completed" } else { "请求无法完成" }).to_owned()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn english_is_chosen_only_when_it_comes_first() {
        assert_eq!(Lang::from_accept_language(Some("en-US,en;q=0.9")), Lang::En);
        assert_eq!(Lang::from_accept_language(Some("zh-CN,en;q=0.5")), Lang::Zh);
        assert_eq!(Lang::from_accept_language(None), Lang::Zh);
    }

    #[tokio::test]
    async fn messages_follow_the_request_language() {
        assert_eq!(Lang::En.scope(async { message("forbidden") }).await, "You are not allowed to do this here");
        assert_eq!(Lang::Zh.scope(async { message("forbidden") }).await, "无权进行此操作");
    }
}

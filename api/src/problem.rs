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
            .map(|f| FieldProblem { message: message(&f.code), field: f.field, code: f.code })
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
            DomainError::Conflict { code } => Self::new(StatusCode::CONFLICT, code),
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
            DomainError::Recused => Self::new(StatusCode::FORBIDDEN, "recused"),
            DomainError::AlreadyEnded { .. } => Self::new(StatusCode::CONFLICT, "already_ended"),
        }
    }
}

impl From<infra::Error> for ApiError {
    fn from(err: infra::Error) -> Self {
        match err {
            infra::Error::Domain(e) => e.into(),
            infra::Error::Unauthenticated(code) => Self::new(StatusCode::UNAUTHORIZED, code),
            infra::Error::Locked(until) => {
                let mut e = Self::new(StatusCode::LOCKED, "account_locked");
                if let Self::Locked(Json(p)) = &mut e {
                    p.message = format!("{} ({})", p.message, until.to_rfc3339());
                }
                e
            }
            infra::Error::Forbidden => Self::new(StatusCode::FORBIDDEN, "forbidden"),
            infra::Error::Unavailable(detail) => {
                tracing::error!(%detail, "database unavailable");
                Self::new(StatusCode::SERVICE_UNAVAILABLE, "database_unavailable")
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
    let (zh, en) = match code {
        "validation_failed" => ("请求内容有误，请按字段提示修改", "Some fields are invalid"),
        "bad_request" => ("请求格式错误", "The request is malformed"),
        "missing_token" => ("请先登录（缺少令牌）", "Sign in first: no bearer token"),
        "invalid_token" => ("登录已失效，请重新登录", "The session is invalid or expired; sign in again"),
        "invalid_credentials" => ("用户名或密码错误", "Wrong username or password"),
        "account_locked" => {
            ("连续登录失败次数过多，账号已锁定15分钟", "Too many failed logins: the account is locked for 15 minutes")
        }
        "forbidden" => ("无权进行此操作", "You are not allowed to do this here"),
        "not_found" => ("记录不存在或无权查看", "Not found, or not yours to see"),
        "route_not_found" => ("接口不存在", "No such endpoint"),
        "method_not_allowed" => ("不支持该请求方法", "Method not allowed"),
        "payload_too_large" => ("请求体超过1MB上限", "The body is larger than 1 MiB"),
        "unsupported_media_type" => ("请使用 application/json", "Use application/json"),
        "already_exists" => {
            ("记录已存在（名称、编码或信用代码重复）", "It already exists (a duplicate name, code or credit code)")
        }
        "referenced_record_missing" => ("引用的记录不存在", "A referenced record does not exist"),
        "already_ended" => ("该记录已终止，不能再修改", "It has already ended and cannot change"),
        "contract_overlap" => {
            ("该小区在此期间已有物业服务合同", "The estate already has a service contract in those dates")
        }
        "committee_term_overlap" => {
            ("该小区在此期间已有业主委员会", "The estate already has an owners' committee in that term")
        }
        "database_unavailable" => ("数据库暂时不可用，请稍后重试", "The database is unavailable; try again shortly"),
        "internal_error" => ("服务器内部错误", "Internal error"),
        "required" => ("必填", "Required"),
        "too_long" => ("内容过长", "Too long"),
        "invalid_length" => ("统一社会信用代码应为18位", "A unified social credit code has 18 characters"),
        "invalid_character" => ("统一社会信用代码含有非法字符", "The credit code has a character it may not contain"),
        "invalid_check_character" => ("统一社会信用代码校验位错误", "The credit code's check character is wrong"),
        "invalid_credit_code" => ("统一社会信用代码无效", "Invalid credit code"),
        "invalid_phone" => ("电话号码格式错误", "Invalid phone number"),
        "ends_before_start" => ("结束日期早于开始日期", "Ends before it starts"),
        "invalid_code" => ("编码只能包含字母和数字", "Codes are letters and digits only"),
        "invalid_org_kind" => ("组织类型无效", "Unknown organization kind"),
        "invalid_title" => ("职务无效", "Unknown title"),
        "title_not_in_organization" => ("该组织没有此职务", "That organization has no such title"),
        "limit_out_of_range" => ("limit 应在 1 到 200 之间", "limit must be between 1 and 200"),
        "invalid_cursor" => ("分页游标无效", "Invalid cursor"),
        "unknown_community" => ("社区不存在", "No such community"),
        "community_ended" => ("社区已撤销", "The community has ended"),
        "unknown_estate" => ("小区不存在", "No such estate"),
        "estate_ended" => ("小区已撤销", "The estate has ended"),
        "unknown_company" => ("物业企业不存在", "No such property company"),
        "company_ended" => ("物业企业已注销", "The company has ended"),
        "unknown_person" => ("人员不存在", "No such person"),
        "person_ended" => ("人员已注销", "The person's record has ended"),
        "unknown_organization" => ("组织不存在", "No such organization"),
        "organization_ended" => ("组织已终止", "The organization has ended"),
        "grid_not_in_community" => ("网格不属于该小区所在社区", "The grid is not in the estate's community"),
        "invalid_username" => ("用户名为3到32位字母、数字或 _ - .", "Usernames are 3 to 32 letters, digits, _ - or ."),
        "password_length" => ("密码长度应为8到128位", "Passwords have 8 to 128 characters"),
        "invalid_resource" => ("资源类型无效", "Unknown resource"),
        "invalid_transition" => ("当前状态下不能进行此操作", "Not allowed in the current state"),
        "stale_version" => ("记录已被他人修改，请刷新后重试", "Someone changed it first; reload and try again"),
        "recused" => ("您在涉事物业企业任职，须回避", "You hold a post in the company concerned and must stand aside"),
        "appointment_overlap" => ("该人员在此期间已担任该职务", "The person already holds that post in those dates"),
        "term_over" => ("任期已届满，不能批准", "The term is already over"),
        "home_post_ended" => ("本职已终止", "The home post has ended"),
        "home_post_not_held" => ("本职不存在或未在任", "The person does not hold that home post today"),
        "same_organization" => ("交叉任职须在本职以外的组织", "A cross-appointment is to another organization"),
        "not_same_community" => ("两个组织须属于同一社区", "Both organizations must belong to the same community"),
        "community_ambiguous" => {
            ("两个组织同属多个社区，请指定社区", "The organizations share several communities; name one")
        }
        "term_too_long" => ("任期过长", "The term is too long"),
        "invalid_host_kind" => ("任职单位类型无效", "Unknown host kind"),
        "invalid_status" => ("状态无效", "Unknown status"),
        "reason_required" => ("须填写理由", "A reason is required"),
        "invalid_action" => ("操作无效", "Unknown action"),
        "invalid_scope" => (
            "范围无效，应为 county、community:<id>、estate:<id>、company:<id> 或 department:<id>",
            "Scope must be county, community:<id>, estate:<id>, company:<id> or department:<id>",
        ),
        "duplicate_json_key" => ("请求体中有重复的键", "The JSON body repeats a key"),
        "control_character" => ("不能含控制字符（换行、制表符除外）", "No control characters but newline and tab"),
        "invalid_idempotency_key" => ("幂等键应为1到200个可见ASCII字符", "Idempotency-Key: 1-200 visible ASCII"),
        "idempotency_key_reused" => ("该 Idempotency-Key 已用于其他请求", "Idempotency-Key used for another request"),
        "request_timeout" => ("请求未能在限定时间内发送完毕", "The request did not arrive in time"),
        "uri_too_long" => ("请求地址过长", "The request URI is too long"),
        "headers_too_large" => ("请求头过大", "The request headers are too large"),
        "password_missing" => ("请在标准输入中提供密码", "Give the password on standard input"),
        "username_taken" => ("该用户名已被使用", "That username is already taken"),
        "not_a_demo_database" => ("库中有演示以外的数据，不予重置", "The database holds more than the demo: not reset"),
        _ => ("请求无法完成", "The request cannot be completed"),
    };
    match Lang::current() {
        Lang::Zh => zh.to_owned(),
        Lang::En => en.to_owned(),
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

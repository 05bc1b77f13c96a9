//! Every stable error code the service answers with, and its message in Chinese and
//! English. A code is added here or it does not compile: the message table is the enum,
//! so no code reaches a user as a generic "the request cannot be completed".

use std::fmt;
use std::str::FromStr;

macro_rules! codes {
    ($($(#[$doc:meta])* $variant:ident = $text:literal, $zh:literal, $en:literal;)*) => {
        /// A stable machine code for a refusal: in problem bodies (`code`) and field errors.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
        pub enum Code { $($(#[$doc])* #[serde(rename = $text)] $variant),* }

        impl Code {
            /// Every code.
            pub const ALL: &'static [Code] = &[$(Self::$variant),*];

            /// The code as clients see it.
            #[must_use]
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $text),* }
            }

            /// The message for a person, in Chinese or (`english`) English.
            #[must_use]
            pub fn message(self, english: bool) -> &'static str {
                match self { $(Self::$variant => if english { $en } else { $zh }),* }
            }
        }

        impl FromStr for Code {
            type Err = ();
            fn from_str(s: &str) -> Result<Self, ()> {
                match s { $($text => Ok(Self::$variant),)* _ => Err(()) }
            }
        }
    };
}

codes! {
    // Requests and sessions.
    ValidationFailed = "validation_failed", "请求内容有误，请按字段提示修改", "Some fields are invalid";
    BadRequest = "bad_request", "请求格式错误", "The request is malformed";
    MissingToken = "missing_token", "请先登录（缺少令牌）", "Sign in first: no bearer token";
    InvalidToken = "invalid_token", "登录已失效，请重新登录", "The session is invalid or expired; sign in again";
    InvalidCredentials = "invalid_credentials", "用户名或密码错误", "Wrong username or password";
    AccountLocked = "account_locked", "连续登录失败次数过多，账号已锁定15分钟", "Too many failed logins: the account is locked for 15 minutes";
    Forbidden = "forbidden", "无权进行此操作", "You are not allowed to do this here";
    NotFound = "not_found", "记录不存在或无权查看", "Not found, or not yours to see";
    RouteNotFound = "route_not_found", "接口不存在", "No such endpoint";
    MethodNotAllowed = "method_not_allowed", "不支持该请求方法", "Method not allowed";
    PayloadTooLarge = "payload_too_large", "请求体超过1MB上限", "The body is larger than 1 MiB";
    DuplicateJsonKey = "duplicate_json_key", "请求体中有重复的键", "The JSON body repeats a key";
    RequestTimeout = "request_timeout", "请求未能在限定时间内发送完毕", "The request did not arrive in time";
    UriTooLong = "uri_too_long", "请求地址过长", "The request URI is too long";
    HeadersTooLarge = "headers_too_large", "请求头过大", "The request headers are too large";
    PasswordMissing = "password_missing", "请在标准输入中提供密码", "Give the password on standard input";
    NotADemoDatabase = "not_a_demo_database", "库中有演示以外的数据，不予重置", "The database holds more than the demo: not reset";
    UnsupportedMediaType = "unsupported_media_type", "请使用 application/json", "Use application/json";
    DatabaseUnavailable = "database_unavailable", "数据库暂时不可用，请稍后重试", "The database is unavailable; try again shortly";
    InternalError = "internal_error", "服务器内部错误", "Internal error";
    LimitOutOfRange = "limit_out_of_range", "limit 应在 1 到 200 之间", "limit must be between 1 and 200";
    InvalidCursor = "invalid_cursor", "分页游标无效", "Invalid cursor";
    IdempotencyKeyReused = "idempotency_key_reused", "该幂等键已用于另一个请求", "This Idempotency-Key was used for a different request";
    InvalidIdempotencyKey = "invalid_idempotency_key", "幂等键格式无效（应为不超过200个可见ASCII字符）", "An Idempotency-Key is up to 200 visible ASCII characters";
    RequestInProgress = "request_in_progress", "相同的请求正在处理，请稍后重试", "The same request is still being processed; retry shortly";
    InvalidUsername = "invalid_username", "用户名为3到32位字母、数字或 _ - .", "Usernames are 3 to 32 letters, digits, _ - or .";
    PasswordLength = "password_length", "密码长度应为8到128位", "Passwords have 8 to 128 characters";
    UsernameTaken = "username_taken", "该用户名已被使用", "That username is taken";
    PersonHasAccount = "person_has_account", "该人员已有账号", "That person already has an account";

    // Field checks.
    Required = "required", "必填", "Required";
    TooLong = "too_long", "内容过长", "Too long";
    InvalidValue = "invalid_value", "取值无效", "Not one of the allowed values";
    ControlCharacter = "control_character", "含有不允许的控制字符", "Contains a control character that is not allowed";
    MustBeInTheFuture = "must_be_in_the_future", "须为将来的时间", "Must be in the future";
    EndsBeforeStart = "ends_before_start", "结束日期早于开始日期", "Ends before it starts";
    InvalidLength = "invalid_length", "统一社会信用代码应为18位", "A unified social credit code has 18 characters";
    InvalidCharacter = "invalid_character", "统一社会信用代码含有非法字符", "The credit code has a character it may not contain";
    InvalidCheckCharacter = "invalid_check_character", "统一社会信用代码校验位错误", "The credit code's check character is wrong";
    InvalidCreditCode = "invalid_credit_code", "统一社会信用代码无效", "Invalid credit code";
    InvalidPhone = "invalid_phone", "电话号码格式错误", "Invalid phone number";
    InvalidCode = "invalid_code", "编码只能包含字母和数字", "Codes are letters and digits only";
    InvalidOrgKind = "invalid_org_kind", "组织类型无效", "Unknown organization kind";
    InvalidTitle = "invalid_title", "职务无效", "Unknown title";
    TitleNotInOrganization = "title_not_in_organization", "该组织没有此职务", "That organization has no such title";
    InvalidResource = "invalid_resource", "资源类型无效", "Unknown resource";
    InvalidAction = "invalid_action", "操作无效", "Unknown action";
    InvalidScope = "invalid_scope", "范围无效，应为 county、community:<id>、estate:<id>、company:<id> 或 department:<id>", "Scope must be county, community:<id>, estate:<id>, company:<id> or department:<id>";
    InvalidStatus = "invalid_status", "状态无效", "Unknown status";
    InvalidHostKind = "invalid_host_kind", "任职单位类型无效", "Unknown host kind";
    InvalidCategory = "invalid_category", "诉求类别无效", "Unknown category";
    InvalidPriority = "invalid_priority", "紧急程度无效", "Unknown priority";
    InvalidRating = "invalid_rating", "评价无效，应为 satisfied、basically_satisfied 或 dissatisfied", "A rating is satisfied, basically_satisfied or dissatisfied";
    InvalidDeadlineRules = "invalid_deadline_rules", "期限规则格式无效，应如 urgent=2h/24h,normal=24h/7d,complex=24h/15d", "Deadline rules look like urgent=2h/24h,normal=24h/7d,complex=24h/15d";
    InvalidMonth = "invalid_month", "月份格式应为 YYYY-MM", "A month is written YYYY-MM";
    InvalidPeriod = "invalid_period", "统计期间无效：起始日期须不晚于结束日期，且不超过366天", "A period runs from a day to a later one, 366 days at most";
    InvalidScoringRules = "invalid_scoring_rules", "考核规则无效：三项权重之和须为100，扣分不能为负，等次分数线须由高到低", "Scoring rules: the three weights add up to 100, deductions are not negative, grade bands descend";
    ReasonRequired = "reason_required", "须填写理由", "A reason is required";

    // References to other records.
    UnknownCommunity = "unknown_community", "社区不存在", "No such community";
    CommunityEnded = "community_ended", "社区已撤销", "The community has ended";
    UnknownEstate = "unknown_estate", "小区不存在", "No such estate";
    EstateEnded = "estate_ended", "小区已撤销", "The estate has ended";
    UnknownCompany = "unknown_company", "物业企业不存在", "No such property company";
    CompanyEnded = "company_ended", "物业企业已注销", "The company has ended";
    UnknownPerson = "unknown_person", "人员不存在", "No such person";
    PersonEnded = "person_ended", "人员已注销", "The person's record has ended";
    UnknownOrganization = "unknown_organization", "组织不存在", "No such organization";
    OrganizationEnded = "organization_ended", "组织已终止", "The organization has ended";
    UnknownDepartment = "unknown_department", "部门不存在或已撤销", "No such department, or it has ended";
    GridNotInCommunity = "grid_not_in_community", "网格不属于该小区所在社区", "The grid is not in the estate's community";
    ReferencedRecordMissing = "referenced_record_missing", "引用的记录不存在", "A referenced record does not exist";

    // Conflicts with what is stored.
    AlreadyExists = "already_exists", "记录已存在", "It already exists";
    CommunityCodeTaken = "community_code_taken", "该社区编码已被使用", "That community code is taken";
    CreditCodeTaken = "credit_code_taken", "该统一社会信用代码已登记", "A company with that credit code is already registered";
    CompanyNameTaken = "company_name_taken", "已有同名物业企业", "A property company already has that name";
    DepartmentNameTaken = "department_name_taken", "已有同名部门", "A department already has that name";
    AlreadyEnded = "already_ended", "该记录已终止，不能再修改", "It has already ended and cannot change";
    ContractOverlap = "contract_overlap", "该小区在此期间已有物业服务合同", "The estate already has a service contract in those dates";
    CommitteeTermOverlap = "committee_term_overlap", "该小区在此期间已有业主委员会", "The estate already has an owners' committee in that term";
    InvalidTransition = "invalid_transition", "当前状态下不能进行此操作", "Not allowed in the current state";
    StaleVersion = "stale_version", "记录已被他人修改，请刷新后重试", "Someone changed it first; reload and try again";
    AppointmentOverlap = "appointment_overlap", "该人员在此期间已担任该职务", "The person already holds that post in those dates";
    TermOver = "term_over", "任期已届满，不能批准", "The term is already over";
    TermTooLong = "term_too_long", "任期过长", "The term is too long";
    HomePostEnded = "home_post_ended", "本职已终止", "The home post has ended";
    HomePostNotHeld = "home_post_not_held", "本职不存在或未在任", "The person does not hold that home post today";
    SameOrganization = "same_organization", "交叉任职须在本职以外的组织", "A cross-appointment is to another organization";
    NotSameCommunity = "not_same_community", "两个组织须属于同一社区", "Both organizations must belong to the same community";
    CommunityAmbiguous = "community_ambiguous", "两个组织同属多个社区，请指定社区", "The organizations share several communities; name one";
    NotTheFiler = "not_the_filer", "只有提出人（或代表业主委员会提出时的业委会成员）可以进行此操作", "Only the filer (or, for a committee case, the owners' committee) may do this";
    NotTheHandlingCompany = "not_the_handling_company", "只有承办该诉求的物业企业可以进行此操作", "Only the company handling the case may do this";
    NotTheDepartment = "not_the_department", "只有受理该诉求的部门可以进行此操作", "Only the department the case was escalated to may do this";
    AlreadyCosigned = "already_cosigned", "您是提出人或已联署", "You filed or already co-signed this case";
    ReopenWindowOver = "reopen_window_over", "结案已超过30日，不能重新打开", "It closed more than 30 days ago and can no longer be reopened";
    NotDue = "not_due", "尚未到自动结案时间", "Not due to close automatically yet";
    ServesTheCheckedCompany = "serves_the_checked_company", "此人在该小区的服务企业任职，不能进入监督它的业主委员会", "The person works for the company serving this estate and cannot sit on the committee that checks it";
    AlreadyAnswered = "already_answered", "该邀请已答复", "That invitation has already been answered";
    MonthNotOver = "month_not_over", "该月尚未结束，不能发布考核结果", "The month is not over: its scorecards cannot be published yet";
    AlreadyPublished = "already_published", "该月考核结果已发布", "That month's scorecards are already published";
    NothingToPublish = "nothing_to_publish", "该月没有可发布的考核结果", "No company has a scorecard to publish for that month";
    AppealWindowOver = "appeal_window_over", "发布已超过7日，不能再提出异议", "It was published more than 7 days ago: the time to appeal is over";
    AppealPending = "appeal_pending", "该考核结果已有待处理的异议", "An appeal on that scorecard is waiting for a decision";
    NotTheScoredCompany = "not_the_scored_company", "只有被考核的物业企业可以对考核结果提出异议", "Only the company scored may appeal its scorecard";
    NotTheConvener = "not_the_convener", "只有会议召集人或党组织书记可以进行此操作", "Only the meeting's convener or the party branch secretary may do this";
    MeetingNotStarted = "meeting_not_started", "会议尚未开始，不能标记为已召开", "The meeting has not started yet: it cannot be marked held";
    AttendanceIncomplete = "attendance_incomplete", "尚有参会方未登记出席情况，不能发布", "Record every invitee's attendance before publishing";
    NotTheAssignee = "not_the_assignee", "只有承担该任务的单位可以报告完成", "Only the organization the task is assigned to may report it done";
    OwnTask = "own_task", "不能核验本单位承担的任务", "You cannot check a task your own organization was given";
    DuplicateInvitee = "duplicate_invitee", "参会方重复", "That invitee is listed twice";
    NotInCommunity = "not_in_community", "不属于该社区", "It does not belong to this community";
    NotInvited = "not_invited", "任务只能交给受邀参会的单位", "A task goes to an organization invited to the meeting";
    NotAnInvitee = "not_an_invitee", "不是本次会议的参会方", "Not an invitee of this meeting";
    NotOnAgenda = "not_on_agenda", "议题不属于本次会议", "That agenda item is not on this meeting's agenda";
    InsecureUrl = "insecure_url", "地址须为 https（仅本机可用 http）", "The address must be https (plain http only to this machine)";
    NotTheLeader = "not_the_leader", "只有本单位负责人或系统管理员可以设置推送渠道", "Only the organization's leader or an administrator sets its channels";
    ChannelDisabled = "channel_disabled", "该推送渠道已停用", "That channel is disabled";
    NotOnCommittee = "not_on_committee", "您不是该小区业主委员会成员", "You are not on this estate's owners' committee";
}

impl Code {
    /// Whether `text` is a code (for messages built outside the domain).
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        text.parse().ok()
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::error::Error for Code {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_code_has_its_own_message_in_both_languages() {
        let mut seen_zh = HashSet::new();
        let mut seen_en = HashSet::new();
        for &code in Code::ALL {
            let (zh, en) = (code.message(false), code.message(true));
            assert!(!zh.trim().is_empty() && !en.trim().is_empty(), "{code} lacks a message");
            assert!(
                zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
                "{code}: the Chinese message has no Chinese"
            );
            assert!(en.is_ascii(), "{code}: the English message is not English");
            assert!(seen_zh.insert(zh), "{code} shares its Chinese message with another code");
            assert!(seen_en.insert(en), "{code} shares its English message with another code");
            assert_eq!(code.as_str().parse::<Code>(), Ok(code));
            assert!(code.as_str().chars().all(|c| c.is_ascii_lowercase() || c == '_'), "{code} is not snake_case");
        }
    }
}

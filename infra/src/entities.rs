//! sea-orm entities, one module per table. They never leave `infra`: repositories turn
//! them into domain records.

pub mod community {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "communities")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub name: String,
        pub code: String,
        pub street: String,
        pub created_at: DateTimeUtc,
        pub ended_at: Option<DateTimeUtc>,
        pub end_reason: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod grid {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "grids")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub community_id: Uuid,
        pub name: String,
        pub created_at: DateTimeUtc,
        pub ended_at: Option<DateTimeUtc>,
        pub end_reason: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod estate {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "estates")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub community_id: Uuid,
        pub grid_id: Option<Uuid>,
        pub name: String,
        pub address: String,
        pub version: i32,
        pub created_at: DateTimeUtc,
        pub ended_at: Option<DateTimeUtc>,
        pub end_reason: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod property_company {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "property_companies")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub name: String,
        /// The name as compared for uniqueness (`domain::registry::name_key`).
        pub name_key: Option<String>,
        pub credit_code: String,
        pub address: String,
        pub created_at: DateTimeUtc,
        pub ended_at: Option<DateTimeUtc>,
        pub end_reason: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod service_contract {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "service_contracts")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub company_id: Uuid,
        pub estate_id: Uuid,
        pub starts_on: Date,
        pub ends_on: Date,
        pub reference: Option<String>,
        pub created_at: DateTimeUtc,
        pub ended_at: Option<DateTimeUtc>,
        pub end_reason: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod owners_committee {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "owners_committees")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub estate_id: Uuid,
        pub name: String,
        pub term_start: Date,
        pub term_end: Date,
        pub created_at: DateTimeUtc,
        pub ended_at: Option<DateTimeUtc>,
        pub end_reason: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod department {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "departments")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub name: String,
        pub created_at: DateTimeUtc,
        pub ended_at: Option<DateTimeUtc>,
        pub end_reason: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod person {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "people")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub name: String,
        pub phone: Option<String>,
        pub is_party_member: bool,
        pub created_at: DateTimeUtc,
        pub ended_at: Option<DateTimeUtc>,
        pub end_reason: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod post {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "posts")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub person_id: Uuid,
        pub org_kind: String,
        pub org_id: Uuid,
        pub title: String,
        pub starts_on: Date,
        pub ends_on: Option<Date>,
        pub community_id: Option<Uuid>,
        pub estate_id: Option<Uuid>,
        pub created_at: DateTimeUtc,
        pub ended_at: Option<DateTimeUtc>,
        pub end_reason: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod account {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "accounts")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub person_id: Uuid,
        pub username: String,
        pub password_hash: String,
        pub is_admin: bool,
        pub failed_logins: i32,
        pub locked_until: Option<DateTimeUtc>,
        pub created_at: DateTimeUtc,
        pub disabled_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod session {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "sessions")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub account_id: Uuid,
        pub token_hash: String,
        pub created_at: DateTimeUtc,
        pub expires_at: DateTimeUtc,
        pub revoked_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod audit_log {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "audit_log")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub at: DateTimeUtc,
        pub account_id: Option<Uuid>,
        pub person_id: Option<Uuid>,
        pub acting_as: Option<String>,
        pub scope: String,
        pub community_id: Option<Uuid>,
        pub action: String,
        pub resource: String,
        pub resource_id: Option<String>,
        pub decision: String,
        pub rule: String,
        pub request_id: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod cross_appointment {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "cross_appointments")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub person_id: Uuid,
        pub home_post_id: Uuid,
        pub home_org_kind: String,
        pub home_org_id: Uuid,
        pub host_kind: String,
        pub host_id: Uuid,
        pub host_title: String,
        pub host_estate_id: Option<Uuid>,
        pub community_id: Uuid,
        pub starts_on: Date,
        pub ends_on: Date,
        pub basis: String,
        pub status: String,
        pub end_reason: Option<String>,
        pub version: i32,
        pub created_at: DateTimeUtc,
        pub decided_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod complaint {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "complaints")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub case_number: String,
        pub estate_id: Uuid,
        pub community_id: Uuid,
        pub category: String,
        pub priority: String,
        pub title: String,
        pub description: String,
        pub filer_id: Uuid,
        pub for_committee: bool,
        pub joint: bool,
        pub handling_company_id: Option<Uuid>,
        pub department_id: Option<Uuid>,
        pub reported_in: bool,
        pub status: String,
        pub respond_by: DateTimeUtc,
        pub resolve_by: DateTimeUtc,
        pub resolved_at: Option<DateTimeUtc>,
        pub closed_at: Option<DateTimeUtc>,
        pub rating: Option<String>,
        pub cosign_count: i32,
        pub filed_at: DateTimeUtc,
        pub version: i32,
        /// When its last event happened (filled by every write, for oversight's reads).
        pub last_event_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod complaint_cosigner {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "complaint_cosigners")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub complaint_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub person_id: Uuid,
        pub as_committee: bool,
        pub at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod idempotency_key {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "idempotency_keys")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub account_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub key: String,
        pub fingerprint: String,
        pub status_code: i32,
        pub body: Option<String>,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod case_counter {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "case_counters")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub community_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub year: i32,
        pub next_value: i32,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod person_origin {
    use sea_orm::entity::prelude::*;

    /// The organization whose post created a person record: besides the person and
    /// administrators, only it may change their name and phone.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "person_origins")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub person_id: Uuid,
        pub org_kind: String,
        pub org_id: Uuid,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod post_invitation {
    use sea_orm::entity::prelude::*;

    /// A staff post recorded for someone who already holds a post elsewhere: it gives no
    /// role until the person accepts.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "post_invitations")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub post_id: Uuid,
        pub person_id: Uuid,
        pub invited_by: Uuid,
        pub created_at: DateTimeUtc,
        pub accepted_at: Option<DateTimeUtc>,
        pub declined_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod login_attempt {
    use sea_orm::entity::prelude::*;

    /// Failed logins in a row per username, known or not, and the lock they set.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "login_attempts")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub username: String,
        pub failed: i32,
        pub locked_until: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// The one event log: the timelines of complaints, cross-appointments and the contexts to come.
pub mod event {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "events")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        /// The kind of record (`complaint`, `cross_appointment`).
        pub stream: String,
        pub stream_id: Uuid,
        pub at: DateTimeUtc,
        pub actor_person_id: Option<Uuid>,
        pub actor_account_id: Option<Uuid>,
        pub acting_as: String,
        pub action: String,
        pub from_status: Option<String>,
        pub to_status: String,
        pub note: Option<String>,
        pub detail: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod scoring_rule {
    use sea_orm::entity::prelude::*;

    /// The one row (id 1) of the scoring rules, as JSON of [`domain::oversight::ScoringRules`].
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "scoring_rules")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: i32,
        pub rules: String,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod scorecard {
    use sea_orm::entity::prelude::*;

    /// A published scorecard: a frozen snapshot of one company's month in one community.
    /// `current` marks the edition shown; a correction adds an edition and keeps the old one.
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "scorecards")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub community_id: Uuid,
        pub company_id: Uuid,
        /// `YYYY-MM`.
        pub month: String,
        pub edition: i32,
        pub current: bool,
        pub published_at: DateTimeUtc,
        pub published_by: Uuid,
        pub score: f64,
        pub grade: String,
        /// Cases filed in the month: the sample the board's minimum applies to.
        pub sample: i64,
        /// The figures, as JSON.
        pub figures: String,
        /// The scoring rules used, as JSON.
        pub rules: String,
        /// The edition this one corrects.
        pub corrects: Option<Uuid>,
        pub note: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod scorecard_appeal {
    use sea_orm::entity::prelude::*;

    /// A company's appeal (异议) on a published scorecard.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "scorecard_appeals")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub scorecard_id: Uuid,
        pub company_id: Uuid,
        pub community_id: Uuid,
        pub filed_by: Uuid,
        pub filed_at: DateTimeUtc,
        pub reason: String,
        /// `pending`, `upheld` or `rejected`.
        pub status: String,
        pub decided_by: Option<Uuid>,
        pub decided_at: Option<DateTimeUtc>,
        pub decision_note: Option<String>,
        pub corrected_scorecard_id: Option<Uuid>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod meeting {
    use sea_orm::entity::prelude::*;

    /// A joint meeting (联席会议) of a community.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "meetings")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub community_id: Uuid,
        pub title: String,
        pub starts_at: DateTimeUtc,
        pub place: String,
        pub status: String,
        /// Who runs it: the secretary, or the committee member the branch named.
        pub convener_id: Uuid,
        pub convened_by: Uuid,
        pub cancel_reason: Option<String>,
        pub published_at: Option<DateTimeUtc>,
        pub published_by: Option<Uuid>,
        pub version: i32,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod meeting_invitee {
    use sea_orm::entity::prelude::*;

    /// An organization (kind and id) or a person invited to a meeting, and whether they came.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "meeting_invitees")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub meeting_id: Uuid,
        pub position: i32,
        pub org_kind: Option<String>,
        pub org_id: Option<Uuid>,
        pub person_id: Option<Uuid>,
        pub attendance: Option<String>,
        pub delegate_name: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod agenda_item {
    use sea_orm::entity::prelude::*;

    /// A topic on a meeting's agenda, with its minutes once held.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "agenda_items")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub meeting_id: Uuid,
        pub position: i32,
        pub topic: String,
        pub complaint_id: Option<Uuid>,
        pub appointment_id: Option<Uuid>,
        pub minutes: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod resolution {
    use sea_orm::entity::prelude::*;

    /// A resolution (决议) taken on an agenda item.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "resolutions")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub meeting_id: Uuid,
        pub agenda_item_id: Uuid,
        pub text: String,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod meeting_task {
    use sea_orm::entity::prelude::*;

    /// A task (任务) a resolution assigned to one organization.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "meeting_tasks")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub meeting_id: Uuid,
        pub resolution_id: Uuid,
        pub community_id: Uuid,
        pub org_kind: String,
        pub org_id: Uuid,
        pub person_id: Option<Uuid>,
        pub description: String,
        pub due_on: Date,
        pub complaint_id: Option<Uuid>,
        pub status: String,
        /// Set when the meeting is published: from then on the task is assigned and visible.
        pub assigned_at: Option<DateTimeUtc>,
        pub reported_at: Option<DateTimeUtc>,
        pub report_note: Option<String>,
        pub verified_at: Option<DateTimeUtc>,
        pub version: i32,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod meeting_amendment {
    use sea_orm::entity::prelude::*;

    /// A correction to a published meeting record: who, why and what.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "meeting_amendments")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub meeting_id: Uuid,
        pub person_id: Uuid,
        pub reason: String,
        pub text: String,
        pub at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod notification {
    use sea_orm::entity::prelude::*;

    /// A notice to one person that something gives them work.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "notifications")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub person_id: Uuid,
        pub kind: String,
        /// The kind of record it is about (`complaint`, `meeting`...).
        pub stream: String,
        pub record_id: Uuid,
        pub text: String,
        /// The record's page in the portal.
        pub link: String,
        pub created_at: DateTimeUtc,
        pub read_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod reminder {
    use sea_orm::entity::prelude::*;

    /// A deadline reminder sent for a case: once per case, reminder and deadline.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "reminders")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub complaint_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub kind: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub deadline: DateTimeUtc,
        pub sent_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod channel {
    use sea_orm::entity::prelude::*;

    /// Where an organization's notices are delivered besides the inbox.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "channels")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub org_kind: String,
        pub org_id: Uuid,
        /// `wecom`, `dingtalk`, `feishu` or `webhook`.
        pub kind: String,
        pub url: String,
        /// The signing secret; never returned by the API.
        pub secret: Option<String>,
        pub enabled: bool,
        pub disabled_reason: Option<String>,
        pub created_by: Uuid,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod delivery {
    use sea_orm::entity::prelude::*;

    /// One message to one channel: the outbox row the delivery worker works from.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "deliveries")]
    pub struct Model {
        /// Also the message id a receiver sees on every try (to drop duplicates).
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub channel_id: Uuid,
        pub notice_kind: String,
        pub text: String,
        pub link: String,
        /// `pending`, `delivered` or `failed`.
        pub status: String,
        pub attempts: i32,
        pub next_attempt_at: DateTimeUtc,
        /// A worker holds it until then.
        pub lease_until: Option<DateTimeUtc>,
        pub last_error: Option<String>,
        pub created_at: DateTimeUtc,
        pub delivered_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

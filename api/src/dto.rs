//! Request and response bodies shared by several endpoint groups: pages, ending a record,
//! renaming, and the audit log. Each group's own bodies live beside its routes in
//! [`crate::routes`]. Field names are English snake_case; the domain types never derive poem
//! traits, so each has its DTO in `api`.

use chrono::{DateTime, Utc};
use poem_openapi::Object;
use uuid::Uuid;

/// Defines page types: `page_type!(CommunityPage => Community, ...)` makes a `CommunityPage`
/// object with `items` and `next_cursor`, convertible from an [`infra::paging::Page`] of
/// anything that converts into the item.
macro_rules! page_type {
    ($($name:ident => $item:ty),* $(,)?) => {$(
        #[doc = concat!("A page of `", stringify!($item), "`.")]
        #[derive(Debug, ::poem_openapi::Object)]
        pub struct $name {
            /// The rows, oldest first (the audit log: newest first).
            pub items: Vec<$item>,
            /// Pass as `cursor` to get the next page; absent on the last page.
            #[oai(skip_serializing_if_is_none)]
            pub next_cursor: Option<String>,
        }

        impl<T: Into<$item>> From<::infra::paging::Page<T>> for $name {
            fn from(page: ::infra::paging::Page<T>) -> Self {
                Self { items: page.items.into_iter().map(Into::into).collect(), next_cursor: page.next_cursor }
            }
        }
    )*};
}
pub(crate) use page_type;

page_type!(AuditPage => AuditEntry);

/// Ending a record: it stays, marked ended.
#[derive(Debug, Object, Default)]
pub struct EndRequest {
    /// Why (optional, up to 500 characters).
    #[oai(skip_serializing_if_is_none)]
    pub reason: Option<String>,
}

/// A new name (grids, departments).
#[derive(Debug, Object)]
pub struct NamePatch {
    #[oai(skip_serializing_if_is_none)]
    pub name: Option<String>,
}

/// One audit row.
#[derive(Debug, Object)]
pub struct AuditEntry {
    pub id: Uuid,
    pub at: DateTime<Utc>,
    #[oai(skip_serializing_if_is_none)]
    pub account_id: Option<Uuid>,
    #[oai(skip_serializing_if_is_none)]
    pub person_id: Option<Uuid>,
    /// The binding that decided, `role@scope`.
    #[oai(skip_serializing_if_is_none)]
    pub acting_as: Option<String>,
    /// Scope of the target.
    pub scope: String,
    pub action: String,
    pub resource: String,
    /// Target id.
    #[oai(skip_serializing_if_is_none)]
    pub resource_id: Option<String>,
    /// allow or deny.
    pub decision: String,
    /// The rule that decided.
    pub rule: String,
    #[oai(skip_serializing_if_is_none)]
    pub request_id: Option<String>,
}

impl From<infra::audit::AuditEntry> for AuditEntry {
    fn from(a: infra::audit::AuditEntry) -> Self {
        Self {
            id: a.id,
            at: a.at,
            account_id: a.account_id,
            person_id: a.person_id,
            acting_as: a.acting_as,
            scope: a.scope,
            action: a.action,
            resource: a.resource,
            resource_id: a.resource_id,
            decision: a.decision,
            rule: a.rule,
            request_id: a.request_id,
        }
    }
}

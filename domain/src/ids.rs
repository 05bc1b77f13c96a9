//! Newtype ids. Every id is a UUID v7: time-ordered, so keyset paging by id is paging by
//! creation time, and ids can be made on any replica without coordination.

use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

macro_rules! id_type {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A fresh, time-ordered id.
            #[must_use]
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl From<Uuid> for $name {
            fn from(id: Uuid) -> Self {
                Self(id)
            }
        }

        impl From<$name> for Uuid {
            fn from(id: $name) -> Uuid {
                id.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    )*};
}

id_type!(
    /// A community (社区).
    CommunityId,
    /// A grid (网格) inside a community.
    GridId,
    /// A residential estate (小区).
    EstateId,
    /// A property-management company (物业企业).
    PropertyCompanyId,
    /// A service contract (物业服务合同).
    ServiceContractId,
    /// An owners' committee (业主委员会).
    OwnersCommitteeId,
    /// A government department (职能部门).
    DepartmentId,
    /// A person (人员).
    PersonId,
    /// A post (职务) a person holds in an organization.
    PostId,
    /// A login account; belongs to one person.
    AccountId,
);

//! HTTP endpoints under `/api/v1`, grouped by what they serve.

pub mod accounts;
pub mod appointments;
pub mod authz;
pub mod channels;
pub mod complaints;
pub mod meetings;
pub mod notifications;
pub mod organizations;
pub mod oversight;
pub mod people;
pub mod places;

use crate::problem::ApiResult;
use infra::paging::PageRequest;
use poem_openapi::payload::Json;
use poem_openapi::types::ToJSON;
use poem_openapi::{ApiResponse, Tags};

/// Groups in the OpenAPI spec.
#[derive(Tags)]
pub enum Tag {
    /// Sign in, sign out, who am I, accounts.
    Sessions,
    /// Communities, grids and estates.
    Places,
    /// Property companies, service contracts, owners' committees and departments.
    Organizations,
    /// People and their posts.
    People,
    /// Cross-appointments (双向进入、交叉任职) and two-way entry coverage.
    CrossAppointments,
    /// Joint complaints (民有所呼、我有所行): the case, its lifecycle and timeline.
    Complaints,
    /// Oversight (监督考核): figures from the event log, scorecards, appeals, 红黑榜.
    Oversight,
    /// Joint meetings (联席会议): the record, resolutions and the tasks they assign.
    Meetings,
    /// Your inbox (通知): what gives you work.
    Notifications,
    /// Explain decisions and read the audit log.
    Authorization,
}

/// A created record.
#[derive(ApiResponse)]
pub enum Created<T: ToJSON> {
    /// Created.
    #[oai(status = 201)]
    Created(Json<T>),
}

/// Every endpoint group, in the order the spec lists them.
pub type Apis = (
    accounts::AccountsApi,
    places::PlacesApi,
    organizations::OrganizationsApi,
    people::PeopleApi,
    appointments::AppointmentsApi,
    complaints::ComplaintsApi,
    oversight::OversightApi,
    meetings::MeetingsApi,
    notifications::NotificationsApi,
    channels::ChannelsApi,
    authz::AuthzApi,
);

/// The page a list endpoint's `limit` and `cursor` ask for.
fn page(limit: Option<i64>, cursor: Option<String>) -> ApiResult<PageRequest> {
    Ok(PageRequest::parse(limit, cursor.as_deref())?)
}

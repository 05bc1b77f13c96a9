//! What every request handler can reach: the use cases, shared with the portal.

/// Every use case; see [`infra::services::Services`].
pub type AppState = infra::services::Services;

//! Authentication: a bearer token resolves to the actor, with their role bindings as of this
//! request (so a changed post or contract counts at once).

use crate::problem::{ApiError, CarriedProblem};
use crate::state::AppState;
use infra::actor::Actor;
use poem::Request;
use poem_openapi::auth::Bearer;
use poem_openapi::SecurityScheme;

pub use infra::actor::RequestId;

/// What an `Idempotency-Key` on this request is bound to: method, path and body digest
/// ([`infra::idempotency::fingerprint`]), set by the request middleware when the header is present.
#[derive(Debug, Clone)]
pub struct IdempotencyFingerprint(pub String);

/// A signed-in caller. Send `Authorization: Bearer <token>` from `POST /api/v1/sessions`.
#[derive(SecurityScheme)]
#[oai(ty = "bearer", checker = "authenticate")]
pub struct Auth(pub Actor);

async fn authenticate(req: &Request, bearer: Bearer) -> poem::Result<Actor> {
    let state = req
        .data::<AppState>()
        .ok_or_else(|| poem::Error::from_string("no state", poem::http::StatusCode::INTERNAL_SERVER_ERROR))?;
    let request_id = req.extensions().get::<RequestId>().map(|r| r.0.clone());
    state
        .accounts
        .authenticate(&bearer.token, request_id)
        .await
        .map_err(|e| poem::Error::from(CarriedProblem::from(ApiError::from(e))))
}

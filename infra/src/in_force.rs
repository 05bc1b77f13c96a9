//! "In force today" as SQL: the one rule of `domain::registry::in_force` (not ended early,
//! and the dates contain today) for each kind of row that has a term. Use cases filter with
//! these; code holding a row already asks the domain function.

use crate::entities::{owners_committee, post, post_invitation, service_contract};
use chrono::NaiveDate;
use sea_orm::sea_query::Query;
use sea_orm::{ColumnTrait, Condition};

/// A post in force: not ended, started, open-ended or not yet over, and not waiting for
/// the person to accept it.
#[must_use]
pub fn post(today: NaiveDate) -> Condition {
    let awaiting = Query::select()
        .column(post_invitation::Column::PostId)
        .from(post_invitation::Entity)
        .and_where(post_invitation::Column::AcceptedAt.is_null())
        .to_owned();
    Condition::all()
        .add(post::Column::Id.not_in_subquery(awaiting))
        .add(post::Column::EndedAt.is_null())
        .add(post::Column::StartsOn.lte(today))
        .add(Condition::any().add(post::Column::EndsOn.is_null()).add(post::Column::EndsOn.gte(today)))
}

/// A service contract in force.
#[must_use]
pub fn contract(today: NaiveDate) -> Condition {
    Condition::all()
        .add(service_contract::Column::EndedAt.is_null())
        .add(service_contract::Column::StartsOn.lte(today))
        .add(service_contract::Column::EndsOn.gte(today))
}

/// An owners' committee whose term runs.
#[must_use]
pub fn committee(today: NaiveDate) -> Condition {
    Condition::all()
        .add(owners_committee::Column::EndedAt.is_null())
        .add(owners_committee::Column::TermStart.lte(today))
        .add(owners_committee::Column::TermEnd.gte(today))
}

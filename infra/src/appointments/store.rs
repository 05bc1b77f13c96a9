//! The port an appointment decision runs on: the record, locked; whether the home post is
//! held today; whether the person already holds the host post in overlapping dates; saving on
//! the version seen; the history. The database is behind it in the service ([`SqlRecords`],
//! inside the decision's transaction) and a map in the tests below ([`MemoryRecords`]), so a
//! decision's rules are tested without a database.

use super::to_domain;
use crate::actor::Actor;
use crate::entities::{cross_appointment as ca, post};
use crate::error::Result;
use crate::in_force;
use crate::timeline::{self, NewEvent, Stream};
use chrono::{DateTime, NaiveDate, Utc};
use domain::appointment::{AppointmentAction, AppointmentStatus, CrossAppointment, Transition};
use domain::registry::DateRange;
use domain::{Code, DomainError};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QuerySelect};
use std::future::Future;
use uuid::Uuid;

/// What an appointment decision needs from storage.
pub trait Records: Send {
    /// The appointment, locked until the decision ends.
    fn lock(&mut self, id: Uuid) -> impl Future<Output = Result<Option<CrossAppointment>>> + Send;
    /// Whether its home post is held on `today`.
    fn home_post_held(&mut self, a: &CrossAppointment, today: NaiveDate) -> impl Future<Output = Result<bool>> + Send;
    /// Whether the person holds the same host post, active, in dates overlapping `a`'s (another
    /// appointment than `a`).
    fn overlaps(&mut self, a: &CrossAppointment, today: NaiveDate) -> impl Future<Output = Result<bool>> + Send;
    /// Saves it if it is still at `seen`; whether it was.
    fn save(&mut self, a: &CrossAppointment, seen: i32, at: DateTime<Utc>)
        -> impl Future<Output = Result<bool>> + Send;
    /// Appends the decision to its history.
    fn append(
        &mut self,
        id: Uuid,
        acting_as: &str,
        t: Transition,
        note: Option<String>,
        at: DateTime<Utc>,
    ) -> impl Future<Output = Result<()>> + Send;
}

/// Approves, rejects, ends or revokes a locked appointment through `store`: the rules of the
/// record, the overlap with the person's other appointments on approval, the save on the
/// version seen, and the history.
///
/// # Errors
/// As [`CrossAppointment::apply`]; `appointment_overlap`; [`DomainError::StaleVersion`] when the
/// save finds it changed; storage errors.
#[allow(clippy::too_many_arguments)]
pub async fn decide<S: Records>(
    store: &mut S,
    mut a: CrossAppointment,
    action: AppointmentAction,
    seen: i32,
    note: Option<String>,
    acting_as: &str,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<Transition> {
    let locked_version = a.version;
    let held = store.home_post_held(&a, today).await?;
    let transition = a.apply(action, seen, today, held, note.clone())?;
    if action == AppointmentAction::Approve && store.overlaps(&a, today).await? {
        return Err(DomainError::Conflict { code: Code::AppointmentOverlap }.into());
    }
    if !store.save(&a, seen, now).await? {
        return Err(DomainError::StaleVersion { current: locked_version }.into());
    }
    store.append(a.id, acting_as, transition, note, now).await?;
    Ok(transition)
}

/// The database behind [`Records`], inside a decision's transaction.
pub struct SqlRecords<'a> {
    /// The transaction.
    pub txn: &'a DatabaseTransaction,
    /// Who decides.
    pub actor: &'a Actor,
}

impl Records for SqlRecords<'_> {
    async fn lock(&mut self, id: Uuid) -> Result<Option<CrossAppointment>> {
        ca::Entity::find_by_id(id).lock_exclusive().one(self.txn).await?.as_ref().map(to_domain).transpose()
    }

    async fn home_post_held(&mut self, a: &CrossAppointment, today: NaiveDate) -> Result<bool> {
        Ok(post::Entity::find_by_id(a.home_post_id.0).filter(in_force::post(today)).one(self.txn).await?.is_some())
    }

    async fn overlaps(&mut self, a: &CrossAppointment, today: NaiveDate) -> Result<bool> {
        let others = ca::Entity::find()
            .filter(ca::Column::PersonId.eq(a.person_id.0))
            .filter(ca::Column::HostKind.eq(a.host_kind.as_str()))
            .filter(ca::Column::HostId.eq(a.host_id))
            .filter(ca::Column::HostTitle.eq(a.host_title.as_str()))
            .filter(ca::Column::Status.eq(AppointmentStatus::Active.as_str()))
            .filter(ca::Column::EndsOn.gte(today))
            .filter(ca::Column::Id.ne(a.id))
            .all(self.txn)
            .await?;
        Ok(others.iter().any(|o| DateRange { start: o.starts_on, end: Some(o.ends_on) }.overlaps(&a.term)))
    }

    async fn save(&mut self, a: &CrossAppointment, seen: i32, at: DateTime<Utc>) -> Result<bool> {
        let done = ca::Entity::update_many()
            .col_expr(ca::Column::Status, Expr::value(a.status.as_str()))
            .col_expr(ca::Column::EndReason, Expr::value(a.end_reason.clone()))
            .col_expr(ca::Column::Version, Expr::value(a.version))
            .col_expr(ca::Column::DecidedAt, Expr::value(Some(at)))
            .filter(ca::Column::Id.eq(a.id))
            .filter(ca::Column::Version.eq(seen))
            .exec(self.txn)
            .await?;
        Ok(done.rows_affected == 1)
    }

    async fn append(
        &mut self,
        id: Uuid,
        acting_as: &str,
        t: Transition,
        note: Option<String>,
        at: DateTime<Utc>,
    ) -> Result<()> {
        let event = NewEvent {
            actor: Some(self.actor),
            acting_as,
            action: t.action.as_str(),
            from: t.from.map(AppointmentStatus::as_str),
            to: t.to.as_str(),
            note,
            detail: None,
        };
        timeline::append(self.txn, Stream::CrossAppointment(id), event, at).await
    }
}

/// A map behind [`Records`], for tests.
#[derive(Debug, Default)]
pub struct MemoryRecords {
    /// The appointments by id.
    pub records: std::collections::HashMap<Uuid, CrossAppointment>,
    /// Home posts held today.
    pub held_posts: std::collections::HashSet<Uuid>,
    /// (appointment, action, to, note).
    pub history: Vec<(Uuid, AppointmentAction, AppointmentStatus, Option<String>)>,
}

impl Records for MemoryRecords {
    async fn lock(&mut self, id: Uuid) -> Result<Option<CrossAppointment>> {
        Ok(self.records.get(&id).cloned())
    }

    async fn home_post_held(&mut self, a: &CrossAppointment, _today: NaiveDate) -> Result<bool> {
        Ok(self.held_posts.contains(&a.home_post_id.0))
    }

    async fn overlaps(&mut self, a: &CrossAppointment, _today: NaiveDate) -> Result<bool> {
        Ok(self.records.values().any(|o| {
            o.id != a.id
                && o.person_id == a.person_id
                && (o.host_kind, o.host_id, o.host_title) == (a.host_kind, a.host_id, a.host_title)
                && o.status == AppointmentStatus::Active
                && o.term.overlaps(&a.term)
        }))
    }

    async fn save(&mut self, a: &CrossAppointment, seen: i32, _at: DateTime<Utc>) -> Result<bool> {
        if self.records.get(&a.id).map(|r| r.version) != Some(seen) {
            return Ok(false);
        }
        self.records.insert(a.id, a.clone());
        Ok(true)
    }

    async fn append(
        &mut self,
        id: Uuid,
        _acting_as: &str,
        t: Transition,
        note: Option<String>,
        _at: DateTime<Utc>,
    ) -> Result<()> {
        self.history.push((id, t.action, t.to, note));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use domain::appointment::{HostKind, HostTitle};
    use domain::ids::{CommunityId, PersonId, PostId};
    use domain::registry::OrgKind;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 10, 2, 0, 0).single().expect("time")
    }

    fn today() -> NaiveDate {
        domain::clock::local_date(now())
    }

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("day")
    }

    fn proposal(n: u128) -> CrossAppointment {
        CrossAppointment {
            id: Uuid::from_u128(n),
            person_id: PersonId(Uuid::from_u128(100)),
            home_post_id: PostId(Uuid::from_u128(200)),
            home_org_kind: OrgKind::PropertyCompany,
            home_org_id: Uuid::from_u128(300),
            host_kind: HostKind::CommunityCommittees,
            host_id: Uuid::from_u128(400),
            host_title: HostTitle::PartTimeMember,
            community_id: CommunityId(Uuid::from_u128(400)),
            term: DateRange { start: day("2026-01-01"), end: Some(day("2027-12-31")) },
            basis: "纪要".into(),
            status: AppointmentStatus::Proposed,
            end_reason: None,
            version: 0,
        }
    }

    fn store(records: &[CrossAppointment]) -> MemoryRecords {
        let mut s = MemoryRecords::default();
        for r in records {
            s.records.insert(r.id, r.clone());
        }
        s.held_posts.insert(Uuid::from_u128(200));
        s
    }

    async fn run(
        s: &mut MemoryRecords,
        id: u128,
        action: AppointmentAction,
        seen: i32,
        note: Option<&str>,
    ) -> Result<Transition> {
        let a = s.records[&Uuid::from_u128(id)].clone();
        decide(s, a, action, seen, note.map(Into::into), "party_branch_secretary@community", today(), now()).await
    }

    #[tokio::test]
    async fn an_approval_is_saved_with_its_history() {
        let mut s = store(&[proposal(1)]);
        let t = run(&mut s, 1, AppointmentAction::Approve, 0, None).await.expect("approved");
        assert_eq!(t.to, AppointmentStatus::Active);
        assert_eq!(
            (s.records[&Uuid::from_u128(1)].status, s.records[&Uuid::from_u128(1)].version),
            (AppointmentStatus::Active, 1)
        );
        assert_eq!(s.history, [(Uuid::from_u128(1), AppointmentAction::Approve, AppointmentStatus::Active, None)]);
    }

    #[tokio::test]
    async fn an_overlapping_post_an_ended_home_post_or_a_stale_version_is_refused_and_nothing_written() {
        let mut active = proposal(2);
        active.status = AppointmentStatus::Active;
        let mut s = store(&[proposal(1), active]);
        let overlap = run(&mut s, 1, AppointmentAction::Approve, 0, None).await;
        assert!(matches!(overlap, Err(crate::Error::Domain(DomainError::Conflict { code: Code::AppointmentOverlap }))));
        let mut s = store(&[proposal(1)]);
        s.held_posts.clear();
        let ended = run(&mut s, 1, AppointmentAction::Approve, 0, None).await;
        assert!(matches!(ended, Err(crate::Error::Domain(DomainError::Conflict { code: Code::HomePostEnded }))));
        let stale = run(&mut s, 1, AppointmentAction::Reject, 3, Some("不符合条件")).await;
        assert!(matches!(stale, Err(crate::Error::Domain(DomainError::StaleVersion { current: 0 }))));
        assert_eq!(s.records[&Uuid::from_u128(1)].status, AppointmentStatus::Proposed);
        assert!(s.history.is_empty());
    }

    #[tokio::test]
    async fn ending_early_keeps_the_reason() {
        let mut s = store(&[proposal(1)]);
        run(&mut s, 1, AppointmentAction::Approve, 0, None).await.expect("approved");
        run(&mut s, 1, AppointmentAction::End, 1, Some("调离本职")).await.expect("ended");
        let a = &s.records[&Uuid::from_u128(1)];
        assert_eq!((a.status, a.end_reason.as_deref()), (AppointmentStatus::Ended, Some("调离本职")));
        assert_eq!(s.history.last().map(|h| h.3.as_deref()), Some(Some("调离本职")));
    }
}

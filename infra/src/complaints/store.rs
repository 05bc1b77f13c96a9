//! The port a complaint action runs on: what a change needs from storage once the case is
//! locked and the action allowed (recording a co-signer, saving on the version seen, the
//! timeline), as a trait. The database is behind it in the service ([`SqlCases`], inside the
//! action's transaction) and a map in the tests below ([`MemoryCases`]), so the write path's
//! own rules (the version, the co-signers, the committee's deadlines, the event it leaves) are
//! tested without a database.

use super::Complaint;
use crate::actor::Actor;
use crate::entities::{complaint as cm, complaint_cosigner as cs};
use crate::error::Result;
use crate::timeline::{self, NewEvent, Stream};
use chrono::{DateTime, Utc};
use domain::complaint::{ActionInput, ActorFacts, ComplaintAction, ComplaintStatus, DeadlineRules, Transition};
use domain::ids::PersonId;
use domain::{Code, DomainError};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ActiveValue::Set, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter};
use std::future::Future;
use uuid::Uuid;

/// One timeline event as a change leaves it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseEvent {
    /// The binding the actor acted as (`role@scope`).
    pub acting_as: String,
    /// The action.
    pub action: ComplaintAction,
    /// Status before.
    pub from: ComplaintStatus,
    /// Status after.
    pub to: ComplaintStatus,
    /// The reason and the note, joined.
    pub note: Option<String>,
    /// What the action carried (a rating, a department, a new deadline).
    pub detail: Option<String>,
}

/// What a complaint action needs from storage.
pub trait Cases: Send {
    /// Records `person` as a co-signer; [`Code::AlreadyCosigned`] if they already are one.
    fn add_cosigner(
        &mut self,
        id: Uuid,
        person: PersonId,
        as_committee: bool,
        at: DateTime<Utc>,
    ) -> impl Future<Output = Result<()>> + Send;
    /// Saves the case if it is still at `seen` (the version the caller acted on); whether it was.
    fn save(&mut self, c: &Complaint, seen: i32, at: DateTime<Utc>) -> impl Future<Output = Result<bool>> + Send;
    /// Appends an event to the case's timeline.
    fn append(&mut self, id: Uuid, event: CaseEvent, at: DateTime<Utc>) -> impl Future<Output = Result<()>> + Send;
}

/// Who acts, and what the action carries, for [`take`].
#[derive(Debug, Clone)]
pub struct Change {
    /// The person acting.
    pub person: PersonId,
    /// The binding they act as.
    pub acting_as: String,
    /// What they are to the case.
    pub facts: ActorFacts,
    /// The action.
    pub action: ComplaintAction,
    /// What it carries, with the version seen.
    pub input: ActionInput,
}

/// Takes an action on a locked case, changing `c` to what is saved: the state machine's rules,
/// the co-signer, the save on the version seen, and the event, all through `store` (in the
/// action's transaction).
///
/// # Errors
/// As [`Complaint::apply`]; [`DomainError::StaleVersion`] when the save finds the case changed;
/// storage errors.
pub async fn take<S: Cases>(
    store: &mut S,
    c: &mut Complaint,
    change: Change,
    rules: &DeadlineRules,
    now: DateTime<Utc>,
) -> Result<Transition> {
    let locked_version = c.version;
    let Change { person, acting_as, facts, action, input } = change;
    let transition = c.apply(action, &input, facts, rules, now)?;
    if action == ComplaintAction::Cosign {
        store.add_cosigner(c.id, person, facts.on_committee, now).await?;
        c.cosign_count += 1;
        if facts.on_committee {
            c.raise_for_committee(rules);
        }
    }
    if !store.save(c, input.version, now).await? {
        return Err(DomainError::StaleVersion { current: locked_version }.into());
    }
    let detail = match action {
        ComplaintAction::Confirm => input.rating.map(|r| format!("rating={r}")),
        ComplaintAction::Escalate => input.department_id.map(|d| format!("department_id={d}")),
        ComplaintAction::OrderRedo => input.resolve_by.map(|at| format!("resolve_by={}", at.to_rfc3339())),
        ComplaintAction::Cosign if facts.on_committee => Some("as_committee=true".to_owned()),
        ComplaintAction::Accept
        | ComplaintAction::Return
        | ComplaintAction::Reassign
        | ComplaintAction::Resolve
        | ComplaintAction::Dispute
        | ComplaintAction::Mediate
        | ComplaintAction::Uphold
        | ComplaintAction::ReportIn
        | ComplaintAction::Answer
        | ComplaintAction::Withdraw
        | ComplaintAction::Reopen
        | ComplaintAction::Urge
        | ComplaintAction::Comment
        | ComplaintAction::Cosign
        | ComplaintAction::AutoClose
        | ComplaintAction::File => None,
    };
    let note = match (input.reason, input.note) {
        (Some(r), Some(n)) => Some(format!("{r}（{n}）")),
        (r, n) => r.or(n),
    };
    let event = CaseEvent { acting_as, action, from: transition.from, to: transition.to, note, detail };
    store.append(c.id, event, now).await?;
    Ok(transition)
}

/// The database behind [`Cases`], inside an action's transaction.
pub struct SqlCases<'a> {
    /// The transaction.
    pub txn: &'a DatabaseTransaction,
    /// Who acts (for the event's person and account).
    pub actor: &'a Actor,
}

impl Cases for SqlCases<'_> {
    async fn add_cosigner(&mut self, id: Uuid, person: PersonId, as_committee: bool, at: DateTime<Utc>) -> Result<()> {
        // Two co-signatures of one person racing on PostgreSQL: the second waits for the case's
        // lock and then sees the newest case row, but its co-signer lookup was made before the
        // wait. The row the first wrote is found here, and refused as the state machine would.
        let added = cs::Entity::insert(cs::ActiveModel {
            complaint_id: Set(id),
            person_id: Set(person.0),
            as_committee: Set(as_committee),
            at: Set(at),
        })
        .on_conflict(OnConflict::columns([cs::Column::ComplaintId, cs::Column::PersonId]).do_nothing().to_owned())
        .exec_without_returning(self.txn)
        .await?;
        if added == 0 {
            return Err(DomainError::Conflict { code: Code::AlreadyCosigned }.into());
        }
        Ok(())
    }

    async fn save(&mut self, c: &Complaint, seen: i32, at: DateTime<Utc>) -> Result<bool> {
        let done = cm::Entity::update_many()
            .col_expr(cm::Column::Status, Expr::value(c.status.as_str()))
            .col_expr(cm::Column::Priority, Expr::value(c.priority.as_str()))
            .col_expr(cm::Column::Joint, Expr::value(c.joint))
            .col_expr(cm::Column::DepartmentId, Expr::value(c.department_id.map(|d| d.0)))
            .col_expr(cm::Column::ReportedIn, Expr::value(c.reported_in))
            .col_expr(cm::Column::RespondBy, Expr::value(c.respond_by))
            .col_expr(cm::Column::ResolveBy, Expr::value(c.resolve_by))
            .col_expr(cm::Column::ResolvedAt, Expr::value(c.resolved_at))
            .col_expr(cm::Column::ClosedAt, Expr::value(c.closed_at))
            .col_expr(cm::Column::Rating, Expr::value(c.rating.map(|r| r.as_str().to_owned())))
            .col_expr(cm::Column::CosignCount, Expr::value(c.cosign_count))
            .col_expr(cm::Column::Version, Expr::value(c.version))
            .col_expr(cm::Column::LastEventAt, Expr::value(Some(at)))
            .filter(cm::Column::Id.eq(c.id))
            .filter(cm::Column::Version.eq(seen))
            .exec(self.txn)
            .await?;
        Ok(done.rows_affected == 1)
    }

    async fn append(&mut self, id: Uuid, e: CaseEvent, at: DateTime<Utc>) -> Result<()> {
        let event = NewEvent {
            actor: Some(self.actor),
            acting_as: &e.acting_as,
            action: e.action.as_str(),
            from: Some(e.from.as_str()),
            to: e.to.as_str(),
            note: e.note,
            detail: e.detail,
        };
        timeline::append(self.txn, Stream::Complaint(id), event, at).await
    }
}

/// A map behind [`Cases`], for tests: the cases, the co-signers and the timeline, and a switch
/// that makes the next save find the case changed (as a racing writer would).
#[derive(Debug, Default)]
pub struct MemoryCases {
    /// The cases by id.
    pub cases: std::collections::HashMap<Uuid, Complaint>,
    /// (case, person, as committee).
    pub cosigners: Vec<(Uuid, PersonId, bool)>,
    /// (case, event).
    pub events: Vec<(Uuid, CaseEvent)>,
    /// The next save finds another writer got there first.
    pub lose_next_race: bool,
}

impl Cases for MemoryCases {
    async fn add_cosigner(&mut self, id: Uuid, person: PersonId, as_committee: bool, _at: DateTime<Utc>) -> Result<()> {
        if self.cosigners.iter().any(|(case, p, _)| (*case, *p) == (id, person)) {
            return Err(DomainError::Conflict { code: Code::AlreadyCosigned }.into());
        }
        self.cosigners.push((id, person, as_committee));
        Ok(())
    }

    async fn save(&mut self, c: &Complaint, seen: i32, _at: DateTime<Utc>) -> Result<bool> {
        let stored = self.cases.get(&c.id).map(|s| s.version);
        if std::mem::take(&mut self.lose_next_race) || stored != Some(seen) {
            return Ok(false);
        }
        self.cases.insert(c.id, c.clone());
        Ok(true)
    }

    async fn append(&mut self, id: Uuid, event: CaseEvent, _at: DateTime<Utc>) -> Result<()> {
        self.events.push((id, event));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};
    use domain::complaint::{Category, Priority, Rating};
    use domain::ids::{CommunityId, EstateId, PropertyCompanyId};

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 10, 2, 0, 0).single().expect("time")
    }

    fn rules() -> DeadlineRules {
        DeadlineRules::parse("urgent=2h/24h,normal=24h/7d,complex=24h/15d").expect("rules")
    }

    fn case(status: ComplaintStatus) -> Complaint {
        let (respond_by, resolve_by) = rules().deadlines(Priority::Normal, now() - Duration::hours(3));
        Complaint {
            id: Uuid::from_u128(1),
            case_number: "CFL-2026-000001".into(),
            estate_id: EstateId(Uuid::from_u128(2)),
            community_id: CommunityId(Uuid::from_u128(3)),
            category: Category::Repair,
            priority: Priority::Normal,
            title: "楼道灯不亮".into(),
            description: "已一周".into(),
            filer_id: PersonId(Uuid::from_u128(4)),
            for_committee: false,
            handling_company_id: Some(PropertyCompanyId(Uuid::from_u128(5))),
            department_id: None,
            reported_in: false,
            status,
            respond_by,
            resolve_by,
            resolved_at: None,
            closed_at: None,
            rating: None,
            cosign_count: 0,
            joint: false,
            filed_at: now() - Duration::hours(3),
            version: 2,
        }
    }

    fn store_with(c: &Complaint) -> MemoryCases {
        let mut store = MemoryCases::default();
        store.cases.insert(c.id, c.clone());
        store
    }

    fn change(action: ComplaintAction, facts: ActorFacts, input: ActionInput) -> Change {
        Change { person: PersonId(Uuid::from_u128(9)), acting_as: "test@estate".into(), facts, action, input }
    }

    fn company() -> ActorFacts {
        ActorFacts { in_handling_company: true, ..ActorFacts::default() }
    }

    #[tokio::test]
    async fn an_action_saves_the_case_and_leaves_one_event() {
        let c = case(ComplaintStatus::Submitted);
        let mut store = store_with(&c);
        let input = ActionInput { version: 2, note: Some("已派人".into()), ..ActionInput::default() };
        let t = take(&mut store, &mut c.clone(), change(ComplaintAction::Accept, company(), input), &rules(), now())
            .await
            .expect("accepted");
        assert_eq!((t.from, t.to), (ComplaintStatus::Submitted, ComplaintStatus::Accepted));
        let saved = &store.cases[&c.id];
        assert_eq!((saved.status, saved.version), (ComplaintStatus::Accepted, 3));
        assert_eq!(store.events.len(), 1);
        assert_eq!(store.events[0].1.note.as_deref(), Some("已派人"));
        assert_eq!(store.events[0].1.acting_as, "test@estate");
    }

    #[tokio::test]
    async fn a_stale_version_or_a_lost_race_changes_nothing() {
        let c = case(ComplaintStatus::Submitted);
        let mut store = store_with(&c);
        let stale = ActionInput { version: 1, ..ActionInput::default() };
        let err =
            take(&mut store, &mut c.clone(), change(ComplaintAction::Accept, company(), stale), &rules(), now()).await;
        assert!(matches!(err, Err(crate::Error::Domain(DomainError::StaleVersion { current: 2 }))));
        store.lose_next_race = true;
        let input = ActionInput { version: 2, ..ActionInput::default() };
        let err =
            take(&mut store, &mut c.clone(), change(ComplaintAction::Accept, company(), input), &rules(), now()).await;
        assert!(matches!(err, Err(crate::Error::Domain(DomainError::StaleVersion { current: 2 }))));
        assert_eq!(store.cases[&c.id].status, ComplaintStatus::Submitted);
        assert!(store.events.is_empty(), "no event for a change that did not happen");
    }

    #[tokio::test]
    async fn the_wrong_party_or_moment_is_refused_before_anything_is_written() {
        let c = case(ComplaintStatus::Submitted);
        let mut store = store_with(&c);
        let input = ActionInput { version: 2, ..ActionInput::default() };
        let not_company = take(
            &mut store,
            &mut c.clone(),
            change(ComplaintAction::Accept, ActorFacts::default(), input.clone()),
            &rules(),
            now(),
        )
        .await;
        assert!(not_company.is_err());
        let too_early = take(
            &mut store,
            &mut c.clone(),
            change(ComplaintAction::Confirm, ActorFacts { is_filer: true, ..ActorFacts::default() }, input),
            &rules(),
            now(),
        )
        .await;
        assert!(matches!(too_early, Err(crate::Error::Domain(DomainError::InvalidTransition { .. }))));
        assert!(store.events.is_empty() && store.cosigners.is_empty());
    }

    #[tokio::test]
    async fn a_committee_cosigning_records_the_cosigner_and_raises_the_case() {
        let c = case(ComplaintStatus::Accepted);
        let mut store = store_with(&c);
        let facts = ActorFacts { on_committee: true, ..ActorFacts::default() };
        let input = ActionInput { version: 2, ..ActionInput::default() };
        take(&mut store, &mut c.clone(), change(ComplaintAction::Cosign, facts, input), &rules(), now())
            .await
            .expect("co-signed");
        assert_eq!(store.cosigners, [(c.id, PersonId(Uuid::from_u128(9)), true)]);
        let saved = &store.cases[&c.id];
        assert_eq!(saved.cosign_count, 1);
        assert!(saved.joint, "a committee's co-signature makes it a joint case");
        assert_eq!(store.events[0].1.detail.as_deref(), Some("as_committee=true"));
        // The same person again, their earlier co-signature unseen (a racing request): refused
        // by the store, and nothing more is written.
        let saved = saved.clone();
        let input = ActionInput { version: saved.version, ..ActionInput::default() };
        let again =
            take(&mut store, &mut saved.clone(), change(ComplaintAction::Cosign, facts, input), &rules(), now()).await;
        assert!(matches!(again, Err(crate::Error::Domain(DomainError::Conflict { code: Code::AlreadyCosigned }))));
        assert_eq!((store.cosigners.len(), store.events.len(), store.cases[&c.id].cosign_count), (1, 1, 1));
    }

    #[tokio::test]
    async fn a_confirmation_carries_its_rating_and_a_return_its_reason() {
        let mut c = case(ComplaintStatus::Resolved);
        c.resolved_at = Some(now() - Duration::hours(1));
        let mut store = store_with(&c);
        let filer = ActorFacts { is_filer: true, ..ActorFacts::default() };
        let input = ActionInput { version: 2, rating: Some(Rating::Satisfied), ..ActionInput::default() };
        take(&mut store, &mut c.clone(), change(ComplaintAction::Confirm, filer, input), &rules(), now())
            .await
            .expect("confirmed");
        assert_eq!(store.events[0].1.detail.as_deref(), Some("rating=satisfied"));
        let c = case(ComplaintStatus::Submitted);
        let mut store = store_with(&c);
        let input = ActionInput {
            version: 2,
            reason: Some("非本公司".into()),
            note: Some("转社区".into()),
            ..ActionInput::default()
        };
        take(&mut store, &mut c.clone(), change(ComplaintAction::Return, company(), input), &rules(), now())
            .await
            .expect("returned");
        assert_eq!(store.events[0].1.note.as_deref(), Some("非本公司（转社区）"));
    }
}

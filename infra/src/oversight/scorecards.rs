//! Scorecards (物业服务考核): drafts computed live, publication as frozen editions, appeals
//! and the branch's decisions, the 红黑榜, and the scoring rules held as data.

use super::{company_names, load, Narrow, Oversight};
use crate::actor::Actor;
use crate::authz::Bindings;
use crate::entities::{estate, scorecard as sc, scorecard_appeal as ap, scoring_rule, service_contract};
use crate::error::{Error, Result};
use crate::in_force;
use crate::timeline::{self, NewEvent, Stream};
use chrono::{DateTime, Utc};
use domain::authz::{Action, Resource, Role, Scope};
use domain::ids::{CommunityId, EstateId, PropertyCompanyId};
use domain::oversight::{appeal_open, board, CaseHistory, Figures, Month, Period, ScoringRules, Standing, BOARD_SIZE};
use domain::registry::REASON_MAX_CHARS;
use domain::{Code, DomainError};
use sea_orm::sea_query::Query;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use uuid::Uuid;

/// A company's scorecard for a month in a community: a published edition, or a draft.
#[derive(Debug, Clone, Serialize)]
pub struct Scorecard {
    /// The published edition; none for a draft.
    pub id: Option<Uuid>,
    /// The community.
    pub community_id: CommunityId,
    /// The company.
    pub company_id: PropertyCompanyId,
    /// The company's name.
    pub company_name: String,
    /// The month.
    pub month: String,
    /// 1 for the first publication, then one more for each correction; 0 for a draft.
    pub edition: i32,
    /// Whether this is the edition shown (a draft is never current).
    pub current: bool,
    /// When it was published.
    pub published_at: Option<DateTime<Utc>>,
    /// The score, 0 to 100.
    pub score: f64,
    /// Points from the three rates.
    pub from_rates: f64,
    /// Points taken off.
    pub deducted: f64,
    /// Its grade.
    pub grade: domain::oversight::Grade,
    /// Cases filed in the month.
    pub sample: u64,
    /// The figures it was scored on.
    pub figures: Figures,
    /// The rules it was scored by.
    pub rules: ScoringRules,
    /// The edition it corrects.
    pub corrects: Option<Uuid>,
    /// The decision note of the appeal that corrected it.
    pub note: Option<String>,
    /// Until when the company may appeal it (published editions only).
    pub appeal_until: Option<DateTime<Utc>>,
}

/// A month's scorecards in a community.
#[derive(Debug, Clone, Serialize)]
pub struct MonthCards {
    /// The community.
    pub community_id: CommunityId,
    /// The month.
    pub month: String,
    /// Whether the month is published (else these are drafts, seen only by the branch).
    pub published: bool,
    /// The scorecards the caller may see, best score first.
    pub cards: Vec<Scorecard>,
}

/// An appeal on a scorecard.
#[derive(Debug, Clone, Serialize)]
pub struct Appeal {
    /// The appeal.
    pub id: Uuid,
    /// The edition appealed.
    pub scorecard_id: Uuid,
    /// The company.
    pub company_id: PropertyCompanyId,
    /// The community.
    pub community_id: CommunityId,
    /// When it was filed.
    pub filed_at: DateTime<Utc>,
    /// The company's reason.
    pub reason: String,
    /// `pending`, `upheld` or `rejected`.
    pub status: String,
    /// When it was decided.
    pub decided_at: Option<DateTime<Utc>>,
    /// The branch's note.
    pub decision_note: Option<String>,
    /// The corrected edition an upheld appeal published.
    pub corrected_scorecard_id: Option<Uuid>,
}

/// One side of a board.
#[derive(Debug, Clone, Serialize)]
pub struct BoardEntry {
    /// The company.
    pub company_id: PropertyCompanyId,
    /// Its name.
    pub company_name: String,
    /// Its score (the current edition's; for the county, the mean over its communities
    /// weighted by sample).
    pub score: f64,
    /// Cases filed.
    pub sample: u64,
}

/// The 红黑榜 of a month, from published scorecards only.
#[derive(Debug, Clone, Serialize)]
pub struct Board {
    /// The month.
    pub month: String,
    /// The community, or none for the county.
    pub community_id: Option<CommunityId>,
    /// The fewest cases a company needs to be ranked.
    pub min_sample: u64,
    /// 红榜: the best.
    pub red: Vec<BoardEntry>,
    /// 黑榜: the worst.
    pub black: Vec<BoardEntry>,
}

impl Oversight {
    /// The scoring rules in force: the stored row, or the defaults.
    ///
    /// # Errors
    /// Database errors; a stored row that does not parse.
    pub async fn rules<C: ConnectionTrait>(&self, conn: &C) -> Result<ScoringRules> {
        match scoring_rule::Entity::find_by_id(1).one(conn).await? {
            Some(row) => serde_json::from_str(&row.rules).map_err(|e| Error::Unexpected(format!("scoring rules: {e}"))),
            None => Ok(ScoringRules::default()),
        }
    }

    /// Replaces the scoring rules (used for scorecards published from now on).
    ///
    /// # Errors
    /// Forbidden (audited) for anyone but an administrator; [`Code::InvalidScoringRules`].
    pub async fn set_rules(&self, actor: &Actor, rules: ScoringRules) -> Result<ScoringRules> {
        let decision = self.gate.require(actor, Resource::Scorecard, Action::Update, &[Scope::County], None).await?;
        rules.check().map_err(|code| DomainError::field("rules", code))?;
        let write = self.gate.write(actor, decision, Uuid::nil(), Bindings::Same).await?;
        let text = serde_json::to_string(&rules).map_err(|e| Error::Unexpected(e.to_string()))?;
        let now = self.clock.now();
        let exists = scoring_rule::Entity::find_by_id(1).one(write.conn()).await?.is_some();
        let row = scoring_rule::ActiveModel { id: Set(1), rules: Set(text), updated_at: Set(now) };
        if exists {
            scoring_rule::Entity::update(row).exec(write.conn()).await?;
        } else {
            scoring_rule::Entity::insert(row).exec_without_returning(write.conn()).await?;
        }
        write.commit().await?;
        Ok(rules)
    }

    /// The scopes a scorecard of `company` in `community` lies in: the company, the estates
    /// of the community it serves today (so their owners' committees see it, and whoever
    /// works for it there is recused from judging it), the community and the county.
    pub(super) async fn card_chain(&self, community: CommunityId, company: PropertyCompanyId) -> Result<Vec<Scope>> {
        let today = self.clock.today();
        let served: Vec<Uuid> = service_contract::Entity::find()
            .select_only()
            .column(service_contract::Column::EstateId)
            .filter(in_force::contract(today))
            .filter(service_contract::Column::CompanyId.eq(company.0))
            .filter(service_contract::Column::EstateId.in_subquery(estates_in(community)))
            .into_tuple()
            .all(&self.db)
            .await?;
        let mut chain = vec![Scope::Company(company)];
        chain.extend(served.into_iter().map(|e| Scope::Estate(EstateId(e))));
        chain.extend([Scope::Community(community), Scope::County]);
        Ok(chain)
    }

    fn card_of(row: sc::Model, name: String) -> Result<Scorecard> {
        let figures: Figures =
            serde_json::from_str(&row.figures).map_err(|e| Error::Unexpected(format!("scorecard: {e}")))?;
        let rules: ScoringRules =
            serde_json::from_str(&row.rules).map_err(|e| Error::Unexpected(format!("scorecard: {e}")))?;
        let score = rules.score(&figures);
        Ok(Scorecard {
            id: Some(row.id),
            community_id: CommunityId(row.community_id),
            company_id: PropertyCompanyId(row.company_id),
            company_name: name,
            month: row.month,
            edition: row.edition,
            current: row.current,
            published_at: Some(row.published_at),
            score: row.score,
            from_rates: score.from_rates,
            deducted: score.deducted,
            grade: row.grade.parse().map_err(|_| Error::Unexpected(format!("grade {}", row.grade)))?,
            #[allow(clippy::cast_sign_loss)]
            sample: row.sample.max(0) as u64,
            figures,
            rules,
            corrects: row.corrects,
            note: row.note,
            appeal_until: Some(row.published_at + chrono::Duration::days(domain::oversight::APPEAL_WITHIN_DAYS)),
        })
    }

    /// A month's scorecards in a community: the current published editions the caller may
    /// see, or, before publication, the drafts (to the party branch only).
    ///
    /// # Errors
    /// Forbidden (audited) when the caller may see none of them; database errors.
    pub async fn scorecards(&self, actor: &Actor, community: CommunityId, month: Month) -> Result<MonthCards> {
        let published = sc::Entity::find()
            .filter(sc::Column::CommunityId.eq(community.0))
            .filter(sc::Column::Month.eq(month.to_string()))
            .filter(sc::Column::Current.eq(true))
            .order_by_desc(sc::Column::Score)
            .all(&self.db)
            .await?;
        let community_chain = [Scope::Community(community), Scope::County];
        if published.is_empty() {
            self.gate.require(actor, Resource::Scorecard, Action::ReadDraft, &community_chain, None).await?;
            let rules = self.rules(&self.db).await?;
            let mut cards = self.drafts(community, month, &rules).await?;
            cards.sort_by(|a, b| b.score.total_cmp(&a.score));
            return Ok(MonthCards { community_id: community, month: month.to_string(), published: false, cards });
        }
        let names = self.company_names(published.iter().map(|r| PropertyCompanyId(r.company_id))).await?;
        let mut cards = Vec::new();
        for row in published {
            let chain = self.card_chain(community, PropertyCompanyId(row.company_id)).await?;
            if self.gate.allows(actor, Resource::Scorecard, Action::Read, &chain) {
                let name = names.get(&PropertyCompanyId(row.company_id)).cloned().unwrap_or_default();
                cards.push(Self::card_of(row, name)?);
            }
        }
        if cards.is_empty() {
            // Nothing the caller may see: asked once more through the gate, so the deny is
            // audited and answered as such.
            self.gate.require(actor, Resource::Scorecard, Action::Read, &community_chain, None).await?;
        }
        Ok(MonthCards { community_id: community, month: month.to_string(), published: true, cards })
    }

    /// One published edition, with every edition of the same company's month (newest
    /// first) and its appeals.
    ///
    /// # Errors
    /// Not found (also when not the caller's to see); database errors.
    pub async fn scorecard(&self, actor: &Actor, id: Uuid) -> Result<(Vec<Scorecard>, Vec<Appeal>)> {
        let row =
            sc::Entity::find_by_id(id).one(&self.db).await?.ok_or(DomainError::NotFound { entity: "scorecard" })?;
        let (community, company) = (CommunityId(row.community_id), PropertyCompanyId(row.company_id));
        let chain = self.card_chain(community, company).await?;
        self.gate.require_visible(actor, Resource::Scorecard, &chain, id, "scorecard").await?;
        let name = self.company_names(std::iter::once(company)).await?.remove(&company).unwrap_or_default();
        let editions = sc::Entity::find()
            .filter(sc::Column::CommunityId.eq(community.0))
            .filter(sc::Column::CompanyId.eq(company.0))
            .filter(sc::Column::Month.eq(row.month.clone()))
            .order_by_desc(sc::Column::Edition)
            .all(&self.db)
            .await?
            .into_iter()
            .map(|r| Self::card_of(r, name.clone()))
            .collect::<Result<Vec<_>>>()?;
        let ids: Vec<Uuid> = editions.iter().filter_map(|e| e.id).collect();
        let appeals = ap::Entity::find()
            .filter(ap::Column::ScorecardId.is_in(ids))
            .order_by_asc(ap::Column::FiledAt)
            .all(&self.db)
            .await?
            .into_iter()
            .map(appeal_of)
            .collect();
        Ok((editions, appeals))
    }

    /// Publishes a community's month: each company's draft becomes edition 1, frozen.
    ///
    /// # Errors
    /// Forbidden (audited) for anyone but the community's party branch secretary;
    /// [`Code::MonthNotOver`], [`Code::AlreadyPublished`], [`Code::NothingToPublish`].
    pub async fn publish(&self, actor: &Actor, community: CommunityId, month: Month) -> Result<MonthCards> {
        let chain = [Scope::Community(community), Scope::County];
        let decision = self.gate.require(actor, Resource::Scorecard, Action::Publish, &chain, None).await?;
        let period = Period::month(month).ok_or(DomainError::field("month", Code::InvalidMonth))?;
        let now = self.clock.now();
        if now < period.to {
            return Err(DomainError::Conflict { code: Code::MonthNotOver }.into());
        }
        let rules = self.rules(&self.db).await?;
        let drafts = self.drafts(community, month, &rules).await?;
        if drafts.is_empty() {
            return Err(DomainError::Conflict { code: Code::NothingToPublish }.into());
        }
        let acting_as = decision.acting_as.clone().unwrap_or_default();
        let mut write = self.gate.write(actor, decision.clone(), community.0, Bindings::Same).await?;
        let txn = write.conn();
        // The unique (community, company, month, edition) index makes a racing second
        // publication fail; this check gives the usual answer first.
        let already = sc::Entity::find()
            .filter(sc::Column::CommunityId.eq(community.0))
            .filter(sc::Column::Month.eq(month.to_string()))
            .one(txn)
            .await?;
        if already.is_some() {
            return Err(DomainError::Conflict { code: Code::AlreadyPublished }.into());
        }
        let rules_text = serde_json::to_string(&rules).map_err(|e| Error::Unexpected(e.to_string()))?;
        let mut ids = Vec::new();
        for card in &drafts {
            let id = Uuid::now_v7();
            insert_card(txn, id, card, 1, now, actor.person_id.0, &rules_text, None, None).await?;
            timeline::append(
                txn,
                Stream::Scorecard(id),
                NewEvent {
                    actor: Some(actor),
                    acting_as: &acting_as,
                    action: "publish",
                    from: None,
                    to: "published",
                    note: None,
                    detail: Some(format!("score={}", card.score)),
                },
                now,
            )
            .await?;
            ids.push(id);
        }
        for id in &ids[1..] {
            write.also(decision.clone(), *id);
        }
        write.commit().await?;
        self.scorecards(actor, community, month).await
    }

    /// The company's appeal (异议) on a published edition, within 7 days of its publication.
    ///
    /// # Errors
    /// Not found when not the caller's to see; forbidden (audited) for anyone but the scored
    /// company's manager; [`Code::AppealWindowOver`], [`Code::AppealPending`], a missing or
    /// long reason.
    pub async fn appeal(&self, actor: &Actor, scorecard_id: Uuid, reason: &str) -> Result<Appeal> {
        let row = sc::Entity::find_by_id(scorecard_id)
            .one(&self.db)
            .await?
            .ok_or(DomainError::NotFound { entity: "scorecard" })?;
        let (community, company) = (CommunityId(row.community_id), PropertyCompanyId(row.company_id));
        let chain = self.card_chain(community, company).await?;
        self.gate.require_visible(actor, Resource::Scorecard, &chain, scorecard_id, "scorecard").await?;
        let decision =
            self.gate.require(actor, Resource::Scorecard, Action::Appeal, &chain, Some(scorecard_id)).await?;
        let manages =
            actor.bindings.iter().any(|b| b.role == Role::PropertyManager && b.scope == Scope::Company(company));
        if !manages {
            return Err(DomainError::Conflict { code: Code::NotTheScoredCompany }.into());
        }
        let mut v = domain::error::Validator::new();
        if reason.trim().is_empty() {
            v.add("reason", Code::Required);
        }
        v.optional_text("reason", Some(reason), REASON_MAX_CHARS);
        v.finish()?;
        let now = self.clock.now();
        if !row.current {
            return Err(DomainError::Conflict { code: Code::InvalidTransition }.into());
        }
        if !appeal_open(row.published_at, now) {
            return Err(DomainError::Conflict { code: Code::AppealWindowOver }.into());
        }
        let acting_as = decision.acting_as.clone().unwrap_or_default();
        let write = self.gate.write(actor, decision, scorecard_id, Bindings::Same).await?;
        let txn = write.conn();
        // Read again under a row lock: an upheld appeal may have replaced this edition since,
        // and of two racing appeals the second waits here and then finds the first (the
        // partial unique index on pending appeals stands behind this).
        let row = sc::Entity::find_by_id(scorecard_id)
            .lock_exclusive()
            .one(txn)
            .await?
            .ok_or(DomainError::NotFound { entity: "scorecard" })?;
        if !row.current {
            return Err(DomainError::Conflict { code: Code::InvalidTransition }.into());
        }
        let pending = ap::Entity::find()
            .filter(ap::Column::ScorecardId.eq(scorecard_id))
            .filter(ap::Column::Status.eq("pending"))
            .one(txn)
            .await?;
        if pending.is_some() {
            return Err(DomainError::Conflict { code: Code::AppealPending }.into());
        }
        let id = Uuid::now_v7();
        let model = ap::Model {
            id,
            scorecard_id,
            company_id: company.0,
            community_id: community.0,
            filed_by: actor.person_id.0,
            filed_at: now,
            reason: reason.trim().to_owned(),
            status: "pending".to_owned(),
            decided_by: None,
            decided_at: None,
            decision_note: None,
            corrected_scorecard_id: None,
        };
        ap::Entity::insert(ap::ActiveModel::from(model.clone())).exec_without_returning(txn).await?;
        timeline::append(
            txn,
            Stream::Scorecard(scorecard_id),
            NewEvent {
                actor: Some(actor),
                acting_as: &acting_as,
                action: "appeal",
                from: Some("published"),
                to: "appealed",
                note: Some(model.reason.clone()),
                detail: Some(format!("appeal_id={id}")),
            },
            now,
        )
        .await?;
        write.commit().await?;
        Ok(appeal_of(model))
    }

    /// The branch's decision on an appeal. Upheld: a corrected edition, recomputed from the
    /// events as they stand now, becomes the one shown and the old one stays in the history.
    /// Rejected: the edition stands. Either way with a note.
    ///
    /// # Errors
    /// Not found when not the caller's to see; forbidden (audited) for anyone but the
    /// community's secretary, and for one recused from the company; a decided appeal
    /// ([`Code::AlreadyAnswered`]); a missing note.
    pub async fn decide(&self, actor: &Actor, appeal_id: Uuid, uphold: bool, note: &str) -> Result<Appeal> {
        let appeal =
            ap::Entity::find_by_id(appeal_id).one(&self.db).await?.ok_or(DomainError::NotFound { entity: "appeal" })?;
        let (community, company) = (CommunityId(appeal.community_id), PropertyCompanyId(appeal.company_id));
        let chain = self.card_chain(community, company).await?;
        self.gate.require_visible(actor, Resource::Scorecard, &chain, appeal.scorecard_id, "appeal").await?;
        let decision = self.gate.require(actor, Resource::Scorecard, Action::Decide, &chain, Some(appeal_id)).await?;
        let mut v = domain::error::Validator::new();
        if note.trim().is_empty() {
            v.add("note", Code::Required);
        }
        v.optional_text("note", Some(note), REASON_MAX_CHARS);
        v.finish()?;
        let now = self.clock.now();
        let acting_as = decision.acting_as.clone().unwrap_or_default();
        // The correction is computed before the write begins (on SQLite the write holds the
        // one writer's lock), by the rules the appealed edition was scored by.
        let appealed = sc::Entity::find_by_id(appeal.scorecard_id)
            .one(&self.db)
            .await?
            .ok_or(DomainError::NotFound { entity: "scorecard" })?;
        let rules: ScoringRules =
            serde_json::from_str(&appealed.rules).map_err(|e| Error::Unexpected(format!("scorecard rules: {e}")))?;
        let correction = match (uphold, appealed.month.parse::<Month>()) {
            (true, Ok(month)) => {
                self.drafts(community, month, &rules).await?.into_iter().find(|c| c.company_id == company)
            }
            _ => None,
        };
        let write = self.gate.write(actor, decision, appeal_id, Bindings::Same).await?;
        let txn = write.conn();
        let current = ap::Entity::find_by_id(appeal_id)
            .lock_exclusive()
            .one(txn)
            .await?
            .ok_or(DomainError::NotFound { entity: "appeal" })?;
        if current.status != "pending" {
            return Err(DomainError::Conflict { code: Code::AlreadyAnswered }.into());
        }
        let old = sc::Entity::find_by_id(current.scorecard_id)
            .lock_exclusive()
            .one(txn)
            .await?
            .ok_or(DomainError::NotFound { entity: "scorecard" })?;
        if uphold && !old.current {
            // Another correction replaced this edition after the appeal was filed.
            return Err(DomainError::Conflict { code: Code::InvalidTransition }.into());
        }
        let mut corrected = None;
        if uphold {
            let card = correction.ok_or(DomainError::Conflict { code: Code::NothingToPublish })?;
            let id = Uuid::now_v7();
            sc::Entity::update_many()
                .col_expr(sc::Column::Current, sea_orm::sea_query::Expr::value(false))
                .filter(sc::Column::Id.eq(old.id))
                .exec(txn)
                .await?;
            let rules_text = serde_json::to_string(&rules).map_err(|e| Error::Unexpected(e.to_string()))?;
            insert_card(
                txn,
                id,
                &card,
                old.edition + 1,
                now,
                actor.person_id.0,
                &rules_text,
                Some(old.id),
                Some(note.trim()),
            )
            .await?;
            corrected = Some(id);
            timeline::append(
                txn,
                Stream::Scorecard(id),
                NewEvent {
                    actor: Some(actor),
                    acting_as: &acting_as,
                    action: "publish",
                    from: None,
                    to: "published",
                    note: Some(note.trim().to_owned()),
                    detail: Some(format!("corrects={}", old.id)),
                },
                now,
            )
            .await?;
        }
        let status = if uphold { "upheld" } else { "rejected" };
        ap::Entity::update_many()
            .col_expr(ap::Column::Status, sea_orm::sea_query::Expr::value(status))
            .col_expr(ap::Column::DecidedBy, sea_orm::sea_query::Expr::value(actor.person_id.0))
            .col_expr(ap::Column::DecidedAt, sea_orm::sea_query::Expr::value(now))
            .col_expr(ap::Column::DecisionNote, sea_orm::sea_query::Expr::value(note.trim()))
            .col_expr(ap::Column::CorrectedScorecardId, sea_orm::sea_query::Expr::value(corrected))
            .filter(ap::Column::Id.eq(appeal_id))
            .exec(txn)
            .await?;
        timeline::append(
            txn,
            Stream::Scorecard(old.id),
            NewEvent {
                actor: Some(actor),
                acting_as: &acting_as,
                action: if uphold { "uphold-appeal" } else { "reject-appeal" },
                from: Some("appealed"),
                to: if uphold { "corrected" } else { "published" },
                note: Some(note.trim().to_owned()),
                detail: Some(format!("appeal_id={appeal_id}")),
            },
            now,
        )
        .await?;
        write.commit().await?;
        let row =
            ap::Entity::find_by_id(appeal_id).one(&self.db).await?.ok_or(DomainError::NotFound { entity: "appeal" })?;
        Ok(appeal_of(row))
    }

    /// Appeals the caller may see in a community (pending first), or in every community
    /// they may see appeals in when none is named.
    ///
    /// # Errors
    /// Database errors.
    pub async fn appeals(&self, actor: &Actor, community: Option<CommunityId>) -> Result<Vec<Appeal>> {
        let mut select = ap::Entity::find().order_by_desc(ap::Column::FiledAt);
        if let Some(c) = community {
            select = select.filter(ap::Column::CommunityId.eq(c.0));
        }
        // Pending first, then newest; the caller's are filtered before the list is cut.
        let rows = select.all(&self.db).await?;
        let mut out = Vec::new();
        let mut chains: HashMap<(Uuid, Uuid), Vec<Scope>> = HashMap::new();
        for row in rows {
            let key = (row.community_id, row.company_id);
            let chain = match chains.entry(key) {
                std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::hash_map::Entry::Vacant(e) => {
                    e.insert(self.card_chain(CommunityId(key.0), PropertyCompanyId(key.1)).await?)
                }
            };
            if self.gate.allows(actor, Resource::Scorecard, Action::Read, chain) {
                out.push(appeal_of(row));
            }
        }
        out.sort_by_key(|a| a.status != "pending");
        out.truncate(500);
        Ok(out)
    }

    /// The 红黑榜 of a month, in a community or (none) the county, from the current
    /// published editions. For the county, a company's score is its scores' mean over the
    /// communities it was published in, weighted by sample.
    ///
    /// # Errors
    /// Forbidden (audited) for someone with no account binding; database errors.
    pub async fn board(&self, actor: &Actor, month: Month, community: Option<CommunityId>) -> Result<Board> {
        let chain = match community {
            Some(c) => vec![Scope::Community(c), Scope::County],
            None => vec![Scope::County],
        };
        self.gate.require(actor, Resource::Board, Action::Read, &chain, None).await?;
        let mut select =
            sc::Entity::find().filter(sc::Column::Month.eq(month.to_string())).filter(sc::Column::Current.eq(true));
        if let Some(c) = community {
            select = select.filter(sc::Column::CommunityId.eq(c.0));
        }
        let mut totals: BTreeMap<Uuid, (f64, u64)> = BTreeMap::new();
        for row in select.all(&self.db).await? {
            #[allow(clippy::cast_sign_loss, clippy::cast_precision_loss)]
            let sample = row.sample.max(0) as u64;
            // A card with no case filed weighs nothing in the county's mean (it scores whole
            // on rates with nothing to answer for).
            if sample == 0 {
                continue;
            }
            let entry = totals.entry(row.company_id).or_insert((0.0, 0));
            #[allow(clippy::cast_precision_loss)]
            {
                entry.0 += row.score * sample as f64;
            }
            entry.1 += sample;
        }
        #[allow(clippy::cast_precision_loss)]
        let standings: Vec<Standing> = totals
            .into_iter()
            .map(|(company, (weighted, sample))| Standing {
                company_id: PropertyCompanyId(company),
                score: ((weighted / sample.max(1) as f64) * 10.0).round() / 10.0,
                sample,
            })
            .collect();
        let names = self.company_names(standings.iter().map(|s| s.company_id)).await?;
        let (red, black) = board(standings, self.min_sample, BOARD_SIZE);
        let entry = |s: Standing| BoardEntry {
            company_name: names.get(&s.company_id).cloned().unwrap_or_default(),
            company_id: s.company_id,
            score: s.score,
            sample: s.sample,
        };
        Ok(Board {
            month: month.to_string(),
            community_id: community,
            min_sample: self.min_sample,
            red: red.into_iter().map(entry).collect(),
            black: black.into_iter().map(entry).collect(),
        })
    }
}

/// The estates of a community, as a subquery.
fn estates_in(community: CommunityId) -> sea_orm::sea_query::SelectStatement {
    Query::select()
        .column(estate::Column::Id)
        .from(estate::Entity)
        .and_where(estate::Column::CommunityId.eq(community.0))
        .to_owned()
}

/// Drafts: each company's month in the community, computed now.
pub(crate) async fn drafts<C: ConnectionTrait>(
    conn: &C,
    community: CommunityId,
    month: Month,
    rules: &ScoringRules,
    now: DateTime<Utc>,
) -> Result<Vec<Scorecard>> {
    let period = Period::month(month).ok_or(DomainError::field("month", Code::InvalidMonth))?;
    let cases = load(conn, Scope::Community(community), period, Narrow::default()).await?;
    let mut by_company: BTreeMap<PropertyCompanyId, Vec<&CaseHistory>> = BTreeMap::new();
    for c in &cases {
        if let Some(company) = c.history.company_id {
            by_company.entry(company).or_default().push(&c.history);
        }
    }
    // Companies that served an estate of the community during the month are scored even
    // without a case (a contract not ended before the month began, and its dates meeting it).
    let (first, last) =
        (domain::clock::local_date(period.from), domain::clock::local_date(period.to - chrono::Duration::seconds(1)));
    let serving: Vec<Uuid> = service_contract::Entity::find()
        .select_only()
        .column(service_contract::Column::CompanyId)
        .filter(service_contract::Column::StartsOn.lte(last))
        .filter(service_contract::Column::EndsOn.gte(first))
        .filter(
            sea_orm::Condition::any()
                .add(service_contract::Column::EndedAt.is_null())
                .add(service_contract::Column::EndedAt.gte(period.from)),
        )
        .filter(service_contract::Column::EstateId.in_subquery(estates_in(community)))
        .into_tuple()
        .all(conn)
        .await?;
    for company in serving {
        by_company.entry(PropertyCompanyId(company)).or_default();
    }
    let names = company_names(conn, by_company.keys().copied()).await?;
    Ok(by_company
        .into_iter()
        .map(|(company_id, histories)| {
            let figures = Figures::compute(histories, period, now);
            let score = rules.score(&figures);
            Scorecard {
                id: None,
                community_id: community,
                company_id,
                company_name: names.get(&company_id).cloned().unwrap_or_default(),
                month: month.to_string(),
                edition: 0,
                current: false,
                published_at: None,
                score: score.score,
                from_rates: score.from_rates,
                deducted: score.deducted,
                grade: score.grade,
                sample: figures.filed,
                figures,
                rules: rules.clone(),
                corrects: None,
                note: None,
                appeal_until: None,
            }
        })
        .collect())
}

#[allow(clippy::too_many_arguments)]
pub(crate) async fn insert_card<C: ConnectionTrait>(
    conn: &C,
    id: Uuid,
    card: &Scorecard,
    edition: i32,
    now: DateTime<Utc>,
    published_by: Uuid,
    rules: &str,
    corrects: Option<Uuid>,
    note: Option<&str>,
) -> Result<()> {
    let figures = serde_json::to_string(&card.figures).map_err(|e| Error::Unexpected(e.to_string()))?;
    sc::Entity::insert(sc::ActiveModel {
        id: Set(id),
        community_id: Set(card.community_id.0),
        company_id: Set(card.company_id.0),
        month: Set(card.month.clone()),
        edition: Set(edition),
        current: Set(true),
        published_at: Set(now),
        published_by: Set(published_by),
        score: Set(card.score),
        grade: Set(card.grade.as_str().to_owned()),
        #[allow(clippy::cast_possible_wrap)]
        sample: Set(card.sample as i64),
        figures: Set(figures),
        rules: Set(rules.to_owned()),
        corrects: Set(corrects),
        note: Set(note.map(ToOwned::to_owned)),
    })
    .exec_without_returning(conn)
    .await?;
    Ok(())
}

fn appeal_of(row: ap::Model) -> Appeal {
    Appeal {
        id: row.id,
        scorecard_id: row.scorecard_id,
        company_id: PropertyCompanyId(row.company_id),
        community_id: CommunityId(row.community_id),
        filed_at: row.filed_at,
        reason: row.reason,
        status: row.status,
        decided_at: row.decided_at,
        decision_note: row.decision_note,
        corrected_scorecard_id: row.corrected_scorecard_id,
    }
}

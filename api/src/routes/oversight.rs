//! Oversight (监督考核): a scope's figures over a period and the cases behind each, monthly
//! company scorecards (drafts, publication, appeals, corrections), the 红黑榜, the scoring
//! rules, and spreadsheet exports of every table.

use super::Tag;
use crate::auth::Auth;
use crate::problem::ApiResult;
use crate::state::AppState;
use chrono::{DateTime, NaiveDate, Utc};
use domain::authz::Scope;
use domain::complaint::{Category, Priority};
use domain::oversight::{Figure, Month, Period, ScoringRules};
use domain::{Code, DomainError};
use infra::oversight::{self as ov, Narrow, ReportTable};
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::{Binary, Json};
use poem_openapi::{ApiResponse, Object, OpenApi};
use uuid::Uuid;

/// Oversight endpoints.
pub struct OversightApi {
    /// Shared state.
    pub state: AppState,
}

/// A share with what it stands on.
#[derive(Debug, Object)]
pub struct Rate {
    /// Cases that meet the rule.
    pub numerator: u64,
    /// Cases the rule was asked of.
    pub denominator: u64,
    /// numerator ÷ denominator, 0 to 1; absent when the denominator is below the minimum
    /// sample ("样本不足").
    #[oai(skip_serializing_if_is_none)]
    pub share: Option<f64>,
}

/// Hours from filing.
#[derive(Debug, Object)]
pub struct HoursSummary {
    /// Cases behind the figures.
    pub cases: u64,
    /// Median hours.
    #[oai(skip_serializing_if_is_none)]
    pub median: Option<f64>,
    /// 90th percentile (nearest rank), hours.
    #[oai(skip_serializing_if_is_none)]
    pub p90: Option<f64>,
}

/// The figures of a set of cases over a period; each rule is in the README ("Oversight").
#[derive(Debug, Object)]
pub struct FiguresDto {
    /// Filed in the period.
    pub filed: u64,
    /// 及时签收率.
    pub accepted_in_time: Rate,
    /// 响应率.
    pub responded: Rate,
    /// 解决率.
    pub resolved: Rate,
    /// 满意率.
    pub satisfied: Rate,
    /// 按时办结率.
    pub on_time: Rate,
    /// 回退率.
    pub returned: Rate,
    /// 重办率.
    pub redone: Rate,
    /// Dispute rate.
    pub disputed: Rate,
    /// Escalation rate.
    pub escalated: Rate,
    /// Filing to first accept.
    pub hours_to_accept: HoursSummary,
    /// Filing to last resolution, of cases closed in the period.
    pub hours_to_resolve: HoursSummary,
    /// Cases with a deadline in the period that was missed.
    pub missed_deadlines: u64,
    /// Orders to redo in the period.
    pub disputes_lost: u64,
    /// Escalations in the period.
    pub escalations: u64,
}

fn figures(f: &domain::oversight::Figures, min_sample: u64) -> FiguresDto {
    let rate = |r: domain::oversight::Ratio| Rate {
        numerator: r.numerator,
        denominator: r.denominator,
        share: r.share(min_sample),
    };
    let hours = |h: domain::oversight::Hours| HoursSummary { cases: h.cases, median: h.median, p90: h.p90 };
    FiguresDto {
        filed: f.filed,
        accepted_in_time: rate(f.accepted_in_time),
        responded: rate(f.responded),
        resolved: rate(f.resolved),
        satisfied: rate(f.satisfied),
        on_time: rate(f.on_time),
        returned: rate(f.returned),
        redone: rate(f.redone),
        disputed: rate(f.disputed),
        escalated: rate(f.escalated),
        hours_to_accept: hours(f.hours_to_accept),
        hours_to_resolve: hours(f.hours_to_resolve),
        missed_deadlines: f.missed_deadlines,
        disputes_lost: f.disputes_lost,
        escalations: f.escalations,
    }
}

/// One row of a table.
#[derive(Debug, Object)]
pub struct FiguresRow {
    /// A month (`2026-11`), a community, estate or company id, or a category.
    pub key: String,
    /// Its name.
    pub label: String,
    /// The figures.
    pub figures: FiguresDto,
    /// Open now, whenever filed (absent for a month).
    #[oai(skip_serializing_if_is_none)]
    pub open_now: Option<u64>,
    /// Open and overdue now, whenever filed (absent for a month).
    #[oai(skip_serializing_if_is_none)]
    pub overdue_now: Option<u64>,
}

/// A scope's figures over a period.
#[derive(Debug, Object)]
pub struct ReportDto {
    /// `county`, `community:<id>`, `estate:<id>`, `company:<id>` or `department:<id>`.
    pub scope: String,
    /// First instant of the period (00:00 China Standard Time of the first day).
    pub from: DateTime<Utc>,
    /// First instant after it.
    pub to: DateTime<Utc>,
    /// A rate over fewer cases has no `share`.
    pub min_sample: u64,
    /// When the figures were computed from the events.
    pub as_of: DateTime<Utc>,
    /// The whole period.
    pub totals: FiguresDto,
    /// Cases of the scope open now, whenever filed.
    pub open_now: u64,
    /// Of them, past a deadline now (the rule of the case lists).
    pub overdue_now: u64,
    /// Month by month.
    pub by_month: Vec<FiguresRow>,
    /// `community` (the county's communities) or `estate`.
    pub place_kind: String,
    /// Place by place.
    pub by_place: Vec<FiguresRow>,
    /// Category by category.
    pub by_category: Vec<FiguresRow>,
    /// Company by company.
    pub by_company: Vec<FiguresRow>,
}

/// A case behind a figure (no personal data).
#[derive(Debug, Object)]
pub struct CaseBehind {
    /// The case.
    pub id: Uuid,
    /// Its number.
    pub case_number: String,
    /// Its estate.
    pub estate_id: Uuid,
    /// Its category.
    pub category: String,
    /// Its state now.
    pub status: String,
    /// Accept or return by.
    pub respond_by: DateTime<Utc>,
    /// Resolve by.
    pub resolve_by: DateTime<Utc>,
}

/// The scoring rules.
#[derive(Debug, Object)]
pub struct ScoringRulesDto {
    /// Points for 响应率 at 100% (default 30).
    pub weight_responded: f64,
    /// Points for 解决率 at 100% (default 35).
    pub weight_resolved: f64,
    /// Points for 满意率 at 100% (default 35).
    pub weight_satisfied: f64,
    /// Points off per case with a missed deadline (default 1).
    pub per_missed_deadline: f64,
    /// Points off per order to redo (default 2).
    pub per_dispute_lost: f64,
    /// Points off per escalation (default 2).
    pub per_escalation: f64,
    /// Lowest score for 优秀 (default 90).
    pub excellent_from: f64,
    /// Lowest score for 合格 (default 75).
    pub qualified_from: f64,
    /// Lowest score for 基本合格 (default 60); below it 不合格.
    pub basically_qualified_from: f64,
}

impl From<ScoringRules> for ScoringRulesDto {
    fn from(r: ScoringRules) -> Self {
        Self {
            weight_responded: r.weight_responded,
            weight_resolved: r.weight_resolved,
            weight_satisfied: r.weight_satisfied,
            per_missed_deadline: r.per_missed_deadline,
            per_dispute_lost: r.per_dispute_lost,
            per_escalation: r.per_escalation,
            excellent_from: r.excellent_from,
            qualified_from: r.qualified_from,
            basically_qualified_from: r.basically_qualified_from,
        }
    }
}

impl From<ScoringRulesDto> for ScoringRules {
    fn from(r: ScoringRulesDto) -> Self {
        Self {
            weight_responded: r.weight_responded,
            weight_resolved: r.weight_resolved,
            weight_satisfied: r.weight_satisfied,
            per_missed_deadline: r.per_missed_deadline,
            per_dispute_lost: r.per_dispute_lost,
            per_escalation: r.per_escalation,
            excellent_from: r.excellent_from,
            qualified_from: r.qualified_from,
            basically_qualified_from: r.basically_qualified_from,
        }
    }
}

/// A company's scorecard for a month in a community.
#[derive(Debug, Object)]
pub struct ScorecardDto {
    /// The published edition; absent for a draft.
    #[oai(skip_serializing_if_is_none)]
    pub id: Option<Uuid>,
    /// The community.
    pub community_id: Uuid,
    /// The company.
    pub company_id: Uuid,
    /// Its name.
    pub company_name: String,
    /// `YYYY-MM`.
    pub month: String,
    /// 1 for the first publication, one more per correction; 0 for a draft.
    pub edition: i32,
    /// The edition shown.
    pub current: bool,
    /// When published.
    #[oai(skip_serializing_if_is_none)]
    pub published_at: Option<DateTime<Utc>>,
    /// 0 to 100.
    pub score: f64,
    /// Points from the three rates.
    pub from_rates: f64,
    /// Points taken off.
    pub deducted: f64,
    /// excellent (优秀), qualified (合格), basically_qualified (基本合格), unqualified (不合格).
    pub grade: String,
    /// Cases filed in the month.
    pub sample: u64,
    /// The figures scored.
    pub figures: FiguresDto,
    /// The rules it was scored by.
    pub rules: ScoringRulesDto,
    /// The edition it corrects.
    #[oai(skip_serializing_if_is_none)]
    pub corrects: Option<Uuid>,
    /// The note of the appeal decision that corrected it.
    #[oai(skip_serializing_if_is_none)]
    pub note: Option<String>,
    /// The company may appeal until then.
    #[oai(skip_serializing_if_is_none)]
    pub appeal_until: Option<DateTime<Utc>>,
}

fn card(c: ov::Scorecard, min_sample: u64) -> ScorecardDto {
    ScorecardDto {
        id: c.id,
        community_id: c.community_id.0,
        company_id: c.company_id.0,
        company_name: c.company_name,
        month: c.month,
        edition: c.edition,
        current: c.current,
        published_at: c.published_at,
        score: c.score,
        from_rates: c.from_rates,
        deducted: c.deducted,
        grade: c.grade.as_str().to_owned(),
        sample: c.sample,
        figures: figures(&c.figures, min_sample),
        rules: c.rules.into(),
        corrects: c.corrects,
        note: c.note,
        appeal_until: c.appeal_until,
    }
}

/// A month's scorecards in a community.
#[derive(Debug, Object)]
pub struct MonthScorecards {
    /// The community.
    pub community_id: Uuid,
    /// `YYYY-MM`.
    pub month: String,
    /// Published; otherwise these are drafts, computed now and seen by the party branch only.
    pub published: bool,
    /// Best score first.
    pub cards: Vec<ScorecardDto>,
}

/// An appeal (异议).
#[derive(Debug, Object)]
pub struct AppealDto {
    /// The appeal.
    pub id: Uuid,
    /// The edition appealed.
    pub scorecard_id: Uuid,
    /// The company.
    pub company_id: Uuid,
    /// The community.
    pub community_id: Uuid,
    /// Filed at.
    pub filed_at: DateTime<Utc>,
    /// The company's reason.
    pub reason: String,
    /// pending, upheld or rejected.
    pub status: String,
    /// Decided at.
    #[oai(skip_serializing_if_is_none)]
    pub decided_at: Option<DateTime<Utc>>,
    /// The branch's note.
    #[oai(skip_serializing_if_is_none)]
    pub decision_note: Option<String>,
    /// The corrected edition an upheld appeal published.
    #[oai(skip_serializing_if_is_none)]
    pub corrected_scorecard_id: Option<Uuid>,
}

impl From<ov::Appeal> for AppealDto {
    fn from(a: ov::Appeal) -> Self {
        Self {
            id: a.id,
            scorecard_id: a.scorecard_id,
            company_id: a.company_id.0,
            community_id: a.community_id.0,
            filed_at: a.filed_at,
            reason: a.reason,
            status: a.status,
            decided_at: a.decided_at,
            decision_note: a.decision_note,
            corrected_scorecard_id: a.corrected_scorecard_id,
        }
    }
}

/// A scorecard's editions (newest first) and its appeals.
#[derive(Debug, Object)]
pub struct ScorecardHistory {
    /// Every edition of the company's month.
    pub editions: Vec<ScorecardDto>,
    /// Appeals on any of them, oldest first.
    pub appeals: Vec<AppealDto>,
}

/// Publish a month.
#[derive(Debug, Object)]
pub struct PublishBody {
    /// The community.
    pub community_id: Uuid,
    /// `YYYY-MM`, a month that is over.
    pub month: String,
}

/// File an appeal.
#[derive(Debug, Object)]
pub struct AppealBody {
    /// Why the company disagrees (up to 500 characters).
    pub reason: String,
}

/// Decide an appeal.
#[derive(Debug, Object)]
pub struct DecideBody {
    /// true: uphold (a corrected edition is published); false: reject (the edition stands).
    pub uphold: bool,
    /// The branch's note (required, up to 500 characters).
    pub note: String,
}

/// A company on a board.
#[derive(Debug, Object)]
pub struct BoardEntryDto {
    /// The company.
    pub company_id: Uuid,
    /// Its name.
    pub company_name: String,
    /// Its score.
    pub score: f64,
    /// Cases filed in the month.
    pub sample: u64,
}

/// 红黑榜.
#[derive(Debug, Object)]
pub struct BoardDto {
    /// `YYYY-MM`.
    pub month: String,
    /// The community; absent for the county.
    #[oai(skip_serializing_if_is_none)]
    pub community_id: Option<Uuid>,
    /// Fewest cases to be ranked.
    pub min_sample: u64,
    /// 红榜, best first.
    pub red: Vec<BoardEntryDto>,
    /// 黑榜, worst first.
    pub black: Vec<BoardEntryDto>,
}

/// A table as CSV, UTF-8 with a byte-order mark.
#[derive(ApiResponse)]
pub enum CsvFile {
    /// The file.
    #[oai(status = 200, content_type = "text/csv; charset=utf-8")]
    Csv(Binary<Vec<u8>>, #[oai(header = "Content-Disposition")] String),
}

/// A table as an Excel workbook.
#[derive(ApiResponse)]
pub enum XlsxFile {
    /// The file.
    #[oai(status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")]
    Xlsx(Binary<Vec<u8>>, #[oai(header = "Content-Disposition")] String),
}

fn csv_file(table: &infra::export::Table, name: &str) -> CsvFile {
    CsvFile::Csv(Binary(table.csv()), format!("attachment; filename=\"{name}.csv\""))
}

fn xlsx_file(table: &infra::export::Table, name: &str) -> ApiResult<XlsxFile> {
    Ok(XlsxFile::Xlsx(Binary(table.xlsx()?), format!("attachment; filename=\"{name}.xlsx\"")))
}

fn report_table(table: Option<&str>) -> ApiResult<ReportTable> {
    Ok(table.unwrap_or("by_month").parse().map_err(|code| DomainError::field("table", code))?)
}

fn parse_scope(text: &str) -> ApiResult<Scope> {
    Ok(text.parse::<Scope>().map_err(|code| DomainError::field("scope", code))?)
}

fn month(text: &str) -> ApiResult<Month> {
    Ok(text.parse::<Month>().map_err(|code| DomainError::field("month", code))?)
}

/// The period asked: `from` and `to` (days, both inclusive, China Standard Time), or the
/// current month when both are absent.
fn period(state: &AppState, from: Option<NaiveDate>, to: Option<NaiveDate>) -> ApiResult<Period> {
    let p = match (from, to) {
        (None, None) => Period::month(Month::of(state.clock.now())),
        (Some(f), Some(t)) => Period::days(f, t),
        _ => None,
    };
    Ok(ov::checked(p)?)
}

fn narrow(
    category: Option<String>,
    priority: Option<String>,
    company_id: Option<Uuid>,
    estate_id: Option<Uuid>,
) -> ApiResult<Narrow> {
    Ok(Narrow {
        company: company_id.map(Into::into),
        estate: estate_id.map(Into::into),
        category: category
            .map(|c| c.parse::<Category>().map_err(|_| DomainError::field("category", Code::InvalidCategory)))
            .transpose()?,
        priority: priority
            .map(|p| p.parse::<Priority>().map_err(|_| DomainError::field("priority", Code::InvalidPriority)))
            .transpose()?,
    })
}

fn report_dto(r: ov::Report) -> ReportDto {
    let m = r.min_sample;
    let rows = |rows: Vec<ov::Row>| {
        rows.into_iter()
            .map(|row| FiguresRow {
                key: row.key,
                label: row.label,
                figures: figures(&row.figures, m),
                open_now: row.backlog.map(|b| b.open),
                overdue_now: row.backlog.map(|b| b.overdue),
            })
            .collect()
    };
    ReportDto {
        scope: r.scope.to_string(),
        from: r.from,
        to: r.to,
        min_sample: m,
        as_of: r.as_of,
        totals: figures(&r.totals, m),
        open_now: r.backlog.open,
        overdue_now: r.backlog.overdue,
        by_month: rows(r.by_month),
        place_kind: match r.place_kind {
            ov::PlaceKind::Community => "community".to_owned(),
            ov::PlaceKind::Estate => "estate".to_owned(),
        },
        by_place: rows(r.by_place),
        by_category: rows(r.by_category),
        by_company: rows(r.by_company),
    }
}

#[allow(clippy::too_many_arguments)]
#[OpenApi(prefix_path = "/api/v1/oversight")]
impl OversightApi {
    /// A scope's figures over a period: in total, by month, place (the county's communities,
    /// or estates), category and company, with the backlog now.
    /// Computed from the case events when asked.
    #[oai(path = "/report", method = "get", tag = "Tag::Oversight")]
    async fn report(
        &self,
        Auth(actor): Auth,
        /// `county`, `community:<id>`, `estate:<id>`, `company:<id>` or `department:<id>`.
        scope: Query<String>,
        /// First day (with `to`; both absent: this month).
        from: Query<Option<NaiveDate>>,
        /// Last day, inclusive; at most 366 days after `from`.
        to: Query<Option<NaiveDate>>,
        /// Only this category.
        category: Query<Option<String>>,
        /// Only this priority.
        priority: Query<Option<String>>,
        /// Only cases handled by this company (inside the scope).
        company_id: Query<Option<Uuid>>,
        /// Only cases of this estate (inside the scope).
        estate_id: Query<Option<Uuid>>,
    ) -> ApiResult<Json<ReportDto>> {
        let (s, p, n) = (
            parse_scope(&scope.0)?,
            period(&self.state, from.0, to.0)?,
            narrow(category.0, priority.0, company_id.0, estate_id.0)?,
        );
        Ok(Json(report_dto(self.state.oversight.report(&actor, s, p, n).await?)))
    }

    /// One table of the report as CSV (UTF-8 with a byte-order mark).
    #[oai(path = "/report/export.csv", method = "get", tag = "Tag::Oversight")]
    async fn report_csv(
        &self,
        Auth(actor): Auth,
        /// As for the report.
        scope: Query<String>,
        /// First day.
        from: Query<Option<NaiveDate>>,
        /// Last day.
        to: Query<Option<NaiveDate>>,
        /// Only this category.
        category: Query<Option<String>>,
        /// Only this priority.
        priority: Query<Option<String>>,
        /// Only cases handled by this company (inside the scope).
        company_id: Query<Option<Uuid>>,
        /// Only cases of this estate (inside the scope).
        estate_id: Query<Option<Uuid>>,
        /// totals, by_month (default), by_place, by_category or by_company.
        table: Query<Option<String>>,
    ) -> ApiResult<CsvFile> {
        let which = report_table(table.0.as_deref())?;
        let (s, p, n) = (
            parse_scope(&scope.0)?,
            period(&self.state, from.0, to.0)?,
            narrow(category.0, priority.0, company_id.0, estate_id.0)?,
        );
        let report = self.state.oversight.report(&actor, s, p, n).await?;
        Ok(csv_file(&report.table(which), "oversight"))
    }

    /// One table of the report as an Excel workbook.
    #[oai(path = "/report/export.xlsx", method = "get", tag = "Tag::Oversight")]
    async fn report_xlsx(
        &self,
        Auth(actor): Auth,
        /// As for the report.
        scope: Query<String>,
        /// First day.
        from: Query<Option<NaiveDate>>,
        /// Last day.
        to: Query<Option<NaiveDate>>,
        /// Only this category.
        category: Query<Option<String>>,
        /// Only this priority.
        priority: Query<Option<String>>,
        /// Only cases handled by this company (inside the scope).
        company_id: Query<Option<Uuid>>,
        /// Only cases of this estate (inside the scope).
        estate_id: Query<Option<Uuid>>,
        /// totals, by_month (default), by_place, by_category or by_company.
        table: Query<Option<String>>,
    ) -> ApiResult<XlsxFile> {
        let which = report_table(table.0.as_deref())?;
        let (s, p, n) = (
            parse_scope(&scope.0)?,
            period(&self.state, from.0, to.0)?,
            narrow(category.0, priority.0, company_id.0, estate_id.0)?,
        );
        let report = self.state.oversight.report(&actor, s, p, n).await?;
        xlsx_file(&report.table(which), "oversight")
    }

    /// The cases behind a figure (up to `limit`, default 200, at most 1,000).
    #[oai(path = "/cases", method = "get", tag = "Tag::Oversight")]
    async fn cases(
        &self,
        Auth(actor): Auth,
        /// As for the report.
        scope: Query<String>,
        /// filed, open_now, overdue_now, accepted_in_time, closed, rated, missed_deadlines,
        /// returned, disputed or escalated.
        figure: Query<String>,
        /// First day.
        from: Query<Option<NaiveDate>>,
        /// Last day.
        to: Query<Option<NaiveDate>>,
        /// Only this category.
        category: Query<Option<String>>,
        /// Only this priority.
        priority: Query<Option<String>>,
        /// Only cases handled by this company (inside the scope).
        company_id: Query<Option<Uuid>>,
        /// Only cases of this estate (inside the scope).
        estate_id: Query<Option<Uuid>>,
        /// 1 to 1000.
        limit: Query<Option<i64>>,
    ) -> ApiResult<Json<Vec<CaseBehind>>> {
        let fig: Figure = figure.0.parse().map_err(|code| DomainError::field("figure", code))?;
        let limit = match limit.0 {
            None => 200,
            Some(n @ 1..=1000) => usize::try_from(n).unwrap_or(200),
            Some(_) => return Err(DomainError::field("limit", Code::LimitOutOfRange).into()),
        };
        let (s, p, n) = (
            parse_scope(&scope.0)?,
            period(&self.state, from.0, to.0)?,
            narrow(category.0, priority.0, company_id.0, estate_id.0)?,
        );
        let rows = self.state.oversight.cases(&actor, s, p, n, fig, limit).await?;
        Ok(Json(
            rows.into_iter()
                .map(|c| CaseBehind {
                    id: c.id,
                    case_number: c.case_number,
                    estate_id: c.estate_id,
                    category: c.category.as_str().to_owned(),
                    status: c.status.as_str().to_owned(),
                    respond_by: c.respond_by,
                    resolve_by: c.resolve_by,
                })
                .collect(),
        ))
    }

    /// A month's scorecards in a community: the published editions you may see, or before
    /// publication the drafts (the community's party branch only).
    #[oai(path = "/scorecards", method = "get", tag = "Tag::Oversight")]
    async fn scorecards(
        &self,
        Auth(actor): Auth,
        /// The community.
        community_id: Query<Uuid>,
        /// `YYYY-MM`.
        month: Query<String>,
    ) -> ApiResult<Json<MonthScorecards>> {
        let cards = self.state.oversight.scorecards(&actor, community_id.0.into(), self::month(&month.0)?).await?;
        let m = self.state.oversight.min_sample();
        Ok(Json(MonthScorecards {
            community_id: cards.community_id.0,
            month: cards.month,
            published: cards.published,
            cards: cards.cards.into_iter().map(|c| card(c, m)).collect(),
        }))
    }

    /// A month's scorecards as CSV (UTF-8 with a byte-order mark).
    #[oai(path = "/scorecards/export.csv", method = "get", tag = "Tag::Oversight")]
    async fn scorecards_csv(
        &self,
        Auth(actor): Auth,
        /// The community.
        community_id: Query<Uuid>,
        /// `YYYY-MM`.
        month: Query<String>,
    ) -> ApiResult<CsvFile> {
        let cards = self.state.oversight.scorecards(&actor, community_id.0.into(), self::month(&month.0)?).await?;
        Ok(csv_file(&cards.table(self.state.oversight.min_sample()), "scorecards"))
    }

    /// A month's scorecards as an Excel workbook.
    #[oai(path = "/scorecards/export.xlsx", method = "get", tag = "Tag::Oversight")]
    async fn scorecards_xlsx(
        &self,
        Auth(actor): Auth,
        /// The community.
        community_id: Query<Uuid>,
        /// `YYYY-MM`.
        month: Query<String>,
    ) -> ApiResult<XlsxFile> {
        let cards = self.state.oversight.scorecards(&actor, community_id.0.into(), self::month(&month.0)?).await?;
        xlsx_file(&cards.table(self.state.oversight.min_sample()), "scorecards")
    }

    /// Publish a community's month (its party branch secretary): every company's draft
    /// becomes a frozen edition 1.
    #[oai(path = "/scorecards/publish", method = "post", tag = "Tag::Oversight")]
    async fn publish(&self, Auth(actor): Auth, body: Json<PublishBody>) -> ApiResult<Json<MonthScorecards>> {
        let m = month(&body.0.month)?;
        let cards = self.state.oversight.publish(&actor, body.0.community_id.into(), m).await?;
        let min = self.state.oversight.min_sample();
        Ok(Json(MonthScorecards {
            community_id: cards.community_id.0,
            month: cards.month,
            published: cards.published,
            cards: cards.cards.into_iter().map(|c| card(c, min)).collect(),
        }))
    }

    /// A published edition with every edition of the same company's month, and the appeals.
    #[oai(path = "/scorecards/:id", method = "get", tag = "Tag::Oversight")]
    async fn scorecard(&self, Auth(actor): Auth, id: Path<Uuid>) -> ApiResult<Json<ScorecardHistory>> {
        let (editions, appeals) = self.state.oversight.scorecard(&actor, id.0).await?;
        let m = self.state.oversight.min_sample();
        Ok(Json(ScorecardHistory {
            editions: editions.into_iter().map(|c| card(c, m)).collect(),
            appeals: appeals.into_iter().map(Into::into).collect(),
        }))
    }

    /// Appeal a published edition (the scored company's manager, within 7 days).
    #[oai(path = "/scorecards/:id/appeals", method = "post", tag = "Tag::Oversight")]
    async fn appeal(
        &self,
        Auth(actor): Auth,
        id: Path<Uuid>,
        body: Json<AppealBody>,
    ) -> ApiResult<super::Created<AppealDto>> {
        let a = self.state.oversight.appeal(&actor, id.0, &body.0.reason).await?;
        Ok(super::Created::Created(Json(a.into())))
    }

    /// Appeals you may see, pending first.
    #[oai(path = "/appeals", method = "get", tag = "Tag::Oversight")]
    async fn appeals(&self, Auth(actor): Auth, community_id: Query<Option<Uuid>>) -> ApiResult<Json<Vec<AppealDto>>> {
        let rows = self.state.oversight.appeals(&actor, community_id.0.map(Into::into)).await?;
        Ok(Json(rows.into_iter().map(Into::into).collect()))
    }

    /// Decide an appeal (the community's party branch secretary, unless recused).
    #[oai(path = "/appeals/:id/decide", method = "post", tag = "Tag::Oversight")]
    async fn decide(&self, Auth(actor): Auth, id: Path<Uuid>, body: Json<DecideBody>) -> ApiResult<Json<AppealDto>> {
        Ok(Json(self.state.oversight.decide(&actor, id.0, body.0.uphold, &body.0.note).await?.into()))
    }

    /// The 红黑榜 of a month, for a community or the county, from published scorecards.
    #[oai(path = "/board", method = "get", tag = "Tag::Oversight")]
    async fn board(
        &self,
        Auth(actor): Auth,
        /// `YYYY-MM`.
        month: Query<String>,
        /// A community; absent: the county.
        community_id: Query<Option<Uuid>>,
    ) -> ApiResult<Json<BoardDto>> {
        let b = self.state.oversight.board(&actor, self::month(&month.0)?, community_id.0.map(Into::into)).await?;
        let entry = |e: ov::BoardEntry| BoardEntryDto {
            company_id: e.company_id.0,
            company_name: e.company_name,
            score: e.score,
            sample: e.sample,
        };
        Ok(Json(BoardDto {
            month: b.month,
            community_id: b.community_id.map(|c| c.0),
            min_sample: b.min_sample,
            red: b.red.into_iter().map(entry).collect(),
            black: b.black.into_iter().map(entry).collect(),
        }))
    }

    /// The scoring rules for scorecards published from now on.
    #[oai(path = "/scoring-rules", method = "get", tag = "Tag::Oversight")]
    async fn rules(&self, Auth(_actor): Auth) -> ApiResult<Json<ScoringRulesDto>> {
        Ok(Json(self.state.oversight.rules(&self.state.db).await?.into()))
    }

    /// Replace the scoring rules (administrators).
    #[oai(path = "/scoring-rules", method = "put", tag = "Tag::Oversight")]
    async fn set_rules(&self, Auth(actor): Auth, body: Json<ScoringRulesDto>) -> ApiResult<Json<ScoringRulesDto>> {
        Ok(Json(self.state.oversight.set_rules(&actor, body.0.into()).await?.into()))
    }
}

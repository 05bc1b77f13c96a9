//! Oversight (监督考核): the figures the party branch, the street and the county judge the
//! property companies by, computed from what happened to each case (its events) and never
//! from anything a party could type in; company scorecards with weights, deductions and
//! grade bands held as data; and the monthly 红黑榜.
//!
//! Each figure is a [`Ratio`] (numerator and denominator, so a reader can see what a
//! percentage stands on) or a count. The rules for which case counts in which period are
//! written beside each field of [`Figures`] and in the README.

use crate::complaint::{ComplaintAction, ComplaintStatus, Rating};
use crate::ids::PropertyCompanyId;
use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A rate over fewer cases than this reads "样本不足" instead of a percentage (the
/// `APP_MIN_SAMPLE` setting overrides it).
pub const MIN_SAMPLE: u64 = 10;
/// A company may appeal a published scorecard within this many days of publication.
pub const APPEAL_WITHIN_DAYS: i64 = 7;
/// How many companies stand on each side of a 红黑榜.
pub const BOARD_SIZE: usize = 3;
/// The years a period may fall in (every database stores them).
pub const YEARS: std::ops::RangeInclusive<i32> = 1970..=2999;
/// The longest period one dashboard covers.
pub const MAX_PERIOD_DAYS: i64 = 366;

/// China Standard Time, in which months and days begin for everyone who reads these figures.
#[must_use]
pub fn cst() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("a fixed offset of 8 hours is valid")
}

/// A half-open span of time, `[from, to)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    /// First instant inside.
    pub from: DateTime<Utc>,
    /// First instant after.
    pub to: DateTime<Utc>,
}

impl Period {
    /// Whether `at` falls inside.
    #[must_use]
    pub fn contains(self, at: DateTime<Utc>) -> bool {
        self.from <= at && at < self.to
    }

    /// A calendar month in China Standard Time; none for a month that does not exist.
    #[must_use]
    pub fn month(month: Month) -> Option<Self> {
        YEARS.contains(&month.year).then_some(())?;
        let start = NaiveDate::from_ymd_opt(month.year, month.month, 1)?;
        let next = if month.month == 12 {
            NaiveDate::from_ymd_opt(month.year + 1, 1, 1)?
        } else {
            NaiveDate::from_ymd_opt(month.year, month.month + 1, 1)?
        };
        Some(Self { from: Self::midnight(start)?, to: Self::midnight(next)? })
    }

    /// From the first day to the last day, both inclusive, in China Standard Time.
    #[must_use]
    pub fn days(first: NaiveDate, last: NaiveDate) -> Option<Self> {
        let to = last.succ_opt()?;
        (first <= last && (YEARS).contains(&first.year()) && (YEARS).contains(&last.year())).then_some(())?;
        Some(Self { from: Self::midnight(first)?, to: Self::midnight(to)? })
    }

    fn midnight(day: NaiveDate) -> Option<DateTime<Utc>> {
        cst().from_local_datetime(&day.and_hms_opt(0, 0, 0)?).single().map(|t| t.with_timezone(&Utc))
    }

    /// The months this period touches, oldest first.
    #[must_use]
    pub fn months(self) -> Vec<Month> {
        let mut out = Vec::new();
        let mut m = Month::of(self.from);
        while let Some(p) = Period::month(m) {
            if p.from >= self.to {
                break;
            }
            out.push(m);
            m = m.next();
        }
        out
    }
}

/// A calendar month (China Standard Time).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Month {
    /// Year.
    pub year: i32,
    /// 1 to 12.
    pub month: u32,
}

impl Month {
    /// The month in which `at` falls, in China Standard Time.
    #[must_use]
    pub fn of(at: DateTime<Utc>) -> Self {
        let local = at.with_timezone(&cst());
        Self { year: local.year(), month: local.month() }
    }

    /// The month after.
    #[must_use]
    pub fn next(self) -> Self {
        if self.month == 12 {
            Self { year: self.year + 1, month: 1 }
        } else {
            Self { year: self.year, month: self.month + 1 }
        }
    }

    /// The month before.
    #[must_use]
    pub fn previous(self) -> Self {
        if self.month == 1 {
            Self { year: self.year - 1, month: 12 }
        } else {
            Self { year: self.year, month: self.month - 1 }
        }
    }
}

impl std::fmt::Display for Month {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl std::str::FromStr for Month {
    type Err = crate::Code;
    /// `YYYY-MM`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = crate::Code::InvalidMonth;
        let (y, m) = s.split_once('-').ok_or(bad)?;
        if y.len() != 4 || m.len() != 2 {
            return Err(bad);
        }
        let month = Self { year: y.parse().map_err(|_| bad)?, month: m.parse().map_err(|_| bad)? };
        Period::month(month).map(|_| month).ok_or(bad)
    }
}

/// One thing that happened to a case, as the event log holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CaseEvent {
    /// What was done.
    pub action: ComplaintAction,
    /// When.
    pub at: DateTime<Utc>,
    /// The state it left the case in.
    pub to: ComplaintStatus,
    /// The rating given, on a confirm.
    pub rating: Option<Rating>,
}

/// A case as oversight sees it: its deadlines as they stand, and its events, oldest first
/// (the first is its filing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseHistory {
    /// The case.
    pub id: Uuid,
    /// The company that handles it.
    pub company_id: Option<PropertyCompanyId>,
    /// Accept or return by (a reassign sets a new one).
    pub respond_by: DateTime<Utc>,
    /// Resolve by (an order to redo sets a new one).
    pub resolve_by: DateTime<Utc>,
    /// Everything that happened, oldest first.
    pub events: Vec<CaseEvent>,
}

fn closes(action: ComplaintAction) -> bool {
    matches!(action, ComplaintAction::Confirm | ComplaintAction::Uphold | ComplaintAction::AutoClose)
}

fn resolves(action: ComplaintAction) -> bool {
    matches!(action, ComplaintAction::Resolve | ComplaintAction::Answer)
}

impl CaseHistory {
    /// When it was filed: its first event.
    #[must_use]
    pub fn filed_at(&self) -> Option<DateTime<Utc>> {
        self.events.first().map(|e| e.at)
    }

    /// Its state now: where its last event left it.
    #[must_use]
    pub fn status(&self) -> Option<ComplaintStatus> {
        self.events.last().map(|e| e.to)
    }

    fn has(&self, pred: impl Fn(ComplaintAction) -> bool) -> bool {
        self.events.iter().any(|e| pred(e.action))
    }

    fn first(&self, pred: impl Fn(ComplaintAction) -> bool) -> Option<&CaseEvent> {
        self.events.iter().find(|e| pred(e.action))
    }

    /// The company's answer to the latest assignment: the first accept or return after the
    /// last reassign (or after filing).
    fn response(&self) -> Option<&CaseEvent> {
        let start = self.events.iter().rposition(|e| e.action == ComplaintAction::Reassign).map_or(0, |i| i + 1);
        self.events[start..].iter().find(|e| matches!(e.action, ComplaintAction::Accept | ComplaintAction::Return))
    }

    /// The closing that stands: the last close, unless a reopen came after it.
    fn standing_close(&self) -> Option<&CaseEvent> {
        let close = self.events.iter().rposition(|e| closes(e.action))?;
        let reopened = self.events[close..].iter().any(|e| e.action == ComplaintAction::Reopen);
        (!reopened).then(|| &self.events[close])
    }

    /// When it was resolved: the last resolve or answer, unless an order to redo or a
    /// reopen came after it and took it back. A dispute in progress does not: the company
    /// did resolve, and the mediation decides.
    fn resolved_at(&self) -> Option<DateTime<Utc>> {
        let last = self.events.iter().rposition(|e| resolves(e.action))?;
        let taken_back = self.events[last..]
            .iter()
            .any(|e| matches!(e.action, ComplaintAction::OrderRedo | ComplaintAction::Reopen));
        (!taken_back).then(|| self.events[last].at)
    }

    /// Whether the company was held to its respond-by: the case was not withdrawn before it.
    fn held_to_respond_by(&self) -> bool {
        self.first(|a| a == ComplaintAction::Withdraw).is_none_or(|w| w.at > self.respond_by)
    }

    /// Late now: not answered by respond-by, or open past resolve-by (the rule of the case
    /// lists, [`crate::complaint::Complaint::overdue`]).
    #[must_use]
    pub fn overdue(&self, now: DateTime<Utc>) -> bool {
        match self.status() {
            Some(ComplaintStatus::Submitted) => self.respond_by < now || self.resolve_by < now,
            Some(s) if s.is_open() => self.resolve_by < now,
            _ => false,
        }
    }

    /// A deadline that fell in `period` was missed: respond-by passed before an answer, or
    /// resolve-by passed before the case was resolved. Counted once per case.
    #[must_use]
    pub fn missed_deadline_in(&self, period: Period, now: DateTime<Utc>) -> bool {
        let missed_response = period.contains(self.respond_by)
            && self.respond_by < now
            && self.held_to_respond_by()
            && self.response().is_none_or(|r| r.at > self.respond_by);
        let missed_resolve = period.contains(self.resolve_by)
            && self.resolve_by < now
            && self.status() != Some(ComplaintStatus::Withdrawn)
            && self.resolved_at().is_none_or(|at| at > self.resolve_by);
        missed_response || missed_resolve
    }
}

/// A share, with what it is a share of.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ratio {
    /// Cases that meet the rule.
    pub numerator: u64,
    /// Cases the rule was asked of.
    pub denominator: u64,
}

impl Ratio {
    fn count(&mut self, counted: bool, meets: bool) {
        if counted {
            self.denominator += 1;
            if meets {
                self.numerator += 1;
            }
        }
    }

    /// The share from 0 to 1, or none over fewer than `min_sample` cases.
    #[must_use]
    pub fn share(self, min_sample: u64) -> Option<f64> {
        #[allow(clippy::cast_precision_loss)]
        (self.denominator >= min_sample.max(1)).then(|| self.numerator as f64 / self.denominator as f64)
    }

    /// The share, as if whole when nothing was asked (a company with no case to answer loses
    /// no points on it).
    #[must_use]
    pub fn share_or_whole(self) -> f64 {
        #[allow(clippy::cast_precision_loss)]
        if self.denominator == 0 {
            1.0
        } else {
            self.numerator as f64 / self.denominator as f64
        }
    }
}

/// Hours from filing, summarized.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Hours {
    /// Cases behind the figures.
    pub cases: u64,
    /// The median, in hours (none without cases).
    pub median: Option<f64>,
    /// The 90th percentile (nearest rank), in hours.
    pub p90: Option<f64>,
}

impl Hours {
    fn of(mut minutes: Vec<i64>) -> Self {
        minutes.sort_unstable();
        let rank = |p: f64| -> Option<f64> {
            if minutes.is_empty() {
                return None;
            }
            #[allow(clippy::cast_precision_loss, clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let i = ((p * minutes.len() as f64).ceil() as usize).clamp(1, minutes.len()) - 1;
            #[allow(clippy::cast_precision_loss)]
            Some((minutes[i] as f64 / 60.0 * 10.0).round() / 10.0)
        };
        Self { cases: minutes.len() as u64, median: rank(0.5), p90: rank(0.9) }
    }
}

/// The figures for a set of cases over a period. Which case counts where:
/// - *filed in the period*: its filing event falls in the period (the cohort of the rates
///   marked "of filed");
/// - *closed in the period*: the closing that stands (a confirm, uphold or auto-close not
///   followed by a reopen) falls in the period;
/// - everything is as the events stand when the figures are computed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Figures {
    /// Cases filed in the period.
    pub filed: u64,
    /// 及时签收率: of cases whose respond-by fell in the period and has passed (or that were
    /// answered already), those accepted or returned by it. A case withdrawn before its
    /// respond-by is left out.
    pub accepted_in_time: Ratio,
    /// 响应率, of filed: accepted or returned at least once.
    pub responded: Ratio,
    /// 解决率, of filed and not withdrawn: resolved or closed now (a reopened case leaves the
    /// numerator until it is resolved again).
    pub resolved: Ratio,
    /// 满意率, of closings in the period that carry a rating: 满意 or 基本满意. An auto-close
    /// carries none; a reopen takes the rating back.
    pub satisfied: Ratio,
    /// 按时办结率, of closed: last resolved by resolve-by.
    pub on_time: Ratio,
    /// 回退率, of filed: returned at least once.
    pub returned: Ratio,
    /// 重办率, of closed: ordered to redo or reopened at least once.
    pub redone: Ratio,
    /// Dispute rate, of filed: disputed or reopened at least once.
    pub disputed: Ratio,
    /// Escalation rate, of filed: escalated to a department.
    pub escalated: Ratio,
    /// Hours from filing to the first accept, of filed and accepted.
    pub hours_to_accept: Hours,
    /// Hours from filing to the last resolution, of closed.
    pub hours_to_resolve: Hours,
    /// Cases with a deadline in the period that was missed (a scorecard deduction).
    pub missed_deadlines: u64,
    /// Orders to redo given in the period: disputes decided against the company.
    pub disputes_lost: u64,
    /// Escalations made in the period.
    pub escalations: u64,
}

impl Figures {
    /// Computes the figures of `cases` over `period`, as at `now`.
    #[must_use]
    pub fn compute<'a>(cases: impl IntoIterator<Item = &'a CaseHistory>, period: Period, now: DateTime<Utc>) -> Self {
        let mut f = Self::default();
        let mut to_accept = Vec::new();
        let mut to_resolve = Vec::new();
        for case in cases {
            let Some(filed_at) = case.filed_at() else { continue };
            let status = case.status();
            let response = case.response();
            f.accepted_in_time.count(
                period.contains(case.respond_by)
                    && case.held_to_respond_by()
                    && (case.respond_by < now || response.is_some()),
                response.is_some_and(|r| r.at <= case.respond_by),
            );
            if case.missed_deadline_in(period, now) {
                f.missed_deadlines += 1;
            }
            for e in &case.events {
                if period.contains(e.at) {
                    match e.action {
                        ComplaintAction::OrderRedo => f.disputes_lost += 1,
                        ComplaintAction::Escalate => f.escalations += 1,
                        _ => {}
                    }
                }
            }
            if period.contains(filed_at) {
                f.filed += 1;
                let withdrawn = status == Some(ComplaintStatus::Withdrawn);
                f.responded.count(true, case.has(|a| matches!(a, ComplaintAction::Accept | ComplaintAction::Return)));
                f.resolved
                    .count(!withdrawn, matches!(status, Some(ComplaintStatus::Resolved | ComplaintStatus::Closed)));
                f.returned.count(true, case.has(|a| a == ComplaintAction::Return));
                f.disputed.count(true, case.has(|a| matches!(a, ComplaintAction::Dispute | ComplaintAction::Reopen)));
                f.escalated.count(true, case.has(|a| a == ComplaintAction::Escalate));
                if let Some(accept) = case.first(|a| a == ComplaintAction::Accept) {
                    to_accept.push((accept.at - filed_at).num_minutes());
                }
            }
            if let Some(close) = case.standing_close().filter(|c| period.contains(c.at)) {
                let last_resolved = case.resolved_at();
                f.on_time.count(last_resolved.is_some(), last_resolved.is_some_and(|at| at <= case.resolve_by));
                f.redone.count(true, case.has(|a| matches!(a, ComplaintAction::OrderRedo | ComplaintAction::Reopen)));
                if let Some(rating) = close.rating {
                    f.satisfied.count(true, matches!(rating, Rating::Satisfied | Rating::BasicallySatisfied));
                }
                if let Some(at) = last_resolved {
                    to_resolve.push((at - filed_at).num_minutes());
                }
            }
        }
        f.hours_to_accept = Hours::of(to_accept);
        f.hours_to_resolve = Hours::of(to_resolve);
        f
    }

    /// The cases behind a figure, for "open it down to the cases": their ids, in the order
    /// given.
    #[must_use]
    pub fn cases_behind<'a>(
        figure: Figure,
        cases: impl IntoIterator<Item = &'a CaseHistory>,
        period: Period,
        now: DateTime<Utc>,
    ) -> Vec<Uuid> {
        cases.into_iter().filter(|c| figure.applies(c, period, now)).map(|c| c.id).collect()
    }
}

text_enum!(
    /// A figure one can open down to its cases: the cases it was asked of (its denominator,
    /// or the count itself).
    Figure {
        /// Filed in the period.
        Filed = "filed",
        /// Open now.
        OpenNow = "open_now",
        /// Open and late now.
        OverdueNow = "overdue_now",
        /// Whose respond-by fell in the period.
        AcceptedInTime = "accepted_in_time",
        /// Closed in the period.
        Closed = "closed",
        /// Closed with a rating in the period.
        Rated = "rated",
        /// With a deadline missed in the period.
        MissedDeadlines = "missed_deadlines",
        /// Filed in the period and returned.
        Returned = "returned",
        /// Filed in the period and disputed or reopened.
        Disputed = "disputed",
        /// Filed in the period and escalated.
        Escalated = "escalated",
    }
);

impl Figure {
    /// Whether `case` is among the cases this figure was asked of.
    #[must_use]
    pub fn applies(self, case: &CaseHistory, period: Period, now: DateTime<Utc>) -> bool {
        let open = case.status().is_some_and(ComplaintStatus::is_open);
        let one = Figures::compute([case], period, now);
        match self {
            Self::Filed => one.filed > 0,
            Self::OpenNow => open,
            Self::OverdueNow => open && case.overdue(now),
            Self::AcceptedInTime => one.accepted_in_time.denominator > 0,
            Self::Closed => one.redone.denominator > 0,
            Self::Rated => one.satisfied.denominator > 0,
            Self::MissedDeadlines => one.missed_deadlines > 0,
            Self::Returned => one.returned.numerator > 0,
            Self::Disputed => one.disputed.numerator > 0,
            Self::Escalated => one.escalated.numerator > 0,
        }
    }
}

text_enum!(
    /// A company's grade for a month (物业服务考核等次).
    Grade {
        /// 优秀
        Excellent = "excellent",
        /// 合格
        Qualified = "qualified",
        /// 基本合格
        BasicallyQualified = "basically_qualified",
        /// 不合格
        Unqualified = "unqualified",
    }
);

/// How a scorecard is scored: weights of the three rates, points taken off per event, and
/// the grade bands. Held as data (each published scorecard keeps the rules it was scored by).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoringRules {
    /// Points for 响应率 at 100%.
    pub weight_responded: f64,
    /// Points for 解决率 at 100%.
    pub weight_resolved: f64,
    /// Points for 满意率 at 100%.
    pub weight_satisfied: f64,
    /// Points off per case with a missed deadline.
    pub per_missed_deadline: f64,
    /// Points off per dispute decided against the company (an order to redo).
    pub per_dispute_lost: f64,
    /// Points off per escalation.
    pub per_escalation: f64,
    /// The lowest score for 优秀.
    pub excellent_from: f64,
    /// The lowest score for 合格.
    pub qualified_from: f64,
    /// The lowest score for 基本合格; below it, 不合格.
    pub basically_qualified_from: f64,
}

impl Default for ScoringRules {
    fn default() -> Self {
        Self {
            weight_responded: 30.0,
            weight_resolved: 35.0,
            weight_satisfied: 35.0,
            per_missed_deadline: 1.0,
            per_dispute_lost: 2.0,
            per_escalation: 2.0,
            excellent_from: 90.0,
            qualified_from: 75.0,
            basically_qualified_from: 60.0,
        }
    }
}

/// A score and how it was reached.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Score {
    /// Points from the three rates.
    pub from_rates: f64,
    /// Points taken off.
    pub deducted: f64,
    /// The score, 0 to 100, to one decimal.
    pub score: f64,
    /// Its grade.
    pub grade: Grade,
}

impl ScoringRules {
    /// Scores a company's month.
    #[must_use]
    pub fn score(&self, f: &Figures) -> Score {
        let round = |x: f64| (x * 10.0).round() / 10.0;
        let from_rates = self.weight_responded * f.responded.share_or_whole()
            + self.weight_resolved * f.resolved.share_or_whole()
            + self.weight_satisfied * f.satisfied.share_or_whole();
        #[allow(clippy::cast_precision_loss)]
        let deducted = self.per_missed_deadline * f.missed_deadlines as f64
            + self.per_dispute_lost * f.disputes_lost as f64
            + self.per_escalation * f.escalations as f64;
        let score = round((from_rates - deducted).clamp(0.0, 100.0));
        Score { from_rates: round(from_rates), deducted: round(deducted), score, grade: self.grade(score) }
    }

    /// The grade of a score.
    #[must_use]
    pub fn grade(&self, score: f64) -> Grade {
        if score >= self.excellent_from {
            Grade::Excellent
        } else if score >= self.qualified_from {
            Grade::Qualified
        } else if score >= self.basically_qualified_from {
            Grade::BasicallyQualified
        } else {
            Grade::Unqualified
        }
    }

    /// Checks the rules make sense: weights not negative and summing to 100, deductions not
    /// negative, bands descending within 0 to 100.
    ///
    /// # Errors
    /// [`crate::Code::InvalidScoringRules`].
    pub fn check(&self) -> Result<(), crate::Code> {
        let weights = [self.weight_responded, self.weight_resolved, self.weight_satisfied];
        let deductions = [self.per_missed_deadline, self.per_dispute_lost, self.per_escalation];
        let ok = weights.iter().chain(&deductions).all(|w| w.is_finite() && *w >= 0.0)
            && (weights.iter().sum::<f64>() - 100.0).abs() < 1e-6
            && (0.0..=100.0).contains(&self.excellent_from)
            && self.excellent_from >= self.qualified_from
            && self.qualified_from >= self.basically_qualified_from
            && self.basically_qualified_from >= 0.0;
        if ok {
            Ok(())
        } else {
            Err(crate::Code::InvalidScoringRules)
        }
    }
}

/// One company's place on a board.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Standing {
    /// The company.
    pub company_id: PropertyCompanyId,
    /// Its score.
    pub score: f64,
    /// Cases filed (its sample).
    pub sample: u64,
}

/// 红榜 and 黑榜: the best and the worst among companies with at least `min_sample` cases
/// filed; a company with a smaller sample is listed on neither (one fast case does not top the
/// list). Each side holds at most `size` and at most half of the ranked companies. Ties are
/// broken by the larger sample, then by id, so the board is the same each time.
#[must_use]
pub fn board(mut standings: Vec<Standing>, min_sample: u64, size: usize) -> (Vec<Standing>, Vec<Standing>) {
    standings.retain(|s| s.sample >= min_sample.max(1));
    standings.sort_by(|a, b| {
        b.score.total_cmp(&a.score).then(b.sample.cmp(&a.sample)).then(a.company_id.0.cmp(&b.company_id.0))
    });
    // Each side holds at most `size`, and at most half the ranked companies (the red side
    // takes the odd one), so no company stands on both.
    let n = standings.len();
    let red: Vec<Standing> = standings.iter().take(size.min(n.div_ceil(2))).cloned().collect();
    let black: Vec<Standing> = standings.iter().rev().take(size.min(n / 2)).cloned().collect();
    (red, black)
}

/// Whether an appeal on a scorecard published at `published_at` may still be filed at `now`.
#[must_use]
pub fn appeal_open(published_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    now <= published_at + Duration::days(APPEAL_WITHIN_DAYS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ComplaintAction as A;
    use ComplaintStatus as S;

    fn t(day: u32, hour: u32) -> DateTime<Utc> {
        // Days of November 2026, in China Standard Time.
        cst().with_ymd_and_hms(2026, 11, day, hour, 0, 0).unwrap().with_timezone(&Utc)
    }

    fn ev(action: ComplaintAction, at: DateTime<Utc>, to: ComplaintStatus) -> CaseEvent {
        CaseEvent { action, at, to, rating: None }
    }

    fn rated(at: DateTime<Utc>, rating: Rating) -> CaseEvent {
        CaseEvent { action: A::Confirm, at, to: S::Closed, rating: Some(rating) }
    }

    fn case(respond_by: DateTime<Utc>, resolve_by: DateTime<Utc>, events: Vec<CaseEvent>) -> CaseHistory {
        CaseHistory { id: Uuid::new_v4(), company_id: None, respond_by, resolve_by, events }
    }

    fn november() -> Period {
        Period::month(Month { year: 2026, month: 11 }).unwrap()
    }

    #[test]
    fn months_begin_at_midnight_in_china() {
        let p = november();
        assert_eq!(p.from.to_rfc3339(), "2026-10-31T16:00:00+00:00");
        assert_eq!(p.to.to_rfc3339(), "2026-11-30T16:00:00+00:00");
        assert_eq!("2026-11".parse::<Month>(), Ok(Month { year: 2026, month: 11 }));
        assert_eq!("2026-13".parse::<Month>(), Err(crate::Code::InvalidMonth));
        assert_eq!("2026-1".parse::<Month>(), Err(crate::Code::InvalidMonth));
        assert_eq!("0001-01".parse::<Month>(), Err(crate::Code::InvalidMonth), "outside the years a database keeps");
        let days =
            Period::days(NaiveDate::from_ymd_opt(2026, 10, 15).unwrap(), NaiveDate::from_ymd_opt(2026, 12, 2).unwrap());
        let months: Vec<String> = days.unwrap().months().iter().map(ToString::to_string).collect();
        assert_eq!(months, ["2026-10", "2026-11", "2026-12"]);
        assert!(Period::days(
            NaiveDate::from_ymd_opt(2026, 10, 15).unwrap(),
            NaiveDate::from_ymd_opt(2026, 10, 14).unwrap()
        )
        .is_none());
    }

    /// A worked example: five cases in November, each rate worked out by hand.
    #[test]
    fn rates_of_a_hand_built_month() {
        let now = t(30, 12);
        // 1. Accepted in 2 h, resolved by the deadline, confirmed 满意.
        let a = case(
            t(2, 8),
            t(5, 8),
            vec![
                ev(A::File, t(1, 8), S::Submitted),
                ev(A::Accept, t(1, 10), S::Accepted),
                ev(A::Resolve, t(4, 8), S::Resolved),
                rated(t(5, 8), Rating::Satisfied),
            ],
        );
        // 2. Returned late, reassigned (new respond-by), accepted in time, resolved late,
        //    auto-closed without a rating.
        let b = case(
            t(4, 8),
            t(6, 8),
            vec![
                ev(A::File, t(2, 8), S::Submitted),
                ev(A::Return, t(3, 20), S::Returned),
                ev(A::Reassign, t(3, 21), S::Submitted),
                ev(A::Accept, t(3, 22), S::Accepted),
                ev(A::Resolve, t(7, 8), S::Resolved),
                ev(A::AutoClose, t(14, 8), S::Closed),
            ],
        );
        // 3. Resolved, confirmed 不满意 ... then reopened, mediated, ordered to redo: open now.
        let c = case(
            t(4, 8),
            t(10, 8),
            vec![
                ev(A::File, t(3, 8), S::Submitted),
                ev(A::Accept, t(3, 9), S::Accepted),
                ev(A::Resolve, t(5, 8), S::Resolved),
                rated(t(6, 8), Rating::Dissatisfied),
                ev(A::Reopen, t(8, 8), S::Disputed),
                ev(A::Mediate, t(8, 9), S::Mediating),
                ev(A::OrderRedo, t(8, 10), S::Accepted),
            ],
        );
        // 4. Never answered: respond-by passed; open and overdue.
        let d = case(t(11, 8), t(20, 8), vec![ev(A::File, t(10, 8), S::Submitted)]);
        // 5. Withdrawn before anything happened.
        let e = case(
            t(13, 8),
            t(22, 8),
            vec![ev(A::File, t(12, 8), S::Submitted), ev(A::Withdraw, t(12, 9), S::Withdrawn)],
        );
        // 6. Filed in October, escalated in November after a return, answered, confirmed 基本满意.
        let f = case(
            t(1, 0) - Duration::days(5),
            t(15, 8),
            vec![
                ev(A::File, t(1, 0) - Duration::days(6), S::Submitted),
                ev(A::Return, t(1, 0) - Duration::days(5), S::Returned),
                ev(A::Escalate, t(2, 8), S::Escalated),
                ev(A::ReportIn, t(2, 9), S::Escalated),
                ev(A::Answer, t(9, 8), S::Resolved),
                rated(t(10, 8), Rating::BasicallySatisfied),
            ],
        );
        let cases = [a, b, c, d, e, f];
        let got = Figures::compute(&cases, november(), now);
        let r = |numerator, denominator| Ratio { numerator, denominator };
        assert_eq!(got.filed, 5, "a to e; f was filed in October");
        let open = Figures::cases_behind(Figure::OpenNow, &cases, november(), now);
        assert_eq!(open, vec![cases[2].id, cases[3].id], "c (redo ordered) and d");
        let overdue = Figures::cases_behind(Figure::OverdueNow, &cases, november(), now);
        assert_eq!(overdue, open, "d never answered; c's resolve-by of the 10th passed");
        // respond-by in November: a (met), b (the reassign's, met), c (met), d (missed);
        // e was withdrawn before its respond-by: left out. f's was in October.
        assert_eq!(got.accepted_in_time, r(3, 4));
        assert_eq!(got.responded, r(3, 5), "a, b, c of a to e");
        assert_eq!(got.resolved, r(2, 4), "a and b closed; c open again; d open; e withdrawn is left out");
        // Closings that stand in November: a (满意), b (auto-close, no rating), f (基本满意).
        // c's confirm was taken back by its reopen.
        assert_eq!(got.satisfied, r(2, 2));
        assert_eq!(got.on_time, r(2, 3), "a and f by their resolve-by; b resolved a day late");
        assert_eq!(got.redone, r(0, 3));
        assert_eq!(got.returned, r(1, 5), "b");
        assert_eq!(got.disputed, r(1, 5), "c, by its reopen");
        assert_eq!(got.escalated, r(0, 5), "f was escalated in November but filed in October");
        assert_eq!(got.escalations, 1, "f's escalation happened in November");
        assert_eq!(got.disputes_lost, 1, "c's order to redo");
        // Missed deadlines in November: b (resolve-by of the 6th, resolved the 7th),
        // c (resolve-by of the 10th; its resolution of the 5th was taken back by the order to
        // redo), d (both). e was withdrawn before its respond-by.
        assert_eq!(got.missed_deadlines, 3);
        // Hours to the first accept: a 2, b 37.9 (the 2nd 08:00 to the 3rd 22:00 = 38), c 1.
        assert_eq!(got.hours_to_accept, Hours { cases: 3, median: Some(2.0), p90: Some(38.0) });
        // Hours to the last resolution, of closed: a 72, b 120, f (6 days + 32 h... see below).
        let f_hours = (t(9, 8) - (t(1, 0) - Duration::days(6))).num_minutes() as f64 / 60.0;
        assert_eq!(got.hours_to_resolve.cases, 3);
        assert_eq!(got.hours_to_resolve.median, Some(120.0));
        assert_eq!(got.hours_to_resolve.p90, Some(f_hours));
        // Opened down: the cases behind "closed" are a, b, f.
        let closed = Figures::cases_behind(Figure::Closed, &cases, november(), now);
        assert_eq!(closed, vec![cases[0].id, cases[1].id, cases[5].id]);
    }

    /// A random legal history: a walk through the state machine's transitions from filing,
    /// one action every few hours, starting somewhere in October or November.
    fn random_case(seed: &mut u64) -> CaseHistory {
        let mut next = |n: u64| {
            *seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            (*seed >> 33) % n
        };
        let start = t(1, 0) - Duration::days(30) + Duration::hours(i64::try_from(next(24 * 60)).unwrap_or(0));
        let mut at = start;
        let mut status = S::Submitted;
        let mut events = vec![ev(A::File, at, S::Submitted)];
        for _ in 0..next(9) {
            at += Duration::hours(1 + i64::try_from(next(72)).unwrap_or(0));
            let choices: &[(ComplaintAction, ComplaintStatus)] = match status {
                S::Submitted => &[(A::Accept, S::Accepted), (A::Return, S::Returned), (A::Withdraw, S::Withdrawn)],
                S::Returned => &[(A::Reassign, S::Submitted), (A::Escalate, S::Escalated)],
                S::Accepted => &[(A::Resolve, S::Resolved), (A::Withdraw, S::Withdrawn)],
                S::Resolved => &[(A::Confirm, S::Closed), (A::Dispute, S::Disputed), (A::AutoClose, S::Closed)],
                S::Disputed => &[(A::Mediate, S::Mediating)],
                S::Mediating => &[(A::OrderRedo, S::Accepted), (A::Uphold, S::Closed), (A::Escalate, S::Escalated)],
                S::Escalated => &[(A::Answer, S::Resolved)],
                S::Closed => &[(A::Reopen, S::Disputed)],
                S::Withdrawn => &[],
            };
            if choices.is_empty() {
                break;
            }
            let (action, to) = choices[usize::try_from(next(choices.len() as u64)).unwrap_or(0)];
            let rating = (action == A::Confirm).then(|| Rating::ALL[usize::try_from(next(3)).unwrap_or(0)]);
            events.push(CaseEvent { action, at, to, rating });
            status = to;
        }
        let company = PropertyCompanyId(Uuid::from_u128(u128::from(next(3))));
        CaseHistory {
            id: Uuid::from_u128(u128::from(next(u64::MAX))),
            company_id: Some(company),
            respond_by: start + Duration::hours(24),
            resolve_by: start + Duration::days(7),
            events,
        }
    }

    /// On random histories: every count and ratio of a set equals the sum over any partition
    /// of it (so the company rows add up to the totals), a numerator never exceeds its
    /// denominator, and the cases behind a figure are exactly as many as it counts.
    #[test]
    fn figures_add_up_over_random_histories() {
        let mut seed = 7;
        let now = t(30, 12);
        for round in 0..40 {
            let cases: Vec<CaseHistory> = (0..60).map(|_| random_case(&mut seed)).collect();
            let all = Figures::compute(&cases, november(), now);
            let mut sum = Figures::default();
            for company in 0..3u128 {
                let part: Vec<&CaseHistory> = cases
                    .iter()
                    .filter(|c| c.company_id == Some(PropertyCompanyId(Uuid::from_u128(company))))
                    .collect();
                let f = Figures::compute(part, november(), now);
                sum.filed += f.filed;
                sum.missed_deadlines += f.missed_deadlines;
                sum.disputes_lost += f.disputes_lost;
                sum.escalations += f.escalations;
                for (s, p) in [
                    (&mut sum.accepted_in_time, f.accepted_in_time),
                    (&mut sum.responded, f.responded),
                    (&mut sum.resolved, f.resolved),
                    (&mut sum.satisfied, f.satisfied),
                    (&mut sum.on_time, f.on_time),
                    (&mut sum.returned, f.returned),
                    (&mut sum.redone, f.redone),
                    (&mut sum.disputed, f.disputed),
                    (&mut sum.escalated, f.escalated),
                ] {
                    s.numerator += p.numerator;
                    s.denominator += p.denominator;
                }
            }
            sum.hours_to_accept = all.hours_to_accept;
            sum.hours_to_resolve = all.hours_to_resolve;
            assert_eq!(sum, all, "round {round}");
            for r in [
                all.accepted_in_time,
                all.responded,
                all.resolved,
                all.satisfied,
                all.on_time,
                all.returned,
                all.redone,
            ] {
                assert!(r.numerator <= r.denominator, "round {round}: {r:?}");
            }
            let behind = |f: Figure| Figures::cases_behind(f, &cases, november(), now).len() as u64;
            assert_eq!(behind(Figure::Filed), all.filed);
            assert_eq!(behind(Figure::AcceptedInTime), all.accepted_in_time.denominator);
            assert_eq!(behind(Figure::Closed), all.redone.denominator);
            assert_eq!(behind(Figure::Rated), all.satisfied.denominator);
            assert_eq!(behind(Figure::Returned), all.returned.numerator);
            assert_eq!(behind(Figure::MissedDeadlines), all.missed_deadlines);
            assert_eq!(
                all.hours_to_accept.cases,
                cases
                    .iter()
                    .filter(|c| {
                        november().contains(c.events[0].at) && c.events.iter().any(|e| e.action == A::Accept)
                    })
                    .count() as u64
            );
        }
    }

    #[test]
    fn a_dispute_in_progress_does_not_take_the_resolution_back() {
        // Resolved on the 3rd, resolve-by the 5th; disputed and in mediation when it passes.
        let c = case(
            t(2, 8),
            t(5, 8),
            vec![
                ev(A::File, t(1, 8), S::Submitted),
                ev(A::Accept, t(1, 9), S::Accepted),
                ev(A::Resolve, t(3, 8), S::Resolved),
                ev(A::Dispute, t(4, 8), S::Disputed),
                ev(A::Mediate, t(4, 9), S::Mediating),
            ],
        );
        assert_eq!(Figures::compute([&c], november(), t(10, 8)).missed_deadlines, 0);
        // Ordered to redo: the resolution is taken back, and the deadline is missed.
        let mut redo = c.clone();
        redo.events.push(ev(A::OrderRedo, t(4, 10), S::Accepted));
        assert_eq!(Figures::compute([&redo], november(), t(10, 8)).missed_deadlines, 1);
    }

    #[test]
    fn a_rate_over_too_few_cases_has_no_share() {
        let r = Ratio { numerator: 9, denominator: 9 };
        assert_eq!(r.share(10), None);
        assert_eq!(r.share(9), Some(1.0));
        assert_eq!(Ratio::default().share(0), None, "nothing over nothing is never a share");
        assert!((Ratio::default().share_or_whole() - 1.0).abs() < f64::EPSILON);
    }

    #[test]
    fn scores_and_grades_follow_the_rules() {
        let rules = ScoringRules::default();
        rules.check().unwrap();
        let f = Figures {
            responded: Ratio { numerator: 9, denominator: 10 },
            resolved: Ratio { numerator: 8, denominator: 10 },
            satisfied: Ratio { numerator: 3, denominator: 4 },
            missed_deadlines: 2,
            disputes_lost: 1,
            escalations: 1,
            ..Figures::default()
        };
        // 30 × 0.9 + 35 × 0.8 + 35 × 0.75 = 27 + 28 + 26.25 = 81.25; minus 2 + 2 + 2 = 75.25.
        let s = rules.score(&f);
        assert_eq!(s.from_rates, 81.3);
        assert_eq!(s.deducted, 6.0);
        assert_eq!(s.score, 75.3);
        assert_eq!(s.grade, Grade::Qualified);
        assert_eq!(rules.grade(90.0), Grade::Excellent);
        assert_eq!(rules.grade(59.9), Grade::Unqualified);
        assert_eq!(rules.grade(60.0), Grade::BasicallyQualified);
        let mut heavy = f.clone();
        heavy.missed_deadlines = 500;
        assert_eq!(rules.score(&heavy).score, 0.0, "a score never goes below zero");
        let bad = ScoringRules { weight_responded: 50.0, ..ScoringRules::default() };
        assert_eq!(bad.check(), Err(crate::Code::InvalidScoringRules));
    }

    #[test]
    fn boards_leave_out_small_samples_and_never_list_a_company_twice() {
        let id = |n: u128| PropertyCompanyId(Uuid::from_u128(n));
        let s = |n, score, sample| Standing { company_id: id(n), score, sample };
        let (red, black) = board(vec![s(1, 99.0, 1), s(2, 80.0, 10), s(3, 70.0, 12), s(4, 90.0, 30)], 10, 3);
        let ids = |v: &[Standing]| v.iter().map(|s| s.company_id).collect::<Vec<_>>();
        assert_eq!(ids(&red), [id(4), id(2)], "company 1 has one case: on neither board");
        assert_eq!(ids(&black), [id(3)], "of three ranked, two red and one black");
        let (red, black) = board(vec![s(2, 80.0, 10), s(3, 70.0, 12), s(4, 90.0, 30), s(5, 50.0, 11)], 10, 2);
        assert_eq!(ids(&red), [id(4), id(2)]);
        assert_eq!(ids(&black), [id(5), id(3)]);
        let (red, _) = board(vec![s(6, 80.0, 10), s(7, 80.0, 20)], 10, 1);
        assert_eq!(ids(&red), [id(7)], "a tie goes to the larger sample");
    }

    #[test]
    fn appeals_close_seven_days_after_publication() {
        assert!(appeal_open(t(1, 8), t(8, 8)));
        assert!(!appeal_open(t(1, 8), t(8, 9)));
    }
}

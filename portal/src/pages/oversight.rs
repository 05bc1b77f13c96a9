//! Oversight (监督考核): the dashboard of a scope (the three rates by month as lines, cases by
//! estate and by category as bars, each chart with its table, every figure linked to its
//! cases), the cases behind a figure, spreadsheet exports, monthly scorecards with
//! publication, appeals and decisions, and the 红黑榜.

use super::complaints::{choices, Choice};
use super::{
    ctx, ctx_post, finish, form, html, page, query, see_other, sentence, status_of, value, Ctx, Fail, PageResult,
};
use crate::chart;
use crate::view::{time, Chrome};
use askama::Template;
use domain::authz::Scope;
use domain::complaint::{Category, Priority};
use domain::oversight::{Figure, Figures, Month, Period, Ratio};
use infra::oversight::{Backlog, Narrow, PlaceKind, Report, ReportTable};
use poem::http::StatusCode;
use poem::web::Path;
use poem::{handler, Body, Request, Response};
use std::collections::HashMap;
use uuid::Uuid;

/// One figure as a page shows it.
pub struct Cell {
    /// Its name.
    pub label: &'static str,
    /// The share as a percentage, a count, or "样本不足".
    pub shown: String,
    /// `n/d` for a rate; empty for a count.
    pub of: String,
    /// The cases behind it; empty when it cannot be opened.
    pub href: String,
}

struct TableRow {
    label: String,
    cells: Vec<Cell>,
}

/// What a link to the cases behind a figure needs.
struct Link<'a> {
    scope: &'a str,
    query: &'a str,
}

impl Link<'_> {
    fn to(&self, figure: Figure) -> String {
        format!("/oversight/cases?scope={}&figure={figure}&{}", self.scope, self.query)
    }
}

/// Where a table row's figures open: its own scope and query.
struct RowLink {
    scope: String,
    query: String,
}

fn rate(cx: &Ctx, key: &str, r: Ratio, min: u64, href: String) -> Cell {
    Cell {
        label: cx.t.s(key),
        shown: r
            .share(min)
            .map_or_else(|| cx.t.s("oversight.small_sample").to_owned(), |s| format!("{:.1}%", s * 100.0)),
        of: format!("{}/{}", r.numerator, r.denominator),
        href,
    }
}

fn count(cx: &Ctx, key: &str, n: u64, href: String) -> Cell {
    Cell { label: cx.t.s(key), shown: n.to_string(), of: String::new(), href }
}

fn hours(cx: &Ctx, key: &str, h: Option<f64>) -> Cell {
    Cell {
        label: cx.t.s(key),
        shown: h.map_or_else(|| "–".to_owned(), |h| format!("{h:.1}")),
        of: String::new(),
        href: String::new(),
    }
}

/// The figures in table order, each linked where it can be opened; the backlog (open and
/// overdue now) where the row has one.
fn cells(cx: &Ctx, f: &Figures, backlog: Option<Backlog>, min: u64, link: Option<&Link<'_>>) -> Vec<Cell> {
    let to = |fig: Figure| link.map_or_else(String::new, |l| l.to(fig));
    let now = |key: &str, n: Option<u64>, fig: Figure| match n {
        Some(n) => count(cx, key, n, to(fig)),
        None => Cell { label: cx.t.s(key), shown: "–".to_owned(), of: String::new(), href: String::new() },
    };
    vec![
        count(cx, "oversight.filed", f.filed, to(Figure::Filed)),
        now("oversight.open_now", backlog.map(|b| b.open), Figure::OpenNow),
        now("oversight.overdue_now", backlog.map(|b| b.overdue), Figure::OverdueNow),
        rate(cx, "oversight.accepted_in_time", f.accepted_in_time, min, to(Figure::AcceptedInTime)),
        rate(cx, "oversight.responded", f.responded, min, to(Figure::Filed)),
        rate(cx, "oversight.resolved", f.resolved, min, to(Figure::Filed)),
        rate(cx, "oversight.satisfied", f.satisfied, min, to(Figure::Rated)),
        rate(cx, "oversight.on_time", f.on_time, min, to(Figure::Closed)),
        rate(cx, "oversight.returned", f.returned, min, to(Figure::Returned)),
        rate(cx, "oversight.redone", f.redone, min, to(Figure::Closed)),
        rate(cx, "oversight.disputed", f.disputed, min, to(Figure::Disputed)),
        rate(cx, "oversight.escalated", f.escalated, min, to(Figure::Escalated)),
        hours(cx, "oversight.accept_median", f.hours_to_accept.median),
        hours(cx, "oversight.accept_p90", f.hours_to_accept.p90),
        hours(cx, "oversight.resolve_median", f.hours_to_resolve.median),
        hours(cx, "oversight.resolve_p90", f.hours_to_resolve.p90),
        count(cx, "oversight.missed_deadlines", f.missed_deadlines, to(Figure::MissedDeadlines)),
    ]
}

struct ScopeLink {
    href: String,
    label: String,
}

struct CardLink {
    href: String,
    label: String,
}

#[derive(Template)]
#[template(path = "oversight.html")]
struct HomePage {
    c: Chrome,
    scopes: Vec<ScopeLink>,
    cards: Vec<CardLink>,
    board_month: String,
}

fn scope_label(cx: &Ctx, scope: Scope, name: &str) -> String {
    match scope {
        Scope::County => cx.t.s("oversight.county").to_owned(),
        _ => name.to_owned(),
    }
}

/// What the caller may oversee, the scorecards they may see, and the board.
#[handler]
pub async fn home(req: &Request) -> Response {
    let result: PageResult = async {
        let cx = ctx(req).await?;
        let o = &cx.services().oversight;
        let scopes = o
            .scopes(&cx.actor)
            .await?
            .into_iter()
            .map(|(s, name)| ScopeLink {
                href: format!("/oversight/dashboard?scope={s}"),
                label: scope_label(&cx, s, &name),
            })
            .collect();
        let last = Month::of(cx.services().clock.now()).previous();
        let cards = o
            .card_communities(&cx.actor)
            .await?
            .into_iter()
            .map(|(id, name)| CardLink {
                href: format!("/oversight/scorecards?community_id={id}&month={last}"),
                label: name,
            })
            .collect();
        page(&HomePage { c: cx.chrome("/oversight"), scopes, cards, board_month: last.to_string() })
    }
    .await;
    finish(req, result)
}

/// The period of a dashboard: `from` and `to` months (default the six months up to this one).
fn months(cx: &Ctx, q: &HashMap<String, String>) -> Result<(Month, Month, Period), Fail> {
    let now = Month::of(cx.services().clock.now());
    let parse = |k: &str| value(q, k).map(str::parse::<Month>).transpose().map_err(|_| Fail::BadRequest);
    let to = parse("to")?.unwrap_or(now);
    let from = parse("from")?.unwrap_or_else(|| (0..5).fold(to, |m, _| m.previous()));
    let (Some(a), Some(b)) = (Period::month(from), Period::month(to)) else { return Err(Fail::BadRequest) };
    let period = infra::oversight::checked(Some(Period { from: a.from, to: b.to }).filter(|p| p.from < p.to))
        .map_err(Fail::Use)?;
    Ok((from, to, period))
}

fn narrow(q: &HashMap<String, String>) -> Result<Narrow, Fail> {
    Ok(Narrow {
        category: value(q, "category").map(str::parse::<Category>).transpose().map_err(|_| Fail::BadRequest)?,
        priority: value(q, "priority").map(str::parse::<Priority>).transpose().map_err(|_| Fail::BadRequest)?,
        company: value(q, "company_id")
            .map(str::parse::<Uuid>)
            .transpose()
            .map_err(|_| Fail::BadRequest)?
            .map(Into::into),
        estate: value(q, "estate_id")
            .map(str::parse::<Uuid>)
            .transpose()
            .map_err(|_| Fail::BadRequest)?
            .map(Into::into),
    })
}

fn scope_of(q: &HashMap<String, String>) -> Result<Scope, Fail> {
    value(q, "scope").ok_or(Fail::BadRequest)?.parse::<Scope>().map_err(|_| Fail::BadRequest)
}

/// The query that repeats a dashboard's period and narrowing, for links and exports.
fn period_query(from: Month, to: Month, q: &HashMap<String, String>) -> String {
    let mut s = format!("from={from}&to={to}");
    for k in ["category", "priority", "company_id", "estate_id"] {
        if let Some(v) = value(q, k) {
            s.push_str(&format!("&{k}={v}"));
        }
    }
    s
}

struct Overdue {
    id: Uuid,
    number: String,
    estate: String,
    due: String,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    c: Chrome,
    title: String,
    scope: String,
    from: String,
    to: String,
    as_of: String,
    min_sample: u64,
    categories: Vec<Choice>,
    priorities: Vec<Choice>,
    totals: Vec<Cell>,
    headers: Vec<&'static str>,
    trend_svg: String,
    by_month: Vec<TableRow>,
    place_title: &'static str,
    place_svg: String,
    by_place: Vec<TableRow>,
    category_svg: String,
    by_category: Vec<TableRow>,
    by_company: Vec<TableRow>,
    overdue: Vec<Overdue>,
    export: String,
    /// Joint meetings' tasks due in the period per organization: name, due, on time, late,
    /// outstanding (a community's or the county's dashboard).
    tasks: Vec<(String, u64, u64, u64, u64)>,
}

fn rows(
    cx: &Ctx,
    rows: &[infra::oversight::Row],
    min: u64,
    label: impl Fn(&infra::oversight::Row) -> String,
    link: impl Fn(&infra::oversight::Row) -> RowLink,
) -> Vec<TableRow> {
    rows.iter()
        .map(|r| {
            let l = link(r);
            let to = Link { scope: &l.scope, query: &l.query };
            TableRow { label: label(r), cells: cells(cx, &r.figures, r.backlog, min, Some(&to)) }
        })
        .collect()
}

/// A scope's dashboard.
#[handler]
pub async fn dashboard(req: &Request) -> Response {
    let result: PageResult = async {
        let cx = ctx(req).await?;
        let q = query(req);
        let scope = scope_of(&q)?;
        let (from, to, period) = months(&cx, &q)?;
        let n = narrow(&q)?;
        let o = &cx.services().oversight;
        let report: Report = o.report(&cx.actor, scope, period, n).await?;
        let min = report.min_sample;
        let pq = period_query(from, to, &q);
        let scope_text = scope.to_string();
        let link = Link { scope: &scope_text, query: &pq };
        let name =
            o.scopes(&cx.actor).await?.into_iter().find(|(s, _)| *s == scope).map(|(s, n)| scope_label(&cx, s, &n));
        let title = name.unwrap_or_else(|| scope_text.clone());
        let x: Vec<String> = report.by_month.iter().map(|r| r.label.clone()).collect();
        let series = [("oversight.responded", 0), ("oversight.resolved", 1), ("oversight.satisfied", 2)]
            .into_iter()
            .map(|(key, which)| {
                let values = report
                    .by_month
                    .iter()
                    .map(|r| {
                        let f = &r.figures;
                        [f.responded, f.resolved, f.satisfied][which].share(min)
                    })
                    .collect();
                (cx.t.s(key).to_owned(), values)
            })
            .collect::<Vec<_>>();
        let trend_svg = chart::lines(cx.t.s("oversight.trend"), &x, &series);
        let place_title = cx.t.s(if report.place_kind == PlaceKind::Community {
            "oversight.by_community"
        } else {
            "oversight.by_estate"
        });
        let overdue = |r: &infra::oversight::Row| r.backlog.map_or(0, |b| b.overdue);
        let place_bars: Vec<(String, u64, u64)> =
            report.by_place.iter().map(|r| (r.label.clone(), r.figures.filed, overdue(r))).collect();
        let place_svg =
            chart::bars(place_title, &place_bars, cx.t.s("oversight.filed"), cx.t.s("oversight.overdue_now"));
        let category_bars: Vec<(String, u64, u64)> = report
            .by_category
            .iter()
            .map(|r| (cx.t.of("category", &r.key).to_owned(), r.figures.filed, overdue(r)))
            .collect();
        let category_svg = chart::bars(
            cx.t.s("oversight.by_category"),
            &category_bars,
            cx.t.s("oversight.filed"),
            cx.t.s("oversight.overdue_now"),
        );
        let overdue_cases = o.cases(&cx.actor, scope, period, n, Figure::OverdueNow, 50).await?;
        let estate_names: HashMap<Uuid, String> = o.estate_names(overdue_cases.iter().map(|c| c.estate_id)).await?;
        let headers = cells(&cx, &Figures::default(), None, min, None).iter().map(|c| c.label).collect();
        let community = match scope {
            Scope::Community(c) => Some(Some(c.0)),
            Scope::County => Some(None),
            Scope::Estate(_) | Scope::Company(_) | Scope::Department(_) => None,
        };
        let tasks = match community {
            Some(c) => {
                let (first, last) = (
                    domain::clock::local_date(period.from),
                    domain::clock::local_date(period.to) - chrono::Duration::days(1),
                );
                cx.services()
                    .meetings
                    .task_tally(&cx.actor, c, first, last)
                    .await?
                    .into_iter()
                    .map(|r| (r.organization_name, r.tally.due, r.tally.on_time, r.tally.late, r.tally.outstanding))
                    .collect()
            }
            None => Vec::new(),
        };
        let p = DashboardPage {
            tasks,
            title,
            from: from.to_string(),
            to: to.to_string(),
            as_of: time(report.as_of),
            min_sample: min,
            categories: choices(
                Category::ALL.iter().map(|k| (k.as_str(), cx.t.of("category", k.as_str()).to_owned())),
                n.category.map(Category::as_str),
            ),
            priorities: choices(
                Priority::ALL.iter().map(|k| (k.as_str(), cx.t.of("priority", k.as_str()).to_owned())),
                n.priority.map(Priority::as_str),
            ),
            totals: cells(&cx, &report.totals, Some(report.backlog), min, Some(&link)),
            headers,
            trend_svg,
            by_month: rows(
                &cx,
                &report.by_month,
                min,
                |r| r.label.clone(),
                |r| RowLink {
                    scope: scope_text.clone(),
                    query: period_query(r.key.parse().unwrap_or(from), r.key.parse().unwrap_or(to), &q),
                },
            ),
            place_title,
            place_svg,
            by_place: rows(
                &cx,
                &report.by_place,
                min,
                |r| r.label.clone(),
                |r| match report.place_kind {
                    // The county's rows are communities: their own scope.
                    PlaceKind::Community => RowLink { scope: format!("community:{}", r.key), query: pq.clone() },
                    PlaceKind::Estate => {
                        RowLink { scope: scope_text.clone(), query: format!("{pq}&estate_id={}", r.key) }
                    }
                },
            ),
            category_svg,
            by_category: rows(
                &cx,
                &report.by_category,
                min,
                |r| cx.t.of("category", &r.key).to_owned(),
                |r| RowLink { scope: scope_text.clone(), query: format!("{pq}&category={}", r.key) },
            ),
            by_company: rows(
                &cx,
                &report.by_company,
                min,
                |r| r.label.clone(),
                |r| RowLink { scope: scope_text.clone(), query: format!("{pq}&company_id={}", r.key) },
            ),
            overdue: overdue_cases
                .into_iter()
                .map(|c| Overdue {
                    id: c.id,
                    number: c.case_number,
                    estate: estate_names.get(&c.estate_id).cloned().unwrap_or_default(),
                    due: time(c.resolve_by),
                })
                .collect(),
            export: format!("/oversight/export?scope={scope_text}&{pq}"),
            scope: scope_text,
            c: cx.chrome("/oversight"),
        };
        page(&p)
    }
    .await;
    finish(req, result)
}

/// One of a dashboard's tables as CSV or .xlsx.
#[handler]
pub async fn export(req: &Request) -> Response {
    let result: PageResult = async {
        let cx = ctx(req).await?;
        let q = query(req);
        let scope = scope_of(&q)?;
        let (_, _, period) = months(&cx, &q)?;
        let which: ReportTable = value(&q, "table").unwrap_or("by_month").parse().map_err(|_| Fail::BadRequest)?;
        let report = cx.services().oversight.report(&cx.actor, scope, period, narrow(&q)?).await?;
        download(&report.table(which), value(&q, "format"), "oversight")
    }
    .await;
    finish(req, result)
}

fn download(table: &infra::export::Table, format: Option<&str>, name: &str) -> PageResult {
    let (bytes, kind, ext) = match format.unwrap_or("csv") {
        "csv" => (table.csv(), "text/csv; charset=utf-8", "csv"),
        "xlsx" => (table.xlsx()?, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
        _ => return Err(Fail::BadRequest),
    };
    Ok(Response::builder()
        .status(StatusCode::OK)
        .header(poem::http::header::CONTENT_TYPE, kind)
        .header(poem::http::header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}.{ext}\""))
        .body(bytes))
}

struct CaseLine {
    id: Uuid,
    number: String,
    category: &'static str,
    status: &'static str,
    due: String,
}

#[derive(Template)]
#[template(path = "oversight_cases.html")]
struct CasesPage {
    c: Chrome,
    figure: &'static str,
    back: String,
    rows: Vec<CaseLine>,
}

/// The cases behind a figure.
#[handler]
pub async fn cases(req: &Request) -> Response {
    let result: PageResult = async {
        let cx = ctx(req).await?;
        let q = query(req);
        let scope = scope_of(&q)?;
        let (from, to, period) = months(&cx, &q)?;
        let figure: Figure = value(&q, "figure").ok_or(Fail::BadRequest)?.parse().map_err(|_| Fail::BadRequest)?;
        let rows = cx.services().oversight.cases(&cx.actor, scope, period, narrow(&q)?, figure, 1000).await?;
        page(&CasesPage {
            figure: cx.t.of("figure", figure.as_str()),
            back: format!("/oversight/dashboard?scope={scope}&{}", period_query(from, to, &q)),
            rows: rows
                .into_iter()
                .map(|c| CaseLine {
                    id: c.id,
                    number: c.case_number,
                    category: cx.t.of("category", c.category.as_str()),
                    status: cx.t.of("status", c.status.as_str()),
                    due: time(c.resolve_by),
                })
                .collect(),
            c: cx.chrome("/oversight"),
        })
    }
    .await;
    finish(req, result)
}

struct CardRow {
    href: String,
    company: String,
    score: String,
    grade: &'static str,
    grade_key: &'static str,
    from_rates: String,
    deducted: String,
    sample: u64,
    rates: Vec<Cell>,
}

#[derive(Template)]
#[template(path = "scorecards.html")]
struct CardsPage {
    c: Chrome,
    community: String,
    community_id: String,
    month: String,
    previous: String,
    next: String,
    published: bool,
    can_publish: bool,
    rows: Vec<CardRow>,
    export: String,
    error: String,
}

fn card_rates(cx: &Ctx, f: &Figures, min: u64) -> Vec<Cell> {
    vec![
        rate(cx, "oversight.responded", f.responded, min, String::new()),
        rate(cx, "oversight.resolved", f.resolved, min, String::new()),
        rate(cx, "oversight.satisfied", f.satisfied, min, String::new()),
    ]
}

async fn render_cards(cx: &Ctx, community: Uuid, month: Month, error: String, code: StatusCode) -> PageResult {
    let o = &cx.services().oversight;
    let cards = o.scorecards(&cx.actor, community.into(), month).await?;
    let min = o.min_sample();
    // Community names are public; the scorecards above were already checked.
    let community_name =
        o.community_names().await?.into_iter().find(|(id, _)| *id == community).map(|(_, n)| n).unwrap_or_default();
    let month_over = Period::month(month).is_some_and(|p| p.to <= cx.services().clock.now());
    let can_publish =
        !cards.published && month_over && !cards.cards.is_empty() && o.may_publish(&cx.actor, community.into());
    let p = CardsPage {
        community: community_name,
        community_id: community.to_string(),
        month: month.to_string(),
        previous: month.previous().to_string(),
        next: month.next().to_string(),
        published: cards.published,
        can_publish,
        rows: cards
            .cards
            .iter()
            .map(|k| CardRow {
                href: k.id.map_or_else(String::new, |id| format!("/oversight/scorecards/{id}")),
                company: k.company_name.clone(),
                score: format!("{:.1}", k.score),
                grade: cx.t.of("grade", k.grade.as_str()),
                grade_key: k.grade.as_str(),
                from_rates: format!("{:.1}", k.from_rates),
                deducted: format!("{:.1}", k.deducted),
                sample: k.sample,
                rates: card_rates(cx, &k.figures, min),
            })
            .collect(),
        export: format!("/oversight/scorecards/export?community_id={community}&month={month}"),
        error,
        c: cx.chrome("/oversight"),
    };
    Ok(html(code, p.render()?))
}

/// A month's scorecards in a community (drafts for the branch before publication).
#[handler]
pub async fn scorecards(req: &Request) -> Response {
    let result: PageResult = async {
        let cx = ctx(req).await?;
        let q = query(req);
        let community: Uuid =
            value(&q, "community_id").ok_or(Fail::BadRequest)?.parse().map_err(|_| Fail::BadRequest)?;
        let month: Month = value(&q, "month").ok_or(Fail::BadRequest)?.parse().map_err(|_| Fail::BadRequest)?;
        render_cards(&cx, community, month, String::new(), StatusCode::OK).await
    }
    .await;
    finish(req, result)
}

/// A month's scorecards as CSV or .xlsx.
#[handler]
pub async fn scorecards_export(req: &Request) -> Response {
    let result: PageResult = async {
        let cx = ctx(req).await?;
        let q = query(req);
        let community: Uuid =
            value(&q, "community_id").ok_or(Fail::BadRequest)?.parse().map_err(|_| Fail::BadRequest)?;
        let month: Month = value(&q, "month").ok_or(Fail::BadRequest)?.parse().map_err(|_| Fail::BadRequest)?;
        let o = &cx.services().oversight;
        let cards = o.scorecards(&cx.actor, community.into(), month).await?;
        download(&cards.table(o.min_sample()), value(&q, "format"), "scorecards")
    }
    .await;
    finish(req, result)
}

/// Publishes a month (the secretary).
#[handler]
pub async fn publish(req: &Request, body: Body) -> Response {
    let result: PageResult = async {
        let f = form(body).await?;
        let cx = ctx_post(req, &f).await?;
        let community: Uuid =
            value(&f, "community_id").ok_or(Fail::BadRequest)?.parse().map_err(|_| Fail::BadRequest)?;
        let month: Month = value(&f, "month").ok_or(Fail::BadRequest)?.parse().map_err(|_| Fail::BadRequest)?;
        match cx.services().oversight.publish(&cx.actor, community.into(), month).await {
            Ok(_) => Ok(see_other(&format!("/oversight/scorecards?community_id={community}&month={month}"))),
            Err(e) => {
                let e = super::shown(e)?;
                let message = sentence(&cx.t, &e);
                render_cards(&cx, community, month, message, status_of(&e)).await
            }
        }
    }
    .await;
    finish(req, result)
}

struct Edition {
    edition: i32,
    current: bool,
    published: String,
    score: String,
    grade: &'static str,
    from_rates: String,
    deducted: String,
    note: String,
    figures: Vec<Cell>,
}

struct AppealRow {
    id: Uuid,
    filed: String,
    reason: String,
    status: &'static str,
    pending: bool,
    note: String,
}

#[derive(Template)]
#[template(path = "scorecard.html")]
struct CardPage {
    c: Chrome,
    id: Uuid,
    company: String,
    month: String,
    back: String,
    appeal_until: String,
    editions: Vec<Edition>,
    appeals: Vec<AppealRow>,
    can_appeal: bool,
    can_decide: bool,
    error: String,
}

async fn render_card(cx: &Ctx, id: Uuid, error: String, code: StatusCode) -> PageResult {
    let o = &cx.services().oversight;
    let (editions, appeals) = o.scorecard(&cx.actor, id).await?;
    let min = o.min_sample();
    let current = editions.iter().find(|e| e.current).or(editions.first()).ok_or(Fail::BadRequest)?;
    let pending = appeals.iter().any(|a| a.status == "pending");
    let (can_appeal, can_decide) = o.may_appeal_or_decide(&cx.actor, current).await?;
    let p = CardPage {
        id: current.id.unwrap_or(id),
        company: current.company_name.clone(),
        month: current.month.clone(),
        back: format!("/oversight/scorecards?community_id={}&month={}", current.community_id, current.month),
        appeal_until: current.appeal_until.map(time).unwrap_or_default(),
        can_appeal: can_appeal && !pending,
        can_decide: can_decide && pending,
        editions: editions
            .iter()
            .map(|e| Edition {
                edition: e.edition,
                current: e.current,
                published: e.published_at.map(time).unwrap_or_default(),
                score: format!("{:.1}", e.score),
                grade: cx.t.of("grade", e.grade.as_str()),
                from_rates: format!("{:.1}", e.from_rates),
                deducted: format!("{:.1}", e.deducted),
                note: e.note.clone().unwrap_or_default(),
                figures: cells(cx, &e.figures, None, min, None),
            })
            .collect(),
        appeals: appeals
            .into_iter()
            .map(|a| AppealRow {
                id: a.id,
                filed: time(a.filed_at),
                pending: a.status == "pending",
                status: cx.t.of("appeal", &a.status),
                reason: a.reason,
                note: a.decision_note.unwrap_or_default(),
            })
            .collect(),
        error,
        c: cx.chrome("/oversight"),
    };
    Ok(html(code, p.render()?))
}

/// A published scorecard with its editions and appeals.
#[handler]
pub async fn scorecard(req: &Request, Path(id): Path<Uuid>) -> Response {
    let result: PageResult = async {
        let cx = ctx(req).await?;
        render_card(&cx, id, String::new(), StatusCode::OK).await
    }
    .await;
    finish(req, result)
}

/// The company's appeal.
#[handler]
pub async fn appeal(req: &Request, Path(id): Path<Uuid>, body: Body) -> Response {
    let result: PageResult = async {
        let f = form(body).await?;
        let cx = ctx_post(req, &f).await?;
        let reason = value(&f, "reason").unwrap_or_default();
        match cx.services().oversight.appeal(&cx.actor, id, reason).await {
            Ok(_) => Ok(see_other(&format!("/oversight/scorecards/{id}"))),
            Err(e) => {
                let e = super::shown(e)?;
                let message = sentence(&cx.t, &e);
                render_card(&cx, id, message, status_of(&e)).await
            }
        }
    }
    .await;
    finish(req, result)
}

/// The branch's decision on an appeal.
#[handler]
pub async fn decide(req: &Request, Path((id, appeal_id)): Path<(Uuid, Uuid)>, body: Body) -> Response {
    let result: PageResult = async {
        let f = form(body).await?;
        let cx = ctx_post(req, &f).await?;
        let uphold = match value(&f, "decision") {
            Some("uphold") => true,
            Some("reject") => false,
            _ => return Err(Fail::BadRequest),
        };
        let note = value(&f, "note").unwrap_or_default();
        match cx.services().oversight.decide(&cx.actor, appeal_id, uphold, note).await {
            Ok(a) => Ok(see_other(&format!("/oversight/scorecards/{}", a.corrected_scorecard_id.unwrap_or(id)))),
            Err(e) => {
                let e = super::shown(e)?;
                let message = sentence(&cx.t, &e);
                render_card(&cx, id, message, status_of(&e)).await
            }
        }
    }
    .await;
    finish(req, result)
}

struct Standing {
    company: String,
    score: String,
    sample: u64,
}

#[derive(Template)]
#[template(path = "board.html")]
struct BoardPage {
    c: Chrome,
    month: String,
    previous: String,
    next: String,
    place: String,
    community_id: String,
    min_sample: u64,
    red: Vec<Standing>,
    black: Vec<Standing>,
    communities: Vec<Choice>,
}

/// The 红黑榜 of a month, for the county or a community.
#[handler]
pub async fn board(req: &Request) -> Response {
    let result: PageResult = async {
        let cx = ctx(req).await?;
        let q = query(req);
        let month: Month = match value(&q, "month") {
            Some(m) => m.parse().map_err(|_| Fail::BadRequest)?,
            None => Month::of(cx.services().clock.now()).previous(),
        };
        let community: Option<Uuid> =
            value(&q, "community_id").map(str::parse).transpose().map_err(|_| Fail::BadRequest)?;
        let o = &cx.services().oversight;
        let b = o.board(&cx.actor, month, community.map(Into::into)).await?;
        let all = cx.services().oversight.community_names().await?;
        let place = community
            .and_then(|c| all.iter().find(|(id, _)| *id == c).map(|(_, n)| n.clone()))
            .unwrap_or_else(|| cx.t.s("oversight.county").to_owned());
        let standing = |e: infra::oversight::BoardEntry| Standing {
            company: e.company_name,
            score: format!("{:.1}", e.score),
            sample: e.sample,
        };
        page(&BoardPage {
            month: month.to_string(),
            previous: month.previous().to_string(),
            next: month.next().to_string(),
            place,
            community_id: community.map(|c| c.to_string()).unwrap_or_default(),
            min_sample: b.min_sample,
            red: b.red.into_iter().map(standing).collect(),
            black: b.black.into_iter().map(standing).collect(),
            communities: std::iter::once(Choice {
                value: String::new(),
                label: cx.t.s("oversight.county").to_owned(),
                selected: community.is_none(),
            })
            .chain(all.into_iter().map(|(id, name)| Choice {
                value: id.to_string(),
                label: name,
                selected: community == Some(id),
            }))
            .collect(),
            c: cx.chrome("/oversight"),
        })
    }
    .await;
    finish(req, result)
}

//! The report's and the scorecards' tables for spreadsheets, with Chinese headers.

use super::{Backlog, MonthCards, PlaceKind, Report, Row};
use domain::complaint::Category;
use domain::oversight::Figures;
use domain::Code;

/// The columns every figures table has, in the order of [`figures_cells`].
fn figures_headers(first: &str) -> Vec<String> {
    let mut h = vec![first.to_owned(), "受理量".into(), "在办".into(), "超期在办".into()];
    for name in RATE_NAMES {
        h.push(name.to_owned());
        h.push(format!("{name}（分子/分母）"));
    }
    h.extend(
        [
            "签收用时中位数（小时）",
            "签收用时P90（小时）",
            "办结用时中位数（小时）",
            "办结用时P90（小时）",
            "超时件数",
            "重办裁定",
            "吹哨次数",
        ]
        .map(String::from),
    );
    h
}

/// The rates of [`Figures`], in table order.
const RATE_NAMES: [&str; 9] =
    ["及时签收率", "响应率", "解决率", "满意率", "按时办结率", "回退率", "重办率", "争议率", "吹哨率"];

fn rates(f: &Figures) -> [domain::oversight::Ratio; 9] {
    [f.accepted_in_time, f.responded, f.resolved, f.satisfied, f.on_time, f.returned, f.redone, f.disputed, f.escalated]
}

fn figures_cells(label: &str, f: &Figures, backlog: Option<Backlog>, min_sample: u64) -> Vec<crate::export::Cell> {
    use crate::export::Cell;
    let mut row = vec![Cell::from(label), f.filed.into()];
    match backlog {
        Some(b) => row.extend([Cell::from(b.open), Cell::from(b.overdue)]),
        None => row.extend([Cell::Empty, Cell::Empty]),
    }
    for r in rates(f) {
        row.push(r.share(min_sample).map_or_else(|| Cell::from("样本不足"), Cell::Share));
        row.push(Cell::Text(format!("{}/{}", r.numerator, r.denominator)));
    }
    for h in [f.hours_to_accept.median, f.hours_to_accept.p90, f.hours_to_resolve.median, f.hours_to_resolve.p90] {
        row.push(h.map_or(Cell::Empty, Cell::Number));
    }
    row.extend([f.missed_deadlines.into(), f.disputes_lost.into(), f.escalations.into()]);
    row
}

/// Which table of a [`Report`] to export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportTable {
    /// The whole period.
    Totals,
    /// Month by month.
    ByMonth,
    /// Place by place (communities of the county, or estates).
    ByPlace,
    /// Category by category.
    ByCategory,
    /// Company by company.
    ByCompany,
}

impl std::str::FromStr for ReportTable {
    type Err = Code;
    fn from_str(s: &str) -> std::result::Result<Self, Code> {
        match s {
            "totals" => Ok(Self::Totals),
            "by_month" => Ok(Self::ByMonth),
            "by_place" => Ok(Self::ByPlace),
            "by_category" => Ok(Self::ByCategory),
            "by_company" => Ok(Self::ByCompany),
            _ => Err(Code::InvalidValue),
        }
    }
}

impl Report {
    /// One of the report's tables, for a spreadsheet: `totals`, `by_month`, `by_estate`,
    /// `by_category` or `by_company`. Categories are named in Chinese.
    #[must_use]
    pub fn table(&self, which: ReportTable) -> crate::export::Table {
        let place = if self.place_kind == PlaceKind::Community { "社区" } else { "小区" };
        let rows = |rows: &[Row], label: &dyn Fn(&Row) -> String| -> Vec<Vec<crate::export::Cell>> {
            rows.iter().map(|r| figures_cells(&label(r), &r.figures, r.backlog, self.min_sample)).collect()
        };
        let (title, first, rows) = match which {
            ReportTable::Totals => (
                "合计".to_owned(),
                "范围",
                vec![figures_cells(&self.scope.to_string(), &self.totals, Some(self.backlog), self.min_sample)],
            ),
            ReportTable::ByMonth => ("按月".to_owned(), "月份", rows(&self.by_month, &|r| r.label.clone())),
            ReportTable::ByPlace => (format!("按{place}"), place, rows(&self.by_place, &|r| r.label.clone())),
            ReportTable::ByCategory => (
                "按类别".to_owned(),
                "类别",
                rows(&self.by_category, &|r| {
                    r.key.parse::<Category>().map_or_else(|_| r.label.clone(), |c| category_label(c).to_owned())
                }),
            ),
            ReportTable::ByCompany => {
                ("按物业企业".to_owned(), "物业企业", rows(&self.by_company, &|r| r.label.clone()))
            }
        };
        crate::export::Table { title, headers: figures_headers(first), rows }
    }
}

impl MonthCards {
    /// The month's scorecards as a table.
    #[must_use]
    pub fn table(&self, min_sample: u64) -> crate::export::Table {
        use crate::export::Cell;
        let mut headers = vec![
            "物业企业".to_owned(),
            "月份".into(),
            "状态".into(),
            "版次".into(),
            "得分".into(),
            "等次".into(),
            "三率得分".into(),
            "扣分".into(),
        ];
        headers.extend(figures_headers("范围").into_iter().skip(1));
        let rows = self
            .cards
            .iter()
            .map(|c| {
                let mut row = vec![
                    Cell::from(c.company_name.as_str()),
                    Cell::from(c.month.as_str()),
                    Cell::from(if c.id.is_some() { "已发布" } else { "草稿" }),
                    Cell::Number(f64::from(c.edition)),
                    Cell::Number(c.score),
                    Cell::from(grade_label(c.grade)),
                    Cell::Number(c.from_rates),
                    Cell::Number(c.deducted),
                ];
                row.extend(figures_cells("", &c.figures, None, min_sample).into_iter().skip(1));
                row
            })
            .collect();
        crate::export::Table { title: format!("物业服务考核{}", self.month), headers, rows }
    }
}

/// A grade in Chinese.
#[must_use]
pub fn grade_label(g: domain::oversight::Grade) -> &'static str {
    use domain::oversight::Grade;
    match g {
        Grade::Excellent => "优秀",
        Grade::Qualified => "合格",
        Grade::BasicallyQualified => "基本合格",
        Grade::Unqualified => "不合格",
    }
}

/// A category in Chinese.
#[must_use]
pub fn category_label(c: Category) -> &'static str {
    match c {
        Category::Repair => "维修",
        Category::Sanitation => "环境卫生",
        Category::Security => "安全",
        Category::Parking => "停车",
        Category::Fees => "物业费",
        Category::Noise => "噪音",
        Category::Greenery => "绿化",
        Category::Elevator => "电梯",
        Category::PublicIncome => "公共收益",
        Category::Other => "其他",
    }
}

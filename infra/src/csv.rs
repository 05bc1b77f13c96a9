//! CSV exports for spreadsheets: UTF-8 with a byte-order mark and Chinese headers and labels.

use crate::appointments::AppointmentView;

use crate::export::csv_field as field;

fn title_label(title: &str) -> &str {
    match title {
        "secretary" => "书记",
        "deputy_secretary" => "副书记",
        "member" => "委员",
        "director" => "主任",
        "deputy_director" => "副主任",
        "grid_worker" => "专职网格员",
        "part_time_grid_worker" => "兼职网格员",
        "resident" => "居民",
        "manager" => "项目经理",
        "staff" => "员工",
        "head" => "负责人",
        "officer" => "工作人员",
        "administrator" => "管理员",
        "part_time_member" => "兼职委员",
        "party_building_instructor" => "党建指导员",
        "supervisor" => "监督员",
        other => other,
    }
}

fn status_label(status: &str) -> &str {
    match status {
        "proposed" => "待审批",
        "active" => "在任",
        "rejected" => "未通过",
        "ended" => "已结束",
        "revoked" => "已撤销",
        other => other,
    }
}

/// The header row of the cross-appointment export.
pub const APPOINTMENTS_HEADER: &str =
    "编号,姓名,本职单位,本职职务,任职单位,任职职务,开始日期,结束日期,状态,依据,终止原因";

/// Cross-appointments as CSV bytes.
#[must_use]
pub fn appointments(rows: &[AppointmentView]) -> Vec<u8> {
    let mut out = String::from("\u{feff}");
    out.push_str(APPOINTMENTS_HEADER);
    out.push_str("\r\n");
    for v in rows {
        let r = &v.record;
        let cells = [
            r.id.to_string(),
            v.person_name.clone(),
            v.home_org_name.clone(),
            title_label(&v.home_title).to_owned(),
            v.host_name.clone(),
            title_label(r.host_title.as_str()).to_owned(),
            r.term.start.to_string(),
            r.term.end.map(|d| d.to_string()).unwrap_or_default(),
            status_label(v.effective_status.as_str()).to_owned(),
            r.basis.clone(),
            r.end_reason.clone().unwrap_or_default(),
        ];
        out.push_str(&cells.iter().map(|c| field(c)).collect::<Vec<_>>().join(","));
        out.push_str("\r\n");
    }
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_with_commas_quotes_or_formulas_are_made_safe() {
        assert_eq!(field("纪要〔2026〕1号"), "纪要〔2026〕1号");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("=SUM(A1)"), "'=SUM(A1)");
    }
}

//! Oversight through the portal: the dashboard's charts, tables and links agree with the API,
//! each party reaches only its own pages, and a month is published, appealed and corrected
//! entirely through forms.

use chrono::{Datelike, FixedOffset, Utc};
use tests::e2e;
use tests::web::Browser;

fn month_back(back: u32) -> String {
    let today = Utc::now().with_timezone(&FixedOffset::east_opt(8 * 3600).unwrap()).date_naive();
    let (mut y, mut m) = (today.year(), today.month());
    for _ in 0..back {
        (y, m) = if m == 1 { (y - 1, 12) } else { (y, m - 1) };
    }
    format!("{y:04}-{m:02}")
}

e2e!(the_dashboard_draws_its_charts_and_links_every_figure_to_its_cases, |app| async move {
    let d = app.demo().await;
    let b = Browser::sign_in(&app.address, "secretary").await;
    let home = b.get("/oversight").await;
    assert_eq!(home.status, 200, "{}", home.body);
    let scope = format!("community:{}", d.c1);
    assert!(home.attrs("a", "href").contains(&format!("/oversight/dashboard?scope={scope}")), "{}", home.body);

    let (from, to) = (month_back(2), month_back(0));
    let page = b.get(&format!("/oversight/dashboard?scope={scope}&from={from}&to={to}")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(
        page.doc().select(&scraper::Selector::parse("svg.chart").unwrap()).count(),
        3,
        "trend, estates, categories"
    );
    assert!(page.body.contains("<title>三率逐月走势</title>"));
    // The totals equal the API's report of the same period.
    let first = format!("{from}-01");
    let last = {
        let next = chrono::NaiveDate::parse_from_str(&format!("{to}-01"), "%Y-%m-%d").unwrap();
        next.checked_add_months(chrono::Months::new(1)).unwrap() - chrono::Duration::days(1)
    };
    let api = app
        .as_user("secretary")
        .await
        .get(&format!("/api/v1/oversight/report?scope={scope}&from={first}&to={last}"))
        .await
        .expect(200);
    let filed_link = format!("/oversight/cases?scope={scope}&figure=filed&from={from}&to={to}");
    // 受理量 and the rates of filed cases (响应率, 解决率) all open the filed cases.
    let shown: Vec<String> = page.texts(&format!("#totals a[href='{filed_link}']"));
    assert_eq!(shown.len(), 3, "{shown:?}");
    assert_eq!(shown[0], api["totals"]["filed"].to_string());
    let share = |name: &str| {
        api["totals"][name]["share"].as_f64().map_or("样本不足".to_owned(), |s| format!("{:.1}%", s * 100.0))
    };
    assert_eq!(shown[1..], [share("responded"), share("resolved")]);
    // Three months in the trend table, one row per estate with cases.
    assert_eq!(page.texts("#trend tbody th").len(), 3);
    assert_eq!(page.texts("#places tbody th").len(), api["by_place"].as_array().unwrap().len());
    assert_eq!(api["place_kind"], "estate");
    // The open and overdue counts are the case list's own.
    let open_link = format!("/oversight/cases?scope={scope}&figure=open_now&from={from}&to={to}");
    assert_eq!(page.texts(&format!("#totals a[href='{open_link}']")), [api["open_now"].to_string()]);
    let open = b.get(&open_link).await;
    assert_eq!(open.attrs("tbody a", "href").len().to_string(), api["open_now"].to_string());
    // The link opens the cases behind the figure: as many as the figure says.
    let cases = b.get(&filed_link).await;
    assert_eq!(cases.status, 200, "{}", cases.body);
    assert_eq!(cases.attrs("tbody a", "href").len().to_string(), api["totals"]["filed"].to_string());
    // Each table row's figures open their own cases: a company's, an estate's, a month's.
    for table in ["#companies", "#places", "#trend"] {
        let hrefs = page.attrs(&format!("{table} tbody tr td a"), "href");
        let counts = page.texts(&format!("{table} tbody tr td a"));
        assert!(!hrefs.is_empty(), "{table} links nothing");
        let opened = b.get(&hrefs[0].replace("&amp;", "&")).await;
        assert_eq!(opened.status, 200, "{}", opened.body);
        assert_eq!(opened.attrs("tbody a", "href").len().to_string(), counts[0], "{table}: {}", hrefs[0]);
    }
    // Exports of the page's tables.
    let xlsx = b.get(&format!("/oversight/export?scope={scope}&from={from}&to={to}&table=by_place&format=xlsx")).await;
    assert_eq!(xlsx.status, 200);
    assert_eq!(
        xlsx.header("content-type").as_deref(),
        Some("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    );
    let csv = b.get(&format!("/oversight/export?scope={scope}&from={from}&to={to}&table=by_month&format=csv")).await;
    assert!(csv.body.starts_with("\u{feff}月份,受理量,"), "{}", csv.body);
});

e2e!(each_party_reaches_only_its_own_oversight_pages, |app| async move {
    let d = app.demo().await;
    let scope = format!("community:{}", d.c1);
    for who in ["manager2", "secretary2", "resident", "owner"] {
        let b = Browser::sign_in(&app.address, who).await;
        let page = b.get(&format!("/oversight/dashboard?scope={scope}")).await;
        assert_eq!(page.status, 403, "{who}: {}", page.body);
        let export = b.get(&format!("/oversight/export?scope={scope}&format=csv")).await;
        assert_eq!(export.status, 403, "{who} exports nothing");
        let cases = b.get(&format!("/oversight/cases?scope={scope}&figure=filed")).await;
        assert_eq!(cases.status, 403, "{who} opens no case list");
    }
    // A resident has no scope to oversee, but sees the published board.
    let resident = Browser::sign_in(&app.address, "resident").await;
    let home = resident.get("/oversight").await;
    assert!(!home.body.contains("/oversight/dashboard"), "{}", home.body);
    let board = resident.get(&format!("/oversight/board?month={}", month_back(1))).await;
    assert_eq!(board.status, 200);
    assert_eq!(board.texts("#black .company"), ["某县宏达物业管理有限公司"]);
    // Drafts stay with the branch; a company sees only its own published scorecard.
    let drafts = format!("/oversight/scorecards?community_id={}&month={}", d.c1, month_back(0));
    assert_eq!(Browser::sign_in(&app.address, "county").await.get(&drafts).await.status, 403);
    let manager2 = Browser::sign_in(&app.address, "manager2").await;
    let published = manager2.get(&format!("/oversight/scorecards?community_id={}&month={}", d.c1, month_back(1))).await;
    assert_eq!(published.status, 200);
    assert_eq!(published.texts("table.scorecards tbody th a"), ["某县宏达物业管理有限公司"]);
    // Malformed parameters are a 400 page, never a 500.
    assert_eq!(manager2.get("/oversight/dashboard?scope=nonsense").await.status, 400);
    assert_eq!(manager2.get("/oversight/board?month=2026-13").await.status, 400);
});

e2e!(a_month_is_published_appealed_and_corrected_through_forms, |app| async move {
    let d = app.demo().await;
    let month = month_back(3);
    let list = format!("/oversight/scorecards?community_id={}&month={month}", d.c1);
    let secretary = Browser::sign_in(&app.address, "secretary").await;
    let drafts = secretary.get(&list).await;
    assert_eq!(drafts.status, 200, "{}", drafts.body);
    assert!(drafts.body.contains("草稿"));
    // Neither the company scored nor another community's secretary publishes through the form,
    // even with a valid token of their own.
    for who in ["manager", "secretary2"] {
        let b = Browser::sign_in(&app.address, who).await;
        let own = b.get("/oversight").await;
        let csrf = own.attrs("input[name=csrf]", "value").into_iter().next().unwrap();
        let refused = b
            .post(
                "/oversight/scorecards/publish",
                &[("csrf".into(), csrf), ("community_id".into(), d.c1.clone()), ("month".into(), month.clone())],
            )
            .await;
        assert_eq!(refused.status, 403, "{who}: {}", refused.body);
    }
    // Without the CSRF token nothing is published.
    let forged = secretary
        .post(
            "/oversight/scorecards/publish",
            &[("community_id".into(), d.c1.clone()), ("month".into(), month.clone())],
        )
        .await;
    assert_ne!(forged.status, 303);
    assert_eq!(secretary.get(&list).await.attrs("form[action='/oversight/scorecards/publish']", "action").len(), 1);
    let done = secretary.submit(&drafts, "/oversight/scorecards/publish", &[]).await;
    assert_eq!(done.status, 303, "{}", done.body);
    let published = secretary.get(&list).await;
    assert!(published.body.contains("已发布"));
    assert!(published.attrs("form[action='/oversight/scorecards/publish']", "action").is_empty(), "published once");
    let links = published.attrs("table.scorecards tbody th a", "href");

    // 安居物业's manager appeals its scorecard through the form.
    let manager = Browser::sign_in(&app.address, "manager").await;
    let mine = manager.get(&list).await;
    let card = mine.attrs("table.scorecards tbody th a", "href");
    assert_eq!(card.len(), 1);
    assert!(links.contains(&card[0]));
    let card_page = manager.get(&card[0]).await;
    let appeal_action = format!("{}/appeals", card[0]);
    let filed = manager.submit(&card_page, &appeal_action, &[("reason", "一件超时系停水所致")]).await;
    assert_eq!(filed.status, 303, "{}", filed.body);
    // A rival cannot even open it.
    let manager2 = Browser::sign_in(&app.address, "manager2").await;
    assert_eq!(manager2.get(&card[0]).await.status, 404);
    // The secretary upholds it: a corrected edition becomes the one shown.
    let to_decide = secretary.get(&card[0]).await;
    let action = to_decide.attrs("form.decide", "action");
    assert_eq!(action.len(), 1, "{}", to_decide.body);
    assert!(manager.get(&card[0]).await.attrs("form.decide", "action").is_empty(), "the company decides nothing");
    let decided =
        secretary.submit(&to_decide, &action[0], &[("decision", "uphold"), ("note", "核实属实，予以更正")]).await;
    assert_eq!(decided.status, 303, "{}", decided.body);
    let corrected = secretary.get(&decided.location().unwrap()).await;
    assert_eq!(corrected.texts("details.edition summary").len(), 2, "{}", corrected.body);
    assert!(corrected.body.contains("核实属实，予以更正"));
});

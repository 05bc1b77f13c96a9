//! Oversight end to end: figures from the event log against a hand-worked history, the
//! minimum-sample guard, who sees which scope, scorecards published, appealed and corrected,
//! the 红黑榜, and the exports.

use chrono::{Datelike, Duration, FixedOffset, Utc};
use serde_json::Value;
use tests::{e2e_with, join_all, json, Client};

fn cst_today() -> chrono::NaiveDate {
    (Utc::now() + Duration::hours(8)).date_naive()
}

/// `YYYY-MM` of the month `back` months before this one (China Standard Time).
fn month_back(back: u32) -> String {
    let today = Utc::now().with_timezone(&FixedOffset::east_opt(8 * 3600).unwrap()).date_naive();
    let (mut y, mut m) = (today.year(), today.month());
    for _ in 0..back {
        if m == 1 {
            y -= 1;
            m = 12;
        } else {
            m -= 1;
        }
    }
    format!("{y:04}-{m:02}")
}

fn report_path(scope: &str) -> String {
    let today = cst_today();
    format!(
        "/api/v1/oversight/report?scope={scope}&from={}&to={}",
        today - Duration::days(1),
        today + Duration::days(1)
    )
}

fn rate(r: &Value) -> (u64, u64) {
    (r["numerator"].as_u64().unwrap(), r["denominator"].as_u64().unwrap())
}

fn delta(after: &Value, before: &Value, name: &str) -> (u64, u64) {
    let (a, b) = (rate(&after["totals"][name]), rate(&before["totals"][name]));
    (a.0 - b.0, a.1 - b.1)
}

async fn act(c: &Client<'_>, case: &Value, action: &str, extra: Value) -> Value {
    c.act_on_complaint(case, action, extra).await
}

e2e_with!(figures_follow_a_hand_worked_history, |s: &mut api::Settings| s.min_sample = 3, |app| async move {
    let d = app.demo().await;
    let resident = app.as_user("resident").await;
    let manager = app.as_user("manager").await;
    let secretary = app.as_user("secretary").await;
    let scope = format!("estate:{}", d.jinxiu);
    let before = secretary.get(&report_path(&scope)).await.expect(200);

    // A: accepted, resolved, confirmed 满意.
    let a = resident.file_complaint(&d.jinxiu, "A 单元门禁失灵").await;
    let a = act(&manager, &a, "accept", json!({})).await;
    let a = act(&manager, &a, "resolve", json!({})).await;
    act(&resident, &a, "confirm", json!({"rating": "satisfied"})).await;
    // B: returned, sent back by the branch, accepted.
    let b = resident.file_complaint(&d.jinxiu, "B 车库积水").await;
    let b = act(&manager, &b, "return", json!({"reason": "属市政管网"})).await;
    let b = act(&secretary, &b, "reassign", json!({"note": "小区内管网属物业"})).await;
    act(&manager, &b, "accept", json!({})).await;
    // C: withdrawn before the company answered.
    let c = resident.file_complaint(&d.jinxiu, "C 误报").await;
    act(&resident, &c, "withdraw", json!({})).await;
    // D: resolved, disputed, mediated, ordered to redo.
    let dd = resident.file_complaint(&d.jinxiu, "D 外墙渗水").await;
    let dd = act(&manager, &dd, "accept", json!({})).await;
    let dd = act(&manager, &dd, "resolve", json!({})).await;
    let dd = act(&resident, &dd, "dispute", json!({"reason": "仍渗水"})).await;
    let dd = act(&secretary, &dd, "mediate", json!({})).await;
    let redo_by = (Utc::now() + Duration::days(3)).to_rfc3339();
    act(&secretary, &dd, "order-redo", json!({"resolve_by": redo_by})).await;

    let after = secretary.get(&report_path(&scope)).await.expect(200);
    let t = &after["totals"];
    assert_eq!(t["filed"].as_u64().unwrap() - before["totals"]["filed"].as_u64().unwrap(), 4);
    // By hand: answered A, B, D of four; resolved now only A of the three not withdrawn;
    // one rating, 满意; A closed on time and never redone; B returned; D disputed; no
    // escalation; respond-by (a day away) met by A, B (after its reassign) and D, C left
    // out as withdrawn before it; one order to redo.
    assert_eq!(delta(&after, &before, "responded"), (3, 4));
    assert_eq!(delta(&after, &before, "resolved"), (1, 3));
    assert_eq!(delta(&after, &before, "satisfied"), (1, 1));
    assert_eq!(delta(&after, &before, "on_time"), (1, 1));
    assert_eq!(delta(&after, &before, "redone"), (0, 1));
    assert_eq!(delta(&after, &before, "returned"), (1, 4));
    assert_eq!(delta(&after, &before, "disputed"), (1, 4));
    assert_eq!(delta(&after, &before, "escalated"), (0, 4));
    assert_eq!(delta(&after, &before, "accepted_in_time"), (3, 3));
    assert_eq!(t["disputes_lost"].as_u64().unwrap() - before["totals"]["disputes_lost"].as_u64().unwrap(), 1);
    assert_eq!(after["open_now"].as_u64().unwrap() - before["open_now"].as_u64().unwrap(), 2, "B and D");

    // Every share is its numerator over its denominator, or absent under the sample of 3.
    for name in ["accepted_in_time", "responded", "resolved", "satisfied", "on_time", "returned", "redone"] {
        let r = &t[name];
        let (n, den) = rate(r);
        if den < 3 {
            assert!(r.get("share").is_none(), "{name}: {r}");
        } else {
            let share = r["share"].as_f64().unwrap();
            assert!((share - n as f64 / den as f64).abs() < 1e-9, "{name}: {r}");
        }
    }
    // The month rows and the estate row add up to the same as the totals.
    let estate_row = after["by_place"].as_array().unwrap().iter().find(|r| r["key"] == d.jinxiu.as_str()).unwrap();
    assert_eq!(estate_row["figures"]["filed"], t["filed"]);
    let months: u64 =
        after["by_month"].as_array().unwrap().iter().map(|r| r["figures"]["filed"].as_u64().unwrap()).sum();
    assert_eq!(months, t["filed"].as_u64().unwrap());

    // The cases behind 回退 are B (and whatever was returned before in the period).
    let today = cst_today();
    let behind = secretary
        .get(&format!(
            "/api/v1/oversight/cases?scope={scope}&figure=returned&from={}&to={}",
            today - Duration::days(1),
            today + Duration::days(1)
        ))
        .await
        .expect(200);
    let numbers: Vec<&str> = behind.as_array().unwrap().iter().map(|c| c["case_number"].as_str().unwrap()).collect();
    assert!(numbers.contains(&b["case_number"].as_str().unwrap()), "{numbers:?}");
    assert!(!numbers.contains(&a["case_number"].as_str().unwrap()));
    assert!(behind.as_array().unwrap().iter().all(|c| c.get("title").is_none() && c.get("filer_name").is_none()));

    // Bad input: a clear error, never a 500.
    let bad = secretary.get("/api/v1/oversight/report?scope=estate:nope").await;
    assert_eq!((bad.status.as_u16(), bad.code()), (422, "validation_failed"));
    let bad = secretary.get(&format!("/api/v1/oversight/report?scope={scope}&from=2026-05-01&to=2026-04-01")).await;
    assert_eq!(bad.status, 422);
    let bad = secretary.get(&format!("/api/v1/oversight/report?scope={scope}&from=2024-01-01&to=2026-04-01")).await;
    assert_eq!(bad.status, 422, "longer than 366 days");
    let bad = secretary.get(&format!("/api/v1/oversight/cases?scope={scope}&figure=everything")).await;
    assert_eq!(bad.status, 422);
    for query in ["from=0001-01-01&to=0001-01-31", "from=-5000-01-01&to=-5000-01-31", "from=2026-01-01"] {
        let bad = secretary.get(&format!("/api/v1/oversight/report?scope={scope}&{query}")).await;
        assert!(matches!(bad.status.as_u16(), 400 | 422), "{query}: {}", bad.status);
    }
    let bad = secretary.get(&format!("/api/v1/oversight/report/export.pdf?scope={scope}")).await;
    assert_eq!(bad.status, 404, "csv and xlsx only");
    let bad = secretary.get(&format!("/api/v1/oversight/report/export.csv?scope={scope}&table=by_estate")).await;
    assert_eq!(bad.status, 422);
});

e2e_with!(each_party_sees_only_its_own_scope, |s: &mut api::Settings| s.min_sample = 10, |app| async move {
    let d = app.demo().await;
    let status = |c: &Client<'_>, scope: String| {
        let path = format!("/api/v1/oversight/report?scope={scope}");
        let token = c.token.clone();
        async move { app.send("GET", &path, Some(&token), None).await.status }
    };
    let secretary = app.as_user("secretary").await;
    let secretary2 = app.as_user("secretary2").await;
    let manager = app.as_user("manager").await;
    let manager2 = app.as_user("manager2").await;
    let owner = app.as_user("owner").await;
    let resident = app.as_user("resident").await;
    let officer = app.as_user("officer").await;
    let county = app.as_user("county").await;
    let c1 = format!("community:{}", d.c1);
    assert_eq!(status(&secretary, c1.clone()).await, 200);
    assert_eq!(status(&secretary2, c1.clone()).await, 403, "another community's secretary");
    assert_eq!(status(&county, c1.clone()).await, 200);
    assert_eq!(status(&county, "county".into()).await, 200);
    assert_eq!(status(&secretary, "county".into()).await, 403);
    assert_eq!(status(&manager, format!("company:{}", d.anju)).await, 200);
    assert_eq!(status(&manager2, format!("company:{}", d.anju)).await, 403, "a rival company");
    assert_eq!(status(&manager, c1.clone()).await, 403, "a company on the community that oversees it");
    assert_eq!(status(&owner, format!("estate:{}", d.jinxiu)).await, 200);
    assert_eq!(status(&owner, format!("estate:{}", d.cuiyuan)).await, 403, "a committee on a neighbouring estate");
    assert_eq!(status(&resident, format!("estate:{}", d.jinxiu)).await, 403, "a resident sees the board, not figures");
    assert_eq!(status(&officer, format!("department:{}", d.housing)).await, 200);
    assert_eq!(status(&officer, c1.clone()).await, 403);
    // A denied look is audited.
    let admin = app.as_user("admin").await;
    let audit = admin.get("/api/v1/audit?limit=20").await.expect(200);
    assert!(audit["items"].as_array().unwrap().iter().any(|r| r["resource"] == "oversight" && r["decision"] == "deny"));
});

e2e_with!(
    scorecards_are_published_appealed_and_corrected,
    |s: &mut api::Settings| s.min_sample = 1,
    |app| async move {
        let d = app.demo().await;
        let secretary = app.as_user("secretary").await;
        let secretary2 = app.as_user("secretary2").await;
        let manager = app.as_user("manager").await;
        let manager2 = app.as_user("manager2").await;
        let owner = app.as_user("owner").await;
        let resident = app.as_user("resident").await;
        let county = app.as_user("county").await;
        let month = month_back(3);
        let list = format!("/api/v1/oversight/scorecards?community_id={}&month={month}", d.c1);

        // Drafts: the branch only.
        let drafts = secretary.get(&list).await.expect(200);
        assert_eq!(drafts["published"], false);
        assert!(drafts["cards"].as_array().unwrap().iter().all(|c| c.get("id").is_none() && c["edition"] == 0));
        for (who, c) in [("manager", &manager), ("county", &county), ("secretary2", &secretary2), ("owner", &owner)] {
            assert_eq!(c.get(&list).await.status, 403, "{who} sees no draft");
        }
        // This month is not over.
        let refused = secretary
            .post("/api/v1/oversight/scorecards/publish", json!({"community_id": d.c1, "month": month_back(0)}))
            .await;
        assert_eq!((refused.status.as_u16(), refused.code()), (409, "month_not_over"));
        // Only the community's secretary publishes; two racing publications make one.
        for c in [&manager, &secretary2, &county] {
            let r = c.post("/api/v1/oversight/scorecards/publish", json!({"community_id": d.c1, "month": month})).await;
            assert_eq!(r.status, 403);
        }
        let body = json!({"community_id": d.c1, "month": month});
        let results = join_all(vec![
            secretary.post("/api/v1/oversight/scorecards/publish", body.clone()),
            secretary.post("/api/v1/oversight/scorecards/publish", body.clone()),
        ])
        .await;
        let mut statuses: Vec<u16> = results.iter().map(|r| r.status.as_u16()).collect();
        statuses.sort_unstable();
        assert_eq!(statuses, [200, 409], "one publication wins");
        let published = secretary.get(&list).await.expect(200);
        assert_eq!(published["published"], true);
        let cards = published["cards"].as_array().unwrap();
        let anju = cards.iter().find(|c| c["company_id"] == d.anju.as_str()).unwrap();
        let anju_id = anju["id"].as_str().unwrap().to_owned();
        assert_eq!(anju["edition"], 1);

        // Each company sees its own; the committee sees the company serving it; a resident none.
        let names = |v: &Value| -> Vec<String> {
            v["cards"].as_array().unwrap().iter().map(|c| c["company_id"].as_str().unwrap().to_owned()).collect()
        };
        assert_eq!(names(&manager.get(&list).await.expect(200)), std::slice::from_ref(&d.anju));
        assert_eq!(names(&manager2.get(&list).await.expect(200)), std::slice::from_ref(&d.hongda));
        assert_eq!(names(&owner.get(&list).await.expect(200)), std::slice::from_ref(&d.anju));
        assert_eq!(resident.get(&list).await.status, 403);
        assert_eq!(county.get(&list).await.expect(200)["cards"].as_array().unwrap().len(), cards.len());
        assert_eq!(manager2.get(&format!("/api/v1/oversight/scorecards/{anju_id}")).await.status, 404);

        // Appeals: only the scored company's manager, once at a time.
        let appeal_path = format!("/api/v1/oversight/scorecards/{anju_id}/appeals");
        assert_eq!(manager2.post(&appeal_path, json!({"reason": "x"})).await.status, 404, "a rival company");
        assert_eq!(owner.post(&appeal_path, json!({"reason": "x"})).await.status, 403, "the committee");
        let empty = manager.post(&appeal_path, json!({"reason": "  "})).await;
        assert_eq!(empty.status, 422);
        // Two appeals at once: one is filed, the other finds it.
        let raced = join_all(vec![
            manager.post(&appeal_path, json!({"reason": "两件超时系业主不在家无法入户"})),
            manager.post(&appeal_path, json!({"reason": "两件超时系业主不在家无法入户"})),
        ])
        .await;
        let mut raced_statuses: Vec<u16> = raced.iter().map(|r| r.status.as_u16()).collect();
        raced_statuses.sort_unstable();
        assert_eq!(raced_statuses, [201, 409], "one pending appeal per edition");
        let appeal = raced.into_iter().find(|r| r.status.as_u16() == 201).unwrap().body;
        assert_eq!(appeal["status"], "pending");
        let again = manager.post(&appeal_path, json!({"reason": "再次"})).await;
        assert_eq!((again.status.as_u16(), again.code()), (409, "appeal_pending"));
        let appeals = secretary2.get("/api/v1/oversight/appeals").await.expect(200);
        assert!(appeals.as_array().unwrap().is_empty(), "another community's secretary sees no appeal");
        let rivals = manager2.get("/api/v1/oversight/appeals").await.expect(200);
        assert!(
            rivals.as_array().unwrap().iter().all(|a| a["company_id"] == d.hongda.as_str()),
            "only 宏达's own: {rivals}"
        );
        assert_eq!(manager.get("/api/v1/oversight/appeals").await.expect(200).as_array().unwrap().len(), 1);

        // Decisions: the secretary, with a note; nobody else.
        let decide = format!("/api/v1/oversight/appeals/{}/decide", appeal["id"].as_str().unwrap());
        assert_eq!(manager.post(&decide, json!({"uphold": true, "note": "自己批准"})).await.status, 403);
        assert_eq!(secretary2.post(&decide, json!({"uphold": true, "note": "x"})).await.status, 404);
        assert_eq!(secretary.post(&decide, json!({"uphold": true, "note": ""})).await.status, 422);
        let decided = secretary.post(&decide, json!({"uphold": true, "note": "经核实，予以更正"})).await.expect(200);
        assert_eq!(decided["status"], "upheld");
        let corrected = decided["corrected_scorecard_id"].as_str().unwrap();
        let replay = secretary.post(&decide, json!({"uphold": false, "note": "改判"})).await;
        assert_eq!((replay.status.as_u16(), replay.code()), (409, "already_answered"));
        let history = manager.get(&format!("/api/v1/oversight/scorecards/{corrected}")).await.expect(200);
        let editions = history["editions"].as_array().unwrap();
        assert_eq!(editions.len(), 2, "the old edition stays in the history");
        assert_eq!((editions[0]["edition"].as_i64(), editions[0]["current"].as_bool()), (Some(2), Some(true)));
        assert_eq!((editions[1]["edition"].as_i64(), editions[1]["current"].as_bool()), (Some(1), Some(false)));
        assert_eq!(editions[0]["corrects"], anju_id.as_str());
        assert_eq!(history["appeals"][0]["decision_note"], "经核实，予以更正");
        let shown = secretary.get(&list).await.expect(200);
        let shown_anju =
            shown["cards"].as_array().unwrap().iter().find(|c| c["company_id"] == d.anju.as_str()).unwrap();
        assert_eq!(shown_anju["id"], corrected, "the corrected edition is the one shown");

        // The board reads published editions; anyone signed in sees it.
        let board =
            resident.get(&format!("/api/v1/oversight/board?month={month}&community_id={}", d.c1)).await.expect(200);
        assert_eq!(board["min_sample"], 1);
        let listed = board["red"].as_array().unwrap().iter().chain(board["black"].as_array().unwrap());
        assert!(listed.clone().all(|e| e["sample"].as_u64().unwrap() >= 1), "{board}");
        assert!(listed.clone().all(|e| cards.iter().any(|c| c["company_id"] == e["company_id"])));

        // Exports: CSV with a BOM, and a workbook.
        let csv_path = list.replace("/scorecards?", "/scorecards/export.csv?");
        let xlsx_path = list.replace("/scorecards?", "/scorecards/export.xlsx?");
        let http = reqwest::Client::new();
        let csv = http.get(format!("{}{csv_path}", app.address)).bearer_auth(&secretary.token).send().await.unwrap();
        assert_eq!(csv.status(), 200);
        let text = csv.text().await.unwrap();
        assert!(text.starts_with("\u{feff}物业企业,"), "{text}");
        let xlsx = http.get(format!("{}{xlsx_path}", app.address)).bearer_auth(&secretary.token).send().await.unwrap();
        assert_eq!(xlsx.status(), 200);
        assert_eq!(
            xlsx.headers()["content-type"].to_str().unwrap(),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        );
        assert_eq!(&xlsx.bytes().await.unwrap()[..2], b"PK");
        let denied = http.get(format!("{}{csv_path}", app.address)).bearer_auth(&resident.token).send().await.unwrap();
        assert_eq!(denied.status(), 403);

        // Eight days on, the time to appeal is over.
        app.clock.advance(Duration::days(8));
        let manager = app.as_user("manager").await;
        let late = manager
            .post(&format!("/api/v1/oversight/scorecards/{corrected}/appeals"), json!({"reason": "迟到的异议"}))
            .await;
        assert_eq!((late.status.as_u16(), late.code()), (409, "appeal_window_over"));
    }
);

e2e_with!(
    a_secretary_serving_the_company_cannot_decide_its_appeal,
    |s: &mut api::Settings| s.min_sample = 1,
    |app| async move {
        let d = app.demo().await;
        let secretary = app.as_user("secretary").await;
        let manager = app.as_user("manager").await;
        let month = month_back(3);
        secretary
            .post("/api/v1/oversight/scorecards/publish", json!({"community_id": d.c1, "month": month}))
            .await
            .expect(200);
        let list = secretary
            .get(&format!("/api/v1/oversight/scorecards?community_id={}&month={month}", d.c1))
            .await
            .expect(200);
        let anju = list["cards"].as_array().unwrap().iter().find(|c| c["company_id"] == d.anju.as_str()).unwrap();
        let appeal = manager
            .post(
                &format!("/api/v1/oversight/scorecards/{}/appeals", anju["id"].as_str().unwrap()),
                json!({"reason": "数据有误"}),
            )
            .await
            .expect(201);
        // 王建国 becomes party-building instructor in 安居物业.
        let (wang, wang_post) = secretary.person_and_first_post().await;
        let proposal = json!({"person_id": wang, "home_post_id": wang_post, "host_kind": "property_company",
            "host_id": d.anju, "host_title": "party_building_instructor", "starts_on": "2026-01-01", "ends_on": "2028-12-31", "basis": "组织部通知"});
        let appointment = secretary.post("/api/v1/cross-appointments", proposal).await.expect(201);
        secretary
            .post(
                &format!("/api/v1/cross-appointments/{}/approve", appointment["id"].as_str().unwrap()),
                json!({"version": 0}),
            )
            .await
            .expect(200);
        let refused = secretary
            .post(
                &format!("/api/v1/oversight/appeals/{}/decide", appeal["id"].as_str().unwrap()),
                json!({"uphold": true, "note": "同意"}),
            )
            .await;
        assert_eq!(refused.status, 403, "recused");
    }
);

tests::e2e!(the_demo_county_has_published_months_a_board_and_an_appeal, |app| async move {
    let d = app.demo().await;
    let secretary = app.as_user("secretary").await;
    let resident = app.as_user("resident").await;
    for back in [1, 2] {
        let month = month_back(back);
        let cards = secretary
            .get(&format!("/api/v1/oversight/scorecards?community_id={}&month={month}", d.c1))
            .await
            .expect(200);
        assert_eq!(cards["published"], true, "{month}");
        // Each published card equals a recomputation from the events of the same month.
        let first = chrono::NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d").unwrap();
        let last = first.checked_add_months(chrono::Months::new(1)).unwrap() - Duration::days(1);
        let report = secretary
            .get(&format!("/api/v1/oversight/report?scope=community:{}&from={first}&to={last}", d.c1))
            .await
            .expect(200);
        for card in cards["cards"].as_array().unwrap() {
            let row = report["by_company"].as_array().unwrap().iter().find(|r| r["key"] == card["company_id"]).unwrap();
            for name in
                ["filed", "responded", "resolved", "satisfied", "on_time", "returned", "redone", "missed_deadlines"]
            {
                assert_eq!(card["figures"][name], row["figures"][name], "{month} {} {name}", card["company_name"]);
            }
        }
    }
    let board = resident.get(&format!("/api/v1/oversight/board?month={}", month_back(1))).await.expect(200);
    assert_eq!(board["min_sample"], 10);
    let mut red: Vec<&str> =
        board["red"].as_array().unwrap().iter().map(|e| e["company_id"].as_str().unwrap()).collect();
    red.sort_unstable();
    let mut expected_red = [d.anju.as_str(), d.xcwy.as_str()];
    expected_red.sort_unstable();
    let black: Vec<&str> =
        board["black"].as_array().unwrap().iter().map(|e| e["company_id"].as_str().unwrap()).collect();
    assert_eq!(red, expected_red, "安居 is prompt, 新城 middling");
    assert_eq!(black, [d.hongda.as_str()], "宏达 is slow");
    for entry in board["red"].as_array().unwrap().iter().chain(board["black"].as_array().unwrap()) {
        let score = entry["score"].as_f64().unwrap();
        assert!((0.0..=100.0).contains(&score), "a county score is a weighted mean of scores: {entry}");
    }
    // The county's report is by community, and its rows add up to its totals.
    let county = app.as_user("county").await;
    let whole = county.get("/api/v1/oversight/report?scope=county").await.expect(200);
    assert_eq!(whole["place_kind"], "community");
    let places = whole["by_place"].as_array().unwrap();
    let keys: Vec<&str> = places.iter().map(|r| r["key"].as_str().unwrap()).collect();
    assert!(keys.contains(&d.c1.as_str()) && keys.contains(&d.c2.as_str()), "{keys:?}");
    let total = |f: &dyn Fn(&Value) -> u64| places.iter().map(f).sum::<u64>();
    assert_eq!(total(&|r| r["figures"]["filed"].as_u64().unwrap()), whole["totals"]["filed"].as_u64().unwrap());
    assert_eq!(total(&|r| r["open_now"].as_u64().unwrap()), whole["open_now"].as_u64().unwrap());
    assert_eq!(total(&|r| r["overdue_now"].as_u64().unwrap()), whole["overdue_now"].as_u64().unwrap());
    // The backlog is the case lists' own: as many open and overdue as the list shows.
    let community = secretary.get(&format!("/api/v1/oversight/report?scope=community:{}", d.c1)).await.expect(200);
    let listed =
        secretary.get(&format!("/api/v1/complaints?community_id={}&overdue=true&limit=200", d.c1)).await.expect(200);
    let late_open = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| !matches!(c["status"].as_str(), Some("resolved" | "closed" | "withdrawn")))
        .count();
    assert_eq!(community["overdue_now"].as_u64().unwrap(), late_open as u64);
    let months: Vec<&Value> = whole["by_month"].as_array().unwrap().iter().collect();
    assert!(months.iter().all(|m| m.get("open_now").is_none()), "a month has no backlog");

    let appeals = secretary.get("/api/v1/oversight/appeals").await.expect(200);
    let appeals = appeals.as_array().unwrap();
    assert_eq!(appeals.len(), 1);
    assert_eq!(
        (appeals[0]["status"].as_str(), appeals[0]["company_id"].as_str()),
        (Some("pending"), Some(d.hongda.as_str()))
    );
});

tests::e2e!(only_an_administrator_changes_the_scoring_rules, |app| async move {
    let admin = app.as_user("admin").await;
    let rules = admin.get("/api/v1/oversight/scoring-rules").await.expect(200);
    assert_eq!(rules["weight_responded"], 30.0);
    let mut changed = rules.clone();
    changed["weight_responded"] = json!(40.0);
    changed["weight_resolved"] = json!(30.0);
    changed["weight_satisfied"] = json!(30.0);
    // The parties the scores judge, and those who only oversee, may not change how they are scored.
    for user in ["manager", "secretary", "county", "owner", "resident"] {
        let refused = app.as_user(user).await.put("/api/v1/oversight/scoring-rules", changed.clone()).await;
        assert_eq!(refused.status.as_u16(), 403, "{user}");
    }
    assert_eq!(admin.get("/api/v1/oversight/scoring-rules").await.expect(200), rules, "nothing changed");
    let mut bad = changed.clone();
    bad["weight_satisfied"] = json!(50.0);
    let refused = admin.put("/api/v1/oversight/scoring-rules", bad).await;
    assert_eq!((refused.status.as_u16(), refused.code()), (422, "validation_failed"), "weights must add up to 100");
    admin.put("/api/v1/oversight/scoring-rules", changed.clone()).await.expect(200);
    assert_eq!(admin.get("/api/v1/oversight/scoring-rules").await.expect(200), changed);
    // Drafts are scored by the rules in force.
    let secretary = app.as_user("secretary").await;
    let d = app.demo().await;
    let drafts = secretary
        .get(&format!("/api/v1/oversight/scorecards?community_id={}&month={}", d.c1, month_back(0)))
        .await
        .expect(200);
    assert!(drafts["cards"].as_array().unwrap().iter().all(|c| c["rules"]["weight_responded"] == 40.0));
});

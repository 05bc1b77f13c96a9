//! Joint meetings end to end: the lifecycle and its conflicts, who sees a meeting and its
//! record (invitation-based), immutability after publishing (amendments only), tasks on the
//! complaint's timeline, each party acting as another, recusal, and racing changes.

use chrono::{Duration, Utc};
use serde_json::Value;
use tests::{e2e, join_all, json, Client};

fn cst_today() -> chrono::NaiveDate {
    (Utc::now() + Duration::hours(8)).date_naive()
}

fn id(v: &Value) -> &str {
    v["id"].as_str().unwrap()
}

fn actions(v: &Value) -> Vec<&str> {
    v["allowed_actions"].as_array().unwrap().iter().map(|a| a.as_str().unwrap()).collect()
}

/// Convenes a meeting of community 1 that started an hour ago, about `case`, inviting 安居物业,
/// 锦绣家园's owners' committee and the housing department.
async fn convene(secretary: &Client<'_>, d: &tests::Demo, case: &Value) -> Value {
    let body = json!({
        "community_id": d.c1,
        "title": "锦绣家园漏水纠纷联席会议",
        "starts_at": (Utc::now() - Duration::hours(1)).to_rfc3339(),
        "place": "长富路社区党群服务中心",
        "agenda": [{"topic": "3号楼地下室漏水责任认定", "complaint_id": id(case)}, {"topic": "其他事项"}],
        "invitees": [
            {"org_kind": "property_company", "org_id": d.anju},
            {"org_kind": "owners_committee", "org_id": d.jinxiu_committee},
            {"org_kind": "department", "org_id": d.housing}
        ]
    });
    secretary.post("/api/v1/meetings", body).await.expect(201)
}

async fn disputed_case(app: &tests::TestApp, d: &tests::Demo) -> Value {
    let resident = app.as_user("resident").await;
    let manager = app.as_user("manager").await;
    let case = resident.file_complaint(&d.jinxiu, "地下室漏水无人处理").await;
    let case = manager.act_on_complaint(&case, "accept", json!({})).await;
    let case = manager.act_on_complaint(&case, "resolve", json!({})).await;
    resident.act_on_complaint(&case, "dispute", json!({"reason": "仍在漏水"})).await
}

/// Holds, records everyone's attendance and resolves with one task for 安居物业 due in three
/// days; returns the meeting as it stands.
async fn hold_and_resolve(secretary: &Client<'_>, d: &tests::Demo, m: &Value) -> Value {
    let path = format!("/api/v1/meetings/{}", id(m));
    let m = secretary.post(&format!("{path}/hold"), json!({"version": m["version"]})).await.expect(200);
    let invitees = m["invitees"].as_array().unwrap();
    let attendance: Vec<Value> = invitees
        .iter()
        .map(|i| match i["org_kind"].as_str() {
            Some("department") => json!({"invitee_id": i["id"], "attendance": "absent"}),
            Some("owners_committee") => {
                json!({"invitee_id": i["id"], "attendance": "delegate", "delegate_name": "业委会委员 钱某"})
            }
            _ => json!({"invitee_id": i["id"], "attendance": "present"}),
        })
        .collect();
    let item = &m["agenda"][0];
    let m = secretary
        .put(
            &format!("{path}/record"),
            json!({"version": m["version"], "attendance": attendance,
                   "minutes": [{"agenda_item_id": item["id"], "minutes": "物业承认排水泵故障"}]}),
        )
        .await
        .expect(200);
    let due = cst_today() + Duration::days(3);
    secretary
        .post(
            &format!("{path}/resolutions"),
            json!({"version": m["version"], "agenda_item_id": item["id"], "text": "物业三日内更换排水泵",
                   "tasks": [{"description": "更换3号楼地下室排水泵", "org_kind": "property_company", "org_id": d.anju, "due_on": due},
                             {"description": "组织业主代表现场验收", "org_kind": "owners_committee", "org_id": d.jinxiu_committee, "due_on": due}]}),
        )
        .await
        .expect(200)
}

e2e!(a_meeting_goes_from_convened_to_published_and_its_task_to_verified, |app| async move {
    let d = app.demo().await;
    let secretary = app.as_user("secretary").await;
    let manager = app.as_user("manager").await;
    let resident = app.as_user("resident").await;
    let case = disputed_case(app, d).await;
    let m = convene(&secretary, d, &case).await;
    assert_eq!(m["status"], "planned");
    assert_eq!(m["agenda"][0]["case_number"], case["case_number"]);
    assert!(actions(&m).contains(&"hold") && actions(&m).contains(&"cancel"), "{m}");
    let path = format!("/api/v1/meetings/{}", id(&m));

    // Publishing before it is held, and a stale version, are refused.
    let early = secretary.post(&format!("{path}/publish"), json!({"version": 0})).await;
    assert_eq!((early.status.as_u16(), early.code()), (409, "invalid_transition"));
    let m = hold_and_resolve(&secretary, d, &m).await;
    let stale = secretary.post(&format!("{path}/hold"), json!({"version": 0})).await;
    assert_eq!((stale.status.as_u16(), stale.code()), (409, "stale_version"));

    // Invitees see the meeting but not the record being written, nor its task yet.
    let seen = manager.get(&path).await.expect(200);
    assert_eq!(seen["record_visible"], false);
    assert!(seen["agenda"][0]["minutes"].is_null() && seen["agenda"][0]["resolutions"].as_array().unwrap().is_empty());
    assert!(actions(&seen).is_empty());
    let mine = manager.get("/api/v1/tasks?mine=true").await.expect(200);
    assert!(!mine["items"].as_array().unwrap().iter().any(|t| t["meeting_id"] == m["id"]), "{mine}");

    // A task for an organization not at the table is refused.
    let item = m["agenda"][0]["id"].clone();
    let refused = secretary
        .post(
            &format!("{path}/resolutions"),
            json!({"version": m["version"], "agenda_item_id": item, "text": "宏达协助",
                   "tasks": [{"description": "协助", "org_kind": "property_company", "org_id": d.hongda, "due_on": cst_today()}]}),
        )
        .await;
    assert_eq!(refused.status.as_u16(), 422);
    assert_eq!(refused.expect(422)["errors"][0]["code"], "not_invited");

    // Only the secretary signs off.
    let by_manager = manager.post(&format!("{path}/publish"), json!({"version": m["version"]})).await;
    assert_eq!(by_manager.status.as_u16(), 403);
    let m = secretary.post(&format!("{path}/publish"), json!({"version": m["version"]})).await.expect(200);
    assert_eq!(m["status"], "published");

    // The record is now immutable: no edit, record, resolve or cancel; an amendment says why.
    for (method, suffix, body) in [
        (
            "put",
            "",
            json!({"version": m["version"], "title": "改", "starts_at": Utc::now().to_rfc3339(), "place": "x", "agenda": [{"topic": "x"}], "invitees": [{"org_kind": "property_company", "org_id": d.anju}]}),
        ),
        ("put", "/record", json!({"version": m["version"], "minutes": [{"agenda_item_id": item, "minutes": "改写"}]})),
        ("post", "/resolutions", json!({"version": m["version"], "agenda_item_id": item, "text": "追加"})),
        ("post", "/cancel", json!({"version": m["version"], "reason": "取消"})),
    ] {
        let r = if method == "put" {
            secretary.put(&format!("{path}{suffix}"), body).await
        } else {
            secretary.post(&format!("{path}{suffix}"), body).await
        };
        assert_eq!((r.status.as_u16(), r.code()), (409, "invalid_transition"), "{suffix}");
    }
    let by_manager = manager
        .post(&format!("{path}/amendments"), json!({"version": m["version"], "reason": "记录有误", "text": "改"}))
        .await;
    assert_eq!(by_manager.status.as_u16(), 403);
    let m = secretary
        .post(
            &format!("{path}/amendments"),
            json!({"version": m["version"], "reason": "时限笔误", "text": "排水泵更换期限为五日"}),
        )
        .await
        .expect(200);
    assert_eq!(m["amendments"][0]["reason"], "时限笔误");
    assert_eq!(m["agenda"][0]["minutes"], "物业承认排水泵故障", "the record itself is unchanged");

    // The company now sees the record and its task on its desk.
    let seen = manager.get(&path).await.expect(200);
    assert_eq!(seen["record_visible"], true);
    let task = &seen["agenda"][0]["resolutions"][0]["tasks"][0];
    assert_eq!(actions(task), ["report_done"]);
    let mine = manager.get("/api/v1/tasks?mine=true").await.expect(200);
    assert_eq!(mine["items"][0]["id"], task["id"]);
    let task_path = format!("/api/v1/tasks/{}", id(task));

    // The owners' committee that checks the company cannot report the company's task done,
    // nor can the company's rival or the resident.
    for user in ["owner", "manager2", "resident"] {
        let c = app.as_user(user).await;
        let r = c.post(&format!("{task_path}/report-done"), json!({"version": 0, "note": "已完成"})).await;
        assert!(matches!(r.status.as_u16(), 403 | 404), "{user}: {}", r.status.as_u16());
    }
    let bare = manager.post(&format!("{task_path}/report-done"), json!({"version": 0})).await;
    assert_eq!(bare.status.as_u16(), 422, "what was done is required");
    let reported = manager
        .post(&format!("{task_path}/report-done"), json!({"version": 0, "note": "已更换排水泵"}))
        .await
        .expect(200);
    assert_eq!(reported["status"], "reported");
    let replay = manager.post(&format!("{task_path}/report-done"), json!({"version": 0, "note": "已更换排水泵"})).await;
    assert_eq!((replay.status.as_u16(), replay.code()), (409, "stale_version"));
    let back = secretary.post(&format!("{task_path}/send-back"), json!({"version": 1})).await;
    assert_eq!(back.status.as_u16(), 422, "a reason is required to send back");
    let verified = secretary.post(&format!("{task_path}/verify"), json!({"version": 1})).await.expect(200);
    assert_eq!(verified["status"], "verified");
    assert!(actions(&verified).is_empty());

    // The owners' committee reports its own task done; the company it checks cannot.
    let owner = app.as_user("owner").await;
    let committee_task = &seen["agenda"][0]["resolutions"][0]["tasks"][1];
    let committee_path = format!("/api/v1/tasks/{}", id(committee_task));
    assert_eq!(actions(&owner.get(&committee_path).await.expect(200)), ["report_done"]);
    let by_company =
        manager.post(&format!("{committee_path}/report-done"), json!({"version": 0, "note": "已验收"})).await;
    assert!(matches!(by_company.status.as_u16(), 403 | 409), "{}", by_company.status);
    let done = owner
        .post(&format!("{committee_path}/report-done"), json!({"version": 0, "note": "已组织验收"}))
        .await
        .expect(200);
    assert_eq!(done["status"], "reported");

    // The task's events are on the complaint's timeline, which the resident sees.
    let timeline = resident.get(&format!("/api/v1/complaints/{}/events", id(&case))).await.expect(200);
    let task_events: Vec<&Value> = timeline["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"].as_str().unwrap().starts_with("task_"))
        .collect();
    let task_actions: Vec<&str> = task_events.iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(
        task_actions,
        ["task_assign", "task_assign", "task_report_done", "task_verify", "task_report_done"],
        "{timeline}"
    );
    // The resident sees that the tasks moved, not what the meeting wrote into them.
    assert!(task_events.iter().all(|e| e["note"].is_null() && e["detail"].is_null()), "{timeline}");
    let as_secretary = secretary.get(&format!("/api/v1/complaints/{}/events", id(&case))).await.expect(200);
    assert!(as_secretary.to_string().contains("已更换排水泵"), "the branch sees the report");

    // The tasks as CSV for those who see the record; oversight counts it done on time.
    let csv = reqwest::Client::new()
        .get(format!("{}{path}/tasks.csv", app.address))
        .bearer_auth(&secretary.token)
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status().as_u16(), 200);
    let text = csv.text().await.unwrap();
    assert!(text.contains("更换3号楼地下室排水泵") && text.contains("已完成"), "{text}");
    assert_eq!(app.as_user("manager2").await.get(&format!("{path}/tasks.csv")).await.status.as_u16(), 404);
    let from = cst_today() - Duration::days(1);
    let to = cst_today() + Duration::days(10);
    let tally =
        secretary.get(&format!("/api/v1/oversight/tasks?community_id={}&from={from}&to={to}", d.c1)).await.expect(200);
    let anju =
        tally.as_array().unwrap().iter().find(|r| r["organization"]["id"] == d.anju.as_str()).expect("安居 counted");
    assert_eq!(
        (anju["due"].as_u64(), anju["on_time"].as_u64(), anju["outstanding"].as_u64()),
        (Some(1), Some(1), Some(0))
    );
    let refused = manager2_get(app, &format!("/api/v1/oversight/tasks?from={from}&to={to}")).await;
    assert_eq!(refused, 403, "only the county reads every community's tally");
});

async fn manager2_get(app: &tests::TestApp, path: &str) -> u16 {
    app.as_user("manager2").await.get(path).await.status.as_u16()
}

e2e!(only_invitees_and_the_community_see_a_meeting, |app| async move {
    let d = app.demo().await;
    let secretary = app.as_user("secretary").await;
    let case = disputed_case(app, d).await;
    let m = convene(&secretary, d, &case).await;
    let path = format!("/api/v1/meetings/{}", id(&m));
    // Invited: the company, the owners' committee, the department; the county reads all.
    for user in ["manager", "owner", "officer", "county"] {
        let c = app.as_user(user).await;
        c.get(&path).await.expect(200);
        let listed = c.get("/api/v1/meetings").await.expect(200);
        assert!(listed["items"].as_array().unwrap().iter().any(|i| i["id"] == m["id"]), "{user} lists it");
    }
    // Not invited: the rival company, another community's secretary, a resident.
    for user in ["manager2", "secretary2", "resident"] {
        let c = app.as_user(user).await;
        let r = c.get(&path).await;
        assert_eq!((r.status.as_u16(), r.code()), (404, "not_found"), "{user}");
        let listed = c.get(&format!("/api/v1/meetings?community_id={}", d.c1)).await.expect(200);
        assert!(!listed["items"].as_array().unwrap().iter().any(|i| i["id"] == m["id"]), "{user} lists it");
        let hold = c.post(&format!("{path}/hold"), json!({"version": 0})).await;
        assert_eq!(hold.status.as_u16(), 404, "{user} holds what it may not see");
    }
    // Another community's secretary cannot convene in community 1, nor link its cases.
    let secretary2 = app.as_user("secretary2").await;
    let r = secretary2
        .post("/api/v1/meetings", json!({"community_id": d.c1, "title": "越权", "starts_at": Utc::now().to_rfc3339(),
            "place": "x", "agenda": [{"topic": "x"}], "invitees": [{"org_kind": "property_company", "org_id": d.anju}]}))
        .await;
    assert_eq!(r.status.as_u16(), 403);
    let r = secretary2
        .post("/api/v1/meetings", json!({"community_id": d.c2, "title": "串案", "starts_at": Utc::now().to_rfc3339(),
            "place": "x", "agenda": [{"topic": "x", "complaint_id": id(&case)}],
            "invitees": [{"org_kind": "property_company", "org_id": d.hongda}, {"org_kind": "owners_committee", "org_id": d.jinxiu_committee}]}))
        .await;
    let body = r.expect(422);
    let fields: Vec<&str> = body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["invitees[0]", "invitees[1]", "agenda[0].complaint_id"], "{body}");
    // Nor does the company convene.
    let r = app
        .as_user("manager")
        .await
        .post(
            "/api/v1/meetings",
            json!({"community_id": d.c1, "title": "x",
        "starts_at": Utc::now().to_rfc3339(), "place": "x", "agenda": [{"topic": "x"}],
        "invitees": [{"org_kind": "property_company", "org_id": d.anju}]}),
        )
        .await;
    assert_eq!(r.status.as_u16(), 403);
});

e2e!(cancelling_holding_early_and_racing_changes, |app| async move {
    let d = app.demo().await;
    let secretary = app.as_user("secretary").await;
    let future = json!({"community_id": d.c1, "title": "下周例会", "starts_at": (Utc::now() + Duration::days(7)).to_rfc3339(),
        "place": "会议室", "agenda": [{"topic": "垃圾分类"}], "invitees": [{"org_kind": "residents_committee", "org_id": d.c1}]});
    let m = secretary.post("/api/v1/meetings", future.clone()).await.expect(201);
    let path = format!("/api/v1/meetings/{}", id(&m));
    let early = secretary.post(&format!("{path}/hold"), json!({"version": 0})).await;
    assert_eq!((early.status.as_u16(), early.code()), (409, "meeting_not_started"));
    let no_reason = secretary.post(&format!("{path}/cancel"), json!({"version": 0})).await;
    assert_eq!(no_reason.status.as_u16(), 422);
    // A planned meeting is edited whole; a refused edit changes nothing.
    let mut edit = future.clone();
    edit.as_object_mut().unwrap().remove("community_id");
    edit["version"] = json!(0);
    edit["title"] = json!("下周例会（改期）");
    edit["invitees"] = json!([{"org_kind": "residents_committee", "org_id": d.c1}, {"org_kind": "property_company", "org_id": d.xcwy}]);
    let refused = secretary.put(&path, edit.clone()).await.expect(422);
    assert_eq!(refused["errors"][0]["field"], "invitees[1]", "a company serving another community only");
    edit["invitees"] = json!([{"org_kind": "residents_committee", "org_id": d.c1}, {"org_kind": "property_company", "org_id": d.anju}]);
    let edited = secretary.put(&path, edit.clone()).await.expect(200);
    assert_eq!((edited["title"].as_str(), edited["version"].as_i64()), (Some("下周例会（改期）"), Some(1)));
    assert_eq!(edited["invitees"].as_array().unwrap().len(), 2);
    let stale = secretary.put(&path, edit).await;
    assert_eq!((stale.status.as_u16(), stale.code()), (409, "stale_version"));
    let manager = app.as_user("manager").await;
    assert_eq!(manager.get(&path).await.expect(200)["title"], "下周例会（改期）", "the newly invited company sees it");
    // Two cancellations race on one version: one applies, the other is told it is stale.
    let c = &secretary;
    let p = &path;
    let results = join_all(
        (0..2)
            .map(|i| async move {
                c.post(&format!("{p}/cancel"), json!({"version": 1, "reason": format!("改期{i}")})).await
            })
            .collect(),
    )
    .await;
    let mut statuses: Vec<u16> = results.iter().map(|r| r.status.as_u16()).collect();
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 409], "one cancellation applies");
    let m = secretary.get(&path).await.expect(200);
    assert_eq!((m["status"].as_str(), m["version"].as_i64()), (Some("cancelled"), Some(2)));
    let cancels = m["events"].as_array().unwrap().iter().filter(|e| e["action"] == "cancel").count();
    assert_eq!(cancels, 1, "one event for the one change");

    // The convener must be of the community's committees.
    let (other, _) = app.as_user("secretary2").await.person_and_first_post().await;
    let mut named = future.clone();
    named["convener_id"] = json!(other);
    let r = secretary.post("/api/v1/meetings", named).await.expect(422);
    assert_eq!(r["errors"][0]["field"], "convener_id");
});

e2e!(a_recused_secretary_does_not_verify_the_companys_task, |app| async move {
    let d = app.demo().await;
    let secretary = app.as_user("secretary").await;
    let manager = app.as_user("manager").await;
    let case = disputed_case(app, d).await;
    let m = convene(&secretary, d, &case).await;
    let m = hold_and_resolve(&secretary, d, &m).await;
    let m = secretary
        .post(&format!("/api/v1/meetings/{}/publish", id(&m)), json!({"version": m["version"]}))
        .await
        .expect(200);
    let task = m["agenda"][0]["resolutions"][0]["tasks"][0].clone();
    let task_path = format!("/api/v1/tasks/{}", id(&task));
    // Two reports race: one applies.
    let c = &manager;
    let p = &task_path;
    let results = join_all(
        (0..2)
            .map(|_| async move { c.post(&format!("{p}/report-done"), json!({"version": 0, "note": "已更换"})).await })
            .collect(),
    )
    .await;
    let mut statuses: Vec<u16> = results.iter().map(|r| r.status.as_u16()).collect();
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 409]);

    // 王建国 becomes party-building instructor in 安居物业: he may no longer check its work.
    let (wang, wang_post) = secretary.person_and_first_post().await;
    let proposal = json!({"person_id": wang, "home_post_id": wang_post, "host_kind": "property_company",
        "host_id": d.anju, "host_title": "party_building_instructor", "starts_on": "2026-01-01", "ends_on": "2028-12-31", "basis": "组织部通知"});
    let appointment = secretary.post("/api/v1/cross-appointments", proposal).await.expect(201);
    secretary
        .post(&format!("/api/v1/cross-appointments/{}/approve", id(&appointment)), json!({"version": 0}))
        .await
        .expect(200);
    let seen = secretary.get(&task_path).await.expect(200);
    assert!(actions(&seen).is_empty(), "recused: {seen}");
    let refused = secretary.post(&format!("{task_path}/verify"), json!({"version": 1})).await;
    assert_eq!(refused.status.as_u16(), 403);
    let explain = secretary
        .get(&format!("/api/v1/authz/explain?resource=meeting_task&action=verify&scope=company:{}", d.anju))
        .await
        .expect(200);
    assert_eq!(explain["rule"], "p, recused, meeting_task, verify, deny");
});

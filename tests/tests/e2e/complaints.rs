//! Joint complaints end to end, on SQLite and PostgreSQL, with the demo accounts.

use serde_json::Value;
use tests::{e2e, join_all, json, Client};

fn allowed(c: &Value) -> Vec<&str> {
    c["allowed_actions"].as_array().unwrap().iter().map(|a| a.as_str().unwrap()).collect()
}

e2e!(a_case_goes_through_its_whole_life_with_each_party_seeing_only_its_buttons, |app| async move {
    let d = app.demo().await;
    let resident = app.as_user("resident").await;
    let manager = app.as_user("manager").await;
    let secretary = app.as_user("secretary").await;
    let officer = app.as_user("officer").await;
    let owner = app.as_user("owner").await;

    let case = resident.file_complaint(&d.jinxiu, "8号楼楼道灯不亮").await;
    assert_eq!(case["status"], "submitted");
    assert!(case["case_number"].as_str().unwrap().starts_with("CFL-"), "{}", case["case_number"]);
    assert_eq!(case["handling_company_id"], d.anju);
    assert_eq!(allowed(&case), ["withdraw", "comment"]);
    let id = case["id"].as_str().unwrap();
    let get = |c: &Client<'_>| {
        let path = format!("/api/v1/complaints/{id}");
        let token = c.token.clone();
        async move { app.send("GET", &path, Some(&token), None).await.expect(200) }
    };
    assert_eq!(allowed(&get(&manager).await), ["accept", "return", "comment"]);
    assert_eq!(allowed(&get(&secretary).await), ["urge", "comment"]);
    assert_eq!(allowed(&get(&owner).await), ["comment", "cosign"]);
    assert_eq!(app.send("GET", &format!("/api/v1/complaints/{id}"), Some(&officer.token), None).await.status, 404);

    let case = manager.act_on_complaint(&get(&manager).await, "accept", json!({"note": "已派维修工"})).await;
    let case = manager.act_on_complaint(&case, "resolve", json!({"note": "已更换灯管"})).await;
    assert_eq!(allowed(&get(&resident).await), ["confirm", "dispute", "comment"]);
    assert_eq!(allowed(&get(&owner).await), ["dispute", "comment"], "the committee checks but does not confirm");
    let case = resident.act_on_complaint(&case, "dispute", json!({"reason": "只换了一层的灯管"})).await;
    assert_eq!(allowed(&get(&secretary).await), ["mediate", "urge", "comment"]);
    let case = secretary.act_on_complaint(&case, "mediate", json!({"note": "约三方周五现场协调"})).await;
    assert_eq!(allowed(&get(&secretary).await), ["order-redo", "uphold", "escalate", "urge", "comment"]);
    let case = secretary
        .act_on_complaint(&case, "escalate", json!({"department_id": d.housing, "note": "涉及线路改造"}))
        .await;
    assert_eq!(case["department_id"], d.housing);
    assert_eq!(allowed(&get(&officer).await), ["report-in", "comment"]);
    let case = officer.act_on_complaint(&case, "report-in", json!({"note": "住建局已报到"})).await;
    assert_eq!(case["reported_in"], true);
    let case = officer.act_on_complaint(&case, "answer", json!({"note": "已督促更换全楼线路"})).await;
    assert_eq!(case["status"], "resolved");
    let case = resident.act_on_complaint(&case, "confirm", json!({"rating": "satisfied"})).await;
    assert_eq!((case["status"].as_str(), case["rating"].as_str()), (Some("closed"), Some("satisfied")));

    let events = resident.get(&format!("/api/v1/complaints/{id}/events")).await.expect(200);
    let events = &events["items"];
    let actions: Vec<&str> = events.as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(
        actions,
        ["file", "accept", "resolve", "dispute", "mediate", "escalate", "report-in", "answer", "confirm"]
    );
    let accept = &events[1];
    assert_eq!(accept["acting_as"], format!("property_manager@estate:{}", d.jinxiu));
    assert_eq!((accept["from_status"].as_str(), accept["to_status"].as_str()), (Some("submitted"), Some("accepted")));
    assert_eq!(events[3]["note"], "只换了一层的灯管");
    assert_eq!(events[8]["detail"], "rating=satisfied");
    assert_eq!(case["version"], 8, "one version per state change");
});

e2e!(returned_cases_are_reassigned_and_filers_withdraw_only_their_own, |app| async move {
    let d = app.demo().await;
    let resident = app.as_user("resident").await;
    let manager = app.as_user("manager").await;
    let manager2 = app.as_user("manager2").await;
    let secretary = app.as_user("secretary").await;
    let owner = app.as_user("owner").await;

    let case = resident.file_complaint(&d.jinxiu, "单元门禁卡失灵").await;
    let id = case["id"].as_str().unwrap().to_owned();
    let no_reason = manager.post(&format!("/api/v1/complaints/{id}/return"), json!({"version": 0})).await;
    assert_eq!((no_reason.status.as_u16(), no_reason.body["errors"][0]["field"].as_str()), (422, Some("reason")));
    let case = manager.act_on_complaint(&case, "return", json!({"reason": "门禁系统由业委会另行采购"})).await;
    assert_eq!(case["status"], "returned");
    assert_eq!(manager2.post(&format!("/api/v1/complaints/{id}/accept"), json!({"version": 1})).await.status, 404);
    let case = secretary.act_on_complaint(&case, "reassign", json!({"note": "属物业维保范围"})).await;
    assert_eq!(case["status"], "submitted");
    let wrong = owner.post(&format!("/api/v1/complaints/{id}/withdraw"), json!({"version": case["version"]})).await;
    assert_eq!((wrong.status.as_u16(), wrong.code()), (409, "not_the_filer"));
    let case = resident.act_on_complaint(&case, "withdraw", json!({})).await;
    assert_eq!(case["status"], "withdrawn");
    let late = manager.post(&format!("/api/v1/complaints/{id}/accept"), json!({"version": case["version"]})).await;
    assert_eq!((late.status.as_u16(), late.code()), (409, "invalid_transition"));
    assert_eq!(late.body["current_state"], "withdrawn");
});

e2e!(a_closed_case_reopens_within_thirty_days_only, |app| async move {
    let d = app.demo().await;
    let resident = app.as_user("resident").await;
    let manager = app.as_user("manager").await;
    let mut closed = Vec::new();
    for title in ["地库照明不足", "健身器材损坏"] {
        let case = resident.file_complaint(&d.jinxiu, title).await;
        let case = manager.act_on_complaint(&case, "accept", json!({})).await;
        let case = manager.act_on_complaint(&case, "resolve", json!({})).await;
        closed.push(resident.act_on_complaint(&case, "confirm", json!({"rating": "basically_satisfied"})).await);
    }
    app.clock.advance(chrono::Duration::days(10));
    let resident = app.as_user("resident").await;
    let reopened = resident.act_on_complaint(&closed[0], "reopen", json!({"note": "灯又坏了"})).await;
    assert_eq!((reopened["status"].as_str(), reopened["rating"].as_str()), (Some("disputed"), None));
    app.clock.advance(chrono::Duration::days(21));
    let resident = app.as_user("resident").await;
    let id = closed[1]["id"].as_str().unwrap();
    let too_late =
        resident.post(&format!("/api/v1/complaints/{id}/reopen"), json!({"version": closed[1]["version"]})).await;
    assert_eq!((too_late.status.as_u16(), too_late.code()), (409, "reopen_window_over"));
});

e2e!(resolved_cases_nobody_answers_close_once_even_with_two_replicas, |app| async move {
    let d = app.demo().await;
    let resident = app.as_user("resident").await;
    let manager = app.as_user("manager").await;
    let case = resident.file_complaint(&d.jinxiu, "草坪喷灌漏水").await;
    let case = manager.act_on_complaint(&case, "accept", json!({})).await;
    manager.act_on_complaint(&case, "resolve", json!({})).await;
    let id = case["id"].as_str().unwrap();

    app.clock.advance(chrono::Duration::days(6));
    assert!(app.state.complaints.close_expired().await.unwrap() >= 1, "older demo cases close");
    let resident = app.as_user("resident").await;
    assert_eq!(
        resident.get(&format!("/api/v1/complaints/{id}")).await.expect(200)["status"],
        "resolved",
        "not yet 7 days"
    );

    app.clock.advance(chrono::Duration::days(2));
    let (a, b) = tokio::join!(app.state.complaints.close_expired(), app.state.complaints.close_expired());
    assert!(a.unwrap() + b.unwrap() >= 1);
    let resident = app.as_user("resident").await;
    let now = resident.get(&format!("/api/v1/complaints/{id}")).await.expect(200);
    assert_eq!((now["status"].as_str(), now["rating"].as_str()), (Some("closed"), None));
    let events = resident.get(&format!("/api/v1/complaints/{id}/events")).await.expect(200);
    let closes: Vec<&Value> =
        events["items"].as_array().unwrap().iter().filter(|e| e["action"] == "auto-close").collect();
    assert_eq!(closes.len(), 1, "closed exactly once");
    assert_eq!(closes[0]["acting_as"], "system");
    // Every case closed by the task has exactly one auto-close event.
    let secretary = app.as_user("secretary").await;
    let all =
        secretary.get(&format!("/api/v1/complaints?community_id={}&status=closed&limit=200", d.c1)).await.expect(200);
    for c in all["items"].as_array().unwrap() {
        let ev = secretary.get(&format!("/api/v1/complaints/{}/events", c["id"].as_str().unwrap())).await.expect(200);
        let n = ev["items"].as_array().unwrap().iter().filter(|e| e["action"] == "auto-close").count();
        assert!(n <= 1, "{} closed {n} times", c["case_number"]);
    }
});

e2e!(a_recused_secretary_cannot_mediate_the_companys_case, |app| async move {
    let d = app.demo().await;
    let resident = app.as_user("resident").await;
    let manager = app.as_user("manager").await;
    let secretary = app.as_user("secretary").await;
    let case = resident.file_complaint(&d.jinxiu, "电动车充电桩起火隐患").await;
    let case = manager.act_on_complaint(&case, "accept", json!({})).await;
    let case = manager.act_on_complaint(&case, "resolve", json!({})).await;
    let case = resident.act_on_complaint(&case, "dispute", json!({"reason": "未整改"})).await;
    assert!(allowed(&secretary.get(&format!("/api/v1/complaints/{}", case["id"].as_str().unwrap())).await.expect(200))
        .contains(&"mediate"));

    // 王建国 becomes party-building instructor in 安居物业, which serves 锦绣家园.
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

    let id = case["id"].as_str().unwrap();
    let seen = secretary.get(&format!("/api/v1/complaints/{id}")).await.expect(200);
    assert_eq!(allowed(&seen), ["urge", "comment"], "recused: no mediate");
    let refused =
        secretary.post(&format!("/api/v1/complaints/{id}/mediate"), json!({"version": case["version"]})).await;
    assert_eq!(refused.status, 403);
    let admin = app.as_user("admin").await;
    let audit = admin.get("/api/v1/audit?limit=50").await.expect(200);
    let deny = audit["items"].as_array().unwrap().iter().find(|r| r["action"] == "mediate").unwrap();
    assert_eq!(deny["rule"], "p, recused, complaint, mediate, deny");
});

e2e!(each_role_sees_only_its_cases_with_personal_data_masked, |app| async move {
    let d = app.demo().await;
    let resident = app.as_user("resident").await;
    let case = resident.file_complaint(&d.jinxiu, "消防栓被遮挡").await;
    let id = case["id"].as_str().unwrap();
    let path = format!("/api/v1/complaints/{id}");

    let secretary = app.as_user("secretary").await;
    let by_secretary = secretary.get(&path).await.expect(200);
    assert_eq!(
        (by_secretary["filer_name"].as_str(), by_secretary["filer_masked"].as_bool()),
        (Some("赵磊"), Some(false))
    );
    assert_eq!(by_secretary["filer_phone"], "13467890123");
    let owner = app.as_user("owner").await;
    let by_owner = owner.get(&path).await.expect(200);
    assert_eq!((by_owner["filer_name"].as_str(), by_owner["filer_phone"].as_str()), (Some("赵*"), Some("134****0123")));
    let county = app.as_user("county").await;
    assert_eq!(county.get(&path).await.expect(200)["filer_masked"], true);
    let comment = county.post(&format!("{path}/comment"), json!({"version": 0, "note": "请尽快"})).await;
    assert_eq!(comment.status, 403, "county administrators change nothing");

    for user in ["manager2", "secretary2", "officer"] {
        let other = app.as_user(user).await;
        assert_eq!(other.get(&path).await.status, 404, "{user} must not see it");
        assert_eq!(other.get(&format!("{path}/events")).await.status, 404);
    }
    let manager2 = app.as_user("manager2").await;
    assert_eq!(manager2.get(&format!("/api/v1/complaints?estate_id={}", d.jinxiu)).await.status, 403);
    manager2.get(&format!("/api/v1/complaints?estate_id={}", d.cuiyuan)).await.expect(200);

    // The resident's list of the estate holds only what they filed or co-signed.
    let list = resident.get(&format!("/api/v1/complaints?estate_id={}&limit=200", d.jinxiu)).await.expect(200);
    let filers: Vec<&str> =
        list["items"].as_array().unwrap().iter().map(|c| c["filer_name"].as_str().unwrap()).collect();
    assert!(!filers.is_empty() && filers.iter().all(|n| *n == "赵磊"), "{filers:?}");
    let owners_view = owner.get(&format!("/api/v1/complaints?estate_id={}&limit=200", d.jinxiu)).await.expect(200);
    assert!(owners_view["items"].as_array().unwrap().len() > list["items"].as_array().unwrap().len());
    let mine = resident.get("/api/v1/complaints?mine=true&limit=200").await.expect(200);
    assert_eq!(mine["items"].as_array().unwrap().len(), list["items"].as_array().unwrap().len());

    // The department sees only what was escalated to it.
    let officer = app.as_user("officer").await;
    let escalated = officer.get(&format!("/api/v1/complaints?department_id={}", d.housing)).await.expect(200);
    assert!(escalated["items"].as_array().unwrap().iter().all(|c| c["department_id"] == d.housing.as_str()));
    assert_eq!(officer.get(&format!("/api/v1/complaints?community_id={}", d.c1)).await.status, 403);

    // Overdue is derived from the clock: a normal case is overdue 24 h after filing if not accepted.
    let on_time =
        secretary.get(&format!("/api/v1/complaints?estate_id={}&overdue=false&limit=200", d.jinxiu)).await.expect(200);
    assert!(on_time["items"].as_array().unwrap().iter().any(|c| c["id"] == id));
    app.clock.advance(chrono::Duration::hours(25));
    let secretary = app.as_user("secretary").await;
    let late =
        secretary.get(&format!("/api/v1/complaints?estate_id={}&overdue=true&limit=200", d.jinxiu)).await.expect(200);
    assert!(late["items"].as_array().unwrap().iter().any(|c| c["id"] == id && c["overdue"] == true));
});

e2e!(co_signing_by_the_committee_makes_a_joint_urgent_case, |app| async move {
    let d = app.demo().await;
    let resident = app.as_user("resident").await;
    let owner = app.as_user("owner").await;
    let case = resident.file_complaint(&d.jinxiu, "小区大门道闸故障").await;
    assert_eq!(case["priority"], "normal");
    let signed = owner.act_on_complaint(&case, "cosign", json!({"note": "业委会联名"})).await;
    assert_eq!(
        (signed["joint"].as_bool(), signed["priority"].as_str(), signed["cosign_count"].as_i64()),
        (Some(true), Some("urgent"), Some(1))
    );
    assert!(
        signed["resolve_by"].as_str().unwrap() < case["resolve_by"].as_str().unwrap(),
        "urgent deadlines are shorter"
    );
    let twice = owner
        .post(
            &format!("/api/v1/complaints/{}/cosign", case["id"].as_str().unwrap()),
            json!({"version": signed["version"]}),
        )
        .await;
    assert_eq!((twice.status.as_u16(), twice.code()), (409, "already_cosigned"));
    let withdrawn = resident.act_on_complaint(&signed, "withdraw", json!({})).await;
    let closed = owner
        .post(
            &format!("/api/v1/complaints/{}/cosign", case["id"].as_str().unwrap()),
            json!({"version": withdrawn["version"]}),
        )
        .await;
    assert_eq!((closed.status.as_u16(), closed.code()), (409, "invalid_transition"));

    // Filing for the committee needs a committee member.
    let not_member = resident
        .post("/api/v1/complaints", json!({"estate_id": d.jinxiu, "category": "fees", "title": "物业费", "description": "x", "for_committee": true}))
        .await;
    assert_eq!(not_member.body["errors"][0]["code"], "not_on_committee");
    let for_committee = owner
        .post("/api/v1/complaints", json!({"estate_id": d.jinxiu, "category": "fees", "title": "公共收益去向", "description": "请公示", "for_committee": true}))
        .await
        .expect(201);
    assert_eq!(for_committee["joint"], true);
});

e2e!(racing_actions_apply_once_and_stale_versions_are_refused, |app| async move {
    let d = app.demo().await;
    let resident = app.as_user("resident").await;
    let manager = app.as_user("manager").await;
    let case = resident.file_complaint(&d.jinxiu, "水箱清洗").await;
    let id = case["id"].as_str().unwrap().to_owned();
    let tries: Vec<_> = (0..6)
        .map(|_| {
            let path = format!("/api/v1/complaints/{id}/accept");
            let token = manager.token.clone();
            async move { app.send("POST", &path, Some(&token), Some(json!({"version": 0}))).await }
        })
        .collect();
    let mut results = Vec::new();
    for r in join_all(tries).await {
        results.push(r.status.as_u16());
    }
    results.sort_unstable();
    assert_eq!(results, [200, 409, 409, 409, 409, 409]);
    let events = manager.get(&format!("/api/v1/complaints/{id}/events")).await.expect(200);
    assert_eq!(events["items"].as_array().unwrap().iter().filter(|e| e["action"] == "accept").count(), 1);
    let stale = manager.post(&format!("/api/v1/complaints/{id}/resolve"), json!({"version": 0})).await;
    assert_eq!(
        (stale.status.as_u16(), stale.code(), stale.body["current_version"].as_i64()),
        (409, "stale_version", Some(1))
    );
});

// One person co-signing twice at once, with the version they saw and the one after it: one
// co-signature, and every other attempt refused as a conflict the user can read, never a
// constraint's generic `already_exists` (the later ones wait for the case's lock on PostgreSQL
// and then find the co-signer the first wrote).
e2e!(racing_cosignatures_of_one_person_count_once, |app| async move {
    let d = app.demo().await;
    let resident = app.as_user("resident").await;
    let owner = app.as_user("owner").await;
    let case = resident.file_complaint(&d.jinxiu, "电梯异响").await;
    let path = format!("/api/v1/complaints/{}/cosign", case["id"].as_str().unwrap());
    let tries: Vec<_> = (0..8)
        .map(|i| {
            let (path, token) = (path.clone(), owner.token.clone());
            async move { app.send("POST", &path, Some(&token), Some(json!({"version": i % 2}))).await }
        })
        .collect();
    let mut refused = Vec::new();
    let mut signed = 0;
    for r in join_all(tries).await {
        match r.status.as_u16() {
            200 => signed += 1,
            409 => refused.push(r.code().to_owned()),
            other => panic!("unexpected {other}: {}", r.body),
        }
    }
    assert_eq!(signed, 1);
    assert!(refused.iter().all(|c| c == "already_cosigned" || c == "stale_version"), "{refused:?}");
    let now = owner.get(&format!("/api/v1/complaints/{}", case["id"].as_str().unwrap())).await.expect(200);
    assert_eq!((now["cosign_count"].as_i64(), now["version"].as_i64()), (Some(1), Some(1)));
});

e2e!(a_retried_post_with_an_idempotency_key_acts_once, |app| async move {
    let d = app.demo().await;
    let resident = app.as_user("resident").await;
    let body = serde_json::to_vec(
        &json!({"estate_id": d.jinxiu, "category": "noise", "title": "凌晨施工", "description": "凌晨两点仍有施工"}),
    )
    .unwrap();
    let headers = [("content-type", "application/json"), ("idempotency-key", "file-7f3a")];
    let first = app.send_raw("POST", "/api/v1/complaints", Some(&resident.token), &headers, body.clone()).await;
    let again = app.send_raw("POST", "/api/v1/complaints", Some(&resident.token), &headers, body).await;
    assert_eq!((first.status.as_u16(), again.status.as_u16()), (201, 201));
    assert_eq!(first.body["id"], again.body["id"]);
    let mine = resident.get("/api/v1/complaints?mine=true&limit=200").await.expect(200);
    assert_eq!(mine["items"].as_array().unwrap().iter().filter(|c| c["title"] == "凌晨施工").count(), 1);

    let manager = app.as_user("manager").await;
    let id = first.body["id"].as_str().unwrap();
    let accept = serde_json::to_vec(&json!({"version": 0})).unwrap();
    let key = [("content-type", "application/json"), ("idempotency-key", "accept-1")];
    let a = app
        .send_raw("POST", &format!("/api/v1/complaints/{id}/accept"), Some(&manager.token), &key, accept.clone())
        .await;
    let b = app
        .send_raw("POST", &format!("/api/v1/complaints/{id}/accept"), Some(&manager.token), &key, accept.clone())
        .await;
    assert_eq!(
        (a.status.as_u16(), b.status.as_u16()),
        (200, 200),
        "the retry gets the first answer, not a stale-version 409"
    );
    assert_eq!(a.body["version"], b.body["version"]);
    let reused =
        app.send_raw("POST", &format!("/api/v1/complaints/{id}/comment"), Some(&manager.token), &key, accept).await;
    assert_eq!(reused.status, 422, "a key belongs to one request");
});

e2e!(bad_complaint_input_gets_clear_errors, |app| async move {
    let d = app.demo().await;
    let resident = app.as_user("resident").await;
    let bad = resident
        .post(
            "/api/v1/complaints",
            json!({"estate_id": d.jinxiu, "category": "ufo", "title": "", "description": "", "priority": "now"}),
        )
        .await;
    assert_eq!(bad.status, 422);
    assert_eq!(bad.body["errors"].as_array().unwrap().len(), 4);
    let elsewhere = resident
        .post(
            "/api/v1/complaints",
            json!({"estate_id": d.cuiyuan, "category": "repair", "title": "x", "description": "y"}),
        )
        .await;
    assert_eq!(elsewhere.status, 403, "residents file in their own estate");
    let case = resident.file_complaint(&d.jinxiu, "门厅地砖破损").await;
    let id = case["id"].as_str().unwrap();
    assert_eq!(resident.post(&format!("/api/v1/complaints/{id}/fly"), json!({"version": 0})).await.status, 400);
    let manager = app.as_user("manager").await;
    let case = manager.act_on_complaint(&case, "accept", json!({})).await;
    let case = manager.act_on_complaint(&case, "resolve", json!({})).await;
    let no_rating =
        resident.post(&format!("/api/v1/complaints/{id}/confirm"), json!({"version": case["version"]})).await;
    assert_eq!((no_rating.status.as_u16(), no_rating.body["errors"][0]["field"].as_str()), (422, Some("rating")));
    let bad_rating = resident
        .post(&format!("/api/v1/complaints/{id}/confirm"), json!({"version": case["version"], "rating": "great"}))
        .await;
    assert_eq!(bad_rating.body["errors"][0]["code"], "invalid_rating");
    assert_eq!(resident.get("/api/v1/complaints?status=lost").await.status, 422);
    // Without a scope filter a resident gets what he filed or co-signed, and nothing else.
    let mine = resident.get("/api/v1/complaints?limit=200").await.expect(200);
    assert!(mine["items"].as_array().unwrap().iter().all(|c| c["filer_name"] == "赵磊"), "{mine}");
});

// An action answers with the case as saved, built from what it locked and changed rather than
// read again: it must say exactly what the next read says (to the microsecond), with the
// buttons the actor has now, on both databases.
e2e!(an_action_answers_with_the_case_exactly_as_a_later_read_shows_it, |app| async move {
    let d = app.demo().await;
    let resident = app.as_user("resident").await;
    let owner = app.as_user("owner").await;
    let manager = app.as_user("manager").await;
    let secretary = app.as_user("secretary").await;
    let case = resident.file_complaint(&d.jinxiu, "消防通道被占用").await;
    let path = format!("/api/v1/complaints/{}", case["id"].as_str().unwrap());
    let read = resident.get(&path).await.expect(200);
    assert_eq!(case, read, "the filing's answer and the read after it differ");
    let as_read = |who: &Client<'_>, answer: Value| {
        let token = who.token.clone();
        let path = path.clone();
        async move {
            let read = app.send("GET", &path, Some(&token), None).await.expect(200);
            assert_eq!(answer, read, "the action's answer and the read after it differ");
            answer
        }
    };
    let case = as_read(&owner, owner.act_on_complaint(&case, "cosign", json!({})).await).await;
    assert_eq!(allowed(&case), ["comment"], "a co-signer co-signs once");
    let case = as_read(&manager, manager.act_on_complaint(&case, "accept", json!({})).await).await;
    let case = as_read(&manager, manager.act_on_complaint(&case, "resolve", json!({"note": "已清理"})).await).await;
    assert!(case["resolved_at"].is_string());
    let case =
        as_read(&resident, resident.act_on_complaint(&case, "dispute", json!({"reason": "又被占了"})).await).await;
    let case = as_read(&secretary, secretary.act_on_complaint(&case, "mediate", json!({})).await).await;
    // A deadline sent with nanoseconds is kept, and answered, to the microsecond.
    let redo_by = chrono::Utc::now() + chrono::Duration::days(3) + chrono::Duration::nanoseconds(123_456_789);
    let redo = json!({"resolve_by": redo_by.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true)});
    let case = as_read(&secretary, secretary.act_on_complaint(&case, "order-redo", redo).await).await;
    let kept = chrono::DateTime::parse_from_rfc3339(case["resolve_by"].as_str().unwrap()).unwrap();
    assert_eq!(kept.timestamp_subsec_nanos() % 1000, 0, "{}", case["resolve_by"]);
    assert_eq!(kept.timestamp_micros(), redo_by.timestamp_micros());
    let case = as_read(&manager, manager.act_on_complaint(&case, "resolve", json!({})).await).await;
    let case = as_read(&resident, resident.act_on_complaint(&case, "dispute", json!({"reason": "仍被占"})).await).await;
    let case = as_read(&secretary, secretary.act_on_complaint(&case, "mediate", json!({})).await).await;
    let escalate = json!({"department_id": d.housing});
    let case = as_read(&secretary, secretary.act_on_complaint(&case, "escalate", escalate).await).await;
    assert_eq!(case["department_id"], d.housing);
});

// Filings made at once are written together (one transaction for those that wait): each is
// numbered once, with no number given twice or skipped, answered as a later read shows it,
// audited, and told to the serving company once; nobody else is told.
e2e!(filings_made_at_once_are_each_numbered_answered_audited_and_told_once, |app| async move {
    let d = app.demo().await;
    let resident = app.as_user("resident").await;
    let owner = app.as_user("owner").await;
    let manager = app.as_user("manager").await;
    let manager2 = app.as_user("manager2").await;
    for c in [&manager, &manager2] {
        c.post("/api/v1/notifications/read-all", json!({})).await.expect(200);
    }
    let tries: Vec<_> = (0..16)
        .map(|i| {
            let (token, for_committee) =
                if i % 4 == 3 { (owner.token.clone(), true) } else { (resident.token.clone(), false) };
            let body = json!({"estate_id": d.jinxiu, "category": "repair", "title": format!("同时提交{i}"),
                "description": "楼道灯不亮", "for_committee": for_committee});
            async move { (token.clone(), app.send("POST", "/api/v1/complaints", Some(&token), Some(body)).await) }
        })
        .collect();
    let mut numbers = Vec::new();
    let mut ids = Vec::new();
    for (token, r) in join_all(tries).await {
        let answer = r.expect(201);
        let id = answer["id"].as_str().unwrap().to_owned();
        let read = app.send("GET", &format!("/api/v1/complaints/{id}"), Some(&token), None).await.expect(200);
        assert_eq!(answer, read, "a filing's answer and the read after it differ");
        numbers.push(answer["case_number"].as_str().unwrap().to_owned());
        ids.push(id);
    }
    let mut seq: Vec<u32> = numbers.iter().map(|n| n.rsplit('-').next().unwrap().parse().unwrap()).collect();
    seq.sort_unstable();
    let first = seq[0];
    assert_eq!(seq, (first..first + 16).collect::<Vec<_>>(), "one number each, none skipped: {numbers:?}");
    let told = manager.get("/api/v1/notifications?unread=true&limit=100").await.expect(200);
    for n in &numbers {
        let times = told["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|t| t["text"].as_str().unwrap().contains(n.as_str()))
            .count();
        assert_eq!(times, 1, "the serving company is told of {n} once");
    }
    let unread = manager2.get("/api/v1/notifications/unread-count").await.expect(200);
    assert_eq!(unread["unread"], 0, "the rival company is told nothing");
    let admin = app.as_user("admin").await;
    let audit = admin.get("/api/v1/audit?limit=200").await.expect(200);
    for id in &ids {
        let rows = audit["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["action"] == "create" && r["resource_id"] == id.as_str());
        assert_eq!(rows.count(), 1, "one audit row for filing {id}");
    }
});

// Where a filing goes is kept for a moment (by the actor cache's rule), but a registry change
// on this replica is seen by the very next filing: a renamed estate, a filer's new phone, a
// contract ended (no company then handles the case, and none is told).
e2e!(a_filing_right_after_a_registry_change_goes_where_the_registry_now_says, |app| async move {
    let d = app.demo().await;
    let resident = app.as_user("resident").await;
    let secretary = app.as_user("secretary").await;
    let admin = app.as_user("admin").await;
    let before = resident.file_complaint(&d.jinxiu, "路灯不亮").await;
    assert_eq!(before["handling_company_id"], d.anju);
    // Filed again at once: the kept place, the same answer a read gives.
    let again = resident.file_complaint(&d.jinxiu, "路灯还是不亮").await;
    assert_eq!(again["handling_company_id"], d.anju);
    assert_eq!(again["estate_name"], before["estate_name"]);

    secretary.patch(&format!("/api/v1/estates/{}", d.jinxiu), json!({"name": "锦绣家园一期"})).await.expect(200);
    let me = resident.get("/api/v1/me").await.expect(200);
    let person = me["person"]["id"].as_str().unwrap().to_owned();
    admin.patch(&format!("/api/v1/people/{person}"), json!({"phone": "13700001111"})).await.expect(200);
    let renamed = resident.file_complaint(&d.jinxiu, "楼道堆物").await;
    assert_eq!(renamed["estate_name"], "锦绣家园一期");
    assert_eq!(renamed["filer_phone"], "13700001111");
    let read = resident.get(&format!("/api/v1/complaints/{}", renamed["id"].as_str().unwrap())).await.expect(200);
    assert_eq!(renamed, read);

    let contracts = secretary.get(&format!("/api/v1/service-contracts?estate_id={}", d.jinxiu)).await.expect(200);
    let contract = contracts["items"].as_array().unwrap().iter().find(|c| c["company_id"] == d.anju).unwrap();
    secretary
        .post(
            &format!("/api/v1/service-contracts/{}/end", contract["id"].as_str().unwrap()),
            json!({"reason": "业主大会解聘"}),
        )
        .await
        .expect(200);
    let orphan = resident.file_complaint(&d.jinxiu, "电梯停运").await;
    assert_eq!(
        orphan["handling_company_id"],
        serde_json::Value::Null,
        "the ended contract's company no longer handles it"
    );
});

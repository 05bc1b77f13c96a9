//! Cross-appointments end to end, on SQLite and PostgreSQL.

use tests::{e2e, join_all, json, Client};

/// The community's appointment held (or proposed) by `person_name`.
async fn appointment_of(client: &Client<'_>, community: &str, person_name: &str) -> serde_json::Value {
    let list = client.get(&format!("/api/v1/cross-appointments?community_id={community}&limit=200")).await.expect(200);
    list["items"].as_array().unwrap().iter().find(|a| a["person_name"] == person_name).cloned().unwrap()
}

fn has_binding(me: &serde_json::Value, role: &str, scope: &str) -> bool {
    me["bindings"].as_array().unwrap().iter().any(|b| b["role"] == role && b["scope"] == scope)
}

e2e!(approval_grants_the_host_role_and_ending_takes_it_away, |app| async move {
    let d = app.demo().await;
    let secretary = app.as_user("secretary").await;
    let manager2 = app.as_user("manager2").await;
    let community_scope = format!("community:{}", d.c1);

    let proposed = appointment_of(&secretary, &d.c1, "刘洋").await;
    assert_eq!(proposed["status"], "proposed");
    assert_eq!(proposed["host_name"], "长富路社区两委");
    let id = proposed["id"].as_str().unwrap();
    assert!(!has_binding(
        &manager2.get("/api/v1/me").await.expect(200),
        "part_time_committee_member",
        &community_scope
    ));
    assert_eq!(manager2.get(&format!("/api/v1/people?community_id={}", d.c1)).await.status, 403);

    let approved = secretary
        .post(
            &format!("/api/v1/cross-appointments/{id}/approve"),
            json!({"version": proposed["version"], "note": "联席会议通过"}),
        )
        .await
        .expect(200);
    assert_eq!((approved["status"].as_str(), approved["in_force"].as_bool()), (Some("active"), Some(true)));
    let me = manager2.get("/api/v1/me").await.expect(200);
    assert!(has_binding(&me, "part_time_committee_member", &community_scope), "{me}");
    manager2.get(&format!("/api/v1/people?community_id={}", d.c1)).await.expect(200);

    let missing_reason =
        secretary.post(&format!("/api/v1/cross-appointments/{id}/end"), json!({"version": approved["version"]})).await;
    assert_eq!(missing_reason.status, 422);
    assert_eq!(missing_reason.body["errors"][0]["code"], "reason_required");
    let ended = secretary
        .post(
            &format!("/api/v1/cross-appointments/{id}/end"),
            json!({"version": approved["version"], "note": "工作调整"}),
        )
        .await
        .expect(200);
    assert_eq!(ended["status"], "ended");
    assert_eq!(ended["end_reason"], "工作调整");
    assert!(!has_binding(
        &manager2.get("/api/v1/me").await.expect(200),
        "part_time_committee_member",
        &community_scope
    ));
    assert_eq!(manager2.get(&format!("/api/v1/people?community_id={}", d.c1)).await.status, 403);

    let detail = secretary.get(&format!("/api/v1/cross-appointments/{id}")).await.expect(200);
    let actions: Vec<&str> =
        detail["history"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["propose", "approve", "end"]);
    let approve = &detail["history"][1];
    assert_eq!(approve["acting_as"], format!("party_branch_secretary@{community_scope}"));
    assert_eq!((approve["from_status"].as_str(), approve["to_status"].as_str()), (Some("proposed"), Some("active")));
    assert_eq!(detail["history"][2]["note"], "工作调整");

    let again = secretary
        .post(&format!("/api/v1/cross-appointments/{id}/revoke"), json!({"version": ended["version"], "note": "x"}))
        .await;
    assert_eq!((again.status.as_u16(), again.code()), (409, "invalid_transition"));
    assert_eq!(again.body["current_state"], "ended");
});

e2e!(revoking_and_rejecting_are_the_party_branchs_alone, |app| async move {
    let d = app.demo().await;
    let secretary = app.as_user("secretary").await;
    let manager = app.as_user("manager").await;
    let admin = app.as_user("admin").await;
    let secretary2 = app.as_user("secretary2").await;
    let active = appointment_of(&secretary, &d.c1, "张伟").await;
    let id = active["id"].as_str().unwrap();
    let body = json!({"version": active["version"], "note": "不再兼任"});

    assert_eq!(manager.post(&format!("/api/v1/cross-appointments/{id}/revoke"), body.clone()).await.status, 403);
    assert_eq!(admin.post(&format!("/api/v1/cross-appointments/{id}/revoke"), body.clone()).await.status, 403);
    assert_eq!(secretary2.post(&format!("/api/v1/cross-appointments/{id}/revoke"), body.clone()).await.status, 404);
    assert_eq!(secretary2.get(&format!("/api/v1/cross-appointments/{id}")).await.status, 404);

    let stale =
        secretary.post(&format!("/api/v1/cross-appointments/{id}/revoke"), json!({"version": 0, "note": "x"})).await;
    assert_eq!((stale.status.as_u16(), stale.code()), (409, "stale_version"));
    assert_eq!(stale.body["current_version"], active["version"]);

    let revoked = secretary.post(&format!("/api/v1/cross-appointments/{id}/revoke"), body).await.expect(200);
    assert_eq!(revoked["status"], "revoked");
    let me = manager.get("/api/v1/me").await.expect(200);
    assert!(!has_binding(&me, "part_time_committee_member", &format!("community:{}", d.c1)));

    let proposed = appointment_of(&secretary, &d.c1, "刘洋").await;
    let rejected = secretary
        .post(
            &format!("/api/v1/cross-appointments/{}/reject", proposed["id"].as_str().unwrap()),
            json!({"version": proposed["version"], "note": "人选需再议"}),
        )
        .await
        .expect(200);
    assert_eq!(rejected["status"], "rejected");
});

e2e!(proposals_follow_the_rules, |app| async move {
    let d = app.demo().await;
    let secretary = app.as_user("secretary").await;
    let manager = app.as_user("manager").await;
    let (zhang, zhang_post) = manager.person_and_first_post().await;
    let propose = |person: &str, post: &str, host_kind: &str, host: &str, title: &str, starts: &str, ends: &str| {
        json!({"person_id": person, "home_post_id": post, "host_kind": host_kind, "host_id": host, "host_title": title,
               "starts_on": starts, "ends_on": ends, "basis": "联席会议纪要〔2026〕5号"})
    };

    // The same post twice over the same dates.
    let twice = manager
        .post(
            "/api/v1/cross-appointments",
            propose(&zhang, &zhang_post, "community_committees", &d.c1, "part_time_member", "2026-01-01", "2027-12-31"),
        )
        .await;
    assert_eq!((twice.status.as_u16(), twice.code()), (409, "appointment_overlap"));
    // Longer than five years, and ending before it starts.
    let long = manager
        .post(
            "/api/v1/cross-appointments",
            propose(&zhang, &zhang_post, "community_committees", &d.c2, "part_time_member", "2026-01-01", "2031-06-01"),
        )
        .await;
    assert_eq!(long.body["errors"][0]["code"], "term_too_long");
    let backwards = manager
        .post(
            "/api/v1/cross-appointments",
            propose(&zhang, &zhang_post, "community_committees", &d.c2, "part_time_member", "2026-01-01", "2025-06-01"),
        )
        .await;
    assert_eq!(backwards.body["errors"][0]["code"], "ends_before_start");
    // A title the host does not have.
    let title = manager
        .post(
            "/api/v1/cross-appointments",
            propose(&zhang, &zhang_post, "community_committees", &d.c1, "supervisor", "2026-01-01", "2027-01-01"),
        )
        .await;
    assert_eq!(title.body["errors"][0]["code"], "title_not_in_organization");
    // Into one's own organization.
    let own = manager
        .post(
            "/api/v1/cross-appointments",
            propose(
                &zhang,
                &zhang_post,
                "property_company",
                &d.anju,
                "party_building_instructor",
                "2026-01-01",
                "2027-01-01",
            ),
        )
        .await;
    assert_eq!(own.body["errors"][0]["code"], "same_organization");

    // 新城社区's party branch member? 王建国 (长富路社区) into 新城物业, which serves only 新城社区.
    let (wang, wang_post) = secretary.person_and_first_post().await;
    let admin = app.as_user("admin").await;
    let far = secretary
        .post(
            "/api/v1/cross-appointments",
            propose(
                &wang,
                &wang_post,
                "property_company",
                &d.xcwy,
                "party_building_instructor",
                "2026-01-01",
                "2027-01-01",
            ),
        )
        .await;
    assert_eq!((far.status.as_u16(), far.body["errors"][0]["code"].as_str()), (422, Some("not_same_community")));

    // A home post that is no longer held.
    let resident = app.as_user("resident").await;
    let (zhao, zhao_post) = resident.person_and_first_post().await;
    admin.post(&format!("/api/v1/posts/{zhao_post}/end"), json!({"reason": "搬离"})).await.expect(200);
    let gone = secretary
        .post(
            "/api/v1/cross-appointments",
            propose(&zhao, &zhao_post, "community_committees", &d.c1, "part_time_member", "2026-01-01", "2027-01-01"),
        )
        .await;
    assert_eq!(gone.body["errors"][0]["code"], "home_post_not_held");

    // Proposers speak for the home organization, the host or the party branch.
    let manager2 = app.as_user("manager2").await;
    let not_theirs = manager2
        .post(
            "/api/v1/cross-appointments",
            propose(
                &zhang,
                &zhang_post,
                "owners_committee",
                &d.jinxiu_committee,
                "part_time_member",
                "2026-01-01",
                "2027-01-01",
            ),
        )
        .await;
    assert_eq!(not_theirs.status, 403);
    let ok = secretary
        .post(
            "/api/v1/cross-appointments",
            propose(
                &wang,
                &wang_post,
                "property_company",
                &d.anju,
                "party_building_instructor",
                "2026-01-01",
                "2027-12-31",
            ),
        )
        .await
        .expect(201);
    assert_eq!((ok["status"].as_str(), ok["version"].as_i64()), (Some("proposed"), Some(0)));
    assert_eq!(ok["community_id"], d.c1);
});

e2e!(a_term_that_runs_out_or_a_home_post_that_ends_stops_granting_at_once, |app| async move {
    let d = app.demo().await;
    let scope = format!("community:{}", d.c1);
    let manager = app.as_user("manager").await;
    assert!(has_binding(&manager.get("/api/v1/me").await.expect(200), "part_time_committee_member", &scope));

    // The demo term ends two years from today: move three years on (sessions expire too).
    app.clock.advance(chrono::Duration::days(3 * 366));
    assert_eq!(manager.get("/api/v1/me").await.status, 401);
    let manager = app.as_user("manager").await;
    assert!(!has_binding(&manager.get("/api/v1/me").await.expect(200), "part_time_committee_member", &scope));
    let secretary = app.as_user("secretary").await;
    let expired = appointment_of(&secretary, &d.c1, "张伟").await;
    assert_eq!((expired["status"].as_str(), expired["recorded_status"].as_str()), (Some("ended"), Some("active")));
    assert_eq!(expired["in_force"], false);
});

e2e!(an_appointment_ends_with_its_home_post, |app| async move {
    let d = app.demo().await;
    let scope = format!("community:{}", d.c1);
    let manager = app.as_user("manager").await;
    let (_, post) = manager.person_and_first_post().await;
    let admin = app.as_user("admin").await;
    admin.post(&format!("/api/v1/posts/{post}/end"), json!({"reason": "离职"})).await.expect(200);
    assert!(!has_binding(&manager.get("/api/v1/me").await.expect(200), "part_time_committee_member", &scope));
    let secretary = app.as_user("secretary").await;
    assert_eq!(appointment_of(&secretary, &d.c1, "张伟").await["status"], "ended");
});

e2e!(recusal_beats_the_party_branchs_allow, |app| async move {
    let d = app.demo().await;
    let secretary = app.as_user("secretary").await;
    let explain =
        |estate: &str| format!("/api/v1/authz/explain?resource=complaint&action=mediate&scope=estate:{estate}");
    assert_eq!(secretary.get(&explain(&d.jinxiu)).await.expect(200)["allowed"], true);

    // 王建国 becomes party-building instructor in 安居物业, which serves 锦绣家园.
    let (wang, wang_post) = secretary.person_and_first_post().await;
    let proposal = json!({"person_id": wang, "home_post_id": wang_post, "host_kind": "property_company", "host_id": d.anju,
        "host_title": "party_building_instructor", "starts_on": "2026-01-01", "ends_on": "2028-12-31", "basis": "县委组织部通知"});
    let created = secretary.post("/api/v1/cross-appointments", proposal).await.expect(201);
    let id = created["id"].as_str().unwrap();
    secretary.post(&format!("/api/v1/cross-appointments/{id}/approve"), json!({"version": 0})).await.expect(200);

    let recused = secretary.get(&explain(&d.jinxiu)).await.expect(200);
    assert_eq!(recused["allowed"], false);
    assert_eq!(recused["rule"], "p, recused, complaint, mediate, deny");
    assert_eq!(recused["acting_as"], format!("recused@estate:{}", d.jinxiu));
    // Estates the company does not serve are not affected, and nor are other rights there.
    assert_eq!(secretary.get(&explain(&d.heping)).await.expect(200)["allowed"], true);
    let read = secretary
        .get(&format!("/api/v1/authz/explain?resource=person&action=read&scope=estate:{}", d.jinxiu))
        .await
        .expect(200);
    assert_eq!(read["allowed"], true);
    let me = secretary.get("/api/v1/me").await.expect(200);
    assert!(has_binding(&me, "party_building_instructor", &format!("company:{}", d.anju)));
});

e2e!(coverage_counts_estates_and_committees_on_the_demo, |app| async move {
    let d = app.demo().await;
    let secretary = app.as_user("secretary").await;
    let c = secretary.get(&format!("/api/v1/communities/{}/coverage", d.c1)).await.expect(200);
    assert_eq!((c["estates_covered"].as_u64(), c["estates_total"].as_u64()), (Some(2), Some(4)));
    assert_eq!(c["estate_share"], 0.5);
    assert_eq!((c["committees_covered"].as_u64(), c["committees_total"].as_u64()), (Some(1), Some(2)));
    let covered: Vec<&str> = c["estates"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["covered"] == true)
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(covered, ["锦绣家园", "阳光花园"]);
    let heping = c["estates"].as_array().unwrap().iter().find(|e| e["name"] == "和平里小区").unwrap();
    assert!(heping["company_id"].is_null(), "no company serves 和平里小区 today");

    // Approving 刘洋 (宏达物业, serving 翠苑小区) covers a third estate.
    let proposed = appointment_of(&secretary, &d.c1, "刘洋").await;
    secretary
        .post(
            &format!("/api/v1/cross-appointments/{}/approve", proposed["id"].as_str().unwrap()),
            json!({"version": proposed["version"]}),
        )
        .await
        .expect(200);
    let c = secretary.get(&format!("/api/v1/communities/{}/coverage", d.c1)).await.expect(200);
    assert_eq!(c["estates_covered"], 3);

    let secretary2 = app.as_user("secretary2").await;
    assert_eq!(secretary2.get(&format!("/api/v1/communities/{}/coverage", d.c1)).await.status, 403);
    secretary2.get(&format!("/api/v1/communities/{}/coverage", d.c2)).await.expect(200);
});

e2e!(the_csv_export_opens_in_a_spreadsheet, |app| async move {
    let d = app.demo().await;
    let secretary = app.as_user("secretary").await;
    let resp = reqwest::Client::new()
        .get(format!("{}/api/v1/cross-appointments/export.csv?community_id={}", app.address, d.c1))
        .bearer_auth(&secretary.token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    assert!(resp.headers()["content-disposition"].to_str().unwrap().contains("cross-appointments.csv"));
    let bytes = resp.bytes().await.unwrap();
    assert_eq!(&bytes[..3], b"\xEF\xBB\xBF", "UTF-8 byte-order mark");
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "编号,姓名,本职单位,本职职务,任职单位,任职职务,开始日期,结束日期,状态,依据,终止原因");
    assert_eq!(lines.len(), 1 + 6, "six appointments in 长富路社区");
    assert!(lines.iter().any(|l| l.contains("张伟") && l.contains("兼职委员") && l.contains("在任")));
    assert!(lines.iter().any(|l| l.contains("冯涛") && l.contains("已撤销")));

    let manager2 = app.as_user("manager2").await;
    let denied = reqwest::Client::new()
        .get(format!("{}/api/v1/cross-appointments/export.csv?community_id={}", app.address, d.c1))
        .bearer_auth(&manager2.token)
        .send()
        .await
        .unwrap();
    assert_eq!(denied.status(), 403);
});

e2e!(lists_are_filtered_and_isolated, |app| async move {
    let d = app.demo().await;
    let secretary = app.as_user("secretary").await;
    let active =
        secretary.get(&format!("/api/v1/cross-appointments?community_id={}&status=active", d.c1)).await.expect(200);
    assert_eq!(active["items"].as_array().unwrap().len(), 3);
    let today = chrono::Utc::now().date_naive();
    let in_force =
        secretary.get(&format!("/api/v1/cross-appointments?community_id={}&active_on={today}", d.c1)).await.expect(200);
    assert_eq!(in_force["items"].as_array().unwrap().len(), 3);
    let paged = secretary.get(&format!("/api/v1/cross-appointments?community_id={}&limit=4", d.c1)).await.expect(200);
    let cursor = paged["next_cursor"].as_str().unwrap();
    let rest = secretary
        .get(&format!("/api/v1/cross-appointments?community_id={}&limit=4&cursor={cursor}", d.c1))
        .await
        .expect(200);
    assert_eq!(rest["items"].as_array().unwrap().len(), 2);
    assert_eq!(secretary.get("/api/v1/cross-appointments?status=sleeping").await.status, 422);

    let of_anju = secretary.get(&format!("/api/v1/cross-appointments?organization_id={}", d.anju)).await;
    assert_eq!(of_anju.status, 403, "the whole company is wider than the community");
    let manager = app.as_user("manager").await;
    let mine = manager.get(&format!("/api/v1/cross-appointments?organization_id={}", d.anju)).await.expect(200);
    assert_eq!(mine["items"].as_array().unwrap().len(), 3, "张伟, 吴强 and 冯涛");
    let (me, _) = manager.person_and_first_post().await;
    manager.get(&format!("/api/v1/cross-appointments?person_id={me}")).await.expect(200);

    let secretary2 = app.as_user("secretary2").await;
    assert_eq!(secretary2.get(&format!("/api/v1/cross-appointments?community_id={}", d.c1)).await.status, 403);
    let resident = app.as_user("resident").await;
    assert_eq!(resident.get(&format!("/api/v1/cross-appointments?community_id={}", d.c1)).await.status, 403);
});

e2e!(racing_approvals_apply_once, |app| async move {
    let d = app.demo().await;
    let secretary = app.as_user("secretary").await;
    let proposed = appointment_of(&secretary, &d.c1, "刘洋").await;
    let id = proposed["id"].as_str().unwrap().to_owned();
    let version = proposed["version"].clone();
    let tries = (0..6).map(|_| {
        let path = format!("/api/v1/cross-appointments/{id}/approve");
        let body = json!({"version": version});
        let token = secretary.token.clone();
        async move { app.send("POST", &path, Some(&token), Some(body)).await }
    });
    let results = join_all(tries.collect()).await;
    let ok = results.iter().filter(|r| r.status == 200).count();
    let conflicts = results.iter().filter(|r| r.status == 409).count();
    assert_eq!((ok, conflicts), (1, 5), "{:?}", results.iter().map(|r| r.status).collect::<Vec<_>>());
    let detail = secretary.get(&format!("/api/v1/cross-appointments/{id}")).await.expect(200);
    let approvals = detail["history"].as_array().unwrap().iter().filter(|e| e["action"] == "approve").count();
    assert_eq!(approvals, 1);
});

//! Separation of duties and hardening, end to end on SQLite and PostgreSQL: every attack an
//! ordinary demo account could make on the landed build, made again, and refused.

use serde_json::Value;
use tests::{e2e, join_all, json};

fn post_of<'a>(posts: &'a [Value], org_kind: &str) -> &'a Value {
    posts.iter().find(|p| p["org_kind"] == org_kind).unwrap_or_else(|| panic!("no {org_kind} post in {posts:?}"))
}

fn has_binding(me: &Value, role: &str) -> bool {
    me["bindings"].as_array().unwrap().iter().any(|b| b["role"] == role)
}

e2e!(a_company_cannot_take_over_the_owners_committee_that_checks_it, |app| async move {
    let manager = app.as_user("manager").await;
    let owner = app.as_user("owner").await;
    let (manager_id, _) = manager.person_and_posts().await;
    let (owner_id, owner_posts) = owner.person_and_posts().await;
    let director = post_of(&owner_posts, "owners_committee").clone();

    // The manager records himself as director of 锦绣家园's owners' committee: refused.
    let takeover = manager
        .post(
            "/api/v1/posts",
            json!({"person_id": manager_id, "org_kind": "owners_committee", "org_id": director["org_id"],
                   "title": "director", "starts_on": "2026-01-01"}),
        )
        .await;
    assert_eq!((takeover.status.as_u16(), takeover.code()), (403, "forbidden"), "{}", takeover.body);
    assert!(!has_binding(&manager.get("/api/v1/me").await.expect(200), "owners_committee_member"));

    // He ends the real director's post: refused, and she keeps her rights.
    let ended = manager.post(&format!("/api/v1/posts/{}/end", director["id"].as_str().unwrap()), json!({})).await;
    assert_eq!(ended.status, 403, "{}", ended.body);
    assert!(has_binding(&owner.get("/api/v1/me").await.expect(200), "owners_committee_member"));

    // He changes her phone: refused.
    let phone = manager.patch(&format!("/api/v1/people/{owner_id}"), json!({"phone": "13900000000"})).await;
    assert_eq!(phone.status, 403, "{}", phone.body);

    // The community's party branch records committee posts (filed election results).
    let secretary = app.as_user("secretary").await;
    let person = secretary
        .post(
            "/api/v1/people",
            json!({"name": "钱芳", "phone": "13700001111",
                   "post": {"org_kind": "owners_committee", "org_id": director["org_id"], "title": "member", "starts_on": "2026-01-01"}}),
        )
        .await
        .expect(201);
    assert_eq!(person["name"], "钱芳");
});

e2e!(a_company_cannot_register_end_or_rename_the_residents_it_serves, |app| async move {
    let manager = app.as_user("manager").await;
    let resident = app.as_user("resident").await;
    let (resident_id, resident_posts) = resident.person_and_posts().await;
    let residence = post_of(&resident_posts, "estate").clone();
    let jinxiu = residence["org_id"].as_str().unwrap().to_owned();

    let ended = manager.post(&format!("/api/v1/posts/{}/end", residence["id"].as_str().unwrap()), json!({})).await;
    assert_eq!(ended.status, 403, "{}", ended.body);
    let renamed = manager.patch(&format!("/api/v1/people/{resident_id}"), json!({"name": "赵某"})).await;
    assert_eq!(renamed.status, 403, "{}", renamed.body);
    let fake = manager
        .post(
            "/api/v1/people",
            json!({"name": "假住户", "post": {"org_kind": "estate", "org_id": jinxiu, "title": "resident", "starts_on": "2026-01-01"}}),
        )
        .await;
    assert_eq!(fake.status, 403, "{}", fake.body);

    // The resident still sees and may dispute his own case.
    let case = resident.file_complaint(&jinxiu, "门禁坏了").await;
    resident.get(&format!("/api/v1/complaints/{}", case["id"].as_str().unwrap())).await.expect(200);

    // The resident corrects his own phone, and may end his own residence (moving away).
    resident.patch(&format!("/api/v1/people/{resident_id}"), json!({"phone": "13600002222"})).await.expect(200);
    let moved = resident
        .post(&format!("/api/v1/posts/{}/end", residence["id"].as_str().unwrap()), json!({"reason": "搬离"}))
        .await;
    assert_eq!(moved.status, 200, "{}", moved.body);

    // The residents' committee registers residents.
    let secretary = app.as_user("secretary").await;
    secretary
        .post(
            "/api/v1/people",
            json!({"name": "孙新", "post": {"org_kind": "estate", "org_id": jinxiu, "title": "resident", "starts_on": "2026-01-01"}}),
        )
        .await
        .expect(201);
});

e2e!(a_company_cannot_make_the_secretary_its_staff_without_his_consent, |app| async move {
    let manager2 = app.as_user("manager2").await;
    let secretary = app.as_user("secretary").await;
    let (secretary_id, _) = secretary.person_and_posts().await;
    let (_, manager2_posts) = manager2.person_and_posts().await;
    let company = post_of(&manager2_posts, "property_company")["org_id"].as_str().unwrap().to_owned();

    let linked = manager2
        .post(
            "/api/v1/posts",
            json!({"person_id": secretary_id, "org_kind": "property_company", "org_id": company,
                   "title": "staff", "starts_on": "2026-01-01"}),
        )
        .await
        .expect(201);
    assert_eq!(linked["awaiting_acceptance"], true);

    // No binding until he accepts: not recused, no company buttons, phone still masked to the company.
    let mine = secretary.get("/api/v1/me").await.expect(200);
    assert!(!has_binding(&mine, "property_staff") && !has_binding(&mine, "recused"), "{mine}");
    assert_eq!(mine["invitations"].as_array().unwrap().len(), 1, "{mine}");
    let seen = manager2.get(&format!("/api/v1/people/{secretary_id}")).await;
    if seen.status == 200 {
        assert_eq!(seen.body["phone_masked"], true, "{}", seen.body);
    } else {
        assert_eq!(seen.status, 404);
    }
    let renamed = manager2.patch(&format!("/api/v1/people/{secretary_id}"), json!({"name": "王某"})).await;
    assert!(matches!(renamed.status.as_u16(), 403 | 404), "{}", renamed.body);

    // Someone else cannot answer his invitation; he declines it and the post ends.
    let post_id = linked["id"].as_str().unwrap();
    let hijack = manager2.post(&format!("/api/v1/me/invitations/{post_id}/accept"), json!({})).await;
    assert_eq!(hijack.status, 404);
    let declined = secretary.post(&format!("/api/v1/me/invitations/{post_id}/decline"), json!({})).await.expect(200);
    assert!(declined["ended_at"].is_string(), "{declined}");
    let again = secretary.post(&format!("/api/v1/me/invitations/{post_id}/accept"), json!({})).await;
    assert_eq!((again.status.as_u16(), again.code()), (409, "already_answered"));
    assert!(!has_binding(&secretary.get("/api/v1/me").await.expect(200), "recused"));
});

e2e!(a_staff_invitation_accepted_gives_its_role, |app| async move {
    let manager = app.as_user("manager").await;
    let resident = app.as_user("resident").await;
    let (resident_id, _) = resident.person_and_posts().await;
    let (_, manager_posts) = manager.person_and_posts().await;
    let company = post_of(&manager_posts, "property_company")["org_id"].as_str().unwrap().to_owned();
    let linked = manager
        .post(
            "/api/v1/posts",
            json!({"person_id": resident_id, "org_kind": "property_company", "org_id": company,
                   "title": "staff", "starts_on": "2026-01-01"}),
        )
        .await
        .expect(201);
    assert!(!has_binding(&resident.get("/api/v1/me").await.expect(200), "property_staff"));
    resident
        .post(&format!("/api/v1/me/invitations/{}/accept", linked["id"].as_str().unwrap()), json!({}))
        .await
        .expect(200);
    assert!(has_binding(&resident.get("/api/v1/me").await.expect(200), "property_staff"));
});

e2e!(parallel_guesses_get_at_most_five_verifications_and_unknown_names_lock_too, |app| async move {
    // Forty wrong guesses at once: at most five are verified (four 401s and the locking 423).
    let answers = join_all((0..40).map(|_| app.login("owner", "wrong-password")).collect()).await;
    let rejected = answers.iter().filter(|r| r.status == 401).count();
    let locked = answers.iter().filter(|r| r.status == 423).count();
    assert!(rejected <= 4, "{rejected} guesses were verified and rejected");
    assert_eq!(rejected + locked, 40, "every answer is 401 or 423");
    // Locked: the right password is refused too, also in a burst.
    let right = join_all((0..5).map(|_| app.login("owner", infra::demo::PASSWORD)).collect()).await;
    assert!(right.iter().all(|r| r.status == 423 && r.code() == "account_locked"), "{right:?}");
    // The lock runs out after 15 minutes.
    app.clock.advance(chrono::Duration::minutes(16));
    app.login("owner", infra::demo::PASSWORD).await.expect(201);

    // A name nobody has behaves the same: four failures, the fifth locks.
    for _ in 0..4 {
        assert_eq!(app.login("nobody-here", "whatever-1").await.status, 401);
    }
    assert_eq!(app.login("nobody-here", "whatever-1").await.status, 423);
    assert_eq!(app.login("nobody-here", "whatever-1").await.status, 423);
});

e2e!(a_masked_filer_cannot_be_found_through_the_timeline_or_the_people_directory, |app| async move {
    let resident = app.as_user("resident").await;
    let owner = app.as_user("owner").await;
    let (resident_id, resident_posts) = resident.person_and_posts().await;
    let jinxiu = post_of(&resident_posts, "estate")["org_id"].as_str().unwrap().to_owned();
    let case = resident.file_complaint(&jinxiu, "电梯异响").await;
    let id = case["id"].as_str().unwrap();

    let seen = owner.get(&format!("/api/v1/complaints/{id}")).await.expect(200);
    assert_eq!(seen["filer_name"], "赵*");
    let events = owner.get(&format!("/api/v1/complaints/{id}/events")).await.expect(200);
    let events = events["items"].as_array().unwrap().clone();
    assert!(events.iter().all(|e| e["actor_person_id"] != resident_id.as_str()), "{events:?}");
    assert!(events.iter().all(|e| e["actor_name"] != "赵磊"), "{events:?}");
    let person = owner.get(&format!("/api/v1/people/{resident_id}")).await;
    assert!(person.status == 404 || person.body["name"] != "赵磊", "{}", person.body);

    // The handling company and the community committees see him whole.
    let manager = app.as_user("manager").await;
    assert_eq!(manager.get(&format!("/api/v1/complaints/{id}")).await.expect(200)["filer_name"], "赵磊");
    let secretary = app.as_user("secretary").await;
    assert_eq!(secretary.get(&format!("/api/v1/people/{resident_id}")).await.expect(200)["name"], "赵磊");
});

e2e!(a_part_time_member_sees_competitors_residents_masked_and_cannot_act_there, |app| async move {
    // 张伟 (安居物业) is a part-time member of 长富路社区; 翠苑小区 is served by 宏达物业.
    let cuiyuan = &app.demo().await.cuiyuan;
    let admin = app.as_user("admin").await;
    let secretary = app.as_user("secretary").await;
    let person = secretary
        .post(
            "/api/v1/people",
            json!({"name": "周大海", "phone": "13512345678",
                   "post": {"org_kind": "estate", "org_id": cuiyuan, "title": "resident", "starts_on": "2026-01-01"}}),
        )
        .await
        .expect(201);
    let username = "zhoudahai";
    admin
        .post("/api/v1/accounts", json!({"person_id": person["id"], "username": username, "password": "secret-pass-9"}))
        .await
        .expect(201);
    let neighbour = app.login(username, "secret-pass-9").await.expect(201);
    let neighbour = app.with_token(neighbour["token"].as_str().unwrap());
    let case = neighbour.file_complaint(cuiyuan, "翠苑停车位被占").await;
    let id = case["id"].as_str().unwrap();

    let manager = app.as_user("manager").await;
    let seen = manager.get(&format!("/api/v1/complaints/{id}")).await.expect(200);
    assert_eq!((seen["filer_name"].as_str(), seen["filer_masked"].as_bool()), (Some("周**"), Some(true)), "{seen}");
    assert!(!seen["filer_phone"].as_str().unwrap_or("").contains("12345678"), "{seen}");
    assert!(seen["allowed_actions"].as_array().unwrap().is_empty(), "{seen}");
    let comment =
        manager.post(&format!("/api/v1/complaints/{id}/comment"), json!({"version": 0, "note": "我来看看"})).await;
    assert_eq!(comment.status, 403, "{}", comment.body);
    let listed = manager.get(&format!("/api/v1/complaints?estate_id={cuiyuan}")).await.expect(200);
    let row = listed["items"].as_array().unwrap().iter().find(|c| c["id"] == id).cloned().unwrap();
    assert_eq!(row["filer_name"], "周**");
    let people = manager.get(&format!("/api/v1/people?estate_id={cuiyuan}&limit=200")).await.expect(200);
    assert!(people["items"].as_array().unwrap().iter().all(|p| p["name"] != "周大海"), "{people}");
});

e2e!(someone_elses_posts_show_only_where_the_caller_may_read_them, |app| async move {
    let admin = app.as_user("admin").await;
    let d = app.demo().await;
    let (c1, c2) = (&d.c1, &d.c2);
    let person = admin
        .post(
            "/api/v1/people",
            json!({"name": "吕明", "post": {"org_kind": "residents_committee", "org_id": c1, "title": "member", "starts_on": "2026-01-01"}}),
        )
        .await
        .expect(201);
    let pid = person["id"].as_str().unwrap();
    admin
        .post(
            "/api/v1/posts",
            json!({"person_id": pid, "org_kind": "residents_committee", "org_id": c2, "title": "member", "starts_on": "2026-01-01"}),
        )
        .await
        .expect(201);
    let secretary2 = app.as_user("secretary2").await;
    let posts = secretary2.get(&format!("/api/v1/posts?person_id={pid}")).await.expect(200);
    let posts = posts["items"].as_array().unwrap();
    assert_eq!(posts.len(), 1, "{posts:?}");
    assert_eq!(posts[0]["org_id"], c2.as_str());
});

e2e!(control_characters_are_refused_in_text_on_both_databases, |app| async move {
    let resident = app.as_user("resident").await;
    let (_, posts) = resident.person_and_posts().await;
    let jinxiu = post_of(&posts, "estate")["org_id"].as_str().unwrap().to_owned();
    let bad = resident
        .post(
            "/api/v1/complaints",
            json!({"estate_id": jinxiu, "category": "repair", "title": "灯\u{0000}坏了", "description": "x"}),
        )
        .await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert_eq!(bad.body["errors"][0]["field"], "title");
    assert_eq!(bad.body["errors"][0]["code"], "control_character");
    // Newlines and tabs are text.
    resident
        .post(
            "/api/v1/complaints",
            json!({"estate_id": jinxiu, "category": "repair", "title": "灯坏了", "description": "第一行\n\t第二行"}),
        )
        .await
        .expect(201);
});

e2e!(a_resident_cannot_cosign_or_probe_a_case_he_may_not_see, |app| async move {
    let owner = app.as_user("owner").await;
    let resident = app.as_user("resident").await;
    let (_, posts) = owner.person_and_posts().await;
    let jinxiu = post_of(&posts, "estate")["org_id"].as_str().unwrap().to_owned();
    let case = owner.file_complaint(&jinxiu, "绿化带枯死").await;
    let path = format!("/api/v1/complaints/{}", case["id"].as_str().unwrap());
    assert_eq!(resident.get(&path).await.status, 404);
    let cosign = resident.post(&format!("{path}/cosign"), json!({"version": case["version"]})).await;
    assert_eq!((cosign.status.as_u16(), cosign.body["current_state"].is_null()), (404, true), "{}", cosign.body);
});

e2e!(company_names_are_unique_after_trimming_and_normalising, |app| async move {
    let manager2 = app.as_user("manager2").await;
    let (_, posts) = manager2.person_and_posts().await;
    let company = post_of(&posts, "property_company")["org_id"].as_str().unwrap().to_owned();
    let admin = app.as_user("admin").await;
    let anju = admin.get("/api/v1/property-companies?limit=200").await.expect(200);
    let anju_name = anju["items"].as_array().unwrap().iter().find(|c| c["id"] != company.as_str()).unwrap()["name"]
        .as_str()
        .unwrap()
        .to_owned();
    for name in [anju_name.clone(), format!("{anju_name} "), format!("{anju_name}\u{200b}")] {
        let taken = manager2.patch(&format!("/api/v1/property-companies/{company}"), json!({"name": name})).await;
        assert_eq!((taken.status.as_u16(), taken.code()), (409, "company_name_taken"), "{name:?}: {}", taken.body);
    }
});

e2e!(lists_without_a_scope_filter_hold_what_the_caller_may_see, |app| async move {
    let d = app.demo().await;
    let (c1, c2) = (&d.c1, &d.c2);
    for (user, mine, theirs, other_secretary) in [("secretary", &c1, &c2, "李秀英"), ("secretary2", &c2, &c1, "王建国")]
    {
        let client = app.as_user(user).await;
        let cases = client.get("/api/v1/complaints?limit=200").await.expect(200);
        let cases = cases["items"].as_array().unwrap();
        assert!(!cases.is_empty(), "{user} sees the community's cases");
        assert!(cases.iter().all(|c| c["community_id"] == mine.as_str() && c["community_id"] != theirs.as_str()));
        let posts = client.get("/api/v1/posts?limit=200").await.expect(200);
        assert!(posts["items"].as_array().unwrap().iter().all(|p| p["community_id"] != theirs.as_str()), "{posts}");
        let people = client.get("/api/v1/people?limit=200").await.expect(200);
        let names: Vec<&str> = people["items"].as_array().unwrap().iter().filter_map(|p| p["name"].as_str()).collect();
        assert!(names.len() > 1 && !names.contains(&other_secretary), "{user}: {names:?}");
        let estates = client.get(&format!("/api/v1/estates?community_id={mine}&limit=200")).await.expect(200);
        let estates: Vec<&str> = estates["items"].as_array().unwrap().iter().filter_map(|e| e["id"].as_str()).collect();
        let contracts = client.get("/api/v1/service-contracts?limit=200").await.expect(200);
        let contracts = contracts["items"].as_array().unwrap();
        assert!(!contracts.is_empty());
        assert!(contracts.iter().all(|c| estates.contains(&c["estate_id"].as_str().unwrap())), "{user}: {contracts:?}");
        let appointments = client.get("/api/v1/cross-appointments?limit=200").await.expect(200);
        assert!(appointments["items"].as_array().unwrap().iter().all(|a| a["community_id"] != theirs.as_str()));
    }
    // 宏达物业's manager (no seat on the committees) sees his company's contracts only;
    // 张伟, a part-time committee member, also reads the community's for oversight.
    let manager2 = app.as_user("manager2").await;
    let contracts = manager2.get("/api/v1/service-contracts?limit=200").await.expect(200);
    let contracts = contracts["items"].as_array().unwrap();
    assert!(!contracts.is_empty());
    assert!(contracts.iter().all(|c| c["company_id"] == d.hongda.as_str()), "{contracts:?}");
    // A resident sees what he filed or co-signed, unmasked since it is his.
    let resident = app.as_user("resident").await;
    let own = resident.get("/api/v1/complaints?limit=200").await.expect(200);
    let own = own["items"].as_array().unwrap();
    assert!(!own.is_empty());
    assert!(own.iter().all(|c| c["filer_name"] == "赵磊"), "{own:?}");
});

e2e!(a_secretary_cannot_seat_the_serving_company_on_the_committee_that_checks_it, |app| async move {
    // 锦绣家园 is served by 安居物业, whose manager is 张伟.
    let d = app.demo().await;
    let manager = app.as_user("manager").await;
    let (manager_id, _) = manager.person_and_posts().await;
    let secretary = app.as_user("secretary").await;
    let seated = secretary
        .post(
            "/api/v1/posts",
            json!({"person_id": manager_id, "org_kind": "owners_committee", "org_id": d.jinxiu_committee,
                   "title": "member", "starts_on": "2026-01-01"}),
        )
        .await;
    assert_eq!((seated.status.as_u16(), seated.code()), (409, "serves_the_checked_company"), "{}", seated.body);
    // Another community's secretary records nothing on this estate's committee.
    let secretary2 = app.as_user("secretary2").await;
    let (outsider, _) = secretary2.person_and_posts().await;
    let foreign = secretary2
        .post(
            "/api/v1/posts",
            json!({"person_id": outsider, "org_kind": "owners_committee", "org_id": d.jinxiu_committee,
                   "title": "member", "starts_on": "2026-01-01"}),
        )
        .await;
    assert_eq!(foreign.status, 403, "{}", foreign.body);

    // A residence is not a home post to propose a cross-appointment from (its holder's name
    // would come back in the answer).
    let owner = app.as_user("owner").await;
    let resident = app.as_user("resident").await;
    let (resident_id, resident_posts) = resident.person_and_posts().await;
    let residence = resident_posts.iter().find(|p| p["org_kind"] == "estate").unwrap();
    let proposed = owner
        .post(
            "/api/v1/cross-appointments",
            json!({"person_id": resident_id, "home_post_id": residence["id"], "host_kind": "owners_committee",
                   "host_id": d.jinxiu_committee, "host_title": "supervisor", "starts_on": "2026-01-01",
                   "ends_on": "2026-12-31", "basis": "业委会会议"}),
        )
        .await;
    assert_eq!(proposed.status, 422, "{}", proposed.body);
    assert_eq!(
        (proposed.body["errors"][0]["field"].as_str(), proposed.body["errors"][0]["code"].as_str()),
        (Some("home_post_id"), Some("home_post_not_held")),
        "{}",
        proposed.body
    );
    assert!(!proposed.body.to_string().contains("赵磊"));
});

e2e!(an_origin_organization_keeps_no_hold_on_someone_who_left_it, |app| async move {
    let manager = app.as_user("manager").await;
    let (_, posts) = manager.person_and_posts().await;
    let company =
        posts.iter().find(|p| p["org_kind"] == "property_company").unwrap()["org_id"].as_str().unwrap().to_owned();
    let hired = manager
        .post(
            "/api/v1/people",
            json!({"name": "冯新", "phone": "13300001111",
                   "post": {"org_kind": "property_company", "org_id": company, "title": "staff", "starts_on": "2026-01-01"}}),
        )
        .await
        .expect(201);
    let id = hired["id"].as_str().unwrap();
    // While 冯新 works there, the company keeps the record it made.
    manager.patch(&format!("/api/v1/people/{id}"), json!({"phone": "13300002222"})).await.expect(200);
    let staff_posts = manager.get(&format!("/api/v1/posts?person_id={id}")).await.expect(200);
    let post_id = staff_posts["items"][0]["id"].as_str().unwrap().to_owned();
    manager.post(&format!("/api/v1/posts/{post_id}/end"), json!({"reason": "离职"})).await.expect(200);
    // Once 冯新 has left, it does not.
    let after = manager.patch(&format!("/api/v1/people/{id}"), json!({"phone": "13300003333"})).await;
    assert!(matches!(after.status.as_u16(), 403 | 404), "{}", after.body);
});

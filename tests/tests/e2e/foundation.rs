//! End-to-end tests: the real application over HTTP, on SQLite and on PostgreSQL.

use tests::{e2e, json};

mod sessions {
    use super::*;

    e2e!(login_me_and_logout, |app| async move {
        let manager = app.as_user("manager").await;
        let me = manager.get("/api/v1/me").await.expect(200);
        assert_eq!(me["username"], "manager");
        assert_eq!(me["person"]["name"], "张伟");
        assert_eq!(me["person"]["phone"], "13734567890", "your own phone is never masked");
        assert_eq!(me["posts"][0]["title"], "manager");
        let bindings: Vec<(&str, &str)> = me["bindings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| (b["role"].as_str().unwrap(), b["scope"].as_str().unwrap()))
            .collect();
        let served = bindings.iter().filter(|(r, s)| *r == "property_manager" && s.starts_with("estate:")).count();
        assert_eq!(served, 3, "three estates served today: {bindings:?}");
        assert!(bindings.contains(&("property_manager", &*format!("company:{}", app.demo().await.anju))));
        assert!(bindings.iter().any(|(r, s)| *r == "part_time_committee_member" && s.starts_with("community:")));

        assert_eq!(manager.delete("/api/v1/sessions/current").await.status, 204);
        let after = manager.get("/api/v1/me").await;
        assert_eq!(after.status, 401);
        assert_eq!(after.code(), "invalid_token");
    });

    e2e!(wrong_passwords_lock_the_account_for_fifteen_minutes, |app| async move {
        let unknown = app.login("nobody", "whatever1").await;
        assert_eq!((unknown.status.as_u16(), unknown.code()), (401, "invalid_credentials"));
        for _ in 0..4 {
            let r = app.login("owner", "wrong-password").await;
            assert_eq!((r.status.as_u16(), r.code()), (401, "invalid_credentials"));
        }
        let fifth = app.login("owner", "wrong-password").await;
        assert_eq!((fifth.status.as_u16(), fifth.code()), (423, "account_locked"));
        let right_but_locked = app.login("owner", infra::demo::PASSWORD).await;
        assert_eq!(right_but_locked.status, 423);

        let admin = app.as_user("admin").await;
        let audit = admin.get("/api/v1/audit?limit=200").await.expect(200);
        let locks = audit["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["action"] == "lock" && r["resource"] == "account")
            .count();
        assert_eq!(locks, 1, "the lock is audited once");

        app.clock.advance(chrono::Duration::minutes(16));
        app.login("owner", infra::demo::PASSWORD).await.expect(201);
    });

    e2e!(missing_and_bad_tokens_get_json_401s, |app| async move {
        let none = app.send("GET", "/api/v1/me", None, None).await;
        assert_eq!((none.status.as_u16(), none.code()), (401, "missing_token"));
        assert!(none.body["message"].is_string());
        let bad = app.send("GET", "/api/v1/estates", Some("lj_not-a-token"), None).await;
        assert_eq!((bad.status.as_u16(), bad.code()), (401, "invalid_token"));
        assert!(bad.request_id.is_some(), "every response has a request id");
    });

    e2e!(administrators_create_accounts_for_people, |app| async move {
        let admin = app.as_user("admin").await;
        let person = admin.post("/api/v1/people", json!({"name": "黄新", "phone": "13811112222"})).await.expect(201);
        let body = json!({"person_id": person["id"], "username": "huangxin", "password": "secret-pass-1"});
        admin.post("/api/v1/accounts", body.clone()).await.expect(201);
        let again = admin.post("/api/v1/accounts", body).await.expect(409);
        assert!(matches!(again["code"].as_str(), Some("username_taken" | "person_has_account")), "{again}");
        app.login("huangxin", "secret-pass-1").await.expect(201);

        let secretary = app.as_user("secretary").await;
        let denied = secretary
            .post(
                "/api/v1/accounts",
                json!({"person_id": person["id"], "username": "x2345", "password": "secret-pass-1"}),
            )
            .await;
        assert_eq!(denied.status, 403);
    });
}

mod registry {
    use super::*;

    e2e!(communities_are_created_listed_in_pages_updated_and_ended, |app| async move {
        let admin = app.as_user("admin").await;
        let mut made = Vec::new();
        for (name, code) in [("长庆社区", "CQ"), ("东关社区", "DG"), ("西关社区", "XG")] {
            let c = admin
                .post("/api/v1/communities", json!({"name": name, "code": code, "street": "城关街道"}))
                .await
                .expect(201);
            made.push(c["id"].as_str().unwrap().to_owned());
        }
        let dup = admin.post("/api/v1/communities", json!({"name": "重复", "code": "cq", "street": "城关街道"})).await;
        assert_eq!((dup.status.as_u16(), dup.code()), (409, "community_code_taken"));

        // 2 demo communities + 3 new, walked two at a time.
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let path = match &cursor {
                Some(c) => format!("/api/v1/communities?limit=2&cursor={c}"),
                None => "/api/v1/communities?limit=2".to_owned(),
            };
            let page = admin.get(&path).await.expect(200);
            let items = page["items"].as_array().unwrap();
            assert!(items.len() <= 2);
            seen.extend(items.iter().map(|i| i["id"].as_str().unwrap().to_owned()));
            match page["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_owned()),
                None => break,
            }
        }
        assert_eq!(seen.len(), 5);
        assert!(made.iter().all(|id| seen.contains(id)));
        let mut sorted = seen.clone();
        sorted.sort();
        assert_eq!(seen, sorted, "pages come in id (creation) order");

        let id = &made[0];
        let updated =
            admin.patch(&format!("/api/v1/communities/{id}"), json!({"name": "长庆路社区"})).await.expect(200);
        assert_eq!((updated["name"].as_str(), updated["code"].as_str()), (Some("长庆路社区"), Some("CQ")));
        let ended =
            admin.post(&format!("/api/v1/communities/{id}/end"), json!({"reason": "社区合并"})).await.expect(200);
        assert_eq!(ended["end_reason"], "社区合并");
        assert!(ended["ended_at"].is_string());
        let again = admin.post(&format!("/api/v1/communities/{id}/end"), json!({})).await;
        assert_eq!((again.status.as_u16(), again.code()), (409, "already_ended"));
        let active = admin.get("/api/v1/communities?limit=200").await.expect(200);
        assert_eq!(active["items"].as_array().unwrap().len(), 4, "ended ones are hidden by default");
        let all = admin.get("/api/v1/communities?limit=200&include_ended=true").await.expect(200);
        assert_eq!(all["items"].as_array().unwrap().len(), 5, "and still there on request");
        assert_eq!(admin.get(&format!("/api/v1/communities/{id}")).await.expect(200)["name"], "长庆路社区");
    });

    e2e!(the_secretary_keeps_the_community_registry, |app| async move {
        let d = app.demo().await;
        let secretary = app.as_user("secretary").await;
        let grid = secretary
            .post("/api/v1/grids", json!({"community_id": d.c1, "name": "长富路社区第三网格"}))
            .await
            .expect(201);
        let estate = secretary
            .post(
                "/api/v1/estates",
                json!({"community_id": d.c1, "grid_id": grid["id"], "name": "幸福里小区", "address": "长富路120号"}),
            )
            .await
            .expect(201);
        let eid = estate["id"].as_str().unwrap();
        let renamed = secretary.patch(&format!("/api/v1/estates/{eid}"), json!({"name": "幸福里"})).await.expect(200);
        assert_eq!(renamed["grid_id"], grid["id"]);
        let ungridded = secretary.patch(&format!("/api/v1/estates/{eid}"), json!({"grid_id": null})).await.expect(200);
        assert!(ungridded["grid_id"].is_null());

        let committee = secretary
            .post("/api/v1/owners-committees", json!({"estate_id": eid, "name": "幸福里第一届业主委员会", "term_start": "2025-01-01", "term_end": "2029-12-31"}))
            .await
            .expect(201);
        let overlap = secretary
            .post(
                "/api/v1/owners-committees",
                json!({"estate_id": eid, "name": "另一届", "term_start": "2029-06-01", "term_end": "2031-12-31"}),
            )
            .await;
        assert_eq!((overlap.status.as_u16(), overlap.code()), (409, "committee_term_overlap"));
        let list = secretary.get(&format!("/api/v1/owners-committees?estate_id={eid}")).await.expect(200);
        assert_eq!(list["items"][0]["id"], committee["id"]);

        let contract = secretary
            .post("/api/v1/service-contracts", json!({"estate_id": eid, "company_id": d.hongda, "starts_on": "2025-01-01", "ends_on": "2027-12-31", "reference": "合同〔2025〕第099号"}))
            .await
            .expect(201);
        let cid = contract["id"].as_str().unwrap();
        let clash = secretary
            .post(
                "/api/v1/service-contracts",
                json!({"estate_id": eid, "company_id": d.anju, "starts_on": "2027-12-31", "ends_on": "2030-12-31"}),
            )
            .await;
        assert_eq!((clash.status.as_u16(), clash.code()), (409, "contract_overlap"));
        let next = secretary
            .post(
                "/api/v1/service-contracts",
                json!({"estate_id": eid, "company_id": d.anju, "starts_on": "2028-01-01", "ends_on": "2030-12-31"}),
            )
            .await
            .expect(201);
        let stretch =
            secretary.patch(&format!("/api/v1/service-contracts/{cid}"), json!({"ends_on": "2028-06-30"})).await;
        assert_eq!(
            (stretch.status.as_u16(), stretch.code()),
            (409, "contract_overlap"),
            "an extension may not overlap either"
        );
        secretary
            .post(
                &format!("/api/v1/service-contracts/{}/end", next["id"].as_str().unwrap()),
                json!({"reason": "业主大会解聘"}),
            )
            .await
            .expect(200);
        secretary
            .patch(&format!("/api/v1/service-contracts/{cid}"), json!({"ends_on": "2028-06-30"}))
            .await
            .expect(200);

        let ended = secretary
            .post(&format!("/api/v1/grids/{}/end", grid["id"].as_str().unwrap()), json!({"reason": "网格调整"}))
            .await
            .expect(200);
        assert!(ended["ended_at"].is_string());

        // Another community's secretary can do none of it here.
        let other = app.as_user("secretary2").await;
        assert_eq!(other.patch(&format!("/api/v1/estates/{eid}"), json!({"name": "x"})).await.status, 403);
        assert_eq!(other.post(&format!("/api/v1/service-contracts/{cid}/end"), json!({})).await.status, 403);
        assert_eq!(other.get(&format!("/api/v1/service-contracts/{cid}")).await.status, 404);
        assert_eq!(other.post("/api/v1/grids", json!({"community_id": d.c1, "name": "越权网格"})).await.status, 403);
        // ...while in their own community they can.
        other.post("/api/v1/grids", json!({"community_id": d.c2, "name": "新城社区第二网格"})).await.expect(201);
    });

    e2e!(companies_need_a_valid_credit_code, |app| async move {
        let admin = app.as_user("admin").await;
        let bad = admin
            .post(
                "/api/v1/property-companies",
                json!({"name": "某县测试物业", "credit_code": "91610000MA6W1A2B3H", "address": "人民路1号"}),
            )
            .await;
        assert_eq!(bad.status, 422);
        assert_eq!(bad.body["errors"][0]["field"], "credit_code");
        assert_eq!(bad.body["errors"][0]["code"], "invalid_check_character");
        let good = admin
            .post(
                "/api/v1/property-companies",
                json!({"name": "某县测试物业", "credit_code": "91330100716105852f", "address": "人民路1号"}),
            )
            .await
            .expect(201);
        assert_eq!(good["credit_code"], "91330100716105852F");
        let id = good["id"].as_str().unwrap();
        let patched =
            admin.patch(&format!("/api/v1/property-companies/{id}"), json!({"address": "人民路2号"})).await.expect(200);
        assert_eq!(patched["address"], "人民路2号");
        admin.post(&format!("/api/v1/property-companies/{id}/end"), json!({"reason": "注销"})).await.expect(200);
    });

    e2e!(departments_people_and_posts, |app| async move {
        let admin = app.as_user("admin").await;
        let dept = admin.post("/api/v1/departments", json!({"name": "县民政局"})).await.expect(201);
        let did = dept["id"].as_str().unwrap();
        admin.patch(&format!("/api/v1/departments/{did}"), json!({"name": "县民政局（社区科）"})).await.expect(200);
        let person = admin
            .post(
                "/api/v1/people",
                json!({"name": "林涛", "phone": "13900001111", "is_party_member": true,
                "post": {"org_kind": "department", "org_id": did, "title": "officer", "starts_on": "2026-01-01"}}),
            )
            .await
            .expect(201);
        let pid = person["id"].as_str().unwrap();
        let posts = admin.get(&format!("/api/v1/posts?person_id={pid}")).await.expect(200);
        assert_eq!(posts["items"].as_array().unwrap().len(), 1);
        let post_id = posts["items"][0]["id"].as_str().unwrap();
        let wrong_title = admin.patch(&format!("/api/v1/posts/{post_id}"), json!({"title": "secretary"})).await;
        assert_eq!(wrong_title.status, 422);
        assert_eq!(wrong_title.body["errors"][0]["code"], "title_not_in_organization");
        admin
            .patch(&format!("/api/v1/posts/{post_id}"), json!({"title": "head", "ends_on": "2030-12-31"}))
            .await
            .expect(200);
        let listed = admin.get(&format!("/api/v1/people?department_id={did}")).await.expect(200);
        assert_eq!(listed["items"][0]["id"], pid);
        admin.patch(&format!("/api/v1/people/{pid}"), json!({"phone": null})).await.expect(200);
        admin.post(&format!("/api/v1/posts/{post_id}/end"), json!({"reason": "调任"})).await.expect(200);
        let after = admin.get(&format!("/api/v1/people?department_id={did}")).await.expect(200);
        assert!(after["items"].as_array().unwrap().is_empty(), "people are listed by posts in force");
        let ended = admin.post(&format!("/api/v1/people/{pid}/end"), json!({"reason": "调离本县"})).await.expect(200);
        assert!(ended["ended_at"].is_string());
        admin.post(&format!("/api/v1/departments/{did}/end"), json!({})).await.expect(200);
    });
}

mod isolation {
    use super::*;

    e2e!(another_company_gets_nothing_of_managers_company_or_estates, |app| async move {
        let d = app.demo().await;
        let manager = app.as_user("manager").await;
        let manager2 = app.as_user("manager2").await;

        // manager reads and changes what is theirs...
        let staff = manager.get(&format!("/api/v1/people?company_id={}", d.anju)).await.expect(200);
        let names: Vec<&str> = staff["items"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
        assert!(names.contains(&"冯涛") && names.contains(&"张伟"), "{names:?}");
        let contracts = manager.get(&format!("/api/v1/service-contracts?estate_id={}", d.jinxiu)).await.expect(200);
        let contract_id = contracts["items"][0]["id"].as_str().unwrap().to_owned();
        manager
            .patch(&format!("/api/v1/property-companies/{}", d.anju), json!({"address": "人民路12号二楼"}))
            .await
            .expect(200);

        // ...and manager2 gets 403 or 404, never data.
        assert_eq!(manager2.get(&format!("/api/v1/people?company_id={}", d.anju)).await.status, 403);
        assert_eq!(manager2.get(&format!("/api/v1/people?estate_id={}", d.jinxiu)).await.status, 403);
        assert_eq!(manager2.get(&format!("/api/v1/service-contracts?estate_id={}", d.jinxiu)).await.status, 403);
        let hidden = manager2.get(&format!("/api/v1/service-contracts/{contract_id}")).await;
        assert_eq!(hidden.status, 404);
        assert!(hidden.body.get("estate_id").is_none());
        let zhang = staff["items"].as_array().unwrap().iter().find(|p| p["name"] == "张伟").unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        assert_eq!(manager2.get(&format!("/api/v1/people/{zhang}")).await.status, 404);
        assert_eq!(manager2.get(&format!("/api/v1/posts?person_id={zhang}")).await.status, 403);
        assert_eq!(
            manager2.patch(&format!("/api/v1/property-companies/{}", d.anju), json!({"name": "x"})).await.status,
            403
        );
        // Not his to see, so not his to know about: 404, as for reading.
        assert_eq!(manager2.patch(&format!("/api/v1/people/{zhang}"), json!({"name": "x"})).await.status, 404);
        let post = json!({"person_id": zhang, "org_kind": "property_company", "org_id": d.anju, "title": "staff", "starts_on": "2026-01-01"});
        assert_eq!(manager2.post("/api/v1/posts", post).await.status, 403);
        assert_eq!(manager2.patch(&format!("/api/v1/estates/{}", d.jinxiu), json!({"name": "x"})).await.status, 403);
        // manager2 still sees their own estate's people.
        manager2.get(&format!("/api/v1/people?estate_id={}", d.cuiyuan)).await.expect(200);
        // and the public directory
        manager2.get(&format!("/api/v1/estates/{}", d.jinxiu)).await.expect(200);

        // Every deny above is in the audit log, with the rule.
        let admin = app.as_user("admin").await;
        let audit = admin.get("/api/v1/audit?limit=200").await.expect(200);
        let denies = audit["items"].as_array().unwrap().iter().filter(|r| r["decision"] == "deny").count();
        assert!(denies >= 9, "{denies} denies audited");
    });

    e2e!(residents_and_other_communities_see_no_personal_data, |app| async move {
        let d = app.demo().await;
        let resident = app.as_user("resident").await;
        assert_eq!(resident.get(&format!("/api/v1/people?estate_id={}", d.jinxiu)).await.status, 403);
        // Without a scope filter the list holds whom he may see: himself only.
        let people = resident.get("/api/v1/people?limit=200").await.expect(200);
        assert_eq!(people["items"].as_array().unwrap().len(), 1, "{people}");
        let secretary2 = app.as_user("secretary2").await;
        assert_eq!(secretary2.get(&format!("/api/v1/people?community_id={}", d.c1)).await.status, 403);
        assert_eq!(secretary2.get(&format!("/api/v1/audit?community_id={}", d.c1)).await.status, 403);
        secretary2.get(&format!("/api/v1/people?community_id={}", d.c2)).await.expect(200);
        let officer = app.as_user("officer").await;
        assert_eq!(officer.get(&format!("/api/v1/service-contracts?community_id={}", d.c1)).await.status, 403);
    });

    e2e!(phones_are_masked_unless_allowed, |app| async move {
        let d = app.demo().await;
        let secretary = app.as_user("secretary").await;
        let people = secretary.get(&format!("/api/v1/people?community_id={}", d.c1)).await.expect(200);
        let by_name =
            |name: &str| people["items"].as_array().unwrap().iter().find(|p| p["name"] == name).cloned().unwrap();
        // 吴强 is a member of the party branch she leads: whole.
        assert_eq!(by_name("吴强")["phone"], "13190123456");
        assert_eq!(by_name("吴强")["phone_masked"], false);
        // 钱勇 is a grid worker, not in an organization she leads: masked.
        assert_eq!(by_name("钱勇")["phone"], "159****5678");
        assert_eq!(by_name("钱勇")["phone_masked"], true);

        let manager = app.as_user("manager").await;
        let residents = manager.get(&format!("/api/v1/people?estate_id={}", d.jinxiu)).await.expect(200);
        for p in residents["items"].as_array().unwrap() {
            assert_eq!(p["phone_masked"], true, "a manager sees residents' phones masked: {p}");
            assert!(p["phone"].as_str().unwrap().contains("****"));
        }
        let staff = manager.get(&format!("/api/v1/people?company_id={}", d.anju)).await.expect(200);
        let feng = staff["items"].as_array().unwrap().iter().find(|p| p["name"] == "冯涛").unwrap();
        assert_eq!(feng["phone"], "18623456789", "a manager sees their staff's phones");

        let owner = app.as_user("owner").await;
        let committee = owner.get(&format!("/api/v1/people?estate_id={}", d.jinxiu)).await.expect(200);
        let he = committee["items"].as_array().unwrap().iter().find(|p| p["name"] == "何琳").unwrap();
        assert_eq!(he["phone"], "18734567890", "the committee director sees the committee's phones");
    });
}

mod authorization {
    use super::*;

    e2e!(ending_a_contract_takes_the_companys_rights_on_the_next_request, |app| async move {
        let d = app.demo().await;
        // manager2's company serves 翠苑小区; manager2 has no community-wide role.
        let manager2 = app.as_user("manager2").await;
        let secretary = app.as_user("secretary").await;
        let scope = format!("estate:{}", d.cuiyuan);
        let explain = format!("/api/v1/authz/explain?resource=person&action=read&scope={scope}");

        manager2.get(&format!("/api/v1/people?estate_id={}", d.cuiyuan)).await.expect(200);
        let before = manager2.get(&explain).await.expect(200);
        assert_eq!(before["allowed"], true);
        assert_eq!(before["rule"], "p, property_manager, person, read, allow");
        assert_eq!(before["acting_as"], format!("property_manager@{scope}"));

        let contracts = secretary.get(&format!("/api/v1/service-contracts?estate_id={}", d.cuiyuan)).await.expect(200);
        let cid = contracts["items"][0]["id"].as_str().unwrap();
        secretary
            .post(&format!("/api/v1/service-contracts/{cid}/end"), json!({"reason": "业主大会决定解聘"}))
            .await
            .expect(200);

        // Same session, next request: the estate binding is gone.
        assert_eq!(manager2.get(&format!("/api/v1/people?estate_id={}", d.cuiyuan)).await.status, 403);
        let after = manager2.get(&explain).await.expect(200);
        assert_eq!(after["allowed"], false);
        let me = manager2.get("/api/v1/me").await.expect(200);
        assert!(!me["bindings"].as_array().unwrap().iter().any(|b| b["scope"] == scope.as_str()));
        // Company-scope rights stay.
        manager2.get(&format!("/api/v1/people?company_id={}", d.hongda)).await.expect(200);

        // The secretary's end was an audited allow in the community's log.
        let audit = secretary.get(&format!("/api/v1/audit?community_id={}", d.c1)).await.expect(200);
        let row = audit["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["action"] == "end" && r["resource"] == "service_contract")
            .cloned()
            .unwrap();
        assert_eq!(row["decision"], "allow");
        assert_eq!(row["rule"], "p, party_branch_secretary, service_contract, end, allow");
        assert!(row["request_id"].is_string());
    });

    e2e!(ending_a_post_takes_its_rights_on_the_next_request, |app| async move {
        let d = app.demo().await;
        let admin = app.as_user("admin").await;
        let manager2 = app.as_user("manager2").await;
        manager2.get(&format!("/api/v1/people?estate_id={}", d.cuiyuan)).await.expect(200);
        let me = manager2.get("/api/v1/me").await.expect(200);
        let post_id = me["posts"][0]["id"].as_str().unwrap();
        admin.post(&format!("/api/v1/posts/{post_id}/end"), json!({"reason": "离职"})).await.expect(200);
        assert_eq!(manager2.get(&format!("/api/v1/people?estate_id={}", d.cuiyuan)).await.status, 403);
        let me = manager2.get("/api/v1/me").await.expect(200);
        assert_eq!(me["bindings"].as_array().unwrap().len(), 1, "only the account binding is left: {me}");
    });

    e2e!(explain_says_which_rule_denies, |app| async move {
        let d = app.demo().await;
        let county = app.as_user("county").await;
        let read = county
            .get(&format!("/api/v1/authz/explain?resource=estate&action=read&scope=community:{}", d.c1))
            .await
            .expect(200);
        assert_eq!(read["allowed"], true);
        let write = county
            .get(&format!("/api/v1/authz/explain?resource=estate&action=update&scope=estate:{}", d.jinxiu))
            .await
            .expect(200);
        assert_eq!(write["allowed"], false);
        assert_eq!(write["chain"][1], format!("community:{}", d.c1), "an estate lies in its community");
        let bad = county.get("/api/v1/authz/explain?resource=spaceship&action=fly&scope=planet:1").await;
        assert_eq!(bad.status, 422);
        assert_eq!(bad.body["errors"].as_array().unwrap().len(), 3, "all three fields are reported");
    });
}

mod bad_input {
    use super::*;

    e2e!(malformed_and_invalid_requests_get_problems_not_500s, |app| async move {
        let admin = app.as_user("admin").await;
        let t = Some(admin.token.as_str());
        let json_ct = [("content-type", "application/json")];

        let broken = app.send_raw("POST", "/api/v1/communities", t, &json_ct, b"{\"name\":".to_vec()).await;
        assert_eq!((broken.status.as_u16(), broken.code()), (400, "bad_request"));
        let wrong_type =
            app.send_raw("POST", "/api/v1/grids", t, &json_ct, br#"{"community_id":123,"name":"B"}"#.to_vec()).await;
        assert_eq!(wrong_type.status, 400);
        let not_bool = admin.post("/api/v1/people", json!({"name": "甲", "is_party_member": "yes"})).await;
        assert_eq!(not_bool.status, 400);
        let big = vec![b' '; 1024 * 1024 + 10];
        let too_large = app.send_raw("POST", "/api/v1/communities", t, &json_ct, big).await;
        assert_eq!((too_large.status.as_u16(), too_large.code()), (413, "payload_too_large"));

        let invalid = admin.post("/api/v1/communities", json!({"name": " ", "code": "有-空格", "street": ""})).await;
        assert_eq!((invalid.status.as_u16(), invalid.code()), (422, "validation_failed"));
        let fields: Vec<&str> =
            invalid.body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
        assert_eq!(fields, ["name", "code", "street"], "every invalid field is listed");

        let english = app
            .send_raw(
                "POST",
                "/api/v1/departments",
                t,
                &[("content-type", "application/json"), ("accept-language", "en-US,en;q=0.9")],
                br#"{"name":""}"#.to_vec(),
            )
            .await;
        assert_eq!(english.body["errors"][0]["message"], "Required");
        let chinese = admin.post("/api/v1/departments", json!({"name": ""})).await;
        assert_eq!(chinese.body["errors"][0]["message"], "必填");

        let unknown = uuid::Uuid::now_v7();
        assert_eq!(admin.get(&format!("/api/v1/estates/{unknown}")).await.code(), "not_found");
        assert_eq!(admin.get("/api/v1/estates/not-a-uuid").await.status, 400);
        let orphan =
            admin.post("/api/v1/estates", json!({"community_id": unknown, "name": "无主小区", "address": "无"})).await;
        assert_eq!(orphan.status, 422);
        assert_eq!(orphan.body["errors"][0]["code"], "unknown_community");

        let deep = admin.get("/api/v1/estates?limit=100000").await;
        assert_eq!((deep.status.as_u16(), deep.body["errors"][0]["code"].as_str()), (422, Some("limit_out_of_range")));
        assert_eq!(admin.get("/api/v1/estates?limit=-1").await.status, 422);
        assert_eq!(admin.get("/api/v1/estates?cursor=garbage").await.body["errors"][0]["code"], "invalid_cursor");

        let nowhere = app.send("GET", "/api/v1/no-such-thing", None, None).await;
        assert_eq!((nowhere.status.as_u16(), nowhere.code()), (404, "route_not_found"));
        let bad_dates = admin
            .post("/api/v1/service-contracts", json!({"estate_id": unknown, "company_id": unknown, "starts_on": "2026-02-30", "ends_on": "2026-01-01"}))
            .await;
        assert_eq!(bad_dates.status, 400, "an impossible date does not parse");
        let short_password =
            admin.post("/api/v1/accounts", json!({"person_id": unknown, "username": "a", "password": "1"})).await;
        assert_eq!(short_password.body["errors"].as_array().unwrap().len(), 2);
    });

    e2e!(the_spec_docs_and_health_endpoints_are_served, |app| async move {
        let spec = app.send("GET", "/api/openapi.json", None, None).await.expect(200);
        let paths = spec["paths"].as_object().unwrap();
        for p in [
            "/api/v1/sessions",
            "/api/v1/me",
            "/api/v1/estates/{id}",
            "/api/v1/service-contracts/{id}/end",
            "/api/v1/authz/explain",
            "/api/v1/audit",
        ] {
            assert!(paths.contains_key(p), "{p} missing from the spec");
        }
        let responses = &spec["paths"]["/api/v1/estates"]["post"]["responses"];
        for code in ["201", "401", "403", "409", "422", "503"] {
            assert!(responses.get(code).is_some(), "POST /estates does not declare {code}");
        }
        let docs = reqwest::get(format!("{}/api/docs", app.address)).await.unwrap();
        assert_eq!(docs.status(), 200);
        app.send("GET", "/healthz", None, None).await.expect(200);
        assert_eq!(app.send("GET", "/readyz", None, None).await.expect(200)["status"], "ready");
    });
}

mod storage {
    use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};

    /// Whether the session of a one-connection pool speaks TLS to PostgreSQL.
    async fn over_tls(db: DatabaseConnection) -> bool {
        let sql = "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()";
        let row = db
            .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
            .await
            .expect("pg_stat_ssl")
            .expect("a row for this backend");
        row.try_get_by_index::<bool>(0).expect("ssl")
    }

    /// A PostgreSQL on this machine is spoken to in plain (TLS there protects nothing and costs
    /// it CPU time on every message); any other server, or a URL or environment that says
    /// anything about TLS, gets what a plain sqlx connection negotiates.
    #[tokio::test]
    async fn a_postgresql_on_this_machine_is_spoken_to_without_tls() {
        let url = tests::postgres_admin_url();
        let host =
            url.parse::<sea_orm::sqlx::postgres::PgConnectOptions>().expect("a PostgreSQL URL").get_host().to_owned();
        let ours = over_tls(infra::db::connect(&url, 1).await.expect("connect")).await;
        let plain = over_tls(sea_orm::Database::connect(&url).await.expect("connect")).await;
        if infra::db::is_loopback(&host) && !infra::db::tls_chosen(&url) {
            assert!(!ours, "{host} is this machine: no TLS");
            let server = sea_orm::Database::connect(&url).await.expect("connect");
            let ssl_on = server
                .query_one_raw(Statement::from_string(server.get_database_backend(), "SHOW ssl"))
                .await
                .expect("SHOW ssl")
                .and_then(|r| r.try_get_by_index::<String>(0).ok())
                .is_some_and(|v| v == "on");
            assert_eq!(plain, ssl_on, "sqlx's default (prefer) takes TLS when the server offers it");
        } else {
            assert_eq!(ours, plain, "{host}: TLS as sqlx negotiates it");
        }
    }
}

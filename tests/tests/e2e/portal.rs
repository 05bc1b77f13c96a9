//! The portal (门户) through its pages, as a browser without JavaScript uses it: sessions by
//! cookie, CSRF on every form, each role's desk and nothing of anyone else's, the buttons on a
//! case equal to `allowed_actions`, phones masked as in the API, Chinese and English, and the
//! README's complaint walk-through done entirely through forms.

use serde_json::Value;
use tests::web::{Browser, Page};
use tests::{e2e, TestApp};

/// The case's id from a redirect to `/complaints/<id>?done=...`.
fn case_of(page: &Page) -> String {
    let to = page.location().unwrap_or_else(|| panic!("no redirect: {} {}", page.status, page.body));
    to.trim_start_matches("/complaints/").split('?').next().unwrap_or_default().to_owned()
}

/// Takes `action` on a case through its page as `who`, expecting the redirect of success.
async fn act(who: &Browser, id: &str, action: &str, fields: &[(&str, &str)]) {
    let page = who.get(&format!("/complaints/{id}")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let done = who.submit(&page, &format!("/complaints/{id}/{action}"), fields).await;
    assert_eq!(done.status, 303, "{action} failed: {}", done.body);
    assert_eq!(done.location(), Some(format!("/complaints/{id}?done={action}")));
}

/// The actions offered on a case's page.
async fn buttons(who: &Browser, id: &str) -> Vec<String> {
    let mut actions = who.get(&format!("/complaints/{id}")).await.attrs("form.action", "data-action");
    actions.sort();
    actions
}

async fn api_actions(app: &TestApp, user: &str, id: &str) -> Vec<String> {
    let body = app.as_user(user).await.get(&format!("/api/v1/complaints/{id}")).await.expect(200);
    let mut actions: Vec<String> =
        body["allowed_actions"].as_array().unwrap().iter().map(|a| a.as_str().unwrap().to_owned()).collect();
    actions.sort();
    actions
}

e2e!(signing_in_and_out_with_a_cookie, |app| async move {
    let anonymous = Browser::new(&app.address);
    let desk = anonymous.get("/desk").await;
    assert_eq!(desk.status, 303);
    assert_eq!(desk.location().as_deref(), Some("/login?next=/desk"));

    let b = Browser::sign_in(&app.address, "manager").await;
    let token = b.session().expect("a session cookie");
    let desk = b.get("/desk").await;
    assert_eq!(desk.status, 200);
    assert_eq!(desk.text("h1"), "工作台");
    assert_eq!(desk.text(".user"), "manager");
    // The cookie is the API's session: the same token works as a bearer token.
    app.with_token(&token).get("/api/v1/me").await.expect(200);

    // Signing out revokes the session, not only the cookie.
    let done = b.submit(&desk, "/logout", &[]).await;
    assert_eq!(done.status, 303);
    assert_eq!(done.location().as_deref(), Some("/login"));
    assert!(b.session().is_none(), "the cookie is removed");
    app.with_token(&token).get("/api/v1/me").await.expect(401);
    let replay = Browser::new(&app.address);
    replay.cookies.lock().unwrap().insert("lj_session".into(), token);
    assert_eq!(replay.get("/desk").await.status, 303, "a revoked session opens nothing");

    // An expired or lost session returns to the sign-in page, then to the page asked for.
    let back = replay.get("/complaints?status=submitted").await;
    assert_eq!(back.location().as_deref(), Some("/login?next=/complaints%3Fstatus%3Dsubmitted"));
    let form = replay.get(&back.location().unwrap()).await;
    let signed = replay.submit(&form, "/login", &[("username", "manager"), ("password", tests::DEMO_PASSWORD)]).await;
    assert_eq!(signed.location().as_deref(), Some("/complaints?status=submitted"));
});

e2e!(the_session_cookie_is_http_only_and_same_site, |app| async move {
    let b = Browser::new(&app.address);
    let form = b.get("/login").await;
    let fields = form.form_fields("/login");
    let mut all = fields.clone();
    all.push(("username".into(), "resident".into()));
    all.push(("password".into(), tests::DEMO_PASSWORD.into()));
    let done = b.post("/login", &all).await;
    let cookie = done
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("lj_session="))
        .expect("session cookie")
        .to_owned();
    for attr in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age="] {
        assert!(cookie.contains(attr), "{attr} missing from {cookie}");
    }
    // Served over http (no APP_PUBLIC_URL), so neither Secure nor the __Host- prefix.
    assert!(!cookie.contains("Secure"));
});

e2e!(wrong_passwords_and_the_lockout_read_as_sentences, |app| async move {
    let b = Browser::new(&app.address);
    let form = b.get("/login").await;
    let wrong = b.submit(&form, "/login", &[("username", "owner"), ("password", "not-the-password")]).await;
    assert_eq!(wrong.status, 401);
    assert_eq!(wrong.text("#login-error"), "用户名或密码错误");
    let mut last = wrong;
    for _ in 0..5 {
        let form = b.get("/login").await;
        last = b.submit(&form, "/login", &[("username", "owner"), ("password", "still-wrong")]).await;
    }
    assert_eq!(last.status, 423);
    assert!(last.text("#login-error").contains("账号已锁定"), "{}", last.text("#login-error"));
});

e2e!(forms_without_the_csrf_token_change_nothing, |app| async move {
    let demo = app.demo().await;
    let resident = app.as_user("resident").await;
    let case = resident.file_complaint(&demo.jinxiu, "楼道灯坏了").await;
    let id = case["id"].as_str().unwrap();
    let manager = Browser::sign_in(&app.address, "manager").await;
    let page = manager.get(&format!("/complaints/{id}")).await;
    let action = format!("/complaints/{id}/accept");
    let version = ("version".to_owned(), "0".to_owned());

    let missing = manager.post(&action, std::slice::from_ref(&version)).await;
    assert_eq!(missing.status, 403);
    assert_eq!(missing.text("h1"), "无权访问");
    let wrong = manager.post(&action, &[version.clone(), ("csrf".into(), "0".repeat(32))]).await;
    assert_eq!(wrong.status, 403);
    // Another user's token is as wrong as none.
    let other = Browser::sign_in(&app.address, "manager").await;
    let other_token = other.get(&format!("/complaints/{id}")).await.form_fields(&action);
    assert_ne!(other_token, page.form_fields(&action), "each session has its own token");
    let stolen = manager.post(&action, &other_token).await;
    assert_eq!(stolen.status, 403);
    let after = resident.get(&format!("/api/v1/complaints/{id}")).await.expect(200);
    assert_eq!(after["status"], "submitted");
    assert_eq!(after["version"], 0);

    // Signing in needs the form's token too (no signing a victim into another account).
    let fresh = Browser::new(&app.address);
    let no_form = fresh
        .post("/login", &[("username".into(), "manager".into()), ("password".into(), tests::DEMO_PASSWORD.into())])
        .await;
    assert_eq!(no_form.status, 403);
    assert!(fresh.session().is_none());
    // Signing out needs it as well.
    let out = manager.post("/logout", &[]).await;
    assert_eq!(out.status, 403);
    assert_eq!(manager.get("/desk").await.status, 200, "still signed in");
});

/// The case ids on `user`'s desk, each with the API's view of it as the administrator.
async fn desk_cases(app: &TestApp, user: &str) -> Vec<Value> {
    let b = Browser::sign_in(&app.address, user).await;
    let desk = b.get("/desk").await;
    assert_eq!(desk.status, 200, "{}", desk.body);
    let admin = app.as_user("admin").await;
    let mut cases = Vec::new();
    for id in desk.case_ids() {
        cases.push(admin.get(&format!("/api/v1/complaints/{id}")).await.expect(200));
    }
    cases
}

e2e!(each_desk_lists_its_own_and_nothing_of_anyone_else, |app| async move {
    let demo = app.demo().await;
    let manager = desk_cases(app, "manager").await;
    assert!(!manager.is_empty());
    assert!(manager.iter().all(|c| c["handling_company_id"] == demo.anju.as_str()), "manager: {manager:?}");
    let manager2 = desk_cases(app, "manager2").await;
    assert!(!manager2.is_empty());
    assert!(manager2.iter().all(|c| c["handling_company_id"] == demo.hongda.as_str()));
    let secretary = desk_cases(app, "secretary").await;
    assert!(!secretary.is_empty());
    assert!(secretary.iter().all(|c| c["community_id"] == demo.c1.as_str()));
    let secretary2 = desk_cases(app, "secretary2").await;
    assert!(secretary2.iter().all(|c| c["community_id"] == demo.c2.as_str()));
    let officer = desk_cases(app, "officer").await;
    assert!(!officer.is_empty());
    assert!(officer.iter().all(|c| c["department_id"] == demo.housing.as_str() && c["status"] == "escalated"));
    let owner = desk_cases(app, "owner").await;
    assert!(owner.iter().all(|c| c["estate_id"] == demo.jinxiu.as_str()));

    // A resident's desk holds what they filed or co-signed, never a neighbour's case.
    let resident = app.as_user("resident").await;
    let (me, _) = resident.person_and_posts().await;
    let mine: Vec<String> = resident.get("/api/v1/complaints?mine=true").await.expect(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect();
    for case in desk_cases(app, "resident").await {
        assert!(
            case["filer_id"] == me.as_str() || mine.contains(&case["id"].as_str().unwrap().to_owned()),
            "a neighbour's case on the resident's desk: {case}"
        );
    }

    // The county's desk has one row per community, and no buttons anywhere.
    let county = Browser::sign_in(&app.address, "county").await;
    let desk = county.get("/desk").await;
    let rows = desk.texts("#load tbody tr");
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert!(rows.iter().any(|r| r.starts_with("长富路社区")) && rows.iter().any(|r| r.starts_with("新城社区")));
    // Each row's numbers are the API's: open cases, of which overdue, of which disputed or in mediation.
    let admin = app.as_user("admin").await;
    let count = |body: Value| body["items"].as_array().unwrap().len();
    let cells = desk.texts("#load tbody td");
    for (name, community) in [("长富路社区", &demo.c1), ("新城社区", &demo.c2)] {
        let at = cells.iter().position(|c| c == name).unwrap();
        let row = &cells[at..at + 4];
        let numbers: Vec<usize> = row[1..].iter().map(|n| n.parse().unwrap()).collect();
        let mut open = 0;
        for status in ["submitted", "accepted", "returned", "disputed", "mediating", "escalated"] {
            let path = format!("/api/v1/complaints?community_id={community}&status={status}&limit=200");
            open += count(admin.get(&path).await.expect(200));
        }
        let overdue = count(
            admin.get(&format!("/api/v1/complaints?community_id={community}&overdue=true&limit=200")).await.expect(200),
        );
        let mut disputed = 0;
        for status in ["disputed", "mediating"] {
            disputed += count(
                admin
                    .get(&format!("/api/v1/complaints?community_id={community}&status={status}&limit=200"))
                    .await
                    .expect(200),
            );
        }
        assert_eq!(numbers, [open, overdue, disputed], "{name}: {row:?}");
    }
});

e2e!(the_buttons_on_a_case_are_its_allowed_actions, |app| async move {
    let admin = app.as_user("admin").await;
    let cases = admin.get("/api/v1/complaints?limit=200").await.expect(200);
    let ids: Vec<String> =
        cases["items"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_owned()).collect();
    assert!(ids.len() > 10);
    for user in ["manager", "secretary", "owner", "officer", "resident", "manager2"] {
        let b = Browser::sign_in(&app.address, user).await;
        let mut compared = 0;
        for id in ids.iter().take(20) {
            let page = b.get(&format!("/complaints/{id}")).await;
            let api = app.as_user(user).await.get(&format!("/api/v1/complaints/{id}")).await;
            if api.status.as_u16() == 404 {
                assert_eq!(page.status, 404, "{user} sees a page the API hides: {id}");
                continue;
            }
            assert_eq!(buttons(&b, id).await, api_actions(app, user, id).await, "{user} on {id}");
            compared += 1;
        }
        assert!(compared > 0, "{user} saw no case");
    }
});

e2e!(nobody_reaches_a_case_or_appointment_that_is_not_theirs, |app| async move {
    let demo = app.demo().await;
    let resident = app.as_user("resident").await;
    let case = resident.file_complaint(&demo.jinxiu, "电梯异响").await;
    let id = case["id"].as_str().unwrap();
    // A rival company, another community's secretary: a 404 page, the same as for no case.
    for user in ["manager2", "secretary2"] {
        let b = Browser::sign_in(&app.address, user).await;
        let page = b.get(&format!("/complaints/{id}")).await;
        assert_eq!(page.status, 404, "{user}");
        assert_eq!(page.text("h1"), "页面不存在");
        let tried = b.post(&format!("/complaints/{id}/accept"), &[("version".into(), "0".into())]).await;
        assert_eq!(tried.status, 403, "no token, no action");
    }
    // Even with a valid token of their own, the rival cannot act on it.
    let rival = Browser::sign_in(&app.address, "manager2").await;
    let own_desk = rival.get("/desk").await;
    let token = own_desk.form_fields("/logout");
    let mut fields = token.clone();
    fields.push(("version".into(), "0".into()));
    let tried = rival.post(&format!("/complaints/{id}/accept"), &fields).await;
    assert_eq!(tried.status, 404, "{}", tried.body);
    assert_eq!(resident.get(&format!("/api/v1/complaints/{id}")).await.expect(200)["status"], "submitted");

    // A cross-appointment of community 1 is not community 2's secretary's to see or decide.
    let secretary = app.as_user("secretary").await;
    let list = secretary.get(&format!("/api/v1/cross-appointments?community_id={}", demo.c1)).await.expect(200);
    let appointment = list["items"][0]["id"].as_str().unwrap().to_owned();
    let secretary2 = Browser::sign_in(&app.address, "secretary2").await;
    assert_eq!(secretary2.get(&format!("/appointments/{appointment}")).await.status, 404);
    let own = Browser::sign_in(&app.address, "secretary").await;
    assert_eq!(own.get(&format!("/appointments/{appointment}")).await.status, 200);

    // The county reads but has no button on any case.
    let county = Browser::sign_in(&app.address, "county").await;
    let page = county.get(&format!("/complaints/{id}")).await;
    assert_eq!(page.status, 200);
    assert!(page.attrs("form.action", "data-action").is_empty());
});

e2e!(phones_are_masked_as_the_api_masks_them, |app| async move {
    let demo = app.demo().await;
    let resident = app.as_user("resident").await;
    let case = resident.file_complaint(&demo.jinxiu, "水管漏水").await;
    let id = case["id"].as_str().unwrap();
    for user in ["manager", "owner", "secretary", "county", "resident"] {
        let api = app.as_user(user).await.get(&format!("/api/v1/complaints/{id}")).await.expect(200);
        let page = Browser::sign_in(&app.address, user).await.get(&format!("/complaints/{id}")).await;
        assert_eq!(page.text("#filer-phone"), api["filer_phone"].as_str().unwrap(), "{user}");
        assert!(page.text("#filer").starts_with(api["filer_name"].as_str().unwrap()), "{user}");
    }
    // The owners' committee checks the company's work but does not handle the resident: masked.
    let owner = Browser::sign_in(&app.address, "owner").await.get(&format!("/complaints/{id}")).await;
    assert!(owner.text("#filer-phone").contains("****"));

    // The registry's people list shows phones exactly as the API's people list does.
    for user in ["manager2", "secretary"] {
        let client = app.as_user(user).await;
        let people = client.get(&format!("/api/v1/people?community_id={}&limit=200", demo.c1)).await;
        let page = Browser::sign_in(&app.address, user).await.get(&format!("/registry/communities/{}", demo.c1)).await;
        assert_eq!(page.status, 200);
        if people.status.as_u16() != 200 {
            assert!(page.texts("#people tbody tr").is_empty(), "{user} sees people the API hides");
            continue;
        }
        let api_phones: std::collections::BTreeSet<String> = people.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|p| p["phone"].as_str().map(ToOwned::to_owned))
            .collect();
        let page_phones = page.texts("#people td.phone");
        assert!(!page_phones.is_empty(), "{user}");
        for phone in page_phones.iter().filter(|p| !p.is_empty()) {
            assert!(api_phones.contains(phone), "{user}: {phone} is not what the API shows");
        }
    }
});

e2e!(chinese_by_default_english_by_switch_or_header, |app| async move {
    let b = Browser::sign_in(&app.address, "secretary").await;
    let desk = b.get("/desk").await;
    assert_eq!(desk.attrs("html", "lang"), ["zh-CN"]);
    let switch = b.get("/lang/en?back=/desk").await;
    assert_eq!(switch.status, 303);
    assert_eq!(switch.location().as_deref(), Some("/desk"));
    let desk = b.get("/desk").await;
    assert_eq!(desk.attrs("html", "lang"), ["en"]);
    assert_eq!(desk.text("h1"), "My desk");
    // The switch never sends anyone to another host.
    assert_eq!(b.get("/lang/zh?back=//evil.example/").await.location().as_deref(), Some("/desk"));
    assert_eq!(b.get("/desk").await.text("h1"), "工作台");

    let mut english = Browser::new(&app.address);
    english.accept_language = Some("en-GB,en;q=0.9".into());
    let login = english.get("/login").await;
    assert_eq!(login.attrs("html", "lang"), ["en"]);
    assert_eq!(login.text("h1"), "Sign in");
    let missing = english.get("/no-such-page").await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.text("h1"), "Not found");
});

e2e!(every_page_carries_the_security_headers, |app| async move {
    let anonymous = Browser::new(&app.address).get("/login").await;
    assert!(anonymous.header("content-security-policy").is_some_and(|c| c.contains("frame-ancestors 'none'")));
    let b = Browser::sign_in(&app.address, "admin").await;
    for path in ["/desk", "/complaints", "/appointments", "/registry", "/audit", "/me", "/nowhere"] {
        let page = b.get(path).await;
        assert!(page.status == 200 || page.status == 404, "{path}: {}", page.status);
        let csp = page.header("content-security-policy").unwrap_or_default();
        for part in ["script-src 'self'", "frame-ancestors 'none'", "default-src 'none'"] {
            assert!(csp.contains(part), "{path}: {csp}");
        }
        assert!(!csp.contains("unsafe-inline"), "{path}");
        assert_eq!(page.header("x-content-type-options").as_deref(), Some("nosniff"), "{path}");
        assert_eq!(page.header("referrer-policy").as_deref(), Some("same-origin"), "{path}");
        assert_eq!(page.header("cache-control").as_deref(), Some("no-store"), "{path}");
        assert!(page.header("x-request-id").is_some(), "{path}");
        assert!(page.header("content-type").unwrap_or_default().starts_with("text/html"), "{path}");
        // No inline script, and nothing fetched from another host.
        assert!(page.attrs("script", "src").iter().all(|s| s.starts_with('/')), "{path}");
        assert!(page.texts("script").iter().all(String::is_empty), "{path}: inline script");
        for href in page.attrs("link", "href") {
            assert!(href.starts_with('/'), "{path}: {href}");
        }
    }
    // The stylesheet: its content hash in the name, cached for a year.
    let desk = b.get("/desk").await;
    let css = desk.attrs("link[rel=stylesheet]", "href").pop().unwrap();
    assert!(css.starts_with("/assets/app.") && css.ends_with(".css") && css.len() > "/assets/app..css".len() + 8);
    let sheet = b.get(&css).await;
    assert_eq!(sheet.status, 200);
    assert_eq!(sheet.header("cache-control").as_deref(), Some("public, max-age=31536000, immutable"));
    assert_eq!(b.get("/assets/app.0000.css").await.status, 404);
});

e2e!(filing_errors_stand_next_to_their_fields, |app| async move {
    let b = Browser::sign_in(&app.address, "resident").await;
    let form = b.get("/complaints/new").await;
    let estate = form.attrs("select#estate_id option", "value").pop().unwrap();
    let sent = b
        .submit(
            &form,
            "/complaints",
            &[("estate_id", &estate), ("category", "repair"), ("title", ""), ("description", "")],
        )
        .await;
    assert_eq!(sent.status, 422);
    assert!(!sent.text("#title-error").is_empty());
    assert!(!sent.text("#description-error").is_empty());
    assert_eq!(sent.texts("#category-error").len(), 0, "a valid field has no error");
    // An estate the resident does not live in is refused, whatever the form says.
    let demo = app.demo().await;
    let other = b
        .submit(
            &form,
            "/complaints",
            &[
                ("estate_id", demo.cuiyuan.as_str()),
                ("category", "repair"),
                ("title", "别人的小区"),
                ("description", "试试"),
            ],
        )
        .await;
    assert!(other.status == 403 || other.status == 422, "{}", other.status);
    assert!(!other.text("[role=alert]").is_empty());
});

e2e!(a_stale_form_says_so_and_shows_the_case_as_it_is, |app| async move {
    let demo = app.demo().await;
    let case = app.as_user("resident").await.file_complaint(&demo.jinxiu, "外墙脱落").await;
    let id = case["id"].as_str().unwrap();
    let manager = Browser::sign_in(&app.address, "manager").await;
    let page = manager.get(&format!("/complaints/{id}")).await;
    let first = manager.submit(&page, &format!("/complaints/{id}/accept"), &[]).await;
    assert_eq!(first.status, 303);
    // The same form again (a second tab, a double click): refused with a sentence.
    let again = manager.submit(&page, &format!("/complaints/{id}/accept"), &[]).await;
    assert_eq!(again.status, 409);
    assert!(again.text("#action-error").contains("刚被他人办理过"), "{}", again.text("#action-error"));
    assert_eq!(again.text("#status"), "办理中");
});

e2e!(the_walk_through_through_pages, |app| async move {
    let resident = Browser::sign_in(&app.address, "resident").await;
    let manager = Browser::sign_in(&app.address, "manager").await;
    let secretary = Browser::sign_in(&app.address, "secretary").await;
    let officer = Browser::sign_in(&app.address, "officer").await;

    let form = resident.get("/complaints/new").await;
    let estate = form.attrs("select#estate_id option", "value").pop().unwrap();
    let filed = resident
        .submit(
            &form,
            "/complaints",
            &[
                ("estate_id", &estate),
                ("category", "elevator"),
                ("priority", "urgent"),
                ("title", "2号楼电梯停运"),
                ("description", "电梯停运两天，老人上下楼困难。"),
            ],
        )
        .await;
    assert_eq!(filed.status, 303, "{}", filed.body);
    let id = case_of(&filed);
    let to_accept = manager.get("/desk").await;
    assert!(to_accept.case_ids().contains(&id), "the new case is on the manager's desk");

    act(&manager, &id, "accept", &[("note", "已派维修人员")]).await;
    act(&manager, &id, "resolve", &[("note", "已更换控制板")]).await;
    act(&resident, &id, "dispute", &[("reason", "电梯仍有异响")]).await;
    act(&secretary, &id, "mediate", &[]).await;
    let page = secretary.get(&format!("/complaints/{id}")).await;
    let department = page.attrs("select[name=department_id] option", "value").into_iter().next().unwrap();
    act(&secretary, &id, "escalate", &[("department_id", &department), ("note", "请特种设备监管部门到场")]).await;
    assert!(officer.get("/desk").await.case_ids().contains(&id));
    act(&officer, &id, "report-in", &[]).await;
    act(&officer, &id, "answer", &[("note", "已检测合格")]).await;
    act(&resident, &id, "confirm", &[("rating", "basically_satisfied")]).await;

    let last = resident.get(&format!("/complaints/{id}")).await;
    assert_eq!(last.text("#status"), "已结案");
    let steps = last.texts("ol.timeline li");
    assert_eq!(steps.len(), 9, "{steps:?}");
    let api = app.as_user("resident").await.get(&format!("/api/v1/complaints/{id}")).await.expect(200);
    assert_eq!(api["status"], "closed");
    assert_eq!(api["rating"], "basically_satisfied");
});

e2e!(offered_posts_are_accepted_from_the_desk, |app| async move {
    // manager2's company records a staff post for the owners' committee director, who serves
    // elsewhere: it waits on the director's desk until accepted.
    let demo = app.demo().await;
    let owner = app.as_user("owner").await;
    let (person, _) = owner.person_and_posts().await;
    let manager2 = app.as_user("manager2").await;
    let post = manager2
        .post(
            "/api/v1/posts",
            tests::json!({"person_id": person, "org_kind": "property_company", "org_id": demo.hongda,
                          "title": "staff", "starts_on": "2026-01-01"}),
        )
        .await
        .expect(201);
    assert_eq!(post["awaiting_acceptance"], true);
    let b = Browser::sign_in(&app.address, "owner").await;
    let desk = b.get("/desk").await;
    let offers = desk.texts("#offers li");
    assert_eq!(offers.len(), 1, "{offers:?}");
    assert!(offers[0].contains("宏达"), "{offers:?}");
    let post_id = post["id"].as_str().unwrap();
    let done = b.submit(&desk, &format!("/me/invitations/{post_id}/decline"), &[]).await;
    assert_eq!(done.status, 303);
    assert!(b.get("/desk").await.texts("#offers li").is_empty());
    let ended = manager2.get(&format!("/api/v1/posts/{post_id}")).await.expect(200);
    assert!(!ended["ended_at"].is_null(), "{ended}");
});

tests::e2e_with!(
    behind_https_the_cookie_is_secure_and_host_prefixed,
    |s: &mut api::Settings| s.https = true,
    |app| async move {
        let b = Browser::new(&app.address);
        let form = b.get("/login").await;
        let login_cookie = form.header("set-cookie").unwrap_or_default();
        assert!(login_cookie.contains("Secure"), "{login_cookie}");
        let done = b.submit(&form, "/login", &[("username", "resident"), ("password", tests::DEMO_PASSWORD)]).await;
        assert_eq!(done.status, 303, "{}", done.body);
        let cookie = done
            .headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|c| c.starts_with("__Host-lj_session="))
            .expect("a __Host- session cookie")
            .to_owned();
        assert!(cookie.contains("Secure") && cookie.contains("Path=/") && !cookie.contains("Domain="), "{cookie}");
        // The plain name opens nothing: only the prefixed cookie is read.
        let token = cookie.split(';').next().unwrap().trim_start_matches("__Host-lj_session=").to_owned();
        let plain = Browser::new(&app.address);
        plain.cookies.lock().unwrap().insert("lj_session".into(), token.clone());
        assert_eq!(plain.get("/desk").await.status, 303);
        let prefixed = Browser::new(&app.address);
        prefixed.cookies.lock().unwrap().insert("__Host-lj_session".into(), token);
        assert_eq!(prefixed.get("/desk").await.status, 200);
    }
);

e2e!(the_appointments_export_is_the_list_as_csv, |app| async move {
    let b = Browser::sign_in(&app.address, "secretary").await;
    let list = b.get("/appointments?status=active").await;
    let link = list.attrs("a[download]", "href").pop().expect("an export link");
    assert_eq!(link, "/appointments/export.csv?status=active");
    let csv = b.get(&link).await;
    assert_eq!(csv.status, 200);
    assert!(csv.header("content-type").unwrap_or_default().starts_with("text/csv"));
    assert!(csv.body.starts_with('\u{feff}'), "UTF-8 with a byte-order mark");
    let rows = list.texts("tbody tr").len();
    assert!(rows > 0);
    assert_eq!(csv.body.trim_end().lines().count(), rows + 1, "a header and one line per listed appointment");
    // Another community's secretary exports only their own community's.
    let other = Browser::sign_in(&app.address, "secretary2").await.get("/appointments/export.csv").await;
    let mine = csv.body.lines().skip(1).collect::<Vec<_>>();
    assert!(other.body.lines().skip(1).all(|l| !mine.contains(&l)), "{}", other.body);
});

e2e!(administrators_keep_the_registry_through_forms, |app| async move {
    let admin = Browser::sign_in(&app.address, "admin").await;
    let registry = admin.get("/registry").await;
    // Every invalid field is named beside it, in one answer.
    let bad = admin
        .submit(&registry, "/registry/communities", &[("name", ""), ("code", "不是代码"), ("street", "城关街道")])
        .await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert!(!bad.text("#name-error").is_empty() && !bad.text("#code-error").is_empty());
    assert!(bad.texts("#street-error").is_empty());
    let made = admin
        .submit(&registry, "/registry/communities", &[("name", "东关社区"), ("code", "DG"), ("street", "城关街道")])
        .await;
    assert_eq!(made.status, 303, "{}", made.body);
    let page_path = made.location().unwrap();
    let community = admin.get(&page_path).await;
    assert_eq!(community.text("h1"), "东关社区");
    let estate = admin
        .submit(&community, &format!("{page_path}/estates"), &[("name", "东关新村"), ("address", "东关路1号")])
        .await;
    assert_eq!(estate.status, 303, "{}", estate.body);
    let community = admin.get(&page_path).await;
    assert!(community.texts("tbody tr").iter().any(|r| r.contains("东关新村")));
    let end_action = community.attrs("form.end-estate", "action").pop().expect("an end form");
    let ended = admin.submit(&community, &end_action, &[("reason", "拆迁")]).await;
    assert_eq!(ended.status, 303, "{}", ended.body);
    assert!(admin.get(&page_path).await.attrs("form.end-estate", "action").is_empty(), "an ended estate ends once");
    let api = app.as_user("admin").await;
    let estates = api.get("/api/v1/estates?include_ended=true&limit=200").await.expect(200);
    let row = estates["items"].as_array().unwrap().iter().find(|e| e["name"] == "东关新村").unwrap().clone();
    assert_eq!(row["end_reason"], "拆迁");

    // Nobody else gets the forms, and a forged post is refused by the use case itself.
    let secretary = Browser::sign_in(&app.address, "secretary").await;
    let own = secretary.get("/registry").await;
    assert!(own.attrs("form[action='/registry/communities']", "action").is_empty());
    let token = own.form_fields("/logout");
    let mut fields = token.clone();
    fields.extend([
        ("name".into(), "假社区".into()),
        ("code".into(), "FAKE".into()),
        ("street".into(), "城关街道".into()),
    ]);
    let forged = secretary.post("/registry/communities", &fields).await;
    assert_eq!(forged.status, 403, "{}", forged.body);
    // A company may not end the estate it serves.
    let demo = app.demo().await;
    let manager = Browser::sign_in(&app.address, "manager").await;
    let mut fields = manager.get("/desk").await.form_fields("/logout");
    fields.push(("reason".into(), "不想要了".into()));
    let forged = manager.post(&format!("/registry/estates/{}/end", demo.jinxiu), &fields).await;
    assert_eq!(forged.status, 403, "{}", forged.body);
    let communities = api.get("/api/v1/communities?limit=200").await.expect(200);
    assert!(!communities["items"].as_array().unwrap().iter().any(|c| c["name"] == "假社区"));
    assert!(api.get(&format!("/api/v1/estates/{}", demo.jinxiu)).await.expect(200)["ended_at"].is_null());
});

e2e!(companies_and_departments_are_kept_through_forms, |app| async move {
    let admin = Browser::sign_in(&app.address, "admin").await;
    let page = admin.get("/registry/companies").await;
    assert!(page.texts("#organizations li").len() >= 3);
    let bad = admin
        .submit(
            &page,
            "/registry/companies",
            &[("name", "某县新星物业有限公司"), ("credit_code", "123"), ("address", "新星路1号")],
        )
        .await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert!(!bad.text("#credit_code-error").is_empty());
    assert_eq!(bad.attrs("#name", "value"), ["某县新星物业有限公司"], "what was typed stays in the form");
    let departments = admin.get("/registry/departments").await;
    let made = admin.submit(&departments, "/registry/departments", &[("name", "县数据资源管理局")]).await;
    assert_eq!(made.status, 303, "{}", made.body);
    let departments = admin.get("/registry/departments").await;
    assert!(departments.texts("#organizations li").iter().any(|r| r.contains("县数据资源管理局")));
    let api = app.as_user("admin").await;
    let id = api.id_named("/api/v1/departments", "县数据资源管理局").await;
    let ended = admin.submit(&departments, &format!("/registry/departments/{id}/end"), &[("reason", "机构改革")]).await;
    assert_eq!(ended.status, 303, "{}", ended.body);
    assert!(!api.get(&format!("/api/v1/departments/{id}")).await.expect(200)["ended_at"].is_null());
    // A manager sees the list and no forms; a forged post is refused.
    let manager = Browser::sign_in(&app.address, "manager").await;
    let list = manager.get("/registry/companies").await;
    assert!(list.attrs("form", "action").iter().all(|a| a == "/logout"), "{:?}", list.attrs("form", "action"));
    let mut fields = list.form_fields("/logout");
    fields.push(("name".into(), "假部门".into()));
    assert_eq!(manager.post("/registry/departments", &fields).await.status, 403);
});

e2e!(a_secretary_keeps_their_community_through_forms, |app| async move {
    let demo = app.demo().await;
    let secretary = Browser::sign_in(&app.address, "secretary").await;
    let path = format!("/registry/communities/{}", demo.c1);
    let page = secretary.get(&path).await;
    assert_eq!(page.status, 200);
    // 和平里小区 has no company today: its row offers a new contract.
    let action = format!("/registry/estates/{}/contracts", demo.heping);
    let contract = secretary
        .submit(
            &page,
            &action,
            &[
                ("company_id", &demo.hongda),
                ("starts_on", "2026-12-01"),
                ("ends_on", "2029-11-30"),
                ("reference", "HP-2026-01"),
            ],
        )
        .await;
    assert_eq!(contract.status, 303, "{}", contract.body);
    let api = app.as_user("admin").await;
    let contracts = api.get(&format!("/api/v1/service-contracts?estate_id={}", demo.heping)).await.expect(200);
    assert!(contracts["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["company_id"] == demo.hongda.as_str() && c["ended_at"].is_null()));

    // A person with a first post in the community, then that post ended.
    let page = secretary.get(&path).await;
    let people_action = format!("{path}/people");
    let bad = secretary
        .submit(
            &page,
            &people_action,
            &[
                ("name", "钱多多"),
                ("phone", "12"),
                ("org", &format!("residents_committee:{}", demo.c1)),
                ("title", "member"),
                ("starts_on", "2026-12-01"),
            ],
        )
        .await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert!(!bad.text("#phone-error").is_empty());
    let made = secretary
        .submit(
            &page,
            &people_action,
            &[
                ("name", "钱多多"),
                ("phone", "13900001111"),
                ("org", &format!("residents_committee:{}", demo.c1)),
                ("title", "member"),
                ("starts_on", "2026-12-01"),
            ],
        )
        .await;
    assert_eq!(made.status, 303, "{}", made.body);
    let page = secretary.get(&path).await;
    let row =
        page.texts("#people tbody tr").into_iter().find(|r| r.contains("钱多多")).expect("the new person is listed");
    assert!(row.contains("13900001111"), "the secretary handles the community: {row}");

    // Another community's secretary is refused on all of it, whatever the form says.
    let other = Browser::sign_in(&app.address, "secretary2").await;
    let token = other.get("/desk").await.form_fields("/logout");
    let mut fields = token.clone();
    fields.extend([
        ("company_id".into(), demo.xcwy.clone()),
        ("starts_on".into(), "2026-12-01".into()),
        ("ends_on".into(), "2027-11-30".into()),
    ]);
    let forged = other.post(&format!("/registry/estates/{}/contracts", demo.jinxiu), &fields).await;
    assert!(forged.status == 403 || forged.status == 404, "{}", forged.status);
    let mut fields = token.clone();
    fields.extend([
        ("name".into(), "冒名".into()),
        ("org".into(), format!("party_branch:{}", demo.c1)),
        ("title".into(), "secretary".into()),
        ("starts_on".into(), "2026-12-01".into()),
    ]);
    let forged = other.post(&people_action, &fields).await;
    assert!(forged.status == 403 || forged.status == 404, "{}", forged.status);
    let people = api.get(&format!("/api/v1/people?community_id={}&limit=200", demo.c1)).await.expect(200);
    assert!(!people["items"].as_array().unwrap().iter().any(|p| p["name"] == "冒名"));
});

e2e!(records_are_changed_through_forms_with_errors_beside_fields, |app| async move {
    let demo = app.demo().await;
    let api = app.as_user("admin").await;
    let admin = Browser::sign_in(&app.address, "admin").await;
    let path = format!("/registry/edit/companies/{}", demo.anju);
    let page = admin.get(&format!("{path}?back=/registry/companies")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(page.attrs("#name", "value"), ["某县安居物业服务有限公司"], "filled with what is stored");
    let bad = admin.submit(&page, &path, &[("credit_code", "123")]).await;
    assert_eq!(bad.status, 422);
    assert!(!bad.text("#credit_code-error").is_empty());
    let saved = admin.submit(&page, &path, &[("address", "城关镇安居路8号")]).await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    assert_eq!(saved.location().as_deref(), Some("/registry/companies"));
    assert_eq!(
        api.get(&format!("/api/v1/property-companies/{}", demo.anju)).await.expect(200)["address"],
        "城关镇安居路8号"
    );

    // The secretary changes a contract's dates in their community: an end before the start is named.
    let secretary = Browser::sign_in(&app.address, "secretary").await;
    let community = secretary.get(&format!("/registry/communities/{}", demo.c1)).await;
    let contract_link = community
        .attrs("a.edit", "href")
        .into_iter()
        .find(|h| h.starts_with("/registry/edit/contracts/"))
        .expect("an edit link for a contract");
    let form = secretary.get(&contract_link).await;
    let action = contract_link.split('?').next().unwrap().to_owned();
    let bad = secretary.submit(&form, &action, &[("starts_on", "2026-12-01"), ("ends_on", "2026-01-01")]).await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert!(!bad.text("#ends_on-error").is_empty());

    // A company may not change a resident's record; the phone stays as it was.
    let resident = app.as_user("resident").await;
    let (person, _) = resident.person_and_posts().await;
    let before = api.get(&format!("/api/v1/people/{person}")).await.expect(200);
    let manager = Browser::sign_in(&app.address, "manager").await;
    let mut fields = manager.get("/desk").await.form_fields("/logout");
    fields.extend([("phone".into(), "13000000000".into()), ("back".into(), "/desk".into())]);
    let forged = manager.post(&format!("/registry/edit/people/{person}"), &fields).await;
    assert!(forged.status == 403 || forged.status == 404, "{}", forged.status);
    assert_eq!(api.get(&format!("/api/v1/people/{person}")).await.expect(200)["phone"], before["phone"]);
    // Nor may anyone pass a kind of record the page does not know.
    let mut fields = manager.get("/desk").await.form_fields("/logout");
    fields.push(("name".into(), "x".into()));
    assert_eq!(manager.post(&format!("/registry/edit/accounts/{person}"), &fields).await.status, 400);
});

e2e!(grids_and_further_posts_through_forms, |app| async move {
    let demo = app.demo().await;
    let secretary = Browser::sign_in(&app.address, "secretary").await;
    let path = format!("/registry/communities/{}", demo.c1);
    let page = secretary.get(&path).await;
    let before = page.texts("#grids li").len();
    let drawn = secretary.submit(&page, &format!("{path}/grids"), &[("name", "长富路社区第三网格")]).await;
    assert_eq!(drawn.status, 303, "{}", drawn.body);
    let page = secretary.get(&path).await;
    assert_eq!(page.texts("#grids li").len(), before + 1);
    let end = page.attrs("form.end-grid", "action").pop().unwrap();
    assert_eq!(secretary.submit(&page, &end, &[("reason", "合并")]).await.status, 303);
    assert_eq!(secretary.get(&path).await.texts("#grids li").len(), before);

    // The owners' committee director, already registered, also joins the residents' committee.
    let owner = app.as_user("owner").await;
    let (person, _) = owner.person_and_posts().await;
    let page = secretary.get(&path).await;
    let added = secretary
        .submit(
            &page,
            &format!("{path}/posts"),
            &[
                ("person_id", &person),
                ("org", &format!("residents_committee:{}", demo.c1)),
                ("title", "member"),
                ("starts_on", "2026-12-01"),
            ],
        )
        .await;
    assert_eq!(added.status, 303, "{}", added.body);
    // She serves elsewhere (the owners' committee), so the post waits for her acceptance.
    let me = owner.get("/api/v1/me").await.expect(200);
    let post = me["invitations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["org_kind"] == "residents_committee")
        .unwrap_or_else(|| panic!("the new post: {me}"))
        .clone();
    // A title that does not fit the organization is named beside the field.
    let edit = format!("/registry/edit/posts/{}", post["id"].as_str().unwrap());
    let form = secretary.get(&format!("{edit}?back={path}")).await;
    let bad = secretary.submit(&form, &edit, &[("title", "manager")]).await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert!(!bad.text("#title-error").is_empty());
});

e2e!(no_party_writes_or_reads_another_party_s_records_through_pages, |app| async move {
    let demo = app.demo().await;
    let api = app.as_user("admin").await;
    let proposed = app
        .as_user("secretary")
        .await
        .get(&format!("/api/v1/cross-appointments?community_id={}&status=proposed", demo.c1))
        .await
        .expect(200)["items"][0]
        .clone();
    let appointment = proposed["id"].as_str().unwrap().to_owned();

    // Another community's secretary can neither decide this community's proposal nor read its
    // coverage or audit log, nor rename it or draw a grid in it.
    let other = Browser::sign_in(&app.address, "secretary2").await;
    let token = other.get("/desk").await.form_fields("/logout");
    let with = |extra: &[(&str, &str)]| {
        let mut f = token.clone();
        f.extend(extra.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
        f
    };
    let decided = other.post(&format!("/appointments/{appointment}/approve"), &with(&[("version", "0")])).await;
    assert!(decided.status == 403 || decided.status == 404, "{}", decided.status);
    let after = api.get(&format!("/api/v1/cross-appointments/{appointment}")).await.expect(200);
    assert_eq!(after["appointment"]["status"], "proposed");
    assert!(other.get(&format!("/communities/{}/coverage", demo.c1)).await.status >= 403);
    assert_eq!(other.get(&format!("/audit?community_id={}", demo.c1)).await.status, 403);
    let renamed =
        other.post(&format!("/registry/communities/{}", demo.c1), &with(&[("community_name", "改名社区")])).await;
    assert_eq!(renamed.status, 403, "{}", renamed.body);
    let grid = other.post(&format!("/registry/communities/{}/grids", demo.c1), &with(&[("name", "越界网格")])).await;
    assert_eq!(grid.status, 403, "{}", grid.body);
    let community = api.get(&format!("/api/v1/communities/{}", demo.c1)).await.expect(200);
    assert_eq!(community["name"], "长富路社区");
    let grids = api.get(&format!("/api/v1/grids?community_id={}&limit=200", demo.c1)).await.expect(200);
    assert!(!grids["items"].as_array().unwrap().iter().any(|g| g["name"] == "越界网格"));

    // A resident cannot propose a cross-appointment, whatever the form says.
    let resident = Browser::sign_in(&app.address, "resident").await;
    let token = resident.get("/desk").await.form_fields("/logout");
    let mut fields = token.clone();
    fields.extend([
        ("home_post_id".into(), proposed["home_post_id"].as_str().unwrap().to_owned()),
        ("host".into(), format!("community_committees:{}", demo.c1)),
        ("host_title".into(), "part_time_member".into()),
        ("starts_on".into(), "2026-12-01".into()),
        ("ends_on".into(), "2027-11-30".into()),
        ("basis".into(), "伪造".into()),
    ]);
    let forged = resident.post("/appointments", &fields).await;
    assert!(forged.status >= 400, "{}", forged.status);
    let all = api.get("/api/v1/cross-appointments?limit=200").await.expect(200);
    assert!(!all["items"].as_array().unwrap().iter().any(|a| a["basis"] == "伪造"));

    // Nobody answers a post offered to someone else.
    let (owner, _) = app.as_user("owner").await.person_and_posts().await;
    let offered = app
        .as_user("manager2")
        .await
        .post(
            "/api/v1/posts",
            tests::json!({"person_id": owner, "org_kind": "property_company", "org_id": demo.hongda,
                          "title": "staff", "starts_on": "2026-01-01"}),
        )
        .await
        .expect(201);
    let post = offered["id"].as_str().unwrap();
    let mut fields = token.clone();
    fields.push(("back".into(), "/desk".into()));
    let stolen = resident.post(&format!("/me/invitations/{post}/accept"), &fields).await;
    assert!(stolen.status >= 400, "{}", stolen.status);
    let me = app.as_user("owner").await.get("/api/v1/me").await.expect(200);
    assert!(me["invitations"].as_array().unwrap().iter().any(|p| p["id"] == post), "still waiting for her: {me}");
});

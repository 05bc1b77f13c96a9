//! Notifications: each event that gives someone work tells exactly the people whose turn it
//! is, in the event's own transaction; nobody reads or marks another's notices; the portal's
//! header counts the unread and the inbox opens them.

use serde_json::Value;
use tests::web::Browser;
use tests::{e2e, e2e_with, json, Client};

/// The caller's unread notices, newest first.
async fn inbox(c: &Client<'_>) -> Vec<Value> {
    c.get("/api/v1/notifications?unread=true").await.expect(200)["items"].as_array().unwrap().clone()
}

/// Marks what the demo county left in the inbox read, so that a test sees only its own.
async fn start_clean(clients: &[&Client<'_>]) {
    for c in clients {
        c.post("/api/v1/notifications/read-all", json!({})).await.expect(200);
    }
}

async fn unread(c: &Client<'_>) -> u64 {
    c.get("/api/v1/notifications/unread-count").await.expect(200)["unread"].as_u64().unwrap()
}

fn kinds(items: &[Value]) -> Vec<&str> {
    items.iter().map(|n| n["kind"].as_str().unwrap()).collect()
}

e2e!(each_turn_tells_the_party_whose_turn_it_is_and_nobody_else, |app| async move {
    let d = app.demo().await;
    let resident = app.as_user("resident").await;
    let manager = app.as_user("manager").await;
    let manager2 = app.as_user("manager2").await;
    let secretary = app.as_user("secretary").await;
    let secretary2 = app.as_user("secretary2").await;
    let officer = app.as_user("officer").await;
    let me = resident.get("/api/v1/me").await.expect(200);
    let resident_name = me["person"]["name"].as_str().unwrap().to_owned();
    // The demo county leaves each of these something unread: a task, an invitation, a dispute.
    for (who, c) in [("manager", &manager), ("manager2", &manager2), ("secretary", &secretary), ("officer", &officer)] {
        assert!(unread(c).await > 0, "{who} has nothing in the demo inbox");
    }
    start_clean(&[&resident, &manager, &manager2, &secretary, &secretary2, &officer]).await;

    // Filed: the serving company is told, not its rival, not the community.
    let case = resident.file_complaint(&d.jinxiu, "楼顶水箱漏水").await;
    let number = case["case_number"].as_str().unwrap();
    let told = inbox(&manager).await;
    assert_eq!(kinds(&told), ["case_filed"]);
    assert!(told[0]["text"].as_str().unwrap().contains(number));
    assert!(!told[0]["text"].as_str().unwrap().contains(&resident_name), "no resident's name in a notice");
    assert_eq!(told[0]["link"], format!("/complaints/{}", case["id"].as_str().unwrap()));
    assert_eq!(unread(&manager).await, 1);
    for other in [&manager2, &secretary, &secretary2, &officer, &resident] {
        assert_eq!(unread(other).await, 0, "told of a case that is not their turn");
    }

    // Resolved: the filer; disputed: the branch; escalated: the department.
    let case = manager.act_on_complaint(&case, "accept", json!({})).await;
    let case = manager.act_on_complaint(&case, "resolve", json!({})).await;
    assert_eq!(kinds(&inbox(&resident).await), ["case_resolved"]);
    let case = resident.act_on_complaint(&case, "dispute", json!({"reason": "仍漏水"})).await;
    assert_eq!(kinds(&inbox(&secretary).await), ["case_disputed"]);
    assert_eq!(unread(&secretary2).await, 0, "another community's branch is not told");
    let case = secretary.act_on_complaint(&case, "mediate", json!({})).await;
    secretary.act_on_complaint(&case, "escalate", json!({"department_id": d.housing})).await;
    assert_eq!(kinds(&inbox(&officer).await), ["case_escalated"]);
    assert_eq!(unread(&manager2).await, 0);

    // Returned: the community committees; sent back: the company again.
    let other = resident.file_complaint(&d.jinxiu, "绿化带垃圾堆积").await;
    let other = manager.act_on_complaint(&other, "return", json!({"reason": "属市政管理范围"})).await;
    assert_eq!(kinds(&inbox(&secretary).await)[0], "case_returned");
    let other = secretary.act_on_complaint(&other, "reassign", json!({})).await;
    assert_eq!(kinds(&inbox(&manager).await)[0], "case_reassigned");
    // Ordered to redo: the company again.
    let other = manager.act_on_complaint(&other, "accept", json!({})).await;
    let other = manager.act_on_complaint(&other, "resolve", json!({})).await;
    let other = resident.act_on_complaint(&other, "dispute", json!({"reason": "垃圾仍在"})).await;
    let other = secretary.act_on_complaint(&other, "mediate", json!({})).await;
    let redo_by = (chrono::Utc::now() + chrono::Duration::days(2)).to_rfc3339();
    secretary.act_on_complaint(&other, "order-redo", json!({"resolve_by": redo_by})).await;
    assert_eq!(kinds(&inbox(&manager).await)[0], "case_redo");

    // A joint meeting's invitation reaches the invited organizations' people, and its task the
    // assigned organization's, once published.
    let meeting = secretary
        .post(
            "/api/v1/meetings",
            json!({"community_id": d.c1, "title": "水箱漏水协调会", "starts_at": (chrono::Utc::now() - chrono::Duration::hours(1)).to_rfc3339(),
                   "place": "会议室", "agenda": [{"topic": "水箱"}],
                   "invitees": [{"org_kind": "property_company", "org_id": d.anju}, {"org_kind": "department", "org_id": d.housing}]}),
        )
        .await
        .expect(201);
    assert_eq!(kinds(&inbox(&manager).await)[0], "meeting_invited");
    assert_eq!(kinds(&inbox(&officer).await)[0], "meeting_invited");
    assert_eq!(unread(&manager2).await, 0, "not invited, not told");
    let path = format!("/api/v1/meetings/{}", meeting["id"].as_str().unwrap());
    let m = secretary.post(&format!("{path}/hold"), json!({"version": 0})).await.expect(200);
    let attendance: Vec<Value> = m["invitees"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| json!({"invitee_id": i["id"], "attendance": "present"}))
        .collect();
    let m = secretary.put(&format!("{path}/record"), json!({"version": 1, "attendance": attendance})).await.expect(200);
    let due = (chrono::Utc::now() + chrono::Duration::days(3)).format("%Y-%m-%d").to_string();
    let m = secretary
        .post(
            &format!("{path}/resolutions"),
            json!({"version": m["version"], "agenda_item_id": m["agenda"][0]["id"], "text": "更换水箱",
                   "tasks": [{"description": "更换楼顶水箱", "org_kind": "property_company", "org_id": d.anju, "due_on": due}]}),
        )
        .await
        .expect(200);
    assert_ne!(kinds(&inbox(&manager).await)[0], "task_assigned", "not before it is published");
    secretary.post(&format!("{path}/publish"), json!({"version": m["version"]})).await.expect(200);
    let told = inbox(&manager).await;
    assert_eq!(kinds(&told)[0], "task_assigned");
    assert!(told[0]["text"].as_str().unwrap().contains("更换楼顶水箱"));
    assert_eq!(kinds(&inbox(&officer).await)[0], "meeting_invited", "the department has no task");
});

e2e!(a_person_reads_and_marks_only_their_own_notices, |app| async move {
    let d = app.demo().await;
    let resident = app.as_user("resident").await;
    let manager = app.as_user("manager").await;
    let manager2 = app.as_user("manager2").await;
    start_clean(&[&manager, &manager2]).await;
    resident.file_complaint(&d.jinxiu, "单元门禁损坏").await;
    resident.file_complaint(&d.jinxiu, "消防通道被占").await;
    let mine = inbox(&manager).await;
    assert_eq!(mine.len(), 2);
    let id = mine[0]["id"].as_str().unwrap();
    // Another company's manager cannot read or mark it, nor see it in a list.
    let r = manager2.post(&format!("/api/v1/notifications/{id}/read"), json!({})).await;
    assert_eq!((r.status.as_u16(), r.code()), (404, "not_found"));
    assert!(inbox(&manager2).await.is_empty());
    let read = manager.post(&format!("/api/v1/notifications/{id}/read"), json!({})).await.expect(200);
    assert!(read["read_at"].is_string());
    let again = manager.post(&format!("/api/v1/notifications/{id}/read"), json!({})).await.expect(200);
    assert_eq!(again["read_at"], read["read_at"], "reading again changes nothing");
    assert_eq!(unread(&manager).await, 1);
    let only_unread = manager.get("/api/v1/notifications?unread=true").await.expect(200);
    assert_eq!(only_unread["items"].as_array().unwrap().len(), 1);
    let marked = manager.post("/api/v1/notifications/read-all", json!({})).await.expect(200);
    assert_eq!(marked["marked"], 1);
    assert_eq!(unread(&manager).await, 0);

    // The portal: the header counts the unread; opening one marks it read and goes to the case.
    resident.file_complaint(&d.jinxiu, "路灯不亮").await;
    let b = Browser::sign_in(&app.address, "manager").await;
    let desk = b.get("/desk").await;
    assert_eq!(desk.text("#unread"), "1");
    let page = b.get("/inbox").await;
    assert_eq!(page.status, 200, "{}", page.body);
    let action = page.attrs("#notices form", "action")[0].clone();
    let opened = b.submit(&page, &action, &[]).await;
    assert_eq!(opened.status, 303);
    assert!(opened.location().unwrap().starts_with("/complaints/"));
    assert!(b.get("/desk").await.texts("#unread").is_empty(), "nothing unread any more");
    // Another's notice through the portal, with one's own valid token: not found.
    let rival = Browser::sign_in(&app.address, "manager2").await;
    let own = rival.get("/inbox").await;
    let csrf = own.attrs("input[name=csrf]", "value")[0].clone();
    let stolen = rival.post(&action, &[("csrf".into(), csrf)]).await;
    assert_eq!(stolen.status, 404);
});

e2e!(deadline_reminders_go_out_once_to_whoever_has_the_turn, |app| async move {
    let d = app.demo().await;
    let resident = app.as_user("resident").await;
    let manager = app.as_user("manager").await;
    let manager2 = app.as_user("manager2").await;
    let secretary = app.as_user("secretary").await;
    let reminders = || app.state.notifications.send_reminders();
    // The demo's own overdue cases first, so that what follows is this case's.
    reminders().await.unwrap();
    start_clean(&[&manager, &manager2, &secretary, &resident]).await;
    let case = resident.file_complaint(&d.jinxiu, "电梯困人报警").await;
    let link = format!("/complaints/{}", case["id"].as_str().unwrap());
    let about = |items: Vec<Value>| -> Vec<String> {
        items.iter().filter(|n| n["link"] == link.as_str()).map(|n| n["kind"].as_str().unwrap().to_owned()).collect()
    };
    let parse =
        |v: &Value| chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap()).unwrap().with_timezone(&chrono::Utc);
    let (respond_by, resolve_by) = (parse(&case["respond_by"]), parse(&case["resolve_by"]));
    start_clean(&[&manager]).await;
    reminders().await.unwrap();
    assert!(about(inbox(&manager).await).is_empty(), "nothing due yet");

    // Twenty minutes before the respond-by: the company is told, once, however many run it.
    app.clock.advance(respond_by - chrono::Utc::now() - chrono::Duration::minutes(20));
    let runs = tests::join_all(vec![reminders(), reminders(), reminders()]).await;
    assert!(runs.iter().all(Result::is_ok));
    reminders().await.unwrap();
    // Sessions last 12 hours: the clock moved a day, so everyone signs in again.
    let manager = app.as_user("manager").await;
    assert_eq!(about(inbox(&manager).await), ["respond_due_soon"]);
    // When it passes, once more.
    app.clock.advance(chrono::Duration::minutes(30));
    reminders().await.unwrap();
    reminders().await.unwrap();
    assert_eq!(about(inbox(&manager).await), ["respond_overdue", "respond_due_soon"]);

    // Accepted, the resolve-by counts: a day before it, the company again.
    let case = manager.act_on_complaint(&case, "accept", json!({})).await;
    app.clock.advance(resolve_by - respond_by - chrono::Duration::hours(12));
    reminders().await.unwrap();
    reminders().await.unwrap();
    let (manager, manager2) = (app.as_user("manager").await, app.as_user("manager2").await);
    let (secretary, resident) = (app.as_user("secretary").await, app.as_user("resident").await);
    assert_eq!(about(inbox(&manager).await), ["resolve_due_soon", "respond_overdue", "respond_due_soon"]);
    // Nobody else is told of this case: not the rival, not the branch, not the filer.
    for (who, c) in [("manager2", &manager2), ("secretary", &secretary), ("resident", &resident)] {
        assert!(about(inbox(c).await).is_empty(), "{who} told of a case that is not their turn");
    }
    // Disputed and past its resolve-by, the branch is told (the company no more).
    let case = manager.act_on_complaint(&case, "resolve", json!({})).await;
    let case = resident.act_on_complaint(&case, "dispute", json!({"reason": "仍困人"})).await;
    assert_eq!(case["status"], "disputed");
    app.clock.advance(chrono::Duration::hours(13));
    reminders().await.unwrap();
    let (manager, secretary) = (app.as_user("manager").await, app.as_user("secretary").await);
    assert_eq!(about(inbox(&secretary).await), ["resolve_overdue", "case_disputed"]);
    assert_eq!(about(inbox(&manager).await).len(), 3);
});

e2e_with!(
    a_county_sets_how_long_before_a_deadline_it_is_reminded,
    |s| s.reminder_leads = domain::notification::ReminderLeads::parse("respond=90m,resolve=3d").unwrap(),
    |app| async move {
        let d = app.demo().await;
        let resident = app.as_user("resident").await;
        let reminders = || app.state.notifications.send_reminders();
        reminders().await.unwrap();
        let case = resident.file_complaint(&d.jinxiu, "消防通道被占").await;
        start_clean(&[&app.as_user("manager").await]).await;
        let link = format!("/complaints/{}", case["id"].as_str().unwrap());
        let respond_by = chrono::DateTime::parse_from_rfc3339(case["respond_by"].as_str().unwrap()).unwrap();
        // An hour and a quarter before the respond-by: past the county's 90 minutes (the default
        // 30 would say nothing yet).
        app.clock.advance(respond_by.with_timezone(&chrono::Utc) - chrono::Utc::now() - chrono::Duration::minutes(75));
        reminders().await.unwrap();
        let manager = app.as_user("manager").await;
        let about: Vec<Value> = inbox(&manager).await.into_iter().filter(|n| n["link"] == link.as_str()).collect();
        assert_eq!(kinds(&about), ["respond_due_soon"]);
    }
);

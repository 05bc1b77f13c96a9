//! Joint meetings through the portal: a meeting convened, held, recorded, resolved and signed
//! off entirely through forms, its task reported from the company's desk and verified on the
//! meeting page, the printable minutes and the CSV; pages refused to those not invited, and
//! forged posts refused even with the poster's own valid CSRF token.

use chrono::{Duration, FixedOffset, Utc};
use tests::web::Browser;
use tests::{e2e, json};

fn local_minute(at: chrono::DateTime<Utc>) -> String {
    at.with_timezone(&FixedOffset::east_opt(8 * 3600).unwrap()).format("%Y-%m-%dT%H:%M").to_string()
}

e2e!(a_meeting_runs_through_the_portal_from_convening_to_a_verified_task, |app| async move {
    let d = app.demo().await;
    // A disputed case of 锦绣家园 to put on the agenda.
    let resident = app.as_user("resident").await;
    let manager_api = app.as_user("manager").await;
    let case = resident.file_complaint(&d.jinxiu, "地下车库积水").await;
    let case = manager_api.act_on_complaint(&case, "accept", json!({})).await;
    let case = manager_api.act_on_complaint(&case, "resolve", json!({})).await;
    let case = resident.act_on_complaint(&case, "dispute", json!({"reason": "仍有积水"})).await;
    let case_id = case["id"].as_str().unwrap();

    let secretary = Browser::sign_in(&app.address, "secretary").await;
    let list = secretary.get("/meetings").await;
    assert_eq!(list.status, 200, "{}", list.body);
    let convene_link = format!("/meetings/new?community_id={}", d.c1);
    assert!(list.attrs("a", "href").contains(&convene_link), "{}", list.body);
    let form = secretary.get(&convene_link).await;
    assert_eq!(form.status, 200, "{}", form.body);
    let anju_box = format!("invite.property_company.{}", d.anju);
    let committee_box = format!("invite.owners_committee.{}", d.jinxiu_committee);
    let boxes = form.attrs("#convene input[type=checkbox]", "name");
    assert!(boxes.contains(&anju_box) && boxes.contains(&committee_box), "{boxes:?}");
    assert!(!boxes.iter().any(|b| b.contains(&d.xcwy)), "a company serving another community is not offered");
    assert!(form.attrs("#case0 option", "value").contains(&case_id.to_owned()), "the disputed case is offered");

    // A blank title comes back with the field's error and what was typed.
    let starts = local_minute(Utc::now() - Duration::hours(1));
    let blank = secretary
        .submit(
            &form,
            "/meetings",
            &[("title", " "), ("starts_at", &starts), ("place", "会议室"), ("topic0", "积水"), (&anju_box, "on")],
        )
        .await;
    assert_eq!(blank.status, 422, "{}", blank.body);
    assert!(!blank.text("#title-error").is_empty());
    assert!(blank.body.contains("value=\"会议室\""), "the form keeps what was typed");
    let made = secretary
        .submit(
            &form,
            "/meetings",
            &[
                ("title", "地下车库积水联席会议"),
                ("starts_at", &starts),
                ("place", "社区会议室"),
                ("topic0", "车库积水责任"),
                ("case0", case_id),
                (&anju_box, "on"),
                (&committee_box, "on"),
            ],
        )
        .await;
    assert_eq!(made.status, 303, "{}", made.body);
    let path = made.location().unwrap();
    let id = path.strip_prefix("/meetings/").unwrap().to_owned();

    // With their own valid tokens: the invited company cannot run the meeting, a rival cannot
    // touch it, another community's secretary cannot convene in this one.
    for (user, want) in [("manager", 403), ("manager2", 404)] {
        let b = Browser::sign_in(&app.address, user).await;
        let csrf = b.get("/desk").await.attrs("input[name=csrf]", "value")[0].clone();
        let forged = b.post(&format!("{path}/hold"), &[("csrf".into(), csrf), ("version".into(), "0".into())]).await;
        assert_eq!(forged.status, want, "{user}");
    }
    let other = Browser::sign_in(&app.address, "secretary2").await;
    let csrf = other.get("/desk").await.attrs("input[name=csrf]", "value")[0].clone();
    let fields: Vec<(String, String)> = [
        ("csrf", csrf.as_str()),
        ("community_id", d.c1.as_str()),
        ("title", "越权召集"),
        ("starts_at", starts.as_str()),
        ("place", "x"),
        ("topic0", "x"),
        (anju_box.as_str(), "on"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    assert_eq!(other.post("/meetings", &fields).await.status, 403);

    // Hold, record everyone present and the minutes, resolve with a task for 安居物业, publish.
    let page = secretary.get(&path).await;
    assert_eq!(page.text("#status"), "待召开");
    let held = secretary.submit(&page, &format!("{path}/hold"), &[]).await;
    assert_eq!(held.status, 303, "{}", held.body);
    let page = secretary.get(&path).await;
    let mut fields: Vec<(String, String)> = page
        .attrs(&format!("form[action='{path}/record'] select"), "name")
        .into_iter()
        .map(|n| (n, "present".to_owned()))
        .collect();
    let minutes = page.attrs(&format!("form[action='{path}/record'] textarea"), "name");
    assert_eq!((fields.len(), minutes.len()), (2, 1));
    fields.push((minutes[0].clone(), "物业同意清淤".to_owned()));
    let mut all = page.form_fields(&format!("{path}/record"));
    all.extend(fields);
    let recorded = secretary.post(&format!("{path}/record"), &all).await;
    assert_eq!(recorded.status, 303, "{}", recorded.body);
    let page = secretary.get(&path).await;
    let due = (Utc::now() + Duration::days(5)).format("%Y-%m-%d").to_string();
    let anju_org = format!("property_company.{}", d.anju);
    let resolved = secretary
        .submit(
            &page,
            &format!("{path}/resolve"),
            &[
                ("agenda_item_id", &page.attrs("#resolve-item option", "value")[0]),
                ("text", "物业五日内完成清淤"),
                ("task0.description", "车库排水沟清淤"),
                ("task0.org", &anju_org),
                ("task0.due_on", &due),
            ],
        )
        .await;
    assert_eq!(resolved.status, 303, "{}", resolved.body);
    let page = secretary.get(&path).await;
    let published = secretary.submit(&page, &format!("{path}/publish"), &[]).await;
    assert_eq!(published.status, 303, "{}", published.body);
    let page = secretary.get(&path).await;
    assert_eq!(page.text("#status"), "纪要已签发");
    assert!(page.text("#agenda").contains("车库排水沟清淤"));
    assert!(page.attrs(&format!("form[action='{path}/amend']"), "action").len() == 1, "the secretary may amend");
    assert!(page.attrs(&format!("form[action='{path}/record']"), "action").is_empty(), "no more recording");

    // The printable minutes and the tasks' CSV.
    let minutes = secretary.get(&format!("{path}/minutes")).await;
    assert_eq!(minutes.status, 200, "{}", minutes.body);
    assert!(minutes.text("#minutes").contains("物业同意清淤") && minutes.text("#minutes").contains("车库排水沟清淤"));
    let csv = secretary.get(&format!("{path}/tasks.csv")).await;
    assert_eq!(csv.status, 200);
    assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
    assert!(csv.body.contains("车库排水沟清淤"));

    // The company sees the task first on its desk and reports it done from there.
    let manager = Browser::sign_in(&app.address, "manager").await;
    let desk = manager.get("/desk").await;
    assert!(desk.text("#my-tasks").contains("车库排水沟清淤"), "{}", desk.body);
    let task = page.attrs("#agenda li[id^='task-']", "id")[0].trim_start_matches("task-").to_owned();
    let task_form = format!("/tasks/{task}/report_done");
    assert!(desk.attrs("#my-tasks form", "action").contains(&task_form), "{}", desk.body);
    let reported = manager.submit(&desk, &task_form, &[("note", "已清淤并拍照")]).await;
    assert_eq!(reported.status, 303, "{}", reported.body);
    assert_eq!(reported.location().as_deref(), Some("/desk"));

    // A rival company and another community's secretary see nothing, and cannot verify with
    // their own valid token.
    let verify = task_form.replace("/report_done", "/verify");
    for user in ["manager2", "secretary2"] {
        let b = Browser::sign_in(&app.address, user).await;
        assert_eq!(b.get(&path).await.status, 404, "{user}");
        assert_eq!(b.get(&format!("{path}/minutes")).await.status, 404, "{user}");
        let own = b.get("/desk").await;
        let csrf = own.attrs("input[name=csrf]", "value").into_iter().next().expect("a csrf token on the desk");
        let forged = b.post(&verify, &[("csrf".into(), csrf), ("version".into(), "1".into())]).await;
        assert!(matches!(forged.status, 403 | 404), "{user}: {}", forged.status);
    }

    // The secretary verifies it on the meeting page.
    let page = secretary.get(&path).await;
    let done = secretary.submit(&page, &verify, &[]).await;
    assert_eq!(done.status, 303, "{}", done.body);
    let page = secretary.get(&path).await;
    assert!(page.text("#agenda").contains("已核验完成"), "{}", page.body);
    // And the case's page shows the task among its events.
    let case_page = secretary.get(&format!("/complaints/{case_id}")).await;
    assert!(case_page.body.contains("核验通过"), "{}", case_page.body);
    assert!(
        app.as_user("secretary").await.get(&format!("/api/v1/meetings/{id}")).await.expect(200)["status"]
            == "published"
    );
});

e2e!(minutes_are_printed_only_once_signed_off_and_residents_see_no_meetings, |app| async move {
    let secretary = Browser::sign_in(&app.address, "secretary").await;
    let planned = app.as_user("secretary").await.get("/api/v1/meetings?status=planned").await.expect(200);
    let id = planned["items"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(secretary.get(&format!("/meetings/{id}")).await.status, 200);
    assert_eq!(secretary.get(&format!("/meetings/{id}/minutes")).await.status, 404);
    let resident = Browser::sign_in(&app.address, "resident").await;
    let desk = resident.get("/desk").await;
    assert!(!desk.attrs("nav a", "href").contains(&"/meetings".to_owned()), "no meetings link for a resident");
    assert_eq!(resident.get(&format!("/meetings/{id}")).await.status, 404);
    let english = Browser::sign_in(&app.address, "county").await;
    english.get("/lang/en?back=/meetings").await;
    let list = english.get(&format!("/meetings?month={}", (Utc::now() + Duration::days(3)).format("%Y-%m"))).await;
    assert!(list.body.contains("Joint meetings") && list.body.contains("翠苑小区停车管理联席会议"), "{}", list.body);
    assert_eq!(english.get("/meetings?month=2026-13").await.status, 400);

    // The community's dashboard counts the demo meeting's tasks per organization.
    let d = app.demo().await;
    let dashboard = secretary.get(&format!("/oversight/dashboard?scope=community:{}", d.c1)).await;
    assert_eq!(dashboard.status, 200, "{}", dashboard.body);
    let rows = dashboard.texts("#meeting-tasks tbody tr");
    assert_eq!(rows.len(), 3, "{rows:?}");
    let committee = rows.iter().find(|r| r.contains("锦绣家园第二届业主委员会")).expect("the committee's row");
    assert!(committee.ends_with('1'), "its overdue task is outstanding: {committee}");
});

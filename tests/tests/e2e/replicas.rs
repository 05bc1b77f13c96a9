//! Two replicas on one database: sessions, bindings and the auto-close task agree. Each
//! replica keeps a session's bindings for at most a second, so a change made on one is
//! enforced by the other within that time (and at once on the replica that made it).

use std::time::{Duration, Instant};
use tests::{e2e, json, Client};

/// Polls a GET until it answers `status`; returns how long that took. Fails after 2 seconds.
async fn within(client: &Client<'_>, path: &str, status: u16) -> Duration {
    let started = Instant::now();
    loop {
        if client.get(path).await.status == status {
            return started.elapsed();
        }
        assert!(started.elapsed() < Duration::from_secs(2), "{path} never answered {status}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A change made on one replica reaches the other within this (the actor cache lives 500 ms).
const ONE_SECOND: Duration = Duration::from_secs(1);

e2e!(a_change_made_on_one_replica_is_enforced_by_the_other_within_a_second, |app| async move {
    let b = app.replica().await;
    let d = app.demo().await;
    let (cuiyuan, c1) = (&d.cuiyuan, &d.c1);

    // A session made on A works on B.
    let manager2_on_a = app.as_user("manager2").await;
    let manager2_on_b = b.with_token(&manager2_on_a.token);
    manager2_on_b.get(&format!("/api/v1/people?estate_id={cuiyuan}")).await.expect(200);

    // A contract ended through A: B refuses within a second (its cached bindings expire).
    let secretary_on_a = app.as_user("secretary").await;
    let contracts = secretary_on_a.get(&format!("/api/v1/service-contracts?estate_id={cuiyuan}")).await.expect(200);
    let cid = contracts["items"][0]["id"].as_str().unwrap();
    secretary_on_a.post(&format!("/api/v1/service-contracts/{cid}/end"), json!({"reason": "解聘"})).await.expect(200);
    let took = within(&manager2_on_b, &format!("/api/v1/people?estate_id={cuiyuan}"), 403).await;
    assert!(took <= ONE_SECOND, "took {took:?}");

    // An appointment revoked through B: A drops the binding within a second.
    let manager_on_a = app.as_user("manager").await;
    manager_on_a.get(&format!("/api/v1/people?community_id={c1}")).await.expect(200);
    let secretary_on_b = b.with_token(&secretary_on_a.token);
    let list =
        secretary_on_b.get(&format!("/api/v1/cross-appointments?community_id={c1}&status=active")).await.expect(200);
    let zhang = list["items"].as_array().unwrap().iter().find(|a| a["person_name"] == "张伟").unwrap().clone();
    secretary_on_b
        .post(
            &format!("/api/v1/cross-appointments/{}/revoke", zhang["id"].as_str().unwrap()),
            json!({"version": zhang["version"], "note": "撤销"}),
        )
        .await
        .expect(200);
    let took = within(&manager_on_a, &format!("/api/v1/people?community_id={c1}"), 403).await;
    assert!(took <= ONE_SECOND, "took {took:?}");

    // Signing out on B ends the session on A too, within a second.
    assert_eq!(manager_on_a.get("/api/v1/me").await.status, 200);
    b.with_token(&manager_on_a.token).delete("/api/v1/sessions/current").await;
    let took = within(&manager_on_a, "/api/v1/me", 401).await;
    assert!(took <= ONE_SECOND, "took {took:?}");
});

e2e!(both_replicas_auto_closing_close_each_case_once, |app| async move {
    let b = app.replica().await;
    let jinxiu = &app.demo().await.jinxiu;
    let resident = app.as_user("resident").await;
    let manager = b.as_user("manager").await;
    let mut ids = Vec::new();
    for title in ["一号", "二号", "三号"] {
        let c = resident.file_complaint(jinxiu, title).await;
        let id = c["id"].as_str().unwrap().to_owned();
        let c = manager.act_on_complaint(&c, "accept", json!({})).await;
        manager.act_on_complaint(&c, "resolve", json!({})).await;
        ids.push(id);
    }
    app.clock.advance(chrono::Duration::days(8));
    let (on_a, on_b) = tokio::join!(app.state.complaints.close_expired(), b.state.complaints.close_expired());
    let (on_a, on_b) = (on_a.unwrap(), on_b.unwrap());
    let resident = app.as_user("resident").await;
    for id in &ids {
        let events = resident.get(&format!("/api/v1/complaints/{id}/events")).await.expect(200);
        let closes = events["items"].as_array().unwrap().iter().filter(|e| e["action"] == "auto-close").count();
        assert_eq!(closes, 1, "{id} closed {closes} times (A closed {on_a}, B closed {on_b})");
    }
    // Nothing left for a second round.
    assert_eq!(
        app.state.complaints.close_expired().await.unwrap() + b.state.complaints.close_expired().await.unwrap(),
        0
    );
});

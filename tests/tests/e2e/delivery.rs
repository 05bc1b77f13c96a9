//! Delivery to work-chat robots and signed webhooks, against a local receiver on 127.0.0.1
//! that plays the part: signatures verify; 500s are retried on the backoff schedule with the
//! same message id until delivered once; a 400 is not retried; an invalid robot key disables
//! the channel; two workers send a message once; a message claimed by a worker that died is
//! sent by another after its lease; only an organization's leader sets its channels.

use base64::Engine;
use chrono::Duration;
use infra::delivery::{dingtalk_signature, webhook_signature, Deliverer};
use serde_json::Value;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use tests::{e2e, join_all, json, Client, TestApp};

/// One request the receiver got: path and query, headers, body.
#[derive(Debug, Clone)]
struct Got {
    uri: String,
    headers: Vec<(String, String)>,
    body: String,
}

impl Got {
    fn header(&self, name: &str) -> String {
        self.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default()
    }
}

/// A local HTTP server answering from a script (status, body), then 200 `{"errcode":0}`.
struct Receiver {
    url: String,
    got: Arc<Mutex<Vec<Got>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Receiver {
    async fn start(script: &[(u16, &str)]) -> Self {
        use poem::listener::{Acceptor, Listener};
        let got = Arc::new(Mutex::new(Vec::new()));
        let script = Arc::new(Mutex::new(script.iter().map(|(s, b)| (*s, (*b).to_owned())).collect::<VecDeque<_>>()));
        let (g, s) = (got.clone(), script.clone());
        let endpoint = poem::endpoint::make(move |req: poem::Request| {
            let (g, s) = (g.clone(), s.clone());
            async move {
                let uri = req.uri().to_string();
                let headers = req
                    .headers()
                    .iter()
                    .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or_default().to_owned()))
                    .collect();
                let body = req.into_body().into_string().await.unwrap_or_default();
                g.lock().unwrap().push(Got { uri, headers, body });
                let (status, answer) = s.lock().unwrap().pop_front().unwrap_or((200, r#"{"errcode":0}"#.to_owned()));
                poem::Response::builder()
                    .status(poem::http::StatusCode::from_u16(status).unwrap())
                    .content_type("application/json")
                    .body(answer)
            }
        });
        let acceptor = poem::listener::TcpListener::bind("127.0.0.1:0").into_acceptor().await.unwrap();
        let port = acceptor.local_addr()[0].as_socket_addr().unwrap().port();
        let task = tokio::spawn(async move {
            let _ = poem::Server::new_with_acceptor(acceptor).run(endpoint).await;
        });
        Self { url: format!("http://127.0.0.1:{port}/hook"), got, task }
    }

    fn got(&self) -> Vec<Got> {
        self.got.lock().unwrap().clone()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn deliverer(app: &TestApp) -> Deliverer {
    Deliverer::new(app.state.db.clone(), app.clock.clone(), "https://lianjian.example.gov.cn").unwrap()
}

async fn channel(c: &Client<'_>, org: &str, kind: &str, url: &str, secret: Option<&str>) -> Value {
    let mut body = json!({"org_kind": "property_company", "org_id": org, "kind": kind, "url": url});
    if let Some(s) = secret {
        body["secret"] = json!(s);
    }
    c.post("/api/v1/channels", body).await.expect(201)
}

e2e!(a_webhook_is_signed_retried_with_the_same_id_and_delivered_once, |app| async move {
    let d = app.demo().await;
    let manager = app.as_user("manager").await;
    let resident = app.as_user("resident").await;
    let receiver = Receiver::start(&[(500, ""), (500, ""), (500, "")]).await;
    let secret = format!("whsec_{}", base64::engine::general_purpose::STANDARD.encode(b"a test secret of the webhook"));
    let made = channel(&manager, &d.anju, "webhook", &receiver.url, Some(&secret)).await;
    assert_eq!(made["secret_last4"].as_str().unwrap(), &secret[secret.len() - 4..]);
    assert!(!made.to_string().contains(&secret), "the secret is never returned");
    let robot_key = "0123456789abcdef-the-robots-key";
    let robot = manager
        .post(
            "/api/v1/channels",
            json!({"org_kind": "property_company", "org_id": d.anju, "kind": "wecom",
            "url": format!("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={robot_key}")}),
        )
        .await
        .expect(201);
    assert!(!robot.to_string().contains(robot_key), "a robot's key in its address is not returned either: {robot}");
    manager.post(&format!("/api/v1/channels/{}/disable", robot["id"].as_str().unwrap()), json!({})).await.expect(200);
    let me = resident.get("/api/v1/me").await.expect(200);
    let case = resident.file_complaint(&d.jinxiu, "电梯异响").await;

    // A worker started afresh (as after a restart) finds the message the filing committed.
    let worker = deliverer(app);
    assert_eq!(worker.run_once().await.unwrap(), 0, "the receiver failed");
    assert_eq!(worker.run_once().await.unwrap(), 0);
    assert_eq!(receiver.got().len(), 1, "not again before the backoff");
    for wait in [Duration::seconds(6), Duration::minutes(6), Duration::minutes(34)] {
        app.clock.advance(wait);
        worker.run_once().await.unwrap();
    }
    let got = receiver.got();
    assert_eq!(got.len(), 4, "three failures, then delivered: {got:?}");
    let id = got[0].header("webhook-id");
    assert!(id.starts_with("msg_"));
    for g in &got {
        assert_eq!(g.header("webhook-id"), id, "the same message id on every try");
        let ts: i64 = g.header("webhook-timestamp").parse().unwrap();
        assert_eq!(
            g.header("webhook-signature"),
            webhook_signature(&secret, &id, ts, &g.body),
            "the signature verifies"
        );
    }
    let body: Value = serde_json::from_str(&got[3].body).unwrap();
    assert_eq!(body["type"], "case_filed");
    assert_eq!(body["link"], format!("https://lianjian.example.gov.cn/complaints/{}", case["id"].as_str().unwrap()));
    assert!(!got[3].body.contains(me["person"]["name"].as_str().unwrap()), "no resident's name");
    app.clock.advance(Duration::hours(12));
    worker.run_once().await.unwrap();
    assert_eq!(receiver.got().len(), 4, "delivered once");
    let manager = app.as_user("manager").await;
    let log = manager.get(&format!("/api/v1/channels/{}/deliveries", made["id"].as_str().unwrap())).await.expect(200);
    assert_eq!(
        (log["items"][0]["status"].as_str(), log["items"][0]["attempts"].as_i64()),
        (Some("delivered"), Some(4))
    );
});

e2e!(a_refused_message_is_not_retried_and_a_bad_robot_key_disables_the_channel, |app| async move {
    let d = app.demo().await;
    let manager = app.as_user("manager").await;
    let resident = app.as_user("resident").await;
    let receiver = Receiver::start(&[(400, "bad")]).await;
    let hook = channel(&manager, &d.anju, "webhook", &receiver.url, Some("plain-secret")).await;
    resident.file_complaint(&d.jinxiu, "水管爆裂").await;
    let worker = deliverer(app);
    worker.run_once().await.unwrap();
    app.clock.advance(Duration::hours(1));
    worker.run_once().await.unwrap();
    assert_eq!(receiver.got().len(), 1, "a 400 is not retried");
    let log = app
        .as_user("manager")
        .await
        .get(&format!("/api/v1/channels/{}/deliveries", hook["id"].as_str().unwrap()))
        .await
        .expect(200);
    assert_eq!(log["items"][0]["status"], "failed");
    // The leader sends it again by hand: the same message id, now delivered.
    let manager = app.as_user("manager").await;
    let delivery = log["items"][0]["id"].as_str().unwrap();
    manager.post(&format!("/api/v1/deliveries/{delivery}/resend"), json!({})).await.expect(200);
    worker.run_once().await.unwrap();
    let got = receiver.got();
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].header("webhook-id"), got[1].header("webhook-id"));

    // WeCom answers an invalid key with HTTP 200 and errcode 93000: the channel is disabled.
    let wecom = Receiver::start(&[(200, r#"{"errcode":93000,"errmsg":"invalid webhook url"}"#)]).await;
    let robot = channel(&manager, &d.anju, "wecom", &wecom.url, None).await;
    manager.post(&format!("/api/v1/channels/{}/test", robot["id"].as_str().unwrap()), json!({})).await.expect(200);
    worker.run_once().await.unwrap();
    assert!(wecom.got()[0].body.contains(r#""msgtype":"text""#));
    let listed =
        manager.get(&format!("/api/v1/channels?org_kind=property_company&org_id={}", d.anju)).await.expect(200);
    let robot = listed.as_array().unwrap().iter().find(|c| c["kind"] == "wecom").unwrap();
    assert_eq!(robot["enabled"], false);
    assert!(robot["disabled_reason"].as_str().unwrap().contains("93000"));
    // The company's manager, its leader, is told in the inbox, once, with a link to its channels;
    // a rival's manager is not.
    worker.run_once().await.unwrap();
    let told = |items: &Value| -> Vec<Value> {
        items["items"].as_array().unwrap().iter().filter(|n| n["kind"] == "channel_disabled").cloned().collect()
    };
    let notices = told(&manager.get("/api/v1/notifications").await.expect(200));
    assert_eq!(notices.len(), 1, "{notices:?}");
    assert_eq!(notices[0]["link"], format!("/channels?org_kind=property_company&org_id={}", d.anju));
    assert!(notices[0]["text"].as_str().unwrap().contains("企业微信群机器人"));
    assert!(told(&app.as_user("manager2").await.get("/api/v1/notifications").await.expect(200)).is_empty());
});

e2e!(robots_get_no_more_than_their_rate_and_rate_limit_answers_are_not_counted_as_tries, |app| async move {
    let d = app.demo().await;
    let manager = app.as_user("manager").await;
    // WeCom takes 20 messages a minute: 25 test messages go 20 now and the rest as the bucket refills.
    let wecom = Receiver::start(&[]).await;
    let robot = channel(&manager, &d.anju, "wecom", &wecom.url, None).await;
    let id = robot["id"].as_str().unwrap();
    for _ in 0..25 {
        manager.post(&format!("/api/v1/channels/{id}/test"), json!({})).await.expect(200);
    }
    let worker = deliverer(app);
    assert_eq!(worker.run_once().await.unwrap(), 20);
    assert_eq!(worker.run_once().await.unwrap(), 0, "nothing more before a token comes back");
    let log = manager.get(&format!("/api/v1/channels/{id}/deliveries?limit=50")).await.expect(200);
    let waiting: Vec<&Value> = log["items"].as_array().unwrap().iter().filter(|d| d["status"] == "pending").collect();
    assert_eq!(waiting.len(), 5);
    assert!(waiting.iter().all(|d| d["attempts"] == 0), "put off, not tried: {waiting:?}");
    app.clock.advance(Duration::seconds(16));
    assert_eq!(worker.run_once().await.unwrap(), 5, "one every three seconds");
    assert_eq!(wecom.got().len(), 25);

    // A webhook that answers 429 eight times (more than the seven tries) then 200: each answer
    // waits its Retry-After, none counts as a try, and the message arrives once.
    let busy = Receiver::start(&[(429, ""); 8]).await;
    let hook = channel(&manager, &d.anju, "webhook", &busy.url, Some("plain-secret")).await;
    let hook_id = hook["id"].as_str().unwrap();
    manager.post(&format!("/api/v1/channels/{hook_id}/test"), json!({})).await.expect(200);
    for _ in 0..9 {
        worker.run_once().await.unwrap();
        app.clock.advance(Duration::minutes(2));
    }
    assert_eq!(busy.got().len(), 9);
    let manager = app.as_user("manager").await;
    let log = manager.get(&format!("/api/v1/channels/{hook_id}/deliveries")).await.expect(200);
    assert_eq!(
        (log["items"][0]["status"].as_str(), log["items"][0]["attempts"].as_i64()),
        (Some("delivered"), Some(1))
    );
});

e2e!(an_owners_committee_and_a_party_branch_hear_through_their_own_channels, |app| async move {
    let d = app.demo().await;
    let owner = app.as_user("owner").await;
    let secretary = app.as_user("secretary").await;
    let manager = app.as_user("manager").await;
    let committee_hook = Receiver::start(&[]).await;
    let branch_hook = Receiver::start(&[]).await;
    owner
        .post(
            "/api/v1/channels",
            json!({"org_kind": "owners_committee", "org_id": d.jinxiu_committee, "kind": "webhook", "url": committee_hook.url, "secret": "committee-secret"}),
        )
        .await
        .expect(201);
    secretary
        .post(
            "/api/v1/channels",
            json!({"org_kind": "party_branch", "org_id": d.c1, "kind": "webhook", "url": branch_hook.url, "secret": "branch-secret"}),
        )
        .await
        .expect(201);
    // A case filed for the committee, resolved: the committee's group hears it; disputed: the branch's.
    let case = owner
        .post("/api/v1/complaints", json!({"estate_id": d.jinxiu, "category": "fees", "title": "公共收益去向", "description": "请公示", "for_committee": true}))
        .await
        .expect(201);
    let case = manager.act_on_complaint(&case, "accept", json!({})).await;
    let case = manager.act_on_complaint(&case, "resolve", json!({})).await;
    let worker = deliverer(app);
    worker.run_once().await.unwrap();
    let kinds = |r: &Receiver| -> Vec<String> {
        r.got()
            .iter()
            .map(|g| serde_json::from_str::<Value>(&g.body).unwrap()["type"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(kinds(&committee_hook), ["case_resolved"]);
    assert!(kinds(&branch_hook).is_empty());
    owner.act_on_complaint(&case, "dispute", json!({"reason": "未公示明细"})).await;
    worker.run_once().await.unwrap();
    assert_eq!(kinds(&branch_hook), ["case_disputed"]);
    assert_eq!(kinds(&committee_hook), ["case_resolved"], "the committee's own dispute is not sent back to it");
});

e2e!(dingtalk_is_signed_and_two_workers_send_each_message_once, |app| async move {
    let d = app.demo().await;
    let manager = app.as_user("manager").await;
    let resident = app.as_user("resident").await;
    let receiver = Receiver::start(&[]).await;
    let secret = "SEC0123456789abcdef";
    channel(&manager, &d.anju, "dingtalk", &format!("{}?access_token=t", receiver.url), Some(secret)).await;
    resident.file_complaint(&d.jinxiu, "外墙脱落").await;
    let (a, b) = (deliverer(app), deliverer(app));
    let runs = join_all(vec![a.run_once(), b.run_once(), a.run_once()]).await;
    assert_eq!(runs.iter().map(|r| *r.as_ref().unwrap()).sum::<usize>(), 1, "delivered once");
    let got = receiver.got();
    assert_eq!(got.len(), 1);
    let query: std::collections::HashMap<String, String> = got[0]
        .uri
        .split_once('?')
        .unwrap()
        .1
        .split('&')
        .filter_map(|kv| kv.split_once('=').map(|(k, v)| (k.to_owned(), v.to_owned())))
        .collect();
    let ts: i64 = query["timestamp"].parse().unwrap();
    let sign = dingtalk_signature(secret, ts);
    let encoded: String = sign
        .bytes()
        .map(|b| if b.is_ascii_alphanumeric() { char::from(b).to_string() } else { format!("%{b:02X}") })
        .collect();
    assert_eq!(query["sign"], encoded, "the signature verifies");
    assert_eq!(query["access_token"], "t");

    // A worker that claimed a message and died: another sends it once the lease runs out.
    resident.file_complaint(&d.jinxiu, "楼道堆物").await;
    use sea_orm::{ConnectionTrait, Statement};
    let db = &app.state.db;
    let lease = domain::clock::Clock::now(app.clock.as_ref()) + Duration::seconds(60);
    db.execute_raw(Statement::from_sql_and_values(
        db.get_database_backend(),
        if db.get_database_backend() == sea_orm::DbBackend::Postgres {
            "UPDATE deliveries SET lease_until = $1 WHERE status = 'pending'"
        } else {
            "UPDATE deliveries SET lease_until = ? WHERE status = 'pending'"
        },
        [lease.into()],
    ))
    .await
    .unwrap();
    assert_eq!(a.run_once().await.unwrap(), 0, "held by the dead worker");
    app.clock.advance(Duration::seconds(61));
    assert_eq!(a.run_once().await.unwrap(), 1);
    assert_eq!(receiver.got().len(), 2);
});

e2e!(only_an_organizations_leader_sets_its_channels, |app| async move {
    let d = app.demo().await;
    let body = |org: &str| json!({"org_kind": "property_company", "org_id": org, "kind": "wecom", "url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k"});
    // A rival company's manager, the owners' committee, a resident: refused.
    for user in ["manager2", "owner", "resident"] {
        let r = app.as_user(user).await.post("/api/v1/channels", body(&d.anju)).await;
        assert_eq!((r.status.as_u16(), r.code()), (409, "not_the_leader"), "{user}");
    }
    let made = app.as_user("manager").await.post("/api/v1/channels", body(&d.anju)).await.expect(201);
    let id = made["id"].as_str().unwrap();
    for user in ["manager2", "secretary"] {
        let c = app.as_user(user).await;
        assert_eq!(c.get(&format!("/api/v1/channels/{id}/deliveries")).await.status.as_u16(), 404, "{user}");
        assert_eq!(c.post(&format!("/api/v1/channels/{id}/disable"), json!({})).await.status.as_u16(), 404, "{user}");
    }
    // Plain http to another host is refused; the administrator may set any organization's.
    let admin = app.as_user("admin").await;
    let r = admin
        .post("/api/v1/channels", json!({"org_kind": "property_company", "org_id": d.hongda, "kind": "webhook", "url": "http://example.com/h", "secret": "s"}))
        .await;
    assert_eq!(r.expect(422)["errors"][0]["code"], "insecure_url");
    admin.post("/api/v1/channels", body(&d.hongda)).await.expect(201);
});

e2e!(a_leader_keeps_channels_through_the_portal_and_nobody_else_reaches_them, |app| async move {
    use tests::web::Browser;
    let d = app.demo().await;
    let receiver = Receiver::start(&[(400, "bad")]).await;
    let manager = Browser::sign_in(&app.address, "manager").await;
    let page = manager.get("/channels").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.attrs("nav a", "href").contains(&"/channels".to_owned()));
    assert_eq!(page.texts(".org-channels h2"), ["某县安居物业服务有限公司"], "{}", page.body);

    // Plain http to another host comes back beside the address, the secret not sent back.
    let refused = manager
        .submit(&page, "/channels", &[("kind", "webhook"), ("url", "http://example.com/h"), ("secret", "s3cret-value")])
        .await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(!refused.text(&format!("#url-error-property_company-{}", d.anju)).is_empty());
    assert!(!refused.body.contains("s3cret-value"), "the secret is not put back into the page");
    assert!(!refused.body.contains("example.com/h"), "nor the address, which holds a robot's key");
    let made = manager
        .submit(&page, "/channels", &[("kind", "webhook"), ("url", &receiver.url), ("secret", "s3cret-value")])
        .await;
    assert_eq!(made.status, 303, "{}", made.body);
    let page = manager.get(&made.location().unwrap()).await;
    let rows = page.texts(".channel");
    assert_eq!(rows.len(), 1, "{}", page.body);
    assert!(rows[0].contains("http://127.0.0.1/…hook") && rows[0].contains("alue"), "{rows:?}");
    assert!(!page.body.contains("s3cret-value"));
    let id = page.attrs(".channel", "id")[0].trim_start_matches("channel-").to_owned();

    // Test-send: queued, sent by the worker, refused by the receiver (400), sent again by hand.
    let sent = manager.submit(&page, &format!("/channels/{id}/test"), &[]).await;
    assert_eq!(sent.location().as_deref(), Some(format!("/channels/{id}/deliveries").as_str()));
    deliverer(app).run_once().await.unwrap();
    let log = manager.get(&format!("/channels/{id}/deliveries")).await;
    assert_eq!(log.status, 200, "{}", log.body);
    let delivery = log.attrs(".delivery", "id")[0].trim_start_matches("delivery-").to_owned();
    assert!(log.text(".delivery .status").contains("失败"), "{}", log.body);
    let again = manager.submit(&log, &format!("/deliveries/{delivery}/resend"), &[]).await;
    assert_eq!(again.status, 303, "{}", again.body);
    deliverer(app).run_once().await.unwrap();
    let log = manager.get(&format!("/channels/{id}/deliveries")).await;
    assert!(log.text(".delivery .status").contains("已送达"), "{}", log.body);
    assert_eq!(receiver.got().len(), 2);

    // A rival company's manager, with a valid session and CSRF token of their own: the channel,
    // its log and its deliveries are not there for them; the company's page refuses them.
    let rival = Browser::sign_in(&app.address, "manager2").await;
    let own = rival.get("/channels").await;
    assert_eq!(own.texts(".org-channels h2"), ["某县宏达物业管理有限公司"], "{}", own.body);
    assert!(!own.body.contains(&id));
    let csrf = own.form_fields("/channels").into_iter().find(|(k, _)| k == "csrf").unwrap();
    assert_eq!(rival.get(&format!("/channels/{id}/deliveries")).await.status, 404);
    for path in
        [format!("/channels/{id}/disable"), format!("/channels/{id}/test"), format!("/deliveries/{delivery}/resend")]
    {
        assert_eq!(rival.post(&path, std::slice::from_ref(&csrf)).await.status, 404, "{path}");
    }
    let forged = rival
        .post(
            "/channels",
            &[
                csrf.clone(),
                ("org_kind".to_owned(), "property_company".to_owned()),
                ("org_id".to_owned(), d.anju.clone()),
                ("kind".to_owned(), "wecom".to_owned()),
                ("url".to_owned(), "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=rival".to_owned()),
            ],
        )
        .await;
    assert_eq!(forged.status, 409, "{}", forged.body);
    assert_eq!(rival.get(&format!("/channels?org_kind=property_company&org_id={}", d.anju)).await.status, 409);
    // Without the session's own token, even the leader's post is refused.
    let no_token = manager.post(&format!("/channels/{id}/disable"), &[("csrf".to_owned(), "x".to_owned())]).await;
    assert_eq!(no_token.status, 403);
    // A resident leads nothing: no link, nothing to set.
    let resident = Browser::sign_in(&app.address, "resident").await;
    let none = resident.get("/channels").await;
    assert_eq!(none.status, 200);
    assert!(!none.attrs("nav a", "href").contains(&"/channels".to_owned()));
    assert!(none.texts(".org-channels").is_empty());
    // The leader disables it: nothing more is offered on it.
    let page = manager.get("/channels").await;
    let off = manager.submit(&page, &format!("/channels/{id}/disable"), &[]).await;
    assert_eq!(off.status, 303);
    let page = manager.get(&off.location().unwrap()).await;
    assert!(page.text(".channel").contains("已停用"));
    assert!(!page.body.contains(&format!("/channels/{id}/test")), "{}", page.body);
});

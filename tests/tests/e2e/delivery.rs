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

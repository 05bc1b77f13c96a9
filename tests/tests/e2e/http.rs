//! HTTP hardening end to end, on SQLite and PostgreSQL: security headers, read timeouts,
//! JSON bodies with repeated keys or control characters, idempotency keys bound to the
//! request, problems for requests refused before any handler runs, and resetting the demo.

use serde_json::Value;
use std::time::Duration;
use tests::{e2e, e2e_with, json, Client, TestApp};

fn short_read_timeout(settings: &mut api::Settings) {
    settings.read_timeout = Duration::from_secs(1);
}

/// Sends `body` as it is, as JSON, with `token` and extra headers.
async fn raw_json(
    app: &TestApp,
    method: &str,
    path: &str,
    token: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> tests::Resp {
    let mut all = vec![("content-type", "application/json")];
    all.extend_from_slice(headers);
    app.send_raw(method, path, Some(token), &all, body.as_bytes().to_vec()).await
}

fn assert_problem(body: &Value, status: u16, code: &str) {
    assert_eq!(body["status"], status, "{body}");
    assert_eq!(body["code"], code, "{body}");
    assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()), "{body}");
}

e2e!(every_response_says_nosniff_and_api_answers_are_not_stored, |app| async move {
    let admin = app.as_user("admin").await;
    let http = reqwest::Client::new();
    for (path, token, private) in [
        ("/healthz", None, false),
        ("/api/openapi.json", None, false),
        ("/api/v1/me", Some(admin.token.as_str()), true),
        ("/api/v1/me", None, true),
        ("/api/v1/complaints/not-a-uuid", Some(admin.token.as_str()), true),
        ("/api/v1/nothing-here", None, true),
    ] {
        let mut req = http.get(format!("{}{path}", app.address));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.unwrap();
        let header = |name: &str| resp.headers().get(name).and_then(|v| v.to_str().ok()).map(ToOwned::to_owned);
        assert_eq!(header("x-content-type-options").as_deref(), Some("nosniff"), "{path} ({})", resp.status());
        if private {
            assert_eq!(header("cache-control").as_deref(), Some("no-store"), "{path} ({})", resp.status());
        }
    }
});

e2e_with!(a_client_that_stalls_in_its_headers_is_cut_off, short_read_timeout, |app| async move {
    let reply =
        app.raw_tcp(b"GET /healthz HTTP/1.1\r\nhost: test\r\nx-half-way: ".to_vec(), Duration::from_secs(10)).await;
    assert!(reply.closed, "the connection was still open after {:?}: {reply:?}", reply.elapsed);
    assert!(reply.elapsed < Duration::from_secs(5), "{reply:?}");
    assert_eq!(reply.status(), None, "nothing is answered to half a request: {reply:?}");

    let silent = app.raw_tcp(Vec::new(), Duration::from_secs(10)).await;
    assert!(silent.closed && silent.elapsed < Duration::from_secs(5), "a silent client: {silent:?}");
});

e2e_with!(a_client_that_stalls_in_its_body_gets_408, short_read_timeout, |app| async move {
    let request = b"POST /api/v1/sessions HTTP/1.1\r\nhost: test\r\ncontent-type: application/json\r\n\
                    content-length: 100\r\n\r\n{\"username\":";
    let reply = app.raw_tcp(request.to_vec(), Duration::from_secs(10)).await;
    assert!(reply.closed, "the connection was still open after {:?}: {reply:?}", reply.elapsed);
    assert!(reply.elapsed < Duration::from_secs(5), "{reply:?}");
    assert_eq!(reply.status(), Some(408), "{reply:?}");
    assert_problem(&reply.json(), 408, "request_timeout");
    assert!(reply.header("x-request-id").is_some(), "{reply:?}");
});

e2e!(a_json_body_that_repeats_a_key_is_refused_everywhere, |app| async move {
    let estate = &app.demo().await.jinxiu;
    let resident = app.as_user("resident").await;
    let admin = app.as_user("admin").await;

    let body = format!(
        r#"{{"estate_id":"{estate}","category":"repair","title":"灯不亮","title":"水管漏水","description":"已一周"}}"#
    );
    let resp = raw_json(app, "POST", "/api/v1/complaints", &resident.token, &[], &body).await;
    assert_problem(&resp.expect(400), 400, "duplicate_json_key");
    let mine = resident.get("/api/v1/complaints?mine=true").await.expect(200);
    assert!(mine["items"].as_array().unwrap().iter().all(|c| c["title"] != "灯不亮" && c["title"] != "水管漏水"));

    let nested = r#"{"name":"锦绣家园","address":"长富路1号","grid_id":null,"x":{"a":1,"a":2}}"#;
    let resp = raw_json(app, "PATCH", &format!("/api/v1/estates/{estate}"), &admin.token, &[], nested).await;
    let body = resp.expect(400);
    assert_problem(&body, 400, "duplicate_json_key");
    assert!(body["message"].as_str().unwrap().ends_with("x.a"), "the message names the key: {body}");
    let resp =
        raw_json(app, "PATCH", &format!("/api/v1/estates/{estate}"), &admin.token, &[], r#"{"name":"甲","name":"乙"}"#)
            .await;
    assert_problem(&resp.expect(400), 400, "duplicate_json_key");
    assert_eq!(admin.get(&format!("/api/v1/estates/{estate}")).await.expect(200)["name"], "锦绣家园");
});

e2e!(control_characters_in_json_strings_are_field_errors, |app| async move {
    let estate = &app.demo().await.jinxiu;
    let resident = app.as_user("resident").await;
    let admin = app.as_user("admin").await;

    let resp = resident
        .post(
            "/api/v1/complaints",
            json!({"estate_id": estate, "category": "repair", "title": "灯\u{0}不亮", "description": "第一行\n第二行\t缩进\u{1b}[31m"}),
        )
        .await;
    let body = resp.expect(422);
    assert_problem(&body, 422, "validation_failed");
    let mut errors: Vec<(&str, &str)> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["field"].as_str().unwrap(), e["code"].as_str().unwrap()))
        .collect();
    errors.sort_unstable();
    assert_eq!(errors, [("description", "control_character"), ("title", "control_character")]);

    // Newlines and tabs are fine.
    let ok = resident
        .post(
            "/api/v1/complaints",
            json!({"estate_id": estate, "category": "repair", "title": "灯不亮", "description": "第一行\n第二行\t缩进"}),
        )
        .await;
    ok.expect(201);

    let resp = admin.patch(&format!("/api/v1/estates/{estate}"), json!({"address": "长富路\u{7}1号"})).await;
    let body = resp.expect(422);
    assert_eq!(body["errors"][0]["field"], "address", "{body}");
    assert_eq!(body["errors"][0]["code"], "control_character", "{body}");
    let resp = admin.patch(&format!("/api/v1/estates/{estate}"), json!({"name": "锦绣\u{0}家园"})).await;
    assert_eq!(resp.expect(422)["errors"][0]["field"], "name");
    assert_eq!(admin.get(&format!("/api/v1/estates/{estate}")).await.expect(200)["name"], "锦绣家园");
});

async fn count_mine(client: &Client<'_>) -> usize {
    client.get("/api/v1/complaints?mine=true&limit=200").await.expect(200)["items"].as_array().unwrap().len()
}

e2e!(an_idempotency_key_is_bound_to_its_request, |app| async move {
    let estate = &app.demo().await.jinxiu;
    let resident = app.as_user("resident").await;
    let body =
        format!(r#"{{"estate_id":"{estate}","category":"repair","title":"8号楼楼道灯不亮","description":"已一周"}}"#);
    let before = count_mine(&resident).await;

    // The same key and body: the first answer again, filed once.
    let key = [("idempotency-key", "file-8-lights")];
    let first = raw_json(app, "POST", "/api/v1/complaints", &resident.token, &key, &body).await.expect(201);
    let again = raw_json(app, "POST", "/api/v1/complaints", &resident.token, &key, &body).await.expect(201);
    assert_eq!(first["id"], again["id"]);
    assert_eq!(count_mine(&resident).await, before + 1);

    // The same key with another body, or on another path: refused, nothing done.
    let other = body.replace("8号楼", "9号楼");
    let resp = raw_json(app, "POST", "/api/v1/complaints", &resident.token, &key, &other).await;
    assert_problem(&resp.expect(422), 422, "idempotency_key_reused");
    let comment = format!("/api/v1/complaints/{}/comment", first["id"].as_str().unwrap());
    let resp = raw_json(app, "POST", &comment, &resident.token, &key, r#"{"version":0,"note":"还没修"}"#).await;
    assert_problem(&resp.expect(422), 422, "idempotency_key_reused");
    assert_eq!(count_mine(&resident).await, before + 1);

    // Another caller may use the same key for their own request.
    let owner = app.as_user("owner").await;
    let theirs = raw_json(app, "POST", "/api/v1/complaints", &owner.token, &key, &body).await.expect(201);
    assert_ne!(theirs["id"], first["id"]);
});

e2e!(an_idempotency_key_that_is_not_visible_ascii_is_refused, |app| async move {
    let estate = &app.demo().await.jinxiu;
    let resident = app.as_user("resident").await;
    let body = format!(r#"{{"estate_id":"{estate}","category":"repair","title":"电梯异响","description":"3号楼"}}"#);
    let before = count_mine(&resident).await;
    let http = reqwest::Client::new();
    let long = "k".repeat(201);
    let bad: Vec<reqwest::header::HeaderValue> = vec![
        reqwest::header::HeaderValue::from_bytes("重试-1".as_bytes()).unwrap(),
        reqwest::header::HeaderValue::from_bytes(b"two words").unwrap(),
        reqwest::header::HeaderValue::from_str(&long).unwrap(),
    ];
    for key in bad {
        for _ in 0..2 {
            let resp = http
                .post(format!("{}/api/v1/complaints", app.address))
                .bearer_auth(&resident.token)
                .header("content-type", "application/json")
                .header("idempotency-key", key.clone())
                .body(body.clone())
                .send()
                .await
                .unwrap();
            assert_eq!(resp.status().as_u16(), 422, "{key:?}");
            assert!(resp.headers().contains_key("x-request-id"));
            let problem: Value = resp.json().await.unwrap();
            assert_problem(&problem, 422, "invalid_idempotency_key");
        }
    }
    assert_eq!(count_mine(&resident).await, before, "nothing was filed");
    // 200 visible characters are fine.
    let ok = "k".repeat(200);
    raw_json(app, "POST", "/api/v1/complaints", &resident.token, &[("idempotency-key", &ok)], &body).await.expect(201);
});

e2e!(requests_refused_before_any_handler_get_problems_with_a_request_id, |app| async move {
    let admin = app.as_user("admin").await;
    for path in ["/api/v1/estates?company_id=...", "/api/v1/complaints/not-a-uuid", "/api/v1/estates?limit=many"] {
        let resp = admin.get(path).await;
        assert!(resp.request_id.is_some(), "{path}: no x-request-id");
        assert_problem(&resp.expect(400), 400, "bad_request");
    }

    // Requests hyper itself refuses (a raw `<` in the target, a broken Content-Length).
    let bearer = format!("authorization: Bearer {}\r\n", admin.token);
    for head in [
        "GET /api/v1/authz/explain?resource=person&action=read&scope=estate:<id> HTTP/1.1\r\nhost: test\r\n",
        "POST /api/v1/sessions HTTP/1.1\r\nhost: test\r\ncontent-length: many\r\n",
    ] {
        let reply = app.raw_tcp(format!("{head}{bearer}\r\n").into_bytes(), Duration::from_secs(10)).await;
        assert_eq!(reply.status(), Some(400), "{reply:?}");
        assert!(reply.header("x-request-id").is_some_and(|id| !id.is_empty()), "{reply:?}");
        assert_eq!(reply.header("content-type").as_deref(), Some("application/json; charset=utf-8"), "{reply:?}");
        assert_problem(&reply.json(), 400, "bad_request");
    }
});

e2e!(resetting_the_demo_refuses_a_database_with_more_than_the_demo, |app| async move {
    let estate = &app.demo().await.jinxiu;
    let resident = app.as_user("resident").await;
    let case = resident
        .post(
            "/api/v1/complaints",
            json!({"estate_id": estate, "category": "repair", "title": "重置前的诉求", "description": "试用"}),
        )
        .await
        .expect(201);

    // Only the demo, played with: reset, the case is gone and the demo is back.
    api::reset_demo(&app.database_url, app.clock.as_ref()).await.unwrap();
    let admin = app.as_user("admin").await;
    let gone = admin.get(&format!("/api/v1/complaints/{}", case["id"].as_str().unwrap())).await;
    assert_eq!(gone.status, 404, "{}", gone.body);
    assert_eq!(admin.id_named("/api/v1/estates", "锦绣家园").await.len(), 36);

    // An account the demo does not have: refused, and nothing changes.
    let person = admin.post("/api/v1/people", json!({"name": "钱明"})).await.expect(201);
    admin
        .post(
            "/api/v1/accounts",
            json!({"person_id": person["id"], "username": "qianming", "password": "a-long-password"}),
        )
        .await
        .expect(201);
    let refused = api::reset_demo(&app.database_url, app.clock.as_ref()).await;
    assert!(matches!(refused, Err(api::ResetDemoError::NotDemo)), "{refused:?}");
    app.login("qianming", "a-long-password").await.expect(201);
});

e2e!(me_names_the_organizations_and_scopes_behind_posts_and_bindings, |app| async move {
    let manager = app.as_user("manager").await;
    let me = manager.get("/api/v1/me").await.expect(200);
    let company = me["posts"].as_array().unwrap().iter().find(|p| p["org_kind"] == "property_company").unwrap();
    assert_eq!(company["org_name"], "某县安居物业服务有限公司", "{me}");
    let served: Vec<&str> = me["bindings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["role"] == "property_manager" && b["scope"].as_str().unwrap().starts_with("estate:"))
        .map(|b| b["scope_name"].as_str().unwrap())
        .collect();
    for estate in ["锦绣家园", "阳光花园", "滨河湾小区"] {
        assert!(served.contains(&estate), "{served:?}");
    }
    assert!(me["bindings"].as_array().unwrap().iter().any(|b| b["scope"] == "county" && b["scope_name"] == "全县"));
});

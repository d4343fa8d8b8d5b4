//! Hostile input: malformed JSON, oversized bodies, SQL metacharacters, cross-tenant ids. Each
//! gets a clear error body; the server and other tenants carry on.

use serde_json::{Value, json};
use uuid::Uuid;

use crate::support::{PASSWORD, Server, TestDb, token};

#[tokio::test]
async fn malformed_oversized_and_injected_requests_fail_cleanly() {
    let db = TestDb::new().await;
    let t = db.tenant("clinica-a");
    let server = Server::start(&db);

    let resp = server
        .http
        .post(server.url("/v1/auth/login"))
        .header("content-type", "application/json")
        .body("{\"tenant\": ")
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), 400);
    assert_eq!(
        resp.json::<Value>().await.expect("json")["code"],
        "request.invalid_json"
    );

    let resp = server
        .http
        .post(server.url("/v1/auth/login"))
        .body("tenant=x")
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), 415);

    let (status, body) = server
        .post("/v1/auth/login", None, json!({"tenant": "clinica-a"}))
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("request.invalid_fields"))
    );

    // Just over the 64 KiB limit: small enough to sit in the socket buffers, so the early 413
    // is read by the client instead of racing its upload.
    let big = "a".repeat(80 * 1024);
    let (status, body) = server
        .post(
            "/v1/auth/login",
            None,
            json!({"tenant": big, "email": "a", "password": "b", "device_id": Uuid::now_v7()}),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (413, Some("request.too_large")),
        "{body}"
    );

    for evil in [
        "' OR 1=1 --",
        "clinica-a'; DROP TABLE users; --",
        "\0",
        "clinica-a\" OR \"\"=\"",
    ] {
        let (status, body) = server
            .login_raw(evil, "admin@clinica-a.example", PASSWORD, Uuid::now_v7())
            .await;
        assert_eq!(status, 401, "{evil}: {body}");
        let (status, _) = server.login_raw(&t.slug, evil, evil, Uuid::now_v7()).await;
        assert_eq!(status, 401);
    }
    let (status, _) = server
        .post("/v1/auth/refresh", None, json!({"refresh_token": "' OR 1=1 --"}))
        .await;
    assert_eq!(status, 401);
    let (status, body) = server.get("/v1/users?limit=100000", None).await;
    assert_eq!(status, 401, "{body}");

    // A refresh token naming another tenant's id with random bytes is just invalid.
    let other = db.tenant("clinica-b");
    use base64::Engine;
    let mut forged = other.id.as_bytes().to_vec();
    forged.extend_from_slice(&[7u8; 32]);
    let forged = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(forged);
    let (status, body) = server
        .post("/v1/auth/refresh", None, json!({"refresh_token": forged}))
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("auth.refresh_invalid"))
    );

    // Pagination input is checked.
    let admin = server.login(&t, "ADMIN", Uuid::now_v7()).await;
    let (status, body) = server.get("/v1/users?limit=0", Some(token(&admin))).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("request.invalid_limit"))
    );
    let (status, body) = server
        .get("/v1/users?cursor=%27%20OR%201%3D1", Some(token(&admin)))
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("request.invalid_cursor"))
    );
    let (status, body) = server.get("/v1/users?limit=abc", Some(token(&admin))).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("request.invalid_query"))
    );

    // Everything still stands; the server still answers.
    let users = db.admin_ok(&["user", "list", "--tenant", "clinica-a"], None);
    assert_eq!(users.as_array().expect("users").len(), 3);
    let (status, _) = server.get("/v1/me", Some(token(&admin))).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn pagination_walks_every_row_once() {
    let db = TestDb::new().await;
    let t = db.tenant("clinica-a");
    let server = Server::start(&db);
    let admin = server.login(&t, "ADMIN", Uuid::now_v7()).await;
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/v1/audit?limit=2&cursor={c}"),
            None => "/v1/audit?limit=2".to_string(),
        };
        let (status, page) = server.get(&path, Some(token(&admin))).await;
        assert_eq!(status, 200, "{page}");
        for item in page["items"].as_array().expect("items") {
            seen.push(item["seq"].as_i64().expect("seq"));
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
        assert!(seen.len() < 1000);
    }
    let expected: Vec<i64> = (1..=seen.len() as i64).collect();
    assert_eq!(seen, expected);
}

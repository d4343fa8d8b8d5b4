use serde_json::Value;

use crate::support::{Server, TestDb};

#[tokio::test]
async fn health_ready_metrics_and_openapi_cover_every_route() {
    let db = TestDb::new().await;
    let server = Server::start(&db);

    let resp = server
        .http
        .get(server.url("/healthz"))
        .send()
        .await
        .expect("healthz");
    assert_eq!(resp.status(), 200);
    assert!(resp.headers().contains_key("x-request-id"), "request id header");
    let resp = server
        .http
        .get(server.url("/readyz"))
        .send()
        .await
        .expect("readyz");
    assert_eq!(resp.status(), 200);

    let (status, doc) = server.get("/v1/openapi.json", None).await;
    assert_eq!(status, 200);
    assert_eq!(
        doc["openapi"].as_str().map(|v| v.starts_with("3.")),
        Some(true),
        "{doc}"
    );
    let paths = doc["paths"].as_object().expect("paths");
    for (method, path) in atendebem_server::http::ROUTES {
        assert!(
            paths.get(*path).and_then(|p| p.get(*method)).is_some(),
            "{method} {path} missing from /v1/openapi.json"
        );
    }
    // And nothing documented that the router does not serve.
    for (path, item) in paths {
        for method in item.as_object().expect("item").keys() {
            assert!(
                atendebem_server::http::ROUTES
                    .iter()
                    .any(|(m, p)| m == method && p == path),
                "{method} {path} documented but not routed"
            );
        }
    }

    let text = server
        .http
        .get(server.url("/metrics"))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    assert!(text.contains("atendebem_http_requests_total"), "{text}");
    assert!(text.contains("atendebem_sync_connections 0"), "{text}");

    let (status, body) = server.get("/no/such/route", None).await;
    assert_eq!(status, 404);
    assert_eq!(body["code"], Value::from("route.not_found"));
}

#[tokio::test]
async fn readyz_reports_pending_migrations() {
    let db = TestDb::new().await;
    let owner = db.pool("postgres").await;
    sqlx::query("DELETE FROM _sqlx_migrations")
        .execute(&owner)
        .await
        .expect("forget migrations");
    let server = Server::start(&db);
    let (status, body) = server.get("/readyz", None).await;
    assert_eq!(status, 503);
    assert_eq!(body["code"], Value::from("not_ready.migrations"));
}

#[tokio::test]
async fn print_default_config_and_env_override() {
    let db = TestDb::new().await;
    let out = db.command(&["print-default-config"]).output().expect("run");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("listen = \"127.0.0.1:8080\""), "{text}");
    assert!(text.contains("argon2_memory_kib = 19456"), "{text}");

    // A weak Argon2 setting from the environment is refused with a clear message.
    let out = db
        .command(&["serve"])
        .env("ATENDEBEM_AUTH__ARGON2_MEMORY_KIB", "1024")
        .output()
        .expect("run");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("OWASP"));
}

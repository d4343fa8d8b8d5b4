//! Login, refresh rotation with reuse detection (RFC 9700), lockout (NGS1.02.13), first-login
//! password change (NGS1.02.06), password change ending other sessions, disabled users and
//! revoked devices refused at once, forged tokens refused.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::support::{NEW_PASSWORD, PASSWORD, Server, TestDb, token};

#[tokio::test]
async fn login_me_refresh_rotation_and_reuse_revokes_the_family() {
    let db = TestDb::new().await;
    let t = db.tenant("clinica-a");
    let server = Server::start(&db);
    let device = Uuid::now_v7();
    let pair = server.login(&t, "PROFESSIONAL", device).await;

    let (status, me) = server.get("/v1/me", Some(token(&pair))).await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["role"], "PROFESSIONAL");
    assert_eq!(me["device_id"], Value::from(device.to_string()));

    // Rotation: r1 -> r2 -> r3.
    let r1 = pair["refresh_token"].as_str().expect("r1").to_string();
    let (status, p2) = server
        .post("/v1/auth/refresh", None, json!({"refresh_token": r1}))
        .await;
    assert_eq!(status, 200, "{p2}");
    let r2 = p2["refresh_token"].as_str().expect("r2").to_string();
    assert_ne!(r1, r2);
    let (status, p3) = server
        .post("/v1/auth/refresh", None, json!({"refresh_token": r2}))
        .await;
    assert_eq!(status, 200, "{p3}");
    let r3 = p3["refresh_token"].as_str().expect("r3").to_string();

    // Reusing r1 (stolen and replayed) ends the whole family: r3 stops working too.
    let (status, body) = server
        .post("/v1/auth/refresh", None, json!({"refresh_token": r1}))
        .await;
    assert_eq!(status, 401);
    assert_eq!(body["code"], "auth.refresh_reused");
    let (status, body) = server
        .post("/v1/auth/refresh", None, json!({"refresh_token": r3}))
        .await;
    assert_eq!(status, 401, "{body}");
    // ... and so does the access token of that session, at once (NGS1.02.23).
    let (status, body) = server.get("/v1/me", Some(token(&p3))).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["code"], "auth.session_ended");

    // The audit trail recorded the reuse.
    let admin = server.login(&t, "ADMIN", Uuid::now_v7()).await;
    let (status, trail) = server.get("/v1/audit?limit=500", Some(token(&admin))).await;
    assert_eq!(status, 200, "{trail}");
    let items = trail["items"].as_array().expect("items");
    assert!(
        items
            .iter()
            .any(|e| e["action"] == "auth.refresh" && e["detail"] == "refresh_reuse"),
        "{trail}"
    );
}

#[tokio::test]
async fn first_login_requires_a_password_change_and_quality_is_enforced() {
    let db = TestDb::new().await;
    let t = db.tenant("clinica-a");
    let server = Server::start(&db);
    let (status, pair) = server
        .login_raw(&t.slug, t.email("STAFF"), PASSWORD, Uuid::now_v7())
        .await;
    assert_eq!(status, 200, "{pair}");
    assert_eq!(pair["password_change_required"], true);
    // NGS1.02.06: nothing else works until the password is changed.
    let (status, body) = server.get("/v1/me", Some(token(&pair))).await;
    assert_eq!(status, 403);
    assert_eq!(body["code"], "auth.password_change_required");
    // NGS1.02.03: `abc1234` is too weak; the same password is refused.
    let (status, body) = server
        .post(
            "/v1/auth/password",
            Some(token(&pair)),
            json!({"current_password": PASSWORD, "new_password": "abc1234"}),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("password.too_weak")),
        "{body}"
    );
    let (status, body) = server
        .post(
            "/v1/auth/password",
            Some(token(&pair)),
            json!({"current_password": PASSWORD, "new_password": PASSWORD}),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("password.same_as_current")),
        "{body}"
    );
    let (status, body) = server
        .post(
            "/v1/auth/password",
            Some(token(&pair)),
            json!({"current_password": "wrong-pass-1", "new_password": "abcd1234"}),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("auth.wrong_password")),
        "{body}"
    );
    let (status, changed) = server
        .post(
            "/v1/auth/password",
            Some(token(&pair)),
            json!({"current_password": PASSWORD, "new_password": "abcd1234"}),
        )
        .await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(changed["password_change_required"], false);
    let (status, _) = server.get("/v1/me", Some(token(&changed))).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn lockout_after_ten_failures_and_admin_reset_unlocks() {
    let db = TestDb::new().await;
    let t = db.tenant("clinica-a");
    let server = Server::start(&db);
    let email = t.email("PROFESSIONAL");
    let device = Uuid::now_v7();
    // Unknown user and wrong password look the same (NGS1.02.16).
    let (s1, unknown) = server
        .login_raw(&t.slug, "ninguem@clinica-a.example", "qualquer-1", device)
        .await;
    let (s2, wrong) = server.login_raw(&t.slug, email, "errada-123", device).await;
    assert_eq!((s1, s2), (401, 401));
    assert_eq!(unknown, wrong);
    for _ in 0..9 {
        let (status, _) = server.login_raw(&t.slug, email, "errada-123", device).await;
        assert_eq!(status, 401);
    }
    // Ten consecutive failures: the right password no longer works (NGS1.02.13).
    let (status, body) = server.login_raw(&t.slug, email, PASSWORD, device).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["code"], "auth.invalid_credentials");
    let users = db.admin_ok(&["user", "list", "--tenant", &t.slug], None);
    let me = users
        .as_array()
        .expect("list")
        .iter()
        .find(|u| u["email"] == email)
        .expect("user")
        .clone();
    assert_eq!(me["locked"], true);

    db.admin_ok(
        &[
            "user",
            "reset-password",
            "--tenant",
            &t.slug,
            "--email",
            email,
            "--password-stdin",
        ],
        Some("outra-senha-9"),
    );
    let (status, body) = server.login_raw(&t.slug, email, "outra-senha-9", device).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["password_change_required"], true);
}

#[tokio::test]
async fn rate_limit_per_account() {
    let db = TestDb::new().await;
    let t = db.tenant("clinica-a");
    let server = Server::start_with(&db, &[("ATENDEBEM_AUTH__LOGIN_PER_ACCOUNT_PER_MINUTE", "3")]);
    let mut statuses = Vec::new();
    for _ in 0..5 {
        let (status, _) = server
            .login_raw(&t.slug, "x@clinica-a.example", "errada-123", Uuid::now_v7())
            .await;
        statuses.push(status);
    }
    assert_eq!(statuses, vec![401, 401, 401, 429, 429]);
    // Another account is not affected.
    let (status, _) = server
        .login_raw(&t.slug, t.email("ADMIN"), PASSWORD, Uuid::now_v7())
        .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn password_change_ends_every_other_session() {
    let db = TestDb::new().await;
    let t = db.tenant("clinica-a");
    let server = Server::start(&db);
    let first = server.login(&t, "PROFESSIONAL", Uuid::now_v7()).await;
    let second = server.relogin(&t, "PROFESSIONAL", Uuid::now_v7()).await;
    let (status, changed) = server
        .post(
            "/v1/auth/password",
            Some(token(&second)),
            json!({"current_password": NEW_PASSWORD, "new_password": "terceira-33"}),
        )
        .await;
    assert_eq!(status, 200, "{changed}");
    let (status, _) = server.get("/v1/me", Some(token(&first))).await;
    assert_eq!(status, 401, "the other session ended");
    let (status, _) = server
        .post(
            "/v1/auth/refresh",
            None,
            json!({"refresh_token": first["refresh_token"]}),
        )
        .await;
    assert_eq!(status, 401);
    let (status, _) = server.get("/v1/me", Some(token(&changed))).await;
    assert_eq!(status, 200, "the changing session goes on");
    // NGS1.02.08: back to the previous password is refused; a new one is fine.
    let (status, body) = server
        .post(
            "/v1/auth/password",
            Some(token(&changed)),
            json!({"current_password": "terceira-33", "new_password": NEW_PASSWORD}),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("password.same_as_previous")),
        "{body}"
    );
    let (status, _) = server
        .post(
            "/v1/auth/password",
            Some(token(&changed)),
            json!({"current_password": "terceira-33", "new_password": "quarta-444"}),
        )
        .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn disabled_user_and_revoked_device_are_refused_at_once() {
    let db = TestDb::new().await;
    let t = db.tenant("clinica-a");
    let server = Server::start(&db);
    let staff = server.login(&t, "STAFF", Uuid::now_v7()).await;
    db.admin_ok(
        &[
            "user",
            "disable",
            "--tenant",
            &t.slug,
            "--email",
            t.email("STAFF"),
        ],
        None,
    );
    let (status, _) = server.get("/v1/me", Some(token(&staff))).await;
    assert_eq!(status, 401, "disabled user's unexpired token refused");
    let (status, _) = server
        .post(
            "/v1/auth/refresh",
            None,
            json!({"refresh_token": staff["refresh_token"]}),
        )
        .await;
    assert_eq!(status, 401);

    let device = Uuid::now_v7();
    let pro = server.login(&t, "PROFESSIONAL", device).await;
    db.admin_ok(&["device", "revoke", &device.to_string()], None);
    let (status, body) = server.get("/v1/me", Some(token(&pro))).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (403, Some("auth.device_revoked")),
        "{body}"
    );
    let (status, body) = server
        .login_raw(&t.slug, t.email("PROFESSIONAL"), NEW_PASSWORD, device)
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (403, Some("auth.device_revoked")),
        "{body}"
    );
    // Its refresh token is refused with the same reason, so the desktop can say why.
    let (status, body) = server
        .post(
            "/v1/auth/refresh",
            None,
            json!({"refresh_token": pro["refresh_token"]}),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (403, Some("auth.device_revoked")),
        "{body}"
    );
}

fn forge(header: Value, claims: Value, signature: &[u8]) -> String {
    format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string()),
        URL_SAFE_NO_PAD.encode(signature)
    )
}

#[tokio::test]
async fn forged_and_misused_tokens_are_refused() {
    let db = TestDb::new().await;
    let t = db.tenant("clinica-a");
    let server = Server::start(&db);
    let pair = server.login(&t, "ADMIN", Uuid::now_v7()).await;
    let good = token(&pair).to_string();
    let parts: Vec<&str> = good.split('.').collect();
    let header: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).expect("b64")).expect("json");
    let claims: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).expect("b64")).expect("json");
    let signature = URL_SAFE_NO_PAD.decode(parts[2]).expect("b64");

    let mut cases: Vec<(&str, String)> = Vec::new();
    cases.push((
        "alg none",
        forge(json!({"alg": "none", "typ": "at+jwt"}), claims.clone(), b""),
    ));
    cases.push((
        "alg HS256",
        forge(
            json!({"alg": "HS256", "typ": "at+jwt", "kid": header["kid"]}),
            claims.clone(),
            &signature,
        ),
    ));
    let mut c = claims.clone();
    c["role"] = json!("SUPER_ADMIN");
    cases.push(("claims changed", forge(header.clone(), c, &signature)));
    let mut c = claims.clone();
    c["aud"] = json!("outro-sistema");
    cases.push(("wrong aud", forge(header.clone(), c, &signature)));
    let mut h = header.clone();
    h["typ"] = json!("JWT");
    cases.push(("wrong typ", forge(h, claims.clone(), &signature)));
    let mut h = header.clone();
    h["kid"] = json!(Uuid::now_v7().to_string());
    cases.push(("unknown key", forge(h, claims.clone(), &signature)));
    cases.push((
        "refresh as access",
        pair["refresh_token"].as_str().expect("rt").to_string(),
    ));
    cases.push(("garbage", "a.b.c".into()));
    cases.push(("truncated", good[..good.len() - 10].to_string()));
    for (name, bad) in cases {
        let (status, body) = server.get("/v1/me", Some(&bad)).await;
        assert_eq!(status, 401, "{name}: {body}");
        assert_eq!(body["code"], "auth.token_invalid", "{name}");
    }
    let (status, body) = server.get("/v1/me", None).await;
    assert_eq!((status, body["code"].as_str()), (401, Some("auth.missing_token")));
}

#[tokio::test]
async fn expired_token_is_refused() {
    let db = TestDb::new().await;
    let t = db.tenant("clinica-a");
    let server = Server::start_with(&db, &[("ATENDEBEM_AUTH__ACCESS_TOKEN_SECONDS", "60")]);
    let pair = server.login(&t, "ADMIN", Uuid::now_v7()).await;
    // Sign an already-expired token with the server's own key, read from the database.
    let owner = db.pool("postgres").await;
    let (kid, pem): (Uuid, String) = sqlx::query_as("SELECT kid, private_pem FROM signing_keys")
        .fetch_one(&owner)
        .await
        .expect("key");
    let parts: Vec<&str> = token(&pair).split('.').collect();
    let mut claims: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).expect("b64")).expect("json");
    claims["exp"] = json!(jiff::Timestamp::now().as_second() - 3600);
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::EdDSA);
    header.typ = Some("at+jwt".into());
    header.kid = Some(kid.to_string());
    let key = jsonwebtoken::EncodingKey::from_ed_pem(pem.as_bytes()).expect("pem");
    let expired = jsonwebtoken::encode(&header, &claims, &key).expect("sign");
    let (status, body) = server.get("/v1/me", Some(&expired)).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("auth.token_expired")),
        "{body}"
    );
    // The same claims with a valid expiry pass: the refusal was about time alone.
    claims["exp"] = json!(jiff::Timestamp::now().as_second() + 60);
    let fresh = jsonwebtoken::encode(&header, &claims, &key).expect("sign");
    let (status, _) = server.get("/v1/me", Some(&fresh)).await;
    assert_eq!(status, 200);
}

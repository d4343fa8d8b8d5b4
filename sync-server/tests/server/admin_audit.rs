//! The admin console and the hash-chained audit trail (NGS1.07.01/02/06).

use serde_json::Value;
use uuid::Uuid;

use crate::support::{Server, TestDb, token};

#[tokio::test]
async fn console_manages_tenants_users_devices_with_clear_errors() {
    let db = TestDb::new().await;
    let t = db.tenant("clinica-a");
    let list = db.admin_ok(&["tenant", "list"], None);
    let slugs: Vec<&str> = list
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|t| t["slug"].as_str())
        .collect();
    assert_eq!(slugs, vec!["clinica-a"], "the platform chain is not a clinic");

    let (ok, out, _) = db.admin(
        &["tenant", "create", "--slug", "clinica-a", "--name", "De novo"],
        None,
    );
    assert!(!ok);
    assert_eq!(
        serde_json::from_str::<Value>(&out).expect("json")["code"],
        "tenant.exists"
    );
    let (ok, out, _) = db.admin(
        &[
            "tenant",
            "create",
            "--slug",
            "Clínica A'; DROP TABLE users;--",
            "--name",
            "X",
        ],
        None,
    );
    assert!(!ok);
    assert_eq!(
        serde_json::from_str::<Value>(&out).expect("json")["code"],
        "tenant.slug"
    );
    let (ok, out, _) = db.admin(&["tenant", "create", "--slug", "platform", "--name", "X"], None);
    assert!(!ok);
    assert_eq!(
        serde_json::from_str::<Value>(&out).expect("json")["code"],
        "tenant.slug_reserved"
    );
    let (ok, out, _) = db.admin(
        &[
            "user",
            "create",
            "--tenant",
            "clinica-a",
            "--email",
            "fraca@x.com",
            "--name",
            "F",
            "--role",
            "STAFF",
            "--password-stdin",
        ],
        Some("abc1234"),
    );
    assert!(!ok);
    assert_eq!(
        serde_json::from_str::<Value>(&out).expect("json")["code"],
        "password.too_weak"
    );
    let (ok, out, _) = db.admin(
        &[
            "user",
            "create",
            "--tenant",
            "clinica-a",
            "--email",
            "admin@clinica-a.example",
            "--name",
            "D",
            "--role",
            "STAFF",
            "--password-stdin",
        ],
        Some("abcd1234"),
    );
    assert!(!ok);
    assert_eq!(
        serde_json::from_str::<Value>(&out).expect("json")["code"],
        "user.exists"
    );
    let (ok, out, _) = db.admin(&["user", "list", "--tenant", "nao-existe"], None);
    assert!(!ok);
    assert_eq!(
        serde_json::from_str::<Value>(&out).expect("json")["code"],
        "tenant.not_found"
    );

    // Devices appear after a login and can be revoked.
    let server = Server::start(&db);
    let device = Uuid::now_v7();
    server.login(&t, "STAFF", device).await;
    let devices = db.admin_ok(&["device", "list", "--tenant", "clinica-a"], None);
    assert_eq!(devices[0]["id"], Value::from(device.to_string()));
    db.admin_ok(
        &["device", "revoke", &device.to_string(), "--tenant", "clinica-a"],
        None,
    );
    let devices = db.admin_ok(&["device", "list", "--tenant", "clinica-a"], None);
    assert!(devices[0]["revoked_at"].is_string());
    let (ok, out, _) = db.admin(&["device", "revoke", &Uuid::now_v7().to_string()], None);
    assert!(!ok);
    assert_eq!(
        serde_json::from_str::<Value>(&out).expect("json")["code"],
        "device.not_found"
    );

    // Suspending a clinic ends its users' access at once.
    let admin = server.login(&t, "ADMIN", Uuid::now_v7()).await;
    db.admin_ok(&["tenant", "suspend", "clinica-a"], None);
    let (status, _) = server.get("/v1/me", Some(token(&admin))).await;
    assert_eq!(status, 401);

    // Every console action is in the audit trail.
    let su = db.pool("postgres").await;
    let actions: Vec<String> =
        sqlx::query_scalar("SELECT action FROM audit_events WHERE tenant_id = $1 ORDER BY seq")
            .bind(t.id)
            .fetch_all(&su)
            .await
            .expect("audit");
    for expected in [
        "admin.tenant.create",
        "admin.user.create",
        "admin.device.list",
        "admin.device.revoke",
        "admin.tenant.suspend",
    ] {
        assert!(
            actions.iter().any(|a| a == expected),
            "{expected} not audited: {actions:?}"
        );
    }
    let platform: Vec<String> = sqlx::query_scalar("SELECT action FROM audit_events WHERE tenant_id = $1")
        .bind(Uuid::nil())
        .fetch_all(&su)
        .await
        .expect("platform audit");
    assert!(platform.iter().any(|a| a == "admin.tenant.list"));
}

/// NGS1.07.06: no patient-identifying or secret data in the audit trail.
#[tokio::test]
async fn audit_rows_hold_no_names_emails_or_passwords() {
    let db = TestDb::new().await;
    let t = db.tenant("clinica-a");
    let server = Server::start(&db);
    server.login(&t, "PROFESSIONAL", Uuid::now_v7()).await;
    server
        .login_raw(&t.slug, t.email("STAFF"), "errada-123", Uuid::now_v7())
        .await;
    let su = db.pool("postgres").await;
    let rows: Vec<String> =
        sqlx::query_scalar("SELECT row_to_json(a)::text FROM audit_events a WHERE tenant_id = $1")
            .bind(t.id)
            .fetch_all(&su)
            .await
            .expect("rows");
    assert!(rows.len() >= 5);
    for row in rows {
        for secret in [
            "Pessoa Teste",
            "@clinica-a.example",
            crate::support::PASSWORD,
            "errada-123",
            "Clínica clinica-a",
        ] {
            assert!(!row.contains(secret), "audit row contains {secret:?}: {row}");
        }
    }
}

#[tokio::test]
async fn tampering_with_any_audit_row_is_found_at_the_right_position() {
    let db = TestDb::new().await;
    let t = db.tenant("clinica-a");
    let server = Server::start(&db);
    server.login(&t, "STAFF", Uuid::now_v7()).await;
    for _ in 0..4 {
        server.relogin(&t, "STAFF", Uuid::now_v7()).await;
    }
    let verified = db.admin_ok(&["audit", "verify", "--tenant", "clinica-a"], None);
    assert_eq!(verified["first_broken"], Value::Null, "{verified}");
    let rows = verified["rows"].as_u64().expect("rows") as i64;
    assert!(rows >= 10, "{verified}");

    let su = db.pool("postgres").await;
    // Superuser bypass of the append-only trigger, as an attacker with database access would.
    let tamper = |sql: &'static str| {
        let su = su.clone();
        let tenant = t.id;
        async move {
            let mut tx = su.begin().await.expect("begin");
            sqlx::query("SET LOCAL session_replication_role = replica")
                .execute(&mut *tx)
                .await
                .expect("replica");
            sqlx::query(sql)
                .bind(tenant)
                .execute(&mut *tx)
                .await
                .expect("tamper");
            tx.commit().await.expect("commit");
        }
    };
    // 1. Change one field of row 5.
    tamper("UPDATE audit_events SET outcome = 'ok', action = 'auth.logout' WHERE tenant_id = $1 AND seq = 5")
        .await;
    let (ok, out, _) = db.admin(&["audit", "verify", "--tenant", "clinica-a"], None);
    assert!(!ok, "verify must exit non-zero");
    let v: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["first_broken"]["seq"], 5, "{v}");
    assert_eq!(v["first_broken"]["reason"], "hash_mismatch");
    // The human form says so too.
    let out = db
        .command(&["admin", "audit", "verify", "--tenant", "clinica-a"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stdout).contains("sequência 5"));

    // 2. Recompute row 5's hash to hide the change: row 6's link breaks instead... unless all
    //    later rows are rewritten, which needs the chain's head too; we check deletion next.
    tamper("DELETE FROM audit_events WHERE tenant_id = $1 AND seq = 3").await;
    let v: Value =
        serde_json::from_str(&db.admin(&["audit", "verify", "--tenant", "clinica-a"], None).1).expect("json");
    assert_eq!(v["first_broken"]["seq"], 3, "{v}");
    assert_eq!(v["first_broken"]["reason"], "gap");
}

#[tokio::test]
async fn cutting_the_tail_of_the_audit_trail_is_found() {
    let db = TestDb::new().await;
    let t = db.tenant("clinica-a");
    let server = Server::start(&db);
    server.login(&t, "STAFF", Uuid::now_v7()).await;
    let su = db.pool("postgres").await;
    let last: i64 = sqlx::query_scalar("SELECT max(seq) FROM audit_events WHERE tenant_id = $1")
        .bind(t.id)
        .fetch_one(&su)
        .await
        .expect("max");
    let mut tx = su.begin().await.expect("begin");
    sqlx::query("SET LOCAL session_replication_role = replica")
        .execute(&mut *tx)
        .await
        .expect("replica");
    sqlx::query("DELETE FROM audit_events WHERE tenant_id = $1 AND seq = $2")
        .bind(t.id)
        .bind(last)
        .execute(&mut *tx)
        .await
        .expect("delete");
    tx.commit().await.expect("commit");
    let (ok, out, _) = db.admin(&["audit", "verify", "--tenant", "clinica-a"], None);
    assert!(!ok);
    let v: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["first_broken"]["seq"], last, "{v}");
    assert_eq!(v["first_broken"]["reason"], "head_mismatch");
}

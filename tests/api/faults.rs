//! Faults: an exhausted pool and slow statements answer with a coded error instead of hanging.

use std::time::Duration;

use sea_orm::{ConnectionTrait, TransactionTrait};
use serde_json::json;

use crate::harness::{PASSWORD, TestApp, answer_of};

#[tokio::test]
async fn an_exhausted_pool_answers_unavailable_instead_of_hanging() {
    let app = TestApp::with_config(|config| config.db_pool_size = 1).await;
    let admin = app.sign_up("Acme", "ada@acme.test").await;
    // Something holds the only connection.
    let held = app.state.db.begin().await.unwrap();
    let answer = app.exec(Some(&admin.token), "{ me { email } }", json!({})).await;
    assert_eq!(answer.code(), "UNAVAILABLE", "{:#}", answer.0);
    let login = app.login("ada@acme.test", PASSWORD).await;
    assert_eq!(login.code(), "UNAVAILABLE");
    held.rollback().await.unwrap();
    // And it recovers by itself.
    let again = app.exec(Some(&admin.token), "{ me { email } }", json!({})).await;
    assert_eq!(again.data()["me"]["email"], "ada@acme.test");
}

#[tokio::test]
async fn postgresql_cancels_statements_that_run_too_long() {
    let app = TestApp::with_config(|config| config.statement_timeout = Duration::from_millis(300)).await;
    if !app.state.config.is_postgres() {
        eprintln!("statement timeouts are a PostgreSQL setting; skipped on SQLite");
        return;
    }
    let slow = app.state.db.execute_unprepared("SELECT pg_sleep(2)").await;
    let error = slow.expect_err("cancelled");
    assert!(error.to_string().contains("statement timeout"), "{error}");
    app.state.db.execute_unprepared("SELECT 1").await.unwrap();
}

#[tokio::test]
async fn a_database_that_goes_away_fails_readiness_and_the_server_recovers_by_itself() {
    let app = TestApp::new().await;
    if !app.state.config.is_postgres() {
        eprintln!("an embedded SQLite file cannot go away; skipped on SQLite");
        return;
    }
    let admin = app.sign_up("Acme", "ada@acme.test").await;
    let addr = app.serve().await;
    let http = reqwest::Client::new();
    let ready = || http.get(format!("http://{addr}/readyz")).send();
    assert_eq!(ready().await.unwrap().status(), 200);

    // The database refuses connections and drops the open ones, as in a failover.
    let url = &app.state.config.database_url;
    let name = url.rsplit('/').next().unwrap().split('?').next().unwrap().to_owned();
    let admin_db = sea_orm::Database::connect(std::env::var("TEST_DATABASE_URL").unwrap()).await.unwrap();
    let outage = async |allow: bool| {
        admin_db.execute_unprepared(&format!("ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS {allow}")).await.unwrap();
        if !allow {
            admin_db
                .execute_unprepared(&format!(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}' AND pid <> pg_backend_pid()"
                ))
                .await
                .unwrap();
        }
    };
    outage(false).await;
    assert_eq!(ready().await.unwrap().status(), 503);
    let answer = app.exec(Some(&admin.token), "{ me { email } }", json!({})).await;
    assert_eq!(answer.code(), "UNAVAILABLE", "{:#}", answer.0);

    outage(true).await;
    assert_eq!(ready().await.unwrap().status(), 200);
    let again = app.exec(Some(&admin.token), "{ me { email } }", json!({})).await;
    assert_eq!(again.data()["me"]["email"], "ada@acme.test");
}

#[cfg(unix)]
#[tokio::test]
async fn sigterm_stops_the_server_gracefully() {
    use tokio::io::{AsyncBufReadExt, BufReader};

    use crate::harness::Socket;

    let dir = tempfile::tempdir().unwrap();
    let mut server = tokio::process::Command::new(env!("CARGO_BIN_EXE_hindsight"))
        .args(["serve", "--bind", "127.0.0.1:0", "--log-format", "json", "--jwt-secret", crate::harness::JWT_SECRET])
        .env("DATABASE_URL", format!("sqlite://{}?mode=rwc", dir.path().join("h.db").display()))
        .env_remove("RUST_LOG")
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(server.stdout.take().unwrap()).lines();
    let addr: std::net::SocketAddr = loop {
        let line = tokio::time::timeout(Duration::from_secs(30), lines.next_line()).await.unwrap().unwrap().unwrap();
        let log: serde_json::Value = serde_json::from_str(&line).unwrap_or_default();
        if let Some(url) = log["message"].as_str().and_then(|m| m.strip_prefix("Hindsight listening on http://")) {
            break url.split_whitespace().next().unwrap().parse().unwrap();
        }
    };
    let signed_up = answer_of(reqwest::Client::new()
        .post(format!("http://{addr}/graphql"))
        .json(&json!({ "query": format!("mutation {{ signUp(input: {{ organizationName: \"Acme\", email: \"ada@acme.test\", password: \"{PASSWORD}\", displayName: \"Ada\" }}) {{ accessToken }} }}") }))).await;
    let token = signed_up["data"]["signUp"]["accessToken"].as_str().unwrap();
    let mut socket = Socket::subscribed(addr, token, "log", "subscription { events { id } }", json!({})).await;
    tokio::time::sleep(Duration::from_millis(200)).await;

    let pid = server.id().unwrap().to_string();
    assert!(std::process::Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let (code, _) = socket.closed().await;
    assert_eq!(code, 1001);
    let status = tokio::time::timeout(Duration::from_secs(10), server.wait()).await.unwrap().unwrap();
    assert!(status.success(), "{status}");
}

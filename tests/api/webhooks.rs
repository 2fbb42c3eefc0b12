//! Webhooks: signed, durable, at-least-once delivery of what each webhook's scope may read.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::http::{HeaderMap, StatusCode};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::TimeDelta;
use hindsight_api::AppState;
use hindsight_api::webhooks::outbox;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::actions::{Crew, PUBLISH_QUERY, crew_configured, ready_but_for_actions};
use crate::harness::Session;

/// One request a receiver got.
#[derive(Debug, Clone)]
struct Received {
    id: String,
    timestamp: String,
    signature: String,
    body: String,
}

impl Received {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).expect("a JSON body")
    }
}

/// An HTTP receiver on port 0 that records every request and fails the first `failures`.
#[derive(Clone, Default)]
struct Receiver {
    got: Arc<Mutex<Vec<Received>>>,
    failures: Arc<AtomicUsize>,
}

impl Receiver {
    async fn start(failures: usize) -> (Self, String) {
        let receiver = Receiver { got: Arc::default(), failures: Arc::new(AtomicUsize::new(failures)) };
        let kept = receiver.clone();
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |headers: HeaderMap, body: String| {
                let kept = kept.clone();
                async move {
                    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
                    kept.got.lock().unwrap().push(Received {
                        id: header("webhook-id"),
                        timestamp: header("webhook-timestamp"),
                        signature: header("webhook-signature"),
                        body,
                    });
                    let fail =
                        kept.failures.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok();
                    if fail { (StatusCode::INTERNAL_SERVER_ERROR, "try later") } else { (StatusCode::NO_CONTENT, "") }
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr: SocketAddr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        (receiver, format!("http://{addr}/hook"))
    }

    fn got(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }
}

/// Verifies a Standard Webhooks signature with HMAC-SHA256 directly (not the server's signer):
/// whether any `v1` signature of the header matches `secret`.
fn signed_by(message: &Received, secret: &str) -> bool {
    let key = STANDARD.decode(secret.strip_prefix("whsec_").expect("a whsec_ secret")).expect("base64 secret");
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{}.{}.{}", message.id, message.timestamp, message.body).as_bytes());
    let expected = STANDARD.encode(mac.finalize().into_bytes());
    message.signature.split(' ').any(|part| part.strip_prefix("v1,") == Some(expected.as_str()))
}

fn allow_private(config: &mut hindsight_api::config::Config) {
    config.webhook_allow_private = true;
}

const CREATE: &str = "mutation($i: CreateWebhookInput!) { createWebhook(input: $i) { secret webhook { id url active eventKinds team { id } } } }";
const DELIVERIES: &str = "query($w: ID!) { node(id: $w) { ... on Webhook { deliveries { nodes { id messageId status attempts responseStatus lastError nextAttemptAt eventKind event { id kind } } } } } }";

/// Makes a webhook as `who`; answers its ID and secret.
async fn webhook(c: &Crew, who: &Session, input: Value) -> (String, String) {
    let made = c.run(who, CREATE, json!({ "i": input })).await;
    let made = &made.data()["createWebhook"];
    (made["webhook"]["id"].as_str().unwrap().to_owned(), made["secret"].as_str().unwrap().to_owned())
}

async fn deliveries(c: &Crew, who: &Session, webhook: &str) -> Vec<Value> {
    let answer = c.run(who, DELIVERIES, json!({ "w": webhook })).await;
    answer.data()["node"]["deliveries"]["nodes"].as_array().unwrap().clone()
}

async fn publish(c: &Crew) {
    ready_but_for_actions(c, &c.other).await;
    c.action("Add a dead-letter queue", &c.member).await;
    c.action("Alert on consumer retries", &c.lead).await;
    c.run(&c.lead, PUBLISH_QUERY, json!({ "r": c.review })).await.data();
}

async fn declare(c: &Crew, who: &Session, team: &str) -> String {
    let answer = c
        .run(
            who,
            "mutation($i: DeclareIncidentInput!) { declareIncident(input: $i) { id } }",
            json!({ "i": { "teamId": team, "title": "Checkout slow", "severity": "SEV3", "startedAt": chrono::Utc::now().to_rfc3339() } }),
        )
        .await;
    answer.data()["declareIncident"]["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_published_review_arrives_signed_and_verifies_independently() {
    let c = crew_configured(allow_private).await;
    let (receiver, url) = Receiver::start(0).await;
    let (id, secret) =
        webhook(&c, &c.admin, json!({ "url": url, "description": "chat bot", "eventKinds": ["REVIEW_PUBLISHED"] }))
            .await;
    assert!(secret.starts_with("whsec_"));
    publish(&c).await;
    outbox::run_once(&c.app.state).await.unwrap();

    let got = receiver.got();
    assert_eq!(got.len(), 1, "only the kind asked for: {got:?}");
    let message = &got[0];
    assert!(signed_by(message, &secret), "the signature verifies: {message:?}");
    assert!(!signed_by(message, &hindsight_api::webhooks::secrets::generate()));
    assert!(message.id.starts_with("msg_"));
    let now = chrono::Utc::now().timestamp();
    assert!((now - message.timestamp.parse::<i64>().unwrap()).abs() < 60, "a Unix timestamp of now");
    let body = message.json();
    assert_eq!(body["type"], "REVIEW_PUBLISHED");
    assert_eq!(body["data"]["kind"], "REVIEW_PUBLISHED");
    assert_eq!(body["data"]["subjectId"], c.review);
    assert_eq!(body["data"]["actorId"], c.lead.user_id);
    assert!(chrono::DateTime::parse_from_rfc3339(body["timestamp"].as_str().unwrap()).is_ok());
    // The reference library of the specification accepts it too.
    let mut headers = axum::http::HeaderMap::new();
    headers.insert("webhook-id", message.id.parse().unwrap());
    headers.insert("webhook-timestamp", message.timestamp.parse().unwrap());
    headers.insert("webhook-signature", message.signature.parse().unwrap());
    standardwebhooks::Webhook::new(&secret).unwrap().verify(message.body.as_bytes(), &headers).unwrap();

    let listed = deliveries(&c, &c.admin, &id).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["status"], "SUCCEEDED");
    assert_eq!(listed[0]["attempts"], 1);
    assert_eq!(listed[0]["responseStatus"], 204);
    assert_eq!(listed[0]["messageId"], message.id.as_str());
    assert_eq!(listed[0]["eventKind"], "REVIEW_PUBLISHED");
    assert_eq!(listed[0]["event"]["id"], body["data"]["id"]);
}

#[tokio::test]
async fn a_failing_receiver_gets_the_message_on_the_third_attempt_with_the_same_id() {
    let c = crew_configured(allow_private).await;
    let (receiver, url) = Receiver::start(2).await;
    let (id, _) = webhook(&c, &c.admin, json!({ "url": url, "eventKinds": ["INCIDENT_DECLARED"] })).await;
    let platform = c.platform.clone();
    declare(&c, &c.other, &platform).await;
    outbox::run_once(&c.app.state).await.unwrap();
    let first = &deliveries(&c, &c.admin, &id).await[0];
    assert_eq!((first["status"].as_str(), first["attempts"].as_i64()), (Some("PENDING"), Some(1)));
    assert_eq!(first["responseStatus"], 500);
    assert_eq!(first["lastError"], "HTTP 500: try later");
    // Not before the schedule's first wait (5 s) …
    outbox::run_once(&c.app.state).await.unwrap();
    assert_eq!(receiver.got().len(), 1);
    // … then after it, and after the second (5 min).
    c.app.state.clock.advance(TimeDelta::seconds(6));
    outbox::run_once(&c.app.state).await.unwrap();
    assert_eq!(receiver.got().len(), 2);
    c.app.state.clock.advance(TimeDelta::minutes(5));
    outbox::run_once(&c.app.state).await.unwrap();
    let got = receiver.got();
    assert_eq!(got.len(), 3);
    assert!(got.iter().all(|m| m.id == got[0].id && m.body == got[0].body), "one message, attempted three times");
    let done = &deliveries(&c, &c.admin, &id).await[0];
    assert_eq!((done["status"].as_str(), done["attempts"].as_i64()), (Some("SUCCEEDED"), Some(3)));
    assert_eq!(done["nextAttemptAt"], Value::Null);
}

#[tokio::test]
async fn a_delivery_outlives_a_server_restart_and_two_servers_deliver_each_message_once() {
    let c = crew_configured(allow_private).await;
    let (receiver, url) = Receiver::start(1).await;
    webhook(&c, &c.admin, json!({ "url": url, "eventKinds": ["INCIDENT_DECLARED"] })).await;
    let platform = c.platform.clone();
    declare(&c, &c.other, &platform).await;
    outbox::run_once(&c.app.state).await.unwrap();
    assert_eq!(receiver.got().len(), 1, "the first attempt failed");

    // Two fresh servers on the same database (the first one gone): the retry is delivered once.
    let config = (*c.app.state.config).clone();
    let (one, two) = (AppState::connect(config.clone()).await.unwrap(), AppState::connect(config).await.unwrap());
    for server in [&one, &two] {
        server.clock.advance(TimeDelta::seconds(6));
    }
    for _ in 0..20 {
        declare(&c, &c.other, &platform).await;
    }
    let (a, b) = tokio::join!(outbox::run_once(&one), outbox::run_once(&two));
    a.unwrap();
    b.unwrap();
    let (a, b) = tokio::join!(outbox::run_once(&one), outbox::run_once(&two));
    a.unwrap();
    b.unwrap();
    let got = receiver.got();
    let mut ids: Vec<_> = got.iter().skip(1).map(|m| m.id.clone()).collect();
    assert_eq!(ids.len(), 21, "the retried message and twenty new ones: {got:?}");
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 21, "each message once");
    assert!(got[1..].iter().any(|m| m.id == got[0].id), "the retry after the restart is the same message");
}

#[tokio::test]
async fn a_webhook_receives_what_its_scope_may_read_and_nothing_of_another_organization() {
    let c = crew_configured(allow_private).await;
    let (org_wide, org_url) = Receiver::start(0).await;
    let (platform_hook, platform_url) = Receiver::start(0).await;
    let (stranger_hook, stranger_url) = Receiver::start(0).await;
    webhook(&c, &c.admin, json!({ "url": org_url })).await;
    // The Platform team's webhook, made by an admin (Platform has no lead in the crew).
    webhook(&c, &c.admin, json!({ "url": platform_url, "teamId": c.platform })).await;
    let stranger = c.app.sign_up("Globex", "hank@globex.test").await;
    let made = c.run(&stranger, CREATE, json!({ "i": { "url": stranger_url } })).await;
    made.data();

    // Payments' draft review: the organization's webhook reads it, Platform's does not.
    c.run(
        &c.lead,
        "mutation($r: ID!) { updateReview(id: $r, input: { summary: \"Queue stuck\" }) { id } }",
        json!({ "r": c.review }),
    )
    .await
    .data();
    let platform = c.platform.clone();
    declare(&c, &c.other, &platform).await;
    outbox::run_once(&c.app.state).await.unwrap();
    let kinds =
        |r: &Receiver| r.got().iter().map(|m| m.json()["type"].as_str().unwrap().to_owned()).collect::<Vec<_>>();
    assert!(kinds(&org_wide).contains(&"REVIEW_UPDATED".to_owned()), "{:?}", kinds(&org_wide));
    assert!(kinds(&org_wide).contains(&"INCIDENT_DECLARED".to_owned()));
    assert_eq!(kinds(&platform_hook), ["INCIDENT_DECLARED"], "its own team's incident only");
    assert!(stranger_hook.got().is_empty(), "another organization's webhook hears nothing");

    // Published, the review is everyone's to read: Platform's webhook now hears about it.
    publish(&c).await;
    outbox::run_once(&c.app.state).await.unwrap();
    assert!(kinds(&platform_hook).contains(&"REVIEW_PUBLISHED".to_owned()), "{:?}", kinds(&platform_hook));
    assert!(stranger_hook.got().is_empty());
    // A person's sign-in events reach no webhook, not even an admin's.
    c.app
        .exec(
            Some(&c.member.token),
            "mutation($t: String!) { logout(refreshToken: $t) }",
            json!({ "t": c.member.refresh_token }),
        )
        .await
        .data();
    outbox::run_once(&c.app.state).await.unwrap();
    assert!(!kinds(&org_wide).contains(&"SIGNED_OUT".to_owned()));
}

#[tokio::test]
async fn who_may_make_see_and_change_webhooks() {
    let c = crew_configured(allow_private).await;
    let (_receiver, url) = Receiver::start(0).await;
    // A member makes none; a lead makes one for their team, not for another or for everyone.
    c.run(&c.member, CREATE, json!({ "i": { "url": url } })).await.assert_error("FORBIDDEN", None);
    c.run(&c.lead, CREATE, json!({ "i": { "url": url } })).await.assert_error("FORBIDDEN", None);
    c.run(&c.lead, CREATE, json!({ "i": { "url": url, "teamId": c.platform } })).await.assert_error("FORBIDDEN", None);
    let payments = c.app.exec(Some(&c.lead.token), "{ me { teams { team { id } } } }", json!({})).await;
    let payments = payments.data()["me"]["teams"][0]["team"]["id"].as_str().unwrap().to_owned();
    let (team_hook, _) = webhook(&c, &c.lead, json!({ "url": url, "teamId": payments })).await;
    let (org_hook, _) = webhook(&c, &c.admin, json!({ "url": url })).await;
    // An API token cannot make one (its secret is for a person to hand over).
    let token = c.app.api_token(&c.admin, "WRITE").await;
    c.app.exec(Some(&token), CREATE, json!({ "i": { "url": url } })).await.assert_error("FORBIDDEN", None);

    let list = "{ webhooks { totalCount nodes { id } } }";
    assert_eq!(c.run(&c.admin, list, json!({})).await.data()["webhooks"]["totalCount"], 2);
    assert_eq!(c.run(&c.lead, list, json!({})).await.data()["webhooks"]["nodes"], json!([{ "id": team_hook }]));
    assert_eq!(c.run(&c.member, list, json!({})).await.data()["webhooks"]["totalCount"], 0);
    let node = "query($w: ID!) { node(id: $w) { id } }";
    assert_eq!(c.run(&c.member, node, json!({ "w": team_hook })).await.data()["node"], Value::Null);
    assert_eq!(c.run(&c.lead, node, json!({ "w": org_hook })).await.data()["node"], Value::Null);

    let update = "mutation($w: ID!, $i: UpdateWebhookInput!) { updateWebhook(id: $w, input: $i) { active eventKinds description } }";
    c.run(&c.lead, update, json!({ "w": org_hook, "i": { "active": false } })).await.assert_error("NOT_FOUND", None);
    let stranger = c.app.sign_up("Globex", "hank@globex.test").await;
    c.run(&stranger, update, json!({ "w": team_hook, "i": { "active": false } })).await.assert_error("NOT_FOUND", None);
    let changed = c
        .run(
            &c.lead,
            update,
            json!({ "w": team_hook, "i": { "active": false, "eventKinds": ["ACTION_OVERDUE"], "description": "bot" } }),
        )
        .await;
    assert_eq!(
        changed.data()["updateWebhook"],
        json!({ "active": false, "eventKinds": ["ACTION_OVERDUE"], "description": "bot" })
    );
    c.run(&c.lead, "mutation($w: ID!) { pingWebhook(id: $w) { id } }", json!({ "w": team_hook }))
        .await
        .assert_error("INVALID_STATE", None);
    let personal = c
        .run(&c.lead, update, json!({ "w": team_hook, "i": { "eventKinds": ["ACTION_OVERDUE", "SIGNED_OUT"] } }))
        .await;
    personal.assert_error("BAD_USER_INPUT", Some("eventKinds"));
    assert_eq!(personal.errors()[0]["extensions"]["path"], json!(["input", "eventKinds", 1]));

    let delete = "mutation($w: ID!) { deleteWebhook(id: $w) }";
    c.run(&stranger, delete, json!({ "w": org_hook })).await.assert_error("NOT_FOUND", None);
    assert_eq!(c.run(&c.admin, delete, json!({ "w": org_hook })).await.data()["deleteWebhook"], org_hook);
    assert_eq!(c.run(&c.admin, list, json!({})).await.data()["webhooks"]["totalCount"], 1);
}

#[tokio::test]
async fn internal_addresses_are_refused_by_default_at_creation_and_at_every_attempt() {
    let c = crew_configured(|_| {}).await;
    for url in [
        "http://127.0.0.1:9000/hook",
        "http://localhost:8000/",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/",
        "http://10.0.0.7/hook",
        "ftp://example.com/",
    ] {
        let refused = c.run(&c.admin, CREATE, json!({ "i": { "url": url } })).await;
        refused.assert_error("BAD_USER_INPUT", Some("url"));
        assert_eq!(refused.errors()[0]["extensions"]["path"], json!(["input", "url"]), "{url}");
    }

    // A URL accepted where private addresses were allowed is still refused by a server that
    // does not allow them, when it connects (as a name that starts resolving inside would be).
    let open = crew_configured(allow_private).await;
    let (receiver, url) = Receiver::start(0).await;
    let (id, _) = webhook(&open, &open.admin, json!({ "url": url.replace("127.0.0.1", "localhost") })).await;
    let mut strict = (*open.app.state.config).clone();
    strict.webhook_allow_private = false;
    let strict = AppState::connect(strict).await.unwrap();
    let platform = open.platform.clone();
    declare(&open, &open.other, &platform).await;
    outbox::feed(&strict.db, &strict.clock).await.unwrap();
    outbox::deliver_due(&strict).await.unwrap();
    assert!(receiver.got().is_empty(), "nothing reached the internal address");
    let failed = &deliveries(&open, &open.admin, &id).await[0];
    assert_eq!(failed["status"], "PENDING");
    assert!(failed["lastError"].as_str().unwrap().contains("internal address"), "{failed}");
}

#[tokio::test]
async fn a_rotated_secret_signs_beside_the_new_one_for_a_day() {
    let c = crew_configured(allow_private).await;
    let (receiver, url) = Receiver::start(0).await;
    let (id, old) = webhook(&c, &c.admin, json!({ "url": url })).await;
    let rotated = c
        .run(
            &c.admin,
            "mutation($w: ID!) { rotateWebhookSecret(id: $w) { secret webhook { previousSecretExpiresAt } } }",
            json!({ "w": id }),
        )
        .await;
    let new = rotated.data()["rotateWebhookSecret"]["secret"].as_str().unwrap().to_owned();
    assert_ne!(new, old);
    assert!(rotated.data()["rotateWebhookSecret"]["webhook"]["previousSecretExpiresAt"].is_string());
    let ping = "mutation($w: ID!) { pingWebhook(id: $w) { status attempts responseStatus eventKind event { id } } }";
    let pinged = c.run(&c.admin, ping, json!({ "w": id })).await;
    assert_eq!(
        pinged.data()["pingWebhook"],
        json!({ "status": "SUCCEEDED", "attempts": 1, "responseStatus": 204, "eventKind": null, "event": null })
    );
    let message = receiver.got()[0].clone();
    assert_eq!(message.json()["type"], "PING");
    assert_eq!(message.json()["data"]["webhookId"], id);
    assert!(signed_by(&message, &old) && signed_by(&message, &new), "both secrets sign during the overlap");
    c.app.state.clock.advance(TimeDelta::hours(25));
    c.run(&c.admin, ping, json!({ "w": id })).await.data();
    let later = receiver.got()[1].clone();
    assert!(signed_by(&later, &new) && !signed_by(&later, &old), "the old secret stops after 24 hours");

    // A redelivery is the same message again.
    let delivery = deliveries(&c, &c.admin, &id).await[0]["id"].clone();
    let again = c
        .run(
            &c.admin,
            "mutation($d: ID!) { redeliverWebhookDelivery(id: $d) { status messageId } }",
            json!({ "d": delivery }),
        )
        .await;
    assert_eq!(again.data()["redeliverWebhookDelivery"]["status"], "SUCCEEDED");
    let got = receiver.got();
    assert_eq!(got[2].id, got[1].id);
    assert_eq!(got[2].body, got[1].body);

    // The secret is stored encrypted: the database alone cannot sign.
    use sea_orm::EntityTrait;
    let stored = entity::webhook::Entity::find().all(&c.app.state.db).await.unwrap();
    assert_eq!(stored.len(), 1);
    let columns = format!("{:?} {:?}", stored[0].secret, stored[0].previous_secret);
    assert!(!columns.contains(&new["whsec_".len()..]) && !columns.contains(&old["whsec_".len()..]), "{columns}");
}

#[tokio::test]
async fn a_webhook_that_fails_for_five_days_is_turned_off_with_an_event() {
    let c = crew_configured(|config| {
        config.webhook_allow_private = true;
        config.webhook_retry_schedule =
            hindsight_api::config::Schedule(vec![std::time::Duration::from_secs(86_400); 6]);
    })
    .await;
    let (receiver, url) = Receiver::start(usize::MAX).await;
    let (id, _) = webhook(&c, &c.admin, json!({ "url": url, "eventKinds": ["INCIDENT_DECLARED"] })).await;
    let platform = c.platform.clone();
    declare(&c, &c.other, &platform).await;
    for _ in 0..6 {
        outbox::run_once(&c.app.state).await.unwrap();
        c.app.state.clock.advance(TimeDelta::days(1) + TimeDelta::seconds(1));
    }
    assert_eq!(receiver.got().len(), 6);
    let hook = c
        .run(&c.admin, "query($w: ID!) { node(id: $w) { ... on Webhook { active failingSince } } }", json!({ "w": id }))
        .await;
    assert_eq!(hook.data()["node"]["active"], false, "{hook:?}");
    let history = c
        .run(&c.admin, "query($w: ID!) { history(subjectId: $w) { nodes { kind payload } } }", json!({ "w": id }))
        .await;
    assert_eq!(history.data()["history"]["nodes"][0]["kind"], "WEBHOOK_DEACTIVATED");
    // Off, it gets nothing more, and its last delivery waits.
    c.app.state.clock.advance(TimeDelta::days(2));
    outbox::run_once(&c.app.state).await.unwrap();
    assert_eq!(receiver.got().len(), 6);

    // With a schedule spent, a delivery is FAILED.
    let short = crew_configured(|config| {
        config.webhook_allow_private = true;
        config.webhook_retry_schedule = hindsight_api::config::Schedule(vec![std::time::Duration::from_secs(1)]);
    })
    .await;
    let (_failing, url) = Receiver::start(usize::MAX).await;
    let (id, _) = webhook(&short, &short.admin, json!({ "url": url, "eventKinds": ["INCIDENT_DECLARED"] })).await;
    let platform = short.platform.clone();
    declare(&short, &short.other, &platform).await;
    outbox::run_once(&short.app.state).await.unwrap();
    short.app.state.clock.advance(TimeDelta::seconds(2));
    outbox::run_once(&short.app.state).await.unwrap();
    let failed = &deliveries(&short, &short.admin, &id).await[0];
    assert_eq!((failed["status"].as_str(), failed["attempts"].as_i64()), (Some("FAILED"), Some(2)));
    assert_eq!(failed["nextAttemptAt"], Value::Null);
}

#[tokio::test]
async fn a_server_serving_http_delivers_by_itself() {
    let c = crew_configured(allow_private).await;
    let (receiver, url) = Receiver::start(0).await;
    webhook(&c, &c.admin, json!({ "url": url, "eventKinds": ["INCIDENT_DECLARED"] })).await;
    c.app.serve().await;
    let platform = c.platform.clone();
    declare(&c, &c.other, &platform).await;
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    while receiver.got().is_empty() && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(receiver.got().len(), 1, "the delivery loop sent it without being asked");
}

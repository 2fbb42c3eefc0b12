//! Subscriptions over a real WebSocket: the learning feed live, permission-filtered events,
//! resumable `events(after:)`, sockets that end with their token, the overdue scanner, slow
//! subscribers, and fan-out from one server to another sharing the database.

use std::time::Duration;

use entity::event;
use futures_util::{FutureExt, StreamExt};
use hindsight_api::events::scanner::{self, Scan};
use hindsight_api::ids::EventPosition;
use hindsight_api::{AppState, Application};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};

use crate::actions::{PUBLISH_QUERY, crew, ready_but_for_actions};
use crate::harness::{Socket, TestApp, test_config};

const LEARNING: &str = "subscription { learningPublished { id title status } }";
const EVENTS: &str =
    "subscription($after: ID, $kinds: [EventKind!]) { events(after: $after, kinds: $kinds) { id kind subjectId } }";
const RENAME_REVIEW: &str = "mutation($r: ID!, $t: String!) { updateReview(id: $r, input: { title: $t }) { id } }";
const CREATE_TEAM: &str = "mutation($n: String!) { createTeam(input: { name: $n }) { id } }";

/// Publishes the crew's review with two actions.
async fn publish(c: &crate::actions::Crew) {
    ready_but_for_actions(c, &c.other).await;
    c.action("Add a dead-letter queue", &c.member).await;
    c.action("Alert on consumer retries", &c.lead).await;
    c.run(&c.lead, PUBLISH_QUERY, json!({ "r": c.review })).await.data();
}

#[tokio::test]
async fn a_published_learning_reaches_other_teams_and_no_other_organization() {
    let c = crew().await;
    let addr = c.app.serve().await;
    let stranger = c.app.sign_up("Globex", "hank@globex.test").await;
    let mut reader = Socket::subscribed(addr, &c.other.token, "feed", LEARNING, json!({})).await;
    let mut outsider = Socket::subscribed(addr, &stranger.token, "feed", LEARNING, json!({})).await;
    // A subscription starts when its first message is handled: let both settle.
    tokio::time::sleep(Duration::from_millis(200)).await;

    publish(&c).await;
    let published = reader.next("feed").await;
    assert_eq!(published["data"]["learningPublished"]["id"], c.review, "{published}");
    assert_eq!(published["data"]["learningPublished"]["status"], "PUBLISHED");
    outsider.silent_for(Duration::from_secs(1)).await;
}

#[tokio::test]
async fn a_team_only_review_is_not_announced_to_the_organization() {
    let c = crew().await;
    let addr = c.app.serve().await;
    let mut reader = Socket::subscribed(addr, &c.other.token, "feed", LEARNING, json!({})).await;
    let mut team = Socket::subscribed(addr, &c.member.token, "feed", LEARNING, json!({})).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    c.run(
        &c.lead,
        "mutation($r: ID!) { updateReview(id: $r, input: { visibility: TEAM }) { id } }",
        json!({ "r": c.review }),
    )
    .await
    .data();
    publish(&c).await;
    reader.silent_for(Duration::from_secs(1)).await;
    team.silent_for(Duration::from_millis(200)).await;
}

#[tokio::test]
async fn a_draft_change_never_reaches_those_outside_the_draft() {
    let c = crew().await;
    let addr = c.app.serve().await;
    let mut outsider = Socket::subscribed(addr, &c.other.token, "log", EVENTS, json!({})).await;
    outsider
        .subscribe(
            "review",
            "subscription($r: ID!) { reviewChanged(reviewId: $r) { review { id } } }",
            json!({ "r": c.review }),
        )
        .await;
    let refused = outsider.next("review").await;
    assert_eq!(refused["errors"][0]["extensions"]["code"], "NOT_FOUND", "{refused}");
    let mut insider = Socket::subscribed(addr, &c.viewer.token, "log", EVENTS, json!({})).await;
    insider
        .subscribe(
            "review",
            "subscription($r: ID!) { reviewChanged(reviewId: $r) { event { kind } review { title } } }",
            json!({ "r": c.review }),
        )
        .await;
    tokio::time::sleep(Duration::from_millis(200)).await;

    c.run(&c.member, RENAME_REVIEW, json!({ "r": c.review, "t": "Refunds stuck behind a poison message" }))
        .await
        .data();
    let seen = insider.next("log").await;
    assert_eq!(seen["data"]["events"]["kind"], "REVIEW_UPDATED", "{seen}");
    assert_eq!(seen["data"]["events"]["subjectId"], c.review);
    let changed = insider.next("review").await;
    assert_eq!(changed["data"]["reviewChanged"]["event"]["kind"], "REVIEW_UPDATED");
    assert_eq!(changed["data"]["reviewChanged"]["review"]["title"], "Refunds stuck behind a poison message");

    // The outsider's first event is the next thing it may read, not the draft's change.
    c.run(&c.admin, CREATE_TEAM, json!({ "n": "Search" })).await.data();
    let first = outsider.next("log").await;
    assert_eq!(first["data"]["events"]["kind"], "TEAM_CREATED", "{first}");
}

#[tokio::test]
async fn events_resume_after_a_reconnect_with_nothing_missed_or_repeated() {
    let c = crew().await;
    let addr = c.app.serve().await;
    let mut socket =
        Socket::subscribed(addr, &c.member.token, "log", EVENTS, json!({ "kinds": ["REVIEW_UPDATED"] })).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let rename = |n: usize| c.run(&c.member, RENAME_REVIEW, json!({ "r": c.review, "t": format!("Title {n}") }));
    rename(1).await.data();
    rename(2).await.data();
    let first = socket.next("log").await["data"]["events"]["id"].clone();
    let last = socket.next("log").await["data"]["events"]["id"].clone();
    assert_ne!(first, last);
    drop(socket);

    // Changes while disconnected, then more while replaying and after.
    for n in 3..=5 {
        rename(n).await.data();
    }
    let mut socket =
        Socket::subscribed(addr, &c.member.token, "log", EVENTS, json!({ "kinds": ["REVIEW_UPDATED"], "after": last }))
            .await;
    let writer = async {
        for n in 6..=8 {
            rename(n).await.data();
        }
    };
    let reader = async {
        let mut ids = Vec::new();
        for _ in 3..=8 {
            ids.push(socket.next("log").await["data"]["events"]["id"].as_str().unwrap().to_owned());
        }
        ids
    };
    let ((), ids) = tokio::join!(writer, reader);
    socket.silent_for(Duration::from_millis(500)).await;

    let numbers: Vec<i64> = ids.iter().map(|id| sequence(id)).collect();
    assert!(numbers.windows(2).all(|w| w[0] < w[1]), "in order, each once: {numbers:?}");
    let logged = event::Entity::find()
        .filter(event::Column::Kind.eq("REVIEW_UPDATED"))
        .filter(event::Column::Sequence.gt(sequence(last.as_str().unwrap())))
        .count(&c.app.state.db)
        .await
        .unwrap();
    assert_eq!(logged, 6, "every change after the resume point arrived");
}

/// An event ID's place in its organization's log.
fn sequence(id: &str) -> i64 {
    match hindsight_api::ids::decode_event(id, "id").unwrap() {
        EventPosition::Sequence(sequence) => sequence,
        other => panic!("{id} is not an event ID of today's form: {other:?}"),
    }
}

#[tokio::test]
async fn an_event_id_given_before_each_organization_numbered_its_log_still_resumes() {
    let c = crew().await;
    let addr = c.app.serve().await;
    let rename = |n: usize| c.run(&c.member, RENAME_REVIEW, json!({ "r": c.review, "t": format!("Title {n}") }));
    rename(1).await.data();
    rename(2).await.data();
    rename(3).await.data();
    let renames = event::Entity::find()
        .filter(event::Column::Kind.eq("REVIEW_UPDATED"))
        .order_by_asc(event::Column::Sequence)
        .all(&c.app.state.db)
        .await
        .unwrap();
    // As a subscriber would hold the first rename's ID from before: its number in the shared log.
    let held =
        base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, format!("Event:{}", renames[0].id));
    let mut socket =
        Socket::subscribed(addr, &c.member.token, "log", EVENTS, json!({ "kinds": ["REVIEW_UPDATED"], "after": held }))
            .await;
    let second = socket.next("log").await["data"]["events"]["id"].as_str().unwrap().to_owned();
    let third = socket.next("log").await["data"]["events"]["id"].as_str().unwrap().to_owned();
    assert_eq!([sequence(&second), sequence(&third)], [renames[1].sequence, renames[2].sequence]);
    socket.silent_for(Duration::from_millis(300)).await;

    // Anything else is no event ID.
    let mut socket = Socket::subscribed(addr, &c.member.token, "log", EVENTS, json!({ "after": "RXZlbnQ6LTE" })).await;
    let refused = socket.next("log").await;
    assert_eq!(refused["errors"][0]["extensions"]["code"], "BAD_USER_INPUT", "{refused}");
}

#[tokio::test]
async fn an_expired_token_closes_the_socket() {
    let app = TestApp::with_config(|config| config.access_token_ttl = Duration::from_secs(2)).await;
    let admin = app.sign_up("Acme", "ada@acme.test").await;
    let addr = app.serve().await;
    let mut socket = Socket::subscribed(addr, &admin.token, "log", EVENTS, json!({})).await;
    let (code, reason) = socket.closed().await;
    assert_eq!(code, 4419, "{reason}: a session's token is refreshed, then the client reconnects");
    assert!(reason.contains("expired"), "{reason}");
}

#[tokio::test]
async fn signing_out_everywhere_closes_open_sockets() {
    let app = TestApp::new().await;
    let admin = app.sign_up("Acme", "ada@acme.test").await;
    let addr = app.serve().await;
    let mut socket = Socket::subscribed(addr, &admin.token, "log", EVENTS, json!({})).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    app.exec(Some(&admin.token), "mutation { logoutEverywhere }", json!({})).await.data();
    let (code, reason) = socket.closed().await;
    assert_eq!(code, 4401, "{reason}");
}

#[tokio::test]
async fn a_socket_must_sign_in() {
    let app = TestApp::new().await;
    let addr = app.serve().await;
    let answer = Socket::try_connect(addr, None).await;
    assert_ne!(answer["type"], "connection_ack", "{answer}");
}

#[tokio::test]
async fn the_overdue_scanner_announces_each_action_once() {
    let c = crew().await;
    let addr = c.app.serve().await;
    let action = c.action_due("Add a dead-letter queue", &c.member, 1).await;
    c.action("Alert on consumer retries", &c.lead).await;
    let mut owner = Socket::subscribed(
        addr,
        &c.member.token,
        "overdue",
        "subscription($o: ID) { actionOverdue(ownerId: $o) { id isOverdue daysOverdue } }",
        json!({ "o": c.member.user_id }),
    )
    .await;
    let mut outsider =
        Socket::subscribed(addr, &c.other.token, "overdue", "subscription { actionOverdue { id } }", json!({})).await;
    tokio::time::sleep(Duration::from_millis(200)).await;

    c.days_pass(4);
    // Three servers scanning at once announce it once.
    let (db, clock) = (&c.app.state.db, &c.app.state.clock);
    let (a, b, d) = tokio::join!(scanner::scan(db, clock), scanner::scan(db, clock), scanner::scan(db, clock));
    let announced: usize = [a, b, d].into_iter().map(|s| s.unwrap().overdue_actions).sum();
    assert_eq!(announced, 1);
    assert_eq!(scanner::scan(db, clock).await.unwrap(), Scan::default(), "nothing new to announce");
    c.app.state.hub.poke();

    let overdue = owner.next("overdue").await;
    assert_eq!(overdue["data"]["actionOverdue"], json!({ "id": action, "isOverdue": true, "daysOverdue": 3 }));
    owner.silent_for(Duration::from_millis(500)).await;
    outsider.silent_for(Duration::from_millis(200)).await;
    let logged = event::Entity::find().filter(event::Column::Kind.eq("ACTION_OVERDUE")).count(db).await.unwrap();
    assert_eq!(logged, 1);

    // A new due date that passes is announced again.
    c.run(
        &c.member,
        "mutation($a: ID!, $d: Date!) { rescheduleAction(id: $a, dueDate: $d, reason: \"Waiting on the vendor\") { id } }",
        json!({ "a": action, "d": (clock.today() + chrono::TimeDelta::days(1)).to_string() }),
    )
    .await
    .data();
    assert_eq!(scanner::scan(db, clock).await.unwrap().overdue_actions, 0, "not overdue any more");
    c.days_pass(2);
    assert_eq!(scanner::scan(db, clock).await.unwrap().overdue_actions, 1);
}

/// How many events of `kind` the log holds.
async fn logged(c: &crate::actions::Crew, kind: &str) -> u64 {
    event::Entity::find().filter(event::Column::Kind.eq(kind)).count(&c.app.state.db).await.unwrap()
}

#[tokio::test]
async fn every_deadline_is_announced_once_as_it_comes() {
    let c = crew().await;
    let addr = c.app.serve().await;
    // The review's meeting is due 48 hours after resolution (6 hours ago), its publication 7 days after.
    let mut owner = Socket::subscribed(
        addr,
        &c.member.token,
        "soon",
        "subscription($o: ID) { actionDueSoon(ownerId: $o) { id dueDate } }",
        json!({ "o": c.member.user_id }),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let soon = c.action_due("Add a dead-letter queue", &c.member, 2).await;
    let later = c.action_due("Alert on consumer retries", &c.member, 10).await;
    let (db, clock) = (&c.app.state.db, &c.app.state.clock);
    // Two scanners at once (beside the server's own) announce each deadline once.
    let scan_twice = || async {
        let (a, b) = tokio::join!(scanner::scan(db, clock), scanner::scan(db, clock));
        a.unwrap();
        b.unwrap();
    };
    let counts = || async {
        let mut counts = Vec::new();
        for kind in ["ACTION_DUE_SOON", "REVIEW_DUE_SOON", "REVIEW_LATE", "PUBLISH_LATE"] {
            counts.push(logged(&c, kind).await);
        }
        counts
    };
    scan_twice().await;
    assert_eq!(counts().await, [1, 0, 0, 0], "the action due in 2 days; the meeting is 42 hours away");
    c.app.state.hub.poke();
    assert_eq!(owner.next("soon").await["data"]["actionDueSoon"]["id"], soon);

    c.days_pass(1);
    scan_twice().await;
    assert_eq!(counts().await, [1, 1, 0, 0], "the meeting is due within a day");
    c.days_pass(1);
    scan_twice().await;
    assert_eq!(counts().await, [1, 1, 1, 0], "the meeting deadline passed on a draft");
    c.days_pass(6);
    // Day 8: the second action is 2 days from its date, the publication is late.
    scan_twice().await;
    assert_eq!(counts().await, [2, 1, 1, 1]);
    assert_eq!(scanner::scan(db, clock).await.unwrap(), Scan::default(), "nothing new to announce");
    let history = c
        .run(
            &c.lead,
            "query($s: ID!) { history(subjectId: $s, first: 100) { nodes { kind payload } } }",
            json!({ "s": c.review }),
        )
        .await;
    let late =
        history.data()["history"]["nodes"].as_array().unwrap().iter().find(|e| e["kind"] == "PUBLISH_LATE").cloned();
    let review = c.run(&c.lead, "query($r: ID!) { review(id: $r) { publishDueAt } }", json!({ "r": c.review })).await;
    let instant = |v: &Value| chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap()).unwrap();
    assert_eq!(instant(&late.unwrap()["payload"]["dueAt"]), instant(&review.data()["review"]["publishDueAt"]));
    assert_eq!(owner.next("soon").await["data"]["actionDueSoon"]["id"], later);

    // Counted in the metrics, over what the viewer may read.
    let metrics = c
        .run(
            &c.lead,
            "query($f: Date!, $t: Date!) { learningMetrics(from: $f, to: $t) { lateReviews latePublications } }",
            json!({ "f": (clock.today() - chrono::TimeDelta::days(30)).to_string(), "t": clock.today().to_string() }),
        )
        .await;
    assert_eq!(metrics.data()["learningMetrics"], json!({ "lateReviews": 1, "latePublications": 1 }));
}

#[tokio::test]
async fn the_deadline_windows_are_policy_settings() {
    let c = crew().await;
    let update = "mutation($i: ReviewPolicyInput!) { updateReviewPolicy(input: $i) { reviewPolicy { publishWithinDays actionDueSoonDays } } }";
    let bad = c.run(&c.admin, update, json!({ "i": { "publishWithinDays": 0, "actionDueSoonDays": 15 } })).await;
    let paths: Vec<Value> = bad.errors().iter().map(|e| e["extensions"]["path"].clone()).collect();
    assert_eq!(paths, [json!(["input", "publishWithinDays"]), json!(["input", "actionDueSoonDays"])], "{bad:?}");
    c.run(&c.member, update, json!({ "i": { "actionDueSoonDays": 5 } })).await.assert_error("FORBIDDEN", None);
    let set = c.run(&c.admin, update, json!({ "i": { "actionDueSoonDays": 5 } })).await;
    assert_eq!(
        set.data()["updateReviewPolicy"]["reviewPolicy"],
        json!({ "publishWithinDays": 7, "actionDueSoonDays": 5 })
    );
    c.action_due("Add a dead-letter queue", &c.member, 5).await;
    c.action_due("Alert on consumer retries", &c.member, 6).await;
    let scan = scanner::scan(&c.app.state.db, &c.app.state.clock).await.unwrap();
    assert_eq!(scan.actions_due_soon, 1, "5 days out is within the window, 6 is not");
}

#[tokio::test]
async fn a_follow_up_falling_due_is_announced_once() {
    let c = crew().await;
    publish(&c).await;
    let (db, clock) = (&c.app.state.db, &c.app.state.clock);
    assert_eq!(scanner::scan(db, clock).await.unwrap().follow_ups_due, 0, "not due yet");
    c.days_pass(22);
    let (a, b) = tokio::join!(scanner::scan(db, clock), scanner::scan(db, clock));
    assert_eq!(a.unwrap().follow_ups_due + b.unwrap().follow_ups_due, 1);
    let answer = c
        .run(
            &c.lead,
            "query($s: ID!) { history(subjectId: $s, first: 100) { edges { node { kind payload } } } }",
            json!({ "s": c.review }),
        )
        .await;
    let due: Vec<&Value> = answer.data()["history"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["node"]["kind"] == "FOLLOW_UP_DUE")
        .collect();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0]["node"]["payload"]["kind"], "SHORT_TERM");
}

#[tokio::test]
async fn action_changes_reach_readers_filtered_by_owner() {
    let c = crew().await;
    let addr = c.app.serve().await;
    let action = c.action("Add a dead-letter queue", &c.member).await;
    let mut owner = Socket::subscribed(
        addr,
        &c.member.token,
        "mine",
        "subscription($o: ID) { actionChanged(ownerId: $o) { event { kind } action { id status } } }",
        json!({ "o": c.member.user_id }),
    )
    .await;
    let mut outsider =
        Socket::subscribed(addr, &c.other.token, "all", "subscription { actionChanged { action { id } } }", json!({}))
            .await;
    tokio::time::sleep(Duration::from_millis(200)).await;

    c.action("Alert on consumer retries", &c.lead).await; // someone else's
    c.run(&c.member, "mutation($a: ID!) { startAction(id: $a) { id } }", json!({ "a": action })).await.data();
    let started = owner.next("mine").await;
    assert_eq!(started["data"]["actionChanged"]["event"]["kind"], "ACTION_STARTED", "{started}");
    assert_eq!(started["data"]["actionChanged"]["action"], json!({ "id": action, "status": "IN_PROGRESS" }));
    outsider.silent_for(Duration::from_millis(500)).await;
}

#[tokio::test]
async fn a_change_everyone_may_read_reaches_every_subscriber_and_a_draft_only_its_readers() {
    let c = crew().await;
    let addr = c.app.serve().await;
    publish(&c).await;
    let actions =
        c.run(&c.lead, "query($r: ID!) { review(id: $r) { actions { id } } }", json!({ "r": c.review })).await;
    let action = actions.data()["review"]["actions"][0]["id"].as_str().unwrap().to_owned();
    let stranger = c.app.sign_up("Globex", "hank@globex.test").await;
    let newcomer = c.app.invite_and_join(&c.admin, "newcomer@acme.test", "MEMBER").await;
    const ACTIONS: &str = "subscription { actionChanged { event { kind } action { id status } } }";
    const REVIEW: &str = "subscription($r: ID!) { reviewChanged(reviewId: $r) { event { kind } review { id } } }";
    let mut sockets = Vec::new();
    // A newcomer in no team reads the published review as anyone in the organization does;
    // the owner and the team's lead read it by their standing too.
    for who in [&newcomer, &c.member, &c.lead] {
        let mut socket = Socket::subscribed(addr, &who.token, "actions", ACTIONS, json!({})).await;
        socket.subscribe("log", EVENTS, json!({ "kinds": ["ACTION_STARTED"] })).await;
        socket.subscribe("review", REVIEW, json!({ "r": c.review })).await;
        sockets.push(socket);
    }
    let mut outsider = Socket::subscribed(addr, &stranger.token, "actions", ACTIONS, json!({})).await;
    tokio::time::sleep(Duration::from_millis(200)).await;

    c.run(&c.member, "mutation($a: ID!) { startAction(id: $a) { id } }", json!({ "a": action })).await.data();
    for socket in &mut sockets {
        let changed = socket.next("actions").await;
        assert_eq!(changed["data"]["actionChanged"]["event"]["kind"], "ACTION_STARTED", "{changed}");
        assert_eq!(changed["data"]["actionChanged"]["action"], json!({ "id": action, "status": "IN_PROGRESS" }));
        let logged = socket.next("log").await;
        assert_eq!(logged["data"]["events"]["subjectId"], action, "{logged}");
        let review = socket.next("review").await;
        assert_eq!(review["data"]["reviewChanged"]["review"]["id"], c.review, "{review}");
    }
    outsider.silent_for(Duration::from_millis(300)).await;

    // Reopened, the review is a draft of its team again: the newcomer hears nothing of it,
    // the team's lead does (each subscriber's own standing decides once not everyone may read).
    c.run(
        &c.lead,
        "mutation($r: ID!) { reopenReview(id: $r, reason: \"The fix did not hold\") { id } }",
        json!({ "r": c.review }),
    )
    .await
    .data();
    let reopened = sockets[2].next("review").await;
    assert_eq!(reopened["data"]["reviewChanged"]["event"]["kind"], "REVIEW_REOPENED", "{reopened}");
    c.run(&c.lead, RENAME_REVIEW, json!({ "r": c.review, "t": "Refunds stuck, again" })).await.data();
    let renamed = sockets[2].next("review").await;
    assert_eq!(renamed["data"]["reviewChanged"]["event"]["kind"], "REVIEW_UPDATED", "{renamed}");
    let renamed = sockets[1].next("review").await;
    assert_eq!(renamed["data"]["reviewChanged"]["event"]["kind"], "REVIEW_REOPENED", "{renamed}");
    assert_eq!(sockets[1].next("review").await["data"]["reviewChanged"]["event"]["kind"], "REVIEW_UPDATED");
    sockets[0].silent_for(Duration::from_millis(500)).await;
}

#[tokio::test]
async fn a_subscriber_that_falls_behind_is_dropped_with_a_reason() {
    let app = TestApp::with_config(|config| config.subscriber_buffer = 2).await;
    let admin = app.sign_up("Acme", "ada@acme.test").await;
    let auth = app.state.authenticate(Some(&format!("Bearer {}", admin.token))).await;
    let request = async_graphql::Request::new("subscription { events { id } }").data(auth);
    let mut stream = app.schema.execute_stream(request);
    // The first poll starts the subscription; nothing has happened yet.
    assert!(stream.next().now_or_never().is_none());
    for n in 0..6 {
        app.exec(Some(&admin.token), CREATE_TEAM, json!({ "n": format!("Team {n}") })).await.data();
    }
    // Under load, an event or two may have reached the subscriber before it fell behind; the
    // drop, with its reason, ends the stream.
    let mut answer = serde_json::Value::Null;
    for _ in 0..3 {
        let next = tokio::time::timeout(Duration::from_secs(10), stream.next()).await.unwrap().unwrap();
        answer = serde_json::to_value(&next).unwrap();
        if answer["errors"].is_array() {
            break;
        }
    }
    assert_eq!(answer["errors"][0]["extensions"]["code"], "SLOW_CONSUMER", "{answer}");
    assert!(stream.next().await.is_none(), "the subscription ends");
}

#[tokio::test]
async fn a_change_on_one_server_reaches_subscribers_of_another() {
    let c = crew().await;
    // A second server on the same database, as another instance behind a load balancer.
    let mut config = test_config(c.app.state.config.database_url.clone());
    if config.is_postgres() {
        // Only PostgreSQL's NOTIFY can wake it in time; SQLite servers share events by polling.
        config.event_poll_interval = Duration::from_secs(3600);
    } else {
        config.event_poll_interval = Duration::from_millis(100);
    }
    let state = AppState::connect(config).await.unwrap();
    let other_server = Application::bind(state).await.unwrap();
    let addr = other_server.local_addr();
    tokio::spawn(other_server.run_until(std::future::pending()));
    let mut reader = Socket::subscribed(addr, &c.other.token, "feed", LEARNING, json!({})).await;
    tokio::time::sleep(Duration::from_millis(200)).await;

    publish(&c).await; // on the first server
    let published = reader.next("feed").await;
    assert_eq!(published["data"]["learningPublished"]["id"], c.review, "{published}");
}

#[tokio::test]
async fn shutting_down_closes_open_sockets_with_a_close_frame() {
    let app = TestApp::new().await;
    let admin = app.sign_up("Acme", "ada@acme.test").await;
    let server = Application::bind(app.state.clone()).await.unwrap();
    let addr = server.local_addr();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(server.run_until(async {
        let _ = stopped.await;
    }));
    let mut socket = Socket::subscribed(addr, &admin.token, "log", EVENTS, json!({})).await;
    tokio::time::sleep(Duration::from_millis(200)).await;

    stop.send(()).unwrap();
    let (code, reason) = socket.closed().await;
    assert_eq!(code, 1001, "{reason}");
    running.await.unwrap().unwrap();
}

#[tokio::test]
async fn shutting_down_lets_requests_in_flight_finish() {
    use sea_orm::TransactionTrait;
    let app = TestApp::with_config(|config| config.db_pool_size = 1).await;
    let admin = app.sign_up("Acme", "ada@acme.test").await;
    let server = Application::bind(app.state.clone()).await.unwrap();
    let addr = server.local_addr();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(server.run_until(async {
        let _ = stopped.await;
    }));
    // Hold the only connection so that the request waits inside the server.
    let held = app.state.db.begin().await.unwrap();
    let request = tokio::spawn(
        reqwest::Client::new()
            .post(format!("http://{addr}/graphql"))
            .bearer_auth(&admin.token)
            .json(&json!({ "query": "{ me { email } }" }))
            .send(),
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.send(()).unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    held.rollback().await.unwrap();

    let response = request.await.unwrap().unwrap();
    assert_eq!(response.status(), 200);
    let answer: Value = response.json().await.unwrap();
    assert_eq!(answer["data"]["me"]["email"], "ada@acme.test", "{answer}");
    running.await.unwrap().unwrap();
}

#[tokio::test]
async fn older_clients_subscribe_with_graphql_ws() {
    use futures_util::SinkExt;
    use tokio_tungstenite::tungstenite::Message;
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;

    let c = crew().await;
    let addr = c.app.serve().await;
    let mut request = format!("ws://{addr}/graphql/ws").into_client_request().unwrap();
    request.headers_mut().insert("Sec-WebSocket-Protocol", "graphql-ws".parse().unwrap());
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    let mut send = async |message: Value| socket.send(Message::Text(message.to_string().into())).await.unwrap();
    send(json!({ "type": "connection_init", "payload": { "authorization": format!("Bearer {}", c.other.token) } }))
        .await;
    send(json!({ "id": "1", "type": "start", "payload": { "query": LEARNING } })).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    publish(&c).await;
    loop {
        let message = tokio::time::timeout(Duration::from_secs(10), socket.next()).await.unwrap().unwrap().unwrap();
        let Message::Text(text) = message else { continue };
        let message: Value = serde_json::from_str(&text).unwrap();
        if message["type"] == "data" {
            assert_eq!(message["payload"]["data"]["learningPublished"]["id"], c.review, "{message}");
            break;
        }
        assert!(matches!(message["type"].as_str(), Some("connection_ack" | "ka")), "{message}");
    }
}

#[tokio::test]
async fn revoking_an_api_token_closes_its_sockets() {
    let app = TestApp::new().await;
    let admin = app.sign_up("Acme", "ada@acme.test").await;
    let created = app
        .exec(
            Some(&admin.token),
            "mutation { createApiToken(name: \"feed\", scope: READ, currentPassword: \"correct horse battery\") { secret apiToken { id } } }",
            json!({}),
        )
        .await;
    let secret = created.data()["createApiToken"]["secret"].as_str().unwrap().to_owned();
    let token_id = created.data()["createApiToken"]["apiToken"]["id"].clone();
    let addr = app.serve().await;
    let mut socket = Socket::subscribed(addr, &secret, "feed", LEARNING, json!({})).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    app.exec(Some(&admin.token), "mutation($t: ID!) { revokeApiToken(id: $t) { id } }", json!({ "t": token_id }))
        .await
        .data();
    let (code, reason) = socket.closed().await;
    assert_eq!(code, 4401, "{reason}");
}

#[tokio::test]
async fn someones_sign_in_events_are_theirs_and_the_admins() {
    let c = crew().await;
    let addr = c.app.serve().await;
    let mut colleague = Socket::subscribed(addr, &c.other.token, "log", EVENTS, json!({})).await;
    let mut admin =
        Socket::subscribed(addr, &c.admin.token, "log", EVENTS, json!({ "kinds": ["SESSIONS_REVOKED"] })).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    c.run(&c.member, "mutation { logoutEverywhere }", json!({})).await.data();
    let seen = admin.next("log").await;
    assert_eq!(seen["data"]["events"]["kind"], "SESSIONS_REVOKED", "{seen}");
    c.run(&c.admin, CREATE_TEAM, json!({ "n": "Search" })).await.data();
    let first = colleague.next("log").await;
    assert_eq!(first["data"]["events"]["kind"], "TEAM_CREATED", "{first}");
    let history = "query($s: ID!) { history(subjectId: $s) { edges { node { kind } } } }";
    let theirs = c.run(&c.other, history, json!({ "s": c.member.user_id })).await;
    let kinds = theirs.data()["history"]["edges"].to_string();
    assert!(!kinds.contains("SESSIONS_REVOKED"), "{kinds}");
    let as_admin = c.run(&c.admin, history, json!({ "s": c.member.user_id })).await;
    assert!(as_admin.data()["history"]["edges"].to_string().contains("SESSIONS_REVOKED"));
}

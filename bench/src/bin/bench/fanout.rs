//! Subscription fan-out: how long one change takes to reach every subscriber (a published
//! review to `learningPublished` or the `events` log, a started action to `actionChanged`),
//! and what an idle subscriber costs in memory.

use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use chrono::{TimeDelta, Utc};
use futures_util::{SinkExt, StreamExt, stream};
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::client::{Client, Session, str_at};
use crate::process::Server;

/// The subscriptions a published review reaches: the learning feed, and the event log.
pub const LEARNING: &str = "subscription { learningPublished { id } }";
pub const EVENTS: &str = "subscription { events(kinds: [REVIEW_PUBLISHED]) { id } }";
/// The subscription a started action of a published review reaches.
pub const ACTIONS: &str = "subscription { actionChanged { event { id } action { id status } } }";
const PUBLISH: &str = "mutation($r: ID!) { publishReview(id: $r) { id status } }";
const START: &str = "mutation($r: ID!) { startAction(id: $r) { id status } }";

/// What a subscription's measure does to reach its subscribers, once per item.
pub enum Trigger {
    /// Publishes a review made ready by `ready_review`.
    Publish(String),
    /// Starts an open action (of a published review, so that everyone may read it).
    Start(String),
}

impl Trigger {
    async fn run(&self, client: &Client, session: &Session) -> anyhow::Result<()> {
        let (query, id, field, status) = match self {
            Trigger::Publish(review) => (PUBLISH, review, "publishReview", "PUBLISHED"),
            Trigger::Start(action) => (START, action, "startAction", "IN_PROGRESS"),
        };
        let answer = client.exec(Some(&session.token), query, json!({ "r": id })).await?;
        if answer[field]["status"] != status {
            bail!("{field} failed: {answer}");
        }
        Ok(())
    }
}

/// The actions of a review.
pub async fn actions_of(client: &Client, session: &Session, review: &str) -> anyhow::Result<Vec<String>> {
    let answer = client
        .exec(Some(&session.token), "query($r: ID!) { review(id: $r) { actions { id } } }", json!({ "r": review }))
        .await?;
    let actions = answer["review"]["actions"].as_array().context("the review's actions")?;
    actions.iter().map(|action| Ok(action["id"].as_str().context("an action's id")?.to_owned())).collect()
}
/// How long a publish may take to reach every subscriber before the missing ones count as lost.
const DELIVERY_LIMIT: Duration = Duration::from_secs(30);

pub struct Fanout {
    /// The subscription's field.
    pub subscription: &'static str,
    pub subscribers: usize,
    /// Receive time minus the change request's send time, one per subscriber and change.
    pub deliveries: Vec<Duration>,
    /// Deliveries that did not arrive within the limit.
    pub lost: usize,
    /// Changes made (each reaching every subscriber).
    pub changes: usize,
    /// Resident memory before the subscribers connected and once they all idled, subscribed.
    pub rss_before: u64,
    pub rss_subscribed: u64,
}

impl Fanout {
    pub fn bytes_per_subscriber(&self) -> f64 {
        (self.rss_subscribed as f64 - self.rss_before as f64) / self.subscribers as f64
    }
}

/// Makes a review ready to publish, in the seeded organization: `member` (a member of `team_id`)
/// declares and resolves a SEV1 incident and owns (and accepts) its two actions; `admin`
/// facilitates, fills in the review, submits it and agrees to its timeline. Returns the review's
/// ID.
pub async fn ready_review(
    client: &Client,
    admin: &Session,
    member: &Session,
    team_id: &str,
    n: usize,
) -> anyhow::Result<String> {
    let started = (Utc::now() - TimeDelta::hours(6)).to_rfc3339();
    let due = (Utc::now().date_naive() + TimeDelta::days(10)).to_string();
    let declared = client
        .exec(
            Some(&member.token),
            "mutation($i: DeclareIncidentInput!) { declareIncident(input: $i) { id } }",
            json!({ "i": { "teamId": team_id, "title": format!("Benchmark incident {n}"), "severity": "SEV1", "startedAt": started } }),
        )
        .await?;
    let incident = str_at(&declared, &["declareIncident", "id"])?;
    let resolved = client
        .exec(
            Some(&member.token),
            "mutation($i: ID!) { setIncidentStatus(id: $i, status: RESOLVED) { review { id } } }",
            json!({ "i": incident }),
        )
        .await?;
    let review = match str_at(&resolved, &["setIncidentStatus", "review", "id"]) {
        Ok(review) => review,
        // The organization's policy does not review SEV1 incidents by itself: start one.
        Err(_) => {
            let started = client
                .exec(
                    Some(&member.token),
                    "mutation($i: ID!) { startReview(incidentId: $i) { id } }",
                    json!({ "i": incident }),
                )
                .await?;
            str_at(&started, &["startReview", "id"])?
        }
    };
    let steps: [(&str, Value); 6] = [
        (
            "mutation($r: ID!, $u: ID!) { assignFacilitator(reviewId: $r, userId: $u) { id } }",
            json!({ "r": review, "u": admin.user_id }),
        ),
        (
            "mutation($r: ID!) { updateReview(id: $r, input: { summary: \"Refunds queued behind a poison message.\" }) { id } }",
            json!({ "r": review }),
        ),
        (
            "mutation($r: ID!, $at: DateTime!) { addTimelineEntry(reviewId: $r, input: { occurredAt: $at, event: \"Queue depth alert\" }) { id } }",
            json!({ "r": review, "at": started }),
        ),
        (
            "mutation($r: ID!) { setWhys(reviewId: $r, whys: [{ question: \"Why stuck?\", answer: \"A poison message blocked the queue.\" }, { question: \"Why blocked?\", answer: \"The consumer retries forever.\" }, { question: \"Why forever?\", answer: \"The consumer has no dead-letter queue.\" }]) { id } }",
            json!({ "r": review }),
        ),
        (
            "mutation($r: ID!) { addContributingFactor(reviewId: $r, input: { category: TECHNICAL, description: \"No dead-letter queue\" }) { id } }",
            json!({ "r": review }),
        ),
        ("mutation($r: ID!) { submitReview(id: $r) { id } }", json!({ "r": review })),
    ];
    for (query, variables) in steps {
        client.exec(Some(&admin.token), query, variables).await?;
    }
    for title in ["Add a dead-letter queue", "Alert on consumer retries"] {
        let created = client
            .exec(
                Some(&admin.token),
                "mutation($i: CreateActionInput!) { createAction(input: $i) { id } }",
                json!({ "i": { "reviewId": review, "title": title, "ownerId": member.user_id, "dueDate": due, "successMetric": "The queue drains within 5 minutes", "kind": "SYSTEMIC" } }),
            )
            .await?;
        // The owner accepts it, as the review policy asks before publishing.
        let action = str_at(&created, &["createAction", "id"])?;
        client
            .exec(Some(&member.token), "mutation($a: ID!) { acceptAction(id: $a) { id } }", json!({ "a": action }))
            .await?;
    }
    // The facilitator agrees to the timeline (the incident has no responder).
    client
        .exec(Some(&admin.token), "mutation($r: ID!) { agreeTimeline(reviewId: $r) { id } }", json!({ "r": review }))
        .await?;
    let readiness = client
        .exec(
            Some(&admin.token),
            "query($r: ID!) { review(id: $r) { readiness { ready unmet } } }",
            json!({ "r": review }),
        )
        .await?;
    if readiness["review"]["readiness"]["ready"] != true {
        bail!("the benchmark review is not ready to publish: {readiness}");
    }
    Ok(review)
}

/// The number of live subscriptions the server reports.
async fn subscriptions(client: &Client) -> anyhow::Result<f64> {
    let metrics = client.metrics().await?;
    metrics
        .lines()
        .find_map(|line| line.strip_prefix("hindsight_subscriptions "))
        .map(|value| value.trim().parse::<f64>())
        .transpose()?
        .context("no hindsight_subscriptions in /metrics")
}

/// Waits until the server's subscription count stops moving (and is at least `at_least`).
async fn subscriptions_settle(client: &Client, at_least: f64) -> anyhow::Result<f64> {
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut last = subscriptions(client).await?;
    loop {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let now = subscriptions(client).await?;
        if now == last && now >= at_least {
            return Ok(now);
        }
        if Instant::now() > deadline {
            bail!("subscriptions did not settle: {now} (expected at least {at_least})");
        }
        last = now;
    }
}

/// One subscriber: connects, signs in, subscribes, then reports the time each event arrives.
async fn subscriber(
    url: String,
    token: String,
    subscription: &'static str,
    arrivals: mpsc::UnboundedSender<Instant>,
) -> anyhow::Result<Subscribed> {
    let mut request = url.into_client_request()?;
    request.headers_mut().insert("Sec-WebSocket-Protocol", "graphql-transport-ws".parse()?);
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await?;
    let init = json!({ "type": "connection_init", "payload": { "authorization": format!("Bearer {token}") } });
    socket.send(Message::Text(init.to_string().into())).await?;
    loop {
        match socket.next().await.context("closed before connection_ack")?? {
            Message::Text(text) if serde_json::from_str::<Value>(&text)?["type"] == "connection_ack" => break,
            Message::Text(text) => bail!("expected connection_ack, got {text}"),
            Message::Close(frame) => bail!("closed before connection_ack: {frame:?}"),
            _ => {}
        }
    }
    let subscribe = json!({ "id": "1", "type": "subscribe", "payload": { "query": subscription } });
    socket.send(Message::Text(subscribe.to_string().into())).await?;
    let listen = tokio::spawn(async move {
        while let Some(Ok(message)) = socket.next().await {
            let Message::Text(text) = message else { continue };
            let at = Instant::now();
            let Ok(message) = serde_json::from_str::<Value>(&text) else { continue };
            match message["type"].as_str() {
                Some("next") => {
                    let _ = arrivals.send(at);
                }
                Some("ping") => {
                    let _ = socket.send(Message::Text(json!({ "type": "pong" }).to_string().into())).await;
                }
                _ => {}
            }
        }
    });
    Ok(Subscribed(listen))
}

/// A connected subscriber; dropping it closes the socket.
struct Subscribed(tokio::task::JoinHandle<()>);

impl Drop for Subscribed {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Opens `count` subscribers, measures the memory they take, then runs each trigger (as
/// `actor`) and times its arrival at every subscriber.
pub async fn measure(
    server: &Server,
    client: &Client,
    subscriber_token: &str,
    actor: &Session,
    subscription: &'static str,
    count: usize,
    triggers: &[Trigger],
) -> anyhow::Result<Fanout> {
    let baseline = subscriptions(client).await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss_before = server.rss()?.total;
    let url = format!("{}/graphql/ws", server.base.replacen("http://", "ws://", 1));
    let (arrivals, mut arrived) = mpsc::unbounded_channel();
    let connecting = stream::iter(0..count)
        .map(|_| subscriber(url.clone(), subscriber_token.to_owned(), subscription, arrivals.clone()))
        .buffer_unordered(64)
        .collect::<Vec<_>>()
        .await;
    let subscribers = connecting.into_iter().collect::<anyhow::Result<Vec<_>>>().context("a subscriber failed")?;
    subscriptions_settle(client, baseline + count as f64).await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss_subscribed = server.rss()?.total;

    let mut deliveries = Vec::with_capacity(count * triggers.len());
    let mut lost = 0;
    for trigger in triggers {
        while arrived.try_recv().is_ok() {}
        let sent = Instant::now();
        trigger.run(client, actor).await?;
        let deadline = tokio::time::Instant::now() + DELIVERY_LIMIT;
        let mut received = 0;
        while received < count {
            match tokio::time::timeout_at(deadline, arrived.recv()).await {
                Ok(Some(at)) => {
                    deliveries.push(at - sent);
                    received += 1;
                }
                _ => break,
            }
        }
        lost += count - received;
        // Let the server finish with this event before the next one.
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    drop(subscribers);
    subscriptions_settle_down(client, baseline).await;
    let subscription = match subscription {
        EVENTS => "events",
        ACTIONS => "actionChanged",
        _ => "learningPublished",
    };
    Ok(Fanout {
        subscription,
        subscribers: count,
        deliveries,
        lost,
        changes: triggers.len(),
        rss_before,
        rss_subscribed,
    })
}

/// Waits (at most 30 s) until the subscribers are gone from the server.
async fn subscriptions_settle_down(client: &Client, baseline: f64) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if subscriptions(client).await.is_ok_and(|now| now <= baseline) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

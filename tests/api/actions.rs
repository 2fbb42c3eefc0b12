//! Follow-through: owned, dated actions, their states, overdue queries and follow-ups.

use chrono::{TimeDelta, Utc};
use serde_json::{Value, json};

use crate::harness::{Answer, Cast, Org, Session, TestApp};

/// A resolved SEV1 with its draft review, a team with a lead, a member and a viewer, and a
/// second team with a member of its own.
pub struct Crew {
    pub app: TestApp,
    pub admin: Session,
    pub lead: Session,
    pub member: Session,
    pub viewer: Session,
    pub other: Session,
    pub platform: String,
    pub review: String,
}

pub async fn crew() -> Crew {
    crew_configured(|_| {}).await
}

/// The crew, served with a configuration changed from the tests' one.
pub async fn crew_configured(change: fn(&mut hindsight_api::config::Config)) -> Crew {
    let cast = Org::new()
        .configured(change)
        .team("Payments", &[("lead@acme.test", "LEAD"), ("member@acme.test", "MEMBER"), ("viewer@acme.test", "VIEWER")])
        .team("Platform", &[("other@acme.test", "MEMBER")])
        .build()
        .await;
    let (lead, member) = (cast.person("lead@acme.test"), cast.person("member@acme.test"));
    let (viewer, other) = (cast.person("viewer@acme.test"), cast.person("other@acme.test"));
    let (payments, platform) = (cast.team("Payments"), cast.team("Platform"));
    let Cast { app, admin, .. } = cast;
    let started = Utc::now() - TimeDelta::hours(6);
    let incident = app
        .exec(
            Some(&member.token),
            "mutation($i: DeclareIncidentInput!) { declareIncident(input: $i) { id } }",
            json!({ "i": { "teamId": payments, "title": "Refunds stuck", "severity": "SEV1", "startedAt": started.to_rfc3339() } }),
        )
        .await;
    let incident = incident.data()["declareIncident"]["id"].clone();
    let resolved = app
        .exec(
            Some(&member.token),
            "mutation($i: ID!) { setIncidentStatus(id: $i, status: RESOLVED) { review { id } } }",
            json!({ "i": incident }),
        )
        .await;
    let review = resolved.data()["setIncidentStatus"]["review"]["id"].as_str().unwrap().to_owned();
    Crew { app, admin, lead, member, viewer, other, platform, review }
}

pub fn in_days(days: i64) -> String {
    (Utc::now().date_naive() + TimeDelta::days(days)).to_string()
}

pub const CREATE: &str = "mutation($i: CreateActionInput!) { createAction(input: $i) { id status priority dueDate isOverdue daysOverdue version owner { id } team { slug } } }";
const ACTION: &str = "query($id: ID!) { node(id: $id) { ... on Action { id status version dueDate evidence dropReason completedAt dueDateChanges { from to reason changedBy { id } } } } }";

impl Crew {
    pub async fn run(&self, who: &Session, query: &str, variables: Value) -> Answer {
        self.app.exec(Some(&who.token), query, variables).await
    }

    pub fn input(&self, title: &str, owner: &Session, due: String) -> Value {
        json!({ "reviewId": self.review, "title": title, "ownerId": owner.user_id, "dueDate": due, "successMetric": "Refund queue drains within 5 minutes", "kind": "SYSTEMIC" })
    }

    /// Creates an action owned by `owner`, due in 10 days; returns its ID.
    pub async fn action(&self, title: &str, owner: &Session) -> String {
        self.action_due(title, owner, 10).await
    }

    /// Creates an action owned by `owner`, due in `days` days by the server's clock, and has
    /// its owner accept it (the member writes them; their own is accepted as written).
    pub async fn action_due(&self, title: &str, owner: &Session, days: i64) -> String {
        let id = self.unaccepted_action(title, owner, days).await;
        if owner.user_id != self.member.user_id {
            self.run(owner, "mutation($a: ID!) { acceptAction(id: $a) { id } }", json!({ "a": id })).await.data();
        }
        id
    }

    /// Creates an action owned by `owner`, due in `days` days, that its owner has not accepted
    /// (unless the owner is the member who writes it).
    pub async fn unaccepted_action(&self, title: &str, owner: &Session, days: i64) -> String {
        let due = (self.app.state.clock.today() + TimeDelta::days(days)).to_string();
        let answer = self.run(&self.member, CREATE, json!({ "i": self.input(title, owner, due) })).await;
        answer.data()["createAction"]["id"].as_str().unwrap().to_owned()
    }

    /// Lets `days` days pass on the server's clock.
    pub fn days_pass(&self, days: i64) {
        self.app.state.clock.advance(TimeDelta::days(days));
    }
}

#[tokio::test]
async fn an_action_has_an_owner_a_due_date_and_a_rank() {
    let c = crew().await;
    let first =
        c.run(&c.member, CREATE, json!({ "i": c.input("Alert on refund queue depth", &c.member, in_days(10)) })).await;
    let first = &first.data()["createAction"];
    assert_eq!(first["status"], "OPEN");
    assert_eq!(first["priority"], 1);
    assert_eq!(first["dueDate"], in_days(10));
    assert_eq!(first["isOverdue"], false);
    assert_eq!(first["daysOverdue"], 0);
    assert_eq!(first["team"]["slug"], "payments");
    let second =
        c.run(&c.member, CREATE, json!({ "i": c.input("Retry refunds idempotently", &c.lead, in_days(0)) })).await;
    assert_eq!(second.data()["createAction"]["priority"], 2);
    assert!(c.app.event_kinds().await.contains(&"ACTION_CREATED".to_owned()));
}

#[tokio::test]
async fn a_due_date_in_the_past_is_refused() {
    let c = crew().await;
    c.run(&c.member, CREATE, json!({ "i": c.input("Late", &c.member, in_days(-1)) }))
        .await
        .assert_error("BAD_USER_INPUT", Some("dueDate"));
}

#[tokio::test]
async fn a_due_date_beyond_the_policy_window_is_refused() {
    let c = crew().await;
    c.run(&c.member, CREATE, json!({ "i": c.input("Someday", &c.member, in_days(91)) }))
        .await
        .assert_error("BAD_USER_INPUT", Some("dueDate"));
    c.run(&c.member, CREATE, json!({ "i": c.input("In time", &c.member, in_days(90)) })).await.data();
    c.run(&c.admin, "mutation { updateReviewPolicy(input: { maxActionDueDays: 30 }) { id } }", json!({})).await.data();
    c.run(&c.member, CREATE, json!({ "i": c.input("Now too late", &c.member, in_days(31)) }))
        .await
        .assert_error("BAD_USER_INPUT", Some("dueDate"));
}

#[tokio::test]
async fn a_malformed_date_is_refused() {
    let c = crew().await;
    let answer = c.run(&c.member, CREATE, json!({ "i": c.input("Bad date", &c.member, "next tuesday".into()) })).await;
    answer.assert_error("BAD_USER_INPUT", None);
}

#[tokio::test]
async fn the_owner_must_be_a_member_of_the_responsible_team() {
    let c = crew().await;
    c.run(&c.member, CREATE, json!({ "i": c.input("Not theirs", &c.other, in_days(5)) }))
        .await
        .assert_error("BAD_USER_INPUT", Some("ownerId"));
}

#[tokio::test]
async fn a_viewer_cannot_own_an_action() {
    let c = crew().await;
    c.run(&c.member, CREATE, json!({ "i": c.input("Viewer's", &c.viewer, in_days(5)) }))
        .await
        .assert_error("BAD_USER_INPUT", Some("ownerId"));
}

#[tokio::test]
async fn a_deactivated_user_cannot_own_an_action() {
    let c = crew().await;
    c.run(&c.admin, "mutation($u: ID!) { deactivateUser(userId: $u) { id } }", json!({ "u": c.member.user_id }))
        .await
        .data();
    c.run(&c.lead, CREATE, json!({ "i": c.input("Gone", &c.member, in_days(5)) }))
        .await
        .assert_error("BAD_USER_INPUT", Some("ownerId"));
}

#[tokio::test]
async fn a_cross_team_action_is_owned_in_the_other_team_and_moved_by_its_owner() {
    let c = crew().await;
    let mut input = c.input("Platform adds queue autoscaling", &c.other, in_days(20));
    input["teamId"] = json!(c.platform);
    let created = c.run(&c.member, CREATE, json!({ "i": input })).await;
    let id = created.data()["createAction"]["id"].clone();
    assert_eq!(created.data()["createAction"]["team"]["slug"], "platform");
    // The owner cannot read the other team's draft review, yet moves their own action.
    c.run(&c.other, "mutation($a: ID!) { startAction(id: $a) { status } }", json!({ "a": id })).await.data();
    let done = c
        .run(
            &c.other,
            "mutation($a: ID!) { completeAction(id: $a, evidence: \"HPA merged, load test passed\") { status } }",
            json!({ "a": id }),
        )
        .await;
    assert_eq!(done.data()["completeAction"]["status"], "DONE");
}

#[tokio::test]
async fn completing_needs_evidence_and_dropping_needs_a_reason() {
    let c = crew().await;
    let id = c.action("Alert on refund queue depth", &c.member).await;
    c.run(&c.member, "mutation($a: ID!) { completeAction(id: $a, evidence: \"  \") { status } }", json!({ "a": id }))
        .await
        .assert_error("BAD_USER_INPUT", Some("evidence"));
    c.run(&c.member, "mutation($a: ID!) { dropAction(id: $a, reason: \"\") { status } }", json!({ "a": id }))
        .await
        .assert_error("BAD_USER_INPUT", Some("reason"));
    let dropped = c.run(&c.member, "mutation($a: ID!) { dropAction(id: $a, reason: \"Superseded by the queue redesign\") { status dropReason completedAt } }", json!({ "a": id })).await;
    let dropped = &dropped.data()["dropAction"];
    assert_eq!(dropped["status"], "WONT_DO");
    assert_eq!(dropped["dropReason"], "Superseded by the queue redesign");
    assert!(dropped["completedAt"].is_string());
}

#[tokio::test]
async fn rescheduling_needs_a_reason_and_is_kept_in_the_history() {
    let c = crew().await;
    let id = c.action("Alert on refund queue depth", &c.member).await;
    let reschedule =
        "mutation($a: ID!, $d: Date!, $r: String!) { rescheduleAction(id: $a, dueDate: $d, reason: $r) { dueDate } }";
    c.run(&c.member, reschedule, json!({ "a": id, "d": in_days(20), "r": " " }))
        .await
        .assert_error("BAD_USER_INPUT", Some("reason"));
    c.run(&c.member, reschedule, json!({ "a": id, "d": in_days(-2), "r": "oops" }))
        .await
        .assert_error("BAD_USER_INPUT", Some("dueDate"));
    c.run(&c.member, reschedule, json!({ "a": id, "d": in_days(20), "r": "Waiting for the vendor's API" }))
        .await
        .data();
    let answer = c.run(&c.member, ACTION, json!({ "id": id })).await;
    let node = &answer.data()["node"];
    assert_eq!(node["dueDate"], in_days(20));
    assert_eq!(
        node["dueDateChanges"],
        json!([{ "from": in_days(10), "to": in_days(20), "reason": "Waiting for the vendor's API", "changedBy": { "id": c.member.user_id } }])
    );
}

#[tokio::test]
async fn illegal_action_transitions_name_the_current_state() {
    let c = crew().await;
    let id = c.action("Alert on refund queue depth", &c.member).await;
    c.run(&c.member, "mutation($a: ID!) { startAction(id: $a) { status } }", json!({ "a": id })).await.data();
    let again = c.run(&c.member, "mutation($a: ID!) { startAction(id: $a) { status } }", json!({ "a": id })).await;
    again.assert_error("INVALID_STATE", None);
    assert!(again.message().contains("IN_PROGRESS"), "{}", again.message());
    c.run(
        &c.member,
        "mutation($a: ID!) { completeAction(id: $a, evidence: \"Dashboard link\") { status } }",
        json!({ "a": id }),
    )
    .await
    .data();
    for mutation in [
        "mutation($a: ID!) { startAction(id: $a) { status } }",
        "mutation($a: ID!) { dropAction(id: $a, reason: \"no\") { status } }",
        "mutation($a: ID!) { completeAction(id: $a, evidence: \"again\") { status } }",
    ] {
        let refused = c.run(&c.member, mutation, json!({ "a": id })).await;
        refused.assert_error("INVALID_STATE", None);
        assert!(refused.message().contains("DONE"), "{}", refused.message());
    }
}

#[tokio::test]
async fn a_stale_action_version_is_a_conflict() {
    let c = crew().await;
    let id = c.action("Alert on refund queue depth", &c.member).await;
    let update = "mutation($a: ID!, $t: String!, $v: Int) { updateAction(id: $a, input: { title: $t }, expectedVersion: $v) { title version } }";
    let first = c.run(&c.member, update, json!({ "a": id, "t": "Alert on queue depth and age", "v": 1 })).await;
    assert_eq!(first.data()["updateAction"]["version"], 2);
    c.run(&c.lead, update, json!({ "a": id, "t": "Stale", "v": 1 })).await.assert_error("CONFLICT", None);
}

#[tokio::test]
async fn ranking_needs_every_action_of_the_review_once() {
    let c = crew().await;
    let a = c.action("A", &c.member).await;
    let b = c.action("B", &c.member).await;
    let z = c.action("C", &c.lead).await;
    let rank = "mutation($r: ID!, $ids: [ID!]!) { rankActions(reviewId: $r, actionIds: $ids) { title priority } }";
    for ids in [json!([a, b]), json!([a, b, b]), json!([a, b, z, a])] {
        c.run(&c.member, rank, json!({ "r": c.review, "ids": ids }))
            .await
            .assert_error("BAD_USER_INPUT", Some("actionIds"));
    }
    let ranked = c.run(&c.member, rank, json!({ "r": c.review, "ids": [z, a, b] })).await;
    assert_eq!(
        ranked.data()["rankActions"],
        json!([{ "title": "C", "priority": 1 }, { "title": "A", "priority": 2 }, { "title": "B", "priority": 3 }])
    );
    c.run(&c.viewer, rank, json!({ "r": c.review, "ids": [a, b, z] })).await.assert_error("FORBIDDEN", None);
}

#[tokio::test]
async fn only_the_owner_leads_and_editors_move_an_action() {
    let c = crew().await;
    let id = c.action("Alert on refund queue depth", &c.member).await;
    // A viewer of the team reads it but may not move it; someone outside does not see it.
    c.run(&c.viewer, "mutation($a: ID!) { startAction(id: $a) { status } }", json!({ "a": id }))
        .await
        .assert_error("FORBIDDEN", None);
    c.run(&c.other, "mutation($a: ID!) { startAction(id: $a) { status } }", json!({ "a": id }))
        .await
        .assert_error("NOT_FOUND", None);
    let stranger = c.app.sign_up("Globex", "hank@globex.test").await;
    c.run(&stranger, "mutation($a: ID!) { completeAction(id: $a, evidence: \"x\") { status } }", json!({ "a": id }))
        .await
        .assert_error("NOT_FOUND", None);
    c.run(&c.lead, "mutation($a: ID!) { startAction(id: $a) { status } }", json!({ "a": id })).await.data();
}

#[tokio::test]
async fn reassigning_follows_the_ownership_rule() {
    let c = crew().await;
    let id = c.action("Alert on refund queue depth", &c.member).await;
    let reassign = "mutation($a: ID!, $o: ID!) { reassignAction(id: $a, ownerId: $o) { owner { id } } }";
    c.run(&c.lead, reassign, json!({ "a": id, "o": c.viewer.user_id }))
        .await
        .assert_error("BAD_USER_INPUT", Some("ownerId"));
    let answer = c.run(&c.lead, reassign, json!({ "a": id, "o": c.lead.user_id })).await;
    assert_eq!(answer.data()["reassignAction"]["owner"]["id"], c.lead.user_id);
}

/// Fills the review so that only its actions decide readiness, submits it, and has the
/// facilitator agree to its timeline.
pub async fn ready_but_for_actions(c: &Crew, facilitator: &Session) {
    let started = Utc::now() - TimeDelta::hours(5);
    for (query, variables) in [
        (
            "mutation($r: ID!, $u: ID!) { assignFacilitator(reviewId: $r, userId: $u) { id } }",
            json!({ "r": c.review, "u": facilitator.user_id }),
        ),
        (
            "mutation($r: ID!) { updateReview(id: $r, input: { summary: \"Refunds queued behind a poison message.\" }) { id } }",
            json!({ "r": c.review }),
        ),
        (
            "mutation($r: ID!, $at: DateTime!) { addTimelineEntry(reviewId: $r, input: { occurredAt: $at, event: \"Queue depth alert\" }) { id } }",
            json!({ "r": c.review, "at": started.to_rfc3339() }),
        ),
        (
            "mutation($r: ID!) { setWhys(reviewId: $r, whys: [{ question: \"Why stuck?\", answer: \"A poison message blocked the queue.\" }, { question: \"Why blocked?\", answer: \"The consumer retries forever.\" }, { question: \"Why forever?\", answer: \"The consumer has no dead-letter queue.\" }]) { id } }",
            json!({ "r": c.review }),
        ),
        (
            "mutation($r: ID!) { addContributingFactor(reviewId: $r, input: { category: TECHNICAL, description: \"No dead-letter queue\" }) { id } }",
            json!({ "r": c.review }),
        ),
        ("mutation($r: ID!) { submitReview(id: $r) { id } }", json!({ "r": c.review })),
    ] {
        c.run(&c.lead, query, variables).await.data();
    }
    // The facilitator agrees to the timeline (the incident had no responder).
    c.run(facilitator, "mutation($r: ID!) { agreeTimeline(reviewId: $r) { id } }", json!({ "r": c.review }))
        .await
        .data();
}

const READINESS: &str = "query($r: ID!) { review(id: $r) { readiness { ready unmet } } }";
pub const PUBLISH_QUERY: &str = "mutation($r: ID!) { publishReview(id: $r) { status } }";
const PUBLISH: &str = PUBLISH_QUERY;

#[tokio::test]
async fn publishing_needs_two_or_three_live_actions() {
    let c = crew().await;
    ready_but_for_actions(&c, &c.other).await;
    let first = c.action("Add a dead-letter queue", &c.member).await;
    let unmet = c.run(&c.lead, READINESS, json!({ "r": c.review })).await;
    assert_eq!(unmet.data()["review"]["readiness"]["ready"], false);
    assert!(unmet.data()["review"]["readiness"]["unmet"][0].as_str().unwrap().contains("between 2 and 3 actions"));
    let gaps = c
        .run(
            &c.lead,
            "query($r: ID!) { review(id: $r) { readiness { gaps { code message field } } } }",
            json!({ "r": c.review }),
        )
        .await;
    let gaps = &gaps.data()["review"]["readiness"]["gaps"];
    assert_eq!(gaps[0]["code"], "ACTIONS", "{gaps}");
    assert_eq!(gaps[0]["field"], "actions");
    let refused = c.run(&c.lead, PUBLISH, json!({ "r": c.review })).await;
    refused.assert_error("NOT_READY", None);
    assert_eq!(&refused.errors()[0]["extensions"]["gaps"], gaps, "the refusal lists the same gaps");
    let gaps = &refused.errors()[0]["extensions"]["gaps"];
    assert_eq!(gaps[0]["code"], "ACTIONS", "{gaps}");
    assert_eq!(gaps[0]["field"], "actions");
    assert!(gaps[0]["message"].as_str().unwrap().contains("between 2 and 3 actions"), "{gaps}");

    let second = c.action("Alert on consumer retries", &c.lead).await;
    let third = c.action("Bound consumer retries", &c.lead).await;
    let fourth = c.action("Chaos test poison messages", &c.member).await;
    assert_eq!(
        c.run(&c.lead, READINESS, json!({ "r": c.review })).await.data()["review"]["readiness"]["ready"],
        false,
        "four is too many"
    );
    c.run(
        &c.lead,
        "mutation($a: ID!) { dropAction(id: $a, reason: \"Folded into the DLQ work\") { status } }",
        json!({ "a": fourth }),
    )
    .await
    .data();
    assert_eq!(
        c.run(&c.lead, READINESS, json!({ "r": c.review })).await.data()["review"]["readiness"],
        json!({ "ready": true, "unmet": [] })
    );
    let _ = (first, second, third);
    assert_eq!(c.run(&c.lead, PUBLISH, json!({ "r": c.review })).await.data()["publishReview"]["status"], "PUBLISHED");
}

#[tokio::test]
async fn an_action_owned_by_a_deactivated_user_blocks_publishing() {
    let c = crew().await;
    ready_but_for_actions(&c, &c.other).await;
    c.action("Add a dead-letter queue", &c.member).await;
    c.action("Alert on consumer retries", &c.lead).await;
    c.run(&c.admin, "mutation($u: ID!) { deactivateUser(userId: $u) { id } }", json!({ "u": c.member.user_id }))
        .await
        .data();
    let unmet = c.run(&c.lead, READINESS, json!({ "r": c.review })).await;
    assert!(unmet.data()["review"]["readiness"]["unmet"][0].as_str().unwrap().contains("deactivated"), "{unmet:?}");
}

#[tokio::test]
async fn actions_of_a_published_review_keep_moving_but_keep_their_wording() {
    let c = crew().await;
    ready_but_for_actions(&c, &c.other).await;
    let id = c.action("Add a dead-letter queue", &c.member).await;
    c.action("Alert on consumer retries", &c.lead).await;
    c.run(&c.lead, PUBLISH, json!({ "r": c.review })).await.data();
    c.run(&c.member, "mutation($a: ID!) { startAction(id: $a) { status } }", json!({ "a": id })).await.data();
    c.run(
        &c.member,
        "mutation($a: ID!) { rescheduleAction(id: $a, dueDate: \"2099-01-01\", reason: \"x\") { id } }",
        json!({ "a": id }),
    )
    .await
    .assert_error("BAD_USER_INPUT", Some("dueDate"));
    c.run(
        &c.member,
        "mutation($a: ID!) { updateAction(id: $a, input: { title: \"Rewritten\" }) { id } }",
        json!({ "a": id }),
    )
    .await
    .assert_error("INVALID_STATE", None);
    let done = c
        .run(
            &c.member,
            "mutation($a: ID!) { completeAction(id: $a, evidence: \"DLQ live in all regions\") { status evidence } }",
            json!({ "a": id }),
        )
        .await;
    assert_eq!(done.data()["completeAction"], json!({ "status": "DONE", "evidence": "DLQ live in all regions" }));
    let markdown = c.run(&c.member, "query($r: ID!) { review(id: $r) { markdown } }", json!({ "r": c.review })).await;
    let markdown = markdown.data()["review"]["markdown"].as_str().unwrap().to_owned();
    assert!(markdown.contains("| Add a dead-letter queue | Invited Person | "), "{markdown}");
    assert!(markdown.contains("| DONE |"), "{markdown}");
}

#[tokio::test]
async fn overdue_actions_come_most_overdue_first() {
    let c = crew().await;
    c.action_due("Slightly late", &c.member, 19).await;
    c.action_due("Very late", &c.lead, 12).await;
    let done = c.action_due("Late but done", &c.member, 1).await;
    c.action_due("On time", &c.member, 30).await;
    c.days_pass(21);
    c.run(
        &c.member,
        "mutation($a: ID!) { completeAction(id: $a, evidence: \"shipped\") { id } }",
        json!({ "a": done }),
    )
    .await
    .data();

    let query =
        "query($o: ID) { overdueActions(ownerId: $o) { totalCount edges { node { title isOverdue daysOverdue } } } }";
    let answer = c.run(&c.viewer, query, json!({})).await;
    let overdue = &answer.data()["overdueActions"];
    assert_eq!(overdue["totalCount"], 2);
    assert_eq!(
        overdue["edges"],
        json!([
            { "node": { "title": "Very late", "isOverdue": true, "daysOverdue": 9 } },
            { "node": { "title": "Slightly late", "isOverdue": true, "daysOverdue": 2 } },
        ])
    );
    let mine = c.run(&c.viewer, query, json!({ "o": c.member.user_id })).await;
    assert_eq!(mine.data()["overdueActions"]["totalCount"], 1);
    let filtered = c.run(&c.viewer, "{ actions(filter: { overdue: true }) { totalCount } done: actions(filter: { status: [DONE] }) { totalCount } }", json!({})).await;
    assert_eq!(filtered.data()["actions"]["totalCount"], 2);
    assert_eq!(filtered.data()["done"]["totalCount"], 1);
    // Someone who may read none of it sees none of it.
    assert_eq!(c.run(&c.other, query, json!({})).await.data()["overdueActions"]["totalCount"], 0);
}

#[tokio::test]
async fn actions_page_by_due_date_with_cursors() {
    let c = crew().await;
    for (i, days) in [5, 1, 3, 1, 2].iter().enumerate() {
        let answer =
            c.run(&c.member, CREATE, json!({ "i": c.input(&format!("A{i}"), &c.member, in_days(*days)) })).await;
        answer.data();
    }
    let query = "query($a: String) { actions(first: 2, after: $a) { pageInfo { hasNextPage endCursor } edges { node { dueDate } } } }";
    let mut dates = Vec::new();
    let mut after = Value::Null;
    loop {
        let answer = c.run(&c.viewer, query, json!({ "a": after })).await;
        let page = answer.data()["actions"].clone();
        dates.extend(
            page["edges"].as_array().unwrap().iter().map(|e| e["node"]["dueDate"].as_str().unwrap().to_owned()),
        );
        if page["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(dates, [in_days(1), in_days(1), in_days(2), in_days(3), in_days(5)]);
}

#[tokio::test]
async fn a_read_token_queries_actions_but_does_not_move_them() {
    let c = crew().await;
    let id = c.action("Alert on refund queue depth", &c.member).await;
    let token = c.app.api_token(&c.member, "READ").await;
    let answer = c.app.exec(Some(&token), "{ actions { totalCount } overdueActions { totalCount } }", json!({})).await;
    assert_eq!(answer.data()["actions"]["totalCount"], 1);
    c.app
        .exec(Some(&token), "mutation($a: ID!) { startAction(id: $a) { status } }", json!({ "a": id }))
        .await
        .assert_error("FORBIDDEN", None);
}

const FOLLOW_UP: &str = "mutation($r: ID!, $k: FollowUpKind!) { recordFollowUp(reviewId: $r, input: { kind: $k, notes: \"No recurrence; DLQ caught two poison messages\", actionsEffective: YES, recurred: false }) { kind actionsEffective recurred } }";
const DUE: &str = "{ dueFollowUps { totalCount edges { node { id followUps { kind } } } } }";

#[tokio::test]
async fn follow_ups_are_recorded_on_published_reviews_once_per_kind() {
    let c = crew().await;
    c.run(&c.lead, FOLLOW_UP, json!({ "r": c.review, "k": "SHORT_TERM" })).await.assert_error("INVALID_STATE", None);
    ready_but_for_actions(&c, &c.other).await;
    c.action("Add a dead-letter queue", &c.member).await;
    c.action("Alert on consumer retries", &c.lead).await;
    c.run(&c.lead, PUBLISH, json!({ "r": c.review })).await.data();
    assert_eq!(c.run(&c.lead, DUE, json!({})).await.data()["dueFollowUps"]["totalCount"], 0, "not due yet");

    // Three weeks pass.
    c.days_pass(22);
    let due = c.run(&c.lead, DUE, json!({})).await;
    assert_eq!(due.data()["dueFollowUps"]["edges"][0]["node"]["id"], c.review);
    let recorded = c.run(&c.member, FOLLOW_UP, json!({ "r": c.review, "k": "SHORT_TERM" })).await;
    assert_eq!(
        recorded.data()["recordFollowUp"],
        json!({ "kind": "SHORT_TERM", "actionsEffective": "YES", "recurred": false })
    );
    c.run(&c.member, FOLLOW_UP, json!({ "r": c.review, "k": "SHORT_TERM" }))
        .await
        .assert_error("BAD_USER_INPUT", Some("kind"));
    assert_eq!(c.run(&c.lead, DUE, json!({})).await.data()["dueFollowUps"]["totalCount"], 0);
    c.run(&c.viewer, FOLLOW_UP, json!({ "r": c.review, "k": "LONG_TERM" })).await.assert_error("FORBIDDEN", None);
}

/// How many reviews `dueFollowUps` lists to the crew's lead.
async fn due_follow_ups(c: &Crew) -> Value {
    c.run(&c.lead, DUE, json!({})).await.data()["dueFollowUps"]["totalCount"].clone()
}

#[tokio::test]
async fn a_review_is_due_a_follow_up_until_both_are_recorded_in_either_order() {
    let c = crew().await;
    ready_but_for_actions(&c, &c.other).await;
    c.action("Add a dead-letter queue", &c.member).await;
    c.action("Alert on consumer retries", &c.lead).await;
    c.run(&c.lead, PUBLISH, json!({ "r": c.review })).await.data();
    // Past both dates (21 and 75 days): the long-term follow-up recorded first leaves the
    // short-term one due.
    c.days_pass(76);
    assert_eq!(due_follow_ups(&c).await, 1);
    c.run(&c.member, FOLLOW_UP, json!({ "r": c.review, "k": "LONG_TERM" })).await.data();
    assert_eq!(due_follow_ups(&c).await, 1, "the short-term follow-up is still missing");

    // Reviews published before the review kept its next follow-up date get it from the
    // follow-ups they have: the migration undone and applied again.
    c.app.migrate_again_from("m20261206_000020_next_follow_up").await;
    assert_eq!(due_follow_ups(&c).await, 1, "the short-term follow-up is still missing after the migration");

    // Reopened, it is not published; published again, its new short-term date is three weeks
    // away, and the long-term follow-up recorded before still counts.
    let reopen = "mutation($r: ID!) { reopenReview(id: $r, reason: \"the fix did not hold\") { status } }";
    c.run(&c.lead, reopen, json!({ "r": c.review })).await.data();
    assert_eq!(due_follow_ups(&c).await, 0, "a reopened review is not due");
    c.run(&c.lead, PUBLISH, json!({ "r": c.review })).await.data();
    assert_eq!(due_follow_ups(&c).await, 0, "published again, its follow-up dates are ahead");
    c.days_pass(22);
    assert_eq!(due_follow_ups(&c).await, 1);
    c.run(&c.member, FOLLOW_UP, json!({ "r": c.review, "k": "SHORT_TERM" })).await.data();
    assert_eq!(due_follow_ups(&c).await, 0, "both follow-ups are recorded");
    c.days_pass(80);
    assert_eq!(due_follow_ups(&c).await, 0, "nothing is due once both are recorded");
}

#[tokio::test]
async fn after_publishing_only_owners_leads_and_admins_move_actions() {
    let c = crew().await;
    ready_but_for_actions(&c, &c.other).await;
    let leads = c.action("Add a dead-letter queue", &c.lead).await;
    c.action("Alert on consumer retries", &c.lead).await;
    // Before publishing, any editor of the review may move it.
    c.run(&c.member, "mutation($a: ID!) { startAction(id: $a) { status } }", json!({ "a": leads })).await.data();
    c.run(&c.lead, PUBLISH, json!({ "r": c.review })).await.data();
    c.run(
        &c.member,
        "mutation($a: ID!) { dropAction(id: $a, reason: \"not mine\") { status } }",
        json!({ "a": leads }),
    )
    .await
    .assert_error("FORBIDDEN", None);
    let rank = "mutation($r: ID!, $ids: [ID!]!) { rankActions(reviewId: $r, actionIds: $ids) { id } }";
    let ids: Vec<Value> = c
        .run(&c.lead, "query($r: ID!) { review(id: $r) { actions { id } } }", json!({ "r": c.review }))
        .await
        .data()["review"]["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].clone())
        .collect();
    c.run(&c.lead, rank, json!({ "r": c.review, "ids": ids })).await.assert_error("INVALID_STATE", None);
    c.run(
        &c.lead,
        "mutation($a: ID!) { completeAction(id: $a, evidence: \"DLQ live\") { status } }",
        json!({ "a": leads }),
    )
    .await
    .data();
}

#[tokio::test]
async fn an_action_owner_of_another_team_reads_its_review() {
    let c = crew().await;
    let mut input = c.input("Platform adds queue autoscaling", &c.other, in_days(20));
    input["teamId"] = json!(c.platform);
    let created = c.run(&c.member, CREATE, json!({ "i": input })).await;
    let id = created.data()["createAction"]["id"].clone();
    let answer = c
        .run(
            &c.other,
            "query($a: ID!) { node(id: $a) { ... on Action { review { id incident { title } } } } }",
            json!({ "a": id }),
        )
        .await;
    assert_eq!(answer.data()["node"]["review"]["id"], c.review);
    assert_eq!(answer.data()["node"]["review"]["incident"]["title"], "Refunds stuck");
}

#[tokio::test]
async fn an_owner_who_left_the_responsible_team_blocks_publishing() {
    let c = crew().await;
    ready_but_for_actions(&c, &c.other).await;
    c.action("Add a dead-letter queue", &c.member).await;
    c.action("Alert on consumer retries", &c.lead).await;
    let team = c
        .run(&c.member, "query($r: ID!) { review(id: $r) { team { id } } }", json!({ "r": c.review }))
        .await
        .data()["review"]["team"]["id"]
        .clone();
    c.run(
        &c.admin,
        "mutation($t: ID!, $u: ID!) { updateTeamMember(teamId: $t, userId: $u, role: VIEWER) { role } }",
        json!({ "t": team, "u": c.member.user_id }),
    )
    .await
    .data();
    let unmet = c.run(&c.lead, READINESS, json!({ "r": c.review })).await;
    assert!(
        unmet.data()["review"]["readiness"]["unmet"][0].as_str().unwrap().contains("no longer a member"),
        "{unmet:?}"
    );
}

#[tokio::test]
async fn far_off_or_malformed_dates_are_bad_input() {
    let c = crew().await;
    for date in ["+262142-12-31", "2026-1-5", "99999-01-01"] {
        c.run(&c.member, CREATE, json!({ "i": c.input("Odd date", &c.member, date.into()) }))
            .await
            .assert_error("BAD_USER_INPUT", None);
        let metrics = "query($d: Date!) { learningMetrics(from: \"2026-01-01\", to: $d) { incidents } }";
        c.run(&c.member, metrics, json!({ "d": date })).await.assert_error("BAD_USER_INPUT", None);
    }
}

const VIEWER_CAN: &str = "query($r: ID!, $a: ID!) {
    review(id: $r) { viewerCan { edit submit returnToDraft publish reopen recordFollowUp } incident { viewerCan { edit changeStatus } } }
    action: node(id: $a) { ... on Action { viewerCan { edit move } } } }";

#[tokio::test]
async fn viewer_can_tells_a_ui_what_each_person_may_do_now() {
    let c = crew().await;
    let action = c.action("Add a dead-letter queue", &c.member).await;
    let can = |who: &Session| {
        let who = who.token.clone();
        let (app, review, action) = (&c.app, c.review.clone(), action.clone());
        async move { app.exec(Some(&who), VIEWER_CAN, json!({ "r": review, "a": action })).await.data().clone() }
    };
    // A draft: its team's members edit and submit; its viewer only reads.
    let member = can(&c.member).await;
    assert_eq!(
        member["review"]["viewerCan"],
        json!({ "edit": true, "submit": true, "returnToDraft": false, "publish": false, "reopen": false, "recordFollowUp": false })
    );
    assert_eq!(member["review"]["incident"]["viewerCan"], json!({ "edit": true, "changeStatus": true }));
    assert_eq!(member["action"]["viewerCan"], json!({ "edit": true, "move": true }));
    let viewer = can(&c.viewer).await;
    assert_eq!(
        viewer["review"]["viewerCan"],
        json!({ "edit": false, "submit": false, "returnToDraft": false, "publish": false, "reopen": false, "recordFollowUp": false })
    );
    assert_eq!(viewer["review"]["incident"]["viewerCan"], json!({ "edit": false, "changeStatus": false }));
    assert_eq!(viewer["action"]["viewerCan"], json!({ "edit": false, "move": false }));
    // A read-only token of a lead may do nothing.
    let token = c.app.api_token(&c.lead, "READ").await;
    let read_only = c.app.exec(Some(&token), VIEWER_CAN, json!({ "r": c.review, "a": action })).await;
    assert_eq!(read_only.data()["review"]["viewerCan"]["edit"], false);
    assert_eq!(read_only.data()["action"]["viewerCan"], json!({ "edit": false, "move": false }));

    // Published: leads reopen and anyone who edited records follow-ups; the owner still moves
    // the action but its wording is fixed.
    ready_but_for_actions(&c, &c.other).await;
    c.action("Alert on consumer retries", &c.lead).await;
    let in_review = can(&c.lead).await;
    assert_eq!(in_review["review"]["viewerCan"]["publish"], true, "{in_review}");
    assert_eq!(can(&c.member).await["review"]["viewerCan"]["publish"], false, "members do not publish");
    c.run(&c.lead, PUBLISH, json!({ "r": c.review })).await.data();
    let lead = can(&c.lead).await;
    assert_eq!(
        lead["review"]["viewerCan"],
        json!({ "edit": false, "submit": false, "returnToDraft": false, "publish": false, "reopen": true, "recordFollowUp": true })
    );
    let member = can(&c.member).await;
    assert_eq!(member["review"]["viewerCan"]["reopen"], false);
    assert_eq!(member["action"]["viewerCan"], json!({ "edit": false, "move": true }));
    // What viewerCan says matches what the server does.
    c.run(&c.member, "mutation($a: ID!) { startAction(id: $a) { status } }", json!({ "a": action })).await.data();
    c.run(
        &c.member,
        "mutation($r: ID!) { reopenReview(id: $r, reason: \"new facts\") { status } }",
        json!({ "r": c.review }),
    )
    .await
    .assert_error("FORBIDDEN", None);
}

const LINK: &str = "mutation($a: ID!, $i: ExternalIssueInput!) { linkActionIssue(actionId: $a, input: $i) { id externalIssue { provider key url } } }";
const UNLINK: &str = "mutation($a: ID!) { unlinkActionIssue(actionId: $a) { id externalIssue { key } } }";

#[tokio::test]
async fn an_action_is_linked_to_its_issue_and_found_by_it() {
    let c = crew().await;
    let linked = c.action("Add a dead-letter queue", &c.member).await;
    let other = c.action("Alert on consumer retries", &c.lead).await;
    let issue = json!({ "provider": "Jira", "key": "PAY-123", "url": "https://acme.atlassian.net/browse/PAY-123" });
    // Its owner links it; a viewer of the team may not.
    c.run(&c.viewer, LINK, json!({ "a": linked, "i": issue })).await.assert_error("FORBIDDEN", None);
    let answer = c.run(&c.member, LINK, json!({ "a": linked, "i": issue })).await;
    assert_eq!(
        answer.data()["linkActionIssue"]["externalIssue"],
        json!({ "provider": "jira", "key": "PAY-123", "url": "https://acme.atlassian.net/browse/PAY-123" })
    );
    // Every problem of a bad link at once.
    let bad = c
        .run(&c.member, LINK, json!({ "a": other, "i": { "provider": "my tracker!", "key": " ", "url": "ftp://x" } }))
        .await;
    let paths: Vec<Value> = bad.errors().iter().map(|e| e["extensions"]["path"].clone()).collect();
    assert_eq!(paths, [json!(["input", "provider"]), json!(["input", "key"]), json!(["input", "url"])], "{bad:?}");

    // A script finds the action a tracker's issue tracks in one query.
    let token = c.app.api_token(&c.admin, "READ").await;
    let find = "query($f: ActionFilter) { actions(filter: $f) { totalCount nodes { id } } }";
    let found =
        c.app.exec(Some(&token), find, json!({ "f": { "externalProvider": "JIRA", "externalKey": "PAY-123" } })).await;
    assert_eq!(found.data()["actions"]["nodes"], json!([{ "id": linked }]));
    for (linked_only, count) in [(true, 1), (false, 1)] {
        let answer = c.app.exec(Some(&token), find, json!({ "f": { "linked": linked_only } })).await;
        assert_eq!(answer.data()["actions"]["totalCount"], count);
    }
    let wrong = c.app.exec(Some(&token), find, json!({ "f": { "externalProvider": "not a name" } })).await;
    assert_eq!(wrong.errors()[0]["extensions"]["path"], json!(["filter", "externalProvider"]));

    // Linking is an event a tracker sync can follow.
    let history = c
        .run(&c.lead, "query($a: ID!) { history(subjectId: $a) { nodes { kind payload } } }", json!({ "a": linked }))
        .await;
    let event = history.data()["history"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "ACTION_ISSUE_LINKED")
        .cloned();
    let payload = &event.expect("a link event")["payload"];
    assert_eq!((payload["provider"].as_str(), payload["key"].as_str()), (Some("jira"), Some("PAY-123")));

    // A lead unlinks it; once.
    assert_eq!(
        c.run(&c.lead, UNLINK, json!({ "a": linked })).await.data()["unlinkActionIssue"]["externalIssue"],
        Value::Null
    );
    c.run(&c.lead, UNLINK, json!({ "a": linked })).await.assert_error("BAD_USER_INPUT", Some("actionId"));
    let stranger = c.app.sign_up("Globex", "hank@globex.test").await;
    c.run(&stranger, LINK, json!({ "a": linked, "i": issue })).await.assert_error("NOT_FOUND", None);
}

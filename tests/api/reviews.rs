//! The practice of a blameless review, through GraphQL: from a resolved incident to a
//! published write-up, with every rule that guards it.

use chrono::{TimeDelta, Utc};
use serde_json::{Value, json};

use crate::harness::{Answer, Cast, Org, Session, TestApp};

/// A team with a lead, a member (who responds), a viewer, and a facilitator from another team.
struct Scene {
    app: TestApp,
    admin: Session,
    lead: Session,
    member: Session,
    viewer: Session,
    facilitator: Session,
    outsider: Session,
    incident: String,
    started: chrono::DateTime<Utc>,
}

async fn scene() -> Scene {
    let cast = Org::new()
        .team("Payments", &[("lead@acme.test", "LEAD"), ("member@acme.test", "MEMBER"), ("viewer@acme.test", "VIEWER")])
        .team("Platform", &[("fran@acme.test", "MEMBER"), ("olga@acme.test", "MEMBER")])
        .build()
        .await;
    let (lead, member, viewer) =
        (cast.person("lead@acme.test"), cast.person("member@acme.test"), cast.person("viewer@acme.test"));
    let (facilitator, outsider) = (cast.person("fran@acme.test"), cast.person("olga@acme.test"));
    let payments = cast.team("Payments");
    let Cast { app, admin, .. } = cast;
    let started = Utc::now() - TimeDelta::hours(5);
    let declared = app
        .exec(
            Some(&member.token),
            "mutation($input: DeclareIncidentInput!) { declareIncident(input: $input) { id status } }",
            json!({ "input": {
                "teamId": payments, "title": "Card payments failing", "severity": "SEV1",
                "startedAt": started.to_rfc3339(), "detectedAt": (started + TimeDelta::minutes(10)).to_rfc3339(),
                "customerImpact": "12% of card payments failed for 40 minutes"
            } }),
        )
        .await;
    let incident = declared.data()["declareIncident"]["id"].as_str().unwrap().to_owned();
    app.exec(
        Some(&member.token),
        "mutation($i: ID!, $u: ID!) { addResponder(incidentId: $i, userId: $u) { id } }",
        json!({ "i": incident, "u": member.user_id }),
    )
    .await
    .data();
    Scene { app, admin, lead, member, viewer, facilitator, outsider, incident, started }
}

impl Scene {
    async fn status(&self, status: &str, at: chrono::DateTime<Utc>) -> Answer {
        self.app
            .exec(
                Some(&self.member.token),
                "mutation($i: ID!, $s: IncidentStatus!, $at: DateTime) { setIncidentStatus(id: $i, status: $s, at: $at) { status review { id status dueAt } } }",
                json!({ "i": self.incident, "s": status, "at": at.to_rfc3339() }),
            )
            .await
    }

    /// Mitigates and resolves the incident; returns the review it created.
    async fn resolve(&self) -> String {
        self.status("MITIGATED", self.started + TimeDelta::hours(1)).await.data();
        let resolved = self.status("RESOLVED", self.started + TimeDelta::hours(2)).await;
        resolved.data()["setIncidentStatus"]["review"]["id"]
            .as_str()
            .expect("resolving a SEV1 creates its review")
            .to_owned()
    }

    async fn run(&self, who: &Session, query: &str, variables: Value) -> Answer {
        self.app.exec(Some(&who.token), query, variables).await
    }

    /// Fills the review with everything publishing needs and submits it.
    async fn make_ready(&self, review: &str) {
        let who = &self.member;
        self.run(who, ASSIGN, json!({ "r": review, "u": self.facilitator.user_id })).await.data();
        self.run(
            who,
            UPDATE,
            json!({ "r": review, "i": {
                "summary": "A config push disabled the card processor's retry budget.",
                "wentWell": ["Alerting paged within 4 minutes"],
                "gotLucky": ["It happened outside the sales peak"],
                "learnings": ["Config pushes need the same canary as code"]
            } }),
        )
        .await
        .data();
        self.run(who, TIMELINE, json!({ "r": review, "i": { "occurredAt": (self.started + TimeDelta::minutes(5)).to_rfc3339(), "event": "Config push reached all regions", "kind": "FACT" } }))
            .await
            .data();
        self.run(
            who,
            WHYS,
            json!({ "r": review, "w": three_whys("The config pipeline has no canary stage for processor settings.") }),
        )
        .await
        .data();
        self.run(who, FACTOR, json!({ "r": review, "i": { "category": "TECHNICAL", "description": "No schema validation for retry settings" } })).await.data();
        for (title, owner) in [
            ("Add a canary stage for processor config", &self.member),
            ("Validate retry settings against a schema", &self.lead),
        ] {
            let created = self
                .run(
                    who,
                    CREATE_ACTION,
                    json!({ "i": {
                    "reviewId": review, "title": title, "ownerId": owner.user_id, "kind": "SYSTEMIC",
                    "dueDate": (Utc::now() + TimeDelta::days(14)).date_naive().to_string(),
                    "successMetric": "No processor config reaches all regions without a canary"
                } }),
                )
                .await;
            // Each owner says yes (the member wrote their own, which is a yes).
            let id = created.data()["createAction"]["id"].clone();
            self.run(owner, "mutation($a: ID!) { acceptAction(id: $a) { id } }", json!({ "a": id })).await.data();
        }
        self.run(who, "mutation($r: ID!) { submitReview(id: $r) { status } }", json!({ "r": review })).await.data();
        // The facilitator and the responder agree to the timeline.
        for agreeing in [&self.facilitator, &self.member] {
            self.run(agreeing, "mutation($r: ID!) { agreeTimeline(reviewId: $r) { id } }", json!({ "r": review }))
                .await
                .data();
        }
    }
}

fn three_whys(root: &str) -> Value {
    json!([
        { "question": "Why did payments fail?", "answer": "The processor client stopped retrying." },
        { "question": "Why did it stop retrying?", "answer": "Its retry budget was set to zero by a config push." },
        { "question": "Why could a push set it to zero?", "answer": root },
    ])
}

const REVIEW: &str = "query($r: ID!) { review(id: $r) { id status version readiness { ready unmet } rootCause isLate dueAt followUpAt longTermReviewAt publishedAt reopenReason facilitator { id } participants { role user { id } } timeline { event occurredAt } whys { position question answer } contributingFactors { category description } blamelessFindings { text reason hint blocking location } } }";
const ASSIGN: &str =
    "mutation($r: ID!, $u: ID!) { assignFacilitator(reviewId: $r, userId: $u) { facilitator { id } } }";
const UPDATE: &str = "mutation($r: ID!, $i: UpdateReviewInput!, $v: Int) { updateReview(id: $r, input: $i, expectedVersion: $v) { version summary visibility } }";
const TIMELINE: &str =
    "mutation($r: ID!, $i: TimelineEntryInput!) { addTimelineEntry(reviewId: $r, input: $i) { id occurredAt } }";
const WHYS: &str = "mutation($r: ID!, $w: [WhyInput!]!) { setWhys(reviewId: $r, whys: $w) { rootCause } }";
const FACTOR: &str =
    "mutation($r: ID!, $i: ContributingFactorInput!) { addContributingFactor(reviewId: $r, input: $i) { id } }";
const PUBLISH: &str = "mutation($r: ID!, $v: Int) { publishReview(id: $r, expectedVersion: $v) { status publishedAt followUpAt longTermReviewAt } }";
const CREATE_ACTION: &str = "mutation($i: CreateActionInput!) { createAction(input: $i) { id } }";
const PARTICIPANT: &str = "mutation($r: ID!, $u: ID!, $role: ReviewRole!) { addParticipant(reviewId: $r, userId: $u, role: $role) { participants { role } } }";

#[tokio::test]
async fn the_whole_practice_from_a_sev1_to_a_published_write_up() {
    let s = scene().await;
    let review = s.resolve().await;

    let answer = s.run(&s.member, REVIEW, json!({ "r": review })).await;
    let data = &answer.data()["review"];
    assert_eq!(data["status"], "DRAFT");
    let due: chrono::DateTime<Utc> = data["dueAt"].as_str().unwrap().parse().unwrap();
    let resolved = s.started + TimeDelta::hours(2);
    assert!((due - (resolved + TimeDelta::hours(48))).num_seconds().abs() <= 1, "due {due}, resolved {resolved}");
    let unmet = data["readiness"]["unmet"].as_array().unwrap();
    assert_eq!(data["readiness"]["ready"], false);
    for needle in ["summary", "facilitator", "timeline", "why", "contributing factor", "actions"] {
        assert!(
            unmet.iter().any(|u| u.as_str().unwrap().to_lowercase().contains(needle)),
            "{needle} missing from {unmet:?}"
        );
    }

    s.run(&s.member, PARTICIPANT, json!({ "r": review, "u": s.member.user_id, "role": "RESPONDER" })).await.data();
    s.run(&s.member, PARTICIPANT, json!({ "r": review, "u": s.lead.user_id, "role": "OBSERVER" })).await.data();
    s.run(
        &s.member,
        "mutation($r: ID!, $t: String!) { parkQuestion(reviewId: $r, text: $t) { id } }",
        json!({ "r": review, "t": "Was the push reviewed?" }),
    )
    .await
    .data();
    s.make_ready(&review).await;

    // Publishing is refused while a parked question is open.
    let refused = s.run(&s.facilitator, PUBLISH, json!({ "r": review })).await;
    refused.assert_error("NOT_READY", None);
    assert!(refused.message().contains("parked question"), "{}", refused.message());
    let questions =
        s.run(&s.member, "query($r: ID!) { review(id: $r) { parkedQuestions { id } } }", json!({ "r": review })).await;
    let question = questions.data()["review"]["parkedQuestions"][0]["id"].clone();
    s.run(&s.member, "mutation($q: ID!) { answerParkedQuestion(id: $q, answer: \"Yes, but the diff hid the value\") { answeredAt } }", json!({ "q": question }))
        .await
        .data();

    let ready = s.run(&s.member, REVIEW, json!({ "r": review })).await;
    assert_eq!(ready.data()["review"]["readiness"], json!({ "ready": true, "unmet": [] }));
    let published = s.run(&s.facilitator, PUBLISH, json!({ "r": review })).await;
    let published = &published.data()["publishReview"];
    assert_eq!(published["status"], "PUBLISHED");
    let at: chrono::DateTime<Utc> = published["publishedAt"].as_str().unwrap().parse().unwrap();
    let follow_up: chrono::DateTime<Utc> = published["followUpAt"].as_str().unwrap().parse().unwrap();
    let long_term: chrono::DateTime<Utc> = published["longTermReviewAt"].as_str().unwrap().parse().unwrap();
    assert_eq!((follow_up - at).num_days(), 21);
    assert_eq!((long_term - at).num_days(), 75);

    let markdown = s.run(&s.outsider, "query($r: ID!) { review(id: $r) { markdown } }", json!({ "r": review })).await;
    let markdown = markdown.data()["review"]["markdown"].as_str().unwrap().to_owned();
    for section in [
        "# Card payments failing",
        "## Summary",
        "## Timeline",
        "| Time (UTC) |",
        "Config push reached all regions",
        "## Five whys",
        "**Root cause:** The config pipeline has no canary stage",
        "## Contributing factors",
        "### Technical",
        "## What went well",
        "Alerting paged within 4 minutes",
        "## Where we got lucky",
        "## Learnings",
        "## Actions",
        "| Action | Owner | Due date | Success metric | Status |",
        "| Add a canary stage for processor config | Invited Person |",
        "## Follow-up",
    ] {
        assert!(markdown.contains(section), "`{section}` missing from:\n{markdown}");
    }
    let kinds = s.app.event_kinds().await;
    for kind in ["REVIEW_CREATED", "FACILITATOR_ASSIGNED", "WHYS_SET", "REVIEW_SUBMITTED", "REVIEW_PUBLISHED"] {
        assert!(kinds.contains(&kind.to_owned()), "{kind} missing");
    }
}

#[tokio::test]
async fn a_responder_cannot_facilitate() {
    let s = scene().await;
    let review = s.resolve().await;
    s.run(&s.lead, ASSIGN, json!({ "r": review, "u": s.member.user_id }))
        .await
        .assert_error("BAD_USER_INPUT", Some("userId"));
}

#[tokio::test]
async fn the_facilitator_cannot_be_made_a_responder() {
    let s = scene().await;
    let review = s.resolve().await;
    s.run(&s.lead, ASSIGN, json!({ "r": review, "u": s.facilitator.user_id })).await.data();
    s.run(
        &s.lead,
        "mutation($i: ID!, $u: ID!) { addResponder(incidentId: $i, userId: $u) { id } }",
        json!({ "i": s.incident, "u": s.facilitator.user_id }),
    )
    .await
    .assert_error("BAD_USER_INPUT", Some("userId"));
    for role in ["RESPONDER", "CHANGE_AUTHOR"] {
        s.run(&s.lead, PARTICIPANT, json!({ "r": review, "u": s.facilitator.user_id, "role": role }))
            .await
            .assert_error("BAD_USER_INPUT", Some("role"));
    }
    // Other roles are fine.
    s.run(&s.lead, PARTICIPANT, json!({ "r": review, "u": s.facilitator.user_id, "role": "NOTE_TAKER" })).await.data();
}

#[tokio::test]
async fn a_change_author_cannot_facilitate() {
    let s = scene().await;
    let review = s.resolve().await;
    s.run(&s.lead, PARTICIPANT, json!({ "r": review, "u": s.outsider.user_id, "role": "CHANGE_AUTHOR" })).await.data();
    s.run(&s.lead, ASSIGN, json!({ "r": review, "u": s.outsider.user_id }))
        .await
        .assert_error("BAD_USER_INPUT", Some("userId"));
}

#[tokio::test]
async fn a_human_error_root_cause_blocks_publishing() {
    let s = scene().await;
    let review = s.resolve().await;
    s.make_ready(&review).await;
    s.run(&s.member, WHYS, json!({ "r": review, "w": three_whys("Human error: the operator typed zero.") }))
        .await
        .data();
    let answer = s.run(&s.member, REVIEW, json!({ "r": review })).await;
    let data = &answer.data()["review"];
    assert_eq!(data["readiness"]["ready"], false);
    assert!(data["readiness"]["unmet"][0].as_str().unwrap().contains("human error"));
    let blocking: Vec<_> =
        data["blamelessFindings"].as_array().unwrap().iter().filter(|f| f["blocking"] == true).collect();
    assert_eq!(blocking.len(), 1, "{data:#}");
    assert_eq!(blocking[0]["location"], "rootCause");
    assert_eq!(blocking[0]["text"].as_str().unwrap().to_lowercase(), "human error");
    s.run(&s.lead, PUBLISH, json!({ "r": review })).await.assert_error("NOT_READY", None);
}

#[tokio::test]
async fn a_short_why_chain_blocks_publishing() {
    let s = scene().await;
    let review = s.resolve().await;
    s.make_ready(&review).await;
    s.run(&s.member, WHYS, json!({ "r": review, "w": [{ "question": "Why?", "answer": "No canary for config." }] }))
        .await
        .data();
    let refused = s.run(&s.lead, PUBLISH, json!({ "r": review })).await;
    refused.assert_error("NOT_READY", None);
    assert!(refused.message().contains("at least 3"), "{}", refused.message());
}

#[tokio::test]
async fn a_stale_version_is_a_conflict_and_changes_nothing() {
    let s = scene().await;
    let review = s.resolve().await;
    let first = s.run(&s.member, UPDATE, json!({ "r": review, "i": { "summary": "First" }, "v": 1 })).await;
    assert_eq!(first.data()["updateReview"]["version"], 2);
    s.run(&s.member, UPDATE, json!({ "r": review, "i": { "summary": "Stale" }, "v": 1 }))
        .await
        .assert_error("CONFLICT", None);
    let now = s.run(&s.member, "query($r: ID!) { review(id: $r) { summary version } }", json!({ "r": review })).await;
    assert_eq!(now.data()["review"], json!({ "summary": "First", "version": 2 }));
    s.make_ready(&review).await;
    s.run(&s.lead, PUBLISH, json!({ "r": review, "v": 2 })).await.assert_error("CONFLICT", None);
}

#[tokio::test]
async fn of_two_concurrent_writers_with_the_same_version_exactly_one_wins() {
    let s = scene().await;
    let review = s.resolve().await;
    let (a, b) = tokio::join!(
        s.run(&s.member, UPDATE, json!({ "r": review, "i": { "summary": "Writer A" }, "v": 1 })),
        s.run(&s.lead, UPDATE, json!({ "r": review, "i": { "summary": "Writer B" }, "v": 1 })),
    );
    let won = [&a, &b].iter().filter(|x| x.errors().is_empty()).count();
    assert_eq!(won, 1, "a: {a:?}\nb: {b:?}");
    let lost = if a.errors().is_empty() { &b } else { &a };
    assert_eq!(lost.code(), "CONFLICT");
    let now = s.run(&s.member, "query($r: ID!) { review(id: $r) { version } }", json!({ "r": review })).await;
    assert_eq!(now.data()["review"]["version"], 2);
}

#[tokio::test]
async fn a_published_review_is_read_only_until_reopened() {
    let s = scene().await;
    let review = s.resolve().await;
    s.make_ready(&review).await;
    s.run(&s.lead, PUBLISH, json!({ "r": review })).await.data();
    s.run(&s.member, UPDATE, json!({ "r": review, "i": { "summary": "Edited later" } }))
        .await
        .assert_error("INVALID_STATE", None);
    s.run(&s.member, TIMELINE, json!({ "r": review, "i": { "occurredAt": s.started.to_rfc3339(), "event": "late" } }))
        .await
        .assert_error("INVALID_STATE", None);
    s.run(&s.member, WHYS, json!({ "r": review, "w": three_whys("changed") }))
        .await
        .assert_error("INVALID_STATE", None);

    let reopen = "mutation($r: ID!, $why: String!) { reopenReview(id: $r, reason: $why) { status reopenReason } }";
    s.run(&s.member, reopen, json!({ "r": review, "why": "new facts" })).await.assert_error("FORBIDDEN", None);
    s.run(&s.lead, reopen, json!({ "r": review, "why": "  " })).await.assert_error("BAD_USER_INPUT", Some("reason"));
    let reopened = s.run(&s.lead, reopen, json!({ "r": review, "why": "The vendor sent new logs" })).await;
    assert_eq!(
        reopened.data()["reopenReview"],
        json!({ "status": "IN_REVIEW", "reopenReason": "The vendor sent new logs" })
    );
    s.run(&s.member, UPDATE, json!({ "r": review, "i": { "summary": "Edited after reopening" } })).await.data();
}

#[tokio::test]
async fn illegal_review_transitions_name_the_current_state() {
    let s = scene().await;
    let review = s.resolve().await;
    let publish = s.run(&s.lead, PUBLISH, json!({ "r": review })).await;
    publish.assert_error("INVALID_STATE", None);
    assert!(publish.message().contains("DRAFT"), "{}", publish.message());
    let back = s.run(&s.lead, "mutation($r: ID!) { returnToDraft(id: $r) { status } }", json!({ "r": review })).await;
    back.assert_error("INVALID_STATE", None);
    s.run(&s.lead, "mutation($r: ID!) { submitReview(id: $r) { status } }", json!({ "r": review })).await.data();
    let again = s.run(&s.lead, "mutation($r: ID!) { submitReview(id: $r) { status } }", json!({ "r": review })).await;
    again.assert_error("INVALID_STATE", None);
    assert!(again.message().contains("IN_REVIEW"), "{}", again.message());
    let answer = s.run(&s.lead, "mutation($r: ID!) { returnToDraft(id: $r) { status } }", json!({ "r": review })).await;
    assert_eq!(answer.data()["returnToDraft"]["status"], "DRAFT");
}

#[tokio::test]
async fn a_team_viewer_reads_but_cannot_edit() {
    let s = scene().await;
    let review = s.resolve().await;
    s.run(&s.viewer, REVIEW, json!({ "r": review })).await.data();
    s.run(&s.viewer, UPDATE, json!({ "r": review, "i": { "summary": "mine" } })).await.assert_error("FORBIDDEN", None);
    s.run(&s.viewer, FACTOR, json!({ "r": review, "i": { "category": "PROCESS", "description": "x" } }))
        .await
        .assert_error("FORBIDDEN", None);
}

#[tokio::test]
async fn a_member_edits_but_only_leads_facilitators_and_admins_publish() {
    let s = scene().await;
    let review = s.resolve().await;
    s.make_ready(&review).await;
    s.run(&s.member, PUBLISH, json!({ "r": review })).await.assert_error("FORBIDDEN", None);
    s.run(&s.facilitator, PUBLISH, json!({ "r": review })).await.data();
}

#[tokio::test]
async fn the_facilitator_edits_a_review_of_another_team() {
    let s = scene().await;
    let review = s.resolve().await;
    s.run(&s.lead, ASSIGN, json!({ "r": review, "u": s.facilitator.user_id })).await.data();
    s.run(&s.facilitator, UPDATE, json!({ "r": review, "i": { "summary": "Facilitated" } })).await.data();
    // Someone else of that other team is not part of it.
    s.run(&s.outsider, UPDATE, json!({ "r": review, "i": { "summary": "Nope" } }))
        .await
        .assert_error("NOT_FOUND", None);
}

#[tokio::test]
async fn drafts_are_private_to_the_team_participants_and_affected_teams() {
    let s = scene().await;
    let review = s.resolve().await;
    let hidden = s.run(&s.outsider, REVIEW, json!({ "r": review })).await;
    assert_eq!(hidden.data()["review"], Value::Null);
    let incident = s.run(&s.outsider, "query($i: ID!) { incident(id: $i) { id } }", json!({ "i": s.incident })).await;
    assert_eq!(incident.data()["incident"], Value::Null);
    s.run(&s.outsider, "query($r: ID!) { history(subjectId: $r) { totalCount } }", json!({ "r": review }))
        .await
        .assert_error("NOT_FOUND", None);

    // A participant reads it.
    s.run(&s.lead, PARTICIPANT, json!({ "r": review, "u": s.outsider.user_id, "role": "OBSERVER" })).await.data();
    assert_eq!(s.run(&s.outsider, REVIEW, json!({ "r": review })).await.data()["review"]["id"], review);
}

#[tokio::test]
async fn members_of_an_affected_team_read_the_draft() {
    let s = scene().await;
    let review = s.resolve().await;
    let platform =
        s.run(&s.admin, "{ teams { edges { node { id slug } } } }", json!({})).await.data()["teams"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["node"]["slug"] == "platform")
            .unwrap()["node"]["id"]
            .clone();
    s.run(
        &s.lead,
        "mutation($i: ID!, $t: [ID!]!) { setAffectedTeams(incidentId: $i, teamIds: $t) { id } }",
        json!({ "i": s.incident, "t": [platform] }),
    )
    .await
    .data();
    assert_eq!(s.run(&s.outsider, REVIEW, json!({ "r": review })).await.data()["review"]["id"], review);
    // Reading is not editing.
    s.run(&s.outsider, UPDATE, json!({ "r": review, "i": { "summary": "x" } })).await.assert_error("FORBIDDEN", None);
}

#[tokio::test]
async fn a_published_org_review_is_read_by_everyone_and_a_team_one_is_not() {
    let s = scene().await;
    let review = s.resolve().await;
    s.make_ready(&review).await;
    s.run(&s.lead, UPDATE, json!({ "r": review, "i": { "visibility": "TEAM" } })).await.data();
    s.run(&s.lead, PUBLISH, json!({ "r": review })).await.data();
    assert_eq!(s.run(&s.outsider, REVIEW, json!({ "r": review })).await.data()["review"], Value::Null);
    let reopen = "mutation($r: ID!) { reopenReview(id: $r, reason: \"share it\") { status } }";
    s.run(&s.lead, reopen, json!({ "r": review })).await.data();
    s.run(&s.lead, UPDATE, json!({ "r": review, "i": { "visibility": "ORG" } })).await.data();
    s.run(&s.lead, PUBLISH, json!({ "r": review })).await.data();
    assert_eq!(s.run(&s.outsider, REVIEW, json!({ "r": review })).await.data()["review"]["status"], "PUBLISHED");
}

#[tokio::test]
async fn another_organization_reads_nothing() {
    let s = scene().await;
    let review = s.resolve().await;
    s.make_ready(&review).await;
    s.run(&s.lead, PUBLISH, json!({ "r": review })).await.data();
    let stranger = s.app.sign_up("Globex", "hank@globex.test").await;
    let answer = s
        .app
        .exec(
            Some(&stranger.token),
            "query($r: ID!, $i: ID!) { review(id: $r) { id } incident(id: $i) { id } node(id: $r) { id } }",
            json!({ "r": review, "i": s.incident }),
        )
        .await;
    assert_eq!(answer.data(), &json!({ "review": null, "incident": null, "node": null }));
    s.app
        .exec(Some(&stranger.token), UPDATE, json!({ "r": review, "i": { "summary": "x" } }))
        .await
        .assert_error("NOT_FOUND", None);
    s.app
        .exec(Some(&stranger.token), "query($r: ID!) { history(subjectId: $r) { totalCount } }", json!({ "r": review }))
        .await
        .assert_error("NOT_FOUND", None);
    let incidents = s.app.exec(Some(&stranger.token), "{ incidents { totalCount } }", json!({})).await;
    assert_eq!(incidents.data()["incidents"]["totalCount"], 0);
}

#[tokio::test]
async fn the_timeline_is_chronological_and_its_times_are_checked() {
    let s = scene().await;
    let review = s.resolve().await;
    for (minutes, event) in [(30, "third"), (10, "first"), (20, "second")] {
        s.run(&s.member, TIMELINE, json!({ "r": review, "i": { "occurredAt": (s.started + TimeDelta::minutes(minutes)).to_rfc3339(), "event": event } }))
            .await
            .data();
    }
    let answer = s.run(&s.member, REVIEW, json!({ "r": review })).await;
    let events: Vec<_> = answer.data()["review"]["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(events, ["first", "second", "third"]);

    let future = (Utc::now() + TimeDelta::hours(1)).to_rfc3339();
    s.run(&s.member, TIMELINE, json!({ "r": review, "i": { "occurredAt": future, "event": "later" } }))
        .await
        .assert_error("BAD_USER_INPUT", Some("occurredAt"));
    let too_early = (s.started - TimeDelta::days(8)).to_rfc3339();
    s.run(&s.member, TIMELINE, json!({ "r": review, "i": { "occurredAt": too_early, "event": "ages ago" } }))
        .await
        .assert_error("BAD_USER_INPUT", Some("occurredAt"));
    let early_enough = (s.started - TimeDelta::days(6)).to_rfc3339();
    s.run(
        &s.member,
        TIMELINE,
        json!({ "r": review, "i": { "occurredAt": early_enough, "event": "the risky change merged" } }),
    )
    .await
    .data();
    s.run(
        &s.member,
        TIMELINE,
        json!({ "r": review, "i": { "occurredAt": s.started.to_rfc3339(), "event": "x", "sourceUrl": "ftp://logs" } }),
    )
    .await
    .assert_error("BAD_USER_INPUT", Some("sourceUrl"));
}

#[tokio::test]
async fn timeline_entries_are_updated_and_removed() {
    let s = scene().await;
    let review = s.resolve().await;
    let added = s
        .run(
            &s.member,
            TIMELINE,
            json!({ "r": review, "i": { "occurredAt": s.started.to_rfc3339(), "event": "Alert fired" } }),
        )
        .await;
    let entry = added.data()["addTimelineEntry"]["id"].clone();
    let update =
        "mutation($e: ID!, $i: TimelineEntryInput!) { updateTimelineEntry(id: $e, input: $i) { event kind decision } }";
    let updated = s
        .run(&s.member, update, json!({ "e": entry, "i": { "occurredAt": s.started.to_rfc3339(), "event": "Alert fired in #payments", "kind": "SIGNAL", "decision": "Paged on-call" } }))
        .await;
    assert_eq!(
        updated.data()["updateTimelineEntry"],
        json!({ "event": "Alert fired in #payments", "kind": "SIGNAL", "decision": "Paged on-call" })
    );
    s.run(&s.viewer, "mutation($e: ID!) { removeTimelineEntry(id: $e) }", json!({ "e": entry }))
        .await
        .assert_error("FORBIDDEN", None);
    s.run(&s.member, "mutation($e: ID!) { removeTimelineEntry(id: $e) }", json!({ "e": entry })).await.data();
    let answer = s.run(&s.member, REVIEW, json!({ "r": review })).await;
    assert_eq!(answer.data()["review"]["timeline"], json!([]));
}

#[tokio::test]
async fn links_must_be_http_or_https() {
    let s = scene().await;
    let review = s.resolve().await;
    let add = "mutation($r: ID!, $u: String!) { addLink(reviewId: $r, title: \"Dashboard\", url: $u) { url } }";
    s.run(&s.member, add, json!({ "r": review, "u": "javascript:alert(1)" }))
        .await
        .assert_error("BAD_USER_INPUT", Some("url"));
    s.run(&s.member, add, json!({ "r": review, "u": "https://grafana.example/d/payments" })).await.data();
    let links =
        s.run(&s.member, "query($r: ID!) { review(id: $r) { links { title url } } }", json!({ "r": review })).await;
    assert_eq!(
        links.data()["review"]["links"],
        json!([{ "title": "Dashboard", "url": "https://grafana.example/d/payments" }])
    );
}

#[tokio::test]
async fn contributing_factors_are_added_and_removed() {
    let s = scene().await;
    let review = s.resolve().await;
    let added = s
        .run(
            &s.member,
            FACTOR,
            json!({ "r": review, "i": { "category": "COMMUNICATION", "description": "Status page updated late" } }),
        )
        .await;
    let id = added.data()["addContributingFactor"]["id"].clone();
    s.run(&s.member, FACTOR, json!({ "r": review, "i": { "category": "PROCESS", "description": "  " } }))
        .await
        .assert_error("BAD_USER_INPUT", Some("description"));
    s.run(&s.member, "mutation($f: ID!) { removeContributingFactor(id: $f) }", json!({ "f": id })).await.data();
    let answer = s.run(&s.member, REVIEW, json!({ "r": review })).await;
    assert_eq!(answer.data()["review"]["contributingFactors"], json!([]));
}

#[tokio::test]
async fn the_guardrails_point_at_blame_language_with_hints() {
    let s = scene().await;
    let check = "query($t: String!) { blamelessCheck(text: $t) { text start end reason hint blocking } }";
    let text = "It was Bob's fault: he was careless and should have known. Action: remind everyone to be more careful.";
    let answer = s.run(&s.member, check, json!({ "t": text })).await;
    let findings = answer.data()["blamelessCheck"].as_array().unwrap().clone();
    let matched: Vec<_> = findings.iter().map(|f| f["text"].as_str().unwrap().to_lowercase()).collect();
    for phrase in ["bob's fault", "careless", "should have known", "remind", "be more careful"] {
        assert!(matched.iter().any(|m| m == phrase), "{phrase} not found in {matched:?}");
    }
    for finding in &findings {
        let (start, end) = (finding["start"].as_u64().unwrap() as usize, finding["end"].as_u64().unwrap() as usize);
        let span: String = text.chars().skip(start).take(end - start).collect();
        assert_eq!(span, finding["text"].as_str().unwrap());
        assert!(!finding["hint"].as_str().unwrap().is_empty());
        assert_eq!(finding["blocking"], false);
    }
    let clean = s.run(&s.member, check, json!({ "t": "Add a canary stage for processor config pushes." })).await;
    assert_eq!(clean.data()["blamelessCheck"], json!([]));
    for phrase in ["operator error", "a user mistake", "failed to", "negligent"] {
        let found = s.run(&s.member, check, json!({ "t": format!("This was {phrase}.") })).await;
        assert!(!found.data()["blamelessCheck"].as_array().unwrap().is_empty(), "{phrase}");
    }
}

#[tokio::test]
async fn a_persons_name_in_a_contributing_factor_is_flagged() {
    let s = scene().await;
    let review = s.resolve().await;
    s.run(
        &s.member,
        FACTOR,
        json!({ "r": review, "i": { "category": "PROCESS", "description": "Invited Person pushed without review" } }),
    )
    .await
    .data();
    let answer = s.run(&s.member, REVIEW, json!({ "r": review })).await;
    let findings = answer.data()["review"]["blamelessFindings"].as_array().unwrap().clone();
    assert!(
        findings
            .iter()
            .any(|f| f["location"] == "contributingFactors[0]"
                && f["reason"].as_str().unwrap().contains("names a person")),
        "{findings:#?}"
    );
}

#[tokio::test]
async fn the_write_up_escapes_table_cells() {
    let s = scene().await;
    let review = s.resolve().await;
    s.run(
        &s.member,
        TIMELINE,
        json!({ "r": review, "i": { "occurredAt": s.started.to_rfc3339(), "event": "grep 'a|b' returned\nnothing" } }),
    )
    .await
    .data();
    let answer = s.run(&s.member, "query($r: ID!) { review(id: $r) { markdown } }", json!({ "r": review })).await;
    let markdown = answer.data()["review"]["markdown"].as_str().unwrap().to_owned();
    assert!(markdown.contains("grep 'a\\|b' returned<br>nothing"), "{markdown}");
}

#[tokio::test]
async fn a_review_held_after_its_deadline_is_late() {
    let s = scene().await;
    // Started five days ago and resolved an hour later: the 48 hour deadline has passed.
    let long_ago = Utc::now() - TimeDelta::days(5);
    let old = s
        .app
        .exec(
            Some(&s.member.token),
            "mutation($i: ID!, $s: DateTime!) { updateIncident(id: $i, input: { startedAt: $s, detectedAt: $s }) { version } }",
            json!({ "i": s.incident, "s": long_ago.to_rfc3339() }),
        )
        .await;
    old.data();
    let resolved = s.status("RESOLVED", long_ago + TimeDelta::hours(1)).await;
    let review = resolved.data()["setIncidentStatus"]["review"]["id"].clone();
    let answer = s.run(&s.member, "query($r: ID!) { review(id: $r) { isLate } }", json!({ "r": review })).await;
    assert_eq!(answer.data()["review"]["isLate"], true);
    // A meeting scheduled before the deadline is not late.
    let due = long_ago + TimeDelta::hours(1) + TimeDelta::hours(48);
    s.run(&s.member, UPDATE, json!({ "r": review, "i": { "scheduledFor": (due - TimeDelta::hours(2)).to_rfc3339() } }))
        .await
        .data();
    let answer = s.run(&s.member, "query($r: ID!) { review(id: $r) { isLate } }", json!({ "r": review })).await;
    assert_eq!(answer.data()["review"]["isLate"], false);
}

#[tokio::test]
async fn history_lists_a_reviews_changes_in_order() {
    let s = scene().await;
    let review = s.resolve().await;
    s.make_ready(&review).await;
    let answer = s.run(&s.member, "query($r: ID!) { history(subjectId: $r, first: 3) { totalCount pageInfo { hasNextPage endCursor } edges { node { kind actor { id } subjectId } } } }", json!({ "r": review })).await;
    let history = &answer.data()["history"];
    assert!(history["totalCount"].as_u64().unwrap() >= 6);
    assert_eq!(history["edges"][0]["node"]["kind"], "REVIEW_CREATED");
    assert_eq!(history["edges"][0]["node"]["subjectId"], review);
    assert_eq!(history["edges"][1]["node"]["actor"]["id"], s.member.user_id);
    let rest = s
        .run(
            &s.member,
            "query($r: ID!, $a: String) { history(subjectId: $r, after: $a) { edges { node { kind } } } }",
            json!({ "r": review, "a": history["pageInfo"]["endCursor"] }),
        )
        .await;
    let kinds: Vec<_> = rest.data()["history"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["kind"].as_str().unwrap().to_owned())
        .collect();
    // Submitted, then agreed to by the facilitator and the responder.
    assert_eq!(kinds[kinds.len() - 3..], ["REVIEW_SUBMITTED", "TIMELINE_AGREED", "TIMELINE_AGREED"]);
}

#[tokio::test]
async fn readiness_names_each_gap_by_its_code() {
    use hindsight_api::domain::reviews;
    use sea_orm::EntityTrait;
    let c = crate::actions::crew().await;
    let (_, id) = hindsight_api::ids::parse(&c.review).unwrap();
    let gaps = async || {
        let review = entity::review::Entity::find_by_id(id).one(&c.app.state.db).await.unwrap().unwrap();
        let readiness = reviews::readiness(&c.app.state.db, &review).await.unwrap();
        readiness.gaps.iter().map(|gap| gap.code()).collect::<Vec<_>>()
    };
    assert_eq!(
        gaps().await,
        ["SUMMARY", "FACILITATOR", "TIMELINE", "WHYS", "CONTRIBUTING_FACTOR", "ACTIONS", "SYSTEMIC_ACTION_REQUIRED"]
    );
    crate::actions::ready_but_for_actions(&c, &c.other).await;
    assert_eq!(gaps().await, ["ACTIONS", "SYSTEMIC_ACTION_REQUIRED"]);
    c.action("Add a dead-letter queue", &c.member).await;
    c.action("Alert on consumer retries", &c.lead).await;
    assert!(gaps().await.is_empty());
}

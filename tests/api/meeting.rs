//! The meeting as the practice runs it: the discussion on a review (comments, replies,
//! mentions), agreement on the timeline, owners who say yes to their actions, the readiness
//! switches that ask for them, and the policy's triggers beyond severity.

use chrono::{TimeDelta, Utc};
use serde_json::{Value, json};

use crate::actions::{Crew, PUBLISH_QUERY, crew, ready_but_for_actions};

const COMMENT: &str = "mutation($r: ID!, $i: CommentInput!) { addComment(reviewId: $r, input: $i) { id body location replyTo mentions { id } resolved deleted blamelessFindings { text } author { id } } }";
const THREADS: &str = "query($r: ID!, $u: Boolean) { review(id: $r) { version comments(unresolvedOnly: $u) { edges { node { id body deleted resolved replies { id body } } } } } }";
const GAPS: &str =
    "query($r: ID!) { review(id: $r) { readiness { ready gaps { code field } } timelineAgreedBy { id } } }";
const AGREE: &str = "mutation($r: ID!) { agreeTimeline(reviewId: $r) { timelineAgreedBy { id } } }";
const ACCEPT: &str = "mutation($a: ID!) { acceptAction(id: $a) { acceptedAt declinedAt declineReason } }";
const DECLINE: &str =
    "mutation($a: ID!, $why: String!) { declineAction(id: $a, reason: $why) { acceptedAt declinedAt declineReason } }";
const ENTRY: &str = "mutation($r: ID!, $at: DateTime!, $e: String!) { addTimelineEntry(reviewId: $r, input: { occurredAt: $at, event: $e }) { id } }";
const POLICY: &str = "mutation($i: ReviewPolicyInput!) { updateReviewPolicy(input: $i) { reviewPolicy { reviewWhen repeatWindowDays requireTimelineAgreement requireOwnerAcceptance requireSystemicAction carefulnessRootCauseBlocks } } }";
const ACTION_NODE: &str = "query($a: ID!) { node(id: $a) { ... on Action { acceptedAt } } }";

async fn comment(c: &Crew, who: &crate::harness::Session, input: Value) -> crate::harness::Answer {
    c.run(who, COMMENT, json!({ "r": c.review, "i": input })).await
}

async fn gap_codes(c: &Crew) -> Vec<String> {
    let answer = c.run(&c.lead, GAPS, json!({ "r": c.review })).await;
    answer.data()["review"]["readiness"]["gaps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["code"].as_str().unwrap().to_owned())
        .collect()
}

async fn threads(c: &Crew, who: &crate::harness::Session, unresolved_only: bool) -> Value {
    c.run(who, THREADS, json!({ "r": c.review, "u": unresolved_only })).await.data()["review"].clone()
}

#[tokio::test]
async fn readers_discuss_a_review_in_threads_and_mention_only_those_who_may_read_it() {
    let c = crew().await;
    // The team's viewer may read the draft; the other team's member may not.
    let first = comment(
        &c,
        &c.member,
        json!({ "body": "Was the root cause really the retry loop? It was Bob's fault, some say.", "location": "whys[2].answer", "mentionIds": [c.viewer.user_id] }),
    )
    .await;
    let first = first.data()["addComment"].clone();
    assert_eq!(first["location"], "whys[2].answer");
    assert_eq!(first["mentions"], json!([{ "id": c.viewer.user_id }]));
    assert!(!first["blamelessFindings"].as_array().unwrap().is_empty(), "blame in a comment is pointed out");
    let kinds = c.app.event_kinds().await;
    assert!(kinds.contains(&"COMMENT_ADDED".to_owned()) && kinds.contains(&"MENTIONED".to_owned()), "{kinds:?}");

    // A mention of someone who may not read the draft is refused, and nothing is written.
    let refused =
        comment(&c, &c.member, json!({ "body": "Thoughts?", "mentionIds": [c.viewer.user_id, c.other.user_id] })).await;
    refused.assert_error("BAD_USER_INPUT", None);
    assert_eq!(refused.errors()[0]["extensions"]["path"], json!(["input", "mentionIds", 1]));
    let bad_place = comment(&c, &c.member, json!({ "body": "Here", "location": "incident.secret" })).await;
    bad_place.assert_error("BAD_USER_INPUT", Some("location"));
    let long_place =
        comment(&c, &c.member, json!({ "body": "Here", "location": format!("summary.{}", "a".repeat(200)) })).await;
    long_place.assert_error("BAD_USER_INPUT", Some("location"));
    // Who may not read the review may not comment on it; another organization sees nothing.
    comment(&c, &c.other, json!({ "body": "Hello" })).await.assert_error("NOT_FOUND", None);
    let stranger = c.app.sign_up("Globex", "hank@globex.test").await;
    comment(&c, &stranger, json!({ "body": "Hello" })).await.assert_error("NOT_FOUND", None);
    let peek = c.run(&stranger, "query($id: ID!) { node(id: $id) { id } }", json!({ "id": first["id"] })).await;
    assert_eq!(peek.data()["node"], Value::Null);

    // A reply to a reply joins the thread.
    let reply =
        comment(&c, &c.viewer, json!({ "body": "The retries only made it worse.", "replyTo": first["id"] })).await;
    let reply = reply.data()["addComment"].clone();
    assert_eq!(reply["replyTo"], first["id"]);
    let nested = comment(&c, &c.lead, json!({ "body": "Agreed.", "replyTo": reply["id"] })).await;
    assert_eq!(nested.data()["addComment"]["replyTo"], first["id"]);
    let listed = threads(&c, &c.member, false).await;
    let edges = listed["comments"]["edges"].as_array().unwrap();
    assert_eq!(edges.len(), 1);
    assert_eq!(edges[0]["node"]["replies"].as_array().unwrap().len(), 2);
    let version = listed["version"].clone();

    // Only the author edits; the author, the facilitator, a lead or an admin resolves threads.
    let edit = "mutation($id: ID!, $b: String!) { editComment(id: $id, body: $b) { body editedAt } }";
    c.run(&c.viewer, edit, json!({ "id": first["id"], "b": "Mine now" })).await.assert_error("FORBIDDEN", None);
    let edited = c.run(&c.member, edit, json!({ "id": first["id"], "b": "Was the retry loop the root cause?" })).await;
    assert!(edited.data()["editComment"]["editedAt"].is_string());
    let resolve = "mutation($id: ID!) { resolveComment(id: $id) { resolved } }";
    c.run(&c.viewer, resolve, json!({ "id": first["id"] })).await.assert_error("FORBIDDEN", None);
    c.run(&c.lead, resolve, json!({ "id": reply["id"] })).await.assert_error("INVALID_STATE", None);
    assert_eq!(c.run(&c.lead, resolve, json!({ "id": first["id"] })).await.data()["resolveComment"]["resolved"], true);
    let open = threads(&c, &c.member, true).await;
    assert!(open["comments"]["edges"].as_array().unwrap().is_empty());
    // The discussion never changes the review.
    assert_eq!(open["version"], version);

    // Deleting: the author only; a first comment others replied to stays, emptied.
    let delete = "mutation($id: ID!) { deleteComment(id: $id) }";
    c.run(&c.lead, delete, json!({ "id": first["id"] })).await.assert_error("FORBIDDEN", None);
    assert_eq!(c.run(&c.member, delete, json!({ "id": first["id"] })).await.data()["deleteComment"], first["id"]);
    let kept = threads(&c, &c.member, false).await;
    let thread = &kept["comments"]["edges"][0]["node"];
    assert_eq!((thread["deleted"].clone(), thread["body"].clone()), (json!(true), json!("")));
    // Its thread is still resolved through it.
    assert_eq!(c.run(&c.lead, resolve, json!({ "id": first["id"] })).await.data()["resolveComment"]["resolved"], true);
    // Its last replies gone, the emptied thread goes with them.
    c.run(&c.viewer, delete, json!({ "id": reply["id"] })).await.data();
    let last = nested.data()["addComment"]["id"].clone();
    c.run(&c.lead, delete, json!({ "id": last })).await.data();
    let gone = threads(&c, &c.member, false).await;
    assert!(gone["comments"]["edges"].as_array().unwrap().is_empty(), "{gone}");
}

#[tokio::test]
async fn comments_go_on_after_publishing_without_changing_the_review() {
    let c = crew().await;
    publish(&c).await;
    // Published organization-wide: the other team reads it now, and may discuss it.
    let added = comment(
        &c,
        &c.other,
        json!({ "body": "We have the same consumer in Platform.", "mentionIds": [c.lead.user_id] }),
    )
    .await;
    assert_eq!(added.data()["addComment"]["author"]["id"], c.other.user_id);
    let status = c.run(&c.other, "query($r: ID!) { review(id: $r) { status } }", json!({ "r": c.review })).await;
    assert_eq!(status.data()["review"]["status"], "PUBLISHED");
}

#[tokio::test]
async fn the_facilitator_and_a_responder_agree_on_the_timeline_and_a_change_withdraws_it() {
    let c = crew().await;
    let assign = "mutation($r: ID!, $u: ID!) { assignFacilitator(reviewId: $r, userId: $u) { id } }";
    c.run(&c.lead, assign, json!({ "r": c.review, "u": c.other.user_id })).await.data();
    // Nothing to agree to yet.
    c.run(&c.other, AGREE, json!({ "r": c.review })).await.assert_error("INVALID_STATE", None);
    let at = (Utc::now() - TimeDelta::hours(5)).to_rfc3339();
    let entry = c.run(&c.member, ENTRY, json!({ "r": c.review, "at": at, "e": "Queue depth alert" })).await;
    let entry = entry.data()["addTimelineEntry"]["id"].clone();
    // A member of the team who neither facilitates, takes part nor responded may not agree.
    c.run(&c.member, AGREE, json!({ "r": c.review })).await.assert_error("FORBIDDEN", None);
    assert!(gap_codes(&c).await.contains(&"TIMELINE_AGREEMENT".to_owned()));
    let agreed = c.run(&c.other, AGREE, json!({ "r": c.review })).await;
    assert_eq!(agreed.data()["agreeTimeline"]["timelineAgreedBy"], json!([{ "id": c.other.user_id }]));
    // No responder yet: the facilitator's word is enough.
    assert!(!gap_codes(&c).await.contains(&"TIMELINE_AGREEMENT".to_owned()));
    // With a responder, one of them must agree too.
    let responder = "mutation($i: ID!, $u: ID!) { addResponder(incidentId: $i, userId: $u) { id } }";
    let incident =
        c.run(&c.lead, "query($r: ID!) { review(id: $r) { incident { id } } }", json!({ "r": c.review })).await;
    let incident = incident.data()["review"]["incident"]["id"].clone();
    c.run(&c.lead, responder, json!({ "i": incident, "u": c.member.user_id })).await.data();
    let gaps = c.run(&c.lead, GAPS, json!({ "r": c.review })).await;
    let gap = gaps.data()["review"]["readiness"]["gaps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["code"] == "TIMELINE_AGREEMENT")
        .cloned()
        .expect("a responder must agree");
    assert_eq!(gap["field"], "timelineAgreedBy");
    c.run(&c.member, AGREE, json!({ "r": c.review })).await.data();
    assert!(!gap_codes(&c).await.contains(&"TIMELINE_AGREEMENT".to_owned()));

    // Any change to the timeline withdraws every agreement, and says so.
    let update = "mutation($id: ID!, $at: DateTime!) { updateTimelineEntry(id: $id, input: { occurredAt: $at, event: \"Queue depth alert fired\" }) { id } }";
    c.run(&c.member, update, json!({ "id": entry, "at": at })).await.data();
    let after = c.run(&c.lead, GAPS, json!({ "r": c.review })).await;
    assert_eq!(after.data()["review"]["timelineAgreedBy"], json!([]));
    assert!(c.app.event_kinds().await.contains(&"TIMELINE_AGREEMENTS_CLEARED".to_owned()));
    assert!(gap_codes(&c).await.contains(&"TIMELINE_AGREEMENT".to_owned()));
}

#[tokio::test]
async fn owners_say_yes_or_send_an_action_back_and_a_new_owner_must_say_yes_again() {
    let c = crew().await;
    let action = c.unaccepted_action("Add a dead-letter queue", &c.lead, 10).await;
    let accepted_at = |answer: &crate::harness::Answer| answer.data()["node"]["acceptedAt"].clone();
    assert_eq!(accepted_at(&c.run(&c.lead, ACTION_NODE, json!({ "a": action })).await), Value::Null);
    assert!(gap_codes(&c).await.contains(&"OWNER_ACCEPTANCE".to_owned()));
    // Only the owner answers.
    c.run(&c.member, ACCEPT, json!({ "a": action })).await.assert_error("FORBIDDEN", None);
    let yes = c.run(&c.lead, ACCEPT, json!({ "a": action })).await;
    assert!(yes.data()["acceptAction"]["acceptedAt"].is_string());
    assert!(!gap_codes(&c).await.contains(&"OWNER_ACCEPTANCE".to_owned()));

    // Declining needs a reason, and takes the yes back.
    c.run(&c.lead, DECLINE, json!({ "a": action, "why": "  " })).await.assert_error("BAD_USER_INPUT", Some("reason"));
    let no = c.run(&c.lead, DECLINE, json!({ "a": action, "why": "Payments has no one free this quarter" })).await;
    let no = &no.data()["declineAction"];
    assert_eq!(
        (no["acceptedAt"].clone(), no["declineReason"].clone()),
        (Value::Null, json!("Payments has no one free this quarter"))
    );
    assert!(c.app.event_kinds().await.contains(&"ACTION_DECLINED".to_owned()));

    // Given to someone else, it waits for their yes; taken by oneself, it is accepted.
    let reassign = "mutation($a: ID!, $o: ID!) { reassignAction(id: $a, ownerId: $o) { acceptedAt declinedAt } }";
    let moved = c.run(&c.lead, reassign, json!({ "a": action, "o": c.member.user_id })).await;
    assert_eq!(moved.data()["reassignAction"], json!({ "acceptedAt": null, "declinedAt": null }));
    let taken = c.run(&c.lead, reassign, json!({ "a": action, "o": c.lead.user_id })).await;
    assert!(taken.data()["reassignAction"]["acceptedAt"].is_string());
    // An owner who writes the action themselves has said yes.
    let own = c.action("Alert on consumer retries", &c.member).await;
    assert!(accepted_at(&c.run(&c.member, ACTION_NODE, json!({ "a": own })).await).is_string());
    // A finished action takes no answer.
    c.run(
        &c.member,
        "mutation($a: ID!) { completeAction(id: $a, evidence: \"Alert live\") { id } }",
        json!({ "a": own }),
    )
    .await
    .data();
    c.run(&c.member, ACCEPT, json!({ "a": own })).await.assert_error("INVALID_STATE", None);
}

#[tokio::test]
async fn publishing_asks_for_a_systemic_action_and_more_than_care() {
    let c = crew().await;
    ready_but_for_actions(&c, &c.other).await;
    let tactical = json!({ "reviewId": c.review, "title": "Remind engineers to be more careful with consumers", "ownerId": c.member.user_id, "dueDate": crate::actions::in_days(10), "successMetric": "Everyone read the memo", "kind": "TACTICAL" });
    c.run(&c.member, crate::actions::CREATE, json!({ "i": tactical })).await.data();
    let gaps = gap_codes(&c).await;
    assert!(gaps.contains(&"SYSTEMIC_ACTION_REQUIRED".to_owned()), "{gaps:?}");
    assert!(gaps.contains(&"CARE_ONLY_ACTIONS".to_owned()), "{gaps:?}");
    let care = "mutation($r: ID!) { setWhys(reviewId: $r, whys: [{ question: \"Why stuck?\", answer: \"A poison message blocked the queue.\" }, { question: \"Why not caught?\", answer: \"Nobody noticed the alert.\" }, { question: \"Why?\", answer: \"The on-call engineer was not careful enough.\" }]) { id } }";
    c.run(&c.lead, care, json!({ "r": c.review })).await.data();
    assert!(gap_codes(&c).await.contains(&"CAREFULNESS_ROOT_CAUSE".to_owned()));

    // An organization may switch each rule off.
    let off = json!({ "requireSystemicAction": false, "carefulnessRootCauseBlocks": false, "requireTimelineAgreement": false, "requireOwnerAcceptance": false });
    let policy = c.run(&c.admin, POLICY, json!({ "i": off })).await;
    assert_eq!(policy.data()["updateReviewPolicy"]["reviewPolicy"]["requireSystemicAction"], false);
    let gaps = gap_codes(&c).await;
    for code in ["SYSTEMIC_ACTION_REQUIRED", "CARE_ONLY_ACTIONS", "CAREFULNESS_ROOT_CAUSE", "TIMELINE_AGREEMENT"] {
        assert!(!gaps.contains(&code.to_owned()), "{code} is off: {gaps:?}");
    }
    c.run(&c.member, POLICY, json!({ "i": off })).await.assert_error("FORBIDDEN", None);
}

/// Takes the crew's review all the way, as the meeting does: the facilitator agrees to the
/// timeline, owners accept their actions.
async fn publish(c: &Crew) {
    ready_but_for_actions(c, &c.other).await;
    c.action("Add a dead-letter queue", &c.member).await;
    let alert = c.unaccepted_action("Alert on consumer retries", &c.lead, 10).await;
    // A timeline changed after the agreement must be agreed again.
    let at = (Utc::now() - TimeDelta::hours(4)).to_rfc3339();
    c.run(&c.member, ENTRY, json!({ "r": c.review, "at": at, "e": "Consumer restarted" })).await.data();
    let refused = c.run(&c.lead, PUBLISH_QUERY, json!({ "r": c.review })).await;
    refused.assert_error("NOT_READY", None);
    let gaps: Vec<Value> = refused.errors()[0]["extensions"]["gaps"].as_array().unwrap().clone();
    let codes: Vec<&str> = gaps.iter().map(|g| g["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["TIMELINE_AGREEMENT", "OWNER_ACCEPTANCE"]);
    c.run(&c.other, AGREE, json!({ "r": c.review })).await.data();
    c.run(&c.lead, ACCEPT, json!({ "a": alert })).await.data();
    assert_eq!(
        c.run(&c.lead, PUBLISH_QUERY, json!({ "r": c.review })).await.data()["publishReview"]["status"],
        "PUBLISHED"
    );
}

#[tokio::test]
async fn a_new_organization_runs_the_meeting_rules_and_publishes_when_they_are_met() {
    let c = crew().await;
    let policy = c.run(&c.admin, "{ organization { reviewPolicy { reviewWhen repeatWindowDays requireTimelineAgreement requireOwnerAcceptance requireSystemicAction carefulnessRootCauseBlocks } } }", json!({})).await;
    assert_eq!(
        policy.data()["organization"]["reviewPolicy"],
        json!({ "reviewWhen": [], "repeatWindowDays": 30, "requireTimelineAgreement": true, "requireOwnerAcceptance": true, "requireSystemicAction": true, "carefulnessRootCauseBlocks": true })
    );
    publish(&c).await;
}

#[tokio::test]
async fn organizations_that_existed_before_the_meeting_rules_keep_publishing_as_before() {
    let c = crew().await;
    // The meeting's migration (and those after it) undone and applied again: the crew's
    // organization existed before it.
    c.app.migrate_again_from("m20261202_000015_meeting").await;
    let policy = c.run(&c.admin, "{ organization { reviewPolicy { requireTimelineAgreement requireOwnerAcceptance requireSystemicAction carefulnessRootCauseBlocks minActions } } }", json!({})).await;
    assert_eq!(
        policy.data()["organization"]["reviewPolicy"],
        json!({ "requireTimelineAgreement": false, "requireOwnerAcceptance": false, "requireSystemicAction": false, "carefulnessRootCauseBlocks": false, "minActions": 2 })
    );
    ready_but_for_actions(&c, &c.other).await;
    c.action("Add a dead-letter queue", &c.member).await;
    c.action("Alert on consumer retries", &c.lead).await;
    assert_eq!(
        c.run(&c.lead, PUBLISH_QUERY, json!({ "r": c.review })).await.data()["publishReview"]["status"],
        "PUBLISHED"
    );
}

/// Declares an incident of the crew's team and resolves it; answers its review's ID, if any.
async fn resolved(c: &Crew, input: Value) -> Option<String> {
    let mut input = input;
    let team = c.run(&c.lead, "{ teams { edges { node { id slug } } } }", json!({})).await;
    let payments = team.data()["teams"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["node"]["slug"] == "payments")
        .map(|t| t["node"]["id"].clone())
        .unwrap();
    input["teamId"] = payments;
    input["startedAt"] = json!((Utc::now() - TimeDelta::hours(2)).to_rfc3339());
    let tags = input.as_object_mut().unwrap().remove("tags");
    let declared = c
        .run(
            &c.member,
            "mutation($i: DeclareIncidentInput!) { declareIncident(input: $i) { id } }",
            json!({ "i": input }),
        )
        .await;
    let id = declared.data()["declareIncident"]["id"].clone();
    if let Some(tags) = tags {
        let tag = "mutation($i: ID!, $t: [String!]!) { tagIncident(incidentId: $i, tags: $t) { id } }";
        c.run(&c.member, tag, json!({ "i": id, "t": tags })).await.data();
    }
    let resolve = "mutation($i: ID!) { setIncidentStatus(id: $i, status: RESOLVED) { review { id } } }";
    let answer = c.run(&c.member, resolve, json!({ "i": id })).await;
    answer.data()["setIncidentStatus"]["review"]["id"].as_str().map(str::to_owned)
}

#[tokio::test]
async fn customer_impact_a_change_or_a_repeat_opens_a_review_when_the_policy_says_so() {
    let c = crew().await;
    let plain = |title: &str| json!({ "title": title, "severity": "SEV3" });
    // Severity alone, as before.
    assert_eq!(
        resolved(
            &c,
            json!({ "title": "Slow search", "severity": "SEV3", "customerImpact": "Search slow for 10 minutes" })
        )
        .await,
        None
    );
    let set = c.run(&c.admin, POLICY, json!({ "i": { "reviewWhen": ["REPEAT", "CUSTOMER_IMPACT", "CHANGE_TRIGGERED", "REPEAT"], "repeatWindowDays": 14 } })).await;
    assert_eq!(
        set.data()["updateReviewPolicy"]["reviewPolicy"]["reviewWhen"],
        json!(["CUSTOMER_IMPACT", "CHANGE_TRIGGERED", "REPEAT"])
    );
    c.run(&c.admin, POLICY, json!({ "i": { "repeatWindowDays": 0 } }))
        .await
        .assert_error("BAD_USER_INPUT", Some("repeatWindowDays"));

    assert!(
        resolved(
            &c,
            json!({ "title": "Slow search", "severity": "SEV3", "customerImpact": "Search slow for 10 minutes" })
        )
        .await
        .is_some()
    );
    assert_eq!(resolved(&c, plain("Flaky build")).await, None);
    let change =
        json!({ "title": "Bad config push", "severity": "SEV4", "changeRef": "https://git.example.com/pay/pull/42" });
    assert!(resolved(&c, change).await.is_some(), "a change reference marks it triggered by a change");
    // The first of a kind is no repeat; the second within the window is.
    let tagged = |title: &str| json!({ "title": title, "severity": "SEV4", "tags": ["refund-queue"] });
    assert_eq!(resolved(&c, tagged("Refund queue slow")).await, None);
    assert!(resolved(&c, tagged("Refund queue slow again")).await.is_some());
    // Near misses only when the policy reviews them.
    c.run(&c.admin, POLICY, json!({ "i": { "reviewNearMisses": false } })).await.data();
    assert_eq!(
        resolved(&c, json!({ "title": "Almost", "severity": "SEV4", "nearMiss": true, "triggeredByChange": true }))
            .await,
        None
    );
}

#[tokio::test]
async fn an_incident_names_how_it_was_found_and_the_change_behind_it() {
    let c = crew().await;
    let incident =
        c.run(&c.lead, "query($r: ID!) { review(id: $r) { incident { id } } }", json!({ "r": c.review })).await;
    let incident = incident.data()["review"]["incident"]["id"].clone();
    let update = "mutation($i: ID!, $u: UpdateIncidentInput!) { updateIncident(id: $i, input: $u) { detectionSource changeRef triggeredByChange changeAuthor { id } } }";
    let stranger = c.app.sign_up("Globex", "hank@globex.test").await;
    let bad = c
        .run(
            &c.member,
            update,
            json!({ "i": incident, "u": { "changeRef": "ftp://x", "changeAuthorId": stranger.user_id } }),
        )
        .await;
    let fields: Vec<Value> = bad.errors().iter().map(|e| e["extensions"]["path"].clone()).collect();
    assert_eq!(fields, [json!(["input", "changeRef"]), json!(["input", "changeAuthorId"])], "{:?}", bad.0);
    let set = c
        .run(
            &c.member,
            update,
            json!({ "i": incident, "u": { "detectionSource": "CUSTOMER_REPORT", "changeRef": "https://git.example.com/pay/pull/7", "changeAuthorId": c.viewer.user_id } }),
        )
        .await;
    assert_eq!(
        set.data()["updateIncident"],
        json!({ "detectionSource": "CUSTOMER_REPORT", "changeRef": "https://git.example.com/pay/pull/7", "triggeredByChange": true, "changeAuthor": { "id": c.viewer.user_id } })
    );
    // The change's author is suggested for the review, as CHANGE_AUTHOR.
    let suggested = c
        .run(
            &c.lead,
            "query($r: ID!) { review(id: $r) { suggestedParticipants { user { id } role } } }",
            json!({ "r": c.review }),
        )
        .await;
    let suggested = suggested.data()["review"]["suggestedParticipants"].as_array().unwrap().clone();
    assert!(
        suggested.contains(&json!({ "user": { "id": c.viewer.user_id }, "role": "CHANGE_AUTHOR" })),
        "{suggested:?}"
    );
    let cleared =
        c.run(&c.member, update, json!({ "i": incident, "u": { "changeAuthorId": null, "changeRef": "" } })).await;
    let cleared = &cleared.data()["updateIncident"];
    assert_eq!((cleared["changeAuthor"].clone(), cleared["changeRef"].clone()), (Value::Null, Value::Null));
}

//! Incidents through GraphQL: who declares and changes them, how they move from OPEN to
//! CLOSED with their times checked, who reads them, and when resolving one starts its review.

use chrono::{DateTime, SubsecRound, TimeDelta, Utc};
use serde_json::{Value, json};

use crate::harness::{Answer, Cast, Org, Session, TestApp};

const FIELDS: &str = "id title summary severity status nearMiss customerImpact startedAt detectedAt mitigatedAt \
    resolvedAt closedAt version team { id } responders { id } affectedTeams { id } tags review { id status dueAt }";

const POLICY: &str = "reviewPolicy { requiredSeverities reviewNearMisses reviewDeadlineHours minActions maxActions \
    minWhys maxActionDueDays followUpDays longTermReviewDays }";

/// Now, to the second, so times survive every database's precision unchanged.
fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(0)
}

fn time(value: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(value.as_str().unwrap_or_else(|| panic!("not a time: {value}")))
        .unwrap()
        .with_timezone(&Utc)
}

/// Payments (a lead, a member and a viewer) and Platform (the outsider), in one organization.
struct Crew {
    app: TestApp,
    admin: Session,
    lead: Session,
    member: Session,
    viewer: Session,
    outsider: Session,
    payments: String,
    platform: String,
    started: DateTime<Utc>,
}

async fn crew() -> Crew {
    let cast = Org::new()
        .team("Payments", &[("lead@acme.test", "LEAD"), ("member@acme.test", "MEMBER"), ("viewer@acme.test", "VIEWER")])
        .team("Platform", &[("olga@acme.test", "MEMBER")])
        .build()
        .await;
    let (lead, member) = (cast.person("lead@acme.test"), cast.person("member@acme.test"));
    let (viewer, outsider) = (cast.person("viewer@acme.test"), cast.person("olga@acme.test"));
    let (payments, platform) = (cast.team("Payments"), cast.team("Platform"));
    let Cast { app, admin, .. } = cast;
    let started = now() - TimeDelta::hours(3);
    Crew { app, admin, lead, member, viewer, outsider, payments, platform, started }
}

impl Crew {
    /// Declares an incident of Payments (SEV2, started three hours ago, detected ten minutes
    /// later), with `changes` replacing any of those inputs.
    async fn declare(&self, who: &Session, changes: Value) -> Answer {
        let mut input = json!({
            "teamId": self.payments, "title": "Card payments failing", "severity": "SEV2",
            "startedAt": self.started.to_rfc3339(), "detectedAt": (self.started + TimeDelta::minutes(10)).to_rfc3339(),
        });
        for (key, value) in changes.as_object().unwrap() {
            input[key] = value.clone();
        }
        let query = format!("mutation($i: DeclareIncidentInput!) {{ declareIncident(input: $i) {{ {FIELDS} }} }}");
        self.app.exec(Some(&who.token), &query, json!({ "i": input })).await
    }

    /// Declares an incident as the member; returns its ID.
    async fn incident(&self, changes: Value) -> String {
        self.declare(&self.member, changes).await.data()["declareIncident"]["id"].as_str().unwrap().to_owned()
    }

    async fn update(&self, who: &Session, id: &str, input: Value, expected: Option<i32>) -> Answer {
        let query = format!(
            "mutation($id: ID!, $i: UpdateIncidentInput!, $v: Int) {{ updateIncident(id: $id, input: $i, expectedVersion: $v) {{ {FIELDS} }} }}"
        );
        self.app.exec(Some(&who.token), &query, json!({ "id": id, "i": input, "v": expected })).await
    }

    async fn status(&self, id: &str, status: &str, at: Option<DateTime<Utc>>, expected: Option<i32>) -> Answer {
        let query = format!(
            "mutation($id: ID!, $s: IncidentStatus!, $at: DateTime, $v: Int) {{ setIncidentStatus(id: $id, status: $s, at: $at, expectedVersion: $v) {{ {FIELDS} }} }}"
        );
        let at = at.map(|at| at.to_rfc3339());
        self.app.exec(Some(&self.member.token), &query, json!({ "id": id, "s": status, "at": at, "v": expected })).await
    }

    /// `incident(id:)` as `who`: null when they may not read it.
    async fn read(&self, who: &Session, id: &str) -> Value {
        let query = format!("query($id: ID!) {{ incident(id: $id) {{ {FIELDS} }} }}");
        self.app.exec(Some(&who.token), &query, json!({ "id": id })).await.data()["incident"].clone()
    }

    /// Titles of `incidents(filter:)` as `who`, in the order listed.
    async fn titles(&self, who: &Session, filter: Value) -> Vec<String> {
        let answer = self
            .app
            .exec(
                Some(&who.token),
                "query($f: IncidentFilter) { incidents(filter: $f) { totalCount edges { node { title } } } }",
                json!({ "f": filter }),
            )
            .await;
        let incidents = &answer.data()["incidents"];
        let titles: Vec<String> = incidents["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["node"]["title"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(incidents["totalCount"], titles.len(), "totalCount of {filter}");
        titles
    }

    async fn responder(&self, mutation: &str, incident: &str, user: &str) -> Answer {
        let query = format!("mutation($i: ID!, $u: ID!) {{ {mutation}(incidentId: $i, userId: $u) {{ {FIELDS} }} }}");
        self.app.exec(Some(&self.member.token), &query, json!({ "i": incident, "u": user })).await
    }

    async fn affect(&self, incident: &str, teams: &[&str]) -> Answer {
        let query =
            format!("mutation($i: ID!, $t: [ID!]!) {{ setAffectedTeams(incidentId: $i, teamIds: $t) {{ {FIELDS} }} }}");
        self.app.exec(Some(&self.member.token), &query, json!({ "i": incident, "t": teams })).await
    }

    async fn tag(&self, incident: &str, tags: &[&str]) -> Answer {
        let query =
            format!("mutation($i: ID!, $t: [String!]!) {{ tagIncident(incidentId: $i, tags: $t) {{ {FIELDS} }} }}");
        self.app.exec(Some(&self.member.token), &query, json!({ "i": incident, "t": tags })).await
    }

    async fn policy(&self, who: &Session, input: Value) -> Answer {
        let query = format!("mutation($i: ReviewPolicyInput!) {{ updateReviewPolicy(input: $i) {{ {POLICY} }} }}");
        self.app.exec(Some(&who.token), &query, json!({ "i": input })).await
    }

    async fn current_policy(&self) -> Value {
        let query = format!("{{ organization {{ {POLICY} }} }}");
        self.app.exec(Some(&self.admin.token), &query, json!({})).await.data()["organization"]["reviewPolicy"].clone()
    }

    /// Declares an incident with `changes` and resolves it (at `started` + 1 hour); returns
    /// the resolved incident.
    async fn resolved(&self, changes: Value) -> Value {
        let id = self.incident(changes).await;
        self.status(&id, "RESOLVED", Some(self.started + TimeDelta::hours(1)), None).await.data()["setIncidentStatus"]
            .clone()
    }
}

// Declaring

#[tokio::test]
async fn a_team_member_declares_an_open_incident_at_version_one() {
    let c = crew().await;
    let answer = c
        .declare(&c.member, json!({ "summary": "Card authorizations time out", "customerImpact": "12% of payments" }))
        .await;
    let incident = &answer.data()["declareIncident"];
    assert_eq!(incident["status"], "OPEN");
    assert_eq!(incident["version"], 1);
    assert_eq!(incident["severity"], "SEV2");
    assert_eq!(incident["nearMiss"], false);
    assert_eq!(incident["team"]["id"], c.payments);
    assert_eq!(incident["summary"], "Card authorizations time out");
    assert_eq!(incident["customerImpact"], "12% of payments");
    assert_eq!(time(&incident["startedAt"]), c.started);
    assert_eq!(time(&incident["detectedAt"]), c.started + TimeDelta::minutes(10));
    for stamp in ["mitigatedAt", "resolvedAt", "closedAt", "review"] {
        assert_eq!(incident[stamp], Value::Null, "{stamp}");
    }
    assert!(c.app.event_kinds().await.contains(&"INCIDENT_DECLARED".to_owned()));
}

#[tokio::test]
async fn leads_and_admins_declare_incidents_too() {
    let c = crew().await;
    for who in [&c.lead, &c.admin] {
        assert_eq!(c.declare(who, json!({})).await.data()["declareIncident"]["status"], "OPEN");
    }
    // An admin declares for any team, without belonging to it.
    let answer = c.declare(&c.admin, json!({ "teamId": c.platform })).await;
    assert_eq!(answer.data()["declareIncident"]["team"]["id"], c.platform);
}

#[tokio::test]
async fn a_team_viewer_or_someone_outside_the_team_cannot_declare_for_it() {
    let c = crew().await;
    c.declare(&c.viewer, json!({})).await.assert_error("FORBIDDEN", None);
    c.declare(&c.outsider, json!({})).await.assert_error("FORBIDDEN", None);
    assert!(!c.app.event_kinds().await.contains(&"INCIDENT_DECLARED".to_owned()));
}

#[tokio::test]
async fn another_organizations_team_is_not_found() {
    let c = crew().await;
    let globex = c.app.sign_up("Globex", "hank@globex.test").await;
    let answer = c.declare(&globex, json!({})).await;
    answer.assert_error("NOT_FOUND", None);
    assert!(!answer.message().contains("Payments"), "{answer:?}");
}

#[tokio::test]
async fn detection_defaults_to_now() {
    let c = crew().await;
    let before = Utc::now() - TimeDelta::seconds(1);
    let answer = c.declare(&c.member, json!({ "detectedAt": null })).await;
    let after = Utc::now() + TimeDelta::seconds(1);
    let detected = time(&answer.data()["declareIncident"]["detectedAt"]);
    assert!(before <= detected && detected <= after, "detectedAt {detected} is not now");
}

#[tokio::test]
async fn times_in_the_future_are_refused_beyond_a_few_minutes_of_skew() {
    let c = crew().await;
    let later = now() + TimeDelta::hours(1);
    c.declare(&c.member, json!({ "startedAt": later.to_rfc3339(), "detectedAt": later.to_rfc3339() }))
        .await
        .assert_error("BAD_USER_INPUT", Some("startedAt"));
    c.declare(&c.member, json!({ "detectedAt": later.to_rfc3339() }))
        .await
        .assert_error("BAD_USER_INPUT", Some("detectedAt"));
    // A client clock a little ahead of the server's is fine.
    let skewed = now() + TimeDelta::minutes(2);
    c.declare(&c.member, json!({ "startedAt": skewed.to_rfc3339(), "detectedAt": skewed.to_rfc3339() })).await.data();
}

#[tokio::test]
async fn detection_before_the_start_is_refused() {
    let c = crew().await;
    let answer = c.declare(&c.member, json!({ "detectedAt": (c.started - TimeDelta::minutes(1)).to_rfc3339() })).await;
    answer.assert_error("BAD_USER_INPUT", Some("detectedAt"));
}

#[tokio::test]
async fn a_blank_title_is_refused() {
    let c = crew().await;
    c.declare(&c.member, json!({ "title": "   " })).await.assert_error("BAD_USER_INPUT", Some("title"));
}

// Updating

#[tokio::test]
async fn an_update_changes_the_incident_and_bumps_its_version() {
    let c = crew().await;
    let id = c.incident(json!({ "summary": "Timeouts" })).await;
    let answer = c
        .update(&c.lead, &id, json!({ "title": "Card payments declined", "severity": "SEV1", "summary": "" }), Some(1))
        .await;
    let incident = &answer.data()["updateIncident"];
    assert_eq!(incident["title"], "Card payments declined");
    assert_eq!(incident["severity"], "SEV1");
    assert_eq!(incident["summary"], Value::Null, "an empty text clears it");
    assert_eq!(incident["version"], 2);
    let answer = c.update(&c.admin, &id, json!({ "nearMiss": true }), None).await;
    assert_eq!(answer.data()["updateIncident"]["version"], 3);
    assert!(c.app.event_kinds().await.contains(&"INCIDENT_UPDATED".to_owned()));
}

#[tokio::test]
async fn a_stale_expected_version_is_a_conflict_and_changes_nothing() {
    let c = crew().await;
    let id = c.incident(json!({})).await;
    c.update(&c.member, &id, json!({ "title": "First edit" }), Some(1)).await.data();
    c.update(&c.lead, &id, json!({ "title": "Second edit" }), Some(1)).await.assert_error("CONFLICT", None);
    let incident = c.read(&c.admin, &id).await;
    assert_eq!(incident["title"], "First edit");
    assert_eq!(incident["version"], 2);
}

#[tokio::test]
async fn an_update_checks_the_order_of_times_again() {
    let c = crew().await;
    let id = c.incident(json!({})).await;
    let late_start = c.started + TimeDelta::hours(1);
    let answer = c.update(&c.member, &id, json!({ "startedAt": late_start.to_rfc3339() }), None).await;
    answer.assert_error("BAD_USER_INPUT", Some("detectedAt"));
    let future = now() + TimeDelta::hours(1);
    c.update(&c.member, &id, json!({ "detectedAt": future.to_rfc3339() }), None)
        .await
        .assert_error("BAD_USER_INPUT", Some("detectedAt"));
    c.update(&c.member, &id, json!({ "title": "" }), None).await.assert_error("BAD_USER_INPUT", Some("title"));
    let incident = c.read(&c.admin, &id).await;
    assert_eq!(time(&incident["startedAt"]), c.started);
    assert_eq!(incident["version"], 1);
}

#[tokio::test]
async fn only_the_owning_teams_leads_and_members_and_admins_change_an_incident() {
    let c = crew().await;
    let id = c.incident(json!({})).await;
    c.update(&c.viewer, &id, json!({ "title": "Mine" }), None).await.assert_error("FORBIDDEN", None);
    // Someone who cannot even read it finds nothing.
    c.update(&c.outsider, &id, json!({ "title": "Mine" }), None).await.assert_error("NOT_FOUND", None);
    assert_eq!(c.read(&c.admin, &id).await["title"], "Card payments failing");
}

// Status

#[tokio::test]
async fn the_status_moves_forward_stamping_each_time() {
    let c = crew().await;
    let id = c.incident(json!({ "severity": "SEV3" })).await;
    let steps = [("MITIGATED", "mitigatedAt", 1), ("RESOLVED", "resolvedAt", 2), ("CLOSED", "closedAt", 3)];
    for (version, (status, stamp, hours)) in (1..).zip(steps) {
        let at = c.started + TimeDelta::hours(hours);
        let answer = c.status(&id, status, Some(at), Some(version)).await;
        let incident = &answer.data()["setIncidentStatus"];
        assert_eq!(incident["status"], status);
        assert_eq!(time(&incident[stamp]), at);
        assert_eq!(incident["version"], version + 1);
    }
    assert!(c.app.event_kinds().await.contains(&"INCIDENT_STATUS_CHANGED".to_owned()));
}

#[tokio::test]
async fn an_open_incident_may_be_resolved_at_once_stamped_now() {
    let c = crew().await;
    let id = c.incident(json!({ "severity": "SEV3" })).await;
    let before = Utc::now() - TimeDelta::seconds(1);
    let answer = c.status(&id, "RESOLVED", None, None).await;
    let after = Utc::now() + TimeDelta::seconds(1);
    let incident = &answer.data()["setIncidentStatus"];
    assert_eq!(incident["status"], "RESOLVED");
    assert_eq!(incident["mitigatedAt"], Value::Null);
    let resolved = time(&incident["resolvedAt"]);
    assert!(before <= resolved && resolved <= after, "resolvedAt {resolved} is not now");
}

#[tokio::test]
async fn skipping_or_going_back_a_state_is_refused_naming_the_current_one() {
    let c = crew().await;
    let id = c.incident(json!({ "severity": "SEV3" })).await;
    for wrong in ["CLOSED", "OPEN"] {
        let answer = c.status(&id, wrong, None, None).await;
        answer.assert_error("INVALID_STATE", None);
        assert!(answer.message().contains("OPEN"), "{answer:?}");
    }
    c.status(&id, "MITIGATED", Some(c.started + TimeDelta::hours(1)), None).await.data();
    for wrong in ["OPEN", "MITIGATED", "CLOSED"] {
        let answer = c.status(&id, wrong, None, None).await;
        answer.assert_error("INVALID_STATE", None);
        assert!(answer.message().contains("MITIGATED"), "{answer:?}");
    }
    c.status(&id, "RESOLVED", Some(c.started + TimeDelta::hours(2)), None).await.data();
    for wrong in ["OPEN", "MITIGATED", "RESOLVED"] {
        let answer = c.status(&id, wrong, None, None).await;
        answer.assert_error("INVALID_STATE", None);
        assert!(answer.message().contains("RESOLVED"), "{answer:?}");
    }
    c.status(&id, "CLOSED", None, None).await.data();
    for wrong in ["OPEN", "MITIGATED", "RESOLVED", "CLOSED"] {
        let answer = c.status(&id, wrong, None, None).await;
        answer.assert_error("INVALID_STATE", None);
        assert!(answer.message().contains("CLOSED"), "{answer:?}");
    }
    assert_eq!(c.read(&c.admin, &id).await["version"], 4);
}

#[tokio::test]
async fn a_status_time_before_the_previous_stamp_is_refused() {
    let c = crew().await;
    let id = c.incident(json!({ "severity": "SEV3" })).await;
    // Mitigated before it was detected.
    c.status(&id, "MITIGATED", Some(c.started + TimeDelta::minutes(5)), None)
        .await
        .assert_error("BAD_USER_INPUT", Some("at"));
    c.status(&id, "MITIGATED", Some(c.started + TimeDelta::hours(2)), None).await.data();
    // Resolved before it was mitigated.
    c.status(&id, "RESOLVED", Some(c.started + TimeDelta::hours(1)), None)
        .await
        .assert_error("BAD_USER_INPUT", Some("at"));
    c.status(&id, "RESOLVED", Some(c.started + TimeDelta::hours(2)), None).await.data();
    // Closed before it was resolved.
    c.status(&id, "CLOSED", Some(c.started + TimeDelta::hours(1)), None)
        .await
        .assert_error("BAD_USER_INPUT", Some("at"));
    let incident = c.read(&c.admin, &id).await;
    assert_eq!(incident["status"], "RESOLVED");
    assert_eq!(incident["closedAt"], Value::Null);
}

#[tokio::test]
async fn a_status_time_in_the_future_is_refused() {
    let c = crew().await;
    let id = c.incident(json!({ "severity": "SEV3" })).await;
    let later = now() + TimeDelta::hours(1);
    for status in ["MITIGATED", "RESOLVED"] {
        c.status(&id, status, Some(later), None).await.assert_error("BAD_USER_INPUT", Some("at"));
    }
    let incident = c.read(&c.admin, &id).await;
    assert_eq!(incident["status"], "OPEN");
    assert_eq!(incident["version"], 1);
}

#[tokio::test]
async fn a_status_change_with_a_stale_version_is_a_conflict() {
    let c = crew().await;
    let id = c.incident(json!({ "severity": "SEV3" })).await;
    c.update(&c.lead, &id, json!({ "title": "Edited meanwhile" }), None).await.data();
    c.status(&id, "MITIGATED", None, Some(1)).await.assert_error("CONFLICT", None);
    let incident = c.read(&c.admin, &id).await;
    assert_eq!(incident["status"], "OPEN");
    assert_eq!(incident["mitigatedAt"], Value::Null);
    assert_eq!(c.status(&id, "MITIGATED", None, Some(2)).await.data()["setIncidentStatus"]["version"], 3);
}

#[tokio::test]
async fn a_viewer_of_the_team_cannot_move_the_status() {
    let c = crew().await;
    let id = c.incident(json!({})).await;
    let answer = c
        .app
        .exec(
            Some(&c.viewer.token),
            "mutation($id: ID!) { setIncidentStatus(id: $id, status: MITIGATED) { status } }",
            json!({ "id": id }),
        )
        .await;
    answer.assert_error("FORBIDDEN", None);
    assert_eq!(c.read(&c.admin, &id).await["status"], "OPEN");
}

// Reviews the policy asks for

#[tokio::test]
async fn resolving_a_sev1_creates_its_draft_review_due_after_the_deadline() {
    let c = crew().await;
    let incident = c.resolved(json!({ "severity": "SEV1" })).await;
    let review = &incident["review"];
    assert_eq!(review["status"], "DRAFT");
    assert_eq!(time(&review["dueAt"]), time(&incident["resolvedAt"]) + TimeDelta::hours(48));
    assert!(c.app.event_kinds().await.contains(&"REVIEW_CREATED".to_owned()));
    // The incident shows it afterwards too.
    assert_eq!(c.read(&c.viewer, incident["id"].as_str().unwrap()).await["review"]["id"], review["id"]);
}

#[tokio::test]
async fn resolving_a_sev3_creates_no_review() {
    let c = crew().await;
    let incident = c.resolved(json!({ "severity": "SEV3" })).await;
    assert_eq!(incident["review"], Value::Null);
    assert_eq!(c.read(&c.admin, incident["id"].as_str().unwrap()).await["review"], Value::Null);
    assert!(!c.app.event_kinds().await.contains(&"REVIEW_CREATED".to_owned()));
}

#[tokio::test]
async fn a_near_miss_of_a_required_severity_gets_a_review_unless_the_policy_says_otherwise() {
    let c = crew().await;
    let incident = c.resolved(json!({ "severity": "SEV2", "nearMiss": true })).await;
    assert_eq!(incident["review"]["status"], "DRAFT");
    c.policy(&c.admin, json!({ "reviewNearMisses": false })).await.data();
    let incident = c.resolved(json!({ "severity": "SEV2", "nearMiss": true })).await;
    assert_eq!(incident["review"], Value::Null);
    // Incidents that happened still get theirs.
    let incident = c.resolved(json!({ "severity": "SEV2" })).await;
    assert_eq!(incident["review"]["status"], "DRAFT");
}

#[tokio::test]
async fn the_policy_decides_which_severities_need_a_review_and_how_soon() {
    let c = crew().await;
    c.policy(&c.admin, json!({ "requiredSeverities": ["SEV3"], "reviewDeadlineHours": 24 })).await.data();
    assert_eq!(c.resolved(json!({ "severity": "SEV1" })).await["review"], Value::Null);
    let incident = c.resolved(json!({ "severity": "SEV3" })).await;
    assert_eq!(time(&incident["review"]["dueAt"]), time(&incident["resolvedAt"]) + TimeDelta::hours(24));
}

#[tokio::test]
async fn a_review_can_be_started_once_for_an_incident_the_policy_does_not_cover() {
    let c = crew().await;
    let id = c.incident(json!({ "severity": "SEV4" })).await;
    let start = "mutation($i: ID!) { startReview(incidentId: $i) { id status dueAt incident { id } } }";
    let answer = c.app.exec(Some(&c.member.token), start, json!({ "i": id })).await;
    let review = answer.data()["startReview"].clone();
    assert_eq!(review["status"], "DRAFT");
    assert_eq!(review["incident"]["id"], id);
    assert_eq!(review["dueAt"], Value::Null, "an open incident has no review deadline yet");
    c.app
        .exec(Some(&c.member.token), start, json!({ "i": id }))
        .await
        .assert_error("BAD_USER_INPUT", Some("incidentId"));
    // Resolving later keeps the one review and gives it its deadline.
    let resolved = c.status(&id, "RESOLVED", None, None).await;
    let incident = &resolved.data()["setIncidentStatus"];
    assert_eq!(incident["review"]["id"], review["id"]);
    assert_eq!(time(&incident["review"]["dueAt"]), time(&incident["resolvedAt"]) + TimeDelta::hours(48));
}

#[tokio::test]
async fn a_review_cannot_be_started_for_an_incident_that_already_has_one() {
    let c = crew().await;
    let incident = c.resolved(json!({ "severity": "SEV1" })).await;
    c.app
        .exec(
            Some(&c.member.token),
            "mutation($i: ID!) { startReview(incidentId: $i) { id } }",
            json!({ "i": incident["id"] }),
        )
        .await
        .assert_error("BAD_USER_INPUT", Some("incidentId"));
}

// Responders, affected teams and tags

#[tokio::test]
async fn responders_are_added_and_removed() {
    let c = crew().await;
    let id = c.incident(json!({})).await;
    c.responder("addResponder", &id, &c.member.user_id).await.data();
    let answer = c.responder("addResponder", &id, &c.outsider.user_id).await;
    let mut responders: Vec<&str> = answer.data()["addResponder"]["responders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap())
        .collect();
    responders.sort();
    let mut expected = [c.member.user_id.as_str(), c.outsider.user_id.as_str()];
    expected.sort();
    assert_eq!(responders, expected);
    let answer = c.responder("removeResponder", &id, &c.member.user_id).await;
    assert_eq!(answer.data()["removeResponder"]["responders"], json!([{ "id": c.outsider.user_id }]));
    c.responder("removeResponder", &id, &c.member.user_id).await.assert_error("BAD_USER_INPUT", Some("userId"));
    let kinds = c.app.event_kinds().await;
    for kind in ["RESPONDER_ADDED", "RESPONDER_REMOVED"] {
        assert!(kinds.contains(&kind.to_owned()), "{kind} missing from {kinds:?}");
    }
}

#[tokio::test]
async fn a_responder_from_another_organization_is_not_found() {
    let c = crew().await;
    let id = c.incident(json!({})).await;
    let globex = c.app.sign_up("Globex", "hank@globex.test").await;
    c.responder("addResponder", &id, &globex.user_id).await.assert_error("NOT_FOUND", None);
    c.responder("removeResponder", &id, &globex.user_id).await.assert_error("NOT_FOUND", None);
    assert_eq!(c.read(&c.admin, &id).await["responders"], json!([]));
}

#[tokio::test]
async fn a_responder_from_another_team_reads_the_incident() {
    let c = crew().await;
    let id = c.incident(json!({})).await;
    assert_eq!(c.read(&c.outsider, &id).await, Value::Null);
    c.responder("addResponder", &id, &c.outsider.user_id).await.data();
    assert_eq!(c.read(&c.outsider, &id).await["id"], id);
    assert_eq!(c.titles(&c.outsider, json!({})).await, ["Card payments failing"]);
}

#[tokio::test]
async fn members_of_an_affected_team_read_the_incident() {
    let c = crew().await;
    let id = c.incident(json!({})).await;
    assert_eq!(c.read(&c.outsider, &id).await, Value::Null);
    let answer = c.affect(&id, &[&c.platform]).await;
    assert_eq!(answer.data()["setAffectedTeams"]["affectedTeams"], json!([{ "id": c.platform }]));
    assert_eq!(c.read(&c.outsider, &id).await["id"], id);
    assert_eq!(c.titles(&c.outsider, json!({})).await, ["Card payments failing"]);
    // Reading is not changing.
    c.update(&c.outsider, &id, json!({ "title": "Mine" }), None).await.assert_error("FORBIDDEN", None);
    assert!(c.app.event_kinds().await.contains(&"AFFECTED_TEAMS_SET".to_owned()));
}

#[tokio::test]
async fn setting_the_affected_teams_replaces_the_list() {
    let c = crew().await;
    let id = c.incident(json!({})).await;
    let security = c.app.team(&c.admin, "Security").await;
    c.affect(&id, &[&c.platform, &security]).await.data();
    let answer = c.affect(&id, &[&security]).await;
    assert_eq!(answer.data()["setAffectedTeams"]["affectedTeams"], json!([{ "id": security }]));
    assert_eq!(c.read(&c.outsider, &id).await, Value::Null);
    let answer = c.affect(&id, &[]).await;
    assert_eq!(answer.data()["setAffectedTeams"]["affectedTeams"], json!([]));
}

#[tokio::test]
async fn tags_are_normalized_deduplicated_and_replaced() {
    let c = crew().await;
    let id = c.incident(json!({})).await;
    let answer = c.tag(&id, &["Database", "database ", "  Message   Queue "]).await;
    assert_eq!(answer.data()["tagIncident"]["tags"], json!(["database", "message queue"]));
    let answer = c.tag(&id, &["DNS"]).await;
    assert_eq!(answer.data()["tagIncident"]["tags"], json!(["dns"]));
    assert_eq!(c.read(&c.viewer, &id).await["tags"], json!(["dns"]));
    assert!(c.app.event_kinds().await.contains(&"INCIDENT_TAGGED".to_owned()));
}

#[tokio::test]
async fn an_invalid_tag_is_refused_and_the_tags_stay() {
    let c = crew().await;
    let id = c.incident(json!({})).await;
    c.tag(&id, &["database"]).await.data();
    c.tag(&id, &["queue", "bad<tag>"]).await.assert_error("BAD_USER_INPUT", Some("tags"));
    c.tag(&id, &["   "]).await.assert_error("BAD_USER_INPUT", Some("tags"));
    assert_eq!(c.read(&c.admin, &id).await["tags"], json!(["database"]));
}

#[tokio::test]
async fn the_organizations_tags_are_counted_most_used_first() {
    let c = crew().await;
    let first = c.incident(json!({})).await;
    let second = c.incident(json!({})).await;
    c.tag(&first, &["Database", "dns"]).await.data();
    c.tag(&second, &["database"]).await.data();
    let answer = c.app.exec(Some(&c.member.token), "{ tags { name incidentCount } }", json!({})).await;
    assert_eq!(
        answer.data()["tags"],
        json!([{ "name": "database", "incidentCount": 2 }, { "name": "dns", "incidentCount": 1 }])
    );
}

// Lists and who sees what

#[tokio::test]
async fn incidents_are_listed_newest_first_a_page_at_a_time() {
    let c = crew().await;
    for (title, hours) in [("Oldest", 3), ("Middle", 2), ("Newest", 1)] {
        let started = now() - TimeDelta::hours(hours);
        c.incident(json!({ "title": title, "startedAt": started.to_rfc3339(), "detectedAt": started.to_rfc3339() }))
            .await;
    }
    assert_eq!(c.titles(&c.member, json!(null)).await, ["Newest", "Middle", "Oldest"]);
    let page = "query($after: String) { incidents(first: 2, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { title } } } }";
    let answer = c.app.exec(Some(&c.member.token), page, json!({ "after": null })).await;
    let first = &answer.data()["incidents"];
    assert_eq!(first["totalCount"], 3);
    assert_eq!(first["pageInfo"]["hasNextPage"], true);
    assert_eq!(first["edges"].as_array().unwrap().len(), 2);
    let answer = c.app.exec(Some(&c.member.token), page, json!({ "after": first["pageInfo"]["endCursor"] })).await;
    let second = &answer.data()["incidents"];
    assert_eq!(second["pageInfo"]["hasNextPage"], false);
    assert_eq!(second["edges"], json!([{ "node": { "title": "Oldest" } }]));
}

/// Three incidents: a SEV1 of Payments tagged `database` (10 hours ago), a SEV3 near miss of
/// Platform (5 hours ago), and a mitigated SEV2 of Payments (2 hours ago).
async fn three_incidents(c: &Crew) {
    let at = |hours: i64| (now() - TimeDelta::hours(hours)).to_rfc3339();
    let database = c
        .incident(
            json!({ "title": "Database failover stalled", "summary": "The primary lost QUORUM", "severity": "SEV1",
                          "startedAt": at(10), "detectedAt": at(10) }),
        )
        .await;
    c.tag(&database, &["database"]).await.data();
    c.declare(
        &c.admin,
        json!({ "teamId": c.platform, "title": "DNS near miss", "severity": "SEV3", "nearMiss": true,
                "startedAt": at(5), "detectedAt": at(5) }),
    )
    .await
    .data();
    let checkout = c
        .incident(json!({ "title": "Checkout latency", "summary": "p99 up 300%", "severity": "SEV2",
                          "startedAt": at(2), "detectedAt": at(2) }))
        .await;
    c.status(&checkout, "MITIGATED", None, None).await.data();
}

#[tokio::test]
async fn the_list_is_filtered_by_team_severity_status_tag_near_miss_and_start() {
    let c = crew().await;
    three_incidents(&c).await;
    let (database, dns, checkout) = ("Database failover stalled", "DNS near miss", "Checkout latency");
    let six_hours_ago = (now() - TimeDelta::hours(6)).to_rfc3339();
    let three_hours_ago = (now() - TimeDelta::hours(3)).to_rfc3339();
    let cases = [
        (json!({}), vec![checkout, dns, database]),
        (json!({ "teamId": c.payments }), vec![checkout, database]),
        (json!({ "teamIds": [c.platform] }), vec![dns]),
        (json!({ "teamIds": [c.platform, c.payments] }), vec![checkout, dns, database]),
        (json!({ "severity": ["SEV1", "SEV3"] }), vec![dns, database]),
        (json!({ "status": ["MITIGATED"] }), vec![checkout]),
        (json!({ "status": ["OPEN"], "severity": ["SEV1", "SEV2"] }), vec![database]),
        (json!({ "tag": "Database" }), vec![database]),
        (json!({ "tag": "unused" }), vec![]),
        (json!({ "nearMiss": true }), vec![dns]),
        (json!({ "nearMiss": false }), vec![checkout, database]),
        (json!({ "from": six_hours_ago }), vec![checkout, dns]),
        (json!({ "to": six_hours_ago }), vec![database]),
        (json!({ "from": six_hours_ago, "to": three_hours_ago }), vec![dns]),
    ];
    for (filter, expected) in cases {
        assert_eq!(c.titles(&c.admin, filter.clone()).await, expected, "filter {filter}");
    }
}

#[tokio::test]
async fn team_filters_given_together_must_both_hold() {
    let c = crew().await;
    three_incidents(&c).await;
    let filter = json!({ "teamId": c.payments, "teamIds": [c.platform] });
    assert_eq!(c.titles(&c.admin, filter).await, Vec::<String>::new());
}

#[tokio::test]
async fn search_matches_every_word_in_the_title_or_summary_and_its_stems() {
    let c = crew().await;
    three_incidents(&c).await;
    let (database, checkout) = ("Database failover stalled", "Checkout latency");
    let cases = [
        ("database", vec![database]),
        ("CHECKOUT", vec![checkout]),
        ("quorum", vec![database]),
        ("  Database   Quorum ", vec![database]),
        ("database checkout", vec![]),
        // Words and their stems, not substrings.
        ("failovers", vec![database]),
        ("fail", vec![]),
        ("300%", vec![checkout]),
        ("%", vec![]),
        ("_", vec![]),
        // Web-search syntax: either word, a phrase, an excluded word.
        ("database or checkout", vec![checkout, database]),
        ("\"failover stalled\"", vec![database]),
        ("database -quorum", vec![]),
        ("-quorum", vec![checkout, "DNS near miss"]),
        // Words FTS5 splits at their marks or symbols find nothing here, and fail nothing.
        ("हिंदी", vec![]),
        ("aⒶb \"क्या हुआ\"", vec![]),
    ];
    for (search, expected) in cases {
        assert_eq!(c.titles(&c.admin, json!({ "search": search })).await, expected, "search {search:?}");
    }
}

#[tokio::test]
async fn members_of_other_teams_neither_list_nor_read_the_incident() {
    let c = crew().await;
    three_incidents(&c).await;
    let id = c.incident(json!({ "title": "Payments only" })).await;
    assert_eq!(c.titles(&c.outsider, json!({})).await, ["DNS near miss"]);
    assert_eq!(c.read(&c.outsider, &id).await, Value::Null);
    let node =
        c.app.exec(Some(&c.outsider.token), "query($id: ID!) { node(id: $id) { id } }", json!({ "id": id })).await;
    assert_eq!(node.data()["node"], Value::Null);
    // The owning team reads them all, viewers included; admins read everything.
    assert_eq!(
        c.titles(&c.viewer, json!({})).await,
        ["Payments only", "Checkout latency", "Database failover stalled"]
    );
    assert_eq!(c.read(&c.viewer, &id).await["id"], id);
    assert_eq!(c.titles(&c.admin, json!({})).await.len(), 4);
}

#[tokio::test]
async fn another_organization_sees_none_of_the_incidents() {
    let c = crew().await;
    three_incidents(&c).await;
    let id = c.incident(json!({})).await;
    c.tag(&id, &["database"]).await.data();
    let globex = c.app.sign_up("Globex", "hank@globex.test").await;
    assert_eq!(c.titles(&globex, json!({})).await, Vec::<String>::new());
    assert_eq!(c.titles(&globex, json!({ "tag": "database" })).await, Vec::<String>::new());
    assert_eq!(c.read(&globex, &id).await, Value::Null);
    let tags = c.app.exec(Some(&globex.token), "{ tags { name } }", json!({})).await;
    assert_eq!(tags.data()["tags"], json!([]));
    let globex_team = c.app.team(&globex, "Secret Projects").await;
    c.update(&globex, &id, json!({ "title": "Mine" }), None).await.assert_error("NOT_FOUND", None);
    c.app
        .exec(
            Some(&globex.token),
            "mutation($i: ID!) { setIncidentStatus(id: $i, status: RESOLVED) { id } }",
            json!({ "i": id }),
        )
        .await
        .assert_error("NOT_FOUND", None);
    c.affect(&id, &[&globex_team]).await.assert_error("NOT_FOUND", None);
    assert_eq!(c.read(&c.admin, &id).await["affectedTeams"], json!([]));
}

#[tokio::test]
async fn a_read_token_lists_incidents_but_cannot_declare_one() {
    let c = crew().await;
    c.incident(json!({})).await;
    let token = c.app.api_token(&c.member, "READ").await;
    let answer = c.app.exec(Some(&token), "{ incidents { totalCount edges { node { title } } } }", json!({})).await;
    assert_eq!(answer.data()["incidents"]["totalCount"], 1);
    let answer = c
        .app
        .exec(
            Some(&token),
            "mutation($i: DeclareIncidentInput!) { declareIncident(input: $i) { id } }",
            json!({ "i": { "teamId": c.payments, "title": "From a script", "severity": "SEV3",
                           "startedAt": c.started.to_rfc3339() } }),
        )
        .await;
    answer.assert_error("FORBIDDEN", None);
    assert_eq!(c.titles(&c.admin, json!({})).await, ["Card payments failing"]);
}

// History

const HISTORY: &str = "query($id: ID!) { history(subjectId: $id) { totalCount edges { node { kind actor { id } } } } }";

#[tokio::test]
async fn the_history_of_an_incident_lists_its_changes_and_who_made_them() {
    let c = crew().await;
    let id = c.incident(json!({ "severity": "SEV3" })).await;
    c.update(&c.lead, &id, json!({ "title": "Card payments declined" }), None).await.data();
    c.status(&id, "MITIGATED", None, None).await.data();
    c.responder("addResponder", &id, &c.lead.user_id).await.data();
    c.tag(&id, &["payments"]).await.data();
    let answer = c.app.exec(Some(&c.viewer.token), HISTORY, json!({ "id": id })).await;
    let events: Vec<(String, String)> = answer.data()["history"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (e["node"]["kind"].as_str().unwrap().to_owned(), e["node"]["actor"]["id"].as_str().unwrap().to_owned())
        })
        .collect();
    let (member, lead) = (c.member.user_id.clone(), c.lead.user_id.clone());
    assert_eq!(
        events,
        [
            ("INCIDENT_DECLARED".to_owned(), member.clone()),
            ("INCIDENT_UPDATED".to_owned(), lead),
            ("INCIDENT_STATUS_CHANGED".to_owned(), member.clone()),
            ("RESPONDER_ADDED".to_owned(), member.clone()),
            ("INCIDENT_TAGGED".to_owned(), member),
        ]
    );
}

#[tokio::test]
async fn the_history_of_an_incident_one_may_not_read_is_not_found() {
    let c = crew().await;
    let id = c.incident(json!({})).await;
    c.app.exec(Some(&c.outsider.token), HISTORY, json!({ "id": id })).await.assert_error("NOT_FOUND", None);
    let globex = c.app.sign_up("Globex", "hank@globex.test").await;
    c.app.exec(Some(&globex.token), HISTORY, json!({ "id": id })).await.assert_error("NOT_FOUND", None);
}

// Review policy

#[tokio::test]
async fn the_review_policy_starts_with_the_defaults() {
    let c = crew().await;
    assert_eq!(
        c.current_policy().await,
        json!({
            "requiredSeverities": ["SEV1", "SEV2"], "reviewNearMisses": true, "reviewDeadlineHours": 48,
            "minActions": 2, "maxActions": 3, "minWhys": 3, "maxActionDueDays": 90,
            "followUpDays": 21, "longTermReviewDays": 75,
        })
    );
}

#[tokio::test]
async fn an_admin_changes_the_review_policy_keeping_what_is_omitted() {
    let c = crew().await;
    let answer = c.policy(&c.admin, json!({ "reviewDeadlineHours": 72, "minWhys": 5, "followUpDays": 14 })).await;
    let expected = json!({
        "requiredSeverities": ["SEV1", "SEV2"], "reviewNearMisses": true, "reviewDeadlineHours": 72,
        "minActions": 2, "maxActions": 3, "minWhys": 5, "maxActionDueDays": 90,
        "followUpDays": 14, "longTermReviewDays": 75,
    });
    assert_eq!(answer.data()["updateReviewPolicy"]["reviewPolicy"], expected);
    assert_eq!(c.current_policy().await, expected);
    let lowest = json!({ "requiredSeverities": ["SEV1"], "reviewNearMisses": false, "reviewDeadlineHours": 1,
        "minActions": 1, "maxActions": 1, "minWhys": 1, "maxActionDueDays": 1, "followUpDays": 14, "longTermReviewDays": 60 });
    c.policy(&c.admin, lowest.clone()).await.data();
    assert_eq!(c.current_policy().await, lowest);
    let highest = json!({ "requiredSeverities": ["SEV1", "SEV2", "SEV3", "SEV4"], "reviewNearMisses": true,
        "reviewDeadlineHours": 720, "minActions": 10, "maxActions": 10, "minWhys": 10, "maxActionDueDays": 365,
        "followUpDays": 28, "longTermReviewDays": 90 });
    c.policy(&c.admin, highest.clone()).await.data();
    assert_eq!(c.current_policy().await, highest);
    assert!(c.app.event_kinds().await.contains(&"REVIEW_POLICY_UPDATED".to_owned()));
}

#[tokio::test]
async fn only_admins_change_the_review_policy() {
    let c = crew().await;
    for who in [&c.lead, &c.member] {
        c.policy(who, json!({ "reviewDeadlineHours": 72 })).await.assert_error("FORBIDDEN", None);
    }
    assert_eq!(c.current_policy().await["reviewDeadlineHours"], 48);
}

#[tokio::test]
async fn review_policy_values_out_of_range_are_refused_naming_the_setting() {
    let c = crew().await;
    let cases = [
        ("followUpDays", json!({ "followUpDays": 13 })),
        ("followUpDays", json!({ "followUpDays": 29 })),
        ("longTermReviewDays", json!({ "longTermReviewDays": 59 })),
        ("longTermReviewDays", json!({ "longTermReviewDays": 91 })),
        ("reviewDeadlineHours", json!({ "reviewDeadlineHours": 0 })),
        ("reviewDeadlineHours", json!({ "reviewDeadlineHours": 721 })),
        ("minWhys", json!({ "minWhys": 0 })),
        ("minWhys", json!({ "minWhys": 11 })),
        ("minActions", json!({ "minActions": 0 })),
        ("minActions", json!({ "minActions": 11, "maxActions": 11 })),
        ("maxActions", json!({ "maxActions": 0 })),
        ("maxActions", json!({ "maxActions": 11 })),
        ("maxActions", json!({ "minActions": 4, "maxActions": 3 })),
        ("maxActions", json!({ "minActions": 5 })),
        ("maxActionDueDays", json!({ "maxActionDueDays": 0 })),
        ("maxActionDueDays", json!({ "maxActionDueDays": 366 })),
    ];
    let before = c.current_policy().await;
    for (field, input) in cases {
        let answer = c.policy(&c.admin, input.clone()).await;
        assert_eq!(answer.code(), "BAD_USER_INPUT", "{input}: {answer:?}");
        assert_eq!(answer.field().as_deref(), Some(field), "{input}: {answer:?}");
    }
    assert_eq!(c.current_policy().await, before);
}

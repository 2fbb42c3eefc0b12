//! The service catalog: who keeps it, names unique regardless of case, incidents that name the
//! services they touched, archived services kept on old incidents, and a repeat by service.

use serde_json::{Value, json};

use crate::actions::{Crew, crew};

const CREATE: &str =
    "mutation($i: CreateServiceInput!) { createService(input: $i) { id name tier archived ownerTeam { slug } } }";
const LIST: &str = "query($s: String, $t: ID, $a: Boolean) { services(search: $s, ownerTeamId: $t, includeArchived: $a) { totalCount edges { node { name } } } }";
const SET: &str = "mutation($i: ID!, $s: [ID!]!) { setIncidentServices(incidentId: $i, serviceIds: $s) { services { name archived } } }";

async fn team(c: &Crew, slug: &str) -> Value {
    let teams = c.run(&c.lead, "{ teams { edges { node { id slug } } } }", json!({})).await;
    teams.data()["teams"]["edges"].as_array().unwrap().iter().find(|t| t["node"]["slug"] == slug).unwrap()["node"]["id"]
        .clone()
}

async fn incident_of(c: &Crew) -> Value {
    let answer =
        c.run(&c.lead, "query($r: ID!) { review(id: $r) { incident { id } } }", json!({ "r": c.review })).await;
    answer.data()["review"]["incident"]["id"].clone()
}

fn names(answer: &crate::harness::Answer) -> Vec<String> {
    answer.data()["services"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["name"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_teams_lead_keeps_its_services_and_everyone_reads_the_catalog() {
    let c = crew().await;
    let payments = team(&c, "payments").await;
    let created =
        c.run(&c.lead, CREATE, json!({ "i": { "name": "Refund queue", "ownerTeamId": payments, "tier": 1 } })).await;
    let refunds = created.data()["createService"].clone();
    assert_eq!((refunds["tier"].clone(), refunds["ownerTeam"]["slug"].clone()), (json!(1), json!("payments")));
    // A member, or a lead of another team, may not; names are unique regardless of case.
    c.run(&c.member, CREATE, json!({ "i": { "name": "Ledger", "ownerTeamId": payments } }))
        .await
        .assert_error("FORBIDDEN", None);
    let platform = team(&c, "platform").await;
    c.run(&c.lead, CREATE, json!({ "i": { "name": "Ledger", "ownerTeamId": platform } }))
        .await
        .assert_error("FORBIDDEN", None);
    let taken = c.run(&c.lead, CREATE, json!({ "i": { "name": "REFUND QUEUE", "ownerTeamId": payments } })).await;
    taken.assert_error("BAD_USER_INPUT", Some("name"));
    let bad = c.run(&c.lead, CREATE, json!({ "i": { "name": " ", "ownerTeamId": payments, "tier": 5 } })).await;
    let paths: Vec<Value> = bad.errors().iter().map(|e| e["extensions"]["path"].clone()).collect();
    assert_eq!(paths, [json!(["input", "name"]), json!(["input", "tier"])]);
    c.run(
        &c.admin,
        CREATE,
        json!({ "i": { "name": "Ledger", "ownerTeamId": payments, "description": "Double-entry book" } }),
    )
    .await
    .data();
    c.run(&c.admin, CREATE, json!({ "i": { "name": "Deploy pipeline", "ownerTeamId": platform } })).await.data();

    // Everyone in the organization reads the catalog, by name, searched and by team.
    assert_eq!(names(&c.run(&c.viewer, LIST, json!({})).await), ["Deploy pipeline", "Ledger", "Refund queue"]);
    assert_eq!(names(&c.run(&c.other, LIST, json!({ "s": "LEDG" })).await), ["Ledger"]);
    assert_eq!(names(&c.run(&c.other, LIST, json!({ "t": payments })).await), ["Ledger", "Refund queue"]);
    let owned =
        c.run(&c.member, "query($t: ID!) { team(id: $t) { services { name } } }", json!({ "t": platform })).await;
    assert_eq!(owned.data()["team"]["services"], json!([{ "name": "Deploy pipeline" }]));
    // Another organization sees none of it.
    let stranger = c.app.sign_up("Globex", "hank@globex.test").await;
    assert_eq!(names(&c.run(&stranger, LIST, json!({})).await), Vec::<String>::new());
    let peek = c.run(&stranger, "query($id: ID!) { node(id: $id) { id } }", json!({ "id": refunds["id"] })).await;
    assert_eq!(peek.data()["node"], Value::Null);
    let update = "mutation($id: ID!, $i: UpdateServiceInput!) { updateService(id: $id, input: $i) { name tier } }";
    c.run(&stranger, update, json!({ "id": refunds["id"], "i": { "tier": 2 } })).await.assert_error("NOT_FOUND", None);

    // Its lead changes it; giving it to another team needs that team's lead too.
    let changed =
        c.run(&c.lead, update, json!({ "id": refunds["id"], "i": { "name": "Refund queue v2", "tier": 2 } })).await;
    assert_eq!(changed.data()["updateService"], json!({ "name": "Refund queue v2", "tier": 2 }));
    c.run(&c.lead, update, json!({ "id": refunds["id"], "i": { "ownerTeamId": platform } }))
        .await
        .assert_error("FORBIDDEN", None);
    assert!(c.app.event_kinds().await.contains(&"SERVICE_UPDATED".to_owned()));
}

#[tokio::test]
async fn an_incident_names_its_services_and_an_archived_one_stays_on_it() {
    let c = crew().await;
    let payments = team(&c, "payments").await;
    let create = |name: &str| json!({ "i": { "name": name, "ownerTeamId": payments } });
    let refunds = c.run(&c.lead, CREATE, create("Refund queue")).await.data()["createService"]["id"].clone();
    let ledger = c.run(&c.lead, CREATE, create("Ledger")).await.data()["createService"]["id"].clone();
    let incident = incident_of(&c).await;
    let set = c.run(&c.member, SET, json!({ "i": incident, "s": [refunds, ledger, refunds] })).await;
    assert_eq!(
        set.data()["setIncidentServices"]["services"],
        json!([{ "name": "Ledger", "archived": false }, { "name": "Refund queue", "archived": false }])
    );
    // The team's viewer may not; another organization's service is refused at its place.
    c.run(&c.viewer, SET, json!({ "i": incident, "s": [] })).await.assert_error("FORBIDDEN", None);
    let stranger = c.app.sign_up("Globex", "hank@globex.test").await;
    let teams = c.run(&stranger, "{ teams { edges { node { id } } } }", json!({})).await;
    let theirs = teams.data()["teams"]["edges"].as_array().unwrap().first().map(|t| t["node"]["id"].clone());
    if let Some(team) = theirs {
        let foreign = c.run(&stranger, CREATE, json!({ "i": { "name": "Foreign", "ownerTeamId": team } })).await;
        let foreign = foreign.data()["createService"]["id"].clone();
        let refused = c.run(&c.member, SET, json!({ "i": incident, "s": [refunds, foreign] })).await;
        refused.assert_error("BAD_USER_INPUT", None);
        assert_eq!(refused.errors()[0]["extensions"]["path"], json!(["serviceIds", 1]));
    }

    // Archived: out of the catalog's list, kept on the incident, not named anew.
    let archive = "mutation($id: ID!) { archiveService(id: $id) { archived } }";
    c.run(&c.member, archive, json!({ "id": ledger })).await.assert_error("FORBIDDEN", None);
    assert_eq!(c.run(&c.lead, archive, json!({ "id": ledger })).await.data()["archiveService"]["archived"], true);
    assert_eq!(names(&c.run(&c.member, LIST, json!({})).await), ["Refund queue"]);
    assert_eq!(names(&c.run(&c.member, LIST, json!({ "a": true })).await), ["Ledger", "Refund queue"]);
    let kept = c
        .run(&c.member, "query($i: ID!) { incident(id: $i) { services { name archived } } }", json!({ "i": incident }))
        .await;
    assert_eq!(kept.data()["incident"]["services"][0], json!({ "name": "Ledger", "archived": true }));
    // Naming it again on the same incident keeps it; on another incident it is refused.
    c.run(&c.member, SET, json!({ "i": incident, "s": [ledger] })).await.data();
    let started = (chrono::Utc::now() - chrono::TimeDelta::hours(1)).to_rfc3339();
    let other = c
        .run(
            &c.member,
            "mutation($i: DeclareIncidentInput!) { declareIncident(input: $i) { id } }",
            json!({ "i": { "teamId": payments, "title": "Ledger drift", "severity": "SEV4", "startedAt": started } }),
        )
        .await;
    let other = other.data()["declareIncident"]["id"].clone();
    c.run(&c.member, SET, json!({ "i": other, "s": [ledger] })).await.assert_error("BAD_USER_INPUT", None);
}

#[tokio::test]
async fn a_second_incident_of_a_service_within_the_window_opens_a_review() {
    let c = crew().await;
    let payments = team(&c, "payments").await;
    let refunds = c.run(&c.lead, CREATE, json!({ "i": { "name": "Refund queue", "ownerTeamId": payments } })).await;
    let refunds = refunds.data()["createService"]["id"].clone();
    let policy = "mutation { updateReviewPolicy(input: { reviewWhen: [REPEAT] }) { id } }";
    c.run(&c.admin, policy, json!({})).await.data();
    let mut reviews = Vec::new();
    for title in ["Refunds slow", "Refunds slow again"] {
        let started = (chrono::Utc::now() - chrono::TimeDelta::hours(1)).to_rfc3339();
        let declared = c
            .run(
                &c.member,
                "mutation($i: DeclareIncidentInput!) { declareIncident(input: $i) { id } }",
                json!({ "i": { "teamId": payments, "title": title, "severity": "SEV4", "startedAt": started } }),
            )
            .await;
        let id = declared.data()["declareIncident"]["id"].clone();
        c.run(&c.member, SET, json!({ "i": id, "s": [refunds] })).await.data();
        let resolved = c
            .run(
                &c.member,
                "mutation($i: ID!) { setIncidentStatus(id: $i, status: RESOLVED) { review { id } } }",
                json!({ "i": id }),
            )
            .await;
        reviews.push(resolved.data()["setIncidentStatus"]["review"].clone());
    }
    assert_eq!(reviews[0], Value::Null, "the first of its kind is no repeat");
    assert!(reviews[1]["id"].is_string(), "the second within the window is");
}

//! Teams and memberships, with the permission table: admins create teams, admins and leads
//! manage them, members and viewers read.

use serde_json::json;

use crate::harness::{Cast, Org, Session, TestApp};

#[tokio::test]
async fn an_admin_creates_a_team_with_a_derived_slug() {
    let app = TestApp::new().await;
    let admin = app.sign_up("Acme", "ada@acme.test").await;
    let answer = app.create_team(&admin, "Payments & Billing", None).await;
    assert_eq!(answer.data()["createTeam"]["slug"], "payments-billing");
    assert_eq!(answer.data()["createTeam"]["name"], "Payments & Billing");
    assert!(app.event_kinds().await.contains(&"TEAM_CREATED".to_owned()));
}

#[tokio::test]
async fn a_duplicate_team_slug_is_refused() {
    let app = TestApp::new().await;
    let admin = app.sign_up("Acme", "ada@acme.test").await;
    app.create_team(&admin, "Payments", None).await.data();
    app.create_team(&admin, "Payments team", Some("payments")).await.assert_error("BAD_USER_INPUT", Some("slug"));
}

#[tokio::test]
async fn a_malformed_slug_or_blank_name_is_refused() {
    let app = TestApp::new().await;
    let admin = app.sign_up("Acme", "ada@acme.test").await;
    app.create_team(&admin, "Payments", Some("Not A Slug")).await.assert_error("BAD_USER_INPUT", Some("slug"));
    app.create_team(&admin, "  ", None).await.assert_error("BAD_USER_INPUT", Some("name"));
}

#[tokio::test]
async fn the_same_slug_is_fine_in_another_organization() {
    let app = TestApp::new().await;
    let acme = app.sign_up("Acme", "ada@acme.test").await;
    let globex = app.sign_up("Globex", "hank@globex.test").await;
    app.create_team(&acme, "Payments", None).await.data();
    app.create_team(&globex, "Payments", None).await.data();
}

#[tokio::test]
async fn a_member_cannot_create_teams() {
    let app = TestApp::new().await;
    let admin = app.sign_up("Acme", "ada@acme.test").await;
    let bob = app.invite_and_join(&admin, "bob@acme.test", "MEMBER").await;
    app.create_team(&bob, "Rogue", None).await.assert_error("FORBIDDEN", None);
}

struct Crew {
    app: TestApp,
    admin: Session,
    lead: Session,
    member: Session,
    viewer: Session,
    outsider: Session,
    team: String,
}

/// A team with a lead, a member and a viewer, plus an org member outside the team.
async fn crew() -> Crew {
    let cast = Org::new()
        .team("Payments", &[("lead@acme.test", "LEAD"), ("member@acme.test", "MEMBER"), ("viewer@acme.test", "VIEWER")])
        .person("outsider@acme.test")
        .build()
        .await;
    let (lead, member) = (cast.person("lead@acme.test"), cast.person("member@acme.test"));
    let (viewer, outsider) = (cast.person("viewer@acme.test"), cast.person("outsider@acme.test"));
    let team = cast.team("Payments");
    let Cast { app, admin, .. } = cast;
    Crew { app, admin, lead, member, viewer, outsider, team }
}

const MEMBERS: &str =
    "query($id: ID!) { team(id: $id) { viewerRole members { totalCount edges { node { role user { email } } } } } }";

#[tokio::test]
async fn a_lead_manages_the_team_members() {
    let c = crew().await;
    let answer = c.app.exec(Some(&c.viewer.token), MEMBERS, json!({ "id": c.team })).await;
    let team = &answer.data()["team"];
    assert_eq!(team["viewerRole"], "VIEWER");
    assert_eq!(team["members"]["totalCount"], 3);
    let roles: Vec<_> =
        team["members"]["edges"].as_array().unwrap().iter().map(|e| e["node"]["role"].as_str().unwrap()).collect();
    assert_eq!(roles, ["LEAD", "MEMBER", "VIEWER"]);

    let promote = "mutation($t: ID!, $u: ID!) { updateTeamMember(teamId: $t, userId: $u, role: LEAD) { role } }";
    let answer = c.app.exec(Some(&c.lead.token), promote, json!({ "t": c.team, "u": c.member.user_id })).await;
    assert_eq!(answer.data()["updateTeamMember"]["role"], "LEAD");

    let remove = "mutation($t: ID!, $u: ID!) { removeTeamMember(teamId: $t, userId: $u) }";
    let answer = c.app.exec(Some(&c.lead.token), remove, json!({ "t": c.team, "u": c.viewer.user_id })).await;
    assert_eq!(answer.data()["removeTeamMember"], true);
    let answer = c.app.exec(Some(&c.admin.token), MEMBERS, json!({ "id": c.team })).await;
    assert_eq!(answer.data()["team"]["members"]["totalCount"], 2);
    let kinds = c.app.event_kinds().await;
    for kind in ["TEAM_MEMBER_ADDED", "TEAM_MEMBER_UPDATED", "TEAM_MEMBER_REMOVED"] {
        assert!(kinds.contains(&kind.to_owned()), "{kind} missing from {kinds:?}");
    }
}

#[tokio::test]
async fn members_and_viewers_cannot_manage_the_team() {
    let c = crew().await;
    for who in [&c.member, &c.viewer, &c.outsider] {
        c.app.add_member(who, &c.team, &c.outsider.user_id, "MEMBER").await.assert_error("FORBIDDEN", None);
        let remove = "mutation($t: ID!, $u: ID!) { removeTeamMember(teamId: $t, userId: $u) }";
        c.app
            .exec(Some(&who.token), remove, json!({ "t": c.team, "u": c.lead.user_id }))
            .await
            .assert_error("FORBIDDEN", None);
        let rename = "mutation($t: ID!) { updateTeam(id: $t, input: { name: \"Mine\" }) { name } }";
        c.app.exec(Some(&who.token), rename, json!({ "t": c.team })).await.assert_error("FORBIDDEN", None);
    }
}

#[tokio::test]
async fn a_lead_of_one_team_cannot_manage_another() {
    let c = crew().await;
    let other = c.app.team(&c.admin, "Platform").await;
    c.app.add_member(&c.lead, &other, &c.outsider.user_id, "MEMBER").await.assert_error("FORBIDDEN", None);
}

#[tokio::test]
async fn an_admin_updates_the_team_and_a_lead_may_not() {
    let c = crew().await;
    let rename = "mutation($t: ID!) { updateTeam(id: $t, input: { name: \"Mine\" }) { name } }";
    c.app.exec(Some(&c.lead.token), rename, json!({ "t": c.team })).await.assert_error("FORBIDDEN", None);
    let update = "mutation($t: ID!, $i: UpdateTeamInput!) { updateTeam(id: $t, input: $i) { name slug description } }";
    let answer = c
        .app
        .exec(
            Some(&c.admin.token),
            update,
            json!({ "t": c.team, "i": { "name": "Payments Core", "slug": "payments-core", "description": "Cards" } }),
        )
        .await;
    assert_eq!(
        answer.data()["updateTeam"],
        json!({ "name": "Payments Core", "slug": "payments-core", "description": "Cards" })
    );
    let answer = c.app.exec(Some(&c.admin.token), update, json!({ "t": c.team, "i": { "description": "" } })).await;
    assert_eq!(answer.data()["updateTeam"]["description"], serde_json::Value::Null);
    c.app.team(&c.admin, "Platform").await;
    c.app
        .exec(Some(&c.admin.token), update, json!({ "t": c.team, "i": { "slug": "platform" } }))
        .await
        .assert_error("BAD_USER_INPUT", Some("slug"));
}

#[tokio::test]
async fn adding_someone_twice_is_refused() {
    let c = crew().await;
    c.app
        .add_member(&c.admin, &c.team, &c.member.user_id, "VIEWER")
        .await
        .assert_error("BAD_USER_INPUT", Some("userId"));
}

#[tokio::test]
async fn a_deactivated_user_cannot_join_a_team() {
    let c = crew().await;
    c.app
        .exec(
            Some(&c.admin.token),
            "mutation($u: ID!) { deactivateUser(userId: $u) { id } }",
            json!({ "u": c.outsider.user_id }),
        )
        .await
        .data();
    c.app
        .add_member(&c.admin, &c.team, &c.outsider.user_id, "MEMBER")
        .await
        .assert_error("BAD_USER_INPUT", Some("userId"));
}

#[tokio::test]
async fn changing_a_membership_that_does_not_exist_is_not_found() {
    let c = crew().await;
    let promote = "mutation($t: ID!, $u: ID!) { updateTeamMember(teamId: $t, userId: $u, role: LEAD) { role } }";
    c.app
        .exec(Some(&c.admin.token), promote, json!({ "t": c.team, "u": c.outsider.user_id }))
        .await
        .assert_error("NOT_FOUND", None);
}

#[tokio::test]
async fn a_user_lists_their_teams() {
    let c = crew().await;
    let answer = c.app.exec(Some(&c.member.token), "{ me { teams { role team { slug } } } }", json!({})).await;
    assert_eq!(answer.data()["me"]["teams"], json!([{ "role": "MEMBER", "team": { "slug": "payments" } }]));
}

const TEAMS: &str = "query($f: Int, $a: String) { teams(first: $f, after: $a) { totalCount pageInfo { hasNextPage hasPreviousPage endCursor } edges { node { slug } } } }";

#[tokio::test]
async fn teams_page_by_slug_and_cap_the_page_size_at_100() {
    let app = TestApp::new().await;
    let admin = app.sign_up("Acme", "ada@acme.test").await;
    for n in 0..105 {
        app.create_team(&admin, &format!("Team {n:03}"), None).await.data();
    }
    let answer = app.exec(Some(&admin.token), TEAMS, json!({})).await;
    let teams = &answer.data()["teams"];
    assert_eq!(teams["totalCount"], 105);
    assert_eq!(teams["edges"].as_array().unwrap().len(), 20, "first defaults to 20");
    assert_eq!(teams["edges"][0]["node"]["slug"], "team-000");

    let answer = app.exec(Some(&admin.token), TEAMS, json!({ "f": 500 })).await;
    let teams = &answer.data()["teams"];
    assert_eq!(teams["edges"].as_array().unwrap().len(), 100);
    assert_eq!(teams["pageInfo"]["hasNextPage"], true);

    let answer = app.exec(Some(&admin.token), TEAMS, json!({ "f": 100, "a": teams["pageInfo"]["endCursor"] })).await;
    let rest = &answer.data()["teams"];
    assert_eq!(rest["edges"].as_array().unwrap().len(), 5);
    assert_eq!(rest["edges"][0]["node"]["slug"], "team-100");
    assert_eq!(rest["pageInfo"]["hasNextPage"], false);
    assert_eq!(rest["pageInfo"]["hasPreviousPage"], true);
}

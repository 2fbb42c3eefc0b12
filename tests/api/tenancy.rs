//! Nothing of one organization is visible to another, through any path.

use serde_json::{Value, json};

use crate::harness::{Session, TestApp};

struct TwoOrgs {
    app: TestApp,
    acme: Session,
    globex: Session,
    globex_team: String,
    globex_member: Session,
    globex_token_id: Value,
    acme_team: String,
}

async fn two_orgs() -> TwoOrgs {
    let app = TestApp::new().await;
    let acme = app.sign_up("Acme", "ada@acme.test").await;
    let globex = app.sign_up("Globex", "hank@globex.test").await;
    let globex_team = app.team(&globex, "Secret Projects").await;
    let globex_member = app.invite_and_join(&globex, "scorpio@globex.test", "MEMBER").await;
    app.add_member(&globex, &globex_team, &globex_member.user_id, "LEAD").await.data();
    let token = app
        .exec(
            Some(&globex.token),
            "mutation { createApiToken(name: \"ci\", scope: READ, currentPassword: \"correct horse battery\") { apiToken { id } } }",
            json!({}),
        )
        .await;
    let globex_token_id = token.data()["createApiToken"]["apiToken"]["id"].clone();
    let acme_team = app.team(&acme, "Payments").await;
    TwoOrgs { app, acme, globex, globex_team, globex_member, globex_token_id, acme_team }
}

#[tokio::test]
async fn another_organizations_objects_look_like_they_do_not_exist() {
    let o = two_orgs().await;
    let answer = o
        .app
        .exec(Some(&o.acme.token), "query($id: ID!) { team(id: $id) { name } }", json!({ "id": o.globex_team }))
        .await;
    assert_eq!(answer.data()["team"], Value::Null);
    let answer = o
        .app
        .exec(
            Some(&o.acme.token),
            "query($id: ID!) { user(id: $id) { email } }",
            json!({ "id": o.globex_member.user_id }),
        )
        .await;
    assert_eq!(answer.data()["user"], Value::Null);
    let globex_org =
        o.app.exec(Some(&o.globex.token), "{ organization { id } }", json!({})).await.data()["organization"]["id"]
            .clone();
    let membership =
        o.app.add_member(&o.globex, &o.globex_team, &o.globex.user_id, "MEMBER").await.data()["addTeamMember"]["id"]
            .clone();
    for id in [json!(o.globex_team), json!(o.globex_member.user_id), globex_org, membership, o.globex_token_id.clone()]
    {
        let answer =
            o.app.exec(Some(&o.acme.token), "query($id: ID!) { node(id: $id) { id } }", json!({ "id": id })).await;
        assert_eq!(answer.data()["node"], Value::Null, "node({id}) leaked");
    }
}

#[tokio::test]
async fn lists_hold_only_the_viewers_organization() {
    let o = two_orgs().await;
    let answer = o
        .app
        .exec(
            Some(&o.acme.token),
            "{ users { totalCount edges { node { email } } } teams { totalCount edges { node { slug } } } }",
            json!({}),
        )
        .await;
    let data = answer.data();
    assert_eq!(data["users"]["totalCount"], 1);
    assert_eq!(data["users"]["edges"][0]["node"]["email"], "ada@acme.test");
    assert_eq!(data["teams"]["totalCount"], 1);
    assert_eq!(data["teams"]["edges"][0]["node"]["slug"], "payments");
    let search = o.app.exec(Some(&o.acme.token), "{ users(search: \"globex\") { totalCount } }", json!({})).await;
    assert_eq!(search.data()["users"]["totalCount"], 0);
}

#[tokio::test]
async fn mutations_on_another_organizations_objects_are_not_found() {
    let o = two_orgs().await;
    let (app, acme) = (&o.app, &o.acme);
    let cases = [
        (
            "mutation($t: ID!, $u: ID!) { addTeamMember(teamId: $t, userId: $u, role: MEMBER) { id } }",
            json!({ "t": o.globex_team, "u": acme.user_id }),
        ),
        (
            "mutation($t: ID!, $u: ID!) { addTeamMember(teamId: $t, userId: $u, role: MEMBER) { id } }",
            json!({ "t": o.acme_team, "u": o.globex_member.user_id }),
        ),
        (
            "mutation($t: ID!, $u: ID!) { updateTeamMember(teamId: $t, userId: $u, role: VIEWER) { id } }",
            json!({ "t": o.globex_team, "u": o.globex_member.user_id }),
        ),
        (
            "mutation($t: ID!, $u: ID!) { removeTeamMember(teamId: $t, userId: $u) }",
            json!({ "t": o.globex_team, "u": o.globex_member.user_id }),
        ),
        ("mutation($t: ID!) { updateTeam(id: $t, input: { name: \"Mine\" }) { id } }", json!({ "t": o.globex_team })),
        ("mutation($u: ID!) { setOrgRole(userId: $u, role: ADMIN) { id } }", json!({ "u": o.globex_member.user_id })),
        ("mutation($u: ID!) { deactivateUser(userId: $u) { id } }", json!({ "u": o.globex_member.user_id })),
        ("mutation($u: ID!) { reactivateUser(userId: $u) { id } }", json!({ "u": o.globex_member.user_id })),
        ("mutation($id: ID!) { revokeApiToken(id: $id) { id } }", json!({ "id": o.globex_token_id })),
    ];
    for (mutation, variables) in cases {
        let answer = app.exec(Some(&acme.token), mutation, variables).await;
        answer.assert_error("NOT_FOUND", None);
        assert!(!answer.message().to_lowercase().contains("globex"), "{answer:?}");
        assert!(!answer.message().contains("Secret"), "{answer:?}");
    }
    // Nothing changed on the other side.
    let answer = app.exec(Some(&o.globex_member.token), "{ me { role active teams { role } } }", json!({})).await;
    assert_eq!(answer.data()["me"], json!({ "role": "MEMBER", "active": true, "teams": [{ "role": "LEAD" }] }));
}

#[tokio::test]
async fn node_resolves_every_kind_of_the_viewers_own_objects() {
    let o = two_orgs().await;
    let (app, globex) = (&o.app, &o.globex);
    let org =
        app.exec(Some(&globex.token), "{ organization { id } }", json!({})).await.data()["organization"]["id"].clone();
    let membership =
        app.add_member(globex, &o.globex_team, &globex.user_id, "MEMBER").await.data()["addTeamMember"]["id"].clone();
    let invitation = app
        .exec(
            Some(&globex.token),
            "mutation { inviteUser(input: { email: \"new@globex.test\", role: MEMBER }) { invitation { id } } }",
            json!({}),
        )
        .await
        .data()["inviteUser"]["invitation"]["id"]
        .clone();
    let expected = [
        (org, "Organization"),
        (json!(globex.user_id), "User"),
        (json!(o.globex_team), "Team"),
        (membership, "Membership"),
        (invitation, "Invitation"),
        (o.globex_token_id.clone(), "ApiToken"),
    ];
    for (id, typename) in expected {
        let answer = app
            .exec(Some(&globex.token), "query($id: ID!) { node(id: $id) { __typename id } }", json!({ "id": id }))
            .await;
        assert_eq!(answer.data()["node"]["__typename"], typename);
        assert_eq!(answer.data()["node"]["id"], id);
    }
}

#[tokio::test]
async fn invitations_are_visible_to_admins_only() {
    let o = two_orgs().await;
    let invitation = o
        .app
        .exec(
            Some(&o.globex.token),
            "mutation { inviteUser(input: { email: \"new@globex.test\", role: MEMBER }) { invitation { id } } }",
            json!({}),
        )
        .await
        .data()["inviteUser"]["invitation"]["id"]
        .clone();
    let answer = o
        .app
        .exec(Some(&o.globex_member.token), "query($id: ID!) { node(id: $id) { id } }", json!({ "id": invitation }))
        .await;
    assert_eq!(answer.data()["node"], Value::Null);
}

#[tokio::test]
async fn tags_of_incidents_one_may_not_read_stay_hidden() {
    let app = TestApp::new().await;
    let admin = app.sign_up("Acme", "ada@acme.test").await;
    let hr = app.team(&admin, "HR").await;
    let payments = app.team(&admin, "Payments").await;
    let outsider = app.invite_and_join(&admin, "pay@acme.test", "MEMBER").await;
    app.add_member(&admin, &payments, &outsider.user_id, "MEMBER").await.data();
    let declared = app
        .exec(
            Some(&admin.token),
            "mutation($t: ID!, $s: DateTime!) { declareIncident(input: { teamId: $t, title: \"Payroll data exposure\", severity: SEV3, startedAt: $s }) { id } }",
            json!({ "t": hr, "s": chrono::Utc::now().to_rfc3339() }),
        )
        .await;
    let id = declared.data()["declareIncident"]["id"].clone();
    app.exec(
        Some(&admin.token),
        "mutation($i: ID!) { tagIncident(incidentId: $i, tags: [\"payroll-exposure\"]) { id } }",
        json!({ "i": id }),
    )
    .await
    .data();
    assert_eq!(
        app.exec(Some(&admin.token), "{ tags { name incidentCount } }", json!({})).await.data()["tags"],
        json!([{ "name": "payroll-exposure", "incidentCount": 1 }])
    );
    assert_eq!(app.exec(Some(&outsider.token), "{ tags { name } }", json!({})).await.data()["tags"], json!([]));
}

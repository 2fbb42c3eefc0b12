//! Authorization of every root field, found by walking the live schema: an anonymous caller is
//! refused (except the four sign-in mutations), and a user of another organization, given the IDs
//! of an organization's objects, gets NOT_FOUND or nothing, never its data, and changes nothing.
//! A new field is covered the moment it exists.

use std::collections::HashMap;
use std::time::Duration;

use entity::{
    api_token, contributing_factor, event, incident, invitation, membership, parked_question, review, review_link,
    team, timeline_entry, user, webhook, webhook_delivery,
};
use futures_util::StreamExt;
use hindsight_api::ids::{self, NodeKind};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::actions::{crew_configured, ready_but_for_actions};
use crate::harness::{Answer, TestApp};

/// The only fields an anonymous caller may use. `logout` takes the refresh token it ends, so that
/// a client whose access token already expired can still end its session; it reveals nothing.
const PUBLIC: [&str; 8] = [
    "signUp",
    "login",
    "refreshSession",
    "acceptInvitation",
    "logout",
    "verifyEmail",
    "requestPasswordReset",
    "resetPassword",
];

const INTROSPECTION: &str = r#"
fragment Ref on __Type { kind name ofType { kind name ofType { kind name ofType { kind name } } } }
query {
  __schema {
    queryType { name } mutationType { name } subscriptionType { name }
    types {
      kind name
      fields { name args { name defaultValue type { ...Ref } } type { ...Ref } }
      inputFields { name defaultValue type { ...Ref } }
      enumValues { name }
      possibleTypes { name }
    }
  }
}"#;

struct Schema {
    types: HashMap<String, Value>,
    roots: Vec<(&'static str, String)>,
}

impl Schema {
    async fn load(app: &TestApp) -> Self {
        let answer = app.exec(None, INTROSPECTION, json!({})).await;
        let schema = answer.data()["__schema"].clone();
        let types = schema["types"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| (t["name"].as_str().unwrap().to_owned(), t.clone()))
            .collect();
        let roots = [("query", "queryType"), ("mutation", "mutationType"), ("subscription", "subscriptionType")]
            .into_iter()
            .map(|(op, key)| (op, schema[key]["name"].as_str().unwrap().to_owned()))
            .collect();
        Schema { types, roots }
    }

    fn fields(&self, type_name: &str) -> Vec<Value> {
        self.types[type_name]["fields"].as_array().cloned().unwrap_or_default()
    }
}

/// The named type under NON_NULL and LIST wrappers, and whether it is required.
fn named(type_ref: &Value) -> (&str, &str) {
    let mut t = type_ref;
    while t["name"].is_null() {
        t = &t["ofType"];
    }
    (t["kind"].as_str().unwrap(), t["name"].as_str().unwrap())
}

fn is_list(type_ref: &Value) -> bool {
    let mut t = type_ref;
    loop {
        match t["kind"].as_str() {
            Some("LIST") => return true,
            Some("NON_NULL") => t = &t["ofType"],
            _ => return false,
        }
    }
}

fn required(type_ref: &Value) -> bool {
    type_ref["kind"] == "NON_NULL"
}

/// A selection of the scalar fields of a type, and of its object fields down to `depth`.
fn selection(schema: &Schema, type_name: &str, depth: usize) -> String {
    let t = &schema.types[type_name];
    if matches!(t["kind"].as_str(), Some("SCALAR" | "ENUM")) {
        return String::new();
    }
    let mut parts = vec!["__typename".to_owned()];
    if let Some(possible) = t["possibleTypes"].as_array() {
        for p in possible {
            let name = p["name"].as_str().unwrap();
            parts.push(format!("... on {name} {}", selection(schema, name, depth)));
        }
        return format!("{{ {} }}", parts.join(" "));
    }
    for field in schema.fields(type_name) {
        let needs_args =
            field["args"].as_array().unwrap().iter().any(|a| required(&a["type"]) && a["defaultValue"].is_null());
        if needs_args {
            continue;
        }
        let name = field["name"].as_str().unwrap();
        let (kind, inner) = named(&field["type"]);
        match kind {
            "SCALAR" | "ENUM" => parts.push(name.to_owned()),
            _ if depth > 0 => parts.push(format!("{name} {}", selection(schema, inner, depth - 1))),
            _ => {}
        }
    }
    format!("{{ {} }}", parts.join(" "))
}

/// IDs of the victim organization's objects, by kind.
struct Victim {
    ids: Vec<(NodeKind, String)>,
    org_id: Uuid,
}

impl Victim {
    fn of(&self, kind: NodeKind) -> Vec<String> {
        self.ids.iter().filter(|(k, _)| *k == kind).map(|(_, id)| id.clone()).collect()
    }

    /// The IDs an argument may name, judged by its name.
    fn candidates(&self, arg: &str) -> Vec<String> {
        let kind = match arg {
            "teamId" | "teamIds" => Some(NodeKind::Team),
            "userId" | "ownerId" => Some(NodeKind::User),
            "incidentId" => Some(NodeKind::Incident),
            "reviewId" => Some(NodeKind::Review),
            "actionId" | "actionIds" => Some(NodeKind::Action),
            _ => None,
        };
        match kind {
            Some(kind) => self.of(kind),
            // `id`, `subjectId`: every kind, so that whatever the field expects is tried.
            None if arg == "id" || arg == "subjectId" => self.ids.iter().map(|(_, id)| id.clone()).collect(),
            None if arg == "after" => vec![ids::encode_event(1)],
            None => Vec::new(),
        }
    }
}

/// A value for an argument or input field of `type_ref`, with `id` standing for every ID.
fn value(schema: &Schema, name: &str, type_ref: &Value, ids: &dyn Fn(&str) -> String) -> Value {
    let (kind, type_name) = named(type_ref);
    let one = match (kind, type_name) {
        ("SCALAR", "ID") => json!(ids(name)),
        ("SCALAR", "Int") => json!(5),
        ("SCALAR", "Boolean") => json!(false),
        ("SCALAR", "Date") => json!((chrono::Utc::now().date_naive() + chrono::TimeDelta::days(5)).to_string()),
        ("SCALAR", "DateTime") => json!((chrono::Utc::now() - chrono::TimeDelta::hours(1)).to_rfc3339()),
        ("SCALAR", _) => json!(match name {
            "email" => "eve@globex.test",
            "password" | "currentPassword" | "newPassword" => "a long enough password",
            "url" | "sourceUrl" => "https://example.com/",
            _ => "probe",
        }),
        ("ENUM", _) => schema.types[type_name]["enumValues"][0]["name"].clone(),
        ("INPUT_OBJECT", _) => {
            let mut object = serde_json::Map::new();
            for field in schema.types[type_name]["inputFields"].as_array().unwrap() {
                let field_name = field["name"].as_str().unwrap();
                if required(&field["type"]) || named(&field["type"]).1 == "ID" {
                    object.insert(field_name.to_owned(), value(schema, field_name, &field["type"], ids));
                }
            }
            Value::Object(object)
        }
        _ => Value::Null,
    };
    if is_list(type_ref) { json!([one]) } else { one }
}

/// One operation calling `field` with every argument bound to a variable: `id` for an argument
/// named `id` or `subjectId`, the victim's object of the fitting kind for the others.
fn operation(schema: &Schema, op: &str, field: &Value, victim: &Victim, id: &str) -> (String, Value) {
    let ids = |arg: &str| match arg {
        "id" | "subjectId" => id.to_owned(),
        other => victim.candidates(other).into_iter().next().unwrap_or_else(|| id.to_owned()),
    };
    let name = field["name"].as_str().unwrap();
    let mut declarations = Vec::new();
    let mut arguments = Vec::new();
    let mut variables = serde_json::Map::new();
    // Required arguments, and every ID: optional filters and cursors stay out of the way.
    for arg in field["args"].as_array().unwrap().iter().filter(|a| required(&a["type"]) || named(&a["type"]).1 == "ID")
    {
        let arg_name = arg["name"].as_str().unwrap();
        declarations.push(format!("${arg_name}: {}", type_text(&arg["type"])));
        arguments.push(format!("{arg_name}: ${arg_name}"));
        variables.insert(arg_name.to_owned(), value(schema, arg_name, &arg["type"], &ids));
    }
    // One item of a list is enough to see whose it is, and keeps the whole selection within the
    // complexity limit however many fields the types grow.
    if field["args"].as_array().unwrap().iter().any(|a| a["name"] == "first") {
        arguments.push("first: 1".to_owned());
    }
    let (_, returns) = named(&field["type"]);
    let declarations = if declarations.is_empty() { String::new() } else { format!("({})", declarations.join(", ")) };
    let arguments = if arguments.is_empty() { String::new() } else { format!("({})", arguments.join(", ")) };
    let query = format!("{op} Probe{declarations} {{ {name}{arguments} {} }}", selection(schema, returns, 2));
    (query, Value::Object(variables))
}

fn type_text(type_ref: &Value) -> String {
    match type_ref["kind"].as_str().unwrap() {
        "NON_NULL" => format!("{}!", type_text(&type_ref["ofType"])),
        "LIST" => format!("[{}]", type_text(&type_ref["ofType"])),
        _ => type_ref["name"].as_str().unwrap().to_owned(),
    }
}

async fn ids_of<E: EntityTrait>(app: &TestApp, kind: NodeKind, select: sea_orm::Select<E>) -> Vec<(NodeKind, String)> {
    let rows: Vec<Uuid> = select.into_tuple().all(&app.state.db).await.unwrap();
    rows.into_iter().map(|id| (kind, ids::encode(kind, id))).collect()
}

async fn victim(app: &TestApp, org_id: Uuid) -> Victim {
    let mut all = Vec::new();
    all.extend(
        ids_of(
            app,
            NodeKind::Team,
            team::Entity::find().select_only().column(team::Column::Id).filter(team::Column::OrganizationId.eq(org_id)),
        )
        .await,
    );
    all.extend(
        ids_of(
            app,
            NodeKind::User,
            user::Entity::find().select_only().column(user::Column::Id).filter(user::Column::OrganizationId.eq(org_id)),
        )
        .await,
    );
    all.extend(
        ids_of(
            app,
            NodeKind::Incident,
            incident::Entity::find()
                .select_only()
                .column(incident::Column::Id)
                .filter(incident::Column::OrganizationId.eq(org_id)),
        )
        .await,
    );
    all.extend(
        ids_of(
            app,
            NodeKind::Review,
            review::Entity::find()
                .select_only()
                .column(review::Column::Id)
                .filter(review::Column::OrganizationId.eq(org_id)),
        )
        .await,
    );
    all.extend(
        ids_of(
            app,
            NodeKind::Action,
            entity::action::Entity::find()
                .select_only()
                .column(entity::action::Column::Id)
                .filter(entity::action::Column::OrganizationId.eq(org_id)),
        )
        .await,
    );
    all.extend(
        ids_of(
            app,
            NodeKind::Invitation,
            invitation::Entity::find()
                .select_only()
                .column(invitation::Column::Id)
                .filter(invitation::Column::OrganizationId.eq(org_id)),
        )
        .await,
    );
    all.extend(
        ids_of(app, NodeKind::ApiToken, api_token::Entity::find().select_only().column(api_token::Column::Id)).await,
    );
    all.extend(
        ids_of(app, NodeKind::Membership, membership::Entity::find().select_only().column(membership::Column::Id))
            .await,
    );
    all.extend(
        ids_of(
            app,
            NodeKind::TimelineEntry,
            timeline_entry::Entity::find().select_only().column(timeline_entry::Column::Id),
        )
        .await,
    );
    all.extend(
        ids_of(
            app,
            NodeKind::ParkedQuestion,
            parked_question::Entity::find().select_only().column(parked_question::Column::Id),
        )
        .await,
    );
    all.extend(
        ids_of(
            app,
            NodeKind::ContributingFactor,
            contributing_factor::Entity::find().select_only().column(contributing_factor::Column::Id),
        )
        .await,
    );
    all.extend(
        ids_of(app, NodeKind::Link, review_link::Entity::find().select_only().column(review_link::Column::Id)).await,
    );
    all.extend(ids_of(app, NodeKind::Webhook, webhook::Entity::find().select_only().column(webhook::Column::Id)).await);
    all.extend(
        ids_of(
            app,
            NodeKind::WebhookDelivery,
            webhook_delivery::Entity::find().select_only().column(webhook_delivery::Column::Id),
        )
        .await,
    );
    all.push((NodeKind::Organization, ids::encode(NodeKind::Organization, org_id)));
    Victim { ids: all, org_id }
}

async fn first_error(app: &TestApp, op: &str, token: Option<&str>, query: &str, variables: Value) -> Answer {
    if op != "subscription" {
        return app.exec(token, query, variables).await;
    }
    let header = token.map(|t| format!("Bearer {t}"));
    let auth = app.state.authenticate(header.as_deref()).await;
    let request =
        async_graphql::Request::new(query).variables(async_graphql::Variables::from_json(variables)).data(auth);
    let mut stream = app.schema.execute_stream(request);
    match tokio::time::timeout(Duration::from_millis(300), stream.next()).await {
        Ok(Some(response)) => Answer(serde_json::to_value(&response).unwrap()),
        // Still waiting for events: nothing was delivered.
        _ => Answer(json!({ "data": null })),
    }
}

#[tokio::test]
async fn every_root_field_refuses_strangers() {
    let c = crew_configured(|config| config.webhook_allow_private = true).await;
    ready_but_for_actions(&c, &c.other).await;
    c.action("Add a dead-letter queue", &c.member).await;
    c.app.invite(&c.admin, "pending@acme.test", "MEMBER").await;
    c.run(
        &c.member,
        "mutation($r: ID!) { parkQuestion(reviewId: $r, text: \"Why did retries stop?\") { id } }",
        json!({ "r": c.review }),
    )
    .await
    .data();
    c.run(
        &c.member,
        "mutation($r: ID!) { addLink(reviewId: $r, title: \"Runbook\", url: \"https://example.com/runbook\") { id } }",
        json!({ "r": c.review }),
    )
    .await
    .data();
    c.run(
        &c.admin,
        "mutation { createApiToken(name: \"ci\", scope: READ, currentPassword: \"correct horse battery\") { secret } }",
        json!({}),
    )
    .await
    .data();
    // A webhook with a delivery (nothing listens on port 9: the attempt fails and waits).
    let hook = c
        .run(
            &c.admin,
            "mutation { createWebhook(input: { url: \"http://127.0.0.1:9/hook\" }) { webhook { id } } }",
            json!({}),
        )
        .await;
    let hook = hook.data()["createWebhook"]["webhook"]["id"].clone();
    c.run(&c.admin, "mutation($w: ID!) { pingWebhook(id: $w) { id } }", json!({ "w": hook })).await.data();
    let org_id: Uuid = user::Entity::find().one(&c.app.state.db).await.unwrap().unwrap().organization_id;
    let victim = victim(&c.app, org_id).await;
    let stranger = c.app.sign_up("Globex", "hank@globex.test").await;
    let schema = Schema::load(&c.app).await;
    let victim_events =
        || event::Entity::find().filter(event::Column::OrganizationId.eq(victim.org_id)).count(&c.app.state.db);
    let events_before = victim_events().await.unwrap();

    let mut covered = 0;
    for (op, root) in &schema.roots {
        for field in schema.fields(root) {
            let name = field["name"].as_str().unwrap().to_owned();
            covered += 1;

            // Another organization: with every ID of the victim's that could fit, nothing comes back.
            let mut candidates: Vec<String> = field["args"]
                .as_array()
                .unwrap()
                .iter()
                .flat_map(|a| victim.candidates(a["name"].as_str().unwrap()))
                .collect();
            candidates.dedup();
            if candidates.is_empty() {
                candidates.push(victim.ids[0].1.clone());
            }
            // Anonymous: refused with UNAUTHENTICATED given a fitting ID (an ID of another kind may
            // be NOT_FOUND first: that is told by the ID alone).
            let mut unauthenticated = false;
            for id in &candidates {
                let (query, variables) = operation(&schema, op, &field, &victim, id);
                let anonymous = first_error(&c.app, op, None, &query, variables).await;
                if !PUBLIC.contains(&name.as_str()) {
                    let code = anonymous.code();
                    assert!(
                        code == "UNAUTHENTICATED" || code == "NOT_FOUND",
                        "anonymous {op} `{name}`: {:#}",
                        anonymous.0
                    );
                    let nothing = anonymous.0["data"].as_object().is_none_or(|data| data.values().all(Value::is_null));
                    assert!(nothing, "anonymous {op} `{name}` got data: {:#}", anonymous.0);
                    unauthenticated |= code == "UNAUTHENTICATED";
                }
            }
            assert!(
                unauthenticated || PUBLIC.contains(&name.as_str()),
                "anonymous {op} `{name}` was not refused as such"
            );

            for id in candidates {
                let (query, variables) = operation(&schema, op, &field, &victim, &id);
                let answer = first_error(&c.app, op, Some(&stranger.token), &query, variables).await;
                let data = answer.0["data"].to_string();
                for (_, victim_id) in &victim.ids {
                    assert!(!data.contains(victim_id.as_str()), "{op} `{name}` showed {victim_id}: {data}");
                }
                let lowered = data.to_lowercase();
                assert!(
                    !lowered.contains("acme") && !lowered.contains("refunds stuck"),
                    "{op} `{name}` leaked: {data}"
                );
            }
        }
    }
    assert!(covered > 60, "walked {covered} root fields");
    assert_eq!(victim_events().await.unwrap(), events_before, "a stranger changed nothing of the victim's");
}

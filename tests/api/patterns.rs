//! Learning across teams: related reviews and recurring themes on a small crafted corpus, and
//! the teams a published review is sent to.

use chrono::{TimeDelta, Utc};
use serde_json::{Value, json};

use crate::harness::{Cast, Org, Session, Socket};

/// What one published review is made of.
struct Story<'a> {
    team: &'a str,
    title: &'a str,
    services: Vec<&'a str>,
    tags: &'a [&'a str],
    root_cause: &'a str,
    factors: &'a [&'a str],
    visibility: &'a str,
}

impl<'a> Story<'a> {
    fn new(team: &'a str, title: &'a str) -> Self {
        Self { team, title, services: Vec::new(), tags: &[], root_cause: "", factors: &[], visibility: "ORG" }
    }
}

struct World {
    cast: Cast,
    services: std::collections::HashMap<&'static str, String>,
}

impl World {
    async fn run(&self, who: &Session, query: &str, variables: Value) -> Value {
        self.cast.app.exec(Some(&who.token), query, variables).await.data().clone()
    }

    fn service(&self, name: &str) -> &str {
        &self.services[name]
    }

    /// Declares, resolves, fills and publishes a review of `story` (the admin writes it, someone
    /// of no team facilitates, the team's lead owns its two actions). Answers the review's ID.
    async fn publish(&self, story: Story<'_>) -> String {
        let (admin, facilitator) = (&self.cast.admin, &self.cast.person("fac@acme.test"));
        let started = Utc::now() - TimeDelta::hours(3);
        let declared = self
            .run(
                admin,
                "mutation($i: DeclareIncidentInput!) { declareIncident(input: $i) { id } }",
                json!({ "i": { "teamId": self.cast.team(story.team), "title": story.title, "severity": "SEV2", "startedAt": started.to_rfc3339() } }),
            )
            .await;
        let incident = declared["declareIncident"]["id"].clone();
        if !story.tags.is_empty() {
            let tag = "mutation($i: ID!, $t: [String!]!) { tagIncident(incidentId: $i, tags: $t) { id } }";
            self.run(admin, tag, json!({ "i": incident, "t": story.tags })).await;
        }
        if !story.services.is_empty() {
            let services: Vec<&str> = story.services.iter().map(|name| self.service(name)).collect();
            let set = "mutation($i: ID!, $s: [ID!]!) { setIncidentServices(incidentId: $i, serviceIds: $s) { id } }";
            self.run(admin, set, json!({ "i": incident, "s": services })).await;
        }
        let resolved = self
            .run(
                admin,
                "mutation($i: ID!) { setIncidentStatus(id: $i, status: RESOLVED) { review { id } } }",
                json!({ "i": incident }),
            )
            .await;
        let review = resolved["setIncidentStatus"]["review"]["id"].as_str().unwrap().to_owned();
        let whys = json!([
            { "question": "What failed?", "answer": "Requests timed out." },
            { "question": "Why?", "answer": "A dependency stopped answering." },
            { "question": "Why did it stop?", "answer": story.root_cause },
        ]);
        let mut steps = vec![
            (
                "mutation($r: ID!, $u: ID!) { assignFacilitator(reviewId: $r, userId: $u) { id } }",
                json!({ "r": review, "u": facilitator.user_id }),
            ),
            (
                "mutation($r: ID!, $v: Visibility!) { updateReview(id: $r, input: { summary: \"What happened.\", visibility: $v }) { id } }",
                json!({ "r": review, "v": story.visibility }),
            ),
            (
                "mutation($r: ID!, $at: DateTime!) { addTimelineEntry(reviewId: $r, input: { occurredAt: $at, event: \"Alert fired\" }) { id } }",
                json!({ "r": review, "at": started.to_rfc3339() }),
            ),
            (
                "mutation($r: ID!, $w: [WhyInput!]!) { setWhys(reviewId: $r, whys: $w) { id } }",
                json!({ "r": review, "w": whys }),
            ),
        ];
        for factor in story.factors {
            steps.push((
                "mutation($r: ID!, $d: String!) { addContributingFactor(reviewId: $r, input: { category: TECHNICAL, description: $d }) { id } }",
                json!({ "r": review, "d": factor }),
            ));
        }
        for (query, variables) in steps {
            self.run(admin, query, variables).await;
        }
        let due = (Utc::now().date_naive() + TimeDelta::days(10)).to_string();
        let owner = self.cast.person(match story.team {
            "Payments" => "pay@acme.test",
            "Platform" => "plat@acme.test",
            _ => "search@acme.test",
        });
        for title in ["Add a safeguard", "Alert before it happens"] {
            let action = json!({ "reviewId": review, "title": title, "ownerId": owner.user_id, "dueDate": due,
                                 "successMetric": "It does not happen again", "kind": "SYSTEMIC" });
            let create = "mutation($i: CreateActionInput!) { createAction(input: $i) { id } }";
            let created = self.run(admin, create, json!({ "i": action })).await;
            let accept = "mutation($a: ID!) { acceptAction(id: $a) { id } }";
            self.run(&owner, accept, json!({ "a": created["createAction"]["id"] })).await;
        }
        self.run(admin, "mutation($r: ID!) { submitReview(id: $r) { id } }", json!({ "r": review })).await;
        self.run(facilitator, "mutation($r: ID!) { agreeTimeline(reviewId: $r) { id } }", json!({ "r": review })).await;
        self.run(admin, "mutation($r: ID!) { publishReview(id: $r) { status } }", json!({ "r": review })).await;
        review
    }
}

/// Acme: Payments, Platform and Search, each with a lead; a facilitator in no team; the services
/// Checkout API (Payments), Postgres (Platform) and Search index (Search).
async fn world() -> World {
    let cast = Org::new()
        .configured(|config| config.webhook_allow_private = true)
        .team("Payments", &[("pay@acme.test", "LEAD")])
        .team("Platform", &[("plat@acme.test", "LEAD")])
        .team("Search", &[("search@acme.test", "LEAD")])
        .person("fac@acme.test")
        .build()
        .await;
    let mut world = World { cast, services: std::collections::HashMap::new() };
    for (name, team) in [("Checkout API", "Payments"), ("Postgres", "Platform"), ("Search index", "Search")] {
        let created = world
            .run(
                &world.cast.admin,
                "mutation($i: CreateServiceInput!) { createService(input: $i) { id } }",
                json!({ "i": { "name": name, "ownerTeamId": world.cast.team(team) } }),
            )
            .await;
        world.services.insert(name, created["createService"]["id"].as_str().unwrap().to_owned());
    }
    world
}

/// Five reviews: the source (Payments, Postgres, database), its near twin (Platform, Postgres,
/// database, same root cause and factor words), a cousin (Search, database, a like root cause),
/// a stranger (Payments, Checkout API, frontend, nothing alike) and, last, a Platform review only
/// its team may read (Postgres, database, migrations).
struct Corpus {
    source: String,
    twin: String,
    cousin: String,
    stranger: String,
    private: String,
}

/// Payments' review: Postgres, database, migrations exhausting the connection pool.
fn source_story() -> Story<'static> {
    Story {
        services: vec!["Postgres"],
        tags: &["database"],
        root_cause: "The connection pool was exhausted by long-running migrations.",
        factors: &["Migrations hold connections for minutes"],
        ..Story::new("Payments", "Checkout errors during the schema migration")
    }
}

/// Search's review: the Search index, database, reindexing exhausting the connection pool.
fn cousin_story() -> Story<'static> {
    Story {
        services: vec!["Search index"],
        tags: &["database"],
        root_cause: "The connection pool was exhausted during reindexing.",
        factors: &["Reindexing opens many connections"],
        ..Story::new("Search", "Search results stale for an hour")
    }
}

async fn corpus(w: &World) -> Corpus {
    let source = w.publish(source_story()).await;
    let twin = w
        .publish(Story {
            services: vec!["Postgres"],
            tags: &["database"],
            root_cause: "Long-running migrations exhausted the connection pool.",
            factors: &["No limit on migration connections"],
            ..Story::new("Platform", "Primary database refused connections")
        })
        .await;
    let cousin = w.publish(cousin_story()).await;
    let stranger = w
        .publish(Story {
            services: vec!["Checkout API"],
            tags: &["frontend"],
            root_cause: "A stylesheet change hid the pay button.",
            factors: &["No visual regression tests"],
            ..Story::new("Payments", "Pay button invisible on mobile")
        })
        .await;
    let private = w
        .publish(Story {
            services: vec!["Postgres"],
            tags: &["database"],
            root_cause: "Migrations exhausted the pool again.",
            factors: &["Migrations lock tables"],
            visibility: "TEAM",
            ..Story::new("Platform", "Replica lag after the index build")
        })
        .await;
    Corpus { source, twin, cousin, stranger, private }
}

const RELATED: &str = "query($r: ID!) { review(id: $r) { related(first: 10) { score reasons review { id title } } } }";

async fn related(w: &World, who: &Session, review: &str) -> Vec<(String, Vec<String>, f64)> {
    let answer = w.run(who, RELATED, json!({ "r": review })).await;
    answer["review"]["related"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let reasons = r["reasons"].as_array().unwrap().iter().map(|x| x.as_str().unwrap().to_owned()).collect();
            (r["review"]["id"].as_str().unwrap().to_owned(), reasons, r["score"].as_f64().unwrap())
        })
        .collect()
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

#[tokio::test]
async fn related_reviews_rank_the_obviously_related_first_and_show_nothing_unreadable() {
    let w = world().await;
    let c = corpus(&w).await;

    // The admin reads everything: the twin first, for every reason; the stranger shares nothing.
    let found = related(&w, &w.cast.admin, &c.source).await;
    let ids: Vec<&str> = found.iter().map(|(id, _, _)| id.as_str()).collect();
    assert_eq!(ids[0], c.twin, "{found:?}");
    assert_eq!(found[0].1, strings(&["SHARED_SERVICE", "SHARED_TAG", "SIMILAR_FACTOR", "SIMILAR_ROOT_CAUSE"]));
    assert!(ids.contains(&c.private.as_str()) && ids.contains(&c.cousin.as_str()), "{found:?}");
    assert!(!ids.contains(&c.stranger.as_str()) && !ids.contains(&c.source.as_str()), "{found:?}");
    let cousin = found.iter().find(|(id, _, _)| *id == c.cousin).unwrap();
    assert_eq!(cousin.1, strings(&["SHARED_TAG", "SIMILAR_FACTOR", "SIMILAR_ROOT_CAUSE"]));
    assert!(found.windows(2).all(|pair| pair[0].2 >= pair[1].2), "best first: {found:?}");

    // Search's lead may not read Platform's team-only review: it is not there.
    let search = w.cast.person("search@acme.test");
    let found = related(&w, &search, &c.source).await;
    let ids: Vec<&str> = found.iter().map(|(id, _, _)| id.as_str()).collect();
    assert_eq!(ids, [c.twin.as_str(), c.cousin.as_str()]);

    // `first` bounds the list; another organization cannot even ask.
    let one = w
        .run(
            &w.cast.admin,
            "query($r: ID!) { review(id: $r) { related(first: 1) { review { id } } } }",
            json!({ "r": c.source }),
        )
        .await;
    assert_eq!(one["review"]["related"].as_array().unwrap().len(), 1);
    let other = w.cast.app.sign_up("Globex", "hank@globex.test").await;
    assert_eq!(w.run(&other, RELATED, json!({ "r": c.source })).await["review"], Value::Null);
}

const THEMES: &str = "query($from: Date!, $to: Date!) { themes(from: $from, to: $to) {
    kind key label count firstSeen lastSeen service { name } teams { name } reviews(first: 10) { id } } }";

async fn themes(w: &World, who: &Session) -> Value {
    let today = Utc::now().date_naive();
    let window = json!({ "from": (today - TimeDelta::days(7)).to_string(), "to": today.to_string() });
    w.run(who, THEMES, window).await["themes"].clone()
}

/// `(kind, label, count)` of each theme, in order.
fn outline(themes: &Value) -> Vec<(String, String, u64)> {
    themes
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["kind"].as_str().unwrap().to_owned(),
                t["label"].as_str().unwrap().to_owned(),
                t["count"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn theme(kind: &str, label: &str, count: u64) -> (String, String, u64) {
    (kind.to_owned(), label.to_owned(), count)
}

#[tokio::test]
async fn themes_recur_across_reviews_the_same_each_time_and_only_what_the_reader_may_read() {
    let w = world().await;
    let c = corpus(&w).await;

    // The admin: the database tag on four reviews; then, on three each, Postgres and the factor
    // word "migrations" (both last seen on the private review, services before words), then
    // "connections" (last seen on the cousin). Alone on one review: no theme.
    let all = themes(&w, &w.cast.admin).await;
    assert_eq!(
        outline(&all),
        [
            theme("TAG", "database", 4),
            theme("SERVICE", "Postgres", 3),
            theme("FACTOR", "migrations", 3),
            theme("FACTOR", "connections", 3),
        ]
    );
    let database = &all[0];
    assert_eq!(database["key"], "database");
    let reviews: Vec<&str> =
        database["reviews"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(reviews, [c.private.as_str(), c.cousin.as_str(), c.twin.as_str(), c.source.as_str()]);
    let teams: Vec<&str> = database["teams"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(teams, ["Platform", "Search", "Payments"]);
    assert!(database["firstSeen"].as_str().unwrap() < database["lastSeen"].as_str().unwrap());
    let postgres = &all[1];
    assert_eq!(
        (postgres["key"].as_str(), &postgres["service"]["name"]),
        (Some(w.service("Postgres")), &json!("Postgres"))
    );
    assert_eq!(all[2]["key"], "migrat", "the factor word's stem");
    // The same data gives the same themes.
    assert_eq!(themes(&w, &w.cast.admin).await, all);

    // Search's lead reads neither the private review nor its part in any theme (and "migration"
    // is now written as often as "migrations": the first of them in order is the label).
    let search = themes(&w, &w.cast.person("search@acme.test")).await;
    assert_eq!(
        outline(&search),
        [
            theme("TAG", "database", 3),
            theme("FACTOR", "connections", 3),
            theme("SERVICE", "Postgres", 2),
            theme("FACTOR", "migration", 2),
        ]
    );
    let ids = search.to_string();
    assert!(!ids.contains(&c.private) && !ids.contains(&c.stranger), "{ids}");

    // Another organization sees none; a backwards window is refused.
    let other = w.cast.app.sign_up("Globex", "hank@globex.test").await;
    assert_eq!(themes(&w, &other).await, json!([]));
    let backwards = json!({ "from": "2026-02-01", "to": "2026-01-01" });
    w.cast.app.exec(Some(&w.cast.admin.token), THEMES, backwards).await.assert_error("BAD_USER_INPUT", Some("to"));
}

const PENDING: &str = "query($t: ID!) { node(id: $t) { ... on Team { pendingLearnings { review { id } reasons } } } }";

async fn pending(w: &World, who: &Session, team: &str) -> Vec<(String, Vec<String>)> {
    let answer = w.run(who, PENDING, json!({ "t": w.cast.team(team) })).await;
    answer["node"]["pendingLearnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let reasons = p["reasons"].as_array().unwrap().iter().map(|x| x.as_str().unwrap().to_owned()).collect();
            (p["review"]["id"].as_str().unwrap().to_owned(), reasons)
        })
        .collect()
}

/// The `LEARNING_RELEVANT` events of a review: `(team ID, reasons)`.
async fn told(w: &World, review: &str) -> Vec<(String, Vec<String>)> {
    let query = "query($s: ID!) { history(subjectId: $s, first: 100) { nodes { kind payload } } }";
    let answer = w.run(&w.cast.admin, query, json!({ "s": review })).await;
    answer["history"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "LEARNING_RELEVANT")
        .map(|e| {
            let reasons =
                e["payload"]["reasons"].as_array().unwrap().iter().map(|x| x.as_str().unwrap().to_owned()).collect();
            (e["payload"]["teamId"].as_str().unwrap().to_owned(), reasons)
        })
        .collect()
}

#[tokio::test]
async fn a_publish_tells_exactly_the_teams_it_concerns_and_each_hears_it_once() {
    let w = world().await;
    let (payments, platform, search) = (w.cast.team("Payments"), w.cast.team("Platform"), w.cast.team("Search"));
    let hooks: Vec<String> = {
        let mut ids = Vec::new();
        for (lead, team) in [("plat@acme.test", &platform), ("search@acme.test", &search)] {
            let input =
                json!({ "url": "http://127.0.0.1:9/hook", "eventKinds": ["LEARNING_RELEVANT"], "teamId": team });
            let made = w
                .run(
                    &w.cast.person(lead),
                    "mutation($i: CreateWebhookInput!) { createWebhook(input: $i) { webhook { id } } }",
                    json!({ "i": input }),
                )
                .await;
            ids.push(made["createWebhook"]["webhook"]["id"].as_str().unwrap().to_owned());
        }
        ids
    };
    let addr = w.cast.app.serve().await;
    let platform_lead = w.cast.person("plat@acme.test");
    let mut live = Socket::subscribed(
        addr,
        &platform_lead.token,
        "1",
        "subscription($t: ID!) { learningRelevant(teamId: $t) { reasons review { title } } }",
        json!({ "t": platform }),
    )
    .await;

    // Payments' review touches Postgres (Platform's): Platform is told, Search is not, nor is
    // Payments itself.
    let source = w.publish(source_story()).await;
    assert_eq!(told(&w, &source).await, [(platform.clone(), strings(&["OWNS_SERVICE"]))]);
    let heard = live.next("1").await;
    assert_eq!(heard["data"]["learningRelevant"]["reasons"], json!(["OWNS_SERVICE"]));
    assert_eq!(heard["data"]["learningRelevant"]["review"]["title"], "Checkout errors during the schema migration");

    // Search's review carries the same tag: Payments (its recent review is alike) is told; the
    // Search index has no other owner to tell.
    let cousin = w.publish(cousin_story()).await;
    assert_eq!(told(&w, &cousin).await, [(payments.clone(), strings(&["SIMILAR_INCIDENT"]))]);
    // A review only its team may read tells no one.
    let private = w
        .publish(Story {
            services: vec!["Postgres", "Checkout API"],
            tags: &["database"],
            root_cause: "Migrations exhausted the pool again.",
            factors: &["Migrations lock tables"],
            visibility: "TEAM",
            ..Story::new("Search", "Replica lag after the index build")
        })
        .await;
    assert_eq!(told(&w, &private).await, []);
    live.silent_for(std::time::Duration::from_millis(300)).await;

    // Pending for Platform until someone of Platform acknowledges it; Payments has the cousin.
    assert_eq!(pending(&w, &platform_lead, "Platform").await, [(source.clone(), strings(&["OWNS_SERVICE"]))]);
    assert_eq!(pending(&w, &w.cast.admin, "Payments").await, [(cousin.clone(), strings(&["SIMILAR_INCIDENT"]))]);
    assert_eq!(pending(&w, &w.cast.admin, "Search").await, []);
    // Someone of another team reading it does not count for Platform.
    let ack = "mutation($r: ID!) { acknowledgeLearning(reviewId: $r) { id } }";
    w.run(&w.cast.person("search@acme.test"), ack, json!({ "r": source })).await;
    assert_eq!(pending(&w, &platform_lead, "Platform").await.len(), 1);
    w.run(&platform_lead, ack, json!({ "r": source })).await;
    assert_eq!(pending(&w, &platform_lead, "Platform").await, []);

    // The feed, relevant to Payments: the cousin first, then the rest, newest first; pages of
    // one follow the same order.
    let feed = "query($t: ID, $a: String) { learningFeed(relevantTo: $t, first: 1, after: $a) { edges { node { id } } pageInfo { endCursor hasNextPage } } }";
    let pages_of_one = |team: String| {
        let w = &w;
        async move {
            let mut order = Vec::new();
            let mut after = Value::Null;
            loop {
                let page = w.run(&w.cast.admin, feed, json!({ "t": team, "a": after })).await;
                order.push(page["learningFeed"]["edges"][0]["node"]["id"].as_str().unwrap().to_owned());
                if page["learningFeed"]["pageInfo"]["hasNextPage"] != true {
                    return order;
                }
                after = page["learningFeed"]["pageInfo"]["endCursor"].clone();
            }
        }
    };
    assert_eq!(pages_of_one(payments.clone()).await, [cousin.clone(), source.clone()]);
    // Search was told of neither: the feed's own order, paged among the untold.
    assert_eq!(pages_of_one(search.clone()).await, [cousin.clone(), source.clone()]);
    let for_platform = w.run(&w.cast.admin, feed.replace("first: 1, ", "").as_str(), json!({ "t": platform })).await;
    let ids: Vec<&str> = for_platform["learningFeed"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [source.as_str(), cousin.as_str()]);

    // Each team's webhook gets its own team's notice only.
    hindsight_api::webhooks::outbox::run_once(&w.cast.app.state).await.unwrap();
    let deliveries = "query($w: ID!) { node(id: $w) { ... on Webhook { deliveries { nodes { eventKind event { subjectId payload } } } } } }";
    let got = w.run(&platform_lead, deliveries, json!({ "w": hooks[0] })).await;
    let nodes = got["node"]["deliveries"]["nodes"].as_array().unwrap().clone();
    assert_eq!(nodes.len(), 1, "{nodes:?}");
    assert_eq!(
        (nodes[0]["event"]["subjectId"].as_str(), &nodes[0]["event"]["payload"]["teamId"]),
        (Some(source.as_str()), &json!(platform))
    );
    let got = w.run(&w.cast.person("search@acme.test"), deliveries, json!({ "w": hooks[1] })).await;
    assert_eq!(got["node"]["deliveries"]["nodes"], json!([]));

    // Nothing crosses organizations: another organization's team cannot be asked about.
    let other = w.cast.app.sign_up("Globex", "hank@globex.test").await;
    w.cast.app.exec(Some(&other.token), feed, json!({ "t": platform })).await.assert_error("NOT_FOUND", None);
    assert_eq!(w.run(&other, PENDING, json!({ "t": platform })).await["node"], Value::Null);
}

//! `--demo` seeds an organization a newcomer can explore at once.

use hindsight_seed::demo::{DEMO_ADMIN_EMAIL, DEMO_PASSWORD, seed};
use serde_json::json;

use crate::harness::{TestApp, session_from};

#[tokio::test]
async fn the_demo_holds_teams_incidents_and_reviews_in_every_state() {
    let app = TestApp::new().await;
    seed(&app.state).await.expect("demo data seeds");
    // Seeding again finds the demo and adds nothing.
    seed(&app.state).await.expect("seeding twice is harmless");
    let admin = session_from(&app.login(DEMO_ADMIN_EMAIL, DEMO_PASSWORD).await.data()["login"]);
    let answer = app
        .exec(
            Some(&admin.token),
            "{ teams { totalCount } users { totalCount } incidents { totalCount edges { node { title status nearMiss review { status readiness { ready } } } } } }",
            json!({}),
        )
        .await;
    let data = answer.data();
    assert_eq!(data["teams"]["totalCount"], 3);
    assert_eq!(data["users"]["totalCount"], 6);
    assert_eq!(data["incidents"]["totalCount"], 4);
    let incidents = data["incidents"]["edges"].as_array().unwrap();
    let statuses: Vec<_> = incidents.iter().map(|e| e["node"]["status"].as_str().unwrap()).collect();
    for status in ["OPEN", "MITIGATED", "RESOLVED"] {
        assert!(statuses.contains(&status), "{status} missing from {statuses:?}");
    }
    let reviews: Vec<_> = incidents.iter().filter_map(|e| e["node"]["review"]["status"].as_str()).collect();
    assert!(reviews.contains(&"PUBLISHED") && reviews.contains(&"DRAFT"), "{reviews:?}");

    let follow_through = app
        .exec(
            Some(&admin.token),
            "{ actions { edges { node { status } } } overdueActions { totalCount } dueFollowUps { edges { node { followUps { kind } } } } }",
            json!({}),
        )
        .await;
    let data = follow_through.data();
    let statuses: Vec<_> =
        data["actions"]["edges"].as_array().unwrap().iter().map(|e| e["node"]["status"].as_str().unwrap()).collect();
    for status in ["OPEN", "IN_PROGRESS", "DONE", "WONT_DO"] {
        assert!(statuses.contains(&status), "{status} missing from {statuses:?}");
    }
    assert_eq!(data["overdueActions"]["totalCount"], 2);
    assert_eq!(data["dueFollowUps"]["edges"][0]["node"]["followUps"], json!([{ "kind": "SHORT_TERM" }]));

    // The meeting shows: an agreed timeline, accepted actions, a resolved thread on the published
    // review and an open one (with a mention) on the draft.
    let meeting = app
        .exec(
            Some(&admin.token),
            "{ incidents { edges { node { changeRef changeAuthor { displayName } review { status timelineAgreedBy { displayName }
                actions { acceptedAt } comments { edges { node { resolved location mentions { displayName } replies { body } } } } } } } } }",
            json!({}),
        )
        .await;
    let reviews: Vec<serde_json::Value> = meeting.data()["incidents"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["node"]["review"].is_object())
        .map(|e| e["node"].clone())
        .collect();
    let published = reviews.iter().find(|i| i["review"]["status"] == "PUBLISHED").unwrap();
    assert_eq!(published["review"]["timelineAgreedBy"].as_array().unwrap().len(), 2);
    assert!(published["review"]["actions"].as_array().unwrap().iter().any(|a| a["acceptedAt"].is_string()));
    let thread = &published["review"]["comments"]["edges"][0]["node"];
    assert_eq!((thread["resolved"].clone(), thread["location"].clone()), (json!(true), json!("whys[2].answer")));
    assert_eq!(thread["replies"].as_array().unwrap().len(), 1);
    let draft = reviews.iter().find(|i| i["review"]["status"] == "DRAFT").unwrap();
    assert_eq!(draft["changeAuthor"]["displayName"], "Lee Engineer");

    // Learning across teams: Platform owns the orders database the published SEV1 touched and
    // has not read it yet; the draft failover, on the same database, is related to it.
    let learning = app
        .exec(
            Some(&admin.token),
            "{ services { totalCount } teams { edges { node { name pendingLearnings { reasons review { status } } } } }
               incidents { edges { node { review { status related { reasons review { status } } } } } } }",
            json!({}),
        )
        .await;
    let data = learning.data();
    assert_eq!(data["services"]["totalCount"], 2);
    let platform = data["teams"]["edges"].as_array().unwrap().iter().find(|t| t["node"]["name"] == "Platform").unwrap();
    assert_eq!(
        platform["node"]["pendingLearnings"],
        json!([{ "reasons": ["OWNS_SERVICE"], "review": { "status": "PUBLISHED" } }])
    );
    let failover = data["incidents"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["node"]["review"]["status"] == "DRAFT")
        .unwrap();
    let related = &failover["node"]["review"]["related"][0];
    assert_eq!(related["review"]["status"], "PUBLISHED");
    assert!(related["reasons"].as_array().unwrap().contains(&json!("SHARED_SERVICE")), "{related}");
    let open = &draft["review"]["comments"]["edges"][0]["node"];
    assert_eq!(
        (open["resolved"].clone(), open["mentions"].clone()),
        (json!(false), json!([{ "displayName": "Lee Engineer" }]))
    );
}

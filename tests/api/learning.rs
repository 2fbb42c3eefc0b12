//! The learning feed: published, organization-wide reviews, searchable, and acknowledged.

use serde_json::{Value, json};

use crate::actions::{PUBLISH_QUERY, crew, ready_but_for_actions};

const FEED: &str = "query($s: String, $tags: [String!], $teams: [ID!], $f: Int, $a: String) {
    learningFeed(search: $s, tags: $tags, teamIds: $teams, first: $f, after: $a) {
        totalCount pageInfo { hasNextPage endCursor } edges { node { id title } } } }";

#[tokio::test]
async fn the_feed_holds_published_org_reviews_only() {
    let c = crew().await;
    let empty = c.run(&c.other, FEED, json!({})).await;
    assert_eq!(empty.data()["learningFeed"]["totalCount"], 0, "a draft is not a learning");
    ready_but_for_actions(&c, &c.other).await;
    c.action("Add a dead-letter queue", &c.member).await;
    c.action("Alert on consumer retries", &c.lead).await;
    c.run(&c.lead, PUBLISH_QUERY, json!({ "r": c.review })).await.data();

    // Someone of another team reads it, and finds it by a word of its root cause.
    let all = c.run(&c.other, FEED, json!({})).await;
    assert_eq!(all.data()["learningFeed"]["edges"][0]["node"]["id"], c.review);
    for (search, found) in [("dead-letter", 1), ("POISON message", 1), ("kubernetes", 0)] {
        let answer = c.run(&c.other, FEED, json!({ "s": search })).await;
        assert_eq!(answer.data()["learningFeed"]["totalCount"], found, "{search}");
    }
    let by_team = c.run(&c.other, FEED, json!({ "teams": [c.platform] })).await;
    assert_eq!(by_team.data()["learningFeed"]["totalCount"], 0);
    let by_tag = c.run(&c.other, FEED, json!({ "tags": ["nothing-tagged"] })).await;
    assert_eq!(by_tag.data()["learningFeed"]["totalCount"], 0);

    // Another organization sees nothing of it.
    let stranger = c.app.sign_up("Globex", "hank@globex.test").await;
    assert_eq!(c.run(&stranger, FEED, json!({})).await.data()["learningFeed"]["totalCount"], 0);
}

#[tokio::test]
async fn a_team_only_review_stays_out_of_the_feed() {
    let c = crew().await;
    ready_but_for_actions(&c, &c.other).await;
    c.action("Add a dead-letter queue", &c.member).await;
    c.action("Alert on consumer retries", &c.lead).await;
    c.run(
        &c.lead,
        "mutation($r: ID!) { updateReview(id: $r, input: { visibility: TEAM }) { id } }",
        json!({ "r": c.review }),
    )
    .await
    .data();
    c.run(&c.lead, PUBLISH_QUERY, json!({ "r": c.review })).await.data();
    assert_eq!(c.run(&c.lead, FEED, json!({})).await.data()["learningFeed"]["totalCount"], 0);
}

const ACK: &str = "mutation($r: ID!) { acknowledgeLearning(reviewId: $r) { acknowledgements { user { id } acknowledgedAt } acknowledgementsByTeam { team { slug } count } } }";

#[tokio::test]
async fn readers_acknowledge_a_learning_once() {
    let c = crew().await;
    c.run(&c.member, ACK, json!({ "r": c.review })).await.assert_error("INVALID_STATE", None);
    ready_but_for_actions(&c, &c.other).await;
    c.action("Add a dead-letter queue", &c.member).await;
    c.action("Alert on consumer retries", &c.lead).await;
    c.run(&c.lead, PUBLISH_QUERY, json!({ "r": c.review })).await.data();

    c.run(&c.other, ACK, json!({ "r": c.review })).await.data();
    let twice = c.run(&c.other, ACK, json!({ "r": c.review })).await;
    let review = &twice.data()["acknowledgeLearning"];
    assert_eq!(review["acknowledgements"].as_array().unwrap().len(), 1, "once per person");
    assert_eq!(review["acknowledgements"][0]["user"]["id"], c.other.user_id);
    assert_eq!(review["acknowledgementsByTeam"], json!([{ "team": { "slug": "platform" }, "count": 1 }]));
    let answer = c.run(&c.viewer, ACK, json!({ "r": c.review })).await;
    let counts: Vec<Value> = answer.data()["acknowledgeLearning"]["acknowledgementsByTeam"].as_array().unwrap().clone();
    assert_eq!(counts.len(), 2);

    let stranger = c.app.sign_up("Globex", "hank@globex.test").await;
    c.run(&stranger, ACK, json!({ "r": c.review })).await.assert_error("NOT_FOUND", None);
}

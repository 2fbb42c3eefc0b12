//! Every list query of the contract at scale: each root field that answers a page (or a list
//! computed over a window), with and without `totalCount` and with each of its filters, timed
//! one request after another as the organization's admin.

use std::time::{Duration, Instant};

use chrono::{TimeDelta, Utc};
use serde_json::{Value, json};

use crate::client::{Client, Session, str_at};
use crate::report::percentile;

/// Requests per query.
const RUNS: usize = 30;

pub struct Swept {
    pub name: String,
    pub p50: Duration,
    pub p99: Duration,
    pub errors: Vec<String>,
    /// The target: 50 ms for pages, 200 ms for the year of metrics (none for themes).
    pub target: Option<Duration>,
}

/// IDs the filters need, all of the admin's organization.
pub struct Subjects {
    pub team_id: String,
    pub owner_id: String,
    pub incident_id: String,
}

impl Subjects {
    pub async fn of(client: &Client, admin: &Session, member: &Session) -> anyhow::Result<Self> {
        let found = client
            .exec(
                Some(&admin.token),
                "{ teams(first: 1) { nodes { id } } incidents(first: 1) { nodes { id } } }",
                json!({}),
            )
            .await?;
        Ok(Self {
            team_id: str_at(&found, &["teams", "nodes", "0", "id"])?,
            owner_id: member.user_id.clone(),
            incident_id: str_at(&found, &["incidents", "nodes", "0", "id"])?,
        })
    }
}

/// The page queries, each with and without `totalCount`: (name, document).
fn pages(s: &Subjects) -> Vec<(String, String)> {
    let today = Utc::now().date_naive();
    let from = (Utc::now() - TimeDelta::days(90)).to_rfc3339();
    let (team, owner, incident) = (&s.team_id, &s.owner_id, &s.incident_id);
    let fields = [
        ("users", "users(first: 50)".to_owned()),
        ("users, search", "users(first: 50, search: \"user1\")".to_owned()),
        ("teams", "teams(first: 50)".to_owned()),
        ("services", "services(first: 50)".to_owned()),
        ("incidents", "incidents(first: 50)".to_owned()),
        ("incidents, team", format!("incidents(first: 50, filter: {{ teamId: \"{team}\" }})")),
        ("incidents, severity", "incidents(first: 50, filter: { severity: [SEV1] })".to_owned()),
        ("incidents, status", "incidents(first: 50, filter: { status: [OPEN, MITIGATED] })".to_owned()),
        ("incidents, near misses", "incidents(first: 50, filter: { nearMiss: true })".to_owned()),
        ("incidents, 90 days", format!("incidents(first: 50, filter: {{ from: \"{from}\" }})")),
        ("incidents, search", "incidents(first: 50, filter: { search: \"database\" })".to_owned()),
        ("actions", "actions(first: 50)".to_owned()),
        ("actions, team", format!("actions(first: 50, filter: {{ teamId: \"{team}\" }})")),
        ("actions, owner", format!("actions(first: 50, filter: {{ ownerId: \"{owner}\" }})")),
        ("actions, open", "actions(first: 50, filter: { status: [OPEN] })".to_owned()),
        ("actions, overdue", "actions(first: 50, filter: { overdue: true })".to_owned()),
        (
            "actions, due within a month",
            format!(
                "actions(first: 50, filter: {{ dueAfter: \"{today}\", dueBefore: \"{}\" }})",
                today + TimeDelta::days(30)
            ),
        ),
        ("actions, not linked", "actions(first: 50, filter: { linked: false })".to_owned()),
        ("overdueActions", "overdueActions(first: 50)".to_owned()),
        ("overdueActions, team", format!("overdueActions(first: 50, teamId: \"{team}\")")),
        ("overdueActions, owner", format!("overdueActions(first: 50, ownerId: \"{owner}\")")),
        ("dueFollowUps", "dueFollowUps(first: 20)".to_owned()),
        ("dueFollowUps, team", format!("dueFollowUps(first: 20, teamId: \"{team}\")")),
        ("learningFeed", "learningFeed(first: 20)".to_owned()),
        ("learningFeed, team", format!("learningFeed(first: 20, teamIds: [\"{team}\"])")),
        ("learningFeed, search", "learningFeed(first: 20, search: \"database\")".to_owned()),
        ("learningFeed, relevant to a team", format!("learningFeed(first: 20, relevantTo: \"{team}\")")),
        ("history of an incident", format!("history(subjectId: \"{incident}\", first: 50)")),
        ("webhooks", "webhooks(first: 50)".to_owned()),
        ("apiTokens", "apiTokens(first: 50)".to_owned()),
    ];
    let mut queries = Vec::new();
    for (name, field) in fields {
        queries.push((format!("`{name}`"), format!("{{ {field} {{ edges {{ node {{ id }} }} }} }}")));
        queries.push((
            format!("`{name}` + `totalCount`"),
            format!("{{ {field} {{ totalCount edges {{ node {{ id }} }} }} }}"),
        ));
    }
    queries
}

/// Times every list query, one request after another.
pub async fn run(client: &Client, admin: &Session, subjects: &Subjects) -> Vec<Swept> {
    let today = Utc::now().date_naive();
    let year_ago = today - TimeDelta::days(365);
    let mut swept = Vec::new();
    for (name, query) in pages(subjects) {
        swept.push(time(client, admin, name, &query, Some(Duration::from_millis(50))).await);
    }
    let metrics = format!(
        "{{ learningMetrics(from: \"{year_ago}\", to: \"{today}\") {{ incidents actions reviewCompletionRate overdueActions medianDaysOverdue repeatThemes {{ tag }} }} }}"
    );
    swept.push(
        time(client, admin, "`learningMetrics`, a year".into(), &metrics, Some(Duration::from_millis(200))).await,
    );
    let grouped = format!(
        "{{ learningMetrics(from: \"{year_ago}\", to: \"{today}\", groupBy: TEAM) {{ incidents groups {{ key metrics {{ incidents }} }} }} }}"
    );
    swept.push(
        time(client, admin, "`learningMetrics`, a year by team".into(), &grouped, Some(Duration::from_millis(200)))
            .await,
    );
    let themes = format!("{{ themes(from: \"{year_ago}\", to: \"{today}\", first: 10) {{ key count }} }}");
    swept.push(time(client, admin, "`themes`, a year".into(), &themes, None).await);
    swept
}

async fn time(client: &Client, admin: &Session, name: String, query: &str, target: Option<Duration>) -> Swept {
    let mut took = Vec::with_capacity(RUNS);
    let mut errors = Vec::new();
    for _ in 0..RUNS {
        let started = Instant::now();
        let answer = client.raw(Some(&admin.token), query, json!({})).await;
        took.push(started.elapsed());
        match answer {
            Ok(body) => {
                if let Some(Value::Array(found)) = body.get("errors") {
                    let codes = found.iter().map(|e| e["extensions"]["code"].as_str().unwrap_or("?").to_owned());
                    errors.extend(codes);
                }
            }
            Err(error) => errors.push(error.to_string()),
        }
    }
    took.sort();
    errors.sort();
    errors.dedup();
    Swept { name, p50: percentile(&took, 0.50), p99: percentile(&took, 0.99), errors, target }
}

//! Fuzzing the schema: random and mutated GraphQL documents and variables, run as an anonymous
//! caller and as a signed-in admin, never panic and never answer INTERNAL.

use proptest::prelude::*;
use proptest::test_runner::{Config as Cases, TestRunner};
use serde_json::{Value, json};

use crate::harness::TestApp;

/// Real operations to mutate, covering queries, mutations, fragments, variables and directives.
const SEEDS: &[&str] = &[
    "{ me { id email teams { role team { id name members(first: 5) { totalCount edges { node { user { email } } } } } } } }",
    "query($f: Int, $a: String) { incidents(first: $f, after: $a) { totalCount edges { cursor node { id title severity status tags review { id status readiness { ready unmet } } } } } }",
    "query($id: ID!) { node(id: $id) { id ... on Review { title whys { position answer } rootCause markdown } ... on Action { dueDate isOverdue } } }",
    "mutation($i: DeclareIncidentInput!) { declareIncident(input: $i) { id version startedAt } }",
    "mutation($n: String!) { createTeam(input: { name: $n }) { id slug } }",
    "query { overdueActions(first: 50) { edges { node { id title daysOverdue owner { email } } } pageInfo { hasNextPage endCursor } } }",
    "query($from: Date!, $to: Date!) { learningMetrics(from: $from, to: $to) { incidents reviewCompletionRate repeatThemes { tag incidents } } }",
    "query($s: String) { learningFeed(search: $s, first: 3) { totalCount edges { node { title acknowledgementsByTeam { count } } } } }",
    "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }",
    "query Q($skip: Boolean!) { organization { name reviewPolicy { minWhys } } tags @skip(if: $skip) { name incidents } ...F } fragment F on Query { blamelessCheck(text: \"operator error\") { reason hint } }",
    "query($id: ID!) { history(subjectId: $id, first: 2) { edges { node { id kind payload createdAt } } } }",
];

/// Pieces spliced into documents.
const TOKENS: &[&str] = &[
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    ":",
    "$",
    "!",
    "...",
    "@",
    "\"",
    "\\u0000",
    "#",
    "query",
    "mutation",
    "subscription",
    "fragment",
    "on",
    "null",
    "true",
    "-1",
    "2147483648",
    "1e400",
    "\"\u{1F4A5}\"",
    "__typename",
    "__schema",
    "id",
    "first: -5",
    "first: 1000000",
    "after: \"\"",
    "node(id: \"\")",
    "... on Review",
    "@include(if: $x)",
    "$undefined",
];

fn mutated_document() -> impl Strategy<Value = String> {
    let edit = prop_oneof![
        (any::<prop::sample::Index>(), any::<prop::sample::Index>()).prop_map(|(at, token)| Edit::Insert(at, token)),
        (any::<prop::sample::Index>(), 1usize..8).prop_map(|(at, len)| Edit::Delete(at, len)),
        (any::<prop::sample::Index>(), any::<char>()).prop_map(|(at, c)| Edit::Replace(at, c)),
    ];
    (any::<prop::sample::Index>(), prop::collection::vec(edit, 0..6)).prop_map(|(seed, edits)| {
        let mut document: Vec<char> = seed.get(SEEDS).chars().collect();
        for edit in edits {
            edit.apply(&mut document);
        }
        document.into_iter().collect()
    })
}

#[derive(Debug, Clone)]
enum Edit {
    Insert(prop::sample::Index, prop::sample::Index),
    Delete(prop::sample::Index, usize),
    Replace(prop::sample::Index, char),
}

impl Edit {
    fn apply(self, document: &mut Vec<char>) {
        let len = document.len().max(1);
        match self {
            Edit::Insert(at, token) => {
                let at = at.index(len + 1).min(document.len());
                let token: Vec<char> = format!(" {} ", token.get(TOKENS)).chars().collect();
                document.splice(at..at, token);
            }
            Edit::Delete(at, n) => {
                let at = at.index(len).min(document.len());
                let end = (at + n).min(document.len());
                document.drain(at..end);
            }
            Edit::Replace(at, c) => {
                if !document.is_empty() {
                    let at = at.index(len);
                    document[at] = c;
                }
            }
        }
    }
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Value::from),
        ".{0,40}".prop_map(Value::from),
        Just(json!("2026-02-30")),
        Just(json!("2026-11-23T10:00:00Z")),
        Just(json!("not-an-id")),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map("[a-zA-Z]{1,12}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn variables() -> impl Strategy<Value = Value> {
    let names = prop::sample::select(vec!["f", "a", "id", "i", "n", "from", "to", "s", "e", "p", "skip", "x"]);
    prop::collection::btree_map(names, json_value(), 0..5)
        .prop_map(|m| Value::Object(m.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()))
}

#[test]
fn random_documents_and_variables_never_break_the_server() {
    let cases: u32 = std::env::var("FUZZ_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(10_000);
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let (app, token) = runtime.block_on(async {
        let app = TestApp::new().await;
        let admin = app.sign_up("Acme", "ada@acme.test").await;
        (app, admin.token)
    });
    let mut runner = TestRunner::new(Cases { cases, failure_persistence: None, ..Cases::default() });
    let strategy = (mutated_document(), variables(), any::<bool>());
    runner
        .run(&strategy, |(document, variables, signed_in)| {
            let answer = runtime.block_on(app.exec(signed_in.then_some(token.as_str()), &document, variables));
            for error in answer.errors() {
                let code = error["extensions"]["code"].as_str().unwrap_or("");
                prop_assert!(!code.is_empty(), "an error without a code: {error}");
                prop_assert_ne!(code, "INTERNAL", "bad input answered INTERNAL: {}", document);
            }
            Ok(())
        })
        .unwrap();
    println!("fuzzed the schema with {cases} cases");
}

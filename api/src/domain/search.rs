//! Full-text search with each database's own engine. PostgreSQL: its text search over the words
//! of an incident or a published review, kept in the row's generated `search_vector` column
//! (`to_tsvector('english', …)`) under a GIN index (the `search_vectors` migration), and over the
//! texts related reviews are compared by, under GIN indexes over the expression. SQLite: FTS5
//! (porter stemming, tables kept by triggers; the `learning` migration). Both find words (and
//! their stems), not substrings, through an index whatever the length of the term; on PostgreSQL
//! a phrase or an excluded word also rechecks the stored words of the rows the index finds
//! (bounded by the statement time limit).
//!
//! Search terms use web-search syntax on both: words must all appear, `"quoted phrases"` appear
//! as written (on SQLite: their words, anywhere in the same row), `or` between two items accepts either, and
//! `-word` excludes.

use std::collections::BTreeSet;

use rust_stemmers::{Algorithm, Stemmer};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Order, SelectStatement, SimpleExpr};
use sea_orm::{Condition, ConnectionTrait, DatabaseBackend, EntityTrait, QueryFilter, QuerySelect, QueryTrait};
use unicode_properties::{GeneralCategory, GeneralCategoryGroup, UnicodeGeneralCategory};
use uuid::Uuid;

use crate::domain::validate;
use crate::error::AppResult;
use entity::review;

/// What is searched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Searched {
    /// A published review's words (its `search_text`: the learning feed).
    Reviews,
    /// An incident's title and summary.
    Incidents,
}

/// The published texts of a review that related reviews are compared by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compared {
    RootCause,
    Factors,
}

impl Compared {
    fn postgres_document(self) -> &'static str {
        match self {
            Self::RootCause => r#"to_tsvector('english', coalesce("review"."root_cause_text", ''))"#,
            Self::Factors => r#"to_tsvector('english', coalesce("review"."factor_text", ''))"#,
        }
    }

    /// The FTS5 column.
    fn sqlite_column(self) -> &'static str {
        match self {
            Self::RootCause => "root_cause",
            Self::Factors => "factors",
        }
    }

    /// The review's column holding the text.
    fn text_column(self) -> review::Column {
        match self {
            Self::RootCause => review::Column::RootCauseText,
            Self::Factors => review::Column::FactorText,
        }
    }
}

/// Rows of `searched` matching `term` (already validated: see `validate::search`).
///
/// Custom SQL takes its values at `$1` on PostgreSQL and `?` on SQLite (sea-query's placeholders).
pub fn matches(backend: DatabaseBackend, searched: Searched, term: &str) -> Condition {
    if backend == DatabaseBackend::Postgres {
        let document = match searched {
            Searched::Reviews => r#""review"."search_vector""#,
            Searched::Incidents => r#""incident"."search_vector""#,
        };
        return Condition::all().add(Expr::cust_with_exprs(
            format!("{document} @@ websearch_to_tsquery('english', $1)"),
            [Expr::val(term)],
        ));
    }
    let query = WebQuery::parse(term);
    let (column, id, keys, table, key_id) = match searched {
        Searched::Reviews => ("{body} : ", r#""review"."id""#, "review_search_key", "review_search", "review_id"),
        Searched::Incidents => ("", r#""incident"."id""#, "incident_search_key", "incident_search", "incident_id"),
    };
    let found = |fts: String, operator: &str| {
        Expr::cust_with_exprs(
            format!(
                "{id} {operator} (SELECT k.{key_id} FROM {keys} k WHERE k.key IN \
                 (SELECT rowid FROM {table} WHERE {table} MATCH ?))"
            ),
            [Expr::val(format!("{column}({fts})"))],
        )
    };
    let mut condition = Condition::all();
    match query.included() {
        Some(included) => condition = condition.add(found(included, "IN")),
        // Nothing to look for (only punctuation, say): nothing is found, as on PostgreSQL.
        None if query.excluded.is_empty() => return Condition::all().add(Expr::cust("1 = 0")),
        None => {}
    }
    if let Some(excluded) = query.excluded() {
        condition = condition.add(found(excluded, "NOT IN"));
    }
    condition
}

/// Whether FTS5's `unicode61` tokenizer keeps `c` in a token: letters, numbers and private use
/// characters (its default `L* N* Co`); everything else, marks included, separates tokens.
fn fts5_token_char(c: char) -> bool {
    matches!(c.general_category_group(), GeneralCategoryGroup::Letter | GeneralCategoryGroup::Number)
        || c.general_category() == GeneralCategory::PrivateUse
}

/// An item of a search term as FTS5 tokens that must all appear, or none when it holds no token.
/// The index keeps no positions (`detail=column`: phrase checks on long texts ran for seconds,
/// out of reach of the statement time limit), so a quoted phrase finds its words anywhere in the
/// same row. Each token is quoted on its own, split where the tokenizer splits (a quoted string of
/// two tokens would be a phrase, which such an index refuses), so nothing a person types is taken
/// as FTS5 syntax.
fn fts5_words(text: &str) -> Option<String> {
    let tokens: Vec<String> =
        text.split(|c: char| !fts5_token_char(c)).filter(|w| !w.is_empty()).map(|w| format!("\"{w}\"")).collect();
    match tokens.as_slice() {
        [] => None,
        [token] => Some(token.clone()),
        _ => Some(format!("({})", tokens.join(" AND "))),
    }
}

/// A search term in web-search syntax, as FTS5 expressions.
#[derive(Debug, Default, PartialEq)]
struct WebQuery {
    /// Groups that must all match; within a group, any item (`a or b`).
    groups: Vec<Vec<String>>,
    excluded: Vec<String>,
}

impl WebQuery {
    fn parse(term: &str) -> Self {
        let mut query = Self::default();
        let mut chars = term.chars().peekable();
        let mut joined_by_or = false;
        let mut items = 0;
        while let Some(&c) = chars.peek() {
            if c.is_whitespace() {
                chars.next();
                continue;
            }
            let negated = c == '-';
            if negated {
                chars.next();
            }
            let quoted = chars.peek() == Some(&'"');
            let mut text = String::new();
            if quoted {
                chars.next();
                for c in chars.by_ref() {
                    if c == '"' {
                        break;
                    }
                    text.push(c);
                }
            } else {
                while let Some(&c) = chars.peek() {
                    if c.is_whitespace() || c == '"' {
                        break;
                    }
                    text.push(c);
                    chars.next();
                }
            }
            if !quoted && !negated && text.eq_ignore_ascii_case("or") {
                joined_by_or = !query.groups.is_empty();
                continue;
            }
            let Some(item) = fts5_words(&text).filter(|_| items < validate::limits::SEARCH_WORDS) else { continue };
            items += 1;
            if negated {
                query.excluded.push(item);
            } else if joined_by_or && let Some(last) = query.groups.last_mut() {
                last.push(item);
            } else {
                query.groups.push(vec![item]);
            }
            joined_by_or = false;
        }
        query
    }

    fn included(&self) -> Option<String> {
        (!self.groups.is_empty()).then(|| {
            self.groups.iter().map(|group| format!("({})", group.join(" OR "))).collect::<Vec<_>>().join(" AND ")
        })
    }

    fn excluded(&self) -> Option<String> {
        (!self.excluded.is_empty()).then(|| self.excluded.join(" OR "))
    }
}

/// Common English words, left out of comparisons (PostgreSQL's `english` configuration leaves
/// out the same kind; SQLite's FTS5 keeps every word, so they are dropped here).
const STOP_WORDS: &[&str] = &[
    "a", "about", "above", "after", "again", "against", "all", "am", "an", "and", "any", "are", "as", "at", "be",
    "because", "been", "before", "being", "below", "between", "both", "but", "by", "can", "could", "did", "do", "does",
    "doing", "down", "during", "each", "few", "for", "from", "further", "had", "has", "have", "having", "he", "her",
    "here", "hers", "him", "his", "how", "if", "in", "into", "is", "it", "its", "just", "me", "more", "most", "my",
    "no", "nor", "not", "now", "of", "off", "on", "once", "only", "or", "other", "our", "ours", "out", "over", "own",
    "same", "she", "should", "so", "some", "such", "than", "that", "the", "their", "theirs", "them", "then", "there",
    "these", "they", "this", "those", "through", "to", "too", "under", "until", "up", "very", "was", "we", "were",
    "what", "when", "where", "which", "while", "who", "whom", "why", "will", "with", "would", "you", "your", "yours",
];

/// At most this many words of a text are compared.
const COMPARED_WORDS: usize = 24;

/// The words of `text` worth comparing: lower case, at least three letters, no common words,
/// each once, in order of appearance.
pub fn significant_words(text: &str) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    for word in text.split(|c: char| !c.is_alphanumeric()) {
        let word = word.to_lowercase();
        if word.chars().count() < 3 || word.chars().all(|c| c.is_numeric()) || STOP_WORDS.contains(&word.as_str()) {
            continue;
        }
        if !words.contains(&word) {
            words.push(word);
        }
    }
    words
}

/// The stems of the significant words of `text` (Snowball English, as PostgreSQL's `english`
/// configuration stems).
pub fn stems(text: &str) -> BTreeSet<String> {
    let stemmer = Stemmer::create(Algorithm::English);
    significant_words(text).iter().map(|word| stemmer.stem(word).into_owned()).collect()
}

/// Reviews among `candidates` whose `compared` text shares words with `text`, best first, each
/// with a likeness between 0 and 1, over the text's significant words, any of which may match.
///
/// PostgreSQL ranks every match with `ts_rank` (normalized as rank / (rank + 1)), which reads the
/// document alone. SQLite's bm25 would weigh words by how many rows of the whole index hold them,
/// every organization's included, and an organization could read others' vocabulary back from
/// its scores; so on SQLite FTS5 finds the most recent `limit` matches and the likeness is the
/// share of the text's word stems each one holds.
pub async fn similar(
    db: &impl ConnectionTrait,
    candidates: Condition,
    compared: Compared,
    text: &str,
    limit: u64,
) -> AppResult<Vec<(Uuid, f64)>> {
    let words: Vec<String> = significant_words(text).into_iter().take(COMPARED_WORDS).collect();
    if words.is_empty() {
        return Ok(Vec::new());
    }
    let mut query: SelectStatement =
        review::Entity::find().select_only().column(review::Column::Id).filter(candidates).limit(limit).into_query();
    if db.get_database_backend() == DatabaseBackend::Postgres {
        let any_word = || -> SimpleExpr {
            Expr::cust_with_exprs(
                "replace(plainto_tsquery('english', $1)::text, ' & ', ' | ')::tsquery",
                [Expr::val(words.join(" "))],
            )
        };
        let document = compared.postgres_document();
        let score = Alias::new("score");
        query
            .expr_as(
                Expr::cust_with_exprs(format!("CAST(ts_rank({document}, $1, 32) AS DOUBLE PRECISION)"), [any_word()]),
                score.clone(),
            )
            .and_where(Expr::cust_with_exprs(format!("{document} @@ $1"), [any_word()]))
            .order_by(score, Order::Desc)
            .order_by((review::Entity, review::Column::Id), Order::Asc);
        let mut found = Vec::new();
        for row in db.query_all(&query).await? {
            let score: f64 = row.try_get("", "score")?;
            found.push((row.try_get("", "id")?, score.clamp(0.0, 1.0)));
        }
        return Ok(found);
    }
    let any_word: Vec<String> = words.iter().filter_map(|word| fts5_words(word)).collect();
    if any_word.is_empty() {
        return Ok(Vec::new());
    }
    let column = compared.sqlite_column();
    query
        .expr_as(Expr::col((review::Entity, compared.text_column())), Alias::new("text"))
        .inner_join(
            Alias::new("review_search_key"),
            Expr::col((Alias::new("review_search_key"), Alias::new("review_id")))
                .equals((review::Entity, review::Column::Id)),
        )
        .inner_join(Alias::new("review_search"), Expr::cust("review_search.rowid = review_search_key.key"))
        .and_where(Expr::cust_with_exprs(
            "review_search MATCH ?",
            [Expr::val(format!("{{{column}}} : ({})", any_word.join(" OR ")))],
        ))
        .order_by((review::Entity, review::Column::PublishedAt), Order::Desc)
        .order_by((review::Entity, review::Column::Id), Order::Desc);
    let source = stems(&words.join(" "));
    let mut found = Vec::new();
    for row in db.query_all(&query).await? {
        let text: Option<String> = row.try_get("", "text")?;
        let shared = stems(text.as_deref().unwrap_or_default()).intersection(&source).count();
        if shared > 0 {
            found.push((row.try_get("", "id")?, shared as f64 / source.len() as f64));
        }
    }
    found.sort_by(|a: &(Uuid, f64), b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn web_search_syntax_becomes_fts5() {
        let query = WebQuery::parse(r#"disk "connection pool" or timeout -staging"#);
        assert_eq!(query.included().as_deref(), Some(r#"("disk") AND (("connection" AND "pool") OR "timeout")"#));
        assert_eq!(query.excluded().as_deref(), Some(r#""staging""#));
        // FTS5's own syntax is taken as words.
        let query = WebQuery::parse(r#"NEAR(a b) col:x * "unclosed"#);
        assert_eq!(
            query.included().as_deref(),
            Some(r#"(("NEAR" AND "a")) AND ("b") AND (("col" AND "x")) AND ("unclosed")"#)
        );
        assert_eq!(WebQuery::parse("or -- !!").included(), None);
    }

    #[test]
    fn significant_words_leave_out_common_ones() {
        assert_eq!(significant_words("The disk filled up; the DISK alarm was off by 10%"), ["disk", "filled", "alarm"]);
    }
}

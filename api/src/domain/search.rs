//! Full-text search with each database's own engine: PostgreSQL's text search (GIN indexes over
//! `to_tsvector('english', …)`) and SQLite's FTS5 (porter stemming, tables kept by triggers; see
//! the `learning` migration). Both find words (and their stems), not substrings, so a search costs
//! an index lookup whatever the length of the text or of the term.
//!
//! Search terms use web-search syntax on both: words must all appear, `"quoted phrases"` appear
//! as written (on SQLite: their words, in any order), `or` between two items accepts either, and
//! `-word` excludes.

use sea_orm::sea_query::{Alias, Expr, ExprTrait, Order, SelectStatement, SimpleExpr};
use sea_orm::{Condition, ConnectionTrait, DatabaseBackend, EntityTrait, QueryFilter, QuerySelect, QueryTrait};
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

    /// The FTS5 column, and the bm25 weights that count it alone (body, root cause, factors).
    fn sqlite_column(self) -> (&'static str, &'static str) {
        match self {
            Self::RootCause => ("root_cause", "0.0, 1.0, 0.0"),
            Self::Factors => ("factors", "0.0, 0.0, 1.0"),
        }
    }
}

/// Rows of `searched` matching `term` (already validated: see `validate::search`).
///
/// Custom SQL takes its values at `$1` on PostgreSQL and `?` on SQLite (sea-query's placeholders).
pub fn matches(backend: DatabaseBackend, searched: Searched, term: &str) -> Condition {
    if backend == DatabaseBackend::Postgres {
        let document = match searched {
            Searched::Reviews => r#"to_tsvector('english', coalesce("review"."search_text", ''))"#,
            Searched::Incidents => {
                r#"to_tsvector('english', "incident"."title" || ' ' || coalesce("incident"."summary", ''))"#
            }
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

/// An item of a search term as FTS5 words that must all appear: the index keeps no positions
/// (`detail=column`: phrase checks on long texts ran for seconds, out of reach of the statement
/// time limit), so a quoted phrase finds its words anywhere in the same column. Each word is
/// quoted, so nothing a person types is taken as FTS5 syntax.
fn fts5_words(text: &str) -> String {
    let words: Vec<String> =
        text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(|w| format!("\"{w}\"")).collect();
    match words.as_slice() {
        [word] => word.clone(),
        _ => format!("({})", words.join(" AND ")),
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
            if text.chars().all(|c| !c.is_alphanumeric()) || items == validate::limits::SEARCH_WORDS {
                continue;
            }
            items += 1;
            let item = fts5_words(&text);
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

/// Reviews among `candidates` whose `compared` text shares words with `text`, best first, each
/// with a similarity between 0 and 1: PostgreSQL's `ts_rank` (normalized as rank / (rank + 1))
/// or FTS5's bm25 (as s / (s + 1)), over the text's significant words, any of which may match.
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
    let score = Alias::new("score");
    let mut query: SelectStatement =
        review::Entity::find().select_only().column(review::Column::Id).filter(candidates).limit(limit).into_query();
    let backend = db.get_database_backend();
    if backend == DatabaseBackend::Postgres {
        let any_word = || -> SimpleExpr {
            Expr::cust_with_exprs(
                "replace(plainto_tsquery('english', $1)::text, ' & ', ' | ')::tsquery",
                [Expr::val(words.join(" "))],
            )
        };
        let document = compared.postgres_document();
        query
            .expr_as(
                Expr::cust_with_exprs(format!("CAST(ts_rank({document}, $1, 32) AS DOUBLE PRECISION)"), [any_word()]),
                score.clone(),
            )
            .and_where(Expr::cust_with_exprs(format!("{document} @@ $1"), [any_word()]));
    } else {
        let (column, weights) = compared.sqlite_column();
        let any_word = words.iter().map(|w| format!("\"{w}\"")).collect::<Vec<_>>().join(" OR ");
        query
            .expr_as(Expr::cust(format!("-bm25(review_search, {weights})")), score.clone())
            .inner_join(
                Alias::new("review_search_key"),
                Expr::col((Alias::new("review_search_key"), Alias::new("review_id")))
                    .equals((review::Entity, review::Column::Id)),
            )
            .inner_join(Alias::new("review_search"), Expr::cust("review_search.rowid = review_search_key.key"))
            .and_where(Expr::cust_with_exprs(
                "review_search MATCH ?",
                [Expr::val(format!("{{{column}}} : ({any_word})"))],
            ));
    }
    query.order_by(score, Order::Desc).order_by((review::Entity, review::Column::Id), Order::Asc);
    let rows = db.query_all(&query).await?;
    let mut found = Vec::with_capacity(rows.len());
    for row in rows {
        let id: Uuid = row.try_get("", "id")?;
        let score: f64 = row.try_get("", "score")?;
        let similarity = if backend == DatabaseBackend::Postgres { score } else { score / (score + 1.0) };
        found.push((id, similarity.clamp(0.0, 1.0)));
    }
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

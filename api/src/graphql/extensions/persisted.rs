//! Automatic persisted queries, as Apollo Client, urql and Relay send them: a client sends the
//! SHA-256 of a document in `extensions.persistedQuery`; the server answers
//! `PERSISTED_QUERY_NOT_FOUND` when it does not know it, and the client sends it again with its
//! text, which the server keeps. Documents are kept as text, so every limit of the document
//! walker applies to them as to any other; only small ones are kept, within a bounded memory.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use async_graphql::{Request, ServerResult};
use serde::Deserialize;

use crate::auth::secret;
use crate::error::AppError;
use crate::graphql::server_error;

/// The longest document kept (the documents of a front-end are a few kilobytes).
const MAX_DOCUMENT: usize = 32 * 1024;
/// How many bytes the kept documents take at most, their bookkeeping included; the oldest go
/// first.
const MAX_KEPT: usize = 8 * 1024 * 1024;
/// What one kept document costs besides its text: its hash twice (map and queue), the map's
/// and the queue's slots.
const ENTRY_COST: usize = 256;

#[derive(Deserialize)]
struct PersistedQuery {
    version: i32,
    #[serde(rename = "sha256Hash")]
    sha256_hash: String,
}

/// The documents this server has been sent, by SHA-256 (lowercase hex).
#[derive(Default)]
struct Kept {
    by_hash: HashMap<String, Arc<str>>,
    order: VecDeque<String>,
    bytes: usize,
}

impl Kept {
    fn keep(&mut self, hash: String, document: &str) {
        if document.len() > MAX_DOCUMENT || self.by_hash.contains_key(&hash) {
            return;
        }
        let cost = document.len() + ENTRY_COST;
        while self.bytes + cost > MAX_KEPT {
            let Some(oldest) = self.order.pop_front() else { break };
            if let Some(gone) = self.by_hash.remove(&oldest) {
                self.bytes -= gone.len() + ENTRY_COST;
            }
        }
        self.bytes += cost;
        self.order.push_back(hash.clone());
        self.by_hash.insert(hash, document.into());
    }
}

/// The documents kept; one store per schema (per server).
#[derive(Clone, Default)]
pub(super) struct PersistedQueries(Arc<Mutex<Kept>>);

impl PersistedQueries {
    /// A request naming its document by hash gets the document kept under it; one sending its
    /// document with the hash has it kept.
    pub(super) fn prepare(&self, mut request: Request) -> ServerResult<Request> {
        let Some(value) = request.extensions.remove("persistedQuery") else { return Ok(request) };
        let invalid = |message: &str| server_error(AppError::invalid("extensions.persistedQuery", message));
        let persisted: PersistedQuery = async_graphql::from_value(value)
            .map_err(|_| invalid("persistedQuery must be { version: 1, sha256Hash: \"<hex>\" }"))?;
        if persisted.version != 1 {
            return Err(invalid("only version 1 of persisted queries is supported"));
        }
        let hash = persisted.sha256_hash.to_ascii_lowercase();
        if request.query.is_empty() {
            let kept = self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).by_hash.get(&hash).cloned();
            let Some(document) = kept else { return Err(server_error(AppError::PersistedQueryNotFound)) };
            request.query = document.to_string();
        } else if secret::digest(&request.query) != hash {
            return Err(invalid("sha256Hash is not the SHA-256 of the query"));
        } else if async_graphql::parser::parse_query(&request.query).is_ok() {
            // Only documents that parse are kept (the walker's limits still apply at each use).
            self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).keep(hash, &request.query);
        }
        Ok(request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_oldest_documents_go_first_within_the_bound() {
        let mut kept = Kept::default();
        let document = "x".repeat(MAX_DOCUMENT - ENTRY_COST);
        let fits = MAX_KEPT / MAX_DOCUMENT;
        for n in 0..=fits {
            kept.keep(format!("{n}"), &document);
        }
        assert_eq!(kept.by_hash.len(), fits);
        assert!(kept.bytes <= MAX_KEPT);
        assert!(!kept.by_hash.contains_key("0"), "the oldest went first");
        kept.keep("big".into(), &"x".repeat(MAX_DOCUMENT + 1));
        assert!(!kept.by_hash.contains_key("big"), "documents over the bound are not kept");
        // Tiny documents cannot grow the store past its bound through their bookkeeping.
        for n in 0..100_000 {
            kept.keep(format!("tiny{n}"), "a");
        }
        assert!(kept.bytes <= MAX_KEPT && kept.by_hash.len() <= MAX_KEPT / ENTRY_COST, "{}", kept.by_hash.len());
    }
}

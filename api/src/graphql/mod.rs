//! The GraphQL layer: thin resolvers over `domain/`, GraphQL types built from entity models.

mod connection;
mod context;
mod extensions;
/// Public for the benchmark's baseline handlers only (the `bench` feature).
#[cfg(feature = "bench")]
pub mod loaders;
#[cfg(not(feature = "bench"))]
pub(crate) mod loaders;
mod mutation;
mod query;
mod subscription;
pub mod types;

use async_graphql::{Response, Schema, SchemaBuilder, ServerError};

pub use connection::{SocketControl, close};
pub(crate) use context::reauthenticate;
pub use context::{ClientAddress, ContextExt};
pub use extensions::{CredentialBudget, HttpGet, SocketCredentials, SocketSubscriptions};
pub use mutation::Mutation;
pub use query::Query;
pub use subscription::{ActionEvent, ReviewEvent, Subscription};

use crate::error::AppError;
use crate::state::AppState;

pub type AppSchema = Schema<Query, Mutation, Subscription>;

/// Most directives on one field.
const MAX_DIRECTIVES: usize = 4;

/// What costly fields cost in the complexity limit, beyond the 1 every field costs. A unit is
/// about what resolving one plain field costs; the figures below come from what each field
/// reads and computes.
pub(crate) mod cost {
    /// Checks every publishing rule: reads the review's children and its policy.
    pub const READINESS: usize = 20;
    /// Reads the review's text and the organization's people, then scans it all.
    pub const BLAMELESS_FINDINGS: usize = 50;
    /// Reads the whole review and writes a page.
    pub const MARKDOWN: usize = 50;
    /// Counts acknowledgements by team.
    pub const ACKNOWLEDGEMENTS_BY_TEAM: usize = 10;
    /// How many items a plain list is priced at: about what it holds, on average; the write
    /// side bounds each (see `domain::validate::limits`).
    pub const TIMELINE: usize = 10;
    pub const PARTICIPANTS: usize = 5;
    pub const RESPONDERS: usize = 5;
    pub const AFFECTED_TEAMS: usize = 3;
    /// Services an incident touched or a team owns.
    pub const SERVICES: usize = 3;
    pub const ACKNOWLEDGEMENTS: usize = 20;
    pub const ACTIONS: usize = 3;
    pub const FOLLOW_UPS: usize = 2;
    pub const WHYS: usize = 5;
    /// Parked questions, contributing factors, links.
    pub const REVIEW_ITEMS: usize = 3;
    pub const TEAMS_OF_A_PERSON: usize = 2;
    /// Replies in a thread, people a comment mentions.
    pub const REPLIES: usize = 5;
    pub const MENTIONS: usize = 2;
    /// Scanning a comment (at most 2,000 characters) for blame language.
    pub const COMMENT_SCAN: usize = 10;
    /// Related reviews: four ranked statements (services, tags, two text searches) and the
    /// review's own texts.
    pub const RELATED: usize = 30;
    /// Recurring themes: a window's reviews by service, tag and factor words.
    pub const THEMES: usize = 50;
    /// Teams of a theme.
    pub const THEME_TEAMS: usize = 3;

    /// A plain list: its fields once per item it is priced at.
    pub fn list(child_complexity: usize, items: usize) -> usize {
        child_complexity.max(1).saturating_mul(items)
    }

    /// Scanning a text for blame language: one unit per 200 bytes.
    pub fn text_scan(text: &str) -> usize {
        1 + text.len() / 200
    }
}

/// How many items a plain list argument `first` asks for: `default` when omitted, at most `max`,
/// none when negative.
pub(crate) fn list_size(first: Option<i32>, default: usize, max: usize) -> usize {
    first.map_or(default, |n| usize::try_from(n).unwrap_or(0).min(max))
}

/// The complexity of a connection: its child fields once per item asked for.
pub(crate) fn page_cost(first: Option<i32>, child_complexity: usize) -> usize {
    use crate::domain::pagination::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};
    let items = first.map_or(DEFAULT_PAGE_SIZE, |n| u64::try_from(n).unwrap_or(1).clamp(1, MAX_PAGE_SIZE));
    usize::try_from(items).unwrap_or(usize::MAX).saturating_mul(child_complexity.max(1))
}

fn builder() -> SchemaBuilder<Query, Mutation, Subscription> {
    Schema::build(Query::default(), Mutation::default(), Subscription)
        .override_output_type_description::<chrono::DateTime<chrono::Utc>>(
            "A moment in UTC, as an RFC 3339 timestamp with microseconds (`2026-11-30T00:38:44.325721+00:00`); \
             any offset is accepted in input.",
        )
}

/// The executable schema, bound to the server's state.
pub fn build_schema(state: AppState) -> AppSchema {
    let introspection = state.config.introspection;
    let limits = extensions::DocumentLimits {
        max_depth: state.config.max_depth,
        max_aliases: state.config.max_aliases,
        max_complexity: state.config.max_complexity,
        parsed: std::sync::Arc::default(),
    };
    let slots = extensions::UserSlots::new(state.config.max_concurrent_per_user, state.config.statement_timeout);
    let mut builder =
        builder().extension(extensions::Controls::new(limits, slots)).limit_directives(MAX_DIRECTIVES).data(state);
    if !introspection {
        builder = builder.disable_introspection().disable_suggestions();
    }
    builder.finish()
}

/// The schema in SDL, as committed in `schema.graphql`.
pub fn sdl() -> String {
    builder().finish().sdl_with_options(async_graphql::SDLExportOptions::new().include_specified_by())
}

/// An error raised outside a resolver (a request-level refusal), with its code.
pub(crate) fn server_error(err: AppError) -> ServerError {
    let error = async_graphql::Error::from(err);
    let mut server_error = ServerError::new(error.message, None);
    server_error.extensions = error.extensions;
    server_error
}

/// The answer to a batch with more operations than allowed.
pub fn batch_too_large(max: usize) -> async_graphql::BatchResponse {
    let error = server_error(AppError::bad_input(format!("a batch may hold at most {max} operations")));
    async_graphql::BatchResponse::Single(Response::from_errors(vec![error]))
}

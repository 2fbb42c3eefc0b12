//! Schema extensions, by concern: every error gets a code and a panic becomes INTERNAL
//! (`errors`); documents built to overload the server or to multiply credential guesses are
//! refused before anything runs (`document`); each operation gets its controls: bound to its
//! viewer (WebSocket operations authenticate again) with loaders of its own, read-only API
//! tokens cannot mutate, mutations wake the event hub (`request`); a WebSocket connection holds
//! a bounded number of subscriptions (`socket`); one user runs a bounded number of top-level fields at once
//! (`user_slots`); automatic persisted queries (`persisted`).

mod document;
mod errors;
mod nulls;
mod persisted;
mod request;
mod socket;
mod user_slots;

use async_graphql::parser::types::{ExecutableDocument, OperationType};

pub use document::{CredentialBudget, DocumentLimits};
pub use errors::ErrorCodes;
pub use nulls::NullOnError;
pub use persisted::PersistedQueries;
pub use request::{HttpGet, Mutations, OperationViewer};
pub use socket::{SocketCredentials, SocketSubscriptions, SubscriptionLimit};
pub use user_slots::{PerUserLimit, UserSlots};

fn has_mutation(document: &ExecutableDocument) -> bool {
    document.operations.iter().any(|(_, op)| op.node.ty == OperationType::Mutation)
}

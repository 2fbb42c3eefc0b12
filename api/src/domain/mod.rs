//! The rules of Hindsight, one module per aggregate. Plain Rust: each function takes a
//! connection and the `Viewer`, checks permission, validates, and writes its rows together
//! with the event in one transaction. Nothing here knows about GraphQL.

pub mod api_tokens;
pub mod events;
pub mod identity;
pub mod pagination;
pub mod teams;
pub mod users;
pub mod validate;

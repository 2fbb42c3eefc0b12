//! The rules of Hindsight, one module per aggregate. Plain Rust: each function takes a
//! connection and the `Viewer`, checks permission, validates, and writes its rows together
//! with the event in one transaction. Nothing here knows about GraphQL.

pub mod access;
pub mod accounts;
pub mod actions;
pub mod api_tokens;
pub mod blameless;
pub mod history;
pub mod identity;
pub mod incidents;
pub mod learning;
pub mod metrics;
pub mod pagination;
pub mod policy;
pub mod related;
pub mod reviews;
pub mod search;
pub mod services;
pub mod teams;
pub mod users;
pub mod validate;
pub mod versioning;
pub mod webhooks;
pub mod writeup;

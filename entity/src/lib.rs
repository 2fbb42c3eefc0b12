//! Storage models for Hindsight. Plain sea-orm entities: nothing here is exposed to clients
//! directly (the API builds its GraphQL types from these models, so secrets never reach the schema).

pub mod api_token;
pub mod event;
pub mod invitation;
pub mod membership;
pub mod organization;
pub mod refresh_token;
pub mod roles;
pub mod team;
pub mod user;

pub use roles::{OrgRole, TeamRole, TokenScope};

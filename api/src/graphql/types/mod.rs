//! GraphQL objects, built from entity models.

mod connection;
mod enums;
mod identity;
mod node;
mod team;

pub use connection::{ConnectionFields, connection};
pub use enums::{OrgRole, TeamRole, TokenScope};
pub use identity::{ApiToken, ApiTokenPayload, AuthPayload, Invitation, InvitationPayload, Organization, User};
pub use node::Node;
pub use team::{Membership, Team};

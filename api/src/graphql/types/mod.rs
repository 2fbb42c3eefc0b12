//! GraphQL objects, built from entity models.

mod connection;
mod enums;
mod event;
mod identity;
mod incident;
mod node;
mod review;
mod team;

pub use connection::{ConnectionFields, connection};
pub use enums::{
    EventKind, FactorCategory, IncidentStatus, OrgRole, ReviewRole, ReviewStatus, Severity, TeamRole, TimelineKind,
    TokenScope, Visibility,
};
pub use event::Event;
pub use identity::{ApiToken, ApiTokenPayload, AuthPayload, Invitation, InvitationPayload, Organization, User};
pub use incident::{Incident, Tag};
pub use node::Node;
pub use review::{
    BlamelessFinding, ContributingFactor, Link, ParkedQuestion, Participant, Readiness, Review, ReviewPolicy,
    TimelineEntry, Why,
};
pub use team::{Membership, Team};

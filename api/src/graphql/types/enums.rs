use async_graphql::Enum;

/// A user's role in the organization.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::OrgRole")]
pub enum OrgRole {
    /// Everything in the organization: users, invitations, teams, memberships, policy.
    Admin,
    /// Acts through team memberships.
    Member,
}

/// A user's role in a team.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::TeamRole")]
pub enum TeamRole {
    /// Manages the team's members; everything on the team's incidents, reviews and actions.
    Lead,
    /// Declares and updates the team's incidents, edits its reviews, creates actions.
    Member,
    /// Reads the team's incidents, reviews and actions.
    Viewer,
}

/// What an API token may do on behalf of its user.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::TokenScope")]
pub enum TokenScope {
    /// Queries and subscriptions only.
    Read,
    /// Queries and mutations, except user and token administration.
    Write,
}

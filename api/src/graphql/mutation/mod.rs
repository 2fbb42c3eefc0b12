//! Mutation root, merged from one segment per area.

mod actions;
mod api_tokens;
mod identity;
mod incidents;
mod meeting;
mod people;
mod policy;
mod reviews;
mod services;
mod teams;
mod webhooks;

use async_graphql::MergedObject;

/// Changes. Each needs a signed-in user or a WRITE API token (UNAUTHENTICATED without one; a
/// READ token is FORBIDDEN), except `signUp`, `login`, `refreshSession`, `logout` and
/// `acceptInvitation`. Errors carry `extensions.code`: FORBIDDEN when the viewer may not make
/// the change, NOT_FOUND for what they cannot see (another organization's objects included),
/// BAD_USER_INPUT for invalid input (one error per problem, all at once, each with
/// `extensions.path` from the argument down and `extensions.field`), INVALID_STATE for a change the
/// object's state does not allow, CONFLICT for a stale `expectedVersion`.
#[derive(MergedObject, Default)]
pub struct Mutation(
    identity::IdentityMutation,
    people::PeopleMutation,
    policy::PolicyMutation,
    teams::TeamMutation,
    api_tokens::ApiTokenMutation,
    incidents::IncidentMutation,
    services::ServiceMutation,
    reviews::ReviewMutation,
    actions::ActionMutation,
    meeting::MeetingMutation,
    webhooks::WebhookMutation,
);

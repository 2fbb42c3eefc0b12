//! Mutation root, merged from one segment per area.

mod actions;
mod api_tokens;
mod identity;
mod incidents;
mod people;
mod policy;
mod reviews;
mod teams;

use async_graphql::MergedObject;

#[derive(MergedObject, Default)]
pub struct Mutation(
    identity::IdentityMutation,
    people::PeopleMutation,
    policy::PolicyMutation,
    teams::TeamMutation,
    api_tokens::ApiTokenMutation,
    incidents::IncidentMutation,
    reviews::ReviewMutation,
    actions::ActionMutation,
);

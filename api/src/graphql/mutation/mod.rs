//! Mutation root, merged from one segment per area.

mod api_tokens;
mod identity;
mod people;
mod teams;

use async_graphql::MergedObject;

#[derive(MergedObject, Default)]
pub struct Mutation(
    identity::IdentityMutation,
    people::PeopleMutation,
    teams::TeamMutation,
    api_tokens::ApiTokenMutation,
);

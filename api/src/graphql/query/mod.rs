//! Query root, merged from one segment per area.

mod actions;
mod api_tokens;
mod incidents;
mod node;
mod people;
mod reviews;
mod teams;

use async_graphql::MergedObject;

#[derive(MergedObject, Default)]
pub struct Query(
    node::NodeQuery,
    people::PeopleQuery,
    teams::TeamQuery,
    incidents::IncidentQuery,
    reviews::ReviewQuery,
    actions::ActionQuery,
    api_tokens::ApiTokenQuery,
);

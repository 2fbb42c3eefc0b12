//! Query root, merged from one segment per area.

mod api_tokens;
mod node;
mod people;
mod teams;

use async_graphql::MergedObject;

#[derive(MergedObject, Default)]
pub struct Query(node::NodeQuery, people::PeopleQuery, teams::TeamQuery, api_tokens::ApiTokenQuery);

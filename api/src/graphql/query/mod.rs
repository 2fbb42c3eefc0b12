//! Query root, merged from one segment per area.

mod actions;
mod api_tokens;
mod incidents;
mod node;
mod people;
mod reviews;
mod services;
mod teams;
mod webhooks;

use async_graphql::MergedObject;

/// Reads. Every field needs a signed-in user or an API token (`Authorization: Bearer …`;
/// UNAUTHENTICATED otherwise, with `extensions.reason`). What another organization holds, or
/// what the viewer may not read, is null (or NOT_FOUND where a field cannot be null).
#[derive(MergedObject, Default)]
pub struct Query(
    node::NodeQuery,
    people::PeopleQuery,
    teams::TeamQuery,
    services::ServiceQuery,
    incidents::IncidentQuery,
    reviews::ReviewQuery,
    actions::ActionQuery,
    api_tokens::ApiTokenQuery,
    webhooks::WebhookQuery,
);

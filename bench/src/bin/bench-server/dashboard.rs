//! The nested team dashboard without GraphQL: the same statements, one per level, through the
//! same batch loaders the resolvers use.
//!
//! ```graphql
//! query Dashboard { teams(first: 10) { edges { node { id name incidents(first: 10) { edges { node {
//!   id title severity status review { id status actions { id title status dueDate
//!   owner { id displayName } } } } } } } } } }
//! ```

use std::collections::HashMap;
use std::hash::Hash;

use async_graphql::dataloader::Loader;
use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use entity::action;
use hindsight_api::AppState;
use hindsight_api::auth::RequestAuth;
use hindsight_api::domain::pagination::PageRequest;
use hindsight_api::domain::teams;
use hindsight_api::graphql::loaders::{ActionsOf, Batch, ReviewOfIncident, TeamIncidents};
use hindsight_api::ids::{self, NodeKind};
use sea_orm::ActiveEnum;
use serde_json::{Value, json};

use crate::{Failure, owner_of, owners, unshare, viewer};

/// Loads `keys` in one batch, as a DataLoader would (nothing when there is nothing to load).
async fn load<K>(batch: &Batch, keys: Vec<K>) -> Result<HashMap<K, <Batch as Loader<K>>::Value>, Failure>
where
    K: Send + Sync + Hash + Eq + Clone + 'static,
    Batch: Loader<K, Error = std::sync::Arc<hindsight_api::AppError>>,
{
    if keys.is_empty() {
        return Ok(HashMap::new());
    }
    batch.load(&keys).await.map_err(unshare)
}

pub async fn dashboard(State(state): State<AppState>, headers: HeaderMap) -> Result<Json<Value>, Failure> {
    let viewer = viewer(&state, &headers).await?;
    // No `totalCount` is asked for at any level: nothing is counted.
    let page = PageRequest::new(Some(10), None)?.counting(false);
    let teams = teams::list(&state.db, &viewer, &page).await?;
    let batch = Batch::new(state.db.clone(), RequestAuth::Authenticated(viewer));

    let incidents =
        load(&batch, teams.items.iter().map(|(_, t)| TeamIncidents { team: t.id, page: page.clone() }).collect())
            .await?;
    let incident_ids: Vec<ReviewOfIncident> =
        incidents.values().flat_map(|p| p.items.iter().map(|(_, i)| ReviewOfIncident(i.id))).collect();
    let reviews = load(&batch, incident_ids).await?;
    let actions = load(&batch, reviews.values().map(|r| ActionsOf(r.id)).collect()).await?;
    let every_action: Vec<&action::Model> = actions.values().flatten().collect();
    let owners = owners(&batch, &every_action).await?;

    let mut team_edges = Vec::new();
    for (_, team) in &teams.items {
        let mut incident_edges = Vec::new();
        let key = TeamIncidents { team: team.id, page: page.clone() };
        for (_, incident) in incidents.get(&key).map(|p| p.items.as_slice()).unwrap_or_default() {
            let review = match reviews.get(&ReviewOfIncident(incident.id)) {
                None => Value::Null,
                Some(review) => {
                    let actions = actions
                        .get(&ActionsOf(review.id))
                        .map(Vec::as_slice)
                        .unwrap_or_default()
                        .iter()
                        .map(|a| {
                            Ok(json!({
                                "id": ids::encode(NodeKind::Action, a.id),
                                "title": a.title,
                                "status": a.status.to_value(),
                                "dueDate": a.due_date.to_string(),
                                "owner": owner_of(&owners, a)?,
                            }))
                        })
                        .collect::<Result<Vec<_>, Failure>>()?;
                    json!({ "id": ids::encode(NodeKind::Review, review.id), "status": review.status.to_value(), "actions": actions })
                }
            };
            incident_edges.push(json!({ "node": {
                "id": ids::encode(NodeKind::Incident, incident.id),
                "title": incident.title,
                "severity": incident.severity.to_value(),
                "status": incident.status.to_value(),
                "review": review,
            } }));
        }
        team_edges.push(json!({ "node": {
            "id": ids::encode(NodeKind::Team, team.id),
            "name": team.name,
            "incidents": { "edges": incident_edges },
        } }));
    }
    Ok(Json(json!({ "data": { "teams": { "edges": team_edges } } })))
}

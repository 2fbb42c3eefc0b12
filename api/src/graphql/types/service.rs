use async_graphql::{Context, ID, Object, Result};
use chrono::{DateTime, Utc};
use entity::service;

use super::Team;
use crate::graphql::loaders::{self, TeamById};
use crate::ids::{self, NodeKind};

pub struct Service(pub service::Model);

/// Something the organization runs, owned by a team. Everyone in the organization reads the
/// catalog; an admin or a lead of the owning team changes a service.
#[Object]
impl Service {
    /// Opaque global ID; `node(id:)` resolves it.
    pub async fn id(&self) -> ID {
        ids::encode(NodeKind::Service, self.0.id).into()
    }
    /// Its name, unique in the organization regardless of case.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// What it does.
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }
    /// The team that owns it.
    async fn owner_team(&self, ctx: &Context<'_>) -> Result<Team> {
        Ok(Team(loaders::required(ctx, TeamById(self.0.owner_team_id), "team").await?))
    }
    /// How critical it is: 1 (most critical) to 4.
    async fn tier(&self) -> i32 {
        self.0.tier
    }
    /// Whether it was archived: it stays on the incidents that named it, and no new one may.
    async fn archived(&self) -> bool {
        self.0.archived_at.is_some()
    }
    /// When it was archived; null while in use.
    async fn archived_at(&self) -> Option<DateTime<Utc>> {
        self.0.archived_at
    }
    /// When it was added to the catalog.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When it last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

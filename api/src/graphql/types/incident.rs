use async_graphql::{Context, ID, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use entity::incident;

use super::{IncidentStatus, Review, Severity, Team, User};
use crate::graphql::loaders::{self, AffectedTeamsOf, RespondersOf, ReviewOfIncident, TagsOf, TeamById};
use crate::ids::{self, NodeKind};

pub struct Incident(pub incident::Model);

/// Something that went wrong (or nearly did), owned by a team.
#[Object]
impl Incident {
    pub async fn id(&self) -> ID {
        ids::encode(NodeKind::Incident, self.0.id).into()
    }
    /// The owning team.
    async fn team(&self, ctx: &Context<'_>) -> Result<Team> {
        Ok(Team(loaders::required(ctx, TeamById(self.0.team_id), "team").await?))
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    async fn summary(&self) -> Option<&str> {
        self.0.summary.as_deref()
    }
    async fn severity(&self) -> Severity {
        self.0.severity.into()
    }
    async fn status(&self) -> IncidentStatus {
        self.0.status.into()
    }
    /// It would have been serious, but was caught in time.
    async fn near_miss(&self) -> bool {
        self.0.near_miss
    }
    async fn customer_impact(&self) -> Option<&str> {
        self.0.customer_impact.as_deref()
    }
    async fn started_at(&self) -> DateTime<Utc> {
        self.0.started_at
    }
    async fn detected_at(&self) -> DateTime<Utc> {
        self.0.detected_at
    }
    async fn mitigated_at(&self) -> Option<DateTime<Utc>> {
        self.0.mitigated_at
    }
    async fn resolved_at(&self) -> Option<DateTime<Utc>> {
        self.0.resolved_at
    }
    async fn closed_at(&self) -> Option<DateTime<Utc>> {
        self.0.closed_at
    }
    #[graphql(complexity = "crate::graphql::cost::list(child_complexity, crate::graphql::cost::RESPONDERS)")]
    async fn responders(&self, ctx: &Context<'_>) -> Result<Vec<User>> {
        Ok(loaders::list(ctx, RespondersOf(self.0.id)).await?.into_iter().map(User).collect())
    }
    /// Other teams the incident affected; their members read it and its review.
    #[graphql(complexity = "crate::graphql::cost::list(child_complexity, crate::graphql::cost::AFFECTED_TEAMS)")]
    async fn affected_teams(&self, ctx: &Context<'_>) -> Result<Vec<Team>> {
        Ok(loaders::list(ctx, AffectedTeamsOf(self.0.id)).await?.into_iter().map(Team).collect())
    }
    async fn tags(&self, ctx: &Context<'_>) -> Result<Vec<String>> {
        Ok(loaders::list(ctx, TagsOf(self.0.id)).await?)
    }
    /// The incident's review, if it has one the viewer may read.
    async fn review(&self, ctx: &Context<'_>) -> Result<Option<Review>> {
        Ok(loaders::one(ctx, ReviewOfIncident(self.0.id)).await?.map(Review))
    }
    /// Increases with every change; pass it as `expectedVersion` to refuse a stale write.
    async fn version(&self) -> i32 {
        self.0.version
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// An organization-wide tag and how many incidents carry it.
#[derive(SimpleObject)]
pub struct Tag {
    pub name: String,
    pub incident_count: i64,
}

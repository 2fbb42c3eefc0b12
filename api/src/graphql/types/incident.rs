use async_graphql::{Context, ID, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use entity::incident;

use super::{DetectionSource, IncidentStatus, Review, Service, Severity, Team, User};
use crate::domain::access::Standing;
use crate::domain::incidents;
use crate::graphql::ContextExt;
use crate::graphql::loaders::{
    self, AffectedTeamsOf, RespondersOf, ReviewOfIncident, ServicesOf, TagsOf, TeamById, UserById, ViewerRoleIn,
};
use crate::ids::{self, NodeKind};

/// What the viewer may do with an incident now, by the rules the server enforces (its team's
/// leads and members, and admins). All false with a read-only API token.
#[derive(SimpleObject)]
pub struct IncidentViewerCan {
    /// `updateIncident`, responders, affected teams and tags.
    pub edit: bool,
    /// `setIncidentStatus` (not once it is closed).
    pub change_status: bool,
}

pub struct Incident(pub incident::Model);

/// Something that went wrong (or nearly did), owned by a team. Readable by the owning team
/// (any role), its responders, the affected teams, the review's facilitator, participants and
/// action owners, and admins; by everyone in the organization once its review is published
/// with ORG visibility.
#[Object]
impl Incident {
    /// Opaque global ID; `node(id:)` resolves it.
    pub async fn id(&self) -> ID {
        ids::encode(NodeKind::Incident, self.0.id).into()
    }
    /// The owning team.
    async fn team(&self, ctx: &Context<'_>) -> Result<Team> {
        Ok(Team(loaders::required(ctx, TeamById(self.0.team_id), "team").await?))
    }
    /// What went wrong, in a line.
    async fn title(&self) -> &str {
        &self.0.title
    }
    /// What happened.
    async fn summary(&self) -> Option<&str> {
        self.0.summary.as_deref()
    }
    /// How bad it is.
    async fn severity(&self) -> Severity {
        self.0.severity.into()
    }
    /// Where it is in OPEN → MITIGATED → RESOLVED → CLOSED.
    async fn status(&self) -> IncidentStatus {
        self.0.status.into()
    }
    /// It would have been serious, but was caught in time.
    async fn near_miss(&self) -> bool {
        self.0.near_miss
    }
    /// How customers were affected.
    async fn customer_impact(&self) -> Option<&str> {
        self.0.customer_impact.as_deref()
    }
    /// How it was found; null when not said.
    async fn detection_source(&self) -> Option<DetectionSource> {
        self.0.detection_source.map(Into::into)
    }
    /// The deploy, pull request or change that set it off (a URL); null when none is named.
    async fn change_ref(&self) -> Option<&str> {
        self.0.change_ref.as_deref()
    }
    /// Whether a change set it off.
    async fn triggered_by_change(&self) -> bool {
        self.0.triggered_by_change
    }
    /// Who made that change, when named: suggested for its review as CHANGE_AUTHOR.
    async fn change_author(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        let Some(id) = self.0.change_author_id else { return Ok(None) };
        Ok(loaders::one(ctx, UserById(id)).await?.map(User))
    }
    /// When it started.
    async fn started_at(&self) -> DateTime<Utc> {
        self.0.started_at
    }
    /// When it was detected: at or after `startedAt`.
    async fn detected_at(&self) -> DateTime<Utc> {
        self.0.detected_at
    }
    /// When it became MITIGATED; null before, and when it went from OPEN straight to RESOLVED.
    async fn mitigated_at(&self) -> Option<DateTime<Utc>> {
        self.0.mitigated_at
    }
    /// When it became RESOLVED; null before.
    async fn resolved_at(&self) -> Option<DateTime<Utc>> {
        self.0.resolved_at
    }
    /// When it became CLOSED; null before.
    async fn closed_at(&self) -> Option<DateTime<Utc>> {
        self.0.closed_at
    }
    /// Who responded to it, ordered by display name.
    #[graphql(complexity = "crate::graphql::cost::list(child_complexity, crate::graphql::cost::RESPONDERS)")]
    async fn responders(&self, ctx: &Context<'_>) -> Result<Vec<User>> {
        Ok(loaders::list(ctx, RespondersOf(self.0.id)).await?.into_iter().map(User).collect())
    }
    /// Other teams the incident affected, ordered by slug; their members read it and its
    /// review.
    #[graphql(complexity = "crate::graphql::cost::list(child_complexity, crate::graphql::cost::AFFECTED_TEAMS)")]
    async fn affected_teams(&self, ctx: &Context<'_>) -> Result<Vec<Team>> {
        Ok(loaders::list(ctx, AffectedTeamsOf(self.0.id)).await?.into_iter().map(Team).collect())
    }
    /// The services it touched, by name (archived ones included).
    #[graphql(complexity = "crate::graphql::cost::list(child_complexity, crate::graphql::cost::SERVICES)")]
    async fn services(&self, ctx: &Context<'_>) -> Result<Vec<Service>> {
        Ok(loaders::list(ctx, ServicesOf(self.0.id)).await?.into_iter().map(Service).collect())
    }
    /// Its tags (organization-wide, lower-case), alphabetical.
    async fn tags(&self, ctx: &Context<'_>) -> Result<Vec<String>> {
        Ok(loaders::list(ctx, TagsOf(self.0.id)).await?)
    }
    /// The incident's review, if it has one the viewer may read.
    async fn review(&self, ctx: &Context<'_>) -> Result<Option<Review>> {
        Ok(loaders::one(ctx, ReviewOfIncident(self.0.id)).await?.map(Review))
    }
    /// What the viewer may do with the incident now, so a UI shows only the buttons that work.
    async fn viewer_can(&self, ctx: &Context<'_>) -> Result<IncidentViewerCan> {
        let viewer = ctx.viewer()?;
        let role = loaders::one(ctx, ViewerRoleIn(self.0.team_id)).await?;
        let standing = Standing::for_changes(viewer, [(self.0.team_id, role)].into_iter().collect(), false);
        let rights = incidents::rights(viewer, &standing, &self.0);
        Ok(IncidentViewerCan { edit: rights.edit, change_status: rights.change_status })
    }
    /// Increases with every change; pass it as `expectedVersion` to refuse a stale write.
    async fn version(&self) -> i32 {
        self.0.version
    }
    /// When it was declared.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When it last changed (responders, affected teams and tags included).
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// An organization-wide tag and how many incidents the viewer may read carry it.
#[derive(SimpleObject)]
pub struct Tag {
    /// The tag, lower-case.
    pub name: String,
    /// How many incidents the viewer may read carry it.
    pub incident_count: i64,
}

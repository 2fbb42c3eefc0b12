use async_graphql::{Context, ID, InputObject, Object, Result};
use chrono::{DateTime, Utc};

use crate::domain::incidents::{self, Declaration, IncidentChanges};
use crate::graphql::ContextExt;
use crate::graphql::types::{Incident, IncidentStatus, Severity};
use crate::ids::{self, NodeKind};

#[derive(InputObject)]
pub struct DeclareIncidentInput {
    pub team_id: ID,
    pub title: String,
    pub severity: Severity,
    pub started_at: DateTime<Utc>,
    /// Defaults to now.
    pub detected_at: Option<DateTime<Utc>>,
    pub summary: Option<String>,
    pub customer_impact: Option<String>,
    pub near_miss: Option<bool>,
}

/// Omitted fields stay as they are; an empty text clears it.
#[derive(InputObject)]
pub struct UpdateIncidentInput {
    pub title: Option<String>,
    pub summary: Option<String>,
    pub customer_impact: Option<String>,
    pub severity: Option<Severity>,
    pub near_miss: Option<bool>,
    pub started_at: Option<DateTime<Utc>>,
    pub detected_at: Option<DateTime<Utc>>,
}

#[derive(Default)]
pub struct IncidentMutation;

fn incident_id(id: &ID) -> Result<uuid::Uuid> {
    Ok(ids::decode(id, NodeKind::Incident, "incidentId")?)
}

#[Object]
impl IncidentMutation {
    /// Declares an incident for a team the viewer leads or belongs to.
    async fn declare_incident(&self, ctx: &Context<'_>, input: DeclareIncidentInput) -> Result<Incident> {
        let declaration = Declaration {
            team_id: ids::decode(&input.team_id, NodeKind::Team, "teamId")?,
            title: input.title,
            severity: input.severity.into(),
            started_at: input.started_at,
            detected_at: input.detected_at,
            summary: input.summary,
            customer_impact: input.customer_impact,
            near_miss: input.near_miss,
        };
        Ok(Incident(incidents::declare(ctx.db(), ctx.viewer()?, declaration).await?))
    }

    async fn update_incident(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateIncidentInput,
        expected_version: Option<i32>,
    ) -> Result<Incident> {
        let id = ids::decode(&id, NodeKind::Incident, "id")?;
        let changes = IncidentChanges {
            title: input.title,
            summary: input.summary,
            customer_impact: input.customer_impact,
            severity: input.severity.map(Into::into),
            near_miss: input.near_miss,
            started_at: input.started_at,
            detected_at: input.detected_at,
        };
        Ok(Incident(incidents::update(ctx.db(), ctx.viewer()?, id, changes, expected_version).await?))
    }

    /// Moves the incident to its next state, stamping the time (now, or `at`). Resolving an
    /// incident the review policy covers creates its review.
    async fn set_incident_status(
        &self,
        ctx: &Context<'_>,
        id: ID,
        status: IncidentStatus,
        at: Option<DateTime<Utc>>,
        expected_version: Option<i32>,
    ) -> Result<Incident> {
        let id = ids::decode(&id, NodeKind::Incident, "id")?;
        Ok(Incident(incidents::set_status(ctx.db(), ctx.viewer()?, id, status.into(), at, expected_version).await?))
    }

    async fn add_responder(&self, ctx: &Context<'_>, incident_id: ID, user_id: ID) -> Result<Incident> {
        let user_id = ids::decode(&user_id, NodeKind::User, "userId")?;
        Ok(Incident(
            incidents::add_responder(ctx.db(), ctx.viewer()?, self::incident_id(&incident_id)?, user_id).await?,
        ))
    }

    async fn remove_responder(&self, ctx: &Context<'_>, incident_id: ID, user_id: ID) -> Result<Incident> {
        let user_id = ids::decode(&user_id, NodeKind::User, "userId")?;
        Ok(Incident(
            incidents::remove_responder(ctx.db(), ctx.viewer()?, self::incident_id(&incident_id)?, user_id).await?,
        ))
    }

    /// Replaces the other teams the incident affected.
    async fn set_affected_teams(&self, ctx: &Context<'_>, incident_id: ID, team_ids: Vec<ID>) -> Result<Incident> {
        let team_ids =
            team_ids.iter().map(|t| ids::decode(t, NodeKind::Team, "teamIds")).collect::<Result<Vec<_>, _>>()?;
        Ok(Incident(
            incidents::set_affected_teams(ctx.db(), ctx.viewer()?, self::incident_id(&incident_id)?, team_ids).await?,
        ))
    }

    /// Replaces the incident's tags (organization-wide, case-insensitive).
    async fn tag_incident(&self, ctx: &Context<'_>, incident_id: ID, tags: Vec<String>) -> Result<Incident> {
        Ok(Incident(incidents::set_tags(ctx.db(), ctx.viewer()?, self::incident_id(&incident_id)?, tags).await?))
    }
}

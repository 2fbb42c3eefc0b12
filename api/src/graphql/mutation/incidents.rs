use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object, Result};
use chrono::{DateTime, Utc};

use crate::domain::incidents::{self, Cause, Declaration, IncidentChanges};
use crate::error::AppError;
use crate::graphql::ContextExt;
use crate::graphql::types::{DetectionSource, Incident, IncidentStatus, Severity};
use crate::ids::{self, NodeKind};

/// A new incident. Times are checked: `detectedAt` at or after `startedAt`, neither in the
/// future (5 minutes of clock skew allowed); BAD_USER_INPUT names the field at fault.
#[derive(InputObject)]
pub struct DeclareIncidentInput {
    /// The owning team.
    pub team_id: ID,
    /// What went wrong, in a line: 1 to 200 characters.
    pub title: String,
    /// How bad it is.
    pub severity: Severity,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// When it was detected; defaults to now.
    pub detected_at: Option<DateTime<Utc>>,
    /// What happened: at most 20,000 characters.
    pub summary: Option<String>,
    /// How customers were affected: at most 20,000 characters. The review's `impact` starts
    /// from it.
    pub customer_impact: Option<String>,
    /// It would have been serious, but was caught in time; false when omitted.
    pub near_miss: Option<bool>,
    /// How it was found.
    pub detection_source: Option<DetectionSource>,
    /// The deploy, pull request or change that set it off: an http(s) URL (an empty text
    /// clears it). Naming one sets `triggeredByChange` unless the input says otherwise.
    pub change_ref: Option<String>,
    /// Whether a change set it off.
    pub triggered_by_change: Option<bool>,
    /// Who made that change: a user of the organization (null clears it).
    pub change_author_id: MaybeUndefined<ID>,
}

/// Omitted fields stay as they are; an empty text clears it. Times are checked against each
/// other and the times already stamped, as when declaring.
#[derive(InputObject)]
pub struct UpdateIncidentInput {
    /// What went wrong, in a line: 1 to 200 characters.
    pub title: Option<String>,
    /// What happened: at most 20,000 characters.
    pub summary: Option<String>,
    /// How customers were affected: at most 20,000 characters.
    pub customer_impact: Option<String>,
    /// How bad it is. Changing it neither creates nor removes a review.
    pub severity: Option<Severity>,
    /// Whether it was a near miss.
    pub near_miss: Option<bool>,
    /// When it started.
    pub started_at: Option<DateTime<Utc>>,
    /// When it was detected: at or after `startedAt`.
    pub detected_at: Option<DateTime<Utc>>,
    /// How it was found.
    pub detection_source: Option<DetectionSource>,
    /// The deploy, pull request or change that set it off: an http(s) URL (an empty text
    /// clears it). Naming one sets `triggeredByChange` unless the input says otherwise.
    pub change_ref: Option<String>,
    /// Whether a change set it off.
    pub triggered_by_change: Option<bool>,
    /// Who made that change: a user of the organization (null clears it).
    pub change_author_id: MaybeUndefined<ID>,
}

#[derive(Default)]
pub struct IncidentMutation;

/// The cause fields of an input, as the domain takes them.
fn cause(
    detection_source: Option<DetectionSource>,
    change_ref: Option<String>,
    triggered_by_change: Option<bool>,
    change_author_id: MaybeUndefined<ID>,
) -> Result<Cause, AppError> {
    let change_author_id = match change_author_id {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(None),
        MaybeUndefined::Value(id) => Some(Some(ids::decode(&id, NodeKind::User, "changeAuthorId")?)),
    };
    Ok(Cause { detection_source: detection_source.map(Into::into), change_ref, triggered_by_change, change_author_id })
}

fn incident_id(id: &ID) -> Result<uuid::Uuid> {
    Ok(ids::decode(id, NodeKind::Incident, "incidentId")?)
}

#[Object]
impl IncidentMutation {
    /// Declares an incident, OPEN, for a team the viewer leads or is a member of (admins: any
    /// team; anyone else, a viewer of the team included: FORBIDDEN).
    async fn declare_incident(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The incident.")] input: DeclareIncidentInput,
    ) -> Result<Incident> {
        let viewer = ctx.viewer()?;
        let declaration = Declaration {
            team_id: ids::decode(&input.team_id, NodeKind::Team, "teamId").map_err(AppError::in_input)?,
            title: input.title,
            severity: input.severity.into(),
            started_at: input.started_at,
            detected_at: input.detected_at,
            summary: input.summary,
            customer_impact: input.customer_impact,
            near_miss: input.near_miss,
            cause: cause(input.detection_source, input.change_ref, input.triggered_by_change, input.change_author_id)
                .map_err(AppError::in_input)?,
        };
        Ok(Incident(incidents::declare(ctx.db(), viewer, declaration).await?))
    }

    /// Changes what an incident says (leads and members of the owning team, or an admin:
    /// FORBIDDEN otherwise).
    async fn update_incident(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The incident.")] id: ID,
        #[graphql(desc = "The changes.")] input: UpdateIncidentInput,
        #[graphql(desc = "The `version` read; CONFLICT, changing nothing, if the incident changed since.")]
        expected_version: Option<i32>,
    ) -> Result<Incident> {
        let viewer = ctx.viewer()?;
        let id = ids::decode(&id, NodeKind::Incident, "id")?;
        let changes = IncidentChanges {
            title: input.title,
            summary: input.summary,
            customer_impact: input.customer_impact,
            severity: input.severity.map(Into::into),
            near_miss: input.near_miss,
            started_at: input.started_at,
            detected_at: input.detected_at,
            cause: cause(input.detection_source, input.change_ref, input.triggered_by_change, input.change_author_id)
                .map_err(AppError::in_input)?,
        };
        Ok(Incident(incidents::update(ctx.db(), viewer, id, changes, expected_version).await?))
    }

    /// Moves the incident to its next state, stamping the time (now, or `at`): OPEN →
    /// MITIGATED or RESOLVED, MITIGATED → RESOLVED, RESOLVED → CLOSED; anything else is
    /// INVALID_STATE. Resolving an incident the review policy covers creates its review
    /// (DRAFT, due `reviewDeadlineHours` later); one started earlier gets its due date. Leads
    /// and members of the owning team, or an admin (FORBIDDEN otherwise).
    async fn set_incident_status(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The incident.")] id: ID,
        #[graphql(desc = "The state to move to.")] status: IncidentStatus,
        #[graphql(
            desc = "When it happened; now when omitted. In the future or before the previous stamp: BAD_USER_INPUT."
        )]
        at: Option<DateTime<Utc>>,
        #[graphql(desc = "The `version` read; CONFLICT, changing nothing, if the incident changed since.")]
        expected_version: Option<i32>,
    ) -> Result<Incident> {
        let id = ids::decode(&id, NodeKind::Incident, "id")?;
        Ok(Incident(incidents::set_status(ctx.db(), ctx.viewer()?, id, status.into(), at, expected_version).await?))
    }

    /// Records that a user responded to the incident (leads and members of the owning team, or
    /// an admin: FORBIDDEN otherwise). A deactivated user, or the review's facilitator, is
    /// BAD_USER_INPUT (`userId`); at most 50 responders. Adding a responder again changes
    /// nothing.
    async fn add_responder(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The incident.")] incident_id: ID,
        #[graphql(desc = "The user who responded.")] user_id: ID,
    ) -> Result<Incident> {
        let user_id = ids::decode(&user_id, NodeKind::User, "userId")?;
        Ok(Incident(
            incidents::add_responder(ctx.db(), ctx.viewer()?, self::incident_id(&incident_id)?, user_id).await?,
        ))
    }

    /// Removes a responder (leads and members of the owning team, or an admin: FORBIDDEN
    /// otherwise). BAD_USER_INPUT (`userId`) when the user is not one.
    async fn remove_responder(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The incident.")] incident_id: ID,
        #[graphql(desc = "The responder to remove.")] user_id: ID,
    ) -> Result<Incident> {
        let user_id = ids::decode(&user_id, NodeKind::User, "userId")?;
        Ok(Incident(
            incidents::remove_responder(ctx.db(), ctx.viewer()?, self::incident_id(&incident_id)?, user_id).await?,
        ))
    }

    /// Replaces the other teams the incident affected; their members may then read the incident
    /// and its review. Leads and members of the owning team, or an admin (FORBIDDEN
    /// otherwise); a team of another organization is NOT_FOUND.
    async fn set_affected_teams(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The incident.")] incident_id: ID,
        #[graphql(desc = "Every affected team (at most 50); an empty list clears them.")] team_ids: Vec<ID>,
    ) -> Result<Incident> {
        let team_ids = ids::decode_each("teamIds", &team_ids, NodeKind::Team)?;
        Ok(Incident(
            incidents::set_affected_teams(ctx.db(), ctx.viewer()?, self::incident_id(&incident_id)?, team_ids).await?,
        ))
    }

    /// Replaces the incident's tags (organization-wide, case-insensitive, stored lower-case).
    /// Leads and members of the owning team, or an admin (FORBIDDEN otherwise).
    async fn tag_incident(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The incident.")] incident_id: ID,
        #[graphql(
            desc = "Every tag of the incident (at most 20), each 1 to 40 letters, digits, spaces, `-`, `_`, `.` or `/`; an empty list clears them."
        )]
        tags: Vec<String>,
    ) -> Result<Incident> {
        Ok(Incident(incidents::set_tags(ctx.db(), ctx.viewer()?, self::incident_id(&incident_id)?, tags).await?))
    }
}

//! Who may read and change incidents and reviews (DESIGN's permission table), in one place:
//! as checks on one object, and as SQL conditions for lists.

use std::collections::HashMap;

use entity::{
    IncidentStatus, ReviewStatus, TeamRole, Visibility, action, incident, incident_affected_team, incident_responder,
    membership, review, review_participant, team,
};
use sea_orm::sea_query::Query;
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::auth::{Credential, Viewer};
use crate::error::{AppError, AppResult};

/// The viewer's roles in their teams.
#[derive(Debug, Clone, Default)]
pub struct TeamRoles(HashMap<Uuid, TeamRole>);

impl TeamRoles {
    pub async fn of(db: &impl ConnectionTrait, viewer: &Viewer) -> AppResult<Self> {
        if let Some(team_id) = webhook_team(viewer) {
            return Ok(Self(HashMap::from([(team_id, TeamRole::Member)])));
        }
        let rows = membership::Entity::find().filter(membership::Column::UserId.eq(viewer.user_id)).all(db).await?;
        Ok(Self(rows.into_iter().map(|m| (m.team_id, m.role)).collect()))
    }

    pub fn role(&self, team_id: Uuid) -> Option<TeamRole> {
        self.0.get(&team_id).copied()
    }

    /// Lead or member: may change the team's incidents and reviews.
    pub fn can_contribute(&self, team_id: Uuid) -> bool {
        matches!(self.role(team_id), Some(TeamRole::Lead | TeamRole::Member))
    }

    pub fn is_lead(&self, team_id: Uuid) -> bool {
        self.role(team_id) == Some(TeamRole::Lead)
    }

    /// The teams the viewer leads.
    pub fn led_teams(&self) -> impl Iterator<Item = Uuid> + '_ {
        self.0.iter().filter(|(_, role)| **role == TeamRole::Lead).map(|(team, _)| *team)
    }
}

impl FromIterator<(Uuid, Option<TeamRole>)> for TeamRoles {
    fn from_iter<I: IntoIterator<Item = (Uuid, Option<TeamRole>)>>(roles: I) -> Self {
        Self(roles.into_iter().filter_map(|(team, role)| Some((team, role?))).collect())
    }
}

/// What the viewer is to one incident and its review.
pub struct Standing {
    pub admin: bool,
    pub roles: TeamRoles,
    pub responder: bool,
    pub member_of_affected_team: bool,
    pub participant: bool,
    pub facilitator: bool,
    /// Owns one of the review's actions.
    pub action_owner: bool,
}

impl Standing {
    pub async fn of(
        db: &impl ConnectionTrait,
        viewer: &Viewer,
        incident: &incident::Model,
        review: Option<&review::Model>,
    ) -> AppResult<Self> {
        let roles = TeamRoles::of(db, viewer).await?;
        let responder = incident_responder::Entity::find_by_id((incident.id, viewer.user_id)).one(db).await?.is_some();
        let affected: Vec<Uuid> = incident_affected_team::Entity::find()
            .filter(incident_affected_team::Column::IncidentId.eq(incident.id))
            .all(db)
            .await?
            .into_iter()
            .map(|a| a.team_id)
            .collect();
        let member_of_affected_team = affected.iter().any(|team| roles.role(*team).is_some());
        let participant = match review {
            Some(review) => review_participant::Entity::find()
                .filter(review_participant::Column::ReviewId.eq(review.id))
                .filter(review_participant::Column::UserId.eq(viewer.user_id))
                .one(db)
                .await?
                .is_some(),
            None => false,
        };
        let facilitator = review.is_some_and(|r| r.facilitator_id == Some(viewer.user_id));
        let action_owner = match review {
            Some(review) => action::Entity::find()
                .filter(action::Column::ReviewId.eq(review.id))
                .filter(action::Column::OwnerId.eq(viewer.user_id))
                .one(db)
                .await?
                .is_some(),
            None => false,
        };
        Ok(Self {
            admin: viewer.is_admin(),
            roles,
            responder,
            member_of_affected_team,
            participant,
            facilitator,
            action_owner,
        })
    }

    /// The standing that decides who changes what (`can_change_incident`, `can_edit_review`,
    /// `can_publish_review`, `can_reopen_review`): the viewer's roles in the teams concerned and
    /// whether they facilitate the review. Not enough to decide who reads.
    pub fn for_changes(viewer: &Viewer, roles: TeamRoles, facilitator: bool) -> Self {
        Self {
            admin: viewer.is_admin(),
            roles,
            responder: false,
            member_of_affected_team: false,
            participant: false,
            facilitator,
            action_owner: false,
        }
    }

    /// What the viewer may do with a review now (the rules its lifecycle enforces); all false
    /// with a read-only API token.
    pub fn review_rights(&self, viewer: &Viewer, review: &review::Model) -> ReviewRights {
        let writes = viewer.require_write().is_ok();
        let edit = writes && self.can_edit_review(review);
        let status = review.status;
        ReviewRights {
            edit: edit && status != ReviewStatus::Published,
            submit: edit && status == ReviewStatus::Draft,
            return_to_draft: edit && status == ReviewStatus::InReview,
            publish: writes && self.can_publish_review(review) && status == ReviewStatus::InReview,
            reopen: writes && self.can_reopen_review(review) && status == ReviewStatus::Published,
            record_follow_up: edit && status == ReviewStatus::Published,
        }
    }

    /// What the viewer may do with an action of `review` now (the rules of `actions`).
    pub fn action_rights(&self, viewer: &Viewer, action: &action::Model, review: &review::Model) -> ActionRights {
        let writes = viewer.require_write().is_ok();
        let edits_review = self.can_edit_review(review) && review.status != ReviewStatus::Published;
        let moves = self.moves_action(viewer, action, review);
        ActionRights {
            edit: writes && edits_review,
            move_on: writes && action.status.is_live() && (moves || edits_review),
        }
    }

    /// Its owner, the leads of its responsible team or of the review's team, and admins move an
    /// action on at any time (those who edit the review, too, until it is published).
    pub fn moves_action(&self, viewer: &Viewer, action: &action::Model, review: &review::Model) -> bool {
        action.owner_id == viewer.user_id
            || self.admin
            || self.roles.is_lead(action.team_id)
            || self.roles.is_lead(review.team_id)
    }

    fn close_to(&self, team_id: Uuid) -> bool {
        self.admin
            || self.roles.role(team_id).is_some()
            || self.responder
            || self.member_of_affected_team
            || self.participant
            || self.facilitator
            || self.action_owner
    }

    /// The owning team (any role), responders, affected teams, participants and the
    /// facilitator read an incident; everyone in the organization once its review is a
    /// published, organization-wide learning.
    pub fn can_read_incident(&self, incident: &incident::Model, review: Option<&review::Model>) -> bool {
        self.close_to(incident.team_id) || review.is_some_and(is_shared_learning)
    }

    /// Leads and members of the owning team, and admins, change an incident.
    pub fn can_change_incident(&self, incident: &incident::Model) -> bool {
        self.admin || self.roles.can_contribute(incident.team_id)
    }

    pub fn can_read_review(&self, review: &review::Model) -> bool {
        self.close_to(review.team_id) || is_shared_learning(review)
    }

    /// Leads and members of the owning team, the facilitator and admins edit a review.
    pub fn can_edit_review(&self, review: &review::Model) -> bool {
        self.admin || self.roles.can_contribute(review.team_id) || self.facilitator
    }

    /// Leads of the owning team, the facilitator and admins publish.
    pub fn can_publish_review(&self, review: &review::Model) -> bool {
        self.admin || self.roles.is_lead(review.team_id) || self.facilitator
    }

    /// Leads of the owning team and admins reopen a published review.
    pub fn can_reopen_review(&self, review: &review::Model) -> bool {
        self.admin || self.roles.is_lead(review.team_id)
    }
}

/// What the viewer may do with a review now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReviewRights {
    pub edit: bool,
    pub submit: bool,
    pub return_to_draft: bool,
    pub publish: bool,
    pub reopen: bool,
    pub record_follow_up: bool,
}

/// What the viewer may do with an action now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActionRights {
    /// Change its wording (while its review is not published).
    pub edit: bool,
    /// Start, complete, drop, reschedule or reassign it (while it is open or in progress).
    pub move_on: bool,
}

/// A published review with organization-wide visibility: the learning feed.
pub fn is_shared_learning(review: &review::Model) -> bool {
    review.status == ReviewStatus::Published && review.visibility == Visibility::Org
}

/// The reviews holding an action the viewer owns.
fn owned_actions_reviews(viewer: &Viewer) -> sea_orm::sea_query::SelectStatement {
    Query::select()
        .column(action::Column::ReviewId)
        .from(action::Entity)
        .and_where(action::Column::OwnerId.eq(viewer.user_id))
        .to_owned()
}

/// The team a team webhook reads as a member of.
fn webhook_team(viewer: &Viewer) -> Option<Uuid> {
    match viewer.credential {
        Credential::Webhook { team_id, .. } => team_id,
        _ => None,
    }
}

/// The teams the viewer belongs to, as a subquery: list conditions stay one statement.
fn own_teams(viewer: &Viewer) -> sea_orm::sea_query::SelectStatement {
    if let Some(team_id) = webhook_team(viewer) {
        return Query::select()
            .column(team::Column::Id)
            .from(team::Entity)
            .and_where(team::Column::Id.eq(team_id))
            .to_owned();
    }
    Query::select()
        .column(membership::Column::TeamId)
        .from(membership::Entity)
        .and_where(membership::Column::UserId.eq(viewer.user_id))
        .to_owned()
}

/// The incidents that affected one of the viewer's teams, as a subquery.
fn affected_incidents(viewer: &Viewer) -> sea_orm::sea_query::SelectStatement {
    Query::select()
        .column(incident_affected_team::Column::IncidentId)
        .from(incident_affected_team::Entity)
        .and_where(incident_affected_team::Column::TeamId.in_subquery(own_teams(viewer)))
        .to_owned()
}

/// The incidents the viewer responded to, as a subquery.
fn responded_incidents(viewer: &Viewer) -> sea_orm::sea_query::SelectStatement {
    Query::select()
        .column(incident_responder::Column::IncidentId)
        .from(incident_responder::Entity)
        .and_where(incident_responder::Column::UserId.eq(viewer.user_id))
        .to_owned()
}

/// SQL for "reviews the viewer may read", matching [`Standing::can_read_review`].
pub fn readable_reviews(viewer: &Viewer) -> Condition {
    let org = Condition::all().add(review::Column::OrganizationId.eq(viewer.org_id));
    if viewer.is_admin() {
        return org;
    }
    let participating = Query::select()
        .column(review_participant::Column::ReviewId)
        .from(review_participant::Entity)
        .and_where(review_participant::Column::UserId.eq(viewer.user_id))
        .to_owned();
    org.add(
        Condition::any()
            .add(review::Column::TeamId.in_subquery(own_teams(viewer)))
            .add(review::Column::FacilitatorId.eq(viewer.user_id))
            .add(review::Column::Id.in_subquery(participating))
            .add(review::Column::Id.in_subquery(owned_actions_reviews(viewer)))
            .add(review::Column::IncidentId.in_subquery(affected_incidents(viewer)))
            .add(review::Column::IncidentId.in_subquery(responded_incidents(viewer)))
            .add(
                Condition::all()
                    .add(review::Column::Status.eq(ReviewStatus::Published))
                    .add(review::Column::Visibility.eq(Visibility::Org)),
            ),
    )
}

/// SQL for "actions the viewer may read": their own, their teams', and those of reviews they
/// may read.
pub fn readable_actions(viewer: &Viewer) -> Condition {
    let org = Condition::all().add(action::Column::OrganizationId.eq(viewer.org_id));
    if viewer.is_admin() {
        return org;
    }
    let reviews =
        Query::select().column(review::Column::Id).from(review::Entity).cond_where(readable_reviews(viewer)).to_owned();
    org.add(
        Condition::any()
            .add(action::Column::OwnerId.eq(viewer.user_id))
            .add(action::Column::TeamId.in_subquery(own_teams(viewer)))
            .add(action::Column::ReviewId.in_subquery(reviews)),
    )
}

/// SQL for "incidents the viewer may read", matching [`Standing::can_read_incident`].
pub fn readable_incidents(viewer: &Viewer) -> Condition {
    let org = Condition::all().add(incident::Column::OrganizationId.eq(viewer.org_id));
    if viewer.is_admin() {
        return org;
    }
    let reviews_near = Query::select()
        .column(review::Column::IncidentId)
        .from(review::Entity)
        .and_where(review::Column::OrganizationId.eq(viewer.org_id))
        .cond_where(
            Condition::any()
                .add(review::Column::FacilitatorId.eq(viewer.user_id))
                .add(review::Column::Id.in_subquery(owned_actions_reviews(viewer)))
                .add(
                    Condition::all()
                        .add(review::Column::Status.eq(ReviewStatus::Published))
                        .add(review::Column::Visibility.eq(Visibility::Org)),
                )
                .add(
                    review::Column::Id.in_subquery(
                        Query::select()
                            .column(review_participant::Column::ReviewId)
                            .from(review_participant::Entity)
                            .and_where(review_participant::Column::UserId.eq(viewer.user_id))
                            .to_owned(),
                    ),
                ),
        )
        .to_owned();
    org.add(
        Condition::any()
            .add(incident::Column::TeamId.in_subquery(own_teams(viewer)))
            .add(incident::Column::Id.in_subquery(affected_incidents(viewer)))
            .add(incident::Column::Id.in_subquery(responded_incidents(viewer)))
            .add(incident::Column::Id.in_subquery(reviews_near)),
    )
}

/// Refusal for a review that is published: only its actions, follow-ups and
/// acknowledgements still change.
pub fn ensure_editable(review: &review::Model) -> AppResult<()> {
    if review.status == ReviewStatus::Published {
        return Err(AppError::InvalidState(
            "the review is PUBLISHED and read-only; a lead or admin can reopen it".into(),
        ));
    }
    Ok(())
}

/// Incidents that are resolved or closed have their resolution stamped.
pub fn is_resolved(status: IncidentStatus) -> bool {
    matches!(status, IncidentStatus::Resolved | IncidentStatus::Closed)
}

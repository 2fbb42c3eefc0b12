//! Who takes part in a review: its facilitator and its participants.

use super::*;
use entity::{TeamRole, incident_affected_team, membership, team};
use sea_orm::QuerySelect;

async fn participant_roles(db: &impl ConnectionTrait, review_id: Uuid, user_id: Uuid) -> AppResult<Vec<ReviewRole>> {
    Ok(review_participant::Entity::find()
        .filter(review_participant::Column::ReviewId.eq(review_id))
        .filter(review_participant::Column::UserId.eq(user_id))
        .all(db)
        .await?
        .into_iter()
        .map(|p| p.role)
        .collect())
}

async fn active_member(db: &impl ConnectionTrait, viewer: &Viewer, user_id: Uuid) -> AppResult<user::Model> {
    let user = users::find_in_org(db, viewer.org_id, user_id).await?;
    if !user.active {
        return Err(AppError::invalid("userId", "this user is deactivated"));
    }
    Ok(user)
}

/// Assigns the facilitator: never someone who responded to the incident or who takes part
/// as a responder or change author.
pub async fn assign_facilitator(
    db: &DatabaseConnection,
    viewer: &Viewer,
    review_id: Uuid,
    user_id: Uuid,
) -> AppResult<review::Model> {
    let (tx, review, incident) = begin_edit(db, viewer, review_id).await?;
    let user = active_member(&tx, viewer, user_id).await?;
    if incidents::responder_ids(&tx, incident.id).await?.contains(&user.id) {
        return Err(AppError::invalid("userId", "a responder of the incident cannot facilitate its review"));
    }
    if participant_roles(&tx, review.id, user.id).await?.iter().any(|r| r.conflicts_with_facilitation()) {
        return Err(AppError::invalid(
            "userId",
            "a participant who responded or authored the change cannot facilitate the review",
        ));
    }
    let version = review.version;
    let mut active = review.into_active_model();
    active.facilitator_id = Set(Some(user.id));
    active.updated_at = Set(viewer.now());
    let review = versioning::save(&tx, REVIEW(), review_id, version, None, active).await?;
    record(&tx, viewer, review.id, Change::FacilitatorAssigned { user_id: GlobalId::new(NodeKind::User, user.id) })
        .await?;
    tx.commit().await?;
    Ok(review)
}

pub async fn add_participant(
    db: &DatabaseConnection,
    viewer: &Viewer,
    review_id: Uuid,
    user_id: Uuid,
    role: ReviewRole,
) -> AppResult<review::Model> {
    let (tx, review, _) = begin_edit(db, viewer, review_id).await?;
    let user = active_member(&tx, viewer, user_id).await?;
    if role.conflicts_with_facilitation() && review.facilitator_id == Some(user.id) {
        return Err(AppError::invalid("role", format!("the facilitator cannot take part as {}", role.to_value())));
    }
    if participant_roles(&tx, review.id, user.id).await?.contains(&role) {
        return Ok(review);
    }
    let participants = review_participant::Entity::find().filter(review_participant::Column::ReviewId.eq(review.id));
    validate::room_for_one_more(&tx, participants, limits::PARTICIPANTS, "userId", "a review's participant list")
        .await?;
    review_participant::ActiveModel {
        review_id: Set(review.id),
        user_id: Set(user.id),
        role: Set(role),
        created_at: Set(viewer.now()),
    }
    .insert(&tx)
    .await
    .map_err(|e| AppError::unique_violation_or(e, incidents::changed_concurrently))?;
    let review = commit_change(
        tx,
        viewer,
        review,
        Change::ParticipantAdded { user_id: GlobalId::new(NodeKind::User, user.id), role },
    )
    .await?;
    Ok(review)
}

pub async fn remove_participant(
    db: &DatabaseConnection,
    viewer: &Viewer,
    review_id: Uuid,
    user_id: Uuid,
    role: ReviewRole,
) -> AppResult<review::Model> {
    let (tx, review, _) = begin_edit(db, viewer, review_id).await?;
    let removed = review_participant::Entity::delete_by_id((review.id, user_id, role)).exec(&tx).await?;
    if removed.rows_affected == 0 {
        return Err(AppError::NotFound("participant"));
    }
    let review = commit_change(
        tx,
        viewer,
        review,
        Change::ParticipantRemoved { user_id: GlobalId::new(NodeKind::User, user_id), role },
    )
    .await?;
    Ok(review)
}

/// Someone the meeting should hear from, with the role to invite them as and why.
pub struct Suggestion {
    pub user: user::Model,
    pub role: ReviewRole,
    pub reason: String,
}

/// Whom to invite, as the practice asks: the incident's responders (the on-call engineers who
/// lead the timeline), the author of the change that set it off (when the incident names one), a lead of each team the incident affected, and the owning team's leads
/// (who can commit its time to the actions). Never someone already in (a participant in any
/// role, or the facilitator), nor someone deactivated; each person once, for the first reason
/// in that order. The caller has checked that the viewer may read the review.
pub async fn suggested_participants(db: &impl ConnectionTrait, review: &review::Model) -> AppResult<Vec<Suggestion>> {
    let mut taken: Vec<Uuid> = review_participant::Entity::find()
        .select_only()
        .column(review_participant::Column::UserId)
        .filter(review_participant::Column::ReviewId.eq(review.id))
        .into_tuple()
        .all(db)
        .await?;
    taken.extend(review.facilitator_id);
    let leads_of = |team_ids: Vec<Uuid>| {
        membership::Entity::find()
            .filter(membership::Column::TeamId.is_in(team_ids))
            .filter(membership::Column::Role.eq(TeamRole::Lead))
            .order_by_asc(membership::Column::CreatedAt)
            .all(db)
    };
    let affected: Vec<Uuid> = incident_affected_team::Entity::find()
        .select_only()
        .column(incident_affected_team::Column::TeamId)
        .filter(incident_affected_team::Column::IncidentId.eq(review.incident_id))
        .filter(incident_affected_team::Column::TeamId.ne(review.team_id))
        .into_tuple()
        .all(db)
        .await?;
    let teams = team::Entity::find()
        .filter(team::Column::Id.is_in(affected.iter().copied().chain([review.team_id])))
        .all(db)
        .await?;
    let team_name = |id: Uuid| teams.iter().find(|t| t.id == id).map_or_else(String::new, |t| t.name.clone());

    let mut wanted: Vec<(Uuid, ReviewRole, String)> = incidents::responder_ids(db, review.incident_id)
        .await?
        .into_iter()
        .map(|id| (id, ReviewRole::OnCall, "responded to the incident".to_owned()))
        .collect();
    let change_author =
        incident::Entity::find_by_id(review.incident_id).one(db).await?.and_then(|i| i.change_author_id);
    if let Some(author) = change_author {
        wanted.push((author, ReviewRole::ChangeAuthor, "made the change that set the incident off".to_owned()));
    }
    for lead in leads_of(vec![review.team_id]).await? {
        let reason = format!("leads {}, which owns the incident", team_name(review.team_id));
        wanted.push((lead.user_id, ReviewRole::Manager, reason));
    }
    // One lead per affected team: its first.
    let mut represented = Vec::new();
    for lead in leads_of(affected).await? {
        if !represented.contains(&lead.team_id) {
            represented.push(lead.team_id);
            let reason = format!("leads {}, which the incident affected", team_name(lead.team_id));
            wanted.push((lead.user_id, ReviewRole::AffectedTeamRep, reason));
        }
    }
    let people = user::Entity::find()
        .filter(user::Column::Id.is_in(wanted.iter().map(|(id, ..)| *id)))
        .filter(user::Column::OrganizationId.eq(review.organization_id))
        .filter(user::Column::Active.eq(true))
        .all(db)
        .await?;
    let mut suggestions = Vec::new();
    for (id, role, reason) in wanted {
        if taken.contains(&id) {
            continue;
        }
        let Some(user) = people.iter().find(|p| p.id == id) else { continue };
        taken.push(id);
        suggestions.push(Suggestion { user: user.clone(), role, reason });
    }
    Ok(suggestions)
}

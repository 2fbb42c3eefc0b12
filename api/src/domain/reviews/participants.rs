//! Who takes part in a review: its facilitator and its participants.

use super::*;

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

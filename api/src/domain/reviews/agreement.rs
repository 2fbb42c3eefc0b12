//! Agreement on what happened: the people of the meeting agree on the timeline, and any later
//! change to it withdraws every agreement.

use super::*;
use entity::{incident_responder, timeline_agreement};
use sea_orm::QuerySelect;

/// The viewer agrees that the review's timeline is what happened (`agreeTimeline`): its
/// facilitator, a participant or one of the incident's responders, while the review is not
/// published and its timeline holds something. Agreeing again changes nothing.
pub async fn agree_timeline(db: &DatabaseConnection, viewer: &Viewer, review_id: Uuid) -> AppResult<review::Model> {
    let tx = db::begin_write(db, viewer.org_id).await?;
    let (review, _, standing) = readable(&tx, viewer, review_id).await?;
    if !(standing.facilitator || standing.participant || standing.responder) {
        return Err(AppError::forbidden(
            "only the facilitator, a participant or a responder of the incident may agree to the timeline",
        ));
    }
    ensure_editable(&review)?;
    let entries =
        timeline_entry::Entity::find().filter(timeline_entry::Column::ReviewId.eq(review.id)).one(&tx).await?;
    if entries.is_none() {
        return Err(AppError::InvalidState("the timeline is empty: there is nothing to agree to yet".into()));
    }
    if timeline_agreement::Entity::find_by_id((review.id, viewer.user_id)).one(&tx).await?.is_some() {
        return Ok(review);
    }
    timeline_agreement::ActiveModel {
        review_id: Set(review.id),
        user_id: Set(viewer.user_id),
        agreed_at: Set(viewer.now()),
    }
    .insert(&tx)
    .await
    .map_err(|e| AppError::unique_violation_or(e, incidents::changed_concurrently))?;
    let agreed = Change::TimelineAgreed { user_id: GlobalId::new(NodeKind::User, viewer.user_id) };
    commit_change(tx, viewer, review, agreed).await
}

/// The agreements to the timelines of reviews as they stand, each review's in the order they
/// were given.
pub async fn agreements(db: &impl ConnectionTrait, review_ids: Vec<Uuid>) -> AppResult<Vec<timeline_agreement::Model>> {
    Ok(timeline_agreement::Entity::find()
        .filter(timeline_agreement::Column::ReviewId.is_in(review_ids))
        .order_by_asc(timeline_agreement::Column::AgreedAt)
        .order_by_asc(timeline_agreement::Column::UserId)
        .all(db)
        .await?)
}

/// Who agreed to the timeline as it stands, in the order they did.
pub async fn timeline_agreed_by(db: &impl ConnectionTrait, review_id: Uuid) -> AppResult<Vec<Uuid>> {
    Ok(agreements(db, vec![review_id]).await?.into_iter().map(|a| a.user_id).collect())
}

/// Withdraws every agreement to a timeline that just changed, and says so.
pub(super) async fn clear_agreements(tx: &impl ConnectionTrait, viewer: &Viewer, review_id: Uuid) -> AppResult<()> {
    let agreed = timeline_agreed_by(tx, review_id).await?;
    if agreed.is_empty() {
        return Ok(());
    }
    timeline_agreement::Entity::delete_many()
        .filter(timeline_agreement::Column::ReviewId.eq(review_id))
        .exec(tx)
        .await?;
    let user_ids = agreed.into_iter().map(|id| GlobalId::new(NodeKind::User, id)).collect();
    record(tx, viewer, review_id, Change::TimelineAgreementsCleared { user_ids }).await
}

/// Who is still to agree to the timeline, as the practice asks: the facilitator and, when the
/// incident had responders (on the incident, or taking part as RESPONDER or ON_CALL), one of
/// them. `None` when it is agreed.
pub(super) async fn agreement_missing(db: &impl ConnectionTrait, review: &review::Model) -> AppResult<Option<Gap>> {
    let agreed = timeline_agreed_by(db, review.id).await?;
    let mut responders: Vec<Uuid> = incident_responder::Entity::find()
        .select_only()
        .column(incident_responder::Column::UserId)
        .filter(incident_responder::Column::IncidentId.eq(review.incident_id))
        .into_tuple()
        .all(db)
        .await?;
    let taking_part: Vec<Uuid> = review_participant::Entity::find()
        .select_only()
        .column(review_participant::Column::UserId)
        .filter(review_participant::Column::ReviewId.eq(review.id))
        .filter(review_participant::Column::Role.is_in([ReviewRole::Responder, ReviewRole::OnCall]))
        .into_tuple()
        .all(db)
        .await?;
    responders.extend(taking_part);
    let facilitator = !review.facilitator_id.is_some_and(|id| agreed.contains(&id));
    let responder = !responders.is_empty() && !responders.iter().any(|id| agreed.contains(id));
    Ok((facilitator || responder).then_some(Gap::TimelineAgreement { facilitator, responder }))
}

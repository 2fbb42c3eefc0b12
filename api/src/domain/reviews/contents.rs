//! Reading what a review holds besides its own row.

use super::*;

/// Everything a review holds besides its own row.
pub struct Contents {
    pub timeline: Vec<timeline_entry::Model>,
    pub whys: Vec<why::Model>,
    pub factors: Vec<contributing_factor::Model>,
    pub questions: Vec<parked_question::Model>,
    pub links: Vec<review_link::Model>,
    pub actions: Vec<action::Model>,
}

impl Contents {
    pub async fn load(db: &impl ConnectionTrait, review_id: Uuid) -> AppResult<Self> {
        use entity::{parked_question as question, review_link as link, timeline_entry as entry};
        Ok(Self {
            timeline: held::<entry::Entity>(
                db,
                entry::Column::ReviewId,
                review_id,
                &[entry::Column::OccurredAt, entry::Column::Id],
            )
            .await?,
            whys: whys(db, review_id).await?,
            factors: contributing_factors(db, review_id).await?,
            questions: held::<question::Entity>(db, question::Column::ReviewId, review_id, &[question::Column::Id])
                .await?,
            links: held::<link::Entity>(db, link::Column::ReviewId, review_id, &[link::Column::Id]).await?,
            actions: actions::of_review(db, review_id).await?,
        })
    }
}

/// The rows of `E` a review holds (`review_column` names it), in the order of `order`.
async fn held<E: EntityTrait>(
    db: &impl ConnectionTrait,
    review_column: E::Column,
    review_id: Uuid,
    order: &[E::Column],
) -> AppResult<Vec<E::Model>> {
    let select = E::find().filter(review_column.eq(review_id));
    let select = order.iter().fold(select, |select, column| select.order_by_asc(*column));
    Ok(select.all(db).await?)
}

/// The why chain in order; the last answer is the root cause.
pub async fn whys(db: &impl ConnectionTrait, review_id: Uuid) -> AppResult<Vec<why::Model>> {
    held::<why::Entity>(db, why::Column::ReviewId, review_id, &[why::Column::Position]).await
}

/// The contributing factors, oldest first.
pub async fn contributing_factors(
    db: &impl ConnectionTrait,
    review_id: Uuid,
) -> AppResult<Vec<contributing_factor::Model>> {
    held::<contributing_factor::Entity>(
        db,
        contributing_factor::Column::ReviewId,
        review_id,
        &[contributing_factor::Column::Id],
    )
    .await
}

pub async fn find_timeline_entry(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    id: Uuid,
) -> AppResult<Option<timeline_entry::Model>> {
    visible_child(db, viewer, timeline_entry::Entity::find_by_id(id).one(db).await?, |r| r.review_id).await
}

pub async fn find_parked_question(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    id: Uuid,
) -> AppResult<Option<parked_question::Model>> {
    visible_child(db, viewer, parked_question::Entity::find_by_id(id).one(db).await?, |r| r.review_id).await
}

pub async fn find_contributing_factor(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    id: Uuid,
) -> AppResult<Option<contributing_factor::Model>> {
    visible_child(db, viewer, contributing_factor::Entity::find_by_id(id).one(db).await?, |r| r.review_id).await
}

pub async fn find_link(db: &impl ConnectionTrait, viewer: &Viewer, id: Uuid) -> AppResult<Option<review_link::Model>> {
    visible_child(db, viewer, review_link::Entity::find_by_id(id).one(db).await?, |r| r.review_id).await
}

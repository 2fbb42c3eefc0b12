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
        Ok(Self {
            timeline: timeline(db, review_id).await?,
            whys: whys(db, review_id).await?,
            factors: contributing_factors(db, review_id).await?,
            questions: parked_questions(db, review_id).await?,
            links: links(db, review_id).await?,
            actions: actions::of_review(db, review_id).await?,
        })
    }
}

/// The why chain in order; the last answer is the root cause.
pub async fn whys(db: &impl ConnectionTrait, review_id: Uuid) -> AppResult<Vec<why::Model>> {
    Ok(why::Entity::find()
        .filter(why::Column::ReviewId.eq(review_id))
        .order_by_asc(why::Column::Position)
        .all(db)
        .await?)
}

pub async fn contributing_factors(
    db: &impl ConnectionTrait,
    review_id: Uuid,
) -> AppResult<Vec<contributing_factor::Model>> {
    Ok(contributing_factor::Entity::find()
        .filter(contributing_factor::Column::ReviewId.eq(review_id))
        .order_by_asc(contributing_factor::Column::Id)
        .all(db)
        .await?)
}

pub async fn parked_questions(db: &impl ConnectionTrait, review_id: Uuid) -> AppResult<Vec<parked_question::Model>> {
    Ok(parked_question::Entity::find()
        .filter(parked_question::Column::ReviewId.eq(review_id))
        .order_by_asc(parked_question::Column::Id)
        .all(db)
        .await?)
}

pub async fn links(db: &impl ConnectionTrait, review_id: Uuid) -> AppResult<Vec<review_link::Model>> {
    Ok(review_link::Entity::find()
        .filter(review_link::Column::ReviewId.eq(review_id))
        .order_by_asc(review_link::Column::Id)
        .all(db)
        .await?)
}

/// The timeline, chronologically.
pub async fn timeline(db: &impl ConnectionTrait, review_id: Uuid) -> AppResult<Vec<timeline_entry::Model>> {
    Ok(timeline_entry::Entity::find()
        .filter(timeline_entry::Column::ReviewId.eq(review_id))
        .order_by_asc(timeline_entry::Column::OccurredAt)
        .order_by_asc(timeline_entry::Column::Id)
        .all(db)
        .await?)
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

//! Follow-up reviews of a published review.

use super::*;
use sea_orm::QuerySelect;
use sea_orm::sea_query::{Expr, ExprTrait};

/// Records a follow-up review of a published review: one of each kind.
pub async fn record_follow_up(
    db: &DatabaseConnection,
    viewer: &Viewer,
    review_id: Uuid,
    input: FollowUpInput,
) -> AppResult<follow_up::Model> {
    let notes = validate::required_text("notes", &input.notes, limits::LONG_TEXT).map_err(AppError::in_input)?;
    let tx = db::begin_write(db, viewer.org_id).await?;
    let (review, _, standing) = readable(&tx, viewer, review_id).await?;
    if !standing.can_edit_review(&review) {
        return Err(AppError::forbidden(
            "only the owning team's leads and members, or the facilitator, may record a follow-up",
        ));
    }
    if review.status != ReviewStatus::Published {
        return Err(AppError::InvalidState(format!(
            "the review is {}; follow-ups are recorded on published reviews",
            review.status.to_value()
        )));
    }
    let taken = follow_up::Entity::find()
        .filter(follow_up::Column::ReviewId.eq(review.id))
        .filter(follow_up::Column::Kind.eq(input.kind))
        .one(&tx)
        .await?
        .is_some();
    let duplicate = || {
        AppError::invalid("kind", format!("a {} follow-up is already recorded for this review", input.kind.to_value()))
    };
    if taken {
        return Err(duplicate().in_input());
    }
    let follow_up = follow_up::ActiveModel {
        id: Set(Uuid::now_v7()),
        review_id: Set(review.id),
        kind: Set(input.kind),
        notes: Set(notes),
        actions_effective: Set(input.actions_effective),
        recurred: Set(input.recurred),
        recorded_by: Set(viewer.user_id),
        created_at: Set(viewer.now()),
    }
    .insert(&tx)
    .await
    .map_err(|e| AppError::unique_violation_or(e, duplicate))?;
    // The other kind's date, if its follow-up is still to come.
    let recorded_kinds = recorded_kinds(&tx, review.id).await?;
    let next = next_follow_up(review.follow_up_at, review.long_term_review_at, &recorded_kinds);
    review::Entity::update_many()
        .col_expr(review::Column::NextFollowUpAt, Expr::value(next))
        .col_expr(review::Column::FollowUps, Expr::col(review::Column::FollowUps).add(1))
        .col_expr(review::Column::Recurrences, Expr::col(review::Column::Recurrences).add(i32::from(input.recurred)))
        .filter(review::Column::Id.eq(review.id))
        .exec(&tx)
        .await?;
    let recorded = Change::FollowUpRecorded {
        kind: input.kind,
        actions_effective: input.actions_effective,
        recurred: input.recurred,
    };
    commit_change(tx, viewer, review, recorded).await?;
    Ok(follow_up)
}

pub struct FollowUpInput {
    pub kind: FollowUpKind,
    pub notes: String,
    pub actions_effective: Effectiveness,
    pub recurred: bool,
}

/// The kinds of follow-up recorded for a review.
pub(super) async fn recorded_kinds(db: &impl ConnectionTrait, review_id: Uuid) -> AppResult<Vec<FollowUpKind>> {
    Ok(follow_up::Entity::find()
        .select_only()
        .column(follow_up::Column::Kind)
        .filter(follow_up::Column::ReviewId.eq(review_id))
        .into_tuple()
        .all(db)
        .await?)
}

/// When a published review is next due a follow-up: the earlier of its short- and long-term
/// dates whose follow-up is not among `recorded`.
pub fn next_follow_up(
    short_term: Option<DateTime<Utc>>,
    long_term: Option<DateTime<Utc>>,
    recorded: &[FollowUpKind],
) -> Option<DateTime<Utc>> {
    [(FollowUpKind::ShortTerm, short_term), (FollowUpKind::LongTerm, long_term)]
        .into_iter()
        .filter(|(kind, _)| !recorded.contains(kind))
        .filter_map(|(_, date)| date)
        .min()
}

/// Published reviews the viewer may read whose short- or long-term follow-up date has come
/// without a follow-up of that kind recorded, oldest first.
pub async fn due_follow_ups(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    team_id: Option<Uuid>,
    page: &PageRequest,
) -> AppResult<Page<review::Model>> {
    let mut select = review::Entity::find()
        .filter(readable_reviews(viewer))
        .filter(review::Column::Status.eq(ReviewStatus::Published))
        .filter(review::Column::NextFollowUpAt.lte(viewer.now()));
    if let Some(team_id) = team_id {
        select = select.filter(review::Column::TeamId.eq(team_id));
    }
    paginate(db, select, review::Column::Id, Order::Asc, |r| r.id.to_string(), page).await
}

pub async fn find_follow_up(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    id: Uuid,
) -> AppResult<Option<follow_up::Model>> {
    visible_child(db, viewer, follow_up::Entity::find_by_id(id).one(db).await?, |r| r.review_id).await
}

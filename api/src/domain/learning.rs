//! The cross-team learning feed: published, organization-wide reviews, and who read them.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::{ReviewStatus, Visibility, acknowledgement, incident_tag, membership, review, tag, team};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use crate::auth::Viewer;
use crate::db;
use crate::domain::pagination::{Page, PageRequest, pair_cursor};
use crate::domain::search::{self, Searched};
use crate::domain::{incidents, reviews, validate};
use crate::error::{AppError, AppResult};
use crate::events::{self, Change};
use crate::ids::NodeKind;

#[derive(Debug, Default)]
pub struct FeedFilter {
    pub team_ids: Vec<Uuid>,
    /// Reviews of incidents carrying any of these tags.
    pub tags: Vec<String>,
    /// Words that must all appear in the title, summary, learnings, whys or factors.
    pub search: Option<String>,
}

/// Published reviews shared with the whole organization, most recently published first.
pub async fn feed(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    filter: FeedFilter,
    page: &PageRequest,
) -> AppResult<Page<review::Model>> {
    let mut condition = Condition::all()
        .add(review::Column::OrganizationId.eq(viewer.org_id))
        .add(review::Column::Status.eq(ReviewStatus::Published))
        .add(review::Column::Visibility.eq(Visibility::Org));
    if !filter.team_ids.is_empty() {
        condition = condition.add(review::Column::TeamId.is_in(filter.team_ids));
    }
    if !filter.tags.is_empty() {
        let names = filter.tags.iter().map(|t| incidents::normalize_tag("tags", t)).collect::<AppResult<Vec<_>>>()?;
        let tagged = Query::select()
            .column((incident_tag::Entity, incident_tag::Column::IncidentId))
            .from(incident_tag::Entity)
            .inner_join(
                tag::Entity,
                Expr::col((tag::Entity, tag::Column::Id)).equals((incident_tag::Entity, incident_tag::Column::TagId)),
            )
            .and_where(Expr::col((tag::Entity, tag::Column::OrganizationId)).eq(viewer.org_id))
            .and_where(Expr::col((tag::Entity, tag::Column::Name)).is_in(names))
            .to_owned();
        condition = condition.add(review::Column::IncidentId.in_subquery(tagged));
    }
    if let Some(search) = validate::search("search", filter.search.as_deref())?.as_deref() {
        condition = condition.add(search::matches(db.get_database_backend(), Searched::Reviews, search));
    }
    let total_count = page.total(db, review::Entity::find().filter(condition.clone())).await?;
    let mut query = review::Entity::find().filter(condition);
    if let Some((at, id)) = page.after_pair::<DateTime<Utc>>()? {
        query = query.filter(
            Condition::any()
                .add(review::Column::PublishedAt.lt(at))
                .add(Condition::all().add(review::Column::PublishedAt.eq(at)).add(review::Column::Id.lt(id))),
        );
    }
    let mut rows = query
        .order_by_desc(review::Column::PublishedAt)
        .order_by_desc(review::Column::Id)
        .limit(page.first + 1)
        .all(db)
        .await?;
    let has_next_page = rows.len() as u64 > page.first;
    rows.truncate(page.first as usize);
    let items = rows
        .into_iter()
        .map(|r| (pair_cursor(r.published_at.map(|at| at.to_rfc3339()).unwrap_or_default(), r.id), r))
        .collect();
    Ok(Page { items, has_previous_page: page.after.is_some(), has_next_page, total_count })
}

/// Records that the viewer read a published review (once; acknowledging again changes nothing).
pub async fn acknowledge(db: &DatabaseConnection, viewer: &Viewer, review_id: Uuid) -> AppResult<review::Model> {
    let tx = db::begin_write(db).await?;
    let (review, _, _) = reviews::readable(&tx, viewer, review_id).await?;
    if review.status != ReviewStatus::Published {
        return Err(AppError::InvalidState("only a published review can be acknowledged".into()));
    }
    if acknowledgement::Entity::find_by_id((review.id, viewer.user_id)).one(&tx).await?.is_none() {
        acknowledgement::ActiveModel {
            review_id: Set(review.id),
            user_id: Set(viewer.user_id),
            created_at: Set(viewer.now()),
        }
        .insert(&tx)
        .await
        .map_err(|e| AppError::unique_violation_or(e, incidents::changed_concurrently))?;
        events::record_change(&tx, viewer, (NodeKind::Review, review.id), Change::LearningAcknowledged {}).await?;
    }
    tx.commit().await?;
    Ok(review)
}

/// How many people of each team acknowledged a review, most first.
pub async fn acknowledgements_by_team(
    db: &impl ConnectionTrait,
    review_id: Uuid,
) -> AppResult<Vec<(team::Model, u64)>> {
    let readers = Query::select()
        .column(acknowledgement::Column::UserId)
        .from(acknowledgement::Entity)
        .and_where(acknowledgement::Column::ReviewId.eq(review_id))
        .to_owned();
    let counts: Vec<(Uuid, i64)> = membership::Entity::find()
        .select_only()
        .column(membership::Column::TeamId)
        .column_as(Expr::col(membership::Column::UserId).count(), "readers")
        .filter(membership::Column::UserId.in_subquery(readers))
        .group_by(membership::Column::TeamId)
        .into_tuple()
        .all(db)
        .await?;
    if counts.is_empty() {
        return Ok(Vec::new());
    }
    let teams: HashMap<Uuid, team::Model> = team::Entity::find()
        .filter(team::Column::Id.is_in(counts.iter().map(|c| c.0)))
        .all(db)
        .await?
        .into_iter()
        .map(|t| (t.id, t))
        .collect();
    let mut rows: Vec<(team::Model, u64)> = counts
        .into_iter()
        .filter_map(|(id, n)| teams.get(&id).map(|t| (t.clone(), u64::try_from(n).unwrap_or(0))))
        .collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.slug.cmp(&b.0.slug)));
    Ok(rows)
}

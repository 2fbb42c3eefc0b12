//! The cross-team learning feed: published, organization-wide reviews, who read them, and the
//! teams each one concerns (told when it is published).

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Utc};
use entity::{
    ReviewStatus, Visibility, acknowledgement, incident_service, incident_tag, learning_notice, membership, review,
    service, tag, team,
};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, QueryTrait, Select,
};
use uuid::Uuid;

use crate::auth::Viewer;
use crate::db;
use crate::domain::access::readable_reviews;
use crate::domain::pagination::{Page, PageRequest, pair_cursor};
use crate::domain::search::{self, Searched};
use crate::domain::{incidents, reviews, teams, validate};
use crate::error::{AppError, AppResult};
use crate::events::{self, Change, LearningReason};
use crate::ids::{GlobalId, NodeKind};

#[derive(Debug, Default)]
pub struct FeedFilter {
    pub team_ids: Vec<Uuid>,
    /// Reviews of incidents carrying any of these tags.
    pub tags: Vec<String>,
    /// Words that must all appear in the title, summary, learnings, whys or factors.
    pub search: Option<String>,
    /// A team: the reviews it was told concern it come first.
    pub relevant_to: Option<Uuid>,
}

/// Where a feed item stands in the feed's order: relevant to the asked team (when one is), then
/// when it was published. Written in its cursor as `1@2026-11-30T…` (relevant) or `0@…`.
struct FeedKey {
    relevant: bool,
    published_at: DateTime<Utc>,
}

impl std::fmt::Display for FeedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}@{}", u8::from(self.relevant), self.published_at.to_rfc3339())
    }
}

impl std::str::FromStr for FeedKey {
    type Err = ();
    fn from_str(text: &str) -> Result<Self, ()> {
        // Cursors from before relevance was part of the key hold the time alone.
        let (relevant, at) = text.split_once('@').unwrap_or(("0", text));
        let relevant = match relevant {
            "0" => false,
            "1" => true,
            _ => return Err(()),
        };
        Ok(Self { relevant, published_at: at.parse().map_err(|_| ())? })
    }
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
    if let Some(team_id) = filter.relevant_to {
        teams::find_in_org(db, viewer.org_id, team_id).await?;
    }
    let total_count = page.total(db, review::Entity::find().filter(condition.clone())).await?;
    let after = page.after_pair::<FeedKey>()?;
    // A cursor among the reviews not told to the asked team (the feed's second part, when asked).
    let past_told = after.as_ref().is_some_and(|(key, _)| !key.relevant);
    let after = after.map(|(key, id)| {
        Condition::any()
            .add(review::Column::PublishedAt.lt(key.published_at))
            .add(Condition::all().add(review::Column::PublishedAt.eq(key.published_at)).add(review::Column::Id.lt(id)))
    });
    let limit = page.first + 1;
    let newest_first = |query: Select<review::Entity>, limit: u64| {
        query.order_by_desc(review::Column::PublishedAt).order_by_desc(review::Column::Id).limit(limit).all(db)
    };
    // Each row with whether the asked team was told it concerns it. The told ones come first: two
    // statements, each read in the order of the published index, rather than one ordered by
    // whether each review was told (which sorts every published review of the organization).
    let mut rows: Vec<(bool, review::Model)> = Vec::new();
    match filter.relevant_to {
        None => {
            let query = review::Entity::find().filter(condition).apply_if(after, QueryFilter::filter);
            rows.extend(newest_first(query, limit).await?.into_iter().map(|r| (false, r)));
        }
        Some(team_id) => {
            let told = || {
                review::Column::Id.in_subquery(
                    Query::select()
                        .column(learning_notice::Column::ReviewId)
                        .from(learning_notice::Entity)
                        .and_where(learning_notice::Column::TeamId.eq(team_id))
                        .to_owned(),
                )
            };
            // A cursor among the told ones goes on there, then through the rest from their start;
            // a cursor past them goes on among the rest.
            if !past_told {
                let query = review::Entity::find().filter(condition.clone()).filter(told());
                let query = query.apply_if(after.clone(), QueryFilter::filter);
                rows.extend(newest_first(query, limit).await?.into_iter().map(|r| (true, r)));
            }
            let missing = limit - rows.len() as u64;
            if missing > 0 {
                let query = review::Entity::find().filter(condition).filter(told().not());
                let query = query.apply_if(after.filter(|_| past_told), QueryFilter::filter);
                rows.extend(newest_first(query, missing).await?.into_iter().map(|r| (false, r)));
            }
        }
    }
    let has_next_page = rows.len() as u64 > page.first;
    rows.truncate(page.first as usize);
    let items = rows
        .into_iter()
        .map(|(relevant, r)| {
            let key = FeedKey { relevant, published_at: r.published_at.unwrap_or_default() };
            (pair_cursor(key, r.id), r)
        })
        .collect();
    Ok(Page { items, has_previous_page: page.after.is_some(), has_next_page, total_count })
}

/// Records that the viewer read a published review (once; acknowledging again changes nothing).
pub async fn acknowledge(db: &DatabaseConnection, viewer: &Viewer, review_id: Uuid) -> AppResult<review::Model> {
    let tx = db::begin_write(db, viewer.org_id).await?;
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

/// How far back a team's own published reviews make a new one like them relevant.
const SIMILAR_WITHIN_DAYS: i64 = 90;

/// Tells every team a review published for the whole organization concerns, once per review and
/// team (`LEARNING_RELEVANT`, with why): the teams owning a service its incident touched, and the
/// teams whose own organization-wide reviews of the past 90 days share a service or a tag with
/// it. Not its own team, and nothing for a review only its team may read. Runs in the
/// publishing transaction.
pub async fn tell_concerned_teams(tx: &impl ConnectionTrait, viewer: &Viewer, review: &review::Model) -> AppResult<()> {
    if review.visibility != Visibility::Org {
        return Ok(());
    }
    let services = Query::select()
        .column(incident_service::Column::ServiceId)
        .from(incident_service::Entity)
        .and_where(incident_service::Column::IncidentId.eq(review.incident_id))
        .to_owned();
    let owners: Vec<Uuid> = service::Entity::find()
        .select_only()
        .column(service::Column::OwnerTeamId)
        .distinct()
        .filter(service::Column::OrganizationId.eq(viewer.org_id))
        .filter(service::Column::Id.in_subquery(services.clone()))
        .into_tuple()
        .all(tx)
        .await?;
    let tags = Query::select()
        .column(incident_tag::Column::TagId)
        .from(incident_tag::Entity)
        .and_where(incident_tag::Column::IncidentId.eq(review.incident_id))
        .to_owned();
    let alike = Condition::any()
        .add(
            review::Column::IncidentId.in_subquery(
                Query::select()
                    .column(incident_service::Column::IncidentId)
                    .from(incident_service::Entity)
                    .and_where(incident_service::Column::ServiceId.in_subquery(services))
                    .to_owned(),
            ),
        )
        .add(
            review::Column::IncidentId.in_subquery(
                Query::select()
                    .column(incident_tag::Column::IncidentId)
                    .from(incident_tag::Entity)
                    .and_where(incident_tag::Column::TagId.in_subquery(tags))
                    .to_owned(),
            ),
        );
    let since = viewer.now() - chrono::TimeDelta::days(SIMILAR_WITHIN_DAYS);
    let similar: Vec<Uuid> = review::Entity::find()
        .select_only()
        .column(review::Column::TeamId)
        .distinct()
        .filter(review::Column::OrganizationId.eq(viewer.org_id))
        .filter(review::Column::Status.eq(ReviewStatus::Published))
        .filter(review::Column::Visibility.eq(Visibility::Org))
        .filter(review::Column::PublishedAt.gte(since))
        .filter(review::Column::Id.ne(review.id))
        .filter(alike)
        .into_tuple()
        .all(tx)
        .await?;

    let mut concerned: BTreeMap<Uuid, Vec<LearningReason>> = BTreeMap::new();
    for team in owners {
        concerned.entry(team).or_default().push(LearningReason::OwnsService);
    }
    for team in similar {
        concerned.entry(team).or_default().push(LearningReason::SimilarIncident);
    }
    concerned.remove(&review.team_id);
    if concerned.is_empty() {
        return Ok(());
    }
    // Told before (a review published again): not told twice.
    let told: HashSet<Uuid> = learning_notice::Entity::find()
        .select_only()
        .column(learning_notice::Column::TeamId)
        .filter(learning_notice::Column::ReviewId.eq(review.id))
        .into_tuple::<Uuid>()
        .all(tx)
        .await?
        .into_iter()
        .collect();
    for (team_id, reasons) in concerned.into_iter().filter(|(team, _)| !told.contains(team)) {
        learning_notice::ActiveModel {
            review_id: Set(review.id),
            team_id: Set(team_id),
            organization_id: Set(viewer.org_id),
            reasons: Set(serde_json::to_value(&reasons).map_err(AppError::internal)?),
            created_at: Set(viewer.now()),
        }
        .insert(tx)
        .await?;
        let change = Change::LearningRelevant { team_id: GlobalId::new(NodeKind::Team, team_id), reasons };
        events::record_change(tx, viewer, (NodeKind::Review, review.id), change).await?;
    }
    Ok(())
}

/// A review that concerns a team, and why.
#[derive(Debug, Clone)]
pub struct Notice {
    pub review: review::Model,
    pub reasons: Vec<LearningReason>,
    pub told_at: DateTime<Utc>,
}

/// Reviews a team was told concern it that nobody in the team has acknowledged yet, most
/// recently told first; only published reviews the viewer may read.
pub async fn pending_for_team(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    team_id: Uuid,
    limit: u64,
) -> AppResult<Vec<Notice>> {
    let members = Query::select()
        .column(membership::Column::UserId)
        .from(membership::Entity)
        .and_where(membership::Column::TeamId.eq(team_id))
        .to_owned();
    let read_by_team = Query::select()
        .column(acknowledgement::Column::ReviewId)
        .from(acknowledgement::Entity)
        .and_where(acknowledgement::Column::UserId.in_subquery(members))
        .to_owned();
    let readable = review::Entity::find()
        .select_only()
        .column(review::Column::Id)
        .filter(readable_reviews(viewer))
        .filter(review::Column::Status.eq(ReviewStatus::Published))
        .into_query();
    let notices = learning_notice::Entity::find()
        .filter(learning_notice::Column::OrganizationId.eq(viewer.org_id))
        .filter(learning_notice::Column::TeamId.eq(team_id))
        .filter(learning_notice::Column::ReviewId.in_subquery(readable))
        .filter(learning_notice::Column::ReviewId.not_in_subquery(read_by_team))
        .order_by_desc(learning_notice::Column::CreatedAt)
        .order_by_desc(learning_notice::Column::ReviewId)
        .limit(limit)
        .all(db)
        .await?;
    let mut reviews: HashMap<Uuid, review::Model> = review::Entity::find()
        .filter(review::Column::Id.is_in(notices.iter().map(|n| n.review_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.id, r))
        .collect();
    Ok(notices
        .into_iter()
        .filter_map(|notice| {
            let reasons = serde_json::from_value(notice.reasons).unwrap_or_default();
            reviews.remove(&notice.review_id).map(|review| Notice { review, reasons, told_at: notice.created_at })
        })
        .collect())
}

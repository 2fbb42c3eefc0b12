//! Reviews: the blameless post-mortem of one incident, from DRAFT through IN_REVIEW to
//! PUBLISHED, with the rules that make it worth publishing.

use chrono::{DateTime, TimeDelta, Utc};
use entity::{
    ActionKind, ActionStatus, Effectiveness, FactorCategory, FactorEffect, FollowUpKind, ReviewRole, ReviewStatus,
    TimelineKind, Visibility, action, contributing_factor, follow_up, incident, parked_question, review, review_link,
    review_participant, timeline_entry, user, why,
};
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    DatabaseTransaction, EntityTrait, IntoActiveModel, Order, QueryFilter, QueryOrder,
};
use uuid::Uuid;

use crate::auth::Viewer;
use crate::db;
use crate::domain::access::{Standing, ensure_editable, readable_reviews};
use crate::domain::blameless::{self, Finding, ReviewText};
use crate::domain::incidents::{self, not_in_future};
use crate::domain::pagination::{Page, PageRequest, paginate};
use crate::domain::policy::{self, ReviewPolicy};
use crate::domain::validate::limits;
use crate::domain::versioning::{self, Versioned};
use crate::domain::{actions, learning, users, validate};
use crate::error::{AppError, AppResult, Shortfall};
use crate::events::{self, Change, ReviewTransition};
use crate::ids::{GlobalId, NodeKind};

mod agenda;
mod agreement;
mod analysis;
mod comments;
mod contents;
mod follow_ups;
mod lifecycle;
mod participants;
mod timeline;

pub use agenda::*;
pub use agreement::*;
pub use analysis::*;
pub use comments::*;
pub use contents::*;
pub use follow_ups::*;
pub use lifecycle::*;
pub use participants::*;
pub use timeline::*;

/// How long before an incident started a timeline entry may be.
pub const TIMELINE_LOOKBACK: TimeDelta = TimeDelta::days(7);

const REVIEW: fn() -> Versioned<review::Entity> =
    || Versioned { id_column: review::Column::Id, version_column: review::Column::Version, what: "review" };

async fn record(tx: &impl ConnectionTrait, viewer: &Viewer, review_id: Uuid, change: Change) -> AppResult<()> {
    events::record_change(tx, viewer, (NodeKind::Review, review_id), change).await
}

fn deadline(incident: &incident::Model, policy: &ReviewPolicy) -> Option<DateTime<Utc>> {
    incident.resolved_at.map(|at| at + TimeDelta::hours(i64::from(policy.review_deadline_hours)))
}

/// When the review must be published: the policy's `publish_within_days` after resolution.
fn publish_deadline(incident: &incident::Model, policy: &ReviewPolicy) -> Option<DateTime<Utc>> {
    incident.resolved_at.map(|at| at + TimeDelta::days(i64::from(policy.publish_within_days)))
}

fn empty_list() -> serde_json::Value {
    serde_json::Value::Array(Vec::new())
}

/// Creates the review of an incident (DRAFT, owned by the incident's team, due after the
/// policy's deadline once the incident is resolved) and records it.
pub(crate) async fn create_for(
    tx: &impl ConnectionTrait,
    viewer: &Viewer,
    incident: &incident::Model,
    policy: &ReviewPolicy,
) -> AppResult<review::Model> {
    let now = viewer.now();
    let review = review::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(incident.organization_id),
        incident_id: Set(incident.id),
        team_id: Set(incident.team_id),
        title: Set(incident.title.clone()),
        status: Set(ReviewStatus::Draft),
        visibility: Set(Visibility::Org),
        facilitator_id: Set(None),
        summary: Set(None),
        impact: Set(incident.customer_impact.clone()),
        scheduled_for: Set(None),
        due_at: Set(deadline(incident, policy)),
        went_well: Set(empty_list()),
        got_lucky: Set(empty_list()),
        learnings: Set(empty_list()),
        areas_for_improvement: Set(Some(empty_list())),
        published_at: Set(None),
        follow_up_at: Set(None),
        long_term_review_at: Set(None),
        next_follow_up_at: Set(None),
        follow_ups: Set(0),
        recurrences: Set(0),
        reopen_reason: Set(None),
        search_text: Set(None),
        root_cause_text: Set(None),
        factor_text: Set(None),
        follow_up_notice_for: Set(None),
        long_term_notice_for: Set(None),
        publish_due_at: Set(publish_deadline(incident, policy)),
        due_soon_notice_for: Set(None),
        late_notice_for: Set(None),
        publish_late_notice_for: Set(None),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(tx)
    .await
    .map_err(|e| {
        AppError::unique_violation_or(e, || AppError::invalid("incidentId", "this incident already has a review"))
    })?;
    record(
        tx,
        viewer,
        review.id,
        Change::ReviewCreated { incident_id: GlobalId::new(NodeKind::Incident, incident.id), due_at: review.due_at },
    )
    .await?;
    Ok(review)
}

/// Sets the deadline of a review started before its incident was resolved.
pub(crate) async fn set_deadline(
    tx: &impl ConnectionTrait,
    review: &review::Model,
    incident: &incident::Model,
    policy: &ReviewPolicy,
) -> AppResult<()> {
    if review.due_at.is_none() {
        let mut active = review.clone().into_active_model();
        active.due_at = Set(deadline(incident, policy));
        active.publish_due_at = Set(publish_deadline(incident, policy));
        versioning::save(tx, REVIEW(), review.id, review.version, None, active).await?;
    }
    Ok(())
}

/// Starts the review of an incident the policy did not cover (or before it is resolved).
pub async fn start(db: &DatabaseConnection, viewer: &Viewer, incident_id: Uuid) -> AppResult<review::Model> {
    let tx = db::begin_write(db, viewer.org_id).await?;
    let (incident, standing) = incidents::readable(&tx, viewer, incident_id).await?;
    if !standing.can_change_incident(&incident) {
        return Err(AppError::forbidden("only the owning team's leads and members may start its review"));
    }
    if incidents::review_of(&tx, incident.id).await?.is_some() {
        return Err(AppError::invalid("incidentId", "this incident already has a review"));
    }
    let policy = policy::for_org(&tx, viewer.org_id).await?;
    let review = create_for(&tx, viewer, &incident, &policy).await?;
    tx.commit().await?;
    Ok(review)
}

/// A review the viewer may read, with its incident; anything else is NOT_FOUND.
pub async fn readable(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    review_id: Uuid,
) -> AppResult<(review::Model, incident::Model, Standing)> {
    let review = review::Entity::find_by_id(review_id)
        .filter(review::Column::OrganizationId.eq(viewer.org_id))
        .one(db)
        .await?
        .ok_or(AppError::NotFound("review"))?;
    let incident = incidents::find_in_org(db, viewer.org_id, review.incident_id).await?;
    let standing = Standing::of(db, viewer, &incident, Some(&review)).await?;
    if !standing.can_read_review(&review) {
        return Err(AppError::NotFound("review"));
    }
    Ok((review, incident, standing))
}

/// A published, organization-wide review of the organization: everyone in it may read it, so
/// no one's standing needs looking up (the learning feed's subscribers ask this of a publish).
pub async fn shared_learning(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    review_id: Uuid,
) -> AppResult<Option<review::Model>> {
    let review =
        review::Entity::find_by_id(review_id).filter(review::Column::OrganizationId.eq(org_id)).one(db).await?;
    Ok(review.filter(crate::domain::access::is_shared_learning))
}

/// A review the viewer may read, in one statement (the rules of [`readable_reviews`]).
pub async fn get(db: &impl ConnectionTrait, viewer: &Viewer, review_id: Uuid) -> AppResult<Option<review::Model>> {
    Ok(review::Entity::find_by_id(review_id).filter(readable_reviews(viewer)).one(db).await?)
}

/// A review the viewer may edit: readable, not published, and theirs to change.
pub(crate) async fn editable(
    tx: &impl ConnectionTrait,
    viewer: &Viewer,
    review_id: Uuid,
) -> AppResult<(review::Model, incident::Model)> {
    let (review, incident, standing) = readable(tx, viewer, review_id).await?;
    if !standing.can_edit_review(&review) {
        return Err(AppError::forbidden(
            "only the owning team's leads and members, or the facilitator, may edit this review",
        ));
    }
    ensure_editable(&review)?;
    Ok((review, incident))
}

/// Every change to what a review holds runs in one frame: `begin_edit` (or `begin_child_edit`)
/// opens a write transaction and checks that the viewer may edit the review; the change then
/// validates and writes its rows; `commit_change` records the event, bumps the review's version
/// and commits.
async fn begin_edit(
    db: &DatabaseConnection,
    viewer: &Viewer,
    review_id: Uuid,
) -> AppResult<(DatabaseTransaction, review::Model, incident::Model)> {
    let tx = db::begin_write(db, viewer.org_id).await?;
    let (review, incident) = editable(&tx, viewer, review_id).await?;
    Ok((tx, review, incident))
}

/// [`begin_edit`] for a row a review holds (a timeline entry, a factor, …), found by `row`:
/// NOT_FOUND as `what` when the row is missing or its review is not the viewer's to edit.
async fn begin_child_edit<E: EntityTrait>(
    db: &DatabaseConnection,
    viewer: &Viewer,
    row: sea_orm::Select<E>,
    what: &'static str,
    review_of: impl Fn(&E::Model) -> Uuid,
) -> AppResult<(DatabaseTransaction, review::Model, incident::Model, E::Model)> {
    let tx = db::begin_write(db, viewer.org_id).await?;
    let row = row.one(&tx).await?.ok_or(AppError::NotFound(what))?;
    let (review, incident) = editable(&tx, viewer, review_of(&row)).await.map_err(|e| match e {
        AppError::NotFound(_) => AppError::NotFound(what),
        other => other,
    })?;
    Ok((tx, review, incident, row))
}

/// A list a review holds (its factors, links, parked questions, timeline): where its rows
/// name their review, and how many it may hold.
struct List<C> {
    review_column: C,
    max: usize,
    what: &'static str,
}

/// Adds a row to one of a review's lists, in the frame above: `row` builds it once the viewer
/// may edit the review and the list has room, and `change` says what was added.
async fn add_to_list<E, A>(
    db: &DatabaseConnection,
    viewer: &Viewer,
    review_id: Uuid,
    list: List<E::Column>,
    row: impl FnOnce(&review::Model, &incident::Model) -> AppResult<A>,
    change: impl FnOnce(&E::Model) -> Change,
) -> AppResult<E::Model>
where
    E: EntityTrait,
    E::Model: IntoActiveModel<A> + Sync,
    A: ActiveModelTrait<Entity = E> + sea_orm::ActiveModelBehavior + Send,
{
    let (tx, review, incident) = begin_edit(db, viewer, review_id).await?;
    let existing = E::find().filter(list.review_column.eq(review.id));
    validate::room_for_one_more(&tx, existing, list.max, "reviewId", list.what).await?;
    let added = row(&review, &incident)?.insert(&tx).await?;
    commit_change(tx, viewer, review, change(&added)).await?;
    Ok(added)
}

/// Ends a change to something the review holds: records it, withdraws the agreements to a
/// timeline it changed, bumps the review's version (so stale writers get CONFLICT) and commits.
async fn commit_change(
    tx: DatabaseTransaction,
    viewer: &Viewer,
    review: review::Model,
    change: Change,
) -> AppResult<review::Model> {
    let timeline_changed = matches!(
        change,
        Change::TimelineEntryAdded { .. } | Change::TimelineEntryUpdated { .. } | Change::TimelineEntryRemoved { .. }
    );
    record(&tx, viewer, review.id, change).await?;
    if timeline_changed {
        clear_agreements(&tx, viewer, review.id).await?;
    }
    let review = touch(&tx, viewer, review).await?;
    tx.commit().await?;
    Ok(review)
}

/// Bumps the review's version for a change to something it holds.
pub(crate) async fn touch(
    tx: &impl ConnectionTrait,
    viewer: &Viewer,
    review: review::Model,
) -> AppResult<review::Model> {
    let (id, version) = (review.id, review.version);
    let mut active = review.into_active_model();
    active.updated_at = Set(viewer.now());
    versioning::save(tx, REVIEW(), id, version, None, active).await
}

fn text_list(field: &str, items: Vec<String>) -> AppResult<serde_json::Value> {
    if items.len() > limits::LIST_ITEMS {
        return Err(AppError::invalid(field, format!("{field} holds at most {} items", limits::LIST_ITEMS)));
    }
    // Blank items are dropped; problems name the items as sent.
    let items = validate::each(field, &items, |item| validate::optional_text(field, Some(item), limits::TEXT))?;
    Ok(serde_json::Value::from(items.into_iter().flatten().collect::<Vec<_>>()))
}

pub fn strings(value: &serde_json::Value) -> Vec<String> {
    value
        .as_array()
        .map(|items| items.iter().filter_map(|i| i.as_str().map(str::to_owned)).collect())
        .unwrap_or_default()
}

/// Changes to a review's own fields; `None` keeps a field, an empty text clears it.
#[derive(Default)]
pub struct ReviewChanges {
    pub title: Option<String>,
    pub summary: Option<String>,
    pub impact: Option<String>,
    pub scheduled_for: Option<DateTime<Utc>>,
    pub went_well: Option<Vec<String>>,
    pub got_lucky: Option<Vec<String>>,
    pub learnings: Option<Vec<String>>,
    pub areas_for_improvement: Option<Vec<String>>,
    pub visibility: Option<Visibility>,
}

pub async fn update(
    db: &DatabaseConnection,
    viewer: &Viewer,
    review_id: Uuid,
    changes: ReviewChanges,
    expected_version: Option<i32>,
) -> AppResult<review::Model> {
    let (tx, review, _) = begin_edit(db, viewer, review_id).await?;
    let version = review.version;
    let (title, summary, impact, went_well, got_lucky, learnings, areas) = validate::all((
        changes.title.as_deref().map(|title| validate::required_text("title", title, limits::TITLE)).transpose(),
        changes
            .summary
            .as_deref()
            .map(|text| validate::optional_text("summary", Some(text), limits::LONG_TEXT))
            .transpose(),
        changes
            .impact
            .as_deref()
            .map(|text| validate::optional_text("impact", Some(text), limits::LONG_TEXT))
            .transpose(),
        changes.went_well.map(|items| text_list("wentWell", items)).transpose(),
        changes.got_lucky.map(|items| text_list("gotLucky", items)).transpose(),
        changes.learnings.map(|items| text_list("learnings", items)).transpose(),
        changes.areas_for_improvement.map(|items| text_list("areasForImprovement", items)).transpose(),
    ))
    .map_err(AppError::in_input)?;
    let mut active = review.into_active_model();
    if let Some(title) = title {
        active.title = Set(title);
    }
    if let Some(summary) = summary {
        active.summary = Set(summary);
    }
    if let Some(impact) = impact {
        active.impact = Set(impact);
    }
    if let Some(at) = changes.scheduled_for {
        active.scheduled_for = Set(Some(at));
    }
    if let Some(items) = went_well {
        active.went_well = Set(items);
    }
    if let Some(items) = got_lucky {
        active.got_lucky = Set(items);
    }
    if let Some(items) = learnings {
        active.learnings = Set(items);
    }
    if let Some(items) = areas {
        active.areas_for_improvement = Set(Some(items));
    }
    if let Some(visibility) = changes.visibility {
        active.visibility = Set(visibility);
    }
    active.updated_at = Set(viewer.now());
    let review = versioning::save(&tx, REVIEW(), review_id, version, expected_version, active).await?;
    record(&tx, viewer, review.id, Change::ReviewUpdated { version: review.version }).await?;
    tx.commit().await?;
    Ok(review)
}

/// Whether the review meeting is (or was) later than its deadline.
pub fn is_late(review: &review::Model, now: DateTime<Utc>) -> bool {
    match (review.due_at, review.scheduled_for) {
        (None, _) => false,
        (Some(due), Some(meeting)) => meeting > due,
        (Some(due), None) => review.published_at.unwrap_or(now) > due,
    }
}

/// A row of a review's child table, if the viewer may read its review.
async fn visible_child<M>(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    row: Option<M>,
    review_id: impl Fn(&M) -> Uuid,
) -> AppResult<Option<M>> {
    match row {
        Some(row) if get(db, viewer, review_id(&row)).await?.is_some() => Ok(Some(row)),
        _ => Ok(None),
    }
}

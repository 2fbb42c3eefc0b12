//! Reviews: the blameless post-mortem of one incident, from DRAFT through IN_REVIEW to
//! PUBLISHED, with the rules that make it worth publishing.

use chrono::{DateTime, TimeDelta, Utc};
use entity::{
    ActionStatus, Effectiveness, FactorCategory, FollowUpKind, ReviewRole, ReviewStatus, TimelineKind, Visibility,
    action, contributing_factor, follow_up, incident, parked_question, review, review_link, review_participant,
    timeline_entry, user, why,
};
use sea_orm::sea_query::Query;
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection,
    DatabaseTransaction, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder,
};
use uuid::Uuid;

use crate::auth::Viewer;
use crate::clock;
use crate::db;
use crate::domain::access::{Standing, ensure_editable, readable_reviews};
use crate::domain::blameless::{self, Finding, ReviewText};
use crate::domain::incidents::{self, not_in_future};
use crate::domain::pagination::{Page, PageRequest, paginate};
use crate::domain::policy::{self, ReviewPolicy};
use crate::domain::validate::limits;
use crate::domain::versioning::{self, Versioned};
use crate::domain::{actions, users, validate};
use crate::error::{AppError, AppResult};
use crate::events::{self, Change, ReviewTransition};
use crate::ids::{GlobalId, NodeKind};

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
    let now = clock::now();
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
        published_at: Set(None),
        follow_up_at: Set(None),
        long_term_review_at: Set(None),
        reopen_reason: Set(None),
        search_text: Set(None),
        follow_up_notice_for: Set(None),
        long_term_notice_for: Set(None),
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
        versioning::save(tx, REVIEW(), review.id, review.version, None, active).await?;
    }
    Ok(())
}

/// Starts the review of an incident the policy did not cover (or before it is resolved).
pub async fn start(db: &DatabaseConnection, viewer: &Viewer, incident_id: Uuid) -> AppResult<review::Model> {
    let tx = db::begin_write(db).await?;
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

/// Ends a change to something the review holds: records it, bumps the review's version (so
/// stale writers get CONFLICT) and commits.
async fn commit_change(
    tx: DatabaseTransaction,
    viewer: &Viewer,
    review: review::Model,
    change: Change,
) -> AppResult<review::Model> {
    record(&tx, viewer, review.id, change).await?;
    let review = touch(&tx, review).await?;
    tx.commit().await?;
    Ok(review)
}

/// Bumps the review's version for a change to something it holds.
pub(crate) async fn touch(tx: &impl ConnectionTrait, review: review::Model) -> AppResult<review::Model> {
    let (id, version) = (review.id, review.version);
    let mut active = review.into_active_model();
    active.updated_at = Set(clock::now());
    versioning::save(tx, REVIEW(), id, version, None, active).await
}

fn text_list(field: &str, items: Vec<String>) -> AppResult<serde_json::Value> {
    if items.len() > limits::LIST_ITEMS {
        return Err(AppError::invalid(field, format!("{field} holds at most {} items", limits::LIST_ITEMS)));
    }
    let items = items
        .iter()
        .filter(|i| !i.trim().is_empty())
        .map(|i| validate::required_text(field, i, limits::TEXT))
        .collect::<AppResult<Vec<_>>>()?;
    Ok(serde_json::Value::from(items))
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
    pub visibility: Option<Visibility>,
}

pub async fn update(
    db: &DatabaseConnection,
    viewer: &Viewer,
    review_id: Uuid,
    changes: ReviewChanges,
    expected_version: Option<i32>,
) -> AppResult<review::Model> {
    let tx = db::begin_write(db).await?;
    let (review, _) = editable(&tx, viewer, review_id).await?;
    let version = review.version;
    let mut active = review.into_active_model();
    if let Some(title) = changes.title.as_deref() {
        active.title = Set(validate::required_text("title", title, limits::TITLE)?);
    }
    if let Some(summary) = changes.summary.as_deref() {
        active.summary = Set(validate::optional_text("summary", Some(summary), limits::LONG_TEXT)?);
    }
    if let Some(impact) = changes.impact.as_deref() {
        active.impact = Set(validate::optional_text("impact", Some(impact), limits::LONG_TEXT)?);
    }
    if let Some(at) = changes.scheduled_for {
        active.scheduled_for = Set(Some(at));
    }
    if let Some(items) = changes.went_well {
        active.went_well = Set(text_list("wentWell", items)?);
    }
    if let Some(items) = changes.got_lucky {
        active.got_lucky = Set(text_list("gotLucky", items)?);
    }
    if let Some(items) = changes.learnings {
        active.learnings = Set(text_list("learnings", items)?);
    }
    if let Some(visibility) = changes.visibility {
        active.visibility = Set(visibility);
    }
    active.updated_at = Set(clock::now());
    let review = versioning::save(&tx, REVIEW(), review_id, version, expected_version, active).await?;
    record(&tx, viewer, review.id, Change::ReviewUpdated { version: review.version }).await?;
    tx.commit().await?;
    Ok(review)
}

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
    let tx = db::begin_write(db).await?;
    let (review, incident) = editable(&tx, viewer, review_id).await?;
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
    active.updated_at = Set(clock::now());
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
    let tx = db::begin_write(db).await?;
    let (review, _) = editable(&tx, viewer, review_id).await?;
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
        created_at: Set(clock::now()),
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
    let tx = db::begin_write(db).await?;
    let (review, _) = editable(&tx, viewer, review_id).await?;
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

pub struct TimelineInput {
    pub occurred_at: DateTime<Utc>,
    pub event: String,
    pub information_available: Option<String>,
    pub decision: Option<String>,
    pub kind: Option<TimelineKind>,
    pub source_url: Option<String>,
}

fn timeline_values(
    input: TimelineInput,
    incident: &incident::Model,
    entry: &mut timeline_entry::ActiveModel,
) -> AppResult<()> {
    not_in_future("occurredAt", input.occurred_at)?;
    if input.occurred_at < incident.started_at - TIMELINE_LOOKBACK {
        return Err(AppError::invalid("occurredAt", "occurredAt is more than 7 days before the incident started"));
    }
    entry.occurred_at = Set(input.occurred_at);
    entry.event = Set(validate::required_text("event", &input.event, limits::TEXT)?);
    entry.information_available =
        Set(validate::optional_text("informationAvailable", input.information_available.as_deref(), limits::TEXT)?);
    entry.decision = Set(validate::optional_text("decision", input.decision.as_deref(), limits::TEXT)?);
    entry.kind = Set(input.kind.unwrap_or(TimelineKind::Fact));
    entry.source_url = Set(input
        .source_url
        .as_deref()
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .map(|u| validate::web_url("sourceUrl", u))
        .transpose()?);
    Ok(())
}

pub async fn add_timeline_entry(
    db: &DatabaseConnection,
    viewer: &Viewer,
    review_id: Uuid,
    input: TimelineInput,
) -> AppResult<timeline_entry::Model> {
    let tx = db::begin_write(db).await?;
    let (review, incident) = editable(&tx, viewer, review_id).await?;
    let entries = timeline_entry::Entity::find().filter(timeline_entry::Column::ReviewId.eq(review.id));
    validate::room_for_one_more(&tx, entries, limits::TIMELINE_ENTRIES, "reviewId", "a review's timeline").await?;
    let mut entry = timeline_entry::ActiveModel {
        id: Set(Uuid::now_v7()),
        review_id: Set(review.id),
        created_at: Set(clock::now()),
        ..Default::default()
    };
    timeline_values(input, &incident, &mut entry)?;
    let entry = entry.insert(&tx).await?;
    commit_change(
        tx,
        viewer,
        review,
        Change::TimelineEntryAdded { entry_id: GlobalId::new(NodeKind::TimelineEntry, entry.id) },
    )
    .await?;
    Ok(entry)
}

/// Finds a row of a review's child table, then the review it belongs to if the viewer may edit it.
async fn child_review(
    tx: &impl ConnectionTrait,
    viewer: &Viewer,
    review_id: Option<Uuid>,
    what: &'static str,
) -> AppResult<(review::Model, incident::Model)> {
    let review_id = review_id.ok_or(AppError::NotFound(what))?;
    editable(tx, viewer, review_id).await.map_err(|e| match e {
        AppError::NotFound(_) => AppError::NotFound(what),
        other => other,
    })
}

pub async fn update_timeline_entry(
    db: &DatabaseConnection,
    viewer: &Viewer,
    entry_id: Uuid,
    input: TimelineInput,
) -> AppResult<timeline_entry::Model> {
    let tx = db::begin_write(db).await?;
    let entry = timeline_entry::Entity::find_by_id(entry_id).one(&tx).await?;
    let (review, incident) = child_review(&tx, viewer, entry.as_ref().map(|e| e.review_id), "timeline entry").await?;
    let mut active = entry.ok_or(AppError::NotFound("timeline entry"))?.into_active_model();
    timeline_values(input, &incident, &mut active)?;
    let entry = active.update(&tx).await?;
    commit_change(
        tx,
        viewer,
        review,
        Change::TimelineEntryUpdated { entry_id: GlobalId::new(NodeKind::TimelineEntry, entry.id) },
    )
    .await?;
    Ok(entry)
}

pub async fn remove_timeline_entry(db: &DatabaseConnection, viewer: &Viewer, entry_id: Uuid) -> AppResult<()> {
    let tx = db::begin_write(db).await?;
    let entry = timeline_entry::Entity::find_by_id(entry_id).one(&tx).await?;
    let (review, _) = child_review(&tx, viewer, entry.as_ref().map(|e| e.review_id), "timeline entry").await?;
    let entry = entry.ok_or(AppError::NotFound("timeline entry"))?;
    timeline_entry::Entity::delete_by_id(entry.id).exec(&tx).await?;
    commit_change(
        tx,
        viewer,
        review,
        Change::TimelineEntryRemoved { entry_id: GlobalId::new(NodeKind::TimelineEntry, entry.id) },
    )
    .await?;
    Ok(())
}

pub async fn park_question(
    db: &DatabaseConnection,
    viewer: &Viewer,
    review_id: Uuid,
    text: &str,
) -> AppResult<parked_question::Model> {
    let text = validate::required_text("text", text, limits::TEXT)?;
    let tx = db::begin_write(db).await?;
    let (review, _) = editable(&tx, viewer, review_id).await?;
    let questions = parked_question::Entity::find().filter(parked_question::Column::ReviewId.eq(review.id));
    validate::room_for_one_more(&tx, questions, limits::REVIEW_ITEMS, "reviewId", "a review's parked questions")
        .await?;
    let question = parked_question::ActiveModel {
        id: Set(Uuid::now_v7()),
        review_id: Set(review.id),
        text: Set(text),
        answer: Set(None),
        answered_at: Set(None),
        created_at: Set(clock::now()),
    }
    .insert(&tx)
    .await?;
    commit_change(
        tx,
        viewer,
        review,
        Change::QuestionParked { question_id: GlobalId::new(NodeKind::ParkedQuestion, question.id) },
    )
    .await?;
    Ok(question)
}

pub async fn answer_parked_question(
    db: &DatabaseConnection,
    viewer: &Viewer,
    question_id: Uuid,
    answer: &str,
) -> AppResult<parked_question::Model> {
    let answer = validate::required_text("answer", answer, limits::TEXT)?;
    let tx = db::begin_write(db).await?;
    let question = parked_question::Entity::find_by_id(question_id).one(&tx).await?;
    let (review, _) = child_review(&tx, viewer, question.as_ref().map(|q| q.review_id), "parked question").await?;
    let mut active = question.ok_or(AppError::NotFound("parked question"))?.into_active_model();
    active.answer = Set(Some(answer));
    active.answered_at = Set(Some(clock::now()));
    let question = active.update(&tx).await?;
    commit_change(
        tx,
        viewer,
        review,
        Change::ParkedQuestionAnswered { question_id: GlobalId::new(NodeKind::ParkedQuestion, question.id) },
    )
    .await?;
    Ok(question)
}

/// Replaces the why chain; the last answer is the root cause.
pub async fn set_whys(
    db: &DatabaseConnection,
    viewer: &Viewer,
    review_id: Uuid,
    whys: Vec<(String, String)>,
) -> AppResult<review::Model> {
    if whys.len() > limits::WHYS {
        return Err(AppError::invalid("whys", format!("a why chain holds at most {} whys", limits::WHYS)));
    }
    let whys = whys
        .iter()
        .map(|(q, a)| {
            Ok((
                validate::required_text("question", q, limits::TEXT)?,
                validate::required_text("answer", a, limits::TEXT)?,
            ))
        })
        .collect::<AppResult<Vec<_>>>()?;
    let tx = db::begin_write(db).await?;
    let (review, _) = editable(&tx, viewer, review_id).await?;
    why::Entity::delete_many().filter(why::Column::ReviewId.eq(review.id)).exec(&tx).await?;
    for (position, (question, answer)) in whys.iter().enumerate() {
        why::ActiveModel {
            id: Set(Uuid::now_v7()),
            review_id: Set(review.id),
            position: Set(position as i32 + 1),
            question: Set(question.clone()),
            answer: Set(answer.clone()),
        }
        .insert(&tx)
        .await?;
    }
    let review = commit_change(tx, viewer, review, Change::WhysSet { count: whys.len() }).await?;
    Ok(review)
}

pub async fn add_contributing_factor(
    db: &DatabaseConnection,
    viewer: &Viewer,
    review_id: Uuid,
    category: FactorCategory,
    description: &str,
) -> AppResult<contributing_factor::Model> {
    let description = validate::required_text("description", description, limits::TEXT)?;
    let tx = db::begin_write(db).await?;
    let (review, _) = editable(&tx, viewer, review_id).await?;
    let factors = contributing_factor::Entity::find().filter(contributing_factor::Column::ReviewId.eq(review.id));
    validate::room_for_one_more(&tx, factors, limits::REVIEW_ITEMS, "reviewId", "a review's contributing factors")
        .await?;
    let factor = contributing_factor::ActiveModel {
        id: Set(Uuid::now_v7()),
        review_id: Set(review.id),
        category: Set(category),
        description: Set(description),
        created_at: Set(clock::now()),
    }
    .insert(&tx)
    .await?;
    commit_change(
        tx,
        viewer,
        review,
        Change::ContributingFactorAdded { factor_id: GlobalId::new(NodeKind::ContributingFactor, factor.id), category },
    )
    .await?;
    Ok(factor)
}

pub async fn remove_contributing_factor(db: &DatabaseConnection, viewer: &Viewer, factor_id: Uuid) -> AppResult<()> {
    let tx = db::begin_write(db).await?;
    let factor = contributing_factor::Entity::find_by_id(factor_id).one(&tx).await?;
    let (review, _) = child_review(&tx, viewer, factor.as_ref().map(|f| f.review_id), "contributing factor").await?;
    let factor = factor.ok_or(AppError::NotFound("contributing factor"))?;
    contributing_factor::Entity::delete_by_id(factor.id).exec(&tx).await?;
    commit_change(
        tx,
        viewer,
        review,
        Change::ContributingFactorRemoved { factor_id: GlobalId::new(NodeKind::ContributingFactor, factor.id) },
    )
    .await?;
    Ok(())
}

pub async fn add_link(
    db: &DatabaseConnection,
    viewer: &Viewer,
    review_id: Uuid,
    title: &str,
    url: &str,
) -> AppResult<review_link::Model> {
    let title = validate::required_text("title", title, limits::TITLE)?;
    let url = validate::web_url("url", url)?;
    let tx = db::begin_write(db).await?;
    let (review, _) = editable(&tx, viewer, review_id).await?;
    let links = review_link::Entity::find().filter(review_link::Column::ReviewId.eq(review.id));
    validate::room_for_one_more(&tx, links, limits::REVIEW_ITEMS, "reviewId", "a review's links").await?;
    let link = review_link::ActiveModel {
        id: Set(Uuid::now_v7()),
        review_id: Set(review.id),
        title: Set(title),
        url: Set(url),
        created_at: Set(clock::now()),
    }
    .insert(&tx)
    .await?;
    commit_change(tx, viewer, review, Change::LinkAdded { link_id: GlobalId::new(NodeKind::Link, link.id) }).await?;
    Ok(link)
}

/// Moves a review between states, checking who may and from which state.
async fn transition(
    db: &DatabaseConnection,
    viewer: &Viewer,
    review_id: Uuid,
    from: ReviewStatus,
    to: ReviewStatus,
    expected_version: Option<i32>,
    reason: Option<String>,
) -> AppResult<review::Model> {
    let tx = db::begin_write(db).await?;
    let (review, _, standing) = readable(&tx, viewer, review_id).await?;
    let (allowed, who) = match to {
        ReviewStatus::Published => {
            (standing.can_publish_review(&review), "the facilitator, a lead of the team or an admin")
        }
        ReviewStatus::InReview if from == ReviewStatus::Published => {
            (standing.can_reopen_review(&review), "a lead of the team or an admin")
        }
        _ => (standing.can_edit_review(&review), "the owning team's leads and members or the facilitator"),
    };
    if !allowed {
        return Err(AppError::forbidden(format!("only {who} may do this")));
    }
    if review.status != from {
        return Err(AppError::bad_input(format!(
            "the review is {}; only a {} review can become {}",
            review.status.to_value(),
            from.to_value(),
            to.to_value()
        )));
    }
    let now = clock::now();
    let mut active = review.clone().into_active_model();
    active.status = Set(to);
    active.updated_at = Set(now);
    let change: fn(ReviewTransition) -> Change = match (from, to) {
        (ReviewStatus::Draft, ReviewStatus::InReview) => Change::ReviewSubmitted,
        (ReviewStatus::InReview, ReviewStatus::Draft) => Change::ReviewReturnedToDraft,
        (ReviewStatus::InReview, ReviewStatus::Published) => {
            let readiness = readiness(&tx, &review).await?;
            if !readiness.ready {
                return Err(AppError::bad_input(format!(
                    "the review is not ready to publish: {}",
                    readiness.unmet.join("; ")
                )));
            }
            let policy = policy::for_org(&tx, viewer.org_id).await?;
            active.published_at = Set(Some(now));
            active.follow_up_at = Set(Some(now + TimeDelta::days(i64::from(policy.follow_up_days))));
            active.long_term_review_at = Set(Some(now + TimeDelta::days(i64::from(policy.long_term_review_days))));
            active.search_text = Set(Some(search_text(&tx, &review).await?));
            Change::ReviewPublished
        }
        _ => {
            active.published_at = Set(None);
            active.reopen_reason = Set(reason);
            Change::ReviewReopened
        }
    };
    let review = versioning::save(&tx, REVIEW(), review_id, review.version, expected_version, active).await?;
    record(&tx, viewer, review.id, change(ReviewTransition { from, to })).await?;
    tx.commit().await?;
    Ok(review)
}

/// The words the learning feed searches: title, summary, impact, learnings, what went well, the why
/// chain down to the root cause, and the contributing factors.
async fn search_text(db: &impl ConnectionTrait, review: &review::Model) -> AppResult<String> {
    let whys = whys(db, review.id).await?;
    let factors = contributing_factors(db, review.id).await?;
    let answers = whys.iter().map(|w| w.answer.as_str());
    Ok(searchable_text(review, answers, factors.iter().map(|f| f.description.as_str())))
}

/// [`search_text`] of a review whose why answers (in chain order) and contributing factors
/// (in the order they were added) are at hand.
pub(crate) fn searchable_text<'a>(
    review: &review::Model,
    why_answers: impl IntoIterator<Item = &'a str>,
    factors: impl IntoIterator<Item = &'a str>,
) -> String {
    let mut parts = vec![review.title.clone()];
    parts.extend(review.summary.clone());
    parts.extend(review.impact.clone());
    parts.extend(strings(&review.learnings));
    parts.extend(strings(&review.went_well));
    parts.extend(why_answers.into_iter().map(str::to_owned));
    parts.extend(factors.into_iter().map(str::to_owned));
    parts.join("\n")
}

pub async fn submit(db: &DatabaseConnection, viewer: &Viewer, review_id: Uuid) -> AppResult<review::Model> {
    transition(db, viewer, review_id, ReviewStatus::Draft, ReviewStatus::InReview, None, None).await
}

pub async fn return_to_draft(db: &DatabaseConnection, viewer: &Viewer, review_id: Uuid) -> AppResult<review::Model> {
    transition(db, viewer, review_id, ReviewStatus::InReview, ReviewStatus::Draft, None, None).await
}

/// Publishes a review whose readiness is met; stamps the follow-up dates.
pub async fn publish(
    db: &DatabaseConnection,
    viewer: &Viewer,
    review_id: Uuid,
    expected_version: Option<i32>,
) -> AppResult<review::Model> {
    transition(db, viewer, review_id, ReviewStatus::InReview, ReviewStatus::Published, expected_version, None).await
}

/// Reopens a published review for editing (back to IN_REVIEW); the reason is kept.
pub async fn reopen(
    db: &DatabaseConnection,
    viewer: &Viewer,
    review_id: Uuid,
    reason: &str,
) -> AppResult<review::Model> {
    let reason = validate::required_text("reason", reason, limits::TEXT)?;
    transition(db, viewer, review_id, ReviewStatus::Published, ReviewStatus::InReview, None, Some(reason)).await
}

/// What a review still lacks before it can be published.
pub struct Readiness {
    pub ready: bool,
    pub unmet: Vec<String>,
}

pub async fn readiness(db: &impl ConnectionTrait, review: &review::Model) -> AppResult<Readiness> {
    let policy = policy::for_org(db, review.organization_id).await?;
    let contents = Contents::load(db, review.id).await?;
    let mut unmet = Vec::new();
    if review.summary.as_deref().is_none_or(|s| s.trim().is_empty()) {
        unmet.push("Write a summary of what happened.".to_owned());
    }
    if review.facilitator_id.is_none() {
        unmet.push("Assign a facilitator who did not respond to the incident.".to_owned());
    }
    if contents.timeline.is_empty() {
        unmet.push("Add at least one timeline entry.".to_owned());
    }
    let min_whys = usize::try_from(policy.min_whys).unwrap_or(0);
    if contents.whys.len() < min_whys {
        unmet.push(format!("Ask why at least {min_whys} times (the chain has {}).", contents.whys.len()));
    }
    if let Some(root) = contents.whys.last()
        && blameless::names_human_error(&root.answer)
    {
        unmet.push(
            "The root cause names human error: describe the system condition that made the mistake possible."
                .to_owned(),
        );
    }
    if contents.factors.is_empty() {
        unmet.push("Add at least one contributing factor.".to_owned());
    }
    let live = contents.actions.iter().filter(|a| a.status != ActionStatus::WontDo).count();
    let (min, max) =
        (usize::try_from(policy.min_actions).unwrap_or(0), usize::try_from(policy.max_actions).unwrap_or(0));
    if live < min || live > max {
        unmet.push(format!(
            "Commit to between {min} and {max} actions, each with an owner and a due date (there are {live})."
        ));
    }
    let unfit = actions::with_unfit_owner(db, review.id).await?;
    if unfit > 0 {
        unmet.push(format!(
            "Reassign the {unfit} action(s) whose owner is deactivated or no longer a member of the responsible team."
        ));
    }
    let open = contents.questions.iter().filter(|q| q.answer.is_none()).count();
    if open > 0 {
        unmet.push(format!("Answer the {open} open parked question(s)."));
    }
    Ok(Readiness { ready: unmet.is_empty(), unmet })
}

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

/// Blame language anywhere in the review.
pub async fn findings(db: &impl ConnectionTrait, review: &review::Model) -> AppResult<Vec<Finding>> {
    let contents = Contents::load(db, review.id).await?;
    let people = users::people_names(db, review.organization_id).await?;
    let text = ReviewText {
        summary: review.summary.clone(),
        impact: review.impact.clone(),
        timeline: contents.timeline.into_iter().map(|t| t.event).collect(),
        whys: contents.whys.into_iter().map(|w| (w.question, w.answer)).collect(),
        factors: contents.factors.into_iter().map(|f| f.description).collect(),
        learnings: strings(&review.learnings),
        actions: contents.actions.into_iter().map(|a| a.title).collect(),
        people,
    };
    crate::cpu::run(move || blameless::review_findings(&text)).await
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

/// Records a follow-up review of a published review: one of each kind.
pub async fn record_follow_up(
    db: &DatabaseConnection,
    viewer: &Viewer,
    review_id: Uuid,
    input: FollowUpInput,
) -> AppResult<follow_up::Model> {
    let notes = validate::required_text("notes", &input.notes, limits::LONG_TEXT)?;
    let tx = db::begin_write(db).await?;
    let (review, _, standing) = readable(&tx, viewer, review_id).await?;
    if !standing.can_edit_review(&review) {
        return Err(AppError::forbidden(
            "only the owning team's leads and members, or the facilitator, may record a follow-up",
        ));
    }
    if review.status != ReviewStatus::Published {
        return Err(AppError::bad_input(format!(
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
        return Err(duplicate());
    }
    let follow_up = follow_up::ActiveModel {
        id: Set(Uuid::now_v7()),
        review_id: Set(review.id),
        kind: Set(input.kind),
        notes: Set(notes),
        actions_effective: Set(input.actions_effective),
        recurred: Set(input.recurred),
        recorded_by: Set(viewer.user_id),
        created_at: Set(clock::now()),
    }
    .insert(&tx)
    .await
    .map_err(|e| AppError::unique_violation_or(e, duplicate))?;
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

/// Published reviews the viewer may read whose short- or long-term follow-up date has come
/// without a follow-up of that kind recorded, oldest first.
pub async fn due_follow_ups(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    team_id: Option<Uuid>,
    page: &PageRequest,
) -> AppResult<Page<review::Model>> {
    let now = clock::now();
    let recorded = |kind: FollowUpKind| {
        Query::select()
            .column(follow_up::Column::ReviewId)
            .from(follow_up::Entity)
            .and_where(follow_up::Column::Kind.eq(kind))
            .to_owned()
    };
    let mut select = review::Entity::find()
        .filter(readable_reviews(viewer))
        .filter(review::Column::Status.eq(ReviewStatus::Published))
        .filter(
            Condition::any()
                .add(
                    Condition::all()
                        .add(review::Column::FollowUpAt.lte(now))
                        .add(review::Column::Id.not_in_subquery(recorded(FollowUpKind::ShortTerm))),
                )
                .add(
                    Condition::all()
                        .add(review::Column::LongTermReviewAt.lte(now))
                        .add(review::Column::Id.not_in_subquery(recorded(FollowUpKind::LongTerm))),
                ),
        );
    if let Some(team_id) = team_id {
        select = select.filter(review::Column::TeamId.eq(team_id));
    }
    paginate(db, select, review::Column::Id, |r| r.id.to_string(), page).await
}

pub async fn find_follow_up(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    id: Uuid,
) -> AppResult<Option<follow_up::Model>> {
    visible_child(db, viewer, follow_up::Entity::find_by_id(id).one(db).await?, |r| r.review_id).await
}

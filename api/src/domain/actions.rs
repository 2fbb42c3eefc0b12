//! Actions: owned, dated follow-through of a review. Owners move their own actions; overdue
//! ones are found by index for scripts and dashboards.

use chrono::{NaiveDate, TimeDelta};
use entity::{ActionKind, ActionStatus, ReviewStatus, TeamRole, action, due_date_change, review};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection,
    EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use crate::auth::Viewer;
use crate::db;
use crate::domain::access::{Standing, TeamRoles, ensure_editable, readable_actions};
use crate::domain::pagination::{Page, PageRequest, pair_cursor};
use crate::domain::policy::{self, ReviewPolicy};
use crate::domain::versioning::{self, Versioned};
use crate::domain::{reviews, teams, users, validate};
use crate::error::{AppError, AppResult};
use crate::events::{
    self, ActionDated, ActionIssue, ActionRescheduled, ActionState, ActionTransition, ActionVersioned, Change,
};
use crate::ids::{GlobalId, NodeKind};

const ACTION: fn() -> Versioned<action::Entity> =
    || Versioned { id_column: action::Column::Id, version_column: action::Column::Version, what: "action" };

/// How many days past its due date a live action is (0 when not overdue).
pub fn days_overdue(action: &action::Model, today: NaiveDate) -> i64 {
    if action.status.is_live() && action.due_date < today { (today - action.due_date).num_days() } else { 0 }
}

async fn record(
    tx: &impl ConnectionTrait,
    viewer: &Viewer,
    action: &action::Model,
    change: impl FnOnce(ActionState) -> Change,
) -> AppResult<()> {
    events::record_change(tx, viewer, (NodeKind::Action, action.id), change(ActionState::of(action))).await
}

/// A due date is today or later (UTC) and within the policy's window.
/// Due dates are calendar days in UTC.
fn check_due_date(field: &str, due: NaiveDate, today: NaiveDate, policy: &ReviewPolicy) -> AppResult<()> {
    if due < today {
        return Err(AppError::invalid(field, format!("{field} must be today ({today}) or later")));
    }
    let latest = today + TimeDelta::days(i64::from(policy.max_action_due_days));
    if due > latest {
        return Err(AppError::invalid(
            field,
            format!("{field} must be within {} days, by {latest}", policy.max_action_due_days),
        ));
    }
    Ok(())
}

/// An owner is an active user who leads or is a member (not a viewer) of the responsible team.
async fn ensure_owner(db: &impl ConnectionTrait, viewer: &Viewer, team_id: Uuid, owner_id: Uuid) -> AppResult<()> {
    let owner = users::find_in_org(db, viewer.org_id, owner_id).await?;
    if !owner.active {
        return Err(AppError::invalid("ownerId", "a deactivated user cannot own an action"));
    }
    match teams::role_of(db, owner.id, team_id).await? {
        Some(TeamRole::Lead | TeamRole::Member) => Ok(()),
        Some(TeamRole::Viewer) => {
            Err(AppError::invalid("ownerId", "a viewer of the responsible team cannot own an action"))
        }
        None => Err(AppError::invalid("ownerId", "the owner must be a member of the responsible team")),
    }
}

/// What the viewer is to one action.
struct Access {
    action: action::Model,
    review: review::Model,
    /// May edit the review (its team's leads and members, the facilitator, admins).
    edits_review: bool,
    /// Owns the action, leads its responsible team or the review's team, or is an admin.
    moves: bool,
}

impl Access {
    /// Who moves an action on (status, date, owner): its owner, the leads and admins; while the
    /// review is not yet published, also everyone who edits the review.
    fn may_move(&self) -> bool {
        self.moves || (self.edits_review && self.review.status != ReviewStatus::Published)
    }
}

async fn access(db: &impl ConnectionTrait, viewer: &Viewer, action_id: Uuid) -> AppResult<Access> {
    let action = action::Entity::find_by_id(action_id)
        .filter(action::Column::OrganizationId.eq(viewer.org_id))
        .one(db)
        .await?
        .ok_or(AppError::NotFound("action"))?;
    let roles = TeamRoles::of(db, viewer).await?;
    let owner = action.owner_id == viewer.user_id;
    let review_access = match reviews::readable(db, viewer, action.review_id).await {
        Ok((review, _, standing)) => Some((standing.can_edit_review(&review), review)),
        Err(AppError::NotFound(_)) => None,
        Err(e) => return Err(e),
    };
    let in_team = roles.role(action.team_id).is_some();
    let (edits_review, review) = match review_access {
        Some(found) => found,
        None if owner || in_team => {
            let review =
                review::Entity::find_by_id(action.review_id).one(db).await?.ok_or(AppError::NotFound("action"))?;
            (false, review)
        }
        None => return Err(AppError::NotFound("action")),
    };
    let moves = Standing::for_changes(viewer, roles, false).moves_action(viewer, &action, &review);
    Ok(Access { action, review, edits_review, moves })
}

/// An action the viewer may read, in one statement (the rules of [`readable_actions`]).
pub async fn get(db: &impl ConnectionTrait, viewer: &Viewer, action_id: Uuid) -> AppResult<Option<action::Model>> {
    Ok(action::Entity::find_by_id(action_id).filter(readable_actions(viewer)).one(db).await?)
}

pub struct NewAction {
    pub review_id: Uuid,
    pub title: String,
    pub description: Option<String>,
    pub owner_id: Uuid,
    pub team_id: Option<Uuid>,
    pub due_date: NaiveDate,
    pub success_metric: String,
    pub kind: ActionKind,
}

pub async fn create(db: &DatabaseConnection, viewer: &Viewer, input: NewAction) -> AppResult<action::Model> {
    let tx = db::begin_write(db, viewer.org_id).await?;
    let (review, _) = reviews::editable(&tx, viewer, input.review_id).await?;
    let team_id = match input.team_id {
        Some(team_id) => teams::find_in_org(&tx, viewer.org_id, team_id).await?.id,
        None => review.team_id,
    };
    let policy = policy::for_org(&tx, viewer.org_id).await?;
    let (title, description, success_metric, (), ()) = validate::all((
        validate::required_text("title", &input.title, validate::limits::TITLE),
        validate::optional_text("description", input.description.as_deref(), validate::limits::TEXT),
        validate::required_text("successMetric", &input.success_metric, validate::limits::TEXT),
        ensure_owner(&tx, viewer, team_id, input.owner_id).await,
        check_due_date("dueDate", input.due_date, viewer.today(), &policy),
    ))
    .map_err(AppError::in_input)?;
    let last: Option<i32> = action::Entity::find()
        .select_only()
        .column_as(Expr::col(action::Column::Priority).max(), "priority")
        .filter(action::Column::ReviewId.eq(review.id))
        .into_tuple::<Option<i32>>()
        .one(&tx)
        .await?
        .flatten();
    let now = viewer.now();
    let action = action::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(viewer.org_id),
        review_id: Set(review.id),
        team_id: Set(team_id),
        title: Set(title),
        description: Set(description),
        owner_id: Set(input.owner_id),
        due_date: Set(input.due_date),
        success_metric: Set(success_metric),
        kind: Set(input.kind),
        priority: Set(last.unwrap_or(0) + 1),
        status: Set(ActionStatus::Open),
        started_at: Set(None),
        completed_at: Set(None),
        evidence: Set(None),
        drop_reason: Set(None),
        created_by: Set(viewer.user_id),
        due_date_slips: Set(0),
        overdue_notice_for: Set(None),
        due_soon_notice_for: Set(None),
        external_provider: Set(None),
        external_key: Set(None),
        external_url: Set(None),
        // An owner who writes the action themselves has said yes to it.
        accepted_at: Set((input.owner_id == viewer.user_id).then_some(now)),
        declined_at: Set(None),
        decline_reason: Set(None),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&tx)
    .await?;
    let due_date = action.due_date;
    record(&tx, viewer, &action, |action| Change::ActionCreated(ActionDated { action, due_date })).await?;
    reviews::touch(&tx, viewer, review).await?;
    tx.commit().await?;
    Ok(action)
}

/// Changes to an action's description; `None` keeps a field.
#[derive(Default)]
pub struct ActionChanges {
    pub title: Option<String>,
    pub description: Option<String>,
    pub success_metric: Option<String>,
    pub kind: Option<ActionKind>,
}

/// Edits what an action is. Only while its review is editable: a published review's actions
/// keep moving (start, complete, reschedule, reassign) but keep their wording.
pub async fn update(
    db: &DatabaseConnection,
    viewer: &Viewer,
    action_id: Uuid,
    changes: ActionChanges,
    expected_version: Option<i32>,
) -> AppResult<action::Model> {
    let tx = db::begin_write(db, viewer.org_id).await?;
    let found = access(&tx, viewer, action_id).await?;
    if !found.edits_review {
        return Err(AppError::forbidden("only those who may edit the review may change its actions"));
    }
    ensure_editable(&found.review)?;
    let version = found.action.version;
    let (title, description, success_metric) = validate::all((
        changes
            .title
            .as_deref()
            .map(|title| validate::required_text("title", title, validate::limits::TITLE))
            .transpose(),
        changes
            .description
            .as_deref()
            .map(|text| validate::optional_text("description", Some(text), validate::limits::TEXT))
            .transpose(),
        changes
            .success_metric
            .as_deref()
            .map(|metric| validate::required_text("successMetric", metric, validate::limits::TEXT))
            .transpose(),
    ))
    .map_err(AppError::in_input)?;
    let mut active = found.action.into_active_model();
    if let Some(title) = title {
        active.title = Set(title);
    }
    if let Some(description) = description {
        active.description = Set(description);
    }
    if let Some(metric) = success_metric {
        active.success_metric = Set(metric);
    }
    if let Some(kind) = changes.kind {
        active.kind = Set(kind);
    }
    active.updated_at = Set(viewer.now());
    let action = versioning::save(&tx, ACTION(), action_id, version, expected_version, active).await?;
    let version = action.version;
    record(&tx, viewer, &action, |action| Change::ActionUpdated(ActionVersioned { action, version })).await?;
    tx.commit().await?;
    Ok(action)
}

fn ensure_live(action: &action::Model) -> AppResult<()> {
    if !action.status.is_live() {
        return Err(AppError::InvalidState(format!(
            "the action is {}; only an OPEN or IN_PROGRESS action can change",
            action.status.to_value()
        )));
    }
    Ok(())
}

/// Moves the due date; the reason is kept in the action's history.
pub async fn reschedule(
    db: &DatabaseConnection,
    viewer: &Viewer,
    action_id: Uuid,
    due_date: NaiveDate,
    reason: &str,
) -> AppResult<action::Model> {
    let tx = db::begin_write(db, viewer.org_id).await?;
    let found = access(&tx, viewer, action_id).await?;
    if !found.may_move() {
        return Err(AppError::forbidden("only the owner, a lead or an admin may reschedule this action"));
    }
    ensure_live(&found.action)?;
    let policy = policy::for_org(&tx, viewer.org_id).await?;
    let (reason, ()) = validate::all((validate::required_text("reason", reason, validate::limits::TEXT), {
        if found.action.due_date == due_date {
            Err(AppError::invalid("dueDate", format!("the action is already due on {due_date}")))
        } else {
            check_due_date("dueDate", due_date, viewer.today(), &policy)
        }
    }))?;
    let from = found.action.due_date;
    due_date_change::ActiveModel {
        id: Set(Uuid::now_v7()),
        action_id: Set(action_id),
        from_date: Set(from),
        to_date: Set(due_date),
        reason: Set(reason.clone()),
        changed_by: Set(viewer.user_id),
        changed_at: Set(viewer.now()),
    }
    .insert(&tx)
    .await?;
    let version = found.action.version;
    let slips = found.action.due_date_slips + i32::from(due_date > from);
    let mut active = found.action.into_active_model();
    active.due_date_slips = Set(slips);
    active.due_date = Set(due_date);
    active.updated_at = Set(viewer.now());
    let action = versioning::save(&tx, ACTION(), action_id, version, None, active).await?;
    let rescheduled = |action| Change::ActionRescheduled(ActionRescheduled { action, from, to: due_date });
    record(&tx, viewer, &action, rescheduled).await?;
    tx.commit().await?;
    Ok(action)
}

pub async fn reassign(
    db: &DatabaseConnection,
    viewer: &Viewer,
    action_id: Uuid,
    owner_id: Uuid,
) -> AppResult<action::Model> {
    let tx = db::begin_write(db, viewer.org_id).await?;
    let found = access(&tx, viewer, action_id).await?;
    if !found.may_move() {
        return Err(AppError::forbidden("only the owner, a lead or an admin may reassign this action"));
    }
    ensure_live(&found.action)?;
    ensure_owner(&tx, viewer, found.action.team_id, owner_id).await?;
    let version = found.action.version;
    let changes_hands = found.action.owner_id != owner_id;
    let mut active = found.action.into_active_model();
    active.owner_id = Set(owner_id);
    if changes_hands {
        // The new owner has not said yes yet, unless they are the one taking it.
        active.accepted_at = Set((owner_id == viewer.user_id).then(|| viewer.now()));
        active.declined_at = Set(None);
        active.decline_reason = Set(None);
    }
    active.updated_at = Set(viewer.now());
    let action = versioning::save(&tx, ACTION(), action_id, version, None, active).await?;
    record(&tx, viewer, &action, Change::ActionReassigned).await?;
    tx.commit().await?;
    Ok(action)
}

/// The owner says yes to an action (`acceptAction`): only its owner, while it is open or in
/// progress. Accepting again changes nothing.
pub async fn accept(db: &DatabaseConnection, viewer: &Viewer, action_id: Uuid) -> AppResult<action::Model> {
    answer(db, viewer, action_id, None).await
}

/// The owner sends an action back to the review's facilitator with a reason (`declineAction`):
/// only its owner, while it is open or in progress. It stays theirs until it is reassigned or
/// dropped, and no longer counts as accepted.
pub async fn decline(
    db: &DatabaseConnection,
    viewer: &Viewer,
    action_id: Uuid,
    reason: &str,
) -> AppResult<action::Model> {
    let reason = validate::required_text("reason", reason, validate::limits::TEXT)?;
    answer(db, viewer, action_id, Some(reason)).await
}

/// The owner's answer to an action: yes, or no with a reason.
async fn answer(
    db: &DatabaseConnection,
    viewer: &Viewer,
    action_id: Uuid,
    declined: Option<String>,
) -> AppResult<action::Model> {
    let tx = db::begin_write(db, viewer.org_id).await?;
    let found = access(&tx, viewer, action_id).await?;
    if found.action.owner_id != viewer.user_id {
        return Err(AppError::forbidden("only the action's owner may accept or decline it"));
    }
    ensure_live(&found.action)?;
    if declined.is_none() && found.action.accepted_at.is_some() {
        return Ok(found.action);
    }
    let (now, version) = (viewer.now(), found.action.version);
    let mut active = found.action.into_active_model();
    let change: fn(ActionState) -> Change = match declined {
        None => {
            active.accepted_at = Set(Some(now));
            active.declined_at = Set(None);
            active.decline_reason = Set(None);
            Change::ActionAccepted
        }
        Some(reason) => {
            active.accepted_at = Set(None);
            active.declined_at = Set(Some(now));
            active.decline_reason = Set(Some(reason));
            Change::ActionDeclined
        }
    };
    active.updated_at = Set(now);
    let action = versioning::save(&tx, ACTION(), action_id, version, None, active).await?;
    record(&tx, viewer, &action, change).await?;
    tx.commit().await?;
    Ok(action)
}

/// An issue in a tracker, as given.
pub struct ExternalIssue {
    pub provider: String,
    pub key: String,
    pub url: String,
}

/// A tracker's name as stored: lower-case letters, digits, `-`, `_` and `.`, 1 to 40.
fn provider(raw: &str) -> AppResult<String> {
    let name = raw.trim().to_lowercase();
    let well_formed = (1..=40).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b'_' | b'.'));
    if !well_formed {
        return Err(AppError::invalid(
            "provider",
            format!(
                "`{}` is not a tracker name: use 1 to 40 letters, digits, -, _ or . (jira, linear, github)",
                raw.trim()
            ),
        ));
    }
    Ok(name)
}

/// Links an action to its issue in a tracker, replacing any earlier link: its owner, a lead of
/// its team or of the review's team, or an admin. Any status (a done action keeps its issue).
pub async fn link_issue(
    db: &DatabaseConnection,
    viewer: &Viewer,
    action_id: Uuid,
    issue: ExternalIssue,
) -> AppResult<action::Model> {
    let issue = validate::all((
        provider(&issue.provider),
        validate::required_text("key", &issue.key, validate::limits::TRACKER_KEY),
        validate::web_url("url", &issue.url),
    ))
    .map_err(AppError::in_input)?;
    set_issue(db, viewer, action_id, Some(issue)).await
}

/// Removes an action's issue link (the same people as `link_issue`); an action without one is
/// BAD_USER_INPUT.
pub async fn unlink_issue(db: &DatabaseConnection, viewer: &Viewer, action_id: Uuid) -> AppResult<action::Model> {
    set_issue(db, viewer, action_id, None).await
}

/// Sets or clears an action's issue (provider, key, URL) and logs it. The event holds the
/// tracker and the key, identifiers a sync matches on, not the URL (a tracker may spell the
/// issue's title in it).
async fn set_issue(
    db: &DatabaseConnection,
    viewer: &Viewer,
    action_id: Uuid,
    issue: Option<(String, String, String)>,
) -> AppResult<action::Model> {
    viewer.require_write()?;
    let tx = db::begin_write(db, viewer.org_id).await?;
    let found = access(&tx, viewer, action_id).await?;
    if !found.moves {
        return Err(AppError::forbidden("only the owner, a lead or an admin may link this action to an issue"));
    }
    let logged = match (&issue, &found.action.external_provider, &found.action.external_key) {
        (Some((provider, key, _)), _, _) => (provider.clone(), key.clone(), true),
        (None, Some(provider), Some(key)) => (provider.clone(), key.clone(), false),
        (None, _, _) => return Err(AppError::invalid("actionId", "this action is not linked to an issue")),
    };
    let version = found.action.version;
    let mut active = found.action.into_active_model();
    let (provider, key, url) = match issue {
        Some((provider, key, url)) => (Some(provider), Some(key), Some(url)),
        None => (None, None, None),
    };
    active.external_provider = Set(provider);
    active.external_key = Set(key);
    active.external_url = Set(url);
    active.updated_at = Set(viewer.now());
    let action = versioning::save(&tx, ACTION(), action_id, version, None, active).await?;
    let (provider, key, linked) = logged;
    record(&tx, viewer, &action, |action| {
        let issue = ActionIssue { action, provider, key };
        if linked { Change::ActionIssueLinked(issue) } else { Change::ActionIssueUnlinked(issue) }
    })
    .await?;
    tx.commit().await?;
    Ok(action)
}

/// Orders a review's actions: `action_ids` must name each of them exactly once.
pub async fn rank(
    db: &DatabaseConnection,
    viewer: &Viewer,
    review_id: Uuid,
    action_ids: Vec<Uuid>,
) -> AppResult<Vec<action::Model>> {
    let tx = db::begin_write(db, viewer.org_id).await?;
    let (review, _, standing) = reviews::readable(&tx, viewer, review_id).await?;
    if !standing.can_edit_review(&review) {
        return Err(AppError::forbidden("only those who may edit the review may rank its actions"));
    }
    ensure_editable(&review)?;
    let current = of_review(&tx, review.id).await?;
    let mut given = action_ids.clone();
    given.sort();
    given.dedup();
    let mut expected: Vec<Uuid> = current.iter().map(|a| a.id).collect();
    expected.sort();
    if given.len() != action_ids.len() || given != expected {
        return Err(AppError::invalid(
            "actionIds",
            format!("actionIds must list each of the review's {} actions exactly once", expected.len()),
        ));
    }
    for (rank, id) in action_ids.iter().enumerate() {
        action::Entity::update_many()
            .col_expr(action::Column::Priority, Expr::value(rank as i32 + 1))
            .col_expr(action::Column::Version, Expr::col(action::Column::Version).add(1))
            .filter(action::Column::Id.eq(*id))
            .exec(&tx)
            .await?;
    }
    let action_ids = action_ids.iter().map(|id| GlobalId::new(NodeKind::Action, *id)).collect();
    events::record_change(&tx, viewer, (NodeKind::Review, review.id), Change::ActionsRanked { action_ids }).await?;
    reviews::touch(&tx, viewer, review.clone()).await?;
    let ranked = of_review(&tx, review.id).await?;
    tx.commit().await?;
    Ok(ranked)
}

/// OPEN → IN_PROGRESS → DONE (with evidence), or → WONT_DO (with a reason).
async fn transition(
    db: &DatabaseConnection,
    viewer: &Viewer,
    action_id: Uuid,
    to: ActionStatus,
    note: Option<(&str, String)>,
) -> AppResult<action::Model> {
    let tx = db::begin_write(db, viewer.org_id).await?;
    let found = access(&tx, viewer, action_id).await?;
    if !found.may_move() {
        return Err(AppError::forbidden("only the owner, a lead or an admin may move this action"));
    }
    let from = found.action.status;
    let allowed = match to {
        ActionStatus::InProgress => from == ActionStatus::Open,
        ActionStatus::Done | ActionStatus::WontDo => from.is_live(),
        ActionStatus::Open => false,
    };
    if !allowed {
        return Err(AppError::InvalidState(format!(
            "an action that is {} cannot become {}",
            from.to_value(),
            to.to_value()
        )));
    }
    let now = viewer.now();
    let version = found.action.version;
    let mut active = found.action.into_active_model();
    active.status = Set(to);
    active.updated_at = Set(now);
    let change: fn(ActionTransition) -> Change = match to {
        ActionStatus::InProgress => {
            active.started_at = Set(Some(now));
            Change::ActionStarted
        }
        ActionStatus::Done => {
            active.completed_at = Set(Some(now));
            active.evidence = Set(note.map(|n| n.1));
            Change::ActionCompleted
        }
        _ => {
            active.completed_at = Set(Some(now));
            active.drop_reason = Set(note.map(|n| n.1));
            Change::ActionDropped
        }
    };
    let action = versioning::save(&tx, ACTION(), action_id, version, None, active).await?;
    record(&tx, viewer, &action, |action| change(ActionTransition { action, from, to })).await?;
    tx.commit().await?;
    Ok(action)
}

pub async fn start(db: &DatabaseConnection, viewer: &Viewer, action_id: Uuid) -> AppResult<action::Model> {
    transition(db, viewer, action_id, ActionStatus::InProgress, None).await
}

pub async fn complete(
    db: &DatabaseConnection,
    viewer: &Viewer,
    action_id: Uuid,
    evidence: &str,
) -> AppResult<action::Model> {
    let evidence = validate::required_text("evidence", evidence, validate::limits::TEXT)?;
    transition(db, viewer, action_id, ActionStatus::Done, Some(("evidence", evidence))).await
}

pub async fn drop(db: &DatabaseConnection, viewer: &Viewer, action_id: Uuid, reason: &str) -> AppResult<action::Model> {
    let reason = validate::required_text("reason", reason, validate::limits::TEXT)?;
    transition(db, viewer, action_id, ActionStatus::WontDo, Some(("reason", reason))).await
}

/// A review's actions in priority order.
pub async fn of_review(db: &impl ConnectionTrait, review_id: Uuid) -> AppResult<Vec<action::Model>> {
    Ok(action::Entity::find()
        .filter(action::Column::ReviewId.eq(review_id))
        .order_by_asc(action::Column::Priority)
        .order_by_asc(action::Column::Id)
        .all(db)
        .await?)
}

#[derive(Debug, Default)]
pub struct ActionFilter {
    pub team_id: Option<Uuid>,
    pub owner_id: Option<Uuid>,
    pub review_id: Option<Uuid>,
    pub statuses: Vec<ActionStatus>,
    pub kind: Option<ActionKind>,
    /// Only overdue (true) or only not overdue (false) actions.
    pub overdue: Option<bool>,
    pub due_before: Option<NaiveDate>,
    pub due_after: Option<NaiveDate>,
    /// Only actions linked to an issue (true) or only those that are not (false).
    pub linked: Option<bool>,
    /// Linked to an issue of this tracker.
    pub external_provider: Option<String>,
    /// Linked to the issue with this key.
    pub external_key: Option<String>,
}

fn overdue_condition(today: NaiveDate) -> Condition {
    // Spelled out literally (not as bound values) so that both databases match it to the
    // partial indexes of live actions.
    Condition::all()
        .add(Expr::cust(r#""action"."status" IN ('OPEN', 'IN_PROGRESS')"#))
        .add(action::Column::DueDate.lt(today))
}

/// Actions the viewer may read, by due date (soonest first).
pub async fn list(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    filter: ActionFilter,
    page: &PageRequest,
) -> AppResult<Page<action::Model>> {
    let mut condition = readable_actions(viewer);
    if let Some(team_id) = filter.team_id {
        condition = condition.add(action::Column::TeamId.eq(team_id));
    }
    if let Some(owner_id) = filter.owner_id {
        condition = condition.add(action::Column::OwnerId.eq(owner_id));
    }
    if let Some(review_id) = filter.review_id {
        condition = condition.add(action::Column::ReviewId.eq(review_id));
    }
    if !filter.statuses.is_empty() {
        condition = condition.add(action::Column::Status.is_in(filter.statuses));
    }
    if let Some(kind) = filter.kind {
        condition = condition.add(action::Column::Kind.eq(kind));
    }
    match filter.overdue {
        Some(true) => condition = condition.add(overdue_condition(viewer.today())),
        Some(false) => condition = condition.add(overdue_condition(viewer.today()).not()),
        None => {}
    }
    if let Some(before) = filter.due_before {
        condition = condition.add(action::Column::DueDate.lt(before));
    }
    if let Some(after) = filter.due_after {
        condition = condition.add(action::Column::DueDate.gt(after));
    }
    match filter.linked {
        Some(true) => condition = condition.add(action::Column::ExternalKey.is_not_null()),
        Some(false) => condition = condition.add(action::Column::ExternalKey.is_null()),
        None => {}
    }
    if let Some(name) = filter.external_provider.as_deref() {
        condition =
            condition.add(action::Column::ExternalProvider.eq(provider(name).map_err(|e| {
                e.for_field("externalProvider").under(async_graphql::PathSegment::Field("filter".into()))
            })?));
    }
    if let Some(key) = filter.external_key.as_deref() {
        condition = condition.add(action::Column::ExternalKey.eq(key.trim()));
    }
    by_due_date(db, condition, page).await
}

/// Overdue actions, most overdue first.
pub async fn overdue(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    team_id: Option<Uuid>,
    owner_id: Option<Uuid>,
    page: &PageRequest,
) -> AppResult<Page<action::Model>> {
    let filter = ActionFilter { team_id, owner_id, overdue: Some(true), ..Default::default() };
    list(db, viewer, filter, page).await
}

/// Keyset pages ordered by (due date, id): the cursor holds both.
async fn by_due_date(
    db: &impl ConnectionTrait,
    condition: Condition,
    page: &PageRequest,
) -> AppResult<Page<action::Model>> {
    let total_count = page.total(db, action::Entity::find().filter(condition.clone())).await?;
    let mut query = action::Entity::find().filter(condition);
    if let Some((date, id)) = page.after_pair::<NaiveDate>()? {
        query = query.filter(
            Condition::any()
                .add(action::Column::DueDate.gt(date))
                .add(Condition::all().add(action::Column::DueDate.eq(date)).add(action::Column::Id.gt(id))),
        );
    }
    let mut rows = query
        .order_by_asc(action::Column::DueDate)
        .order_by_asc(action::Column::Id)
        .limit(page.first + 1)
        .all(db)
        .await?;
    let has_next_page = rows.len() as u64 > page.first;
    rows.truncate(page.first as usize);
    let items = rows.into_iter().map(|a| (pair_cursor(a.due_date, a.id), a)).collect();
    Ok(Page { items, has_previous_page: page.after.is_some(), has_next_page, total_count })
}

/// Live actions of a review whose owner can no longer own them: deactivated, or no longer a
/// lead or member of the responsible team. A review holds a handful of actions.
pub async fn with_unfit_owner(db: &impl ConnectionTrait, review_id: Uuid) -> AppResult<usize> {
    let live = action::Entity::find()
        .filter(action::Column::ReviewId.eq(review_id))
        .filter(action::Column::Status.is_in([ActionStatus::Open, ActionStatus::InProgress]))
        .all(db)
        .await?;
    let mut unfit = 0;
    for action in &live {
        let active = entity::user::Entity::find_by_id(action.owner_id).one(db).await?.is_some_and(|u| u.active);
        let member = matches!(
            teams::role_of(db, action.owner_id, action.team_id).await?,
            Some(TeamRole::Lead | TeamRole::Member)
        );
        if !(active && member) {
            unfit += 1;
        }
    }
    Ok(unfit)
}

//! Incidents: declared by a team, moved through OPEN → MITIGATED → RESOLVED → CLOSED with
//! their times checked, and handed to a review when the policy says so.

use chrono::{DateTime, TimeDelta, Utc};
use entity::{
    DetectionSource, IncidentStatus, ReviewTrigger, Severity, incident, incident_affected_team, incident_responder,
    incident_service, incident_tag, review, tag,
};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, Order, QueryFilter, QueryOrder, QuerySelect, QueryTrait,
};
use uuid::Uuid;

use crate::auth::Viewer;
use crate::db;
use crate::domain::access::{Standing, TeamRoles, readable_incidents};
use crate::domain::pagination::{Page, PageRequest, paginate};
use crate::domain::policy::ReviewPolicy;
use crate::domain::search::{self, Searched};
use crate::domain::validate::limits;
use crate::domain::versioning::{self, Versioned};
use crate::domain::{policy, reviews, teams, users, validate};
use crate::error::{AppError, AppResult};
use crate::events::{self, Change};
use crate::ids::{GlobalId, NodeKind};

/// How far ahead of the server's clock a client's timestamp may be.
pub const CLOCK_SKEW: TimeDelta = TimeDelta::minutes(5);

pub fn not_in_future(field: &str, at: DateTime<Utc>, now: DateTime<Utc>) -> AppResult<()> {
    if at > now + CLOCK_SKEW {
        return Err(AppError::invalid(field, format!("{field} is in the future")));
    }
    Ok(())
}

fn not_before(field: &str, at: DateTime<Utc>, earlier_field: &str, earlier: DateTime<Utc>) -> AppResult<()> {
    if at < earlier {
        return Err(AppError::invalid(field, format!("{field} must not be before {earlier_field}")));
    }
    Ok(())
}

/// Checks every stamped time of an incident against the ones before it.
fn check_times(incident: &incident::ActiveModel, now: DateTime<Utc>) -> AppResult<()> {
    let (started, detected) = (*incident.started_at.as_ref(), *incident.detected_at.as_ref());
    let mitigated = *incident.mitigated_at.as_ref();
    let resolved = *incident.resolved_at.as_ref();
    let closed = *incident.closed_at.as_ref();
    let mut checks = vec![
        not_in_future("startedAt", started, now),
        not_in_future("detectedAt", detected, now),
        not_before("detectedAt", detected, "startedAt", started),
    ];
    if let Some(mitigated) = mitigated {
        checks.push(not_in_future("mitigatedAt", mitigated, now));
        checks.push(not_before("mitigatedAt", mitigated, "detectedAt", detected));
    }
    if let Some(resolved) = resolved {
        checks.push(not_in_future("resolvedAt", resolved, now));
        checks.push(not_before("resolvedAt", resolved, "mitigatedAt", mitigated.unwrap_or(detected)));
    }
    if let Some(closed) = closed {
        checks.push(not_in_future("closedAt", closed, now));
        if let Some(resolved) = resolved {
            checks.push(not_before("closedAt", closed, "resolvedAt", resolved));
        }
    }
    validate::every(checks)
}

/// A concurrent request changed the same rows first (a unique key caught it).
pub(crate) fn changed_concurrently() -> AppError {
    AppError::Conflict("someone else changed this at the same moment; reload it and try again".into())
}

pub async fn find_in_org(db: &impl ConnectionTrait, org_id: Uuid, incident_id: Uuid) -> AppResult<incident::Model> {
    incident::Entity::find_by_id(incident_id)
        .filter(incident::Column::OrganizationId.eq(org_id))
        .one(db)
        .await?
        .ok_or(AppError::NotFound("incident"))
}

pub async fn review_of(db: &impl ConnectionTrait, incident_id: Uuid) -> AppResult<Option<review::Model>> {
    Ok(review::Entity::find().filter(review::Column::IncidentId.eq(incident_id)).one(db).await?)
}

/// An incident the viewer may read; anything else is NOT_FOUND.
pub async fn readable(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    incident_id: Uuid,
) -> AppResult<(incident::Model, Standing)> {
    let incident = find_in_org(db, viewer.org_id, incident_id).await?;
    let review = review_of(db, incident.id).await?;
    let standing = Standing::of(db, viewer, &incident, review.as_ref()).await?;
    if !standing.can_read_incident(&incident, review.as_ref()) {
        return Err(AppError::NotFound("incident"));
    }
    Ok((incident, standing))
}

/// An incident the viewer may read, in one statement (the rules of [`readable_incidents`]).
pub async fn get(db: &impl ConnectionTrait, viewer: &Viewer, incident_id: Uuid) -> AppResult<Option<incident::Model>> {
    Ok(incident::Entity::find_by_id(incident_id).filter(readable_incidents(viewer)).one(db).await?)
}

/// An incident the viewer may change.
pub(crate) async fn changeable(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    incident_id: Uuid,
) -> AppResult<incident::Model> {
    let (incident, standing) = readable(db, viewer, incident_id).await?;
    if !standing.can_change_incident(&incident) {
        return Err(AppError::forbidden("only the owning team's leads and members may change this incident"));
    }
    Ok(incident)
}

const INCIDENT: fn() -> Versioned<incident::Entity> =
    || Versioned { id_column: incident::Column::Id, version_column: incident::Column::Version, what: "incident" };

async fn record(tx: &impl ConnectionTrait, viewer: &Viewer, incident_id: Uuid, change: Change) -> AppResult<()> {
    events::record_change(tx, viewer, (NodeKind::Incident, incident_id), change).await
}

pub struct Declaration {
    pub team_id: Uuid,
    pub title: String,
    pub severity: Severity,
    pub started_at: DateTime<Utc>,
    pub detected_at: Option<DateTime<Utc>>,
    pub summary: Option<String>,
    pub customer_impact: Option<String>,
    pub near_miss: Option<bool>,
    pub cause: Cause,
}

/// How an incident was found and what set it off; `None` keeps a field.
#[derive(Default)]
pub struct Cause {
    pub detection_source: Option<DetectionSource>,
    /// The deploy, pull request or change (a web URL); an empty text clears it. Naming one
    /// marks the incident triggered by a change unless `triggered_by_change` says otherwise.
    pub change_ref: Option<String>,
    pub triggered_by_change: Option<bool>,
    /// Who made the change: a user of the organization; `Some(None)` clears it.
    pub change_author_id: Option<Option<Uuid>>,
}

impl Cause {
    /// Checks the cause and writes it to the incident; every problem at once.
    async fn apply(
        self,
        db: &impl ConnectionTrait,
        viewer: &Viewer,
        incident: &mut incident::ActiveModel,
    ) -> AppResult<()> {
        let change_ref = self
            .change_ref
            .as_deref()
            .map(|raw| match raw.trim() {
                "" => Ok(None),
                url => validate::web_url("changeRef", url).map(Some),
            })
            .transpose();
        let author = match self.change_author_id {
            Some(Some(id)) => match users::find_in_org(db, viewer.org_id, id).await {
                Ok(user) => Ok(Some(Some(user.id))),
                Err(AppError::NotFound(_)) => {
                    Err(AppError::invalid("changeAuthorId", "no such user in the organization"))
                }
                Err(e) => return Err(e),
            },
            other => Ok(other),
        };
        let (change_ref, author) = validate::all((change_ref, author))?;
        if let Some(source) = self.detection_source {
            incident.detection_source = Set(Some(source));
        }
        if let Some(change_ref) = change_ref {
            if change_ref.is_some() && self.triggered_by_change.is_none() {
                incident.triggered_by_change = Set(true);
            }
            incident.change_ref = Set(change_ref);
        }
        if let Some(triggered) = self.triggered_by_change {
            incident.triggered_by_change = Set(triggered);
        }
        if let Some(author) = author {
            incident.change_author_id = Set(author);
        }
        Ok(())
    }
}

/// Declares an incident for a team the viewer leads or belongs to (not as a viewer).
pub async fn declare(db: &DatabaseConnection, viewer: &Viewer, input: Declaration) -> AppResult<incident::Model> {
    let team = teams::find_in_org(db, viewer.org_id, input.team_id).await?;
    let roles = TeamRoles::of(db, viewer).await?;
    if !viewer.is_admin() && !roles.can_contribute(team.id) {
        return Err(AppError::forbidden("only leads and members of the team may declare its incidents"));
    }
    let now = viewer.now();
    let texts = validate::all((
        validate::required_text("title", &input.title, limits::TITLE),
        validate::optional_text("summary", input.summary.as_deref(), limits::LONG_TEXT),
        validate::optional_text("customerImpact", input.customer_impact.as_deref(), limits::LONG_TEXT),
    ));
    let (title, summary, customer_impact) = texts.clone().unwrap_or_default();
    let mut incident = incident::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(viewer.org_id),
        team_id: Set(team.id),
        title: Set(title),
        summary: Set(summary),
        severity: Set(input.severity),
        status: Set(IncidentStatus::Open),
        near_miss: Set(input.near_miss.unwrap_or(false)),
        customer_impact: Set(customer_impact),
        started_at: Set(input.started_at),
        detected_at: Set(input.detected_at.unwrap_or(Ord::max(now, input.started_at))),
        mitigated_at: Set(None),
        resolved_at: Set(None),
        closed_at: Set(None),
        declared_by: Set(viewer.user_id),
        detection_source: Set(None),
        change_ref: Set(None),
        triggered_by_change: Set(false),
        change_author_id: Set(None),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
    };
    let cause = input.cause.apply(db, viewer, &mut incident).await;
    // The texts, the cause and the times are checked together, so that every problem comes
    // back at once.
    validate::all((texts, cause, check_times(&incident, now))).map_err(AppError::in_input)?;
    let tx = db::begin_write(db, viewer.org_id).await?;
    let incident = incident.insert(&tx).await?;
    let declared =
        Change::IncidentDeclared { severity: incident.severity, team_id: GlobalId::new(NodeKind::Team, team.id) };
    record(&tx, viewer, incident.id, declared).await?;
    tx.commit().await?;
    Ok(incident)
}

/// Changes to an incident's description; `None` keeps a field.
#[derive(Default)]
pub struct IncidentChanges {
    pub title: Option<String>,
    pub summary: Option<String>,
    pub customer_impact: Option<String>,
    pub severity: Option<Severity>,
    pub near_miss: Option<bool>,
    pub started_at: Option<DateTime<Utc>>,
    pub detected_at: Option<DateTime<Utc>>,
    pub cause: Cause,
}

pub async fn update(
    db: &DatabaseConnection,
    viewer: &Viewer,
    incident_id: Uuid,
    changes: IncidentChanges,
    expected_version: Option<i32>,
) -> AppResult<incident::Model> {
    let tx = db::begin_write(db, viewer.org_id).await?;
    let incident = changeable(&tx, viewer, incident_id).await?;
    let version = incident.version;
    let mut active = incident.into_active_model();
    if let Some(severity) = changes.severity {
        active.severity = Set(severity);
    }
    if let Some(near_miss) = changes.near_miss {
        active.near_miss = Set(near_miss);
    }
    if let Some(started_at) = changes.started_at {
        active.started_at = Set(started_at);
    }
    if let Some(detected_at) = changes.detected_at {
        active.detected_at = Set(detected_at);
    }
    let cause = changes.cause.apply(&tx, viewer, &mut active).await;
    let ((title, summary, customer_impact), (), ()) = validate::all((
        validate::all((
            changes.title.as_deref().map(|title| validate::required_text("title", title, limits::TITLE)).transpose(),
            changes
                .summary
                .as_deref()
                .map(|summary| validate::optional_text("summary", Some(summary), limits::LONG_TEXT))
                .transpose(),
            changes
                .customer_impact
                .as_deref()
                .map(|impact| validate::optional_text("customerImpact", Some(impact), limits::LONG_TEXT))
                .transpose(),
        )),
        cause,
        check_times(&active, viewer.now()),
    ))
    .map_err(AppError::in_input)?;
    if let Some(title) = title {
        active.title = Set(title);
    }
    if let Some(summary) = summary {
        active.summary = Set(summary);
    }
    if let Some(impact) = customer_impact {
        active.customer_impact = Set(impact);
    }
    active.updated_at = Set(viewer.now());
    let incident = versioning::save(&tx, INCIDENT(), incident_id, version, expected_version, active).await?;
    let updated = Change::IncidentUpdated { severity: incident.severity, version: incident.version };
    record(&tx, viewer, incident.id, updated).await?;
    tx.commit().await?;
    Ok(incident)
}

fn transition_allowed(from: IncidentStatus, to: IncidentStatus) -> bool {
    use IncidentStatus::*;
    matches!((from, to), (Open, Mitigated) | (Open, Resolved) | (Mitigated, Resolved) | (Resolved, Closed))
}

/// What the viewer may do with an incident now: the rules of `update`, the responder, team and
/// tag changes (`edit`) and `set_status` (`change_status`). All false with a read-only API token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IncidentRights {
    pub edit: bool,
    pub change_status: bool,
}

pub fn rights(viewer: &Viewer, standing: &Standing, incident: &incident::Model) -> IncidentRights {
    let edit = viewer.require_write().is_ok() && standing.can_change_incident(incident);
    let next = [IncidentStatus::Mitigated, IncidentStatus::Resolved, IncidentStatus::Closed];
    IncidentRights { edit, change_status: edit && next.into_iter().any(|to| transition_allowed(incident.status, to)) }
}

/// Moves an incident to its next state and stamps the time (now, or `at`). Resolving an
/// incident the policy covers creates its review in the same transaction.
pub async fn set_status(
    db: &DatabaseConnection,
    viewer: &Viewer,
    incident_id: Uuid,
    status: IncidentStatus,
    at: Option<DateTime<Utc>>,
    expected_version: Option<i32>,
) -> AppResult<incident::Model> {
    let tx = db::begin_write(db, viewer.org_id).await?;
    let incident = changeable(&tx, viewer, incident_id).await?;
    if !transition_allowed(incident.status, status) {
        return Err(AppError::InvalidState(format!(
            "an incident that is {} cannot become {}",
            incident.status.to_value(),
            status.to_value()
        )));
    }
    let at = at.unwrap_or_else(|| viewer.now());
    let (from, version) = (incident.status, incident.version);
    let mut active = incident.into_active_model();
    active.status = Set(status);
    match status {
        IncidentStatus::Mitigated => active.mitigated_at = Set(Some(at)),
        IncidentStatus::Resolved => active.resolved_at = Set(Some(at)),
        IncidentStatus::Closed => active.closed_at = Set(Some(at)),
        IncidentStatus::Open => {}
    }
    // The time that breaks the order is the one given as `at`.
    check_times(&active, viewer.now()).map_err(|e| e.for_field("at"))?;
    active.updated_at = Set(viewer.now());
    let incident = versioning::save(&tx, INCIDENT(), incident_id, version, expected_version, active).await?;
    record(&tx, viewer, incident.id, Change::IncidentStatusChanged { from, to: status, at }).await?;
    if status == IncidentStatus::Resolved {
        let policy = policy::for_org(&tx, viewer.org_id).await?;
        match review_of(&tx, incident.id).await? {
            Some(review) => reviews::set_deadline(&tx, &review, &incident, &policy).await?,
            None if needs_review(&tx, &policy, &incident).await? => {
                reviews::create_for(&tx, viewer, &incident, &policy).await?;
            }
            None => {}
        }
    }
    tx.commit().await?;
    Ok(incident)
}

/// Whether resolving the incident opens its review: its severity, or one of the policy's other
/// triggers (customer impact, a change that set it off, a service or a tag shared with another
/// incident that started within the repeat window before it). Near misses only when the policy
/// reviews them.
async fn needs_review(db: &impl ConnectionTrait, policy: &ReviewPolicy, incident: &incident::Model) -> AppResult<bool> {
    if incident.near_miss && !policy.review_near_misses {
        return Ok(false);
    }
    if policy.requires_review(incident.severity, incident.near_miss) {
        return Ok(true);
    }
    let wants = |trigger| policy.review_when.contains(&trigger);
    if wants(ReviewTrigger::CustomerImpact) && incident.customer_impact.as_deref().is_some_and(|t| !t.is_empty()) {
        return Ok(true);
    }
    if wants(ReviewTrigger::ChangeTriggered) && incident.triggered_by_change {
        return Ok(true);
    }
    if wants(ReviewTrigger::Repeat) {
        let since = incident.started_at - TimeDelta::days(i64::from(policy.repeat_window_days));
        let earlier = || {
            Query::select()
                .column(incident::Column::Id)
                .from(incident::Entity)
                .and_where(incident::Column::OrganizationId.eq(incident.organization_id))
                .and_where(incident::Column::Id.ne(incident.id))
                .and_where(incident::Column::StartedAt.gte(since))
                .and_where(incident::Column::StartedAt.lte(incident.started_at))
                .to_owned()
        };
        let services = Query::select()
            .column(incident_service::Column::ServiceId)
            .from(incident_service::Entity)
            .and_where(incident_service::Column::IncidentId.eq(incident.id))
            .to_owned();
        let same_service = incident_service::Entity::find()
            .filter(incident_service::Column::ServiceId.in_subquery(services))
            .filter(incident_service::Column::IncidentId.in_subquery(earlier()))
            .one(db)
            .await?;
        if same_service.is_some() {
            return Ok(true);
        }
        let tags = Query::select()
            .column(incident_tag::Column::TagId)
            .from(incident_tag::Entity)
            .and_where(incident_tag::Column::IncidentId.eq(incident.id))
            .to_owned();
        let repeat = incident_tag::Entity::find()
            .filter(incident_tag::Column::TagId.in_subquery(tags))
            .filter(incident_tag::Column::IncidentId.in_subquery(earlier()))
            .one(db)
            .await?;
        return Ok(repeat.is_some());
    }
    Ok(false)
}

/// Ends a change to the incident's responders, teams or tags: records it, bumps the
/// incident's version (so stale writers get CONFLICT) and commits.
pub(crate) async fn commit_change(
    tx: sea_orm::DatabaseTransaction,
    viewer: &Viewer,
    incident: incident::Model,
    change: Change,
) -> AppResult<incident::Model> {
    record(&tx, viewer, incident.id, change).await?;
    let (id, version) = (incident.id, incident.version);
    let mut active = incident.into_active_model();
    active.updated_at = Set(viewer.now());
    let incident = versioning::save(&tx, INCIDENT(), id, version, None, active).await?;
    tx.commit().await?;
    Ok(incident)
}

pub async fn add_responder(
    db: &DatabaseConnection,
    viewer: &Viewer,
    incident_id: Uuid,
    user_id: Uuid,
) -> AppResult<incident::Model> {
    let tx = db::begin_write(db, viewer.org_id).await?;
    let incident = changeable(&tx, viewer, incident_id).await?;
    let user = users::find_in_org(&tx, viewer.org_id, user_id).await?;
    if !user.active {
        return Err(AppError::invalid("userId", "a deactivated user cannot be a responder"));
    }
    if let Some(review) = review_of(&tx, incident.id).await?
        && review.facilitator_id == Some(user.id)
    {
        return Err(AppError::invalid(
            "userId",
            "the review's facilitator cannot be a responder: a facilitator must not have responded",
        ));
    }
    if incident_responder::Entity::find_by_id((incident.id, user.id)).one(&tx).await?.is_some() {
        return Ok(incident);
    }
    let responders = incident_responder::Entity::find().filter(incident_responder::Column::IncidentId.eq(incident.id));
    validate::room_for_one_more(&tx, responders, limits::RESPONDERS, "userId", "an incident's responder list").await?;
    incident_responder::ActiveModel {
        incident_id: Set(incident.id),
        user_id: Set(user.id),
        created_at: Set(viewer.now()),
    }
    .insert(&tx)
    .await?;
    let user_id = GlobalId::new(NodeKind::User, user.id);
    commit_change(tx, viewer, incident, Change::ResponderAdded { user_id }).await
}

pub async fn remove_responder(
    db: &DatabaseConnection,
    viewer: &Viewer,
    incident_id: Uuid,
    user_id: Uuid,
) -> AppResult<incident::Model> {
    let tx = db::begin_write(db, viewer.org_id).await?;
    let incident = changeable(&tx, viewer, incident_id).await?;
    let user = users::find_in_org(&tx, viewer.org_id, user_id).await?;
    let removed = incident_responder::Entity::delete_by_id((incident.id, user.id)).exec(&tx).await?;
    if removed.rows_affected == 0 {
        return Err(AppError::invalid("userId", "this user is not a responder of the incident"));
    }
    let user_id = GlobalId::new(NodeKind::User, user.id);
    commit_change(tx, viewer, incident, Change::ResponderRemoved { user_id }).await
}

/// Replaces the teams the incident affected (besides its own).
pub async fn set_affected_teams(
    db: &DatabaseConnection,
    viewer: &Viewer,
    incident_id: Uuid,
    team_ids: Vec<Uuid>,
) -> AppResult<incident::Model> {
    let mut team_ids = team_ids;
    team_ids.sort();
    team_ids.dedup();
    validate::at_most("teamIds", &team_ids, limits::AFFECTED_TEAMS)?;
    let tx = db::begin_write(db, viewer.org_id).await?;
    let incident = changeable(&tx, viewer, incident_id).await?;
    teams::ensure_all_in_org(&tx, viewer.org_id, &team_ids).await?;
    incident_affected_team::Entity::delete_many()
        .filter(incident_affected_team::Column::IncidentId.eq(incident.id))
        .exec(&tx)
        .await?;
    if !team_ids.is_empty() {
        let rows = team_ids.iter().map(|team_id| incident_affected_team::ActiveModel {
            incident_id: Set(incident.id),
            team_id: Set(*team_id),
        });
        incident_affected_team::Entity::insert_many(rows).exec(&tx).await?;
    }
    let team_ids = team_ids.iter().map(|t| GlobalId::new(NodeKind::Team, *t)).collect();
    commit_change(tx, viewer, incident, Change::AffectedTeamsSet { team_ids }).await
}

/// A tag as stored: trimmed, lower-case, letters, digits, spaces, `-`, `_`, `.` and `/`.
pub fn normalize_tag(field: &str, raw: &str) -> AppResult<String> {
    let tag = raw.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase();
    let valid = !tag.is_empty()
        && tag.chars().count() <= limits::TAG
        && tag.chars().all(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_' | '.' | '/'));
    if !valid {
        return Err(AppError::invalid(
            field,
            format!(
                "`{}` is not a valid tag: use 1 to {} letters, digits, spaces, -, _, . or /",
                raw.trim(),
                limits::TAG
            ),
        ));
    }
    Ok(tag)
}

/// Replaces the incident's tags; tags are organization-wide and case-insensitive.
pub async fn set_tags(
    db: &DatabaseConnection,
    viewer: &Viewer,
    incident_id: Uuid,
    tags: Vec<String>,
) -> AppResult<incident::Model> {
    let mut names = validate::each("tags", &tags, |tag| normalize_tag("tags", tag))?;
    names.sort();
    names.dedup();
    if names.len() > limits::TAGS {
        return Err(AppError::invalid("tags", format!("an incident has at most {} tags", limits::TAGS)));
    }
    let tx = db::begin_write(db, viewer.org_id).await?;
    let incident = changeable(&tx, viewer, incident_id).await?;
    incident_tag::Entity::delete_many().filter(incident_tag::Column::IncidentId.eq(incident.id)).exec(&tx).await?;
    for name in &names {
        let tag = match tag::Entity::find()
            .filter(tag::Column::OrganizationId.eq(viewer.org_id))
            .filter(tag::Column::Name.eq(name))
            .one(&tx)
            .await?
        {
            Some(tag) => tag,
            None => tag::ActiveModel {
                id: Set(Uuid::now_v7()),
                organization_id: Set(viewer.org_id),
                name: Set(name.clone()),
                created_at: Set(viewer.now()),
            }
            .insert(&tx)
            .await
            .map_err(|e| AppError::unique_violation_or(e, changed_concurrently))?,
        };
        incident_tag::ActiveModel { incident_id: Set(incident.id), tag_id: Set(tag.id) }.insert(&tx).await?;
    }
    commit_change(tx, viewer, incident, Change::IncidentTagged { tags: names }).await
}

#[derive(Debug, Default)]
pub struct IncidentFilter {
    /// Owned by this team.
    pub team_id: Option<Uuid>,
    /// Owned by any of these teams.
    pub team_ids: Vec<Uuid>,
    pub severities: Vec<Severity>,
    pub statuses: Vec<IncidentStatus>,
    pub tag: Option<String>,
    pub near_miss: Option<bool>,
    /// Incidents that started at or after this time.
    pub from: Option<DateTime<Utc>>,
    /// Incidents that started before this time.
    pub to: Option<DateTime<Utc>>,
    /// Words in the title or summary.
    pub search: Option<String>,
}

/// Incidents the viewer may read, newest first.
pub async fn list(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    filter: IncidentFilter,
    page: &PageRequest,
) -> AppResult<Page<incident::Model>> {
    let mut select = incident::Entity::find().filter(readable_incidents(viewer));
    if let Some(team_id) = filter.team_id {
        select = select.filter(incident::Column::TeamId.eq(team_id));
    }
    if !filter.team_ids.is_empty() {
        select = select.filter(incident::Column::TeamId.is_in(filter.team_ids));
    }
    if !filter.severities.is_empty() {
        select = select.filter(incident::Column::Severity.is_in(filter.severities));
    }
    if !filter.statuses.is_empty() {
        select = select.filter(incident::Column::Status.is_in(filter.statuses));
    }
    if let Some(near_miss) = filter.near_miss {
        select = select.filter(incident::Column::NearMiss.eq(near_miss));
    }
    if let Some(from) = filter.from {
        select = select.filter(incident::Column::StartedAt.gte(from));
    }
    if let Some(to) = filter.to {
        select = select.filter(incident::Column::StartedAt.lt(to));
    }
    if let Some(tag) = filter.tag.as_deref() {
        let tagged = Query::select()
            .column(incident_tag::Column::IncidentId)
            .from(incident_tag::Entity)
            .inner_join(
                tag::Entity,
                Expr::col((tag::Entity, tag::Column::Id)).equals((incident_tag::Entity, incident_tag::Column::TagId)),
            )
            .and_where(Expr::col((tag::Entity, tag::Column::Name)).eq(normalize_tag("tag", tag)?))
            .and_where(Expr::col((tag::Entity, tag::Column::OrganizationId)).eq(viewer.org_id))
            .to_owned();
        select = select.filter(incident::Column::Id.in_subquery(tagged));
    }
    if let Some(search) = validate::search("search", filter.search.as_deref())?.as_deref() {
        select = select.filter(search::matches(db.get_database_backend(), Searched::Incidents, search));
    }
    paginate(db, select, incident::Column::Id, Order::Desc, |i| i.id.to_string(), page).await
}

pub async fn responder_ids(db: &impl ConnectionTrait, incident_id: Uuid) -> AppResult<Vec<Uuid>> {
    Ok(incident_responder::Entity::find()
        .filter(incident_responder::Column::IncidentId.eq(incident_id))
        .all(db)
        .await?
        .into_iter()
        .map(|r| r.user_id)
        .collect())
}

pub async fn tags_of(db: &impl ConnectionTrait, incident_id: Uuid) -> AppResult<Vec<String>> {
    let ids = Query::select()
        .column(incident_tag::Column::TagId)
        .from(incident_tag::Entity)
        .and_where(incident_tag::Column::IncidentId.eq(incident_id))
        .to_owned();
    Ok(tag::Entity::find()
        .filter(tag::Column::Id.in_subquery(ids))
        .order_by_asc(tag::Column::Name)
        .all(db)
        .await?
        .into_iter()
        .map(|t| t.name)
        .collect())
}

/// The tags on incidents the viewer may read, with how many of those incidents carry each,
/// most used first.
pub async fn org_tags(db: &impl ConnectionTrait, viewer: &Viewer) -> AppResult<Vec<(String, i64)>> {
    let readable = incident::Entity::find()
        .select_only()
        .column(incident::Column::Id)
        .filter(readable_incidents(viewer))
        .into_query();
    let counts: Vec<(Uuid, i64)> = incident_tag::Entity::find()
        .select_only()
        .column(incident_tag::Column::TagId)
        .column_as(Expr::col(incident_tag::Column::IncidentId).count(), "incidents")
        .filter(incident_tag::Column::IncidentId.in_subquery(readable))
        .group_by(incident_tag::Column::TagId)
        .into_tuple()
        .all(db)
        .await?;
    if counts.is_empty() {
        return Ok(Vec::new());
    }
    let counts: std::collections::HashMap<Uuid, i64> = counts.into_iter().collect();
    let tags = tag::Entity::find().filter(tag::Column::Id.is_in(counts.keys().copied())).all(db).await?;
    let mut rows: Vec<(String, i64)> =
        tags.into_iter().map(|t| (t.name, counts.get(&t.id).copied().unwrap_or(0))).collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    Ok(rows)
}

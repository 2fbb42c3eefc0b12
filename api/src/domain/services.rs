//! The service catalog: what the organization runs, which team owns each service and how
//! critical it is, and which services an incident touched. Everyone in the organization reads
//! the catalog; an admin or a lead of the owning team changes a service.

use std::collections::HashMap;

use entity::{incident, incident_service, service};
use sea_orm::sea_query::{Expr, ExprTrait, LikeExpr};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, IntoActiveModel,
    Order, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use crate::auth::Viewer;
use crate::db;
use crate::domain::pagination::{Page, PageRequest, paginate};
use crate::domain::validate::{self, limits};
use crate::domain::{incidents, teams};
use crate::error::{AppError, AppResult};
use crate::events::{self, Change};
use crate::ids::{GlobalId, NodeKind};

/// The tier a service gets when none is said: 1 is the most critical, 4 the least.
pub const DEFAULT_TIER: i32 = 3;

fn tier(value: i32) -> AppResult<i32> {
    if (1..=4).contains(&value) {
        Ok(value)
    } else {
        Err(AppError::invalid("tier", "tier must be between 1 (most critical) and 4"))
    }
}

/// A team named in the input that the organization does not have.
fn no_such_team(e: AppError) -> AppError {
    match e {
        AppError::NotFound(_) => AppError::invalid("ownerTeamId", "no team of the organization has this ID").in_input(),
        other => other,
    }
}

/// The lower-case key of a name, within the column's 120 characters (lower-casing can lengthen
/// a few letters).
fn name_key(name: &str) -> AppResult<String> {
    let key = name.to_lowercase();
    if key.chars().count() > limits::SHORT_NAME {
        return Err(AppError::invalid("name", format!("name must be at most {} characters", limits::SHORT_NAME)));
    }
    Ok(key)
}

fn name_taken() -> AppError {
    AppError::invalid("name", "the organization already has a service of this name")
}

async fn ensure_name_free(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    key: &str,
    except: Option<Uuid>,
) -> AppResult<()> {
    let mut same = service::Entity::find()
        .filter(service::Column::OrganizationId.eq(viewer.org_id))
        .filter(service::Column::NameKey.eq(key));
    if let Some(id) = except {
        same = same.filter(service::Column::Id.ne(id));
    }
    if same.one(db).await?.is_some() { Err(name_taken()) } else { Ok(()) }
}

/// The viewer manages the team that owns (or is to own) a service: an admin or its lead.
async fn require_owner(db: &impl ConnectionTrait, viewer: &Viewer, team_id: Uuid) -> AppResult<()> {
    if teams::manages(db, viewer, team_id).await? {
        Ok(())
    } else {
        Err(AppError::forbidden("only an admin or a lead of the owning team may change its services"))
    }
}

async fn record(tx: &impl ConnectionTrait, viewer: &Viewer, service: &service::Model, change: Change) -> AppResult<()> {
    events::record_change(tx, viewer, (NodeKind::Service, service.id), change).await
}

fn team_id(service: &service::Model) -> GlobalId {
    GlobalId::new(NodeKind::Team, service.owner_team_id)
}

pub struct NewService {
    pub name: String,
    pub description: Option<String>,
    pub owner_team_id: Uuid,
    pub tier: Option<i32>,
}

/// Adds a service to the catalog (`createService`): an admin, or a lead of the owning team.
pub async fn create(db: &DatabaseConnection, viewer: &Viewer, input: NewService) -> AppResult<service::Model> {
    let tx = db::begin_write(db, viewer.org_id).await?;
    let team = teams::find_in_org(&tx, viewer.org_id, input.owner_team_id).await.map_err(no_such_team)?;
    require_owner(&tx, viewer, team.id).await?;
    let (name, description, tier) = validate::all((
        validate::required_text("name", &input.name, limits::SHORT_NAME),
        validate::optional_text("description", input.description.as_deref(), limits::TEXT),
        tier(input.tier.unwrap_or(DEFAULT_TIER)),
    ))
    .map_err(AppError::in_input)?;
    let key = name_key(&name).map_err(AppError::in_input)?;
    ensure_name_free(&tx, viewer, &key, None).await.map_err(AppError::in_input)?;
    let now = viewer.now();
    let service = service::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(viewer.org_id),
        name: Set(name),
        name_key: Set(key),
        description: Set(description),
        owner_team_id: Set(team.id),
        tier: Set(tier),
        archived_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&tx)
    .await
    .map_err(|e| AppError::unique_violation_or(e, || name_taken().in_input()))?;
    record(&tx, viewer, &service, Change::ServiceCreated { owner_team_id: team_id(&service), tier: service.tier })
        .await?;
    tx.commit().await?;
    Ok(service)
}

/// Changes to a service; `None` keeps a field, an empty description clears it.
#[derive(Default)]
pub struct ServiceChanges {
    pub name: Option<String>,
    pub description: Option<String>,
    pub owner_team_id: Option<Uuid>,
    pub tier: Option<i32>,
}

/// Changes a service (`updateService`): an admin or a lead of the owning team; giving it to
/// another team needs the same of that team.
pub async fn update(
    db: &DatabaseConnection,
    viewer: &Viewer,
    service_id: Uuid,
    changes: ServiceChanges,
) -> AppResult<service::Model> {
    let tx = db::begin_write(db, viewer.org_id).await?;
    let service = find_in_org(&tx, viewer, service_id).await?;
    require_owner(&tx, viewer, service.owner_team_id).await?;
    let new_team = match changes.owner_team_id {
        Some(id) => {
            let team = teams::find_in_org(&tx, viewer.org_id, id).await.map_err(no_such_team)?;
            require_owner(&tx, viewer, team.id).await?;
            Some(team.id)
        }
        None => None,
    };
    let (name, description, tier) = validate::all((
        changes.name.as_deref().map(|n| validate::required_text("name", n, limits::SHORT_NAME)).transpose(),
        changes
            .description
            .as_deref()
            .map(|d| validate::optional_text("description", Some(d), limits::TEXT))
            .transpose(),
        changes.tier.map(tier).transpose(),
    ))
    .map_err(AppError::in_input)?;
    let mut active = service.clone().into_active_model();
    if let Some(name) = name {
        let key = name_key(&name).map_err(AppError::in_input)?;
        ensure_name_free(&tx, viewer, &key, Some(service.id)).await.map_err(AppError::in_input)?;
        active.name = Set(name);
        active.name_key = Set(key);
    }
    if let Some(description) = description {
        active.description = Set(description);
    }
    if let Some(tier) = tier {
        active.tier = Set(tier);
    }
    if let Some(team) = new_team {
        active.owner_team_id = Set(team);
    }
    active.updated_at = Set(viewer.now());
    let service = active.update(&tx).await.map_err(|e| AppError::unique_violation_or(e, || name_taken().in_input()))?;
    record(&tx, viewer, &service, Change::ServiceUpdated { owner_team_id: team_id(&service), tier: service.tier })
        .await?;
    tx.commit().await?;
    Ok(service)
}

/// Archives a service (`archiveService`): it leaves the catalog's lists and can no longer be
/// named on an incident, and stays on the incidents that named it. Archiving again changes
/// nothing.
pub async fn archive(db: &DatabaseConnection, viewer: &Viewer, service_id: Uuid) -> AppResult<service::Model> {
    let tx = db::begin_write(db, viewer.org_id).await?;
    let service = find_in_org(&tx, viewer, service_id).await?;
    require_owner(&tx, viewer, service.owner_team_id).await?;
    if service.archived_at.is_some() {
        return Ok(service);
    }
    let mut active = service.into_active_model();
    active.archived_at = Set(Some(viewer.now()));
    active.updated_at = Set(viewer.now());
    let service = active.update(&tx).await?;
    record(&tx, viewer, &service, Change::ServiceArchived { owner_team_id: team_id(&service) }).await?;
    tx.commit().await?;
    Ok(service)
}

async fn find_in_org(db: &impl ConnectionTrait, viewer: &Viewer, service_id: Uuid) -> AppResult<service::Model> {
    get(db, viewer, service_id).await?.ok_or(AppError::NotFound("service"))
}

/// A service of the viewer's organization.
pub async fn get(db: &impl ConnectionTrait, viewer: &Viewer, service_id: Uuid) -> AppResult<Option<service::Model>> {
    Ok(service::Entity::find_by_id(service_id)
        .filter(service::Column::OrganizationId.eq(viewer.org_id))
        .one(db)
        .await?)
}

/// What `services` lists.
#[derive(Default)]
pub struct ServiceFilter {
    /// Words of the name, in any case.
    pub search: Option<String>,
    pub owner_team_id: Option<Uuid>,
    pub include_archived: bool,
}

/// The catalog, by name.
pub async fn list(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    filter: ServiceFilter,
    page: &PageRequest,
) -> AppResult<Page<service::Model>> {
    let mut select = service::Entity::find().filter(service::Column::OrganizationId.eq(viewer.org_id));
    if let Some(team) = filter.owner_team_id {
        select = select.filter(service::Column::OwnerTeamId.eq(team));
    }
    if !filter.include_archived {
        select = select.filter(service::Column::ArchivedAt.is_null());
    }
    if let Some(term) = validate::search("search", filter.search.as_deref())? {
        let pattern = format!("%{}%", validate::escape_like(&term.to_lowercase()));
        select = select.filter(Expr::col(service::Column::NameKey).like(LikeExpr::new(pattern).escape('\\')));
    }
    paginate(db, select, service::Column::NameKey, Order::Asc, |s| s.name_key.clone(), page).await
}

/// Replaces the services an incident touched (`setIncidentServices`): those who may change the
/// incident. At most 20, each a service of the organization; an archived one only if the
/// incident already named it.
pub async fn set_for_incident(
    db: &DatabaseConnection,
    viewer: &Viewer,
    incident_id: Uuid,
    service_ids: Vec<Uuid>,
) -> AppResult<incident::Model> {
    validate::at_most("serviceIds", &service_ids, limits::TAGS)?;
    let tx = db::begin_write(db, viewer.org_id).await?;
    let incident = incidents::changeable(&tx, viewer, incident_id).await?;
    let named: Vec<Uuid> = incident_service::Entity::find()
        .filter(incident_service::Column::IncidentId.eq(incident.id))
        .all(&tx)
        .await?
        .into_iter()
        .map(|link| link.service_id)
        .collect();
    let found = service::Entity::find()
        .filter(service::Column::OrganizationId.eq(viewer.org_id))
        .filter(service::Column::Id.is_in(service_ids.iter().copied()))
        .all(&tx)
        .await?;
    let mut ids = validate::each("serviceIds", &service_ids, |id| match found.iter().find(|s| s.id == *id) {
        None => Err(AppError::invalid("serviceIds", "no service of the organization has this ID")),
        Some(s) if s.archived_at.is_some() && !named.contains(&s.id) => {
            Err(AppError::invalid("serviceIds", "this service is archived"))
        }
        Some(s) => Ok(s.id),
    })?;
    ids.sort();
    ids.dedup();
    incident_service::Entity::delete_many()
        .filter(incident_service::Column::IncidentId.eq(incident.id))
        .exec(&tx)
        .await?;
    for id in &ids {
        incident_service::ActiveModel { incident_id: Set(incident.id), service_id: Set(*id) }.insert(&tx).await?;
    }
    let service_ids = ids.iter().map(|id| GlobalId::new(NodeKind::Service, *id)).collect();
    incidents::commit_change(tx, viewer, incident, Change::IncidentServicesSet { service_ids }).await
}

/// The names of some of the organization's services, by ID (others' left out).
pub async fn names(db: &impl ConnectionTrait, org_id: Uuid, ids: Vec<Uuid>) -> AppResult<HashMap<Uuid, String>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(Uuid, String)> = service::Entity::find()
        .filter(service::Column::OrganizationId.eq(org_id))
        .filter(service::Column::Id.is_in(ids))
        .select_only()
        .columns([service::Column::Id, service::Column::Name])
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().collect())
}

/// The services teams own and have not archived, by name.
pub async fn of_teams(db: &impl ConnectionTrait, team_ids: Vec<Uuid>) -> AppResult<Vec<service::Model>> {
    Ok(service::Entity::find()
        .filter(service::Column::OwnerTeamId.is_in(team_ids))
        .filter(service::Column::ArchivedAt.is_null())
        .order_by_asc(service::Column::NameKey)
        .all(db)
        .await?)
}

//! Teams and their members. Admins create teams; admins and the team's leads manage it.

use entity::{TeamRole, membership, team, user};
use sea_orm::Order;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, IntoActiveModel,
    ModelTrait, PaginatorTrait, QueryFilter, QuerySelect,
};
use uuid::Uuid;

use crate::auth::Viewer;
use crate::db;
use crate::domain::pagination::{Page, PageRequest, paginate};
use crate::domain::{users, validate};
use crate::error::{AppError, AppResult};
use crate::events::{self, Change, MembershipChange};
use crate::ids::{GlobalId, NodeKind};

/// A team of the viewer's organization; teams of other organizations do not exist for it.
pub async fn find_in_org(db: &impl ConnectionTrait, org_id: Uuid, team_id: Uuid) -> AppResult<team::Model> {
    team::Entity::find_by_id(team_id)
        .filter(team::Column::OrganizationId.eq(org_id))
        .one(db)
        .await?
        .ok_or(AppError::NotFound("team"))
}

/// Checks, in one statement, that every one of `team_ids` (without duplicates) is a team of the
/// organization; NOT_FOUND otherwise.
pub async fn ensure_all_in_org(db: &impl ConnectionTrait, org_id: Uuid, team_ids: &[Uuid]) -> AppResult<()> {
    if team_ids.is_empty() {
        return Ok(());
    }
    let found = team::Entity::find()
        .filter(team::Column::OrganizationId.eq(org_id))
        .filter(team::Column::Id.is_in(team_ids.iter().copied()))
        .count(db)
        .await?;
    if usize::try_from(found).ok() != Some(team_ids.len()) {
        return Err(AppError::NotFound("team"));
    }
    Ok(())
}

/// The names of some of the organization's teams, by ID (others' left out).
pub async fn names(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    ids: Vec<Uuid>,
) -> AppResult<std::collections::HashMap<Uuid, String>> {
    if ids.is_empty() {
        return Ok(Default::default());
    }
    let rows: Vec<(Uuid, String)> = team::Entity::find()
        .filter(team::Column::OrganizationId.eq(org_id))
        .filter(team::Column::Id.is_in(ids))
        .select_only()
        .columns([team::Column::Id, team::Column::Name])
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().collect())
}

pub async fn get(db: &impl ConnectionTrait, viewer: &Viewer, team_id: Uuid) -> AppResult<Option<team::Model>> {
    match find_in_org(db, viewer.org_id, team_id).await {
        Ok(team) => Ok(Some(team)),
        Err(AppError::NotFound(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Every team of the organization, ordered by slug.
pub async fn list(db: &impl ConnectionTrait, viewer: &Viewer, page: &PageRequest) -> AppResult<Page<team::Model>> {
    let select = team::Entity::find().filter(team::Column::OrganizationId.eq(viewer.org_id));
    paginate(db, select, team::Column::Slug, Order::Asc, |t| t.slug.clone(), page).await
}

/// The viewer's role in a team, if they are a member.
pub async fn role_of(db: &impl ConnectionTrait, user_id: Uuid, team_id: Uuid) -> AppResult<Option<TeamRole>> {
    Ok(membership::Entity::find()
        .filter(membership::Column::TeamId.eq(team_id))
        .filter(membership::Column::UserId.eq(user_id))
        .one(db)
        .await?
        .map(|m| m.role))
}

/// Admins manage every team; a lead manages their own.
/// Whether the viewer manages the team (and what belongs to it, such as its webhooks): an
/// admin or one of its leads.
pub(crate) async fn manages(db: &impl ConnectionTrait, viewer: &Viewer, team_id: Uuid) -> AppResult<bool> {
    Ok(viewer.is_admin() || role_of(db, viewer.user_id, team_id).await? == Some(TeamRole::Lead))
}

async fn require_manager(db: &impl ConnectionTrait, viewer: &Viewer, team_id: Uuid) -> AppResult<()> {
    if manages(db, viewer, team_id).await? {
        Ok(())
    } else {
        Err(AppError::forbidden("only an admin or a lead of this team may manage it"))
    }
}

pub struct NewTeam {
    pub name: String,
    pub slug: Option<String>,
    pub description: Option<String>,
}

pub async fn create(db: &DatabaseConnection, viewer: &Viewer, input: NewTeam) -> AppResult<team::Model> {
    viewer.require_admin()?;
    let (name, slug, description) = validate::all((
        validate::required_text("name", &input.name, validate::limits::SHORT_NAME),
        match input.slug.as_deref() {
            Some(slug) => validate::slug("slug", slug),
            None => validate::slug("name", &validate::slugify(&input.name)),
        },
        validate::optional_text("description", input.description.as_deref(), validate::limits::TEXT),
    ))
    .map_err(AppError::in_input)?;
    let tx = db::begin_write(db, viewer.org_id).await?;
    ensure_slug_free(&tx, viewer.org_id, &slug, None).await.map_err(AppError::in_input)?;
    let now = viewer.now();
    let team = team::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(viewer.org_id),
        name: Set(name),
        slug: Set(slug),
        description: Set(description),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&tx)
    .await
    .map_err(|e| AppError::unique_violation_or(e, slug_taken))?;
    record_team_event(&tx, viewer, &team, Change::TeamCreated {}).await?;
    tx.commit().await?;
    Ok(team)
}

fn slug_taken() -> AppError {
    AppError::invalid("slug", "another team of this organization already uses this slug")
}

async fn ensure_slug_free(db: &impl ConnectionTrait, org_id: Uuid, slug: &str, except: Option<Uuid>) -> AppResult<()> {
    let existing = team::Entity::find()
        .filter(team::Column::OrganizationId.eq(org_id))
        .filter(team::Column::Slug.eq(slug))
        .one(db)
        .await?;
    match existing {
        Some(team) if Some(team.id) != except => Err(slug_taken()),
        _ => Ok(()),
    }
}

async fn record_team_event(
    tx: &impl ConnectionTrait,
    viewer: &Viewer,
    team: &team::Model,
    change: Change,
) -> AppResult<()> {
    events::record_change(tx, viewer, (NodeKind::Team, team.id), change).await
}

/// Changes to a team; `None` leaves a field as it is, an empty description clears it.
pub struct TeamChanges {
    pub name: Option<String>,
    pub slug: Option<String>,
    pub description: Option<String>,
}

pub async fn update(
    db: &DatabaseConnection,
    viewer: &Viewer,
    team_id: Uuid,
    changes: TeamChanges,
) -> AppResult<team::Model> {
    let tx = db::begin_write(db, viewer.org_id).await?;
    viewer.require_admin()?;
    let team = find_in_org(&tx, viewer.org_id, team_id).await?;
    let slug = match changes.slug.as_deref() {
        Some(slug) => match validate::slug("slug", slug) {
            Ok(slug) => ensure_slug_free(&tx, viewer.org_id, &slug, Some(team_id)).await.map(|()| Some(slug)),
            Err(e) => Err(e),
        },
        None => Ok(None),
    };
    let (name, slug, description) = validate::all((
        changes
            .name
            .as_deref()
            .map(|name| validate::required_text("name", name, validate::limits::SHORT_NAME))
            .transpose(),
        slug,
        changes
            .description
            .as_deref()
            .map(|text| validate::optional_text("description", Some(text), validate::limits::TEXT))
            .transpose(),
    ))
    .map_err(AppError::in_input)?;
    let mut active = team.into_active_model();
    if let Some(name) = name {
        active.name = Set(name);
    }
    if let Some(slug) = slug {
        active.slug = Set(slug);
    }
    if let Some(description) = description {
        active.description = Set(description);
    }
    active.updated_at = Set(viewer.now());
    let team = active.update(&tx).await.map_err(|e| AppError::unique_violation_or(e, slug_taken))?;
    record_team_event(&tx, viewer, &team, Change::TeamUpdated {}).await?;
    tx.commit().await?;
    Ok(team)
}

/// A membership of one of the organization's teams, for `node(id:)`.
pub async fn get_membership(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    membership_id: Uuid,
) -> AppResult<Option<membership::Model>> {
    let Some(membership) = membership::Entity::find_by_id(membership_id).one(db).await? else {
        return Ok(None);
    };
    Ok(get(db, viewer, membership.team_id).await?.map(|_| membership))
}

pub async fn add_member(
    db: &DatabaseConnection,
    viewer: &Viewer,
    team_id: Uuid,
    user_id: Uuid,
    role: TeamRole,
) -> AppResult<membership::Model> {
    let tx = db::begin_write(db, viewer.org_id).await?;
    let team = find_in_org(&tx, viewer.org_id, team_id).await?;
    require_manager(&tx, viewer, team.id).await?;
    let user = users::find_in_org(&tx, viewer.org_id, user_id).await?;
    if !user.active {
        return Err(AppError::invalid("userId", "a deactivated user cannot join a team"));
    }
    let already = || {
        AppError::invalid(
            "userId",
            "this user is already a member of the team; use updateTeamMember to change the role",
        )
    };
    if role_of(&tx, user.id, team.id).await?.is_some() {
        return Err(already());
    }
    let now = viewer.now();
    let membership = membership::ActiveModel {
        id: Set(Uuid::now_v7()),
        team_id: Set(team.id),
        user_id: Set(user.id),
        role: Set(role),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&tx)
    .await
    .map_err(|e| AppError::unique_violation_or(e, already))?;
    record_membership_event(&tx, viewer, &membership, &user, Change::TeamMemberAdded).await?;
    tx.commit().await?;
    Ok(membership)
}

async fn find_membership(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    team_id: Uuid,
    user_id: Uuid,
) -> AppResult<(membership::Model, user::Model)> {
    let team = find_in_org(db, viewer.org_id, team_id).await?;
    require_manager(db, viewer, team.id).await?;
    let user = users::find_in_org(db, viewer.org_id, user_id).await?;
    let membership = membership::Entity::find()
        .filter(membership::Column::TeamId.eq(team.id))
        .filter(membership::Column::UserId.eq(user.id))
        .one(db)
        .await?
        .ok_or(AppError::NotFound("membership"))?;
    Ok((membership, user))
}

pub async fn update_member(
    db: &DatabaseConnection,
    viewer: &Viewer,
    team_id: Uuid,
    user_id: Uuid,
    role: TeamRole,
) -> AppResult<membership::Model> {
    let tx = db::begin_write(db, viewer.org_id).await?;
    let (membership, user) = find_membership(&tx, viewer, team_id, user_id).await?;
    if membership.role == role {
        return Ok(membership);
    }
    let mut active = membership.into_active_model();
    active.role = Set(role);
    active.updated_at = Set(viewer.now());
    let membership = active.update(&tx).await?;
    record_membership_event(&tx, viewer, &membership, &user, Change::TeamMemberUpdated).await?;
    tx.commit().await?;
    Ok(membership)
}

pub async fn remove_member(db: &DatabaseConnection, viewer: &Viewer, team_id: Uuid, user_id: Uuid) -> AppResult<()> {
    let tx = db::begin_write(db, viewer.org_id).await?;
    let (membership, user) = find_membership(&tx, viewer, team_id, user_id).await?;
    record_membership_event(&tx, viewer, &membership, &user, Change::TeamMemberRemoved).await?;
    membership.delete(&tx).await?;
    tx.commit().await?;
    Ok(())
}

async fn record_membership_event(
    tx: &impl ConnectionTrait,
    viewer: &Viewer,
    membership: &membership::Model,
    user: &user::Model,
    change: fn(MembershipChange) -> Change,
) -> AppResult<()> {
    let membership_change = MembershipChange {
        membership_id: GlobalId::new(NodeKind::Membership, membership.id),
        user_id: GlobalId::new(NodeKind::User, user.id),
        role: membership.role,
    };
    events::record_change(tx, viewer, (NodeKind::Team, membership.team_id), change(membership_change)).await
}

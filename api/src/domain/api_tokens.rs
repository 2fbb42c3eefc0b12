//! API tokens for scripts: created and revoked by a signed-in person, never by another token.

use chrono::{DateTime, Utc};
use entity::{TokenScope, api_token};
use sea_orm::Order;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, IntoActiveModel,
    QueryFilter,
};
use uuid::Uuid;

use crate::auth::{Viewer, secret};
use crate::db;
use crate::domain::identity::Reauthenticated;
use crate::domain::pagination::{Page, PageRequest, paginate};
use crate::domain::validate;
use crate::error::{AppError, AppResult};
use crate::events::{self, Change};
use crate::ids::NodeKind;

/// A new token and its secret, which is shown this once and stored only hashed.
pub struct NewApiToken {
    pub token: api_token::Model,
    pub secret: String,
}

/// How long a token lives when its creator names no expiry.
pub const DEFAULT_LIFETIME: chrono::TimeDelta = chrono::TimeDelta::days(90);

/// Creates a token acting as the viewer, who has just entered their password again (a stolen
/// access token alone cannot mint a token that outlives it). Without `expires_at` it expires in
/// `DEFAULT_LIFETIME`.
pub async fn create(
    db: &DatabaseConnection,
    viewer: &Viewer,
    _confirmed: Reauthenticated,
    name: &str,
    scope: TokenScope,
    expires_at: Option<DateTime<Utc>>,
) -> AppResult<NewApiToken> {
    viewer.require_session()?;
    let now = viewer.now();
    let (name, ()) = validate::all((
        validate::required_text("name", name, validate::limits::SHORT_NAME),
        match expires_at {
            Some(at) if at <= now => Err(AppError::invalid("expiresAt", "expiresAt must be in the future")),
            _ => Ok(()),
        },
    ))?;
    let expires_at = Some(expires_at.unwrap_or(now + DEFAULT_LIFETIME));
    let secret = secret::generate(secret::API_TOKEN_PREFIX);
    let tx = db::begin_write(db, viewer.org_id).await?;
    let token = api_token::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(viewer.org_id),
        user_id: Set(viewer.user_id),
        name: Set(name),
        scope: Set(scope),
        secret_hash: Set(secret::digest(&secret)),
        expires_at: Set(expires_at),
        last_used_at: Set(None),
        revoked_at: Set(None),
        created_at: Set(now),
    }
    .insert(&tx)
    .await?;
    record(&tx, viewer, &token, |scope| Change::ApiTokenCreated { scope }).await?;
    tx.commit().await?;
    Ok(NewApiToken { token, secret })
}

/// Revokes one of the viewer's tokens (an admin may revoke any token of the organization).
pub async fn revoke(db: &DatabaseConnection, viewer: &Viewer, token_id: Uuid) -> AppResult<api_token::Model> {
    viewer.require_session()?;
    let tx = db::begin_write(db, viewer.org_id).await?;
    let token = find_visible(&tx, viewer, token_id).await?;
    if token.revoked_at.is_some() {
        return Ok(token);
    }
    let mut active = token.into_active_model();
    active.revoked_at = Set(Some(viewer.now()));
    let token = active.update(&tx).await?;
    record(&tx, viewer, &token, |scope| Change::ApiTokenRevoked { scope }).await?;
    tx.commit().await?;
    Ok(token)
}

/// A token the viewer may see: their own, or any of the organization's for an admin.
pub async fn find_visible(db: &impl ConnectionTrait, viewer: &Viewer, token_id: Uuid) -> AppResult<api_token::Model> {
    let token = api_token::Entity::find_by_id(token_id)
        .filter(api_token::Column::OrganizationId.eq(viewer.org_id))
        .one(db)
        .await?
        .ok_or(AppError::NotFound("API token"))?;
    if token.user_id != viewer.user_id && !viewer.is_admin() {
        return Err(AppError::NotFound("API token"));
    }
    Ok(token)
}

/// The viewer's own tokens, oldest first.
pub async fn list_own(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    page: &PageRequest,
) -> AppResult<Page<api_token::Model>> {
    let select = api_token::Entity::find().filter(api_token::Column::UserId.eq(viewer.user_id));
    paginate(db, select, api_token::Column::Id, Order::Asc, |t| t.id.to_string(), page).await
}

async fn record(
    tx: &impl ConnectionTrait,
    viewer: &Viewer,
    token: &api_token::Model,
    change: fn(TokenScope) -> Change,
) -> AppResult<()> {
    events::record_change(tx, viewer, (NodeKind::ApiToken, token.id), change(token.scope)).await
}

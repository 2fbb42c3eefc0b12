use async_graphql::{Context, ID, Object, Result};
use chrono::{DateTime, Utc};
use entity::{api_token, invitation, organization, user};

use super::{Membership, OrgRole, ReviewPolicy, TokenScope};
use crate::domain::{identity::Session, policy};
use crate::graphql::ContextExt;
use crate::graphql::loaders::{self, MembershipsOf};
use crate::ids::{self, NodeKind};

pub struct Organization(pub organization::Model);

/// The tenant: every object belongs to exactly one organization.
#[Object]
impl Organization {
    pub async fn id(&self) -> ID {
        ids::encode(NodeKind::Organization, self.0.id).into()
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn slug(&self) -> &str {
        &self.0.slug
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// The organization's review policy.
    async fn review_policy(&self, ctx: &Context<'_>) -> Result<ReviewPolicy> {
        Ok(ReviewPolicy(policy::for_org(ctx.db(), self.0.id).await?))
    }
}

pub struct User(pub user::Model);

/// A person of the organization.
#[Object]
impl User {
    pub async fn id(&self) -> ID {
        ids::encode(NodeKind::User, self.0.id).into()
    }
    async fn email(&self) -> &str {
        &self.0.email
    }
    async fn display_name(&self) -> &str {
        &self.0.display_name
    }
    /// Role in the organization.
    async fn role(&self) -> OrgRole {
        self.0.role.into()
    }
    /// A deactivated user cannot sign in and owns nothing new.
    async fn active(&self) -> bool {
        self.0.active
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// The teams the user belongs to, with their role in each.
    #[graphql(complexity = "crate::graphql::cost::list(child_complexity, crate::graphql::cost::TEAMS_OF_A_PERSON)")]
    async fn teams(&self, ctx: &Context<'_>) -> Result<Vec<Membership>> {
        let memberships = loaders::list(ctx, MembershipsOf(self.0.id)).await?;
        Ok(memberships.into_iter().map(Membership).collect())
    }
}

pub struct Invitation(pub invitation::Model);

/// An invitation to join the organization with a role.
#[Object]
impl Invitation {
    pub async fn id(&self) -> ID {
        ids::encode(NodeKind::Invitation, self.0.id).into()
    }
    async fn email(&self) -> &str {
        &self.0.email
    }
    async fn role(&self) -> OrgRole {
        self.0.role.into()
    }
    async fn expires_at(&self) -> DateTime<Utc> {
        self.0.expires_at
    }
    async fn accepted_at(&self) -> Option<DateTime<Utc>> {
        self.0.accepted_at
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

pub struct ApiToken(pub api_token::Model);

/// A long-lived token for scripts. Its secret is shown once, when created.
#[Object]
impl ApiToken {
    pub async fn id(&self) -> ID {
        ids::encode(NodeKind::ApiToken, self.0.id).into()
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn scope(&self) -> TokenScope {
        self.0.scope.into()
    }
    async fn expires_at(&self) -> Option<DateTime<Utc>> {
        self.0.expires_at
    }
    async fn last_used_at(&self) -> Option<DateTime<Utc>> {
        self.0.last_used_at
    }
    async fn revoked_at(&self) -> Option<DateTime<Utc>> {
        self.0.revoked_at
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

pub struct AuthPayload(pub Session);

/// A signed-in session.
#[Object]
impl AuthPayload {
    /// Send as `Authorization: Bearer <accessToken>`.
    async fn access_token(&self) -> &str {
        &self.0.access_token
    }
    /// Exchange with `refreshSession` for a new pair before `expiresAt`; single use.
    async fn refresh_token(&self) -> &str {
        &self.0.refresh_token
    }
    /// When the access token expires.
    async fn expires_at(&self) -> DateTime<Utc> {
        self.0.expires_at
    }
    async fn user(&self) -> User {
        User(self.0.user.clone())
    }
}

/// A new invitation and its one-time token (shown only here).
#[derive(async_graphql::SimpleObject)]
pub struct InvitationPayload {
    pub invitation: Invitation,
    pub token: String,
}

/// A new API token and its secret (shown only here).
#[derive(async_graphql::SimpleObject)]
pub struct ApiTokenPayload {
    pub api_token: ApiToken,
    pub secret: String,
}

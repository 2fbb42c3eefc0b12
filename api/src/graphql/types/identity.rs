use async_graphql::{Context, ID, Object, Result};
use chrono::{DateTime, Utc};
use entity::{api_token, invitation, organization, user};

use super::{Membership, OrgRole, ReviewPolicy, TokenScope};
use crate::domain::{accounts, identity::Session, policy};
use crate::graphql::ContextExt;
use crate::graphql::loaders::{self, MembershipsOf};
use crate::ids::{self, NodeKind};

pub struct Organization(pub organization::Model);

/// The tenant: every object belongs to exactly one organization.
#[Object]
impl Organization {
    /// Opaque global ID; `node(id:)` resolves it.
    pub async fn id(&self) -> ID {
        ids::encode(NodeKind::Organization, self.0.id).into()
    }
    /// The organization's name, as given at sign-up.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// A URL-safe identifier derived from the name, unique on this server.
    async fn slug(&self) -> &str {
        &self.0.slug
    }
    /// When the organization signed up.
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
    /// Opaque global ID; `node(id:)` resolves it.
    pub async fn id(&self) -> ID {
        ids::encode(NodeKind::User, self.0.id).into()
    }
    /// The sign-in email, lower-case; unique among this server's confirmed accounts.
    async fn email(&self) -> &str {
        &self.0.email
    }
    /// The name shown to others.
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
    /// When the account was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// What the user receives by email. Only the user themself sees it (null for anyone else,
    /// and for API tokens).
    async fn notification_preferences(&self, ctx: &Context<'_>) -> Option<NotificationPreferences> {
        accounts::Preferences::seen_by(ctx.viewer().ok()?, &self.0).map(Into::into)
    }
    /// The teams the user belongs to, with their role in each, oldest membership first.
    #[graphql(complexity = "crate::graphql::cost::list(child_complexity, crate::graphql::cost::TEAMS_OF_A_PERSON)")]
    async fn teams(&self, ctx: &Context<'_>) -> Result<Vec<Membership>> {
        let memberships = loaders::list(ctx, MembershipsOf(self.0.id)).await?;
        Ok(memberships.into_iter().map(Membership).collect())
    }
}

pub struct Invitation(pub invitation::Model);

/// An invitation to join the organization with a role. Visible to admins only.
#[Object]
impl Invitation {
    /// Opaque global ID; `node(id:)` resolves it.
    pub async fn id(&self) -> ID {
        ids::encode(NodeKind::Invitation, self.0.id).into()
    }
    /// The invited address, lower-case.
    async fn email(&self) -> &str {
        &self.0.email
    }
    /// The organization role the invitee gets on accepting.
    async fn role(&self) -> OrgRole {
        self.0.role.into()
    }
    /// When the token stops working (7 days after the invitation, by default).
    async fn expires_at(&self) -> DateTime<Utc> {
        self.0.expires_at
    }
    /// When it was accepted; null while pending.
    async fn accepted_at(&self) -> Option<DateTime<Utc>> {
        self.0.accepted_at
    }
    /// When it was sent.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

pub struct ApiToken(pub api_token::Model);

/// A long-lived token for scripts, acting as the user who created it. Its secret is shown
/// once, when created. Visible to its user and to admins.
#[Object]
impl ApiToken {
    /// Opaque global ID; `node(id:)` resolves it.
    pub async fn id(&self) -> ID {
        ids::encode(NodeKind::ApiToken, self.0.id).into()
    }
    /// What the token is for, as its creator named it.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// What it may do.
    async fn scope(&self) -> TokenScope {
        self.0.scope.into()
    }
    /// When it stops working; tokens are created with one (90 days unless chosen).
    async fn expires_at(&self) -> Option<DateTime<Utc>> {
        self.0.expires_at
    }
    /// When it last authenticated a request (to the minute); null if never used.
    async fn last_used_at(&self) -> Option<DateTime<Utc>> {
        self.0.last_used_at
    }
    /// When it was revoked; null while it works.
    async fn revoked_at(&self) -> Option<DateTime<Utc>> {
        self.0.revoked_at
    }
    /// When it was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

pub struct AuthPayload(pub Session);

/// A signed-in session.
#[Object]
impl AuthPayload {
    /// Send as `Authorization: Bearer <accessToken>` (or as `authorization` in the WebSocket's
    /// `connection_init` payload) until `expiresAt`.
    async fn access_token(&self) -> &str {
        &self.0.access_token
    }
    /// Exchange it with `refreshSession` for a new pair when the access token expires. It
    /// works once, and lasts 30 days by default. Empty on a server in cookie mode
    /// (`--session-cookie`): the token is then in an HttpOnly cookie, out of the page's reach.
    async fn refresh_token(&self, ctx: &Context<'_>) -> &str {
        if ctx.state().config.session_cookie { "" } else { &self.0.refresh_token }
    }
    /// When the access token expires: 15 minutes after it was issued, by default.
    async fn expires_at(&self) -> DateTime<Utc> {
        self.0.expires_at
    }
    /// The signed-in user.
    async fn user(&self) -> User {
        User(self.0.user.clone())
    }
}

/// A new invitation and its one-time token (shown only here).
#[derive(async_graphql::SimpleObject)]
pub struct InvitationPayload {
    /// The invitation created.
    pub invitation: Invitation,
    /// The one-time invitation token (`hsi_…`): send it to the invitee, who passes it to
    /// `acceptInvitation`. Never shown again. Empty on a server that emails it to the invitee.
    pub token: String,
}

/// What a person receives by email (`me.notificationPreferences`). Every notification email
/// carries a one-click link that turns its kind off.
#[derive(async_graphql::SimpleObject)]
pub struct NotificationPreferences {
    /// Emails about deadlines of what the person must act on: an action they own due soon or
    /// overdue; a review they facilitate or lead due, late or unpublished; a follow-up due. On
    /// by default.
    pub nudges: bool,
    /// A weekly email (Mondays) of the reviews published in the organization the week before,
    /// by team, with their learnings, and the open actions of the person's teams. Off by
    /// default.
    pub digest: bool,
}

impl From<accounts::Preferences> for NotificationPreferences {
    fn from(p: accounts::Preferences) -> Self {
        Self { nudges: p.nudges, digest: p.digest }
    }
}

/// A password reset link an admin issued by hand (`createPasswordReset`), shown only here.
#[derive(async_graphql::SimpleObject)]
pub struct PasswordResetPayload {
    /// Whose password it resets.
    pub user: User,
    /// The one-time token (`hsp_…`) for `resetPassword`: hand it to the person. Never shown
    /// again.
    pub token: String,
    /// The front-end's reset page with the token (`{public}/reset-password?token=…`); null
    /// without `--public-url`.
    pub url: Option<String>,
    /// When the token stops working (one hour).
    pub expires_at: DateTime<Utc>,
}

/// A new API token and its secret (shown only here).
#[derive(async_graphql::SimpleObject)]
pub struct ApiTokenPayload {
    /// The token created.
    pub api_token: ApiToken,
    /// The secret (`hsk_…`): send it as `Authorization: Bearer <secret>`. Never shown again.
    pub secret: String,
}

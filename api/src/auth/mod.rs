//! Who is asking: access tokens, API tokens, passwords, and the `Viewer` every domain function takes.

pub mod cookie;
pub mod jwt;
pub mod password;
pub mod secret;
pub mod throttle;

use std::time::Duration;

use chrono::{DateTime, Utc};

use entity::{OrgRole, TokenScope, api_token, refresh_token, user};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::clock::Clock;
use crate::error::{AppError, AppResult, AuthFailure};
pub use jwt::JwtKeys;
pub use password::Passwords;

/// How the viewer authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credential {
    /// An access token from `login`; `session_id` is its refresh-token family.
    Session { session_id: Uuid },
    /// An API token for scripts.
    ApiToken { token_id: Uuid, scope: TokenScope },
    /// What a webhook's scope reads, checked by the same rules as a person's reads: an
    /// organization-wide webhook reads as an admin, a team's as a member of that team. No user
    /// stands behind it (its `user_id` is nil), and it never writes.
    Webhook { webhook_id: Uuid, team_id: Option<Uuid> },
}

/// The authenticated user a request acts as.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub user_id: Uuid,
    pub org_id: Uuid,
    pub org_role: OrgRole,
    pub credential: Credential,
    /// When the credential stops being valid, if it ever does.
    pub expires_at: Option<DateTime<Utc>>,
    /// The clock the viewer's requests are served by (the application's).
    pub clock: Clock,
}

impl Viewer {
    /// A person as the viewer, without a request of theirs: an email or a mention is checked
    /// against what they may read with it (and the demo acts as its people with it).
    pub fn of_person(user: &user::Model, clock: &Clock) -> Self {
        Self {
            user_id: user.id,
            org_id: user.organization_id,
            org_role: user.role,
            credential: Credential::Session { session_id: Uuid::nil() },
            expires_at: None,
            clock: clock.clone(),
        }
    }

    /// Someone of the organization with no standing in it: an ordinary member of no team, who
    /// responded to nothing and takes part in nothing. The read rules only ever add to what a
    /// member reads, so what this viewer reads every member of the organization reads: an
    /// event's subject is looked up once as them for all its subscribers. Used for reads only.
    pub fn anyone_in(org_id: Uuid, clock: &Clock) -> Self {
        Self {
            user_id: Uuid::nil(),
            org_id,
            org_role: OrgRole::Member,
            credential: Credential::Session { session_id: Uuid::nil() },
            expires_at: None,
            clock: clock.clone(),
        }
    }

    /// The time now, by the application's clock.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Today's date in UTC, by the application's clock.
    pub fn today(&self) -> chrono::NaiveDate {
        self.clock.today()
    }

    pub fn is_admin(&self) -> bool {
        self.org_role == OrgRole::Admin
    }

    pub fn require_admin(&self) -> AppResult<()> {
        if self.is_admin() { Ok(()) } else { Err(AppError::forbidden("only an organization admin may do this")) }
    }

    /// Refuses API tokens: user and token administration needs a signed-in person.
    pub fn require_session(&self) -> AppResult<()> {
        match self.credential {
            Credential::Session { .. } => Ok(()),
            Credential::ApiToken { .. } | Credential::Webhook { .. } => {
                Err(AppError::forbidden("API tokens cannot administer users, sessions or tokens"))
            }
        }
    }

    /// Refuses read-only API tokens.
    pub fn require_write(&self) -> AppResult<()> {
        match self.credential {
            Credential::ApiToken { scope: TokenScope::Read, .. } | Credential::Webhook { .. } => {
                Err(AppError::forbidden("this API token is read-only"))
            }
            _ => Ok(()),
        }
    }

    pub fn session_id(&self) -> Option<Uuid> {
        match self.credential {
            Credential::Session { session_id } => Some(session_id),
            Credential::ApiToken { .. } | Credential::Webhook { .. } => None,
        }
    }
}

/// The outcome of reading a request's credentials. A bad token is kept rather than failing the
/// request at once, so that operations which need no viewer (`login`) still work.
#[derive(Debug, Clone)]
pub enum RequestAuth {
    Anonymous,
    Authenticated(Viewer),
    Rejected {
        reason: AuthFailure,
        message: String,
    },
    /// The credentials could not be checked: the database is unavailable.
    Unavailable,
}

impl RequestAuth {
    pub fn viewer(&self) -> AppResult<&Viewer> {
        match self {
            Self::Authenticated(viewer) => Ok(viewer),
            Self::Anonymous => Err(AppError::unauthenticated(AuthFailure::Missing, "authentication required")),
            Self::Rejected { reason, message } => Err(AppError::unauthenticated(*reason, message.clone())),
            Self::Unavailable => Err(AppError::Unavailable),
        }
    }
}

/// Signing keys, password hashing and token lifetimes.
pub struct AuthService {
    pub jwt: JwtKeys,
    pub passwords: Passwords,
    pub access_ttl: Duration,
    pub refresh_ttl: Duration,
    pub invitation_ttl: Duration,
    /// The brute-force limits every credential check runs within (see `throttle`).
    pub limits: throttle::Limits,
    /// The application's clock, handed to every viewer.
    pub clock: Clock,
    /// Derives a refresh token's successor (see `secret::successor`).
    pub refresh_key: Vec<u8>,
}

/// The refusal of a sign-up whose address is not confirmed yet.
pub fn unverified() -> AppError {
    AppError::unauthenticated(
        AuthFailure::EmailUnverified,
        "confirm your email address first: follow the link we sent to it",
    )
}

/// How often an API token's `lastUsedAt` is refreshed at most.
const LAST_USED_GRANULARITY: chrono::TimeDelta = chrono::TimeDelta::minutes(1);

impl AuthService {
    /// Resolves an `Authorization` header value (`Bearer …`) or WebSocket payload value.
    pub async fn authenticate(&self, db: &DatabaseConnection, authorization: Option<&str>) -> RequestAuth {
        let Some(value) = authorization.map(str::trim).filter(|v| !v.is_empty()) else {
            return RequestAuth::Anonymous;
        };
        let Some(token) = value.strip_prefix("Bearer ").or_else(|| value.strip_prefix("bearer ")).map(str::trim) else {
            let message = "the Authorization header must be `Bearer <token>`".into();
            return RequestAuth::Rejected { reason: AuthFailure::InvalidToken, message };
        };
        let result = if token.starts_with(secret::API_TOKEN_PREFIX) {
            self.authenticate_api_token(db, token).await
        } else {
            self.authenticate_access_token(db, token).await
        };
        match result {
            Ok(viewer) => RequestAuth::Authenticated(viewer),
            Err(AppError::Unauthenticated { reason, message }) => RequestAuth::Rejected { reason, message },
            Err(AppError::Unavailable) => RequestAuth::Unavailable,
            Err(other) => {
                tracing::error!(error = ?other, "could not verify credentials");
                let message = "could not verify credentials; try again".into();
                RequestAuth::Rejected { reason: AuthFailure::InvalidToken, message }
            }
        }
    }

    /// An access token works while its user is active, their token version unchanged and its
    /// session (refresh-token family) not signed out: one statement reads all three.
    async fn authenticate_access_token(&self, db: &DatabaseConnection, token: &str) -> AppResult<Viewer> {
        let claims = self.jwt.verify(token)?;
        let signed_out = Query::select()
            .expr(Expr::val(1))
            .from(refresh_token::Entity)
            .and_where(Expr::col(refresh_token::Column::FamilyId).eq(claims.sid))
            .and_where(Expr::col(refresh_token::Column::RevokedAt).is_not_null())
            .to_owned();
        let user = user::Entity::find_by_id(claims.sub)
            .filter(Expr::exists(signed_out).not())
            .one(db)
            .await?
            .filter(|user| user.active && user.organization_id == claims.org && user.token_version == claims.ver);
        let Some(user) = user.filter(|user| user.email_verified_at.is_some()) else {
            // Say why (a rare path: a second look is fine).
            let user = active_user(db, claims.sub).await?;
            if user.email_verified_at.is_none() {
                return Err(unverified());
            }
            if user.organization_id != claims.org || user.token_version != claims.ver {
                return Err(AppError::unauthenticated(AuthFailure::SessionEnded, "access token has been revoked"));
            }
            return Err(AppError::unauthenticated(AuthFailure::SessionEnded, "this session has been signed out"));
        };
        Ok(Viewer {
            user_id: user.id,
            org_id: user.organization_id,
            org_role: user.role,
            credential: Credential::Session { session_id: claims.sid },
            expires_at: DateTime::from_timestamp(claims.exp, 0),
            clock: self.clock.clone(),
        })
    }

    async fn authenticate_api_token(&self, db: &DatabaseConnection, secret: &str) -> AppResult<Viewer> {
        let invalid = || AppError::unauthenticated(AuthFailure::InvalidToken, "invalid API token");
        let token = api_token::Entity::find()
            .filter(api_token::Column::SecretHash.eq(secret::digest(secret)))
            .one(db)
            .await?
            .ok_or_else(invalid)?;
        let now = self.clock.now();
        if token.revoked_at.is_some() {
            return Err(AppError::unauthenticated(AuthFailure::SessionEnded, "API token has been revoked"));
        }
        if token.expires_at.is_some_and(|at| at <= now) {
            return Err(AppError::unauthenticated(AuthFailure::SessionEnded, "API token has expired"));
        }
        let user = active_user(db, token.user_id).await?;
        if token.last_used_at.is_none_or(|at| now - at >= LAST_USED_GRANULARITY) {
            let touch = api_token::ActiveModel {
                id: sea_orm::ActiveValue::Unchanged(token.id),
                last_used_at: Set(Some(now)),
                ..Default::default()
            };
            touch.update(db).await?;
        }
        Ok(Viewer {
            user_id: user.id,
            org_id: user.organization_id,
            org_role: user.role,
            credential: Credential::ApiToken { token_id: token.id, scope: token.scope },
            expires_at: token.expires_at,
            clock: self.clock.clone(),
        })
    }
}

async fn active_user(db: &DatabaseConnection, id: Uuid) -> AppResult<user::Model> {
    let user = user::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::unauthenticated(AuthFailure::InvalidToken, "unknown user"))?;
    if !user.active {
        return Err(AppError::unauthenticated(AuthFailure::Deactivated, "this account has been deactivated"));
    }
    Ok(user)
}

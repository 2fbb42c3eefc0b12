//! Sign-up, login and sessions: access tokens with rotating refresh tokens.

use std::net::IpAddr;

use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use entity::{OrgRole, organization, refresh_token, user};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    EntityTrait, IntoActiveModel, QueryFilter, QuerySelect,
};
use uuid::Uuid;

use crate::auth::throttle::{self, Attempt, Check};
use crate::auth::{AuthService, Passwords, Viewer, secret};
use crate::clock;
use crate::db;
use crate::domain::{accounts, validate};
use crate::error::{AppError, AppResult, AuthFailure};
use crate::events::{self, Change, NewEvent};
use crate::ids::{GlobalId, NodeKind};
use crate::mail::Mailer;

/// What a successful sign-in hands the client.
pub struct Session {
    pub access_token: String,
    pub refresh_token: String,
    pub expires_at: DateTime<Utc>,
    pub user: user::Model,
}

pub struct SignUp {
    pub organization_name: String,
    pub email: String,
    pub password: String,
    pub display_name: String,
}

/// Creates a new organization with its first admin, and signs the admin in. Each attempt costs
/// a password hash, so each counts against the client's address (see `throttle`).
///
/// When the server sends email, the address must be confirmed first: the organization and the
/// admin are made, unconfirmed, and the answer's tokens work once the link emailed to the address
/// is followed (`verify_email`). The answer is then the same whether or not the address already
/// has an account (its owner is told by email instead), so sign-up tells nobody who has one.
/// Unconfirmed sign-ups hold no address and expire (`expire_sign_ups`).
pub async fn sign_up(
    db: &DatabaseConnection,
    auth: &AuthService,
    mailer: &Mailer,
    allowed: bool,
    input: SignUp,
    address: Option<IpAddr>,
) -> AppResult<Session> {
    let attempt = Attempt { check: Check::SignUp, account: None, address };
    throttle::guard(db, auth.limits, attempt, create_organization(db, auth, mailer, allowed, input)).await
}

async fn create_organization(
    db: &DatabaseConnection,
    auth: &AuthService,
    mailer: &Mailer,
    allowed: bool,
    input: SignUp,
) -> AppResult<Session> {
    if !allowed {
        return Err(AppError::forbidden("sign-up is closed on this server; ask an admin for an invitation"));
    }
    let (organization_name, email, display_name, ()) = validate::all((
        validate::required_text("organizationName", &input.organization_name, validate::limits::NAME),
        validate::email("email", &input.email),
        validate::required_text("displayName", &input.display_name, validate::limits::NAME),
        Passwords::validate_new(&input.password, "password"),
    ))
    .map_err(AppError::in_input)?;
    let confirm = mailer.enabled();
    let taken = email_holder(db, &email).await?.is_some();
    if taken && !confirm {
        return Err(email_taken().in_input());
    }
    let password_hash = auth.passwords.hash(&input.password).await?;

    let org_id = Uuid::now_v7();
    let tx = db::begin_write(db, org_id).await?;
    let now = auth.clock.now();
    let org = organization::ActiveModel {
        id: Set(org_id),
        name: Set(organization_name),
        slug: Set(free_org_slug(&tx, &input.organization_name).await?),
        created_at: Set(now),
        event_sequence: Set(0),
    }
    .insert(&tx)
    .await?;
    let mut new = new_user(org.id, email, display_name, password_hash, OrgRole::Admin, now);
    if confirm {
        new.email_verified_at = Set(None);
    }
    let user = new.insert(&tx).await.map_err(|e| AppError::unique_violation_or(e, email_taken))?;
    events::record(
        &tx,
        NewEvent {
            organization_id: org.id,
            actor_id: Some(user.id),
            subject: (NodeKind::Organization, org.id),
            change: Change::OrganizationCreated { admin_id: GlobalId::new(NodeKind::User, user.id) },
            at: now,
        },
    )
    .await?;
    if confirm {
        if taken {
            accounts::tell_address_taken(&tx, mailer, &user, now).await?;
        } else {
            accounts::send_confirmation(&tx, mailer, &user, &org.name, now).await?;
        }
    }
    let session = start_session(&tx, auth, user).await?;
    tx.commit().await?;
    mailer.poke();
    Ok(session)
}

fn email_taken() -> AppError {
    AppError::invalid("email", "an account with this email already exists")
}

/// A new, active account (an organization's first admin, or an invitee joining).
pub(crate) fn new_user(
    organization_id: Uuid,
    email: String,
    display_name: String,
    password_hash: String,
    role: OrgRole,
    now: DateTime<Utc>,
) -> user::ActiveModel {
    user::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(organization_id),
        email: Set(email),
        display_name: Set(display_name),
        password_hash: Set(password_hash),
        role: Set(role),
        active: Set(true),
        token_version: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
        email_verified_at: Set(Some(now)),
        notify_nudges: Set(true),
        digest_since: Set(None),
        digest_sent_for: Set(None),
    }
}

pub(crate) async fn ensure_email_free(db: &impl ConnectionTrait, email: &str) -> AppResult<()> {
    if email_holder(db, email).await?.is_some() { Err(email_taken()) } else { Ok(()) }
}

/// The account that holds an address: the one that confirmed it (an unconfirmed sign-up holds
/// none).
pub(crate) async fn email_holder(db: &impl ConnectionTrait, email: &str) -> AppResult<Option<user::Model>> {
    Ok(user::Entity::find()
        .filter(user::Column::Email.eq(email))
        .filter(user::Column::EmailVerifiedAt.is_not_null())
        .one(db)
        .await?)
}

/// Organization slugs are global; a taken one gets a short random suffix.
async fn free_org_slug(db: &impl ConnectionTrait, name: &str) -> AppResult<String> {
    let base = match validate::slugify(name) {
        s if s.is_empty() => "org".to_owned(),
        s => s.chars().take(48).collect::<String>().trim_end_matches('-').to_owned(),
    };
    let mut candidate = base.clone();
    loop {
        let taken =
            organization::Entity::find().filter(organization::Column::Slug.eq(&candidate)).one(db).await?.is_some();
        if !taken {
            return Ok(candidate);
        }
        candidate = format!("{base}-{}", &Uuid::new_v4().simple().to_string()[..6]);
    }
}

const BAD_CREDENTIALS: &str = "invalid email or password";

/// Signs in with email and password, within the brute-force limits of the account and the
/// client's address.
pub async fn login(
    db: &DatabaseConnection,
    auth: &AuthService,
    email: &str,
    password: &str,
    address: Option<IpAddr>,
) -> AppResult<Session> {
    let attempt = Attempt { check: Check::Login, account: Some(email), address };
    throttle::guard(db, auth.limits, attempt, check_password(db, auth, email, password)).await
}

async fn check_password(
    db: &DatabaseConnection,
    auth: &AuthService,
    email: &str,
    password: &str,
) -> AppResult<Session> {
    let email = email.trim().to_lowercase();
    // Only the account that confirmed the address signs in: a sign-up waiting for its link
    // answers as an unknown address does (otherwise signing up with an address and logging in
    // with that sign-up's password would tell whether someone else holds it). Its own tokens
    // start working once the link is followed.
    let user = email_holder(db, &email).await?;
    let matches = auth.passwords.verify(password, user.as_ref().map(|u| u.password_hash.as_str())).await?;
    let user = match user {
        Some(user) if matches => user,
        _ => return Err(AppError::unauthenticated(AuthFailure::WrongCredentials, BAD_CREDENTIALS)),
    };
    if !user.active {
        return Err(AppError::unauthenticated(AuthFailure::Deactivated, "this account has been deactivated"));
    }
    let tx = db::begin_write(db, user.organization_id).await?;
    let session = start_session(&tx, auth, user).await?;
    tx.commit().await?;
    Ok(session)
}

/// Starts a session: an access token and a refresh token.
pub(crate) async fn start_session(
    tx: &impl ConnectionTrait,
    auth: &AuthService,
    user: user::Model,
) -> AppResult<Session> {
    continue_session(tx, auth, user, Uuid::now_v7(), secret::generate("hsr_")).await
}

/// Issues an access token and stores `refresh_token` for the session `family_id`.
async fn continue_session(
    tx: &impl ConnectionTrait,
    auth: &AuthService,
    user: user::Model,
    family_id: Uuid,
    refresh_token: String,
) -> AppResult<Session> {
    let now = auth.clock.now();
    refresh_token::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(user.id),
        family_id: Set(family_id),
        token_hash: Set(secret::digest(&refresh_token)),
        token_version: Set(user.token_version),
        expires_at: Set(now + clock::lifetime(auth.refresh_ttl)),
        used_at: Set(None),
        revoked_at: Set(None),
        created_at: Set(now),
    }
    .insert(tx)
    .await?;
    let (access_token, expires_at) = access_token(auth, &user, family_id)?;
    Ok(Session { access_token, refresh_token, expires_at, user })
}

/// A signed access token of the session `family_id`, and when it expires.
fn access_token(auth: &AuthService, user: &user::Model, family_id: Uuid) -> AppResult<(String, DateTime<Utc>)> {
    // The signature's lifetime runs on the system's time: the token library checks it so.
    let issued = clock::system_now();
    // Whole seconds, as the token's `exp` holds it: `expiresAt` is when its sockets close (HTTP
    // still accepts it a few seconds longer, the leeway for clocks that drift).
    let expires_at =
        (issued + clock::lifetime(auth.access_ttl)).duration_trunc(TimeDelta::seconds(1)).unwrap_or(issued);
    let token = auth.jwt.issue(user.id, user.organization_id, user.token_version, family_id, issued, expires_at)?;
    Ok((token, expires_at))
}

/// Rotates a refresh token. Presenting a token that was already rotated means it leaked:
/// the whole family (every token of that login) is revoked.
pub async fn refresh_session(
    db: &DatabaseConnection,
    auth: &AuthService,
    token: &str,
    address: Option<IpAddr>,
) -> AppResult<Session> {
    let attempt = Attempt { check: Check::Refresh, account: None, address };
    throttle::guard(db, auth.limits, attempt, rotate(db, auth, token)).await
}

async fn rotate(db: &DatabaseConnection, auth: &AuthService, token: &str) -> AppResult<Session> {
    let invalid = || AppError::unauthenticated(AuthFailure::InvalidToken, "invalid refresh token");
    let tx = db::begin_local(db).await?;
    let find =
        || refresh_token::Entity::find().filter(refresh_token::Column::TokenHash.eq(secret::digest(token.trim())));
    let found = find().one(&tx).await?.ok_or_else(invalid)?;
    lock_user_organization(&tx, found.user_id).await?;
    // Read again under the lock: two tabs refreshing with the same token queue here, and the
    // second must see what the first did (spent it, made its successor).
    let stored = find().one(&tx).await?.ok_or_else(invalid)?;
    let now = auth.clock.now();
    if stored.revoked_at.is_some() {
        return Err(AppError::unauthenticated(AuthFailure::SessionEnded, "this session has been signed out"));
    }
    // Spend the token; zero rows changed means someone spent it first.
    let spent = refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::UsedAt, Expr::value(now))
        .filter(refresh_token::Column::Id.eq(stored.id))
        .filter(refresh_token::Column::UsedAt.is_null())
        .exec(&tx)
        .await?;
    if spent.rows_affected != 1 {
        if let Some(session) = successor_again(&tx, auth, &stored, token.trim(), now).await? {
            tx.commit().await?;
            return Ok(session);
        }
        revoke_family(&tx, stored.family_id, now).await?;
        tx.commit().await?;
        return Err(AppError::unauthenticated(
            AuthFailure::SessionEnded,
            "this refresh token was already used; the session has been revoked",
        ));
    }
    if stored.expires_at <= now {
        return Err(AppError::unauthenticated(AuthFailure::SessionEnded, "refresh token has expired"));
    }
    let user = user::Entity::find_by_id(stored.user_id).one(&tx).await?.ok_or_else(invalid)?;
    if !user.active {
        return Err(AppError::unauthenticated(AuthFailure::Deactivated, "this account has been deactivated"));
    }
    if user.token_version != stored.token_version {
        return Err(AppError::unauthenticated(AuthFailure::SessionEnded, "this session has been signed out"));
    }
    if user.email_verified_at.is_none() {
        return Err(crate::auth::unverified());
    }
    let successor = secret::successor(&auth.refresh_key, token.trim());
    let session = continue_session(&tx, auth, user, stored.family_id, successor).await?;
    tx.commit().await?;
    Ok(session)
}

/// How long after a refresh token was spent presenting it again still hands out its
/// successor: two tabs (or a retried request) refreshing at once keep the session.
const REFRESH_GRACE: TimeDelta = TimeDelta::seconds(10);

/// The session again for a refresh token spent within [`REFRESH_GRACE`]: the same successor
/// refresh token (if it is still live) and a fresh access token. `None` once the grace is over:
/// the token was replayed, and the caller revokes the session.
async fn successor_again(
    tx: &impl ConnectionTrait,
    auth: &AuthService,
    spent: &refresh_token::Model,
    token: &str,
    now: DateTime<Utc>,
) -> AppResult<Option<Session>> {
    let Some(used_at) = spent.used_at else { return Ok(None) };
    if now - used_at > REFRESH_GRACE {
        return Ok(None);
    }
    let successor = secret::successor(&auth.refresh_key, token);
    let live = refresh_token::Entity::find()
        .filter(refresh_token::Column::TokenHash.eq(secret::digest(&successor)))
        .filter(refresh_token::Column::FamilyId.eq(spent.family_id))
        .filter(refresh_token::Column::RevokedAt.is_null())
        .one(tx)
        .await?;
    let user = user::Entity::find_by_id(spent.user_id).one(tx).await?;
    match (live, user) {
        (Some(_), Some(user)) if user.active && user.token_version == spent.token_version => {
            let (access_token, expires_at) = access_token(auth, &user, spent.family_id)?;
            Ok(Some(Session { access_token, refresh_token: successor, expires_at, user }))
        }
        _ => Ok(None),
    }
}

/// Signs a session out; returns how many of its refresh tokens were still live.
async fn revoke_family(tx: &impl ConnectionTrait, family_id: Uuid, now: DateTime<Utc>) -> AppResult<u64> {
    let revoked = refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::RevokedAt, Expr::value(now))
        .filter(refresh_token::Column::FamilyId.eq(family_id))
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(tx)
        .await?;
    Ok(revoked.rows_affected)
}

/// Ends the session the refresh token belongs to: its refresh tokens, its access tokens and its
/// open sockets, at once. Unknown tokens are ignored: there is nothing to sign out, and the
/// answer must not tell valid tokens from invalid ones.
pub async fn logout(db: &DatabaseConnection, auth: &AuthService, token: &str) -> AppResult<()> {
    let tx = db::begin_local(db).await?;
    let stored = refresh_token::Entity::find()
        .filter(refresh_token::Column::TokenHash.eq(secret::digest(token.trim())))
        .one(&tx)
        .await?;
    let Some(stored) = stored else { return Ok(()) };
    lock_user_organization(&tx, stored.user_id).await?;
    let now = auth.clock.now();
    if revoke_family(&tx, stored.family_id, now).await? > 0
        && let Some(user) = user::Entity::find_by_id(stored.user_id).one(&tx).await?
    {
        // The event tells the user's open sockets to check their credentials again.
        events::record_own(&tx, &user, Change::SignedOut {}, now).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Takes the write lock of the organization of a user found through a token (in a transaction
/// begun with `db::begin_local` that has written nothing yet).
async fn lock_user_organization(tx: &DatabaseTransaction, user_id: Uuid) -> AppResult<()> {
    let org_id: Option<Uuid> = user::Entity::find_by_id(user_id)
        .select_only()
        .column(user::Column::OrganizationId)
        .into_tuple()
        .one(tx)
        .await?;
    db::lock_organizations(tx, org_id).await?;
    Ok(())
}

/// Revokes every session and access token of the viewer at once (bumps the token version).
pub async fn logout_everywhere(db: &DatabaseConnection, viewer: &Viewer) -> AppResult<()> {
    viewer.require_session()?;
    let tx = db::begin_write(db, viewer.org_id).await?;
    revoke_all_sessions(&tx, viewer.user_id, viewer.now()).await?;
    events::record_change(&tx, viewer, (NodeKind::User, viewer.user_id), Change::SessionsRevoked {}).await?;
    tx.commit().await?;
    Ok(())
}

/// Bumps the user's token version (every access token stops working) and revokes every
/// refresh token.
pub(crate) async fn revoke_all_sessions(tx: &impl ConnectionTrait, user_id: Uuid, now: DateTime<Utc>) -> AppResult<()> {
    user::Entity::update_many()
        .col_expr(user::Column::TokenVersion, Expr::col(user::Column::TokenVersion).add(1))
        .col_expr(user::Column::UpdatedAt, Expr::value(now))
        .filter(user::Column::Id.eq(user_id))
        .exec(tx)
        .await?;
    refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::RevokedAt, Expr::value(now))
        .filter(refresh_token::Column::UserId.eq(user_id))
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(tx)
        .await?;
    Ok(())
}

/// Proof that the viewer has just entered their password again.
pub struct Reauthenticated {
    user: user::Model,
}

/// Checks the signed-in viewer's password again before a change that a stolen access token
/// alone must not make (a new password, an API token). Wrong passwords count against the
/// account and the address like failed logins (see `throttle`).
pub async fn reauthenticate(
    db: &DatabaseConnection,
    auth: &AuthService,
    viewer: &Viewer,
    password: &str,
    address: Option<IpAddr>,
) -> AppResult<Reauthenticated> {
    viewer.require_session()?;
    let user = user::Entity::find_by_id(viewer.user_id).one(db).await?.ok_or(AppError::NotFound("user"))?;
    // Counted with the account's sign-ins: the same guesses, through another door.
    let email = user.email.clone();
    let attempt = Attempt { check: Check::Reauthenticate, account: Some(&email), address };
    throttle::guard(db, auth.limits, attempt, async {
        if !auth.passwords.verify(password, Some(&user.password_hash)).await? {
            return Err(AppError::invalid("currentPassword", "the current password is not correct"));
        }
        Ok(Reauthenticated { user })
    })
    .await
}

/// Changes the viewer's password. Every other session is signed out at once (its access tokens
/// and sockets too); this one stays.
pub async fn change_password(
    db: &DatabaseConnection,
    auth: &AuthService,
    viewer: &Viewer,
    confirmed: Reauthenticated,
    new_password: &str,
) -> AppResult<()> {
    let user = confirmed.user;
    Passwords::validate_new(new_password, "newPassword")?;
    let password_hash = auth.passwords.hash(new_password).await?;

    let tx = db::begin_write(db, viewer.org_id).await?;
    let now = viewer.now();
    let mut active = user.into_active_model();
    active.password_hash = Set(password_hash);
    active.updated_at = Set(now);
    active.update(&tx).await?;
    let mut others = refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::RevokedAt, Expr::value(now))
        .filter(refresh_token::Column::UserId.eq(viewer.user_id))
        .filter(refresh_token::Column::RevokedAt.is_null());
    if let Some(session_id) = viewer.session_id() {
        others = others.filter(refresh_token::Column::FamilyId.ne(session_id));
    }
    others.exec(&tx).await?;
    events::record_change(&tx, viewer, (NodeKind::User, viewer.user_id), Change::PasswordChanged {}).await?;
    tx.commit().await?;
    Ok(())
}

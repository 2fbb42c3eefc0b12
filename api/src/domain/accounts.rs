//! What reaches a person by email: address confirmations, password resets, and what they want
//! to receive (notification preferences).
//!
//! Emailed links carry one-time tokens (`user_token`, stored hashed): a reset works once and for
//! an hour, a confirmation for two days. No answer of these tells whether an address has an
//! account.

use std::net::IpAddr;

use chrono::{DateTime, TimeDelta, Utc};
use entity::user_token::{self, TokenPurpose};
use entity::{organization, user};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, PaginatorTrait, QueryFilter, QuerySelect,
};
use serde_json::json;
use uuid::Uuid;

use crate::auth::throttle::{self, Attempt, Check};
use crate::auth::{AuthService, Passwords, Viewer, secret};
use crate::db;
use crate::domain::identity::{self, Session};
use crate::domain::users;
use crate::error::{AppError, AppResult};
use crate::events::{self, Change};
use crate::ids::NodeKind;
use crate::mail::{Mailer, Outgoing, outbox};
use crate::state::AppState;

/// How long a password reset link works.
pub const RESET_TTL: TimeDelta = TimeDelta::hours(1);
/// How long an address confirmation link works, and an unconfirmed sign-up is kept.
pub const CONFIRM_TTL: TimeDelta = TimeDelta::hours(48);
/// Reset emails sent to one account per hour at most (more requests answer the same, silently).
const RESETS_PER_HOUR: u64 = 3;
/// Confirmation emails sent to one address per hour at most.
const CONFIRMATIONS_PER_HOUR: u64 = 3;

/// A new one-time token for `user_id`, stored hashed; answers the token and when it expires.
async fn issue(
    tx: &impl ConnectionTrait,
    user_id: Uuid,
    purpose: TokenPurpose,
    ttl: TimeDelta,
    created_by: Option<Uuid>,
    now: DateTime<Utc>,
) -> AppResult<(String, DateTime<Utc>)> {
    let prefix = match purpose {
        TokenPurpose::Reset => "hsp_",
        TokenPurpose::Verify => "hsv_",
    };
    let token = secret::generate(prefix);
    let expires_at = now + ttl;
    user_token::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(user_id),
        purpose: Set(purpose),
        token_hash: Set(secret::digest(&token)),
        expires_at: Set(expires_at),
        used_at: Set(None),
        created_by: Set(created_by),
        created_at: Set(now),
    }
    .insert(tx)
    .await?;
    Ok((token, expires_at))
}

/// How many tokens of `purpose` were issued to `holders` in the past hour (the cap on how much
/// mail one account or address gets).
async fn issued_last_hour(
    db: &impl ConnectionTrait,
    purpose: TokenPurpose,
    holders: Condition,
    now: DateTime<Utc>,
) -> AppResult<u64> {
    Ok(user_token::Entity::find()
        .filter(holders)
        .filter(user_token::Column::Purpose.eq(purpose))
        .filter(user_token::Column::CreatedAt.gt(now - TimeDelta::hours(1)))
        .count(db)
        .await?)
}

fn invalid_link() -> AppError {
    AppError::invalid("token", "this link is not valid any more: ask for a new one")
}

/// The live token (unused, unexpired, of this purpose) and its user; anything else is one
/// answer: the link is not valid.
async fn live(
    db: &impl ConnectionTrait,
    token: &str,
    purpose: TokenPurpose,
    now: DateTime<Utc>,
) -> AppResult<(user_token::Model, user::Model)> {
    let stored = user_token::Entity::find()
        .filter(user_token::Column::TokenHash.eq(secret::digest(token.trim())))
        .filter(user_token::Column::Purpose.eq(purpose))
        .one(db)
        .await?
        .filter(|stored| stored.used_at.is_none() && stored.expires_at > now)
        .ok_or_else(invalid_link)?;
    let user = user::Entity::find_by_id(stored.user_id).one(db).await?.ok_or_else(invalid_link)?;
    Ok((stored, user))
}

/// Spends a live token in `tx`; zero rows changed means someone spent it first.
async fn spend(tx: &impl ConnectionTrait, stored: &user_token::Model, now: DateTime<Utc>) -> AppResult<()> {
    let spent = user_token::Entity::update_many()
        .col_expr(user_token::Column::UsedAt, Expr::value(now))
        .filter(user_token::Column::Id.eq(stored.id))
        .filter(user_token::Column::UsedAt.is_null())
        .exec(tx)
        .await?;
    if spent.rows_affected == 1 { Ok(()) } else { Err(invalid_link()) }
}

/// Emails a sign-up the link that confirms its address.
pub(crate) async fn send_confirmation(
    tx: &impl ConnectionTrait,
    mailer: &Mailer,
    user: &user::Model,
    organization: &str,
    now: DateTime<Utc>,
) -> AppResult<()> {
    // Sign-ups choose what this email says (the organization's and the person's names): an
    // address gets at most a few an hour, whoever signs up with it.
    let same_address = Query::select()
        .column(user::Column::Id)
        .from(user::Entity)
        .and_where(user::Column::Email.eq(&user.email))
        .to_owned();
    let holders = Condition::all().add(user_token::Column::UserId.in_subquery(same_address));
    if issued_last_hour(tx, TokenPurpose::Verify, holders, now).await? >= CONFIRMATIONS_PER_HOUR {
        return Ok(());
    }
    let (token, expires_at) = issue(tx, user.id, TokenPurpose::Verify, CONFIRM_TTL, None, now).await?;
    let link = mailer.link("verify-email", &[("token", &token)]).unwrap_or_default();
    let subject = format!("Confirm your address for {organization}");
    let bodies = mailer.templates.render(
        "verify_email",
        json!({ "subject": subject, "name": user.display_name, "organization": organization,
                "link": link, "expires": crate::mail::moment(expires_at) }),
    )?;
    let message = Outgoing {
        organization_id: Some(user.organization_id),
        user_id: Some(user.id),
        to: user.email.clone(),
        kind: "VERIFY_EMAIL",
        dedupe_key: format!("verify:{}", secret::digest(&token)),
        subject,
        bodies,
        unsubscribe_url: None,
    };
    outbox::enqueue(tx, mailer, now, message).await?;
    Ok(())
}

/// Tells the owner of an address that someone tried to sign up with it (at most once an hour).
pub(crate) async fn tell_address_taken(
    tx: &impl ConnectionTrait,
    mailer: &Mailer,
    attempt: &user::Model,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let subject = "Someone tried to sign up with your address".to_owned();
    let sign_in = mailer.link("login", &[]).unwrap_or_default();
    let bodies = mailer.templates.render("sign_up_taken", json!({ "subject": subject, "sign_in": sign_in }))?;
    let message = Outgoing {
        organization_id: None,
        user_id: None,
        to: attempt.email.clone(),
        kind: "SIGN_UP_TAKEN",
        dedupe_key: format!("sign-up-taken:{}:{}", secret::digest(&attempt.email), now.format("%Y-%m-%dT%H")),
        subject,
        bodies,
        unsubscribe_url: None,
    };
    outbox::enqueue(tx, mailer, now, message).await?;
    Ok(())
}

/// Confirms a sign-up's address with the emailed token and the password chosen at sign-up, and
/// signs in: its organization is usable from now on. Both are needed: the link proves the
/// address, the password that this is the person who signed up (someone who signed up with
/// another person's address cannot have its owner confirm an account they control).
/// BAD_USER_INPUT (`token`) for a link that is unknown, used or expired, or whose address an
/// account confirmed meanwhile; (`password`) for the wrong password. Failures count against the
/// client's address like failed logins.
pub async fn verify_email(
    db: &DatabaseConnection,
    auth: &AuthService,
    token: &str,
    password: &str,
    address: Option<IpAddr>,
) -> AppResult<Session> {
    let attempt = Attempt { check: Check::EmailedToken, account: None, address };
    throttle::guard(db, auth.limits, attempt, async {
        let now = auth.clock.now();
        let (stored, user) = live(db, token, TokenPurpose::Verify, now).await?;
        if !auth.passwords.verify(password, Some(&user.password_hash)).await? {
            return Err(AppError::invalid("password", "this is not the password chosen at sign-up"));
        }
        let tx = db::begin_write(db, user.organization_id).await?;
        spend(&tx, &stored, now).await?;
        let mut active = user.into_active_model();
        active.email_verified_at = Set(Some(now));
        active.updated_at = Set(now);
        let taken = || AppError::invalid("token", "this address already has an account: sign in instead");
        let user = active.update(&tx).await.map_err(|e| AppError::unique_violation_or(e, taken))?;
        let session = identity::start_session(&tx, auth, user).await?;
        tx.commit().await?;
        Ok(session)
    })
    .await
}

/// Emails a password reset link to the address's account, if it has one that is active and
/// confirmed and the server sends email. Answers the same in every case, and at once: the
/// lookup and the queueing run after the answer, so its time tells nothing either. Each request
/// counts against the client's address; one account gets at most three links an hour.
pub async fn request_password_reset(state: &AppState, email: &str, address: Option<IpAddr>) -> AppResult<()> {
    let (db, auth) = (&state.db, &state.auth);
    let attempt = Attempt { check: Check::PasswordReset, account: None, address };
    throttle::guard(db, auth.limits, attempt, async {
        let email = email.trim().to_lowercase();
        if state.mailer.enabled() && !email.is_empty() {
            let state = state.clone();
            tokio::spawn(async move {
                if let Err(error) = send_reset(&state, &email).await {
                    tracing::error!(%error, "cannot queue a password reset email");
                }
            });
        }
        Ok(())
    })
    .await
}

async fn send_reset(state: &AppState, email: &str) -> AppResult<()> {
    let (db, mailer) = (&state.db, &state.mailer);
    let Some(user) = identity::email_holder(db, email).await?.filter(|user| user.active) else { return Ok(()) };
    let now = state.clock.now();
    let tx = db::begin_local(db).await?;
    // One request of an account at a time counts its links (SQLite's transaction already
    // holds the write lock).
    if db::is_postgres(&tx) {
        user::Entity::find_by_id(user.id).lock_exclusive().one(&tx).await?;
    }
    let holder = Condition::all().add(user_token::Column::UserId.eq(user.id));
    if issued_last_hour(&tx, TokenPurpose::Reset, holder, now).await? >= RESETS_PER_HOUR {
        return Ok(());
    }
    let (token, _) = issue(&tx, user.id, TokenPurpose::Reset, RESET_TTL, None, now).await?;
    let link = mailer.link("reset-password", &[("token", &token)]).unwrap_or_default();
    let subject = "Reset your Hindsight password".to_owned();
    let bodies = mailer
        .templates
        .render("password_reset", json!({ "subject": subject, "name": user.display_name, "link": link }))?;
    let message = Outgoing {
        organization_id: Some(user.organization_id),
        user_id: Some(user.id),
        to: user.email.clone(),
        kind: "PASSWORD_RESET",
        dedupe_key: format!("reset:{}", secret::digest(&token)),
        subject,
        bodies,
        unsubscribe_url: None,
    };
    outbox::enqueue(&tx, mailer, now, message).await?;
    tx.commit().await?;
    mailer.poke();
    Ok(())
}

/// Sets a new password with a reset token and signs in. The token works once; every other
/// session of the account ends (its access tokens and sockets at once), and so does every other
/// reset link. BAD_USER_INPUT (`token`) for a link that is unknown, used or expired.
pub async fn reset_password(
    db: &DatabaseConnection,
    auth: &AuthService,
    token: &str,
    new_password: &str,
    address: Option<IpAddr>,
) -> AppResult<Session> {
    Passwords::validate_new(new_password, "newPassword")?;
    let attempt = Attempt { check: Check::EmailedToken, account: None, address };
    throttle::guard(db, auth.limits, attempt, async {
        let password_hash = auth.passwords.hash(new_password).await?;
        let tx = db::begin_local(db).await?;
        let now = auth.clock.now();
        let (stored, user) = live(&tx, token, TokenPurpose::Reset, now).await?;
        db::lock_organizations(&tx, [user.organization_id]).await?;
        spend(&tx, &stored, now).await?;
        if !user.active {
            return Err(AppError::unauthenticated(
                crate::error::AuthFailure::Deactivated,
                "this account has been deactivated",
            ));
        }
        user_token::Entity::update_many()
            .col_expr(user_token::Column::UsedAt, Expr::value(now))
            .filter(user_token::Column::UserId.eq(user.id))
            .filter(user_token::Column::Purpose.eq(TokenPurpose::Reset))
            .filter(user_token::Column::UsedAt.is_null())
            .exec(&tx)
            .await?;
        let user_id = user.id;
        let mut active = user.into_active_model();
        active.password_hash = Set(password_hash);
        active.updated_at = Set(now);
        active.update(&tx).await?;
        identity::revoke_all_sessions(&tx, user_id, now).await?;
        // Read again: the token version moved.
        let user = user::Entity::find_by_id(user_id).one(&tx).await?.ok_or(AppError::NotFound("user"))?;
        events::record_own(&tx, &user, Change::PasswordChanged {}, now).await?;
        let session = identity::start_session(&tx, auth, user).await?;
        tx.commit().await?;
        Ok(session)
    })
    .await
}

/// A reset link an admin issued by hand, shown once.
pub struct IssuedReset {
    pub user: user::Model,
    pub token: String,
    pub url: Option<String>,
    pub expires_at: DateTime<Utc>,
}

/// Issues a password reset for a member of the admin's organization, to hand over by other
/// means, on a server without email (with email, the member asks for their own link: no admin
/// holds a way into another person's account). Admins only, with a session; the member must be
/// active. The token records who issued it.
pub async fn create_password_reset(
    db: &DatabaseConnection,
    mailer: &Mailer,
    viewer: &Viewer,
    user_id: Uuid,
) -> AppResult<IssuedReset> {
    viewer.require_session()?;
    viewer.require_admin()?;
    let user = users::find_in_org(db, viewer.org_id, user_id).await?;
    if mailer.enabled() {
        return Err(AppError::InvalidState(
            "this server emails reset links: the member asks for one with requestPasswordReset".into(),
        ));
    }
    if !user.active {
        return Err(AppError::InvalidState("a deactivated account cannot reset its password".into()));
    }
    let tx = db::begin_write(db, viewer.org_id).await?;
    let (token, expires_at) =
        issue(&tx, user.id, TokenPurpose::Reset, RESET_TTL, Some(viewer.user_id), viewer.now()).await?;
    events::record_change(&tx, viewer, (NodeKind::User, user.id), Change::PasswordResetIssued {}).await?;
    tx.commit().await?;
    let url = mailer.link("reset-password", &[("token", &token)]);
    Ok(IssuedReset { user, token, url, expires_at })
}

/// What a person receives by email.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Preferences {
    /// Deadline nudges (on unless turned off).
    pub nudges: bool,
    /// The weekly learning digest (off unless turned on).
    pub digest: bool,
}

impl Preferences {
    pub fn of(user: &user::Model) -> Self {
        Self { nudges: user.notify_nudges, digest: user.digest_since.is_some() }
    }

    /// `user`'s preferences as `viewer` may see them: their own only, with a session.
    pub fn seen_by(viewer: &Viewer, user: &user::Model) -> Option<Self> {
        (viewer.user_id == user.id && viewer.session_id().is_some()).then(|| Self::of(user))
    }
}

/// Changes what the viewer receives by email; a field left out stays as it is. Turning the
/// digest on starts it with the next week.
pub async fn update_preferences(
    db: &DatabaseConnection,
    viewer: &Viewer,
    nudges: Option<bool>,
    digest: Option<bool>,
) -> AppResult<user::Model> {
    viewer.require_session()?;
    let tx = db::begin_local(db).await?;
    let user = users::find_in_org(&tx, viewer.org_id, viewer.user_id).await?;
    let was = Preferences::of(&user);
    let mut active = user.into_active_model();
    if let Some(nudges) = nudges {
        active.notify_nudges = Set(nudges);
    }
    match digest {
        Some(true) if !was.digest => active.digest_since = Set(Some(viewer.now())),
        Some(false) => active.digest_since = Set(None),
        _ => {}
    }
    active.updated_at = Set(viewer.now());
    let user = active.update(&tx).await?;
    tx.commit().await?;
    Ok(user)
}

/// Deletes the sign-ups whose address was never confirmed within [`CONFIRM_TTL`]: their
/// organizations, with everything in them (only the sign-up itself: nothing else can be made
/// before the address is confirmed). Answers how many organizations went.
pub async fn expire_sign_ups(db: &DatabaseConnection, now: DateTime<Utc>) -> AppResult<u64> {
    let confirmed_members = Query::select()
        .column(user::Column::OrganizationId)
        .from(user::Entity)
        .and_where(user::Column::EmailVerifiedAt.is_not_null())
        .to_owned();
    let expired = Query::select()
        .column(user::Column::OrganizationId)
        .from(user::Entity)
        .and_where(user::Column::EmailVerifiedAt.is_null())
        // An hour past the link's life: a confirmation under way when it ran out finishes first.
        .and_where(user::Column::CreatedAt.lt(now - CONFIRM_TTL - TimeDelta::hours(1)))
        .to_owned();
    let deleted = organization::Entity::delete_many()
        .filter(organization::Column::Id.in_subquery(expired))
        .filter(Expr::col(organization::Column::Id).not_in_subquery(confirmed_members))
        .exec(db)
        .await?;
    Ok(deleted.rows_affected)
}

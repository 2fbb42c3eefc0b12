//! The organization and its people: listing, invitations, org roles and deactivation.
//! An organization always keeps at least one active admin.

use chrono::{DateTime, Utc};
use entity::{OrgRole, invitation, organization, user};
use sea_orm::Order;
use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, PaginatorTrait, QueryFilter, QuerySelect,
};
use uuid::Uuid;

use crate::auth::throttle::{self, Attempt, Check};
use crate::auth::{AuthService, Passwords, Viewer, secret};
use crate::clock;
use crate::db;
use crate::domain::identity::{self, Session};
use crate::domain::pagination::{Page, PageRequest, paginate};
use crate::domain::validate;
use crate::error::{AppError, AppResult};
use crate::events::{self, Change, UserStanding};
use crate::ids::{GlobalId, NodeKind};
use crate::mail::{Mailer, Outgoing, outbox};

pub async fn organization(db: &impl ConnectionTrait, viewer: &Viewer) -> AppResult<organization::Model> {
    organization::Entity::find_by_id(viewer.org_id).one(db).await?.ok_or(AppError::NotFound("organization"))
}

/// A user of the viewer's organization; users of other organizations do not exist for it.
pub async fn find_in_org(db: &impl ConnectionTrait, org_id: Uuid, user_id: Uuid) -> AppResult<user::Model> {
    user::Entity::find_by_id(user_id)
        .filter(user::Column::OrganizationId.eq(org_id))
        .one(db)
        .await?
        .ok_or(AppError::NotFound("user"))
}

pub async fn get(db: &impl ConnectionTrait, viewer: &Viewer, user_id: Uuid) -> AppResult<Option<user::Model>> {
    match find_in_org(db, viewer.org_id, user_id).await {
        Ok(user) => Ok(Some(user)),
        Err(AppError::NotFound(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The organization's users ordered by email, optionally matching `search` in email or name.
pub async fn list(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    search: Option<&str>,
    page: &PageRequest,
) -> AppResult<Page<user::Model>> {
    let mut select = user::Entity::find().filter(user::Column::OrganizationId.eq(viewer.org_id));
    if let Some(term) = validate::search("search", search)?.as_deref() {
        let pattern = format!("%{}%", validate::escape_like(&term.to_lowercase()));
        select = select.filter(
            Condition::any().add(Expr::col(user::Column::Email).like(LikeExpr::new(pattern.clone()).escape('\\'))).add(
                Expr::expr(Func::lower(Expr::col(user::Column::DisplayName))).like(LikeExpr::new(pattern).escape('\\')),
            ),
        );
    }
    paginate(db, select, user::Column::Email, Order::Asc, |u| u.email.clone(), page).await
}

/// The names people of the organization go by (full and first names), for the blameless
/// guardrails to spot in a review.
pub async fn people_names(db: &impl ConnectionTrait, org_id: Uuid) -> AppResult<Vec<String>> {
    let people = user::Entity::find().filter(user::Column::OrganizationId.eq(org_id)).all(db).await?;
    let mut names: Vec<String> = people
        .iter()
        .flat_map(|u| {
            let first = u.display_name.split_whitespace().next().map(str::to_owned);
            std::iter::once(u.display_name.clone()).chain(first)
        })
        .collect();
    names.sort();
    names.dedup();
    Ok(names)
}

/// A new invitation and its one-time token (shown once, stored hashed). The token goes to the
/// admin only on a server without email: with email it goes to the address alone, so that
/// accepting proves the invitee holds the address.
pub struct NewInvitation {
    pub invitation: invitation::Model,
    pub token: Option<String>,
}

/// Invites an address to the organization, and emails the invitation link when the server
/// sends email. An address that already has an account elsewhere is invited like any other (its
/// owner learns at acceptance that one address has one account): the answer never tells an
/// admin which addresses belong to other organizations.
pub async fn invite(
    db: &DatabaseConnection,
    auth: &AuthService,
    mailer: &Mailer,
    viewer: &Viewer,
    email: &str,
    role: OrgRole,
) -> AppResult<NewInvitation> {
    viewer.require_session()?;
    viewer.require_admin()?;
    let email = validate::email("email", email).map_err(AppError::in_input)?;
    let tx = db::begin_write(db, viewer.org_id).await?;
    let member = identity::email_holder(&tx, &email).await?.filter(|user| user.organization_id == viewer.org_id);
    if member.is_some() {
        return Err(AppError::invalid("email", "this person is already a member of the organization").in_input());
    }
    let now = viewer.now();
    // A new invitation replaces any pending one for the same email.
    invitation::Entity::update_many()
        .col_expr(invitation::Column::RevokedAt, Expr::value(now))
        .filter(invitation::Column::OrganizationId.eq(viewer.org_id))
        .filter(invitation::Column::Email.eq(&email))
        .filter(invitation::Column::AcceptedAt.is_null())
        .filter(invitation::Column::RevokedAt.is_null())
        .exec(&tx)
        .await?;
    let token = secret::generate("hsi_");
    let invitation = invitation::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(viewer.org_id),
        email: Set(email),
        role: Set(role),
        token_hash: Set(secret::digest(&token)),
        invited_by: Set(viewer.user_id),
        expires_at: Set(now + clock::lifetime(auth.invitation_ttl)),
        accepted_at: Set(None),
        revoked_at: Set(None),
        created_at: Set(now),
    }
    .insert(&tx)
    .await?;
    let invited = Change::UserInvited { role: invitation.role };
    events::record_change(&tx, viewer, (NodeKind::Invitation, invitation.id), invited).await?;
    let shown = if mailer.enabled() {
        email_invitation(&tx, mailer, viewer, &invitation, &token).await?;
        None
    } else {
        Some(token)
    };
    tx.commit().await?;
    mailer.poke();
    Ok(NewInvitation { invitation, token: shown })
}

/// Queues the email that carries an invitation's link.
async fn email_invitation(
    tx: &impl ConnectionTrait,
    mailer: &Mailer,
    viewer: &Viewer,
    invitation: &invitation::Model,
    token: &str,
) -> AppResult<()> {
    let organization = organization::Entity::find_by_id(viewer.org_id).one(tx).await?.map(|o| o.name);
    let organization = organization.unwrap_or_default();
    let inviter = user::Entity::find_by_id(viewer.user_id).one(tx).await?.map(|u| u.display_name);
    let subject = format!("Join {organization} on Hindsight");
    let role = match invitation.role {
        OrgRole::Admin => "an admin",
        OrgRole::Member => "a member",
    };
    let bodies = mailer.templates.render(
        "invitation",
        serde_json::json!({
            "subject": subject, "inviter": inviter.unwrap_or_default(), "organization": organization, "role": role,
            "link": mailer.link("accept-invitation", &[("token", token)]).unwrap_or_default(),
            "expires": crate::mail::moment(invitation.expires_at),
        }),
    )?;
    let message = Outgoing {
        organization_id: Some(viewer.org_id),
        user_id: None,
        to: invitation.email.clone(),
        kind: "INVITATION",
        dedupe_key: format!("invitation:{}", invitation.id.simple()),
        subject,
        bodies,
        unsubscribe_url: None,
    };
    outbox::enqueue(tx, mailer, viewer.now(), message).await?;
    Ok(())
}

/// An invitation of the organization, visible to its admins.
pub async fn get_invitation(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    invitation_id: Uuid,
) -> AppResult<Option<invitation::Model>> {
    if !viewer.is_admin() {
        return Ok(None);
    }
    Ok(invitation::Entity::find_by_id(invitation_id)
        .filter(invitation::Column::OrganizationId.eq(viewer.org_id))
        .one(db)
        .await?)
}

pub struct AcceptInvitation {
    pub token: String,
    pub password: String,
    pub display_name: String,
}

/// Turns a pending invitation into an active user of its organization, signed in.
/// Accepts an invitation: creates the account and signs it in. Guessing tokens counts against
/// the client's address (see `throttle`).
pub async fn accept_invitation(
    db: &DatabaseConnection,
    auth: &AuthService,
    input: AcceptInvitation,
    address: Option<std::net::IpAddr>,
) -> AppResult<Session> {
    let attempt = Attempt { check: Check::AcceptInvitation, account: None, address };
    throttle::guard(db, auth.limits, attempt, join(db, auth, input)).await
}

async fn join(db: &DatabaseConnection, auth: &AuthService, input: AcceptInvitation) -> AppResult<Session> {
    let invalid = || {
        AppError::invalid("token", "this invitation is not valid: it may have been used, replaced or mistyped")
            .in_input()
    };
    let pending = invitation::Entity::find()
        .filter(invitation::Column::TokenHash.eq(secret::digest(input.token.trim())))
        .one(db)
        .await?
        .ok_or_else(invalid)
        .and_then(|pending| check_pending(&pending, auth.clock.now()).map(|()| pending));
    let (display_name, (), pending) = validate::all((
        validate::required_text("displayName", &input.display_name, validate::limits::NAME).map_err(AppError::in_input),
        Passwords::validate_new(&input.password, "password").map_err(AppError::in_input),
        pending,
    ))?;
    let password_hash = auth.passwords.hash(&input.password).await?;

    let tx = db::begin_write(db, pending.organization_id).await?;
    let now = auth.clock.now();
    // Claim the invitation; zero rows means a concurrent acceptance won.
    let claimed = invitation::Entity::update_many()
        .col_expr(invitation::Column::AcceptedAt, Expr::value(now))
        .filter(invitation::Column::Id.eq(pending.id))
        .filter(invitation::Column::AcceptedAt.is_null())
        .filter(invitation::Column::RevokedAt.is_null())
        .exec(&tx)
        .await?;
    if claimed.rows_affected != 1 {
        return Err(invalid());
    }
    identity::ensure_email_free(&tx, &pending.email).await.map_err(|e| e.for_field("token").in_input())?;
    let user = identity::new_user(
        pending.organization_id,
        pending.email.clone(),
        display_name,
        password_hash,
        pending.role,
        now,
    )
    .insert(&tx)
    .await
    .map_err(|e| {
        AppError::unique_violation_or(e, || {
            AppError::invalid("token", "an account with this email already exists").in_input()
        })
    })?;
    let joined = Change::UserJoined { invitation_id: GlobalId::new(NodeKind::Invitation, pending.id), role: user.role };
    events::record_own(&tx, &user, joined, now).await?;
    let session = identity::start_session(&tx, auth, user).await?;
    tx.commit().await?;
    Ok(session)
}

fn check_pending(invitation: &invitation::Model, now: DateTime<Utc>) -> AppResult<()> {
    let token = |message: &str| Err(AppError::invalid("token", message).in_input());
    if invitation.accepted_at.is_some() {
        return token("this invitation has already been accepted");
    }
    if invitation.revoked_at.is_some() {
        return token("this invitation was replaced by a newer one");
    }
    if invitation.expires_at <= now {
        return token("this invitation has expired; ask an admin for a new one");
    }
    Ok(())
}

pub async fn set_org_role(
    db: &DatabaseConnection,
    viewer: &Viewer,
    user_id: Uuid,
    role: OrgRole,
) -> AppResult<user::Model> {
    change_user(db, viewer, user_id, Change::UserRoleChanged, |user| {
        let mut active = user.into_active_model();
        active.role = Set(role);
        active
    })
    .await
}

/// Deactivates a user: they can no longer sign in, and every token they hold stops at once.
pub async fn deactivate(db: &DatabaseConnection, viewer: &Viewer, user_id: Uuid) -> AppResult<user::Model> {
    let user = change_user(db, viewer, user_id, Change::UserDeactivated, |user| {
        let mut active = user.into_active_model();
        active.active = Set(false);
        active
    })
    .await?;
    Ok(user)
}

pub async fn reactivate(db: &DatabaseConnection, viewer: &Viewer, user_id: Uuid) -> AppResult<user::Model> {
    change_user(db, viewer, user_id, Change::UserReactivated, |user| {
        let mut active = user.into_active_model();
        active.active = Set(true);
        active
    })
    .await
}

/// Applies an admin's change to a user of the organization, then checks that an active admin
/// remains. The organization row is locked first (PostgreSQL; SQLite has one writer), so two
/// admins demoting each other at once cannot both succeed.
async fn change_user(
    db: &DatabaseConnection,
    viewer: &Viewer,
    user_id: Uuid,
    recorded: fn(UserStanding) -> Change,
    change: impl FnOnce(user::Model) -> user::ActiveModel,
) -> AppResult<user::Model> {
    viewer.require_session()?;
    viewer.require_admin()?;
    let tx = db::begin_write(db, viewer.org_id).await?;
    organization::Entity::find_by_id(viewer.org_id).lock_exclusive().one(&tx).await?;
    let user = find_in_org(&tx, viewer.org_id, user_id).await?;
    let before = (user.role, user.active);
    let mut active = change(user);
    active.updated_at = Set(viewer.now());
    let user = active.update(&tx).await?;
    if (user.role, user.active) == before {
        tx.commit().await?;
        return Ok(user);
    }
    ensure_an_active_admin(&tx, viewer.org_id).await?;
    if !user.active {
        identity::revoke_all_sessions(&tx, user.id, viewer.now()).await?;
    }
    let standing = UserStanding { role: user.role, active: user.active };
    events::record_change(&tx, viewer, (NodeKind::User, user.id), recorded(standing)).await?;
    tx.commit().await?;
    Ok(user)
}

async fn ensure_an_active_admin(tx: &impl ConnectionTrait, org_id: Uuid) -> AppResult<()> {
    let admins = user::Entity::find()
        .filter(user::Column::OrganizationId.eq(org_id))
        .filter(user::Column::Role.eq(OrgRole::Admin))
        .filter(user::Column::Active.eq(true))
        .count(tx)
        .await?;
    if admins == 0 {
        return Err(AppError::invalid("userId", "an organization must keep at least one active admin"));
    }
    Ok(())
}

use async_graphql::{Context, ID, InputObject, Object, Result};
use axum::http::header;

use crate::auth::cookie::{self, SessionCookie};
use crate::domain::accounts;
use crate::domain::identity::{self, Session, SignUp};
use crate::error::{AppError, AppResult, AuthFailure};
use crate::graphql::types::{AuthPayload, PasswordResetPayload, User};
use crate::graphql::{ContextExt, reauthenticate};
use crate::ids::{self, NodeKind};

/// A new organization and its first admin.
#[derive(InputObject)]
pub struct SignUpInput {
    /// The organization's name: 1 to 200 characters. Its slug is derived from it.
    pub organization_name: String,
    /// The admin's sign-in email; no account on this server may have it yet.
    pub email: String,
    /// At least 10 characters (at most 256).
    pub password: String,
    /// The admin's name as others see it: 1 to 200 characters.
    pub display_name: String,
}

#[derive(Default)]
pub struct IdentityMutation;

#[Object]
impl IdentityMutation {
    /// Creates a new organization and its first admin, signed in. Needs no credentials.
    /// FORBIDDEN when sign-up is closed on this server. Each costs a password hash: they count
    /// against the client's address like failed logins (RATE_LIMITED past the limit).
    ///
    /// On a server without email, the account is usable at once, and an address that already
    /// has an account is BAD_USER_INPUT (`email`). On a server that sends email, the address
    /// must be confirmed: the answer is the same for every address, its tokens answer
    /// UNAUTHENTICATED (`reason: EMAIL_UNVERIFIED`) until the link emailed to it
    /// (`{public}/verify-email?token=…`) is passed to `verifyEmail`, and a sign-up not
    /// confirmed within 48 hours is deleted.
    async fn sign_up(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The organization and its first admin.")] input: SignUpInput,
    ) -> Result<AuthPayload> {
        let state = ctx.state();
        let input = SignUp {
            organization_name: input.organization_name,
            email: input.email,
            password: input.password,
            display_name: input.display_name,
        };
        let allowed = state.config.allow_signup;
        session(
            ctx,
            identity::sign_up(&state.db, &state.auth, &state.mailer, allowed, input, ctx.client_address()).await?,
        )
    }

    /// Signs in with email and password. A wrong pair is UNAUTHENTICATED
    /// (`reason: WRONG_CREDENTIALS`), whether or not the email has an account; a deactivated
    /// account is UNAUTHENTICATED (`DEACTIVATED`). A sign-up whose address is not confirmed yet
    /// signs in with `verifyEmail`, not here (it answers as an unknown address would). Too many failures for the account or the
    /// client's address are RATE_LIMITED (`extensions.retryAfter` seconds), even with the right
    /// password.
    async fn login(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The account's email (case-insensitive).")] email: String,
        #[graphql(desc = "The account's password.")] password: String,
    ) -> Result<AuthPayload> {
        let state = ctx.state();
        session(ctx, identity::login(&state.db, &state.auth, &email, &password, ctx.client_address()).await?)
    }

    /// Exchanges a refresh token for a new access and refresh token. Each refresh token works
    /// once: presented again within 10 seconds it answers the same successor (two tabs
    /// refreshing at once keep the session); later, it signs the whole session out
    /// (UNAUTHENTICATED, `reason: SESSION_ENDED`). An unknown token is UNAUTHENTICATED
    /// (`INVALID_TOKEN`). Needs no access token.
    async fn refresh_session(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The `refreshToken` of the session's latest `AuthPayload`; in cookie mode, omit it: the cookie carries it."
        )]
        refresh_token: Option<String>,
    ) -> Result<AuthPayload> {
        let state = ctx.state();
        let address = ctx.client_address();
        let token = refresh_token_of(ctx, refresh_token)?;
        session(ctx, identity::refresh_session(&state.db, &state.auth, &token, address).await?)
    }

    /// Ends the session of this refresh token: its access tokens and sockets stop at once.
    /// Needs no access token; answers true whether or not the token was known.
    async fn logout(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A refresh token of the session to end; in cookie mode, omit it: the cookie carries it.")]
        refresh_token: Option<String>,
    ) -> Result<bool> {
        let token = refresh_token_of(ctx, refresh_token)?;
        identity::logout(ctx.db(), &ctx.state().auth, &token).await?;
        if ctx.state().config.session_cookie {
            ctx.append_http_header(header::SET_COOKIE, cookie::clear());
        }
        Ok(true)
    }

    /// Ends every session of the viewer; every access token stops working at once. Not with an
    /// API token (FORBIDDEN).
    async fn logout_everywhere(&self, ctx: &Context<'_>) -> Result<bool> {
        identity::logout_everywhere(ctx.db(), ctx.viewer()?).await?;
        Ok(true)
    }

    /// Changes the viewer's password and signs out every other session (their access tokens and
    /// sockets stop at once). A wrong current password is BAD_USER_INPUT (`currentPassword`)
    /// and counts like a failed login (RATE_LIMITED past the limit). Not with an API token
    /// (FORBIDDEN).
    async fn change_password(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The viewer's password now.")] current_password: String,
        #[graphql(desc = "The new password: at least 10 characters (at most 256).")] new_password: String,
    ) -> Result<bool> {
        let confirmed = reauthenticate(ctx, &current_password).await?;
        let state = ctx.state();
        identity::change_password(&state.db, &state.auth, ctx.viewer()?, confirmed, &new_password).await?;
        Ok(true)
    }

    /// Confirms a sign-up's address with the token of the link emailed to it and the password
    /// chosen at sign-up, and signs in: the organization is usable from now on (the sign-up's
    /// own tokens start working too). Needs no credentials. BAD_USER_INPUT (`token`) for a link
    /// that is unknown, used or expired (48 hours), (`password`) for the wrong password;
    /// failures count against the client's address like failed logins.
    async fn verify_email(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The `token` of the emailed link.")] token: String,
        #[graphql(desc = "The password chosen at sign-up.")] password: String,
    ) -> Result<AuthPayload> {
        let state = ctx.state();
        let address = ctx.client_address();
        session(ctx, accounts::verify_email(&state.db, &state.auth, &token, &password, address).await?)
    }

    /// Emails a password reset link (`{public}/reset-password?token=…`, one hour) to the
    /// account with this address. Needs no credentials, and answers true whether or not the
    /// address has an account (and on a server without email, where nothing is sent: an admin
    /// issues the link with `createPasswordReset`). Each request counts against the client's
    /// address (RATE_LIMITED past the limit); one account gets at most three links an hour.
    async fn request_password_reset(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The account's email (case-insensitive).")] email: String,
    ) -> Result<bool> {
        let state = ctx.state();
        accounts::request_password_reset(state, &email, ctx.client_address()).await?;
        Ok(true)
    }

    /// Sets a new password with a reset token, and signs in. The token works once; every other
    /// session of the account ends at once (access tokens and sockets), and other reset links
    /// stop working. Needs no credentials. BAD_USER_INPUT (`token`) for a link that is unknown,
    /// used or expired, (`newPassword`) for a password too short or too long; guesses count
    /// against the client's address.
    async fn reset_password(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The `token` of the reset link.")] token: String,
        #[graphql(desc = "The new password: at least 10 characters (at most 256).")] new_password: String,
    ) -> Result<AuthPayload> {
        let state = ctx.state();
        let address = ctx.client_address();
        session(ctx, accounts::reset_password(&state.db, &state.auth, &token, &new_password, address).await?)
    }

    /// Issues a password reset link for a member, shown only in this answer, for an admin to
    /// hand over on a server without email (where `requestPasswordReset` sends nothing; on a
    /// server with email it is INVALID_STATE: members ask for their own). Admin only, not with
    /// an API token (FORBIDDEN); a deactivated member is INVALID_STATE. The link works once,
    /// for one hour.
    async fn create_password_reset(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The member whose password to reset.")] user_id: ID,
    ) -> Result<PasswordResetPayload> {
        let state = ctx.state();
        let user_id = ids::decode(&user_id, NodeKind::User, "userId")?;
        let issued = accounts::create_password_reset(&state.db, &state.mailer, ctx.viewer()?, user_id).await?;
        Ok(PasswordResetPayload {
            user: User(issued.user),
            token: issued.token,
            url: issued.url,
            expires_at: issued.expires_at,
        })
    }

    /// Changes what the viewer receives by email; a field left out stays as it is. The digest,
    /// turned on, starts with the next week. Not with an API token (FORBIDDEN).
    async fn update_notification_preferences(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The kinds of email to turn on or off.")] input: NotificationPreferencesInput,
    ) -> Result<User> {
        let viewer = ctx.viewer()?;
        Ok(User(accounts::update_preferences(ctx.db(), viewer, input.nudges, input.digest).await?))
    }
}

/// What to receive by email; a field left out stays as it is.
#[derive(InputObject)]
pub struct NotificationPreferencesInput {
    /// Deadline nudges about what the viewer must act on.
    pub nudges: Option<bool>,
    /// The weekly learning digest.
    pub digest: Option<bool>,
}

/// The answer to a sign-in: in cookie mode the refresh token goes into the cookie (only for a
/// request that passed the cross-site checks).
pub(crate) fn session(ctx: &Context<'_>, session: Session) -> Result<AuthPayload> {
    if let Some(cookie) = ctx.data_opt::<SessionCookie>().filter(|cookie| cookie.trusted) {
        ctx.append_http_header(header::SET_COOKIE, cookie.set(&session.refresh_token));
    }
    Ok(AuthPayload(session))
}

/// The refresh token given as an argument, or (in cookie mode) the cookie's.
fn refresh_token_of(ctx: &Context<'_>, given: Option<String>) -> AppResult<String> {
    let presented = || ctx.data_opt::<SessionCookie>().and_then(|cookie| cookie.presented.clone());
    given.filter(|token| !token.trim().is_empty()).or_else(presented).ok_or_else(|| {
        AppError::unauthenticated(
            AuthFailure::Missing,
            "send `refreshToken` (or, on a server in cookie mode, the session cookie from this site)",
        )
    })
}

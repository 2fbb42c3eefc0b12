use async_graphql::{Context, InputObject, Object, Result};
use axum::http::header;

use crate::auth::cookie::{self, SessionCookie};
use crate::domain::identity::{self, Session, SignUp};
use crate::error::{AppError, AppResult, AuthFailure};
use crate::graphql::types::AuthPayload;
use crate::graphql::{ContextExt, reauthenticate};

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
    /// FORBIDDEN when sign-up is closed on this server; BAD_USER_INPUT (`email`) when the email
    /// already has an account. Each costs a password hash: they count against the client's
    /// address like failed logins (RATE_LIMITED past the limit).
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
        session(ctx, identity::sign_up(&state.db, &state.auth, allowed, input, ctx.client_address()).await?)
    }

    /// Signs in with email and password. A wrong pair is UNAUTHENTICATED
    /// (`reason: WRONG_CREDENTIALS`), whether or not the email has an account; a deactivated
    /// account is UNAUTHENTICATED (`DEACTIVATED`). Too many failures for the account or the
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

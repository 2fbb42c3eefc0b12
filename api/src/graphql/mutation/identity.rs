use async_graphql::{Context, InputObject, Object, Result};

use crate::domain::identity::{self, SignUp};
use crate::graphql::types::AuthPayload;
use crate::graphql::{ContextExt, reauthenticate};

#[derive(InputObject)]
pub struct SignUpInput {
    pub organization_name: String,
    pub email: String,
    /// At least 10 characters.
    pub password: String,
    pub display_name: String,
}

#[derive(Default)]
pub struct IdentityMutation;

#[Object]
impl IdentityMutation {
    /// Creates a new organization and its first admin, signed in.
    /// Each costs a password hash: they count against the client's address like failed logins.
    async fn sign_up(&self, ctx: &Context<'_>, input: SignUpInput) -> Result<AuthPayload> {
        let state = ctx.state();
        let input = SignUp {
            organization_name: input.organization_name,
            email: input.email,
            password: input.password,
            display_name: input.display_name,
        };
        let allowed = state.config.allow_signup;
        Ok(AuthPayload(identity::sign_up(&state.db, &state.auth, allowed, input, ctx.client_address()).await?))
    }

    /// Signs in with email and password.
    async fn login(&self, ctx: &Context<'_>, email: String, password: String) -> Result<AuthPayload> {
        let state = ctx.state();
        Ok(AuthPayload(identity::login(&state.db, &state.auth, &email, &password, ctx.client_address()).await?))
    }

    /// Exchanges a refresh token for a new access and refresh token. Each refresh token works
    /// once; presenting a used one signs the whole session out.
    async fn refresh_session(&self, ctx: &Context<'_>, refresh_token: String) -> Result<AuthPayload> {
        let state = ctx.state();
        let address = ctx.client_address();
        Ok(AuthPayload(identity::refresh_session(&state.db, &state.auth, &refresh_token, address).await?))
    }

    /// Ends the session of this refresh token: its access tokens and sockets stop at once.
    async fn logout(&self, ctx: &Context<'_>, refresh_token: String) -> Result<bool> {
        identity::logout(ctx.db(), &ctx.state().auth, &refresh_token).await?;
        Ok(true)
    }

    /// Ends every session of the viewer; every access token stops working at once.
    async fn logout_everywhere(&self, ctx: &Context<'_>) -> Result<bool> {
        identity::logout_everywhere(ctx.db(), ctx.viewer()?).await?;
        Ok(true)
    }

    /// Changes the viewer's password and signs out every other session (their access tokens and
    /// sockets stop at once). Wrong current passwords count like failed logins.
    async fn change_password(&self, ctx: &Context<'_>, current_password: String, new_password: String) -> Result<bool> {
        let confirmed = reauthenticate(ctx, &current_password).await?;
        let state = ctx.state();
        identity::change_password(&state.db, &state.auth, ctx.viewer()?, confirmed, &new_password).await?;
        Ok(true)
    }
}

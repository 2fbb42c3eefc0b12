use async_graphql::{Context, ID, InputObject, Object, Result};

use crate::domain::users::{self, AcceptInvitation};
use crate::graphql::ContextExt;
use crate::graphql::types::{AuthPayload, Invitation, InvitationPayload, OrgRole, User};
use crate::ids::{self, NodeKind};

#[derive(InputObject)]
pub struct InviteUserInput {
    pub email: String,
    pub role: OrgRole,
}

#[derive(InputObject)]
pub struct AcceptInvitationInput {
    pub token: String,
    /// At least 10 characters.
    pub password: String,
    pub display_name: String,
}

#[derive(Default)]
pub struct PeopleMutation;

#[Object]
impl PeopleMutation {
    /// Invites an email to the organization (admin). The token is shown only in this answer.
    async fn invite_user(&self, ctx: &Context<'_>, input: InviteUserInput) -> Result<InvitationPayload> {
        let state = ctx.state();
        let new = users::invite(&state.db, &state.auth, ctx.viewer()?, &input.email, input.role.into()).await?;
        Ok(InvitationPayload { invitation: Invitation(new.invitation), token: new.token })
    }

    /// Accepts an invitation: creates the account and signs it in.
    async fn accept_invitation(&self, ctx: &Context<'_>, input: AcceptInvitationInput) -> Result<AuthPayload> {
        let state = ctx.state();
        let input = AcceptInvitation { token: input.token, password: input.password, display_name: input.display_name };
        Ok(AuthPayload(users::accept_invitation(&state.db, &state.auth, input, ctx.client_address()).await?))
    }

    /// Changes a user's organization role (admin). The last active admin cannot be demoted.
    async fn set_org_role(&self, ctx: &Context<'_>, user_id: ID, role: OrgRole) -> Result<User> {
        let user_id = ids::decode(&user_id, NodeKind::User, "userId")?;
        Ok(User(users::set_org_role(ctx.db(), ctx.viewer()?, user_id, role.into()).await?))
    }

    /// Deactivates a user (admin): they cannot sign in and their tokens stop working at once.
    async fn deactivate_user(&self, ctx: &Context<'_>, user_id: ID) -> Result<User> {
        let user_id = ids::decode(&user_id, NodeKind::User, "userId")?;
        Ok(User(users::deactivate(ctx.db(), ctx.viewer()?, user_id).await?))
    }

    /// Reactivates a deactivated user (admin).
    async fn reactivate_user(&self, ctx: &Context<'_>, user_id: ID) -> Result<User> {
        let user_id = ids::decode(&user_id, NodeKind::User, "userId")?;
        Ok(User(users::reactivate(ctx.db(), ctx.viewer()?, user_id).await?))
    }
}

use async_graphql::{Context, ID, InputObject, Object, Result};

use crate::domain::users::{self, AcceptInvitation};
use crate::graphql::ContextExt;
use crate::graphql::types::{AuthPayload, Invitation, InvitationPayload, OrgRole, User};
use crate::ids::{self, NodeKind};

/// Whom to invite, and with which role.
#[derive(InputObject)]
pub struct InviteUserInput {
    /// The address to invite; no account on this server may have it yet.
    pub email: String,
    /// The organization role the invitee gets.
    pub role: OrgRole,
}

/// An invitation token and the new account's password and name.
#[derive(InputObject)]
pub struct AcceptInvitationInput {
    /// The token from `inviteUser` (`hsi_…`).
    pub token: String,
    /// At least 10 characters (at most 256).
    pub password: String,
    /// The name others see: 1 to 200 characters.
    pub display_name: String,
}

#[derive(Default)]
pub struct PeopleMutation;

#[Object]
impl PeopleMutation {
    /// Invites an email to the organization (admin only; not with an API token: FORBIDDEN).
    /// The token expires after 7 days by default; a new invitation replaces a pending one for
    /// the same email. On a server without email the token is shown only in this answer, for
    /// the admin to pass on; on a server with email it goes to the address alone, in the link
    /// `{public}/accept-invitation?token=…`, and `token` is empty (accepting then proves the
    /// invitee holds the address). BAD_USER_INPUT
    /// (`email`) when the person is already a member; an address with an account in another
    /// organization is invited like any other (the answer does not tell).
    async fn invite_user(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Whom to invite, and with which role.")] input: InviteUserInput,
    ) -> Result<InvitationPayload> {
        let state = ctx.state();
        let new = users::invite(&state.db, &state.auth, &state.mailer, ctx.viewer()?, &input.email, input.role.into())
            .await?;
        Ok(InvitationPayload { invitation: Invitation(new.invitation), token: new.token.unwrap_or_default() })
    }

    /// Accepts an invitation: creates the account, with the invitation's email and role, and
    /// signs it in. Needs no credentials. A used, replaced, expired or unknown token is
    /// BAD_USER_INPUT (`token`); guesses count against the client's address (RATE_LIMITED past
    /// the limit).
    async fn accept_invitation(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The invitation token and the new account's password and name.")] input: AcceptInvitationInput,
    ) -> Result<AuthPayload> {
        let state = ctx.state();
        let input = AcceptInvitation { token: input.token, password: input.password, display_name: input.display_name };
        super::identity::session(
            ctx,
            users::accept_invitation(&state.db, &state.auth, input, ctx.client_address()).await?,
        )
    }

    /// Changes a user's organization role (admin only; not with an API token: FORBIDDEN). The
    /// last active admin cannot be demoted (BAD_USER_INPUT, `userId`). The user's open sockets
    /// close, to reconnect with the new role.
    async fn set_org_role(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The user whose role changes.")] user_id: ID,
        #[graphql(desc = "The new organization role.")] role: OrgRole,
    ) -> Result<User> {
        let user_id = ids::decode(&user_id, NodeKind::User, "userId")?;
        Ok(User(users::set_org_role(ctx.db(), ctx.viewer()?, user_id, role.into()).await?))
    }

    /// Deactivates a user (admin only; not with an API token: FORBIDDEN): they cannot sign in,
    /// and their sessions, API tokens and sockets stop working at once. The last active admin
    /// cannot be deactivated (BAD_USER_INPUT, `userId`). Their memberships and actions stay;
    /// the review's readiness flags actions they own.
    async fn deactivate_user(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The user to deactivate.")] user_id: ID,
    ) -> Result<User> {
        let user_id = ids::decode(&user_id, NodeKind::User, "userId")?;
        Ok(User(users::deactivate(ctx.db(), ctx.viewer()?, user_id).await?))
    }

    /// Reactivates a deactivated user (admin only; not with an API token: FORBIDDEN): they can
    /// sign in again.
    async fn reactivate_user(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The user to reactivate.")] user_id: ID,
    ) -> Result<User> {
        let user_id = ids::decode(&user_id, NodeKind::User, "userId")?;
        Ok(User(users::reactivate(ctx.db(), ctx.viewer()?, user_id).await?))
    }
}

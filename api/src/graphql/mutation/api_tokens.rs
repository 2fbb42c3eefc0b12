use async_graphql::{Context, ID, Object, Result};
use chrono::{DateTime, Utc};

use crate::domain::api_tokens;
use crate::graphql::types::{ApiToken, ApiTokenPayload, TokenScope};
use crate::graphql::{ContextExt, reauthenticate};
use crate::ids::{self, NodeKind};

#[derive(Default)]
pub struct ApiTokenMutation;

#[Object]
impl ApiTokenMutation {
    /// Creates an API token for scripts, acting as the viewer, who enters their password again.
    /// It expires at `expiresAt`, or in 90 days. The secret is shown only in this answer; send
    /// it as `Authorization: Bearer <secret>`. A wrong `currentPassword` is BAD_USER_INPUT and
    /// counts like a failed login; an API token cannot create tokens (FORBIDDEN).
    async fn create_api_token(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What the token is for: 1 to 120 characters.")] name: String,
        #[graphql(desc = "READ for queries and subscriptions; WRITE for mutations too.")] scope: TokenScope,
        #[graphql(desc = "When it stops working (future); in 90 days if omitted.")] expires_at: Option<DateTime<Utc>>,
        #[graphql(desc = "The viewer's password, entered again.")] current_password: String,
    ) -> Result<ApiTokenPayload> {
        let confirmed = reauthenticate(ctx, &current_password).await?;
        let new = api_tokens::create(ctx.db(), ctx.viewer()?, confirmed, &name, scope.into(), expires_at).await?;
        Ok(ApiTokenPayload { api_token: ApiToken(new.token), secret: new.secret })
    }

    /// Revokes an API token: it stops working at once. The viewer's own tokens; an admin may
    /// revoke any of the organization's. Revoking it again changes nothing. Not with an API
    /// token (FORBIDDEN).
    async fn revoke_api_token(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The token to revoke.")] id: ID,
    ) -> Result<ApiToken> {
        let id = ids::decode(&id, NodeKind::ApiToken, "id")?;
        Ok(ApiToken(api_tokens::revoke(ctx.db(), ctx.viewer()?, id).await?))
    }
}

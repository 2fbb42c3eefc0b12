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
    /// it as `Authorization: Bearer <secret>`.
    async fn create_api_token(
        &self,
        ctx: &Context<'_>,
        name: String,
        scope: TokenScope,
        expires_at: Option<DateTime<Utc>>,
        current_password: String,
    ) -> Result<ApiTokenPayload> {
        let confirmed = reauthenticate(ctx, &current_password).await?;
        let new = api_tokens::create(ctx.db(), ctx.viewer()?, confirmed, &name, scope.into(), expires_at).await?;
        Ok(ApiTokenPayload { api_token: ApiToken(new.token), secret: new.secret })
    }

    /// Revokes an API token: it stops working at once.
    async fn revoke_api_token(&self, ctx: &Context<'_>, id: ID) -> Result<ApiToken> {
        let id = ids::decode(&id, NodeKind::ApiToken, "id")?;
        Ok(ApiToken(api_tokens::revoke(ctx.db(), ctx.viewer()?, id).await?))
    }
}

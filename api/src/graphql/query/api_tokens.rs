use async_graphql::{Context, Object, Result};

use crate::domain::api_tokens;
use crate::graphql::ContextExt;
use crate::graphql::types::{ApiToken, Connection, connection};

#[derive(Default)]
pub struct ApiTokenQuery;

#[Object]
impl ApiTokenQuery {
    /// The viewer's own API tokens, oldest first (secrets are never shown again).
    #[graphql(complexity = "crate::graphql::page_cost(first, child_complexity)")]
    async fn api_tokens(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many items to return: 20 when omitted; more than 100 returns 100.")] first: Option<i32>,
        #[graphql(desc = "Return the items after this cursor: the previous page's `endCursor`.")] after: Option<String>,
    ) -> Result<Connection<ApiToken>> {
        let page = ctx.page(first, after.as_deref())?;
        let tokens = api_tokens::list_own(ctx.db(), ctx.viewer()?, &page).await?;
        Ok(connection(tokens, ApiToken))
    }
}

use async_graphql::{Context, Object, Result};

use crate::domain::webhooks;
use crate::graphql::ContextExt;
use crate::graphql::types::{Connection, Webhook, connection};

#[derive(Default)]
pub struct WebhookQuery;

#[Object]
impl WebhookQuery {
    /// The webhooks the viewer manages, oldest first: the organization's for an admin, their
    /// teams' for a lead, none for anyone else.
    #[graphql(complexity = "crate::graphql::page_cost(first, child_complexity)")]
    async fn webhooks(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many items to return: 20 when omitted; more than 100 returns 100.")] first: Option<i32>,
        #[graphql(desc = "Return the items after this cursor: the previous page's `endCursor`.")] after: Option<String>,
    ) -> Result<Connection<Webhook>> {
        let page = ctx.page(first, after.as_deref())?;
        Ok(connection(webhooks::list(ctx.db(), ctx.viewer()?, &page).await?, Webhook))
    }
}

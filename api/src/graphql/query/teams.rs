use async_graphql::{Context, ID, Object, Result};

use crate::domain::teams;
use crate::graphql::ContextExt;
use crate::graphql::types::{Connection, Team, connection};
use crate::ids::{self, NodeKind};

#[derive(Default)]
pub struct TeamQuery;

#[Object]
impl TeamQuery {
    /// The organization's teams, ordered by slug.
    #[graphql(complexity = "crate::graphql::page_cost(first, child_complexity)")]
    async fn teams(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many items to return: 20 when omitted; more than 100 returns 100.")] first: Option<i32>,
        #[graphql(desc = "Return the items after this cursor: the previous page's `endCursor`.")] after: Option<String>,
    ) -> Result<Connection<Team>> {
        let page = ctx.page(first, after.as_deref())?;
        let teams = teams::list(ctx.db(), ctx.viewer()?, &page).await?;
        Ok(connection(teams, Team))
    }

    /// One team; null when it does not exist in the viewer's organization.
    async fn team(&self, ctx: &Context<'_>, #[graphql(desc = "The team's ID.")] id: ID) -> Result<Option<Team>> {
        let viewer = ctx.viewer()?;
        let Some(id) = ids::decode_lookup(&id, NodeKind::Team, "id")? else {
            return Ok(None);
        };
        Ok(teams::get(ctx.db(), viewer, id).await?.map(Team))
    }
}

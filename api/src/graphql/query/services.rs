use async_graphql::{Context, ID, Object, Result};

use crate::domain::services::{self, ServiceFilter};
use crate::graphql::ContextExt;
use crate::graphql::types::{Connection, Service, connection};
use crate::ids::{self, NodeKind};

#[derive(Default)]
pub struct ServiceQuery;

#[Object]
impl ServiceQuery {
    /// The organization's service catalog, by name (archived services left out unless asked).
    #[graphql(complexity = "crate::graphql::page_cost(first, child_complexity)")]
    async fn services(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Words of the service's name, in any case: at most 200 characters.")] search: Option<String>,
        #[graphql(desc = "Only services this team owns.")] owner_team_id: Option<ID>,
        #[graphql(desc = "Archived services too; false when omitted.")] include_archived: Option<bool>,
        #[graphql(desc = "How many items to return: 20 when omitted; more than 100 returns 100.")] first: Option<i32>,
        #[graphql(desc = "Return the items after this cursor: the previous page's `endCursor`.")] after: Option<String>,
    ) -> Result<Connection<Service>> {
        let viewer = ctx.viewer()?;
        let page = ctx.page(first, after.as_deref())?;
        let owner_team_id =
            owner_team_id.as_ref().map(|id| ids::decode(id, NodeKind::Team, "ownerTeamId")).transpose()?;
        let filter = ServiceFilter { search, owner_team_id, include_archived: include_archived.unwrap_or(false) };
        Ok(connection(services::list(ctx.db(), viewer, filter, &page).await?, Service))
    }
}

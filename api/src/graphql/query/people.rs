use async_graphql::{Context, ID, Object, Result};

use crate::domain::users;
use crate::graphql::ContextExt;
use crate::graphql::types::{Connection, Organization, User, connection};
use crate::ids::{self, NodeKind};

#[derive(Default)]
pub struct PeopleQuery;

#[Object]
impl PeopleQuery {
    /// The signed-in user.
    async fn me(&self, ctx: &Context<'_>) -> Result<User> {
        let viewer = ctx.viewer()?;
        Ok(User(users::find_in_org(ctx.db(), viewer.org_id, viewer.user_id).await?))
    }

    /// The viewer's organization.
    async fn organization(&self, ctx: &Context<'_>) -> Result<Organization> {
        Ok(Organization(users::organization(ctx.db(), ctx.viewer()?).await?))
    }

    /// The organization's users (active or not) ordered by email; `search` matches email or
    /// display name.
    #[graphql(complexity = "crate::graphql::page_cost(first, child_complexity)")]
    async fn users(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Part of an email or display name (case-insensitive).")] search: Option<String>,
        #[graphql(desc = "How many items to return: 20 when omitted; more than 100 returns 100.")] first: Option<i32>,
        #[graphql(desc = "Return the items after this cursor: the previous page's `endCursor`.")] after: Option<String>,
    ) -> Result<Connection<User>> {
        let page = ctx.page(first, after.as_deref())?;
        let users = users::list(ctx.db(), ctx.viewer()?, search.as_deref(), &page).await?;
        Ok(connection(users, User))
    }

    /// One user of the organization; null when it does not exist in the viewer's organization.
    async fn user(&self, ctx: &Context<'_>, #[graphql(desc = "The user's ID.")] id: ID) -> Result<Option<User>> {
        let viewer = ctx.viewer()?;
        let Some(id) = ids::decode_lookup(&id, NodeKind::User, "id")? else {
            return Ok(None);
        };
        Ok(users::get(ctx.db(), viewer, id).await?.map(User))
    }
}

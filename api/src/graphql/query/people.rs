use async_graphql::connection::{Connection, EmptyFields};
use async_graphql::{Context, ID, Object, Result};

use crate::domain::users;
use crate::graphql::ContextExt;
use crate::graphql::types::{ConnectionFields, Organization, User, connection};
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

    /// The organization's users ordered by email; `search` matches email or display name.
    #[graphql(complexity = "crate::graphql::page_cost(first, child_complexity)")]
    async fn users(
        &self,
        ctx: &Context<'_>,
        search: Option<String>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, User, ConnectionFields, EmptyFields>> {
        let page = ctx.page(first, after.as_deref())?;
        let users = users::list(ctx.db(), ctx.viewer()?, search.as_deref(), &page).await?;
        Ok(connection(users, User))
    }

    /// One user of the organization; null when it does not exist in the viewer's organization.
    async fn user(&self, ctx: &Context<'_>, id: ID) -> Result<Option<User>> {
        let viewer = ctx.viewer()?;
        let Some(id) = ids::decode_lookup(&id, NodeKind::User, "id")? else {
            return Ok(None);
        };
        Ok(users::get(ctx.db(), viewer, id).await?.map(User))
    }
}

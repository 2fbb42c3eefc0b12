use async_graphql::connection::{Connection, EmptyFields};
use async_graphql::{Context, ID, Object, Result};

use crate::domain::learning::{self, FeedFilter};
use crate::domain::{blameless, history, reviews};
use crate::graphql::ContextExt;
use crate::graphql::types::{BlamelessFinding, ConnectionFields, Event, Review, connection};
use crate::ids::{self, NodeKind};

#[derive(Default)]
pub struct ReviewQuery;

#[Object]
impl ReviewQuery {
    /// One review; null when it does not exist or the viewer may not read it.
    async fn review(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Review>> {
        let viewer = ctx.viewer()?;
        let Some(id) = ids::decode_lookup(&id, NodeKind::Review, "id")? else { return Ok(None) };
        Ok(reviews::get(ctx.db(), viewer, id).await?.map(Review))
    }

    /// Published reviews shared with the whole organization, most recently published first:
    /// what other teams learned.
    #[graphql(complexity = "crate::graphql::page_cost(first, child_complexity)")]
    async fn learning_feed(
        &self,
        ctx: &Context<'_>,
        team_ids: Option<Vec<ID>>,
        tags: Option<Vec<String>>,
        search: Option<String>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, Review, ConnectionFields, EmptyFields>> {
        let viewer = ctx.viewer()?;
        let page = ctx.page(first, after.as_deref())?;
        let team_ids = team_ids
            .unwrap_or_default()
            .iter()
            .map(|id| ids::decode(id, NodeKind::Team, "teamIds"))
            .collect::<Result<_, _>>()?;
        let filter = FeedFilter { team_ids, tags: tags.unwrap_or_default(), search };
        Ok(connection(learning::feed(ctx.db(), viewer, filter, &page).await?, Review))
    }

    /// Blame language in a text, with systemic rephrasings (warnings only).
    #[graphql(complexity = "crate::graphql::cost::text_scan(&text) + child_complexity")]
    async fn blameless_check(&self, ctx: &Context<'_>, text: String) -> Result<Vec<BlamelessFinding>> {
        ctx.viewer()?;
        Ok(blameless::check_input(text).await?.into_iter().map(BlamelessFinding).collect())
    }

    /// The change log of one object, oldest first.
    #[graphql(complexity = "crate::graphql::page_cost(first, child_complexity)")]
    async fn history(
        &self,
        ctx: &Context<'_>,
        subject_id: ID,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, Event, ConnectionFields, EmptyFields>> {
        let page = ctx.page(first, after.as_deref())?;
        let events = history::of_subject(ctx.db(), ctx.viewer()?, &subject_id, &page).await?;
        Ok(connection(events, Event))
    }
}

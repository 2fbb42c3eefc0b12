use async_graphql::{Context, ID, Object, Result};

use crate::domain::learning::{self, FeedFilter};
use crate::domain::{blameless, history, reviews};
use crate::graphql::ContextExt;
use crate::graphql::types::{BlamelessFinding, Connection, Event, Review, connection};
use crate::ids::{self, NodeKind};

#[derive(Default)]
pub struct ReviewQuery;

#[Object]
impl ReviewQuery {
    /// One review; null when it does not exist or the viewer may not read it.
    async fn review(&self, ctx: &Context<'_>, #[graphql(desc = "The review's ID.")] id: ID) -> Result<Option<Review>> {
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
        #[graphql(desc = "Only reviews owned by one of these teams.")] team_ids: Option<Vec<ID>>,
        #[graphql(desc = "Only reviews of incidents carrying any of these tags.")] tags: Option<Vec<String>>,
        #[graphql(
            desc = "Words to find in the title, summary, impact, learnings, what went well, the why chain and the contributing factors (PostgreSQL: English full-text search, with \"phrases\", `or` and `-word`; SQLite: each word as a case-insensitive substring). At most 200 characters."
        )]
        search: Option<String>,
        #[graphql(desc = "How many items to return: 20 when omitted; more than 100 returns 100.")] first: Option<i32>,
        #[graphql(desc = "Return the items after this cursor: the previous page's `endCursor`.")] after: Option<String>,
    ) -> Result<Connection<Review>> {
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

    /// Blame language in a text, with systemic rephrasings (warnings only: none blocks).
    #[graphql(complexity = "crate::graphql::cost::text_scan(&text) + child_complexity")]
    async fn blameless_check(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The text to check: at most 20,000 characters.")] text: String,
    ) -> Result<Vec<BlamelessFinding>> {
        ctx.viewer()?;
        Ok(blameless::check_input(text).await?.into_iter().map(BlamelessFinding).collect())
    }

    /// The change log of one object, oldest first. An object the viewer may not read is
    /// NOT_FOUND; someone else's sign-in events (PASSWORD_CHANGED, SESSIONS_REVOKED,
    /// SIGNED_OUT) are shown to admins only.
    #[graphql(complexity = "crate::graphql::page_cost(first, child_complexity)")]
    async fn history(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The `id` of the object whose changes to list.")] subject_id: ID,
        #[graphql(desc = "How many items to return: 20 when omitted; more than 100 returns 100.")] first: Option<i32>,
        #[graphql(desc = "Return the items after this cursor: the previous page's `endCursor`.")] after: Option<String>,
    ) -> Result<Connection<Event>> {
        let page = ctx.page(first, after.as_deref())?;
        let events = history::of_subject(ctx.db(), ctx.viewer()?, &subject_id, &page).await?;
        Ok(connection(events, Event))
    }
}

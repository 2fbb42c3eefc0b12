use async_graphql::{Context, ID, Object, Result};

use crate::domain::learning::{self, FeedFilter};
use crate::domain::{blameless, history, related, reviews};
use crate::graphql::ContextExt;
use crate::graphql::types::{BlamelessFinding, Connection, Date, Event, Review, Theme, connection};
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
    #[allow(clippy::too_many_arguments, reason = "one per argument of the contract's field")]
    async fn learning_feed(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only reviews owned by one of these teams.")] team_ids: Option<Vec<ID>>,
        #[graphql(desc = "Only reviews of incidents carrying any of these tags.")] tags: Option<Vec<String>>,
        #[graphql(
            desc = "Words to find in the title, summary, impact, learnings, what went well, the why chain and the contributing factors: English full-text search (any form of a word: `deploys` finds `deploy`), with \"phrases\" (on SQLite, their words anywhere in the review's text), `or` and `-word`. At most 200 characters."
        )]
        search: Option<String>,
        #[graphql(
            desc = "A team: the reviews it was told concern it (`LEARNING_RELEVANT`: a service it owns, an incident like its own) come first, then the rest, each part most recently published first."
        )]
        relevant_to: Option<ID>,
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
        let relevant_to = relevant_to.as_ref().map(|id| ids::decode(id, NodeKind::Team, "relevantTo")).transpose()?;
        let filter = FeedFilter { team_ids, tags: tags.unwrap_or_default(), search, relevant_to };
        Ok(connection(learning::feed(ctx.db(), viewer, filter, &page).await?, Review))
    }

    /// Themes that recur across the published reviews the viewer may read, published from `from`
    /// to `to`: reviews sharing a service, a tag or a word of their contributing factors, two or
    /// more to a theme. Most reviews first, then the most recently seen, then services, tags and
    /// factor words, then by label: the same data gives the same themes.
    #[graphql(
        complexity = "crate::graphql::cost::THEMES + crate::graphql::cost::list(child_complexity, crate::graphql::list_size(first, 10, 50))"
    )]
    async fn themes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The window's first day (UTC).")] from: Date,
        #[graphql(desc = "The window's last day (UTC), included; not before `from`.")] to: Date,
        #[graphql(desc = "How many themes to return: 10 when omitted; more than 50 returns 50.")] first: Option<i32>,
    ) -> Result<Vec<Theme>> {
        let viewer = ctx.viewer()?;
        Ok(related::themes(ctx.db(), viewer, from.0, to.0, crate::graphql::list_size(first, 10, 50))
            .await?
            .into_iter()
            .map(Theme)
            .collect())
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

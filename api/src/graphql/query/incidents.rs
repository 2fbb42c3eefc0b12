use async_graphql::{Context, ID, InputObject, Object, Result};
use chrono::{DateTime, Utc};

use crate::domain::incidents::{self, IncidentFilter as Filter};
use crate::graphql::ContextExt;
use crate::graphql::types::{Connection, Incident, IncidentStatus, Severity, Tag, connection};
use crate::ids::{self, NodeKind};

/// Narrows `incidents`; every given condition must hold.
#[derive(InputObject, Default)]
pub struct IncidentFilter {
    /// Owned by this team.
    pub team_id: Option<ID>,
    /// Owned by any of these teams.
    pub team_ids: Option<Vec<ID>>,
    /// Of any of these severities.
    pub severity: Option<Vec<Severity>>,
    /// In any of these states.
    pub status: Option<Vec<IncidentStatus>>,
    /// Carrying this tag (case-insensitive).
    pub tag: Option<String>,
    /// Only near misses (true), or only incidents that are not (false).
    pub near_miss: Option<bool>,
    /// Started at or after this time.
    pub from: Option<DateTime<Utc>>,
    /// Started before this time.
    pub to: Option<DateTime<Utc>>,
    /// Words that must all appear in the title or summary, in any of their forms (English
    /// full-text search: `failovers` finds `failover`), with "phrases" (on SQLite, their words
    /// anywhere in the incident's title and summary), `or` and `-word`; at most 200 characters.
    pub search: Option<String>,
}

#[derive(Default)]
pub struct IncidentQuery;

#[Object]
impl IncidentQuery {
    /// Incidents the viewer may read, newest first.
    #[graphql(complexity = "crate::graphql::page_cost(first, child_complexity)")]
    async fn incidents(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Conditions every incident listed meets.")] filter: Option<IncidentFilter>,
        #[graphql(desc = "How many items to return: 20 when omitted; more than 100 returns 100.")] first: Option<i32>,
        #[graphql(desc = "Return the items after this cursor: the previous page's `endCursor`.")] after: Option<String>,
    ) -> Result<Connection<Incident>> {
        let viewer = ctx.viewer()?;
        let page = ctx.page(first, after.as_deref())?;
        let filter = filter.unwrap_or_default();
        let team_ids = filter.team_ids.unwrap_or_default();
        let filter = Filter {
            team_id: filter.team_id.map(|id| ids::decode(&id, NodeKind::Team, "teamId")).transpose()?,
            team_ids: team_ids.iter().map(|id| ids::decode(id, NodeKind::Team, "teamIds")).collect::<Result<_, _>>()?,
            severities: filter.severity.unwrap_or_default().into_iter().map(Into::into).collect(),
            statuses: filter.status.unwrap_or_default().into_iter().map(Into::into).collect(),
            tag: filter.tag,
            near_miss: filter.near_miss,
            from: filter.from,
            to: filter.to,
            search: filter.search,
        };
        Ok(connection(incidents::list(ctx.db(), viewer, filter, &page).await?, Incident))
    }

    /// One incident; null when it does not exist or the viewer may not read it.
    async fn incident(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The incident's ID.")] id: ID,
    ) -> Result<Option<Incident>> {
        let viewer = ctx.viewer()?;
        let Some(id) = ids::decode_lookup(&id, NodeKind::Incident, "id")? else { return Ok(None) };
        Ok(incidents::get(ctx.db(), viewer, id).await?.map(Incident))
    }

    /// The organization's tags on incidents the viewer may read, with how many of those
    /// incidents carry each, most used first.
    async fn tags(&self, ctx: &Context<'_>) -> Result<Vec<Tag>> {
        let tags = incidents::org_tags(ctx.db(), ctx.viewer()?).await?;
        Ok(tags.into_iter().map(|(name, incident_count)| Tag { name, incident_count }).collect())
    }
}

use async_graphql::{Context, ID, InputObject, Object, Result};

use crate::domain::actions::{self, ActionFilter as Filter};
use crate::domain::{metrics, reviews};
use crate::graphql::ContextExt;
use crate::graphql::types::{
    Action, ActionKind, ActionStatus, Connection, Date, LearningMetrics, MetricsGroupBy, Review, connection,
};
use crate::ids::{self, NodeKind};

/// Narrows `actions`; every given condition must hold.
#[derive(InputObject, Default)]
pub struct ActionFilter {
    /// The responsible team.
    pub team_id: Option<ID>,
    /// Owned by this user.
    pub owner_id: Option<ID>,
    /// Of this review.
    pub review_id: Option<ID>,
    /// In any of these states.
    pub status: Option<Vec<ActionStatus>>,
    /// Of this kind.
    pub kind: Option<ActionKind>,
    /// Only overdue actions (true: OPEN or IN_PROGRESS, due before today, UTC), or only those
    /// that are not (false).
    pub overdue: Option<bool>,
    /// Due before this date (not on it).
    pub due_before: Option<Date>,
    /// Due after this date (not on it).
    pub due_after: Option<Date>,
    /// Only actions linked to an issue in a tracker (true), or only those that are not (false).
    pub linked: Option<bool>,
    /// Linked to an issue of this tracker (`jira`, `linear`, `github`, …; any case).
    pub external_provider: Option<String>,
    /// Linked to the issue with this key (`PAY-123`): with `externalProvider`, the action a
    /// tracker's issue tracks.
    pub external_key: Option<String>,
}

fn optional_id(id: Option<&ID>, kind: NodeKind, field: &str) -> Result<Option<uuid::Uuid>> {
    Ok(id.map(|id| ids::decode(id, kind, field)).transpose()?)
}

#[derive(Default)]
pub struct ActionQuery;

#[Object]
impl ActionQuery {
    /// Actions the viewer may read (their own, their teams', those of reviews they may read;
    /// admins: all), soonest due first.
    #[graphql(complexity = "crate::graphql::page_cost(first, child_complexity)")]
    async fn actions(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Conditions every action listed meets.")] filter: Option<ActionFilter>,
        #[graphql(desc = "How many items to return: 20 when omitted; more than 100 returns 100.")] first: Option<i32>,
        #[graphql(desc = "Return the items after this cursor: the previous page's `endCursor`.")] after: Option<String>,
    ) -> Result<Connection<Action>> {
        let viewer = ctx.viewer()?;
        let page = ctx.page(first, after.as_deref())?;
        let filter = filter.unwrap_or_default();
        let filter = Filter {
            team_id: optional_id(filter.team_id.as_ref(), NodeKind::Team, "teamId")?,
            owner_id: optional_id(filter.owner_id.as_ref(), NodeKind::User, "ownerId")?,
            review_id: optional_id(filter.review_id.as_ref(), NodeKind::Review, "reviewId")?,
            statuses: filter.status.unwrap_or_default().into_iter().map(Into::into).collect(),
            kind: filter.kind.map(Into::into),
            overdue: filter.overdue,
            due_before: filter.due_before.map(|d| d.0),
            due_after: filter.due_after.map(|d| d.0),
            linked: filter.linked,
            external_provider: filter.external_provider,
            external_key: filter.external_key,
        };
        Ok(connection(actions::list(ctx.db(), viewer, filter, &page).await?, Action))
    }

    /// Open or in-progress actions past their due date, most overdue first.
    #[graphql(complexity = "crate::graphql::page_cost(first, child_complexity)")]
    async fn overdue_actions(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only actions this team is responsible for.")] team_id: Option<ID>,
        #[graphql(desc = "Only actions this user owns.")] owner_id: Option<ID>,
        #[graphql(desc = "How many items to return: 20 when omitted; more than 100 returns 100.")] first: Option<i32>,
        #[graphql(desc = "Return the items after this cursor: the previous page's `endCursor`.")] after: Option<String>,
    ) -> Result<Connection<Action>> {
        let viewer = ctx.viewer()?;
        let page = ctx.page(first, after.as_deref())?;
        let team_id = optional_id(team_id.as_ref(), NodeKind::Team, "teamId")?;
        let owner_id = optional_id(owner_id.as_ref(), NodeKind::User, "ownerId")?;
        Ok(connection(actions::overdue(ctx.db(), viewer, team_id, owner_id, &page).await?, Action))
    }

    /// Whether the organization (or one team) learns, over incidents that started and actions
    /// created from `from` to `to` (inclusive, UTC days), among those the viewer may read.
    async fn learning_metrics(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only incidents this team owns and actions it is responsible for.")] team_id: Option<ID>,
        #[graphql(desc = "The window's first day (UTC).")] from: Date,
        #[graphql(desc = "The window's last day (UTC), included; not before `from`.")] to: Date,
        #[graphql(desc = "Also give the figures per group (`LearningMetrics.groups`).")] group_by: Option<
            MetricsGroupBy,
        >,
    ) -> Result<LearningMetrics> {
        let viewer = ctx.viewer()?;
        let team_id = optional_id(team_id.as_ref(), NodeKind::Team, "teamId")?;
        let group_by = group_by.map(Into::into);
        Ok(metrics::learning_metrics(ctx.db(), viewer, team_id, from.0, to.0, group_by).await?.into())
    }

    /// Published reviews the viewer may read whose short- or long-term follow-up date has come
    /// with no follow-up of that kind recorded, oldest review first.
    #[graphql(complexity = "crate::graphql::page_cost(first, child_complexity)")]
    async fn due_follow_ups(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only reviews this team owns.")] team_id: Option<ID>,
        #[graphql(desc = "How many items to return: 20 when omitted; more than 100 returns 100.")] first: Option<i32>,
        #[graphql(desc = "Return the items after this cursor: the previous page's `endCursor`.")] after: Option<String>,
    ) -> Result<Connection<Review>> {
        let viewer = ctx.viewer()?;
        let page = ctx.page(first, after.as_deref())?;
        let team_id = optional_id(team_id.as_ref(), NodeKind::Team, "teamId")?;
        Ok(connection(reviews::due_follow_ups(ctx.db(), viewer, team_id, &page).await?, Review))
    }
}

use async_graphql::{Context, ID, Object, Result};
use chrono::{DateTime, Utc};
use entity::{membership, team};

use super::{Connection, Incident, RelevantLearning, Service, TeamRole, User, connection};
use crate::domain::learning;
use crate::graphql::ContextExt;
use crate::graphql::loaders::{self, ServicesOfTeam, TeamById, TeamIncidents, TeamMembers, UserById, ViewerRoleIn};
use crate::ids::{self, NodeKind};

pub struct Team(pub team::Model);

/// A team: owns incidents, reviews and actions.
#[Object]
impl Team {
    /// Opaque global ID; `node(id:)` resolves it.
    pub async fn id(&self) -> ID {
        ids::encode(NodeKind::Team, self.0.id).into()
    }
    /// The team's name.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// A URL-safe identifier, unique in the organization.
    async fn slug(&self) -> &str {
        &self.0.slug
    }
    /// What the team does.
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }
    /// When the team was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When its name, slug or description last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    /// The viewer's role in this team, if they belong to it.
    async fn viewer_role(&self, ctx: &Context<'_>) -> Result<Option<TeamRole>> {
        Ok(loaders::one(ctx, ViewerRoleIn(self.0.id)).await?.map(Into::into))
    }
    /// The services the team owns (not archived), by name.
    #[graphql(complexity = "crate::graphql::cost::list(child_complexity, crate::graphql::cost::SERVICES)")]
    async fn services(&self, ctx: &Context<'_>) -> Result<Vec<Service>> {
        Ok(loaders::list(ctx, ServicesOfTeam(self.0.id)).await?.into_iter().map(Service).collect())
    }
    /// Published reviews the team was told concern it (a service it owns, an incident like its
    /// own) that nobody in the team has acknowledged yet, most recently told first.
    #[graphql(complexity = "crate::graphql::cost::list(child_complexity, crate::graphql::list_size(first, 20, 100))")]
    async fn pending_learnings(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many to return: 20 when omitted; more than 100 returns 100.")] first: Option<i32>,
    ) -> Result<Vec<RelevantLearning>> {
        let viewer = ctx.viewer()?;
        let limit = crate::graphql::list_size(first, 20, 100) as u64;
        let notices = learning::pending_for_team(ctx.db(), viewer, self.0.id, limit).await?;
        Ok(notices.into_iter().map(Into::into).collect())
    }
    /// The team's members, oldest membership first.
    #[graphql(complexity = "crate::graphql::page_cost(first, child_complexity)")]
    async fn members(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many items to return: 20 when omitted; more than 100 returns 100.")] first: Option<i32>,
        #[graphql(desc = "Return the items after this cursor: the previous page's `endCursor`.")] after: Option<String>,
    ) -> Result<Connection<Membership>> {
        let page = ctx.page(first, after.as_deref())?;
        let members = loaders::required(ctx, TeamMembers { team: self.0.id, page }, "team").await?;
        Ok(connection(members, Membership))
    }
    /// The team's incidents the viewer may read, newest first.
    #[graphql(complexity = "crate::graphql::page_cost(first, child_complexity)")]
    async fn incidents(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many items to return: 20 when omitted; more than 100 returns 100.")] first: Option<i32>,
        #[graphql(desc = "Return the items after this cursor: the previous page's `endCursor`.")] after: Option<String>,
    ) -> Result<Connection<Incident>> {
        let page = ctx.page(first, after.as_deref())?;
        let incidents = loaders::required(ctx, TeamIncidents { team: self.0.id, page }, "team").await?;
        Ok(connection(incidents, Incident))
    }
}

pub struct Membership(pub membership::Model);

/// A user's place in a team.
#[Object]
impl Membership {
    /// Opaque global ID; `node(id:)` resolves it.
    pub async fn id(&self) -> ID {
        ids::encode(NodeKind::Membership, self.0.id).into()
    }
    /// The member's role in the team.
    async fn role(&self) -> TeamRole {
        self.0.role.into()
    }
    /// When they joined the team.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// The team.
    async fn team(&self, ctx: &Context<'_>) -> Result<Team> {
        Ok(Team(loaders::required(ctx, TeamById(self.0.team_id), "team").await?))
    }
    /// The member.
    async fn user(&self, ctx: &Context<'_>) -> Result<User> {
        Ok(User(loaders::required(ctx, UserById(self.0.user_id), "user").await?))
    }
}

use async_graphql::{Context, ID, InputObject, Object, Result};

use crate::domain::teams::{self, NewTeam, TeamChanges};
use crate::graphql::ContextExt;
use crate::graphql::types::{Membership, Team, TeamRole};
use crate::ids::{self, NodeKind};

#[derive(InputObject)]
pub struct CreateTeamInput {
    pub name: String,
    /// Unique in the organization; derived from the name when omitted.
    pub slug: Option<String>,
    pub description: Option<String>,
}

/// Omitted fields stay as they are; an empty description clears it.
#[derive(InputObject)]
pub struct UpdateTeamInput {
    pub name: Option<String>,
    pub slug: Option<String>,
    pub description: Option<String>,
}

#[derive(Default)]
pub struct TeamMutation;

#[Object]
impl TeamMutation {
    /// Creates a team (admin).
    async fn create_team(&self, ctx: &Context<'_>, input: CreateTeamInput) -> Result<Team> {
        let input = NewTeam { name: input.name, slug: input.slug, description: input.description };
        Ok(Team(teams::create(ctx.db(), ctx.viewer()?, input).await?))
    }

    /// Renames or describes a team (admin).
    async fn update_team(&self, ctx: &Context<'_>, id: ID, input: UpdateTeamInput) -> Result<Team> {
        let id = ids::decode(&id, NodeKind::Team, "id")?;
        let changes = TeamChanges { name: input.name, slug: input.slug, description: input.description };
        Ok(Team(teams::update(ctx.db(), ctx.viewer()?, id, changes).await?))
    }

    /// Adds a user of the organization to a team (admin or the team's lead).
    async fn add_team_member(&self, ctx: &Context<'_>, team_id: ID, user_id: ID, role: TeamRole) -> Result<Membership> {
        let team_id = ids::decode(&team_id, NodeKind::Team, "teamId")?;
        let user_id = ids::decode(&user_id, NodeKind::User, "userId")?;
        Ok(Membership(teams::add_member(ctx.db(), ctx.viewer()?, team_id, user_id, role.into()).await?))
    }

    /// Changes a member's role in a team (admin or the team's lead).
    async fn update_team_member(
        &self,
        ctx: &Context<'_>,
        team_id: ID,
        user_id: ID,
        role: TeamRole,
    ) -> Result<Membership> {
        let team_id = ids::decode(&team_id, NodeKind::Team, "teamId")?;
        let user_id = ids::decode(&user_id, NodeKind::User, "userId")?;
        Ok(Membership(teams::update_member(ctx.db(), ctx.viewer()?, team_id, user_id, role.into()).await?))
    }

    /// Removes a member from a team (admin or the team's lead).
    async fn remove_team_member(&self, ctx: &Context<'_>, team_id: ID, user_id: ID) -> Result<bool> {
        let team_id = ids::decode(&team_id, NodeKind::Team, "teamId")?;
        let user_id = ids::decode(&user_id, NodeKind::User, "userId")?;
        teams::remove_member(ctx.db(), ctx.viewer()?, team_id, user_id).await?;
        Ok(true)
    }
}

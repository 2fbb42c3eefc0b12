use async_graphql::{Context, ID, InputObject, Object, Result};

use crate::domain::teams::{self, NewTeam, TeamChanges};
use crate::graphql::ContextExt;
use crate::graphql::types::{Membership, Team, TeamRole};
use crate::ids::{self, NodeKind};

/// A new team.
#[derive(InputObject)]
pub struct CreateTeamInput {
    /// The team's name: 1 to 120 characters.
    pub name: String,
    /// Unique in the organization; derived from the name when omitted. 1 to 64 lower-case
    /// letters, digits and single dashes.
    pub slug: Option<String>,
    /// What the team does: at most 2,000 characters.
    pub description: Option<String>,
}

/// Omitted fields stay as they are; an empty description clears it.
#[derive(InputObject)]
pub struct UpdateTeamInput {
    /// The new name: 1 to 120 characters.
    pub name: Option<String>,
    /// The new slug, unique in the organization: 1 to 64 lower-case letters, digits and single
    /// dashes.
    pub slug: Option<String>,
    /// The new description: at most 2,000 characters.
    pub description: Option<String>,
}

#[derive(Default)]
pub struct TeamMutation;

#[Object]
impl TeamMutation {
    /// Creates a team (admin only: FORBIDDEN otherwise). A slug another team of the
    /// organization uses is BAD_USER_INPUT (`slug`).
    async fn create_team(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The team to create.")] input: CreateTeamInput,
    ) -> Result<Team> {
        let input = NewTeam { name: input.name, slug: input.slug, description: input.description };
        Ok(Team(teams::create(ctx.db(), ctx.viewer()?, input).await?))
    }

    /// Renames or describes a team (admin only: FORBIDDEN otherwise). A slug another team
    /// uses is BAD_USER_INPUT (`slug`).
    async fn update_team(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The team to change.")] id: ID,
        #[graphql(desc = "The changes.")] input: UpdateTeamInput,
    ) -> Result<Team> {
        let id = ids::decode(&id, NodeKind::Team, "id")?;
        let changes = TeamChanges { name: input.name, slug: input.slug, description: input.description };
        Ok(Team(teams::update(ctx.db(), ctx.viewer()?, id, changes).await?))
    }

    /// Adds a user of the organization to a team (an admin or a lead of the team: FORBIDDEN
    /// otherwise). A deactivated user, or one already in the team, is BAD_USER_INPUT
    /// (`userId`); `updateTeamMember` changes a member's role.
    async fn add_team_member(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The team.")] team_id: ID,
        #[graphql(desc = "The user to add.")] user_id: ID,
        #[graphql(desc = "Their role in the team.")] role: TeamRole,
    ) -> Result<Membership> {
        let team_id = ids::decode(&team_id, NodeKind::Team, "teamId")?;
        let user_id = ids::decode(&user_id, NodeKind::User, "userId")?;
        Ok(Membership(teams::add_member(ctx.db(), ctx.viewer()?, team_id, user_id, role.into()).await?))
    }

    /// Changes a member's role in a team (an admin or a lead of the team: FORBIDDEN
    /// otherwise). NOT_FOUND when the user is not a member.
    async fn update_team_member(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The team.")] team_id: ID,
        #[graphql(desc = "The member.")] user_id: ID,
        #[graphql(desc = "Their new role in the team.")] role: TeamRole,
    ) -> Result<Membership> {
        let team_id = ids::decode(&team_id, NodeKind::Team, "teamId")?;
        let user_id = ids::decode(&user_id, NodeKind::User, "userId")?;
        Ok(Membership(teams::update_member(ctx.db(), ctx.viewer()?, team_id, user_id, role.into()).await?))
    }

    /// Removes a member from a team (an admin or a lead of the team: FORBIDDEN otherwise) and
    /// answers true. NOT_FOUND when the user is not a member. Actions they own stay theirs;
    /// the review's readiness flags them.
    async fn remove_team_member(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The team.")] team_id: ID,
        #[graphql(desc = "The member to remove.")] user_id: ID,
    ) -> Result<bool> {
        let team_id = ids::decode(&team_id, NodeKind::Team, "teamId")?;
        let user_id = ids::decode(&user_id, NodeKind::User, "userId")?;
        teams::remove_member(ctx.db(), ctx.viewer()?, team_id, user_id).await?;
        Ok(true)
    }
}

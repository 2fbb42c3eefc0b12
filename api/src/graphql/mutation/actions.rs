use async_graphql::{Context, ID, InputObject, Object, Result};

use crate::domain::actions::{self, ActionChanges, NewAction};
use crate::domain::reviews::{self, FollowUpInput as NewFollowUp};
use crate::graphql::ContextExt;
use crate::graphql::types::{Action, ActionKind, Date, Effectiveness, FollowUp, FollowUpKind};
use crate::ids::{self, NodeKind};

#[derive(InputObject)]
pub struct CreateActionInput {
    pub review_id: ID,
    pub title: String,
    pub description: Option<String>,
    /// An active member (not a viewer) of the responsible team.
    pub owner_id: ID,
    /// The responsible team; the review's team when omitted.
    pub team_id: Option<ID>,
    /// Today (UTC) or later, within the policy's `maxActionDueDays`.
    pub due_date: Date,
    pub success_metric: String,
    pub kind: ActionKind,
}

/// Omitted fields stay as they are.
#[derive(InputObject)]
pub struct UpdateActionInput {
    pub title: Option<String>,
    pub description: Option<String>,
    pub success_metric: Option<String>,
    pub kind: Option<ActionKind>,
}

#[derive(InputObject)]
pub struct FollowUpInput {
    pub kind: FollowUpKind,
    pub notes: String,
    pub actions_effective: Effectiveness,
    pub recurred: bool,
}

fn action_id(id: &ID) -> Result<uuid::Uuid> {
    Ok(ids::decode(id, NodeKind::Action, "id")?)
}

#[derive(Default)]
pub struct ActionMutation;

#[Object]
impl ActionMutation {
    async fn create_action(&self, ctx: &Context<'_>, input: CreateActionInput) -> Result<Action> {
        let new = NewAction {
            review_id: ids::decode(&input.review_id, NodeKind::Review, "reviewId")?,
            title: input.title,
            description: input.description,
            owner_id: ids::decode(&input.owner_id, NodeKind::User, "ownerId")?,
            team_id: input.team_id.map(|t| ids::decode(&t, NodeKind::Team, "teamId")).transpose()?,
            due_date: input.due_date.0,
            success_metric: input.success_metric,
            kind: input.kind.into(),
        };
        Ok(Action(actions::create(ctx.db(), ctx.viewer()?, new).await?))
    }

    async fn update_action(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateActionInput,
        expected_version: Option<i32>,
    ) -> Result<Action> {
        let changes = ActionChanges {
            title: input.title,
            description: input.description,
            success_metric: input.success_metric,
            kind: input.kind.map(Into::into),
        };
        Ok(Action(actions::update(ctx.db(), ctx.viewer()?, action_id(&id)?, changes, expected_version).await?))
    }

    /// Moves the due date; the reason is kept in `dueDateChanges`.
    async fn reschedule_action(&self, ctx: &Context<'_>, id: ID, due_date: Date, reason: String) -> Result<Action> {
        Ok(Action(actions::reschedule(ctx.db(), ctx.viewer()?, action_id(&id)?, due_date.0, &reason).await?))
    }

    async fn reassign_action(&self, ctx: &Context<'_>, id: ID, owner_id: ID) -> Result<Action> {
        let owner_id = ids::decode(&owner_id, NodeKind::User, "ownerId")?;
        Ok(Action(actions::reassign(ctx.db(), ctx.viewer()?, action_id(&id)?, owner_id).await?))
    }

    /// Orders the review's actions; `actionIds` lists each of them once, most important first.
    async fn rank_actions(&self, ctx: &Context<'_>, review_id: ID, action_ids: Vec<ID>) -> Result<Vec<Action>> {
        let review_id = ids::decode(&review_id, NodeKind::Review, "reviewId")?;
        let action_ids = action_ids
            .iter()
            .map(|id| ids::decode(id, NodeKind::Action, "actionIds"))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(actions::rank(ctx.db(), ctx.viewer()?, review_id, action_ids).await?.into_iter().map(Action).collect())
    }

    /// OPEN → IN_PROGRESS.
    async fn start_action(&self, ctx: &Context<'_>, id: ID) -> Result<Action> {
        Ok(Action(actions::start(ctx.db(), ctx.viewer()?, action_id(&id)?).await?))
    }

    /// → DONE, with the evidence that it is.
    async fn complete_action(&self, ctx: &Context<'_>, id: ID, evidence: String) -> Result<Action> {
        Ok(Action(actions::complete(ctx.db(), ctx.viewer()?, action_id(&id)?, &evidence).await?))
    }

    /// → WONT_DO, with the reason.
    async fn drop_action(&self, ctx: &Context<'_>, id: ID, reason: String) -> Result<Action> {
        Ok(Action(actions::drop(ctx.db(), ctx.viewer()?, action_id(&id)?, &reason).await?))
    }

    /// Records a follow-up review of a published review (one of each kind).
    async fn record_follow_up(&self, ctx: &Context<'_>, review_id: ID, input: FollowUpInput) -> Result<FollowUp> {
        let review_id = ids::decode(&review_id, NodeKind::Review, "reviewId")?;
        let input = NewFollowUp {
            kind: input.kind.into(),
            notes: input.notes,
            actions_effective: input.actions_effective.into(),
            recurred: input.recurred,
        };
        Ok(FollowUp(reviews::record_follow_up(ctx.db(), ctx.viewer()?, review_id, input).await?))
    }
}

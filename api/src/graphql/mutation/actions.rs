use async_graphql::{Context, ID, InputObject, Object, Result};

use crate::domain::actions::{self, ActionChanges, ExternalIssue, NewAction};
use crate::domain::reviews::{self, FollowUpInput as NewFollowUp};
use crate::domain::validate;
use crate::error::AppError;
use crate::graphql::ContextExt;
use crate::graphql::types::{Action, ActionKind, Date, Effectiveness, FollowUp, FollowUpKind};
use crate::ids::{self, NodeKind};

/// A new action of a review.
#[derive(InputObject)]
pub struct CreateActionInput {
    /// The review committing to it.
    pub review_id: ID,
    /// What will be done: 1 to 200 characters.
    pub title: String,
    /// More detail: at most 2,000 characters.
    pub description: Option<String>,
    /// An active member (not a viewer) of the responsible team.
    pub owner_id: ID,
    /// The responsible team; the review's team when omitted.
    pub team_id: Option<ID>,
    /// Today (UTC) or later, within the policy's `maxActionDueDays`.
    pub due_date: Date,
    /// How we will know it worked: 1 to 2,000 characters.
    pub success_metric: String,
    /// Tactical or systemic.
    pub kind: ActionKind,
}

/// Omitted fields stay as they are; an empty description clears it.
#[derive(InputObject)]
pub struct UpdateActionInput {
    /// What will be done: 1 to 200 characters.
    pub title: Option<String>,
    /// More detail: at most 2,000 characters.
    pub description: Option<String>,
    /// How we will know it worked: 1 to 2,000 characters.
    pub success_metric: Option<String>,
    /// Tactical or systemic.
    pub kind: Option<ActionKind>,
}

/// An action's issue in a tracker.
#[derive(InputObject)]
pub struct ExternalIssueInput {
    /// The tracker: `jira`, `linear`, `github`, … (1 to 40 letters, digits, `-`, `_`, `.`;
    /// stored lower-case).
    pub provider: String,
    /// The issue's key there: 1 to 200 characters.
    pub key: String,
    /// The issue's page: an http(s) URL.
    pub url: String,
}

/// What a follow-up review found.
#[derive(InputObject)]
pub struct FollowUpInput {
    /// Short- or long-term; a review holds one of each.
    pub kind: FollowUpKind,
    /// What the follow-up found: 1 to 20,000 characters.
    pub notes: String,
    /// Whether the actions worked.
    pub actions_effective: Effectiveness,
    /// Whether the problem came back.
    pub recurred: bool,
}

fn action_id(id: &ID) -> Result<uuid::Uuid> {
    Ok(ids::decode(id, NodeKind::Action, "id")?)
}

#[derive(Default)]
pub struct ActionMutation;

#[Object]
impl ActionMutation {
    /// Commits a review to an action, OPEN and last in priority. Leads and members of the
    /// review's team, the facilitator or an admin (FORBIDDEN otherwise); a published review is
    /// read-only (INVALID_STATE). An owner who is not an active lead or member of the
    /// responsible team, or a due date out of range, is BAD_USER_INPUT naming the field.
    async fn create_action(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The action.")] input: CreateActionInput,
    ) -> Result<Action> {
        let (review_id, owner_id, team_id) = validate::all((
            ids::decode(&input.review_id, NodeKind::Review, "reviewId"),
            ids::decode(&input.owner_id, NodeKind::User, "ownerId"),
            input.team_id.map(|t| ids::decode(&t, NodeKind::Team, "teamId")).transpose(),
        ))
        .map_err(AppError::in_input)?;
        let new = NewAction {
            review_id,
            title: input.title,
            description: input.description,
            owner_id,
            team_id,
            due_date: input.due_date.0,
            success_metric: input.success_metric,
            kind: input.kind.into(),
        };
        Ok(Action(actions::create(ctx.db(), ctx.viewer()?, new).await?))
    }

    /// Changes what an action says; its state, date and owner change through their own
    /// mutations. Those who may edit its review (FORBIDDEN otherwise), while the review is not
    /// published (INVALID_STATE).
    async fn update_action(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The action.")] id: ID,
        #[graphql(desc = "The changes.")] input: UpdateActionInput,
        #[graphql(desc = "The `version` read; CONFLICT, changing nothing, if the action changed since.")]
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

    /// Moves the due date of an OPEN or IN_PROGRESS action (INVALID_STATE otherwise); the reason is
    /// kept in `dueDateChanges`. The owner, a lead of the responsible team or of the review's team,
    /// or an admin; before the review is published, also those who may edit it (FORBIDDEN
    /// otherwise).
    async fn reschedule_action(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The action.")] id: ID,
        #[graphql(desc = "The new due date: not the current one, today (UTC) or later, within `maxActionDueDays`.")]
        due_date: Date,
        #[graphql(desc = "Why it moves: 1 to 2,000 characters.")] reason: String,
    ) -> Result<Action> {
        Ok(Action(actions::reschedule(ctx.db(), ctx.viewer()?, action_id(&id)?, due_date.0, &reason).await?))
    }

    /// Gives an OPEN or IN_PROGRESS action (INVALID_STATE otherwise) to another owner. The owner, a
    /// lead of the responsible team or of the review's team, or an admin; before the review is
    /// published, also those who may edit it (FORBIDDEN otherwise).
    async fn reassign_action(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The action.")] id: ID,
        #[graphql(desc = "The new owner: an active lead or member of the responsible team.")] owner_id: ID,
    ) -> Result<Action> {
        let owner_id = ids::decode(&owner_id, NodeKind::User, "ownerId")?;
        Ok(Action(actions::reassign(ctx.db(), ctx.viewer()?, action_id(&id)?, owner_id).await?))
    }

    /// Links an action to its issue in a tracker, replacing any earlier link (an
    /// ACTION_ISSUE_LINKED event, so a tracker sync can follow by webhook). The owner, a lead
    /// of the responsible team or of the review's team, or an admin (FORBIDDEN otherwise); any
    /// status.
    async fn link_action_issue(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The action.")] action_id: ID,
        #[graphql(desc = "The issue.")] input: ExternalIssueInput,
    ) -> Result<Action> {
        let action_id = ids::decode(&action_id, NodeKind::Action, "actionId")?;
        let issue = ExternalIssue { provider: input.provider, key: input.key, url: input.url };
        Ok(Action(actions::link_issue(ctx.db(), ctx.viewer()?, action_id, issue).await?))
    }

    /// Removes an action's issue link (an ACTION_ISSUE_UNLINKED event); the same people as
    /// `linkActionIssue`. An action without a link is BAD_USER_INPUT.
    async fn unlink_action_issue(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The action.")] action_id: ID,
    ) -> Result<Action> {
        let action_id = ids::decode(&action_id, NodeKind::Action, "actionId")?;
        Ok(Action(actions::unlink_issue(ctx.db(), ctx.viewer()?, action_id).await?))
    }

    /// Orders the review's actions and answers them in their new order. Those who may edit the
    /// review (FORBIDDEN otherwise), while it is not published (INVALID_STATE).
    async fn rank_actions(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The review.")] review_id: ID,
        #[graphql(desc = "Each of the review's actions once (WONT_DO ones too), most important first.")]
        action_ids: Vec<ID>,
    ) -> Result<Vec<Action>> {
        let review_id = ids::decode(&review_id, NodeKind::Review, "reviewId")?;
        let action_ids = ids::decode_each("actionIds", &action_ids, NodeKind::Action)?;
        Ok(actions::rank(ctx.db(), ctx.viewer()?, review_id, action_ids).await?.into_iter().map(Action).collect())
    }

    /// OPEN → IN_PROGRESS, stamping `startedAt`; from another state, INVALID_STATE. The owner, a
    /// lead of the responsible team or of the review's team, or an admin; before the review is
    /// published, also those who may edit it (FORBIDDEN otherwise).
    async fn start_action(&self, ctx: &Context<'_>, #[graphql(desc = "The action.")] id: ID) -> Result<Action> {
        Ok(Action(actions::start(ctx.db(), ctx.viewer()?, action_id(&id)?).await?))
    }

    /// OPEN or IN_PROGRESS → DONE, with the evidence that it is, stamping `completedAt`; from
    /// another state, INVALID_STATE. The owner, a lead of the responsible team or of the review's
    /// team, or an admin; before the review is published, also those who may edit it (FORBIDDEN
    /// otherwise).
    async fn complete_action(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The action.")] id: ID,
        #[graphql(desc = "What shows it is done: 1 to 2,000 characters.")] evidence: String,
    ) -> Result<Action> {
        Ok(Action(actions::complete(ctx.db(), ctx.viewer()?, action_id(&id)?, &evidence).await?))
    }

    /// OPEN or IN_PROGRESS → WONT_DO, with the reason, stamping `completedAt`; from another state,
    /// INVALID_STATE. The owner, a lead of the responsible team or of the review's team, or an
    /// admin; before the review is published, also those who may edit it (FORBIDDEN otherwise).
    async fn drop_action(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The action.")] id: ID,
        #[graphql(desc = "Why it will not be done: 1 to 2,000 characters.")] reason: String,
    ) -> Result<Action> {
        Ok(Action(actions::drop(ctx.db(), ctx.viewer()?, action_id(&id)?, &reason).await?))
    }

    /// Records a follow-up review of a published review (one of each kind: a second is
    /// BAD_USER_INPUT, `kind`). Leads and members of the owning team, the facilitator or an
    /// admin (FORBIDDEN otherwise); an unpublished review is INVALID_STATE.
    async fn record_follow_up(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The published review.")] review_id: ID,
        #[graphql(desc = "What the follow-up found.")] input: FollowUpInput,
    ) -> Result<FollowUp> {
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

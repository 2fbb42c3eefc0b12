use async_graphql::{Context, InputObject, Object, Result};

use crate::domain::policy::{self, PolicyChanges};
use crate::domain::users;
use crate::graphql::ContextExt;
use crate::graphql::types::{Organization, ReviewTrigger, Severity};

/// Changes to the review policy; omitted settings stay as they are. A value out of its range
/// is BAD_USER_INPUT naming the setting.
#[derive(InputObject)]
pub struct ReviewPolicyInput {
    /// Severities whose resolution creates a review (replaces the list; may be empty).
    pub required_severities: Option<Vec<Severity>>,
    /// Whether near misses of those severities get a review too.
    pub review_near_misses: Option<bool>,
    /// Hours after resolution the review meeting is due: 1 to 720.
    pub review_deadline_hours: Option<i32>,
    /// Fewest live actions a review publishes with: 1 to 10.
    pub min_actions: Option<i32>,
    /// Most live actions a review publishes with: 1 to 10, at least `minActions`.
    pub max_actions: Option<i32>,
    /// Shortest why chain a review publishes with: 1 to 10.
    pub min_whys: Option<i32>,
    /// How many days ahead an action may be due: 1 to 365.
    pub max_action_due_days: Option<i32>,
    /// Days after publishing the short-term follow-up is due: 14 to 28.
    pub follow_up_days: Option<i32>,
    /// Days after publishing the long-term follow-up is due: 60 to 90.
    pub long_term_review_days: Option<i32>,
    /// Days after resolution a review should be published (PUBLISH_LATE after): 1 to 60.
    pub publish_within_days: Option<i32>,
    /// Days before its due date an action is announced due soon (ACTION_DUE_SOON): 1 to 14.
    pub action_due_soon_days: Option<i32>,
    /// Minutes of the review meeting's opening, timeline, analysis, actions and closing, in
    /// that order: five numbers, each 0 to 120, 30 to 240 in all.
    pub agenda_minutes: Option<Vec<i32>>,
    /// What the facilitator reads to open every review meeting (`Review.agenda`): at most 2,000
    /// characters; an empty text goes back to the default.
    pub opening_statement: Option<String>,
    /// What beyond severity opens a review on resolve (replaces the list; may be empty).
    pub review_when: Option<Vec<ReviewTrigger>>,
    /// How many days back REPEAT looks for an incident sharing a service or a tag: 1 to 365.
    pub repeat_window_days: Option<i32>,
    /// Publishing waits for the facilitator and a responder to agree to the timeline.
    pub require_timeline_agreement: Option<bool>,
    /// Publishing waits for every open action's owner to accept it.
    pub require_owner_acceptance: Option<bool>,
    /// Publishing waits for at least one SYSTEMIC action.
    pub require_systemic_action: Option<bool>,
    /// A root cause or action that only asks for care, training or a reminder blocks publishing.
    pub carefulness_root_cause_blocks: Option<bool>,
}

#[derive(Default)]
pub struct PolicyMutation;

#[Object]
impl PolicyMutation {
    /// Changes the organization's review policy (admin only: FORBIDDEN otherwise) and answers
    /// the organization.
    async fn update_review_policy(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The settings to change.")] input: ReviewPolicyInput,
    ) -> Result<Organization> {
        let viewer = ctx.viewer()?;
        let changes = PolicyChanges {
            required_severities: input.required_severities.map(|s| s.into_iter().map(Into::into).collect()),
            review_near_misses: input.review_near_misses,
            review_deadline_hours: input.review_deadline_hours,
            min_actions: input.min_actions,
            max_actions: input.max_actions,
            min_whys: input.min_whys,
            max_action_due_days: input.max_action_due_days,
            follow_up_days: input.follow_up_days,
            long_term_review_days: input.long_term_review_days,
            publish_within_days: input.publish_within_days,
            action_due_soon_days: input.action_due_soon_days,
            agenda_minutes: input.agenda_minutes,
            opening_statement: input.opening_statement,
            require_timeline_agreement: input.require_timeline_agreement,
            require_owner_acceptance: input.require_owner_acceptance,
            require_systemic_action: input.require_systemic_action,
            carefulness_root_cause_blocks: input.carefulness_root_cause_blocks,
            review_when: input.review_when.map(|t| t.into_iter().map(Into::into).collect()),
            repeat_window_days: input.repeat_window_days,
        };
        policy::update(ctx.db(), viewer, changes).await?;
        Ok(Organization(users::organization(ctx.db(), viewer).await?))
    }
}

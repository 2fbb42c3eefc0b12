use async_graphql::{Context, InputObject, Object, Result};

use crate::domain::policy::{self, PolicyChanges};
use crate::domain::users;
use crate::graphql::ContextExt;
use crate::graphql::types::{Organization, Severity};

/// Omitted settings stay as they are.
#[derive(InputObject)]
pub struct ReviewPolicyInput {
    pub required_severities: Option<Vec<Severity>>,
    pub review_near_misses: Option<bool>,
    /// 1 to 720.
    pub review_deadline_hours: Option<i32>,
    /// 1 to 10.
    pub min_actions: Option<i32>,
    /// 1 to 10, at least `minActions`.
    pub max_actions: Option<i32>,
    /// 1 to 10.
    pub min_whys: Option<i32>,
    /// 1 to 365.
    pub max_action_due_days: Option<i32>,
    /// 14 to 28.
    pub follow_up_days: Option<i32>,
    /// 60 to 90.
    pub long_term_review_days: Option<i32>,
}

#[derive(Default)]
pub struct PolicyMutation;

#[Object]
impl PolicyMutation {
    /// Changes the organization's review policy (admin).
    async fn update_review_policy(&self, ctx: &Context<'_>, input: ReviewPolicyInput) -> Result<Organization> {
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
        };
        policy::update(ctx.db(), viewer, changes).await?;
        Ok(Organization(users::organization(ctx.db(), viewer).await?))
    }
}

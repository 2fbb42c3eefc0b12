use async_graphql::{Context, ID, Object, Result};
use chrono::{DateTime, Utc};
use entity::{action, due_date_change, follow_up};

use super::{ActionKind, ActionStatus, Date, Effectiveness, FollowUpKind, Review, Team, User};
use crate::domain::access::Standing;
use crate::domain::actions;
use crate::graphql::ContextExt;
use crate::graphql::loaders::{
    self, DueDateChangesOf, ReadableReview, ReviewOfAction, TeamById, UserById, ViewerRoleIn,
};
use crate::ids::{self, NodeKind};

/// What the viewer may do with an action now, by the rules the server enforces. All false with
/// a read-only API token.
#[derive(async_graphql::SimpleObject)]
pub struct ActionViewerCan {
    /// `updateAction`: its wording, while its review is not published (those who edit the review).
    pub edit: bool,
    /// `completeAction`, `dropAction`, `rescheduleAction`, `reassignAction` (and `startAction`
    /// when it is OPEN): while it is open or in progress (its owner, the leads of its team or
    /// of the review's team, admins; before publishing, also those who edit the review).
    #[graphql(name = "move")]
    pub move_on: bool,
}

pub struct Action(pub action::Model);

/// An action's issue in a tracker.
#[derive(async_graphql::SimpleObject)]
pub struct ExternalIssue {
    /// The tracker, lower-case: `jira`, `linear`, `github`, ….
    pub provider: String,
    /// The issue's key there: `PAY-123`, `org/repo#42`.
    pub key: String,
    /// The issue's page.
    pub url: String,
}

/// One owned, dated commitment of a review. Readable by its owner, the members of its
/// responsible team, those who may read its review, and admins.
#[Object]
impl Action {
    /// Opaque global ID; `node(id:)` resolves it.
    pub async fn id(&self) -> ID {
        ids::encode(NodeKind::Action, self.0.id).into()
    }
    /// The review that committed to it; null when the viewer may not read that review.
    async fn review(&self, ctx: &Context<'_>) -> Result<Option<Review>> {
        Ok(loaders::one(ctx, ReadableReview(self.0.review_id)).await?.map(Review))
    }
    /// The responsible team.
    async fn team(&self, ctx: &Context<'_>) -> Result<Team> {
        Ok(Team(loaders::required(ctx, TeamById(self.0.team_id), "team").await?))
    }
    /// What will be done.
    async fn title(&self) -> &str {
        &self.0.title
    }
    /// More detail.
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }
    /// Who sees it through: a lead or member of the responsible team when assigned.
    async fn owner(&self, ctx: &Context<'_>) -> Result<User> {
        Ok(User(loaders::required(ctx, UserById(self.0.owner_id), "user").await?))
    }
    /// The day it is due (UTC).
    async fn due_date(&self) -> Date {
        Date(self.0.due_date)
    }
    /// Open or in progress, and due before today (UTC).
    async fn is_overdue(&self, ctx: &Context<'_>) -> bool {
        actions::days_overdue(&self.0, ctx.state().clock.today()) > 0
    }
    /// Days past the due date; 0 when not overdue.
    async fn days_overdue(&self, ctx: &Context<'_>) -> i64 {
        actions::days_overdue(&self.0, ctx.state().clock.today())
    }
    /// OPEN → IN_PROGRESS → DONE, or WONT_DO.
    async fn status(&self) -> ActionStatus {
        self.0.status.into()
    }
    /// When its owner said yes to it (`acceptAction`); null until then, and again once it
    /// changes hands or is declined. An owner who writes or takes an action themselves accepts
    /// it at once.
    async fn accepted_at(&self) -> Option<DateTime<Utc>> {
        self.0.accepted_at
    }
    /// When its owner last sent it back to the facilitator (`declineAction`); null if they
    /// have not, or it has changed hands or been accepted since.
    async fn declined_at(&self) -> Option<DateTime<Utc>> {
        self.0.declined_at
    }
    /// Why its owner declined it; null unless `declinedAt` is set.
    async fn decline_reason(&self) -> Option<&str> {
        self.0.decline_reason.as_deref()
    }
    /// 1 is the most important action of its review.
    async fn priority(&self) -> i32 {
        self.0.priority
    }
    /// Tactical or systemic.
    async fn kind(&self) -> ActionKind {
        self.0.kind.into()
    }
    /// How we will know it worked.
    async fn success_metric(&self) -> &str {
        &self.0.success_metric
    }
    /// The issue tracking it in the team's tracker; null when not linked (`linkActionIssue`).
    async fn external_issue(&self) -> Option<ExternalIssue> {
        match (&self.0.external_provider, &self.0.external_key, &self.0.external_url) {
            (Some(provider), Some(key), Some(url)) => {
                Some(ExternalIssue { provider: provider.clone(), key: key.clone(), url: url.clone() })
            }
            _ => None,
        }
    }
    /// When it became IN_PROGRESS; null if it never did.
    async fn started_at(&self) -> Option<DateTime<Utc>> {
        self.0.started_at
    }
    /// When it became DONE or WONT_DO.
    async fn completed_at(&self) -> Option<DateTime<Utc>> {
        self.0.completed_at
    }
    /// What shows it is done; set when DONE.
    async fn evidence(&self) -> Option<&str> {
        self.0.evidence.as_deref()
    }
    /// Why it will not be done; set when WONT_DO.
    async fn drop_reason(&self) -> Option<&str> {
        self.0.drop_reason.as_deref()
    }
    /// Every reschedule, oldest first.
    async fn due_date_changes(&self, ctx: &Context<'_>) -> Result<Vec<DueDateChange>> {
        Ok(loaders::list(ctx, DueDateChangesOf(self.0.id)).await?.into_iter().map(DueDateChange).collect())
    }
    /// What the viewer may do with the action now, so a UI shows only the buttons that work.
    async fn viewer_can(&self, ctx: &Context<'_>) -> Result<ActionViewerCan> {
        let viewer = ctx.viewer()?;
        let review = loaders::required(ctx, ReviewOfAction(self.0.review_id), "review").await?;
        let teams = [self.0.team_id, review.team_id];
        let (in_action_team, in_review_team) = futures_util::try_join!(
            loaders::one(ctx, ViewerRoleIn(teams[0])),
            loaders::one(ctx, ViewerRoleIn(teams[1]))
        )?;
        let roles = [(teams[0], in_action_team), (teams[1], in_review_team)].into_iter().collect();
        let standing = Standing::for_changes(viewer, roles, review.facilitator_id == Some(viewer.user_id));
        let rights = standing.action_rights(viewer, &self.0, &review);
        Ok(ActionViewerCan { edit: rights.edit, move_on: rights.move_on })
    }
    /// Increases with every change; pass it as `expectedVersion` to refuse a stale write.
    async fn version(&self) -> i32 {
        self.0.version
    }
    /// When the review committed to it.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When it last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

pub struct DueDateChange(pub due_date_change::Model);

/// One reschedule of an action.
#[Object]
impl DueDateChange {
    /// The due date before.
    async fn from(&self) -> Date {
        Date(self.0.from_date)
    }
    /// The new due date.
    async fn to(&self) -> Date {
        Date(self.0.to_date)
    }
    /// Why it moved.
    async fn reason(&self) -> &str {
        &self.0.reason
    }
    /// Who moved it.
    async fn changed_by(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        Ok(loaders::one(ctx, UserById(self.0.changed_by)).await?.map(User))
    }
    /// When it moved.
    async fn changed_at(&self) -> DateTime<Utc> {
        self.0.changed_at
    }
}

pub struct FollowUp(pub follow_up::Model);

/// A follow-up review: did the actions work, did the problem come back.
#[Object]
impl FollowUp {
    /// Opaque global ID; `node(id:)` resolves it.
    pub async fn id(&self) -> ID {
        ids::encode(NodeKind::FollowUp, self.0.id).into()
    }
    /// Short- or long-term.
    async fn kind(&self) -> FollowUpKind {
        self.0.kind.into()
    }
    /// What the follow-up found.
    async fn notes(&self) -> &str {
        &self.0.notes
    }
    /// Whether the actions worked.
    async fn actions_effective(&self) -> Effectiveness {
        self.0.actions_effective.into()
    }
    /// Whether the problem came back.
    async fn recurred(&self) -> bool {
        self.0.recurred
    }
    /// Who recorded it.
    async fn recorded_by(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        Ok(loaders::one(ctx, UserById(self.0.recorded_by)).await?.map(User))
    }
    /// When it was recorded.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

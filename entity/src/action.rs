use sea_orm::entity::prelude::*;

use crate::{ActionKind, ActionStatus};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "action")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub review_id: Uuid,
    /// The responsible team (the review's team unless another was named).
    pub team_id: Uuid,
    pub title: String,
    pub description: Option<String>,
    pub owner_id: Uuid,
    pub due_date: Date,
    pub success_metric: String,
    pub kind: ActionKind,
    /// 1 is the most important action of its review.
    pub priority: i32,
    pub status: ActionStatus,
    pub started_at: Option<DateTimeUtc>,
    /// When it became DONE or WONT_DO.
    pub completed_at: Option<DateTimeUtc>,
    pub evidence: Option<String>,
    pub drop_reason: Option<String>,
    pub created_by: Uuid,
    /// How many times its due date was moved later (each move is a `due_date_change`): the
    /// learning metrics' due-date slips, summed with the action's other figures.
    pub due_date_slips: i32,
    /// The due date this action was last announced overdue for.
    pub overdue_notice_for: Option<Date>,
    /// The due date the action was last announced as near.
    pub due_soon_notice_for: Option<Date>,
    /// The issue tracking it in the team's tracker: `jira`, `linear`, `github`, … with its key
    /// and URL; all three or none.
    pub external_provider: Option<String>,
    pub external_key: Option<String>,
    pub external_url: Option<String>,
    /// When the owner said yes to it; cleared when it changes hands or is declined.
    pub accepted_at: Option<DateTimeUtc>,
    /// When the owner last sent it back to the facilitator, and why.
    pub declined_at: Option<DateTimeUtc>,
    pub decline_reason: Option<String>,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

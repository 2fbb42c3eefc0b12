use crate::{ReviewStatus, Visibility};
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "review")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    #[sea_orm(unique)]
    pub incident_id: Uuid,
    pub team_id: Uuid,
    pub title: String,
    pub status: ReviewStatus,
    pub visibility: Visibility,
    pub facilitator_id: Option<Uuid>,
    pub summary: Option<String>,
    pub impact: Option<String>,
    pub scheduled_for: Option<DateTimeUtc>,
    /// When the review meeting is due (resolution + the policy's deadline).
    pub due_at: Option<DateTimeUtc>,
    /// JSON arrays of strings.
    pub went_well: Json,
    pub got_lucky: Json,
    pub learnings: Json,
    /// The playbook's "areas for improvement": a JSON array of texts (none before it existed).
    pub areas_for_improvement: Option<Json>,
    pub published_at: Option<DateTimeUtc>,
    pub follow_up_at: Option<DateTimeUtc>,
    pub long_term_review_at: Option<DateTimeUtc>,
    /// When the published review is next due a follow-up: the earlier of the two dates above whose
    /// follow-up is not recorded yet; none unless published, or once both are recorded.
    pub next_follow_up_at: Option<DateTimeUtc>,
    /// How many follow-ups are recorded (one of each kind at most), and how many of them found
    /// the problem had come back: the learning metrics' recurrence, summed with the review's other
    /// figures.
    pub follow_ups: i32,
    pub recurrences: i32,
    pub reopen_reason: Option<String>,
    /// Everything the learning feed searches, gathered when the review is published.
    pub search_text: Option<String>,
    /// The root cause (the why chain's last answer) as published: what related reviews compare.
    pub root_cause_text: Option<String>,
    /// The contributing factors' descriptions, one per line, as published.
    pub factor_text: Option<String>,
    /// The follow-up dates last announced as due.
    pub follow_up_notice_for: Option<DateTimeUtc>,
    pub long_term_notice_for: Option<DateTimeUtc>,
    /// When it must be published: resolution + the policy's `publish_within_days`.
    pub publish_due_at: Option<DateTimeUtc>,
    /// The deadlines last announced: the meeting's as near, as passed; the publication's as passed.
    pub due_soon_notice_for: Option<DateTimeUtc>,
    pub late_notice_for: Option<DateTimeUtc>,
    pub publish_late_notice_for: Option<DateTimeUtc>,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

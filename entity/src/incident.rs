use crate::{DetectionSource, IncidentStatus, Severity};
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "incident")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub team_id: Uuid,
    pub title: String,
    pub summary: Option<String>,
    pub severity: Severity,
    pub status: IncidentStatus,
    pub near_miss: bool,
    pub customer_impact: Option<String>,
    pub started_at: DateTimeUtc,
    pub detected_at: DateTimeUtc,
    pub mitigated_at: Option<DateTimeUtc>,
    pub resolved_at: Option<DateTimeUtc>,
    pub closed_at: Option<DateTimeUtc>,
    pub declared_by: Uuid,
    /// How it was found.
    pub detection_source: Option<DetectionSource>,
    /// The deploy, pull request or change that set it off (a URL).
    pub change_ref: Option<String>,
    pub triggered_by_change: bool,
    /// Who made that change, when named.
    pub change_author_id: Option<Uuid>,
    pub version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

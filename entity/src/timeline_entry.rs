use crate::TimelineKind;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "timeline_entry")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub review_id: Uuid,
    pub occurred_at: DateTimeUtc,
    pub event: String,
    pub information_available: Option<String>,
    pub decision: Option<String>,
    pub kind: TimelineKind,
    pub source_url: Option<String>,
    /// What the people involved reasonably believed at the time.
    pub assumption: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

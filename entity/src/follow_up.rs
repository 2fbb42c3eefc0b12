use sea_orm::entity::prelude::*;

use crate::{Effectiveness, FollowUpKind};

/// The notes of a follow-up review: did the actions work, did the problem come back.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "follow_up")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub review_id: Uuid,
    pub kind: FollowUpKind,
    pub notes: String,
    pub actions_effective: Effectiveness,
    pub recurred: bool,
    pub recorded_by: Uuid,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

use sea_orm::entity::prelude::*;

/// Someone of the meeting agreed that a review's timeline is what happened; any later change
/// to the timeline removes every agreement.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "timeline_agreement")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub review_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: Uuid,
    pub agreed_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

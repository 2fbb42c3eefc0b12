use sea_orm::entity::prelude::*;

/// A published review sent to a team it concerns, and why.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "learning_notice")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub review_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub team_id: Uuid,
    pub organization_id: Uuid,
    /// Why the team was told: a JSON array of reason codes (`OWNS_SERVICE`, `SIMILAR_INCIDENT`).
    pub reasons: Json,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

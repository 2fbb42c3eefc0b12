use sea_orm::entity::prelude::*;

/// Something an organization runs, owned by a team; an archived service stays on the incidents
/// that touched it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "service")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub name: String,
    /// The name in lower case: unique per organization.
    pub name_key: String,
    pub description: Option<String>,
    pub owner_team_id: Uuid,
    /// 1 (most critical) to 4.
    pub tier: i32,
    pub archived_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

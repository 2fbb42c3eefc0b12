use sea_orm::entity::prelude::*;

use crate::OrgRole;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "app_user")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    /// Stored lower-cased; unique among verified accounts across every organization.
    pub email: String,
    pub display_name: String,
    /// argon2id PHC string. Never leaves the server.
    pub password_hash: String,
    pub role: OrgRole,
    pub active: bool,
    /// Bumped to revoke every session of the user at once.
    pub token_version: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// When the address was confirmed; none for a sign-up still waiting for its link.
    pub email_verified_at: Option<DateTimeUtc>,
    /// Deadline nudges by email.
    pub notify_nudges: bool,
    /// Since when the weekly learning digest is wanted; none when it is not.
    pub digest_since: Option<DateTimeUtc>,
    /// The week (its Monday) whose digest was last made for this user.
    pub digest_sent_for: Option<Date>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::organization::Entity",
        from = "Column::OrganizationId",
        to = "super::organization::Column::Id",
        on_delete = "Cascade"
    )]
    Organization,
    #[sea_orm(has_many = "super::membership::Entity")]
    Membership,
}

impl Related<super::organization::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Organization.def()
    }
}

impl Related<super::membership::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Membership.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}

use sea_orm::entity::prelude::*;

/// An HTTPS endpoint that receives the events its scope may read (the organization's, or one
/// team's), signed as the Standard Webhooks specification describes.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    /// The team whose members' view it receives; organization-wide when none.
    pub team_id: Option<Uuid>,
    pub url: String,
    pub description: Option<String>,
    /// The event kinds it receives (names); every kind when empty.
    pub event_kinds: Json,
    pub active: bool,
    /// The signing secret, encrypted with the server's key.
    pub secret: String,
    /// The secret before the last rotation, encrypted, signing beside the new one until
    /// `previous_secret_until`.
    pub previous_secret: Option<String>,
    pub previous_secret_until: Option<DateTimeUtc>,
    /// The `sequence` of the last event of its organization's log considered for it.
    pub cursor: i64,
    /// Since when every delivery has failed (none after a success).
    pub failing_since: Option<DateTimeUtc>,
    pub created_by: Uuid,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::webhook_delivery::Entity")]
    Delivery,
}

impl Related<super::webhook_delivery::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Delivery.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}

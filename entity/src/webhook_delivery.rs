use sea_orm::entity::prelude::*;

use crate::DeliveryStatus;

/// One message to one webhook, kept until delivered or given up (the outbox).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_delivery")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub webhook_id: Uuid,
    pub organization_id: Uuid,
    /// `webhook-id`: the same on every attempt, and on a redelivery of the same message.
    pub message_id: String,
    /// The logged event it carries; none for a ping.
    pub event_id: Option<i64>,
    /// The event kind's name, or `PING`.
    pub event_type: String,
    /// The JSON body, fixed when the message is made so that every attempt sends the same.
    pub body: String,
    pub status: DeliveryStatus,
    pub attempts: i32,
    pub next_attempt_at: Option<DateTimeUtc>,
    /// A server attempting it holds it until then.
    pub locked_until: Option<DateTimeUtc>,
    pub response_status: Option<i32>,
    pub last_error: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::webhook::Entity",
        from = "Column::WebhookId",
        to = "super::webhook::Column::Id",
        on_delete = "Cascade"
    )]
    Webhook,
}

impl Related<super::webhook::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Webhook.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}

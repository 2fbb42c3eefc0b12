use sea_orm::entity::prelude::*;

use crate::DeliveryStatus;

/// One email to one address, kept until sent or given up (the mail outbox).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "mail_message")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Option<Uuid>,
    pub user_id: Option<Uuid>,
    pub recipient: String,
    /// What it is: `INVITATION`, `PASSWORD_RESET`, `VERIFY_EMAIL`, `NUDGE`, `DIGEST`, …
    pub kind: String,
    /// What the message is about, once: a second message with the same key is never made.
    #[sea_orm(unique)]
    pub dedupe_key: String,
    pub subject: String,
    /// The text and HTML bodies, sealed (they may carry one-time links); emptied once sent.
    pub body: String,
    /// The one-click unsubscribe link of a notification.
    pub unsubscribe_url: Option<String>,
    pub status: DeliveryStatus,
    pub attempts: i32,
    pub next_attempt_at: Option<DateTimeUtc>,
    /// A server sending it holds it until then.
    pub locked_until: Option<DateTimeUtc>,
    pub last_error: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub sent_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

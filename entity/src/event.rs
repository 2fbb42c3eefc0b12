use sea_orm::entity::prelude::*;

use crate::EventKind;

/// The append-only log of every change, written in the same transaction as the change.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "event")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organization_id: Uuid,
    /// The event's place in its organization's log: 1, 2, 3… with no gap, in commit order.
    pub sequence: i64,
    pub actor_id: Option<Uuid>,
    pub kind: EventKind,
    /// Global ID of the object the event is about.
    pub subject_id: String,
    pub payload: Json,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

use sea_orm::entity::prelude::*;

/// A remark on a review, by one of its readers, maybe about one place in it and maybe in reply
/// to another comment (replies hang off the thread's first comment).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "comment")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub review_id: Uuid,
    pub author_id: Uuid,
    /// The first comment of the thread, for a reply.
    pub reply_to: Option<Uuid>,
    pub body: String,
    /// Where in the review it points, in the language of blameless findings (`whys[2].answer`).
    pub location: Option<String>,
    pub resolved_at: Option<DateTimeUtc>,
    pub resolved_by: Option<Uuid>,
    /// Set when its author deleted a comment others had replied to: it stays, emptied, to hold
    /// the thread.
    pub deleted_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub edited_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

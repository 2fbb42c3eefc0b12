use async_graphql::{Context, ID, Object, Result};
use chrono::{DateTime, Utc};
use entity::comment;

use super::{BlamelessFinding, User};
use crate::domain::blameless;
use crate::graphql::loaders::{self, MentionsOf, RepliesOf, UserById};
use crate::ids::{self, NodeKind};

pub struct Comment(pub comment::Model);

/// A remark on a review by one of its readers, maybe about one place in it, with its replies.
/// Comments never change the review: they go on after it is published.
#[Object]
impl Comment {
    /// Opaque global ID; `node(id:)` resolves it.
    pub async fn id(&self) -> ID {
        ids::encode(NodeKind::Comment, self.0.id).into()
    }
    /// Who wrote it.
    async fn author(&self, ctx: &Context<'_>) -> Result<User> {
        Ok(User(loaders::required(ctx, UserById(self.0.author_id), "user").await?))
    }
    /// What it says; empty for a first comment its author deleted after others replied.
    async fn body(&self) -> &str {
        &self.0.body
    }
    /// Where in the review it points, as `BlamelessFinding.location` names places
    /// (`summary`, `whys[2].answer`, `actions[0]`); null for the review as a whole.
    async fn location(&self) -> Option<&str> {
        self.0.location.as_deref()
    }
    /// The thread's first comment, for a reply; null for a first comment.
    async fn reply_to(&self) -> Option<ID> {
        self.0.reply_to.map(|id| ids::encode(NodeKind::Comment, id).into())
    }
    /// The replies, oldest first (a first comment's; always empty for a reply).
    #[graphql(complexity = "crate::graphql::cost::list(child_complexity, crate::graphql::cost::REPLIES)")]
    async fn replies(&self, ctx: &Context<'_>) -> Result<Vec<Comment>> {
        if self.0.reply_to.is_some() {
            return Ok(Vec::new());
        }
        Ok(loaders::list(ctx, RepliesOf(self.0.id)).await?.into_iter().map(Comment).collect())
    }
    /// The people it calls in, by name; each was told (a MENTIONED event, and an email when
    /// the server sends them).
    #[graphql(complexity = "crate::graphql::cost::list(child_complexity, crate::graphql::cost::MENTIONS)")]
    async fn mentions(&self, ctx: &Context<'_>) -> Result<Vec<User>> {
        Ok(loaders::list(ctx, MentionsOf(self.0.id)).await?.into_iter().map(User).collect())
    }
    /// Whether its thread was resolved (`resolveComment`).
    async fn resolved(&self) -> bool {
        self.0.resolved_at.is_some()
    }
    /// When it was resolved; null while open.
    async fn resolved_at(&self) -> Option<DateTime<Utc>> {
        self.0.resolved_at
    }
    /// Who resolved it; null while open.
    async fn resolved_by(&self, ctx: &Context<'_>) -> Result<Option<User>> {
        let Some(id) = self.0.resolved_by else { return Ok(None) };
        Ok(Some(User(loaders::required(ctx, UserById(id), "user").await?)))
    }
    /// Whether its author deleted it (it stays, emptied, while replies hang off it).
    async fn deleted(&self) -> bool {
        self.0.deleted_at.is_some()
    }
    /// Blame language in it, as in the review (findings never block a comment).
    #[graphql(complexity = "crate::graphql::cost::COMMENT_SCAN")]
    async fn blameless_findings(&self) -> Vec<BlamelessFinding> {
        blameless::check(&self.0.body).into_iter().map(BlamelessFinding).collect()
    }
    /// When it was written.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When its author last changed it; null if never.
    async fn edited_at(&self) -> Option<DateTime<Utc>> {
        self.0.edited_at
    }
}

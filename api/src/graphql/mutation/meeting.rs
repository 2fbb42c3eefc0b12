//! The meeting: the discussion on a review, agreement on its timeline, and owners who say yes
//! to their actions.

use async_graphql::{Context, ID, InputObject, Object, Result};

use crate::domain::{actions, reviews};
use crate::error::AppError;
use crate::graphql::ContextExt;
use crate::graphql::types::{Action, Comment, Review};
use crate::ids::{self, NodeKind};

/// A comment on a review.
#[derive(InputObject)]
pub struct CommentInput {
    /// What it says: 1 to 2,000 characters. Blame language is pointed out
    /// (`Comment.blamelessFindings`), never refused.
    pub body: String,
    /// Where in the review it points, as `BlamelessFinding.location` names places: a field of
    /// `Review` (`summary`, `timeline`, `whys`, `rootCause`, `contributingFactors`, `actions`, …),
    /// maybe an item and a part of it (`whys[2].answer`, `actions[0]`). Omitted for the review as
    /// a whole.
    pub location: Option<String>,
    /// A comment of the same review to reply to; a reply to a reply joins its thread.
    pub reply_to: Option<ID>,
    /// People to call in (at most 20): active people of the organization who may read the
    /// review. Each is told by a MENTIONED event (and an email when the server sends them);
    /// someone who may not read the review is BAD_USER_INPUT at their place in the list, so no
    /// notification tells of a review to someone it is hidden from.
    pub mention_ids: Option<Vec<ID>>,
}

fn comment_id(id: &ID) -> Result<uuid::Uuid> {
    Ok(ids::decode(id, NodeKind::Comment, "id")?)
}

#[derive(Default)]
pub struct MeetingMutation;

#[Object]
impl MeetingMutation {
    /// Comments on a review (at most 1,000 comments per review). Anyone who may read the
    /// review, before and after it is published: a comment never changes the review itself.
    async fn add_comment(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The review.")] review_id: ID,
        #[graphql(desc = "The comment.")] input: CommentInput,
    ) -> Result<Comment> {
        let viewer = ctx.viewer()?;
        let review_id = ids::decode(&review_id, NodeKind::Review, "reviewId")?;
        let reply_to = input
            .reply_to
            .as_ref()
            .map(|id| ids::decode(id, NodeKind::Comment, "replyTo"))
            .transpose()
            .map_err(AppError::in_input)?;
        let mention_ids = input.mention_ids.unwrap_or_default();
        let mention_ids = crate::domain::validate::each("mentionIds", &mention_ids, |id| {
            ids::decode(id, NodeKind::User, "mentionIds")
        })
        .map_err(AppError::in_input)?;
        let comment = reviews::NewComment { body: input.body, location: input.location, reply_to, mention_ids };
        Ok(Comment(reviews::add_comment(ctx.db(), viewer, review_id, comment).await?))
    }

    /// Rewrites a comment: its author only (FORBIDDEN otherwise). Its mentions stay as they
    /// were.
    async fn edit_comment(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The comment.")] id: ID,
        #[graphql(desc = "What it now says: 1 to 2,000 characters.")] body: String,
    ) -> Result<Comment> {
        Ok(Comment(reviews::edit_comment(ctx.db(), ctx.viewer()?, comment_id(&id)?, &body).await?))
    }

    /// Deletes a comment and answers its ID: its author only (FORBIDDEN otherwise). A first
    /// comment others replied to stays, emptied (`deleted: true`), to hold its thread.
    async fn delete_comment(&self, ctx: &Context<'_>, #[graphql(desc = "The comment.")] id: ID) -> Result<ID> {
        reviews::delete_comment(ctx.db(), ctx.viewer()?, comment_id(&id)?).await?;
        Ok(id)
    }

    /// Marks a thread resolved: its author, the review's facilitator, a lead of the review's
    /// team or an admin (FORBIDDEN otherwise). A reply is resolved with its thread
    /// (INVALID_STATE); resolving again changes nothing.
    async fn resolve_comment(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The thread's first comment.")] id: ID,
    ) -> Result<Comment> {
        Ok(Comment(reviews::resolve_comment(ctx.db(), ctx.viewer()?, comment_id(&id)?).await?))
    }

    /// The viewer agrees that the review's timeline is what happened (`Review.timelineAgreedBy`):
    /// its facilitator, a participant or a responder of the incident (FORBIDDEN otherwise), while
    /// the review is not published (INVALID_STATE) and its timeline holds an entry (INVALID_STATE
    /// when empty). Any later change to the timeline withdraws every agreement
    /// (TIMELINE_AGREEMENTS_CLEARED). Agreeing again changes nothing.
    async fn agree_timeline(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The review.")] review_id: ID,
    ) -> Result<Review> {
        let review_id = ids::decode(&review_id, NodeKind::Review, "reviewId")?;
        Ok(Review(reviews::agree_timeline(ctx.db(), ctx.viewer()?, review_id).await?))
    }

    /// The owner says yes to an action (`Action.acceptedAt`): its owner only (FORBIDDEN
    /// otherwise), while it is OPEN or IN_PROGRESS (INVALID_STATE otherwise). Accepting again
    /// changes nothing.
    async fn accept_action(&self, ctx: &Context<'_>, #[graphql(desc = "The action.")] id: ID) -> Result<Action> {
        let id = ids::decode(&id, NodeKind::Action, "id")?;
        Ok(Action(actions::accept(ctx.db(), ctx.viewer()?, id).await?))
    }

    /// The owner sends an action back to the review's facilitator with a reason
    /// (`Action.declinedAt`, `Action.declineReason`; an ACTION_DECLINED event, and an email to the
    /// facilitator when the server sends them): its owner only (FORBIDDEN otherwise), while it is
    /// OPEN or IN_PROGRESS (INVALID_STATE otherwise). It stays theirs, unaccepted, until it is
    /// reassigned, dropped or accepted after all.
    async fn decline_action(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The action.")] id: ID,
        #[graphql(desc = "Why: 1 to 2,000 characters.")] reason: String,
    ) -> Result<Action> {
        let id = ids::decode(&id, NodeKind::Action, "id")?;
        Ok(Action(actions::decline(ctx.db(), ctx.viewer()?, id, &reason).await?))
    }
}

//! Comments on a review and the people they call in. Anyone who may read a review may comment
//! on it, published or not (the discussion goes on; the review itself does not change); a
//! mention must name someone who may read it too, so that no notification tells about a review
//! to someone it is hidden from.

use std::sync::LazyLock;

use super::*;
use entity::{comment, comment_mention};
use regex::Regex;
use sea_orm::PaginatorTrait;

/// A new comment.
pub struct NewComment {
    pub body: String,
    /// Where in the review it points: `summary`, `whys[2].answer`, `actions[0]`, …
    pub location: Option<String>,
    /// A comment of the same review to reply to; a reply to a reply joins its thread.
    pub reply_to: Option<Uuid>,
    pub mention_ids: Vec<Uuid>,
}

/// The fields of `Review` a location may start with, as blameless findings name them.
const LOCATED_FIELDS: [&str; 14] = [
    "title",
    "summary",
    "impact",
    "timeline",
    "whys",
    "rootCause",
    "contributingFactors",
    "wentWell",
    "gotLucky",
    "learnings",
    "areasForImprovement",
    "actions",
    "links",
    "parkedQuestions",
];

static LOCATION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^([A-Za-z]{1,40})(\[(\d{1,3})\])?(\.[A-Za-z]{1,40})?$").expect("the location pattern compiles")
});

/// A location as blameless findings write them: a field of `Review`, maybe an item of it and a
/// field of that (`whys[2].answer`).
fn location(raw: Option<&str>) -> AppResult<Option<String>> {
    let Some(text) = raw.map(str::trim).filter(|t| !t.is_empty()) else { return Ok(None) };
    let known = LOCATION
        .captures(text)
        .and_then(|found| found.get(1))
        .is_some_and(|field| LOCATED_FIELDS.contains(&field.as_str()));
    if !known {
        return Err(AppError::invalid(
            "location",
            format!(
                "`{}` is not a place in a review: write a field, maybe an item and its part, as `whys[2].answer` (fields: {})",
                text.chars().take(60).collect::<String>(),
                LOCATED_FIELDS.join(", ")
            ),
        ));
    }
    Ok(Some(text.to_owned()))
}

/// The people a comment may mention: active people of the organization who may read the
/// review. Problems name each refused ID's place in `mentionIds`.
async fn mentionable(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    review_id: Uuid,
    mention_ids: &[Uuid],
) -> AppResult<Vec<Uuid>> {
    validate::at_most("mentionIds", mention_ids, limits::MENTIONS)?;
    let people = user::Entity::find()
        .filter(user::Column::OrganizationId.eq(viewer.org_id))
        .filter(user::Column::Id.is_in(mention_ids.iter().copied()))
        .all(db)
        .await?;
    let mut readers = Vec::new();
    for person in people.iter().filter(|p| p.active) {
        if get(db, &Viewer::of_person(person, &viewer.clock), review_id).await?.is_some() {
            readers.push(person.id);
        }
    }
    let checked = validate::each("mentionIds", mention_ids, |id| {
        if readers.contains(id) {
            Ok(*id)
        } else if people.iter().any(|p| p.id == *id && p.active) {
            Err(AppError::invalid("mentionIds", "this person may not read the review: share it with them first"))
        } else {
            Err(AppError::invalid("mentionIds", "no active user of the organization has this ID"))
        }
    })?;
    let mut ids = checked;
    ids.sort();
    ids.dedup();
    Ok(ids)
}

async fn in_org(db: &impl ConnectionTrait, viewer: &Viewer, comment_id: Uuid) -> AppResult<Option<comment::Model>> {
    Ok(comment::Entity::find_by_id(comment_id)
        .filter(comment::Column::OrganizationId.eq(viewer.org_id))
        .one(db)
        .await?)
}

/// A comment of the organization, if the viewer may read its review.
pub async fn find_comment(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    comment_id: Uuid,
) -> AppResult<Option<comment::Model>> {
    let found = in_org(db, viewer, comment_id).await?;
    visible_child(db, viewer, found, |c| c.review_id).await
}

/// A comment the viewer may read, with its review; NOT_FOUND otherwise.
/// An emptied first comment (deleted, holding its replies) counts only when `emptied` says so.
async fn readable_comment(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    comment_id: Uuid,
    emptied: bool,
) -> AppResult<(comment::Model, review::Model, Standing)> {
    let comment = in_org(db, viewer, comment_id)
        .await?
        .filter(|c| emptied || c.deleted_at.is_none())
        .ok_or(AppError::NotFound("comment"))?;
    let (review, _, standing) = readable(db, viewer, comment.review_id).await.map_err(|e| match e {
        AppError::NotFound(_) => AppError::NotFound("comment"),
        other => other,
    })?;
    Ok((comment, review, standing))
}

fn comment_id(comment: &comment::Model) -> GlobalId {
    GlobalId::new(NodeKind::Comment, comment.id)
}

/// Comments on a review (`addComment`): anyone who may read it.
pub async fn add_comment(
    db: &DatabaseConnection,
    viewer: &Viewer,
    review_id: Uuid,
    input: NewComment,
) -> AppResult<comment::Model> {
    let tx = db::begin_write(db, viewer.org_id).await?;
    let (review, _, _) = readable(&tx, viewer, review_id).await?;
    let thread = match input.reply_to {
        None => Ok(None),
        Some(id) => {
            let found =
                comment::Entity::find_by_id(id).filter(comment::Column::ReviewId.eq(review.id)).one(&tx).await?;
            found
                .map(|c| Some(c.reply_to.unwrap_or(c.id)))
                .ok_or_else(|| AppError::invalid("replyTo", "no comment of this review has this ID"))
        }
    };
    let mentions = mentionable(&tx, viewer, review.id, &input.mention_ids).await;
    let (body, location, thread, mentions) = validate::all((
        validate::required_text("body", &input.body, limits::TEXT),
        location(input.location.as_deref()),
        thread,
        mentions,
    ))
    .map_err(AppError::in_input)?;
    let existing = comment::Entity::find().filter(comment::Column::ReviewId.eq(review.id));
    validate::room_for_one_more(&tx, existing, limits::COMMENTS, "reviewId", "a review's discussion").await?;
    let comment = comment::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(viewer.org_id),
        review_id: Set(review.id),
        author_id: Set(viewer.user_id),
        reply_to: Set(thread),
        body: Set(body),
        location: Set(location),
        resolved_at: Set(None),
        resolved_by: Set(None),
        deleted_at: Set(None),
        created_at: Set(viewer.now()),
        edited_at: Set(None),
    }
    .insert(&tx)
    .await?;
    for user_id in &mentions {
        comment_mention::ActiveModel { comment_id: Set(comment.id), user_id: Set(*user_id) }.insert(&tx).await?;
    }
    let mention_ids: Vec<GlobalId> = mentions.iter().map(|id| GlobalId::new(NodeKind::User, *id)).collect();
    let reply_to = thread.map(|id| GlobalId::new(NodeKind::Comment, id));
    record(
        &tx,
        viewer,
        review.id,
        Change::CommentAdded { comment_id: comment_id(&comment), reply_to, mention_ids: mention_ids.clone() },
    )
    .await?;
    for user_id in mention_ids {
        record(&tx, viewer, review.id, Change::Mentioned { comment_id: comment_id(&comment), user_id }).await?;
    }
    tx.commit().await?;
    Ok(comment)
}

/// Rewrites a comment (`editComment`): its author only.
pub async fn edit_comment(
    db: &DatabaseConnection,
    viewer: &Viewer,
    comment_id: Uuid,
    body: &str,
) -> AppResult<comment::Model> {
    let body = validate::required_text("body", body, limits::TEXT)?;
    let tx = db::begin_write(db, viewer.org_id).await?;
    let (comment, review, _) = readable_comment(&tx, viewer, comment_id, false).await?;
    if comment.author_id != viewer.user_id {
        return Err(AppError::forbidden("only its author may edit a comment"));
    }
    let mut active = comment.into_active_model();
    active.body = Set(body);
    active.edited_at = Set(Some(viewer.now()));
    let comment = active.update(&tx).await?;
    record(&tx, viewer, review.id, Change::CommentEdited { comment_id: self::comment_id(&comment) }).await?;
    tx.commit().await?;
    Ok(comment)
}

/// Deletes a comment (`deleteComment`): its author only. A comment others replied to stays,
/// emptied, to hold its thread (its mentions go); a thread's last reply deleted takes an
/// emptied first comment with it.
pub async fn delete_comment(db: &DatabaseConnection, viewer: &Viewer, comment_id: Uuid) -> AppResult<()> {
    let tx = db::begin_write(db, viewer.org_id).await?;
    let (comment, review, _) = readable_comment(&tx, viewer, comment_id, false).await?;
    if comment.author_id != viewer.user_id {
        return Err(AppError::forbidden("only its author may delete a comment"));
    }
    let replies = comment::Entity::find().filter(comment::Column::ReplyTo.eq(comment.id)).count(&tx).await?;
    comment_mention::Entity::delete_many().filter(comment_mention::Column::CommentId.eq(comment.id)).exec(&tx).await?;
    if replies > 0 {
        let mut active = comment.clone().into_active_model();
        active.body = Set(String::new());
        active.location = Set(None);
        active.deleted_at = Set(Some(viewer.now()));
        active.update(&tx).await?;
    } else {
        comment::Entity::delete_by_id(comment.id).exec(&tx).await?;
        if let Some(thread) = comment.reply_to {
            let left = comment::Entity::find().filter(comment::Column::ReplyTo.eq(thread)).count(&tx).await?;
            if left == 0 {
                comment::Entity::delete_many()
                    .filter(comment::Column::Id.eq(thread))
                    .filter(comment::Column::DeletedAt.is_not_null())
                    .exec(&tx)
                    .await?;
            }
        }
    }
    record(&tx, viewer, review.id, Change::CommentDeleted { comment_id: self::comment_id(&comment) }).await?;
    tx.commit().await?;
    Ok(())
}

/// Marks a thread resolved (`resolveComment`): its author, the review's facilitator, a lead of
/// the review's team or an admin. A reply is resolved with its thread (INVALID_STATE alone);
/// resolving again changes nothing.
pub async fn resolve_comment(db: &DatabaseConnection, viewer: &Viewer, comment_id: Uuid) -> AppResult<comment::Model> {
    let tx = db::begin_write(db, viewer.org_id).await?;
    // A thread whose first comment was deleted is still resolved through it.
    let (comment, review, standing) = readable_comment(&tx, viewer, comment_id, true).await?;
    let allowed = comment.author_id == viewer.user_id || standing.can_publish_review(&review);
    if !allowed {
        return Err(AppError::forbidden(
            "only the comment's author, the facilitator, a lead of the review's team or an admin may resolve it",
        ));
    }
    if comment.reply_to.is_some() {
        return Err(AppError::InvalidState(
            "a reply is resolved with its thread: resolve the thread's first comment".into(),
        ));
    }
    if comment.resolved_at.is_some() {
        return Ok(comment);
    }
    let mut active = comment.into_active_model();
    active.resolved_at = Set(Some(viewer.now()));
    active.resolved_by = Set(Some(viewer.user_id));
    let comment = active.update(&tx).await?;
    record(&tx, viewer, review.id, Change::CommentResolved { comment_id: self::comment_id(&comment) }).await?;
    tx.commit().await?;
    Ok(comment)
}

/// The threads of a review, oldest first (each thread's first comment); the caller has checked
/// that the viewer may read the review.
pub async fn comments(
    db: &impl ConnectionTrait,
    review_id: Uuid,
    unresolved_only: bool,
    page: &PageRequest,
) -> AppResult<Page<comment::Model>> {
    let mut select = comment::Entity::find()
        .filter(comment::Column::ReviewId.eq(review_id))
        .filter(comment::Column::ReplyTo.is_null());
    if unresolved_only {
        select = select.filter(comment::Column::ResolvedAt.is_null());
    }
    paginate(db, select, comment::Column::Id, Order::Asc, |c| c.id.to_string(), page).await
}

/// The replies of threads, oldest first, with the thread each belongs to.
pub async fn replies(db: &impl ConnectionTrait, thread_ids: &[Uuid]) -> AppResult<Vec<comment::Model>> {
    Ok(comment::Entity::find()
        .filter(comment::Column::ReplyTo.is_in(thread_ids.iter().copied()))
        .order_by_asc(comment::Column::Id)
        .all(db)
        .await?)
}

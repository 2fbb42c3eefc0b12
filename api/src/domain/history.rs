//! `history(subjectId:)`: the event log of one object, for those who may read the object.

use entity::event;
use sea_orm::Order;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use crate::auth::Viewer;
use crate::domain::pagination::{Page, PageRequest, paginate};
use crate::domain::{actions, api_tokens, incidents, reviews, services, teams, users, webhooks};
use crate::error::{AppError, AppResult};
use crate::events::EventKind;
use crate::ids::{self, NodeKind};

/// Whether the viewer may read the object with this global ID.
pub(crate) async fn can_read(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    kind: NodeKind,
    id: uuid::Uuid,
) -> AppResult<bool> {
    let found = match kind {
        NodeKind::Organization => id == viewer.org_id,
        NodeKind::User => users::get(db, viewer, id).await?.is_some(),
        NodeKind::Invitation => users::get_invitation(db, viewer, id).await?.is_some(),
        NodeKind::Team => teams::get(db, viewer, id).await?.is_some(),
        NodeKind::Membership => teams::get_membership(db, viewer, id).await?.is_some(),
        NodeKind::ApiToken => match api_tokens::find_visible(db, viewer, id).await {
            Ok(_) => true,
            Err(AppError::NotFound(_)) => false,
            Err(e) => return Err(e),
        },
        NodeKind::Incident => incidents::get(db, viewer, id).await?.is_some(),
        NodeKind::Review => reviews::get(db, viewer, id).await?.is_some(),
        NodeKind::TimelineEntry => reviews::find_timeline_entry(db, viewer, id).await?.is_some(),
        NodeKind::ParkedQuestion => reviews::find_parked_question(db, viewer, id).await?.is_some(),
        NodeKind::ContributingFactor => reviews::find_contributing_factor(db, viewer, id).await?.is_some(),
        NodeKind::Link => reviews::find_link(db, viewer, id).await?.is_some(),
        NodeKind::Action => actions::get(db, viewer, id).await?.is_some(),
        NodeKind::FollowUp => reviews::find_follow_up(db, viewer, id).await?.is_some(),
        NodeKind::Webhook => webhooks::get(db, viewer, id).await?.is_some(),
        NodeKind::WebhookDelivery => webhooks::get_delivery(db, viewer, id).await?.is_some(),
        NodeKind::Comment => reviews::find_comment(db, viewer, id).await?.is_some(),
        NodeKind::Service => services::get(db, viewer, id).await?.is_some(),
    };
    Ok(found)
}

/// The events about one object, oldest first. An object the viewer may not read is NOT_FOUND.
pub async fn of_subject(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    subject_id: &str,
    page: &PageRequest,
) -> AppResult<Page<event::Model>> {
    let Some((kind, id)) = ids::parse(subject_id) else {
        return Err(AppError::invalid("subjectId", format!("`{subject_id}` is not a valid ID")));
    };
    if !can_read(db, viewer, kind, id).await? {
        return Err(AppError::NotFound("subject"));
    }
    let mut select = event::Entity::find()
        .filter(event::Column::OrganizationId.eq(viewer.org_id))
        .filter(event::Column::SubjectId.eq(ids::encode(kind, id)));
    // Someone's sign-in events are theirs and the admins' only.
    if kind == NodeKind::User && id != viewer.user_id && !viewer.is_admin() {
        select = select.filter(event::Column::Kind.is_not_in(EventKind::PERSONAL));
    }
    paginate(db, select, event::Column::Sequence, Order::Asc, |e| e.sequence.to_string(), page).await
}

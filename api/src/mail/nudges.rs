//! Deadline nudges: each deadline event the scanner logs becomes an email to the people who must
//! act on it. An action's owner hears of `ACTION_DUE_SOON` and `ACTION_OVERDUE`; a review's
//! facilitator and its team's leads of `REVIEW_DUE_SOON`, `REVIEW_LATE`, `PUBLISH_LATE` and
//! `FOLLOW_UP_DUE`. Someone mentioned in a comment hears of `MENTIONED`, and a review's
//! facilitator of an action its owner declined (`ACTION_DECLINED`). Each person gets one message
//! per object, kind and deadline (the day, for mentions and declines: a burst of comments is one
//! email), and only about what they may read, while they are active, confirmed and want nudges.
//!
//! One cursor along each organization's event log (`mail_feed`), moved by a conditional update
//! in the transaction that queues the messages: with several servers, each event is considered
//! once.

use chrono::{NaiveDate, TimeDelta};
use entity::{EventKind, TeamRole, action, event, mail_feed, membership, organization, review, user};
use sea_orm::sea_query::{Expr, ExprTrait, Func, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, JoinType, QueryFilter, QueryOrder, QuerySelect,
    RelationTrait,
};
use serde_json::json;
use uuid::Uuid;

use crate::auth::Viewer;
use crate::db;
use crate::domain::history;
use crate::error::AppResult;
use crate::events::Change;
use crate::ids::{self, NodeKind};
use crate::mail::unsubscribe::{self, Topic};
use crate::mail::{Mailer, Outgoing, day, outbox};
use crate::state::AppState;

/// The events that nudge someone.
pub const KINDS: [EventKind; 8] = [
    EventKind::ActionDueSoon,
    EventKind::ActionOverdue,
    EventKind::ReviewDueSoon,
    EventKind::ReviewLate,
    EventKind::PublishLate,
    EventKind::FollowUpDue,
    EventKind::Mentioned,
    EventKind::ActionDeclined,
];
/// Events read per round.
const BATCH: u64 = 200;
/// A deadline announced longer ago than this is passed over (mail turned on late, a long
/// outage of the loop): a nudge is worth sending while it is news.
const STALE: TimeDelta = TimeDelta::days(2);

/// Turns the deadline events each organization logged since its cursor into queued nudges.
pub async fn feed(state: &AppState) -> AppResult<()> {
    let cursor = Expr::col((mail_feed::Entity, mail_feed::Column::Cursor));
    let behind: Vec<(Uuid, i64, Option<i64>)> = organization::Entity::find()
        .select_only()
        .columns([organization::Column::Id, organization::Column::EventSequence])
        .expr(cursor.clone())
        .join_rev(JoinType::LeftJoin, mail_feed::Relation::Organization.def())
        .filter(
            Expr::col((organization::Entity, organization::Column::EventSequence))
                .gt(Func::coalesce([cursor, Expr::val(0)])),
        )
        .into_tuple()
        .all(&state.db)
        .await?;
    for (org_id, end, cursor) in behind {
        feed_organization(state, org_id, end, cursor).await?;
    }
    Ok(())
}

/// One organization's deadline events up to `end` (its log's end when read), batch after
/// batch, each batch's nudges queued in the transaction that moves the organization's cursor
/// past it (`None`: the organization has none yet, it starts from its first event).
async fn feed_organization(state: &AppState, org_id: Uuid, end: i64, mut cursor: Option<i64>) -> AppResult<()> {
    let db = &state.db;
    loop {
        let after = cursor.unwrap_or(0);
        let events = event::Entity::find()
            .filter(event::Column::OrganizationId.eq(org_id))
            .filter(event::Column::Sequence.gt(after))
            .filter(event::Column::Sequence.lte(end))
            .filter(event::Column::Kind.is_in(KINDS))
            .order_by_asc(event::Column::Sequence)
            .limit(BATCH)
            .all(db)
            .await?;
        let full = events.len() as u64 == BATCH;
        let next = if full { events.last().map_or(end, |e| e.sequence) } else { end };
        let now = state.clock.now();
        let mut messages = Vec::new();
        for event in events.iter().filter(|event| now - event.created_at <= STALE) {
            messages.extend(messages_for(db, state, event).await?);
        }
        let tx = db::begin_local(db).await?;
        // Moved only from where it was read: another server that moved it first wins.
        let moved = match cursor {
            Some(cursor) => {
                mail_feed::Entity::update_many()
                    .col_expr(mail_feed::Column::Cursor, Expr::value(next))
                    .filter(mail_feed::Column::OrganizationId.eq(org_id))
                    .filter(mail_feed::Column::Cursor.eq(cursor))
                    .exec(&tx)
                    .await?
                    .rows_affected
            }
            None => {
                let row = mail_feed::ActiveModel { organization_id: Set(org_id), cursor: Set(next) };
                mail_feed::Entity::insert(row)
                    .on_conflict(OnConflict::column(mail_feed::Column::OrganizationId).do_nothing().to_owned())
                    .exec_without_returning(&tx)
                    .await?
            }
        };
        if moved != 1 {
            return Ok(());
        }
        let mut queued = false;
        for message in messages {
            queued |= outbox::enqueue(&tx, &state.mailer, now, message).await?;
        }
        tx.commit().await?;
        if queued {
            state.mailer.poke();
        }
        if !full {
            return Ok(());
        }
        cursor = Some(next);
    }
}

/// Whether a person hears of deadlines by email.
fn wants_nudges(user: &user::Model) -> bool {
    user.active && user.email_verified_at.is_some() && user.notify_nudges
}

/// The nudges one event makes.
async fn messages_for(db: &DatabaseConnection, state: &AppState, event: &event::Model) -> AppResult<Vec<Outgoing>> {
    let Some((kind, id)) = ids::parse(&event.subject_id) else { return Ok(Vec::new()) };
    let leads_of = |team_id: Uuid| {
        membership::Entity::find()
            .select_only()
            .column(membership::Column::UserId)
            .filter(membership::Column::TeamId.eq(team_id))
            .filter(membership::Column::Role.eq(TeamRole::Lead))
            .into_tuple::<Uuid>()
            .all(db)
    };
    let (recipients, about) = match kind {
        NodeKind::Action => {
            let Some(action) = action::Entity::find_by_id(id).one(db).await? else { return Ok(Vec::new()) };
            let Some(review) = review::Entity::find_by_id(action.review_id).one(db).await? else {
                return Ok(Vec::new());
            };
            let people = match (event.kind, review.facilitator_id) {
                (EventKind::ActionDeclined, Some(facilitator)) => vec![facilitator],
                (EventKind::ActionDeclined, None) => leads_of(review.team_id).await?,
                _ => vec![action.owner_id],
            };
            (people, About { review, action: Some(action) })
        }
        NodeKind::Review => {
            let Some(review) = review::Entity::find_by_id(id).one(db).await? else { return Ok(Vec::new()) };
            let people = match Change::read(event.kind, &event.payload) {
                Some(Change::Mentioned { user_id, .. }) => vec![user_id.id],
                _ => {
                    let mut people = leads_of(review.team_id).await?;
                    people.extend(review.facilitator_id);
                    people.sort();
                    people.dedup();
                    people
                }
            };
            (people, About { review, action: None })
        }
        _ => return Ok(Vec::new()),
    };
    // Nobody is told of what they did themselves (mentioning oneself, declining as the facilitator).
    let recipients: Vec<Uuid> = match event.kind {
        EventKind::Mentioned | EventKind::ActionDeclined => {
            recipients.into_iter().filter(|id| Some(*id) != event.actor_id).collect()
        }
        _ => recipients,
    };
    let people = user::Entity::find()
        .filter(user::Column::Id.is_in(recipients))
        .filter(user::Column::OrganizationId.eq(event.organization_id))
        .all(db)
        .await?;
    let mut messages = Vec::new();
    for person in people.into_iter().filter(wants_nudges) {
        if !history::can_read(db, &Viewer::of_person(&person, &state.clock), kind, id).await? {
            continue;
        }
        if let Some(message) = nudge(&state.mailer, event, id, &person, &about)? {
            messages.push(message);
        }
    }
    Ok(messages)
}

/// What a nudge is about: a review, or an action of it.
struct About {
    review: review::Model,
    action: Option<action::Model>,
}

/// The deadline an event announced: an action's due date, a review's meeting or publication
/// deadline, a follow-up's date (the day of the event when it names none).
fn deadline(event: &event::Model) -> NaiveDate {
    match Change::read(event.kind, &event.payload) {
        Some(Change::ActionDueSoon(soon)) => soon.due_date,
        Some(Change::ActionOverdue(overdue)) => overdue.due_date,
        Some(Change::ReviewDueSoon(d) | Change::ReviewLate(d) | Change::PublishLate(d)) => d.due_at.date_naive(),
        Some(Change::FollowUpDue { due_at: Some(at), .. }) => at.date_naive(),
        _ => event.created_at.date_naive(),
    }
}

/// The nudge of `event` to `person`.
fn nudge(
    mailer: &Mailer,
    event: &event::Model,
    subject_id: Uuid,
    person: &user::Model,
    about: &About,
) -> AppResult<Option<Outgoing>> {
    let review = &about.review;
    let deadline = deadline(event);
    let due = day(deadline);
    let (title, detail) = match &about.action {
        Some(action) => (
            action.title.clone(),
            format!("From the review \u{201c}{}\u{201d}. Done when: {}", review.title, action.success_metric),
        ),
        None => {
            let what = if review.published_at.is_some() { "Published review" } else { "Review" };
            (review.title.clone(), format!("{what} of the incident \u{201c}{}\u{201d}", review.title))
        }
    };
    let (subject, headline) = match event.kind {
        EventKind::ActionDueSoon => (format!("Due {due}: {title}"), format!("An action you own is due on {due}.")),
        EventKind::ActionOverdue => {
            (format!("Overdue: {title}"), format!("An action you own is overdue: it was due on {due}."))
        }
        EventKind::ReviewDueSoon => {
            (format!("Review due {due}: {title}"), format!("This incident's review should be held by {due}."))
        }
        EventKind::ReviewLate => {
            (format!("Review late: {title}"), format!("This incident's review is late: it was due by {due}."))
        }
        EventKind::PublishLate => (
            format!("Not yet published: {title}"),
            format!("This review was due to be published by {due}; its learning reaches nobody until it is."),
        ),
        EventKind::FollowUpDue => (
            format!("Follow-up due: {title}"),
            "A follow-up review is due: check whether the actions worked and whether it happened again.".to_owned(),
        ),
        EventKind::Mentioned => (
            format!("You were mentioned: {}", review.title),
            "Someone called you into the discussion of this review.".to_owned(),
        ),
        EventKind::ActionDeclined => (
            format!("Action declined: {title}"),
            "Its owner sent this action back to you, with a reason: reassign it, change it or drop it.".to_owned(),
        ),
        _ => return Ok(None),
    };
    let Some(link) = mailer.link(&format!("reviews/{}", ids::encode(NodeKind::Review, review.id)), &[]) else {
        return Ok(None);
    };
    let unsubscribe_url = unsubscribe::link(mailer, person.id, Topic::Nudges);
    let bodies = mailer.templates.render(
        "nudge",
        json!({
            "subject": subject, "name": person.display_name, "headline": headline, "title": title,
            "detail": detail, "link": link, "unsubscribe_url": unsubscribe_url,
        }),
    )?;
    let kind = sea_orm::ActiveEnum::to_value(&event.kind);
    Ok(Some(Outgoing {
        organization_id: Some(person.organization_id),
        user_id: Some(person.id),
        to: person.email.clone(),
        kind: "NUDGE",
        // Once per person, object, kind and deadline.
        dedupe_key: format!("nudge:{kind}:{}:{}:{deadline}", subject_id.simple(), person.id.simple()),
        subject,
        bodies,
        unsubscribe_url,
    }))
}

//! Subscriptions: the event log, live, each event checked against what the subscriber may read
//! at the moment it is delivered: a draft never reaches someone outside it, nothing crosses
//! organizations.

use std::future::Future;
use std::sync::Arc;

use async_graphql::{Context, ID, Result, SimpleObject, Subscription};
use futures_util::{Stream, StreamExt};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use crate::auth::Viewer;
use crate::domain::{actions, history, incidents, reviews, teams, validate};
use crate::error::{AppError, AppResult};
use crate::events;
use crate::events::LiveEvent;
use crate::events::{Change, EventKind as Kind};
use crate::graphql::ContextExt;
use crate::graphql::types::{Action, Event, EventKind, RelevantLearning, Review};
use crate::graphql::{SocketControl, close};
use crate::ids::{self, NodeKind};

/// A change to an action, and the action as it is now.
#[derive(SimpleObject)]
pub struct ActionEvent {
    /// What changed.
    pub event: Event,
    /// The action as it is now.
    pub action: Action,
}

/// A change to a review (or to its actions), and the review as it is now.
#[derive(SimpleObject)]
pub struct ReviewEvent {
    /// What changed.
    pub event: Event,
    /// The review as it is now.
    pub review: Review,
}

#[derive(Default)]
pub struct Subscription;

/// Live updates over the WebSocket at `/graphql/ws` (graphql-transport-ws or graphql-ws; send
/// `{"authorization": "Bearer …"}` as the `connection_init` payload). Each event is checked,
/// when it is delivered, against what the subscriber may read then.
#[Subscription]
impl Subscription {
    /// Reviews published for the whole organization: the learning feed, live. Optionally only
    /// those of some teams, or of incidents carrying any of some tags.
    async fn learning_published(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only reviews owned by one of these teams.")] team_ids: Option<Vec<ID>>,
        #[graphql(desc = "Only reviews of incidents carrying any of these tags.")] tags: Option<Vec<String>>,
    ) -> Result<impl Stream<Item = Result<Review>> + use<>> {
        let teams = decode_all(team_ids, NodeKind::Team, "teamIds")?;
        let tags = validate::each("tags", tags.unwrap_or_default(), |t| incidents::normalize_tag("tags", &t))?;
        let (teams, tags) = (Arc::new(teams), Arc::new(tags));
        Ok(deliver(ctx, None, move |db, _viewer, event| {
            let (teams, tags) = (teams.clone(), tags.clone());
            async move {
                let Some(id) = subject(&event, Kind::ReviewPublished, NodeKind::Review) else { return Ok(None) };
                // The same for everyone in the organization: looked up once per event.
                let review = event.shared(|| reviews::shared_learning(&db, event.organization_id, id)).await?;
                let Some(review) = review else { return Ok(None) };
                if !teams.is_empty() && !teams.contains(&review.team_id) {
                    return Ok(None);
                }
                if !tags.is_empty()
                    && !incidents::tags_of(&db, review.incident_id).await?.iter().any(|t| tags.contains(t))
                {
                    return Ok(None);
                }
                Ok(Some(Review(review)))
            }
        })?)
    }

    /// Reviews published elsewhere that concern one team (a service it owns, an incident like
    /// its own): the `LEARNING_RELEVANT` events addressed to it, live.
    async fn learning_relevant(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The team told; NOT_FOUND when it is not of the viewer's organization.")] team_id: ID,
    ) -> Result<impl Stream<Item = Result<RelevantLearning>> + use<>> {
        let team = ids::decode(&team_id, NodeKind::Team, "teamId")?;
        teams::find_in_org(ctx.db(), ctx.viewer()?.org_id, team).await?;
        Ok(deliver(ctx, None, move |db, _viewer, event| async move {
            let Some(id) = subject(&event, Kind::LearningRelevant, NodeKind::Review) else { return Ok(None) };
            let Some(Change::LearningRelevant { team_id, reasons }) = event.change.as_ref() else { return Ok(None) };
            if team_id.id != team {
                return Ok(None);
            }
            // The same for everyone in the organization: looked up once per event.
            let review = event.shared(|| reviews::shared_learning(&db, event.organization_id, id)).await?;
            Ok(review.map(|review| RelevantLearning {
                review: Review(review),
                reasons: reasons.iter().copied().map(Into::into).collect(),
                told_at: event.row.created_at,
            }))
        })?)
    }

    /// Changes to actions the viewer may read: created, edited, rescheduled, reassigned,
    /// started, completed, dropped. Optionally only those of one team or one owner.
    async fn action_changed(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only actions this team is responsible for.")] team_id: Option<ID>,
        #[graphql(desc = "Only actions this user owns.")] owner_id: Option<ID>,
    ) -> Result<impl Stream<Item = Result<ActionEvent>> + use<>> {
        let filter = ActionFilter::decode(team_id, owner_id)?;
        Ok(deliver(ctx, None, move |db, viewer, event| async move {
            let changed = event.kind.is_action_change();
            if !changed || !filter.may_match(&event) {
                return Ok(None);
            }
            let action = filter.load(&db, &viewer, &event).await?;
            Ok(action.map(|action| ActionEvent { event: Event(event.row.clone()), action }))
        })?)
    }

    /// Actions that became overdue (each once per due date). Optionally only those of one team
    /// or one owner.
    async fn action_overdue(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only actions this team is responsible for.")] team_id: Option<ID>,
        #[graphql(desc = "Only actions this user owns.")] owner_id: Option<ID>,
    ) -> Result<impl Stream<Item = Result<Action>> + use<>> {
        announced_actions(ctx, Kind::ActionOverdue, team_id, owner_id)
    }

    /// Open or in-progress actions coming within `ReviewPolicy.actionDueSoonDays` of their due
    /// date (each once per due date). Optionally only those of one team or one owner.
    async fn action_due_soon(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only actions this team is responsible for.")] team_id: Option<ID>,
        #[graphql(desc = "Only actions this user owns.")] owner_id: Option<ID>,
    ) -> Result<impl Stream<Item = Result<Action>> + use<>> {
        announced_actions(ctx, Kind::ActionDueSoon, team_id, owner_id)
    }

    /// Every change to one review, its contents and its actions, with the review as it is now.
    async fn review_changed(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The review to follow; NOT_FOUND when the viewer may not read it.")] review_id: ID,
    ) -> Result<impl Stream<Item = Result<ReviewEvent>> + use<>> {
        let id = ids::decode(&review_id, NodeKind::Review, "reviewId")?;
        if reviews::get(ctx.db(), ctx.viewer()?, id).await?.is_none() {
            return Err(AppError::NotFound("review").into());
        }
        Ok(deliver(ctx, None, move |db, viewer, event| async move {
            // The review the event is about: itself, or the review of its action.
            let of_its_action = event.change.as_ref().and_then(Change::action).map(|a| a.review_id.id);
            let itself = ids::parse(&event.subject_id).filter(|(kind, _)| *kind == NodeKind::Review).map(|(_, id)| id);
            let about = itself.or(of_its_action);
            if about != Some(id) {
                return Ok(None);
            }
            let review = read_subject(&event, &viewer, |reader| {
                let db = db.clone();
                async move { reviews::get(&db, &reader, id).await }
            })
            .await?;
            Ok(review.map(|review| ReviewEvent { event: Event(event.row.clone()), review: Review(review) }))
        })?)
    }

    /// The organization's event log, live: every event about something the viewer may read,
    /// optionally of some kinds only. With `after` (the ID of the last event received), first
    /// replays what was logged since, then goes live, with nothing missed or repeated.
    async fn events(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only events of these kinds; all kinds when omitted or empty.")] kinds: Option<Vec<EventKind>>,
        #[graphql(desc = "The `id` of the last event received: first replays every event logged after it.")]
        after: Option<ID>,
    ) -> Result<impl Stream<Item = Result<Event>> + use<>> {
        let viewer = ctx.viewer()?;
        let after = match after {
            Some(id) => {
                let position = ids::decode_event(&id, "after")?;
                Some(events::resume_after(&ctx.state().db, viewer.org_id, position).await?)
            }
            None => None,
        };
        let kinds: Arc<Vec<Kind>> = Arc::new(kinds.unwrap_or_default().into_iter().map(Kind::from).collect());
        Ok(deliver(ctx, after, move |db, viewer, event| {
            let kinds = kinds.clone();
            async move {
                if !kinds.is_empty() && !kinds.contains(&event.kind) {
                    return Ok(None);
                }
                let Some((kind, id)) = ids::parse(&event.subject_id) else { return Ok(None) };
                if !events::personal_event_visible(&viewer, &event) {
                    return Ok(None);
                }
                let readable = read_subject(&event, &viewer, |reader| {
                    let db = db.clone();
                    async move { Ok(history::can_read(&db, &reader, kind, id).await?.then_some(())) }
                })
                .await?;
                Ok(readable.map(|()| Event(event.row.clone())))
            }
        })?)
    }
}

/// The actions the scanner announces as `kind` (due soon, overdue), of one team or owner.
fn announced_actions(
    ctx: &Context<'_>,
    kind: Kind,
    team_id: Option<ID>,
    owner_id: Option<ID>,
) -> Result<impl Stream<Item = Result<Action>> + use<>> {
    let filter = ActionFilter::decode(team_id, owner_id)?;
    Ok(deliver(ctx, None, move |db, viewer, event| async move {
        if event.kind != kind || !filter.may_match(&event) {
            return Ok(None);
        }
        filter.load(&db, &viewer, &event).await
    })?)
}

/// The subscriber's events (from `after`, when given), mapped by `select`, which answers
/// `None` for an event the subscriber does not get.
fn deliver<T, F, Fut>(
    ctx: &Context<'_>,
    after: Option<i64>,
    select: F,
) -> AppResult<impl Stream<Item = Result<T>> + use<T, F, Fut>>
where
    T: Send + 'static,
    F: Fn(DatabaseConnection, Viewer, LiveEvent) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = AppResult<Option<T>>> + Send + 'static,
{
    let viewer = ctx.viewer()?.clone();
    let state = ctx.state().clone();
    let control = ctx.data_opt::<SocketControl>().cloned();
    let select = Arc::new(select);
    let events = state.hub.events(state.db.clone(), viewer.org_id, after);
    Ok(events.filter_map(move |event| {
        let (select, db, viewer, control) = (select.clone(), state.db.clone(), viewer.clone(), control.clone());
        async move {
            let answer = match event {
                Ok(event) => select(db, viewer, event).await.transpose()?,
                Err(error) => Err(error),
            };
            if let (Err(AppError::SlowConsumer(_)), Some(control)) = (&answer, control) {
                control.close(close::SLOW_CONSUMER, "a subscription fell too far behind; resubscribe");
            }
            Some(answer.map_err(Into::into))
        }
    }))
}

/// What `read` finds of an event's subject for a subscriber: first what someone of the
/// organization with no standing in it finds (`Viewer::anyone_in`), looked up once per event and
/// shared by all its subscribers, since every member reads that; only when it is nothing, what
/// the subscriber finds with their own standing. `read` must depend on the event alone.
async fn read_subject<T, F, Fut>(event: &LiveEvent, viewer: &Viewer, read: F) -> AppResult<Option<T>>
where
    T: Clone + Send + Sync + 'static,
    F: Fn(Viewer) -> Fut,
    Fut: Future<Output = AppResult<Option<T>>>,
{
    let anyone = Viewer::anyone_in(event.organization_id, &viewer.clock);
    let ForEveryone(found) = event.shared(|| async { read(anyone).await.map(ForEveryone) }).await?;
    match found {
        Some(found) => Ok(Some(found)),
        None => read(viewer.clone()).await,
    }
}

/// What everyone in an event's organization reads of its subject (the type of that shared answer).
#[derive(Clone)]
struct ForEveryone<T>(Option<T>);

/// The subject of an event of `kind` about an object of `node`.
fn subject(event: &LiveEvent, kind: Kind, node: NodeKind) -> Option<Uuid> {
    if event.kind != kind {
        return None;
    }
    ids::parse(&event.subject_id).filter(|(found, _)| *found == node).map(|(_, id)| id)
}

fn decode_all(list: Option<Vec<ID>>, kind: NodeKind, field: &str) -> AppResult<Vec<Uuid>> {
    ids::decode_each(field, &list.unwrap_or_default(), kind)
}

/// Which actions an action subscription follows.
#[derive(Clone, Copy)]
struct ActionFilter {
    team_id: Option<Uuid>,
    owner_id: Option<Uuid>,
}

impl ActionFilter {
    fn decode(team_id: Option<ID>, owner_id: Option<ID>) -> AppResult<Self> {
        Ok(Self {
            team_id: team_id.map(|id| ids::decode(&id, NodeKind::Team, "teamId")).transpose()?,
            owner_id: owner_id.map(|id| ids::decode(&id, NodeKind::User, "ownerId")).transpose()?,
        })
    }

    /// Whether the action's state in the event allows a match, before loading anything.
    fn may_match(&self, event: &LiveEvent) -> bool {
        event.change.as_ref().and_then(Change::action).is_some_and(|action| {
            self.team_id.is_none_or(|id| action.team_id.id == id)
                && self.owner_id.is_none_or(|id| action.owner_id.id == id)
        })
    }

    /// The event's action as it is now, if the viewer may read it and it still matches.
    async fn load(&self, db: &DatabaseConnection, viewer: &Viewer, event: &LiveEvent) -> AppResult<Option<Action>> {
        let Some((NodeKind::Action, id)) = ids::parse(&event.subject_id) else { return Ok(None) };
        let action = read_subject(event, viewer, |reader| {
            let db = db.clone();
            async move { actions::get(&db, &reader, id).await }
        })
        .await?;
        let Some(action) = action else { return Ok(None) };
        let matches =
            self.team_id.is_none_or(|t| t == action.team_id) && self.owner_id.is_none_or(|o| o == action.owner_id);
        Ok(matches.then_some(Action(action)))
    }
}

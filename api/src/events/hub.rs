//! The hub that fans committed events out to this server's subscribers.

use std::any::{Any, TypeId};
use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use entity::{event, organization};
use futures_util::Stream;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use tokio::sync::{Notify, broadcast};
use uuid::Uuid;

use crate::config::Config;
use crate::error::{AppError, AppResult};
use crate::events::{Change, NOTIFY_CHANNEL};

/// Events read from the log per query, when catching up or replaying.
const BATCH: u64 = 500;

/// A committed event, shared by every subscriber that receives it.
pub type LiveEvent = Arc<Delivered>;

/// A committed event on its way to subscribers, with room for the answers that are the same for
/// all of them (each computed by the first that asks), so that an event reaching a thousand
/// subscribers is not looked up a thousand times.
pub struct Delivered {
    pub row: event::Model,
    /// The row's change, read once for every subscriber (`None` if its payload does not fit).
    pub change: Option<Change>,
    /// The shared answers, one per type.
    shared: Mutex<Vec<(TypeId, SharedAnswer)>>,
}

type SharedAnswer = Arc<tokio::sync::OnceCell<Arc<dyn Any + Send + Sync>>>;

impl Delivered {
    pub fn new(row: event::Model) -> Self {
        let change = Change::read(row.kind, &row.payload);
        Self { row, change, shared: Mutex::default() }
    }

    /// The answer of type `T` every subscriber of the event's organization gets alike:
    /// computed once, then shared. One answer is kept per type: give each question its own.
    pub async fn shared<T, Fut>(&self, compute: impl FnOnce() -> Fut) -> AppResult<T>
    where
        T: Clone + Send + Sync + 'static,
        Fut: Future<Output = AppResult<T>>,
    {
        let answer = {
            let mut answers = self.shared.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            match answers.iter().find(|(ty, _)| *ty == TypeId::of::<T>()) {
                Some((_, answer)) => answer.clone(),
                None => {
                    let answer = SharedAnswer::default();
                    answers.push((TypeId::of::<T>(), answer.clone()));
                    answer
                }
            }
        };
        let kept = answer
            .get_or_try_init(|| async { compute().await.map(|answer| Arc::new(answer) as Arc<dyn Any + Send + Sync>) })
            .await?;
        Ok(kept.downcast_ref::<T>().expect("an answer is kept under its own type").clone())
    }
}

impl std::ops::Deref for Delivered {
    type Target = event::Model;

    fn deref(&self) -> &event::Model {
        &self.row
    }
}

/// Fans committed events out to this server's subscribers.
pub struct EventHub {
    sender: broadcast::Sender<LiveEvent>,
    wake: Arc<Notify>,
    /// The logs to read at the next wake.
    stirred: Mutex<Stirred>,
}

/// Which organizations' logs may have grown since the hub last read them.
#[derive(Default)]
struct Stirred {
    /// Every organization's (a timer, a reconnection, a writer of several).
    all: bool,
    organizations: HashSet<Uuid>,
}

impl EventHub {
    /// Starts the hub: it broadcasts events committed from now on, reading an organization's log
    /// when poked about it, when PostgreSQL announces a commit (listening on a connection of its
    /// own, outside the pool), and every organization's every `config.event_poll_interval`.
    pub async fn start(db: DatabaseConnection, config: &Config) -> AppResult<Arc<Self>> {
        let buffer = config.subscriber_buffer;
        let read = log_ends(&db).await?;
        let (sender, _) = broadcast::channel(buffer.max(1));
        let wake = Arc::new(Notify::new());
        let hub = Arc::new(Self { sender, wake: wake.clone(), stirred: Mutex::default() });
        tokio::spawn(tail(Arc::downgrade(&hub), read, wake, db.clone(), config.event_poll_interval));
        if crate::db::is_postgres(&db) {
            tokio::spawn(listen(Arc::downgrade(&hub), config.database_url.clone()));
        }
        Ok(hub)
    }

    /// Asks the hub to read one organization's log now (after a commit that logged events).
    pub fn poke_organization(&self, org_id: Uuid) {
        self.stirred.lock().expect("stirred lock").organizations.insert(org_id);
        self.wake.notify_one();
    }

    /// Asks the hub to read every organization's log now.
    pub fn poke(&self) {
        self.stirred.lock().expect("stirred lock").all = true;
        self.wake.notify_one();
    }

    /// Every event committed from now on, unfiltered: for server-side watchers.
    pub fn listen(&self) -> broadcast::Receiver<LiveEvent> {
        self.sender.subscribe()
    }

    /// How many subscriptions this server is feeding.
    pub fn subscribers(&self) -> usize {
        self.sender.receiver_count()
    }

    /// Broadcasts, in order, what the stirred logs hold beyond the last event read of each.
    async fn catch_up(&self, db: &DatabaseConnection, read: &mut HashMap<Uuid, i64>, all: bool) -> AppResult<()> {
        let mut grown: Vec<(Uuid, i64)> = std::mem::take(&mut self.stirred.lock().expect("stirred lock").organizations)
            .into_iter()
            .map(|org_id| (org_id, i64::MAX))
            .collect();
        if all {
            grown = log_ends(db).await?.into_iter().collect();
        }
        for (org_id, end) in grown {
            let last = read.entry(org_id).or_insert(0);
            while *last < end {
                let rows = log_after(db, org_id, *last).await?;
                let done = (rows.len() as u64) < BATCH;
                for row in rows {
                    *last = row.sequence;
                    // No receivers is not an error: nobody is listening right now.
                    let _ = self.sender.send(Arc::new(Delivered::new(row)));
                }
                if done {
                    break;
                }
            }
        }
        Ok(())
    }

    /// The events of one organization: first those after `after` from the log (when given),
    /// then live ones, each exactly once and in order. A subscriber that falls more than the
    /// buffer behind while live gets a `SLOW_CONSUMER` error and the stream ends.
    pub fn events(
        &self,
        db: DatabaseConnection,
        org_id: Uuid,
        after: Option<i64>,
    ) -> impl Stream<Item = AppResult<LiveEvent>> + Send + use<> {
        let sender = self.sender.clone();
        let mut receiver = sender.subscribe();
        async_stream::try_stream! {
            // Live only: what the log holds now is past, even if the hub has not broadcast it yet.
            let mut last = match after {
                Some(after) => after,
                None => crate::events::log_end(&db, org_id).await?,
            };
            let mut replay = after.is_some();
            // Until the first live event, an overflowing buffer means the replay took long, not
            // that the subscriber is slow: replay again from the log instead of dropping it.
            let mut live = after.is_none();
            loop {
                if replay {
                    loop {
                        let rows = log_after(&db, org_id, last).await?;
                        let done = (rows.len() as u64) < BATCH;
                        for row in rows {
                            last = row.sequence;
                            yield Arc::new(Delivered::new(row));
                        }
                        if done {
                            break;
                        }
                    }
                    replay = false;
                }
                match receiver.recv().await {
                    Ok(event) => {
                        if event.organization_id == org_id && event.sequence > last {
                            last = event.sequence;
                            live = true;
                            yield event;
                        }
                    }
                    Err(broadcast::error::RecvError::Lagged(missed)) if live => {
                        Err(AppError::SlowConsumer(format!(
                            "this subscription fell {missed} events behind and was dropped; subscribe again \
                             with events(after:) and the last event ID received"
                        )))?;
                    }
                    Err(broadcast::error::RecvError::Lagged(_)) => {
                        receiver = sender.subscribe();
                        replay = true;
                    }
                    Err(broadcast::error::RecvError::Closed) => break,
                }
            }
        }
    }
}

/// A batch of an organization's events after its `sequence` `after`, in order.
async fn log_after(db: &DatabaseConnection, org_id: Uuid, after: i64) -> AppResult<Vec<event::Model>> {
    Ok(event::Entity::find()
        .filter(event::Column::OrganizationId.eq(org_id))
        .filter(event::Column::Sequence.gt(after))
        .order_by_asc(event::Column::Sequence)
        .limit(BATCH)
        .all(db)
        .await?)
}

/// Every organization's newest committed event, for those that logged any.
async fn log_ends(db: &DatabaseConnection) -> AppResult<HashMap<Uuid, i64>> {
    let ends: Vec<(Uuid, i64)> = organization::Entity::find()
        .select_only()
        .columns([organization::Column::Id, organization::Column::EventSequence])
        .filter(organization::Column::EventSequence.gt(0))
        .into_tuple()
        .all(db)
        .await?;
    Ok(ends.into_iter().collect())
}

/// Reads the logs forward whenever poked or notified (those stirred), and every log when the
/// timer fires; ends with the hub. `read` holds the last event broadcast of each organization.
async fn tail(
    hub: Weak<EventHub>,
    mut read: HashMap<Uuid, i64>,
    wake: Arc<Notify>,
    db: DatabaseConnection,
    poll_every: Duration,
) {
    let mut all = false;
    loop {
        let Some(strong) = hub.upgrade() else { return };
        all |= std::mem::take(&mut strong.stirred.lock().expect("stirred lock").all);
        match strong.catch_up(&db, &mut read, all).await {
            Ok(()) => all = false,
            Err(error) => {
                // Read everything again next time: the organizations stirred are taken.
                all = true;
                tracing::warn!(%error, "cannot read new events; retrying");
            }
        }
        drop(strong);
        tokio::select! {
            () = wake.notified() => {}
            () = tokio::time::sleep(poll_every) => all = true,
        }
    }
}

/// Wakes the hub whenever a server commits events (PostgreSQL `LISTEN`; a notification names the
/// organization). After a lost connection it reconnects and reads every log, since
/// notifications sent meanwhile are gone.
async fn listen(hub: Weak<EventHub>, database_url: String) {
    use sea_orm::sqlx::postgres::PgListener;
    while hub.strong_count() > 0 {
        let listener = async {
            let mut listener = PgListener::connect(&database_url).await?;
            listener.listen(NOTIFY_CHANNEL).await?;
            Ok::<_, sea_orm::sqlx::Error>(listener)
        };
        let mut listener = match listener.await {
            Ok(listener) => listener,
            Err(error) => {
                tracing::warn!(%error, "cannot listen for events of other servers; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        // Notifications sent while away are lost: read every log once connected.
        match hub.upgrade() {
            Some(hub) => hub.poke(),
            None => return,
        }
        loop {
            let received = listener.try_recv().await;
            let Some(hub) = hub.upgrade() else { return };
            match received {
                Ok(Some(notification)) => match notification.payload().parse() {
                    Ok(org_id) => hub.poke_organization(org_id),
                    // A server of an earlier version names no organization.
                    Err(_) => hub.poke(),
                },
                Ok(None) => {
                    tracing::warn!("lost the event notification connection; reconnecting");
                    hub.poke();
                }
                Err(error) => {
                    tracing::warn!(%error, "event notifications failed; reconnecting");
                    break;
                }
            }
        }
    }
}

//! The hub that fans committed events out to this server's subscribers.

use std::any::Any;
use std::future::Future;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use entity::event;
use futures_util::Stream;
use sea_orm::sea_query::{Expr, ExprTrait};
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

/// A committed event on its way to subscribers, with room for one answer that is the same for
/// all of them (computed by the first that asks), so that an event reaching a thousand
/// subscribers is not looked up a thousand times.
pub struct Delivered {
    pub row: event::Model,
    /// The row's change, read once for every subscriber (`None` if its payload does not fit).
    pub change: Option<Change>,
    shared: tokio::sync::OnceCell<Arc<dyn Any + Send + Sync>>,
}

impl Delivered {
    pub fn new(row: event::Model) -> Self {
        let change = Change::read(row.kind, &row.payload);
        Self { row, change, shared: tokio::sync::OnceCell::new() }
    }

    /// The answer every subscriber of the event's organization gets alike: computed once, then
    /// shared. Only one kind of answer is kept per event; asking for another computes it anew.
    pub async fn shared<T, Fut>(&self, compute: impl FnOnce() -> Fut) -> AppResult<T>
    where
        T: Clone + Send + Sync + 'static,
        Fut: Future<Output = AppResult<T>>,
    {
        let mut compute = Some(compute);
        let kept = self
            .shared
            .get_or_try_init(|| {
                let compute = compute.take().expect("computed once");
                async move { compute().await.map(|answer| Arc::new(answer) as Arc<dyn Any + Send + Sync>) }
            })
            .await?;
        match (kept.downcast_ref::<T>(), compute) {
            (Some(answer), _) => Ok(answer.clone()),
            (None, Some(compute)) => compute().await,
            (None, None) => unreachable!("an answer computed here has the asked type"),
        }
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
    /// The newest event broadcast so far.
    last_seen: AtomicI64,
}

impl EventHub {
    /// Starts the hub: it broadcasts events committed from now on, reading the log when poked,
    /// when PostgreSQL announces a commit (listening on a connection of its own, outside the
    /// pool) and every `config.event_poll_interval`.
    pub async fn start(db: DatabaseConnection, config: &Config) -> AppResult<Arc<Self>> {
        let buffer = config.subscriber_buffer;
        let newest = newest_event(&db).await?;
        let (sender, _) = broadcast::channel(buffer.max(1));
        let wake = Arc::new(Notify::new());
        let hub = Arc::new(Self { sender, wake: wake.clone(), last_seen: AtomicI64::new(newest) });
        tokio::spawn(tail(Arc::downgrade(&hub), wake, db.clone(), config.event_poll_interval));
        if crate::db::is_postgres(&db) {
            tokio::spawn(listen(Arc::downgrade(&hub), config.database_url.clone()));
        }
        Ok(hub)
    }

    /// Asks the hub to read the log now (after a local commit).
    pub fn poke(&self) {
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

    /// Broadcasts what the log holds beyond the last event seen, in order.
    async fn catch_up(&self, db: &DatabaseConnection) -> AppResult<()> {
        loop {
            let after = self.last_seen.load(Ordering::Acquire);
            let rows = event::Entity::find()
                .filter(event::Column::Id.gt(after))
                .order_by_asc(event::Column::Id)
                .limit(BATCH)
                .all(db)
                .await?;
            let done = (rows.len() as u64) < BATCH;
            for row in rows {
                self.last_seen.store(row.id, Ordering::Release);
                // No receivers is not an error: nobody is listening right now.
                let _ = self.sender.send(Arc::new(Delivered::new(row)));
            }
            if done {
                return Ok(());
            }
        }
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
                None => newest_event(&db).await?,
            };
            let mut replay = after.is_some();
            // Until the first live event, an overflowing buffer means the replay took long, not
            // that the subscriber is slow: replay again from the log instead of dropping it.
            let mut live = after.is_none();
            loop {
                if replay {
                    loop {
                        let rows = event::Entity::find()
                            .filter(event::Column::OrganizationId.eq(org_id))
                            .filter(event::Column::Id.gt(last))
                            .order_by_asc(event::Column::Id)
                            .limit(BATCH)
                            .all(&db)
                            .await?;
                        let done = (rows.len() as u64) < BATCH;
                        for row in rows {
                            last = row.id;
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
                        if event.organization_id == org_id && event.id > last {
                            last = event.id;
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

/// The ID of the newest event logged (0 for none).
async fn newest_event(db: &DatabaseConnection) -> AppResult<i64> {
    let newest: Option<Option<i64>> =
        event::Entity::find().select_only().expr(Expr::col(event::Column::Id).max()).into_tuple().one(db).await?;
    Ok(newest.flatten().unwrap_or(0))
}

/// Reads the log forward whenever poked, notified or the timer fires; ends with the hub.
async fn tail(hub: Weak<EventHub>, wake: Arc<Notify>, db: DatabaseConnection, poll_every: Duration) {
    loop {
        let Some(strong) = hub.upgrade() else { return };
        if let Err(error) = strong.catch_up(&db).await {
            tracing::warn!(%error, "cannot read new events; retrying");
        }
        drop(strong);
        tokio::select! {
            () = wake.notified() => {}
            () = tokio::time::sleep(poll_every) => {}
        }
    }
}

/// Wakes the hub whenever another server commits events (PostgreSQL `LISTEN`). After a lost
/// connection it reconnects and catches up, since notifications sent meanwhile are gone.
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
        loop {
            let Some(hub) = hub.upgrade() else { return };
            // Catch up after (re)connecting: notifications sent while away are lost.
            hub.poke();
            drop(hub);
            match listener.try_recv().await {
                Ok(Some(_)) => {}
                Ok(None) => tracing::warn!("lost the event notification connection; reconnecting"),
                Err(error) => {
                    tracing::warn!(%error, "event notifications failed; reconnecting");
                    break;
                }
            }
        }
    }
}

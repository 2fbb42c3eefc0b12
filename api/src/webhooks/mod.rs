//! Webhooks: the events a webhook's scope may read, pushed to its URL and signed as the
//! Standard Webhooks specification describes (`webhook-id`, `webhook-timestamp`,
//! `webhook-signature`), so that receivers verify them with its reference libraries.
//!
//! Delivery is durable and at least once. Every server runs the same loop: it moves each
//! active webhook's cursor along the event log, turning each event the webhook's scope may read
//! into a row of the outbox (`webhook_delivery`) in the transaction that moves the cursor, then
//! claims due rows for a lease, posts them and records the outcome. Cursor moves and claims are
//! conditional updates, so with several servers on one database each message is made once and
//! attempted by one server at a time; a server that stops mid-attempt leaves a lease that runs
//! out, and another server (or the same one, restarted) tries again.

pub mod outbox;
pub mod safety;
pub mod secrets;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;

use crate::config::Config;
use crate::events::EventHub;
use crate::state::AppState;

pub use secrets::SecretBox;

/// How long one attempt may take, connection and answer together.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);
/// How often each server looks for due deliveries when nothing woke it.
const POLL: Duration = Duration::from_secs(1);

/// The webhook machinery a server holds: the key for stored secrets, the HTTP client and the
/// delivery rules.
pub struct Webhooks {
    pub secrets: SecretBox,
    pub client: reqwest::Client,
    /// Waits after each failed attempt in turn; then the delivery is FAILED.
    pub retry_schedule: Vec<Duration>,
    /// Whether internal addresses may receive (`--webhook-allow-private`).
    pub allow_private: bool,
    /// Wakes the delivery loop (new events, a new delivery).
    wake: Notify,
}

impl Webhooks {
    pub fn new(config: &Config, secrets: SecretBox) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            // A proxy would resolve the receiver's name itself, past the address check.
            .no_proxy()
            .timeout(ATTEMPT_TIMEOUT)
            .connect_timeout(ATTEMPT_TIMEOUT)
            .dns_resolver(Arc::new(safety::PublicOnly { allow_private: config.webhook_allow_private }))
            .user_agent(concat!("Hindsight-Webhooks/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self {
            secrets,
            client,
            retry_schedule: config.webhook_retry_schedule.0.clone(),
            allow_private: config.webhook_allow_private,
            wake: Notify::new(),
        })
    }

    /// Asks the delivery loop to look now.
    pub fn poke(&self) {
        self.wake.notify_one();
    }
}

/// Feeds and delivers for as long as the server runs: at once when an event is logged, and
/// every second for retries that fall due.
pub fn spawn(state: AppState, hub: Arc<EventHub>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut events = hub.listen();
        loop {
            if let Err(error) = outbox::run_once(&state).await {
                tracing::warn!(%error, "webhook delivery round failed; retrying shortly");
            }
            tokio::select! {
                received = events.recv() => {
                    if let Err(tokio::sync::broadcast::error::RecvError::Closed) = received {
                        tokio::time::sleep(POLL).await;
                    }
                }
                () = state.webhooks.wake.notified() => {}
                () = tokio::time::sleep(POLL) => {}
            }
        }
    })
}

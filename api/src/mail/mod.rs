//! Email: invitations, password resets, address confirmations, deadline nudges and the weekly
//! learning digest.
//!
//! Nothing is sent from a request. A request that has something to say writes it to the outbox
//! (`mail_message`) in its own transaction; every server runs the same loop, which turns deadline
//! events into nudges (`nudges`), makes the week's digests (`digest`), and claims due messages
//! for a lease, sends them over SMTP and records the outcome (`outbox`). Claims are conditional
//! updates, so with several servers each message is sent by one; a failed SMTP server delays
//! messages (retried on `--mail-retry-schedule`) and loses none.

pub mod digest;
pub mod nudges;
pub mod outbox;
pub mod templates;
pub mod unsubscribe;

use std::time::Duration;

use anyhow::Context as _;
use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, Tokio1Executor};
use tokio::sync::Notify;
use url::Url;

use crate::config::Config;
use crate::state::AppState;
use crate::webhooks::SecretBox;

pub use outbox::Outgoing;
pub use templates::Templates;

/// How long one SMTP conversation may take.
const SEND_TIMEOUT: Duration = Duration::from_secs(20);
/// How often each server looks for due messages when nothing woke it.
const POLL: Duration = Duration::from_secs(2);

/// The mail machinery a server holds.
pub struct Mailer {
    transport: Option<AsyncSmtpTransport<Tokio1Executor>>,
    pub from: Mailbox,
    public_url: Option<Url>,
    api_url: Option<Url>,
    /// Waits after each failed attempt in turn; then the message is given up.
    pub retry_schedule: Vec<Duration>,
    pub templates: Templates,
    pub secrets: SecretBox,
    wake: Notify,
}

impl Mailer {
    pub fn new(config: &Config, secrets: SecretBox) -> anyhow::Result<Self> {
        let from: Mailbox = config.mail_from.parse().context("--mail-from is not an address")?;
        let transport = match &config.smtp_url {
            None => None,
            Some(url) => {
                anyhow::ensure!(
                    config.public_url.is_some(),
                    "--smtp-url needs --public-url: the links in emails point to the front-end"
                );
                Some(transport(url)?)
            }
        };
        let api_url = config.public_api_url.clone().or_else(|| config.public_url.clone());
        Ok(Self {
            transport,
            from,
            public_url: config.public_url.clone(),
            api_url,
            retry_schedule: config.mail_retry_schedule.0.clone(),
            templates: Templates::new(),
            secrets,
            wake: Notify::new(),
        })
    }

    /// Whether this server sends email (`--smtp-url`).
    pub fn enabled(&self) -> bool {
        self.transport.is_some()
    }

    pub(crate) fn transport(&self) -> Option<&AsyncSmtpTransport<Tokio1Executor>> {
        self.transport.as_ref()
    }

    /// A link into the front-end: `{public}/{path}` with `query`; none without `--public-url`.
    pub fn link(&self, path: &str, query: &[(&str, &str)]) -> Option<String> {
        join(self.public_url.as_ref()?, path, query)
    }

    /// A link to this API (`{api}/{path}`), for what the API itself answers (unsubscribing).
    pub fn api_link(&self, path: &str, query: &[(&str, &str)]) -> Option<String> {
        join(self.api_url.as_ref()?, path, query)
    }

    /// Asks the loop to look now (a message was queued).
    pub fn poke(&self) {
        self.wake.notify_one();
    }
}

fn join(base: &Url, path: &str, query: &[(&str, &str)]) -> Option<String> {
    let mut url = base.clone();
    let joined = format!("{}/{}", url.path().trim_end_matches('/'), path.trim_start_matches('/'));
    url.set_path(&joined);
    url.set_query(None);
    if !query.is_empty() {
        url.query_pairs_mut().extend_pairs(query);
    }
    Some(url.into())
}

/// A day as emails write it: `Wed 2 Dec 2026`.
pub(crate) fn day(date: chrono::NaiveDate) -> String {
    date.format("%a %-d %b %Y").to_string()
}

/// A moment as emails write it: `Wed 2 Dec 2026, 14:05 UTC`.
pub(crate) fn moment(at: chrono::DateTime<chrono::Utc>) -> String {
    at.format("%a %-d %b %Y, %H:%M UTC").to_string()
}

/// The SMTP transport of a URL. `smtp://` upgrades to TLS when the server offers STARTTLS
/// (unless the URL says `tls=…` itself); `smtps://` speaks TLS from the start.
fn transport(url: &str) -> anyhow::Result<AsyncSmtpTransport<Tokio1Executor>> {
    let mut parsed = Url::parse(url).context("--smtp-url is not a URL")?;
    anyhow::ensure!(matches!(parsed.scheme(), "smtp" | "smtps"), "--smtp-url must start with smtp:// or smtps://");
    if parsed.scheme() == "smtp" && !parsed.query_pairs().any(|(key, _)| key == "tls") {
        parsed.query_pairs_mut().append_pair("tls", "opportunistic");
    }
    let builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(parsed.as_str()).context("--smtp-url")?;
    Ok(builder.timeout(Some(SEND_TIMEOUT)).build())
}

/// Makes and sends mail for as long as the server runs: at once when something is queued or a
/// deadline event is logged, and every few seconds for retries and digests that fall due.
pub fn spawn(state: AppState) -> Option<tokio::task::JoinHandle<()>> {
    if !state.mailer.enabled() {
        return None;
    }
    Some(tokio::spawn(async move {
        let mut events = state.hub.listen();
        loop {
            if let Err(error) = outbox::run_once(&state).await {
                tracing::warn!(%error, "mail round failed; retrying shortly");
            }
            // Until something to send may be waiting: a deadline event (the others concern
            // no email), a queued message, or the poll for retries falling due, whichever
            // comes first (however many other events arrive meanwhile).
            let poll = tokio::time::sleep(POLL);
            tokio::pin!(poll);
            loop {
                tokio::select! {
                    received = events.recv() => match received {
                        Ok(event) if !nudges::KINDS.contains(&event.row.kind) => continue,
                        Err(tokio::sync::broadcast::error::RecvError::Closed) => (&mut poll).await,
                        _ => {}
                    },
                    () = state.mailer.wake.notified() => {}
                    () = &mut poll => {}
                }
                break;
            }
        }
    }))
}

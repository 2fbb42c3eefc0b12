//! The application state every request and background task reaches: the database, the auth
//! service, the configuration, the event hub and the clock.

use std::sync::Arc;

use anyhow::Context as _;
use sea_orm::DatabaseConnection;

use crate::auth::{AuthService, JwtKeys, Passwords, RequestAuth};
use crate::clock::Clock;
use crate::config::Config;
use crate::db;
use crate::events::EventHub;
use crate::mail::Mailer;
use crate::webhooks::{SecretBox, Webhooks};

/// What every request can reach: the database, the auth service, the configuration and the
/// hub that delivers events to subscribers.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub auth: Arc<AuthService>,
    pub config: Arc<Config>,
    pub hub: Arc<EventHub>,
    /// The product's time (see `clock`): tests and the demo move it.
    pub clock: Clock,
    pub webhooks: Arc<Webhooks>,
    pub mailer: Arc<Mailer>,
}

impl AppState {
    /// Connects to the configured database and migrates it.
    pub async fn connect(config: Config) -> anyhow::Result<Self> {
        let cannot_open = || format!("cannot open the database at {}", redact(&config.database_url));
        // Migrations may take longer than a request is allowed to: they get a connection of their own.
        let migrator = db::connect(&config.database_url, 1, None).await.with_context(cannot_open)?;
        db::migrate(&migrator).await.context("cannot apply database migrations")?;
        migrator.close().await.ok();
        let db = db::connect(&config.database_url, config.db_pool_size, Some(config.statement_timeout))
            .await
            .with_context(cannot_open)?;
        Self::new(db, config).await
    }

    /// Builds the state on a migrated database and starts its event hub.
    pub async fn new(db: DatabaseConnection, config: Config) -> anyhow::Result<Self> {
        let secret = match &config.jwt_secret {
            Some(secret) if secret.len() < 32 => anyhow::bail!("the JWT secret must be at least 32 bytes long"),
            Some(secret) => secret.as_bytes().to_vec(),
            None => {
                tracing::warn!(
                    "no JWT secret configured (--jwt-secret / HINDSIGHT_JWT_SECRET): using a random one; \
                     every session ends when the server restarts"
                );
                crate::auth::secret::generate("").into_bytes()
            }
        };
        let clock = Clock::system();
        let auth = AuthService {
            jwt: JwtKeys::new(&secret),
            passwords: Passwords::new(config.max_concurrent_hashes),
            access_ttl: config.access_token_ttl,
            refresh_ttl: config.refresh_token_ttl,
            invitation_ttl: config.invitation_ttl,
            limits: config.auth_limits(),
            clock: clock.clone(),
            refresh_key: secret.clone(),
        };
        let hub = EventHub::start(db.clone(), &config).await.context("cannot start the event hub")?;
        let secrets = SecretBox::from_config(config.encryption_key.as_deref(), &config.encryption_key_file)?;
        let webhooks = Arc::new(Webhooks::new(&config, secrets.clone()).context("cannot set up webhook delivery")?);
        let mailer = Arc::new(Mailer::new(&config, secrets).context("cannot set up email")?);
        Ok(Self { db, auth: Arc::new(auth), config: Arc::new(config), hub, clock, webhooks, mailer })
    }

    pub async fn authenticate(&self, authorization: Option<&str>) -> RequestAuth {
        self.auth.authenticate(&self.db, authorization).await
    }
}

/// Hides the password of a database URL in logs and errors.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => format!("{}://***@{}", &url[..scheme], &url[at + 1..]),
        _ => url.to_owned(),
    }
}

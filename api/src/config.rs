//! Command line and environment configuration. Nothing else in the server reads the environment.

use std::net::SocketAddr;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Hindsight: a GraphQL backend for blameless post-mortems.
#[derive(Debug, Clone, Parser)]
#[command(name = "hindsight", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub config: Config,
}

impl Cli {
    /// Parses the process's arguments and environment (exits with usage on error).
    pub fn from_env() -> Self {
        Self::parse()
    }
}

#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Serve the API (the default when no command is given).
    Serve,
    /// Apply or inspect database migrations.
    Migrate {
        #[arg(value_enum, default_value_t = MigrateAction::Up)]
        action: MigrateAction,
    },
    /// Print the GraphQL schema (SDL) to standard output.
    Schema,
    /// Fill the database with realistic organizations, teams, incidents, reviews and actions,
    /// fast, for demos and load tests. Refuses a database that already holds seeded data.
    Seed {
        /// Organizations to create: `seed1.example`, `seed2.example`, …
        #[arg(long, default_value_t = 10)]
        orgs: u32,
        /// Teams per organization.
        #[arg(long, default_value_t = 10)]
        teams: u32,
        /// Members per organization besides its admin (`user1@seed1.example`, …).
        #[arg(long, default_value_t = 50)]
        users: u32,
        /// Incidents in all, over the past two years.
        #[arg(long, default_value_t = 1_000)]
        incidents: u64,
        /// Review actions in all; a review commits to two or three, so at most three per incident.
        #[arg(long, default_value_t = 1_000)]
        actions: u64,
        /// Password of every seeded user.
        #[arg(long, default_value = SEED_PASSWORD)]
        password: String,
    },
}

/// The password `hindsight seed` gives every user it creates, unless told another.
pub const SEED_PASSWORD: &str = "hindsight-seed-password";

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MigrateAction {
    /// Apply every pending migration.
    Up,
    /// Roll back the last applied migration.
    Down,
    /// List migrations and whether each is applied.
    Status,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Pretty,
    Json,
}

/// Server configuration. Every setting is a flag with an environment fallback; the flag wins.
#[derive(Debug, Clone, Args)]
pub struct Config {
    /// Address to listen on.
    #[arg(long, env = "HINDSIGHT_BIND", default_value = "127.0.0.1:8000", global = true)]
    pub bind: SocketAddr,

    /// Database URL: `sqlite://…` (embedded default) or `postgres://…`.
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite://hindsight.db?mode=rwc", global = true)]
    pub database_url: String,

    /// Maximum number of pooled database connections.
    #[arg(long, env = "HINDSIGHT_DB_POOL_SIZE", default_value_t = 10, global = true)]
    pub db_pool_size: u32,

    /// PostgreSQL cancels any statement running longer than this.
    #[arg(long, env = "HINDSIGHT_STATEMENT_TIMEOUT", default_value = "30s", value_parser = parse_duration, global = true)]
    pub statement_timeout: Duration,

    /// Secret that signs access tokens (at least 32 bytes). Generated at start when missing,
    /// in which case sessions do not survive a restart.
    #[arg(long, env = "HINDSIGHT_JWT_SECRET", hide_env_values = true, global = true)]
    pub jwt_secret: Option<String>,

    /// Lifetime of an access token, e.g. `15m`.
    #[arg(long, env = "HINDSIGHT_ACCESS_TOKEN_TTL", default_value = "15m", value_parser = parse_duration, global = true)]
    pub access_token_ttl: Duration,

    /// Lifetime of a refresh token, e.g. `30d`.
    #[arg(long, env = "HINDSIGHT_REFRESH_TOKEN_TTL", default_value = "30d", value_parser = parse_duration, global = true)]
    pub refresh_token_ttl: Duration,

    /// Lifetime of an invitation, e.g. `7d`.
    #[arg(long, env = "HINDSIGHT_INVITATION_TTL", default_value = "7d", value_parser = parse_duration, global = true)]
    pub invitation_ttl: Duration,

    /// Serve GraphiQL at `GET /graphql`.
    #[arg(long, env = "HINDSIGHT_GRAPHIQL", default_value_t = true, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true", global = true)]
    pub graphiql: bool,

    /// Answer introspection queries.
    #[arg(long, env = "HINDSIGHT_INTROSPECTION", default_value_t = true, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true", global = true)]
    pub introspection: bool,

    /// Let anyone create a new organization with `signUp`.
    #[arg(long, env = "HINDSIGHT_ALLOW_SIGNUP", default_value_t = true, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true", global = true)]
    pub allow_signup: bool,

    /// Seed a demo organization with data on start and log its sign-in.
    #[arg(long, env = "HINDSIGHT_DEMO", default_value_t = false, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true", global = true)]
    pub demo: bool,

    /// Log output format.
    #[arg(long, env = "HINDSIGHT_LOG_FORMAT", value_enum, default_value_t = LogFormat::Pretty, global = true)]
    pub log_format: LogFormat,

    /// Comma-separated origins a browser front-end may call the API from.
    #[arg(long, env = "HINDSIGHT_CORS_ORIGINS", value_delimiter = ',', global = true)]
    pub cors_origins: Vec<String>,

    /// Comma-separated request headers those origins may send.
    #[arg(
        long,
        env = "HINDSIGHT_CORS_ALLOW_HEADERS",
        value_delimiter = ',',
        default_value = "authorization,content-type,x-request-id,apollographql-client-name,apollographql-client-version",
        global = true
    )]
    pub cors_allow_headers: Vec<String>,

    /// Cookie mode for single-page apps: sign-ins keep the refresh token in an HttpOnly,
    /// Secure, SameSite=Strict cookie on /graphql (not in the answer), `refreshSession` and
    /// `logout` read it, and the configured origins may send credentials.
    #[arg(long, env = "HINDSIGHT_SESSION_COOKIE", default_value_t = false, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true", global = true)]
    pub session_cookie: bool,

    /// How long a browser may keep a CORS preflight answer.
    #[arg(long, env = "HINDSIGHT_CORS_MAX_AGE", default_value = "10m", value_parser = parse_duration, global = true)]
    pub cors_max_age: Duration,

    /// How many argon2 password hashes may run at once (each takes ~19 MiB and a core). The
    /// default leaves one core to everything else, so a flood of sign-ins cannot starve it.
    #[arg(long, env = "HINDSIGHT_MAX_CONCURRENT_HASHES", default_value_t = default_hashes(), global = true)]
    pub max_concurrent_hashes: usize,

    /// Most operations accepted in one batched request.
    #[arg(long, env = "HINDSIGHT_MAX_BATCH", default_value_t = 10, global = true)]
    pub max_batch: usize,

    /// Deepest query accepted (introspection selections may go to 16, as the standard
    /// introspection query of GraphiQL and codegen needs).
    #[arg(long, env = "HINDSIGHT_MAX_DEPTH", default_value_t = 12, global = true)]
    pub max_depth: usize,

    /// Most complex query accepted: every field costs 1, a connection costs its fields once per
    /// item asked for (`first`, 20 when not given).
    #[arg(long, env = "HINDSIGHT_MAX_COMPLEXITY", default_value_t = 10_000, global = true)]
    pub max_complexity: usize,

    /// Largest request body accepted, in bytes.
    #[arg(long, env = "HINDSIGHT_MAX_BODY_BYTES", default_value_t = 1024 * 1024, global = true)]
    pub max_body_bytes: usize,

    /// Most aliases in one request.
    #[arg(long, env = "HINDSIGHT_MAX_ALIASES", default_value_t = 30, global = true)]
    pub max_aliases: usize,

    /// Top-level fields one user may run at once, across all their requests and sockets; more
    /// wait their turn (RATE_LIMITED after `--statement-timeout`). Keep it well below
    /// `--db-pool-size`, so that a few busy users cannot hold every connection.
    #[arg(long, env = "HINDSIGHT_MAX_CONCURRENT_PER_USER", default_value_t = 4, global = true)]
    pub max_concurrent_per_user: usize,

    /// Failed logins (or password re-entries) allowed per account within
    /// `--auth-failure-window`; more answer RATE_LIMITED, even with the right password.
    #[arg(long, env = "HINDSIGHT_AUTH_FAILURE_LIMIT", default_value_t = 10, global = true)]
    pub auth_failure_limit: u32,

    /// Failed logins, refreshes, invitation acceptances and password re-entries, and sign-ups,
    /// allowed per client address (an IPv6 /64) within `--auth-failure-window`. Higher than the
    /// per-account limit: many people may share one address behind a NAT or a proxy.
    #[arg(long, env = "HINDSIGHT_AUTH_FAILURE_ADDRESS_LIMIT", default_value_t = 100, global = true)]
    pub auth_failure_address_limit: u32,

    /// The window in which failed credential checks are counted.
    #[arg(long, env = "HINDSIGHT_AUTH_FAILURE_WINDOW", default_value = "15m", value_parser = parse_duration, global = true)]
    pub auth_failure_window: Duration,

    /// Subscriptions one WebSocket connection may hold at once.
    #[arg(long, env = "HINDSIGHT_MAX_SUBSCRIPTIONS_PER_CONNECTION", default_value_t = 25, global = true)]
    pub max_subscriptions_per_connection: usize,

    /// How many events a subscriber may fall behind before it is dropped.
    #[arg(long, env = "HINDSIGHT_SUBSCRIBER_BUFFER", default_value_t = 1024, global = true)]
    pub subscriber_buffer: usize,

    /// How often each server reads the event log for subscribers even when nothing woke it
    /// (PostgreSQL `NOTIFY` and local mutations wake it at once).
    #[arg(long, env = "HINDSIGHT_EVENT_POLL_INTERVAL", default_value = "5s", value_parser = parse_duration, global = true)]
    pub event_poll_interval: Duration,

    /// How often to look for actions that became overdue and follow-ups that fell due.
    #[arg(long, env = "HINDSIGHT_SCAN_INTERVAL", default_value = "1m", value_parser = parse_duration, global = true)]
    pub scan_interval: Duration,

    /// When a failed webhook delivery is tried again, after each failed attempt in turn; after
    /// the last, the delivery is FAILED.
    #[arg(long, env = "HINDSIGHT_WEBHOOK_RETRY_SCHEDULE", default_value = "5s,5m,30m,2h,5h,10h,10h", value_parser = parse_schedule, global = true)]
    pub webhook_retry_schedule: Schedule,

    /// Lets webhooks deliver to loopback, private, link-local and other internal addresses
    /// (self-hosted receivers, tests). Off by default: a webhook URL could otherwise reach
    /// the server's own network.
    #[arg(long, env = "HINDSIGHT_WEBHOOK_ALLOW_PRIVATE", default_value_t = false, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true", global = true)]
    pub webhook_allow_private: bool,

    /// The key that encrypts stored secrets (webhook signing secrets), at least 32 bytes; the
    /// same on every server of one database. When missing, a key is generated once into
    /// `--encryption-key-file`.
    #[arg(long, env = "HINDSIGHT_ENCRYPTION_KEY", hide_env_values = true, global = true)]
    pub encryption_key: Option<String>,

    /// Where the generated encryption key is kept when `--encryption-key` is not set (created
    /// on first start, readable by its owner only). Keep it apart from database dumps.
    #[arg(long, env = "HINDSIGHT_ENCRYPTION_KEY_FILE", default_value = "hindsight.key", global = true)]
    pub encryption_key_file: std::path::PathBuf,

    /// The SMTP server that sends email: `smtp://host:port` (STARTTLS when the server offers
    /// it; `?tls=required` insists), `smtps://user:password@host:465` (TLS from the start).
    /// Without it no email is sent: invitation and reset tokens are handed to admins to pass on,
    /// and sign-ups are usable at once.
    #[arg(long, env = "HINDSIGHT_SMTP_URL", hide_env_values = true, global = true)]
    pub smtp_url: Option<String>,

    /// The sender of every email, e.g. `Hindsight <hindsight@example.com>`.
    #[arg(long, env = "HINDSIGHT_MAIL_FROM", default_value = "Hindsight <hindsight@localhost>", global = true)]
    pub mail_from: String,

    /// The front-end's base URL, for the links in emails: `{public}/accept-invitation?token=…`,
    /// `{public}/reset-password?token=…`, `{public}/verify-email?token=…`, `{public}/reviews/{id}`.
    /// Needed with `--smtp-url`.
    #[arg(long, env = "HINDSIGHT_PUBLIC_URL", global = true)]
    pub public_url: Option<url::Url>,

    /// This API's own base URL as mail readers reach it, for one-click unsubscribe links
    /// (`{api}/unsubscribe?token=…`). Defaults to `--public-url`, for a front-end that serves
    /// the API under its own origin.
    #[arg(long, env = "HINDSIGHT_PUBLIC_API_URL", global = true)]
    pub public_api_url: Option<url::Url>,

    /// When an email that could not be sent is tried again, after each failed attempt in turn;
    /// after the last, it is given up (and logged).
    #[arg(long, env = "HINDSIGHT_MAIL_RETRY_SCHEDULE", default_value = "30s,2m,10m,30m,1h,2h,4h,8h,12h,24h", value_parser = parse_schedule, global = true)]
    pub mail_retry_schedule: Schedule,

    /// How long a resolver waits for its siblings before their lookups go to the database
    /// as one statement (per-request batching of nested fields).
    #[arg(long, env = "HINDSIGHT_BATCH_DELAY", default_value = "1ms", value_parser = parse_duration, global = true)]
    pub batch_delay: Duration,
}

/// One fewer than the cores (at least one, at most two).
fn default_hashes() -> usize {
    std::thread::available_parallelism().map_or(1, |cores| cores.get().saturating_sub(1)).clamp(1, 2)
}

/// Durations in order, e.g. `5s,5m,30m`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule(pub Vec<Duration>);

fn parse_schedule(value: &str) -> Result<Schedule, String> {
    let steps = value.split(',').map(str::trim).filter(|step| !step.is_empty()).map(parse_duration);
    let steps = steps.collect::<Result<Vec<_>, _>>()?;
    if steps.len() > 20 {
        return Err("at most 20 retries".into());
    }
    Ok(Schedule(steps))
}

fn parse_duration(value: &str) -> Result<Duration, String> {
    let duration = humantime::parse_duration(value).map_err(|e| e.to_string())?;
    if duration.is_zero() {
        return Err("must be longer than zero".into());
    }
    Ok(duration)
}

impl Config {
    /// The configuration as if started with no flags (environment variables still apply).
    /// Tests start from this and change what they need.
    pub fn defaults() -> Self {
        Cli::parse_from(["hindsight"]).config
    }

    pub fn auth_limits(&self) -> crate::auth::throttle::Limits {
        crate::auth::throttle::Limits {
            account: self.auth_failure_limit,
            address: self.auth_failure_address_limit,
            window: self.auth_failure_window,
        }
    }

    pub fn is_postgres(&self) -> bool {
        self.database_url.starts_with("postgres")
    }
}

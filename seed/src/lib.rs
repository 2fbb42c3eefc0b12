//! Data for Hindsight outside the server library: `hindsight seed` (below) and the `--demo`
//! organization (`demo`).
//!
//! `hindsight seed` fills a database with realistic organizations, people, teams, incidents,
//! reviews and actions, at scale and fast.
//!
//! The data is what the server itself would have written had people used it for two years:
//! every rule of the domain holds (times in order and in the past, facilitators who did not
//! respond, owners who are members of the responsible team, published reviews that meet the
//! readiness checklist with their follow-up dates and searchable text, versions that count the
//! changes). Nothing goes to the event log, which records real changes only; what the overdue
//! scanner would have announced by now is marked as announced.
//!
//! Everything is planned first, so that an impossible plan is refused before anything is
//! written; then one thread turns the plan into rows while the database writes earlier batches,
//! a few thousand incidents with everything they hold per transaction: multi-row INSERTs under
//! the bind-parameter limit on SQLite, COPY from two connections at once on PostgreSQL.

mod actions;
pub mod demo;
mod incidents;
mod people;
mod reviews;
mod rows;
mod words;

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use entity::{organization, tag, user};
use futures_util::future::try_join_all;
use indicatif::{ProgressBar, ProgressStyle};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use sea_orm::{ColumnTrait, DatabaseConnection, DbBackend, EntityTrait, PaginatorTrait, QueryFilter};
use tokio::sync::mpsc;
use uuid::Uuid;

use hindsight_api::auth::{Passwords, password};
use hindsight_api::clock;
use hindsight_api::config::Config;
use hindsight_api::db;
use hindsight_api::domain::policy::ReviewPolicy;
use incidents::{HISTORY, Schedule};
use people::Org;
use rows::{Rows, Writer};

pub use people::{admin_email, member_email};
pub use rows::Counts;

pub const DEFAULT_PASSWORD: &str = hindsight_api::config::SEED_PASSWORD;

/// Incidents, with everything they hold, written per transaction.
const INCIDENTS_PER_BATCH: usize = 2_000;

/// Transactions writing at once on PostgreSQL (a server process each); SQLite has one writer.
const POSTGRES_WRITERS: usize = 2;

/// What to seed. Teams and users are per organization; incidents and actions are totals,
/// spread evenly over the organizations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub orgs: u32,
    pub teams: u32,
    /// Members of each organization besides its admin.
    pub users: u32,
    pub incidents: u64,
    pub actions: u64,
    /// Everyone's password.
    pub password: String,
}

impl Default for Plan {
    fn default() -> Self {
        Self { orgs: 10, teams: 10, users: 50, incidents: 1_000, actions: 1_000, password: DEFAULT_PASSWORD.into() }
    }
}

/// Why seeding was refused.
#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error("the database already holds seeded data ({0} exists); seed an empty database, or drop this one first")]
    AlreadySeeded(String),
    #[error("{0}")]
    InvalidPlan(String),
    #[error(
        "--actions {actions} is more than the incidents can hold: seed{org} has {resolved} resolved incidents, and under \
         the review policy a review commits to at most {max_per_review} live actions, so at most {capacity} actions; \
         ask for fewer actions or for about --incidents {incidents_needed}"
    )]
    TooManyActions {
        actions: u64,
        org: u32,
        resolved: usize,
        max_per_review: i32,
        capacity: u64,
        incidents_needed: u64,
    },
}

impl Plan {
    /// Checks the sizes and the password before anything is touched.
    pub fn validate(&self) -> Result<(), SeedError> {
        let invalid = |message: String| Err(SeedError::InvalidPlan(message));
        if !(1..=10_000).contains(&self.orgs) {
            return invalid("--orgs must be between 1 and 10,000".into());
        }
        if !(1..=1_000).contains(&self.teams) {
            return invalid("--teams must be between 1 and 1,000".into());
        }
        if self.users < self.teams || self.users > 100_000 {
            return invalid("--users must be at least --teams (every team needs a member) and at most 100,000".into());
        }
        if let Err(e) = Passwords::validate_new(&self.password, "password") {
            return invalid(format!("--password: {e}"));
        }
        let max = ReviewPolicy::default().max_actions.max(1) as u64;
        if self.actions > self.incidents * max {
            return invalid(format!(
                "--actions {} is more than {} incidents can hold: a review commits to at most {max} live actions \
                 under the review policy; ask for fewer actions or for at least --incidents {}",
                self.actions,
                self.incidents,
                incidents_needed(self.actions, max, 1.0)
            ));
        }
        Ok(())
    }

    /// Incidents of organization `org` (1-based).
    pub fn incidents_of(&self, org: u32) -> u64 {
        share(self.incidents, self.orgs, org)
    }

    /// Actions of organization `org` (1-based).
    pub fn actions_of(&self, org: u32) -> u64 {
        share(self.actions, self.orgs, org)
    }
}

fn share(total: u64, parts: u32, part: u32) -> u64 {
    let parts = u64::from(parts.max(1));
    total / parts + u64::from(u64::from(part - 1) < total % parts)
}

/// About how many incidents hold `actions` when `resolved_share` of them are resolved.
fn incidents_needed(actions: u64, max_per_review: u64, resolved_share: f64) -> u64 {
    (actions as f64 / max_per_review as f64 / resolved_share.max(0.01) * 1.05).ceil() as u64
}

/// What a run wrote.
#[derive(Debug, Clone)]
pub struct Summary {
    pub organizations: u32,
    /// Rows per table.
    pub counts: Counts,
    pub elapsed: Duration,
    pub password: String,
}

impl Summary {
    pub fn rows(&self) -> u64 {
        self.counts.total()
    }

    pub fn rows_per_second(&self) -> f64 {
        self.rows() as f64 / self.elapsed.as_secs_f64().max(0.001)
    }
}

/// `1234567` as `1,234,567`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "Seeded {} organizations in {:.1} s: {} rows, {} rows/s",
            self.organizations,
            self.elapsed.as_secs_f64(),
            thousands(self.rows()),
            thousands(self.rows_per_second() as u64)
        )?;
        for (table, count) in &self.counts.0 {
            writeln!(f, "  {table:<26}{:>12}", thousands(*count))?;
        }
        write!(
            f,
            "Sign in as {} (admin) or {} (member), password: {}",
            admin_email(1),
            member_email(1, 1),
            self.password
        )
    }
}

/// `hindsight seed`: migrates the configured database, seeds it with a progress bar and prints
/// the summary.
pub async fn run_command(config: &Config, plan: Plan) -> anyhow::Result<()> {
    plan.validate()?;
    // Bulk statements may take longer than a request is allowed to: no statement timeout.
    let db = db::connect(&config.database_url, 2, None).await.context("cannot open the database")?;
    db::migrate(&db).await.context("cannot apply database migrations")?;
    let summary = run(&db, &plan, true).await?;
    println!("{summary}");
    db.close().await.ok();
    Ok(())
}

/// Seeds a migrated database; refuses one that already holds seeded organizations.
pub async fn run(db: &DatabaseConnection, plan: &Plan, progress: bool) -> anyhow::Result<Summary> {
    let started = Instant::now();
    plan.validate()?;
    ensure_not_seeded(db, plan).await?;
    let secret = plan.password.clone();
    // One argon2 hash for everyone: hashing per user would take longer than the whole seed.
    let password_hash = tokio::task::spawn_blocking(move || password::hash_blocking(&secret)).await??;
    // Bulk rows are dated back from the system's time (the rows are written directly).
    let now = clock::system_now();
    let mut blueprints = plan_orgs(plan, now, &password_hash)?;

    let backend = db.get_database_backend();
    let bar = progress_bar(plan.incidents, progress);
    // Organizations, people, teams and tags first: every batch of incidents refers to them.
    let mut counts = Counts::default();
    let mut writer = Writer::new();
    for blueprint in &mut blueprints {
        writer.write(db, std::mem::take(&mut blueprint.setup)).await.context("cannot write seeded rows")?;
    }
    counts.merge(&writer.counts);

    let writers = if backend == DbBackend::Postgres { POSTGRES_WRITERS } else { 1 };
    let (sender, batches) = mpsc::channel(2 * writers);
    let producer = tokio::task::spawn_blocking(move || produce(blueprints, now, sender));
    let batches = tokio::sync::Mutex::new(batches);
    let written = AtomicU64::new(counts.total());
    let write_batches = |_| async {
        let mut writer = Writer::new();
        loop {
            let Some(Batch { rows, incidents }) = batches.lock().await.recv().await else { break };
            let before = writer.counts.total();
            writer.write(db, rows).await.context("cannot write seeded rows")?;
            let batch = writer.counts.total() - before;
            let rows = written.fetch_add(batch, Ordering::Relaxed) + batch;
            bar.inc(incidents);
            bar.set_message(format!(
                "{} rows, {} rows/s",
                thousands(rows),
                thousands((rows as f64 / started.elapsed().as_secs_f64().max(0.001)) as u64)
            ));
        }
        anyhow::Ok(writer.counts)
    };
    for written in try_join_all((0..writers).map(write_batches)).await? {
        counts.merge(&written);
    }
    producer.await.context("the data generator stopped")?;
    bar.finish_and_clear();
    Ok(Summary { organizations: plan.orgs, counts, elapsed: started.elapsed(), password: plan.password.clone() })
}

fn progress_bar(incidents: u64, visible: bool) -> ProgressBar {
    if !visible {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(incidents);
    let style = ProgressStyle::with_template("{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} incidents, {msg}")
        .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

/// Refuses a database that already holds any of the organizations this plan would create.
async fn ensure_not_seeded(db: &DatabaseConnection, plan: &Plan) -> Result<(), anyhow::Error> {
    let admins: Vec<String> = (1..=plan.orgs).map(admin_email).collect();
    for chunk in admins.chunks(1_000) {
        let taken = user::Entity::find().filter(user::Column::Email.is_in(chunk.iter().cloned())).one(db).await?;
        if let Some(user) = taken {
            return Err(SeedError::AlreadySeeded(user.email).into());
        }
    }
    let slugs: Vec<String> = (1..=plan.orgs).map(people::org_slug).collect();
    for chunk in slugs.chunks(1_000) {
        let taken = organization::Entity::find()
            .filter(organization::Column::Slug.is_in(chunk.iter().cloned()))
            .count(db)
            .await?;
        if taken > 0 {
            return Err(SeedError::AlreadySeeded(format!("an organization with the slug {}", chunk[0])).into());
        }
    }
    Ok(())
}

/// One organization, planned: its people, teams, tags and incidents.
struct Blueprint {
    org: Org,
    /// The organization, its people, teams and tags.
    setup: Rows,
    tag_ids: Vec<Uuid>,
    schedule: Schedule,
}

fn rng_for(org: u32, stream: u64) -> SmallRng {
    SmallRng::seed_from_u64((u64::from(org) << 8) ^ stream ^ 0x5eed_5eed)
}

fn plan_orgs(plan: &Plan, now: DateTime<Utc>, password_hash: &str) -> Result<Vec<Blueprint>, SeedError> {
    let policy = ReviewPolicy::default();
    let mut blueprints = Vec::with_capacity(plan.orgs as usize);
    for number in 1..=plan.orgs {
        let mut rng = rng_for(number, 1);
        let (org, mut setup) = Org::build(number, plan.teams, plan.users, password_hash, now - HISTORY, &mut rng);
        let (incidents, actions) = (plan.incidents_of(number), plan.actions_of(number));
        let schedule = Schedule::plan(&org, incidents, actions, now, &policy, &mut rng).map_err(|over| {
            let max = policy.max_actions.max(1);
            SeedError::TooManyActions {
                actions: plan.actions,
                org: number,
                resolved: over.resolved,
                max_per_review: max,
                capacity: over.capacity,
                incidents_needed: incidents_needed(
                    plan.actions,
                    max as u64,
                    over.resolved as f64 / incidents.max(1) as f64,
                ),
            }
        })?;
        // A tag is created the first time an incident is tagged with it.
        let tag_ids = schedule
            .tags
            .iter()
            .map(|(name, first_use)| {
                let created_at = Ord::min(*first_use + TimeDelta::minutes(3), now);
                let id = id_at(&mut rng, created_at);
                setup.tags.push(tag::Model { id, organization_id: org.id, name: name.clone(), created_at });
                id
            })
            .collect();
        blueprints.push(Blueprint { org, setup, tag_ids, schedule });
    }
    Ok(blueprints)
}

/// A batch of rows and how many incidents it holds.
struct Batch {
    rows: Rows,
    incidents: u64,
}

/// What turning planned incidents into rows needs.
struct Context<'a> {
    org: &'a Org,
    now: DateTime<Utc>,
    today: NaiveDate,
    policy: &'a ReviewPolicy,
    tag_ids: &'a [Uuid],
    rng: SmallRng,
}

/// Turns every blueprint into batches of rows, ahead of the writer; stops when it goes away.
fn produce(blueprints: Vec<Blueprint>, now: DateTime<Utc>, sender: mpsc::Sender<Batch>) {
    let policy = ReviewPolicy::default();
    for Blueprint { org, setup, tag_ids, schedule } in blueprints {
        if sender.blocking_send(Batch { rows: setup, incidents: 0 }).is_err() {
            return;
        }
        let mut ctx = Context {
            org: &org,
            now,
            today: now.date_naive(),
            policy: &policy,
            tag_ids: &tag_ids,
            rng: rng_for(org.number, 2),
        };
        for chunk in schedule.incidents.chunks(INCIDENTS_PER_BATCH) {
            let mut rows = Rows::default();
            for planned in chunk {
                let written = incidents::write(&mut ctx, planned, &mut rows);
                if let Some(review) = &planned.review {
                    reviews::write(&mut ctx, planned, &written, review, &mut rows);
                }
            }
            if sender.blocking_send(Batch { rows, incidents: chunk.len() as u64 }).is_err() {
                return;
            }
        }
    }
}

/// A UUIDv7 for something created at `at`: IDs sort like creation times, as the server's do
/// (lists page newest first by ID).
fn id_at(rng: &mut SmallRng, at: DateTime<Utc>) -> Uuid {
    let mut random = [0u8; 10];
    rng.fill(&mut random);
    uuid::Builder::from_unix_timestamp_millis(at.timestamp_millis().max(0) as u64, &random).into_uuid()
}

fn pick<'a, T>(rng: &mut SmallRng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totals_are_shared_evenly() {
        let plan = Plan { orgs: 3, incidents: 10, actions: 2, ..Plan::default() };
        assert_eq!((1..=3).map(|o| plan.incidents_of(o)).collect::<Vec<_>>(), [4, 3, 3]);
        assert_eq!((1..=3).map(|o| plan.actions_of(o)).collect::<Vec<_>>(), [1, 1, 0]);
    }

    #[test]
    fn numbers_have_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }

    #[test]
    fn impossible_plans_are_refused() {
        assert!(Plan::default().validate().is_ok());
        assert!(Plan { users: 3, teams: 4, ..Plan::default() }.validate().is_err());
        assert!(Plan { password: "short".into(), ..Plan::default() }.validate().is_err());
        let too_many = Plan { incidents: 100_000, actions: 1_000_000, ..Plan::default() }.validate();
        assert!(too_many.unwrap_err().to_string().contains("--incidents 350000"));
    }
}

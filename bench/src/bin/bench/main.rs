//! Runs the benchmark: for each database, startup time, seeding, throughput and latency of four
//! queries served three ways (fixed JSON, plain axum + SQL, GraphQL), a login flood, memory and
//! subscription fan-out. Prints one Markdown table per database and writes them to `--out`.
//!
//! It builds nothing: `bench/run` builds the release binaries and installs `oha` first.

mod client;
mod fanout;
mod oha;
mod process;
mod report;
mod soak;
mod sweep;
mod writes;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use clap::{Parser, ValueEnum};
use sea_orm::{ConnectionTrait, Database};
use serde_json::{Value, json};
use tokio::process::Command;

use crate::client::{Client, Session, str_at};
use crate::oha::{Load, Measured, Oha, Target};
use crate::process::Server;
use crate::report::{DatabaseReport, QueryRow};

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Seed {
    /// `hindsight seed` with `--orgs`, `--incidents` and `--actions`.
    Generate,
    /// The small demo organization of `hindsight --demo` (a quick check of the harness).
    Demo,
}

/// Measures Hindsight on loopback and prints the results as Markdown tables.
#[derive(Debug, Parser)]
#[command(name = "bench")]
struct Args {
    /// The release `hindsight` binary (startup time, seeding).
    #[arg(long, default_value = "target/release/hindsight")]
    hindsight: PathBuf,
    /// The release `bench-server` binary (the measured server).
    #[arg(long, default_value = "target/release/bench-server")]
    server: PathBuf,
    /// The `oha` load generator.
    #[arg(long, default_value = "oha")]
    oha: PathBuf,
    /// Databases to measure, in order.
    #[arg(long, value_enum, value_delimiter = ',', default_value = "sqlite,postgres")]
    databases: Vec<Backend>,
    /// PostgreSQL server to create the benchmark database on (without a database name).
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432")]
    postgres: String,
    /// Name of the PostgreSQL database, dropped and created afresh.
    #[arg(long, default_value = "hindsight_bench")]
    postgres_database: String,
    #[arg(long, value_enum, default_value = "generate")]
    seed: Seed,
    #[arg(long, default_value_t = 10)]
    orgs: u64,
    /// Incidents in all. A review commits to at most three actions, so a million actions need
    /// about 340,000 incidents (`hindsight seed` refuses fewer).
    #[arg(long, default_value_t = 340_000)]
    incidents: u64,
    #[arg(long, default_value_t = 1_000_000)]
    actions: u64,
    /// Keep a database seeded by an earlier run with the same scale (skips startup on an empty
    /// database and seeding).
    #[arg(long)]
    reuse: bool,
    /// How long each load runs.
    #[arg(long, default_value = "10s", value_parser = humantime::parse_duration)]
    duration: Duration,
    /// Connections of the closed-loop runs.
    #[arg(long, default_value_t = 32)]
    connections: usize,
    /// The open-loop rate, as a fraction of the slower of the pair's closed-loop throughputs.
    #[arg(long, default_value_t = 0.5)]
    rate_fraction: f64,
    /// Connections flooding `login` during the login flood.
    #[arg(long, default_value_t = 16)]
    flood_connections: usize,
    /// Organizations writing at once in the write-scaling run (at most `--orgs`).
    #[arg(long, default_value_t = 20)]
    writers: u64,
    /// Connections per organization in the write-scaling runs (within the per-user limit).
    #[arg(long, default_value_t = 2)]
    writer_connections: usize,
    /// Accounts the query loads are spread over: the admins of the first seeded organizations
    /// (each as large as the others). One account may run `--max-concurrent-per-user` (4)
    /// top-level fields at once: 32 connections of one account would measure that limit.
    #[arg(long, default_value_t = 8)]
    load_users: usize,
    /// Numbers of WebSocket subscribers for the fan-out.
    #[arg(long, value_delimiter = ',', default_value = "100,1000")]
    subscribers: Vec<usize>,
    /// Changes per fan-out measure (reviews published, actions started).
    #[arg(long, default_value_t = 5)]
    publishes: usize,
    /// Where databases and server logs go.
    #[arg(long, default_value = "target/bench")]
    work_dir: PathBuf,
    /// Where the Markdown tables are written.
    #[arg(long, default_value = "target/bench/results.md")]
    out: PathBuf,
    /// Port of the servers under test.
    #[arg(long, default_value_t = 18480)]
    port: u16,
    /// Password of the seeded sign-ins.
    #[arg(long)]
    password: Option<String>,
    /// The seeded organization admin every query runs as.
    #[arg(long)]
    admin_email: Option<String>,
    /// A seeded member of the organization's first team (owns the fan-out's actions, subscribes,
    /// and floods `login`).
    #[arg(long)]
    member_email: Option<String>,
    /// Instead of the other measurements: `me`, `overdueActions(first: 50)` and the team
    /// dashboard at the fixed rates of `--soak-rates`, all at once for this long, the server's
    /// memory sampled throughout (`--soak 30m`).
    #[arg(long, value_parser = humantime::parse_duration)]
    soak: Option<Duration>,
    /// Requests per second of the soak's three loads: `me`, `overdueActions`, the dashboard.
    #[arg(long, value_delimiter = ',', default_value = "150,60,15")]
    soak_rates: Vec<u32>,
    /// How often the soak samples the server's memory.
    #[arg(long, default_value = "30s", value_parser = humantime::parse_duration)]
    soak_sample: Duration,
}

impl Args {
    fn sign_ins(&self) -> (String, String, String) {
        let (admin, member, password) = match self.seed {
            Seed::Generate => ("admin@seed1.example", "user1@seed1.example", "hindsight-seed-password"),
            Seed::Demo => ("admin@hindsight.example", "marco@hindsight.example", "hindsight-demo"),
        };
        (
            self.admin_email.clone().unwrap_or(admin.into()),
            self.member_email.clone().unwrap_or(member.into()),
            self.password.clone().unwrap_or(password.into()),
        )
    }

    fn scale(&self) -> String {
        match self.seed {
            Seed::Generate => format!(
                "{} organizations, {} incidents, {} actions",
                report::thousands(self.orgs),
                report::thousands(self.incidents),
                report::thousands(self.actions)
            ),
            Seed::Demo => "the demo organization".into(),
        }
    }
}

const ME: &str = "{ me { id email displayName role } }";
const ACTION: &str =
    "query($id: ID!) { node(id: $id) { ... on Action { id title status dueDate owner { id displayName } } } }";
const OVERDUE: &str =
    "{ overdueActions(first: 50) { edges { node { id title dueDate daysOverdue owner { id displayName } } } } }";
const DASHBOARD: &str = "query Dashboard { teams(first: 10) { edges { node { id name incidents(first: 10) { edges { node { id title severity status review { id status actions { id title status dueDate owner { id displayName } } } } } } } } } }";
/// The diagnostic endpoint: the same schema without the server's extensions.
const BARE: &str = "/diagnostic/graphql-without-extensions";
const NEWEST_LEARNING: &str = "{ learningFeed(first: 1) { edges { node { id } } } }";
const RELATED: &str =
    "query($id: ID!) { review(id: $id) { related(first: 5) { score reasons review { id title team { name } } } } }";
const THEMES: &str = "query($from: Date!, $to: Date!) { themes(from: $from, to: $to, first: 10) { kind key label count firstSeen lastSeen teams { name } reviews(first: 5) { id title } } }";
const LOGIN: &str = "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if args.soak_rates.len() != 3 {
        bail!("--soak-rates takes three rates: `me`, `overdueActions`, the dashboard");
    }
    std::fs::create_dir_all(&args.work_dir)?;
    for binary in [&args.hindsight, &args.server] {
        if !binary.exists() {
            bail!("{} is missing: build it with `cargo build --release` (bench/run does)", binary.display());
        }
    }
    let oha = Oha { binary: args.oha.clone() };
    let mut reports = Vec::new();
    for backend in args.databases.clone() {
        eprintln!("== {backend:?}");
        let report = measure_database(&args, &oha, backend).await.with_context(|| format!("{backend:?}"))?;
        let table = report.render();
        println!("{table}");
        reports.push(table);
    }
    if let Some(dir) = args.out.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&args.out, reports.join("\n"))?;
    eprintln!("written to {}", args.out.display());
    Ok(())
}

async fn measure_database(args: &Args, oha: &Oha, backend: Backend) -> anyhow::Result<DatabaseReport> {
    let (url, name) = match backend {
        Backend::Sqlite => {
            let file = std::path::absolute(args.work_dir.join("bench.db"))?;
            (format!("sqlite://{}?mode=rwc", file.display()), "SQLite")
        }
        Backend::Postgres => {
            (format!("{}/{}", args.postgres.trim_end_matches('/'), args.postgres_database), "PostgreSQL")
        }
    };
    let mut report = DatabaseReport::new(name, &args.scale(), args.duration, args.connections);
    report.database_version = database_version(args, backend).await.unwrap_or_else(|e| format!("unknown ({e})"));
    let log = |what: &str| args.work_dir.join(format!("{}-{what}.log", name.to_lowercase()));

    if !args.reuse || !exists(args, backend).await? {
        fresh_database(args, backend).await?;
        eprintln!("startup on an empty database (migrations included)");
        let server = Server::start(&args.hindsight, &url, args.port, &log("startup")).await?;
        report.startup_empty = Some(server.startup);
        server.stop().await?;
        let server = Server::start(&args.hindsight, &url, args.port, &log("startup")).await?;
        report.startup_migrated = Some(server.startup);
        server.stop().await?;
        eprintln!("seeding {}", args.scale());
        report.seed_time = Some(seed(args, &url, &log("seed")).await?);
        if backend == Backend::Postgres {
            // What autovacuum does after a bulk load: statistics (without them the planner
            // guesses) and the visibility map (without it no index-only scan).
            let db = Database::connect(&url).await?;
            let started = Instant::now();
            db.execute_raw(statement(&db, "VACUUM (ANALYZE)")).await?;
            report
                .notes
                .push(format!("`VACUUM (ANALYZE)` ran after seeding ({:.1} s)", started.elapsed().as_secs_f64()));
        }
    }

    eprintln!("starting bench-server on the seeded database");
    let server = Server::start(&args.server, &url, args.port, &log("server")).await?;
    report.startup_seeded = Some(server.startup);
    let settled = server.settle(Duration::from_secs(600)).await?;
    eprintln!("server settled after {settled:?}");
    let load_before = load_average();
    report.memory.push(("idle, before any sign-in", server.rss()?));
    let client = Client::new(&server.base);
    let (admin_email, member_email, password) = args.sign_ins();
    let admin = client.login(&admin_email, &password).await?;
    let member = client.login(&member_email, &password).await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    report.memory.push(("1 s after two sign-ins (argon2)", server.rss()?));
    // jemalloc hands pages back once they have been free for 5 s (`memory.rs`): argon2's
    // 19 MiB blocks are still resident one second after the sign-ins, gone at rest.
    tokio::time::sleep(Duration::from_secs(6)).await;
    report.memory.push(("idle, 7 s after two sign-ins", server.rss()?));

    if let Some(duration) = args.soak {
        eprintln!("soak for {duration:?}");
        let graphql = |query: &str| Target {
            url: format!("{}/graphql", server.base),
            token: Some(admin.token.clone()),
            body: Some(json!({ "query": query }).to_string()),
        };
        let rates = &args.soak_rates;
        let loads = vec![
            ("`me`", rates[0], graphql(ME)),
            ("`overdueActions(first: 50)`", rates[1], graphql(OVERDUE)),
            ("team dashboard", rates[2], graphql(DASHBOARD)),
        ];
        let soaked = soak::run(oha, &server, &client, loads, duration, args.soak_sample).await;
        server.stop().await?;
        report.soak = Some(soaked?);
        return Ok(report);
    }

    let database = (backend == Backend::Postgres).then(|| args.postgres_database.clone());
    let result = measure_requests(args, oha, &server, &client, &admin, database.clone(), &mut report).await;
    if let Err(e) = result {
        server.stop().await.ok();
        return Err(e);
    }
    report.memory.push(("right after the login flood", server.rss()?));
    report.memory.push(("peak during the login flood (VmHWM, reset before it)", server.peak_rss()?));
    tokio::time::sleep(Duration::from_secs(30)).await;
    report.memory.push(("30 s after the login flood", server.rss()?));

    let result = measure_writes(args, &server, &client, database.as_deref(), &mut report).await;
    if let Err(e) = result {
        server.stop().await.ok();
        return Err(e);
    }

    eprintln!("every list query");
    let subjects = sweep::Subjects::of(&client, &admin, &member).await;
    match subjects {
        Ok(subjects) => report.sweep = sweep::run(&client, &admin, &subjects).await,
        Err(e) => report.notes.push(format!("the sweep of list queries skipped: {e}")),
    }

    let result = measure_fanout(args, &server, &client, &admin, &member, &mut report).await;
    server.stop().await?;
    result?;
    report.notes.push(format!(
        "the machine's load average (1 min) was {load_before} when the measurements began and {} when they ended \
         (the load generator and the server share its cores)",
        load_average()
    ));
    Ok(report)
}

/// The one-minute load average of the machine.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "unknown".into())
}

/// A query of the load table, for an account whose action to read by ID is given.
struct LoadQuery {
    name: &'static str,
    query: &'static str,
    l1_path: fn(&str) -> String,
    variables: fn(&str) -> Value,
}

async fn measure_requests(
    args: &Args,
    oha: &Oha,
    server: &Server,
    client: &Client,
    admin: &Session,
    database: Option<String>,
    report: &mut DatabaseReport,
) -> anyhow::Result<()> {
    let graphql = |query: &str, variables: Value| Target {
        url: format!("{}/graphql", server.base),
        token: Some(admin.token.clone()),
        body: Some(json!({ "query": query, "variables": variables }).to_string()),
    };

    // The loads run as several accounts (the admins of the first organizations, each as large
    // as the others): one account may run only `--max-concurrent-per-user` top-level fields at
    // once, and 32 connections of one account would measure that limit, not the query.
    let mut users = vec![admin.clone()];
    if args.seed == Seed::Generate {
        let (_, _, password) = args.sign_ins();
        for org in 2..=args.orgs.min(args.load_users as u64) {
            users.push(client.login(&format!("admin@seed{org}.example"), &password).await?);
        }
    }
    report.load_users = users.len();
    let mut actions = Vec::new();
    for (n, user) in users.iter().enumerate() {
        let overdue = client.exec(Some(&user.token), OVERDUE, json!({})).await?;
        let action_id = match str_at(&overdue, &["overdueActions", "edges", "0", "node", "id"]) {
            Ok(id) => id,
            Err(_) => first_action(client, user).await?,
        };
        if n == 0 {
            let count = overdue["overdueActions"]["edges"].as_array().map_or(0, Vec::len);
            report.notes.push(format!("`overdueActions(first: 50)` answers {count} actions"));
        }
        actions.push(action_id);
    }

    let query = |name, query, l1_path, variables| LoadQuery { name, query, l1_path, variables };
    let mut queries = vec![
        query("`me`", ME, |_| "/l1/me".to_owned(), |_| json!({})),
        query("action by id", ACTION, |action| format!("/l1/action/{action}"), |action| json!({ "id": action })),
        query("`overdueActions(first: 50)`", OVERDUE, |_| "/l1/overdue-actions".to_owned(), |_| json!({})),
    ];
    let dashboard = client.raw(Some(&admin.token), DASHBOARD, json!({})).await?;
    if dashboard.get("errors").is_none() {
        queries.push(query("team dashboard (nested)", DASHBOARD, |_| "/l1/dashboard".to_owned(), |_| json!({})));
    } else {
        report.notes.push(format!("team dashboard skipped: the schema does not answer it ({})", dashboard["errors"]));
    }
    let target = |user: &Session, path: &str, body: Option<String>| Target {
        url: format!("{}{path}", server.base),
        token: Some(user.token.clone()),
        body,
    };
    let mut loads = Vec::new();
    for LoadQuery { name, query, l1_path, variables } in queries {
        let (mut l1, mut graphql, mut bare) = (Vec::new(), Vec::new(), Vec::new());
        for (user, action) in users.iter().zip(&actions) {
            let body = json!({ "query": query, "variables": variables(action) }).to_string();
            l1.push(target(user, &l1_path(action), None));
            graphql.push(target(user, "/graphql", Some(body.clone())));
            bare.push(target(user, BARE, Some(body)));
        }
        // The baselines must answer what GraphQL answers, or the comparison means nothing.
        for ((l1, graphql), bare) in l1.iter().zip(&graphql).zip(&bare) {
            same_answers(client, name, l1, graphql, "/graphql").await?;
            same_answers(client, name, l1, bare, BARE).await?;
        }
        loads.push((name, l1, graphql, bare));
    }

    let closed = Load::Closed { connections: args.connections };
    let database = database.as_deref();
    let l0 = [Target { url: format!("{}/l0", server.base), token: None, body: None }];
    eprintln!("L0");
    let l0_closed = costed(oha, server, database, &l0, closed, args.duration).await?;
    let l0_open = oha.run_all(&l0, open(args, l0_closed.requests_per_sec), args.duration).await?;
    report.l0 = Some((l0_closed, l0_open));

    for (name, l1, graphql, bare) in loads {
        eprintln!("{name}");
        let errors_before = graphql_errors(client).await?;
        let l1_closed = costed(oha, server, database, &l1, closed, args.duration).await?;
        let graphql_closed = costed(oha, server, database, &graphql, closed, args.duration).await?;
        let bare_closed = costed(oha, server, database, &bare, closed, args.duration).await?;
        let load = open(args, l1_closed.requests_per_sec.min(graphql_closed.requests_per_sec));
        let l1_open = oha.run_all(&l1, load, args.duration).await?;
        let graphql_open = oha.run_all(&graphql, load, args.duration).await?;
        let graphql_errors = graphql_errors(client).await? - errors_before;
        report.queries.push(QueryRow {
            name: name.to_owned(),
            l1_closed,
            graphql_closed,
            bare_closed,
            rate: rate_of(load),
            l1_open,
            graphql_open,
            graphql_errors,
        });
    }

    report.memory.push(("after the query loads", server.rss()?));

    // Learning across teams: the newest published review's related reviews, and a year's themes.
    let newest = client.exec(Some(&admin.token), NEWEST_LEARNING, json!({})).await?;
    match str_at(&newest, &["learningFeed", "edges", "0", "node", "id"]) {
        Ok(review) => {
            let today = chrono::Utc::now().date_naive();
            let year = json!({ "from": (today - chrono::TimeDelta::days(365)).to_string(), "to": today.to_string() });
            let learning = [
                ("`Review.related(first: 5)`, the newest published review", RELATED, json!({ "id": review })),
                ("`themes(first: 10)` over a year", THEMES, year),
            ];
            for (name, query, variables) in learning {
                eprintln!("{name}");
                let answer = client.raw(Some(&admin.token), query, variables.clone()).await?;
                anyhow::ensure!(answer.get("errors").is_none(), "{name} answered errors: {answer}");
                let load = Load::Closed { connections: report::LEARNING_CONNECTIONS };
                let target = [graphql(query, variables)];
                let measured = costed(oha, server, database, &target, load, args.duration).await?;
                report.learning.push((name.to_owned(), measured));
            }
        }
        Err(_) => report.notes.push("related reviews and themes skipped: no published review".into()),
    }

    // A login flood: `me` at a fixed rate, alone and while clients sign in as fast as they can
    // (argon2, at most `--max-concurrent-hashes` at once).
    eprintln!("login flood");
    let me = graphql(ME, json!({}));
    let me_rate = report.queries.first().map_or(100, |row| row.rate);
    let load = Load::Open { rate: me_rate, connections: args.connections };
    let alone = oha.run(&me, load, args.duration).await?;
    let (_, _, password) = args.sign_ins();
    let login = Target {
        url: format!("{}/graphql", server.base),
        token: None,
        body: Some(json!({ "query": LOGIN, "variables": { "e": member_email(args), "p": password } }).to_string()),
    };
    let flood_load = Load::Closed { connections: args.flood_connections };
    server.reset_peak_rss()?;
    let flood_time = args.duration + Duration::from_secs(2);
    let flood = {
        let login = login.clone();
        let oha = Oha { binary: oha.binary.clone() };
        tokio::spawn(async move { oha.run(&login, flood_load, flood_time).await })
    };
    tokio::time::sleep(Duration::from_secs(1)).await;
    let during = oha.run(&me, load, args.duration).await?;
    let flood = flood.await??;
    report.login_flood = Some(report::LoginFlood { rate: me_rate, alone, during, logins: flood });
    Ok(())
}

/// Write scaling: one organization's admin declaring incidents alone, then the admins of up to
/// `--writers` seeded organizations at once, each with `--writer-connections` connections.
async fn measure_writes(
    args: &Args,
    server: &Server,
    client: &Client,
    database: Option<&str>,
    report: &mut DatabaseReport,
) -> anyhow::Result<()> {
    if args.seed != Seed::Generate || args.orgs < 2 {
        report.notes.push("write scaling skipped: it needs several seeded organizations".into());
        return Ok(());
    }
    eprintln!("write scaling");
    let (_, _, password) = args.sign_ins();
    let mut writers = Vec::new();
    for org in 1..=args.orgs.min(args.writers) {
        let session = client.login(&format!("admin@seed{org}.example"), &password).await?;
        writers.push(writes::Writer::of(client, session).await?);
    }
    let alone = writes::run(client, server, database, &writers[..1], args.writer_connections, args.duration).await?;
    let together = writes::run(client, server, database, &writers, args.writer_connections, args.duration).await?;
    report.writes = Some(writes::WriteScaling { alone, together });
    Ok(())
}

fn member_email(args: &Args) -> String {
    args.sign_ins().1
}

async fn measure_fanout(
    args: &Args,
    server: &Server,
    client: &Client,
    admin: &Session,
    member: &Session,
    report: &mut DatabaseReport,
) -> anyhow::Result<()> {
    let me = client.exec(Some(&member.token), "{ me { teams { role team { id } } } }", json!({})).await?;
    let team_id = me["me"]["teams"]
        .as_array()
        .and_then(|teams| teams.iter().find(|m| m["role"] == "MEMBER" || m["role"] == "LEAD"))
        .and_then(|m| m["team"]["id"].as_str())
        .context("the member belongs to no team as a member or lead")?
        .to_owned();
    // Each size to `learningPublished`; the largest to the `events` log too, then to
    // `actionChanged`, starting actions of the reviews published before.
    let largest = args.subscribers.iter().copied().max().unwrap_or(0);
    let runs: Vec<(&'static str, usize)> = args
        .subscribers
        .iter()
        .map(|&count| (fanout::LEARNING, count))
        .chain((largest > 0).then_some((fanout::EVENTS, largest)))
        .collect();
    eprintln!("preparing {} reviews to publish", args.publishes * runs.len());
    let mut n = 0;
    let mut published = Vec::new();
    for (subscription, count) in runs {
        let mut reviews = Vec::new();
        for _ in 0..args.publishes {
            n += 1;
            reviews.push(fanout::ready_review(client, admin, member, &team_id, n).await?);
        }
        eprintln!("fan-out to {count} subscribers ({subscription})");
        let triggers: Vec<_> = reviews.iter().cloned().map(fanout::Trigger::Publish).collect();
        let measured = fanout::measure(server, client, &member.token, admin, subscription, count, &triggers).await?;
        report.fanouts.push(measured);
        published.extend(reviews);
    }
    if largest > 0 {
        let mut starts = Vec::new();
        for review in &published {
            for action in fanout::actions_of(client, member, review).await? {
                if starts.len() < args.publishes {
                    starts.push(fanout::Trigger::Start(action));
                }
            }
        }
        eprintln!("fan-out to {largest} subscribers (actionChanged)");
        let measured =
            fanout::measure(server, client, &member.token, member, fanout::ACTIONS, largest, &starts).await?;
        report.fanouts.push(measured);
    }
    Ok(())
}

/// A load run, with the CPU time the server (and the PostgreSQL backends serving `database`)
/// spent per answered request.
async fn costed(
    oha: &Oha,
    server: &Server,
    database: Option<&str>,
    targets: &[Target],
    load: Load,
    duration: Duration,
) -> anyhow::Result<Measured> {
    let server_before = server.cpu_time()?;
    let database_before = database.map(process::backends_cpu_time);
    let mut measured = oha.run_all(targets, load, duration).await?;
    let answers = u32::try_from(measured.answers.max(1)).unwrap_or(u32::MAX);
    measured.server_cpu = Some(server.cpu_time()?.saturating_sub(server_before) / answers);
    if let (Some(database), Some(before)) = (database, database_before) {
        measured.database_cpu = Some(process::backends_cpu_time(database).saturating_sub(before) / answers);
    }
    Ok(measured)
}

fn open(args: &Args, closed_rps: f64) -> Load {
    Load::Open { rate: ((closed_rps * args.rate_fraction).round() as u32).max(1), connections: args.connections }
}

fn rate_of(load: Load) -> u32 {
    match load {
        Load::Open { rate, .. } => rate,
        Load::Closed { .. } => 0,
    }
}

async fn first_action(client: &Client, admin: &Session) -> anyhow::Result<String> {
    let data = client.exec(Some(&admin.token), "{ actions(first: 1) { edges { node { id } } } }", json!({})).await?;
    str_at(&data, &["actions", "edges", "0", "node", "id"]).context("the seeded organization has no action")
}

/// Checks that a baseline answers exactly what a GraphQL endpoint (at `path`) answers.
async fn same_answers(client: &Client, name: &str, l1: &Target, graphql: &Target, path: &str) -> anyhow::Result<()> {
    let token = l1.token.as_deref().unwrap_or_default();
    let l1_path = l1.url.strip_prefix(&client.base).unwrap_or(&l1.url);
    let baseline = client.get(token, l1_path).await?;
    let body: Value = serde_json::from_str(graphql.body.as_deref().unwrap_or("{}"))?;
    let query = body["query"].as_str().unwrap_or_default();
    let answer = client.raw_at(path, Some(token), query, body["variables"].clone()).await?;
    if answer.get("errors").is_some() {
        bail!("{name}: GraphQL answers errors: {answer}");
    }
    if baseline != answer {
        bail!("{name}: the baseline answers differently from GraphQL:\nL1:      {baseline}\nGraphQL: {answer}");
    }
    Ok(())
}

/// GraphQL errors the server has counted so far.
async fn graphql_errors(client: &Client) -> anyhow::Result<f64> {
    let metrics = client.metrics().await?;
    Ok(metrics
        .lines()
        .filter(|line| line.starts_with("hindsight_graphql_errors_total"))
        .filter_map(|line| line.rsplit_once(' ').and_then(|(_, value)| value.parse::<f64>().ok()))
        .sum())
}

async fn database_version(args: &Args, backend: Backend) -> anyhow::Result<String> {
    match backend {
        Backend::Sqlite => {
            let db = Database::connect("sqlite::memory:").await?;
            let row = db.query_one_raw(statement(&db, "SELECT sqlite_version()")).await?.context("no row")?;
            Ok(format!("SQLite {}", row.try_get_by_index::<String>(0)?))
        }
        Backend::Postgres => {
            let db = Database::connect(format!("{}/postgres", args.postgres.trim_end_matches('/'))).await?;
            let row = db.query_one_raw(statement(&db, "SHOW server_version")).await?.context("no row")?;
            Ok(format!("PostgreSQL {}", row.try_get_by_index::<String>(0)?))
        }
    }
}

fn statement(db: &sea_orm::DatabaseConnection, sql: &str) -> sea_orm::Statement {
    sea_orm::Statement::from_string(db.get_database_backend(), sql)
}

async fn exists(args: &Args, backend: Backend) -> anyhow::Result<bool> {
    match backend {
        Backend::Sqlite => Ok(args.work_dir.join("bench.db").exists()),
        Backend::Postgres => {
            let db = Database::connect(format!("{}/postgres", args.postgres.trim_end_matches('/'))).await?;
            let sql = format!("SELECT 1 FROM pg_database WHERE datname = '{}'", args.postgres_database);
            Ok(db.query_one_raw(statement(&db, &sql)).await?.is_some())
        }
    }
}

async fn fresh_database(args: &Args, backend: Backend) -> anyhow::Result<()> {
    match backend {
        Backend::Sqlite => {
            for suffix in ["", "-wal", "-shm"] {
                let file = args.work_dir.join(format!("bench.db{suffix}"));
                if file.exists() {
                    std::fs::remove_file(file)?;
                }
            }
        }
        Backend::Postgres => {
            let name = &args.postgres_database;
            if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                bail!("--postgres-database must be letters, digits and underscores");
            }
            let db = Database::connect(format!("{}/postgres", args.postgres.trim_end_matches('/'))).await?;
            db.execute_raw(statement(&db, &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))).await?;
            db.execute_raw(statement(&db, &format!("CREATE DATABASE {name}"))).await?;
        }
    }
    Ok(())
}

async fn seed(args: &Args, url: &str, log: &std::path::Path) -> anyhow::Result<Duration> {
    match args.seed {
        Seed::Generate => {
            process::run(
                Command::new(&args.hindsight)
                    .arg("seed")
                    .args(["--database-url", url])
                    .args(["--orgs", &args.orgs.to_string()])
                    .args(["--incidents", &args.incidents.to_string()])
                    .args(["--actions", &args.actions.to_string()])
                    .env("RUST_LOG", "warn"),
            )
            .await
        }
        Seed::Demo => {
            let started = Instant::now();
            let server = Server::start_with(&args.hindsight, url, args.port, log, &["--demo"]).await?;
            server.stop().await?;
            Ok(started.elapsed())
        }
    }
}

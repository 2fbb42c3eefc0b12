//! Write scaling: mutations per second of one organization writing alone, then of several
//! organizations writing at once, each with the same number of connections. Each organization's
//! writers queue on its own write lock; other organizations' do not wait for it.

use std::time::{Duration, Instant};

use chrono::{TimeDelta, Utc};
use serde_json::json;

use crate::client::{Client, Session, str_at};
use crate::process::{self, Server};
use crate::report::percentile;

const DECLARE: &str = "mutation($i: DeclareIncidentInput!) { declareIncident(input: $i) { id } }";
const FIRST_TEAM: &str = "{ teams(first: 1) { nodes { id } } }";

/// Someone who may declare incidents for a team of their organization.
pub struct Writer {
    pub session: Session,
    pub team_id: String,
}

impl Writer {
    pub async fn of(client: &Client, session: Session) -> anyhow::Result<Self> {
        let teams = client.exec(Some(&session.token), FIRST_TEAM, json!({})).await?;
        let team_id = str_at(&teams, &["teams", "nodes", "0", "id"])?;
        Ok(Self { session, team_id })
    }
}

/// One closed-loop run's outcome.
#[derive(Debug, Clone, Default)]
pub struct Writes {
    pub organizations: usize,
    pub connections: usize,
    pub succeeded: u64,
    pub failed: u64,
    pub per_sec: f64,
    pub p50: Duration,
    pub p99: Duration,
    /// CPU per successful mutation: the server's, and that of the PostgreSQL backends serving
    /// the benchmark database.
    pub server_cpu: Duration,
    pub database_cpu: Option<Duration>,
    /// The share of the machine's cores the server and those backends kept busy.
    pub busy: f64,
}

pub struct WriteScaling {
    pub alone: Writes,
    pub together: Writes,
}

impl WriteScaling {
    pub fn ratio(&self) -> f64 {
        self.together.per_sec / self.alone.per_sec
    }
}

/// `declareIncident` in a closed loop for `duration`: `per_writer` connections for each writer,
/// every one of them at once.
pub async fn run(
    client: &Client,
    server: &Server,
    database: Option<&str>,
    writers: &[Writer],
    per_writer: usize,
    duration: Duration,
) -> anyhow::Result<Writes> {
    let server_before = server.cpu_time()?;
    let database_before = database.map(process::backends_cpu_time);
    let started = Instant::now();
    let deadline = started + duration;
    let loops = writers.iter().flat_map(|writer| (0..per_writer).map(move |_| writer)).map(|writer| {
        let client = client.clone();
        let (token, team_id) = (writer.session.token.clone(), writer.team_id.clone());
        async move {
            let mut latencies = Vec::new();
            let mut failed = 0u64;
            let mut n = 0u64;
            while Instant::now() < deadline {
                n += 1;
                let at = (Utc::now() - TimeDelta::minutes(30)).to_rfc3339();
                let input = json!({ "teamId": team_id, "title": format!("Write scaling {n}"), "severity": "SEV3", "startedAt": at });
                let sent = Instant::now();
                match client.raw(Some(&token), DECLARE, json!({ "i": input })).await {
                    Ok(answer) if answer.get("errors").is_none() => latencies.push(sent.elapsed()),
                    _ => failed += 1,
                }
            }
            (latencies, failed)
        }
    });
    let results = futures_util::future::join_all(loops).await;
    let elapsed = started.elapsed();
    let server_cpu = server.cpu_time()?.saturating_sub(server_before);
    let database_cpu =
        database.zip(database_before).map(|(db, before)| process::backends_cpu_time(db).saturating_sub(before));
    let mut latencies: Vec<Duration> = results.iter().flat_map(|(l, _)| l.iter().copied()).collect();
    latencies.sort();
    let cores = std::thread::available_parallelism().map_or(1, usize::from) as f64;
    let per_mutation = |cpu: Duration| cpu / u32::try_from(latencies.len().max(1)).unwrap_or(u32::MAX);
    Ok(Writes {
        server_cpu: per_mutation(server_cpu),
        database_cpu: database_cpu.map(per_mutation),
        busy: (server_cpu + database_cpu.unwrap_or_default()).as_secs_f64() / (elapsed.as_secs_f64() * cores),
        organizations: writers.len(),
        connections: writers.len() * per_writer,
        succeeded: latencies.len() as u64,
        failed: results.iter().map(|(_, f)| f).sum(),
        per_sec: latencies.len() as f64 / elapsed.as_secs_f64(),
        p50: percentile(&latencies, 0.50),
        p99: percentile(&latencies, 0.99),
    })
}

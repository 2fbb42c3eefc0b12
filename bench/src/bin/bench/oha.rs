//! Load from `oha`: closed loop (as fast as N connections go) or open loop (a fixed rate, latency
//! measured from when each request was due, which corrects for coordinated omission).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context as _, bail};
use serde::Deserialize;
use tokio::process::Command;

/// What to request.
#[derive(Clone, Debug)]
pub struct Target {
    pub url: String,
    pub token: Option<String>,
    /// A JSON body to POST; none means GET.
    pub body: Option<String>,
}

#[derive(Clone, Copy, Debug)]
pub enum Load {
    /// `connections` clients, each sending its next request when the last one is answered.
    Closed { connections: usize },
    /// `rate` requests per second, whatever the answers take.
    Open { rate: u32, connections: usize },
}

/// What one load run measured.
#[derive(Clone, Debug, Default)]
pub struct Measured {
    pub requests_per_sec: f64,
    pub p50: Duration,
    pub p99: Duration,
    /// Answers that were not 200, and requests that failed outright.
    pub failures: u64,
    pub answers: u64,
    /// CPU time the server spent per answered request.
    pub server_cpu: Option<Duration>,
    /// CPU time the PostgreSQL backends spent per answered request.
    pub database_cpu: Option<Duration>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Report {
    summary: Summary,
    latency_percentiles: BTreeMap<String, Option<f64>>,
    #[serde(default)]
    status_code_distribution: BTreeMap<String, u64>,
    #[serde(default)]
    error_distribution: BTreeMap<String, u64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Summary {
    requests_per_sec: f64,
}

pub struct Oha {
    pub binary: PathBuf,
}

impl Load {
    /// This load's share for one of `parts` clients run side by side.
    fn share(self, parts: usize, part: usize) -> Self {
        let split = |total: usize| total / parts + usize::from(part < total % parts);
        match self {
            Load::Closed { connections } => Load::Closed { connections: split(connections).max(1) },
            Load::Open { rate, connections } => Load::Open {
                rate: u32::try_from(split(rate as usize)).unwrap_or(u32::MAX).max(1),
                connections: split(connections).max(1),
            },
        }
    }
}

impl Oha {
    /// `load` spread evenly over `targets` (one `oha` each, side by side): requests, answers
    /// and failures add up; the percentiles are the slowest target's.
    pub async fn run_all(&self, targets: &[Target], load: Load, duration: Duration) -> anyhow::Result<Measured> {
        let runs = targets
            .iter()
            .enumerate()
            .map(|(part, target)| self.run(target, load.share(targets.len(), part), duration));
        let runs = futures_util::future::try_join_all(runs).await?;
        Ok(runs.into_iter().fold(Measured::default(), |all, run| Measured {
            requests_per_sec: all.requests_per_sec + run.requests_per_sec,
            p50: all.p50.max(run.p50),
            p99: all.p99.max(run.p99),
            failures: all.failures + run.failures,
            answers: all.answers + run.answers,
            server_cpu: None,
            database_cpu: None,
        }))
    }

    pub async fn run(&self, target: &Target, load: Load, duration: Duration) -> anyhow::Result<Measured> {
        let mut command = Command::new(&self.binary);
        command.args(["--no-tui", "--output-format", "json", "-z", &format!("{}ms", duration.as_millis())]);
        // Requests still in flight when the time is up are waited for, not counted as errors.
        command.arg("-w");
        match load {
            Load::Closed { connections } => {
                command.args(["-c", &connections.to_string()]);
            }
            Load::Open { rate, connections } => {
                command.args(["-c", &connections.to_string(), "-q", &rate.to_string(), "--latency-correction"]);
            }
        }
        if let Some(token) = &target.token {
            command.args(["-H", &format!("Authorization: Bearer {token}")]);
        }
        if let Some(body) = &target.body {
            command.args(["-m", "POST", "-T", "application/json", "-d", body]);
        }
        command.arg(&target.url);
        let output = command
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .output()
            .await
            .with_context(|| format!("cannot run {}", self.binary.display()))?;
        if !output.status.success() {
            bail!("oha failed ({}): {}", output.status, String::from_utf8_lossy(&output.stderr));
        }
        let report: Report = serde_json::from_slice(&output.stdout)
            .with_context(|| format!("unexpected oha output: {}", String::from_utf8_lossy(&output.stdout)))?;
        let percentile = |key: &str| {
            report.latency_percentiles.get(key).copied().flatten().map(Duration::from_secs_f64).unwrap_or_default()
        };
        let ok = report.status_code_distribution.get("200").copied().unwrap_or(0);
        let answered: u64 = report.status_code_distribution.values().sum();
        let errors: u64 = report.error_distribution.values().sum();
        Ok(Measured {
            requests_per_sec: report.summary.requests_per_sec,
            p50: percentile("p50"),
            p99: percentile("p99"),
            failures: answered - ok + errors,
            answers: answered,
            server_cpu: None,
            database_cpu: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::Load;

    fn parts(load: Load, parts: usize) -> Vec<(u32, usize)> {
        (0..parts)
            .map(|part| match load.share(parts, part) {
                Load::Closed { connections } => (0, connections),
                Load::Open { rate, connections } => (rate, connections),
            })
            .collect()
    }

    #[test]
    fn a_load_spread_over_clients_adds_up_to_itself() {
        assert_eq!(parts(Load::Closed { connections: 32 }, 8), vec![(0, 4); 8]);
        let open = parts(Load::Open { rate: 1_101, connections: 32 }, 8);
        assert_eq!(open.iter().map(|(rate, _)| rate).sum::<u32>(), 1_101);
        assert_eq!(open.iter().map(|(_, connections)| connections).sum::<usize>(), 32);
        assert_eq!(open[0], (138, 4));
        assert_eq!(open[7], (137, 4));
        // Every client keeps at least one connection and one request a second.
        assert_eq!(parts(Load::Open { rate: 3, connections: 2 }, 4), vec![(1, 1); 4]);
    }
}

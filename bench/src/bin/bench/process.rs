//! Servers under test: spawned, timed until ready, observed through `/proc`, stopped with SIGTERM.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use tokio::process::{Child, Command};

/// A JWT secret shared by every server of a run (tokens survive a restart).
pub const JWT_SECRET: &str = "hindsight-benchmark-secret-0123456789abcdef";

/// Resident memory, in bytes: all of it, and the anonymous part (the heap, stacks); the rest is
/// file-backed, mostly the binary's own code as it is paged in.
#[derive(Clone, Copy, Debug)]
pub struct Resident {
    pub total: u64,
    pub anonymous: Option<u64>,
}

pub struct Server {
    child: Child,
    pub pid: u32,
    pub base: String,
    /// From spawn until `/readyz` answered 200.
    pub startup: Duration,
}

impl Server {
    /// Spawns `binary` serving `database_url` on `port` and waits until it is ready.
    pub async fn start(binary: &Path, database_url: &str, port: u16, log: &Path) -> anyhow::Result<Self> {
        Self::start_with(binary, database_url, port, log, &[]).await
    }

    /// Like [`Self::start`], with more flags.
    pub async fn start_with(
        binary: &Path,
        database_url: &str,
        port: u16,
        log: &Path,
        flags: &[&str],
    ) -> anyhow::Result<Self> {
        let log = std::fs::File::create(log).with_context(|| format!("cannot create {}", log.display()))?;
        let started = Instant::now();
        let child = Command::new(binary)
            .arg("serve")
            .args(["--database-url", database_url])
            .args(["--bind", &format!("127.0.0.1:{port}")])
            .args(["--jwt-secret", JWT_SECRET])
            // Tokens outlive the run; everything else is the default configuration.
            .args(["--access-token-ttl", "24h", "--log-format", "json"])
            .args(flags)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("cannot start {}", binary.display()))?;
        let pid = child.id().context("the server exited at once")?;
        let base = format!("http://127.0.0.1:{port}");
        let mut server = Self { child, pid, base, startup: Duration::ZERO };
        server.startup = server.wait_ready(started).await?;
        Ok(server)
    }

    async fn wait_ready(&mut self, started: Instant) -> anyhow::Result<Duration> {
        let client = reqwest::Client::builder().timeout(Duration::from_secs(2)).build()?;
        let url = format!("{}/readyz", self.base);
        loop {
            if let Ok(response) = client.get(&url).send().await
                && response.status().is_success()
            {
                return Ok(started.elapsed());
            }
            if let Some(status) = self.child.try_wait()? {
                bail!("the server exited before it was ready ({status}); see its log");
            }
            if started.elapsed() > Duration::from_secs(600) {
                bail!("the server was not ready after 10 minutes");
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }

    /// Resident memory now.
    pub fn rss(&self) -> anyhow::Result<Resident> {
        Ok(Resident {
            total: status_kib(self.pid, "VmRSS:")? * 1024,
            anonymous: Some(status_kib(self.pid, "RssAnon:")? * 1024),
        })
    }

    /// Peak resident memory so far (no split).
    pub fn peak_rss(&self) -> anyhow::Result<Resident> {
        Ok(Resident { total: status_kib(self.pid, "VmHWM:")? * 1024, anonymous: None })
    }

    /// Starts the peak resident memory (`VmHWM`) over from now (Linux `clear_refs`).
    pub fn reset_peak_rss(&self) -> anyhow::Result<()> {
        std::fs::write(format!("/proc/{}/clear_refs", self.pid), "5").context("cannot reset the peak resident memory")
    }

    /// CPU time used so far (user + system, all threads).
    pub fn cpu_time(&self) -> anyhow::Result<Duration> {
        cpu_time(self.pid)
    }

    /// Waits until the server uses less than 2% of a core over a second (the overdue scan at
    /// start is over), at most `limit`. Returns how long that took.
    pub async fn settle(&self, limit: Duration) -> anyhow::Result<Duration> {
        let started = Instant::now();
        let mut before = self.cpu_time()?;
        loop {
            tokio::time::sleep(Duration::from_secs(1)).await;
            let now = self.cpu_time()?;
            if now.saturating_sub(before) < Duration::from_millis(20) || started.elapsed() > limit {
                return Ok(started.elapsed());
            }
            before = now;
        }
    }

    /// SIGTERM, then waits for the exit.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        let _ = Command::new("kill").args(["-TERM", &self.pid.to_string()]).status().await;
        match tokio::time::timeout(Duration::from_secs(15), self.child.wait()).await {
            Ok(status) => {
                status?;
            }
            Err(_) => {
                self.child.kill().await?;
            }
        }
        Ok(())
    }
}

fn cpu_time(pid: u32) -> anyhow::Result<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // Fields after the command name (which may hold spaces) start after the last ')'.
    let rest = stat.rsplit_once(')').context("malformed /proc/<pid>/stat")?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = fields[11].parse::<u64>()? + fields[12].parse::<u64>()?;
    Ok(Duration::from_millis(ticks * 1000 / clock_ticks()))
}

/// CPU time used so far by the PostgreSQL backends connected to `database` (on this machine).
pub fn backends_cpu_time(database: &str) -> Duration {
    let Ok(entries) = std::fs::read_dir("/proc") else { return Duration::ZERO };
    entries
        .filter_map(Result::ok)
        .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            // A backend's title: `postgres: [<cluster>:] <user> <database> <client> <state>`.
            std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|cmdline| {
                let title = String::from_utf8_lossy(&cmdline);
                title.starts_with("postgres: ") && title.split_whitespace().any(|word| word == database)
            })
        })
        .filter_map(|pid| cpu_time(pid).ok())
        .sum()
}

fn status_kib(pid: u32, key: &str) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let line = status.lines().find(|l| l.starts_with(key)).with_context(|| format!("no {key} in status"))?;
    Ok(line[key.len()..].trim().trim_end_matches("kB").trim().parse()?)
}

fn clock_ticks() -> u64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100)
}

/// Runs a command to its end, failing with its output when it fails.
pub async fn run(command: &mut Command) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let output = command.stdin(Stdio::null()).output().await.context("cannot run command")?;
    if !output.status.success() {
        bail!(
            "{:?} failed ({}):\n{}{}",
            command.as_std(),
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(started.elapsed())
}

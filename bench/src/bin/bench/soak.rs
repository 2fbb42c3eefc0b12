//! A soak: read loads at fixed rates for a long time while the server's resident memory and its
//! heap (what the allocator reports at `/metrics`) are sampled. Memory that grows with requests
//! shows as the slope of a line fitted to the samples after a warm-up.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use crate::client::Client;
use crate::oha::{Load, Measured, Oha, Target};
use crate::process::Server;
use crate::report::{mb, ms, thousands};

/// Growth of the fitted line over the measured window at most this many bytes: flat.
const FLAT: f64 = 1_000_000.0;

/// One sample of the server's memory.
#[derive(Clone, Copy, Debug)]
pub struct Sample {
    pub at: Duration,
    pub rss: u64,
    /// Bytes in live allocations, and pages the allocator keeps resident.
    pub heap_allocated: Option<u64>,
    pub heap_resident: Option<u64>,
}

pub struct Soak {
    pub duration: Duration,
    /// Samples before this are the warm-up (caches filling, connections opening).
    pub warm_up: Duration,
    /// Each load: its name, its rate, what it measured.
    pub loads: Vec<(String, u32, Measured)>,
    pub samples: Vec<Sample>,
}

/// Runs `loads` (name, rate per second, target) at once for `duration`, sampling every `every`.
pub async fn run(
    oha: &Oha,
    server: &Server,
    client: &Client,
    loads: Vec<(&str, u32, Target)>,
    duration: Duration,
    every: Duration,
) -> anyhow::Result<Soak> {
    let started = Instant::now();
    let runs: Vec<_> = loads
        .iter()
        .map(|(_, rate, target)| {
            let (oha, target) = (Oha { binary: oha.binary.clone() }, target.clone());
            // Enough connections that a slow answer does not hold the next one back.
            let load = Load::Open { rate: *rate, connections: 8 };
            tokio::spawn(async move { oha.run(&target, load, duration).await })
        })
        .collect();
    let mut samples = Vec::new();
    while started.elapsed() < duration {
        samples.push(sample(server, client, started.elapsed()).await?);
        let next = every * u32::try_from(samples.len()).unwrap_or(u32::MAX);
        tokio::time::sleep(next.saturating_sub(started.elapsed())).await;
    }
    let mut measured = Vec::new();
    for ((name, rate, _), run) in loads.into_iter().zip(runs) {
        measured.push((name.to_owned(), rate, run.await??));
    }
    samples.push(sample(server, client, started.elapsed()).await?);
    Ok(Soak { duration, warm_up: (duration / 6).min(Duration::from_secs(300)), loads: measured, samples })
}

async fn sample(server: &Server, client: &Client, at: Duration) -> anyhow::Result<Sample> {
    let metrics = client.metrics().await?;
    let gauge = |name: &str| {
        metrics
            .lines()
            .find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.trim().parse::<f64>().ok())
            .map(|value| value as u64)
    };
    Ok(Sample {
        at,
        rss: server.rss()?.total,
        heap_allocated: gauge("hindsight_heap_allocated_bytes"),
        heap_resident: gauge("hindsight_heap_resident_bytes"),
    })
}

impl Soak {
    fn requests_per_sec(&self) -> f64 {
        self.loads.iter().map(|(_, rate, _)| f64::from(*rate)).sum()
    }

    /// The slope, in bytes per second, of the line fitted to `value` after the warm-up.
    fn slope(&self, value: impl Fn(&Sample) -> Option<u64>) -> Option<f64> {
        let points: Vec<(f64, f64)> = self
            .samples
            .iter()
            .filter(|s| s.at >= self.warm_up)
            .filter_map(|s| Some((s.at.as_secs_f64(), value(s)? as f64)))
            .collect();
        least_squares_slope(&points)
    }

    fn measured_window(&self) -> Duration {
        self.duration.saturating_sub(self.warm_up)
    }

    pub fn render(&self, out: &mut String) {
        let minutes = |d: Duration| d.as_secs_f64() / 60.0;
        let loads: Vec<String> =
            self.loads.iter().map(|(name, rate, _)| format!("{name} {}/s", thousands(u64::from(*rate)))).collect();
        let _ = writeln!(
            out,
            "\nSoak: {} at once, open loop, for {:.0} min; memory sampled every {:.0} s, a line fitted to the \
             samples after the first {:.0} min (the warm-up).\n",
            loads.join(", "),
            minutes(self.duration),
            self.samples.get(1).map_or(0.0, |s| s.at.as_secs_f64()),
            minutes(self.warm_up),
        );
        let _ = writeln!(out, "| load | answered | p50 / p99 | failed |");
        let _ = writeln!(out, "| --- | ---: | ---: | ---: |");
        for (name, rate, measured) in &self.loads {
            let _ = writeln!(
                out,
                "| {name} at {}/s | {} | {} / {} | {} |",
                thousands(u64::from(*rate)),
                thousands(measured.answers),
                ms(measured.p50),
                ms(measured.p99),
                thousands(measured.failures)
            );
        }
        let window = self.measured_window().as_secs_f64();
        let rate = self.requests_per_sec();
        let growth = |name: &str, slope: Option<f64>| match slope {
            Some(slope) => {
                let over_window = slope * window;
                let verdict = if over_window <= FLAT { "flat: met" } else { "**grows: missed**" };
                format!(
                    "| {name}: growth of the fitted line over the last {:.0} min | {:+.2} MB ({:+.1} bytes per request) | {} (≤ 1 MB) |",
                    window / 60.0,
                    over_window / 1e6,
                    slope / rate,
                    verdict
                )
            }
            None => format!("| {name} | not reported | – |"),
        };
        let _ = writeln!(out, "\n| memory | figure | target |");
        let _ = writeln!(out, "| --- | --- | --- |");
        let _ = writeln!(out, "{}", growth("resident memory (RSS)", self.slope(|s| Some(s.rss))));
        let _ = writeln!(out, "{}", growth("heap, allocated", self.slope(|s| s.heap_allocated)));
        let _ = writeln!(out, "{}", growth("heap, resident", self.slope(|s| s.heap_resident)));
        let _ = writeln!(out, "\n| minute | RSS | heap allocated | heap resident |");
        let _ = writeln!(out, "| ---: | ---: | ---: | ---: |");
        let step = Duration::from_secs(300).max(self.duration / 12);
        let mut next = Duration::ZERO;
        for (i, sample) in self.samples.iter().enumerate() {
            if sample.at >= next || i + 1 == self.samples.len() {
                let heap = |bytes: Option<u64>| bytes.map_or("–".into(), mb);
                let _ = writeln!(
                    out,
                    "| {:.0} | {} | {} | {} |",
                    minutes(sample.at),
                    mb(sample.rss),
                    heap(sample.heap_allocated),
                    heap(sample.heap_resident)
                );
                next = sample.at + step;
            }
        }
    }
}

/// The slope of the least-squares line through `points` (none for fewer than two).
fn least_squares_slope(points: &[(f64, f64)]) -> Option<f64> {
    if points.len() < 2 {
        return None;
    }
    let n = points.len() as f64;
    let (mean_x, mean_y) = (points.iter().map(|p| p.0).sum::<f64>() / n, points.iter().map(|p| p.1).sum::<f64>() / n);
    let covariance: f64 = points.iter().map(|(x, y)| (x - mean_x) * (y - mean_y)).sum();
    let variance: f64 = points.iter().map(|(x, _)| (x - mean_x).powi(2)).sum();
    (variance > 0.0).then(|| covariance / variance)
}

#[cfg(test)]
mod tests {
    use super::least_squares_slope;

    #[test]
    fn the_slope_of_a_line_and_of_a_flat_noisy_series() {
        let line: Vec<_> = (0..10).map(|x| (f64::from(x), 3.0 * f64::from(x) + 7.0)).collect();
        assert!((least_squares_slope(&line).unwrap() - 3.0).abs() < 1e-9);
        let flat = [(0.0, 5.0), (1.0, 6.0), (2.0, 5.0), (3.0, 6.0), (4.0, 5.0), (5.0, 6.0)];
        assert!(least_squares_slope(&flat).unwrap().abs() < 0.2);
        assert_eq!(least_squares_slope(&[(1.0, 1.0)]), None);
    }
}

//! The Markdown tables of one database's results.

use std::fmt::Write as _;
use std::time::Duration;

use crate::fanout::Fanout;
use crate::oha::Measured;
use crate::process::Resident;
use crate::soak::Soak;
use crate::sweep::Swept;
use crate::writes::WriteScaling;

/// Connections of the closed loop that measures the learning queries.
pub const LEARNING_CONNECTIONS: usize = 4;

pub struct QueryRow {
    pub name: String,
    pub l1_closed: Measured,
    pub graphql_closed: Measured,
    /// The same schema without the server's extensions (a diagnostic).
    pub bare_closed: Measured,
    /// The open-loop rate both were measured at.
    pub rate: u32,
    pub l1_open: Measured,
    pub graphql_open: Measured,
    /// GraphQL errors the server counted while this query was measured (should be none).
    pub graphql_errors: f64,
}

impl QueryRow {
    pub fn ratio(&self) -> f64 {
        self.graphql_closed.requests_per_sec / self.l1_closed.requests_per_sec
    }

    /// Server CPU per request, GraphQL over L1.
    pub fn cpu_ratio(&self) -> Option<f64> {
        let (l1, graphql) = (self.l1_closed.server_cpu?, self.graphql_closed.server_cpu?);
        Some(graphql.as_secs_f64() / l1.as_secs_f64())
    }

    /// The CPU target: GraphQL within 1.3 × L1 for the single-object queries, 2 × for the lists.
    fn cpu_target(&self) -> f64 {
        if self.name == "`me`" || self.name == "action by id" { 1.3 } else { 2.0 }
    }
}

pub struct LoginFlood {
    pub rate: u32,
    pub alone: Measured,
    pub during: Measured,
    pub logins: Measured,
}

pub struct DatabaseReport {
    pub name: String,
    pub scale: String,
    pub database_version: String,
    pub duration: Duration,
    pub connections: usize,
    /// Accounts the query loads were spread over, each an organization's admin.
    pub load_users: usize,
    pub startup_empty: Option<Duration>,
    pub startup_migrated: Option<Duration>,
    pub startup_seeded: Option<Duration>,
    pub seed_time: Option<Duration>,
    /// Resident memory at points of the run, in bytes.
    pub memory: Vec<(&'static str, Resident)>,
    pub l0: Option<(Measured, Measured)>,
    pub queries: Vec<QueryRow>,
    pub login_flood: Option<LoginFlood>,
    pub writes: Option<WriteScaling>,
    /// Every list query, one request after another.
    pub sweep: Vec<Swept>,
    pub fanouts: Vec<Fanout>,
    /// Learning across teams, GraphQL only (closed loop, `LEARNING_CONNECTIONS` connections).
    pub learning: Vec<(String, Measured)>,
    pub soak: Option<Soak>,
    pub notes: Vec<String>,
}

impl DatabaseReport {
    pub fn new(name: &str, scale: &str, duration: Duration, connections: usize) -> Self {
        Self {
            name: name.into(),
            scale: scale.into(),
            database_version: String::new(),
            duration,
            connections,
            load_users: 1,
            startup_empty: None,
            startup_migrated: None,
            startup_seeded: None,
            seed_time: None,
            memory: Vec::new(),
            l0: None,
            queries: Vec::new(),
            login_flood: None,
            writes: None,
            sweep: Vec::new(),
            fanouts: Vec::new(),
            learning: Vec::new(),
            soak: None,
            notes: Vec::new(),
        }
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "### {} ({}): {}\n", self.name, self.database_version, self.scale);
        self.render_queries(&mut out);
        self.render_lists(&mut out);
        self.render_measures(&mut out);
        out
    }

    fn render_queries(&self, out: &mut String) {
        if self.queries.is_empty() {
            return;
        }
        let secs = self.duration.as_secs_f64();
        let _ = writeln!(
            out,
            "Throughput: closed loop, {} connections, {secs} s. Latency: open loop at a fixed rate (the same \
             for L1 and GraphQL: half the slower one's throughput), {secs} s, measured from when each request \
             was due (coordinated omission corrected). CPU per request: the server process's CPU time over \
             the closed-loop run divided by the requests answered (and that of the PostgreSQL backends serving \
             the benchmark database, \"db\"). Every query runs as an organization's admin; {}.\n",
            self.connections,
            match self.load_users {
                1 => "one account sends them all".to_owned(),
                users => format!(
                    "the connections and the rate are spread evenly over {users} such accounts, each of an \
                     organization of the same size (the server limits what one account runs at once), and \
                     the percentiles are the slowest account's"
                ),
            }
        );
        let l0_rps = self.l0.as_ref().map(|(closed, _)| closed.requests_per_sec);
        let _ = writeln!(
            out,
            "| query | CPU per request, L1 → GraphQL | CPU GraphQL / L1 (target) | L0 req/s | L1 req/s | GraphQL req/s \
             | throughput GraphQL / L1 (target 0.8) | fixed rate | L1 p50 / p99 | GraphQL p50 / p99 |"
        );
        let _ = writeln!(out, "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        for row in &self.queries {
            let cpu_ratio = row.cpu_ratio().map_or("?".into(), |ratio| {
                format!("**{ratio:.2}** (≤ {}: {})", row.cpu_target(), verdict(ratio <= row.cpu_target(), ""))
            });
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | **{:.2}** ({}) | {}/s | {} | {} |",
                row.name,
                cpu(&row.l1_closed, &row.graphql_closed),
                cpu_ratio,
                l0_rps.map_or("–".into(), rps),
                throughput(&row.l1_closed),
                throughput(&row.graphql_closed),
                row.ratio(),
                verdict(row.ratio() >= 0.8, ""),
                thousands(u64::from(row.rate)),
                latency(&row.l1_open),
                latency(&row.graphql_open),
            );
        }
        if let Some((closed, open)) = &self.l0 {
            let _ = writeln!(
                out,
                "\nL0 (fixed JSON, no database): {} req/s, {} µs of server CPU per request; p50 / p99 {} at {}/s.",
                throughput(closed),
                closed.server_cpu.unwrap_or_default().as_micros(),
                latency(open),
                thousands((closed.requests_per_sec / 2.0).round() as u64)
            );
        }
        if !self.queries.is_empty() {
            let _ = writeln!(
                out,
                "\nDiagnostic: the same schema and resolvers without the server's schema extensions and limits \
                 (`/diagnostic/graphql-without-extensions`), closed loop.\n"
            );
            let _ = writeln!(
                out,
                "| query | L1 | GraphQL without extensions | GraphQL | server CPU per request: L1 / without extensions / GraphQL |"
            );
            let _ = writeln!(out, "| --- | ---: | ---: | ---: | ---: |");
            for row in &self.queries {
                let micros = |m: &Measured| m.server_cpu.map_or("?".into(), |d| d.as_micros().to_string());
                let _ = writeln!(
                    out,
                    "| {} | {} req/s | {} req/s | {} req/s | {} / {} / {} µs |",
                    row.name,
                    throughput(&row.l1_closed),
                    throughput(&row.bare_closed),
                    throughput(&row.graphql_closed),
                    micros(&row.l1_closed),
                    micros(&row.bare_closed),
                    micros(&row.graphql_closed),
                );
            }
        }
    }

    /// The learning queries and the sweep of every list query.
    fn render_lists(&self, out: &mut String) {
        let secs = self.duration.as_secs_f64();
        if !self.learning.is_empty() {
            let _ = writeln!(
                out,
                "\nLearning across teams, GraphQL only: closed loop, {LEARNING_CONNECTIONS} connections, {secs} s.\n"
            );
            let _ = writeln!(out, "| query | req/s | p50 / p99 | CPU per request |");
            let _ = writeln!(out, "| --- | ---: | ---: | ---: |");
            for (name, measured) in &self.learning {
                let cpu = measured.server_cpu.map_or("?".into(), |d| format!("{} µs", d.as_micros()));
                let cpu = match measured.database_cpu {
                    Some(db) => format!("{cpu} + db {} µs", db.as_micros()),
                    None => cpu,
                };
                let _ = writeln!(out, "| {name} | {} | {} | {cpu} |", throughput(measured), latency(measured));
            }
        }
        if !self.sweep.is_empty() {
            let _ = writeln!(
                out,
                "\nEvery list query, as the admin, each 30 times one after another (the page's `id`s, with and \
                 without `totalCount`).\n"
            );
            let _ = writeln!(out, "| query | p50 / p99 | target | errors |");
            let _ = writeln!(out, "| --- | ---: | --- | --- |");
            for swept in &self.sweep {
                let target = swept.target.map_or("–".into(), |limit| {
                    verdict(swept.p99 <= limit, &format!("p99 ≤ {} ms", limit.as_millis()))
                });
                let errors = if swept.errors.is_empty() { "none".into() } else { swept.errors.join(", ") };
                let _ =
                    writeln!(out, "| {} | {} / {} | {target} | {errors} |", swept.name, ms(swept.p50), ms(swept.p99));
            }
        }
        for row in self.queries.iter().filter(|row| row.graphql_errors > 0.0) {
            let _ = writeln!(
                out,
                "\n**{}: the server counted {} GraphQL errors under load.**",
                row.name, row.graphql_errors
            );
        }
    }

    /// Fan-out, memory, the login flood, write scaling, startup, the soak and the notes.
    fn render_measures(&self, out: &mut String) {
        let _ = writeln!(out, "\n| measure | result | target |");
        let _ = writeln!(out, "| --- | --- | --- |");
        for fanout in &self.fanouts {
            let mut deliveries = fanout.deliveries.clone();
            deliveries.sort();
            let actions = fanout.subscription == "actionChanged";
            let target = if fanout.subscribers >= 1000 {
                verdict(percentile(&deliveries, 0.99) <= Duration::from_millis(50) && fanout.lost == 0, "p99 ≤ 50 ms")
            } else {
                "–".into()
            };
            let _ = writeln!(
                out,
                "| fan-out of one {} to {} subscribers of `{}`, p50 / p99 | {} / {} ({} deliveries over {} {}, {} lost) | {} |",
                if actions { "started action" } else { "published review" },
                thousands(fanout.subscribers as u64),
                fanout.subscription,
                ms(percentile(&deliveries, 0.50)),
                ms(percentile(&deliveries, 0.99)),
                thousands(deliveries.len() as u64),
                fanout.changes,
                if actions { "starts" } else { "publishes" },
                fanout.lost,
                target
            );
        }
        if let Some(fanout) =
            self.fanouts.iter().filter(|f| f.subscription == "learningPublished").max_by_key(|f| f.subscribers)
        {
            let _ = writeln!(
                out,
                "| memory per idle subscriber ({} subscribed) | {:.1} KiB | – |",
                thousands(fanout.subscribers as u64),
                fanout.bytes_per_subscriber() / 1024.0
            );
        }
        for (when, resident) in &self.memory {
            let bytes = resident.total;
            let target = match *when {
                w if w.starts_with("idle, after") => verdict(bytes <= 35_000_000, "≤ 35 MB"),
                w if w.starts_with("peak") => verdict(bytes <= 100_000_000, "≤ 100 MB"),
                w if w.starts_with("30 s after") => verdict(bytes <= 40_000_000, "≤ 40 MB"),
                _ => "–".into(),
            };
            let split = resident.anonymous.map_or(String::new(), |anonymous| {
                format!(" ({} anonymous, {} file-backed)", mb(anonymous), mb(bytes.saturating_sub(anonymous)))
            });
            let _ = writeln!(out, "| resident memory, {when} | {}{split} | {target} |", mb(bytes));
        }
        if let Some(flood) = &self.login_flood {
            let ratio = flood.during.p99.as_secs_f64() / flood.alone.p99.as_secs_f64();
            let _ = writeln!(
                out,
                "| `me` p99 at {}/s alone / during a login flood | {} / {} (×{:.2}) | {} |",
                thousands(u64::from(flood.rate)),
                ms(flood.alone.p99),
                ms(flood.during.p99),
                ratio,
                verdict(ratio <= 3.0, "within 3×")
            );
            let _ = writeln!(
                out,
                "| logins during the flood (argon2) | {} /s, p50 {}{} | – |",
                format_args!("{:.1}", flood.logins.requests_per_sec),
                ms(flood.logins.p50),
                failed(&flood.logins)
            );
        }
        if let Some(writes) = &self.writes {
            let run = |w: &crate::writes::Writes| {
                let failed = if w.failed > 0 { format!(", {} failed", thousands(w.failed)) } else { String::new() };
                let db = w.database_cpu.map_or(String::new(), |db| format!(" + db {} µs", db.as_micros()));
                format!(
                    "{:.0}/s ({} in all, p50 {} / p99 {}{failed}; {} µs{db} of CPU each, cores {:.0} % busy)",
                    w.per_sec,
                    thousands(w.succeeded),
                    ms(w.p50),
                    ms(w.p99),
                    w.server_cpu.as_micros(),
                    w.busy * 100.0
                )
            };
            let _ = writeln!(
                out,
                "| `declareIncident`, one organization alone / {} at once ({} connections each) | {} / {} (×{:.2}) | {} |",
                writes.together.organizations,
                writes.together.connections / writes.together.organizations.max(1),
                run(&writes.alone),
                run(&writes.together),
                writes.ratio(),
                verdict(writes.ratio() >= 3.0, "≥ 3×")
            );
        }
        if let Some(startup) = self.startup_empty {
            let _ = writeln!(out, "| startup to ready, empty database (all migrations) | {} | – |", ms(startup));
        }
        if let Some(startup) = self.startup_migrated {
            let _ = writeln!(out, "| startup to ready, migrated empty database | {} | – |", ms(startup));
        }
        if let Some(startup) = self.startup_seeded {
            let _ = writeln!(out, "| startup to ready, seeded database | {} | – |", ms(startup));
        }
        if let Some(seed) = self.seed_time {
            let _ = writeln!(out, "| seeding ({}) | {} | – |", self.scale, human(seed));
        }
        if let Some(soak) = &self.soak {
            soak.render(out);
        }
        for note in &self.notes {
            let _ = writeln!(out, "\nNote: {note}.");
        }
    }
}

fn verdict(met: bool, target: &str) -> String {
    let word = if met { "met" } else { "**missed**" };
    if target.is_empty() { word.into() } else { format!("{target}: {word}") }
}

/// The `q` quantile of sorted durations (zero for none).
pub fn percentile(sorted: &[Duration], q: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let at = ((sorted.len() as f64 * q).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[at]
}

fn failed(measured: &Measured) -> String {
    if measured.failures > 0 {
        format!(" ({} of {} failed)", measured.failures, measured.answers)
    } else {
        String::new()
    }
}

fn throughput(measured: &Measured) -> String {
    format!("{}{}", rps(measured.requests_per_sec), failed(measured))
}

fn latency(measured: &Measured) -> String {
    format!("{} / {}{}", ms(measured.p50), ms(measured.p99), failed(measured))
}

/// The CPU both ways cost per request: "server µs (+ db µs) → server µs (+ db µs)".
fn cpu(l1: &Measured, graphql: &Measured) -> String {
    let one = |m: &Measured| {
        let server = m.server_cpu.map_or("?".into(), |d| format!("{} µs", d.as_micros()));
        match m.database_cpu {
            Some(db) => format!("{server} + db {} µs", db.as_micros()),
            None => server,
        }
    };
    format!("{} → {}", one(l1), one(graphql))
}

fn rps(value: f64) -> String {
    thousands(value.round() as u64)
}

pub fn ms(duration: Duration) -> String {
    let ms = duration.as_secs_f64() * 1000.0;
    if ms < 10.0 { format!("{ms:.2} ms") } else { format!("{ms:.0} ms") }
}

pub fn mb(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1_000_000.0)
}

fn human(duration: Duration) -> String {
    let secs = duration.as_secs();
    if secs >= 60 { format!("{} min {} s", secs / 60, secs % 60) } else { format!("{:.1} s", duration.as_secs_f64()) }
}

/// 1234567 → "1,234,567".
pub fn thousands(value: u64) -> String {
    let digits = value.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

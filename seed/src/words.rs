//! The words seeded data is made of: people, companies, teams, services, and incident themes
//! with the timeline, why chain, contributing factors and actions a real review of them holds.
//! Every text here passes the blameless guardrails (see the tests at the end).

use entity::{ActionKind, FactorCategory, TimelineKind};

pub(super) const COMPANIES: &[&str] = &[
    "Northwind Traders",
    "Globex",
    "Initech",
    "Umbrella Logistics",
    "Acme Retail",
    "Hooli Cloud",
    "Stark Freight",
    "Wonka Foods",
    "Tyrell Energy",
    "Soylent Health",
    "Vandelay Imports",
    "Oceanic Air",
];

pub(super) const FIRST_NAMES: &[&str] = &[
    "Aisha", "Alex", "Amara", "Ananya", "Ben", "Carmen", "Chen", "Dana", "Diego", "Elif", "Emeka", "Farah", "Felix",
    "Hana", "Hugo", "Ines", "Ivan", "Jonas", "Julia", "Kai", "Kenji", "Lena", "Leo", "Lucia", "Mateo", "Maya", "Mei",
    "Nadia", "Noah", "Olga", "Omar", "Priya", "Rafael", "Rosa", "Sami", "Sofia", "Tariq", "Uma", "Wei", "Yara", "Zoe",
];

pub(super) const LAST_NAMES: &[&str] = &[
    "Abebe",
    "Andersen",
    "Bauer",
    "Castillo",
    "Costa",
    "Dubois",
    "Eriksson",
    "Fernandes",
    "Fischer",
    "Garcia",
    "Haddad",
    "Ivanova",
    "Jensen",
    "Kim",
    "Kowalski",
    "Laurent",
    "Lindqvist",
    "Mendes",
    "Moreau",
    "Nakamura",
    "Novak",
    "Okafor",
    "Oliveira",
    "Park",
    "Petrov",
    "Quinn",
    "Rossi",
    "Santos",
    "Schmidt",
    "Silva",
    "Singh",
    "Tanaka",
    "Torres",
    "Varga",
    "Wagner",
    "Watanabe",
    "Weber",
    "Yilmaz",
    "Zhang",
    "Zielinski",
];

pub(super) const TEAMS: &[&str] = &[
    "Payments",
    "Platform",
    "Checkout",
    "Identity",
    "Search",
    "Data Platform",
    "Mobile",
    "Notifications",
    "Billing",
    "Support Tools",
    "Infrastructure",
    "Observability",
    "Storage",
    "Networking",
    "Fraud",
    "Growth",
    "Messaging",
    "Catalog",
    "Logistics",
    "Security",
    "Developer Experience",
    "Reliability",
    "Pricing",
    "Partner Integrations",
];

pub(super) const SERVICES: &[&str] = &[
    "payments gateway",
    "checkout API",
    "orders service",
    "search index",
    "login service",
    "notifications worker",
    "billing scheduler",
    "inventory service",
    "mobile backend",
    "public API gateway",
    "reporting pipeline",
    "image resizer",
    "shipping tracker",
    "recommendations service",
    "webhooks dispatcher",
    "customer portal",
    "fraud scoring service",
    "ledger service",
    "email sender",
    "feature store",
    "session store",
    "audit log pipeline",
    "pricing service",
    "catalog importer",
];

/// One kind of incident and what its review finds.
pub(super) struct Theme {
    /// Titles; `{svc}` is the affected service.
    pub titles: [&'static str; 2],
    pub tags: &'static [&'static str],
    pub summary: &'static str,
    /// In the order they happened: the trigger, the first signal, the diagnosis, the fix, the recovery.
    pub timeline: [(&'static str, TimelineKind); 5],
    /// The why chain; the last answer is the structural root cause.
    pub whys: [(&'static str, &'static str); 4],
    pub factors: [(FactorCategory, &'static str); 3],
    /// Title, success metric and kind of the actions a review commits to.
    pub actions: [(&'static str, &'static str, ActionKind); 4],
    pub learnings: [&'static str; 2],
}

use ActionKind::{Systemic, Tactical};
use FactorCategory::{Communication, Environmental, Process, Technical};
use TimelineKind::{Fact, Signal};

pub(super) const THEMES: &[Theme] = &[
    Theme {
        titles: [
            "Latency spike in the {svc} from a query plan change",
            "Slow queries in the {svc} after a statistics refresh",
        ],
        tags: &["database", "latency", "postgres"],
        summary: "A statistics refresh changed the plan of the main {svc} query from an index scan to a sequential scan, and p99 latency rose from 300 ms to 9 s.",
        timeline: [
            ("Nightly statistics refresh finished on the primary database", Fact),
            ("p99 latency alert fired for the {svc}", Signal),
            ("The slow query log showed sequential scans on the orders table", Fact),
            ("The previous plan was pinned with a query hint and latency recovered", Fact),
            ("Error rate back to baseline; incident resolved", Fact),
        ],
        whys: [
            ("Why was the {svc} slow?", "Its main query switched from an index scan to a sequential scan."),
            (
                "Why did the plan change?",
                "The nightly statistics refresh produced skewed row estimates for a fast-growing table.",
            ),
            (
                "Why did skewed estimates reach production unnoticed?",
                "Nothing compares the query plans of critical paths before and after a statistics refresh.",
            ),
            (
                "Why is there no such comparison?",
                "Query plan regressions were never part of the database change process, so no tooling exists for them.",
            ),
        ],
        factors: [
            (Technical, "No plan regression check for the critical queries of the {svc}"),
            (Process, "Statistics refreshes run outside the change process"),
            (Environmental, "The orders table grew fourfold in a quarter"),
        ],
        actions: [
            (
                "Add a plan-regression check for the {svc} critical queries",
                "A plan change on a critical query pages before latency moves",
                Systemic,
            ),
            (
                "Pin the current plan of the main {svc} query",
                "p99 latency stays under 800 ms through statistics refreshes",
                Tactical,
            ),
            (
                "Run statistics refreshes through the change pipeline",
                "Every refresh has a change record and a rollback step",
                Systemic,
            ),
            (
                "Alert on sequential scans of large tables",
                "The alert fires in staging when a large-table scan appears",
                Tactical,
            ),
        ],
        learnings: [
            "Query plans can change under us without any deploy",
            "Growth in one table can change the behaviour of every query that joins it",
        ],
    },
    Theme {
        titles: ["Expired TLS certificate on the {svc}", "Certificate expiry broke clients of the {svc}"],
        tags: &["certificates", "tls", "security"],
        summary: "The TLS certificate of the {svc} expired because its renewal job had been erroring for three weeks; clients could not complete the handshake.",
        timeline: [
            ("The renewal job for the {svc} certificate returned an error", Fact),
            ("The certificate expired", Fact),
            ("Synthetic checks reported handshake errors", Signal),
            ("A new certificate was issued by hand and deployed", Fact),
            ("Renewal job repaired and run successfully", Fact),
        ],
        whys: [
            ("Why did clients fail the handshake?", "The certificate of the {svc} had expired."),
            ("Why was it not renewed?", "The renewal job had been erroring since the DNS provider changed its API."),
            ("Why were the renewal errors not seen?", "The job writes its errors to a log that nothing alerts on."),
            (
                "Why is there no alert on certificate expiry?",
                "Certificate monitoring covers only the public website, not internal services.",
            ),
        ],
        factors: [
            (Technical, "Certificate expiry is not monitored for internal services"),
            (Technical, "The renewal job reports errors only to its own log"),
            (Communication, "The DNS provider's API change notice went to an unmonitored mailbox"),
        ],
        actions: [
            (
                "Monitor the expiry of every certificate we serve",
                "An alert fires 21 days before any certificate expires",
                Systemic,
            ),
            ("Alert when a renewal job errors", "A renewal error pages the owning team within an hour", Systemic),
            (
                "Renew the {svc} certificate through the shared issuer",
                "The {svc} certificate renews by itself in the next cycle",
                Tactical,
            ),
            (
                "Route vendor API notices to the platform channel",
                "Vendor notices appear in the team channel within a day",
                Tactical,
            ),
        ],
        learnings: [
            "Automation that breaks quietly is worse than no automation",
            "Expiry dates are predictable outages and deserve alerts",
        ],
    },
    Theme {
        titles: ["Config change broke routing in the {svc}", "Routing config took down the {svc}"],
        tags: &["config", "deploy"],
        summary: "A routing configuration change for the {svc} referenced a backend pool that did not exist yet; the proxy rejected every request to that route.",
        timeline: [
            ("Routing config change merged and rolled out to all regions at once", Fact),
            ("5xx rate alert fired for the {svc}", Signal),
            ("The deploy log matched the start of the errors", Fact),
            ("Config change reverted", Fact),
            ("Traffic back to normal in every region", Fact),
        ],
        whys: [
            ("Why did requests get errors?", "The proxy had no backend for the route and answered 503."),
            (
                "Why did the route point to a missing pool?",
                "The config and the pool were changed in two separate changes that were meant to ship together.",
            ),
            ("Why did the config ship alone?", "Config changes deploy to all regions at once, without a canary stage."),
            (
                "Why is there no canary for config?",
                "The config pipeline predates canary releases and never got the same stages as code.",
            ),
        ],
        factors: [
            (Technical, "The proxy accepts references to pools that do not exist"),
            (Process, "Config rollouts skip the canary stage that code goes through"),
            (Communication, "The two related changes were tracked in different tickets"),
        ],
        actions: [
            (
                "Validate routing config against live pools before rollout",
                "A config referencing a missing pool is rejected in CI",
                Systemic,
            ),
            (
                "Roll out config changes through the canary stage",
                "Every config change reaches one region first, with automatic rollback",
                Systemic,
            ),
            (
                "Add a synthetic check for every {svc} route",
                "Each route has a probe that alerts within 2 minutes",
                Tactical,
            ),
            (
                "Link related changes in the deploy tool",
                "Dependent changes are shown together before approval",
                Tactical,
            ),
        ],
        learnings: [
            "Config is code and deserves the same pipeline",
            "Validation at the edge is cheaper than a rollback",
        ],
    },
    Theme {
        titles: ["Traffic spike saturated the {svc}", "Overload of the {svc} during a marketing campaign"],
        tags: &["capacity", "autoscaling", "latency"],
        summary: "A campaign tripled traffic to the {svc} within minutes; autoscaling reacted too slowly and the service shed load for most of an hour.",
        timeline: [
            ("Campaign email sent to all customers", Fact),
            ("CPU saturation alert fired for the {svc}", Signal),
            ("The autoscaler added instances, but each took 6 minutes to become ready", Fact),
            ("Instances pre-scaled to three times the baseline", Fact),
            ("Latency back under target", Fact),
        ],
        whys: [
            ("Why did the {svc} shed load?", "Traffic tripled faster than new instances became ready."),
            (
                "Why did new instances take 6 minutes?",
                "Each instance downloads and warms a large cache before taking traffic.",
            ),
            (
                "Why was capacity not added ahead of the campaign?",
                "Campaign schedules are not shared with the teams that run the affected services.",
            ),
            ("Why are the schedules not shared?", "There is no shared calendar or process for planned traffic events."),
        ],
        factors: [
            (Technical, "Instances need 6 minutes to warm their cache"),
            (Process, "Planned traffic events are not announced to service owners"),
            (Environmental, "The campaign went to the whole customer base at once"),
        ],
        actions: [
            (
                "Publish planned traffic events to a shared calendar",
                "Every campaign appears on the calendar a week ahead",
                Systemic,
            ),
            (
                "Cut the {svc} instance warm-up under 90 seconds",
                "A new instance takes traffic within 90 seconds",
                Systemic,
            ),
            (
                "Scale the {svc} on request rate instead of CPU",
                "Scaling starts within a minute of a traffic rise",
                Tactical,
            ),
            ("Stagger large campaign sends", "Campaign sends ramp up over 30 minutes", Tactical),
        ],
        learnings: ["Autoscaling only helps when instances start fast", "Marketing events are capacity events"],
    },
    Theme {
        titles: ["Message backlog in the {svc}", "Delayed processing in the {svc} queue"],
        tags: &["queue", "latency", "workers"],
        summary: "A malformed message made every {svc} consumer crash and retry in a loop; the backlog grew to 2 million messages and processing was four hours late.",
        timeline: [
            ("A malformed message was published to the {svc} queue", Fact),
            ("Queue depth alert fired", Signal),
            ("Consumers were restarting every few seconds", Fact),
            ("The malformed message was moved aside and consumers recovered", Fact),
            ("Backlog drained", Fact),
        ],
        whys: [
            (
                "Why was processing delayed?",
                "Every consumer crashed on the same malformed message and retried it forever.",
            ),
            (
                "Why did one message stop every consumer?",
                "The queue has no dead-letter queue, so the message was redelivered indefinitely.",
            ),
            (
                "Why is there no dead-letter queue?",
                "The queue was created from an old template that predates our dead-letter standard.",
            ),
            (
                "Why was the old template still in use?",
                "Templates are not versioned, so existing queues never receive updates to the standard.",
            ),
        ],
        factors: [
            (Technical, "No dead-letter queue on the {svc} queue"),
            (Technical, "Consumers crash instead of rejecting messages they cannot parse"),
            (Process, "Queue templates are copied, not versioned"),
        ],
        actions: [
            (
                "Add a dead-letter queue to every {svc} queue",
                "A message rejected five times moves aside by itself",
                Systemic,
            ),
            (
                "Reject unparseable messages instead of crashing",
                "A malformed message in staging leaves consumers running",
                Tactical,
            ),
            (
                "Version the queue templates and audit existing queues",
                "Every queue shows its template version on the dashboard",
                Systemic,
            ),
            ("Alert on consumer restart loops", "A restart loop pages within 5 minutes", Tactical),
        ],
        learnings: [
            "One bad message can stop a whole fleet",
            "Standards need a way to reach what was built before them",
        ],
    },
    Theme {
        titles: ["Upstream provider timeouts degraded the {svc}", "External provider outage slowed the {svc}"],
        tags: &["third-party", "dependencies", "timeouts"],
        summary: "An external provider used by the {svc} slowed to 30-second responses; with no timeout budget, request threads piled up and the {svc} stopped answering.",
        timeline: [
            ("Provider latency started rising", Fact),
            ("Thread pool exhaustion alert fired for the {svc}", Signal),
            ("The provider's status page still showed all systems operational", Fact),
            ("Calls to the provider switched off with the fallback flag", Fact),
            ("Provider recovered; fallback flag switched back", Fact),
        ],
        whys: [
            ("Why did the {svc} stop answering?", "All request threads were waiting on the provider."),
            (
                "Why were threads waiting so long?",
                "Calls to the provider had a 60-second timeout and no circuit breaker.",
            ),
            (
                "Why were the timeout and the breaker missing?",
                "The client library defaults were kept when the integration was built.",
            ),
            (
                "Why were the defaults kept?",
                "There is no standard for calling external dependencies and no design step that checks for one.",
            ),
        ],
        factors: [
            (Technical, "No circuit breaker around the provider client"),
            (Technical, "A 60-second default timeout on a customer-facing path"),
            (Environmental, "The provider's status page lagged the outage by 40 minutes"),
        ],
        actions: [
            (
                "Wrap every external call of the {svc} in a circuit breaker",
                "A provider slowdown no longer exhausts request threads in the game day",
                Systemic,
            ),
            (
                "Set timeouts from a latency budget",
                "Every external call on a customer-facing path times out within 2 seconds",
                Tactical,
            ),
            (
                "Publish a standard for calling external dependencies",
                "New integrations pass the dependency checklist at design time",
                Systemic,
            ),
            ("Measure provider latency from our side", "Provider latency appears on the {svc} dashboard", Tactical),
        ],
        learnings: [
            "A dependency's status page is not a monitor",
            "Timeouts are a product decision, not a library default",
        ],
    },
    Theme {
        titles: ["DNS resolution errors for the {svc}", "Intermittent DNS errors broke the {svc}"],
        tags: &["dns", "network"],
        summary: "The DNS resolvers used by the {svc} hit their query rate limit after a change to connection pooling, and one in five lookups returned an error for 50 minutes.",
        timeline: [
            ("Connection pooling change deployed to the {svc}", Fact),
            ("Support escalated customer reports of connection errors", Signal),
            ("Resolver logs showed rate limiting", Fact),
            ("Pooling change rolled back", Fact),
            ("Lookup errors back to zero", Fact),
        ],
        whys: [
            ("Why did lookups return errors?", "The resolvers rate-limited the {svc}."),
            (
                "Why did the {svc} exceed the limit?",
                "The pooling change opened a new connection, with a fresh lookup, for every request.",
            ),
            (
                "Why was the extra lookup volume not caught before production?",
                "Staging uses a different resolver without rate limits.",
            ),
            (
                "Why does staging differ?",
                "The staging resolver setup was never brought in line with production after the network migration.",
            ),
        ],
        factors: [
            (Technical, "No local DNS cache on the {svc} hosts"),
            (Environmental, "Staging resolvers behave differently from production"),
            (Communication, "Support reports reached the owning team 20 minutes after they started"),
        ],
        actions: [
            ("Run a local DNS cache on every {svc} host", "Lookups per second to the resolvers drop by 90%", Systemic),
            (
                "Align the staging resolvers with production",
                "Staging and production resolver configs match in the drift report",
                Systemic,
            ),
            ("Alert on resolver rate limiting", "Rate limiting pages the network on-call within 5 minutes", Tactical),
            (
                "Route support escalations straight to the service channel",
                "Support escalations reach the owning team within 5 minutes",
                Tactical,
            ),
        ],
        learnings: [
            "A staging environment that differs from production hides whole classes of outages",
            "Connection reuse has costs beyond the connection itself",
        ],
    },
    Theme {
        titles: ["Disk full on the {svc} hosts", "Storage exhaustion stopped writes in the {svc}"],
        tags: &["disk", "storage", "capacity"],
        summary: "Debug logging left on after an investigation filled the disks of the {svc} hosts; writes were rejected until old logs were removed.",
        timeline: [
            ("Debug logging switched on for an investigation", Fact),
            ("Disk usage passed 90% on the first host", Fact),
            ("Write errors alert fired for the {svc}", Signal),
            ("Old logs removed and debug logging switched off", Fact),
            ("Writes succeeding on every host", Fact),
        ],
        whys: [
            ("Why were writes rejected?", "The disks of the {svc} hosts were full."),
            ("Why did the disks fill?", "Debug logging produced 40 times the usual log volume for a week."),
            ("Why did debug logging stay on for a week?", "Log levels changed at runtime have no expiry."),
            ("Why was the growth not noticed earlier?", "The disk usage alert threshold was 98%, too late to act on."),
        ],
        factors: [
            (Technical, "Runtime log level changes never expire"),
            (Technical, "The disk alert fires too late to act on"),
            (Process, "Investigations have no checklist for restoring temporary settings"),
        ],
        actions: [
            (
                "Make runtime log level changes expire after 24 hours",
                "A debug level set at runtime reverts by itself within a day",
                Systemic,
            ),
            (
                "Alert on disk usage trends instead of a fixed threshold",
                "A disk projected to fill within 48 hours pages its owner",
                Systemic,
            ),
            ("Ship {svc} logs off the hosts", "Host disks hold at most one day of logs", Tactical),
            ("Add log volume to the {svc} dashboard", "Log volume per host is visible on the dashboard", Tactical),
        ],
        learnings: [
            "Temporary changes need an expiry built in",
            "Trend alerts buy the time that threshold alerts do not",
        ],
    },
    Theme {
        titles: ["Memory leak restarts in the {svc}", "Out-of-memory restarts in the {svc}"],
        tags: &["memory", "kubernetes", "deploy"],
        summary: "A new release of the {svc} leaked memory on every request; pods ran out of memory and restarted every 40 minutes, losing requests in flight.",
        timeline: [
            ("Release with the new client library rolled out", Fact),
            ("Pod restart alert fired for the {svc}", Signal),
            ("A heap profile showed connection objects that were never released", Fact),
            ("Release rolled back", Fact),
            ("Memory usage flat for two hours", Fact),
        ],
        whys: [
            ("Why were pods restarting?", "They ran out of memory every 40 minutes."),
            ("Why did memory grow?", "The new client library kept a reference to every connection it opened."),
            (
                "Why did the leak reach production?",
                "Load tests run for 10 minutes, less than the time it takes to exhaust memory.",
            ),
            (
                "Why are the load tests that short?",
                "The load test stage was sized for build times, not for detecting slow resource leaks.",
            ),
        ],
        factors: [
            (Technical, "Load tests are too short to reveal slow leaks"),
            (Technical, "No memory growth alert before the out-of-memory kill"),
            (Process, "Library upgrades ship without a soak period"),
        ],
        actions: [
            ("Add a 2-hour soak test to the {svc} pipeline", "A leaking build is stopped at the soak stage", Systemic),
            ("Alert on memory growth per request", "Memory growth beyond baseline pages within 15 minutes", Tactical),
            (
                "Upgrade the client library to the fixed release",
                "Memory stays flat over 24 hours in production",
                Tactical,
            ),
            (
                "Add a soak period to library upgrades",
                "Library upgrades run a day in one region before the rest",
                Systemic,
            ),
        ],
        learnings: ["Short tests find fast breakage; slow leaks need soak time", "Restarts can hide a leak for days"],
    },
    Theme {
        titles: ["Schema migration locked tables of the {svc}", "Blocking migration stalled the {svc}"],
        tags: &["database", "migration", "deploy"],
        summary: "A schema migration of the {svc} added a column with a default to a large table and took an exclusive lock; writes queued for 25 minutes.",
        timeline: [
            ("Migration started as part of the release", Fact),
            ("Write latency alert fired for the {svc}", Signal),
            ("Lock waits observed on the main table", Fact),
            ("Migration cancelled and rescheduled", Fact),
            ("Writes flowing again", Fact),
        ],
        whys: [
            ("Why did writes stall?", "A migration held an exclusive lock on the main table."),
            (
                "Why did it take that lock?",
                "Adding a column with a default rewrote the whole table on this database version.",
            ),
            (
                "Why was the rewrite not expected?",
                "The migration linter does not know which operations rewrite tables.",
            ),
            (
                "Why does the linter not know?",
                "The linter has no owner, so new database behaviour never gets added to it.",
            ),
        ],
        factors: [
            (Technical, "The migration linter misses table-rewriting operations"),
            (Process, "Migrations run in the release, during business hours"),
            (Process, "The migration linter has no owning team"),
        ],
        actions: [
            (
                "Teach the migration linter about table-rewriting operations",
                "The linter rejects a column default that rewrites a large table",
                Systemic,
            ),
            (
                "Run large-table migrations in a separate scheduled step",
                "Migrations on tables over 10 GB run outside peak hours",
                Systemic,
            ),
            ("Set a lock timeout on migrations", "A migration waiting more than 5 seconds for a lock aborts", Tactical),
            ("Give the migration tooling an owning team", "The tooling has an owner in the service catalog", Tactical),
        ],
        learnings: [
            "The same SQL can be cheap or expensive depending on the database version",
            "Tools without owners stop learning",
        ],
    },
    Theme {
        titles: ["Cache stampede after a flush of the {svc} cache", "Cold cache overloaded the {svc} database"],
        tags: &["cache", "database", "latency"],
        summary: "A full flush of the {svc} cache sent every request to the database at once; the database saturated and requests timed out for 35 minutes.",
        timeline: [
            ("Full cache flush run to clear stale entries", Fact),
            ("Database CPU alert fired", Signal),
            ("Cache hit rate dropped to zero", Fact),
            ("Traffic rate-limited while the cache warmed", Fact),
            ("Hit rate back above 95%", Fact),
        ],
        whys: [
            ("Why did requests time out?", "The database was saturated by cache misses."),
            ("Why were there so many misses?", "The whole cache was flushed at once instead of the stale keys only."),
            ("Why was a full flush used?", "The admin tool offers only a full flush."),
            (
                "Why does the tool offer nothing finer?",
                "The tool was built for development and later used in production without changes.",
            ),
        ],
        factors: [
            (Technical, "No request coalescing on cache misses"),
            (Technical, "The admin tool offers only a full flush"),
            (Environmental, "The flush happened during the daily traffic peak"),
        ],
        actions: [
            (
                "Add request coalescing to the {svc} cache client",
                "A cold cache sends one database query per key",
                Systemic,
            ),
            (
                "Support flushing by key prefix in the admin tool",
                "Stale entries can be flushed without touching the others",
                Tactical,
            ),
            ("Warm the cache before it takes traffic", "Hit rate is above 80% within a minute of a flush", Systemic),
            (
                "Show the expected load before a full flush in production",
                "A full flush asks for confirmation with its projected load",
                Tactical,
            ),
        ],
        learnings: [
            "A cache is part of capacity, not only of speed",
            "Tools built for development need a design check before production use",
        ],
    },
    Theme {
        titles: [
            "Feature flag exposed an unfinished flow in the {svc}",
            "Flag rollout broke the {svc} for a customer segment",
        ],
        tags: &["feature-flags", "deploy", "config"],
        summary: "A feature flag for the {svc} was switched on for a whole customer segment instead of 1% of it, exposing a flow whose backend was not deployed yet.",
        timeline: [
            ("Flag targeting rule changed", Fact),
            ("Customer reports of errors in the new flow", Signal),
            ("Error rate by flag variant showed the cause", Fact),
            ("Flag switched off", Fact),
            ("Errors back to baseline", Fact),
        ],
        whys: [
            ("Why did customers see errors?", "They reached a flow whose backend was not deployed."),
            ("Why did they reach it?", "The flag targeted the whole segment instead of 1% of it."),
            (
                "Why was the targeting rule wrong?",
                "The percentage field and the segment field look alike in the flag tool, and nothing shows the audience size before saving.",
            ),
            (
                "Why is there no preview of the audience?",
                "The flag tool was adopted without the approval step we use for other production changes.",
            ),
        ],
        factors: [
            (Technical, "The flag tool does not show the audience size before saving"),
            (Technical, "The frontend flag does not check that the backend is deployed"),
            (Process, "Flag changes have no second approver"),
        ],
        actions: [
            (
                "Show the audience size before a flag change is saved",
                "Every flag change shows its audience before saving",
                Systemic,
            ),
            (
                "Require a second approver for flag changes over 5% of traffic",
                "Large flag changes carry a second approval",
                Systemic,
            ),
            (
                "Gate the new {svc} flow on a backend capability check",
                "The flow stays hidden while its backend is missing",
                Tactical,
            ),
            ("Alert on error rate by flag variant", "A broken variant pages within 5 minutes", Tactical),
        ],
        learnings: [
            "Feature flags are production changes",
            "Interfaces where two settings look alike make mix-ups easy",
        ],
    },
    Theme {
        titles: ["Rotated credentials broke the {svc}", "Credential rotation left the {svc} unable to authenticate"],
        tags: &["auth", "secrets", "security"],
        summary: "A scheduled rotation replaced the database credentials of the {svc}, but running instances kept the old ones cached; connections were refused once the old credentials were revoked.",
        timeline: [
            ("Scheduled credential rotation ran", Fact),
            ("Authentication errors alert fired for the {svc}", Signal),
            ("Instances found holding the revoked credentials", Fact),
            ("Instances restarted to load the new credentials", Fact),
            ("Connections succeeding on every instance", Fact),
        ],
        whys: [
            ("Why were connections refused?", "The {svc} used credentials that had just been revoked."),
            ("Why did it still hold them?", "It reads credentials once at start and caches them."),
            (
                "Why did the rotation not wait for the service?",
                "The rotation revokes old credentials at once instead of after a grace period.",
            ),
            (
                "Why is there no grace period?",
                "The rotation tool supports overlapping credentials, but the option is off by default.",
            ),
        ],
        factors: [
            (Technical, "The {svc} reads credentials only at start"),
            (Technical, "Rotation revokes old credentials without overlap"),
            (Communication, "Rotation schedules are not visible to service owners"),
        ],
        actions: [
            ("Reload credentials without a restart in the {svc}", "A rotation in staging causes no errors", Systemic),
            (
                "Enable overlapping credentials in the rotation tool",
                "Old credentials stay valid for an hour after rotation",
                Systemic,
            ),
            (
                "Publish the rotation schedule to owning teams",
                "Owners see upcoming rotations on their dashboard",
                Tactical,
            ),
            ("Alert on authentication errors per service", "Authentication errors page within 5 minutes", Tactical),
        ],
        learnings: [
            "Safe defaults matter most in tools that run unattended",
            "Caching a secret is caching a future outage",
        ],
    },
    Theme {
        titles: ["Scheduled job ran twice in the {svc}", "Duplicate scheduled jobs in the {svc}"],
        tags: &["cron", "data-integrity"],
        summary: "After a failover, two schedulers of the {svc} both ran the nightly job; about 3,000 customers received duplicate notifications and a batch of records was processed twice.",
        timeline: [
            ("Scheduler failover after host maintenance", Fact),
            ("Nightly job started on both schedulers", Fact),
            ("Support escalated reports of duplicate notifications", Signal),
            ("Second scheduler stopped", Fact),
            ("Duplicate records reconciled", Fact),
        ],
        whys: [
            ("Why did the job run twice?", "Two schedulers both believed they were the leader."),
            (
                "Why were there two leaders?",
                "The old scheduler kept its lock after the failover because the lock had no expiry.",
            ),
            (
                "Why does the lock have no expiry?",
                "The scheduler uses a homegrown lock instead of the coordination service.",
            ),
            (
                "Why is a second run harmful?",
                "Jobs are not required to be idempotent, so a second run repeats every side effect.",
            ),
        ],
        factors: [
            (Technical, "The scheduler's lock has no expiry"),
            (Technical, "The nightly job is not idempotent"),
            (Process, "The failover procedure does not verify that the old scheduler stopped"),
        ],
        actions: [
            (
                "Move the {svc} scheduler to leases from the coordination service",
                "Only one scheduler runs jobs in the failover drill",
                Systemic,
            ),
            ("Make the nightly job idempotent", "Running the job twice produces no duplicates in staging", Systemic),
            (
                "Make the failover tool verify a single active scheduler",
                "The failover tool refuses to finish with two schedulers running",
                Tactical,
            ),
            ("Deduplicate outgoing notifications by key", "A repeated notification within a day is dropped", Tactical),
        ],
        learnings: ["Anything that can run twice eventually will", "Leader election needs leases, not locks"],
    },
    Theme {
        titles: ["Network partition isolated a zone of the {svc}", "Zone outage degraded the {svc}"],
        tags: &["network", "multi-az", "failover"],
        summary: "A network partition cut one availability zone off; the {svc} kept routing a third of its traffic there because its health checks passed inside the zone.",
        timeline: [
            ("The cloud provider reported packet loss in one zone", Fact),
            ("Error rate for the {svc} rose to 33%", Signal),
            ("Health checks in the isolated zone still reported healthy", Fact),
            ("Zone drained from the load balancer", Fact),
            ("Partition healed; zone restored", Fact),
        ],
        whys: [
            (
                "Why did a third of requests return errors?",
                "The load balancer kept sending traffic to the isolated zone.",
            ),
            ("Why did it keep sending traffic?", "Health checks ran inside the zone and passed."),
            (
                "Why do health checks run only inside the zone?",
                "They check the process, not whether its dependencies are reachable.",
            ),
            ("Why were cross-zone checks never added?", "Zone outages were not in our list of tested failure modes."),
        ],
        factors: [
            (Technical, "Health checks do not cover dependency reachability"),
            (Environmental, "A provider network partition in one zone"),
            (Process, "Zone outages are not part of the game day scenarios"),
        ],
        actions: [
            (
                "Add dependency reachability to the {svc} health checks",
                "An isolated zone is drained automatically within 2 minutes",
                Systemic,
            ),
            (
                "Add zone isolation to the game day scenarios",
                "The game day drains a zone without customer impact",
                Systemic,
            ),
            (
                "Build a one-step zone drain in the load balancer tool",
                "A zone can be drained with one command",
                Tactical,
            ),
            ("Alert on error rate per zone", "A zone-specific error rise pages within 5 minutes", Tactical),
        ],
        learnings: [
            "Health checks that look inward miss the outages that matter",
            "Rehearsed outages are shorter outages",
        ],
    },
];

pub(super) const IMPACTS: &[&str] = &[
    "About {pct}% of requests to the {svc} returned errors or timed out for {minutes} minutes.",
    "Customers saw slow pages and some timeouts in the {svc} for {minutes} minutes; about {pct}% of sessions were affected.",
    "Roughly {pct}% of customers could not complete their task through the {svc} for {minutes} minutes; retries succeeded afterwards.",
];

pub(super) const NEAR_MISS_IMPACT: &str = "No customer impact: the problem was caught before it reached customers.";

pub(super) const WENT_WELL: &[&str] = &[
    "The on-call engineer was paged within minutes of the first alert",
    "The rollback took under five minutes",
    "The incident channel kept a clear running log",
    "Status page updates went out every 30 minutes",
    "Dashboards showed the affected dependency at a glance",
    "The handover between time zones was smooth",
    "The runbook for this kind of outage was accurate",
    "Support had a customer-facing message ready early",
    "A feature flag let us switch the path off without a deploy",
    "Two teams joined the call within ten minutes",
];

pub(super) const GOT_LUCKY: &[&str] = &[
    "It happened outside peak hours",
    "A large customer batch job was paused that day",
    "The engineer on call had worked on this component the week before",
    "Spare capacity from last month's load test was still provisioned",
    "A canary region caught it before the global rollout",
    "The nightly backup had finished minutes before",
];

pub(super) const LEARNINGS: &[&str] = &[
    "Alerts on symptoms reached us faster than alerts on causes",
    "Our dashboards assumed a single region",
    "Small config changes deserve the same pipeline as code",
    "Runbooks that are exercised in drills stay accurate",
    "Dependencies we do not own need explicit timeouts and budgets",
    "Capacity plans should include retry storms",
];

pub(super) const INFORMATION: &[&str] = &[
    "The error-rate dashboard and the deploy log",
    "Only customer reports; no alert had fired yet",
    "Latency graphs per region",
    "The dependency's status page, which showed green",
    "The on-call handbook for this service",
];

pub(super) const DECISIONS: &[&str] = &[
    "Roll back the last deploy",
    "Fail over to the secondary region",
    "Scale out the worker pool",
    "Switch the feature flag off",
    "Open an incident channel and page the owning team",
];

pub(super) const QUESTIONS: &[(&str, &str)] = &[
    (
        "Did the retry policy change in the last release?",
        "No: the retry policy and the timeouts were the same as in the release before.",
    ),
    (
        "Was the same alert firing in the other region?",
        "Yes, four minutes later; it was routed to a different channel.",
    ),
    ("Who approves changes to this shared config?", "The owning team; the approval is recorded in the change ticket."),
    ("Is there a load test for this path?", "Not yet; one is now part of the actions."),
    ("Did customers retry on their own?", "Most did; the retries doubled the load during the recovery."),
];

pub(super) const LINKS: &[(&str, &str)] = &[
    ("Incident channel log", "https://chat.example.com/archives/inc-{n}"),
    ("Service dashboard", "https://grafana.example.com/d/{slug}"),
    ("Change ticket", "https://tickets.example.com/browse/OPS-{n}"),
    ("Runbook", "https://wiki.example.com/runbooks/{slug}"),
];

pub(super) const EVIDENCE: &[&str] = &[
    "Merged in PR #{n}; the dashboard shows the metric holding for two weeks",
    "Deployed to every region; verified in the game day of week {w}",
    "Rolled out behind a flag and enabled for all customers; the alert fired correctly in the drill",
    "Ticket OPS-{n} closed with the test results attached",
    "Load test on staging passed at twice the peak traffic",
];

pub(super) const DROP_REASONS: &[&str] = &[
    "Superseded by the platform-wide move to the new load balancer",
    "Covered by another action of this review",
    "The component is being retired next quarter",
    "The cost outweighs the remaining risk now that the other actions have landed",
    "Duplicate of an action from an earlier review",
];

pub(super) const RESCHEDULE_REASONS: &[&str] = &[
    "Blocked on the vendor upgrade",
    "Waiting for the platform team's change window",
    "The scope grew after the design discussion",
    "Team capacity went to a higher-priority incident",
    "Pulled in after a near miss showed the risk was higher than thought",
];

pub(super) const DESCRIPTIONS: &[&str] = &[
    "Agreed in the review meeting; see the contributing factors for the reasoning.",
    "Design notes are linked from the review.",
    "Needs a short design discussion with the platform team first.",
];

pub(super) const SHORT_TERM_NOTES: &[&str] = &[
    "The actions are on track; the new alert fired once in staging and was correct.",
    "Two of the actions are done; the third waits for a vendor upgrade.",
    "No recurrence; the dashboards now show the dependency's health.",
];

pub(super) const LONG_TERM_NOTES: &[&str] = &[
    "No recurrence in three months; the drill confirmed the new path works.",
    "A similar incident happened in another service; the fix is being generalised.",
    "The guardrail stopped two risky changes since it shipped.",
];

/// `template` with `{svc}` replaced by the service name.
pub(super) fn fill(template: &str, service: &str) -> String {
    template.replace("{svc}", service)
}

#[cfg(test)]
mod tests {
    use super::*;
    use hindsight_api::domain::blameless;
    use hindsight_api::domain::incidents::normalize_tag;

    fn every_text() -> Vec<String> {
        let mut texts: Vec<String> = Vec::new();
        for theme in THEMES {
            for service in SERVICES {
                texts.extend(theme.titles.iter().map(|t| fill(t, service)));
                texts.push(fill(theme.summary, service));
                texts.extend(theme.timeline.iter().map(|(e, _)| fill(e, service)));
                for (q, a) in &theme.whys {
                    texts.push(fill(q, service));
                    texts.push(fill(a, service));
                }
                texts.extend(theme.factors.iter().map(|(_, f)| fill(f, service)));
                for (title, metric, _) in &theme.actions {
                    texts.push(fill(title, service));
                    texts.push(fill(metric, service));
                }
            }
            texts.extend(theme.learnings.iter().map(|l| l.to_string()));
        }
        let pools = [IMPACTS, WENT_WELL, GOT_LUCKY, LEARNINGS, INFORMATION, DECISIONS, EVIDENCE, DROP_REASONS];
        texts.extend(pools.iter().flat_map(|p| p.iter().map(|t| t.to_string())));
        texts.extend(
            [RESCHEDULE_REASONS, DESCRIPTIONS, SHORT_TERM_NOTES, LONG_TERM_NOTES]
                .iter()
                .flat_map(|p| p.iter().map(|t| t.to_string())),
        );
        texts.extend(QUESTIONS.iter().flat_map(|(q, a)| [q.to_string(), a.to_string()]));
        texts.push(NEAR_MISS_IMPACT.into());
        texts
    }

    #[test]
    fn every_text_is_blameless() {
        for text in every_text() {
            assert!(blameless::check(&text).is_empty(), "blame language in {text:?}: {:?}", blameless::check(&text));
            assert!(!blameless::names_human_error(&text), "{text}");
        }
    }

    #[test]
    fn no_text_names_a_person() {
        let people: Vec<String> = FIRST_NAMES.iter().map(|n| n.to_string()).collect();
        let all = every_text().join("\n");
        let found: Vec<String> =
            blameless::People::new(&people).in_text(&all, "x").into_iter().map(|f| f.text).collect();
        assert!(found.is_empty(), "first names in the texts: {found:?}");
    }

    #[test]
    fn tags_are_stored_as_written() {
        for tag in THEMES.iter().flat_map(|t| t.tags) {
            assert_eq!(normalize_tag("tags", tag).unwrap(), *tag);
        }
    }
}

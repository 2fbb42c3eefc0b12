//! The whole API through GraphQL, on SQLite by default and on PostgreSQL when
//! `TEST_DATABASE_URL` is set. Every test gets its own fresh database.

mod abuse;
mod actions;
mod analysis;
mod api_tokens;
mod concurrency;
mod coverage;
mod demo;
mod documented;
mod errors;
mod event_log;
mod faults;
mod fuzz;
mod harness;
mod http;
mod identity;
mod incidents;
mod learning;
mod limits;
mod live;
mod mail;
mod meeting;
mod metrics;
mod people;
mod performance;
mod probes;
mod reviews;
mod schema;
mod scripts;
mod seed;
mod sessions;
mod socket_controls;
mod teams;
mod tenancy;
mod throttle;
mod webhooks;

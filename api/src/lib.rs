//! Hindsight's API: configuration, storage, the rules of the domain and the GraphQL server.

pub mod app;
pub mod auth;
pub mod clock;
pub mod config;
pub mod cpu;
pub mod db;
pub mod domain;
pub mod error;
pub mod events;
pub mod graphql;
pub mod ids;
pub mod mail;
pub mod memory;
pub mod metrics;
pub mod state;
pub mod telemetry;
pub mod webhooks;

pub use app::Application;
pub use config::{Cli, Command, Config};
pub use error::{AppError, AppResult};
pub use state::AppState;

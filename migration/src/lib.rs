//! Schema migrations. Every migration runs on SQLite and PostgreSQL; timestamps are
//! `timestamptz` on PostgreSQL and are always written by the application in UTC.

pub use sea_orm_migration::prelude::*;

mod m20261122_000001_identity;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![Box::new(m20261122_000001_identity::Migration)]
    }
}

//! Schema migrations. Every migration runs on SQLite and PostgreSQL; timestamps are
//! `timestamptz` on PostgreSQL and are always written by the application in UTC.

pub use sea_orm_migration::prelude::*;

mod m20261122_000001_identity;
mod m20261122_000002_incidents_and_reviews;
mod m20261122_000003_actions_and_follow_ups;
mod m20261122_000004_acknowledgements;
mod m20261123_000005_live_notices;
mod m20261123_000006_auth_failures;
mod m20261123_000007_list_indexes;
mod m20261123_000008_open_action_indexes;
mod m20261130_000009_webhooks;
mod m20261130_000010_deadline_notices;
mod m20261130_000011_external_issues;
mod m20261201_000012_email;
mod m20261201_000013_analysis;
mod m20261201_000014_agenda;
mod m20261202_000015_meeting;
mod m20261202_000016_services;
mod m20261203_000017_learning;
mod m20261204_000018_event_sequence;
mod m20261205_000019_action_due_order;
mod m20261206_000020_next_follow_up;
mod m20261206_000021_search_vectors;
mod m20261207_000022_metric_counts;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_identity::Migration),
            Box::new(m20261122_000002_incidents_and_reviews::Migration),
            Box::new(m20261122_000003_actions_and_follow_ups::Migration),
            Box::new(m20261122_000004_acknowledgements::Migration),
            Box::new(m20261123_000005_live_notices::Migration),
            Box::new(m20261123_000006_auth_failures::Migration),
            Box::new(m20261123_000007_list_indexes::Migration),
            Box::new(m20261123_000008_open_action_indexes::Migration),
            Box::new(m20261130_000009_webhooks::Migration),
            Box::new(m20261130_000010_deadline_notices::Migration),
            Box::new(m20261130_000011_external_issues::Migration),
            Box::new(m20261201_000012_email::Migration),
            Box::new(m20261201_000013_analysis::Migration),
            Box::new(m20261201_000014_agenda::Migration),
            Box::new(m20261202_000015_meeting::Migration),
            Box::new(m20261202_000016_services::Migration),
            Box::new(m20261203_000017_learning::Migration),
            Box::new(m20261204_000018_event_sequence::Migration),
            Box::new(m20261205_000019_action_due_order::Migration),
            Box::new(m20261206_000020_next_follow_up::Migration),
            Box::new(m20261206_000021_search_vectors::Migration),
            Box::new(m20261207_000022_metric_counts::Migration),
        ]
    }
}

/// A foreign key from `from` (table, column) to `to`, deleting with its parent.
pub(crate) fn cascade(
    from: (impl IntoIden + Copy + 'static, impl IntoIden + Copy + 'static),
    to: (impl IntoIden + Copy + 'static, impl IntoIden + Copy + 'static),
) -> ForeignKeyCreateStatement {
    ForeignKey::create().from(from.0, from.1).to(to.0, to.1).on_delete(ForeignKeyAction::Cascade).to_owned()
}

/// Creates a (unique) index over `columns` of `table`.
pub(crate) async fn create_index<T, C>(
    manager: &SchemaManager<'_>,
    table: T,
    name: &str,
    columns: &[C],
    unique: bool,
) -> Result<(), DbErr>
where
    T: IntoIden + Copy + 'static,
    C: IntoIden + Copy + 'static,
{
    let mut index = Index::create();
    index.name(name).table(table);
    for column in columns {
        index.col(*column);
    }
    if unique {
        index.unique();
    }
    manager.create_index(index.to_owned()).await
}

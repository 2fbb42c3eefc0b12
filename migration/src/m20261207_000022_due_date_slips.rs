//! How many times each action's due date was moved later, kept on the action: the learning
//! metrics summed it from the due-date changes of the window's actions, a join over every change
//! of every organization (50–200 ms of a year's `learningMetrics` on PostgreSQL at 1,000,000
//! actions); kept on the action, it is summed in the pass over the actions the metrics make anyway.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Actions rescheduled before this migration: their moves to a later date.
const BACKFILL: &str = "UPDATE action SET due_date_slips = \
     (SELECT COUNT(*) FROM due_date_change d WHERE d.action_id = action.id AND d.to_date > d.from_date) \
     WHERE id IN (SELECT action_id FROM due_date_change WHERE to_date > from_date)";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter().table(Action::Table).add_column(integer(Action::DueDateSlips).default(0)).to_owned(),
            )
            .await?;
        manager.get_connection().execute_unprepared(BACKFILL).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.alter_table(Table::alter().table(Action::Table).drop_column(Action::DueDateSlips).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum Action {
    Table,
    DueDateSlips,
}

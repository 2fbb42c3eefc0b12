//! Counts the learning metrics sum, kept on the rows they belong to: how many times each action's
//! due date was moved later, and how many follow-ups each review has and how many of them found
//! the problem had come back. The metrics joined the window's actions to every due-date change
//! (50–200 ms of a year's `learningMetrics` on PostgreSQL at 1,000,000 actions) and the window's
//! reviews to their follow-ups (40–100 ms); kept on the rows, they are summed in the passes over
//! the actions and the reviews the metrics make anyway.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Actions rescheduled and follow-ups recorded before this migration.
const BACKFILL: &[&str] = &[
    "UPDATE action SET due_date_slips = \
     (SELECT COUNT(*) FROM due_date_change d WHERE d.action_id = action.id AND d.to_date > d.from_date) \
     WHERE id IN (SELECT action_id FROM due_date_change WHERE to_date > from_date)",
    "UPDATE review SET \
     follow_ups = (SELECT COUNT(*) FROM follow_up f WHERE f.review_id = review.id), \
     recurrences = (SELECT COUNT(*) FROM follow_up f WHERE f.review_id = review.id AND f.recurred) \
     WHERE id IN (SELECT review_id FROM follow_up)",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter().table(Action::Table).add_column(integer(Action::DueDateSlips).default(0)).to_owned(),
            )
            .await?;
        for column in [Review::FollowUps, Review::Recurrences] {
            manager
                .alter_table(Table::alter().table(Review::Table).add_column(integer(column).default(0)).to_owned())
                .await?;
        }
        for statement in BACKFILL {
            manager.get_connection().execute_unprepared(statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [Review::Recurrences, Review::FollowUps] {
            manager.alter_table(Table::alter().table(Review::Table).drop_column(column).to_owned()).await?;
        }
        manager.alter_table(Table::alter().table(Action::Table).drop_column(Action::DueDateSlips).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum Action {
    Table,
    DueDateSlips,
}

#[derive(DeriveIden, Clone, Copy)]
enum Review {
    Table,
    FollowUps,
    Recurrences,
}

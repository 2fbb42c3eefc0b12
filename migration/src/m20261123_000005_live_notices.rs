//! What the overdue scanner has already announced, so that every action becomes overdue, and
//! every follow-up falls due, exactly once, however many servers scan.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per ALTER TABLE.
        manager
            .alter_table(Table::alter().table(Action::Table).add_column(date_null(Action::OverdueNoticeFor)).to_owned())
            .await?;
        for column in [Review::FollowUpNoticeFor, Review::LongTermNoticeFor] {
            manager
                .alter_table(
                    Table::alter().table(Review::Table).add_column(timestamp_with_time_zone_null(column)).to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [Review::FollowUpNoticeFor, Review::LongTermNoticeFor] {
            manager.alter_table(Table::alter().table(Review::Table).drop_column(column).to_owned()).await?;
        }
        manager.alter_table(Table::alter().table(Action::Table).drop_column(Action::OverdueNoticeFor).to_owned()).await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Action {
    Table,
    /// The due date the action was last announced overdue for.
    OverdueNoticeFor,
}

#[derive(DeriveIden, Clone, Copy)]
enum Review {
    Table,
    /// The follow-up date last announced as due.
    FollowUpNoticeFor,
    /// The long-term review date last announced as due.
    LongTermNoticeFor,
}

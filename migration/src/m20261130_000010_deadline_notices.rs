//! Deadline nudges: when a review must be published, the policy's windows, and what the
//! scanner has already announced (a review due soon or late, a publication late, an action due
//! soon), so that each is announced once per object and date.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

const REVIEW_STAMPS: [Review; 4] =
    [Review::PublishDueAt, Review::DueSoonNoticeFor, Review::LateNoticeFor, Review::PublishLateNoticeFor];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per ALTER TABLE.
        for column in REVIEW_STAMPS {
            manager
                .alter_table(
                    Table::alter().table(Review::Table).add_column(timestamp_with_time_zone_null(column)).to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(Table::alter().table(Action::Table).add_column(date_null(Action::DueSoonNoticeFor)).to_owned())
            .await?;
        for (column, default) in [(ReviewPolicy::PublishWithinDays, 7), (ReviewPolicy::ActionDueSoonDays, 3)] {
            manager
                .alter_table(
                    Table::alter().table(ReviewPolicy::Table).add_column(integer(column).default(default)).to_owned(),
                )
                .await?;
        }
        // Meeting deadlines already past count as announced: an upgrade does not send a burst
        // of REVIEW_LATE about reviews long overdue (SQLite compares the stored text, which is
        // right to the day). Their publication deadline stays unknown: the policy's window did
        // not exist when they were resolved. Actions need nothing: only those still ahead of
        // their date are announced due soon.
        manager
            .get_connection()
            .execute_unprepared(
                "UPDATE review SET due_soon_notice_for = due_at, late_notice_for = due_at \
                 WHERE due_at IS NOT NULL AND due_at < CURRENT_TIMESTAMP",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [ReviewPolicy::PublishWithinDays, ReviewPolicy::ActionDueSoonDays] {
            manager.alter_table(Table::alter().table(ReviewPolicy::Table).drop_column(column).to_owned()).await?;
        }
        manager
            .alter_table(Table::alter().table(Action::Table).drop_column(Action::DueSoonNoticeFor).to_owned())
            .await?;
        for column in REVIEW_STAMPS {
            manager.alter_table(Table::alter().table(Review::Table).drop_column(column).to_owned()).await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Review {
    Table,
    /// When the review must be published: resolution + the policy's `publishWithinDays`.
    PublishDueAt,
    /// The meeting deadline last announced as near.
    DueSoonNoticeFor,
    /// The meeting deadline last announced as passed.
    LateNoticeFor,
    /// The publication deadline last announced as passed.
    PublishLateNoticeFor,
}

#[derive(DeriveIden, Clone, Copy)]
enum Action {
    Table,
    /// The due date the action was last announced as near.
    DueSoonNoticeFor,
}

#[derive(DeriveIden, Clone, Copy)]
enum ReviewPolicy {
    Table,
    PublishWithinDays,
    ActionDueSoonDays,
}

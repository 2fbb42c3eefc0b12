//! The review meeting's agenda: the minutes of its five phases and the organization's opening
//! statement, in the review policy.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [json_binary_null(ReviewPolicy::AgendaMinutes), text_null(ReviewPolicy::OpeningStatement)] {
            let mut column = column;
            manager.alter_table(Table::alter().table(ReviewPolicy::Table).add_column(&mut column).to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [ReviewPolicy::OpeningStatement, ReviewPolicy::AgendaMinutes] {
            manager.alter_table(Table::alter().table(ReviewPolicy::Table).drop_column(column).to_owned()).await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum ReviewPolicy {
    Table,
    /// Minutes of the opening, timeline, analysis, actions and closing, as a JSON array; none
    /// for the default (5, 30, 30, 20, 5).
    AgendaMinutes,
    /// What the facilitator reads to open the meeting; none for the default.
    OpeningStatement,
}

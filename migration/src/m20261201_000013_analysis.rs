//! The analysis as the practice describes it: what each contributing factor did, what people
//! believed at each moment of the timeline, and a review's areas for improvement.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(ContributingFactor::Table)
                    .add_column(string_len_null(ContributingFactor::Effect, 24))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter().table(TimelineEntry::Table).add_column(text_null(TimelineEntry::Assumption)).to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Review::Table)
                    .add_column(json_binary_null(Review::AreasForImprovement))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(Table::alter().table(Review::Table).drop_column(Review::AreasForImprovement).to_owned())
            .await?;
        manager
            .alter_table(Table::alter().table(TimelineEntry::Table).drop_column(TimelineEntry::Assumption).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter().table(ContributingFactor::Table).drop_column(ContributingFactor::Effect).to_owned(),
            )
            .await?;
        Ok(())
    }
}

#[derive(DeriveIden)]
enum ContributingFactor {
    Table,
    /// `TRIGGERED`, `MADE_WORSE`, `DELAYED_DETECTION` or `DELAYED_RECOVERY`; none when not said.
    Effect,
}

#[derive(DeriveIden)]
enum TimelineEntry {
    Table,
    /// What people reasonably believed at the time.
    Assumption,
}

#[derive(DeriveIden)]
enum Review {
    Table,
    /// A JSON array of texts; none for reviews written before it existed.
    AreasForImprovement,
}

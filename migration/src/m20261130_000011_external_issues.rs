//! An action's issue in the team's tracker (Jira, Linear, GitHub, …), found by provider and key.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per ALTER TABLE.
        for column in [
            string_len_null(Action::ExternalProvider, 40),
            string_len_null(Action::ExternalKey, 200),
            text_null(Action::ExternalUrl),
        ] {
            manager.alter_table(Table::alter().table(Action::Table).add_column(column).to_owned()).await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("idx_action_external_issue")
                    .table(Action::Table)
                    .col(Action::OrganizationId)
                    .col(Action::ExternalProvider)
                    .col(Action::ExternalKey)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_index(Index::drop().name("idx_action_external_issue").table(Action::Table).to_owned()).await?;
        for column in [Action::ExternalProvider, Action::ExternalKey, Action::ExternalUrl] {
            manager.alter_table(Table::alter().table(Action::Table).drop_column(column).to_owned()).await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Action {
    Table,
    OrganizationId,
    ExternalProvider,
    ExternalKey,
    ExternalUrl,
}

//! Failed credential checks, counted per account and per client address to slow down guessing.

use sea_orm_migration::{prelude::*, schema::*};

use crate::create_index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AuthFailure::Table)
                    .col(uuid(AuthFailure::Id).primary_key())
                    .col(string_len(AuthFailure::Key, 320))
                    .col(timestamp_with_time_zone(AuthFailure::FailedAt))
                    .to_owned(),
            )
            .await?;
        create_index(
            manager,
            AuthFailure::Table,
            "idx_auth_failure_key_at",
            &[AuthFailure::Key, AuthFailure::FailedAt],
            false,
        )
        .await?;
        create_index(manager, AuthFailure::Table, "idx_auth_failure_at", &[AuthFailure::FailedAt], false).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(AuthFailure::Table).to_owned()).await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum AuthFailure {
    Table,
    Id,
    /// What was guessed at: `login:account:<email>`, `login:address:<ip>`, …
    Key,
    FailedAt,
}

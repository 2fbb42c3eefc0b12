//! Acknowledgements of published learnings, and the searchable text of published reviews.

use sea_orm_migration::sea_orm::DatabaseBackend;
use sea_orm_migration::{prelude::*, schema::*};

use crate::{cascade, create_index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Acknowledgement::Table)
                    .col(uuid(Acknowledgement::ReviewId))
                    .col(uuid(Acknowledgement::UserId))
                    .col(timestamp_with_time_zone(Acknowledgement::CreatedAt))
                    .primary_key(Index::create().col(Acknowledgement::ReviewId).col(Acknowledgement::UserId))
                    .foreign_key(&mut cascade(
                        (Acknowledgement::Table, Acknowledgement::ReviewId),
                        (Review::Table, Review::Id),
                    ))
                    .foreign_key(&mut cascade(
                        (Acknowledgement::Table, Acknowledgement::UserId),
                        (AppUser::Table, AppUser::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        create_index(manager, Acknowledgement::Table, "idx_acknowledgement_user", &[Acknowledgement::UserId], false)
            .await?;
        create_index(
            manager,
            Review::Table,
            "idx_review_org_published",
            &[Review::OrganizationId, Review::PublishedAt],
            false,
        )
        .await?;
        manager
            .alter_table(Table::alter().table(Review::Table).add_column(text_null(Review::SearchText)).to_owned())
            .await?;
        if manager.get_database_backend() == DatabaseBackend::Postgres {
            manager
                .get_connection()
                .execute_unprepared(
                    "CREATE INDEX idx_review_search ON review \
                     USING GIN (to_tsvector('english', coalesce(search_text, '')))",
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DatabaseBackend::Postgres {
            manager.get_connection().execute_unprepared("DROP INDEX idx_review_search").await?;
        }
        manager.alter_table(Table::alter().table(Review::Table).drop_column(Review::SearchText).to_owned()).await?;
        manager.drop_index(Index::drop().name("idx_review_org_published").table(Review::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(Acknowledgement::Table).to_owned()).await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum AppUser {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum Review {
    Table,
    Id,
    OrganizationId,
    PublishedAt,
    SearchText,
}

#[derive(DeriveIden, Clone, Copy)]
enum Acknowledgement {
    Table,
    ReviewId,
    UserId,
    CreatedAt,
}

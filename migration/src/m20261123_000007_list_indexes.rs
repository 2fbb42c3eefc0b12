//! Indexes the access rules of list queries need: "reviews I facilitate" is one of the ways a
//! viewer reads an incident, a review and its actions.

use sea_orm_migration::prelude::*;

use crate::create_index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_index(manager, Review::Table, "idx_review_facilitator", &[Review::FacilitatorId], false).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_index(Index::drop().name("idx_review_facilitator").table(Review::Table).to_owned()).await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Review {
    Table,
    FacilitatorId,
}

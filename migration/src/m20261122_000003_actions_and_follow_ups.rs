//! Actions with their due-date history, and follow-up reviews.

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
                    .table(Action::Table)
                    .col(pk_uuid(Action::Id))
                    .col(uuid(Action::OrganizationId))
                    .col(uuid(Action::ReviewId))
                    .col(uuid(Action::TeamId))
                    .col(string_len(Action::Title, 200))
                    .col(text_null(Action::Description))
                    .col(uuid(Action::OwnerId))
                    .col(date(Action::DueDate))
                    .col(text(Action::SuccessMetric))
                    .col(string_len(Action::Kind, 16))
                    .col(integer(Action::Priority))
                    .col(string_len(Action::Status, 16))
                    .col(timestamp_with_time_zone_null(Action::StartedAt))
                    .col(timestamp_with_time_zone_null(Action::CompletedAt))
                    .col(text_null(Action::Evidence))
                    .col(text_null(Action::DropReason))
                    .col(uuid(Action::CreatedBy))
                    .col(integer(Action::Version))
                    .col(timestamp_with_time_zone(Action::CreatedAt))
                    .col(timestamp_with_time_zone(Action::UpdatedAt))
                    .foreign_key(&mut cascade(
                        (Action::Table, Action::OrganizationId),
                        (Organization::Table, Organization::Id),
                    ))
                    .foreign_key(&mut cascade((Action::Table, Action::ReviewId), (Review::Table, Review::Id)))
                    .foreign_key(&mut cascade((Action::Table, Action::TeamId), (Team::Table, Team::Id)))
                    .foreign_key(&mut cascade((Action::Table, Action::OwnerId), (AppUser::Table, AppUser::Id)))
                    .to_owned(),
            )
            .await?;
        // The overdue and list queries: by organization, team or owner, live ones by due date.
        create_index(
            manager,
            Action::Table,
            "idx_action_org_status_due",
            &[Action::OrganizationId, Action::Status, Action::DueDate, Action::Id],
            false,
        )
        .await?;
        create_index(
            manager,
            Action::Table,
            "idx_action_team_status_due",
            &[Action::TeamId, Action::Status, Action::DueDate, Action::Id],
            false,
        )
        .await?;
        create_index(
            manager,
            Action::Table,
            "idx_action_owner_status_due",
            &[Action::OwnerId, Action::Status, Action::DueDate, Action::Id],
            false,
        )
        .await?;
        create_index(
            manager,
            Action::Table,
            "idx_action_review_priority",
            &[Action::ReviewId, Action::Priority],
            false,
        )
        .await?;
        create_index(
            manager,
            Action::Table,
            "idx_action_org_created",
            &[Action::OrganizationId, Action::CreatedAt],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(DueDateChange::Table)
                    .col(pk_uuid(DueDateChange::Id))
                    .col(uuid(DueDateChange::ActionId))
                    .col(date(DueDateChange::FromDate))
                    .col(date(DueDateChange::ToDate))
                    .col(text(DueDateChange::Reason))
                    .col(uuid(DueDateChange::ChangedBy))
                    .col(timestamp_with_time_zone(DueDateChange::ChangedAt))
                    .foreign_key(&mut cascade(
                        (DueDateChange::Table, DueDateChange::ActionId),
                        (Action::Table, Action::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        create_index(
            manager,
            DueDateChange::Table,
            "idx_due_date_change_action",
            &[DueDateChange::ActionId, DueDateChange::ChangedAt],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(FollowUp::Table)
                    .col(pk_uuid(FollowUp::Id))
                    .col(uuid(FollowUp::ReviewId))
                    .col(string_len(FollowUp::Kind, 16))
                    .col(text(FollowUp::Notes))
                    .col(string_len(FollowUp::ActionsEffective, 8))
                    .col(boolean(FollowUp::Recurred))
                    .col(uuid(FollowUp::RecordedBy))
                    .col(timestamp_with_time_zone(FollowUp::CreatedAt))
                    .foreign_key(&mut cascade((FollowUp::Table, FollowUp::ReviewId), (Review::Table, Review::Id)))
                    .to_owned(),
            )
            .await?;
        create_index(manager, FollowUp::Table, "uq_follow_up_review_kind", &[FollowUp::ReviewId, FollowUp::Kind], true)
            .await?;
        create_index(
            manager,
            Review::Table,
            "idx_review_org_follow_up",
            &[Review::OrganizationId, Review::FollowUpAt],
            false,
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_index(Index::drop().name("idx_review_org_follow_up").table(Review::Table).to_owned()).await?;
        for table in [FollowUp::Table.into_iden(), DueDateChange::Table.into_iden(), Action::Table.into_iden()] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Organization {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum AppUser {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum Team {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum Review {
    Table,
    Id,
    OrganizationId,
    FollowUpAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Action {
    Table,
    Id,
    OrganizationId,
    ReviewId,
    TeamId,
    Title,
    Description,
    OwnerId,
    DueDate,
    SuccessMetric,
    Kind,
    Priority,
    Status,
    StartedAt,
    CompletedAt,
    Evidence,
    DropReason,
    CreatedBy,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum DueDateChange {
    Table,
    Id,
    ActionId,
    FromDate,
    ToDate,
    Reason,
    ChangedBy,
    ChangedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum FollowUp {
    Table,
    Id,
    ReviewId,
    Kind,
    Notes,
    ActionsEffective,
    Recurred,
    RecordedBy,
    CreatedAt,
}

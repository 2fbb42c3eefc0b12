//! Webhooks and their outbox of deliveries.

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
                    .table(Webhook::Table)
                    .col(pk_uuid(Webhook::Id))
                    .col(uuid(Webhook::OrganizationId))
                    .col(uuid_null(Webhook::TeamId))
                    .col(text(Webhook::Url))
                    .col(text_null(Webhook::Description))
                    .col(json_binary(Webhook::EventKinds))
                    .col(boolean(Webhook::Active))
                    .col(text(Webhook::Secret))
                    .col(text_null(Webhook::PreviousSecret))
                    .col(timestamp_with_time_zone_null(Webhook::PreviousSecretUntil))
                    .col(big_integer(Webhook::Cursor))
                    .col(timestamp_with_time_zone_null(Webhook::FailingSince))
                    .col(uuid(Webhook::CreatedBy))
                    .col(timestamp_with_time_zone(Webhook::CreatedAt))
                    .col(timestamp_with_time_zone(Webhook::UpdatedAt))
                    .foreign_key(&mut cascade(
                        (Webhook::Table, Webhook::OrganizationId),
                        (Organization::Table, Organization::Id),
                    ))
                    .foreign_key(&mut cascade((Webhook::Table, Webhook::TeamId), (Team::Table, Team::Id)))
                    .to_owned(),
            )
            .await?;
        create_index(manager, Webhook::Table, "idx_webhook_org", &[Webhook::OrganizationId, Webhook::Id], false)
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(WebhookDelivery::Table)
                    .col(pk_uuid(WebhookDelivery::Id))
                    .col(uuid(WebhookDelivery::WebhookId))
                    .col(uuid(WebhookDelivery::OrganizationId))
                    .col(string_len(WebhookDelivery::MessageId, 64))
                    .col(big_integer_null(WebhookDelivery::EventId))
                    .col(string_len(WebhookDelivery::EventType, 64))
                    .col(text(WebhookDelivery::Body))
                    .col(string_len(WebhookDelivery::Status, 16))
                    .col(integer(WebhookDelivery::Attempts))
                    .col(timestamp_with_time_zone_null(WebhookDelivery::NextAttemptAt))
                    .col(timestamp_with_time_zone_null(WebhookDelivery::LockedUntil))
                    .col(integer_null(WebhookDelivery::ResponseStatus))
                    .col(text_null(WebhookDelivery::LastError))
                    .col(timestamp_with_time_zone(WebhookDelivery::CreatedAt))
                    .col(timestamp_with_time_zone(WebhookDelivery::UpdatedAt))
                    .foreign_key(&mut cascade(
                        (WebhookDelivery::Table, WebhookDelivery::WebhookId),
                        (Webhook::Table, Webhook::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        // A webhook's deliveries, newest first (and by status); the outbox's due messages.
        create_index(
            manager,
            WebhookDelivery::Table,
            "idx_webhook_delivery_webhook",
            &[WebhookDelivery::WebhookId, WebhookDelivery::Id],
            false,
        )
        .await?;
        create_index(
            manager,
            WebhookDelivery::Table,
            "idx_webhook_delivery_due",
            &[WebhookDelivery::Status, WebhookDelivery::NextAttemptAt],
            false,
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(WebhookDelivery::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(Webhook::Table).to_owned()).await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Organization {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum Team {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum Webhook {
    Table,
    Id,
    OrganizationId,
    TeamId,
    Url,
    Description,
    EventKinds,
    Active,
    Secret,
    PreviousSecret,
    PreviousSecretUntil,
    Cursor,
    FailingSince,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum WebhookDelivery {
    Table,
    Id,
    WebhookId,
    OrganizationId,
    MessageId,
    EventId,
    EventType,
    Body,
    Status,
    Attempts,
    NextAttemptAt,
    LockedUntil,
    ResponseStatus,
    LastError,
    CreatedAt,
    UpdatedAt,
}

//! The service catalog: what an organization runs, who owns it, how critical it is, and which
//! services each incident touched.

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
                    .table(Service::Table)
                    .col(pk_uuid(Service::Id))
                    .col(uuid(Service::OrganizationId))
                    .col(string_len(Service::Name, 120))
                    .col(string_len(Service::NameKey, 120))
                    .col(text_null(Service::Description))
                    .col(uuid(Service::OwnerTeamId))
                    .col(integer(Service::Tier))
                    .col(timestamp_with_time_zone_null(Service::ArchivedAt))
                    .col(timestamp_with_time_zone(Service::CreatedAt))
                    .col(timestamp_with_time_zone(Service::UpdatedAt))
                    .foreign_key(&mut cascade(
                        (Service::Table, Service::OrganizationId),
                        (Organization::Table, Organization::Id),
                    ))
                    .foreign_key(&mut cascade((Service::Table, Service::OwnerTeamId), (Team::Table, Team::Id)))
                    .to_owned(),
            )
            .await?;
        create_index(manager, Service::Table, "idx_service_name", &[Service::OrganizationId, Service::NameKey], true)
            .await?;
        create_index(manager, Service::Table, "idx_service_owner", &[Service::OwnerTeamId, Service::NameKey], false)
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(IncidentService::Table)
                    .col(uuid(IncidentService::IncidentId))
                    .col(uuid(IncidentService::ServiceId))
                    .primary_key(Index::create().col(IncidentService::IncidentId).col(IncidentService::ServiceId))
                    .foreign_key(&mut cascade(
                        (IncidentService::Table, IncidentService::IncidentId),
                        (Incident::Table, Incident::Id),
                    ))
                    .foreign_key(&mut cascade(
                        (IncidentService::Table, IncidentService::ServiceId),
                        (Service::Table, Service::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        create_index(
            manager,
            IncidentService::Table,
            "idx_incident_service_service",
            &[IncidentService::ServiceId],
            false,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(IncidentService::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(Service::Table).to_owned()).await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Service {
    Table,
    Id,
    OrganizationId,
    Name,
    /// The name in lower case: names are unique per organization regardless of case.
    NameKey,
    Description,
    OwnerTeamId,
    /// 1 (most critical) to 4.
    Tier,
    ArchivedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum IncidentService {
    Table,
    IncidentId,
    ServiceId,
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
enum Incident {
    Table,
    Id,
}

//! Organizations, users, invitations, teams, memberships, API and refresh tokens, and the event log.

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
                    .table(Organization::Table)
                    .col(pk_uuid(Organization::Id))
                    .col(string_len(Organization::Name, 200))
                    .col(string_len_uniq(Organization::Slug, 80))
                    .col(timestamp_with_time_zone(Organization::CreatedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(AppUser::Table)
                    .col(pk_uuid(AppUser::Id))
                    .col(uuid(AppUser::OrganizationId))
                    .col(string_len_uniq(AppUser::Email, 320))
                    .col(string_len(AppUser::DisplayName, 200))
                    .col(string_len(AppUser::PasswordHash, 200))
                    .col(string_len(AppUser::Role, 16))
                    .col(boolean(AppUser::Active))
                    .col(integer(AppUser::TokenVersion))
                    .col(timestamp_with_time_zone(AppUser::CreatedAt))
                    .col(timestamp_with_time_zone(AppUser::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(AppUser::Table, AppUser::OrganizationId)
                            .to(Organization::Table, Organization::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        create_index(
            manager,
            AppUser::Table,
            "idx_app_user_org_email",
            &[AppUser::OrganizationId, AppUser::Email],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Invitation::Table)
                    .col(pk_uuid(Invitation::Id))
                    .col(uuid(Invitation::OrganizationId))
                    .col(string_len(Invitation::Email, 320))
                    .col(string_len(Invitation::Role, 16))
                    .col(string_len_uniq(Invitation::TokenHash, 64))
                    .col(uuid(Invitation::InvitedBy))
                    .col(timestamp_with_time_zone(Invitation::ExpiresAt))
                    .col(timestamp_with_time_zone_null(Invitation::AcceptedAt))
                    .col(timestamp_with_time_zone_null(Invitation::RevokedAt))
                    .col(timestamp_with_time_zone(Invitation::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Invitation::Table, Invitation::OrganizationId)
                            .to(Organization::Table, Organization::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Invitation::Table, Invitation::InvitedBy)
                            .to(AppUser::Table, AppUser::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        create_index(
            manager,
            Invitation::Table,
            "idx_invitation_org_email",
            &[Invitation::OrganizationId, Invitation::Email],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Team::Table)
                    .col(pk_uuid(Team::Id))
                    .col(uuid(Team::OrganizationId))
                    .col(string_len(Team::Name, 200))
                    .col(string_len(Team::Slug, 80))
                    .col(text_null(Team::Description))
                    .col(timestamp_with_time_zone(Team::CreatedAt))
                    .col(timestamp_with_time_zone(Team::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Team::Table, Team::OrganizationId)
                            .to(Organization::Table, Organization::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        create_index(manager, Team::Table, "uq_team_org_slug", &[Team::OrganizationId, Team::Slug], true).await?;

        manager
            .create_table(
                Table::create()
                    .table(Membership::Table)
                    .col(pk_uuid(Membership::Id))
                    .col(uuid(Membership::TeamId))
                    .col(uuid(Membership::UserId))
                    .col(string_len(Membership::Role, 16))
                    .col(timestamp_with_time_zone(Membership::CreatedAt))
                    .col(timestamp_with_time_zone(Membership::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Membership::Table, Membership::TeamId)
                            .to(Team::Table, Team::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Membership::Table, Membership::UserId)
                            .to(AppUser::Table, AppUser::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        create_index(
            manager,
            Membership::Table,
            "uq_membership_team_user",
            &[Membership::TeamId, Membership::UserId],
            true,
        )
        .await?;
        create_index(manager, Membership::Table, "idx_membership_user", &[Membership::UserId], false).await?;

        manager
            .create_table(
                Table::create()
                    .table(ApiToken::Table)
                    .col(pk_uuid(ApiToken::Id))
                    .col(uuid(ApiToken::OrganizationId))
                    .col(uuid(ApiToken::UserId))
                    .col(string_len(ApiToken::Name, 200))
                    .col(string_len(ApiToken::Scope, 16))
                    .col(string_len_uniq(ApiToken::SecretHash, 64))
                    .col(timestamp_with_time_zone_null(ApiToken::ExpiresAt))
                    .col(timestamp_with_time_zone_null(ApiToken::LastUsedAt))
                    .col(timestamp_with_time_zone_null(ApiToken::RevokedAt))
                    .col(timestamp_with_time_zone(ApiToken::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ApiToken::Table, ApiToken::UserId)
                            .to(AppUser::Table, AppUser::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        create_index(manager, ApiToken::Table, "idx_api_token_user", &[ApiToken::UserId], false).await?;

        manager
            .create_table(
                Table::create()
                    .table(RefreshToken::Table)
                    .col(pk_uuid(RefreshToken::Id))
                    .col(uuid(RefreshToken::UserId))
                    .col(uuid(RefreshToken::FamilyId))
                    .col(string_len_uniq(RefreshToken::TokenHash, 64))
                    .col(integer(RefreshToken::TokenVersion))
                    .col(timestamp_with_time_zone(RefreshToken::ExpiresAt))
                    .col(timestamp_with_time_zone_null(RefreshToken::UsedAt))
                    .col(timestamp_with_time_zone_null(RefreshToken::RevokedAt))
                    .col(timestamp_with_time_zone(RefreshToken::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(RefreshToken::Table, RefreshToken::UserId)
                            .to(AppUser::Table, AppUser::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        create_index(manager, RefreshToken::Table, "idx_refresh_token_family", &[RefreshToken::FamilyId], false)
            .await?;
        create_index(manager, RefreshToken::Table, "idx_refresh_token_user", &[RefreshToken::UserId], false).await?;

        manager
            .create_table(
                Table::create()
                    .table(Event::Table)
                    .col(big_pk_auto(Event::Id))
                    .col(uuid(Event::OrganizationId))
                    .col(uuid_null(Event::ActorId))
                    .col(string_len(Event::Kind, 64))
                    .col(string_len(Event::SubjectId, 120))
                    .col(json_binary(Event::Payload))
                    .col(timestamp_with_time_zone(Event::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Event::Table, Event::OrganizationId)
                            .to(Organization::Table, Organization::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        create_index(manager, Event::Table, "idx_event_org_id", &[Event::OrganizationId, Event::Id], false).await?;
        create_index(manager, Event::Table, "idx_event_subject", &[Event::SubjectId, Event::Id], false).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Event::Table.into_iden(),
            RefreshToken::Table.into_iden(),
            ApiToken::Table.into_iden(),
            Membership::Table.into_iden(),
            Team::Table.into_iden(),
            Invitation::Table.into_iden(),
            AppUser::Table.into_iden(),
            Organization::Table.into_iden(),
        ] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Organization {
    Table,
    Id,
    Name,
    Slug,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum AppUser {
    Table,
    Id,
    OrganizationId,
    Email,
    DisplayName,
    PasswordHash,
    Role,
    Active,
    TokenVersion,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Invitation {
    Table,
    Id,
    OrganizationId,
    Email,
    Role,
    TokenHash,
    InvitedBy,
    ExpiresAt,
    AcceptedAt,
    RevokedAt,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Team {
    Table,
    Id,
    OrganizationId,
    Name,
    Slug,
    Description,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Membership {
    Table,
    Id,
    TeamId,
    UserId,
    Role,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum ApiToken {
    Table,
    Id,
    OrganizationId,
    UserId,
    Name,
    Scope,
    SecretHash,
    ExpiresAt,
    LastUsedAt,
    RevokedAt,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum RefreshToken {
    Table,
    Id,
    UserId,
    FamilyId,
    TokenHash,
    TokenVersion,
    ExpiresAt,
    UsedAt,
    RevokedAt,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Event {
    Table,
    Id,
    OrganizationId,
    ActorId,
    Kind,
    SubjectId,
    Payload,
    CreatedAt,
}

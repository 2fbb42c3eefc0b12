//! Incidents, review policies, reviews and everything a review holds.

use sea_orm_migration::{prelude::*, schema::*};

use crate::{cascade as fk, create_index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ReviewPolicy::Table)
                    .col(uuid(ReviewPolicy::OrganizationId).primary_key())
                    .col(json_binary(ReviewPolicy::RequiredSeverities))
                    .col(boolean(ReviewPolicy::ReviewNearMisses))
                    .col(integer(ReviewPolicy::ReviewDeadlineHours))
                    .col(integer(ReviewPolicy::MinActions))
                    .col(integer(ReviewPolicy::MaxActions))
                    .col(integer(ReviewPolicy::MinWhys))
                    .col(integer(ReviewPolicy::MaxActionDueDays))
                    .col(integer(ReviewPolicy::FollowUpDays))
                    .col(integer(ReviewPolicy::LongTermReviewDays))
                    .col(timestamp_with_time_zone(ReviewPolicy::UpdatedAt))
                    .foreign_key(&mut fk(
                        (ReviewPolicy::Table, ReviewPolicy::OrganizationId),
                        (Organization::Table, Organization::Id),
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Incident::Table)
                    .col(pk_uuid(Incident::Id))
                    .col(uuid(Incident::OrganizationId))
                    .col(uuid(Incident::TeamId))
                    .col(string_len(Incident::Title, 200))
                    .col(text_null(Incident::Summary))
                    .col(string_len(Incident::Severity, 8))
                    .col(string_len(Incident::Status, 16))
                    .col(boolean(Incident::NearMiss))
                    .col(text_null(Incident::CustomerImpact))
                    .col(timestamp_with_time_zone(Incident::StartedAt))
                    .col(timestamp_with_time_zone(Incident::DetectedAt))
                    .col(timestamp_with_time_zone_null(Incident::MitigatedAt))
                    .col(timestamp_with_time_zone_null(Incident::ResolvedAt))
                    .col(timestamp_with_time_zone_null(Incident::ClosedAt))
                    .col(uuid(Incident::DeclaredBy))
                    .col(integer(Incident::Version))
                    .col(timestamp_with_time_zone(Incident::CreatedAt))
                    .col(timestamp_with_time_zone(Incident::UpdatedAt))
                    .foreign_key(&mut fk(
                        (Incident::Table, Incident::OrganizationId),
                        (Organization::Table, Organization::Id),
                    ))
                    .foreign_key(&mut fk((Incident::Table, Incident::TeamId), (Team::Table, Team::Id)))
                    .to_owned(),
            )
            .await?;
        create_index(manager, Incident::Table, "idx_incident_org_id", &[Incident::OrganizationId, Incident::Id], false)
            .await?;
        create_index(manager, Incident::Table, "idx_incident_team_id", &[Incident::TeamId, Incident::Id], false)
            .await?;
        create_index(
            manager,
            Incident::Table,
            "idx_incident_org_started",
            &[Incident::OrganizationId, Incident::StartedAt],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(IncidentResponder::Table)
                    .col(uuid(IncidentResponder::IncidentId))
                    .col(uuid(IncidentResponder::UserId))
                    .col(timestamp_with_time_zone(IncidentResponder::CreatedAt))
                    .primary_key(Index::create().col(IncidentResponder::IncidentId).col(IncidentResponder::UserId))
                    .foreign_key(&mut fk(
                        (IncidentResponder::Table, IncidentResponder::IncidentId),
                        (Incident::Table, Incident::Id),
                    ))
                    .foreign_key(&mut fk(
                        (IncidentResponder::Table, IncidentResponder::UserId),
                        (AppUser::Table, AppUser::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        create_index(
            manager,
            IncidentResponder::Table,
            "idx_incident_responder_user",
            &[IncidentResponder::UserId],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(IncidentAffectedTeam::Table)
                    .col(uuid(IncidentAffectedTeam::IncidentId))
                    .col(uuid(IncidentAffectedTeam::TeamId))
                    .primary_key(
                        Index::create().col(IncidentAffectedTeam::IncidentId).col(IncidentAffectedTeam::TeamId),
                    )
                    .foreign_key(&mut fk(
                        (IncidentAffectedTeam::Table, IncidentAffectedTeam::IncidentId),
                        (Incident::Table, Incident::Id),
                    ))
                    .foreign_key(&mut fk(
                        (IncidentAffectedTeam::Table, IncidentAffectedTeam::TeamId),
                        (Team::Table, Team::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        create_index(
            manager,
            IncidentAffectedTeam::Table,
            "idx_incident_affected_team_team",
            &[IncidentAffectedTeam::TeamId],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Tag::Table)
                    .col(pk_uuid(Tag::Id))
                    .col(uuid(Tag::OrganizationId))
                    .col(string_len(Tag::Name, 40))
                    .col(timestamp_with_time_zone(Tag::CreatedAt))
                    .foreign_key(&mut fk((Tag::Table, Tag::OrganizationId), (Organization::Table, Organization::Id)))
                    .to_owned(),
            )
            .await?;
        create_index(manager, Tag::Table, "uq_tag_org_name", &[Tag::OrganizationId, Tag::Name], true).await?;

        manager
            .create_table(
                Table::create()
                    .table(IncidentTag::Table)
                    .col(uuid(IncidentTag::IncidentId))
                    .col(uuid(IncidentTag::TagId))
                    .primary_key(Index::create().col(IncidentTag::IncidentId).col(IncidentTag::TagId))
                    .foreign_key(&mut fk(
                        (IncidentTag::Table, IncidentTag::IncidentId),
                        (Incident::Table, Incident::Id),
                    ))
                    .foreign_key(&mut fk((IncidentTag::Table, IncidentTag::TagId), (Tag::Table, Tag::Id)))
                    .to_owned(),
            )
            .await?;
        create_index(manager, IncidentTag::Table, "idx_incident_tag_tag", &[IncidentTag::TagId], false).await?;

        manager
            .create_table(
                Table::create()
                    .table(Review::Table)
                    .col(pk_uuid(Review::Id))
                    .col(uuid(Review::OrganizationId))
                    .col(uuid_uniq(Review::IncidentId))
                    .col(uuid(Review::TeamId))
                    .col(string_len(Review::Title, 200))
                    .col(string_len(Review::Status, 16))
                    .col(string_len(Review::Visibility, 8))
                    .col(uuid_null(Review::FacilitatorId))
                    .col(text_null(Review::Summary))
                    .col(text_null(Review::Impact))
                    .col(timestamp_with_time_zone_null(Review::ScheduledFor))
                    .col(timestamp_with_time_zone_null(Review::DueAt))
                    .col(json_binary(Review::WentWell))
                    .col(json_binary(Review::GotLucky))
                    .col(json_binary(Review::Learnings))
                    .col(timestamp_with_time_zone_null(Review::PublishedAt))
                    .col(timestamp_with_time_zone_null(Review::FollowUpAt))
                    .col(timestamp_with_time_zone_null(Review::LongTermReviewAt))
                    .col(text_null(Review::ReopenReason))
                    .col(integer(Review::Version))
                    .col(timestamp_with_time_zone(Review::CreatedAt))
                    .col(timestamp_with_time_zone(Review::UpdatedAt))
                    .foreign_key(&mut fk(
                        (Review::Table, Review::OrganizationId),
                        (Organization::Table, Organization::Id),
                    ))
                    .foreign_key(&mut fk((Review::Table, Review::IncidentId), (Incident::Table, Incident::Id)))
                    .foreign_key(&mut fk((Review::Table, Review::TeamId), (Team::Table, Team::Id)))
                    .to_owned(),
            )
            .await?;
        create_index(
            manager,
            Review::Table,
            "idx_review_org_status",
            &[Review::OrganizationId, Review::Status, Review::Visibility],
            false,
        )
        .await?;
        create_index(manager, Review::Table, "idx_review_team", &[Review::TeamId], false).await?;

        manager
            .create_table(
                Table::create()
                    .table(ReviewParticipant::Table)
                    .col(uuid(ReviewParticipant::ReviewId))
                    .col(uuid(ReviewParticipant::UserId))
                    .col(string_len(ReviewParticipant::Role, 24))
                    .col(timestamp_with_time_zone(ReviewParticipant::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(ReviewParticipant::ReviewId)
                            .col(ReviewParticipant::UserId)
                            .col(ReviewParticipant::Role),
                    )
                    .foreign_key(&mut fk(
                        (ReviewParticipant::Table, ReviewParticipant::ReviewId),
                        (Review::Table, Review::Id),
                    ))
                    .foreign_key(&mut fk(
                        (ReviewParticipant::Table, ReviewParticipant::UserId),
                        (AppUser::Table, AppUser::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        create_index(
            manager,
            ReviewParticipant::Table,
            "idx_review_participant_user",
            &[ReviewParticipant::UserId],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(TimelineEntry::Table)
                    .col(pk_uuid(TimelineEntry::Id))
                    .col(uuid(TimelineEntry::ReviewId))
                    .col(timestamp_with_time_zone(TimelineEntry::OccurredAt))
                    .col(text(TimelineEntry::Event))
                    .col(text_null(TimelineEntry::InformationAvailable))
                    .col(text_null(TimelineEntry::Decision))
                    .col(string_len(TimelineEntry::Kind, 8))
                    .col(string_len_null(TimelineEntry::SourceUrl, 2000))
                    .col(timestamp_with_time_zone(TimelineEntry::CreatedAt))
                    .foreign_key(&mut fk((TimelineEntry::Table, TimelineEntry::ReviewId), (Review::Table, Review::Id)))
                    .to_owned(),
            )
            .await?;
        create_index(
            manager,
            TimelineEntry::Table,
            "idx_timeline_entry_review",
            &[TimelineEntry::ReviewId, TimelineEntry::OccurredAt],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(ParkedQuestion::Table)
                    .col(pk_uuid(ParkedQuestion::Id))
                    .col(uuid(ParkedQuestion::ReviewId))
                    .col(text(ParkedQuestion::Text))
                    .col(text_null(ParkedQuestion::Answer))
                    .col(timestamp_with_time_zone_null(ParkedQuestion::AnsweredAt))
                    .col(timestamp_with_time_zone(ParkedQuestion::CreatedAt))
                    .foreign_key(&mut fk(
                        (ParkedQuestion::Table, ParkedQuestion::ReviewId),
                        (Review::Table, Review::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        create_index(manager, ParkedQuestion::Table, "idx_parked_question_review", &[ParkedQuestion::ReviewId], false)
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Why::Table)
                    .col(pk_uuid(Why::Id))
                    .col(uuid(Why::ReviewId))
                    .col(integer(Why::Position))
                    .col(text(Why::Question))
                    .col(text(Why::Answer))
                    .foreign_key(&mut fk((Why::Table, Why::ReviewId), (Review::Table, Review::Id)))
                    .to_owned(),
            )
            .await?;
        create_index(manager, Why::Table, "uq_why_review_position", &[Why::ReviewId, Why::Position], true).await?;

        manager
            .create_table(
                Table::create()
                    .table(ContributingFactor::Table)
                    .col(pk_uuid(ContributingFactor::Id))
                    .col(uuid(ContributingFactor::ReviewId))
                    .col(string_len(ContributingFactor::Category, 16))
                    .col(text(ContributingFactor::Description))
                    .col(timestamp_with_time_zone(ContributingFactor::CreatedAt))
                    .foreign_key(&mut fk(
                        (ContributingFactor::Table, ContributingFactor::ReviewId),
                        (Review::Table, Review::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        create_index(
            manager,
            ContributingFactor::Table,
            "idx_contributing_factor_review",
            &[ContributingFactor::ReviewId],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(ReviewLink::Table)
                    .col(pk_uuid(ReviewLink::Id))
                    .col(uuid(ReviewLink::ReviewId))
                    .col(string_len(ReviewLink::Title, 200))
                    .col(string_len(ReviewLink::Url, 2000))
                    .col(timestamp_with_time_zone(ReviewLink::CreatedAt))
                    .foreign_key(&mut fk((ReviewLink::Table, ReviewLink::ReviewId), (Review::Table, Review::Id)))
                    .to_owned(),
            )
            .await?;
        create_index(manager, ReviewLink::Table, "idx_review_link_review", &[ReviewLink::ReviewId], false).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            ReviewLink::Table.into_iden(),
            ContributingFactor::Table.into_iden(),
            Why::Table.into_iden(),
            ParkedQuestion::Table.into_iden(),
            TimelineEntry::Table.into_iden(),
            ReviewParticipant::Table.into_iden(),
            Review::Table.into_iden(),
            IncidentTag::Table.into_iden(),
            Tag::Table.into_iden(),
            IncidentAffectedTeam::Table.into_iden(),
            IncidentResponder::Table.into_iden(),
            Incident::Table.into_iden(),
            ReviewPolicy::Table.into_iden(),
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
enum ReviewPolicy {
    Table,
    OrganizationId,
    RequiredSeverities,
    ReviewNearMisses,
    ReviewDeadlineHours,
    MinActions,
    MaxActions,
    MinWhys,
    MaxActionDueDays,
    FollowUpDays,
    LongTermReviewDays,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Incident {
    Table,
    Id,
    OrganizationId,
    TeamId,
    Title,
    Summary,
    Severity,
    Status,
    NearMiss,
    CustomerImpact,
    StartedAt,
    DetectedAt,
    MitigatedAt,
    ResolvedAt,
    ClosedAt,
    DeclaredBy,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum IncidentResponder {
    Table,
    IncidentId,
    UserId,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum IncidentAffectedTeam {
    Table,
    IncidentId,
    TeamId,
}

#[derive(DeriveIden, Clone, Copy)]
enum Tag {
    Table,
    Id,
    OrganizationId,
    Name,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum IncidentTag {
    Table,
    IncidentId,
    TagId,
}

#[derive(DeriveIden, Clone, Copy)]
enum Review {
    Table,
    Id,
    OrganizationId,
    IncidentId,
    TeamId,
    Title,
    Status,
    Visibility,
    FacilitatorId,
    Summary,
    Impact,
    ScheduledFor,
    DueAt,
    WentWell,
    GotLucky,
    Learnings,
    PublishedAt,
    FollowUpAt,
    LongTermReviewAt,
    ReopenReason,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum ReviewParticipant {
    Table,
    ReviewId,
    UserId,
    Role,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum TimelineEntry {
    Table,
    Id,
    ReviewId,
    OccurredAt,
    Event,
    InformationAvailable,
    Decision,
    Kind,
    SourceUrl,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum ParkedQuestion {
    Table,
    Id,
    ReviewId,
    Text,
    Answer,
    AnsweredAt,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Why {
    Table,
    Id,
    ReviewId,
    Position,
    Question,
    Answer,
}

#[derive(DeriveIden, Clone, Copy)]
enum ContributingFactor {
    Table,
    Id,
    ReviewId,
    Category,
    Description,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum ReviewLink {
    Table,
    Id,
    ReviewId,
    Title,
    Url,
    CreatedAt,
}

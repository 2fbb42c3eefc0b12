//! The meeting as the practice runs it: comments and mentions on a review, agreement on its
//! timeline, owners who accept their actions, the readiness switches that ask for them, the
//! policy's triggers beyond severity, and what set an incident off.
//!
//! Organizations that exist when this runs keep their behaviour: each gets a policy row (the
//! defaults it was using) with the new switches off, while organizations created later start
//! with them on (no row means the defaults).

use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};
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
                    .table(Comment::Table)
                    .col(pk_uuid(Comment::Id))
                    .col(uuid(Comment::OrganizationId))
                    .col(uuid(Comment::ReviewId))
                    .col(uuid(Comment::AuthorId))
                    .col(uuid_null(Comment::ReplyTo))
                    .col(text(Comment::Body))
                    .col(string_len_null(Comment::Location, 120))
                    .col(timestamp_with_time_zone_null(Comment::ResolvedAt))
                    .col(uuid_null(Comment::ResolvedBy))
                    .col(timestamp_with_time_zone_null(Comment::DeletedAt))
                    .col(timestamp_with_time_zone(Comment::CreatedAt))
                    .col(timestamp_with_time_zone_null(Comment::EditedAt))
                    .foreign_key(&mut cascade(
                        (Comment::Table, Comment::OrganizationId),
                        (Organization::Table, Organization::Id),
                    ))
                    .foreign_key(&mut cascade((Comment::Table, Comment::ReviewId), (Review::Table, Review::Id)))
                    .foreign_key(&mut cascade((Comment::Table, Comment::AuthorId), (AppUser::Table, AppUser::Id)))
                    .foreign_key(&mut cascade((Comment::Table, Comment::ReplyTo), (Comment::Table, Comment::Id)))
                    .to_owned(),
            )
            .await?;
        create_index(manager, Comment::Table, "idx_comment_review", &[Comment::ReviewId, Comment::Id], false).await?;
        create_index(manager, Comment::Table, "idx_comment_reply_to", &[Comment::ReplyTo], false).await?;
        manager
            .create_table(
                Table::create()
                    .table(CommentMention::Table)
                    .col(uuid(CommentMention::CommentId))
                    .col(uuid(CommentMention::UserId))
                    .primary_key(Index::create().col(CommentMention::CommentId).col(CommentMention::UserId))
                    .foreign_key(&mut cascade(
                        (CommentMention::Table, CommentMention::CommentId),
                        (Comment::Table, Comment::Id),
                    ))
                    .foreign_key(&mut cascade(
                        (CommentMention::Table, CommentMention::UserId),
                        (AppUser::Table, AppUser::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(TimelineAgreement::Table)
                    .col(uuid(TimelineAgreement::ReviewId))
                    .col(uuid(TimelineAgreement::UserId))
                    .col(timestamp_with_time_zone(TimelineAgreement::AgreedAt))
                    .primary_key(Index::create().col(TimelineAgreement::ReviewId).col(TimelineAgreement::UserId))
                    .foreign_key(&mut cascade(
                        (TimelineAgreement::Table, TimelineAgreement::ReviewId),
                        (Review::Table, Review::Id),
                    ))
                    .foreign_key(&mut cascade(
                        (TimelineAgreement::Table, TimelineAgreement::UserId),
                        (AppUser::Table, AppUser::Id),
                    ))
                    .to_owned(),
            )
            .await?;

        let action_columns = [
            timestamp_with_time_zone_null(Action::AcceptedAt),
            timestamp_with_time_zone_null(Action::DeclinedAt),
            text_null(Action::DeclineReason),
        ];
        for mut column in action_columns {
            manager.alter_table(Table::alter().table(Action::Table).add_column(&mut column).to_owned()).await?;
        }
        let incident_columns = [
            string_len_null(Incident::DetectionSource, 24),
            text_null(Incident::ChangeRef),
            boolean(Incident::TriggeredByChange).default(false).to_owned(),
            uuid_null(Incident::ChangeAuthorId),
        ];
        for mut column in incident_columns {
            manager.alter_table(Table::alter().table(Incident::Table).add_column(&mut column).to_owned()).await?;
        }
        let policy_columns = [
            boolean(ReviewPolicy::RequireTimelineAgreement).default(false).to_owned(),
            boolean(ReviewPolicy::RequireOwnerAcceptance).default(false).to_owned(),
            boolean(ReviewPolicy::RequireSystemicAction).default(false).to_owned(),
            boolean(ReviewPolicy::CarefulnessRootCauseBlocks).default(false).to_owned(),
            json_binary_null(ReviewPolicy::ReviewWhen),
            integer_null(ReviewPolicy::RepeatWindowDays),
        ];
        for mut column in policy_columns {
            manager.alter_table(Table::alter().table(ReviewPolicy::Table).add_column(&mut column).to_owned()).await?;
        }
        // Every organization without a row was on the defaults: pin them, with the new switches
        // off (their default above).
        let severities = match manager.get_database_backend() {
            DbBackend::Postgres => r#"'["SEV1","SEV2"]'::jsonb"#,
            _ => r#"'["SEV1","SEV2"]'"#,
        };
        manager
            .get_connection()
            .execute_unprepared(&format!(
                "INSERT INTO review_policy (organization_id, required_severities, review_near_misses, \
                 review_deadline_hours, min_actions, max_actions, min_whys, max_action_due_days, follow_up_days, \
                 long_term_review_days, publish_within_days, action_due_soon_days, updated_at) \
                 SELECT id, {severities}, true, 48, 2, 3, 3, 90, 21, 75, 7, 3, created_at FROM organization \
                 WHERE id NOT IN (SELECT organization_id FROM review_policy)"
            ))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            ReviewPolicy::RepeatWindowDays,
            ReviewPolicy::ReviewWhen,
            ReviewPolicy::CarefulnessRootCauseBlocks,
            ReviewPolicy::RequireSystemicAction,
            ReviewPolicy::RequireOwnerAcceptance,
            ReviewPolicy::RequireTimelineAgreement,
        ] {
            manager.alter_table(Table::alter().table(ReviewPolicy::Table).drop_column(column).to_owned()).await?;
        }
        for column in
            [Incident::ChangeAuthorId, Incident::TriggeredByChange, Incident::ChangeRef, Incident::DetectionSource]
        {
            manager.alter_table(Table::alter().table(Incident::Table).drop_column(column).to_owned()).await?;
        }
        for column in [Action::DeclineReason, Action::DeclinedAt, Action::AcceptedAt] {
            manager.alter_table(Table::alter().table(Action::Table).drop_column(column).to_owned()).await?;
        }
        for table in
            [TimelineAgreement::Table.into_iden(), CommentMention::Table.into_iden(), Comment::Table.into_iden()]
        {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Comment {
    Table,
    Id,
    OrganizationId,
    ReviewId,
    AuthorId,
    /// The thread's first comment, for a reply.
    ReplyTo,
    Body,
    /// Where in the review it points (`whys[2].answer`), as blameless findings do.
    Location,
    ResolvedAt,
    ResolvedBy,
    /// A deleted comment that others replied to stays, emptied, to hold its thread.
    DeletedAt,
    CreatedAt,
    EditedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum CommentMention {
    Table,
    CommentId,
    UserId,
}

#[derive(DeriveIden, Clone, Copy)]
enum TimelineAgreement {
    Table,
    ReviewId,
    UserId,
    AgreedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Action {
    Table,
    AcceptedAt,
    DeclinedAt,
    DeclineReason,
}

#[derive(DeriveIden, Clone, Copy)]
enum Incident {
    Table,
    DetectionSource,
    ChangeRef,
    TriggeredByChange,
    ChangeAuthorId,
}

#[derive(DeriveIden, Clone, Copy)]
enum ReviewPolicy {
    Table,
    RequireTimelineAgreement,
    RequireOwnerAcceptance,
    RequireSystemicAction,
    CarefulnessRootCauseBlocks,
    /// Triggers beyond severity, as a JSON array of `CUSTOMER_IMPACT`, `CHANGE_TRIGGERED`,
    /// `REPEAT`; none for no other trigger.
    ReviewWhen,
    RepeatWindowDays,
}

#[derive(DeriveIden, Clone, Copy)]
enum Organization {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum Review {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum AppUser {
    Table,
    Id,
}

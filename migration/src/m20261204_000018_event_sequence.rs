//! Each organization's events numbered on their own: `event.sequence` counts 1, 2, 3… within an
//! organization, `organization.event_sequence` holds the last number given, and the cursors
//! along the log (a webhook's, the mail feed's, now one per organization) count in it. Writers of
//! different organizations no longer queue on one lock, and an organization's event IDs no
//! longer tell how much every other organization did.

use sea_orm_migration::{prelude::*, schema::*};

use crate::{cascade, create_index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// One transaction on SQLite too: every statement on one connection, all or nothing.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        manager
            .alter_table(
                Table::alter().table(Event::Table).add_column(big_integer(Event::Sequence).default(0)).to_owned(),
            )
            .await?;
        db.execute_unprepared(
            "UPDATE event SET sequence = numbered.n FROM (SELECT id, \
             ROW_NUMBER() OVER (PARTITION BY organization_id ORDER BY id) AS n FROM event) numbered \
             WHERE numbered.id = event.id",
        )
        .await?;
        manager.drop_index(Index::drop().name("idx_event_org_id").table(Event::Table).to_owned()).await?;
        manager.drop_index(Index::drop().name("idx_event_subject").table(Event::Table).to_owned()).await?;
        create_index(manager, Event::Table, "idx_event_org_sequence", &[Event::OrganizationId, Event::Sequence], true)
            .await?;
        create_index(manager, Event::Table, "idx_event_subject_sequence", &[Event::SubjectId, Event::Sequence], false)
            .await?;

        manager
            .alter_table(
                Table::alter()
                    .table(Organization::Table)
                    .add_column(big_integer(Organization::EventSequence).default(0))
                    .to_owned(),
            )
            .await?;
        db.execute_unprepared(
            "UPDATE organization SET event_sequence = \
             COALESCE((SELECT MAX(e.sequence) FROM event e WHERE e.organization_id = organization.id), 0)",
        )
        .await?;

        // A webhook's cursor was an event ID of the whole log: now the same place in its
        // organization's numbering.
        db.execute_unprepared(
            "UPDATE webhook SET cursor = COALESCE((SELECT MAX(e.sequence) FROM event e \
             WHERE e.organization_id = webhook.organization_id AND e.id <= webhook.cursor), 0)",
        )
        .await?;

        // The mail feed's one cursor becomes one per organization, at the same place.
        let old = number(manager, "SELECT cursor FROM mail_feed WHERE id = 1").await?;
        manager.drop_table(Table::drop().table(MailFeed::Table).to_owned()).await?;
        manager
            .create_table(
                Table::create()
                    .table(MailFeed::Table)
                    .col(uuid(MailFeed::OrganizationId).primary_key())
                    .col(big_integer(MailFeed::Cursor))
                    .foreign_key(&mut cascade(
                        (MailFeed::Table, MailFeed::OrganizationId),
                        (Organization::Table, Organization::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        db.execute_unprepared(&format!(
            "INSERT INTO mail_feed (organization_id, cursor) SELECT o.id, COALESCE((SELECT MAX(e.sequence) \
             FROM event e WHERE e.organization_id = o.id AND e.id <= {old}), 0) FROM organization o"
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let old = number(
            manager,
            "SELECT COALESCE(MAX(e.id), 0) FROM event e \
             JOIN mail_feed f ON f.organization_id = e.organization_id AND e.sequence <= f.cursor",
        )
        .await?;
        manager.drop_table(Table::drop().table(MailFeed::Table).to_owned()).await?;
        manager
            .create_table(
                Table::create()
                    .table(MailFeed::Table)
                    .col(integer(MailFeed::Id).primary_key())
                    .col(big_integer(MailFeed::Cursor))
                    .to_owned(),
            )
            .await?;
        db.execute_unprepared(&format!("INSERT INTO mail_feed (id, cursor) VALUES (1, {old})")).await?;

        db.execute_unprepared(
            "UPDATE webhook SET cursor = COALESCE((SELECT MAX(e.id) FROM event e \
             WHERE e.organization_id = webhook.organization_id AND e.sequence <= webhook.cursor), 0)",
        )
        .await?;
        manager
            .alter_table(Table::alter().table(Organization::Table).drop_column(Organization::EventSequence).to_owned())
            .await?;
        manager.drop_index(Index::drop().name("idx_event_subject_sequence").table(Event::Table).to_owned()).await?;
        manager.drop_index(Index::drop().name("idx_event_org_sequence").table(Event::Table).to_owned()).await?;
        manager.alter_table(Table::alter().table(Event::Table).drop_column(Event::Sequence).to_owned()).await?;
        create_index(manager, Event::Table, "idx_event_org_id", &[Event::OrganizationId, Event::Id], false).await?;
        create_index(manager, Event::Table, "idx_event_subject", &[Event::SubjectId, Event::Id], false).await?;
        Ok(())
    }
}

/// The number a query answers (0 for no row).
async fn number(manager: &SchemaManager<'_>, sql: &str) -> Result<i64, DbErr> {
    let statement = sea_orm_migration::sea_orm::Statement::from_string(manager.get_database_backend(), sql);
    let row = manager.get_connection().query_one_raw(statement).await?;
    Ok(row.map(|row| row.try_get_by_index::<i64>(0)).transpose()?.unwrap_or(0))
}

#[derive(DeriveIden, Clone, Copy)]
enum Event {
    Table,
    Sequence,
    OrganizationId,
    SubjectId,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum Organization {
    Table,
    Id,
    EventSequence,
}

#[derive(DeriveIden, Clone, Copy)]
enum MailFeed {
    Table,
    Id,
    OrganizationId,
    Cursor,
}

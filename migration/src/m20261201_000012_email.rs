//! Email: verified addresses, one-time links (password resets, address confirmations),
//! notification preferences, and the outbox of messages with the cursor that turns deadline
//! events into nudges.
//!
//! An address is unique among verified accounts only: a sign-up that was never confirmed holds
//! its address for nobody. SQLite cannot drop a column's UNIQUE constraint, so there the user
//! table is rebuilt (the documented way: foreign keys off, copy, drop, rename).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

use crate::{cascade, create_index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            timestamp_with_time_zone_null(AppUser::EmailVerifiedAt),
            boolean(AppUser::NotifyNudges).default(true).to_owned(),
            timestamp_with_time_zone_null(AppUser::DigestSince),
            date_null(AppUser::DigestSentFor),
        ] {
            let mut column = column;
            // A run that failed half-way on SQLite (which commits each statement) left some.
            if manager.has_column("app_user", &column.get_column_name()).await? {
                continue;
            }
            manager.alter_table(Table::alter().table(AppUser::Table).add_column(&mut column).to_owned()).await?;
        }
        let db = manager.get_connection();
        // Every account that exists was made by an admin's hand or before addresses were checked.
        db.execute_unprepared("UPDATE app_user SET email_verified_at = created_at").await?;
        match manager.get_database_backend() {
            DbBackend::Sqlite => drop_sqlite_email_unique(manager).await?,
            _ => {
                db.execute_unprepared("ALTER TABLE app_user DROP CONSTRAINT IF EXISTS app_user_email_key").await?;
                let left = db
                    .query_one_raw(sea_orm_migration::sea_orm::Statement::from_string(
                        DbBackend::Postgres,
                        "SELECT count(*) FROM pg_constraint WHERE conrelid = 'app_user'::regclass AND contype = 'u'",
                    ))
                    .await?
                    .map(|row| row.try_get_by_index::<i64>(0))
                    .transpose()?;
                if left != Some(0) {
                    return Err(DbErr::Migration("app_user still has a unique constraint on email".into()));
                }
            }
        }
        db.execute_unprepared(
            "CREATE UNIQUE INDEX idx_app_user_verified_email ON app_user (email) WHERE email_verified_at IS NOT NULL",
        )
        .await?;
        create_index(manager, AppUser::Table, "idx_app_user_email", &[AppUser::Email], false).await?;

        manager
            .create_table(
                Table::create()
                    .table(UserToken::Table)
                    .col(pk_uuid(UserToken::Id))
                    .col(uuid(UserToken::UserId))
                    .col(string_len(UserToken::Purpose, 16))
                    .col(string_len_uniq(UserToken::TokenHash, 128))
                    .col(timestamp_with_time_zone(UserToken::ExpiresAt))
                    .col(timestamp_with_time_zone_null(UserToken::UsedAt))
                    .col(uuid_null(UserToken::CreatedBy))
                    .col(timestamp_with_time_zone(UserToken::CreatedAt))
                    .foreign_key(&mut cascade((UserToken::Table, UserToken::UserId), (AppUser::Table, AppUser::Id)))
                    .to_owned(),
            )
            .await?;
        create_index(
            manager,
            UserToken::Table,
            "idx_user_token_user",
            &[UserToken::UserId, UserToken::Purpose, UserToken::CreatedAt],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(MailMessage::Table)
                    .col(pk_uuid(MailMessage::Id))
                    .col(uuid_null(MailMessage::OrganizationId))
                    .col(uuid_null(MailMessage::UserId))
                    .col(string_len(MailMessage::Recipient, 320))
                    .col(string_len(MailMessage::Kind, 32))
                    .col(string_len_uniq(MailMessage::DedupeKey, 200))
                    .col(text(MailMessage::Subject))
                    .col(text(MailMessage::Body))
                    .col(text_null(MailMessage::UnsubscribeUrl))
                    .col(string_len(MailMessage::Status, 16))
                    .col(integer(MailMessage::Attempts))
                    .col(timestamp_with_time_zone_null(MailMessage::NextAttemptAt))
                    .col(timestamp_with_time_zone_null(MailMessage::LockedUntil))
                    .col(text_null(MailMessage::LastError))
                    .col(timestamp_with_time_zone(MailMessage::CreatedAt))
                    .col(timestamp_with_time_zone(MailMessage::UpdatedAt))
                    .col(timestamp_with_time_zone_null(MailMessage::SentAt))
                    .foreign_key(&mut cascade(
                        (MailMessage::Table, MailMessage::OrganizationId),
                        (Organization::Table, Organization::Id),
                    ))
                    .foreign_key(&mut cascade((MailMessage::Table, MailMessage::UserId), (AppUser::Table, AppUser::Id)))
                    .to_owned(),
            )
            .await?;
        create_index(
            manager,
            MailMessage::Table,
            "idx_mail_message_due",
            &[MailMessage::Status, MailMessage::NextAttemptAt],
            false,
        )
        .await?;
        create_index(manager, MailMessage::Table, "idx_mail_message_user", &[MailMessage::UserId], false).await?;

        manager
            .create_table(
                Table::create()
                    .table(MailFeed::Table)
                    .col(integer(MailFeed::Id).primary_key())
                    .col(big_integer(MailFeed::Cursor))
                    .to_owned(),
            )
            .await?;
        // Nudges start from now: an upgrade does not mail about deadlines announced before it.
        db.execute_unprepared("INSERT INTO mail_feed (id, cursor) SELECT 1, COALESCE(MAX(id), 0) FROM event").await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [MailFeed::Table.into_iden(), MailMessage::Table.into_iden(), UserToken::Table.into_iden()] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        let db = manager.get_connection();
        db.execute_unprepared("DROP INDEX idx_app_user_email").await?;
        db.execute_unprepared("DROP INDEX idx_app_user_verified_email").await?;
        // Unconfirmed sign-ups cannot keep their addresses under the old rule.
        db.execute_unprepared("DELETE FROM app_user WHERE email_verified_at IS NULL").await?;
        if manager.get_database_backend() == DbBackend::Postgres {
            db.execute_unprepared("ALTER TABLE app_user ADD CONSTRAINT app_user_email_key UNIQUE (email)").await?;
        } else {
            db.execute_unprepared("CREATE UNIQUE INDEX app_user_email_key ON app_user (email)").await?;
        }
        for column in [AppUser::DigestSentFor, AppUser::DigestSince, AppUser::NotifyNudges, AppUser::EmailVerifiedAt] {
            manager.alter_table(Table::alter().table(AppUser::Table).drop_column(column).to_owned()).await?;
        }
        Ok(())
    }
}

/// Rebuilds SQLite's user table without the UNIQUE on `email`, keeping its rows, its indexes
/// and every foreign key that points at it. Foreign keys must be off while the old table is
/// dropped (with them on, dropping it would delete every row that refers to a user), and that
/// setting belongs to one connection outside any transaction: the whole rebuild runs on one
/// connection taken from the pool, which checks the setting took before dropping anything.
async fn drop_sqlite_email_unique(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    use sea_orm_migration::sea_orm::sqlx::{self, Row};
    let SchemaManagerConnection::Connection(db) = manager.get_connection() else {
        return Err(DbErr::Migration("rebuilding app_user cannot run inside a transaction".into()));
    };
    let failed = |e: sqlx::Error| DbErr::Migration(format!("rebuilding app_user: {e}"));
    let mut conn = db.get_sqlite_connection_pool().acquire().await.map_err(failed)?;
    let rows = sqlx::query("SELECT type, sql FROM sqlite_master WHERE tbl_name = 'app_user' AND sql IS NOT NULL")
        .fetch_all(&mut *conn)
        .await
        .map_err(failed)?;
    let mut table_sql = None;
    let mut indexes = Vec::new();
    for row in rows {
        let (kind, text): (String, String) = (row.get("type"), row.get("sql"));
        if kind == "table" { table_sql = Some(text) } else { indexes.push(text) }
    }
    let table_sql = table_sql.ok_or_else(|| DbErr::Migration("app_user has no table definition".into()))?;
    // A rollback (`down`) made the address unique by an index of its own.
    sqlx::query("DROP INDEX IF EXISTS app_user_email_key").execute(&mut *conn).await.map_err(failed)?;
    const UNIQUE_EMAIL: &str = "\"email\" varchar(320) NOT NULL UNIQUE";
    let unique_email = "SELECT count(*) FROM pragma_index_list('app_user') AS list \
         JOIN pragma_index_info(list.name) AS info WHERE list.\"unique\" = 1 AND info.name = 'email'";
    let constrained: i64 = sqlx::query_scalar(unique_email).fetch_one(&mut *conn).await.map_err(failed)?;
    if constrained == 0 {
        return Ok(());
    }
    if !table_sql.contains(UNIQUE_EMAIL) {
        return Err(DbErr::Migration(format!("unexpected app_user definition: {table_sql}")));
    }
    let rebuilt = table_sql.replacen(UNIQUE_EMAIL, "\"email\" varchar(320) NOT NULL", 1).replacen(
        "\"app_user\"",
        "\"app_user_rebuilt\"",
        1,
    );

    let broken_before = sqlx::query("PRAGMA foreign_key_check").fetch_all(&mut *conn).await.map_err(failed)?.len();
    sqlx::query("PRAGMA foreign_keys = OFF").execute(&mut *conn).await.map_err(failed)?;
    let enforced: i64 = sqlx::query_scalar("PRAGMA foreign_keys").fetch_one(&mut *conn).await.map_err(failed)?;
    if enforced != 0 {
        return Err(DbErr::Migration("cannot turn SQLite foreign keys off to rebuild app_user".into()));
    }
    let mut statements = vec![
        "BEGIN IMMEDIATE".to_owned(),
        rebuilt,
        "INSERT INTO app_user_rebuilt SELECT * FROM app_user".to_owned(),
        "DROP TABLE app_user".to_owned(),
        "ALTER TABLE app_user_rebuilt RENAME TO app_user".to_owned(),
    ];
    statements.extend(indexes);
    let mut result = Ok(());
    for statement in &statements {
        // Statements of this schema's own definitions, read from sqlite_master above.
        if let Err(e) = sqlx::query(sqlx::AssertSqlSafe(statement.as_str())).execute(&mut *conn).await {
            result = Err(failed(e));
            break;
        }
    }
    if result.is_ok() {
        let still: Result<i64, _> = sqlx::query_scalar(unique_email).fetch_one(&mut *conn).await;
        if !matches!(still, Ok(0)) {
            result = Err(DbErr::Migration("app_user still has a unique index on email".into()));
        }
    }
    if result.is_ok() {
        match sqlx::query("PRAGMA foreign_key_check").fetch_all(&mut *conn).await {
            Ok(broken) if broken.len() <= broken_before => {
                result = sqlx::query("COMMIT").execute(&mut *conn).await.map(|_| ()).map_err(failed);
            }
            Ok(_) => result = Err(DbErr::Migration("rebuilding app_user broke foreign keys".into())),
            Err(e) => result = Err(failed(e)),
        }
    }
    if result.is_err() {
        sqlx::query("ROLLBACK").execute(&mut *conn).await.ok();
    }
    sqlx::query("PRAGMA foreign_keys = ON").execute(&mut *conn).await.map_err(failed)?;
    result
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
    Email,
    /// When the address was confirmed; none for a sign-up waiting for its link.
    EmailVerifiedAt,
    /// Deadline nudges by email (on by default).
    NotifyNudges,
    /// Since when the weekly digest is wanted; none when it is not.
    DigestSince,
    /// The week (its Monday) whose digest was last made.
    DigestSentFor,
}

#[derive(DeriveIden, Clone, Copy)]
enum UserToken {
    Table,
    Id,
    UserId,
    /// `RESET` (a password reset) or `VERIFY` (an address confirmation).
    Purpose,
    TokenHash,
    ExpiresAt,
    UsedAt,
    /// The admin who issued it, for a reset made by hand.
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum MailMessage {
    Table,
    Id,
    OrganizationId,
    UserId,
    Recipient,
    Kind,
    /// What the message is about, once: a second message with the same key is never made.
    DedupeKey,
    Subject,
    /// The text and HTML bodies, sealed (they may carry one-time links); emptied once sent.
    Body,
    UnsubscribeUrl,
    Status,
    Attempts,
    NextAttemptAt,
    LockedUntil,
    LastError,
    CreatedAt,
    UpdatedAt,
    SentAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum MailFeed {
    Table,
    Id,
    /// The last event considered for nudges.
    Cursor,
}

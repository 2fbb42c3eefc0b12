//! Learning across teams: the text a published review is compared by (its root cause and its
//! contributing factors), the databases' own text search over reviews and incidents (GIN indexes
//! on PostgreSQL, FTS5 tables kept by triggers on SQLite), and the record of which teams a
//! published review was sent to.

use sea_orm_migration::sea_orm::DatabaseBackend;
use sea_orm_migration::{prelude::*, schema::*};

use crate::{cascade, create_index};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// PostgreSQL: expression indexes the queries repeat word for word.
const POSTGRES_UP: &[&str] = &[
    "CREATE INDEX idx_review_root_cause_search ON review \
     USING GIN (to_tsvector('english', coalesce(root_cause_text, '')))",
    "CREATE INDEX idx_review_factor_search ON review \
     USING GIN (to_tsvector('english', coalesce(factor_text, '')))",
    "CREATE INDEX idx_incident_search ON incident \
     USING GIN (to_tsvector('english', title || ' ' || coalesce(summary, '')))",
];

const POSTGRES_DOWN: &[&str] = &[
    "DROP INDEX idx_incident_search",
    "DROP INDEX idx_review_factor_search",
    "DROP INDEX idx_review_root_cause_search",
];

/// SQLite: an FTS5 table per searched table. Its rows are keyed by a small integer of its own
/// (`…_search_key`, an INTEGER PRIMARY KEY, which VACUUM keeps), so an update finds its row by
/// index; triggers keep it in step with every write, the seed's included. The index keeps which
/// column a word is in, not where (`detail = column`): smaller, and no phrase check whose cost
/// grows with the length of a text.
const SQLITE_UP: &[&str] = &[
    "CREATE TABLE review_search_key (key INTEGER PRIMARY KEY, review_id BLOB NOT NULL UNIQUE)",
    "CREATE VIRTUAL TABLE review_search USING fts5(body, root_cause, factors, \
     tokenize = 'porter unicode61 remove_diacritics 2', detail = column)",
    "INSERT INTO review_search_key (review_id) SELECT id FROM review",
    "INSERT INTO review_search (rowid, body, root_cause, factors) \
     SELECT k.key, coalesce(r.search_text, ''), coalesce(r.root_cause_text, ''), coalesce(r.factor_text, '') \
     FROM review r JOIN review_search_key k ON k.review_id = r.id",
    "CREATE TRIGGER review_search_insert AFTER INSERT ON review BEGIN \
       INSERT INTO review_search_key (review_id) VALUES (new.id); \
       INSERT INTO review_search (rowid, body, root_cause, factors) VALUES (last_insert_rowid(), \
         coalesce(new.search_text, ''), coalesce(new.root_cause_text, ''), coalesce(new.factor_text, '')); \
     END",
    "CREATE TRIGGER review_search_update AFTER UPDATE OF search_text, root_cause_text, factor_text ON review \
     WHEN old.search_text IS NOT new.search_text OR old.root_cause_text IS NOT new.root_cause_text \
       OR old.factor_text IS NOT new.factor_text BEGIN \
       UPDATE review_search SET body = coalesce(new.search_text, ''), \
         root_cause = coalesce(new.root_cause_text, ''), factors = coalesce(new.factor_text, '') \
       WHERE rowid = (SELECT key FROM review_search_key WHERE review_id = new.id); \
     END",
    "CREATE TRIGGER review_search_delete AFTER DELETE ON review BEGIN \
       DELETE FROM review_search WHERE rowid = (SELECT key FROM review_search_key WHERE review_id = old.id); \
       DELETE FROM review_search_key WHERE review_id = old.id; \
     END",
    "CREATE TABLE incident_search_key (key INTEGER PRIMARY KEY, incident_id BLOB NOT NULL UNIQUE)",
    "CREATE VIRTUAL TABLE incident_search USING fts5(title, summary, \
     tokenize = 'porter unicode61 remove_diacritics 2', detail = column)",
    "INSERT INTO incident_search_key (incident_id) SELECT id FROM incident",
    "INSERT INTO incident_search (rowid, title, summary) \
     SELECT k.key, i.title, coalesce(i.summary, '') FROM incident i JOIN incident_search_key k ON k.incident_id = i.id",
    "CREATE TRIGGER incident_search_insert AFTER INSERT ON incident BEGIN \
       INSERT INTO incident_search_key (incident_id) VALUES (new.id); \
       INSERT INTO incident_search (rowid, title, summary) \
         VALUES (last_insert_rowid(), new.title, coalesce(new.summary, '')); \
     END",
    "CREATE TRIGGER incident_search_update AFTER UPDATE OF title, summary ON incident \
     WHEN old.title IS NOT new.title OR old.summary IS NOT new.summary BEGIN \
       UPDATE incident_search SET title = new.title, summary = coalesce(new.summary, '') \
       WHERE rowid = (SELECT key FROM incident_search_key WHERE incident_id = new.id); \
     END",
    "CREATE TRIGGER incident_search_delete AFTER DELETE ON incident BEGIN \
       DELETE FROM incident_search WHERE rowid = (SELECT key FROM incident_search_key WHERE incident_id = old.id); \
       DELETE FROM incident_search_key WHERE incident_id = old.id; \
     END",
];

const SQLITE_DOWN: &[&str] = &[
    "DROP TRIGGER incident_search_delete",
    "DROP TRIGGER incident_search_update",
    "DROP TRIGGER incident_search_insert",
    "DROP TABLE incident_search",
    "DROP TABLE incident_search_key",
    "DROP TRIGGER review_search_delete",
    "DROP TRIGGER review_search_update",
    "DROP TRIGGER review_search_insert",
    "DROP TABLE review_search",
    "DROP TABLE review_search_key",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [Review::RootCauseText, Review::FactorText] {
            manager.alter_table(Table::alter().table(Review::Table).add_column(text_null(column)).to_owned()).await?;
        }
        // Reviews published before this migration: the last why's answer and the factors.
        // The factors one per line in the order they were added, as publishing writes them.
        let factors = match manager.get_database_backend() {
            DatabaseBackend::Postgres => {
                "SELECT string_agg(f.description, E'\\n' ORDER BY f.created_at) \
                 FROM contributing_factor f WHERE f.review_id = review.id"
            }
            _ => {
                "SELECT group_concat(description, char(10)) FROM (SELECT f.description FROM contributing_factor f \
                 WHERE f.review_id = review.id ORDER BY f.created_at)"
            }
        };
        manager
            .get_connection()
            .execute_unprepared(&format!(
                "UPDATE review SET \
                 root_cause_text = (SELECT w.answer FROM why w WHERE w.review_id = review.id \
                   ORDER BY w.position DESC LIMIT 1), \
                 factor_text = ({factors}) \
                 WHERE search_text IS NOT NULL"
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(LearningNotice::Table)
                    .col(uuid(LearningNotice::ReviewId))
                    .col(uuid(LearningNotice::TeamId))
                    .col(uuid(LearningNotice::OrganizationId))
                    .col(json(LearningNotice::Reasons))
                    .col(timestamp_with_time_zone(LearningNotice::CreatedAt))
                    .primary_key(Index::create().col(LearningNotice::ReviewId).col(LearningNotice::TeamId))
                    .foreign_key(&mut cascade(
                        (LearningNotice::Table, LearningNotice::ReviewId),
                        (Review::Table, Review::Id),
                    ))
                    .foreign_key(&mut cascade((LearningNotice::Table, LearningNotice::TeamId), (Team::Table, Team::Id)))
                    .foreign_key(&mut cascade(
                        (LearningNotice::Table, LearningNotice::OrganizationId),
                        (Organization::Table, Organization::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        create_index(
            manager,
            LearningNotice::Table,
            "idx_learning_notice_team",
            &[LearningNotice::TeamId, LearningNotice::CreatedAt],
            false,
        )
        .await?;

        let statements = match manager.get_database_backend() {
            DatabaseBackend::Postgres => POSTGRES_UP,
            _ => SQLITE_UP,
        };
        for statement in statements {
            manager.get_connection().execute_unprepared(statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let statements = match manager.get_database_backend() {
            DatabaseBackend::Postgres => POSTGRES_DOWN,
            _ => SQLITE_DOWN,
        };
        for statement in statements {
            manager.get_connection().execute_unprepared(statement).await?;
        }
        manager.drop_table(Table::drop().table(LearningNotice::Table).to_owned()).await?;
        for column in [Review::FactorText, Review::RootCauseText] {
            manager.alter_table(Table::alter().table(Review::Table).drop_column(column).to_owned()).await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Review {
    Table,
    Id,
    /// The last answer of the why chain, as published.
    RootCauseText,
    /// The contributing factors' descriptions, one per line, as published.
    FactorText,
}

#[derive(DeriveIden, Clone, Copy)]
enum LearningNotice {
    Table,
    ReviewId,
    TeamId,
    OrganizationId,
    /// Why the team was told: a list of reason codes.
    Reasons,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Team {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum Organization {
    Table,
    Id,
}

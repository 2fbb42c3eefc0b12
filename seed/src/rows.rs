//! Rows on their way to the database, and the bulk writer: every batch in one transaction,
//! parents before children.

use chrono::SecondsFormat;
use entity::{
    acknowledgement, action, contributing_factor, due_date_change, follow_up, incident, incident_affected_team,
    incident_responder, incident_service, incident_tag, invitation, learning_notice, membership, organization,
    parked_question, review, review_link, review_participant, service, tag, team, timeline_agreement, timeline_entry,
    user, why,
};
use sea_orm::sqlx::PgConnection;
use sea_orm::{
    ActiveModelTrait, ActiveValue, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait, IdenStatic,
    IntoActiveModel, Iterable, Value,
};

use hindsight_api::db;

/// Rows of every seeded table. [`Writer::write`] inserts them in this order, which is the order
/// of the foreign keys.
#[derive(Default)]
pub(super) struct Rows {
    pub organizations: Vec<organization::Model>,
    pub users: Vec<user::Model>,
    pub invitations: Vec<invitation::Model>,
    pub teams: Vec<team::Model>,
    pub memberships: Vec<membership::Model>,
    pub tags: Vec<tag::Model>,
    pub services: Vec<service::Model>,
    pub incidents: Vec<incident::Model>,
    pub responders: Vec<incident_responder::Model>,
    pub affected_teams: Vec<incident_affected_team::Model>,
    pub incident_tags: Vec<incident_tag::Model>,
    pub incident_services: Vec<incident_service::Model>,
    pub reviews: Vec<review::Model>,
    pub participants: Vec<review_participant::Model>,
    pub timeline_agreements: Vec<timeline_agreement::Model>,
    pub timeline: Vec<timeline_entry::Model>,
    pub questions: Vec<parked_question::Model>,
    pub whys: Vec<why::Model>,
    pub factors: Vec<contributing_factor::Model>,
    pub links: Vec<review_link::Model>,
    pub follow_ups: Vec<follow_up::Model>,
    pub acknowledgements: Vec<acknowledgement::Model>,
    pub learning_notices: Vec<learning_notice::Model>,
    pub actions: Vec<action::Model>,
    pub due_date_changes: Vec<due_date_change::Model>,
}

/// Rows written per table, in the order tables were first written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts(pub Vec<(&'static str, u64)>);

impl Counts {
    fn add(&mut self, table: &'static str, rows: u64) {
        match self.0.iter_mut().find(|(name, _)| *name == table) {
            Some((_, count)) => *count += rows,
            None => self.0.push((table, rows)),
        }
    }

    pub(super) fn merge(&mut self, other: &Counts) {
        for (table, rows) in &other.0 {
            self.add(table, *rows);
        }
    }

    /// Rows written to `table`.
    pub fn of(&self, table: &str) -> u64 {
        self.0.iter().find(|(name, _)| *name == table).map_or(0, |(_, count)| *count)
    }

    pub fn total(&self) -> u64 {
        self.0.iter().map(|(_, count)| count).sum()
    }
}

/// The page cache of the connection that writes, on SQLite (the default is 2 MiB).
const SQLITE_CACHE_KIB: u32 = 256 * 1024;

/// COPY data sent to PostgreSQL at a time.
const COPY_CHUNK_BYTES: usize = 1 << 20;

/// Calls `writer.method::<Entity>(target, rows.table)` for every table, parents first.
macro_rules! in_key_order {
    ($writer:ident . $method:ident ($target:expr, $rows:ident)) => {{
        $writer.$method::<organization::Entity>($target, $rows.organizations).await?;
        $writer.$method::<user::Entity>($target, $rows.users).await?;
        $writer.$method::<invitation::Entity>($target, $rows.invitations).await?;
        $writer.$method::<team::Entity>($target, $rows.teams).await?;
        $writer.$method::<membership::Entity>($target, $rows.memberships).await?;
        $writer.$method::<tag::Entity>($target, $rows.tags).await?;
        $writer.$method::<service::Entity>($target, $rows.services).await?;
        $writer.$method::<incident::Entity>($target, $rows.incidents).await?;
        $writer.$method::<incident_responder::Entity>($target, $rows.responders).await?;
        $writer.$method::<incident_affected_team::Entity>($target, $rows.affected_teams).await?;
        $writer.$method::<incident_tag::Entity>($target, $rows.incident_tags).await?;
        $writer.$method::<incident_service::Entity>($target, $rows.incident_services).await?;
        $writer.$method::<review::Entity>($target, $rows.reviews).await?;
        $writer.$method::<review_participant::Entity>($target, $rows.participants).await?;
        $writer.$method::<timeline_agreement::Entity>($target, $rows.timeline_agreements).await?;
        $writer.$method::<timeline_entry::Entity>($target, $rows.timeline).await?;
        $writer.$method::<parked_question::Entity>($target, $rows.questions).await?;
        $writer.$method::<why::Entity>($target, $rows.whys).await?;
        $writer.$method::<contributing_factor::Entity>($target, $rows.factors).await?;
        $writer.$method::<review_link::Entity>($target, $rows.links).await?;
        $writer.$method::<follow_up::Entity>($target, $rows.follow_ups).await?;
        $writer.$method::<acknowledgement::Entity>($target, $rows.acknowledgements).await?;
        $writer.$method::<learning_notice::Entity>($target, $rows.learning_notices).await?;
        $writer.$method::<action::Entity>($target, $rows.actions).await?;
        $writer.$method::<due_date_change::Entity>($target, $rows.due_date_changes).await?;
    }};
}

/// Writes batches of rows, each in one transaction: on SQLite as multi-row INSERTs under the
/// bind-parameter limit, on PostgreSQL with COPY (no statement to parse and plan per batch).
/// Foreign keys, unique and NOT NULL constraints are checked as for any other write.
pub(super) struct Writer {
    pub counts: Counts,
}

fn copy_error(e: sea_orm::sqlx::Error) -> DbErr {
    DbErr::Custom(format!("COPY: {e}"))
}

impl Writer {
    pub fn new() -> Self {
        Self { counts: Counts::default() }
    }

    /// Writes every row in one transaction.
    pub async fn write(&mut self, db: &DatabaseConnection, rows: Rows) -> Result<(), DbErr> {
        if db.get_database_backend() == DbBackend::Postgres {
            // Seeding writes new rows only and logs no events, so its transactions need not
            // queue behind any organization's write lock: several of them write at once.
            let mut tx = db.get_postgres_connection_pool().begin().await.map_err(copy_error)?;
            in_key_order!(self.copy(&mut tx, rows));
            return tx.commit().await.map_err(copy_error);
        }
        let tx = db::begin_local(db).await?;
        // Inserts into a dozen indexes touch pages all over the file: keep them in memory.
        tx.execute_unprepared(&format!("PRAGMA cache_size = -{SQLITE_CACHE_KIB}")).await?;
        in_key_order!(self.insert(&tx, rows));
        tx.commit().await
    }

    /// Multi-row INSERTs of as many rows as SQLite's 32,766 bind parameters allow.
    async fn insert<E>(&mut self, tx: &impl ConnectionTrait, rows: Vec<E::Model>) -> Result<(), DbErr>
    where
        E: EntityTrait,
        E::Model: IntoActiveModel<E::ActiveModel>,
    {
        let table = E::default().table_name();
        self.counts.add(table, 0);
        let per_statement = (32_000 / E::Column::iter().count()).max(1);
        let mut rows = rows.into_iter().peekable();
        while rows.peek().is_some() {
            let chunk: Vec<E::ActiveModel> =
                rows.by_ref().take(per_statement).map(IntoActiveModel::into_active_model).collect();
            let written = chunk.len() as u64;
            E::insert_many(chunk).exec_without_returning(tx).await?;
            self.counts.add(table, written);
        }
        Ok(())
    }

    /// One `COPY … FROM STDIN` of every row, in PostgreSQL's text format.
    async fn copy<E>(&mut self, conn: &mut PgConnection, rows: Vec<E::Model>) -> Result<(), DbErr>
    where
        E: EntityTrait,
        E::Model: IntoActiveModel<E::ActiveModel>,
    {
        let table = E::default().table_name();
        self.counts.add(table, 0);
        if rows.is_empty() {
            return Ok(());
        }
        let columns: Vec<E::Column> = E::Column::iter().collect();
        let names: Vec<String> = columns.iter().map(|c| format!("\"{}\"", c.as_str())).collect();
        let statement = format!("COPY \"{table}\" ({}) FROM STDIN", names.join(", "));
        let mut copy = conn.copy_in_raw(&statement).await.map_err(copy_error)?;
        let mut data = String::with_capacity(COPY_CHUNK_BYTES + 4096);
        let written = rows.len() as u64;
        for row in rows {
            let row = row.into_active_model();
            for (i, column) in columns.iter().enumerate() {
                if i > 0 {
                    data.push('\t');
                }
                match row.get(*column) {
                    ActiveValue::Set(value) | ActiveValue::Unchanged(value) => push_copy_value(&mut data, &value)?,
                    ActiveValue::NotSet => data.push_str("\\N"),
                }
            }
            data.push('\n');
            if data.len() >= COPY_CHUNK_BYTES {
                copy.send(data.as_bytes()).await.map_err(copy_error)?;
                data.clear();
            }
        }
        copy.send(data.as_bytes()).await.map_err(copy_error)?;
        copy.finish().await.map_err(copy_error)?;
        self.counts.add(table, written);
        Ok(())
    }
}

/// A value in COPY's text format: `\N` for NULL, text with backslash escapes.
fn push_copy_value(data: &mut String, value: &Value) -> Result<(), DbErr> {
    if *value == value.as_null() {
        data.push_str("\\N");
        return Ok(());
    }
    match value {
        Value::Bool(Some(b)) => data.push(if *b { 't' } else { 'f' }),
        Value::Int(Some(n)) => data.push_str(&n.to_string()),
        Value::BigInt(Some(n)) => data.push_str(&n.to_string()),
        Value::String(Some(text)) => push_copy_text(data, text),
        Value::Uuid(Some(id)) => data.push_str(&id.to_string()),
        Value::ChronoDate(Some(date)) => data.push_str(&date.format("%Y-%m-%d").to_string()),
        Value::ChronoDateTimeUtc(Some(at)) => data.push_str(&at.to_rfc3339_opts(SecondsFormat::Micros, true)),
        Value::Json(Some(json)) => push_copy_text(data, &json.to_string()),
        other => return Err(DbErr::Custom(format!("cannot COPY the value {other:?}"))),
    }
    Ok(())
}

fn push_copy_text(data: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '\\' => data.push_str("\\\\"),
            '\n' => data.push_str("\\n"),
            '\r' => data.push_str("\\r"),
            '\t' => data.push_str("\\t"),
            c => data.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::{NaiveDate, TimeZone, Utc};
    use uuid::Uuid;

    use super::*;

    fn copied(value: Value) -> String {
        let mut data = String::new();
        push_copy_value(&mut data, &value).unwrap();
        data
    }

    #[test]
    fn values_are_written_in_copy_text_format() {
        assert_eq!(copied(Value::String(None)), "\\N");
        assert_eq!(copied(Value::String(Some("a\tb\\c\nd".into()))), "a\\tb\\\\c\\nd");
        assert_eq!(copied(Value::Bool(Some(true))), "t");
        assert_eq!(copied(Value::Int(Some(-3))), "-3");
        assert_eq!(copied(Value::Uuid(Some(Uuid::nil()))), "00000000-0000-0000-0000-000000000000");
        assert_eq!(copied(Value::ChronoDate(NaiveDate::from_ymd_opt(2026, 1, 2))), "2026-01-02");
        let at = Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap() + chrono::TimeDelta::microseconds(7);
        assert_eq!(copied(Value::ChronoDateTimeUtc(Some(at))), "2026-01-02T03:04:05.000007Z");
        // JSON escapes the tab as `\t`; COPY then escapes its backslash.
        assert_eq!(copied(Value::Json(Some(Box::new(serde_json::json!(["x\ty"]))))), "[\"x\\\\ty\"]");
    }
}

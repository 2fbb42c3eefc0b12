//! Optimistic concurrency for aggregates with a `version` column: a write names the version it
//! read (and the client's `expectedVersion`, if sent) and succeeds only if nobody wrote since.

use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::error::{AppError, AppResult};

pub struct Versioned<E: EntityTrait> {
    pub id_column: E::Column,
    pub version_column: E::Column,
    pub what: &'static str,
}

/// Checks `expected` against what was read, then writes `changes` with the version bumped,
/// on the condition that the row still has `read_version`. Returns the row as written.
pub async fn save<E>(
    tx: &impl ConnectionTrait,
    columns: Versioned<E>,
    id: Uuid,
    read_version: i32,
    expected: Option<i32>,
    mut changes: E::ActiveModel,
) -> AppResult<E::Model>
where
    E: EntityTrait,
    E::ActiveModel: ActiveModelTrait<Entity = E> + Send,
{
    let stale = |version: i32| {
        AppError::Conflict(format!(
            "the {} was changed by someone else since version {version}; reload it and try again",
            columns.what
        ))
    };
    if let Some(expected) = expected
        && expected != read_version
    {
        return Err(stale(expected));
    }
    changes.set(columns.version_column, (read_version + 1).into());
    let written = E::update_many()
        .set(changes)
        .filter(columns.id_column.eq(id))
        .filter(columns.version_column.eq(read_version))
        .exec(tx)
        .await?;
    if written.rows_affected != 1 {
        return Err(stale(read_version));
    }
    E::find().filter(columns.id_column.eq(id)).one(tx).await?.ok_or(AppError::NotFound(columns.what))
}

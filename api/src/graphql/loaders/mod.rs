//! Per-request batch loading. Every relation a list can reach is read through one
//! [`DataLoader`] made for the request, so sibling lookups (the owners of fifty actions, the
//! reviews of a page of incidents) become one statement per level, whatever the page size.
//! Nothing is cached across requests: each batch reads the database afresh, with the viewer's
//! access rules in its SQL.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Arc;

use async_graphql::Context;
use async_graphql::dataloader::{DataLoader, Loader};
use chrono::{DateTime, Utc};
use entity::{
    ReviewRole, TeamRole, acknowledgement, action, comment, comment_mention, contributing_factor, due_date_change,
    follow_up, incident, incident_affected_team, incident_responder, incident_service, incident_tag, membership,
    parked_question, review, review_link, review_participant, service, tag, team, timeline_entry, user, why,
};
use sea_orm::sea_query::{Alias, Asterisk, Expr, ExprTrait, Query, UnionType};
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, FromQueryResult, Order, QueryFilter, QueryOrder, QuerySelect,
    QueryTrait, Select,
};
use uuid::Uuid;

use crate::auth::{RequestAuth, Viewer};
use crate::domain::access::{readable_incidents, readable_reviews};
use crate::domain::pagination::{Page, PageRequest, encode_cursor};
use crate::error::{AppError, AppResult};

/// What a request's loaders read with: the database and the viewer whose rules apply.
pub struct Batch {
    db: DatabaseConnection,
    auth: RequestAuth,
}

pub type Loaders = DataLoader<Batch>;

impl Batch {
    pub fn new(db: DatabaseConnection, auth: RequestAuth) -> Self {
        Self { db, auth }
    }

    /// The loaders of one request: lookups made within `delay` of each other share a statement.
    pub fn loaders(self, delay: std::time::Duration) -> Loaders {
        DataLoader::new(self, tokio::spawn).delay(delay)
    }

    fn viewer(&self) -> AppResult<&Viewer> {
        self.auth.viewer()
    }
}

/// The one value loaded for `key`, if there is one.
pub async fn one<K>(ctx: &Context<'_>, key: K) -> AppResult<Option<<Batch as Loader<K>>::Value>>
where
    K: Send + Sync + Hash + Eq + Clone + 'static,
    Batch: Loader<K, Error = Arc<AppError>>,
{
    let loaders =
        ctx.data::<Loaders>().map_err(|_| AppError::internal(anyhow::anyhow!("no loaders in the request")))?;
    loaders.load_one(key).await.map_err(|shared| AppError::clone(&shared))
}

/// The values loaded for `keys` in one batch, in the keys' order; keys with none are left out.
pub async fn many<K>(ctx: &Context<'_>, keys: Vec<K>) -> AppResult<Vec<<Batch as Loader<K>>::Value>>
where
    K: Send + Sync + Hash + Eq + Clone + 'static,
    Batch: Loader<K, Error = Arc<AppError>>,
    <Batch as Loader<K>>::Value: Clone,
{
    let loaders =
        ctx.data::<Loaders>().map_err(|_| AppError::internal(anyhow::anyhow!("no loaders in the request")))?;
    let mut found = loaders.load_many(keys.iter().cloned()).await.map_err(|shared| AppError::clone(&shared))?;
    Ok(keys.iter().filter_map(|key| found.remove(key)).collect())
}

/// The object loaded for `key`; NOT_FOUND when there is none.
pub async fn required<K>(ctx: &Context<'_>, key: K, what: &'static str) -> AppResult<<Batch as Loader<K>>::Value>
where
    K: Send + Sync + Hash + Eq + Clone + 'static,
    Batch: Loader<K, Error = Arc<AppError>>,
{
    one(ctx, key).await?.ok_or(AppError::NotFound(what))
}

/// The list loaded for `key` (empty when there is none).
pub async fn list<K, V>(ctx: &Context<'_>, key: K) -> AppResult<V>
where
    K: Send + Sync + Hash + Eq + Clone + 'static,
    V: Default,
    Batch: Loader<K, Value = V, Error = Arc<AppError>>,
{
    Ok(one(ctx, key).await?.unwrap_or_default())
}

fn group<T>(rows: impl IntoIterator<Item = T>, key: impl Fn(&T) -> Uuid) -> HashMap<Uuid, Vec<T>> {
    let mut groups: HashMap<Uuid, Vec<T>> = HashMap::new();
    for row in rows {
        groups.entry(key(&row)).or_default().push(row);
    }
    groups
}

fn keyed<T>(rows: impl IntoIterator<Item = T>, key: impl Fn(&T) -> Uuid) -> HashMap<Uuid, T> {
    rows.into_iter().map(|row| (key(&row), row)).collect()
}

/// The objects a link table attaches to many parents: the links in one statement, the objects
/// they name in another (in the order `targets` sorts them), grouped by parent.
async fn linked<L, T>(
    db: &DatabaseConnection,
    links: sea_orm::Select<L>,
    parent_of: impl Fn(&L::Model) -> Uuid,
    target_of: impl Fn(&L::Model) -> Uuid,
    targets: impl FnOnce(Vec<Uuid>) -> sea_orm::Select<T>,
    id_of: impl Fn(&T::Model) -> Uuid,
) -> AppResult<HashMap<Uuid, Vec<T::Model>>>
where
    L: EntityTrait,
    T: EntityTrait,
    T::Model: Clone,
{
    let links = links.all(db).await?;
    if links.is_empty() {
        return Ok(HashMap::new());
    }
    let targets = targets(links.iter().map(&target_of).collect()).all(db).await?;
    Ok(group(links, parent_of)
        .into_iter()
        .map(|(parent, links)| {
            let ids: Vec<Uuid> = links.iter().map(&target_of).collect();
            (parent, targets.iter().filter(|t| ids.contains(&id_of(t))).cloned().collect())
        })
        .collect())
}

/// The children of many parents in one statement, each parent's in `order`.
async fn load_children<E>(
    db: &DatabaseConnection,
    parent: E::Column,
    parents: Vec<Uuid>,
    order: &[E::Column],
    parent_of: impl Fn(&E::Model) -> Uuid,
) -> AppResult<HashMap<Uuid, Vec<E::Model>>>
where
    E: EntityTrait,
{
    let mut select = E::find().filter(parent.is_in(parents));
    for column in order {
        select = select.order_by_asc(*column);
    }
    Ok(group(select.all(db).await?, parent_of))
}

async fn users_by_id(
    db: &DatabaseConnection,
    ids: impl Iterator<Item = Uuid>,
) -> AppResult<HashMap<Uuid, user::Model>> {
    let ids: Vec<Uuid> = ids.collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(keyed(user::Entity::find().filter(user::Column::Id.is_in(ids)).all(db).await?, |u| u.id))
}

/// Declares a key type (a newtype over the parent's or object's ID) and its batch: `$body`
/// reads the values of every ID in `$ids` at once and returns them by ID.
macro_rules! batch {
    ($(#[$doc:meta])* $key:ident => $value:ty, |$batch:ident, $ids:ident| $body:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub struct $key(pub Uuid);

        impl Loader<$key> for Batch {
            type Value = $value;
            type Error = Arc<AppError>;

            async fn load(&self, keys: &[$key]) -> Result<HashMap<$key, $value>, Arc<AppError>> {
                let $batch = self;
                let $ids: Vec<Uuid> = keys.iter().map(|key| key.0).collect();
                let loaded: AppResult<HashMap<Uuid, $value>> = async { $body }.await;
                loaded.map(|values| values.into_iter().map(|(id, v)| ($key(id), v)).collect()).map_err(Arc::new)
            }
        }
    };
}

/// A loader of objects of the viewer's organization by their IDs.
macro_rules! in_org {
    ($(#[$doc:meta])* $key:ident => $entity:ident) => {
        batch!($(#[$doc])* $key => $entity::Model, |b, ids| {
            let rows = $entity::Entity::find()
                .filter($entity::Column::Id.is_in(ids))
                .filter($entity::Column::OrganizationId.eq(b.viewer()?.org_id))
                .all(&b.db)
                .await?;
            Ok(keyed(rows, |row| row.id))
        });
    };
}

/// A loader of the children of many parents, in one statement ordered by the given columns.
macro_rules! children {
    ($(#[$doc:meta])* $key:ident => $entity:ident by $parent:ident ($field:ident), ordered by [$($order:ident),+]) => {
        batch!($(#[$doc])* $key => Vec<$entity::Model>, |b, ids| {
            load_children::<$entity::Entity>(&b.db, $entity::Column::$parent, ids, &[$($entity::Column::$order),+], |row| {
                row.$field
            })
            .await
        });
    };
}

mod by_id;
mod children;
mod pages;

pub use by_id::*;
pub use children::*;
pub use pages::*;

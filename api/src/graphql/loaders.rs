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
    ReviewRole, TeamRole, acknowledgement, action, contributing_factor, due_date_change, follow_up, incident,
    incident_affected_team, incident_responder, incident_tag, membership, parked_question, review, review_link,
    review_participant, tag, team, timeline_entry, user, why,
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
    loaders.load_one(key).await.map_err(unshare)
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

/// A loader's error reaches every waiting resolver; each gets the same code and message.
fn unshare(error: Arc<AppError>) -> AppError {
    Arc::try_unwrap(error).unwrap_or_else(|shared| match &*shared {
        AppError::Unauthenticated(m) => AppError::Unauthenticated(m.clone()),
        AppError::Forbidden(m) => AppError::Forbidden(m.clone()),
        AppError::NotFound(what) => AppError::NotFound(what),
        AppError::BadInput { message, field } => AppError::BadInput { message: message.clone(), field: field.clone() },
        AppError::Conflict(m) => AppError::Conflict(m.clone()),
        AppError::SlowConsumer(m) => AppError::SlowConsumer(m.clone()),
        AppError::RateLimited { retry_after_secs } => AppError::RateLimited { retry_after_secs: *retry_after_secs },
        AppError::Timeout => AppError::Timeout,
        AppError::Unavailable => AppError::Unavailable,
        AppError::Internal(e) => AppError::Internal(anyhow::anyhow!("{e:#}")),
    })
}

fn group<T>(rows: impl IntoIterator<Item = T>, key: impl Fn(&T) -> Uuid) -> HashMap<Uuid, Vec<T>> {
    let mut groups: HashMap<Uuid, Vec<T>> = HashMap::new();
    for row in rows {
        groups.entry(key(&row)).or_default().push(row);
    }
    groups
}

fn by_id<T>(rows: impl IntoIterator<Item = T>, key: impl Fn(&T) -> Uuid) -> HashMap<Uuid, T> {
    rows.into_iter().map(|row| (key(&row), row)).collect()
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
            Ok(by_id(rows, |row| row.id))
        });
    };
}

/// A loader of the children of many parents, in one statement ordered by the given columns.
macro_rules! children {
    ($(#[$doc:meta])* $key:ident => $entity:ident by $parent:ident ($field:ident), ordered by [$($order:ident),+]) => {
        batch!($(#[$doc])* $key => Vec<$entity::Model>, |b, ids| {
            children::<$entity::Entity>(&b.db, $entity::Column::$parent, ids, &[$($entity::Column::$order),+], |row| {
                row.$field
            })
            .await
        });
    };
}

in_org!(
    /// A user of the viewer's organization.
    UserById => user
);

in_org!(
    /// A team of the viewer's organization.
    TeamById => team
);

in_org!(
    /// An incident of the viewer's organization (reached from a review the viewer reads).
    IncidentById => incident
);

batch!(
    /// A review, when the viewer may read it.
    ReadableReview => review::Model, |b, ids| {
        let rows = review::Entity::find()
            .filter(review::Column::Id.is_in(ids))
            .filter(readable_reviews(b.viewer()?))
            .all(&b.db)
            .await?;
        Ok(by_id(rows, |r| r.id))
    }
);

batch!(
    /// The review of an incident, when the viewer may read it.
    ReviewOfIncident => review::Model, |b, ids| {
        let rows = review::Entity::find()
            .filter(review::Column::IncidentId.is_in(ids))
            .filter(readable_reviews(b.viewer()?))
            .all(&b.db)
            .await?;
        Ok(by_id(rows, |r| r.incident_id))
    }
);

batch!(
    /// An incident's responders, by name.
    RespondersOf => Vec<user::Model>, |b, ids| {
        let links = incident_responder::Entity::find()
            .filter(incident_responder::Column::IncidentId.is_in(ids))
            .all(&b.db)
            .await?;
        if links.is_empty() {
            return Ok(HashMap::new());
        }
        let people = user::Entity::find()
            .filter(user::Column::Id.is_in(links.iter().map(|l| l.user_id)))
            .order_by_asc(user::Column::DisplayName)
            .all(&b.db)
            .await?;
        Ok(group(links, |l| l.incident_id)
            .into_iter()
            .map(|(incident, links)| {
                let ids: Vec<Uuid> = links.iter().map(|l| l.user_id).collect();
                (incident, people.iter().filter(|u| ids.contains(&u.id)).cloned().collect())
            })
            .collect())
    }
);

batch!(
    /// The other teams an incident affected, by slug.
    AffectedTeamsOf => Vec<team::Model>, |b, ids| {
        let links = incident_affected_team::Entity::find()
            .filter(incident_affected_team::Column::IncidentId.is_in(ids))
            .all(&b.db)
            .await?;
        if links.is_empty() {
            return Ok(HashMap::new());
        }
        let teams = team::Entity::find()
            .filter(team::Column::Id.is_in(links.iter().map(|l| l.team_id)))
            .order_by_asc(team::Column::Slug)
            .all(&b.db)
            .await?;
        Ok(group(links, |l| l.incident_id)
            .into_iter()
            .map(|(incident, links)| {
                let ids: Vec<Uuid> = links.iter().map(|l| l.team_id).collect();
                (incident, teams.iter().filter(|t| ids.contains(&t.id)).cloned().collect())
            })
            .collect())
    }
);

batch!(
    /// An incident's tags, by name.
    TagsOf => Vec<String>, |b, ids| {
        let links = incident_tag::Entity::find().filter(incident_tag::Column::IncidentId.is_in(ids)).all(&b.db).await?;
        if links.is_empty() {
            return Ok(HashMap::new());
        }
        let tags = tag::Entity::find()
            .filter(tag::Column::Id.is_in(links.iter().map(|l| l.tag_id)))
            .order_by_asc(tag::Column::Name)
            .all(&b.db)
            .await?;
        Ok(group(links, |l| l.incident_id)
            .into_iter()
            .map(|(incident, links)| {
                let ids: Vec<Uuid> = links.iter().map(|l| l.tag_id).collect();
                (incident, tags.iter().filter(|t| ids.contains(&t.id)).map(|t| t.name.clone()).collect())
            })
            .collect())
    }
);

batch!(
    /// A review's participants and their roles, in the order they joined.
    ParticipantsOf => Vec<(user::Model, ReviewRole)>, |b, ids| {
        let rows = review_participant::Entity::find()
            .filter(review_participant::Column::ReviewId.is_in(ids))
            .order_by_asc(review_participant::Column::CreatedAt)
            .all(&b.db)
            .await?;
        let people = users_by_id(&b.db, rows.iter().map(|r| r.user_id)).await?;
        Ok(group(rows, |r| r.review_id)
            .into_iter()
            .map(|(review, rows)| {
                (review, rows.into_iter().filter_map(|r| people.get(&r.user_id).map(|u| (u.clone(), r.role))).collect())
            })
            .collect())
    }
);

batch!(
    /// Who acknowledged a review, and when, first first.
    AcknowledgementsOf => Vec<(user::Model, DateTime<Utc>)>, |b, ids| {
        let rows = acknowledgement::Entity::find()
            .filter(acknowledgement::Column::ReviewId.is_in(ids))
            .order_by_asc(acknowledgement::Column::CreatedAt)
            .all(&b.db)
            .await?;
        let people = users_by_id(&b.db, rows.iter().map(|r| r.user_id)).await?;
        Ok(group(rows, |r| r.review_id)
            .into_iter()
            .map(|(review, rows)| {
                let acknowledged =
                    rows.into_iter().filter_map(|r| people.get(&r.user_id).map(|u| (u.clone(), r.created_at)));
                (review, acknowledged.collect())
            })
            .collect())
    }
);

children!(
    /// A review's timeline, chronologically.
    TimelineOf => timeline_entry by ReviewId (review_id), ordered by [OccurredAt, Id]
);

children!(
    /// A review's why chain, in order.
    WhysOf => why by ReviewId (review_id), ordered by [Position]
);

children!(
    /// A review's contributing factors, oldest first.
    FactorsOf => contributing_factor by ReviewId (review_id), ordered by [Id]
);

children!(
    /// A review's parked questions, oldest first.
    ParkedQuestionsOf => parked_question by ReviewId (review_id), ordered by [Id]
);

children!(
    /// A review's links, oldest first.
    LinksOf => review_link by ReviewId (review_id), ordered by [Id]
);

children!(
    /// A review's follow-ups, oldest first.
    FollowUpsOf => follow_up by ReviewId (review_id), ordered by [CreatedAt]
);

children!(
    /// A review's actions, most important first.
    ActionsOf => action by ReviewId (review_id), ordered by [Priority, Id]
);

children!(
    /// An action's reschedules, oldest first.
    DueDateChangesOf => due_date_change by ActionId (action_id), ordered by [ChangedAt]
);

children!(
    /// The teams a user belongs to, oldest membership first.
    MembershipsOf => membership by UserId (user_id), ordered by [Id]
);

batch!(
    /// The viewer's role in a team, if they belong to it.
    ViewerRoleIn => TeamRole, |b, ids| {
        let rows = membership::Entity::find()
            .filter(membership::Column::TeamId.is_in(ids))
            .filter(membership::Column::UserId.eq(b.viewer()?.user_id))
            .all(&b.db)
            .await?;
        Ok(rows.into_iter().map(|m| (m.team_id, m.role)).collect())
    }
);

/// The children of many parents in one statement, each parent's in `order`.
async fn children<E>(
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
    Ok(by_id(user::Entity::find().filter(user::Column::Id.is_in(ids)).all(db).await?, |u| u.id))
}

/// One page of a team's incidents the viewer may read, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TeamIncidents {
    pub team: Uuid,
    pub page: PageRequest,
}

impl Loader<TeamIncidents> for Batch {
    type Value = Page<incident::Model>;
    type Error = Arc<AppError>;

    async fn load(&self, keys: &[TeamIncidents]) -> Result<HashMap<TeamIncidents, Self::Value>, Arc<AppError>> {
        let load = async {
            let readable = incident::Entity::find().filter(readable_incidents(self.viewer()?));
            let shape = PageShape {
                parent: incident::Column::TeamId,
                key: incident::Column::Id,
                order: Order::Desc,
                parent_of: |i: &incident::Model| i.team_id,
                key_of: |i: &incident::Model| i.id,
            };
            let pages = shape.pages_of(&self.db, readable, keys.iter().map(|k| (k.team, &k.page))).await?;
            Ok(pages.into_iter().map(|(team, page, incidents)| (TeamIncidents { team, page }, incidents)).collect())
        };
        load.await.map_err(Arc::new)
    }
}

/// One page of a team's memberships, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TeamMembers {
    pub team: Uuid,
    pub page: PageRequest,
}

impl Loader<TeamMembers> for Batch {
    type Value = Page<membership::Model>;
    type Error = Arc<AppError>;

    async fn load(&self, keys: &[TeamMembers]) -> Result<HashMap<TeamMembers, Self::Value>, Arc<AppError>> {
        let load = async {
            let shape = PageShape {
                parent: membership::Column::TeamId,
                key: membership::Column::Id,
                order: Order::Asc,
                parent_of: |m: &membership::Model| m.team_id,
                key_of: |m: &membership::Model| m.id,
            };
            let members = membership::Entity::find();
            let pages = shape.pages_of(&self.db, members, keys.iter().map(|k| (k.team, &k.page))).await?;
            Ok(pages.into_iter().map(|(team, page, members)| (TeamMembers { team, page }, members)).collect())
        };
        load.await.map_err(Arc::new)
    }
}

/// How the children of many parents are paged at once: keyset pages over a UUID key, per parent.
struct PageShape<E: EntityTrait, P, K> {
    parent: E::Column,
    key: E::Column,
    order: Order,
    parent_of: P,
    key_of: K,
}

impl<E, P, K> PageShape<E, P, K>
where
    E: EntityTrait,
    E::Model: FromQueryResult + Send + Sync,
    P: Fn(&E::Model) -> Uuid,
    K: Fn(&E::Model) -> Uuid,
{
    /// The pages asked for by `requests` (parent, page): one statement for all the parents
    /// asking for the same page (in practice, all of them).
    async fn pages_of<'k>(
        &self,
        db: &DatabaseConnection,
        select: Select<E>,
        requests: impl Iterator<Item = (Uuid, &'k PageRequest)>,
    ) -> AppResult<Vec<(Uuid, PageRequest, Page<E::Model>)>> {
        let mut by_page: HashMap<&PageRequest, Vec<Uuid>> = HashMap::new();
        for (parent, page) in requests {
            by_page.entry(page).or_default().push(parent);
        }
        let mut loaded = Vec::new();
        for (page, parents) in by_page {
            for (parent, children) in self.pages(db, select.clone(), &parents, page).await? {
                loaded.push((parent, page.clone(), children));
            }
        }
        Ok(loaded)
    }

    /// The same page of every parent's children in one statement, and their totals in one more
    /// when asked for.
    async fn pages(
        &self,
        db: &DatabaseConnection,
        select: Select<E>,
        parents: &[Uuid],
        page: &PageRequest,
    ) -> AppResult<HashMap<Uuid, Page<E::Model>>> {
        let totals: HashMap<Uuid, i64> = if page.count_total {
            select
                .clone()
                .filter(self.parent.is_in(parents.iter().copied()))
                .select_only()
                .column(self.parent)
                .column_as(Expr::col(self.key).count(), "total")
                .group_by(self.parent)
                .into_tuple::<(Uuid, i64)>()
                .all(db)
                .await?
                .into_iter()
                .collect()
        } else {
            HashMap::new()
        };
        let mut rows = Vec::new();
        if page.first > 0 {
            let mut children = select;
            if let Some(after) = &page.after {
                let after =
                    Uuid::parse_str(after).map_err(|_| AppError::invalid("after", "not a cursor from this API"))?;
                children =
                    children.filter(if self.order == Order::Desc { self.key.lt(after) } else { self.key.gt(after) });
            }
            // One limited branch per parent, each read from the (parent, key) index, as one
            // statement: the cost is the page size, not the size of the parents' histories.
            let mut branches = parents.iter().enumerate().map(|(i, parent)| {
                let branch = children
                    .clone()
                    .filter(self.parent.eq(*parent))
                    .order_by(self.key, self.order.clone())
                    .limit(page.first + 1)
                    .into_query();
                Query::select().column(Asterisk).from_subquery(branch, Alias::new(format!("page_{i}"))).to_owned()
            });
            if let Some(mut paged) = branches.next() {
                paged.unions(branches.map(|branch| (UnionType::All, branch)));
                rows = E::Model::find_by_statement(db.get_database_backend().build(&paged)).all(db).await?;
            }
        }
        // Each parent's rows in page order, whatever order the branches came back in.
        let descending = self.order == Order::Desc;
        rows.sort_by(|a, b| {
            let (a, b) = ((self.key_of)(a), (self.key_of)(b));
            if descending { b.cmp(&a) } else { a.cmp(&b) }
        });
        let mut pages: HashMap<Uuid, Page<E::Model>> = parents
            .iter()
            .map(|parent| {
                let total_count = totals.get(parent).map_or(0, |n| u64::try_from(*n).unwrap_or(0));
                let page = Page {
                    items: Vec::new(),
                    has_previous_page: page.after.is_some(),
                    has_next_page: false,
                    total_count,
                };
                (*parent, page)
            })
            .collect();
        for row in rows {
            let Some(children) = pages.get_mut(&(self.parent_of)(&row)) else { continue };
            if children.items.len() as u64 == page.first {
                children.has_next_page = true;
            } else {
                children.items.push((encode_cursor(&(self.key_of)(&row).to_string()), row));
            }
        }
        Ok(pages)
    }
}

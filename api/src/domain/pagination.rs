//! Forward keyset pagination for Relay connections: `first` (default 20, capped at 100) items
//! after an opaque cursor, ordered by one unique column. Never OFFSET.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, ColumnType, ConnectionTrait, EntityTrait, Order, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    Select, Value,
};
use uuid::Uuid;

use crate::error::{AppError, AppResult};

pub const DEFAULT_PAGE_SIZE: u64 = 20;
pub const MAX_PAGE_SIZE: u64 = 100;

#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct PageRequest {
    pub first: u64,
    /// The decoded sort key of the last item the client has.
    pub after: Option<String>,
    /// Whether to count every matching item (a statement of its own, over the whole set).
    pub count_total: bool,
}

impl PageRequest {
    pub fn new(first: Option<i32>, after: Option<&str>) -> AppResult<Self> {
        let first = match first {
            None => DEFAULT_PAGE_SIZE,
            Some(n) if n < 0 => return Err(AppError::invalid("first", "first must not be negative")),
            Some(n) => Ord::min(n as u64, MAX_PAGE_SIZE),
        };
        let after = after.map(decode_cursor).transpose()?;
        Ok(Self { first, after, count_total: true })
    }

    /// Skips counting the whole set when no one asked for `totalCount`.
    pub fn counting(self, count_total: bool) -> Self {
        Self { count_total, ..self }
    }

    /// Counts the items `select` matches, when asked to; 0 otherwise (the total is not shown then).
    pub async fn total<E, C>(&self, db: &C, select: Select<E>) -> AppResult<u64>
    where
        E: EntityTrait,
        E::Model: Sync,
        C: ConnectionTrait,
    {
        if !self.count_total {
            return Ok(0);
        }
        Ok(select.count(db).await?)
    }
}

impl PageRequest {
    /// The cursor's key as an ID, for pages ordered by a UUID key.
    pub fn after_id(&self) -> AppResult<Option<Uuid>> {
        self.after.as_deref().map(|key| Uuid::parse_str(key).map_err(|_| bad_cursor())).transpose()
    }

    /// The cursor's key as a sort value and an ID, for pages ordered by a column, then the ID
    /// (see [`pair_cursor`]).
    pub fn after_pair<T: std::str::FromStr>(&self) -> AppResult<Option<(T, Uuid)>> {
        let Some(key) = self.after.as_deref() else { return Ok(None) };
        let (value, id) = key.split_once('|').ok_or_else(bad_cursor)?;
        Ok(Some((value.parse().map_err(|_| bad_cursor())?, Uuid::parse_str(id).map_err(|_| bad_cursor())?)))
    }
}

/// The cursor of an item in a page ordered by `value`, then the item's `id`.
pub fn pair_cursor(value: impl std::fmt::Display, id: Uuid) -> String {
    encode_cursor(&format!("{value}|{id}"))
}

pub fn encode_cursor(key: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("k:{key}"))
}

fn bad_cursor() -> AppError {
    AppError::invalid("after", "not a cursor from this API")
}

fn decode_cursor(cursor: &str) -> AppResult<String> {
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|text| text.strip_prefix("k:").map(str::to_owned))
        .ok_or_else(bad_cursor)
}

/// One page of a connection: items with their cursors, whether more follow, and the total.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<(String, T)>,
    pub has_previous_page: bool,
    pub has_next_page: bool,
    pub total_count: u64,
}

impl<T> Page<T> {
    pub fn map<U>(self, f: impl Fn(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(|(cursor, item)| (cursor, f(item))).collect(),
            has_previous_page: self.has_previous_page,
            has_next_page: self.has_next_page,
            total_count: self.total_count,
        }
    }
}

/// Runs `select` as one page in `order` of `key` (a unique text or UUID column; newest first
/// is `Order::Desc` over a UUIDv7 key). `key_of` reads the same key back from a row to make its
/// cursor.
pub async fn paginate<E, C>(
    db: &C,
    select: Select<E>,
    key: E::Column,
    order: Order,
    key_of: impl Fn(&E::Model) -> String,
    page: &PageRequest,
) -> AppResult<Page<E::Model>>
where
    E: EntityTrait,
    E::Model: Sync,
    C: ConnectionTrait,
{
    let total_count = page.total(db, select.clone()).await?;
    let mut query = select;
    if let Some(after) = &page.after {
        let value: Value = match key.def().get_column_type() {
            ColumnType::Uuid => Uuid::parse_str(after).map_err(|_| bad_cursor())?.into(),
            ColumnType::BigInteger => after.parse::<i64>().map_err(|_| bad_cursor())?.into(),
            _ => after.clone().into(),
        };
        let column = Expr::col((E::default(), key));
        query = query.filter(if order == Order::Desc { column.lt(value) } else { column.gt(value) });
    }
    let mut rows = query.order_by(key, order).limit(page.first + 1).all(db).await?;
    let has_next_page = rows.len() as u64 > page.first;
    rows.truncate(page.first as usize);
    let items = rows.into_iter().map(|row| (encode_cursor(&key_of(&row)), row)).collect();
    Ok(Page { items, has_previous_page: page.after.is_some(), has_next_page, total_count })
}

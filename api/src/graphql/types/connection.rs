//! Relay cursor connections (`XConnection`, `XEdge`, `PageInfo`), described for the schema.

use std::borrow::Cow;

use async_graphql::{Object, OutputType, SimpleObject, TypeName};

use crate::domain::pagination::Page;

/// One page of a list (a Relay connection).
pub struct Connection<N: OutputType> {
    edges: Vec<Edge<N>>,
    has_previous_page: bool,
    has_next_page: bool,
    total_count: u64,
}

impl<N: OutputType> TypeName for Connection<N> {
    fn type_name() -> Cow<'static, str> {
        format!("{}Connection", N::type_name()).into()
    }
}

/// One page of a list, in a fixed order, with cursors to fetch the pages after it. `first`
/// sets the page size (20 when omitted, at most 100); pass `pageInfo.endCursor` as `after`
/// for the next page.
#[Object(name_type)]
impl<N: OutputType> Connection<N> {
    /// Where this page is in the list, and the cursor to continue from.
    async fn page_info(&self) -> PageInfo {
        PageInfo {
            has_previous_page: self.has_previous_page,
            has_next_page: self.has_next_page,
            start_cursor: self.edges.first().map(|edge| edge.cursor.clone()),
            end_cursor: self.edges.last().map(|edge| edge.cursor.clone()),
        }
    }

    /// The page's items with their cursors, in the list's order.
    async fn edges(&self) -> &[Edge<N>] {
        &self.edges
    }

    /// The page's items, in the list's order (the same as `edges { node }`).
    async fn nodes(&self) -> Vec<&N> {
        self.edges.iter().map(|edge| &edge.node).collect()
    }

    /// How many items match, across all pages.
    async fn total_count(&self) -> u64 {
        self.total_count
    }
}

/// One item of a connection's page.
pub struct Edge<N: OutputType> {
    cursor: String,
    node: N,
}

impl<N: OutputType> TypeName for Edge<N> {
    fn type_name() -> Cow<'static, str> {
        format!("{}Edge", N::type_name()).into()
    }
}

/// One item of a connection's page, with its cursor.
#[Object(name_type)]
impl<N: OutputType> Edge<N> {
    /// The item.
    async fn node(&self) -> &N {
        &self.node
    }

    /// Opaque; pass it as `after` to get the items that follow this one.
    async fn cursor(&self) -> &str {
        &self.cursor
    }
}

/// Where a page is in its list. Pages only go forwards: `after` and `first`.
#[derive(SimpleObject)]
pub struct PageInfo {
    /// Whether items come before this page (true when `after` was given).
    pub has_previous_page: bool,
    /// Whether more items follow this page: fetch them with `after: endCursor`.
    pub has_next_page: bool,
    /// The cursor of the page's first item; null for an empty page.
    pub start_cursor: Option<String>,
    /// The cursor of the page's last item, to pass as `after`; null for an empty page.
    pub end_cursor: Option<String>,
}

/// A Relay connection from one page of domain results.
pub fn connection<T, N: OutputType>(page: Page<T>, node: impl Fn(T) -> N) -> Connection<N> {
    Connection {
        edges: page.items.into_iter().map(|(cursor, item)| Edge { cursor, node: node(item) }).collect(),
        has_previous_page: page.has_previous_page,
        has_next_page: page.has_next_page,
        total_count: page.total_count,
    }
}

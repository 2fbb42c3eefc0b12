use async_graphql::connection::{Connection, Edge, EmptyFields};
use async_graphql::{OutputType, SimpleObject};

use crate::domain::pagination::Page;

/// Fields every connection has beside `edges` and `pageInfo`.
#[derive(SimpleObject)]
pub struct ConnectionFields {
    /// How many items match, across all pages.
    pub total_count: u64,
}

/// A Relay connection from one page of domain results.
pub fn connection<T, N: OutputType>(
    page: Page<T>,
    node: impl Fn(T) -> N,
) -> Connection<String, N, ConnectionFields, EmptyFields> {
    let mut connection = Connection::with_additional_fields(
        page.has_previous_page,
        page.has_next_page,
        ConnectionFields { total_count: page.total_count },
    );
    connection.edges.extend(page.items.into_iter().map(|(cursor, item)| Edge::new(cursor, node(item))));
    connection
}

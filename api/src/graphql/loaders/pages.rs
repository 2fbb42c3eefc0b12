//! One page of the children of many parents at once: keyset pages per parent in one statement.

use super::*;

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
            if let Some(after) = page.after_id()? {
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

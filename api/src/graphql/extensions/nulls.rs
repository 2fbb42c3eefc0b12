//! Errors answer `null`, as the GraphQL specification asks: a field that fails is `null` in
//! `data` (with its error) when its type allows it, and otherwise its nearest nullable parent
//! (an object, a list item or a list) is; when no parent may be null, `data` is. The engine
//! alone would leave the failed key out, which client caches such as Apollo's and urql's read
//! as a broken answer.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use async_graphql::extensions::ResolveInfo;
use async_graphql::{PathSegment, QueryPathNode, QueryPathSegment, Response, ServerError, ServerResult, Value};

/// The failures of one operation, as its fields resolve.
#[derive(Default)]
pub(super) struct Failures {
    /// Errors of fields answered `null` in their place; added to the response.
    nulled: Mutex<Vec<ServerError>>,
    /// Paths of non-null fields that failed, waiting for their nearest nullable parent.
    pending: Mutex<Vec<Vec<PathSegment>>>,
    /// Whether `pending` holds anything: every field asks, so without a lock.
    any: AtomicBool,
}

impl Failures {
    fn any_pending(&self) -> bool {
        self.any.load(Ordering::Relaxed)
    }

    /// Notes whether failures still wait, after `pending` changed.
    fn settle_pending(&self, pending: &[Vec<PathSegment>]) {
        self.any.store(!pending.is_empty(), Ordering::Relaxed);
    }

    /// Moves the errors of nulled fields into `response`; a failure no parent could take
    /// makes `data` null.
    pub(super) fn finish(&self, mut response: Response) -> Response {
        let nulled = std::mem::take(&mut *lock(&self.nulled));
        if !std::mem::take(&mut *lock(&self.pending)).is_empty() {
            response.data = Value::Null;
        }
        self.any.store(false, Ordering::Relaxed);
        response.errors.extend(nulled);
        response
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn path_of(node: &QueryPathNode<'_>) -> Vec<PathSegment> {
    let mut path: Vec<PathSegment> = std::iter::once(node)
        .chain(node.parents())
        .map(|node| match node.segment {
            QueryPathSegment::Name(name) => PathSegment::Field(name.to_owned()),
            QueryPathSegment::Index(index) => PathSegment::Index(index),
        })
        .collect();
    path.reverse();
    path
}

/// The type of an item of a list type (`[Review!]!` → `Review!`).
fn item_type(list: &str) -> &str {
    let list = list.strip_suffix('!').unwrap_or(list);
    list.strip_prefix('[').and_then(|inner| inner.strip_suffix(']')).unwrap_or(list)
}

fn nullable(ty: &str) -> bool {
    !ty.ends_with('!')
}

/// Takes a failure below a field of type `ty` whose value is `value`: `below` is the path from
/// the field's value to the failed child (list indices, then the child's name). Returns whether
/// the field itself must be null (it could not be taken inside its value).
fn take(ty: &str, value: &mut Value, below: &[PathSegment]) -> bool {
    match (below.first(), value) {
        (Some(PathSegment::Index(index)), Value::List(items)) => {
            let item_ty = item_type(ty);
            let Some(item) = items.get_mut(*index) else { return !nullable(ty) };
            if take(item_ty, item, &below[1..]) {
                if nullable(item_ty) {
                    *item = Value::Null;
                    return false;
                }
                return true;
            }
            false
        }
        // The failed child is a field of this object: the object is what must be null.
        _ => true,
    }
}

/// A field about to resolve: where it is and what it returns.
pub(super) struct Field<'a> {
    node: &'a QueryPathNode<'a>,
    return_type: &'a str,
}

impl Failures {
    /// Whether `info`'s field may run: mutations run one after another; once one failed and
    /// took `data` with it, the later ones do not run (as graphql-js does), so nothing commits
    /// unseen. Answers what the field's outcome is settled by.
    pub(super) fn start<'a>(&self, info: &ResolveInfo<'a>) -> ServerResult<Field<'a>> {
        let node = info.path_node;
        if info.parent_type == "Mutation" && node.parent.is_none() && self.any_pending() {
            return Err(ServerError::new("not run: an earlier mutation of this request failed", None));
        }
        Ok(Field { node, return_type: info.return_type })
    }

    /// A field's outcome, with the failures below it taken where they may be null.
    pub(super) fn settle(&self, field: Field<'_>, outcome: ServerResult<Option<Value>>) -> ServerResult<Option<Value>> {
        let Field { node, return_type } = field;
        match outcome {
            Ok(value) if !self.any_pending() => Ok(value),
            Ok(mut value) => {
                let path = path_of(node);
                let mut pending = lock(&self.pending);
                let (below, elsewhere): (Vec<_>, Vec<_>) =
                    pending.drain(..).partition(|failed| failed.len() > path.len() && failed.starts_with(&path));
                *pending = elsewhere;
                let mut null_here = false;
                if let Some(inner) = value.as_mut() {
                    for failed in &below {
                        null_here |= take(return_type, inner, &failed[path.len()..]);
                    }
                }
                if !null_here {
                    self.settle_pending(&pending);
                    return Ok(value);
                }
                if nullable(return_type) {
                    self.settle_pending(&pending);
                    return Ok(Some(Value::Null));
                }
                // Not ours to null either: our parent's turn.
                pending.push(path);
                Ok(value)
            }
            Err(mut error) if nullable(return_type) => {
                let path = path_of(node);
                // Failures below this field are moot now that it is null itself.
                let mut pending = lock(&self.pending);
                pending.retain(|failed| !failed.starts_with(&path));
                self.settle_pending(&pending);
                drop(pending);
                if error.path.is_empty() {
                    error.path = path;
                }
                lock(&self.nulled).push(error);
                Ok(Some(Value::Null))
            }
            Err(error) => {
                lock(&self.pending).push(path_of(node));
                self.any.store(true, Ordering::Relaxed);
                Err(error)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;

    use async_graphql::{EmptyMutation, EmptySubscription, Object, Result, Schema};
    use serde_json::json;

    use super::*;
    use crate::graphql::extensions::Controls;

    struct Root;
    struct Thing;

    #[Object]
    impl Thing {
        async fn ok(&self) -> i32 {
            1
        }
        async fn bad(&self) -> Result<i32> {
            Err("broken".into())
        }
    }

    #[Object]
    impl Root {
        async fn fine(&self) -> i32 {
            1
        }
        async fn maybe(&self) -> Result<Option<i32>> {
            Err("broken".into())
        }
        async fn required(&self) -> Result<i32> {
            Err("broken".into())
        }
        async fn thing(&self) -> Option<Thing> {
            Some(Thing)
        }
        async fn things(&self) -> Option<Vec<Thing>> {
            Some(vec![Thing, Thing])
        }
        async fn maybe_things(&self) -> Vec<Option<Thing>> {
            vec![Some(Thing), Some(Thing)]
        }
    }

    static COMMITTED: AtomicUsize = AtomicUsize::new(0);

    struct Changes;

    #[Object(name = "Mutation")]
    impl Changes {
        async fn change(&self) -> i32 {
            COMMITTED.fetch_add(1, Ordering::SeqCst) as i32
        }
        async fn refuse(&self) -> Result<i32> {
            Err("refused".into())
        }
    }

    #[tokio::test]
    async fn a_failed_mutation_stops_the_ones_after_it() {
        let schema = Schema::build(Root, Changes, EmptySubscription).extension(Controls::default()).finish();
        let response = schema.execute("mutation { a: change b: refuse c: change }").await;
        assert_eq!(response.data.into_json().unwrap(), json!(null));
        assert_eq!(COMMITTED.load(Ordering::SeqCst), 1, "the one after the failure did not run");
        assert_eq!(response.errors.len(), 2, "{:?}", response.errors);
    }

    async fn run(query: &str) -> (serde_json::Value, usize) {
        let schema = Schema::build(Root, EmptyMutation, EmptySubscription).extension(Controls::default()).finish();
        let response = schema.execute(query).await;
        (response.data.into_json().unwrap(), response.errors.len())
    }

    #[tokio::test]
    async fn a_failed_nullable_field_is_null_beside_its_error() {
        assert_eq!(run("{ maybe fine }").await, (json!({ "maybe": null, "fine": 1 }), 1));
    }

    #[tokio::test]
    async fn a_failed_non_null_field_nulls_its_nearest_nullable_parent() {
        assert_eq!(run("{ thing { ok bad } fine }").await, (json!({ "thing": null, "fine": 1 }), 1));
        assert_eq!(run("{ maybeThings { ok bad } }").await, (json!({ "maybeThings": [null, null] }), 2));
        assert_eq!(run("{ things { ok bad } fine }").await, (json!({ "things": null, "fine": 1 }), 2));
        assert_eq!(run("{ required fine }").await, (json!(null), 1));
        assert_eq!(run("{ thing { ok } fine }").await, (json!({ "thing": { "ok": 1 }, "fine": 1 }), 0));
    }
}

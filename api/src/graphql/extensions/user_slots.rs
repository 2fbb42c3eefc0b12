//! A bound on what one user may run at once, so that no user (however many requests, aliases,
//! batches or sockets they send) can hold every database connection and starve everyone else.
//!
//! Every top-level query or mutation field takes one of its user's slots while it resolves (its
//! nested fields run under it, batched per level by the loaders). A user has
//! `--max-concurrent-per-user` slots across every request, batch and WebSocket of theirs; a field
//! beyond that waits for a free slot, and after `wait` answers RATE_LIMITED.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_graphql::extensions::{ExtensionContext, NextResolve, ResolveInfo};
use async_graphql::{PathSegment, ServerResult, Value};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use uuid::Uuid;

use crate::auth::RequestAuth;
use crate::error::AppError;
use crate::graphql::server_error;

/// Every user's slots.
pub struct UserSlots {
    per_user: usize,
    wait: Duration,
    users: Mutex<HashMap<Uuid, Arc<Semaphore>>>,
}

/// One slot, held until dropped.
struct Slot {
    permit: Option<OwnedSemaphorePermit>,
    user: Uuid,
    slots: Arc<UserSlots>,
}

impl UserSlots {
    pub fn new(per_user: usize, wait: Duration) -> Arc<Self> {
        Arc::new(Self { per_user: per_user.max(1), wait, users: Mutex::default() })
    }

    async fn take(self: &Arc<Self>, user: Uuid) -> Result<Slot, AppError> {
        let semaphore = {
            let mut users = self.users.lock().expect("user slots lock");
            users.entry(user).or_insert_with(|| Arc::new(Semaphore::new(self.per_user))).clone()
        };
        match tokio::time::timeout(self.wait, semaphore.acquire_owned()).await {
            Ok(Ok(permit)) => Ok(Slot { permit: Some(permit), user, slots: self.clone() }),
            _ => Err(AppError::RateLimited { retry_after_secs: 1 }),
        }
    }

    /// How many users hold or wait for a slot now.
    #[cfg(test)]
    pub fn busy_users(&self) -> usize {
        self.users.lock().expect("user slots lock").len()
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        drop(self.permit.take());
        let mut users = self.slots.users.lock().expect("user slots lock");
        // Forget a user nobody holds or waits for (the map's own reference is the only one).
        if users.get(&self.user).is_some_and(|s| Arc::strong_count(s) == 1) {
            users.remove(&self.user);
        }
    }
}

impl UserSlots {
    /// Resolves a field; a top-level one of a signed-in user first takes one of their slots.
    pub(super) async fn resolve(
        self: &Arc<Self>,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        // Every field passes here: the nested ones (nearly all) leave at once.
        let top_level = info.path_node.parent.is_none()
            && !info.is_for_introspection
            && matches!(info.parent_type, "Query" | "Mutation");
        if !top_level {
            return next.run(ctx, info).await;
        }
        let user = match ctx.data_opt::<RequestAuth>() {
            Some(RequestAuth::Authenticated(viewer)) => viewer.user_id,
            _ => return next.run(ctx, info).await,
        };
        let _slot = self.take(user).await.map_err(|refusal| {
            let mut error = server_error(refusal);
            error.path = vec![PathSegment::Field(info.alias.unwrap_or(info.name).to_owned())];
            error
        })?;
        next.run(ctx, info).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_user_beyond_their_slots_waits_then_is_refused_and_others_are_not() {
        let slots = UserSlots::new(2, Duration::from_millis(50));
        let (busy, other) = (Uuid::now_v7(), Uuid::now_v7());
        let first = slots.take(busy).await.unwrap();
        let _second = slots.take(busy).await.unwrap();
        assert!(matches!(slots.take(busy).await, Err(AppError::RateLimited { .. })));
        let _theirs = slots.take(other).await.unwrap();
        drop(first);
        let _third = slots.take(busy).await.unwrap();
    }

    #[tokio::test]
    async fn users_with_nothing_running_are_forgotten() {
        let slots = UserSlots::new(1, Duration::from_millis(50));
        let slot = slots.take(Uuid::now_v7()).await.unwrap();
        assert_eq!(slots.busy_users(), 1);
        drop(slot);
        assert_eq!(slots.busy_users(), 0);
    }
}

//! CPU-heavy work (the blameless scan, the Markdown write-up) runs here, off the async workers:
//! on the blocking pool, at most one fewer at once than there are cores. However much of it
//! clients ask for, a core stays free for everything else, and the async workers keep
//! answering other requests (`/healthz` included) while it runs.

use std::sync::{Arc, LazyLock};

use tokio::sync::Semaphore;

use crate::error::{AppError, AppResult};

static PERMITS: LazyLock<Arc<Semaphore>> = LazyLock::new(|| {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    Arc::new(Semaphore::new(cores.saturating_sub(1).max(1)))
});

/// Runs `work` on the blocking pool once a permit is free. The work itself holds the permit: a
/// caller that goes away (a client disconnecting) does not free it while the work still runs.
pub async fn run<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> AppResult<T> {
    let permit = PERMITS.clone().acquire_owned().await.map_err(AppError::internal)?;
    tokio::task::spawn_blocking(move || {
        let _held = permit;
        work()
    })
    .await
    .map_err(AppError::internal)
}

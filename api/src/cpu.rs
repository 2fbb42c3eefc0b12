//! CPU-heavy work (the blameless scan, the Markdown write-up) runs here, off the async workers:
//! on the blocking pool, at most one fewer at once than there are cores. However much of it
//! clients ask for, a core stays free for everything else, and the async workers keep
//! answering other requests (`/healthz` included) while it runs.

use std::sync::LazyLock;

use tokio::sync::Semaphore;

use crate::error::{AppError, AppResult};

static PERMITS: LazyLock<Semaphore> = LazyLock::new(|| {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    Semaphore::new(cores.saturating_sub(1).max(1))
});

/// Runs `work` on the blocking pool once a permit is free.
pub async fn run<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> AppResult<T> {
    let _permit = PERMITS.acquire().await.map_err(AppError::internal)?;
    tokio::task::spawn_blocking(work).await.map_err(AppError::internal)
}

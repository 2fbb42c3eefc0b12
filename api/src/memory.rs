//! How the process hands memory back to the operating system: large blocks at once, the rest
//! every few seconds.

/// Sets the allocator up to hold little memory it does not use. Blocks of a mebibyte or more
/// (an argon2 hash's 19 MiB, a large response) get a mapping of their own, returned to the
/// operating system when freed: left to itself, glibc raises that threshold after the first such
/// block is freed and serves the next ones from its heaps, which keep the pages (a few sign-ins
/// left tens of megabytes resident for good, and a flood of them hundreds). And threads share
/// two heaps instead of up to eight per core, each with free memory of its own. Call it once,
/// at start.
pub fn configure() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: mallopt only changes the allocator's settings; a fixed threshold also turns off
        // its adjustment.
        let set =
            unsafe { libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20) == 1 && libc::mallopt(libc::M_ARENA_MAX, 2) == 1 };
        if !set {
            tracing::warn!("cannot set the allocator up");
        }
    }
}

/// How often the server hands freed memory back while it runs.
const TRIM_EVERY: std::time::Duration = std::time::Duration::from_secs(10);

/// Hands the allocator's free pages back to the operating system every `TRIM_EVERY`. glibc
/// returns by itself only what is free at the top of each heap; after a burst of requests, the
/// freed memory in the middle of every thread's heap stays resident (tens of megabytes after a
/// load) until something asks for it. `malloc_trim` releases those pages too; it runs off the
/// async workers.
pub fn spawn_trimming() -> tokio::task::JoinHandle<()> {
    tokio::spawn(async {
        let mut ticks = tokio::time::interval(TRIM_EVERY);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            let _ = tokio::task::spawn_blocking(trim).await;
        }
    })
}

fn trim() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: malloc_trim only gives free pages of the allocator's heaps back to the system.
        unsafe { libc::malloc_trim(0) };
    }
}

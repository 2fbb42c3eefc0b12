//! How the process hands memory back to the operating system.

/// Blocks of a mebibyte or more (an argon2 hash's 19 MiB, a large response) get a mapping of
/// their own, returned to the operating system when freed. Left to itself, glibc raises that
/// threshold after the first such block is freed and serves the next ones from its per-thread
/// heaps, which keep the pages: a few sign-ins left tens of megabytes resident for good, and a
/// flood of them hundreds. Call it once, at start.
pub fn return_large_blocks() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: mallopt only changes the allocator's settings; a fixed threshold also turns off
        // its adjustment.
        let set = unsafe { libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20) };
        if set != 1 {
            tracing::warn!("cannot set the allocator's threshold for large blocks");
        }
    }
}

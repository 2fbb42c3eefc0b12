//! The memory allocator: jemalloc, for every binary built on this crate. Under load a request
//! allocates and frees thousands of small blocks across the async workers; glibc's allocator
//! spent a fifth of the server's CPU on them (locking its shared heaps, consolidating free
//! blocks), and kept the memory of a burst (an argon2 hash's 19 MiB each) resident long after.
//! jemalloc serves each thread from a cache of its own, and a background thread of its own
//! hands pages that stay free back to the operating system within seconds, busy or idle.

#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// jemalloc's settings, read when it starts: purge on a background thread; pages free for 5 s
/// go back to the operating system (`MADV_DONTNEED`, so that they leave the resident set at
/// once rather than when the kernel wants them).
#[cfg(not(target_env = "msvc"))]
#[unsafe(export_name = "_rjem_malloc_conf")]
pub static MALLOC_CONF: &[u8] = b"background_thread:true,dirty_decay_ms:5000,muzzy_decay_ms:0\0";

/// What the allocator holds now, in bytes: in live allocations (`allocated`), and in its pages
/// resident in memory (`resident`, which also counts free blocks it keeps and its own books).
/// A leak grows the first; fragmentation grows the second alone.
#[derive(Clone, Copy, Debug)]
pub struct Heap {
    pub allocated: u64,
    pub resident: u64,
}

impl Heap {
    /// None where the allocator keeps no statistics.
    pub fn now() -> Option<Self> {
        #[cfg(not(target_env = "msvc"))]
        {
            use tikv_jemalloc_ctl::{epoch, stats};
            // jemalloc's statistics are a snapshot, refreshed by advancing its epoch.
            epoch::advance().ok()?;
            Some(Self {
                allocated: stats::allocated::read().ok()? as u64,
                resident: stats::resident::read().ok()? as u64,
            })
        }
        #[cfg(target_env = "msvc")]
        None
    }
}

#[cfg(all(test, not(target_env = "msvc")))]
mod tests {
    use super::Heap;

    #[test]
    fn the_heap_counts_what_is_allocated() {
        let before = Heap::now().expect("jemalloc keeps statistics");
        let block = vec![1u8; 64 << 20];
        let during = Heap::now().expect("jemalloc keeps statistics");
        assert!(during.allocated >= before.allocated + (32 << 20), "{before:?} → {during:?}");
        assert!(during.resident >= during.allocated, "{during:?}");
        drop(block);
    }
}

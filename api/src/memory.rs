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

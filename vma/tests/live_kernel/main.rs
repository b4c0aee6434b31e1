//! Differential test against the live Linux kernel.
//!
//! The test reserves a window of `WINDOW_PAGES` pages with a one-page guard at each end
//! (shared anonymous `PROT_NONE` mappings, which never merge with anything), fills every
//! free gap of the process above the window (so the kernel's top-down placement can only
//! choose the window), then runs seeded random sequences of mmap, munmap, mprotect, mremap,
//! madvise, mlock/munlock and page touches (anonymous and memfd-backed, shared and private)
//! both for real, with raw system calls inside the window, and on an [`AddressSpace`]
//! configured to mirror it. After every operation it compares results (address or errno)
//! and the window's layout: ranges, permissions, offsets, backing and the `VmFlags` line of
//! `/proc/self/smaps` (every flag the crate models but soft-dirty and KSM's `mg`), and the
//! exact `/proc/self/maps` line of every VMA not backed by shared anonymous memory (whose
//! inode numbers the kernel chooses; those are matched one-to-one instead).
//!
//! Requests the model places (mmap without `MAP_FIXED`, mremap moves) are skipped on both
//! sides when the model finds no room in the window, because the kernel would then use
//! space outside it. `LIVE_SEEDS` and `LIVE_OPS` override the 20 seeds × 300 operations.

#[cfg(target_os = "linux")]
mod driver;
#[cfg(target_os = "linux")]
mod maps;

#[cfg(target_os = "linux")]
#[test]
#[cfg_attr(miri, ignore = "raw system calls cannot run under Miri")]
fn live_kernel_differential() {
    let seeds: u64 = std::env::var("LIVE_SEEDS").ok().and_then(|s| s.parse().ok()).unwrap_or(20);
    let ops: usize = std::env::var("LIVE_OPS").ok().and_then(|s| s.parse().ok()).unwrap_or(300);
    let Some(mut live) = driver::Live::setup() else {
        println!("live-kernel differential test SKIPPED: /proc/self/smaps or memfd unavailable");
        return;
    };
    for seed in 0..seeds {
        live.run_seed(seed, ops);
    }
    println!(
        "live kernel: {} seeds, {} operations run on both sides, {} layouts compared, {} skipped (no room \
         in the window), 0 differences",
        seeds, live.stats.ops, live.stats.compared, live.stats.skipped
    );
}

#[cfg(not(target_os = "linux"))]
#[test]
fn live_kernel_differential() {
    println!("live-kernel differential test SKIPPED: needs Linux");
}

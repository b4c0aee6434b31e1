//! maple-vma against the live kernel (`cargo bench -p maple-vma --bench kernel`; Linux only,
//! elsewhere it only says it skipped): the same operation on the same layout, timed in the
//! same run, once on an [`AddressSpace`] and once as the raw system call on a reserved window
//! of this process (`maple_testkit::sys::Window`, as the live-kernel test does). No page
//! is ever touched, so the kernel does no page-table work beyond its own bookkeeping; a model
//! in user space that does none at all should be many times faster.
//!
//! Layout, at N = 4,000 and 40,000 VMAs (`MAPLE_BENCH_SIZES` picks others): one-page
//! anonymous private VMAs alternating read-write and read-only (so no two merge), then a
//! read-write page, a one-page hole and a read-write page, between two guard pages:
//!
//! ```text
//! guard | rw | r | rw | r | ... | r | rw | hole | rw | guard
//!         0    1    2    3        N-1  N    N+1   N+2
//! ```
//!
//! Workloads (each iteration leaves the layout as it found it, and is timed whole):
//! * `mprotect-merge-split`: the read-only page `i` in the middle made read-write (three
//!   VMAs merge into one), then read-only again (one splits into three): two calls.
//! * `mmap-munmap`: a one-page read-write mapping placed by the allocator (top-down: the hole
//!   at `N+1`, where it merges with both neighbours), then unmapped (a split): two calls.
//! * `munmap-map-fixed`: page `i` unmapped, then mapped again with `MAP_FIXED`: two calls.
//! * `mremap-move`: page `i` moved into the hole with `MREMAP_MAYMOVE | MREMAP_FIXED`, then
//!   back: two calls.
//!
//! Criterion reports the time of one iteration (two calls); the ratio ours / kernel is what
//! the bench summary records.

use criterion::{BenchmarkId, Criterion};
use maple_vma::{AddressSpace, Config, MapFlags, MremapFlags, Prot};
use std::time::Duration;

const PS: u64 = 4096;

fn quick() -> bool {
    std::env::var("MAPLE_BENCH_QUICK").is_ok_and(|v| !v.is_empty() && v != "0")
}

fn sizes() -> Vec<u64> {
    std::env::var("MAPLE_BENCH_SIZES")
        .ok()
        .map(|s| s.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![4_000, 40_000])
}

#[cfg(target_os = "linux")]
mod live {
    use super::*;
    use maple_testkit::sys::Window;

    const R: u32 = 1;
    const RW: u32 = 3;
    const PRIVATE: u32 = 0x02;
    const FIXED: u32 = 0x10;
    const MAYMOVE_FIXED: u32 = 0x1 | 0x2;

    /// The same layout twice: in the kernel (a window reserved for it) and in a model.
    pub(crate) struct Pair {
        pub(crate) window: Window,
        pub(crate) model: AddressSpace,
        /// The read-only page in the middle.
        pub(crate) middle: u64,
        /// The one-page hole.
        pub(crate) hole: u64,
    }

    /// Builds the layout with `n` (rounded down to even) alternating VMAs, in a window of
    /// exactly its size and in a model configured like it (top-down placement below the
    /// window's end, so that both place a page in the hole).
    pub(crate) fn build(n: u64) -> Option<Pair> {
        let n = n & !1; // page n - 1 is read-only, page n read-write
                        // SAFETY: from here to the end of the bench the process maps nothing else that could
                        // land in the window: the window is filled at once (below), and afterwards its only
                        // hole is one page, smaller than any mapping the allocator or criterion makes.
        #[allow(unsafe_code)]
        let mut window = unsafe { Window::reserve(n + 3)? };
        let base = window.start();
        let page = |i: u64| base + i * PS;
        window.mmap(base, (n + 3) * PS, RW, PRIVATE | FIXED, None, 0).ok()?;
        window.munmap(page(n + 1), PS).ok()?;
        for i in (1..n).step_by(2) {
            window.mprotect(page(i), PS, R).ok()?;
        }

        let config = Config::builder()
            .mmap_base(window.end())
            .mmap_min_addr(window.guard_lo())
            .legacy_base(window.end() + PS)
            .build()
            .ok()?;
        let mut model: AddressSpace = AddressSpace::new(config);
        let guard = MapFlags::SHARED | MapFlags::ANONYMOUS | MapFlags::FIXED;
        model.mmap(window.guard_lo(), PS, Prot::NONE, guard, None).ok()?;
        model.mmap(window.end(), PS, Prot::NONE, guard, None).ok()?;
        let fixed = MapFlags::PRIVATE | MapFlags::ANONYMOUS | MapFlags::FIXED;
        model.mmap(base, (n + 3) * PS, Prot::READ | Prot::WRITE, fixed, None).ok()?;
        model.munmap(page(n + 1), PS).ok()?;
        for i in (1..n).step_by(2) {
            model.mprotect(page(i), PS, Prot::READ).ok()?;
        }
        assert_eq!(model.map_count() as u64, n + 2 + 2, "one VMA a page, two guards");
        Some(Pair { window, model, middle: page((n / 2) | 1), hole: page(n + 1) })
    }

    pub(crate) fn bench(c: &mut Criterion) {
        for n in sizes() {
            let Some(mut pair) = build(n) else {
                println!("vma kernel bench SKIPPED: could not reserve and fill a window of {n} pages");
                return;
            };
            let (i, hole) = (pair.middle, pair.hole);
            let window = &mut pair.window;
            let model = &mut pair.model;
            let anon = MapFlags::PRIVATE | MapFlags::ANONYMOUS;
            let fixed = anon | MapFlags::FIXED;
            let moves = MremapFlags::MAYMOVE | MremapFlags::FIXED;
            let (r, rw) = (Prot::READ, Prot::READ | Prot::WRITE);

            let mut group = c.benchmark_group("vma-mprotect-merge-split");
            group.bench_function(BenchmarkId::new("ours", n), |b| {
                b.iter(|| {
                    model.mprotect(i, PS, rw).unwrap();
                    model.mprotect(i, PS, r).unwrap();
                })
            });
            group.bench_function(BenchmarkId::new("kernel", n), |b| {
                b.iter(|| {
                    window.mprotect(i, PS, RW).unwrap();
                    window.mprotect(i, PS, R).unwrap();
                })
            });
            group.finish();

            let mut group = c.benchmark_group("vma-mmap-munmap");
            group.bench_function(BenchmarkId::new("ours", n), |b| {
                b.iter(|| {
                    let at = model.mmap(0, PS, rw, anon, None).unwrap();
                    assert_eq!(at, hole, "the model placed the page in the hole, as the kernel does");
                    model.munmap(at, PS).unwrap();
                })
            });
            group.bench_function(BenchmarkId::new("kernel", n), |b| {
                b.iter(|| {
                    let at = window.mmap(0, PS, RW, PRIVATE, None, 0).unwrap();
                    assert_eq!(at, hole, "the kernel placed the page in the window's hole");
                    window.munmap(at, PS).unwrap();
                })
            });
            group.finish();

            let mut group = c.benchmark_group("vma-munmap-map-fixed");
            group.bench_function(BenchmarkId::new("ours", n), |b| {
                b.iter(|| {
                    model.munmap(i, PS).unwrap();
                    model.mmap(i, PS, r, fixed, None).unwrap();
                })
            });
            group.bench_function(BenchmarkId::new("kernel", n), |b| {
                b.iter(|| {
                    window.munmap(i, PS).unwrap();
                    window.mmap(i, PS, R, PRIVATE | FIXED, None, 0).unwrap();
                })
            });
            group.finish();

            let mut group = c.benchmark_group("vma-mremap-move");
            group.bench_function(BenchmarkId::new("ours", n), |b| {
                b.iter(|| {
                    model.mremap(i, PS, PS, moves, hole).unwrap();
                    model.mremap(hole, PS, PS, moves, i).unwrap();
                })
            });
            group.bench_function(BenchmarkId::new("kernel", n), |b| {
                b.iter(|| {
                    window.mremap(i, PS, PS, MAYMOVE_FIXED, hole).unwrap();
                    window.mremap(hole, PS, PS, MAYMOVE_FIXED, i).unwrap();
                })
            });
            group.finish();
            assert_eq!(model.map_count() as u64, (n & !1) + 4, "the workloads keep the layout");
        }
    }
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    c = if quick() {
        c.sample_size(10).warm_up_time(Duration::from_millis(200)).measurement_time(Duration::from_millis(600))
    } else {
        c.sample_size(30).warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(2))
    };
    #[cfg(target_os = "linux")]
    live::bench(&mut c);
    #[cfg(not(target_os = "linux"))]
    println!("vma kernel bench SKIPPED: needs Linux");
    c.final_summary();
}

//! The cost of one commit that writes two places of the tree, against the number of VMAs
//! (`cargo bench -p maple-vma --bench commit`): a move (`mremap(MAYMOVE | FIXED)` of one
//! one-page VMA) and an `mprotect` that splits two neighbouring VMAs, at 4,000 and 40,000
//! VMAs. Both should cost O(log n): the 40k figure within 1.5x of the 4k one.
//!
//! Only the operation is timed; the layout is restored after each one, untimed (the VMA is
//! moved back, the split VMAs are protected back and merge again), so every iteration sees
//! the same address space. (The `kernel` bench times a move and its way back together,
//! against the live kernel.)

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion};
use maple_vma::{AddressSpace, Advice, Config, MapFlags, MremapFlags, Prot};

const PS: u64 = 4096;
const BASE: u64 = 0x1000_0000;

/// The protection of VMA `i`: alternating, so that neighbours never merge.
fn prot(i: u64) -> Prot {
    if i % 2 == 0 {
        Prot::READ | Prot::WRITE
    } else {
        Prot::READ | Prot::WRITE | Prot::EXEC
    }
}

/// `n` VMAs of `pages` pages each, `gap` pages apart; every other one is `MADV_DONTFORK`, so
/// that pieces of two neighbours never merge whatever their protection.
fn space(n: u64, pages: u64, gap: u64) -> AddressSpace {
    let mut mm = AddressSpace::new(Config::default());
    let fixed = MapFlags::PRIVATE | MapFlags::ANONYMOUS | MapFlags::FIXED;
    for i in 0..n {
        let start = BASE + i * (pages + gap) * PS;
        mm.mmap(start, pages * PS, prot(i), fixed, None).unwrap();
        if i % 2 == 1 {
            mm.madvise(start, pages * PS, Advice::DontFork).unwrap();
        }
    }
    assert_eq!(mm.map_count() as u64, n);
    mm
}

/// Times `op` alone on `mm`, `undo` restoring the layout after each call.
fn timed(
    iters: u64,
    mm: &mut AddressSpace,
    op: impl Fn(&mut AddressSpace),
    undo: impl Fn(&mut AddressSpace),
) -> Duration {
    let mut total = Duration::ZERO;
    for _ in 0..iters {
        let start = Instant::now();
        op(mm);
        total += start.elapsed();
        undo(mm);
    }
    total
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("commit");
    for n in [4_000u64, 40_000] {
        // Move: one-page VMAs with one-page holes; the middle one goes far above all of them.
        let mut mm = space(n, 1, 1);
        let from = BASE + (n / 2) * 2 * PS;
        let to = BASE + 4 * n * PS;
        let flags = MremapFlags::MAYMOVE | MremapFlags::FIXED;
        group.bench_function(BenchmarkId::new("mremap-move", n), |b| {
            b.iter_custom(|iters| {
                timed(
                    iters,
                    &mut mm,
                    |mm| {
                        black_box(mm.mremap(from, PS, PS, flags, to).unwrap());
                    },
                    |mm| {
                        mm.mremap(to, PS, PS, flags, from).unwrap();
                    },
                )
            })
        });
        assert_eq!(mm.map_count() as u64, n);

        // Double split: two-page VMAs side by side; protect the second page of one and the
        // first page of the next, which splits both into four VMAs.
        let mut mm = space(n, 2, 0);
        let at = BASE + (n / 2) * 2 * PS + PS;
        let (first, second) = (prot(n / 2), prot(n / 2 + 1));
        mm.mprotect(at, 2 * PS, Prot::NONE).unwrap();
        assert_eq!(mm.map_count() as u64, n + 2, "both VMAs split, the middle pieces apart");
        mm.mprotect(at, PS, first).unwrap();
        mm.mprotect(at + PS, PS, second).unwrap();
        assert_eq!(mm.map_count() as u64, n, "the undo merges the pieces back");
        group.bench_function(BenchmarkId::new("mprotect-split-two", n), |b| {
            b.iter_custom(|iters| {
                timed(
                    iters,
                    &mut mm,
                    |mm| mm.mprotect(at, 2 * PS, Prot::NONE).unwrap(),
                    |mm| {
                        mm.mprotect(at, PS, first).unwrap();
                        mm.mprotect(at + PS, PS, second).unwrap();
                    },
                )
            })
        });
        assert_eq!(mm.map_count() as u64, n);
    }
    group.finish();
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    c = c.sample_size(30).warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(2));
    bench(&mut c);
    c.final_summary();
}

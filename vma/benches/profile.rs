//! The kernel bench's workloads on the model alone, a fixed number of times, for an
//! instruction-count profiler (the live-kernel window of the `kernel` bench holds more
//! mappings than valgrind can track):
//!
//! ```text
//! cargo bench -p maple-vma --bench profile --no-run
//! valgrind --tool=callgrind --toggle-collect='profile::run*' target/release/deps/profile-HASH \
//!     mprotect-merge-split 40000 1000
//! ```
//!
//! Arguments: the workload (`mprotect-merge-split`, `mmap-munmap`, `munmap-map-fixed`,
//! `mremap-move`), the number of VMAs (default 40,000) and of iterations (default 1,000).
//! The layout and the workloads are the `kernel` bench's; the layout is built outside `run`,
//! so that collecting only inside `run` counts the workload alone (the difference between two
//! iteration counts gives the cost of one iteration without the warm-up). Without arguments
//! (as `cargo bench` runs it) it does nothing.

use maple_vma::{AddressSpace, Config, MapFlags, MremapFlags, Prot};

const PS: u64 = 4096;

/// The `kernel` bench's layout of `n` VMAs (even) at `base`: one-page anonymous VMAs of
/// alternating protection, a one-page hole near the top, between two guard pages. Returns
/// the space, the read-only page in the middle and the hole.
fn build(n: u64) -> (AddressSpace, u64, u64) {
    let base: u64 = 0x7f00_0000_0000;
    let end = base + (n + 3) * PS;
    let config = Config::builder().mmap_base(end).mmap_min_addr(base - PS).legacy_base(end + PS).build().unwrap();
    let mut mm: AddressSpace = AddressSpace::new(config);
    let guard = MapFlags::SHARED | MapFlags::ANONYMOUS | MapFlags::FIXED;
    mm.mmap(base - PS, PS, Prot::NONE, guard, None).unwrap();
    mm.mmap(end, PS, Prot::NONE, guard, None).unwrap();
    let fixed = MapFlags::PRIVATE | MapFlags::ANONYMOUS | MapFlags::FIXED;
    mm.mmap(base, (n + 3) * PS, Prot::READ | Prot::WRITE, fixed, None).unwrap();
    mm.munmap(base + (n + 1) * PS, PS).unwrap();
    for i in (1..n).step_by(2) {
        mm.mprotect(base + i * PS, PS, Prot::READ).unwrap();
    }
    (mm, base + ((n / 2) | 1) * PS, base + (n + 1) * PS)
}

/// `iterations` rounds of `workload` (two calls each, the layout restored).
#[inline(never)]
fn run(mm: &mut AddressSpace, workload: &str, i: u64, hole: u64, iterations: u64) {
    let anon = MapFlags::PRIVATE | MapFlags::ANONYMOUS;
    let fixed = anon | MapFlags::FIXED;
    let moves = MremapFlags::MAYMOVE | MremapFlags::FIXED;
    let (r, rw) = (Prot::READ, Prot::READ | Prot::WRITE);
    for _ in 0..iterations {
        match workload {
            "mprotect-merge-split" => {
                mm.mprotect(i, PS, rw).unwrap();
                mm.mprotect(i, PS, r).unwrap();
            }
            "mmap-munmap" => {
                let at = mm.mmap(0, PS, rw, anon, None).unwrap();
                assert_eq!(at, hole);
                mm.munmap(at, PS).unwrap();
            }
            "munmap-map-fixed" => {
                mm.munmap(i, PS).unwrap();
                mm.mmap(i, PS, r, fixed, None).unwrap();
            }
            "mremap-move" => {
                mm.mremap(i, PS, PS, moves, hole).unwrap();
                mm.mremap(hole, PS, PS, moves, i).unwrap();
            }
            other => panic!("unknown workload {other}"),
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let Some(workload) = args.first() else {
        return;
    };
    let n = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(40_000u64) & !1;
    let iterations = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(1_000);
    let (mut mm, i, hole) = build(n);
    // Warm up: the slot table and the tree's pools reach their steady state.
    run(&mut mm, workload, i, hole, 10);
    run(&mut mm, workload, i, hole, iterations);
    assert_eq!(mm.map_count() as u64, n + 4, "the workloads keep the layout");
}

//! The common operations allocate nothing once the address space has warmed up: mprotect
//! that merges or splits, mmap placed by the allocator, munmap, mmap with `MAP_FIXED` and a
//! mremap move, on the kernel bench's layout (one-page VMAs of alternating protection, a
//! one-page hole near the top). A counting global allocator (the test kit's
//! `sys::CountingAlloc`) counts the allocations this thread makes while the operations run.

use maple_testkit::sys::CountingAlloc;
use maple_vma::{AddressSpace, Config, MapFlags, MremapFlags, Prot};

#[global_allocator]
static GLOBAL: CountingAlloc = CountingAlloc;

/// Allocations made by this thread while `f` runs.
fn allocations(f: impl FnOnce()) -> u64 {
    CountingAlloc::count(f)
}

const PS: u64 = 4096;

#[test]
fn common_operations_allocate_nothing() {
    assert!(CountingAlloc::is_installed(), "the counting allocator must be the global one");
    let n: u64 = 4000;
    let base = 0x7f00_0000_0000;
    let end = base + (n + 3) * PS;
    let config = Config::builder().mmap_base(end).legacy_base(end + PS).build().unwrap();
    let mut mm: AddressSpace = AddressSpace::new(config);
    let anon = MapFlags::PRIVATE | MapFlags::ANONYMOUS;
    let fixed = anon | MapFlags::FIXED;
    let (r, rw) = (Prot::READ, Prot::READ | Prot::WRITE);
    mm.mmap(base, (n + 3) * PS, rw, fixed, None).unwrap();
    let hole = base + (n + 1) * PS;
    mm.munmap(hole, PS).unwrap();
    for i in (1..n).step_by(2) {
        mm.mprotect(base + i * PS, PS, r).unwrap();
    }
    let i = base + (n / 2 + 1) * PS;
    let moves = MremapFlags::MAYMOVE | MremapFlags::FIXED;
    let round = |mm: &mut AddressSpace| {
        [
            allocations(|| mm.mprotect(i, PS, rw).unwrap()),
            allocations(|| mm.mprotect(i, PS, r).unwrap()),
            allocations(|| assert_eq!(mm.mmap(0, PS, rw, anon, None), Ok(hole))),
            allocations(|| mm.munmap(hole, PS).unwrap()),
            allocations(|| mm.munmap(i, PS).unwrap()),
            allocations(|| assert_eq!(mm.mmap(i, PS, r, fixed, None), Ok(i))),
            allocations(|| assert_eq!(mm.mremap(i, PS, PS, moves, hole), Ok(hole))),
            allocations(|| assert_eq!(mm.mremap(hole, PS, PS, moves, i), Ok(i))),
        ]
    };
    // The first rounds may grow the slot table and the tree's node pool.
    for _ in 0..3 {
        round(&mut mm);
    }
    for _ in 0..20 {
        let counts = round(&mut mm);
        assert_eq!(
            counts, [0; 8],
            "allocations of mprotect (merge, split), mmap, munmap, munmap, mmap FIXED, mremap (to, back)"
        );
    }
    mm.validate().unwrap();
    assert_eq!(mm.map_count() as u64, n + 2);
}

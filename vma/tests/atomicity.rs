//! Out-of-memory atomicity: every operation, with the n-th tree-node allocation failing for
//! every n until it succeeds, either fails with `OutOfMemory` and leaves the address space
//! exactly as it was, or gives exactly the result of the run without failure injection.

mod common;

use common::{apply, dump, files, gen, Op, BASE, PS};
use maple_vma::{AddressSpace, MapFlags, Prot, VmaError};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

/// Runs `op` on copies of `mm` with the n-th allocation failing, for n = 0, 1, ... until it
/// completes; returns how many failure points it had.
fn check_op(mm: &AddressSpace, files: &[std::sync::Arc<maple_vma::FileRef>], op: &Op) -> u64 {
    let before = dump(mm);
    let mut reference = mm.clone();
    reference.compact().unwrap();
    let expected = apply(&mut reference, files, op);
    for n in 0..10_000 {
        let mut trial = mm.clone();
        // No pooled nodes: every node the operation needs comes from an allocation.
        trial.compact().unwrap();
        trial.fail_nth_alloc(Some(n));
        let got = apply(&mut trial, files, op);
        trial.fail_nth_alloc(None);
        trial.validate().unwrap_or_else(|v| panic!("{op:?} with allocation {n} failing: {v}"));
        if got == Err(VmaError::OutOfMemory) {
            assert_eq!(dump(&trial), before, "{op:?}: allocation {n} failed and the space changed");
            continue;
        }
        assert_eq!(got, expected, "{op:?}: allocation {n} failing changed the result");
        assert_eq!(dump(&trial), dump(&reference), "{op:?}: allocation {n} failing changed the outcome");
        return n;
    }
    panic!("{op:?} never completed");
}

/// A space with `vmas` single-page VMAs of alternating protection, so that the tree is tall
/// and stores split and rebalance nodes.
fn crowded(vmas: u64) -> AddressSpace {
    let mut mm: AddressSpace = AddressSpace::new(common::config());
    let fixed = MapFlags::PRIVATE | MapFlags::ANONYMOUS | MapFlags::FIXED;
    for i in 0..vmas {
        let prot = if i % 2 == 0 { Prot::READ } else { Prot::READ | Prot::WRITE };
        mm.mmap(BASE + (common::AREA_PAGES + 64 + 2 * i) * PS, PS, prot, fixed, None).unwrap();
    }
    mm
}

#[test]
fn every_operation_is_atomic_under_out_of_memory() {
    let files = files();
    let mut failure_points = 0;
    let mut ops = 0;
    for (seed, background) in [(1, 0), (2, 40), (3, 300), (4, 8), (5, 120), (6, 0)] {
        let mut rng = SmallRng::seed_from_u64(seed);
        let mut mm = crowded(background);
        for _ in 0..400 {
            let fixed_only = rng.gen_bool(0.3);
            let op = gen(&mut rng, &mm, fixed_only);
            failure_points += check_op(&mm, &files, &op);
            ops += 1;
            apply(&mut mm, &files, &op).ok();
        }
    }
    println!("{ops} operations, {failure_points} allocation failure points checked");
    // The check is only meaningful if operations do allocate.
    assert!(failure_points > ops / 4, "only {failure_points} allocation points in {ops} operations");
}

#[test]
fn split_merge_and_fork_primitives_are_atomic() {
    let files = files();
    let mut mm = crowded(200);
    let fixed = MapFlags::PRIVATE | MapFlags::ANONYMOUS | MapFlags::FIXED;
    mm.mmap(BASE, 64 * PS, Prot::READ | Prot::WRITE, fixed, None).unwrap();
    // Three-way split in the middle of a tall tree, then the merge back.
    check_op(&mm, &files, &Op::Mprotect { addr: BASE + 8 * PS, len: 8 * PS, prot: Prot::READ });
    mm.mprotect(BASE + 8 * PS, 8 * PS, Prot::READ).unwrap();
    check_op(&mm, &files, &Op::Mprotect { addr: BASE, len: 64 * PS, prot: Prot::READ | Prot::WRITE });
    // A multi-VMA move.
    check_op(
        &mm,
        &files,
        &Op::Mremap {
            addr: BASE,
            old_len: 32 * PS,
            new_len: 32 * PS,
            flags: maple_vma::MremapFlags::MAYMOVE | maple_vma::MremapFlags::FIXED,
            new_addr: BASE + 128 * PS,
        },
    );
    // fork builds a new tree; out of memory there leaves the parent alone.
    let child = mm.fork().unwrap();
    child.validate().unwrap();
    assert_eq!(child.map_count(), mm.map_count());
}

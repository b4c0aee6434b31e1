//! Scenario tests: every observation of `docs/kernel-vma-behaviour.md` (what Linux 6.18 was seen
//! to do), with the layout drawn above the assertions. Pages are numbered from the test
//! area's base; `rw` = read-write, `+` = has anonymous memory (was written).

mod common;

use common::{at, files, layout, map, space, PS};
use maple_vma::{Advice, MapFlags, MremapFlags, Prot, VmFlags, VmaError};

const R: Prot = Prot::READ;
const RW: Prot = Prot::from_bits_retain(3);
const FIXED: MapFlags = MapFlags::from_bits_retain(0x02 | 0x20 | 0x10);

/// (a) Adjacent anonymous mappings with the same protection merge.
#[test]
fn a_adjacent_anonymous_mappings_merge() {
    // mmap 0 4 rw; mmap 4 4 rw:   |AAAA|BBBB|  ->  |AAAAAAAA|
    let mut mm = space();
    map(&mut mm, 0, 4, RW).unwrap();
    map(&mut mm, 4, 4, RW).unwrap();
    assert_eq!(layout(&mm), "[0,8) rw-p");
    // Placed before an existing one:   |BBBB|AAAA|
    let mut mm = space();
    map(&mut mm, 4, 4, RW).unwrap();
    map(&mut mm, 0, 4, RW).unwrap();
    assert_eq!(layout(&mm), "[0,8) rw-p");
    // Filling the hole between two compatible VMAs merges all three:  |A|...|C| + |B|
    let mut mm = space();
    map(&mut mm, 0, 4, RW).unwrap();
    map(&mut mm, 8, 4, RW).unwrap();
    map(&mut mm, 4, 4, RW).unwrap();
    assert_eq!(layout(&mm), "[0,12) rw-p");
    assert_eq!(mm.map_count(), 1);
}

#[test]
fn a_different_prot_noreserve_or_shared_do_not_merge() {
    let mut mm = space();
    map(&mut mm, 0, 4, RW).unwrap();
    map(&mut mm, 4, 4, R).unwrap();
    assert_eq!(layout(&mm), "[0,4) rw-p [4,8) r--p");
    // Same visible prot, NORESERVE on one side: the hidden flag keeps them apart.
    let mut mm = space();
    map(&mut mm, 0, 4, RW).unwrap();
    mm.mmap(at(4), 4 * PS, RW, FIXED | MapFlags::NORESERVE, None).unwrap();
    assert_eq!(layout(&mm), "[0,4) rw-p [4,8) rw-p");
    assert!(mm.vma_lookup(at(4)).unwrap().flags().contains(VmFlags::NORESERVE));
    assert!(mm.vma_lookup(at(0)).unwrap().flags().contains(VmFlags::ACCOUNT));
    // Shared anonymous mappings never merge (each is its own shmem object).
    let mut mm = space();
    let shared = MapFlags::SHARED | MapFlags::ANONYMOUS | MapFlags::FIXED;
    mm.mmap(at(0), 4 * PS, RW, shared, None).unwrap();
    mm.mmap(at(4), 4 * PS, RW, shared, None).unwrap();
    assert_eq!(layout(&mm), "[0,4) rw-s shm1@0 [4,8) rw-s shm2@0");
}

/// (b) mprotect of the middle splits into three; prefix/suffix into two.
#[test]
fn b_mprotect_splits() {
    //  |rw rw rw|  mprotect 4 4 r  ->  |rw|r-|rw|
    let mut mm = space();
    map(&mut mm, 0, 12, RW).unwrap();
    mm.mprotect(at(4), 4 * PS, R).unwrap();
    assert_eq!(layout(&mm), "[0,4) rw-p [4,8) r--p [8,12) rw-p");
    let mut mm = space();
    map(&mut mm, 0, 12, RW).unwrap();
    mm.mprotect(at(0), 4 * PS, R).unwrap();
    assert_eq!(layout(&mm), "[0,4) r--p [4,12) rw-p");
    mm.mprotect(at(8), 4 * PS, R).unwrap();
    assert_eq!(layout(&mm), "[0,4) r--p [4,8) rw-p [8,12) r--p");
    // To the current protection: no split.
    let mut mm = space();
    map(&mut mm, 0, 12, RW).unwrap();
    mm.mprotect(at(4), 4 * PS, RW).unwrap();
    assert_eq!(layout(&mm), "[0,12) rw-p");
}

#[test]
fn b_prefix_or_suffix_to_the_neighbours_prot_moves_the_boundary() {
    //  |r r r r|rw rw rw ...|  mprotect 4 2 r  ->  |r ... r|rw ...|   (boundary 4 -> 6)
    let mut mm = space();
    map(&mut mm, 0, 4, R).unwrap();
    map(&mut mm, 4, 8, RW).unwrap();
    mm.mprotect(at(4), 2 * PS, R).unwrap();
    assert_eq!(layout(&mm), "[0,6) r--p [6,12) rw-p");
    //  |rw ... rw|r r r r|  mprotect 6 2 r  ->  boundary 8 -> 6
    let mut mm = space();
    map(&mut mm, 0, 8, RW).unwrap();
    map(&mut mm, 8, 4, R).unwrap();
    mm.mprotect(at(6), 2 * PS, R).unwrap();
    assert_eq!(layout(&mm), "[0,6) rw-p [6,12) r--p");
}

/// (c) mprotect back restores a single VMA, touched or not, over many pieces.
#[test]
fn c_mprotect_back_merges() {
    let mut mm = space();
    map(&mut mm, 0, 12, RW).unwrap();
    mm.mprotect(at(4), 4 * PS, R).unwrap();
    mm.mprotect(at(4), 4 * PS, RW).unwrap();
    assert_eq!(layout(&mm), "[0,12) rw-p");
    // Touched before the split: all pieces share one anonymous identity.
    let mut mm = space();
    map(&mut mm, 0, 12, RW).unwrap();
    mm.fault(at(0), true).unwrap();
    mm.mprotect(at(4), 4 * PS, R).unwrap();
    assert_eq!(layout(&mm), "[0,4) rw-p + [4,8) r--p + [8,12) rw-p +");
    mm.mprotect(at(4), 4 * PS, RW).unwrap();
    assert_eq!(layout(&mm), "[0,12) rw-p +");
    // Seven pieces back to one.
    for p in [1, 3, 5, 7, 9] {
        mm.mprotect(at(p), PS, R).unwrap();
    }
    assert_eq!(mm.map_count(), 11);
    mm.mprotect(at(0), 12 * PS, RW).unwrap();
    assert_eq!(layout(&mm), "[0,12) rw-p +");
}

/// (d) munmap of the middle leaves two; the file offset follows the split.
#[test]
fn d_munmap() {
    //  |AAAAAAAAAAAA|  munmap 4 4  ->  |AAAA|    |AAAA|
    let mut mm = space();
    map(&mut mm, 0, 12, RW).unwrap();
    mm.munmap(at(4), 4 * PS).unwrap();
    assert_eq!(layout(&mm), "[0,4) rw-p [8,12) rw-p");
    // Re-mapping the hole with the same attributes merges everything back.
    map(&mut mm, 4, 4, RW).unwrap();
    assert_eq!(layout(&mm), "[0,12) rw-p");
    // A file mapping at pgoff 10: the tail keeps pgoff 18.
    let files = files();
    let mut mm = space();
    mm.mmap(at(0), 12 * PS, R, MapFlags::PRIVATE | MapFlags::FIXED, Some((files[0].clone(), 10))).unwrap();
    mm.munmap(at(4), 4 * PS).unwrap();
    assert_eq!(layout(&mm), "[0,4) r--p f1@10 [8,12) r--p f1@18");
    // Across several VMAs: trims the first and last, removes the rest; an empty range is fine.
    let mut mm = space();
    for (p, prot) in [(0, R), (4, RW), (8, R), (12, RW)] {
        map(&mut mm, p, 4, prot).unwrap();
    }
    mm.munmap(at(2), 12 * PS).unwrap();
    assert_eq!(layout(&mm), "[0,2) r--p [14,16) rw-p");
    mm.munmap(at(100), 4 * PS).unwrap();
    assert_eq!(mm.map_count(), 2);
}

/// (e) Touched (written) anonymous VMAs.
#[test]
fn e_touched_next_to_untouched_merges() {
    //  |A+|  + new |B|   ->  |A B +|  (B adopts A's anonymous memory)
    let mut mm = space();
    map(&mut mm, 0, 4, RW).unwrap();
    mm.fault(at(0), true).unwrap();
    map(&mut mm, 4, 4, RW).unwrap();
    assert_eq!(layout(&mm), "[0,8) rw-p +");
    // Either side.
    let mut mm = space();
    map(&mut mm, 4, 4, RW).unwrap();
    mm.fault(at(4), true).unwrap();
    map(&mut mm, 0, 4, RW).unwrap();
    assert_eq!(layout(&mm), "[0,8) rw-p +");
}

#[test]
fn e_separately_touched_never_merge() {
    //  |A+|    |C+|   then B fills the gap:  |A+ B|C+|
    let mut mm = space();
    map(&mut mm, 0, 4, RW).unwrap();
    map(&mut mm, 8, 4, RW).unwrap();
    mm.fault(at(0), true).unwrap();
    mm.fault(at(8), true).unwrap();
    map(&mut mm, 4, 4, RW).unwrap();
    assert_eq!(layout(&mm), "[0,8) rw-p + [8,12) rw-p +");
    // Not even after mprotect round trips over the whole range.
    mm.mprotect(at(0), 12 * PS, R).unwrap();
    mm.mprotect(at(0), 12 * PS, RW).unwrap();
    assert_eq!(layout(&mm), "[0,8) rw-p + [8,12) rw-p +");
}

#[test]
fn e_read_fault_assigns_nothing() {
    let mut mm = space();
    map(&mut mm, 0, 4, RW).unwrap();
    map(&mut mm, 8, 4, RW).unwrap();
    mm.fault(at(0), false).unwrap();
    mm.fault(at(8), false).unwrap();
    map(&mut mm, 4, 4, RW).unwrap();
    assert_eq!(layout(&mm), "[0,12) rw-p");
}

#[test]
fn e_moving_touched_and_untouched_vmas() {
    let move_to = MremapFlags::MAYMOVE | MremapFlags::FIXED;
    // Touched A moved next to a compatible VMA: its pgoff keeps the old address, no merge.
    //  |N|   |A+|   mremap A -> right after N:   |N|A+|
    let mut mm = space();
    map(&mut mm, 0, 4, RW).unwrap();
    map(&mut mm, 20, 4, RW).unwrap();
    mm.fault(at(20), true).unwrap();
    mm.mremap(at(20), 4 * PS, 4 * PS, move_to, at(4)).unwrap();
    assert_eq!(layout(&mm), "[0,4) rw-p [4,8) rw-p +");
    assert_eq!(mm.vma_lookup(at(4)).unwrap().pgoff(), at(20) / PS);
    // Moved back to where its pgoff is linear again: merges with a new neighbour there.
    mm.mremap(at(4), 4 * PS, 4 * PS, move_to, at(20)).unwrap();
    map(&mut mm, 24, 4, RW).unwrap();
    assert_eq!(layout(&mm), "[0,4) rw-p [20,28) rw-p +");
    // The same move of an untouched VMA: its pgoff is reset, it merges.
    let mut mm = space();
    map(&mut mm, 0, 4, RW).unwrap();
    map(&mut mm, 20, 4, RW).unwrap();
    mm.mremap(at(20), 4 * PS, 4 * PS, move_to, at(4)).unwrap();
    assert_eq!(layout(&mm), "[0,8) rw-p");
}

/// (f) File mappings.
#[test]
fn f_file_mappings() {
    let files = files();
    let file = |f: usize, pg: u64| Some((files[f].clone(), pg));
    let private = MapFlags::PRIVATE | MapFlags::FIXED;
    let shared = MapFlags::SHARED | MapFlags::FIXED;
    // Same file, contiguous pgoff: one VMA.
    let mut mm = space();
    mm.mmap(at(0), 4 * PS, R, private, file(0, 0)).unwrap();
    mm.mmap(at(4), 4 * PS, R, private, file(0, 4)).unwrap();
    assert_eq!(layout(&mm), "[0,8) r--p f1@0");
    // Non-contiguous pgoff, another file, shared vs private: separate.
    mm.mmap(at(8), 4 * PS, R, private, file(0, 20)).unwrap();
    mm.mmap(at(12), 4 * PS, R, private, file(1, 24)).unwrap();
    mm.mmap(at(16), 4 * PS, R, shared, file(1, 28)).unwrap();
    assert_eq!(layout(&mm), "[0,8) r--p f1@0 [8,12) r--p f1@20 [12,16) r--p f2@24 [16,20) r--s f2@28");
    // A private file mapping that took a copy-on-write fault still merges with a contiguous
    // neighbour; shared writable file mappings merge too.
    let mut mm = space();
    mm.mmap(at(0), 4 * PS, RW, private, file(0, 0)).unwrap();
    mm.fault(at(0), true).unwrap();
    mm.mmap(at(4), 4 * PS, RW, private, file(0, 4)).unwrap();
    assert_eq!(layout(&mm), "[0,8) rw-p f1@0 +");
    mm.mmap(at(10), 2 * PS, RW, shared, file(0, 10)).unwrap();
    mm.mmap(at(12), 2 * PS, RW, shared, file(0, 12)).unwrap();
    assert_eq!(layout(&mm), "[0,8) rw-p f1@0 + [10,14) rw-s f1@10");
    // Past the end of the file (4096 pages): SIGBUS; the VMA itself is fine.
    mm.mmap(at(20), 4 * PS, R, private, file(1, 4094)).unwrap();
    assert_eq!(mm.fault(at(21), false), Ok(maple_vma::FaultOutcome::Mapped));
    assert_eq!(mm.fault(at(22), false), Err(VmaError::Bus));
}

/// (g) mremap.
#[test]
fn g_mremap_grow_in_place() {
    // Grow into free space: same start, longer VMA.
    let mut mm = space();
    map(&mut mm, 0, 4, RW).unwrap();
    assert_eq!(mm.mremap(at(0), 4 * PS, 6 * PS, MremapFlags::EMPTY, 0), Ok(at(0)));
    assert_eq!(layout(&mm), "[0,6) rw-p");
    // Growing up to a compatible neighbour merges: |0..4|  |8..12|  grown to 8 -> |0..12|
    let mut mm = space();
    map(&mut mm, 0, 4, RW).unwrap();
    map(&mut mm, 8, 4, RW).unwrap();
    mm.mremap(at(0), 4 * PS, 8 * PS, MremapFlags::EMPTY, 0).unwrap();
    assert_eq!(layout(&mm), "[0,12) rw-p");
    // Up to an incompatible one: no merge.
    let mut mm = space();
    map(&mut mm, 0, 4, RW).unwrap();
    map(&mut mm, 8, 4, R).unwrap();
    mm.mremap(at(0), 4 * PS, 8 * PS, MremapFlags::EMPTY, 0).unwrap();
    assert_eq!(layout(&mm), "[0,8) rw-p [8,12) r--p");
}

#[test]
fn g_mremap_needs_room_or_maymove() {
    // No room and no MAYMOVE: ENOMEM. With MAYMOVE: to the top of the highest free gap.
    let mut mm = space();
    map(&mut mm, 0, 4, RW).unwrap();
    map(&mut mm, 4, 4, R).unwrap();
    assert_eq!(mm.mremap(at(0), 4 * PS, 8 * PS, MremapFlags::EMPTY, 0), Err(VmaError::NoSpace));
    assert_eq!(mm.mremap(at(0), 4 * PS, 8 * PS, MremapFlags::MAYMOVE, 0), Ok(at(248)));
    assert_eq!(layout(&mm), "[4,8) r--p [248,256) rw-p");
    // Growing a range that does not end at the VMA's end needs a move.
    let mut mm = space();
    map(&mut mm, 0, 8, RW).unwrap();
    assert_eq!(mm.mremap(at(0), 4 * PS, 6 * PS, MremapFlags::EMPTY, 0), Err(VmaError::NoSpace));
}

#[test]
fn g_mremap_shrink_and_moves() {
    let move_to = MremapFlags::MAYMOVE | MremapFlags::FIXED;
    // Shrink = munmap of the tail; shrink + fixed move.
    let mut mm = space();
    map(&mut mm, 0, 8, RW).unwrap();
    assert_eq!(mm.mremap(at(0), 8 * PS, 6 * PS, MremapFlags::EMPTY, 0), Ok(at(0)));
    assert_eq!(mm.mremap(at(0), 6 * PS, 2 * PS, move_to, at(50)), Ok(at(50)));
    assert_eq!(layout(&mm), "[50,52) rw-p");
    // A resize spanning two VMAs: EFAULT. A pure move of both keeps the gap between them.
    //  |0..4|  |6..10|   ->   |100..104|  |106..110|
    let mut mm = space();
    map(&mut mm, 0, 4, RW).unwrap();
    map(&mut mm, 6, 4, R).unwrap();
    assert_eq!(mm.mremap(at(0), 10 * PS, 12 * PS, MremapFlags::MAYMOVE, 0), Err(VmaError::Fault));
    assert_eq!(mm.mremap(at(0), 10 * PS, 10 * PS, move_to, at(100)), Ok(at(100)));
    assert_eq!(layout(&mm), "[100,104) rw-p [106,110) r--p");
    // A moved range that starts in a gap: EFAULT.
    assert_eq!(mm.mremap(at(104), 4 * PS, 4 * PS, move_to, at(0)), Err(VmaError::Fault));
    // A fixed target over live VMAs: they are unmapped first. Target overlapping the source:
    // EINVAL.
    map(&mut mm, 0, 8, R).unwrap();
    assert_eq!(mm.mremap(at(100), 4 * PS, 4 * PS, move_to, at(2)), Ok(at(2)));
    assert_eq!(layout(&mm), "[0,2) r--p [2,6) rw-p [6,8) r--p [106,110) r--p");
    assert_eq!(mm.mremap(at(2), 4 * PS, 4 * PS, move_to, at(4)), Err(VmaError::Invalid));
}

#[test]
fn g_mremap_dontunmap() {
    // The source VMA stays (unlocked, without its anonymous memory); the copy goes top-down.
    let mut mm = space();
    map(&mut mm, 0, 4, RW).unwrap();
    mm.fault(at(0), true).unwrap();
    let to = mm.mremap(at(0), 4 * PS, 4 * PS, MremapFlags::MAYMOVE | MremapFlags::DONTUNMAP, 0).unwrap();
    assert_eq!(to, at(252));
    assert_eq!(layout(&mm), "[0,4) rw-p [252,256) rw-p +");
}

/// (h) VM_ACCOUNT decides merges invisibly.
#[test]
fn h_vm_account() {
    let mut mm = space();
    map(&mut mm, 0, 4, RW).unwrap();
    map(&mut mm, 8, 4, R).unwrap();
    assert!(mm.vma_lookup(at(0)).unwrap().flags().contains(VmFlags::ACCOUNT));
    assert!(!mm.vma_lookup(at(8)).unwrap().flags().contains(VmFlags::ACCOUNT));
    mm.mprotect(at(8), 4 * PS, RW).unwrap();
    assert!(mm.vma_lookup(at(8)).unwrap().flags().contains(VmFlags::ACCOUNT));
    // Untouched writable made read-only drops VM_ACCOUNT and merges with a read-only
    // neighbour:  |r--|rw-|  mprotect 4 4 r  ->  |r-- r--|
    let mut mm = space();
    map(&mut mm, 0, 4, R).unwrap();
    map(&mut mm, 4, 4, RW).unwrap();
    mm.mprotect(at(4), 4 * PS, R).unwrap();
    assert_eq!(layout(&mm), "[0,8) r--p");
    // Written first: VM_ACCOUNT stays, two VMAs with identical maps lines.
    let mut mm = space();
    map(&mut mm, 0, 4, R).unwrap();
    map(&mut mm, 4, 4, RW).unwrap();
    mm.fault(at(4), true).unwrap();
    mm.mprotect(at(4), 4 * PS, R).unwrap();
    assert_eq!(layout(&mm), "[0,4) r--p [4,8) r--p +");
    assert_eq!(mm.vma_lookup(at(4)).unwrap().flags().mnemonics().to_string(), "rd mr mw me ac ");
}

/// (i) Errors and partial application.
#[test]
fn i_errors_and_partial_application() {
    let mut mm = space();
    map(&mut mm, 0, 4, RW).unwrap();
    map(&mut mm, 6, 4, RW).unwrap();
    // MAP_FIXED_NOREPLACE over an existing VMA.
    let noreplace = MapFlags::PRIVATE | MapFlags::ANONYMOUS | MapFlags::FIXED_NOREPLACE;
    assert_eq!(mm.mmap(at(2), 4 * PS, R, noreplace, None), Err(VmaError::Exists));
    // mprotect across the hole at 4..6: ENOMEM, but [0,4) was changed.
    //  |rw rw|  |rw rw|  mprotect 0 10 r  ->  |r- r-|  |rw rw|
    assert_eq!(mm.mprotect(at(0), 10 * PS, R), Err(VmaError::NotMapped));
    assert_eq!(layout(&mm), "[0,4) r--p [6,10) rw-p");
    // Starting in the hole: nothing changed.
    assert_eq!(mm.mprotect(at(4), 6 * PS, Prot::NONE), Err(VmaError::NotMapped));
    assert_eq!(layout(&mm), "[0,4) r--p [6,10) rw-p");
    // mlock across the hole: the part before it is locked.
    assert_eq!(mm.mlock(at(0), 10 * PS, false), Err(VmaError::NotMapped));
    assert!(mm.vma_lookup(at(0)).unwrap().flags().contains(VmFlags::LOCKED));
    assert!(!mm.vma_lookup(at(6)).unwrap().flags().contains(VmFlags::LOCKED));
    // madvise across the hole: every mapped part, then ENOMEM.
    assert_eq!(mm.madvise(at(0), 10 * PS, Advice::DontDump), Err(VmaError::NotMapped));
    assert!(mm.iter().all(|v| v.flags().contains(VmFlags::DONTDUMP)));
    // Length 0: munmap and mmap EINVAL, mprotect succeeds.
    assert_eq!(mm.munmap(at(0), 0), Err(VmaError::Invalid));
    assert_eq!(mm.mmap(at(0), 0, R, FIXED, None), Err(VmaError::Invalid));
    assert_eq!(mm.mprotect(at(0), 0, R), Ok(()));
    // Writing a read-only page: SIGSEGV.
    assert_eq!(mm.fault(at(0), true), Err(VmaError::Fault));
}

#[test]
fn i_map_fixed_over_two_vmas_replaces_and_merges() {
    //  |rw rw|r- r-|   MAP_FIXED rw over [2,6)  ->  |rw rw rw|r-|
    let mut mm = space();
    map(&mut mm, 0, 4, RW).unwrap();
    map(&mut mm, 4, 4, R).unwrap();
    map(&mut mm, 2, 4, RW).unwrap();
    assert_eq!(layout(&mm), "[0,6) rw-p [6,8) r--p");
}

/// (j) Placement.
#[test]
fn j_placement_is_top_down_honours_free_hints_and_keeps_the_guard_gap() {
    let anon = MapFlags::PRIVATE | MapFlags::ANONYMOUS;
    let mut mm = space();
    assert_eq!(mm.mmap(0, 4 * PS, RW, anon, None), Ok(at(252)));
    assert_eq!(mm.mmap(0, 4 * PS, RW, anon, None), Ok(at(248)));
    assert_eq!(layout(&mm), "[248,256) rw-p");
    // A free hint is honoured; an occupied one is not.
    assert_eq!(mm.mmap(at(10), 4 * PS, R, anon, None), Ok(at(10)));
    assert_eq!(mm.mmap(at(11), 4 * PS, R, anon, None), Ok(at(244)));
    // Below a MAP_GROWSDOWN VMA the allocator keeps 256 pages free.
    let mut mm: maple_vma::AddressSpace =
        maple_vma::AddressSpace::new(common::config().to_builder().mmap_base(at(1024)).build().unwrap());
    mm.mmap(at(1000), 24 * PS, RW, FIXED | MapFlags::GROWSDOWN, None).unwrap();
    assert_eq!(mm.mmap(0, 500 * PS, RW, anon, None), Ok(at(244)));
}

/// (k) Other flags split and merge like mprotect.
#[test]
fn k_madvise_and_mlock_split_and_merge() {
    let mut mm = space();
    map(&mut mm, 0, 12, RW).unwrap();
    for (advice, undo) in [(Advice::DontFork, Advice::DoFork), (Advice::DontDump, Advice::DoDump)] {
        mm.madvise(at(4), 4 * PS, advice).unwrap();
        assert_eq!(mm.map_count(), 3);
        mm.madvise(at(4), 4 * PS, undo).unwrap();
        assert_eq!(layout(&mm), "[0,12) rw-p");
    }
    mm.mlock(at(4), 4 * PS, true).unwrap();
    assert_eq!(mm.map_count(), 3);
    mm.munlock(at(4), 4 * PS).unwrap();
    assert_eq!(layout(&mm), "[0,12) rw-p");
    mm.madvise(at(4), 4 * PS, Advice::PagesOnly).unwrap();
    assert_eq!(layout(&mm), "[0,12) rw-p");
}

/// fork: the child's VMAs have new, inherited anonymous identities, which merge only with
/// VMAs of the same identity (the kernel's `anon_vma_chain` longer than one entry).
#[test]
fn fork_child_identities_restrict_merges() {
    let mut parent = space();
    map(&mut parent, 0, 4, RW).unwrap();
    map(&mut parent, 8, 4, RW).unwrap();
    parent.fault(at(0), true).unwrap();
    parent.madvise(at(8), 4 * PS, Advice::DontFork).unwrap();
    let mut child = parent.fork().unwrap();
    // DONTCOPY VMAs stay behind; the written one is copied with a new, inherited identity.
    assert_eq!(layout(&child), "[0,4) rw-p +");
    let (p, c) = (parent.vma_lookup(at(0)).unwrap().anon().unwrap(), child.vma_lookup(at(0)).unwrap().anon().unwrap());
    assert!(p.id != c.id && !p.inherited && c.inherited);
    // In the parent an untouched neighbour merges with the written VMA (not with the
    // DONTCOPY one); in the child it does not, because the child's VMA has an inherited
    // identity.
    map(&mut parent, 4, 4, RW).unwrap();
    map(&mut child, 4, 4, RW).unwrap();
    assert_eq!(layout(&parent), "[0,8) rw-p + [8,12) rw-p");
    assert_eq!(layout(&child), "[0,4) rw-p + [4,8) rw-p");
    // A write fault in the child's new VMA does not adopt the inherited identity either.
    child.fault(at(4), true).unwrap();
    assert_ne!(child.vma_lookup(at(4)).unwrap().anon().unwrap().id, c.id);
    // The child does not inherit mlock.
    parent.mlock(at(0), 4 * PS, false).unwrap();
    let child = parent.fork().unwrap();
    assert!(!child.vma_lookup(at(0)).unwrap().flags().contains(VmFlags::LOCKED));
}

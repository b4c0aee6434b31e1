//! The cases of the kernel's userspace VMA harness (`tools/testing/vma`), on the public
//! primitives. Addresses are pages of 0x1000 as in the harness: "[1,3) pg1" is
//! 0x1000..0x3000 with pgoff 1.

use std::sync::Arc;

use maple_vma::{AddressSpace, Backing, Config, FileRef, MapFlags, MremapFlags, Prot, VmFlags, Vma, VmaError};

const P: u64 = 0x1000;
const RW: VmFlags = VmFlags::from_bits_retain(0x1 | 0x2 | 0x10 | 0x20 | 0x40);
const RO: VmFlags = VmFlags::from_bits_retain(0x1 | 0x10 | 0x20 | 0x40);

fn space() -> AddressSpace {
    AddressSpace::new(Config::builder().mmap_min_addr(0).build().unwrap())
}

fn anon(start: u64, end: u64, flags: VmFlags) -> Vma {
    Vma::new(start * P, end * P, start, flags, Backing::Anonymous, ())
}

fn file(start: u64, end: u64, pgoff: u64, file: &Arc<FileRef>) -> Vma {
    Vma::new(start * P, end * P, pgoff, RW, Backing::File(file.clone()), ())
}

/// `[a,b) pgN` for every VMA, `+id` for an anonymous identity.
fn layout(mm: &AddressSpace) -> String {
    mm.iter()
        .map(|v| {
            let anon = v.anon().map_or(String::new(), |a| format!(" +{}", a.id.0));
            format!("[{},{}) pg{}{anon}", v.start() / P, v.end() / P, v.pgoff())
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn simple_modify_expand_shrink() {
    // simple_modify: |0 1 2| with [1,2) changed -> |0|1|2|, pgoffs follow.
    let mut mm = space();
    mm.insert(anon(0, 3, RW)).unwrap();
    assert_eq!(mm.modify_flags(P, 2 * P, RO), Ok(P..2 * P));
    assert_eq!(layout(&mm), "[0,1) pg0 [1,2) pg1 [2,3) pg2");
    // simple_expand: [0,1) -> [0,3).
    let mut mm = space();
    mm.insert(anon(0, 1, RW)).unwrap();
    mm.expand(0, 0, 3 * P).unwrap();
    assert_eq!(layout(&mm), "[0,3) pg0");
    // simple_shrink: [0,3) -> [0,1).
    mm.shrink(0, 0, P).unwrap();
    assert_eq!(layout(&mm), "[0,1) pg0");
    assert_eq!(mm.shrink(0, 0, 2 * P), Err(VmaError::Invalid));
}

#[test]
fn merge_new() {
    // One touched VMA cut into A [0,2), B [3,4), C [0xb,0xc): all share its anonymous memory.
    let mut mm = space();
    mm.insert(anon(0, 0xc, RW)).unwrap();
    mm.fault(0, true).unwrap();
    mm.munmap(2 * P, P).unwrap();
    mm.munmap(4 * P, 7 * P).unwrap();
    // [7,9): no merge (D), 4 VMAs.
    mm.insert(anon(7, 9, RW)).unwrap();
    assert_eq!(mm.map_count(), 4);
    // [2,3) joins A and B: |A A| + |B|  ->  |A A A A|
    assert_eq!(mm.insert(anon(2, 3, RW)), Ok(0..4 * P));
    assert_eq!(mm.map_count(), 3);
    // [4,5): A extends.  [6,7): D extends down to [6,9) pgoff 6.
    assert_eq!(mm.insert(anon(4, 5, RW)), Ok(0..5 * P));
    assert_eq!(mm.insert(anon(6, 7, RW)), Ok(6 * P..9 * P));
    assert_eq!(mm.vma_lookup(6 * P).unwrap().pgoff(), 6);
    // [5,6): A and D.  [0xa,0xb): C down.  [9,0xa): all one VMA.
    assert_eq!(mm.insert(anon(5, 6, RW)), Ok(0..9 * P));
    assert_eq!(mm.insert(anon(0xa, 0xb, RW)), Ok(0xa * P..0xc * P));
    assert_eq!(mm.insert(anon(9, 0xa, RW)), Ok(0..0xc * P));
    assert_eq!(layout(&mm), "[0,12) pg0 +1");
}

#[test]
fn special_flags_never_merge() {
    for special in [VmFlags::IO, VmFlags::DONTEXPAND, VmFlags::PFNMAP, VmFlags::MIXEDMAP] {
        assert!(VmFlags::SPECIAL.contains(special));
        let flags = RW | special;
        let mut mm = space();
        mm.insert(anon(0, 2, flags)).unwrap();
        mm.insert(anon(3, 5, flags)).unwrap();
        assert_eq!(mm.insert(anon(2, 3, flags)), Ok(2 * P..3 * P));
        assert_eq!(mm.map_count(), 3);
        assert_eq!(mm.merge(2 * P, 3 * P, flags), Ok(None));
    }
}

#[test]
fn close_hooks_are_never_removed_by_a_merge() {
    // One file, seen through two descriptions that are the same for merging, one of whose
    // mappings has a close hook.
    let plain = Arc::new(FileRef::new(1, "/f"));
    let close = Arc::new(FileRef { has_close: true, ..FileRef::new(1, "/f") });
    // New range between P and N(close): only P extends.
    let mut mm = space();
    mm.insert(file(0, 2, 0, &plain)).unwrap();
    mm.insert(file(3, 5, 3, &close)).unwrap();
    assert_eq!(mm.insert(file(2, 3, 2, &plain)), Ok(0..3 * P));
    assert_eq!(mm.map_count(), 2);
    // vma_merge_new_with_close: P and N both with close, new range between: P extends.
    let mut mm = space();
    mm.insert(file(0, 2, 0, &close)).unwrap();
    mm.insert(file(3, 5, 3, &close)).unwrap();
    assert_eq!(mm.insert(file(2, 3, 2, &close)), Ok(0..3 * P));
    assert_eq!(mm.map_count(), 2);
    // M(close) wholly merged into P or into N, or between both: no merge.
    let mut mm = space();
    mm.insert(Vma::new(0, 2 * P, 0, RO, Backing::File(plain.clone()), ())).unwrap();
    mm.insert(file(2, 4, 2, &close)).unwrap();
    mm.insert(Vma::new(4 * P, 6 * P, 4, RO, Backing::File(plain.clone()), ())).unwrap();
    assert_eq!(mm.merge(2 * P, 4 * P, RO), Ok(None));
    // P, M, N(close): reduced to P + M.
    let mut mm = space();
    mm.insert(Vma::new(0, 2 * P, 0, RO, Backing::File(plain.clone()), ())).unwrap();
    mm.insert(file(2, 4, 2, &plain)).unwrap();
    mm.insert(Vma::new(4 * P, 6 * P, 4, RO, Backing::File(close.clone()), ())).unwrap();
    assert_eq!(mm.merge(2 * P, 4 * P, RO), Ok(Some(0..4 * P)));
    assert_eq!(mm.map_count(), 2);
}

#[test]
fn merge_existing_five_shapes() {
    // Right, partial:  M [2,6) N [6,9); [3,6) takes N's flags  ->  M [2,3), N [3,9) pg3 with
    // M's anonymous memory.
    let mut mm = space();
    mm.insert(anon(2, 6, RW)).unwrap();
    mm.insert(anon(6, 9, RO)).unwrap();
    mm.fault(2 * P, true).unwrap();
    assert_eq!(mm.merge(3 * P, 6 * P, RO), Ok(Some(3 * P..9 * P)));
    assert_eq!(layout(&mm), "[2,3) pg2 +1 [3,9) pg3 +1");
    // Right, full: [2,3) too  ->  N [2,9) pg2.
    assert_eq!(mm.merge(2 * P, 3 * P, RO), Ok(Some(2 * P..9 * P)));
    assert_eq!(layout(&mm), "[2,9) pg2 +1");
    // Left, partial: P [0,3) M [3,7); [3,6) takes P's flags -> P [0,6), M [6,7) pg6.
    let mut mm = space();
    mm.insert(anon(0, 3, RO)).unwrap();
    mm.insert(anon(3, 7, RW)).unwrap();
    assert_eq!(mm.merge(3 * P, 6 * P, RO), Ok(Some(0..6 * P)));
    assert_eq!(layout(&mm), "[0,6) pg0 [6,7) pg6");
    // Left, full -> P [0,7).
    assert_eq!(mm.merge(6 * P, 7 * P, RO), Ok(Some(0..7 * P)));
    // Both: P [0,3) M [3,7) N [7,9) -> P [0,9).
    let mut mm = space();
    mm.insert(anon(0, 3, RO)).unwrap();
    mm.insert(anon(3, 7, RW)).unwrap();
    mm.insert(anon(7, 9, RO)).unwrap();
    assert_eq!(mm.merge(3 * P, 7 * P, RO), Ok(Some(0..9 * P)));
    assert_eq!(mm.map_count(), 1);
    // Strictly inside M [3,8): never a merge.
    let mut mm = space();
    mm.insert(anon(0, 3, RO)).unwrap();
    mm.insert(anon(3, 8, RW)).unwrap();
    mm.insert(anon(8, 9, RO)).unwrap();
    for (a, b) in [(4, 5), (5, 6), (6, 7), (4, 7), (4, 6)] {
        assert_eq!(mm.merge(a * P, b * P, RO), Ok(None));
    }
    assert_eq!(mm.map_count(), 3);
}

#[test]
fn anon_vma_non_mergeable() {
    // P and N touched apart (different identities), M between: only P and M merge.
    let mut mm = space();
    mm.insert(anon(0, 3, RO)).unwrap();
    mm.insert(anon(7, 9, RO)).unwrap();
    mm.fault(0, false).unwrap();
    mm.mprotect(0, 3 * P, Prot::READ | Prot::WRITE).unwrap();
    mm.fault(0, true).unwrap();
    mm.mprotect(7 * P, 2 * P, Prot::READ | Prot::WRITE).unwrap();
    mm.fault(7 * P, true).unwrap();
    mm.mprotect(0, 3 * P, Prot::READ).unwrap();
    mm.mprotect(7 * P, 2 * P, Prot::READ).unwrap();
    // Now both are r-- with VM_ACCOUNT kept (they were written) and different identities.
    let flags = mm.vma_lookup(0).unwrap().flags();
    mm.insert(anon(3, 7, flags)).unwrap();
    assert_eq!(layout(&mm), "[0,7) pg0 +1 [7,9) pg7 +2");
}

#[test]
fn dup_anon_vma() {
    // Expanding P over N that has anonymous memory: P takes N's.
    //  |P P P| . . |N N N+|   expand P to 8   ->   |P P P P P P P P +|
    let mut mm = space();
    mm.insert(anon(0, 3, RW)).unwrap();
    mm.insert(anon(5, 8, RW)).unwrap();
    mm.fault(5 * P, true).unwrap();
    mm.expand(0, 0, 8 * P).unwrap();
    assert_eq!(layout(&mm), "[0,8) pg0 +1");
    // Both sides, the identity from N, then from M.
    for touched in [5, 3] {
        let mut mm = space();
        mm.insert(anon(0, 3, RW)).unwrap();
        mm.insert(anon(3, 5, RO)).unwrap();
        mm.insert(anon(5, 8, RW)).unwrap();
        if touched == 3 {
            mm.mprotect(3 * P, 2 * P, Prot::READ | Prot::WRITE | Prot::EXEC).unwrap();
        }
        mm.fault(touched * P, true).unwrap();
        assert_eq!(mm.merge(3 * P, 5 * P, RW), Ok(Some(0..8 * P)));
        assert_eq!(layout(&mm), "[0,8) pg0 +1");
    }
    // Left, partial: P takes M's identity.  Right, partial: N takes M's identity.
    let mut mm = space();
    mm.insert(anon(0, 3, RO)).unwrap();
    mm.insert(anon(3, 7, RW)).unwrap();
    mm.insert(anon(7, 9, RO)).unwrap();
    mm.fault(3 * P, true).unwrap();
    assert_eq!(mm.merge(3 * P, 4 * P, RO), Ok(Some(0..4 * P)));
    assert_eq!(mm.merge(6 * P, 7 * P, RO), Ok(Some(6 * P..9 * P)));
    assert_eq!(layout(&mm), "[0,4) pg0 +1 [4,6) pg4 +1 [6,9) pg6 +1");
}

#[test]
fn merge_extend_and_copy_vma() {
    // merge_extend: [0,1) and [3,4); growing [0,1) by 2 pages in place swallows [3,4).
    let mut mm = space();
    mm.insert(anon(0, 1, RW)).unwrap();
    mm.insert(anon(3, 4, RW)).unwrap();
    assert_eq!(mm.mremap(0, P, 3 * P, MremapFlags::EMPTY, 0), Ok(0));
    assert_eq!(layout(&mm), "[0,4) pg0");
    // copy_vma: [3,5) copied to [0,2): a new VMA with pgoff 0 (never touched).
    let copy = MremapFlags::MAYMOVE | MremapFlags::FIXED | MremapFlags::DONTUNMAP;
    let mut mm = space();
    mm.insert(anon(3, 5, RW)).unwrap();
    assert_eq!(mm.mremap(3 * P, 2 * P, 2 * P, copy, 0), Ok(0));
    assert_eq!(layout(&mm), "[0,2) pg0 [3,5) pg3");
    // [0,2) copied to [4,6) next to [6,8) pg6: merges with it.
    let mut mm = space();
    mm.insert(anon(0, 2, RW)).unwrap();
    mm.insert(anon(6, 8, RW)).unwrap();
    assert_eq!(mm.mremap(0, 2 * P, 2 * P, copy, 4 * P), Ok(4 * P));
    assert_eq!(layout(&mm), "[0,2) pg0 [4,8) pg4");
}

#[test]
fn expand_only_mode_is_brk() {
    // brk grows the heap VMA [3,5) to [3,9) and never merges with what follows.
    let mut mm = space();
    mm.insert(anon(0, 2, RW)).unwrap();
    mm.set_brk_base(3 * P);
    assert_eq!(mm.brk(5 * P), 5 * P);
    assert_eq!(mm.brk(9 * P), 9 * P);
    let heap = mm.vma_lookup(3 * P).unwrap();
    assert_eq!((heap.range(), heap.pgoff()), (3 * P..9 * P, 3));
    assert!(heap.flags().contains(VmFlags::ACCOUNT));
    // Shrinking unmaps the tail; below start_brk is refused.
    assert_eq!(mm.brk(4 * P + 10), 4 * P + 10);
    assert_eq!(mm.vma_lookup(3 * P).unwrap().range(), 3 * P..5 * P);
    assert_eq!(mm.brk(P), 4 * P + 10);
}

#[test]
fn mmap_region_basic() {
    let mut mm = space();
    let fixed = MapFlags::PRIVATE | MapFlags::ANONYMOUS | MapFlags::FIXED;
    let rw = Prot::READ | Prot::WRITE;
    for addr in [0x300000, 0x250000, 0x303000, 0x24d000] {
        mm.mmap(addr, 3 * P, rw, fixed, None).unwrap();
    }
    assert_eq!(mm.map_count(), 2);
    assert_eq!(layout(&mm), "[589,595) pg589 [768,774) pg768");
}

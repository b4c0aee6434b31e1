//! `vm.max_map_count` with the kernel's exact comparisons, at the real default limit (65530),
//! as observed on Linux 6.18 (`docs/kernel-vma-behaviour.md`, "vm.max_map_count").

mod common;

use common::{area_layout, at, map, PS};
use maple_vma::{AddressSpace, Config, MapFlags, MremapFlags, Prot, VmaError};

const M: usize = 65530;
const R: Prot = Prot::READ;
const RW: Prot = Prot::from_bits_retain(3);

/// A space with `count` VMAs: single pages of alternating protection far below the test area,
/// plus the 12-page VMA `[0,12) rw` of the test area.
fn space_with(count: usize) -> AddressSpace {
    let mut mm: AddressSpace =
        AddressSpace::new(Config::builder().mmap_base(at(256)).mmap_min_addr(at(0)).build().unwrap());
    map(&mut mm, 0, 12, RW).unwrap();
    let fixed = MapFlags::PRIVATE | MapFlags::ANONYMOUS | MapFlags::FIXED;
    for i in 0..count - 1 {
        let prot = if i % 2 == 0 { R } else { RW };
        mm.mmap(0x2_0000_0000 + i as u64 * PS, PS, prot, fixed, None).unwrap();
    }
    assert_eq!(mm.map_count(), count);
    mm
}

#[test]
fn munmap_and_mprotect_in_the_middle_at_the_limit() {
    // At M-1 a munmap in the middle of a VMA succeeds (-> M).
    let mut mm = space_with(M - 1);
    mm.munmap(at(4), 4 * PS).unwrap();
    assert_eq!(mm.map_count(), M);
    // At M: a split in the middle of a VMA is refused, for munmap and for mprotect.
    //  |rw rw|    |rw rw|   munmap 9 1 / mprotect 9 1  ->  ENOMEM
    assert_eq!(mm.munmap(at(9), PS), Err(VmaError::MapCountExceeded));
    assert_eq!(mm.mprotect(at(9), PS, R), Err(VmaError::MapCountExceeded));
    assert_eq!(area_layout(&mm), "[0,4) rw-p [8,12) rw-p");
    // munmap at a VMA edge and an mprotect that only moves a boundary still succeed.
    mm.munmap(at(11), PS).unwrap();
    mm.mprotect(at(0), 4 * PS, R).unwrap();
    assert_eq!(area_layout(&mm), "[0,4) r--p [8,11) rw-p");
    assert_eq!(mm.map_count(), M);
    mm.validate().unwrap();
}

#[test]
fn mmap_check_is_greater_than() {
    // At exactly M a brand-new VMA in a hole is still allowed (M+1) ...
    let mut mm = space_with(M);
    map(&mut mm, 20, 1, R).unwrap();
    assert_eq!(mm.map_count(), M + 1);
    // ... and at M+1 every mmap fails, even one that would only merge.
    assert_eq!(map(&mut mm, 21, 1, R), Err(VmaError::MapCountExceeded));
    assert_eq!(map(&mut mm, 100, 1, R), Err(VmaError::MapCountExceeded));
}

#[test]
fn second_split_refused_leaves_identical_neighbours() {
    // At M-1 an mprotect in the middle does the first split, fails the second, and leaves two
    // adjacent VMAs with identical flags that are never re-merged.
    //  |rw rw rw|  mprotect 4 4 r  ->  |rw|rw rw|  + ENOMEM
    let mut mm = space_with(M - 1);
    assert_eq!(mm.mprotect(at(4), 4 * PS, R), Err(VmaError::MapCountExceeded));
    assert_eq!(area_layout(&mm), "[0,4) rw-p [4,12) rw-p");
    assert_eq!(mm.map_count(), M);
    // A later fault or mprotect elsewhere does not merge them.
    mm.fault(at(0), true).unwrap();
    assert_eq!(area_layout(&mm), "[0,4) rw-p + [4,12) rw-p");
}

#[test]
fn mremap_moves_need_headroom() {
    let fixed = MremapFlags::MAYMOVE | MremapFlags::FIXED;
    // A MREMAP_FIXED move fails from map_count >= M-5 ...
    let mut mm = space_with(M - 5);
    assert_eq!(mm.mremap(at(0), 4 * PS, 4 * PS, fixed, at(100)), Err(VmaError::MapCountExceeded));
    let mut mm = space_with(M - 6);
    assert_eq!(mm.mremap(at(0), 4 * PS, 4 * PS, fixed, at(100)), Ok(at(100)));
    // ... a MAYMOVE move from M-3 (a PROT_NONE page at 12 blocks growth in place) ...
    let mut mm = space_with(M - 4);
    map(&mut mm, 12, 1, Prot::NONE).unwrap();
    assert_eq!(mm.map_count(), M - 3);
    assert_eq!(mm.mremap(at(0), 12 * PS, 16 * PS, MremapFlags::MAYMOVE, 0), Err(VmaError::MapCountExceeded));
    let mut mm = space_with(M - 5);
    map(&mut mm, 12, 1, Prot::NONE).unwrap();
    assert_eq!(mm.mremap(at(0), 12 * PS, 16 * PS, MremapFlags::MAYMOVE, 0), Ok(at(240)));
    // ... while growing in place and shrinking work up to M.
    let mut mm = space_with(M);
    assert_eq!(mm.mremap(at(0), 12 * PS, 16 * PS, MremapFlags::EMPTY, 0), Ok(at(0)));
    assert_eq!(mm.mremap(at(0), 16 * PS, 2 * PS, MremapFlags::EMPTY, 0), Ok(at(0)));
    mm.validate().unwrap();
}

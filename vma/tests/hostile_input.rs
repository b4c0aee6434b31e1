//! Hostile input: every public entry point answers a bad argument with a typed error and
//! leaves the address space as it was, never a panic or a wrapped value; and the argument
//! checks in which Linux is stricter (or more lenient) than a naive model, each citing the
//! Linux x86-64 behaviour it pins down (mmap(2), mprotect(2), mremap(2), madvise(2) and the
//! kernel's `do_mmap`, `do_mprotect_pkey`, `check_mremap_params`/`check_prep_vma`).

mod common;

use std::sync::Arc;

use common::{at, dump, layout, map, space, PS};
use maple_vma::{
    AddressSpace, Advice, Backing, Config, ConfigError, FileKind, FileRef, MapFlags, MremapFlags, Prot, SplitSide,
    VmFlags, Vma, VmaError,
};

const RW: Prot = Prot::from_bits_retain(3);
const ANON: MapFlags = MapFlags::from_bits_retain(0x02 | 0x20);
const SHARED_ANON: MapFlags = MapFlags::from_bits_retain(0x01 | 0x20);
const FIXED: MapFlags = MapFlags::from_bits_retain(0x10);
const RWX: VmFlags = VmFlags::from_bits_retain(0x7 | 0x70);

fn file(kind: FileKind) -> Arc<FileRef> {
    Arc::new(FileRef { kind, ..FileRef::new(7, "/f") })
}

/// Runs `op`, which must fail with `err`, and checks that the space did not change.
fn refused<T: std::fmt::Debug>(
    mm: &mut AddressSpace,
    err: VmaError,
    op: impl FnOnce(&mut AddressSpace) -> Result<T, VmaError>,
) {
    let before = dump(mm);
    assert_eq!(op(mm).map(drop), Err(err));
    assert_eq!(dump(mm), before, "a refused call changed the space");
    mm.validate().unwrap();
}

// ---- Config -------------------------------------------------------------------------------

/// The three configurations of the issue that used to panic or fail obscurely: a shift
/// overflow in `page_size`, a division by zero in placement, and `mmap_base > task_size`,
/// which gave an unexplained `NoSpace` on the first mmap.
#[test]
fn bad_configs_are_refused_with_the_field_named() {
    assert_eq!(Config::builder().page_shift(64).build(), Err(ConfigError::PageShift));
    assert_eq!(Config::builder().pmd_size(0).build(), Err(ConfigError::PmdSize));
    let low_task = Config::builder().task_size(0x4000_0000).mmap_min_addr(0).legacy_base(0);
    assert_eq!(low_task.build(), Err(ConfigError::MmapBase));
    assert!(ConfigError::MmapBase.to_string().contains("mmap_base"));
}

/// Non-default page sizes and the largest task size work end to end.
#[test]
fn edge_configs_work() {
    // Every address of the configuration must be aligned to the larger pages.
    assert_eq!(Config::builder().page_shift(16).build(), Err(ConfigError::TaskSize));
    let pages_64k =
        Config::builder().page_shift(16).task_size(0x7fff_ffff_0000).legacy_base(0x2aaa_aaaa_0000).build().unwrap();
    let mut mm: AddressSpace = AddressSpace::new(pages_64k);
    let a = mm.mmap(0, 1, RW, ANON, None).unwrap();
    assert_eq!(mm.vma_lookup(a).unwrap().len(), 0x1_0000);
    mm.validate().unwrap();

    let top = !0xfff_u64;
    let huge = Config::builder().task_size(top).mmap_base(top).legacy_base(1 << 62).build().unwrap();
    let mut mm: AddressSpace = AddressSpace::new(huge);
    let a = mm.mmap(0, 1 << 62, RW, ANON, None).unwrap();
    assert!(a.checked_add(1 << 62).is_some_and(|end| end <= top));
    // The last page: its end is the task size, one page below 2^64.
    mm.mmap(top - PS, PS, RW, ANON | FIXED, None).unwrap();
    mm.mprotect(top - PS, PS, Prot::READ).unwrap();
    assert_eq!(mm.mremap(top - PS, PS, 2 * PS, MremapFlags::EMPTY, 0), Err(VmaError::NoSpace));
    assert_eq!(mm.mmap(top - PS, 2 * PS, RW, ANON | FIXED, None), Err(VmaError::NoSpace));
    assert_eq!(mm.munmap(top, PS), Err(VmaError::Invalid));
    assert_eq!(mm.munmap(top - PS, u64::MAX), Err(VmaError::Invalid));
    let moved = mm.mremap(top - PS, PS, 2 * PS, MremapFlags::MAYMOVE, 0).unwrap();
    assert!(moved < top - PS);
    mm.munmap(top - 2 * PS, PS).unwrap();
    mm.validate().unwrap();
}

// ---- Vma values ---------------------------------------------------------------------------

/// `insert` takes a `Vma` built by the caller: one whose last page offset wraps (it used to
/// be accepted and then overflowed in the merge code on the next split or mprotect, and
/// wrapped silently in release builds), an inverted or unaligned range are all refused.
#[test]
fn insert_refuses_vmas_that_would_overflow_later() {
    let mut mm = space();
    let anon = || Backing::Anonymous;
    refused(&mut mm, VmaError::Invalid, |mm| mm.insert(Vma::new(at(0), at(2), u64::MAX, RWX, anon(), ())));
    refused(&mut mm, VmaError::Invalid, |mm| mm.insert(Vma::new(at(0), at(2), u64::MAX - 1, RWX, anon(), ())));
    refused(&mut mm, VmaError::Invalid, |mm| mm.insert(Vma::new(at(2), at(0), 0, RWX, anon(), ())));
    refused(&mut mm, VmaError::Invalid, |mm| mm.insert(Vma::new(at(0) + 1, at(2), 0, RWX, anon(), ())));
    assert_eq!(Vma::new(at(2), at(0), 0, RWX, anon(), ()).len(), 0);
    // The last page offset that fits: every operation on it stays exact.
    let first = u64::MAX - 2;
    mm.insert(Vma::new(at(0), at(2), first, RWX, anon(), ())).unwrap();
    mm.split(at(1), SplitSide::NewAbove).unwrap();
    assert_eq!(mm.vma_lookup(at(1)).unwrap().pgoff(), u64::MAX - 1);
    mm.modify_flags(at(1), at(2), VmFlags::READ).unwrap();
    mm.modify_flags(at(1), at(2), RWX).unwrap();
    assert_eq!(mm.map_count(), 1, "the pgoffs are still linear");
    mm.mprotect(at(1), PS, Prot::READ).unwrap();
    assert_eq!(mm.vma_lookup(at(1)).unwrap().pgoff(), u64::MAX - 1);
    mm.munmap(at(1), PS).unwrap();
    mm.insert(Vma::new(at(1), at(2), u64::MAX - 1, RWX, anon(), ())).unwrap();
    mm.fault(at(1), true).unwrap();
    // Growing it up would pass u64::MAX; growing it down is fine.
    refused(&mut mm, VmaError::Invalid, |mm| mm.expand(at(0), at(0), at(3)));
    mm.expand(at(0), at(0) - PS, at(2)).unwrap();
    assert_eq!(mm.vma_lookup(at(0)).unwrap().pgoff(), u64::MAX - 3);
    refused(&mut mm, VmaError::Invalid, |mm| mm.mremap(at(0), 2 * PS, 3 * PS, MremapFlags::MAYMOVE, 0));
    mm.validate().unwrap();
}

// ---- mprotect -----------------------------------------------------------------------------

/// x86-64 `arch_validate_prot` accepts READ, WRITE, EXEC and SEM only: any other bit is
/// EINVAL (it used to make the VMA rwx). PROT_GROWSDOWN and PROT_GROWSUP are taken off first;
/// both at once is EINVAL. A zero length returns 0 before the protection is looked at.
#[test]
fn mprotect_checks_prot_bits_as_x86_64_linux() {
    let mut mm = space();
    map(&mut mm, 0, 4, Prot::READ).unwrap();
    for bad in [0xff, 0x10, 0x8000_0000, 0x0400_0000] {
        refused(&mut mm, VmaError::Invalid, |mm| mm.mprotect(at(0), PS, Prot::from_bits_retain(bad)));
    }
    refused(&mut mm, VmaError::Invalid, |mm| mm.mprotect(at(0), PS, Prot::READ | Prot::GROWSDOWN | Prot::GROWSUP));
    // Zero length: success without a look at prot (do_mprotect_pkey returns 0 first).
    mm.mprotect(at(0), 0, Prot::from_bits_retain(0xff)).unwrap();
    // PROT_SEM is accepted and changes nothing.
    mm.mprotect(at(0), PS, Prot::READ | Prot::SEM).unwrap();
    assert_eq!(layout(&mm), "[0,4) r--p");
    // PROT_GROWSUP: no VM_GROWSUP VMAs on x86-64, so EINVAL on a mapped range.
    refused(&mut mm, VmaError::Invalid, |mm| mm.mprotect(at(0), PS, RW | Prot::GROWSUP));
    // PROT_GROWSDOWN on a VMA that does not grow down: EINVAL.
    refused(&mut mm, VmaError::Invalid, |mm| mm.mprotect(at(1), PS, RW | Prot::GROWSDOWN));
}

/// PROT_GROWSDOWN extends the change down to the start of a grows-down VMA (the stack).
#[test]
fn mprotect_growsdown_extends_to_the_vma_start() {
    let mut mm = space();
    mm.mmap(at(10), 8 * PS, RW, ANON | FIXED | MapFlags::GROWSDOWN, None).unwrap();
    mm.mprotect(at(14), 2 * PS, Prot::READ | Prot::GROWSDOWN).unwrap();
    assert_eq!(layout(&mm), "[10,16) r--p [16,18) rw-p");
}

// ---- mremap and madvise -------------------------------------------------------------------

/// mremap: flags outside MAYMOVE, FIXED and DONTUNMAP are EINVAL (`check_mremap_params`);
/// madvise: an advice number the kernel does not know is EINVAL (`madvise_behavior_valid`).
#[test]
fn unknown_mremap_flags_and_advice_are_einval() {
    let mut mm = space();
    map(&mut mm, 0, 4, RW).unwrap();
    for bad in [0x8, 0x10, 0x8000_0000] {
        let flags = MremapFlags::MAYMOVE | MremapFlags::from_bits_retain(bad);
        refused(&mut mm, VmaError::Invalid, |mm| mm.mremap(at(0), PS, 2 * PS, flags, 0));
    }
    for bad in [5, 6, 7, 99, 104, -1, i32::MAX] {
        assert_eq!(Advice::try_from(bad), Err(VmaError::Invalid), "advice {bad}");
    }
    for known in [0, 4, 10, 18, 24, 25, 102] {
        assert!(Advice::try_from(known).is_ok(), "advice {known}");
    }
}

/// The overflows that used to panic inside mremap (overflow checks on) or wrap (release):
/// * a fixed move that also shrinks, with an old length that runs past 2^64. Linux unmaps
///   the target, then refuses the shrink's munmap of the tail (EINVAL);
/// * a pure fixed move of a range whose end wraps. Linux's end wraps, the range holds no VMA,
///   EFAULT.
#[test]
fn mremap_with_wrapping_old_ranges() {
    let mut mm = space();
    map(&mut mm, 30, 4, RW).unwrap();
    map(&mut mm, 20, 1, RW).unwrap();
    let flags = MremapFlags::MAYMOVE | MremapFlags::FIXED;
    assert_eq!(mm.mremap(at(32), u64::MAX - 2 * PS, PS, flags, at(20)), Err(VmaError::Invalid));
    assert_eq!(layout(&mm), "[30,34) rw-p", "the target is unmapped first");
    mm.validate().unwrap();
    let top = !0xfff_u64;
    refused(&mut mm, VmaError::Fault, |mm| mm.mremap(top - PS, 2 * PS, 2 * PS, flags, at(40)));
}

/// `old_len == 0` (Linux's "duplicate shm area" special case of `check_prep_vma`): on a
/// shared mapping it maps a second copy of the same object, from the object offset of
/// `addr`, and keeps the source; without MREMAP_MAYMOVE it cannot be done in place (ENOMEM);
/// on a private mapping it is EINVAL.
#[test]
fn mremap_old_len_zero_duplicates_shared_mappings() {
    let mut mm = space();
    let src = mm.mmap(at(0), 4 * PS, RW, SHARED_ANON | FIXED, None).unwrap();
    refused(&mut mm, VmaError::NoSpace, |mm| mm.mremap(src + PS, 0, 2 * PS, MremapFlags::EMPTY, 0));
    let dup = mm.mremap(src + PS, 0, 2 * PS, MremapFlags::MAYMOVE | MremapFlags::FIXED, at(10)).unwrap();
    assert_eq!(dup, at(10));
    assert_eq!(layout(&mm), "[0,4) rw-s shm1@0 [10,12) rw-s shm1@1");
    // A chosen place works too, and a file mapping duplicates the same way.
    let f = Arc::new(FileRef::new(3, "/shared"));
    let shared_file = MapFlags::SHARED | FIXED;
    mm.mmap(at(20), 2 * PS, RW, shared_file, Some((f, 5))).unwrap();
    let placed = mm.mremap(at(20), 0, PS, MremapFlags::MAYMOVE, 0).unwrap();
    assert_eq!(mm.vma_lookup(placed).unwrap().pgoff(), 5);
    assert_eq!(mm.vma_lookup(at(20)).unwrap().len(), 2 * PS, "the source stays");
    mm.validate().unwrap();
    // Private: EINVAL, whatever the flags.
    map(&mut mm, 30, 2, RW).unwrap();
    for flags in [MremapFlags::EMPTY, MremapFlags::MAYMOVE] {
        refused(&mut mm, VmaError::Invalid, |mm| mm.mremap(at(30), 0, PS, flags, 0));
    }
}

// ---- mmap ---------------------------------------------------------------------------------

/// do_mmap's switch on the mapping type (`flags & MAP_TYPE`): anonymous memory takes
/// MAP_SHARED or MAP_PRIVATE only, so MAP_SHARED|MAP_PRIVATE (the value of
/// MAP_SHARED_VALIDATE) is EINVAL, as is a type of 0 or any other value. The type is checked
/// after placement: a MAP_FIXED_NOREPLACE clash is EEXIST first.
#[test]
fn mmap_validates_the_mapping_type() {
    let mut mm = space();
    let validate = MapFlags::SHARED_VALIDATE | MapFlags::ANONYMOUS;
    refused(&mut mm, VmaError::Invalid, |mm| mm.mmap(0, PS, RW, validate, None));
    refused(&mut mm, VmaError::Invalid, |mm| mm.mmap(0, PS, RW, MapFlags::ANONYMOUS, None));
    for other in [0x4, 0x6, 0x8, 0xa, 0xf] {
        refused(&mut mm, VmaError::Invalid, |mm| mm.mmap(0, PS, RW, MapFlags::from_bits_retain(other | 0x20), None));
    }
    map(&mut mm, 0, 2, RW).unwrap();
    let noreplace = MapFlags::FIXED_NOREPLACE | MapFlags::ANONYMOUS;
    refused(&mut mm, VmaError::Exists, |mm| mm.mmap(at(1), PS, RW, noreplace, None));
}

/// MAP_SHARED and MAP_PRIVATE ignore flags the kernel does not know (mmap(2): "MAP_SHARED
/// ... ignore unknown flags"); MAP_SHARED_VALIDATE refuses any flag outside
/// `LEGACY_MAP_MASK` with EOPNOTSUPP, which includes MAP_FIXED_NOREPLACE and MAP_SYNC on a
/// file that is not DAX.
#[test]
fn map_shared_validate_refuses_unknown_flags_on_files() {
    let mut mm = space();
    let f = file(FileKind::Regular);
    let unknown = MapFlags::from_bits_retain(0x8000_0000 | 0x200);
    let shared = MapFlags::SHARED | unknown;
    assert!(mm.mmap(0, PS, RW, shared, Some((f.clone(), 0))).is_ok());
    assert!(mm.mmap(0, PS, RW, ANON | unknown, None).is_ok());
    let validate = MapFlags::SHARED_VALIDATE;
    for extra in [unknown, MapFlags::SYNC, MapFlags::FIXED_NOREPLACE] {
        refused(&mut mm, VmaError::NotSupported, |mm| mm.mmap(at(40), PS, RW, validate | extra, Some((f.clone(), 0))));
    }
    assert_eq!(VmaError::NotSupported.errno(), 95);
    // Legacy flags are fine, and the mapping is an ordinary shared one.
    let a = mm.mmap(0, PS, RW, validate | MapFlags::POPULATE | MapFlags::NORESERVE, Some((f, 0))).unwrap();
    assert!(mm.vma_lookup(a).unwrap().flags().contains(VmFlags::SHARED | VmFlags::MAYSHARE));
    mm.validate().unwrap();
}

/// `file_mmap_ok`: a regular file (also a block device or a socket) may be mapped up to
/// MAX_LFS_FILESIZE (2^63 - 1) bytes of offset + length, else EOVERFLOW; a character device
/// up to 2^64; a file with unsigned offsets (/dev/mem) anywhere the range does not wrap.
#[test]
fn file_offsets_past_max_lfs_filesize_overflow() {
    let mut mm = space();
    let last_ok = (1u64 << 51) - 2; // (2^63 - 4096 - 4096) / 4096: the last page ends at 2^63 - 4096
    for kind in [FileKind::Regular, FileKind::BlockDevice, FileKind::Socket] {
        let f = file(kind);
        refused(&mut mm, VmaError::Overflow, |mm| {
            mm.mmap(0, PS, RW, MapFlags::PRIVATE, Some((f.clone(), last_ok + 1)))
        });
        refused(&mut mm, VmaError::Overflow, |mm| {
            mm.mmap(0, 2 * PS, RW, MapFlags::PRIVATE, Some((f.clone(), last_ok)))
        });
        let a = mm.mmap(0, PS, RW, MapFlags::PRIVATE, Some((f, last_ok))).unwrap();
        mm.munmap(a, PS).unwrap();
    }
    let chr = file(FileKind::CharDevice);
    let a = mm.mmap(0, PS, RW, MapFlags::SHARED, Some((chr.clone(), last_ok + 1))).unwrap();
    assert_eq!(mm.vma_lookup(a).unwrap().pgoff(), last_ok + 1);
    refused(&mut mm, VmaError::Overflow, |mm| {
        mm.mmap(0, PS, RW, MapFlags::SHARED, Some((chr.clone(), u64::MAX >> 12)))
    });
    let mem = file(FileKind::UnsignedOffset);
    mm.mmap(0, PS, RW, MapFlags::SHARED, Some((mem, (u64::MAX >> 12) - 1))).unwrap();
    // An offset whose page count wraps is EOVERFLOW whatever the file.
    refused(&mut mm, VmaError::Overflow, |mm| mm.mmap(0, 2 * PS, RW, MapFlags::SHARED, Some((chr, u64::MAX))));
    mm.validate().unwrap();
}

//! Flag sets: the kernel's `vm_flags` ([`VmFlags`]) and the system-call arguments that
//! derive them ([`Prot`], [`MapFlags`], [`MremapFlags`]). Bit values are Linux x86-64's, so
//! raw numbers from a trace convert with `from_bits_retain`.

use core::fmt;

use bitflags::bitflags;

/// The `Debug` of a flag set: `Name(FLAG | FLAG | 0xunnamed)`, `Name()` when empty (the
/// format of the crate's earlier hand-written sets, which `bitflags`' derive would print as
/// `Name(0x0)`).
macro_rules! flags_debug {
    ($($name:ident),*) => {$(
        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($name), "("))?;
                if !self.is_empty() {
                    bitflags::parser::to_writer(self, &mut *f)?;
                }
                f.write_str(")")
            }
        }

        impl $name {
            /// The empty set.
            pub const EMPTY: $name = $name::empty();
            /// Every named flag.
            pub const ALL: $name = $name::all();
        }
    )*};
}

flags_debug!(VmFlags, Prot, MapFlags, MremapFlags);

bitflags! {
    /// A VMA's flags (`vm_flags_t`), with Linux x86-64 bit values. Besides the permissions that
    /// `/proc/pid/maps` shows, these include the flags it hides but that decide whether
    /// neighbours merge (ACCOUNT, NORESERVE, LOCKED, DONTCOPY, ...); [`VmFlags::mnemonics`]
    /// prints them as the `VmFlags:` line of `/proc/pid/smaps` does.
    #[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct VmFlags: u64 {
        /// Readable (`rd`).
        const READ = 0x1;
        /// Writable (`wr`).
        const WRITE = 0x2;
        /// Executable (`ex`).
        const EXEC = 0x4;
        /// Shared (`sh`): writes reach the backing object.
        const SHARED = 0x8;
        /// May be made readable (`mr`).
        const MAYREAD = 0x10;
        /// May be made writable (`mw`).
        const MAYWRITE = 0x20;
        /// May be made executable (`me`).
        const MAYEXEC = 0x40;
        /// May be shared (`ms`).
        const MAYSHARE = 0x80;
        /// A stack that grows down (`gd`); the allocator keeps a guard gap below it.
        const GROWSDOWN = 0x100;
        /// Page frames without struct page (`pf`); one of [`VmFlags::SPECIAL`].
        const PFNMAP = 0x400;
        /// Pages are locked in memory (`lo`), from mlock or MAP_LOCKED.
        const LOCKED = 0x2000;
        /// Memory-mapped I/O (`io`); one of [`VmFlags::SPECIAL`].
        const IO = 0x4000;
        /// madvise(MADV_SEQUENTIAL) (`sr`).
        const SEQ_READ = 0x8000;
        /// madvise(MADV_RANDOM) (`rr`).
        const RAND_READ = 0x10000;
        /// Not copied on fork (`dc`), madvise(MADV_DONTFORK).
        const DONTCOPY = 0x20000;
        /// Cannot be grown by mremap (`de`); one of [`VmFlags::SPECIAL`].
        const DONTEXPAND = 0x40000;
        /// mlock2(MLOCK_ONFAULT) (`lf`).
        const LOCKONFAULT = 0x80000;
        /// The mapping is charged against the commit limit (`ac`).
        const ACCOUNT = 0x100000;
        /// Not charged: MAP_NORESERVE (`nr`).
        const NORESERVE = 0x200000;
        /// hugetlbfs mapping (`ht`).
        const HUGETLB = 0x400000;
        /// Synchronous page faults (`sf`).
        const SYNC = 0x800000;
        /// Wiped on fork (`wf`), madvise(MADV_WIPEONFORK).
        const WIPEONFORK = 0x2000000;
        /// Left out of core dumps (`dd`), madvise(MADV_DONTDUMP).
        const DONTDUMP = 0x4000000;
        /// Soft-dirty tracking (`sd`); ignored by merges.
        const SOFTDIRTY = 0x8000000;
        /// Mixed page frames (`mm`); one of [`VmFlags::SPECIAL`].
        const MIXEDMAP = 0x10000000;
        /// madvise(MADV_HUGEPAGE) (`hg`).
        const HUGEPAGE = 0x20000000;
        /// madvise(MADV_NOHUGEPAGE) or MAP_STACK (`nh`).
        const NOHUGEPAGE = 0x40000000;
        /// KSM merging enabled (`mg`).
        const MERGEABLE = 0x80000000;
    }
}

impl VmFlags {
    /// Mappings that never merge (`VM_SPECIAL`).
    pub const SPECIAL: VmFlags = VmFlags::from_bits_retain(0x4000 | 0x40000 | 0x400 | 0x10000000);
    /// Flags that differ without preventing a merge (`VM_IGNORE_MERGE`).
    pub const IGNORE_MERGE: VmFlags = VmFlags::SOFTDIRTY;
    /// The access permissions (`VM_ACCESS_FLAGS`).
    pub const ACCESS: VmFlags = VmFlags::from_bits_retain(0x7);
    /// Flags that mlock sets (`VM_LOCKED_MASK`).
    pub const LOCKED_MASK: VmFlags = VmFlags::from_bits_retain(0x2000 | 0x80000);

    /// The `VmFlags:` mnemonics of `/proc/pid/smaps`, in bit order, each followed by a space
    /// as the kernel prints them (`"rd wr mr mw me ac "`).
    ///
    /// ```
    /// use maple_vma::VmFlags;
    /// let flags = VmFlags::READ | VmFlags::MAYREAD | VmFlags::ACCOUNT;
    /// assert_eq!(flags.mnemonics().to_string(), "rd mr ac ");
    /// ```
    pub fn mnemonics(self) -> Mnemonics {
        Mnemonics(self)
    }

    /// The VMA flags a smaps mnemonic stands for, if this crate models it.
    pub fn from_mnemonic(name: &str) -> Option<VmFlags> {
        MNEMONICS.iter().find(|(_, n)| *n == name).map(|&(bits, _)| VmFlags::from_bits_retain(bits))
    }
}

/// Bit, mnemonic pairs in bit order (`show_smap_vma_flags`).
const MNEMONICS: [(u64, &str); 28] = [
    (0x1, "rd"),
    (0x2, "wr"),
    (0x4, "ex"),
    (0x8, "sh"),
    (0x10, "mr"),
    (0x20, "mw"),
    (0x40, "me"),
    (0x80, "ms"),
    (0x100, "gd"),
    (0x400, "pf"),
    (0x2000, "lo"),
    (0x4000, "io"),
    (0x8000, "sr"),
    (0x10000, "rr"),
    (0x20000, "dc"),
    (0x40000, "de"),
    (0x80000, "lf"),
    (0x100000, "ac"),
    (0x200000, "nr"),
    (0x400000, "ht"),
    (0x800000, "sf"),
    (0x2000000, "wf"),
    (0x4000000, "dd"),
    (0x8000000, "sd"),
    (0x10000000, "mm"),
    (0x20000000, "hg"),
    (0x40000000, "nh"),
    (0x80000000, "mg"),
];

/// Displays a [`VmFlags`] as smaps mnemonics; see [`VmFlags::mnemonics`].
#[derive(Clone, Copy, Debug)]
pub struct Mnemonics(VmFlags);

impl fmt::Display for Mnemonics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for &(bits, name) in MNEMONICS.iter() {
            if self.0.contains(VmFlags::from_bits_retain(bits)) {
                write!(f, "{name} ")?;
            }
        }
        Ok(())
    }
}

bitflags! {
    /// Memory protection of mmap/mprotect (`PROT_*`).
    #[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct Prot: u32 {
        /// `PROT_READ`.
        const READ = 0x1;
        /// `PROT_WRITE`.
        const WRITE = 0x2;
        /// `PROT_EXEC`.
        const EXEC = 0x4;
        /// `PROT_SEM`: accepted, without effect (x86-64 memory supports atomics).
        const SEM = 0x8;
        /// `PROT_GROWSDOWN` (mprotect only): extend the change down to the start of a
        /// grows-down VMA.
        const GROWSDOWN = 0x0100_0000;
        /// `PROT_GROWSUP` (mprotect only): x86-64 has no grows-up VMAs, so it fails with
        /// `EINVAL` on a mapped range.
        const GROWSUP = 0x0200_0000;
    }
}

impl Prot {
    /// `PROT_NONE`.
    pub const NONE: Prot = Prot::empty();

    /// The VMA permission flags of this protection.
    pub const fn vm_flags(self) -> VmFlags {
        VmFlags::from_bits_retain(self.bits() as u64 & 0x7)
    }
}

bitflags! {
    /// mmap flags (`MAP_*`, x86-64 values).
    #[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct MapFlags: u32 {
        /// `MAP_SHARED`.
        const SHARED = 0x01;
        /// `MAP_PRIVATE`.
        const PRIVATE = 0x02;
        /// `MAP_FIXED`: place exactly at the address, unmapping what is there.
        const FIXED = 0x10;
        /// `MAP_ANONYMOUS`.
        const ANONYMOUS = 0x20;
        /// `MAP_GROWSDOWN`.
        const GROWSDOWN = 0x100;
        /// `MAP_LOCKED`.
        const LOCKED = 0x2000;
        /// `MAP_NORESERVE`.
        const NORESERVE = 0x4000;
        /// `MAP_POPULATE` (no effect on the layout).
        const POPULATE = 0x8000;
        /// `MAP_STACK`.
        const STACK = 0x20000;
        /// `MAP_SYNC`: only with `SHARED_VALIDATE`, on DAX files (not modelled: always
        /// `NotSupported`); ignored with `SHARED` and `PRIVATE`.
        const SYNC = 0x80000;
        /// `MAP_FIXED_NOREPLACE`: place exactly at the address, fail with EEXIST if occupied.
        const FIXED_NOREPLACE = 0x100000;
    }
}

impl MapFlags {
    /// `MAP_SHARED_VALIDATE` (`SHARED | PRIVATE`, a mapping type of its own): a shared file
    /// mapping that refuses flags it does not support (`EOPNOTSUPP`) instead of ignoring
    /// them; `EINVAL` for anonymous memory.
    pub const SHARED_VALIDATE: MapFlags = MapFlags::from_bits_retain(0x03);
}

bitflags! {
    /// mremap flags (`MREMAP_*`).
    #[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct MremapFlags: u32 {
        /// `MREMAP_MAYMOVE`.
        const MAYMOVE = 0x1;
        /// `MREMAP_FIXED`: move to the given address.
        const FIXED = 0x2;
        /// `MREMAP_DONTUNMAP`: move, but leave the source VMA in place.
        const DONTUNMAP = 0x4;
    }
}

/// The madvise advices that change VMA flags (others change only page state and are
/// accepted without effect on the layout).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Advice {
    /// `MADV_NORMAL`: clears SEQ_READ and RAND_READ.
    Normal,
    /// `MADV_RANDOM`.
    Random,
    /// `MADV_SEQUENTIAL`.
    Sequential,
    /// `MADV_DONTFORK`: sets DONTCOPY.
    DontFork,
    /// `MADV_DOFORK`: clears DONTCOPY.
    DoFork,
    /// `MADV_DONTDUMP`: sets DONTDUMP.
    DontDump,
    /// `MADV_DODUMP`: clears DONTDUMP.
    DoDump,
    /// `MADV_WIPEONFORK` (private anonymous only).
    WipeOnFork,
    /// `MADV_KEEPONFORK`.
    KeepOnFork,
    /// `MADV_HUGEPAGE`.
    HugePage,
    /// `MADV_NOHUGEPAGE`.
    NoHugePage,
    /// `MADV_DONTNEED` and other advices that only drop or prefetch pages: no VMA changes;
    /// only a hole in the range is reported. (Linux also refuses `MADV_DONTNEED` on locked
    /// or PFN-map VMAs with EINVAL; that per-advice check is not modelled.)
    PagesOnly,
}

impl Advice {
    /// The advice of a raw `MADV_*` number, if known. The advices that only touch pages
    /// (`WILLNEED`, `DONTNEED`, `FREE`, `REMOVE`, `COLD`, `PAGEOUT`, `POPULATE_READ`,
    /// `POPULATE_WRITE`, `DONTNEED_LOCKED`, `COLLAPSE`, `GUARD_INSTALL`, `GUARD_REMOVE`) are
    /// [`Advice::PagesOnly`]. Not modelled, so `None` like an unknown number: `MERGEABLE` and
    /// `UNMERGEABLE` (KSM), `HWPOISON` and `SOFT_OFFLINE` (privileged).
    ///
    /// ```
    /// use maple_vma::{Advice, VmaError};
    /// assert_eq!(Advice::from_raw(10), Some(Advice::DontFork));
    /// // madvise(2) with an unknown advice fails with EINVAL.
    /// assert_eq!(Advice::try_from(7), Err(VmaError::Invalid));
    /// ```
    pub fn from_raw(advice: i32) -> Option<Advice> {
        Some(match advice {
            0 => Advice::Normal,
            1 => Advice::Random,
            2 => Advice::Sequential,
            3 | 4 | 8 | 9 | 20..=25 | 102 | 103 => Advice::PagesOnly,
            10 => Advice::DontFork,
            11 => Advice::DoFork,
            14 => Advice::HugePage,
            15 => Advice::NoHugePage,
            16 => Advice::DontDump,
            17 => Advice::DoDump,
            18 => Advice::WipeOnFork,
            19 => Advice::KeepOnFork,
            _ => return None,
        })
    }
}

/// `madvise`'s check of the advice number (`madvise_behavior_valid`): an unknown one is
/// `EINVAL`.
impl TryFrom<i32> for Advice {
    type Error = crate::VmaError;

    fn try_from(advice: i32) -> Result<Advice, crate::VmaError> {
        Advice::from_raw(advice).ok_or(crate::VmaError::Invalid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;

    /// The `Debug` format of the hand-written sets that came before `bitflags`, kept.
    #[test]
    fn debug_and_mnemonics_keep_their_format() {
        assert_eq!(format!("{:?}", MapFlags::SHARED | MapFlags::FIXED), "MapFlags(SHARED | FIXED)");
        assert_eq!(format!("{:?}", Prot::READ | Prot::from_bits_retain(0x40)), "Prot(READ | 0x40)");
        assert_eq!(format!("{:?}", MremapFlags::EMPTY), "MremapFlags()");
        assert_eq!(format!("{:?}", VmFlags::from_bits_retain(0x1_0000_0003)), "VmFlags(READ | WRITE | 0x100000000)");
        assert_eq!(format!("{:?}", MapFlags::SHARED_VALIDATE), "MapFlags(SHARED | PRIVATE)");
        let flags = VmFlags::READ | VmFlags::MAYREAD | VmFlags::ACCOUNT | VmFlags::SOFTDIRTY;
        assert_eq!(format!("{}", flags.mnemonics()), "rd mr ac sd ");
        assert_eq!(VmFlags::from_mnemonic("dc"), Some(VmFlags::DONTCOPY));
        // Linux's bit values.
        assert_eq!((VmFlags::SPECIAL.bits(), VmFlags::ALL.bits()), (0x1004_4400, 0xfeff_e5ff));
        assert_eq!(Prot::ALL.bits(), 0x0300_000f);
        assert_eq!(MremapFlags::ALL.bits(), 0x7);
        assert_eq!(MapFlags::ALL.bits(), 0x1a_e133);
    }
}

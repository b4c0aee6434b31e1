//! Flag sets: the kernel's `vm_flags` ([`VmFlags`]) and the system-call arguments that
//! derive them ([`Prot`], [`MapFlags`], [`MremapFlags`]). Bit values are Linux x86-64's, so
//! raw numbers from a trace convert with `from_bits_retain`.

use core::fmt;

macro_rules! flag_set {
    ($(#[$meta:meta])* $name:ident: $repr:ty { $($(#[$fmeta:meta])* $flag:ident = $value:expr;)* }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
        pub struct $name($repr);

        impl $name {
            $($(#[$fmeta])* pub const $flag: $name = $name($value);)*
            /// The empty set.
            pub const EMPTY: $name = $name(0);
            /// Every named flag.
            pub const ALL: $name = $name(0 $(| $value)*);

            /// The raw bits.
            pub const fn bits(self) -> $repr {
                self.0
            }
            /// A set from raw bits, keeping bits that have no name.
            pub const fn from_bits_retain(bits: $repr) -> Self {
                $name(bits)
            }
            /// A set from raw bits, or `None` if a bit has no name.
            pub const fn from_bits(bits: $repr) -> Option<Self> {
                if bits & !Self::ALL.0 == 0 { Some($name(bits)) } else { None }
            }
            /// Whether every flag of `other` is set.
            pub const fn contains(self, other: $name) -> bool {
                self.0 & other.0 == other.0
            }
            /// Whether any flag of `other` is set.
            pub const fn intersects(self, other: $name) -> bool {
                self.0 & other.0 != 0
            }
            /// Whether no flag is set.
            pub const fn is_empty(self) -> bool {
                self.0 == 0
            }
            /// Sets or clears `other`.
            pub fn set(&mut self, other: $name, on: bool) {
                if on { self.0 |= other.0 } else { self.0 &= !other.0 }
            }
            /// Sets `other`.
            pub fn insert(&mut self, other: $name) {
                self.0 |= other.0;
            }
            /// Clears `other`.
            pub fn remove(&mut self, other: $name) {
                self.0 &= !other.0;
            }
            /// The flags of `self` that are not in `other`.
            pub const fn difference(self, other: $name) -> $name {
                $name(self.0 & !other.0)
            }
        }

        impl core::ops::BitOr for $name {
            type Output = $name;
            fn bitor(self, rhs: $name) -> $name { $name(self.0 | rhs.0) }
        }
        impl core::ops::BitOrAssign for $name {
            fn bitor_assign(&mut self, rhs: $name) { self.0 |= rhs.0 }
        }
        impl core::ops::BitAnd for $name {
            type Output = $name;
            fn bitand(self, rhs: $name) -> $name { $name(self.0 & rhs.0) }
        }
        impl core::ops::BitXor for $name {
            type Output = $name;
            fn bitxor(self, rhs: $name) -> $name { $name(self.0 ^ rhs.0) }
        }
        impl core::ops::Not for $name {
            type Output = $name;
            fn not(self) -> $name { $name(!self.0) }
        }
        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}(", stringify!($name))?;
                let mut first = true;
                $(if self.contains($name($value)) {
                    if !first { f.write_str(" | ")?; }
                    f.write_str(stringify!($flag))?;
                    first = false;
                })*
                let unnamed = self.0 & !Self::ALL.0;
                if unnamed != 0 {
                    if !first { f.write_str(" | ")?; }
                    write!(f, "{:#x}", unnamed)?;
                }
                f.write_str(")")
            }
        }
    };
}

flag_set! {
    /// A VMA's flags (`vm_flags_t`), with Linux x86-64 bit values. Besides the permissions that
    /// `/proc/pid/maps` shows, these include the flags it hides but that decide whether
    /// neighbours merge (ACCOUNT, NORESERVE, LOCKED, DONTCOPY, ...); [`VmFlags::mnemonics`]
    /// prints them as the `VmFlags:` line of `/proc/pid/smaps` does.
    VmFlags: u64 {
        /// Readable (`rd`).
        READ = 0x1;
        /// Writable (`wr`).
        WRITE = 0x2;
        /// Executable (`ex`).
        EXEC = 0x4;
        /// Shared (`sh`): writes reach the backing object.
        SHARED = 0x8;
        /// May be made readable (`mr`).
        MAYREAD = 0x10;
        /// May be made writable (`mw`).
        MAYWRITE = 0x20;
        /// May be made executable (`me`).
        MAYEXEC = 0x40;
        /// May be shared (`ms`).
        MAYSHARE = 0x80;
        /// A stack that grows down (`gd`); the allocator keeps a guard gap below it.
        GROWSDOWN = 0x100;
        /// Page frames without struct page (`pf`); one of [`VmFlags::SPECIAL`].
        PFNMAP = 0x400;
        /// Pages are locked in memory (`lo`), from mlock or MAP_LOCKED.
        LOCKED = 0x2000;
        /// Memory-mapped I/O (`io`); one of [`VmFlags::SPECIAL`].
        IO = 0x4000;
        /// madvise(MADV_SEQUENTIAL) (`sr`).
        SEQ_READ = 0x8000;
        /// madvise(MADV_RANDOM) (`rr`).
        RAND_READ = 0x10000;
        /// Not copied on fork (`dc`), madvise(MADV_DONTFORK).
        DONTCOPY = 0x20000;
        /// Cannot be grown by mremap (`de`); one of [`VmFlags::SPECIAL`].
        DONTEXPAND = 0x40000;
        /// mlock2(MLOCK_ONFAULT) (`lf`).
        LOCKONFAULT = 0x80000;
        /// The mapping is charged against the commit limit (`ac`).
        ACCOUNT = 0x100000;
        /// Not charged: MAP_NORESERVE (`nr`).
        NORESERVE = 0x200000;
        /// hugetlbfs mapping (`ht`).
        HUGETLB = 0x400000;
        /// Synchronous page faults (`sf`).
        SYNC = 0x800000;
        /// Wiped on fork (`wf`), madvise(MADV_WIPEONFORK).
        WIPEONFORK = 0x2000000;
        /// Left out of core dumps (`dd`), madvise(MADV_DONTDUMP).
        DONTDUMP = 0x4000000;
        /// Soft-dirty tracking (`sd`); ignored by merges.
        SOFTDIRTY = 0x8000000;
        /// Mixed page frames (`mm`); one of [`VmFlags::SPECIAL`].
        MIXEDMAP = 0x10000000;
        /// madvise(MADV_HUGEPAGE) (`hg`).
        HUGEPAGE = 0x20000000;
        /// madvise(MADV_NOHUGEPAGE) or MAP_STACK (`nh`).
        NOHUGEPAGE = 0x40000000;
        /// KSM merging enabled (`mg`).
        MERGEABLE = 0x80000000;
    }
}

impl VmFlags {
    /// Mappings that never merge (`VM_SPECIAL`).
    pub const SPECIAL: VmFlags = VmFlags(0x4000 | 0x40000 | 0x400 | 0x10000000);
    /// Flags that differ without preventing a merge (`VM_IGNORE_MERGE`).
    pub const IGNORE_MERGE: VmFlags = VmFlags::SOFTDIRTY;
    /// The access permissions (`VM_ACCESS_FLAGS`).
    pub const ACCESS: VmFlags = VmFlags(0x7);
    /// Flags that mlock sets (`VM_LOCKED_MASK`).
    pub const LOCKED_MASK: VmFlags = VmFlags(0x2000 | 0x80000);

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
        MNEMONICS.iter().find(|(_, n)| *n == name).map(|&(bits, _)| VmFlags(bits))
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
            if self.0.contains(VmFlags(bits)) {
                write!(f, "{name} ")?;
            }
        }
        Ok(())
    }
}

flag_set! {
    /// Memory protection of mmap/mprotect (`PROT_*`).
    Prot: u32 {
        /// `PROT_READ`.
        READ = 0x1;
        /// `PROT_WRITE`.
        WRITE = 0x2;
        /// `PROT_EXEC`.
        EXEC = 0x4;
    }
}

impl Prot {
    /// `PROT_NONE`.
    pub const NONE: Prot = Prot(0);

    /// The VMA permission flags of this protection.
    pub const fn vm_flags(self) -> VmFlags {
        VmFlags::from_bits_retain(self.0 as u64 & 0x7)
    }
}

flag_set! {
    /// mmap flags (`MAP_*`, x86-64 values).
    MapFlags: u32 {
        /// `MAP_SHARED`.
        SHARED = 0x01;
        /// `MAP_PRIVATE`.
        PRIVATE = 0x02;
        /// `MAP_FIXED`: place exactly at the address, unmapping what is there.
        FIXED = 0x10;
        /// `MAP_ANONYMOUS`.
        ANONYMOUS = 0x20;
        /// `MAP_GROWSDOWN`.
        GROWSDOWN = 0x100;
        /// `MAP_LOCKED`.
        LOCKED = 0x2000;
        /// `MAP_NORESERVE`.
        NORESERVE = 0x4000;
        /// `MAP_POPULATE` (no effect on the layout).
        POPULATE = 0x8000;
        /// `MAP_STACK`.
        STACK = 0x20000;
        /// `MAP_FIXED_NOREPLACE`: place exactly at the address, fail with EEXIST if occupied.
        FIXED_NOREPLACE = 0x100000;
    }
}

flag_set! {
    /// mremap flags (`MREMAP_*`).
    MremapFlags: u32 {
        /// `MREMAP_MAYMOVE`.
        MAYMOVE = 0x1;
        /// `MREMAP_FIXED`: move to the given address.
        FIXED = 0x2;
        /// `MREMAP_DONTUNMAP`: move, but leave the source VMA in place.
        DONTUNMAP = 0x4;
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
    /// The advice of a raw `MADV_*` number, if known.
    pub fn from_raw(advice: i32) -> Option<Advice> {
        Some(match advice {
            0 => Advice::Normal,
            1 => Advice::Random,
            2 => Advice::Sequential,
            3 | 4 | 8 | 9 | 20 | 21 | 22 | 23 => Advice::PagesOnly,
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

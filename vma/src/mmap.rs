//! mmap, munmap and brk (`do_mmap`, `__mmap_region`, `do_vmi_munmap`, `brk`, `do_brk_flags`).

use alloc::sync::Arc;

use crate::commit::Piece;
use crate::config::MergePolicy;
use crate::error::VmaError;
use crate::flags::{MapFlags, Prot, VmFlags};
use crate::space::AddressSpace;
use crate::vma::{Backing, FileRef, Vma};
use crate::vma_iter::Fit;

impl<D: Clone, P: MergePolicy<D>> AddressSpace<D, P> {
    /// `mmap(addr, len, prot, flags, fd, offset)` with default user data; `file` is the
    /// mapped file description and the offset **in pages** (ignored with
    /// `MapFlags::ANONYMOUS`). Returns the address of the mapping.
    ///
    /// Placement: `FIXED` maps exactly at `addr`, unmapping whatever is there;
    /// `FIXED_NOREPLACE` too, but fails with `Exists` if anything is there; otherwise a free
    /// hint is honoured and else the kernel's search runs (top-down below `mmap_base`, the
    /// stack guard gap kept below grows-down VMAs, large anonymous mappings PMD-aligned).
    /// The new range merges with compatible neighbours.
    ///
    /// # Errors
    /// Checked in the order of Linux's `do_mmap`, so that the first fault decides the errno:
    /// `Invalid` (no file without `ANONYMOUS`, zero length), `NoSpace` (the length rounds
    /// past `u64::MAX`), `Overflow` (file offset + length wraps), `MapCountExceeded`
    /// (`map_count > max_map_count`), then placement: `NoSpace` (nothing fits, or the range
    /// passes the task size), `Invalid` (unaligned fixed address), `Permission` (a fixed
    /// address below `mmap_min_addr`), `Exists` (`FIXED_NOREPLACE`); then the mapping type
    /// (`flags & 0xf`): `Overflow` (a file mapping whose offset + length passes the largest
    /// offset of its [`FileKind`](crate::FileKind): `MAX_LFS_FILESIZE` for regular files),
    /// `NotSupported` (`SHARED_VALIDATE` on a file with a flag outside Linux's
    /// `LEGACY_MAP_MASK`: `FIXED_NOREPLACE`, `MAP_SYNC` or an unknown bit; plain `SHARED` and
    /// `PRIVATE` ignore unknown bits, as Linux does), `Access` (shared writable mapping of a
    /// read-only file), `Invalid` (a type other than `SHARED`, `PRIVATE` or, for files,
    /// `SHARED_VALIDATE`; shared grows-down anonymous memory); then `MapCountExceeded` (a
    /// `FIXED` mapping strictly inside a VMA at the limit), `OutOfMemory`. Nothing changes on
    /// error.
    ///
    /// ```
    /// use maple_vma::{AddressSpace, Config, MapFlags, Prot};
    /// let mut mm: AddressSpace = AddressSpace::new(Config::default());
    /// let anon = MapFlags::PRIVATE | MapFlags::ANONYMOUS;
    /// let a = mm.mmap(0, 0x4000, Prot::READ | Prot::WRITE, anon, None)?;
    /// let b = mm.mmap(0, 0x4000, Prot::READ | Prot::WRITE, anon, None)?;
    /// assert_eq!(a, 0x7fff_f000_0000 - 0x4000); // top-down below mmap_base
    /// assert_eq!(b, a - 0x4000); // right below, and merged with it
    /// assert_eq!(mm.map_count(), 1);
    /// # Ok::<(), maple_vma::VmaError>(())
    /// ```
    pub fn mmap(
        &mut self,
        addr: u64,
        len: u64,
        prot: Prot,
        flags: MapFlags,
        file: Option<(Arc<FileRef>, u64)>,
    ) -> Result<u64, VmaError>
    where
        D: Default,
    {
        self.mmap_with(addr, len, prot, flags, file, D::default())
    }

    /// [`mmap`](Self::mmap) with the user data of the new VMA (a merge keeps the
    /// neighbour's data, as the policy allowed).
    pub fn mmap_with(
        &mut self,
        addr: u64,
        len: u64,
        prot: Prot,
        flags: MapFlags,
        file: Option<(Arc<FileRef>, u64)>,
        data: D,
    ) -> Result<u64, VmaError> {
        // The checks in the order of `ksys_mmap_pgoff` and `do_mmap`, so that a call with
        // several faults fails with the errno Linux gives it.
        let file = if flags.contains(MapFlags::ANONYMOUS) { None } else { Some(file.ok_or(VmaError::Invalid)?) };
        if len == 0 {
            return Err(VmaError::Invalid);
        }
        let mut flags = flags;
        if flags.contains(MapFlags::FIXED_NOREPLACE) {
            flags |= MapFlags::FIXED;
        }
        let mut addr = addr;
        if !flags.contains(MapFlags::FIXED) {
            addr = self.config.align_down(addr);
            if addr != 0 && addr < self.config.mmap_min_addr {
                addr = self.config.mmap_min_addr;
            }
        }
        let len = self.config.align_up(len).ok_or(VmaError::NoSpace)?;
        let pages = len >> self.config.page_shift;
        let file_pgoff = file.as_ref().map_or(0, |f| f.1);
        if file_pgoff.checked_add(pages).is_none() {
            return Err(VmaError::Overflow);
        }
        if self.map_count() > self.config.max_map_count {
            return Err(VmaError::MapCountExceeded);
        }
        let mut vm_flags = prot.vm_flags() | VmFlags::MAYREAD | VmFlags::MAYWRITE | VmFlags::MAYEXEC;
        vm_flags.set(VmFlags::GROWSDOWN, flags.contains(MapFlags::GROWSDOWN));
        vm_flags.set(VmFlags::LOCKED, flags.contains(MapFlags::LOCKED));
        vm_flags.set(VmFlags::NOHUGEPAGE, flags.contains(MapFlags::STACK));
        // `__get_unmapped_area` looks at the MAP_SHARED bit alone, whatever the mapping type.
        let anonymous_private = file.is_none() && !flags.contains(MapFlags::SHARED);
        let placed = self.get_unmapped_area(addr, len, file_pgoff, flags, anonymous_private)?;
        let addr = placed.addr;
        let end = addr.checked_add(len).ok_or(VmaError::NoSpace)?; // placed below the task size
        if flags.contains(MapFlags::FIXED_NOREPLACE) && self.find_vma_intersection(addr, end).is_some() {
            return Err(VmaError::Exists);
        }
        let map_type = MapType::of(flags);
        let (backing, pgoff) = match file {
            Some((file, pgoff)) => {
                if !file.kind.mmap_ok(pgoff, len, self.config.page_shift) {
                    return Err(VmaError::Overflow);
                }
                match map_type {
                    MapType::Shared | MapType::SharedValidate => {
                        // MAP_SHARED drops the flags it does not know; MAP_SHARED_VALIDATE
                        // refuses them (and MAP_SYNC: no file here is DAX).
                        if map_type == MapType::SharedValidate && flags.bits() & !LEGACY_MAP_MASK != 0 {
                            return Err(VmaError::NotSupported);
                        }
                        if prot.contains(Prot::WRITE) && !file.writable {
                            return Err(VmaError::Access);
                        }
                        vm_flags |= VmFlags::SHARED | VmFlags::MAYSHARE;
                        if !file.writable {
                            vm_flags.remove(VmFlags::MAYWRITE | VmFlags::SHARED);
                        }
                    }
                    MapType::Private => {}
                    MapType::Other => return Err(VmaError::Invalid),
                }
                (Backing::File(file), pgoff)
            }
            // MAP_SHARED_VALIDATE is for files only: anonymous memory gets EINVAL.
            None => match map_type {
                MapType::Shared => {
                    if vm_flags.contains(VmFlags::GROWSDOWN) {
                        return Err(VmaError::Invalid);
                    }
                    vm_flags |= VmFlags::SHARED | VmFlags::MAYSHARE;
                    (Backing::SharedAnonymous { object: self.next_object, pages }, 0)
                }
                MapType::Private => (Backing::Anonymous, addr >> self.config.page_shift),
                MapType::SharedValidate | MapType::Other => return Err(VmaError::Invalid),
            },
        };
        if flags.contains(MapFlags::NORESERVE) && !self.config.overcommit_never {
            vm_flags |= VmFlags::NORESERVE;
        }
        let is_shared_anon = matches!(backing, Backing::SharedAnonymous { .. });
        let vma = Vma { start: addr, end, pgoff, flags: vm_flags, backing, anon: None, name: None, data };
        let populate = (vm_flags.contains(VmFlags::LOCKED) && !vm_flags.contains(VmFlags::LOCKONFAULT))
            || flags.contains(MapFlags::POPULATE);
        self.mmap_region(vma, placed.fit)?;
        if is_shared_anon {
            self.next_object = self.next_object.wrapping_add(1); // 2^64 objects do not happen
        }
        if populate {
            let _ = self.populate(addr, end, true);
        }
        Ok(addr)
    }

    /// `__mmap_region`: unmaps what `vma`'s range covers, sets `VM_ACCOUNT` on accountable
    /// mappings, then merges or inserts. `fit`: the VMAs around the hole the placement found
    /// the range in (its region, without a new walk).
    fn mmap_region(&mut self, mut vma: Vma<D>, fit: Option<Fit>) -> Result<(), VmaError> {
        let mut edit = match fit {
            Some(fit) => self.edit_around(vma.start, vma.end, fit),
            None => self.edit(vma.start, vma.end),
        };
        self.unmap_range(&mut edit, vma.start, vma.end)?;
        if (vma.flags & (VmFlags::NORESERVE | VmFlags::SHARED | VmFlags::WRITE)) == VmFlags::WRITE {
            vma.flags |= VmFlags::ACCOUNT;
        }
        if self.merge_new(&mut edit, &vma, false).is_none() {
            let i = edit.index_from(vma.start);
            edit.pieces.insert(i, Piece { vma, slot: None });
        }
        self.commit(&mut edit)
    }

    /// `munmap(start, len)`: removes every page of `[start, start + len)` (len rounded up to
    /// pages), splitting the VMAs that reach outside it. Unmapping a range with no VMA
    /// succeeds.
    ///
    /// # Errors
    /// `Invalid` (unaligned start, zero length, range past the task size);
    /// `MapCountExceeded` when the range lies strictly inside one VMA (a net new VMA) and
    /// `map_count >= max_map_count`; `OutOfMemory`. Nothing changes on error.
    ///
    /// ```
    /// use maple_vma::{AddressSpace, Config, MapFlags, Prot};
    /// let mut mm: AddressSpace = AddressSpace::new(Config::default());
    /// let fixed = MapFlags::PRIVATE | MapFlags::ANONYMOUS | MapFlags::FIXED;
    /// mm.mmap(0x10000, 0xc000, Prot::READ, fixed, None)?;
    /// mm.munmap(0x14000, 0x4000)?;
    /// let ranges: Vec<_> = mm.iter().map(|v| v.range()).collect();
    /// assert_eq!(ranges, [0x10000..0x14000, 0x18000..0x1c000]);
    /// # Ok::<(), maple_vma::VmaError>(())
    /// ```
    #[doc(alias = "do_vmi_munmap")]
    pub fn munmap(&mut self, start: u64, len: u64) -> Result<(), VmaError> {
        let (start, end) = self.unmap_bounds(start, len)?;
        let mut edit = self.edit(start, end);
        self.unmap_range(&mut edit, start, end)?;
        self.commit(&mut edit)
    }

    /// munmap's checks (`do_vmi_munmap`): the page range `[start, start + len)`, `len`
    /// rounded up, if `start` is page aligned and the range is not empty and lies below the
    /// task size; else `Invalid`.
    pub(crate) fn unmap_bounds(&self, start: u64, len: u64) -> Result<(u64, u64), VmaError> {
        let task_size = self.config.task_size;
        if !self.config.is_aligned(start) || task_size.checked_sub(start).map_or(true, |room| len > room) {
            return Err(VmaError::Invalid);
        }
        let len = self.config.align_up(len).ok_or(VmaError::Invalid)?;
        let end = start.checked_add(len).filter(|&end| end != start).ok_or(VmaError::Invalid)?;
        Ok((start, end))
    }

    /// `brk(addr)`: moves the end of the heap and returns the new break; on any failure the
    /// break stays where it was and is returned unchanged (as the system call reports
    /// failure). Shrinking unmaps the tail; growing extends the heap VMA (a merge that only
    /// tries the VMA below) or maps a new anonymous VMA, and refuses to come within the
    /// stack guard gap of the next VMA. Call [`set_brk_base`](Self::set_brk_base) first.
    ///
    /// ```
    /// use maple_vma::{AddressSpace, Config};
    /// let mut mm: AddressSpace = AddressSpace::new(Config::default());
    /// mm.set_brk_base(0x55_0000_0000);
    /// assert_eq!(mm.brk(0x55_0000_2100), 0x55_0000_2100);
    /// assert_eq!(mm.brk(0x55_0000_5000), 0x55_0000_5000);
    /// assert_eq!(mm.map_count(), 1); // one [heap] VMA, grown in place
    /// assert!(mm.to_string().ends_with("[heap]\n"));
    /// assert_eq!(mm.brk(0), 0x55_0000_5000); // below start_brk: refused
    /// ```
    pub fn brk(&mut self, brk: u64) -> u64
    where
        D: Default,
    {
        let orig = self.brk;
        if brk < self.start_brk {
            return orig;
        }
        let (Some(newbrk), Some(oldbrk)) = (self.config.align_up(brk), self.config.align_up(self.brk)) else {
            return orig;
        };
        if oldbrk == newbrk {
            self.brk = brk;
            return brk;
        }
        if brk <= self.brk {
            let Some(vma) = self.find_vma_intersection(newbrk, oldbrk) else {
                return orig;
            };
            if vma.start >= oldbrk {
                return orig;
            }
            let mut edit = self.edit(newbrk, oldbrk);
            if self.unmap_range(&mut edit, newbrk, oldbrk).is_err() || self.commit(&mut edit).is_err() {
                return orig;
            }
            self.brk = brk;
            return brk;
        }
        match self.grow_brk(oldbrk, newbrk) {
            Ok(()) => {
                self.brk = brk;
                brk
            }
            Err(_) => orig,
        }
    }

    /// `check_brk_limits` + the guard-gap check + `do_brk_flags`.
    fn grow_brk(&mut self, oldbrk: u64, newbrk: u64) -> Result<(), VmaError>
    where
        D: Default,
    {
        let len = newbrk.checked_sub(oldbrk).ok_or(VmaError::Invalid)?;
        self.get_unmapped_area(oldbrk, len, 0, MapFlags::FIXED, false)?;
        let ps = self.page_size();
        let limit = newbrk.saturating_add(ps).saturating_add(self.config.stack_guard_gap);
        if let Some(next) = self.find_vma_intersection(oldbrk, limit) {
            if newbrk.saturating_add(ps) > self.vm_start_gap(next.start, next.flags) {
                return Err(VmaError::NoSpace);
            }
        }
        if self.map_count() > self.config.max_map_count {
            return Err(VmaError::MapCountExceeded);
        }
        let flags =
            VmFlags::READ | VmFlags::WRITE | VmFlags::MAYREAD | VmFlags::MAYWRITE | VmFlags::MAYEXEC | VmFlags::ACCOUNT;
        let cand = Vma {
            start: oldbrk,
            end: newbrk,
            pgoff: oldbrk >> self.config.page_shift,
            flags,
            backing: Backing::Anonymous,
            anon: None,
            name: None,
            data: D::default(),
        };
        let mut edit = self.edit(oldbrk, newbrk);
        let brk_vma_below = edit
            .pieces
            .iter()
            .rev()
            .find(|p| p.vma.end <= oldbrk)
            .is_some_and(|p| p.vma.end == oldbrk && p.vma.end > self.start_brk);
        if !(brk_vma_below && self.merge_new(&mut edit, &cand, true).is_some()) {
            let i = edit.index_from(oldbrk);
            edit.pieces.insert(i, Piece { vma: cand, slot: None });
        }
        self.commit(&mut edit)
    }
}

/// The mapping type of mmap's flags (`flags & MAP_TYPE`, the low four bits).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum MapType {
    /// `MAP_SHARED` (1).
    Shared,
    /// `MAP_PRIVATE` (2).
    Private,
    /// `MAP_SHARED_VALIDATE` (3).
    SharedValidate,
    /// Anything else: `EINVAL` (`MAP_DROPPABLE`, 8, is not modelled and gets it too).
    Other,
}

impl MapType {
    fn of(flags: MapFlags) -> MapType {
        match flags.bits() & 0xf {
            0x1 => MapType::Shared,
            0x2 => MapType::Private,
            0x3 => MapType::SharedValidate,
            _ => MapType::Other,
        }
    }
}

/// `LEGACY_MAP_MASK`: the flags `MAP_SHARED_VALIDATE` accepts on a file (`MAP_SYNC` only on
/// DAX files, which are not modelled). `MAP_FIXED_NOREPLACE` is not among them.
const LEGACY_MAP_MASK: u32 = 0x01 // MAP_SHARED
    | 0x02 // MAP_PRIVATE
    | 0x10 // MAP_FIXED
    | 0x20 // MAP_ANONYMOUS
    | 0x40 // MAP_32BIT
    | 0x100 // MAP_GROWSDOWN
    | 0x800 // MAP_DENYWRITE
    | 0x1000 // MAP_EXECUTABLE
    | 0x2000 // MAP_LOCKED
    | 0x4000 // MAP_NORESERVE
    | 0x8000 // MAP_POPULATE
    | 0x1_0000 // MAP_NONBLOCK
    | 0x2_0000 // MAP_STACK
    | 0x4_0000 // MAP_HUGETLB
    | 0x400_0000 // MAP_UNINITIALIZED
    | 0x5400_0000 // MAP_HUGE_2MB (21 << MAP_HUGE_SHIFT)
    | 0x7800_0000; // MAP_HUGE_1GB (30 << MAP_HUGE_SHIFT)

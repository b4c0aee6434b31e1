//! mmap, munmap and brk (`do_mmap`, `__mmap_region`, `do_vmi_munmap`, `brk`, `do_brk_flags`).

use alloc::sync::Arc;

use crate::commit::Piece;
use crate::config::MergePolicy;
use crate::error::VmaError;
use crate::flags::{MapFlags, Prot, VmFlags};
use crate::space::AddressSpace;
use crate::vma::{Backing, FileRef, Vma};

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
    /// `Invalid` (zero length, neither or both of SHARED/PRIVATE missing, unaligned fixed
    /// address, shared grows-down anonymous, no file without `ANONYMOUS`), `NoSpace`
    /// (nothing fits, or the range passes the task size), `Overflow` (offset + length wraps),
    /// `MapCountExceeded` (`map_count > max_map_count`, or a `FIXED` mapping strictly inside a
    /// VMA at the limit), `Permission` (a fixed address below `mmap_min_addr`), `Exists`, `Access` (shared writable mapping of a read-only file),
    /// `OutOfMemory`. Nothing changes on error.
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
        let ps = self.page_size();
        let shared = flags.contains(MapFlags::SHARED);
        if !shared && !flags.contains(MapFlags::PRIVATE) {
            return Err(VmaError::Invalid);
        }
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
            addr &= !(ps - 1);
            if addr != 0 && addr < self.config.mmap_min_addr {
                addr = align_up(self.config.mmap_min_addr, ps).unwrap_or(0);
            }
        }
        let len = align_up(len, ps).ok_or(VmaError::NoSpace)?;
        let file_pgoff = file.as_ref().map_or(0, |f| f.1);
        if file_pgoff.checked_add(len >> self.config.page_shift).is_none() {
            return Err(VmaError::Overflow);
        }
        if self.map_count() > self.config.max_map_count {
            return Err(VmaError::MapCountExceeded);
        }
        let mut vm_flags = prot.vm_flags() | VmFlags::MAYREAD | VmFlags::MAYWRITE | VmFlags::MAYEXEC;
        vm_flags.set(VmFlags::GROWSDOWN, flags.contains(MapFlags::GROWSDOWN));
        vm_flags.set(VmFlags::LOCKED, flags.contains(MapFlags::LOCKED));
        vm_flags.set(VmFlags::NOHUGEPAGE, flags.contains(MapFlags::STACK));
        let anonymous_private = file.is_none() && !shared;
        let addr = self.get_unmapped_area(addr, len, file_pgoff, flags, anonymous_private)?;
        let end = addr + len;
        if flags.contains(MapFlags::FIXED_NOREPLACE) && self.find_vma_intersection(addr, end).is_some() {
            return Err(VmaError::Exists);
        }
        let (backing, pgoff) = match file {
            Some((file, pgoff)) => {
                if shared {
                    if prot.contains(Prot::WRITE) && !file.writable {
                        return Err(VmaError::Access);
                    }
                    vm_flags |= VmFlags::SHARED | VmFlags::MAYSHARE;
                    if !file.writable {
                        vm_flags.remove(VmFlags::MAYWRITE | VmFlags::SHARED);
                    }
                }
                (Backing::File(file), pgoff)
            }
            None if shared => {
                if vm_flags.contains(VmFlags::GROWSDOWN) {
                    return Err(VmaError::Invalid);
                }
                vm_flags |= VmFlags::SHARED | VmFlags::MAYSHARE;
                (Backing::SharedAnonymous { object: self.next_object, pages: len >> self.config.page_shift }, 0)
            }
            None => (Backing::Anonymous, addr >> self.config.page_shift),
        };
        if flags.contains(MapFlags::NORESERVE) && !self.config.overcommit_never {
            vm_flags |= VmFlags::NORESERVE;
        }
        let is_shared_anon = matches!(backing, Backing::SharedAnonymous { .. });
        let vma = Vma { start: addr, end, pgoff, flags: vm_flags, backing, anon: None, name: None, data };
        let populate = (vm_flags.contains(VmFlags::LOCKED) && !vm_flags.contains(VmFlags::LOCKONFAULT))
            || flags.contains(MapFlags::POPULATE);
        self.mmap_region(vma)?;
        if is_shared_anon {
            self.next_object += 1;
        }
        if populate {
            let _ = self.populate(addr, end, true);
        }
        Ok(addr)
    }

    /// `__mmap_region`: unmaps what `vma`'s range covers, sets `VM_ACCOUNT` on accountable
    /// mappings, then merges or inserts.
    fn mmap_region(&mut self, mut vma: Vma<D>) -> Result<(), VmaError> {
        let mut edit = self.edit(vma.start, vma.end);
        self.unmap_range(&mut edit, vma.start, vma.end)?;
        if (vma.flags & (VmFlags::NORESERVE | VmFlags::SHARED | VmFlags::WRITE)) == VmFlags::WRITE {
            vma.flags |= VmFlags::ACCOUNT;
        }
        if self.merge_new(&mut edit, &vma, false).is_none() {
            let i = edit.index_from(vma.start);
            edit.pieces.insert(i, Piece { vma, slot: None });
        }
        self.commit(edit)
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
        let task_size = self.config.task_size;
        if start & (self.page_size() - 1) != 0 || start > task_size || len > task_size - start {
            return Err(VmaError::Invalid);
        }
        let len = align_up(len, self.page_size()).ok_or(VmaError::Invalid)?;
        if len == 0 {
            return Err(VmaError::Invalid);
        }
        let end = start + len;
        let mut edit = self.edit(start, end);
        self.unmap_range(&mut edit, start, end)?;
        self.commit(edit)
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
        let ps = self.page_size();
        let (Some(newbrk), Some(oldbrk)) = (align_up(brk, ps), align_up(self.brk, ps)) else {
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
            if self.unmap_range(&mut edit, newbrk, oldbrk).is_err() || self.commit(edit).is_err() {
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
        let len = newbrk - oldbrk;
        self.get_unmapped_area(oldbrk, len, 0, MapFlags::FIXED, false)?;
        let ps = self.page_size();
        let limit = newbrk.saturating_add(ps).saturating_add(self.config.stack_guard_gap);
        if let Some(next) = self.find_vma_intersection(oldbrk, limit) {
            if newbrk + ps > self.vm_start_gap(next.start, next.flags) {
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
        self.commit(edit)
    }
}

/// `x` rounded up to a multiple of the power of two `to`, or `None` on overflow.
pub(crate) fn align_up(x: u64, to: u64) -> Option<u64> {
    x.checked_add(to - 1).map(|v| v & !(to - 1))
}

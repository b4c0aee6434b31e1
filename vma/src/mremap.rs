//! mremap (`do_mremap`: `check_mremap_params`, `check_prep_vma`, `mremap_at`, `mremap_to`,
//! `remap_move`, `move_vma`, `copy_vma`), as Linux 6.18 does it.

use crate::commit::{Edit, Piece};
use crate::config::MergePolicy;
use crate::error::VmaError;
use crate::flags::{MapFlags, MremapFlags, VmFlags};
use crate::space::AddressSpace;
use crate::vma::Vma;

impl<D: Clone, P: MergePolicy<D>> AddressSpace<D, P> {
    /// `mremap(addr, old_len, new_len, flags, new_addr)`; returns the (new) address.
    ///
    /// * Same size without a new address: nothing to do. Shrink: the tail is unmapped, in
    ///   place. Grow: in place when `[addr, addr + old_len)` ends at its VMA's end and the
    ///   pages after it are free (a merge, which can swallow a compatible next VMA); otherwise
    ///   with `MAYMOVE` the range moves to a place chosen like an mmap without hint, else
    ///   `NoSpace`.
    /// * `FIXED` (needs `MAYMOVE`) moves to `new_addr`, unmapping what is there first;
    ///   with `old_len == new_len` the source may span several VMAs, which all move and keep
    ///   the gaps between them (Linux 6.17+). `DONTUNMAP` (needs `MAYMOVE`, same size) leaves
    ///   the source VMA in place, unlocked, and without anonymous identity if it moved whole.
    /// * A moved VMA that never had a write fault gets the pgoff of its new address (so it
    ///   can merge there); one with anonymous memory keeps its pgoff.
    /// * `old_len == 0` on a shared mapping (`VM_SHARED` or `VM_MAYSHARE`) duplicates it: a
    ///   new VMA of `new_len` bytes of the same object, starting at the object offset of
    ///   `addr`, at a place chosen with `MAYMOVE` or at `new_addr` with `FIXED`; the source
    ///   stays. Without `MAYMOVE` it fails with `NoSpace` (it cannot grow in place).
    ///
    /// # Errors
    /// `Invalid` (unknown flags, unaligned addresses, zero `new_len`, `FIXED`/`DONTUNMAP`
    /// without `MAYMOVE`, `DONTUNMAP` with a size change, source and target overlapping,
    /// `old_len == 0` on a private mapping);
    /// `Fault` (`addr` not mapped, the range runs past its VMA, or the VMA may not grow);
    /// `NoSpace`; `MapCountExceeded` (a move needs headroom: `FIXED`/`DONTUNMAP` fail from
    /// `map_count >= max - 5`, other moves from `max - 3`); `OutOfMemory`. Nothing changes
    /// on error, except that a multi-VMA move that fails on a later VMA keeps the earlier
    /// ones moved, as Linux does.
    ///
    /// ```
    /// use maple_vma::{AddressSpace, Config, MapFlags, MremapFlags, Prot};
    /// let mut mm: AddressSpace = AddressSpace::new(Config::default());
    /// let fixed = MapFlags::PRIVATE | MapFlags::ANONYMOUS | MapFlags::FIXED;
    /// mm.mmap(0x10000, 0x4000, Prot::READ | Prot::WRITE, fixed, None)?;
    /// mm.mmap(0x18000, 0x4000, Prot::READ | Prot::WRITE, fixed, None)?;
    /// // Growing up to the compatible neighbour merges with it.
    /// assert_eq!(mm.mremap(0x10000, 0x4000, 0x8000, MremapFlags::EMPTY, 0)?, 0x10000);
    /// assert_eq!(mm.map_count(), 1);
    /// // A fixed move.
    /// let to = mm.mremap(0x10000, 0xc000, 0xc000, MremapFlags::MAYMOVE | MremapFlags::FIXED, 0x40000)?;
    /// assert_eq!(to, 0x40000);
    /// assert_eq!(mm.iter().map(|v| v.range()).collect::<Vec<_>>(), [0x40000..0x4c000]);
    /// # Ok::<(), maple_vma::VmaError>(())
    /// ```
    pub fn mremap(
        &mut self,
        addr: u64,
        old_len: u64,
        new_len: u64,
        flags: MremapFlags,
        new_addr: u64,
    ) -> Result<u64, VmaError> {
        let task_size = self.config.task_size;
        if flags.bits() & !MremapFlags::ALL.bits() != 0 || !self.config.is_aligned(addr) {
            return Err(VmaError::Invalid);
        }
        let old_len = self.config.align_up(old_len).ok_or(VmaError::Invalid)?;
        let new_len = self.config.align_up(new_len).unwrap_or(0);
        if new_len == 0 || new_len > task_size {
            return Err(VmaError::Invalid);
        }
        let implies_new_addr = flags.intersects(MremapFlags::FIXED | MremapFlags::DONTUNMAP);
        if implies_new_addr {
            // `new_len <= task_size` was checked above.
            if task_size.checked_sub(new_len).map_or(true, |top| new_addr > top) || !self.config.is_aligned(new_addr) {
                return Err(VmaError::Invalid);
            }
            if !flags.contains(MremapFlags::MAYMOVE) {
                return Err(VmaError::Invalid);
            }
            if flags.contains(MremapFlags::DONTUNMAP) && old_len != new_len {
                return Err(VmaError::Invalid);
            }
            let fixed = flags.contains(MremapFlags::FIXED);
            // `vrm_overlaps`, with the kernel's unsigned arithmetic (a source end that wraps
            // is small); an empty source at the target's start does not overlap it. The
            // target ends below the task size.
            let overlaps = addr.wrapping_add(old_len) > new_addr && new_addr.saturating_add(new_len) > addr;
            if fixed && overlaps {
                return Err(VmaError::Invalid);
            }
            if self.map_count().saturating_add(2) >= self.config.max_map_count.saturating_sub(3) {
                return Err(VmaError::MapCountExceeded);
            }
        }
        if flags.contains(MremapFlags::FIXED) && old_len == new_len {
            return self.remap_move(addr, old_len, new_addr, flags);
        }
        self.check_prep(self.vma_lookup(addr), addr, old_len, new_len, flags, implies_new_addr)?;
        let result = if implies_new_addr {
            self.mremap_to(addr, old_len, new_len, flags, new_addr)?
        } else {
            self.mremap_at(addr, old_len, new_len, flags)?
        };
        // A grown mlock()ed VMA has its new pages faulted in.
        if new_len > old_len && self.vma_lookup(result).is_some_and(|v| v.flags.contains(VmFlags::LOCKED)) {
            // `[result, result + new_len)` is mapped, so below the task size.
            let _ = self.populate(result.saturating_add(old_len), result.saturating_add(new_len), true);
        }
        Ok(result)
    }

    /// `check_prep_vma`: the source VMA must exist and, for a growth or a move, contain the
    /// whole old range (after a shrink) and be allowed to grow.
    fn check_prep(
        &self,
        vma: Option<&Vma<D>>,
        addr: u64,
        old_len: u64,
        new_len: u64,
        flags: MremapFlags,
        moves: bool,
    ) -> Result<(), VmaError> {
        let vma = vma.ok_or(VmaError::Fault)?;
        if !(new_len > old_len || moves) {
            return Ok(());
        }
        // `old_len == 0` duplicates the mapping: a new VMA of the same object at another
        // place. Linux refuses it for private mappings.
        if old_len == 0 && !vma.flags.intersects(VmFlags::SHARED | VmFlags::MAYSHARE) {
            return Err(VmaError::Invalid);
        }
        if flags.contains(MremapFlags::DONTUNMAP) && vma.flags.intersects(VmFlags::DONTEXPAND | VmFlags::PFNMAP) {
            return Err(VmaError::Invalid);
        }
        // A shrink may unmap across VMA boundaries; only the part that stays must fit.
        let old_len = old_len.min(new_len);
        if vma.end.checked_sub(addr).map_or(true, |room| old_len > room) {
            return Err(VmaError::Fault);
        }
        if new_len == old_len {
            return Ok(());
        }
        let pgoff = vma.pgoff_at(addr, self.config.page_shift);
        if pgoff.checked_add(new_len >> self.config.page_shift).is_none() {
            return Err(VmaError::Invalid);
        }
        if vma.flags.intersects(VmFlags::DONTEXPAND | VmFlags::PFNMAP) {
            return Err(VmaError::Fault);
        }
        Ok(())
    }

    /// `mremap_at`: no new address given.
    fn mremap_at(&mut self, addr: u64, old_len: u64, new_len: u64, flags: MremapFlags) -> Result<u64, VmaError> {
        if old_len == new_len {
            return Ok(addr);
        }
        if let Some(tail) = old_len.checked_sub(new_len).filter(|&tail| tail != 0) {
            self.munmap(addr.checked_add(new_len).ok_or(VmaError::Invalid)?, tail)?;
            return Ok(addr);
        }
        let vma = self.vma_lookup(addr).ok_or(VmaError::Fault)?;
        let (vma_start, vma_end) = (vma.start, vma.end);
        let delta = new_len.checked_sub(old_len).ok_or(VmaError::Invalid)?;
        let in_place = vma_end.checked_sub(addr) == Some(old_len);
        if let Some(new_end) =
            vma_end.checked_add(delta).filter(|_| in_place && self.expandable(vma_start, vma_end, delta))
        {
            let mut edit = self.edit(vma_end, new_end);
            let i = edit.index_at(vma_start).expect("the VMA is in its own region");
            let mut cand = edit.pieces[i].vma.clone();
            cand.pgoff = cand.pgoff_end(self.config.page_shift);
            cand.start = vma_end;
            cand.end = new_end;
            if self.merge_new(&mut edit, &cand, false).is_none() {
                return Err(VmaError::NoSpace);
            }
            self.commit(&mut edit)?;
            return Ok(addr);
        }
        if !flags.contains(MremapFlags::MAYMOVE) {
            return Err(VmaError::NoSpace);
        }
        let target = self.new_area(addr, new_len, addr, false)?;
        // Growth: `check_prep` found `[addr, addr + old_len)` inside a VMA; the target was
        // placed below the task size.
        let source = (addr, addr.checked_add(old_len).ok_or(VmaError::Fault)?);
        let mut edit = self.edit_pair(source, (target, target.checked_add(new_len).ok_or(VmaError::NoSpace)?));
        let result = self.move_vma(&mut edit, addr, old_len, new_len, target, flags);
        self.commit(&mut edit)?;
        result
    }

    /// `vma_expandable`: `delta` free bytes after the VMA, inside the task size.
    fn expandable(&self, start: u64, end: u64, delta: u64) -> bool {
        let Some(new_end) = end.checked_add(delta) else {
            return false;
        };
        self.find_vma_intersection(end, new_end).is_none()
            && self.get_unmapped_area(start, new_end.saturating_sub(start), 0, MapFlags::FIXED, false).is_ok()
    }

    /// `vrm_set_new_addr`: where a move of `[addr, ..)` of `new_len` bytes goes.
    fn new_area(&self, addr: u64, new_len: u64, hint: u64, fixed: bool) -> Result<u64, VmaError> {
        let vma = self.vma_lookup(addr).ok_or(VmaError::Fault)?;
        let pgoff = vma.pgoff_at(addr, self.config.page_shift);
        let mut map_flags = if fixed { MapFlags::FIXED } else { MapFlags::EMPTY };
        if vma.flags.contains(VmFlags::MAYSHARE) {
            map_flags |= MapFlags::SHARED;
        }
        let anonymous_private = vma.backing.is_anonymous();
        let pgoff = if vma.backing.file_identity().is_some_and(|(file, _)| file) { pgoff } else { 0 };
        self.get_unmapped_area(hint, new_len, pgoff, map_flags, anonymous_private).map(|placed| placed.addr)
    }

    /// `mremap_to`: a move to `new_addr` (`FIXED`) or a `DONTUNMAP` move (hint `new_addr`):
    /// unmap the target (`FIXED`), unmap the tail of a shrink, then move. Linux keeps the
    /// steps done before a failing one; out of memory changes nothing.
    fn mremap_to(
        &mut self,
        addr: u64,
        old_len: u64,
        new_len: u64,
        flags: MremapFlags,
        new_addr: u64,
    ) -> Result<u64, VmaError> {
        let fixed = flags.contains(MremapFlags::FIXED);
        // A shrink unmaps the tail as munmap does, with munmap's checks; Linux unmaps the
        // target of a fixed move before it gets there.
        let source_end = match old_len.checked_sub(new_len).filter(|&tail| tail != 0) {
            Some(tail) => {
                match addr.checked_add(new_len).ok_or(VmaError::Invalid).and_then(|s| self.unmap_bounds(s, tail)) {
                    Ok((_, end)) => end,
                    Err(e) => {
                        if fixed {
                            self.munmap(new_addr, new_len)?;
                            self.vma_lookup(addr).ok_or(VmaError::Fault)?;
                        }
                        return Err(e);
                    }
                }
            }
            // `check_prep` found `[addr, addr + old_len)` inside a VMA.
            None => addr.checked_add(old_len).ok_or(VmaError::Fault)?,
        };
        let target = if fixed { new_addr } else { self.new_area(addr, new_len, new_addr, false)? };
        // Both a fixed `new_addr` and a placed target end below the task size.
        let target_end = target.checked_add(new_len).ok_or(VmaError::NoSpace)?;
        let mut edit = self.edit_pair((addr, source_end), (target, target_end));
        let result = self.plan_mremap_to(&mut edit, addr, old_len, new_len, flags, target);
        self.commit(&mut edit)?;
        result
    }

    /// The steps of [`mremap_to`](Self::mremap_to) on an edit.
    fn plan_mremap_to(
        &self,
        edit: &mut Edit<D>,
        addr: u64,
        old_len: u64,
        new_len: u64,
        flags: MremapFlags,
        target: u64,
    ) -> Result<u64, VmaError> {
        // The callers checked both ranges: they lie below the task size.
        let (Some(target_end), Some(kept_end), Some(old_end)) =
            (target.checked_add(new_len), addr.checked_add(new_len), addr.checked_add(old_len))
        else {
            return Err(VmaError::Invalid);
        };
        if flags.contains(MremapFlags::FIXED) {
            self.unmap_range(edit, target, target_end)?;
            if edit.index_at(addr).is_none() {
                return Err(VmaError::Fault);
            }
        }
        let mut old_len = old_len;
        if new_len < old_len {
            self.unmap_range(edit, kept_end, old_end)?;
            old_len = new_len;
        }
        self.move_vma(edit, addr, old_len, new_len, target, flags)
    }

    /// `remap_move`: a pure move (`FIXED`, same size) of every VMA in the range, keeping the
    /// gaps between them. A failure on a later VMA keeps the earlier ones moved (as Linux).
    fn remap_move(&mut self, start: u64, len: u64, new_addr: u64, flags: MremapFlags) -> Result<u64, VmaError> {
        // Linux's end wraps, and an empty range holds no VMA to move. The target was checked
        // to end below the task size.
        let end = start.checked_add(len).ok_or(VmaError::Fault)?;
        let mut edit = self.edit_pair((start, end), (new_addr, new_addr.checked_add(len).ok_or(VmaError::Invalid)?));
        let result = self.plan_remap_move(&mut edit, start, end, new_addr, flags);
        self.commit(&mut edit)?;
        result
    }

    fn plan_remap_move(
        &self,
        edit: &mut Edit<D>,
        start: u64,
        end: u64,
        new_addr: u64,
        flags: MremapFlags,
    ) -> Result<u64, VmaError> {
        let mut first: Option<u64> = None;
        let mut target = new_addr;
        let mut last_end = 0;
        let mut at = start;
        while at < end {
            let i = edit.index_from(at);
            let Some((vstart, vend)) = edit.pieces.get(i).map(|p| (p.vma.start, p.vma.end)).filter(|p| p.0 < end)
            else {
                break;
            };
            if first.is_none() && start < vstart {
                return Err(VmaError::Fault);
            }
            // `piece < end.min(vend)`: the VMA ends above `at >= start` and starts below `end`.
            // The target range is as long as the source range, and ends below the task size.
            let piece = vstart.max(start);
            let plen = end.min(vend).saturating_sub(piece);
            let gap = if first.is_some() { vstart.saturating_sub(last_end) } else { 0 };
            let dest = target.checked_add(gap).ok_or(VmaError::Invalid)?;
            last_end = vend;
            self.check_prep(Some(&edit.pieces[i].vma), piece, plen, plen, flags, true)?;
            let moved = self.plan_mremap_to(edit, piece, plen, plen, flags, dest)?;
            first.get_or_insert(moved);
            target = moved.checked_add(plen).ok_or(VmaError::Invalid)?;
            at = piece.saturating_add(plen);
        }
        first.ok_or(VmaError::Fault)
    }

    /// `move_vma` + `copy_vma`: maps `[target, target + new_len)` with the attributes of the
    /// source VMA (merging at the target if possible), then unmaps the source range (unless
    /// `DONTUNMAP`). The edit must cover source and target.
    fn move_vma(
        &self,
        edit: &mut Edit<D>,
        addr: u64,
        old_len: u64,
        new_len: u64,
        target: u64,
        flags: MremapFlags,
    ) -> Result<u64, VmaError> {
        if edit.map_count() >= self.config.max_map_count.saturating_sub(3) {
            return Err(VmaError::MapCountExceeded);
        }
        let src = edit.index_at(addr).ok_or(VmaError::Fault)?;
        let source = edit.pieces[src].vma.clone();
        let mut cand = source.clone();
        cand.start = target;
        cand.end = target.checked_add(new_len).ok_or(VmaError::NoSpace)?;
        cand.pgoff = if source.backing.is_anonymous() && source.anon.is_none() {
            self.config.pages(target)
        } else {
            source.pgoff_at(addr, self.config.page_shift)
        };
        if self.merge_new(edit, &cand, false).is_none() {
            let i = edit.index_from(target);
            edit.pieces.insert(i, Piece { vma: cand, slot: None });
        }
        if flags.contains(MremapFlags::DONTUNMAP) {
            self.dontunmap_complete(edit, addr, old_len, source.start, source.end);
        } else if old_len != 0 {
            // A duplicate (`old_len == 0`) keeps its source: Linux's munmap of an empty
            // range fails, and the move ignores that.
            self.unmap_range(edit, addr, addr.checked_add(old_len).ok_or(VmaError::Fault)?)?;
        }
        Ok(target)
    }

    /// The source VMA of a `DONTUNMAP` move stays, loses `VM_LOCKED`, and loses its
    /// anonymous memory when it moved whole.
    fn dontunmap_complete(&self, edit: &mut Edit<D>, addr: u64, len: u64, old_start: u64, old_end: u64) {
        if let Some(i) = edit.index_at(addr) {
            let vma = &mut edit.pieces[i].vma;
            vma.flags.remove(VmFlags::LOCKED_MASK);
            if addr == old_start && addr.checked_add(len) == Some(old_end) {
                vma.anon = None;
            }
        }
    }
}

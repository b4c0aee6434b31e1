//! The kernel's VMA primitives as public operations, for callers that manage VMAs directly
//! (an ELF loader, exec's stack relocation, a hypervisor's memory map) rather than through
//! the system calls: `split_vma`, `vma_merge_new_range` + insert (`insert`),
//! `vma_modify_flags` (`modify_flags`), `vma_merge_existing_range` (`merge`), `vma_expand`
//! and `vma_shrink`.

use crate::commit::{Edit, Piece};
use crate::config::MergePolicy;
use crate::error::VmaError;
use crate::flags::VmFlags;
use crate::merge::SplitSide;
use crate::space::AddressSpace;
use crate::vma::{Backing, Vma};

impl<D> Vma<D> {
    /// A VMA value for [`AddressSpace::insert`]: `[start, end)` at page offset `pgoff` of
    /// `backing`, with `flags` taken as given (no `VM_MAY*` or `VM_ACCOUNT` derivation) and
    /// no anonymous identity.
    pub fn new(start: u64, end: u64, pgoff: u64, flags: VmFlags, backing: Backing, data: D) -> Self {
        Vma { start, end, pgoff, flags, backing, anon: None, name: None, data }
    }
}

impl<D: Clone, P: MergePolicy<D>> AddressSpace<D, P> {
    /// Splits the VMA containing `addr` at `addr` (`split_vma`). `side` says which part is
    /// the new VMA; both parts keep every attribute, the upper part's pgoff advances.
    ///
    /// # Errors
    /// `Invalid` if `addr` is unaligned or not strictly inside a VMA; `MapCountExceeded` if
    /// `map_count >= max_map_count`; `OutOfMemory`. Nothing changes on error.
    ///
    /// ```
    /// use maple_vma::{AddressSpace, Config, MapFlags, Prot, SplitSide};
    /// let mut mm: AddressSpace = AddressSpace::new(Config::default());
    /// let fixed = MapFlags::PRIVATE | MapFlags::ANONYMOUS | MapFlags::FIXED;
    /// mm.mmap(0x10000, 0x3000, Prot::READ, fixed, None)?;
    /// mm.split(0x11000, SplitSide::NewAbove)?;
    /// let v: Vec<_> = mm.iter().map(|v| (v.range(), v.pgoff())).collect();
    /// assert_eq!(v, [(0x10000..0x11000, 0x10), (0x11000..0x13000, 0x11)]);
    /// # Ok::<(), maple_vma::VmaError>(())
    /// ```
    #[doc(alias = "split_vma")]
    #[doc(alias = "__split_vma")]
    pub fn split(&mut self, addr: u64, side: SplitSide) -> Result<(), VmaError> {
        if !self.config.is_aligned(addr) {
            return Err(VmaError::Invalid);
        }
        let end = match self.vma_lookup(addr) {
            Some(v) if v.start < addr => v.end,
            _ => return Err(VmaError::Invalid),
        };
        let mut edit = self.edit(addr, end);
        let i = edit.index_at(addr).expect("looked up above");
        self.split_piece(&mut edit, i, addr, side, true)?;
        self.commit(&mut edit)
    }

    /// Maps `vma` into a free range, merging it with compatible neighbours
    /// (`vma_merge_new_range`, else a new VMA). Returns the range of the VMA that now holds
    /// it.
    ///
    /// # Errors
    /// `Invalid` (empty or unaligned range, past the task size, a pgoff whose last page
    /// passes `u64::MAX`); `Exists` if any part of the
    /// range is mapped; `MapCountExceeded` if a new VMA would pass `max_map_count`;
    /// `OutOfMemory`. Nothing changes on error.
    ///
    /// ```
    /// use maple_vma::{AddressSpace, Backing, Config, Vma, VmFlags};
    /// let mut mm: AddressSpace = AddressSpace::new(Config::default());
    /// let rw = VmFlags::READ | VmFlags::WRITE | VmFlags::MAYREAD | VmFlags::MAYWRITE;
    /// mm.insert(Vma::new(0x0000, 0x1000, 0, rw, Backing::Anonymous, ()))?;
    /// mm.insert(Vma::new(0x2000, 0x3000, 2, rw, Backing::Anonymous, ()))?;
    /// let merged = mm.insert(Vma::new(0x1000, 0x2000, 1, rw, Backing::Anonymous, ()))?;
    /// assert_eq!(merged, 0..0x3000); // simple_merge of tools/testing/vma
    /// assert_eq!(mm.map_count(), 1);
    /// # Ok::<(), maple_vma::VmaError>(())
    /// ```
    pub fn insert(&mut self, vma: Vma<D>) -> Result<core::ops::Range<u64>, VmaError> {
        self.check_range(vma.start, vma.end)?;
        if vma.pgoff.checked_add(vma.pages(self.config.page_shift)).is_none() {
            return Err(VmaError::Invalid);
        }
        if self.find_vma_intersection(vma.start, vma.end).is_some() {
            return Err(VmaError::Exists);
        }
        let mut edit = self.edit(vma.start, vma.end);
        let i = match self.merge_new(&mut edit, &vma, false) {
            Some(i) => i,
            None => {
                if edit.map_count() >= self.config.max_map_count {
                    return Err(VmaError::MapCountExceeded);
                }
                let i = edit.index_from(vma.start);
                edit.pieces.insert(i, Piece { vma, slot: None });
                i
            }
        };
        let range = edit.pieces[i].vma.range();
        self.commit(&mut edit)?;
        Ok(range)
    }

    /// Gives `[start, end)` (inside one VMA) the flags `flags` (`vma_modify_flags`): merges
    /// with a neighbour when the range touches one end of its VMA and the neighbour is
    /// compatible with the new flags, else splits off the parts outside the range. Returns
    /// the range of the VMA now holding `[start, end)`.
    ///
    /// # Errors
    /// `Invalid` (empty or unaligned range, not inside one VMA); `MapCountExceeded` (the
    /// first split is kept if the second is refused, as in Linux); `OutOfMemory` (nothing
    /// changed).
    ///
    /// ```
    /// use maple_vma::{AddressSpace, Backing, Config, Vma, VmFlags};
    /// let mut mm: AddressSpace = AddressSpace::new(Config::default());
    /// let rw = VmFlags::READ | VmFlags::WRITE | VmFlags::MAYREAD | VmFlags::MAYWRITE;
    /// mm.insert(Vma::new(0x10000, 0x13000, 0x10, rw, Backing::Anonymous, ()))?;
    /// // The middle page: no neighbour to merge with, so two splits.
    /// assert_eq!(mm.modify_flags(0x11000, 0x12000, VmFlags::READ)?, 0x11000..0x12000);
    /// assert_eq!(mm.map_count(), 3);
    /// // Back to the neighbours' flags: the three merge again.
    /// assert_eq!(mm.modify_flags(0x11000, 0x12000, rw)?, 0x10000..0x13000);
    /// # Ok::<(), maple_vma::VmaError>(())
    /// ```
    pub fn modify_flags(&mut self, start: u64, end: u64, flags: VmFlags) -> Result<core::ops::Range<u64>, VmaError> {
        let (mut edit, m, cand) = self.plan_flag_change(start, end, flags)?;
        let result = self.modify(&mut edit, m, cand);
        let range = result.map(|i| edit.pieces[i].vma.range());
        self.commit(&mut edit)?;
        range
    }

    /// Only the merge of [`modify_flags`](Self::modify_flags)
    /// (`vma_merge_existing_range`): if `[start, end)` touches an end of its VMA and a
    /// neighbour is compatible with `flags`, performs one of the five merge shapes and returns
    /// the merged VMA's range; otherwise changes nothing and returns `None`.
    ///
    /// # Errors
    /// `Invalid` (empty or unaligned range, not inside one VMA); `OutOfMemory` (nothing
    /// changed).
    ///
    /// ```
    /// use maple_vma::{AddressSpace, Backing, Config, Vma, VmFlags};
    /// let mut mm: AddressSpace = AddressSpace::new(Config::default());
    /// let (r, rw) = (VmFlags::READ, VmFlags::READ | VmFlags::WRITE);
    /// mm.insert(Vma::new(0x0000, 0x3000, 0, r, Backing::Anonymous, ()))?; // P
    /// mm.insert(Vma::new(0x3000, 0x7000, 3, rw, Backing::Anonymous, ()))?; // M
    /// // "Left, partial": a prefix of M takes P's flags; P grows, M shrinks.
    /// assert_eq!(mm.merge(0x3000, 0x6000, r)?, Some(0x0000..0x6000));
    /// assert_eq!(mm.vma_lookup(0x6000).unwrap().pgoff(), 6);
    /// // Strictly inside a VMA nothing can merge.
    /// assert_eq!(mm.merge(0x1000, 0x2000, rw)?, None);
    /// # Ok::<(), maple_vma::VmaError>(())
    /// ```
    #[doc(alias = "vma_merge_existing_range")]
    pub fn merge(&mut self, start: u64, end: u64, flags: VmFlags) -> Result<Option<core::ops::Range<u64>>, VmaError> {
        let (mut edit, m, cand) = self.plan_flag_change(start, end, flags)?;
        let Some(i) = self.merge_existing(&mut edit, m, &cand) else {
            return Ok(None);
        };
        let range = edit.pieces[i].vma.range();
        self.commit(&mut edit)?;
        Ok(Some(range))
    }

    /// Grows the VMA starting at `vma_start` to `[start, end)` (`vma_expand`), at either or
    /// both ends; the pgoff moves down with the start. The new pages must be free, except that
    /// a next VMA ending exactly at `end` is swallowed (the kernel's merge of prev, middle and
    /// next), giving its anonymous identity to the grown VMA if it had none.
    ///
    /// # Errors
    /// `Invalid` (no VMA starts at `vma_start`, `[start, end)` does not contain it, bad
    /// alignment, or the pgoff would go below zero or its last page past `u64::MAX`); `Exists` (the new pages are not free);
    /// `OutOfMemory`. Nothing changes on error.
    ///
    /// ```
    /// use maple_vma::{AddressSpace, Backing, Config, Vma, VmFlags};
    /// let mut mm: AddressSpace = AddressSpace::new(Config::default());
    /// mm.insert(Vma::new(0x4000, 0x5000, 4, VmFlags::READ, Backing::Anonymous, ()))?;
    /// mm.expand(0x4000, 0x2000, 0x8000)?; // both ends; pgoff follows the start
    /// let v = mm.vma_lookup(0x2000).unwrap();
    /// assert_eq!((v.range(), v.pgoff()), (0x2000..0x8000, 2));
    /// mm.shrink(0x2000, 0x3000, 0x8000)?; // vma_shrink: one end only
    /// assert_eq!(mm.vma_lookup(0x3000).unwrap().pgoff(), 3);
    /// # Ok::<(), maple_vma::VmaError>(())
    /// ```
    #[doc(alias = "vma_expand")]
    pub fn expand(&mut self, vma_start: u64, start: u64, end: u64) -> Result<(), VmaError> {
        self.check_range(start, end)?;
        let mut edit = self.edit(start, end);
        let i = edit.index_at(vma_start).filter(|&i| edit.pieces[i].vma.start == vma_start).ok_or(VmaError::Invalid)?;
        let (old_start, old_end) = (edit.pieces[i].vma.start, edit.pieces[i].vma.end);
        if start > old_start || end < old_end {
            return Err(VmaError::Invalid);
        }
        // `start <= old_start` and `start < end` were checked.
        let pages_down = self.config.pages(old_start.saturating_sub(start));
        let pgoff = edit.pieces[i].vma.pgoff.checked_sub(pages_down).ok_or(VmaError::Invalid)?;
        if pgoff.checked_add(self.config.pages(end.saturating_sub(start))).is_none() {
            return Err(VmaError::Invalid);
        }
        let (below, rest) = edit.pieces.split_at(i);
        let below_free = below.last().map_or(true, |p| p.vma.end <= start);
        let mut above = rest.iter().skip(1);
        let next = above.next().map(|p| (p.vma.start, p.vma.end));
        let swallow = matches!(next, Some((s, e)) if s < end && e == end);
        let above_free = match next {
            Some((s, _)) => s >= end || swallow,
            None => true,
        };
        if !below_free || !above_free || (swallow && above.next().is_some_and(|p| p.vma.start < end)) {
            return Err(VmaError::Exists);
        }
        if swallow {
            let next = edit.pieces.remove(i.saturating_add(1)); // `i` indexes a piece
            let vma = &mut edit.pieces[i].vma;
            vma.anon = vma.anon.or(next.vma.anon);
        }
        let vma = &mut edit.pieces[i].vma;
        vma.pgoff = pgoff;
        vma.start = start;
        vma.end = end;
        self.commit(&mut edit)
    }

    /// Shrinks the VMA starting at `vma_start` to `[start, end)`, keeping one of its ends
    /// (`vma_shrink`); the pgoff follows the start.
    ///
    /// # Errors
    /// `Invalid` (no VMA starts at `vma_start`, `[start, end)` not inside it, both ends
    /// moved, or empty); `OutOfMemory` (nothing changed).
    #[doc(alias = "vma_shrink")]
    pub fn shrink(&mut self, vma_start: u64, start: u64, end: u64) -> Result<(), VmaError> {
        self.check_range(start, end)?;
        let mut edit = self.edit(start, end);
        let i = edit.index_at(vma_start).filter(|&i| edit.pieces[i].vma.start == vma_start).ok_or(VmaError::Invalid)?;
        let vma = &mut edit.pieces[i].vma;
        if start < vma.start || end > vma.end || (start != vma.start && end != vma.end) {
            return Err(VmaError::Invalid);
        }
        vma.pgoff = vma.pgoff_at(start, self.config.page_shift);
        vma.start = start;
        vma.end = end;
        self.commit(&mut edit)
    }

    /// A non-empty, page-aligned range below the task size.
    fn check_range(&self, start: u64, end: u64) -> Result<(), VmaError> {
        let aligned = self.config.is_aligned(start) && self.config.is_aligned(end);
        if start >= end || !aligned || end > self.config.task_size {
            return Err(VmaError::Invalid);
        }
        Ok(())
    }

    /// The region of a flag change of `[start, end)` (inside one VMA), the index of that
    /// VMA, and the range with its new flags.
    fn plan_flag_change(&self, start: u64, end: u64, flags: VmFlags) -> Result<(Edit<D>, usize, Vma<D>), VmaError> {
        self.check_range(start, end)?;
        let edit = self.edit(start, end);
        let m = edit.index_at(start).filter(|&i| edit.pieces[i].vma.end >= end).ok_or(VmaError::Invalid)?;
        let mut cand = edit.pieces[m].vma.clone();
        cand.pgoff = cand.pgoff_at(start, self.config.page_shift);
        cand.start = start;
        cand.end = end;
        cand.flags = flags;
        Ok((edit, m, cand))
    }
}

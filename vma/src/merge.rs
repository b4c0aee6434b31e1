//! The kernel's VMA primitives, applied to an [`Edit`]: split (`__split_vma`), merge of a
//! new range (`vma_merge_new_range`), merge of an existing range
//! (`vma_merge_existing_range`, five shapes), modify (`vma_modify`: merge, else split), and
//! the munmap gather (`vms_gather_munmap_vmas`).
//!
//! Merge compatibility (`is_mergeable_vma`, `is_mergeable_anon_vma`, `can_vma_merge_*`):
//! adjacent; not `VM_SPECIAL`; flags equal except `VM_IGNORE_MERGE`; the same backing object
//! (file description or shmem object); the same name; pgoff linear; anonymous identities
//! compatible (equal, or one side without one unless the side that has one was inherited
//! through fork); the user [`MergePolicy`] agrees. A merge never deletes a VMA whose file has
//! a `close` hook.

use crate::commit::{Edit, Piece};
use crate::config::MergePolicy;
use crate::error::VmaError;
use crate::flags::VmFlags;
use crate::space::AddressSpace;
use crate::vma::{Anon, Vma};

/// Which part of a split keeps the original VMA's identity (`new_below` of `__split_vma`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SplitSide {
    /// The new VMA is the lower part; the original keeps the upper part (`new_below = 1`).
    NewBelow,
    /// The new VMA is the upper part; the original keeps the lower part (`new_below = 0`).
    NewAbove,
}

/// Whether `tgt` may absorb a range with the attributes of `cand` (`is_mergeable_anon_vma`):
/// `src_existing` says that `cand` is an existing VMA (its inherited anon blocks a merge).
fn anon_mergeable(tgt: Option<Anon>, cand: Option<Anon>, src_existing: bool) -> bool {
    match (tgt, cand) {
        (None, Some(src)) => !(src_existing && src.inherited),
        (Some(t), None) => !t.inherited,
        (t, s) => t.map(|a| a.id) == s.map(|a| a.id),
    }
}

/// Whether `prev` and `next` may end up in one VMA (`are_anon_vmas_compatible`).
fn anon_compatible(a: Option<Anon>, b: Option<Anon>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a.id == b.id,
        _ => true,
    }
}

impl<D: Clone, P: MergePolicy<D>> AddressSpace<D, P> {
    /// Everything but adjacency, pgoff and anon (`is_mergeable_vma`).
    fn attrs_mergeable(&self, tgt: &Vma<D>, cand: &Vma<D>) -> bool {
        (tgt.flags ^ cand.flags).difference(VmFlags::IGNORE_MERGE).is_empty()
            && tgt.backing.same_object(&cand.backing)
            && tgt.name == cand.name
            && self.policy.mergeable(tgt, cand)
    }

    /// `can_vma_merge_after`: `cand` may be appended to `prev`.
    pub(crate) fn can_merge_after(&self, prev: &Vma<D>, cand: &Vma<D>, src_existing: bool) -> bool {
        prev.end == cand.start
            && self.attrs_mergeable(prev, cand)
            && anon_mergeable(prev.anon, cand.anon, src_existing)
            && prev.pgoff_end(self.config.page_shift) == cand.pgoff
    }

    /// `can_vma_merge_before`: `cand` may be prepended to `next`.
    pub(crate) fn can_merge_before(&self, next: &Vma<D>, cand: &Vma<D>, src_existing: bool) -> bool {
        cand.end == next.start
            && self.attrs_mergeable(next, cand)
            && anon_mergeable(next.anon, cand.anon, src_existing)
            && next.pgoff == cand.pgoff_end(self.config.page_shift)
    }

    /// Splits piece `i` at `addr` (strictly inside it). With `check_limit` this is
    /// `split_vma` (fails with `MapCountExceeded` when `map_count >= max_map_count`), without
    /// it `__split_vma` (munmap's splits). Returns the index of the upper part.
    pub(crate) fn split_piece(
        &self,
        edit: &mut Edit<D>,
        i: usize,
        addr: u64,
        side: SplitSide,
        check_limit: bool,
    ) -> Result<usize, VmaError> {
        if check_limit && edit.map_count() >= self.config.max_map_count {
            return Err(VmaError::MapCountExceeded);
        }
        let p = &mut edit.pieces[i];
        debug_assert!(p.vma.start < addr && addr < p.vma.end);
        let mut upper = p.vma.clone();
        upper.start = addr;
        upper.pgoff = p.vma.pgoff_at(addr, self.config.page_shift);
        p.vma.end = addr;
        plant!('S' => p.vma.end = upper.end);
        let (lower_slot, upper_slot) = match side {
            SplitSide::NewBelow => (None, p.slot),
            SplitSide::NewAbove => (p.slot, None),
        };
        p.slot = lower_slot;
        edit.pieces.insert(i + 1, Piece { vma: upper, slot: upper_slot });
        Ok(i + 1)
    }

    /// `vma_merge_new_range`: tries to map `cand` (a range that is free in `edit`) by
    /// extending a neighbour. `just_expand` (brk) only tries the previous VMA. Returns the
    /// index of the VMA that now covers `cand`, or `None` (no merge: the caller inserts).
    pub(crate) fn merge_new(&self, edit: &mut Edit<D>, cand: &Vma<D>, just_expand: bool) -> Option<usize> {
        if cand.flags.intersects(VmFlags::SPECIAL) {
            return None;
        }
        let i = edit.index_from(cand.start);
        let prev = i.checked_sub(1);
        let next = (i < edit.pieces.len()).then_some(i);
        let left = prev.is_some_and(|p| self.can_merge_after(&edit.pieces[p].vma, cand, false));
        let mut right = !just_expand
            && next.is_some_and(|n| {
                let next = &edit.pieces[n].vma;
                self.can_merge_before(next, cand, false)
                    && (!left || anon_compatible(edit.pieces[i - 1].vma.anon, next.anon))
            });
        if left && right && !edit.pieces[i].vma.removable() {
            right = false;
        }
        match (left, right) {
            (true, true) => {
                let next = edit.pieces.remove(i);
                let prev = &mut edit.pieces[i - 1];
                prev.vma.end = next.vma.end;
                prev.vma.anon = prev.vma.anon.or(next.vma.anon).or(cand.anon);
                prev.vma.flags |= (next.vma.flags | cand.flags) & VmFlags::IGNORE_MERGE;
                Some(i - 1)
            }
            (true, false) => {
                let prev = &mut edit.pieces[i - 1];
                prev.vma.end = cand.end;
                prev.vma.anon = prev.vma.anon.or(cand.anon);
                prev.vma.flags |= cand.flags & VmFlags::IGNORE_MERGE;
                Some(i - 1)
            }
            (false, true) => {
                let next = &mut edit.pieces[i];
                next.vma.start = cand.start;
                next.vma.pgoff = cand.pgoff; // linear: `next.pgoff == cand.pgoff + pages`
                plant!('P' => next.vma.pgoff = cand.pgoff_end(self.config.page_shift));
                next.vma.anon = next.vma.anon.or(cand.anon);
                next.vma.flags |= cand.flags & VmFlags::IGNORE_MERGE;
                Some(i)
            }
            (false, false) => None,
        }
    }

    /// `vma_merge_existing_range`: `[start, end)` of piece `m` is about to get the attributes
    /// of `cand` (same range). Tries the five merge shapes; returns the index of the VMA
    /// that now covers `[start, end)` with the new attributes, or `None` (no merge, nothing
    /// changed).
    pub(crate) fn merge_existing(&self, edit: &mut Edit<D>, m: usize, cand: &Vma<D>) -> Option<usize> {
        let (start, end) = (cand.start, cand.end);
        let middle = &edit.pieces[m].vma;
        let left_side = start == middle.start;
        let right_side = end == middle.end;
        if cand.flags.intersects(VmFlags::SPECIAL) || (!left_side && !right_side) {
            return None;
        }
        let prev = if left_side { m.checked_sub(1) } else { None };
        let next = if right_side && m + 1 < edit.pieces.len() { Some(m + 1) } else { None };
        let merge_left = prev.is_some_and(|p| self.can_merge_after(&edit.pieces[p].vma, cand, true));
        let mut merge_right = next.is_some_and(|n| {
            let next = &edit.pieces[n].vma;
            self.can_merge_before(next, cand, true)
                && (!merge_left || anon_compatible(edit.pieces[m - 1].vma.anon, next.anon))
        });
        if !merge_left && !merge_right {
            return None;
        }
        let delete_middle = left_side && right_side;
        if delete_middle && !middle.removable() {
            return None;
        }
        if merge_left && merge_right && !edit.pieces[m + 1].vma.removable() {
            merge_right = false;
        }
        let sticky = cand.flags & VmFlags::IGNORE_MERGE;
        let middle_anon = middle.anon;
        let shift = self.config.page_shift;
        if merge_left && merge_right {
            // P grows over M and N; both are removed.
            let next = edit.pieces.remove(m + 1);
            edit.pieces.remove(m);
            let prev = &mut edit.pieces[m - 1];
            prev.vma.end = next.vma.end;
            prev.vma.anon = prev.vma.anon.or(next.vma.anon).or(middle_anon);
            prev.vma.flags |= sticky | (next.vma.flags & VmFlags::IGNORE_MERGE);
            Some(m - 1)
        } else if merge_left {
            // P grows to `end`; M is removed or starts at `end`.
            if delete_middle {
                edit.pieces.remove(m);
            } else {
                let middle = &mut edit.pieces[m].vma;
                middle.pgoff = middle.pgoff_at(end, shift);
                middle.start = end;
            }
            let prev = &mut edit.pieces[m - 1];
            prev.vma.end = end;
            prev.vma.anon = prev.vma.anon.or(middle_anon);
            prev.vma.flags |= sticky;
            Some(m - 1)
        } else {
            // N grows down to `start`; M is removed or ends at `start`.
            let next_index = if delete_middle {
                edit.pieces.remove(m);
                m
            } else {
                edit.pieces[m].vma.end = start;
                m + 1
            };
            let next = &mut edit.pieces[next_index];
            next.vma.start = start;
            next.vma.pgoff = cand.pgoff; // linear: `next.pgoff == cand.pgoff + pages`
            next.vma.anon = next.vma.anon.or(middle_anon);
            next.vma.flags |= sticky;
            Some(next_index)
        }
    }

    /// `vma_modify`: gives `[start, end)` (inside piece `m`) the attributes of `cand` by a
    /// merge, else by splitting off the parts outside the range (each split checked against
    /// `max_map_count`; a failed second split keeps the first, as in Linux). Returns the index
    /// of the piece that now is exactly `[start, end)` (or the merged VMA containing it).
    pub(crate) fn modify(&self, edit: &mut Edit<D>, m: usize, cand: Vma<D>) -> Result<usize, VmaError> {
        if let Some(i) = self.merge_existing(edit, m, &cand) {
            return Ok(i);
        }
        let (start, end) = (cand.start, cand.end);
        let mut m = m;
        if edit.pieces[m].vma.start < start {
            m = self.split_piece(edit, m, start, SplitSide::NewBelow, true)?;
        }
        if edit.pieces[m].vma.end > end {
            self.split_piece(edit, m, end, SplitSide::NewAbove, true)?;
        }
        let p = &mut edit.pieces[m].vma;
        p.flags = cand.flags;
        p.name = cand.name;
        p.data = cand.data;
        Ok(m)
    }

    /// The gather phase of munmap (`vms_gather_munmap_vmas`) plus the removal: splits the VMAs
    /// at `start` and `end` and removes everything in between. The first split is refused
    /// at `max_map_count` when the range lies strictly inside one VMA; the others are
    /// unchecked. Returns the index where the removed pieces were.
    pub(crate) fn unmap_range(&self, edit: &mut Edit<D>, start: u64, end: u64) -> Result<usize, VmaError> {
        let mut i = edit.index_from(start);
        if i == edit.pieces.len() || edit.pieces[i].vma.start >= end {
            return Ok(i);
        }
        if edit.pieces[i].vma.start < start {
            if end < edit.pieces[i].vma.end && edit.map_count() >= self.config.max_map_count {
                return Err(VmaError::MapCountExceeded);
            }
            i = self.split_piece(edit, i, start, SplitSide::NewBelow, false)?;
        }
        let mut j = i;
        while j < edit.pieces.len() && edit.pieces[j].vma.start < end {
            if edit.pieces[j].vma.end > end {
                self.split_piece(edit, j, end, SplitSide::NewAbove, false)?;
            }
            j += 1;
        }
        edit.pieces.drain(i..j);
        Ok(i)
    }
}

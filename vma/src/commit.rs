//! Plan, then commit: how every change reaches the tree atomically.
//!
//! Operations never write the tree while they decide what to do. They load the VMAs around
//! the affected range into an [`Edit`] (the *region*: every VMA intersecting the range plus
//! one neighbour on each side; mremap loads two regions, around the source and the target), apply the kernel's split/merge/expand/shrink rules to that
//! private copy, and hand the final layout of the region to [`AddressSpace::commit`].
//!
//! `commit` turns the layout into tree stores: a store for every piece that is new or grew
//! beyond its old tree range, and a NULL store for every hole that was mapped. A piece that
//! only shrank or kept its range needs no store, because the stores of its neighbours trim
//! its tree range (as one kernel store of a grown VMA trims the VMA next to it). The stores
//! cover disjoint ranges, so their order does not change the result.
//!
//! Atomicity: `commit` first reserves everything that can run out of memory, in this order,
//! and changes nothing before the last of them succeeded:
//!
//! 1. room in the slot table and its free list for the new VMAs and the freed slots;
//! 2. the tree's nodes for all its stores at once ([`maple_tree::MapleTree::reserve`], the
//!    worst case of each store; the kernel's `vma_iter_prealloc`).
//!
//! Then it performs the stores through the reservation (they cannot fail) and writes the
//! slots. So an out-of-memory failure leaves the address space exactly as it was, for every
//! operation, and a commit costs O(stores x log n): nothing in it depends on how the tree
//! will classify its stores, and nothing copies the tree.

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::vec::Vec;

use crate::error::VmaError;
use crate::space::{AddressSpace, Slot};
use crate::vma::Vma;
use crate::vma_iter;

/// One VMA of a planned layout: its final value, and the slot it keeps (if it is an existing
/// VMA that survives).
#[derive(Clone, Debug)]
pub(crate) struct Piece<D> {
    pub(crate) vma: Vma<D>,
    pub(crate) slot: Option<Slot>,
}

/// A private copy of the VMAs of a region, changed by the planning functions, then
/// committed.
#[derive(Clone, Debug)]
pub(crate) struct Edit<D> {
    /// The regions: sorted, disjoint `[lo, hi)` ranges that cover every piece, before and
    /// after the change; addresses between them are not touched.
    pub(crate) regions: Vec<(u64, u64)>,
    /// The region's VMAs, sorted and non-overlapping.
    pub(crate) pieces: Vec<Piece<D>>,
    /// VMAs of the address space outside the region.
    pub(crate) outside: usize,
}

impl<D> Edit<D> {
    /// `map_count` if the edit were committed now.
    pub(crate) fn map_count(&self) -> usize {
        self.outside + self.pieces.len()
    }

    /// Index of the piece containing `addr`.
    pub(crate) fn index_at(&self, addr: u64) -> Option<usize> {
        self.pieces.iter().position(|p| p.vma.start <= addr && addr < p.vma.end)
    }

    /// Index of the first piece ending above `addr` (containing it or above it).
    pub(crate) fn index_from(&self, addr: u64) -> usize {
        self.pieces.iter().position(|p| p.vma.end > addr).unwrap_or(self.pieces.len())
    }
}

/// A planned tree store: `entry` over `[start, end)`.
#[derive(Clone, Copy, Debug)]
struct Store {
    start: u64,
    end: u64,
    entry: Option<Slot>,
}

impl<D: Clone, P> AddressSpace<D, P> {
    /// The region around `[start, end)`: every VMA intersecting it, and the VMA just below
    /// `start` and just at or above `end` (the merge candidates).
    fn region(&self, start: u64, end: u64) -> (u64, u64) {
        let mut lo = start;
        let mut hi = end.max(start);
        if let Some(s) = self.slot_below(start) {
            lo = lo.min(self.vma_at(s).start);
        }
        if let Some(s) = self.slot_from(hi) {
            hi = hi.max(self.vma_at(s).end);
        }
        if let Some((r, _)) = vma_iter::find(&self.tree, lo, hi) {
            lo = lo.min(r.start);
        }
        if let Some((r, _)) = vma_iter::find_rev(&self.tree, lo, hi) {
            hi = hi.max(r.end);
        }
        (lo, hi)
    }

    /// Loads the region around `[start, end)` into an edit.
    pub(crate) fn edit(&self, start: u64, end: u64) -> Edit<D> {
        self.edit_regions(&[self.region(start, end)])
    }

    /// Loads the regions around two ranges (one region if they meet), for operations such as
    /// mremap that change two places at once.
    pub(crate) fn edit_pair(&self, a: (u64, u64), b: (u64, u64)) -> Edit<D> {
        let (mut x, mut y) = (self.region(a.0, a.1), self.region(b.0, b.1));
        if y.0 < x.0 {
            core::mem::swap(&mut x, &mut y);
        }
        if y.0 <= x.1 {
            self.edit_regions(&[(x.0, x.1.max(y.1))])
        } else {
            self.edit_regions(&[x, y])
        }
    }

    fn edit_regions(&self, regions: &[(u64, u64)]) -> Edit<D> {
        let mut pieces: Vec<Piece<D>> = Vec::new();
        for &(lo, hi) in regions.iter().filter(|r| r.0 < r.1) {
            pieces.extend(
                vma_iter::range(&self.tree, lo, hi).map(|(_, s)| Piece { vma: self.vma_at(s).clone(), slot: Some(s) }),
            );
        }
        Edit { regions: regions.to_vec(), outside: self.map_count() - pieces.len(), pieces }
    }

    /// Makes the regions' layout the one in `edit`. Either everything is written, or
    /// (`OutOfMemory`) nothing changed.
    pub(crate) fn commit(&mut self, edit: Edit<D>) -> Result<(), VmaError> {
        let Edit { regions, mut pieces, .. } = edit;
        debug_assert!(pieces.windows(2).all(|w| w[0].vma.end <= w[1].vma.start));
        debug_assert!(pieces
            .iter()
            .all(|p| p.vma.start < p.vma.end && regions.iter().any(|r| r.0 <= p.vma.start && p.vma.end <= r.1)));
        let regions: Vec<(u64, u64)> = regions.into_iter().filter(|r| r.0 < r.1).collect();
        // The old VMAs of each region, as half-open `(start, end, slot)`.
        let olds: Vec<Vec<(u64, u64, Slot)>> = regions
            .iter()
            .map(|&(lo, hi)| vma_iter::range(&self.tree, lo, hi).map(|(r, s)| (r.start, r.end, s)).collect())
            .collect();
        let old: Vec<(u64, u64, Slot)> = olds.concat();

        // Which VMA keeps which slot is invisible to users, so it is chosen to save stores:
        // the lowest piece lying inside an old VMA's range keeps that VMA's slot (and needs no
        // store: its neighbours' stores trim it); every other piece takes a new slot.
        let mut kept: BTreeSet<Slot> = BTreeSet::new();
        let mut o = 0;
        for p in pieces.iter_mut() {
            p.slot = None;
            while o < old.len() && old[o].1 <= p.vma.start {
                o += 1;
            }
            if let Some(&(start, end, slot)) = old.get(o) {
                if start <= p.vma.start && p.vma.end <= end && kept.insert(slot) {
                    p.slot = Some(slot);
                }
            }
        }
        let old_range: BTreeMap<Slot, (u64, u64)> = old.iter().map(|&(a, b, s)| (s, (a, b))).collect();

        // Slots for new VMAs: reserve the memory first, so that nothing below can fail.
        let new_count = pieces.iter().filter(|p| p.slot.is_none()).count();
        let reuse = new_count.min(self.free_slots.len());
        let fresh = new_count - reuse;
        self.vmas.try_reserve(fresh).map_err(|_| VmaError::OutOfMemory)?;
        let removed: Vec<Slot> = old.iter().map(|o| o.2).filter(|s| !kept.contains(s)).collect();
        self.free_slots.try_reserve(removed.len()).map_err(|_| VmaError::OutOfMemory)?;
        let mut next_fresh = self.vmas.len() as u64;
        let mut recycled = self.free_slots.len();
        let mut slots: Vec<(Slot, bool)> = Vec::with_capacity(pieces.len());
        for p in &pieces {
            match p.slot {
                Some(s) => slots.push((s, false)),
                None if recycled > self.free_slots.len() - reuse => {
                    recycled -= 1;
                    slots.push((self.free_slots[recycled], true));
                }
                None => {
                    if next_fresh >= u64::from(u32::MAX) {
                        return Err(VmaError::OutOfMemory);
                    }
                    slots.push((next_fresh as Slot, true));
                    next_fresh += 1;
                }
            }
        }

        // The stores, per region: pieces that are new or grew, holes that were mapped.
        let mut stores: Vec<Store> = Vec::new();
        for (&(lo, hi), old) in regions.iter().zip(&olds) {
            let in_region = |p: &&Piece<D>| lo <= p.vma.start && p.vma.end <= hi;
            for (p, &(slot, new)) in pieces.iter().zip(&slots).filter(|(p, _)| in_region(p)) {
                let within_old = !new && old_range.get(&slot).is_some_and(|o| o.0 <= p.vma.start && p.vma.end <= o.1);
                if !within_old {
                    stores.push(Store { start: p.vma.start, end: p.vma.end, entry: Some(slot) });
                }
            }
            // Holes that were mapped; `old` is sorted, so one pass finds them.
            let mut at = lo;
            let mut o = 0;
            let bounds = pieces.iter().filter(in_region).map(|p| (p.vma.start, p.vma.end));
            for p in bounds.chain(core::iter::once((hi, hi))) {
                while o < old.len() && old[o].1 <= at {
                    o += 1;
                }
                if at < p.0 && o < old.len() && old[o].0 < p.0 {
                    stores.push(Store { start: at, end: p.0, entry: None });
                }
                at = p.1;
            }
        }

        // The tree's nodes for every store, at once: the last step that can fail.
        let mut tree = self.tree.reserve(stores.len())?;
        for s in &stores {
            let done = match s.entry {
                Some(slot) => vma_iter::store(&mut tree, s.start, s.end, slot),
                None => vma_iter::clear(&mut tree, s.start, s.end),
            };
            // Every range is non-empty and every store reserved.
            done.expect("a reserved store of a non-empty range cannot fail");
        }
        drop(tree);

        // Every store succeeded: write the slots (cannot fail, memory reserved above).
        self.free_slots.truncate(self.free_slots.len() - reuse);
        for s in removed {
            self.vmas[s as usize] = None;
            self.free_slots.push(s);
        }
        for (p, (slot, _)) in pieces.into_iter().zip(slots) {
            let slot = slot as usize;
            if slot == self.vmas.len() {
                self.vmas.push(Some(p.vma));
            } else {
                self.vmas[slot] = Some(p.vma);
            }
        }
        Ok(())
    }
}

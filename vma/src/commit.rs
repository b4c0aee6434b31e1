//! Plan, then commit: how every change reaches the tree atomically.
//!
//! Operations never write the tree while they decide what to do. They load the VMAs around
//! the affected range into an [`Edit`] (the *region*: every VMA intersecting the range plus
//! one neighbour on each side), apply the kernel's split/merge/expand/shrink rules to that
//! private copy, and hand the final layout of the region to [`AddressSpace::commit`].
//!
//! `commit` turns the layout into tree stores: a store for every piece that is new or grew
//! beyond its old tree range, and a NULL store for every hole that was mapped. A piece that
//! only shrank or kept its range needs no store, because the stores of its neighbours trim
//! its tree range (as one kernel store of a grown VMA trims the VMA next to it).
//!
//! Atomicity: a tree store either completes or fails with `NoMemory` and changes nothing.
//! A store of a VMA over exactly one existing range (`ExactFit`) needs no node and cannot
//! fail. `commit` simulates the stores on the region's ranges and orders them so that as many
//! as possible are exact fits (a three-way split is one allocating store, then an exact fit);
//! when more than one store may allocate, it first takes a structural copy of the tree
//! (`try_clone`, O(number of VMAs), a copy of small `u32` nodes) and puts it back if a later
//! store fails. The slots are written only after every store succeeded. So an
//! out-of-memory failure leaves the address space exactly as it was, for every operation.

use alloc::vec::Vec;

use crate::error::VmaError;
use crate::space::{AddressSpace, Slot};
use crate::vma::Vma;

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
    /// The region: `[lo, hi)` covers every piece, before and after the change.
    pub(crate) lo: u64,
    pub(crate) hi: u64,
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

/// A planned tree store: `entry` over `[first, last]`.
#[derive(Clone, Copy, Debug)]
struct Store {
    first: u64,
    last: u64,
    entry: Option<Slot>,
}

impl<D: Clone, P> AddressSpace<D, P> {
    /// Loads the region around `[start, end)`: every VMA intersecting it, and the VMA just
    /// below `start` and just at or above `end` (the merge candidates).
    pub(crate) fn edit(&self, start: u64, end: u64) -> Edit<D> {
        let mut lo = start;
        let mut hi = end.max(start);
        if let Some(s) = self.slot_below(start) {
            lo = lo.min(self.vma_at(s).start);
        }
        if let Some(s) = self.slot_from(hi) {
            hi = hi.max(self.vma_at(s).end);
        }
        let pieces: Vec<Piece<D>> = if lo < hi {
            self.tree.range(lo..=hi - 1).map(|(_, &s)| Piece { vma: self.vma_at(s).clone(), slot: Some(s) }).collect()
        } else {
            Vec::new()
        };
        if let Some(first) = pieces.first() {
            lo = lo.min(first.vma.start);
        }
        if let Some(last) = pieces.last() {
            hi = hi.max(last.vma.end);
        }
        Edit { lo, hi, outside: self.map_count() - pieces.len(), pieces }
    }

    /// Makes the region's layout the one in `edit`. Either everything is written, or
    /// (`OutOfMemory`) nothing changed.
    pub(crate) fn commit(&mut self, edit: Edit<D>) -> Result<(), VmaError> {
        let Edit { lo, hi, mut pieces, .. } = edit;
        if lo >= hi {
            return Ok(());
        }
        debug_assert!(pieces.windows(2).all(|w| w[0].vma.end <= w[1].vma.start));
        debug_assert!(pieces.iter().all(|p| lo <= p.vma.start && p.vma.end <= hi && p.vma.start < p.vma.end));
        let old: Vec<(u64, u64, Slot)> =
            self.tree.range(lo..=hi - 1).map(|(r, &s)| (*r.start(), *r.end(), s)).collect();

        // A slot survives in the first piece naming it; later ones become new VMAs.
        let mut kept: Vec<Slot> = Vec::new();
        for p in pieces.iter_mut() {
            if let Some(s) = p.slot {
                if kept.contains(&s) || !old.iter().any(|o| o.2 == s) {
                    p.slot = None;
                } else {
                    kept.push(s);
                }
            }
        }
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

        // The stores: pieces that are new or grew, and holes that were mapped.
        let mut stores: Vec<Store> = Vec::new();
        for (p, &(slot, new)) in pieces.iter().zip(&slots) {
            let (first, last) = (p.vma.start, p.vma.end - 1);
            let within_old = !new && old.iter().any(|o| o.2 == slot && o.0 <= first && last <= o.1);
            if !within_old {
                stores.push(Store { first, last, entry: Some(slot) });
            }
        }
        let mut cursor = lo;
        for p in pieces.iter().map(|p| (p.vma.start, p.vma.end)).chain(core::iter::once((hi, hi))) {
            if cursor < p.0 && old.iter().any(|o| o.0 < p.0 && o.1 >= cursor) {
                stores.push(Store { first: cursor, last: p.0 - 1, entry: None });
            }
            cursor = p.1;
        }
        let (order, allocating) = order_stores(&old, lo, hi, &stores);

        let snapshot = if allocating > 1 { Some(self.tree.try_clone()?) } else { None };
        for &i in &order {
            let s = stores[i];
            let result = match s.entry {
                Some(slot) => self.tree.store_range(s.first, s.last, slot),
                None => self.tree.remove_range(s.first, s.last),
            };
            if let Err(e) = result {
                if let Some(tree) = snapshot {
                    self.tree = tree;
                }
                return Err(e.into());
            }
        }

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

/// Orders the stores so that the ones that fit an existing range exactly (and so cannot
/// allocate) run as early as possible; returns the order and how many stores may allocate.
fn order_stores(old: &[(u64, u64, Slot)], lo: u64, hi: u64, stores: &[Store]) -> (Vec<usize>, usize) {
    // The region as the tree holds it, NULL ranges included.
    let mut layout: Vec<(u64, u64, Option<Slot>)> = Vec::new();
    let mut at = lo;
    for &(first, last, s) in old {
        let first = first.max(lo);
        if at < first {
            layout.push((at, first - 1, None));
        }
        layout.push((first, last.min(hi - 1), Some(s)));
        at = last.min(hi - 1) + 1;
    }
    if at < hi {
        layout.push((at, hi - 1, None));
    }
    let mut left: Vec<usize> = (0..stores.len()).collect();
    let mut order = Vec::with_capacity(stores.len());
    let mut allocating = 0;
    while !left.is_empty() {
        let exact = left.iter().position(|&i| is_exact_fit(&layout, lo, hi, stores[i]));
        // Otherwise the store after which most of the others fit exactly.
        let pick = exact.unwrap_or_else(|| {
            allocating += 1;
            let fits_after = |&k: &usize| {
                let mut next = layout.clone();
                apply(&mut next, stores[k]);
                left.iter().filter(|&&j| j != k && is_exact_fit(&next, lo, hi, stores[j])).count()
            };
            let best = left.iter().max_by_key(|k| (fits_after(k), core::cmp::Reverse(**k))).copied();
            left.iter().position(|&k| Some(k) == best).unwrap_or(0)
        });
        let i = left.remove(pick);
        apply(&mut layout, stores[i]);
        order.push(i);
    }
    (order, allocating)
}

/// Whether the tree would classify `s` as an exact fit, which needs no node: a store of a
/// VMA over exactly one existing range. (A NULL store is never counted: it widens over NULL
/// neighbours and may take in the next leaf.) Ranges at the region's edge may continue
/// outside it, so only non-NULL ones count there.
fn is_exact_fit(layout: &[(u64, u64, Option<Slot>)], lo: u64, hi: u64, s: Store) -> bool {
    if s.entry.is_none() {
        return false;
    }
    let Some(i) = layout.iter().position(|r| r.0 == s.first && r.1 == s.last) else {
        return false;
    };
    layout[i].2.is_some() || (s.first != lo && s.last != hi - 1)
}

/// Applies a store to the simulated layout.
fn apply(layout: &mut Vec<(u64, u64, Option<Slot>)>, s: Store) {
    let mut out = Vec::with_capacity(layout.len() + 2);
    for &(first, last, e) in layout.iter() {
        if last < s.first || first > s.last {
            out.push((first, last, e));
            continue;
        }
        if first < s.first {
            out.push((first, s.first - 1, e));
        }
        if first <= s.first {
            out.push((s.first, s.last, s.entry));
        }
        if last > s.last {
            out.push((s.last + 1, last, e));
        }
    }
    // NULL ranges next to each other are one range in the tree.
    out.dedup_by(|b, a| {
        if a.2.is_none() && b.2.is_none() {
            a.1 = b.1;
            true
        } else {
            false
        }
    });
    *layout = out;
}

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

use smallvec::SmallVec;

use crate::error::VmaError;
use crate::space::{AddressSpace, Slot};
use crate::vma::Vma;
use crate::vma_iter;

/// The pieces of an edit: inline up to this many (an mprotect that splits one VMA in three
/// with its two neighbours loaded needs five), on the heap beyond.
const INLINE_PIECES: usize = 6;

/// One VMA of a planned layout: its final value, and the slot it keeps (if it is an existing
/// VMA that survives).
#[derive(Clone, Debug)]
pub(crate) struct Piece<D> {
    pub(crate) vma: Vma<D>,
    pub(crate) slot: Option<Slot>,
}

/// A VMA of the regions as they were loaded: its tree range and slot.
#[derive(Clone, Copy, Debug)]
struct Old {
    start: u64,
    end: u64,
    slot: Slot,
}

/// A private copy of the VMAs of a region, changed by the planning functions, then
/// committed.
///
/// Loading walks the tree once per region and keeps what it found (`old`), so that
/// [`AddressSpace::commit`] needs no second walk; the vectors hold a few entries inline, so
/// that the common operations allocate nothing.
#[derive(Clone, Debug)]
pub(crate) struct Edit<D> {
    /// The regions: sorted, disjoint `[lo, hi)` ranges that cover every piece, before and
    /// after the change; addresses between them are not touched.
    regions: SmallVec<[(u64, u64); 2]>,
    /// The VMAs of the regions when the edit was loaded, sorted. The tree does not change
    /// between loading and committing an edit (both borrow the address space).
    old: SmallVec<[Old; INLINE_PIECES]>,
    /// The region's VMAs, sorted and non-overlapping.
    pub(crate) pieces: SmallVec<[Piece<D>; INLINE_PIECES]>,
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
    /// An empty edit, to be loaded.
    fn empty_edit(&self) -> Edit<D> {
        Edit { regions: SmallVec::new(), old: SmallVec::new(), pieces: SmallVec::new(), outside: 0 }
    }

    /// Adds a VMA of the region being loaded.
    fn load_piece(&self, edit: &mut Edit<D>, range: core::ops::Range<u64>, slot: Slot) {
        edit.old.push(Old { start: range.start, end: range.end, slot });
        edit.pieces.push(Piece { vma: self.vma_at(slot).clone(), slot: Some(slot) });
    }

    /// Loads the region around `[start, end)` into `edit` and returns its bounds: every VMA
    /// intersecting the range, the last VMA starting below `start` and the first VMA ending
    /// above `end` (the merge candidates; either may contain an end of the range, and then it
    /// is the only one on that side). One walk: the VMA below `start`, then the next ones.
    fn load_region(&self, edit: &mut Edit<D>, start: u64, end: u64) -> (u64, u64) {
        let end = end.max(start);
        let mut walk = vma_iter::Walk::new(&self.tree);
        let mut found = walk.below(start).or_else(|| walk.from(start));
        let (mut lo, mut hi) = (start, end);
        while let Some((range, slot)) = found {
            lo = lo.min(range.start);
            hi = hi.max(range.end);
            let beyond = range.end > end;
            self.load_piece(edit, range, slot);
            if beyond {
                break;
            }
            found = walk.next();
        }
        (lo, hi)
    }

    /// Loads the VMAs intersecting `[lo, hi)` (a region whose bounds are known).
    fn load_known(&self, edit: &mut Edit<D>, lo: u64, hi: u64) {
        for (range, slot) in vma_iter::range(&self.tree, lo, hi) {
            self.load_piece(edit, range, slot);
        }
    }

    /// Records `map_count` outside the regions, once they are loaded.
    fn finish(&self, mut edit: Edit<D>) -> Edit<D> {
        edit.outside = self.map_count() - edit.pieces.len();
        edit
    }

    /// Loads the region around `[start, end)` into an edit.
    pub(crate) fn edit(&self, start: u64, end: u64) -> Edit<D> {
        let mut edit = self.empty_edit();
        let region = self.load_region(&mut edit, start, end);
        edit.regions.push(region);
        self.finish(edit)
    }

    /// Loads the regions around two ranges (one region if they meet), for operations such as
    /// mremap that change two places at once.
    pub(crate) fn edit_pair(&self, a: (u64, u64), b: (u64, u64)) -> Edit<D> {
        // Ordered by start, the regions are ordered too: the VMA below the higher start
        // starts no lower than the one below the lower start.
        let (a, b) = if b.0 < a.0 { (b, a) } else { (a, b) };
        let mut edit = self.empty_edit();
        let x = self.load_region(&mut edit, a.0, a.1);
        let mut second = self.empty_edit();
        let y = self.load_region(&mut second, b.0, b.1);
        debug_assert!(x.0 <= y.0);
        if y.0 <= x.1 {
            // The regions meet: one region over both, loaded again.
            let (lo, hi) = (x.0, x.1.max(y.1));
            edit = self.empty_edit();
            self.load_known(&mut edit, lo, hi);
            edit.regions.push((lo, hi));
        } else {
            edit.regions.push(x);
            edit.regions.push(y);
            edit.old.extend(second.old);
            edit.pieces.extend(second.pieces);
        }
        self.finish(edit)
    }

    /// Makes the regions' layout the one in `edit`. Either everything is written, or
    /// (`OutOfMemory`) nothing changed.
    pub(crate) fn commit(&mut self, edit: Edit<D>) -> Result<(), VmaError> {
        let Edit { regions, old, mut pieces, .. } = edit;
        debug_assert!(pieces.windows(2).all(|w| w[0].vma.end <= w[1].vma.start));
        debug_assert!(pieces
            .iter()
            .all(|p| p.vma.start < p.vma.end && regions.iter().any(|r| r.0 <= p.vma.start && p.vma.end <= r.1)));
        debug_assert!(old.windows(2).all(|w| w[0].end <= w[1].start));

        // Which VMA keeps which slot is invisible to users, so it is chosen to save stores:
        // the lowest piece lying inside an old VMA's range keeps that VMA's slot (and needs no
        // store: its neighbours' stores trim it); every other piece takes a new slot.
        let mut kept: SmallVec<[bool; INLINE_PIECES]> = SmallVec::from_elem(false, old.len());
        let mut new_count = 0;
        let mut o = 0;
        for p in pieces.iter_mut() {
            p.slot = None;
            while o < old.len() && old[o].end <= p.vma.start {
                o += 1;
            }
            match old.get(o) {
                Some(v) if !kept[o] && v.start <= p.vma.start && p.vma.end <= v.end => {
                    kept[o] = true;
                    p.slot = Some(v.slot);
                }
                _ => new_count += 1,
            }
        }
        let removed = kept.iter().filter(|&&k| !k).count();

        // Slots for new VMAs: reserve the memory first, so that nothing below can fail.
        let reuse = new_count.min(self.free_slots.len());
        self.vmas.try_reserve(new_count - reuse).map_err(|_| VmaError::OutOfMemory)?;
        self.free_slots.try_reserve(removed).map_err(|_| VmaError::OutOfMemory)?;
        let mut next_fresh = self.vmas.len() as u64;
        let mut recycled = self.free_slots.len();

        // The stores, per region: every piece with a new slot (a piece that keeps a slot lies
        // inside that VMA's old range, and its neighbours' stores trim it), then the holes
        // that were mapped.
        let mut stores: SmallVec<[Store; 4]> = SmallVec::new();
        for &(lo, hi) in regions.iter().filter(|r| r.0 < r.1) {
            let in_region = |p: &Piece<D>| lo <= p.vma.start && p.vma.end <= hi;
            for p in pieces.iter_mut().filter(|p| p.slot.is_none() && in_region(p)) {
                let slot = if recycled > self.free_slots.len() - reuse {
                    recycled -= 1;
                    self.free_slots[recycled]
                } else if next_fresh < u64::from(u32::MAX) {
                    next_fresh += 1;
                    (next_fresh - 1) as Slot
                } else {
                    return Err(VmaError::OutOfMemory);
                };
                p.slot = Some(slot);
                stores.push(Store { start: p.vma.start, end: p.vma.end, entry: Some(slot) });
            }
            // Holes that were mapped; `old` is sorted, so one pass finds them.
            let mut at = lo;
            let mut o = 0;
            let bounds = pieces.iter().filter(|p| in_region(p)).map(|p| (p.vma.start, p.vma.end));
            for p in bounds.chain(core::iter::once((hi, hi))) {
                while o < old.len() && old[o].end <= at {
                    o += 1;
                }
                if at < p.0 && o < old.len() && old[o].start < p.0 {
                    stores.push(Store { start: at, end: p.0, entry: None });
                }
                at = p.1;
            }
        }

        // The tree's nodes for every store, at once: the last step that can fail. A single
        // store reserves exactly what it needs (`mas_preallocate`), several the worst case of
        // each.
        if let [one] = stores[..] {
            vma_iter::store_one(&mut self.tree, one.start, one.end, one.entry)?;
        } else if !stores.is_empty() {
            let mut tree = self.tree.reserve(stores.len())?;
            for s in &stores {
                let done = match s.entry {
                    Some(slot) => vma_iter::store(&mut tree, s.start, s.end, slot),
                    None => vma_iter::clear(&mut tree, s.start, s.end),
                };
                // Every range is non-empty and every store reserved.
                done.expect("a reserved store of a non-empty range cannot fail");
            }
        }

        // Every store succeeded: write the slots (cannot fail, memory reserved above).
        self.free_slots.truncate(self.free_slots.len() - reuse);
        for (v, _) in old.iter().zip(&kept).filter(|(_, &k)| !k) {
            self.vmas[v.slot as usize] = None;
            self.free_slots.push(v.slot);
        }
        for p in pieces {
            let slot = p.slot.expect("every piece has a slot") as usize;
            if slot == self.vmas.len() {
                self.vmas.push(Some(p.vma));
            } else {
                self.vmas[slot] = Some(p.vma);
            }
        }
        Ok(())
    }
}

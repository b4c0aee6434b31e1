//! Node layout and the node arena. This is the only module that knows how nodes are stored.
//!
//! # Layout
//!
//! A node covers an inclusive key range `[min, max]` that it does not store: the limits are
//! *implied* by the parent (the root covers `0..=u64::MAX`). A node holds `len` slots; slot `i`
//! covers `pivots[i-1]+1 ..= pivots[i]`, slot 0 starts at `min` and the last used slot ends at
//! `max`:
//!
//! ```text
//!   min                                                           max
//!    |  slot 0  |  slot 1  |  slot 2  |   ...   |  slot len-1      |
//!             pivot 0    pivot 1    pivot 2   pivot len-2   (implied: max)
//!   pivots[len-1 ..] = u64::MAX (sentinel)      slots[len ..] = empty
//! ```
//!
//! * [`Leaf`] (module [`leaf`]): 15 pivots, the values of the slots that are not NULL (the
//!   kernel's NULL) stored densely in slot order, and per slot the position of its value, so
//!   that a NULL slot costs only its pivot.
//! * [`Internal`]: 16 child links and 15 pivots, plus one *gap* per child: the size of the
//!   largest NULL range below it. Gaps are kept exact in allocation trees only (see
//!   [`crate::gap`]); elsewhere they stay 0. The kernel's alloc trees use a separate 10-slot
//!   node kind (`maple_arange_64`) for this; here every internal node has room for the gaps,
//!   so allocation trees keep the 16-way fan-out.
//!
//! The last used slot's upper bound is never stored: every pivot from `len - 1` on holds the
//! sentinel `u64::MAX`. That makes the slot search for a key branch-free (count the pivots
//! below the key) and lets a full node use all 16 slots, as in the kernel.
//!
//! # Why an arena
//!
//! Nodes live in two vectors (leaves and internal nodes) and refer to each other by `u32`
//! index, so the crate needs no `unsafe`, child links take 4 bytes, a structural clone is a
//! vector copy, and "preallocation" is simply making sure the free list holds enough nodes
//! before a write starts: a write that has reserved its nodes cannot fail. There are no
//! parent links; cursors and the write path carry the path from the root instead (16 levels at
//! most), so splits never rewrite the parent links of moved children. A node's level tells
//! which vector its index points into: children of level-1 internal nodes are leaves.
//!
//! The leaf "vector" is stored in chunks of 64 leaves (`arena::chunks`): growing it never
//! moves a leaf, and the memory is made of allocations of a few tens of KiB that the system
//! allocator reuses after a tree is dropped, where one block of a large tree's leaves would
//! be mapped and faulted in afresh by every build (half the time of a bulk build of 1e6
//! ranges went to page faults). The internal nodes, a tenth of the memory and read at every
//! level of a descent, stay in one `Vec`.
//!
//! # Leaf order
//!
//! Where a leaf sits in its vector decides how fast a full iteration runs: leaves in key
//! order are read front to back, which the hardware prefetches, while leaves in the order
//! their splits allocated them cost a cache miss each (a full pass over a tree of 1e6 ranges
//! built by random inserts took 62 ms scattered, 9 ms in key order). A bulk build pushes
//! its leaves in key order; [`Arena::relayout_leaves`] moves the leaves of any tree into key
//! order, which `shrink_to_fit` does, and the stores (tree-level and cursor writes) do
//! again each time the leaf count has grown by half (`MapleTree::relayout_if_due`): O(1)
//! amortised, like a vector's growth, and nearly free when the leaves are in order already.
//! It renumbers leaves, so a cursor whose write triggered it walks its path again from the
//! root; a reservation keeps its blank nodes through it.
//!
//! # Invariants this module relies on
//!
//! * N1: a live node has `1 <= len <= SLOTS`; a free node has `len == 0` and either sits on
//!   its vector's free list (linked through `pivots[0]`) or is one of the vector's *spare*
//!   nodes: blank nodes at the end of the vector that a reservation added and no write has
//!   taken yet. Writes take from the free list first, then the lowest spare node, so the
//!   unused spares stay at the end, where [`Arena::release_spare`] can drop them.
//! * N4: past the spare nodes, each vector may end in up to [`IDLE_MAX`](arena::IDLE_MAX) *idle* nodes: blank
//!   nodes a finished reservation kept (instead of dropping them and building them again
//!   for the next one). They are not counted as allocated nor as free: the next
//!   reservation turns the lowest of them into spare nodes before it adds any, and every
//!   operation that renumbers or moves nodes (compaction, a bulk build, a copy) drops them
//!   first. They sit in capacity the vector holds anyway, so `memory_bytes` stays exact.
//! * N2: pivots from `len - 1` on are `u64::MAX`; leaf slots from `len` on are NULL;
//!   internal children from `len` on are [`NO_NODE`] and their gaps 0.
//! * N3 (leaves): the presence bitmap has no bit at or after `len`; the leaf stores as many
//!   values as the bitmap has bits set, in slot order; each slot's recorded position is its
//!   value's index (the number of values before it), and a NULL slot's is 15, past the
//!   values (see [`leaf`]).
//!
//! Everything else (ordering, occupancy, NULL rules) belongs to the tree layer, see
//! [`crate::validate`].

/// Slots in a leaf or internal node (the kernel's `MAPLE_RANGE64_SLOTS`).
pub(crate) const SLOTS: usize = 16;
/// Stored pivots in a node: one fewer than slots, the last bound is implied.
pub(crate) const PIVOTS: usize = SLOTS - 1;
/// Minimum number of used slots in a node that is neither the root nor on the right spine
/// (the kernel's `mt_min_slots` of 6 is a zero-based end, so 7 slots).
pub(crate) const MIN_SLOTS: usize = SLOTS / 2 - 1;
/// The deepest tree the paths can describe (the kernel's `MAPLE_HEIGHT_MAX` is 31).
///
/// Node ids are `u32`, so a tree has fewer than 2^32 leaves. A tree of height `h` has a root
/// with at least two children, the first of which is not on the right spine; every node below
/// that child holds at least `MIN_SLOTS` (7) slots (T3), so it alone has at least `7^(h-2)`
/// leaves. `7^(h-2) < 2^32` gives `h <= 13`; a write adds at most one level before it
/// finishes. 16 leaves a margin and halves every path the cursors and writes carry.
pub(crate) const MAX_HEIGHT: usize = 16;
/// The child link of an unused internal slot.
pub(crate) const NO_NODE: NodeId = u32::MAX;

/// Index of a node in its arena vector.
pub(crate) type NodeId = u32;

/// An internal node: links to children one level down. Fields private to this module, as
/// [`Leaf`]'s are to [`leaf`].
///
/// The field order is fixed so that a walk touches three cache lines: `len` and the first
/// pivots, the other pivots, the child links; the gaps, read only by allocation trees, come
/// last.
#[derive(Clone)]
#[repr(C, align(64))] // and cache-line aligned (5 lines, no padding added)
pub(crate) struct Internal {
    len: u8,
    pivots: [u64; PIVOTS],
    children: [NodeId; SLOTS],
    /// Per child, the size (in keys) of the largest NULL range below it; exact in allocation
    /// trees, 0 elsewhere.
    gaps: [u64; SLOTS],
}

/// One slot of an internal node's new content ([`Internal::write`]).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Child {
    /// The last key the child covers.
    pub(crate) last: u64,
    pub(crate) id: NodeId,
    /// The largest gap below the child (0 outside allocation trees).
    pub(crate) gap: u64,
}

/// The largest gap among `children`.
pub(crate) fn max_gap(children: &[Child]) -> u64 {
    children.iter().map(|c| c.gap).max().unwrap_or(0)
}

/// A layout fault of one node, as the validator reports it (N2, and N3 for leaves).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Fault {
    /// N2: a pivot at or after `len - 1` is not the sentinel.
    PivotPastEnd { pivot: usize, value: u64 },
    /// N2: a slot at or after `len` holds an entry or a child.
    SlotPastEnd { slot: usize },
    /// N3: a leaf stores `values` values but marks `present` slots as holding one.
    ValueCount { values: usize, present: usize },
    /// N3: a leaf records `stored` as the position of slot `slot`'s value, not `expected`.
    Position { slot: usize, stored: u8, expected: u8 },
}

/// Offset of the slot holding `index` among a node's pivots: the number of stored pivots
/// below `index` (the sentinels never are).
#[inline]
pub(crate) fn slot_of(pivots: &[u64; PIVOTS], index: u64) -> usize {
    // A branch-free binary search over the 15 pivots plus the implied `u64::MAX` at 15. The
    // first two halvings use three loads that do not depend on each other (pivots 3, 7 and
    // 11, on both cache lines of the pivots), so a node costs one miss, not two in a row;
    // the last two stay inside the window of four found. (Counting the pivots below `index`
    // takes 15 compares: the baseline x86-64 target has no unsigned 64-bit vector compare.)
    let (low, mid, high) = (pivots[3], pivots[7], pivots[11]);
    let mut lo = if mid < index {
        if high < index {
            12
        } else {
            8
        }
    } else if low < index {
        4
    } else {
        0
    };
    lo += if pivots[lo + 1] < index { 2 } else { 0 };
    lo + usize::from(pivots[lo] < index)
}

/// The inclusive range of slot `offset` in a node covering `[min, max]`.
#[inline]
pub(crate) fn slot_range(pivots: &[u64; PIVOTS], len: usize, offset: usize, min: u64, max: u64) -> (u64, u64) {
    let first = if offset == 0 { min } else { pivots[offset - 1] + 1 };
    let last = if offset + 1 >= len { max } else { pivots[offset] };
    (first, last)
}

/// Writes the pivots of `len` slots whose last keys `lasts` yields (the last one implied)
/// and the sentinel after them (N2).
#[inline]
fn set_pivots(pivots: &mut [u64; PIVOTS], len: usize, lasts: impl Iterator<Item = u64>) {
    for (pivot, last) in pivots.iter_mut().zip(lasts).take(len - 1) {
        *pivot = last;
    }
    pivots[len - 1..].fill(u64::MAX);
}

/// The accessors both node kinds share: the used length, the pivots, a slot's range, and
/// the N2 check of the pivots.
macro_rules! pivot_accessors {
    () => {
        /// Number of used slots.
        #[inline]
        pub(crate) fn len(&self) -> usize {
            usize::from(self.len)
        }

        /// The stored pivots (the sentinel from `len - 1` on).
        #[inline]
        pub(crate) fn pivots(&self) -> &[u64; PIVOTS] {
            &self.pivots
        }

        /// The inclusive range of slot `offset` in this node covering `[min, max]`.
        #[inline]
        pub(crate) fn slot_range(&self, offset: usize, min: u64, max: u64) -> (u64, u64) {
            slot_range(&self.pivots, self.len(), offset, min, max)
        }

        /// N2 for the pivots: the first one at or after `len - 1` that is not the sentinel.
        fn pivot_fault(&self) -> Option<Fault> {
            let len = self.len().clamp(1, SLOTS);
            (len - 1..PIVOTS)
                .find(|&i| self.pivots[i] != u64::MAX)
                .map(|pivot| Fault::PivotPastEnd { pivot, value: self.pivots[pivot] })
        }
    };
}

mod arena;
mod leaf;
pub(crate) use arena::{Arena, NodeBudget};
pub(crate) use leaf::{Leaf, LeafRun, LeafValuesMut, Spill};

impl Internal {
    pivot_accessors!();
    fn empty() -> Self {
        Internal { pivots: [u64::MAX; PIVOTS], children: [NO_NODE; SLOTS], gaps: [0; SLOTS], len: 0 }
    }

    /// The child linked from slot `offset`.
    #[inline]
    pub(crate) fn child(&self, offset: usize) -> NodeId {
        self.children[offset]
    }

    /// The used child links.
    #[inline]
    pub(crate) fn children(&self) -> &[NodeId] {
        &self.children[..self.len()]
    }

    /// The gap recorded for child `offset`.
    #[inline]
    pub(crate) fn gap(&self, offset: usize) -> u64 {
        self.gaps[offset]
    }

    /// All 16 recorded gaps, those past the end included (for the validator's G2).
    pub(crate) fn all_gaps(&self) -> &[u64; SLOTS] {
        &self.gaps
    }

    /// Records `gap` for child `offset`; returns whether the record changed.
    #[inline]
    pub(crate) fn set_gap(&mut self, offset: usize, gap: u64) -> bool {
        debug_assert!(offset < self.len());
        let changed = self.gaps[offset] != gap;
        self.gaps[offset] = gap;
        changed
    }

    /// Slot `offset` as content for a new node, in this node covering `[min, max]`.
    #[inline]
    pub(crate) fn content(&self, offset: usize, min: u64, max: u64) -> Child {
        Child { last: self.slot_range(offset, min, max).1, id: self.children[offset], gap: self.gaps[offset] }
    }

    /// The largest gap recorded for any child (the kernel's `ma_max_gap`).
    #[inline]
    pub(crate) fn max_gap(&self) -> u64 {
        self.gaps[..self.len()].iter().copied().max().unwrap_or(0)
    }

    /// Moves the boundary between children `offset` and `offset + 1`: child `offset` now
    /// ends at `last` (a write that hands keys from one child's subtree to the next one's).
    /// The pivot must stay strictly between its neighbours (T1).
    #[inline]
    pub(crate) fn set_pivot(&mut self, offset: usize, last: u64) {
        debug_assert!(offset + 1 < self.len());
        debug_assert!(offset == 0 || self.pivots[offset - 1] < last);
        debug_assert!(offset + 2 == self.len() || last < self.pivots[offset + 1]);
        self.pivots[offset] = last;
    }

    /// Merges child `offset + 1` into child `offset`: child `offset` now ends where child
    /// `offset + 1` ended, and the slots after move down one (the caller has merged the
    /// two children's content into child `offset` and frees the other). The caller refreshes
    /// child `offset`'s gap.
    #[inline]
    pub(crate) fn remove_after(&mut self, offset: usize) {
        let len = self.len();
        debug_assert!(offset + 1 < len && len > 1);
        // Child `offset + 1`'s bound (a pivot, or the sentinel at `len - 1`) becomes child
        // `offset`'s; the sentinel at `len - 1` moves to `len - 2`.
        self.pivots.copy_within(offset + 1..PIVOTS, offset);
        self.pivots[PIVOTS - 1] = u64::MAX;
        self.children.copy_within(offset + 2..SLOTS, offset + 1);
        self.children[SLOTS - 1] = NO_NODE;
        self.gaps.copy_within(offset + 2..SLOTS, offset + 1);
        self.gaps[SLOTS - 1] = 0;
        self.len -= 1;
        debug_assert_eq!(self.fault(), None);
    }

    /// Cuts child `offset`'s range in two: the child now ends at `last`, and `id` (whose
    /// largest gap is `gap`) takes the rest in slot `offset + 1`; the slots after move up
    /// one. The node must not be full. The caller refreshes child `offset`'s gap.
    #[inline]
    pub(crate) fn insert_after(&mut self, offset: usize, last: u64, id: NodeId, gap: u64) {
        let len = self.len();
        debug_assert!(offset < len && len < SLOTS);
        // The sentinel at `len - 1` moves to `len`, the new node's bound when it is last.
        self.pivots.copy_within(offset..PIVOTS - 1, offset + 1);
        self.pivots[offset] = last;
        self.children.copy_within(offset + 1..SLOTS - 1, offset + 2);
        self.children[offset + 1] = id;
        self.gaps.copy_within(offset + 1..SLOTS - 1, offset + 2);
        self.gaps[offset + 1] = gap;
        self.len += 1;
        debug_assert_eq!(self.fault(), None);
    }

    /// Replaces the whole content by `content` (1 to 16 children).
    pub(crate) fn write(&mut self, content: &[Child]) {
        let len = content.len();
        debug_assert!((1..=SLOTS).contains(&len));
        for (i, child) in content.iter().enumerate() {
            self.children[i] = child.id;
            self.gaps[i] = child.gap;
        }
        set_pivots(&mut self.pivots, len, content.iter().map(|c| c.last));
        self.children[len..].fill(NO_NODE);
        self.gaps[len..].fill(0);
        self.len = len as u8;
        debug_assert_eq!(self.fault(), None);
    }

    /// The first layout fault of a live internal node (N2), if any.
    pub(crate) fn fault(&self) -> Option<Fault> {
        self.pivot_fault().or_else(|| {
            (self.len()..SLOTS).find(|&i| self.children[i] != NO_NODE).map(|slot| Fault::SlotPastEnd { slot })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slot_of_counts_the_pivots_below_the_index() {
        for len in 1..=SLOTS {
            let mut pivots = [u64::MAX; PIVOTS];
            for (i, p) in pivots.iter_mut().enumerate().take(len - 1) {
                *p = 10 * (i as u64 + 1);
            }
            for index in (0..=10 * SLOTS as u64 + 1).chain([u64::MAX - 1, u64::MAX]) {
                let below = pivots.iter().filter(|&&p| p < index).count();
                assert_eq!(slot_of(&pivots, index), below, "len {len}, index {index}");
            }
        }
    }

    #[test]
    fn fault_names_stale_pivots_and_children() {
        let mut node = Internal::empty();
        node.write(&[Child { last: 9, id: 3, gap: 0 }, Child { last: 99, id: 4, gap: 0 }]);
        assert_eq!(node.fault(), None);
        assert_eq!(node.children(), [3, 4]);
        node.children[2] = 7;
        assert_eq!(node.fault(), Some(Fault::SlotPastEnd { slot: 2 }));
        node.children[2] = NO_NODE;
        node.pivots[4] = 5;
        assert_eq!(node.fault(), Some(Fault::PivotPastEnd { pivot: 4, value: 5 }));
    }
}

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
//! * [`Leaf`]: 16 slots of `Option<T>` (`None` is the kernel's NULL) and 15 pivots.
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
//! # Invariants this module relies on
//!
//! * N1: a live node has `1 <= len <= SLOTS`; a free node has `len == 0` and either sits on
//!   its vector's free list (linked through `pivots[0]`) or is one of the vector's *spare*
//!   nodes: blank nodes at the end of the vector that a reservation added and no write has
//!   taken yet. Writes take from the free list first, then the lowest spare node, so the
//!   unused spares stay at the end, where [`Arena::release_spare`] can drop them.
//! * N2: pivots from `len - 1` on are `u64::MAX`; leaf slots from `len` on are `None`;
//!   internal children from `len` on are [`NO_NODE`] and their gaps 0.
//!
//! Everything else (ordering, occupancy, NULL rules) belongs to the tree layer, see
//! [`crate::validate`].

use crate::error::Error;
use alloc::vec::Vec;

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

/// A leaf: user entries, `None` being NULL. Its fields are private: every edit goes through
/// a method that keeps N1 and N2 (checked by debug assertions).
///
/// Aligned to a cache line, so the pivots a search reads (120 bytes) take two lines, not
/// three; for 8-byte values the leaf is exactly 6 lines (384 bytes), so nothing is padded.
#[derive(Clone)]
#[repr(align(64))]
pub(crate) struct Leaf<T> {
    pivots: [u64; PIVOTS],
    slots: [Option<T>; SLOTS],
    len: u8,
}

/// An internal node: links to children one level down. Fields private, as [`Leaf`]'s.
///
/// The field order is fixed so that a walk touches three cache lines: `len` and the first
/// pivots, the other pivots, the child links; the gaps, read only by allocation trees, come
/// last.
#[derive(Clone)]
#[repr(C, align(64))] // and cache-line aligned, as leaves are (5 lines, no padding added)
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

impl<T> Leaf<T> {
    pivot_accessors!();
    fn empty() -> Self {
        Leaf { pivots: [u64::MAX; PIVOTS], slots: core::array::from_fn(|_| None), len: 0 }
    }

    /// Whether slot `offset` holds a value (is not NULL).
    #[inline]
    pub(crate) fn has_value(&self, offset: usize) -> bool {
        self.slots[offset].is_some()
    }

    /// The value of slot `offset`, `None` for NULL.
    #[inline]
    pub(crate) fn get(&self, offset: usize) -> Option<&T> {
        self.slots[offset].as_ref()
    }

    /// The value of slot `offset`, mutably.
    #[inline]
    pub(crate) fn get_mut(&mut self, offset: usize) -> Option<&mut T> {
        self.slots[offset].as_mut()
    }

    /// Takes the value out of slot `offset`, leaving NULL (the slot keeps its range).
    #[inline]
    pub(crate) fn take(&mut self, offset: usize) -> Option<T> {
        debug_assert!(offset < self.len());
        self.slots[offset].take()
    }

    /// Puts `entry` in slot `offset` (keeping its range) and returns what was there.
    #[inline]
    pub(crate) fn replace(&mut self, offset: usize, entry: Option<T>) -> Option<T> {
        debug_assert!(offset < self.len());
        core::mem::replace(&mut self.slots[offset], entry)
    }

    /// Number of slots holding a value.
    #[inline]
    pub(crate) fn value_count(&self) -> usize {
        self.slots[..self.len()].iter().filter(|s| s.is_some()).count()
    }

    /// Replaces the whole content by `content`: `(last key, entry)` per slot, 1 to 16 of
    /// them; the old entries are dropped.
    pub(crate) fn write(&mut self, content: impl IntoIterator<Item = (u64, Option<T>)>) {
        let mut len = 0;
        for (i, (last, entry)) in content.into_iter().enumerate() {
            if i < PIVOTS {
                self.pivots[i] = last;
            }
            self.slots[i] = entry;
            len = i + 1;
        }
        debug_assert!((1..=SLOTS).contains(&len));
        self.pivots[len - 1..].fill(u64::MAX);
        self.slots[len..].iter_mut().for_each(|s| *s = None);
        self.len = len as u8;
        self.debug_check();
    }

    /// Replaces slots `lo..=ro` by `pieces` (`(last key, entry)` each, in order, covering
    /// exactly the range the replaced slots covered); the slots after `ro` move to follow the
    /// pieces with their ranges. Entries left in the replaced slots are dropped. The new
    /// length must stay within 1..=16.
    pub(crate) fn splice(&mut self, lo: usize, ro: usize, pieces: impl ExactSizeIterator<Item = (u64, Option<T>)>) {
        let len = self.len();
        debug_assert!(lo <= ro && ro < len);
        let mid = pieces.len();
        let new_len = lo + mid + (len - ro - 1);
        debug_assert!((1..=SLOTS).contains(&new_len));
        // The pivots after the replaced slots (the old last one implied), then the pieces'.
        let mut tail = [u64::MAX; SLOTS];
        tail[..len - ro - 1].copy_from_slice(&self.pivots_ext()[ro + 1..len]);
        let hole = ro + 1 - lo;
        self.slots[lo..=ro].iter_mut().for_each(|slot| *slot = None);
        if hole > mid {
            self.slots[lo + mid..len].rotate_left(hole - mid);
        } else if hole < mid {
            self.slots[lo + hole..new_len].rotate_right(mid - hole);
        }
        let mut ends = [u64::MAX; SLOTS];
        for (i, (last, entry)) in pieces.enumerate() {
            ends[lo + i] = last;
            self.slots[lo + i] = entry;
        }
        ends[..lo].copy_from_slice(&self.pivots[..lo]);
        ends[lo + mid..new_len].copy_from_slice(&tail[..len - ro - 1]);
        set_pivots(&mut self.pivots, new_len, ends.into_iter());
        self.len = new_len as u8;
        self.debug_check();
    }

    /// The pivots with the implied last one as `u64::MAX` at index 15 (for moving them).
    fn pivots_ext(&self) -> [u64; SLOTS] {
        let mut ext = [u64::MAX; SLOTS];
        ext[..PIVOTS].copy_from_slice(&self.pivots);
        ext
    }

    /// The pivots, the used length and an iterator over the values with their offsets, all
    /// borrowed at once (for the mutable iterators).
    pub(crate) fn values_mut(&mut self) -> (&[u64; PIVOTS], usize, LeafValuesMut<'_, T>) {
        let len = self.len();
        (&self.pivots, len, LeafValuesMut { slots: self.slots[..len].iter_mut().enumerate() })
    }

    /// Size of the largest NULL range in a leaf covering `[min, max]`, 0 if it has none
    /// (the kernel's `mas_leaf_max_gap`). A NULL range of all 2^64 keys counts as `u64::MAX`.
    #[doc(alias = "mas_leaf_max_gap")]
    pub(crate) fn max_gap(&self, min: u64, max: u64) -> u64 {
        let len = self.len();
        let gap = (0..len)
            .filter(|&i| self.slots[i].is_none())
            .map(|i| {
                let (first, last) = slot_range(&self.pivots, len, i, min, max);
                (last - first).saturating_add(1)
            })
            .max()
            .unwrap_or(0);
        plant!('F' => let gap = gap.saturating_sub(1));
        gap
    }

    /// The first layout fault of a live leaf (N2), if any.
    pub(crate) fn fault(&self) -> Option<Fault> {
        self.pivot_fault()
            .or_else(|| (self.len()..SLOTS).find(|&i| self.slots[i].is_some()).map(|slot| Fault::SlotPastEnd { slot }))
    }

    /// After an edit, in debug builds: the leaf is live (N1) and clean past its end (N2).
    #[inline]
    fn debug_check(&self) {
        debug_assert!((1..=SLOTS).contains(&self.len()), "N1: leaf len {}", self.len);
        debug_assert_eq!(self.fault(), None);
    }

    /// Bug A's setup: a copy of this leaf (`dup` copies each entry).
    #[cfg(feature = "planted-bugs")]
    pub(crate) fn plant_copy(&self, dup: fn(Option<&T>) -> Option<T>) -> Leaf<T> {
        Leaf { pivots: self.pivots, slots: core::array::from_fn(|i| dup(self.slots[i].as_ref())), len: self.len }
    }

    /// Bug A: puts `stale`'s slots and pivots back after this leaf's end when it is shorter.
    #[cfg(feature = "planted-bugs")]
    pub(crate) fn plant_stale_tail(&mut self, stale: Leaf<T>) {
        let (len, old_len) = (self.len(), stale.len());
        if len > 0 && len < old_len {
            self.pivots[len - 1..old_len - 1].copy_from_slice(&stale.pivots[len - 1..old_len - 1]);
            for (slot, stale) in self.slots[len..old_len].iter_mut().zip(stale.slots.into_iter().skip(len)) {
                *slot = stale;
            }
        }
    }

    /// Bug D: drops the last slot; the slot before it then reaches the leaf's maximum.
    #[cfg(feature = "planted-bugs")]
    pub(crate) fn plant_drop_last_slot(&mut self) {
        let len = self.len();
        if len > 1 {
            self.slots[len - 1] = None;
            self.pivots[len - 2] = u64::MAX;
            self.len -= 1;
        }
    }
}

/// The values of one leaf with their slot offsets, mutably, in key order
/// ([`Leaf::values_mut`]).
pub(crate) struct LeafValuesMut<'a, T> {
    slots: core::iter::Enumerate<core::slice::IterMut<'a, Option<T>>>,
}

impl<'a, T> Iterator for LeafValuesMut<'a, T> {
    type Item = (usize, &'a mut T);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        self.slots.by_ref().find_map(|(i, slot)| slot.as_mut().map(|v| (i, v)))
    }
}

impl<T> DoubleEndedIterator for LeafValuesMut<'_, T> {
    #[inline]
    fn next_back(&mut self) -> Option<Self::Item> {
        self.slots.by_ref().rev().find_map(|(i, slot)| slot.as_mut().map(|v| (i, v)))
    }
}

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

/// Makes room for one more node in a full arena vector: by an eighth of its length (at least
/// 4 nodes) rather than by doubling, so at most about 11% of the node memory is unused
/// capacity instead of up to half. Growth stays geometric (amortized O(1) per node), and
/// large blocks are moved by the allocator's `realloc`, which usually extends them in place.
fn grow<N>(nodes: &mut Vec<N>) -> Result<(), alloc::collections::TryReserveError> {
    if nodes.len() < nodes.capacity() {
        return Ok(());
    }
    nodes.try_reserve_exact((nodes.len() / 8).max(4))
}

/// Drops the last `spare` (blank) nodes of `nodes`; if more than a quarter of the capacity
/// (and more than 64 nodes) is then unused, shrinks it to the length plus the eighth that
/// [`grow`] would add. Shrinking copies the vector, which only a reservation much larger
/// than the tree makes worth it; ordinary reservations leave the capacity alone.
fn release_tail<N>(nodes: &mut Vec<N>, spare: usize) {
    nodes.truncate(nodes.len() - spare);
    let len = nodes.len();
    if nodes.capacity() - len > (len / 4).max(64) {
        nodes.shrink_to(len + len / 8);
    }
}

/// Where the free list of one vector starts, and how long it is.
#[derive(Clone, Copy, Debug)]
struct FreeList {
    head: NodeId,
    count: usize,
}

impl FreeList {
    const EMPTY: FreeList = FreeList { head: NO_NODE, count: 0 };
}

/// Nodes a write may take from the free lists, set before the write starts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct NodeBudget {
    pub(crate) leaves: usize,
    pub(crate) internals: usize,
}

impl NodeBudget {
    /// Whether every count of `self` is at most that of `other`.
    pub(crate) const fn fits_in(self, other: NodeBudget) -> bool {
        self.leaves <= other.leaves && self.internals <= other.internals
    }
}

/// Owner of every node of one tree.
#[derive(Clone)]
pub(crate) struct Arena<T> {
    leaves: Vec<Leaf<T>>,
    internals: Vec<Internal>,
    free_leaves: FreeList,
    free_internals: FreeList,
    /// Blank nodes at the end of each vector that no free list links (N1).
    spare: NodeBudget,
    /// Net nodes the running write may still take (debug bookkeeping of the reservation).
    budget: NodeBudget,
    #[cfg(feature = "failure-injection")]
    fail_at: Option<u64>,
}

impl<T> Default for Arena<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> Arena<T> {
    pub(crate) const fn new() -> Self {
        Arena {
            leaves: Vec::new(),
            internals: Vec::new(),
            free_leaves: FreeList::EMPTY,
            free_internals: FreeList::EMPTY,
            spare: NodeBudget { leaves: 0, internals: 0 },
            budget: NodeBudget { leaves: 0, internals: 0 },
            #[cfg(feature = "failure-injection")]
            fail_at: None,
        }
    }

    #[inline]
    pub(crate) fn leaf(&self, id: NodeId) -> &Leaf<T> {
        &self.leaves[id as usize]
    }

    #[inline]
    pub(crate) fn leaf_mut(&mut self, id: NodeId) -> &mut Leaf<T> {
        &mut self.leaves[id as usize]
    }

    #[inline]
    pub(crate) fn internal(&self, id: NodeId) -> &Internal {
        &self.internals[id as usize]
    }

    #[inline]
    pub(crate) fn internal_mut(&mut self, id: NodeId) -> &mut Internal {
        &mut self.internals[id as usize]
    }

    /// Nodes allocated from the system (live and free), as (leaves, internals).
    pub(crate) fn allocated(&self) -> (usize, usize) {
        (self.leaves.len(), self.internals.len())
    }

    /// Blank nodes ready for writes (the free lists and the spare nodes), as (leaves,
    /// internals).
    pub(crate) fn free_counts(&self) -> (usize, usize) {
        (self.free_leaves.count + self.spare.leaves, self.free_internals.count + self.spare.internals)
    }

    /// Whether a node index is on a free list (a dead node).
    pub(crate) fn is_free_leaf(&self, id: NodeId) -> bool {
        self.leaves.get(id as usize).map_or(true, |l| l.len == 0)
    }

    /// Whether an internal node index is on a free list (a dead node).
    pub(crate) fn is_free_internal(&self, id: NodeId) -> bool {
        self.internals.get(id as usize).map_or(true, |n| n.len == 0)
    }

    /// Bytes held by the arena's vectors.
    pub(crate) fn memory_bytes(&self) -> usize {
        self.leaves.capacity() * core::mem::size_of::<Leaf<T>>()
            + self.internals.capacity() * core::mem::size_of::<Internal>()
    }

    /// Drops every node.
    pub(crate) fn clear(&mut self) {
        self.leaves = Vec::new();
        self.internals = Vec::new();
        self.free_leaves = FreeList::EMPTY;
        self.free_internals = FreeList::EMPTY;
        self.spare = NodeBudget::default();
        self.budget = NodeBudget::default();
    }

    /// Makes the N-th next node allocation fail (`Some(0)` is the very next one).
    #[cfg(feature = "failure-injection")]
    pub(crate) fn fail_nth_alloc(&mut self, n: Option<u64>) {
        self.fail_at = n;
    }

    /// One allocation from the system is about to happen: the failure-injection hook.
    fn allocation_allowed(&mut self) -> bool {
        #[cfg(feature = "failure-injection")]
        if let Some(n) = self.fail_at {
            if n == 0 {
                self.fail_at = None;
                return false;
            }
            self.fail_at = Some(n - 1);
        }
        true
    }

    /// Makes sure the free lists and the spare nodes hold at least `need` nodes, adding the
    /// difference as spare nodes one node at a time, and sets the running write's budget to
    /// `need`. On failure the nodes added so far stay spare, and no live node is touched.
    pub(crate) fn reserve(&mut self, need: NodeBudget) -> Result<(), Error> {
        let (free_leaves, free_internals) = self.free_counts();
        // A large reservation (a bulk build) takes its room in one exact step.
        let missing = need.leaves.saturating_sub(free_leaves);
        if missing > 1 && self.leaves.try_reserve_exact(missing).is_err() {
            return Err(Error::NoMemory);
        }
        let missing = need.internals.saturating_sub(free_internals);
        if missing > 1 && self.internals.try_reserve_exact(missing).is_err() {
            return Err(Error::NoMemory);
        }
        while self.free_leaves.count + self.spare.leaves < need.leaves {
            if !self.allocation_allowed() || self.leaves.len() >= NO_NODE as usize || grow(&mut self.leaves).is_err() {
                return Err(Error::NoMemory);
            }
            self.leaves.push(Leaf::empty());
            self.spare.leaves += 1;
        }
        while self.free_internals.count + self.spare.internals < need.internals {
            if !self.allocation_allowed()
                || self.internals.len() >= NO_NODE as usize
                || grow(&mut self.internals).is_err()
            {
                return Err(Error::NoMemory);
            }
            self.internals.push(Internal::empty());
            self.spare.internals += 1;
        }
        self.budget = need;
        Ok(())
    }

    /// Drops the spare nodes (N1) and, when that leaves a vector mostly unused capacity (a
    /// large reservation on a small tree), gives the capacity back. Ends the running write's
    /// budget. Nodes on the free lists stay: they sit among live nodes.
    pub(crate) fn release_spare(&mut self) {
        release_tail(&mut self.leaves, self.spare.leaves);
        release_tail(&mut self.internals, self.spare.internals);
        self.spare = NodeBudget::default();
        self.budget = NodeBudget::default();
    }

    fn push_free_leaf(&mut self, id: NodeId) {
        let leaf = &mut self.leaves[id as usize];
        debug_assert!(leaf.len == 0 && leaf.slots.iter().all(Option::is_none));
        leaf.pivots[0] = u64::from(self.free_leaves.head);
        self.free_leaves = FreeList { head: id, count: self.free_leaves.count + 1 };
    }

    fn push_free_internal(&mut self, id: NodeId) {
        let node = &mut self.internals[id as usize];
        debug_assert!(node.len == 0);
        node.pivots[0] = u64::from(self.free_internals.head);
        self.free_internals = FreeList { head: id, count: self.free_internals.count + 1 };
    }

    /// Takes a blank leaf from the free list. The write must have reserved it.
    pub(crate) fn alloc_leaf(&mut self) -> NodeId {
        debug_assert!(self.budget.leaves > 0, "a write used more leaves than it reserved");
        self.budget.leaves = self.budget.leaves.saturating_sub(1);
        let id = self.free_leaves.head;
        if id == NO_NODE {
            if self.spare.leaves > 0 {
                // The lowest spare node, so that the unused ones stay at the end.
                self.spare.leaves -= 1;
                return (self.leaves.len() - 1 - self.spare.leaves) as NodeId;
            }
            // Only reachable if the reservation was too small (a bug caught by the debug
            // assertion above); fall back to an infallible allocation.
            self.leaves.push(Leaf::empty());
            return (self.leaves.len() - 1) as NodeId;
        }
        let leaf = &mut self.leaves[id as usize];
        self.free_leaves = FreeList { head: leaf.pivots[0] as NodeId, count: self.free_leaves.count - 1 };
        leaf.pivots[0] = u64::MAX;
        id
    }

    /// Takes a blank internal node from the free list. The write must have reserved it.
    pub(crate) fn alloc_internal(&mut self) -> NodeId {
        debug_assert!(self.budget.internals > 0, "a write used more internal nodes than it reserved");
        self.budget.internals = self.budget.internals.saturating_sub(1);
        let id = self.free_internals.head;
        if id == NO_NODE {
            if self.spare.internals > 0 {
                self.spare.internals -= 1;
                return (self.internals.len() - 1 - self.spare.internals) as NodeId;
            }
            self.internals.push(Internal::empty());
            return (self.internals.len() - 1) as NodeId;
        }
        let node = &mut self.internals[id as usize];
        self.free_internals = FreeList { head: node.pivots[0] as NodeId, count: self.free_internals.count - 1 };
        node.pivots[0] = u64::MAX;
        id
    }

    /// Returns a leaf to the free list, dropping its entries; returns how many entries (non-NULL
    /// slots) it dropped.
    pub(crate) fn free_leaf(&mut self, id: NodeId) -> usize {
        let leaf = &mut self.leaves[id as usize];
        let dropped = leaf.slots.iter().filter(|s| s.is_some()).count();
        *leaf = Leaf::empty();
        self.budget.leaves += 1;
        self.push_free_leaf(id);
        dropped
    }

    /// Returns an internal node to the free list.
    pub(crate) fn free_internal(&mut self, id: NodeId) {
        self.internals[id as usize] = Internal::empty();
        self.budget.internals += 1;
        self.push_free_internal(id);
    }

    /// Frees a whole subtree whose root sits `levels_below` levels above the leaves
    /// (0: `id` is a leaf); returns how many entries it dropped.
    pub(crate) fn free_subtree(&mut self, id: NodeId, levels_below: usize) -> usize {
        if levels_below == 0 {
            return self.free_leaf(id);
        }
        let node = self.internal(id);
        let (len, children) = (node.len(), node.children);
        let dropped = children[..len].iter().map(|&child| self.free_subtree(child, levels_below - 1)).sum();
        self.free_internal(id);
        dropped
    }

    /// Gives every free and spare node back to the system: moves the live nodes of the tree rooted at
    /// `root` (`height` levels) to the front of their vectors, fixing the links to them,
    /// truncates the vectors and shrinks their capacity. Returns the root's new id. O(nodes
    /// allocated). Node ids change, so no path into the tree may be kept across it.
    pub(crate) fn compact(&mut self, root: NodeId, height: usize) -> NodeId {
        let (free_leaves, free_internals) = self.free_counts();
        let live_leaves = self.leaves.len() - free_leaves;
        let live_internals = self.internals.len() - free_internals;
        // Free slots inside the kept prefix, which the live nodes past it move into.
        let mut holes_leaves: Vec<NodeId> =
            (0..live_leaves).filter(|&i| self.leaves[i].len == 0).map(|i| i as NodeId).collect();
        let mut holes_internals: Vec<NodeId> =
            (0..live_internals).filter(|&i| self.internals[i].len == 0).map(|i| i as NodeId).collect();
        let mut relocate = |id: NodeId, is_leaf: bool, arena: &mut Self| -> NodeId {
            let (live, holes) =
                if is_leaf { (live_leaves, &mut holes_leaves) } else { (live_internals, &mut holes_internals) };
            if (id as usize) < live {
                return id;
            }
            let to = holes.pop().expect("as many holes below the live count as live nodes above it");
            if is_leaf {
                arena.leaves.swap(id as usize, to as usize);
            } else {
                arena.internals.swap(id as usize, to as usize);
            }
            to
        };
        let root = if root == NO_NODE { root } else { relocate(root, height == 1, self) };
        // Breadth-first over the internal nodes: each node's children move (and its links are
        // fixed) before they are visited.
        let mut level: Vec<NodeId> = if height > 1 { alloc::vec![root] } else { Vec::new() };
        for depth in 0..height.saturating_sub(1) {
            let children_are_leaves = depth + 2 == height;
            let mut next = Vec::new();
            for &id in &level {
                for slot in 0..self.internals[id as usize].len() {
                    let child = self.internals[id as usize].children[slot];
                    let moved = relocate(child, children_are_leaves, self);
                    self.internals[id as usize].children[slot] = moved;
                    if !children_are_leaves {
                        next.push(moved);
                    }
                }
            }
            level = next;
        }
        self.leaves.truncate(live_leaves);
        self.leaves.shrink_to_fit();
        self.internals.truncate(live_internals);
        self.internals.shrink_to_fit();
        self.free_leaves = FreeList::EMPTY;
        self.free_internals = FreeList::EMPTY;
        self.spare = NodeBudget::default();
        root
    }

    /// Mutable access to several leaves at once, in the order of `ids`, which must be
    /// distinct live leaves (for the mutable iterators). O(k log k) for k ids.
    pub(crate) fn leaves_mut(&mut self, ids: &[NodeId]) -> Vec<&mut Leaf<T>> {
        let mut order: Vec<usize> = (0..ids.len()).collect();
        order.sort_unstable_by_key(|&i| ids[i]);
        let mut placed: Vec<Option<&mut Leaf<T>>> = (0..ids.len()).map(|_| None).collect();
        let (mut rest, mut base) = (&mut self.leaves[..], 0usize);
        for i in order {
            let id = ids[i] as usize;
            debug_assert!(id >= base, "leaf ids must be distinct");
            let (leaf, tail) = core::mem::take(&mut rest)[id - base..].split_first_mut().expect("a live leaf id");
            placed[i] = Some(leaf);
            (rest, base) = (tail, id + 1);
        }
        placed.into_iter().flatten().collect()
    }

    /// Fallible deep copy of the arena (same node numbering).
    pub(crate) fn try_clone(&self) -> Result<Self, Error>
    where
        T: Clone,
    {
        let mut leaves = Vec::new();
        leaves.try_reserve_exact(self.leaves.len()).map_err(|_| Error::NoMemory)?;
        leaves.extend(self.leaves.iter().cloned());
        let mut internals = Vec::new();
        internals.try_reserve_exact(self.internals.len()).map_err(|_| Error::NoMemory)?;
        internals.extend_from_slice(&self.internals);
        Ok(Arena {
            leaves,
            internals,
            free_leaves: self.free_leaves,
            free_internals: self.free_internals,
            spare: self.spare,
            budget: NodeBudget::default(),
            #[cfg(feature = "failure-injection")]
            fail_at: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    /// A leaf covering `[0, max]` with `content` (`(last key, entry)` per slot).
    fn leaf_of(content: &[(u64, Option<u32>)]) -> Leaf<u32> {
        let mut leaf = Leaf::empty();
        leaf.write(content.iter().copied());
        leaf
    }

    /// A leaf's content as `(last key, entry)` per slot, read through the accessors.
    fn content_of(leaf: &Leaf<u32>, max: u64) -> Vec<(u64, Option<u32>)> {
        (0..leaf.len()).map(|i| (leaf.slot_range(i, 0, max).1, leaf.get(i).copied())).collect()
    }

    /// `len` slots of ten keys each (the last reaching `max`), a value in every other one.
    fn model(len: usize, max: u64) -> Vec<(u64, Option<u32>)> {
        (0..len)
            .map(|i| (if i + 1 == len { max } else { 10 * (i as u64 + 1) - 1 }, (i % 2 == 0).then_some(i as u32)))
            .collect()
    }

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
    fn write_then_read_back_every_length() {
        let max = 1000;
        for len in 1..=SLOTS {
            let content = model(len, max);
            let leaf = leaf_of(&content);
            assert_eq!(leaf.len(), len);
            assert_eq!(content_of(&leaf, max), content);
            assert_eq!(leaf.value_count(), content.iter().filter(|(_, v)| v.is_some()).count());
            assert_eq!(leaf.fault(), None);
            assert!(leaf.pivots()[len - 1..].iter().all(|&p| p == u64::MAX), "N2 after {len} slots");
        }
    }

    #[test]
    fn splice_matches_a_vector_model_for_every_position_and_piece_count() {
        let max = 1000;
        for len in 1..=SLOTS {
            for lo in 0..len {
                for ro in lo..len {
                    for pieces in 1..=3usize {
                        let new_len = lo + pieces + (len - ro - 1);
                        let mut expected = model(len, max);
                        let start = if lo == 0 { 0 } else { expected[lo - 1].0 + 1 };
                        let end = expected[ro].0;
                        if new_len > SLOTS || end - start + 1 < pieces as u64 {
                            continue;
                        }
                        // The covered range cut into `pieces` parts, the last one ending at `end`.
                        let new: Vec<(u64, Option<u32>)> = (0..pieces)
                            .map(|k| {
                                let last = if k + 1 == pieces { end } else { start + k as u64 };
                                (last, (k != 1).then_some(100 + k as u32))
                            })
                            .collect();
                        let mut leaf = leaf_of(&expected);
                        leaf.splice(lo, ro, new.clone().into_iter());
                        expected.splice(lo..=ro, new);
                        assert_eq!(content_of(&leaf, max), expected, "len {len}, slots {lo}..={ro}, {pieces} pieces");
                        assert_eq!(leaf.fault(), None);
                        assert_eq!(leaf.value_count(), expected.iter().filter(|(_, v)| v.is_some()).count());
                    }
                }
            }
        }
    }

    #[test]
    fn take_replace_and_values_mut_keep_ranges() {
        let max = 500;
        let mut leaf = leaf_of(&model(9, max));
        assert_eq!(leaf.take(2), Some(2));
        assert!(!leaf.has_value(2));
        assert_eq!(leaf.replace(3, Some(33)), None);
        assert_eq!(leaf.replace(0, None), Some(0));
        let (_, len, values) = leaf.values_mut();
        assert_eq!(len, 9);
        let seen: Vec<(usize, u32)> = values.map(|(i, v)| (i, *v)).collect();
        assert_eq!(seen, [(3, 33), (4, 4), (6, 6), (8, 8)]);
        let (_, _, values) = leaf.values_mut();
        let back: Vec<usize> = values.rev().map(|(i, _)| i).collect();
        assert_eq!(back, [8, 6, 4, 3]);
        assert_eq!(
            content_of(&leaf, max).iter().map(|c| c.0).collect::<Vec<_>>(),
            model(9, max).iter().map(|c| c.0).collect::<Vec<_>>()
        );
    }

    #[test]
    fn fault_names_stale_pivots_and_slots() {
        let mut leaf = leaf_of(&model(4, 100));
        leaf.pivots[5] = 77;
        assert_eq!(leaf.fault(), Some(Fault::PivotPastEnd { pivot: 5, value: 77 }));
        leaf.pivots[5] = u64::MAX;
        leaf.slots[6] = Some(1);
        assert_eq!(leaf.fault(), Some(Fault::SlotPastEnd { slot: 6 }));
        let mut node = Internal::empty();
        node.write(&[Child { last: 9, id: 3, gap: 0 }, Child { last: 99, id: 4, gap: 0 }]);
        assert_eq!(node.fault(), None);
        assert_eq!(node.children(), [3, 4]);
        node.children[2] = 7;
        assert_eq!(node.fault(), Some(Fault::SlotPastEnd { slot: 2 }));
    }
}

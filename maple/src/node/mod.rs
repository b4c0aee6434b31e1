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
//! # Invariants this module relies on
//!
//! * N1: a live node has `1 <= len <= SLOTS`; a free node has `len == 0` and either sits on
//!   its vector's free list (linked through `pivots[0]`) or is one of the vector's *spare*
//!   nodes: blank nodes at the end of the vector that a reservation added and no write has
//!   taken yet. Writes take from the free list first, then the lowest spare node, so the
//!   unused spares stay at the end, where [`Arena::release_spare`] can drop them.
//! * N4: past the spare nodes, each vector may end in up to [`IDLE_MAX`] *idle* nodes: blank
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

mod leaf;
pub(crate) use leaf::{Leaf, LeafValuesMut};

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

/// Makes room for one more node in a full arena vector: by a sixteenth of its length (at
/// least 4 nodes) rather than by doubling, so at most about 6% of the node memory is unused
/// capacity instead of up to half (an eighth left 9% unused in a random build of 1e5
/// ranges, and a sixteenth costs that build 1% more instructions). Growth stays geometric
/// (amortized O(1) per node), and large blocks are moved by the allocator's `realloc`, which
/// usually extends them in place.
fn grow<N>(nodes: &mut Vec<N>) -> Result<(), alloc::collections::TryReserveError> {
    if nodes.len() < nodes.capacity() {
        return Ok(());
    }
    nodes.try_reserve_exact((nodes.len() / 16).max(4))
}

/// Blank nodes a vector keeps idle between reservations (N4): enough for the worst case of
/// a few writes into a tall tree, so that a VMA operation's reservation finds them ready.
pub(crate) const IDLE_MAX: usize = 32;

/// Ends a reservation on one vector whose last `tail` nodes are blank (spare and idle):
/// keeps up to [`IDLE_MAX`] of them idle and drops the rest; returns how many stay idle. If
/// without the blank nodes more than a quarter of the capacity (and more than 64 nodes)
/// would be unused, drops them all and shrinks the capacity to the length plus the
/// sixteenth that [`grow`] would add. Shrinking copies the vector, which only a reservation
/// much larger than the tree makes worth it; ordinary reservations leave the capacity alone.
fn release_tail<N>(nodes: &mut Vec<N>, tail: usize) -> usize {
    let len = nodes.len() - tail;
    if nodes.capacity() - len > (len / 4).max(64) {
        nodes.truncate(len);
        nodes.shrink_to(len + len / 16);
        return 0;
    }
    let idle = tail.min(IDLE_MAX);
    nodes.truncate(len + idle);
    idle
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
    /// Blank nodes at the end of each vector that no free list links (N1), before the idle
    /// ones.
    spare: NodeBudget,
    /// Blank nodes at the very end of each vector, kept between reservations (N4).
    idle: NodeBudget,
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
            idle: NodeBudget { leaves: 0, internals: 0 },
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

    /// Nodes allocated for the tree (live, free and spare; not the idle ones of N4), as
    /// (leaves, internals).
    pub(crate) fn allocated(&self) -> (usize, usize) {
        (self.leaves.len() - self.idle.leaves, self.internals.len() - self.idle.internals)
    }

    /// Drops the idle nodes (N4), before an operation that renumbers or moves nodes.
    fn drop_idle(&mut self) {
        let (leaves, internals) = self.allocated();
        self.leaves.truncate(leaves);
        self.internals.truncate(internals);
        self.idle = NodeBudget::default();
    }

    /// Blank nodes ready for writes (the free lists and the spare nodes), as (leaves,
    /// internals).
    pub(crate) fn free_counts(&self) -> (usize, usize) {
        (self.free_leaves.count + self.spare.leaves, self.free_internals.count + self.spare.internals)
    }

    /// Whether a node index is on a free list (a dead node).
    pub(crate) fn is_free_leaf(&self, id: NodeId) -> bool {
        self.leaves.get(id as usize).map_or(true, Leaf::is_free)
    }

    /// N4 for the validator: the first way the idle nodes break it, if any (more than
    /// [`IDLE_MAX`] of them at a vector's end, or one that is not blank), as a message.
    pub(crate) fn idle_fault(&self) -> Option<(&'static str, usize)> {
        if self.idle.leaves > IDLE_MAX || self.idle.leaves > self.leaves.len() {
            return Some(("idle leaves past the limit", self.idle.leaves));
        }
        if self.idle.internals > IDLE_MAX || self.idle.internals > self.internals.len() {
            return Some(("idle internal nodes past the limit", self.idle.internals));
        }
        let (leaves, internals) = self.allocated();
        if let Some(i) = (leaves..self.leaves.len()).find(|&i| {
            let leaf = &self.leaves[i];
            !leaf.is_free() || leaf.value_count() != 0
        }) {
            return Some(("an idle leaf that is not blank", i));
        }
        (internals..self.internals.len())
            .find(|&i| self.internals[i].len != 0)
            .map(|i| ("an idle internal node that is not blank", i))
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

    /// Gives back each vector's unused capacity if it is more than a `1 / fraction` of its
    /// length (after a bulk build).
    pub(crate) fn fit(&mut self, fraction: usize) {
        self.drop_idle();
        if self.leaves.capacity() - self.leaves.len() > self.leaves.len() / fraction {
            self.leaves.shrink_to_fit();
        }
        if self.internals.capacity() - self.internals.len() > self.internals.len() / fraction {
            self.internals.shrink_to_fit();
        }
    }

    /// Drops every node.
    pub(crate) fn clear(&mut self) {
        self.leaves = Vec::new();
        self.internals = Vec::new();
        self.free_leaves = FreeList::EMPTY;
        self.free_internals = FreeList::EMPTY;
        self.spare = NodeBudget::default();
        self.idle = NodeBudget::default();
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
    /// difference as spare nodes one node at a time (idle ones first, N4), and sets the
    /// running write's budget to `need`. On failure the nodes added so far stay spare, and
    /// no live node is touched.
    ///
    /// An idle node taken counts as one allocation for failure injection, as a new one does,
    /// so that a caller sees the same failure points whether or not idle nodes were kept.
    pub(crate) fn reserve(&mut self, need: NodeBudget) -> Result<(), Error> {
        let (free_leaves, free_internals) = self.free_counts();
        // A large reservation (a bulk build) takes its room in one exact step.
        let missing = need.leaves.saturating_sub(free_leaves + self.idle.leaves);
        if missing > 1 && self.leaves.try_reserve_exact(missing).is_err() {
            return Err(Error::NoMemory);
        }
        let missing = need.internals.saturating_sub(free_internals + self.idle.internals);
        if missing > 1 && self.internals.try_reserve_exact(missing).is_err() {
            return Err(Error::NoMemory);
        }
        while self.free_leaves.count + self.spare.leaves < need.leaves {
            if !self.allocation_allowed() {
                return Err(Error::NoMemory);
            }
            if self.idle.leaves > 0 {
                // The lowest idle node becomes the highest spare one.
                self.idle.leaves -= 1;
                self.spare.leaves += 1;
                continue;
            }
            if self.leaves.len() >= NO_NODE as usize || grow(&mut self.leaves).is_err() {
                return Err(Error::NoMemory);
            }
            self.leaves.push(Leaf::empty());
            self.spare.leaves += 1;
        }
        while self.free_internals.count + self.spare.internals < need.internals {
            if !self.allocation_allowed() {
                return Err(Error::NoMemory);
            }
            if self.idle.internals > 0 {
                self.idle.internals -= 1;
                self.spare.internals += 1;
                continue;
            }
            if self.internals.len() >= NO_NODE as usize || grow(&mut self.internals).is_err() {
                return Err(Error::NoMemory);
            }
            self.internals.push(Internal::empty());
            self.spare.internals += 1;
        }
        self.budget = need;
        Ok(())
    }

    /// Ends a reservation: turns the spare nodes (N1) idle, up to [`IDLE_MAX`] blank nodes per
    /// vector, and drops the rest; when that would leave a vector mostly unused capacity (a
    /// large reservation on a small tree), drops them all and gives the capacity back. Ends
    /// the running write's budget. Nodes on the free lists stay: they sit among live nodes.
    pub(crate) fn release_spare(&mut self) {
        self.idle.leaves = release_tail(&mut self.leaves, self.spare.leaves + self.idle.leaves);
        self.idle.internals = release_tail(&mut self.internals, self.spare.internals + self.idle.internals);
        self.spare = NodeBudget::default();
        self.budget = NodeBudget::default();
    }

    fn push_free_leaf(&mut self, id: NodeId) {
        self.leaves[id as usize].set_free_link(u64::from(self.free_leaves.head));
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
            if self.spare.leaves == 0 {
                // Only reachable if the reservation was too small (a bug caught by the debug
                // assertion above); fall back to an idle node or an infallible allocation.
                self.take_idle_or_push_leaf();
            }
            // The lowest spare node, so that the unused ones stay at the end.
            self.spare.leaves -= 1;
            return (self.leaves.len() - 1 - self.idle.leaves - self.spare.leaves) as NodeId;
        }
        let leaf = &mut self.leaves[id as usize];
        self.free_leaves = FreeList { head: leaf.free_link() as NodeId, count: self.free_leaves.count - 1 };
        leaf.set_free_link(u64::MAX);
        id
    }

    /// Takes a blank internal node from the free list. The write must have reserved it.
    pub(crate) fn alloc_internal(&mut self) -> NodeId {
        debug_assert!(self.budget.internals > 0, "a write used more internal nodes than it reserved");
        self.budget.internals = self.budget.internals.saturating_sub(1);
        let id = self.free_internals.head;
        if id == NO_NODE {
            if self.spare.internals == 0 {
                self.take_idle_or_push_internal();
            }
            self.spare.internals -= 1;
            return (self.internals.len() - 1 - self.idle.internals - self.spare.internals) as NodeId;
        }
        let node = &mut self.internals[id as usize];
        self.free_internals = FreeList { head: node.pivots[0] as NodeId, count: self.free_internals.count - 1 };
        node.pivots[0] = u64::MAX;
        id
    }

    /// Adds one spare leaf, from the idle ones or a new one (the fallback of
    /// [`Arena::alloc_leaf`]).
    #[cold]
    fn take_idle_or_push_leaf(&mut self) {
        if self.idle.leaves > 0 {
            self.idle.leaves -= 1;
        } else {
            self.leaves.push(Leaf::empty());
        }
        self.spare.leaves += 1;
    }

    /// Adds one spare internal node, from the idle ones or a new one.
    #[cold]
    fn take_idle_or_push_internal(&mut self) {
        if self.idle.internals > 0 {
            self.idle.internals -= 1;
        } else {
            self.internals.push(Internal::empty());
        }
        self.spare.internals += 1;
    }

    /// Returns a leaf to the free list, dropping its entries; returns how many entries (non-NULL
    /// slots) it dropped.
    pub(crate) fn free_leaf(&mut self, id: NodeId) -> usize {
        let leaf = &mut self.leaves[id as usize];
        let dropped = leaf.value_count();
        *leaf = Leaf::empty();
        self.budget.leaves += 1;
        self.push_free_leaf(id);
        dropped
    }

    /// Makes room (capacity, not nodes) for `leaves` more leaves if the system has it: a bulk
    /// build that knows its size up front grows the vector once instead of in steps that each
    /// copy it. Without the room the build still works, growing step by step.
    pub(crate) fn reserve_leaf_capacity(&mut self, leaves: usize) {
        let _ = self.leaves.try_reserve_exact(leaves);
    }

    /// Adds `leaf`, filled outside the arena (a bulk build), after the others; returns its id.
    /// The arena must have no free or spare leaf, so that ids follow the order of the calls.
    pub(crate) fn push_leaf(&mut self, leaf: Leaf<T>) -> Result<NodeId, Error> {
        debug_assert!(self.free_leaves.count == 0 && self.spare.leaves == 0 && self.idle.leaves == 0);
        if !self.allocation_allowed() || self.leaves.len() >= NO_NODE as usize || grow(&mut self.leaves).is_err() {
            return Err(Error::NoMemory);
        }
        self.leaves.push(leaf);
        Ok((self.leaves.len() - 1) as NodeId)
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
        self.drop_idle();
        let (free_leaves, free_internals) = self.free_counts();
        let live_leaves = self.leaves.len() - free_leaves;
        let live_internals = self.internals.len() - free_internals;
        // Free slots inside the kept prefix, which the live nodes past it move into.
        let mut holes_leaves: Vec<NodeId> =
            (0..live_leaves).filter(|&i| self.leaves[i].is_free()).map(|i| i as NodeId).collect();
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
        // The copy leaves out the idle nodes (N4).
        let (leaf_count, internal_count) = self.allocated();
        let mut leaves = Vec::new();
        leaves.try_reserve_exact(leaf_count).map_err(|_| Error::NoMemory)?;
        leaves.extend(self.leaves[..leaf_count].iter().cloned());
        let mut internals = Vec::new();
        internals.try_reserve_exact(internal_count).map_err(|_| Error::NoMemory)?;
        internals.extend_from_slice(&self.internals[..internal_count]);
        Ok(Arena {
            leaves,
            internals,
            free_leaves: self.free_leaves,
            free_internals: self.free_internals,
            spare: self.spare,
            idle: NodeBudget::default(),
            budget: NodeBudget::default(),
            #[cfg(feature = "failure-injection")]
            fail_at: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// N4 as the validator checks it: a finished reservation leaves blank idle nodes (no
    /// fault); an idle node that is not blank, or too many of them, is one.
    #[test]
    fn idle_nodes_are_blank_and_bounded() {
        let mut arena: Arena<u64> = Arena::new();
        arena.reserve(NodeBudget { leaves: 3, internals: 2 }).unwrap();
        arena.release_spare();
        assert_eq!(arena.allocated(), (0, 0));
        assert_eq!((arena.idle.leaves, arena.idle.internals), (3, 2));
        assert_eq!(arena.idle_fault(), None);

        let mut dirty = arena.clone();
        dirty.leaves[1].write([(u64::MAX, Some(7))]);
        assert_eq!(dirty.idle_fault(), Some(("an idle leaf that is not blank", 1)));

        let mut dirty = arena.clone();
        dirty.internals[0].len = 1;
        assert_eq!(dirty.idle_fault(), Some(("an idle internal node that is not blank", 0)));

        let mut many = arena.clone();
        many.idle.leaves = IDLE_MAX + 1;
        assert_eq!(many.idle_fault(), Some(("idle leaves past the limit", IDLE_MAX + 1)));
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

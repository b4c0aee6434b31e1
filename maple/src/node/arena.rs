//! The node arena: the storage of one tree's nodes, reached by [`NodeId`].

use super::{Internal, Leaf, NodeId, MAX_HEIGHT, NO_NODE};
use crate::error::Error;
use alloc::vec::Vec;
use arrayvec::ArrayVec;
use chunks::Chunks;
use flat::Flat;

mod chunks;
#[allow(unsafe_code)]
mod cow;
mod flat;

/// Leaves below which a tree's stores never lay its leaves out again ([`Arena::relayout_due`]):
/// a small tree's leaves fit in the caches whatever their order.
pub(crate) const RELAYOUT_FLOOR: usize = 64;

/// Blank nodes a vector keeps idle between reservations (N4): enough for the worst case of
/// a few writes into a tall tree, so that a VMA operation's reservation finds them ready.
pub(crate) const IDLE_MAX: usize = 32;

/// Ends a reservation on one vector whose last `tail` nodes are blank (spare and idle):
/// keeps up to [`IDLE_MAX`] of them idle and drops the rest; returns how many stay idle. If
/// without the blank nodes more than a quarter of the capacity (and more than 64 nodes)
/// would be unused, drops them all and shrinks the capacity to the length plus the
/// sixteenth [`Flat::try_grow`] would add. Shrinking copies a `Vec` (the internal nodes; the
/// leaves' chunks are freed whole), which only a reservation much larger than the tree makes
/// worth it; ordinary reservations leave the capacity alone.
fn release_tail<V: NodeVec>(nodes: &mut V, tail: usize) -> usize {
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

/// The two node vectors: [`Flat`] for the internal nodes, [`Chunks`] for the leaves.
trait NodeVec {
    fn len(&self) -> usize;
    fn capacity(&self) -> usize;
    fn truncate(&mut self, len: usize);
    fn shrink_to(&mut self, min: usize);
}

macro_rules! node_vec {
    ($($vec:ident),*) => {$(
        impl<N> NodeVec for $vec<N> {
            fn len(&self) -> usize {
                $vec::len(self)
            }
            fn capacity(&self) -> usize {
                $vec::capacity(self)
            }
            fn truncate(&mut self, len: usize) {
                $vec::truncate(self, len);
            }
            fn shrink_to(&mut self, min: usize) {
                $vec::shrink_to(self, min);
            }
        }
    )*};
}
node_vec!(Flat, Chunks);

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
    leaves: Chunks<Leaf<T>>,
    internals: Flat<Internal>,
    free_leaves: FreeList,
    free_internals: FreeList,
    /// Blank nodes at the end of each vector that no free list links (N1), before the idle
    /// ones.
    spare: NodeBudget,
    /// Blank nodes at the very end of each vector, kept between reservations (N4).
    idle: NodeBudget,
    /// Net nodes the running write may still take (debug bookkeeping of the reservation).
    budget: NodeBudget,
    /// Live leaves when they were last laid out in key order (a relayout or a bulk build).
    laid_out: usize,
    /// Tests only: relayouts made.
    #[cfg(test)]
    relayouts: usize,
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
            leaves: Chunks::new(),
            internals: Flat::new(),
            free_leaves: FreeList::EMPTY,
            free_internals: FreeList::EMPTY,
            spare: NodeBudget { leaves: 0, internals: 0 },
            idle: NodeBudget { leaves: 0, internals: 0 },
            budget: NodeBudget { leaves: 0, internals: 0 },
            laid_out: 0,
            #[cfg(test)]
            relayouts: 0,
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

    /// Every internal node, by id: for a descent, which reads one per level.
    #[inline]
    pub(crate) fn internals(&self) -> &[Internal] {
        self.internals.as_slice()
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
            + self.leaves.table_bytes()
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
        self.leaves = Chunks::new();
        self.internals = Flat::new();
        self.free_leaves = FreeList::EMPTY;
        self.free_internals = FreeList::EMPTY;
        self.spare = NodeBudget::default();
        self.idle = NodeBudget::default();
        self.budget = NodeBudget::default();
        self.laid_out = 0;
    }

    /// Leaves in use by the tree: not free, spare or idle.
    #[inline]
    fn live_leaves(&self) -> usize {
        self.leaves.len() - self.idle.leaves - self.spare.leaves - self.free_leaves.count
    }

    /// Records that the live leaves are in key order (after a bulk build, which pushes them
    /// so), for [`Arena::relayout_due`].
    pub(crate) fn mark_laid_out(&mut self) {
        self.laid_out = self.live_leaves();
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
            if self.leaves.len() >= NO_NODE as usize || self.leaves.try_grow().is_err() {
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
            if self.internals.len() >= NO_NODE as usize || self.internals.try_grow().is_err() {
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

    /// Adds a blank leaf after the others, to be filled in place (a bulk build); returns its
    /// id. The arena must have no free or spare leaf, so that ids follow the order of the
    /// calls.
    pub(crate) fn push_blank_leaf(&mut self) -> Result<NodeId, Error> {
        debug_assert!(self.free_leaves.count == 0 && self.spare.leaves == 0 && self.idle.leaves == 0);
        if !self.allocation_allowed() || self.leaves.len() >= NO_NODE as usize || self.leaves.try_grow().is_err() {
            return Err(Error::NoMemory);
        }
        self.leaves.push(Leaf::empty());
        Ok((self.leaves.len() - 1) as NodeId)
    }

    /// Removes the last leaf, `id`, which a bulk build pushed ([`Arena::push_blank_leaf`])
    /// and then emptied (its values moved out); no link may point at it.
    pub(crate) fn pop_leaf(&mut self, id: NodeId) {
        debug_assert_eq!(id as usize + 1, self.leaves.len());
        self.leaves.pop();
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

    /// Puts the live leaves of the tree rooted at `root` (`height` levels) into key order at
    /// the front of their vector, fixing the links to them; internal nodes stay where they
    /// are. The blank leaves (free and spare) follow them: with `keep_blank` as spare leaves,
    /// so a reservation in progress keeps its nodes (R1); without it they are dropped and the
    /// vector shrunk to fit. Returns the root's new id, or `None` (nothing changed) if the
    /// system has no memory for the map of new ids (4 bytes a leaf). O(leaves); a leaf
    /// already in place (all of them after a build in address order) is not moved, the
    /// others are swapped into place along the permutation's cycles. Node ids change, so no
    /// path into the tree may be kept across it.
    pub(crate) fn relayout_leaves(&mut self, root: NodeId, height: usize, keep_blank: bool) -> Option<NodeId> {
        if root == NO_NODE {
            return Some(root);
        }
        self.drop_idle();
        let len = self.leaves.len();
        // `place[old id]`: the leaf's new id.
        let mut place: Vec<NodeId> = Vec::new();
        place.try_reserve_exact(len).ok()?;
        place.resize(len, NO_NODE);
        let mut live = 0;
        let mut assign = |id: NodeId| -> NodeId {
            place[id as usize] = live;
            live += 1;
            live - 1
        };
        let root = if height == 1 {
            assign(root)
        } else {
            // Depth-first over the internal nodes, so the leaves are met in key order. An
            // entry is (node, next slot to visit, levels above the leaves).
            let mut stack: ArrayVec<(NodeId, u8, u8), MAX_HEIGHT> = ArrayVec::new();
            stack.push((root, 0, (height - 1) as u8));
            while let Some(top) = stack.last_mut() {
                let (id, slot, above) = *top;
                let node = &mut self.internals[id as usize];
                let slot = usize::from(slot);
                if slot == node.len() {
                    stack.pop();
                    continue;
                }
                top.1 += 1;
                if above == 1 {
                    node.children[slot] = assign(node.children[slot]);
                } else {
                    stack.push((node.children[slot], 0, above - 1));
                }
            }
            root
        };
        let live = live as usize;
        for (next, new) in (live as NodeId..).zip(place.iter_mut().filter(|new| **new == NO_NODE)) {
            *new = next;
        }
        // The leaf at `i` belongs at `place[i]`: swap it there, and go on with the leaf that
        // came back, until the one at `i` is in place.
        for i in 0..len {
            while place[i] as usize != i {
                let j = place[i] as usize;
                self.leaves.swap(i, j);
                place.swap(i, j);
            }
        }
        // The blank leaves, free-list links cleared: spare ones, or none.
        for leaf in self.leaves.iter_mut_from(live) {
            leaf.set_free_link(u64::MAX);
        }
        self.free_leaves = FreeList::EMPTY;
        if keep_blank {
            self.spare.leaves = len - live;
        } else {
            self.leaves.truncate(live);
            self.leaves.shrink_to_fit();
            self.spare.leaves = 0;
        }
        self.laid_out = live;
        #[cfg(test)]
        {
            self.relayouts += 1;
        }
        Some(root)
    }

    /// Whether the live leaves have grown by half since they were last laid out in key order
    /// ([`Arena::relayout_leaves`]) and number at least [`RELAYOUT_FLOOR`]: the trigger of
    /// the tree-level stores' amortised relayout. Blank leaves do not count: a relayout keeps
    /// them, so counting them would make it due again at once.
    #[inline]
    pub(crate) fn relayout_due(&self) -> bool {
        self.live_leaves() >= (self.laid_out + self.laid_out / 2).max(RELAYOUT_FLOOR)
    }

    /// Mutable access to several leaves at once, in the order of `ids`, which must be
    /// distinct live leaves (for the mutable iterators). O(k log k) for k ids.
    pub(crate) fn leaves_mut(&mut self, ids: &[NodeId]) -> Vec<&mut Leaf<T>> {
        let mut order: Vec<usize> = (0..ids.len()).collect();
        order.sort_unstable_by_key(|&i| ids[i]);
        let mut placed: Vec<Option<&mut Leaf<T>>> = (0..ids.len()).map(|_| None).collect();
        let leaves = self.leaves.get_sorted_mut(order.iter().map(|&i| ids[i] as usize));
        for (leaf, &i) in leaves.into_iter().zip(&order) {
            placed[i] = Some(leaf);
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
        let leaves = self.leaves.try_clone_prefix(leaf_count).map_err(|_| Error::NoMemory)?;
        let internals = self.internals.try_clone_prefix(internal_count).map_err(|_| Error::NoMemory)?;
        Ok(Arena {
            leaves,
            internals,
            free_leaves: self.free_leaves,
            free_internals: self.free_internals,
            spare: self.spare,
            idle: NodeBudget::default(),
            budget: NodeBudget::default(),
            laid_out: self.laid_out,
            #[cfg(test)]
            relayouts: 0,
            #[cfg(feature = "failure-injection")]
            fail_at: None,
        })
    }
}

#[cfg(test)]
mod tests;

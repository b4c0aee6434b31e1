//! [`MapleTree`]: the safe, self-contained interface (the kernel's `mtree_*` calls).
//!
//! # What the tree layer adds to the node layer
//!
//! The node layer ([`crate::node`]) only knows slots and pivots. A tree adds, numbered as
//! [`crate::validate`] checks them:
//!
//! * T1: pivots ascend strictly within a node and lie inside the node's implied limits; the
//!   root covers `0..=u64::MAX`, and every child covers exactly its parent slot's range.
//! * T2: every leaf is at depth `height`; every internal slot up to `len` links a live node
//!   of the level below, and every live node is linked exactly once.
//! * T3: a node that is neither the root nor on the right spine holds at least
//!   `MIN_SLOTS` (7) slots.
//! * T4: no two adjacent slots of the leaf level are NULL, across leaves too; no leaf but the
//!   last ends in NULL; an empty tree has no node.
//! * T5: `len` equals the number of non-NULL slots.
//!
//! NULL (`None`) ranges are explicit: the tree is a total map from `0..=u64::MAX` (of stored
//! keys; a tree of key type `K` stores nothing above `K::MAX`, K1 of [`crate::key`]), and
//! absent keys read as NULL. Equal neighbouring values are never merged: two stores of the same
//! value make two ranges.

use crate::error::Error;
use crate::iter::{IntoIter, Iter, Range};
use crate::key::{key_range, raw_bounds, Key};
use crate::node::{slot_of, slot_range, Arena, NO_NODE};
use core::fmt;
use core::marker::PhantomData;
use core::ops::{RangeBounds, RangeInclusive};

/// A map from non-overlapping inclusive ranges of keys of type `K` (`u64` by default, any
/// [`Key`]) to values, laid out as the Linux kernel's maple tree: a B-tree of 16-slot nodes
/// whose leaves store ranges, with NULL ranges explicit and merged, and every store able to
/// split or overwrite what it covers. See the crate docs' "Key types" for `K`.
///
/// ```
/// use maple_tree::MapleTree;
///
/// let mut tree = MapleTree::new();
/// tree.store_range(10, 20, "a")?;
/// tree.store_range(13, 15, "b")?; // splits "a" in two
/// assert_eq!(tree.load(12), Some(&"a"));
/// assert_eq!(tree.load(14), Some(&"b"));
/// assert_eq!(tree.load(16), Some(&"a"));
/// let ranges: Vec<_> = tree.iter().map(|(r, v)| (r, *v)).collect();
/// assert_eq!(ranges, [(10..=12, "a"), (13..=15, "b"), (16..=20, "a")]);
///
/// assert_eq!(tree.erase(11)?, Some("a")); // erases the whole range 10..=12
/// assert_eq!(tree.load(10), None);
/// assert_eq!(tree.len(), 2);
/// # Ok::<(), maple_tree::Error>(())
/// ```
pub struct MapleTree<T, K: Key = u64> {
    pub(crate) arena: Arena<T>,
    /// The root node, or [`NO_NODE`] for an empty tree.
    pub(crate) root: u32,
    /// Levels of nodes: 0 for an empty tree, 1 for a single leaf.
    pub(crate) height: u8,
    /// Stored (non-NULL) ranges.
    pub(crate) len: usize,
    /// Whether internal nodes keep exact gaps (an allocation tree, see [`MapleTree::new_alloc`]).
    pub(crate) alloc: bool,
    /// Set when [`MapleTree::alloc_cyclic`] handed out `K::MAX`, so that its next call
    /// reports the wrap (the kernel's `MT_FLAGS_ALLOC_WRAPPED`).
    pub(crate) cyclic_wrapped: bool,
    /// The key type (K1 of [`crate::key`]: nothing is stored above `K::MAX`).
    pub(crate) key: PhantomData<fn() -> K>,
}

impl<T> MapleTree<T> {
    /// An empty tree with `u64` keys. Allocates nothing. (For another key type,
    /// [`MapleTree::new_keyed`]: Rust does not infer a type parameter from its default, so
    /// `new` names the default key type and `MapleTree::new()` needs no annotation.)
    #[doc(alias = "mt_init")]
    pub const fn new() -> Self {
        Self::new_keyed()
    }

    /// An empty **allocation tree** (the kernel's `MT_FLAGS_ALLOC_RANGE`): internal nodes also
    /// record the largest NULL range below each child, so that the free-range searches
    /// ([`MapleTree::empty_area`], [`MapleTree::empty_area_rev`] and the `alloc_*` calls) cost
    /// O(height) instead of a walk over the leaves. Writes pay a little to keep the gaps
    /// exact; everything else behaves as in [`MapleTree::new`]. Allocates nothing.
    ///
    /// ```
    /// let mut ids = maple_tree::MapleTree::new_alloc();
    /// ids.store_range(0, 9, "reserved")?;
    /// assert_eq!(ids.alloc_area(0, 100, 4, "four ids")?, 10);
    /// assert_eq!(ids.load_range(12), Some((10..=13, &"four ids")));
    /// # Ok::<(), maple_tree::Error>(())
    /// ```
    #[doc(alias = "MT_FLAGS_ALLOC_RANGE")]
    pub const fn new_alloc() -> Self {
        Self::new_alloc_keyed()
    }
}

impl<T, K: Key> MapleTree<T, K> {
    /// An empty tree with keys of type `K` (any [`Key`]); [`MapleTree::new`] for `u64`.
    /// Allocates nothing.
    ///
    /// ```
    /// let mut ports = maple_tree::MapleTree::<&str, u16>::new_keyed();
    /// ports.set(0..1024, "privileged")?;
    /// ports.set(49152.., "ephemeral")?;
    /// assert_eq!(ports.get_key_value(u16::MAX), Some((49152..=u16::MAX, &"ephemeral")));
    /// assert_eq!(ports.gaps(..).collect::<Vec<_>>(), [1024..=49151]);
    /// # Ok::<(), maple_tree::Error>(())
    /// ```
    pub const fn new_keyed() -> Self {
        MapleTree {
            arena: Arena::new(),
            root: NO_NODE,
            height: 0,
            len: 0,
            alloc: false,
            cyclic_wrapped: false,
            key: PhantomData,
        }
    }

    /// An empty allocation tree ([`MapleTree::new_alloc`]) with keys of type `K`.
    /// Allocates nothing.
    ///
    /// ```
    /// let mut ids = maple_tree::MapleTree::<char, u8>::new_alloc_keyed();
    /// assert_eq!(ids.alloc_area(0, u8::MAX, 200, 'a')?, 0);
    /// assert_eq!(ids.alloc_area(0, u8::MAX, 56, 'b')?, 200);
    /// assert_eq!(ids.alloc_area(0, u8::MAX, 1, 'c'), Err(maple_tree::Error::Busy)); // full
    /// # Ok::<(), maple_tree::Error>(())
    /// ```
    pub const fn new_alloc_keyed() -> Self {
        MapleTree {
            arena: Arena::new(),
            root: NO_NODE,
            height: 0,
            len: 0,
            alloc: true,
            cyclic_wrapped: false,
            key: PhantomData,
        }
    }

    /// Whether this is an allocation tree ([`MapleTree::new_alloc`]).
    #[doc(alias = "mt_is_alloc")]
    pub const fn is_alloc(&self) -> bool {
        self.alloc
    }

    /// The value stored at `index`, if any.
    ///
    /// ```
    /// let mut tree = maple_tree::MapleTree::new();
    /// tree.store_range(0x1000, 0x1fff, 1)?;
    /// assert_eq!(tree.load(0x1800), Some(&1));
    /// assert_eq!(tree.load(0x2000), None);
    /// # Ok::<(), maple_tree::Error>(())
    /// ```
    #[doc(alias = "mtree_load")]
    #[doc(alias = "get")]
    #[inline]
    pub fn load(&self, index: K) -> Option<&T> {
        let index = index.to_u64();
        // One descent that follows children only: the slot limits `load_range` keeps track
        // of are not needed for the value.
        if self.root == NO_NODE {
            return None;
        }
        let mut node = self.root;
        for _ in 1..self.height {
            let n = self.arena.internal(node);
            node = n.child(slot_of(n.pivots(), index));
        }
        let leaf = self.arena.leaf(node);
        leaf.get(slot_of(leaf.pivots(), index))
    }

    /// The entry holding `index` with its whole range, if any.
    ///
    /// ```
    /// let mut tree = maple_tree::MapleTree::new();
    /// tree.store_range(10, 19, 'x')?;
    /// assert_eq!(tree.load_range(15), Some((10..=19, &'x')));
    /// # Ok::<(), maple_tree::Error>(())
    /// ```
    #[doc(alias = "get_key_value")]
    pub fn load_range(&self, index: K) -> Option<(RangeInclusive<K>, &T)> {
        let (leaf, off, first, last) = self.leaf_slot(index.to_u64())?;
        let value = self.arena.leaf(leaf).get(off)?;
        Some((key_range(first, last), value))
    }

    /// The leaf covering `index`, with its limits: a lean descent that keeps no path. The
    /// tree must not be empty.
    #[inline]
    pub(crate) fn leaf_at(&self, index: u64) -> (u32, u64, u64) {
        let (mut node, mut min, mut max) = (self.root, 0, u64::MAX);
        let internals = self.arena.internals();
        for _ in 1..self.height {
            let n = &internals[node as usize];
            let off = slot_of(n.pivots(), index);
            (min, max) = n.slot_range(off, min, max);
            node = n.child(off);
        }
        (node, min, max)
    }

    /// The leaf and slot holding `index`, with the slot's range; `None` for an empty tree.
    pub(crate) fn leaf_slot(&self, index: u64) -> Option<(u32, usize, u64, u64)> {
        if self.root == NO_NODE {
            return None;
        }
        let (node, min, max) = self.leaf_at(index);
        let leaf = self.arena.leaf(node);
        let off = slot_of(leaf.pivots(), index);
        let len = leaf.len();
        plant!('B' => let len = if len == crate::node::SLOTS { len - 1 } else { len });
        let (first, last) = slot_range(leaf.pivots(), len, off, min, max);
        Some((node, off, first, last))
    }

    /// The first entry overlapping `[start, max]`, with its whole range; `None` if there is
    /// none or `start > max`.
    ///
    /// ```
    /// let mut tree = maple_tree::MapleTree::new();
    /// tree.store_range(10, 19, 'a')?;
    /// tree.store_range(30, 39, 'b')?;
    /// assert_eq!(tree.find(20, 100), Some((30..=39, &'b')));
    /// assert_eq!(tree.find(15, 100), Some((10..=19, &'a')));
    /// assert_eq!(tree.find(20, 29), None);
    /// # Ok::<(), maple_tree::Error>(())
    /// ```
    #[doc(alias = "mt_find")]
    pub fn find(&self, start: K, max: K) -> Option<(RangeInclusive<K>, &T)> {
        self.range(start..=max).next()
    }

    /// The last entry overlapping `[min, start]`, with its whole range; `None` if there is
    /// none or `min > start`.
    ///
    /// ```
    /// let mut tree = maple_tree::MapleTree::new();
    /// tree.store_range(10, 19, 'a')?;
    /// tree.store_range(30, 39, 'b')?;
    /// assert_eq!(tree.find_rev(29, 0), Some((10..=19, &'a')));
    /// assert_eq!(tree.find_rev(29, 20), None);
    /// # Ok::<(), maple_tree::Error>(())
    /// ```
    pub fn find_rev(&self, start: K, min: K) -> Option<(RangeInclusive<K>, &T)> {
        self.range(min..=start).next_back()
    }

    /// All entries in key order, each with its range.
    pub fn iter(&self) -> Iter<'_, T, K> {
        Iter::new(self)
    }

    /// The entries overlapping `range`, in key order; each item carries the entry's whole
    /// range, which may reach outside `range`. An empty `range` yields nothing.
    ///
    /// ```
    /// let mut tree = maple_tree::MapleTree::new();
    /// for i in 0..10u64 {
    ///     tree.store_range(i * 10, i * 10 + 4, i)?;
    /// }
    /// let hits: Vec<_> = tree.range(22..=41).map(|(r, v)| (r, *v)).collect();
    /// assert_eq!(hits, [(20..=24, 2), (30..=34, 3), (40..=44, 4)]);
    /// let last_two: Vec<_> = tree.range(..).rev().take(2).map(|(_, v)| *v).collect();
    /// assert_eq!(last_two, [9, 8]);
    /// # Ok::<(), maple_tree::Error>(())
    /// ```
    pub fn range<R: RangeBounds<K>>(&self, range: R) -> Range<'_, T, K> {
        match raw_bounds(&range) {
            Some((first, last)) => Range::new(self, first, last),
            None => Range::new(self, 1, 0),
        }
    }

    /// Number of stored (non-NULL) ranges.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no key holds a value.
    #[doc(alias = "mtree_empty")]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Removes every entry and frees every node.
    #[doc(alias = "mtree_destroy")]
    pub fn clear(&mut self) {
        self.arena.clear();
        self.root = NO_NODE;
        self.height = 0;
        self.len = 0;
        self.cyclic_wrapped = false;
    }

    /// Levels of nodes: 0 for an empty tree, 1 when a single leaf holds everything.
    #[doc(alias = "mt_height")]
    pub fn height(&self) -> usize {
        usize::from(self.height)
    }

    /// Bytes of node memory the tree holds, free nodes included (exactly: the capacity of the
    /// node vectors). The tree-level removals give free nodes back once they outnumber the
    /// live ones three to one (amortised O(1) per freed node); [`MapleTree::shrink_to_fit`]
    /// releases every free one.
    pub fn memory_bytes(&self) -> usize {
        self.arena.memory_bytes()
    }

    /// Gives the memory of every free node back to the allocator, so that
    /// [`MapleTree::memory_bytes`] covers the live nodes only (`Vec::shrink_to_fit`'s name).
    /// A tree keeps the nodes its removals free for later stores, up to three free nodes per
    /// live one: the tree-level removals ([`MapleTree::erase`], [`MapleTree::remove_range`],
    /// `remove`, `retain`, `pop_*`...) compact the arena past that, while removals through a
    /// cursor or a [`crate::Reservation`] never do. This returns every free node at once.
    /// O(nodes allocated); moves nodes, not values. Cannot fail (shrinking needs no new
    /// memory).
    ///
    /// ```
    /// let mut tree = maple_tree::MapleTree::new();
    /// for i in 0..10_000u64 {
    ///     tree.store_range(i * 2, i * 2, i)?;
    /// }
    /// let full = tree.memory_bytes();
    /// tree.retain(|range, _| *range.start() < 200);
    /// assert!(tree.memory_bytes() * 4 < full); // given back as the tree shrank
    /// tree.shrink_to_fit();
    /// assert!(tree.memory_bytes() * 20 < full);
    /// assert_eq!(tree.len(), 100);
    /// tree.validate().unwrap();
    /// # Ok::<(), maple_tree::Error>(())
    /// ```
    pub fn shrink_to_fit(&mut self) {
        // The leaves first, in key order (which leaves them no holes to fill); if that finds
        // no memory for the new vector, compaction moves them into the holes instead.
        if let Some(root) = self.arena.relayout_leaves(self.root, self.height(), false) {
            self.root = root;
        }
        self.root = self.arena.compact(self.root, self.height());
    }

    /// The tree-level stores' amortised relayout: once the leaves have grown by half
    /// since they were last laid out in key order, puts them in key order again
    /// (`Arena::relayout_leaves`). Right after a relayout every leaf is in key order; each
    /// split since then keeps its first part in place and puts the rest in a new leaf at
    /// the vector's end, so at most a third of the leaves are out of place. Iterating a tree
    /// built by random inserts then reads memory mostly front to back instead of hopping a
    /// cache miss per leaf. The cost is O(leaves) per relayout, O(1) amortised per store
    /// (about three visits per leaf, paid by the stores that allocated the leaves, like a
    /// vector's growth), and nearly nothing for leaves already in place. Node ids change,
    /// so a cursor's write that triggers it walks the cursor's path again afterwards; a
    /// [`crate::Reservation`] keeps its blank nodes through it. Skipped, changing nothing,
    /// if the system has no memory for the map of new ids. Returns whether node ids may
    /// have changed.
    #[inline]
    pub(crate) fn relayout_if_due(&mut self) -> bool {
        let due = self.arena.relayout_due();
        if due {
            self.relayout_now();
        }
        due
    }

    #[cold]
    fn relayout_now(&mut self) {
        if let Some(root) = self.arena.relayout_leaves(self.root, self.height(), true) {
            self.root = root;
        }
    }

    /// The arena's amortised release (after the tree-level removals): compacts once the free
    /// nodes outnumber the live ones three to one and are more than [`SHRINK_FLOOR`]. After a
    /// compaction the arena holds only live nodes, so the next one needs three quarters of
    /// them freed first: its O(nodes) cost is paid by the removals that freed them, O(1) per
    /// freed node. Never called through a cursor or a [`crate::Reservation`], which hold
    /// node ids or reserved nodes.
    #[inline]
    pub(crate) fn shrink_if_sparse(&mut self) {
        let (free_leaves, free_internals) = self.arena.free_counts();
        let (leaves, internals) = self.arena.allocated();
        let free = free_leaves + free_internals;
        if free > SHRINK_FLOOR && free * 4 > (leaves + internals) * 3 {
            self.shrink_to_fit();
        }
    }

    /// Frees every node (for a store that replaces the whole tree).
    pub(crate) fn free_all(&mut self) {
        if self.root != NO_NODE {
            self.arena.free_subtree(self.root, usize::from(self.height) - 1);
        }
        self.root = NO_NODE;
        self.height = 0;
        self.len = 0;
    }

    /// Restores the root invariants after a write: a root with one child hands over to it,
    /// and a root leaf holding one NULL range is an empty tree.
    pub(crate) fn fix_root(&mut self) {
        while self.height > 1 && self.arena.internal(self.root).len() == 1 {
            let child = self.arena.internal(self.root).child(0);
            self.arena.free_internal(self.root);
            self.root = child;
            self.height -= 1;
        }
        if self.height == 1 {
            let leaf = self.arena.leaf(self.root);
            if leaf.len() == 1 && !leaf.has_value(0) {
                self.arena.free_leaf(self.root);
                self.root = NO_NODE;
                self.height = 0;
            }
        }
    }

    /// Testing only: makes the `n`-th next node allocation fail (`Some(0)` is the very next
    /// one); `None` turns failure injection off.
    #[cfg(feature = "failure-injection")]
    #[doc(hidden)]
    pub fn fail_nth_alloc(&mut self, n: Option<u64>) {
        self.arena.fail_nth_alloc(n);
    }

    /// Nodes allocated for the tree, live or free, as `(leaves, internal nodes)`; not the
    /// few blank nodes kept between reservations (they show in [`MapleTree::memory_bytes`]).
    pub fn allocated_nodes(&self) -> (usize, usize) {
        self.arena.allocated()
    }
}

/// The inclusive stored range of a `RangeBounds<u64>`, or `None` if it is empty.
pub(crate) fn bounds<R: RangeBounds<u64>>(range: &R) -> Option<(u64, u64)> {
    raw_bounds(range)
}

/// Free nodes below which removals never compact the arena (see
/// [`MapleTree::shrink_if_sparse`]): a small tree keeps its few free nodes for the next stores.
pub(crate) const SHRINK_FLOOR: usize = 64;

impl<T, K: Key> MapleTree<T, K> {
    /// Stores `value` over `first..=last` only if no key in it holds a value (never
    /// overwrites, unlike `BTreeMap::insert`; [`MapleTree::try_insert`] is the same with any
    /// range form). Needs no `T: Clone`.
    ///
    /// # Errors
    /// [`Error::Invalid`] if `first > last`; [`Error::Exists`] if any key in the range holds
    /// a value; [`Error::NoMemory`]. The tree is unchanged on error.
    ///
    /// ```
    /// use maple_tree::{Error, MapleTree};
    /// let mut tree = MapleTree::new();
    /// tree.insert_range(10, 19, 1)?;
    /// assert_eq!(tree.insert_range(19, 25, 2), Err(Error::Exists));
    /// tree.insert_range(20, 25, 2)?;
    /// # Ok::<(), Error>(())
    /// ```
    #[doc(alias = "mtree_insert_range")]
    #[doc(alias = "try_insert")]
    pub fn insert_range(&mut self, first: K, last: K, value: T) -> Result<(), Error> {
        self.insert_raw(first.to_u64(), last.to_u64(), value)
    }

    /// Stores `value` at `index` only if it holds nothing; see [`MapleTree::insert_range`].
    ///
    /// **Not `BTreeMap::insert`**: this never overwrites (it is the kernel's `mtree_insert`,
    /// and nightly std's `try_insert`); on an occupied key it fails with [`Error::Exists`],
    /// which `#[must_use]` makes hard to ignore. The overwriting store is
    /// [`MapleTree::store`]/[`MapleTree::store_range`].
    ///
    /// ```
    /// use maple_tree::{Error, MapleTree};
    /// let mut tree = MapleTree::new();
    /// tree.insert(5, 'a')?;
    /// assert_eq!(tree.insert(5, 'b'), Err(Error::Exists)); // no overwrite
    /// tree.store(5, 'b')?; // overwrites
    /// assert_eq!(tree[5], 'b');
    /// # Ok::<(), Error>(())
    /// ```
    #[doc(alias = "mtree_insert")]
    pub fn insert(&mut self, index: K, value: T) -> Result<(), Error> {
        self.insert_range(index, index, value)
    }

    /// Removes the **whole** range holding `index` and returns its value; `Ok(None)` (and no
    /// change) if `index` holds nothing. Needs no `T: Clone`; [`MapleTree::remove`] is the std
    /// name, which panics on allocation failure instead.
    ///
    /// # Errors
    /// [`Error::NoMemory`] if merging the freed range with its NULL neighbours needs a node
    /// that cannot be allocated; the tree is unchanged then.
    #[doc(alias = "mtree_erase")]
    #[doc(alias = "remove")]
    pub fn erase(&mut self, index: K) -> Result<Option<T>, Error> {
        let old = self.erase_keeping_nodes(index.to_u64())?;
        self.shrink_if_sparse();
        Ok(old)
    }
}

impl<T: Clone, K: Key> MapleTree<T, K> {
    /// Stores `value` over `first..=last`, overwriting whatever was there: a range partly
    /// covered keeps its uncovered part (cloned when the store splits it in two), ranges
    /// wholly covered are dropped.
    ///
    /// # Errors
    /// [`Error::Invalid`] if `first > last`; [`Error::NoMemory`] if a node could not be
    /// allocated. The tree is unchanged on error.
    ///
    /// ```
    /// let mut tree = maple_tree::MapleTree::new();
    /// tree.store_range(0, 99, 'a')?;
    /// tree.store_range(50, 149, 'b')?;
    /// assert_eq!(tree.load_range(10), Some((0..=49, &'a')));
    /// assert_eq!(tree.load_range(100), Some((50..=149, &'b')));
    /// assert_eq!(tree.store_range(5, 4, 'c'), Err(maple_tree::Error::Invalid));
    /// # Ok::<(), maple_tree::Error>(())
    /// ```
    #[doc(alias = "mtree_store_range")]
    #[doc(alias = "insert")]
    pub fn store_range(&mut self, first: K, last: K, value: T) -> Result<(), Error> {
        self.write(first.to_u64(), last.to_u64(), Some(value))
    }

    /// Stores `value` at the single key `index`; see [`MapleTree::store_range`].
    #[doc(alias = "mtree_store")]
    pub fn store(&mut self, index: K, value: T) -> Result<(), Error> {
        self.store_range(index, index, value)
    }

    /// Removes the values of `first..=last`, trimming or splitting ranges that reach outside
    /// it (a NULL store). The NULL range left merges with NULL neighbours.
    ///
    /// # Errors
    /// [`Error::Invalid`] if `first > last`; [`Error::NoMemory`]. The tree is unchanged on
    /// error.
    ///
    /// ```
    /// let mut tree = maple_tree::MapleTree::new();
    /// tree.store_range(0, 99, 'a')?;
    /// tree.remove_range(40, 59)?;
    /// let ranges: Vec<_> = tree.iter().map(|(r, _)| r).collect();
    /// assert_eq!(ranges, [0..=39, 60..=99]);
    /// # Ok::<(), maple_tree::Error>(())
    /// ```
    pub fn remove_range(&mut self, first: K, last: K) -> Result<(), Error> {
        self.write(first.to_u64(), last.to_u64(), None)?;
        self.shrink_if_sparse();
        Ok(())
    }

    /// A copy of the tree that shares its nodes (copy-on-write), or [`Error::NoMemory`];
    /// [`Clone::clone`] does the same and aborts on allocation failure.
    ///
    /// The copy costs one reference count per 64 leaves plus the leaves of a last,
    /// partly filled chunk (fewer than 64): O(n / 64), no value is cloned. The two trees
    /// are independent: whichever writes shared nodes first copies them (a chunk of 64
    /// leaves, cloning their values, or all the internal nodes, a few percent of the tree's
    /// bytes), and a tree whose copies are gone writes in place again, at the cost of an
    /// unshared tree. So a clone is also a cheap **snapshot**: keep it, go on writing the
    /// original, and the clone still holds the state it was taken in.
    ///
    /// Values are shared until a write copies their chunk, so a value with interior
    /// mutability (`Cell`, `RefCell`, an atomic) changed through a `&T` of one tree shows
    /// in the other while they share it; values changed through the tree's own writes
    /// (`get_mut`, `iter_mut`, `retain`, stores) never do. For the same reason a tree is
    /// `Send` and `Sync` only if `T` is both. A write that copies shared nodes allocates
    /// them without a reservation, and aborts if the system has no memory for them.
    ///
    /// ```
    /// let mut tree = maple_tree::MapleTree::from_sorted((0..1_000u64).map(|i| (i * 2..=i * 2, i)))?;
    /// let snapshot = tree.try_clone()?;
    /// tree.store_range(0, 99, 7)?;
    /// assert_eq!(snapshot.get(10), Some(&5));
    /// assert_eq!(tree.get(10), Some(&7));
    /// # Ok::<(), maple_tree::Error>(())
    /// ```
    #[doc(alias = "__mt_dup")]
    #[doc(alias = "snapshot")]
    pub fn try_clone(&self) -> Result<Self, Error> {
        Ok(MapleTree { arena: self.arena.try_clone()?, ..self.shell() })
    }
}

impl<T, K: Key> Default for MapleTree<T, K> {
    /// An empty tree ([`MapleTree::new_keyed`]).
    fn default() -> Self {
        Self::new_keyed()
    }
}

impl<T: Clone, K: Key> Clone for MapleTree<T, K> {
    /// A copy-on-write clone, O(n / 64): see [`MapleTree::try_clone`].
    fn clone(&self) -> Self {
        MapleTree { arena: self.arena.clone(), ..self.shell() }
    }
}

impl<T: fmt::Debug, K: Key> fmt::Debug for MapleTree<T, K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl<T: PartialEq, K: Key> PartialEq for MapleTree<T, K> {
    fn eq(&self, other: &Self) -> bool {
        self.len == other.len && self.iter().eq(other.iter())
    }
}

impl<T: Eq, K: Key> Eq for MapleTree<T, K> {}

impl<'a, T, K: Key> IntoIterator for &'a MapleTree<T, K> {
    type Item = (RangeInclusive<K>, &'a T);
    type IntoIter = Iter<'a, T, K>;

    fn into_iter(self) -> Iter<'a, T, K> {
        self.iter()
    }
}

impl<T, K: Key> IntoIterator for MapleTree<T, K> {
    type Item = (RangeInclusive<K>, T);
    type IntoIter = IntoIter<T, K>;

    fn into_iter(self) -> IntoIter<T, K> {
        IntoIter::new(self)
    }
}

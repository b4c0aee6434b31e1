//! [`Reservation`]: the nodes of several writes, reserved before the first of them, so that a
//! caller with a multi-step change (the kernel's VMA operations: split, merge, move) can
//! allocate once and then make every step without a failure path.
//!
//! # The budget
//!
//! One store into a tree of height `h` takes at most `max_need(h)` nodes (the write path's
//! table, in the `write` module: one leaf and `h` internal nodes), and a store adds at most
//! one level. So `k` writes starting at height `h` take at most
//!
//! ```text
//! worst(k, h) = max_need(h) + max_need(h + 1) + ... + max_need(h + k - 1)
//! ```
//!
//! nodes, each height capped at the deepest tree the paths describe (16). The bound is
//! derived from `max_need` and nothing else; the write path checks, in debug builds, that
//! every store's own budget fits in `max_need` of its height, and the node arena checks that
//! no store takes more than its budget.
//!
//! # Invariant
//!
//! * R1: while a reservation has `k` writes left and the tree has height `h`, the tree holds
//!   at least `worst(k, h)` blank nodes (on its free lists or spare). It holds after
//!   [`MapleTree::reserve`]; a write at height `h` takes at most `max_need(h)` and leaves a
//!   height `h' <= h + 1`, and `worst(k, h) - max_need(h) = worst(k - 1, h + 1) >=
//!   worst(k - 1, h')`. So none of the `k` writes allocates, and none can fail with
//!   [`Error::NoMemory`]. Debug builds check R1 after every write, and that the write
//!   allocated nothing.
//!
//! # Failure and drop
//!
//! * [`MapleTree::reserve`] fails only with [`Error::NoMemory`]; the tree's content is
//!   unchanged and it holds no node the attempt allocated.
//! * A write through the reservation with an invalid range fails with [`Error::Invalid`],
//!   changes nothing and uses none of the reserved writes.
//! * Writes beyond the reserved number are ordinary writes: they reserve their own nodes and
//!   may fail with [`Error::NoMemory`], leaving the tree unchanged.
//! * Dropping the reservation releases the nodes reserved that no write took; nodes that
//!   writes freed stay in the tree's pool for later writes, as after any write.

use core::fmt;
use core::ops::Deref;

use crate::error::Error;
use crate::key::Key;
use crate::node::{NodeBudget, MAX_HEIGHT};
use crate::write::max_need;
use crate::MapleTree;

/// Nodes reserved for a number of writes, from [`MapleTree::reserve`]: the first
/// [`writes_left`](Reservation::writes_left) stores, removes and erases made through it
/// cannot fail with [`Error::NoMemory`]. It reads as the tree (`Deref`), so a caller can look
/// up what to write next. Dropping it releases the nodes no write took.
///
/// See the module docs for the budget and what each method does on failure.
pub struct Reservation<'t, T, K: Key = u64> {
    tree: &'t mut MapleTree<T, K>,
    writes: usize,
}

/// `worst(writes, height)` of the module docs: the nodes `writes` stores may take, the first
/// of them into a tree of `height` levels.
pub(crate) fn worst_case(writes: usize, height: usize) -> NodeBudget {
    let add = |total: NodeBudget, need: NodeBudget, times: usize| NodeBudget {
        leaves: total.leaves.saturating_add(need.leaves.saturating_mul(times)),
        internals: total.internals.saturating_add(need.internals.saturating_mul(times)),
    };
    let rising = writes.min(MAX_HEIGHT.saturating_sub(height));
    let total = (height..height + rising).fold(NodeBudget::default(), |total, h| add(total, max_need(h), 1));
    add(total, max_need(MAX_HEIGHT.max(height)), writes - rising)
}

impl<T, K: Key> MapleTree<T, K> {
    /// Reserves the nodes of `writes` writes at once (the worst case of each, see the
    /// [`Reservation`] docs); the writes are then made through the returned reservation and
    /// cannot fail with [`Error::NoMemory`]. This is how the kernel prepares a VMA operation
    /// that stores several ranges (`vma_iter_prealloc`, `mas_preallocate`) before it changes
    /// anything.
    ///
    /// # Errors
    /// [`Error::NoMemory`] if the nodes cannot be allocated; the tree's content is unchanged
    /// and the nodes allocated before the failure are released.
    ///
    /// ```
    /// use maple_tree::MapleTree;
    ///
    /// let mut tree = MapleTree::new();
    /// tree.store_range(0x1000, 0x4fff, "a")?;
    /// let mut reserved = tree.reserve(3)?;
    /// // None of these three can run out of memory.
    /// reserved.store_range(0x2000, 0x2fff, "b")?;
    /// reserved.remove_range(0x4000, 0x4fff)?;
    /// assert_eq!(reserved.erase(0x1800)?, Some("a"));
    /// assert_eq!(reserved.writes_left(), 0);
    /// assert_eq!(reserved.load(0x2800), Some(&"b")); // reads through to the tree
    /// drop(reserved); // releases the nodes the writes did not take
    /// let ranges: Vec<_> = tree.iter().map(|(r, v)| (r, *v)).collect();
    /// assert_eq!(ranges, [(0x2000..=0x2fff, "b"), (0x3000..=0x3fff, "a")]);
    /// # Ok::<(), maple_tree::Error>(())
    /// ```
    #[doc(alias = "mas_preallocate")]
    #[doc(alias = "vma_iter_prealloc")]
    pub fn reserve(&mut self, writes: usize) -> Result<Reservation<'_, T, K>, Error> {
        if let Err(e) = self.arena.reserve(worst_case(writes, self.height())) {
            self.arena.release_spare();
            return Err(e);
        }
        Ok(Reservation { tree: self, writes })
    }
}

impl<T, K: Key> Reservation<'_, T, K> {
    /// Writes left that cannot fail with [`Error::NoMemory`].
    pub fn writes_left(&self) -> usize {
        self.writes
    }

    /// Blank nodes the tree holds for the writes left, as `(leaves, internal nodes)`: at
    /// least their worst case.
    pub fn reserved_nodes(&self) -> (usize, usize) {
        self.tree.arena.free_counts()
    }

    /// [`MapleTree::erase`] through the reservation: removes the whole range holding `index`
    /// and returns its value.
    ///
    /// # Errors
    /// [`Error::NoMemory`] only once the reserved writes are used up.
    pub fn erase(&mut self, index: K) -> Result<Option<T>, Error> {
        self.write(|tree| tree.erase_keeping_nodes(index.to_u64()))
    }

    /// Makes one write; a successful one uses a reserved write while there are any.
    fn write<R>(&mut self, op: impl FnOnce(&mut MapleTree<T, K>) -> Result<R, Error>) -> Result<R, Error> {
        #[cfg(debug_assertions)]
        let allocated = self.tree.allocated_nodes();
        let result = op(self.tree);
        if self.writes > 0 {
            #[cfg(debug_assertions)]
            assert_eq!(self.tree.allocated_nodes(), allocated, "a reserved write allocated a node");
            if result.is_ok() {
                self.writes -= 1;
            }
            debug_assert!(
                {
                    let (leaves, internals) = self.reserved_nodes();
                    worst_case(self.writes, self.tree.height()).fits_in(NodeBudget { leaves, internals })
                },
                "R1: fewer blank nodes than the writes left may take"
            );
        }
        result
    }
}

/// The stores that may cut a value in two need `T: Clone`, as on the tree.
impl<T: Clone, K: Key> Reservation<'_, T, K> {
    /// [`MapleTree::store_range`] through the reservation.
    ///
    /// # Errors
    /// [`Error::Invalid`] if `first > last` (nothing changes, no reserved write is used);
    /// [`Error::NoMemory`] only once the reserved writes are used up.
    #[doc(alias = "mas_store_prealloc")]
    pub fn store_range(&mut self, first: K, last: K, value: T) -> Result<(), Error> {
        self.write(|tree| tree.store_range(first, last, value))
    }

    /// [`MapleTree::store`] through the reservation; see [`Reservation::store_range`].
    pub fn store(&mut self, index: K, value: T) -> Result<(), Error> {
        self.store_range(index, index, value)
    }

    /// [`MapleTree::remove_range`] through the reservation.
    ///
    /// # Errors
    /// As [`Reservation::store_range`].
    pub fn remove_range(&mut self, first: K, last: K) -> Result<(), Error> {
        self.write(|tree| tree.write(first.to_u64(), last.to_u64(), None))
    }
}

impl<T, K: Key> Deref for Reservation<'_, T, K> {
    type Target = MapleTree<T, K>;

    fn deref(&self) -> &MapleTree<T, K> {
        self.tree
    }
}

impl<T, K: Key> Drop for Reservation<'_, T, K> {
    /// Releases the reserved nodes no write took (the kernel's `mas_destroy`).
    fn drop(&mut self) {
        self.tree.arena.release_spare();
    }
}

impl<T, K: Key> fmt::Debug for Reservation<'_, T, K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reservation").field("writes_left", &self.writes).finish_non_exhaustive()
    }
}

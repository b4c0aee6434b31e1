//! The maple state: cursors over a tree with the kernel's `ma_state` semantics.
//!
//! A cursor holds a range (`index..=last`), a [`Status`] and, while [`Status::Active`], the
//! slot it sits on (with the path from the root, so stepping to a neighbouring slot costs
//! O(1) amortised). Every operation reports the range of the slot it ends on through
//! [`Cursor::index`] and [`Cursor::last`], **NULL slots included**: a walk into a hole tells
//! where the hole begins and ends.
//!
//! Statuses and what each operation does from them (the kernel's `check_state_handling` is
//! the specification; `max`/`min` are the operation's limit):
//!
//! | status | meaning | `next`/`find` | `prev`/`find_rev` |
//! |---|---|---|---|
//! | `Start` | not walked yet | walk to `index` first | walk to `index` first |
//! | `Active` | on a slot | step from it | step from it |
//! | `Pause` | position forgotten | `find` resumes at `last + 1` | `find_rev` resumes at `index - 1` |
//! | `None` | the tree was empty | walk again | walk again |
//! | `Overflow` | ran past `max` | continue if `max` grew | re-walk: `prev` returns the entry under `index` |
//! | `Underflow` | ran below `min` | re-walk: `next` returns the entry under `index` | continue if `min` shrank |
//! | `Error(e)` | a write failed | nothing | nothing |
//!
//! Invariant C1: while a cursor is `Active`, its path leads from the root to a live slot that
//! holds `index()` (a fit found by `empty_area` lies inside the NULL slot the cursor is on).
//! A [`CursorMut`] is the only writer while it lives and leaves its path walked after every
//! write, so its writes start from that path (the lowest node on it that covers the write's
//! first key) instead of from the root, as the kernel's store reuses the node it walked to.
//!
//! `next`/`prev` first check their limit for every status: `last >= max` (resp.
//! `index <= min`) ends in `Overflow` (resp. `Underflow`) at once. `find` and `find_rev` from
//! `Active` return `None` without changing status when the limit is already reached.

use crate::error::Error;
use crate::key::{key, top, Key};
use crate::node::NO_NODE;
use crate::write::{self, Plan, StoreType};
use crate::MapleTree;
use core::fmt;

mod state;

use state::State;

/// Where a cursor stands (the kernel's `enum maple_status`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[doc(alias = "maple_status")]
pub enum Status {
    /// Not walked yet: the next operation starts from the root.
    Start,
    /// On the slot `index..=last`.
    Active,
    /// Paused: the position is forgotten; iteration resumes after (or before) the range.
    Pause,
    /// The tree was empty when walked.
    None,
    /// An operation went past its upper limit.
    Overflow,
    /// An operation went below its lower limit.
    Underflow,
    /// A write failed; the tree is unchanged.
    Error(Error),
}

/// A read-only cursor over a [`MapleTree`] (the kernel's `ma_state` for readers), from
/// [`MapleTree::cursor`].
///
/// ```
/// use maple_tree::{MapleTree, Status};
///
/// let mut tree = MapleTree::new();
/// tree.store_range(0x1000, 0x1500, 'a')?;
/// tree.store_range(0x2000, 0x2500, 'b')?;
///
/// // A walk into a hole returns NULL and reports the hole.
/// let mut cursor = tree.cursor(0x1600);
/// assert_eq!(cursor.walk(), None);
/// assert_eq!((cursor.index(), cursor.last()), (0x1501, 0x1fff));
///
/// // find: the entry at or after index, then the ones after it, up to a limit.
/// cursor.set(0);
/// assert_eq!(cursor.find(u64::MAX), Some(&'a'));
/// assert_eq!(cursor.find(u64::MAX), Some(&'b'));
/// assert_eq!(cursor.find(u64::MAX), None);
/// assert_eq!((cursor.index(), cursor.last()), (0x2501, u64::MAX));
///
/// // After running off the end, prev gives the last entry back.
/// assert_eq!(cursor.next(u64::MAX), None);
/// assert_eq!(cursor.status(), Status::Overflow);
/// assert_eq!(cursor.prev(0), Some(&'b'));
/// # Ok::<(), maple_tree::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Cursor<'a, T, K: Key = u64> {
    tree: &'a MapleTree<T, K>,
    state: State,
}

/// A cursor that can also write (the kernel's `ma_state` for the writer), from
/// [`MapleTree::cursor_mut`]. Writes go through the cursor and leave it on the range
/// written; while it lives, nothing else can change the tree.
///
/// ```
/// use maple_tree::MapleTree;
///
/// let mut tree = MapleTree::new();
/// tree.store_range(10, 20, 'a')?;
/// let mut cursor = tree.cursor_mut(13);
/// cursor.set_range(13, 15);
/// assert_eq!(cursor.store(Some('b'))?, Some('a')); // the value that held index() = 13
/// assert_eq!(cursor.next(u64::MAX), Some(&'a')); // the tail 16..=20
/// assert_eq!((cursor.index(), cursor.last()), (16, 20));
/// assert_eq!(cursor.erase()?, Some('a'));
/// assert_eq!((cursor.index(), cursor.last()), (16, u64::MAX)); // the merged hole
/// # Ok::<(), maple_tree::Error>(())
/// ```
pub struct CursorMut<'a, T, K: Key = u64> {
    tree: &'a mut MapleTree<T, K>,
    state: State,
    /// The classified write, built in place (it holds two paths: moving it would cost more
    /// than most writes). Meaningful from a successful `plan` to the write it describes.
    plan: Plan,
}

impl<T, K: Key> fmt::Debug for CursorMut<'_, T, K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CursorMut").field("state", &self.state).finish_non_exhaustive()
    }
}

/// The read operations, the same for both cursors.
macro_rules! read_methods {
    ($value:lifetime) => {
        /// Walks from the root to the slot holding `index()` and returns its value
        /// (`mas_walk`). Afterwards `index()..=last()` is that slot's range, NULL or not, and
        /// the status `Active`; on an empty tree the range is `0..=K::MAX` and the status
        /// `None`. Works from every status.
        #[doc(alias = "mas_walk")]
        pub fn walk(&mut self) -> Option<&$value T> {
            self.state.walk(&*self.tree);
            self.current()
        }

        /// The first entry whose range starts at most at `max`: on a first call (status
        /// `Start`, `Pause` or `None`) the entry at or after `index()`, afterwards the entry
        /// after the current one (`mas_find`). On success `index()..=last()` is the entry's
        /// whole range (it may reach past `max`). On failure the cursor stays `Active` on the
        /// range where the search stopped. See the [module docs](crate::cursor) for the other
        /// statuses.
        #[doc(alias = "mas_find")]
        pub fn find(&mut self, max: K) -> Option<&$value T> {
            let found = self.state.find(&*self.tree, max.to_u64(), true);
            self.result(found)
        }

        /// Like [`find`](Self::find), but after the first call it moves one slot at a time,
        /// NULL slots included (which return `None` with their range in `index()..=last()`),
        /// and it may end in `Overflow` (`mas_find_range`).
        #[doc(alias = "mas_find_range")]
        pub fn find_range(&mut self, max: K) -> Option<&$value T> {
            let found = self.state.find(&*self.tree, max.to_u64(), false);
            self.result(found)
        }

        /// The entry at or below `index()` on a first call, the one before the current entry
        /// afterwards, down to entries ending at `min` (`mas_find_rev`). A pause resumes at
        /// `index() - 1`.
        #[doc(alias = "mas_find_rev")]
        pub fn find_rev(&mut self, min: K) -> Option<&$value T> {
            let found = self.state.find_rev(&*self.tree, min.to_u64(), true);
            self.result(found)
        }

        /// Like [`find_rev`](Self::find_rev), one slot at a time, NULL slots included
        /// (`mas_find_range_rev`).
        #[doc(alias = "mas_find_range_rev")]
        pub fn find_range_rev(&mut self, min: K) -> Option<&$value T> {
            let found = self.state.find_rev(&*self.tree, min.to_u64(), false);
            self.result(found)
        }

        /// The next entry after the current range whose start is at most `max` (`mas_next`).
        /// Returns `None` with status `Overflow` when there is none, or at once when
        /// `last() >= max`; `index()..=last()` is then the range where it stopped (possibly the
        /// hole that crossed `max`). From `Start`, `Pause` or `None` it walks to `index()`
        /// first and skips that slot.
        #[doc(alias = "mas_next")]
        pub fn next(&mut self, max: K) -> Option<&$value T> {
            let found = self.state.next(&*self.tree, max.to_u64(), true);
            self.result(found)
        }

        /// The next slot, NULL or not, if it starts at most at `max` (`mas_next_range`).
        ///
        /// ```
        /// let mut tree = maple_tree::MapleTree::new();
        /// tree.store_range(10, 19, 'a')?;
        /// let mut cursor = tree.cursor(10);
        /// assert_eq!(cursor.walk(), Some(&'a'));
        /// assert_eq!(cursor.next_range(u64::MAX), None); // the hole after 'a'
        /// assert_eq!((cursor.index(), cursor.last()), (20, u64::MAX));
        /// # Ok::<(), maple_tree::Error>(())
        /// ```
        #[doc(alias = "mas_next_range")]
        pub fn next_range(&mut self, max: K) -> Option<&$value T> {
            let found = self.state.next(&*self.tree, max.to_u64(), false);
            self.result(found)
        }

        /// The previous entry before the current range whose end is at least `min`
        /// (`mas_prev`); `None` with status `Underflow` when there is none, or at once when
        /// `index() <= min`. The mirror of [`next`](Self::next).
        ///
        /// ```
        /// use maple_tree::Status;
        /// let mut tree = maple_tree::MapleTree::new();
        /// tree.store_range(10, 19, 'a')?;
        /// tree.store_range(30, 39, 'b')?;
        /// let mut cursor = tree.cursor(35);
        /// assert_eq!(cursor.prev(0), Some(&'a')); // skips the slot holding index, and the hole
        /// assert_eq!(cursor.prev(0), None);
        /// assert_eq!(cursor.status(), Status::Underflow);
        /// assert_eq!((cursor.index(), cursor.last()), (0, 9)); // the hole that crossed min
        /// assert_eq!(cursor.next(u64::MAX), Some(&'a'));
        /// # Ok::<(), maple_tree::Error>(())
        /// ```
        #[doc(alias = "mas_prev")]
        pub fn prev(&mut self, min: K) -> Option<&$value T> {
            let found = self.state.prev(&*self.tree, min.to_u64(), true);
            self.result(found)
        }

        /// The previous slot, NULL or not, if it ends at least at `min` (`mas_prev_range`).
        #[doc(alias = "mas_prev_range")]
        pub fn prev_range(&mut self, min: K) -> Option<&$value T> {
            let found = self.state.prev(&*self.tree, min.to_u64(), false);
            self.result(found)
        }

        /// Points the cursor at the single key `index`; the next operation walks from the
        /// root (`mas_set`).
        #[doc(alias = "mas_set")]
        pub fn set(&mut self, index: K) {
            self.state = State::new(index.to_u64());
        }

        /// Points the cursor at `first..=last` (for a store); the next operation walks from
        /// the root (`mas_set_range`).
        #[doc(alias = "mas_set_range")]
        pub fn set_range(&mut self, first: K, last: K) {
            self.state = State::new(first.to_u64());
            self.state.last = last.to_u64();
        }

        /// Keeps the range but makes the next operation walk from the root (`mas_reset`).
        #[doc(alias = "mas_reset")]
        pub fn reset(&mut self) {
            self.state.status = Status::Start;
        }

        /// Forgets the position but keeps the range: `find` resumes at `last() + 1`,
        /// `find_rev` at `index() - 1`, the others walk again (`mas_pause`).
        ///
        /// ```
        /// let mut tree = maple_tree::MapleTree::new();
        /// tree.store_range(10, 19, 'a')?;
        /// tree.store_range(30, 39, 'b')?;
        /// let mut cursor = tree.cursor(0);
        /// assert_eq!(cursor.find(u64::MAX), Some(&'a'));
        /// cursor.pause(); // e.g. before dropping a lock
        /// assert_eq!(cursor.find(u64::MAX), Some(&'b')); // resumes at 20
        /// # Ok::<(), maple_tree::Error>(())
        /// ```
        #[doc(alias = "mas_pause")]
        pub fn pause(&mut self) {
            self.state.status = Status::Pause;
        }

        /// Finds the lowest fit of `size` NULL keys in `min..=max` (see
        /// [`MapleTree::empty_area`]) and leaves the cursor on it: `index()..=last()` is the
        /// fit and the cursor is `Active` on the NULL range holding it, so that a store
        /// through a [`CursorMut`] fills exactly the fit (`mas_empty_area`).
        ///
        /// # Errors
        /// [`Error::Invalid`] (cursor unchanged) as [`MapleTree::empty_area`];
        /// [`Error::Busy`] (status `Error(Busy)`) if nothing fits.
        ///
        /// ```
        /// let mut tree = maple_tree::MapleTree::new_alloc();
        /// tree.store_range(0, 99, "used")?;
        /// let mut cursor = tree.cursor_mut(0);
        /// cursor.empty_area(0, 1000, 10)?;
        /// assert_eq!((cursor.index(), cursor.last()), (100, 109));
        /// cursor.store(Some("new"))?;
        /// assert_eq!(tree.load_range(105), Some((100..=109, &"new")));
        /// # Ok::<(), maple_tree::Error>(())
        /// ```
        #[doc(alias = "mas_empty_area")]
        pub fn empty_area(&mut self, min: K, max: K, size: u64) -> Result<(), Error> {
            self.state.empty_area(&*self.tree, min.to_u64(), max.to_u64(), size, false)
        }

        /// The highest fit, as [`MapleTree::empty_area_rev`]; the cursor is left on it as
        /// by `empty_area` (`mas_empty_area_rev`).
        ///
        /// # Errors
        /// As `empty_area`.
        #[doc(alias = "mas_empty_area_rev")]
        pub fn empty_area_rev(&mut self, min: K, max: K, size: u64) -> Result<(), Error> {
            self.state.empty_area(&*self.tree, min.to_u64(), max.to_u64(), size, true)
        }

        /// The first key of the cursor's range.
        pub fn index(&self) -> K {
            key(self.state.index)
        }

        /// The last key of the cursor's range (a NULL range at the end of the key space ends
        /// at `K::MAX`).
        pub fn last(&self) -> K {
            key(self.state.last)
        }

        /// The cursor's status.
        pub fn status(&self) -> Status {
            self.state.status
        }

        /// The value of the slot the cursor is on, if it is `Active` on a non-NULL slot.
        pub fn current(&self) -> Option<&$value T> {
            match self.state.status {
                Status::Active => self.state.value(&*self.tree),
                _ => None,
            }
        }

        fn result(&self, found: bool) -> Option<&$value T> {
            if found {
                self.state.value(&*self.tree)
            } else {
                None
            }
        }
    };
}

impl<'a, T, K: Key> Cursor<'a, T, K> {
    pub(crate) fn new(tree: &'a MapleTree<T, K>, index: u64) -> Self {
        Cursor { tree, state: State::new(index) }
    }

    read_methods!('a);
}

impl<'a, T, K: Key> CursorMut<'a, T, K> {
    pub(crate) fn new(tree: &'a mut MapleTree<T, K>, index: u64) -> Self {
        CursorMut { tree, state: State::new(index), plan: Plan::EMPTY }
    }

    read_methods!('_);
}

impl<'a, T: Clone, K: Key> CursorMut<'a, T, K> {
    /// Classifies a write of `entry` over `index()..=last()` into `self.plan`, or fails with
    /// `Invalid`. From an `Active` cursor the write starts from its position.
    fn plan(&mut self, is_null: bool) -> Result<(), Error> {
        // K1: a NULL range reported as ending at `K::MAX` is written up to there only.
        self.state.last = self.state.last.min(top::<K>());
        if self.state.index > self.state.last {
            self.state.status = Status::Error(Error::Invalid);
            return Err(Error::Invalid);
        }
        let (index, last) = (self.state.index, self.state.last);
        let walked = self.state.reposition(&self.tree.arena, index, &mut self.plan.left);
        let plan = &mut self.plan;
        K::raw_tree(self.tree, |raw| write::classify_into(raw, index, last, is_null, plan, walked));
        Ok(())
    }

    /// Leaves the cursor on the range just written (C1), and lays the leaves out in key
    /// order when the tree's writes have made that due ([`MapleTree::relayout_if_due`]): a
    /// tree grown through cursors, as an address space is, iterates as fast as one grown by
    /// tree-level stores. A relayout renumbers nodes, so the cursor then walks its range
    /// again from the root (amortised O(1) per write, as the relayout is).
    fn after_write(&mut self) {
        self.state.after_write(self.tree, &self.plan);
        if self.tree.relayout_if_due() && self.state.status == Status::Active {
            let range = (self.state.index, self.state.last);
            self.state.walk(self.tree);
            debug_assert_eq!((self.state.index, self.state.last), range, "the walk found another slot");
        }
    }

    /// Writes `entry` (`None` is NULL) over `index()..=last()` and returns the value that
    /// held `index()` before (`mas_store_gfp`), cloned when part of its range survives. Only
    /// that one: if `index()` held nothing, the result is `None` even when the store covers
    /// values further on, and every other value the store covers is dropped (use
    /// [`MapleTree::range`] first to see them all). Afterwards the cursor is `Active` on the range
    /// written; a NULL store first widens over the NULL ranges beside it, and the cursor
    /// reports the merged hole (or `Start` on `0..=K::MAX` if the tree became empty).
    ///
    /// # Errors
    /// [`Error::Invalid`] if `index() > last()`, [`Error::NoMemory`]; the status becomes
    /// `Error(e)` and the tree is unchanged.
    ///
    /// ```
    /// let mut tree = maple_tree::MapleTree::new();
    /// tree.store_range(10, 19, 'a')?;
    /// tree.store_range(20, 29, 'b')?;
    /// let mut cursor = tree.cursor_mut(0);
    /// cursor.set_range(5, 25);
    /// assert_eq!(cursor.store(Some('c'))?, None); // 5 held nothing; 'a' and 'b' are dropped
    /// cursor.set_range(24, 28);
    /// assert_eq!(cursor.store(Some('d'))?, Some('c')); // cloned: 5..=23 keeps 'c'
    /// # Ok::<(), maple_tree::Error>(())
    /// ```
    #[doc(alias = "mas_store")]
    #[doc(alias = "mas_store_gfp")]
    pub fn store(&mut self, entry: Option<T>) -> Result<Option<T>, Error> {
        if entry.is_none() && self.tree.root == NO_NODE {
            self.state.status = Status::None;
            return Ok(None);
        }
        self.plan(entry.is_none())?;
        match self.tree.write_planned(&self.plan, entry) {
            Ok(old) => {
                self.after_write();
                Ok(old)
            }
            Err(e) => {
                self.state.status = Status::Error(e);
                Err(e)
            }
        }
    }

    /// Removes the **whole** range holding `index()` and returns its value (`mas_erase`);
    /// walks from the root whatever the status. If `index()` holds nothing, nothing changes
    /// and the cursor is `Active` on that hole. Afterwards the cursor reports the merged hole.
    ///
    /// # Errors
    /// [`Error::NoMemory`]; the status becomes `Error(NoMemory)` and the tree is unchanged.
    #[doc(alias = "mas_erase")]
    pub fn erase(&mut self) -> Result<Option<T>, Error> {
        if self.tree.root == NO_NODE {
            self.state.status = Status::None;
            return Ok(None);
        }
        self.state.walk(self.tree);
        if !self.state.full(self.tree) {
            return Ok(None);
        }
        self.store(None)
    }

    /// Reserves every node a write of `entry` over `index()..=last()` may need
    /// (`mas_preallocate`). The returned [`Prealloc`] performs that write and **cannot
    /// fail**; dropping it instead returns the nodes to the tree's pool.
    ///
    /// # Errors
    /// [`Error::Invalid`] if `index() > last()`, [`Error::NoMemory`]; the status becomes
    /// `Error(e)` and the tree is unchanged.
    ///
    /// ```
    /// let mut tree = maple_tree::MapleTree::new();
    /// let mut cursor = tree.cursor_mut(0);
    /// cursor.set_range(0x1000, 0x1fff);
    /// let reservation = cursor.preallocate(Some("vma"))?;
    /// // ... changes elsewhere that must not be undone ...
    /// reservation.store();
    /// assert_eq!(tree.load(0x1800), Some(&"vma"));
    /// # Ok::<(), maple_tree::Error>(())
    /// ```
    #[doc(alias = "mas_preallocate")]
    pub fn preallocate(&mut self, entry: Option<T>) -> Result<Prealloc<'_, 'a, T, K>, Error> {
        self.plan(entry.is_none())?;
        if let Err(e) = self.tree.arena.reserve(self.plan.need) {
            self.state.status = Status::Error(e);
            return Err(e);
        }
        Ok(Prealloc { cursor: self, entry })
    }
}

/// A write whose nodes are reserved, from [`CursorMut::preallocate`]. [`Prealloc::store`]
/// performs it and cannot fail; dropping the reservation returns its nodes to the tree's
/// pool (`mas_destroy`).
#[derive(Debug)]
#[must_use = "dropping a reservation without storing discards the write"]
pub struct Prealloc<'c, 'a, T: Clone, K: Key = u64> {
    /// The cursor, whose `plan` is the reserved write.
    cursor: &'c mut CursorMut<'a, T, K>,
    entry: Option<T>,
}

impl<T: Clone, K: Key> Prealloc<'_, '_, T, K> {
    /// The kind of the reserved write.
    pub fn store_type(&self) -> StoreType {
        self.cursor.plan.kind
    }

    /// Nodes reserved for the write, as `(leaves, internal nodes)`.
    pub fn reserved_nodes(&self) -> (usize, usize) {
        (self.cursor.plan.need.leaves, self.cursor.plan.need.internals)
    }

    /// Performs the reserved write and returns the value that held `index()` before
    /// (`mas_store_prealloc`). Cannot fail. The cursor is left as after
    /// [`CursorMut::store`].
    #[doc(alias = "mas_store_prealloc")]
    pub fn store(self) -> Option<T> {
        let cursor = self.cursor;
        let (plan, entry) = (&cursor.plan, self.entry);
        let old = K::raw_tree(cursor.tree, |raw| write::execute::<T, write::Cloning>(raw, plan, entry));
        cursor.after_write();
        old
    }
}

impl<T, K: Key> MapleTree<T, K> {
    /// A read-only cursor at `index`, status `Start`.
    #[doc(alias = "MA_STATE")]
    pub fn cursor(&self, index: K) -> Cursor<'_, T, K> {
        Cursor::new(self, index.to_u64())
    }

    /// A cursor that can write, at `index`, status `Start`.
    pub fn cursor_mut(&mut self, index: K) -> CursorMut<'_, T, K> {
        CursorMut::new(self, index.to_u64())
    }
}

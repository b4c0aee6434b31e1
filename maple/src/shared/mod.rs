//! [`SharedMapleTree`]: a tree that any number of threads read without ever waiting, while
//! one writer at a time changes it (feature `std`).
//!
//! # The guarantee
//!
//! A reader takes a [`ReadGuard`] from its [`ReadHandle`]; the guard dereferences to a plain
//! [`MapleTree`], so every read the tree has (`get`, `get_key_value`, `range`, `iter`,
//! cursors, `gaps`, the free-range searches, `validate`) works on it, at the plain tree's
//! speed. For as long as the guard lives it sees **one whole state** of the tree: the state
//! after some publication, with every write of that publication and of each one before it,
//! and nothing of any later one (a snapshot, not a mix of old and new entries). A reader that
//! takes its guard after a publication returned sees that publication's writes (and every
//! earlier one). No reader ever waits: not for the writer, not for another reader.
//!
//! Writes go through a [`WriteGuard`] ([`SharedMapleTree::write`]), which takes the writer
//! lock: writers serialise and wait for each other. Each write is visible to no reader until
//! the guard **publishes**, when it drops or at [`WriteGuard::publish`]: a batch of writes
//! made under one guard becomes visible at once, all together.
//!
//! A guard has the tree's stores, inserts, erases, removals, allocations and `clear`, plus
//! [`WriteGuard::retain`] and [`WriteGuard::modify`] (a value changed in place, the guard's
//! `get_mut`). It has no cursors and no `entry`: every write must be logged as an operation
//! that can be replayed on the other copy, and a `&mut T` handed out for an unknown time
//! cannot be. What `entry` does is one `modify` or one `try_insert`; a walk that writes as
//! it goes is a read of [`WriteGuard::with_tree`] followed by the writes.
//!
//! # The design: left-right
//!
//! The handle keeps **two copies** of the tree. Readers read the copy a shared index
//! designates (the front), announcing themselves first in a per-reader epoch counter. The
//! writer applies each operation to the other copy (the back), which no reader can enter,
//! and logs it; publication swaps the index. Before the writer next touches the old front it
//! waits until every reader that was in it at the swap has left, then replays the log onto
//! it, so the two copies are equal again. The protocol, its memory orderings and the
//! planted bugs that break it are in `docs/concurrency.md`; the unsafe core is the private
//! `cell` module.
//!
//! # The price
//!
//! * Memory: two trees.
//! * Each write is applied twice (once, then replayed), and values are cloned into the log
//!   (`T: Clone`): a write costs two to three times a plain tree's write (measured in
//!   `BENCHMARKS.md`).
//! * A long-lived [`ReadGuard`] delays the writer's next write after a publication: writers
//!   may wait for readers (never the other way round). Keep guards short, or take a
//!   [`ReadGuard::snapshot`] to keep a state for long.
//!
//! # Why not the alternatives
//!
//! * `Arc`-linked nodes with the root swapped atomically (`arc-swap`): every write after a
//!   publication would copy the root-to-leaf path it changes, since readers may hold the old
//!   one; the earlier prototype measured that at 15–18× an in-place write
//!   (`docs/node-storage.md`), far past a 1.5× budget. Left-right's writes stay in place.
//! * The kernel's in-place RCU publication (new nodes built aside, published by one atomic
//!   store into the parent's slot, old ones freed after a grace period): needs atomic child
//!   links inside the node layout and an epoch reclaimer, so a change of the node layer
//!   itself; it is the path for later. Left-right needs nothing from the node layer, and
//!   readers read a plain tree.
//!
//! # Failure
//!
//! Every write returns the tree's own `Result`, and a write that fails changes nothing and
//! is not logged (the copies never diverge). If replaying the log onto the other copy ever
//! fails (out of memory), that copy is rebuilt as a clone of the published one (aborting on
//! allocation failure, as `Clone` does). A writer that panics in the middle of a write (a
//! panicking `T::clone` inside the tree's store) loses its unpublished writes: nothing of them
//! is published, and the next writer rebuilds its copy from the published one. A guard
//! dropped by a panic between writes publishes what it wrote, as it would otherwise.

#[allow(unsafe_code)]
mod cell;

use crate::error::Error;
use crate::key::{raw_bounds, Key};
use crate::MapleTree;
use cell::{Entered, LeftRight, Reader, WriteLock};
use core::fmt;
use core::ops::{Deref, RangeBounds, RangeInclusive};

#[cfg(loom)]
use loom::sync::Arc;
#[cfg(not(loom))]
use std::sync::Arc;

/// One logged write, replayed onto the other copy after its publication.
enum Op<T, K> {
    Store(K, K, T),
    Insert(K, K, T),
    Erase(K),
    Remove(K, K),
    /// The removals of one `retain`: the first keys of the removed entries, in key order.
    RemoveEach(Vec<K>),
    /// A value changed in place (`modify`): the entry holding the key gets this value.
    Replace(K, T),
    Clear,
}

impl<T: Clone, K: Key> Op<T, K> {
    /// Performs the write on `tree`, which is in the state the write was first made on.
    fn replay(self, tree: &mut MapleTree<T, K>) -> Result<(), Error> {
        match self {
            Op::Store(first, last, value) => tree.store_range(first, last, value),
            Op::Insert(first, last, value) => tree.insert_range(first, last, value),
            Op::Erase(index) => tree.erase(index).map(drop),
            Op::Remove(first, last) => tree.remove_range(first, last),
            Op::RemoveEach(starts) => {
                // The same removals in the same order as on the first copy, so the two
                // copies keep the same shape (not only the same entries).
                for start in starts {
                    tree.remove(start);
                }
                Ok(())
            }
            Op::Replace(key, value) => {
                *tree.get_mut(key).ok_or(Error::Invalid)? = value;
                Ok(())
            }
            Op::Clear => {
                tree.clear();
                Ok(())
            }
        }
    }
}

/// The writer's state, under the writer lock.
struct Log<T, K> {
    /// Writes made to the back copy and not published yet.
    pending: Vec<Op<T, K>>,
    /// Writes published and not yet made to the back copy (the former front).
    replay: Vec<Op<T, K>>,
    /// Set while a write runs on the back copy: still set when the lock is next taken, a
    /// write panicked halfway and the back copy must be rebuilt.
    dirty: bool,
}

/// A [`MapleTree`] that readers on any threads read without waiting, beside one writer at a
/// time; see the [module docs](self) for the guarantee and its price.
///
/// ```
/// use maple_tree::SharedMapleTree;
/// use std::thread;
///
/// let tree = SharedMapleTree::new();
/// let reader = tree.reader();
/// thread::scope(|s| {
///     s.spawn(|| {
///         let mut w = tree.write();
///         w.store_range(0x1000, 0x1fff, "text")?;
///         w.store_range(0x3000, 0x3fff, "data")?;
///         Ok::<(), maple_tree::Error>(())
///         // published here, both stores at once
///     });
///     s.spawn(move || {
///         // Never waits; sees either no store or both.
///         let guard = reader.read();
///         assert!(guard.len() == 0 || guard.len() == 2);
///         assert_eq!(guard.validate(), Ok(()));
///     });
/// });
/// assert_eq!(tree.reader().get(0x3456), Some("data"));
/// ```
pub struct SharedMapleTree<T, K: Key = u64> {
    sides: Arc<LeftRight<MapleTree<T, K>, Log<T, K>>>,
}

impl<T: Clone> SharedMapleTree<T> {
    /// An empty shared tree with `u64` keys ([`SharedMapleTree::from`] for any tree).
    pub fn new() -> Self {
        Self::from(MapleTree::new())
    }
}

impl<T: Clone, K: Key> Default for SharedMapleTree<T, K> {
    fn default() -> Self {
        Self::from(MapleTree::default())
    }
}

impl<T: Clone, K: Key> From<MapleTree<T, K>> for SharedMapleTree<T, K> {
    /// Shares `tree` (an allocation tree stays one); makes its second copy with `clone`.
    fn from(tree: MapleTree<T, K>) -> Self {
        let copy = tree.clone();
        let log = Log { pending: Vec::new(), replay: Vec::new(), dirty: false };
        SharedMapleTree { sides: LeftRight::new(tree, copy, log) }
    }
}

impl<T, K: Key> SharedMapleTree<T, K> {
    /// A new reader: registers a per-reader slot (briefly locking the registry, never the
    /// writer). The handle can move to another thread and be cloned (each clone is a new
    /// reader); it keeps the shared state alive, so it may outlive `self`.
    pub fn reader(&self) -> ReadHandle<T, K> {
        ReadHandle { reader: Reader::new(&self.sides) }
    }

    /// Takes the writer lock, waiting while another [`WriteGuard`] is alive. The guard's
    /// writes become visible to readers together, when it drops or at
    /// [`WriteGuard::publish`].
    pub fn write(&self) -> WriteGuard<'_, T, K>
    where
        T: Clone,
    {
        WriteGuard { lock: self.sides.lock() }
    }
}

impl<T, K: Key> fmt::Debug for SharedMapleTree<T, K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharedMapleTree").finish_non_exhaustive()
    }
}

/// A reader of a [`SharedMapleTree`]: `Send` and `Clone` (a clone is another reader), not
/// `Sync` (one thread reads through it at a time; give each thread its own).
///
/// ```compile_fail
/// fn sync<S: Sync>(_: &S) {}
/// let tree = maple_tree::SharedMapleTree::<u8>::new();
/// sync(&tree.reader()); // a ReadHandle is not Sync
/// ```
pub struct ReadHandle<T, K: Key = u64> {
    reader: Reader<MapleTree<T, K>, Log<T, K>>,
}

impl<T, K: Key> ReadHandle<T, K> {
    /// The tree as last published, for as long as the guard lives. Never waits. Guards of
    /// one handle nest: an inner guard reads the outer one's state.
    pub fn read(&self) -> ReadGuard<'_, T, K> {
        ReadGuard { entered: self.reader.enter() }
    }

    /// The value stored at `key` now, cloned: one read.
    pub fn get(&self, key: K) -> Option<T>
    where
        T: Clone,
    {
        self.read().get(key).cloned()
    }

    /// The range holding `key` and its value, cloned: one read.
    pub fn get_key_value(&self, key: K) -> Option<(RangeInclusive<K>, T)>
    where
        T: Clone,
    {
        self.read().get_key_value(key).map(|(r, v)| (r, v.clone()))
    }

    /// Whether `key` holds a value now.
    pub fn contains_key(&self, key: K) -> bool {
        self.read().contains_key(key)
    }
}

impl<T, K: Key> Clone for ReadHandle<T, K> {
    /// Another reader of the same tree (a new slot).
    fn clone(&self) -> Self {
        ReadHandle { reader: Reader::new(self.reader.sides()) }
    }
}

impl<T, K: Key> fmt::Debug for ReadHandle<T, K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReadHandle").finish_non_exhaustive()
    }
}

/// One whole published state of a [`SharedMapleTree`], read as a plain [`MapleTree`]
/// (`Deref`); see the [module docs](self). While it lives, the writer's next write after a
/// publication waits for it.
pub struct ReadGuard<'r, T, K: Key = u64> {
    entered: Entered<'r, MapleTree<T, K>, Log<T, K>>,
}

impl<T, K: Key> Deref for ReadGuard<'_, T, K> {
    type Target = MapleTree<T, K>;

    fn deref(&self) -> &MapleTree<T, K> {
        &self.entered
    }
}

impl<T: Clone, K: Key> ReadGuard<'_, T, K> {
    /// This state as an owned tree, to keep after the guard is dropped without holding up
    /// the writer: a copy-on-write [`MapleTree::clone`], O(n / 64), that copies nodes only
    /// when it or the copy it came from is written (the handle's copies are written by the
    /// writer, so the snapshot's nodes are copied as the writer reaches them).
    pub fn snapshot(&self) -> MapleTree<T, K> {
        (**self).clone()
    }
}

impl<T: fmt::Debug, K: Key> fmt::Debug for ReadGuard<'_, T, K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

/// The writer of a [`SharedMapleTree`] (the writer lock is held while it lives). Its writes
/// are the tree's, with the tree's results; they become visible to readers together at
/// [`WriteGuard::publish`] or when the guard drops.
pub struct WriteGuard<'s, T: Clone, K: Key = u64> {
    lock: WriteLock<'s, MapleTree<T, K>, Log<T, K>>,
}

impl<T: Clone, K: Key> WriteGuard<'_, T, K> {
    /// Brings the back copy up to date, then runs `write` on it; logs `op` of its result
    /// only if it succeeded (a failed write changed nothing and must not be replayed).
    fn apply<R>(
        &mut self,
        write: impl FnOnce(&mut MapleTree<T, K>) -> Result<R, Error>,
        op: impl FnOnce(&R) -> Option<Op<T, K>>,
    ) -> Result<R, Error> {
        self.lock.with_back(|front, back, log| {
            catch_up(front, back, log);
            log.dirty = true;
            let result = write(back);
            if let Ok(r) = &result {
                log.pending.extend(op(r));
            }
            log.dirty = false;
            result
        })
    }

    /// [`MapleTree::store_range`]: stores `value` over `first..=last`, overwriting.
    ///
    /// # Errors
    /// As [`MapleTree::store_range`]; nothing changes on error.
    pub fn store_range(&mut self, first: K, last: K, value: T) -> Result<(), Error> {
        let logged = value.clone();
        self.apply(|t| t.store_range(first, last, value), |_| Some(Op::Store(first, last, logged)))
    }

    /// [`MapleTree::store`]: stores `value` at `index`, overwriting.
    ///
    /// # Errors
    /// As [`MapleTree::store`]; nothing changes on error.
    pub fn store(&mut self, index: K, value: T) -> Result<(), Error> {
        self.store_range(index, index, value)
    }

    /// [`MapleTree::set`]: stores `value` over `range` (any range form), overwriting.
    ///
    /// # Errors
    /// As [`MapleTree::set`] ([`Error::Invalid`] for an empty range); nothing changes on
    /// error.
    pub fn set<R: RangeBounds<K>>(&mut self, range: R, value: T) -> Result<(), Error> {
        let (first, last) = raw_bounds(&range).ok_or(Error::Invalid)?;
        self.store_range(K::from_u64(first), K::from_u64(last), value)
    }

    /// [`MapleTree::insert_range`]: stores `value` over `first..=last` only if it is vacant.
    ///
    /// # Errors
    /// As [`MapleTree::insert_range`] ([`Error::Exists`] if any key holds a value); nothing
    /// changes on error.
    pub fn insert_range(&mut self, first: K, last: K, value: T) -> Result<(), Error> {
        let logged = value.clone();
        self.apply(|t| t.insert_range(first, last, value), |_| Some(Op::Insert(first, last, logged)))
    }

    /// [`MapleTree::insert`]: stores `value` at `index` only if it holds nothing.
    ///
    /// # Errors
    /// As [`MapleTree::insert`]; nothing changes on error.
    pub fn insert(&mut self, index: K, value: T) -> Result<(), Error> {
        self.insert_range(index, index, value)
    }

    /// [`MapleTree::try_insert`]: [`WriteGuard::insert_range`] with any range form.
    ///
    /// # Errors
    /// As [`MapleTree::try_insert`]; nothing changes on error.
    pub fn try_insert<R: RangeBounds<K>>(&mut self, range: R, value: T) -> Result<(), Error> {
        let (first, last) = raw_bounds(&range).ok_or(Error::Invalid)?;
        self.insert_range(K::from_u64(first), K::from_u64(last), value)
    }

    /// [`MapleTree::erase`]: removes the whole range holding `index`, returning its value.
    ///
    /// # Errors
    /// As [`MapleTree::erase`]; nothing changes on error.
    #[doc(alias = "remove")]
    pub fn erase(&mut self, index: K) -> Result<Option<T>, Error> {
        self.apply(|t| t.erase(index), |old| old.as_ref().map(|_| Op::Erase(index)))
    }

    /// [`MapleTree::remove_range`]: removes the values of `first..=last`, trimming.
    ///
    /// # Errors
    /// As [`MapleTree::remove_range`]; nothing changes on error.
    pub fn remove_range(&mut self, first: K, last: K) -> Result<(), Error> {
        self.apply(|t| t.remove_range(first, last), |_| Some(Op::Remove(first, last)))
    }

    /// [`MapleTree::cut`]: [`WriteGuard::remove_range`] with any range form.
    ///
    /// # Errors
    /// As [`MapleTree::cut`]; nothing changes on error.
    pub fn cut<R: RangeBounds<K>>(&mut self, range: R) -> Result<(), Error> {
        let (first, last) = raw_bounds(&range).ok_or(Error::Invalid)?;
        self.remove_range(K::from_u64(first), K::from_u64(last))
    }

    /// [`MapleTree::retain`]: keeps only the entries for which `keep(range, &value)` returns
    /// `true`, visiting each once in key order, and removes the others (all published
    /// together, with the guard's other writes).
    ///
    /// Unlike the plain tree's, `keep` sees each value by shared reference: a value changed
    /// here would have to be logged for the other copy, so changes go through
    /// [`WriteGuard::modify`]. The log holds one key per removed entry.
    ///
    /// # Panics
    /// As [`MapleTree::retain`]. If `keep` panics, nothing has been removed yet; if a removal
    /// panics (allocation failure), this guard's unpublished writes are lost, as for any write
    /// that panics halfway ([module docs](self#failure)).
    ///
    /// ```
    /// let tree = maple_tree::SharedMapleTree::new();
    /// let mut w = tree.write();
    /// for i in 0..10u64 {
    ///     w.insert_range(i * 10, i * 10 + 4, i)?;
    /// }
    /// w.retain(|range, _| *range.start() < 50);
    /// drop(w);
    /// assert_eq!(tree.reader().read().values().copied().collect::<Vec<_>>(), [0, 1, 2, 3, 4]);
    /// # Ok::<(), maple_tree::Error>(())
    /// ```
    pub fn retain(&mut self, mut keep: impl FnMut(RangeInclusive<K>, &T) -> bool) {
        self.lock.with_back(|front, back, log| {
            catch_up(front, back, log);
            let doomed: Vec<K> = back
                .iter()
                .filter_map(|(range, value)| (!keep(range.clone(), value)).then_some(*range.start()))
                .collect();
            if doomed.is_empty() {
                return;
            }
            log.dirty = true;
            for &start in &doomed {
                back.remove(start);
            }
            log.pending.push(Op::RemoveEach(doomed));
            log.dirty = false;
        });
    }

    /// Runs `change` on the value of the entry whose range holds `key` and returns its result,
    /// or returns `None` (changing nothing) if no entry holds `key`: the guard's form of
    /// [`MapleTree::get_mut`]. The range stays as it is. The changed value is cloned into
    /// the log once `change` returns.
    ///
    /// # Panics
    /// If `change` or the value's `clone` panics, the value may be half-changed: this guard's
    /// unpublished writes are lost and nothing of them is published, as for any write that
    /// panics halfway ([module docs](self#failure)).
    ///
    /// ```
    /// let tree = maple_tree::SharedMapleTree::new();
    /// let reader = tree.reader();
    /// let mut w = tree.write();
    /// w.store_range(10, 19, 1)?;
    /// w.publish();
    /// assert_eq!(w.modify(15, |v| { *v += 1; *v }), Some(2));
    /// assert_eq!(w.modify(20, |v| *v), None);
    /// assert_eq!(reader.get(10), Some(1), "not published yet");
    /// drop(w);
    /// assert_eq!(reader.get_key_value(10), Some((10..=19, 2)));
    /// # Ok::<(), maple_tree::Error>(())
    /// ```
    #[doc(alias = "get_mut")]
    pub fn modify<R>(&mut self, key: K, change: impl FnOnce(&mut T) -> R) -> Option<R> {
        self.lock.with_back(|front, back, log| {
            catch_up(front, back, log);
            let value = back.get_mut(key)?;
            log.dirty = true;
            let result = change(value);
            log.pending.push(Op::Replace(key, value.clone()));
            log.dirty = false;
            Some(result)
        })
    }

    /// [`MapleTree::clear`]: removes everything.
    pub fn clear(&mut self) {
        let cleared = self.apply(
            |t| {
                t.clear();
                Ok(())
            },
            |_| Some(Op::Clear),
        );
        debug_assert!(cleared.is_ok());
    }

    /// [`MapleTree::alloc_area`]: stores `value` over the lowest free range of `size` keys
    /// in `min..=max` and returns its first key.
    ///
    /// # Errors
    /// As [`MapleTree::alloc_area`] ([`Error::Busy`] if there is no such range); nothing
    /// changes on error.
    pub fn alloc_area(&mut self, min: K, max: K, size: u64, value: T) -> Result<K, Error> {
        let logged = value.clone();
        self.apply(|t| t.alloc_area(min, max, size, value), |&start| Some(allocated(start, size, logged)))
    }

    /// [`MapleTree::alloc_area_rev`]: as [`WriteGuard::alloc_area`], the highest free range.
    ///
    /// # Errors
    /// As [`MapleTree::alloc_area_rev`]; nothing changes on error.
    pub fn alloc_area_rev(&mut self, min: K, max: K, size: u64, value: T) -> Result<K, Error> {
        let logged = value.clone();
        self.apply(|t| t.alloc_area_rev(min, max, size, value), |&start| Some(allocated(start, size, logged)))
    }

    /// Runs `f` on the tree with this guard's writes, published or not (readers may still see
    /// an older state).
    pub fn with_tree<R>(&mut self, f: impl FnOnce(&MapleTree<T, K>) -> R) -> R {
        self.lock.with_back(|front, back, log| {
            catch_up(front, back, log);
            f(back)
        })
    }

    /// Makes this guard's writes so far visible to readers that start reading from now on
    /// (all at once). Readers inside a read keep the state they have. Does nothing if there
    /// is nothing new; never waits (the next write may, for readers still in the old state).
    #[doc(alias = "rcu_assign_pointer")]
    pub fn publish(&mut self) {
        let has_new = !self.lock.state().pending.is_empty();
        if has_new {
            self.lock.publish();
            let log = self.lock.state();
            log.replay = core::mem::take(&mut log.pending);
        }
    }
}

impl<T: Clone, K: Key> Drop for WriteGuard<'_, T, K> {
    /// Publishes, unless a write panicked halfway (then nothing of this guard is published).
    fn drop(&mut self) {
        if !self.lock.state().dirty {
            self.publish();
        }
    }
}

impl<T: Clone, K: Key> fmt::Debug for WriteGuard<'_, T, K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WriteGuard").finish_non_exhaustive()
    }
}

/// The logged form of an allocation at `start` of `size` keys.
fn allocated<T, K: Key>(start: K, size: u64, value: T) -> Op<T, K> {
    // The allocation succeeded, so `start + size - 1` is a key of the tree.
    Op::Insert(start, K::from_u64(start.to_u64() + (size - 1)), value)
}

/// Makes `back` equal to `front` again: replays the published writes it lacks, or, after a
/// write that panicked or a replay that failed, rebuilds it as a clone of `front`.
fn catch_up<T: Clone, K: Key>(front: &MapleTree<T, K>, back: &mut MapleTree<T, K>, log: &mut Log<T, K>) {
    if log.dirty {
        // A write panicked in the middle of `back`: its unpublished writes are lost.
        log.pending.clear();
        log.replay.clear();
        *back = front.clone();
        log.dirty = false;
    }
    if log.replay.is_empty() {
        return;
    }
    debug_assert!(log.pending.is_empty(), "writes were made before the replay");
    log.dirty = true;
    for op in log.replay.drain(..) {
        if op.replay(back).is_err() {
            // Out of memory halfway through: start again from the published copy.
            *back = front.clone();
            break;
        }
    }
    log.replay.clear();
    log.dirty = false;
    debug_assert!(same_ranges(front, back), "the two copies diverged");
}

/// Whether two trees hold the same ranges (values are not compared: `T` need not be
/// `PartialEq`), have the same shape and both validate.
fn same_ranges<T, K: Key>(a: &MapleTree<T, K>, b: &MapleTree<T, K>) -> bool {
    a.len() == b.len()
        && a.height() == b.height()
        && a.keys().eq(b.keys())
        && a.validate().is_ok()
        && b.validate().is_ok()
}

#[cfg(all(test, not(loom)))]
mod tests;

//! [`CoalescingMap`]: the opt-in mode in which equal neighbours merge, as in `rangemap`.
//!
//! A plain [`MapleTree`] never merges equal values (the kernel's rule: two stores of the same
//! value make two ranges). A `CoalescingMap` keeps one more invariant on top of the tree's,
//! checked by [`CoalescingMap::validate`]:
//!
//! * C1: no two entries that touch (one ends at `k`, the next starts at `k + 1`) hold equal
//!   values.
//!
//! An insert keeps it with one store: the new range is first widened over the entry holding
//! its first key or the key before it, and over the entry holding its last key or the key
//! after it, when that entry's value equals the new one; then the widened range is stored
//! (trimming or splitting entries of other values). By C1 nothing further out can be equal
//! and touching, so the result is exactly `rangemap::RangeInclusiveMap`'s. A removal leaves a
//! gap between whatever it trims, so it needs no merging.

use crate::error::Error;
use crate::gaps_iter::Gaps;
use crate::iter::{Iter, Range};
use crate::key::{raw_bounds, Key};
use crate::validate::Violation;
use crate::MapleTree;
use core::fmt;
use core::ops::{RangeBounds, RangeInclusive};

/// A range map whose equal neighbours merge (`rangemap::RangeInclusiveMap`'s behaviour), over
/// a [`MapleTree`]. Reads and searches go to the tree ([`CoalescingMap::as_tree`]); writes go
/// through the map, which keeps no two touching entries equal.
///
/// ```
/// use maple_tree::CoalescingMap;
///
/// let mut map = CoalescingMap::new();
/// map.insert(0..10, "x")?;
/// map.insert(10..20, "x")?; // touches: merges
/// map.insert(15..=30, "x")?; // overlaps: merges
/// map.insert(31..40, "y")?; // another value: stays apart
/// assert_eq!(map.iter().map(|(r, v)| (r, *v)).collect::<Vec<_>>(), [(0..=30, "x"), (31..=39, "y")]);
/// map.remove(5..=6)?;
/// assert_eq!(map.len(), 3);
/// # Ok::<(), maple_tree::Error>(())
/// ```
pub struct CoalescingMap<T, K: Key = u64> {
    tree: MapleTree<T, K>,
}

impl<T> CoalescingMap<T> {
    /// An empty map with `u64` keys. Allocates nothing. ([`CoalescingMap::new_keyed`] for
    /// another key type, as [`MapleTree::new`].)
    pub const fn new() -> Self {
        CoalescingMap { tree: MapleTree::new() }
    }

    /// An empty map over an allocation tree ([`MapleTree::new_alloc`]), for O(height)
    /// free-range searches through [`CoalescingMap::as_tree`].
    pub const fn new_alloc() -> Self {
        CoalescingMap { tree: MapleTree::new_alloc() }
    }
}

impl<T, K: Key> CoalescingMap<T, K> {
    /// An empty map with keys of type `K`. Allocates nothing.
    ///
    /// ```
    /// let mut map = maple_tree::CoalescingMap::<char, u8>::new_keyed();
    /// map.insert(0..128, 'x')?;
    /// map.insert(128.., 'x')?;
    /// assert_eq!(map.iter().collect::<Vec<_>>(), [(0..=u8::MAX, &'x')]);
    /// # Ok::<(), maple_tree::Error>(())
    /// ```
    pub const fn new_keyed() -> Self {
        CoalescingMap { tree: MapleTree::new_keyed() }
    }

    /// An empty map with keys of type `K` over an allocation tree.
    pub const fn new_alloc_keyed() -> Self {
        CoalescingMap { tree: MapleTree::new_alloc_keyed() }
    }

    /// Wraps a tree that already keeps C1 (for the readers, which check it afterwards).
    #[cfg(feature = "serde")]
    pub(crate) fn from_tree_unchecked(tree: MapleTree<T, K>) -> Self {
        CoalescingMap { tree }
    }

    /// The tree underneath, for every read: lookups, iterators, cursors, searches.
    pub fn as_tree(&self) -> &MapleTree<T, K> {
        &self.tree
    }

    /// The tree underneath, to be written without the merging rule from now on.
    pub fn into_tree(self) -> MapleTree<T, K> {
        self.tree
    }

    /// The value of the entry holding `key`.
    pub fn get(&self, key: K) -> Option<&T> {
        self.tree.get(key)
    }

    /// The entry holding `key`, with its whole range.
    pub fn get_key_value(&self, key: K) -> Option<(RangeInclusive<K>, &T)> {
        self.tree.get_key_value(key)
    }

    /// Whether some entry holds `key`.
    pub fn contains_key(&self, key: K) -> bool {
        self.tree.contains_key(key)
    }

    /// Number of entries (after merging).
    pub fn len(&self) -> usize {
        self.tree.len()
    }

    /// Whether no key holds a value.
    pub fn is_empty(&self) -> bool {
        self.tree.is_empty()
    }

    /// All entries in key order.
    pub fn iter(&self) -> Iter<'_, T, K> {
        self.tree.iter()
    }

    /// The entries overlapping `range` (`rangemap`'s `overlapping`).
    pub fn overlapping<R: RangeBounds<K>>(&self, range: R) -> Range<'_, T, K> {
        self.tree.range(range)
    }

    /// Whether any entry overlaps `range`.
    pub fn overlaps<R: RangeBounds<K>>(&self, range: R) -> bool {
        self.tree.overlaps(range)
    }

    /// The free ranges inside `window`, clipped to it (`rangemap`'s `gaps`).
    pub fn gaps<R: RangeBounds<K>>(&self, window: R) -> Gaps<'_, T, K> {
        self.tree.gaps(window)
    }

    /// Removes every entry and frees every node.
    pub fn clear(&mut self) {
        self.tree.clear();
    }
}

impl<T: Clone + PartialEq, K: Key> CoalescingMap<T, K> {
    /// Stores `value` over `range`, overwriting what it covers, and merges it with entries of
    /// an equal value that it overlaps or touches (`rangemap`'s `insert`). One store: O(log n)
    /// plus the entries it covers.
    ///
    /// # Errors
    /// [`Error::Invalid`] if `range` is empty (where `rangemap` panics); [`Error::NoMemory`].
    /// The map is unchanged on error.
    pub fn insert<R: RangeBounds<K>>(&mut self, range: R, value: T) -> Result<(), Error> {
        let (mut first, mut last) = raw_bounds(&range).ok_or(Error::Invalid)?;
        let tree = &self.tree;
        // The range of the entry holding the stored key `index`, if its value equals `value`.
        let equal = |index: u64| match tree.leaf_slot(index) {
            Some((leaf, off, start, end)) if tree.arena.leaf(leaf).get(off) == Some(&value) => Some((start, end)),
            _ => None,
        };
        // The entry holding `first` or, failing an equal one there, the one just before it.
        if let Some((start, _)) = equal(first).or_else(|| equal(first.checked_sub(1)?)) {
            first = start;
        }
        if let Some((_, end)) = equal(last).or_else(|| equal(last.checked_add(1)?)) {
            last = end;
        }
        self.tree.write(first, last, Some(value))
    }

    /// Removes the values of `range`, trimming or splitting entries that reach outside it
    /// (`rangemap`'s `remove`).
    ///
    /// # Errors
    /// [`Error::Invalid`] if `range` is empty; [`Error::NoMemory`]. The map is unchanged on
    /// error.
    pub fn remove<R: RangeBounds<K>>(&mut self, range: R) -> Result<(), Error> {
        self.tree.cut(range)
    }

    /// Checks the tree's invariants ([`MapleTree::validate`]) and C1, that no two touching
    /// entries hold equal values (invariant C1).
    pub fn validate(&self) -> Result<(), Violation> {
        self.tree.validate()?;
        let mut entries = self.tree.iter();
        let Some(mut prev) = entries.next() else { return Ok(()) };
        for next in entries {
            if prev.0.end().to_u64().checked_add(1) == Some(next.0.start().to_u64()) && prev.1 == next.1 {
                let message = alloc::format!("the entries {:?} and {:?} touch and hold equal values", prev.0, next.0);
                return Err(Violation::new("C1", message));
            }
            prev = next;
        }
        Ok(())
    }
}

impl<T, K: Key> Default for CoalescingMap<T, K> {
    fn default() -> Self {
        Self::new_keyed()
    }
}

impl<T: Clone, K: Key> Clone for CoalescingMap<T, K> {
    fn clone(&self) -> Self {
        CoalescingMap { tree: self.tree.clone() }
    }
}

impl<T: fmt::Debug, K: Key> fmt::Debug for CoalescingMap<T, K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.tree.fmt(f)
    }
}

impl<T: PartialEq, K: Key> PartialEq for CoalescingMap<T, K> {
    fn eq(&self, other: &Self) -> bool {
        self.tree == other.tree
    }
}

impl<T: Eq, K: Key> Eq for CoalescingMap<T, K> {}

impl<T: Clone + PartialEq, K: Key, R: RangeBounds<K>> Extend<(R, T)> for CoalescingMap<T, K> {
    /// Inserts each range in turn, merging as [`CoalescingMap::insert`] does.
    ///
    /// # Panics
    /// On an empty range and on allocation failure, as `MapleTree`'s `Extend`.
    fn extend<I: IntoIterator<Item = (R, T)>>(&mut self, iter: I) {
        for (range, value) in iter {
            self.insert(range, value).unwrap_or_else(|e| panic!("CoalescingMap::extend: {e}"));
        }
    }
}

impl<T: Clone + PartialEq, K: Key, R: RangeBounds<K>> FromIterator<(R, T)> for CoalescingMap<T, K> {
    /// Inserts each range in turn; see [`Extend`].
    ///
    /// ```
    /// let map: maple_tree::CoalescingMap<u8> = [(0..5, 1), (5..9, 1), (9..12, 2)].into_iter().collect();
    /// assert_eq!(map.iter().map(|(r, v)| (r, *v)).collect::<Vec<_>>(), [(0..=8, 1), (9..=11, 2)]);
    /// ```
    fn from_iter<I: IntoIterator<Item = (R, T)>>(iter: I) -> Self {
        let mut map = CoalescingMap::new_keyed();
        map.extend(iter);
        map
    }
}

impl<'a, T, K: Key> IntoIterator for &'a CoalescingMap<T, K> {
    type Item = (RangeInclusive<K>, &'a T);
    type IntoIter = Iter<'a, T, K>;

    fn into_iter(self) -> Iter<'a, T, K> {
        self.tree.iter()
    }
}

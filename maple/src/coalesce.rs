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
use crate::tree::bounds;
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
pub struct CoalescingMap<T> {
    tree: MapleTree<T>,
}

impl<T> CoalescingMap<T> {
    /// An empty map. Allocates nothing.
    pub const fn new() -> Self {
        CoalescingMap { tree: MapleTree::new() }
    }

    /// An empty map over an allocation tree ([`MapleTree::new_alloc`]), for O(height)
    /// free-range searches through [`CoalescingMap::as_tree`].
    pub const fn new_alloc() -> Self {
        CoalescingMap { tree: MapleTree::new_alloc() }
    }

    /// Wraps a tree that already keeps C1 (for the readers, which check it afterwards).
    #[cfg(feature = "serde")]
    pub(crate) fn from_tree_unchecked(tree: MapleTree<T>) -> Self {
        CoalescingMap { tree }
    }

    /// The tree underneath, for every read: lookups, iterators, cursors, searches.
    pub fn as_tree(&self) -> &MapleTree<T> {
        &self.tree
    }

    /// The tree underneath, to be written without the merging rule from now on.
    pub fn into_tree(self) -> MapleTree<T> {
        self.tree
    }

    /// The value of the entry holding `key`.
    pub fn get(&self, key: u64) -> Option<&T> {
        self.tree.get(key)
    }

    /// The entry holding `key`, with its whole range.
    pub fn get_key_value(&self, key: u64) -> Option<(RangeInclusive<u64>, &T)> {
        self.tree.get_key_value(key)
    }

    /// Whether some entry holds `key`.
    pub fn contains_key(&self, key: u64) -> bool {
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
    pub fn iter(&self) -> Iter<'_, T> {
        self.tree.iter()
    }

    /// The entries overlapping `range` (`rangemap`'s `overlapping`).
    pub fn overlapping<R: RangeBounds<u64>>(&self, range: R) -> Range<'_, T> {
        self.tree.range(range)
    }

    /// Whether any entry overlaps `range`.
    pub fn overlaps<R: RangeBounds<u64>>(&self, range: R) -> bool {
        self.tree.overlaps(range)
    }

    /// The free ranges inside `window`, clipped to it (`rangemap`'s `gaps`).
    pub fn gaps<R: RangeBounds<u64>>(&self, window: R) -> Gaps<'_, T> {
        self.tree.gaps(window)
    }

    /// Removes every entry and frees every node.
    pub fn clear(&mut self) {
        self.tree.clear();
    }
}

impl<T: Clone + PartialEq> CoalescingMap<T> {
    /// Stores `value` over `range`, overwriting what it covers, and merges it with entries of
    /// an equal value that it overlaps or touches (`rangemap`'s `insert`). One store: O(log n)
    /// plus the entries it covers.
    ///
    /// # Errors
    /// [`Error::Invalid`] if `range` is empty (where `rangemap` panics); [`Error::NoMemory`].
    /// The map is unchanged on error.
    pub fn insert<R: RangeBounds<u64>>(&mut self, range: R, value: T) -> Result<(), Error> {
        let (mut first, mut last) = bounds(&range).ok_or(Error::Invalid)?;
        let equal = |entry: Option<(RangeInclusive<u64>, &T)>| entry.filter(|(_, v)| **v == value).map(|(r, _)| r);
        // The entry holding `first` or, failing an equal one there, the one just before it.
        let before = equal(self.tree.load_range(first)).or_else(|| equal(self.tree.load_range(first.checked_sub(1)?)));
        if let Some(r) = before {
            first = *r.start();
        }
        let after = equal(self.tree.load_range(last)).or_else(|| equal(self.tree.load_range(last.checked_add(1)?)));
        if let Some(r) = after {
            last = *r.end();
        }
        self.tree.store_range(first, last, value)
    }

    /// Removes the values of `range`, trimming or splitting entries that reach outside it
    /// (`rangemap`'s `remove`).
    ///
    /// # Errors
    /// [`Error::Invalid`] if `range` is empty; [`Error::NoMemory`]. The map is unchanged on
    /// error.
    pub fn remove<R: RangeBounds<u64>>(&mut self, range: R) -> Result<(), Error> {
        self.tree.cut(range)
    }

    /// Checks the tree's invariants ([`MapleTree::validate`]) and C1, that no two touching
    /// entries hold equal values (invariant C1).
    pub fn validate(&self) -> Result<(), Violation> {
        self.tree.validate()?;
        let mut entries = self.tree.iter();
        let Some(mut prev) = entries.next() else { return Ok(()) };
        for next in entries {
            if prev.0.end().checked_add(1) == Some(*next.0.start()) && prev.1 == next.1 {
                let message = alloc::format!("the entries {:?} and {:?} touch and hold equal values", prev.0, next.0);
                return Err(Violation::new("C1", message));
            }
            prev = next;
        }
        Ok(())
    }
}

impl<T> Default for CoalescingMap<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Clone> Clone for CoalescingMap<T> {
    fn clone(&self) -> Self {
        CoalescingMap { tree: self.tree.clone() }
    }
}

impl<T: fmt::Debug> fmt::Debug for CoalescingMap<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.tree.fmt(f)
    }
}

impl<T: PartialEq> PartialEq for CoalescingMap<T> {
    fn eq(&self, other: &Self) -> bool {
        self.tree == other.tree
    }
}

impl<T: Eq> Eq for CoalescingMap<T> {}

impl<T: Clone + PartialEq, R: RangeBounds<u64>> Extend<(R, T)> for CoalescingMap<T> {
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

impl<T: Clone + PartialEq, R: RangeBounds<u64>> FromIterator<(R, T)> for CoalescingMap<T> {
    /// Inserts each range in turn; see [`Extend`].
    ///
    /// ```
    /// let map: maple_tree::CoalescingMap<u8> = [(0..5, 1), (5..9, 1), (9..12, 2)].into_iter().collect();
    /// assert_eq!(map.iter().map(|(r, v)| (r, *v)).collect::<Vec<_>>(), [(0..=8, 1), (9..=11, 2)]);
    /// ```
    fn from_iter<I: IntoIterator<Item = (R, T)>>(iter: I) -> Self {
        let mut map = CoalescingMap::new();
        map.extend(iter);
        map
    }
}

impl<'a, T> IntoIterator for &'a CoalescingMap<T> {
    type Item = (RangeInclusive<u64>, &'a T);
    type IntoIter = Iter<'a, T>;

    fn into_iter(self) -> Iter<'a, T> {
        self.tree.iter()
    }
}

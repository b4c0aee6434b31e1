//! Iterators that hand out `&mut` values: [`IterMut`], [`RangeMut`] and [`ValuesMut`].
//!
//! They change values only, never ranges, so the tree's shape and every invariant stay as
//! they are. The iterator first lists the leaves the window touches, in key order (one descent
//! and a step per leaf, O(log n + k)), then splits the arena's leaves into disjoint `&mut`
//! borrows of exactly those leaves (safe code, O(k log k)); it keeps one small record per leaf
//! touched.

use crate::key::{raw_bounds, top, value_range, Key};
use crate::node::{slot_range, LeafValuesMut, NodeId, NO_NODE, PIVOTS};
use crate::path::Path;
use crate::MapleTree;
use alloc::vec::Vec;
use core::iter::{Flatten, FusedIterator};
use core::marker::PhantomData;
use core::ops::RangeInclusive;

/// The values of one leaf that overlap the window, with their ranges.
struct LeafMut<'a, T> {
    pivots: &'a [u64; PIVOTS],
    /// The leaf's implied limits, its used slots, and the window `[first, last]`.
    min: u64,
    max: u64,
    len: usize,
    first: u64,
    last: u64,
    values: LeafValuesMut<'a, T>,
}

impl<'a, T> LeafMut<'a, T> {
    /// The item for slot `off` holding `value`, if the slot lies inside the window.
    fn item(&self, off: usize, value: &'a mut T) -> Option<(RangeInclusive<u64>, &'a mut T)> {
        let (start, end) = slot_range(self.pivots, self.len, off, self.min, self.max);
        if end < self.first || start > self.last {
            return None;
        }
        Some((start..=end, value))
    }
}

impl<'a, T> Iterator for LeafMut<'a, T> {
    type Item = (RangeInclusive<u64>, &'a mut T);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let (off, value) = self.values.next()?;
            if let Some(item) = self.item(off, value) {
                return Some(item);
            }
        }
    }
}

impl<T> DoubleEndedIterator for LeafMut<'_, T> {
    fn next_back(&mut self) -> Option<Self::Item> {
        loop {
            let (off, value) = self.values.next_back()?;
            if let Some(item) = self.item(off, value) {
                return Some(item);
            }
        }
    }
}

/// Double-ended iterator over the entries overlapping a window, with mutable values, from
/// [`MapleTree::range_mut`]. Each item is the entry's whole range (which may reach outside the
/// window) and its value.
pub struct RangeMut<'a, T, K: Key = u64> {
    inner: Flatten<alloc::vec::IntoIter<LeafMut<'a, T>>>,
    key: PhantomData<fn() -> K>,
}

impl<'a, T, K: Key> RangeMut<'a, T, K> {
    /// The entries of `tree` overlapping `[first, last]` (stored keys; none if
    /// `first > last`).
    pub(crate) fn new(tree: &'a mut MapleTree<T, K>, first: u64, last: u64) -> Self {
        let mut limits: Vec<(NodeId, u64, u64)> = Vec::new();
        if tree.root != NO_NODE && first <= last {
            let mut path = Path::walk(&tree.arena, tree.root, tree.height(), first);
            let depth = path.leaf_depth();
            loop {
                let lv = *path.leaf();
                limits.push((lv.node, lv.min, lv.max));
                if lv.max >= last || path.move_next(&tree.arena, depth).is_none() {
                    break;
                }
            }
        }
        let ids: Vec<NodeId> = limits.iter().map(|&(id, _, _)| id).collect();
        let leaves = tree.arena.leaves_mut(&ids);
        let parts: Vec<LeafMut<'a, T>> = leaves
            .into_iter()
            .zip(limits)
            .map(|(leaf, (_, min, max))| {
                let (pivots, len, values) = leaf.values_mut();
                LeafMut { pivots, min, max, len, first, last, values }
            })
            .collect();
        RangeMut { inner: parts.into_iter().flatten(), key: PhantomData }
    }
}

impl<'a, T, K: Key> Iterator for RangeMut<'a, T, K> {
    type Item = (RangeInclusive<K>, &'a mut T);

    fn next(&mut self) -> Option<Self::Item> {
        self.inner.next().map(|(range, value)| (value_range(range), value))
    }
}

impl<T, K: Key> DoubleEndedIterator for RangeMut<'_, T, K> {
    fn next_back(&mut self) -> Option<Self::Item> {
        self.inner.next_back().map(|(range, value)| (value_range(range), value))
    }
}

impl<T, K: Key> FusedIterator for RangeMut<'_, T, K> {}

/// Double-ended iterator over all entries in key order, with mutable values, from
/// [`MapleTree::iter_mut`].
pub struct IterMut<'a, T, K: Key = u64> {
    inner: RangeMut<'a, T, K>,
    remaining: usize,
}

impl<'a, T, K: Key> IterMut<'a, T, K> {
    pub(crate) fn new(tree: &'a mut MapleTree<T, K>) -> Self {
        let remaining = tree.len();
        IterMut { inner: RangeMut::new(tree, 0, top::<K>()), remaining }
    }
}

impl<'a, T, K: Key> Iterator for IterMut<'a, T, K> {
    type Item = (RangeInclusive<K>, &'a mut T);

    fn next(&mut self) -> Option<Self::Item> {
        let item = self.inner.next()?;
        self.remaining -= 1;
        Some(item)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl<T, K: Key> DoubleEndedIterator for IterMut<'_, T, K> {
    fn next_back(&mut self) -> Option<Self::Item> {
        let item = self.inner.next_back()?;
        self.remaining -= 1;
        Some(item)
    }
}

impl<T, K: Key> ExactSizeIterator for IterMut<'_, T, K> {}
impl<T, K: Key> FusedIterator for IterMut<'_, T, K> {}

/// Double-ended iterator over the values in key order, mutably, from
/// [`MapleTree::values_mut`].
pub struct ValuesMut<'a, T, K: Key = u64> {
    inner: IterMut<'a, T, K>,
}

impl<'a, T, K: Key> Iterator for ValuesMut<'a, T, K> {
    type Item = &'a mut T;

    fn next(&mut self) -> Option<&'a mut T> {
        self.inner.next().map(|(_, v)| v)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.inner.size_hint()
    }
}

impl<T, K: Key> DoubleEndedIterator for ValuesMut<'_, T, K> {
    fn next_back(&mut self) -> Option<Self::Item> {
        self.inner.next_back().map(|(_, v)| v)
    }
}

impl<T, K: Key> ExactSizeIterator for ValuesMut<'_, T, K> {}
impl<T, K: Key> FusedIterator for ValuesMut<'_, T, K> {}

impl<T, K: Key> MapleTree<T, K> {
    /// All entries in key order, each with its range and a mutable reference to its value
    /// (BTreeMap's `iter_mut`). Values change in place; ranges cannot.
    ///
    /// ```
    /// let mut tree: maple_tree::MapleTree<u32> = [(0..=9, 1), (20..=29, 2)].into();
    /// for (range, value) in tree.iter_mut() {
    ///     *value += *range.start() as u32;
    /// }
    /// assert_eq!(tree.get(5), Some(&1));
    /// assert_eq!(tree.get(25), Some(&22));
    /// ```
    pub fn iter_mut(&mut self) -> IterMut<'_, T, K> {
        IterMut::new(self)
    }

    /// The entries overlapping `range`, in key order, with mutable values (BTreeMap's
    /// `range_mut`). Items carry each entry's whole range, which may reach outside `range`;
    /// an empty `range` yields nothing. O(log n + k).
    ///
    /// ```
    /// let mut tree = maple_tree::MapleTree::new();
    /// for i in 0..10u64 {
    ///     tree.store_range(i * 10, i * 10 + 4, i)?;
    /// }
    /// for (_, value) in tree.range_mut(22..=41) {
    ///     *value *= 100;
    /// }
    /// let values: Vec<u64> = tree.values().copied().collect();
    /// assert_eq!(values, [0, 1, 200, 300, 400, 5, 6, 7, 8, 9]);
    /// # Ok::<(), maple_tree::Error>(())
    /// ```
    pub fn range_mut<R: core::ops::RangeBounds<K>>(&mut self, range: R) -> RangeMut<'_, T, K> {
        match raw_bounds(&range) {
            Some((first, last)) => RangeMut::new(self, first, last),
            None => RangeMut::new(self, 1, 0),
        }
    }

    /// The values in key order, mutably (BTreeMap's `values_mut`).
    ///
    /// ```
    /// let mut tree: maple_tree::MapleTree<String> = [(0..=9, "a".to_string()), (10..=19, "b".into())].into();
    /// tree.values_mut().for_each(|v| v.push('!'));
    /// assert_eq!(tree[15], "b!");
    /// ```
    pub fn values_mut(&mut self) -> ValuesMut<'_, T, K> {
        ValuesMut { inner: self.iter_mut() }
    }
}

impl<'a, T, K: Key> IntoIterator for &'a mut MapleTree<T, K> {
    type Item = (RangeInclusive<K>, &'a mut T);
    type IntoIter = IterMut<'a, T, K>;

    fn into_iter(self) -> IterMut<'a, T, K> {
        self.iter_mut()
    }
}

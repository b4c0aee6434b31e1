//! Double-ended iterators over the entries of a tree.
//!
//! The borrowing iterators ([`Iter`], [`Range`], and `Keys`/`Values` on top of [`Iter`]) run
//! on a [`LeafWalk`]: each end holds the values of its current leaf that it has not yet
//! yielded (a [`LeafRun`](crate::node::LeafRun)), so a step reads a presence bit, a value and the slot's pivots and
//! nothing else; the end's path moves only to open the next leaf, from the parent level when
//! the leaf has a sibling there. The invariants they add:
//!
//! * a run holds only slots inside the iteration's window, so no step compares keys;
//! * the front's leaf is never after the back's; when one end opens the other's leaf, the
//!   two runs are intersected into one (the walk is *shared*) and both ends take from it, so
//!   every entry is yielded exactly once.
//!
//! The owning [`IntoIter`] moves values out of the tree's leaves and walks with a
//! [`Walker`], which re-reads the leaf at each step.

use crate::key::{top, value_range, Key};
use crate::node::NodeId;
use crate::MapleTree;
use core::fmt;
use core::iter::FusedIterator;
use core::marker::PhantomData;
use core::ops::RangeInclusive;

mod leaf_walk;
mod walk;

use leaf_walk::LeafWalk;
use walk::Walker;
pub(crate) use walk::{step_back, step_forward};

/// Iterator over the entries overlapping a range of keys, in key order, from
/// [`MapleTree::range`]. Each item is the entry's whole range (which may reach outside the
/// requested one) and a reference to its value.
pub struct Range<'a, T, K: Key = u64> {
    walk: LeafWalk<'a, T>,
    /// Entries in the tree: at most that many are left.
    tree_len: usize,
    key: PhantomData<fn() -> K>,
}

impl<T, K: Key> Clone for Range<'_, T, K> {
    fn clone(&self) -> Self {
        Range { walk: self.walk.clone(), ..*self }
    }
}

impl<T: fmt::Debug, K: Key> fmt::Debug for Range<'_, T, K> {
    /// The entries left, as a list.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.clone()).finish()
    }
}

impl<'a, T, K: Key> Range<'a, T, K> {
    /// The entries overlapping `first..=last` (stored keys).
    pub(crate) fn new(tree: &'a MapleTree<T, K>, first: u64, last: u64) -> Self {
        Range { walk: LeafWalk::new(tree, first, last), tree_len: tree.len(), key: PhantomData }
    }
}

/// An item of the borrowing iterators, from a walk's `(first key, last key, value)`.
#[inline]
fn item<T, K: Key>((start, end, value): (u64, u64, &T)) -> (RangeInclusive<K>, &T) {
    (value_range(start..=end), value)
}

impl<'a, T, K: Key> Iterator for Range<'a, T, K> {
    type Item = (RangeInclusive<K>, &'a T);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        self.walk.next().map(item)
    }

    /// At least the entries of the leaves the ends are in; at most every entry of the tree.
    fn size_hint(&self) -> (usize, Option<usize>) {
        if self.walk.done {
            return (0, Some(0));
        }
        (self.walk.buffered(), Some(self.tree_len))
    }

    fn fold<B, F: FnMut(B, Self::Item) -> B>(mut self, init: B, mut f: F) -> B {
        self.walk.fold(init, |acc, start, end, value| f(acc, item((start, end, value))))
    }

    /// Counts a leaf at a time.
    fn count(self) -> usize {
        self.walk.count()
    }

    /// Skips a leaf at a time.
    fn nth(&mut self, n: usize) -> Option<Self::Item> {
        if self.walk.skip(n) {
            self.next()
        } else {
            None
        }
    }

    /// From the back: one descent.
    fn last(mut self) -> Option<Self::Item> {
        self.next_back()
    }
}

impl<'a, T, K: Key> DoubleEndedIterator for Range<'a, T, K> {
    #[inline]
    fn next_back(&mut self) -> Option<Self::Item> {
        self.walk.next_back().map(item)
    }

    fn rfold<B, F: FnMut(B, Self::Item) -> B>(mut self, init: B, mut f: F) -> B {
        self.walk.rfold(init, |acc, start, end, value| f(acc, item((start, end, value))))
    }

    /// Skips a leaf at a time.
    fn nth_back(&mut self, n: usize) -> Option<Self::Item> {
        if self.walk.skip_back(n) {
            self.next_back()
        } else {
            None
        }
    }
}

impl<T, K: Key> FusedIterator for Range<'_, T, K> {}

/// Iterator over all entries of a tree in key order, from [`MapleTree::iter`].
pub struct Iter<'a, T, K: Key = u64> {
    inner: Range<'a, T, K>,
    remaining: usize,
}

impl<T, K: Key> Clone for Iter<'_, T, K> {
    fn clone(&self) -> Self {
        Iter { inner: self.inner.clone(), remaining: self.remaining }
    }
}

impl<T: fmt::Debug, K: Key> fmt::Debug for Iter<'_, T, K> {
    /// The entries left, as a list.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.clone()).finish()
    }
}

impl<'a, T, K: Key> Iter<'a, T, K> {
    pub(crate) fn new(tree: &'a MapleTree<T, K>) -> Self {
        Iter { inner: Range::new(tree, 0, top::<K>()), remaining: tree.len() }
    }
}

impl<'a, T, K: Key> Iterator for Iter<'a, T, K> {
    type Item = (RangeInclusive<K>, &'a T);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        let item = self.inner.next()?;
        self.remaining -= 1;
        Some(item)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }

    fn fold<B, F: FnMut(B, Self::Item) -> B>(self, init: B, f: F) -> B {
        self.inner.fold(init, f)
    }

    fn count(self) -> usize {
        self.remaining
    }

    fn nth(&mut self, n: usize) -> Option<Self::Item> {
        if n >= self.remaining {
            self.inner.walk.finish();
            self.remaining = 0;
            return None;
        }
        self.remaining -= n + 1;
        self.inner.nth(n)
    }

    fn last(mut self) -> Option<Self::Item> {
        self.next_back()
    }
}

impl<T, K: Key> DoubleEndedIterator for Iter<'_, T, K> {
    #[inline]
    fn next_back(&mut self) -> Option<Self::Item> {
        let item = self.inner.next_back()?;
        self.remaining -= 1;
        Some(item)
    }

    fn rfold<B, F: FnMut(B, Self::Item) -> B>(self, init: B, f: F) -> B {
        self.inner.rfold(init, f)
    }

    fn nth_back(&mut self, n: usize) -> Option<Self::Item> {
        if n >= self.remaining {
            self.inner.walk.finish();
            self.remaining = 0;
            return None;
        }
        self.remaining -= n + 1;
        self.inner.nth_back(n)
    }
}

impl<T, K: Key> ExactSizeIterator for Iter<'_, T, K> {}
impl<T, K: Key> FusedIterator for Iter<'_, T, K> {}

/// Owning iterator over the entries of a tree in key order, from
/// [`MapleTree::into_iter`](IntoIterator::into_iter).
#[derive(Debug)]
pub struct IntoIter<T, K: Key = u64> {
    tree: MapleTree<T, K>,
    walker: Walker,
    remaining: usize,
}

impl<T, K: Key> IntoIter<T, K> {
    pub(crate) fn new(tree: MapleTree<T, K>) -> Self {
        let walker = Walker::new(&tree, 0, top::<K>());
        let remaining = tree.len();
        IntoIter { tree, walker, remaining }
    }

    fn take(&mut self, node: NodeId, offset: usize) -> T {
        self.remaining -= 1;
        self.tree.arena.leaf_mut(node).take(offset).expect("the walker yields non-NULL slots")
    }
}

impl<T, K: Key> Iterator for IntoIter<T, K> {
    type Item = (RangeInclusive<K>, T);

    fn next(&mut self) -> Option<Self::Item> {
        let (range, node, offset, _) = self.walker.next(&self.tree.arena)?;
        Some((value_range(range), self.take(node, offset)))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl<T, K: Key> DoubleEndedIterator for IntoIter<T, K> {
    fn next_back(&mut self) -> Option<Self::Item> {
        let (range, node, offset, _) = self.walker.next_back(&self.tree.arena)?;
        Some((value_range(range), self.take(node, offset)))
    }
}

impl<T, K: Key> ExactSizeIterator for IntoIter<T, K> {}
impl<T, K: Key> FusedIterator for IntoIter<T, K> {}

//! Double-ended iterators over the entries of a tree.

use crate::node::{Arena, NodeId};
use crate::path::Path;
use crate::MapleTree;
use core::iter::FusedIterator;
use core::ops::RangeInclusive;

/// Steps a path to the next slot of the leaf level; `false` at the last slot of the tree.
pub(crate) fn step_forward<T>(arena: &Arena<T>, path: &mut Path) -> bool {
    let depth = path.leaf_depth();
    let lv = &mut path.levels[depth];
    if lv.offset() + 1 < lv.len() {
        lv.offset += 1;
        return true;
    }
    path.move_next(arena, depth).is_some()
}

/// Mirror of [`step_forward`].
pub(crate) fn step_back<T>(arena: &Arena<T>, path: &mut Path) -> bool {
    let depth = path.leaf_depth();
    let lv = &mut path.levels[depth];
    if lv.offset() > 0 {
        lv.offset -= 1;
        return true;
    }
    path.move_prev(arena, depth).is_some()
}

/// The walking part shared by the borrowing and the owning iterators: two paths that move
/// towards each other over the non-NULL slots overlapping `[front_index, back_index]`.
#[derive(Clone, Debug)]
struct Walker {
    front: Path,
    back: Path,
    /// Lowest key not yet passed by the front.
    front_index: u64,
    /// Highest key not yet passed by the back.
    back_index: u64,
    done: bool,
}

impl Walker {
    fn new<T>(tree: &MapleTree<T>, first: u64, last: u64) -> Walker {
        let done = tree.root == crate::node::NO_NODE || first > last;
        let (front, back) = if done {
            (Path::EMPTY, Path::EMPTY)
        } else {
            let height = usize::from(tree.height);
            (Path::walk(&tree.arena, tree.root, height, first), Path::walk(&tree.arena, tree.root, height, last))
        };
        Walker { front, back, front_index: first, back_index: last, done }
    }

    /// The next non-NULL slot from the front: its range and its leaf and offset.
    fn next<T>(&mut self, arena: &Arena<T>) -> Option<(RangeInclusive<u64>, NodeId, usize)> {
        while !self.done {
            let (start, end) = self.front.leaf_slot_range(arena);
            if start > self.back_index {
                self.done = true;
                break;
            }
            let lv = *self.front.leaf();
            let full = arena.leaf(lv.node).slots[lv.offset()].is_some();
            if end >= self.back_index {
                self.done = true;
            } else {
                self.front_index = end + 1;
                self.done = !step_forward(arena, &mut self.front);
            }
            if full {
                return Some((start..=end, lv.node, lv.offset()));
            }
        }
        None
    }

    /// Mirror of [`Walker::next`].
    fn next_back<T>(&mut self, arena: &Arena<T>) -> Option<(RangeInclusive<u64>, NodeId, usize)> {
        while !self.done {
            let (start, end) = self.back.leaf_slot_range(arena);
            if end < self.front_index {
                self.done = true;
                break;
            }
            let lv = *self.back.leaf();
            let full = arena.leaf(lv.node).slots[lv.offset()].is_some();
            if start <= self.front_index {
                self.done = true;
            } else {
                self.back_index = start - 1;
                self.done = !step_back(arena, &mut self.back);
            }
            if full {
                return Some((start..=end, lv.node, lv.offset()));
            }
        }
        None
    }
}

/// Iterator over the entries overlapping a range of keys, in key order, from
/// [`MapleTree::range`]. Each item is the entry's whole range (which may reach outside the
/// requested one) and a reference to its value.
#[derive(Clone, Debug)]
pub struct Range<'a, T> {
    tree: &'a MapleTree<T>,
    walker: Walker,
}

impl<'a, T> Range<'a, T> {
    pub(crate) fn new(tree: &'a MapleTree<T>, first: u64, last: u64) -> Self {
        Range { tree, walker: Walker::new(tree, first, last) }
    }

    fn value(&self, node: NodeId, offset: usize) -> &'a T {
        let tree: &'a MapleTree<T> = self.tree;
        tree.arena.leaf(node).slots[offset].as_ref().expect("the walker yields non-NULL slots")
    }
}

impl<'a, T> Iterator for Range<'a, T> {
    type Item = (RangeInclusive<u64>, &'a T);

    fn next(&mut self) -> Option<Self::Item> {
        let (range, node, offset) = self.walker.next(&self.tree.arena)?;
        Some((range, self.value(node, offset)))
    }
}

impl<T> DoubleEndedIterator for Range<'_, T> {
    fn next_back(&mut self) -> Option<Self::Item> {
        let (range, node, offset) = self.walker.next_back(&self.tree.arena)?;
        Some((range, self.value(node, offset)))
    }
}

impl<T> FusedIterator for Range<'_, T> {}

/// Iterator over all entries of a tree in key order, from [`MapleTree::iter`].
#[derive(Clone, Debug)]
pub struct Iter<'a, T> {
    inner: Range<'a, T>,
    remaining: usize,
}

impl<'a, T> Iter<'a, T> {
    pub(crate) fn new(tree: &'a MapleTree<T>) -> Self {
        Iter { inner: Range::new(tree, 0, u64::MAX), remaining: tree.len() }
    }
}

impl<'a, T> Iterator for Iter<'a, T> {
    type Item = (RangeInclusive<u64>, &'a T);

    fn next(&mut self) -> Option<Self::Item> {
        let item = self.inner.next()?;
        self.remaining -= 1;
        Some(item)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl<T> DoubleEndedIterator for Iter<'_, T> {
    fn next_back(&mut self) -> Option<Self::Item> {
        let item = self.inner.next_back()?;
        self.remaining -= 1;
        Some(item)
    }
}

impl<T> ExactSizeIterator for Iter<'_, T> {}
impl<T> FusedIterator for Iter<'_, T> {}

/// Owning iterator over the entries of a tree in key order, from
/// [`MapleTree::into_iter`](IntoIterator::into_iter).
#[derive(Debug)]
pub struct IntoIter<T> {
    tree: MapleTree<T>,
    walker: Walker,
    remaining: usize,
}

impl<T> IntoIter<T> {
    pub(crate) fn new(tree: MapleTree<T>) -> Self {
        let walker = Walker::new(&tree, 0, u64::MAX);
        let remaining = tree.len();
        IntoIter { tree, walker, remaining }
    }

    fn take(&mut self, node: NodeId, offset: usize) -> T {
        self.remaining -= 1;
        self.tree.arena.leaf_mut(node).slots[offset].take().expect("the walker yields non-NULL slots")
    }
}

impl<T> Iterator for IntoIter<T> {
    type Item = (RangeInclusive<u64>, T);

    fn next(&mut self) -> Option<Self::Item> {
        let (range, node, offset) = self.walker.next(&self.tree.arena)?;
        Some((range, self.take(node, offset)))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl<T> DoubleEndedIterator for IntoIter<T> {
    fn next_back(&mut self) -> Option<Self::Item> {
        let (range, node, offset) = self.walker.next_back(&self.tree.arena)?;
        Some((range, self.take(node, offset)))
    }
}

impl<T> ExactSizeIterator for IntoIter<T> {}
impl<T> FusedIterator for IntoIter<T> {}

//! Double-ended iterators over the entries of a tree.

use crate::key::{top, value_range, Key};
use crate::node::{Arena, NodeId};
use crate::path::Path;
use crate::MapleTree;
use core::iter::FusedIterator;
use core::ops::RangeInclusive;

/// A non-NULL slot found by a [`Walker`]: its range, its leaf and offset, and its value.
type Slot<'a, T> = (RangeInclusive<u64>, NodeId, usize, &'a T);

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
///
/// Each path is walked down from the root on its first use, so an iteration in one
/// direction makes one descent. Within a leaf a step reads the next pivot only; the path
/// climbs (through [`Path::move_next`]/[`Path::move_prev`]) only to change leaves.
#[derive(Clone, Debug)]
struct Walker {
    front: Path,
    back: Path,
    /// Lowest key not yet passed by the front.
    front_index: u64,
    /// Highest key not yet passed by the back.
    back_index: u64,
    /// Whether `front` (`back`) has been walked down yet.
    front_ready: bool,
    back_ready: bool,
    root: NodeId,
    height: u8,
    done: bool,
}

impl Walker {
    fn new<T, K: Key>(tree: &MapleTree<T, K>, first: u64, last: u64) -> Walker {
        Walker {
            front: Path::EMPTY,
            back: Path::EMPTY,
            front_index: first,
            back_index: last,
            front_ready: false,
            back_ready: false,
            root: tree.root,
            height: tree.height,
            done: tree.root == crate::node::NO_NODE || first > last,
        }
    }

    /// The next non-NULL slot from the front: its range, its leaf and offset, and its value.
    /// Within a leaf the presence bits lead to the next value, past any NULL slot; the path
    /// moves only to change leaves.
    fn next<'a, T>(&mut self, arena: &'a Arena<T>) -> Option<Slot<'a, T>> {
        if self.done {
            return None;
        }
        if !self.front_ready {
            self.front.walk_in_place(arena, self.root, usize::from(self.height), self.front_index);
            self.front_ready = true;
        }
        let depth = self.front.leaf_depth();
        loop {
            let lv = self.front.levels[depth];
            let leaf = arena.leaf(lv.node);
            let len = lv.len();
            let bits = leaf.present_bits() >> lv.offset();
            if bits != 0 {
                let off = lv.offset() + bits.trailing_zeros() as usize;
                let start = if off == 0 { lv.min } else { leaf.pivots()[off - 1] + 1 };
                if start > self.back_index {
                    self.done = true;
                    return None;
                }
                let end = if off + 1 >= len { lv.max } else { leaf.pivots()[off] };
                let value = leaf.get(off).expect("a slot with its presence bit holds a value");
                if end >= self.back_index {
                    self.done = true;
                } else {
                    self.front_index = end + 1;
                    if off + 1 < len {
                        self.front.levels[depth].offset = (off + 1) as u8;
                    } else {
                        self.front.levels[depth].offset = off as u8;
                        self.done = self.front.move_next(arena, depth).is_none();
                    }
                }
                return Some((start..=end, lv.node, off, value));
            }
            // Only NULL slots are left in this leaf.
            if lv.max >= self.back_index {
                self.done = true;
                return None;
            }
            self.front_index = lv.max + 1;
            self.front.levels[depth].offset = (len - 1) as u8;
            if self.front.move_next(arena, depth).is_none() {
                self.done = true;
                return None;
            }
        }
    }
    /// Calls `f` on every remaining non-NULL slot from the front, in order, and ends the walk:
    /// [`Walker::next`] without keeping the position between slots (internal iteration, for
    /// `fold` and what is built on it).
    fn fold<'a, T, B>(&mut self, arena: &'a Arena<T>, init: B, mut f: impl FnMut(B, u64, u64, &'a T) -> B) -> B {
        let mut acc = init;
        if self.done {
            return acc;
        }
        self.done = true;
        if !self.front_ready {
            self.front.walk_in_place(arena, self.root, usize::from(self.height), self.front_index);
            self.front_ready = true;
        }
        let (depth, back_index) = (self.front.leaf_depth(), self.back_index);
        loop {
            let lv = self.front.levels[depth];
            let leaf = arena.leaf(lv.node);
            let len = lv.len();
            // From value to value: the NULL slots between them cost nothing.
            let (mut bits, values) = leaf.values_in(lv.offset(), len);
            let mut values = values.iter();
            while bits != 0 {
                let off = lv.offset() + bits.trailing_zeros() as usize;
                bits &= bits - 1;
                let start = if off == 0 { lv.min } else { leaf.pivots()[off - 1] + 1 };
                if start > back_index {
                    return acc;
                }
                let end = if off + 1 >= len { lv.max } else { leaf.pivots()[off] };
                if let Some(value) = values.next() {
                    acc = f(acc, start, end, value);
                }
                if end >= back_index {
                    return acc;
                }
            }
            if lv.max >= back_index {
                return acc;
            }
            self.front.levels[depth].offset = (len - 1) as u8;
            if self.front.move_next(arena, depth).is_none() {
                return acc;
            }
        }
    }

    /// Mirror of [`Walker::fold`]: every remaining non-NULL slot from the back, in reverse
    /// order (for `rfold`).
    fn rfold<'a, T, B>(&mut self, arena: &'a Arena<T>, init: B, mut f: impl FnMut(B, u64, u64, &'a T) -> B) -> B {
        let mut acc = init;
        if self.done {
            return acc;
        }
        self.done = true;
        if !self.back_ready {
            self.back.walk_in_place(arena, self.root, usize::from(self.height), self.back_index);
            self.back_ready = true;
        }
        let (depth, front_index) = (self.back.leaf_depth(), self.front_index);
        loop {
            let lv = self.back.levels[depth];
            let leaf = arena.leaf(lv.node);
            let len = lv.len();
            let (mut bits, values) = leaf.values_in(0, lv.offset() + 1);
            let mut values = values.iter();
            while bits != 0 {
                let off = 31 - bits.leading_zeros() as usize;
                bits &= !(1 << off);
                let end = if off + 1 >= len { lv.max } else { leaf.pivots()[off] };
                if end < front_index {
                    return acc;
                }
                let start = if off == 0 { lv.min } else { leaf.pivots()[off - 1] + 1 };
                if let Some(value) = values.next_back() {
                    acc = f(acc, start, end, value);
                }
                if start <= front_index {
                    return acc;
                }
            }
            if lv.min <= front_index {
                return acc;
            }
            self.back.levels[depth].offset = 0;
            if self.back.move_prev(arena, depth).is_none() {
                return acc;
            }
        }
    }

    /// Mirror of [`Walker::next`].
    fn next_back<'a, T>(&mut self, arena: &'a Arena<T>) -> Option<Slot<'a, T>> {
        if self.done {
            return None;
        }
        if !self.back_ready {
            self.back.walk_in_place(arena, self.root, usize::from(self.height), self.back_index);
            self.back_ready = true;
        }
        let depth = self.back.leaf_depth();
        loop {
            let lv = self.back.levels[depth];
            let leaf = arena.leaf(lv.node);
            let len = lv.len();
            let bits = leaf.present_bits() & ((2 << lv.offset()) - 1);
            if bits != 0 {
                let off = 31 - bits.leading_zeros() as usize;
                let end = if off + 1 >= len { lv.max } else { leaf.pivots()[off] };
                if end < self.front_index {
                    self.done = true;
                    return None;
                }
                let start = if off == 0 { lv.min } else { leaf.pivots()[off - 1] + 1 };
                let value = leaf.get(off).expect("a slot with its presence bit holds a value");
                if start <= self.front_index {
                    self.done = true;
                } else {
                    self.back_index = start - 1;
                    if off > 0 {
                        self.back.levels[depth].offset = (off - 1) as u8;
                    } else {
                        self.back.levels[depth].offset = 0;
                        self.done = self.back.move_prev(arena, depth).is_none();
                    }
                }
                return Some((start..=end, lv.node, off, value));
            }
            if lv.min <= self.front_index {
                self.done = true;
                return None;
            }
            self.back_index = lv.min - 1;
            self.back.levels[depth].offset = 0;
            if self.back.move_prev(arena, depth).is_none() {
                self.done = true;
                return None;
            }
        }
    }
}

/// Iterator over the entries overlapping a range of keys, in key order, from
/// [`MapleTree::range`]. Each item is the entry's whole range (which may reach outside the
/// requested one) and a reference to its value.
#[derive(Clone, Debug)]
pub struct Range<'a, T, K: Key = u64> {
    tree: &'a MapleTree<T, K>,
    walker: Walker,
}

impl<'a, T, K: Key> Range<'a, T, K> {
    /// The entries overlapping `first..=last` (stored keys).
    pub(crate) fn new(tree: &'a MapleTree<T, K>, first: u64, last: u64) -> Self {
        Range { tree, walker: Walker::new(tree, first, last) }
    }
}

impl<'a, T, K: Key> Iterator for Range<'a, T, K> {
    type Item = (RangeInclusive<K>, &'a T);

    fn next(&mut self) -> Option<Self::Item> {
        let tree: &'a MapleTree<T, K> = self.tree;
        let (range, _, _, value) = self.walker.next(&tree.arena)?;
        Some((value_range(range), value))
    }

    fn fold<B, F: FnMut(B, Self::Item) -> B>(mut self, init: B, mut f: F) -> B {
        let tree: &'a MapleTree<T, K> = self.tree;
        self.walker.fold(&tree.arena, init, |acc, start, end, value| f(acc, (value_range(start..=end), value)))
    }
}

impl<'a, T, K: Key> DoubleEndedIterator for Range<'a, T, K> {
    fn next_back(&mut self) -> Option<Self::Item> {
        let tree: &'a MapleTree<T, K> = self.tree;
        let (range, _, _, value) = self.walker.next_back(&tree.arena)?;
        Some((value_range(range), value))
    }

    fn rfold<B, F: FnMut(B, Self::Item) -> B>(mut self, init: B, mut f: F) -> B {
        let tree: &'a MapleTree<T, K> = self.tree;
        self.walker.rfold(&tree.arena, init, |acc, start, end, value| f(acc, (value_range(start..=end), value)))
    }
}

impl<T, K: Key> FusedIterator for Range<'_, T, K> {}

/// Iterator over all entries of a tree in key order, from [`MapleTree::iter`].
#[derive(Clone, Debug)]
pub struct Iter<'a, T, K: Key = u64> {
    inner: Range<'a, T, K>,
    remaining: usize,
}

impl<'a, T, K: Key> Iter<'a, T, K> {
    pub(crate) fn new(tree: &'a MapleTree<T, K>) -> Self {
        Iter { inner: Range::new(tree, 0, top::<K>()), remaining: tree.len() }
    }
}

impl<'a, T, K: Key> Iterator for Iter<'a, T, K> {
    type Item = (RangeInclusive<K>, &'a T);

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
}

impl<T, K: Key> DoubleEndedIterator for Iter<'_, T, K> {
    fn next_back(&mut self) -> Option<Self::Item> {
        let item = self.inner.next_back()?;
        self.remaining -= 1;
        Some(item)
    }

    fn rfold<B, F: FnMut(B, Self::Item) -> B>(self, init: B, f: F) -> B {
        self.inner.rfold(init, f)
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

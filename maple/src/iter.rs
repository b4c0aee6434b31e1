//! Double-ended iterators over the entries of a tree.
//!
//! The borrowing iterators ([`Iter`], [`Range`], and `Keys`/`Values` on top of [`Iter`]) run
//! on a [`LeafWalk`]: each end holds the values of its current leaf that it has not yet
//! yielded (a [`LeafRun`]), so a step reads a presence bit, a value and the slot's pivots and
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
use crate::node::{slot_of, Arena, LeafRun, NodeId, NO_NODE};
use crate::path::{Level, Path};
use crate::MapleTree;
use core::fmt;
use core::iter::FusedIterator;
use core::marker::PhantomData;
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
    next_leaf(arena, path)
}

/// Mirror of [`step_forward`].
pub(crate) fn step_back<T>(arena: &Arena<T>, path: &mut Path) -> bool {
    let depth = path.leaf_depth();
    let lv = &mut path.levels[depth];
    if lv.offset() > 0 {
        lv.offset -= 1;
        return true;
    }
    prev_leaf(arena, path)
}

/// The walk of the owning iterator: two paths that move towards each other over the
/// non-NULL slots overlapping `[front_index, back_index]`.
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

/// Moves `path` to the first slot of the next leaf; `false` (path unchanged) at the last
/// leaf. A leaf with a next sibling is reached from the parent level alone.
#[inline]
fn next_leaf<T>(arena: &Arena<T>, path: &mut Path) -> bool {
    let depth = path.leaf_depth();
    if let Some(parent) = depth.checked_sub(1).map(|d| &mut path.levels[d]) {
        if parent.offset() + 1 < parent.len() {
            parent.offset += 1;
            let (node, off) = (arena.internal(parent.node), parent.offset());
            let (min, max) = node.slot_range(off, parent.min, parent.max);
            let child = node.child(off);
            let len = arena.leaf(child).len() as u8;
            path.levels[depth] = Level { node: child, offset: 0, len, min, max };
            return true;
        }
    }
    path.move_next(arena, depth).is_some()
}

/// Mirror of [`next_leaf`]: the last slot of the previous leaf.
#[inline]
fn prev_leaf<T>(arena: &Arena<T>, path: &mut Path) -> bool {
    let depth = path.leaf_depth();
    if let Some(parent) = depth.checked_sub(1).map(|d| &mut path.levels[d]) {
        if parent.offset() > 0 {
            parent.offset -= 1;
            let (node, off) = (arena.internal(parent.node), parent.offset());
            let (min, max) = node.slot_range(off, parent.min, parent.max);
            let child = node.child(off);
            let len = arena.leaf(child).len() as u8;
            path.levels[depth] = Level { node: child, offset: len - 1, len, min, max };
            return true;
        }
    }
    path.move_prev(arena, depth).is_some()
}

/// The borrowing iterators' walk: a front and a back that move towards each other over the
/// non-NULL slots overlapping the window `[first, last]`.
///
/// Each side holds a [`LeafRun`] of its current leaf: the values of that leaf it has not yet
/// yielded, restricted to the window. A step pops from the run and does nothing else; the
/// side's path moves (through [`Path::move_next`]/[`Path::move_prev`]) only when its run is
/// empty, to open the next leaf. Each path is walked down from the root on its first use,
/// so an iteration in one direction makes one descent.
///
/// When one side opens the leaf the other side is in, the two runs are intersected into the
/// front's and the walk is `shared`: both ends then pop from the front's run, and the walk
/// ends when it is empty.
struct LeafWalk<'a, T> {
    arena: &'a Arena<T>,
    front: LeafRun<'a, T>,
    back: LeafRun<'a, T>,
    front_path: Path,
    back_path: Path,
    first: u64,
    last: u64,
    root: NodeId,
    height: u8,
    /// Whether `front_path` (`back_path`) has been walked down yet.
    front_ready: bool,
    back_ready: bool,
    shared: bool,
    done: bool,
}

impl<T> Clone for LeafWalk<'_, T> {
    fn clone(&self) -> Self {
        LeafWalk { front_path: self.front_path.clone(), back_path: self.back_path.clone(), ..*self }
    }
}

impl<'a, T> LeafWalk<'a, T> {
    fn new<K: Key>(tree: &'a MapleTree<T, K>, first: u64, last: u64) -> Self {
        LeafWalk {
            arena: &tree.arena,
            front: LeafRun::EMPTY,
            back: LeafRun::EMPTY,
            front_path: Path::EMPTY,
            back_path: Path::EMPTY,
            first,
            last,
            root: tree.root,
            height: tree.height,
            front_ready: false,
            back_ready: false,
            shared: false,
            done: tree.root == NO_NODE || first > last,
        }
    }

    /// Ends the walk.
    fn finish(&mut self) {
        self.done = true;
        self.front = LeafRun::EMPTY;
        self.back = LeafRun::EMPTY;
    }

    /// The values the two runs hold (a lower bound of what is left).
    fn buffered(&self) -> usize {
        self.front.len() + self.back.len()
    }

    /// Opens the front's next leaf with a value in the window into `front` (possibly
    /// empty, then the caller tries again); `false` when the front has passed the window.
    fn open_front(&mut self) -> bool {
        if self.done || self.shared {
            return false;
        }
        if self.front_ready {
            let lv = self.front_path.leaf();
            if lv.max >= self.last || !next_leaf(self.arena, &mut self.front_path) {
                return false;
            }
        } else {
            self.front_path.walk_in_place(self.arena, self.root, usize::from(self.height), self.first);
            self.front_ready = true;
        }
        // Entered at the slot holding `first`, or at the first slot of a later leaf.
        let lv = *self.front_path.leaf();
        let leaf = self.arena.leaf(lv.node);
        let to = if lv.max > self.last { slot_of(leaf.pivots(), self.last) } else { lv.len() - 1 };
        self.front = leaf.run(lv.min, lv.max, lv.offset(), to);
        if self.back_ready && self.back_path.leaf().node == lv.node {
            self.front.intersect(&self.back);
            self.back = LeafRun::EMPTY;
            self.shared = true;
        }
        true
    }

    /// Mirror of [`LeafWalk::open_front`].
    fn open_back(&mut self) -> bool {
        if self.done || self.shared {
            return false;
        }
        if self.back_ready {
            let lv = self.back_path.leaf();
            if lv.min <= self.first || !prev_leaf(self.arena, &mut self.back_path) {
                return false;
            }
        } else {
            self.back_path.walk_in_place(self.arena, self.root, usize::from(self.height), self.last);
            self.back_ready = true;
        }
        // Entered at the slot holding `last`, or at the last slot of an earlier leaf.
        let lv = *self.back_path.leaf();
        let leaf = self.arena.leaf(lv.node);
        let from = if lv.min < self.first { slot_of(leaf.pivots(), self.first) } else { 0 };
        let run = leaf.run(lv.min, lv.max, from, lv.offset());
        if self.front_ready && self.front_path.leaf().node == lv.node {
            self.front.intersect(&run);
            self.shared = true;
        } else {
            self.back = run;
        }
        true
    }

    /// The next value from the front, with its range.
    #[inline]
    fn next(&mut self) -> Option<(u64, u64, &'a T)> {
        match self.front.pop_front() {
            Some(item) => Some(item),
            None => self.next_in_next_leaf(),
        }
    }

    /// [`LeafWalk::next`] once the front's run is empty.
    fn next_in_next_leaf(&mut self) -> Option<(u64, u64, &'a T)> {
        while self.open_front() {
            if let Some(item) = self.front.pop_front() {
                return Some(item);
            }
        }
        self.finish();
        None
    }

    /// The next value from the back, with its range.
    #[inline]
    fn next_back(&mut self) -> Option<(u64, u64, &'a T)> {
        match self.back.pop_back() {
            Some(item) => Some(item),
            None => self.next_back_in_prev_leaf(),
        }
    }

    /// [`LeafWalk::next_back`] once the back's run is empty; in a shared walk, every step
    /// from the back.
    fn next_back_in_prev_leaf(&mut self) -> Option<(u64, u64, &'a T)> {
        loop {
            if self.shared {
                let item = self.front.pop_back();
                if item.is_none() {
                    self.finish();
                }
                return item;
            }
            if !self.open_back() {
                self.finish();
                return None;
            }
            if let Some(item) = self.back.pop_back() {
                return Some(item);
            }
        }
    }

    /// Calls `f` on every value left from the front, in order (internal iteration).
    fn fold<B>(&mut self, init: B, mut f: impl FnMut(B, u64, u64, &'a T) -> B) -> B {
        let mut acc = init;
        loop {
            // A local copy of the run stays in registers.
            let mut run = core::mem::replace(&mut self.front, LeafRun::EMPTY);
            while let Some((start, end, value)) = run.pop_front() {
                acc = f(acc, start, end, value);
            }
            if !self.open_front() {
                break;
            }
        }
        // The back's run, if the front never reached its leaf (only when the walk ended early).
        while let Some((start, end, value)) = self.back.pop_front() {
            acc = f(acc, start, end, value);
        }
        acc
    }

    /// Mirror of [`LeafWalk::fold`]: every value left from the back, in reverse order.
    fn rfold<B>(&mut self, init: B, mut f: impl FnMut(B, u64, u64, &'a T) -> B) -> B {
        let mut acc = init;
        loop {
            let mut run = core::mem::replace(&mut self.back, LeafRun::EMPTY);
            while let Some((start, end, value)) = run.pop_back() {
                acc = f(acc, start, end, value);
            }
            if self.shared {
                let mut run = core::mem::replace(&mut self.front, LeafRun::EMPTY);
                while let Some((start, end, value)) = run.pop_back() {
                    acc = f(acc, start, end, value);
                }
                break;
            }
            if !self.open_back() {
                break;
            }
        }
        while let Some((start, end, value)) = self.front.pop_back() {
            acc = f(acc, start, end, value);
        }
        acc
    }

    /// Number of values left, counted a run at a time.
    fn count(mut self) -> usize {
        let mut count = 0;
        loop {
            count += self.front.len();
            self.front = LeafRun::EMPTY;
            if !self.open_front() {
                // A back run the front did not reach (it merges the ones it reaches).
                return count + self.back.len();
            }
        }
    }

    /// Drops the next `n` values from the front, a run at a time where it can; whether
    /// there were that many.
    fn skip(&mut self, mut n: usize) -> bool {
        loop {
            let here = self.front.len();
            if n < here {
                self.front.skip_front(n);
                return true;
            }
            n -= here;
            self.front = LeafRun::EMPTY;
            if n == 0 {
                return true;
            }
            if !self.open_front() {
                break;
            }
        }
        if n < self.back.len() {
            self.back.skip_front(n);
            return true;
        }
        self.finish();
        false
    }

    /// Mirror of [`LeafWalk::skip`], from the back.
    fn skip_back(&mut self, mut n: usize) -> bool {
        loop {
            let run = if self.shared { &mut self.front } else { &mut self.back };
            let here = run.len();
            if n < here {
                run.skip_back(n);
                return true;
            }
            n -= here;
            *run = LeafRun::EMPTY;
            if n == 0 {
                return true;
            }
            if self.shared || !self.open_back() {
                break;
            }
        }
        if n < self.front.len() {
            self.front.skip_back(n);
            return true;
        }
        self.finish();
        false
    }
}

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

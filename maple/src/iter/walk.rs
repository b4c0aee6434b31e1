//! The path steps shared by the iterators and cursors, and the owning iterator's
//! [`Walker`], which re-reads the leaf at each step.

use crate::key::Key;
use crate::node::{Arena, NodeId};
use crate::path::{Level, Path};
use crate::MapleTree;
use core::ops::RangeInclusive;

/// A non-NULL slot found by a [`Walker`]: its range, its leaf and offset, and its value.
pub(super) type Slot<'a, T> = (RangeInclusive<u64>, NodeId, usize, &'a T);

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
pub(super) struct Walker {
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
    pub(super) fn new<T, K: Key>(tree: &MapleTree<T, K>, first: u64, last: u64) -> Walker {
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
    pub(super) fn next<'a, T>(&mut self, arena: &'a Arena<T>) -> Option<Slot<'a, T>> {
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
    pub(super) fn next_back<'a, T>(&mut self, arena: &'a Arena<T>) -> Option<Slot<'a, T>> {
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
pub(super) fn next_leaf<T>(arena: &Arena<T>, path: &mut Path) -> bool {
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
pub(super) fn prev_leaf<T>(arena: &Arena<T>, path: &mut Path) -> bool {
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

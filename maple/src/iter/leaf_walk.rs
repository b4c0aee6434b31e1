//! The borrowing iterators' [`LeafWalk`]: each end holds a run of its current leaf's values.

use super::walk::{next_leaf, prev_leaf};
use crate::key::Key;
use crate::node::{slot_of, Arena, LeafRun, NodeId, NO_NODE};
use crate::path::Path;
use crate::MapleTree;

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
pub(super) struct LeafWalk<'a, T> {
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
    pub(super) done: bool,
}

impl<T> Clone for LeafWalk<'_, T> {
    fn clone(&self) -> Self {
        LeafWalk { front_path: self.front_path.clone(), back_path: self.back_path.clone(), ..*self }
    }
}

impl<'a, T> LeafWalk<'a, T> {
    pub(super) fn new<K: Key>(tree: &'a MapleTree<T, K>, first: u64, last: u64) -> Self {
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
    pub(super) fn finish(&mut self) {
        self.done = true;
        self.front = LeafRun::EMPTY;
        self.back = LeafRun::EMPTY;
    }

    /// The values the two runs hold (a lower bound of what is left).
    pub(super) fn buffered(&self) -> usize {
        self.front.len() + self.back.len()
    }

    /// Opens the front's next leaf with a value in the window into `front` (possibly
    /// empty, then the caller tries again); `false` when the front has passed the window.
    pub(super) fn open_front(&mut self) -> bool {
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
    pub(super) fn open_back(&mut self) -> bool {
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
    pub(super) fn next(&mut self) -> Option<(u64, u64, &'a T)> {
        match self.front.pop_front() {
            Some(item) => Some(item),
            None => self.next_in_next_leaf(),
        }
    }

    /// [`LeafWalk::next`] once the front's run is empty.
    pub(super) fn next_in_next_leaf(&mut self) -> Option<(u64, u64, &'a T)> {
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
    pub(super) fn next_back(&mut self) -> Option<(u64, u64, &'a T)> {
        match self.back.pop_back() {
            Some(item) => Some(item),
            None => self.next_back_in_prev_leaf(),
        }
    }

    /// [`LeafWalk::next_back`] once the back's run is empty; in a shared walk, every step
    /// from the back.
    pub(super) fn next_back_in_prev_leaf(&mut self) -> Option<(u64, u64, &'a T)> {
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
    pub(super) fn fold<B>(&mut self, init: B, mut f: impl FnMut(B, u64, u64, &'a T) -> B) -> B {
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
    pub(super) fn rfold<B>(&mut self, init: B, mut f: impl FnMut(B, u64, u64, &'a T) -> B) -> B {
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
    pub(super) fn count(mut self) -> usize {
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
    pub(super) fn skip(&mut self, mut n: usize) -> bool {
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
    pub(super) fn skip_back(&mut self, mut n: usize) -> bool {
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

//! [`State`]: what both cursor kinds hold (range, status, path) and the walks and steps
//! behind their read operations, with the status machine of the [module docs](super).

use super::Status;
use crate::error::Error;
use crate::iter::{step_back, step_forward};
use crate::key::Key;
use crate::node::{slot_of, NO_NODE};
use crate::path::Path;
use crate::search::Request;
use crate::write::{Plan, StoreType};
use crate::MapleTree;
use core::fmt;

/// The state shared by both cursor kinds.
#[derive(Clone)]
pub(super) struct State {
    pub(super) index: u64,
    pub(super) last: u64,
    pub(super) status: Status,
    /// The slot the cursor is on; meaningful while `status` is `Active`, and while it is
    /// `Overflow` or `Underflow` unless it is empty (see [`State::positioned`]).
    pub(super) path: Path,
}

impl fmt::Debug for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("State")
            .field("index", &self.index)
            .field("last", &self.last)
            .field("status", &self.status)
            .finish()
    }
}

impl State {
    pub(super) fn new(index: u64) -> State {
        State { index, last: index, status: Status::Start, path: Path::EMPTY }
    }

    /// Walks to the slot holding `index`. On an empty tree: status `None`, range `0..=MAX`,
    /// and `false`.
    pub(super) fn walk<T, K: Key>(&mut self, tree: &MapleTree<T, K>) -> bool {
        if tree.root == NO_NODE {
            (self.index, self.last, self.status) = (0, u64::MAX, Status::None);
            self.path = Path::EMPTY;
            return false;
        }
        self.path.walk_in_place(&tree.arena, tree.root, tree.height(), self.index);
        self.status = Status::Active;
        self.load_range(tree);
        true
    }

    pub(super) fn load_range<T, K: Key>(&mut self, tree: &MapleTree<T, K>) {
        (self.index, self.last) = self.path.leaf_slot_range(&tree.arena);
    }

    /// Whether the cursor has a position in the tree: an `Overflow` or `Underflow` reached by
    /// the limit check alone (before any walk) has none, and continuing from it walks first.
    pub(super) fn positioned(&self) -> bool {
        self.path.height != 0
    }

    /// Whether the current slot holds a value.
    pub(super) fn full<T, K: Key>(&self, tree: &MapleTree<T, K>) -> bool {
        let lv = self.path.leaf();
        tree.arena.leaf(lv.node).has_value(lv.offset())
    }

    pub(super) fn value<'t, T, K: Key>(&self, tree: &'t MapleTree<T, K>) -> Option<&'t T> {
        let lv = self.path.leaf();
        tree.arena.leaf(lv.node).get(lv.offset())
    }

    /// Steps forward slot by slot from the current one (`mas_next_slot`); with `skip_null`
    /// a NULL slot is stepped over. `max` limits the start of the slot found.
    pub(super) fn next_slot<T, K: Key>(&mut self, tree: &MapleTree<T, K>, max: u64, skip_null: bool) -> bool {
        let depth = self.path.leaf_depth();
        loop {
            if self.last >= max {
                self.status = Status::Overflow;
                return false;
            }
            // Within the leaf the next slot's range comes from its pivots; only the step to
            // another leaf climbs the path.
            let lv = &mut self.path.levels[depth];
            let full = if lv.offset() + 1 < lv.len() {
                let leaf = tree.arena.leaf(lv.node);
                let off = lv.offset() + 1;
                lv.offset = off as u8;
                self.index = leaf.pivots()[off - 1] + 1;
                self.last = if off + 1 >= lv.len() { lv.max } else { leaf.pivots()[off] };
                leaf.has_value(off)
            } else {
                if !step_forward(&tree.arena, &mut self.path) {
                    self.status = Status::Overflow;
                    return false;
                }
                self.load_range(tree);
                self.full(tree)
            };
            self.status = Status::Active;
            if full {
                return true;
            }
            if !skip_null {
                return false;
            }
        }
    }

    /// Mirror of [`State::next_slot`]: `min` limits the end of the slot found.
    pub(super) fn prev_slot<T, K: Key>(&mut self, tree: &MapleTree<T, K>, min: u64, skip_null: bool) -> bool {
        let depth = self.path.leaf_depth();
        loop {
            if self.index <= min {
                self.status = Status::Underflow;
                return false;
            }
            let lv = &mut self.path.levels[depth];
            let full = if lv.offset() > 0 {
                let leaf = tree.arena.leaf(lv.node);
                let off = lv.offset() - 1;
                lv.offset = off as u8;
                self.index = if off == 0 { lv.min } else { leaf.pivots()[off - 1] + 1 };
                self.last = leaf.pivots()[off];
                leaf.has_value(off)
            } else {
                if !step_back(&tree.arena, &mut self.path) {
                    self.status = Status::Underflow;
                    return false;
                }
                self.load_range(tree);
                self.full(tree)
            };
            self.status = Status::Active;
            if full {
                return true;
            }
            if !skip_null {
                return false;
            }
        }
    }

    /// `mas_next` / `mas_next_range`.
    pub(super) fn next<T, K: Key>(&mut self, tree: &MapleTree<T, K>, max: u64, skip_null: bool) -> bool {
        if self.last >= max {
            self.status = Status::Overflow;
            return false;
        }
        plant!('G' => if self.status == Status::Pause {
            self.status = Status::Active;
        });
        match self.status {
            Status::Active => {}
            Status::Start | Status::Pause | Status::None => {
                if !self.walk(tree) {
                    return false;
                }
            }
            Status::Overflow if self.positioned() => self.status = Status::Active,
            Status::Overflow => {
                if !self.walk(tree) {
                    return false;
                }
            }
            Status::Underflow => {
                if !self.walk(tree) {
                    return false;
                }
                if self.full(tree) {
                    return true;
                }
            }
            Status::Error(_) => return false,
        }
        self.next_slot(tree, max, skip_null)
    }

    /// `mas_prev` / `mas_prev_range`.
    pub(super) fn prev<T, K: Key>(&mut self, tree: &MapleTree<T, K>, min: u64, skip_null: bool) -> bool {
        if self.index <= min {
            self.status = Status::Underflow;
            return false;
        }
        plant!('G' => if self.status == Status::Pause {
            self.status = Status::Active;
        });
        match self.status {
            Status::Active => {}
            Status::Start | Status::Pause | Status::None => {
                if !self.walk(tree) {
                    return false;
                }
            }
            Status::Underflow if self.positioned() => self.status = Status::Active,
            Status::Underflow => {
                if !self.walk(tree) {
                    return false;
                }
            }
            Status::Overflow => {
                if !self.walk(tree) {
                    return false;
                }
                if self.full(tree) {
                    return true;
                }
            }
            Status::Error(_) => return false,
        }
        self.prev_slot(tree, min, skip_null)
    }

    /// `mas_find` / `mas_find_range`.
    pub(super) fn find<T, K: Key>(&mut self, tree: &MapleTree<T, K>, max: u64, skip_null: bool) -> bool {
        match self.status {
            Status::Active => {
                if self.last >= max {
                    return false;
                }
                return self.find_step(tree, max, skip_null);
            }
            Status::Start => {}
            Status::Pause => {
                if self.last >= max {
                    return false;
                }
                self.index = self.last + 1;
                self.last = self.index;
            }
            Status::None => {
                if self.last >= max {
                    return false;
                }
                self.index = self.last;
            }
            Status::Underflow | Status::Overflow => {
                let done = if self.status == Status::Underflow { self.index >= max } else { self.last >= max };
                if done {
                    if self.status == Status::Underflow {
                        self.status = Status::Overflow;
                    }
                    return false;
                }
                return self.find_walked(tree, max, skip_null);
            }
            Status::Error(_) => return false,
        }
        self.status = Status::Start;
        if self.index > max {
            return false;
        }
        self.find_walked(tree, max, skip_null)
    }

    /// Walks to `index`; returns its value if any, else steps on from the NULL slot.
    pub(super) fn find_walked<T, K: Key>(&mut self, tree: &MapleTree<T, K>, max: u64, skip_null: bool) -> bool {
        if !self.walk(tree) {
            return false;
        }
        if self.full(tree) {
            return true;
        }
        if self.index == max {
            return false;
        }
        self.find_step(tree, max, skip_null)
    }

    pub(super) fn find_step<T, K: Key>(&mut self, tree: &MapleTree<T, K>, max: u64, skip_null: bool) -> bool {
        let found = self.next_slot(tree, max, skip_null);
        if skip_null {
            self.status = Status::Active;
        }
        found
    }

    /// `mas_find_rev` / `mas_find_range_rev`.
    pub(super) fn find_rev<T, K: Key>(&mut self, tree: &MapleTree<T, K>, min: u64, skip_null: bool) -> bool {
        match self.status {
            Status::Active => return self.find_rev_step(tree, min, skip_null),
            Status::Start => {}
            Status::Pause => {
                if self.index <= min {
                    self.status = Status::Underflow;
                    return false;
                }
                self.index -= 1;
                self.last = self.index;
            }
            Status::None => {
                if self.index <= min {
                    return false;
                }
                self.last = self.index;
            }
            Status::Overflow | Status::Underflow => {
                if self.index <= min {
                    self.status = Status::Underflow;
                    return false;
                }
                if !self.positioned() && !self.walk(tree) {
                    return false;
                }
                self.status = Status::Active;
                return self.find_rev_step(tree, min, skip_null);
            }
            Status::Error(_) => return false,
        }
        self.status = Status::Start;
        if self.index < min {
            return false;
        }
        if !self.walk(tree) {
            (self.index, self.last) = (0, 0);
            return false;
        }
        if self.full(tree) {
            return true;
        }
        self.find_rev_step(tree, min, skip_null)
    }

    pub(super) fn find_rev_step<T, K: Key>(&mut self, tree: &MapleTree<T, K>, min: u64, skip_null: bool) -> bool {
        if self.index < min {
            return false;
        }
        self.prev_slot(tree, min, skip_null)
    }

    /// `mas_empty_area` / `mas_empty_area_rev`: on success the range is the fit and the
    /// cursor sits on the NULL slot holding it.
    pub(super) fn empty_area<T, K: Key>(
        &mut self,
        tree: &MapleTree<T, K>,
        min: u64,
        max: u64,
        size: u64,
        rev: bool,
    ) -> Result<(), Error> {
        let req = Request::new(min, max, size)?;
        let found = if tree.root == NO_NODE {
            tree.find_fit(req, rev)
        } else {
            // The search's descent leaves the path on the NULL slot holding the fit.
            tree.find_fit_path(req, rev, &mut self.path)
        };
        let Some((first, last)) = found else {
            self.status = Status::Error(Error::Busy);
            return Err(Error::Busy);
        };
        let start = if rev { last - (size - 1) } else { first };
        self.status = if tree.root == NO_NODE { Status::Start } else { Status::Active };
        (self.index, self.last) = (start, start + (size - 1));
        debug_assert!(
            tree.root == NO_NODE || {
                let (lo, hi) = self.path.leaf_slot_range(&tree.arena);
                lo <= start && start + (size - 1) <= hi && !self.full(tree)
            }
        );
        Ok(())
    }

    /// Where a cursor stands after a successful write of `[plan.first, plan.last]`.
    pub(super) fn after_write<T, K: Key>(&mut self, tree: &MapleTree<T, K>, plan: &Plan) {
        if tree.root == NO_NODE {
            (self.index, self.last, self.status) = (0, u64::MAX, Status::Start);
            self.path.height = 0;
            return;
        }
        self.index = plan.first;
        match plan.kind {
            // Written in the leaf itself: the leaf and its ancestors keep their nodes and
            // limits, so the path down to it is the plan's, and only the slot is found again.
            StoreType::ExactFit | StoreType::Append | StoreType::SlotStore | StoreType::NodeStore => {
                self.path.copy_from(&plan.left);
                let lv = self.path.leaf_mut();
                let leaf = tree.arena.leaf(lv.node);
                lv.len = leaf.len() as u8;
                lv.offset = slot_of(leaf.pivots(), plan.first) as u8;
                self.status = Status::Active;
                self.load_range(tree);
            }
            _ => {
                self.walk(tree);
            }
        }
        debug_assert_eq!((self.index, self.last), (plan.first, plan.last));
    }

    /// Points `path` (a copy of this cursor's path) at the slot holding `index` from the
    /// lowest level whose node covers it, so that a write from the cursor's position costs no
    /// descent from the root (as the kernel's store starts from the node it walked to). Only
    /// while `Active`: then the path leads to a live slot, since every change of the tree is
    /// made through this cursor (a `CursorMut` borrows the tree) and leaves it walked.
    /// Returns whether `path` leads to `index`; else it is unchanged.
    pub(super) fn reposition<T>(&self, arena: &crate::node::Arena<T>, index: u64, path: &mut Path) -> bool {
        if self.status != Status::Active || !self.positioned() {
            return false;
        }
        debug_assert!(
            {
                let (lo, hi) = self.path.leaf_slot_range(arena);
                lo <= self.index && self.index <= hi
            },
            "C1: an Active cursor's path leads to the slot holding index"
        );
        let leaf_depth = self.path.leaf_depth();
        // The root covers every key, so a level is always found.
        let depth = (0..=leaf_depth).rev().find(|&d| {
            let lv = &self.path.levels[d];
            lv.min <= index && index <= lv.max
        });
        let Some(depth) = depth else {
            return false;
        };
        path.copy_from(&self.path);
        if depth == leaf_depth {
            let lv = path.leaf_mut();
            lv.offset = slot_of(arena.leaf(lv.node).pivots(), index) as u8;
        } else {
            path.descend_from(arena, depth, index);
        }
        true
    }
}

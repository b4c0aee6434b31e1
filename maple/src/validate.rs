//! The validator: checks every structural invariant and names the one that broke.
//!
//! | id | invariant | owned by module |
//! |---|---|---|
//! | N1 | a reachable node is live: `1 <= len <= 16` (a free node has `len == 0`) | `node` (layout) |
//! | N2 | nothing after a node's end: pivots from `len - 1` on are the sentinel, slots and child links after `len` are empty | `node` (layout) |
//! | N3 | a leaf's values are stored densely in slot order: as many values as slots marked full, each slot's recorded position its rank among them (NULL's position past the values) | `node::leaf` (layout) |
//! | N4 | the idle blank nodes a vector keeps between reservations are at most `IDLE_MAX` (32) and blank | `node` (arena) |
//! | T1 | pivots ascend strictly and lie inside the node's implied limits | `tree` |
//! | T2 | all leaves at depth `height`; links point at live nodes of the right kind; each node linked once; live + free nodes = allocated nodes | `tree` |
//! | T3 | occupancy: at least 7 slots unless root or on the right spine | `tree` |
//! | T4 | NULL canonical form: no two adjacent NULL slots (across leaves too), no leaf but the last ends in NULL, an empty tree has no node | `tree` |
//! | T5 | the entry count equals the number of non-NULL slots | `tree` |
//! | G1 | allocation trees: each internal slot's gap equals the largest NULL range below that child, within its limits | `gap` (allocation trees) |
//! | G2 | gaps after a node's end are 0; a tree that is not an allocation tree records no gap | `gap` (allocation trees) |
//! | K1 | nothing is stored above the key type's `K::MAX` ([`crate::Key`]) | `key` |
//! | C1 | coalescing maps: no two touching entries hold equal values ([`crate::CoalescingMap::validate`]) | `coalesce` |
//!
//! [`MapleTree::validate`] walks every node once (O(n)) and returns the first violation
//! found, with the node's position and a dump of the node.

use crate::key::{top, Key};
use crate::node::{slot_range, Fault, MIN_SLOTS, NO_NODE, SLOTS};
use crate::MapleTree;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use core::fmt;
use core::fmt::Write as _;

/// A broken invariant, as found by [`MapleTree::validate`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    invariant: &'static str,
    message: String,
}

impl Violation {
    /// The id of the broken invariant (`"N1"`, `"T4"`, ...), as numbered in the
    /// [`validate`](crate::validate) module docs.
    pub fn invariant(&self) -> &'static str {
        self.invariant
    }

    /// What was wrong, where.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// A violation of `invariant` (for the layers above the tree, such as C1).
    pub(crate) fn new(invariant: &'static str, message: String) -> Self {
        Violation { invariant, message }
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invariant {} broken: {}", self.invariant, self.message)
    }
}

#[cfg(feature = "std")]
impl std::error::Error for Violation {}

/// Where a node sits, for messages.
#[derive(Clone, Copy)]
struct At {
    node: u32,
    depth: usize,
    min: u64,
    max: u64,
}

impl fmt::Display for At {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "node {} at depth {} covering {:#x}..={:#x}", self.node, self.depth, self.min, self.max)
    }
}

struct Checker<'t, T, K: Key> {
    tree: &'t MapleTree<T, K>,
    seen_leaves: Vec<bool>,
    seen_internals: Vec<bool>,
    /// Whether the previous leaf slot (in key order) was NULL.
    prev_null: bool,
    entries: usize,
}

fn fail(invariant: &'static str, at: Option<At>, message: fmt::Arguments<'_>) -> Violation {
    let mut text = String::new();
    let _ = write!(text, "{message}");
    if let Some(at) = at {
        let _ = write!(text, " ({at})");
    }
    Violation { invariant, message: text }
}

impl<T, K: Key> MapleTree<T, K> {
    /// Checks every structural invariant of the tree (see the [`validate`](crate::validate)
    /// module for the list). O(n); meant for tests, fuzzing and debugging.
    ///
    /// ```
    /// let mut tree = maple_tree::MapleTree::new();
    /// for i in 0..1000u64 {
    ///     tree.store_range(i * 3, i * 3 + 1, i)?;
    /// }
    /// tree.validate().expect("a valid tree");
    /// # Ok::<(), maple_tree::Error>(())
    /// ```
    #[doc(alias = "mt_validate")]
    pub fn validate(&self) -> Result<(), Violation> {
        if let Some((what, n)) = self.arena.idle_fault() {
            return Err(fail("N4", None, format_args!("{what} ({n})")));
        }
        let (leaves, internals) = self.arena.allocated();
        let mut checker = Checker {
            tree: self,
            seen_leaves: vec![false; leaves],
            seen_internals: vec![false; internals],
            prev_null: false,
            entries: 0,
        };
        if self.root == NO_NODE {
            if self.height != 0 || self.len != 0 {
                return Err(fail(
                    "T4",
                    None,
                    format_args!("empty tree with height {} and len {}", self.height, self.len),
                ));
            }
        } else {
            if self.height == 0 || usize::from(self.height) > crate::node::MAX_HEIGHT {
                return Err(fail("T2", None, format_args!("height {} with a root node", self.height)));
            }
            checker.node(At { node: self.root, depth: 0, min: 0, max: u64::MAX })?;
            if self.height == 1 {
                let leaf = self.arena.leaf(self.root);
                if leaf.len() == 1 && !leaf.has_value(0) {
                    return Err(fail(
                        "T4",
                        None,
                        format_args!("a root leaf holding only NULL instead of an empty tree"),
                    ));
                }
            }
        }
        // K1: the keys past the key space hold nothing (they are at most one NULL range).
        if let Some(above) = top::<K>().checked_add(1) {
            if let Some((leaf, off, first, last)) = self.leaf_slot(above) {
                if self.arena.leaf(leaf).has_value(off) {
                    return Err(fail(
                        "K1",
                        None,
                        format_args!("{first:#x}..={last:#x} holds a value past the key space's end {:#x}", top::<K>()),
                    ));
                }
            }
        }
        if checker.entries != self.len {
            return Err(fail(
                "T5",
                None,
                format_args!("len() is {} but {} ranges are stored", self.len, checker.entries),
            ));
        }
        let live =
            checker.seen_leaves.iter().filter(|&&s| s).count() + checker.seen_internals.iter().filter(|&&s| s).count();
        let (free_leaves, free_internals) = self.arena.free_counts();
        if live + free_leaves + free_internals != leaves + internals {
            return Err(fail(
                "T2",
                None,
                format_args!(
                    "{live} reachable + {} free nodes, but {} allocated",
                    free_leaves + free_internals,
                    leaves + internals
                ),
            ));
        }
        Ok(())
    }
}

impl<T, K: Key> Checker<'_, T, K> {
    /// Checks the subtree at `at`; returns the size of its largest NULL range.
    fn node(&mut self, at: At) -> Result<u64, Violation> {
        let leaf_depth = usize::from(self.tree.height) - 1;
        let is_leaf = at.depth == leaf_depth;
        let arena = &self.tree.arena;
        // T2: links point at allocated, live nodes, each reached once.
        let (seen, dead) = if is_leaf {
            (self.seen_leaves.get_mut(at.node as usize), arena.is_free_leaf(at.node))
        } else {
            (self.seen_internals.get_mut(at.node as usize), arena.is_free_internal(at.node))
        };
        match seen {
            None => return Err(fail("T2", Some(at), format_args!("link to a node that was never allocated"))),
            Some(true) => return Err(fail("T2", Some(at), format_args!("node linked twice"))),
            Some(seen) => *seen = true,
        }
        // N1: no dead node is reachable.
        if dead {
            return Err(fail("N1", Some(at), format_args!("a free (dead) node is reachable")));
        }
        let (pivots, len, fault) = if is_leaf {
            let leaf = arena.leaf(at.node);
            (*leaf.pivots(), leaf.len(), leaf.fault())
        } else {
            let node = arena.internal(at.node);
            (*node.pivots(), node.len(), node.fault())
        };
        if len > SLOTS {
            return Err(fail("N1", Some(at), format_args!("len {len} exceeds {SLOTS} slots")));
        }
        // N2: nothing after the end.
        match fault {
            None => {}
            Some(Fault::PivotPastEnd { pivot, value }) => {
                return Err(fail(
                    "N2",
                    Some(at),
                    format_args!("pivot {pivot} is {value:#x} past the data end (len {len})"),
                ))
            }
            Some(Fault::SlotPastEnd { slot }) => {
                return Err(fail("N2", Some(at), format_args!("slot {slot} holds data past the data end (len {len})")))
            }
            // N3: the compact leaf's values and their positions agree with its presence bits.
            Some(Fault::ValueCount { values, present }) => {
                return Err(fail(
                    "N3",
                    Some(at),
                    format_args!("{values} values stored for {present} slots marked full"),
                ))
            }
            Some(Fault::Position { slot, stored, expected }) => {
                return Err(fail(
                    "N3",
                    Some(at),
                    format_args!("slot {slot} records value position {stored}, not {expected}"),
                ))
            }
        }
        // T1: pivots ascend strictly inside the limits.
        let mut start = at.min;
        for (i, &pivot) in pivots[..len - 1].iter().enumerate() {
            if pivot < start || pivot >= at.max {
                return Err(fail(
                    "T1",
                    Some(at),
                    format_args!("pivot {i} = {pivot:#x} outside {start:#x}..{:#x}", at.max),
                ));
            }
            start = pivot + 1;
        }
        // T3: occupancy.
        if at.depth > 0 && at.max != u64::MAX && len < MIN_SLOTS {
            return Err(fail("T3", Some(at), format_args!("{len} slots, below the minimum of {MIN_SLOTS}")));
        }
        if is_leaf {
            return self.leaf(at, len);
        }
        let node = arena.internal(at.node);
        let (children, gaps) = (node.children(), *node.all_gaps());
        // G2: no gap past the end, and none at all outside allocation trees.
        if let Some(i) = (0..SLOTS).find(|&i| gaps[i] != 0 && (i >= len || !self.tree.alloc)) {
            return Err(fail(
                "G2",
                Some(at),
                format_args!("slot {i} records gap {:#x} (len {len}, allocation tree: {})", gaps[i], self.tree.alloc),
            ));
        }
        let mut largest = 0;
        for (i, &child) in children.iter().enumerate() {
            let (min, max) = slot_range(&pivots, len, i, at.min, at.max);
            if child == NO_NODE {
                return Err(fail("T2", Some(at), format_args!("slot {i} has no child")));
            }
            let gap = self.node(At { node: child, depth: at.depth + 1, min, max })?;
            // G1: the recorded gap is the child's largest NULL range.
            if self.tree.alloc && gaps[i] != gap {
                return Err(fail(
                    "G1",
                    Some(at),
                    format_args!("slot {i} records gap {:#x} but the largest NULL range below is {gap:#x}", gaps[i]),
                ));
            }
            largest = largest.max(gap);
        }
        Ok(largest)
    }

    /// Checks a leaf; returns the size of its largest NULL range.
    fn leaf(&mut self, at: At, len: usize) -> Result<u64, Violation> {
        let leaf = self.tree.arena.leaf(at.node);
        // T4: NULL canonical form, in key order across leaves.
        let mut largest = 0;
        for i in 0..len {
            let null = !leaf.has_value(i);
            if null {
                let (first, last) = leaf.slot_range(i, at.min, at.max);
                largest = largest.max((last - first).saturating_add(1));
            }
            if null && self.prev_null {
                let (first, _) = leaf.slot_range(i, at.min, at.max);
                return Err(fail(
                    "T4",
                    Some(at),
                    format_args!("two adjacent NULL ranges meet at {first:#x} (slot {i})"),
                ));
            }
            self.prev_null = null;
            self.entries += usize::from(!null);
        }
        if self.prev_null && at.max != u64::MAX {
            return Err(fail("T4", Some(at), format_args!("a leaf that is not the last ends in NULL")));
        }
        Ok(largest)
    }
}

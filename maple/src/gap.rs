//! Gap tracking in allocation trees (the kernel's `MT_FLAGS_ALLOC_RANGE`).
//!
//! A *gap* is a NULL range; its size is its number of keys. In an allocation tree every
//! internal node records, for each child, the size of the largest gap anywhere below that
//! child, so a free-range search ([`crate::search`]) descends only into children that can
//! hold the request. Leaves record nothing: their largest gap is measured when needed
//! ([`crate::node::Leaf::max_gap`]).
//!
//! Because no leaf but the last ends in NULL and adjacent NULLs always merge (T4), every gap
//! lies inside one leaf slot, so "the largest gap below a child" is simply the largest NULL
//! slot of the leaves below it.
//!
//! # What this layer adds
//!
//! * G1: in an allocation tree, `gaps[i]` of every internal node equals the size of the
//!   largest NULL range in the subtree of child `i`, within the child's limits (0 if none).
//! * G2: gaps after a node's end are 0, and a tree that is not an allocation tree records
//!   no gap at all (every gap is 0).
//!
//! # How every write keeps G1
//!
//! * The rebuild engine (node stores, splits, rebalancing, spanning stores, new roots) hands
//!   each new node up with its gap measured, and children it keeps carry the gap their old
//!   parent recorded. Where it stops in place, [`propagate`] refreshes the ancestors.
//! * An exact-fit store that changes a slot between NULL and non-NULL calls [`slot_changed`],
//!   which derives each ancestor's new record from the one change and the records already
//!   there (G1 holds before the store), and rescans a node only when its largest gap shrank.
//! * The bulk build measures every node once; a structural clone copies the gaps.
//! * Height changes (a new root, a root handed to its only child) need nothing: the root's
//!   own gap is never recorded.

use crate::node::Arena;
use crate::path::Path;

/// Node `depth` of `path` changed in place (keeping its limits): records its new largest gap
/// in its parent, and so on up while a recorded value changes (the kernel's `mas_update_gap`
/// and `mas_parent_gap`).
#[doc(alias = "mas_update_gap")]
pub(crate) fn propagate<T>(arena: &mut Arena<T>, path: &Path, depth: usize) {
    let lv = path.levels[depth];
    let mut gap = if depth == path.leaf_depth() {
        arena.leaf(lv.node).max_gap(lv.min, lv.max)
    } else {
        arena.internal(lv.node).max_gap()
    };
    for d in (0..depth).rev() {
        let parent = path.levels[d];
        let node = arena.internal_mut(parent.node);
        if !node.set_gap(parent.offset(), gap) {
            return;
        }
        gap = node.max_gap();
    }
}

/// The leaf slot `path` points at changed from a gap of `old` keys to one of `new` keys
/// (0: a value), and nothing else in the tree changed since G1 last held. Updates the records
/// above it as [`propagate`] does, without measuring a node whose largest gap can be derived:
/// the record in a node's parent is that node's largest gap before the change, so a gap that
/// grew past it is the new largest, a change below it changes nothing, and only a shrinking
/// largest gap needs the node measured again.
pub(crate) fn slot_changed<T>(arena: &mut Arena<T>, path: &Path, mut old: u64, mut new: u64) {
    let leaf_depth = path.leaf_depth();
    for depth in (1..=leaf_depth).rev() {
        let parent = path.levels[depth - 1];
        // The largest gap of the node at `depth` before the change (G1).
        let recorded = arena.internal(parent.node).gap(parent.offset());
        let largest = if new >= recorded {
            new
        } else if old < recorded {
            // Neither the old nor the new gap is the largest one: it stays.
            return;
        } else {
            // The largest gap shrank: measure the node again.
            let lv = path.levels[depth];
            if depth == leaf_depth {
                arena.leaf(lv.node).max_gap(lv.min, lv.max)
            } else {
                arena.internal(lv.node).max_gap()
            }
        };
        if largest == recorded {
            return;
        }
        arena.internal_mut(parent.node).set_gap(parent.offset(), largest);
        (old, new) = (recorded, largest);
    }
}

//! The split of the last leaf by a store into its last slot (an append that overflows),
//! without the rebuild engine.
//!
//! Ascending builds and appends write into the last slot of the last leaf (the NULL up to
//! `u64::MAX`, or the range that reaches it). When that overflows the leaf, the leaf keeps
//! every slot but the last one, full but for that slot, and a new leaf after it takes the
//! pieces the store makes of the last slot (the new entry, a NULL before it if the entry
//! does not start the slot, and the NULL or the rest of the range after it):
//!
//! ```text
//!   before:  L = [ s0 | .. | s14 | NULL (to MAX) ]                       (16 slots)
//!   after:   L = [ s0 | .. | s14 ]   R = [ NULL | new | NULL (to MAX) ]  (15 + 3)
//! ```
//!
//! The parent gains `R` after `L` in place. This is what the engine's cut of a right-spine
//! node does too (the left part as full as it can be, two or three slots on the right), so
//! the tree's shape does not depend on which path ran. [`fits`] decides when it applies:
//! the leaf is the last one and below the root, the parent has a free slot (else the
//! engine splits the parent too), and the slot before the last holds a value (`L` may not
//! end in NULL once it is not the last leaf, T4; it always does when the last slot is NULL).
//! `L` keeps at least 14 slots and `R` has two or three: T3 holds for both.

use super::inplace;
use super::{Dup, Plan, StoreType};
use crate::node::SLOTS;
use crate::MapleTree;

/// Whether the classified [`StoreType::SplitStore`] `plan` splits the last leaf at its last
/// slot, in place.
pub(super) fn fits<T>(tree: &MapleTree<T>, plan: &Plan) -> bool {
    debug_assert_eq!(plan.kind, StoreType::SplitStore);
    let (l, r) = (*plan.left.leaf(), *plan.right.leaf());
    let depth = plan.left.leaf_depth();
    let last = l.len() - 1;
    depth > 0
        && l.max == u64::MAX
        && l.offset() == last
        && r.offset() == last
        && plan.left.levels[depth - 1].len() < SLOTS
        && last > 0
        && tree.arena.leaf(l.node).has_value(last - 1)
}

/// Performs the split [`fits`] accepted; returns the entry that held `plan.index` (cloned
/// when part of its range survives). Takes the one leaf the split reserved.
pub(super) fn split_last<T, D: Dup<T>>(tree: &mut MapleTree<T>, plan: &Plan, entry: Option<T>) -> Option<T> {
    let l = *plan.left.leaf();
    let depth = plan.left.leaf_depth();
    let leaf = tree.arena.leaf_mut(l.node);
    let before = leaf.value_count();
    let (start, _) = leaf.slot_range(l.offset(), l.min, l.max);
    let (old, pieces) = inplace::pieces::<T, D>(leaf, plan, entry);
    debug_assert!(pieces.len() >= 2, "a split of a leaf of at most 16 slots makes two pieces or more");
    leaf.truncate(l.offset());
    let kept = leaf.value_count();
    let id = tree.arena.alloc_leaf();
    let new = tree.arena.leaf_mut(id);
    new.write(pieces);
    tree.len = tree.len + kept + new.value_count() - before;
    let bound = start - 1;
    let (left_gap, right_gap) = if tree.alloc {
        (tree.arena.leaf(l.node).max_gap(l.min, bound), tree.arena.leaf(id).max_gap(start, u64::MAX))
    } else {
        (0, 0)
    };
    let parent = plan.left.levels[depth - 1];
    let node = tree.arena.internal_mut(parent.node);
    node.insert_after(parent.offset(), bound, id, right_gap);
    if tree.alloc {
        node.set_gap(parent.offset(), left_gap);
        crate::gap::propagate(&mut tree.arena, &plan.left, depth - 1);
    }
    old
}

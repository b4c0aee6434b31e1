//! The boundary move: a NULL store that reaches the end of a leaf other than the
//! last one, done by moving one pivot instead of rebuilding the two leaves.
//!
//! No leaf but the last may end in NULL, and a NULL range merges with the NULL beside it
//! across a leaf boundary (T4). A NULL that would end the leaf `L` therefore belongs to the
//! next leaf `R`: it merges with `R`'s leading NULL, or becomes `R`'s new first slot. Both
//! can be done in place:
//!
//! ```text
//!   before:  L = [ .. | v | v' ]  R = [ NULL | w | .. ]     (erase v')
//!   after:   L = [ .. | v ]       R = [ NULL       | w | .. ]
//!                        ^ the pivot between L and R, in their lowest common ancestor,
//!                          moves down to v's last key
//! ```
//!
//! `L` drops its covered slots (its maximum is implied, so nothing else moves), `R` gains a
//! NULL slot in front when its first slot holds a value, and the one pivot that separates
//! them (stored in their lowest common ancestor; every node between is bounded by it
//! implicitly) moves. The store takes no node (it is classified as a
//! [`StoreType::SpanningStore`] and keeps that kind's reservation, unused). [`fits`] decides when the invariants allow
//! it: `L` keeps at least [`MIN_SLOTS`](crate::node::MIN_SLOTS) slots (T3), `R` has a slot
//! free if it needs one, and the store covers nothing of `R` but its leading NULL. Anything
//! else is a spanning store for the rebuild engine. An erase whose NULL would end its leaf
//! makes the same move from one walk, without classifying the store or reserving its budget
//! ([`erase_moving_boundary`], called by `erase_in_leaf`; it accepts exactly what [`fits`]
//! accepts for that store, so the tree ends up the same either way).

use super::{deficient, Dup, Plan, StoreType};
use crate::node::{slot_of, SLOTS};
use crate::path::Path;
use crate::MapleTree;

/// Whether the classified NULL store `plan` (widened, `plan.left` and `plan.right` on two
/// leaves, a [`StoreType::SpanningStore`]) only hands `L`'s trailing NULL to `R`.
pub(super) fn fits<T>(tree: &MapleTree<T>, plan: &Plan) -> bool {
    let (l, r) = (*plan.left.leaf(), *plan.right.leaf());
    // The right path is on the next leaf, at its first slot.
    if r.offset() != 0 || l.max.wrapping_add(1) != r.min {
        return false;
    }
    let right = tree.arena.leaf(r.node);
    let covers_only_the_null = if right.has_value(0) {
        plan.last == l.max && right.len() < SLOTS
    } else {
        plan.last == right.slot_range(0, r.min, r.max).1
    };
    if !covers_only_the_null {
        return false;
    }
    let left = tree.arena.leaf(l.node);
    let (start, _) = left.slot_range(l.offset(), l.min, l.max);
    let kept = l.offset() + usize::from(start < plan.first);
    // `kept >= 1` makes `plan.first > l.min`, so the new bound `plan.first - 1` is in `L`.
    kept >= 1 && !deficient(kept, plan.left.leaf_depth(), plan.first - 1)
}

/// Performs the boundary move [`fits`] accepted; returns the entry that held `plan.index`
/// (cloned when the head of its range survives).
pub(super) fn move_boundary<T, D: Dup<T>>(tree: &mut MapleTree<T>, plan: &Plan) -> Option<T> {
    debug_assert_eq!(plan.kind, StoreType::SpanningStore);
    let (l, r) = (*plan.left.leaf(), *plan.right.leaf());
    let depth = plan.left.leaf_depth();
    let leaf = tree.arena.leaf_mut(l.node);
    let before = leaf.value_count();
    let (start, _) = leaf.slot_range(l.offset(), l.min, l.max);
    let head = start < plan.first;
    let at = slot_of(leaf.pivots(), plan.index);
    let old = if head && at == l.offset() { D::dup_old(leaf.get(at)) } else { leaf.take(at) };
    // The head of a range cut at `plan.first` stays in its slot, now the last one.
    leaf.truncate(l.offset() + usize::from(head));
    tree.len -= before - leaf.value_count();
    let right = tree.arena.leaf_mut(r.node);
    if right.has_value(0) {
        right.push_front_null(l.max);
    }
    let boundary = plan.first - 1;
    let keep = (0..depth)
        .rev()
        .find(|&d| plan.left.levels[d].node == plan.right.levels[d].node)
        .expect("two leaves share at least the root");
    let ancestor = plan.left.levels[keep];
    tree.arena.internal_mut(ancestor.node).set_pivot(ancestor.offset(), boundary);
    if tree.alloc {
        // Both leaves' largest gaps changed; each path is refreshed with its leaf's new limits.
        let mut path = Path::EMPTY;
        path.copy_from(&plan.left);
        path.leaf_mut().max = boundary;
        crate::gap::propagate(&mut tree.arena, &path, depth);
        path.copy_from(&plan.right);
        path.leaf_mut().min = plan.first;
        crate::gap::propagate(&mut tree.arena, &path, depth);
    }
    old
}

/// The erase of the value in slot `at` of the leaf holding `index`, whose NULL (slots
/// `lo..=` the leaf's last, the value's slot and the NULL slots beside it) would end the
/// leaf, which is not the last one: the boundary move the full store makes for it, done from
/// one walk, without a plan or a reservation (it takes no node). Returns the value, or `None`
/// with nothing changed where [`fits`] would refuse and the general path must run: `R` has
/// no room for a leading NULL, or `L` would keep fewer slots than its minimum and `R` is
/// not its sibling (when it is, the spanning store that rebuilds the two is the merge or
/// rebalance [`super::rebalance::erase_rebalancing`] makes in place, where the parent takes
/// it). The caller has checked the rest (not an allocation tree, the fast paths allowed).
pub(crate) fn erase_moving_boundary<T>(tree: &mut MapleTree<T>, index: u64, lo: usize, at: usize) -> Option<T> {
    let arena = &tree.arena;
    let mut path = Path::walk(arena, tree.root, tree.height(), index);
    let depth = path.leaf_depth();
    let l = *path.leaf();
    debug_assert_eq!(l.offset(), at);
    // What `fits` asks of the full store's plan, whose left end is slot `lo` (the widening
    // takes the NULL before the value) and which covers nothing of `R` but its leading NULL
    // (the widening stops there): `L` keeps its `lo` slots before the NULL, and its new
    // maximum is the last of them.
    if lo == 0 {
        return None;
    }
    let boundary = arena.leaf(l.node).pivots()[lo - 1];
    if deficient(lo, depth, boundary) {
        // `L` would be too thin: the spanning store rebuilds `L` and `R` as one leaf or two,
        // which is the erase's merge or rebalance with `R` when `R` is `L`'s right sibling.
        let parent = path.levels[depth - 1];
        if parent.offset() + 1 == parent.len() {
            return None;
        }
        return super::rebalance::erase_rebalancing_on(tree, &path, (lo, at, l.len() - 1));
    }
    let keep = path.move_next(arena, depth).expect("a leaf below u64::MAX has a successor");
    let r = *path.leaf();
    let right_has_value = arena.leaf(r.node).has_value(0);
    if right_has_value && r.len() == SLOTS {
        return None;
    }
    let arena = &mut tree.arena;
    let leaf = arena.leaf_mut(l.node);
    let value = leaf.take(at);
    leaf.truncate(lo);
    if right_has_value {
        arena.leaf_mut(r.node).push_front_null(l.max);
    }
    // `move_next` stepped the ancestor's offset to `R`'s side: the pivot is the one before.
    let ancestor = path.levels[keep];
    arena.internal_mut(ancestor.node).set_pivot(ancestor.offset() - 1, boundary);
    debug_assert!(value.is_some());
    tree.len -= 1;
    count_fast_path!(IN_LEAF, 4);
    value
}

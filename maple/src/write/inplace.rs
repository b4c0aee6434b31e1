//! The leaf-level part of a store: the exact-fit slot swap, and the new content of the
//! leaf (or the two leaves) a store touches.

use super::{Dup, LeafBuf, Plan};
use crate::error::Error;
use crate::node::{slot_of, Leaf, NodeId, SLOTS};
use crate::path::Path;
use crate::MapleTree;
use arrayvec::ArrayVec;

/// Replaces the entry of one slot whose range the store matches exactly.
#[doc(alias = "mas_wr_exact_fit")]
pub(super) fn exact_fit<T>(tree: &mut MapleTree<T>, plan: &Plan, entry: Option<T>) -> Option<T> {
    let lv = plan.left.leaf();
    let added = usize::from(entry.is_some());
    let old = tree.arena.leaf_mut(lv.node).replace(lv.offset(), entry);
    tree.len = tree.len + added - usize::from(old.is_some());
    if tree.alloc && (added == 0) != old.is_none() {
        // The slot's range is the store's: a gap of that size appears or goes.
        let size = (plan.last - plan.first).saturating_add(1);
        let (was, now) = if added == 0 { (0, size) } else { (size, 0) };
        crate::gap::slot_changed(&mut tree.arena, &plan.left, was, now);
    }
    old
}

/// A store that stays within its leaf and keeps it between its minimum and 16 slots
/// (`Append`, `SlotStore`, `NodeStore`: the kernel's `mas_wr_append`, `mas_wr_slot_store` and
/// `mas_wr_node_store`), done in the leaf itself ([`crate::node::Leaf::splice`]): the slots
/// the store covers give way to the surviving head of the first, the new entry and the
/// surviving tail of the last, and the gaps above are refreshed in an allocation tree.
/// Returns the entry that held `plan.index` (cloned when part of its range survives).
pub(super) fn leaf_store<T, D: Dup<T>>(tree: &mut MapleTree<T>, plan: &Plan, entry: Option<T>) -> Option<T> {
    let l = *plan.left.leaf();
    let (lo, ro) = (l.offset(), plan.right.leaf().offset());
    let leaf = tree.arena.leaf_mut(l.node);
    let before = leaf.value_count();
    let (old, pieces) = pieces::<T, D>(leaf, plan, entry);
    leaf.splice(lo, ro, pieces.into_iter());
    let after = leaf.value_count();
    tree.len = tree.len + after - before;
    if tree.alloc {
        crate::gap::propagate(&mut tree.arena, &plan.left, plan.left.leaf_depth());
    }
    old
}

/// The erase of the value in slot `at` of `leaf` (which covers keys up to `max`), when the
/// NULL store that removes it stays inside the leaf: the value's slot and the NULL slots
/// beside it become one NULL slot ([`crate::node::Leaf::erase_merging`]), without a plan,
/// a path or the engine. That is what the full store does there (`extend_null` widens over
/// the same NULL slots, and the store is a `NodeStore` or `SlotStore`), so the tree ends
/// up the same either way. When the leaf would fall below its minimum, the merge or
/// rebalance with a sibling is done by [`super::rebalance::erase_rebalancing`] where the
/// parent takes it in place. Returns the value, or `None` with nothing changed when the
/// full store is needed: a boundary move [`super::boundary::erase_moving_boundary`] does
/// not take (when the NULL would end a leaf other than the last), the last slot of the last
/// leaf, a rebalance the parent does not take, it is the tree's only value (the tree
/// empties), or the tree is an allocation tree (whose gaps the full store refreshes).
/// The widening to the left never leaves the leaf, as in `extend_null`.
pub(crate) fn erase_in_leaf<T>(tree: &mut MapleTree<T>, leaf: NodeId, at: usize, max: u64) -> Option<T> {
    let depth = usize::from(tree.height) - 1;
    let leaf = tree.arena.leaf_mut(leaf);
    let len = leaf.len();
    if tree.alloc || tree.len == 1 || !super::rebuild::fast_path_allowed() {
        return None;
    }
    debug_assert!(leaf.has_value(at));
    let lo = if at > 0 && !leaf.has_value(at - 1) { at - 1 } else { at };
    plant!('E' => let lo = at);
    let hi = if at + 1 < len { at + usize::from(!leaf.has_value(at + 1)) } else { at };
    if hi + 1 == len {
        if max != u64::MAX {
            // The NULL would end the leaf: it goes to the next leaf, by a boundary move. A key
            // of the slot (its pivot, or the leaf's maximum for the last slot) finds the path.
            let index = if at + 1 < len { leaf.pivots()[at] } else { max };
            return super::boundary::erase_moving_boundary(tree, index, lo, at);
        }
        if at + 1 == len {
            // The last value of the tree's last leaf: the full store.
            return None;
        }
    }
    if super::deficient(len - (hi - lo), depth, max) {
        // The slot is not the leaf's last one, so its pivot is a key it holds.
        let index = leaf.pivots()[at];
        return super::rebalance::erase_rebalancing(tree, index, (lo, at, hi));
    }
    let value = leaf.erase_merging(lo, at, hi);
    tree.len -= 1;
    count_fast_path!(IN_LEAF, 0);
    Some(value)
}

/// The insert of `value` over `first..=last` into NULL slot `at` of `leaf`, whose range
/// `start..=end` holds the whole new range, when the leaf has room for what the slot
/// becomes (a NULL head before the value if `start < first`, a NULL tail after it if
/// `last < end`): done in the leaf ([`crate::node::Leaf::insert_into_null`]), without a
/// plan, a path or the engine. That is what the full store does there (an `Append`,
/// `SlotStore` or `NodeStore`), so the tree ends up the same either way. When the leaf
/// would overflow, the split is done by [`super::split::insert_splitting`] where the
/// leaf's parent takes it (which may fail with [`Error::NoMemory`], nothing changed). Gives
/// `value` back, with nothing changed, when the full store is needed: a split the parent
/// does not take, a store that covers every key (a new root), or an allocation tree (whose
/// gaps the full store refreshes).
pub(crate) fn insert_in_leaf<T>(
    tree: &mut MapleTree<T>,
    leaf: NodeId,
    at: usize,
    (start, end): (u64, u64),
    (first, last): (u64, u64),
    value: T,
) -> Result<Result<(), T>, Error> {
    let (head, tail) = (start < first, last < end);
    let leaf = tree.arena.leaf_mut(leaf);
    let fits = leaf.len() + usize::from(head) + usize::from(tail) <= SLOTS;
    if tree.alloc || (first == 0 && last == u64::MAX) || !super::rebuild::fast_path_allowed() {
        return Ok(Err(value));
    }
    if !fits {
        return super::split::insert_splitting(tree, at, (start, end), (first, last), value);
    }
    leaf.insert_into_null(at, head, first, last, tail, value);
    tree.len += 1;
    count_fast_path!(IN_LEAF, 1);
    Ok(Ok(()))
}

/// What replaces the slots a one-leaf store covers (`plan.left`'s to `plan.right`'s, in
/// the same leaf): the surviving head of the first, the new entry and the surviving tail of
/// the last, as `(last key, entry)`; and the entry that held `plan.index` (cloned when part
/// of its range survives). The entries that move into the pieces are taken out of the leaf;
/// the others stay in the covered slots until the caller replaces them.
pub(super) fn pieces<T, D: Dup<T>>(
    leaf: &mut Leaf<T>,
    plan: &Plan,
    entry: Option<T>,
) -> (Option<T>, ArrayVec<(u64, Option<T>), 3>) {
    let (l, r) = (*plan.left.leaf(), *plan.right.leaf());
    debug_assert_eq!(l.node, r.node);
    let (first, last) = (plan.first, plan.last);
    let (lo, ro) = (l.offset(), r.offset());
    let (start, _) = leaf.slot_range(lo, l.min, l.max);
    let (_, end) = leaf.slot_range(ro, l.min, l.max);
    let (head, tail) = (start < first, last < end);
    // The clones come first (a value's `Clone` may panic): no slot is taken before both are
    // made, so an unwinding clone leaves the leaf as it was. A range cut in two keeps its
    // value in the head (a clone) and the tail.
    let at = slot_of(leaf.pivots(), plan.index);
    let cut_head = (lo == ro && head && tail).then(|| D::dup(leaf.get(lo)));
    // The entry at the caller's index, then the pieces of the covered slots that survive.
    let old = if (at == lo && head) || (at == ro && tail) { D::dup_old(leaf.get(at)) } else { leaf.take(at) };
    let mut pieces = ArrayVec::new();
    if head {
        let head_entry = match cut_head {
            Some(copy) => copy,
            None => leaf.take(lo),
        };
        pieces.push((first - 1, head_entry));
    }
    pieces.push((last, entry));
    if tail {
        pieces.push((end, leaf.take(ro)));
    }
    (old, pieces)
}

/// Takes the entry at `index` out of the tree (for a store that replaces the whole tree).
pub(super) fn take_at<T>(tree: &mut MapleTree<T>, index: u64) -> Option<T> {
    if tree.height == 0 {
        return None;
    }
    let path = Path::walk(&tree.arena, tree.root, usize::from(tree.height), index);
    let lv = path.leaf();
    tree.arena.leaf_mut(lv.node).take(lv.offset())
}

/// Builds the new content of the leaves from `plan.left`'s leaf to `plan.right`'s leaf:
/// what lies before `first` (a partly overwritten range keeps its head), the new entry, and
/// what lies after `last` (keeping the tail of a partly overwritten range). Entries move out
/// of the leaves ([`crate::node::Leaf::drain`]), which stay all NULL until the engine
/// rewrites or frees them; a range cut in two is cloned. Updates the tree's entry count for
/// what the store drops, fills `buf` with the content and returns the entry that held
/// `plan.index`.
pub(super) fn leaf_content<T, D: Dup<T>>(
    tree: &mut MapleTree<T>,
    plan: &Plan,
    entry: Option<T>,
    buf: &mut LeafBuf<T>,
) -> Option<T> {
    let (l, r) = (*plan.left.leaf(), *plan.right.leaf());
    let (first, last) = (plan.first, plan.last);
    debug_assert!(buf.is_empty());
    let same = l.node == r.node;
    let mut entry = Some(entry);
    let leaf = tree.arena.leaf_mut(l.node);
    let mut dropped = leaf.value_count();
    let at = slot_of(leaf.pivots(), plan.index);
    // The clones come first (a value's `Clone` may panic), before any slot moves out, so an
    // unwinding clone leaves the tree as it was: the entry at the caller's index when part of
    // its range survives, and the head of a range a one-leaf store cuts in two.
    let (at_start, at_end) = leaf.slot_range(at, l.min, l.max);
    let old_survives = at_start < first || (same && at_end > last);
    let mut old = if old_survives { D::dup_old(leaf.get(at)) } else { None };
    let (lo_start, lo_end) = leaf.slot_range(l.offset(), l.min, l.max);
    let mut cut_head = (same && lo_start < first && lo_end > last).then(|| D::dup(leaf.get(l.offset())));
    // One pass over the left leaf's slots, moved out: the slots before `first`, the head of
    // a range the store cuts, and in a one-leaf store the new entry and what follows `last`.
    for (i, (start, end, mut value)) in leaf.drain(l.min, l.max).enumerate() {
        if i == at && !old_survives {
            // The entry at the caller's index, moved out: none of its range survives.
            old = value.take();
        }
        if end < first {
            buf.push((end, value));
            continue;
        }
        if start < first {
            // The head of a range the store cuts (the clone made above if the tail survives
            // too; only the slot holding `first` starts before it and reaches it).
            let head = match cut_head.take() {
                Some(copy) => copy,
                None => value.take(),
            };
            buf.push((first - 1, head));
        }
        if same {
            if let Some(entry) = entry.take() {
                buf.push((last, entry));
            }
            if end > last {
                buf.push((end, value));
            }
        }
    }
    if let Some(entry) = entry.take() {
        buf.push((last, entry));
        let leaf = tree.arena.leaf_mut(r.node);
        dropped += leaf.value_count();
        for (_, end, value) in leaf.drain(r.min, r.max) {
            if end > last {
                buf.push((end, value));
            } else {
                plant!('C' => if crate::plant::at_parent_max(plan, end) {
                    buf.push((end, value));
                });
            }
        }
    }
    let kept = buf.iter().filter(|(_, v)| v.is_some()).count();
    tree.len = tree.len + kept - dropped;
    old
}

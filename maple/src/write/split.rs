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
use super::rebuild::{commit_above, cut, ChildBuf};
use super::{split_need, Dup, Plan, StoreType};
use crate::error::Error;
use crate::node::{Child, Leaf, NodeId, Spill, SLOTS};
use crate::path::Path;
use crate::MapleTree;

/// Whether the classified [`StoreType::SplitStore`] `plan` splits the last leaf at its last
/// slot, in place.
pub(super) fn fits<T>(tree: &MapleTree<T>, plan: &Plan) -> bool {
    debug_assert_eq!(plan.kind, StoreType::SplitStore);
    let (l, r) = (*plan.left.leaf(), *plan.right.leaf());
    let depth = plan.left.leaf_depth();
    depth > 0
        && r.offset() == l.offset()
        && splits_at_last(tree.arena.leaf(l.node), l.max, l.offset(), plan.left.levels[depth - 1].len())
}

/// Whether a split of `leaf` (below the root, ending at `max`, its parent holding
/// `parent_len` children) by a store into slot `at` alone is [`split_last`]'s.
fn splits_at_last<T>(leaf: &Leaf<T>, max: u64, at: usize, parent_len: usize) -> bool {
    let last = leaf.len() - 1;
    max == u64::MAX && at == last && parent_len < SLOTS && last > 0 && leaf.has_value(last - 1)
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

/// The split of the leaf that an insert of `value` over `first..=last` into its NULL slot
/// `at` (whose range is `start..=end`) overflows, where the leaf's parent takes the cut:
/// the tree the general path builds (the same sibling pulled in, the same cut, the same
/// parent pivots), without its plan, buffer and engine. The leaf and a sibling, or the leaf
/// and a new leaf after it, are written straight from their dense content ([`Spill`]).
///
/// An insert into the last slot of the last leaf (an append that overflows) is split as
/// [`split_last`] splits it. Otherwise the general path (`rebuild`'s leaf level) pulls in
/// the right sibling, else the left one,
/// when it holds at most `30 - n` slots for the `n` slots the leaf would have, and shares
/// the content between the two; otherwise it cuts the content into the leaf and a new leaf,
/// which the parent takes in place if it has a free slot. This does the same, and gives
/// `value` back with nothing changed where the general path would do more: the leaf is the
/// root (the tree grows a level) or the cut is not in two parts. Where the parent is full and
/// no sibling has room, the levels above are the engine's ([`commit_above`]), from the two
/// leaves. Reserves what the classified split would
/// (one leaf and the internal nodes of a split of the full ancestors, [`split_need`]), and
/// fails with [`Error::NoMemory`], nothing changed, when that cannot be done. The caller has checked the rest (not an
/// allocation tree, the store does not cover every key, the fast paths are allowed).
pub(crate) fn insert_splitting<T>(
    tree: &mut MapleTree<T>,
    at: usize,
    (start, end): (u64, u64),
    (first, last): (u64, u64),
    value: T,
) -> Result<Result<(), T>, Error> {
    if tree.height < 2 {
        return Ok(Err(value));
    }
    let arena = &tree.arena;
    let path = Path::walk(arena, tree.root, tree.height(), first);
    let depth = path.leaf_depth();
    let (lv, parent) = (*path.leaf(), path.levels[depth - 1]);
    debug_assert_eq!(lv.offset(), at);
    // The append that overflows the last leaf is `split_last`'s: no sibling, the leaf keeps
    // the slots before `at` and a new leaf takes the pieces.
    let at_last = splits_at_last(arena.leaf(lv.node), lv.max, at, parent.len());
    let (head, tail) = (start < first, last < end);
    let mut spill = Spill::insert_layout(arena.leaf(lv.node), lv.max, at, (head, tail), (first, last));
    debug_assert!(spill.len() > SLOTS);
    // Otherwise the general path's choice of a sibling to share the content with.
    let room = (2 * SLOTS - 2).saturating_sub(spill.len());
    let node = arena.internal(parent.node);
    let off = parent.offset();
    let has_room = |id: NodeId| !at_last && arena.leaf(id).len() <= room;
    let pulled = match (off + 1 < parent.len()).then(|| node.child(off + 1)).filter(|&id| has_room(id)) {
        Some(id) => Some((id, true, node.slot_range(off + 1, parent.min, parent.max).1)),
        None => (off > 0).then(|| node.child(off - 1)).filter(|&id| has_room(id)).map(|id| (id, false, lv.min - 1)),
    };
    if let Some((id, to_right, max)) = pulled {
        spill.add_sibling(arena.leaf(id), max, to_right);
    }
    let first_len = if at_last {
        at
    } else {
        let spine = lv.max == u64::MAX || matches!(pulled, Some((_, true, u64::MAX)));
        let sizes = cut(spill.len(), spine, true, |i| spill.is_null(i));
        if sizes.len() != 2 {
            return Ok(Err(value));
        }
        sizes[0]
    };
    // The budget of the classified split (the worst case, whichever path runs: see
    // [`super`]), so that a store fails for want of memory exactly when the general path
    // would.
    tree.arena.reserve(split_need(&path))?;
    count_fast_path!(IN_PLACE, 2 + usize::from(pulled.is_some()));
    let len = spill.len();
    let bound = spill.end(first_len - 1);
    let arena = &mut tree.arena;
    match pulled {
        None => {
            let new = arena.alloc_leaf();
            spill.take_inserting(arena.leaf_mut(lv.node), value);
            spill.fill(arena.leaf_mut(lv.node), first_len);
            spill.fill(arena.leaf_mut(new), len - first_len);
            if parent.len() < SLOTS {
                arena.internal_mut(parent.node).insert_after(off, bound, new, 0);
            } else {
                // The parent splits too: the engine's levels above the leaves, from the two
                // leaves its leaf level would have made.
                let mut up = ChildBuf::new();
                up.push(Child { last: bound, id: lv.node, gap: 0 });
                up.push(Child { last: lv.max, id: new, gap: 0 });
                commit_above(tree, &path, &mut up);
            }
        }
        Some((id, true, _)) => {
            spill.take_inserting(arena.leaf_mut(lv.node), value);
            spill.take(arena.leaf_mut(id));
            spill.fill(arena.leaf_mut(lv.node), first_len);
            spill.fill(arena.leaf_mut(id), len - first_len);
            arena.internal_mut(parent.node).set_pivot(off, bound);
        }
        Some((id, false, _)) => {
            spill.take(arena.leaf_mut(id));
            spill.take_inserting(arena.leaf_mut(lv.node), value);
            spill.fill(arena.leaf_mut(id), first_len);
            spill.fill(arena.leaf_mut(lv.node), len - first_len);
            arena.internal_mut(parent.node).set_pivot(off - 1, bound);
        }
    }
    tree.len += 1;
    tree.relayout_if_due();
    Ok(Ok(()))
}

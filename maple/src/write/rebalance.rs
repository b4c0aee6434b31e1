//! The erase that leaves its leaf too thin, done without the engine where the parent absorbs
//! the change: the leaf shares its content with a sibling, or the two merge into one.
//!
//! An erase makes the value's slot and the NULL slots beside it one NULL slot. When that
//! leaves the leaf below [`MIN_SLOTS`](crate::node::MIN_SLOTS) (T3; two on the right spine),
//! the general path (`rebuild`'s leaf level) pulls in the right sibling, else the left one,
//! and cuts the two leaves' content into one node or two ([`cut`]): a merge, which frees a
//! leaf and takes a slot from the parent, or a rebalance, which moves the pivot between the
//! two leaves. When the parent stays at or above its own minimum (and a root keeps two
//! children), the parent is rewritten in place and the engine stops there.
//! [`erase_rebalancing`] does the same in the two leaves and the parent, from the leaves'
//! dense content ([`Spill`]), and leaves everything else to the general path.

use super::deficient;
use super::rebuild::cut;
use crate::node::Spill;
use crate::path::Path;
use crate::MapleTree;

/// The erase of the value in slot `at` of the leaf holding `index`, which makes slots
/// `lo..=hi` one NULL slot and leaves the leaf deficient: merged with or rebalanced against
/// a sibling as the general path would, when the leaf's parent takes the change in place.
/// Returns the value, or `None` with nothing changed when the general path must run: the
/// merge would leave the parent deficient, or a root parent with one child. The caller has
/// checked the rest (not an allocation tree, the fast paths allowed, the leaf is below the
/// root, and if the NULL ends the leaf, the leaf has a right sibling in its parent: the
/// next leaf, which the spanning store the general path makes of that erase pulls in).
pub(crate) fn erase_rebalancing<T>(tree: &mut MapleTree<T>, index: u64, slots: (usize, usize, usize)) -> Option<T> {
    let path = Path::walk(&tree.arena, tree.root, tree.height(), index);
    erase_rebalancing_on(tree, &path, slots)
}

/// [`erase_rebalancing`] with the path to the erased slot already walked.
pub(super) fn erase_rebalancing_on<T>(
    tree: &mut MapleTree<T>,
    path: &Path,
    (lo, at, hi): (usize, usize, usize),
) -> Option<T> {
    let arena = &tree.arena;
    let depth = path.leaf_depth();
    debug_assert!(depth > 0);
    let (lv, parent) = (*path.leaf(), path.levels[depth - 1]);
    debug_assert_eq!(lv.offset(), at);
    let mut spill = Spill::erase_layout(arena.leaf(lv.node), lv.max, lo, hi);
    // The general path's neighbour: the right sibling, else the left one (a parent below
    // the root has at least seven children, a root two).
    let node = arena.internal(parent.node);
    let off = parent.offset();
    let (sibling, to_right, sibling_max) = if off + 1 < parent.len() {
        (node.child(off + 1), true, node.slot_range(off + 1, parent.min, parent.max).1)
    } else {
        (node.child(off - 1), false, lv.min - 1)
    };
    spill.add_sibling(arena.leaf(sibling), sibling_max, to_right);
    if to_right && hi + 1 == lv.len() && !arena.leaf(sibling).has_value(0) {
        // The NULL ends the leaf and meets the sibling's leading NULL (the boundary-move
        // case, `boundary::erase_moving_boundary`): one NULL, as the spanning store's
        // widening makes it.
        spill.join_nulls(lo);
    }
    let spine = lv.max == u64::MAX || (to_right && sibling_max == u64::MAX);
    let sizes = cut(spill.len(), spine, true, |i| spill.is_null(i));
    // The left leaf of the two, its slot in the parent, and the right one.
    let (left, left_off, right) = if to_right { (lv.node, off, sibling) } else { (sibling, off - 1, lv.node) };
    let merged = sizes.len() == 1;
    if merged {
        let children = parent.len() - 1;
        let thin = if depth == 1 { children < 2 } else { deficient(children, depth - 1, parent.max) };
        if thin {
            return None;
        }
    }
    debug_assert!(sizes.len() <= 2);
    count_fast_path!(IN_LEAF, 2 + usize::from(!merged));
    let arena = &mut tree.arena;
    let value = if to_right {
        let value = spill.take_erasing(arena.leaf_mut(lv.node), at);
        spill.take(arena.leaf_mut(sibling));
        value
    } else {
        spill.take(arena.leaf_mut(sibling));
        spill.take_erasing(arena.leaf_mut(lv.node), at)
    };
    let len = spill.len();
    if merged {
        spill.fill(arena.leaf_mut(left), len);
        arena.free_leaf(right);
        arena.internal_mut(parent.node).remove_after(left_off);
    } else {
        let bound = spill.end(sizes[0] - 1);
        spill.fill(arena.leaf_mut(left), sizes[0]);
        spill.fill(arena.leaf_mut(right), len - sizes[0]);
        arena.internal_mut(parent.node).set_pivot(left_off, bound);
    }
    debug_assert!(value.is_some());
    tree.len -= usize::from(value.is_some());
    value
}

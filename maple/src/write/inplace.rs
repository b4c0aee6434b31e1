//! The leaf-level part of a store: the exact-fit slot swap, and the new content of the
//! leaf (or the two leaves) a store touches.

use super::{LeafBuf, Plan};
use crate::node::{slot_of, slot_range};
use crate::path::Path;
use crate::MapleTree;

/// Replaces the entry of one slot whose range the store matches exactly.
#[doc(alias = "mas_wr_exact_fit")]
pub(super) fn exact_fit<T>(tree: &mut MapleTree<T>, plan: &Plan, entry: Option<T>) -> Option<T> {
    let lv = plan.left.leaf();
    let added = usize::from(entry.is_some());
    let old = core::mem::replace(&mut tree.arena.leaf_mut(lv.node).slots[lv.offset()], entry);
    tree.len = tree.len + added - usize::from(old.is_some());
    old
}

/// Takes the entry at `index` out of the tree (for a store that replaces the whole tree).
pub(super) fn take_at<T>(tree: &mut MapleTree<T>, index: u64) -> Option<T> {
    if tree.height == 0 {
        return None;
    }
    let path = Path::walk(&tree.arena, tree.root, usize::from(tree.height), index);
    let lv = path.leaf();
    tree.arena.leaf_mut(lv.node).slots[lv.offset()].take()
}

/// Builds the new content of the leaves from `plan.left`'s leaf to `plan.right`'s leaf:
/// what lies before `first` (a partly overwritten range keeps its head), the new entry, and
/// what lies after `last` (keeping the tail of a partly overwritten range). Entries move out
/// of the leaves; a range cut in two is cloned. Updates the tree's entry count for what the
/// store drops, and returns the content with the entry that held `plan.index`.
pub(super) fn leaf_content<T: Clone>(
    tree: &mut MapleTree<T>,
    plan: &Plan,
    entry: Option<T>,
) -> (LeafBuf<T>, Option<T>) {
    let (l, r) = (*plan.left.leaf(), *plan.right.leaf());
    let (first, last) = (plan.first, plan.last);
    let mut buf = LeafBuf::new();
    let mut dropped;
    let old;
    {
        let leaf = tree.arena.leaf_mut(l.node);
        let len = leaf.len();
        dropped = leaf.slots[..len].iter().filter(|s| s.is_some()).count();
        // The entry at the caller's index: cloned if part of its range survives, else moved.
        let at = slot_of(&leaf.pivots, plan.index);
        let (start, end) = slot_range(&leaf.pivots, len, at, l.min, l.max);
        old = if start < first || (l.node == r.node && end > last) {
            leaf.slots[at].clone()
        } else {
            leaf.slots[at].take()
        };
        for i in 0..len {
            let (start, end) = slot_range(&leaf.pivots, len, i, l.min, l.max);
            if end < first {
                buf.push((end, leaf.slots[i].take()));
                continue;
            }
            if start < first {
                // The head of a range the store cuts: keep it (cloned if the tail survives too).
                let head = if l.node == r.node && end > last { leaf.slots[i].clone() } else { leaf.slots[i].take() };
                buf.push((first - 1, head));
            }
            break;
        }
    }
    buf.push((last, entry));
    let leaf = tree.arena.leaf_mut(r.node);
    let len = leaf.len();
    let r_parent = plan.right.leaf_depth().saturating_sub(1);
    if l.node != r.node {
        dropped += leaf.slots[..len].iter().filter(|s| s.is_some()).count();
    }
    for i in 0..len {
        let (_, end) = slot_range(&leaf.pivots, len, i, r.min, r.max);
        if end > last || crate::planted('C') && l.node != r.node && end == plan.right.levels[r_parent].max {
            buf.push((end, leaf.slots[i].take()));
        }
    }
    let kept = buf.iter().filter(|(_, v)| v.is_some()).count();
    tree.len = tree.len + kept - dropped;
    (buf, old)
}

//! The leaf-level part of a store: the exact-fit slot swap, and the new content of the
//! leaf (or the two leaves) a store touches.

use super::{Dup, LeafBuf, Plan};
use crate::node::{slot_of, slot_range, PIVOTS, SLOTS};
use crate::path::Path;
use crate::MapleTree;

/// Replaces the entry of one slot whose range the store matches exactly.
#[doc(alias = "mas_wr_exact_fit")]
pub(super) fn exact_fit<T>(tree: &mut MapleTree<T>, plan: &Plan, entry: Option<T>) -> Option<T> {
    let lv = plan.left.leaf();
    let added = usize::from(entry.is_some());
    let old = core::mem::replace(&mut tree.arena.leaf_mut(lv.node).slots[lv.offset()], entry);
    tree.len = tree.len + added - usize::from(old.is_some());
    if tree.alloc && (added == 0) != old.is_none() {
        crate::gap::propagate(&mut tree.arena, &plan.left, plan.left.leaf_depth());
    }
    old
}

/// A store that stays within its leaf and keeps it between its minimum and 16 slots
/// (`Append`, `SlotStore`, `NodeStore`: the kernel's `mas_wr_append`, `mas_wr_slot_store` and
/// `mas_wr_node_store`), done in the leaf itself: the slots the store covers are emptied,
/// the slots after them shift to make room for (or close up behind) the new ones, and the
/// gaps above are refreshed in an allocation tree. Returns the entry that held `plan.index`
/// (cloned when part of its range survives).
pub(super) fn leaf_store<T, D: Dup<T>>(tree: &mut MapleTree<T>, plan: &Plan, entry: Option<T>) -> Option<T> {
    let (l, r) = (*plan.left.leaf(), *plan.right.leaf());
    debug_assert_eq!(l.node, r.node);
    let (first, last) = (plan.first, plan.last);
    let (lo, ro, len) = (l.offset(), r.offset(), l.len());
    let leaf = tree.arena.leaf_mut(l.node);
    let (start, _) = slot_range(&leaf.pivots, len, lo, l.min, l.max);
    let (_, end) = slot_range(&leaf.pivots, len, ro, l.min, l.max);
    let (head, tail) = (start < first, last < end);
    let dropped = leaf.slots[lo..=ro].iter().filter(|s| s.is_some()).count();
    // The entry at the caller's index, then the pieces of the covered slots that survive.
    let at = slot_of(&leaf.pivots, plan.index);
    let old = if (at == lo && head) || (at == ro && tail) { D::dup(&leaf.slots[at]) } else { leaf.slots[at].take() };
    let head_entry = if head && lo == ro && tail {
        D::dup(&leaf.slots[lo])
    } else if head {
        leaf.slots[lo].take()
    } else {
        None
    };
    let tail_entry = if tail { leaf.slots[ro].take() } else { None };
    leaf.slots[lo..=ro].iter_mut().for_each(|slot| *slot = None);
    // New pivots: those before the store, the new pieces', then the shifted ones after it.
    let mid = usize::from(head) + 1 + usize::from(tail);
    let new_len = lo + mid + (len - ro - 1);
    debug_assert!(new_len <= SLOTS);
    let mut pivots = [u64::MAX; SLOTS];
    pivots[..lo].copy_from_slice(&leaf.pivots[..lo]);
    let mut i = lo;
    for pivot in [head.then(|| first - 1), Some(last), tail.then_some(end)].into_iter().flatten() {
        pivots[i] = pivot;
        i += 1;
    }
    for j in ro + 1..len {
        pivots[i] = if j + 1 < len { leaf.pivots[j] } else { l.max };
        i += 1;
    }
    leaf.pivots.copy_from_slice(&pivots[..PIVOTS]);
    leaf.pivots[new_len - 1..].fill(u64::MAX);
    // Move the slots after the store into place; the emptied ones (and those past the old
    // end, all empty) fill the room between.
    let hole = ro + 1 - lo;
    if hole > mid {
        leaf.slots[lo + mid..len].rotate_left(hole - mid);
    } else if hole < mid {
        leaf.slots[lo + hole..new_len].rotate_right(mid - hole);
    }
    let added = usize::from(head_entry.is_some()) + usize::from(entry.is_some()) + usize::from(tail_entry.is_some());
    let mut i = lo;
    if head {
        leaf.slots[i] = head_entry;
        i += 1;
    }
    leaf.slots[i] = entry;
    if tail {
        leaf.slots[i + 1] = tail_entry;
    }
    leaf.len = new_len as u8;
    tree.len = tree.len + added - dropped;
    if tree.alloc {
        crate::gap::propagate(&mut tree.arena, &plan.left, plan.left.leaf_depth());
    }
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
/// store drops, fills `buf` with the content and returns the entry that held `plan.index`.
pub(super) fn leaf_content<T, D: Dup<T>>(
    tree: &mut MapleTree<T>,
    plan: &Plan,
    entry: Option<T>,
    buf: &mut LeafBuf<T>,
) -> Option<T> {
    let (l, r) = (*plan.left.leaf(), *plan.right.leaf());
    let (first, last) = (plan.first, plan.last);
    debug_assert!(buf.is_empty());
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
            D::dup(&leaf.slots[at])
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
                let head = if l.node == r.node && end > last { D::dup(&leaf.slots[i]) } else { leaf.slots[i].take() };
                buf.push((first - 1, head));
            }
            break;
        }
    }
    buf.push((last, entry));
    let leaf = tree.arena.leaf_mut(r.node);
    let len = leaf.len();
    if l.node != r.node {
        dropped += leaf.slots[..len].iter().filter(|s| s.is_some()).count();
    }
    for i in 0..len {
        let (_, end) = slot_range(&leaf.pivots, len, i, r.min, r.max);
        if end > last {
            buf.push((end, leaf.slots[i].take()));
        }
        plant!('C' => if l.node != r.node && end <= last && crate::plant::at_parent_max(plan, end) {
            buf.push((end, leaf.slots[i].take()));
        });
    }
    let kept = buf.iter().filter(|(_, v)| v.is_some()).count();
    tree.len = tree.len + kept - dropped;
    old
}

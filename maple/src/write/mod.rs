//! The write path: classify a store once, budget its nodes, then dispatch by store kind.
//!
//! Every store of `entry` over `[first, last]` (NULL being `None`) goes through three steps,
//! as the kernel's `mas_wr_store_type` → `mas_prealloc_calc` → `mas_wr_store_entry`:
//!
//! 1. [`classify_into`] walks the tree without changing it, widens a NULL store over its NULL
//!    neighbours, and names the [`StoreType`] with the nodes the store may need
//!    ([`Plan::need`]).
//! 2. The caller reserves those nodes ([`crate::node::Arena::reserve`]); that is the only step
//!    that can fail, and it changes no live node.
//! 3. [`execute`] performs the store and cannot fail.
//!
//! The store kinds and their node budgets (`h` is the height):
//!
//! | kind | when | nodes |
//! |---|---|---|
//! | [`StoreType::StoreRoot`] | empty tree | 1 leaf |
//! | [`StoreType::NewRoot`] | the write covers `0..=u64::MAX` | 1 leaf |
//! | [`StoreType::ExactFit`] | the write matches one slot's range | 0 |
//! | [`StoreType::Append`], [`StoreType::SlotStore`], [`StoreType::NodeStore`] | the leaf's new content fits it | 0 |
//! | [`StoreType::SplitStore`] | the leaf overflows | 1 leaf + 1 internal per full ancestor (+1 for a new root) |
//! | [`StoreType::Rebalance`] | the leaf falls below its minimum | 0 (merging frees a node before it takes one) |
//! | [`StoreType::SpanningStore`] | the write crosses leaves | 1 leaf + `h` internal nodes |
//!
//! No kind needs more than [`max_need`] at height `h`: one leaf and `h` internal nodes (a
//! split whose every ancestor is full adds a root; a spanning store rebuilds one node per
//! level plus a root). A [`crate::Reservation`] budgets several writes from that bound, and every
//! write checks its own budget against it.
//!
//! The in-place kinds rewrite the leaf where it is (`inplace`). Two kinds have a fast path
//! for their most common case, chosen when the store is performed: a spanning NULL store
//! that only hands a leaf's trailing NULL to the next leaf moves one pivot (`boundary`), and
//! a split of the last leaf at its last slot (an append that overflows) keeps the leaf and
//! adds one after it (`split`). Their budgets stay those of the table (the worst case, as a
//! preallocation must be: the classification does not look at which path will run); the
//! boundary move takes none of its nodes, the split takes its one leaf. An erase (a NULL
//! store over exactly one value's range) that stays inside its leaf skips all three steps:
//! it needs no node, and [`erase_in_leaf`] merges the value's slot with the NULL slots
//! beside it where they stand, as the `NodeStore` it would be classified as does; an
//! insert into a gap whose leaf has room for it likewise ([`insert_in_leaf`]); one that
//! overflows the leaf, where the parent takes the split, is split as the engine would split
//! it, from the leaves' dense content (`split::insert_splitting`, with the split's budget
//! reserved as in the table); and an erase that leaves its leaf too thin merges or
//! rebalances it with a sibling where the parent takes that in place (`rebalance`), or
//! whose NULL would end its leaf hands that NULL to the next leaf by the boundary move
//! (`boundary::erase_moving_boundary`). The rest go
//! through one engine (`rebuild`) that turns the new content of a run of nodes into one to
//! three nodes per level, pulling in a neighbour where a node would be too thin (and
//! rewriting a split leaf and its sibling in place where the parent takes the cut without
//! splitting).

/// Tests only: counts one more store that took fast path number `$i` in the counter
/// `rebuild::$counter` (`IN_PLACE`, `IN_LEAF`); expands to nothing outside the tests.
macro_rules! count_fast_path {
    ($counter:ident, $i:expr) => {
        #[cfg(all(test, feature = "std"))]
        $crate::write::rebuild::$counter.with(|n| {
            let mut counts = n.get();
            counts[$i] += 1;
            n.set(counts);
        });
    };
}

mod boundary;
mod inplace;
mod rebalance;
mod rebuild;
mod split;

use crate::node::{slot_of, NodeBudget, MIN_SLOTS, NO_NODE, SLOTS};
use crate::path::Path;
use crate::MapleTree;

pub(crate) use inplace::{erase_in_leaf, insert_in_leaf};
pub(crate) use rebuild::LeafBuf;

/// How a store copies an entry whose range it cuts (`T: Clone` only where that happens).
///
/// A store duplicates an entry in two cases: it cuts one range in two (the head and the tail
/// both keep the value: [`Dup::dup`]), and it returns the value that held `plan.index` while
/// part of that value's range survives ([`Dup::dup_old`]). [`Cloning`] clones for both;
/// [`CutOnly`] clones only for a cut, for the stores whose caller drops the old value;
/// [`NoDup`] yields NULL for both, which is exact for NULL slots and for the returned value
/// the non-`Clone` stores never hand out, so a caller that uses [`NoDup`] must first make sure
/// the store cuts no *value* in two ([`MapleTree::splits_value`]).
pub(crate) trait Dup<T> {
    /// The copy of an entry a store cuts in two.
    fn dup(slot: Option<&T>) -> Option<T>;

    /// The copy of the entry at `plan.index` that the store returns while part of it
    /// survives.
    #[inline(always)]
    fn dup_old(slot: Option<&T>) -> Option<T> {
        Self::dup(slot)
    }
}

/// Duplicates by cloning.
pub(crate) struct Cloning;

impl<T: Clone> Dup<T> for Cloning {
    #[inline(always)]
    fn dup(slot: Option<&T>) -> Option<T> {
        slot.cloned()
    }
}

/// Clones an entry a store cuts in two, and returns NULL for the old entry: for the stores
/// that drop what they return (`store_range`, `remove_range`, ...), which then never clone a
/// value they only trim.
pub(crate) struct CutOnly;

impl<T: Clone> Dup<T> for CutOnly {
    #[inline(always)]
    fn dup(slot: Option<&T>) -> Option<T> {
        slot.cloned()
    }

    #[inline(always)]
    fn dup_old(_: Option<&T>) -> Option<T> {
        None
    }
}

/// Duplicates nothing: NULL for every copy (see [`Dup`]).
pub(crate) struct NoDup;

impl<T> Dup<T> for NoDup {
    #[inline(always)]
    fn dup(_: Option<&T>) -> Option<T> {
        None
    }
}

/// The kind of a store, as decided when the store is classified (the kernel's
/// `enum store_type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[doc(alias = "store_type")]
pub enum StoreType {
    /// The tree was empty.
    StoreRoot,
    /// The write covers the whole key space.
    NewRoot,
    /// The write replaces one slot exactly.
    ExactFit,
    /// The write lands in the last slot of a leaf and grows it.
    Append,
    /// The write moves pivots but keeps the leaf's slot count.
    SlotStore,
    /// Any other write that fits in its leaf.
    NodeStore,
    /// The leaf overflows and splits (or pushes into a sibling).
    SplitStore,
    /// The leaf falls below the minimum occupancy and merges with a neighbour.
    Rebalance,
    /// The write crosses a leaf boundary (a NULL that reaches the end of a leaf other than
    /// the last one crosses into the next leaf, T4).
    SpanningStore,
}

/// A classified store: everything [`execute`] needs, computed without changing the tree.
#[derive(Clone, Debug)]
pub(crate) struct Plan {
    /// The range written, after widening a NULL store over its NULL neighbours.
    pub(crate) first: u64,
    pub(crate) last: u64,
    /// The index the caller asked for (its slot's old entry is returned).
    pub(crate) index: u64,
    pub(crate) kind: StoreType,
    /// Path to the leaf slot holding `first`.
    pub(crate) left: Path,
    /// Path to the leaf holding `last` (or the leaf after it when a NULL store reaches its
    /// leaf's end); equal to `left` unless the store spans leaves.
    pub(crate) right: Path,
    /// Nodes the store may take from the free lists.
    pub(crate) need: NodeBudget,
}

impl Plan {
    /// A plan to fill in with [`classify_into`].
    pub(crate) const EMPTY: Plan = Plan {
        first: 0,
        last: 0,
        index: 0,
        kind: StoreType::StoreRoot,
        left: Path::EMPTY,
        right: Path::EMPTY,
        need: NodeBudget { leaves: 0, internals: 0 },
    };
}

/// The largest budget the table above gives one store into a tree of `height` levels: one
/// leaf and `height` internal nodes (an empty tree: one leaf).
#[inline]
pub(crate) const fn max_need(height: usize) -> NodeBudget {
    NodeBudget { leaves: 1, internals: height }
}

/// Whether a node with `len` slots at `depth` must merge with a neighbour. The root is
/// exempt; a node on the right spine (`max == u64::MAX`) only needs two slots.
#[inline]
pub(crate) fn deficient(len: usize, depth: usize, max: u64) -> bool {
    depth > 0 && len < if max == u64::MAX { 2 } else { MIN_SLOTS }
}

/// Classifies the store of an entry (`is_null`: the entry is NULL) over `[first, last]`
/// into an existing plan, so that the two paths it holds are written in place rather than
/// copied (a write's hot path). `first <= last` must hold. With `walked`, `plan.left`
/// already leads to the slot holding `first` in a tree that is not empty (an erase found it
/// so, or a cursor was there).
#[doc(alias = "mas_wr_store_type")]
pub(crate) fn classify_into<T>(
    tree: &MapleTree<T>,
    first: u64,
    last: u64,
    is_null: bool,
    plan: &mut Plan,
    walked: bool,
) {
    debug_assert!(first <= last);
    let arena = &tree.arena;
    (plan.first, plan.last, plan.index) = (first, last, first);
    plan.kind = StoreType::StoreRoot;
    plan.need = NodeBudget::default();
    let new_leaf = NodeBudget { leaves: usize::from(!is_null), internals: 0 };
    if tree.root == NO_NODE {
        if is_null {
            (plan.first, plan.last) = (0, u64::MAX);
        }
        plan.need = new_leaf;
        return;
    }
    if first == 0 && last == u64::MAX {
        plan.kind = StoreType::NewRoot;
        plan.need = new_leaf;
        return;
    }
    let height = usize::from(tree.height);
    if !walked {
        plan.left.walk_in_place(arena, tree.root, height, first);
    }
    debug_assert!({
        let (start, end) = plan.left.leaf_slot_range(arena);
        start <= first && first <= end
    });
    if last <= plan.left.leaf().max {
        plan.right.copy_from(&plan.left);
        let leaf = plan.right.leaf_mut();
        leaf.offset = slot_of(arena.leaf(leaf.node).pivots(), last) as u8;
    } else {
        plan.right.walk_in_place(arena, tree.root, height, last);
    }
    if is_null {
        extend_null(tree, plan);
        if plan.first == 0 && plan.last == u64::MAX {
            plan.kind = StoreType::NewRoot;
            return;
        }
    }
    let (l, r) = (*plan.left.leaf(), *plan.right.leaf());
    if l.node != r.node {
        plan.kind = StoreType::SpanningStore;
        plan.need = NodeBudget { leaves: 1, internals: height };
        return;
    }
    let leaf = arena.leaf(l.node);
    let (start, _) = leaf.slot_range(l.offset(), l.min, l.max);
    let (_, end) = leaf.slot_range(r.offset(), l.min, l.max);
    let new_len =
        l.offset() + usize::from(start < plan.first) + 1 + usize::from(plan.last < end) + (l.len() - r.offset() - 1);
    plan.kind = if l.offset() == r.offset() && start == plan.first && end == plan.last {
        StoreType::ExactFit
    } else if new_len > SLOTS {
        plan.need = split_need(&plan.left);
        StoreType::SplitStore
    } else if deficient(new_len, plan.left.leaf_depth(), l.max) {
        StoreType::Rebalance
    } else if r.offset() + 1 == l.len() && new_len > l.len() {
        StoreType::Append
    } else if new_len == l.len() {
        StoreType::SlotStore
    } else {
        StoreType::NodeStore
    };
}

/// Widens a NULL store over the NULL slots beside it (the kernel's `mas_wr_extend_null`) and,
/// when the NULL would end a leaf that is not the last one, takes in the next leaf so that no
/// leaf but the last ends in NULL.
fn extend_null<T>(tree: &MapleTree<T>, plan: &mut Plan) {
    let arena = &tree.arena;
    let l = *plan.left.leaf();
    let leaf = arena.leaf(l.node);
    let (start, _) = leaf.slot_range(l.offset(), l.min, l.max);
    if !leaf.has_value(l.offset()) {
        plan.first = start;
    } else if plan.first == start && l.offset() > 0 && !leaf.has_value(l.offset() - 1) {
        plan.left.leaf_mut().offset -= 1;
        plan.first = leaf.slot_range(l.offset() - 1, l.min, l.max).0;
    }
    plant!('E' => if plan.left.leaf().offset() != l.offset() {
        *plan.left.leaf_mut() = l;
        plan.first = start;
    });
    let r = *plan.right.leaf();
    let leaf = arena.leaf(r.node);
    let (_, end) = leaf.slot_range(r.offset(), r.min, r.max);
    if !leaf.has_value(r.offset()) {
        plan.last = end;
    } else if plan.last == end && r.offset() + 1 < r.len() && !leaf.has_value(r.offset() + 1) {
        plan.right.leaf_mut().offset += 1;
        plan.last = leaf.slot_range(r.offset() + 1, r.min, r.max).1;
    }
    if plan.last == r.max && r.max != u64::MAX {
        let depth = plan.right.leaf_depth();
        plan.right.move_next(arena, depth).expect("a leaf below u64::MAX has a successor");
        let next = *plan.right.leaf();
        let leaf = arena.leaf(next.node);
        if !leaf.has_value(0) {
            plan.last = leaf.slot_range(0, next.min, next.max).1;
        }
    }
}

/// Nodes a leaf split needs: one leaf, one internal node for each full ancestor from the
/// leaf's parent up, and a new root when every ancestor is full.
pub(super) fn split_need(path: &Path) -> NodeBudget {
    let leaf_depth = path.leaf_depth();
    let full = (0..leaf_depth).rev().take_while(|&d| path.levels[d].len() == SLOTS).count();
    let internals = full + usize::from(full == leaf_depth);
    plant!('H' => let internals = internals.saturating_sub(1));
    NodeBudget { leaves: 1, internals }
}

/// Performs a classified store whose nodes are reserved. Returns the entry that was in the
/// slot holding `plan.index` (cloned when part of its range survives). Cannot fail.
pub(crate) fn execute<T, D: Dup<T>>(tree: &mut MapleTree<T>, plan: &Plan, entry: Option<T>) -> Option<T> {
    match plan.kind {
        StoreType::StoreRoot => {
            if let Some(value) = entry {
                let mut buf = LeafBuf::new();
                if plan.first > 0 {
                    buf.push((plan.first - 1, None));
                }
                buf.push((plan.last, Some(value)));
                if plan.last < u64::MAX {
                    buf.push((u64::MAX, None));
                }
                plant!('J' => if plan.last == u64::MAX {
                    buf.push((u64::MAX, None));
                });
                let id = tree.arena.alloc_leaf();
                tree.arena.leaf_mut(id).write(buf);
                tree.root = id;
                tree.height = 1;
                tree.len = 1;
            }
            None
        }
        StoreType::NewRoot => {
            let old = inplace::take_at(tree, plan.index);
            tree.free_all();
            if let Some(value) = entry {
                let id = tree.arena.alloc_leaf();
                let mut buf = LeafBuf::new();
                buf.push((u64::MAX, Some(value)));
                tree.arena.leaf_mut(id).write(buf);
                tree.root = id;
                tree.height = 1;
                tree.len = 1;
            }
            old
        }
        StoreType::ExactFit => inplace::exact_fit(tree, plan, entry),
        StoreType::SpanningStore if entry.is_none() && boundary::fits(tree, plan) => {
            boundary::move_boundary::<T, D>(tree, plan)
        }
        StoreType::SplitStore if split::fits(tree, plan) => split::split_last::<T, D>(tree, plan, entry),
        StoreType::Append | StoreType::SlotStore | StoreType::NodeStore => {
            // The leaf's new content fits it and keeps it above its minimum.
            plant!('A' => return crate::plant::stale_tail(tree, plan, D::dup, |tree| inplace::leaf_store::<T, D>(tree, plan, entry)));
            inplace::leaf_store::<T, D>(tree, plan, entry)
        }
        _ => {
            // Built and consumed in place: the buffer is large, moving it costs more than
            // most stores.
            let mut buf = LeafBuf::new();
            let old = inplace::leaf_content::<T, D>(tree, plan, entry, &mut buf);
            rebuild::commit(tree, plan, &mut buf);
            old
        }
    }
}

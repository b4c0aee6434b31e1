//! The rebuild engine: one mechanism for node stores, splits, pushes into a sibling,
//! rebalancing and spanning stores (in the spirit of the kernel's 2026 "copy node" rewrite).
//!
//! The engine works level by level from the leaves up. At each level it holds a *run*: the
//! nodes from the left path's node to the right path's node, and the new content of that run
//! as a buffer of `(last index, entry or child)` pairs covering exactly the run's key range.
//! At each level:
//!
//! 1. if the content is too thin for a non-root node ([`deficient`]), a neighbour is pulled
//!    into the run: the right sibling, else the left sibling, else the right or left cousin
//!    (a node of the same level under another parent). Its content joins the buffer;
//! 2. if the run is a single node and the content fits, the node is rewritten in place and
//!    the engine stops (this is the in-place node store, and the end of most splits);
//! 3. if the run is a single node that overflows and a sibling has room, the sibling is pulled
//!    in so that the two can share the content without adding a node (push to a sibling);
//! 4. otherwise the run's nodes are freed and the content is cut into one to three new nodes,
//!    never leaving a leaf that is not the last with a NULL in its last slot;
//! 5. the parent level's content is the left parent's slots before the run, the new nodes,
//!    and the right parent's slots after the run.
//!
//! A single leaf that overflows and is cut in two, with a pulled sibling or into a parent that
//! has a free slot, ends at the parent in steps 4-5 with the parent rewritten in place. That
//! case is done without freeing and allocating: the two parts are written into the leaf and the
//! sibling (or a new leaf), and the parent's one pivot moves (or it gains one slot in place).
//! The cut and the parent's content are the general path's, so the tree is the same node for
//! node (a test builds trees both ways and compares them).
//!
//! At the root an overflow adds a level, and a root left with one child hands the root to it
//! (the height shrinks). Subtrees that a spanning store covers completely are freed before
//! the engine starts. Every level frees its run before it allocates, which is what bounds the
//! node budget in [`super`].
//!
//! In an allocation tree every child handed up carries its largest gap: new leaves have theirs
//! measured, children kept or pulled from old nodes bring the gap their old parent recorded
//! (their subtrees did not change), and new internal nodes take the largest of their
//! children's. Where the engine stops in place, the changed node's gap is propagated up the
//! path ([`crate::gap::propagate`]).

use super::{deficient, Plan};
use crate::gap;
use crate::node::{max_gap, Arena, Child, NodeId, MAX_HEIGHT, SLOTS};
use crate::path::Path;
use crate::MapleTree;
use arrayvec::ArrayVec;

/// The largest content a level can hold: the left node's head, up to three new nodes and the
/// right node's tail, or a thin node and a pulled neighbour.
const BUF: usize = 3 * SLOTS;

/// New content of leaves: `(last index of the range, entry)`.
pub(crate) type LeafBuf<T> = ArrayVec<(u64, Option<T>), BUF>;

/// New content of internal nodes.
pub(crate) type ChildBuf = ArrayVec<Child, BUF>;

/// Nodes of one level whose content the engine has taken.
type Run = ArrayVec<NodeId, 4>;

#[cfg(all(test, feature = "std"))]
std::thread_local! {
    /// Tests only: when set, every overflow and every erase takes the general path, so that
    /// a test can build the same tree both ways and compare the shapes.
    static GENERAL_ONLY: core::cell::Cell<bool> = const { core::cell::Cell::new(false) };
    /// Tests only: in-place splits taken on this thread, without and with a pulled sibling:
    /// by the engine ([`Engine::split_in_parent`], entries 0 and 1) and by an insert into a
    /// NULL slot ([`super::split::insert_splitting`], entries 2 and 3).
    pub(super) static IN_PLACE: core::cell::Cell<[usize; 4]> = const { core::cell::Cell::new([0; 4]) };
    /// Tests only: erases and inserts done inside their leaf ([`super::erase_in_leaf`],
    /// [`super::insert_in_leaf`]) on this thread.
    /// Entries 2 and 3: erases that merged their leaf with a sibling and that rebalanced
    /// the two ([`super::rebalance::erase_rebalancing`]). Entry 4: erases that moved a leaf
    /// boundary ([`super::boundary::erase_moving_boundary`]).
    pub(super) static IN_LEAF: core::cell::Cell<[usize; 5]> = const { core::cell::Cell::new([0; 5]) };
}

/// Whether a store may take a fast path ([`Engine::split_in_parent`],
/// [`super::erase_in_leaf`]) instead of the general one (always, outside that test).
#[inline(always)]
pub(super) fn fast_path_allowed() -> bool {
    #[cfg(all(test, feature = "std"))]
    if GENERAL_ONLY.with(|g| g.get()) {
        return false;
    }
    true
}

/// How to cut `n` entries into nodes: the sizes of the parts. Parts other than the last are
/// never on the right spine; the last is when `spine` holds. `null_at(i)` tells whether entry
/// `i` is NULL (leaves only: a part other than the last may not end in NULL).
pub(super) fn cut(n: usize, spine: bool, leaf: bool, null_at: impl Fn(usize) -> bool) -> ArrayVec<usize, 3> {
    let mut sizes = ArrayVec::new();
    if n <= SLOTS {
        sizes.push(n);
        return sizes;
    }
    let two_max = if leaf { 2 * SLOTS - 1 } else { 2 * SLOTS };
    let ok = |sizes: &[usize]| -> bool {
        let mut end = 0;
        for (i, &size) in sizes.iter().enumerate() {
            let is_last = i + 1 == sizes.len();
            let min = if is_last && spine { 2 } else { crate::node::MIN_SLOTS };
            end += size;
            if size > SLOTS || size < min || (!is_last && leaf && null_at(end - 1)) {
                return false;
            }
        }
        true
    };
    if n <= two_max {
        // A node on the right spine is where appends land: fill the left part so that
        // ascending inserts pack nodes nearly full; elsewhere split evenly.
        let base = if spine { (SLOTS - 1).min(n - 2) } else { n / 2 };
        for left in [base, base - 1, base + 1] {
            if ok(&[left, n - left]) {
                sizes.extend([left, n - left]);
                return sizes;
            }
        }
    } else {
        let third = n / 3;
        for (a, b) in [(0, 0), (-1, 0), (1, 0), (0, -1), (0, 1), (-1, -1), (1, 1), (-1, 1), (1, -1)] {
            let first = third.wrapping_add_signed(a);
            let second = third.wrapping_add_signed(b);
            if n > first + second && ok(&[first, second, n - first - second]) {
                sizes.extend([first, second, n - first - second]);
                return sizes;
            }
        }
    }
    unreachable!("no valid cut of {n} entries")
}

/// Adds a pulled neighbour's entries to the content: after it when the neighbour lies to the
/// right, before it otherwise.
fn join<E>(buf: &mut ArrayVec<E, BUF>, moved: impl Iterator<Item = E>, to_right: bool) {
    let before = buf.len();
    buf.extend(moved);
    if !to_right {
        // In place: the buffer is large, a second one and a copy back cost more than the
        // rotation of the entries actually held.
        let added = buf.len() - before;
        buf.rotate_right(added);
    }
}

/// State of one rebuild.
struct Engine<'t, T> {
    tree: &'t mut MapleTree<T>,
    left: Path,
    right: Path,
    /// Nodes (per level) that a path left behind when it moved to a cousin: their content is
    /// in the buffers, they only need freeing.
    orphans: [ArrayVec<NodeId, 2>; MAX_HEIGHT],
    /// Whether the tree keeps gaps (an allocation tree).
    track_gaps: bool,
}

/// Applies the leaf content `buf` (covering `plan.left`'s leaf to `plan.right`'s leaf) to the
/// tree, rebuilding the levels above as needed. The store's nodes must be reserved.
pub(super) fn commit<T>(tree: &mut MapleTree<T>, plan: &Plan, buf: &mut LeafBuf<T>) {
    let mut engine = Engine::new(tree, &plan.left, &plan.right);
    engine.free_covered();
    // The new nodes of a level, handed to the level above in place (the buffer is too large
    // to move by value at every level).
    let mut up = ChildBuf::new();
    if engine.leaf_level(buf, &mut up) {
        engine.internal_levels(&mut up);
    }
    engine.tree.fix_root();
}

/// Rebuilds the levels above the leaf that `path` leads to, whose leaf level a fast path has
/// done already: `up` holds the leaves that replace the path's leaf (the content the
/// engine's leaf level would hand up). The store's nodes must be reserved.
pub(super) fn commit_above<T>(tree: &mut MapleTree<T>, path: &Path, up: &mut ChildBuf) {
    let mut engine = Engine::new(tree, path, path);
    engine.internal_levels(up);
    engine.tree.fix_root();
}

impl<'a, T> Engine<'a, T> {
    /// An engine for a store between the leaves `left` and `right` lead to.
    fn new(tree: &'a mut MapleTree<T>, left: &Path, right: &Path) -> Self {
        let track_gaps = tree.alloc;
        let mut engine = Engine {
            tree,
            left: Path::EMPTY,
            right: Path::EMPTY,
            orphans: core::array::from_fn(|_| ArrayVec::new()),
            track_gaps,
        };
        engine.left.copy_from(left);
        engine.right.copy_from(right);
        engine
    }

    fn arena(&mut self) -> &mut Arena<T> {
        &mut self.tree.arena
    }

    /// Frees the subtrees strictly between the two paths: a spanning store covers them whole.
    fn free_covered(&mut self) {
        let leaf_depth = self.left.leaf_depth();
        let mut dropped = 0;
        for d in 0..leaf_depth {
            let (l, r) = (self.left.levels[d], self.right.levels[d]);
            let below = leaf_depth - d - 1;
            let covered: ArrayVec<NodeId, { 2 * SLOTS }> = if l.node == r.node {
                let n = self.tree.arena.internal(l.node);
                n.children()[l.offset() + 1..r.offset().max(l.offset() + 1)].iter().copied().collect()
            } else {
                let ln = self.tree.arena.internal(l.node);
                let rn = self.tree.arena.internal(r.node);
                ln.children()[l.offset() + 1..].iter().chain(&rn.children()[..r.offset()]).copied().collect()
            };
            for &child in &covered {
                dropped += self.arena().free_subtree(child, below);
            }
        }
        self.tree.len -= dropped;
    }

    /// The run's nodes at `depth`: the two path nodes and any orphans.
    fn run_at(&mut self, depth: usize) -> Run {
        let mut run = Run::new();
        run.push(self.left.levels[depth].node);
        if self.right.levels[depth].node != run[0] {
            run.push(self.right.levels[depth].node);
        }
        run.extend(self.orphans[depth].drain(..));
        run
    }

    /// Pulls a neighbour into the run at `depth` when its content (`len` entries) is too thin
    /// for the node, or when a single node overflows and a sibling has room to share it.
    fn pull_for(&mut self, depth: usize, len: usize, single: bool) -> Option<(NodeId, bool)> {
        if deficient(len, depth, self.right.levels[depth].max) {
            self.pull_neighbour(depth, false, SLOTS)
        } else if single && len > SLOTS {
            self.pull_neighbour(depth, true, (2 * SLOTS - 2).saturating_sub(len))
        } else {
            None
        }
    }

    /// Moves a path to a neighbour of the run at `depth` and returns the neighbour and whether
    /// it lies to the right. `sibling_only` restricts the choice to the same parent, and
    /// `room` to neighbours with at most that many slots.
    fn pull_neighbour(&mut self, depth: usize, sibling_only: bool, room: usize) -> Option<(NodeId, bool)> {
        if depth == 0 {
            return None;
        }
        let arena = &self.tree.arena;
        let at_leaves = depth == self.left.leaf_depth();
        let child_len = |id: NodeId| -> usize {
            if at_leaves {
                arena.leaf(id).len()
            } else {
                arena.internal(id).len()
            }
        };
        let parent_r = self.right.levels[depth - 1];
        let parent_l = self.left.levels[depth - 1];
        let right_sib = (parent_r.offset() + 1 < parent_r.len())
            .then(|| arena.internal(parent_r.node).child(parent_r.offset() + 1));
        let left_sib = (parent_l.offset() > 0).then(|| arena.internal(parent_l.node).child(parent_l.offset() - 1));
        if let Some(id) = right_sib.filter(|&id| child_len(id) <= room) {
            self.right.move_next(arena, depth);
            return Some((id, true));
        }
        if let Some(id) = left_sib.filter(|&id| child_len(id) <= room) {
            self.left.move_prev(arena, depth);
            return Some((id, false));
        }
        if sibling_only {
            return None;
        }
        for to_right in [true, false] {
            let path = if to_right { &mut self.right } else { &mut self.left };
            let old = path.clone();
            let moved = if to_right { path.move_next(arena, depth) } else { path.move_prev(arena, depth) };
            if let Some(keep) = moved {
                let other = if to_right { &self.left } else { &self.right };
                for j in keep + 1..depth {
                    if old.levels[j].node != other.levels[j].node {
                        self.orphans[j].push(old.levels[j].node);
                    }
                }
                let path = if to_right { &self.right } else { &self.left };
                return Some((path.levels[depth].node, to_right));
            }
        }
        None
    }

    /// The leaf level. Puts the new leaves for the parent level into `up` and returns `true`,
    /// or returns `false` when the store ended in place.
    fn leaf_level(&mut self, buf: &mut LeafBuf<T>, up: &mut ChildBuf) -> bool {
        let depth = self.left.leaf_depth();
        let mut run = self.run_at(depth);
        let spine = self.right.levels[depth].max == u64::MAX;
        // A single leaf that overflows: any neighbour pulled in is a sibling (the same parent).
        let overflow = run.len() == 1 && buf.len() > SLOTS;
        let pulled = self.pull_for(depth, buf.len(), run.len() == 1);
        if let Some((id, to_right)) = pulled {
            let lv = if to_right { self.right.levels[depth] } else { self.left.levels[depth] };
            // (Pulled in because the content was deficient, not to share an overflow.)
            plant!('D' => if buf.len() <= SLOTS {
                self.arena().leaf_mut(id).plant_drop_last_slot();
            });
            let moved = self.arena().leaf_mut(id).drain(lv.min, lv.max).map(|(_, end, entry)| (end, entry));
            join(buf, moved, to_right);
            run.push(id);
        }
        if run.len() == 1 && buf.len() <= SLOTS {
            self.arena().leaf_mut(run[0]).write(buf.drain(..));
            if self.track_gaps {
                gap::propagate(&mut self.tree.arena, &self.left, depth);
            }
            return false;
        }
        let spine = spine || self.right.levels[depth].max == u64::MAX;
        let sizes = cut(buf.len(), spine, true, |i| buf[i].1.is_none());
        if overflow
            && depth > 0
            && sizes.len() == 2
            && fast_path_allowed()
            && (pulled.is_some() || self.left.levels[depth - 1].len() < SLOTS)
        {
            self.split_in_parent(depth, run[0], pulled, buf, sizes[0]);
            return false;
        }
        for &id in &run {
            self.arena().free_leaf(id);
        }
        // Each part's last key, read before the entries move straight into their leaves.
        let mut end = 0;
        let lasts: ArrayVec<u64, 3> = sizes
            .iter()
            .map(|&size| {
                end += size;
                buf[end - 1].0
            })
            .collect();
        debug_assert!(up.is_empty());
        let mut min = self.left.levels[depth].min;
        let mut entries = buf.drain(..);
        for (size, last) in sizes.into_iter().zip(lasts) {
            let id = self.arena().alloc_leaf();
            self.arena().leaf_mut(id).write(entries.by_ref().take(size));
            let gap = if self.track_gaps { self.tree.arena.leaf(id).max_gap(min, last) } else { 0 };
            up.push(Child { last, id, gap });
            min = last.wrapping_add(1);
        }
        true
    }

    /// The cut of an overflowing `leaf` into two parts (the first of `first_len` entries) that
    /// its parent takes without changing its own slot count or with one slot more, which it
    /// has: the same tree as the general path (same cut, same parent content, which that path
    /// also rewrites in place, ending there), without freeing, allocating and copying the
    /// nodes. With a `pulled` sibling (to the right or not) the two leaves are rewritten and
    /// the pivot between them moves; without, the leaf keeps the first part and a new leaf
    /// after it takes the second (the split's one reserved leaf).
    fn split_in_parent(
        &mut self,
        depth: usize,
        leaf: NodeId,
        pulled: Option<(NodeId, bool)>,
        buf: &mut LeafBuf<T>,
        first_len: usize,
    ) {
        count_fast_path!(IN_PLACE, usize::from(pulled.is_some()));
        let (min, max) = (self.left.levels[depth].min, self.right.levels[depth].max);
        let last = buf[first_len - 1].0;
        let (a, b) = match pulled {
            None => (leaf, self.arena().alloc_leaf()),
            Some((id, true)) => (leaf, id),
            Some((id, false)) => (id, leaf),
        };
        let arena = &mut self.tree.arena;
        let mut entries = buf.drain(..);
        arena.leaf_mut(a).write(entries.by_ref().take(first_len));
        arena.leaf_mut(b).write(entries);
        let (gap_a, gap_b) = if self.track_gaps {
            (arena.leaf(a).max_gap(min, last), arena.leaf(b).max_gap(last + 1, max))
        } else {
            (0, 0)
        };
        // The left path is at the first of the two leaves (it moved to a sibling pulled from
        // the left), so its parent level's offset is the first leaf's slot.
        let parent = self.left.levels[depth - 1];
        let node = arena.internal_mut(parent.node);
        if pulled.is_some() {
            node.set_pivot(parent.offset(), last);
            node.set_gap(parent.offset() + 1, gap_b);
        } else {
            node.insert_after(parent.offset(), last, b, gap_b);
        }
        node.set_gap(parent.offset(), gap_a);
        if self.track_gaps {
            gap::propagate(arena, &self.left, depth - 1);
        }
    }

    /// The internal levels, from the leaves' parents up to the root.
    fn internal_levels(&mut self, up: &mut ChildBuf) {
        let leaf_depth = self.left.leaf_depth();
        for depth in (0..leaf_depth).rev() {
            let (l, r) = (self.left.levels[depth], self.right.levels[depth]);
            let mut buf = ChildBuf::new();
            {
                let ln = self.tree.arena.internal(l.node);
                buf.extend((0..l.offset()).map(|i| ln.content(i, l.min, l.max)));
                buf.extend(up.drain(..));
                let rn = self.tree.arena.internal(r.node);
                buf.extend((r.offset() + 1..r.len()).map(|i| rn.content(i, r.min, r.max)));
            }
            let mut run = self.run_at(depth);
            if let Some((id, to_right)) = self.pull_for(depth, buf.len(), run.len() == 1) {
                let lv = if to_right { self.right.levels[depth] } else { self.left.levels[depth] };
                let node = self.tree.arena.internal(id);
                let moved = (0..node.len()).map(|i| node.content(i, lv.min, lv.max));
                join(&mut buf, moved, to_right);
                run.push(id);
            }
            if run.len() == 1 && buf.len() <= SLOTS {
                self.arena().internal_mut(run[0]).write(&buf);
                if self.track_gaps {
                    gap::propagate(&mut self.tree.arena, &self.left, depth);
                }
                return;
            }
            for &id in &run {
                self.arena().free_internal(id);
            }
            let spine = self.right.levels[depth].max == u64::MAX;
            let sizes = cut(buf.len(), spine, false, |_| false);
            debug_assert!(up.is_empty());
            let mut start = 0;
            for size in sizes {
                let id = self.arena().alloc_internal();
                let part = &buf[start..start + size];
                self.arena().internal_mut(id).write(part);
                up.push(Child { last: part[size - 1].last, id, gap: max_gap(part) });
                start += size;
            }
        }
        self.new_root(up);
    }

    /// The old root's level split: a new root above the parts.
    fn new_root(&mut self, up: &ChildBuf) {
        let id = self.arena().alloc_internal();
        self.arena().internal_mut(id).write(up);
        self.tree.root = id;
        self.tree.height += 1;
        debug_assert!(usize::from(self.tree.height) <= MAX_HEIGHT);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::node::MIN_SLOTS;

    /// Every NULL pattern of `n` leaf entries that the engine can hand to [`cut`]: no two
    /// NULLs side by side (T4), and a NULL last entry only on the right spine.
    fn patterns(n: usize, spine: bool) -> impl Iterator<Item = u64> {
        (0u64..1 << n).filter(move |&p| p & (p >> 1) == 0 && (spine || p >> (n - 1) & 1 == 0))
    }

    /// Checks one cut against the rules the engine relies on.
    fn check(n: usize, spine: bool, leaf: bool, nulls: u64) {
        let null_at = |i: usize| nulls >> i & 1 == 1;
        let sizes = cut(n, spine, leaf, null_at);
        assert_eq!(sizes.iter().sum::<usize>(), n, "{n} entries, spine {spine}, leaf {leaf}, nulls {nulls:b}");
        if n <= SLOTS {
            assert_eq!(sizes.as_slice(), [n], "a content that fits stays one node");
            return;
        }
        let mut end = 0;
        for (i, &size) in sizes.iter().enumerate() {
            let last = i + 1 == sizes.len();
            let min = if last && spine { 2 } else { MIN_SLOTS };
            assert!((min..=SLOTS).contains(&size), "part {i} of {sizes:?} ({n} entries, spine {spine})");
            end += size;
            if leaf && !last {
                assert!(!null_at(end - 1), "part {i} of {sizes:?} ends in NULL (nulls {nulls:b})");
            }
        }
        if n <= 2 * SLOTS - usize::from(leaf) {
            assert_eq!(sizes.len(), 2, "{n} entries fit two nodes");
        }
    }

    #[test]
    fn cut_keeps_every_part_valid_for_every_null_pattern() {
        // Exhaustive over the NULL patterns up to 22 entries, then the patterns with a period
        // of up to three (NULLs every 2nd or 3rd entry, at each phase) up to the largest leaf
        // content (a left head of 16, the entry and a right tail of 16), and internal
        // contents up to the buffer's size.
        for n in 1..=22 {
            for spine in [false, true] {
                for nulls in patterns(n, spine) {
                    check(n, spine, true, nulls);
                }
                check(n, spine, false, 0);
            }
        }
        for n in 23..=BUF {
            for spine in [false, true] {
                check(n, spine, false, 0);
                if n > 2 * SLOTS + 1 {
                    continue;
                }
                for (period, phase) in [(2, 0), (2, 1), (3, 0), (3, 1), (3, 2)] {
                    let mut nulls = (0..n).filter(|i| i % period == phase).fold(0u64, |p, i| p | 1 << i);
                    if !spine {
                        nulls &= !(1 << (n - 1));
                    }
                    check(n, spine, true, nulls);
                }
                check(n, spine, true, 0);
            }
        }
    }

    /// A node as [`shape`] lists it: depth, limits, and a `(last key, value or gap)` per slot.
    #[cfg(feature = "std")]
    type NodeShape = (usize, u64, u64, Vec<(u64, u64)>);

    /// The tree's nodes in preorder, without their ids: per node its depth, limits, and per
    /// slot its last key and (leaves) whether it holds a value or (internal nodes) the gap
    /// recorded for the child.
    #[cfg(feature = "std")]
    fn shape<T>(tree: &MapleTree<T>) -> Vec<NodeShape> {
        fn visit<T>(tree: &MapleTree<T>, id: NodeId, depth: usize, min: u64, max: u64, out: &mut Vec<NodeShape>) {
            if depth + 1 == usize::from(tree.height) {
                let leaf = tree.arena.leaf(id);
                let slots =
                    (0..leaf.len()).map(|i| (leaf.slot_range(i, min, max).1, u64::from(leaf.has_value(i)))).collect();
                out.push((depth, min, max, slots));
                return;
            }
            let node = tree.arena.internal(id);
            let children: Vec<Child> = (0..node.len()).map(|i| node.content(i, min, max)).collect();
            out.push((depth, min, max, children.iter().map(|c| (c.last, c.gap)).collect()));
            let mut start = min;
            for child in children {
                visit(tree, child.id, depth + 1, start, child.last, out);
                start = child.last.wrapping_add(1);
            }
        }
        let mut out = Vec::new();
        if tree.root != crate::node::NO_NODE {
            visit(tree, tree.root, 0, 0, u64::MAX, &mut out);
        }
        out
    }

    #[test]
    #[cfg(feature = "std")]
    fn the_fast_paths_build_the_trees_the_general_path_builds() {
        use rand::{rngs::SmallRng, Rng, SeedableRng};
        for alloc in [false, true] {
            for seed in 0..4 {
                let mut ops = SmallRng::seed_from_u64(seed);
                let mut fast = if alloc { MapleTree::new_alloc() } else { MapleTree::new() };
                let mut general = fast.clone();
                for step in 0..1500 {
                    // VMA-like: page-aligned ranges of 1-16 pages stored, inserted or removed
                    // at random over a window that fills up; removals are rarer, so leaves
                    // fill, split and push into siblings at every fill level.
                    let first = ops.gen_range(0..4096u64) * 0x1000;
                    let last = first + ops.gen_range(1..=16u64) * 0x1000 - 1;
                    let kind = ops.gen_range(0..10);
                    for (tree, general_only) in [(&mut fast, false), (&mut general, true)] {
                        GENERAL_ONLY.with(|g| g.set(general_only));
                        let result = match kind {
                            0 => tree.remove_range(first, last),
                            1 => tree.erase(first).map(drop),
                            2..=4 => tree.insert_range(first, last, step),
                            _ => tree.store_range(first, last, step),
                        };
                        GENERAL_ONLY.with(|g| g.set(false));
                        assert!(matches!(result, Ok(()) | Err(crate::Error::Exists)), "{result:?}");
                    }
                    assert_eq!(fast.validate(), Ok(()), "alloc {alloc}, seed {seed}, step {step}");
                    if step < 300 || step % 20 == 0 || step == 1499 {
                        assert_eq!(shape(&fast), shape(&general), "alloc {alloc}, seed {seed}, step {step}");
                        assert!(fast.iter().eq(general.iter()));
                    }
                }
                // Then the trees are emptied by erases in random order (half through
                // `remove_range` of exactly one range), so that leaves thin out, merge and
                // rebalance at every height down to the root's.
                let mut starts: Vec<u64> = fast.iter().map(|(range, _)| *range.start()).collect();
                for i in (1..starts.len()).rev() {
                    starts.swap(i, ops.gen_range(0..=i));
                }
                for (step, &start) in starts.iter().enumerate() {
                    let end = *fast.load_range(start).expect("stored").0.end();
                    for (tree, general_only) in [(&mut fast, false), (&mut general, true)] {
                        GENERAL_ONLY.with(|g| g.set(general_only));
                        let result =
                            if step % 2 == 0 { tree.erase(start).map(drop) } else { tree.remove_range(start, end) };
                        GENERAL_ONLY.with(|g| g.set(false));
                        assert_eq!(result, Ok(()));
                    }
                    assert_eq!(fast.validate(), Ok(()), "alloc {alloc}, seed {seed}, erase {step}");
                    assert_eq!(shape(&fast), shape(&general), "alloc {alloc}, seed {seed}, erase {step}");
                }
                assert!(fast.is_empty() && general.is_empty());
            }
        }
        let [alone, pulled, insert_alone, insert_pulled] = IN_PLACE.with(|n| n.get());
        assert!(alone > 100 && pulled > 100, "in-place splits: {alone} into a new leaf, {pulled} with a sibling");
        assert!(
            insert_alone > 100 && insert_pulled > 100,
            "splits by inserts: {insert_alone} into a new leaf, {insert_pulled} with a sibling"
        );
        let [erased, inserted, merged, rebalanced, moved] = IN_LEAF.with(|n| n.get());
        assert!(erased > 100 && inserted > 100, "inside their leaf: {erased} erases, {inserted} inserts");
        assert!(merged > 100 && rebalanced > 50, "erases that merged {merged} leaves and rebalanced {rebalanced}");
        assert!(moved > 100, "erases that moved a leaf boundary: {moved}");
    }

    #[test]
    #[cfg(feature = "std")]
    fn appends_build_the_tree_the_general_path_builds() {
        // Ascending inserts, with and without gaps between them, through `insert_range` and
        // `store_range`: every overflow is an append that splits the last leaf.
        for gap in [0, 1, 3] {
            let mut fast = MapleTree::new();
            let mut general = MapleTree::new();
            for i in 0..3000u64 {
                let first = i * (4 + gap);
                for (tree, general_only) in [(&mut fast, false), (&mut general, true)] {
                    GENERAL_ONLY.with(|g| g.set(general_only));
                    let result = if i % 2 == 0 {
                        tree.insert_range(first, first + 3, i)
                    } else {
                        tree.store_range(first, first + 3, i)
                    };
                    GENERAL_ONLY.with(|g| g.set(false));
                    assert_eq!(result, Ok(()));
                }
                if i % 7 == 0 || i == 2999 {
                    assert_eq!(shape(&fast), shape(&general), "gap {gap}, insert {i}");
                }
            }
            assert_eq!(fast.validate(), Ok(()));
            assert!(fast.height() >= 3, "gap {gap}: height {}", fast.height());
        }
    }

    #[test]
    fn cut_on_the_spine_packs_the_left_part_full() {
        // Ascending inserts split the rightmost node: the left part takes 15 of 17 entries.
        assert_eq!(cut(SLOTS + 1, true, true, |_| false).as_slice(), [SLOTS - 1, 2]);
        assert_eq!(cut(SLOTS + 1, false, true, |_| false).as_slice(), [8, 9]);
    }
}

//! Bulk build from sorted ranges, packing nodes full.
//!
//! Entries (with the NULL ranges between them) are cut into leaves of 16 slots (15 where the
//! 16th would leave a NULL at a leaf's end, and keeping at least two slots for the last leaf),
//! then each level of internal nodes is packed the same way until one root remains. Nothing
//! is re-inserted, so the build is O(n) and the leaves end up about twice as full as
//! after random inserts. The leaves are filled as the entries arrive (a leaf's cut depends on
//! at most the 18 entries from its start, see [`Leaves`]), so no list of all entries is
//! built, and they are allocated in key order: iterating the tree reads the leaf vector front
//! to back.

use crate::error::Error;
use crate::node::{max_gap, Child};
use crate::node::{NodeBudget, NodeId, SLOTS};
use crate::MapleTree;
use alloc::vec::Vec;
use arrayvec::ArrayVec;
use core::ops::RangeBounds;

/// Sizes of the nodes `n` entries are cut into: full nodes, a last node of at least two
/// slots, and (for leaves) no node but the last ending in NULL.
fn pack(n: usize, null_at: impl Fn(usize) -> bool) -> impl Iterator<Item = usize> {
    let mut start = 0;
    core::iter::from_fn(move || {
        let remaining = n - start;
        if remaining == 0 {
            return None;
        }
        let mut size = remaining.min(SLOTS);
        if remaining > SLOTS {
            if remaining - size < 2 {
                size = remaining - 2;
            }
            if null_at(start + size - 1) {
                size -= 1;
            }
        }
        start += size;
        Some(size)
    })
}

impl<T> MapleTree<T> {
    /// Builds a tree from ranges (any range form) sorted by key and not overlapping, packing its nodes full
    /// (the kernel's bulk-insert mode). O(n), and about half the nodes of inserting one by one.
    ///
    /// # Errors
    /// [`Error::Invalid`] if a range is empty (`start > end`), or overlaps or precedes the one
    /// before it; [`Error::NoMemory`]. Either way the ranges read so far are dropped with the
    /// part of the tree built from them, and no more of `ranges` is read.
    ///
    /// ```
    /// use maple_tree::MapleTree;
    ///
    /// let tree = MapleTree::from_sorted((0..1000u64).map(|i| (i * 10..=i * 10 + 4, i)))?;
    /// assert_eq!(tree.len(), 1000);
    /// assert_eq!(tree.load(9_992), Some(&999));
    /// tree.validate().unwrap();
    /// # Ok::<(), maple_tree::Error>(())
    /// ```
    pub fn from_sorted<R, I>(ranges: I) -> Result<Self, Error>
    where
        R: RangeBounds<u64>,
        I: IntoIterator<Item = (R, T)>,
    {
        Self::build_sorted(ranges, MapleTree::new())
    }

    /// [`MapleTree::from_sorted`] for an allocation tree ([`MapleTree::new_alloc`]): the
    /// gaps are measured once per node as the nodes are packed.
    ///
    /// # Errors
    /// As [`MapleTree::from_sorted`].
    ///
    /// ```
    /// use maple_tree::MapleTree;
    ///
    /// let tree = MapleTree::from_sorted_alloc((0..1000u64).map(|i| (i * 10..=i * 10 + 4, i)))?;
    /// assert!(tree.is_alloc());
    /// assert_eq!(tree.empty_area(0, u64::MAX, 6), Ok(9_995));
    /// # Ok::<(), maple_tree::Error>(())
    /// ```
    pub fn from_sorted_alloc<R, I>(ranges: I) -> Result<Self, Error>
    where
        R: RangeBounds<u64>,
        I: IntoIterator<Item = (R, T)>,
    {
        Self::build_sorted(ranges, MapleTree::new_alloc())
    }

    /// The bulk build into the empty `tree`: the leaves are filled as the entries arrive, in
    /// key order, then the internal levels are packed over them.
    fn build_sorted<R, I>(ranges: I, mut tree: Self) -> Result<Self, Error>
    where
        R: RangeBounds<u64>,
        I: IntoIterator<Item = (R, T)>,
    {
        let mut ranges = ranges.into_iter().peekable();
        // An empty tree has no node.
        if ranges.peek().is_none() {
            return Ok(tree);
        }
        // Two slots per range (a range and the gap before it) and one more, 16 per leaf: the
        // leaves needed if the iterator's lower bound is its length, capped so that a wrong
        // bound costs little.
        let hint = ranges.size_hint().0.min(1 << 24);
        tree.arena.reserve_leaf_capacity(if hint == 0 { 0 } else { (2 * hint + 1) / SLOTS + 1 });
        let mut leaves = Leaves::new(&mut tree)?;
        let len = leaves.fill(&mut tree, ranges)?;
        let mut children = leaves.finish(&mut tree)?;
        let mut internals = 0;
        let mut level = children.len();
        while level > 1 {
            level = pack(level, |_| false).count();
            internals += level;
        }
        tree.arena.reserve(NodeBudget { leaves: 0, internals })?;
        tree.height = 1;
        while children.len() > 1 {
            let mut start = 0;
            let mut parents = Vec::new();
            parents.try_reserve_exact(pack(children.len(), |_| false).count()).map_err(|_| Error::NoMemory)?;
            for size in pack(children.len(), |_| false) {
                let id = tree.arena.alloc_internal();
                let part = &children[start..start + size];
                tree.arena.internal_mut(id).write(part);
                parents.push(Child { last: part[size - 1].last, id, gap: max_gap(part) });
                start += size;
            }
            children = parents;
            tree.height += 1;
        }
        tree.root = children[0].id;
        tree.len = len;
        // Give back the capacity the leaves did not use if it is more than a little: shrinking
        // a large vector moves it (the system allocator maps blocks that large afresh, so
        // the next build faults its pages in again), which costs more than the build.
        tree.arena.fit(16);
        tree.arena.mark_laid_out();
        Ok(tree)
    }
}

/// The leaves of a bulk build: the finished ones, as children for the first internal level,
/// and the one being filled. All of them are in the arena, in key order, and each is filled
/// in place (a leaf is never moved once pushed).
///
/// A leaf is finished when a 17th slot arrives for it, with 16 slots, or 15 when the 16th is
/// NULL (which moves on to the next leaf): [`pack`]'s cut whenever at least 18 entries remain
/// from the leaf's start. Only the last two leaves can hold fewer, and [`Leaves::finish`]
/// cuts them again as `pack` does.
struct Leaves {
    children: Vec<Child>,
    /// The leaf being filled, the arena's last.
    cur: NodeId,
    /// Its first key, and the last key of its last slot.
    min: u64,
    last: u64,
}

impl Leaves {
    /// Starts the first leaf.
    fn new<T>(tree: &mut MapleTree<T>) -> Result<Self, Error> {
        Ok(Leaves { children: Vec::new(), cur: tree.arena.push_blank_leaf()?, min: 0, last: 0 })
    }

    /// Fills the leaves with `ranges` and the NULL slots between them (and after the last,
    /// up to `u64::MAX`); returns how many ranges there were. The leaf being filled is looked
    /// up once, not at every slot (the chunks' index math would add a sixth to the build).
    ///
    /// # Errors
    /// [`Error::Invalid`] at the first range that is empty or does not follow the one before
    /// it (no more is read); [`Error::NoMemory`].
    fn fill<T, R: RangeBounds<u64>>(
        &mut self,
        tree: &mut MapleTree<T>,
        ranges: impl Iterator<Item = (R, T)>,
    ) -> Result<usize, Error> {
        let mut leaf = tree.arena.leaf_mut(self.cur);
        // Appends the slot ending at `$last`, to the next leaf if this one is full.
        macro_rules! push {
            ($last:expr, $entry:expr) => {{
                let (last, entry) = ($last, $entry);
                if leaf.len() < SLOTS {
                    leaf.push_slot(last, entry);
                    self.last = last;
                } else {
                    self.push_to_next(tree, last, entry)?;
                    leaf = tree.arena.leaf_mut(self.cur);
                }
            }};
        }
        // The first key not yet covered; `None` once `u64::MAX` is covered.
        let mut next = Some(0u64);
        let mut len = 0;
        for (range, value) in ranges {
            let (first, last) = crate::tree::bounds(&range).ok_or(Error::Invalid)?;
            match next {
                Some(n) if first >= n => {
                    if first > n {
                        push!(first - 1, None);
                    }
                }
                _ => return Err(Error::Invalid),
            }
            push!(last, Some(value));
            len += 1;
            next = last.checked_add(1);
        }
        if next.is_some() {
            // (The macro, without looking the next leaf up: nothing follows.)
            if leaf.len() < SLOTS {
                leaf.push_slot(u64::MAX, None);
                self.last = u64::MAX;
            } else {
                self.push_to_next(tree, u64::MAX, None)?;
            }
        }
        Ok(len)
    }

    /// Appends a slot to a full leaf: finishes it (moving a NULL last slot on) and
    /// starts the next one.
    #[inline(never)]
    fn push_to_next<T>(&mut self, tree: &mut MapleTree<T>, last: u64, entry: Option<T>) -> Result<(), Error> {
        let leaf = tree.arena.leaf_mut(self.cur);
        let moved = leaf.pop_null_slot();
        let end = if moved { leaf.pivots()[SLOTS - 2] } else { self.last };
        self.close(tree, end)?;
        self.cur = tree.arena.push_blank_leaf()?;
        let leaf = tree.arena.leaf_mut(self.cur);
        if moved {
            leaf.push_slot(self.last, None);
        }
        leaf.push_slot(last, entry);
        self.last = last;
        Ok(())
    }

    /// Finishes the leaf being filled, whose last slot ends at `end`, and hands it to the
    /// parent level.
    fn close<T>(&mut self, tree: &mut MapleTree<T>, end: u64) -> Result<(), Error> {
        self.children.try_reserve(1).map_err(|_| Error::NoMemory)?;
        let leaf = tree.arena.leaf_mut(self.cur);
        leaf.finish_build();
        let gap = if tree.alloc { leaf.max_gap(self.min, end) } else { 0 };
        self.children.push(Child { last: end, id: self.cur, gap });
        self.min = end.wrapping_add(1);
        Ok(())
    }

    /// Finishes the last leaf; when it and the one before hold 17 slots or fewer, cuts the two
    /// again as [`pack`] does (into two leaves, or one). Returns the leaves.
    fn finish<T>(mut self, tree: &mut MapleTree<T>) -> Result<Vec<Child>, Error> {
        let Some(&prev) = self.children.last() else {
            self.close(tree, u64::MAX)?;
            return Ok(self.children);
        };
        let count = tree.arena.leaf(prev.id).len() + tree.arena.leaf(self.cur).len();
        if count > SLOTS + 1 {
            self.close(tree, u64::MAX)?;
            return Ok(self.children);
        }
        self.children.pop();
        let prev_min = self.children.last().map_or(0, |c| c.last + 1);
        tree.arena.leaf_mut(self.cur).finish_build();
        let mut content: ArrayVec<(u64, Option<T>), { SLOTS + 1 }> = ArrayVec::new();
        content.extend(tree.arena.leaf_mut(prev.id).drain(prev_min, prev.last).map(|(_, end, e)| (end, e)));
        content.extend(tree.arena.leaf_mut(self.cur).drain(self.min, u64::MAX).map(|(_, end, e)| (end, e)));
        let sizes: ArrayVec<usize, 2> = pack(count, |i| content[i].1.is_none()).collect();
        let mut entries = content.into_iter();
        let mut end = 0;
        tree.arena.leaf_mut(prev.id).write(entries.by_ref().take(sizes[0]).inspect(|&(l, _)| end = l));
        let gap = if tree.alloc { tree.arena.leaf(prev.id).max_gap(prev_min, end) } else { 0 };
        self.children.push(Child { last: end, id: prev.id, gap });
        if sizes.len() == 2 {
            self.min = end + 1;
            tree.arena.leaf_mut(self.cur).write(entries);
            self.close(tree, u64::MAX)?;
        } else {
            tree.arena.pop_leaf(self.cur);
        }
        Ok(self.children)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::path::Path;
    use alloc::rc::Rc;

    /// `n` ranges of 3 keys; range `i` follows a gap when `gap(i)`.
    fn ranges(n: u64, gap: impl Fn(u64) -> bool) -> Vec<(u64, u64)> {
        let mut next = 0;
        (0..n)
            .map(|i| {
                let first = next + u64::from(gap(i));
                next = first + 3;
                (first, first + 2)
            })
            .collect()
    }

    /// The leaves in key order, as (id, len).
    fn leaves<T>(tree: &MapleTree<T>) -> Vec<(u32, usize)> {
        let mut path = Path::walk(&tree.arena, tree.root, tree.height(), 0);
        let depth = path.leaf_depth();
        let mut out = alloc::vec![(path.leaf().node, path.leaf().len())];
        while path.move_next(&tree.arena, depth).is_some() {
            out.push((path.leaf().node, path.leaf().len()));
        }
        out
    }

    #[test]
    fn streaming_cuts_as_pack_does_and_allocates_leaves_in_key_order() {
        let patterns: [fn(u64) -> bool; 5] = [|_| false, |_| true, |i| i % 2 == 0, |i| i % 7 < 3, |i| i % 15 == 14];
        for gap in patterns {
            for n in (1..80).chain([200, 1000, 4097]) {
                let rs = ranges(n, gap);
                let tree = MapleTree::from_sorted(rs.iter().map(|&(a, b)| (a..=b, a))).unwrap();
                tree.validate().unwrap();
                assert_eq!(tree.len(), n as usize);
                // The cut of the whole entry list, NULLs included.
                let mut nulls = Vec::new();
                let mut next = 0;
                for &(first, last) in &rs {
                    if first > next {
                        nulls.push(true);
                    }
                    nulls.push(false);
                    next = last + 1;
                }
                nulls.push(true);
                let expected: Vec<usize> = pack(nulls.len(), |i| nulls[i]).collect();
                let found = leaves(&tree);
                assert_eq!(found.iter().map(|l| l.1).collect::<Vec<_>>(), expected, "n {n}");
                assert!(found.iter().enumerate().all(|(i, l)| l.0 as usize == i), "leaves out of key order, n {n}");
                assert_eq!(tree.arena.free_counts(), (0, 0));
            }
        }
    }

    #[test]
    fn a_bad_range_drops_what_was_read_and_reads_no_further() {
        let token = Rc::new(());
        let mut read = 0;
        let items = (0..1000u64).map(|i| {
            read += 1;
            // Range 600 overlaps range 599.
            let first = if i == 600 { i * 10 - 8 } else { i * 10 };
            (first..=first + 4, Rc::clone(&token))
        });
        assert_eq!(MapleTree::from_sorted(items).err(), Some(Error::Invalid));
        assert_eq!(read, 601);
        assert_eq!(Rc::strong_count(&token), 1);
    }
}

//! Bulk build from sorted ranges, packing nodes full.
//!
//! Entries (with the NULL ranges between them) are cut into leaves of 16 slots (15 where the
//! 16th would leave a NULL at a leaf's end, and keeping at least two slots for the last leaf),
//! then each level of internal nodes is packed the same way until one root remains. Nothing
//! is re-inserted, so the build is O(n) and the leaves end up about twice as full as
//! after random inserts.

use crate::error::Error;
use crate::node::{max_gap, Child};
use crate::node::{NodeBudget, SLOTS};
use crate::MapleTree;
use alloc::vec::Vec;
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

fn try_push<E>(vec: &mut Vec<E>, item: E) -> Result<(), Error> {
    vec.try_reserve(1).map_err(|_| Error::NoMemory)?;
    vec.push(item);
    Ok(())
}

impl<T> MapleTree<T> {
    /// Builds a tree from ranges (any range form) sorted by key and not overlapping, packing its nodes full
    /// (the kernel's bulk-insert mode). O(n), and about half the nodes of inserting one by one.
    ///
    /// # Errors
    /// [`Error::Invalid`] if a range is empty (`start > end`), or overlaps or precedes the one
    /// before it; [`Error::NoMemory`].
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

    /// The bulk build into the empty `tree`.
    fn build_sorted<R, I>(ranges: I, mut tree: Self) -> Result<Self, Error>
    where
        R: RangeBounds<u64>,
        I: IntoIterator<Item = (R, T)>,
    {
        let mut entries: Vec<(u64, Option<T>)> = Vec::new();
        // The first key not yet covered; `None` once `u64::MAX` is covered.
        let mut next = Some(0u64);
        let mut len = 0;
        for (range, value) in ranges {
            let (first, last) = crate::tree::bounds(&range).ok_or(Error::Invalid)?;
            match next {
                Some(n) if first >= n && first <= last => {
                    if first > n {
                        try_push(&mut entries, (first - 1, None))?;
                    }
                }
                _ => return Err(Error::Invalid),
            }
            try_push(&mut entries, (last, Some(value)))?;
            len += 1;
            next = last.checked_add(1);
        }
        if len == 0 {
            return Ok(tree);
        }
        if next.is_some() {
            try_push(&mut entries, (u64::MAX, None))?;
        }
        // Reserve every node first.
        let leaves = pack(entries.len(), |i| entries[i].1.is_none()).count();
        let mut internals = 0;
        let mut level = leaves;
        while level > 1 {
            level = pack(level, |_| false).count();
            internals += level;
        }
        tree.arena.reserve(NodeBudget { leaves, internals })?;
        let mut children: Vec<Child> = Vec::new();
        children.try_reserve_exact(leaves).map_err(|_| Error::NoMemory)?;
        let sizes: Vec<usize> = pack(entries.len(), |i| entries[i].1.is_none()).collect();
        let mut entries = entries.into_iter();
        let mut min = 0;
        for size in sizes {
            let id = tree.arena.alloc_leaf();
            let part = entries.by_ref().take(size);
            let mut last = 0;
            tree.arena.leaf_mut(id).write(part.inspect(|&(l, _)| last = l));
            let gap = if tree.alloc { tree.arena.leaf(id).max_gap(min, last) } else { 0 };
            children.push(Child { last, id, gap });
            min = last.wrapping_add(1);
        }
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
        Ok(tree)
    }
}
